// Three-digit SMTP reply codes: validity, the severity class, and parsing from the wire.
// RFC 5321 §4.2 (Reply-code ABNF) and §4.2.1 (the meaning of the first digit).
#ifndef SMTPWIRE_REPLY_CODE_HPP
#define SMTPWIRE_REPLY_CODE_HPP

#include <cstdint>
#include <string_view>

namespace smtpwire {
inline namespace v0 {

/// True when `code` matches Reply-code = %x32-35 %x30-35 %x30-39: first digit 2-5,
/// second digit 0-5, third digit 0-9 (so 199, 260 and 600 are not reply codes).
[[nodiscard]] constexpr bool is_valid_reply_code(unsigned code) noexcept {
    return code >= 200 && code <= 559 && (code / 10) % 10 <= 5;
}

/// The severity given by a reply code's first digit (RFC 5321 §4.2.1).
enum class reply_class {
    positive_completion = 2,
    positive_intermediate = 3,
    transient_negative = 4,
    permanent_negative = 5,
};

/// The class of `code`. Precondition: is_valid_reply_code(code).
[[nodiscard]] constexpr reply_class class_of(unsigned code) noexcept {
    return static_cast<reply_class>(code / 100);
}

/// Parses a reply code written as exactly three octets (e.g. the first three of a reply
/// line). Returns false, leaving `out` untouched, unless `digits` has size 3 and matches
/// Reply-code.
[[nodiscard]] constexpr bool parse_reply_code(std::string_view digits,
                                             std::uint16_t& out) noexcept {
    if (digits.size() != 3) return false;
    const char c0 = digits[0];
    const char c1 = digits[1];
    const char c2 = digits[2];
    if (c0 < '2' || c0 > '5' || c1 < '0' || c1 > '5' || c2 < '0' || c2 > '9') return false;
    out = static_cast<std::uint16_t>((c0 - '0') * 100 + (c1 - '0') * 10 + (c2 - '0'));
    return true;
}

/// Parses a reply code as a client must read one: three digits whose first is 2-5.
/// RFC 5321 §4.2 restricts the second digit to 0-5, but §4.2.1 and §4.3.2 require a
/// client to act on an unknown code by its first digit (299 is a success, 459 a
/// transient failure), so any second and third digit is taken. Returns false, leaving
/// `out` untouched, unless `digits` has size 3 and matches %x32-35 2DIGIT.
[[nodiscard]] constexpr bool parse_received_reply_code(std::string_view digits,
                                                      std::uint16_t& out) noexcept {
    if (digits.size() != 3) return false;
    const char c0 = digits[0];
    const char c1 = digits[1];
    const char c2 = digits[2];
    if (c0 < '2' || c0 > '5' || c1 < '0' || c1 > '9' || c2 < '0' || c2 > '9') return false;
    out = static_cast<std::uint16_t>((c0 - '0') * 100 + (c1 - '0') * 10 + (c2 - '0'));
    return true;
}

} // namespace v0
} // namespace smtpwire

#endif
