// Incremental decoder of DATA content: dot-unstuffing and the end-of-data mark, no copies.
// RFC 5321 §4.1.1.4 (CRLF.CRLF ends the data), §4.5.2 (transparency), §2.3.8 (CRLF only).
#ifndef SMTPWIRE_DATA_DECODER_HPP
#define SMTPWIRE_DATA_DECODER_HPP

#include <cstddef>
#include <string_view>

#include "smtpwire/crlf_lines.hpp"
#include "smtpwire/leniency.hpp"

namespace smtpwire {
inline namespace v0 {

/// One step of decoding.
struct data_piece {
    enum class kind {
        content,    // `bytes` are message content (a view into the input or a constant)
        need_more,  // the input is used up; feed more
        end,        // the final "." CRLF was consumed; the message is complete
    };
    kind what = kind::need_more;
    std::string_view bytes;    // content only
    std::size_t consumed = 0;  // input octets this step used up (any kind)
};

/// Turns the wire form of DATA content into the message. One line model: a line ends
/// only at CRLF; only a line that is exactly "." ends the data; only a "." that starts
/// such a line is removed. A CR, CRLF, or CRLF "." at the end of one input is held as
/// state (not bytes) and re-emitted from a constant if it turns out not to be the end.
class data_decoder {
public:
    /// `text_line` is the longest line (CRLF included) not counted as overlong.
    explicit data_decoder(bare_newline_policy policy = bare_newline_policy::reject,
                          std::size_t text_line = 1000) noexcept
        : policy_(policy), text_line_(text_line) {}

    /// Prepares for new content: the first byte starts a line (so "." CRLF right after
    /// DATA ends an empty message, and a first line starting ".." is unstuffed).
    void reset() noexcept {
        state_ = state::line_start;
        pending_ = {};
        bare_newlines_ = 0;
        overlong_lines_ = 0;
        line_length_ = 0;
    }

    /// Decodes from the start of `in` (the unconsumed input). Content views are valid as
    /// long as `in` is. Call again with `in` advanced by `consumed` until need_more or end.
    [[nodiscard]] data_piece next(std::string_view in) noexcept {
        if (!pending_.empty()) {
            data_piece p{data_piece::kind::content, pending_, 0};
            pending_ = {};
            return p;
        }
        std::size_t i = 0;
        for (;;) {
            switch (state_) {
            case state::done:
                return {data_piece::kind::end, {}, i};
            case state::line_start:
                if (i == in.size()) return {data_piece::kind::need_more, {}, i};
                if (in[i] == '.') {
                    ++i;
                    line_length_ = 1;
                    state_ = state::held_dot;
                } else {
                    state_ = state::mid_line;
                }
                break;
            case state::held_dot:
                if (i == in.size()) return {data_piece::kind::need_more, {}, i};
                if (in[i] == '\r') {
                    ++i;
                    ++line_length_;
                    state_ = state::held_dot_cr;
                } else {
                    state_ = state::mid_line;  // a stuffed dot: dropped
                }
                break;
            case state::held_dot_cr:
                if (i == in.size()) return {data_piece::kind::need_more, {}, i};
                if (in[i] == '\n') {
                    state_ = state::done;
                    return {data_piece::kind::end, {}, i + 1};
                }
                state_ = state::held_cr;  // ".\rX": the dot is dropped, the CR is bare
                break;
            case state::held_cr:
                if (i == in.size()) return {data_piece::kind::need_more, {}, i};
                state_ = state::mid_line;
                if (in[i] == '\n') {
                    end_line(line_length_ + 1);
                    state_ = state::line_start;
                    return {data_piece::kind::content, crlf, i + 1};
                }
                ++bare_newlines_;
                return {data_piece::kind::content,
                        policy_ == bare_newline_policy::normalize ? crlf : cr, i};
            case state::mid_line:
                // Nothing to scan: answered here, so scan_line() never passes memchr the
                // null data() of an empty std::string_view (its pointer is declared
                // nonnull even for a zero length, C17 7.24.1).
                if (i == in.size()) return {data_piece::kind::need_more, {}, i};
                return scan_line(in, i);
            }
        }
    }

    /// Bare CR or LF octets seen in this message.
    [[nodiscard]] std::size_t bare_newlines() const noexcept { return bare_newlines_; }
    /// Lines longer than the text-line limit seen in this message.
    [[nodiscard]] std::size_t overlong_lines() const noexcept { return overlong_lines_; }
    /// True after the end of data was consumed.
    [[nodiscard]] bool finished() const noexcept { return state_ == state::done; }

private:
    enum class state { line_start, mid_line, held_dot, held_dot_cr, held_cr, done };

    static constexpr std::string_view crlf = "\r\n";
    static constexpr std::string_view cr = "\r";

    void end_line(std::size_t length) noexcept {
        if (length > text_line_) ++overlong_lines_;
        line_length_ = 0;
    }

    // From `begin` in the middle of a line: the end of the whole CRLF lines that follow,
    // as find_crlf_run() finds them; `begin` when there are none. Counts overlong lines
    // only when it returns more than `begin`.
    std::size_t skip_crlf_lines(std::string_view in, std::size_t begin) noexcept {
        std::size_t overlong = 0;
        std::size_t length = line_length_;  // of the line `begin` is in, so far
        const std::size_t end =
            detail::find_crlf_run(in, begin, in.size(), [&](std::size_t from, std::size_t to) {
                length += to - from;
                if (length > text_line_) ++overlong;
                length = 0;
            }).end;
        if (end == begin) return begin;
        overlong_lines_ += overlong;
        line_length_ = 0;
        return end;
    }

    // Scans content from `begin` in the middle of a line, through as many whole lines as
    // possible, and returns them as one piece. Stops before a line that starts with '.'
    // and at bytes held as state or replaced by a constant.
    data_piece scan_line(std::string_view in, std::size_t begin) noexcept {
        const std::size_t n = in.size();
        std::size_t i = skip_crlf_lines(in, begin);
        if (i > begin && (i == n || in[i] == '.')) {
            state_ = state::line_start;
            return content(in, begin, i, i);
        }
        // The rest, octet class by octet class: a line cut by the end of `in`, a bare CR
        // or LF.
        std::size_t line_begin = i;
        std::size_t next_cr = detail::find_octet(in, i, '\r');
        std::size_t next_lf = detail::find_octet(in, i, '\n');
        for (;;) {
            if (next_cr == n && next_lf == n) {
                line_length_ += n - line_begin;
                return content(in, begin, n, n);
            }
            if (next_cr < next_lf) {
                const std::size_t c = next_cr;
                if (c + 1 == n) {  // CR at the end: hold it
                    line_length_ += c + 1 - line_begin;
                    state_ = state::held_cr;
                    return content(in, begin, c, n);
                }
                if (in[c + 1] == '\n') {  // CRLF
                    end_line(line_length_ + c + 2 - line_begin);
                    i = line_begin = c + 2;
                    if (i == n) {
                        state_ = state::line_start;
                        return content(in, begin, n, n);
                    }
                    if (in[i] == '.') {
                        state_ = state::line_start;
                        return content(in, begin, i, i);
                    }
                    next_cr = detail::find_octet(in, i, '\r');
                    next_lf = detail::find_octet(in, i, '\n');
                    continue;
                }
                ++bare_newlines_;  // bare CR
                if (policy_ == bare_newline_policy::normalize) {
                    line_length_ += c + 1 - line_begin;
                    return replace(in, begin, c, crlf);
                }
                i = c + 1;
                next_cr = detail::find_octet(in, i, '\r');
                continue;
            }
            const std::size_t l = next_lf;  // bare LF: no CR right before it
            ++bare_newlines_;
            if (policy_ == bare_newline_policy::normalize) {
                line_length_ += l + 1 - line_begin;
                return replace(in, begin, l, crlf);
            }
            i = l + 1;
            next_lf = detail::find_octet(in, i, '\n');
        }
    }

    // Content [begin, end) of `in`, having consumed up to `consumed`.
    static data_piece content(std::string_view in, std::size_t begin, std::size_t end,
                              std::size_t consumed) noexcept {
        if (begin == end) return {data_piece::kind::need_more, {}, consumed};
        return {data_piece::kind::content, in.substr(begin, end - begin), consumed};
    }

    // Content [begin, at) then the constant `with` in place of the byte at `at`.
    data_piece replace(std::string_view in, std::size_t begin, std::size_t at,
                       std::string_view with) noexcept {
        if (begin == at) return {data_piece::kind::content, with, at + 1};
        pending_ = with;
        return {data_piece::kind::content, in.substr(begin, at - begin), at + 1};
    }

    bare_newline_policy policy_;
    std::size_t text_line_;
    state state_ = state::line_start;
    std::string_view pending_;
    std::size_t bare_newlines_ = 0;
    std::size_t overlong_lines_ = 0;
    std::size_t line_length_ = 0;
};

} // namespace v0
} // namespace smtpwire

#endif
