// client_session against scripted server replies; every reply stream is also fed split
// at every offset and one byte at a time, and must give the same events and output.
#include "smtpwire/client_session.hpp"
#include "support/catch.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "support/alloc_counter.hpp"
#include "support/base64_text.hpp"
#include "support/client_driver.hpp"

using namespace smtpwire;
using namespace smtpwire_test;

namespace {

client_config config() {
    client_config c;
    c.helo_name = "client.example";
    return c;
}

const std::string greeting = "220 mx.example ESMTP ready\r\n";
const std::string ehlo_pipelining =
    "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000000\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n"
    "250 ENHANCEDSTATUSCODES\r\n";
const std::string ehlo_plain = "250-mx.example\r\n250 SIZE 1000000\r\n";

outgoing simple_message(std::vector<std::string> to, std::string body = "Subject: hi\r\n\r\nhello\r\n") {
    outgoing m;
    m.from = "alice@client.example";
    m.to = std::move(to);
    m.body = std::move(body);
    return m;
}

// Runs the script whole, byte by byte and split at every offset; all runs must agree.
// A SCRAM-SHA-256 exchange derives its keys with 4096 rounds of PBKDF2 in every run, so
// for those the single splits are taken at every 11th offset instead.
client_run run_everywhere(const client_config& cfg, const std::vector<std::string>& writes, bool eof,
                          const std::vector<outgoing>& messages, std::size_t body_chunk = 7) {
    const bool scram = !cfg.auth.user.empty() && !cfg.auth.nonce.empty() &&
                       cfg.auth.mechanisms.has(sasl::mechanism::scram_sha_256);
    const std::size_t stride = scram ? 11 : 1;
    const client_run whole = run_client(cfg, writes, eof, sending_app(messages, body_chunk));
    run_options bytes;
    bytes.byte_at_a_time = true;
    const client_run b = run_client(cfg, writes, eof, sending_app(messages, body_chunk), bytes);
    CHECK(b.events == whole.events);
    CHECK(b.output == whole.output);
    std::size_t total = 0;
    for (const auto& w : writes) total += w.size();
    for (std::size_t at = 1; at < total; at += stride) {
        run_options split;
        split.splits = {at};
        const client_run s = run_client(cfg, writes, eof, sending_app(messages, body_chunk), split);
        if (s.events != whole.events || s.output != whole.output) {
            INFO("split at " << at);
            CHECK(s.events == whole.events);
            CHECK(s.output == whole.output);
        }
    }
    run_options tiny_writes;
    tiny_writes.write_chunk = 1;
    const client_run t = run_client(cfg, writes, eof, sending_app(messages, body_chunk), tiny_writes);
    CHECK(t.events == whole.events);
    CHECK(t.output == whole.output);
    return whole;
}

} // namespace

TEST_CASE("client: a pipelined transaction reports every recipient and is sent if any was accepted") {
    // swiftmailer #1143: no body byte before the 354; go-smtp/io-smtp/MailKit #309: one
    // rejected recipient must not stop the message to the others.
    const std::vector<std::string> server = {
        greeting + ehlo_pipelining,
        "250 2.1.0 OK\r\n250 2.1.5 OK\r\n550 5.1.1 No such user\r\n250 2.1.5 OK\r\n354 go ahead\r\n",
        "250 2.0.0 queued as 42\r\n",
        "221 2.0.0 bye\r\n"};
    const client_run r = run_everywhere(config(), server, false,
                                        {simple_message({"bob@mx.example", "nobody@mx.example", "carol@mx.example"},
                                                        "Subject: hi\n\n.leading dot\nend")});
    CHECK(r.output ==
          "EHLO client.example\r\n"
          "MAIL FROM:<alice@client.example>\r\nRCPT TO:<bob@mx.example>\r\nRCPT TO:<nobody@mx.example>\r\n"
          "RCPT TO:<carol@mx.example>\r\nDATA\r\n"
          "Subject: hi\r\n\r\n..leading dot\r\nend\r\n.\r\n"
          "QUIT\r\n");
    CHECK(r.events == std::vector<std::string>{
                          "greeted 220 mx.example ESMTP ready", "ready EHLO", "reply MAIL 250 2.1.0 OK",
                          "reply RCPT#0 250 2.1.5 OK", "reply RCPT#1 550 5.1.1 No such user",
                          "reply RCPT#2 250 2.1.5 OK", "reply DATA 354 go ahead",
                          "reply DATA content 250 2.0.0 queued as 42", "done success 2/3 250 2.0.0 queued as 42",
                          "reply QUIT 221 2.0.0 bye"});
    CHECK(r.done);
    CHECK(r.app_errors.empty());
    // The body left only after the 354 arrived: the flight with DATA ends at DATA.
    REQUIRE(r.flights.size() >= 2);
    CHECK(r.flights[0].substr(r.flights[0].size() - 6) == "DATA\r\n");
    CHECK(r.flights[1].substr(0, 11) == "Subject: hi");
}

TEST_CASE("client: without PIPELINING one command at a time") {
    const std::vector<std::string> server = {greeting,        ehlo_plain,
                                             "250 OK\r\n",    "250 OK\r\n",
                                             "452 4.5.3 Too many recipients\r\n",
                                             "354 go\r\n",    "250 OK\r\n",
                                             "221 bye\r\n"};
    const client_run r = run_everywhere(config(), server, false,
                                        {simple_message({"bob@mx.example", "carol@mx.example"})});
    CHECK(r.events == std::vector<std::string>{
                          "greeted 220 mx.example ESMTP ready", "ready EHLO", "reply MAIL 250 OK",
                          "reply RCPT#0 250 OK", "reply RCPT#1 452 4.5.3 Too many recipients",
                          "reply DATA 354 go", "reply DATA content 250 OK", "done success 1/2 250 OK",
                          "reply QUIT 221 bye"});
    // Each flight between two server writes is a single command (or the content).
    const client_run stepwise = run_client(config(), server, false,
                                           sending_app({simple_message({"bob@mx.example", "carol@mx.example"})}));
    CHECK(stepwise.flights == std::vector<std::string>{
                                  "EHLO client.example\r\n", "MAIL FROM:<alice@client.example>\r\n",
                                  "RCPT TO:<bob@mx.example>\r\n", "RCPT TO:<carol@mx.example>\r\n", "DATA\r\n",
                                  "Subject: hi\r\n\r\nhello\r\n.\r\n", "QUIT\r\n"});
}

TEST_CASE("client: EHLO refused falls back to HELO (RFC 5321 §3.2)") {
    for (const char* refusal : {"500 5.5.1 unrecognized\r\n", "502 not implemented\r\n"}) {
        const std::vector<std::string> server = {greeting, refusal, "250 mx.example\r\n", "250 OK\r\n",
                                                 "250 OK\r\n", "354 go\r\n", "250 OK\r\n", "221 bye\r\n"};
        const client_run r = run_everywhere(config(), server, false, {simple_message({"bob@mx.example"})});
        CHECK(r.output.substr(0, 42) == "EHLO client.example\r\nHELO client.example\r\n");
        REQUIRE(r.events.size() > 2);
        CHECK(r.events[1] == "ready HELO");
        CHECK(r.events[r.events.size() - 2] == "done success 1/1 250 OK");
    }
}

TEST_CASE("client: a 554 greeting means QUIT, no mail, and an error") {
    const client_run r = run_everywhere(config(), {"554 mx.example no service\r\n", "221 bye\r\n"}, false,
                                        {simple_message({"bob@mx.example"})});
    CHECK(r.output == "QUIT\r\n");
    CHECK(r.events == std::vector<std::string>{"failure greeting refused 554 mx.example no service",
                                               "reply QUIT 221 bye"});
    CHECK(r.done);
}

TEST_CASE("client: EHLO keywords match case-insensitively (golang/go #78749, curl #18588)") {
    const std::vector<std::string> server = {
        greeting + "250-mx.example\r\n250-pipelining\r\n250-size 100\r\n250 8bitmime\r\n",
        "250 OK\r\n250 OK\r\n354 go\r\n", "250 OK\r\n", "221 bye\r\n"};
    client_session c(config());
    std::string in = greeting + "250-mx.example\r\n250-pipelining\r\n250-size 100\r\n250 8bitmime\r\n";
    REQUIRE(c.feed(in) == errc::ok);
    while (!std::holds_alternative<ready>(c.next_event())) {
    }
    CHECK(c.pipelining());
    CHECK(c.server_capabilities().has(extension::eight_bit_mime));
    CHECK(c.server_capabilities().size_limit() == 100);
    mail_options big;
    big.size = 101;
    CHECK(c.mail_from("a@client.example", big) == errc::too_large);
    CHECK(c.output() == "EHLO client.example\r\n");  // nothing was queued
    const client_run r = run_everywhere(config(), server, false, {simple_message({"bob@mx.example"})});
    CHECK(r.output.find("MAIL FROM:<alice@client.example>\r\nRCPT TO:<bob@mx.example>\r\nDATA\r\n") !=
          std::string::npos);
}

TEST_CASE("client: no recipient accepted means no content and RSET") {
    SECTION("pipelined: DATA refused") {
        const std::vector<std::string> server = {
            greeting + ehlo_pipelining,
            "250 2.1.0 OK\r\n550 5.1.1 no\r\n550 5.1.1 no\r\n554 5.5.1 no valid recipients\r\n",
            "250 2.0.0 OK\r\n", "221 bye\r\n"};
        const client_run r =
            run_everywhere(config(), server, false, {simple_message({"x@mx.example", "y@mx.example"})});
        CHECK(r.output.find("DATA\r\nRSET\r\nQUIT\r\n") != std::string::npos);
        CHECK(std::find(r.events.begin(), r.events.end(), "done permanent 0/2 550 5.1.1 no") != r.events.end());
        CHECK(r.output.find("Subject") == std::string::npos);
    }
    SECTION("pipelined: a server that answers 354 anyway gets a lone dot") {
        const std::vector<std::string> server = {
            greeting + ehlo_pipelining, "250 2.1.0 OK\r\n450 4.2.1 later\r\n354 go\r\n",
            "554 5.5.1 no recipients\r\n250 2.0.0 OK\r\n", "221 bye\r\n"};
        const client_run r = run_everywhere(config(), server, false, {simple_message({"x@mx.example"})});
        CHECK(r.output.find("DATA\r\n.\r\nRSET\r\n") == std::string::npos);  // content ended the transaction
        CHECK(r.output.find("DATA\r\n.\r\nQUIT\r\n") != std::string::npos);
        CHECK(std::find(r.events.begin(), r.events.end(), "done transient 0/1 450 4.2.1 later") != r.events.end());
    }
    SECTION("without pipelining: RSET instead of DATA") {
        const std::vector<std::string> server = {greeting, ehlo_plain, "250 OK\r\n", "550 no\r\n",
                                                 "250 reset\r\n", "221 bye\r\n"};
        const client_run r = run_everywhere(config(), server, false, {simple_message({"x@mx.example"})});
        CHECK(r.output == "EHLO client.example\r\nMAIL FROM:<alice@client.example>\r\nRCPT TO:<x@mx.example>\r\n"
                          "RSET\r\nQUIT\r\n");
        CHECK(r.events == std::vector<std::string>{"greeted 220 mx.example ESMTP ready", "ready EHLO",
                                                   "reply MAIL 250 OK", "reply RCPT#0 550 no",
                                                   "done permanent 0/1 550 no", "reply RSET 250 reset",
                                                   "reply QUIT 221 bye"});
    }
}

TEST_CASE("client: MAIL refused ends the transaction") {
    const std::vector<std::string> server = {greeting + ehlo_pipelining,
                                             "553 5.1.8 sender refused\r\n503 5.5.1 no MAIL\r\n503 5.5.1 no MAIL\r\n",
                                             "221 bye\r\n"};
    const client_run r = run_everywhere(config(), server, false, {simple_message({"x@mx.example"})});
    CHECK(std::find(r.events.begin(), r.events.end(), "done permanent 0/1 553 5.1.8 sender refused") !=
          r.events.end());
    CHECK(r.output.find("RSET") == std::string::npos);  // the server holds no transaction
}

TEST_CASE("client: several transactions in one session, the second after a failure") {
    const std::vector<std::string> server = {
        greeting + ehlo_pipelining,
        "250 OK\r\n250 OK\r\n354 go\r\n", "451 4.3.0 try later\r\n",
        "250 OK\r\n250 OK\r\n354 go\r\n", "250 2.0.0 OK\r\n", "221 bye\r\n"};
    const client_run r = run_everywhere(config(), server, false,
                                        {simple_message({"a@mx.example"}, "one\r\n"),
                                         simple_message({"b@mx.example"}, "two")});
    CHECK(r.output == "EHLO client.example\r\n"
                      "MAIL FROM:<alice@client.example>\r\nRCPT TO:<a@mx.example>\r\nDATA\r\none\r\n.\r\n"
                      "MAIL FROM:<alice@client.example>\r\nRCPT TO:<b@mx.example>\r\nDATA\r\ntwo\r\n.\r\n"
                      "QUIT\r\n");
    CHECK(std::find(r.events.begin(), r.events.end(), "done transient 1/1 451 4.3.0 try later") != r.events.end());
    CHECK(std::find(r.events.begin(), r.events.end(), "done success 1/1 250 2.0.0 OK") != r.events.end());
}

TEST_CASE("client: content is dot-stuffed and line endings made CRLF") {
    const std::vector<std::string> server = {greeting + ehlo_pipelining, "250 OK\r\n250 OK\r\n354 go\r\n",
                                             "250 OK\r\n", "221 bye\r\n"};
    const struct {
        const char* body;
        const char* wire;
    } cases[] = {
        {".", "..\r\n.\r\n"},
        {"", ".\r\n"},
        {"\r\n", "\r\n.\r\n"},
        {"a\nb\rc\r\n", "a\r\nb\r\nc\r\n.\r\n"},
        {"..\n.\n", "...\r\n..\r\n.\r\n"},
        {"no final newline", "no final newline\r\n.\r\n"},
        {"x\r\n.\r\ny", "x\r\n..\r\ny\r\n.\r\n"},
    };
    for (const auto& c : cases) {
        INFO(escape(c.body));
        const client_run r = run_everywhere(config(), server, false, {simple_message({"b@mx.example"}, c.body)}, 3);
        const std::string expected = std::string("DATA\r\n") + c.wire + "QUIT\r\n";
        CHECK(r.output.substr(r.output.size() - expected.size()) == expected);
    }
}

TEST_CASE("client: nothing from the application can inject protocol") {
    // nodemailer GHSA-vvjj-xcjg-gr5g / GHSA-c7w3-x93f-qmm8; io-smtp's raw DSN values.
    SECTION("the HELO name") {
        client_config bad = config();
        bad.helo_name = "client.example\r\nMAIL FROM:<evil@x>";
        const client_run r = run_client(bad, {greeting}, false, sending_app({simple_message({"b@mx.example"})}));
        CHECK(r.output.empty());
        CHECK(r.events == std::vector<std::string>{"failure invalid configuration"});
    }
    client_session c(config());
    std::string in = greeting + ehlo_pipelining;
    REQUIRE(c.feed(in) == errc::ok);
    while (!std::holds_alternative<ready>(c.next_event())) {
    }
    const std::string before(c.output());
    CHECK(c.mail_from("a@client.example\r\nRCPT TO:<x@y>") == errc::invalid_argument);
    CHECK(c.mail_from(std::string("a@client.example\0", 17)) == errc::invalid_argument);
    mail_options opt;
    opt.parameters = "ENVID=x\r\nRSET";
    CHECK(c.mail_from("a@client.example", opt) == errc::invalid_argument);
    opt.parameters = "RET=HDRS ";
    CHECK(c.mail_from("a@client.example", opt) == errc::invalid_argument);
    CHECK(c.mail_from("not an address") == errc::invalid_argument);
    CHECK(c.output() == before);
    REQUIRE(c.mail_from("a@client.example") == errc::ok);
    CHECK(c.rcpt_to("b@mx.example\nDATA") == errc::invalid_argument);
    CHECK(c.rcpt_to("b@mx.example", "NOTIFY=NEVER\r\nQUIT") == errc::invalid_argument);
    CHECK(c.rcpt_to("") == errc::invalid_argument);
    // The 2025 quoted-local-part smuggling: the value is quoted, never written raw.
    REQUIRE(c.rcpt_to("foo@x> ORCPT=rfc822;evil@example.com") == errc::ok);
    REQUIRE(c.rcpt_to("postmaster") == errc::ok);
    REQUIRE(c.rcpt_to("\"already quoted\"@example.com") == errc::ok);
    REQUIRE(c.rcpt_to("b@mx.example", "NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@mx.example") == errc::ok);
    CHECK(c.output().substr(before.size()) ==
          "MAIL FROM:<a@client.example>\r\n"
          "RCPT TO:<\"foo@x> ORCPT=rfc822;evil\"@example.com>\r\n"
          "RCPT TO:<postmaster>\r\n"
          "RCPT TO:<\"already quoted\"@example.com>\r\n"
          "RCPT TO:<b@mx.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@mx.example\r\n");
}

TEST_CASE("client: extensions the server lacks are local errors before MAIL") {
    client_session c(config());
    std::string in = greeting + ehlo_plain;
    REQUIRE(c.feed(in) == errc::ok);
    while (!std::holds_alternative<ready>(c.next_event())) {
    }
    const std::string before(c.output());
    mail_options eight;
    eight.body = body_type::eight_bit_mime;
    CHECK(c.mail_from("a@client.example", eight) == errc::not_supported);
    CHECK(c.mail_from("δοκιμή@client.example") == errc::not_supported);
    mail_options utf8;
    utf8.smtputf8 = true;
    CHECK(c.mail_from("a@client.example", utf8) == errc::not_supported);
    CHECK(c.output() == before);
}

TEST_CASE("client: UTF-8 addresses with SMTPUTF8, 8-bit content with 8BITMIME") {
    outgoing m = simple_message({"δοκιμή@mx.example"}, "caf\xc3\xa9\r\n");
    m.from = "用户@client.example";
    m.options.body = body_type::eight_bit_mime;
    const std::vector<std::string> server = {greeting + ehlo_pipelining, "250 OK\r\n250 OK\r\n354 go\r\n",
                                             "250 OK\r\n", "221 bye\r\n"};
    const client_run r = run_everywhere(config(), server, false, {m});
    CHECK(r.output.find("MAIL FROM:<用户@client.example> BODY=8BITMIME SMTPUTF8\r\nRCPT TO:<δοκιμή@mx.example>\r\n") !=
          std::string::npos);
    CHECK(r.app_errors.empty());
    SECTION("8-bit content without BODY=8BITMIME is refused, not corrupted") {
        outgoing plain = simple_message({"b@mx.example"}, "caf\xc3\xa9\r\n");
        const client_run p = run_client(config(), server, false, sending_app({plain}));
        CHECK(p.app_errors == std::vector<std::string>{"send_body: not supported by the server"});
        CHECK(p.output.find("caf") == std::string::npos);
    }
}

TEST_CASE("client: a 421 at any point ends the session") {
    const std::vector<std::string> server = {greeting + ehlo_pipelining,
                                             "250 OK\r\n421 4.3.2 shutting down\r\n"};
    const client_run r = run_everywhere(config(), server, false, {simple_message({"b@mx.example"})});
    CHECK(r.events.back() == "failure service closing (421) 421 4.3.2 shutting down");
    CHECK(r.done);
}

TEST_CASE("client: malformed, mixed-code, overlong and unexpected replies are errors") {
    const struct {
        std::string server;
        const char* failure;
    } cases[] = {
        {"220-mx.example\r\n221 mixed codes\r\n", "failure malformed reply"},  // CPP-SMTPClient
        {"2200 bad\r\n", "failure malformed reply"},
        {std::string("220 nul\0 inside\r\n", 17), "failure malformed reply"},
        {"220 " + std::string(5000, 'x') + "\r\n", "failure reply too long"},
        {"220 bare\nLF\r\n", "failure malformed reply"},
        {"334 go on\r\n", "failure unexpected reply 334 go on"},  // 3xx to no command
    };
    for (const auto& c : cases) {
        INFO(escape(c.server));
        const std::string server(c.server.data(), c.server.size());
        const client_run r = run_everywhere(config(), {server}, false, {});
        REQUIRE(!r.events.empty());
        CHECK(r.events.back() == c.failure);
        CHECK(r.max_unconsumed <= 2049);  // reply lines are bounded, never buffered whole
    }
    SECTION("a reply when none is due") {
        client_session c(config());
        const std::string server = "220 ok\r\n250 mx.example\r\n250 extra\r\n";
        REQUIRE(c.feed(server) == errc::ok);
        std::vector<std::string> events;
        for (int i = 0; i < 20 && !c.done(); ++i) {
            const client_event ev = c.next_event();
            if (std::holds_alternative<need_output>(ev)) c.consume_output(c.output().size());
            else if (!std::holds_alternative<need_data>(ev) && !std::holds_alternative<closed>(ev))
                events.push_back(describe(ev));
        }
        CHECK(events == std::vector<std::string>{"greeted 220 ok", "ready EHLO",
                                                 "failure unexpected reply 250 extra"});
    }
    SECTION("a 3xx reply to the final dot (found by fuzz_client_session)") {
        const std::vector<std::string> server = {greeting + ehlo_pipelining, "250 OK\r\n250 OK\r\n354 go\r\n",
                                                 "333 more?\r\n"};
        const client_run r = run_client(config(), server, false, sending_app({simple_message({"b@mx.example"})}));
        CHECK(r.events.back() == "failure unexpected reply 333 more?");
        for (const auto& e : r.events) CHECK(e.rfind("done success", 0) != 0);
    }
    SECTION("too many lines in one reply") {
        std::string server = "220 ok\r\n";
        for (int i = 0; i < 200; ++i) server += "250-line\r\n";
        const client_run r = run_client(config(), {server}, false, sending_app({}));
        CHECK(r.events.back() == "failure reply too long");
    }
}

TEST_CASE("client: the server closing early is an error, after QUIT it is the end") {
    const client_run early = run_everywhere(config(), {greeting + ehlo_pipelining, "250 OK\r\n"}, true,
                                            {simple_message({"b@mx.example"})});
    CHECK(early.events.back() == "failure connection closed");
    const client_run after_quit = run_everywhere(config(), {greeting + ehlo_pipelining}, true, {});
    CHECK(after_quit.events.back() == "ready EHLO");
    CHECK(after_quit.output == "EHLO client.example\r\nQUIT\r\n");
    CHECK(after_quit.done);
}

TEST_CASE("client: timeouts follow RFC 5321 §4.5.3.2") {
    client_session c(config());
    auto until_need_data = [&c] {
        for (;;) {
            const client_event ev = c.next_event();
            if (std::holds_alternative<need_output>(ev)) c.consume_output(c.output().size());
            if (std::holds_alternative<need_data>(ev) || std::holds_alternative<need_body>(ev) ||
                std::holds_alternative<closed>(ev))
                return;
        }
    };
    CHECK(c.current_timeout().kind == timeout_kind::greeting);
    CHECK(c.current_timeout().duration == std::chrono::minutes(5));
    std::string in = greeting + ehlo_pipelining;
    REQUIRE(c.feed(in) == errc::ok);
    while (!std::holds_alternative<ready>(c.next_event())) {
    }
    CHECK(c.current_timeout().kind == timeout_kind::none);  // idle: the application's call
    REQUIRE(c.mail_from("a@client.example") == errc::ok);
    CHECK(c.current_timeout().kind == timeout_kind::mail);
    REQUIRE(c.rcpt_to("b@mx.example") == errc::ok);
    REQUIRE(c.data() == errc::ok);
    const std::uint64_t stale = c.current_timeout().epoch;
    in = "250 OK\r\n250 OK\r\n";
    until_need_data();
    REQUIRE(c.feed(in) == errc::ok);
    until_need_data();
    CHECK(c.current_timeout().kind == timeout_kind::data_initiation);
    CHECK(c.current_timeout().duration == std::chrono::minutes(2));
    c.timed_out(stale);  // the session has moved on: ignored
    CHECK_FALSE(c.done());
    in = "354 go\r\n";
    REQUIRE(c.feed(in) == errc::ok);
    until_need_data();
    CHECK(c.current_timeout().kind == timeout_kind::data);
    CHECK(c.current_timeout().duration == std::chrono::minutes(3));
    REQUIRE(c.end_body() == errc::ok);
    CHECK(c.current_timeout().kind == timeout_kind::data);  // the final dot is not written yet
    until_need_data();
    CHECK(c.current_timeout().kind == timeout_kind::data_termination);
    CHECK(c.current_timeout().duration == std::chrono::minutes(10));
    c.timed_out(c.current_timeout().epoch);
    bool failed = false;
    for (int i = 0; i < 10 && !c.done(); ++i) {
        const client_event ev = c.next_event();
        if (const auto* f = std::get_if<client_failure>(&ev)) failed = f->what == client_error::timeout;
        if (std::holds_alternative<need_output>(ev)) c.consume_output(c.output().size());
    }
    CHECK(failed);
    CHECK(c.done());
}

TEST_CASE("client: send_body takes what fits and the rest later") {
    client_config small = config();
    small.output_buffer = 1024;
    std::string body;
    for (int i = 0; i < 3000; ++i) body += ".line " + std::to_string(i) + "\n";
    const std::vector<std::string> server = {greeting + ehlo_pipelining, "250 OK\r\n250 OK\r\n354 go\r\n",
                                             "250 OK\r\n", "221 bye\r\n"};
    const client_run r = run_client(small, server, false, sending_app({simple_message({"b@mx.example"}, body)}, 4096));
    std::string expected;
    for (int i = 0; i < 3000; ++i) expected += "..line " + std::to_string(i) + "\r\n";
    const auto at = r.output.find("DATA\r\n");
    REQUIRE(at != std::string::npos);
    CHECK(r.output.substr(at + 6, expected.size()) == expected);
    CHECK(r.events.back() == "reply QUIT 221 bye");
    CHECK(r.app_errors.empty());
}

TEST_CASE("client: API misuse returns errc and sends nothing") {
    client_session c(config());
    CHECK(c.mail_from("a@client.example") == errc::wrong_state);  // before EHLO
    CHECK(c.quit() == errc::wrong_state);
    std::string in = greeting + ehlo_pipelining;
    REQUIRE(c.feed(in) == errc::ok);
    CHECK(c.feed(in) == errc::wrong_state);
    while (!std::holds_alternative<ready>(c.next_event())) {
    }
    CHECK(c.rcpt_to("b@mx.example") == errc::wrong_state);  // no MAIL
    CHECK(c.data() == errc::wrong_state);
    CHECK(c.send_body("x") == errc::wrong_state);
    CHECK(c.end_body() == errc::wrong_state);
    REQUIRE(c.mail_from("a@client.example") == errc::ok);
    CHECK(c.mail_from("a@client.example") == errc::wrong_state);  // nested
    CHECK(c.data() == errc::wrong_state);  // no RCPT yet
    REQUIRE(c.rcpt_to("b@mx.example") == errc::ok);
    REQUIRE(c.data() == errc::ok);
    CHECK(c.rcpt_to("c@mx.example") == errc::wrong_state);  // after DATA
    CHECK(c.send_body("early") == errc::wrong_state);  // no 354 yet
}

TEST_CASE("client: an address that is not one is refused as such also when the output is full") {
    client_session c(config());
    std::string in = greeting + ehlo_pipelining;
    REQUIRE(c.feed(in) == errc::ok);
    while (!std::holds_alternative<ready>(c.next_event())) {
    }
    REQUIRE(c.mail_from("a@client.example") == errc::ok);
    std::size_t accepted = 0;
    while (c.rcpt_to("b@mx.example") == errc::ok) ++accepted;
    REQUIRE(accepted > 10);
    const std::string before(c.output());
    CHECK(c.rcpt_to("b@mx.example") == errc::output_full);
    CHECK(c.rcpt_to(std::string(65, 'x') + "@mx.example") == errc::invalid_argument);  // local part
    // Local part and domain each within their limits, the path over 256 octets.
    const std::string label(60, 'd');
    const std::string long_path =
        std::string(60, 'x') + "@" + label + "." + label + "." + label + "." + label + ".example";
    CHECK(c.rcpt_to(long_path) == errc::invalid_argument);
    CHECK(c.rcpt_to("no-at-sign") == errc::invalid_argument);
    CHECK(c.rcpt_to("b@-mx.example") == errc::invalid_argument);
    CHECK(c.rcpt_to("b@mx.example", "=1") == errc::invalid_argument);
    CHECK(c.rcpt_to("b\xC3\xBC@mx.example") == errc::not_supported);  // no SMTPUTF8 with MAIL
    CHECK(c.output() == before);
    c.consume_output(c.output().size());
    CHECK(c.rcpt_to("b@mx.example") == errc::ok);
    CHECK(c.rcpt_to("no-at-sign") == errc::invalid_argument);
    CHECK(c.rcpt_to(long_path) == errc::invalid_argument);
}

TEST_CASE("client: transactions after the first allocate nothing") {
    client_session c(config());
    std::string in;
    auto feed = [&](const std::string& bytes) {
        in = bytes;
        REQUIRE(c.feed(in) == errc::ok);
    };
    auto drain = [&] {
        for (;;) {
            const client_event ev = c.next_event();
            if (std::holds_alternative<need_output>(ev)) c.consume_output(c.output().size());
            else if (std::holds_alternative<need_data>(ev) || std::holds_alternative<closed>(ev)) return;
            else if (const auto* r = std::get_if<command_reply>(&ev); r && r->reply.code == 354) {
                REQUIRE(c.send_body("Subject: x\r\n\r\n.body\r\n") == errc::ok);
                REQUIRE(c.end_body() == errc::ok);
            }
        }
    };
    const std::string replies = "250 OK\r\n250 OK\r\n250 OK\r\n354 go\r\n250 OK\r\n";
    feed(greeting + ehlo_pipelining);
    drain();
    auto transaction = [&] {
        REQUIRE(c.mail_from("a@client.example") == errc::ok);
        REQUIRE(c.rcpt_to("b@mx.example") == errc::ok);
        REQUIRE(c.rcpt_to("c@mx.example") == errc::ok);
        REQUIRE(c.data() == errc::ok);
        c.consume_output(c.output().size());
        feed(replies);
        drain();
    };
    transaction();
    in.reserve(4096);
    const std::size_t before = allocation_count();
    for (int i = 0; i < 50; ++i) {
        REQUIRE(c.mail_from("a@client.example") == errc::ok);
        REQUIRE(c.rcpt_to("b@mx.example") == errc::ok);
        REQUIRE(c.rcpt_to("c@mx.example") == errc::ok);
        REQUIRE(c.data() == errc::ok);
        c.consume_output(c.output().size());
        in.assign(replies);
        REQUIRE(c.feed(in) == errc::ok);
        drain();
    }
    CHECK(allocation_count() - before == 0);
}

TEST_CASE("client: nothing is allocated after construction, STARTTLS and QUIT included") {
    client_config cfg = config();
    cfg.helo_name = "a-client-name-longer-than-any-small-string.example";
    cfg.starttls = tls_policy::opportunistic;
    const std::string ehlo_tls = "250-mx.example\r\n250-STARTTLS\r\n250 PIPELINING\r\n";
    const std::string replies = "250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 go\r\n250 2.0.0 queued\r\n";
    const std::string parts[] = {greeting, ehlo_tls, "220 2.0.0 go ahead\r\n", ehlo_pipelining, replies,
                                 "221 2.0.0 bye\r\n"};
    std::string in;
    in.reserve(4096);
    const std::size_t before = allocation_count();
    client_session c(cfg);
    const std::size_t construction = allocation_count() - before;
    CHECK(construction == 1);  // the output buffer with the session's storage and EHLO name after it
    bool tls = false, delivered = false, closed_seen = false;
    const std::size_t after_construction = allocation_count();
    for (const std::string& part : parts) {
        in.assign(part);
        REQUIRE(c.feed(in) == errc::ok);
        for (bool more = true; more;) {
            const client_event ev = c.next_event();
            if (std::holds_alternative<need_output>(ev)) {
                c.consume_output(c.output().size());
            } else if (std::holds_alternative<tls_handover>(ev)) {
                REQUIRE(c.tls_established() == errc::ok);
                tls = true;
            } else if (const auto* r = std::get_if<ready>(&ev); r && r->tls) {
                CHECK(c.server_capabilities().has(extension::smtputf8));
                CHECK(c.server_capabilities().domain() == "mx.example");
                REQUIRE(c.mail_from("a@client.example") == errc::ok);
                REQUIRE(c.rcpt_to("b@mx.example") == errc::ok);
                REQUIRE(c.data() == errc::ok);
            } else if (const auto* cr = std::get_if<command_reply>(&ev); cr && cr->reply.code == 354) {
                REQUIRE(c.send_body("Subject: x\r\n\r\nbody\r\n") == errc::ok);
                REQUIRE(c.end_body() == errc::ok);
            } else if (const auto* t = std::get_if<transaction_done>(&ev)) {
                delivered = t->result == outcome::success && t->reply.text == "queued";
                REQUIRE(c.quit() == errc::ok);
            } else if (std::holds_alternative<closed>(ev)) {
                closed_seen = true;
                more = false;
            } else if (std::holds_alternative<need_data>(ev)) {
                more = false;
            }
        }
    }
    CHECK(allocation_count() - after_construction == 0);
    CHECK(tls);
    CHECK(delivered);
    CHECK(closed_seen);
}

TEST_CASE("client: a session whose storage cannot be allocated fails at once") {
    client_config cfg = config();
    cfg.output_buffer = static_cast<std::size_t>(-1);  // no allocation can hold it
    client_session c(cfg);
    const client_event ev = c.next_event();
    const auto* f = std::get_if<client_failure>(&ev);
    REQUIRE(f != nullptr);
    CHECK(f->what == client_error::invalid_config);
    CHECK(std::holds_alternative<closed>(c.next_event()));
    CHECK(c.output().empty());
    CHECK(c.done());
    CHECK(!c.wants_read());
    CHECK(!c.can_send());
    CHECK(!c.pipelining());
    CHECK(c.server_capabilities().extensions() == extension_set{});
    CHECK(c.server_capabilities().domain().empty());
    CHECK(c.current_timeout().kind == timeout_kind::none);
    CHECK(c.feed("220 mx.example\r\n") == errc::ok);  // discarded unread
    CHECK(std::holds_alternative<closed>(c.next_event()));
    CHECK(c.mail_from("a@client.example") == errc::wrong_state);
    CHECK(c.quit() == errc::wrong_state);
}

// --- STARTTLS (RFC 3207) -------------------------------------------------------------

namespace {
client_config tls_config(tls_policy policy) {
    client_config c = config();
    c.starttls = policy;
    return c;
}

const std::string ehlo_starttls =
    "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-STARTTLS\r\n250 ENHANCEDSTATUSCODES\r\n";
} // namespace

TEST_CASE("client STARTTLS: reply bytes behind the 220 are dropped, EHLO is sent again") {
    // Response injection (the client's side of CVE-2011-0411; mutt, LibEtPan): replies
    // queued in clear behind the 220 must not be read as replies inside TLS. The fake
    // "250 PIPELINING" EHLO reply and the MAIL reply below would otherwise be taken.
    for (tls_policy policy : {tls_policy::opportunistic, tls_policy::required}) {
        const std::vector<std::string> server = {
            greeting, ehlo_starttls,
            "220 2.0.0 Ready to start TLS\r\n250-evil.example\r\n250 PIPELINING\r\n250 2.1.0 OK\r\n",
            // Inside TLS: no PIPELINING and a smaller SIZE this time.
            "250-mx.example\r\n250 SIZE 500\r\n", "250 2.1.0 OK\r\n", "250 2.1.5 OK\r\n", "354 go\r\n",
            "250 2.0.0 queued\r\n", "221 2.0.0 bye\r\n"};
        const client_run r = run_everywhere(tls_config(policy), server, false,
                                            {simple_message({"bob@mx.example"})});
        CHECK(r.events == std::vector<std::string>{
                              "greeted 220 mx.example ESMTP ready", "tls_handover", "ready EHLO TLS",
                              "reply MAIL 250 2.1.0 OK", "reply RCPT#0 250 2.1.5 OK", "reply DATA 354 go",
                              "reply DATA content 250 2.0.0 queued", "done success 1/1 250 2.0.0 queued",
                              "reply QUIT 221 2.0.0 bye"});
        // One command per flight after TLS: the PIPELINING offered in clear is forgotten.
        const client_run stepwise = run_client(tls_config(policy), server, false,
                                               sending_app({simple_message({"bob@mx.example"})}));
        CHECK(stepwise.flights == std::vector<std::string>{
                                      "EHLO client.example\r\n", "STARTTLS\r\n", "EHLO client.example\r\n",
                                      "MAIL FROM:<alice@client.example>\r\n", "RCPT TO:<bob@mx.example>\r\n",
                                      "DATA\r\n", "Subject: hi\r\n\r\nhello\r\n.\r\n", "QUIT\r\n"});
    }
}

TEST_CASE("client STARTTLS: required TLS sends no mail without it") {
    SECTION("not offered: a permanent failure, QUIT") {
        const client_run r = run_everywhere(tls_config(tls_policy::required),
                                            {greeting, ehlo_pipelining, "221 bye\r\n"}, false,
                                            {simple_message({"bob@mx.example"})});
        CHECK(r.events == std::vector<std::string>{"greeted 220 mx.example ESMTP ready",
                                                   "failure STARTTLS not offered", "reply QUIT 221 bye"});
        CHECK(r.output == "EHLO client.example\r\nQUIT\r\n");
    }
    SECTION("refused with 454: a transient failure, QUIT") {
        const client_run r = run_everywhere(
            tls_config(tls_policy::required),
            {greeting, ehlo_starttls, "454 4.7.0 TLS not available due to temporary reason\r\n", "221 bye\r\n"},
            false, {simple_message({"bob@mx.example"})});
        CHECK(r.events == std::vector<std::string>{
                              "greeted 220 mx.example ESMTP ready",
                              "failure STARTTLS refused 454 4.7.0 TLS not available due to temporary reason",
                              "reply QUIT 221 bye"});
        CHECK(r.output == "EHLO client.example\r\nSTARTTLS\r\nQUIT\r\n");
    }
    SECTION("EHLO refused, HELO accepted: no extensions, so no TLS") {
        const client_run r = run_everywhere(tls_config(tls_policy::required),
                                            {greeting, "502 no EHLO\r\n", "250 mx.example\r\n", "221 bye\r\n"},
                                            false, {simple_message({"bob@mx.example"})});
        CHECK(r.events == std::vector<std::string>{"greeted 220 mx.example ESMTP ready",
                                                   "failure STARTTLS not offered", "reply QUIT 221 bye"});
    }
}

TEST_CASE("client STARTTLS: opportunistic goes on in clear when TLS is not to be had") {
    const client_run refused = run_everywhere(
        tls_config(tls_policy::opportunistic),
        {greeting, ehlo_starttls, "454 4.7.0 not now\r\n", "250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 go\r\n",
         "250 2.0.0 queued\r\n", "221 bye\r\n"},
        false, {simple_message({"bob@mx.example"})});
    CHECK(refused.events.at(1) == "ready EHLO");
    CHECK(refused.events.at(refused.events.size() - 2) == "done success 1/1 250 2.0.0 queued");
    const client_run none = run_everywhere(
        tls_config(tls_policy::none),
        {greeting, ehlo_starttls, "250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 go\r\n", "250 2.0.0 queued\r\n",
         "221 bye\r\n"},
        false, {simple_message({"bob@mx.example"})});
    CHECK(none.output.find("STARTTLS") == std::string::npos);
    CHECK(none.events.at(1) == "ready EHLO");
}

TEST_CASE("client STARTTLS: a failed handshake, misuse, implicit TLS") {
    client_session c(tls_config(tls_policy::required));
    CHECK(c.tls_established() == errc::wrong_state);
    CHECK(c.tls_failed() == errc::wrong_state);
    std::string in = greeting + ehlo_starttls;
    REQUIRE(c.feed(in) == errc::ok);
    std::string out;
    client_event ev;
    for (int i = 0; i < 20; ++i) {
        ev = c.next_event();
        if (std::holds_alternative<need_output>(ev)) {
            out += c.output();
            c.consume_output(c.output().size());
        }
        if (std::holds_alternative<need_data>(ev)) break;
    }
    CHECK(out == "EHLO client.example\r\nSTARTTLS\r\n");
    CHECK(c.mail_from("a@client.example") == errc::wrong_state);
    const std::string reply = "220 go\r\n";
    REQUIRE(c.feed(reply) == errc::ok);
    ev = c.next_event();
    REQUIRE(std::holds_alternative<tls_handover>(ev));
    CHECK_FALSE(c.wants_read());
    CHECK(c.current_timeout().kind == timeout_kind::none);
    CHECK(c.mail_from("a@client.example") == errc::wrong_state);
    REQUIRE(c.tls_failed() == errc::ok);
    ev = c.next_event();
    const auto* f = std::get_if<client_failure>(&ev);
    REQUIRE(f != nullptr);
    CHECK(f->what == client_error::tls_failed);
    CHECK(std::holds_alternative<closed>(c.next_event()));
    CHECK(c.output().empty());  // no QUIT in clear after a failed handshake

    client_config implicit = tls_config(tls_policy::required);
    implicit.implicit_tls = true;
    const client_run r = run_everywhere(implicit, {greeting, ehlo_starttls, "221 bye\r\n"}, false, {});
    CHECK(r.output.find("STARTTLS") == std::string::npos);
    CHECK(r.events.at(1) == "ready EHLO TLS");
}

// --- AUTH (RFC 4954) -------------------------------------------------------------------

namespace {
client_config auth_client(sasl::mechanism_set mechanisms, bool in_clear) {
    client_config c = config();
    c.auth.user = "tim";
    c.auth.password = "tanstaaftanstaaf";
    c.auth.mechanisms = mechanisms;
    c.auth.allow_in_clear = in_clear;
    return c;
}
const std::string ehlo_auth = "250-mx.example\r\n250-PIPELINING\r\n250 AUTH LOGIN PLAIN\r\n";
const std::string accepted_tx = "250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 go\r\n";
} // namespace

TEST_CASE("client AUTH: PLAIN with an initial response, LOGIN answering its prompts") {
    SECTION("PLAIN, the strongest both allow") {
        const client_run r = run_everywhere(
            auth_client(client_mechanisms, true),
            {greeting, ehlo_auth, "235 2.7.0 Authentication successful\r\n", accepted_tx, "250 queued\r\n", "221 bye\r\n"},
            false, {simple_message({"bob@mx.example"})});
        CHECK(r.output.rfind("EHLO client.example\r\nAUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\nMAIL FROM:", 0) == 0);
        CHECK(r.events.at(1) == "ready EHLO AUTH");
        CHECK(r.events.at(r.events.size() - 2) == "done success 1/1 250 queued");
    }
    SECTION("LOGIN, case-insensitive legacy AUTH= announcement") {
        const client_run r = run_everywhere(
            auth_client({sasl::mechanism::login}, true),
            {greeting, "250-mx.example\r\n250-AUTH=login\r\n250 8BITMIME\r\n", "334 VXNlcm5hbWU6\r\n",
             "334 UGFzc3dvcmQ6\r\n", "235 2.7.0 ok\r\n", "250 OK\r\n", "250 OK\r\n", "354 go\r\n", "250 queued\r\n",
             "221 bye\r\n"},
            false, {simple_message({"bob@mx.example"})});
        CHECK(r.output.rfind("EHLO client.example\r\nAUTH LOGIN\r\ndGlt\r\ndGFuc3RhYWZ0YW5zdGFhZg==\r\nMAIL FROM:", 0) == 0);
        CHECK(r.events.at(r.events.size() - 2) == "done success 1/1 250 queued");
    }
}

TEST_CASE("client AUTH: no mail without successful authentication") {
    SECTION("535: a permanent failure") {
        const client_run r = run_everywhere(auth_client(client_mechanisms, true),
                                            {greeting, ehlo_auth, "535 5.7.8 Authentication credentials invalid\r\n",
                                             "221 bye\r\n"},
                                            false, {simple_message({"bob@mx.example"})});
        CHECK(r.events == std::vector<std::string>{
                              "greeted 220 mx.example ESMTP ready",
                              "failure authentication failed 535 5.7.8 Authentication credentials invalid",
                              "reply QUIT 221 bye"});
        CHECK(r.output.find("MAIL") == std::string::npos);
    }
    SECTION("454: a transient failure") {
        const client_run r = run_everywhere(auth_client(client_mechanisms, true),
                                            {greeting, ehlo_auth, "454 4.7.0 Temporary authentication failure\r\n",
                                             "221 bye\r\n"},
                                            false, {simple_message({"bob@mx.example"})});
        CHECK(r.events.at(1) == "failure authentication failed 454 4.7.0 Temporary authentication failure");
    }
    SECTION("AUTH not offered") {
        const client_run r = run_everywhere(auth_client(client_mechanisms, true),
                                            {greeting, ehlo_pipelining, "221 bye\r\n"}, false,
                                            {simple_message({"bob@mx.example"})});
        CHECK(r.events.at(1) == "failure no usable AUTH mechanism");
        CHECK(r.output == "EHLO client.example\r\nQUIT\r\n");
    }
    SECTION("never a password in clear unless allowed") {
        const client_run r = run_everywhere(auth_client(client_mechanisms, false),
                                            {greeting, ehlo_auth, "221 bye\r\n"}, false,
                                            {simple_message({"bob@mx.example"})});
        CHECK(r.events.at(1) == "failure no usable AUTH mechanism");
        CHECK(r.output.find("tanstaaf") == std::string::npos);
        CHECK(r.output.find("AUTH") == std::string::npos);
    }
}

TEST_CASE("client AUTH: inside STARTTLS, with the capabilities announced inside TLS") {
    client_config c = auth_client(client_mechanisms, false);
    c.starttls = tls_policy::required;
    const client_run r = run_everywhere(
        c,
        {greeting, "250-mx.example\r\n250 STARTTLS\r\n", "220 go\r\n", ehlo_auth, "235 2.7.0 ok\r\n", accepted_tx,
         "250 queued\r\n", "221 bye\r\n"},
        false, {simple_message({"bob@mx.example"})});
    CHECK(r.output.rfind("EHLO client.example\r\nSTARTTLS\r\nEHLO client.example\r\nAUTH PLAIN ", 0) == 0);
    CHECK(r.events.at(2) == "ready EHLO TLS AUTH");
}

TEST_CASE("client AUTH: a PLAIN message too long for the AUTH line waits for the 334") {
    client_config c = auth_client({sasl::mechanism::plain}, true);
    const std::string password(255, 'p');
    const std::string authzid(255, 'a');
    c.auth.password = password;
    c.auth.authorization_id = authzid;
    const client_run r = run_everywhere(c, {greeting, ehlo_auth, "334 \r\n", "235 ok\r\n", "221 bye\r\n"}, false, {});
    // 515 octets of PLAIN message are 688 of base64: over 512 with "AUTH PLAIN ".
    CHECK(r.output.rfind("EHLO client.example\r\nAUTH PLAIN\r\nYWFh", 0) == 0);
    const std::size_t response = r.output.find("\r\nYWFh") + 2;
    CHECK(r.output.find("\r\n", response) - response == 688);
    CHECK(r.events.at(1) == "ready EHLO AUTH");
}

// --- AUTH with CRAM-MD5, SCRAM-SHA-256, XOAUTH2, OAUTHBEARER ----------------------------

namespace {
const std::string mail_and_quit[] = {"250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 go\r\n", "250 queued\r\n",
                                     "221 bye\r\n"};

// RFC 7677 §3: user "user", password "pencil", and the messages exchanged.
constexpr std::string_view rfc7677_nonce = "rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view rfc7677_client_first = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view rfc7677_server_first =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view rfc7677_client_final =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view rfc7677_server_final = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

client_config scram_client() {
    client_config c = config();
    c.auth.user = "user";
    c.auth.password = "pencil";
    c.auth.nonce = rfc7677_nonce;
    c.auth.allow_in_clear = true;  // PLAIN is usable too: SCRAM must still win
    return c;
}
const std::string ehlo_scram = "250-mx.example\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN SCRAM-SHA-256\r\n";

// Google's XOAUTH2 example (developers.google.com/gmail/imap/xoauth2-protocol).
constexpr std::string_view google_user = "someuser@example.com";
constexpr std::string_view google_token = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg";
constexpr std::string_view google_response =
    "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52"
    "YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==";
constexpr std::string_view google_error =
    "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIG1hYyIsInNjb3BlIjoiaHR0cHM6Ly9t"
    "YWlsLmdvb2dsZS5jb20vIn0K";

// RFC 7628 §4.1 (SMTP, port 587) and §4.3.
constexpr std::string_view rfc7628_token = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==";
constexpr std::string_view rfc7628_response =
    "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9NTg3AWF1dGg9QmVhcmVy"
    "IHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB";
constexpr std::string_view rfc7628_error =
    "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3Vy"
    "YXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=";

client_config oauth_client(std::string_view user, std::string_view token) {
    client_config c = config();
    c.implicit_tls = true;  // bearer tokens cross the wire: only inside TLS
    c.auth.user = user;
    c.auth.token = token;
    return c;
}

std::vector<std::string> script(std::vector<std::string> head, bool then_mail = true) {
    if (then_mail) head.insert(head.end(), std::begin(mail_and_quit), std::end(mail_and_quit));
    return head;
}

// Whether the session fails at construction.
bool invalid(const client_config& c) {
    client_session s(c);
    const client_event ev = s.next_event();
    const auto* f = std::get_if<client_failure>(&ev);
    return f != nullptr && f->what == client_error::invalid_config && s.output().empty();
}
} // namespace

TEST_CASE("client AUTH: CRAM-MD5 answers RFC 2195's challenge with its response") {
    // Without TLS and without allow_in_clear PLAIN is out; CRAM-MD5 sends no password.
    const client_run r = run_everywhere(
        auth_client(client_mechanisms, false),
        script({greeting, "250-mx.example\r\n250-PIPELINING\r\n250 AUTH PLAIN CRAM-MD5\r\n",
                "334 " + smtpwire_test::base64("<1896.697170952@postoffice.reston.mci.net>") + "\r\n", "235 2.7.0 ok\r\n"}),
        false, {simple_message({"bob@mx.example"})});
    CHECK(smtpwire_test::base64("<1896.697170952@postoffice.reston.mci.net>") ==
          "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+");
    CHECK(r.output.rfind("EHLO client.example\r\nAUTH CRAM-MD5\r\n"
                         "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\nMAIL FROM:",
                         0) == 0);
    CHECK(r.events.at(1) == "ready EHLO AUTH");
    CHECK(r.events.at(r.events.size() - 2) == "done success 1/1 250 queued");
    SECTION("a challenge that is not one is cancelled") {
        const client_run empty = run_everywhere(
            auth_client({sasl::mechanism::cram_md5}, false),
            {greeting, "250-mx.example\r\n250 AUTH CRAM-MD5\r\n", "334 \r\n", "501 5.0.0 cancelled\r\n", "221 bye\r\n"},
            false, {});
        CHECK(empty.output == "EHLO client.example\r\nAUTH CRAM-MD5\r\n*\r\nQUIT\r\n");
        CHECK(empty.events.at(1) == "failure authentication failed 501 5.0.0 cancelled");
    }
}

// Each run of a SCRAM script runs PBKDF2 (4096 iterations): the cases are split so that
// ctest runs them side by side.
TEST_CASE("client AUTH: SCRAM-SHA-256 with RFC 7677's exchange, preferred to PLAIN") {
    const std::string server_first = "334 " + smtpwire_test::base64(rfc7677_server_first) + "\r\n";
    SECTION("the server proves it knows the password") {
        const client_run r =
            run_everywhere(scram_client(),
                           script({greeting, ehlo_scram, server_first, "334 " + smtpwire_test::base64(rfc7677_server_final) + "\r\n",
                                   "235 2.7.0 Authentication successful\r\n"}),
                           false, {simple_message({"bob@mx.example"})});
        CHECK(r.output.rfind("EHLO client.example\r\nAUTH SCRAM-SHA-256 " + smtpwire_test::base64(rfc7677_client_first) + "\r\n" +
                                 smtpwire_test::base64(rfc7677_client_final) + "\r\n\r\nMAIL FROM:",
                             0) == 0);
        CHECK(r.events.at(1) == "ready EHLO AUTH");
        CHECK(r.events.at(r.events.size() - 2) == "done success 1/1 250 queued");
    }
    SECTION("a client-first message too long for the AUTH line waits for the 334") {
        client_config c = scram_client();
        const std::string user(150, ',');  // "=2C" each: 450 octets
        c.auth.user = user;
        const client_run r = run_everywhere(c, {greeting, ehlo_scram, "334 \r\n"}, false, {});
        std::string first = "n,,n=";
        for (int i = 0; i < 150; ++i) first += "=2C";
        first += ",r=" + std::string(rfc7677_nonce);
        CHECK(r.output == "EHLO client.example\r\nAUTH SCRAM-SHA-256\r\n" + smtpwire_test::base64(first) + "\r\n");
    }
    SECTION("a nonce of random octets is sent in base64 without padding") {
        client_config c = scram_client();
        const std::string octets("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f", 16);
        c.auth.nonce = octets;
        const client_run r = run_client(c, {greeting, ehlo_scram}, false, sending_app({}));
        CHECK(r.output == "EHLO client.example\r\nAUTH SCRAM-SHA-256 " +
                              smtpwire_test::base64("n,,n=user,r=AAECAwQFBgcICQoLDA0ODw") + "\r\n");
    }
}

TEST_CASE("client AUTH: SCRAM-SHA-256 with a server that does not prove itself") {
    const std::string server_first = "334 " + smtpwire_test::base64(rfc7677_server_first) + "\r\n";
    SECTION("a tampered server signature: cancel, fail, and send nothing more") {
        std::string tampered(rfc7677_server_final);
        tampered[14] = tampered[14] == 'R' ? 'S' : 'R';  // still 32 octets of valid base64
        const client_run r = run_everywhere(
            scram_client(), {greeting, ehlo_scram, server_first, "334 " + smtpwire_test::base64(tampered) + "\r\n", "235 2.7.0 ok\r\n"},
            false, {simple_message({"bob@mx.example"})});
        CHECK(r.output == "EHLO client.example\r\nAUTH SCRAM-SHA-256 " + smtpwire_test::base64(rfc7677_client_first) + "\r\n" +
                              smtpwire_test::base64(rfc7677_client_final) + "\r\n*\r\nQUIT\r\n");
        CHECK(r.events == std::vector<std::string>{"greeted 220 mx.example ESMTP ready",
                                                   "failure authentication failed"});
        CHECK(r.done);
    }
    SECTION("235 without the server's signature is not success") {
        const client_run r = run_everywhere(scram_client(), {greeting, ehlo_scram, server_first, "235 2.7.0 ok\r\n"},
                                            false, {simple_message({"bob@mx.example"})});
        CHECK(r.output.substr(r.output.size() - 8) == "\r\nQUIT\r\n");
        CHECK(r.output.find("MAIL") == std::string::npos);
        CHECK(r.events.back() == "failure authentication failed 235 2.7.0 ok");
    }
    SECTION("a server-first message whose nonce is not the client's is refused") {
        std::string other(rfc7677_server_first);
        other[2] = 'X';
        const client_run r = run_everywhere(scram_client(), {greeting, ehlo_scram, "334 " + smtpwire_test::base64(other) + "\r\n"},
                                            false, {simple_message({"bob@mx.example"})});
        CHECK(r.output == "EHLO client.example\r\nAUTH SCRAM-SHA-256 " + smtpwire_test::base64(rfc7677_client_first) +
                              "\r\n*\r\nQUIT\r\n");
        CHECK(r.events.back() == "failure authentication failed");
    }
    SECTION("a server asking for 2^32 - 1 iterations is refused before any hashing") {
        std::string hostile(rfc7677_server_first);
        hostile.replace(hostile.find(",i=4096"), 7, ",i=4294967295");
        const client_run r = run_everywhere(scram_client(), {greeting, ehlo_scram, "334 " + smtpwire_test::base64(hostile) + "\r\n"},
                                            false, {simple_message({"bob@mx.example"})});
        CHECK(r.output == "EHLO client.example\r\nAUTH SCRAM-SHA-256 " + smtpwire_test::base64(rfc7677_client_first) +
                              "\r\n*\r\nQUIT\r\n");
        CHECK(r.events.back() == "failure authentication failed");
    }
}

TEST_CASE("client AUTH: SCRAM-SHA-256 refused by the server") {
    const std::string server_first = "334 " + smtpwire_test::base64(rfc7677_server_first) + "\r\n";
    SECTION("the server's error (e=) is answered, and its failure reply reported") {
        const client_run r = run_everywhere(
            scram_client(),
            {greeting, ehlo_scram, server_first, "334 " + smtpwire_test::base64("e=invalid-proof") + "\r\n",
             "535 5.7.8 Authentication credentials invalid\r\n", "221 bye\r\n"},
            false, {simple_message({"bob@mx.example"})});
        CHECK(r.output == "EHLO client.example\r\nAUTH SCRAM-SHA-256 " + smtpwire_test::base64(rfc7677_client_first) + "\r\n" +
                              smtpwire_test::base64(rfc7677_client_final) + "\r\n\r\nQUIT\r\n");
        CHECK(r.events == std::vector<std::string>{
                              "greeted 220 mx.example ESMTP ready",
                              "failure authentication failed 535 5.7.8 Authentication credentials invalid",
                              "reply QUIT 221 bye"});
    }
}

TEST_CASE("client AUTH: XOAUTH2 with Google's example, and its error exchange") {
    const std::string ehlo = "250-mx.example\r\n250-PIPELINING\r\n250 AUTH XOAUTH2 PLAIN\r\n";
    SECTION("accepted") {
        const client_run r = run_everywhere(oauth_client(google_user, google_token),
                                            script({greeting, ehlo, "235 2.7.0 Accepted\r\n"}), false,
                                            {simple_message({"bob@mx.example"})});
        CHECK(r.output.rfind("EHLO client.example\r\nAUTH XOAUTH2 " + std::string(google_response) +
                                 "\r\nMAIL FROM:",
                             0) == 0);
        CHECK(r.events.at(1) == "ready EHLO TLS AUTH");
    }
    SECTION("refused: the error object, an empty line, the failure reply") {
        for (const char* failure : {"535 5.7.8 Username and Password not accepted\r\n",
                                    "454 4.7.0 Temporary authentication failure\r\n"}) {
            const client_run r = run_everywhere(
                oauth_client(google_user, google_token),
                {greeting, ehlo, "334 " + std::string(google_error) + "\r\n", failure, "221 bye\r\n"}, false,
                {simple_message({"bob@mx.example"})});
            CHECK(r.output == "EHLO client.example\r\nAUTH XOAUTH2 " + std::string(google_response) +
                                  "\r\n\r\nQUIT\r\n");
            const std::string reply(failure, std::strlen(failure) - 2);
            CHECK(r.events == std::vector<std::string>{"greeted 220 mx.example ESMTP ready",
                                                       "failure authentication failed " + reply,
                                                       "reply QUIT 221 bye"});
        }
    }
    SECTION("a challenge that is not the error object is cancelled") {
        const client_run r = run_everywhere(oauth_client(google_user, google_token),
                                            {greeting, ehlo, "334 " + smtpwire_test::base64("hello") + "\r\n",
                                             "501 5.7.0 cancelled\r\n", "221 bye\r\n"},
                                            false, {});
        CHECK(r.output.substr(r.output.size() - 11) == "\r\n*\r\nQUIT\r\n");
        CHECK(r.events.at(1) == "failure authentication failed 501 5.7.0 cancelled");
    }
}

TEST_CASE("client AUTH: OAUTHBEARER with RFC 7628's examples") {
    client_config c = oauth_client("user@example.com", rfc7628_token);
    c.auth.oauth_host = "server.example.com";
    c.auth.oauth_port = 587;
    // XOAUTH2 is offered too: OAUTHBEARER, the standard, is preferred.
    const std::string ehlo = "250-mx.example\r\n250-PIPELINING\r\n250 AUTH XOAUTH2 OAUTHBEARER\r\n";
    SECTION("section 4.1: accepted") {
        const client_run r = run_everywhere(c, script({greeting, ehlo, "235 Authentication successful.\r\n"}), false,
                                            {simple_message({"bob@mx.example"})});
        CHECK(r.output.rfind("EHLO client.example\r\nAUTH OAUTHBEARER " + std::string(rfc7628_response) +
                                 "\r\nMAIL FROM:",
                             0) == 0);
        CHECK(r.events.at(1) == "ready EHLO TLS AUTH");
    }
    SECTION("section 4.3: the error object is answered with ^A") {
        const client_run r = run_everywhere(
            c,
            {greeting, ehlo, "334 " + std::string(rfc7628_error) + "\r\n",
             "535 5.7.8 Authentication credentials invalid\r\n", "221 bye\r\n"},
            false, {simple_message({"bob@mx.example"})});
        CHECK(r.output == "EHLO client.example\r\nAUTH OAUTHBEARER " + std::string(rfc7628_response) +
                              "\r\nAQ==\r\nQUIT\r\n");
        CHECK(r.events == std::vector<std::string>{
                              "greeted 220 mx.example ESMTP ready",
                              "failure authentication failed 535 5.7.8 Authentication credentials invalid",
                              "reply QUIT 221 bye"});
    }
    SECTION("an authorization identity goes in the GS2 header instead of the user") {
        client_config as = c;
        as.auth.authorization_id = "boss@example.com";
        const client_run r = run_client(as, {greeting, ehlo}, false, sending_app({}));
        std::string message(sasl::oauthbearer_message_size("boss@example.com", "server.example.com", 587,
                                                           rfc7628_token),
                            '?');
        (void)sasl::oauthbearer_message("boss@example.com", "server.example.com", 587, rfc7628_token,
                                        message.data());
        CHECK(r.output == "EHLO client.example\r\nAUTH OAUTHBEARER " + smtpwire_test::base64(message) + "\r\n");
    }
}

TEST_CASE("client AUTH: a long token waits for the 334 instead of going with AUTH") {
    // PITFALLS: Google answers an over-long AUTH line "555 5.5.2 command line too long".
    const std::string token(2000, 'T');
    for (sasl::mechanism m : {sasl::mechanism::xoauth2, sasl::mechanism::oauthbearer}) {
        client_config c = oauth_client("someone@example.com", token);
        c.output_buffer = 1024;  // grown to hold the response line
        c.auth.mechanisms = {m};
        const std::string name(sasl::to_string(m));
        const std::string ehlo = "250-mx.example\r\n250 AUTH " + name + "\r\n";
        const client_run r = run_everywhere(c, script({greeting, ehlo, "334 \r\n", "235 2.7.0 ok\r\n"}), false,
                                            {simple_message({"bob@mx.example"})});
        const std::size_t raw = m == sasl::mechanism::xoauth2
                                    ? sasl::xoauth2_message_size("someone@example.com", token)
                                    : sasl::oauthbearer_message_size("someone@example.com", "", 0, token);
        std::string message(raw, '?');
        if (m == sasl::mechanism::xoauth2)
            (void)sasl::xoauth2_message("someone@example.com", token, message.data());
        else
            (void)sasl::oauthbearer_message("someone@example.com", "", 0, token, message.data());
        CHECK(smtpwire_test::base64(message).size() > 2000);
        CHECK(r.output.rfind("EHLO client.example\r\nAUTH " + name + "\r\n" + smtpwire_test::base64(message) + "\r\nMAIL FROM:", 0) ==
              0);
        CHECK(r.events.at(1) == "ready EHLO TLS AUTH");
        CHECK(r.events.at(r.events.size() - 2) == "done success 1/1 250 queued");
    }
}

TEST_CASE("client AUTH: the mechanism is the strongest the credentials, the application and the server allow") {
    const std::string all = "250-mx.example\r\n250 AUTH LOGIN PLAIN CRAM-MD5 XOAUTH2 OAUTHBEARER SCRAM-SHA-256\r\n";
    const auto chosen = [&all](const client_config& c) {
        const client_run r = run_client(c, {greeting, all}, false, sending_app({}));
        const std::size_t at = r.output.find("AUTH ");
        if (at == std::string::npos) return r.events.back();
        return r.output.substr(at + 5, r.output.find_first_of(" \r", at + 5) - at - 5);
    };
    client_config c = auth_client(client_mechanisms, true);
    CHECK(chosen(c) == "CRAM-MD5");  // no nonce: no SCRAM; no token: no OAuth
    c.auth.nonce = rfc7677_nonce;
    CHECK(chosen(c) == "SCRAM-SHA-256");
    c.auth.token = rfc7628_token;
    CHECK(chosen(c) == "SCRAM-SHA-256");
    c.auth.mechanisms.remove(sasl::mechanism::scram_sha_256);
    CHECK(chosen(c) == "OAUTHBEARER");
    c.auth.mechanisms.remove(sasl::mechanism::oauthbearer);
    CHECK(chosen(c) == "XOAUTH2");
    c.auth.allow_in_clear = false;  // the token may not cross in clear; the password's proof may
    CHECK(chosen(c) == "CRAM-MD5");
    c.auth.mechanisms.remove(sasl::mechanism::cram_md5);
    CHECK(chosen(c) == "failure no usable AUTH mechanism");
    c.implicit_tls = true;
    CHECK(chosen(c) == "XOAUTH2");

    SECTION("OAuth only with a token") {
        client_config p = auth_client(client_mechanisms, true);
        p.auth.mechanisms = {sasl::mechanism::oauthbearer, sasl::mechanism::xoauth2, sasl::mechanism::plain};
        CHECK(chosen(p) == "PLAIN");
        p.auth.mechanisms = {sasl::mechanism::oauthbearer, sasl::mechanism::xoauth2};
        CHECK(invalid(p));  // nothing the application allows can use a password
    }
    SECTION("with an authorization identity only PLAIN and OAUTHBEARER, which can carry it") {
        client_config a = auth_client(client_mechanisms, true);
        a.auth.nonce = rfc7677_nonce;
        a.auth.authorization_id = "boss";
        CHECK(chosen(a) == "PLAIN");
        a.auth.token = rfc7628_token;
        CHECK(chosen(a) == "OAUTHBEARER");
        a.auth.mechanisms = {sasl::mechanism::login, sasl::mechanism::cram_md5, sasl::mechanism::scram_sha_256};
        CHECK(invalid(a));
    }
}

TEST_CASE("client AUTH: credentials a mechanism could not send fail before a byte is sent") {
    CHECK_FALSE(invalid(auth_client(client_mechanisms, false)));
    client_config c = auth_client(client_mechanisms, false);
    c.auth.password = {};
    CHECK(invalid(c));  // a user without a password or a token
    c = oauth_client("someone@example.com", "not a b64token");
    CHECK(invalid(c));
    c = oauth_client("some\x01one", google_token);
    CHECK(invalid(c));
    c.auth.mechanisms = {sasl::mechanism::plain};  // the token is not used: not checked
    c.auth.password = "secret";
    CHECK_FALSE(invalid(c));
    c = oauth_client("someone@example.com", google_token);
    c.auth.oauth_host = "bad host";
    CHECK(invalid(c));
    c.auth.mechanisms = {sasl::mechanism::xoauth2};  // the host is OAUTHBEARER's only
    CHECK_FALSE(invalid(c));

    client_config s = scram_client();
    CHECK_FALSE(invalid(s));
    s.auth.nonce = "fifteen octets.";
    CHECK(invalid(s));
    s.auth.nonce = std::string_view("rOprNGfwEbeRWgbNEkqOrOprNGfwEbeRWgbNEkqOrOprNGfwEbeRWgbNEkqOrOprNGfwEbeRWgbNEkqO"
                                    "rOprNGfwEbeRWgbNEkqOrOprNGfwEbeRWgbNEkqOrOprNGfwEbeRWgbNEkqO");
    CHECK(s.auth.nonce.size() > 128);
    CHECK(invalid(s));
    s.auth.mechanisms.remove(sasl::mechanism::scram_sha_256);  // the nonce is not used
    CHECK_FALSE(invalid(s));
    s = scram_client();
    const std::string commas(200, ',');  // 600 octets escaped: over SCRAM's message limit
    s.auth.user = commas;
    CHECK(invalid(s));
    s.auth.mechanisms.remove(sasl::mechanism::scram_sha_256);
    CHECK_FALSE(invalid(s));
}

TEST_CASE("client AUTH: SCRAM allocates only at construction, and only when it may be used") {
    const std::string ehlo = greeting + ehlo_scram;
    const std::string first = "334 " + smtpwire_test::base64(rfc7677_server_first) + "\r\n";
    const std::string last = "334 " + smtpwire_test::base64(rfc7677_server_final) + "\r\n235 2.7.0 ok\r\n";
    std::string out;
    out.reserve(4096);
    std::string in;
    in.reserve(4096);
    client_config no_nonce = scram_client();
    no_nonce.auth.nonce = {};
    const std::size_t before_plain = allocation_count();
    { client_session plain(no_nonce); }
    const std::size_t plain_allocations = allocation_count() - before_plain;
    const std::size_t before_scram = allocation_count();
    { client_session scram(scram_client()); }
    CHECK(allocation_count() - before_scram == plain_allocations + 1);  // the SCRAM client

    client_session c(scram_client());
    const std::size_t before = allocation_count();
    bool ready_seen = false;
    const auto drain = [&] {
        for (;;) {
            const client_event ev = c.next_event();
            if (std::holds_alternative<need_output>(ev)) {
                out.append(c.output());
                c.consume_output(c.output().size());
            } else if (std::holds_alternative<ready>(ev)) {
                ready_seen = std::get_if<ready>(&ev)->authenticated;
            } else if (std::holds_alternative<need_data>(ev) || std::holds_alternative<closed>(ev) ||
                       std::holds_alternative<client_failure>(ev)) {
                return;
            }
        }
    };
    for (const std::string* bytes : {&ehlo, &first, &last}) {
        in.assign(*bytes);
        REQUIRE(c.feed(in) == errc::ok);
        drain();
    }
    CHECK(allocation_count() - before == 0);
    CHECK(ready_seen);
    CHECK(out.find(smtpwire_test::base64(rfc7677_client_final)) != std::string::npos);
}

TEST_CASE("client: sizeof(client_session) is at most 1 KiB") {
    // The budget covers the session object only: configuration, AUTH credentials (their
    // bytes are allocated apart), input cursor, reply parser, transaction state and the
    // event ring. Allocated once at construction and not counted: the output buffer,
    // the storage for the server's capabilities, the replies due and the reply texts,
    // and the SCRAM client (over 1 KiB), only when SCRAM may be used.
    CHECK(sizeof(sasl::scram_sha256_client) > 1024);
    CHECK(sizeof(client_session) <= 1024);
}

// --- DSN (RFC 3461) ---------------------------------------------------------------

namespace {
// A client that has read `ehlo` and is ready to send; its output holds only EHLO.
// `input` keeps the fed bytes alive, as feed() requires.
void make_ready(client_session& c, const std::string& ehlo, std::string& input) {
    input = greeting + ehlo;
    REQUIRE(c.feed(input) == errc::ok);
    for (int i = 0; i < 10 && !std::holds_alternative<ready>(c.next_event()); ++i) {
    }
    REQUIRE(c.output() == "EHLO client.example\r\n");
    c.consume_output(c.output().size());
}
} // namespace

TEST_CASE("client: DSN requests are sent encoded when the server offers DSN, and only then") {
    mail_options options;
    options.ret = dsn_return::headers;
    options.envid = "QQ+314159";
    recipient bob{"bob@mx.example", {}, dsn_notify{false, true, true, false}, "rfc822;Bob+tag@Big-Box.example"};
    recipient fred{"fred@mx.example", {}, dsn_notify{true, false, false, false}, {}};
    recipient carol{"carol@mx.example", {}, {}, "rfc822;\"Carol Smith\"=x@Ivory.example"};
    SECTION("offered") {
        client_session c(config());
        std::string input;
        make_ready(c, "250-mx.example\r\n250-PIPELINING\r\n250 DSN\r\n", input);
        REQUIRE(c.mail_from("alice@client.example", options) == errc::ok);
        REQUIRE(c.rcpt_to(bob) == errc::ok);
        REQUIRE(c.rcpt_to(fred) == errc::ok);
        REQUIRE(c.rcpt_to(carol) == errc::ok);
        CHECK(c.output() ==
              "MAIL FROM:<alice@client.example> RET=HDRS ENVID=QQ+2B314159\r\n"
              "RCPT TO:<bob@mx.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob+2Btag@Big-Box.example\r\n"
              "RCPT TO:<fred@mx.example> NOTIFY=NEVER\r\n"
              "RCPT TO:<carol@mx.example> ORCPT=rfc822;\"Carol+20Smith\"+3Dx@Ivory.example\r\n");
    }
    SECTION("not offered: nothing of it is sent") {
        client_session c(config());
        std::string input;
        make_ready(c, "250-mx.example\r\n250 PIPELINING\r\n", input);
        REQUIRE(c.mail_from("alice@client.example", options) == errc::ok);
        REQUIRE(c.rcpt_to(bob) == errc::ok);
        REQUIRE(c.rcpt_to(fred) == errc::ok);
        CHECK(c.output() == "MAIL FROM:<alice@client.example>\r\nRCPT TO:<bob@mx.example>\r\n"
                            "RCPT TO:<fred@mx.example>\r\n");
    }
    SECTION("values that cannot be sent are refused before anything is written, offered or not") {
        // io-smtp wrote ENVID and ORCPT raw: CR LF in them injected commands.
        for (const std::string ehlo : {"250-mx.example\r\n250-PIPELINING\r\n250 DSN\r\n", "250-mx.example\r\n250 PIPELINING\r\n"}) {
            client_session c(config());
            std::string input;
            make_ready(c, ehlo, input);
            for (std::string_view bad : {std::string_view("QQ\r\nRSET"), std::string_view("QQ 314159"),
                                         std::string_view("QQ\0", 3), std::string_view("QQ\xc3\xa4")}) {
                mail_options o = options;
                o.envid = bad;
                CHECK(c.mail_from("alice@client.example", o) == errc::invalid_argument);
            }
            mail_options too_long = options;
            const std::string envid_34(34, '+');  // 102 octets once encoded
            too_long.envid = envid_34;
            CHECK(c.mail_from("alice@client.example", too_long) == errc::invalid_argument);
            CHECK(c.output().empty());
            REQUIRE(c.mail_from("alice@client.example", options) == errc::ok);
            c.consume_output(c.output().size());
            for (std::string_view bad : {"rfc822;bob@x\r\nDATA", "bob@example.net", ";bob@x", "rfc822;",
                                         "rfc 822;bob@x", "rfc822;b\xc3\xa4@x"}) {
                INFO("ORCPT " << bad);
                CHECK(c.rcpt_to(recipient{"bob@mx.example", {}, {}, bad}) == errc::invalid_argument);
            }
            const std::string orcpt_long = "rfc822;" + std::string(165, '+') + "@x";  // 502 once encoded
            CHECK(c.rcpt_to(recipient{"bob@mx.example", {}, {}, orcpt_long}) == errc::invalid_argument);
            CHECK(c.rcpt_to(recipient{"bob@mx.example", {}, dsn_notify{true, true, false, false}, {}}) ==
                  errc::invalid_argument);
            CHECK(c.output().empty());
        }
    }
}

TEST_CASE("client: send_mail carries each recipient's DSN requests to a server that takes them") {
    const recipient rcpts[] = {{"bob@mx.example", {}, dsn_notify{false, false, true, true}, "rfc822;bob@mx.example"},
                               {"carol@mx.example", {}, {}, {}}};
    envelope env;
    env.sender = "alice@client.example";
    env.options.envid = "id-1";
    env.options.ret = dsn_return::full;
    env.recipients = rcpts;
    env.recipient_count = 2;
    client_session c(config());
    std::string input;
        make_ready(c, "250-mx.example\r\n250-PIPELINING\r\n250 DSN\r\n", input);
    REQUIRE(c.send_mail(env, "Subject: x\r\n\r\nhi\r\n") == errc::ok);
    std::string out;
    for (int i = 0; i < 10; ++i) {
        const client_event ev = c.next_event();
        if (!std::holds_alternative<need_output>(ev)) break;
        out += c.output();
        c.consume_output(c.output().size());
    }
    CHECK(out == "MAIL FROM:<alice@client.example> RET=FULL ENVID=id-1\r\n"
                 "RCPT TO:<bob@mx.example> NOTIFY=FAILURE,DELAY ORCPT=rfc822;bob@mx.example\r\n"
                 "RCPT TO:<carol@mx.example>\r\nDATA\r\n");
}

// --- CHUNKING (RFC 3030) ---------------------------------------------------------------

namespace {

const std::string ehlo_chunking =
    "250-mx.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-CHUNKING\r\n250-BINARYMIME\r\n"
    "250 ENHANCEDSTATUSCODES\r\n";
const std::string ehlo_chunking_only = "250-mx.example\r\n250 CHUNKING\r\n";

} // namespace

TEST_CASE("client BDAT: each body part is a chunk, pipelined with the envelope, BDAT 0 LAST ends it") {
    const std::vector<std::string> server = {
        greeting + ehlo_chunking,
        "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.0.0 OK: 7\r\n250 2.0.0 OK: 14\r\n250 2.0.0 OK: 17\r\n"
        "250 2.0.0 queued as 42\r\n",
        "221 2.0.0 bye\r\n"};
    const client_run r = run_everywhere(config(), server, false,
                                        {simple_message({"bob@mx.example"}, "Subject: hi\r\n\r\n.x")});
    CHECK(r.output ==
          "EHLO client.example\r\n"
          "MAIL FROM:<alice@client.example>\r\nRCPT TO:<bob@mx.example>\r\n"
          "BDAT 7\r\nSubject"
          "BDAT 7\r\n: hi\r\n\r"
          "BDAT 3\r\n\n.x"
          "BDAT 0 LAST\r\n"
          "QUIT\r\n");
    CHECK(r.events == std::vector<std::string>{
                          "greeted 220 mx.example ESMTP ready", "ready EHLO", "reply MAIL 250 2.1.0 OK",
                          "reply RCPT#0 250 2.1.5 OK", "reply BDAT#0 250 2.0.0 OK: 7", "reply BDAT#1 250 2.0.0 OK: 14",
                          "reply BDAT#2 250 2.0.0 OK: 17", "reply BDAT#3 content 250 2.0.0 queued as 42",
                          "done success 1/1 250 2.0.0 queued as 42", "reply QUIT 221 2.0.0 bye"});
    CHECK(r.app_errors.empty());
    CHECK(r.done);
    // The envelope and the first chunk went in one flight with EHLO, the other chunks
    // once the recipient was accepted, and QUIT after the replies to them.
    REQUIRE(r.flights.size() >= 2);
    CHECK(r.flights[0].find("MAIL FROM:") != std::string::npos);
    CHECK(r.flights[0].size() >= 15);
    CHECK(r.flights[0].substr(r.flights[0].size() - 15) == "BDAT 7\r\nSubject");
    CHECK(r.flights[1] == "BDAT 7\r\n: hi\r\n\rBDAT 3\r\n\n.xBDAT 0 LAST\r\nQUIT\r\n");
}

TEST_CASE("client BDAT: content goes as it is, never dot-stuffed nor given CRLF") {
    const std::vector<std::string> server = {greeting + ehlo_chunking, "250 OK\r\n250 OK\r\n250 OK\r\n250 OK\r\n",
                                             "221 bye\r\n"};
    for (const std::string& body : {std::string(".\r\n"), std::string("..\n.\rx\r\n.\r\ny"), std::string("a\n.\n")}) {
        INFO(escape(body));
        const client_run r =
            run_everywhere(config(), server, false, {simple_message({"b@mx.example"}, body)}, body.size());
        const std::string expected =
            "BDAT " + std::to_string(body.size()) + "\r\n" + body + "BDAT 0 LAST\r\nQUIT\r\n";
        REQUIRE(r.output.size() >= expected.size());
        CHECK(escape(r.output.substr(r.output.size() - expected.size())) == escape(expected));
        CHECK(r.events[r.events.size() - 2] == "done success 1/1 250 OK");
    }
}

TEST_CASE("client BDAT: an empty message is BDAT 0 LAST") {
    const std::vector<std::string> server = {greeting + ehlo_chunking, "250 OK\r\n250 OK\r\n250 2.0.0 OK\r\n",
                                             "221 bye\r\n"};
    const client_run r = run_everywhere(config(), server, false, {simple_message({"b@mx.example"}, "")});
    CHECK(r.output == "EHLO client.example\r\nMAIL FROM:<alice@client.example>\r\nRCPT TO:<b@mx.example>\r\n"
                      "BDAT 0 LAST\r\nQUIT\r\n");
    CHECK(r.events[r.events.size() - 3] == "reply BDAT#0 content 250 2.0.0 OK");
    CHECK(r.events[r.events.size() - 2] == "done success 1/1 250 2.0.0 OK");
}

TEST_CASE("client BDAT: without PIPELINING each chunk waits for the reply to the one before") {
    const std::vector<std::string> server = {greeting, ehlo_chunking_only, "250 OK\r\n", "250 OK\r\n",
                                             "250 OK: 4\r\n", "250 OK: 8\r\n", "250 OK: 9\r\n", "250 queued\r\n",
                                             "221 bye\r\n"};
    const outgoing message = simple_message({"b@mx.example"}, "abcdefghi");
    const client_run r = run_everywhere(config(), server, false, {message}, 4);
    CHECK(r.events[r.events.size() - 2] == "done success 1/1 250 queued");
    const client_run stepwise = run_client(config(), server, false, sending_app({message}, 4));
    CHECK(stepwise.flights == std::vector<std::string>{"EHLO client.example\r\n",
                                                       "MAIL FROM:<alice@client.example>\r\n",
                                                       "RCPT TO:<b@mx.example>\r\n", "BDAT 4\r\nabcd",
                                                       "BDAT 4\r\nefgh", "BDAT 1\r\ni", "BDAT 0 LAST\r\n",
                                                       "QUIT\r\n"});
}

TEST_CASE("client BDAT: the first refused chunk ends the transaction, no chunk follows") {
    SECTION("a chunk refused") {
        // max_unacknowledged lets two chunks of 200 octets wait for replies, not three.
        client_config c = config();
        c.max_unacknowledged = 512;
        const std::vector<std::string> server = {
            greeting + ehlo_chunking,
            "250 OK\r\n250 OK\r\n452 4.3.1 out of space\r\n503 5.5.1 no\r\n503 5.5.1 no\r\n",
            "250 reset\r\n", "221 bye\r\n"};
        const client_run r =
            run_everywhere(c, server, false, {simple_message({"b@mx.example"}, std::string(2000, 'x'))}, 200);
        CHECK(r.events == std::vector<std::string>{
                              "greeted 220 mx.example ESMTP ready", "ready EHLO", "reply MAIL 250 OK",
                              "reply RCPT#0 250 OK", "reply BDAT#0 452 4.3.1 out of space",
                              "reply BDAT#1 503 5.5.1 no", "reply BDAT#2 503 5.5.1 no",
                              "done transient 1/1 452 4.3.1 out of space", "reply RSET 250 reset",
                              "reply QUIT 221 bye"});
        const std::string chunk = "BDAT 200\r\n" + std::string(200, 'x');
        CHECK(r.output == "EHLO client.example\r\nMAIL FROM:<alice@client.example>\r\nRCPT TO:<b@mx.example>\r\n" +
                              chunk + chunk + chunk + "RSET\r\nQUIT\r\n");
        CHECK(r.app_errors.empty());
    }
    SECTION("MAIL refused") {
        client_config c = config();
        c.max_unacknowledged = 512;
        const std::vector<std::string> server = {
            greeting + ehlo_chunking,
            "553 5.1.8 sender refused\r\n503 5.5.1 no MAIL\r\n503 5.5.1 no MAIL\r\n",
            "221 bye\r\n"};
        const client_run r =
            run_everywhere(c, server, false, {simple_message({"b@mx.example"}, std::string(2000, 'x'))}, 200);
        CHECK(r.output.find("RSET") == std::string::npos);  // the server holds no transaction
        CHECK(std::count(r.events.begin(), r.events.end(), "reply BDAT#0 503 5.5.1 no MAIL") == 1);
        CHECK(std::find(r.events.begin(), r.events.end(), "reply BDAT#1 503 5.5.1 no MAIL") == r.events.end());
        CHECK(r.output.find("BDAT 200\r\n") == r.output.rfind("BDAT 200\r\n"));  // one chunk, no recipient
        CHECK(r.events[r.events.size() - 2] == "done permanent 0/1 553 5.1.8 sender refused");
        CHECK(r.output.substr(r.output.size() - 6) == "QUIT\r\n");
    }
    SECTION("no recipient accepted") {
        client_config c = config();
        c.pipelining = false;
        const std::vector<std::string> server = {greeting + ehlo_chunking, "250 OK\r\n", "550 5.1.1 no\r\n",
                                                 "250 reset\r\n", "221 bye\r\n"};
        const client_run r = run_everywhere(c, server, false, {simple_message({"b@mx.example"})});
        CHECK(r.output == "EHLO client.example\r\nMAIL FROM:<alice@client.example>\r\nRCPT TO:<b@mx.example>\r\n"
                          "RSET\r\nQUIT\r\n");
        CHECK(r.events[r.events.size() - 3] == "done permanent 0/1 550 5.1.1 no");
    }
}

TEST_CASE("client BDAT: every recipient refused decides the outcome, also when the chunk sent with them was LAST") {
    // An empty message's only chunk, BDAT 0 LAST, goes pipelined with MAIL and RCPT. With
    // every RCPT refused, one of them 450, the transaction is transient as with DATA, and
    // the server's 554 to the chunk ("no valid recipients") does not make it permanent.
    // (fuzz_round_trip found it: the outcome depended on whether the body went in one
    // chunk.)
    const std::string replies = "250 OK\r\n450 4.2.1 later\r\n550 5.1.1 no\r\n554 5.5.1 no valid recipients\r\n";
    const std::vector<std::string> server = {greeting + ehlo_chunking, replies, "250 reset\r\n", "221 bye\r\n"};
    const outgoing message = simple_message({"b@mx.example", "c@mx.example"}, "");
    const std::string envelope =
        "EHLO client.example\r\nMAIL FROM:<alice@client.example>\r\nRCPT TO:<b@mx.example>\r\n"
        "RCPT TO:<c@mx.example>\r\n";
    const std::vector<std::string> before = {"greeted 220 mx.example ESMTP ready", "ready EHLO", "reply MAIL 250 OK",
                                             "reply RCPT#0 450 4.2.1 later", "reply RCPT#1 550 5.1.1 no"};
    const std::vector<std::string> after = {"done transient 0/2 550 5.1.1 no", "reply RSET 250 reset",
                                            "reply QUIT 221 bye"};
    SECTION("BDAT") {
        const client_run r = run_everywhere(config(), server, false, {message});
        CHECK(r.output == envelope + "BDAT 0 LAST\r\nRSET\r\nQUIT\r\n");
        std::vector<std::string> events = before;
        events.push_back("reply BDAT#0 content 554 5.5.1 no valid recipients");
        events.insert(events.end(), after.begin(), after.end());
        CHECK(r.events == events);
    }
    SECTION("DATA, for comparison") {
        client_config c = config();
        c.bdat = bdat_policy::never;
        const client_run r = run_everywhere(c, server, false, {message});
        CHECK(r.output == envelope + "DATA\r\nRSET\r\nQUIT\r\n");
        std::vector<std::string> events = before;
        events.push_back("reply DATA 554 5.5.1 no valid recipients");
        events.insert(events.end(), after.begin(), after.end());
        CHECK(r.events == events);
    }
}

TEST_CASE("client BDAT: BODY=BINARYMIME only with BINARYMIME and CHUNKING offered, never with DATA") {
    outgoing binary = simple_message({"b@mx.example"}, std::string("\0\xff\r\x80\n", 5));
    binary.options.body = body_type::binary_mime;
    SECTION("offered") {
        const std::vector<std::string> server = {greeting + ehlo_chunking, "250 OK\r\n250 OK\r\n250 OK\r\n250 OK\r\n",
                                                 "221 bye\r\n"};
        const client_run r = run_everywhere(config(), server, false, {binary}, 5);
        CHECK(escape(r.output) ==
              escape("EHLO client.example\r\nMAIL FROM:<alice@client.example> BODY=BINARYMIME\r\n"
                     "RCPT TO:<b@mx.example>\r\nBDAT 5\r\n" + binary.body + "BDAT 0 LAST\r\nQUIT\r\n"));
        CHECK(r.app_errors.empty());
    }
    SECTION("refused before anything is sent") {
        client_config never = config();
        never.bdat = bdat_policy::never;
        const struct {
            client_config config;
            std::string ehlo;
        } cases[] = {{config(), ehlo_pipelining}, {config(), "250-mx.example\r\n250 BINARYMIME\r\n"},
                     {config(), "250-mx.example\r\n250-8BITMIME\r\n250 CHUNKING\r\n"}, {never, ehlo_chunking}};
        for (const auto& c : cases) {
            INFO(escape(c.ehlo));
            const client_run r =
                run_client(c.config, {greeting + c.ehlo, "221 bye\r\n"}, false, sending_app({binary}));
            CHECK(r.app_errors == std::vector<std::string>{"mail_from: not supported by the server"});
            CHECK(r.output == "EHLO client.example\r\nQUIT\r\n");
        }
    }
}

TEST_CASE("client BDAT: bdat_policy chooses DATA or BDAT") {
    SECTION("never: DATA although CHUNKING is offered") {
        client_config c = config();
        c.bdat = bdat_policy::never;
        const std::vector<std::string> server = {greeting + ehlo_chunking, "250 OK\r\n250 OK\r\n354 go\r\n",
                                                 "250 OK\r\n", "221 bye\r\n"};
        const client_run r = run_everywhere(c, server, false, {simple_message({"b@mx.example"}, ".x")});
        CHECK(r.output.find("DATA\r\n..x\r\n.\r\nQUIT\r\n") != std::string::npos);
        CHECK(r.output.find("BDAT") == std::string::npos);
    }
    SECTION("automatic: DATA when CHUNKING is not offered") {
        const std::vector<std::string> server = {greeting + ehlo_pipelining, "250 OK\r\n250 OK\r\n354 go\r\n",
                                                 "250 OK\r\n", "221 bye\r\n"};
        const client_run r = run_everywhere(config(), server, false, {simple_message({"b@mx.example"}, "x")});
        CHECK(r.output.find("DATA\r\nx\r\n.\r\n") != std::string::npos);
    }
    SECTION("always: no mail without CHUNKING") {
        client_config c = config();
        c.bdat = bdat_policy::always;
        const client_run r = run_client(c, {greeting + ehlo_pipelining, "221 bye\r\n"}, false,
                                        sending_app({simple_message({"b@mx.example"})}));
        CHECK(r.app_errors == std::vector<std::string>{"mail_from: not supported by the server"});
        CHECK(r.output == "EHLO client.example\r\nQUIT\r\n");
    }
}

// --- LMTP (RFC 2033) ----------------------------------------------------------

namespace {

client_config lmtp_config() {
    client_config c = config();
    c.lmtp = true;
    return c;
}

const std::string lmtp_greeting = "220 foo.edu LMTP server ready\r\n";
const std::string lhlo_reply = "250-foo.edu\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n";
const std::string lhlo_chunking = "250-foo.edu\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250 CHUNKING\r\n";

} // namespace

TEST_CASE("client, LMTP: RFC 2033's example: one reply per accepted recipient after the dot") {
    const std::vector<std::string> server = {
        lmtp_greeting + lhlo_reply,
        "250 OK\r\n250 OK\r\n550 No such user here\r\n250 OK\r\n354 Start mail input; end with <CRLF>.<CRLF>\r\n",
        "250 OK\r\n452 <green@foo.edu> is temporarily over quota\r\n",
        "221 foo.edu closing connection\r\n"};
    const client_run r = run_everywhere(lmtp_config(), server, false,
                                        {simple_message({"pat@foo.edu", "jones@foo.edu", "green@foo.edu"},
                                                        "Blah blah blah...\r\n...etc. etc. etc.\r\n")});
    CHECK(r.output == "LHLO client.example\r\n"
                      "MAIL FROM:<alice@client.example>\r\nRCPT TO:<pat@foo.edu>\r\nRCPT TO:<jones@foo.edu>\r\n"
                      "RCPT TO:<green@foo.edu>\r\nDATA\r\n"
                      "Blah blah blah...\r\n....etc. etc. etc.\r\n.\r\n"
                      "QUIT\r\n");
    CHECK(r.events == std::vector<std::string>{
                          "greeted 220 foo.edu LMTP server ready", "ready EHLO", "reply MAIL 250 OK",
                          "reply RCPT#0 250 OK", "reply RCPT#1 550 No such user here", "reply RCPT#2 250 OK",
                          "reply DATA 354 Start mail input; end with <CRLF>.<CRLF>", "reply DATA content 250 OK",
                          "reply DATA content#1 452 <green@foo.edu> is temporarily over quota",
                          "done transient 2/3 delivered=1 452 <green@foo.edu> is temporarily over quota",
                          "reply QUIT 221 foo.edu closing connection"});
}

TEST_CASE("client, LMTP: every recipient delivered is a success, and the next message follows") {
    const std::vector<std::string> server = {
        lmtp_greeting + lhlo_reply,
        "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n354 go\r\n",
        "250 2.0.0 one\r\n250 2.0.0 two\r\n250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 go\r\n",
        "550 5.2.1 Mailbox disabled\r\n221 2.0.0 bye\r\n"};
    const client_run r = run_everywhere(lmtp_config(), server, false,
                                        {simple_message({"a@foo.edu", "b@foo.edu"}), simple_message({"c@foo.edu"})});
    CHECK(r.events == std::vector<std::string>{
                          "greeted 220 foo.edu LMTP server ready", "ready EHLO", "reply MAIL 250 2.1.0 OK",
                          "reply RCPT#0 250 2.1.5 OK", "reply RCPT#1 250 2.1.5 OK", "reply DATA 354 go",
                          "reply DATA content 250 2.0.0 one", "reply DATA content#1 250 2.0.0 two",
                          "done success 2/2 250 2.0.0 two", "reply MAIL 250 2.1.0 OK", "reply RCPT#0 250 2.1.5 OK",
                          "reply DATA 354 go", "reply DATA content 550 5.2.1 Mailbox disabled",
                          "done permanent 1/1 550 5.2.1 Mailbox disabled", "reply QUIT 221 2.0.0 bye"});
}

TEST_CASE("client, LMTP: after a refused MAIL the lone dot is owed a reply per accepted RCPT and delivers nothing") {
    // A server that refuses MAIL yet accepts the pipelined RCPTs and DATA: the dot alone
    // ends the data; the server answers it once per RCPT it accepted (RFC 2033 §4.2), and
    // whatever it says, the message went to no one. No reply is taken for QUIT's.
    const std::vector<std::string> server = {
        lmtp_greeting + lhlo_reply,
        "550 5.7.1 not from you\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n354 go\r\n",
        "250 2.0.0 nothing\r\n452 4.2.2 full\r\n221 2.0.0 bye\r\n"};
    const client_run r = run_everywhere(lmtp_config(), server, false,
                                        {simple_message({"a@foo.edu", "b@foo.edu"}, "secret\r\n")});
    CHECK(r.output.find("secret") == std::string::npos);
    CHECK(r.events == std::vector<std::string>{
                          "greeted 220 foo.edu LMTP server ready", "ready EHLO", "reply MAIL 550 5.7.1 not from you",
                          "reply RCPT#0 250 2.1.5 OK", "reply RCPT#1 250 2.1.5 OK", "reply DATA 354 go",
                          "reply DATA content 250 2.0.0 nothing", "reply DATA content#1 452 4.2.2 full",
                          "done permanent 2/2 550 5.7.1 not from you", "reply QUIT 221 2.0.0 bye"});
}

TEST_CASE("client, LMTP: an LHLO refused is not retried as HELO") {
    const std::vector<std::string> server = {lmtp_greeting, "500 5.5.1 Unknown command\r\n", "221 bye\r\n"};
    const client_run r = run_everywhere(lmtp_config(), server, false, {});
    CHECK(r.output == "LHLO client.example\r\nQUIT\r\n");
    REQUIRE(!r.events.empty());
    CHECK(r.events[1] == "failure EHLO and HELO refused 500 5.5.1 Unknown command");
}

TEST_CASE("client, LMTP: BDAT chunks, the LAST one answered once per accepted recipient (RFC 2033 §4.2)") {
    client_config c = lmtp_config();
    c.chunk_size = 10;
    const std::vector<std::string> server = {
        lmtp_greeting + lhlo_chunking,
        "250 OK\r\n250 OK\r\n550 No such user here\r\n250 OK\r\n250 2.0.0 OK: 10\r\n",
        "250 2.0.0 OK: 20\r\n250 2.0.0 OK: 26\r\n250 OK\r\n452 <green@foo.edu> is temporarily over quota\r\n",
        "221 foo.edu closing connection\r\n"};
    // The application gives the content in one part, then ends it: the chunks of that
    // part, then "BDAT 0 LAST".
    const client_run r = run_everywhere(c, server, false,
                                        {simple_message({"pat@foo.edu", "jones@foo.edu", "green@foo.edu"},
                                                        "Blah blah blah...\r\n.etc.\r\n")},
                                        1000);
    CHECK(r.output == "LHLO client.example\r\n"
                      "MAIL FROM:<alice@client.example>\r\nRCPT TO:<pat@foo.edu>\r\nRCPT TO:<jones@foo.edu>\r\n"
                      "RCPT TO:<green@foo.edu>\r\nBDAT 10\r\nBlah blah BDAT 10\r\nblah...\r\n.BDAT 6\r\netc.\r\n"
                      "BDAT 0 LAST\r\nQUIT\r\n");
    CHECK(r.events == std::vector<std::string>{
                          "greeted 220 foo.edu LMTP server ready", "ready EHLO", "reply MAIL 250 OK",
                          "reply RCPT#0 250 OK", "reply RCPT#1 550 No such user here", "reply RCPT#2 250 OK",
                          "reply BDAT#0 250 2.0.0 OK: 10", "reply BDAT#1 250 2.0.0 OK: 20",
                          "reply BDAT#2 250 2.0.0 OK: 26", "reply BDAT#0 content 250 OK",
                          "reply BDAT#1 content 452 <green@foo.edu> is temporarily over quota",
                          "done transient 2/3 delivered=1 452 <green@foo.edu> is temporarily over quota",
                          "reply QUIT 221 foo.edu closing connection"});
}

TEST_CASE("client, LMTP: the LAST chunk waits until every RCPT is answered") {
    // Without the RCPT replies the session cannot know how many replies BDAT LAST gets.
    client_config c = lmtp_config();
    c.bdat = bdat_policy::always;
    client_session s(c);
    std::string in = lmtp_greeting + lhlo_chunking;
    std::string out;
    const auto run = [&] {
        for (int i = 0; i < 100; ++i) {
            const client_event ev = s.next_event();
            out += s.output();
            s.consume_output(s.output().size());
            if (std::holds_alternative<need_data>(ev)) return;
        }
        FAIL("the session never waited for data");
    };
    REQUIRE(s.feed(in) == errc::ok);
    run();
    REQUIRE(s.can_send());
    const std::vector<recipient> rcpts = {{"a@foo.edu", {}}, {"b@foo.edu", {}}};
    envelope env;
    env.sender = "alice@client.example";
    env.recipients = rcpts.data();
    env.recipient_count = rcpts.size();
    REQUIRE(s.send_mail(env, "hello\r\n") == errc::ok);
    out.clear();
    run();
    CHECK(out == "MAIL FROM:<alice@client.example>\r\nRCPT TO:<a@foo.edu>\r\nRCPT TO:<b@foo.edu>\r\n");
    in = "250 OK\r\n250 OK\r\n";
    REQUIRE(s.feed(in) == errc::ok);
    out.clear();
    run();
    CHECK(out.empty());  // one RCPT reply is still due
    in = "250 OK\r\n";
    REQUIRE(s.feed(in) == errc::ok);
    out.clear();
    run();
    CHECK(out == "BDAT 7 LAST\r\nhello\r\n");
}

TEST_CASE("client: a moved session keeps its storage, and the moved-from one has none") {
    client_session first(config());
    const std::string replies = greeting + ehlo_pipelining;  // borrowed until the next feed()
    REQUIRE(first.feed(replies) == errc::ok);
    for (int i = 0; i < 10; ++i) {
        const client_event ev = first.next_event();
        if (std::holds_alternative<smtpwire::ready>(ev)) break;
        first.consume_output(first.output().size());
    }
    REQUIRE(first.server_capabilities().has(extension::pipelining));
    client_session second(std::move(first));
    CHECK(second.server_capabilities().has(extension::pipelining));
    CHECK(second.can_send());
    CHECK(second.mail_from("alice@client.example") == errc::ok);
    CHECK(second.output() == "MAIL FROM:<alice@client.example>\r\n");
    CHECK_FALSE(first.server_capabilities().has(extension::pipelining));  // NOLINT(bugprone-use-after-move)
    CHECK_FALSE(first.pipelining());                                       // NOLINT(bugprone-use-after-move)
}
