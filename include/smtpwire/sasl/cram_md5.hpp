// CRAM-MD5: the client's keyed-MD5 answer to a server's challenge, and the server's check.
// RFC 2195 §2 (response: user SP 32 lowercase hex digits of HMAC-MD5), RFC 2104 (HMAC).
#ifndef SMTPWIRE_SASL_CRAM_MD5_HPP
#define SMTPWIRE_SASL_CRAM_MD5_HPP

#include <array>
#include <cstddef>
#include <string_view>

#include "smtpwire/crypto/compare.hpp"
#include "smtpwire/crypto/hex.hpp"
#include "smtpwire/crypto/hmac.hpp"
#include "smtpwire/crypto/md5.hpp"

namespace smtpwire {
inline namespace v0 {
namespace sasl {

/// Digits of the digest in a CRAM-MD5 response.
inline constexpr std::size_t cram_md5_digest_hex_size = 2 * crypto::md5::digest_size;

/// Octets of the response for `user`: the name, a space and the 32 hex digits.
[[nodiscard]] constexpr std::size_t cram_md5_response_size(std::string_view user) noexcept {
    return user.size() + 1 + cram_md5_digest_hex_size;
}

/// Client: writes "user SP digest", the digest being HMAC-MD5 keyed with `password` over
/// `challenge` (the server's challenge, base64-decoded from its 334 reply) in lowercase
/// hex. The application base64-encodes the result for its AUTH answer. `user` should be
/// non-empty (servers refuse an empty one); it may contain spaces, since the server splits
/// at the last one. Precondition: `out` holds cram_md5_response_size(user) chars.
/// Returns that size.
[[nodiscard]] inline std::size_t cram_md5_response(std::string_view user,
                                                   std::string_view password,
                                                   std::string_view challenge,
                                                   char* out) noexcept {
    std::size_t n = 0;
    for (const char c : user) out[n++] = c;
    out[n++] = ' ';
    const crypto::md5::digest_type digest = crypto::hmac<crypto::md5>::compute(password, challenge);
    return n + crypto::hex_encode(crypto::as_bytes(digest), out + n);
}

/// Server: splits a decoded CRAM-MD5 response at its last space into the user name
/// (non-empty; any other octets, spaces included, are the application's to judge) and the
/// digest (exactly 32 hex digits of either case). On success sets both views, which point
/// into `response`, and returns true; otherwise sets both empty and returns false.
[[nodiscard]] constexpr bool parse_cram_md5_response(std::string_view response,
                                                     std::string_view& user,
                                                     std::string_view& digest_hex) noexcept {
    user = {};
    digest_hex = {};
    const std::size_t space = response.rfind(' ');
    if (space == std::string_view::npos || space == 0) return false;
    const std::string_view digits = response.substr(space + 1);
    if (digits.size() != cram_md5_digest_hex_size) return false;
    std::array<char, crypto::md5::digest_size> ignored{};
    if (!crypto::hex_decode(digits, ignored.data())) return false;
    user = response.substr(0, space);
    digest_hex = digits;
    return true;
}

/// Server: true when `digest_hex` (32 hex digits, either case) is the HMAC-MD5 of
/// `challenge` keyed with `password`, the user's stored secret. The digests are compared
/// in constant time; a malformed `digest_hex` is false.
[[nodiscard]] inline bool cram_md5_verify(std::string_view password, std::string_view challenge,
                                          std::string_view digest_hex) noexcept {
    std::array<char, crypto::md5::digest_size> received{};
    if (digest_hex.size() != cram_md5_digest_hex_size ||
        !crypto::hex_decode(digest_hex, received.data()))
        return false;
    const crypto::md5::digest_type expected =
        crypto::hmac<crypto::md5>::compute(password, challenge);
    return crypto::constant_time_equal(crypto::as_bytes(expected),
                                       std::string_view(received.data(), received.size()));
}

} // namespace sasl
} // namespace v0
} // namespace smtpwire

#endif
