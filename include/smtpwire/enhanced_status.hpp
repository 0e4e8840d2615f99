// Enhanced mail system status codes ("class.subject.detail"): value type, parser, formatter.
// RFC 3463 §2 (status-code syntax), RFC 2034 §4 (the code at the start of reply text).
#ifndef SMTPWIRE_ENHANCED_STATUS_HPP
#define SMTPWIRE_ENHANCED_STATUS_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smtpwire/ascii.hpp"

namespace smtpwire {
inline namespace v0 {

/// An enhanced status code such as 5.7.1. A default-constructed value (cls == 0) means
/// "no status".
struct enhanced_status {
    std::uint8_t cls = 0;        // 2, 4 or 5; 0 means none
    std::uint16_t subject = 0;   // 0-999
    std::uint16_t detail = 0;    // 0-999

    [[nodiscard]] constexpr bool empty() const noexcept { return cls == 0; }

    friend constexpr bool operator==(enhanced_status a, enhanced_status b) noexcept {
        return a.cls == b.cls && a.subject == b.subject && a.detail == b.detail;
    }
    friend constexpr bool operator!=(enhanced_status a, enhanced_status b) noexcept {
        return !(a == b);
    }
};

/// Longest formatted status code, "5.999.999".
inline constexpr std::size_t max_enhanced_status_length = 9;

/// True when `s` is a status RFC 3463 can express: class 2, 4 or 5, subject and detail
/// 0-999. An empty status is not valid.
[[nodiscard]] constexpr bool is_valid_enhanced_status(enhanced_status s) noexcept {
    return (s.cls == 2 || s.cls == 4 || s.cls == 5) && s.subject <= 999 && s.detail <= 999;
}

namespace detail {

/// Parses subject / detail = 1*3digit at text[pos], written without leading zeros
/// (RFC 3463 §2: "0" is fine, "01" is not) and not followed by a fourth digit.
constexpr bool parse_status_number(std::string_view text, std::size_t& pos,
                                   std::uint16_t& value) noexcept {
    const std::size_t start = pos;
    unsigned v = 0;
    while (pos < text.size() && pos - start < 3 && ascii::is_digit(text[pos])) {
        v = v * 10 + static_cast<unsigned>(text[pos] - '0');
        ++pos;
    }
    if (pos == start) return false;
    if (pos < text.size() && ascii::is_digit(text[pos])) return false;
    if (text[start] == '0' && pos - start > 1) return false;
    value = static_cast<std::uint16_t>(v);
    return true;
}

/// Writes `v` (0-999) in decimal without leading zeros; returns the length.
constexpr std::size_t write_status_number(unsigned v, char* out) noexcept {
    std::size_t n = 0;
    if (v >= 100) out[n++] = static_cast<char>('0' + v / 100);
    if (v >= 10) out[n++] = static_cast<char>('0' + v / 10 % 10);
    out[n++] = static_cast<char>('0' + v % 10);
    return n;
}

} // namespace detail

/// Parses a status code at the start of `text` (status-code = class "." subject "."
/// detail, class "2" / "4" / "5", no leading zeros), which must be followed by SP or
/// the end of `text`. On success sets `out`, sets `rest` to the text after the code and
/// one SP (a view into `text`), and returns true. Otherwise returns false and leaves
/// `out` and `rest` untouched.
[[nodiscard]] constexpr bool parse_enhanced_status(std::string_view text, enhanced_status& out,
                                                   std::string_view& rest) noexcept {
    if (text.size() < 5) return false;
    const char c = text[0];
    if ((c != '2' && c != '4' && c != '5') || text[1] != '.') return false;
    std::size_t pos = 2;
    std::uint16_t subject = 0;
    if (!detail::parse_status_number(text, pos, subject)) return false;
    if (pos >= text.size() || text[pos] != '.') return false;
    ++pos;
    std::uint16_t detail_code = 0;
    if (!detail::parse_status_number(text, pos, detail_code)) return false;
    if (pos < text.size()) {
        if (text[pos] != ' ') return false;
        ++pos;
    }
    out = enhanced_status{static_cast<std::uint8_t>(c - '0'), subject, detail_code};
    rest = std::string_view(text.data() + pos, text.size() - pos);
    return true;
}

/// Writes `s` as "c.s.d" into `out`, which must have room for
/// max_enhanced_status_length octets; returns the length written. Writes nothing and
/// returns 0 when `s` is empty or not valid (is_valid_enhanced_status).
[[nodiscard]] constexpr std::size_t format_enhanced_status(enhanced_status s, char* out) noexcept {
    if (!is_valid_enhanced_status(s)) return 0;
    std::size_t n = 0;
    out[n++] = static_cast<char>('0' + s.cls);
    out[n++] = '.';
    n += detail::write_status_number(s.subject, out + n);
    out[n++] = '.';
    n += detail::write_status_number(s.detail, out + n);
    return n;
}

} // namespace v0
} // namespace smtpwire

#endif
