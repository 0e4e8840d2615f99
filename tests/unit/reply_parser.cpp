#include "smtpwire/reply_parser.hpp"

#include "support/catch.hpp"

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "smtpwire/reply.hpp"

using namespace smtpwire;

namespace {

// Parses `lines` with a fresh parser; returns the first error, or ok.
reply_error parse_all(std::initializer_list<std::string_view> lines, reply_limits limits = {}) {
    reply_parser p(limits);
    reply_line out{};
    for (std::string_view line : lines) {
        const reply_error e = p.parse_line(line, out);
        if (e != reply_error::ok) return e;
    }
    return reply_error::ok;
}

reply_error parse_one(std::string_view line) { return parse_all({line}); }

constexpr bool constexpr_parse() {
    reply_parser p;
    reply_line out{};
    if (p.parse_line("250-foo.com greets bar.com", out) != reply_error::ok || out.last) return false;
    if (p.parse_line("250 2.0.0 HELP", out) != reply_error::ok || !out.last) return false;
    return p.code() == 250 && p.lines() == 2 && p.status().empty() &&
           out.status == enhanced_status{2, 0, 0} && out.text == "2.0.0 HELP";
}

struct parsed_reply {
    std::uint16_t code = 0;
    enhanced_status status{};
    std::vector<std::string> texts;   // status removed
};

// Splits a formatted reply at CRLF and parses every line, which must all succeed.
parsed_reply reparse(const std::string& wire) {
    reply_parser p;
    reply_line out{};
    parsed_reply result;
    std::size_t start = 0;
    bool last = false;
    while (start < wire.size()) {
        REQUIRE_FALSE(last);
        const std::size_t crlf = wire.find("\r\n", start);
        REQUIRE(crlf != std::string::npos);
        const std::string_view line(wire.data() + start, crlf - start);
        REQUIRE(p.parse_line(line, out) == reply_error::ok);
        last = out.last;
        std::string_view text = out.text;
        if (!out.status.empty()) {
            enhanced_status s{};
            REQUIRE(parse_enhanced_status(out.text, s, text));
            CHECK(s == out.status);
        }
        CHECK(out.after_status == text);
        result.texts.emplace_back(text);
        start = crlf + 2;
    }
    REQUIRE(last);
    REQUIRE(p.complete());
    result.code = p.code();
    result.status = p.status();
    CHECK(p.lines() == result.texts.size());
    return result;
}

std::string format(const reply& r, bool with_status) {
    REQUIRE(validate_reply(r) == errc::ok);
    std::string out(formatted_size(r, with_status), '\0');
    REQUIRE(format_reply(r, with_status, out.data(), out.size()) == out.size());
    return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string s;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) s += sep;
        s += parts[i];
    }
    return s;
}

} // namespace

static_assert(constexpr_parse());
static_assert(to_string(reply_error::code_mismatch) == "reply code differs from the first line's");

TEST_CASE("RFC 5321 Appendix D EHLO reply") {
    reply_parser p;
    reply_line out{};
    REQUIRE(p.complete());
    REQUIRE(p.parse_line("250-foo.com greets bar.com", out) == reply_error::ok);
    CHECK(out.code == 250);
    CHECK_FALSE(out.last);
    CHECK(out.text == "foo.com greets bar.com");
    CHECK(out.status.empty());
    CHECK_FALSE(p.complete());
    CHECK(p.code() == 250);
    CHECK(p.lines() == 1);

    REQUIRE(p.parse_line("250-8BITMIME", out) == reply_error::ok);
    CHECK(out.text == "8BITMIME");
    CHECK_FALSE(out.last);
    REQUIRE(p.parse_line("250-SIZE", out) == reply_error::ok);
    CHECK(out.text == "SIZE");
    REQUIRE(p.parse_line("250-DSN", out) == reply_error::ok);
    CHECK(out.text == "DSN");
    CHECK_FALSE(p.complete());
    REQUIRE(p.parse_line("250 HELP", out) == reply_error::ok);
    CHECK(out.text == "HELP");
    CHECK(out.last);
    CHECK(p.complete());
    CHECK(p.code() == 250);
    CHECK(p.lines() == 5);
    CHECK(p.status().empty());
}

TEST_CASE("RFC 5321 Appendix D single-line replies, one after another") {
    reply_parser p;
    reply_line out{};
    REQUIRE(p.parse_line("220 foo.com Simple Mail Transfer Service Ready", out) == reply_error::ok);
    CHECK(out.code == 220);
    CHECK(out.last);
    CHECK(out.text == "foo.com Simple Mail Transfer Service Ready");
    REQUIRE(p.parse_line("250 OK", out) == reply_error::ok);
    CHECK(p.code() == 250);
    CHECK(p.lines() == 1);
    REQUIRE(p.parse_line("550 No such user here", out) == reply_error::ok);
    CHECK(p.code() == 550);
    CHECK(out.text == "No such user here");
    REQUIRE(p.parse_line("354 Start mail input; end with <CRLF>.<CRLF>", out) == reply_error::ok);
    CHECK(out.code == 354);
    CHECK(out.last);
    CHECK(out.text == "Start mail input; end with <CRLF>.<CRLF>");
    CHECK(p.code() == 354);
    REQUIRE(p.parse_line("221 foo.com Service closing transmission channel", out) == reply_error::ok);
    CHECK(out.code == 221);
    CHECK(out.text == "foo.com Service closing transmission channel");
    CHECK(p.complete());
    CHECK(p.lines() == 1);
}

TEST_CASE("the text is a view into the caller's line") {
    reply_parser p;
    reply_line out{};
    const std::string line = "250-first";
    REQUIRE(p.parse_line(line, out) == reply_error::ok);
    CHECK(out.text.data() == line.data() + 4);
    CHECK(out.text.size() == 5);
}

TEST_CASE("lines without text (RFC 5321 §4.2, §4.2.1)") {
    reply_parser p;
    reply_line out{};
    SECTION("exactly ddd is a last line") {
        const std::string_view line = "250";
        REQUIRE(p.parse_line(line, out) == reply_error::ok);
        CHECK(out.last);
        CHECK(out.text.empty());
        CHECK(out.text.data() == line.data() + 3);
        CHECK(p.complete());
    }
    SECTION("ddd SP is a last line with empty text") {
        REQUIRE(p.parse_line("250 ", out) == reply_error::ok);
        CHECK(out.last);
        CHECK(out.text.empty());
    }
    SECTION("ddd- is a continuation with empty text") {
        REQUIRE(p.parse_line("250-", out) == reply_error::ok);
        CHECK_FALSE(out.last);
        CHECK(out.text.empty());
        CHECK_FALSE(p.complete());
        REQUIRE(p.parse_line("250", out) == reply_error::ok);
        CHECK(out.last);
        CHECK(p.lines() == 2);
    }
}

TEST_CASE("only the fourth octet separates, the text keeps leading digits and hyphens") {
    reply_parser p;
    reply_line out{};
    REQUIRE(p.parse_line("250-234 Text beginning with numbers", out) == reply_error::ok);
    CHECK_FALSE(out.last);
    CHECK(out.text == "234 Text beginning with numbers");
    REQUIRE(p.parse_line("250 -not a continuation", out) == reply_error::ok);
    CHECK(out.last);
    CHECK(out.text == "-not a continuation");
    CHECK(p.complete());
}

TEST_CASE("every line of a multi-line reply must have the same code (CPP-SMTPClient)") {
    CHECK(parse_all({"250-first", "251 second"}) == reply_error::code_mismatch);
    CHECK(parse_all({"250-first", "550 second"}) == reply_error::code_mismatch);
    CHECK(parse_all({"250-a", "250-b", "252-c", "250 d"}) == reply_error::code_mismatch);
    CHECK(parse_all({"250-a", "250-b", "250 d"}) == reply_error::ok);
    SECTION("a new reply after a last line may have any code") {
        CHECK(parse_all({"250-a", "250 b", "550 c", "354 d"}) == reply_error::ok);
    }
    SECTION("the mismatching line leaves the parser's reply unchanged") {
        reply_parser p;
        reply_line out{};
        REQUIRE(p.parse_line("250-first", out) == reply_error::ok);
        CHECK(p.parse_line("550 second", out) == reply_error::code_mismatch);
        CHECK(out.text == "first");
        CHECK(p.code() == 250);
        CHECK(p.lines() == 1);
    }
}

TEST_CASE("the fourth octet must be SP or '-'") {
    for (std::string_view line : {"250x", "250_ok", "250\tok", "250=ok", "250.ok", "2500", "250+",
                                  "250:"})
        CHECK(parse_one(line) == reply_error::bad_separator);
    CHECK(parse_all({"250-a", "250/b"}) == reply_error::bad_separator);
}

TEST_CASE("codes whose first digit is not 2-5, or that are not three digits, are refused") {
    for (std::string_view line : {"199 x", "100 x", "600 x", "000 x", "999 x", "25a x",
                                  "2a0 x", "abc", "ehlo", " 250 x", "-250 x", "+25 x", "2 0 x"})
        CHECK(parse_one(line) == reply_error::bad_code);
    CHECK(parse_one(std::string_view("\0\0\0", 3)) == reply_error::bad_code);
}

TEST_CASE("an unknown code is a reply of its class (RFC 5321 §4.2.1, §4.3.2)") {
    // The ABNF's second digit 0-5 binds servers; a client reads any code by its
    // first digit, so 260, 299, 459 and 599 are replies, not protocol errors.
    for (std::string_view line : {"260 x", "299 x", "360 x", "459 x", "560 x", "599 x"}) {
        reply_parser p;
        reply_line out;
        CHECK(p.parse_line(line, out) == reply_error::ok);
        CHECK(out.code == (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
    }
}

TEST_CASE("lines shorter than a code") {
    CHECK(parse_one("") == reply_error::too_short);
    CHECK(parse_one("2") == reply_error::too_short);
    CHECK(parse_one("25") == reply_error::too_short);
    CHECK(parse_all({"250-a", ""}) == reply_error::too_short);
}

TEST_CASE("bare CR, LF, NUL and other control bytes inside a line are refused") {
    const std::string_view bad[] = {
        "250 a\rb",
        "250 a\nb",
        "250 ok\r",                          // the caller stripped only the LF
        "250-ok\n",
        std::string_view("250 a\0b", 7),
        std::string_view("250 \0", 5),
        "250 \x01",
        "250 \x1b[1m",
        "250 a\x7f",
        "250 \x0c",
    };
    for (std::string_view line : bad) CHECK(parse_one(line) == reply_error::bad_text);
    SECTION("HT and 8-bit text are accepted") {
        CHECK(parse_one("250 a\tb") == reply_error::ok);
        CHECK(parse_one("250 Gr\xc3\xbc\xc3\x9f" "e") == reply_error::ok);
        CHECK(parse_one("250 \x80\xff") == reply_error::ok);
    }
    SECTION("on a continuation line too") {
        CHECK(parse_all({"250-ok", "250-a\rb", "250 c"}) == reply_error::bad_text);
    }
}

TEST_CASE("line length limit (CRLF not counted)") {
    SECTION("default 2048") {
        CHECK(reply_limits{}.max_line_length == 2048);
        CHECK(parse_one("250 " + std::string(2044, 'a')) == reply_error::ok);
        CHECK(parse_one("250 " + std::string(2045, 'a')) == reply_error::line_too_long);
    }
    SECTION("the RFC 5321 §4.5.3.1.5 limit: 510 octets plus CRLF") {
        const reply_limits strict{510, 100};
        CHECK(parse_all({"250 " + std::string(506, 'a')}, strict) == reply_error::ok);
        CHECK(parse_all({"250 " + std::string(507, 'a')}, strict) == reply_error::line_too_long);
    }
    SECTION("checked before anything else, on any line of a reply") {
        const reply_limits tiny{10, 100};
        CHECK(parse_all({"250-012345"}, tiny) == reply_error::ok);
        CHECK(parse_all({"250-a", "250-01234567"}, tiny) == reply_error::line_too_long);
        CHECK(parse_all({"xxxxxxxxxxx"}, tiny) == reply_error::line_too_long);
    }
}

TEST_CASE("line count limit") {
    CHECK(reply_limits{}.max_lines == 100);
    const reply_limits three{2048, 3};
    CHECK(parse_all({"250-a", "250-b", "250 c"}, three) == reply_error::ok);
    CHECK(parse_all({"250-a", "250-b", "250-c", "250 d"}, three) == reply_error::too_many_lines);
    CHECK(parse_all({"250-a", "250-b", "250-c", "250-d"}, three) == reply_error::too_many_lines);
    SECTION("counted per reply") {
        const reply_limits one{2048, 1};
        CHECK(parse_all({"250 a", "250 b", "550 c", "221 d"}, one) == reply_error::ok);
        CHECK(parse_all({"250 a", "250-b"}, one) == reply_error::ok);
        CHECK(parse_all({"250 a", "250-b", "250 c"}, one) == reply_error::too_many_lines);
    }
    SECTION("an endless continuation stops at the default limit") {
        reply_parser p;
        reply_line out{};
        std::size_t accepted = 0;
        reply_error e = reply_error::ok;
        for (int i = 0; i < 1000 && e == reply_error::ok; ++i) {
            e = p.parse_line("250-more", out);
            if (e == reply_error::ok) ++accepted;
        }
        CHECK(e == reply_error::too_many_lines);
        CHECK(accepted == 100);
        CHECK(p.lines() == 100);
    }
}

TEST_CASE("errors are sticky until reset()") {
    reply_parser p;
    reply_line out{};
    REQUIRE(p.parse_line("250-a", out) == reply_error::ok);
    REQUIRE(p.parse_line("251 b", out) == reply_error::code_mismatch);
    CHECK(p.error() == reply_error::code_mismatch);
    out = reply_line{};
    CHECK(p.parse_line("250 b", out) == reply_error::code_mismatch);
    CHECK(p.parse_line("220 fine", out) == reply_error::code_mismatch);
    CHECK(out.code == 0);
    CHECK(out.text.empty());

    p.reset();
    CHECK(p.error() == reply_error::ok);
    CHECK(p.complete());
    CHECK(p.code() == 0);
    CHECK(p.lines() == 0);
    CHECK(p.status().empty());
    REQUIRE(p.parse_line("221 2.0.0 bye", out) == reply_error::ok);
    CHECK(p.code() == 221);
    CHECK(p.status() == enhanced_status{2, 0, 0});
    SECTION("reset keeps the limits") {
        reply_parser q(reply_limits{8, 100});
        q.reset();
        CHECK(q.parse_line("250 123456", out) == reply_error::line_too_long);
    }
}

TEST_CASE("reset() in the middle of a reply starts over") {
    reply_parser p;
    reply_line out{};
    REQUIRE(p.parse_line("250-a", out) == reply_error::ok);
    p.reset();
    REQUIRE(p.parse_line("550 other", out) == reply_error::ok);
    CHECK(p.code() == 550);
    CHECK(p.lines() == 1);
}

TEST_CASE("enhanced status codes on reply lines (RFC 2034 §4)") {
    reply_parser p;
    reply_line out{};
    SECTION("parsed, the text keeps it") {
        REQUIRE(p.parse_line("250 2.1.5 Recipient <mrose@dbc.mtview.ca.us> ok", out) == reply_error::ok);
        CHECK(out.status == enhanced_status{2, 1, 5});
        CHECK(out.text == "2.1.5 Recipient <mrose@dbc.mtview.ca.us> ok");
        CHECK(out.after_status == "Recipient <mrose@dbc.mtview.ca.us> ok");
        CHECK(p.status() == enhanced_status{2, 1, 5});
    }
    SECTION("multi-line: status() is the first line's") {
        REQUIRE(p.parse_line("551-5.7.1 Forwarding to remote hosts disabled", out) == reply_error::ok);
        CHECK(out.status == enhanced_status{5, 7, 1});
        REQUIRE(p.parse_line("551 5.7.2 Select another host to act as your forwarder", out) ==
                reply_error::ok);
        CHECK(out.status == enhanced_status{5, 7, 2});
        CHECK(p.status() == enhanced_status{5, 7, 1});
    }
    SECTION("status alone") {
        REQUIRE(p.parse_line("250 2.0.0", out) == reply_error::ok);
        CHECK(out.status == enhanced_status{2, 0, 0});
        CHECK(out.after_status.empty());
    }
    SECTION("a class other than the code's first digit is not a status") {
        REQUIRE(p.parse_line("250 5.1.1 odd", out) == reply_error::ok);
        CHECK(out.status.empty());
        CHECK(out.after_status == "5.1.1 odd");
        CHECK(p.status().empty());
        REQUIRE(p.parse_line("354 2.0.0 go ahead", out) == reply_error::ok);
        CHECK(out.status.empty());
        CHECK(out.after_status == "2.0.0 go ahead");
    }
    SECTION("text that only looks like a status") {
        const std::string_view lines[] = {"250-8BITMIME", "250-2.0.0.1 ESMTP", "250-5.01.1 x",
                                          "250-2.0.0x", "250-2.0", "250 SIZE 1000000"};
        for (std::string_view line : lines) {
            REQUIRE(p.parse_line(line, out) == reply_error::ok);
            CHECK(out.status.empty());
            CHECK(out.after_status == out.text);
        }
    }
    SECTION("a status on a later line does not become the reply's") {
        REQUIRE(p.parse_line("250-mx.example greets you", out) == reply_error::ok);
        REQUIRE(p.parse_line("250 2.0.0 ok", out) == reply_error::ok);
        CHECK(p.status().empty());
    }
}

TEST_CASE("to_string(reply_error) names every error") {
    const reply_error all[] = {reply_error::ok,            reply_error::too_short,
                               reply_error::bad_code,      reply_error::bad_separator,
                               reply_error::code_mismatch, reply_error::line_too_long,
                               reply_error::too_many_lines, reply_error::bad_text};
    for (std::size_t i = 0; i < std::size(all); ++i) {
        CHECK_FALSE(to_string(all[i]).empty());
        CHECK(to_string(all[i]) != "unknown reply_error");
        for (std::size_t j = 0; j < i; ++j) CHECK(to_string(all[i]) != to_string(all[j]));
    }
    CHECK(to_string(reply_error::ok) == "ok");
}

TEST_CASE("parse(format(reply)) gives back code, status and text lines") {
    struct sample {
        reply r;
        std::vector<std::string> lines;
    };
    const sample samples[] = {
        {{250, {}, "OK"}, {"OK"}},
        {{250, {2, 1, 0}, "Originator ok"}, {"Originator ok"}},
        {{250, {}, "foo.com greets bar.com\n8BITMIME\nSIZE\nDSN\nHELP"},
         {"foo.com greets bar.com", "8BITMIME", "SIZE", "DSN", "HELP"}},
        {{551, {5, 7, 1}, "Forwarding to remote hosts disabled\nSelect another host"},
         {"Forwarding to remote hosts disabled", "Select another host"}},
        {{214, {2, 0, 0}, "a\n\nb\n"}, {"a", "", "b", ""}},
        {{250, {}, ""}, {""}},
        {{250, {2, 0, 0}, ""}, {""}},
        {{354, {}, "Start mail input; end with <CRLF>.<CRLF>"},
         {"Start mail input; end with <CRLF>.<CRLF>"}},
        {{550, {5, 1, 1}, "Gr\xc3\xbc\xc3\x9f" "e\tund mehr"}, {"Gr\xc3\xbc\xc3\x9f" "e\tund mehr"}},
    };
    for (const sample& s : samples) {
        for (bool with_status : {false, true}) {
            const parsed_reply back = reparse(format(s.r, with_status));
            CHECK(back.code == s.r.code);
            CHECK(back.status == (with_status ? s.r.status : enhanced_status{}));
            CHECK(back.texts == s.lines);
        }
    }
}

TEST_CASE("parse(format(reply)) of wrapped overlong lines") {
    SECTION("wrapped at SPs: joining the pieces with SP gives the line back") {
        std::string line;
        for (int i = 0; i < 300; ++i) line += "word" + std::to_string(i) + " ";
        line += "end";
        for (bool with_status : {false, true}) {
            const parsed_reply back = reparse(format({452, {4, 5, 3}, line}, with_status));
            CHECK(back.code == 452);
            CHECK(back.status == (with_status ? enhanced_status{4, 5, 3} : enhanced_status{}));
            REQUIRE(back.texts.size() > 3);
            CHECK(join(back.texts, " ") == line);
            for (const std::string& t : back.texts) CHECK(t.size() <= 506);
        }
    }
    SECTION("cut hard: joining the pieces gives the line back") {
        const std::string line(2000, 'h');
        const parsed_reply back = reparse(format({250, {2, 0, 0}, line}, true));
        REQUIRE(back.texts.size() == 4);
        CHECK(join(back.texts, "") == line);
    }
    SECTION("the wire lines fit the RFC limit, so a strict parser accepts them") {
        const std::string line(5000, 'u');
        const std::string wire = format({250, {2, 0, 0}, line}, true);
        reply_parser p(reply_limits{510, 100});
        reply_line out{};
        std::size_t start = 0;
        while (start < wire.size()) {
            const std::size_t crlf = wire.find("\r\n", start);
            REQUIRE(p.parse_line(std::string_view(wire).substr(start, crlf - start), out) ==
                    reply_error::ok);
            start = crlf + 2;
        }
        CHECK(out.last);
        CHECK(p.lines() == 10);
    }
}

TEST_CASE("arbitrary bytes: bounded, never out of range, result consistent with the line") {
    std::uint32_t seed = 12345;
    auto next = [&seed]() {
        seed = seed * 1664525u + 1013904223u;
        return seed >> 24;
    };
    const char alphabet[] = {'2', '5', '0', '9', '6',  ' ',    '-',    '\r',
                             '\n', '\0', '\t', 'a', '.', '\x7f', '\xc3', '\xff'};
    reply_parser p(reply_limits{40, 5});
    for (int round = 0; round < 20000; ++round) {
        std::string line;
        const std::size_t len = next() % 48;
        for (std::size_t i = 0; i < len; ++i) line += alphabet[next() % sizeof alphabet];
        if (next() % 3 == 0 && line.size() >= 4) {   // often start with a valid code
            line[0] = '2';
            line[1] = '5';
            line[2] = '0';
        }
        reply_line out{};
        const reply_error e = p.parse_line(line, out);
        if (e == reply_error::ok) {
            REQUIRE(line.size() <= 40);
            REQUIRE(line.size() >= 3);
            REQUIRE((out.code >= 200 && out.code <= 599));
            REQUIRE(out.last == (line.size() == 3 || line[3] == ' '));
            REQUIRE(out.text.data() >= line.data());
            REQUIRE(out.text.data() + out.text.size() == line.data() + line.size());
            for (char c : out.text) REQUIRE((c == '\t' || static_cast<unsigned char>(c) >= 0x20));
            REQUIRE(p.lines() >= 1);
            REQUIRE(p.lines() <= 5);
        } else {
            REQUIRE(p.error() == e);
            p.reset();
        }
    }
}
