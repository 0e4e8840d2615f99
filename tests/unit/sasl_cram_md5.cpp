#include "smtpwire/sasl/cram_md5.hpp"
#include "smtpwire/base64.hpp"
#include "support/catch.hpp"

#include <string>
#include <string_view>

using namespace std::string_literals;
using smtpwire::sasl::cram_md5_response;
using smtpwire::sasl::cram_md5_response_size;
using smtpwire::sasl::cram_md5_verify;
using smtpwire::sasl::parse_cram_md5_response;

namespace {
constexpr std::string_view rfc_challenge = "<1896.697170952@postoffice.reston.mci.net>";

std::string respond(std::string_view user, std::string_view password,
                    std::string_view challenge) {
    std::string out(cram_md5_response_size(user), '?');
    REQUIRE(cram_md5_response(user, password, challenge, out.data()) == out.size());
    return out;
}

// "user|digest", or "<invalid>" with both views checked empty.
std::string parse(std::string_view response) {
    std::string_view user = "x", digest = "x";
    if (!parse_cram_md5_response(response, user, digest)) {
        CHECK(user.empty());
        CHECK(digest.empty());
        return "<invalid>";
    }
    return std::string(user) + "|" + std::string(digest);
}
} // namespace

TEST_CASE("cram_md5: RFC 2195 example, client side") {
    CHECK(cram_md5_response_size("tim") == 36);
    const std::string response = respond("tim", "tanstaaftanstaaf", rfc_challenge);
    CHECK(response == "tim b913a602c7eda7a495b4e6e7334d3890");
    std::string coded(smtpwire::base64_encoded_size(response.size()), '?');
    CHECK(smtpwire::base64_encode(response, coded.data()) == coded.size());
    CHECK(coded == "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
    // The challenge as the server sends it in its 334 reply.
    std::string challenge(smtpwire::base64_encoded_size(rfc_challenge.size()), '?');
    CHECK(smtpwire::base64_encode(rfc_challenge, challenge.data()) == challenge.size());
    CHECK(challenge == "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+");
}

TEST_CASE("cram_md5: RFC 2195 example, server side") {
    std::string_view user, digest;
    REQUIRE(parse_cram_md5_response("tim b913a602c7eda7a495b4e6e7334d3890", user, digest));
    CHECK(user == "tim");
    CHECK(digest == "b913a602c7eda7a495b4e6e7334d3890");
    CHECK(cram_md5_verify("tanstaaftanstaaf", rfc_challenge, digest));
    CHECK(cram_md5_verify("tanstaaftanstaaf", rfc_challenge, "B913A602C7EDA7A495B4E6E7334D3890"));
    CHECK(cram_md5_verify("tanstaaftanstaaf", rfc_challenge, "b913A602c7EDa7a495b4e6e7334d3890"));
}

TEST_CASE("cram_md5: a wrong password, challenge or digit fails verification") {
    const std::string_view good = "b913a602c7eda7a495b4e6e7334d3890";
    CHECK_FALSE(cram_md5_verify("tanstaaftanstaag", rfc_challenge, good));
    CHECK_FALSE(cram_md5_verify("", rfc_challenge, good));
    CHECK_FALSE(cram_md5_verify("tanstaaftanstaaf", "<1896.697170953@postoffice.reston.mci.net>",
                                good));
    for (std::size_t i = 0; i < good.size(); ++i) {
        std::string wrong(good);
        wrong[i] = wrong[i] == '0' ? '1' : '0';
        CAPTURE(i);
        CHECK_FALSE(cram_md5_verify("tanstaaftanstaaf", rfc_challenge, wrong));
    }
    // Not 32 hex digits.
    CHECK_FALSE(cram_md5_verify("tanstaaftanstaaf", rfc_challenge, good.substr(1)));
    CHECK_FALSE(cram_md5_verify("tanstaaftanstaaf", rfc_challenge, std::string(good) + "0"));
    CHECK_FALSE(cram_md5_verify("tanstaaftanstaaf", rfc_challenge,
                                "g913a602c7eda7a495b4e6e7334d3890"));
    CHECK_FALSE(cram_md5_verify("tanstaaftanstaaf", rfc_challenge, ""));
}

TEST_CASE("cram_md5: the response splits at the last space") {
    const std::string_view d = "0123456789abcdefABCDEF0123456789";
    CHECK(parse("tim " + std::string(d)) == "tim|" + std::string(d));
    CHECK(parse("tim smith " + std::string(d)) == "tim smith|" + std::string(d));
    CHECK(parse("tim  " + std::string(d)) == "tim |" + std::string(d));
    CHECK(parse("  " + std::string(d)) == " |" + std::string(d));
    // A user name with spaces round-trips through the client.
    const std::string response = respond("Tim Smith", "secret", "<1@x>");
    std::string_view user, digest;
    REQUIRE(parse_cram_md5_response(response, user, digest));
    CHECK(user == "Tim Smith");
    CHECK(cram_md5_verify("secret", "<1@x>", digest));
}

TEST_CASE("cram_md5: malformed responses are refused") {
    const std::string d = "b913a602c7eda7a495b4e6e7334d3890";
    for (const std::string& s : {
             std::string(),                          // nothing
             d,                                      // no user, no space
             " " + d,                                // empty user
             "tim" + d,                              // no space
             "tim " + d.substr(1),                   // 31 digits
             "tim " + d + "0",                       // 33 digits
             "tim " + d + " ",                       // trailing space: empty digest
             "tim " + d.substr(0, 31) + "g",         // not hex
             "tim " + d.substr(0, 16) + " " + d.substr(16), // the last space splits the digest
             "tim\t" + d,                            // only a space separates
             "tim " + d.substr(0, 31) + "\0"s,       // NUL
         }) {
        CAPTURE(s);
        CHECK(parse(s) == "<invalid>");
    }
}
