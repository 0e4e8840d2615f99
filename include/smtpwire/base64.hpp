// Base64 with the standard alphabet and padding: encoding, and a strict decoder.
// RFC 4648 §4 (alphabet, padding), §3.3 (nothing outside the alphabet), §3.5 (zero pad bits).
#ifndef SMTPWIRE_BASE64_HPP
#define SMTPWIRE_BASE64_HPP

#include <array>
#include <cstddef>
#include <string_view>

namespace smtpwire {
inline namespace v0 {

namespace detail {
inline constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

inline constexpr unsigned char base64_invalid = 0xFF;

constexpr std::array<unsigned char, 256> make_base64_table() noexcept {
    std::array<unsigned char, 256> t{};
    for (auto& v : t) v = base64_invalid;
    for (std::size_t i = 0; i < base64_alphabet.size(); ++i)
        t[static_cast<unsigned char>(base64_alphabet[i])] = static_cast<unsigned char>(i);
    return t;
}

// The 6-bit value of each alphabet character; base64_invalid for every other byte ('=' too).
inline constexpr std::array<unsigned char, 256> base64_values = make_base64_table();

constexpr unsigned base64_value(char c) noexcept {
    return base64_values[static_cast<unsigned char>(c)];
}
} // namespace detail

/// Length of the base64 encoding of `n` octets, padding included.
[[nodiscard]] constexpr std::size_t base64_encoded_size(std::size_t n) noexcept {
    return n / 3 * 4 + (n % 3 != 0 ? 4 : 0);
}

/// Encodes `in` to `out` with the standard alphabet and '=' padding, no line breaks.
/// Precondition: `out` holds base64_encoded_size(in.size()) bytes. Returns that size.
[[nodiscard]] constexpr std::size_t base64_encode(std::string_view in, char* out) noexcept {
    const auto byte = [&in](std::size_t i) {
        return static_cast<unsigned>(static_cast<unsigned char>(in[i]));
    };
    const auto put = [&out](std::size_t o, unsigned v) {
        out[o] = detail::base64_alphabet[v & 0x3Fu];
    };
    std::size_t i = 0;
    std::size_t o = 0;
    for (; in.size() - i >= 3; i += 3, o += 4) {
        const unsigned v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        put(o, v >> 18);
        put(o + 1, v >> 12);
        put(o + 2, v >> 6);
        put(o + 3, v);
    }
    if (in.size() - i == 1) {
        const unsigned v = byte(i) << 16;
        put(o, v >> 18);
        put(o + 1, v >> 12);
        out[o + 2] = '=';
        out[o + 3] = '=';
        o += 4;
    } else if (in.size() - i == 2) {
        const unsigned v = byte(i) << 16 | byte(i + 1) << 8;
        put(o, v >> 18);
        put(o + 1, v >> 12);
        put(o + 2, v >> 6);
        out[o + 3] = '=';
        o += 4;
    }
    return o;
}

/// Encodes the `n` octets at the start of `buffer` as base64_encode() would, into the same
/// buffer: groups are encoded from the last to the first, so each is read before its
/// characters overwrite it. Lets a message be built in the space its encoding will take.
/// Precondition: `buffer` holds base64_encoded_size(n) bytes. Returns that size.
[[nodiscard]] constexpr std::size_t base64_encode_in_place(char* buffer, std::size_t n) noexcept {
    const auto byte = [buffer](std::size_t i) {
        return static_cast<unsigned>(static_cast<unsigned char>(buffer[i]));
    };
    const auto put = [buffer](std::size_t o, unsigned v) {
        buffer[o] = detail::base64_alphabet[v & 0x3Fu];
    };
    const std::size_t groups = n / 3;
    const std::size_t size = base64_encoded_size(n);
    if (n % 3 != 0) {
        const std::size_t i = groups * 3;
        const bool two = n % 3 == 2;
        const unsigned v = byte(i) << 16 | (two ? byte(i + 1) << 8 : 0u);
        const std::size_t o = groups * 4;
        put(o, v >> 18);
        put(o + 1, v >> 12);
        if (two) put(o + 2, v >> 6);
        else buffer[o + 2] = '=';
        buffer[o + 3] = '=';
    }
    for (std::size_t g = groups; g-- > 0;) {
        const unsigned v = byte(g * 3) << 16 | byte(g * 3 + 1) << 8 | byte(g * 3 + 2);
        put(g * 4, v >> 18);
        put(g * 4 + 1, v >> 12);
        put(g * 4 + 2, v >> 6);
        put(g * 4 + 3, v);
    }
    return size;
}

/// Most octets that `n` characters of base64 can decode to; size the decoder's output with it.
[[nodiscard]] constexpr std::size_t base64_decoded_max(std::size_t n) noexcept {
    return n / 4 * 3;
}

/// Decodes `in` strictly: its length is a multiple of 4, every character is in the
/// standard alphabet, '=' appears only as one or two padding characters at the very end,
/// and the bits the padding discards are zero (so each octet string has exactly one
/// encoding). No whitespace or line breaks. The empty input decodes to nothing.
/// Precondition: `out` holds base64_decoded_max(in.size()) bytes; `out` may be in.data()
/// (each group is read before its octets are written). On success sets `written` and
/// returns true. On failure returns false with `written` 0; `out` may then hold part of
/// the output.
[[nodiscard]] constexpr bool base64_decode(std::string_view in, char* out,
                                           std::size_t& written) noexcept {
    written = 0;
    if (in.size() % 4 != 0) return false;
    const auto put = [&out](std::size_t o, unsigned v) {
        out[o] = static_cast<char>(static_cast<unsigned char>(v & 0xFFu));
    };
    std::size_t o = 0;
    for (std::size_t i = 0; i < in.size(); i += 4) {
        const unsigned a = detail::base64_value(in[i]);
        const unsigned b = detail::base64_value(in[i + 1]);
        if (a == detail::base64_invalid || b == detail::base64_invalid) return false;
        const bool last = i + 4 == in.size();
        if (last && in[i + 3] == '=') {
            if (in[i + 2] == '=') {
                if ((b & 0x0Fu) != 0) return false;
                put(o, a << 2 | b >> 4);
                o += 1;
            } else {
                const unsigned c = detail::base64_value(in[i + 2]);
                if (c == detail::base64_invalid || (c & 0x03u) != 0) return false;
                put(o, a << 2 | b >> 4);
                put(o + 1, b << 4 | c >> 2);
                o += 2;
            }
            break;
        }
        const unsigned c = detail::base64_value(in[i + 2]);
        const unsigned d = detail::base64_value(in[i + 3]);
        if (c == detail::base64_invalid || d == detail::base64_invalid) return false;
        put(o, a << 2 | b >> 4);
        put(o + 1, b << 4 | c >> 2);
        put(o + 2, c << 6 | d);
        o += 3;
    }
    written = o;
    return true;
}

} // namespace v0
} // namespace smtpwire

#endif
