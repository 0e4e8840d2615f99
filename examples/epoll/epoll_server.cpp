// epoll-server: an SMTP server on 127.0.0.1:PORT serving many connections on one thread with
// edge-triggered epoll; each message accepted is stored whole as DIR/1.eml, DIR/2.eml, ...
#include "smtpwire/smtpwire.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

using namespace smtpwire;
using clock_type = std::chrono::steady_clock;  // deadlines: monotonic, like the timerfd

// What each epoll event carries in data.u64: one of these, or a connection's id.
constexpr std::uint64_t listener_id = 0, timer_id = 1, signal_id = 2, first_connection_id = 3;

// Owns a file descriptor; closing a socket also removes it from the epoll set.
class descriptor {
public:
    explicit descriptor(int fd = -1) : fd_(fd) {}
    ~descriptor() {
        if (fd_ >= 0) close(fd_);
    }
    descriptor(const descriptor&) = delete;
    descriptor& operator=(const descriptor&) = delete;
    [[nodiscard]] int get() const { return fd_; }

private:
    int fd_;
};

// One client: its socket, its session, and what the loop knows about both.
struct connection {
    connection(int fd, std::uint64_t connection_id, const server_config& config)
        : socket(fd), id(connection_id), session(config) {}
    ~connection() {
        if (file != nullptr) {  // the connection ended during DATA: the message is not kept
            std::fclose(file);
            std::remove(path.c_str());
        }
    }
    descriptor socket;
    std::uint64_t id;
    server_session session;
    input_buffer<16384> in;  // keeps the partial line between reads
    // Edge-triggered epoll reports a change once: these remember that the socket can be
    // read or written until a read or write says EAGAIN.
    bool readable = true;
    bool writable = true;
    std::uint32_t interest = 0;  // the events asked of epoll now
    std::optional<clock_type::time_point> deadline;  // its entry in epoll_server::timers_
    std::uint64_t timer_epoch = 0;  // the session's epoch that the deadline times
    std::string path;               // where the message being received goes
    std::FILE* file = nullptr;
};

class epoll_server {
public:
    // Serves on `listener`; `stop_signals`, blocked, end run() through a signalfd.
    epoll_server(int listener, const sigset_t& stop_signals, std::string dir,
                 const server_config& config)
        : listener_(listener), signals_(signalfd(-1, &stop_signals, SFD_NONBLOCK | SFD_CLOEXEC)),
          dir_(std::move(dir)), config_(config) {}

    // Serves until a stop signal; false, with the reason printed, if it cannot.
    bool run() {
        if (epoll_.get() < 0 || timer_.get() < 0 || signals_.get() < 0 ||
            !watch(listener_.get(), listener_id) || !watch(timer_.get(), timer_id) ||
            !watch(signals_.get(), signal_id)) {
            std::perror("epoll-server: setup");
            return false;
        }
        epoll_event events[64];
        for (;;) {
            arm_timerfd();
            const int n = epoll_wait(epoll_.get(), events, 64, -1);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                std::perror("epoll-server: epoll_wait");
                return false;
            }
            for (int i = 0; i < n; ++i) {
                const std::uint64_t id = events[i].data.u64;
                if (id == signal_id) return true;  // the destructors close every connection
                if (id == listener_id) listener_ready_ = true;
                else if (id == timer_id) expire_timers();
                else on_socket_event(id, events[i].events);
            }
            // Also retried after any event while accept4() failed for want of descriptors.
            if (listener_ready_) accept_pending();
        }
    }

private:
    // Adds `fd` to the epoll set, edge-triggered, for reading.
    bool watch(int fd, std::uint64_t id) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLET;
        ev.data.u64 = id;
        return epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
    }

    // Accepts every connection waiting: edge-triggered, EPOLLIN comes once for all of them.
    void accept_pending() {
        for (;;) {
            const int fd = accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                listener_ready_ = false;
                return;
            }
            if (fd < 0 && (errno == EINTR || errno == ECONNABORTED)) continue;
            if (fd < 0) {  // EMFILE, ENFILE, ENOBUFS: try again once a connection has closed
                std::perror("epoll-server: accept4");
                return;
            }
            const std::uint64_t id = next_id_++;
            auto c = std::make_unique<connection>(fd, id, config_);
            epoll_event ev{};
            ev.events = EPOLLET;  // nothing asked yet: serve() asks for what the session wants
            ev.data.u64 = id;
            if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
                std::perror("epoll-server: epoll_ctl");
                continue;  // `c` closes the socket
            }
            serve(*connections_.emplace(id, std::move(c)).first->second);
        }
    }

    void on_socket_event(std::uint64_t id, std::uint32_t events) {
        const auto found = connections_.find(id);
        if (found == connections_.end()) return;  // closed earlier in this batch of events
        connection& c = *found->second;
        // An error or hang-up is found by the next read or write, so it counts as both.
        if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) c.readable = true;
        if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) c.writable = true;
        serve(c);
    }

    // Runs the session as far as the socket allows, then asks epoll and the timer for
    // what it waits for; or closes the connection.
    void serve(connection& c) {
        if (!run_session(c) || !update_interest(c)) {
            close_connection(c);
            return;
        }
        update_timer(c);
    }

    // Pulls events until the session waits for the socket: false once the connection is
    // over. A fast peer is served until its socket is drained; a server that must stay
    // fair would cap the reads per wakeup and keep the connection on a list of ready ones.
    bool run_session(connection& c) {
        for (;;) {
            server_event ev = c.session.next_event();
            if (std::holds_alternative<need_output>(ev) || std::holds_alternative<need_data>(ev)) {
                const io result = transfer(c);
                if (result == io::failed) return false;
                if (result == io::would_block) return true;
            } else if (std::holds_alternative<data_begin>(ev)) {  // a decision: open the file first
                // Files are written on the loop's thread, which a slow disk would stall; a
                // server storing elsewhere answers data_begin and message_end later instead.
                c.path = dir_ + "/" + std::to_string(++last_number_) + ".eml";
                c.file = std::fopen(c.path.c_str(), "wb");
                if (c.file != nullptr) (void)c.session.accept();
                else (void)c.session.reject({451, {4, 3, 0}, "Cannot store the message"});
            } else if (auto* chunk = std::get_if<body_chunk>(&ev)) {  // a view into c.in
                if (c.file != nullptr) std::fwrite(chunk->bytes.data(), 1, chunk->bytes.size(), c.file);
            } else if (std::holds_alternative<message_end>(ev)) {  // the final dot: keep, then say so
                bool ok = c.file != nullptr && std::ferror(c.file) == 0;
                if (c.file != nullptr && std::fclose(c.file) != 0) ok = false;
                c.file = nullptr;
                if (ok) {
                    (void)c.session.accept();
                } else {
                    std::remove(c.path.c_str());
                    (void)c.session.reject({451, {4, 3, 0}, "Cannot store the message"});
                }
            } else if (std::holds_alternative<message_aborted>(ev) && c.file != nullptr) {
                std::fclose(c.file);
                std::remove(c.path.c_str());
                c.file = nullptr;
            } else if (std::holds_alternative<closed>(ev)) {
                return false;
            } else if (is_decision(ev)) {  // client_connected, hello, mail_from, rcpt_to, ...
                (void)c.session.accept();
            }
        }
    }

    enum class io { moved, would_block, failed };

    // One write of the session's output, else one read into it, whichever the session
    // and the socket allow. Reads go on while output waits (the session is full duplex);
    // would_block means each side is either not wanted or waits for epoll.
    io transfer(connection& c) {
        if (c.session.wants_write() && c.writable) {
            const std::string_view out = c.session.output();
            const ssize_t n = send(c.socket.get(), out.data(), out.size(), MSG_NOSIGNAL);
            if (n > 0) {  // perhaps fewer than asked: the rest goes with the next write
                c.session.consume_output(static_cast<std::size_t>(n));
                return io::moved;
            }
            if (errno == EINTR) return io::moved;
            if (errno != EAGAIN && errno != EWOULDBLOCK) return io::failed;  // the peer is gone
            c.writable = false;
        }
        if (c.session.wants_read() && c.readable) {
            c.in.keep(c.session.unconsumed());
            const ssize_t n = read(c.socket.get(), c.in.write_data(), c.in.write_size());
            if (n > 0) {
                c.in.commit(static_cast<std::size_t>(n));
                (void)c.session.feed(c.in.data());
                return io::moved;
            }
            if (n < 0 && errno == EINTR) return io::moved;
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                c.session.feed_eof();  // replies to complete commands are still written
                return io::moved;
            }
            c.readable = false;
        }
        return io::would_block;
    }

    // interest begin
    // Asks epoll for the events the session waits for, with EPOLL_CTL_MOD only when that
    // changes. A modification reports a readiness that is already there, so no edge is lost
    // while a direction was not asked for.
    bool update_interest(connection& c) {
        const std::uint32_t wanted = (c.session.wants_read() ? EPOLLIN : 0u) |
                                     (c.session.wants_write() ? EPOLLOUT : 0u);
        if (wanted == c.interest) return true;
        epoll_event ev{};
        ev.events = wanted | EPOLLET;
        ev.data.u64 = c.id;
        c.interest = wanted;
        return epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.socket.get(), &ev) == 0;
    }
    // interest end

    // timer begin
    // Keeps the connection's deadline in step with the session's inactivity timeout (RFC
    // 5321 §4.5.3.2.7): every feed() starts a new wait with a new epoch, timed from now.
    void update_timer(connection& c) {
        const timeout t = c.session.current_timeout();
        if (t.kind == timeout_kind::none) {
            // With every decision answered at once, this means the session has closed and
            // its last replies wait for a peer that does not read them: the timer running,
            // or a new one, bounds that wait.
            if (!c.deadline) set_deadline(c, clock_type::now() + config_.timeouts.command);
            return;
        }
        if (c.deadline && t.epoch == c.timer_epoch) return;  // this wait is timed already
        c.timer_epoch = t.epoch;
        set_deadline(c, clock_type::now() + t.duration);
    }
    // timer end

    // The timerfd fired: every connection whose deadline passed gets its 421 and closes.
    void expire_timers() {
        std::uint64_t expirations;
        (void)read(timer_.get(), &expirations, sizeof expirations);  // re-arms the edge
        timer_armed_.reset();
        const auto now = clock_type::now();
        while (!timers_.empty() && timers_.begin()->first <= now) {
            // A connection leaves `timers_` when it closes, so every entry names a live one.
            connection& c = *connections_.find(timers_.begin()->second)->second;
            timers_.erase(timers_.begin());
            c.deadline.reset();
            if (c.session.state() == server_state::closed) {
                close_connection(c);
                continue;
            }
            c.session.timed_out(c.timer_epoch);  // a stale epoch would be ignored
            serve(c);
        }
    }

    void set_deadline(connection& c, clock_type::time_point when) {
        if (c.deadline) timers_.erase({*c.deadline, c.id});
        c.deadline = when;
        timers_.emplace(when, c.id);
    }

    // Sets the timerfd to the earliest deadline, when that changed.
    void arm_timerfd() {
        const std::optional<clock_type::time_point> next =
            timers_.empty() ? std::nullopt : std::optional(timers_.begin()->first);
        if (next == timer_armed_) return;
        timer_armed_ = next;
        itimerspec spec{};  // all zero: disarmed
        if (next) {
            // A zero it_value would disarm it: a deadline already passed fires in 1 ns.
            const auto wait =
                std::chrono::duration_cast<std::chrono::nanoseconds>(*next - clock_type::now());
            const long long ns = wait.count() > 0 ? wait.count() : 1;
            spec.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
            spec.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
        }
        if (timerfd_settime(timer_.get(), 0, &spec, nullptr) != 0)
            std::perror("epoll-server: timerfd_settime");
    }

    void close_connection(connection& c) {
        if (c.deadline) timers_.erase({*c.deadline, c.id});
        connections_.erase(c.id);  // closes the socket; an unfinished message is removed
    }

    descriptor listener_;
    descriptor epoll_{epoll_create1(EPOLL_CLOEXEC)};
    descriptor timer_{timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)};
    descriptor signals_;  // SIGINT and SIGTERM arrive here instead of interrupting
    std::string dir_;
    server_config config_;
    std::unordered_map<std::uint64_t, std::unique_ptr<connection>> connections_;
    // Every connection's deadline, earliest first; the timerfd is set to the first.
    std::set<std::pair<clock_type::time_point, std::uint64_t>> timers_;
    std::optional<clock_type::time_point> timer_armed_;
    std::uint64_t next_id_ = first_connection_id;
    unsigned last_number_ = 0;  // of the last DIR/N.eml opened; a refused message leaves a gap
    bool listener_ready_ = false;
};

// `text` as a decimal number from 0 to `max`, or -1.
long number(const char* text, long max) {
    char* end = nullptr;
    errno = 0;
    const long n = std::strtol(text, &end, 10);
    return end != text && *end == '\0' && errno == 0 && n >= 0 && n <= max ? n : -1;
}

int main(int argc, char** argv) {
    const bool timeout_given = argc == 5 && std::string(argv[3]) == "--timeout";
    const long port = argc >= 3 ? number(argv[1], 65535) : -1;  // 0: any free port
    const long seconds = timeout_given ? number(argv[4], 86400) : 300;  // RFC 5321: 5 minutes
    if ((argc != 3 && !timeout_given) || port < 0 || seconds <= 0) {
        std::fprintf(stderr, "usage: epoll-server PORT DIR [--timeout SECONDS]\n");
        return 2;
    }
    server_config config;
    config.hostname = "localhost";
    config.limits.message_size = 64 << 20;  // announced with SIZE; larger ones are refused
    config.timeouts.command = config.timeouts.data = std::chrono::seconds(seconds);

    // SIGINT and SIGTERM arrive through a signalfd in the epoll set, not as interruptions.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop_signals, nullptr);

    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int on = 1;
    if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        listen(listener, SOMAXCONN) != 0) {
        std::perror("epoll-server: 127.0.0.1");
        if (listener >= 0) close(listener);
        return 1;
    }
    epoll_server server(listener, stop_signals, argv[2], config);
    // The port, chosen by the system when PORT is 0, for whoever started the server.
    socklen_t length = sizeof address;
    getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
    std::printf("listening on 127.0.0.1:%u\n", unsigned{ntohs(address.sin_port)});
    std::fflush(stdout);
    return server.run() ? 0 : 1;
}
