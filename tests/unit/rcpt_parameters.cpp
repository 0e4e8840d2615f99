#include "smtpwire/rcpt_parameters.hpp"
#include "support/catch.hpp"

#include <string>

using smtpwire::dsn_notify;
using smtpwire::extension;
using smtpwire::extension_set;
using smtpwire::mail_parameter_error;
using smtpwire::rcpt_parameters;

namespace {
struct result {
    mail_parameter_error error;
    rcpt_parameters params;
    std::string bad;
};

result parse(std::string_view raw, extension_set offered = {extension::dsn}, bool utf8 = false) {
    result r{};
    std::string_view bad = "untouched";
    r.error = smtpwire::parse_rcpt_parameters(raw, offered, utf8, r.params, &bad);
    r.bad = std::string(bad);
    return r;
}
} // namespace

TEST_CASE("rcpt parameters: none") {
    const result r = parse("");
    CHECK(r.error == mail_parameter_error::ok);
    CHECK_FALSE(r.params.notify.given());
    CHECK(r.params.orcpt.empty());
    CHECK(r.params.orcpt_type.empty());
    CHECK(r.bad == "untouched");
}

TEST_CASE("rcpt parameters: NOTIFY and ORCPT of RFC 3461, keywords in any case") {
    const result r = parse(" NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob@Big-Box.example");
    REQUIRE(r.error == mail_parameter_error::ok);
    CHECK(r.params.notify == dsn_notify{false, true, true, false});
    CHECK(r.params.orcpt_type == "rfc822");
    CHECK(r.params.orcpt == "Bob@Big-Box.example");
    CHECK(r.params.raw == " NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob@Big-Box.example");

    const result never = parse(" orcpt=rfc822;Fred+2Btag@Bombs.example notify=never");
    REQUIRE(never.error == mail_parameter_error::ok);
    CHECK(never.params.notify == dsn_notify{true, false, false, false});
    CHECK(never.params.orcpt == "Fred+2Btag@Bombs.example");
}

TEST_CASE("rcpt parameters: errors and the replies they call for") {
    // Without DSN offered the keywords are unknown: 555.
    CHECK(parse(" NOTIFY=NEVER", {}).error == mail_parameter_error::unknown);
    CHECK(parse(" ORCPT=rfc822;a@b", {extension::size}).error == mail_parameter_error::unknown);
    // Other keywords are unknown even with DSN.
    const result by = parse(" NOTIFY=NEVER BY=120;R");
    CHECK(by.error == mail_parameter_error::unknown);
    CHECK(by.bad == "BY=120;R");
    CHECK(by.params.raw == " NOTIFY=NEVER BY=120;R");
    CHECK_FALSE(by.params.notify.given());
    // Invalid values and repeats: 501.
    CHECK(parse(" NOTIFY=NEVER,DELAY").error == mail_parameter_error::bad_value);
    CHECK(parse(" NOTIFY").error == mail_parameter_error::bad_value);
    CHECK(parse(" ORCPT=a@b").error == mail_parameter_error::bad_value);
    CHECK(parse(" ORCPT=rfc822;a+0D+0A@b").error == mail_parameter_error::bad_value);
    CHECK(parse(" NOTIFY=DELAY NOTIFY=DELAY").error == mail_parameter_error::duplicate);
    CHECK(parse(" ORCPT=rfc822;a@b orcpt=rfc822;c@d").error == mail_parameter_error::duplicate);
    CHECK(parse(" NOTIFY=NEVER  ORCPT=rfc822;a@b").error == mail_parameter_error::syntax);
    CHECK(parse(" =x").error == mail_parameter_error::syntax);
    // UTF-8 in a value only after MAIL with SMTPUTF8; ORCPT's xtext never takes it.
    CHECK(parse(" ORCPT=rfc822;\xc3\xa4@b", {extension::dsn}, false).error != mail_parameter_error::ok);
    CHECK(parse(" ORCPT=rfc822;\xc3\xa4@b", {extension::dsn}, true).error == mail_parameter_error::bad_value);
}
