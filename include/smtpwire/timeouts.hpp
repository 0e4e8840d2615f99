// Timeouts the application arms for a session: the session reports, the loop measures.
// RFC 5321 §4.5.3.2 (the server timeout of 5 minutes, §4.5.3.2.7).
#ifndef SMTPWIRE_TIMEOUTS_HPP
#define SMTPWIRE_TIMEOUTS_HPP

#include <chrono>
#include <cstdint>
#include <string_view>

namespace smtpwire {
inline namespace v0 {

/// Which wait a timeout covers.
enum class timeout_kind {
    none,       // nothing to time: a decision is pending or the session is closing
    command,    // server waiting for the next command
    data,       // server waiting for the next block of message content
};

/// A short name of `k`, for logs.
constexpr std::string_view to_string(timeout_kind k) noexcept {
    switch (k) {
    case timeout_kind::none: return "none";
    case timeout_kind::command: return "command";
    case timeout_kind::data: return "data";
    }
    return "unknown";
}

/// What the loop should arm now. `epoch` identifies this arming: pass it back to
/// timed_out(); a session that has moved on since ignores a stale epoch.
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
};

} // namespace v0
} // namespace smtpwire

#endif
