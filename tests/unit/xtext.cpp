#include "smtpwire/xtext.hpp"

#include "support/catch.hpp"

#include <cstddef>
#include <string>
#include <string_view>

using namespace std::string_view_literals;

namespace {

std::string encode(std::string_view in) {
    std::string out(smtpwire::xtext_encoded_size(in), '?');
    REQUIRE(smtpwire::xtext_encode(in, out.data()) == out.size());
    return out;
}

// Decodes into a buffer of exactly xtext_decoded_max() bytes; "<invalid>" on failure.
std::string decode(std::string_view in) {
    std::string out(smtpwire::xtext_decoded_max(in.size()), '?');
    std::size_t written = 99;
    if (!smtpwire::xtext_decode(in, out.data(), written)) {
        CHECK(written == 0);
        CHECK_FALSE(smtpwire::is_xtext(in));
        return "<invalid>";
    }
    CHECK(smtpwire::is_xtext(in));
    REQUIRE(written <= out.size());
    out.resize(written);
    return out;
}

// RFC 3461 §4: xchar is "!" (33) to "~" (126) except "+" and "=".
bool ref_xchar(unsigned c) { return c >= 33 && c <= 126 && c != '+' && c != '='; }

constexpr bool constexpr_round_trip() {
    char enc[16] = {};
    const std::size_t n = smtpwire::xtext_encode("a+b=c d", enc);
    char dec[16] = {};
    std::size_t written = 0;
    return n == 13 && std::string_view(enc, n) == "a+2Bb+3Dc+20d" &&
           smtpwire::xtext_decode(std::string_view(enc, n), dec, written) && written == 7 &&
           std::string_view(dec, written) == "a+b=c d";
}
static_assert(constexpr_round_trip());
static_assert(smtpwire::xtext_encoded_size("Bob+Smith") == 11);
static_assert(smtpwire::is_xtext("rfc822;Bob+2BSmith@example.com"));
static_assert(!smtpwire::is_xtext("+2b"));

} // namespace

TEST_CASE("xtext: RFC 3461 ORCPT values") {
    // RFC 3461 §6.2's example: an original recipient whose address held spaces.
    CHECK(decode("rfc822;George+20@Tax-+20ME+20.GOV") == "rfc822;George @Tax- ME .GOV");
    CHECK(encode("rfc822;George @Tax- ME .GOV") == "rfc822;George+20@Tax-+20ME+20.GOV");
    // An address with no byte to escape is its own encoding.
    CHECK(encode("rfc822;Bob@Example.COM") == "rfc822;Bob@Example.COM");
    CHECK(decode("rfc822;Bob@Example.COM") == "rfc822;Bob@Example.COM");
    // '+' and '=' are not xchars: a sub-address and an equals sign are escaped.
    CHECK(encode("rfc822;Bob+Smith@example.com") == "rfc822;Bob+2BSmith@example.com");
    CHECK(decode("rfc822;Bob+2BSmith@example.com") == "rfc822;Bob+Smith@example.com");
    CHECK(encode("a=b") == "a+3Db");
    // UTF-8 octets are escaped one by one (utf-8-addr-xtext of RFC 6533 is another rule).
    CHECK(encode("rfc822;j\xC3\xB6rg@example.com"sv) == "rfc822;j+C3+B6rg@example.com");
}

TEST_CASE("xtext: AUTH=<> of RFC 4954 section 5") {
    // "<>" says the submitter is unknown; '<' (60) and '>' (62) are xchars.
    CHECK(smtpwire::is_xtext("<>"));
    CHECK(encode("<>") == "<>");
    CHECK(decode("<>") == "<>");
    // RFC 4954 §5.1's two examples.
    CHECK(encode("e=mc2@example.com") == "e+3Dmc2@example.com");
    CHECK(decode("e+3Dmc2@example.com") == "e=mc2@example.com");
}

TEST_CASE("xtext: the empty string") {
    CHECK(smtpwire::xtext_encoded_size("") == 0);
    CHECK(encode("").empty());
    CHECK(smtpwire::is_xtext(""));
    CHECK(decode("").empty());
}

TEST_CASE("xtext: every byte value encodes as the RFC says and round-trips") {
    for (unsigned c = 0; c < 256; ++c) {
        const std::string one(1, static_cast<char>(static_cast<unsigned char>(c)));
        const std::string coded = encode(one);
        if (ref_xchar(c)) {
            CHECK(coded == one);
        } else {
            REQUIRE(coded.size() == 3);
            CHECK(coded[0] == '+');
            const char* hex = "0123456789ABCDEF";
            CHECK(coded[1] == hex[c >> 4]);
            CHECK(coded[2] == hex[c & 15]);
        }
        CHECK(decode(coded) == one);
        // A bare byte decodes only when it is an xchar.
        CHECK(smtpwire::is_xtext(one) == ref_xchar(c));
    }
    std::string all;
    for (unsigned c = 0; c < 256; ++c) all.push_back(static_cast<char>(static_cast<unsigned char>(c)));
    const std::string coded = encode(all);
    CHECK(coded.size() == 94 - 2 + (256 - 92) * 3);
    CHECK(decode(coded) == all);
}

TEST_CASE("xtext: every hexchar decodes, also of bytes that are xchars") {
    const char* hex = "0123456789ABCDEF";
    for (unsigned c = 0; c < 256; ++c) {
        const std::string coded = {'+', hex[c >> 4], hex[c & 15]};
        CHECK(decode(coded) == std::string(1, static_cast<char>(static_cast<unsigned char>(c))));
    }
    CHECK(decode("+41+42C") == "ABC");
}

TEST_CASE("xtext: decoding may overwrite its own input") {
    std::string s = "rfc822;George+20@Tax-+20ME+20.GOV";
    std::size_t written = 0;
    REQUIRE(smtpwire::xtext_decode(s, s.data(), written));
    CHECK(s.substr(0, written) == "rfc822;George @Tax- ME .GOV");
}

TEST_CASE("xtext: malformed input is refused") {
    for (std::string_view s : {
             "+"sv, "a+"sv, "+2"sv, "a+2"sv,      // '+' without two digits
             "+2b"sv, "+ab"sv, "+aB"sv, "+Ab"sv,  // lower-case hex digits
             "+G0"sv, "+0G"sv, "+ 2"sv, "++2B"sv, // not hex digits
             "a=b"sv, "="sv,                      // '=' is not an xchar
             "a b"sv, " "sv, "a\tb"sv,            // space and controls
             "a\r\nb"sv, "\0"sv, "a\x7F"sv,       // CR LF, NUL, DEL
             "j\xC3\xB6rg"sv, "\x80"sv, "\xFF"sv, // octets >= 0x80
         })
        CHECK(decode(s) == "<invalid>");
}
