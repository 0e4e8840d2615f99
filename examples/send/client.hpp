// smtpwire-send's connection: one socket, poll(2), and a smtpwire::client_session.
// RFC 5321 §3.3 (the mail transaction), §4.5.3.2 (client timeouts); RFC 2920 (pipelining).
#ifndef SMTPWIRE_SEND_CLIENT_HPP
#define SMTPWIRE_SEND_CLIENT_HPP

#include <cstdint>
#include <string>
#include <vector>

#include "message.hpp"
#include "options.hpp"

namespace sender {

/// What decided one recipient: the server's reply, or a local reason when none did.
struct verdict {
    std::uint16_t code = 0;  // 0: no reply decided it; `text` says why
    std::string status;      // the enhanced status code ("2.1.5"), empty when absent
    std::string text;
};

/// How a run ended.
struct report {
    /// One per options::recipients, in that order, once MAIL FROM was sent; else empty.
    std::vector<verdict> recipients;
    /// What went wrong outside the per-recipient results; empty when nothing did.
    std::string error;
    /// The exit status: 0, or a sysexits.h value (EX_TEMPFAIL, EX_UNAVAILABLE, ...).
    int status = 0;
};

/// Connects to the server in `opt`, sends `message` from opt.from to every recipient,
/// then QUITs. `helo` is the (valid) EHLO name. With opt.verbose the dialogue goes to
/// stderr, one "C: " or "S: " line per line sent or received.
report deliver(const options& opt, const std::string& helo, const outgoing& message);

} // namespace sender

#endif
