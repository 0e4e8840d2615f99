// smtpwire-send's message: read as it is from a file or stdin, or composed around stdin.
// RFC 5322 (the message), RFC 1870 §3 (its size as SIZE counts it), RFC 6152 (8-bit content).
#ifndef SMTPWIRE_SEND_MESSAGE_HPP
#define SMTPWIRE_SEND_MESSAGE_HPP

#include <cstdint>
#include <string>

#include "options.hpp"

namespace sender {

/// The message to send, with what MAIL FROM must declare about it.
struct outgoing {
    std::string content;         // every line ending in CRLF, the last one too, as BDAT
                                 // sends it (a bare CR or LF read became CRLF)
    bool eight_bit = false;      // a byte above 127: BODY=8BITMIME
    std::uint64_t wire_size = 0; // content's octets, as SIZE= counts them
};

/// Reads the message named by `opt` (--message FILE, else stdin) or, with --subject,
/// composes one: From, To, Cc, Subject, Date (now), a Message-ID of random bytes
/// "@" `helo`, and stdin as the body; Bcc stays out of the headers. Returns 0, or a
/// sysexits.h status with `error` set: EX_NOINPUT (unreadable file), EX_IOERR (stdin),
/// EX_USAGE (an address compose refuses), EX_DATAERR (text that is not UTF-8 or the
/// like), EX_OSERR (no random bytes).
int prepare_message(const options& opt, const std::string& helo, outgoing& out,
                    std::string& error);

} // namespace sender

#endif
