// CRC-32C (Castagnoli), the checksum of the PROXY protocol's PP2_TYPE_CRC32C TLV.
// RFC 4960 Appendix B (the algorithm), RFC 3720 §12.1 and Appendix B.4 (test vectors).
#ifndef SMTPWIRE_CRYPTO_CRC32C_HPP
#define SMTPWIRE_CRYPTO_CRC32C_HPP

#include <array>
#include <cstdint>
#include <string_view>

namespace smtpwire {
inline namespace v0 {
namespace crypto {

namespace detail {
// The Castagnoli polynomial 0x1EDC6F41 with its bits reversed: the CRC is computed least
// significant bit first (RFC 3720 §12.1).
inline constexpr std::uint32_t crc32c_polynomial = 0x82F63B78u;

constexpr std::array<std::uint32_t, 256> make_crc32c_table() noexcept {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t b = 0; b < 256; ++b) {
        std::uint32_t r = b;
        for (int bit = 0; bit < 8; ++bit) r = (r & 1u) != 0 ? (r >> 1) ^ crc32c_polynomial : r >> 1;
        t[b] = r;
    }
    return t;
}

inline constexpr std::array<std::uint32_t, 256> crc32c_table = make_crc32c_table();
} // namespace detail

/// Incremental CRC-32C: update() any number of times, then value(). The register starts
/// at all ones and the value is its complement (RFC 4960 Appendix B), so the CRC of
/// "123456789" is 0xE3069283.
class crc32c {
public:
    constexpr crc32c() noexcept = default;

    /// Adds `bytes` after everything passed before.
    constexpr void update(std::string_view bytes) noexcept {
        for (const char c : bytes)
            register_ = detail::crc32c_table[(register_ ^ static_cast<unsigned char>(c)) & 0xFFu] ^
                        (register_ >> 8);
    }

    /// The CRC of the bytes passed so far; update() may continue afterwards.
    [[nodiscard]] constexpr std::uint32_t value() const noexcept { return ~register_; }

    /// The CRC-32C of `bytes`.
    [[nodiscard]] static constexpr std::uint32_t compute(std::string_view bytes) noexcept {
        crc32c c;
        c.update(bytes);
        return c.value();
    }

private:
    std::uint32_t register_ = 0xFFFFFFFFu;
};

} // namespace crypto
} // namespace v0
} // namespace smtpwire

#endif
