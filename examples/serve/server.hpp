// smtpwire-serve's event loop: one thread, poll(2), non-blocking sockets, one session each.
// RFC 5321 §4.5.3.2 (server timeouts), RFC 2920 (replies to pipelined commands, in order),
// RFC 3207 (STARTTLS), RFC 8314 §3 (implicit TLS), RFC 4954 (AUTH); the PROXY protocol §2.
#ifndef SMTPWIRE_SERVE_SERVER_HPP
#define SMTPWIRE_SERVE_SERVER_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "maildir.hpp"
#include "options.hpp"
#include "smtpwire/input_buffer.hpp"
#include "smtpwire/proxy_protocol.hpp"
#include "smtpwire/server_session.hpp"
#include "tls.hpp"

namespace serve {

/// An SMTP server that stores what it accepts in a maildir (or discards it).
class server {
public:
    /// `opt` and `store` must outlive the server, and so must `tls`: the certificate
    /// and key loaded from --tls-cert and --tls-key, or nullptr when TLS is not offered.
    server(const options& opt, maildir& store, tls::context* tls);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// Binds and listens on the address in the options. False (with `error`) on failure,
    /// and when --received is given but the host name is not a domain.
    bool listen(std::string& error);

    /// The address bound by listen(), "HOST:PORT" ("[HOST]:PORT" for IPv6).
    std::string local_address() const;
    /// The port bound by listen(), "2525"; "" if unknown.
    std::string local_port() const;

    /// Serves until `stop_fd` becomes readable, then ends each session with 421 4.3.2
    /// and returns once all are closed. 0 on a clean stop, 1 if poll() failed. With
    /// --workers, each server runs on a thread of its own and none reads `stop_fd`, so
    /// that all of them see it.
    int run(int stop_fd);

private:
    using clock = std::chrono::steady_clock;
    using read_buffer = smtpwire::input_buffer<16384>;
    struct connection;
    enum class flush_result { done, blocked, failed };

    void accept_connections();
    void refuse_connection(int fd, const std::string& peer);
    void release_idle_memory();
    void on_ready(connection& c);
    static short poll_events(const connection& c);
    static bool has_buffered_input(const connection& c);
    void read_proxy_header(connection& c);
    void use_proxy_header(connection& c, const smtpwire::proxy_header& h);
    void refuse_proxy_header(connection& c, std::string_view why);
    void start_session(connection& c);
    void start_tls(connection& c);
    void continue_handshake(connection& c);
    tls::status receive(connection& c, std::size_t& got);
    tls::status transmit(connection& c, std::string_view bytes, std::size_t& sent);
    read_buffer& buffer_of(connection& c);
    void return_buffer(connection& c);
    void read_input(connection& c);
    void drain(connection& c);
    void drive(connection& c);
    void handle(connection& c, const smtpwire::server_event& ev);
    void on_auth(connection& c, const smtpwire::auth_request& auth);
    void on_rcpt(connection& c, const smtpwire::rcpt_to& rcpt);
    void on_data_begin(connection& c, const smtpwire::data_begin& data);
    std::string received_field(const connection& c) const;
    void on_message_end(connection& c, const smtpwire::message_end& end);
    void deliver_per_recipient(connection& c, const smtpwire::message_end& end, const std::string& size);
    void check(connection& c, smtpwire::errc result, std::string_view call);
    flush_result flush(connection& c);
    void finish(connection& c);
    void close_connection(connection& c);
    void arm_timer(connection& c);
    void expire_timers(clock::time_point now);
    void begin_shutdown();
    int poll_timeout(clock::time_point now) const;
    // With -v, one line about `c` to stderr. Calls on the path of every session build
    // their text only under -v (opt_.verbose), so that a quiet server does not pay for it.
    void log(const connection& c, std::string_view what) const;

    const options& opt_;
    maildir& store_;
    tls::context* tls_;
    std::string hostname_;
    std::string scram_salt_;  // the salt of every user's SCRAM-SHA-256 keys
    smtpwire::server_config config_;
    int listen_fd_ = -1;
    clock::time_point accept_resume_{};
    bool stopping_ = false;
    std::vector<std::unique_ptr<connection>> connections_;
    std::size_t open_connections_ = 0;  // connections_ whose socket is still open
    std::size_t peak_connections_ = 0;  // the most at once since memory was last released
    // Read buffers no connection holds: a connection holds one only while the session has
    // input left in it, so that an idle connection costs its session and little more.
    std::vector<std::unique_ptr<read_buffer>> spare_buffers_;
};

} // namespace serve

#endif
