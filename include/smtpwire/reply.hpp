// An SMTP reply as the server sends it: validation and formatting into wire lines.
// RFC 5321 §4.2 and §4.2.1 (Reply-line, multi-line replies), §4.5.3.1.5; RFC 2034 §4.
#ifndef SMTPWIRE_REPLY_HPP
#define SMTPWIRE_REPLY_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "smtpwire/ascii.hpp"
#include "smtpwire/enhanced_status.hpp"
#include "smtpwire/errc.hpp"
#include "smtpwire/reply_code.hpp"

namespace smtpwire {
inline namespace v0 {

/// A reply to send. `text` holds one or more lines separated by '\n' (a trailing '\n'
/// ends the text with an empty line); it may be empty. The views are only read while
/// formatting.
struct reply {
    std::uint16_t code = 0;
    enhanced_status status{};    // may be empty
    std::string_view text;
};

/// Longest reply line in octets, code and CRLF included (RFC 5321 §4.5.3.1.5).
inline constexpr std::size_t max_reply_line_length = 512;

/// errc::ok when `r` can be formatted, else errc::invalid_reply: the code is not a
/// Reply-code; the status is non-empty and either invalid or of another class than the
/// code's first digit (RFC 2034 §4, so 3xx replies carry none); the text contains CR,
/// NUL, DEL or a control byte other than HT and the '\n' separators; or the text is
/// not well-formed UTF-8 (ASCII always is; other UTF-8 is for SMTPUTF8, RFC 6531).
[[nodiscard]] constexpr errc validate_reply(const reply& r) noexcept {
    if (!is_valid_reply_code(r.code)) return errc::invalid_reply;
    if (!r.status.empty() &&
        (!is_valid_enhanced_status(r.status) || r.status.cls != r.code / 100))
        return errc::invalid_reply;
    for (char c : r.text) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '\n' || c == '\t') continue;
        if (u < 0x20 || u == 0x7F) return errc::invalid_reply;
    }
    if (!ascii::is_valid_utf8(r.text)) return errc::invalid_reply;
    return errc::ok;
}

namespace detail {

struct reply_size_sink {
    std::size_t size = 0;
    constexpr void put(char) noexcept { ++size; }
    constexpr void put(std::string_view s) noexcept { size += s.size(); }
};

struct reply_write_sink {
    char* out;
    constexpr void put(char c) noexcept { *out++ = c; }
    constexpr void put(std::string_view s) noexcept {
        for (char c : s) *out++ = c;
    }
};

// reply_write_sink for run time only, as a session writes its replies: whole pieces
// with memcpy.
struct reply_copy_sink {
    char* out;
    void put(char c) noexcept { *out++ = c; }
    void put(std::string_view s) noexcept {
        if (!s.empty()) std::memcpy(out, s.data(), s.size());
        out += s.size();
    }
};

/// One wire line: code, '-' or SP, optional status, text piece, CRLF. A last line with
/// neither status nor text is the bare code ("250", Reply-code [ SP textstring ]).
template <class Sink>
constexpr void emit_reply_line(Sink& sink, std::uint16_t code, bool last, std::string_view status,
                               std::string_view piece) noexcept {
    sink.put(static_cast<char>('0' + code / 100 % 10));
    sink.put(static_cast<char>('0' + code / 10 % 10));
    sink.put(static_cast<char>('0' + code % 10));
    if (!(last && status.empty() && piece.empty())) sink.put(last ? ' ' : '-');
    if (!status.empty()) {
        sink.put(status);
        if (!piece.empty()) sink.put(' ');
    }
    sink.put(piece);
    sink.put(std::string_view("\r\n", 2));
}

/// Where to cut `line` (longer than `max_piece`): at the last SP within the first
/// max_piece + 1 octets (the SP is dropped), else hard at max_piece, moved back to the
/// start of a UTF-8 sequence. Sets the piece length and the octets to skip after it.
constexpr void reply_wrap_point(std::string_view line, std::size_t max_piece, std::size_t& length,
                                std::size_t& skip) noexcept {
    for (std::size_t i = max_piece; i > 0; --i) {
        if (line[i] == ' ') {
            length = i;
            skip = 1;
            return;
        }
    }
    std::size_t cut = max_piece;
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
    length = cut > 0 ? cut : max_piece;
    skip = 0;
}

template <class Sink>
constexpr void emit_reply(const reply& r, bool with_status, Sink& sink) noexcept {
    char status_buf[max_enhanced_status_length] = {};
    std::size_t status_len = with_status ? format_enhanced_status(r.status, status_buf) : 0;
    if (status_len > sizeof status_buf) status_len = 0;  // never: tells compilers the bound
    const std::string_view status(status_buf, status_len);
    const std::size_t overhead = 3 + 1 + (status_len > 0 ? status_len + 1 : 0) + 2;
    const std::size_t max_piece = max_reply_line_length - overhead;

    std::string_view remaining = r.text;
    bool last_line = false;
    while (!last_line) {
        const std::size_t nl = remaining.find('\n');
        last_line = nl == std::string_view::npos;
        std::string_view line = last_line ? remaining : std::string_view(remaining.data(), nl);
        if (!last_line) remaining.remove_prefix(nl + 1);
        for (;;) {
            if (line.size() <= max_piece) {
                emit_reply_line(sink, r.code, last_line, status, line);
                break;
            }
            std::size_t length = 0;
            std::size_t skip = 0;
            reply_wrap_point(line, max_piece, length, skip);
            emit_reply_line(sink, r.code, false, status, std::string_view(line.data(), length));
            line.remove_prefix(length + skip);
        }
    }
}

} // namespace detail

/// Octets format_reply() writes for `r`. Lines are "ddd-text" CRLF except the last,
/// "ddd text" CRLF (RFC 5321 §4.2.1). With `with_status` and a non-empty r.status every
/// line starts its text with "c.s.d" (RFC 2034 §4), followed by SP when text follows.
/// An empty line is "ddd-" / "ddd" (or "ddd-c.s.d" / "ddd c.s.d"). A text line that
/// would make a wire line longer than max_reply_line_length is wrapped onto several
/// lines at the last SP that fits (that SP is dropped), else cut at the limit on a
/// UTF-8 character boundary. Precondition: validate_reply(r) == errc::ok.
[[nodiscard]] constexpr std::size_t formatted_size(const reply& r, bool with_status) noexcept {
    detail::reply_size_sink sink;
    detail::emit_reply(r, with_status, sink);
    return sink.size;
}

/// Writes `r` formatted as formatted_size() describes into `out` and returns the
/// octets written, or writes nothing and returns 0 when they exceed `cap`.
/// Precondition: validate_reply(r) == errc::ok.
[[nodiscard]] constexpr std::size_t format_reply(const reply& r, bool with_status, char* out,
                                                 std::size_t cap) noexcept {
    const std::size_t size = formatted_size(r, with_status);
    if (size > cap) return 0;
    detail::reply_write_sink sink{out};
    detail::emit_reply(r, with_status, sink);
    return size;
}

} // namespace v0
} // namespace smtpwire

#endif
