// One smtpwire-load connection: a non-blocking socket driven by edge-triggered epoll events,
// and the client_session sending the run's messages over it. RFC 5321 §3.3, RFC 2920.
#ifndef SMTPWIRE_LOAD_CONNECTION_HPP
#define SMTPWIRE_LOAD_CONNECTION_HPP

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <sys/socket.h>

#include "options.hpp"
#include "smtpwire/client_session.hpp"
#include "smtpwire/input_buffer.hpp"
#include "tally.hpp"
#include "workload.hpp"

namespace load {

/// One connection. After open(), the loop passes it every epoll event of its socket
/// (registered with EPOLLIN | EPOLLOUT | EPOLLET); it sends messages while `work` has
/// some (with --per-connection one only), then QUIT, and counts what happened in `t`.
/// `opt`, `content`, `work` and `t` must outlive it.
class connection {
public:
    connection(const options& opt, const std::string& content, workload& work, tally& t);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    /// Creates the socket and starts connecting to `address`. False (and `error` set)
    /// when the socket cannot be made or the connection is refused at once.
    bool open(const sockaddr* address, socklen_t length, std::string& error);
    /// The socket, to register with epoll.
    [[nodiscard]] int fd() const { return fd_; }
    /// The epoll event mask for this socket: reads, writes and runs the session as far
    /// as the socket allows.
    void on_events(std::uint32_t events);
    /// True once the session has closed and the socket with it.
    [[nodiscard]] bool finished() const { return finished_; }
    /// True when this connection started a message.
    [[nodiscard]] bool started_any() const { return started_any_; }

private:
    void pump();
    bool write_some();
    bool read_some();
    void handle(const smtpwire::client_event& ev);
    void issue();
    void start_message();
    void close_socket();

    const options& opt_;
    const std::string& content_;
    workload& work_;
    tally& tally_;
    smtpwire::client_session session_;
    smtpwire::input_buffer<8192> in_;
    // The recipients of the message in flight: "m<number>.r<index>@load.test".
    std::vector<std::array<char, 64>> address_text_;
    std::vector<smtpwire::recipient> recipients_;
    smtpwire::envelope envelope_;
    // When each transaction started, by its id: at most two are under way, the open one
    // and the one whose final reply is due.
    std::array<std::chrono::steady_clock::time_point, 2> started_{};
    int fd_ = -1;
    bool can_read_ = false;
    bool can_write_ = false;
    bool write_failed_ = false;
    bool ready_ = false;
    bool started_any_ = false;
    bool quit_sent_ = false;
    bool finished_ = false;
};

} // namespace load

#endif
