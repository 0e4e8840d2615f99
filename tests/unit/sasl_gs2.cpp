#include "smtpwire/sasl/gs2.hpp"

#include "support/catch.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace sasl = smtpwire::sasl;
using sasl::gs2_cb_flag;
using namespace std::string_view_literals;

namespace {

std::string encode(std::string_view name) {
    std::string out(sasl::saslname_encoded_size(name), '?');
    REQUIRE(sasl::saslname_encode(name, out.data()) == out.size());
    return out;
}

std::string decode(std::string_view in) {
    std::string out(in.size(), '?');
    std::size_t written = 99;
    if (!sasl::saslname_decode(in, out.data(), written)) {
        CHECK(written == 0);
        CHECK_FALSE(sasl::is_saslname(in));
        return "<invalid>";
    }
    CHECK(sasl::is_saslname(in));
    out.resize(written);
    return out;
}

std::string header(gs2_cb_flag flag, std::string_view cb_name, std::string_view authzid) {
    std::string out(sasl::gs2_header_size(flag, cb_name, authzid), '?');
    REQUIRE(sasl::write_gs2_header(flag, cb_name, authzid, out.data()) == out.size());
    return out;
}

bool header_parses(std::string_view m) {
    sasl::gs2_header h{};
    h.cb_name = "unchanged";
    if (sasl::parse_gs2_header(m, h)) return true;
    CHECK(h.cb_name == "unchanged");
    return false;
}

constexpr bool constexpr_header() {
    sasl::gs2_header h{};
    return sasl::parse_gs2_header("n,a=a=3Db,rest", h) && h.cb_flag == gs2_cb_flag::n &&
           h.authzid == "a=3Db" && h.size == 10;
}
static_assert(constexpr_header());
static_assert(sasl::saslname_encoded_size("a,b=c") == 9);
static_assert(sasl::is_saslname("a=2Cb"));
static_assert(!sasl::is_saslname("a=2cb"));

} // namespace

TEST_CASE("sasl gs2: saslname escaping") {
    CHECK(encode("user@example.com") == "user@example.com");
    CHECK(encode("a,b") == "a=2Cb");
    CHECK(encode("a=b") == "a=3Db");
    CHECK(encode(",=,=") == "=2C=3D=2C=3D");
    CHECK(encode("j\xC3\xB6rg") == "j\xC3\xB6rg");
    CHECK(encode("") == "");
    for (std::string_view name : {"user@example.com"sv, "a,b"sv, "=2C"sv, ",=,="sv,
                                  "j\xC3\xB6rg, Esq."sv, "\x01\x7F"sv, "=="sv})
        CHECK(decode(encode(name)) == name);
    CHECK(decode("=3D2C") == "=2C");
}

TEST_CASE("sasl gs2: what is not a saslname") {
    for (std::string_view s : {""sv, ","sv, "a,b"sv, "="sv, "a="sv, "a=2"sv, "a=2c"sv, "a=3d"sv,
                               "a=2D"sv, "a=3C"sv, "a=41"sv, "a==2C"sv, "a\0b"sv, "\xC3"sv,
                               "\xED\xA0\x80"sv, "\xFF"sv})
        CHECK(decode(s) == "<invalid>");
}

TEST_CASE("sasl gs2: decoding may overwrite its own input") {
    std::string s = "a=2Cb=3Dc";
    std::size_t written = 0;
    REQUIRE(sasl::saslname_decode(s, s.data(), written));
    CHECK(s.substr(0, written) == "a,b=c");
}

TEST_CASE("sasl gs2: headers") {
    sasl::gs2_header h{};
    SECTION("RFC 7628 section 4.1 and RFC 5802 section 5 forms") {
        const std::string_view m = "n,a=user@example.com,\x01host=server.example.com";
        REQUIRE(sasl::parse_gs2_header(m, h));
        CHECK_FALSE(h.nonstandard);
        CHECK(h.cb_flag == gs2_cb_flag::n);
        CHECK(h.cb_name.empty());
        CHECK(h.authzid == "user@example.com");
        CHECK(h.size == 21);
        CHECK(m.substr(h.size) == "\x01host=server.example.com");
        REQUIRE(sasl::parse_gs2_header("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL", h));
        CHECK(h.authzid.empty());
        CHECK(h.size == 3);
    }
    SECTION("every flag, and the non-standard prefix") {
        REQUIRE(sasl::parse_gs2_header("y,,", h));
        CHECK(h.cb_flag == gs2_cb_flag::y);
        REQUIRE(sasl::parse_gs2_header("p=tls-unique,,", h));
        CHECK(h.cb_flag == gs2_cb_flag::p);
        CHECK(h.cb_name == "tls-unique");
        REQUIRE(sasl::parse_gs2_header("p=tls-exporter,a=x=2Cy,", h));
        CHECK(h.cb_name == "tls-exporter");
        CHECK(h.authzid == "x=2Cy");
        REQUIRE(sasl::parse_gs2_header("F,n,,", h));
        CHECK(h.nonstandard);
        CHECK(h.cb_flag == gs2_cb_flag::n);
        CHECK(h.size == 5);
    }
    SECTION("malformed headers") {
        for (std::string_view m : {""sv, "n"sv, "n,"sv, ","sv, ",,"sv, "N,,"sv, "x,,"sv,
                                   "F,"sv, "F,,"sv, "Fn,,"sv, "F,F,n,,"sv, "p,,"sv, "p=,,"sv,
                                   "p=tls_unique,,"sv, "n,a=,"sv, "n,a="sv, "n,a=x"sv,
                                   "n,a=x=,"sv, "n,a=x=2c,"sv, "n,b=x,"sv, "n,A=x,"sv,
                                   "n, ,"sv, "n,a=x"sv})
            CHECK_FALSE(header_parses(m));
        // "n,,," is the header "n,," followed by a ','.
        REQUIRE(sasl::parse_gs2_header("n,,,", h));
        CHECK(h.size == 3);
        // "n,a=x,y," is the header "n,a=x," followed by "y,".
        CHECK(header_parses("n,a=x,y,"));
    }
}

TEST_CASE("sasl gs2: writing headers") {
    CHECK(header(gs2_cb_flag::n, "", "") == "n,,");
    CHECK(header(gs2_cb_flag::y, "", "") == "y,,");
    CHECK(header(gs2_cb_flag::n, "", "user@example.com") == "n,a=user@example.com,");
    CHECK(header(gs2_cb_flag::p, "tls-exporter", "a,b=c") == "p=tls-exporter,a=a=2Cb=3Dc,");
    // What is written parses back.
    const std::string w = header(gs2_cb_flag::p, "tls-unique", "Ursel, the =admin");
    sasl::gs2_header h{};
    REQUIRE(sasl::parse_gs2_header(w, h));
    CHECK(h.size == w.size());
    CHECK(h.cb_name == "tls-unique");
    CHECK(decode(h.authzid) == "Ursel, the =admin");
}
