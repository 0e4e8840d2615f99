// A reader of the SP-separated esmtp-param list that follows a path in MAIL and RCPT.
// RFC 5321 §4.1.2 (Mail-parameters, esmtp-keyword, esmtp-value); RFC 6531 §3.3.
#ifndef SMTPWIRE_ESMTP_PARAM_HPP
#define SMTPWIRE_ESMTP_PARAM_HPP

#include <cstddef>
#include <string_view>

#include "smtpwire/ascii.hpp"

namespace smtpwire {
inline namespace v0 {

/// One esmtp-param. Views point into the text given to the reader.
struct esmtp_param {
    std::string_view keyword; // as received; compare with ascii::iequals
    std::string_view value;   // empty when has_value is false
    bool has_value = false;   // "KEY=value" rather than "KEY"
};

/// Result of esmtp_param_reader::next().
enum class param_error {
    ok,
    end,         // no more parameters
    syntax,      // no SP before a parameter, or an empty one (two SPs, trailing SP)
    bad_keyword, // not (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
    bad_value,   // empty after '=' or bad bytes
};

/// A short English description of `e`.
constexpr std::string_view to_string(param_error e) noexcept {
    switch (e) {
    case param_error::ok: return "ok";
    case param_error::end: return "end of parameters";
    case param_error::syntax: return "parameters must be separated by one SP";
    case param_error::bad_keyword: return "invalid parameter keyword";
    case param_error::bad_value: return "invalid parameter value";
    }
    return "unknown param_error";
}

/// True when `s` is an esmtp-keyword: (ALPHA / DIGIT) *(ALPHA / DIGIT / "-").
[[nodiscard]] constexpr bool is_esmtp_keyword(std::string_view s) noexcept {
    if (s.empty() || !ascii::is_let_dig(s.front())) return false;
    for (char c : s)
        if (!ascii::is_let_dig(c) && c != '-') return false;
    return true;
}

/// True when `s` is an esmtp-value: 1*(%d33-60 / %d62-126). With `utf8` (RFC 6531 §3.3)
/// non-ASCII bytes are admitted too, when the whole is well-formed UTF-8.
[[nodiscard]] constexpr bool is_esmtp_value(std::string_view s, bool utf8) noexcept {
    if (s.empty()) return false;
    bool saw_non_ascii = false;
    for (char c : s) {
        if (ascii::is_non_ascii(c)) saw_non_ascii = true;
        else if (!ascii::is(c, ascii::esmtp_value)) return false;
    }
    return !saw_non_ascii || (utf8 && ascii::is_valid_utf8(s));
}

/// Reads esmtp-params one at a time, without allocating. It checks the grammar only;
/// which keywords are known is the caller's business (mail_parameters.hpp).
class esmtp_param_reader {
public:
    /// `params` is the text after the path: empty, or SP-separated params starting with
    /// SP (" SIZE=1 BODY=8BITMIME"). It must outlive the reader and the params it yields.
    /// `utf8` admits UTF-8 in values (SMTPUTF8, RFC 6531 §3.3).
    constexpr explicit esmtp_param_reader(std::string_view params, bool utf8 = false) noexcept
        : rest_(params), utf8_(utf8) {}

    /// Reads the next parameter: ok and `out` set, or end, or an error. `out` is written
    /// only on ok. An error is sticky: every later call returns it again.
    [[nodiscard]] constexpr param_error next(esmtp_param& out) noexcept {
        if (state_ != param_error::ok) return state_;
        if (rest_.empty()) return state_ = param_error::end;
        const bool sp = rest_.front() == ' ';
        if (sp) rest_.remove_prefix(1);
        current_ = rest_.substr(0, rest_.find(' '));
        rest_.remove_prefix(current_.size());
        if (!sp || current_.empty()) return state_ = param_error::syntax;
        const std::size_t eq = current_.find('=');
        esmtp_param p;
        p.keyword = current_.substr(0, eq);
        if (!is_esmtp_keyword(p.keyword)) return state_ = param_error::bad_keyword;
        if (eq != std::string_view::npos) {
            p.has_value = true;
            p.value = current_.substr(eq + 1);
            if (!is_esmtp_value(p.value, utf8_)) return state_ = param_error::bad_value;
        }
        out = p;
        return param_error::ok;
    }

    /// The text of the parameter last returned or refused by next() (without its SP),
    /// e.g. for an error reply or a log line; empty before the first call.
    [[nodiscard]] constexpr std::string_view current() const noexcept { return current_; }

private:
    std::string_view rest_;
    std::string_view current_;
    bool utf8_;
    param_error state_ = param_error::ok;
};

} // namespace v0
} // namespace smtpwire

#endif
