// Named relaxations of the SMTP grammar, each off by default, and the content policies.
// RFC 5321 §2.3.8 (lines end with CRLF only), §4.1.1.2 (MAIL syntax), RFC 2920 §3.1.
#ifndef SMTPWIRE_LENIENCY_HPP
#define SMTPWIRE_LENIENCY_HPP

#include <string_view>

namespace smtpwire {
inline namespace v0 {

/// Each flag accepts one kind of input that RFC 5321 forbids but real senders emit.
/// All are off: turn one on only for a peer that needs it, knowing the risk named.
struct leniency {
    /// Accept "MAIL FROM: <a@b>" (spaces after the colon). Risk: low; some old
    /// clients send it, and a parser that allows it must not then accept unbracketed
    /// addresses by accident.
    bool space_after_colon = false;

    /// Accept "MAIL FROM:a@b" without angle brackets. Risk: the end of the address
    /// becomes ambiguous with parameters, and a relay that writes it back unbracketed
    /// can be made to pass parameters it did not mean to.
    bool missing_brackets = false;

    /// Accept a local part ending in a dot ("user.@example.com") as some embedded
    /// devices send. Risk: the address is not a valid Dot-string; a next hop may
    /// refuse it or read it differently.
    bool trailing_dot_local_part = false;
};

/// What becomes of a bare CR or bare LF in message content. Whatever the policy, a bare
/// CR or LF never ends the data, never starts a line for dot-unstuffing and never
/// splits a command: only CRLF ends a line (the SMTP smuggling defence).
enum class bare_newline_policy {
    /// Refuse the message after the final dot with 550 5.5.2; nothing is delivered.
    /// As Postfix's smtpd_forbid_bare_newline: such bytes are either damage or an
    /// attempt to make a later hop see a different end of data.
    reject,
    /// Deliver each bare CR or LF as CRLF, so the stored message has one line model.
    /// Risk: the message differs from what the sender signed (DKIM body hash).
    normalize,
    /// Deliver the bytes as received. Risk: a next hop that treats bare LF as a line
    /// end may see a different message, the smuggling vector of CVE-2023-51764.
    allow,
};

/// A short name of `p`, for logs.
constexpr std::string_view to_string(bare_newline_policy p) noexcept {
    switch (p) {
    case bare_newline_policy::reject: return "reject";
    case bare_newline_policy::normalize: return "normalize";
    case bare_newline_policy::allow: return "allow";
    }
    return "unknown";
}

/// What happens to input a client sent before it may have (RFC 2920 §3.1): after a
/// command that must end a pipelined group (EHLO, HELO, DATA, VRFY, EXPN, NOOP,
/// QUIT), or after any command when PIPELINING is not in effect.
enum class pipelining_policy {
    /// Answer "554 5.5.0 Error: SMTP protocol synchronization" and close, as
    /// Postfix 3.9's smtpd_forbid_unauth_pipelining does. Spam engines talk early.
    reject,
    /// Process the early input as if it had come in time.
    tolerate,
};

/// A short name of `p`, for logs.
constexpr std::string_view to_string(pipelining_policy p) noexcept {
    switch (p) {
    case pipelining_policy::reject: return "reject";
    case pipelining_policy::tolerate: return "tolerate";
    }
    return "unknown";
}

} // namespace v0
} // namespace smtpwire

#endif
