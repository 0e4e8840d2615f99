// smtpwire-serve's TLS: a server context from PEM files and non-blocking streams over sockets.
// RFC 3207 (STARTTLS), RFC 8314 §3 (implicit TLS); OpenSSL when built with SMTPWIRE_SERVE_TLS.
#ifndef SMTPWIRE_SERVE_TLS_HPP
#define SMTPWIRE_SERVE_TLS_HPP

#include <cstddef>
#include <string>

// OpenSSL's types, declared so that this header needs none of OpenSSL's.
struct ssl_ctx_st;
struct ssl_st;

namespace serve::tls {

/// True when this program was built with OpenSSL; without it, context::load() fails.
bool available() noexcept;

/// The TLS library and its version ("OpenSSL 3.0.11 19 Sep 2023"), or "built without TLS".
std::string library_version();

/// What a non-blocking TLS operation came to.
enum class status {
    ok,          // done (handshake), or some octets moved (read, write)
    want_read,   // call again once the socket is readable
    want_write,  // call again once the socket is writable
    closed,      // the peer ended the TLS session (close_notify) or closed the connection
    failed,      // a protocol or socket error; error() says which
};

/// The server's certificate and key, shared by every connection.
class context {
public:
    context() = default;
    ~context();
    context(const context&) = delete;
    context& operator=(const context&) = delete;

    /// Loads the certificate chain in `cert_file` and the private key in `key_file`
    /// (both PEM) and checks that they belong together. False (with `error`) on failure,
    /// and always when built without TLS.
    bool load(const std::string& cert_file, const std::string& key_file, std::string& error);

    bool loaded() const noexcept { return ctx_ != nullptr; }

private:
    friend class stream;
    ssl_ctx_st* ctx_ = nullptr;
};

/// One connection's TLS, server side, over a non-blocking socket it does not own.
/// Operations that return want_read or want_write are repeated when poll(2) says so;
/// octets OpenSSL has already taken from the socket are not signalled by poll(2), so
/// check has_buffered_input() before waiting to read.
class stream {
public:
    /// Starts a TLS session on `fd` with `ctx`, which must be loaded and outlive it.
    /// Check ok() afterwards.
    stream(context& ctx, int fd);
    ~stream();
    stream(const stream&) = delete;
    stream& operator=(const stream&) = delete;

    /// False when the session could not be set up (error() says why).
    bool ok() const noexcept { return ssl_ != nullptr; }

    /// One step of the server handshake: ok once it is complete.
    status handshake();

    /// Reads decrypted octets into `buf` (at most `size`), setting `got`.
    status read(char* buf, std::size_t size, std::size_t& got);

    /// Encrypts and sends octets from `data` (at most `size`), setting `sent`. After
    /// want_read or want_write, call again with the same octets first (more may follow).
    status write(const char* data, std::size_t size, std::size_t& sent);

    /// True when OpenSSL holds decrypted input not yet returned by read(): a record
    /// larger than the room read() was given.
    bool has_buffered_input() const noexcept;

    /// Sends close_notify if the socket takes it at once; never waits.
    void close_notify() noexcept;

    /// The negotiated protocol ("TLSv1.3") and cipher suite ("TLS_AES_256_GCM_SHA384"),
    /// once the handshake is complete.
    std::string protocol() const;
    std::string cipher() const;

    /// Why the last operation returned failed (OpenSSL's error queue, or errno).
    const std::string& error() const noexcept { return error_; }

private:
    status result(int rc, const char* what);

    ssl_st* ssl_ = nullptr;
    std::string error_;
};

} // namespace serve::tls

#endif
