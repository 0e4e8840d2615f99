#include "smtpwire/output_buffer.hpp"
#include "support/catch.hpp"

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
