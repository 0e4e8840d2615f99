#include "smtpwire/reply.hpp"

#include "support/catch.hpp"

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

using namespace smtpwire;

namespace {

// Formats through format_reply() and checks it agrees with formatted_size().
std::string fmt(const reply& r, bool with_status) {
    REQUIRE(validate_reply(r) == errc::ok);
    const std::size_t size = formatted_size(r, with_status);
    std::string out(size + 8, '#');
    const std::size_t n = format_reply(r, with_status, out.data(), out.size());
    REQUIRE(n == size);
    for (std::size_t i = n; i < out.size(); ++i) REQUIRE(out[i] == '#');
    out.resize(n);
    return out;
}

// The wire lines of a formatted reply, without their CRLF. Fails on a bare CR or LF.
std::vector<std::string> wire_lines(const std::string& wire) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < wire.size()) {
        const std::size_t crlf = wire.find("\r\n", start);
        REQUIRE(crlf != std::string::npos);
        lines.push_back(wire.substr(start, crlf - start));
        start = crlf + 2;
    }
    for (const std::string& l : lines) {
        CHECK(l.find('\r') == std::string::npos);
        CHECK(l.find('\n') == std::string::npos);
    }
    return lines;
}

constexpr bool constexpr_format_matches() {
    const reply r{250, {2, 1, 5}, "Recipient ok"};
    std::array<char, 64> buf{};
    const std::size_t n = format_reply(r, true, buf.data(), buf.size());
    return std::string_view(buf.data(), n) == "250 2.1.5 Recipient ok\r\n";
}

} // namespace

static_assert(validate_reply({250, {}, "OK"}) == errc::ok);
static_assert(validate_reply({250, {5, 0, 0}, "OK"}) == errc::invalid_reply);
static_assert(formatted_size({250, {}, "OK"}, false) == 8);
static_assert(constexpr_format_matches());

TEST_CASE("validate_reply accepts well-formed replies") {
    CHECK(validate_reply({250, {}, "OK"}) == errc::ok);
    CHECK(validate_reply({250, {}, ""}) == errc::ok);
    CHECK(validate_reply({354, {}, "Start mail input; end with <CRLF>.<CRLF>"}) == errc::ok);
    CHECK(validate_reply({250, {2, 1, 5}, "ok"}) == errc::ok);
    CHECK(validate_reply({451, {4, 3, 0}, "try later"}) == errc::ok);
    CHECK(validate_reply({554, {5, 999, 999}, "no"}) == errc::ok);
    CHECK(validate_reply({250, {}, "line1\nline2\n\nline4"}) == errc::ok);
    CHECK(validate_reply({250, {}, "tab\there"}) == errc::ok);
    CHECK(validate_reply({250, {}, "~ all printable !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}"}) == errc::ok);
    CHECK(validate_reply({250, {}, "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac \xf0\x9f\x93\xa7"}) == errc::ok);
}

TEST_CASE("validate_reply refuses invalid replies") {
    SECTION("code not a Reply-code") {
        const std::uint16_t bad[] = {0, 199, 100, 260, 299, 560, 600, 999, 1000, 2500};
        for (std::uint16_t code : bad)
            CHECK(validate_reply({code, {}, "x"}) == errc::invalid_reply);
    }
    SECTION("status class differs from the code's first digit") {
        CHECK(validate_reply({250, {5, 0, 0}, "x"}) == errc::invalid_reply);
        CHECK(validate_reply({550, {2, 0, 0}, "x"}) == errc::invalid_reply);
        CHECK(validate_reply({421, {5, 7, 0}, "x"}) == errc::invalid_reply);
    }
    SECTION("3xx replies carry no status (there is no class 3)") {
        CHECK(validate_reply({354, {3, 0, 0}, "go"}) == errc::invalid_reply);
        CHECK(validate_reply({354, {2, 0, 0}, "go"}) == errc::invalid_reply);
    }
    SECTION("status out of range") {
        CHECK(validate_reply({550, {5, 1000, 0}, "x"}) == errc::invalid_reply);
        CHECK(validate_reply({550, {5, 0, 1000}, "x"}) == errc::invalid_reply);
    }
    SECTION("CR, NUL, DEL and other control bytes in the text") {
        const std::string_view bad[] = {
            "a\rb",
            "a\r\nb",
            "trailing\r",
            std::string_view("a\0b", 3),
            "\x01",
            "a\x1b[31mred",
            "a\x0b",
            "a\x0c",
            "a\x7f",
            "a\x1f",
        };
        for (std::string_view text : bad)
            CHECK(validate_reply({250, {}, text}) == errc::invalid_reply);
    }
    SECTION("text not well-formed UTF-8") {
        const std::string_view bad[] = {
            "\xff",
            "a\x80",                // stray continuation byte
            "\xc3",                 // truncated sequence
            "\xc0\xaf",             // overlong
            "\xed\xa0\x80",         // surrogate
            "\xf4\x90\x80\x80",     // above U+10FFFF
        };
        for (std::string_view text : bad)
            CHECK(validate_reply({250, {}, text}) == errc::invalid_reply);
    }
}

TEST_CASE("single-line replies (RFC 5321 Appendix D)") {
    CHECK(fmt({220, {}, "foo.com Simple Mail Transfer Service Ready"}, false) ==
          "220 foo.com Simple Mail Transfer Service Ready\r\n");
    CHECK(fmt({250, {}, "OK"}, false) == "250 OK\r\n");
    CHECK(fmt({550, {}, "No such user here"}, false) == "550 No such user here\r\n");
    CHECK(fmt({354, {}, "Start mail input; end with <CRLF>.<CRLF>"}, false) ==
          "354 Start mail input; end with <CRLF>.<CRLF>\r\n");
    CHECK(fmt({221, {}, "foo.com Service closing transmission channel"}, false) ==
          "221 foo.com Service closing transmission channel\r\n");
}

TEST_CASE("multi-line replies: '-' on every line but the last (RFC 5321 §4.2.1)") {
    CHECK(fmt({250, {}, "foo.com greets bar.com\n8BITMIME\nSIZE\nDSN\nHELP"}, false) ==
          "250-foo.com greets bar.com\r\n"
          "250-8BITMIME\r\n"
          "250-SIZE\r\n"
          "250-DSN\r\n"
          "250 HELP\r\n");
    CHECK(fmt({214, {}, "a\nb"}, false) == "214-a\r\n214 b\r\n");
}

TEST_CASE("the status is repeated on every line (RFC 2034 §4)") {
    const reply r{551, {5, 7, 1},
                  "Forwarding to remote hosts disabled\nSelect another host to act as your forwarder"};
    CHECK(fmt(r, true) ==
          "551-5.7.1 Forwarding to remote hosts disabled\r\n"
          "551 5.7.1 Select another host to act as your forwarder\r\n");
    SECTION("with_status false leaves it out") {
        CHECK(fmt(r, false) ==
              "551-Forwarding to remote hosts disabled\r\n"
              "551 Select another host to act as your forwarder\r\n");
    }
    SECTION("an empty status is never written") {
        CHECK(fmt({250, {}, "OK"}, true) == "250 OK\r\n");
    }
    SECTION("single line") {
        CHECK(fmt({250, {2, 1, 0}, "Originator <ned@ymir.claremont.edu> ok"}, true) ==
              "250 2.1.0 Originator <ned@ymir.claremont.edu> ok\r\n");
        CHECK(fmt({221, {2, 0, 0}, "Goodbye"}, true) == "221 2.0.0 Goodbye\r\n");
    }
}

TEST_CASE("empty text and empty lines") {
    SECTION("empty text is the bare code, as Reply-code [ SP textstring ] CRLF allows") {
        CHECK(fmt({250, {}, ""}, false) == "250\r\n");
        CHECK(fmt({250, {2, 0, 0}, ""}, false) == "250\r\n");
    }
    SECTION("empty text with a status is the status alone") {
        CHECK(fmt({250, {2, 0, 0}, ""}, true) == "250 2.0.0\r\n");
    }
    SECTION("an empty continuation line is ddd-") {
        CHECK(fmt({214, {}, "a\n\nb"}, false) == "214-a\r\n214-\r\n214 b\r\n");
        CHECK(fmt({250, {2, 0, 0}, "a\n\nb"}, true) ==
              "250-2.0.0 a\r\n250-2.0.0\r\n250 2.0.0 b\r\n");
    }
    SECTION("a trailing separator ends with an empty last line") {
        CHECK(fmt({250, {}, "a\n"}, false) == "250-a\r\n250\r\n");
        CHECK(fmt({250, {}, "\n"}, false) == "250-\r\n250\r\n");
    }
    SECTION("spaces are text") {
        CHECK(fmt({250, {}, " "}, false) == "250  \r\n");
    }
}

TEST_CASE("format_reply writes nothing when the buffer is too small") {
    const reply r{250, {2, 0, 0}, "OK"};
    const std::string_view expected = "250 2.0.0 OK\r\n";
    REQUIRE(formatted_size(r, true) == expected.size());
    std::string buf(expected.size(), '#');
    CHECK(format_reply(r, true, buf.data(), expected.size() - 1) == 0);
    CHECK(buf == std::string(expected.size(), '#'));
    CHECK(format_reply(r, true, buf.data(), 0) == 0);
    CHECK(buf == std::string(expected.size(), '#'));
    CHECK(format_reply(r, true, buf.data(), expected.size()) == expected.size());
    CHECK(buf == expected);
}

TEST_CASE("overlong text lines are wrapped, never sent over 512 octets (RFC 5321 §4.5.3.1.5)") {
    // Without status: "250-" + piece + CRLF, so a piece holds at most 506 octets.
    const std::string a506(506, 'a');

    SECTION("a line of exactly 512 octets is not wrapped") {
        const std::string wire = fmt({250, {}, a506}, false);
        CHECK(wire == "250 " + a506 + "\r\n");
        CHECK(wire.size() == 512);
    }
    SECTION("one octet more without SP is cut hard at the limit") {
        const std::string text = a506 + "b";
        CHECK(fmt({250, {}, text}, false) == "250-" + a506 + "\r\n250 b\r\n");
    }
    SECTION("wrapped at the last SP that fits; the SP is dropped") {
        const std::string text = std::string(300, 'a') + " " + std::string(300, 'b');
        CHECK(fmt({250, {}, text}, false) ==
              "250-" + std::string(300, 'a') + "\r\n250 " + std::string(300, 'b') + "\r\n");
    }
    SECTION("the last of several SPs that fit is used") {
        const std::string text = "x " + std::string(400, 'a') + " " + std::string(200, 'b');
        CHECK(fmt({250, {}, text}, false) ==
              "250-x " + std::string(400, 'a') + "\r\n250 " + std::string(200, 'b') + "\r\n");
    }
    SECTION("an SP just after a full piece is used and dropped") {
        const std::string text = a506 + " tail";
        const std::string wire = fmt({250, {}, text}, false);
        CHECK(wire == "250-" + a506 + "\r\n250 tail\r\n");
        CHECK(wire_lines(wire)[0].size() == 510);
    }
    SECTION("an SP one octet too far is not used") {
        const std::string text = a506 + "a b";
        CHECK(fmt({250, {}, text}, false) == "250-" + a506 + "\r\n250 a b\r\n");
    }
    SECTION("only the SP at the cut is dropped") {
        const std::string text = std::string(300, 'a') + "   " + std::string(300, 'b');
        CHECK(fmt({250, {}, text}, false) ==
              "250-" + std::string(300, 'a') + "  \r\n250 " + std::string(300, 'b') + "\r\n");
    }
    SECTION("a trailing SP at the cut leaves an empty last line") {
        CHECK(fmt({250, {}, a506 + " "}, false) == "250-" + a506 + "\r\n250\r\n");
    }
    SECTION("with a status every line carries it and the piece shrinks") {
        // "250-2.0.0 " + piece + CRLF: a piece holds at most 500 octets.
        const std::string text(1001, 'z');
        const std::string wire = fmt({250, {2, 0, 0}, text}, true);
        CHECK(wire == "250-2.0.0 " + std::string(500, 'z') + "\r\n250-2.0.0 " +
                          std::string(500, 'z') + "\r\n250 2.0.0 z\r\n");
    }
    SECTION("the longest status leaves 496 octets") {
        const std::string text(497, 'z');
        const std::string wire = fmt({550, {5, 999, 999}, text}, true);
        CHECK(wire == "550-5.999.999 " + std::string(496, 'z') + "\r\n550 5.999.999 z\r\n");
        CHECK(wire_lines(wire)[0].size() == 510);
    }
    SECTION("a hard cut never splits a UTF-8 sequence") {
        // octets 505-506 are U+00E9; cutting at 506 would split it.
        const std::string text = std::string(505, 'a') + "\xc3\xa9" + "bc";
        const std::string wire = fmt({250, {}, text}, false);
        CHECK(wire == "250-" + std::string(505, 'a') + "\r\n250 \xc3\xa9" "bc\r\n");
    }
    SECTION("a hard cut before a four-octet sequence") {
        const std::string text = std::string(504, 'a') + "\xf0\x9f\x93\xa7" + "z";
        const std::string wire = fmt({250, {}, text}, false);
        CHECK(wire == "250-" + std::string(504, 'a') + "\r\n250 \xf0\x9f\x93\xa7z\r\n");
    }
    SECTION("wrapping keeps the other lines in place") {
        const std::string text = "first\n" + std::string(600, 'q') + "\nlast";
        CHECK(fmt({250, {}, text}, false) == "250-first\r\n250-" + std::string(506, 'q') +
                                                 "\r\n250-" + std::string(94, 'q') +
                                                 "\r\n250 last\r\n");
    }
}

TEST_CASE("every formatted line is within 512 octets, whatever the text") {
    std::string words;
    for (int i = 0; i < 2000; ++i) {
        words += std::string(static_cast<std::size_t>(1 + (i * 37) % 23), static_cast<char>('a' + i % 26));
        words += (i % 97 == 0) ? "\n" : " ";
    }
    words += std::string(3000, 'x');   // a long run without any SP
    for (bool with_status : {false, true}) {
        const std::string wire = fmt({452, {4, 5, 3}, words}, with_status);
        const std::vector<std::string> lines = wire_lines(wire);
        REQUIRE(lines.size() > 10);
        for (std::size_t i = 0; i < lines.size(); ++i) {
            CHECK(lines[i].size() + 2 <= max_reply_line_length);
            CHECK(lines[i].compare(0, 3, "452") == 0);
            CHECK(lines[i][3] == (i + 1 == lines.size() ? ' ' : '-'));
            if (with_status) CHECK(lines[i].compare(4, 6, "4.5.3 ") == 0);
        }
    }
}
