#include "smtpwire/crypto/compare.hpp"
#include "support/catch.hpp"

#include <string>
#include <string_view>

using smtpwire::crypto::constant_time_equal;
using namespace std::string_view_literals;

static_assert(constant_time_equal("abc", "abc"));
static_assert(!constant_time_equal("abc", "abd"));

TEST_CASE("compare: equal only for the same length and the same octets") {
    CHECK(constant_time_equal("", ""));
    CHECK(constant_time_equal("\x00\xFF"sv, "\x00\xFF"sv));
    CHECK_FALSE(constant_time_equal("", "a"));
    CHECK_FALSE(constant_time_equal("abc", "ab"));
    CHECK_FALSE(constant_time_equal("ab", "abc"));
    CHECK_FALSE(constant_time_equal("\x00"sv, ""));
}

TEST_CASE("compare: a difference in any octet or any bit is found") {
    const std::string base(64, '\x5A');
    for (std::size_t i = 0; i < base.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string other = base;
            other[i] = static_cast<char>(other[i] ^ (1 << bit));
            CAPTURE(i, bit);
            CHECK_FALSE(constant_time_equal(base, other));
        }
    }
    CHECK(constant_time_equal(base, std::string(64, '\x5A')));
}
