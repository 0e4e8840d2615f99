// smtpwire-send's TLS: an OpenSSL client connection over a non-blocking socket.
// RFC 3207 (STARTTLS), RFC 8314 §3 (implicit TLS), RFC 6125 (host name and address checks), RFC 6066 §3 (SNI).
#ifndef SMTPWIRE_SEND_TLS_HPP
#define SMTPWIRE_SEND_TLS_HPP

#include <cstddef>
#include <memory>
#include <string>

namespace sender {

/// True when smtpwire-send was built with OpenSSL (SMTPWIRE_SEND_TLS); without it every
/// TLS flag is refused and tls_client::start() fails.
#ifdef SMTPWIRE_SEND_TLS
inline constexpr bool tls_built_in = true;
#else
inline constexpr bool tls_built_in = false;
#endif

/// How the server's certificate is checked.
struct tls_settings {
    /// The server as named in --server: sent as SNI when it is a host name (never for an
    /// IP address, RFC 6066 §3), and, with `verify`, the name or address the certificate
    /// must carry (subjectAltName DNS or IP entries; the CN only without DNS entries).
    std::string host;
    /// Check the chain and the host; false encrypts without authenticating the server.
    bool verify = true;
    /// With `verify`: trust only the certificates in this PEM file. Empty: OpenSSL's
    /// default store, which the SSL_CERT_FILE and SSL_CERT_DIR variables replace.
    std::string ca_file;
};

/// What one step of the connection did.
enum class tls_io {
    done,        // the handshake completed, or `n` octets moved (at least one)
    want_read,   // call again once the socket is readable
    want_write,  // call again once the socket is writable
    closed,      // the peer ended the connection (close_notify or a plain EOF)
    failed,      // a TLS or socket error; error() says which
};

/// A TLS client on a connected non-blocking socket it does not own. Not copyable.
class tls_client {
public:
    tls_client();
    ~tls_client();
    tls_client(const tls_client&) = delete;
    tls_client& operator=(const tls_client&) = delete;

    /// Prepares a handshake on `fd` with `settings`. False, with error() set, when
    /// OpenSSL cannot be set up (an unreadable --tls-ca file, no TLS built in).
    bool start(int fd, const tls_settings& settings);

    /// Advances the handshake (SSL_connect): done once it completed and, with
    /// verification, the certificate was accepted.
    tls_io handshake();

    /// Decrypts up to `size` octets into `data`; `n` is how many on done.
    tls_io read(char* data, std::size_t size, std::size_t& n);

    /// Encrypts and sends up to `size` octets of `data`; `n` is how many were taken on
    /// done. After want_read or want_write, call again with the same octets.
    tls_io write(const char* data, std::size_t size, std::size_t& n);

    /// True when octets already received wait inside OpenSSL: read() before polling.
    [[nodiscard]] bool has_pending() const;

    /// Sends close_notify once, without waiting for the peer's.
    void shutdown();

    /// Why the last step failed, e.g. "certificate verify failed: self-signed certificate".
    [[nodiscard]] const std::string& error() const { return error_; }

    /// After the handshake: protocol, cipher and whether the certificate was verified
    /// ("TLSv1.3 TLS_AES_256_GCM_SHA384, certificate verified for mx.example.com").
    [[nodiscard]] std::string description() const;

    /// The OpenSSL version, or "built without TLS".
    static std::string library_version();

private:
    struct state;
    std::unique_ptr<state> state_;
    std::string error_;
};

} // namespace sender

#endif
