// Helpers shared by smtpwire's fuzz targets: invariant checks, reading structured input,
// splitting byte streams, and independent checks of what goes on the wire.
#ifndef SMTPWIRE_FUZZ_SUPPORT_HPP
#define SMTPWIRE_FUZZ_SUPPORT_HPP

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/content.hpp"

namespace smtpwire_fuzz {

/// Printable form of bytes: CR, LF, TAB, backslash and other non-printables escaped.
inline std::string escape(std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '\r') out += "\\r";
        else if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (c == '\\') out += "\\\\";
        else if (u < 32 || u >= 127) {
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 15];
        } else {
            out += c;
        }
    }
    return out;
}

/// Reports a broken invariant on stderr and aborts, so that libFuzzer (or the replay
/// main) records the input as a crash.
[[noreturn]] inline void fail(std::string_view what, std::string_view detail = {}) {
    std::fprintf(stderr, "smtpwire fuzz invariant failed: %.*s\n", static_cast<int>(what.size()),
                 what.data());
    if (!detail.empty()) {
        const std::string printable = escape(detail);
        std::fprintf(stderr, "  detail: %s\n", printable.c_str());
    }
    std::abort();
}

/// True when the environment variable SMTPWIRE_FUZZ_VERBOSE is set: targets then print
/// what they did (event logs, output) to stderr, for looking into one input.
inline bool verbose() {
    static const bool on = std::getenv("SMTPWIRE_FUZZ_VERBOSE") != nullptr;
    return on;
}

/// Prints a labelled log to stderr, one escaped entry per line.
inline void print_log(std::string_view label, const std::vector<std::string>& entries) {
    std::fprintf(stderr, "--- %.*s\n", static_cast<int>(label.size()), label.data());
    for (const auto& e : entries) std::fprintf(stderr, "  %s\n", escape(e).c_str());
}

/// fail() unless `ok`.
inline void check(bool ok, std::string_view what, std::string_view detail = {}) {
    if (!ok) fail(what, detail);
}

/// Compares two logs of strings; on a difference prints the first differing entry of
/// each, labelled, and aborts.
inline void check_same_log(const std::vector<std::string>& a, const std::vector<std::string>& b,
                           std::string_view what) {
    if (a == b) return;
    std::size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    const std::string left = i < a.size() ? escape(a[i]) : std::string("(end)");
    const std::string right = i < b.size() ? escape(b[i]) : std::string("(end)");
    std::fprintf(stderr, "logs differ at entry %zu (of %zu and %zu):\n  first:  %s\n  second: %s\n", i,
                 a.size(), b.size(), left.c_str(), right.c_str());
    fail(what);
}

/// The fuzzer's bytes as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return size == 0 ? std::string_view() : std::string_view(reinterpret_cast<const char*>(data), size);
}

/// Takes structured values from the front of the fuzzer's input; exhausted input reads
/// as zeros, so every input decodes to some valid structure.
class input_reader {
public:
    explicit input_reader(std::string_view data) : rest_(data) {}

    std::uint8_t byte() {
        if (rest_.empty()) return 0;
        const auto b = static_cast<std::uint8_t>(rest_.front());
        rest_.remove_prefix(1);
        return b;
    }

    /// A little-endian 16-bit value.
    std::uint16_t u16() {
        const unsigned lo = byte();
        const unsigned hi = byte();
        return static_cast<std::uint16_t>(lo | (hi << 8));
    }

    /// Up to `n` bytes.
    std::string_view bytes(std::size_t n) {
        const std::string_view taken = rest_.substr(0, n);
        rest_.remove_prefix(taken.size());
        return taken;
    }

    std::string_view rest() const { return rest_; }

private:
    std::string_view rest_;
};

/// A copy of `s` in a heap block of exactly s.size() octets, so that AddressSanitizer
/// reports a read one past its end.
class exact_copy {
public:
    explicit exact_copy(std::string_view s) : size_(s.size()), data_(new char[s.size()]) {
        for (std::size_t i = 0; i < size_; ++i) data_[i] = s[i];
    }
    std::string_view view() const { return std::string_view(data_.get(), size_); }

private:
    std::size_t size_;
    std::unique_ptr<char[]> data_;
};

/// A position in [0, size] chosen by one fuzzer byte.
inline std::size_t scaled_offset(std::uint8_t b, std::size_t size) {
    return size * b / 255;
}

/// `s` cut after each CRLF: every piece but possibly the last ends in CRLF; no empty
/// piece. A bare CR or LF does not end a piece.
inline std::vector<std::string_view> split_after_crlf(std::string_view s) {
    std::vector<std::string_view> pieces;
    std::size_t begin = 0;
    for (;;) {
        const std::size_t crlf = s.find("\r\n", begin);
        if (crlf == std::string_view::npos) break;
        pieces.push_back(s.substr(begin, crlf + 2 - begin));
        begin = crlf + 2;
    }
    if (begin < s.size()) pieces.push_back(s.substr(begin));
    return pieces;
}

/// The texts between CRLFs (CRLF removed): "a\r\nb" gives "a", "b"; "a\r\n" gives "a".
inline std::vector<std::string_view> lines_of(std::string_view s) {
    std::vector<std::string_view> lines;
    for (std::string_view piece : split_after_crlf(s)) {
        if (piece.size() >= 2 && piece.substr(piece.size() - 2) == "\r\n") piece.remove_suffix(2);
        lines.push_back(piece);
    }
    return lines;
}

/// True when `s` holds a CR not followed by LF or an LF not preceded by CR.
inline bool has_bare_newline(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n')) return true;
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return true;
    }
    return false;
}

/// True when `part` is empty or a view into `whole`.
inline bool inside(std::string_view part, std::string_view whole) {
    return part.empty() || (part.data() >= whole.data() &&
                            part.data() + part.size() <= whole.data() + whole.size());
}

using smtpwire_test::expected_content;

/// True when `text` starts with something shaped like an enhanced status code
/// (digit "." 1*3digit "." 1*3digit, then SP or the end), without judging its values.
inline bool starts_with_status_shape(std::string_view text) {
    std::size_t i = 0;
    auto digits = [&](std::size_t max) {
        const std::size_t start = i;
        while (i < text.size() && i - start < max && text[i] >= '0' && text[i] <= '9') ++i;
        return i > start;
    };
    if (!digits(1) || i >= text.size() || text[i] != '.') return false;
    ++i;
    if (!digits(3) || i >= text.size() || text[i] != '.') return false;
    ++i;
    if (!digits(3)) return false;
    return i == text.size() || text[i] == ' ';
}

/// A server's byte stream checked line by line, independently of smtpwire's parser.
struct reply_stream {
    std::vector<std::uint16_t> codes;  // one per complete reply, in order
    bool complete = true;              // the stream ends at the end of a reply
};

/// Checks that `out` is well-formed SMTP reply text (RFC 5321 §4.2, §4.5.3.1.5): each
/// line "ddd" / "ddd SP text" / "ddd-text" ending in CRLF, with a Reply-code, no CR or
/// LF inside, at most 512 octets with its CRLF, text of HT and printable bytes (and
/// 8-bit bytes only with `eight_bit_text`), every line of a multi-line reply with the
/// first line's code. Without `status_allowed` no line may start its text with an
/// enhanced status code.
inline reply_stream check_reply_stream(std::string_view out, bool status_allowed, bool eight_bit_text) {
    reply_stream r;
    std::uint16_t code = 0;
    bool in_reply = false;
    std::size_t pos = 0;
    while (pos < out.size()) {
        const std::size_t crlf = out.find("\r\n", pos);
        check(crlf != std::string_view::npos, "reply output ends without CRLF", out.substr(pos));
        const std::string_view line = out.substr(pos, crlf - pos);
        pos = crlf + 2;
        check(line.size() + 2 <= 512, "reply line longer than 512 octets", line);
        check(line.size() >= 3, "reply line shorter than a code", line);
        const char c0 = line[0], c1 = line[1], c2 = line[2];
        check(c0 >= '2' && c0 <= '5' && c1 >= '0' && c1 <= '5' && c2 >= '0' && c2 <= '9',
              "reply line without a Reply-code", line);
        const auto this_code = static_cast<std::uint16_t>((c0 - '0') * 100 + (c1 - '0') * 10 + (c2 - '0'));
        check(line.size() == 3 || line[3] == ' ' || line[3] == '-', "reply code not followed by SP or '-'",
              line);
        const bool last = line.size() == 3 || line[3] == ' ';
        const std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view();
        for (char c : text) {
            const auto u = static_cast<unsigned char>(c);
            check(c == '\t' || (u >= 32 && u != 127), "control byte in reply text", line);
            check(eight_bit_text || u < 128, "8-bit byte in reply text", line);
        }
        check(status_allowed || !starts_with_status_shape(text),
              "enhanced status code although ENHANCEDSTATUSCODES is not in use", line);
        if (in_reply) check(this_code == code, "multi-line reply with mixed codes", line);
        code = this_code;
        in_reply = !last;
        if (last) r.codes.push_back(code);
    }
    r.complete = !in_reply;
    return r;
}

/// Checks that the codes in `expected` occur in `actual` in order, and that each code of
/// `actual` left over is in `extra` (replies nothing else accounts for).
inline void check_codes_accounted(const std::vector<std::uint16_t>& actual,
                                  const std::vector<std::uint16_t>& expected,
                                  std::initializer_list<std::uint16_t> extra) {
    std::size_t e = 0;
    for (std::uint16_t code : actual) {
        if (e < expected.size() && expected[e] == code) {
            ++e;
            continue;
        }
        bool allowed = false;
        for (std::uint16_t x : extra) allowed = allowed || x == code;
        if (!allowed) {
            std::fprintf(stderr, "unaccounted reply %u (expected next: %u)\n", static_cast<unsigned>(code),
                         e < expected.size() ? static_cast<unsigned>(expected[e]) : 0u);
            fail("a reply in the output that no event or decision accounts for");
        }
    }
    if (e != expected.size()) {
        std::fprintf(stderr, "reply %u never sent (%zu of %zu accounted for)\n",
                     static_cast<unsigned>(expected[e]), e, expected.size());
        fail("an event or decision whose reply is missing from the output");
    }
}

} // namespace smtpwire_fuzz

#endif
