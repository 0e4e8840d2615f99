// The message smtpwire-load sends: a small header and lines of text, of an exact size.
// RFC 5322 §2.1.1 (lines of at most 78 characters), RFC 5321 §4.5.2 (no line starts with '.').
#include "message.hpp"

namespace load {

std::string make_content(std::size_t size) {
    std::string text = "From: <load@load.test>\r\nSubject: smtpwire-load\r\n\r\n";
    if (size < text.size() + 2) return size < 2 ? std::string() : std::string(size - 2, 'x') + "\r\n";
    text.reserve(size);
    const char letters[] = "abcdefghijklmnopqrstuvwxyz";
    for (std::size_t line = 0; text.size() < size; ++line) {
        // At least 2 octets remain (a CRLF): a line that would leave 1 is made shorter.
        const std::size_t room = size - text.size();
        const std::size_t length = room <= 78 ? room - 2 : room == 79 ? 75 : 76;
        for (std::size_t i = 0; i < length; ++i) text += letters[(line + i) % 26];
        text += "\r\n";
    }
    return text;
}

} // namespace load
