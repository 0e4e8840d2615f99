#include "smtpwire/compose/delivery_report.hpp"
#include "support/catch.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "smtpwire/xtext.hpp"

using namespace std::string_literals;
using namespace std::string_view_literals;
using smtpwire::body_type;
using smtpwire::dsn_notify;
using smtpwire::dsn_return;
using smtpwire::enhanced_status;
using smtpwire::reply;
using smtpwire::compose::compose_delivery_report;
using smtpwire::compose::date_time;
using smtpwire::compose::default_notify;
using smtpwire::compose::delivery_action;
using smtpwire::compose::delivery_report;
using smtpwire::compose::delivery_report_error;
using smtpwire::compose::delivery_report_result;
using smtpwire::compose::max_diagnostic_word;
using smtpwire::compose::max_line_octets;
using smtpwire::compose::report_due;
using smtpwire::compose::report_recipient;
using smtpwire::compose::returned_content;
using smtpwire::compose::returned_content_for;

namespace {

// The dates of RFC 3464's first example (§9.1), -0400.
constexpr std::int64_t report_date = 773615765;   // Thu, 7 Jul 1994 17:16:05 -0400
constexpr std::int64_t last_attempt = 773615749;  // Thu, 7 Jul 1994 17:15:49 -0400
constexpr std::int64_t arrival = 773183428;       // Sat, 2 Jul 1994 17:10:28 -0400
constexpr int edt = -240;

const std::string original_message =
    "From: owner-info-mime@cs.utk.edu\r\n"
    "To: louisl@larry.slip.umd.edu\r\n"
    "Subject: MIME test\r\n"
    "\r\n"
    "Hello.\r\n";

// RFC 3464 §9.1, "This is a simple DSN issued after repeated attempts to deliver a
// message have failed": one recipient, failed with 4.0.0 after a connection timed out.
report_recipient louisl() {
    report_recipient p;
    p.original_recipient = "rfc822;louisl@larry.slip.umd.edu";
    p.final_recipient = "louisl@larry.slip.umd.edu";
    p.action = delivery_action::failed;
    p.status = {4, 0, 0};
    p.diagnostic = {426, {}, "connection timed out"};
    p.last_attempt_date = date_time{last_attempt, edt};
    return p;
}

delivery_report rfc3464_simple(const report_recipient* p) {
    delivery_report r;
    r.from = {"Mail Delivery Subsystem", "MAILER-DAEMON@CS.UTK.EDU"};
    r.original_reverse_path = "owner-info-mime@cs.utk.edu";
    r.subject = "Returned mail: Cannot send message for 5 days";
    r.date = {report_date, edt};
    r.message_id = "<199407072116.RAA14128@CS.UTK.EDU>";
    r.reporting_mta = "cs.utk.edu";
    r.explanation =
        "The original message was received at Sat, 2 Jul 1994 17:10:28 -0400\n"
        "from root@localhost\n"
        "\n"
        "   ----- The following addresses had delivery problems -----\n"
        "<louisl@larry.slip.umd.edu>  (unrecoverable error)\n"
        "\n"
        "   ----- Transcript of session follows -----\n"
        "<louisl@larry.slip.umd.edu>... Deferred: Connection timed out\n"
        "        with larry.slip.umd.edu.\n"
        "Message could not be delivered for 5 days\n"
        "Message will be deleted from queue\n";
    r.recipients = p;
    r.recipient_count = 1;
    r.returned = returned_content::full;
    r.original_message = original_message;
    return r;
}

// Composes `r`, checking that a buffer of exactly the measured size suffices, that
// nothing is written past it and that the envelope is the same both times.
std::string compose(const delivery_report& r, delivery_report_result* result = nullptr) {
    const delivery_report_result measured = compose_delivery_report(r, nullptr, 0);
    INFO(to_string(measured.error));
    REQUIRE(measured.error == delivery_report_error::buffer_too_small);
    std::string out(measured.size + 8, '#');
    const delivery_report_result written = compose_delivery_report(r, out.data(), measured.size);
    REQUIRE(written.error == delivery_report_error::ok);
    REQUIRE(written.size == measured.size);
    CHECK(written.envelope.options.size == measured.envelope.options.size);
    CHECK(written.envelope.options.body == measured.envelope.options.body);
    CHECK(out.substr(written.size) == "########");
    out.resize(written.size);
    if (result != nullptr) *result = written;
    return out;
}

// The error for `r`, after checking that nothing was written and that size and envelope
// are empty.
delivery_report_error error_of(const delivery_report& r) {
    std::string buf(65536, '#');
    const delivery_report_result res = compose_delivery_report(r, buf.data(), buf.size());
    if (res.error != delivery_report_error::ok) {
        CHECK(res.size == 0);
        CHECK(res.envelope.original_sender.address.empty());
        CHECK(buf == std::string(65536, '#'));
    }
    return res.error;
}

// The error for RFC 3464's simple report after `change` is applied to it and its recipient.
template <class F>
delivery_report_error error_after(F change) {
    report_recipient p = louisl();
    delivery_report r = rfc3464_simple(&p);
    change(r, p);
    return error_of(r);
}

// RFC 5322 §2.2.3: unfolding removes each CRLF that is followed by WSP.
std::string unfold(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s.substr(i, 2) == "\r\n" && i + 2 < s.size() && (s[i + 2] == ' ' || s[i + 2] == '\t')) {
            ++i;
            continue;
        }
        out += s[i];
    }
    return out;
}

using fields = std::vector<std::pair<std::string, std::string>>;

// The fields of a header section (each ending in CRLF), unfolded, in order.
fields parse_fields(std::string_view section) {
    fields out;
    const std::string text = unfold(section);
    std::size_t start = 0;
    for (std::size_t end; (end = text.find("\r\n", start)) != std::string::npos; start = end + 2) {
        const std::string line = text.substr(start, end - start);
        const std::size_t colon = line.find(':');
        REQUIRE(colon != std::string::npos);
        std::string value = line.substr(colon + 1);
        if (!value.empty() && value[0] == ' ') value.erase(0, 1);
        out.emplace_back(line.substr(0, colon), value);
    }
    CHECK(start == text.size());
    return out;
}

std::string field(const fields& f, std::string_view name) {
    for (const auto& [n, v] : f)
        if (n == name) return v;
    return "<none>";
}

std::vector<std::string> names(const fields& f) {
    std::vector<std::string> out;
    for (const auto& nv : f) out.push_back(nv.first);
    return out;
}

struct part {
    fields headers;
    std::string body;
};

struct parsed {
    fields headers;
    std::string boundary;
    std::string preamble;
    std::vector<part> parts;
};

// Splits a report into its header and parts at the delimiter lines (RFC 2046 §5.1.1),
// checking that the boundary appears nowhere else.
parsed parse(const std::string& report) {
    parsed p;
    const std::size_t end = report.find("\r\n\r\n");
    REQUIRE(end != std::string::npos);
    p.headers = parse_fields(std::string_view(report).substr(0, end + 2));
    const std::string type = field(p.headers, "Content-Type");
    const std::size_t b = type.find("boundary=\"");
    REQUIRE(b != std::string::npos);
    p.boundary = type.substr(b + 10, type.find('"', b + 10) - (b + 10));
    const std::string delimiter = "\r\n--" + p.boundary;
    const std::string body = report.substr(end + 2);
    std::size_t at = body.find(delimiter);
    REQUIRE(at != std::string::npos);
    p.preamble = body.substr(2, at - 2);
    for (;;) {
        const std::size_t line_end = body.find("\r\n", at + delimiter.size());
        REQUIRE(line_end != std::string::npos);
        const std::string rest = body.substr(at + delimiter.size(), line_end - at - delimiter.size());
        if (rest == "--") {
            CHECK(line_end + 2 == body.size());
            break;
        }
        REQUIRE(rest.empty());
        const std::size_t next = body.find(delimiter, line_end);
        REQUIRE(next != std::string::npos);
        const std::string content = body.substr(line_end + 2, next - line_end - 2);
        const std::size_t blank = content.find("\r\n\r\n");
        part pt;
        if (content.substr(0, 2) == "\r\n") {
            pt.body = content.substr(2);
        } else {
            REQUIRE(blank != std::string::npos);
            pt.headers = parse_fields(std::string_view(content).substr(0, blank + 2));
            pt.body = content.substr(blank + 4);
        }
        p.parts.push_back(pt);
        at = next;
    }
    std::size_t count = 0;
    for (std::size_t i = report.find("--" + p.boundary); i != std::string::npos;
         i = report.find("--" + p.boundary, i + 1))
        ++count;
    CHECK(count == p.parts.size() + 1);
    return p;
}

// The blocks of a message/delivery-status body: per-message fields, then one block per
// recipient, separated by empty lines (RFC 3464 §2.1).
std::vector<fields> blocks(const std::string& body) {
    std::vector<fields> out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t blank = body.find("\r\n\r\n", start);
        if (blank == std::string::npos) {
            out.push_back(parse_fields(std::string_view(body).substr(start)));
            return out;
        }
        out.push_back(parse_fields(std::string_view(body).substr(start, blank + 2 - start)));
        start = blank + 4;
    }
}

// CRLF line ends only, no line over 998 octets, continuation lines of the header only
// where a field was folded.
void check_form(const std::string& report) {
    INFO(report);
    std::size_t start = 0;
    for (std::size_t end; (end = report.find("\r\n", start)) != std::string::npos; start = end + 2) {
        const std::string_view line = std::string_view(report).substr(start, end - start);
        CHECK(line.size() <= max_line_octets);
        CHECK(line.find_first_of("\r\n") == std::string_view::npos);
    }
    CHECK(start == report.size());
}

std::string crlf(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

} // namespace

TEST_CASE("delivery report: RFC 3464's simple failure report, whole") {
    const report_recipient p = louisl();
    const delivery_report r = rfc3464_simple(&p);
    delivery_report_result res{};
    const std::string report = compose(r, &res);
    const std::string b = "=_smtpwire-report-0000000000000000";
    CHECK(report ==
          "Date: Thu, 07 Jul 1994 17:16:05 -0400\r\n"
          "From: Mail Delivery Subsystem <MAILER-DAEMON@CS.UTK.EDU>\r\n"
          "To: owner-info-mime@cs.utk.edu\r\n"
          "Subject: Returned mail: Cannot send message for 5 days\r\n"
          "Message-ID: <199407072116.RAA14128@CS.UTK.EDU>\r\n"
          "Auto-Submitted: auto-replied\r\n"
          "MIME-Version: 1.0\r\n"
          "Content-Type: multipart/report; report-type=delivery-status;\r\n"
          " boundary=\"" + b + "\"\r\n"
          "Content-Transfer-Encoding: 7bit\r\n"
          "\r\n"
          "This is a delivery status notification in MIME format.\r\n"
          "\r\n"
          "--" + b + "\r\n"
          "Content-Type: text/plain; charset=UTF-8\r\n"
          "Content-Transfer-Encoding: 7bit\r\n"
          "\r\n" +
          crlf(r.explanation) +
          "\r\n"
          "--" + b + "\r\n"
          "Content-Type: message/delivery-status\r\n"
          "\r\n"
          "Reporting-MTA: dns; cs.utk.edu\r\n"
          "\r\n"
          "Original-Recipient: rfc822;louisl@larry.slip.umd.edu\r\n"
          "Final-Recipient: rfc822;louisl@larry.slip.umd.edu\r\n"
          "Action: failed\r\n"
          "Status: 4.0.0\r\n"
          "Diagnostic-Code: smtp; 426 connection timed out\r\n"
          "Last-Attempt-Date: Thu, 07 Jul 1994 17:15:49 -0400\r\n"
          "\r\n"
          "--" + b + "\r\n"
          "Content-Type: message/rfc822\r\n"
          "Content-Transfer-Encoding: 7bit\r\n"
          "\r\n" +
          original_message +
          "\r\n"
          "--" + b + "--\r\n");
    check_form(report);
}

TEST_CASE("delivery report: RFC 3464's simple failure report, field by field") {
    const report_recipient p = louisl();
    const std::string report = compose(rfc3464_simple(&p));
    const parsed m = parse(report);
    CHECK(field(m.headers, "From") == "Mail Delivery Subsystem <MAILER-DAEMON@CS.UTK.EDU>");
    CHECK(field(m.headers, "To") == "owner-info-mime@cs.utk.edu");
    CHECK(field(m.headers, "Subject") == "Returned mail: Cannot send message for 5 days");
    CHECK(field(m.headers, "Date") == "Thu, 07 Jul 1994 17:16:05 -0400");
    CHECK(field(m.headers, "Message-ID") == "<199407072116.RAA14128@CS.UTK.EDU>");
    CHECK(field(m.headers, "Auto-Submitted") == "auto-replied");
    CHECK(field(m.headers, "MIME-Version") == "1.0");
    CHECK(field(m.headers, "Content-Type") ==
          "multipart/report; report-type=delivery-status; boundary=\"" + m.boundary + "\"");
    REQUIRE(m.parts.size() == 3);
    CHECK(field(m.parts[0].headers, "Content-Type") == "text/plain; charset=UTF-8");
    CHECK(field(m.parts[1].headers, "Content-Type") == "message/delivery-status");
    CHECK(field(m.parts[2].headers, "Content-Type") == "message/rfc822");
    CHECK(m.parts[2].body == original_message);

    const std::vector<fields> ds = blocks(m.parts[1].body);
    REQUIRE(ds.size() == 2);
    CHECK(ds[0] == fields{{"Reporting-MTA", "dns; cs.utk.edu"}});
    CHECK(ds[1] == fields{{"Original-Recipient", "rfc822;louisl@larry.slip.umd.edu"},
                          {"Final-Recipient", "rfc822;louisl@larry.slip.umd.edu"},
                          {"Action", "failed"},
                          {"Status", "4.0.0"},
                          {"Diagnostic-Code", "smtp; 426 connection timed out"},
                          {"Last-Attempt-Date", "Thu, 07 Jul 1994 17:15:49 -0400"}});
}

TEST_CASE("delivery report: RFC 3464's report of three recipients, failed and delayed") {
    // RFC 3464 §9.2 ("multi-recipient DSN"): two permanent failures, one with the remote
    // host's reply, and a delay.
    report_recipient p[3];
    p[0].original_recipient = "rfc822;arathib@vnet.IBM.COM";
    p[0].final_recipient = "arathib@vnet.ibm.com";
    p[0].status = {5, 0, 0};
    p[0].remote_mta = "vnet.ibm.com";
    p[0].diagnostic = {550, {}, "'arathib@vnet.IBM.COM' is not a registered gateway user"};
    p[1].original_recipient = "rfc822;johnh@hpnjld.njd.hp.com";
    p[1].final_recipient = "johnh@hpnjld.njd.hp.com";
    p[1].action = delivery_action::delayed;
    p[1].status = {4, 0, 0};
    p[2].original_recipient = "rfc822;wsnell@sdcc13.ucsd.edu";
    p[2].final_recipient = "wsnell@sdcc13.ucsd.edu";
    p[2].status = {5, 0, 0};
    p[2].remote_mta = "sdcc13.ucsd.edu";
    p[2].diagnostic = {550, {}, "user unknown"};
    delivery_report r = rfc3464_simple(p);
    r.recipient_count = 3;
    r.subject = "";
    r.explanation = "";
    r.envelope_id = "0GK500B4HD0888@cauchy.math.utk.edu";
    r.arrival_date = date_time{arrival, edt};
    r.returned = returned_content::headers;
    const std::string report = compose(r);
    check_form(report);
    const parsed m = parse(report);
    CHECK(field(m.headers, "Subject") == "Delivery Status Notification (Failure)");
    REQUIRE(m.parts.size() == 3);
    CHECK(field(m.parts[2].headers, "Content-Type") == "text/rfc822-headers");
    const std::vector<fields> ds = blocks(m.parts[1].body);
    REQUIRE(ds.size() == 4);
    CHECK(ds[0] == fields{{"Original-Envelope-Id", "0GK500B4HD0888@cauchy.math.utk.edu"},
                          {"Reporting-MTA", "dns; cs.utk.edu"},
                          {"Arrival-Date", "Sat, 02 Jul 1994 17:10:28 -0400"}});
    CHECK(ds[1] == fields{{"Original-Recipient", "rfc822;arathib@vnet.IBM.COM"},
                          {"Final-Recipient", "rfc822;arathib@vnet.ibm.com"},
                          {"Action", "failed"},
                          {"Status", "5.0.0"},
                          {"Remote-MTA", "dns; vnet.ibm.com"},
                          {"Diagnostic-Code",
                           "smtp; 550 'arathib@vnet.IBM.COM' is not a registered gateway user"}});
    CHECK(ds[2] == fields{{"Original-Recipient", "rfc822;johnh@hpnjld.njd.hp.com"},
                          {"Final-Recipient", "rfc822;johnh@hpnjld.njd.hp.com"},
                          {"Action", "delayed"},
                          {"Status", "4.0.0"}});
    CHECK(ds[3] == fields{{"Original-Recipient", "rfc822;wsnell@sdcc13.ucsd.edu"},
                          {"Final-Recipient", "rfc822;wsnell@sdcc13.ucsd.edu"},
                          {"Action", "failed"},
                          {"Status", "5.0.0"},
                          {"Remote-MTA", "dns; sdcc13.ucsd.edu"},
                          {"Diagnostic-Code", "smtp; 550 user unknown"}});

    // The written explanation names every recipient, what happened and the reply.
    CHECK(m.parts[0].body ==
          "This is the mail system at cs.utk.edu, reporting on a message you sent.\r\n"
          "\r\n"
          "<arathib@vnet.ibm.com>: the message could not be delivered.\r\n"
          "    550 'arathib@vnet.IBM.COM' is not a registered gateway user\r\n"
          "\r\n"
          "<johnh@hpnjld.njd.hp.com>: delivery is delayed; it will be tried again.\r\n"
          "\r\n"
          "<wsnell@sdcc13.ucsd.edu>: the message could not be delivered.\r\n"
          "    550 user unknown\r\n");
}

TEST_CASE("delivery report: the envelope is from <> to the original reverse path only") {
    const report_recipient p = louisl();
    delivery_report_result res{};
    const std::string report = compose(rfc3464_simple(&p), &res);
    const smtpwire::envelope env = res.envelope.to_envelope();
    CHECK(env.sender.empty());
    REQUIRE(env.recipient_count == 1);
    REQUIRE(env.recipients == &res.envelope.original_sender);
    CHECK(env.recipients[0].address == "owner-info-mime@cs.utk.edu");
    CHECK(env.recipients[0].notify == dsn_notify{true, false, false, false});
    CHECK(env.recipients[0].orcpt.empty());
    CHECK(env.recipients[0].parameters.empty());
    CHECK(env.options.size == report.size());
    CHECK(env.options.body == body_type::unspecified);
    CHECK(env.options.ret == dsn_return::unspecified);
    CHECK(env.options.envid.empty());
    CHECK(env.options.parameters.empty());
    CHECK_FALSE(env.options.smtputf8);
}

TEST_CASE("delivery report: never to the null reverse path (RFC 5321 §4.5.5)") {
    const report_recipient p = louisl();
    for (std::string_view null_path : {""sv, "<>"sv}) {
        delivery_report r = rfc3464_simple(&p);
        r.original_reverse_path = null_path;
        CHECK(error_of(r) == delivery_report_error::null_reverse_path);
        CHECK(compose_delivery_report(r, nullptr, 0).error == delivery_report_error::null_reverse_path);
        // It comes first: a report that is wrong in every other way is refused for it too.
        r.from = {"", ""};
        r.date = {0, 10000};
        r.recipients = nullptr;
        CHECK(error_of(r) == delivery_report_error::null_reverse_path);
    }
}

TEST_CASE("delivery report: whether a report is due, by NOTIFY and action (RFC 3461 §4.1)") {
    const delivery_action actions[] = {delivery_action::failed, delivery_action::delayed,
                                       delivery_action::delivered, delivery_action::relayed,
                                       delivery_action::expanded};
    // For each NOTIFY (never, success, failure, delay): whether failed, delayed,
    // delivered, relayed and expanded are reported, for each default_notify.
    struct row {
        dsn_notify notify;
        std::string_view with_failure_default;
        std::string_view with_delay_default;
    };
    const row table[] = {
        {{false, false, false, false}, "10000", "11000"},  // no NOTIFY
        {{true, false, false, false}, "00000", "00000"},   // NEVER
        {{false, true, false, false}, "00111", "00111"},   // SUCCESS
        {{false, false, true, false}, "10000", "10000"},   // FAILURE
        {{false, false, false, true}, "01000", "01000"},   // DELAY
        {{false, true, true, false}, "10111", "10111"},    // SUCCESS,FAILURE
        {{false, true, false, true}, "01111", "01111"},    // SUCCESS,DELAY
        {{false, false, true, true}, "11000", "11000"},    // FAILURE,DELAY
        {{false, true, true, true}, "11111", "11111"},     // SUCCESS,FAILURE,DELAY
    };
    for (const row& r : table) {
        for (std::size_t a = 0; a < 5; ++a) {
            INFO("NOTIFY never/success/failure/delay " << r.notify.never << r.notify.success
                                                      << r.notify.failure << r.notify.delay
                                                      << ", action " << to_string(actions[a]));
            CHECK(report_due(r.notify, actions[a], default_notify::failure) ==
                  (r.with_failure_default[a] == '1'));
            CHECK(report_due(r.notify, actions[a], default_notify::failure_and_delay) ==
                  (r.with_delay_default[a] == '1'));
        }
    }
}

TEST_CASE("delivery report: what is returned for RET (RFC 3461 §4.3)") {
    CHECK(returned_content_for(dsn_return::full, true) == returned_content::full);
    CHECK(returned_content_for(dsn_return::unspecified, true) == returned_content::full);
    CHECK(returned_content_for(dsn_return::headers, true) == returned_content::headers);
    CHECK(returned_content_for(dsn_return::full, false) == returned_content::headers);
    CHECK(returned_content_for(dsn_return::unspecified, false) == returned_content::headers);
    CHECK(returned_content_for(dsn_return::headers, false) == returned_content::headers);
}

TEST_CASE("delivery report: the returned message, whole, as its header or not at all") {
    const report_recipient p = louisl();
    delivery_report r = rfc3464_simple(&p);
    // Bare LF and CR end lines as CRLF does; the last line gets its CRLF.
    r.original_message = "Subject: lines\nX-A: 1\r\rbody\nlast";

    r.returned = returned_content::full;
    parsed m = parse(compose(r));
    REQUIRE(m.parts.size() == 3);
    CHECK(field(m.parts[2].headers, "Content-Type") == "message/rfc822");
    CHECK(field(m.parts[2].headers, "Content-Transfer-Encoding") == "7bit");
    CHECK(m.parts[2].body == "Subject: lines\r\nX-A: 1\r\n\r\nbody\r\nlast\r\n");

    r.returned = returned_content::headers;
    m = parse(compose(r));
    REQUIRE(m.parts.size() == 3);
    CHECK(field(m.parts[2].headers, "Content-Type") == "text/rfc822-headers");
    CHECK(m.parts[2].body == "Subject: lines\r\nX-A: 1\r\n");

    // A message without a body: all of it is its header section.
    r.original_message = "Subject: only\r\nX-B: 2";
    m = parse(compose(r));
    CHECK(m.parts[2].body == "Subject: only\r\nX-B: 2\r\n");

    r.returned = returned_content::none;
    r.original_message = "";  // not read
    m = parse(compose(r));
    REQUIRE(m.parts.size() == 2);
    CHECK(field(m.parts[1].headers, "Content-Type") == "message/delivery-status");
}

TEST_CASE("delivery report: a returned message with 8-bit octets travels as 8bit with BODY=8BITMIME") {
    const report_recipient p = louisl();
    delivery_report r = rfc3464_simple(&p);
    r.original_message = "Subject: =?UTF-8?B?w6k=?=\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                         "Content-Transfer-Encoding: 8bit\r\n\r\nD\xc3\xa9j\xc3\xa0 vu.\r\n";
    delivery_report_result res{};
    parsed m = parse(compose(r, &res));
    CHECK(field(m.headers, "Content-Transfer-Encoding") == "8bit");
    CHECK(field(m.parts[2].headers, "Content-Transfer-Encoding") == "8bit");
    CHECK(m.parts[2].body == r.original_message);
    CHECK(res.envelope.options.body == body_type::eight_bit_mime);

    // Only what is returned counts: the header section here is ASCII.
    r.returned = returned_content::headers;
    m = parse(compose(r, &res));
    CHECK(field(m.headers, "Content-Transfer-Encoding") == "7bit");
    CHECK(field(m.parts[2].headers, "Content-Transfer-Encoding") == "7bit");
    CHECK(res.envelope.options.body == body_type::unspecified);
}

TEST_CASE("delivery report: Message-ID given whole or built from an id-left and the reporting MTA") {
    const report_recipient p = louisl();
    delivery_report r = rfc3464_simple(&p);
    r.message_id = "RAA14128.773615765";
    CHECK(field(parse(compose(r)).headers, "Message-ID") == "<RAA14128.773615765@cs.utk.edu>");
    r.reporting_mta = "[192.0.2.25]";
    CHECK(field(parse(compose(r)).headers, "Message-ID") == "<RAA14128.773615765@[192.0.2.25]>");
    const parsed m = parse(compose(r));
    CHECK(blocks(m.parts[1].body)[0] == fields{{"Reporting-MTA", "dns; [192.0.2.25]"}});
}

TEST_CASE("delivery report: the subject, given or written from the actions") {
    report_recipient p[2] = {louisl(), louisl()};
    delivery_report r = rfc3464_simple(p);
    r.recipient_count = 2;
    r.subject = "";
    const auto subject = [&r] { return field(parse(compose(r)).headers, "Subject"); };
    p[1].action = delivery_action::delayed;
    CHECK(subject() == "Delivery Status Notification (Failure)");
    p[0].action = delivery_action::delivered;
    p[0].status = {2, 0, 0};
    CHECK(subject() == "Delivery Status Notification (Delay)");
    for (delivery_action a :
         {delivery_action::delivered, delivery_action::relayed, delivery_action::expanded}) {
        p[1].action = a;
        p[1].status = {2, 1, 5};
        CHECK(subject() == "Delivery Status Notification (Success)");
    }
    // A UTF-8 subject goes into encoded-words, as compose_message() writes it.
    r.subject = "Non remis : «message»";
    const std::string report = compose(r);
    const std::string s = field(parse(report).headers, "Subject");
    CHECK(s.rfind("=?UTF-8?B?", 0) == 0);
    check_form(report);
}

TEST_CASE("delivery report: every action and a success report") {
    report_recipient p[3];
    p[0].final_recipient = "list@example.net";
    p[0].action = delivery_action::expanded;
    p[0].status = {2, 0, 0};
    p[1].final_recipient = "relay@example.net";
    p[1].action = delivery_action::relayed;
    p[1].status = {2, 0, 0};
    p[1].remote_mta = "old.example.net";
    p[2].final_recipient = "Postmaster";
    p[2].action = delivery_action::delivered;
    p[2].status = {2, 0, 0};
    p[2].diagnostic = {250, {2, 0, 0}, "OK"};
    delivery_report r = rfc3464_simple(p);
    r.recipient_count = 3;
    r.subject = "";
    r.explanation = "";
    r.returned = returned_content::headers;
    const parsed m = parse(compose(r));
    CHECK(field(m.headers, "Subject") == "Delivery Status Notification (Success)");
    const std::vector<fields> ds = blocks(m.parts[1].body);
    REQUIRE(ds.size() == 4);
    CHECK(field(ds[1], "Action") == "expanded");
    CHECK(field(ds[2], "Action") == "relayed");
    CHECK(field(ds[2], "Remote-MTA") == "dns; old.example.net");
    CHECK(field(ds[3], "Action") == "delivered");
    CHECK(field(ds[3], "Final-Recipient") == "rfc822;Postmaster");
    CHECK(field(ds[3], "Diagnostic-Code") == "smtp; 250 2.0.0 OK");
    CHECK(names(ds[1]) == std::vector<std::string>{"Final-Recipient", "Action", "Status"});
    CHECK(m.parts[0].body.find("<list@example.net>: the message was delivered to a list or alias, "
                               "which sends it on to its members.\r\n") != std::string::npos);
    CHECK(m.parts[0].body.find("<relay@example.net>: the message was passed on to a system that "
                               "sends no delivery notifications.\r\n") != std::string::npos);
    CHECK(m.parts[0].body.find("<Postmaster>: the message was delivered.\r\n    250 2.0.0 OK\r\n") !=
          std::string::npos);
}

TEST_CASE("delivery report: Original-Envelope-Id is the ENVID decoded from xtext") {
    // ENVID=QQ+2B314159 on MAIL (mail_parameters::envid holds it as xtext) is the
    // envelope id "QQ+314159"; the report carries it decoded (RFC 3464 §2.2.1: the DSN
    // preserves the envelope-id exactly), as mail_options::envid takes it.
    const std::string_view xtext = "QQ+2B314159";
    char decoded[16]{};
    std::size_t n = 0;
    REQUIRE(smtpwire::xtext_decode(xtext, decoded, n));
    const report_recipient p = louisl();
    delivery_report r = rfc3464_simple(&p);
    r.envelope_id = std::string_view(decoded, n);
    const parsed m = parse(compose(r));
    CHECK(blocks(m.parts[1].body)[0] ==
          fields{{"Original-Envelope-Id", "QQ+314159"}, {"Reporting-MTA", "dns; cs.utk.edu"}});
    // Case is kept (RFC 3464 §2.2.1: the envelope-id is case-sensitive).
    r.envelope_id = "AbC.def-1";
    CHECK(field(blocks(parse(compose(r)).parts[1].body)[0], "Original-Envelope-Id") == "AbC.def-1");
}

TEST_CASE("delivery report: Original-Recipient is ORCPT as given, address decoded") {
    report_recipient p = louisl();
    p.original_recipient = "rfc822;list+tag@example.net";
    delivery_report r = rfc3464_simple(&p);
    CHECK(field(blocks(parse(compose(r)).parts[1].body)[1], "Original-Recipient") ==
          "rfc822;list+tag@example.net");
    p.original_recipient = "x400;/G=Louis/S=L/O=UMD/";
    CHECK(field(blocks(parse(compose(r)).parts[1].body)[1], "Original-Recipient") ==
          "x400;/G=Louis/S=L/O=UMD/");
}

TEST_CASE("delivery report: a multi-line reply becomes one Diagnostic-Code, folded") {
    report_recipient p = louisl();
    p.status = {5, 1, 1};
    p.remote_mta = "gmail-smtp-in.l.google.com";
    p.diagnostic = {550, {5, 1, 1},
                    "The email account that you tried to reach does not exist. Please try\n"
                    "double-checking the recipient's  email address for typos or\n"
                    "unnecessary spaces.\n"
                    "https://support.google.com/mail/?p=NoSuchUser"};
    delivery_report r = rfc3464_simple(&p);
    r.explanation = "";
    const std::string report = compose(r);
    check_form(report);
    const parsed m = parse(report);
    const std::string ds = m.parts[1].body;
    const std::size_t at = ds.find("Diagnostic-Code: ");
    REQUIRE(at != std::string::npos);
    const std::string raw = ds.substr(at, ds.find("\r\nLast-Attempt-Date") + 2 - at);
    // Each reply line after the first starts a continuation line; runs of spaces are one.
    CHECK(raw == "Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach\r\n"
                 " does not exist. Please try\r\n"
                 " 550-5.1.1 double-checking the recipient's email address for typos or\r\n"
                 " 550-5.1.1 unnecessary spaces.\r\n"
                 " 550 5.1.1 https://support.google.com/mail/?p=NoSuchUser\r\n");
    CHECK(field(blocks(ds)[1], "Diagnostic-Code") ==
          "smtp; 550-5.1.1 The email account that you tried to reach does not exist. Please try "
          "550-5.1.1 double-checking the recipient's email address for typos or "
          "550-5.1.1 unnecessary spaces. 550 5.1.1 https://support.google.com/mail/?p=NoSuchUser");
    // The written explanation shows the reply line by line, wrapped to 76 columns.
    CHECK(m.parts[0].body ==
          "This is the mail system at cs.utk.edu, reporting on a message you sent.\r\n"
          "\r\n"
          "<louisl@larry.slip.umd.edu>: the message could not be delivered.\r\n"
          "    550-5.1.1 The email account that you tried to reach does not exist.\r\n"
          "    Please try\r\n"
          "    550-5.1.1 double-checking the recipient's email address for typos or\r\n"
          "    550-5.1.1 unnecessary spaces.\r\n"
          "    550 5.1.1 https://support.google.com/mail/?p=NoSuchUser\r\n");
}

TEST_CASE("delivery report: lines stay within 998 octets") {
    report_recipient p = louisl();
    const std::string longest_word(max_diagnostic_word, 'w');
    std::string words;
    for (int i = 0; i < 400; ++i) words += "word" + std::to_string(i) + " ";
    const std::string text = words + longest_word + "\n" + longest_word;
    p.diagnostic = {554, {}, text};
    delivery_report r = rfc3464_simple(&p);
    r.explanation = "";
    std::string report = compose(r);
    check_form(report);
    const std::string diagnostic = field(blocks(parse(report).parts[1].body)[1], "Diagnostic-Code");
    CHECK(diagnostic == "smtp; 554-" + words + longest_word + " 554 " + longest_word);
    CHECK(parse(report).parts[0].body.find("\r\n    " + longest_word + "\r\n") != std::string::npos);

    // An explanation with a line over 998 octets, or UTF-8, goes quoted-printable.
    const std::string long_line = std::string(2000, 'a') + "\n";
    r.explanation = long_line;
    report = compose(r);
    check_form(report);
    CHECK(field(parse(report).parts[0].headers, "Content-Transfer-Encoding") == "quoted-printable");
    r.explanation = "Votre message n'a pas pu être remis.\n";
    report = compose(r);
    CHECK(field(parse(report).parts[0].headers, "Content-Transfer-Encoding") == "quoted-printable");
    CHECK(parse(report).parts[0].body == "Votre message n'a pas pu =C3=AAtre remis.\r\n");

    // A returned line of exactly 998 octets travels; one more is refused. A long line
    // in the body does not matter when only the header section is returned.
    r.explanation = "";
    const std::string longest_line(max_line_octets, 'L');
    const std::string fits = "Subject: x\r\n\r\n" + longest_line + "\r\n";
    r.original_message = fits;
    report = compose(r);
    check_form(report);
    const std::string overlong = "Subject: x\r\n\r\n" + longest_line + "L\r\n";
    r.original_message = overlong;
    CHECK(error_of(r) == delivery_report_error::invalid_returned_message);
    r.returned = returned_content::headers;
    CHECK(error_of(r) == delivery_report_error::ok);
}

TEST_CASE("delivery report: the boundary occurs in no part") {
    const report_recipient base = louisl();
    const std::string first = "=_smtpwire-report-0000000000000000";
    SECTION("a boundary in any text of the body makes another one") {
        for (int where = 0; where < 8; ++where) {
            INFO("text " << where);
            report_recipient p = base;
            delivery_report r = rfc3464_simple(&p);
            const std::string in_message = original_message + "--" + first + "\r\n";
            const std::string in_text = "see --" + first + "--";
            const std::string in_orcpt = "rfc822;--" + first;
            const std::string in_reply = "rejected --" + first;
            const std::string in_envid = "ID" + first;
            const std::string in_header = "X-Boundary: " + first + "\r\n\r\nbody\r\n";
            const std::string in_mailbox = "\"" + first + "\"@example.org";
            switch (where) {
            case 0: r.original_message = in_message; break;
            case 1: r.explanation = in_text; break;
            case 2: p.original_recipient = in_orcpt; break;
            case 3: p.diagnostic.text = in_reply; break;
            case 4: r.envelope_id = in_envid; break;
            case 5: p.final_recipient = in_mailbox; break;
            case 6:
                r.explanation = "";
                p.final_recipient = in_mailbox;  // also in the written explanation
                break;
            case 7:
                r.returned = returned_content::headers;
                r.original_message = in_header;
                break;
            }
            const std::string report = compose(r);
            const parsed m = parse(report);
            CHECK(m.boundary != first);
            CHECK(m.parts.size() == 3);
            check_form(report);
        }
    }
    SECTION("one is found whatever the candidates the content holds") {
        // Every boundary with one digit after the prefix, and all those with two digits
        // beginning with 0 to E: the first free one is "F" followed by a free digit.
        std::string message = "Subject: crafted\r\n\r\n";
        const std::string_view digits = "0123456789ABCDEF";
        for (char a : digits) {
            for (char b : digits) {
                if (a == 'F' && b == '7') continue;
                message += "--=_smtpwire-report-";
                message += a;
                message += b;
                message += "00000000000000\r\n";
            }
        }
        report_recipient p = base;
        delivery_report r = rfc3464_simple(&p);
        r.original_message = message;
        const std::string report = compose(r);
        const parsed m = parse(report);
        CHECK(m.boundary == "=_smtpwire-report-F700000000000000");
        CHECK(m.parts[2].body == message);
    }
    SECTION("without the prefix anywhere the first candidate is taken") {
        report_recipient p = base;
        CHECK(parse(compose(rfc3464_simple(&p))).boundary == first);
    }
}

TEST_CASE("delivery report: nothing the application gives can add a field or a part") {
    const std::string_view bcc = "\r\nBcc: victim@example.com";
    const auto with_bcc = [&bcc](std::string_view value) { return std::string(value) + std::string(bcc); };
    const std::string from = with_bcc("MAILER-DAEMON@CS.UTK.EDU");
    const std::string name = with_bcc("Mail Delivery Subsystem");
    const std::string to = with_bcc("owner-info-mime@cs.utk.edu");
    const std::string subject = with_bcc("Returned mail");
    const std::string id = with_bcc("<199407072116.RAA14128@CS.UTK.EDU>");
    const std::string mta = with_bcc("cs.utk.edu");
    const std::string envid = with_bcc("QQ314159");
    const std::string orcpt = with_bcc("rfc822;louisl@larry.slip.umd.edu");
    const std::string final_rcpt = with_bcc("louisl@larry.slip.umd.edu");
    const std::string remote = with_bcc("mx.example");
    const std::string reply_cr = "user unknown\rBcc: victim@example.com";
    using e = delivery_report_error;
    CHECK(error_after([&](auto& r, auto&) { r.from.addr_spec = from; }) == e::invalid_address);
    CHECK(error_after([&](auto& r, auto&) { r.from.display_name = name; }) == e::invalid_text);
    CHECK(error_after([&](auto& r, auto&) { r.original_reverse_path = to; }) == e::invalid_address);
    CHECK(error_after([&](auto& r, auto&) { r.subject = subject; }) == e::invalid_text);
    CHECK(error_after([&](auto& r, auto&) { r.message_id = id; }) == e::invalid_message_id);
    CHECK(error_after([&](auto& r, auto&) { r.reporting_mta = mta; }) == e::invalid_reporting_mta);
    CHECK(error_after([&](auto& r, auto&) { r.envelope_id = envid; }) == e::invalid_envelope_id);
    CHECK(error_after([&](auto&, auto& p) { p.original_recipient = orcpt; }) ==
          e::invalid_original_recipient);
    CHECK(error_after([&](auto&, auto& p) { p.final_recipient = final_rcpt; }) == e::invalid_address);
    CHECK(error_after([&](auto&, auto& p) { p.remote_mta = remote; }) == e::invalid_remote_mta);
    CHECK(error_after([&](auto&, auto& p) { p.diagnostic.text = reply_cr; }) == e::invalid_diagnostic);

    // '\n' separates reply lines: each becomes a continuation line starting with a space,
    // an empty one the bare code, so no line of the report is a field of its own.
    report_recipient p = louisl();
    p.diagnostic.text = "user unknown\n\nBcc: victim@example.com";
    delivery_report r = rfc3464_simple(&p);
    r.explanation = "";
    const std::string report = compose(r);
    const parsed m = parse(report);
    CHECK(field(blocks(m.parts[1].body)[1], "Diagnostic-Code") ==
          "smtp; 426-user unknown 426- 426 Bcc: victim@example.com");
    CHECK(report.find("\r\nBcc:") == std::string::npos);
}

TEST_CASE("delivery report: every error, and nothing written") {
    using e = delivery_report_error;
    CHECK(error_after([](auto&, auto&) {}) == e::ok);

    CHECK(error_after([](auto& r, auto&) { r.from.addr_spec = "MAILER-DAEMON"; }) == e::invalid_address);
    CHECK(error_after([](auto& r, auto&) { r.from.addr_spec = "m\xc3\xa9@cs.utk.edu"; }) ==
          e::invalid_address);
    CHECK(error_after([](auto& r, auto&) { r.original_reverse_path = "owner info@cs.utk.edu"; }) ==
          e::invalid_address);
    CHECK(error_after([](auto& r, auto&) { r.original_reverse_path = "<owner-info-mime@cs.utk.edu>"; }) ==
          e::invalid_address);
    CHECK(error_after([](auto&, auto& p) { p.final_recipient = "louisl"; }) == e::invalid_address);
    CHECK(error_after([](auto&, auto& p) { p.final_recipient = ""; }) == e::invalid_address);

    CHECK(error_after([](auto& r, auto&) { r.subject = "a\0b"sv; }) == e::invalid_text);
    CHECK(error_after([](auto& r, auto&) { r.subject = "\xff"; }) == e::invalid_text);
    CHECK(error_after([](auto& r, auto&) { r.from.display_name = "Mail\rDelivery"; }) == e::invalid_text);
    CHECK(error_after([](auto& r, auto&) { r.explanation = "bad \xc3 UTF-8"; }) == e::invalid_text);

    CHECK(error_after([](auto& r, auto&) { r.date = {report_date, 6000}; }) == e::invalid_date);
    CHECK(error_after([](auto& r, auto&) { r.arrival_date = date_time{-3000000000, 0}; }) ==
          e::invalid_date);
    CHECK(error_after([](auto&, auto& p) { p.last_attempt_date = date_time{last_attempt, -6000}; }) ==
          e::invalid_date);

    CHECK(error_after([](auto& r, auto&) { r.reporting_mta = ""; }) == e::invalid_reporting_mta);
    CHECK(error_after([](auto& r, auto&) { r.reporting_mta = "cs utk.edu"; }) == e::invalid_reporting_mta);
    CHECK(error_after([](auto& r, auto&) { r.reporting_mta = "cs.utk.edu."; }) == e::invalid_reporting_mta);
    CHECK(error_after([](auto& r, auto&) { r.reporting_mta = "[300.0.0.1]"; }) == e::invalid_reporting_mta);

    const std::string long_left(990, 'i');
    CHECK(error_after([](auto& r, auto&) { r.message_id = ""; }) == e::invalid_message_id);
    CHECK(error_after([](auto& r, auto&) { r.message_id = "<no-at-sign>"; }) == e::invalid_message_id);
    CHECK(error_after([](auto& r, auto&) { r.message_id = "a..b"; }) == e::invalid_message_id);
    CHECK(error_after([](auto& r, auto&) { r.message_id = "two words"; }) == e::invalid_message_id);
    CHECK(error_after([&](auto& r, auto&) { r.message_id = long_left; }) == e::invalid_message_id);

    const std::string long_envid(101, 'e');
    CHECK(error_after([](auto& r, auto&) { r.envelope_id = "two words"; }) == e::invalid_envelope_id);
    CHECK(error_after([&](auto& r, auto&) { r.envelope_id = long_envid; }) == e::invalid_envelope_id);
    CHECK(error_after([](auto& r, auto&) { r.envelope_id = "+2B"; }) == e::ok);  // taken as it is
    CHECK(error_after([](auto& r, auto&) { r.envelope_id = "\xc3\xa9"; }) == e::invalid_envelope_id);

    CHECK(error_after([](auto& r, auto&) { r.recipient_count = 0; }) == e::no_recipients);
    CHECK(error_after([](auto& r, auto&) { r.recipients = nullptr; }) == e::no_recipients);

    const auto orcpt_error = [](std::string_view orcpt) {
        return error_after([orcpt](auto&, auto& p) { p.original_recipient = orcpt; });
    };
    CHECK(orcpt_error("louisl@larry.slip.umd.edu") == e::invalid_original_recipient);
    CHECK(orcpt_error(";louisl@larry.slip.umd.edu") == e::invalid_original_recipient);
    CHECK(orcpt_error("rfc822;") == e::invalid_original_recipient);
    CHECK(orcpt_error("rfc 822;x@y") == e::invalid_original_recipient);
    CHECK(orcpt_error("rfc822;j\xc3\xb6@y") == e::invalid_original_recipient);
    CHECK(orcpt_error("rfc822;with space@y") == e::ok);  // RFC 3461 §4.2 allows SP

    const auto status_error = [](delivery_action a, enhanced_status s) {
        return error_after([a, s](auto&, auto& p) {
            p.action = a;
            p.status = s;
        });
    };
    CHECK(status_error(delivery_action::failed, {}) == e::invalid_status);
    CHECK(status_error(delivery_action::failed, {3, 0, 0}) == e::invalid_status);
    CHECK(status_error(delivery_action::failed, {5, 1000, 0}) == e::invalid_status);
    CHECK(status_error(delivery_action::failed, {2, 0, 0}) == e::invalid_status);
    CHECK(status_error(delivery_action::failed, {5, 1, 1}) == e::ok);
    CHECK(status_error(delivery_action::delayed, {5, 0, 0}) == e::invalid_status);
    CHECK(status_error(delivery_action::delayed, {2, 0, 0}) == e::invalid_status);
    CHECK(status_error(delivery_action::delayed, {4, 4, 1}) == e::ok);
    for (delivery_action a : {delivery_action::delivered, delivery_action::relayed, delivery_action::expanded}) {
        CHECK(status_error(a, {4, 0, 0}) == e::invalid_status);
        CHECK(status_error(a, {5, 0, 0}) == e::invalid_status);
        CHECK(status_error(a, {2, 0, 0}) == e::ok);
    }

    CHECK(error_after([](auto&, auto& p) { p.remote_mta = "two words"; }) == e::invalid_remote_mta);
    CHECK(error_after([](auto&, auto& p) { p.remote_mta = "-.example"; }) == e::invalid_remote_mta);

    const std::string too_long_word(max_diagnostic_word + 1, 'w');
    const std::string longest_word(max_diagnostic_word, 'w');
    const auto diagnostic_error = [](reply d) { return error_after([d](auto&, auto& p) { p.diagnostic = d; }); };
    CHECK(diagnostic_error({199, {}, "x"}) == e::invalid_diagnostic);
    CHECK(diagnostic_error({600, {}, "x"}) == e::invalid_diagnostic);
    CHECK(diagnostic_error({470, {}, "x"}) == e::invalid_diagnostic);
    CHECK(diagnostic_error({426, {5, 0, 0}, "x"}) == e::invalid_diagnostic);
    CHECK(diagnostic_error({426, {4, 1000, 0}, "x"}) == e::invalid_diagnostic);
    CHECK(diagnostic_error({426, {}, "tab\tseparated"}) == e::invalid_diagnostic);
    CHECK(diagnostic_error({426, {}, "del\x7f"}) == e::invalid_diagnostic);
    CHECK(diagnostic_error({426, {}, "Empf\xc3\xa4nger unbekannt"}) == e::invalid_diagnostic);
    CHECK(diagnostic_error({426, {}, "a\0b"sv}) == e::invalid_diagnostic);
    CHECK(diagnostic_error({426, {}, too_long_word}) == e::invalid_diagnostic);
    CHECK(diagnostic_error({426, {}, longest_word}) == e::ok);
    CHECK(diagnostic_error({426, {4, 4, 1}, ""}) == e::ok);
    CHECK(diagnostic_error({0, {}, "not written"}) == e::ok);

    const std::string nul = "Subject: x\r\n\r\nNUL \0 here\r\n"s;
    const std::string long_header = "Subject: " + std::string(max_line_octets, 's') + "\r\n\r\nbody\r\n";
    const auto returned_error = [](returned_content what, std::string_view message) {
        return error_after([what, message](auto& r, auto&) {
            r.returned = what;
            r.original_message = message;
        });
    };
    CHECK(returned_error(returned_content::full, "") == e::invalid_returned_message);
    CHECK(returned_error(returned_content::full, nul) == e::invalid_returned_message);
    CHECK(returned_error(returned_content::headers, nul) == e::ok);  // the NUL is in the body
    CHECK(returned_error(returned_content::headers, "") == e::invalid_returned_message);
    CHECK(returned_error(returned_content::headers, "\r\nbody without header\r\n") ==
          e::invalid_returned_message);
    CHECK(returned_error(returned_content::headers, long_header) == e::invalid_returned_message);
    CHECK(returned_error(returned_content::full, long_header) == e::invalid_returned_message);
    CHECK(returned_error(returned_content::none, nul) == e::ok);
}

TEST_CASE("delivery report: errors are checked in the documented order") {
    report_recipient p = louisl();
    p.status = {};  // the recipient is wrong
    delivery_report r = rfc3464_simple(&p);
    r.original_message = "";  // and the returned message
    CHECK(error_of(r) == delivery_report_error::invalid_status);
    r.envelope_id = "two words";
    CHECK(error_of(r) == delivery_report_error::invalid_envelope_id);
    r.message_id = "";
    CHECK(error_of(r) == delivery_report_error::invalid_message_id);
    r.reporting_mta = "";
    CHECK(error_of(r) == delivery_report_error::invalid_reporting_mta);
    r.date = {0, 10000};
    CHECK(error_of(r) == delivery_report_error::invalid_date);
    r.subject = "\n";
    CHECK(error_of(r) == delivery_report_error::invalid_text);
    r.from.addr_spec = "";
    CHECK(error_of(r) == delivery_report_error::invalid_address);
    r.original_reverse_path = "";
    CHECK(error_of(r) == delivery_report_error::null_reverse_path);
}

TEST_CASE("delivery report: the buffer is written only when all of the report fits") {
    const report_recipient p = louisl();
    const delivery_report r = rfc3464_simple(&p);
    const std::string whole = compose(r);
    std::string small(whole.size() - 1, '#');
    const delivery_report_result res = compose_delivery_report(r, small.data(), small.size());
    CHECK(res.error == delivery_report_error::buffer_too_small);
    CHECK(res.size == whole.size());
    CHECK(res.envelope.options.size == whole.size());
    CHECK(res.envelope.original_sender.address == "owner-info-mime@cs.utk.edu");
    CHECK(small == std::string(whole.size() - 1, '#'));
}

TEST_CASE("delivery report: to_string names every error and action") {
    std::map<std::string, int> seen;
    for (int e = 0; e <= static_cast<int>(delivery_report_error::invalid_returned_message); ++e) {
        const std::string_view s = to_string(static_cast<delivery_report_error>(e));
        CHECK(s.find("unknown") == std::string_view::npos);
        ++seen[std::string(s)];
    }
    CHECK(seen.size() == static_cast<std::size_t>(delivery_report_error::invalid_returned_message) + 1);
    CHECK(to_string(delivery_action::failed) == "failed");
    CHECK(to_string(delivery_action::delayed) == "delayed");
    CHECK(to_string(delivery_action::delivered) == "delivered");
    CHECK(to_string(delivery_action::relayed) == "relayed");
    CHECK(to_string(delivery_action::expanded) == "expanded");
}
