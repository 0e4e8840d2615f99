// Finds CRLF-terminated lines in caller-owned bytes, remembering how far it has scanned.
// RFC 5321 §2.3.8: lines end with CRLF only; a bare CR or LF is part of the line.
#ifndef SMTPWIRE_LINE_SCANNER_HPP
#define SMTPWIRE_LINE_SCANNER_HPP

#include <cstddef>
#include <cstring>
#include <string_view>

namespace smtpwire {
inline namespace v0 {

/// Locates the end of the line that starts at the beginning of the bytes it is given.
/// When no CRLF is there yet, it remembers the scanned length, so the same line
/// presented again with more bytes appended is not rescanned: byte-at-a-time input
/// costs O(n) in total, not O(n²).
class line_scanner {
public:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    /// Returns the length of the line at the start of `buf`, excluding its CRLF, or npos
    /// when `buf` holds no CRLF yet. Precondition: `buf` starts where the previous call's
    /// `buf` started, and holds at least as many bytes (call reset() for a new line).
    [[nodiscard]] std::size_t find_line_end(std::string_view buf) noexcept {
        std::size_t from = scanned_ < buf.size() ? scanned_ : buf.size();
        while (from < buf.size()) {
            const void* hit = std::memchr(buf.data() + from, '\n', buf.size() - from);
            if (hit == nullptr) break;
            const auto lf = static_cast<std::size_t>(static_cast<const char*>(hit) - buf.data());
            if (lf > 0 && buf[lf - 1] == '\r') {
                scanned_ = 0;
                return lf - 1;
            }
            from = lf + 1;
        }
        scanned_ = buf.size();
        return npos;
    }

    /// Forget the scan position: the next call starts a new line.
    void reset() noexcept { scanned_ = 0; }

    /// Octets of the current line already scanned without finding CRLF.
    [[nodiscard]] std::size_t scanned() const noexcept { return scanned_; }

private:
    std::size_t scanned_ = 0;
};

/// Skips the rest of an overlong line as it arrives, up to and including its CRLF,
/// without keeping any of it: only whether the last byte seen was a CR.
class line_skipper {
public:
    /// Consumes bytes of `buf` up to and including the CRLF that ends the skipped line.
    /// Returns the number of bytes consumed; finished() tells whether the CRLF was seen.
    [[nodiscard]] std::size_t skip(std::string_view buf) noexcept {
        for (std::size_t i = 0; i < buf.size();) {
            if (after_cr_ && buf[i] == '\n') {
                after_cr_ = false;
                finished_ = true;
                return i + 1;
            }
            const void* hit = std::memchr(buf.data() + i, '\r', buf.size() - i);
            if (hit == nullptr) {
                after_cr_ = false;
                return buf.size();
            }
            i = static_cast<std::size_t>(static_cast<const char*>(hit) - buf.data()) + 1;
            after_cr_ = true;
        }
        return buf.size();
    }

    /// True once the CRLF ending the skipped line has been consumed.
    [[nodiscard]] bool finished() const noexcept { return finished_; }

    /// Start skipping a new line. `after_cr`: the bytes already dropped ended in CR.
    void start(bool after_cr) noexcept {
        after_cr_ = after_cr;
        finished_ = false;
    }

private:
    bool after_cr_ = false;
    bool finished_ = true;
};

} // namespace v0
} // namespace smtpwire

#endif
