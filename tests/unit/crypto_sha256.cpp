#include "smtpwire/crypto/sha256.hpp"
#include "support/catch.hpp"
#include "support/crypto.hpp"

#include <string>
#include <string_view>
#include <utility>

using smtpwire::crypto::sha256;
using smtpwire_test::hex;

namespace {
constexpr bool constexpr_digest() {
    const sha256::digest_type d = sha256::hash("abc");
    return d[0] == 0xba && d[1] == 0x78 && d[31] == 0xad;
}
static_assert(constexpr_digest());
static_assert(sha256::digest_size == 32 && sha256::block_size == 64);
} // namespace

TEST_CASE("sha256: FIPS 180-4 and NIST examples") {
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        // The 448-bit message: two blocks, the padding alone in the second.
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        // The 896-bit message.
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklm"
         "nopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    for (const auto& [message, digest] : vectors) {
        CAPTURE(message);
        CHECK(hex(sha256::hash(message)) == digest);
    }
}

TEST_CASE("sha256: one million 'a', whole and in uneven pieces") {
    const std::string a(1000000, 'a');
    const std::string_view expected =
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    CHECK(hex(sha256::hash(a)) == expected);
    sha256 h;
    std::size_t done = 0;
    for (std::size_t piece = 1; done < a.size(); piece = piece * 3 % 1000 + 1) {
        const std::size_t n = piece < a.size() - done ? piece : a.size() - done;
        h.update(std::string_view(a).substr(done, n));
        done += n;
    }
    CHECK(hex(h.finish()) == expected);
}

TEST_CASE("sha256: lengths around the padding boundaries") {
    const std::pair<std::size_t, std::string_view> vectors[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {57, "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
        {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
        {127, "c57e9278af78fa3cab38667bef4ce29d783787a2f731d4e12200270f0c32320a"},
        {128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"},
    };
    for (const auto& [length, digest] : vectors) {
        CAPTURE(length);
        CHECK(hex(sha256::hash(std::string(length, 'a'))) == digest);
    }
}

TEST_CASE("sha256: every length from 0 to 130, one byte at a time and whole") {
    for (std::size_t length = 0; length <= 130; ++length) {
        const std::string m = smtpwire_test::pattern(length);
        CAPTURE(length);
        CHECK(smtpwire_test::hash_bytewise<sha256>(m) == sha256::hash(m));
    }
    CHECK(hex(smtpwire_test::digest_of_patterns<sha256>(130)) ==
          "c6e4e8706aad569e79b1296ad67e984c018330dca4cd1bc520b46a1d8c1abb05");
}

TEST_CASE("sha256: split updates at every offset give the same digest") {
    for (const std::size_t length : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 127u, 128u, 130u}) {
        const std::string m = smtpwire_test::pattern(length);
        const sha256::digest_type expected = sha256::hash(m);
        for (std::size_t i = 0; i <= length; ++i) {
            for (std::size_t j = i; j <= length; j += 7) {
                CAPTURE(length, i, j);
                CHECK(smtpwire_test::hash_in_pieces<sha256>(m, i, j) == expected);
            }
        }
    }
}
