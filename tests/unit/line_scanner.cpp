#include "smtpwire/line_scanner.hpp"
#include "support/catch.hpp"

#include <string>

using namespace smtpwire;

TEST_CASE("line_scanner: lines end only at CRLF (RFC 5321 §2.3.8)") {
    line_scanner s;
    CHECK(s.find_line_end("NOOP\r\n") == 4);
    CHECK(s.find_line_end("\r\n") == 0);
    CHECK(s.find_line_end("RSET\nMAIL FROM:<a@b>\r\n") == 20);  // a bare LF does not end it
    CHECK(s.find_line_end("A\rB\r\n") == 3);                    // nor a bare CR
    CHECK(s.find_line_end("\n\r\n") == 1);
    CHECK(s.find_line_end("NOOP") == line_scanner::npos);
}

TEST_CASE("line_scanner: resumes where it stopped, so growing input is scanned once") {
    line_scanner s;
    const std::string line = "MAIL FROM:<someone@example.com>\r\n";
    for (std::size_t n = 1; n < line.size(); ++n) {
        CHECK(s.find_line_end(std::string_view(line).substr(0, n)) == line_scanner::npos);
        CHECK(s.scanned() == n);
    }
    CHECK(s.find_line_end(line) == line.size() - 2);
    CHECK(s.scanned() == 0);
}

TEST_CASE("line_scanner: a CR at the end of one piece and LF at the start of the next") {
    line_scanner s;
    CHECK(s.find_line_end("NOOP\r") == line_scanner::npos);
    CHECK(s.find_line_end("NOOP\r\n") == 4);
}

TEST_CASE("line_skipper: drops an overlong line through its CRLF only") {
    line_skipper k;
    k.start(false);
    CHECK(k.skip("xxxx\nyyyy\rzz") == 12);  // bare LF and bare CR do not end it
    CHECK_FALSE(k.finished());
    CHECK(k.skip("zz\r") == 3);
    CHECK_FALSE(k.finished());
    CHECK(k.skip("\nNOOP\r\n") == 1);  // CRLF split across pieces
    CHECK(k.finished());
    k.start(true);  // the dropped bytes ended in CR
    CHECK(k.skip("\nRSET\r\n") == 1);
    CHECK(k.finished());
    k.start(false);
    CHECK(k.skip("abc\r\nNOOP\r\n") == 5);
    CHECK(k.finished());
}
