// The flow-control events both sessions return from next_event(): read, write, wait, close,
// start TLS. They tell the application's loop what the session needs next (RFC 3207 §4).
#ifndef SMTPWIRE_FLOW_HPP
#define SMTPWIRE_FLOW_HPP

#include <cstddef>

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
/// STARTTLS was answered 220 and output() is empty (everything before was written in
/// clear): run the TLS handshake on the connection, as server or client, and call
/// tls_established() once it succeeds. Returned at every next_event() call until then;
/// meanwhile the session reads nothing, and bytes fed are discarded. `discarded`
/// counts the octets that arrived behind the STARTTLS command (server) or behind the
/// 220 reply (client) and were dropped unread: plaintext injected before TLS
/// (CVE-2011-0411).
struct tls_handover {
    std::size_t discarded = 0;
};

} // namespace v0
} // namespace smtpwire

#endif
