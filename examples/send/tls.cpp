// smtpwire-send's TLS with OpenSSL: context, verification, handshake, reads and writes.
// RFC 3207, RFC 8314 §3, RFC 6125 §6 (identity checks), RFC 6066 §3 (server_name); RFC 8996 (TLS ≥ 1.2).
#include "tls.hpp"

#ifdef SMTPWIRE_SEND_TLS

#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace sender {
namespace {

struct ctx_free {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct ssl_free {
    void operator()(SSL* s) const { SSL_free(s); }
};

bool is_ip_address(const std::string& host) {
    in_addr v4{};
    in6_addr v6{};
    return ::inet_pton(AF_INET, host.c_str(), &v4) == 1 || ::inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

// OpenSSL's error queue as one line ("unsupported protocol; ..."), emptying it.
std::string take_errors() {
    std::string out;
    for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
        if (!out.empty()) out += "; ";
        if (const char* reason = ERR_reason_error_string(e)) {
            out += reason;
        } else {
            char text[256];
            ERR_error_string_n(e, text, sizeof text);
            out += text;
        }
    }
    return out;
}

} // namespace

struct tls_client::state {
    std::unique_ptr<SSL_CTX, ctx_free> ctx;
    std::unique_ptr<SSL, ssl_free> ssl;
    tls_settings settings;
    bool fatal = false;     // SSL_shutdown() must not follow a fatal error
    bool shut_down = false;
};

tls_client::tls_client() = default;
tls_client::~tls_client() = default;

bool tls_client::start(int fd, const tls_settings& settings) {
    ERR_clear_error();
    auto s = std::make_unique<state>();
    s->settings = settings;
    s->ctx.reset(SSL_CTX_new(TLS_client_method()));
    if (!s->ctx) {
        error_ = "cannot set up TLS: " + take_errors();
        return false;
    }
    SSL_CTX* ctx = s->ctx.get();
    (void)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    // A write may take part of the output, and a retry may come from a buffer that moved.
    (void)SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    // SMTP ends with QUIT and its reply: a server that closes without close_notify
    // truncates nothing, and many do.
    (void)SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
    if (settings.verify) {
        const int loaded = settings.ca_file.empty()
                               ? SSL_CTX_set_default_verify_paths(ctx)
                               : SSL_CTX_load_verify_locations(ctx, settings.ca_file.c_str(), nullptr);
        if (loaded != 1) {
            error_ = settings.ca_file.empty() ? "cannot load the default certificate store: "
                                              : "cannot load " + settings.ca_file + ": ";
            error_ += take_errors();
            return false;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    }

    s->ssl.reset(SSL_new(ctx));
    SSL* ssl = s->ssl.get();
    if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
        error_ = "cannot set up TLS: " + take_errors();
        return false;
    }
    const bool address = is_ip_address(settings.host);
    // RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted" as a server_name.
    if (!address && SSL_set_tlsext_host_name(ssl, settings.host.c_str()) != 1) {
        error_ = "cannot send the server name " + settings.host + ": " + take_errors();
        return false;
    }
    if (settings.verify) {
        int set = 0;
        if (address) {
            set = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), settings.host.c_str());
        } else {
            SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            set = SSL_set1_host(ssl, settings.host.c_str());
        }
        if (set != 1) {
            error_ = "cannot check the certificate for " + settings.host + ": " + take_errors();
            return false;
        }
    }
    SSL_set_connect_state(ssl);
    state_ = std::move(s);
    error_.clear();
    return true;
}

namespace {

// What SSL_get_error() says about a call that returned `rc`, with `error` set on failure.
// With `verifying`, a failed certificate check is named (without, the handshake went on
// whatever the check found, so it cannot be the reason).
tls_io classify(SSL* ssl, int rc, int saved_errno, bool verifying, bool& fatal, std::string& error) {
    switch (SSL_get_error(ssl, rc)) {
    case SSL_ERROR_WANT_READ: return tls_io::want_read;
    case SSL_ERROR_WANT_WRITE: return tls_io::want_write;
    case SSL_ERROR_ZERO_RETURN: return tls_io::closed;
    case SSL_ERROR_SYSCALL: {
        fatal = true;
        std::string queued = take_errors();
        if (queued.empty() && saved_errno == 0) return tls_io::closed;  // EOF (OpenSSL 1.1)
        error = !queued.empty() ? queued : std::strerror(saved_errno);
        return tls_io::failed;
    }
    default: {
        fatal = true;
        const long verified = verifying ? SSL_get_verify_result(ssl) : X509_V_OK;
        std::string queued = take_errors();
        if (verified != X509_V_OK) {
            error = std::string("certificate verify failed: ") +
                    X509_verify_cert_error_string(verified);
        } else {
            error = queued.empty() ? "TLS error" : queued;
        }
        return tls_io::failed;
    }
    }
}

} // namespace

tls_io tls_client::handshake() {
    if (!state_) return tls_io::failed;
    ERR_clear_error();
    errno = 0;
    const int rc = SSL_connect(state_->ssl.get());
    if (rc == 1) return tls_io::done;
    const bool verifying = state_->settings.verify;
    const tls_io r = classify(state_->ssl.get(), rc, errno, verifying, state_->fatal, error_);
    if (r == tls_io::closed) {
        state_->fatal = true;
        error_ = "the server closed the connection during the handshake";
        return tls_io::failed;
    }
    if (r == tls_io::failed && verifying && SSL_get_verify_result(state_->ssl.get()) != X509_V_OK)
        error_ += " (" + state_->settings.host + ")";
    return r;
}

tls_io tls_client::read(char* data, std::size_t size, std::size_t& n) {
    n = 0;
    if (!state_) return tls_io::failed;
    ERR_clear_error();
    errno = 0;
    const int rc = SSL_read_ex(state_->ssl.get(), data, size, &n);
    if (rc == 1) return tls_io::done;
    return classify(state_->ssl.get(), rc, errno, false, state_->fatal, error_);
}

tls_io tls_client::write(const char* data, std::size_t size, std::size_t& n) {
    n = 0;
    if (!state_) return tls_io::failed;
    ERR_clear_error();
    errno = 0;
    const int rc = SSL_write_ex(state_->ssl.get(), data, size, &n);
    if (rc == 1) return tls_io::done;
    const tls_io r = classify(state_->ssl.get(), rc, errno, false, state_->fatal, error_);
    if (r != tls_io::closed) return r;
    error_ = "the server closed the TLS connection";
    return tls_io::failed;
}

bool tls_client::has_pending() const {
    return state_ && (SSL_has_pending(state_->ssl.get()) == 1 || SSL_pending(state_->ssl.get()) > 0);
}

void tls_client::shutdown() {
    if (!state_ || state_->fatal || state_->shut_down || !SSL_is_init_finished(state_->ssl.get()))
        return;
    state_->shut_down = true;
    ERR_clear_error();
    (void)SSL_shutdown(state_->ssl.get());
    ERR_clear_error();
}

std::string tls_client::description() const {
    if (!state_) return {};
    SSL* ssl = state_->ssl.get();
    std::string d = SSL_get_version(ssl);
    if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl)) {
        d += ' ';
        d += SSL_CIPHER_get_name(cipher);
    }
    d += state_->settings.verify ? ", certificate verified for " + state_->settings.host
                                 : std::string(", certificate not verified");
    return d;
}

std::string tls_client::library_version() { return OpenSSL_version(OPENSSL_VERSION); }

} // namespace sender

#else // !SMTPWIRE_SEND_TLS

namespace sender {

struct tls_client::state {};

tls_client::tls_client() = default;
tls_client::~tls_client() = default;

bool tls_client::start(int, const tls_settings&) {
    error_ = "built without TLS";
    return false;
}
tls_io tls_client::handshake() { return tls_io::failed; }
tls_io tls_client::read(char*, std::size_t, std::size_t& n) {
    n = 0;
    return tls_io::failed;
}
tls_io tls_client::write(const char*, std::size_t, std::size_t& n) {
    n = 0;
    return tls_io::failed;
}
bool tls_client::has_pending() const { return false; }
void tls_client::shutdown() {}
std::string tls_client::description() const { return {}; }
std::string tls_client::library_version() { return "built without TLS"; }

} // namespace sender

#endif
