// client_session and server_session talking through memory: random envelopes, bodies and
// chunking in both directions, DATA or BDAT, SMTP or LMTP; the stored message and every
// recipient result must match.
#include "smtpwire/client_session.hpp"
#include "support/catch.hpp"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "smtpwire/server_session.hpp"
#include "support/client_driver.hpp"
#include "support/content.hpp"
#include "support/session_pair.hpp"

using namespace smtpwire;
using namespace smtpwire_test;

namespace {

enum class verdict { accept, reject, defer };

struct planned_message {
    outgoing message;
    std::vector<verdict> verdicts;    // the server's answer to each recipient
    std::vector<verdict> deliveries;  // LMTP: its answer after the data (accepted ones)
};

// What the server side saw.
struct received {
    std::string reverse_path;
    std::vector<std::string> recipients;  // decoded local part + "@" + domain, accepted ones
    std::string content;
    bool complete = false;
};

std::string random_local_part(std::mt19937_64& rng) {
    static const std::string plain = "abcxyz019.+-_";
    static const std::string special = " \"\\>@,;:";
    std::string s;
    const std::size_t n = 1 + rng() % 12;
    const bool quoted = rng() % 5 == 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (quoted && rng() % 3 == 0) s += special[rng() % special.size()];
        else s += plain[rng() % plain.size()];
    }
    // A plain local part must be a Dot-string: no leading, trailing or double dots.
    if (!quoted) {
        for (auto& c : s)
            if (c == '.') c = 'd';
        if (s.size() > 2 && rng() % 3 == 0) s[s.size() / 2] = '.';
    }
    return s;
}

std::string random_body(std::mt19937_64& rng) {
    static const char alphabet[] = {'.', '\r', '\n', 'a', 'b', ' ', '\0', '\xff', '\xc3', '.'};
    std::string s;
    const std::size_t n = rng() % 4 == 0 ? rng() % 8 : rng() % 3000;
    for (std::size_t i = 0; i < n; ++i) s += alphabet[rng() % sizeof alphabet];
    return s;
}

std::string decoded(const path& p) {
    if (p.kind == path_kind::null_path) return "";
    if (p.kind == path_kind::postmaster) return std::string(p.address.local_part);
    std::string local(p.address.local_part.size(), '\0');
    local.resize(decode_local_part(p.address.local_part, local.data()));
    return local + "@" + std::string(p.address.domain);
}

// What the server decodes from an address the application gave: an address that is
// already a valid RFC 5321 mailbox is sent as it is, any other local part is quoted.
std::string as_delivered(const std::string& address) {
    mailbox m;
    if (address.empty() || parse_mailbox(address, false, m) != mailbox_error::ok) return address;
    std::string local(m.local_part.size(), '\0');
    local.resize(decode_local_part(m.local_part, local.data()));
    return local + "@" + std::string(m.domain);
}

struct outcome_log {
    std::vector<received> server;
    std::vector<std::string> client_events;
    std::vector<std::string> app_errors;
    bool finished = false;
};

// How the content goes: DATA or BDAT, and who decides; SMTP or LMTP.
struct content_mode {
    bool server_chunking = false;  // the server offers CHUNKING and BINARYMIME
    bdat_policy policy = bdat_policy::automatic;
    bool lmtp = false;             // LMTP on both sides: a reply per recipient after the content
    [[nodiscard]] bool chunked() const { return server_chunking && policy != bdat_policy::never; }
};

content_mode random_content_mode(std::mt19937_64& rng) {
    content_mode m;
    m.server_chunking = rng() % 2 == 0;
    m.lmtp = rng() % 4 == 0;
    const auto roll = rng() % 3;
    m.policy = roll == 0 ? bdat_policy::never
               : roll == 1 && m.server_chunking ? bdat_policy::always
                                                : bdat_policy::automatic;
    return m;
}

reply reply_for(verdict v) {
    return v == verdict::reject ? reply{550, {5, 1, 1}, "no such user"} : reply{450, {4, 2, 1}, "later"};
}

// LMTP: answers each accepted recipient of `planned` after the data: some one by one in
// a random order, and the rest with one accept() or reject() when they all get the same.
void answer_recipients(server_session& server, const message_end& end, const planned_message& planned,
                       std::mt19937_64& rng) {
    REQUIRE(end.recipients == planned.deliveries.size());
    std::vector<std::size_t> order(end.recipients);
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    const std::size_t one_by_one = rng() % (order.size() + 1);
    for (std::size_t k = 0; k < order.size(); ++k) {
        const verdict v = planned.deliveries[order[k]];
        const bool rest_alike = std::all_of(order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                                            [&](std::size_t i) { return planned.deliveries[i] == v; });
        if (k >= one_by_one && rest_alike) {
            REQUIRE((v == verdict::accept ? server.accept() : server.reject(reply_for(v))) == errc::ok);
            return;
        }
        REQUIRE((v == verdict::accept ? server.accept_recipient(end.decision, order[k])
                                      : server.reject_recipient(end.decision, order[k], reply_for(v))) == errc::ok);
    }
}

outcome_log run_case(std::mt19937_64& rng, const std::vector<planned_message>& plan, bool server_pipelining,
                     bool client_pipelining, content_mode mode) {
    server_config sc;
    sc.hostname = "mx.example";
    sc.lmtp = mode.lmtp;
    if (!server_pipelining) sc.extensions.remove(extension::pipelining);
    if (mode.server_chunking) {
        sc.extensions.add(extension::chunking);
        sc.extensions.add(extension::binary_mime);
    }
    server_session server(sc);
    client_config cc;
    cc.helo_name = "client.example";
    cc.pipelining = client_pipelining;
    cc.output_buffer = 1024 + rng() % 2048;
    cc.bdat = mode.policy;
    cc.lmtp = mode.lmtp;
    cc.chunk_size = rng() % 2 == 0 ? 0 : 1 + rng() % 700;
    client_session client(cc);
    std::vector<outgoing> messages;
    for (const auto& p : plan) messages.push_back(p.message);
    sending_app app(messages, 1 + rng() % 600);

    outcome_log log;
    std::size_t message_index = 0, rcpt_seen = 0;
    received current;
    session_pair pair(server, client, [&rng](std::size_t n) { return 1 + rng() % n; });
    const auto on_server = [&](const server_event& ev) {
        if (const auto* m = std::get_if<mail_from>(&ev)) {
            current = received{};
            current.reverse_path = decoded(m->reverse_path);
            rcpt_seen = 0;
            REQUIRE(server.accept() == errc::ok);
        } else if (const auto* r = std::get_if<rcpt_to>(&ev)) {
            const verdict v = message_index < plan.size() && rcpt_seen < plan[message_index].verdicts.size()
                                  ? plan[message_index].verdicts[rcpt_seen]
                                  : verdict::accept;
            ++rcpt_seen;
            if (v == verdict::accept) {
                current.recipients.push_back(decoded(r->forward_path));
                REQUIRE(server.accept() == errc::ok);
            } else {
                REQUIRE(server.reject(reply_for(v)) == errc::ok);
            }
        } else if (const auto* b = std::get_if<body_chunk>(&ev)) {
            current.content += b->bytes;
        } else if (const auto* end = std::get_if<message_end>(&ev)) {
            current.complete = true;
            log.server.push_back(current);
            if (mode.lmtp) answer_recipients(server, *end, plan[message_index], rng);
            else REQUIRE(server.accept() == errc::ok);
            ++message_index;
        } else if (std::holds_alternative<protocol_error>(ev)) {
            log.client_events.push_back("server: " + describe(ev));
        } else if (is_decision(ev)) {
            REQUIRE(server.accept() == errc::ok);
        } else if (std::holds_alternative<transaction_reset>(ev)) {
            // a transaction that ended without a message (no recipient accepted)
            if (rcpt_seen > 0) ++message_index;
            rcpt_seen = 0;
        }
    };
    const auto on_client = [&](const client_event& ev) {
        if (std::holds_alternative<need_output>(ev)) {
            app.pump(client);
        } else if (std::holds_alternative<need_body>(ev)) {
            app.on_event(client, ev);
        } else if (!std::holds_alternative<closed>(ev)) {
            log.client_events.push_back(describe(ev));
            app.on_event(client, ev);
        }
    };
    log.finished = pair.run(on_server, on_client, 1'000'000);
    log.app_errors = app.errors;
    return log;
}

} // namespace

TEST_CASE("round trip: client_session to server_session over random chunking") {
    const std::uint64_t seed = 20261123;
    std::mt19937_64 rng(seed);
    const int cases = 3000;
    for (int n = 0; n < cases; ++n) {
        INFO("seed " << seed << ", case " << n);
        const content_mode mode = random_content_mode(rng);
        std::vector<planned_message> plan(1 + rng() % 3);
        for (auto& p : plan) {
            p.message.from = rng() % 6 == 0 ? "" : random_local_part(rng) + "@sender.example";
            const std::size_t recipients = 1 + rng() % 4;
            for (std::size_t r = 0; r < recipients; ++r) {
                p.message.to.push_back(random_local_part(rng) + "@rcpt" + std::to_string(r) + ".example");
                const auto roll = rng() % 6;
                p.verdicts.push_back(roll == 0 ? verdict::reject : roll == 1 ? verdict::defer : verdict::accept);
                const auto after = rng() % 5;
                if (p.verdicts.back() == verdict::accept)
                    p.deliveries.push_back(after == 0 ? verdict::reject : after == 1 ? verdict::defer : verdict::accept);
            }
            p.message.body = random_body(rng);
            for (char c : p.message.body)
                if (static_cast<unsigned char>(c) >= 0x80) p.message.options.body = body_type::eight_bit_mime;
            if (mode.chunked() && rng() % 3 == 0) p.message.options.body = body_type::binary_mime;
        }
        const outcome_log log = run_case(rng, plan, rng() % 2 == 0, rng() % 4 != 0, mode);
        std::string trace;
        for (const auto& e : log.client_events) trace += escape(e) + "\n";
        for (const auto& e : log.app_errors) trace += "app: " + e + "\n";
        INFO("client events:\n" << trace);
        REQUIRE(log.finished);
        CHECK(log.app_errors.empty());
        // Every message with an accepted recipient was stored exactly, once.
        std::size_t stored = 0;
        for (std::size_t m = 0; m < plan.size(); ++m) {
            std::vector<std::string> accepted;
            for (std::size_t r = 0; r < plan[m].verdicts.size(); ++r)
                if (plan[m].verdicts[r] == verdict::accept) accepted.push_back(as_delivered(plan[m].message.to[r]));
            if (accepted.empty()) continue;
            REQUIRE(stored < log.server.size());
            const received& got = log.server[stored++];
            CHECK(got.reverse_path == as_delivered(plan[m].message.from));
            CHECK(got.recipients == accepted);
            // BDAT carries the content exactly; DATA dot-stuffs it and makes its lines CRLF.
            const std::string& body = plan[m].message.body;
            CHECK(escape(got.content) == escape(mode.chunked() ? body : expected_content(body)));
        }
        CHECK(stored == log.server.size());
        // The client saw every recipient's result and each transaction's outcome.
        std::size_t done_index = 0;
        std::size_t rcpt_reply = 0, message = 0, content_reply = 0;
        for (const std::string& e : log.client_events) {
            // The server saw no protocol error but DATA pipelined after refused recipients.
            if (e.rfind("server:", 0) == 0) CHECK(e == "server: protocol_error 554 no valid recipients");
            if (e.rfind("reply RCPT#", 0) == 0) {
                while (message < plan.size() && rcpt_reply >= plan[message].verdicts.size()) {
                    ++message;
                    rcpt_reply = 0;
                }
                REQUIRE(message < plan.size());
                const verdict v = plan[message].verdicts[rcpt_reply++];
                const std::string code = v == verdict::accept ? "250" : v == verdict::reject ? "550" : "450";
                CHECK(e.substr(e.find(' ', 7) + 1, 3) == code);
            }
            // After the final dot "reply DATA content[#n] CODE", after BDAT LAST
            // "reply BDAT#n content CODE".
            const bool after_dot = e.rfind("reply DATA content", 0) == 0;
            const bool after_last = e.rfind("reply BDAT#", 0) == 0 && e.find(" content ") != std::string::npos;
            if ((after_dot || after_last) && mode.lmtp) {
                // One reply per accepted recipient, in RCPT order, as the server answered.
                const auto& deliveries = plan[done_index].deliveries;
                REQUIRE(content_reply < deliveries.size());
                const verdict v = deliveries[content_reply];
                const std::string code = v == verdict::accept ? "250" : v == verdict::reject ? "550" : "450";
                if (after_dot) {
                    const std::string index = content_reply == 0 ? " " : "#" + std::to_string(content_reply) + " ";
                    CHECK(e.substr(18, index.size() + 3) == index + code);
                } else {
                    CHECK(e.substr(11, e.find(' ', 11) - 11) == std::to_string(content_reply));
                    CHECK(e.substr(e.find(" content ") + 9, 3) == code);
                }
                ++content_reply;
            }
            if (e.rfind("done ", 0) == 0) {
                REQUIRE(done_index < plan.size());
                const auto& planned = plan[done_index++];
                const auto& verdicts = planned.verdicts;
                const bool any = std::find(verdicts.begin(), verdicts.end(), verdict::accept) != verdicts.end();
                const bool transient = std::find(verdicts.begin(), verdicts.end(), verdict::defer) != verdicts.end();
                // LMTP: the first recipient not delivered decides.
                const auto failed = std::find_if(planned.deliveries.begin(), planned.deliveries.end(),
                                                 [](verdict v) { return v != verdict::accept; });
                const char* expected = !any ? (transient ? "done transient" : "done permanent")
                                       : !mode.lmtp || failed == planned.deliveries.end() ? "done success"
                                       : *failed == verdict::defer                        ? "done transient"
                                                                                          : "done permanent";
                CHECK(e.rfind(expected, 0) == 0);
                if (mode.lmtp) CHECK(content_reply == (any ? planned.deliveries.size() : 0));
                content_reply = 0;
            }
        }
        CHECK(done_index == plan.size());
    }
}
