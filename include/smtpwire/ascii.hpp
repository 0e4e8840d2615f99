// Character classes of the SMTP grammar as constexpr tables, and ASCII helpers.
// RFC 5321 §4.1.2 (atext, qtextSMTP, Let-dig, esmtp-value), RFC 3461 §4 (xchar).
#ifndef SMTPWIRE_ASCII_HPP
#define SMTPWIRE_ASCII_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace smtpwire {
inline namespace v0 {

namespace ascii {

/// One bit per character class; a byte may belong to several.
enum char_class : std::uint16_t {
    alpha = 1u << 0,          // A-Z a-z
    digit = 1u << 1,          // 0-9
    hex = 1u << 2,            // 0-9 A-F a-f
    atext = 1u << 3,          // RFC 5322 atext: ALPHA DIGIT and !#$%&'*+-/=?^_`{|}~
    qtext_smtp = 1u << 4,     // RFC 5321 qtextSMTP: %d32-33 / %d35-91 / %d93-126
    esmtp_value = 1u << 5,    // RFC 5321 esmtp-value: %d33-60 / %d62-126
    dcontent = 1u << 6,       // RFC 5321 dcontent: %d33-90 / %d94-126
    xchar = 1u << 7,          // RFC 3461 xchar: %d33-42 / %d44-60 / %d62-126
    text = 1u << 8,           // RFC 5321 textstring: %d9 / %d32-126
    vchar = 1u << 9,          // %d33-126
    ldh = 1u << 10,           // RFC 5321 Ldh-str octets: ALPHA DIGIT "-"
    eight_bit = 1u << 11,     // %d128-255
    line_break_or_nul = 1u << 12,  // CR, LF, NUL
    control = 1u << 13,       // %d0-8 / %d10-31 / %d127: the control characters but HT
};

namespace detail {
constexpr std::uint16_t classify(unsigned c) noexcept {
    std::uint16_t m = 0;
    const bool is_upper = c >= 'A' && c <= 'Z';
    const bool is_lower = c >= 'a' && c <= 'z';
    const bool is_dig = c >= '0' && c <= '9';
    if (is_upper || is_lower) m |= alpha;
    if (is_dig) m |= digit;
    if (is_dig || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f')) m |= hex;
    if (is_upper || is_lower || is_dig) m |= atext;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*':
    case '+': case '-': case '/': case '=': case '?': case '^': case '_':
    case '`': case '{': case '|': case '}': case '~':
        m |= atext;
        break;
    default:
        break;
    }
    if (c == 32 || c == 33 || (c >= 35 && c <= 91) || (c >= 93 && c <= 126)) m |= qtext_smtp;
    if ((c >= 33 && c <= 60) || (c >= 62 && c <= 126)) m |= esmtp_value;
    if ((c >= 33 && c <= 90) || (c >= 94 && c <= 126)) m |= dcontent;
    if ((c >= 33 && c <= 42) || (c >= 44 && c <= 60) || (c >= 62 && c <= 126)) m |= xchar;
    if (c == 9 || (c >= 32 && c <= 126)) m |= text;
    if (c >= 33 && c <= 126) m |= vchar;
    if (is_upper || is_lower || is_dig || c == '-') m |= ldh;
    if (c >= 128) m |= eight_bit;
    if (c == '\r' || c == '\n' || c == 0) m |= line_break_or_nul;
    if ((c < 32 && c != 9) || c == 127) m |= control;
    return m;
}

constexpr std::array<std::uint16_t, 256> make_table() noexcept {
    std::array<std::uint16_t, 256> t{};
    for (unsigned c = 0; c < 256; ++c) t[c] = classify(c);
    return t;
}

inline constexpr std::array<std::uint16_t, 256> table = make_table();
} // namespace detail

/// True when byte `c` belongs to every class in `mask`.
constexpr bool is(char c, std::uint16_t mask) noexcept {
    return (detail::table[static_cast<unsigned char>(c)] & mask) == mask;
}

constexpr bool is_alpha(char c) noexcept { return is(c, alpha); }
constexpr bool is_digit(char c) noexcept { return is(c, digit); }
constexpr bool is_let_dig(char c) noexcept {
    return (detail::table[static_cast<unsigned char>(c)] & (alpha | digit)) != 0;
}
constexpr bool is_hex(char c) noexcept { return is(c, hex); }

/// Bytes 0x80-0xFF, which only SMTPUTF8 (RFC 6531) admits, as UTF-8.
constexpr bool is_non_ascii(char c) noexcept { return static_cast<unsigned char>(c) >= 0x80; }

/// ASCII lower case; other bytes unchanged (no locale involved).
constexpr char to_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// ASCII upper case; other bytes unchanged.
constexpr char to_upper(char c) noexcept {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

/// Case-insensitive ASCII comparison, as SMTP verbs, keywords and domains use.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i] != b[i] && to_lower(a[i]) != to_lower(b[i])) return false;
    return true;
}

/// True when `s` starts with `prefix`, ignoring ASCII case.
constexpr bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && iequals({s.data(), prefix.size()}, prefix);
}

/// True when every byte of `s` belongs to `mask`.
constexpr bool all_of(std::string_view s, std::uint16_t mask) noexcept {
    for (char c : s)
        if (!is(c, mask)) return false;
    return true;
}

/// True when some byte of `s` belongs to `mask`. The classes of eight bytes are ORed
/// before one test, the last eight overlapping those before them, so a string of eight
/// bytes or more costs three instructions or so a byte and no branch on each.
constexpr bool any_of(std::string_view s, std::uint16_t mask) noexcept {
    std::uint16_t m = 0;
    if (s.size() < 8) {
        for (char c : s) m = static_cast<std::uint16_t>(m | detail::table[static_cast<unsigned char>(c)]);
        return (m & mask) != 0;
    }
    for (std::size_t k = 0;; k += 8) {
        if (k + 8 > s.size()) k = s.size() - 8;
        for (std::size_t j = 0; j < 8; ++j)
            m = static_cast<std::uint16_t>(m | detail::table[static_cast<unsigned char>(s[k + j])]);
        if ((m & mask) != 0) return true;
        if (k + 8 == s.size()) return false;
    }
}

namespace detail {
inline constexpr std::uint64_t low_octets = 0x0101010101010101u;
inline constexpr std::uint64_t high_bits = 0x8080808080808080u;

constexpr std::uint64_t octet_at(const char* p) noexcept {
    return static_cast<unsigned char>(*p);
}

// The four octets at `p` in the low half of a word, the first in the lowest octet.
constexpr std::uint64_t quad_at(const char* p) noexcept {
    return octet_at(p) | octet_at(p + 1) << 8 | octet_at(p + 2) << 16 | octet_at(p + 3) << 24;
}

// The eight octets at `p` as one word, the first in the lowest octet: a single load
// once compiled, and still usable in constant expressions.
constexpr std::uint64_t word_at(const char* p) noexcept {
    return quad_at(p) | quad_at(p + 4) << 32;
}

// A word made of the octets of `s` (1 to 7 of them), each at least once and nothing
// else, so that a test for "some octet is ..." gives the same answer for both.
constexpr std::uint64_t short_word(std::string_view s) noexcept {
    const char* p = s.data();
    const std::size_t n = s.size();
    if (n >= 4) return quad_at(p) | quad_at(p + n - 4) << 32;
    const std::uint64_t three = octet_at(p) | octet_at(p + n / 2) << 8 | octet_at(p + n - 1) << 16;
    return three | three << 24 | (three & 0xFFFFu) << 48;
}

// Nonzero when some octet of `w` is below `n` (at most 128). Exact as a yes or no: a
// borrow only reaches an octet from a lower one that is itself below `n`.
constexpr std::uint64_t octet_below(std::uint64_t w, std::uint64_t n) noexcept {
    return (w - low_octets * n) & ~w & high_bits;
}

// octet_below(w ^ c..., 1) for each octet `c` of `cs`, ORed: nonzero when some octet of
// `w` equals one of them. The octets of `cs` are below 0x80, so `w ^ c...` keeps the
// high bits of `w` and one `~w` serves them all.
template <std::size_t count>
constexpr std::uint64_t octet_equal_any(std::uint64_t w, const unsigned char (&cs)[count]) noexcept {
    std::uint64_t borrows = 0;
    for (const unsigned char c : cs) borrows |= (w ^ (low_octets * c)) - low_octets;
    return borrows & ~w & high_bits;
}

// True when `found(p)` holds for some `p` pointing at eight octets of `s` from offset `k`
// on, the last eight ending where `s` ends (overlapping those before them).
// Precondition: `s` holds eight octets or more.
template <class Found>
constexpr bool any_word(std::string_view s, std::size_t k, Found found) noexcept {
    for (; k + 8 < s.size(); k += 8)
        if (found(s.data() + k)) return true;
    return found(s.data() + s.size() - 8);
}

constexpr bool has_line_break_or_nul_in(std::uint64_t w) noexcept {
    constexpr unsigned char line_break_or_nul_octets[] = {'\0', '\r', '\n'};
    return octet_equal_any(w, line_break_or_nul_octets) != 0;
}

// Some octet below 0x20 or 0x7F: a control character, or HT.
constexpr bool has_control_or_tab_in(std::uint64_t w) noexcept {
    constexpr unsigned char del[] = {0x7F};
    return (octet_below(w, 0x20) | octet_equal_any(w, del)) != 0;
}
} // namespace detail

/// True when `s` contains an octet >= 0x80 (UTF-8 or other 8-bit data). Long content is
/// ORed in blocks of 64 octets without a branch, a loop compilers turn into vector
/// instructions; the rest eight octets at a time.
constexpr bool has_non_ascii(std::string_view s) noexcept {
    if (s.size() < 8) return !s.empty() && (detail::short_word(s) & detail::high_bits) != 0;
    constexpr std::size_t block = 64;
    unsigned char bits = 0;
    std::size_t k = 0;
    for (; k + block <= s.size(); k += block)
        for (std::size_t j = 0; j < block; ++j)
            bits = static_cast<unsigned char>(bits | static_cast<unsigned char>(s[k + j]));
    if ((bits & 0x80u) != 0) return true;
    return k < s.size() && detail::any_word(s, k, [](const char* p) {
               return (detail::word_at(p) & detail::high_bits) != 0;
           });
}

/// True when `s` contains CR, LF or NUL, the bytes that must never reach the wire
/// from an application-supplied field, nor stand inside a command line. Eight octets at
/// a time; only eight holding an octet below 0x0E (where all three are) are looked at
/// for each of them.
constexpr bool has_line_break_or_nul(std::string_view s) noexcept {
    const auto found = [](std::uint64_t w) {
        return detail::octet_below(w, 0x0E) != 0 && detail::has_line_break_or_nul_in(w);
    };
    if (s.size() < 8) return !s.empty() && found(detail::short_word(s));
    return detail::any_word(s, 0, [&found](const char* p) { return found(detail::word_at(p)); });
}

/// True when `s` contains a control character other than HT (class `control`). Eight
/// octets at a time; only eight holding an octet below 0x20 or 0x7F are looked at octet
/// by octet, to tell HT from the rest.
constexpr bool has_control(std::string_view s) noexcept {
    if (s.size() < 8)
        return !s.empty() && detail::has_control_or_tab_in(detail::short_word(s)) && any_of(s, control);
    return detail::any_word(s, 0, [](const char* p) {
        return detail::has_control_or_tab_in(detail::word_at(p)) &&
               any_of(std::string_view(p, 8), control);
    });
}

/// True when `s` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
constexpr bool is_valid_utf8(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b0 = static_cast<unsigned char>(s[i]);
        if (b0 < 0x80) { ++i; continue; }
        std::size_t len = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) len = 2;
        else if (b0 == 0xE0) { len = 3; lo = 0xA0; }
        else if (b0 == 0xED) { len = 3; hi = 0x9F; }
        else if (b0 >= 0xE1 && b0 <= 0xEF) len = 3;
        else if (b0 == 0xF0) { len = 4; lo = 0x90; }
        else if (b0 == 0xF4) { len = 4; hi = 0x8F; }
        else if (b0 >= 0xF1 && b0 <= 0xF3) len = 4;
        else return false;
        if (s.size() - i < len) return false;
        const auto b1 = static_cast<unsigned char>(s[i + 1]);
        if (b1 < lo || b1 > hi) return false;
        for (std::size_t k = 2; k < len; ++k) {
            const auto bk = static_cast<unsigned char>(s[i + k]);
            if (bk < 0x80 || bk > 0xBF) return false;
        }
        i += len;
    }
    return true;
}

} // namespace ascii

} // namespace v0
} // namespace smtpwire

#endif
