#include "smtpwire/ascii.hpp"

#include "support/catch.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace ascii = smtpwire::ascii;
using namespace std::string_view_literals;

namespace {

// Inclusive byte ranges, written exactly as the ABNF rules state them.
struct range {
    unsigned lo;
    unsigned hi;
};

bool in_ranges(unsigned c, std::initializer_list<range> ranges) {
    for (range r : ranges)
        if (c >= r.lo && c <= r.hi) return true;
    return false;
}

bool in_set(unsigned c, std::string_view set) {
    for (char s : set)
        if (static_cast<unsigned char>(s) == c) return true;
    return false;
}

// RFC 5234 appendix B.1: ALPHA = %x41-5A / %x61-7A, DIGIT = %x30-39,
// HEXDIG = DIGIT / "A"-"F" (matched case-insensitively, RFC 5234 §2.3).
bool ref_alpha(unsigned c) { return in_ranges(c, {{0x41, 0x5A}, {0x61, 0x7A}}); }
bool ref_digit(unsigned c) { return in_ranges(c, {{0x30, 0x39}}); }
bool ref_hex(unsigned c) {
    return ref_digit(c) || in_ranges(c, {{0x41, 0x46}, {0x61, 0x66}});
}
// RFC 5322 §3.2.3 atext.
bool ref_atext(unsigned c) {
    return ref_alpha(c) || ref_digit(c) || in_set(c, "!#$%&'*+-/=?^_`{|}~");
}
// RFC 5321 §4.1.2.
bool ref_qtext_smtp(unsigned c) { return in_ranges(c, {{32, 33}, {35, 91}, {93, 126}}); }
bool ref_esmtp_value(unsigned c) { return in_ranges(c, {{33, 60}, {62, 126}}); }
bool ref_text(unsigned c) { return in_ranges(c, {{9, 9}, {32, 126}}); }
// RFC 5321 §4.1.3.
bool ref_dcontent(unsigned c) { return in_ranges(c, {{33, 90}, {94, 126}}); }
// RFC 3461 §4: any CHAR from "!" to "~" except "+" and "=".
bool ref_xchar(unsigned c) { return in_ranges(c, {{33, 42}, {44, 60}, {62, 126}}); }
bool ref_vchar(unsigned c) { return in_ranges(c, {{33, 126}}); }
// RFC 5321 §4.1.2 Ldh-str: ( ALPHA / DIGIT / "-" ).
bool ref_ldh(unsigned c) { return ref_alpha(c) || ref_digit(c) || c == '-'; }

char byte(unsigned c) { return static_cast<char>(static_cast<unsigned char>(c)); }

// An independent UTF-8 decoder: decode by bit pattern, then reject overlong
// forms, surrogates and values above U+10FFFF (RFC 3629 §3).
bool ref_valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if ((b & 0xE0u) == 0xC0u) {
            len = 2;
            cp = b & 0x1Fu;
        } else if ((b & 0xF0u) == 0xE0u) {
            len = 3;
            cp = b & 0x0Fu;
        } else if ((b & 0xF8u) == 0xF0u) {
            len = 4;
            cp = b & 0x07u;
        } else {
            return false;
        }
        if (s.size() - i < len) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            if ((c & 0xC0u) != 0x80u) return false;
            cp = (cp << 6) | (c & 0x3Fu);
        }
        const std::uint32_t min = len == 2 ? 0x80u : len == 3 ? 0x800u : 0x10000u;
        if (cp < min || cp > 0x10FFFFu || (cp >= 0xD800u && cp <= 0xDFFFu)) return false;
        i += len;
    }
    return true;
}

// UTF-8 encoding of any value up to U+10FFFF, surrogates included.
std::string encode(std::uint32_t cp) {
    std::string out;
    if (cp < 0x80) {
        out += byte(cp);
    } else if (cp < 0x800) {
        out += byte(0xC0u | (cp >> 6));
        out += byte(0x80u | (cp & 0x3Fu));
    } else if (cp < 0x10000) {
        out += byte(0xE0u | (cp >> 12));
        out += byte(0x80u | ((cp >> 6) & 0x3Fu));
        out += byte(0x80u | (cp & 0x3Fu));
    } else {
        out += byte(0xF0u | (cp >> 18));
        out += byte(0x80u | ((cp >> 12) & 0x3Fu));
        out += byte(0x80u | ((cp >> 6) & 0x3Fu));
        out += byte(0x80u | (cp & 0x3Fu));
    }
    return out;
}

} // namespace

TEST_CASE("ascii: every byte is classified as the ABNF ranges say") {
    for (unsigned c = 0; c < 256; ++c) {
        INFO("byte " << c);
        const char ch = byte(c);
        CHECK(ascii::is(ch, ascii::alpha) == ref_alpha(c));
        CHECK(ascii::is(ch, ascii::digit) == ref_digit(c));
        CHECK(ascii::is(ch, ascii::hex) == ref_hex(c));
        CHECK(ascii::is(ch, ascii::atext) == ref_atext(c));
        CHECK(ascii::is(ch, ascii::qtext_smtp) == ref_qtext_smtp(c));
        CHECK(ascii::is(ch, ascii::esmtp_value) == ref_esmtp_value(c));
        CHECK(ascii::is(ch, ascii::dcontent) == ref_dcontent(c));
        CHECK(ascii::is(ch, ascii::xchar) == ref_xchar(c));
        CHECK(ascii::is(ch, ascii::text) == ref_text(c));
        CHECK(ascii::is(ch, ascii::vchar) == ref_vchar(c));
        CHECK(ascii::is(ch, ascii::ldh) == ref_ldh(c));
        CHECK(ascii::is_alpha(ch) == ref_alpha(c));
        CHECK(ascii::is_digit(ch) == ref_digit(c));
        CHECK(ascii::is_hex(ch) == ref_hex(c));
        CHECK(ascii::is_let_dig(ch) == (ref_alpha(c) || ref_digit(c)));
        CHECK(ascii::is_non_ascii(ch) == (c >= 0x80));
    }
}

TEST_CASE("ascii: the bytes that separate the grammar's classes") {
    SECTION("qtextSMTP excludes DQUOTE and backslash, includes SP") {
        CHECK(ascii::is(' ', ascii::qtext_smtp));
        CHECK_FALSE(ascii::is('"', ascii::qtext_smtp));
        CHECK_FALSE(ascii::is('\\', ascii::qtext_smtp));
        CHECK(ascii::is('[', ascii::qtext_smtp));
        CHECK(ascii::is(']', ascii::qtext_smtp));
        CHECK_FALSE(ascii::is('\t', ascii::qtext_smtp));
    }
    SECTION("esmtp-value excludes '=' and SP") {
        CHECK_FALSE(ascii::is('=', ascii::esmtp_value));
        CHECK_FALSE(ascii::is(' ', ascii::esmtp_value));
        CHECK(ascii::is('+', ascii::esmtp_value));
        CHECK(ascii::is('<', ascii::esmtp_value));
        CHECK(ascii::is('>', ascii::esmtp_value));
    }
    SECTION("xchar excludes '+' and '=' (they introduce and delimit xtext)") {
        CHECK_FALSE(ascii::is('+', ascii::xchar));
        CHECK_FALSE(ascii::is('=', ascii::xchar));
        CHECK(ascii::is('*', ascii::xchar));
        CHECK(ascii::is(',', ascii::xchar));
        CHECK(ascii::is('<', ascii::xchar));
        CHECK(ascii::is('>', ascii::xchar));
    }
    SECTION("dcontent excludes the brackets and the backslash") {
        CHECK_FALSE(ascii::is('[', ascii::dcontent));
        CHECK_FALSE(ascii::is('\\', ascii::dcontent));
        CHECK_FALSE(ascii::is(']', ascii::dcontent));
        CHECK(ascii::is('Z', ascii::dcontent));
        CHECK(ascii::is('^', ascii::dcontent));
        CHECK(ascii::is(':', ascii::dcontent));
    }
    SECTION("atext excludes the specials of RFC 5322") {
        for (char c : "()<>[]:;@\\,.\" "sv) {
            INFO("char " << c);
            CHECK_FALSE(ascii::is(c, ascii::atext));
        }
        CHECK(ascii::is('\'', ascii::atext));
        CHECK(ascii::is('`', ascii::atext));
    }
    SECTION("text admits TAB but no other control, and not DEL") {
        CHECK(ascii::is('\t', ascii::text));
        CHECK_FALSE(ascii::is('\r', ascii::text));
        CHECK_FALSE(ascii::is('\n', ascii::text));
        CHECK_FALSE(ascii::is('\0', ascii::text));
        CHECK_FALSE(ascii::is('\x7f', ascii::text));
        CHECK(ascii::is('~', ascii::text));
    }
    SECTION("bytes 0x80-0xFF are in no class") {
        for (unsigned c = 0x80; c < 256; ++c) {
            INFO("byte " << c);
            CHECK_FALSE(ascii::is(byte(c), ascii::vchar));
            CHECK_FALSE(ascii::is(byte(c), ascii::text));
            CHECK_FALSE(ascii::is(byte(c), ascii::atext));
            CHECK_FALSE(ascii::is(byte(c), ascii::alpha));
        }
    }
}

TEST_CASE("ascii: is() with several classes requires all of them") {
    CHECK(ascii::is('a', ascii::alpha | ascii::hex));
    CHECK_FALSE(ascii::is('g', ascii::alpha | ascii::hex));
    CHECK_FALSE(ascii::is('5', ascii::alpha | ascii::hex));
    CHECK(ascii::is('5', ascii::digit | ascii::hex | ascii::atext | ascii::vchar));
    CHECK_FALSE(ascii::is('+', ascii::esmtp_value | ascii::xchar));
    CHECK(ascii::is('!', ascii::esmtp_value | ascii::xchar | ascii::atext));
}

TEST_CASE("ascii: case mapping touches only A-Z and a-z") {
    for (unsigned c = 0; c < 256; ++c) {
        INFO("byte " << c);
        const char ch = byte(c);
        const bool upper = c >= 'A' && c <= 'Z';
        const bool lower = c >= 'a' && c <= 'z';
        CHECK(ascii::to_lower(ch) == (upper ? byte(c + 32) : ch));
        CHECK(ascii::to_upper(ch) == (lower ? byte(c - 32) : ch));
    }
    // The neighbours of the letter ranges differ from a letter by 0x20 too.
    CHECK(ascii::to_lower('@') == '@');
    CHECK(ascii::to_lower('[') == '[');
    CHECK(ascii::to_upper('`') == '`');
    CHECK(ascii::to_upper('{') == '{');
    CHECK(ascii::to_lower('\xC0') == '\xC0');
}

TEST_CASE("ascii: iequals compares ASCII letters without case") {
    CHECK(ascii::iequals("EHLO", "ehlo"));
    CHECK(ascii::iequals("StartTLS", "STARTTLS"));
    CHECK(ascii::iequals("", ""));
    CHECK(ascii::iequals("8BITMIME", "8bitmime"));
    CHECK_FALSE(ascii::iequals("EHLO", "EHL"));
    CHECK_FALSE(ascii::iequals("EHL", "EHLO"));
    CHECK_FALSE(ascii::iequals("", "a"));
    CHECK_FALSE(ascii::iequals("HELO", "EHLO"));
    SECTION("bytes that differ by 0x20 but are not letters stay different") {
        CHECK_FALSE(ascii::iequals("@", "`"));
        CHECK_FALSE(ascii::iequals("[", "{"));
        CHECK_FALSE(ascii::iequals("]", "}"));
        CHECK_FALSE(ascii::iequals("\\", "|"));
        CHECK_FALSE(ascii::iequals("^", "~"));
        CHECK_FALSE(ascii::iequals("\x01", "!"));
    }
    SECTION("no locale folding of non-ASCII bytes") {
        CHECK_FALSE(ascii::iequals("\xC0", "\xE0"));
        CHECK_FALSE(ascii::iequals("\xC3\x84", "\xC3\xA4"));
        CHECK(ascii::iequals("\xC3\x84", "\xC3\x84"));
    }
    SECTION("embedded NUL is compared like any byte") {
        CHECK(ascii::iequals("A\0B"sv, "a\0b"sv));
        CHECK_FALSE(ascii::iequals("A\0B"sv, "A\0C"sv));
        CHECK_FALSE(ascii::iequals("A\0"sv, "A"sv));
    }
    static_assert(ascii::iequals("rcpt", "RCPT"));
    static_assert(!ascii::iequals("rcpt", "RCPTX"));
}

TEST_CASE("ascii: istarts_with") {
    CHECK(ascii::istarts_with("mail from:<a@b>", "MAIL FROM:"));
    CHECK(ascii::istarts_with("MAIL", "mail"));
    CHECK(ascii::istarts_with("anything", ""));
    CHECK(ascii::istarts_with("", ""));
    CHECK_FALSE(ascii::istarts_with("MAI", "MAIL"));
    CHECK_FALSE(ascii::istarts_with("", "M"));
    CHECK_FALSE(ascii::istarts_with("MAIL FROM", "MAIL TO"));
    CHECK_FALSE(ascii::istarts_with("RCPT TO:", "RCPT  TO:"));
}

TEST_CASE("ascii: all_of") {
    CHECK(ascii::all_of("", ascii::alpha));
    CHECK(ascii::all_of("Postmaster", ascii::atext));
    CHECK_FALSE(ascii::all_of("post.master", ascii::atext));
    CHECK(ascii::all_of("0123456789abcdefABCDEF", ascii::hex));
    CHECK_FALSE(ascii::all_of("0123456789abcdefg", ascii::hex));
    CHECK_FALSE(ascii::all_of("abc\0"sv, ascii::alpha));
    CHECK_FALSE(ascii::all_of("x\x80", ascii::vchar));
    CHECK(ascii::all_of("rfc822;a@b", ascii::xchar));
    CHECK_FALSE(ascii::all_of("rfc822;a+b", ascii::xchar));
}

TEST_CASE("ascii: has_line_break_or_nul") {
    CHECK_FALSE(ascii::has_line_break_or_nul(""));
    CHECK_FALSE(ascii::has_line_break_or_nul("mail.example.org"));
    CHECK_FALSE(ascii::has_line_break_or_nul("tab\there"));
    CHECK_FALSE(ascii::has_line_break_or_nul("\x7f\xff"));
    CHECK(ascii::has_line_break_or_nul("\r"));
    CHECK(ascii::has_line_break_or_nul("\n"));
    CHECK(ascii::has_line_break_or_nul("\0"sv));
    CHECK(ascii::has_line_break_or_nul("host\r\nRCPT TO:<x@y>"));
    CHECK(ascii::has_line_break_or_nul("host\n"));
    CHECK(ascii::has_line_break_or_nul("\rhost"));
    CHECK(ascii::has_line_break_or_nul("ho\0st"sv));
    // The word-at-a-time scans stay usable in constant expressions.
    static_assert(ascii::has_line_break_or_nul("MAIL FROM:<a@b.example>\r"));
    static_assert(!ascii::has_line_break_or_nul("MAIL FROM:<a@b.example>"));
    static_assert(ascii::has_control("250 text with a \x7f in it"));
    static_assert(!ascii::has_control("250 text with a\ttab"));
    static_assert(ascii::has_non_ascii("a body of some length, caf\xc3\xa9"));
}

// The scans go through blocks that compilers vectorise and words of eight octets, the
// last word overlapping the one before: each is checked against the per-octet definition
// for every octet value, at three positions of strings of every length up to a few
// blocks, so that no block, word or remainder is missed. The fillers around the octet
// include the neighbours of the values looked for, where a borrow between the octets of
// a word would show.
TEST_CASE("ascii: the block scans find every octet value at every position") {
    const auto line_break = [](unsigned char c) { return c == '\r' || c == '\n' || c == '\0'; };
    const auto control = [](unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7F; };
    const auto eight_bit = [](unsigned char c) { return c >= 0x80; };
    const auto in = [](const std::string& s, auto is) {
        return std::any_of(s.begin(), s.end(), [&](char c) { return is(static_cast<unsigned char>(c)); });
    };
    struct filler {
        char octet;
        std::size_t longest;
    };
    for (const filler f : {filler{'a', 200}, filler{'\t', 40}, filler{'\x0e', 40}, filler{'\x0b', 40},
                           filler{'\x01', 40}, filler{' ', 40}, filler{'\x80', 40}, filler{'\xff', 40}}) {
        for (std::size_t length = 1; length <= f.longest; ++length) {
            const std::string plain(length, f.octet);
            for (unsigned value = 0; value < 256; ++value) {
                for (std::size_t at : {std::size_t{0}, length / 2, length - 1}) {
                    std::string s = plain;
                    s[at] = static_cast<char>(value);
                    INFO("filler " << int(static_cast<unsigned char>(f.octet)) << ", length " << length
                                   << ", octet " << value << " at " << at);
                    REQUIRE(ascii::has_line_break_or_nul(s) == in(s, line_break));
                    REQUIRE(ascii::has_non_ascii(s) == in(s, eight_bit));
                    REQUIRE(ascii::has_control(s) == in(s, control));
                    REQUIRE(ascii::any_of(s, ascii::control) == in(s, control));
                }
            }
        }
    }
}

TEST_CASE("ascii: is_valid_utf8 accepts well-formed UTF-8") {
    CHECK(ascii::is_valid_utf8(""));
    CHECK(ascii::is_valid_utf8("plain ASCII"));
    CHECK(ascii::is_valid_utf8("a\0b"sv));
    CHECK(ascii::is_valid_utf8("Gr\xC3\xBC\xC3\x9F" "e"));                      // Grüße
    CHECK(ascii::is_valid_utf8("\xE6\x97\xA5\xE6\x9C\xAC"));                    // 日本
    CHECK(ascii::is_valid_utf8("\xF0\x9F\x98\x80"));                            // U+1F600
    CHECK(ascii::is_valid_utf8("\xD0\xBF\xD1\x80\xD0\xB8\xD0\xBC\xD0\xB5\xD1\x80@"
                               "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xBC\xD0\xB5\xD1\x80.\xD0\xB8\xD1\x81\xD0\xBF"));
    SECTION("the boundaries of each length") {
        CHECK(ascii::is_valid_utf8("\x7F"));
        CHECK(ascii::is_valid_utf8("\xC2\x80"));          // U+0080
        CHECK(ascii::is_valid_utf8("\xDF\xBF"));          // U+07FF
        CHECK(ascii::is_valid_utf8("\xE0\xA0\x80"));      // U+0800
        CHECK(ascii::is_valid_utf8("\xED\x9F\xBF"));      // U+D7FF
        CHECK(ascii::is_valid_utf8("\xEE\x80\x80"));      // U+E000
        CHECK(ascii::is_valid_utf8("\xEF\xBF\xBF"));      // U+FFFF
        CHECK(ascii::is_valid_utf8("\xF0\x90\x80\x80"));  // U+10000
        CHECK(ascii::is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
    }
}

TEST_CASE("ascii: is_valid_utf8 rejects ill-formed UTF-8") {
    SECTION("overlong forms") {
        CHECK_FALSE(ascii::is_valid_utf8("\xC0\x80"));          // NUL in 2 bytes
        CHECK_FALSE(ascii::is_valid_utf8("\xC0\xAF"));          // '/' in 2 bytes
        CHECK_FALSE(ascii::is_valid_utf8("\xC1\xBF"));          // U+007F in 2 bytes
        CHECK_FALSE(ascii::is_valid_utf8("\xE0\x80\x80"));      // NUL in 3 bytes
        CHECK_FALSE(ascii::is_valid_utf8("\xE0\x9F\xBF"));      // U+07FF in 3 bytes
        CHECK_FALSE(ascii::is_valid_utf8("\xF0\x80\x80\x80"));  // NUL in 4 bytes
        CHECK_FALSE(ascii::is_valid_utf8("\xF0\x8F\xBF\xBF"));  // U+FFFF in 4 bytes
    }
    SECTION("UTF-16 surrogates") {
        CHECK_FALSE(ascii::is_valid_utf8("\xED\xA0\x80"));  // U+D800
        CHECK_FALSE(ascii::is_valid_utf8("\xED\xAD\xBF"));  // U+DB7F
        CHECK_FALSE(ascii::is_valid_utf8("\xED\xB0\x80"));  // U+DC00
        CHECK_FALSE(ascii::is_valid_utf8("\xED\xBF\xBF"));  // U+DFFF
        CHECK_FALSE(ascii::is_valid_utf8("\xED\xA0\xBD\xED\xB8\x80"));  // CESU-8 pair
    }
    SECTION("beyond U+10FFFF and bytes that never occur") {
        CHECK_FALSE(ascii::is_valid_utf8("\xF4\x90\x80\x80"));  // U+110000
        CHECK_FALSE(ascii::is_valid_utf8("\xF5\x80\x80\x80"));
        CHECK_FALSE(ascii::is_valid_utf8("\xF7\xBF\xBF\xBF"));
        CHECK_FALSE(ascii::is_valid_utf8("\xF8\x88\x80\x80\x80"));
        CHECK_FALSE(ascii::is_valid_utf8("\xFC\x84\x80\x80\x80\x80"));
        CHECK_FALSE(ascii::is_valid_utf8("\xFE"));
        CHECK_FALSE(ascii::is_valid_utf8("\xFF"));
    }
    SECTION("continuation bytes without a lead byte") {
        CHECK_FALSE(ascii::is_valid_utf8("\x80"));
        CHECK_FALSE(ascii::is_valid_utf8("\xBF"));
        CHECK_FALSE(ascii::is_valid_utf8("a\x80" "b"));
        CHECK_FALSE(ascii::is_valid_utf8("\xC3\xA9\xA9"));
    }
    SECTION("truncated sequences, at the end and before other bytes") {
        CHECK_FALSE(ascii::is_valid_utf8("\xC3"));
        CHECK_FALSE(ascii::is_valid_utf8("\xE2\x82"));
        CHECK_FALSE(ascii::is_valid_utf8("\xF0\x9F\x98"));
        CHECK_FALSE(ascii::is_valid_utf8("abc\xF0"));
        CHECK_FALSE(ascii::is_valid_utf8("\xC3" "a"));
        CHECK_FALSE(ascii::is_valid_utf8("\xE2\x82" "a"));
        CHECK_FALSE(ascii::is_valid_utf8("\xF0\x9F\x98" "a"));
        CHECK_FALSE(ascii::is_valid_utf8("\xE2\xC3\xA9"));
    }
    SECTION("a truncated sequence cut by the view's length, not by a NUL") {
        const std::string_view full = "\xF0\x9F\x98\x80";
        for (std::size_t n = 1; n < full.size(); ++n) {
            INFO("length " << n);
            CHECK_FALSE(ascii::is_valid_utf8(full.substr(0, n)));
        }
        CHECK(ascii::is_valid_utf8(full));
    }
}

TEST_CASE("ascii: is_valid_utf8 agrees with a reference decoder") {
    SECTION("every code point's encoding is valid unless it is a surrogate") {
        for (std::uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
            const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
            if (ascii::is_valid_utf8(encode(cp)) == !surrogate) continue;
            INFO("code point " << cp);
            CHECK(ascii::is_valid_utf8(encode(cp)) == !surrogate);
        }
    }
    SECTION("every two-byte string") {
        for (unsigned a = 0; a < 256; ++a) {
            for (unsigned b = 0; b < 256; ++b) {
                const std::string s{byte(a), byte(b)};
                if (ascii::is_valid_utf8(s) == ref_valid_utf8(s)) continue;
                INFO("bytes " << a << ' ' << b);
                CHECK(ascii::is_valid_utf8(s) == ref_valid_utf8(s));
            }
        }
    }
    SECTION("every three-byte string with a lead byte of 0xE0-0xEF") {
        for (unsigned a = 0xE0; a <= 0xEF; ++a) {
            for (unsigned b = 0; b < 256; ++b) {
                for (unsigned c = 0; c < 256; ++c) {
                    const std::string s{byte(a), byte(b), byte(c)};
                    if (ascii::is_valid_utf8(s) == ref_valid_utf8(s)) continue;
                    INFO("bytes " << a << ' ' << b << ' ' << c);
                    CHECK(ascii::is_valid_utf8(s) == ref_valid_utf8(s));
                }
            }
        }
    }
    SECTION("four-byte strings over the boundary values of each byte") {
        const unsigned edges[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F,
                                  0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xF0, 0xFF};
        for (unsigned a = 0xF0; a <= 0xFF; ++a) {
            for (unsigned b : edges) {
                for (unsigned c : edges) {
                    for (unsigned d : edges) {
                        const std::string s{byte(a), byte(b), byte(c), byte(d)};
                        if (ascii::is_valid_utf8(s) == ref_valid_utf8(s)) continue;
                        INFO("bytes " << a << ' ' << b << ' ' << c << ' ' << d);
                        CHECK(ascii::is_valid_utf8(s) == ref_valid_utf8(s));
                    }
                }
            }
        }
    }
}

TEST_CASE("ascii: has_non_ascii finds any octet >= 0x80") {
    CHECK_FALSE(ascii::has_non_ascii(""));
    CHECK_FALSE(ascii::has_non_ascii(std::string_view("plain\0\x7f text", 12)));
    CHECK(ascii::has_non_ascii("caf\xc3\xa9"));
    CHECK(ascii::has_non_ascii("\x80"));
    CHECK(ascii::has_non_ascii(std::string(4096, 'a') + "\xff"));
    // Every length around the 64-octet blocks, the high octet at every place: in a
    // block or in the remainder after the last one.
    for (std::size_t size = 1; size <= 200; ++size) {
        const std::string low(size, '\x7f');
        CHECK_FALSE(ascii::has_non_ascii(low));
        for (std::size_t at = 0; at < size; ++at) {
            std::string s = low;
            s[at] = '\x80';
            CHECK(ascii::has_non_ascii(s));
        }
    }
}
