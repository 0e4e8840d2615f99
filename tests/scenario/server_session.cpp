// server_session behaviour that transcripts cannot show: limits, back-pressure, early
// input, asynchronous decisions, timeouts, disconnects, API misuse and allocations.
#include "smtpwire/server_session.hpp"
#include "support/catch.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "support/alloc_counter.hpp"
#include "support/base64_text.hpp"
#include "support/server_driver.hpp"

using namespace smtpwire;
using smtpwire_test::base64;
using smtpwire_test::describe;
using smtpwire_test::unbase64;

namespace {

// A hand-driven session: feeds bytes exactly as given and records what happens.
struct harness {
    explicit harness(server_config config = {}) : s(config) {}

    server_session s;
    std::string input;   // the bytes currently fed (tail + new)
    std::string output;  // everything the server wrote
    std::vector<std::string> events;
    std::size_t max_unconsumed = 0;
    decision_id last_auth{};  // the decision of the last auth_request
    decision_id last_message{};  // the decision of the last message_end

    // Runs until the session needs data or a decision is pending; accepts every decision
    // unless `auto_accept` is false. Returns the last flow event's name.
    std::string pump(bool auto_accept = true) {
        for (;;) {
            const server_event ev = s.next_event();
            if (std::holds_alternative<need_output>(ev)) {
                output += s.output();
                s.consume_output(s.output().size());
                continue;
            }
            if (std::holds_alternative<need_data>(ev)) {
                max_unconsumed = std::max(max_unconsumed, s.unconsumed().size());
                return "need_data";
            }
            if (std::holds_alternative<paused>(ev)) return "paused";
            if (std::holds_alternative<tls_handover>(ev)) return "tls_handover";
            if (std::holds_alternative<closed>(ev)) return "closed";
            events.push_back(describe(ev));
            if (const auto* a = std::get_if<auth_request>(&ev)) last_auth = a->decision;
            if (const auto* m = std::get_if<message_end>(&ev)) last_message = m->decision;
            if (auto_accept && is_decision(ev)) REQUIRE(s.accept() == errc::ok);
            if (!auto_accept && is_decision(ev)) return "decision";
        }
    }

    // Sends `bytes` as one client write, after the tail the session left.
    std::string send(const std::string& bytes, bool auto_accept = true) {
        input = std::string(s.unconsumed()) + bytes;
        REQUIRE(s.feed(input) == errc::ok);
        return pump(auto_accept);
    }

    // Sends `bytes` one octet per feed.
    std::string send_bytewise(const std::string& bytes) {
        std::string last;
        for (char c : bytes) last = send(std::string(1, c));
        return last;
    }

    std::string take_output() {
        std::string o;
        o.swap(output);
        return o;
    }
};

server_config config_with(extension_set ext) {
    server_config c;
    c.hostname = "mx.example";
    c.extensions = ext;
    return c;
}

const extension_set all_extensions{extension::pipelining, extension::size,
                                   extension::eight_bit_mime, extension::smtputf8,
                                   extension::enhanced_status_codes};

// A session past EHLO.
void greet(harness& h, const std::string& verb = "EHLO") {
    REQUIRE(h.pump() == "need_data");
    REQUIRE(h.send(verb + " client.example\r\n") == "need_data");
    h.take_output();
    h.events.clear();
}

} // namespace

TEST_CASE("server: an overlong command line is answered once and skipped as it arrives") {
    server_config c = config_with(all_extensions);
    c.limits.command_line = 512;
    for (bool bytewise : {false, true}) {
        harness h(c);
        greet(h);
        const std::string line = "NOOP " + std::string(5000, 'x') + "\r\n";
        if (bytewise)
            h.send_bytewise(line);
        else
            h.send(line);
        CHECK(h.take_output() == "500 5.5.2 Error: line too long\r\n");
        CHECK(h.max_unconsumed < 512);  // never buffered beyond the limit
        CHECK(h.send("NOOP\r\n") == "need_data");
        CHECK(h.take_output() == "250 2.0.0 OK\r\n");
        CHECK(h.events == std::vector<std::string>{"protocol_error 500 command line too long"});
    }
}

TEST_CASE("server: an overlong line is never executed in part (Postfix cut it at 2048)") {
    server_config c = config_with(all_extensions);
    c.limits.command_line = 512;
    harness h(c);
    greet(h);
    // The part after the limit looks like a command; it must not run.
    const std::string line = "NOOP " + std::string(507, 'x') + "RSET\r\n";
    REQUIRE(line.size() > 512);
    h.send(line.substr(0, 300));
    h.send(line.substr(300, 200));
    h.send(line.substr(500));
    CHECK(h.take_output() == "500 5.5.2 Error: line too long\r\n");
    // The CRLF ending the skipped line may be split across feeds.
    h.send(std::string(600, 'y') + "\r");
    h.send("\nNOOP\r\n");
    CHECK(h.take_output() == "500 5.5.2 Error: line too long\r\n250 2.0.0 OK\r\n");
    // Exactly at the limit (510 octets + CRLF = 512) is fine.
    const std::string fits = "NOOP " + std::string(505, 'z') + "\r\n";
    REQUIRE(fits.size() == 512);
    h.send(fits);
    CHECK(h.take_output() == "250 2.0.0 OK\r\n");
}

TEST_CASE("server: too many recipients get 452 4.5.3, not 451 or 455") {
    server_config c = config_with(all_extensions);
    c.limits.recipients = 100;
    harness h(c);
    greet(h);
    std::string batch = "MAIL FROM:<a@client.example>\r\n";
    for (int i = 0; i < 101; ++i) batch += "RCPT TO:<r" + std::to_string(i) + "@mx.example>\r\n";
    h.send(batch);
    const std::string out = h.take_output();
    CHECK(out.find("452 4.5.3 Error: too many recipients\r\n") == out.size() - 38);
    std::size_t accepted = 0;
    for (std::size_t at = out.find("250 2.1.5"); at != std::string::npos; at = out.find("250 2.1.5", at + 1))
        ++accepted;
    CHECK(accepted == 100);
    CHECK(h.events.back() == "protocol_error 452 too many recipients");
    // The transaction still works: DATA reports 100 recipients.
    h.send("DATA\r\n");
    CHECK(h.events.back() == "data_begin 100");
}

TEST_CASE("server: a message over the size limit is refused after the final dot, unbuffered") {
    server_config c = config_with(all_extensions);
    c.limits.message_size = 1000;
    harness h(c);
    greet(h);
    h.send("MAIL FROM:<a@client.example> SIZE=900\r\nRCPT TO:<b@mx.example>\r\nDATA\r\n");
    h.take_output();
    h.events.clear();
    std::string body;
    for (int i = 0; i < 40; ++i) body += "0123456789012345678901234567890123456789\r\n";  // 1680 octets
    h.send(body);
    h.send(".\r\n");
    CHECK(h.take_output() == "552 5.3.4 Error: message size exceeds fixed maximum message size\r\n");
    REQUIRE(!h.events.empty());
    CHECK(h.events.back() == "message_aborted message too large");
    std::size_t delivered = 0;
    for (const auto& e : h.events)
        if (e.rfind("body ", 0) == 0) delivered += e.size() - 5 - 2 * 0;
    CHECK(delivered <= 1000 + 64);  // content stops flowing once the limit is passed
    // The session continues with a new transaction.
    h.send("MAIL FROM:<a@client.example>\r\n");
    CHECK(h.take_output() == "250 2.1.0 OK\r\n");
}

TEST_CASE("server: exactly at the size limit is accepted") {
    server_config c = config_with(all_extensions);
    c.limits.message_size = 12;
    harness h(c);
    greet(h);
    h.send("MAIL FROM:<a@client.example> SIZE=12\r\nRCPT TO:<b@mx.example>\r\nDATA\r\n");
    h.take_output();
    h.send("0123456789\r\n.\r\n");
    CHECK(h.take_output() == "250 2.0.0 OK\r\n");
}

TEST_CASE("server: replies to a pipelined batch leave in order, flushed when input is drained") {
    harness h(config_with(all_extensions));
    greet(h);
    int flushes = 0;
    h.input = "MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\nRCPT TO:<x@mx.example>\r\n"
              "RCPT TO:<c@mx.example>\r\nDATA\r\n";
    REQUIRE(h.s.feed(h.input) == errc::ok);
    std::string out;
    for (;;) {
        const server_event ev = h.s.next_event();
        if (std::holds_alternative<need_output>(ev)) {
            ++flushes;
            out += h.s.output();
            h.s.consume_output(h.s.output().size());
            continue;
        }
        if (std::holds_alternative<need_data>(ev)) break;
        if (const auto* r = std::get_if<rcpt_to>(&ev); r && r->forward_path.raw == "x@mx.example") {
            REQUIRE(h.s.reject({550, {5, 1, 1}, "No such user"}) == errc::ok);
            continue;
        }
        REQUIRE(h.s.accept() == errc::ok);
    }
    CHECK(flushes == 1);
    CHECK(out == "250 2.1.0 OK\r\n250 2.1.5 OK\r\n550 5.1.1 No such user\r\n250 2.1.5 OK\r\n"
                 "354 End data with <CR><LF>.<CR><LF>\r\n");
}

TEST_CASE("server: a 1 KiB output buffer serves a 100-recipient pipelined batch") {
    server_config c = config_with(all_extensions);
    c.limits.output_buffer = 1024;
    harness h(c);
    greet(h);
    std::string batch = "MAIL FROM:<a@client.example>\r\n";
    for (int i = 0; i < 100; ++i) batch += "RCPT TO:<r" + std::to_string(i) + "@mx.example>\r\n";
    batch += "DATA\r\n";
    h.send(batch);
    const std::string out = h.take_output();
    std::string expected = "250 2.1.0 OK\r\n";
    for (int i = 0; i < 100; ++i) expected += "250 2.1.5 OK\r\n";
    expected += "354 End data with <CR><LF>.<CR><LF>\r\n";
    CHECK(out == expected);
}

// accept() without text writes its default replies as constants: they must be what
// accept() with the same code, status and text writes through the reply formatter, with
// enhanced status codes offered and without.
TEST_CASE("server: accept() without text writes what accept() with the default reply writes") {
    for (const bool enhanced : {true, false}) {
        std::string outputs[2];
        for (const bool spelled_out : {false, true}) {
            extension_set offered = all_extensions;
            if (!enhanced) offered.remove(extension::enhanced_status_codes);
            harness h(config_with(offered));
            greet(h);
            // Feeds `bytes` and answers every decision, until the session needs data.
            const auto send = [&](std::string_view bytes) {
                REQUIRE(h.s.feed(bytes) == errc::ok);
                for (;;) {
                    const server_event ev = h.s.next_event();
                    REQUIRE_FALSE(std::holds_alternative<closed>(ev));
                    REQUIRE_FALSE(std::holds_alternative<paused>(ev));
                    if (std::holds_alternative<need_data>(ev)) return;
                    if (std::holds_alternative<need_output>(ev)) {
                        h.output += h.s.output();
                        h.s.consume_output(h.s.output().size());
                    } else if (!is_decision(ev)) {
                        continue;  // body_chunk
                    } else if (!spelled_out) {
                        REQUIRE(h.s.accept() == errc::ok);
                    } else if (std::holds_alternative<mail_from>(ev)) {
                        REQUIRE(h.s.accept(reply{250, {2, 1, 0}, "OK"}) == errc::ok);
                    } else if (std::holds_alternative<rcpt_to>(ev)) {
                        REQUIRE(h.s.accept(reply{250, {2, 1, 5}, "OK"}) == errc::ok);
                    } else if (std::holds_alternative<data_begin>(ev)) {
                        REQUIRE(h.s.accept(reply{354, {}, "End data with <CR><LF>.<CR><LF>"}) == errc::ok);
                    } else {
                        REQUIRE(std::holds_alternative<message_end>(ev));
                        REQUIRE(h.s.accept(reply{250, {2, 0, 0}, "OK"}) == errc::ok);
                    }
                }
            };
            for (const char* bytes : {"MAIL FROM:<a@client.example>\r\n", "RCPT TO:<b@mx.example>\r\n", "DATA\r\n",
                                      "Subject: t\r\n\r\nbody\r\n.\r\n"})
                send(bytes);
            outputs[spelled_out] = h.take_output();
        }
        INFO("enhanced status codes " << enhanced);
        CHECK(outputs[0] == outputs[1]);
        CHECK(outputs[0] == (enhanced ? "250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
                                        "250 2.0.0 OK\r\n"
                                      : "250 OK\r\n250 OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n250 OK\r\n"));
    }
}

TEST_CASE("server: a decision may come later, nothing is consumed or reordered meanwhile") {
    harness h(config_with(all_extensions));
    greet(h);
    h.input = "MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\nRCPT TO:<c@mx.example>\r\n";
    REQUIRE(h.s.feed(h.input) == errc::ok);
    CHECK(h.pump(false) == "decision");  // MAIL
    REQUIRE(h.s.accept() == errc::ok);
    CHECK(h.pump(false) == "decision");  // first RCPT: hold it
    const std::size_t left = h.s.unconsumed().size();
    // The app flushes what it has and waits; the session just says paused.
    CHECK(h.pump(false) == "paused");
    CHECK(h.take_output() == "250 2.1.0 OK\r\n");
    CHECK(h.s.next_event().index() == server_event(paused{}).index());
    CHECK(h.s.unconsumed().size() == left);
    CHECK(h.s.current_timeout().kind == timeout_kind::none);
    CHECK(h.s.feed("more") == errc::wrong_state);
    REQUIRE(h.s.reject({450, {4, 2, 1}, "Try later"}) == errc::ok);
    CHECK(h.pump() == "need_data");
    CHECK(h.take_output() == "450 4.2.1 Try later\r\n250 2.1.5 OK\r\n");
}

TEST_CASE("server: input sent before its turn is refused as Postfix 3.9 does") {
    SECTION("commands pipelined after HELO (no PIPELINING)") {
        harness h(config_with(all_extensions));
        greet(h, "HELO");
        h.send("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\n");
        CHECK(h.take_output() == "554 5.5.0 Error: SMTP protocol synchronization\r\n");
        CHECK(h.events == std::vector<std::string>{"protocol_error 554 input sent before the reply it must wait for",
                                                   "closing pipelining violation"});
        CHECK(h.s.done());
    }
    SECTION("message content sent with DATA, before the 354") {
        harness h(config_with(all_extensions));
        greet(h);
        h.send("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n");
        CHECK(h.take_output() == "250 2.1.0 OK\r\n250 2.1.5 OK\r\n554 5.5.0 Error: SMTP protocol synchronization\r\n");
        CHECK(h.events.back() == "closing pipelining violation");
    }
    SECTION("tolerated when configured") {
        server_config c = config_with(all_extensions);
        c.early_input = pipelining_policy::tolerate;
        harness h(c);
        greet(h, "HELO");
        h.send("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\nDATA\r\nhi\r\n.\r\n");
        CHECK(h.take_output() == "250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 OK\r\n");
    }
    SECTION("PIPELINING allows MAIL, RCPT and DATA in one group") {
        harness h(config_with(all_extensions));
        greet(h);
        CHECK(h.send("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\nDATA\r\n") == "need_data");
        CHECK(h.take_output().find("354") != std::string::npos);
    }
}

TEST_CASE("server: the error limit ends the session with 421 4.7.0") {
    server_config c = config_with(all_extensions);
    c.limits.errors = 3;
    harness h(c);
    greet(h);
    h.send("MAIL FROM:<a@client.example>\r\n");
    h.send("FOO\r\n");
    h.send("BAR\r\n");
    CHECK(h.s.state() == server_state::mail);
    h.send("BAZ\r\n");
    CHECK(h.take_output() == "250 2.1.0 OK\r\n500 5.5.1 Error: command not recognized\r\n"
                             "500 5.5.1 Error: command not recognized\r\n"
                             "500 5.5.1 Error: command not recognized\r\n421 4.7.0 Error: too many errors\r\n");
    CHECK(h.events.back() == "closing too many errors");
    CHECK(std::find(h.events.begin(), h.events.end(), "transaction_reset") != h.events.end());
    CHECK(h.s.done());
    // Input after closing is discarded.
    CHECK(h.send("NOOP\r\n") == "closed");
    CHECK(h.take_output().empty());
}

TEST_CASE("server: a refused greeting serves only QUIT (RFC 5321 §3.1)") {
    harness h(config_with(all_extensions));
    REQUIRE(h.pump(false) == "decision");
    CHECK(h.s.reject({550, {}, "no"}) == errc::invalid_reply);  // only 554 or 421
    REQUIRE(h.s.reject({554, {}, "mx.example No SMTP service here"}) == errc::ok);
    h.send("EHLO client.example\r\n");
    h.send("MAIL FROM:<a@client.example>\r\n");
    h.send("QUIT\r\n");
    CHECK(h.take_output() == "554 mx.example No SMTP service here\r\n"
                             "503 Error: service refused, send QUIT\r\n"  // to EHLO: no status
                             "503 5.5.1 Error: service refused, send QUIT\r\n"
                             "221 2.0.0 mx.example Service closing transmission channel\r\n");
    CHECK(h.s.done());
}

TEST_CASE("server: a 421 decision closes the session") {
    harness h(config_with(all_extensions));
    greet(h);
    h.send("MAIL FROM:<a@client.example>\r\n", false);
    REQUIRE(h.s.reject({421, {4, 3, 2}, "mx.example going down"}) == errc::ok);
    CHECK(h.pump() == "closed");
    CHECK(h.take_output() == "421 4.3.2 mx.example going down\r\n");
}

TEST_CASE("server: a 421 answer inside a transaction reports the transaction's end") {
    // server_events.hpp: an error close ends the transaction in progress with
    // transaction_reset (or message_aborted while content streams). A 421 answer to a
    // decision of the transaction is such a close, whichever decision it answers.
    struct step {
        const char* name;
        std::vector<std::string> before;  // client writes whose decisions are accepted
        std::string last;                 // the write whose decision gets the 421
        std::vector<std::string> events;  // events from the 421 decision on
    };
    const step steps[] = {
        {"mail_from", {}, "MAIL FROM:<a@client.example>\r\n",
         {"mail_from <a@client.example>", "transaction_reset", "closing refused with 421"}},
        {"first rcpt_to", {"MAIL FROM:<a@client.example>\r\n"}, "RCPT TO:<b@mx.example>\r\n",
         {"rcpt_to <b@mx.example> #0", "transaction_reset", "closing refused with 421"}},
        {"second rcpt_to", {"MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\n"},
         "RCPT TO:<c@mx.example>\r\n",
         {"rcpt_to <c@mx.example> #1", "transaction_reset", "closing refused with 421"}},
        {"data_begin", {"MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\n"}, "DATA\r\n",
         {"data_begin 1", "transaction_reset", "closing refused with 421"}},
        {"message_end", {"MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\nDATA\r\n"}, "hi\r\n.\r\n",
         {"body hi\\r\\n", "message_end size=4", "transaction_reset", "closing refused with 421"}},
        {"verify inside a transaction", {"MAIL FROM:<a@client.example>\r\n"}, "VRFY someone\r\n",
         {"verify someone", "transaction_reset", "closing refused with 421"}},
        {"hello inside a transaction", {"MAIL FROM:<a@client.example>\r\n"}, "EHLO client.example\r\n",
         {"hello EHLO client.example", "transaction_reset", "closing refused with 421"}},
        // Outside a transaction there is nothing to report.
        {"hello outside a transaction", {}, "EHLO client.example\r\n",
         {"hello EHLO client.example", "closing refused with 421"}},
        {"verify outside a transaction", {}, "VRFY someone\r\n",
         {"verify someone", "closing refused with 421"}},
    };
    for (const step& st : steps) {
        INFO(st.name);
        harness h(config_with(all_extensions));
        greet(h);
        for (const std::string& w : st.before) REQUIRE(h.send(w) == "need_data");
        h.take_output();
        h.events.clear();
        REQUIRE(h.send(st.last, false) == "decision");
        REQUIRE(h.s.reject({421, {4, 3, 2}, "mx.example closing"}) == errc::ok);
        CHECK(h.pump() == "closed");
        CHECK(h.events == st.events);
        const std::string out = h.take_output();
        const bool hello = st.last.rfind("EHLO", 0) == 0;
        CHECK(out == (hello ? "421 mx.example closing\r\n" : "421 4.3.2 mx.example closing\r\n"));
        CHECK(h.s.done());
    }
}

TEST_CASE("server: a peer that disconnects mid-DATA yields an aborted message") {
    for (bool with_cr : {false, true}) {
        harness h(config_with(all_extensions));
        greet(h);
        h.send("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\nDATA\r\n");
        h.events.clear();
        h.send(with_cr ? "Subject: x\r\n\r\nbody\r\n.\r" : "Subject: x\r\n\r\nbody");
        h.s.feed_eof();
        CHECK(h.pump() == "closed");
        REQUIRE(h.events.size() >= 2);
        CHECK(h.events[h.events.size() - 2] == "message_aborted connection lost before the end of data");
        CHECK(h.events.back() == "closing peer closed");
        for (const auto& e : h.events) CHECK(e.rfind("message_end", 0) != 0);
    }
}

TEST_CASE("server: complete commands before EOF are still served") {
    harness h(config_with(all_extensions));
    greet(h);
    h.input = "RSET\r\nQUI";
    REQUIRE(h.s.feed(h.input) == errc::ok);
    h.s.feed_eof();
    CHECK(h.pump() == "closed");
    CHECK(h.take_output() == "250 2.0.0 OK\r\n");
    CHECK(h.events.back() == "closing peer closed");
}

TEST_CASE("server: timeouts follow RFC 5321 §4.5.3.2 and ignore stale epochs") {
    harness h(config_with(all_extensions));
    greet(h);
    timeout t = h.s.current_timeout();
    CHECK(t.kind == timeout_kind::command);
    CHECK(t.duration == std::chrono::minutes(5));
    h.send("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\nDATA\r\n");
    h.s.timed_out(t.epoch);  // stale: the session has moved on
    CHECK(!h.s.done());
    t = h.s.current_timeout();
    CHECK(t.kind == timeout_kind::data);
    h.take_output();
    h.events.clear();
    h.send("partial body");
    h.s.timed_out(h.s.current_timeout().epoch);
    CHECK(h.pump() == "closed");
    CHECK(h.take_output() == "421 4.4.2 Error: timeout exceeded\r\n");
    CHECK(h.events == std::vector<std::string>{"body partial body", "message_aborted connection lost before the end of data",
                                               "protocol_error 421 timeout", "closing timeout"});
}

TEST_CASE("server: a command-line deadline ends a peer that trickles one byte at a time") {
    server_config c = config_with(all_extensions);
    c.timeouts.command_line_deadline = std::chrono::seconds(10);
    harness h(c);
    greet(h);
    CHECK(h.s.current_deadline().kind == timeout_kind::none);  // no line started
    std::vector<std::uint64_t> inactivity;
    std::uint64_t deadline = 0;
    for (char byte : std::string("NOOP")) {
        REQUIRE(h.send(std::string(1, byte)) == "need_data");
        const timeout t = h.s.current_timeout();
        const timeout d = h.s.current_deadline();
        CHECK(t.kind == timeout_kind::command);
        // Every byte re-arms the inactivity timer: it alone never fires.
        if (!inactivity.empty()) CHECK(t.epoch > inactivity.back());
        inactivity.push_back(t.epoch);
        // The deadline runs from the first byte of the line: same epoch throughout.
        CHECK(d.kind == timeout_kind::command_line_deadline);
        CHECK(d.duration == std::chrono::seconds(10));
        if (deadline == 0) deadline = d.epoch;
        CHECK(d.epoch == deadline);
        CHECK(std::find(inactivity.begin(), inactivity.end(), d.epoch) == inactivity.end());
    }
    // Timers armed for earlier inactivity epochs are stale.
    for (std::size_t i = 0; i + 1 < inactivity.size(); ++i) h.s.timed_out(inactivity[i]);
    CHECK(h.s.state() == server_state::ready);
    CHECK(h.take_output().empty());
    h.s.timed_out(deadline);
    CHECK(h.pump() == "closed");
    CHECK(h.take_output() == "421 4.4.2 Error: timeout exceeded\r\n");
    CHECK(h.events == std::vector<std::string>{"protocol_error 421 timeout", "closing timeout"});
}

TEST_CASE("server: the command-line deadline starts with each line and ends at its CRLF") {
    server_config c = config_with(all_extensions);
    c.timeouts.command_line_deadline = std::chrono::seconds(10);
    harness h(c);
    greet(h);
    h.send("NO");
    const timeout first = h.s.current_deadline();
    REQUIRE(first.kind == timeout_kind::command_line_deadline);
    h.send("OP\r\n");  // the line is complete: nothing to time
    CHECK(h.s.current_deadline().kind == timeout_kind::none);
    h.s.timed_out(first.epoch);  // stale
    CHECK(h.s.state() == server_state::ready);
    h.send("RSET\r\nNO");  // a new line starts in the same read: a new deadline
    const timeout second = h.s.current_deadline();
    CHECK(second.kind == timeout_kind::command_line_deadline);
    CHECK(second.epoch > first.epoch);
    CHECK(second.epoch != h.s.current_timeout().epoch);
    h.send("OP\r\n");
    h.s.timed_out(second.epoch);  // stale
    CHECK(h.take_output() == "250 2.0.0 OK\r\n250 2.0.0 OK\r\n250 2.0.0 OK\r\n");
    SECTION("an overlong line keeps its deadline while it is skipped") {
        server_config small = c;
        small.limits.command_line = 512;
        harness o(small);
        greet(o);
        o.send(std::string(600, 'x'));
        const timeout d = o.s.current_deadline();
        CHECK(d.kind == timeout_kind::command_line_deadline);
        o.send(std::string(600, 'y'));
        CHECK(o.s.current_deadline().epoch == d.epoch);
        CHECK(o.take_output() == "500 5.5.2 Error: line too long\r\n");
        o.send("\r\n");
        CHECK(o.s.current_deadline().kind == timeout_kind::none);
    }
    SECTION("a pending decision is not the peer's time") {
        REQUIRE(h.send("MAIL FROM:<a@client.example>\r\nRC", false) == "decision");
        CHECK(h.s.current_deadline().kind == timeout_kind::none);
        REQUIRE(h.s.accept() == errc::ok);
        CHECK(h.pump() == "need_data");
        CHECK(h.s.current_deadline().kind == timeout_kind::command_line_deadline);
    }
}

TEST_CASE("server: a DATA deadline runs from the 354 to the final dot") {
    server_config c = config_with(all_extensions);
    c.timeouts.data_deadline = std::chrono::minutes(2);
    SECTION("it fires however steadily the content trickles") {
        harness h(c);
        greet(h);
        h.send("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\n");
        CHECK(h.s.current_deadline().kind == timeout_kind::none);  // off for command lines
        REQUIRE(h.send("DATA\r\n", false) == "decision");
        CHECK(h.s.current_deadline().kind == timeout_kind::none);  // no 354 yet
        REQUIRE(h.s.accept() == errc::ok);
        const timeout d = h.s.current_deadline();
        CHECK(d.kind == timeout_kind::data_deadline);
        CHECK(d.duration == std::chrono::minutes(2));
        CHECK(h.pump() == "need_data");
        CHECK(h.s.current_deadline().epoch == d.epoch);
        h.take_output();
        h.events.clear();
        for (char byte : std::string("Subject: slow\r\n\r\nbody")) {
            const std::uint64_t before = h.s.current_timeout().epoch;
            REQUIRE(h.send(std::string(1, byte)) == "need_data");
            CHECK(h.s.current_timeout().kind == timeout_kind::data);
            CHECK(h.s.current_timeout().epoch > before);
            CHECK(h.s.current_deadline().epoch == d.epoch);
            CHECK(h.s.current_deadline().kind == timeout_kind::data_deadline);
        }
        h.s.timed_out(d.epoch);
        CHECK(h.pump() == "closed");
        CHECK(h.take_output() == "421 4.4.2 Error: timeout exceeded\r\n");
        REQUIRE(h.events.size() >= 3);
        CHECK(std::vector<std::string>(h.events.end() - 3, h.events.end()) ==
              std::vector<std::string>{"message_aborted connection lost before the end of data",
                                       "protocol_error 421 timeout", "closing timeout"});
    }
    SECTION("it ends at the final dot; command lines get their own deadline") {
        c.timeouts.command_line_deadline = std::chrono::seconds(10);
        harness h(c);
        greet(h);
        h.send("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\nDATA\r\n");
        const timeout d = h.s.current_deadline();
        CHECK(d.kind == timeout_kind::data_deadline);
        h.send("hi\r\n");
        CHECK(h.s.current_deadline().epoch == d.epoch);
        h.send(".\r\nQU");
        const timeout line = h.s.current_deadline();
        CHECK(line.kind == timeout_kind::command_line_deadline);
        CHECK(line.epoch > d.epoch);
        h.s.timed_out(d.epoch);  // stale
        CHECK(h.s.state() == server_state::ready);
        h.send("IT\r\n");
        CHECK(h.take_output().find("250 2.0.0 OK\r\n221 2.0.0") != std::string::npos);
    }
}

TEST_CASE("server: deadlines are off by default") {
    harness h(config_with(all_extensions));
    greet(h);
    h.send_bytewise("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\nDATA\r\nx");
    CHECK(h.s.current_deadline().kind == timeout_kind::none);
    CHECK(server_timeouts{}.command_line_deadline.count() == 0);
    CHECK(server_timeouts{}.data_deadline.count() == 0);
}

TEST_CASE("server: shutdown() answers 421 4.3.2 even with a decision pending") {
    harness h(config_with(all_extensions));
    greet(h);
    h.send("MAIL FROM:<a@client.example>\r\n", false);
    h.s.shutdown();
    CHECK(h.s.accept() == errc::no_decision_pending);
    CHECK(h.pump() == "closed");
    CHECK(h.take_output() == "421 4.3.2 Service shutting down\r\n");
    CHECK(h.events.back() == "closing shutdown");
}

TEST_CASE("server: shutdown() while an EHLO inside a transaction is undecided") {
    harness h(config_with(all_extensions));
    greet(h);
    h.send("MAIL FROM:<a@client.example>\r\n");
    h.events.clear();
    REQUIRE(h.send("EHLO client.example\r\n", false) == "decision");
    h.s.shutdown();
    CHECK(h.s.accept() == errc::no_decision_pending);  // the hello was cancelled
    CHECK(h.pump(false) == "closed");
    // The transaction the EHLO had not reset is reported ended by the shutdown, once.
    CHECK(h.events == std::vector<std::string>{"hello EHLO client.example", "transaction_reset",
                                               "closing shutdown"});
    CHECK(h.take_output() == "250 2.1.0 OK\r\n421 4.3.2 Service shutting down\r\n");
}

TEST_CASE("server: API misuse returns an errc and changes nothing") {
    harness h(config_with(all_extensions));
    CHECK(h.s.accept() == errc::no_decision_pending);
    CHECK(h.s.reject({550, {}, "x"}) == errc::no_decision_pending);
    REQUIRE(h.pump(false) == "decision");
    CHECK(h.s.accept("two\nlines") == errc::invalid_reply);
    CHECK(h.s.accept("bad\r") == errc::invalid_reply);
    CHECK(h.s.accept(reply{250, {}, "no"}) == errc::invalid_reply);  // greeting needs accept(text)
    REQUIRE(h.s.accept() == errc::ok);
    REQUIRE(h.send("EHLO client.example\r\n", false) == "decision");
    REQUIRE(h.s.accept() == errc::ok);
    REQUIRE(h.pump(false) == "need_data");
    REQUIRE(h.send("MAIL FROM:<a@client.example>\r\n", false) == "decision");
    CHECK(h.s.reject({250, {}, "not a rejection"}) == errc::invalid_reply);
    CHECK(h.s.reject({550, {4, 0, 0}, "class mismatch"}) == errc::invalid_reply);
    CHECK(h.s.reject({999, {}, "bad code"}) == errc::invalid_reply);
    CHECK(h.s.accept(reply{550, {}, "not positive"}) == errc::invalid_reply);
    CHECK(h.s.accept(std::string(5000, 'x')) == errc::reply_too_long);  // wrapped, still over 4 KiB
    CHECK(h.s.state() == server_state::ready);
    REQUIRE(h.s.accept(reply{250, {2, 1, 0}, "Sender <a@client.example> OK"}) == errc::ok);
    CHECK(h.s.state() == server_state::mail);
}

TEST_CASE("server: EHLO and HELO replies carry no enhanced status codes (RFC 2034 §3)") {
    harness h(config_with(all_extensions));
    REQUIRE(h.pump() == "need_data");
    CHECK(h.take_output() == "220 mx.example ESMTP\r\n");
    h.send("EHLO client.example\r\n");
    CHECK(h.take_output() == "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"
                             "250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n");
    h.send("HELO client.example\r\n");
    CHECK(h.take_output() == "250 mx.example\r\n");
    h.send("EHLO not_a_domain!\r\n");
    CHECK(h.take_output() == "501 Syntax: EHLO hostname\r\n");
    h.send("HELO [192.0.2.1]\r\n");
    CHECK(h.take_output() == "250 mx.example\r\n");
}

TEST_CASE("server: after HELO as after EHLO, other replies carry enhanced status codes (RFC 2034 §4)") {
    // "Servers supporting this extension must attach enhanced status codes to their
    // responses regardless of whether or not EHLO is employed by the client."
    harness h(config_with(all_extensions));
    REQUIRE(h.pump() == "need_data");
    CHECK(h.take_output() == "220 mx.example ESMTP\r\n");
    h.send("HELO client.example\r\n");
    CHECK(h.take_output() == "250 mx.example\r\n");
    h.send("RCPT TO:<b@mx.example>\r\n");
    CHECK(h.take_output() == "503 5.5.1 Error: need MAIL command\r\n");
    h.send("MAIL FROM:<a@client.example>\r\n");
    CHECK(h.take_output() == "250 2.1.0 OK\r\n");
    h.send("RCPT TO:<b@mx.example>\r\n");
    CHECK(h.take_output() == "250 2.1.5 OK\r\n");
    h.send("QUIT\r\n");
    CHECK(h.take_output() == "221 2.0.0 mx.example Service closing transmission channel\r\n");
}

TEST_CASE("server: an accepted EHLO in the middle of a transaction resets it (RFC 5321 §4.1.4)") {
    harness h(config_with(all_extensions));
    greet(h);
    h.send("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\n");
    REQUIRE(h.send("EHLO client.example\r\n", false) == "decision");
    // Until the application accepts, the transaction stands.
    CHECK(h.s.state() == server_state::rcpt);
    REQUIRE(h.s.accept() == errc::ok);
    CHECK(h.s.state() == server_state::ready);
    CHECK(h.pump() == "need_data");
    CHECK(h.events == std::vector<std::string>{"mail_from <a@client.example>", "rcpt_to <b@mx.example> #0",
                                               "hello EHLO client.example", "transaction_reset"});
    h.send("RCPT TO:<b@mx.example>\r\n");
    CHECK(h.take_output().find("503 5.5.1 Error: need MAIL command") != std::string::npos);
}

TEST_CASE("server: a refused HELO or EHLO changes nothing (RFC 5321 §4.1.4)") {
    SECTION("inside a transaction: sender and recipients stay, no transaction_reset") {
        for (const char* verb : {"EHLO", "HELO"}) {
            INFO(verb);
            harness h(config_with(all_extensions));
            greet(h);
            h.send("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\n");
            h.take_output();
            h.events.clear();
            REQUIRE(h.send(std::string(verb) + " client.example\r\n", false) == "decision");
            REQUIRE(h.s.reject({550, {}, "Not welcome"}) == errc::ok);
            CHECK(h.s.state() == server_state::rcpt);
            CHECK(h.pump() == "need_data");
            CHECK(h.take_output() == "550 Not welcome\r\n");  // no enhanced code (RFC 2034 §3)
            CHECK(h.events == std::vector<std::string>{std::string("hello ") + verb + " client.example"});
            // The transaction goes on: DATA sees the recipient accepted before.
            h.send("DATA\r\n");
            CHECK(h.events.back() == "data_begin 1");
            h.send("x\r\n.\r\n");
            CHECK(h.take_output() == "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 OK\r\n");
        }
    }
    SECTION("in the mail state") {
        harness h(config_with(all_extensions));
        greet(h);
        h.send("MAIL FROM:<a@client.example>\r\n");
        REQUIRE(h.send("EHLO client.example\r\n", false) == "decision");
        REQUIRE(h.s.reject({501, {}, "Bad name"}) == errc::ok);
        CHECK(h.s.state() == server_state::mail);
        CHECK(h.pump() == "need_data");
        h.events.clear();
        h.send("RCPT TO:<b@mx.example>\r\n");
        CHECK(h.events == std::vector<std::string>{"rcpt_to <b@mx.example> #0"});
    }
    SECTION("before any HELO/EHLO: MAIL still needs one") {
        harness h(config_with(all_extensions));
        REQUIRE(h.pump() == "need_data");
        REQUIRE(h.send("EHLO client.example\r\n", false) == "decision");
        REQUIRE(h.s.reject({550, {}, "No"}) == errc::ok);
        CHECK(h.s.state() == server_state::connected);
        CHECK(h.pump() == "need_data");
        h.take_output();
        h.send("MAIL FROM:<a@client.example>\r\n");
        CHECK(h.take_output() == "503 5.5.1 Error: send HELO/EHLO first\r\n");
    }
    SECTION("after EHLO, a refused HELO keeps PIPELINING in effect") {
        harness h(config_with(all_extensions));
        greet(h);  // EHLO: PIPELINING offered
        REQUIRE(h.send("HELO client.example\r\n", false) == "decision");
        REQUIRE(h.s.reject({550, {}, "No"}) == errc::ok);
        CHECK(h.pump() == "need_data");
        h.take_output();
        // Were the HELO applied, this batch would be a synchronization error.
        h.send("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\n");
        CHECK(h.take_output() == "250 2.1.0 OK\r\n250 2.1.5 OK\r\n");
    }
}

TEST_CASE("server: without ENHANCEDSTATUSCODES replies are plain RFC 5321") {
    harness h(config_with({extension::pipelining}));
    greet(h);
    h.send("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\nDATA\r\n");
    h.send("x\r\n.\r\nQUIT\r\n");
    CHECK(h.take_output() == "250 OK\r\n250 OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n250 OK\r\n"
                             "221 mx.example Service closing transmission channel\r\n");
}

TEST_CASE("server: parameters of extensions not offered are 555 5.5.4") {
    harness h(config_with({extension::pipelining, extension::enhanced_status_codes}));
    greet(h);
    h.send("MAIL FROM:<a@client.example> BODY=8BITMIME\r\n");
    h.send("MAIL FROM:<a@client.example> SIZE=10\r\n");
    h.send("MAIL FROM:<a@client.example> SMTPUTF8\r\n");
    CHECK(h.take_output() == "555 5.5.4 Error: unsupported parameter\r\n555 5.5.4 Error: unsupported parameter\r\n"
                             "555 5.5.4 Error: unsupported parameter\r\n");
}

TEST_CASE("server: the mail_from event carries typed parameters") {
    harness h(config_with(all_extensions));
    greet(h);
    h.input = "MAIL FROM:<a@client.example> SIZE=4096 BODY=8BITMIME\r\n";
    REQUIRE(h.s.feed(h.input) == errc::ok);
    const server_event ev = h.s.next_event();
    const auto* m = std::get_if<mail_from>(&ev);
    REQUIRE(m);
    CHECK(m->reverse_path.kind == path_kind::mailbox);
    CHECK(m->reverse_path.address.local_part == "a");
    CHECK(m->reverse_path.address.domain == "client.example");
    CHECK(m->parameters.has_size);
    CHECK(m->parameters.size == 4096);
    CHECK(m->parameters.body == body_type::eight_bit_mime);
    CHECK_FALSE(m->parameters.smtputf8);
}

TEST_CASE("server: input sent before the greeting is detectable (pregreet)") {
    const std::string ehlo = "EHLO client.example\r\n";
    SECTION("bytes fed before the first next_event()") {
        harness h(config_with(all_extensions));
        h.input = ehlo;
        REQUIRE(h.s.feed(h.input) == errc::ok);
        CHECK(h.s.pregreet_input());
        REQUIRE(h.pump(false) == "decision");  // client_connected
        CHECK(h.s.pregreet_input());
    }
    SECTION("bytes fed while client_connected waits for an answer: the app may still refuse") {
        harness h(config_with(all_extensions));
        REQUIRE(h.pump(false) == "decision");
        CHECK_FALSE(h.s.pregreet_input());
        h.input = ehlo;
        REQUIRE(h.s.feed(h.input) == errc::ok);  // read while the decision is pending
        CHECK(h.s.pregreet_input());
        CHECK(h.pump(false) == "paused");
        REQUIRE(h.s.reject({554, {5, 7, 1}, "mx.example talked before the greeting"}) == errc::ok);
        h.pump();
        CHECK(h.take_output() == "554 mx.example talked before the greeting\r\n"
                                 "503 Error: service refused, send QUIT\r\n");
    }
    SECTION("bytes fed after the accept, with the 220 still in output()") {
        harness h(config_with(all_extensions));
        REQUIRE(h.pump(false) == "decision");
        REQUIRE(h.s.accept() == errc::ok);
        h.input = ehlo;
        REQUIRE(h.s.feed(h.input) == errc::ok);
        CHECK(h.s.pregreet_input());
        // The bytes are served as usual once the greeting is out.
        CHECK(h.pump() == "need_data");
        CHECK(h.take_output().rfind("220 mx.example ESMTP\r\n250-mx.example\r\n", 0) == 0);
    }
    SECTION("bytes fed with part of the 220 written") {
        harness h(config_with(all_extensions));
        REQUIRE(h.pump(false) == "decision");
        REQUIRE(h.s.accept() == errc::ok);
        REQUIRE(h.s.output() == "220 mx.example ESMTP\r\n");
        h.s.consume_output(21);  // all but the LF
        h.input = ehlo;
        REQUIRE(h.s.feed(h.input) == errc::ok);
        CHECK(h.s.pregreet_input());
    }
    SECTION("after a 554 greeting, too") {
        harness h(config_with(all_extensions));
        REQUIRE(h.pump(false) == "decision");
        REQUIRE(h.s.reject({554, {}, "No service"}) == errc::ok);
        h.input = "QUIT\r\n";
        REQUIRE(h.s.feed(h.input) == errc::ok);
        CHECK(h.s.pregreet_input());
    }
    SECTION("not after the whole greeting was written, nor for an empty feed") {
        harness h(config_with(all_extensions));
        REQUIRE(h.s.feed(std::string_view{}) == errc::ok);  // nothing read yet
        CHECK_FALSE(h.s.pregreet_input());
        REQUIRE(h.pump(false) == "decision");
        REQUIRE(h.s.accept() == errc::ok);
        REQUIRE(h.pump() == "need_data");  // the 220 was consumed
        h.send(ehlo);
        CHECK_FALSE(h.s.pregreet_input());
        CHECK(h.take_output().find("250-mx.example") != std::string::npos);
    }
}

TEST_CASE("server: a configuration that cannot be honoured closes the session unwritten") {
    struct bad {
        const char* name;
        server_config config;
        config_error error;
    };
    std::vector<bad> cases;
    {
        server_config c = config_with(all_extensions);
        c.extensions.add(extension::auth);
        c.auth.mechanisms = {};
        cases.push_back({"AUTH without mechanisms", c, config_error::unsupported_mechanism});
        c.auth = {};
        c.extensions.add(extension::requiretls);
        cases.push_back({"REQUIRETLS offered", c, config_error::unsupported_extension});
        c = config_with({extension::binary_mime});
        cases.push_back({"BINARYMIME without CHUNKING", c, config_error::binarymime_without_chunking});
        c = config_with({extension::smtputf8, extension::enhanced_status_codes});
        cases.push_back({"SMTPUTF8 without 8BITMIME", c, config_error::smtputf8_without_8bitmime});
        c = config_with(all_extensions);
        c.hostname = "evil\r\n250 injected";
        cases.push_back({"CR LF in the hostname", c, config_error::invalid_hostname});
        c.hostname = "";
        cases.push_back({"empty hostname", c, config_error::invalid_hostname});
        c.hostname = "mx_1.example";
        cases.push_back({"underscore in the hostname", c, config_error::invalid_hostname});
    }
    const std::string label(63, 'b');
    const std::string too_long = "a." + label + "." + label + "." + label + "." + label;  // 257 octets
    {
        server_config c = config_with(all_extensions);
        c.hostname = too_long;
        cases.push_back({"257-octet hostname", c, config_error::hostname_too_long});
    }
    for (const bad& b : cases) {
        INFO(b.name);
        REQUIRE(check_config(b.config) == b.error);
        harness h(b.config);
        CHECK(h.s.config_status() == b.error);
        CHECK(h.s.state() == server_state::closed);
        CHECK(h.s.current_timeout().kind == timeout_kind::none);
        CHECK(h.s.accept() == errc::no_decision_pending);
        // Input is accepted and discarded; nothing is ever written.
        CHECK(h.pump() == "closed");
        CHECK(h.events == std::vector<std::string>{"closing invalid configuration"});
        CHECK(h.send("EHLO client.example\r\n") == "closed");
        CHECK(h.events.size() == 1);
        CHECK(h.output.empty());
        CHECK(h.s.output().empty());
        CHECK(h.s.done());
    }
}

TEST_CASE("server: a valid configuration reports config_error::ok") {
    harness h(config_with(all_extensions));
    CHECK(h.s.config_status() == config_error::ok);
    REQUIRE(h.pump() == "need_data");
    CHECK(h.take_output() == "220 mx.example ESMTP\r\n");
    server_config literal = config_with(all_extensions);
    literal.hostname = "[192.0.2.1]";
    harness l(literal);
    REQUIRE(l.pump() == "need_data");
    CHECK(l.take_output() == "220 [192.0.2.1] ESMTP\r\n");
}

TEST_CASE("server: transactions after the first allocate nothing") {
    server_session s(config_with(all_extensions));
    std::string input;
    std::size_t bodies = 0;
    auto run = [&](const std::string& bytes) {
        input = std::string(s.unconsumed()) + bytes;
        REQUIRE(s.feed(input) == errc::ok);
        for (;;) {
            const server_event ev = s.next_event();
            if (std::holds_alternative<need_output>(ev)) {
                s.consume_output(s.output().size());
            } else if (std::holds_alternative<need_data>(ev) || std::holds_alternative<closed>(ev)) {
                return;
            } else if (std::holds_alternative<body_chunk>(ev)) {
                ++bodies;
            } else if (is_decision(ev)) {
                REQUIRE(s.accept() == errc::ok);
            }
        }
    };
    const std::string transaction =
        "MAIL FROM:<a@client.example> SIZE=100\r\nRCPT TO:<b@mx.example>\r\nRCPT TO:<c@mx.example>\r\nDATA\r\n";
    std::string body = "Subject: test\r\n\r\n";
    for (int i = 0; i < 20; ++i) body += "..a line of body text that is dot-stuffed\r\nplain\r\n";
    body += ".\r\n";
    run("EHLO client.example\r\n");
    run(transaction);
    run(body);
    input.reserve(4096);
    const std::size_t before = smtpwire_test::allocation_count();
    for (int i = 0; i < 50; ++i) {
        REQUIRE(s.feed(transaction) == errc::ok);
        for (;;) {
            const server_event ev = s.next_event();
            if (std::holds_alternative<need_output>(ev)) s.consume_output(s.output().size());
            else if (std::holds_alternative<need_data>(ev)) break;
            else if (is_decision(ev)) REQUIRE(s.accept() == errc::ok);
        }
        REQUIRE(s.feed(body) == errc::ok);
        for (;;) {
            const server_event ev = s.next_event();
            if (std::holds_alternative<need_output>(ev)) s.consume_output(s.output().size());
            else if (std::holds_alternative<need_data>(ev)) break;
            else if (is_decision(ev)) REQUIRE(s.accept() == errc::ok);
        }
    }
    CHECK(smtpwire_test::allocation_count() - before == 0);
    CHECK(bodies > 0);
    CHECK(sizeof(server_session) <= 1024);
}

TEST_CASE("server: each leniency flag admits exactly its relaxation") {
    server_config strict = config_with(all_extensions);
    server_config lenient = strict;
    lenient.leniency.space_after_colon = true;
    lenient.leniency.missing_brackets = true;
    lenient.leniency.trailing_dot_local_part = true;
    const char* forms[] = {"MAIL FROM: <a@client.example>\r\n", "MAIL FROM:a@client.example\r\n",
                           "MAIL FROM:<user.@client.example>\r\n"};
    for (const char* form : forms) {
        INFO(form);
        harness s(strict);
        greet(s);
        s.send(form);
        CHECK(s.take_output() == "501 5.1.7 Error: bad sender address syntax\r\n");
        harness l(lenient);
        greet(l);
        l.send(form);
        CHECK(l.take_output() == "250 2.1.0 OK\r\n");
    }
}

TEST_CASE("server: an empty feed (a null view) is harmless in every state") {
    harness h(config_with(all_extensions));
    // Before the greeting, in the command phase, mid-line and inside DATA, mid-line.
    REQUIRE(h.s.feed(std::string_view{}) == errc::ok);
    REQUIRE(h.pump() == "need_data");
    REQUIRE(h.send("EHLO client.example\r\n") == "need_data");
    REQUIRE(h.s.feed(std::string_view{}) == errc::ok);
    REQUIRE(h.pump() == "need_data");
    REQUIRE(h.send("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\nDATA\r\n") == "need_data");
    h.send("Subject: x\r\n\r\npartial");
    for (int i = 0; i < 3; ++i) {
        REQUIRE(h.s.feed(std::string_view{}) == errc::ok);
        CHECK(h.pump() == "need_data");
    }
    h.send(" line\r\n.\r\n");
    CHECK(h.take_output() == "220 mx.example ESMTP\r\n250-mx.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
                             "250-8BITMIME\r\n250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n250 2.1.0 OK\r\n"
                             "250 2.1.5 OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 OK\r\n");
    CHECK(h.events.back() == "message_end size=28");
}

// --- STARTTLS (RFC 3207) -------------------------------------------------------------

namespace {
server_config starttls_config() {
    server_config c = config_with({extension::pipelining, extension::enhanced_status_codes,
                                   extension::starttls});
    return c;
}

// Pulls events until `T` comes (returned) or the session needs something else.
template <class T>
const T* pull_until(server_session& s, server_event& ev, std::string& output) {
    for (int i = 0; i < 100; ++i) {
        ev = s.next_event();
        if (std::holds_alternative<need_output>(ev)) {
            output += s.output();
            s.consume_output(s.output().size());
            continue;
        }
        if (const T* t = std::get_if<T>(&ev)) return t;
        if (std::holds_alternative<need_data>(ev) || std::holds_alternative<paused>(ev) ||
            std::holds_alternative<closed>(ev))
            return nullptr;
    }
    return nullptr;
}
} // namespace

TEST_CASE("server STARTTLS: plaintext behind the command never reaches the TLS session") {
    // CVE-2011-0411 (Postfix), CVE-2024-34083 (aiosmtpd): commands pipelined behind
    // STARTTLS in clear were executed after the handshake as if sent inside TLS.
    for (pipelining_policy early : {pipelining_policy::reject, pipelining_policy::tolerate}) {
        server_config c = starttls_config();
        c.early_input = early;
        harness h(c);
        REQUIRE(h.send("EHLO client.example\r\n") == "need_data");
        const std::string injected = "MAIL FROM:<evil@example.net>\r\nRCPT TO:<victim@mx.example>\r\nRC";
        h.input = "STARTTLS\r\n" + injected;
        REQUIRE(h.s.feed(h.input) == errc::ok);
        server_event ev;
        std::string out;
        const starttls_request* request = pull_until<starttls_request>(h.s, ev, out);
        REQUIRE(request != nullptr);
        const decision_id id = request->decision;
        // Full duplex: the client may go on writing while the decision waits; that is
        // plaintext too and is dropped unread.
        CHECK(h.s.wants_read());
        const std::string more = "PT TO:<second@mx.example>\r\n";
        REQUIRE(h.s.feed(more) == errc::ok);
        CHECK(h.s.unconsumed().empty());
        REQUIRE(h.s.accept(id) == errc::ok);
        const tls_handover* handover = pull_until<tls_handover>(h.s, ev, out);
        REQUIRE(handover != nullptr);
        CHECK(handover->discarded == injected.size() + more.size());
        CHECK(h.s.state() == server_state::tls_handover);
        // During the handshake the session reads nothing and waits for the application.
        CHECK_FALSE(h.s.wants_read());
        CHECK(h.s.current_timeout().kind == timeout_kind::none);
        REQUIRE(h.s.feed("QUIT\r\n") == errc::ok);
        const server_event again = h.s.next_event();
        REQUIRE(std::holds_alternative<tls_handover>(again));
        CHECK(std::get_if<tls_handover>(&again)->discarded == injected.size() + more.size() + 6);
        CHECK(out == "220 2.0.0 Ready to start TLS\r\n");
        CHECK_FALSE(h.s.tls_active());
        REQUIRE(h.s.tls_established() == errc::ok);
        CHECK(h.s.tls_established() == errc::wrong_state);
        CHECK(h.s.tls_active());
        CHECK(h.s.state() == server_state::connected);
        CHECK(h.s.wants_read());
        // Nothing of the plaintext was processed: no mail_from, no rcpt_to, no QUIT.
        for (const auto& e : h.events) CHECK(e.rfind("mail_from", 0) != 0);
        h.events.clear();
        h.output.clear();
        CHECK(h.send("MAIL FROM:<a@client.example>\r\n") == "need_data");
        CHECK(h.take_output() == "503 5.5.1 Error: send HELO/EHLO first\r\n");
        CHECK(h.send("EHLO client.example\r\n") == "need_data");
        CHECK(h.take_output() == "250-mx.example\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n");
    }
}

TEST_CASE("server STARTTLS: misuse and late answers change nothing") {
    harness h(starttls_config());
    CHECK(h.s.tls_established() == errc::wrong_state);  // before the greeting
    REQUIRE(h.send("EHLO client.example\r\n") == "need_data");
    CHECK(h.s.tls_established() == errc::wrong_state);  // no STARTTLS yet
    REQUIRE(h.send("STARTTLS\r\n", false) == "decision");
    CHECK(h.s.tls_established() == errc::wrong_state);  // not answered yet
    CHECK(h.s.accept(reply{250, {}, "OK"}) == errc::invalid_reply);  // 220 only
    h.s.shutdown();
    CHECK(h.s.accept() == errc::no_decision_pending);
    CHECK(h.s.tls_established() == errc::wrong_state);
    h.pump();
    CHECK(h.take_output() ==
          "220 mx.example ESMTP\r\n250-mx.example\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n"
          "421 4.3.2 Service shutting down\r\n");
}

TEST_CASE("server STARTTLS: a refusal keeps the session in clear and reads input again") {
    harness h(starttls_config());
    REQUIRE(h.send("EHLO client.example\r\n") == "need_data");
    h.take_output();
    REQUIRE(h.send("STARTTLS\r\n", false) == "decision");
    REQUIRE(h.s.reject(reply{454, {4, 7, 0}, "TLS not available due to temporary reason"}) == errc::ok);
    CHECK(h.pump() == "need_data");
    CHECK(h.take_output() == "454 4.7.0 TLS not available due to temporary reason\r\n");
    CHECK_FALSE(h.s.tls_active());
    CHECK(h.send("MAIL FROM:<a@client.example>\r\n") == "need_data");
    CHECK(h.take_output() == "250 2.1.0 OK\r\n");
}

TEST_CASE("server STARTTLS: the handover and the new session allocate nothing") {
    server_session s(starttls_config());
    const std::string writes[] = {"EHLO client.example\r\n", "STARTTLS\r\n",
                                  "EHLO client.example\r\n", "MAIL FROM:<a@client.example>\r\n"};
    std::size_t next = 0;
    std::string out;
    out.reserve(4096);
    const std::size_t before = smtpwire_test::allocation_count();
    for (int i = 0; i < 100 && s.state() != server_state::mail; ++i) {
        const server_event ev = s.next_event();
        if (std::holds_alternative<need_output>(ev)) {
            out += s.output();
            s.consume_output(s.output().size());
        }
        if (is_decision(ev)) REQUIRE(s.accept() == errc::ok);
        if (std::holds_alternative<tls_handover>(ev)) REQUIRE(s.tls_established() == errc::ok);
        if (std::holds_alternative<need_data>(ev) && next < 4) REQUIRE(s.feed(writes[next++]) == errc::ok);
    }
    CHECK(smtpwire_test::allocation_count() - before == 0);
    CHECK(s.tls_active());
    CHECK(s.state() == server_state::mail);
}

// --- AUTH (RFC 4954) -------------------------------------------------------------------

namespace {
// The decoded text of a "334 <base64>" continuation, the only reply in `output`.
std::string challenge_of(const std::string& output) {
    REQUIRE(output.rfind("334 ", 0) == 0);
    REQUIRE(output.find("\r\n") == output.size() - 2);
    return unbase64(std::string_view(output).substr(4, output.size() - 6));
}

server_config auth_config() {
    server_config c = config_with({extension::pipelining, extension::enhanced_status_codes, extension::auth});
    c.auth.allow_in_clear = true;
    return c;
}
} // namespace

TEST_CASE("server AUTH: lines up to limits::auth_line, longer ones 500 5.5.6 and skipped") {
    server_config c = auth_config();
    c.limits.command_line = 512;
    c.limits.auth_line = 2000;
    harness h(c);
    REQUIRE(h.send("EHLO client.example\r\n") == "need_data");
    h.take_output();
    // An AUTH line longer than a command line but within auth_line is read.
    const std::string long_response(1200, 'A');  // decodes to 900 zero octets: no NULs pattern
    CHECK(h.send("AUTH PLAIN " + long_response + "\r\n") == "need_data");
    CHECK(h.take_output() == "535 5.7.8 Authentication credentials invalid\r\n");
    // A command that is not AUTH keeps the command line limit.
    CHECK(h.send("NOOP " + std::string(600, 'x') + "\r\n") == "need_data");
    CHECK(h.take_output() == "500 5.5.2 Error: line too long\r\n");
    // Over auth_line: the command, and a response inside an exchange, arriving in pieces.
    CHECK(h.send("AUTH PLAIN " + std::string(1000, 'A')) == "need_data");
    CHECK(h.send(std::string(1500, 'A') + "\r\nNOOP\r\n") == "need_data");
    CHECK(h.take_output() == "500 5.5.6 Error: authentication exchange line is too long\r\n250 2.0.0 OK\r\n");
    CHECK(h.send("AUTH LOGIN\r\n") == "need_data");
    CHECK(h.send(std::string(2500, 'A') + "\r\n") == "need_data");
    CHECK(h.take_output() ==
          "334 VXNlcm5hbWU6\r\n500 5.5.6 Error: authentication exchange line is too long\r\n");
    CHECK(h.s.state() == server_state::ready);
    CHECK(h.max_unconsumed < 2000);
}

TEST_CASE("server AUTH: failed attempts count towards the error limit") {
    server_config c = auth_config();
    c.limits.errors = 3;
    harness h(c);
    REQUIRE(h.send("EHLO client.example\r\n") == "need_data");
    h.take_output();
    for (int i = 0; i < 3; ++i) {
        REQUIRE(h.send("AUTH PLAIN AHRpbQB3cm9uZw==\r\n", false) == "decision");
        REQUIRE(h.s.reject(reply{535, {5, 7, 8}, "Authentication credentials invalid"}) == errc::ok);
    }
    CHECK(h.pump() == "closed");
    CHECK(h.take_output() == "535 5.7.8 Authentication credentials invalid\r\n"
                             "535 5.7.8 Authentication credentials invalid\r\n"
                             "535 5.7.8 Authentication credentials invalid\r\n"
                             "421 4.7.0 Error: too many errors\r\n");
}

TEST_CASE("server AUTH: a response written before its 334 is early input") {
    harness h(auth_config());
    REQUIRE(h.send("EHLO client.example\r\n") == "need_data");
    h.take_output();
    CHECK(h.send("AUTH LOGIN\r\ndGlt\r\n") == "closed");
    CHECK(h.take_output() == "554 5.5.0 Error: SMTP protocol synchronization\r\n");
    harness h2(auth_config());
    REQUIRE(h2.send("EHLO client.example\r\n") == "need_data");
    REQUIRE(h2.send("AUTH LOGIN\r\n") == "need_data");
    CHECK(h2.send("dGlt\r\ndGFuc3RhYWZ0YW5zdGFhZg==\r\n") == "closed");
    CHECK(h2.take_output().find("554 5.5.0") != std::string::npos);
}

TEST_CASE("server AUTH: the exchange allocates nothing, credentials stay out of other events") {
    server_session s(auth_config());
    const std::string writes[] = {"EHLO client.example\r\n", "AUTH LOGIN\r\n", "dGlt\r\n",
                                  "dGFuc3RhYWZ0YW5zdGFhZg==\r\n", "MAIL FROM:<tim@client.example>\r\n"};
    std::size_t next = 0;
    std::string out;
    out.reserve(4096);
    std::vector<std::string> seen;
    seen.reserve(32);
    const std::size_t before = smtpwire_test::allocation_count();
    for (int i = 0; i < 100 && s.state() != server_state::mail; ++i) {
        const server_event ev = s.next_event();
        if (std::holds_alternative<need_output>(ev)) {
            out += s.output();
            s.consume_output(s.output().size());
        }
        if (const auto* a = std::get_if<auth_request>(&ev)) {
            CHECK(a->mechanism == sasl::mechanism::login);
            CHECK(a->user == "tim");
            CHECK(a->secret == "tanstaaftanstaaf");
            REQUIRE(s.accept(a->decision) == errc::ok);
            CHECK(s.accept(a->decision) == errc::stale_decision);
        } else if (is_decision(ev)) {
            REQUIRE(s.accept() == errc::ok);
        }
        if (std::holds_alternative<need_data>(ev) && next < 5) REQUIRE(s.feed(writes[next++]) == errc::ok);
    }
    CHECK(smtpwire_test::allocation_count() - before == 0);
    CHECK(s.authenticated());
    CHECK(s.state() == server_state::mail);
    CHECK(out.find("tanstaaf") == std::string::npos);
    CHECK(out.find("235 2.7.0 Authentication successful\r\n") != std::string::npos);
}

TEST_CASE("server AUTH: CRAM-MD5 and SCRAM-SHA-256 need seed_nonces(), then run to 235") {
    server_config c = auth_config();
    c.auth.mechanisms = server_mechanisms;
    harness h(c);
    REQUIRE(h.send("EHLO client.example\r\n") == "need_data");
    CHECK(h.take_output().find("250 AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER\r\n") != std::string::npos);
    CHECK(h.send("AUTH CRAM-MD5\r\n") == "need_data");
    CHECK(h.take_output() == "504 5.5.4 Error: authentication mechanism not supported\r\n");
    CHECK(h.s.seed_nonces("too short") == errc::invalid_argument);
    REQUIRE(h.s.seed_nonces("0123456789abcdef0123456789abcdef") == errc::ok);
    REQUIRE(h.send("EHLO client.example\r\n") == "need_data");
    CHECK(h.take_output().find("250 AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER SCRAM-SHA-256\r\n") !=
          std::string::npos);

    SECTION("CRAM-MD5 (RFC 2195): a fresh challenge, checked by the application") {
        CHECK(h.send("AUTH CRAM-MD5 dGlt\r\n") == "need_data");
        CHECK(h.take_output() == "501 5.5.4 Error: no initial response with CRAM-MD5\r\n");
        std::string challenges[2];
        for (std::string& challenge : challenges) {
            REQUIRE(h.send("AUTH CRAM-MD5\r\n") == "need_data");
            challenge = challenge_of(h.take_output());
            CHECK(challenge.front() == '<');
            CHECK(challenge.find("@mx.example>") == challenge.size() - 12);
            std::string response(sasl::cram_md5_response_size("tim"), '\0');
            (void)sasl::cram_md5_response("tim", "tanstaaftanstaaf", challenge, response.data());
            REQUIRE(h.send(base64(response) + "\r\n", false) == "decision");
            const std::string& ev = h.events.back();
            CHECK(ev.rfind("auth CRAM-MD5 /tim/", 0) == 0);
            REQUIRE(h.s.reject(reply{535, {5, 7, 8}, "Authentication credentials invalid"}) == errc::ok);
            h.pump();
            h.take_output();
        }
        CHECK(challenges[0] != challenges[1]);
    }
    SECTION("SCRAM-SHA-256 (RFC 7677): stored keys, the proof checked by the session") {
        sasl::scram_sha256_client client;
        REQUIRE(client.start("user", "rOprNGfwEbeRWgbNEkqO") == sasl::scram_error::ok);
        REQUIRE(h.send("AUTH SCRAM-SHA-256 " + base64(client.client_first()) + "\r\n", false) == "decision");
        CHECK(h.events.back() == "auth SCRAM-SHA-256 /user/");
        const std::string salt = "[m\x99h\x9d\x12\x35\x8e\xec\xa0K\x14\x12\x36\xfa\x81";
        const sasl::scram_credentials stored = sasl::make_scram_credentials("pencil", salt, 4096);
        CHECK(h.s.accept() == errc::wrong_state);  // SCRAM needs the stored credentials
        REQUIRE(h.s.accept(h.last_auth, stored) == errc::ok);
        CHECK(h.s.accept(h.last_auth, stored) == errc::stale_decision);
        h.pump();
        const std::string server_first = challenge_of(h.take_output());
        REQUIRE(client.respond(server_first, "pencil") == sasl::scram_error::ok);
        REQUIRE(h.send(base64(client.client_final()) + "\r\n") == "need_data");
        const std::string server_final = challenge_of(h.take_output());
        CHECK(client.verify_server_final(server_final) == sasl::scram_error::ok);
        CHECK_FALSE(h.s.authenticated());
        REQUIRE(h.send("\r\n") == "need_data");
        CHECK(h.take_output() == "235 2.7.0 Authentication successful\r\n");
        CHECK(h.s.authenticated());
    }
    SECTION("SCRAM-SHA-256 with a wrong password: 535 from the session") {
        sasl::scram_sha256_client client;
        REQUIRE(client.start("user", "rOprNGfwEbeRWgbNEkqO") == sasl::scram_error::ok);
        REQUIRE(h.send("AUTH SCRAM-SHA-256 " + base64(client.client_first()) + "\r\n", false) == "decision");
        const sasl::scram_credentials stored = sasl::make_scram_credentials("pencil", "salt-salt-salt", 4096);
        REQUIRE(h.s.accept(h.last_auth, stored) == errc::ok);
        h.pump();
        REQUIRE(client.respond(challenge_of(h.take_output()), "wrong") == sasl::scram_error::ok);
        REQUIRE(h.send(base64(client.client_final()) + "\r\n") == "need_data");
        CHECK(h.take_output() == "535 5.7.8 Authentication credentials invalid\r\n");
        CHECK_FALSE(h.s.authenticated());
        CHECK(h.s.state() == server_state::ready);
    }
}

TEST_CASE("server AUTH: a refused bearer token is reported in a 334 first") {
    server_config c = auth_config();
    c.auth.mechanisms = {sasl::mechanism::xoauth2, sasl::mechanism::oauthbearer};
    harness h(c);
    REQUIRE(h.send("EHLO client.example\r\n") == "need_data");
    h.take_output();
    // Google's XOAUTH2 example: user=someuser@example.com, token ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg
    const std::string xoauth2 =
        "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==";
    REQUIRE(h.send("AUTH XOAUTH2 " + xoauth2 + "\r\n", false) == "decision");
    CHECK(h.events.back() == "auth XOAUTH2 /someuser@example.com/ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
    REQUIRE(h.s.reject(reply{535, {5, 7, 8}, "Username and Password not accepted"}) == errc::ok);
    h.pump();
    // {"status":"401","schemes":"bearer"}
    CHECK(h.take_output() == "334 eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIn0=\r\n");
    REQUIRE(h.send("\r\n") == "need_data");
    CHECK(h.take_output() == "535 5.7.8 Username and Password not accepted\r\n");
    // RFC 7628 §4.1 (SMTP): n,a=user@example.com,^Ahost=server.example.com^Aport=587^Aauth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==^A^A
    const std::string oauthbearer =
        "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9NTg3AWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB";
    REQUIRE(h.send("AUTH OAUTHBEARER " + oauthbearer + "\r\n", false) == "decision");
    CHECK(h.events.back() == "auth OAUTHBEARER user@example.com/user@example.com/vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
    REQUIRE(h.s.reject(reply{535, {5, 7, 8}, "Authentication credentials invalid"}) == errc::ok);
    h.pump();
    // {"status":"invalid_token"}
    CHECK(h.take_output() == "334 eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=\r\n");
    REQUIRE(h.send("AQ==\r\n") == "need_data");
    CHECK(h.take_output() == "535 5.7.8 Authentication credentials invalid\r\n");
    REQUIRE(h.send("AUTH OAUTHBEARER " + oauthbearer + "\r\n") == "need_data");
    CHECK(h.take_output() == "235 2.7.0 Authentication successful\r\n");
    CHECK(h.s.authenticated());
}

TEST_CASE("server AUTH: require_tls offers no mechanism in clear, every one inside TLS") {
    server_config c = config_with({extension::enhanced_status_codes, extension::auth, extension::starttls});
    c.auth.mechanisms = server_mechanisms;
    c.auth.require_tls = true;
    c.auth.allow_in_clear = true;  // require_tls wins
    harness h(c);
    REQUIRE(h.s.seed_nonces("0123456789abcdef") == errc::ok);
    REQUIRE(h.send("EHLO client.example\r\n") == "need_data");
    CHECK(h.take_output() == "220 mx.example ESMTP\r\n250-mx.example\r\n250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n");
    CHECK(h.send("AUTH SCRAM-SHA-256\r\n") == "need_data");
    CHECK(h.take_output() == "538 5.7.11 Encryption required for requested authentication mechanism\r\n");
    REQUIRE(h.send("STARTTLS\r\n") == "tls_handover");
    REQUIRE(h.s.tls_established() == errc::ok);
    h.take_output();
    REQUIRE(h.send("EHLO client.example\r\n") == "need_data");
    CHECK(h.take_output() == "250-mx.example\r\n250-ENHANCEDSTATUSCODES\r\n"
                             "250 AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER SCRAM-SHA-256\r\n");
}

TEST_CASE("server: DSN parameters reach the application decoded into mail_from and rcpt_to") {
    server_session s(config_with({extension::pipelining, extension::enhanced_status_codes, extension::dsn}));
    std::string out;
    server_event ev;
    const std::string input =
        "MAIL FROM:<Alice@Pure-Heart.example> RET=HDRS ENVID=QQ+2B314159\r\n"
        "RCPT TO:<Bob@Big-Box.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob+2Btag@Big-Box.example\r\n"
        "RCPT TO:<Fred@Bombs.example> NOTIFY=NEVER\r\nRCPT TO:<Gil@Bombs.example>\r\n";
    REQUIRE(pull_until<client_connected>(s, ev, out) != nullptr);
    REQUIRE(s.accept() == errc::ok);
    REQUIRE(pull_until<need_data>(s, ev, out) != nullptr);
    REQUIRE(s.feed("EHLO client.example\r\n") == errc::ok);
    REQUIRE(pull_until<hello>(s, ev, out) != nullptr);
    REQUIRE(s.accept() == errc::ok);
    REQUIRE(pull_until<need_data>(s, ev, out) != nullptr);
    REQUIRE(s.feed(input) == errc::ok);
    const mail_from* m = pull_until<mail_from>(s, ev, out);
    REQUIRE(m != nullptr);
    CHECK(m->parameters.ret == dsn_return::headers);
    char envid[16];
    std::size_t n = 0;
    REQUIRE(xtext_decode(m->parameters.envid, envid, n));
    CHECK(std::string_view(envid, n) == "QQ+314159");
    REQUIRE(s.accept() == errc::ok);
    const rcpt_to* bob = pull_until<rcpt_to>(s, ev, out);
    REQUIRE(bob != nullptr);
    CHECK(bob->parameters.notify == dsn_notify{false, true, true, false});
    CHECK(bob->parameters.orcpt_type == "rfc822");
    CHECK(bob->parameters.orcpt == "Bob+2Btag@Big-Box.example");
    REQUIRE(s.accept() == errc::ok);
    const rcpt_to* fred = pull_until<rcpt_to>(s, ev, out);
    REQUIRE(fred != nullptr);
    CHECK(fred->parameters.notify == dsn_notify{true, false, false, false});
    CHECK(fred->parameters.orcpt.empty());
    REQUIRE(s.accept() == errc::ok);
    const rcpt_to* gil = pull_until<rcpt_to>(s, ev, out);
    REQUIRE(gil != nullptr);
    CHECK_FALSE(gil->parameters.notify.given());
    REQUIRE(s.accept() == errc::ok);
    CHECK(pull_until<need_data>(s, ev, out) != nullptr);
    CHECK(out.find("250 DSN\r\n") != std::string::npos);
    CHECK(out.substr(out.size() - 56) == "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n");
}

// --- CHUNKING (RFC 3030) ---------------------------------------------------------

TEST_CASE("server BDAT: a refused first chunk is answered only after its octets") {
    harness h(config_with({extension::pipelining, extension::enhanced_status_codes, extension::chunking}));
    greet(h);
    REQUIRE(h.send("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\nBDAT 10\r\nQUIT\r\n", false) ==
            "decision");
    REQUIRE(h.s.accept() == errc::ok);  // MAIL
    REQUIRE(h.pump(false) == "decision");
    REQUIRE(h.s.accept() == errc::ok);  // RCPT
    REQUIRE(h.pump(false) == "decision");
    CHECK(h.events.back() == "data_begin 1 chunked");
    REQUIRE(h.s.reject({451, {4, 3, 0}, "cannot store"}) == errc::ok);
    // Six of the ten octets are here ("QUIT\r\n", content, not a command): the refusal waits.
    CHECK(h.pump() == "need_data");
    CHECK(h.take_output() == "250 2.1.0 OK\r\n250 2.1.5 OK\r\n");
    CHECK(h.s.output().empty());
    CHECK_FALSE(h.s.wants_write());
    CHECK(h.s.state() == server_state::rcpt);
    REQUIRE(h.send("RSE") == "need_data");
    CHECK(h.take_output().empty());
    REQUIRE(h.send("TNOOP\r\n") == "need_data");
    CHECK(h.take_output() == "451 4.3.0 cannot store\r\n250 2.0.0 OK\r\n");
    for (const std::string& e : h.events) CHECK(e.rfind("body", 0) != 0);
    CHECK(h.s.state() == server_state::rcpt);  // the transaction stands; BDAT may be tried again
}

TEST_CASE("server BDAT: a chunk accepted asynchronously streams as views, the last ends the message") {
    harness h(config_with({extension::pipelining, extension::enhanced_status_codes, extension::chunking}));
    greet(h);
    REQUIRE(h.send("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\nBDAT 4\r\nab", false) == "decision");
    REQUIRE(h.s.accept() == errc::ok);  // MAIL
    REQUIRE(h.pump(false) == "decision");
    REQUIRE(h.s.accept() == errc::ok);  // RCPT
    REQUIRE(h.pump(false) == "decision");
    CHECK(h.events.back() == "data_begin 1 chunked");
    REQUIRE(h.s.accept() == errc::ok);  // writes nothing
    CHECK(h.pump(false) == "need_data");
    CHECK(h.events.back() == "body ab");
    CHECK(h.s.state() == server_state::data);
    CHECK(h.take_output() == "250 2.1.0 OK\r\n250 2.1.5 OK\r\n");
    REQUIRE(h.send("\r\nBDAT 3 LAST\r\n.\r\n", false) == "decision");
    CHECK(h.events.back() == "message_end size=7");
    REQUIRE(h.s.accept() == errc::ok);
    CHECK(h.pump() == "need_data");
    CHECK(h.take_output() == "250 2.0.0 OK: 4\r\n250 2.0.0 OK\r\n");
    CHECK(h.s.state() == server_state::ready);
}

TEST_CASE("server BDAT: without PIPELINING the chunk is not early input, what follows it is") {
    SECTION("the chunk alone in the write") {
        harness h(config_with({extension::enhanced_status_codes, extension::chunking}));
        greet(h);
        REQUIRE(h.send("MAIL FROM:<a@client.example>\r\n") == "need_data");
        REQUIRE(h.send("RCPT TO:<b@mx.example>\r\n") == "need_data");
        REQUIRE(h.send("BDAT 5 LAST\r\nhello") == "need_data");
        CHECK(h.take_output() == "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.0.0 OK\r\n");
    }
    SECTION("a command behind the chunk, before its reply") {
        harness h(config_with({extension::enhanced_status_codes, extension::chunking}));
        greet(h);
        REQUIRE(h.send("MAIL FROM:<a@client.example>\r\n") == "need_data");
        REQUIRE(h.send("RCPT TO:<b@mx.example>\r\n") == "need_data");
        CHECK(h.send("BDAT 5\r\nhelloNOOP\r\n") == "closed");
        CHECK(h.take_output() == "250 2.1.0 OK\r\n250 2.1.5 OK\r\n554 5.5.0 Error: SMTP protocol synchronization\r\n");
        CHECK(std::find(h.events.begin(), h.events.end(), "protocol_error 554 input sent before the reply it must wait for") !=
              h.events.end());
    }
    SECTION("behind a chunk that completes in a later write") {
        harness h(config_with({extension::enhanced_status_codes, extension::chunking}));
        greet(h);
        REQUIRE(h.send("MAIL FROM:<a@client.example>\r\n") == "need_data");
        REQUIRE(h.send("RCPT TO:<b@mx.example>\r\n") == "need_data");
        REQUIRE(h.send("BDAT 5\r\nhel") == "need_data");
        CHECK(h.send("loRSET\r\n") == "closed");
        CHECK(h.take_output().find("554 5.5.0") != std::string::npos);
    }
}

TEST_CASE("server BDAT: the peer closing inside a chunk aborts the message") {
    harness h(config_with({extension::pipelining, extension::enhanced_status_codes, extension::chunking}));
    greet(h);
    REQUIRE(h.send("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\nBDAT 100\r\nshort") == "need_data");
    h.s.feed_eof();
    CHECK(h.pump() == "closed");
    CHECK(std::find(h.events.begin(), h.events.end(), "message_aborted connection lost before the end of data") != h.events.end());
}

TEST_CASE("server BDAT: a refusal held for a chunk goes out if the session closes first") {
    server_config c = config_with({extension::pipelining, extension::enhanced_status_codes, extension::chunking});
    harness h(c);
    greet(h);
    REQUIRE(h.send("BDAT 100\r\nabc") == "need_data");
    CHECK(h.take_output().empty());
    h.s.shutdown();
    CHECK(h.pump() == "closed");
    CHECK(h.take_output() == "503 5.5.1 Error: need MAIL command\r\n421 4.3.2 Service shutting down\r\n");
}

TEST_CASE("server BDAT: a refusal held in an output buffer no larger than its reserve does not stall the chunk") {
    // limits.output_buffer at its smallest: the buffer is exactly the room kept for the
    // EHLO reply, so a held refusal leaves less than that free while nothing can be written.
    server_config c = config_with({extension::pipelining, extension::enhanced_status_codes, extension::chunking});
    c.limits.output_buffer = 1024;
    harness h(c);
    greet(h);
    const std::string input = "BDAT 6\r\nQUIT\r\nNOOP\r\n";
    REQUIRE(h.s.feed(input) == errc::ok);
    std::string last;
    for (int step = 0; step < 100 && last.empty(); ++step) {
        const server_event ev = h.s.next_event();
        if (std::holds_alternative<need_output>(ev)) {
            REQUIRE_FALSE(h.s.output().empty());  // need_output with nothing to write never ends
            h.output += h.s.output();
            h.s.consume_output(h.s.output().size());
        } else if (std::holds_alternative<need_data>(ev)) {
            last = "need_data";
        } else if (!std::holds_alternative<protocol_error>(ev)) {
            last = "unexpected event";
        }
    }
    CHECK(last == "need_data");
    CHECK(h.take_output() == "503 5.5.1 Error: need MAIL command\r\n250 2.0.0 OK\r\n");
    CHECK(h.s.state() == server_state::ready);
}

TEST_CASE("server BDAT: after a message reset between chunks, DATA in the next transaction is answered 354") {
    harness h(config_with({extension::pipelining, extension::enhanced_status_codes, extension::chunking}));
    greet(h);
    REQUIRE(h.send("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\nBDAT 3\r\nabcRSET\r\n") == "need_data");
    CHECK(h.take_output() == "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.0.0 OK: 3\r\n250 2.0.0 OK\r\n");
    CHECK(h.events.back() == "transaction_reset");
    REQUIRE(h.send("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\nDATA\r\n") == "need_data");
    CHECK(h.events.back() == "data_begin 1");
    CHECK(h.take_output() == "250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
    REQUIRE(h.send("Subject: x\r\n\r\nbody\r\n.\r\n") == "need_data");
    CHECK(h.take_output() == "250 2.0.0 OK\r\n");
    CHECK(h.s.state() == server_state::ready);
}

// --- LMTP (RFC 2033) ----------------------------------------------------------

namespace {

server_config lmtp_config() {
    server_config c = config_with({});
    c.lmtp = true;
    return c;
}

// An LMTP session whose transaction has `recipients` accepted recipients and a message
// whose message_end waits for its answer.
void lmtp_message(harness& h, std::size_t recipients) {
    greet(h, "LHLO");
    std::string commands = "MAIL FROM:<a@client.example>\r\n";
    for (std::size_t i = 0; i < recipients; ++i) commands += "RCPT TO:<r" + std::to_string(i) + "@mx.example>\r\n";
    REQUIRE(h.send(commands + "DATA\r\n") == "need_data");
    REQUIRE(h.send("Subject: x\r\n\r\nbody\r\n.\r\n", false) == "decision");
    h.take_output();
}

} // namespace

TEST_CASE("server, LMTP: recipients answered in any order are answered on the wire in RCPT order") {
    harness h(lmtp_config());
    lmtp_message(h, 3);
    const decision_id id = h.last_message;
    CHECK(h.s.reject_recipient(id, 2, {550, {5, 1, 1}, "No such mailbox"}) == errc::ok);
    CHECK(h.s.output().empty());  // recipient 0 first
    CHECK(h.s.accept_recipient(id, 2) == errc::invalid_argument);  // answered already
    CHECK(h.s.accept_recipient(id, 3) == errc::invalid_argument);  // only 3 recipients
    CHECK(h.s.reject_recipient(id, 0, {421, {4, 3, 0}, "x"}) == errc::invalid_reply);
    CHECK(h.s.reject_recipient(id, 0, {250, {2, 0, 0}, "x"}) == errc::invalid_reply);
    CHECK(h.s.accept_recipient(id, 0, reply{550, {5, 0, 0}, "x"}) == errc::invalid_reply);
    CHECK(h.s.accept_recipient(id, 0, "bad\x01text") == errc::invalid_reply);
    CHECK(h.s.accept_recipient(decision_id{12345}, 0) == errc::stale_decision);
    CHECK(h.s.accept_recipient(id, 0, "Delivered") == errc::ok);
    CHECK(h.s.output() == "250 2.0.0 Delivered\r\n");
    CHECK(h.s.accept_recipient(id, 1, reply{251, {}, "Forwarded"}) == errc::ok);
    CHECK(h.s.output() == "250 2.0.0 Delivered\r\n251 2.0.0 Forwarded\r\n550 5.1.1 No such mailbox\r\n");
    // Every recipient has its answer: the decision is over.
    CHECK(h.s.accept_recipient(id, 1) == errc::stale_decision);
    CHECK(h.s.accept() == errc::no_decision_pending);
    CHECK(h.pump() == "need_data");
    CHECK(h.send("QUIT\r\n") == "closed");
}

TEST_CASE("server, LMTP: accept() answers every recipient left, after those answered one by one") {
    harness h(lmtp_config());
    lmtp_message(h, 4);
    CHECK(h.s.reject_recipient(h.last_message, 2, {452, {4, 2, 2}, "Over quota"}) == errc::ok);
    CHECK(h.s.accept(std::string_view{"Stored"}) == errc::ok);
    CHECK(h.pump() == "need_data");
    CHECK(h.take_output() == "250 2.0.0 Stored\r\n250 2.0.0 Stored\r\n452 4.2.2 Over quota\r\n250 2.0.0 Stored\r\n");
}

TEST_CASE("server, LMTP: per-recipient answers are for LMTP sessions and message_end only") {
    harness smtp(config_with(all_extensions));
    greet(smtp);
    REQUIRE(smtp.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n") == "need_data");
    REQUIRE(smtp.send(".\r\n", false) == "decision");
    CHECK(smtp.s.accept_recipient(smtp.last_message, 0) == errc::wrong_state);
    CHECK(smtp.s.accept() == errc::ok);

    harness h(lmtp_config());
    REQUIRE(h.pump(false) == "decision");  // client_connected
    REQUIRE(h.s.accept() == errc::ok);
    REQUIRE(h.send("LHLO client.example\r\n", false) == "decision");
    CHECK(h.s.accept_recipient(decision_id{2}, 0) == errc::wrong_state);
}

TEST_CASE("server, LMTP: a thousand replies pass a small output buffer in order, allocating nothing") {
    server_config c = lmtp_config();
    c.limits.output_buffer = 1024;
    c.limits.recipients = 1000;
    harness h(c);
    lmtp_message(h, 1000);
    const decision_id id = h.last_message;
    h.output.reserve(64 * 1024);
    const std::size_t before = smtpwire_test::allocation_count();
    auto text = [](std::size_t i) { return "R" + std::to_string(i); };
    // From the last recipient down: each waits for recipient 0, until the area is full.
    std::size_t first_refused = 1000;
    for (std::size_t i = 999; i > 0; --i) {
        const std::string t = text(i);
        const errc e = h.s.accept_recipient(id, i, t);
        if (e == errc::output_full) {
            first_refused = i;
            break;
        }
        REQUIRE(e == errc::ok);
    }
    REQUIRE(first_refused < 999);
    REQUIRE(first_refused > 900);  // 1024 octets hold about 60 of these
    // The rest in order, writing output whenever the session asks.
    for (std::size_t i = 0; i <= first_refused; ++i) {
        const std::string t = text(i);
        errc e = h.s.accept_recipient(id, i, t);
        if (e == errc::output_full || e == errc::ok) {
            h.output += h.s.output();
            h.s.consume_output(h.s.output().size());
        }
        if (e == errc::output_full) e = h.s.accept_recipient(id, i, t);
        REQUIRE(e == errc::ok);
    }
    CHECK(h.pump() == "need_data");
    CHECK(smtpwire_test::allocation_count() - before == 0);
    std::string expected;
    for (std::size_t i = 0; i < 1000; ++i) expected += "250 2.0.0 " + text(i) + "\r\n";
    CHECK(h.take_output() == expected);
}
