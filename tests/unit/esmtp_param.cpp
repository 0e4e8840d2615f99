#include "smtpwire/esmtp_param.hpp"
#include "support/catch.hpp"

#include <string>
#include <vector>

using smtpwire::esmtp_param;
using smtpwire::esmtp_param_reader;
using smtpwire::param_error;

namespace {
constexpr bool constexpr_read() {
    esmtp_param_reader r(" SIZE=1 SMTPUTF8");
    esmtp_param a, b, c;
    return r.next(a) == param_error::ok && a.keyword == "SIZE" && a.value == "1" &&
           r.next(b) == param_error::ok && b.keyword == "SMTPUTF8" && !b.has_value &&
           r.next(c) == param_error::end;
}
static_assert(constexpr_read());

// Reads all parameters as "KEY=value" / "KEY" strings, then the final status.
struct read_result {
    std::vector<std::string> params;
    param_error last = param_error::ok;
    std::string current;
};

read_result read_all(std::string_view s, bool utf8 = false) {
    esmtp_param_reader r(s, utf8);
    read_result out;
    for (int guard = 0; guard < 100; ++guard) {
        esmtp_param p;
        out.last = r.next(p);
        out.current = std::string(r.current());
        if (out.last != param_error::ok) break;
        out.params.push_back(std::string(p.keyword) + (p.has_value ? "=" + std::string(p.value) : ""));
    }
    return out;
}
} // namespace

TEST_CASE("esmtp params: empty input has none") {
    const read_result r = read_all("");
    CHECK(r.params.empty());
    CHECK(r.last == param_error::end);
}

TEST_CASE("esmtp params: keywords and values") {
    const read_result r = read_all(" SIZE=123 BODY=8BITMIME SMTPUTF8 x-Custom-9=v");
    CHECK(r.params == std::vector<std::string>{"SIZE=123", "BODY=8BITMIME", "SMTPUTF8", "x-Custom-9=v"});
    CHECK(r.last == param_error::end);
}

TEST_CASE("esmtp params: AUTH=<> after a null path is keyword AUTH, value <>") {
    esmtp_param_reader r(" SIZE=123 AUTH=<>");
    esmtp_param p;
    REQUIRE(r.next(p) == param_error::ok);
    CHECK(p.keyword == "SIZE");
    CHECK(p.value == "123");
    REQUIRE(r.next(p) == param_error::ok);
    CHECK(p.keyword == "AUTH");
    CHECK(p.has_value);
    CHECK(p.value == "<>");
    CHECK(r.current() == "AUTH=<>");
    CHECK(r.next(p) == param_error::end);
    CHECK(r.next(p) == param_error::end);
}

TEST_CASE("esmtp params: ORCPT with an address type (rfc822, then the address) is a value") {
    esmtp_param_reader r(" NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;user@example.com");
    esmtp_param p;
    REQUIRE(r.next(p) == param_error::ok);
    CHECK(p.value == "SUCCESS,FAILURE");
    REQUIRE(r.next(p) == param_error::ok);
    CHECK(p.keyword == "ORCPT");
    CHECK(p.value == "rfc822;user@example.com");
    CHECK(r.next(p) == param_error::end);
}

TEST_CASE("esmtp params: value grammar %d33-60 / %d62-126") {
    CHECK(read_all(" X=!").last == param_error::end);       // 33
    CHECK(read_all(" X=<").last == param_error::end);       // 60
    CHECK(read_all(" X=>").last == param_error::end);       // 62
    CHECK(read_all(" X=~").last == param_error::end);       // 126
    CHECK(read_all(" X=a=b").last == param_error::bad_value);  // '=' is %d61
    CHECK(read_all(" X=").last == param_error::bad_value);
    CHECK(read_all(" X= Y=1").last == param_error::bad_value);
    CHECK(read_all(" X=\x7f").last == param_error::bad_value);
    CHECK(read_all(" X=a\tb").last == param_error::bad_value);
    CHECK(read_all(" X=a\rb").last == param_error::bad_value);
}

TEST_CASE("esmtp params: keyword grammar") {
    CHECK(read_all(" 8BITMIME").last == param_error::end);
    CHECK(read_all(" A-").last == param_error::end);           // trailing '-' allowed
    CHECK(read_all(" -A").last == param_error::bad_keyword);
    CHECK(read_all(" =x").last == param_error::bad_keyword);
    CHECK(read_all(" A_B=1").last == param_error::bad_keyword);
    CHECK(read_all(" A.B").last == param_error::bad_keyword);
    CHECK(read_all(" \xC3\xA9=1", true).last == param_error::bad_keyword);
}

TEST_CASE("esmtp params: separators") {
    const read_result garbage = read_all("x");
    CHECK(garbage.params.empty());
    CHECK(garbage.last == param_error::syntax);
    CHECK(garbage.current == "x");
    CHECK(read_all("SIZE=1").last == param_error::syntax);
    CHECK(read_all(" SIZE=1  BODY=7BIT").last == param_error::syntax);
    CHECK(read_all(" SIZE=1 ").last == param_error::syntax);
    CHECK(read_all(" ").last == param_error::syntax);
    CHECK(read_all("\tSIZE=1").last == param_error::syntax);
    const read_result r = read_all(" A=1 B=2 -C");
    CHECK(r.params == std::vector<std::string>{"A=1", "B=2"});
    CHECK(r.last == param_error::bad_keyword);
    CHECK(r.current == "-C");
}

TEST_CASE("esmtp params: errors are sticky") {
    esmtp_param_reader r(" A=  B=1");
    esmtp_param p;
    p.keyword = "untouched";
    CHECK(r.next(p) == param_error::bad_value);
    CHECK(p.keyword == "untouched");
    CHECK(r.next(p) == param_error::bad_value);
    CHECK(r.next(p) == param_error::bad_value);
}

TEST_CASE("esmtp params: UTF-8 values only with utf8, and only valid") {
    const std::string v = " ORCPT=utf-8;pel\xC3\xA9@example.com";
    CHECK(read_all(v).last == param_error::bad_value);
    const read_result r = read_all(v, true);
    CHECK(r.last == param_error::end);
    CHECK(r.params == std::vector<std::string>{"ORCPT=utf-8;pel\xC3\xA9@example.com"});
    CHECK(read_all(" X=\xC3", true).last == param_error::bad_value);
    CHECK(read_all(" X=\xC0\xAF", true).last == param_error::bad_value);
}

TEST_CASE("esmtp params: helpers") {
    CHECK(smtpwire::is_esmtp_keyword("SIZE"));
    CHECK(smtpwire::is_esmtp_keyword("9"));
    CHECK_FALSE(smtpwire::is_esmtp_keyword(""));
    CHECK_FALSE(smtpwire::is_esmtp_keyword("-X"));
    CHECK(smtpwire::is_esmtp_value("<>", false));
    CHECK_FALSE(smtpwire::is_esmtp_value("", false));
    CHECK_FALSE(smtpwire::is_esmtp_value("a b", false));
}

TEST_CASE("param_error names") {
    CHECK(smtpwire::to_string(param_error::ok) == "ok");
    CHECK(smtpwire::to_string(param_error::end) == "end of parameters");
    CHECK(smtpwire::to_string(param_error::bad_value) == "invalid parameter value");
    CHECK(smtpwire::to_string(static_cast<param_error>(99)) == "unknown param_error");
}
