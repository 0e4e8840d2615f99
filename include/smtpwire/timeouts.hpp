// Timeouts and deadlines the application arms for a session: the session reports, the loop measures.
// RFC 5321 §4.5.3.2 (client timeouts §4.5.3.2.1-6, the server's 5 minutes §4.5.3.2.7).
#ifndef SMTPWIRE_TIMEOUTS_HPP
#define SMTPWIRE_TIMEOUTS_HPP

#include <chrono>
#include <cstdint>
#include <string_view>

namespace smtpwire {
inline namespace v0 {

/// Which wait a timeout covers.
enum class timeout_kind {
    none,              // nothing to time: a decision is pending, no deadline runs, or the
                       // session is closing
    command,           // server: the next command; client: a reply to EHLO, HELO, RSET, QUIT
    data,              // server: the next block of message content; client: sending it
    greeting,          // client: the 220 greeting (§4.5.3.2.1)
    mail,              // client: the reply to MAIL (§4.5.3.2.2)
    rcpt,              // client: the reply to RCPT (§4.5.3.2.3)
    data_initiation,   // client: the 354 reply to DATA (§4.5.3.2.4)
    data_termination,  // client: the reply to the final "." (§4.5.3.2.6)
    command_line_deadline, // server deadline: the current command line, first octet to CRLF
    data_deadline,     // server deadline: the DATA phase, 354 sent to the final "."
};

/// A short name of `k`, for logs.
constexpr std::string_view to_string(timeout_kind k) noexcept {
    switch (k) {
    case timeout_kind::none: return "none";
    case timeout_kind::command: return "command";
    case timeout_kind::data: return "data";
    case timeout_kind::greeting: return "greeting";
    case timeout_kind::mail: return "mail";
    case timeout_kind::rcpt: return "rcpt";
    case timeout_kind::data_initiation: return "data initiation";
    case timeout_kind::data_termination: return "data termination";
    case timeout_kind::command_line_deadline: return "command line deadline";
    case timeout_kind::data_deadline: return "data deadline";
    }
    return "unknown";
}

/// What the loop should arm now. `epoch` identifies this arming: pass it back to
/// timed_out(); a session that has moved on since ignores a stale epoch. A timeout
/// (current_timeout()) measures inactivity: its epoch changes with every feed() and
/// decision, so it is re-armed each time. A deadline (server_session::current_deadline())
/// measures a whole span: its epoch changes only when a new span starts, so the loop
/// arms it once per epoch, with `duration` counted from when it first saw that epoch.
struct timeout {
    timeout_kind kind = timeout_kind::none;
    std::chrono::milliseconds duration{0};
    std::uint64_t epoch = 0;
};

/// Server-side timeout values. RFC 5321 §4.5.3.2.7: at least 5 minutes awaiting a command.
struct server_timeouts {
    std::chrono::milliseconds command = std::chrono::minutes(5);
    /// Between blocks of message content; §4.5.3.2.5's client-side 3 minutes plus slack.
    std::chrono::milliseconds data = std::chrono::minutes(5);
    /// A deadline for each command line, from its first octet to its CRLF, however
    /// often octets arrive: the inactivity timeouts above never end a peer that sends
    /// one octet just before each expiry (slowloris), this does. Postfix's
    /// smtpd_per_record_deadline does the same per record. 0 (the default): off.
    std::chrono::milliseconds command_line_deadline{0};
    /// A deadline for the whole DATA phase, from the 354 to the final ".". It must allow
    /// the largest message accepted at the slowest rate accepted: RFC 5321 §4.5.3.2 times
    /// each block so that the total grows with the message. 0 (the default): off.
    std::chrono::milliseconds data_deadline{0};
};

/// Client-side timeout values, RFC 5321 §4.5.3.2.
struct client_timeouts {
    std::chrono::milliseconds greeting = std::chrono::minutes(5);          // §4.5.3.2.1
    std::chrono::milliseconds command = std::chrono::minutes(5);           // EHLO, RSET, QUIT
    std::chrono::milliseconds mail = std::chrono::minutes(5);              // §4.5.3.2.2
    std::chrono::milliseconds rcpt = std::chrono::minutes(5);              // §4.5.3.2.3
    std::chrono::milliseconds data_initiation = std::chrono::minutes(2);   // §4.5.3.2.4
    std::chrono::milliseconds data_block = std::chrono::minutes(3);        // §4.5.3.2.5
    std::chrono::milliseconds data_termination = std::chrono::minutes(10); // §4.5.3.2.6
};

} // namespace v0
} // namespace smtpwire

#endif
