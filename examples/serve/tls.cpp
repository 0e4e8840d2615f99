// smtpwire-serve's TLS with OpenSSL (SMTPWIRE_SERVE_TLS), or stand-ins that refuse to start it.
// RFC 3207 (STARTTLS), RFC 8314 §3 (implicit TLS) and §4.1 (TLS 1.2 or later).
#include "tls.hpp"

#ifdef SMTPWIRE_SERVE_TLS

#include <cerrno>
#include <cstring>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace serve::tls {
namespace {

// OpenSSL's queued errors as one line ("error:0A000126:SSL routines::unexpected eof
// while reading; ..."), emptying the queue; `fallback` when it was empty.
std::string queued_errors(const std::string& fallback) {
    std::string text;
    while (const unsigned long e = ERR_get_error()) {
        char line[256];
        ERR_error_string_n(e, line, sizeof line);
        if (!text.empty()) text += "; ";
        text += line;
    }
    return text.empty() ? fallback : text;
}

} // namespace

bool available() noexcept { return true; }

std::string library_version() { return OpenSSL_version(OPENSSL_VERSION); }

context::~context() { SSL_CTX_free(ctx_); }

bool context::load(const std::string& cert_file, const std::string& key_file, std::string& error) {
    ERR_clear_error();
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == nullptr) {
        error = "cannot create a TLS context: " + queued_errors("out of memory");
        return false;
    }
    // RFC 8314 §4.1: TLS 1.2 or later. No renegotiation, no sessions kept for resumption.
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    // Clients often close after QUIT without close_notify; SMTP ends its own data with
    // the final dot, so a missing close_notify truncates nothing and is read as EOF.
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 0);
    // write() may send part of the output, and the output buffer may have moved when a
    // write that wanted the socket is repeated.
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
        error = "cannot load the certificate " + cert_file + ": " + queued_errors("unknown error");
    } else if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        // Also when the key is not the certificate's ("key values mismatch").
        error = "cannot load the private key " + key_file + ": " + queued_errors("unknown error");
    } else {
        SSL_CTX_free(ctx_);
        ctx_ = ctx;
        return true;
    }
    SSL_CTX_free(ctx);
    return false;
}

stream::stream(context& ctx, int fd) {
    ERR_clear_error();
    ssl_ = SSL_new(ctx.ctx_);
    if (ssl_ != nullptr && SSL_set_fd(ssl_, fd) == 1) {
        SSL_set_accept_state(ssl_);
        return;
    }
    error_ = queued_errors("cannot create a TLS session");
    SSL_free(ssl_);
    ssl_ = nullptr;
}

stream::~stream() { SSL_free(ssl_); }

status stream::result(int rc, const char* what) {
    const int e = SSL_get_error(ssl_, rc);
    switch (e) {
    case SSL_ERROR_WANT_READ: return status::want_read;
    case SSL_ERROR_WANT_WRITE: return status::want_write;
    case SSL_ERROR_ZERO_RETURN: return status::closed;
    case SSL_ERROR_SYSCALL:
        // Nothing queued and no errno: the peer closed the connection (OpenSSL 1.1).
        if (ERR_peek_error() == 0 && errno == 0) return status::closed;
        error_ = std::string(what) + ": " + queued_errors(std::strerror(errno));
        return status::failed;
    default:
        error_ = std::string(what) + ": " + queued_errors("error " + std::to_string(e));
        return status::failed;
    }
}

status stream::handshake() {
    ERR_clear_error();
    errno = 0;
    const int rc = SSL_do_handshake(ssl_);
    return rc == 1 ? status::ok : result(rc, "handshake");
}

status stream::read(char* buf, std::size_t size, std::size_t& got) {
    ERR_clear_error();
    errno = 0;
    got = 0;
    const int rc = SSL_read_ex(ssl_, buf, size, &got);
    return rc == 1 ? status::ok : result(rc, "read");
}

status stream::write(const char* data, std::size_t size, std::size_t& sent) {
    ERR_clear_error();
    errno = 0;
    sent = 0;
    const int rc = SSL_write_ex(ssl_, data, size, &sent);
    return rc == 1 ? status::ok : result(rc, "write");
}

// SSL_pending(), not SSL_has_pending(): the latter also counts the start of a record
// whose rest is still to arrive, which read() cannot return yet, and waiting for it
// without poll() would spin. With read-ahead off (the default) OpenSSL takes no more from
// the socket than the record it decrypts, so decrypted octets are all there is to drain.
bool stream::has_buffered_input() const noexcept { return SSL_pending(ssl_) > 0; }

void stream::close_notify() noexcept {
    if (SSL_is_init_finished(ssl_) == 1) (void)SSL_shutdown(ssl_);
    ERR_clear_error();
}

std::string stream::protocol() const { return SSL_get_version(ssl_); }

std::string stream::cipher() const {
    const char* name = SSL_get_cipher_name(ssl_);
    return name != nullptr ? name : "";
}

} // namespace serve::tls

#else // !SMTPWIRE_SERVE_TLS: the TLS flags are refused before anything here is reached.

namespace serve::tls {
namespace {
const char* const unavailable = "built without TLS";
} // namespace

bool available() noexcept { return false; }
std::string library_version() { return unavailable; }
context::~context() = default;
bool context::load(const std::string&, const std::string&, std::string& error) {
    error = unavailable;
    return false;
}
stream::stream(context&, int) : error_(unavailable) {}
stream::~stream() = default;
status stream::result(int, const char*) { return status::failed; }
status stream::handshake() { return status::failed; }
status stream::read(char*, std::size_t, std::size_t& got) {
    got = 0;
    return status::failed;
}
status stream::write(const char*, std::size_t, std::size_t& sent) {
    sent = 0;
    return status::failed;
}
bool stream::has_buffered_input() const noexcept { return false; }
void stream::close_notify() noexcept {}
std::string stream::protocol() const { return ""; }
std::string stream::cipher() const { return ""; }

} // namespace serve::tls

#endif
