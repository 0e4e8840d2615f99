// SHA-256, for HMAC-SHA-256, PBKDF2 and SCRAM-SHA-256.
// FIPS 180-4 §4.1.2 (functions), §4.2.2 (constants), §5 (padding), §6.2 (computation).
#ifndef SMTPWIRE_CRYPTO_SHA256_HPP
#define SMTPWIRE_CRYPTO_SHA256_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smtpwire/crypto/block_buffer.hpp"

namespace smtpwire {
inline namespace v0 {
namespace crypto {

namespace detail {
// FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of
// the first 64 primes.
inline constexpr std::array<std::uint32_t, 64> sha256_rounds = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

constexpr std::uint32_t rotr(std::uint32_t x, unsigned n) noexcept { return rotl(x, 32 - n); }
} // namespace detail

/// Incremental SHA-256: update() any number of times, then finish() once.
class sha256 {
public:
    static constexpr std::size_t digest_size = 32;
    static constexpr std::size_t block_size = 64;
    using digest_type = std::array<unsigned char, digest_size>;

    /// The initial hash value (FIPS 180-4 §5.3.3).
    constexpr sha256() noexcept = default;

    /// Hashes `bytes` after everything passed before.
    constexpr void update(std::string_view bytes) noexcept {
        buffer_.update(bytes, [this](const detail::block& b) { compress(b); });
    }

    /// The digest of all bytes passed to update(). The object is spent afterwards:
    /// assign sha256{} to it before hashing another message.
    [[nodiscard]] constexpr digest_type finish() noexcept {
        buffer_.pad(false, [this](const detail::block& b) { compress(b); });
        digest_type d{};
        for (std::size_t i = 0; i < d.size(); ++i)
            d[i] = static_cast<unsigned char>(state_[i / 4] >> (24 - 8 * (i % 4)) & 0xFFu);
        return d;
    }

    /// The SHA-256 digest of `bytes`.
    [[nodiscard]] static constexpr digest_type hash(std::string_view bytes) noexcept {
        sha256 h;
        h.update(bytes);
        return h.finish();
    }

private:
    // FIPS 180-4 §6.2.2: the message schedule and 64 rounds over one block.
    constexpr void compress(const detail::block& block) noexcept {
        using detail::rotr;
        const unsigned char* p = block.data();
        std::uint32_t w[64] = {};
        for (std::size_t t = 0; t < 16; ++t)
            w[t] = std::uint32_t{p[4 * t]} << 24 | std::uint32_t{p[4 * t + 1]} << 16 |
                   std::uint32_t{p[4 * t + 2]} << 8 | std::uint32_t{p[4 * t + 3]};
        for (std::size_t t = 16; t < 64; ++t) {
            const std::uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ w[t - 15] >> 3;
            const std::uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ w[t - 2] >> 10;
            w[t] = s1 + w[t - 7] + s0 + w[t - 16];
        }
        std::uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
        std::uint32_t e = state_[4], f = state_[5], g = state_[6], h = state_[7];
        for (std::size_t t = 0; t < 64; ++t) {
            const std::uint32_t sum1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
            const std::uint32_t ch = (e & f) ^ (~e & g);
            const std::uint32_t t1 = h + sum1 + ch + detail::sha256_rounds[t] + w[t];
            const std::uint32_t sum0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
            const std::uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + sum0 + maj;
        }
        state_[0] += a;
        state_[1] += b;
        state_[2] += c;
        state_[3] += d;
        state_[4] += e;
        state_[5] += f;
        state_[6] += g;
        state_[7] += h;
    }

    // FIPS 180-4 §5.3.3: the first 32 bits of the fractional parts of the square roots
    // of the first 8 primes.
    std::array<std::uint32_t, 8> state_{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    detail::block_buffer buffer_{};
};

} // namespace crypto
} // namespace v0
} // namespace smtpwire

#endif
