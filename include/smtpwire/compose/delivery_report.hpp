// A delivery status notification (a bounce): multipart/report with message/delivery-status.
// RFC 3464 §2-3, RFC 6522 §3-4, RFC 3461 §4.1, §4.3, §6.1, RFC 5321 §4.5.5, RFC 3834 §5.
#ifndef SMTPWIRE_COMPOSE_DELIVERY_REPORT_HPP
#define SMTPWIRE_COMPOSE_DELIVERY_REPORT_HPP

#include <cstddef>
#include <optional>
#include <string_view>

#include "smtpwire/ascii.hpp"
#include "smtpwire/compose/body.hpp"
#include "smtpwire/compose/date.hpp"
#include "smtpwire/compose/message.hpp"
#include "smtpwire/domain.hpp"
#include "smtpwire/dsn.hpp"
#include "smtpwire/enhanced_status.hpp"
#include "smtpwire/envelope.hpp"
#include "smtpwire/mail_parameters.hpp"
#include "smtpwire/mailbox.hpp"
#include "smtpwire/reply.hpp"
#include "smtpwire/reply_code.hpp"

namespace smtpwire {
inline namespace v0 {
namespace compose {

/// What happened to a recipient: the Action field (RFC 3464 §2.3.3).
enum class delivery_action {
    failed,    // not delivered, and no further attempt will be made
    delayed,   // not delivered yet; attempts continue
    delivered, // delivered to the recipient's mailbox
    relayed,   // passed on to a system that sends no delivery notifications
    expanded,  // delivered to a list or alias, which sends the message on to its members
};

/// The Action field's value ("failed", "delayed", ...).
constexpr std::string_view to_string(delivery_action a) noexcept {
    switch (a) {
    case delivery_action::failed: return "failed";
    case delivery_action::delayed: return "delayed";
    case delivery_action::delivered: return "delivered";
    case delivery_action::relayed: return "relayed";
    case delivery_action::expanded: return "expanded";
    }
    return "unknown delivery_action";
}

/// What an MTA reports for a recipient that gave no NOTIFY: failures, and delays too if
/// it chooses (RFC 3461 §4.1 leaves delays to the MTA).
enum class default_notify { failure, failure_and_delay };

/// True when a report of `action` is due to a recipient that asked for `notify` (RFC
/// 3461 §4.1): never with NEVER; with a NOTIFY list, failed for FAILURE, delayed for
/// DELAY, and delivered, relayed and expanded for SUCCESS; without NOTIFY, failed
/// always, delayed as `without_notify` says, the others never. Whatever this says, no
/// report is sent for a message with the null reverse path <> (RFC 5321 §4.5.5).
[[nodiscard]] constexpr bool report_due(const dsn_notify& notify, delivery_action action,
                                        default_notify without_notify) noexcept {
    if (notify.never) return false;
    const bool given = notify.given();
    switch (action) {
    case delivery_action::failed: return !given || notify.failure;
    case delivery_action::delayed:
        return given ? notify.delay : without_notify == default_notify::failure_and_delay;
    case delivery_action::delivered:
    case delivery_action::relayed:
    case delivery_action::expanded: return given && notify.success;
    }
    return false;
}

/// What a report carries of the original message: its third part (RFC 6522 §3).
enum class returned_content {
    none,    // no third part
    headers, // the header section as text/rfc822-headers (RFC 6522 §4)
    full,    // the whole message as message/rfc822
};

/// What to return for the original MAIL command's RET (RFC 3461 §4.3): in a report
/// with a failure, the header for RET=HDRS and the whole message for RET=FULL and, the
/// MTA's choice without RET, the whole message too; in a report of delays or successes,
/// which RET does not govern, the header only (the recipient has the message, or will).
[[nodiscard]] constexpr returned_content returned_content_for(dsn_return ret,
                                                              bool reports_failure) noexcept {
    if (!reports_failure || ret == dsn_return::headers) return returned_content::headers;
    return returned_content::full;
}

/// One recipient's entry (RFC 3464 §2.3). The views are borrowed for the duration of the call.
struct report_recipient {
    std::string_view original_recipient; // ORCPT as "addr-type;address", the address
                                         // xtext-decoded, as recipient::orcpt holds it
                                         // ("rfc822;list+tag@example.net"); empty: none
    std::string_view final_recipient;    // the Mailbox of RCPT TO, ASCII, no brackets
                                         // ("postmaster" for <postmaster>)
    delivery_action action = delivery_action::failed;
    enhanced_status status{};            // 2.x.x for delivered, relayed and expanded,
                                         // 4.x.x for delayed, 4.x.x or 5.x.x for failed
    std::string_view remote_mta;         // the host that gave `diagnostic`: a Domain or
                                         // address literal; empty: none
    reply diagnostic{};                  // the SMTP reply that decided, its lines separated
                                         // by '\n', ASCII; code 0: none
    std::optional<date_time> last_attempt_date; // when delivery was last tried
};

/// A delivery report. The views and the array are borrowed for the duration of the call.
struct delivery_report {
    address from;                        // who reports: the postmaster or MAILER-DAEMON of
                                         // reporting_mta, e.g. {"Mail Delivery System",
                                         // "MAILER-DAEMON@mx.example"}
    std::string_view original_reverse_path; // MAIL FROM of the original message, no
                                         // brackets: the report's only recipient; "" and
                                         // "<>" (the null path) are refused
    std::string_view subject;            // UTF-8; empty: one written from the actions
    date_time date{};                    // when the report is made
    std::string_view message_id;         // the report's "<id-left@id-right>", or an id-left
                                         // alone, written as "<id-left@reporting_mta>"
    std::string_view reporting_mta;      // this MTA's name: a Domain or address literal
    std::string_view envelope_id;        // the original ENVID xtext-decoded, as
                                         // mail_options::envid holds it; empty: none
    std::optional<date_time> arrival_date; // when the original message arrived
    std::string_view explanation;        // the human-readable part: UTF-8 text, any line
                                         // endings; empty: a text written from the recipients
    const report_recipient* recipients = nullptr; // recipient_count entries, at least one
    std::size_t recipient_count = 0;
    returned_content returned = returned_content::none;
    std::string_view original_message;   // the message as it arrived (dot-stuffing undone);
                                         // read only when `returned` is not none
};

/// Why a report was not composed.
enum class delivery_report_error {
    ok,
    buffer_too_small,           // the report is larger than the buffer; nothing was written
    null_reverse_path,          // the original reverse path is <>: a report is never sent
                                // to it (RFC 5321 §4.5.5), so none is made
    invalid_address,            // from, the original reverse path or a final recipient is not
                                // an ASCII Mailbox
    invalid_text,               // the subject, from's display name or the explanation is not
                                // UTF-8, or the subject or display name holds CR, LF or NUL
    invalid_date,               // offset beyond ±99:59, or a local date outside 1900-9999
    invalid_message_id,         // empty, or neither a msg-id nor an id-left that makes one
    invalid_reporting_mta,      // not a Domain or address literal
    invalid_envelope_id,        // not 1 to 100 octets (xtext-encoded) of printable US-ASCII
                                // without SP (RFC 3461 §4.4)
    no_recipients,              // recipient_count is 0 or recipients is null
    invalid_original_recipient, // not "addr-type;address" as RFC 3461 §4.2 allows
    invalid_status,             // not a valid status, or of a class the action excludes
    invalid_remote_mta,         // not a Domain or address literal
    invalid_diagnostic,         // not a reply code; a status of another class than the code;
                                // text other than printable ASCII, SP and '\n', or a word
                                // over max_diagnostic_word octets
    invalid_returned_message,   // the part returned is empty, or holds NUL or a line over
                                // max_line_octets octets
};

/// A short English description of `e`.
constexpr std::string_view to_string(delivery_report_error e) noexcept {
    switch (e) {
    case delivery_report_error::ok: return "ok";
    case delivery_report_error::buffer_too_small: return "buffer too small";
    case delivery_report_error::null_reverse_path: return "null reverse path";
    case delivery_report_error::invalid_address: return "invalid address";
    case delivery_report_error::invalid_text: return "invalid text";
    case delivery_report_error::invalid_date: return "invalid date";
    case delivery_report_error::invalid_message_id: return "invalid Message-ID";
    case delivery_report_error::invalid_reporting_mta: return "invalid Reporting-MTA";
    case delivery_report_error::invalid_envelope_id: return "invalid Original-Envelope-Id";
    case delivery_report_error::no_recipients: return "no recipients";
    case delivery_report_error::invalid_original_recipient: return "invalid Original-Recipient";
    case delivery_report_error::invalid_status: return "invalid Status";
    case delivery_report_error::invalid_remote_mta: return "invalid Remote-MTA";
    case delivery_report_error::invalid_diagnostic: return "invalid Diagnostic-Code";
    case delivery_report_error::invalid_returned_message: return "invalid returned message";
    }
    return "unknown delivery_report_error";
}

/// The envelope a report travels in (RFC 3461 §6.1, RFC 5321 §4.5.5): the null reverse
/// path, and the original sender as the one recipient.
struct report_envelope {
    smtpwire::recipient original_sender{}; // the original reverse path, with NOTIFY=NEVER
                                           // (the only NOTIFY RFC 3461 §6.1 allows here)
    mail_options options{};                // SIZE: the report's; BODY=8BITMIME when the
                                           // returned message has 8-bit octets; no RET,
                                           // no ENVID

    /// For client_session::send_mail(): sender "" (<>) and original_sender. Borrows this
    /// object, which borrows the report's strings, until the transaction ends.
    [[nodiscard]] constexpr envelope to_envelope() const noexcept {
        envelope e;
        e.sender = "";
        e.options = options;
        e.recipients = &original_sender;
        e.recipient_count = 1;
        return e;
    }
};

/// The outcome of compose_delivery_report(): on ok and on buffer_too_small, `size` is the
/// length of the whole report and `envelope` says how to send it; on the other errors
/// `size` is 0 and `envelope` empty.
struct delivery_report_result {
    delivery_report_error error;
    std::size_t size;
    report_envelope envelope;
};

/// Longest word (run of octets other than SP) in a diagnostic's text: with the four
/// spaces that indent it in the written explanation and the "550-" it may follow, it
/// fits a line of max_line_octets.
inline constexpr std::size_t max_diagnostic_word = max_line_octets - 8;

namespace detail {

// The boundary is this prefix and boundary_digits hexadecimal digits. '=' followed by
// '_' never appears in quoted-printable output, nor in any text this header writes
// itself; only the application's text can hold it.
inline constexpr std::string_view boundary_prefix = "=_smtpwire-report-";
inline constexpr std::size_t boundary_digits = 16;
inline constexpr std::size_t boundary_size = boundary_prefix.size() + boundary_digits;
inline constexpr std::string_view boundary_digit_set = "0123456789ABCDEF";

// Width of the lines of the explanation written when the application gives none.
inline constexpr std::size_t explanation_width = 76;

// The report's decisions, taken once before it is measured and written.
struct report_layout {
    char boundary[boundary_size]{};
    std::string_view returned;     // the text of the third part; empty: none
    bool eight_bit = false;        // the returned text has octets above 127
    transfer_encoding explanation_encoding = transfer_encoding::seven_bit;
};

constexpr bool is_null_path(std::string_view path) noexcept {
    return path.empty() || path == "<>";
}

constexpr bool is_ascii_mailbox(std::string_view s) noexcept {
    mailbox m;
    return parse_mailbox(s, false, m) == mailbox_error::ok;
}

// The header section of `message`: its lines before the first empty line, line breaks
// included (CRLF, or a bare CR or LF), or all of it when no line is empty.
constexpr std::string_view header_section(std::string_view message) noexcept {
    std::size_t i = 0;
    while (i < message.size()) {
        const std::size_t start = i;
        while (i < message.size() && message[i] != '\r' && message[i] != '\n') ++i;
        if (i == start) return message.substr(0, start);
        if (i < message.size())
            i += (message[i] == '\r' && i + 1 < message.size() && message[i + 1] == '\n') ? 2u : 1u;
    }
    return message;
}

// A Status the action allows (RFC 3464 §2.3.4): success for delivered, relayed and
// expanded, a transient failure for delayed, either kind of failure for failed (a
// message given up after transient failures).
constexpr bool status_fits(enhanced_status s, delivery_action a) noexcept {
    if (!is_valid_enhanced_status(s)) return false;
    switch (a) {
    case delivery_action::failed: return s.cls == 4 || s.cls == 5;
    case delivery_action::delayed: return s.cls == 4;
    case delivery_action::delivered:
    case delivery_action::relayed:
    case delivery_action::expanded: return s.cls == 2;
    }
    return false;
}

constexpr bool is_diagnostic(const reply& r) noexcept {
    if (!is_valid_reply_code(r.code)) return false;
    if (!r.status.empty() && (!is_valid_enhanced_status(r.status) || r.status.cls != r.code / 100))
        return false;
    std::size_t word = 0;
    for (char c : r.text) {
        if (c == ' ' || c == '\n') {
            word = 0;
        } else if (!ascii::is(c, ascii::vchar) || ++word > max_diagnostic_word) {
            return false;
        }
    }
    return true;
}

// The Message-ID the report gets from an id-left and reporting_mta (a checked Domain or
// address literal, either a valid id-right).
constexpr bool is_message_id_left(std::string_view left, std::string_view mta) noexcept {
    return is_dot_atom_text(left) &&
           left.size() + mta.size() + 3 <= max_line_octets - message_id_field.size();
}

constexpr delivery_report_error check_recipient(const report_recipient& p) noexcept {
    if (!p.original_recipient.empty() && !orcpt_argument_valid(p.original_recipient))
        return delivery_report_error::invalid_original_recipient;
    if (!ascii::iequals(p.final_recipient, "postmaster") && !is_ascii_mailbox(p.final_recipient))
        return delivery_report_error::invalid_address;
    if (!status_fits(p.status, p.action)) return delivery_report_error::invalid_status;
    if (!p.remote_mta.empty() && check_domain_or_literal(p.remote_mta, false) != domain_error::ok)
        return delivery_report_error::invalid_remote_mta;
    if (p.diagnostic.code != 0 && !is_diagnostic(p.diagnostic))
        return delivery_report_error::invalid_diagnostic;
    if (p.last_attempt_date && !is_valid_date(*p.last_attempt_date))
        return delivery_report_error::invalid_date;
    return delivery_report_error::ok;
}

// A returned text can travel as it is: not empty, no NUL, no line over max_line_octets.
constexpr bool is_returnable(std::string_view text) noexcept {
    if (text.empty() || text.find('\0') != std::string_view::npos) return false;
    bool fits = true;
    for_each_line(text, [&fits](std::string_view line) {
        if (line.size() > max_line_octets) fits = false;
    });
    return fits;
}

constexpr delivery_report_error check_report(const delivery_report& r,
                                             std::string_view returned) noexcept {
    if (is_null_path(r.original_reverse_path)) return delivery_report_error::null_reverse_path;
    if (!is_ascii_mailbox(r.from.addr_spec) || !is_ascii_mailbox(r.original_reverse_path))
        return delivery_report_error::invalid_address;
    if (!is_header_text(r.from.display_name) || !is_header_text(r.subject) ||
        !ascii::is_valid_utf8(r.explanation))
        return delivery_report_error::invalid_text;
    if (!is_valid_date(r.date) || (r.arrival_date && !is_valid_date(*r.arrival_date)))
        return delivery_report_error::invalid_date;
    if (check_domain_or_literal(r.reporting_mta, false) != domain_error::ok)
        return delivery_report_error::invalid_reporting_mta;
    if (r.message_id.empty() || (r.message_id.front() == '<'
                                     ? !is_message_id(r.message_id)
                                     : !is_message_id_left(r.message_id, r.reporting_mta)))
        return delivery_report_error::invalid_message_id;
    if (!r.envelope_id.empty() && !envid_argument_valid(r.envelope_id))
        return delivery_report_error::invalid_envelope_id;
    if (r.recipients == nullptr || r.recipient_count == 0) return delivery_report_error::no_recipients;
    for (std::size_t i = 0; i < r.recipient_count; ++i) {
        const delivery_report_error e = check_recipient(r.recipients[i]);
        if (e != delivery_report_error::ok) return e;
    }
    if (r.returned != returned_content::none && !is_returnable(returned))
        return delivery_report_error::invalid_returned_message;
    return delivery_report_error::ok;
}

// Calls f(text) for every text of the application that the report's body carries.
template <class F>
constexpr void for_each_body_text(const delivery_report& r, std::string_view returned,
                                  F&& f) noexcept {
    f(r.explanation);
    f(r.reporting_mta);
    f(r.envelope_id);
    for (std::size_t i = 0; i < r.recipient_count; ++i) {
        const report_recipient& p = r.recipients[i];
        f(p.original_recipient);
        f(p.final_recipient);
        f(p.remote_mta);
        f(p.diagnostic.text);
    }
    f(returned);
}

// Adds to counts[d] the occurrences in `text` of `probe` followed by digit d.
constexpr void count_next_digits(std::string_view text, std::string_view probe,
                                 std::size_t (&counts)[16]) noexcept {
    for (std::size_t at = text.find(probe); at != std::string_view::npos;
         at = text.find(probe, at + 1)) {
        const std::size_t next = at + probe.size();
        if (next == text.size()) break;
        const std::size_t d = boundary_digit_set.find(text[next]);
        if (d != std::string_view::npos) ++counts[d];
    }
}

// Chooses a boundary that occurs in no text of the body (RFC 2046 §5.1.1), one digit
// at a time: each digit is the one that the fewest occurrences of the boundary chosen so
// far are followed by, which leaves at most a sixteenth of them. Once none is left the
// boundary occurs nowhere and the remaining digits are '0'; sixteen digits are enough
// for any text shorter than 16^16 octets, and inputs that hold none of the prefix (all
// but crafted ones) are read once.
constexpr void choose_boundary(const delivery_report& r, std::string_view returned,
                               char (&out)[boundary_size]) noexcept {
    for (std::size_t i = 0; i < boundary_size; ++i)
        out[i] = i < boundary_prefix.size() ? boundary_prefix[i] : '0';
    for (std::size_t chosen = 0; chosen < boundary_digits; ++chosen) {
        const std::string_view probe(out, boundary_prefix.size() + chosen);
        std::size_t counts[16]{};
        for_each_body_text(r, returned,
                           [&](std::string_view text) { count_next_digits(text, probe, counts); });
        std::size_t best = 0;
        for (std::size_t d = 1; d < 16; ++d)
            if (counts[d] < counts[best]) best = d;
        out[boundary_prefix.size() + chosen] = boundary_digit_set[best];
        if (counts[best] == 0) return;
    }
}

constexpr std::string_view boundary_of(const report_layout& l) noexcept {
    return std::string_view(l.boundary, boundary_size);
}

constexpr std::string_view default_subject(const delivery_report& r) noexcept {
    bool failed = false;
    bool delayed = false;
    for (std::size_t i = 0; i < r.recipient_count; ++i) {
        failed = failed || r.recipients[i].action == delivery_action::failed;
        delayed = delayed || r.recipients[i].action == delivery_action::delayed;
    }
    if (failed) return "Delivery Status Notification (Failure)";
    if (delayed) return "Delivery Status Notification (Delay)";
    return "Delivery Status Notification (Success)";
}

constexpr std::string_view action_sentence(delivery_action a) noexcept {
    switch (a) {
    case delivery_action::failed: return "the message could not be delivered.";
    case delivery_action::delayed: return "delivery is delayed; it will be tried again.";
    case delivery_action::delivered: return "the message was delivered.";
    case delivery_action::relayed:
        return "the message was passed on to a system that sends no delivery notifications.";
    case delivery_action::expanded:
        return "the message was delivered to a list or alias, which sends it on to its members.";
    }
    return "";
}

// Calls f(code, word, starts_line) for the words of a checked diagnostic, each reply
// line as it is written on the wire with runs of spaces made single: a line that more
// lines follow starts with its code and '-' joined to the status or, without one, to its
// first word ("550-5.1.1", "550-Rejected"); the last line starts with its code alone,
// then the status. `code` is that start or empty; `word` a word or empty; neither
// holds a space.
template <class F>
constexpr void for_each_diagnostic_word(const reply& r, F&& f) noexcept {
    char status[max_enhanced_status_length]{};
    const std::string_view status_text(status, format_enhanced_status(r.status, status));
    std::string_view text = r.text;
    for (;;) {
        const std::size_t newline = text.find('\n');
        const bool last = newline == std::string_view::npos;
        std::string_view line = text.substr(0, newline);
        while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
        char code[4 + max_enhanced_status_length]{};
        counting_writer c{code, sizeof code};
        c.put(static_cast<char>('0' + r.code / 100));
        c.put(static_cast<char>('0' + r.code / 10 % 10));
        c.put(static_cast<char>('0' + r.code % 10));
        if (!last) {
            c.put('-');
            c.put(status_text);
        }
        const std::string_view start(code, c.pos);
        if (last || !status_text.empty()) {
            f(start, std::string_view(), true);
            if (last && !status_text.empty()) f(std::string_view(), status_text, false);
        } else {
            const std::string_view first = line.substr(0, line.find(' '));
            f(start, first, true);
            line.remove_prefix(first.size());
        }
        while (!line.empty()) {
            const std::size_t space = line.find(' ');
            if (space != 0) f(std::string_view(), line.substr(0, space), false);
            if (space == std::string_view::npos) break;
            line.remove_prefix(space + 1);
        }
        if (last) return;
        text.remove_prefix(newline + 1);
    }
}

// The explanation when the application gives none: who reports, then each recipient,
// what happened and the diagnostic, wrapped to explanation_width. Every line is ASCII
// and within max_line_octets (a final recipient is a Mailbox; a diagnostic word is at
// most max_diagnostic_word), so it is sent as 7bit.
constexpr void write_default_explanation(const delivery_report& r, counting_writer& s) noexcept {
    s.put("This is the mail system at ");
    s.put(r.reporting_mta);
    s.put(", reporting on a message you sent.\r\n");
    for (std::size_t i = 0; i < r.recipient_count; ++i) {
        const report_recipient& p = r.recipients[i];
        s.put("\r\n<");
        s.put(p.final_recipient);
        s.put(">: ");
        s.put(action_sentence(p.action));
        s.put("\r\n");
        if (p.diagnostic.code == 0) continue;
        std::size_t col = 0;
        for_each_diagnostic_word(p.diagnostic, [&s, &col](std::string_view code,
                                                          std::string_view word, bool starts_line) {
            const std::size_t size = code.size() + word.size();
            if (starts_line && col != 0) s.put("\r\n");
            if (starts_line || col + 1 + size > explanation_width) {
                if (!starts_line) s.put("\r\n");
                s.put("    ");
                col = 4;
            } else {
                s.put(' ');
                ++col;
            }
            s.put(code);
            s.put(word);
            col += size;
        });
        s.put("\r\n");
    }
}

constexpr void write_date_field(counting_writer& s, std::string_view name,
                                const date_time& date) noexcept {
    char text[date_text_size]{};
    static_cast<void>(format_date(date, text));
    s.put(name);
    s.put(": ");
    s.put(std::string_view(text, date_text_size));
    s.put("\r\n");
}

constexpr void write_field(counting_writer& s, std::string_view name, std::string_view type,
                           std::string_view value) noexcept {
    s.put(name);
    s.put(": ");
    s.put(type);
    s.put(value);
    s.put("\r\n");
}

// Diagnostic-Code (RFC 3464 §2.3.6): "smtp;" and the reply, each reply line after the
// first on a line of its own, folded between words to max_header_line where a word allows.
constexpr void write_diagnostic_field(counting_writer& s, const reply& r) noexcept {
    header_writer w{s};
    w.start("Diagnostic-Code");
    w.space(5);
    w.put("smtp;");
    bool first = true;
    for_each_diagnostic_word(r, [&w, &first](std::string_view code, std::string_view word,
                                             bool starts_line) {
        if (starts_line && !first) {
            w.fold();
            w.line_has_word = true;
        } else {
            w.space(code.size() + word.size());
        }
        w.put(code);
        w.put(word);
        first = false;
    });
    w.end();
}

// The message/delivery-status content (RFC 3464 §2.1): the per-message fields, then a
// block of per-recipient fields for each recipient, each block after an empty line.
constexpr void write_delivery_status(const delivery_report& r, counting_writer& s) noexcept {
    if (!r.envelope_id.empty()) write_field(s, "Original-Envelope-Id", "", r.envelope_id);
    write_field(s, "Reporting-MTA", "dns; ", r.reporting_mta);
    if (r.arrival_date) write_date_field(s, "Arrival-Date", *r.arrival_date);
    for (std::size_t i = 0; i < r.recipient_count; ++i) {
        const report_recipient& p = r.recipients[i];
        s.put("\r\n");
        if (!p.original_recipient.empty())
            write_field(s, "Original-Recipient", "", p.original_recipient);
        write_field(s, "Final-Recipient", "rfc822;", p.final_recipient);
        write_field(s, "Action", "", to_string(p.action));
        char status[max_enhanced_status_length]{};
        write_field(s, "Status", "",
                    std::string_view(status, format_enhanced_status(p.status, status)));
        if (!p.remote_mta.empty()) write_field(s, "Remote-MTA", "dns; ", p.remote_mta);
        if (p.diagnostic.code != 0) write_diagnostic_field(s, p.diagnostic);
        if (p.last_attempt_date) write_date_field(s, "Last-Attempt-Date", *p.last_attempt_date);
    }
}

// The CRLF that ends a part's content, then the delimiter line (RFC 2046 §5.1.1).
constexpr void write_delimiter(counting_writer& s, const report_layout& l, bool close) noexcept {
    s.put("\r\n--");
    s.put(boundary_of(l));
    if (close) s.put("--");
    s.put("\r\n");
}

// Writes the checked report `r` to `s`.
constexpr void write_report(const delivery_report& r, const report_layout& l,
                            counting_writer& s) noexcept {
    write_date_field(s, "Date", r.date);
    header_writer w{s};
    w.start("From");
    write_address_list(w, &r.from, 1);
    w.end();
    const address to{"", r.original_reverse_path};
    w.start("To");
    write_address_list(w, &to, 1);
    w.end();
    write_subject(w, r.subject.empty() ? default_subject(r) : r.subject);
    s.put(message_id_field);
    if (r.message_id.front() == '<') {
        s.put(r.message_id);
    } else {
        s.put('<');
        s.put(r.message_id);
        s.put('@');
        s.put(r.reporting_mta);
        s.put('>');
    }
    s.put("\r\n"
          "Auto-Submitted: auto-replied\r\n"
          "MIME-Version: 1.0\r\n"
          "Content-Type: multipart/report; report-type=delivery-status;\r\n"
          " boundary=\"");
    s.put(boundary_of(l));
    s.put("\"\r\nContent-Transfer-Encoding: ");
    s.put(l.eight_bit ? "8bit" : "7bit");
    s.put("\r\n\r\nThis is a delivery status notification in MIME format.\r\n");

    write_delimiter(s, l, false);
    s.put("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: ");
    s.put(to_string(l.explanation_encoding));
    s.put("\r\n\r\n");
    if (r.explanation.empty()) {
        write_default_explanation(r, s);
    } else {
        const bool room = s.pos < s.cap;
        s.pos += encode_body(r.explanation, l.explanation_encoding, room ? s.out + s.pos : nullptr,
                             room ? s.cap - s.pos : 0);
    }

    write_delimiter(s, l, false);
    s.put("Content-Type: message/delivery-status\r\n\r\n");
    write_delivery_status(r, s);

    if (r.returned != returned_content::none) {
        write_delimiter(s, l, false);
        s.put(r.returned == returned_content::full ? "Content-Type: message/rfc822\r\n"
                                                   : "Content-Type: text/rfc822-headers\r\n");
        s.put("Content-Transfer-Encoding: ");
        s.put(l.eight_bit ? "8bit" : "7bit");
        s.put("\r\n\r\n");
        for_each_line(l.returned, [&s](std::string_view line) {
            s.put(line);
            s.put("\r\n");
        });
    }
    write_delimiter(s, l, true);
}

} // namespace detail

/// Writes `r` as a delivery status notification (RFC 3464, RFC 6522):
///
///     Date, From, To: the original reverse path, Subject, Message-ID,
///     Auto-Submitted: auto-replied (RFC 3834 §5), MIME-Version,
///     Content-Type: multipart/report; report-type=delivery-status; boundary="..."
///
/// then three parts: the explanation as text/plain UTF-8 (7bit, or quoted-printable for
/// non-ASCII or overlong lines; see body.hpp); message/delivery-status with
/// Original-Envelope-Id (when given), Reporting-MTA: dns; ..., Arrival-Date (when given),
/// and per recipient Original-Recipient (when given), Final-Recipient: rfc822;...,
/// Action, Status, Remote-MTA: dns; ..., Diagnostic-Code: smtp; ... and Last-Attempt-Date
/// (each when given); and, as `returned` says, the original message as message/rfc822
/// or its header section as text/rfc822-headers, line endings made CRLF, 7bit or 8bit
/// (then the envelope asks for BODY=8BITMIME). The boundary is chosen to occur in no part.
/// Every line ends with CRLF and is at most max_line_octets long; nothing the application
/// gives can add a header field or a part (CR and LF are refused where they could). The
/// result is not dot-stuffed for DATA. Send it with result.envelope.to_envelope(): from
/// <> to the original reverse path only, which is why a report for the null reverse path
/// is refused.
/// Returns the size of the report and writes it to `out` only when it fits in `cap`
/// (pass nullptr and 0 to measure); on any error nothing is written. Errors: see
/// delivery_report_error, checked in this order: the reverse path (null, then not a
/// Mailbox with from), text, dates, Reporting-MTA, Message-ID, envelope id, recipients
/// in order, the returned message.
[[nodiscard]] constexpr delivery_report_result compose_delivery_report(const delivery_report& r,
                                                                       char* out,
                                                                       std::size_t cap) noexcept {
    detail::report_layout layout;
    if (r.returned == returned_content::full) layout.returned = r.original_message;
    if (r.returned == returned_content::headers)
        layout.returned = detail::header_section(r.original_message);
    const delivery_report_error e = detail::check_report(r, layout.returned);
    if (e != delivery_report_error::ok) return {e, 0, {}};
    detail::choose_boundary(r, layout.returned, layout.boundary);
    layout.eight_bit = ascii::has_non_ascii(layout.returned);
    if (!r.explanation.empty()) layout.explanation_encoding = choose_transfer_encoding(r.explanation);

    detail::counting_writer measure{nullptr, 0};
    detail::write_report(r, layout, measure);
    report_envelope sending;
    sending.original_sender.address = r.original_reverse_path;
    sending.original_sender.notify.never = true;
    sending.options.size = measure.pos;
    sending.options.body = layout.eight_bit ? body_type::eight_bit_mime : body_type::unspecified;
    if (measure.pos > cap) return {delivery_report_error::buffer_too_small, measure.pos, sending};
    detail::counting_writer write{out, cap};
    detail::write_report(r, layout, write);
    return {delivery_report_error::ok, write.pos, sending};
}

} // namespace compose
} // namespace v0
} // namespace smtpwire

#endif
