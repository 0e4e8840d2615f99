#include "smtpwire/base64.hpp"
#include "support/catch.hpp"

#include <string>
#include <string_view>

using namespace std::string_view_literals;

namespace {
std::string encode(std::string_view in) {
    std::string out(smtpwire::base64_encoded_size(in.size()), '?');
    REQUIRE(smtpwire::base64_encode(in, out.data()) == out.size());
    return out;
}

// Decodes into a buffer of exactly base64_decoded_max() bytes; "<invalid>" on failure.
std::string decode(std::string_view in) {
    std::string out(smtpwire::base64_decoded_max(in.size()), '?');
    std::size_t written = 99;
    if (!smtpwire::base64_decode(in, out.data(), written)) {
        CHECK(written == 0);
        return "<invalid>";
    }
    REQUIRE(written <= out.size());
    out.resize(written);
    return out;
}

constexpr bool constexpr_round_trip() {
    char enc[8] = {};
    const std::size_t n = smtpwire::base64_encode("foob", enc);
    char dec[6] = {};
    std::size_t written = 0;
    return n == 8 && std::string_view(enc, n) == "Zm9vYg==" &&
           smtpwire::base64_decode(std::string_view(enc, n), dec, written) && written == 4 &&
           std::string_view(dec, written) == "foob";
}
static_assert(constexpr_round_trip());
} // namespace

TEST_CASE("base64: sizes") {
    CHECK(smtpwire::base64_encoded_size(0) == 0);
    CHECK(smtpwire::base64_encoded_size(1) == 4);
    CHECK(smtpwire::base64_encoded_size(2) == 4);
    CHECK(smtpwire::base64_encoded_size(3) == 4);
    CHECK(smtpwire::base64_encoded_size(4) == 8);
    CHECK(smtpwire::base64_encoded_size(45) == 60);
    CHECK(smtpwire::base64_decoded_max(0) == 0);
    CHECK(smtpwire::base64_decoded_max(4) == 3);
    CHECK(smtpwire::base64_decoded_max(8) == 6);
    CHECK(smtpwire::base64_decoded_max(60) == 45);
}

TEST_CASE("base64: RFC 4648 section 10 test vectors") {
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", ""},           {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, coded] : vectors) {
        CHECK(encode(plain) == coded);
        CHECK(decode(coded) == plain);
    }
}

TEST_CASE("base64: every byte value and both alphabet ends") {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    const std::string coded = encode(all);
    CHECK(coded.substr(0, 8) == "AAECAwQF");
    CHECK(coded.substr(coded.size() - 8) == "/P3+/w==");
    CHECK(decode(coded) == all);
    CHECK(encode("\xFB\xFF"sv) == "+/8=");
    CHECK(decode("+/8=") == "\xFB\xFF"sv);
    CHECK(encode("\0\0\0"sv) == "AAAA");
    CHECK(decode("AAAA") == "\0\0\0"sv);
    // SASL PLAIN credentials as RFC 4616 sends them.
    CHECK(encode("\0tim\0tanstaaftanstaaf"sv) == "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
    CHECK(decode("AHRpbQB0YW5zdGFhZnRhbnN0YWFm") == "\0tim\0tanstaaftanstaaf"sv);
}

TEST_CASE("base64: decoding may overwrite its own input") {
    std::string s = "Zm9vYmFy";
    std::size_t written = 0;
    REQUIRE(smtpwire::base64_decode(s, s.data(), written));
    CHECK(s.substr(0, written) == "foobar");
}

TEST_CASE("base64: encoding in place gives what encoding elsewhere gives") {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(255 - i));
    for (std::size_t n = 0; n <= all.size(); ++n) {
        const std::string_view in = std::string_view(all).substr(0, n);
        std::string buffer(smtpwire::base64_encoded_size(n), '?');
        if (n != 0) in.copy(buffer.data(), n);
        REQUIRE(smtpwire::base64_encode_in_place(buffer.data(), n) == buffer.size());
        INFO("length " << n);
        CHECK(buffer == encode(in));
    }
}

namespace {
constexpr bool constexpr_in_place() {
    char b[8] = {'f', 'o', 'o', 'b'};
    return smtpwire::base64_encode_in_place(b, 4) == 8 && std::string_view(b, 8) == "Zm9vYg==";
}
static_assert(constexpr_in_place());
} // namespace

TEST_CASE("base64: lengths that are not a multiple of 4 are refused") {
    for (std::string_view s : {"Z"sv, "Zm"sv, "Zm9"sv, "Zm9vY"sv, "Zm9vYg"sv, "Zm9vYg="sv,
                               "Zm9vYmFy="sv, "="sv, "=="sv, "==="sv})
        CHECK(decode(s) == "<invalid>");
}

TEST_CASE("base64: characters outside the alphabet are refused") {
    for (std::string_view s : {"Zm9 "sv, " Zm9"sv, "Zm\r\n"sv, "Zm9v\r\nYmFy"sv, "Zm-v"sv,
                               "Zm_v"sv, "Zm.v"sv, "Zm9v\0\0\0\0"sv, "Zm9\x80"sv, "Zm9\xFF"sv,
                               "Zm9v\tmFy"sv, "Zm9vYmF*"sv})
        CHECK(decode(s) == "<invalid>");
}

TEST_CASE("base64: padding only at the end, one or two characters") {
    CHECK(decode("Zg==Zg==") == "<invalid>"); // padding in the middle
    CHECK(decode("Zm8=Zm8=") == "<invalid>");
    CHECK(decode("Z===") == "<invalid>");     // three pad characters
    CHECK(decode("====") == "<invalid>");
    CHECK(decode("=Zm9") == "<invalid>");
    CHECK(decode("Z=m9") == "<invalid>");
    CHECK(decode("Zm=v") == "<invalid>");     // '=' then data
    CHECK(decode("Zg=a") == "<invalid>");
    CHECK(decode("Zm9v====") == "<invalid>");
}

TEST_CASE("base64: non-zero pad bits are refused") {
    // "f" is Zg==; Zh==..Zv== carry the same first 6+2 bits with non-zero discarded bits.
    CHECK(decode("Zg==") == "f");
    for (std::string_view s : {"Zh=="sv, "Zi=="sv, "Zo=="sv, "Zv=="sv})
        CHECK(decode(s) == "<invalid>");
    // "fo" is Zm8=; Zm9= .. Zm/= differ only in the two discarded bits.
    CHECK(decode("Zm8=") == "fo");
    for (std::string_view s : {"Zm9="sv, "Zm+="sv, "Zm/="sv})
        CHECK(decode(s) == "<invalid>");
}
