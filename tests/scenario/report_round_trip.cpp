// A delivery report sent as compose_delivery_report() says, with client_session::send_mail()
// to server_session through memory: MAIL FROM:<> and one RCPT, the original sender, with
// the report as content, byte for byte (RFC 3461 §6.1, RFC 5321 §4.5.5).
#include "smtpwire/compose/delivery_report.hpp"
#include "support/catch.hpp"

#include <string>
#include <vector>

#include "smtpwire/client_session.hpp"
#include "smtpwire/server_session.hpp"
#include "support/client_driver.hpp"
#include "support/server_driver.hpp"
#include "support/session_pair.hpp"

using namespace smtpwire;
using namespace smtpwire_test;
using compose::compose_delivery_report;
using compose::delivery_report;
using compose::delivery_report_error;
using compose::delivery_report_result;
using compose::report_recipient;
using compose::returned_content;

namespace {

// What server_session saw of the transaction.
struct arrival {
    path_kind reverse_path = path_kind::mailbox;
    mail_parameters mail{};
    std::vector<std::string> recipients;  // each forward path, as received
    std::vector<dsn_notify> notify;
    std::string parameters;               // MAIL's and RCPT's parameters as received
    std::string content;
    std::vector<std::string> client_events;
};

// Runs one session pair: the client sends `report` in `how`, the server offers `offered`
// and accepts everything.
arrival deliver(const std::string& report, const compose::report_envelope& how,
                extension_set offered) {
    server_config sc;
    sc.hostname = "owner.example";
    sc.extensions = offered;
    server_session server(sc);
    client_config cc;
    cc.helo_name = "cs.utk.edu";
    client_session client(cc);
    const envelope env = how.to_envelope();

    arrival a;
    session_pair pair(server, client, [](std::size_t n) { return n; });
    const auto on_server = [&](const server_event& ev) {
        if (const auto* b = std::get_if<body_chunk>(&ev)) {
            a.content += b->bytes;
        } else if (const auto* m = std::get_if<mail_from>(&ev)) {
            a.reverse_path = m->reverse_path.kind;
            a.mail = m->parameters;
            a.parameters += std::string(m->parameters.raw) + ";";
            REQUIRE(server.accept() == errc::ok);
        } else if (const auto* r = std::get_if<rcpt_to>(&ev)) {
            a.recipients.emplace_back(r->forward_path.raw);
            a.notify.push_back(r->parameters.notify);
            a.parameters += std::string(r->parameters.raw) + ";";
            REQUIRE(server.accept() == errc::ok);
        } else if (is_decision(ev)) {
            REQUIRE(server.accept() == errc::ok);
        }
    };
    const auto on_client = [&](const client_event& ev) {
        if (std::holds_alternative<ready>(ev)) {
            REQUIRE(client.send_mail(env, report) == errc::ok);
        } else if (std::holds_alternative<transaction_done>(ev)) {
            a.client_events.push_back(describe(ev));
            REQUIRE(client.quit() == errc::ok);
        }
    };
    CHECK(pair.run(on_server, on_client, 100'000));  // both sides done
    return a;
    CHECK(client.done());
    CHECK(server.done());
    return a;
}

std::string composed(const delivery_report& r, delivery_report_result& result) {
    std::string out(compose_delivery_report(r, nullptr, 0).size, '\0');
    result = compose_delivery_report(r, out.data(), out.size());
    REQUIRE(result.error == delivery_report_error::ok);
    return out;
}

delivery_report failure_report(const report_recipient* p) {
    delivery_report r;
    r.from = {"Mail Delivery System", "MAILER-DAEMON@cs.utk.edu"};
    r.original_reverse_path = "owner-info-mime@owner.example";
    r.date = {773615765, -240};
    r.message_id = "RAA14128.773615765";
    r.reporting_mta = "cs.utk.edu";
    r.recipients = p;
    r.recipient_count = 1;
    r.returned = returned_content::full;
    r.original_message = "From: owner-info-mime@owner.example\r\nSubject: hi\r\n\r\n.a line with a dot\r\n";
    return r;
}

report_recipient louisl() {
    report_recipient p;
    p.final_recipient = "louisl@larry.slip.umd.edu";
    p.status = {5, 1, 1};
    p.diagnostic = {550, {5, 1, 1}, "user unknown"};
    return p;
}

} // namespace

TEST_CASE("report round trip: from <> to the original sender, with NOTIFY=NEVER and SIZE") {
    const report_recipient p = louisl();
    delivery_report_result result{};
    const std::string report = composed(failure_report(&p), result);
    const arrival a = deliver(report, result.envelope,
                              {extension::pipelining, extension::size, extension::eight_bit_mime,
                               extension::enhanced_status_codes, extension::dsn});
    CHECK(a.reverse_path == path_kind::null_path);
    CHECK(a.mail.has_size);
    CHECK(a.mail.size == report.size());
    CHECK(a.mail.body == body_type::unspecified);
    CHECK(a.mail.ret == dsn_return::unspecified);
    CHECK(a.mail.envid.empty());
    CHECK(a.recipients == std::vector<std::string>{"owner-info-mime@owner.example"});
    REQUIRE(a.notify.size() == 1);
    CHECK(a.notify[0] == dsn_notify{true, false, false, false});
    CHECK(a.content == report);  // dot-stuffing undone by the server
    CHECK(a.client_events == std::vector<std::string>{"done success 1/1 250 2.0.0 OK"});
}

TEST_CASE("report round trip: 8-bit returned content asks for BODY=8BITMIME") {
    const report_recipient p = louisl();
    delivery_report r = failure_report(&p);
    r.original_message = "Subject: caf\xc3\xa9\r\n\r\nD\xc3\xa9j\xc3\xa0 vu\r\n";
    delivery_report_result result{};
    const std::string report = composed(r, result);
    const arrival a = deliver(report, result.envelope,
                              {extension::pipelining, extension::size, extension::eight_bit_mime,
                               extension::enhanced_status_codes});
    CHECK(a.reverse_path == path_kind::null_path);
    CHECK(a.mail.body == body_type::eight_bit_mime);
    CHECK(a.content == report);
    // Without DSN offered the client leaves NOTIFY out.
    CHECK(a.parameters == " SIZE=" + std::to_string(report.size()) + " BODY=8BITMIME;;");
    CHECK(a.notify == std::vector<dsn_notify>{dsn_notify{}});
}
