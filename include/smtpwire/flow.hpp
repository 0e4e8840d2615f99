// The flow-control events both sessions return from next_event(): read, write, wait, close.
// They carry no data; they tell the application's loop what the session needs next.
#ifndef SMTPWIRE_FLOW_HPP
#define SMTPWIRE_FLOW_HPP

namespace smtpwire {
inline namespace v0 {

/// All input is consumed. Keep unconsumed() (an incomplete line) and feed() it again,
/// followed by the next bytes read from the peer.
struct need_data {};
/// Write output() to the peer and consume_output() what was written, then call
/// next_event() again. The session produces no more until there is room.
struct need_output {};
/// A decision is pending and all output is written: wait for the application's
/// answer; the session consumes nothing meanwhile.
struct paused {};
/// The session is over and all output is written: close the connection.
struct closed {};

} // namespace v0
} // namespace smtpwire

#endif
