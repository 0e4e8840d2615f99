#include "smtpwire/sasl/plain.hpp"

#include "support/base64_text.hpp"
#include "support/catch.hpp"

#include "smtpwire/base64.hpp"

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace sasl = smtpwire::sasl;
using namespace std::string_view_literals;

using smtpwire_test::base64;
using smtpwire_test::unbase64;

namespace {

std::string message(std::string_view authzid, std::string_view authcid, std::string_view password) {
    std::string out(sasl::plain_message_size(authzid, authcid, password), '?');
    REQUIRE(sasl::plain_message(authzid, authcid, password, out.data()) == out.size());
    return out;
}

bool parses(std::string_view m) {
    sasl::plain_credentials c{"unchanged", "unchanged", "unchanged"};
    if (sasl::parse_plain(m, c)) return true;
    CHECK(c.authorization_id == "unchanged");
    CHECK(c.user == "unchanged");
    CHECK(c.password == "unchanged");
    return false;
}

constexpr bool constexpr_exchange() {
    char buf[32] = {};
    const std::size_t n = sasl::plain_message("", "tim", "tanstaaftanstaaf", buf);
    sasl::plain_credentials c{};
    return n == 21 && sasl::parse_plain(std::string_view(buf, n), c) &&
           c.authorization_id.empty() && c.user == "tim" && c.password == "tanstaaftanstaaf";
}
static_assert(constexpr_exchange());
static_assert(sasl::plain_message_size("Ursel", "Kurt", "xipj3plmq") == 20);
static_assert(sasl::plain_arguments_valid("", "tim", "tanstaaftanstaaf"));
static_assert(!sasl::plain_arguments_valid("", "", "tanstaaftanstaaf"));

} // namespace

TEST_CASE("sasl plain: RFC 4616 section 4 examples") {
    SECTION("tim, no authorization identity") {
        const std::string m = message("", "tim", "tanstaaftanstaaf");
        CHECK(m == "\0tim\0tanstaaftanstaaf"sv);
        CHECK(base64(m) == "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
        const std::string decoded = unbase64("AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
        sasl::plain_credentials c{};
        REQUIRE(sasl::parse_plain(decoded, c));
        CHECK(c.authorization_id.empty());
        CHECK(c.user == "tim");
        CHECK(c.password == "tanstaaftanstaaf");
    }
    SECTION("Kurt acting as Ursel") {
        const std::string m = message("Ursel", "Kurt", "xipj3plmq");
        CHECK(m == "Ursel\0Kurt\0xipj3plmq"sv);
        sasl::plain_credentials c{};
        REQUIRE(sasl::parse_plain(m, c));
        CHECK(c.authorization_id == "Ursel");
        CHECK(c.user == "Kurt");
        CHECK(c.password == "xipj3plmq");
        // The views point into the message.
        CHECK(c.user.data() == m.data() + 6);
    }
}

TEST_CASE("sasl plain: RFC 4954 section 4.1 example") {
    const std::string decoded = unbase64("dGVzdAB0ZXN0ADEyMzQ=");
    sasl::plain_credentials c{};
    REQUIRE(sasl::parse_plain(decoded, c));
    CHECK(c.authorization_id == "test");
    CHECK(c.user == "test");
    CHECK(c.password == "1234");
    CHECK(base64(message("test", "test", "1234")) == "dGVzdAB0ZXN0ADEyMzQ=");
}

TEST_CASE("sasl plain: passwords and names as RFC 4616 allows them") {
    sasl::plain_credentials c{};
    SECTION("':' and spaces in the password") {
        REQUIRE(sasl::parse_plain("\0user\0pass:word with spaces:"sv, c));
        CHECK(c.password == "pass:word with spaces:");
        REQUIRE(sasl::parse_plain("\0user\0:"sv, c));
        CHECK(c.password == ":");
    }
    SECTION("UTF-8 names and passwords") {
        const std::string m = message("", "j\xC3\xB6rg", "p\xC3\xA4ssw\xC3\xB6rd \xE2\x82\xAC \xF0\x9F\x94\x91");
        REQUIRE(sasl::parse_plain(m, c));
        CHECK(c.user == "j\xC3\xB6rg");
        CHECK(c.password == "p\xC3\xA4ssw\xC3\xB6rd \xE2\x82\xAC \xF0\x9F\x94\x91");
    }
    SECTION("control characters other than NUL") {
        REQUIRE(sasl::parse_plain("\0u\0p\x01\t\x7F"sv, c));
        CHECK(c.password == "p\x01\t\x7F");
    }
    SECTION("an authorization identity that is a mailbox") {
        REQUIRE(sasl::parse_plain("admin@example.com\0user@example.com\0secret"sv, c));
        CHECK(c.authorization_id == "admin@example.com");
        CHECK(c.user == "user@example.com");
    }
    SECTION("each part at the 255-octet limit") {
        const std::string longest(255, 'x');
        const std::string m = message(longest, longest, longest);
        REQUIRE(sasl::parse_plain(m, c));
        CHECK(c.authorization_id == longest);
        CHECK(c.user == longest);
        CHECK(c.password == longest);
        CHECK(sasl::plain_arguments_valid(longest, longest, longest));
    }
}

TEST_CASE("sasl plain: malformed messages are refused") {
    const std::string over(256, 'x');
    // NULs: one, none, three or more.
    CHECK_FALSE(parses(""));
    CHECK_FALSE(parses("tim"));
    CHECK_FALSE(parses("timtanstaaf"));
    CHECK_FALSE(parses("\0tim"sv));
    CHECK_FALSE(parses("tim\0tanstaaf"sv));
    CHECK_FALSE(parses("a\0b\0c\0d"sv));
    CHECK_FALSE(parses("\0tim\0tan\0staaf"sv));
    CHECK_FALSE(parses("\0tim\0tanstaaf\0"sv));
    CHECK_FALSE(parses("\0\0\0"sv));
    // Empty authcid or password.
    CHECK_FALSE(parses("\0\0password"sv));
    CHECK_FALSE(parses("\0tim\0"sv));
    CHECK_FALSE(parses("Ursel\0\0xipj3plmq"sv));
    CHECK_FALSE(parses("\0\0"sv));
    // Parts longer than 255 octets.
    CHECK_FALSE(parses(message(over, "u", "p")));
    CHECK_FALSE(parses(message("", over, "p")));
    CHECK_FALSE(parses(message("", "u", over)));
    // Invalid UTF-8 in any part.
    CHECK_FALSE(parses("\xFF\0u\0p"sv));
    CHECK_FALSE(parses("\0\xC3\0p"sv));               // truncated sequence
    CHECK_FALSE(parses("\0u\0p\xC0\xAF"sv));          // overlong '/'
    CHECK_FALSE(parses("\0u\0p\xED\xA0\x80"sv));      // surrogate U+D800
    CHECK_FALSE(parses("\0u\0p\xF4\x90\x80\x80"sv));  // above U+10FFFF
    CHECK_FALSE(parses("\0u\0\x80"sv));               // lone continuation byte
}

TEST_CASE("sasl plain: the client checks what the server would refuse") {
    const std::string over(256, 'x');
    CHECK(sasl::plain_arguments_valid("", "tim", "tanstaaftanstaaf"));
    CHECK(sasl::plain_arguments_valid("Ursel", "Kurt", "xipj3plmq"));
    CHECK_FALSE(sasl::plain_arguments_valid("", "", "p"));
    CHECK_FALSE(sasl::plain_arguments_valid("", "u", ""));
    CHECK_FALSE(sasl::plain_arguments_valid("a\0b"sv, "u", "p"));
    CHECK_FALSE(sasl::plain_arguments_valid("", "u\0"sv, "p"));
    CHECK_FALSE(sasl::plain_arguments_valid("", "u", "p\0q"sv));
    CHECK_FALSE(sasl::plain_arguments_valid(over, "u", "p"));
    CHECK_FALSE(sasl::plain_arguments_valid("", over, "p"));
    CHECK_FALSE(sasl::plain_arguments_valid("", "u", over));
    CHECK_FALSE(sasl::plain_arguments_valid("", "u", "\xC3"));
    // Whatever the client accepts, the server parses back to the same parts.
    for (auto [z, c, p] : {std::array<std::string_view, 3>{"", "u", "p"},
                           {"z", "c:c", " p "},
                           {"\xE2\x82\xAC", "\xF0\x9F\x94\x91", "\x7F"}}) {
        REQUIRE(sasl::plain_arguments_valid(z, c, p));
        const std::string m = message(z, c, p);
        sasl::plain_credentials got{};
        REQUIRE(sasl::parse_plain(m, got));
        CHECK(got.authorization_id == z);
        CHECK(got.user == c);
        CHECK(got.password == p);
    }
}
