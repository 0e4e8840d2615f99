// Fuzz target: reply_parser over arbitrary lines, and format_reply() round trips.
// Input: byte 0 chooses the limits (bits 0-1 line length 2048/512/16/510, bit 2 at most
// 3 lines); the rest is cut at each CRLF into lines (bare CR and LF stay inside).
#include "smtpwire/reply_parser.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smtpwire/ascii.hpp"
#include "smtpwire/reply.hpp"

#include "fuzz_support.hpp"

using namespace smtpwire;
using smtpwire_fuzz::check;

namespace {

bool inside(std::string_view part, std::string_view whole) {
    return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

std::string join(const std::vector<std::string>& lines) {
    std::string s;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i > 0) s += '\n';
        s += lines[i];
    }
    return s;
}

// Parses the formatted reply `wire` with generous limits; returns each line's text.
std::vector<std::string> reparse(std::string_view wire, std::uint16_t code, std::vector<reply_line>* info) {
    const smtpwire_fuzz::reply_stream stream = smtpwire_fuzz::check_reply_stream(wire, true, true);
    check(stream.complete && stream.codes.size() == 1 && stream.codes[0] == code,
          "format_reply() did not write exactly one reply with the code", wire);
    reply_parser parser(reply_limits{2048, 1000000});
    std::vector<std::string> texts;
    for (std::string_view line : smtpwire_fuzz::lines_of(wire)) {
        reply_line out;
        check(parser.parse_line(line, out) == reply_error::ok, "formatted reply line refused", line);
        texts.emplace_back(out.text);
        if (info) info->push_back(out);
    }
    check(parser.complete() && parser.code() == code, "formatted reply incomplete or with another code", wire);
    return texts;
}

std::string format(const reply& r, bool with_status) {
    const std::size_t size = formatted_size(r, with_status);
    std::string buf(size + 1, '#');
    if (size > 0) check(format_reply(r, with_status, buf.data(), size - 1) == 0, "format_reply() overflows cap");
    check(buf[size] == '#', "format_reply() wrote past the size", buf);
    check(format_reply(r, with_status, buf.data(), size) == size, "format_reply() size differs from formatted_size()");
    check(buf[size] == '#', "format_reply() wrote past the size", buf);
    buf.resize(size);
    return buf;
}

// parse(format(x)) == x for a complete reply: its code and the text of each line.
void round_trip(std::uint16_t code, const std::vector<std::string>& texts, const std::vector<enhanced_status>& statuses) {
    const std::string joined = join(texts);
    const reply plain{code, {}, joined};
    if (!is_valid_reply_code(code)) {
        // Read by its class, but never written: a server's codes follow the ABNF.
        check(validate_reply(plain) == errc::invalid_reply, "reply with a code outside the ABNF validated", joined);
        return;
    }
    if (!ascii::is_valid_utf8(joined)) {
        check(validate_reply(plain) == errc::invalid_reply, "reply with invalid UTF-8 validated", joined);
        return;
    }
    check(validate_reply(plain) == errc::ok, "parsed reply does not validate", joined);
    const std::string wire = format(plain, true);
    check(wire == format(plain, false), "an empty status changed the formatting");
    bool wrapped = false;
    for (const auto& t : texts) wrapped = wrapped || t.size() > max_reply_line_length - 6;
    const std::vector<std::string> again = reparse(wire, code, nullptr);
    if (!wrapped) check(again == texts, "parse(format(reply)) changed the text", wire);
    else check(again.size() > texts.size(), "a long line was not wrapped", wire);

    // With a status on every line (RFC 2034 §4): format the stripped texts with it.
    const enhanced_status status = statuses.front();
    if (status.empty()) return;
    std::vector<std::string> stripped;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        enhanced_status s;
        std::string_view rest;
        if (statuses[i] != status || !parse_enhanced_status(texts[i], s, rest) || s != status) return;
        stripped.emplace_back(rest);
    }
    const std::string stripped_joined = join(stripped);
    const reply with{code, status, stripped_joined};
    check(validate_reply(with) == errc::ok, "reply with its parsed status does not validate", stripped_joined);
    const std::string wire2 = format(with, true);
    char status_text[max_enhanced_status_length];
    const std::size_t status_length = format_enhanced_status(status, status_text);
    bool wrapped2 = false;
    for (const auto& t : stripped) wrapped2 = wrapped2 || t.size() > max_reply_line_length - 7 - status_length;
    std::vector<reply_line> info;
    const std::vector<std::string> texts2 = reparse(wire2, code, &info);
    std::vector<std::string> stripped2;
    for (std::size_t i = 0; i < texts2.size(); ++i) {
        check(info[i].status == status, "a formatted line lost its status", wire2);
        enhanced_status s;
        std::string_view rest;
        check(parse_enhanced_status(texts2[i], s, rest) && s == status, "status not at the start of a line", wire2);
        stripped2.emplace_back(rest);
    }
    if (!wrapped2) check(stripped2 == stripped, "parse(format(reply with status)) changed the text", wire2);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    smtpwire_fuzz::input_reader in(smtpwire_fuzz::as_text(data, size));
    const std::uint8_t config = in.byte();
    static const std::size_t lengths[] = {2048, 512, 16, 510};
    const reply_limits limits{lengths[config & 3], (config & 4) ? std::size_t{3} : std::size_t{100}};
    reply_parser parser(limits);
    check(parser.complete() && parser.code() == 0 && parser.lines() == 0, "fresh parser not empty");

    std::vector<std::string> texts;
    std::vector<enhanced_status> statuses;
    for (std::string_view line : smtpwire_fuzz::lines_of(in.rest())) {
        const bool first = parser.complete();
        const std::size_t lines_before = parser.lines();
        static constexpr std::string_view untouched = "untouched";
        reply_line out;
        out.text = untouched;
        const reply_error e = parser.parse_line(line, out);
        check(!to_string(e).empty(), "reply_error without a name");
        if (e != reply_error::ok) {
            check(out.text.data() == untouched.data(), "output written on an error", line);
            reply_line again;
            check(parser.parse_line("250 OK", again) == e && parser.error() == e, "error not sticky", line);
            parser.reset();
            check(parser.complete() && parser.code() == 0 && parser.error() == reply_error::ok, "reset() incomplete");
            texts.clear();
            statuses.clear();
            continue;
        }
        for (char c : line) {
            const auto u = static_cast<unsigned char>(c);
            check(c != '\r' && c != '\n' && c != '\0', "reply line with CR, LF or NUL accepted", line);
            check(c == '\t' || (u >= 32 && u != 127), "reply line with a control byte accepted", line);
        }
        check(line.size() >= 3 && line.size() <= limits.max_line_length, "reply line length out of bounds", line);
        const auto code = static_cast<std::uint16_t>((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
        // A client reads any three digits with a first digit of 2-5 (RFC 5321 §4.2.1).
        const bool digits = line[1] >= '0' && line[1] <= '9' && line[2] >= '0' && line[2] <= '9';
        check(line[0] >= '2' && line[0] <= '5' && digits && out.code == code, "wrong reply code", line);
        check(out.last == (line.size() == 3 || line[3] == ' '), "wrong last-line flag", line);
        check(line.size() == 3 || line[3] == ' ' || line[3] == '-', "bad separator accepted", line);
        check(inside(out.text, line) && out.text == line.substr(line.size() > 3 ? 4 : 3), "wrong text view", line);
        enhanced_status s;
        std::string_view rest;
        const bool has_status = parse_enhanced_status(out.text, s, rest) && s.cls == code / 100;
        check(has_status ? out.status == s : out.status.empty(), "wrong status", line);
        check(inside(out.after_status, line) && out.after_status == (has_status ? rest : out.text),
              "wrong text after the status", line);
        check(parser.lines() == (first ? 1 : lines_before + 1) && parser.lines() <= limits.max_lines,
              "wrong line count", line);
        check(parser.code() == code, "parser code differs from the line's", line);
        if (first) check(parser.status() == out.status, "reply status is not the first line's", line);
        check(parser.complete() == out.last, "complete() differs from the last-line flag", line);
        texts.emplace_back(out.text);
        statuses.push_back(out.status);
        if (out.last) {
            round_trip(code, texts, statuses);
            texts.clear();
            statuses.clear();
        }
    }
    return 0;
}
