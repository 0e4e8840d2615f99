// client_session batches: what may follow what on the wire (RFC 2920 §3.1), which
// transaction each reply belongs to, reply codes read by their class, and the bound on
// unacknowledged commands.
#include "smtpwire/client_session.hpp"
#include "support/catch.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "support/client_driver.hpp"

using namespace smtpwire;
using namespace smtpwire_test;

namespace {

const std::string greeting = "220 mx.example ESMTP ready\r\n";
const std::string ehlo_pipelining =
    "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000000\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n";

// A client driven by hand: feed() server bytes, then collect events up to need_data,
// need_body or closed; output is taken as it appears.
struct manual_client {
    client_session c;
    std::string in;
    std::string wire;  // everything written so far
    std::vector<std::string> events;

    explicit manual_client(client_config config = named("client.example")) : c(config) {}

    static client_config named(const char* name) {
        client_config cfg;
        cfg.helo_name = name;
        return cfg;
    }

    // Delivers server bytes and runs until the session waits.
    void server(const std::string& bytes) {
        in = std::string(c.unconsumed()) + bytes;
        REQUIRE(c.feed(in) == errc::ok);
        run();
    }

    void run() {
        for (int guard = 0; guard < 100000; ++guard) {
            const client_event ev = c.next_event();
            if (std::holds_alternative<need_output>(ev)) {
                take();
            } else if (std::holds_alternative<need_data>(ev) || std::holds_alternative<need_body>(ev) ||
                       std::holds_alternative<closed>(ev)) {
                take();
                return;
            } else if (const auto* r = std::get_if<command_reply>(&ev)) {
                events.push_back(describe(ev) + " tx" + std::to_string(r->transaction));
            } else if (const auto* d = std::get_if<transaction_done>(&ev)) {
                events.push_back(describe(ev) + " tx" + std::to_string(d->transaction));
            } else {
                events.push_back(describe(ev));
            }
        }
        FAIL("the session never waited");
    }

    void take() {
        wire += c.output();
        c.consume_output(c.output().size());
    }

    std::string written_since(std::size_t mark) const { return wire.substr(mark); }
};

// An envelope from alice@client.example to `rcpts`, which it borrows.
envelope alice_to(const std::vector<recipient>& rcpts) {
    envelope env;
    env.sender = "alice@client.example";
    env.recipients = rcpts.data();
    env.recipient_count = rcpts.size();
    return env;
}

manual_client ready_client(client_config config = manual_client::named("client.example")) {
    manual_client m(config);
    m.server(greeting + ehlo_pipelining);
    REQUIRE(m.events == std::vector<std::string>{"greeted 220 mx.example ESMTP ready", "ready EHLO"});
    REQUIRE(m.c.pipelining());
    m.events.clear();
    return m;
}

} // namespace

TEST_CASE("client: nothing follows DATA in a batch (RFC 2920 §3.1)") {
    manual_client m = ready_client();
    const std::size_t mark = m.wire.size();
    REQUIRE(m.c.mail_from("alice@client.example") == errc::ok);
    REQUIRE(m.c.rcpt_to("bob@mx.example") == errc::ok);
    REQUIRE(m.c.data() == errc::ok);
    // DATA ends the group: until its reply nothing else may be written, or a server
    // answering 354 would take the next command as message content.
    CHECK_FALSE(m.c.can_send());
    CHECK(m.c.quit() == errc::wrong_state);
    CHECK(m.c.reset() == errc::wrong_state);
    CHECK(m.c.rcpt_to("carol@mx.example") == errc::wrong_state);
    CHECK(m.c.mail_from("alice@client.example") == errc::wrong_state);
    m.take();
    CHECK(m.written_since(mark) == "MAIL FROM:<alice@client.example>\r\nRCPT TO:<bob@mx.example>\r\nDATA\r\n");

    // After the 354 only content can follow.
    m.server("250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 go ahead\r\n");
    CHECK_FALSE(m.c.can_send());
    CHECK(m.c.quit() == errc::wrong_state);
    CHECK(m.c.reset() == errc::wrong_state);
    REQUIRE(m.c.send_body("Subject: x\r\n\r\nbody\r\n") == errc::ok);
    REQUIRE(m.c.end_body() == errc::ok);
    CHECK(m.c.send_body("more") == errc::wrong_state);  // ended
    CHECK(m.c.end_body() == errc::wrong_state);
    m.run();
    CHECK(m.written_since(mark).substr(m.written_since(mark).find("DATA\r\n") + 6) ==
          "Subject: x\r\n\r\nbody\r\n.\r\n");
    // The final dot does not end a group (RFC 2920 §4's example): QUIT may follow it.
    CHECK(m.c.can_send());
    REQUIRE(m.c.quit() == errc::ok);
    CHECK_FALSE(m.c.can_send());
    CHECK(m.c.reset() == errc::wrong_state);  // QUIT ends the group for good
    m.server("250 2.0.0 queued\r\n221 2.0.0 bye\r\n");
    CHECK(m.events.back() == "reply QUIT 221 2.0.0 bye tx0");
    CHECK(m.c.done());
}

TEST_CASE("client: EHLO ends its group: no command before its reply") {
    manual_client m;
    m.server(greeting);
    CHECK(m.wire == "EHLO client.example\r\n");
    CHECK_FALSE(m.c.can_send());
    CHECK(m.c.quit() == errc::wrong_state);
    CHECK(m.c.mail_from("a@client.example") == errc::wrong_state);
}

TEST_CASE("client: replies belong to the transaction that asked") {
    // MAIL, RCPT, RSET, MAIL, RCPT, DATA in one batch once handed the first
    // transaction's replies to the second and answered its 354 with a bare ".".
    manual_client m = ready_client();
    REQUIRE(m.c.mail_from("alice@client.example") == errc::ok);
    const transaction_id first = m.c.transaction();
    CHECK(first != 0);
    REQUIRE(m.c.rcpt_to("bob@mx.example") == errc::ok);
    REQUIRE(m.c.reset() == errc::ok);
    CHECK(m.c.transaction() == 0);
    // Its replies are still due: a new transaction now could be credited with them.
    CHECK(m.c.mail_from("carol@client.example") == errc::wrong_state);
    m.take();
    m.server("550 5.1.8 sender refused\r\n503 5.5.1 need MAIL\r\n250 2.0.0 reset\r\n");
    CHECK(m.events == std::vector<std::string>{"reply MAIL 550 5.1.8 sender refused tx" + std::to_string(first),
                                               "reply RCPT#0 503 5.5.1 need MAIL tx" + std::to_string(first),
                                               "reply RSET 250 2.0.0 reset tx0"});
    m.events.clear();

    const std::size_t mark = m.wire.size();
    REQUIRE(m.c.mail_from("carol@client.example") == errc::ok);
    const transaction_id second = m.c.transaction();
    CHECK(second == first + 1);
    REQUIRE(m.c.rcpt_to("dave@mx.example") == errc::ok);
    REQUIRE(m.c.data() == errc::ok);
    m.take();
    m.server("250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 go\r\n");
    REQUIRE(m.c.send_body("the second message\r\n") == errc::ok);
    REQUIRE(m.c.end_body() == errc::ok);
    m.run();
    m.server("250 2.0.0 queued\r\n");
    const std::string tx = " tx" + std::to_string(second);
    CHECK(m.events == std::vector<std::string>{"reply MAIL 250 2.1.0 OK" + tx, "reply RCPT#0 250 2.1.5 OK" + tx,
                                               "reply DATA 354 go" + tx,
                                               "reply DATA content 250 2.0.0 queued" + tx,
                                               "done success 1/1 250 2.0.0 queued" + tx});
    CHECK(m.written_since(mark) == "MAIL FROM:<carol@client.example>\r\nRCPT TO:<dave@mx.example>\r\nDATA\r\n"
                                   "the second message\r\n.\r\n");
}

TEST_CASE("client: QUIT abandons the open transaction, its replies keep their id") {
    manual_client m = ready_client();
    REQUIRE(m.c.mail_from("alice@client.example") == errc::ok);
    REQUIRE(m.c.rcpt_to("bob@mx.example") == errc::ok);
    REQUIRE(m.c.rcpt_to("carol@mx.example") == errc::ok);
    REQUIRE(m.c.quit() == errc::ok);
    m.take();
    m.server("250 OK\r\n250 OK\r\n450 later\r\n221 bye\r\n");
    CHECK(m.events == std::vector<std::string>{"reply MAIL 250 OK tx1", "reply RCPT#0 250 OK tx1",
                                               "reply RCPT#1 450 later tx1", "reply QUIT 221 bye tx0"});
    CHECK(m.c.done());
}

TEST_CASE("client: reply codes are read by their first digit (RFC 5321 §4.2.1, §4.3.2)") {
    SECTION("an unknown 2xx is a success, an unknown 4xx transient") {
        manual_client m = ready_client();
        REQUIRE(m.c.mail_from("alice@client.example") == errc::ok);
        REQUIRE(m.c.rcpt_to("bob@mx.example") == errc::ok);
        REQUIRE(m.c.rcpt_to("carol@mx.example") == errc::ok);
        REQUIRE(m.c.data() == errc::ok);
        m.server("299 sender fine\r\n459 4.9.9 odd but transient\r\n260 fine too\r\n354 go\r\n");
        REQUIRE(m.c.send_body("x\r\n") == errc::ok);
        REQUIRE(m.c.end_body() == errc::ok);
        m.run();
        m.server("259 2.0.0 taken\r\n");
        CHECK(m.events == std::vector<std::string>{
                              "reply MAIL 299 sender fine tx1", "reply RCPT#0 459 4.9.9 odd but transient tx1",
                              "reply RCPT#1 260 fine too tx1", "reply DATA 354 go tx1",
                              "reply DATA content 259 2.0.0 taken tx1", "done success 1/2 259 2.0.0 taken tx1"});
    }
    SECTION("a first digit outside 2-5 is malformed; the session still says QUIT") {
        for (const char* bad : {"199 preliminary\r\n", "600 what\r\n", "0xx nonsense\r\n"}) {
            INFO(bad);
            manual_client m = ready_client();
            REQUIRE(m.c.mail_from("alice@client.example") == errc::ok);
            const std::size_t mark = m.wire.size();
            m.take();
            m.server(bad);
            CHECK(m.events == std::vector<std::string>{"failure malformed reply"});
            CHECK(m.written_since(mark) == "MAIL FROM:<alice@client.example>\r\nQUIT\r\n");
            CHECK(m.c.done());
        }
    }
    SECTION("no QUIT while the server may be reading content") {
        manual_client m = ready_client();
        REQUIRE(m.c.mail_from("alice@client.example") == errc::ok);
        REQUIRE(m.c.rcpt_to("bob@mx.example") == errc::ok);
        REQUIRE(m.c.data() == errc::ok);
        m.take();
        const std::size_t mark = m.wire.size();
        m.server("250 OK\r\n250 OK\r\n654 broken\r\n");
        CHECK(m.events.back() == "failure malformed reply");
        CHECK(m.written_since(mark).empty());
        CHECK(m.c.done());
    }
}

TEST_CASE("client: BODY=7BIT only to a server that offered 8BITMIME") {
    mail_options seven;
    seven.body = body_type::seven_bit;
    {
        manual_client m = ready_client();
        const std::size_t mark = m.wire.size();
        REQUIRE(m.c.mail_from("a@client.example", seven) == errc::ok);
        m.take();
        CHECK(m.written_since(mark) == "MAIL FROM:<a@client.example> BODY=7BIT\r\n");
    }
    {
        // After the HELO fallback no extension exists: 7BIT is all there is.
        manual_client m;
        m.server(greeting + "500 what\r\n250 mx.example\r\n");
        REQUIRE(m.events.back() == "ready HELO");
        const std::size_t mark = m.wire.size();
        REQUIRE(m.c.mail_from("a@client.example", seven) == errc::ok);
        m.take();
        CHECK(m.written_since(mark) == "MAIL FROM:<a@client.example>\r\n");
    }
}

TEST_CASE("client: a path over 256 octets is refused before it is sent (RFC 5321 §4.5.3.1.3)") {
    manual_client m = ready_client();
    // 64-octet local part, domain of 63-octet labels: 254 octets with the brackets is
    // fine, 258 is not.
    const std::string local(64, 'l');
    const std::string label(63, 'd');
    const std::string fits = local + "@" + label + "." + label + "." + std::string(57, 'e') + ".x";
    REQUIRE(fits.size() + 2 == 254);
    const std::string too_long = local + "@" + label + "." + label + "." + label + "." + "xx";
    REQUIRE(too_long.size() + 2 > 256);
    const std::string before(m.c.output());
    CHECK(m.c.mail_from(too_long) == errc::invalid_argument);
    CHECK(m.c.output() == before);
    REQUIRE(m.c.mail_from(fits) == errc::ok);
    CHECK(m.c.rcpt_to(too_long) == errc::invalid_argument);
    REQUIRE(m.c.rcpt_to(fits) == errc::ok);
}

TEST_CASE("client: reply limits near SIZE_MAX do not overflow") {
    client_config cfg = manual_client::named("client.example");
    cfg.reply.max_line_length = static_cast<std::size_t>(-1);
    cfg.reply.max_lines = static_cast<std::size_t>(-1);
    manual_client m(cfg);
    m.server("220 mx.example");  // an incomplete line is kept, not judged too long
    CHECK(m.events.empty());
    m.server(" ready\r\n250 mx.example\r\n");
    CHECK(m.events == std::vector<std::string>{"greeted 220 mx.example ready", "ready EHLO"});
}

TEST_CASE("client: input is taken while output waits (full duplex)") {
    manual_client m;
    CHECK(m.c.wants_read());
    CHECK_FALSE(m.c.wants_write());
    m.in = greeting;
    REQUIRE(m.c.feed(m.in) == errc::ok);
    CHECK_FALSE(m.c.wants_read());  // not yet looked at
    REQUIRE(std::holds_alternative<greeted>(m.c.next_event()));
    REQUIRE(std::holds_alternative<need_output>(m.c.next_event()));
    // EHLO waits to be written, and the input is consumed: more bytes are welcome.
    CHECK(m.c.wants_write());
    CHECK(m.c.wants_read());
    m.in = "250-mx.example\r\n250 PIPEL";
    REQUIRE(m.c.feed(m.in) == errc::ok);
    REQUIRE(std::holds_alternative<need_output>(m.c.next_event()));
    // The first line is read; the second is incomplete: still readable.
    CHECK(m.c.unconsumed() == "250 PIPEL");
    CHECK(m.c.wants_read());
    m.in = std::string(m.c.unconsumed()) + "INING\r\n";
    REQUIRE(m.c.feed(m.in) == errc::ok);
    CHECK(std::holds_alternative<ready>(m.c.next_event()));
    CHECK(m.c.pipelining());
    CHECK(m.c.output() == "EHLO client.example\r\n");
}

TEST_CASE("client: the bytes of an unacknowledged batch are bounded") {
    client_config cfg = manual_client::named("client.example");
    cfg.max_unacknowledged = 1024;
    cfg.output_buffer = 65536;
    manual_client m = ready_client(cfg);
    REQUIRE(m.c.mail_from("alice@client.example") == errc::ok);
    std::size_t sent = 0;
    while (m.c.can_send() && sent < 1000) {
        REQUIRE(m.c.rcpt_to("r" + std::to_string(sent) + "@mx.example") == errc::ok);
        ++sent;
    }
    // 35 octets of MAIL and 25-26 per RCPT: the batch stops once 1024 octets wait,
    // exceeding it by at most one command.
    const std::size_t batch = m.c.output().size();
    CHECK(sent < 1000);
    CHECK(batch >= 1024);
    CHECK(batch < 1024 + 512);
    // Each reply frees what its command took; the batch goes on.
    m.take();
    m.server("250 OK\r\n250 OK\r\n250 OK\r\n");
    CHECK(m.c.can_send());
}

TEST_CASE("client: send_mail() sends a whole transaction in one batch") {
    manual_client m = ready_client();
    const std::vector<recipient> rcpts = {{"bob@mx.example", {}}, {"nobody@mx.example", {}},
                                          {"carol@mx.example", "NOTIFY=NEVER"}};
    const envelope env = alice_to(rcpts);
    const std::string message = "Subject: hi\r\n\r\n.leading dot\r\n";
    const std::size_t mark = m.wire.size();
    REQUIRE(m.c.send_mail(env, message) == errc::ok);
    // The whole envelope is written by send_mail() itself, ready for one write.
    const std::string batch = "MAIL FROM:<alice@client.example>\r\nRCPT TO:<bob@mx.example>\r\n"
                              "RCPT TO:<nobody@mx.example>\r\nRCPT TO:<carol@mx.example> NOTIFY=NEVER\r\n"
                              "DATA\r\n";
    CHECK(m.c.output() == batch);
    CHECK(m.c.send_mail(env, message) == errc::wrong_state);  // one transaction at a time
    // DATA ends the batch: nothing else may follow before its reply (RFC 2920 §3.1).
    CHECK(m.c.rcpt_to("dave@mx.example") == errc::wrong_state);
    CHECK(m.c.reset() == errc::wrong_state);
    CHECK(m.c.quit() == errc::wrong_state);
    CHECK(m.c.output() == batch);
    m.run();
    CHECK(m.written_since(mark) == batch);
    m.server("250 OK\r\n250 OK\r\n550 5.1.1 no such user\r\n250 OK\r\n354 go\r\n");
    CHECK(m.written_since(mark).substr(m.written_since(mark).find("DATA\r\n") + 6) ==
          "Subject: hi\r\n\r\n..leading dot\r\n.\r\n");
    m.server("250 2.0.0 queued\r\n");
    CHECK(m.events == std::vector<std::string>{
                          "reply MAIL 250 OK tx1", "reply RCPT#0 250 OK tx1", "reply RCPT#1 550 5.1.1 no such user tx1",
                          "reply RCPT#2 250 OK tx1", "reply DATA 354 go tx1", "reply DATA content 250 2.0.0 queued tx1",
                          "done success 2/3 250 2.0.0 queued tx1"});
    CHECK(m.c.transaction() == 0);
    REQUIRE(m.c.quit() == errc::ok);
}

TEST_CASE("client: send_mail() without PIPELINING waits for each reply") {
    manual_client m;
    m.server(greeting + "250-mx.example\r\n250 SIZE 1000\r\n");
    const std::vector<recipient> rcpts = {{"bob@mx.example", {}}, {"carol@mx.example", {}}};
    const envelope env = alice_to(rcpts);
    std::size_t mark = m.wire.size();
    REQUIRE(m.c.send_mail(env, "x") == errc::ok);
    m.run();
    const std::vector<std::pair<std::string, std::string>> steps = {
        {"250 OK\r\n", "RCPT TO:<bob@mx.example>\r\n"},
        {"250 OK\r\n", "RCPT TO:<carol@mx.example>\r\n"},
        {"450 later\r\n", "DATA\r\n"},
        {"354 go\r\n", "x\r\n.\r\n"}};
    CHECK(m.written_since(mark) == "MAIL FROM:<alice@client.example>\r\n");
    for (const auto& [reply, next] : steps) {
        mark = m.wire.size();
        m.server(reply);
        CHECK(m.written_since(mark) == next);
    }
    m.server("250 OK\r\n");
    CHECK(m.events.back() == "done success 1/2 250 OK tx1");
}

TEST_CASE("client: send_mail() checks the whole envelope before sending anything") {
    manual_client m = ready_client();
    const std::string before(m.c.output());
    const std::vector<recipient> bad_address = {{"bob@mx.example", {}}, {"x\r\nDATA@mx.example", {}}};
    const std::vector<recipient> bad_parameter = {{"bob@mx.example", "NOTIFY=NEVER\r\nQUIT"}};
    const std::vector<recipient> utf8 = {{"δοκιμή@mx.example", {}}};
    const std::vector<recipient> good = {{"bob@mx.example", {}}};
    envelope env;
    env.sender = "alice@client.example";
    CHECK(m.c.send_mail(env, "x") == errc::wrong_state);  // no recipient
    env.recipients = bad_address.data();
    env.recipient_count = bad_address.size();
    CHECK(m.c.send_mail(env, "x") == errc::invalid_argument);
    env.recipients = bad_parameter.data();
    env.recipient_count = bad_parameter.size();
    CHECK(m.c.send_mail(env, "x") == errc::invalid_argument);
    env.recipients = utf8.data();
    env.recipient_count = utf8.size();
    CHECK(m.c.send_mail(env, "x") == errc::not_supported);  // no SMTPUTF8 offered
    env.recipients = good.data();
    env.recipient_count = good.size();
    CHECK(m.c.send_mail(env, "caf\xc3\xa9") == errc::not_supported);  // 8-bit without BODY=8BITMIME
    env.sender = "no at sign";
    CHECK(m.c.send_mail(env, "x") == errc::invalid_argument);
    CHECK(m.c.output() == before);
    CHECK(m.c.transaction() == 0);
}

TEST_CASE("client: send_mail() checks each recipient again as it writes it") {
    // Without PIPELINING the RCPTs go after MAIL's reply, from the borrowed envelope: one
    // changed in between against the rules still puts no line of its own on the wire.
    manual_client m;
    m.server(greeting + "250-mx.example\r\n250 SIZE 1000\r\n");
    std::vector<recipient> rcpts = {{"bob@mx.example", {}}};
    const envelope env = alice_to(rcpts);
    REQUIRE(m.c.send_mail(env, "x") == errc::ok);
    m.run();
    rcpts[0].parameters = "X=1\r\nRSET";
    const std::size_t mark = m.wire.size();
    m.server("250 OK\r\n");
    CHECK(m.written_since(mark).empty());
}

TEST_CASE("client: send_mail() writes each recipient as checked, quoted where needed, past the 64th too") {
    // Recipients checked by send_mail() and written in the same call go as checked; a
    // local part that is not a Dot-string is quoted, whichever recipient it is.
    client_config cfg = manual_client::named("client.example");
    cfg.output_buffer = 65536;
    manual_client m = ready_client(cfg);
    std::vector<std::string> addresses;
    std::string expected = "MAIL FROM:<alice@client.example>\r\n";
    for (int i = 0; i < 70; ++i) {
        const bool quoted = i % 7 == 3 || i == 66;
        const std::string local = quoted ? "first last" + std::to_string(i) : "r" + std::to_string(i);
        addresses.push_back(local + "@mx.example");
        expected += "RCPT TO:<" + (quoted ? "\"" + local + "\"" : local) + "@mx.example>\r\n";
    }
    expected += "DATA\r\n";
    std::vector<recipient> rcpts;
    for (const std::string& a : addresses) rcpts.push_back({a, {}});
    const envelope env = alice_to(rcpts);
    const std::size_t mark = m.wire.size();
    REQUIRE(m.c.send_mail(env, "x") == errc::ok);
    m.run();
    CHECK(m.written_since(mark) == expected);
}

TEST_CASE("client: send_mail() checks an address again when its RCPT goes in a later call") {
    // The output holds only part of the envelope; the rest goes as it drains, from the
    // borrowed envelope: an address changed in between against the rules is judged
    // again and puts no line of its own on the wire.
    client_config cfg = manual_client::named("client.example");
    cfg.output_buffer = 1024;
    manual_client m = ready_client(cfg);
    std::vector<std::string> addresses;
    for (int i = 0; i < 60; ++i) addresses.push_back("recipient-number-" + std::to_string(i) + "@mx.example");
    std::vector<recipient> rcpts;
    for (const std::string& a : addresses) rcpts.push_back({a, {}});
    const envelope env = alice_to(rcpts);
    REQUIRE(m.c.send_mail(env, "x") == errc::ok);
    const std::string first_write(m.c.output());
    REQUIRE(first_write.find("recipient-number-59@") == std::string::npos);  // not all of it fitted
    addresses[59] = "x@mx.example>\r\nRSET";
    rcpts[59].address = addresses[59];
    m.run();
    CHECK(m.wire.find("recipient-number-58@") != std::string::npos);
    CHECK(m.wire.find("RSET") == std::string::npos);
    CHECK(m.wire.find("RCPT TO:<x@") == std::string::npos);
}

TEST_CASE("client: send_mail() with every recipient refused sends no content") {
    manual_client m = ready_client();
    const std::vector<recipient> rcpts = {{"bob@mx.example", {}}};
    const envelope env = alice_to(rcpts);
    REQUIRE(m.c.send_mail(env, "secret") == errc::ok);
    m.run();
    m.server("250 OK\r\n550 no\r\n354 go anyway\r\n");
    m.server("554 no recipients\r\n");
    CHECK(m.wire.find("secret") == std::string::npos);
    CHECK(m.events.back() == "done permanent 0/1 550 no tx1");
}

TEST_CASE("client: RSET or QUIT right behind the final dot leaves the transaction to finish") {
    // RFC 2920 §4 pipelines QUIT behind the final dot: the message may be accepted, so
    // its reply and transaction_done must still be reported.
    for (const bool quit : {false, true}) {
        INFO((quit ? "QUIT" : "RSET"));
        manual_client m = ready_client();
        REQUIRE(m.c.mail_from("alice@client.example") == errc::ok);
        REQUIRE(m.c.rcpt_to("bob@mx.example") == errc::ok);
        REQUIRE(m.c.data() == errc::ok);
        m.server("250 OK\r\n250 OK\r\n354 go\r\n");
        REQUIRE(m.c.send_body("hello\r\n") == errc::ok);
        REQUIRE(m.c.end_body() == errc::ok);
        m.run();
        CHECK(m.c.transaction() == 0);  // with PIPELINING, no longer open once its dot is written
        REQUIRE((quit ? m.c.quit() : m.c.reset()) == errc::ok);
        if (quit) CHECK(m.c.mail_from("carol@client.example") == errc::wrong_state);
        m.events.clear();
        m.server(quit ? "250 2.0.0 queued\r\n221 bye\r\n" : "250 2.0.0 queued\r\n250 reset\r\n");
        CHECK(m.events == std::vector<std::string>{"reply DATA content 250 2.0.0 queued tx1",
                                                   "done success 1/1 250 2.0.0 queued tx1",
                                                   quit ? "reply QUIT 221 bye tx0" : "reply RSET 250 reset tx0"});
    }
}

TEST_CASE("client: with PIPELINING the next transaction follows the final dot (RFC 2920 §3.1)") {
    // Each message costs one round trip: its content, the dot, and the next envelope go
    // in one write, and the server answers the dot, MAIL, RCPT and DATA in one.
    manual_client m = ready_client();
    const std::vector<recipient> rcpts = {{"bob@mx.example", {}}};
    const envelope first = alice_to(rcpts);
    envelope second = first;
    second.sender = "carol@client.example";
    REQUIRE(m.c.send_mail(first, "one\r\n") == errc::ok);
    m.run();
    const std::size_t mark = m.wire.size();
    m.server("250 OK\r\n250 OK\r\n354 go\r\n");
    CHECK(m.c.transaction() == 0);
    REQUIRE(m.c.send_mail(second, "two\r\n") == errc::ok);
    CHECK(m.c.transaction() == 2);
    CHECK(m.c.send_mail(second, "three\r\n") == errc::wrong_state);  // one open at a time
    m.run();
    CHECK(m.written_since(mark) == "one\r\n.\r\nMAIL FROM:<carol@client.example>\r\nRCPT TO:<bob@mx.example>\r\n"
                                   "DATA\r\n");
    // The first message refused at its end: the second goes on, and no RSET is sent
    // between (the server keeps no envelope after the dot, RFC 5321 §4.1.1.4).
    m.server("554 5.7.1 rejected\r\n250 OK\r\n250 OK\r\n354 go\r\n");
    CHECK(m.written_since(mark).find("RSET") == std::string::npos);
    m.server("250 2.0.0 queued\r\n");
    CHECK(m.events == std::vector<std::string>{
                          "reply MAIL 250 OK tx1", "reply RCPT#0 250 OK tx1", "reply DATA 354 go tx1",
                          "reply DATA content 554 5.7.1 rejected tx1", "done permanent 1/1 554 5.7.1 rejected tx1",
                          "reply MAIL 250 OK tx2", "reply RCPT#0 250 OK tx2", "reply DATA 354 go tx2",
                          "reply DATA content 250 2.0.0 queued tx2", "done success 1/1 250 2.0.0 queued tx2"});
    CHECK(m.written_since(mark).substr(m.written_since(mark).find("DATA\r\n") + 6) == "two\r\n.\r\n");
    REQUIRE(m.c.quit() == errc::ok);
}

TEST_CASE("client: without PIPELINING the next transaction waits for the final reply") {
    manual_client m;
    m.server(greeting + "250 mx.example\r\n");
    REQUIRE_FALSE(m.c.pipelining());
    REQUIRE(m.c.mail_from("alice@client.example") == errc::ok);
    m.server("250 OK\r\n");
    REQUIRE(m.c.rcpt_to("bob@mx.example") == errc::ok);
    m.server("250 OK\r\n");
    REQUIRE(m.c.data() == errc::ok);
    m.server("354 go\r\n");
    REQUIRE(m.c.send_body("one\r\n") == errc::ok);
    REQUIRE(m.c.end_body() == errc::ok);
    m.run();
    CHECK(m.c.transaction() == 1);
    CHECK(m.c.mail_from("carol@client.example") == errc::wrong_state);
    m.server("250 queued\r\n");
    CHECK(m.c.transaction() == 0);
    CHECK(m.c.mail_from("carol@client.example") == errc::ok);
}

TEST_CASE("client BDAT: send_mail() sends chunks of chunk_size octets, the last marked LAST") {
    const std::string ehlo_chunking = "250-mx.example\r\n250-PIPELINING\r\n250 CHUNKING\r\n";
    const std::vector<recipient> rcpts = {{"bob@mx.example", {}}};
    const envelope env = alice_to(rcpts);
    const std::string envelope_lines = "MAIL FROM:<alice@client.example>\r\nRCPT TO:<bob@mx.example>\r\n";
    const struct {
        std::size_t chunk_size;
        std::string content;
        std::string chunks;
    } cases[] = {
        {4, "abcdefghij", "BDAT 4\r\nabcdBDAT 4\r\nefghBDAT 2 LAST\r\nij"},
        {4, "ab\r\n.\r\n", "BDAT 4\r\nab\r\nBDAT 3 LAST\r\n.\r\n"},
        {4, "abcdefgh", "BDAT 4\r\nabcdBDAT 4 LAST\r\nefgh"},
        {4, "", "BDAT 0 LAST\r\n"},
        {0, std::string(2500, 'x'),  // the default: the output buffer's capacity
         "BDAT 1024\r\n" + std::string(1024, 'x') + "BDAT 1024\r\n" + std::string(1024, 'x') + "BDAT 452 LAST\r\n" +
             std::string(452, 'x')},
    };
    for (const auto& c : cases) {
        INFO(c.chunk_size << " " << c.content.size());
        client_config config = manual_client::named("client.example");
        config.chunk_size = c.chunk_size;
        config.output_buffer = 1024;
        manual_client m(config);
        m.server(greeting + ehlo_chunking);
        const std::size_t mark = m.wire.size();
        REQUIRE(m.c.send_mail(env, c.content) == errc::ok);
        m.run();
        // The first chunk goes with the envelope, the others once the recipient is accepted.
        CHECK(m.written_since(mark) == envelope_lines + c.chunks.substr(0, c.chunks.find("BDAT", 1)));
        m.server("250 OK\r\n250 OK\r\n");
        CHECK(m.written_since(mark) == envelope_lines + c.chunks);
        const std::size_t chunks = static_cast<std::size_t>(std::count(c.chunks.begin(), c.chunks.end(), '\n') -
                                                            std::count(c.content.begin(), c.content.end(), '\n'));
        std::string replies;
        for (std::size_t i = 1; i < chunks; ++i) replies += "250 2.0.0 OK\r\n";
        m.server(replies + "250 2.0.0 queued\r\n");
        CHECK(m.events[m.events.size() - 2] ==
              "reply BDAT#" + std::to_string(chunks - 1) + " content 250 2.0.0 queued tx1");
        CHECK(m.events.back() == "done success 1/1 250 2.0.0 queued tx1");
        CHECK(m.c.can_send());
    }
}

TEST_CASE("client BDAT: send_mail() without PIPELINING sends each chunk after the reply to the one before") {
    client_config config = manual_client::named("client.example");
    config.chunk_size = 3;
    manual_client m(config);
    m.server(greeting + "250-mx.example\r\n250 CHUNKING\r\n");
    const std::vector<recipient> rcpts = {{"bob@mx.example", {}}};
    const envelope env = alice_to(rcpts);
    std::size_t mark = m.wire.size();
    REQUIRE(m.c.send_mail(env, "abcdefg") == errc::ok);
    m.run();
    CHECK(m.written_since(mark) == "MAIL FROM:<alice@client.example>\r\n");
    const std::vector<std::pair<std::string, std::string>> steps = {{"250 OK\r\n", "RCPT TO:<bob@mx.example>\r\n"},
                                                                    {"250 OK\r\n", "BDAT 3\r\nabc"},
                                                                    {"250 OK\r\n", "BDAT 3\r\ndef"},
                                                                    {"250 OK\r\n", "BDAT 1 LAST\r\ng"}};
    for (const auto& [reply, next] : steps) {
        mark = m.wire.size();
        m.server(reply);
        CHECK(m.written_since(mark) == next);
    }
    mark = m.wire.size();
    m.server("554 5.6.0 rejected\r\n");
    CHECK(m.events.back() == "done permanent 1/1 554 5.6.0 rejected tx1");
    // The server may still hold the envelope after refusing even the LAST chunk.
    CHECK(m.written_since(mark) == "RSET\r\n");
}
