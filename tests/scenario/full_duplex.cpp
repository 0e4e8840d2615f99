// Both sessions read while they write (RFC 2920 §3.1's deadlock), decisions carry an
// identity, and a client and a server run against each other through small pipes.
#include "smtpwire/client_session.hpp"
#include "smtpwire/server_session.hpp"
#include "support/catch.hpp"

#include <string>
#include <string_view>
#include <vector>

using namespace smtpwire;

namespace {

server_config mx() {
    server_config c;
    c.hostname = "mx.example";
    return c;
}

// Runs the server until it waits; returns the flow event it stopped on and the
// decision it stopped at, if any.
struct step {
    std::string flow;
    server_event decision;
};

step run_until_wait(server_session& s) {
    for (;;) {
        server_event ev = s.next_event();
        if (std::holds_alternative<need_data>(ev)) return {"need_data", {}};
        if (std::holds_alternative<need_output>(ev)) return {"need_output", {}};
        if (std::holds_alternative<paused>(ev)) return {"paused", {}};
        if (std::holds_alternative<closed>(ev)) return {"closed", {}};
        if (is_decision(ev)) return {"decision", ev};
    }
}

} // namespace

TEST_CASE("server: input is taken while replies wait to be written") {
    server_session s(mx());
    REQUIRE(run_until_wait(s).flow == "decision");  // client_connected
    REQUIRE(s.accept() == errc::ok);
    // The 220 waits in output(); the client's first bytes may still be fed.
    CHECK(s.wants_write());
    CHECK(s.wants_read());
    std::string in = "EHLO client.example\r\n";
    REQUIRE(s.feed(in) == errc::ok);
    CHECK_FALSE(s.wants_read());  // a complete line waits: no more until it is read
    std::string more = "extra";
    CHECK(s.feed(more) == errc::wrong_state);
    CHECK(s.unconsumed() == in);  // refused without a change
    step st = run_until_wait(s);
    REQUIRE(st.flow == "decision");  // hello
    CHECK(s.wants_read());           // consumed, while the decision is pending
    REQUIRE(s.accept() == errc::ok);
    in = "MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx";
    REQUIRE(s.feed(in) == errc::ok);
    CHECK_FALSE(s.wants_read());
    st = run_until_wait(s);
    REQUIRE(st.flow == "decision");  // mail_from; the rest is an incomplete line
    CHECK(s.unconsumed() == "RCPT TO:<b@mx");
    CHECK(s.wants_read());           // while a decision is pending and output waits
    in = std::string(s.unconsumed()) + ".example>\r\n";
    REQUIRE(s.feed(in) == errc::ok);
    REQUIRE(s.accept() == errc::ok);
    st = run_until_wait(s);
    REQUIRE(st.flow == "decision");
    CHECK(std::get_if<rcpt_to>(&st.decision) != nullptr);
    REQUIRE(s.accept() == errc::ok);
    CHECK(s.output() == "220 mx.example ESMTP\r\n250-mx.example\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
                        "250-8BITMIME\r\n250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n250 2.1.0 OK\r\n"
                        "250 2.1.5 OK\r\n");
}

TEST_CASE("server: a full output buffer stops reading, never refuses what it has room for") {
    server_config c = mx();
    c.limits.output_buffer = 1024;
    server_session s(c);
    REQUIRE(run_until_wait(s).flow == "decision");
    REQUIRE(s.accept() == errc::ok);
    std::string ehlo = "EHLO client.example\r\n";
    REQUIRE(s.feed(ehlo) == errc::ok);
    std::string written;
    step first = run_until_wait(s);
    while (first.flow == "need_output") {  // the 220 leaves less than a reply's room
        written += s.output();
        s.consume_output(s.output().size());
        first = run_until_wait(s);
    }
    REQUIRE(first.flow == "decision");
    REQUIRE(s.accept() == errc::ok);
    std::string in = "MAIL FROM:<a@client.example>\r\n";
    for (int i = 0; i < 200; ++i) in += "RCPT TO:<r" + std::to_string(i) + "@mx.example>\r\n";
    REQUIRE(s.feed(in) == errc::ok);
    std::size_t decisions = 1;
    for (int guard = 0; guard < 100000; ++guard) {
        const step st = run_until_wait(s);
        if (st.flow == "decision") {
            ++decisions;
            REQUIRE(s.accept() == errc::ok);
            continue;
        }
        if (st.flow == "need_output") {
            // Output is full; while complete commands wait nothing more may be fed.
            if (!s.unconsumed().empty()) CHECK_FALSE(s.wants_read());
            written += s.output();
            s.consume_output(s.output().size());
            continue;
        }
        REQUIRE(st.flow == "need_data");
        break;
    }
    CHECK(decisions == 202);
    CHECK(s.wants_read());
}

TEST_CASE("server: each decision carries an identity, a stale answer is refused") {
    server_session s(mx());
    step st = run_until_wait(s);
    const auto* connected = std::get_if<client_connected>(&st.decision);
    REQUIRE(connected != nullptr);
    const decision_id first = connected->decision;
    REQUIRE(s.accept(first) == errc::ok);
    CHECK(s.accept(first) == errc::stale_decision);  // answered already
    std::string in = "EHLO client.example\r\n";
    REQUIRE(s.feed(in) == errc::ok);
    st = run_until_wait(s);
    const auto* h = std::get_if<hello>(&st.decision);
    REQUIRE(h != nullptr);
    CHECK(h->decision != first);
    CHECK(s.reject(first, {550, {5, 7, 1}, "no"}) == errc::stale_decision);
    CHECK(s.accept(first, "late") == errc::stale_decision);
    CHECK(s.output() == "220 mx.example ESMTP\r\n");  // nothing written by the stale answers
    REQUIRE(s.accept(h->decision) == errc::ok);
    in = "MAIL FROM:<a@client.example>\r\n";
    REQUIRE(s.feed(in) == errc::ok);
    st = run_until_wait(s);
    const auto* m = std::get_if<mail_from>(&st.decision);
    REQUIRE(m != nullptr);
    const decision_id policy_pending = m->decision;
    // The asynchronous policy check is still running when the application shuts down:
    // its late answer must not answer anything.
    s.shutdown();
    CHECK(s.accept(policy_pending) == errc::stale_decision);
    CHECK(s.accept(policy_pending, reply{250, {2, 1, 0}, "OK"}) == errc::stale_decision);
    CHECK(s.accept() == errc::no_decision_pending);
    CHECK(s.output().find("421 4.3.2") != std::string_view::npos);
    CHECK(s.output().find("250 2.1.0") == std::string_view::npos);
}

TEST_CASE("client and server through small bounded pipes: a 5000-recipient batch, no deadlock") {
    // RFC 2920 §3.1: a client writing a large batch while the server's replies fill its
    // receive window deadlocks unless both read while they write. Each pipe holds at
    // most 300 octets; each side writes only what fits and reads whenever it may.
    constexpr std::size_t pipe_capacity = 300;
    server_config sc = mx();
    sc.limits.recipients = 5000;
    sc.limits.output_buffer = 1024;
    server_session server(sc);
    client_config cc;
    cc.helo_name = "client.example";
    cc.output_buffer = 1024;
    cc.max_unacknowledged = 4096;
    client_session client(cc);

    std::vector<std::string> addresses;
    for (int i = 0; i < 5000; ++i) addresses.push_back("r" + std::to_string(i) + "@mx.example");
    std::vector<recipient> rcpts;
    for (const auto& a : addresses) rcpts.push_back({a, {}});
    envelope env;
    env.sender = "alice@client.example";
    env.recipients = rcpts.data();
    env.recipient_count = rcpts.size();
    const std::string message = "Subject: many\r\n\r\nhello\r\n";

    std::string c2s, s2c;               // the pipes
    std::string server_in, client_in;   // what each side has been fed
    std::size_t accepted = 0, stored = 0, rcpt_replies = 0;
    bool done = false, quit_sent = false;
    std::size_t idle_rounds = 0;
    for (int round = 0; round < 2'000'000 && !(client.done() && server.done()); ++round) {
        bool progress = false;
        // Writes: as much as the pipe has room for.
        auto move = [&](std::string_view out, std::string& pipe) {
            const std::size_t n = std::min(out.size(), pipe_capacity - pipe.size());
            pipe.append(out.substr(0, n));
            return n;
        };
        if (client.wants_write() && c2s.size() < pipe_capacity) {
            client.consume_output(move(client.output(), c2s));
            progress = true;
        }
        if (server.wants_write() && s2c.size() < pipe_capacity) {
            server.consume_output(move(server.output(), s2c));
            progress = true;
        }
        // Reads: whenever the session takes input, independently of its writes.
        if (server.wants_read() && !c2s.empty()) {
            server_in = std::string(server.unconsumed()) + c2s;
            c2s.clear();
            REQUIRE(server.feed(server_in) == errc::ok);
            progress = true;
        }
        if (client.wants_read() && !s2c.empty()) {
            client_in = std::string(client.unconsumed()) + s2c;
            s2c.clear();
            REQUIRE(client.feed(client_in) == errc::ok);
            progress = true;
        }
        // Events: until each session waits for I/O.
        for (;;) {
            const server_event ev = server.next_event();
            if (std::holds_alternative<need_data>(ev) || std::holds_alternative<need_output>(ev) ||
                std::holds_alternative<paused>(ev) || std::holds_alternative<closed>(ev))
                break;
            progress = true;
            if (const auto* b = std::get_if<body_chunk>(&ev)) stored += b->bytes.size();
            if (std::holds_alternative<rcpt_to>(ev)) ++accepted;
            if (is_decision(ev)) REQUIRE(server.accept() == errc::ok);
        }
        for (;;) {
            const client_event ev = client.next_event();
            if (std::holds_alternative<need_data>(ev) || std::holds_alternative<need_output>(ev) ||
                std::holds_alternative<closed>(ev))
                break;
            progress = true;
            if (std::holds_alternative<ready>(ev)) REQUIRE(client.send_mail(env, message) == errc::ok);
            if (const auto* r = std::get_if<command_reply>(&ev); r && r->command == verb::rcpt) {
                CHECK(r->index == rcpt_replies);
                ++rcpt_replies;
            }
            if (const auto* d = std::get_if<transaction_done>(&ev)) {
                CHECK(d->result == outcome::success);
                CHECK(d->accepted == 5000);
                done = true;
            }
            REQUIRE(std::get_if<client_failure>(&ev) == nullptr);
        }
        if (done && !quit_sent && client.can_send()) {
            REQUIRE(client.quit() == errc::ok);
            quit_sent = true;
        }
        idle_rounds = progress ? 0 : idle_rounds + 1;
        INFO("c2s " << c2s.size() << " s2c " << s2c.size() << " client wants r/w " << client.wants_read()
                    << client.wants_write() << " server wants r/w " << server.wants_read() << server.wants_write()
                    << " server state " << to_string(server.state()) << " rcpt replies " << rcpt_replies
                    << " accepted " << accepted << " server unconsumed " << server.unconsumed().size());
        REQUIRE(idle_rounds < 3);  // neither side can move: a deadlock
    }
    CHECK(done);
    CHECK(accepted == 5000);
    CHECK(rcpt_replies == 5000);
    CHECK(stored == message.size());
    CHECK(client.done());
    CHECK(server.done());
}
