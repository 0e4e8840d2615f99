// Fuzz target: data_decoder against a reference line model, in any split, for every
// bare-newline policy; and dot_stuffer followed by data_decoder as a round trip.
// Input: byte 0 the text-line limit (0 = 1000); byte 1 a split offset; byte 2 the
// piece sizes for the encoder (low 4 bits: output room - 2, high 4 bits: input piece - 1);
// the rest is both the wire form to decode and the content to encode.
#include "smtpwire/data_decoder.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smtpwire/dot_stuffer.hpp"

#include "fuzz_support.hpp"

using namespace smtpwire;
using smtpwire_fuzz::check;

namespace {

constexpr std::size_t no_end = static_cast<std::size_t>(-1);

struct decoded {
    std::string content;
    std::size_t end = no_end;  // offset just past "." CRLF, or no_end
    std::size_t bare_newlines = 0;
    std::size_t overlong_lines = 0;
};

// Decodes `wire` fed as the pieces cut at `cuts` (ascending offsets), each piece copied
// to a block of its exact size.
decoded decode(bare_newline_policy policy, std::size_t text_line, std::string_view wire,
               const std::vector<std::size_t>& cuts) {
    data_decoder d(policy, text_line);
    d.reset();
    decoded r;
    std::size_t begin = 0;
    for (std::size_t k = 0; k <= cuts.size() && r.end == no_end; ++k) {
        const std::size_t stop = k < cuts.size() ? cuts[k] : wire.size();
        const smtpwire_fuzz::exact_copy piece(wire.substr(begin, stop - begin));
        std::string_view in = piece.view();
        std::size_t used = 0;
        for (std::size_t steps = 0;; ++steps) {
            check(steps <= 4 * in.size() + 8, "decoder makes no progress", wire);
            const data_piece p = d.next(in.substr(used));
            check(p.consumed <= in.size() - used, "decoder consumed more than it was given", wire);
            used += p.consumed;
            if (p.what == data_piece::kind::content) {
                check(!p.bytes.empty(), "empty content piece", wire);
                const bool in_input = p.bytes.data() >= in.data() && p.bytes.data() + p.bytes.size() <= in.data() + in.size();
                check(in_input || p.bytes == "\r\n" || p.bytes == "\r", "content neither input nor a newline constant",
                      wire);
                r.content += p.bytes;
                continue;
            }
            if (p.what == data_piece::kind::need_more) {
                check(used == in.size() && !d.finished(), "need_more before the input is used up", wire);
                break;
            }
            check(d.finished(), "end without finished()", wire);
            r.end = begin + used;
            const data_piece again = d.next(in.substr(used));
            check(again.what == data_piece::kind::end && again.consumed == 0, "end not repeated", wire);
            break;
        }
        begin = stop;
    }
    r.bare_newlines = d.bare_newlines();
    r.overlong_lines = d.overlong_lines();
    return r;
}

std::string newline_policy(bare_newline_policy policy, std::string_view s) {
    if (policy != bare_newline_policy::normalize) return std::string(s);
    std::string out;
    for (char c : s) {
        if (c == '\r' || c == '\n') out += "\r\n";
        else out += c;
    }
    return out;
}

// The line model written plainly: lines end at CRLF only; a line that is exactly "."
// ends the data; one leading "." is removed from any other line; every CR or LF inside
// a line is bare. An unfinished last line shows what the decoder may already have
// delivered: without a leading "." it holds back, and without a final CR.
decoded reference(bare_newline_policy policy, std::size_t text_line, std::string_view wire) {
    decoded r;
    std::size_t pos = 0;
    for (;;) {
        const std::size_t crlf = wire.find("\r\n", pos);
        if (crlf == std::string_view::npos) {
            std::string_view tail = wire.substr(pos);
            if (!tail.empty() && tail.front() == '.') tail.remove_prefix(1);
            if (!tail.empty() && tail.back() == '\r') tail.remove_suffix(1);
            r.content += newline_policy(policy, tail);
            return r;
        }
        std::string_view line = wire.substr(pos, crlf - pos);
        pos = crlf + 2;
        if (line == ".") {
            r.end = pos;
            return r;
        }
        if (line.size() + 2 > text_line) ++r.overlong_lines;
        if (!line.empty() && line.front() == '.') line.remove_prefix(1);
        for (char c : line) r.bare_newlines += (c == '\r' || c == '\n') ? 1 : 0;
        r.content += newline_policy(policy, line) + "\r\n";
    }
}

void check_same(const decoded& a, const decoded& b, std::string_view what, std::string_view wire) {
    check(a.content == b.content && a.end == b.end, what, wire);
    if (a.end != no_end) check(a.bare_newlines == b.bare_newlines && a.overlong_lines == b.overlong_lines, what, wire);
}

void check_decoder(std::string_view wire, std::size_t text_line, std::size_t split) {
    std::vector<std::size_t> bytes;
    for (std::size_t i = 1; i < wire.size(); ++i) bytes.push_back(i);
    std::vector<std::size_t> one;
    if (split > 0 && split < wire.size()) one.push_back(split);
    decoded first_policy;
    for (bare_newline_policy policy :
         {bare_newline_policy::reject, bare_newline_policy::normalize, bare_newline_policy::allow}) {
        const decoded whole = decode(policy, text_line, wire, {});
        check_same(whole, decode(policy, text_line, wire, one), "a split changes the decoded data", wire);
        check_same(whole, decode(policy, text_line, wire, bytes), "byte-at-a-time changes the decoded data", wire);
        check_same(whole, reference(policy, text_line, wire), "decoder differs from the reference line model", wire);
        if (policy == bare_newline_policy::normalize)
            check(!smtpwire_fuzz::has_bare_newline(whole.content), "normalize delivered a bare newline", wire);
        if (policy == bare_newline_policy::reject) first_policy = whole;
        if (policy == bare_newline_policy::allow) check_same(whole, first_policy, "reject and allow deliver differently", wire);
    }
}

// Encodes `content` whole, or in input pieces of `piece` octets into output room of
// `room` octets per call; returns the wire form including the end of data.
std::string encode(std::string_view content, std::size_t piece, std::size_t room, bool& eight_bit, bool& nul) {
    dot_stuffer st;
    std::string wire;
    std::string out(room, '\0');
    std::size_t at = 0;
    while (at < content.size()) {
        const std::string_view chunk = content.substr(at, piece);
        std::size_t used = 0;
        while (used < chunk.size()) {
            const stuff_result r = st.encode(chunk.substr(used), out.data(), room);
            check(r.written <= room && r.consumed <= chunk.size() - used, "encoder overran", content);
            check(r.consumed > 0 || r.written > 0, "encoder made no progress with room >= 2", content);
            wire.append(out.data(), r.written);
            used += r.consumed;
        }
        at += chunk.size();
    }
    char end[5];
    check(st.finish(end, 2) == 0, "finish() wrote into too little room", content);
    const std::size_t n = st.finish(end, sizeof end);
    check(n == 3 || n == 5, "finish() wrote an odd end of data", content);
    wire.append(end, n);
    eight_bit = st.saw_eight_bit();
    nul = st.saw_nul();
    return wire;
}

void check_round_trip(std::string_view content, std::size_t piece, std::size_t room) {
    bool eight_bit = false, nul = false;
    const std::string whole = encode(content, content.size() + 1, 2 * content.size() + 8, eight_bit, nul);
    bool eight_bit2 = false, nul2 = false;
    check(encode(content, piece, room, eight_bit2, nul2) == whole, "encoding depends on the pieces", content);
    bool any_eight_bit = false, any_nul = false;
    for (char c : content) {
        any_eight_bit = any_eight_bit || static_cast<unsigned char>(c) >= 0x80;
        any_nul = any_nul || c == '\0';
    }
    check(eight_bit == any_eight_bit && eight_bit2 == any_eight_bit, "saw_eight_bit() wrong", content);
    check(nul == any_nul && nul2 == any_nul, "saw_nul() wrong", content);
    check(!smtpwire_fuzz::has_bare_newline(whole), "encoder wrote a bare CR or LF", whole);
    const decoded d = decode(bare_newline_policy::reject, 1000, whole, {});
    check(d.end == whole.size(), "decoding the encoded content does not end at its end", whole);
    check(d.bare_newlines == 0, "decoder saw bare newlines in encoded content", whole);
    check(d.content == smtpwire_fuzz::expected_content(content), "decode(encode(x)) != x with CRLF newlines", whole);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    smtpwire_fuzz::input_reader in(smtpwire_fuzz::as_text(data, size));
    const std::uint8_t line_limit = in.byte();
    const std::uint8_t split = in.byte();
    const std::uint8_t pieces = in.byte();
    const std::string_view rest = in.rest();
    check_decoder(rest, line_limit == 0 ? 1000 : line_limit, smtpwire_fuzz::scaled_offset(split, rest.size()));
    check_round_trip(rest, 1 + (pieces >> 4), 2 + (pieces & 15));
    return 0;
}
