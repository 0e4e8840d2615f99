// xtext, the encoding of the ENVID, ORCPT and AUTH parameter values of MAIL and RCPT.
// RFC 3461 §4 (xtext, xchar, hexchar); RFC 4954 §5 (the AUTH parameter of MAIL FROM).
#ifndef SMTPWIRE_XTEXT_HPP
#define SMTPWIRE_XTEXT_HPP

#include <cstddef>
#include <string_view>

#include "smtpwire/ascii.hpp"

namespace smtpwire {
inline namespace v0 {

namespace detail {
inline constexpr std::string_view xtext_hex_digits = "0123456789ABCDEF";

// The value of an upper-case hexadecimal digit; 16 for every other byte, lower case
// included: RFC 3461 §4 writes hexchar with "two upper case hexadecimal digits".
constexpr unsigned xtext_hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
    if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
    return 16;
}
} // namespace detail

/// Length of the xtext encoding of `in`: one byte for each xchar (33-126 except '+'
/// and '='), three ("+XX") for every other octet.
[[nodiscard]] constexpr std::size_t xtext_encoded_size(std::string_view in) noexcept {
    std::size_t n = 0;
    for (char c : in) n += ascii::is(c, ascii::xchar) ? std::size_t{1} : std::size_t{3};
    return n;
}

/// Encodes the octets of `in` as xtext: each xchar as itself, every other octet ('+',
/// '=', space, controls, 0x7F-0xFF) as '+' and two upper-case hexadecimal digits.
/// Precondition: `out` holds xtext_encoded_size(in) bytes and does not overlap `in`.
/// Returns that size.
[[nodiscard]] constexpr std::size_t xtext_encode(std::string_view in, char* out) noexcept {
    std::size_t o = 0;
    for (char c : in) {
        if (ascii::is(c, ascii::xchar)) {
            out[o++] = c;
            continue;
        }
        const auto b = static_cast<unsigned char>(c);
        out[o] = '+';
        out[o + 1] = detail::xtext_hex_digits[b >> 4];
        out[o + 2] = detail::xtext_hex_digits[b & 0x0Fu];
        o += 3;
    }
    return o;
}

/// True when `s` is xtext: xchars, and '+' each followed by two upper-case hexadecimal
/// digits. The empty string is xtext (the rule is *( xchar / hexchar )); an esmtp-value
/// is never empty, which the parameter parser checks. "<>", the AUTH value of RFC 4954
/// §5 for an unknown submitter, is xtext and decodes to itself.
[[nodiscard]] constexpr bool is_xtext(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            if (s.size() - i < 3 || detail::xtext_hex_value(s[i + 1]) > 15 ||
                detail::xtext_hex_value(s[i + 2]) > 15)
                return false;
            i += 2;
        } else if (!ascii::is(s[i], ascii::xchar)) {
            return false;
        }
    }
    return true;
}

/// Most octets that `n` characters of xtext can decode to; size the decoder's output
/// with it.
[[nodiscard]] constexpr std::size_t xtext_decoded_max(std::size_t n) noexcept { return n; }

/// Decodes `in` strictly: it must satisfy is_xtext() (lower-case hex digits, a '+'
/// without two hex digits, '=', space, controls and bytes >= 0x7F are refused). RFC
/// 4954 §8 writes hexchar with HEXDIG, which ABNF matches in either case; smtpwire holds
/// AUTH= values to RFC 3461's "upper case" as well, so "+2b" is refused. A hexchar
/// of a byte that could have been sent as itself ("+41") is accepted, as RFC 3461 §4
/// allows encoders to write one. Precondition: `out` holds xtext_decoded_max(in.size())
/// bytes; `out` may be in.data() (each byte is read before it is written).
/// On success sets `written` and returns true. On failure returns false with `written`
/// 0; `out` may then hold part of the output.
[[nodiscard]] constexpr bool xtext_decode(std::string_view in, char* out,
                                          std::size_t& written) noexcept {
    written = 0;
    std::size_t o = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '+') {
            if (in.size() - i < 3) return false;
            const unsigned hi = detail::xtext_hex_value(in[i + 1]);
            const unsigned lo = detail::xtext_hex_value(in[i + 2]);
            if (hi > 15 || lo > 15) return false;
            out[o++] = static_cast<char>(static_cast<unsigned char>(hi << 4 | lo));
            i += 2;
        } else if (ascii::is(c, ascii::xchar)) {
            out[o++] = c;
        } else {
            return false;
        }
    }
    written = o;
    return true;
}

} // namespace v0
} // namespace smtpwire

#endif
