#include "smtpwire/reply_code.hpp"

#include "support/catch.hpp"

#include <cstdint>
#include <string_view>

using namespace smtpwire;

static_assert(is_valid_reply_code(250));
static_assert(!is_valid_reply_code(260));
static_assert(class_of(421) == reply_class::transient_negative);

namespace {
constexpr std::uint16_t parsed_or_zero(std::string_view s) {
    std::uint16_t v = 0;
    return parse_reply_code(s, v) ? v : 0;
}
} // namespace

static_assert(parsed_or_zero("554") == 554);
static_assert(parsed_or_zero("560") == 0);

namespace {
constexpr std::uint16_t received_or_zero(std::string_view s) {
    std::uint16_t v = 0;
    return parse_received_reply_code(s, v) ? v : 0;
}
} // namespace

// A client reads any code by its first digit (RFC 5321 §4.3.2).
static_assert(received_or_zero("299") == 299);
static_assert(received_or_zero("560") == 560);
static_assert(received_or_zero("199") == 0);
static_assert(received_or_zero("600") == 0);
static_assert(received_or_zero("25") == 0);
static_assert(received_or_zero("2500") == 0);
static_assert(received_or_zero("2x0") == 0);

TEST_CASE("is_valid_reply_code follows Reply-code = %x32-35 %x30-35 %x30-39") {
    SECTION("codes from RFC 5321 §4.2.3") {
        for (unsigned code : {211u, 214u, 220u, 221u, 250u, 251u, 252u, 354u, 421u, 450u, 451u,
                              452u, 455u, 500u, 501u, 502u, 503u, 504u, 550u, 551u, 552u, 553u,
                              554u, 555u})
            CHECK(is_valid_reply_code(code));
    }
    SECTION("first digit outside 2-5") {
        CHECK_FALSE(is_valid_reply_code(0));
        CHECK_FALSE(is_valid_reply_code(99));
        CHECK_FALSE(is_valid_reply_code(100));
        CHECK_FALSE(is_valid_reply_code(150));
        CHECK_FALSE(is_valid_reply_code(199));
        CHECK_FALSE(is_valid_reply_code(600));
        CHECK_FALSE(is_valid_reply_code(650));
        CHECK_FALSE(is_valid_reply_code(999));
    }
    SECTION("second digit outside 0-5") {
        CHECK_FALSE(is_valid_reply_code(260));
        CHECK_FALSE(is_valid_reply_code(299));
        CHECK_FALSE(is_valid_reply_code(360));
        CHECK_FALSE(is_valid_reply_code(471));
        CHECK_FALSE(is_valid_reply_code(560));
        CHECK_FALSE(is_valid_reply_code(599));
    }
    SECTION("boundaries") {
        CHECK(is_valid_reply_code(200));
        CHECK(is_valid_reply_code(259));
        CHECK(is_valid_reply_code(300));
        CHECK(is_valid_reply_code(459));
        CHECK(is_valid_reply_code(500));
        CHECK(is_valid_reply_code(559));
    }
    SECTION("more than three digits") {
        CHECK_FALSE(is_valid_reply_code(1000));
        CHECK_FALSE(is_valid_reply_code(2500));
        CHECK_FALSE(is_valid_reply_code(4294967295u));
    }
    SECTION("exactly 4 * 6 * 10 codes exist") {
        unsigned count = 0;
        for (unsigned code = 0; code < 10000; ++code)
            if (is_valid_reply_code(code)) ++count;
        CHECK(count == 240);
    }
}

TEST_CASE("class_of gives the severity of the first digit (RFC 5321 §4.2.1)") {
    CHECK(class_of(200) == reply_class::positive_completion);
    CHECK(class_of(250) == reply_class::positive_completion);
    CHECK(class_of(259) == reply_class::positive_completion);
    CHECK(class_of(354) == reply_class::positive_intermediate);
    CHECK(class_of(334) == reply_class::positive_intermediate);
    CHECK(class_of(421) == reply_class::transient_negative);
    CHECK(class_of(452) == reply_class::transient_negative);
    CHECK(class_of(500) == reply_class::permanent_negative);
    CHECK(class_of(554) == reply_class::permanent_negative);
    CHECK(static_cast<int>(reply_class::positive_completion) == 2);
    CHECK(static_cast<int>(reply_class::permanent_negative) == 5);
}

TEST_CASE("parse_reply_code reads exactly three octets") {
    std::uint16_t v = 7;
    SECTION("valid") {
        REQUIRE(parse_reply_code("250", v));
        CHECK(v == 250);
        REQUIRE(parse_reply_code("200", v));
        CHECK(v == 200);
        REQUIRE(parse_reply_code("559", v));
        CHECK(v == 559);
        REQUIRE(parse_reply_code("354", v));
        CHECK(v == 354);
    }
    SECTION("outside the ABNF ranges, value untouched") {
        const std::string_view bad[] = {"199", "100", "600", "260", "569", "099",
                                        "25a", "2a0", "a50", "2 0", " 25", "25 ",
                                        "-25", "+25", "2.5", std::string_view("25\0", 3)};
        for (std::string_view s : bad) {
            CHECK_FALSE(parse_reply_code(s, v));
            CHECK(v == 7);
        }
    }
    SECTION("wrong length") {
        CHECK_FALSE(parse_reply_code("", v));
        CHECK_FALSE(parse_reply_code("2", v));
        CHECK_FALSE(parse_reply_code("25", v));
        CHECK_FALSE(parse_reply_code("2500", v));
        CHECK_FALSE(parse_reply_code("250 ", v));
        CHECK(v == 7);
    }
    SECTION("non-ASCII digits are not digits") {
        CHECK_FALSE(parse_reply_code("\xb2\x35\x30", v));
        CHECK_FALSE(parse_reply_code("\xff\xff\xff", v));
        CHECK(v == 7);
    }
}
