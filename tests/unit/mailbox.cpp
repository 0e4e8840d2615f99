#include "smtpwire/mailbox.hpp"
#include "support/catch.hpp"

#include <string>

using namespace std::string_view_literals;
using smtpwire::mailbox;
using smtpwire::mailbox_error;
using smtpwire::parse_mailbox;

namespace {
constexpr bool constexpr_round_trip() {
    char buf[16] = {};
    const std::size_t n = smtpwire::encode_local_part("a b", buf, sizeof buf);
    char back[16] = {};
    const std::size_t m = smtpwire::decode_local_part(std::string_view(buf, n), back);
    return n == 5 && std::string_view(back, m) == "a b";
}
static_assert(constexpr_round_trip());

mailbox_error parse(std::string_view s, bool utf8 = false) {
    mailbox m;
    return parse_mailbox(s, utf8, m);
}

std::string decode(std::string_view local_part) {
    std::string out(local_part.size(), '?');
    out.resize(smtpwire::decode_local_part(local_part, out.data()));
    return out;
}

// encode_local_part into a string; "<refused>" when it returns 0.
std::string encode(std::string_view value, bool utf8 = false) {
    const std::size_t need = smtpwire::encode_local_part(value, nullptr, 0, utf8);
    if (need == 0) return "<refused>";
    std::string out(need, '?');
    REQUIRE(smtpwire::encode_local_part(value, out.data(), out.size(), utf8) == need);
    return out;
}
} // namespace

TEST_CASE("mailbox: Dot-string local parts") {
    mailbox m;
    REQUIRE(parse_mailbox("user@example.com", false, m) == mailbox_error::ok);
    CHECK(m.local_part == "user");
    CHECK(m.domain == "example.com");
    CHECK_FALSE(m.quoted());

    CHECK(parse("first.last@example.com") == mailbox_error::ok);
    CHECK(parse("!#$%&'*+-/=?^_`{|}~@example.com") == mailbox_error::ok); // all of atext
    CHECK(parse("a.b.c.d@example.com") == mailbox_error::ok);
    CHECK(parse(".user@example.com") == mailbox_error::bad_local_part);
    CHECK(parse("user.@example.com") == mailbox_error::bad_local_part);
    CHECK(parse("us..er@example.com") == mailbox_error::bad_local_part);
    CHECK(parse("us(er)@example.com") == mailbox_error::bad_local_part);
    CHECK(parse("us er@example.com") == mailbox_error::bad_local_part);
    CHECK(parse("us,er@example.com") == mailbox_error::bad_local_part);
    CHECK(parse("@example.com") == mailbox_error::bad_local_part);
    CHECK(parse("user") == mailbox_error::bad_local_part);
    CHECK(parse("user@") == mailbox_error::bad_domain);
    CHECK(parse("user@@example.com") == mailbox_error::bad_domain);
    CHECK(parse("user@example.com>") == mailbox_error::bad_domain);
    CHECK(parse("user@exa_mple.com") == mailbox_error::bad_domain);
    CHECK(parse("user@example.com.") == mailbox_error::bad_domain);
    CHECK(parse("") == mailbox_error::empty);
}

TEST_CASE("mailbox: Quoted-string local parts") {
    mailbox m;
    REQUIRE(parse_mailbox(R"("John Doe"@example.com)", false, m) == mailbox_error::ok);
    CHECK(m.local_part == R"("John Doe")");
    CHECK(m.quoted());
    CHECK(parse(R"(""@example.com)") == mailbox_error::ok);
    CHECK(parse(R"("a\"b"@example.com)") == mailbox_error::ok);
    CHECK(parse(R"("a\\b"@example.com)") == mailbox_error::ok);
    CHECK(parse(R"("a@b>c<d,e:f;g"@example.com)") == mailbox_error::ok);
    CHECK(parse(R"("\ \a\~"@example.com)") == mailbox_error::ok); // quoted-pairSMTP %d92 %d32-126
    CHECK(parse(R"("a"b"@example.com)") == mailbox_error::bad_local_part);
    CHECK(parse(R"("ab@example.com)") == mailbox_error::bad_local_part);
    CHECK(parse(R"("a\"@example.com)") == mailbox_error::bad_local_part);
    CHECK(parse(R"("a\)") == mailbox_error::bad_local_part);
    CHECK(parse("\"a\\\tb\"@example.com") == mailbox_error::bad_local_part); // \ then HTAB
    CHECK(parse("\"a\tb\"@example.com") == mailbox_error::bad_local_part);
    CHECK(parse("\"a\x7f" "b\"@example.com") == mailbox_error::bad_local_part);
    CHECK(parse("\"a\rb\"@example.com") == mailbox_error::bad_local_part);
    CHECK(parse("\"a\0b\"@example.com"sv) == mailbox_error::bad_local_part);
    CHECK(parse(R"("ab"c@example.com)") == mailbox_error::bad_local_part);
    CHECK(parse(R"(a"b"@example.com)") == mailbox_error::bad_local_part);
}

TEST_CASE("mailbox: address literals as the domain") {
    mailbox m;
    REQUIRE(parse_mailbox("user@[192.0.2.1]", false, m) == mailbox_error::ok);
    CHECK(m.domain == "[192.0.2.1]");
    CHECK(parse("user@[IPv6:2001:db8::1]") == mailbox_error::ok);
    CHECK(parse("user@[x-tag:abc]") == mailbox_error::ok);
    CHECK(parse("user@[192.0.2.256]") == mailbox_error::bad_domain);
    CHECK(parse("user@[192.0.2.1") == mailbox_error::bad_domain);
    CHECK(parse("user@[192.0.2.1]x") == mailbox_error::bad_domain);
}

TEST_CASE("mailbox: local part of 64 octets accepted, 65 refused") {
    const std::string l64(64, 'l');
    CHECK(parse(l64 + "@example.com") == mailbox_error::ok);
    CHECK(parse(l64 + "x@example.com") == mailbox_error::local_part_too_long);
    // Quotes count: the limit is on the local part as received.
    CHECK(parse("\"" + std::string(62, 'q') + "\"@example.com") == mailbox_error::ok);
    CHECK(parse("\"" + std::string(63, 'q') + "\"@example.com") == mailbox_error::local_part_too_long);
    // Syntax errors are reported before lengths.
    CHECK(parse(l64 + "x@-example.com") == mailbox_error::bad_domain);
}

TEST_CASE("mailbox: domain of 255 octets accepted, 256 refused") {
    std::string d;
    while (d.size() < 250) d += "abcdefghi.";
    const std::string d255 = d + "abcde";
    REQUIRE(d255.size() == 255);
    CHECK(parse("u@" + d255) == mailbox_error::ok);
    CHECK(parse("u@" + d255 + "f") == mailbox_error::domain_too_long);
}

TEST_CASE("mailbox: UTF-8 only with SMTPUTF8") {
    const std::string pele = "pel\xC3\xA9@example.com";
    CHECK(parse(pele) == mailbox_error::non_ascii);
    CHECK(parse(pele, true) == mailbox_error::ok);
    CHECK(parse("user@b\xC3\xBC" "cher.example") == mailbox_error::non_ascii);
    CHECK(parse("user@b\xC3\xBC" "cher.example", true) == mailbox_error::ok);
    CHECK(parse("\"J\xC3\xB6rg M\"@example.com", true) == mailbox_error::ok);
    CHECK(parse("\"J\xC3\xB6rg M\"@example.com", false) == mailbox_error::non_ascii);
    CHECK(parse("pel\xC3@example.com", true) == mailbox_error::invalid_utf8);
    CHECK(parse("pel\xFF@example.com", true) == mailbox_error::invalid_utf8);
    CHECK(parse("\"pel\xC3\"@example.com", true) == mailbox_error::invalid_utf8);
    CHECK(parse("user@b\xC3" "cher.example", true) == mailbox_error::invalid_utf8);
    // quoted-pairSMTP is not extended by RFC 6531.
    CHECK(parse("\"a\\\xC3\xA9\"@example.com", true) == mailbox_error::bad_local_part);
    CHECK(parse("\"a\\\xC3\xA9\"@example.com", false) == mailbox_error::non_ascii);
    // Address literals stay ASCII.
    CHECK(parse("user@[\xC3\xA9:x]", true) == mailbox_error::bad_domain);
}

TEST_CASE("decode_local_part") {
    CHECK(decode("user.name") == "user.name");
    CHECK(decode(R"("John Doe")") == "John Doe");
    CHECK(decode(R"("")") == "");
    CHECK(decode(R"("a\"b")") == R"(a"b)");
    CHECK(decode(R"("a\\b")") == R"(a\b)");
    CHECK(decode(R"("\a\b\c")") == "abc");
    CHECK(decode(R"("foo@x> ORCPT=rfc822;evil")") == "foo@x> ORCPT=rfc822;evil");
    // Not a Local-part: never writes more than its size.
    CHECK(decode("\"") == "\"");
    CHECK(decode(R"("abc)") == R"("abc)");
    CHECK(decode(R"("a\")") == R"(a\)");
}

TEST_CASE("encode_local_part") {
    CHECK(encode("user.name") == "user.name");
    CHECK(encode("John Doe") == R"("John Doe")");
    CHECK(encode("") == R"("")");
    CHECK(encode(R"(a"b)") == R"("a\"b")");
    CHECK(encode(R"(a\b)") == R"("a\\b")");
    CHECK(encode("user.") == R"("user.")");
    CHECK(encode(".user") == R"(".user")");
    CHECK(encode("a..b") == R"("a..b")");
    CHECK(encode("a@b") == R"("a@b")");
    CHECK(encode("a>b") == R"("a>b")");
    CHECK(encode("\"quoted\"") == R"("\"quoted\"")");
    CHECK(encode("~") == "~");

    SECTION("bytes with no wire form are refused") {
        CHECK(encode("a\r\nRCPT TO:<x@y>") == "<refused>");
        CHECK(encode("a\nb") == "<refused>");
        CHECK(encode("a\0b"sv) == "<refused>");
        CHECK(encode("a\tb") == "<refused>");
        CHECK(encode("a\x7f" "b") == "<refused>");
        CHECK(encode("a\x1f" "b") == "<refused>");
    }
    SECTION("UTF-8 only with the flag, and only valid") {
        CHECK(encode("pel\xC3\xA9") == "<refused>");
        CHECK(encode("pel\xC3\xA9", true) == "pel\xC3\xA9");
        CHECK(encode("J\xC3\xB6rg M", true) == "\"J\xC3\xB6rg M\"");
        CHECK(encode("pel\xC3", true) == "<refused>");
    }
    SECTION("writes only when it fits") {
        char buf[8] = {'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'};
        CHECK(smtpwire::encode_local_part("a b", buf, 4) == 5);
        CHECK(std::string_view(buf, 8) == "xxxxxxxx");
        CHECK(smtpwire::encode_local_part("a b", buf, 5) == 5);
        CHECK(std::string_view(buf, 8) == "\"a b\"xxx");
        CHECK(smtpwire::encode_local_part("abcdefghi", buf, 8) == 9);
        CHECK(std::string_view(buf, 8) == "\"a b\"xxx");
    }
}

TEST_CASE("quoted local part smuggling: the value is re-quoted, never written raw") {
    // stalwartlabs/mail-send #42, go-mail #495, nodemailer #1766.
    mailbox m;
    REQUIRE(parse_mailbox(R"("foo@x> ORCPT=rfc822;evil"@example.com)", false, m) == mailbox_error::ok);
    CHECK(m.domain == "example.com");
    const std::string value = decode(m.local_part);
    CHECK(value == "foo@x> ORCPT=rfc822;evil");
    const std::string wire = encode(value);
    CHECK(wire == R"("foo@x> ORCPT=rfc822;evil")");
    CHECK(wire == m.local_part);

    const std::string tricky = decode(R"("a\"> NOTIFY=NEVER \\")");
    CHECK(tricky == R"(a"> NOTIFY=NEVER \)");
    CHECK(encode(tricky) == R"("a\"> NOTIFY=NEVER \\")");
}

TEST_CASE("is_dot_string") {
    CHECK(smtpwire::is_dot_string("a.b", false));
    CHECK_FALSE(smtpwire::is_dot_string("", false));
    CHECK_FALSE(smtpwire::is_dot_string("a.", false));
    CHECK_FALSE(smtpwire::is_dot_string("a b", false));
    CHECK_FALSE(smtpwire::is_dot_string("\"a\"", false));
    CHECK_FALSE(smtpwire::is_dot_string("a@b", false));
    CHECK_FALSE(smtpwire::is_dot_string("\xC3\xA9", false));
    CHECK(smtpwire::is_dot_string("\xC3\xA9", true));
}

TEST_CASE("mailbox_error names") {
    CHECK(smtpwire::to_string(mailbox_error::ok) == "ok");
    CHECK(smtpwire::to_string(mailbox_error::local_part_too_long) == "local part longer than 64 octets");
    CHECK(smtpwire::to_string(static_cast<mailbox_error>(99)) == "unknown mailbox_error");
}
