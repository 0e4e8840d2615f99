// MD5, for CRAM-MD5 and HMAC-MD5 only: it is broken for collision resistance.
// RFC 1321 §3 (algorithm), §A.5 (test suite); RFC 6151 (security considerations).
#ifndef SMTPWIRE_CRYPTO_MD5_HPP
#define SMTPWIRE_CRYPTO_MD5_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smtpwire/crypto/block_buffer.hpp"

namespace smtpwire {
inline namespace v0 {
namespace crypto {

namespace detail {
// RFC 1321 §3.4: T[i] = floor(2^32 * |sin(i + 1)|), i = 0..63.
inline constexpr std::array<std::uint32_t, 64> md5_sines = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
    0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
    0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
    0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
    0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
    0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
    0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
    0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
    0xeb86d391,
};

// RFC 1321 §3.4: the rotation of each of the four steps of each round.
inline constexpr std::array<unsigned, 16> md5_shifts = {7, 12, 17, 22, 5, 9,  14, 20,
                                                        4, 11, 16, 23, 6, 10, 15, 21};
} // namespace detail

/// Incremental MD5: update() any number of times, then finish() once.
class md5 {
public:
    static constexpr std::size_t digest_size = 16;
    static constexpr std::size_t block_size = 64;
    using digest_type = std::array<unsigned char, digest_size>;

    /// The initial state (RFC 1321 §3.3).
    constexpr md5() noexcept = default;

    /// Hashes `bytes` after everything passed before.
    constexpr void update(std::string_view bytes) noexcept {
        buffer_.update(bytes, [this](const detail::block& b) { compress(b); });
    }

    /// The digest of all bytes passed to update(). The object is spent afterwards:
    /// assign md5{} to it before hashing another message.
    [[nodiscard]] constexpr digest_type finish() noexcept {
        buffer_.pad(true, [this](const detail::block& b) { compress(b); });
        digest_type d{};
        for (std::size_t i = 0; i < d.size(); ++i)
            d[i] = static_cast<unsigned char>(state_[i / 4] >> (8 * (i % 4)) & 0xFFu);
        return d;
    }

    /// The MD5 digest of `bytes`.
    [[nodiscard]] static constexpr digest_type hash(std::string_view bytes) noexcept {
        md5 h;
        h.update(bytes);
        return h.finish();
    }

private:
    // RFC 1321 §3.4: four rounds of sixteen steps over one 16-word block.
    constexpr void compress(const detail::block& block) noexcept {
        const unsigned char* p = block.data();
        std::uint32_t x[16] = {};
        for (std::size_t i = 0; i < 16; ++i)
            x[i] = std::uint32_t{p[4 * i]} | std::uint32_t{p[4 * i + 1]} << 8 |
                   std::uint32_t{p[4 * i + 2]} << 16 | std::uint32_t{p[4 * i + 3]} << 24;
        std::uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
        for (std::size_t i = 0; i < 64; ++i) {
            const std::size_t round = i / 16;
            std::uint32_t f = 0;
            std::size_t k = 0;
            switch (round) {
            case 0: f = (b & c) | (~b & d); k = i; break;
            case 1: f = (b & d) | (c & ~d); k = (5 * i + 1) % 16; break;
            case 2: f = b ^ c ^ d; k = (3 * i + 5) % 16; break;
            default: f = c ^ (b | ~d); k = 7 * i % 16; break;
            }
            const unsigned shift = detail::md5_shifts[4 * round + i % 4];
            const std::uint32_t rotated = detail::rotl(a + f + x[k] + detail::md5_sines[i], shift);
            a = d;
            d = c;
            c = b;
            b += rotated;
        }
        state_[0] += a;
        state_[1] += b;
        state_[2] += c;
        state_[3] += d;
    }

    std::array<std::uint32_t, 4> state_{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    detail::block_buffer buffer_{};
};

} // namespace crypto
} // namespace v0
} // namespace smtpwire

#endif
