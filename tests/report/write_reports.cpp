// Writes delivery reports made by compose_delivery_report() into a directory, for
// check_reports.py to read back with Python's email package. For each report NAME:
// NAME.eml (the report), NAME.original (the message it is about) and NAME.envelope (the
// envelope to send it in, one "key=value" a line).
//
// Run: smtpwire-write-reports DIR
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>

#include "smtpwire/compose/delivery_report.hpp"
#include "smtpwire/xtext.hpp"

using namespace smtpwire;
using namespace smtpwire::compose;

namespace {

constexpr std::int64_t report_date = 773615765;   // Thu, 7 Jul 1994 17:16:05 -0400
constexpr std::int64_t last_attempt = 773615749;  // Thu, 7 Jul 1994 17:15:49 -0400
constexpr std::int64_t arrival = 773183428;       // Sat, 2 Jul 1994 17:10:28 -0400

const std::string plain_message =
    "From: owner-info-mime@cs.utk.edu\r\n"
    "To: louisl@larry.slip.umd.edu\r\n"
    "Subject: MIME test\r\n"
    "Message-ID: <original.1@cs.utk.edu>\r\n"
    "\r\n"
    "Hello.\r\n"
    "\r\n"
    ".A line that began with a dot.\r\n";

bool write_file(const std::string& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return static_cast<bool>(out);
}

// Writes NAME.eml, NAME.original and NAME.envelope; false on any error.
bool write_report(const std::string& dir, const std::string& name, const delivery_report& r) {
    const delivery_report_result measured = compose_delivery_report(r, nullptr, 0);
    if (measured.error != delivery_report_error::buffer_too_small) {
        std::fprintf(stderr, "%s: %s\n", name.c_str(), std::string(to_string(measured.error)).c_str());
        return false;
    }
    std::string report(measured.size, '\0');
    const delivery_report_result res = compose_delivery_report(r, report.data(), report.size());
    if (res.error != delivery_report_error::ok) return false;
    const envelope env = res.envelope.to_envelope();
    std::string envelope_text = "sender=" + std::string(env.sender) + "\n";
    for (std::size_t i = 0; i < env.recipient_count; ++i) {
        envelope_text += "recipient=" + std::string(env.recipients[i].address) + "\n";
        envelope_text += std::string("notify_never=") + (env.recipients[i].notify.never ? "1" : "0") + "\n";
    }
    envelope_text += "size=" + std::to_string(env.options.size) + "\n";
    envelope_text += "body=" + std::string(to_string(env.options.body)) + "\n";
    return write_file(dir + "/" + name + ".eml", report) &&
           write_file(dir + "/" + name + ".original", r.original_message) &&
           write_file(dir + "/" + name + ".envelope", envelope_text);
}

delivery_report base(const report_recipient* recipients, std::size_t count) {
    delivery_report r;
    r.from = {"Mail Delivery Subsystem", "MAILER-DAEMON@cs.utk.edu"};
    r.original_reverse_path = "owner-info-mime@cs.utk.edu";
    r.date = {report_date, -240};
    r.message_id = "RAA14128.773615765";
    r.reporting_mta = "cs.utk.edu";
    r.recipients = recipients;
    r.recipient_count = count;
    r.original_message = plain_message;
    return r;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 64;
    }
    const std::string dir = argv[1];
    bool ok = true;

    // RFC 3464 §9.1: one recipient failed after repeated attempts; the whole message
    // returned (RET=FULL); the ENVID arrived as the xtext "QQ+2B314159".
    {
        report_recipient p;
        p.original_recipient = "rfc822;louisl@larry.slip.umd.edu";
        p.final_recipient = "louisl@larry.slip.umd.edu";
        p.status = {4, 0, 0};
        p.diagnostic = {426, {}, "connection timed out"};
        p.last_attempt_date = date_time{last_attempt, -240};
        delivery_report r = base(&p, 1);
        r.subject = "Returned mail: Cannot send message for 5 days";
        r.explanation = "The original message was received at Sat, 2 Jul 1994 17:10:28 -0400\n"
                        "from root@localhost\n";
        char envid[dsn_envid_max]{};
        std::size_t envid_size = 0;
        if (!xtext_decode("QQ+2B314159", envid, envid_size)) return 1;
        r.envelope_id = std::string_view(envid, envid_size);
        r.arrival_date = date_time{arrival, -240};
        r.returned = returned_content_for(dsn_return::full, true);
        ok = write_report(dir, "simple", r) && ok;
    }

    // RFC 3464 §9.2: three recipients, two failed and one delayed; RET=HDRS; the subject
    // and explanation written by the library.
    {
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
        p[2].final_recipient = "wsnell@sdcc13.ucsd.edu";
        p[2].status = {5, 0, 0};
        p[2].remote_mta = "sdcc13.ucsd.edu";
        p[2].diagnostic = {550, {}, "user unknown"};
        delivery_report r = base(p, 3);
        r.returned = returned_content_for(dsn_return::headers, true);
        ok = write_report(dir, "multi", r) && ok;
    }

    // UTF-8: subject, explanation and a returned message with 8-bit content.
    {
        report_recipient p;
        p.final_recipient = "jose@example.es";
        p.status = {5, 2, 2};
        p.remote_mta = "[192.0.2.25]";
        p.diagnostic = {552, {5, 2, 2}, "Mailbox full\nQuota exceeded (mailbox for user is full)"};
        delivery_report r = base(&p, 1);
        r.from = {"Système de messagerie", "postmaster@cs.utk.edu"};
        r.subject = "Non remis : «Déjà vu»";
        r.explanation = "Votre message n'a pas pu être remis à jose@example.es.\n";
        r.message_id = "<8bit.773615765@cs.utk.edu>";
        r.original_message = "From: owner-info-mime@cs.utk.edu\r\n"
                             "To: jose@example.es\r\n"
                             "Subject: =?UTF-8?B?RMOpasOgIHZ1?=\r\n"
                             "MIME-Version: 1.0\r\n"
                             "Content-Type: text/plain; charset=UTF-8\r\n"
                             "Content-Transfer-Encoding: 8bit\r\n"
                             "\r\n"
                             "D\xc3\xa9j\xc3\xa0 vu, d\xc3\xa9j\xc3\xa0 lu.\r\n";
        r.returned = returned_content::full;
        ok = write_report(dir, "eight_bit", r) && ok;
    }

    // The first boundary candidates in the explanation and in the returned message, a
    // multipart message whose own boundary is the first candidate.
    {
        report_recipient p;
        p.final_recipient = "louisl@larry.slip.umd.edu";
        p.status = {5, 1, 1};
        p.diagnostic = {550, {5, 1, 1}, "--=_smtpwire-report-1000000000000000"};
        delivery_report r = base(&p, 1);
        r.explanation = "--=_smtpwire-report-2000000000000000\n";
        r.original_message = "From: owner-info-mime@cs.utk.edu\r\n"
                             "Subject: parts\r\n"
                             "MIME-Version: 1.0\r\n"
                             "Content-Type: multipart/mixed; boundary=\"=_smtpwire-report-0000000000000000\"\r\n"
                             "\r\n"
                             "--=_smtpwire-report-0000000000000000\r\n"
                             "Content-Type: text/plain\r\n"
                             "\r\n"
                             "first part\r\n"
                             "--=_smtpwire-report-0000000000000000\r\n"
                             "Content-Type: text/plain\r\n"
                             "\r\n"
                             "second part\r\n"
                             "--=_smtpwire-report-0000000000000000--\r\n";
        r.returned = returned_content::full;
        ok = write_report(dir, "boundary", r) && ok;
    }

    // Successes: delivered, relayed and expanded; NOTIFY=SUCCESS asked for them, and
    // nothing of the message is returned.
    {
        report_recipient p[3];
        p[0].final_recipient = "louisl@larry.slip.umd.edu";
        p[0].action = delivery_action::delivered;
        p[0].status = {2, 0, 0};
        p[0].diagnostic = {250, {2, 0, 0}, "Ok: queued as 4F2A1"};
        p[1].final_recipient = "old@legacy.example";
        p[1].action = delivery_action::relayed;
        p[1].status = {2, 0, 0};
        p[1].remote_mta = "legacy.example";
        p[2].final_recipient = "list@cs.utk.edu";
        p[2].original_recipient = "rfc822;List@CS.UTK.EDU";
        p[2].action = delivery_action::expanded;
        p[2].status = {2, 0, 0};
        delivery_report r = base(p, 3);
        r.returned = returned_content::none;
        r.original_message = "";
        ok = write_report(dir, "success", r) && ok;
    }

    // A long multi-line reply, folded in Diagnostic-Code and wrapped in the explanation.
    {
        report_recipient p;
        p.final_recipient = "nobody@gmail.example";
        p.status = {5, 1, 1};
        p.remote_mta = "gmail-smtp-in.l.google.example";
        p.diagnostic = {550, {5, 1, 1},
                        "The email account that you tried to reach does not exist. Please try\n"
                        "double-checking the recipient's email address for typos or\n"
                        "unnecessary spaces. For more information, go to\n"
                        "https://support.google.example/mail/?p=NoSuchUser"};
        delivery_report r = base(&p, 1);
        r.returned = returned_content::headers;
        ok = write_report(dir, "folded", r) && ok;
    }
    return ok ? 0 : 1;
}
