#include "smtpwire/crypto/hex.hpp"
#include "support/catch.hpp"

#include <array>
#include <string>
#include <string_view>

using namespace std::string_view_literals;

namespace {
constexpr bool constexpr_round_trip() {
    char enc[6] = {};
    const std::size_t n = smtpwire::crypto::hex_encode("\x00\x9F\xFF"sv, enc);
    char dec[3] = {};
    return n == 6 && std::string_view(enc, n) == "009fff" &&
           smtpwire::crypto::hex_decode("009FfF", dec) &&
           std::string_view(dec, 3) == "\x00\x9F\xFF"sv;
}
static_assert(constexpr_round_trip());

std::string decode(std::string_view digits) {
    std::string out(digits.size() / 2, '?');
    if (!smtpwire::crypto::hex_decode(digits, out.data())) return "<invalid>";
    return out;
}
} // namespace

TEST_CASE("hex: every byte value encodes to two lowercase digits and back") {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    std::string digits(512, '?');
    CHECK(smtpwire::crypto::hex_encode(all, digits.data()) == 512);
    CHECK(digits.substr(0, 8) == "00010203");
    CHECK(digits.substr(16 * 2 * 10, 6) == "a0a1a2");
    CHECK(digits.substr(504) == "fcfdfeff");
    CHECK(decode(digits) == all);
    std::string upper = digits;
    for (char& c : upper)
        if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
    CHECK(decode(upper) == all);
    CHECK(smtpwire::crypto::hex_encode("", digits.data()) == 0);
    CHECK(decode("").empty());
}

TEST_CASE("hex: odd lengths and non-hex characters are refused") {
    for (std::string_view s : {"0"sv, "abc"sv, "0g"sv, "g0"sv, "0x"sv, " 0"sv, "0 "sv, "+1"sv,
                               "\x00\x00"sv, "/0"sv, ":0"sv, "@0"sv, "G0"sv, "`0"sv, "\xC0\xB0"sv})
        CHECK(decode(s) == "<invalid>");
}

TEST_CASE("hex: as_bytes views a digest's octets") {
    const std::array<unsigned char, 3> digest = {0x00, 0x80, 0xFF};
    const std::string_view v = smtpwire::crypto::as_bytes(digest);
    CHECK(v.size() == 3);
    CHECK(v == "\x00\x80\xFF"sv);
    CHECK(static_cast<const void*>(v.data()) == static_cast<const void*>(digest.data()));
}
