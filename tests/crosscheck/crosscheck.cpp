// smtpwire's MD5, SHA-256, HMAC and PBKDF2 against OpenSSL's libcrypto on random inputs.
// The seed is fixed, so a failure reproduces; each failure prints its case number and input.
#include "smtpwire/crypto/hmac.hpp"
#include "smtpwire/crypto/md5.hpp"
#include "smtpwire/crypto/pbkdf2.hpp"
#include "smtpwire/crypto/sha256.hpp"
#include "support/catch.hpp"
#include "support/crypto.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace {
using smtpwire::crypto::hmac;
using smtpwire::crypto::md5;
using smtpwire::crypto::sha256;
using smtpwire_test::hex;

constexpr std::uint32_t seed = 20240605;

const unsigned char* bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

std::string random_bytes(std::mt19937& rng, std::size_t max_length) {
    std::uniform_int_distribution<std::size_t> length(0, max_length);
    std::uniform_int_distribution<int> octet(0, 255);
    std::string s(length(rng), '\0');
    for (char& c : s) c = static_cast<char>(octet(rng));
    return s;
}

std::string openssl_digest(const EVP_MD* md, std::string_view message) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned size = 0;
    REQUIRE(EVP_Digest(message.data(), message.size(), out, &size, md, nullptr) == 1);
    return hex(std::string_view(reinterpret_cast<const char*>(out), size));
}

std::string openssl_hmac(const EVP_MD* md, std::string_view key, std::string_view message) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned size = 0;
    REQUIRE(HMAC(md, key.data(), static_cast<int>(key.size()), bytes(message), message.size(),
                 out, &size) != nullptr);
    return hex(std::string_view(reinterpret_cast<const char*>(out), size));
}

// The same input fed to `Hash` in random pieces.
template <class Hash>
typename Hash::digest_type in_pieces(std::mt19937& rng, std::string_view message) {
    Hash h;
    while (!message.empty()) {
        std::uniform_int_distribution<std::size_t> cut(0, message.size());
        const std::size_t n = cut(rng);
        h.update(message.substr(0, n));
        message.remove_prefix(n);
    }
    return h.finish();
}
} // namespace

TEST_CASE("crypto crosscheck: MD5 and SHA-256 against EVP_Digest") {
    std::mt19937 rng(seed);
    for (int i = 0; i < 3000; ++i) {
        const std::string message = random_bytes(rng, 300);
        CAPTURE(i, hex(message));
        const std::string expected_md5 = openssl_digest(EVP_md5(), message);
        const std::string expected_sha256 = openssl_digest(EVP_sha256(), message);
        CHECK(hex(md5::hash(message)) == expected_md5);
        CHECK(hex(sha256::hash(message)) == expected_sha256);
        CHECK(hex(in_pieces<md5>(rng, message)) == expected_md5);
        CHECK(hex(in_pieces<sha256>(rng, message)) == expected_sha256);
    }
}

TEST_CASE("crypto crosscheck: HMAC-MD5 and HMAC-SHA-256 against HMAC()") {
    std::mt19937 rng(seed + 1);
    for (int i = 0; i < 3000; ++i) {
        const std::string key = random_bytes(rng, 200); // up to three blocks: hashed first
        const std::string message = random_bytes(rng, 300);
        CAPTURE(i, hex(key), hex(message));
        CHECK(hex(hmac<md5>::compute(key, message)) == openssl_hmac(EVP_md5(), key, message));
        CHECK(hex(hmac<sha256>::compute(key, message)) ==
              openssl_hmac(EVP_sha256(), key, message));
        hmac<sha256> pieces(key);
        std::uniform_int_distribution<std::size_t> cut(0, message.size());
        const std::size_t n = cut(rng);
        pieces.update(std::string_view(message).substr(0, n));
        pieces.update(std::string_view(message).substr(n));
        CHECK(hex(pieces.finish()) == openssl_hmac(EVP_sha256(), key, message));
    }
}

TEST_CASE("crypto crosscheck: PBKDF2-HMAC-SHA-256 against PKCS5_PBKDF2_HMAC") {
    std::mt19937 rng(seed + 2);
    std::uniform_int_distribution<std::uint32_t> iterations(1, 64);
    std::uniform_int_distribution<std::size_t> size(1, 100); // up to four blocks of output
    for (int i = 0; i < 1000; ++i) {
        const std::string password = random_bytes(rng, 100);
        const std::string salt = random_bytes(rng, 80);
        const std::uint32_t c = iterations(rng);
        const std::size_t n = size(rng);
        CAPTURE(i, hex(password), hex(salt), c, n);
        std::string expected(n, '\0');
        REQUIRE(PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                                  bytes(salt), static_cast<int>(salt.size()),
                                  static_cast<int>(c), EVP_sha256(), static_cast<int>(n),
                                  reinterpret_cast<unsigned char*>(expected.data())) == 1);
        std::string derived(n, '\0');
        smtpwire::crypto::pbkdf2_hmac<sha256>(password, salt, c,
                                              reinterpret_cast<unsigned char*>(derived.data()),
                                              derived.size());
        CHECK(hex(derived) == hex(expected));
    }
}
