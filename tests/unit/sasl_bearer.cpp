#include "smtpwire/sasl/bearer.hpp"

#include "support/base64_text.hpp"
#include "support/catch.hpp"

#include "smtpwire/base64.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace sasl = smtpwire::sasl;
using namespace std::string_view_literals;

using smtpwire_test::base64;
using smtpwire_test::unbase64;

namespace {

std::string token_of(std::string_view value) {
    std::string_view token = "unchanged";
    if (!sasl::parse_bearer_credentials(value, token)) {
        CHECK(token == "unchanged");
        return "<invalid>";
    }
    return std::string(token);
}

bool error_parses(std::string_view text) {
    sasl::bearer_error e{"unchanged", "", "", ""};
    if (sasl::parse_bearer_error(text, e)) return true;
    CHECK(e.status == "unchanged");
    return false;
}

std::string json_decode(std::string_view raw) {
    std::string out(raw.size(), '?');
    std::size_t written = 99;
    if (!sasl::json_string_decode(raw, out.data(), written)) {
        CHECK(written == 0);
        return "<invalid>";
    }
    REQUIRE(written <= out.size());
    out.resize(written);
    return out;
}

static_assert(sasl::is_b64token("vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="));
static_assert(!sasl::is_b64token("a=b"));

constexpr bool constexpr_error() {
    sasl::bearer_error e{};
    return sasl::parse_bearer_error(R"({"status":"invalid_token","scope":"s"})", e) &&
           e.status == "invalid_token" && e.scope == "s" && e.schemes.empty();
}
static_assert(constexpr_error());

} // namespace

TEST_CASE("sasl bearer: b64token of RFC 6750 section 2.1") {
    for (std::string_view t : {"vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
                               "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg", "a", "a=", "a==",
                               "-._~+/", "mF_9.B5f-4.1JqM", "0"})
        CHECK(sasl::is_b64token(t));
    for (std::string_view t : {"", "=", "==", "=a", "a=b", "a==b", "a b", " a", "a ", "a,b",
                               "a\"b", "a\x01", "a\r\n", "j\xC3\xB6rg", "a:b", "a%20"})
        CHECK_FALSE(sasl::is_b64token(t));
}

TEST_CASE("sasl bearer: the Bearer credentials of an auth value") {
    CHECK(token_of("Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==") ==
          "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
    // RFC 7628 §4: the scheme name in any case; RFC 6750: one or more spaces.
    CHECK(token_of("bearer abc") == "abc");
    CHECK(token_of("BeArEr abc") == "abc");
    CHECK(token_of("Bearer   abc") == "abc");
    for (std::string_view v : {"", "Bearer", "Bearer ", "Bearer  ", "Bearerabc", "Bearer\tabc",
                               " Bearer abc", "Bearer abc ", "Bearer abc def", "Basic YWxhZGRpbg==",
                               "OAuth realm=\"Example\"", "Bearer a=b", "Bear abc"})
        CHECK(token_of(v) == "<invalid>");
}

TEST_CASE("sasl bearer: error objects servers send") {
    sasl::bearer_error e{};
    SECTION("RFC 7628 section 4.3") {
        const std::string text = unbase64(
            "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZp"
            "Z3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWcifQ==");
        REQUIRE(sasl::parse_bearer_error(text, e));
        CHECK(e.status == "invalid_token");
        CHECK(e.scope == "example_scope");
        CHECK(e.openid_configuration == "https://example.com/.well-known/openid-config");
        CHECK(e.schemes.empty());
    }
    SECTION("RFC 7628 section 4.4 (SMTP)") {
        const std::string text = unbase64(
            "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NoZW1lcyI6ImJlYXJlciBtYWMiLCJzY29wZSI6Imh0dHBz"
            "Oi8vbWFpbC5leGFtcGxlLmNvbS8ifQ==");
        REQUIRE(sasl::parse_bearer_error(text, e));
        CHECK(e.status == "invalid_token");
        CHECK(e.schemes == "bearer mac");
        CHECK(e.scope == "https://mail.example.com/");
    }
    SECTION("Google's XOAUTH2 example, with its trailing newline") {
        const std::string text = unbase64(
            "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIG1hYyIsInNjb3BlIjoiaHR0cHM6Ly9t"
            "YWlsLmdvb2dsZS5jb20vIn0K");
        CHECK(text.back() == '\n');
        REQUIRE(sasl::parse_bearer_error(text, e));
        CHECK(e.status == "401");
        CHECK(e.schemes == "bearer mac");
        CHECK(e.scope == "https://mail.google.com/");
    }
    SECTION("pretty-printed, other members, other value types") {
        REQUIRE(sasl::parse_bearer_error(
            "\r\n {\n\t\"error\" : \"x\" , \"status\" :401, \"n\": -1.5e+3, \"t\":true,"
            " \"f\":false, \"z\":null, \"e\":0 , \"u\": \"\\u00e9\\/\" }\n",
            e));
        CHECK(e.status == "401");
        CHECK(e.scope.empty());
    }
    SECTION("views are raw, escapes unresolved") {
        const std::string_view text = R"({"status":"invalid_token","scope":"a\"b","openid-configuration":"https:\/\/example.com\/"})";
        REQUIRE(sasl::parse_bearer_error(text, e));
        CHECK(e.scope == R"(a\"b)");
        CHECK(e.openid_configuration == R"(https:\/\/example.com\/)");
        CHECK(json_decode(e.openid_configuration) == "https://example.com/");
        CHECK(e.status.data() == text.data() + 11);
    }
    SECTION("the last of a repeated member counts") {
        REQUIRE(sasl::parse_bearer_error(R"({"status":"a","status":"b"})", e));
        CHECK(e.status == "b");
    }
}

TEST_CASE("sasl bearer: what is not an error object") {
    for (std::string_view t : {
             ""sv, " "sv, "{}"sv, "[]"sv, "null"sv, "\"status\""sv,
             R"({"scope":"s"})"sv,                       // no status
             R"({"status":""})"sv,                       // empty status
             R"({"status":"a",})"sv,                     // trailing comma
             R"({"status":"a" "scope":"s"})"sv,          // missing comma
             R"({"status":"a"} x)"sv,                    // text after the object
             R"({"status":"a"}{})"sv,
             R"({"status":"a")"sv,                       // unterminated object
             R"({"status":"a)"sv,                        // unterminated string
             R"({"status":{"code":1}})"sv,               // nested object
             R"({"status":"a","x":[1]})"sv,              // array
             R"({'status':'a'})"sv,                      // single quotes
             R"({status:"a"})"sv,                        // bare name
             R"({"status"="a"})"sv,
             R"({"status":"a\x"})"sv,                    // unknown escape
             R"({"status":"a\u12"})"sv,                  // short \u escape
             R"({"status":"a","n":01})"sv,               // leading zero
             R"({"status":"a","n":1.})"sv,
             R"({"status":"a","n":+1})"sv,
             R"({"status":"a","n":.5})"sv,
             R"({"status":"a","n":1e})"sv,
             R"({"status":"a","t":True})"sv,
             R"({"status":"a","t":nul})"sv,
             "{\"status\":\"a\tb\"}"sv,                  // raw control character
             "{\"status\":\"a\nb\"}"sv,
             "{\"status\":\"\xC3\"}"sv,                  // ill-formed UTF-8
             "{\"status\":\"a\"}\xFF"sv,
             "\xEF\xBB\xBF{\"status\":\"a\"}"sv,         // a byte order mark is not whitespace
         })
        CHECK_FALSE(error_parses(t));
}

TEST_CASE("sasl bearer: decoding JSON string contents") {
    CHECK(json_decode("") == "");
    CHECK(json_decode("plain text") == "plain text");
    CHECK(json_decode(R"(https:\/\/example.com\/)") == "https://example.com/");
    CHECK(json_decode(R"(\"\\\/\b\f\n\r\t)") == "\"\\/\b\f\n\r\t");
    CHECK(json_decode(R"(\u0041\u00e9\u00E9\u20ac)") == "A\xC3\xA9\xC3\xA9\xE2\x82\xAC");
    CHECK(json_decode(R"(\ud83d\udd11)") == "\xF0\x9F\x94\x91");
    CHECK(json_decode(R"(\u0000)") == std::string(1, '\0'));
    CHECK(json_decode("j\xC3\xB6rg") == "j\xC3\xB6rg");
    for (std::string_view raw : {R"(\)"sv, R"(\x)"sv, R"(\u)"sv, R"(\u12)"sv, R"(\u12g4)"sv,
                                 R"(\ud83d)"sv, R"(\ud83dx)"sv, R"(\ud83d\u0041)"sv,
                                 R"(\udd11)"sv, R"(\ud83d\ud83d)"sv, R"(a"b)"sv, "a\nb"sv,
                                 "\xC3"sv, "\xED\xA0\x80"sv})
        CHECK(json_decode(raw) == "<invalid>");
}

TEST_CASE("sasl bearer: JSON string decoding may overwrite its own input") {
    std::string s = R"(a\/b\u00e9\ud83d\udd11c)";
    std::size_t written = 0;
    REQUIRE(sasl::json_string_decode(s, s.data(), written));
    CHECK(s.substr(0, written) == "a/b\xC3\xA9\xF0\x9F\x94\x91" "c");
}
