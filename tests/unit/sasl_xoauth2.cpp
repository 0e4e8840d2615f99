#include "smtpwire/sasl/xoauth2.hpp"

#include "support/base64_text.hpp"
#include "support/catch.hpp"

#include "smtpwire/base64.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace sasl = smtpwire::sasl;
using namespace std::string_view_literals;

using smtpwire_test::base64;
using smtpwire_test::unbase64;

namespace {

constexpr std::string_view google_user = "someuser@example.com";
constexpr std::string_view google_token = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg";
constexpr std::string_view google_response =
    "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52"
    "YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==";
constexpr std::string_view google_error =
    "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIG1hYyIsInNjb3BlIjoiaHR0cHM6Ly9t"
    "YWlsLmdvb2dsZS5jb20vIn0K";

std::string message(std::string_view user, std::string_view token) {
    std::string out(sasl::xoauth2_message_size(user, token), '?');
    REQUIRE(sasl::xoauth2_message(user, token, out.data()) == out.size());
    return out;
}

std::string error(std::string_view status, std::string_view schemes, std::string_view scope) {
    std::string out(sasl::xoauth2_error_size(status, schemes, scope), '?');
    REQUIRE(sasl::xoauth2_error(status, schemes, scope, out.data()) == out.size());
    return out;
}

bool parses(std::string_view m) {
    sasl::bearer_credentials c{"unchanged", "unchanged"};
    if (sasl::parse_xoauth2(m, c)) return true;
    CHECK(c.user == "unchanged");
    CHECK(c.token == "unchanged");
    return false;
}

constexpr bool constexpr_exchange() {
    char buf[64] = {};
    const std::size_t n = sasl::xoauth2_message("u@example.com", "tok.en", buf);
    sasl::bearer_credentials c{};
    return n == sasl::xoauth2_message_size("u@example.com", "tok.en") &&
           sasl::parse_xoauth2(std::string_view(buf, n), c) && c.user == "u@example.com" &&
           c.token == "tok.en";
}
static_assert(constexpr_exchange());
static_assert(sasl::is_xoauth2_error(R"({"status":"401"})"));

} // namespace

TEST_CASE("sasl xoauth2: Google's example initial response") {
    REQUIRE(sasl::xoauth2_arguments_valid(google_user, google_token));
    const std::string m = message(google_user, google_token);
    CHECK(m == "user=someuser@example.com\x01"
               "auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01");
    CHECK(base64(m) == google_response);
    const std::string decoded = unbase64(google_response);
    sasl::bearer_credentials c{};
    REQUIRE(sasl::parse_xoauth2(decoded, c));
    CHECK(c.user == google_user);
    CHECK(c.token == google_token);
    CHECK(c.user.data() == decoded.data() + 5);
}

TEST_CASE("sasl xoauth2: the message layout, byte by byte") {
    CHECK(sasl::xoauth2_message_size("", "") == 20);
    CHECK(message("u", "t") == "user=u\x01" "auth=Bearer t\x01\x01");
    // Tokens with b64token's punctuation and padding; UTF-8 user names.
    for (auto [u, t] : {std::pair<std::string_view, std::string_view>{"a", "-._~+/="},
                        {"j\xC3\xB6rg@example.com", "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="},
                        {"user name with spaces", "x"}}) {
        REQUIRE(sasl::xoauth2_arguments_valid(u, t));
        const std::string m = message(u, t);
        sasl::bearer_credentials c{};
        REQUIRE(sasl::parse_xoauth2(m, c));
        CHECK(c.user == u);
        CHECK(c.token == t);
    }
}

TEST_CASE("sasl xoauth2: the server reads Bearer as RFC 6750 writes it") {
    sasl::bearer_credentials c{};
    REQUIRE(sasl::parse_xoauth2("user=u\x01" "auth=bearer t\x01\x01"sv, c));
    CHECK(c.token == "t");
    REQUIRE(sasl::parse_xoauth2("user=u\x01" "auth=BEARER  t\x01\x01"sv, c));
    CHECK(c.token == "t");
}

TEST_CASE("sasl xoauth2: messages out of layout are refused") {
    const std::string ok = message("u", "t");
    REQUIRE(parses(ok));
    for (std::string_view m : {
             ""sv, "\x01"sv, "\x01\x01"sv, "user="sv, "user=\x01\x01"sv,
             "user=u\x01\x01"sv,                                    // no auth
             "user=u\x01" "auth=Bearer t\x01"sv,                    // one ^A at the end
             "user=u\x01" "auth=Bearer t"sv,                        // none
             "user=u\x01" "auth=Bearer t\x01\x01\x01"sv,            // three
             "user=u\x01" "auth=Bearer t\x01\x01x"sv,               // text after the end
             "user=\x01" "auth=Bearer t\x01\x01"sv,                 // empty user
             "user=u\x01" "auth=Bearer \x01\x01"sv,                 // empty token
             "user=u\x01" "auth=\x01\x01"sv,
             "user=u\x01" "auth=Bearert\x01\x01"sv,                 // no space
             "user=u\x01" "auth=Basic dTpw\x01\x01"sv,              // another scheme
             "user=u\x01" "auth=Bearer t t\x01\x01"sv,              // space in the token
             "user=u\x01" "auth=Bearer t \x01\x01"sv,
             "user=u\x01" "auth=Bearer t\x01x=y\x01\x01"sv,         // another key
             "user=u\x01x=y\x01" "auth=Bearer t\x01\x01"sv,
             "auth=Bearer t\x01user=u\x01\x01"sv,                   // reordered
             "User=u\x01" "auth=Bearer t\x01\x01"sv,                // key case
             "user=u\x01" "Auth=Bearer t\x01\x01"sv,
             " user=u\x01" "auth=Bearer t\x01\x01"sv,
             "user=u\x01 auth=Bearer t\x01\x01"sv,
             "user=u\x02\x01" "auth=Bearer t\x01\x01"sv,            // control bytes in user
             "user=u\r\nv\x01" "auth=Bearer t\x01\x01"sv,
             "user=u\0v\x01" "auth=Bearer t\x01\x01"sv,
             "user=u\x7F\x01" "auth=Bearer t\x01\x01"sv,
             "user=\xC3\x01" "auth=Bearer t\x01\x01"sv,             // ill-formed UTF-8
             "user=u\x01" "auth=Bearer t\xC3\xB6\x01\x01"sv,        // token outside b64token
         })
        CHECK_FALSE(parses(m));
}

TEST_CASE("sasl xoauth2: the client checks what the server would refuse") {
    CHECK(sasl::xoauth2_arguments_valid("u", "t"));
    CHECK_FALSE(sasl::xoauth2_arguments_valid("", "t"));
    CHECK_FALSE(sasl::xoauth2_arguments_valid("u", ""));
    CHECK_FALSE(sasl::xoauth2_arguments_valid("u\x01", "t"));
    CHECK_FALSE(sasl::xoauth2_arguments_valid("u\n", "t"));
    CHECK_FALSE(sasl::xoauth2_arguments_valid("\xFF", "t"));
    CHECK_FALSE(sasl::xoauth2_arguments_valid("u", "t\x01"));
    CHECK_FALSE(sasl::xoauth2_arguments_valid("u", "a b"));
    CHECK_FALSE(sasl::xoauth2_arguments_valid("u", "=t"));
}

TEST_CASE("sasl xoauth2: the error challenge") {
    SECTION("Google's example, byte for byte but its trailing newline") {
        const std::string written = error("401", "bearer mac", "https://mail.google.com/");
        CHECK(written == R"({"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"})");
        CHECK(written + "\n" == unbase64(google_error));
        CHECK(sasl::is_xoauth2_error(unbase64(google_error)));
        CHECK(sasl::is_xoauth2_error(written));
    }
    SECTION("RFC 7628 section 4.4's SMTP example has the same shape") {
        CHECK(base64(error("invalid_token", "bearer mac", "https://mail.example.com/")) ==
              "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NoZW1lcyI6ImJlYXJlciBtYWMiLCJzY29wZSI6Imh0"
              "dHBzOi8vbWFpbC5leGFtcGxlLmNvbS8ifQ==");
    }
    SECTION("empty optional members are left out") {
        CHECK(error("401", "", "") == R"({"status":"401"})");
        CHECK(error("401", "bearer", "") == R"({"status":"401","schemes":"bearer"})");
        CHECK(error("401", "", "s") == R"({"status":"401","scope":"s"})");
        CHECK(error("", "", "") == R"({"status":""})");
    }
    SECTION("values are escaped as JSON strings and read back") {
        const std::string written = error("4\"01", "a\\b", "x\x01y\nz\tq/\xC3\xA9");
        CHECK(written == R"({"status":"4\"01","schemes":"a\\b","scope":"x\u0001y\nz\tq/)"
                         "\xC3\xA9\"}");
        sasl::bearer_error e{};
        REQUIRE(sasl::parse_bearer_error(written, e));
        std::string scope(e.scope.size(), '?');
        std::size_t n = 0;
        REQUIRE(sasl::json_string_decode(e.scope, scope.data(), n));
        scope.resize(n);
        CHECK(scope == "x\x01y\nz\tq/\xC3\xA9");
        // Every control byte goes out escaped.
        for (unsigned c = 0; c < 0x20; ++c) {
            const std::string one(1, static_cast<char>(c));
            const std::string w = error(one, "", "");
            CHECK(w.size() == sasl::xoauth2_error_size(one, "", ""));
            REQUIRE(sasl::parse_bearer_error(w, e));
            std::string back(e.status.size(), '?');
            REQUIRE(sasl::json_string_decode(e.status, back.data(), n));
            back.resize(n);
            CHECK(back == one);
        }
    }
    SECTION("what the client does not take for an error") {
        CHECK_FALSE(sasl::is_xoauth2_error(""));
        CHECK_FALSE(sasl::is_xoauth2_error("Username:"));
        CHECK_FALSE(sasl::is_xoauth2_error("{}"));
        CHECK_FALSE(sasl::is_xoauth2_error(R"({"scope":"s"})"));
        CHECK_FALSE(sasl::is_xoauth2_error(R"({"status":"401")"));
    }
    SECTION("the client's answer is empty") {
        CHECK(sasl::xoauth2_error_ack.empty());
        CHECK(base64(sasl::xoauth2_error_ack).empty());
    }
}
