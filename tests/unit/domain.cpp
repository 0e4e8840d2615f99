#include "smtpwire/domain.hpp"
#include "smtpwire/ascii.hpp"
#include "support/catch.hpp"

#include <algorithm>
#include <iterator>
#include <random>
#include <string>

using smtpwire::check_address_literal;
using smtpwire::check_domain;
using smtpwire::check_domain_or_literal;
using smtpwire::domain_error;

static_assert(check_domain("example.com", false) == domain_error::ok);
static_assert(check_domain("-example.com", false) == domain_error::bad_label);
static_assert(check_address_literal("[IPv6:::1]") == domain_error::ok);
static_assert(check_address_literal("[256.0.0.1]") == domain_error::bad_address_literal);

namespace {
// A well-formed domain of exactly `n` octets (n >= 1): 50-octet labels, then a rest.
std::string domain_of(std::size_t n) {
    std::string d;
    while (n - d.size() > 51) d += std::string(50, 'a') + ".";
    d += std::string(n - d.size(), 'b');
    return d;
}
// RFC 5321's sub-domain read label by label, errors in check_domain()'s documented order.
domain_error reference_check(std::string_view s, bool utf8) {
    if (s.empty()) return domain_error::empty;
    bool non_ascii = false;
    for (char c : s) non_ascii = non_ascii || static_cast<unsigned char>(c) >= 0x80;
    if (non_ascii && !utf8) return domain_error::non_ascii;
    if (non_ascii && !smtpwire::ascii::is_valid_utf8(s)) return domain_error::invalid_utf8;
    std::size_t begin = 0;
    for (;;) {
        const std::size_t dot = std::min(s.find('.', begin), s.size());
        const std::string_view label = s.substr(begin, dot - begin);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
            return domain_error::bad_label;
        for (char c : label) {
            const bool letter_digit_hyphen = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                             (c >= '0' && c <= '9') || c == '-';
            if (!letter_digit_hyphen && static_cast<unsigned char>(c) < 0x80) return domain_error::bad_label;
        }
        if (dot == s.size()) break;
        begin = dot + 1;
    }
    return s.size() > 255 ? domain_error::too_long : domain_error::ok;
}
} // namespace

TEST_CASE("domain: check_domain agrees with a label-by-label reading on random text") {
    // Pieces that make labels, break them, or carry UTF-8 (valid and not); one round in
    // three draws only from the first six, which make well-formed domains more often.
    const std::string_view pieces[] = {"a", "Z", "7", ".", "x123456789012345678901234567890",
                                       "exa-mple", "-", "_", " ", "\xC3\xBC", "\xC3", "\xFF",
                                       std::string_view("\0", 1)};
    std::mt19937 rng(20261203);
    std::size_t counts[7] = {};
    for (int round = 0; round < 20000; ++round) {
        std::string s;
        const std::size_t alphabet = round % 3 == 0 ? 6 : std::size(pieces);
        const std::size_t n = rng() % (round % 10 == 0 ? 40 : 12);
        for (std::size_t k = 0; k < n; ++k) s += pieces[rng() % alphabet];
        const bool utf8 = (rng() & 1) != 0;
        INFO("domain \"" << s << "\" utf8 " << utf8);
        const domain_error expected = reference_check(s, utf8);
        CHECK(check_domain(s, utf8) == expected);
        ++counts[static_cast<int>(expected)];
    }
    // Every outcome but the address literal's came up.
    for (domain_error e : {domain_error::ok, domain_error::empty, domain_error::too_long,
                           domain_error::bad_label, domain_error::non_ascii, domain_error::invalid_utf8})
        CHECK(counts[static_cast<int>(e)] > 0);
}

TEST_CASE("domain: RFC 5321 sub-domain grammar") {
    CHECK(check_domain("example.com", false) == domain_error::ok);
    CHECK(check_domain("localhost", false) == domain_error::ok);
    CHECK(check_domain("a", false) == domain_error::ok);
    CHECK(check_domain("1", false) == domain_error::ok);
    CHECK(check_domain("123.example", false) == domain_error::ok);
    CHECK(check_domain("a-b.c--d.example", false) == domain_error::ok);
    CHECK(check_domain("xn--bcher-kva.example", false) == domain_error::ok);
    CHECK(check_domain("EXAMPLE.COM", false) == domain_error::ok);

    CHECK(check_domain("", false) == domain_error::empty);
    CHECK(check_domain("-a.example", false) == domain_error::bad_label);
    CHECK(check_domain("a-.example", false) == domain_error::bad_label);
    CHECK(check_domain("example.com.", false) == domain_error::bad_label);
    CHECK(check_domain(".example.com", false) == domain_error::bad_label);
    CHECK(check_domain("example..com", false) == domain_error::bad_label);
    CHECK(check_domain(".", false) == domain_error::bad_label);
    CHECK(check_domain("exa_mple.com", false) == domain_error::bad_label);
    CHECK(check_domain("exa mple.com", false) == domain_error::bad_label);
    CHECK(check_domain("-", false) == domain_error::bad_label);
    CHECK(check_domain("[1.2.3.4]", false) == domain_error::bad_label);
    CHECK(check_domain(std::string_view("a\0b", 3), false) == domain_error::bad_label);
}

TEST_CASE("domain: label of 63 octets accepted, 64 refused") {
    const std::string l63(63, 'x');
    CHECK(check_domain(l63 + ".example", false) == domain_error::ok);
    CHECK(check_domain(l63 + "y.example", false) == domain_error::bad_label);
    CHECK(check_domain("example." + l63, false) == domain_error::ok);
}

TEST_CASE("domain: total length 255 accepted, 256 refused") {
    const std::string d255 = domain_of(255);
    const std::string d256 = domain_of(256);
    REQUIRE(d255.size() == 255);
    REQUIRE(d256.size() == 256);
    CHECK(check_domain(d255, false) == domain_error::ok);
    CHECK(check_domain(d256, false) == domain_error::too_long);
    // Syntax is judged before length.
    CHECK(check_domain("-" + d256, false) == domain_error::bad_label);
}

TEST_CASE("domain: non-ASCII only with SMTPUTF8, and only valid UTF-8") {
    const std::string u = "b\xC3\xBC" "cher.example"; // bücher.example
    CHECK(check_domain(u, false) == domain_error::non_ascii);
    CHECK(check_domain(u, true) == domain_error::ok);
    CHECK(check_domain("\xE4\xBE\x8B\xE5\xAD\x90.\xE6\xB5\x8B\xE8\xAF\x95", true) == domain_error::ok);
    CHECK(check_domain("b\xC3" "cher.example", true) == domain_error::invalid_utf8);
    CHECK(check_domain("\xC0\xAF.example", true) == domain_error::invalid_utf8);  // overlong
    CHECK(check_domain("\xED\xA0\x80.example", true) == domain_error::invalid_utf8); // surrogate
    CHECK(check_domain("\xFF.example", false) == domain_error::non_ascii);
    // U-labels keep the LDH shape: no leading or trailing hyphen, no empty label.
    CHECK(check_domain("-\xC3\xBC.example", true) == domain_error::bad_label);
    CHECK(check_domain("\xC3\xBC..example", true) == domain_error::bad_label);
    CHECK(check_domain("\xC3\xBC_x.example", true) == domain_error::bad_label);
}

TEST_CASE("address literal: IPv4") {
    CHECK(check_address_literal("[192.0.2.1]") == domain_error::ok);
    CHECK(check_address_literal("[0.0.0.0]") == domain_error::ok);
    CHECK(check_address_literal("[255.255.255.255]") == domain_error::ok);
    CHECK(check_address_literal("[010.001.000.255]") == domain_error::ok); // 1*3DIGIT
    CHECK(check_address_literal("[256.0.0.1]") == domain_error::bad_address_literal);
    CHECK(check_address_literal("[1.2.3.256]") == domain_error::bad_address_literal);
    CHECK(check_address_literal("[1.2.3.999]") == domain_error::bad_address_literal);
    CHECK(check_address_literal("[0001.2.3.4]") == domain_error::bad_address_literal);
    CHECK(check_address_literal("[1.2.3]") == domain_error::bad_address_literal);
    CHECK(check_address_literal("[1.2.3.4.5]") == domain_error::bad_address_literal);
    CHECK(check_address_literal("[1..3.4]") == domain_error::bad_address_literal);
    CHECK(check_address_literal("[1.2.3.4.]") == domain_error::bad_address_literal);
    CHECK(check_address_literal("[.1.2.3.4]") == domain_error::bad_address_literal);
    CHECK(check_address_literal("[1.2.3.-4]") == domain_error::bad_address_literal);
    CHECK(check_address_literal("[ 1.2.3.4]") == domain_error::bad_address_literal);
    CHECK(check_address_literal("[]") == domain_error::bad_address_literal);
    CHECK(check_address_literal("[") == domain_error::bad_address_literal);
    CHECK(check_address_literal("1.2.3.4") == domain_error::bad_address_literal);
    CHECK(check_address_literal("[1.2.3.4") == domain_error::bad_address_literal);
    CHECK(check_address_literal("1.2.3.4]") == domain_error::bad_address_literal);
    CHECK(check_address_literal("") == domain_error::empty);
}

TEST_CASE("address literal: IPv6 forms of RFC 5321 4.1.3") {
    SECTION("IPv6-full") {
        CHECK(check_address_literal("[IPv6:2001:db8:0:0:0:0:0:1]") == domain_error::ok);
        CHECK(check_address_literal("[IPv6:ffff:FFFF:0000:1:2:3:4:abcd]") == domain_error::ok);
        CHECK(check_address_literal("[IPv6:1:2:3:4:5:6:7:8:9]") == domain_error::bad_address_literal);
        CHECK(check_address_literal("[IPv6:1:2:3:4:5:6:7]") == domain_error::bad_address_literal);
        CHECK(check_address_literal("[IPv6:12345:2:3:4:5:6:7:8]") == domain_error::bad_address_literal);
        CHECK(check_address_literal("[IPv6:g:2:3:4:5:6:7:8]") == domain_error::bad_address_literal);
        CHECK(check_address_literal("[IPv6:1:2:3:4:5:6:7:8:]") == domain_error::bad_address_literal);
        CHECK(check_address_literal("[IPv6::1:2:3:4:5:6:7:8]") == domain_error::bad_address_literal);
    }
    SECTION("IPv6-comp") {
        CHECK(check_address_literal("[IPv6:::1]") == domain_error::ok);
        CHECK(check_address_literal("[IPv6:::]") == domain_error::ok);
        CHECK(check_address_literal("[IPv6:2001:db8::1]") == domain_error::ok);
        CHECK(check_address_literal("[IPv6:2001:db8::]") == domain_error::ok);
        CHECK(check_address_literal("[IPv6:fe80::1:2:3:4:5]") == domain_error::ok);   // 6 groups + "::"
        CHECK(check_address_literal("[IPv6:1:2:3::4:5:6]") == domain_error::ok);
        // "::" stands for at least two groups: seven more is too many in RFC 5321.
        CHECK(check_address_literal("[IPv6:1:2:3:4::5:6:7]") == domain_error::bad_address_literal);
        CHECK(check_address_literal("[IPv6:1:2:3:4:5:6:7::]") == domain_error::bad_address_literal);
        CHECK(check_address_literal("[IPv6::::]") == domain_error::bad_address_literal);
        CHECK(check_address_literal("[IPv6:1:::2]") == domain_error::bad_address_literal);
        CHECK(check_address_literal("[IPv6:1::2::3]") == domain_error::bad_address_literal);
        CHECK(check_address_literal("[IPv6::1]") == domain_error::bad_address_literal);
        CHECK(check_address_literal("[IPv6:1:]") == domain_error::bad_address_literal);
        CHECK(check_address_literal("[IPv6:]") == domain_error::bad_address_literal);
        CHECK(check_address_literal("[IPv6:12345::1]") == domain_error::bad_address_literal);
    }
    SECTION("IPv6v4-full and IPv6v4-comp") {
        CHECK(check_address_literal("[IPv6:::ffff:192.0.2.1]") == domain_error::ok);
        CHECK(check_address_literal("[IPv6:::192.0.2.1]") == domain_error::ok);
        CHECK(check_address_literal("[IPv6:1:2:3:4:5:6:192.0.2.1]") == domain_error::ok);
        CHECK(check_address_literal("[IPv6:1:2::3:4:192.0.2.1]") == domain_error::ok); // 4 groups
        CHECK(check_address_literal("[IPv6:1:2:3::4:5:192.0.2.1]") == domain_error::bad_address_literal);
        CHECK(check_address_literal("[IPv6:1:2:3:4:5:192.0.2.1]") == domain_error::bad_address_literal);
        CHECK(check_address_literal("[IPv6:1:2:3:4:5:6:7:192.0.2.1]") == domain_error::bad_address_literal);
        CHECK(check_address_literal("[IPv6:::ffff:256.0.2.1]") == domain_error::bad_address_literal);
        CHECK(check_address_literal("[IPv6:::192.0.2.1:1]") == domain_error::bad_address_literal);
        CHECK(check_address_literal("[IPv6:192.0.2.1::]") == domain_error::bad_address_literal);
    }
    SECTION("the tag is case-insensitive (RFC 5234 quoted strings)") {
        CHECK(check_address_literal("[ipv6:::1]") == domain_error::ok);
        CHECK(check_address_literal("[IPV6:2001:DB8::1]") == domain_error::ok);
    }
}

TEST_CASE("address literal: General-address-literal") {
    CHECK(check_address_literal("[x-tag:some-content]") == domain_error::ok);
    CHECK(check_address_literal("[tag9:a:b:c!~]") == domain_error::ok);
    CHECK(check_address_literal("[-t:x]") == domain_error::ok);   // Ldh-str may start with '-'
    CHECK(check_address_literal("[t-:x]") == domain_error::bad_address_literal);
    CHECK(check_address_literal("[:x]") == domain_error::bad_address_literal);
    CHECK(check_address_literal("[tag:]") == domain_error::bad_address_literal);
    CHECK(check_address_literal("[tag:a b]") == domain_error::bad_address_literal);
    CHECK(check_address_literal("[tag:a\\b]") == domain_error::bad_address_literal);
    CHECK(check_address_literal("[tag:a[b]") == domain_error::bad_address_literal);
    CHECK(check_address_literal("[t_g:x]") == domain_error::bad_address_literal);
    CHECK(check_address_literal("[tag:\xC3\xBC]") == domain_error::bad_address_literal);
    // "IPv6:" always means IPv6: it never falls back to a general literal.
    CHECK(check_address_literal("[IPv6:not-an-address]") == domain_error::bad_address_literal);
}

TEST_CASE("address literal: longer than 255 octets") {
    const std::string lit254 = "[x:" + std::string(250, 'a') + "]";
    REQUIRE(lit254.size() == 254);
    CHECK(check_address_literal(lit254) == domain_error::ok);
    CHECK(check_address_literal("[x:" + std::string(251, 'a') + "]") == domain_error::ok);
    CHECK(check_address_literal("[x:" + std::string(252, 'a') + "]") == domain_error::too_long);
}

TEST_CASE("domain or literal, as in a mailbox or EHLO") {
    CHECK(check_domain_or_literal("mail.example.org", false) == domain_error::ok);
    CHECK(check_domain_or_literal("[192.0.2.1]", false) == domain_error::ok);
    CHECK(check_domain_or_literal("[IPv6:2001:db8::1]", false) == domain_error::ok);
    CHECK(check_domain_or_literal("[192.0.2.256]", false) == domain_error::bad_address_literal);
    CHECK(check_domain_or_literal("192.0.2.1", false) == domain_error::ok); // a valid Domain
    CHECK(check_domain_or_literal("", false) == domain_error::empty);
    CHECK(check_domain_or_literal("m\xC3\xBC.example", false) == domain_error::non_ascii);
    CHECK(check_domain_or_literal("m\xC3\xBC.example", true) == domain_error::ok);
    CHECK(check_domain_or_literal("AUTH=LOGIN", false) == domain_error::bad_label);
}

TEST_CASE("domain_error names") {
    CHECK(smtpwire::to_string(domain_error::ok) == "ok");
    CHECK(smtpwire::to_string(domain_error::too_long) == "domain longer than 255 octets");
    CHECK(smtpwire::to_string(domain_error::bad_address_literal) == "invalid address literal");
    CHECK(smtpwire::to_string(static_cast<domain_error>(99)) == "unknown domain_error");
}
