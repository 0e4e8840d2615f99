// Size and count limits of a session, fixed at construction.
// RFC 5321 §4.5.3.1 gives the minimums; defaults follow Postfix where it is stricter or wider.
#ifndef SMTPWIRE_LIMITS_HPP
#define SMTPWIRE_LIMITS_HPP

#include <cstddef>
#include <cstdint>

namespace smtpwire {
inline namespace v0 {

/// Limits of one session. Every field has a safe default; raise or lower them per deployment.
struct limits {
    /// Longest command line in octets, CRLF included. RFC 5321 §4.5.3.1.4 sets 512 as
    /// the minimum; extensions add parameters, so Postfix's line_length_limit (2048) is
    /// the default. Values below 512 are raised to 512. A longer line is answered with
    /// one 500 5.5.2 and skipped as it arrives, never buffered or executed in part.
    std::size_t command_line = 2048;

    /// Longest text line of message content in octets, CRLF included: 1000 per
    /// RFC 5321 §4.5.3.1.6. Longer lines are delivered unchanged, never cut; the
    /// message_end event counts them so the application can decide.
    std::size_t text_line = 1000;

    /// Most recipients accepted in one transaction. RFC 5321 §4.5.3.1.8 requires at
    /// least 100; Postfix's smtpd_recipient_limit is 1000. Over it: 452 4.5.3.
    std::size_t recipients = 1000;

    /// Largest message in octets after dot-unstuffing; 0 means no limit. Postfix's
    /// message_size_limit is 10240000. Announced with SIZE (RFC 1870); a larger
    /// declared SIZE is refused at MAIL, a larger body after the final dot (552 5.3.4).
    std::uint64_t message_size = 10240000;

    /// Protocol errors tolerated before the session answers 421 4.7.0 and closes.
    /// Postfix's smtpd_hard_error_limit is 20.
    unsigned errors = 20;

    /// Capacity of the output buffer in octets, allocated once at construction.
    /// Values below 1024, or below what the largest reply the session writes by itself
    /// needs (the EHLO reply: 512 octets plus the hostname and extension lines), are
    /// raised to that.
    std::size_t output_buffer = 4096;

    /// Longest AUTH command or SASL response line in octets, CRLF included (RFC 4954
    /// §4 lets a line exceed 512 octets; OAuth tokens need it): Postfix's
    /// smtpd_sasl_response_limit. Raised to command_line when below it. A longer line
    /// is answered 500 5.5.6, skipped as it arrives, and ends the exchange. With AUTH
    /// offered, unconsumed() may hold an incomplete line of up to this size.
    std::size_t auth_line = 12288;
};

} // namespace v0
} // namespace smtpwire

#endif
