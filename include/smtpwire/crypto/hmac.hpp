// HMAC over any of the hashes here (md5, sha256): keyed-hash message authentication.
// RFC 2104 §2 (definition, keys longer than a block hashed first), §3 (key length).
#ifndef SMTPWIRE_CRYPTO_HMAC_HPP
#define SMTPWIRE_CRYPTO_HMAC_HPP

#include <array>
#include <cstddef>
#include <string_view>

namespace smtpwire {
inline namespace v0 {
namespace crypto {

namespace detail {
/// A copy of `bytes` as chars, which update() and other string_view users take.
template <std::size_t N>
constexpr std::array<char, N> char_copy(const std::array<unsigned char, N>& bytes) noexcept {
    std::array<char, N> out{};
    for (std::size_t i = 0; i < N; ++i) out[i] = static_cast<char>(bytes[i]);
    return out;
}

template <std::size_t N>
constexpr std::string_view view(const std::array<char, N>& chars) noexcept {
    return {chars.data(), N};
}
} // namespace detail

/// HMAC with `Hash` (crypto::md5 or crypto::sha256, or any class of the same shape):
/// construct with the key, update() with the message, finish() once. The object may be
/// copied after construction to authenticate several messages with the key processed
/// only once (pbkdf2_hmac does).
template <class Hash>
class hmac {
public:
    using digest_type = typename Hash::digest_type;

    /// Keys longer than Hash::block_size are replaced by their hash (RFC 2104 §2); the key
    /// is not kept, only the two hash states it starts.
    explicit constexpr hmac(std::string_view key) noexcept {
        std::array<char, Hash::block_size> padded{};
        if (key.size() > Hash::block_size) {
            const digest_type hashed = Hash::hash(key);
            for (std::size_t i = 0; i < hashed.size(); ++i)
                padded[i] = static_cast<char>(hashed[i]);
        } else {
            for (std::size_t i = 0; i < key.size(); ++i) padded[i] = key[i];
        }
        std::array<char, Hash::block_size> pad{};
        for (std::size_t i = 0; i < pad.size(); ++i) pad[i] = static_cast<char>(padded[i] ^ 0x36);
        inner_.update(detail::view(pad));
        for (std::size_t i = 0; i < pad.size(); ++i) pad[i] = static_cast<char>(padded[i] ^ 0x5C);
        outer_.update(detail::view(pad));
    }

    /// Authenticates `bytes` after everything passed before.
    constexpr void update(std::string_view bytes) noexcept { inner_.update(bytes); }

    /// The MAC of all bytes passed to update(). The object is spent afterwards; keep a
    /// copy made before the first update() to reuse the key.
    [[nodiscard]] constexpr digest_type finish() noexcept {
        outer_.update(detail::view(detail::char_copy(inner_.finish())));
        return outer_.finish();
    }

    /// The MAC of `message` under `key`.
    [[nodiscard]] static constexpr digest_type compute(std::string_view key,
                                                       std::string_view message) noexcept {
        hmac h(key);
        h.update(message);
        return h.finish();
    }

private:
    Hash inner_{}; // H(K xor ipad, ...
    Hash outer_{}; // H(K xor opad, ...
};

} // namespace crypto
} // namespace v0
} // namespace smtpwire

#endif
