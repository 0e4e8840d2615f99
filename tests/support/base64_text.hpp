// Base64 to and from std::string for tests, failing the test on invalid input.
// RFC 4648 §4, through smtpwire's own base64.hpp.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "smtpwire/base64.hpp"
#include "support/catch.hpp"

namespace smtpwire_test {

/// `in` encoded with the standard alphabet and padding.
inline std::string base64(std::string_view in) {
    std::string out(smtpwire::base64_encoded_size(in.size()), '?');
    REQUIRE(smtpwire::base64_encode(in, out.data()) == out.size());
    return out;
}

/// `in` decoded; the test fails when it is not strict base64.
inline std::string unbase64(std::string_view in) {
    std::string out(smtpwire::base64_decoded_max(in.size()), '?');
    std::size_t written = 0;
    REQUIRE(smtpwire::base64_decode(in, out.data(), written));
    out.resize(written);
    return out;
}

} // namespace smtpwire_test
