// The envelope of one message as a client sends it: reverse path, options, recipients.
// RFC 5321 §2.3.1 (envelope), §3.3 (MAIL, RCPT); parameters per RFC 1870, 3461, 6152, 6531.
#ifndef SMTPWIRE_ENVELOPE_HPP
#define SMTPWIRE_ENVELOPE_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smtpwire/mail_parameters.hpp"

namespace smtpwire {
inline namespace v0 {

/// Options of one MAIL command.
struct mail_options {
    /// Declared message size (SIZE=, RFC 1870), sent when the server offers SIZE;
    /// 0: none. Over the server's announced limit: errc::too_large before MAIL.
    std::uint64_t size = 0;
    /// BODY=8BITMIME (RFC 6152): required for content with 8-bit bytes; refused with
    /// errc::not_supported when the server does not offer 8BITMIME. BODY=7BIT is sent
    /// only to a server that offered 8BITMIME (elsewhere 7BIT is all there is).
    body_type body = body_type::unspecified;
    /// SMTPUTF8 (RFC 6531): required for UTF-8 addresses; set automatically for a UTF-8
    /// reverse path. errc::not_supported when the server does not offer it.
    bool smtputf8 = false;
    /// Further parameters as "KEYWORD[=value]" separated by single spaces (e.g. DSN's
    /// "RET=HDRS ENVID=QQ314159"); each must match RFC 5321's esmtp-param grammar.
    std::string_view parameters;
};

/// One recipient: an addr-spec ("postmaster" alone for <postmaster>) and its RCPT
/// parameters, "KEYWORD[=value]" separated by single spaces (e.g. DSN's "NOTIFY=NEVER").
struct recipient {
    std::string_view address;
    std::string_view parameters;
};

/// Everything client_session::send_mail() needs besides the content. Nothing is
/// copied: the strings and the recipient array are borrowed until the transaction ends.
struct envelope {
    std::string_view sender;  // "" for the null reverse path <>
    mail_options options;
    const recipient* recipients = nullptr;
    std::size_t recipient_count = 0;
};

} // namespace v0
} // namespace smtpwire

#endif
