// The server's protocol states and the one table saying which command is legal in which.
// RFC 5321 §3.3 and §4.1.4 (command order), §3.1 (after a 554 greeting only QUIT), RFC 3207 §4,
// RFC 3030 §2 (BDAT).
#ifndef SMTPWIRE_SERVER_STATE_HPP
#define SMTPWIRE_SERVER_STATE_HPP

#include <array>
#include <cstddef>
#include <string_view>

#include "smtpwire/command.hpp"

namespace smtpwire {
inline namespace v0 {

/// Where a server session stands.
enum class server_state {
    greeting,     // connected; the application has not yet decided the greeting
    refused,      // a 554 greeting was sent: only QUIT is served (RFC 5321 §3.1)
    connected,    // 220 sent; waiting for HELO or EHLO
    ready,        // after HELO/EHLO, no mail transaction
    mail,         // MAIL accepted; waiting for RCPT
    rcpt,         // at least one RCPT accepted; RCPT or DATA may follow
    data,         // receiving message content (after DATA's 354, or a BDAT chunk's octets)
    bdat,         // a message arriving in BDAT chunks, between two of them
    auth,         // in an AUTH exchange: reading the client's SASL responses
    tls_handover, // 220 to STARTTLS sent: TLS is the application's until tls_established()
    closed,       // no more input is read
};

inline constexpr std::size_t server_state_count = static_cast<std::size_t>(server_state::closed) + 1;

/// A short name of `s`, for logs and diagrams.
constexpr std::string_view to_string(server_state s) noexcept {
    switch (s) {
    case server_state::greeting: return "greeting";
    case server_state::refused: return "refused";
    case server_state::connected: return "connected";
    case server_state::ready: return "ready";
    case server_state::mail: return "mail";
    case server_state::rcpt: return "rcpt";
    case server_state::data: return "data";
    case server_state::bdat: return "bdat";
    case server_state::auth: return "auth";
    case server_state::tls_handover: return "tls_handover";
    case server_state::closed: return "closed";
    }
    return "unknown";
}

/// The answer of the table for one command in one state.
enum class legality {
    allowed,
    bad_sequence,      // 503 5.5.1
    not_implemented,   // 502 5.5.1: recognised, but not offered by this server
    not_read,          // the state reads no commands (greeting decision, data, closed)
};

namespace detail {
constexpr legality command_legality(server_state s, verb v) noexcept {
    switch (s) {
    case server_state::greeting:
    case server_state::data:
    case server_state::auth:
    case server_state::tls_handover:
    case server_state::closed:
        return legality::not_read;
    default:
        break;
    }
    if (s == server_state::refused)
        return v == verb::quit ? legality::allowed : legality::bad_sequence;
    switch (v) {
    case verb::helo: case verb::ehlo: case verb::rset: case verb::noop: case verb::quit:
    case verb::vrfy: case verb::expn: case verb::help:
        return legality::allowed;
    case verb::mail:
        return s == server_state::ready ? legality::allowed : legality::bad_sequence;
    // RFC 3030 §2: BDAT chunks after MAIL (DATA's rule: without an accepted recipient
    // the session answers 554), until the one marked LAST; no RCPT or DATA between them.
    case verb::bdat:
        return (s == server_state::mail || s == server_state::rcpt || s == server_state::bdat)
                   ? legality::allowed
                   : legality::bad_sequence;
    case verb::rcpt:
        return (s == server_state::mail || s == server_state::rcpt) ? legality::allowed
                                                                   : legality::bad_sequence;
    case verb::data:
        return (s == server_state::mail || s == server_state::rcpt) ? legality::allowed
                                                                   : legality::bad_sequence;
    // RFC 3207 §4: STARTTLS once the client has seen it offered in the EHLO reply;
    // whatever was learned before, a transaction included, is forgotten at the handshake.
    case verb::starttls:
        return s == server_state::connected ? legality::bad_sequence : legality::allowed;
    // RFC 4954 §4: AUTH after EHLO, never inside a mail transaction.
    case verb::auth:
        return s == server_state::ready ? legality::allowed : legality::bad_sequence;
    case verb::lhlo:
        return legality::not_implemented;
    case verb::unknown:
        return legality::not_implemented;
    }
    return legality::not_implemented;
}

constexpr std::array<std::array<legality, verb_count>, server_state_count> make_legality_table() noexcept {
    std::array<std::array<legality, verb_count>, server_state_count> t{};
    for (std::size_t s = 0; s < server_state_count; ++s)
        for (std::size_t v = 0; v < verb_count; ++v)
            t[s][v] = command_legality(static_cast<server_state>(s), static_cast<verb>(v));
    return t;
}
} // namespace detail

/// Legality of every command in every server state: the single source of truth that
/// the session, the tests and the documentation read. DATA in state `mail` (no accepted
/// recipient yet) is allowed here and answered 554 5.5.1 "no valid recipients" by the
/// session, as RFC 5321 §3.3 permits. An extension's command is legal here as if the
/// extension were offered; when it is not (STARTTLS not configured, or TLS already
/// active; AUTH not configured, after HELO or once authenticated), the session answers
/// 502 or 503 before it asks this table. With CHUNKING offered, a BDAT whose size can be
/// read has its octets consumed whatever this table says: they are content, never
/// commands.
inline constexpr auto server_legality = detail::make_legality_table();

/// Legality of verb `v` in state `s`.
constexpr legality legality_of(server_state s, verb v) noexcept {
    return server_legality[static_cast<std::size_t>(s)][static_cast<std::size_t>(v)];
}

} // namespace v0
} // namespace smtpwire

#endif
