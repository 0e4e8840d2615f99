#include "smtpwire/path.hpp"
#include "support/catch.hpp"

#include <string>

using namespace std::string_view_literals;
using smtpwire::parse_forward_path;
using smtpwire::parse_reverse_path;
using smtpwire::path;
using smtpwire::path_error;
using smtpwire::path_kind;
using smtpwire::path_options;

namespace {
constexpr bool constexpr_parse() {
    path p;
    std::string_view rest;
    return parse_reverse_path("<a@b.example> SIZE=1", path_options{}, p, rest) == path_error::ok &&
           p.address.domain == "b.example" && rest == " SIZE=1" &&
           parse_reverse_path("<a@b.example", path_options{}, p, rest) ==
               path_error::missing_close_bracket;
}
static_assert(constexpr_parse());

path_error rev(std::string_view s, const path_options& opt = {}) {
    path p;
    std::string_view rest;
    return parse_reverse_path(s, opt, p, rest);
}

path_error fwd(std::string_view s, const path_options& opt = {}) {
    path p;
    std::string_view rest;
    return parse_forward_path(s, opt, p, rest);
}

path_options utf8_on() {
    path_options o;
    o.utf8 = true;
    return o;
}
} // namespace

TEST_CASE("path: an ordinary mailbox") {
    path p;
    std::string_view rest = "unchanged";
    REQUIRE(parse_reverse_path("<user@example.com>", {}, p, rest) == path_error::ok);
    CHECK(p.kind == path_kind::mailbox);
    CHECK(p.address.local_part == "user");
    CHECK(p.address.domain == "example.com");
    CHECK(p.source_route().empty());
    CHECK(p.raw == "user@example.com");
    CHECK(rest.empty());
    REQUIRE(parse_forward_path("<user@[192.0.2.1]> NOTIFY=NEVER", {}, p, rest) == path_error::ok);
    CHECK(p.address.domain == "[192.0.2.1]");
    CHECK(rest == " NOTIFY=NEVER");
}

TEST_CASE("path: the null reverse path <>") {
    path p;
    std::string_view rest;
    REQUIRE(parse_reverse_path("<>", {}, p, rest) == path_error::ok);
    CHECK(p.kind == path_kind::null_path);
    CHECK(p.raw.empty());
    CHECK(p.address.local_part.empty());
    CHECK(p.address.domain.empty());
    CHECK(rest.empty());
    CHECK(fwd("<>") == path_error::null_path_not_allowed);
}

TEST_CASE("path: MAIL FROM:<> SIZE=123 AUTH=<> (Microsoft EOP) is a path plus parameters") {
    path p;
    std::string_view rest;
    REQUIRE(parse_reverse_path("<> SIZE=123 AUTH=<>", {}, p, rest) == path_error::ok);
    CHECK(p.kind == path_kind::null_path);
    CHECK(rest == " SIZE=123 AUTH=<>");
}

TEST_CASE("path: <postmaster> in any case, distinct from <>") {
    for (std::string_view s : {"<postmaster>"sv, "<POSTMASTER>"sv, "<PostMaster>"sv}) {
        path p;
        std::string_view rest;
        REQUIRE(parse_forward_path(s, {}, p, rest) == path_error::ok);
        CHECK(p.kind == path_kind::postmaster);
        CHECK(p.kind != path_kind::null_path);
        CHECK(p.address.local_part == s.substr(1, 10));
        CHECK(p.address.domain.empty());
        CHECK(p.raw == s.substr(1, 10));
        CHECK(rest.empty());
        CHECK(rev(s) == path_error::postmaster_not_allowed);
    }
    path p;
    std::string_view rest;
    REQUIRE(parse_forward_path("<Postmaster> NOTIFY=NEVER", {}, p, rest) == path_error::ok);
    CHECK(rest == " NOTIFY=NEVER");
    // With a domain it is an ordinary mailbox.
    REQUIRE(parse_forward_path("<Postmaster@example.com>", {}, p, rest) == path_error::ok);
    CHECK(p.kind == path_kind::mailbox);
    CHECK(p.address.local_part == "Postmaster");
    CHECK(p.address.domain == "example.com");
    REQUIRE(parse_reverse_path("<postmaster@example.com>", {}, p, rest) == path_error::ok);
    CHECK(p.kind == path_kind::mailbox);
    // Near misses are not postmaster.
    CHECK(fwd("<postmasters>") == path_error::bad_local_part);
    CHECK(fwd("<postmaste>") == path_error::bad_local_part);
    CHECK(fwd("<postmaster >") == path_error::bad_local_part);
    CHECK(fwd("<@a.example:postmaster>") == path_error::bad_local_part);
}

TEST_CASE("path: quoted local parts") {
    path p;
    std::string_view rest;
    REQUIRE(parse_forward_path(R"(<"a\"b\\c d>e@f"@example.com> SIZE=1)", {}, p, rest) == path_error::ok);
    CHECK(p.address.local_part == R"("a\"b\\c d>e@f")");
    CHECK(p.address.quoted());
    CHECK(p.address.domain == "example.com");
    CHECK(rest == " SIZE=1");
    char buf[64] = {};
    const std::size_t n = smtpwire::decode_local_part(p.address.local_part, buf);
    CHECK(std::string_view(buf, n) == R"(a"b\c d>e@f)");
    CHECK(fwd(R"(<""@example.com>)") == path_error::ok);
    CHECK(fwd(R"(<"a"b"@example.com>)") == path_error::bad_local_part);
    CHECK(fwd("<\"a\tb\"@example.com>") == path_error::bad_local_part);
}

TEST_CASE("path: parameter smuggling through a quoted local part") {
    path p;
    std::string_view rest = "unchanged";
    REQUIRE(parse_forward_path(R"(<"foo@x> ORCPT=rfc822;evil"@example.com>)", {}, p, rest) == path_error::ok);
    CHECK(p.kind == path_kind::mailbox);
    CHECK(p.address.local_part == R"("foo@x> ORCPT=rfc822;evil")");
    CHECK(p.address.domain == "example.com");
    CHECK(rest.empty());
    char value[64] = {};
    const std::size_t n = smtpwire::decode_local_part(p.address.local_part, value);
    CHECK(std::string_view(value, n) == "foo@x> ORCPT=rfc822;evil");
    char wire[64] = {};
    const std::size_t w = smtpwire::encode_local_part(std::string_view(value, n), wire, sizeof wire);
    CHECK(std::string_view(wire, w) == R"("foo@x> ORCPT=rfc822;evil")");
}

TEST_CASE("path: source routes are accepted and ignored (Appendix C)") {
    path p;
    std::string_view rest;
    REQUIRE(parse_forward_path("<@a.example,@b.example:user@c.example>", {}, p, rest) == path_error::ok);
    CHECK(p.kind == path_kind::mailbox);
    CHECK(p.source_route() == "@a.example,@b.example");
    CHECK(p.address.local_part == "user");
    CHECK(p.address.domain == "c.example");
    CHECK(p.raw == "@a.example,@b.example:user@c.example");
    REQUIRE(parse_reverse_path("<@a.example:user@c.example>", {}, p, rest) == path_error::ok);
    CHECK(p.source_route() == "@a.example");

    CHECK(fwd("<@a.example user@c.example>") == path_error::bad_source_route);
    CHECK(fwd("<@a.example,user@c.example>") == path_error::bad_source_route);
    CHECK(fwd("<@a.example,:user@c.example>") == path_error::bad_source_route);
    CHECK(fwd("<@:user@c.example>") == path_error::bad_source_route);
    CHECK(fwd("<@[192.0.2.1]:user@c.example>") == path_error::bad_source_route);
    CHECK(fwd("<@-a.example:user@c.example>") == path_error::bad_source_route);
    CHECK(fwd("<@a.example;@b.example:user@c.example>") == path_error::bad_source_route);
    CHECK(fwd("<@a.example:>") == path_error::bad_local_part);
    CHECK(rev("<@a.example:>") == path_error::bad_local_part);
    CHECK(fwd("<@a.example:user@c.example") == path_error::missing_close_bracket);
}

TEST_CASE("path: brackets") {
    CHECK(rev("user@example.com") == path_error::missing_open_bracket);
    CHECK(rev(" <user@example.com>") == path_error::missing_open_bracket);
    CHECK(rev("") == path_error::empty);
    CHECK(rev("<") == path_error::missing_close_bracket);
    CHECK(rev("<user@example.com") == path_error::missing_close_bracket);
    CHECK(rev("<user@example.com SIZE=1") == path_error::missing_close_bracket);
    CHECK(rev("<\"user>@example.com") == path_error::missing_close_bracket);
    CHECK(rev("<user@example.com x>") == path_error::bad_domain);
    CHECK(rev("<user@example.com<>") == path_error::bad_domain);
    CHECK(rev("<user>") == path_error::bad_local_part);
    CHECK(rev("<<user@example.com>>") == path_error::bad_local_part);
    CHECK(rev("< user@example.com>") == path_error::bad_local_part);
}

TEST_CASE("path: text right after '>' is left to the parameter reader") {
    path p;
    std::string_view rest;
    REQUIRE(parse_reverse_path("<a@b.c>x", {}, p, rest) == path_error::ok);
    CHECK(p.address.domain == "b.c");
    CHECK(rest == "x");
    REQUIRE(parse_reverse_path("<>x", {}, p, rest) == path_error::ok);
    CHECK(rest == "x");
}

TEST_CASE("path: missing brackets only with the leniency") {
    path_options o;
    o.allow_missing_brackets = true;
    path p;
    std::string_view rest;
    CHECK(parse_reverse_path("user@example.com", {}, p, rest) == path_error::missing_open_bracket);
    REQUIRE(parse_reverse_path("user@example.com", o, p, rest) == path_error::ok);
    CHECK(p.kind == path_kind::mailbox);
    CHECK(p.raw == "user@example.com");
    CHECK(rest.empty());
    REQUIRE(parse_reverse_path("user@example.com SIZE=10", o, p, rest) == path_error::ok);
    CHECK(p.address.domain == "example.com");
    CHECK(rest == " SIZE=10");
    REQUIRE(parse_forward_path("postmaster", o, p, rest) == path_error::ok);
    CHECK(p.kind == path_kind::postmaster);
    // A quoted local part still keeps its SP and '>' inside the quotes.
    REQUIRE(parse_forward_path(R"("a b>"@example.com NOTIFY=NEVER)", o, p, rest) == path_error::ok);
    CHECK(p.address.local_part == R"("a b>")");
    CHECK(rest == " NOTIFY=NEVER");
    // Brackets are still honoured when present.
    REQUIRE(parse_reverse_path("<> SIZE=1", o, p, rest) == path_error::ok);
    CHECK(p.kind == path_kind::null_path);
    CHECK(rev("user@example.com>", o) == path_error::bad_domain);
    CHECK(rev(" user@example.com", o) == path_error::empty);
    CHECK(rev("user", o) == path_error::bad_local_part);
}

TEST_CASE("path: trailing-dot local part only with the leniency") {
    path_options o;
    o.allow_trailing_dot_local_part = true;
    CHECK(fwd("<user.@example.com>") == path_error::bad_local_part);
    path p;
    std::string_view rest;
    REQUIRE(parse_forward_path("<user.@example.com>", o, p, rest) == path_error::ok);
    CHECK(p.address.local_part == "user.");
    CHECK(fwd("<first.last.@example.com>", o) == path_error::ok);
    CHECK(fwd("<user..@example.com>", o) == path_error::bad_local_part);
    CHECK(fwd("<.@example.com>", o) == path_error::bad_local_part);
    CHECK(fwd("<.user@example.com>", o) == path_error::bad_local_part);
    CHECK(fwd("<user.>", o) == path_error::bad_local_part);
}

TEST_CASE("path: local part 64/65, domain 255/256, path 256/257") {
    const std::string l64(64, 'l');
    CHECK(fwd("<" + l64 + "@example.com>") == path_error::ok);
    CHECK(fwd("<" + l64 + "x@example.com>") == path_error::local_part_too_long);

    std::string d;
    while (d.size() < 250) d += "abcdefghi.";
    const std::string d255 = d + "abcde";
    REQUIRE(d255.size() == 255);
    // A 255-octet domain is a valid Domain, but "<u@" + it + ">" exceeds the path limit.
    CHECK(fwd("<u@" + d255 + ">") == path_error::path_too_long);
    CHECK(fwd("<u@" + d255 + "f>") == path_error::domain_too_long);

    // 256 octets including both brackets, then 257.
    const std::string dom = d.substr(0, 180) + std::string(9, 'z'); // 189 octets
    const std::string p256 = "<" + l64 + "@" + dom + ">";
    REQUIRE(p256.size() == 256);
    CHECK(fwd(p256) == path_error::ok);
    CHECK(fwd("<" + l64 + "@" + dom + "z>") == path_error::path_too_long);
    // The source route counts toward the path length.
    CHECK(fwd("<@a.example:" + std::string(60, 'l') + "@" + dom + ">") == path_error::path_too_long);
    // Bracketless paths are measured as if they had brackets.
    path_options o;
    o.allow_missing_brackets = true;
    CHECK(fwd(l64 + "@" + dom, o) == path_error::ok);
    CHECK(fwd(l64 + "@" + dom + "z", o) == path_error::path_too_long);
}

TEST_CASE("path: non-ASCII only with SMTPUTF8") {
    const std::string pele = "<pel\xC3\xA9@example.com>";
    CHECK(rev(pele) == path_error::non_ascii);
    CHECK(rev(pele, utf8_on()) == path_error::ok);
    CHECK(fwd("<user@b\xC3\xBC" "cher.example>") == path_error::non_ascii);
    CHECK(fwd("<user@b\xC3\xBC" "cher.example>", utf8_on()) == path_error::ok);
    CHECK(fwd("<\"J\xC3\xB6rg\"@example.com>", utf8_on()) == path_error::ok);
    CHECK(fwd("<pel\xC3@example.com>", utf8_on()) == path_error::invalid_utf8);
    CHECK(fwd("<user@b\xC3" "cher.example>", utf8_on()) == path_error::invalid_utf8);
    CHECK(fwd("<\xF5\x80\x80\x80@example.com>", utf8_on()) == path_error::invalid_utf8);
    CHECK(fwd("<@b\xC3\xBC.example:u@example.com>", utf8_on()) == path_error::ok);
    CHECK(fwd("<@b\xC3\xBC.example:u@example.com>") == path_error::bad_source_route);
}

TEST_CASE("path: needs_smtputf8") {
    path p;
    std::string_view rest;
    REQUIRE(parse_reverse_path("<pel\xC3\xA9@example.com>", utf8_on(), p, rest) == path_error::ok);
    CHECK(smtpwire::needs_smtputf8(p));
    REQUIRE(parse_reverse_path("<user@b\xC3\xBC.example>", utf8_on(), p, rest) == path_error::ok);
    CHECK(smtpwire::needs_smtputf8(p));
    REQUIRE(parse_reverse_path("<@b\xC3\xBC.example:u@example.com>", utf8_on(), p, rest) == path_error::ok);
    CHECK(smtpwire::needs_smtputf8(p));
    REQUIRE(parse_reverse_path("<user@example.com> SMTPUTF8", utf8_on(), p, rest) == path_error::ok);
    CHECK_FALSE(smtpwire::needs_smtputf8(p));
    REQUIRE(parse_reverse_path("<>", utf8_on(), p, rest) == path_error::ok);
    CHECK_FALSE(smtpwire::needs_smtputf8(p));
}

TEST_CASE("path: control bytes never pass") {
    CHECK(fwd("<us\rer@example.com>") == path_error::bad_local_part);
    CHECK(fwd("<user@exa\nmple.com>") == path_error::bad_domain);
    CHECK(fwd("<user@example.com\0>"sv) == path_error::bad_domain);
}

TEST_CASE("path: out and rest are cleared on error") {
    path p;
    p.kind = path_kind::mailbox;
    p.raw = "stale";
    std::string_view rest = "stale";
    CHECK(parse_forward_path("<>", {}, p, rest) == path_error::null_path_not_allowed);
    CHECK(p.kind == path_kind::null_path);
    CHECK(p.raw.empty());
    CHECK(rest.empty());
}

TEST_CASE("path_error names") {
    CHECK(smtpwire::to_string(path_error::ok) == "ok");
    CHECK(smtpwire::to_string(path_error::null_path_not_allowed) == "null path not allowed here");
    CHECK(smtpwire::to_string(path_error::postmaster_not_allowed) ==
          "<postmaster> is not a valid reverse path");
    CHECK(smtpwire::to_string(static_cast<path_error>(99)) == "unknown path_error");
}
