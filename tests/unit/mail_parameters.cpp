#include "smtpwire/mail_parameters.hpp"
#include "support/catch.hpp"

#include "smtpwire/path.hpp"

#include <string>

using smtpwire::body_type;
using smtpwire::extension;
using smtpwire::extension_set;
using smtpwire::mail_parameter_error;
using smtpwire::mail_parameters;
using smtpwire::parse_mail_parameters;

namespace {
const extension_set all{extension::size, extension::eight_bit_mime, extension::smtputf8};

struct result {
    mail_parameter_error error;
    mail_parameters params;
    std::string bad;
};

result parse(std::string_view raw, extension_set offered = all) {
    result r{};
    std::string_view bad = "untouched";
    r.error = parse_mail_parameters(raw, offered, r.params, &bad);
    r.bad = std::string(bad);
    return r;
}
} // namespace

TEST_CASE("mail parameters: none") {
    const result r = parse("");
    CHECK(r.error == mail_parameter_error::ok);
    CHECK_FALSE(r.params.has_size);
    CHECK(r.params.body == body_type::unspecified);
    CHECK_FALSE(r.params.smtputf8);
    CHECK(r.bad == "untouched");
}

TEST_CASE("mail parameters: SIZE, BODY and SMTPUTF8, keywords in any case") {
    const result r = parse(" SIZE=123 BODY=8BITMIME SMTPUTF8");
    REQUIRE(r.error == mail_parameter_error::ok);
    CHECK(r.params.has_size);
    CHECK(r.params.size == 123);
    CHECK(r.params.body == body_type::eight_bit_mime);
    CHECK(r.params.smtputf8);
    CHECK(r.params.raw == " SIZE=123 BODY=8BITMIME SMTPUTF8");

    const result lower = parse(" size=0 body=8bitmime smtputf8");
    REQUIRE(lower.error == mail_parameter_error::ok);
    CHECK(lower.params.has_size);
    CHECK(lower.params.size == 0);
    CHECK(lower.params.body == body_type::eight_bit_mime);
    CHECK(lower.params.smtputf8);

    const result seven = parse(" Body=7bit");
    REQUIRE(seven.error == mail_parameter_error::ok);
    CHECK(seven.params.body == body_type::seven_bit);
}

TEST_CASE("mail parameters: SIZE value limits (RFC 1870: 1*20DIGIT)") {
    const result max = parse(" SIZE=18446744073709551615");
    REQUIRE(max.error == mail_parameter_error::ok);
    CHECK(max.params.size == 18446744073709551615u);
    const result padded = parse(" SIZE=00000000000000000001"); // 20 digits
    REQUIRE(padded.error == mail_parameter_error::ok);
    CHECK(padded.params.size == 1);

    CHECK(parse(" SIZE=18446744073709551616").error == mail_parameter_error::bad_value); // 2^64
    CHECK(parse(" SIZE=99999999999999999999").error == mail_parameter_error::bad_value);
    CHECK(parse(" SIZE=000000000000000000001").error == mail_parameter_error::bad_value); // 21 digits
    CHECK(parse(" SIZE=abc").error == mail_parameter_error::bad_value);
    CHECK(parse(" SIZE=-1").error == mail_parameter_error::bad_value);
    CHECK(parse(" SIZE=+1").error == mail_parameter_error::bad_value);
    CHECK(parse(" SIZE=1k").error == mail_parameter_error::bad_value);
    CHECK(parse(" SIZE").error == mail_parameter_error::bad_value);
    const result empty = parse(" SIZE=");
    CHECK(empty.error == mail_parameter_error::bad_value);
    CHECK(empty.bad == "SIZE=");
    const result empty_sp = parse(" SIZE= BODY=7BIT");
    CHECK(empty_sp.error == mail_parameter_error::bad_value);
    CHECK(empty_sp.bad == "SIZE=");
}

TEST_CASE("mail parameters: duplicates") {
    const result size = parse(" SIZE=1 SIZE=2");
    CHECK(size.error == mail_parameter_error::duplicate);
    CHECK(size.bad == "SIZE=2");
    CHECK(parse(" SIZE=1 size=1").error == mail_parameter_error::duplicate);
    CHECK(parse(" BODY=7BIT BODY=8BITMIME").error == mail_parameter_error::duplicate);
    CHECK(parse(" SMTPUTF8 SMTPUTF8").error == mail_parameter_error::duplicate);
}

TEST_CASE("mail parameters: values the known keywords do not take") {
    const result binary = parse(" BODY=BINARYMIME");
    CHECK(binary.error == mail_parameter_error::bad_value);
    CHECK(binary.bad == "BODY=BINARYMIME");
    CHECK(parse(" BODY").error == mail_parameter_error::bad_value);
    CHECK(parse(" BODY=8BIT").error == mail_parameter_error::bad_value);
    const result yes = parse(" SMTPUTF8=yes");
    CHECK(yes.error == mail_parameter_error::bad_value);
    CHECK(yes.bad == "SMTPUTF8=yes");
    CHECK(parse(" SIZE=\xC3\xA9").error == mail_parameter_error::bad_value);
}

TEST_CASE("mail parameters: unknown keywords and extensions not offered") {
    const result auth = parse(" SIZE=123 AUTH=<>");
    CHECK(auth.error == mail_parameter_error::unknown);
    CHECK(auth.bad == "AUTH=<>");
    CHECK(parse(" BY=120;R").error == mail_parameter_error::unknown);
    CHECK(parse(" MT-PRIORITY=3").error == mail_parameter_error::unknown);
    CHECK(parse(" RET=HDRS").error == mail_parameter_error::unknown);
    CHECK(parse(" X-UNKNOWN").error == mail_parameter_error::unknown);

    CHECK(parse(" SIZE=1", extension_set{}).error == mail_parameter_error::unknown);
    CHECK(parse(" BODY=8BITMIME", {extension::size, extension::smtputf8}).error ==
          mail_parameter_error::unknown);
    CHECK(parse(" SMTPUTF8", {extension::size, extension::eight_bit_mime}).error ==
          mail_parameter_error::unknown);
    CHECK(parse(" SIZE=1", {extension::size}).error == mail_parameter_error::ok);
    // Not offered takes precedence over a bad value.
    CHECK(parse(" SIZE=abc", {extension::eight_bit_mime}).error == mail_parameter_error::unknown);
}

TEST_CASE("mail parameters: syntax errors") {
    const result junk = parse("x");
    CHECK(junk.error == mail_parameter_error::syntax);
    CHECK(junk.bad == "x");
    CHECK(parse(" SIZE=1  BODY=7BIT").error == mail_parameter_error::syntax);
    CHECK(parse(" SIZE=1 ").error == mail_parameter_error::syntax);
    CHECK(parse(" -SIZE=1").error == mail_parameter_error::syntax);
    CHECK(parse(" SIZE=1 AUTH=a=b").error == mail_parameter_error::bad_value);
}

TEST_CASE("mail parameters: out is cleared on error, bad may be null") {
    mail_parameters m;
    m.has_size = true;
    m.size = 7;
    CHECK(parse_mail_parameters(" SIZE=5 BODY=BINARYMIME", all, m) == mail_parameter_error::bad_value);
    CHECK_FALSE(m.has_size);
    CHECK(m.size == 0);
    CHECK(m.raw == " SIZE=5 BODY=BINARYMIME");
}

TEST_CASE("mail parameters: MAIL FROM:<> SIZE=123 AUTH=<> end to end") {
    smtpwire::path p;
    std::string_view rest;
    REQUIRE(smtpwire::parse_reverse_path("<> SIZE=123 AUTH=<>", {}, p, rest) == smtpwire::path_error::ok);
    CHECK(p.kind == smtpwire::path_kind::null_path);
    std::string_view bad;
    mail_parameters m;
    CHECK(parse_mail_parameters(rest, all, m, &bad) == mail_parameter_error::unknown);
    CHECK(bad == "AUTH=<>");
    REQUIRE(smtpwire::parse_reverse_path("<a@b.c>x", {}, p, rest) == smtpwire::path_error::ok);
    CHECK(parse_mail_parameters(rest, all, m, &bad) == mail_parameter_error::syntax);
    CHECK(bad == "x");
}

TEST_CASE("mail_parameter_error and body_type names") {
    CHECK(smtpwire::to_string(mail_parameter_error::ok) == "ok");
    CHECK(smtpwire::to_string(mail_parameter_error::unknown) == "parameter not recognized");
    CHECK(smtpwire::to_string(mail_parameter_error::duplicate) == "parameter given twice");
    CHECK(smtpwire::to_string(static_cast<mail_parameter_error>(99)) == "unknown mail_parameter_error");
    CHECK(smtpwire::to_string(body_type::eight_bit_mime) == "8BITMIME");
    CHECK(smtpwire::to_string(body_type::seven_bit) == "7BIT");
}

TEST_CASE("mail parameters: AUTH= is an xtext value when AUTH is offered (RFC 4954 §5)") {
    const extension_set with_auth{extension::size, extension::auth};
    // Microsoft EOP's "MAIL FROM:<> SIZE=… AUTH=<>" and RFC 4954 §5's example.
    const result unknown_submitter = parse(" SIZE=123 AUTH=<>", with_auth);
    REQUIRE(unknown_submitter.error == mail_parameter_error::ok);
    CHECK(unknown_submitter.params.has_auth);
    CHECK(unknown_submitter.params.auth == "<>");
    const result submitter = parse(" AUTH=e+3Dmc2@example.com", with_auth);
    REQUIRE(submitter.error == mail_parameter_error::ok);
    char decoded[32];
    std::size_t n = 0;
    REQUIRE(smtpwire::xtext_decode(submitter.params.auth, decoded, n));
    CHECK(std::string_view(decoded, n) == "e=mc2@example.com");
    CHECK(parse(" AUTH=bad+2", with_auth).error == mail_parameter_error::bad_value);
    CHECK(parse(" AUTH=bad+2d", with_auth).error == mail_parameter_error::bad_value);
    CHECK(parse(" AUTH", with_auth).error == mail_parameter_error::bad_value);
    CHECK(parse(" AUTH=<> AUTH=<>", with_auth).error == mail_parameter_error::duplicate);
    CHECK(parse(" AUTH=<>", {extension::size}).error == mail_parameter_error::unknown);
}

TEST_CASE("mail parameters: RET and ENVID with DSN offered (RFC 3461 sections 4.3, 4.4)") {
    const extension_set dsn{extension::dsn};
    const result r = parse(" RET=HDRS ENVID=QQ314159", dsn);
    REQUIRE(r.error == mail_parameter_error::ok);
    CHECK(r.params.ret == smtpwire::dsn_return::headers);
    CHECK(r.params.envid == "QQ314159");
    const result full = parse(" envid=a+2Bb ret=full", dsn);
    REQUIRE(full.error == mail_parameter_error::ok);
    CHECK(full.params.ret == smtpwire::dsn_return::full);
    CHECK(full.params.envid == "a+2Bb");
    CHECK(parse("", dsn).params.ret == smtpwire::dsn_return::unspecified);
    CHECK(parse("", dsn).params.envid.empty());

    CHECK(parse(" RET=HDRS", all).error == mail_parameter_error::unknown);
    CHECK(parse(" ENVID=QQ314159", all).error == mail_parameter_error::unknown);
    CHECK(parse(" RET=BODY", dsn).error == mail_parameter_error::bad_value);
    CHECK(parse(" RET", dsn).error == mail_parameter_error::bad_value);
    CHECK(parse(" RET=FULL RET=FULL", dsn).error == mail_parameter_error::duplicate);
    CHECK(parse(" ENVID=a ENVID=b", dsn).error == mail_parameter_error::duplicate);
    CHECK(parse(" ENVID=a+20b", dsn).error == mail_parameter_error::bad_value);
    CHECK(parse(" ENVID=" + std::string(101, 'e'), dsn).error == mail_parameter_error::bad_value);
    CHECK(parse(" ENVID=" + std::string(100, 'e'), dsn).error == mail_parameter_error::ok);
}
