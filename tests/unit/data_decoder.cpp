#include "smtpwire/data_decoder.hpp"
#include "support/catch.hpp"

#include <random>
#include <string>
#include <vector>

using namespace smtpwire;

namespace {

struct decoded {
    std::string content;
    bool ended = false;
    std::string after;  // input left after the end of data
    std::size_t bare = 0;
    std::size_t overlong = 0;
};

// Feeds `pieces` in order, as a session would, and collects the message.
decoded decode(const std::vector<std::string>& pieces,
               bare_newline_policy policy = bare_newline_policy::allow, std::size_t text_line = 1000) {
    data_decoder d(policy, text_line);
    d.reset();
    decoded r;
    for (const std::string& piece : pieces) {
        std::string_view in = piece;
        while (!r.ended) {
            const data_piece p = d.next(in);
            REQUIRE(p.consumed <= in.size());
            in.remove_prefix(p.consumed);
            if (p.what == data_piece::kind::content) {
                REQUIRE_FALSE(p.bytes.empty());
                r.content += p.bytes;
            } else if (p.what == data_piece::kind::end) {
                r.ended = true;
            } else {
                REQUIRE(in.empty());
                break;
            }
        }
        if (r.ended) r.after += in;
    }
    r.bare = d.bare_newlines();
    r.overlong = d.overlong_lines();
    return r;
}

// The same wire bytes split at every offset, and one byte at a time.
void check_all_splits(const std::string& wire, bare_newline_policy policy, const decoded& expected) {
    for (std::size_t at = 0; at <= wire.size(); ++at) {
        INFO("split at " << at);
        const decoded r = decode({wire.substr(0, at), wire.substr(at)}, policy);
        CHECK(r.content == expected.content);
        CHECK(r.ended == expected.ended);
        CHECK(r.after == expected.after);
        CHECK(r.bare == expected.bare);
    }
    std::vector<std::string> bytes;
    for (char c : wire) bytes.emplace_back(1, c);
    const decoded r = decode(bytes, policy);
    CHECK(r.content == expected.content);
    CHECK(r.ended == expected.ended);
    CHECK(r.after == expected.after);
}

decoded expect(std::string content, bool ended, std::string after = {}, std::size_t bare = 0) {
    decoded d;
    d.content = std::move(content);
    d.ended = ended;
    d.after = std::move(after);
    d.bare = bare;
    return d;
}

// The line model of data_decoder, octet by octet: a line ends only at CRLF and starts
// after one; a '.' that starts a line is dropped, unless the line is exactly "." CRLF,
// which ends the data; a CR not before LF and an LF not after CR are bare, and become
// CRLF under normalize; a line is overlong when its wire octets, CRLF included, exceed
// `text_line`. A CR that ends the input, before the end of data, is not content yet: it
// may be the start of a CRLF.
decoded reference_decode(const std::string& wire, bare_newline_policy policy, std::size_t text_line) {
    decoded r;
    const auto at = [&](std::size_t k) { return k < wire.size() ? wire[k] : '\0'; };
    std::size_t line_begin = 0;
    for (std::size_t k = 0; k < wire.size(); ++k) {
        const char c = wire[k];
        if (k == line_begin && c == '.') {
            if (at(k + 1) == '\r' && at(k + 2) == '\n') {
                r.ended = true;
                r.after = wire.substr(k + 3);
                break;
            }
            continue;
        }
        if (c == '\r' && k + 1 == wire.size()) break;
        const bool bare = (c == '\r' && at(k + 1) != '\n') || (c == '\n' && (k == 0 || wire[k - 1] != '\r'));
        if (bare) {
            ++r.bare;
            r.content += policy == bare_newline_policy::normalize ? std::string("\r\n") : std::string(1, c);
            continue;
        }
        r.content += c;
        if (c == '\n') {
            if (k + 1 - line_begin > text_line) ++r.overlong;
            line_begin = k + 1;
        }
    }
    return r;
}

// Random DATA content built from lines: mostly letters ending in CRLF, some starting with
// '.', with a few CR, LF and '.' octets dropped in anywhere, then maybe the end of data
// and octets after it.
std::string random_wire(std::mt19937& rng) {
    const auto below = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    std::string wire;
    const std::size_t lines = below(40);
    for (std::size_t l = 0; l < lines; ++l) {
        if (below(12) == 0) wire += '.';
        const std::size_t length = below(8) == 0 ? below(400) : below(90);
        for (std::size_t k = 0; k < length; ++k) wire += static_cast<char>('a' + below(26));
        wire += "\r\n";
    }
    static const char specials[] = {'\r', '\n', '.'};
    for (std::size_t k = below(4); k > 0 && !wire.empty(); --k) {
        const std::size_t at = below(wire.size() + 1);
        wire.insert(at, 1, specials[below(3)]);
    }
    if (below(4) != 0) wire += below(2) == 0 ? ".\r\nMAIL" : ".\r\n";
    return wire;
}

} // namespace

TEST_CASE("data_decoder: an empty message ends at the very first line") {
    check_all_splits(".\r\n", bare_newline_policy::reject, expect("", true));
    check_all_splits(".\r\nQUIT\r\n", bare_newline_policy::reject, expect("", true, "QUIT\r\n"));
}

TEST_CASE("data_decoder: the first line is dot-unstuffed (RFC 5321 §4.5.2)") {
    check_all_splits("..hello\r\n.\r\n", bare_newline_policy::reject, expect(".hello\r\n", true));
    check_all_splits("..\r\n.\r\n", bare_newline_policy::reject, expect(".\r\n", true));
    check_all_splits(".x\r\n.\r\n", bare_newline_policy::reject, expect("x\r\n", true));
}

TEST_CASE("data_decoder: ordinary lines pass through unchanged, views not copies") {
    const std::string wire = "Subject: hi\r\n\r\nline one\r\nline two\r\n.\r\n";
    check_all_splits(wire, bare_newline_policy::reject,
                     expect("Subject: hi\r\n\r\nline one\r\nline two\r\n", true));
    data_decoder d;
    d.reset();
    const data_piece p = d.next(wire);
    REQUIRE(p.what == data_piece::kind::content);
    CHECK(p.bytes.data() == wire.data());  // a view into the input
    CHECK(p.bytes.size() == wire.size() - 3);
}

TEST_CASE("data_decoder: stuffed dots inside the message") {
    check_all_splits("a\r\n..\r\n...\r\n..b\r\nc.\r\n.\r\n", bare_newline_policy::reject,
                     expect("a\r\n.\r\n..\r\n.b\r\nc.\r\n", true));
}

TEST_CASE("data_decoder: a message without a final CRLF cannot end") {
    // "abc.\r\n": the dot is not at a line start.
    check_all_splits("abc.\r\n", bare_newline_policy::reject, expect("abc.\r\n", false));
}

TEST_CASE("data_decoder: SMTP smuggling sequences never end the data") {
    // CVE-2023-51764/51765/51766, aiosmtpd CVE-2024-27305: only CRLF.CRLF ends DATA.
    // A "." after a bare CR or LF is content (no line starts there); a "." that starts a
    // real line followed by other characters, bare CR/LF included, is a stuffing dot.
    struct smuggle {
        const char* wire;
        const char* content;
    };
    const smuggle cases[] = {
        {"a\n.\nb", "a\n.\nb"},     {"a\n.\r\nb", "a\n.\r\nb"}, {"a\r\n.\nb", "a\r\n\nb"},
        {"a\r.\rb", "a\r.\rb"},     {"a\r\n.\rb", "a\r\n\rb"}, {"a\r.\r\nb", "a\r.\r\nb"},
        {"a\n.\n", "a\n.\n"},       {"a\r.\r", "a\r.\r"},
    };
    for (const smuggle& c : cases) {
        INFO(c.wire);
        const std::string wire = std::string(c.wire) + "\r\n.\r\n";
        const decoded allow = decode({wire}, bare_newline_policy::allow);
        CHECK(allow.ended);
        CHECK(allow.after.empty());
        CHECK(allow.bare >= 1);
        CHECK(allow.content == std::string(c.content) + "\r\n");
        check_all_splits(wire, bare_newline_policy::allow, allow);
    }
}

TEST_CASE("data_decoder: bare newline policies") {
    SECTION("allow passes bare CR and LF through") {
        check_all_splits("a\nb\rc\r\n.\r\n", bare_newline_policy::allow, expect("a\nb\rc\r\n", true, "", 2));
    }
    SECTION("reject delivers the same bytes and counts them; the session refuses the message") {
        check_all_splits("a\nb\rc\r\n.\r\n", bare_newline_policy::reject, expect("a\nb\rc\r\n", true, "", 2));
    }
    SECTION("normalize turns each into CRLF but never into a line start") {
        check_all_splits("a\nb\rc\r\n.\r\n", bare_newline_policy::normalize,
                         expect("a\r\nb\r\nc\r\n", true, "", 2));
        // "\n.\n" normalized is content "\r\n.\r\n": the data does not end there.
        check_all_splits("x\n.\ny\r\n.\r\n", bare_newline_policy::normalize,
                         expect("x\r\n.\r\ny\r\n", true, "", 2));
        // "..": no unstuffing after a bare LF.
        check_all_splits("x\n..\r\n.\r\n", bare_newline_policy::normalize,
                         expect("x\r\n..\r\n", true, "", 1));
        // a bare CR right before a line break and at the very end of a piece
        check_all_splits("\r\r\n\n.\r\n", bare_newline_policy::normalize,
                         expect("\r\n\r\n\r\n.\r\n", false, "", 2));
    }
}

TEST_CASE("data_decoder: a bare CR or LF among many whole lines, in every policy") {
    // Lines long enough that their CRs are counted in whole blocks as well as in the
    // remainder; the bare octet sits after several complete lines, in the first line,
    // and in the last one before the end.
    std::string lines;
    for (int i = 0; i < 6; ++i) lines += std::string(300 + 37 * static_cast<std::size_t>(i), static_cast<char>('a' + i)) + "\r\n";
    for (const std::string bare : {"\r", "\n"}) {
        for (const std::size_t at : {std::size_t{5}, std::size_t{700}, lines.size() - 10}) {
            INFO("bare " << (bare == "\r" ? "CR" : "LF") << " at " << at);
            std::string content = lines;
            content.insert(at, bare);
            const std::string wire = content + ".\r\n";
            check_all_splits(wire, bare_newline_policy::allow, expect(content, true, "", 1));
            check_all_splits(wire, bare_newline_policy::reject, expect(content, true, "", 1));
            std::string normalized = lines;
            normalized.insert(at, "\r\n");
            check_all_splits(wire, bare_newline_policy::normalize, expect(normalized, true, "", 1));
        }
    }
}

TEST_CASE("data_decoder: a dot line followed by a bare CR is content") {
    // ".\rX" at a line start: the dot is a stuffing dot, the CR is bare.
    check_all_splits(".\rX\r\n.\r\n", bare_newline_policy::allow, expect("\rX\r\n", true, "", 1));
}

TEST_CASE("data_decoder: overlong text lines are counted, never cut") {
    const std::string long_line(1200, 'x');
    const decoded r = decode({long_line + "\r\nshort\r\n" + long_line + "\r\n.\r\n"},
                             bare_newline_policy::reject, 1000);
    CHECK(r.ended);
    CHECK(r.content == long_line + "\r\nshort\r\n" + long_line + "\r\n");
    CHECK(r.overlong == 2);
    // exactly 1000 octets with CRLF is fine; 1001 is overlong, in any split
    const std::string l998(998, 'y');
    for (std::size_t at = 0; at < 1010; at += 7) {
        const std::string wire = l998 + "\r\n" + l998 + "z\r\n.\r\n";
        const decoded s = decode({wire.substr(0, at), wire.substr(at)}, bare_newline_policy::reject, 1000);
        CHECK(s.overlong == 1);
    }
}

TEST_CASE("data_decoder: an empty input with a null data() is need_more, in every state") {
    // std::string_view{} has data() == nullptr; memchr must never see it (UB even with a
    // zero length: memchr's pointer argument is declared nonnull). Reach each state with
    // real bytes, then present the null view.
    const char* const prefixes[] = {"", "abc", ".", ".\r", "abc\r", "abc\r\n"};
    for (const char* prefix : prefixes) {
        INFO("after \"" << prefix << "\"");
        for (bare_newline_policy policy : {bare_newline_policy::reject, bare_newline_policy::normalize,
                                           bare_newline_policy::allow}) {
            data_decoder d(policy);
            d.reset();
            std::string_view in = prefix;
            for (;;) {
                const data_piece p = d.next(in);
                in.remove_prefix(p.consumed);
                if (p.what != data_piece::kind::content) break;
            }
            const data_piece p = d.next(std::string_view{});
            CHECK(p.what == data_piece::kind::need_more);
            CHECK(p.consumed == 0);
            CHECK(p.bytes.empty());
        }
    }
}

TEST_CASE("data_decoder: random content decodes as the octet-by-octet line model says, in any split") {
    // The fast path (one memchr per CRLF line, the CRs counted afterwards) and the octet
    // scan must agree with the model on every input, every policy, text-line limits
    // around the line lengths drawn, and every cut of the input.
    std::mt19937 rng(20261203);
    for (int round = 0; round < 3000; ++round) {
        const std::string wire = random_wire(rng);
        const bare_newline_policy policy = std::vector<bare_newline_policy>{
            bare_newline_policy::allow, bare_newline_policy::reject, bare_newline_policy::normalize}[rng() % 3];
        const std::size_t text_line = std::vector<std::size_t>{64, 127, 128, 200, 1000}[rng() % 5];
        const decoded expected = reference_decode(wire, policy, text_line);
        std::vector<std::string> pieces;
        std::size_t from = 0;
        for (std::size_t cuts = rng() % 4; cuts > 0; --cuts) {
            const std::size_t to = from + rng() % (wire.size() - from + 1);
            pieces.push_back(wire.substr(from, to - from));
            from = to;
        }
        pieces.push_back(wire.substr(from));
        INFO("round " << round << ", text line " << text_line << ", " << pieces.size() << " pieces");
        const decoded r = decode(pieces, policy, text_line);
        REQUIRE(r.content == expected.content);
        REQUIRE(r.ended == expected.ended);
        REQUIRE(r.after == expected.after);
        REQUIRE(r.bare == expected.bare);
        REQUIRE(r.overlong == expected.overlong);
    }
}
