#include "smtpwire/sasl/mechanism.hpp"

#include "support/catch.hpp"

#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

using smtpwire::sasl::mechanism;
using smtpwire::sasl::mechanism_set;
namespace sasl = smtpwire::sasl;

namespace {

// Every enumerator, found by walking the values until to_string() has no name,
// so a mechanism added to the enum is covered without editing this file.
std::vector<mechanism> all_mechanisms() {
    std::vector<mechanism> out;
    for (unsigned v = 0; v < 256; ++v) {
        const auto m = static_cast<mechanism>(v);
        if (sasl::to_string(m).empty()) break;
        out.push_back(m);
    }
    return out;
}

// RFC 4422 §3.1: sasl-mech = 1*20mech-char, mech-char = UPPER-ALPHA / DIGIT / "-" / "_".
bool is_sasl_mech(std::string_view s) {
    if (s.empty() || s.size() > 20) return false;
    for (char c : s)
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    return true;
}

std::string list_of(mechanism_set set) {
    std::string out(sasl::mechanism_list_size(set), '?');
    REQUIRE(sasl::write_mechanism_list(set, out.data()) == out.size());
    return out;
}

constexpr bool constexpr_list() {
    char buf[32] = {};
    const mechanism_set set{mechanism::login, mechanism::plain};
    const std::size_t n = sasl::write_mechanism_list(set, buf);
    return n == sasl::mechanism_list_size(set) && std::string_view(buf, n) == "PLAIN LOGIN";
}
static_assert(constexpr_list());
static_assert(sasl::to_string(mechanism::cram_md5) == "CRAM-MD5");
static_assert(sasl::parse_mechanism_list("PLAIN xoauth2 GSSAPI") ==
              mechanism_set{mechanism::plain, mechanism::xoauth2});
static_assert(sasl::sends_secret_in_clear(mechanism::plain));
static_assert(!sasl::sends_secret_in_clear(mechanism::scram_sha_256));

constexpr mechanism chosen(mechanism_set offered, mechanism_set allowed) {
    mechanism m = mechanism::login;
    return sasl::choose_mechanism(offered, allowed, m) ? m : mechanism::login;
}
static_assert(chosen({mechanism::plain, mechanism::scram_sha_256},
                     {mechanism::plain, mechanism::scram_sha_256}) == mechanism::scram_sha_256);

} // namespace

TEST_CASE("sasl mechanism: to_string gives the IANA names") {
    CHECK(sasl::to_string(mechanism::plain) == "PLAIN");
    CHECK(sasl::to_string(mechanism::login) == "LOGIN");
    CHECK(sasl::to_string(mechanism::cram_md5) == "CRAM-MD5");
    CHECK(sasl::to_string(mechanism::xoauth2) == "XOAUTH2");
    CHECK(sasl::to_string(mechanism::oauthbearer) == "OAUTHBEARER");
    CHECK(sasl::to_string(mechanism::scram_sha_256) == "SCRAM-SHA-256");
    CHECK(sasl::to_string(static_cast<mechanism>(6)).empty());
    CHECK(sasl::to_string(static_cast<mechanism>(255)).empty());
    CHECK(all_mechanisms().size() == 6);
    for (mechanism m : all_mechanisms()) CHECK(is_sasl_mech(sasl::to_string(m)));
}

TEST_CASE("sasl mechanism: names parse without regard to ASCII case") {
    for (mechanism m : all_mechanisms()) {
        const std::string_view name = sasl::to_string(m);
        mechanism out = m == mechanism::plain ? mechanism::login : mechanism::plain;
        CHECK(sasl::parse_mechanism(name, out));
        CHECK(out == m);
        std::string lower(name);
        for (char& c : lower) c = smtpwire::ascii::to_lower(c);
        out = m == mechanism::plain ? mechanism::login : mechanism::plain;
        CHECK(sasl::parse_mechanism(lower, out));
        CHECK(out == m);
    }
    mechanism out = mechanism::xoauth2;
    CHECK(sasl::parse_mechanism("Scram-Sha-256", out));
    CHECK(out == mechanism::scram_sha_256);
    out = mechanism::xoauth2;
    for (std::string_view s : {"", "PLAI", "PLAINX", " PLAIN", "PLAIN ", "SCRAM-SHA-256-PLUS",
                               "SCRAM-SHA-1", "GSSAPI", "CRAM_MD5", "OAUTH10A", "XOAUTH"}) {
        CHECK_FALSE(sasl::parse_mechanism(s, out));
        CHECK(out == mechanism::xoauth2);
    }
}

TEST_CASE("sasl mechanism: mechanism_set") {
    mechanism_set s;
    CHECK(s.empty());
    for (mechanism m : all_mechanisms()) CHECK_FALSE(s.has(m));
    s.add(mechanism::login).add(mechanism::scram_sha_256);
    CHECK_FALSE(s.empty());
    CHECK(s.has(mechanism::login));
    CHECK(s.has(mechanism::scram_sha_256));
    CHECK_FALSE(s.has(mechanism::plain));
    CHECK(s == mechanism_set{mechanism::scram_sha_256, mechanism::login});
    CHECK(s != mechanism_set{mechanism::login});
    s.remove(mechanism::login).remove(mechanism::plain);
    CHECK(s == mechanism_set{mechanism::scram_sha_256});
    s.remove(mechanism::scram_sha_256);
    CHECK(s.empty());
    CHECK(s == mechanism_set{});
    CHECK((mechanism_set{mechanism::plain} | mechanism_set{mechanism::login, mechanism::plain}) ==
          mechanism_set{mechanism::login, mechanism::plain});
    CHECK((mechanism_set{} | mechanism_set{}).empty());
    mechanism_set all;
    for (mechanism m : all_mechanisms()) all.add(m);
    for (mechanism m : all_mechanisms()) CHECK(all.has(m));
}

TEST_CASE("sasl mechanism: which mechanisms put the secret on the wire") {
    CHECK(sasl::sends_secret_in_clear(mechanism::plain));
    CHECK(sasl::sends_secret_in_clear(mechanism::login));
    CHECK(sasl::sends_secret_in_clear(mechanism::xoauth2));
    CHECK(sasl::sends_secret_in_clear(mechanism::oauthbearer));
    CHECK_FALSE(sasl::sends_secret_in_clear(mechanism::cram_md5));
    CHECK_FALSE(sasl::sends_secret_in_clear(mechanism::scram_sha_256));
    CHECK(sasl::sends_secret_in_clear(static_cast<mechanism>(200)));
}

TEST_CASE("sasl mechanism: the EHLO AUTH list") {
    // RFC 4954 §4.1's example lines and real servers' lists.
    CHECK(sasl::parse_mechanism_list("GSSAPI DIGEST-MD5 PLAIN") == mechanism_set{mechanism::plain});
    CHECK(sasl::parse_mechanism_list("DIGEST-MD5 CRAM-MD5") == mechanism_set{mechanism::cram_md5});
    CHECK(sasl::parse_mechanism_list("GSSAPI DIGEST-MD5").empty());
    CHECK(sasl::parse_mechanism_list("LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH") ==
          mechanism_set{mechanism::login, mechanism::plain, mechanism::xoauth2,
                        mechanism::oauthbearer});
    CHECK(sasl::parse_mechanism_list("CRAM-MD5 SCRAM-SHA-256 SCRAM-SHA-256-PLUS SCRAM-SHA-1") ==
          mechanism_set{mechanism::cram_md5, mechanism::scram_sha_256});
    CHECK(sasl::parse_mechanism_list("plain login") ==
          mechanism_set{mechanism::plain, mechanism::login});
    CHECK(sasl::parse_mechanism_list("").empty());
    CHECK(sasl::parse_mechanism_list("GSSAPI NTLM").empty());
    CHECK(sasl::parse_mechanism_list(" PLAIN  LOGIN ") ==
          mechanism_set{mechanism::plain, mechanism::login});
    CHECK(sasl::parse_mechanism_list("PLAIN PLAIN") == mechanism_set{mechanism::plain});
    // A name glued to another is not either of them.
    CHECK(sasl::parse_mechanism_list("PLAIN,LOGIN").empty());
    CHECK(sasl::parse_mechanism_list("PLAIN\tLOGIN").empty());
}

TEST_CASE("sasl mechanism: writing the list for an EHLO line") {
    CHECK(sasl::mechanism_list_size({}) == 0);
    CHECK(list_of({}).empty());
    CHECK(list_of({mechanism::plain}) == "PLAIN");
    // Enumerator order, whatever the order of insertion.
    CHECK(list_of({mechanism::scram_sha_256, mechanism::login, mechanism::plain}) ==
          "PLAIN LOGIN SCRAM-SHA-256");
    CHECK((mechanism_set{mechanism::plain} | mechanism_set{mechanism::login, mechanism::plain}) ==
          mechanism_set{mechanism::login, mechanism::plain});
    CHECK((mechanism_set{} | mechanism_set{}).empty());
    mechanism_set all;
    for (mechanism m : all_mechanisms()) all.add(m);
    const std::string every = list_of(all);
    CHECK(every == "PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER SCRAM-SHA-256");
    // What is written parses back to the same set.
    CHECK(sasl::parse_mechanism_list(every) == all);
    for (mechanism m : all_mechanisms())
        CHECK(sasl::parse_mechanism_list(list_of({m})) == mechanism_set{m});
}

TEST_CASE("sasl mechanism: strongest_first lists every mechanism once") {
    const auto all = all_mechanisms();
    REQUIRE(std::size(sasl::strongest_first) == all.size());
    mechanism_set seen;
    for (mechanism m : sasl::strongest_first) {
        CHECK_FALSE(seen.has(m));
        seen.add(m);
    }
    CHECK(sasl::strongest_first[0] == mechanism::scram_sha_256);
    CHECK(sasl::strongest_first[5] == mechanism::login);
}

TEST_CASE("sasl mechanism: choosing one") {
    const mechanism_set offered{mechanism::login, mechanism::plain, mechanism::xoauth2};
    mechanism out = mechanism::cram_md5;

    SECTION("the strongest offered and allowed, by default") {
        CHECK(sasl::choose_mechanism(offered, offered, out));
        CHECK(out == mechanism::xoauth2);
        CHECK(sasl::choose_mechanism(offered, {mechanism::plain, mechanism::login}, out));
        CHECK(out == mechanism::plain);
        CHECK(sasl::choose_mechanism(offered, {mechanism::login, mechanism::scram_sha_256}, out));
        CHECK(out == mechanism::login);
    }
    SECTION("nothing in common leaves out unchanged") {
        CHECK_FALSE(sasl::choose_mechanism(offered, {mechanism::scram_sha_256}, out));
        CHECK(out == mechanism::cram_md5);
        CHECK_FALSE(sasl::choose_mechanism({}, offered, out));
        CHECK_FALSE(sasl::choose_mechanism(offered, {}, out));
        CHECK(out == mechanism::cram_md5);
    }
    SECTION("an application's own order") {
        const mechanism mine[] = {mechanism::login, mechanism::plain};
        CHECK(sasl::choose_mechanism(offered, offered, mine, 2, out));
        CHECK(out == mechanism::login);
        CHECK(sasl::choose_mechanism(offered, {mechanism::plain}, mine, 2, out));
        CHECK(out == mechanism::plain);
        // A mechanism missing from the preference is never chosen.
        out = mechanism::cram_md5;
        CHECK_FALSE(sasl::choose_mechanism({mechanism::xoauth2}, offered, mine, 2, out));
        CHECK_FALSE(sasl::choose_mechanism(offered, offered, nullptr, 0, out));
        CHECK(out == mechanism::cram_md5);
    }
    SECTION("without TLS, an application drops what sends the secret in clear") {
        mechanism_set allowed{mechanism::plain, mechanism::cram_md5, mechanism::xoauth2};
        for (mechanism m : sasl::strongest_first)
            if (sasl::sends_secret_in_clear(m)) allowed.remove(m);
        CHECK(allowed == mechanism_set{mechanism::cram_md5});
        CHECK_FALSE(sasl::choose_mechanism(offered, allowed, out));
        CHECK(sasl::choose_mechanism({mechanism::plain, mechanism::cram_md5}, allowed, out));
        CHECK(out == mechanism::cram_md5);
    }
}
