// Digests as text and as bytes: lowercase hexadecimal, a case-insensitive hex decoder,
// and a digest viewed as a string of octets. RFC 4648 §8 (base 16).
#ifndef SMTPWIRE_CRYPTO_HEX_HPP
#define SMTPWIRE_CRYPTO_HEX_HPP

#include <array>
#include <cstddef>
#include <string_view>

namespace smtpwire {
inline namespace v0 {
namespace crypto {

namespace detail {
inline constexpr std::string_view hex_digits = "0123456789abcdef";

// The value of a hex digit of either case, or 16 for any other byte.
constexpr unsigned hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
    return 16;
}
} // namespace detail

/// Writes the lowercase hexadecimal form of `in`, two digits per octet, most significant
/// nibble first. Precondition: `out` holds 2 * in.size() chars. Returns 2 * in.size().
[[nodiscard]] constexpr std::size_t hex_encode(std::string_view in, char* out) noexcept {
    std::size_t o = 0;
    for (const char c : in) {
        const auto u = static_cast<unsigned char>(c);
        out[o++] = detail::hex_digits[u >> 4];
        out[o++] = detail::hex_digits[u & 0x0Fu];
    }
    return o;
}

/// Decodes hexadecimal digits of either case: an even number of 0-9 a-f A-F, nothing else.
/// Precondition: `out` holds in.size() / 2 chars. Returns false, with `out` possibly
/// partly written, when `in` is not such a string.
[[nodiscard]] constexpr bool hex_decode(std::string_view in, char* out) noexcept {
    if (in.size() % 2 != 0) return false;
    for (std::size_t i = 0; i < in.size(); i += 2) {
        const unsigned hi = detail::hex_value(in[i]);
        const unsigned lo = detail::hex_value(in[i + 1]);
        if (hi > 15 || lo > 15) return false;
        out[i / 2] = static_cast<char>(static_cast<unsigned char>(hi << 4 | lo));
    }
    return true;
}

/// The octets of a digest (or any byte array) as a string_view, for update(),
/// hex_encode() or constant_time_equal(). Valid while `bytes` lives.
template <std::size_t N>
[[nodiscard]] std::string_view as_bytes(const std::array<unsigned char, N>& bytes) noexcept {
    return {reinterpret_cast<const char*>(bytes.data()), N};
}

} // namespace crypto
} // namespace v0
} // namespace smtpwire

#endif
