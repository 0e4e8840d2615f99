// One smtpwire-load connection: a non-blocking socket driven by edge-triggered epoll events,
// and the client_session sending the run's messages over it. RFC 5321 §3.3, §4.2.5; RFC 2920.
#include "connection.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <variant>

#include <sys/epoll.h>
#include <unistd.h>

namespace load {
namespace {

smtpwire::client_config make_config(const options& opt) {
    smtpwire::client_config config;
    config.helo_name = "load.test";
    config.pipelining = opt.pipelining;
    config.bdat = opt.bdat ? smtpwire::bdat_policy::always : smtpwire::bdat_policy::never;
    return config;
}

// True when `r` is the reply a command that went well gets: 354 to DATA, 221 to QUIT,
// 2xx to the others (RFC 5321 §4.3.2).
bool expected_reply(const smtpwire::command_reply& r) {
    if (r.command == smtpwire::verb::data && !r.after_content) return r.reply.code == 354;
    if (r.command == smtpwire::verb::quit) return r.reply.code == 221;
    return r.reply.code / 100 == 2;
}

// Writes "m<number>.r<index>@load.test" into `out`; returns its length.
std::size_t format_address(std::array<char, 64>& out, std::size_t number, std::size_t index) {
    char* p = out.data();
    char* const end = p + out.size();
    *p++ = 'm';
    p = std::to_chars(p, end, number).ptr;
    *p++ = '.';
    *p++ = 'r';
    p = std::to_chars(p, end, index).ptr;
    const std::string_view domain = "@load.test";
    for (char c : domain) *p++ = c;
    return static_cast<std::size_t>(p - out.data());
}

} // namespace

connection::connection(const options& opt, const std::string& content, workload& work, tally& t)
    : opt_(opt),
      content_(content),
      work_(work),
      tally_(t),
      session_(make_config(opt)),
      address_text_(opt.recipients),
      recipients_(opt.recipients) {
    envelope_.sender = "load@load.test";
    envelope_.options.size = content.size();
    envelope_.recipients = recipients_.data();
    envelope_.recipient_count = recipients_.size();
}

connection::~connection() { close_socket(); }

bool connection::open(const sockaddr* address, socklen_t length, std::string& error) {
    fd_ = ::socket(address->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0 || (::connect(fd_, address, length) != 0 && errno != EINPROGRESS)) {
        error = std::string("cannot connect: ") + std::strerror(errno);
        close_socket();
        return false;
    }
    ++tally_.connections;
    return true;
}

void connection::on_events(std::uint32_t events) {
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) can_read_ = true;
    if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0) can_write_ = true;
    pump();
}

// Runs the session until the socket can take or give no more: full duplex, so a
// blocked write does not stop reading (RFC 2920 §3.1).
void connection::pump() {
    while (!finished_) {
        const smtpwire::client_event ev = session_.next_event();
        if (std::holds_alternative<smtpwire::need_output>(ev)) {
            // With PIPELINING the next message may follow a final dot in the same write.
            issue();
            if (write_some() || (session_.wants_read() && read_some())) continue;
            return;
        }
        if (std::holds_alternative<smtpwire::need_data>(ev)) {
            if (read_some()) continue;
            return;
        }
        if (std::holds_alternative<smtpwire::closed>(ev)) {
            close_socket();
            finished_ = true;
            return;
        }
        handle(ev);
        issue();
    }
}

// Writes some output; false when the socket takes nothing now. After a write error the
// output is dropped: the server's EOF, read next, ends the session.
bool connection::write_some() {
    const std::string_view out = session_.output();
    if (write_failed_) {
        session_.consume_output(out.size());
        return true;
    }
    if (!can_write_) return false;
    for (;;) {
        const ssize_t sent = ::send(fd_, out.data(), out.size(), MSG_NOSIGNAL);
        if (sent > 0) {
            session_.consume_output(static_cast<std::size_t>(sent));
            return true;
        }
        if (sent < 0 && errno == EINTR) continue;
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            can_write_ = false;
            return false;
        }
        write_failed_ = true;
        return true;
    }
}

// Reads once and feeds the session the kept tail and the new bytes; false when the
// socket has nothing now. EOF and errors end the input.
bool connection::read_some() {
    if (!can_read_) return false;
    in_.keep(session_.unconsumed());
    ssize_t got = 0;
    do {
        got = ::recv(fd_, in_.write_data(), in_.write_size(), 0);
    } while (got < 0 && errno == EINTR);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        can_read_ = false;
        return false;
    }
    if (got > 0) in_.commit(static_cast<std::size_t>(got));
    if (session_.feed(in_.data()) != smtpwire::errc::ok) {
        std::fprintf(stderr, "smtpwire-load: bug: the session refused input it asked for\n");
        std::abort();
    }
    if (got <= 0) {
        session_.feed_eof();
        can_read_ = false;
    }
    return true;
}

void connection::handle(const smtpwire::client_event& ev) {
    if (std::holds_alternative<smtpwire::ready>(ev)) {
        ready_ = true;
    } else if (const auto* r = std::get_if<smtpwire::command_reply>(&ev)) {
        if (!expected_reply(*r)) ++tally_.refused_replies;
    } else if (const auto* done = std::get_if<smtpwire::transaction_done>(&ev)) {
        // Counted only on the 250 to the content (RFC 5321 §4.2.5, RFC 3030 §2).
        if (done->result == smtpwire::outcome::success && done->reply.code == 250) {
            ++tally_.delivered;
            tally_.content_octets += content_.size();
            const auto took = std::chrono::steady_clock::now() - started_[done->transaction % started_.size()];
            tally_.latencies_us.push_back(std::chrono::duration<double, std::micro>(took).count());
        } else {
            ++tally_.refused;
        }
    } else if (const auto* f = std::get_if<smtpwire::client_failure>(&ev)) {
        ++tally_.failed_sessions;
        const std::string_view what = to_string(f->what);
        const std::string_view text = f->reply.text;
        if (tally_.failed_sessions <= 3)
            std::fprintf(stderr, "smtpwire-load: session failed: %.*s %u %.*s\n",
                         static_cast<int>(what.size()), what.data(), f->reply.code,
                         static_cast<int>(text.size()), text.data());
    }
}

// Starts the next message, or QUITs when there is none for this connection, once no
// transaction is open: with PIPELINING that is as soon as the last one's dot is written.
void connection::issue() {
    if (!ready_ || quit_sent_ || session_.transaction() != 0 || !session_.can_send()) return;
    if ((opt_.per_connection && started_any_) || work_.empty()) {
        quit_sent_ = session_.quit() == smtpwire::errc::ok;
        return;
    }
    start_message();
}

void connection::start_message() {
    const std::size_t number = work_.next();
    for (std::size_t i = 0; i < recipients_.size(); ++i) {
        const std::size_t n = format_address(address_text_[i], number, i);
        recipients_[i].address = std::string_view(address_text_[i].data(), n);
    }
    const smtpwire::errc e = session_.send_mail(envelope_, content_);
    if (e == smtpwire::errc::output_full) return;  // tried again after the next event
    work_.advance();
    started_any_ = true;
    if (e != smtpwire::errc::ok) {
        // Refused before a byte was sent (BDAT without CHUNKING: not_supported).
        const std::string_view why = to_string(e);
        std::fprintf(stderr, "smtpwire-load: message %zu not sent: %.*s\n", number,
                     static_cast<int>(why.size()), why.data());
        ++tally_.refused;
        quit_sent_ = session_.quit() == smtpwire::errc::ok;
        return;
    }
    started_[session_.transaction() % started_.size()] = std::chrono::steady_clock::now();
}

void connection::close_socket() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

} // namespace load
