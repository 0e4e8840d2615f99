// lmtp_replies: replies answered in any order leave in recipient order, each as soon as
// those before it are out, within the fixed room given at construction.
#include "smtpwire/lmtp_replies.hpp"
#include "support/catch.hpp"

#include <string>

using namespace smtpwire;

namespace {

std::string drain(output_buffer& out) {
    std::string s(out.view());
    out.consume(s.size());
    return s;
}

} // namespace

TEST_CASE("lmtp_replies: answers in any order are written in recipient order") {
    lmtp_replies replies(4, 256);
    output_buffer out(1024);
    REQUIRE(replies.start(3));
    CHECK(replies.count() == 3);
    REQUIRE(replies.answer(2, {550, {5, 1, 1}, "two"}, out));
    REQUIRE(replies.answer(1, {250, {2, 0, 0}, "one"}, out));
    CHECK(out.empty());                      // recipient 0 comes first
    CHECK(replies.answered(1));
    CHECK_FALSE(replies.answered(0));
    CHECK(replies.all_answered() == false);
    REQUIRE(replies.answer(0, {250, {2, 0, 0}, "zero"}, out));
    CHECK(drain(out) == "250 2.0.0 zero\r\n250 2.0.0 one\r\n550 5.1.1 two\r\n");
    CHECK(replies.count() == 0);             // all written: nothing is due
    CHECK_FALSE(replies.waiting());
}

TEST_CASE("lmtp_replies: one reply for the rest, and replies that wait for room") {
    lmtp_replies replies(10, 256);
    output_buffer out(32);                   // room for two 14-octet replies at a time
    REQUIRE(replies.start(5));
    REQUIRE(replies.answer(3, {452, {4, 2, 2}, "full"}, out));
    REQUIRE(replies.answer_rest({250, {2, 0, 0}, "OK"}));
    CHECK(replies.all_answered());
    CHECK(replies.waiting());
    std::string written;
    for (int i = 0; i < 10 && replies.count() != 0; ++i) {
        replies.write(out);
        written += drain(out);
    }
    CHECK(written == "250 2.0.0 OK\r\n250 2.0.0 OK\r\n250 2.0.0 OK\r\n452 4.2.2 full\r\n250 2.0.0 OK\r\n");
}

TEST_CASE("lmtp_replies: the waiting area and the recipient count are bounds") {
    lmtp_replies replies(3, 40);
    output_buffer out(1024);
    CHECK_FALSE(replies.start(4));
    REQUIRE(replies.start(3));
    REQUIRE(replies.answer(2, {250, {2, 0, 0}, "a fairly long text"}, out));   // 30 octets wait
    CHECK_FALSE(replies.answer(1, {250, {2, 0, 0}, "another long text"}, out));  // no room
    CHECK_FALSE(replies.answered(1));
    REQUIRE(replies.answer(0, {250, {2, 0, 0}, "x"}, out));  // next in line: written at once
    REQUIRE(replies.answer(1, {250, {2, 0, 0}, "another long text"}, out));
    CHECK(drain(out) == "250 2.0.0 x\r\n250 2.0.0 another long text\r\n250 2.0.0 a fairly long text\r\n");
    REQUIRE(replies.start(2));
    REQUIRE(replies.answer(1, {250, {2, 0, 0}, "y"}, out));
    replies.clear();                         // the connection ended: nothing is due
    CHECK(replies.count() == 0);
    CHECK_FALSE(replies.waiting());
}
