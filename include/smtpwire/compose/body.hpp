// A text body for the wire: CRLF line endings, sent as 7bit or as quoted-printable.
// RFC 5322 §2.3 (CRLF, 998 octets), RFC 2045 §2.7 (7bit data), §6.7 (quoted-printable).
#ifndef SMTPWIRE_COMPOSE_BODY_HPP
#define SMTPWIRE_COMPOSE_BODY_HPP

#include <cstddef>
#include <string_view>

namespace smtpwire {
inline namespace v0 {
namespace compose {

/// Longest line in octets, CRLF excluded (RFC 5322 §2.1.1, RFC 2045 §2.7).
inline constexpr std::size_t max_line_octets = 998;

/// Longest quoted-printable line, its soft line break '=' included (RFC 2045 §6.7 rule 5).
inline constexpr std::size_t max_quoted_printable_line = 76;

/// How a body travels: as it is, or quoted-printable. Either way it is 7-bit data,
/// so sending it never needs 8BITMIME.
enum class transfer_encoding { seven_bit, quoted_printable };

/// The Content-Transfer-Encoding value for `e`.
constexpr std::string_view to_string(transfer_encoding e) noexcept {
    switch (e) {
    case transfer_encoding::seven_bit: return "7bit";
    case transfer_encoding::quoted_printable: return "quoted-printable";
    }
    return "unknown transfer_encoding";
}

namespace detail {
// Calls f(line) for each line of `text`, without its line break. A line ends at CRLF,
// at a bare LF or at a bare CR; text after the last break is one more line.
template <class F>
constexpr void for_each_line(std::string_view text, F&& f) noexcept {
    std::size_t start = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c != '\r' && c != '\n') {
            ++i;
            continue;
        }
        f(text.substr(start, i - start));
        i += (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ? 2u : 1u;
        start = i;
    }
    if (start < text.size()) f(text.substr(start));
}

// Writes to out[pos] while pos < cap and counts every byte, so {nullptr, 0} measures.
struct counting_writer {
    char* out;
    std::size_t cap;
    std::size_t pos = 0;

    constexpr void put(char c) noexcept {
        if (pos < cap) out[pos] = c;
        ++pos;
    }
    constexpr void put(std::string_view s) noexcept {
        for (char c : s) put(c);
    }
};

// A byte that quoted-printable may leave as it is (RFC 2045 §6.7 rule 2), not counting
// SP and TAB, which rule 3 admits except at the end of a line.
constexpr bool is_qp_literal(char c) noexcept {
    return (c >= 33 && c <= 60) || (c >= 62 && c <= 126);
}

constexpr void encode_qp_line(std::string_view line, counting_writer& s) noexcept {
    constexpr std::string_view hex = "0123456789ABCDEF";
    std::size_t col = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        const bool last = i + 1 == line.size();
        const bool literal = is_qp_literal(c) || (!last && (c == ' ' || c == '\t'));
        const std::size_t len = literal ? 1 : 3;
        // A soft break "=" must fit on the line unless this is its last character.
        const std::size_t limit = last ? max_quoted_printable_line : max_quoted_printable_line - 1;
        if (col + len > limit) {
            s.put("=\r\n");
            col = 0;
        }
        if (literal) {
            s.put(c);
        } else {
            const auto b = static_cast<unsigned char>(c);
            s.put('=');
            s.put(hex[b >> 4]);
            s.put(hex[b & 0x0F]);
        }
        col += len;
    }
    s.put("\r\n");
}
} // namespace detail

/// The encoding a body needs: seven_bit when every byte is ASCII other than NUL and every
/// line (ended by CRLF, LF or CR) is at most max_line_octets long; quoted_printable
/// otherwise.
[[nodiscard]] constexpr transfer_encoding choose_transfer_encoding(std::string_view body) noexcept {
    bool seven_bit = true;
    detail::for_each_line(body, [&seven_bit](std::string_view line) {
        if (line.size() > max_line_octets) seven_bit = false;
        for (char c : line)
            if (c == '\0' || static_cast<unsigned char>(c) >= 0x80) seven_bit = false;
    });
    return seven_bit ? transfer_encoding::seven_bit : transfer_encoding::quoted_printable;
}

/// Writes `body` in encoding `e`, each line ended by CRLF whether it ended in CRLF, a bare
/// LF, a bare CR or nothing (the last line); the empty body gives nothing. seven_bit
/// copies the lines (precondition: choose_transfer_encoding(body) gave seven_bit);
/// quoted_printable encodes each line with "=XX" for '=', non-ASCII and control bytes and
/// for SP or TAB ending a line, and splits it with soft line breaks so that no line
/// exceeds max_quoted_printable_line. Returns the size of the result and writes it to
/// `out` only when it fits in `cap` (pass nullptr and 0 to measure).
[[nodiscard]] constexpr std::size_t encode_body(std::string_view body, transfer_encoding e,
                                                char* out, std::size_t cap) noexcept {
    detail::counting_writer measure{nullptr, 0};
    const auto run = [&body, e](detail::counting_writer& s) {
        detail::for_each_line(body, [&s, e](std::string_view line) {
            if (e == transfer_encoding::quoted_printable) {
                detail::encode_qp_line(line, s);
            } else {
                s.put(line);
                s.put("\r\n");
            }
        });
    };
    run(measure);
    if (measure.pos <= cap) {
        detail::counting_writer write{out, cap};
        run(write);
    }
    return measure.pos;
}

} // namespace compose
} // namespace v0
} // namespace smtpwire

#endif
