// Error codes for local API misuse, returned by session calls that change nothing.
// Peer errors are events (server_error, client_error), never return codes.
#ifndef SMTPWIRE_ERRC_HPP
#define SMTPWIRE_ERRC_HPP

#include <string_view>

namespace smtpwire {
inline namespace v0 {

/// Result of a call made by the application. On anything but `ok` the session's
/// state is exactly as it was before the call.
enum class errc {
    ok = 0,
    /// accept()/reject() called while no decision event is pending.
    no_decision_pending,
    /// accept(id, ...)/reject(id, ...) named a decision that was already answered or
    /// was cancelled (shutdown()); the pending decision, if any, is another one.
    stale_decision,
    /// The reply is malformed (see validate_reply() in reply.hpp), or its code does not
    /// fit the call: a positive code passed to reject(), a negative one to accept().
    invalid_reply,
    /// The formatted reply does not fit in the output buffer's free space.
    reply_too_long,
    /// The call is not allowed in the session's current state.
    wrong_state,
    /// An argument contains CR, LF or NUL, or is otherwise not fit for the wire.
    invalid_argument,
    /// The request needs an extension the server did not offer (SMTPUTF8 for a UTF-8
    /// address, 8BITMIME for 8-bit content, SIZE for a declared size).
    not_supported,
    /// The message is larger than the SIZE the server announced (RFC 1870 §4).
    too_large,
    /// The output buffer has no room now: write output() first, then call again.
    output_full,
};

/// A short English name for `e`, for logs.
constexpr std::string_view to_string(errc e) noexcept {
    switch (e) {
    case errc::ok: return "ok";
    case errc::no_decision_pending: return "no decision pending";
    case errc::stale_decision: return "decision already answered or cancelled";
    case errc::invalid_reply: return "invalid reply";
    case errc::reply_too_long: return "reply too long";
    case errc::wrong_state: return "wrong state";
    case errc::invalid_argument: return "invalid argument";
    case errc::not_supported: return "not supported by the server";
    case errc::too_large: return "message too large for the server";
    case errc::output_full: return "output buffer full";
    }
    return "unknown errc";
}

} // namespace v0
} // namespace smtpwire

#endif
