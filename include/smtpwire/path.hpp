// Reverse-path and Forward-path: the "<...>" arguments of MAIL FROM and RCPT TO.
// RFC 5321 §4.1.1.2, §4.1.1.3, §4.1.2 (Path, A-d-l), §4.5.3.1.3, Appendix C; RFC 6531 §3.3.
#ifndef SMTPWIRE_PATH_HPP
#define SMTPWIRE_PATH_HPP

#include <cstddef>
#include <string_view>

#include "smtpwire/ascii.hpp"
#include "smtpwire/domain.hpp"
#include "smtpwire/mailbox.hpp"

namespace smtpwire {
inline namespace v0 {

/// Longest path in octets, angle brackets and source route included (RFC 5321 §4.5.3.1.3).
inline constexpr std::size_t max_path_length = 256;

/// What a parsed path names.
enum class path_kind {
    null_path,  // "<>": the reverse path of bounces and notifications
    postmaster, // "<postmaster>" in any case, forward path only (RFC 5321 §4.1.1.3)
    mailbox,    // an ordinary Mailbox
};

/// A parsed path. Every view points into the text given to the parser.
struct path {
    path_kind kind = path_kind::null_path;
    smtpwire::mailbox address;     // empty for null_path; for postmaster: local_part = the "postmaster" text, domain empty
    std::string_view raw;          // everything between '<' and '>', as received

    /// The "@a,@b" of an A-d-l at the start of `raw`, accepted and ignored (Appendix C);
    /// empty if none. Its domains hold no ':', so the first one ends it.
    [[nodiscard]] constexpr std::string_view source_route() const noexcept {
        if (raw.empty() || raw.front() != '@') return {};
        return raw.substr(0, raw.find(':'));
    }
};

/// Relaxations of the path grammar, all off by default.
struct path_options {
    /// SMTPUTF8 was given on MAIL: admit UTF-8 local parts and U-label domains (validated).
    bool utf8 = false;
    /// Accept "MAIL FROM:user@example.com": the mailbox then ends at SP or at the end.
    /// Risk: the end of the address becomes ambiguous with parameters.
    bool allow_missing_brackets = false;
    /// Accept "user.@example.com" as some embedded devices send it. Risk: it is not a
    /// valid Dot-string, and the next hop may refuse it or read it differently.
    bool allow_trailing_dot_local_part = false;
};

/// Why a path was refused.
enum class path_error {
    ok,
    missing_open_bracket,   // no '<' (and missing brackets not allowed)
    missing_close_bracket,  // the text ended before the '>' closing the path
    empty,                  // no path at all
    bad_source_route,       // an A-d-l that is not "@domain *(,@domain)" followed by ':'
    bad_local_part,         // not a Dot-string or Quoted-string, or no '@' after it
    bad_domain,             // not a Domain or address-literal, or junk before '>'
    local_part_too_long,    // over 64 octets
    domain_too_long,        // over 255 octets
    path_too_long,          // over 256 octets, brackets included
    non_ascii,              // a byte >= 0x80 without utf8
    invalid_utf8,           // utf8, but not well-formed UTF-8
    null_path_not_allowed,  // "<>" as a forward path
    postmaster_not_allowed, // "<postmaster>" as a reverse path
};

/// A short English description of `e`.
constexpr std::string_view to_string(path_error e) noexcept {
    switch (e) {
    case path_error::ok: return "ok";
    case path_error::missing_open_bracket: return "path must start with '<'";
    case path_error::missing_close_bracket: return "path must end with '>'";
    case path_error::empty: return "empty path";
    case path_error::bad_source_route: return "invalid source route";
    case path_error::bad_local_part: return "invalid local part";
    case path_error::bad_domain: return "invalid domain";
    case path_error::local_part_too_long: return "local part longer than 64 octets";
    case path_error::domain_too_long: return "domain longer than 255 octets";
    case path_error::path_too_long: return "path longer than 256 octets";
    case path_error::non_ascii: return "non-ASCII address without SMTPUTF8";
    case path_error::invalid_utf8: return "address is not valid UTF-8";
    case path_error::null_path_not_allowed: return "null path not allowed here";
    case path_error::postmaster_not_allowed: return "<postmaster> is not a valid reverse path";
    }
    return "unknown path_error";
}

namespace detail {
constexpr path_error to_path_error(mailbox_error e) noexcept {
    switch (e) {
    case mailbox_error::ok: return path_error::ok;
    case mailbox_error::empty: return path_error::empty;
    case mailbox_error::bad_local_part: return path_error::bad_local_part;
    case mailbox_error::bad_domain: return path_error::bad_domain;
    case mailbox_error::local_part_too_long: return path_error::local_part_too_long;
    case mailbox_error::domain_too_long: return path_error::domain_too_long;
    case mailbox_error::non_ascii: return path_error::non_ascii;
    case mailbox_error::invalid_utf8: return path_error::invalid_utf8;
    }
    return path_error::bad_local_part;
}

// True when the path content ends at s[k]: at '>' when bracketed, else at SP or the end.
constexpr bool at_path_end(std::string_view s, std::size_t k, bool bracketed) noexcept {
    if (bracketed) return k < s.size() && s[k] == '>';
    return k >= s.size() || s[k] == ' ';
}

// A-d-l = At-domain *("," At-domain); At-domain = "@" Domain. Reads it and the ':' after
// it from s[i] (which is '@'); on success `i` is just past the ':'.
constexpr bool scan_source_route(std::string_view s, std::size_t& i, bool utf8) noexcept {
    for (;;) {
        if (i >= s.size() || s[i] != '@') return false;
        const domain_run run = read_domain_run(s, ++i);
        if (judge_domain_run(s, i, run, utf8) != domain_error::ok) return false;
        i = run.end;
        if (i < s.size() && s[i] == ':') break;
        if (i >= s.size() || s[i] != ',') return false;
        ++i;
    }
    ++i;
    return true;
}

constexpr path_error parse_path(std::string_view s, const path_options& opt, bool forward,
                                path& out, std::string_view& rest) noexcept {
    out = path{};
    rest = std::string_view{};
    if (s.empty()) return path_error::empty;
    const bool bracketed = s.front() == '<';
    if (!bracketed && !opt.allow_missing_brackets) return path_error::missing_open_bracket;
    const std::size_t begin = bracketed ? 1 : 0;
    // A syntax error with no '>' left after it is reported as the missing bracket.
    const auto syntax_error = [&](path_error e, std::size_t at) noexcept {
        return bracketed && s.find('>', at) == std::string_view::npos
                   ? path_error::missing_close_bracket
                   : e;
    };
    path p;
    std::size_t i = begin;
    if (at_path_end(s, i, bracketed)) {
        if (!bracketed) return path_error::empty;
        if (forward) return path_error::null_path_not_allowed;
    } else {
        constexpr std::string_view pm = "postmaster";
        const std::string_view from_i(s.data() + i, s.size() - i);
        if (ascii::istarts_with(from_i, pm) && at_path_end(s, i + pm.size(), bracketed)) {
            if (!forward) return path_error::postmaster_not_allowed;
            p.kind = path_kind::postmaster;
            p.address.local_part = s.substr(i, pm.size());
            i += pm.size();
        } else {
            if (i < s.size() && s[i] == '@' &&
                !scan_source_route(s, i, opt.utf8))
                return syntax_error(path_error::bad_source_route, i);
            const mailbox_error e =
                scan_mailbox(s, i, opt.utf8, opt.allow_trailing_dot_local_part, p.address);
            if (e == mailbox_error::bad_local_part || e == mailbox_error::bad_domain)
                return syntax_error(to_path_error(e), i);
            if (e != mailbox_error::ok) return to_path_error(e);
            if (!at_path_end(s, i, bracketed)) return syntax_error(path_error::bad_domain, i);
            const mailbox_error len = check_mailbox_lengths(p.address);
            if (len != mailbox_error::ok) return to_path_error(len);
            if (i + (bracketed ? 1 : 2) > max_path_length) return path_error::path_too_long;
            p.kind = path_kind::mailbox;
        }
    }
    p.raw = std::string_view(s.data() + begin, i - begin);
    const std::size_t after = bracketed ? i + 1 : i;
    rest = std::string_view(s.data() + after, s.size() - after);
    out = p;
    return path_error::ok;
}
} // namespace detail

/// Parses the Reverse-path at the start of `s` (the text after "MAIL FROM:"): "<>" or
/// "<" [A-d-l ":"] Mailbox ">". On success `out` is set and `rest` is the text after
/// the '>' (" SIZE=10 BODY=8BITMIME", "" or anything else: the parameter reader judges
/// it). Views in `out` and `rest` point into `s`. On error `out` and `rest` are empty.
/// "<postmaster>" is refused (postmaster_not_allowed): it has no domain.
[[nodiscard]] constexpr path_error parse_reverse_path(std::string_view s, const path_options& opt,
                                                      path& out, std::string_view& rest) noexcept {
    return detail::parse_path(s, opt, false, out, rest);
}

/// Parses the Forward-path at the start of `s` (the text after "RCPT TO:"), as
/// parse_reverse_path() does, except that "<>" is refused (null_path_not_allowed) and
/// "<postmaster>" in any case is accepted as path_kind::postmaster.
/// "<Postmaster@example.com>" is an ordinary mailbox.
[[nodiscard]] constexpr path_error parse_forward_path(std::string_view s, const path_options& opt,
                                                      path& out, std::string_view& rest) noexcept {
    return detail::parse_path(s, opt, true, out, rest);
}

/// True when `p` holds non-ASCII bytes, so it is valid only if the MAIL command carried
/// SMTPUTF8. Parameters follow the path, so a server parses MAIL's path with `utf8` set
/// when it offers SMTPUTF8, then the parameters, and refuses the command when this is
/// true but the SMTPUTF8 parameter was not given (RFC 6531 §3.4; 553 5.6.7).
[[nodiscard]] constexpr bool needs_smtputf8(const path& p) noexcept {
    return ascii::has_non_ascii(p.raw);
}

} // namespace v0
} // namespace smtpwire

#endif
