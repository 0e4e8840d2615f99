#include "smtpwire/extension.hpp"

#include "support/catch.hpp"

#include "smtpwire/ascii.hpp"

#include <string>
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
    CHECK(smtpwire::to_string(extension::starttls) == "STARTTLS");
    CHECK(smtpwire::to_string(extension::auth) == "AUTH");
    CHECK(smtpwire::to_string(extension::chunking) == "CHUNKING");
    CHECK(smtpwire::to_string(extension::binary_mime) == "BINARYMIME");
    CHECK(smtpwire::to_string(extension::dsn) == "DSN");
    CHECK(smtpwire::to_string(extension::requiretls) == "REQUIRETLS");
    static_assert(smtpwire::to_string(extension::size) == "SIZE");
}

TEST_CASE("extension: the first five keep their values") {
    // Configurations and the server's EHLO order name these; appending must not move them.
    static_assert(static_cast<unsigned>(extension::pipelining) == 0);
    static_assert(static_cast<unsigned>(extension::size) == 1);
    static_assert(static_cast<unsigned>(extension::eight_bit_mime) == 2);
    static_assert(static_cast<unsigned>(extension::smtputf8) == 3);
    static_assert(static_cast<unsigned>(extension::enhanced_status_codes) == 4);
    CHECK(all_extensions().size() >= 11);
}

TEST_CASE("parse_extension: every keyword in any case") {
    for (extension e : all_extensions()) {
        const std::string_view name = smtpwire::to_string(e);
        INFO("keyword " << name);
        std::string lower(name);
        for (char& c : lower) c = ascii::to_lower(c);
        std::string mixed(name);
        for (std::size_t i = 0; i < mixed.size(); i += 2) mixed[i] = ascii::to_lower(mixed[i]);
        for (const std::string_view form : {name, std::string_view(lower), std::string_view(mixed)}) {
            extension out = e == extension::size ? extension::dsn : extension::size;
            CHECK(smtpwire::parse_extension(form, out));
            CHECK(out == e);
        }
    }
    // The spellings servers send that broke case-sensitive clients.
    extension out = extension::size;
    CHECK(smtpwire::parse_extension("starttls", out));
    CHECK(out == extension::starttls);
    CHECK(smtpwire::parse_extension("StartTLS", out));
    CHECK(out == extension::starttls);
    CHECK(smtpwire::parse_extension("8bitmime", out));
    CHECK(out == extension::eight_bit_mime);
    CHECK(smtpwire::parse_extension("BinaryMime", out));
    CHECK(out == extension::binary_mime);

    constexpr bool parsed = [] {
        extension e = extension::size;
        return smtpwire::parse_extension("requireTLS", e) && e == extension::requiretls;
    }();
    static_assert(parsed);
}

TEST_CASE("parse_extension: anything else is unknown and leaves out unchanged") {
    for (const std::string_view keyword :
         {"", "SIZ", "SIZEX", "SIZE ", " SIZE", "SIZE=", "START-TLS", "STARTTLS\r", "8BIT-MIME",
          "BINARY", "AUTH=LOGIN", "X-ANONYMOUSTLS", "VRFY", "ETRN", "HELP", "PIPE_CONNECT",
          "DSNX", "SMTPUTF"}) {
        INFO("keyword '" << keyword << "'");
        extension out = extension::chunking;
        CHECK_FALSE(smtpwire::parse_extension(keyword, out));
        CHECK(out == extension::chunking);
    }
    extension out = extension::chunking;
    CHECK_FALSE(smtpwire::parse_extension(std::string_view("SIZE\0", 5), out));
    CHECK_FALSE(smtpwire::parse_extension("S\xC4\xB0ZE", out));  // dotted capital I is not ASCII
    CHECK(out == extension::chunking);
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

TEST_CASE("extension_set: the appended extensions have bits of their own") {
    extension_set s{extension::starttls, extension::requiretls};
    CHECK(s.has(extension::starttls));
    CHECK(s.has(extension::requiretls));
    CHECK_FALSE(s.has(extension::auth));
    CHECK_FALSE(s.has(extension::pipelining));
    s.add(extension::binary_mime).remove(extension::starttls);
    CHECK(s == extension_set{extension::binary_mime, extension::requiretls});
}
