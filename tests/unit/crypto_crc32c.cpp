#include "smtpwire/crypto/crc32c.hpp"
#include "support/catch.hpp"
#include "support/crypto.hpp"

#include <cstdint>
#include <string>
#include <string_view>

using smtpwire::crypto::crc32c;

namespace {
static_assert(crc32c::compute("123456789") == 0xE3069283u);
static_assert(crc32c::compute("") == 0);

// `n` octets: `first`, then each one `step` more (mod 256).
std::string run_of(std::size_t n, unsigned first, int step) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>((static_cast<int>(first) + step * static_cast<int>(i)) & 0xFF);
    return s;
}
} // namespace

TEST_CASE("crc32c: the check value of the Castagnoli CRC") {
    CHECK(crc32c::compute("123456789") == 0xE3069283u);
}

TEST_CASE("crc32c: RFC 3720 Appendix B.4 test vectors") {
    // The RFC lists each CRC as the octets sent, least significant first: "aa 36 91 8a"
    // is 0x8A9136AA.
    CHECK(crc32c::compute(std::string(32, '\0')) == 0x8A9136AAu);
    CHECK(crc32c::compute(std::string(32, '\xff')) == 0x62A8AB43u);
    CHECK(crc32c::compute(run_of(32, 0x00, 1)) == 0x46DD794Eu);
    CHECK(crc32c::compute(run_of(32, 0x1F, -1)) == 0x113FDB5Cu);
    const std::string read_pdu = smtpwire_test::unhex(
        "01c00000000000000000000000000000"
        "14000000000004000000001400000018"
        "28000000000000000200000000000000");
    REQUIRE(read_pdu.size() == 48);
    CHECK(crc32c::compute(read_pdu) == 0xD9963A56u);
}

TEST_CASE("crc32c: updates split at every offset give the same value") {
    const std::string m = smtpwire_test::pattern(100);
    const std::uint32_t whole = crc32c::compute(m);
    for (std::size_t i = 0; i <= m.size(); ++i) {
        crc32c c;
        c.update(std::string_view(m).substr(0, i));
        c.update({});
        c.update(std::string_view(m).substr(i));
        CAPTURE(i);
        CHECK(c.value() == whole);
    }
}

TEST_CASE("crc32c: value() does not end the computation") {
    crc32c c;
    c.update("12345");
    CHECK(c.value() == crc32c::compute("12345"));
    c.update("6789");
    CHECK(c.value() == 0xE3069283u);
}
