#include "smtpwire/server_config.hpp"
#include "support/catch.hpp"

#include <string>

using namespace smtpwire;

namespace {

server_config with_extensions(extension_set e) {
    server_config c;
    c.extensions = e;
    return c;
}

server_config with_hostname(std::string_view h) {
    server_config c;
    c.hostname = h;
    return c;
}

} // namespace

// The check is constexpr, so a fixed configuration can be checked at compile time.
static_assert(check_config(server_config{}) == config_error::ok);

TEST_CASE("check_config: the default configuration is valid") {
    CHECK(check_config(server_config{}) == config_error::ok);
    CHECK(check_config(with_extensions({})) == config_error::ok);
    CHECK(check_config(with_extensions(server_extensions)) == config_error::ok);
}

TEST_CASE("check_config: only the extensions server_session implements may be offered") {
    const extension not_implemented[] = {extension::requiretls};
    for (extension e : not_implemented) {
        INFO(to_string(e));
        CHECK_FALSE(server_extensions.has(e));
        extension_set offered = server_config{}.extensions;
        offered.add(e);
        CHECK(check_config(with_extensions(offered)) == config_error::unsupported_extension);
        CHECK(check_config(with_extensions({e})) == config_error::unsupported_extension);
    }
    const extension implemented[] = {extension::pipelining, extension::size, extension::eight_bit_mime,
                                      extension::enhanced_status_codes, extension::starttls, extension::dsn,
                                      extension::auth, extension::chunking};
    for (extension e : implemented) {
        INFO(to_string(e));
        CHECK(check_config(with_extensions({e})) == config_error::ok);
    }
}

TEST_CASE("check_config: SMTPUTF8 needs 8BITMIME (RFC 6531 §3.1)") {
    CHECK(check_config(with_extensions({extension::smtputf8})) == config_error::smtputf8_without_8bitmime);
    CHECK(check_config(with_extensions({extension::pipelining, extension::smtputf8,
                                        extension::enhanced_status_codes})) ==
          config_error::smtputf8_without_8bitmime);
    CHECK(check_config(with_extensions({extension::smtputf8, extension::eight_bit_mime})) == config_error::ok);
}

TEST_CASE("check_config: the hostname is a Domain or an address-literal of at most 255 octets") {
    for (std::string_view good : {"localhost", "mx.example", "MX1.Example.COM", "a-b.example", "[192.0.2.1]",
                                  "[IPv6:2001:db8::1]", "xn--bcher-kva.example"}) {
        INFO(good);
        CHECK(check_config(with_hostname(good)) == config_error::ok);
    }
    const std::string_view bad_names[] = {"", "mx.example\r\n250 injected", "mx example", "mx_1.example", "-mx.example",
                                          "mx..example", "mx.example.", "[192.0.2.300]", "bücher.example",
                                          std::string_view("mx\0.example", 11), "mx.example\t"};
    for (std::string_view bad : bad_names) {
        INFO(bad);
        CHECK(check_config(with_hostname(bad)) == config_error::invalid_hostname);
    }
    // 255 octets fit; 256 do not. Labels of 63 octets: 4 * 63 + 3 dots = 255.
    const std::string label(63, 'a');
    const std::string longest = label + "." + label + "." + label + "." + label;
    REQUIRE(longest.size() == 255);
    CHECK(check_config(with_hostname(longest)) == config_error::ok);
    const std::string over = longest + "b";
    CHECK(check_config(with_hostname(over)) == config_error::invalid_hostname);  // a 64-octet label
    const std::string over2 = "b" + std::string(".") + longest;
    REQUIRE(over2.size() == 257);
    CHECK(check_config(with_hostname(over2)) == config_error::hostname_too_long);
}

TEST_CASE("check_config: BINARYMIME needs CHUNKING (RFC 3030 §3)") {
    CHECK(check_config(with_extensions({extension::binary_mime})) == config_error::binarymime_without_chunking);
    CHECK(check_config(with_extensions({extension::binary_mime, extension::chunking})) == config_error::ok);
}

TEST_CASE("check_config: the first problem is reported, in the enumerators' order") {
    server_config c;
    c.extensions = {extension::smtputf8, extension::requiretls, extension::binary_mime};
    c.hostname = "";
    CHECK(check_config(c) == config_error::unsupported_extension);
    c.extensions.remove(extension::requiretls);
    CHECK(check_config(c) == config_error::smtputf8_without_8bitmime);
    c.extensions.add(extension::eight_bit_mime);
    CHECK(check_config(c) == config_error::binarymime_without_chunking);
    c.extensions.add(extension::chunking);
    CHECK(check_config(c) == config_error::invalid_hostname);
}

TEST_CASE("config_error: to_string names every error") {
    const config_error all[] = {config_error::ok, config_error::unsupported_extension, config_error::unsupported_mechanism,
                                config_error::smtputf8_without_8bitmime, config_error::binarymime_without_chunking,
                                config_error::invalid_hostname,
                                config_error::hostname_too_long};
    for (config_error e : all) CHECK(to_string(e) != "unknown config_error");
    CHECK(to_string(static_cast<config_error>(99)) == "unknown config_error");
}
