// starttls_stream: asio-server's and asio-client's TCP connection, in clear until STARTTLS
// switches it to TLS in place (RFC 3207); reads and writes as C++20 coroutines.
#ifndef SMTPWIRE_EXAMPLES_ASIO_STARTTLS_STREAM_HPP
#define SMTPWIRE_EXAMPLES_ASIO_STARTTLS_STREAM_HPP

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

// The socket, and once start_tls() has run, the TLS stream over that same socket. Neither
// copied nor moved: the TLS stream refers to the socket.
class starttls_stream {
public:
    explicit starttls_stream(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}
    starttls_stream(const starttls_stream&) = delete;
    starttls_stream& operator=(const starttls_stream&) = delete;

    // Reads what has arrived (decrypted after start_tls()) into `buffer`: the number of
    // octets, 0 at the end of the input and on any error.
    asio::awaitable<std::size_t> read_some(asio::mutable_buffer buffer) {
        asio::error_code error;
        auto token = asio::redirect_error(asio::use_awaitable, error);
        std::size_t n = tls_ ? co_await tls_->async_read_some(buffer, token)
                             : co_await socket_.async_read_some(buffer, token);
        co_return error ? 0 : n;
    }

    // Writes all of `bytes` (encrypted after start_tls()), however many writes it takes;
    // false when the connection failed.
    asio::awaitable<bool> write_all(std::string_view bytes) {
        asio::error_code error;
        auto token = asio::redirect_error(asio::use_awaitable, error);
        if (tls_) co_await asio::async_write(*tls_, asio::buffer(bytes), token);
        else co_await asio::async_write(socket_, asio::buffer(bytes), token);
        co_return !error;
    }

    // STARTTLS switch begin
    // STARTTLS: puts a TLS stream over the socket and runs the handshake as `role`; from
    // then on read_some() and write_all() go through it. A client names the server it
    // expects in `server_name` (SNI, unless it is an IP address). The handshake's error.
    asio::awaitable<asio::error_code> start_tls(asio::ssl::context& context,
                                                asio::ssl::stream_base::handshake_type role,
                                                const std::string& server_name = {}) {
        tls_.emplace(socket_, context);
        asio::error_code not_an_address;
        (void)asio::ip::make_address(server_name, not_an_address);
        if (!server_name.empty() && not_an_address)
            SSL_set_tlsext_host_name(tls_->native_handle(), server_name.c_str());
        asio::error_code error;
        co_await tls_->async_handshake(role, asio::redirect_error(asio::use_awaitable, error));
        co_return error;
    }
    // STARTTLS switch end

private:
    asio::ip::tcp::socket socket_;
    std::optional<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;  // engaged by start_tls()
};

#endif
