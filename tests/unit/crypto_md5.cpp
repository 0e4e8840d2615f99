#include "smtpwire/crypto/md5.hpp"
#include "support/catch.hpp"
#include "support/crypto.hpp"

#include <string>
#include <string_view>
#include <utility>

using smtpwire::crypto::md5;
using smtpwire_test::hex;

namespace {
constexpr bool constexpr_digest() {
    const md5::digest_type d = md5::hash("abc");
    return d[0] == 0x90 && d[1] == 0x01 && d[15] == 0x72;
}
static_assert(constexpr_digest());
static_assert(md5::digest_size == 16 && md5::block_size == 64);
} // namespace

TEST_CASE("md5: RFC 1321 A.5 test suite") {
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", "d41d8cd98f00b204e9800998ecf8427e"},
        {"a", "0cc175b9c0f1b6a831c399e269772661"},
        {"abc", "900150983cd24fb0d6963f7d28e17f72"},
        {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
        {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
         "d174ab98d277d9f5a5611c2c9f419d9f"},
        {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a"},
    };
    for (const auto& [message, digest] : vectors) {
        CAPTURE(message);
        CHECK(hex(md5::hash(message)) == digest);
    }
}

TEST_CASE("md5: lengths around the padding boundaries") {
    // The 0x80 octet and the 8-octet length fit in the last block up to 55 octets;
    // from 56 to 63 they need one more block; 64 fills a block exactly.
    const std::pair<std::size_t, std::string_view> vectors[] = {
        {55, "ef1772b6dff9a122358552954ad0df65"},  {56, "3b0c8ac703f828b04c6c197006d17218"},
        {57, "652b906d60af96844ebd21b674f35e93"},  {63, "b06521f39153d618550606be297466d5"},
        {64, "014842d480b571495a4a0363793f7367"},  {65, "c743a45e0d2e6a95cb859adae0248435"},
        {119, "8a7bd0732ed6a28ce75f6dabc90e1613"}, {120, "5f61c0ccad4cac44c75ff505e1f1e537"},
        {127, "020406e1d05cdc2aa287641f7ae2cc39"}, {128, "e510683b3f5ffe4093d021808bc6ff70"},
    };
    for (const auto& [length, digest] : vectors) {
        CAPTURE(length);
        CHECK(hex(md5::hash(std::string(length, 'a'))) == digest);
    }
}

TEST_CASE("md5: every length from 0 to 130, one byte at a time and whole") {
    for (std::size_t length = 0; length <= 130; ++length) {
        const std::string m = smtpwire_test::pattern(length);
        CAPTURE(length);
        CHECK(smtpwire_test::hash_bytewise<md5>(m) == md5::hash(m));
    }
    CHECK(hex(smtpwire_test::digest_of_patterns<md5>(130)) ==
          "4dd892a8684716b508b503c16655a85a");
}

TEST_CASE("md5: split updates at every offset give the same digest") {
    for (const std::size_t length : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 127u, 128u, 130u}) {
        const std::string m = smtpwire_test::pattern(length);
        const md5::digest_type expected = md5::hash(m);
        for (std::size_t i = 0; i <= length; ++i) {
            for (std::size_t j = i; j <= length; j += 7) {
                CAPTURE(length, i, j);
                CHECK(smtpwire_test::hash_in_pieces<md5>(m, i, j) == expected);
            }
        }
    }
}

TEST_CASE("md5: a fresh object after finish hashes anew") {
    md5 h;
    h.update("a");
    CHECK(hex(h.finish()) == "0cc175b9c0f1b6a831c399e269772661");
    h = md5{};
    h.update("abc");
    CHECK(hex(h.finish()) == "900150983cd24fb0d6963f7d28e17f72");
}
