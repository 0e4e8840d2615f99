// The parameters of MAIL FROM that smtpwire knows, checked against the offered extensions.
// RFC 5321 §4.1.1.2, §4.1.2; RFC 1870 §6 (SIZE), RFC 6152 §2 (BODY), RFC 6531 §3.4 (SMTPUTF8),
// RFC 4954 §5 (AUTH), RFC 3461 §4.3-4.4 (RET, ENVID), RFC 3030 §3 (BODY=BINARYMIME).
#ifndef SMTPWIRE_MAIL_PARAMETERS_HPP
#define SMTPWIRE_MAIL_PARAMETERS_HPP

#include <charconv>
#include <cstdint>
#include <string_view>
#include <system_error>

#include "smtpwire/ascii.hpp"
#include "smtpwire/dsn.hpp"
#include "smtpwire/esmtp_param.hpp"
#include "smtpwire/extension.hpp"
#include "smtpwire/xtext.hpp"

namespace smtpwire {
inline namespace v0 {

/// The BODY= value of MAIL (RFC 6152); case-insensitive on the wire.
enum class body_type : std::uint8_t {
    unspecified,    // no BODY parameter
    seven_bit,      // BODY=7BIT
    eight_bit_mime, // BODY=8BITMIME
    binary_mime,    // BODY=BINARYMIME (RFC 3030 §3): sent only with BDAT
};

/// A short name of `b`, as written on the wire ("" for unspecified).
constexpr std::string_view to_string(body_type b) noexcept {
    switch (b) {
    case body_type::unspecified: return "";
    case body_type::seven_bit: return "7BIT";
    case body_type::eight_bit_mime: return "8BITMIME";
    case body_type::binary_mime: return "BINARYMIME";
    }
    return "";
}

/// The typed MAIL FROM parameters. `raw` views into the text given to the parser.
struct mail_parameters {
    std::uint64_t size = 0;                 // SIZE= (RFC 1870 §6): 1*20DIGIT
    bool has_size = false;
    body_type body = body_type::unspecified; // BODY= (RFC 6152)
    bool smtputf8 = false;                  // SMTPUTF8, no value (RFC 6531 §3.4)
    dsn_return ret = dsn_return::unspecified; // RET= (RFC 3461 §4.3)
    bool has_auth = false;
    std::string_view auth;                  // AUTH= (RFC 4954 §5): the submitter, as xtext
                                            // (decode with xtext_decode); "<>" for none
    std::string_view envid;                 // ENVID= (RFC 3461 §4.4) as xtext; empty: none
    std::string_view raw;                   // all parameters as received
};

/// Why MAIL FROM or RCPT TO parameters were refused; the comment gives the reply to send.
enum class mail_parameter_error {
    ok,
    syntax,    // 501 5.5.4: not esmtp-param *(SP esmtp-param)
    unknown,   // 555 5.5.4: keyword not known or its extension not offered
    bad_value, // 501 5.5.4: a known keyword with a value it does not take
    duplicate, // 501 5.5.4: a known keyword given twice
};

/// A short English description of `e`.
constexpr std::string_view to_string(mail_parameter_error e) noexcept {
    switch (e) {
    case mail_parameter_error::ok: return "ok";
    case mail_parameter_error::syntax: return "parameter syntax error";
    case mail_parameter_error::unknown: return "parameter not recognized";
    case mail_parameter_error::bad_value: return "invalid parameter value";
    case mail_parameter_error::duplicate: return "parameter given twice";
    }
    return "unknown mail_parameter_error";
}

namespace detail {
// Reads the parameters of `raw` in turn and hands each to `judge`, which returns its
// verdict; stops at the first error and points `bad` (if not null) at that parameter.
template <class Judge>
mail_parameter_error read_parameters(std::string_view raw, bool utf8, std::string_view* bad,
                                     Judge judge) noexcept {
    esmtp_param_reader reader(raw, utf8);
    mail_parameter_error e = mail_parameter_error::ok;
    for (esmtp_param p; e == mail_parameter_error::ok;) {
        const param_error pe = reader.next(p);
        if (pe == param_error::end) break;
        if (pe == param_error::ok) e = judge(p);
        else e = pe == param_error::bad_value ? mail_parameter_error::bad_value : mail_parameter_error::syntax;
    }
    if (e != mail_parameter_error::ok && bad != nullptr) *bad = reader.current();
    return e;
}

// size-value = 1*20DIGIT (RFC 1870 §6), and it must fit in 64 bits.
inline bool parse_size_value(std::string_view v, std::uint64_t& out) noexcept {
    if (v.empty() || v.size() > 20 || !ascii::all_of(v, ascii::digit)) return false;
    std::uint64_t n = 0;
    const auto r = std::from_chars(v.data(), v.data() + v.size(), n);
    if (r.ec != std::errc{} || r.ptr != v.data() + v.size()) return false;
    out = n;
    return true;
}
} // namespace detail

/// Parses the text after a MAIL FROM path (`raw`: empty, or " KEY[=value]" repeated).
/// Keywords are case-insensitive. SIZE is known only when extension::size is in
/// `offered`, BODY only with eight_bit_mime or binary_mime (7BIT; 8BITMIME with the
/// first, BINARYMIME with the second; any case), SMTPUTF8 (no value) only with
/// smtputf8, AUTH (an xtext value) only with auth, RET (FULL or HDRS) and ENVID
/// (valid_envid()) only with dsn; any other keyword (BY, MT-PRIORITY, ...) is `unknown`. Values may hold UTF-8 as far as the grammar goes (RFC 6531 §3.3); no known
/// parameter takes one. On success `out` is set and views into `raw`; on error `out` is
/// reset with only `raw` set, and `bad` (if not null) is set to the offending
/// parameter's text (without its SP), a view into `raw`.
[[nodiscard]] inline mail_parameter_error parse_mail_parameters(
    std::string_view raw, extension_set offered, mail_parameters& out,
    std::string_view* bad = nullptr) noexcept {
    out = mail_parameters{};
    out.raw = raw;
    mail_parameters m = out;
    const mail_parameter_error e = detail::read_parameters(raw, true, bad, [&](const esmtp_param& p) noexcept {
        mail_parameter_error v = mail_parameter_error::ok;
        if (ascii::iequals(p.keyword, "SIZE") && offered.has(extension::size)) {
            if (m.has_size) v = mail_parameter_error::duplicate;
            else if (!p.has_value || !detail::parse_size_value(p.value, m.size))
                v = mail_parameter_error::bad_value;
            m.has_size = true;
        } else if (ascii::iequals(p.keyword, "BODY") &&
                   (offered.has(extension::eight_bit_mime) || offered.has(extension::binary_mime))) {
            if (m.body != body_type::unspecified) v = mail_parameter_error::duplicate;
            else if (ascii::iequals(p.value, "7BIT")) m.body = body_type::seven_bit;
            else if (ascii::iequals(p.value, "8BITMIME") && offered.has(extension::eight_bit_mime))
                m.body = body_type::eight_bit_mime;
            else if (ascii::iequals(p.value, "BINARYMIME") && offered.has(extension::binary_mime))
                m.body = body_type::binary_mime;
            else v = mail_parameter_error::bad_value;
        } else if (ascii::iequals(p.keyword, "AUTH") && offered.has(extension::auth)) {
            if (m.has_auth) v = mail_parameter_error::duplicate;
            else if (!p.has_value || !is_xtext(p.value)) v = mail_parameter_error::bad_value;
            m.has_auth = true;
            m.auth = p.value;
        } else if (ascii::iequals(p.keyword, "RET") && offered.has(extension::dsn)) {
            if (m.ret != dsn_return::unspecified) v = mail_parameter_error::duplicate;
            else if (ascii::iequals(p.value, "FULL")) m.ret = dsn_return::full;
            else if (ascii::iequals(p.value, "HDRS")) m.ret = dsn_return::headers;
            else v = mail_parameter_error::bad_value;
        } else if (ascii::iequals(p.keyword, "ENVID") && offered.has(extension::dsn)) {
            if (!m.envid.empty()) v = mail_parameter_error::duplicate;
            else if (!valid_envid(p.value)) v = mail_parameter_error::bad_value;
            m.envid = p.value;
        } else if (ascii::iequals(p.keyword, "SMTPUTF8") && offered.has(extension::smtputf8)) {
            if (m.smtputf8) v = mail_parameter_error::duplicate;
            else if (p.has_value) v = mail_parameter_error::bad_value;
            m.smtputf8 = true;
        } else {
            v = mail_parameter_error::unknown;
        }
        return v;
    });
    if (e != mail_parameter_error::ok) return e;
    out = m;
    return mail_parameter_error::ok;
}

} // namespace v0
} // namespace smtpwire

#endif
