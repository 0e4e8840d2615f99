#include "smtpwire/crypto/hmac.hpp"
#include "smtpwire/crypto/md5.hpp"
#include "smtpwire/crypto/sha256.hpp"
#include "support/catch.hpp"
#include "support/crypto.hpp"

#include <string>
#include <string_view>

using smtpwire::crypto::hmac;
using smtpwire::crypto::md5;
using smtpwire::crypto::sha256;
using smtpwire_test::hex;

namespace {
struct vector {
    std::string key;
    std::string data;
    std::string_view mac; // hex; shorter than the digest when the RFC truncates it
};

constexpr bool constexpr_mac() {
    const sha256::digest_type d = hmac<sha256>::compute("Jefe", "what do ya want for nothing?");
    return d[0] == 0x5b && d[31] == 0x43;
}
static_assert(constexpr_mac());

const std::string bytes_1_to_25 =
    smtpwire_test::unhex("0102030405060708090a0b0c0d0e0f10111213141516171819");
} // namespace

TEST_CASE("hmac: RFC 4231 test cases 1 to 7 for HMAC-SHA-256") {
    const vector vectors[] = {
        {std::string(20, '\x0b'), "Hi There",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {"Jefe", "what do ya want for nothing?",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {std::string(20, '\xaa'), std::string(50, '\xdd'),
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
        {bytes_1_to_25, std::string(50, '\xcd'),
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
        // Case 5: the output truncated to 128 bits.
        {std::string(20, '\x0c'), "Test With Truncation", "a3b6167473100ee06e0c796c2955552b"},
        // Cases 6 and 7: a 131-octet key, longer than the block, is hashed first.
        {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
        {std::string(131, '\xaa'),
         "This is a test using a larger than block-size key and a larger than block-size "
         "data. The key needs to be hashed before being used by the HMAC algorithm.",
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
    };
    int number = 0;
    for (const vector& v : vectors) {
        CAPTURE(++number);
        CHECK(hex(hmac<sha256>::compute(v.key, v.data)).substr(0, v.mac.size()) == v.mac);
    }
}

TEST_CASE("hmac: RFC 2202 test cases 1 to 7 for HMAC-MD5") {
    const vector vectors[] = {
        {std::string(16, '\x0b'), "Hi There", "9294727a3638bb1c13f48ef8158bfc9d"},
        {"Jefe", "what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738"},
        {std::string(16, '\xaa'), std::string(50, '\xdd'), "56be34521d144c88dbb8c733f0e8b3f6"},
        {bytes_1_to_25, std::string(50, '\xcd'), "697eaf0aca3a3aea3a75164746ffaa79"},
        {std::string(16, '\x0c'), "Test With Truncation", "56461ef2342edc00f9bab995690efd4c"},
        {std::string(80, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
         "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"},
        {std::string(80, '\xaa'),
         "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
         "6f630fad67cda0ee1fb1f562db3aa53e"},
    };
    int number = 0;
    for (const vector& v : vectors) {
        CAPTURE(++number);
        CHECK(hex(hmac<md5>::compute(v.key, v.data)) == v.mac);
    }
    // RFC 2202 case 5 also gives the 96-bit truncation.
    CHECK(hex(hmac<md5>::compute(std::string(16, '\x0c'), "Test With Truncation")).substr(0, 24) ==
          "56461ef2342edc00f9bab995");
}

TEST_CASE("hmac: keys of every length from 0 to 130") {
    // The hash of the 131 MACs of "message " + length under the key pattern(length):
    // keys shorter than, equal to and longer than the 64-octet block.
    md5 all_md5;
    sha256 all_sha256;
    for (std::size_t length = 0; length <= 130; ++length) {
        const std::string key = smtpwire_test::pattern(length);
        const std::string message = "message " + std::string(1, static_cast<char>(length));
        all_md5.update(smtpwire::crypto::as_bytes(hmac<md5>::compute(key, message)));
        all_sha256.update(smtpwire::crypto::as_bytes(hmac<sha256>::compute(key, message)));
    }
    CHECK(hex(all_md5.finish()) == "6501ffbf0036057fa16e228347021e79");
    CHECK(hex(all_sha256.finish()) ==
          "ec6501286cf52c0337177ce97c79aff18adf34226be2715fe54b0c6b3154f5d1");
}

TEST_CASE("hmac: split updates and copies of a keyed object") {
    const std::string key = smtpwire_test::pattern(100);
    const std::string message = smtpwire_test::pattern(130);
    const sha256::digest_type expected = hmac<sha256>::compute(key, message);
    const hmac<sha256> keyed(key);
    for (std::size_t i = 0; i <= message.size(); ++i) {
        hmac<sha256> h = keyed;
        h.update(std::string_view(message).substr(0, i));
        h.update(std::string_view(message).substr(i));
        CAPTURE(i);
        CHECK(h.finish() == expected);
    }
}
