// Composes a plain-text Internet message (headers and body) into a caller's buffer.
// RFC 5322 §2.1.1, §2.2.3, §3.4, §3.6; RFC 2045 §6.7; RFC 2047 §5; RFC 5321 §4.1.2.
#ifndef SMTPWIRE_COMPOSE_MESSAGE_HPP
#define SMTPWIRE_COMPOSE_MESSAGE_HPP

#include <cstddef>
#include <string_view>

#include "smtpwire/ascii.hpp"
#include "smtpwire/compose/body.hpp"
#include "smtpwire/compose/date.hpp"
#include "smtpwire/compose/encoded_word.hpp"
#include "smtpwire/mailbox.hpp"

namespace smtpwire {
inline namespace v0 {
namespace compose {

/// A mailbox as the application names it, e.g. {"Jöhn Doe", "john@example.com"}.
struct address {
    std::string_view display_name; // UTF-8, may be empty; quoted or encoded as needed
    std::string_view addr_spec;     // an ASCII RFC 5321 Mailbox, written as it is
};

/// A text message. The views and arrays are borrowed for the duration of the call.
struct message {
    address from;
    const address* to = nullptr;  // to_count addresses; a null pointer counts as none
    std::size_t to_count = 0;
    const address* cc = nullptr;
    std::size_t cc_count = 0;
    const address* bcc = nullptr; // envelope only: never written into the headers
    std::size_t bcc_count = 0;
    std::string_view subject;     // UTF-8; empty: no Subject header
    date_time date{};
    std::string_view message_id;  // "<id-left@id-right>" built by the application; empty: none
    std::string_view body;        // UTF-8 text with any line endings
};

/// Why a message was not composed.
enum class compose_error {
    ok,
    buffer_too_small,   // the result is larger than the buffer; nothing was written
    invalid_address,    // an addr_spec is not an ASCII Mailbox (CR, LF, NUL, no or two '@', ...)
    invalid_text,       // a subject, display name or body is not UTF-8, or a subject or
                        // display name holds CR, LF or NUL
    no_recipients,      // To, Cc and Bcc are all empty
    invalid_message_id, // not "<" dot-atom-text "@" (dot-atom-text / "[" *dtext "]") ">"
    invalid_date,       // offset beyond ±99:59, or a local date outside the years 1900-9999
};

/// A short English description of `e`.
constexpr std::string_view to_string(compose_error e) noexcept {
    switch (e) {
    case compose_error::ok: return "ok";
    case compose_error::buffer_too_small: return "buffer too small";
    case compose_error::invalid_address: return "invalid address";
    case compose_error::invalid_text: return "invalid text";
    case compose_error::no_recipients: return "no recipients";
    case compose_error::invalid_message_id: return "invalid Message-ID";
    case compose_error::invalid_date: return "invalid date";
    }
    return "unknown compose_error";
}

/// The outcome of compose_message(): on ok and on buffer_too_small, `size` is the length of
/// the whole message; on the other errors it is 0.
struct compose_result {
    compose_error error;
    std::size_t size;
};

namespace detail {
constexpr std::size_t list_size(const address* list, std::size_t n) noexcept {
    return list != nullptr ? n : 0;
}
} // namespace detail

/// The number of envelope recipients: To, Cc and Bcc together.
[[nodiscard]] constexpr std::size_t recipient_count(const message& m) noexcept {
    return detail::list_size(m.to, m.to_count) + detail::list_size(m.cc, m.cc_count) +
           detail::list_size(m.bcc, m.bcc_count);
}

/// The addr_spec of envelope recipient `i` (for RCPT TO): To addresses first, then Cc,
/// then Bcc, in order. A view into `m`'s data; empty when i >= recipient_count(m).
[[nodiscard]] constexpr std::string_view recipient(const message& m, std::size_t i) noexcept {
    const std::size_t to_n = detail::list_size(m.to, m.to_count);
    if (i < to_n) return m.to[i].addr_spec;
    i -= to_n;
    const std::size_t cc_n = detail::list_size(m.cc, m.cc_count);
    if (i < cc_n) return m.cc[i].addr_spec;
    i -= cc_n;
    if (i < detail::list_size(m.bcc, m.bcc_count)) return m.bcc[i].addr_spec;
    return {};
}

/// The header line length aimed for, CRLF excluded (RFC 5322 §2.1.1 SHOULD). Only an
/// addr_spec or a Message-ID too long to fit makes a longer line.
inline constexpr std::size_t max_header_line = 78;

namespace detail {

// A plain word longer than this goes into encoded-words, so that it always fits after
// "Subject: " within max_header_line.
inline constexpr std::size_t max_plain_word = max_header_line - 9;

inline constexpr std::string_view message_id_field = "Message-ID: ";

// Writes one header field, folding (RFC 5322 §2.2.3) at the space before a word that
// would take the line past max_header_line, or past max_encoded_word_line when the
// line holds an encoded-word. The space right after the field name is never folded.
struct header_writer {
    counting_writer& dest;
    std::size_t col = 0;
    bool line_has_word = false;
    bool line_has_encoded_word = false;

    constexpr void start(std::string_view name) noexcept {
        dest.put(name);
        dest.put(':');
        col = name.size() + 1;
        line_has_word = false;
        line_has_encoded_word = false;
    }
    constexpr void fold() noexcept {
        dest.put("\r\n ");
        col = 1;
        line_has_word = false;
        line_has_encoded_word = false;
    }
    // The separator before a word of `len` characters: a space, or a fold when the word
    // would not fit. Words hold a visible character, so no line is only whitespace.
    constexpr void space(std::size_t len) noexcept {
        const std::size_t limit = line_has_encoded_word ? max_encoded_word_line : max_header_line;
        if (line_has_word && col + 1 + len > limit) {
            fold();
        } else {
            dest.put(' ');
            ++col;
        }
        line_has_word = true;
    }
    constexpr void put(std::string_view text) noexcept {
        dest.put(text);
        col += text.size();
    }
    constexpr void put(char c) noexcept {
        dest.put(c);
        ++col;
    }
    constexpr void put_spaces(std::size_t n) noexcept {
        for (std::size_t i = 0; i < n; ++i) put(' ');
    }
    constexpr void end() noexcept { dest.put("\r\n"); }

    // Writes `text` as encoded-words, each preceded by a space or a fold and as long as
    // the line allows. Adjacent encoded-words decode as one text (RFC 2047 §6.2).
    constexpr void encoded_words(std::string_view text) noexcept {
        while (!text.empty()) {
            const std::size_t room =
                max_encoded_word_line > col + 1 ? max_encoded_word_line - col - 1 : 0;
            std::size_t n = encoded_word_prefix_length(
                text, room < max_encoded_word_length ? room : max_encoded_word_length);
            if (n == 0 && line_has_word) {
                fold();
            } else {
                put(' ');
            }
            if (n == 0) n = encoded_word_prefix_length(text, max_encoded_word_length);
            char word[max_encoded_word_length]{};
            put(std::string_view(word, encode_word(text.substr(0, n), word)));
            line_has_word = true;
            line_has_encoded_word = true;
            text.remove_prefix(n);
        }
    }
};

// Splits `text` at spaces for folding: calls f(spaces, word, first, last) for each run of
// non-space characters, where `spaces` counts the spaces before it beyond the one that a
// fold may replace (all of them before the first word). Spaces at the end of `text` come
// as a last call with an empty word. For non-empty `text` only.
template <class F>
constexpr void for_each_word(std::string_view text, F&& f) noexcept {
    const auto count_spaces = [&text](std::size_t i) {
        std::size_t n = 0;
        while (i + n < text.size() && text[i + n] == ' ') ++n;
        return n;
    };
    std::size_t spaces = count_spaces(0);
    std::size_t i = spaces;
    for (bool first = true;; first = false) {
        std::size_t end = text.find(' ', i);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view word = text.substr(i, end - i);
        const std::size_t after = count_spaces(end);
        if (end + after < text.size()) {
            f(spaces, word, first, false);
        } else {
            f(spaces, word, first, after == 0);
            if (after != 0) f(after - 1, std::string_view(), false, true);
            return;
        }
        spaces = after - 1;
        i = end + after;
    }
}

// Printable ASCII with nothing a reader could take for an encoded-word (RFC 2047 §5).
constexpr bool is_plain_text(std::string_view text) noexcept {
    for (char c : text)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E)
            return false;
    return text.find("=?") == std::string_view::npos;
}

constexpr std::size_t quoted_content_size(std::string_view piece) noexcept {
    std::size_t n = piece.size();
    for (char c : piece)
        if (c == '"' || c == '\\') ++n;
    return n;
}

enum class phrase_form { atoms, quoted, encoded };

// How a display name is written (RFC 5322 §3.2.5 phrase): atoms separated by single
// spaces as they are; other printable ASCII as a quoted-string; anything else, or a
// word too long for a line, as encoded-words.
constexpr phrase_form classify_display_name(std::string_view name) noexcept {
    if (!is_plain_text(name)) return phrase_form::encoded;
    bool atoms = true;
    bool fits = true;
    for_each_word(name, [&atoms, &fits](std::size_t spaces, std::string_view word, bool, bool) {
        if (spaces != 0 || word.empty() || !ascii::all_of(word, ascii::atext)) atoms = false;
        if (spaces + quoted_content_size(word) + 2 > max_plain_word) fits = false;
    });
    if (!fits) return phrase_form::encoded;
    return atoms ? phrase_form::atoms : phrase_form::quoted;
}

// Subject (RFC 5322 §3.6.5 unstructured): plain words as they are, else encoded-words,
// which also carry trailing spaces (a fold before them would leave a blank line).
constexpr bool is_plain_subject(std::string_view subject) noexcept {
    if (!is_plain_text(subject) || subject.back() == ' ') return false;
    bool fits = true;
    for_each_word(subject, [&fits](std::size_t spaces, std::string_view word, bool, bool) {
        if (spaces + word.size() > max_plain_word) fits = false;
    });
    return fits;
}

constexpr void write_display_name(header_writer& w, std::string_view name) noexcept {
    switch (classify_display_name(name)) {
    case phrase_form::atoms:
        for_each_word(name, [&w](std::size_t, std::string_view word, bool, bool) {
            w.space(word.size());
            w.put(word);
        });
        break;
    case phrase_form::quoted:
        // Folding at a space inside the quoted-string keeps that space (RFC 5322 §3.2.4).
        for_each_word(name, [&w](std::size_t spaces, std::string_view word, bool first,
                                 bool last) {
            w.space(spaces + quoted_content_size(word) + (first ? 1 : 0) + (last ? 1 : 0));
            if (first) w.put('"');
            w.put_spaces(spaces);
            for (char c : word) {
                if (c == '"' || c == '\\') w.put('\\');
                w.put(c);
            }
            if (last) w.put('"');
        });
        break;
    case phrase_form::encoded:
        w.encoded_words(name);
        break;
    }
}

// address-list (RFC 5322 §3.4): "name <addr-spec>" or a bare addr-spec, comma-separated,
// folded between words and addresses.
constexpr void write_address_list(header_writer& w, const address* list, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t comma = i + 1 < n ? 1 : 0;
        const address& a = list[i];
        if (a.display_name.empty()) {
            w.space(a.addr_spec.size() + comma);
            w.put(a.addr_spec);
        } else {
            write_display_name(w, a.display_name);
            w.space(a.addr_spec.size() + 2 + comma);
            w.put('<');
            w.put(a.addr_spec);
            w.put('>');
        }
        if (comma != 0) w.put(',');
    }
}

// Subject (RFC 5322 §3.6.5): plain words as they are, folded between words, else
// encoded-words. For non-empty `subject`.
constexpr void write_subject(header_writer& w, std::string_view subject) noexcept {
    w.start("Subject");
    if (is_plain_subject(subject)) {
        for_each_word(subject, [&w](std::size_t spaces, std::string_view word, bool, bool) {
            w.space(spaces + word.size());
            w.put_spaces(spaces);
            w.put(word);
        });
    } else {
        w.encoded_words(subject);
    }
    w.end();
}

constexpr bool is_dot_atom_text(std::string_view s) noexcept {
    if (s.empty() || s.front() == '.' || s.back() == '.') return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '.') {
            if (s[i + 1] == '.') return false;
        } else if (!ascii::is(s[i], ascii::atext)) {
            return false;
        }
    }
    return true;
}

// msg-id = "<" id-left "@" id-right ">" (RFC 5322 §3.6.4), short enough for one line.
constexpr bool is_message_id(std::string_view id) noexcept {
    if (id.size() < 5 || id.size() > max_line_octets - message_id_field.size()) return false;
    if (id.front() != '<' || id.back() != '>') return false;
    const std::string_view inner = id.substr(1, id.size() - 2);
    const std::size_t at = inner.find('@');
    if (at == std::string_view::npos) return false;
    const std::string_view right = inner.substr(at + 1);
    if (!is_dot_atom_text(inner.substr(0, at))) return false;
    if (is_dot_atom_text(right)) return true;
    return right.size() >= 2 && right.front() == '[' && right.back() == ']' &&
           ascii::all_of(right.substr(1, right.size() - 2), ascii::dcontent);
}

constexpr bool is_header_text(std::string_view s) noexcept {
    return !ascii::has_line_break_or_nul(s) && ascii::is_valid_utf8(s);
}

constexpr compose_error check_address(const address& a) noexcept {
    mailbox parsed;
    if (parse_mailbox(a.addr_spec, false, parsed) != mailbox_error::ok)
        return compose_error::invalid_address;
    if (!is_header_text(a.display_name)) return compose_error::invalid_text;
    return compose_error::ok;
}

constexpr compose_error check_addresses(const address* list, std::size_t n) noexcept {
    for (std::size_t i = 0; i < list_size(list, n); ++i) {
        const compose_error e = check_address(list[i]);
        if (e != compose_error::ok) return e;
    }
    return compose_error::ok;
}

constexpr compose_error check_message(const message& m) noexcept {
    compose_error e = check_address(m.from);
    if (e != compose_error::ok) return e;
    if (recipient_count(m) == 0) return compose_error::no_recipients;
    if ((e = check_addresses(m.to, m.to_count)) != compose_error::ok) return e;
    if ((e = check_addresses(m.cc, m.cc_count)) != compose_error::ok) return e;
    if ((e = check_addresses(m.bcc, m.bcc_count)) != compose_error::ok) return e;
    if (!is_header_text(m.subject)) return compose_error::invalid_text;
    if (!m.message_id.empty() && !is_message_id(m.message_id))
        return compose_error::invalid_message_id;
    if (!is_valid_date(m.date)) return compose_error::invalid_date;
    if (!ascii::is_valid_utf8(m.body)) return compose_error::invalid_text;
    return compose_error::ok;
}

// Writes the checked message `m` to `s`.
constexpr void write_message(const message& m, transfer_encoding te, counting_writer& s) noexcept {
    char date[date_text_size]{};
    static_cast<void>(format_date(m.date, date));
    s.put("Date: ");
    s.put(std::string_view(date, date_text_size));
    s.put("\r\n");

    header_writer w{s};
    w.start("From");
    write_address_list(w, &m.from, 1);
    w.end();
    if (list_size(m.to, m.to_count) != 0) {
        w.start("To");
        write_address_list(w, m.to, m.to_count);
        w.end();
    }
    if (list_size(m.cc, m.cc_count) != 0) {
        w.start("Cc");
        write_address_list(w, m.cc, m.cc_count);
        w.end();
    }
    if (!m.subject.empty()) write_subject(w, m.subject);
    if (!m.message_id.empty()) {
        s.put(message_id_field);
        s.put(m.message_id);
        s.put("\r\n");
    }
    s.put("MIME-Version: 1.0\r\n"
          "Content-Type: text/plain; charset=UTF-8\r\n"
          "Content-Transfer-Encoding: ");
    s.put(to_string(te));
    s.put("\r\n\r\n");
    const bool room = s.pos < s.cap;
    s.pos += encode_body(m.body, te, room ? s.out + s.pos : nullptr, room ? s.cap - s.pos : 0);
}

} // namespace detail

/// Writes `m` as an Internet message: Date, From, To (when any), Cc (when any), Subject
/// (when not empty), Message-ID (when given), MIME-Version, Content-Type text/plain
/// UTF-8 and Content-Transfer-Encoding (7bit, or quoted-printable for non-ASCII or
/// overlong lines; see body.hpp), an empty line, then the body with CRLF line endings.
/// Bcc addresses are never written. Non-ASCII subjects and display names become RFC 2047
/// encoded-words; display names with specials become quoted-strings; header fields are
/// folded to max_header_line. The result is not dot-stuffed for DATA.
/// Returns the size of the message and writes it to `out` only when it fits in `cap`;
/// on any error nothing is written. Errors: see compose_error, checked in field order
/// (From, recipients, Subject, Message-ID, Date, body).
[[nodiscard]] constexpr compose_result compose_message(const message& m, char* out,
                                                       std::size_t cap) noexcept {
    const compose_error e = detail::check_message(m);
    if (e != compose_error::ok) return {e, 0};
    const transfer_encoding te = choose_transfer_encoding(m.body);
    detail::counting_writer measure{nullptr, 0};
    detail::write_message(m, te, measure);
    if (measure.pos > cap) return {compose_error::buffer_too_small, measure.pos};
    detail::counting_writer write{out, cap};
    detail::write_message(m, te, write);
    return {compose_error::ok, write.pos};
}

} // namespace compose
} // namespace v0
} // namespace smtpwire

#endif
