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

/// The `Hash` digest of `message` fed one octet at a time.
template <class Hash>
typename Hash::digest_type hash_bytewise(std::string_view message) {
    Hash h;
    for (const char c : message) h.update(std::string_view(&c, 1));
    return h.finish();
}

/// The `Hash` digest of `message` fed in three pieces cut at `i` and `j` (i <= j), with an
/// empty update between the second and the third.
template <class Hash>
typename Hash::digest_type hash_in_pieces(std::string_view message, std::size_t i,
                                          std::size_t j) {
    Hash h;
    h.update(message.substr(0, i));
    h.update(message.substr(i, j - i));
    h.update({});
    h.update(message.substr(j));
    return h.finish();
}

/// The `Hash` digest of the digests of pattern(0) .. pattern(max_length), concatenated:
/// one value that changes if the digest of any of those lengths does.
template <class Hash>
typename Hash::digest_type digest_of_patterns(std::size_t max_length) {
    Hash all;
    for (std::size_t length = 0; length <= max_length; ++length)
        all.update(smtpwire::crypto::as_bytes(Hash::hash(pattern(length))));
    return all.finish();
}

} // namespace smtpwire_test
