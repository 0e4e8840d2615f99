// PBKDF2 with HMAC as its pseudorandom function: password-based key derivation.
// RFC 8018 §5.2 (PBKDF2), RFC 5802 §2.2 (SCRAM's Hi() is PBKDF2 with one block).
#ifndef SMTPWIRE_CRYPTO_PBKDF2_HPP
#define SMTPWIRE_CRYPTO_PBKDF2_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smtpwire/crypto/hmac.hpp"

namespace smtpwire {
inline namespace v0 {
namespace crypto {

/// Derives `out_size` octets into `out` from `password` and `salt` with `iterations`
/// rounds of HMAC-`Hash` (RFC 8018 §5.2: T_i = U_1 ^ ... ^ U_c, U_1 = PRF(P, S || INT(i))).
/// Preconditions: iterations >= 1; `out` holds out_size octets; out_size is at most
/// (2^32 - 1) * Hash::digest_size. Costs 2 * iterations hash blocks per digest of output.
template <class Hash>
constexpr void pbkdf2_hmac(std::string_view password, std::string_view salt,
                           std::uint32_t iterations, unsigned char* out,
                           std::size_t out_size) noexcept {
    const hmac<Hash> prf(password);
    std::uint32_t index = 1;
    for (std::size_t done = 0; done < out_size; ++index) {
        hmac<Hash> first = prf;
        first.update(salt);
        const std::array<char, 4> big_endian_index = {
            static_cast<char>(static_cast<unsigned char>(index >> 24 & 0xFFu)),
            static_cast<char>(static_cast<unsigned char>(index >> 16 & 0xFFu)),
            static_cast<char>(static_cast<unsigned char>(index >> 8 & 0xFFu)),
            static_cast<char>(static_cast<unsigned char>(index & 0xFFu)),
        };
        first.update(detail::view(big_endian_index));
        typename Hash::digest_type u = first.finish();
        typename Hash::digest_type t = u;
        for (std::uint32_t j = 1; j < iterations; ++j) {
            hmac<Hash> next = prf;
            next.update(detail::view(detail::char_copy(u)));
            u = next.finish();
            for (std::size_t k = 0; k < t.size(); ++k)
                t[k] = static_cast<unsigned char>(t[k] ^ u[k]);
        }
        const std::size_t n = out_size - done < t.size() ? out_size - done : t.size();
        for (std::size_t k = 0; k < n; ++k) out[done + k] = t[k];
        done += n;
    }
}

} // namespace crypto
} // namespace v0
} // namespace smtpwire

#endif
