// The caller's bytes a session is working through: feed(), unconsumed(), end of input.
// Internal building block shared by server_session and client_session (RFC 5321 §2.3.8 lines).
#ifndef SMTPWIRE_SESSION_INPUT_HPP
#define SMTPWIRE_SESSION_INPUT_HPP

#include <cstddef>
#include <string_view>

#include "smtpwire/line_scanner.hpp"

namespace smtpwire {
inline namespace v0 {

/// A borrowed view of the bytes last fed, and how far the session has consumed them.
/// New bytes are taken whenever everything before them was consumed or is known to be
/// an incomplete line (so reading never has to wait for writing: full duplex), and
/// never while complete input is still waiting (so memory stays bounded).
class session_input {
public:
    /// True when a feed() now loses nothing: the bytes fed before are consumed, or the
    /// rest is an incomplete line that the caller presents again (unconsumed()).
    [[nodiscard]] bool accepts_feed() const noexcept { return pos_ == in_.size() || incomplete_; }

    /// Borrows `bytes` (which start with the previous unconsumed()). Precondition:
    /// accepts_feed().
    void feed(std::string_view bytes) noexcept {
        in_ = bytes;
        pos_ = 0;
        incomplete_ = false;
        line_ = line_scanner::npos;
    }

    /// The peer closed its side: no bytes will follow those fed.
    void close() noexcept { eof_ = true; }
    [[nodiscard]] bool eof() const noexcept { return eof_; }

    /// The bytes not consumed yet; valid as long as the fed bytes are.
    [[nodiscard]] std::string_view rest() const noexcept { return {in_.data() + pos_, in_.size() - pos_}; }

    /// Marks `n` more bytes (at most rest().size()) as consumed; a new line starts at
    /// the cursor.
    void consume(std::size_t n) noexcept {
        pos_ += n;
        incomplete_ = false;
        line_ = line_scanner::npos;
        scanner_.reset();
    }

    /// Consumes everything fed: the session reads no more of it.
    void discard() noexcept {
        pos_ = in_.size();
        incomplete_ = false;
        line_ = line_scanner::npos;
        scanner_.reset();
    }

    /// Finds the CRLF line at the cursor. Returns its length without the CRLF and
    /// leaves the cursor on it (consume(length + 2) takes it), or line_scanner::npos
    /// when the rest holds no CRLF yet; the rest is then an incomplete line and a
    /// feed() is accepted. Each byte is scanned once however the input is split, and
    /// however often this is asked before the line is consumed.
    [[nodiscard]] std::size_t find_line() noexcept {
        if (line_ != line_scanner::npos) return line_;
        line_ = scanner_.find_line_end(rest());
        incomplete_ = line_ == line_scanner::npos;
        return line_;
    }

private:
    std::string_view in_;
    std::size_t pos_ = 0;
    bool incomplete_ = false;
    bool eof_ = false;
    std::size_t line_ = line_scanner::npos;  // the complete line at the cursor, once found
    line_scanner scanner_;
};

} // namespace v0
} // namespace smtpwire

#endif
