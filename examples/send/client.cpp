// smtpwire-send's connection: a blocking-style loop over a non-blocking socket and poll(2).
// RFC 5321 §3.3, §4.2.5 (replies after DATA), §4.5.3.2 (timeouts); RFC 1870, 2920, 6152, 6531.
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
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "smtpwire/ascii.hpp"
#include "smtpwire/client_session.hpp"
#include "smtpwire/enhanced_status.hpp"
#include "smtpwire/input_buffer.hpp"

namespace sender {
namespace {

using clock = std::chrono::steady_clock;

// Prints a byte stream to stderr one line at a time, each after `prefix`, without the
// line's CRLF.
class dialogue_log {
public:
    dialogue_log(bool enabled, const char* prefix) : enabled_(enabled), prefix_(prefix) {}
    ~dialogue_log() {
        if (!line_.empty()) print();
    }
    dialogue_log(const dialogue_log&) = delete;
    dialogue_log& operator=(const dialogue_log&) = delete;

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
        std::fprintf(stderr, "%s%s\n", prefix_, line_.c_str());
        line_.clear();
    }

    bool enabled_;
    const char* prefix_;
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

smtpwire::client_config make_config(const options& opt, const std::string& helo) {
    smtpwire::client_config config;
    config.helo_name = helo;
    if (opt.timeout) {
        const std::chrono::milliseconds t = *opt.timeout;
        config.timeouts = {t, t, t, t, t, t, t};
    }
    return config;
}

// One connection and its session, from connect() to the end of QUIT.
class delivery {
public:
    delivery(const options& opt, const std::string& helo, const outgoing& message)
        : opt_(opt),
          message_(message),
          session_(make_config(opt, helo)),
          rcpt_replies_(opt.recipients.size()),
          sent_log_(opt.verbose, "C: "),
          received_log_(opt.verbose, "S: ") {
        for (const recipient& r : opt.recipients) envelope_recipients_.push_back({r.address, {}});
        envelope_.sender = *opt.from;
        envelope_.options = transaction_options();
        envelope_.recipients = envelope_recipients_.data();
        envelope_.recipient_count = envelope_recipients_.size();
    }

    ~delivery() {
        if (fd_ >= 0) ::close(fd_);
    }
    delivery(const delivery&) = delete;
    delivery& operator=(const delivery&) = delete;

    report run() {
        if (!connect()) return {{}, error_, EX_TEMPFAIL};
        while (status_ == 0) {
            const smtpwire::client_event ev = session_.next_event();
            if (std::holds_alternative<smtpwire::closed>(ev)) break;
            if (std::holds_alternative<smtpwire::need_output>(ev))
                write_output();
            else if (std::holds_alternative<smtpwire::need_data>(ev))
                read_input();
            else
                handle(ev);
            issue_commands();
        }
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

    void write_output() {
        for (std::string_view out = session_.output(); !out.empty(); out = session_.output()) {
            if (discard_output_) {
                session_.consume_output(out.size());
                return;
            }
            const ssize_t n = ::send(fd_, out.data(), out.size(), 0);
            if (n > 0) {
                sent_log_.add(out.substr(0, static_cast<std::size_t>(n)));
                session_.consume_output(static_cast<std::size_t>(n));
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (!wait(POLLOUT)) return;
            } else if (n < 0 && errno != EINTR) {
                // The server's last words, if any, may still be readable.
                write_error_ = std::string("write error: ") + std::strerror(errno);
                discard_output_ = true;
            }
        }
    }

    void read_input() {
        if (!wait(POLLIN)) return;
        in_.keep(session_.unconsumed());
        ssize_t n = 0;
        do {
            n = ::recv(fd_, in_.write_data(), in_.write_size(), 0);
        } while (n < 0 && errno == EINTR);
        const bool again = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        if (n < 0 && !again) read_error_ = std::string("read error: ") + std::strerror(errno);
        if (n > 0) {
            received_log_.add(std::string_view(in_.write_data(), static_cast<std::size_t>(n)));
            in_.commit(static_cast<std::size_t>(n));
        }
        // The tail kept at need_data, then the new bytes.
        check("feed", session_.feed(in_.data()));
        if (n == 0 || (n < 0 && !again)) session_.feed_eof();
    }

    void handle(const smtpwire::client_event& ev) {
        if (std::holds_alternative<smtpwire::ready>(ev)) {
            ready_ = true;
        } else if (const auto* r = std::get_if<smtpwire::command_reply>(&ev)) {
            on_reply(*r);
        } else if (std::holds_alternative<smtpwire::transaction_done>(ev)) {
            transaction_done_ = true;
        } else if (const auto* f = std::get_if<smtpwire::client_failure>(&ev)) {
            failure_what_ = std::string(to_string(f->what));
            failure_ = f->reply.code != 0 ? to_verdict(f->reply) : verdict{0, {}, failure_what_};
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
            if (r.after_content)
                final_reply_ = to_verdict(r.reply);
            else if (r.reply.code != 354)
                data_failure_ = to_verdict(r.reply);
            break;
        default:
            break;
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
            error_ = message_.eight_bit && !caps.has(smtpwire::extension::eight_bit_mime)
                         ? "the message has 8-bit content and the server does not offer 8BITMIME"
                         : "an address is not ASCII and the server does not offer SMTPUTF8";
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
    // reply after the content, or whatever ended the session before any of them.
    verdict verdict_for(std::size_t i) const {
        if (mail_failure_) return *mail_failure_;
        const std::optional<verdict>& rcpt = rcpt_replies_[i];
        if (rcpt && rcpt->code / 100 != 2) return *rcpt;
        if (rcpt && data_failure_) return *data_failure_;
        if (rcpt && final_reply_) return *final_reply_;
        if (failure_) return *failure_;
        return {0, {}, "not sent"};
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
            r.status = failure_ && failure_->code >= 500 ? EX_UNAVAILABLE : EX_TEMPFAIL;
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
    std::optional<verdict> failure_;
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
