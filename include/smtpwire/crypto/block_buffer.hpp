// The 64-octet block buffer, length padding and rotation that MD5 and SHA-256 share.
// RFC 1321 §3.1-3.2 (padding, little-endian length), FIPS 180-4 §5.1.1 (big-endian length).
#ifndef SMTPWIRE_CRYPTO_BLOCK_BUFFER_HPP
#define SMTPWIRE_CRYPTO_BLOCK_BUFFER_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace smtpwire {
inline namespace v0 {
namespace crypto {
namespace detail {

/// One message block of MD5 or SHA-256.
using block = std::array<unsigned char, 64>;

/// Collects input into 64-octet blocks for a compression function and pads the last one.
class block_buffer {
public:
    /// Appends `bytes`, calling `compress(const block&)` for each block that fills up.
    template <class Compress>
    constexpr void update(std::string_view bytes, Compress&& compress) noexcept {
        total_ += bytes.size();
        for (const char c : bytes) {
            block_[used_++] = static_cast<unsigned char>(c);
            if (used_ == block_.size()) {
                compress(block_);
                used_ = 0;
            }
        }
    }

    /// Appends the padding: 0x80, zeros, then the message length in bits as 8 octets,
    /// least significant first when `little_endian` (MD5), else most significant first
    /// (SHA-256); compresses the last one or two blocks. The buffer is spent afterwards.
    template <class Compress>
    constexpr void pad(bool little_endian, Compress&& compress) noexcept {
        const std::uint64_t bits = total_ * 8u;
        block_[used_++] = 0x80;
        if (used_ > 56) {
            while (used_ < block_.size()) block_[used_++] = 0;
            compress(block_);
            used_ = 0;
        }
        while (used_ < 56) block_[used_++] = 0;
        for (std::size_t i = 0; i < 8; ++i) {
            const std::size_t shift = little_endian ? 8 * i : 56 - 8 * i;
            block_[56 + i] = static_cast<unsigned char>(bits >> shift & 0xFFu);
        }
        compress(block_);
        used_ = 0;
    }

private:
    block block_{};
    std::size_t used_ = 0;
    std::uint64_t total_ = 0; // octets; the length field is this times 8, modulo 2^64
};

/// `x` rotated left by `n` bits, 0 < n < 32.
constexpr std::uint32_t rotl(std::uint32_t x, unsigned n) noexcept {
    return x << n | x >> (32 - n);
}

} // namespace detail
} // namespace crypto
} // namespace v0
} // namespace smtpwire

#endif
