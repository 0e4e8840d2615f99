// Incremental parser of SMTP replies, one line at a time, for the client role.
// RFC 5321 §4.2 and §4.2.1 (Reply-line, multi-line replies), §4.5.3.1.5; RFC 2034 §4.
#ifndef SMTPWIRE_REPLY_PARSER_HPP
#define SMTPWIRE_REPLY_PARSER_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smtpwire/ascii.hpp"
#include "smtpwire/enhanced_status.hpp"
#include "smtpwire/reply_code.hpp"

namespace smtpwire {
inline namespace v0 {

/// Bounds on what one reply may occupy; exceeding either is an error, so a hostile
/// server cannot make a client buffer or loop without end.
struct reply_limits {
    /// Longest reply line in octets, its CRLF NOT counted. RFC 5321 §4.5.3.1.5 allows
    /// 512 with CRLF (510 without); servers exceed it in practice, so the default is
    /// Postfix's line_length_limit, 2048.
    std::size_t max_line_length = 2048;
    /// Most lines in one reply. RFC 5321 sets no bound; an EHLO reply rarely has more
    /// than 20 lines.
    std::size_t max_lines = 100;
};

/// Why a reply line was refused.
enum class reply_error {
    ok,
    too_short,        // fewer than three octets
    bad_code,         // the first three octets are not a first digit 2-5 and two digits
    bad_separator,    // the fourth octet is neither SP nor '-'
    code_mismatch,    // a line of a multi-line reply has another code than the first
    line_too_long,    // longer than reply_limits::max_line_length
    too_many_lines,   // the reply has more than reply_limits::max_lines lines
    bad_text,         // a control byte (NUL, CR, LF, DEL, ...) other than HT in the line
};

/// A short English description of `e`, for logs.
constexpr std::string_view to_string(reply_error e) noexcept {
    switch (e) {
    case reply_error::ok: return "ok";
    case reply_error::too_short: return "reply line too short";
    case reply_error::bad_code: return "invalid reply code";
    case reply_error::bad_separator: return "reply code not followed by SP or '-'";
    case reply_error::code_mismatch: return "reply code differs from the first line's";
    case reply_error::line_too_long: return "reply line too long";
    case reply_error::too_many_lines: return "too many reply lines";
    case reply_error::bad_text: return "control character in reply text";
    }
    return "unknown reply_error";
}

/// One parsed reply line.
struct reply_line {
    std::uint16_t code = 0;
    bool last = false;          // "ddd SP ..." or exactly "ddd"; false for "ddd-..."
    enhanced_status status{};   // at the start of `text`, if its class equals the code's
                                // first digit (RFC 2034 §4); empty otherwise
    std::string_view text;      // after "ddd " / "ddd-", status NOT removed; a view
                                // into the line passed to parse_line()
    std::string_view after_status;  // `text` past the status and the SP after it; all
                                    // of `text` when `status` is empty
};

/// Parses the lines of consecutive replies. Checks every line's code against the first
/// line's (RFC 5321 §4.2.1), and bounds line length and line count.
class reply_parser {
public:
    constexpr explicit reply_parser(reply_limits limits = {}) noexcept : limits_(limits) {}

    /// Parses one reply line, passed WITHOUT its CRLF; any CR or LF left inside it is an
    /// error. On ok fills `out` (its view points into `line`); after a line with
    /// out.last the parser expects the first line of the next reply. On an error `out`
    /// is untouched and the same error is returned for every later line until reset().
    [[nodiscard]] constexpr reply_error parse_line(std::string_view line,
                                                   reply_line& out) noexcept {
        if (error_ != reply_error::ok) return error_;
        error_ = check_line(line, out);
        return error_;
    }

    /// Code of the reply in progress or just finished; 0 before the first line.
    [[nodiscard]] constexpr std::uint16_t code() const noexcept { return code_; }
    /// Status on the first line of the reply in progress or just finished.
    [[nodiscard]] constexpr enhanced_status status() const noexcept { return status_; }
    /// Lines accepted so far in the reply in progress or just finished.
    [[nodiscard]] constexpr std::size_t lines() const noexcept { return lines_; }
    /// True after a last line, before the next reply's first line (and initially).
    [[nodiscard]] constexpr bool complete() const noexcept { return complete_; }
    /// The sticky error, or reply_error::ok.
    [[nodiscard]] constexpr reply_error error() const noexcept { return error_; }

    /// Forgets the reply in progress and any error; the limits are kept.
    constexpr void reset() noexcept {
        code_ = 0;
        status_ = enhanced_status{};
        lines_ = 0;
        complete_ = true;
        error_ = reply_error::ok;
    }

private:
    constexpr reply_error check_line(std::string_view line, reply_line& out) noexcept {
        if (line.size() > limits_.max_line_length) return reply_error::line_too_long;
        if (line.size() < 3) return reply_error::too_short;
        std::uint16_t code = 0;
        if (!parse_received_reply_code(std::string_view(line.data(), 3), code)) return reply_error::bad_code;
        bool last = true;
        if (line.size() > 3) {
            if (line[3] == '-') last = false;
            else if (line[3] != ' ') return reply_error::bad_separator;
        }
        const std::size_t text_start = line.size() > 3 ? 4 : 3;
        const std::string_view text(line.data() + text_start, line.size() - text_start);
        if (ascii::has_control(text)) return reply_error::bad_text;
        if (!complete_ && code != code_) return reply_error::code_mismatch;
        const std::size_t lines = complete_ ? 1 : lines_ + 1;
        if (lines > limits_.max_lines) return reply_error::too_many_lines;

        enhanced_status status{};
        std::string_view after_status;
        if (!parse_enhanced_status(text, status, after_status) || status.cls != code / 100) {
            status = enhanced_status{};
            after_status = text;
        }

        if (complete_) {
            code_ = code;
            status_ = status;
        }
        lines_ = lines;
        complete_ = last;
        out = reply_line{code, last, status, text, after_status};
        return reply_error::ok;
    }

    reply_limits limits_;
    std::uint16_t code_ = 0;
    enhanced_status status_{};
    std::size_t lines_ = 0;
    bool complete_ = true;
    reply_error error_ = reply_error::ok;
};

} // namespace v0
} // namespace smtpwire

#endif
