// Helpers for the crypto and SASL tests: digests and byte arrays as lowercase hex, and
// the test messages whose lengths cross the padding boundaries. Test code; may allocate.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "smtpwire/crypto/hex.hpp"

namespace smtpwire_test {

/// Lowercase hex of `bytes`.
inline std::string hex(std::string_view bytes) {
    std::string out(bytes.size() * 2, '?');
    (void)smtpwire::crypto::hex_encode(bytes, out.data());
    return out;
}

/// Lowercase hex of a digest.
template <std::size_t N>
std::string hex(const std::array<unsigned char, N>& digest) {
    return hex(smtpwire::crypto::as_bytes(digest));
}

/// The octets a hex string stands for (the string must be valid hex).
inline std::string unhex(std::string_view digits) {
    std::string out(digits.size() / 2, '\0');
    if (!smtpwire::crypto::hex_decode(digits, out.data())) return "<invalid hex>";
    return out;
}

/// `length` octets (j * 31 + 7) mod 256: every byte value, no period of a block.
inline std::string pattern(std::size_t length) {
    std::string s(length, '\0');
    for (std::size_t j = 0; j < length; ++j) s[j] = static_cast<char>((j * 31 + 7) % 256);
    return s;
}

} // namespace smtpwire_test
