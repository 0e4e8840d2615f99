// What a receiver must store for content a client_session sent: the reference that the
// round-trip test and the round-trip fuzzers compare stored messages with.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace smtpwire_test {

/// Message content as the receiver must store it after the sender's dot-stuffer: each
/// bare CR, bare LF or CRLF becomes CRLF, and non-empty content gets a final CRLF.
inline std::string expected_content(std::string_view body) {
    std::string out;
    for (std::size_t i = 0; i < body.size(); ++i) {
        if (body[i] == '\r') {
            out += "\r\n";
            if (i + 1 < body.size() && body[i + 1] == '\n') ++i;
        } else if (body[i] == '\n') {
            out += "\r\n";
        } else {
            out += body[i];
        }
    }
    if (!out.empty() && (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0)) out += "\r\n";
    return out;
}

} // namespace smtpwire_test
