// The delivery report example docs/building-blocks.md shows, compiled and run as written.
#include "smtpwire/smtpwire.hpp"

#include "support/catch.hpp"

#include <string>
#include <string_view>

namespace delivery_report_readme {

using namespace smtpwire;

// delivery report example begin
// A failure report about `original`, sent by `sender` with RET `ret`, for `rcpt`, which
// the next hop refused with `refusal`. Empty when none is due or none can be made; else
// send it with client_session::send_mail(envelope.to_envelope(), report).
std::string bounce(std::string_view sender, dsn_return ret, const recipient& rcpt,
                   const reply& refusal, std::string_view original,
                   compose::report_envelope& envelope) {
    using namespace compose;
    if (!report_due(rcpt.notify, delivery_action::failed, default_notify::failure)) return {};
    report_recipient failed;
    failed.original_recipient = rcpt.orcpt;           // ORCPT, "rfc822;..." or empty
    failed.final_recipient = rcpt.address;
    failed.action = delivery_action::failed;
    failed.status = refusal.status.empty() ? enhanced_status{5, 0, 0} : refusal.status;
    failed.remote_mta = "mx.example.net";
    failed.diagnostic = refusal;
    delivery_report report;
    report.from = {"Mail Delivery System", "MAILER-DAEMON@relay.example.com"};
    report.original_reverse_path = sender;            // "" (<>) is refused: no report
    report.date = {1796195217, 0};                    // now, from the application's clock
    report.message_id = "1796195217.12877.1";         // unique; "@relay.example.com" is added
    report.reporting_mta = "relay.example.com";
    report.recipients = &failed;
    report.recipient_count = 1;
    report.returned = returned_content_for(ret, true);  // the whole message, or its header
    report.original_message = original;
    std::string out(compose_delivery_report(report, nullptr, 0).size, '\0');
    const delivery_report_result r = compose_delivery_report(report, out.data(), out.size());
    if (r.error != delivery_report_error::ok) return {};
    envelope = r.envelope;                            // MAIL FROM:<>, RCPT TO:<sender>
    return out;
}
// delivery report example end

} // namespace delivery_report_readme

TEST_CASE("delivery report example: a bounce to the sender, none to <> or when not asked") {
    using namespace smtpwire;
    const std::string original = "From: alice@example.org\r\nSubject: hi\r\n\r\nHello.\r\n";
    recipient rcpt{"bob@example.net", {}, {}, "rfc822;Bob@example.net"};
    const reply refusal{550, {5, 1, 1}, "No such user"};
    compose::report_envelope sending;

    const std::string report =
        delivery_report_readme::bounce("alice@example.org", dsn_return::headers, rcpt, refusal, original, sending);
    REQUIRE_FALSE(report.empty());
    CHECK(report.find("\r\nTo: alice@example.org\r\n") != std::string::npos);
    CHECK(report.find("\r\nMessage-ID: <1796195217.12877.1@relay.example.com>\r\n") != std::string::npos);
    CHECK(report.find("\r\n\r\nReporting-MTA: dns; relay.example.com\r\n\r\n"
                      "Original-Recipient: rfc822;Bob@example.net\r\n"
                      "Final-Recipient: rfc822;bob@example.net\r\n"
                      "Action: failed\r\n"
                      "Status: 5.1.1\r\n"
                      "Remote-MTA: dns; mx.example.net\r\n"
                      "Diagnostic-Code: smtp; 550 5.1.1 No such user\r\n\r\n") != std::string::npos);
    CHECK(report.find("Content-Type: text/rfc822-headers\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
                      "From: alice@example.org\r\nSubject: hi\r\n\r\n--") != std::string::npos);
    CHECK(report.find("Hello.") == std::string::npos);  // RET=HDRS: the header only
    const envelope env = sending.to_envelope();
    CHECK(env.sender.empty());
    REQUIRE(env.recipient_count == 1);
    CHECK(env.recipients[0].address == "alice@example.org");
    CHECK(env.options.size == report.size());

    // RET=FULL, and a reply without an enhanced status: 5.0.0 in Status.
    const std::string full = delivery_report_readme::bounce("alice@example.org", dsn_return::full, rcpt,
                                                            reply{550, {}, "No such user"}, original, sending);
    CHECK(full.find("Content-Type: message/rfc822\r\n") != std::string::npos);
    CHECK(full.find("\r\nHello.\r\n") != std::string::npos);
    CHECK(full.find("\r\nStatus: 5.0.0\r\n") != std::string::npos);

    // Never to the null reverse path; not for NOTIFY=NEVER or NOTIFY=SUCCESS.
    CHECK(delivery_report_readme::bounce("", dsn_return::full, rcpt, refusal, original, sending).empty());
    rcpt.notify.never = true;
    CHECK(delivery_report_readme::bounce("alice@example.org", dsn_return::full, rcpt, refusal, original, sending)
              .empty());
    rcpt.notify = {false, true, false, false};
    CHECK(delivery_report_readme::bounce("alice@example.org", dsn_return::full, rcpt, refusal, original, sending)
              .empty());
}
