// The SASL example docs/building-blocks.md shows, compiled and run as written.
#include "smtpwire/smtpwire.hpp"

#include "support/catch.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace sasl_readme {

using namespace smtpwire;

// SASL example begin
// Client: AUTH PLAIN with its initial response (RFC 4954 §4, RFC 4616).
std::string auth_plain_line(std::string_view user, std::string_view password) {
    if (!sasl::plain_arguments_valid("", user, password)) return {};
    std::string message(sasl::plain_message_size("", user, password), '\0');
    (void)sasl::plain_message("", user, password, message.data());
    std::string line = "AUTH PLAIN ";
    const std::size_t at = line.size();
    line.resize(at + base64_encoded_size(message.size()));
    (void)base64_encode(message, line.data() + at);
    return line + "\r\n";
}

// Server: the credentials in a client's base64 response, as views into `response`.
bool read_plain(std::string& response, sasl::plain_credentials& out) {
    std::size_t n = 0;
    if (!base64_decode(response, response.data(), n)) return false;  // decoded in place
    response.resize(n);
    return sasl::parse_plain(response, out);
}
// SASL example end

} // namespace sasl_readme

TEST_CASE("SASL example: the client's line is what the server reads") {
    const std::string line = sasl_readme::auth_plain_line("tim", "tanstaaftanstaaf");
    CHECK(line == "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n");
    std::string response = line.substr(11, line.size() - 13);
    smtpwire::sasl::plain_credentials c{};
    REQUIRE(sasl_readme::read_plain(response, c));
    CHECK(c.authorization_id.empty());
    CHECK(c.user == "tim");
    CHECK(c.password == "tanstaaftanstaaf");
    CHECK(sasl_readme::auth_plain_line("", "secret").empty());
    std::string bad = "AHRpbQ==";  // "\0tim": one NUL
    CHECK_FALSE(sasl_readme::read_plain(bad, c));
    std::string not_base64 = "AHRpbQ=";
    CHECK_FALSE(sasl_readme::read_plain(not_base64, c));
}
