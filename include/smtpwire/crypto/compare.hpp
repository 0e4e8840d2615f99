// Comparison of secrets (MACs, proofs, signatures) whose time does not depend on where
// they differ. RFC 5802 §9 and RFC 2104 §4 leave timing to the implementation.
#ifndef SMTPWIRE_CRYPTO_COMPARE_HPP
#define SMTPWIRE_CRYPTO_COMPARE_HPP

#include <cstddef>
#include <string_view>

namespace smtpwire {
inline namespace v0 {
namespace crypto {

/// True when `a` and `b` hold the same octets. Strings of different lengths are unequal
/// at once (the length is not secret); otherwise every octet is read, with no early exit.
[[nodiscard]] constexpr bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    unsigned diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned>(static_cast<unsigned char>(a[i]) ^
                                      static_cast<unsigned char>(b[i]));
    return diff == 0;
}

} // namespace crypto
} // namespace v0
} // namespace smtpwire

#endif
