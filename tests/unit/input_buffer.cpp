#include "smtpwire/input_buffer.hpp"
#include "support/catch.hpp"

#include <cstring>
#include <string>

#include "smtpwire/server_session.hpp"

using namespace smtpwire;

// The smallest buffer holds the longest tail a session keeps under the default limits
// (a command line one octet short of limits::command_line) plus a read as large as a
// whole command line.
static_assert(input_buffer_min_size == 2 * limits{}.command_line);
static_assert(input_buffer_min_size >= 2 * 512);  // RFC 5321 §4.5.3.1.4's minimum line

TEST_CASE("input_buffer: keeps the unconsumed tail in front of the next read") {
    input_buffer<input_buffer_min_size> in;
    const char first[] = "EHLO a\r\nMAIL FR";
    std::memcpy(in.write_data(), first, sizeof first - 1);
    in.commit(sizeof first - 1);
    CHECK(in.data() == "EHLO a\r\nMAIL FR");
    in.keep(in.data().substr(8));  // a session consumed the first line
    CHECK(in.data() == "MAIL FR");
    std::memcpy(in.write_data(), "OM:<>\r\n", 7);
    in.commit(7);
    CHECK(in.data() == "MAIL FROM:<>\r\n");
    CHECK(in.write_size() == input_buffer_min_size - 14);
    in.keep({});
    CHECK(in.data().empty());
    in.keep("foreign view");  // not inside the buffer: emptied
    CHECK(in.data().empty());
}

TEST_CASE("input_buffer: the smallest size always has room for a read, at the longest tail") {
    // A peer that sends the longest command line the default limits accept, cut so that
    // the session keeps the longest possible tail: all but the final LF.
    const std::string peer = "NOOP " + std::string(limits{}.command_line - 7, 'x') + "\r\n";
    REQUIRE(peer.size() == limits{}.command_line);
    server_config config;
    config.hostname = "mx.example";
    server_session s(config);
    input_buffer<input_buffer_min_size> in;
    std::size_t sent = 0;
    std::string output;
    std::size_t reads = 0;
    for (;;) {
        const server_event ev = s.next_event();
        if (std::holds_alternative<need_output>(ev)) {
            output += s.output();
            s.consume_output(s.output().size());
        } else if (std::holds_alternative<need_data>(ev)) {
            if (sent == peer.size()) break;
            in.keep(s.unconsumed());
            CHECK(in.data().size() < limits{}.command_line);
            REQUIRE(in.write_size() >= limits{}.command_line);  // room for a whole line
            // The first read stops one octet short of the line's end.
            const std::size_t want = sent == 0 ? peer.size() - 1 : peer.size() - sent;
            const std::size_t n = want < in.write_size() ? want : in.write_size();
            std::memcpy(in.write_data(), peer.data() + sent, n);
            in.commit(n);
            sent += n;
            ++reads;
            REQUIRE(s.feed(in.data()) == errc::ok);
        } else if (is_decision(ev)) {
            REQUIRE(s.accept() == errc::ok);
        } else {
            FAIL("unexpected event " << ev.index());
        }
    }
    CHECK(reads == 2);
    CHECK(output == "220 mx.example ESMTP\r\n250 2.0.0 OK\r\n");
}

TEST_CASE("input_buffer: a copy holds the committed octets and reads on after them") {
    input_buffer<input_buffer_min_size> in;
    std::memcpy(in.write_data(), "QUIT\r\nNO", 8);
    in.commit(8);
    in.keep(in.data().substr(6));

    input_buffer<input_buffer_min_size> copy(in);
    CHECK(copy.data() == "NO");
    CHECK(copy.data().data() != in.data().data());
    CHECK(copy.write_size() == input_buffer_min_size - 2);
    std::memcpy(copy.write_data(), "OP\r\n", 4);
    copy.commit(4);
    CHECK(copy.data() == "NOOP\r\n");
    CHECK(in.data() == "NO");  // the original is untouched

    input_buffer<input_buffer_min_size> assigned;
    assigned = copy;
    CHECK(assigned.data() == "NOOP\r\n");
    const input_buffer<input_buffer_min_size>& same = assigned;
    assigned = same;  // self-assignment keeps the octets
    CHECK(assigned.data() == "NOOP\r\n");
    assigned = input_buffer<input_buffer_min_size>{};
    CHECK(assigned.data().empty());
    CHECK(assigned.write_size() == input_buffer_min_size);
}
