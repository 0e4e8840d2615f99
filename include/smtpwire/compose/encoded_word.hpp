// RFC 2047 encoded-words carrying UTF-8 text in headers: "=?UTF-8?B?" base64 "?=".
// RFC 2047 §2 (syntax, 75-character limit), §4.1 (B encoding), §5 (where they may appear).
#ifndef SMTPWIRE_COMPOSE_ENCODED_WORD_HPP
#define SMTPWIRE_COMPOSE_ENCODED_WORD_HPP

#include <cstddef>
#include <string_view>

#include "smtpwire/base64.hpp"

namespace smtpwire {
inline namespace v0 {
namespace compose {

/// Longest encoded-word, delimiters included (RFC 2047 §2).
inline constexpr std::size_t max_encoded_word_length = 75;

/// Longest line of a header field that holds an encoded-word (RFC 2047 §2).
inline constexpr std::size_t max_encoded_word_line = 76;

/// What every encoded-word written here starts and ends with.
inline constexpr std::string_view encoded_word_prefix = "=?UTF-8?B?";
inline constexpr std::string_view encoded_word_suffix = "?=";

/// Length of the encoded-word carrying `n` octets of text.
[[nodiscard]] constexpr std::size_t encoded_word_size(std::size_t n) noexcept {
    return encoded_word_prefix.size() + base64_encoded_size(n) + encoded_word_suffix.size();
}

/// Octets in the UTF-8 character that starts with lead byte `c` (1 for a byte that
/// cannot start one, so that text which is not UTF-8 is still walked safely).
[[nodiscard]] constexpr std::size_t utf8_sequence_length(char c) noexcept {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0xF0 && b <= 0xF7) return 4;
    if (b >= 0xE0 && b <= 0xEF) return 3;
    if (b >= 0xC0 && b <= 0xDF) return 2;
    return 1;
}

/// Length of the longest prefix of `text` made of whole UTF-8 characters whose
/// encoded-word is at most `max_chars` characters long; 0 when not even the first
/// character fits. Encoded-words cut this way never split a character (RFC 2047 §5).
[[nodiscard]] constexpr std::size_t encoded_word_prefix_length(std::string_view text,
                                                               std::size_t max_chars) noexcept {
    std::size_t n = 0;
    while (n < text.size()) {
        std::size_t next = n + utf8_sequence_length(text[n]);
        if (next > text.size()) next = text.size();
        if (encoded_word_size(next) > max_chars) break;
        n = next;
    }
    return n;
}

/// Writes `text` as one encoded-word to `out`. Preconditions: `out` holds
/// encoded_word_size(text.size()) bytes; callers keep that within max_encoded_word_length
/// with encoded_word_prefix_length(). Returns the number of bytes written.
[[nodiscard]] constexpr std::size_t encode_word(std::string_view text, char* out) noexcept {
    std::size_t n = 0;
    for (char c : encoded_word_prefix) out[n++] = c;
    n += base64_encode(text, out + n);
    for (char c : encoded_word_suffix) out[n++] = c;
    return n;
}

} // namespace compose
} // namespace v0
} // namespace smtpwire

#endif
