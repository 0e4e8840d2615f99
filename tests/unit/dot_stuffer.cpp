#include "smtpwire/dot_stuffer.hpp"

#include "support/catch.hpp"

#include "smtpwire/data_decoder.hpp"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

using namespace smtpwire;

namespace {

// Encodes `pieces` in order with an output buffer of `cap` octets, then finishes.
// Requires progress on every call (cap >= 2) and checks the counts returned.
std::string encode(const std::vector<std::string>& pieces, std::size_t cap = 64,
                   dot_stuffer* state = nullptr) {
    dot_stuffer local;
    dot_stuffer& s = state ? *state : local;
    std::string wire;
    std::vector<char> out(cap);
    for (const std::string& piece : pieces) {
        std::string_view in = piece;
        while (!in.empty()) {
            const stuff_result r = s.encode(in, out.data(), cap);
            REQUIRE(r.consumed <= in.size());
            REQUIRE(r.written <= cap);
            REQUIRE((r.consumed > 0 || r.written > 0));
            wire.append(out.data(), r.written);
            in.remove_prefix(r.consumed);
        }
    }
    char end[5];
    const std::size_t n = s.finish(end, sizeof end);
    REQUIRE(n >= 3);
    wire.append(end, n);
    return wire;
}

std::string encode_whole(const std::string& content, std::size_t cap = 64) {
    return encode(std::vector<std::string>{content}, cap);
}

// The wire form by the RFC's rules, written plainly: newlines to CRLF, a '.' starting
// a line doubled, a final CRLF when missing, then "." CRLF.
std::string reference(const std::string& content) {
    std::string lines;
    for (std::size_t i = 0; i < content.size(); ++i) {
        if (content[i] == '\r') {
            lines += "\r\n";
            if (i + 1 < content.size() && content[i + 1] == '\n') ++i;
        } else if (content[i] == '\n') {
            lines += "\r\n";
        } else {
            lines += content[i];
        }
    }
    std::string wire;
    bool line_start = true;
    for (char c : lines) {
        if (line_start && c == '.') wire += '.';
        wire += c;
        line_start = c == '\n';
    }
    if (!line_start) wire += "\r\n";
    return wire + ".\r\n";
}

// What the server's decoder makes of `wire`; `ended` tells whether it saw the end.
std::string decode(const std::string& wire, bool& ended, std::size_t& bare, std::size_t& after) {
    data_decoder d(bare_newline_policy::reject);
    d.reset();
    std::string content;
    std::string_view in = wire;
    ended = false;
    for (;;) {
        const data_piece p = d.next(in);
        in.remove_prefix(p.consumed);
        if (p.what == data_piece::kind::content) content += p.bytes;
        else if (p.what == data_piece::kind::end) { ended = true; break; }
        else break;
    }
    bare = d.bare_newlines();
    after = in.size();
    return content;
}

// The same content split into two pieces at every offset, and one byte at a time.
void check_all_splits(const std::string& content, const std::string& expected) {
    CHECK(encode_whole(content) == expected);
    for (std::size_t at = 0; at <= content.size(); ++at) {
        INFO("split at " << at);
        CHECK(encode({content.substr(0, at), content.substr(at)}) == expected);
    }
    std::vector<std::string> bytes;
    for (char c : content) bytes.emplace_back(1, c);
    CHECK(encode(bytes) == expected);
}

} // namespace

TEST_CASE("dot_stuffer: plain lines pass through") {
    check_all_splits("Subject: hi\r\n\r\nbody\r\n", "Subject: hi\r\n\r\nbody\r\n.\r\n");
    check_all_splits("a line without a newline", "a line without a newline\r\n.\r\n");
    check_all_splits("dots.in.the.middle...\r\n", "dots.in.the.middle...\r\n.\r\n");
}

TEST_CASE("dot_stuffer: an empty body is just the end of data") {
    check_all_splits("", ".\r\n");
    dot_stuffer s;
    char out[8];
    const stuff_result r = s.encode("", out, sizeof out);
    CHECK(r.consumed == 0);
    CHECK(r.written == 0);
    CHECK(s.finish(out, sizeof out) == 3);
    CHECK(std::string(out, 3) == ".\r\n");
}

TEST_CASE("dot_stuffer: a '.' starting a line is doubled, the first line included") {
    check_all_splits(".", "..\r\n.\r\n");
    check_all_splits("..", "...\r\n.\r\n");
    check_all_splits(".\r\n", "..\r\n.\r\n");
    check_all_splits(".hidden\r\n", "..hidden\r\n.\r\n");
    check_all_splits("a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n");
    check_all_splits("a\r\n..\r\n", "a\r\n...\r\n.\r\n");
    check_all_splits("a\r\n.b.\r\n.", "a\r\n..b.\r\n..\r\n.\r\n");
    check_all_splits("\r\n.\r\n", "\r\n..\r\n.\r\n");
    check_all_splits("a.\r\n", "a.\r\n.\r\n");
}

TEST_CASE("dot_stuffer: bare LF and bare CR become CRLF") {
    // Unix text.
    check_all_splits("line one\nline two\n", "line one\r\nline two\r\n.\r\n");
    check_all_splits("a\n.\n", "a\r\n..\r\n.\r\n");
    check_all_splits("\n", "\r\n.\r\n");
    check_all_splits("\n\n", "\r\n\r\n.\r\n");
    // Classic Mac text and stray CRs.
    check_all_splits("a\rb\r", "a\r\nb\r\n.\r\n");
    check_all_splits("\r", "\r\n.\r\n");
    check_all_splits("a\r.b", "a\r\n..b\r\n.\r\n");
    // CR CR LF is a bare CR and a CRLF; LF CR is a bare LF and a bare CR.
    check_all_splits("a\r\r\nb", "a\r\n\r\nb\r\n.\r\n");
    check_all_splits("a\n\rb", "a\r\n\r\nb\r\n.\r\n");
    // The sequences that smuggle a second end of data elsewhere end up as text.
    check_all_splits("a\n.\r\nMAIL FROM:<x@y>\r\n", "a\r\n..\r\nMAIL FROM:<x@y>\r\n.\r\n");
    check_all_splits("a\r.\r", "a\r\n..\r\n.\r\n");
    check_all_splits("a\r\n.\n", "a\r\n..\r\n.\r\n");
}

TEST_CASE("dot_stuffer: a bare CR or LF, or a '.', among many whole CRLF lines") {
    // Whole CRLF lines are copied in one piece after their CRs are counted, in blocks
    // and one by one: lines long enough for both, the odd octet after several whole
    // lines, in the first line and in the last, with output buffers that cut the lines.
    std::string lines;
    for (int i = 0; i < 6; ++i) lines += std::string(300 + 37 * static_cast<std::size_t>(i), static_cast<char>('a' + i)) + "\r\n";
    for (const std::string odd : {"\r", "\n", "."}) {
        for (const std::size_t at : {std::size_t{5}, std::size_t{602}, std::size_t{700}, lines.size() - 10}) {
            std::string content = lines;
            content.insert(at, odd);
            const std::string expected = reference(content);
            for (const std::size_t cap : {std::size_t{2}, std::size_t{7}, std::size_t{64}, std::size_t{4096}}) {
                INFO("'" << (odd == "\r" ? "CR" : odd == "\n" ? "LF" : ".") << "' at " << at << ", cap " << cap);
                CHECK(encode_whole(content, cap) == expected);
                CHECK(encode({content.substr(0, at), content.substr(at)}, cap) == expected);
                CHECK(encode({content.substr(0, at + 1), content.substr(at + 1)}, cap) == expected);
            }
        }
    }
}

TEST_CASE("dot_stuffer: a CR at the end of a piece is held until the next one") {
    dot_stuffer s;
    char out[16];
    stuff_result r = s.encode("ab\r", out, sizeof out);
    CHECK(r.consumed == 3);
    CHECK(r.written == 2);
    CHECK(std::string(out, 2) == "ab");

    SECTION("LF follows: one CRLF") {
        r = s.encode("\n.x", out, sizeof out);
        CHECK(r.consumed == 3);
        CHECK(std::string(out, r.written) == "\r\n..x");
    }
    SECTION("something else follows: the CR was bare") {
        r = s.encode(".x", out, sizeof out);
        CHECK(r.consumed == 2);
        CHECK(std::string(out, r.written) == "\r\n..x");
    }
    SECTION("another CR follows: CRLF, and that CR is held") {
        r = s.encode("\r", out, sizeof out);
        CHECK(r.consumed == 1);
        CHECK(std::string(out, r.written) == "\r\n");
        CHECK(s.finish(out, sizeof out) == 5);
        CHECK(std::string(out, 5) == "\r\n.\r\n");
    }
    SECTION("the message ends: the held CR is the final CRLF") {
        CHECK(s.finish(out, sizeof out) == 5);
        CHECK(std::string(out, 5) == "\r\n.\r\n");
    }
    SECTION("an empty piece, or no room, resolves nothing") {
        r = s.encode("", out, sizeof out);
        CHECK(r.consumed == 0);
        CHECK(r.written == 0);
        r = s.encode("\n", out, 1);
        CHECK(r.consumed == 0);
        CHECK(r.written == 0);
        r = s.encode("\n", out, 2);
        CHECK(r.consumed == 1);
        CHECK(std::string(out, r.written) == "\r\n");
        CHECK(s.finish(out, sizeof out) == 3);
    }
}

TEST_CASE("dot_stuffer: finish adds CRLF only when the content lacks one") {
    char out[8];
    dot_stuffer s;
    stuff_result r = s.encode("x\r\n", out, sizeof out);
    CHECK(r.written == 3);
    CHECK(s.finish(out, sizeof out) == 3);
    CHECK(std::string(out, 3) == ".\r\n");

    s.reset();
    r = s.encode("x", out, sizeof out);
    CHECK(r.written == 1);
    SECTION("it does not fit: nothing is written, and it can be retried") {
        for (std::size_t cap = 0; cap < 5; ++cap) {
            std::string before(8, '#');
            CHECK(s.finish(before.data(), cap) == 0);
            CHECK(before == std::string(8, '#'));
        }
        CHECK(s.finish(out, 5) == 5);
        CHECK(std::string(out, 5) == "\r\n.\r\n");
    }
    SECTION("three octets are enough after a CRLF") {
        s.reset();
        r = s.encode("x\n", out, sizeof out);
        CHECK(s.finish(out, 2) == 0);
        CHECK(s.finish(out, 3) == 3);
        CHECK(std::string(out, 3) == ".\r\n");
    }
}

TEST_CASE("dot_stuffer: reset() starts a new message") {
    dot_stuffer s;
    const std::string first = encode({"abc\r", "\x80"}, 64, &s);
    CHECK(first == "abc\r\n\x80\r\n.\r\n");
    CHECK(s.saw_eight_bit());
    s.reset();
    CHECK_FALSE(s.saw_eight_bit());
    CHECK_FALSE(s.saw_nul());
    // The first octet starts a line again, and no CR is held.
    CHECK(encode({".x"}, 64, &s) == "..x\r\n.\r\n");
    s.reset();
    CHECK(s.encode("\r", nullptr, 0).consumed == 1);
    s.reset();
    CHECK(encode({"\nb"}, 64, &s) == "\r\nb\r\n.\r\n");
}

TEST_CASE("dot_stuffer: never writes half an expansion") {
    dot_stuffer s;
    char out[4];
    SECTION("a line-initial dot needs two octets") {
        stuff_result r = s.encode(".a", out, 1);
        CHECK(r.consumed == 0);
        CHECK(r.written == 0);
        r = s.encode(".a", out, 2);
        CHECK(r.consumed == 1);
        CHECK(std::string(out, r.written) == "..");
    }
    SECTION("a newline needs two octets") {
        stuff_result r = s.encode("ab\ncd", out, 3);
        CHECK(r.consumed == 2);
        CHECK(std::string(out, r.written) == "ab");
        r = s.encode("\ncd", out, 1);
        CHECK(r.consumed == 0);
        CHECK(r.written == 0);
        r = s.encode("\r\ncd", out, 3);
        CHECK(r.consumed == 3);
        CHECK(std::string(out, r.written) == "\r\nc");
    }
    SECTION("ordinary octets fill the buffer exactly") {
        const stuff_result r = s.encode("abcdef", out, 4);
        CHECK(r.consumed == 4);
        CHECK(std::string(out, r.written) == "abcd");
    }
    SECTION("no room at all") {
        const stuff_result r = s.encode("abc", nullptr, 0);
        CHECK(r.consumed == 0);
        CHECK(r.written == 0);
    }
}

TEST_CASE("dot_stuffer: output capacity 1 to 10 gives the same wire") {
    const std::vector<std::string> inputs = {
        ".", "..\r\n..", "a\r\n.b\r\n.\r\n", "\r\r\n\n\r", "hello world, a longer line\r\n.x\n",
        std::string("\0\xff.\r\n", 5)};
    for (const std::string& content : inputs) {
        const std::string expected = reference(content);
        for (std::size_t cap = 2; cap <= 10; ++cap) {
            INFO("cap " << cap << " content size " << content.size());
            CHECK(encode_whole(content, cap) == expected);
            std::vector<std::string> bytes;
            for (char c : content) bytes.emplace_back(1, c);
            CHECK(encode(bytes, cap) == expected);
        }
        // cap = 1: ordinary octets go one by one; an expansion waits for a bigger buffer.
        dot_stuffer s;
        std::string wire;
        std::string_view in = content;
        std::string buffer(2, '\0');
        char* out = buffer.data();
        while (!in.empty()) {
            stuff_result r = s.encode(in, out, 1);
            CHECK(r.written <= 1);
            if (r.consumed == 0 && r.written == 0) {
                r = s.encode(in, out, 2);
                CHECK(r.written == 2);
            }
            wire.append(out, r.written);
            in.remove_prefix(r.consumed);
        }
        char end[5];
        const std::size_t n = s.finish(end, sizeof end);
        wire.append(end, n);
        CHECK(wire == expected);
    }
}

TEST_CASE("dot_stuffer: repeated calls with cap 2 encode everything") {
    std::string content;
    for (int i = 0; i < 50; ++i) content += ".line\r\n\n.\r..x\r";
    dot_stuffer s;
    std::string wire;
    std::string_view in = content;
    char out[2];
    std::size_t calls = 0;
    while (!in.empty()) {
        const stuff_result r = s.encode(in, out, sizeof out);
        REQUIRE((r.consumed > 0 || r.written > 0));
        wire.append(out, r.written);
        in.remove_prefix(r.consumed);
        ++calls;
    }
    char end[5];
    wire.append(end, s.finish(end, sizeof end));
    CHECK(wire == reference(content));
    CHECK(calls <= wire.size());
}

TEST_CASE("dot_stuffer: 8-bit and NUL detection") {
    dot_stuffer s;
    char out[64];
    CHECK_FALSE(s.saw_eight_bit());
    CHECK_FALSE(s.saw_nul());
    (void)s.encode("plain ASCII text\r\n.~\x7f\x01\t\r\n", out, sizeof out);
    CHECK_FALSE(s.saw_eight_bit());
    CHECK_FALSE(s.saw_nul());

    SECTION("a byte >= 0x80") {
        (void)s.encode("caf\xC3\xA9", out, sizeof out);
        CHECK(s.saw_eight_bit());
        CHECK_FALSE(s.saw_nul());
        (void)s.encode("ascii again", out, sizeof out);
        CHECK(s.saw_eight_bit());
    }
    SECTION("0x80 alone, and 0xFF at a line start") {
        (void)s.encode("\x80", out, sizeof out);
        CHECK(s.saw_eight_bit());
        s.reset();
        (void)s.encode("\xFF", out, sizeof out);
        CHECK(s.saw_eight_bit());
    }
    SECTION("NUL") {
        (void)s.encode(std::string_view("a\0b", 3), out, sizeof out);
        CHECK(s.saw_nul());
        CHECK_FALSE(s.saw_eight_bit());
    }
    SECTION("anywhere in one call: after newlines and a stuffed dot") {
        (void)s.encode(std::string_view("a\r\nb\n.c\r\n\0", 10), out, sizeof out);
        CHECK(s.saw_nul());
        CHECK_FALSE(s.saw_eight_bit());
        (void)s.encode("x\r\n..\r\ny\xfe", out, sizeof out);
        CHECK(s.saw_eight_bit());
    }
    SECTION("only what was encoded counts") {
        const stuff_result r = s.encode(std::string_view("ab\0\xff", 4), out, 2);
        CHECK(r.consumed == 2);
        CHECK_FALSE(s.saw_nul());
        CHECK_FALSE(s.saw_eight_bit());
    }
}

TEST_CASE("dot_stuffer: without track_octets the same wire form, and nothing noted") {
    const std::vector<std::string> pieces = {"caf\xC3\xA9\r\n.x", std::string("\0\n\xFF\r", 4), "\n..\r"};
    dot_stuffer tracking;
    dot_stuffer quiet(false);
    const std::size_t caps[] = {2, 3, 5, 64};
    for (const std::size_t cap : caps) {
        CAPTURE(cap);
        tracking.reset();
        quiet.reset();
        CHECK(encode(pieces, cap, &quiet) == encode(pieces, cap, &tracking));
        CHECK(tracking.saw_eight_bit());
        CHECK(tracking.saw_nul());
        // reset() keeps the choice made at construction.
        CHECK_FALSE(quiet.saw_eight_bit());
        CHECK_FALSE(quiet.saw_nul());
    }
}

TEST_CASE("dot_stuffer: the server's decoder gives back the content") {
    const std::uint32_t seed = 20240521;
    std::mt19937 rng(seed);
    const char alphabet[] = {'.', '\r', '\n', 'a', '\0', '\xff'};
    std::uniform_int_distribution<int> pick(0, 5);
    std::uniform_int_distribution<int> length(0, 40);
    std::uniform_int_distribution<int> cap_pick(2, 12);
    for (int round = 0; round < 3000; ++round) {
        std::string content;
        const int n = length(rng);
        for (int i = 0; i < n; ++i) content += alphabet[pick(rng)];

        // Random pieces and a random buffer size.
        std::vector<std::string> pieces;
        for (std::size_t at = 0; at < content.size();) {
            const std::size_t k = static_cast<std::size_t>(length(rng) % 7);
            pieces.push_back(content.substr(at, k));
            at += k;
        }
        const auto cap = static_cast<std::size_t>(cap_pick(rng));
        dot_stuffer s;
        const std::string wire = encode(pieces, cap, &s);

        bool ended = false;
        std::size_t bare = 0;
        std::size_t after = 0;
        const std::string decoded = decode(wire, ended, bare, after);

        // The content with every newline as CRLF and a final CRLF when missing.
        std::string expected;
        for (std::size_t i = 0; i < content.size(); ++i) {
            if (content[i] == '\r' || content[i] == '\n') {
                expected += "\r\n";
                if (content[i] == '\r' && i + 1 < content.size() && content[i + 1] == '\n') ++i;
            } else {
                expected += content[i];
            }
        }
        const bool ends_in_crlf =
            expected.size() >= 2 && expected.compare(expected.size() - 2, 2, "\r\n") == 0;
        if (!expected.empty() && !ends_in_crlf) expected += "\r\n";

        INFO("seed " << seed << " round " << round << " cap " << cap);
        REQUIRE(ended);
        REQUIRE(after == 0);
        REQUIRE(bare == 0);
        REQUIRE(decoded == expected);
        REQUIRE(wire == reference(content));
        REQUIRE(s.saw_nul() == (content.find('\0') != std::string::npos));
        REQUIRE(s.saw_eight_bit() == (content.find('\xff') != std::string::npos));
    }
}
