#include "smtpwire/crypto/pbkdf2.hpp"
#include "smtpwire/crypto/hmac.hpp"
#include "smtpwire/crypto/sha256.hpp"
#include "support/catch.hpp"
#include "support/crypto.hpp"

#include <string>
#include <string_view>

using smtpwire::crypto::pbkdf2_hmac;
using smtpwire::crypto::sha256;
using smtpwire_test::hex;

namespace {
std::string derive(std::string_view password, std::string_view salt, std::uint32_t iterations,
                   std::size_t size) {
    std::string out(size, '\0');
    pbkdf2_hmac<sha256>(password, salt, iterations,
                        reinterpret_cast<unsigned char*>(out.data()), out.size());
    return hex(out);
}
} // namespace

TEST_CASE("pbkdf2: RFC 7914 section 11 PBKDF2-HMAC-SHA-256 vectors") {
    CHECK(derive("passwd", "salt", 1, 64) ==
          "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
          "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
    CHECK(derive("Password", "NaCl", 80000, 64) ==
          "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
          "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
}

TEST_CASE("pbkdf2: a shorter output is a prefix, one block is HMAC(P, S || INT(1))") {
    const std::string full = derive("passwd", "salt", 1, 64);
    for (std::size_t size : {0u, 1u, 31u, 32u, 33u, 63u})
        CHECK(derive("passwd", "salt", 1, size) == full.substr(0, 2 * size));
    CHECK(derive("passwd", "salt", 1, 32) ==
          hex(smtpwire::crypto::hmac<sha256>::compute("passwd", std::string("salt\0\0\0\1", 8))));
}
