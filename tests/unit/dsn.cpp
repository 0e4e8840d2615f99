#include "smtpwire/dsn.hpp"
#include "support/catch.hpp"

#include <string>
#include <string_view>

using smtpwire::dsn_notify;
using smtpwire::dsn_return;

namespace {
std::string written(const dsn_notify& n) {
    char out[smtpwire::dsn_notify_max];
    return std::string(out, smtpwire::write_notify(n, out));
}
} // namespace

TEST_CASE("dsn: RET values by name") {
    CHECK(to_string(dsn_return::unspecified).empty());
    CHECK(to_string(dsn_return::full) == "FULL");
    CHECK(to_string(dsn_return::headers) == "HDRS");
    CHECK(to_string(static_cast<dsn_return>(9)).empty());
}

TEST_CASE("dsn: NOTIFY values of RFC 3461 section 4.1") {
    dsn_notify n;
    CHECK_FALSE(n.given());
    REQUIRE(smtpwire::parse_notify("NEVER", n));
    CHECK(n == dsn_notify{true, false, false, false});
    REQUIRE(smtpwire::parse_notify("SUCCESS,FAILURE", n));
    CHECK(n == dsn_notify{false, true, true, false});
    REQUIRE(smtpwire::parse_notify("delay,Success,FAILURE,delay", n));
    CHECK(n == dsn_notify{false, true, true, true});
    CHECK(written(n) == "SUCCESS,FAILURE,DELAY");
    CHECK(written(n).size() == smtpwire::dsn_notify_max);
    CHECK(written(dsn_notify{true, false, false, false}) == "NEVER");
    CHECK(written(dsn_notify{false, false, false, true}) == "DELAY");

    // NEVER stands alone; empty words, spaces and other words are refused, and a
    // refused value leaves the output as it was.
    const dsn_notify before{false, false, true, false};
    for (std::string_view bad : {"", "NEVER,FAILURE", "SUCCESS,NEVER", "SUCCESS,", ",SUCCESS",
                                 "SUCCESS,,FAILURE", "SUCCESS FAILURE", "ALWAYS", "NEVE", "SUCCESSES"}) {
        INFO("NOTIFY=" << bad);
        n = before;
        CHECK_FALSE(smtpwire::parse_notify(bad, n));
        CHECK(n == before);
    }
    CHECK(dsn_notify{true, true, false, false}.given());
    CHECK_FALSE(dsn_notify{true, true, false, false}.valid());
}

TEST_CASE("dsn: ENVID is printable xtext of at most 100 characters") {
    CHECK(smtpwire::valid_envid("QQ314159"));
    CHECK(smtpwire::valid_envid("QQ+2B314159"));  // '+' itself, encoded
    CHECK(smtpwire::valid_envid(std::string(100, 'x')));
    CHECK_FALSE(smtpwire::valid_envid(std::string(101, 'x')));
    CHECK_FALSE(smtpwire::valid_envid(""));
    CHECK_FALSE(smtpwire::valid_envid("QQ+20314159"));  // decodes to SP
    CHECK_FALSE(smtpwire::valid_envid("QQ+0D+0A"));     // CR LF
    CHECK_FALSE(smtpwire::valid_envid("QQ+00"));
    CHECK_FALSE(smtpwire::valid_envid("QQ+7F"));
    CHECK_FALSE(smtpwire::valid_envid("QQ+C3+A4"));     // UTF-8
    CHECK_FALSE(smtpwire::valid_envid("QQ+2b"));        // lower-case hex
    CHECK_FALSE(smtpwire::valid_envid("QQ+2"));
    CHECK_FALSE(smtpwire::valid_envid("QQ=1"));
}

TEST_CASE("dsn: ORCPT is an addr-type, a semicolon and xtext, at most 500 characters") {
    std::string_view type = "unchanged", address = "unchanged";
    REQUIRE(smtpwire::parse_orcpt("rfc822;Bob@Big-Box.example", type, address));
    CHECK(type == "rfc822");
    CHECK(address == "Bob@Big-Box.example");
    // A space inside a quoted local part is allowed once decoded; a control is not.
    REQUIRE(smtpwire::parse_orcpt("RFC822;\"Carol+20Smith\"@Ivory.example", type, address));
    CHECK(type == "RFC822");
    CHECK(address == "\"Carol+20Smith\"@Ivory.example");
    REQUIRE(smtpwire::parse_orcpt("x400;+2FC=US+2F", type, address) == false);  // '=' is not xtext
    const std::string longest = "rfc822;" + std::string(493, 'a');
    CHECK(smtpwire::parse_orcpt(longest, type, address));
    type = address = "unchanged";
    for (const std::string& bad :
         {longest + "a", std::string("Bob@Big-Box.example"), std::string(";Bob@x"), std::string("rfc822;"),
          std::string("rfc 822;x@y"), std::string("rfc822;x+0Ay"), std::string("rfc822;x+00y"),
          std::string("rfc822;x+C3+A4y"), std::string("rfc(822);x@y")}) {
        INFO("ORCPT=" << bad);
        CHECK_FALSE(smtpwire::parse_orcpt(bad, type, address));
        CHECK(type == "unchanged");
        CHECK(address == "unchanged");
    }
}

TEST_CASE("dsn: what a client may send, a server accepts and decodes to the same text") {
    for (std::string_view id : {"QQ314159", "a+b=c", "x", "~!\"#$%&'()*,-./:;<>?@[\\]^_`{|}"}) {
        INFO("ENVID " << id);
        REQUIRE(smtpwire::envid_argument_valid(id));
        char wire[smtpwire::dsn_envid_max];
        const std::string_view sent(wire, smtpwire::write_envid(id, wire));
        CHECK(smtpwire::valid_envid(sent));
        char back[smtpwire::dsn_envid_max];
        std::size_t n = 0;
        REQUIRE(smtpwire::xtext_decode(sent, back, n));
        CHECK(std::string_view(back, n) == id);
    }
    CHECK(smtpwire::envid_argument_valid(std::string(33, '=') + "x"));   // 100 octets encoded
    CHECK_FALSE(smtpwire::envid_argument_valid(std::string(33, '=') + "xx"));
    for (std::string_view bad : {"", " ", "a b", "a\r\n", "\xc3\xa4"})
        CHECK_FALSE(smtpwire::envid_argument_valid(bad));

    for (std::string_view orcpt : {"rfc822;list+tag@example.net", "rfc822;\"a b\"=c@example.net", "x400;/C=US/"}) {
        INFO("ORCPT " << orcpt);
        REQUIRE(smtpwire::orcpt_argument_valid(orcpt));
        char wire[smtpwire::dsn_orcpt_max];
        const std::string_view sent(wire, smtpwire::write_orcpt(orcpt, wire));
        std::string_view type, address;
        REQUIRE(smtpwire::parse_orcpt(sent, type, address));
        CHECK(type == orcpt.substr(0, orcpt.find(';')));
        char back[smtpwire::dsn_orcpt_max];
        std::size_t n = 0;
        REQUIRE(smtpwire::xtext_decode(address, back, n));
        CHECK(std::string_view(back, n) == orcpt.substr(orcpt.find(';') + 1));
    }
    CHECK(smtpwire::orcpt_argument_valid("rfc822;" + std::string(493, 'a')));
    CHECK_FALSE(smtpwire::orcpt_argument_valid("rfc822;" + std::string(492, 'a') + "+"));
    // '=' is atext, but no esmtp-value holds it: an addr-type with '=' cannot be sent.
    for (std::string_view bad : {"rfc822;", ";a@b", "a@b", "rfc 822;a@b", "rfc822;a\r\n@b", "rfc822;\xc3\xa4@b",
                                 "x-AUTH=;a@b"})
        CHECK_FALSE(smtpwire::orcpt_argument_valid(bad));
}
