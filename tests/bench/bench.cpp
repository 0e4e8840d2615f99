// smtpwire-bench: throughput and allocation figures of server_session, and the size of both
// sessions, one "name: value unit" line each, beside a memchr reference measured on the same
// buffer in the same run.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
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

} // namespace

int main() {
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
    const std::string kib = realistic_body(1024);
    const std::string ehlo = "EHLO client.example\r\n";
    const std::string txn = "MAIL FROM:<a@client.example>\r\nRCPT TO:<b@bench.example>\r\n"
                            "RCPT TO:<c@bench.example>\r\nRCPT TO:<d@bench.example>\r\nDATA\r\n";
    const std::string tail = kib + ".\r\n";
    const std::string quit = "QUIT\r\n";
    const int sessions = 100000;
    start = clock_type::now();
    for (int i = 0; i < sessions; ++i) {
        server_session one(bench_config());
        delivered += drive(one, ehlo);
        delivered += drive(one, txn);
        delivered += drive(one, tail);
        delivered += drive(one, quit);
    }
    std::printf("server_transactions_per_s: %.0f transactions/s\n", sessions / seconds_since(start));

    // Allocations: per transaction inside a session after warm-up, and per whole session.
    server_session warm(bench_config());
    (void)drive(warm, ehlo);
    (void)drive(warm, txn);
    (void)drive(warm, tail);
    const int transactions = 1000;
    std::size_t before = smtpwire_test::allocation_count();
    for (int i = 0; i < transactions; ++i) {
        delivered += drive(warm, txn);
        delivered += drive(warm, tail);
    }
    std::printf("server_allocs_per_transaction: %.2f allocations\n",
                static_cast<double>(smtpwire_test::allocation_count() - before) / transactions);
    before = smtpwire_test::allocation_count();
    for (int i = 0; i < transactions; ++i) {
        server_session one(bench_config());
        delivered += drive(one, ehlo);
        delivered += drive(one, txn);
        delivered += drive(one, tail);
        delivered += drive(one, quit);
    }
    std::printf("server_allocs_per_session: %.2f allocations\n",
                static_cast<double>(smtpwire_test::allocation_count() - before) / transactions);
    std::printf("server_session_sizeof: %zu bytes\n", sizeof(server_session));
    std::printf("server_session_output_buffer: %zu bytes\n", server_config{}.limits.output_buffer);
    std::printf("client_session_sizeof: %zu bytes\n", sizeof(client_session));
    // Keep the work observable so it is not optimised away.
    std::printf("checksum: %zu octets %zu lines\n", delivered, lines);
    return delivered == 0 ? 1 : 0;
}
