// The events a server_session hands to the application, as one std::variant.
// RFC 5321 §3 (the SMTP procedures each event stands for), RFC 1870, 6152, 6531, 3207, 4954.
#ifndef SMTPWIRE_SERVER_EVENTS_HPP
#define SMTPWIRE_SERVER_EVENTS_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "smtpwire/command.hpp"
#include "smtpwire/flow.hpp"
#include "smtpwire/mail_parameters.hpp"
#include "smtpwire/rcpt_parameters.hpp"
#include "smtpwire/path.hpp"
#include "smtpwire/sasl/mechanism.hpp"

namespace smtpwire {
inline namespace v0 {

// Every view inside an event is valid until the next non-const call on the session.

// Flow control (need_data, need_output, paused, closed, tls_handover) is in flow.hpp.

// --- decisions: answer each with accept(), accept(text) or reject(reply) -----------

/// The identity of one decision event, in its `decision` member. An application that
/// answers later (asynchronous policy) passes it back, accept(id, ...) or reject(id,
/// ...), so an answer to a decision that was cancelled meanwhile (shutdown()) or
/// already answered is refused (errc::stale_decision) instead of answering the next
/// one. Decisions of one session are numbered from 1 in the order they are asked.
enum class decision_id : std::uint64_t {};

/// A client connected. accept(): "220 <hostname> ESMTP"; reject() with a 554 (or 421)
/// refuses service: after a 554 only QUIT is served (RFC 5321 §3.1). Input may be fed
/// while this decision waits; server_session::pregreet_input() then tells whether the
/// client talked before the greeting.
struct client_connected {
    decision_id decision{};
};

/// HELO or EHLO. accept(): 250 with the offered extensions after EHLO; the text given to
/// accept(text) follows the hostname on the first line. `domain` was checked against
/// RFC 5321's Domain / address-literal grammar.
/// RFC 5321 §4.1.4: a mail transaction in progress stays open while this decision is
/// pending and after reject(), which leaves the state exactly as it was; accept() ends
/// it, and transaction_reset is then the next event.
struct hello {
    decision_id decision{};
    smtpwire::verb verb = verb::ehlo;
    std::string_view domain;
};

/// MAIL FROM, syntactically valid and within the limits. accept(): 250 2.1.0.
struct mail_from {
    decision_id decision{};
    path reverse_path;
    mail_parameters parameters;
};

/// RCPT TO, syntactically valid and within the limits. accept(): 250 2.1.5.
/// `index` counts RCPT commands of this transaction that reached the application,
/// from 0.
struct rcpt_to {
    decision_id decision{};
    path forward_path;
    rcpt_parameters parameters;    // NOTIFY and ORCPT (with DSN offered); the session
                                   // answered any other 555, an invalid one 501
    std::size_t index = 0;
};

/// DATA, or the first BDAT chunk (RFC 3030), with at least one accepted recipient.
/// accept(): 354 for DATA; content follows as body_chunk events. For BDAT (`chunked`)
/// accept() writes nothing, the chunks' octets follow as body_chunk events, the session
/// answers each chunk but the last itself (250 2.0.0), and the one marked LAST ends
/// with message_end; reject() refuses the content, and the reply follows the chunk's
/// octets, which are dropped.
struct data_begin {
    decision_id decision{};
    std::size_t recipients = 0;    // recipients accepted in this transaction
    bool chunked = false;          // the content arrives with BDAT, not DATA
};

/// The final "." (or BDAT LAST) was received and the content is within every limit and
/// policy. accept(): 250 2.0.0; reject() refuses the message after the fact. With LMTP
/// (server_config::lmtp) each of the `recipients` accepted recipients gets its own
/// reply: server_session::accept_recipient() and reject_recipient() answer them one by
/// one, in any order; accept() and reject() answer all those left.
struct message_end {
    decision_id decision{};
    std::uint64_t size = 0;          // octets delivered through body_chunk events
    std::size_t overlong_lines = 0;  // lines longer than limits::text_line
    std::size_t bare_newlines = 0;   // bare CR/LF delivered (policy allow) or converted (normalize)
    std::size_t recipients = 0;      // recipients accepted in this transaction
};

/// VRFY. accept(): "252 2.5.0 Cannot VRFY user, but will accept message and attempt
/// delivery" (RFC 5321 §3.5.3); accept(text) or reject() to answer for real.
/// `argument` is the text after "VRFY ": never empty or only spaces, and free of control
/// bytes (%x00-1F, %x7F); a VRFY without such an argument was answered 501 5.5.4.
struct verify {
    decision_id decision{};
    std::string_view argument;
};

/// STARTTLS, offered and well-formed. accept(): "220 2.0.0 Ready to start TLS", and
/// next_event() returns tls_handover (flow.hpp) once it is written; accept(text) sets
/// the text. reject() refuses TLS for now, usually with
/// 454 4.7.0 (RFC 3207 §4), and the session goes on in clear. Input that arrived behind
/// the STARTTLS line, and any fed while this decision waits, is discarded unread.
struct starttls_request {
    decision_id decision{};
};

/// AUTH credentials to check (RFC 4954 §4). accept(): "235 2.7.0 Authentication
/// successful", and the session is authenticated; reject(), usually with
/// 535 5.7.8 (wrong credentials) or 454 4.7.0 (a temporary failure), counts as an error
/// towards limits::errors (for XOAUTH2 and OAUTHBEARER the reply follows the error
/// challenge those mechanisms send first). For OAUTHBEARER `user` is the authorization
/// identity, empty when the client named none. Nothing of the secret appears in any other event, reply or
/// to_string(); the views are into the session's own buffer.
struct auth_request {
    decision_id decision{};
    sasl::mechanism mechanism = sasl::mechanism::plain;
    std::string_view authorization_id;  // the identity to act as; empty: the user's own
    std::string_view user;              // the authentication identity
    std::string_view secret;            // PLAIN and LOGIN: the password; XOAUTH2 and
                                        // OAUTHBEARER: the bearer token; CRAM-MD5: the
                                        // client's digest (check it with
                                        // sasl::cram_md5_verify(password, challenge,
                                        // secret)); SCRAM-SHA-256: empty (answer with
                                        // accept(id, scram_credentials) or reject())
    std::string_view challenge;         // CRAM-MD5: the challenge the digest answers
};

// --- information ---------------------------------------------------------------


/// Message content, dot-unstuffed, in order. A view into the fed bytes or a constant.
struct body_chunk {
    std::string_view bytes;
};

/// Why a message ended without being complete.
enum class abort_reason {
    too_large,       // over limits::message_size: 552 5.3.4 was sent after the final dot,
                     // or after the BDAT chunk that would pass the limit (its octets dropped)
    bare_newline,    // bare CR or LF with bare_newline_policy::reject: 550 5.5.2 was sent
    connection_lost, // the peer closed or the session ended before the final dot or
                     // the BDAT chunk marked LAST
};

/// A short English description of `r`.
constexpr std::string_view to_string(abort_reason r) noexcept {
    switch (r) {
    case abort_reason::too_large: return "message too large";
    case abort_reason::bare_newline: return "bare CR or LF in message content";
    case abort_reason::connection_lost: return "connection lost before the end of data";
    }
    return "unknown abort_reason";
}

/// The message whose content was streaming is not complete: discard what arrived.
struct message_aborted {
    abort_reason reason = abort_reason::connection_lost;
};

/// The mail transaction in progress ended without a message (RSET, an accepted HELO or
/// EHLO, an accepted STARTTLS, QUIT, or an error close): forget its sender and recipients,
/// and any content of BDAT chunks received so far. An error close is
/// a timeout, the error limit, a pipelining violation, shutdown(), the peer closing, or
/// a 421 answer to a decision; after a 421 answer to mail_from or message_end this event
/// comes too, for the transaction being opened or whose message was refused.
struct transaction_reset {};

/// Peer errors. In each case the session has answered the peer itself.
enum class server_error {
    line_too_long,           // 500 5.5.2
    bare_newline_in_command, // 500 5.5.2: bare CR or LF, or NUL, inside a command line
    unknown_command,         // 500 5.5.1
    not_implemented,         // 502 5.5.1
    syntax,                  // 501 (5.5.4, 5.1.7 or 5.1.3)
    bad_sequence,            // 503 5.5.1
    no_valid_recipients,     // 554 5.5.1: DATA before any accepted RCPT
    unknown_parameter,       // 555 5.5.4
    non_ascii_address,       // 553 5.6.7: UTF-8 address without SMTPUTF8
    size_exceeded,           // 552 5.3.4: declared SIZE over the limit
    too_many_recipients,     // 452 4.5.3
    pipelining_violation,    // 554 5.5.0, then closing
    too_many_errors,         // 421 4.7.0, then closing
    timeout,                 // 421 4.4.2, then closing
    auth_required,           // 530 5.7.0: MAIL before AUTH where it is required
    auth_mechanism,          // 504 5.5.4: a mechanism not offered
    auth_needs_tls,          // 538 5.7.11: a mechanism that sends the secret, in clear
    auth_bad_base64,         // 501 5.5.2: a response that is not base64
    auth_invalid,            // 535 5.7.8: a response the mechanism cannot read
    auth_cancelled,          // 501 5.0.0: the client answered "*"
    auth_line_too_long,      // 500 5.5.6: an AUTH line over limits::auth_line
};

/// A short English description of `e`.
constexpr std::string_view to_string(server_error e) noexcept {
    switch (e) {
    case server_error::line_too_long: return "command line too long";
    case server_error::bare_newline_in_command: return "bare CR, LF or NUL in command line";
    case server_error::unknown_command: return "unknown command";
    case server_error::not_implemented: return "command not implemented";
    case server_error::syntax: return "syntax error";
    case server_error::bad_sequence: return "bad sequence of commands";
    case server_error::no_valid_recipients: return "no valid recipients";
    case server_error::unknown_parameter: return "unknown parameter";
    case server_error::non_ascii_address: return "non-ASCII address without SMTPUTF8";
    case server_error::size_exceeded: return "declared size exceeds the limit";
    case server_error::too_many_recipients: return "too many recipients";
    case server_error::pipelining_violation: return "input sent before the reply it must wait for";
    case server_error::too_many_errors: return "too many errors";
    case server_error::timeout: return "timeout";
    case server_error::auth_required: return "authentication required";
    case server_error::auth_mechanism: return "authentication mechanism not offered";
    case server_error::auth_needs_tls: return "authentication mechanism needs TLS";
    case server_error::auth_bad_base64: return "authentication response not base64";
    case server_error::auth_invalid: return "invalid authentication response";
    case server_error::auth_cancelled: return "authentication cancelled";
    case server_error::auth_line_too_long: return "authentication line too long";
    }
    return "unknown server_error";
}

/// The peer did something wrong; the reply with code `code` was queued.
struct protocol_error {
    server_error what = server_error::syntax;
    std::uint16_t code = 0;
};

/// Why the session is closing.
enum class close_reason {
    quit,             // 221 after QUIT
    peer_closed,      // the peer closed its side (feed_eof())
    too_many_errors,  // 421 4.7.0
    timeout,          // 421 4.4.2
    pipelining_violation, // 554 5.5.0
    shutdown,         // the application called shutdown(): 421 4.3.2
    refused,          // the application answered with 421
    invalid_config,   // the configuration cannot be honoured: see config_status(); nothing was written
};

/// A short English description of `r`.
constexpr std::string_view to_string(close_reason r) noexcept {
    switch (r) {
    case close_reason::quit: return "quit";
    case close_reason::peer_closed: return "peer closed";
    case close_reason::too_many_errors: return "too many errors";
    case close_reason::timeout: return "timeout";
    case close_reason::pipelining_violation: return "pipelining violation";
    case close_reason::shutdown: return "shutdown";
    case close_reason::refused: return "refused with 421";
    case close_reason::invalid_config: return "invalid configuration";
    }
    return "unknown close_reason";
}

/// The session will read no more input. Write out the remaining output(); next_event()
/// then returns `closed`.
struct closing {
    close_reason reason = close_reason::quit;
};

/// Everything next_event() can return.
using server_event = std::variant<need_data, need_output, paused, closed,
                                  client_connected, hello, mail_from, rcpt_to, data_begin,
                                  message_end, verify, starttls_request, auth_request,
                                  tls_handover, body_chunk, message_aborted, transaction_reset,
                                  protocol_error, closing>;

/// True when `ev` is a decision the application must answer with accept() or reject().
inline bool is_decision(const server_event& ev) noexcept {
    return std::holds_alternative<client_connected>(ev) || std::holds_alternative<hello>(ev) ||
           std::holds_alternative<mail_from>(ev) || std::holds_alternative<rcpt_to>(ev) ||
           std::holds_alternative<data_begin>(ev) || std::holds_alternative<message_end>(ev) ||
           std::holds_alternative<verify>(ev) || std::holds_alternative<starttls_request>(ev) ||
           std::holds_alternative<auth_request>(ev);
}

} // namespace v0
} // namespace smtpwire

#endif
