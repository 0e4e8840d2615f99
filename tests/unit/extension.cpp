#include "smtpwire/extension.hpp"

#include "support/catch.hpp"

#include "smtpwire/ascii.hpp"

#include <string_view>
#include <vector>

using smtpwire::extension;
using smtpwire::extension_set;
namespace ascii = smtpwire::ascii;

namespace {

// Every enumerator, found by walking the values until to_string() has no name,
// so an extension added to the enum is covered without editing this file.
std::vector<extension> all_extensions() {
    std::vector<extension> out;
    for (unsigned v = 0; v < 256; ++v) {
        const auto e = static_cast<extension>(v);
        if (smtpwire::to_string(e).empty()) break;
        out.push_back(e);
    }
    return out;
}

// RFC 5321 §4.1.1.1: ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
bool is_ehlo_keyword(std::string_view s) {
    if (s.empty() || !ascii::is_let_dig(s[0])) return false;
    for (char c : s.substr(1))
        if (!ascii::is_let_dig(c) && c != '-') return false;
    return true;
}

} // namespace

TEST_CASE("extension: to_string gives the EHLO keyword of its RFC") {
    CHECK(smtpwire::to_string(extension::pipelining) == "PIPELINING");
    CHECK(smtpwire::to_string(extension::size) == "SIZE");
    CHECK(smtpwire::to_string(extension::eight_bit_mime) == "8BITMIME");
    CHECK(smtpwire::to_string(extension::smtputf8) == "SMTPUTF8");
    CHECK(smtpwire::to_string(extension::enhanced_status_codes) == "ENHANCEDSTATUSCODES");
    static_assert(smtpwire::to_string(extension::size) == "SIZE");
}

TEST_CASE("extension: every keyword is a distinct, well-formed ehlo-keyword") {
    const auto all = all_extensions();
    REQUIRE(all.size() >= 5);
    // extension_set keeps one bit per enumerator in 32 bits.
    REQUIRE(all.size() <= 32);
    for (std::size_t i = 0; i < all.size(); ++i) {
        const std::string_view name = smtpwire::to_string(all[i]);
        INFO("keyword " << name);
        CHECK(is_ehlo_keyword(name));
        CHECK_FALSE(ascii::all_of(name, ascii::digit));
        for (std::size_t j = i + 1; j < all.size(); ++j)
            CHECK_FALSE(ascii::iequals(name, smtpwire::to_string(all[j])));
    }
}

TEST_CASE("extension: a value outside the enumeration has no name") {
    CHECK(smtpwire::to_string(static_cast<extension>(255)).empty());
}

TEST_CASE("extension_set: add, has, remove") {
    const auto all = all_extensions();
    extension_set s;
    CHECK(s.empty());
    for (extension e : all) CHECK_FALSE(s.has(e));

    SECTION("each extension has its own bit") {
        for (extension e : all) {
            INFO("extension " << smtpwire::to_string(e));
            extension_set one;
            one.add(e);
            CHECK_FALSE(one.empty());
            for (extension other : all) CHECK(one.has(other) == (other == e));
        }
    }
    SECTION("adding twice is the same as adding once") {
        s.add(extension::size).add(extension::size);
        CHECK(s == extension_set{extension::size});
        s.remove(extension::size);
        CHECK(s.empty());
    }
    SECTION("removing an absent extension changes nothing") {
        s.add(extension::pipelining);
        s.remove(extension::smtputf8);
        CHECK(s == extension_set{extension::pipelining});
    }
    SECTION("removing leaves the others in place") {
        for (extension e : all) s.add(e);
        for (extension e : all) CHECK(s.has(e));
        s.remove(extension::eight_bit_mime);
        for (extension e : all) CHECK(s.has(e) == (e != extension::eight_bit_mime));
        for (extension e : all) s.remove(e);
        CHECK(s.empty());
        CHECK(s == extension_set{});
    }
}

TEST_CASE("extension_set: construction from a list and comparison") {
    const extension_set a{extension::size, extension::pipelining};
    const extension_set b{extension::pipelining, extension::size, extension::size};
    CHECK(a == b);
    CHECK_FALSE(a != b);
    CHECK(a.has(extension::size));
    CHECK(a.has(extension::pipelining));
    CHECK_FALSE(a.has(extension::smtputf8));
    CHECK(a != extension_set{extension::size});
    CHECK(extension_set{} == extension_set{});
    CHECK(extension_set{}.empty());
    CHECK_FALSE(extension_set{extension::smtputf8}.empty());

    constexpr extension_set c{extension::enhanced_status_codes};
    static_assert(c.has(extension::enhanced_status_codes));
    static_assert(!c.has(extension::size));
}
