// The envelope of one message as a client sends it: reverse path, options, recipients.
// RFC 5321 §2.3.1 (envelope), §3.3 (MAIL, RCPT); parameters per RFC 1870, 3461, 6152, 6531.
#ifndef SMTPWIRE_ENVELOPE_HPP
#define SMTPWIRE_ENVELOPE_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smtpwire/dsn.hpp"
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
    /// DSN's RET= (RFC 3461 §4.3): what a failure notification returns of the message.
    /// Sent only when the server offers DSN.
    dsn_return ret = dsn_return::unspecified;
    /// DSN's ENVID= (RFC 3461 §4.4): the application's identifier for this transaction,
    /// as it is (the session xtext-encodes it); empty: none. Sent only when the server
    /// offers DSN; refused with errc::invalid_argument unless envid_argument_valid().
    std::string_view envid;
    /// Further parameters as "KEYWORD[=value]" separated by single spaces (e.g. DSN's
    /// "RET=HDRS ENVID=QQ314159"); each must match RFC 5321's esmtp-param grammar.
    std::string_view parameters;
};

/// One recipient: an addr-spec ("postmaster" alone for <postmaster>), its DSN
/// requests, and further RCPT parameters.
struct recipient {
    std::string_view address;
    /// Further parameters as "KEYWORD[=value]" separated by single spaces; each must
    /// match RFC 5321's esmtp-param grammar.
    std::string_view parameters;
    /// DSN's NOTIFY= (RFC 3461 §4.1); nothing set: none. Sent only when the server
    /// offers DSN; NEVER with another is errc::invalid_argument.
    dsn_notify notify{};
    /// DSN's ORCPT= (RFC 3461 §4.2) as "addr-type;address", the address as it is
    /// ("rfc822;list+tag@example.net"; the session xtext-encodes it); empty: none. Sent
    /// only when the server offers DSN; refused with errc::invalid_argument unless
    /// orcpt_argument_valid().
    std::string_view orcpt{};
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
