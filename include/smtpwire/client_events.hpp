// The events a client_session hands to the application, as one std::variant.
// RFC 5321 §3 and §4.2 (replies and their classes), RFC 2920 (pipelined replies), RFC 3207.
#ifndef SMTPWIRE_CLIENT_EVENTS_HPP
#define SMTPWIRE_CLIENT_EVENTS_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "smtpwire/command.hpp"
#include "smtpwire/enhanced_status.hpp"
#include "smtpwire/flow.hpp"

namespace smtpwire {
inline namespace v0 {

// Every view inside an event is valid until the next non-const call on the session.

/// How a reply or a transaction ended, from its reply code's first digit.
enum class outcome {
    success,    // 2xx (and 354 for DATA)
    transient,  // 4xx: try again later; for RCPT 452, in a new transaction
    permanent,  // 5xx: do not retry
};

/// A short name of `o`.
constexpr std::string_view to_string(outcome o) noexcept {
    switch (o) {
    case outcome::success: return "success";
    case outcome::transient: return "transient";
    case outcome::permanent: return "permanent";
    }
    return "unknown outcome";
}

/// The outcome a reply code stands for, by its first digit (RFC 5321 §4.2.1): 2xx and
/// 3xx are success, 4xx transient, 5xx permanent. An unknown code such as 299 or 459
/// acts as its class (§4.3.2).
constexpr outcome outcome_of(std::uint16_t code) noexcept {
    return code >= 500 ? outcome::permanent : code >= 400 ? outcome::transient : outcome::success;
}

/// A complete reply from the server.
struct reply_info {
    std::uint16_t code = 0;
    enhanced_status status{};    // of the first line, when present
    std::string_view text;       // first line's text after the status (at most 512 octets kept)
    std::size_t lines = 0;       // lines in the reply
    [[nodiscard]] constexpr smtpwire::outcome result() const noexcept { return outcome_of(code); }
};

/// The server greeted with 220.
struct greeted {
    reply_info reply;
};

/// EHLO (or the HELO fallback) succeeded: the session can send mail. capabilities()
/// holds what the server announced (empty after HELO). With STARTTLS, this comes after
/// the EHLO sent inside TLS.
struct ready {
    bool extended = true;  // false when the server refused EHLO and HELO was used
    bool tls = false;      // the connection is encrypted (STARTTLS or implicit TLS)
    bool authenticated = false;  // SMTP AUTH succeeded (client_config::auth)
};

/// Identifies a mail transaction: client_session::transaction() after mail_from()
/// returns it, and every reply and transaction_done of that transaction carries it.
/// Transactions are numbered from 1; 0 stands for "no transaction" (EHLO, RSET, QUIT).
using transaction_id = std::uint64_t;

/// The reply to one command the application issued. For RCPT, `index` is the
/// position of that rcpt_to() call in its transaction, from 0. For DATA, code 354
/// means "send the content now"; for the content, `command` is verb::data too, with
/// `after_content` set. For BDAT, `index` counts the chunks from 0, and the reply to
/// the LAST one has `after_content` set. With LMTP (client_config::lmtp) the content
/// (the final dot, or the LAST chunk) gets one reply per accepted recipient, in RCPT
/// order, each with `after_content` set: `index` counts them from 0, so index n
/// answers the (n+1)-th RCPT that got a 2xx reply. `transaction` is the transaction the
/// command belongs to, also for the replies to a transaction the application abandoned
/// with reset().
struct command_reply {
    smtpwire::verb command = verb::unknown;
    std::size_t index = 0;
    bool after_content = false;
    transaction_id transaction = 0;
    reply_info reply;
};

/// A mail transaction is over. success: the server took the message for every
/// accepted recipient (`accepted` of `recipients`). Otherwise `reply` is the reply that
/// decided it: MAIL's, DATA's, the final reply, or the last RCPT reply when no
/// recipient was accepted (transient if any RCPT failure was 4xx).
struct transaction_done {
    smtpwire::outcome result = outcome::success;
    std::size_t recipients = 0;
    std::size_t accepted = 0;
    std::size_t delivered = 0;  // recipients the server took the message for: with LMTP
                                // those whose own reply after the content was 2xx (when
                                // some were not, `reply` is the first that was not), none
                                // when MAIL was refused (the dot then ended the content
                                // alone); otherwise `accepted` on success, else 0
    transaction_id transaction = 0;
    reply_info reply;
};

/// After the 354: the session has passed on all the content given to send_body() so
/// far. Give it the next part with send_body(), or end the message with end_body().
/// Returned on every next_event() call until one of them is made (the content comes
/// from the application, as input comes from the peer after need_data).
struct need_body {};

/// What went wrong on the server's side, or on the connection.
enum class client_error {
    greeting_refused,    // 554 (or another non-220) greeting; QUIT was sent
    hello_refused,       // EHLO and HELO both refused; QUIT was sent
    service_closing,     // a 421 reply at any point
    malformed_reply,     // a reply line that is not "ddd[ -]text" with a first digit of 2-5,
                         // mixed codes in one reply, control bytes
    reply_too_long,      // a reply line or reply over client_config::reply limits
    unexpected_reply,    // a reply when none was due, or a 3xx other than 354 to DATA
    connection_closed,   // the server closed the connection before QUIT's reply
    timeout,             // timed_out() for the current epoch
    invalid_config,      // the HELO name is not a domain or address literal, the AUTH
                         // credentials cannot be used (client_auth says when), or the
                         // session's storage could not be allocated
    tls_unavailable,     // tls_policy::required, and the server does not offer STARTTLS
                         // (a permanent failure); QUIT was sent
    tls_refused,         // tls_policy::required, and STARTTLS was answered with `reply`
                         // (454: transient); QUIT was sent
    tls_failed,          // the application reported a failed TLS handshake (tls_failed())
    auth_unavailable,    // credentials were given, but the server offers no AUTH mechanism
                         // the configuration allows (a permanent failure); QUIT was sent
    auth_failed,         // AUTH was answered with `reply` (535: permanent, 454: transient);
                         // QUIT was sent. With SCRAM-SHA-256 also when the server did not
                         // prove it knows the password (a wrong signature, a message that
                         // breaks RFC 5802, or a 235, then `reply`, without its signature):
                         // "*" and QUIT were sent, and the session closed at once
};

/// A short English description of `e`.
constexpr std::string_view to_string(client_error e) noexcept {
    switch (e) {
    case client_error::greeting_refused: return "greeting refused";
    case client_error::hello_refused: return "EHLO and HELO refused";
    case client_error::service_closing: return "service closing (421)";
    case client_error::malformed_reply: return "malformed reply";
    case client_error::reply_too_long: return "reply too long";
    case client_error::unexpected_reply: return "unexpected reply";
    case client_error::connection_closed: return "connection closed";
    case client_error::timeout: return "timeout";
    case client_error::invalid_config: return "invalid configuration";
    case client_error::tls_unavailable: return "STARTTLS not offered";
    case client_error::tls_refused: return "STARTTLS refused";
    case client_error::tls_failed: return "TLS handshake failed";
    case client_error::auth_unavailable: return "no usable AUTH mechanism";
    case client_error::auth_failed: return "authentication failed";
    }
    return "unknown client_error";
}

/// The session failed. Where the connection still allows a command (not during the
/// content, not while the reply to DATA is due, not after the server closed), QUIT is
/// written first. After a refusal the server announced (a refused greeting, EHLO/HELO,
/// STARTTLS or AUTH: the errors above that say "QUIT was sent") the session waits for
/// QUIT's reply, a command_reply, then closes; otherwise it reads nothing more. It
/// returns `closed` once its output is written. `reply` is set when a reply caused it.
struct client_failure {
    client_error what = client_error::connection_closed;
    reply_info reply;
};

/// Everything client_session::next_event() can return.
using client_event = std::variant<need_data, need_output, need_body, closed, tls_handover,
                                  greeted, ready, command_reply, transaction_done, client_failure>;

} // namespace v0
} // namespace smtpwire

#endif
