// smtpwire-bench: throughput and allocation figures of both sessions and their size, one
// "name: value unit" line each, beside a memchr reference measured on the same buffer in the
// same run. `smtpwire-bench --fixed WORKLOAD N` runs one workload N times, untimed, for
// instruction counts under callgrind (tests/bench/instructions.sh).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <variant>

#include "smtpwire/client_session.hpp"
#include "smtpwire/server_session.hpp"
#include "support/alloc_counter.hpp"

namespace {

using namespace smtpwire;
using clock_type = std::chrono::steady_clock;

// A 1 MiB message body of 78-octet lines (76 characters + CRLF) in the wire form: some
// lines start with '.' and are dot-stuffed, as a client sends them.
std::string realistic_body(std::size_t size) {
    std::string wire;
    const char* words[] = {"the ", "quick ", "brown ", "fox ", "jumps ", "over ", "a ", "lazy ", "dog, ", "and "};
    std::size_t line = 0;
    while (wire.size() < size) {
        std::string text = line % 37 == 0 ? "." : "";
        for (std::size_t w = line; text.size() < 76; ++w) text += words[w % 10];
        text.resize(76);
        if (text[0] == '.') wire += '.';  // dot-stuffing
        wire += text;
        wire += "\r\n";
        ++line;
    }
    return wire;
}

// Feeds everything, accepting every decision; returns body octets delivered.
std::size_t drive(server_session& s, std::string_view bytes) {
    std::size_t delivered = 0;
    if (s.feed(bytes) != errc::ok) return 0;
    for (;;) {
        const server_event ev = s.next_event();
        if (std::holds_alternative<need_output>(ev)) {
            s.consume_output(s.output().size());
        } else if (std::holds_alternative<need_data>(ev) || std::holds_alternative<closed>(ev)) {
            return delivered;
        } else if (const auto* chunk = std::get_if<body_chunk>(&ev)) {
            delivered += chunk->bytes.size();
        } else if (is_decision(ev)) {
            if (s.accept() != errc::ok) return delivered;
        }
    }
}

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

server_config bench_config() {
    server_config c;
    c.hostname = "bench.example";
    c.limits.message_size = 0;
    return c;
}

// The server's side of one whole session as a client sees it, reply by reply: greeting,
// EHLO, the pipelined MAIL, 3 RCPT and DATA, the content, QUIT.
constexpr std::string_view greeting = "220 bench.example ESMTP\r\n";
constexpr std::string_view ehlo_reply = "250-bench.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
                                        "250-ENHANCEDSTATUSCODES\r\n250 SIZE 0\r\n";
constexpr std::string_view envelope_replies = "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
                                              "250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n";
constexpr std::string_view content_reply = "250 2.0.0 Ok: queued\r\n";
constexpr std::string_view quit_reply = "221 2.0.0 Bye\r\n";

const recipient bench_recipients[] = {{"b@bench.example", {}, {}, {}}, {"c@bench.example", {}, {}, {}},
                                      {"d@bench.example", {}, {}, {}}};
const envelope bench_envelope{"a@client.example", {}, bench_recipients, 3};

client_config bench_client_config() {
    client_config c;
    c.helo_name = "client.example";
    return c;
}

// Feeds the server's `bytes`, writing away all output; returns the transactions that
// ended in success.
std::size_t drive(client_session& c, std::string_view bytes) {
    std::size_t done = 0;
    if (c.feed(bytes) != errc::ok) return 0;
    for (;;) {
        const client_event ev = c.next_event();
        if (std::holds_alternative<need_output>(ev)) {
            c.consume_output(c.output().size());
        } else if (std::holds_alternative<need_data>(ev) || std::holds_alternative<closed>(ev)) {
            return done;
        } else if (const auto* t = std::get_if<transaction_done>(&ev)) {
            if (t->result == outcome::success) ++done;
        }
    }
}

// One transaction on a ready client session: MAIL, 3 RCPT, DATA pipelined, then
// `content`; returns 1 when it succeeded.
std::size_t client_transaction(client_session& c, std::string_view content) {
    if (c.send_mail(bench_envelope, content) != errc::ok) return 0;
    std::size_t done = drive(c, envelope_replies);
    done += drive(c, content_reply);
    return done;
}

// A whole client session: greeting, EHLO, one transaction, QUIT.
std::size_t client_whole_session(std::string_view content) {
    client_session c(bench_client_config());
    (void)drive(c, greeting);
    (void)drive(c, ehlo_reply);
    std::size_t done = client_transaction(c, content);
    if (c.quit() == errc::ok) (void)drive(c, quit_reply);
    return c.done() ? done : 0;
}

// The server's workloads, as client commands: EHLO, MAIL, 3 x RCPT, DATA of 1 KiB, QUIT.
struct server_script {
    std::string ehlo = "EHLO client.example\r\n";
    std::string txn = "MAIL FROM:<a@client.example>\r\nRCPT TO:<b@bench.example>\r\n"
                      "RCPT TO:<c@bench.example>\r\nRCPT TO:<d@bench.example>\r\nDATA\r\n";
    std::string tail = realistic_body(1024) + ".\r\n";
    std::string quit = "QUIT\r\n";
};

// A whole server session of `script`; returns body octets delivered.
std::size_t server_whole_session(const server_script& script) {
    server_session one(bench_config());
    std::size_t delivered = drive(one, script.ehlo);
    delivered += drive(one, script.txn);
    delivered += drive(one, script.tail);
    delivered += drive(one, script.quit);
    return delivered;
}

// `smtpwire-bench --fixed WORKLOAD N`: runs WORKLOAD N times and prints a checksum, so
// that instruction counts of two values of N differ by exactly the work of the runs
// between them. Workloads: server-session and client-session (whole sessions),
// server-transaction and client-transaction (transactions in one warm session),
// data-decode (one transaction of a 64 KiB body in one feed, in one warm session).
int run_fixed(std::string_view workload, long n) {
    const server_script script;
    const std::string content = realistic_body(1024);
    std::size_t sum = 0;
    if (workload == "server-session") {
        for (long i = 0; i < n; ++i) sum += server_whole_session(script);
    } else if (workload == "client-session") {
        for (long i = 0; i < n; ++i) sum += client_whole_session(content);
    } else if (workload == "server-transaction") {
        server_session s(bench_config());
        (void)drive(s, script.ehlo);
        for (long i = 0; i < n; ++i) {
            sum += drive(s, script.txn);
            sum += drive(s, script.tail);
        }
    } else if (workload == "client-transaction") {
        client_session c(bench_client_config());
        (void)drive(c, greeting);
        (void)drive(c, ehlo_reply);
        for (long i = 0; i < n; ++i) sum += client_transaction(c, content);
    } else if (workload == "data-decode") {
        const std::string body = realistic_body(65536) + ".\r\n";
        server_session s(bench_config());
        (void)drive(s, script.ehlo);
        for (long i = 0; i < n; ++i) {
            sum += drive(s, script.txn);
            sum += drive(s, body);
        }
    } else {
        std::fprintf(stderr, "smtpwire-bench: unknown workload %.*s\n", static_cast<int>(workload.size()),
                     workload.data());
        return 2;
    }
    std::printf("%.*s: %ld runs, checksum %zu\n", static_cast<int>(workload.size()), workload.data(), n, sum);
    return sum == 0 ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc == 4 && std::string_view(argv[1]) == "--fixed") return run_fixed(argv[2], std::atol(argv[3]));
    if (argc != 1) {
        std::fprintf(stderr, "usage: smtpwire-bench [--fixed WORKLOAD N]\n");
        return 2;
    }
    const std::string body = realistic_body(1u << 20);
    const std::string dot = ".\r\n";
    const int rounds = 200;

    // DATA decoding through a session: the body in 64 KiB feeds, as a socket loop would.
    std::size_t delivered = 0;
    server_session s(bench_config());
    (void)drive(s, "EHLO client.example\r\n");
    const std::string envelope = "MAIL FROM:<a@client.example>\r\nRCPT TO:<b@bench.example>\r\nDATA\r\n";
    auto start = clock_type::now();
    double decode_seconds = 0;
    for (int r = 0; r < rounds; ++r) {
        (void)drive(s, envelope);
        start = clock_type::now();
        for (std::size_t at = 0; at < body.size(); at += 65536)
            delivered += drive(s, std::string_view(body).substr(at, 65536));
        delivered += drive(s, dot);
        decode_seconds += seconds_since(start);
    }
    const double wire_bytes = static_cast<double>(body.size()) * rounds;
    std::printf("data_decode_gbps: %.2f GB/s\n", wire_bytes / decode_seconds / 1e9);

    // Reference: memchr for '\n' over the same buffer, line by line.
    std::size_t lines = 0;
    start = clock_type::now();
    for (int r = 0; r < rounds; ++r) {
        const char* p = body.data();
        const char* end = p + body.size();
        while (const void* hit = std::memchr(p, '\n', static_cast<std::size_t>(end - p))) {
            p = static_cast<const char*>(hit) + 1;
            ++lines;
        }
    }
    const double memchr_seconds = seconds_since(start);
    std::printf("memchr_gbps: %.2f GB/s\n", wire_bytes / memchr_seconds / 1e9);

    // Whole sessions: EHLO, MAIL, 3 x RCPT, DATA of 1 KiB, QUIT.
    const server_script script;
    const int sessions = 100000;
    start = clock_type::now();
    for (int i = 0; i < sessions; ++i) delivered += server_whole_session(script);
    std::printf("server_transactions_per_s: %.0f transactions/s\n", sessions / seconds_since(start));

    // Allocations: per transaction inside a session after warm-up, and per whole session.
    server_session warm(bench_config());
    (void)drive(warm, script.ehlo);
    (void)drive(warm, script.txn);
    (void)drive(warm, script.tail);
    const int transactions = 1000;
    std::size_t before = smtpwire_test::allocation_count();
    for (int i = 0; i < transactions; ++i) {
        delivered += drive(warm, script.txn);
        delivered += drive(warm, script.tail);
    }
    std::printf("server_allocs_per_transaction: %.2f allocations\n",
                static_cast<double>(smtpwire_test::allocation_count() - before) / transactions);
    before = smtpwire_test::allocation_count();
    for (int i = 0; i < transactions; ++i) delivered += server_whole_session(script);
    std::printf("server_allocs_per_session: %.2f allocations\n",
                static_cast<double>(smtpwire_test::allocation_count() - before) / transactions);

    // The client's side of the same sessions, against the scripted replies.
    const std::string content = realistic_body(1024);
    std::size_t sent = 0;
    start = clock_type::now();
    for (int i = 0; i < sessions; ++i) sent += client_whole_session(content);
    std::printf("client_transactions_per_s: %.0f transactions/s\n", sessions / seconds_since(start));
    client_session client(bench_client_config());
    (void)drive(client, greeting);
    (void)drive(client, ehlo_reply);
    sent += client_transaction(client, content);
    before = smtpwire_test::allocation_count();
    for (int i = 0; i < transactions; ++i) sent += client_transaction(client, content);
    std::printf("client_allocs_per_transaction: %.2f allocations\n",
                static_cast<double>(smtpwire_test::allocation_count() - before) / transactions);
    before = smtpwire_test::allocation_count();
    for (int i = 0; i < transactions; ++i) sent += client_whole_session(content);
    std::printf("client_allocs_per_session: %.2f allocations\n",
                static_cast<double>(smtpwire_test::allocation_count() - before) / transactions);
    std::printf("server_session_sizeof: %zu bytes\n", sizeof(server_session));
    std::printf("server_session_output_buffer: %zu bytes\n", server_config{}.limits.output_buffer);
    std::printf("client_session_sizeof: %zu bytes\n", sizeof(client_session));
    // Keep the work observable so it is not optimised away.
    std::printf("checksum: %zu octets %zu lines %zu messages\n", delivered, lines, sent);
    // Every client transaction must have succeeded.
    const auto client_runs = static_cast<std::size_t>(sessions + 2 * transactions + 1);
    return delivered == 0 || sent != client_runs ? 1 : 0;
}
