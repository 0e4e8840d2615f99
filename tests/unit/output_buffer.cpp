#include "smtpwire/output_buffer.hpp"
#include "support/catch.hpp"

#include "smtpwire/input_buffer.hpp"

using namespace smtpwire;

TEST_CASE("output_buffer: appends whole or not at all, consumes from the front") {
    output_buffer b(8);
    CHECK(b.capacity() == 8);
    CHECK(b.append("abcde"));
    CHECK_FALSE(b.append("wxyz"));  // does not fit: nothing written
    CHECK(b.view() == "abcde");
    b.consume(2);
    CHECK(b.view() == "cde");
    CHECK(b.free_space() == 5);
    CHECK(b.append("wxyz"));  // compacts
    CHECK(b.view() == "cdewxyz");
    b.consume(100);  // clamped
    CHECK(b.empty());
    CHECK(b.append("12345678"));
    CHECK(b.free_space() == 0);
    CHECK(b.reserve(1) == nullptr);
}

TEST_CASE("input_buffer: keeps the unconsumed tail in front of the next read") {
    input_buffer<1024> in;
    const char first[] = "EHLO a\r\nMAIL FR";
    std::memcpy(in.write_data(), first, sizeof first - 1);
    in.commit(sizeof first - 1);
    CHECK(in.data() == "EHLO a\r\nMAIL FR");
    in.keep(in.data().substr(8));  // a session consumed the first line
    CHECK(in.data() == "MAIL FR");
    std::memcpy(in.write_data(), "OM:<>\r\n", 7);
    in.commit(7);
    CHECK(in.data() == "MAIL FROM:<>\r\n");
    CHECK(in.write_size() == 1024 - 14);
    in.keep({});
    CHECK(in.data().empty());
    in.keep("foreign view");  // not inside the buffer: emptied
    CHECK(in.data().empty());
}
