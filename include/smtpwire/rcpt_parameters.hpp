// The parameters of RCPT TO that smtpwire knows, checked against the offered extensions.
// RFC 5321 §4.1.1.3, §4.1.2; RFC 3461 §4.1-4.2 (NOTIFY, ORCPT).
#ifndef SMTPWIRE_RCPT_PARAMETERS_HPP
#define SMTPWIRE_RCPT_PARAMETERS_HPP

#include <string_view>

#include "smtpwire/ascii.hpp"
#include "smtpwire/dsn.hpp"
#include "smtpwire/esmtp_param.hpp"
#include "smtpwire/extension.hpp"
#include "smtpwire/mail_parameters.hpp"

namespace smtpwire {
inline namespace v0 {

/// The typed RCPT TO parameters. Views point into the text given to the parser.
struct rcpt_parameters {
    dsn_notify notify;             // NOTIFY= (RFC 3461 §4.1); nothing set: none
    std::string_view orcpt_type;   // ORCPT= (RFC 3461 §4.2) addr-type, "rfc822"; empty: none
    std::string_view orcpt;        // ORCPT= original recipient as xtext (decode with
                                   // xtext_decode); empty: none
    std::string_view raw;          // all parameters as received
};

/// Parses the text after a RCPT TO path (`raw`: empty, or " KEY[=value]" repeated),
/// as parse_mail_parameters() does for MAIL. Keywords are case-insensitive. NOTIFY
/// (parse_notify()) and ORCPT (parse_orcpt()) are known only when extension::dsn is in
/// `offered`; any other keyword is `unknown`. `utf8`: the transaction's MAIL carried
/// SMTPUTF8, so values may hold UTF-8 as far as the grammar goes (RFC 6531 §3.3). On
/// success `out` is set; on error `out` is reset with only `raw` set, and `bad` (if not
/// null) is set to the offending parameter's text.
[[nodiscard]] inline mail_parameter_error parse_rcpt_parameters(
    std::string_view raw, extension_set offered, bool utf8, rcpt_parameters& out,
    std::string_view* bad = nullptr) noexcept {
    out = rcpt_parameters{};
    out.raw = raw;
    rcpt_parameters r = out;
    const mail_parameter_error e = detail::read_parameters(raw, utf8, bad, [&](const esmtp_param& p) noexcept {
        mail_parameter_error v = mail_parameter_error::ok;
        if (ascii::iequals(p.keyword, "NOTIFY") && offered.has(extension::dsn)) {
            if (r.notify.given()) v = mail_parameter_error::duplicate;
            else if (!parse_notify(p.value, r.notify)) v = mail_parameter_error::bad_value;
        } else if (ascii::iequals(p.keyword, "ORCPT") && offered.has(extension::dsn)) {
            if (!r.orcpt.empty()) v = mail_parameter_error::duplicate;
            else if (!parse_orcpt(p.value, r.orcpt_type, r.orcpt)) v = mail_parameter_error::bad_value;
        } else {
            v = mail_parameter_error::unknown;
        }
        return v;
    });
    if (e != mail_parameter_error::ok) return e;
    out = r;
    return mail_parameter_error::ok;
}

} // namespace v0
} // namespace smtpwire

#endif
