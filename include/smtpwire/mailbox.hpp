// A Mailbox (Local-part "@" Domain / address-literal), and its local part's wire encoding.
// RFC 5321 §4.1.2 (Mailbox, Dot-string, Quoted-string), §4.5.3.1.1; RFC 6531 §3.3.
#ifndef SMTPWIRE_MAILBOX_HPP
#define SMTPWIRE_MAILBOX_HPP

#include <cstddef>
#include <string_view>

#include "smtpwire/ascii.hpp"
#include "smtpwire/domain.hpp"

namespace smtpwire {
inline namespace v0 {

/// Longest local part in octets as received, quotes and backslashes included
/// (RFC 5321 §4.5.3.1.1).
inline constexpr std::size_t max_local_part_length = 64;

/// A mailbox as received. Both views point into the parsed text and live as long as it.
struct mailbox {
    std::string_view local_part; // as received: a Dot-string, or a Quoted-string including its quotes
    std::string_view domain;     // Domain or address-literal, as received

    /// True when the local part is a Quoted-string; decode_local_part() gives its value.
    [[nodiscard]] constexpr bool quoted() const noexcept {
        return !local_part.empty() && local_part.front() == '"';
    }
};

/// Why a text is not a Mailbox.
enum class mailbox_error {
    ok,
    empty,               // nothing at all
    bad_local_part,      // not a Dot-string or Quoted-string, or no '@' after it
    bad_domain,          // not a Domain or address-literal, or text after it
    local_part_too_long, // over max_local_part_length octets
    domain_too_long,     // over max_domain_length octets
    non_ascii,           // a byte >= 0x80 without SMTPUTF8
    invalid_utf8,        // SMTPUTF8, but not well-formed UTF-8
};

/// A short English description of `e`.
constexpr std::string_view to_string(mailbox_error e) noexcept {
    switch (e) {
    case mailbox_error::ok: return "ok";
    case mailbox_error::empty: return "empty mailbox";
    case mailbox_error::bad_local_part: return "invalid local part";
    case mailbox_error::bad_domain: return "invalid domain";
    case mailbox_error::local_part_too_long: return "local part longer than 64 octets";
    case mailbox_error::domain_too_long: return "domain longer than 255 octets";
    case mailbox_error::non_ascii: return "non-ASCII address without SMTPUTF8";
    case mailbox_error::invalid_utf8: return "address is not valid UTF-8";
    }
    return "unknown mailbox_error";
}

namespace detail {
// Reads a Local-part at s[i]. On success `i` is just past it; on a syntax error `i` is
// where reading stopped. With `trailing_dot`, a Dot-string may end in one '.' if '@'
// follows. With `utf8`, non-ASCII bytes count as atext and qtextSMTP (RFC 6531 §3.3).
constexpr mailbox_error scan_local_part(std::string_view s, std::size_t& i, bool utf8,
                                        bool trailing_dot) noexcept {
    const std::size_t start = i;
    bool saw_non_ascii = false;
    if (i < s.size() && s[i] == '"') {
        for (++i;; ++i) {
            if (i >= s.size()) return mailbox_error::bad_local_part;
            const char c = s[i];
            if (c == '"') break;
            if (c == '\\') {
                ++i; // quoted-pairSMTP = %d92 %d32-126
                if (i >= s.size()) return mailbox_error::bad_local_part;
                if (ascii::is_non_ascii(s[i]))
                    return utf8 ? mailbox_error::bad_local_part : mailbox_error::non_ascii;
                if (s[i] < 32 || s[i] > 126) return mailbox_error::bad_local_part;
            } else if (ascii::is_non_ascii(c)) {
                if (!utf8) return mailbox_error::non_ascii;
                saw_non_ascii = true;
            } else if (!ascii::is(c, ascii::qtext_smtp)) {
                return mailbox_error::bad_local_part;
            }
        }
        ++i; // closing quote
    } else {
        for (;;) { // Dot-string = Atom *("." Atom)
            const std::size_t atom = i;
            for (; i < s.size(); ++i) {
                if (ascii::is_non_ascii(s[i])) {
                    if (!utf8) return mailbox_error::non_ascii;
                    saw_non_ascii = true;
                } else if (!ascii::is(s[i], ascii::atext)) {
                    break;
                }
            }
            if (i == atom) {
                if (trailing_dot && i > start && i < s.size() && s[i] == '@') break;
                return mailbox_error::bad_local_part;
            }
            if (i >= s.size() || s[i] != '.') break;
            ++i;
        }
    }
    if (saw_non_ascii && !ascii::is_valid_utf8(s.substr(start, i - start))) {
        i = start;
        return mailbox_error::invalid_utf8;
    }
    return mailbox_error::ok;
}

// Reads a Mailbox at s[i], checking syntax only (lengths: check_mailbox_lengths). On
// success `i` is just past it and `out` is set; on error `i` is where reading stopped.
constexpr mailbox_error scan_mailbox(std::string_view s, std::size_t& i, bool utf8,
                                     bool trailing_dot, mailbox& out) noexcept {
    const std::size_t lp = i;
    const mailbox_error e = scan_local_part(s, i, utf8, trailing_dot);
    if (e != mailbox_error::ok) return e;
    if (i >= s.size() || s[i] != '@') return mailbox_error::bad_local_part;
    const std::string_view local(s.data() + lp, i - lp);
    ++i;
    std::size_t end = 0;
    domain_error verdict = domain_error::ok;
    if (i < s.size() && s[i] == '[') {
        const std::size_t close = s.find(']', i);
        if (close == std::string_view::npos) {
            i = s.size();
            return mailbox_error::bad_domain;
        }
        end = close + 1;
        verdict = check_address_literal(s.substr(i, end - i));
    } else {
        const domain_run run = read_domain_run(s, i);
        end = run.end;
        verdict = judge_domain_run(s, i, run, utf8);
    }
    const std::string_view dom(s.data() + i, end - i);
    switch (verdict) {
    case domain_error::ok:
    case domain_error::too_long: break;
    case domain_error::non_ascii: return mailbox_error::non_ascii;
    case domain_error::invalid_utf8: return mailbox_error::invalid_utf8;
    case domain_error::empty:
    case domain_error::bad_label:
    case domain_error::bad_address_literal: return mailbox_error::bad_domain;
    }
    out.local_part = local;
    out.domain = dom;
    i = end;
    return mailbox_error::ok;
}

constexpr mailbox_error check_mailbox_lengths(const mailbox& m) noexcept {
    if (m.local_part.size() > max_local_part_length) return mailbox_error::local_part_too_long;
    if (m.domain.size() > max_domain_length) return mailbox_error::domain_too_long;
    return mailbox_error::ok;
}
} // namespace detail

/// Parses the whole of `s` as a Mailbox (no angle brackets), e.g. to check an address an
/// application wants to send to. With `utf8`, UTF-8 local parts and U-labels are
/// admitted (RFC 6531). On success `out` views into `s`; on error `out` is empty.
/// Errors: see mailbox_error; syntax is judged before lengths.
[[nodiscard]] constexpr mailbox_error parse_mailbox(std::string_view s, bool utf8,
                                                   mailbox& out) noexcept {
    out = mailbox{};
    if (s.empty()) return mailbox_error::empty;
    std::size_t i = 0;
    mailbox m;
    const mailbox_error e = detail::scan_mailbox(s, i, utf8, false, m);
    if (e != mailbox_error::ok) return e;
    if (i != s.size()) return mailbox_error::bad_domain;
    const mailbox_error len = detail::check_mailbox_lengths(m);
    if (len != mailbox_error::ok) return len;
    out = m;
    return mailbox_error::ok;
}

/// Writes the value of `local_part` to `out`: a Quoted-string loses its quotes and each
/// quoted-pair becomes its second byte; a Dot-string is copied unchanged. Precondition:
/// `out` holds local_part.size() bytes (the value is never longer). Returns the number
/// of bytes written. Input that is not a Local-part is copied or decoded without error
/// and without writing more than local_part.size() bytes.
[[nodiscard]] constexpr std::size_t decode_local_part(std::string_view local_part,
                                                      char* out) noexcept {
    const bool quoted = local_part.size() >= 2 && local_part.front() == '"' &&
                        local_part.back() == '"';
    if (!quoted) {
        for (std::size_t i = 0; i < local_part.size(); ++i) out[i] = local_part[i];
        return local_part.size();
    }
    std::size_t n = 0;
    for (std::size_t i = 1; i + 1 < local_part.size(); ++i) {
        if (local_part[i] == '\\' && i + 2 < local_part.size()) ++i;
        out[n++] = local_part[i];
    }
    return n;
}

/// True when `value` is a Dot-string: atoms of atext joined by single dots. With `utf8`,
/// non-ASCII bytes count as atext when the whole is well-formed UTF-8 (RFC 6531 §3.3).
[[nodiscard]] constexpr bool is_dot_string(std::string_view value, bool utf8) noexcept {
    if (value.empty() || value.front() == '"') return false;
    std::size_t i = 0;
    return detail::scan_local_part(value, i, utf8, false) == mailbox_error::ok &&
           i == value.size();
}

/// True when encode_local_part() can write `value`: every byte is %d32-126, or with
/// `utf8` the value may also hold non-ASCII bytes that form well-formed UTF-8. CR, LF,
/// NUL, TAB, other control bytes and DEL have no representation and are refused.
[[nodiscard]] constexpr bool is_encodable_local_part(std::string_view value, bool utf8) noexcept {
    bool saw_non_ascii = false;
    for (char c : value) {
        if (ascii::is_non_ascii(c)) saw_non_ascii = true;
        else if (c < 32 || c > 126) return false;
    }
    return !saw_non_ascii || (utf8 && ascii::is_valid_utf8(value));
}

/// Encodes the local-part value `value` (e.g. from decode_local_part()) for the wire:
/// unchanged when it is a Dot-string, otherwise as a Quoted-string with '"' and '\'
/// escaped, so that '@', '>', SP or "=" inside it can never be read as the end of the
/// address or as parameters. Returns the number of bytes needed and writes them to
/// `out` only when they fit in `cap`. Returns 0, writing nothing, when the value is
/// refused (see is_encodable_local_part()); any accepted value needs at least 1 byte
/// (the empty value becomes ""). Length limits are the caller's to apply.
[[nodiscard]] constexpr std::size_t encode_local_part(std::string_view value, char* out,
                                                      std::size_t cap, bool utf8 = false) noexcept {
    if (!is_encodable_local_part(value, utf8)) return 0;
    if (is_dot_string(value, utf8)) {
        if (value.size() <= cap)
            for (std::size_t i = 0; i < value.size(); ++i) out[i] = value[i];
        return value.size();
    }
    std::size_t need = 2 + value.size();
    for (char c : value)
        if (c == '"' || c == '\\') ++need;
    if (need > cap) return need;
    std::size_t n = 0;
    out[n++] = '"';
    for (char c : value) {
        if (c == '"' || c == '\\') out[n++] = '\\';
        out[n++] = c;
    }
    out[n++] = '"';
    return need;
}

} // namespace v0
} // namespace smtpwire

#endif
