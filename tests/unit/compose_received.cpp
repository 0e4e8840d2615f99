#include "smtpwire/compose/received.hpp"
#include "support/catch.hpp"

#include <cstdint>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "smtpwire/command.hpp"

using namespace std::string_view_literals;
using smtpwire::verb;
using smtpwire::compose::compose_received;
using smtpwire::compose::max_received_size;
using smtpwire::compose::received;
using smtpwire::compose::received_error;
using smtpwire::compose::received_protocol;
using smtpwire::compose::received_protocol_for;

namespace {

constexpr std::int64_t nov_23_2026 = 1795432854; // 2026-11-23T11:20:54Z

received basic() {
    received r;
    r.from_domain = "client.example";
    r.peer_address = "192.0.2.1";
    r.by_domain = "mx.example";
    r.with = received_protocol::esmtp;
    r.date = {nov_23_2026, 0};
    return r;
}

// The field, or "<error>" after checking that nothing was written.
std::string compose(const received& r) {
    std::string buf(max_received_size + 1, '#');
    const auto res = compose_received(r, buf.data(), max_received_size);
    if (res.error != received_error::ok) {
        CHECK(res.size == 0);
        CHECK(buf == std::string(max_received_size + 1, '#'));
        return "<" + std::string(to_string(res.error)) + ">";
    }
    CHECK(res.size <= max_received_size);
    CHECK(buf[res.size] == '#');
    return buf.substr(0, res.size);
}

received_error error_of(const received& r) {
    char buf[max_received_size];
    return compose_received(r, buf, sizeof buf).error;
}

std::vector<std::string> physical_lines(const std::string& field) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t end; (end = field.find("\r\n", start)) != std::string::npos; start = end + 2)
        lines.push_back(field.substr(start, end - start));
    CHECK(start == field.size()); // ends with CRLF
    return lines;
}

// RFC 5322 §2.2.3: unfolding removes each CRLF that is followed by WSP.
std::string unfold(const std::string& field) {
    std::string out;
    for (std::size_t i = 0; i < field.size(); ++i) {
        if (field.compare(i, 2, "\r\n") == 0 && i + 2 < field.size() &&
            (field[i + 2] == ' ' || field[i + 2] == '\t')) {
            ++i;
            continue;
        }
        out += field[i];
    }
    return out;
}

// RFC 5321 §4.4, with FWS and CFWS as the single space unfolding leaves:
//   Time-stamp-line = "Received:" FWS Stamp <CRLF>
//   Stamp = From-domain By-domain Opt-info [CFWS] ";" FWS date-time
//   From-domain = "FROM" FWS Extended-Domain;  By-domain = CFWS "BY" FWS Extended-Domain
//   Extended-Domain = Domain / ( Domain FWS "(" TCP-info ")" ) /
//                     ( address-literal FWS "(" TCP-info ")" );  TCP-info = address-literal
//   Opt-info = [Via] [With] [ID] [For];  With = CFWS "WITH" FWS Protocol
//   ID = CFWS "ID" FWS ( Atom / msg-id );  For = CFWS "FOR" FWS ( Path / Mailbox )
// and RFC 5322 §3.3 date-time as format_date() writes it.
const std::regex& stamp_grammar() {
    static const std::string label = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?";
    static const std::string domain = label + "(?:\\." + label + ")*";
    static const std::string literal =
        "\\[(?:[0-9]{1,3}(?:\\.[0-9]{1,3}){3}|IPv6:[0-9A-Fa-f:.]+)\\]";
    static const std::string atext = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";
    static const std::string dot_atom = atext + "+(?:\\." + atext + "+)*";
    static const std::string msg_id = "<" + dot_atom + "@(?:" + dot_atom + "|\\[[!-Z^-~]*\\])>";
    static const std::string local = "(?:" + dot_atom + "|\"(?:[ !#-\\[\\]-~]|\\\\[ -~])*\")";
    static const std::string date =
        "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} "
        "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
        "[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}";
    static const std::regex grammar(
        "Received: from (?:" + domain + "|" + literal + ")(?: \\(" + literal + "\\))?" +
            " by " + domain + "(?: with " + atext + "+)?(?: id (?:" + atext + "+|" + msg_id +
            "))?(?: for <" + local + "@(?:" + domain + "|" + literal + ")>)?; " + date + "\r\n",
        std::regex::ECMAScript);
    return grammar;
}

// Checks the form of a field: CRLF line ends, continuation lines starting with a space,
// no line of whitespace only, lines within 78 octets unless `long_words`, always within
// 998; and, unfolded, the RFC 5321 Stamp grammar (ASCII fields only).
void check_form(const std::string& field, bool long_words = false, bool ascii = true) {
    INFO(field);
    const std::vector<std::string> lines = physical_lines(field);
    REQUIRE(!lines.empty());
    CHECK(lines[0].rfind("Received: ", 0) == 0);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string& line = lines[i];
        CHECK(line.find_first_of("\r\n") == std::string::npos);
        CHECK(line.find_first_not_of(' ') != std::string::npos);
        if (i > 0) CHECK(line[0] == ' ');
        if (i > 0) CHECK(line[1] != ' ');
        CHECK(line.size() <= 998);
        if (!long_words) CHECK(line.size() <= 78);
    }
    if (ascii) CHECK(std::regex_match(unfold(field), stamp_grammar()));
}

constexpr bool constexpr_compose() {
    received r;
    r.from_domain = "a.example";
    r.by_domain = "b.example";
    r.date = {0, 0};
    char buf[max_received_size] = {};
    const auto res = compose_received(r, buf, sizeof buf);
    return res.error == received_error::ok &&
           std::string_view(buf, res.size) ==
               "Received: from a.example by b.example with ESMTP;\r\n"
               " Thu, 01 Jan 1970 00:00:00 +0000\r\n";
}
static_assert(constexpr_compose());

} // namespace

TEST_CASE("compose received: every clause, folded before clauses") {
    received r = basic();
    r.with = received_protocol::esmtps;
    r.id = "<1796195217.390448.12877.1@mx.example>";
    r.for_mailbox = "user@example.com";
    r.date = {nov_23_2026, 60};
    const std::string field = compose(r);
    CHECK(field == "Received: from client.example ([192.0.2.1]) by mx.example with ESMTPS\r\n"
                   " id <1796195217.390448.12877.1@mx.example> for <user@example.com>;\r\n"
                   " Mon, 23 Nov 2026 12:20:54 +0100\r\n");
    check_form(field);
    // The grammar check is not vacuous.
    const std::string date = "; Mon, 23 Nov 2026 11:20:54 +0000\r\n";
    CHECK(std::regex_match("Received: from a.example by b.example" + date, stamp_grammar()));
    CHECK_FALSE(std::regex_match("Received: by b.example from a.example" + date, stamp_grammar()));
    CHECK_FALSE(std::regex_match("Received: from a.example" + date, stamp_grammar()));
    CHECK_FALSE(std::regex_match("Received: from a.example by b.example id 1.2" + date,
                                 stamp_grammar()));
    CHECK_FALSE(std::regex_match("Received: from [192.0.2.1]) by b.example" + date,
                                 stamp_grammar()));
}

TEST_CASE("compose received: optional parts left out") {
    received r = basic();
    CHECK(compose(r) == "Received: from client.example ([192.0.2.1]) by mx.example with ESMTP;\r\n"
                        " Mon, 23 Nov 2026 11:20:54 +0000\r\n");
    r.peer_address = "";
    CHECK(compose(r) == "Received: from client.example by mx.example with ESMTP;\r\n"
                        " Mon, 23 Nov 2026 11:20:54 +0000\r\n");
    r.id = "Q1w2E3";
    CHECK(compose(r) == "Received: from client.example by mx.example with ESMTP id Q1w2E3;\r\n"
                        " Mon, 23 Nov 2026 11:20:54 +0000\r\n");
    r.id = "";
    r.for_mailbox = "\"a b\"@example.com";
    CHECK(compose(r) == "Received: from client.example by mx.example with ESMTP\r\n"
                        " for <\"a b\"@example.com>; Mon, 23 Nov 2026 11:20:54 +0000\r\n");
    check_form(compose(r));
}

TEST_CASE("compose received: address literals for the peer and as the HELO argument") {
    received r = basic();
    r.peer_address = "2001:db8::1";
    CHECK(compose(r) ==
          "Received: from client.example ([IPv6:2001:db8::1]) by mx.example with ESMTP;\r\n"
          " Mon, 23 Nov 2026 11:20:54 +0000\r\n");
    check_form(compose(r));
    r.peer_address = "::ffff:192.0.2.1";
    CHECK(compose(r).find("([IPv6:::ffff:192.0.2.1])") != std::string::npos);
    r.from_domain = "[192.0.2.1]";
    r.peer_address = "192.0.2.1";
    CHECK(compose(r) == "Received: from [192.0.2.1] ([192.0.2.1]) by mx.example with ESMTP;\r\n"
                        " Mon, 23 Nov 2026 11:20:54 +0000\r\n");
    check_form(compose(r));
    r.from_domain = "[IPv6:2001:db8::1]";
    check_form(compose(r));
    // An address-literal alone is no Extended-Domain: it needs TCP-info.
    r.peer_address = "";
    CHECK(error_of(r) == received_error::invalid_from_domain);
}

TEST_CASE("compose received: the with protocol of a session") {
    CHECK(received_protocol_for(verb::helo, false, false, false) == received_protocol::smtp);
    CHECK(received_protocol_for(verb::helo, true, true, true) == received_protocol::smtp);
    CHECK(received_protocol_for(verb::ehlo, false, false, false) == received_protocol::esmtp);
    CHECK(received_protocol_for(verb::ehlo, false, true, false) == received_protocol::esmtpa);
    CHECK(received_protocol_for(verb::ehlo, true, false, false) == received_protocol::esmtps);
    CHECK(received_protocol_for(verb::ehlo, true, true, false) == received_protocol::esmtpsa);
    CHECK(received_protocol_for(verb::lhlo, false, false, false) == received_protocol::lmtp);
    CHECK(received_protocol_for(verb::lhlo, false, true, false) == received_protocol::lmtpa);
    CHECK(received_protocol_for(verb::lhlo, true, false, false) == received_protocol::lmtps);
    CHECK(received_protocol_for(verb::lhlo, true, true, false) == received_protocol::lmtpsa);
    CHECK(received_protocol_for(verb::ehlo, false, false, true) == received_protocol::utf8smtp);
    CHECK(received_protocol_for(verb::ehlo, false, true, true) == received_protocol::utf8smtpa);
    CHECK(received_protocol_for(verb::ehlo, true, false, true) == received_protocol::utf8smtps);
    CHECK(received_protocol_for(verb::ehlo, true, true, true) == received_protocol::utf8smtpsa);
    CHECK(received_protocol_for(verb::lhlo, false, false, true) == received_protocol::utf8lmtp);
    CHECK(received_protocol_for(verb::lhlo, false, true, true) == received_protocol::utf8lmtpa);
    CHECK(received_protocol_for(verb::lhlo, true, false, true) == received_protocol::utf8lmtps);
    CHECK(received_protocol_for(verb::lhlo, true, true, true) == received_protocol::utf8lmtpsa);

    const std::vector<std::pair<received_protocol, std::string_view>> names = {
        {received_protocol::smtp, "SMTP"},           {received_protocol::esmtp, "ESMTP"},
        {received_protocol::esmtpa, "ESMTPA"},       {received_protocol::esmtps, "ESMTPS"},
        {received_protocol::esmtpsa, "ESMTPSA"},     {received_protocol::lmtp, "LMTP"},
        {received_protocol::lmtpa, "LMTPA"},         {received_protocol::lmtps, "LMTPS"},
        {received_protocol::lmtpsa, "LMTPSA"},       {received_protocol::utf8smtp, "UTF8SMTP"},
        {received_protocol::utf8smtpa, "UTF8SMTPA"}, {received_protocol::utf8smtps, "UTF8SMTPS"},
        {received_protocol::utf8smtpsa, "UTF8SMTPSA"}, {received_protocol::utf8lmtp, "UTF8LMTP"},
        {received_protocol::utf8lmtpa, "UTF8LMTPA"}, {received_protocol::utf8lmtps, "UTF8LMTPS"},
        {received_protocol::utf8lmtpsa, "UTF8LMTPSA"},
    };
    received r = basic();
    for (const auto& [protocol, name] : names) {
        CHECK(to_string(protocol) == name);
        CHECK(is_utf8(protocol) == (name.substr(0, 4) == "UTF8"));
        r.with = protocol;
        const std::string field = compose(r);
        CHECK(unfold(field).find(" with " + std::string(name) + ";") != std::string::npos);
        check_form(field);
    }
}

TEST_CASE("compose received: UTF-8 domains and mailboxes only with a UTF8 protocol") {
    received r = basic();
    r.for_mailbox = "dörte@bücher.example";
    CHECK(error_of(r) == received_error::invalid_mailbox);
    r.with = received_protocol::utf8smtp;
    const std::string field = compose(r);
    CHECK(unfold(field).find(" with UTF8SMTP for <dörte@bücher.example>; ") != std::string::npos);
    check_form(field, false, false);
    r.by_domain = "例子.广告";
    CHECK(error_of(r) == received_error::ok);
    r.with = received_protocol::esmtp;
    r.for_mailbox = "";
    CHECK(error_of(r) == received_error::invalid_by_domain);
    r.by_domain = "mx.example";
    r.from_domain = "bücher.example";
    CHECK(error_of(r) == received_error::invalid_from_domain);
}

TEST_CASE("compose received: each part is checked against its grammar") {
    struct bad_case {
        std::string_view what;
        void (*spoil)(received&);
        received_error error;
    };
    const bad_case cases[] = {
        {"empty from", [](received& r) { r.from_domain = ""; },
         received_error::invalid_from_domain},
        {"CRLF in from", [](received& r) { r.from_domain = "a\r\nX-Evil: 1"; },
         received_error::invalid_from_domain},
        {"space in from", [](received& r) { r.from_domain = "a b"; },
         received_error::invalid_from_domain},
        {"bad literal", [](received& r) { r.from_domain = "[300.1.1.1]"; },
         received_error::invalid_from_domain},
        {"bracketed peer", [](received& r) { r.peer_address = "[192.0.2.1]"; },
         received_error::invalid_peer_address},
        {"zone id", [](received& r) { r.peer_address = "fe80::1%eth0"; },
         received_error::invalid_peer_address},
        {"host name peer", [](received& r) { r.peer_address = "client.example"; },
         received_error::invalid_peer_address},
        {"general literal peer", [](received& r) { r.peer_address = "x-tag:abc"; },
         received_error::invalid_peer_address},
        {"peer with ]", [](received& r) { r.peer_address = "192.0.2.1] (evil"; },
         received_error::invalid_peer_address},
        {"empty by", [](received& r) { r.by_domain = ""; }, received_error::invalid_by_domain},
        {"literal by", [](received& r) { r.by_domain = "[192.0.2.2]"; },
         received_error::invalid_by_domain},
        {"CRLF in by", [](received& r) { r.by_domain = "mx\r\n.example"; },
         received_error::invalid_by_domain},
        {"dotted id", [](received& r) { r.id = "1.2.3"; }, received_error::invalid_id},
        {"id with space", [](received& r) { r.id = "a b"; }, received_error::invalid_id},
        {"id with ;", [](received& r) { r.id = "a;b"; }, received_error::invalid_id},
        {"unbalanced msg-id", [](received& r) { r.id = "<a@b"; }, received_error::invalid_id},
        {"mailbox in brackets", [](received& r) { r.for_mailbox = "<u@example.com>"; },
         received_error::invalid_mailbox},
        {"mailbox with >", [](received& r) { r.for_mailbox = "u>@example.com"; },
         received_error::invalid_mailbox},
        {"no domain", [](received& r) { r.for_mailbox = "postmaster"; },
         received_error::invalid_mailbox},
        {"CRLF in mailbox", [](received& r) { r.for_mailbox = "\"a\r\nb\"@example.com"; },
         received_error::invalid_mailbox},
        {"offset", [](received& r) { r.date.utc_offset_minutes = 100 * 60; },
         received_error::invalid_date},
        {"year", [](received& r) { r.date.unix_seconds = -2208988801; },
         received_error::invalid_date},
    };
    for (const bad_case& c : cases) {
        INFO(c.what);
        received r = basic();
        c.spoil(r);
        CHECK(error_of(r) == c.error);
        CHECK(compose(r) == "<" + std::string(to_string(c.error)) + ">");
    }
    received r = basic();
    r.id = "<1796195217.390448.12877.1@[192.0.2.2]>";
    CHECK(error_of(r) == received_error::ok);
    r.for_mailbox = "\"a\\\"b\"@[192.0.2.2]";
    check_form(compose(r));
}

TEST_CASE("compose received: buffer sizes") {
    received r = basic();
    r.for_mailbox = "user@example.com";
    const std::string field = compose(r);
    CHECK(compose_received(r, nullptr, 0).error == received_error::buffer_too_small);
    CHECK(compose_received(r, nullptr, 0).size == field.size());
    std::string buf(field.size(), '#');
    const auto short_by_one = compose_received(r, buf.data(), field.size() - 1);
    CHECK(short_by_one.error == received_error::buffer_too_small);
    CHECK(short_by_one.size == field.size());
    CHECK(buf == std::string(field.size(), '#'));
    const auto exact = compose_received(r, buf.data(), buf.size());
    CHECK(exact.error == received_error::ok);
    CHECK(exact.size == field.size());
    CHECK(buf == field);
}

TEST_CASE("compose received: long parts fold between keyword and value, the worst case fits") {
    const std::string label63(63, 'a');
    const std::string domain255 =
        label63 + "." + label63 + "." + label63 + "." + std::string(63, 'b');
    REQUIRE(domain255.size() == 255);
    const std::string mailbox = std::string(64, 'l') + "@" + domain255;
    // The longest msg-id compose_message() also accepts: 986 octets.
    const std::string id = "<" + std::string(400, 'i') + "." + std::string(300, 'j') + "@" +
                           std::string(200, 'k') + "." + std::string(81, 'm') + ">";
    REQUIRE(id.size() == 986);
    received r = basic();
    r.from_domain = domain255;
    r.peer_address = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
    r.by_domain = domain255;
    r.with = received_protocol::utf8smtpsa;
    r.id = id;
    r.for_mailbox = mailbox;
    const std::string field = compose(r);
    check_form(field, true);
    CHECK(field.size() < max_received_size);
    const std::vector<std::string> lines = physical_lines(field);
    for (const std::string& line : lines) {
        INFO(line);
        // Over 78 octets only where one word is longer.
        if (line.size() > 78) CHECK(line.find(' ', 1) == std::string::npos);
    }
    CHECK(lines.front() == "Received: from");
    CHECK(lines[1] == " " + domain255);

    // A domain that fits alone goes to its own line with its keyword.
    received m = basic();
    const std::string from = std::string(50, 'c') + ".example";
    const std::string to = std::string(30, 'u') + "@" + std::string(20, 'd') + ".example";
    m.from_domain = from;
    m.for_mailbox = to;
    const std::string folded = compose(m);
    check_form(folded);
    CHECK(physical_lines(folded) ==
          std::vector<std::string>{"Received: from " + from,
                                   " ([192.0.2.1]) by mx.example with ESMTP",
                                   " for <" + to + ">;",
                                   " Mon, 23 Nov 2026 11:20:54 +0000"});
}
