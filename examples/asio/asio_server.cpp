// asio-server: an SMTP server on 127.0.0.1:PORT with standalone Asio, one C++20 coroutine per
// connection, STARTTLS with --cert and --key; each message accepted is stored as DIR/N.eml.
#include "smtpwire/smtpwire.hpp"

#include "starttls_stream.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

using namespace smtpwire;
using asio::ip::tcp;

// Where the connections store messages; one thread runs them all, so no lock.
struct mail_store {
    std::string dir;
    unsigned begun = 0;  // messages begun so far: the next one is DIR/(begun + 1).eml
};

// Serves one connection; `tls` is null when STARTTLS is not offered.
asio::awaitable<void> serve(tcp::socket socket, mail_store& store, asio::ssl::context* tls) {
    server_config config;
    config.hostname = "localhost";
    config.limits.message_size = 64 << 20;  // announced with SIZE; larger ones are refused
    if (tls != nullptr) config.extensions.add(extension::starttls);
    server_session s(config);               // allocates its output buffer once
    input_buffer<16384> in;                 // keeps the partial line between reads
    starttls_stream stream(std::move(socket));
    std::string path;                       // where the message being received goes
    std::FILE* file = nullptr;

    for (;;) {
        server_event ev = s.next_event();
        if (std::holds_alternative<need_output>(ev)) {        // write replies first, all of them
            std::string_view out = s.output();
            if (!co_await stream.write_all(out)) break;        // the peer is gone
            s.consume_output(out.size());
        } else if (std::holds_alternative<need_data>(ev)) {   // keep the partial line, read more
            in.keep(s.unconsumed());
            std::size_t n = co_await stream.read_some(asio::buffer(in.write_data(), in.write_size()));
            if (n == 0) s.feed_eof();
            if (n > 0) {
                in.commit(n);
                (void)s.feed(in.data());
            }
        } else if (std::holds_alternative<tls_handover>(ev)) { // the 220 is written: TLS now
            asio::error_code error = co_await stream.start_tls(*tls, asio::ssl::stream_base::server);
            if (error) {
                std::fprintf(stderr, "asio-server: TLS handshake: %s\n", error.message().c_str());
                break;
            }
            (void)s.tls_established();  // read and write through TLS from now on
        } else if (std::holds_alternative<data_begin>(ev)) {  // a decision: open the file first
            path = store.dir + "/" + std::to_string(++store.begun) + ".eml";
            file = std::fopen(path.c_str(), "wb");
            if (file != nullptr) (void)s.accept();
            else (void)s.reject({451, {4, 3, 0}, "Cannot store the message"});
        } else if (auto* c = std::get_if<body_chunk>(&ev)) {  // a view into `in`: no copy made
            if (file != nullptr) std::fwrite(c->bytes.data(), 1, c->bytes.size(), file);
        } else if (std::holds_alternative<message_end>(ev)) { // the final dot: keep, then say so
            bool ok = file != nullptr && std::ferror(file) == 0;
            if (file != nullptr && std::fclose(file) != 0) ok = false;
            file = nullptr;
            if (ok) {
                (void)s.accept();
            } else {
                std::remove(path.c_str());
                (void)s.reject({451, {4, 3, 0}, "Cannot store the message"});
            }
        } else if (std::holds_alternative<message_aborted>(ev) && file != nullptr) {  // too large, hang-up
            std::fclose(file);
            std::remove(path.c_str());
            file = nullptr;
        } else if (std::holds_alternative<closed>(ev)) {
            break;
        } else if (is_decision(ev)) {  // client_connected, hello, mail_from, rcpt_to, starttls, ...
            (void)s.accept();
        }
    }
    if (file != nullptr) {  // the connection failed during DATA
        std::fclose(file);
        std::remove(path.c_str());
    }
}

// Accepts connections for ever, each served by its own coroutine.
asio::awaitable<void> listen(tcp::acceptor acceptor, mail_store& store, asio::ssl::context* tls) {
    for (;;) {
        tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
        asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), store, tls), asio::detached);
    }
}

int main(int argc, char** argv) {
    bool with_tls = argc == 7 && std::strcmp(argv[3], "--cert") == 0 && std::strcmp(argv[5], "--key") == 0;
    if (argc != 3 && !with_tls) {
        std::fprintf(stderr, "usage: asio-server PORT DIR [--cert FILE --key FILE]\n");
        return 2;
    }
    mail_store store{argv[2]};
    try {
        asio::ssl::context tls(asio::ssl::context::tls_server);
        if (with_tls) {  // TLS 1.2 or later (RFC 8314 §4.1); loading throws on a bad file
            tls.set_options(asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
            tls.use_certificate_chain_file(argv[4]);
            tls.use_private_key_file(argv[6], asio::ssl::context::pem);
        }
        asio::io_context io;
        auto port = static_cast<asio::ip::port_type>(std::atoi(argv[1]));
        tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), port});  // SO_REUSEADDR set
        asio::co_spawn(io, listen(std::move(acceptor), store, with_tls ? &tls : nullptr),
                       [](std::exception_ptr error) { if (error) std::rethrow_exception(error); });
        io.run();  // for ever: only a failed accept ends it, with its exception
    } catch (const std::exception& error) {
        std::fprintf(stderr, "asio-server: %s\n", error.what());
    }
    return 1;
}
