// smtpwire-send's connection: a blocking-style loop over a non-blocking socket and poll(2).
// RFC 5321 §3.3, §4.2.5 (replies after DATA), §4.5.3.2 (timeouts); RFC 1870, 2920, 6152, 6531;
// RFC 3207 and 8314 (STARTTLS and implicit TLS), RFC 4954 (AUTH), RFC 7628 §3.1 (OAUTHBEARER);
// RFC 3461 (DSN requests).
#include "client.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string_view>
#include <variant>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "../common/cli.hpp"
#include "smtpwire/ascii.hpp"
#include "smtpwire/client_session.hpp"
#include "smtpwire/enhanced_status.hpp"
#include "smtpwire/input_buffer.hpp"
#include "tls.hpp"

namespace sender {
namespace {

using clock = std::chrono::steady_clock;

// Prints a byte stream to stderr one line at a time, each after `prefix`, without the
// line's CRLF. While hide_credentials() is on, the AUTH exchange is shown without them:
// "AUTH PLAIN [hidden]" and "[hidden]" for each response line.
class dialogue_log {
public:
    dialogue_log(bool enabled, const char* prefix) : enabled_(enabled), prefix_(prefix) {}
    ~dialogue_log() {
        if (!line_.empty()) print();
    }
    dialogue_log(const dialogue_log&) = delete;
    dialogue_log& operator=(const dialogue_log&) = delete;

    void hide_credentials(bool on) { hide_ = on; }

    void add(std::string_view bytes) {
        if (!enabled_) return;
        for (char c : bytes) {
            if (c == '\n') {
                if (!line_.empty() && line_.back() == '\r') line_.pop_back();
                print();
            } else {
                line_ += c;
            }
        }
    }

private:
    void print() {
        if (hide_) hide();
        std::fprintf(stderr, "%s%s\n", prefix_, line_.c_str());
        line_.clear();
    }

    // Before the session is ready the client sends EHLO, HELO, STARTTLS, AUTH, QUIT and
    // the AUTH responses: everything else, and AUTH's initial response, is a secret.
    void hide() {
        const std::string_view line = line_;
        const auto is = [&](std::string_view verb) {
            return line.size() >= verb.size() && smtpwire::ascii::iequals(line.substr(0, verb.size()), verb);
        };
        if (is("EHLO ") || is("HELO ") || line == "STARTTLS" || line == "QUIT" || line == "*") return;
        if (is("AUTH ")) {
            const std::size_t space = line.find(' ', 5);
            if (space != std::string_view::npos) line_.replace(space, std::string::npos, " [hidden]");
            return;
        }
        line_ = "[hidden]";
    }

    bool enabled_;
    const char* prefix_;
    bool hide_ = false;
    std::string line_;
};

bool has_non_ascii(std::string_view s) {
    return std::any_of(s.begin(), s.end(), smtpwire::ascii::is_non_ascii);
}

verdict to_verdict(const smtpwire::reply_info& r) {
    char status[smtpwire::max_enhanced_status_length];
    const std::size_t n = smtpwire::format_enhanced_status(r.status, status);
    return {r.code, std::string(status, n), std::string(r.text)};
}

smtpwire::tls_policy to_policy(starttls_mode m) {
    switch (m) {
    case starttls_mode::none: return smtpwire::tls_policy::none;
    case starttls_mode::opportunistic: return smtpwire::tls_policy::opportunistic;
    case starttls_mode::required: return smtpwire::tls_policy::required;
    }
    return smtpwire::tls_policy::required;
}

// 24 random octets from the kernel for SCRAM's client nonce; empty (no SCRAM) if it has
// none to give.
std::string scram_nonce() {
    std::string nonce(24, '\0');
    if (::getrandom(nonce.data(), nonce.size(), 0) != static_cast<ssize_t>(nonce.size())) nonce.clear();
    return nonce;
}

// The session's configuration. Its strings are copied at construction; `nonce` is
// SCRAM's randomness.
smtpwire::client_config make_config(const options& opt, const std::string& helo, const std::string& nonce) {
    smtpwire::client_config config;
    config.helo_name = helo;
    if (opt.timeout) {
        const std::chrono::milliseconds t = *opt.timeout;
        config.timeouts = {t, t, t, t, t, t, t};
    }
    config.bdat = opt.bdat;
    config.lmtp = opt.lmtp;
    config.implicit_tls = opt.implicit_tls;
    config.starttls = opt.implicit_tls ? smtpwire::tls_policy::none : to_policy(opt.starttls);
    if (opt.auth_user) {
        config.auth.user = *opt.auth_user;
        if (opt.auth_password) {
            config.auth.password = *opt.auth_password;
            config.auth.nonce = nonce;
        } else {
            config.auth.token = opt.auth_token;
            // OAUTHBEARER names the server as the client knows it: as --server does.
            config.auth.oauth_host = opt.server_host;
            (void)cli::parse_number(opt.server_port, config.auth.oauth_port);
        }
        smtpwire::sasl::mechanism forced{};
        if (opt.auth_mechanism && smtpwire::sasl::parse_mechanism(*opt.auth_mechanism, forced))
            config.auth.mechanisms = {forced};
        // Asked to authenticate with a password without requiring TLS: do so in clear
        // when no TLS is to be had, as swaks, curl and smtplib do (with a warning, see
        // write_output()). A bearer token never: RFC 6750 §5.3 requires TLS for it.
        config.auth.allow_in_clear = opt.auth_password && !opt.implicit_tls &&
                                     opt.starttls != starttls_mode::required;
    }
    return config;
}

// What the server's EHLO reply offered for AUTH, as "AUTH PLAIN LOGIN", or "no AUTH".
std::string offered_auth(const smtpwire::capabilities& caps) {
    std::string list;
    for (unsigned v = 0;; ++v) {
        const auto m = static_cast<smtpwire::sasl::mechanism>(v);
        const std::string_view name = to_string(m);
        if (name.empty()) break;
        if (caps.has_auth(m)) list += " " + std::string(name);
    }
    if (!list.empty()) return "AUTH" + list;
    return caps.has(smtpwire::extension::auth) ? "AUTH with no mechanism this client knows"
                                               : "no AUTH";
}

// One connection and its session, from connect() to the end of QUIT.
class delivery {
public:
    delivery(const options& opt, const std::string& helo, const outgoing& message)
        : opt_(opt),
          message_(message),
          session_(make_config(opt, helo, scram_nonce())),
          rcpt_replies_(opt.recipients.size()),
          delivery_replies_(opt.recipients.size()),
          sent_log_(opt.verbose, "C: "),
          received_log_(opt.verbose, "S: ") {
        // The session sends the DSN requests only when the server offers DSN.
        for (const recipient& r : opt.recipients)
            envelope_recipients_.push_back({r.address, {}, opt.notify, opt.orcpt});
        envelope_.sender = *opt.from;
        envelope_.options = transaction_options();
        envelope_.recipients = envelope_recipients_.data();
        envelope_.recipient_count = envelope_recipients_.size();
        sent_log_.hide_credentials(opt.auth_user.has_value());
    }

    ~delivery() {
        if (fd_ >= 0) ::close(fd_);
    }
    delivery(const delivery&) = delete;
    delivery& operator=(const delivery&) = delete;

    report run() {
        if (!connect()) return {{}, error_, EX_TEMPFAIL};
        // Implicit TLS (RFC 8314 §3): the handshake comes before the greeting.
        if (opt_.implicit_tls && !handshake()) {
            failure_kind_ = smtpwire::client_error::tls_failed;
            failure_what_ = "TLS handshake failed: " + tls_error_;
            failure_ = verdict{0, {}, failure_what_};
            return finish();
        }
        while (status_ == 0) {
            const smtpwire::client_event ev = session_.next_event();
            if (std::holds_alternative<smtpwire::closed>(ev)) break;
            if (std::holds_alternative<smtpwire::need_output>(ev))
                write_output();
            else if (std::holds_alternative<smtpwire::need_data>(ev))
                read_input();
            else if (const auto* h = std::get_if<smtpwire::tls_handover>(&ev))
                start_tls(*h);
            else
                handle(ev);
            issue_commands();
        }
        if (tls_on_) tls_.shutdown();  // close_notify, not waiting for the server's
        return finish();
    }

private:
    // Connects to the first address of the server that accepts, waiting as long as for
    // the greeting.
    bool connect() {
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_NUMERICSERV;
        addrinfo* found = nullptr;
        if (const int rc = ::getaddrinfo(opt_.server_host.c_str(), opt_.server_port.c_str(),
                                         &hints, &found);
            rc != 0) {
            error_ = "cannot resolve " + opt_.server_host + ": " + ::gai_strerror(rc);
            return false;
        }
        int last_error = 0;
        for (const addrinfo* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
            fd_ = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
            if (fd_ < 0) {
                last_error = errno;
                continue;
            }
            const int flags = ::fcntl(fd_, F_GETFL);
            if (flags < 0 || ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK) != 0 ||
                ::fcntl(fd_, F_SETFD, FD_CLOEXEC) != 0)
                last_error = errno;
            else
                last_error = ::connect(fd_, a->ai_addr, a->ai_addrlen) == 0 ? 0 : connect_error();
            if (last_error != 0) {
                ::close(fd_);
                fd_ = -1;
            }
        }
        ::freeaddrinfo(found);
        if (fd_ < 0) {
            const std::string& host = opt_.server_host;
            const bool ipv6 = host.find(':') != std::string::npos;
            error_ = "cannot connect to " + (ipv6 ? "[" + host + "]" : host) + ":" +
                     opt_.server_port + ": " + std::strerror(last_error);
        }
        return fd_ >= 0;
    }

    // After connect() failed with errno: 0 once an asynchronous connect completed, else
    // the error.
    int connect_error() {
        if (errno != EINPROGRESS) return errno;
        pollfd p{fd_, POLLOUT, 0};
        const auto limit = session_.current_timeout().duration;
        const int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(limit.count(), INT_MAX)));
        if (rc < 0) return errno;
        if (rc == 0) return ETIMEDOUT;
        int so_error = 0;
        socklen_t len = sizeof so_error;
        if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) return errno;
        return so_error;
    }

    // Waits until the socket is ready for `events` or the session's current timeout
    // expires; then tells the session and returns false.
    bool wait(short events) {
        const smtpwire::timeout t = session_.current_timeout();
        int ms = -1;
        if (t.kind != smtpwire::timeout_kind::none) {
            if (!deadline_ || t.epoch != timer_epoch_) {
                deadline_ = clock::now() + t.duration;
                timer_epoch_ = t.epoch;
            }
            const auto left =
                std::chrono::ceil<std::chrono::milliseconds>(*deadline_ - clock::now()).count();
            ms = static_cast<int>(std::clamp<long long>(left, 0, INT_MAX));
        }
        pollfd p{fd_, events, 0};
        const int rc = ::poll(&p, 1, ms);
        if (rc != 0) return true;  // ready, or poll failed (EINTR): send or recv tells
        deadline_.reset();
        session_.timed_out(timer_epoch_);
        discard_output_ = true;
        return false;
    }

    // The session handed the connection over after the 220 to STARTTLS; all output
    // before it is written in clear. Reply octets that followed the 220 were dropped.
    void start_tls(const smtpwire::tls_handover& h) {
        if (h.discarded != 0)
            std::fprintf(stderr,
                         "smtpwire-send: warning: %zu octets the server sent in clear after its "
                         "220 to STARTTLS were discarded\n",
                         h.discarded);
        if (handshake()) {
            check("tls_established", session_.tls_established());
        } else {
            check("tls_failed", session_.tls_failed());
        }
    }

    // Runs the TLS handshake to its end, within the command timeout (RFC 5321
    // §4.5.3.2.7's 5 minutes, or --timeout). False, with tls_error_ set, on failure.
    bool handshake() {
        tls_settings settings;
        settings.host = opt_.server_host;
        settings.verify = (opt_.implicit_tls || opt_.starttls == starttls_mode::required) &&
                          !opt_.tls_no_verify;
        settings.ca_file = opt_.tls_ca.value_or(std::string());
        if (!tls_.start(fd_, settings)) {
            tls_error_ = tls_.error();
            return false;
        }
        const auto limit = opt_.timeout ? std::chrono::milliseconds(*opt_.timeout)
                                        : smtpwire::client_timeouts{}.command;
        const clock::time_point deadline = clock::now() + limit;
        for (;;) {
            short events = 0;
            switch (tls_.handshake()) {
            case tls_io::done:
                tls_on_ = true;
                if (opt_.verbose) std::fprintf(stderr, "* TLS: %s\n", tls_.description().c_str());
                return true;
            case tls_io::want_read: events = POLLIN; break;
            case tls_io::want_write: events = POLLOUT; break;
            case tls_io::closed:
            case tls_io::failed:
                tls_error_ = tls_.error();
                return false;
            }
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
            pollfd p{fd_, events, 0};
            if (left.count() <= 0 ||
                ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), INT_MAX))) == 0) {
                tls_error_ = "no answer within " + std::to_string(limit.count() / 1000) + " s";
                return false;
            }
        }
    }

    // How far one send or receive got.
    enum class step { moved, wait_read, wait_write, eof, error };

    // Sends some of `out` over the socket or TLS; `n` octets on moved.
    step send_some(std::string_view out, std::size_t& n, std::string& error) {
        n = 0;
        if (tls_on_) {
            const tls_io r = tls_.write(out.data(), out.size(), n);
            if (r == tls_io::done) return step::moved;
            if (r == tls_io::want_read) return step::wait_read;
            if (r == tls_io::want_write) return step::wait_write;
            error = tls_.error();
            return step::error;
        }
        for (;;) {
            const ssize_t sent = ::send(fd_, out.data(), out.size(), 0);
            if (sent > 0) {
                n = static_cast<std::size_t>(sent);
                return step::moved;
            }
            if (sent < 0 && errno == EINTR) continue;
            if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return step::wait_write;
            error = std::strerror(sent < 0 ? errno : EPIPE);
            return step::error;
        }
    }

    // Receives into `data` from the socket or TLS; `n` octets on moved.
    step receive_some(char* data, std::size_t size, std::size_t& n, std::string& error) {
        n = 0;
        if (tls_on_) {
            switch (tls_.read(data, size, n)) {
            case tls_io::done: return step::moved;
            case tls_io::want_read: return step::wait_read;
            case tls_io::want_write: return step::wait_write;
            case tls_io::closed: return step::eof;
            case tls_io::failed: break;
            }
            error = tls_.error();
            return step::error;
        }
        for (;;) {
            const ssize_t got = ::recv(fd_, data, size, 0);
            if (got > 0) {
                n = static_cast<std::size_t>(got);
                return step::moved;
            }
            if (got == 0) return step::eof;
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return step::wait_read;
            error = std::strerror(errno);
            return step::error;
        }
    }

    void write_output() {
        for (std::string_view out = session_.output(); !out.empty(); out = session_.output()) {
            if (discard_output_) {
                session_.consume_output(out.size());
                return;
            }
            warn_if_auth_in_clear(out);
            std::size_t n = 0;
            std::string error;
            switch (send_some(out, n, error)) {
            case step::moved:
                sent_log_.add(out.substr(0, n));
                session_.consume_output(n);
                break;
            case step::wait_read:
                if (!wait(POLLIN)) return;
                break;
            case step::wait_write:
                if (!wait(POLLOUT)) return;
                break;
            case step::eof:
            case step::error:
                // The server's last words, if any, may still be readable.
                write_error_ = "write error: " + error;
                discard_output_ = true;
                break;
            }
        }
    }

    // The session writes AUTH itself once EHLO is answered; without TLS a password then
    // goes in clear (allowed unless --starttls required or --tls; a token never is).
    void warn_if_auth_in_clear(std::string_view out) {
        if (auth_warned_ || tls_on_ || !opt_.auth_user || out.substr(0, 5) != "AUTH ") return;
        auth_warned_ = true;
        std::string_view mechanism = out.substr(5);
        mechanism = mechanism.substr(0, mechanism.find_first_of(" \r"));
        std::fprintf(stderr, "smtpwire-send: warning: no TLS: sending the password in clear (AUTH %.*s)\n",
                     static_cast<int>(mechanism.size()), mechanism.data());
    }

    void read_input() {
        // Octets OpenSSL already holds are read without waiting for the socket.
        const bool buffered = tls_on_ && tls_.has_pending();
        if (!buffered && !wait(read_waits_for_write_ ? POLLOUT : POLLIN)) return;
        read_waits_for_write_ = false;
        in_.keep(session_.unconsumed());
        std::size_t n = 0;
        std::string error;
        const step s = receive_some(in_.write_data(), in_.write_size(), n, error);
        if (s == step::error) read_error_ = "read error: " + error;
        if (s == step::wait_write) read_waits_for_write_ = true;  // TLS has to send first
        if (s == step::moved) {
            received_log_.add(std::string_view(in_.write_data(), n));
            in_.commit(n);
        }
        // The tail kept at need_data, then the new bytes.
        check("feed", session_.feed(in_.data()));
        if (s == step::eof || s == step::error) session_.feed_eof();
    }

    void handle(const smtpwire::client_event& ev) {
        if (std::holds_alternative<smtpwire::ready>(ev)) {
            ready_ = true;
            sent_log_.hide_credentials(false);
        } else if (const auto* r = std::get_if<smtpwire::command_reply>(&ev)) {
            on_reply(*r);
        } else if (std::holds_alternative<smtpwire::transaction_done>(ev)) {
            transaction_done_ = true;
        } else if (const auto* f = std::get_if<smtpwire::client_failure>(&ev)) {
            sent_log_.hide_credentials(false);
            failure_kind_ = f->what;
            failure_what_ = describe(*f);
            failure_ = f->reply.code != 0 ? to_verdict(f->reply) : verdict{0, {}, failure_what_};
        }
    }

    // What went wrong, with what the command line and the server said about it.
    std::string describe(const smtpwire::client_failure& f) const {
        std::string what(to_string(f.what));
        switch (f.what) {
        case smtpwire::client_error::tls_unavailable:
            return what + " (--starttls required)";
        case smtpwire::client_error::tls_failed:
            return what + (tls_error_.empty() ? "" : ": " + tls_error_);
        case smtpwire::client_error::auth_unavailable: {
            what += ": the server offers " + offered_auth(session_.server_capabilities());
            if (!session_.tls_active()) what += " without TLS";
            if (opt_.auth_mechanism) what += ", and --auth-mech asks for " + *opt_.auth_mechanism;
            return what;
        }
        default:
            return what;
        }
    }

    void on_reply(const smtpwire::command_reply& r) {
        switch (r.command) {
        case smtpwire::verb::mail:
            if (r.reply.result() != smtpwire::outcome::success) mail_failure_ = to_verdict(r.reply);
            break;
        case smtpwire::verb::rcpt:
            if (r.index < rcpt_replies_.size()) rcpt_replies_[r.index] = to_verdict(r.reply);
            break;
        case smtpwire::verb::data:
            if (r.after_content && opt_.lmtp)
                on_delivery_reply(r);
            else if (r.after_content)
                final_reply_ = to_verdict(r.reply);
            else if (r.reply.code != 354)
                data_failure_ = to_verdict(r.reply);
            break;
        case smtpwire::verb::bdat:  // the first refused chunk decides; no chunk follows it
            if (r.after_content && opt_.lmtp && !data_failure_)
                on_delivery_reply(r);
            else if (r.after_content && !data_failure_)
                final_reply_ = to_verdict(r.reply);
            else if (r.reply.result() != smtpwire::outcome::success && !data_failure_)
                data_failure_ = to_verdict(r.reply);
            break;
        default:
            break;
        }
    }

    // LMTP: the reply after the content for the index-th recipient that RCPT accepted
    // (every RCPT reply is in by then: they come before DATA's, and LMTP's LAST chunk waits
    // for them).
    void on_delivery_reply(const smtpwire::command_reply& r) {
        std::size_t accepted = 0;
        for (std::size_t i = 0; i < rcpt_replies_.size(); ++i) {
            if (!rcpt_replies_[i] || rcpt_replies_[i]->code / 100 != 2) continue;
            if (accepted++ != r.index) continue;
            delivery_replies_[i] = to_verdict(r.reply);
            return;
        }
    }

    // Starts the message once EHLO is done (send_mail() then issues every RCPT, DATA
    // and the content by itself), and QUITs once the transaction is done.
    void issue_commands() {
        if (!ready_ || quit_sent_ || discard_output_ || failure_ || status_ != 0) return;
        if (!mail_sent_ && !refused_) {
            const smtpwire::errc e = session_.send_mail(envelope_, message_.content);
            mail_sent_ = e == smtpwire::errc::ok;
            if (e != smtpwire::errc::ok && e != smtpwire::errc::output_full) refuse_locally(e);
        }
        if ((transaction_done_ || refused_) && session_.can_send()) {
            const smtpwire::errc e = session_.quit();
            quit_sent_ = e == smtpwire::errc::ok;
            if (e != smtpwire::errc::output_full) check("quit", e);
        }
    }

    smtpwire::mail_options transaction_options() const {
        smtpwire::mail_options o;
        o.size = message_.wire_size;
        if (message_.eight_bit) o.body = smtpwire::body_type::eight_bit_mime;
        o.smtputf8 = has_non_ascii(*opt_.from) ||
                     std::any_of(opt_.recipients.begin(), opt_.recipients.end(),
                                 [](const recipient& r) { return has_non_ascii(r.address); });
        o.ret = opt_.ret;
        o.envid = opt_.envid;
        return o;
    }

    // The message was refused before MAIL was sent: the server cannot take it.
    void refuse_locally(smtpwire::errc e) {
        const smtpwire::capabilities& caps = session_.server_capabilities();
        if (e == smtpwire::errc::too_large) {
            error_ = "the message (" + std::to_string(message_.wire_size) +
                     " octets) is larger than the server's SIZE limit of " +
                     std::to_string(caps.size_limit()) + " octets";
        } else if (e == smtpwire::errc::not_supported) {
            if (opt_.bdat == smtpwire::bdat_policy::always && !caps.has(smtpwire::extension::chunking))
                error_ = "--bdat always and the server does not offer CHUNKING";
            else if (message_.eight_bit && !caps.has(smtpwire::extension::eight_bit_mime))
                error_ = "the message has 8-bit content and the server does not offer 8BITMIME";
            else
                error_ = "an address is not ASCII and the server does not offer SMTPUTF8";
        } else {
            check("send_mail", e);
            return;
        }
        refused_ = true;
    }

    // A call the loop only makes when the session allows it was refused: a bug here.
    void check(const char* call, smtpwire::errc e) {
        if (e == smtpwire::errc::ok || status_ != 0) return;
        error_ = std::string("bug: ") + call + " refused: " + std::string(to_string(e));
        status_ = EX_SOFTWARE;
    }

    // What decided recipient `i`: MAIL's failure, its RCPT's failure, DATA's failure, the
    // reply after the content (with LMTP its own), or whatever ended the session before
    // any of them.
    verdict verdict_for(std::size_t i) const {
        if (mail_failure_) return *mail_failure_;
        const std::optional<verdict>& rcpt = rcpt_replies_[i];
        if (rcpt && rcpt->code / 100 != 2) return *rcpt;
        if (rcpt && data_failure_) return *data_failure_;
        if (rcpt && final_reply_) return *final_reply_;
        if (rcpt && delivery_replies_[i]) return *delivery_replies_[i];
        if (failure_) return *failure_;
        return {0, {}, "not sent"};
    }

    // The exit status for a session that failed before MAIL: a refusal by its reply's
    // class; a missing STARTTLS or AUTH permanent (the server will not change by itself);
    // a failed handshake or anything else transient.
    int failure_status() const {
        if (!failure_ || !failure_kind_) return EX_TEMPFAIL;
        switch (*failure_kind_) {
        case smtpwire::client_error::tls_unavailable:
        case smtpwire::client_error::auth_unavailable:
            return EX_UNAVAILABLE;
        case smtpwire::client_error::tls_failed:
            return EX_TEMPFAIL;
        default:
            return failure_->code >= 500 ? EX_UNAVAILABLE : EX_TEMPFAIL;
        }
    }

    report finish() {
        report r;
        if (status_ != 0) {
            r.status = status_;
            r.error = error_;
            return r;
        }
        const std::string& io_error = !write_error_.empty() ? write_error_ : read_error_;
        if (failure_) r.error = failure_what_ + (io_error.empty() ? "" : " (" + io_error + ")");
        if (refused_) {
            r.error = error_;
            r.status = EX_UNAVAILABLE;
            return r;
        }
        if (!mail_sent_) {
            if (r.error.empty()) r.error = "the session ended before the transaction";
            r.status = failure_status();
            if (failure_ && failure_->code != 0)
                r.error += ": " + std::to_string(failure_->code) + " " + failure_->text;
            return r;
        }
        bool transient = false;
        bool permanent = false;
        for (std::size_t i = 0; i < opt_.recipients.size(); ++i) {
            r.recipients.push_back(verdict_for(i));
            const std::uint16_t code = r.recipients.back().code;
            transient = transient || code < 200 || (code >= 400 && code < 500);
            permanent = permanent || code >= 500;
        }
        r.status = transient ? EX_TEMPFAIL : permanent ? EX_UNAVAILABLE : 0;
        return r;
    }

    const options& opt_;
    const outgoing& message_;
    std::vector<smtpwire::recipient> envelope_recipients_;  // borrowed by send_mail()
    smtpwire::envelope envelope_;
    smtpwire::client_session session_;
    int fd_ = -1;
    tls_client tls_;
    bool tls_on_ = false;              // reads and writes go through tls_
    bool read_waits_for_write_ = false;
    bool auth_warned_ = false;
    std::string tls_error_;
    smtpwire::input_buffer<8192> in_;
    std::optional<clock::time_point> deadline_;
    std::uint64_t timer_epoch_ = 0;

    bool ready_ = false;
    bool mail_sent_ = false;
    bool refused_ = false;
    bool transaction_done_ = false;
    bool quit_sent_ = false;
    bool discard_output_ = false;

    std::optional<verdict> mail_failure_;
    std::vector<std::optional<verdict>> rcpt_replies_;
    std::optional<verdict> data_failure_;
    std::optional<verdict> final_reply_;
    std::vector<std::optional<verdict>> delivery_replies_;  // LMTP: per recipient, after the content
    std::optional<verdict> failure_;
    std::optional<smtpwire::client_error> failure_kind_;
    std::string failure_what_;
    std::string write_error_;
    std::string read_error_;
    std::string error_;
    int status_ = 0;  // set when the run must stop at once (a bug)

    dialogue_log sent_log_;
    dialogue_log received_log_;
};

} // namespace

report deliver(const options& opt, const std::string& helo, const outgoing& message) {
    delivery d(opt, helo, message);
    return d.run();
}

} // namespace sender
