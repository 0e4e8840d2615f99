#include "smtpwire/enhanced_status.hpp"

#include "support/catch.hpp"

#include <cstdint>
#include <string>
#include <string_view>

using namespace smtpwire;

namespace {

constexpr enhanced_status parsed(std::string_view text) {
    enhanced_status s{};
    std::string_view rest;
    return parse_enhanced_status(text, s, rest) ? s : enhanced_status{};
}

constexpr bool formats_as(enhanced_status s, std::string_view expected) {
    char buf[max_enhanced_status_length] = {};
    const std::size_t n = format_enhanced_status(s, buf);
    return std::string_view(buf, n) == expected;
}

std::string format(enhanced_status s) {
    char buf[16];
    for (char& c : buf) c = '#';
    const std::size_t n = format_enhanced_status(s, buf);
    return std::string(buf, n);
}

} // namespace

static_assert(parsed("5.7.1 Relay denied") == enhanced_status{5, 7, 1});
static_assert(parsed("5.07.1").empty());
static_assert(formats_as({4, 10, 999}, "4.10.999"));
static_assert(enhanced_status{}.empty());

TEST_CASE("enhanced_status value semantics") {
    CHECK(enhanced_status{}.empty());
    CHECK_FALSE((enhanced_status{2, 0, 0}.empty()));
    CHECK(enhanced_status{5, 1, 1} == enhanced_status{5, 1, 1});
    CHECK(enhanced_status{5, 1, 1} != enhanced_status{4, 1, 1});
    CHECK(enhanced_status{5, 1, 1} != enhanced_status{5, 2, 1});
    CHECK(enhanced_status{5, 1, 1} != enhanced_status{5, 1, 2});
    CHECK_FALSE(enhanced_status{5, 1, 1} != enhanced_status{5, 1, 1});
}

TEST_CASE("is_valid_enhanced_status: class 2/4/5, subject and detail 0-999 (RFC 3463 §2)") {
    CHECK(is_valid_enhanced_status({2, 0, 0}));
    CHECK(is_valid_enhanced_status({4, 4, 1}));
    CHECK(is_valid_enhanced_status({5, 999, 999}));
    CHECK_FALSE(is_valid_enhanced_status({}));
    CHECK_FALSE(is_valid_enhanced_status({1, 0, 0}));
    CHECK_FALSE(is_valid_enhanced_status({3, 0, 0}));
    CHECK_FALSE(is_valid_enhanced_status({6, 0, 0}));
    CHECK_FALSE(is_valid_enhanced_status({5, 1000, 0}));
    CHECK_FALSE(is_valid_enhanced_status({5, 0, 1000}));
}

TEST_CASE("parse_enhanced_status accepts status-code followed by SP or the end") {
    enhanced_status s{};
    std::string_view rest = "untouched";

    SECTION("RFC 2034 style reply texts") {
        REQUIRE(parse_enhanced_status("2.1.0 Originator <ned@ymir.claremont.edu> ok", s, rest));
        CHECK(s == enhanced_status{2, 1, 0});
        CHECK(rest == "Originator <ned@ymir.claremont.edu> ok");
        REQUIRE(parse_enhanced_status("5.1.1 Mailbox \"nosuchuser\" does not exist", s, rest));
        CHECK(s == enhanced_status{5, 1, 1});
        CHECK(rest == "Mailbox \"nosuchuser\" does not exist");
        REQUIRE(parse_enhanced_status("4.7.0 Try again later", s, rest));
        CHECK(s == enhanced_status{4, 7, 0});
        CHECK(rest == "Try again later");
    }
    SECTION("status alone, rest empty") {
        REQUIRE(parse_enhanced_status("2.0.0", s, rest));
        CHECK(s == enhanced_status{2, 0, 0});
        CHECK(rest.empty());
    }
    SECTION("status and one SP, rest empty") {
        REQUIRE(parse_enhanced_status("2.0.0 ", s, rest));
        CHECK(rest.empty());
    }
    SECTION("only one SP is consumed") {
        REQUIRE(parse_enhanced_status("5.5.2  two spaces", s, rest));
        CHECK(rest == " two spaces");
    }
    SECTION("three-digit subject and detail") {
        REQUIRE(parse_enhanced_status("5.999.999 x", s, rest));
        CHECK(s == enhanced_status{5, 999, 999});
        REQUIRE(parse_enhanced_status("4.100.10", s, rest));
        CHECK(s == enhanced_status{4, 100, 10});
    }
    SECTION("rest is a view into the text") {
        const std::string_view text = "5.7.1 denied";
        REQUIRE(parse_enhanced_status(text, s, rest));
        CHECK(rest.data() == text.data() + 6);
    }
}

TEST_CASE("parse_enhanced_status rejects what is not a status-code, touching nothing") {
    enhanced_status s{4, 4, 4};
    const std::string_view before = "untouched";
    std::string_view rest = before;
    const std::string_view bad[] = {
        "",            // empty
        "2",           // class only
        "2.",          //
        "2.0",         // no detail
        "2.0.",        // empty detail
        "2..0",        // empty subject
        "2.0.0.",      // a fourth field (an IPv4 address "2.0.0.1" is not a status)
        "2.0.0.1 ESMTP",
        "1.0.0",       // class outside 2/4/5
        "3.0.0 x",
        "6.0.0",
        "0.0.0",
        "22.0.0",      // class with two digits
        "5.1000.1",    // subject of four digits
        "5.1.1000",    // detail of four digits
        "5.01.1",      // leading zero in subject (RFC 3463 §2)
        "5.1.01",      // leading zero in detail
        "5.00.0",
        "5.1.1x",      // not followed by SP or end
        "5.1.1-",
        "5.1.1\tx",    // HT is not SP
        " 5.1.1",      // leading SP
        "5-1-1",
        "5.a.1",
        "5.1.a",
        "x.1.1",
        "5,1,1",
        "5.-1.1",
        "5.+1.1",
    };
    for (std::string_view text : bad) {
        CHECK_FALSE(parse_enhanced_status(text, s, rest));
        CHECK(s == enhanced_status{4, 4, 4});
        CHECK(rest.data() == before.data());
    }
}

TEST_CASE("format_enhanced_status writes c.s.d without leading zeros") {
    CHECK(format({2, 0, 0}) == "2.0.0");
    CHECK(format({5, 7, 1}) == "5.7.1");
    CHECK(format({4, 10, 7}) == "4.10.7");
    CHECK(format({5, 100, 0}) == "5.100.0");
    CHECK(format({2, 1, 99}) == "2.1.99");
    CHECK(format({5, 999, 999}) == "5.999.999");
    CHECK(format({5, 999, 999}).size() == max_enhanced_status_length);
}

TEST_CASE("format_enhanced_status writes nothing for empty or invalid statuses") {
    char buf[16];
    for (char& c : buf) c = '#';
    CHECK(format_enhanced_status({}, buf) == 0);
    CHECK(format_enhanced_status({3, 0, 0}, buf) == 0);
    CHECK(format_enhanced_status({7, 0, 0}, buf) == 0);
    CHECK(format_enhanced_status({5, 1000, 0}, buf) == 0);
    CHECK(format_enhanced_status({5, 0, 65535}, buf) == 0);
    for (char c : buf) CHECK(c == '#');
}

TEST_CASE("format then parse gives the status back") {
    const std::uint8_t classes[] = {2, 4, 5};
    const std::uint16_t numbers[] = {0, 1, 9, 10, 42, 99, 100, 101, 999};
    for (std::uint8_t c : classes) {
        for (std::uint16_t sub : numbers) {
            for (std::uint16_t det : numbers) {
                const enhanced_status in{c, sub, det};
                const std::string text = format(in) + " text";
                enhanced_status out{};
                std::string_view rest;
                REQUIRE(parse_enhanced_status(text, out, rest));
                CHECK(out == in);
                CHECK(rest == "text");
            }
        }
    }
}
