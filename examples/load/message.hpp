// The message smtpwire-load sends: a small header and lines of text, of an exact size.
// RFC 5322 §2.1.1 (lines of at most 78 characters), RFC 5321 §4.5.2 (no line starts with '.').
#ifndef SMTPWIRE_LOAD_MESSAGE_HPP
#define SMTPWIRE_LOAD_MESSAGE_HPP

#include <cstddef>
#include <string>

namespace load {

/// A message of exactly `size` octets: From and Subject, an empty line, then lines of
/// 76 letters, every line ended by CRLF and none starting with '.', so its wire form
/// after DATA is as long as it is. Under 53 octets (no room for the header) it is one
/// line of letters, and under 2 octets empty.
std::string make_content(std::size_t size);

} // namespace load

#endif
