#include "smtpwire/sasl/oauthbearer.hpp"

#include "support/base64_text.hpp"
#include "support/catch.hpp"

#include "smtpwire/base64.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sasl = smtpwire::sasl;
using namespace std::string_view_literals;

using smtpwire_test::base64;
using smtpwire_test::unbase64;

namespace {

constexpr std::string_view rfc_token = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==";

// RFC 7628 §4.1, IMAP: the initial client response.
constexpr std::string_view rfc_4_1_imap =
    "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyI"
    "HZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB";
// RFC 7628 §4.1, SMTP: the same credential on port 587.
constexpr std::string_view rfc_4_1_smtp =
    "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9NTg3AWF1dGg9QmVhcmVy"
    "IHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB";
// RFC 7628 §4.3: a client response with an empty auth value, and the server's error.
constexpr std::string_view rfc_4_3_query =
    "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9AQE=";
constexpr std::string_view rfc_4_3_error =
    "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3Vy"
    "YXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWcifQ==";
// The same exchange as §4.3 shows it a second time, where the URL is complete.
constexpr std::string_view rfc_4_3_error_full =
    "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3Vy"
    "YXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=";

std::string message(std::string_view authzid, std::string_view host, std::uint16_t port,
                    std::string_view token) {
    std::string out(sasl::oauthbearer_message_size(authzid, host, port, token), '?');
    REQUIRE(sasl::oauthbearer_message(authzid, host, port, token, out.data()) == out.size());
    return out;
}

std::string error(std::string_view status, std::string_view scope, std::string_view config) {
    std::string out(sasl::oauthbearer_error_size(status, scope, config), '?');
    REQUIRE(sasl::oauthbearer_error(status, scope, config, out.data()) == out.size());
    return out;
}

bool parses(std::string_view m) {
    sasl::oauthbearer_credentials c{"unchanged", "unchanged", "unchanged", 7};
    if (sasl::parse_oauthbearer(m, c)) return true;
    CHECK(c.authorization_id == "unchanged");
    CHECK(c.host == "unchanged");
    CHECK(c.token == "unchanged");
    CHECK(c.port == 7);
    return false;
}

constexpr bool constexpr_exchange() {
    char buf[96] = {};
    const std::size_t n = sasl::oauthbearer_message("a,b", "h", 25, "t", buf);
    sasl::oauthbearer_credentials c{};
    return n == sasl::oauthbearer_message_size("a,b", "h", 25, "t") &&
           sasl::parse_oauthbearer(std::string_view(buf, n), c) &&
           c.authorization_id == "a=2Cb" && c.host == "h" && c.port == 25 && c.token == "t";
}
static_assert(constexpr_exchange());
static_assert(sasl::oauthbearer_message_size("", "", 0, "") == 11);

} // namespace

TEST_CASE("sasl oauthbearer: RFC 7628 section 4.1 examples") {
    SECTION("IMAP, port 143") {
        const std::string m = message("user@example.com", "server.example.com", 143, rfc_token);
        CHECK(m == "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01"
                   "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01");
        CHECK(base64(m) == rfc_4_1_imap);
        const std::string decoded = unbase64(rfc_4_1_imap);
        sasl::oauthbearer_credentials c{};
        REQUIRE(sasl::parse_oauthbearer(decoded, c));
        CHECK(c.authorization_id == "user@example.com");
        CHECK(c.host == "server.example.com");
        CHECK(c.port == 143);
        CHECK(c.token == rfc_token);
        CHECK(c.token.data() == decoded.data() + decoded.find("vF9"));
    }
    SECTION("SMTP, port 587") {
        CHECK(base64(message("user@example.com", "server.example.com", 587, rfc_token)) ==
              rfc_4_1_smtp);
        const std::string decoded = unbase64(rfc_4_1_smtp);
        sasl::oauthbearer_credentials c{};
        REQUIRE(sasl::parse_oauthbearer(decoded, c));
        CHECK(c.port == 587);
        CHECK(c.token == rfc_token);
    }
}

TEST_CASE("sasl oauthbearer: RFC 7628 section 4.3, the failed exchange") {
    // C: the client asks for the scope with an empty auth value.
    const std::string query = message("user@example.com", "server.example.com", 143, "");
    CHECK(query == "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01"
                   "auth=\x01\x01");
    CHECK(base64(query) == rfc_4_3_query);
    sasl::oauthbearer_credentials c{};
    REQUIRE(sasl::parse_oauthbearer(query, c));
    CHECK(c.token.empty());
    CHECK(c.authorization_id == "user@example.com");

    // S: the server answers with its error object, byte for byte the RFC's.
    const std::string written = error("invalid_token", "example_scope",
                                      "https://example.com/.well-known/openid-config");
    CHECK(base64(written) == rfc_4_3_error);
    CHECK(base64(error("invalid_token", "example_scope",
                       "https://example.com/.well-known/openid-configuration")) ==
          rfc_4_3_error_full);

    // C: the client reads it and answers with a single ^A, "AQ==".
    const std::string challenge = unbase64(rfc_4_3_error);
    sasl::bearer_error e{};
    REQUIRE(sasl::parse_bearer_error(challenge, e));
    CHECK(e.status == "invalid_token");
    CHECK(e.scope == "example_scope");
    CHECK(e.openid_configuration == "https://example.com/.well-known/openid-config");
    CHECK(sasl::oauthbearer_error_ack == "\x01");
    CHECK(base64(sasl::oauthbearer_error_ack) == "AQ==");
    CHECK(sasl::oauthbearer_error_ack_base64 == "AQ==");

    // S: the ^A is no client response; the server compares it and fails the exchange.
    CHECK_FALSE(parses(sasl::oauthbearer_error_ack));
}

TEST_CASE("sasl oauthbearer: RFC 7628 section 4.4's client response is not OAUTHBEARER") {
    // Its "n,user=...," is not a GS2 header (RFC 5801 §4 has "a=" for the authzid).
    const std::string decoded = unbase64(
        "bix1c2VyPXNvbWV1c2VyQGV4YW1wbGUuY29tLAFhdXRoPUJlYXJlciB2RjlkZnQ0cW1UYzJOdmIzUmxja0JoZEhS"
        "aGRtbHpkR0V1WTI5dENnPT0BAQ==");
    CHECK(decoded == "n,user=someuser@example.com,\x01"
                     "auth=Bearer vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==\x01\x01");
    CHECK_FALSE(parses(decoded));
}

TEST_CASE("sasl oauthbearer: optional parts of the client response") {
    CHECK(message("", "", 0, "t") == "n,,\x01" "auth=Bearer t\x01\x01");
    CHECK(message("", "h", 0, "t") == "n,,\x01host=h\x01" "auth=Bearer t\x01\x01");
    CHECK(message("", "", 25, "t") == "n,,\x01port=25\x01" "auth=Bearer t\x01\x01");
    CHECK(message("", "", 65535, "") == "n,,\x01port=65535\x01" "auth=\x01\x01");
    CHECK(message("", "", 1, "t") == "n,,\x01port=1\x01" "auth=Bearer t\x01\x01");
    CHECK(message("a,b=c", "", 0, "t") == "n,a=a=2Cb=3Dc,\x01" "auth=Bearer t\x01\x01");
    for (std::uint16_t port : {std::uint16_t{0}, std::uint16_t{1}, std::uint16_t{9},
                               std::uint16_t{10}, std::uint16_t{99}, std::uint16_t{100},
                               std::uint16_t{587}, std::uint16_t{10000}, std::uint16_t{65535}}) {
        const std::string m = message("j\xC3\xB6rg", "mx.example", port, "tok");
        sasl::oauthbearer_credentials c{};
        REQUIRE(sasl::parse_oauthbearer(m, c));
        CHECK(c.port == port);
        CHECK(c.host == "mx.example");
        CHECK(c.authorization_id == "j\xC3\xB6rg");
    }
}

TEST_CASE("sasl oauthbearer: what the server accepts beyond what smtpwire writes") {
    sasl::oauthbearer_credentials c{};
    SECTION("keys in any order, unknown and reserved keys ignored") {
        REQUIRE(sasl::parse_oauthbearer("y,,\x01" "auth=bearer  t\x01qs=\x01port=1\x01"
                                        "mthd=POST\x01host=h\x01x=any value\t\r\n\x01\x01"sv,
                                        c));
        CHECK(c.token == "t");
        CHECK(c.port == 1);
        CHECK(c.host == "h");
        CHECK(c.authorization_id.empty());
    }
    SECTION("an unknown key may repeat") {
        REQUIRE(sasl::parse_oauthbearer("n,,\x01x=1\x01x=2\x01" "auth=Bearer t\x01\x01"sv, c));
    }
    SECTION("the authzid stays escaped") {
        REQUIRE(sasl::parse_oauthbearer("n,a=a=2Cb,\x01" "auth=Bearer t\x01\x01"sv, c));
        CHECK(c.authorization_id == "a=2Cb");
        std::string id(c.authorization_id.size(), '?');
        std::size_t n = 0;
        REQUIRE(sasl::saslname_decode(c.authorization_id, id.data(), n));
        id.resize(n);
        CHECK(id == "a,b");
    }
}

TEST_CASE("sasl oauthbearer: malformed client responses are refused") {
    const std::string ok = message("u", "h", 1, "t");
    REQUIRE(parses(ok));
    for (std::string_view m : {
             ""sv, "\x01"sv, "\x01\x01"sv,
             "n,,"sv,                                             // nothing after the header
             "n,,\x01"sv, "n,,\x01\x01"sv,                        // no auth
             "n,,auth=Bearer t\x01\x01"sv,                        // no ^A after the header
             "n,,\x01" "auth=Bearer t\x01"sv,                     // no final ^A
             "n,,\x01" "auth=Bearer t"sv,
             "n,,\x01" "auth=Bearer t\x01\x01\x01"sv,             // text after the end
             "n,,\x01" "auth=Bearer t\x01\x01x"sv,
             "n,,\x01" "auth=Bearer t\x01\x01x=y\x01\x01"sv,
             "p=tls-unique,,\x01" "auth=Bearer t\x01\x01"sv,      // channel binding
             "F,n,,\x01" "auth=Bearer t\x01\x01"sv,               // non-standard GSS-API
             "x,,\x01" "auth=Bearer t\x01\x01"sv,
             "n,a=,\x01" "auth=Bearer t\x01\x01"sv,               // empty authzid
             "n,a=a,b,\x01" "auth=Bearer t\x01\x01"sv,            // ',' in the authzid
             "n,a=a=2c,\x01" "auth=Bearer t\x01\x01"sv,           // lower-case escape
             "n,a=a\x01,\x01" "auth=Bearer t\x01\x01"sv,          // control in the authzid
             "n,a=a\tb,\x01" "auth=Bearer t\x01\x01"sv,
             "n,a=\xC3,\x01" "auth=Bearer t\x01\x01"sv,           // ill-formed UTF-8
             "n,,\x01" "auth=Bearer t\x01" "auth=Bearer t\x01\x01"sv,  // repeated keys
             "n,,\x01host=a\x01host=b\x01" "auth=Bearer t\x01\x01"sv,
             "n,,\x01port=1\x01port=1\x01" "auth=Bearer t\x01\x01"sv,
             "n,,\x01=x\x01" "auth=Bearer t\x01\x01"sv,           // empty key
             "n,,\x01x\x01" "auth=Bearer t\x01\x01"sv,            // no '='
             "n,,\x01x1=y\x01" "auth=Bearer t\x01\x01"sv,         // key not ALPHA
             "n,,\x01x-y=z\x01" "auth=Bearer t\x01\x01"sv,
             "n,,\x01 auth=Bearer t\x01\x01"sv,
             "n,,\x01x=\xC3\xA9\x01" "auth=Bearer t\x01\x01"sv,   // value outside VCHAR
             "n,,\x01x=\0\x01" "auth=Bearer t\x01\x01"sv,
             "n,,\x01x=\x7F\x01" "auth=Bearer t\x01\x01"sv,
             "n,,\x01" "auth=Bearer\x01\x01"sv,                   // auth without a token
             "n,,\x01" "auth=Bearer \x01\x01"sv,
             "n,,\x01" "auth=Bearert\x01\x01"sv,
             "n,,\x01" "auth=Bearer t t\x01\x01"sv,
             "n,,\x01" "auth=Bearer t\r\n\x01\x01"sv,
             "n,,\x01" "auth=Bearer t=x\x01\x01"sv,
             "n,,\x01" "auth=OAuth realm=\"Example\"\x01\x01"sv,   // OAUTH10A's scheme
             "n,,\x01" "auth= \x01\x01"sv,
             "n,,\x01" "Auth=Bearer t\x01\x01"sv,                  // keys are case-sensitive
             "n,,\x01port=0\x01" "auth=Bearer t\x01\x01"sv,        // ports
             "n,,\x01port=0143\x01" "auth=Bearer t\x01\x01"sv,
             "n,,\x01port=65536\x01" "auth=Bearer t\x01\x01"sv,
             "n,,\x01port=100000\x01" "auth=Bearer t\x01\x01"sv,
             "n,,\x01port=\x01" "auth=Bearer t\x01\x01"sv,
             "n,,\x01port=+1\x01" "auth=Bearer t\x01\x01"sv,
             "n,,\x01port=1 \x01" "auth=Bearer t\x01\x01"sv,
             "n,,\x01port=x\x01" "auth=Bearer t\x01\x01"sv,
         })
        CHECK_FALSE(parses(m));
}

TEST_CASE("sasl oauthbearer: the client checks what the server would refuse") {
    CHECK(sasl::oauthbearer_arguments_valid("", "", ""));
    CHECK(sasl::oauthbearer_arguments_valid("user@example.com", "server.example.com", rfc_token));
    CHECK(sasl::oauthbearer_arguments_valid("a,b=c", "h", "t"));
    CHECK(sasl::oauthbearer_arguments_valid("j\xC3\xB6rg", "h", "t"));
    CHECK_FALSE(sasl::oauthbearer_arguments_valid("a\x01", "h", "t"));
    CHECK_FALSE(sasl::oauthbearer_arguments_valid("a\0b"sv, "h", "t"));
    CHECK_FALSE(sasl::oauthbearer_arguments_valid("\xC3", "h", "t"));
    CHECK_FALSE(sasl::oauthbearer_arguments_valid("", "h h", "t"));
    CHECK_FALSE(sasl::oauthbearer_arguments_valid("", "h\x01", "t"));
    CHECK_FALSE(sasl::oauthbearer_arguments_valid("", "h\xC3\xA9", "t"));
    CHECK_FALSE(sasl::oauthbearer_arguments_valid("", "h", "a b"));
    CHECK_FALSE(sasl::oauthbearer_arguments_valid("", "h", "t\x01"));
    // Whatever the client accepts, the server parses back to the same values.
    for (std::string_view z : {""sv, "u"sv, ",=,"sv, "\xF0\x9F\x94\x91 x"sv}) {
        for (std::string_view t : {""sv, "t"sv, rfc_token}) {
            REQUIRE(sasl::oauthbearer_arguments_valid(z, "h.example", t));
            const std::string m = message(z, "h.example", 465, t);
            sasl::oauthbearer_credentials c{};
            REQUIRE(sasl::parse_oauthbearer(m, c));
            std::string id(c.authorization_id.size(), '?');
            std::size_t n = 0;
            if (!z.empty()) REQUIRE(sasl::saslname_decode(c.authorization_id, id.data(), n));
            id.resize(n);
            CHECK(id == z);
            CHECK(c.host == "h.example");
            CHECK(c.port == 465);
            CHECK(c.token == t);
        }
    }
}

TEST_CASE("sasl oauthbearer: the error object") {
    CHECK(error("invalid_token", "", "") == R"({"status":"invalid_token"})");
    CHECK(error("invalid_token", "s", "") == R"({"status":"invalid_token","scope":"s"})");
    CHECK(error("invalid_token", "", "https://x/") ==
          R"({"status":"invalid_token","openid-configuration":"https://x/"})");
    CHECK(error("insufficient_scope", "a \"b\"", "u\\v") ==
          R"({"status":"insufficient_scope","scope":"a \"b\"","openid-configuration":"u\\v"})");
    const std::string w = error("invalid_token", "openid offline_access", "https://x/");
    CHECK(w.size() == sasl::oauthbearer_error_size("invalid_token", "openid offline_access",
                                                   "https://x/"));
    sasl::bearer_error e{};
    REQUIRE(sasl::parse_bearer_error(w, e));
    CHECK(e.status == "invalid_token");
    CHECK(e.scope == "openid offline_access");
    CHECK(e.openid_configuration == "https://x/");
}
