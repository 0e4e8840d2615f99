// Domain names and address literals as SMTP commands carry them (mailboxes, EHLO/HELO).
// RFC 5321 §4.1.2 (Domain), §4.1.3 (address-literal), §4.5.3.1.2; RFC 6531 §3.3 (U-labels).
#ifndef SMTPWIRE_DOMAIN_HPP
#define SMTPWIRE_DOMAIN_HPP

#include <cstddef>
#include <string_view>

#include "smtpwire/ascii.hpp"

namespace smtpwire {
inline namespace v0 {

/// Longest domain name or address literal in octets (RFC 5321 §4.5.3.1.2).
inline constexpr std::size_t max_domain_length = 255;

/// Longest label of a domain name in octets (RFC 1035 §2.3.4, RFC 5321 §2.3.5).
inline constexpr std::size_t max_label_length = 63;

/// Why a text is not a Domain or address-literal.
enum class domain_error {
    ok,
    empty,               // nothing at all
    too_long,            // well-formed, but more than max_domain_length octets
    bad_label,           // an empty label, a label over 63 octets, a bad byte or hyphen
    bad_address_literal, // "[...]" that is no IPv4, IPv6 or General-address-literal
    non_ascii,           // a byte >= 0x80 where UTF-8 is not admitted
    invalid_utf8,        // UTF-8 admitted, but the bytes are not well-formed UTF-8
};

/// A short English description of `e`.
constexpr std::string_view to_string(domain_error e) noexcept {
    switch (e) {
    case domain_error::ok: return "ok";
    case domain_error::empty: return "empty domain";
    case domain_error::too_long: return "domain longer than 255 octets";
    case domain_error::bad_label: return "invalid domain label";
    case domain_error::bad_address_literal: return "invalid address literal";
    case domain_error::non_ascii: return "non-ASCII domain without SMTPUTF8";
    case domain_error::invalid_utf8: return "domain is not valid UTF-8";
    }
    return "unknown domain_error";
}

namespace detail {
// Whether s[begin, end) may be a sub-domain = Let-dig [Ldh-str] when its octets are
// letters, digits, hyphens or (U-labels, RFC 6531 §3.3) non-ASCII: 1-63 octets with no
// hyphen at either end.
constexpr bool label_bounds_ok(std::string_view s, std::size_t begin, std::size_t end) noexcept {
    return end > begin && end - begin <= max_label_length && s[begin] != '-' && s[end - 1] != '-';
}

// Snum = 1*3DIGIT, value 0 through 255.
constexpr bool is_snum(std::string_view s) noexcept {
    if (s.empty() || s.size() > 3 || !ascii::all_of(s, ascii::digit)) return false;
    unsigned v = 0;
    for (char c : s) v = v * 10 + static_cast<unsigned>(c - '0');
    return v <= 255;
}

// IPv4-address-literal = Snum 3("." Snum)
constexpr bool is_ipv4(std::string_view s) noexcept {
    for (int k = 0; k < 3; ++k) {
        const std::size_t dot = s.find('.');
        if (dot == std::string_view::npos || !is_snum(s.substr(0, dot))) return false;
        s.remove_prefix(dot + 1);
    }
    return is_snum(s);
}

struct ipv6_groups {
    bool ok = true;
    std::size_t hex = 0; // IPv6-hex groups seen
    bool ipv4 = false;   // ended in an IPv4-address-literal
};

// Reads `s` = empty / IPv6-hex *(":" IPv6-hex), where with `allow_ipv4` the last element
// may instead be an IPv4-address-literal. An empty element (a stray ':') is an error.
constexpr ipv6_groups read_ipv6_groups(std::string_view s, bool allow_ipv4) noexcept {
    ipv6_groups r;
    if (s.empty()) return r;
    for (;;) {
        const std::size_t colon = s.find(':');
        const std::string_view g = s.substr(0, colon);
        if (colon == std::string_view::npos && allow_ipv4 && g.find('.') != std::string_view::npos) {
            r.ok = is_ipv4(g);
            r.ipv4 = true;
            return r;
        }
        if (g.empty() || g.size() > 4 || !ascii::all_of(g, ascii::hex)) {
            r.ok = false;
            return r;
        }
        ++r.hex;
        if (colon == std::string_view::npos) return r;
        s.remove_prefix(colon + 1);
    }
}

// IPv6-addr = IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp. As RFC 5321 (stricter
// than RFC 4291) says, "::" stands for at least two zero groups: at most 6 groups
// besides it, or 4 plus an IPv4 tail. A second "::" (or ":::") leaves an empty group
// on the right-hand side and is refused there.
constexpr bool is_ipv6(std::string_view a) noexcept {
    const std::size_t dc = a.find("::");
    if (dc == std::string_view::npos) {
        const ipv6_groups g = read_ipv6_groups(a, true);
        return g.ok && g.hex == (g.ipv4 ? 6u : 8u);
    }
    const ipv6_groups left = read_ipv6_groups(a.substr(0, dc), false);
    const ipv6_groups right = read_ipv6_groups(a.substr(dc + 2), true);
    if (!left.ok || !right.ok) return false;
    return left.hex + right.hex <= (right.ipv4 ? 4u : 6u);
}

// General-address-literal = Standardized-tag ":" 1*dcontent; Standardized-tag = Ldh-str.
constexpr bool is_general_literal(std::string_view s) noexcept {
    const std::size_t colon = s.find(':');
    if (colon == std::string_view::npos) return false;
    const std::string_view tag = s.substr(0, colon);
    const std::string_view content = s.substr(colon + 1);
    if (tag.empty() || !ascii::is_let_dig(tag.back())) return false;
    for (char c : tag)
        if (!ascii::is_let_dig(c) && c != '-') return false;
    return !content.empty() && ascii::all_of(content, ascii::dcontent);
}

// A run of the octets that may occur in a Domain (letters, digits, '-', '.' and
// non-ASCII), as read_domain_run() found it.
struct domain_run {
    std::size_t end;   // just past the run
    bool labels_ok;    // every label within 1-63 octets, no hyphen at either end
    bool non_ascii;    // an octet >= 0x80 among them
};

// Reads the run of Domain octets that starts at s[begin], checking its labels on the way.
constexpr domain_run read_domain_run(std::string_view s, std::size_t begin) noexcept {
    domain_run run{begin, true, false};
    std::size_t label = begin;  // where the current label begins
    std::size_t i = begin;
    const auto ldh = [p = s.data()](std::size_t at) {
        return ascii::detail::table[static_cast<unsigned char>(p[at])] & ascii::ldh;
    };
    for (;;) {
        // A label's letters, digits and hyphens: four with one test while four remain.
        while (i + 4 <= s.size() && (ldh(i) & ldh(i + 1) & ldh(i + 2) & ldh(i + 3)) != 0) i += 4;
        while (i < s.size() && ldh(i) != 0) ++i;
        if (i == s.size()) break;
        if (s[i] == '.') {
            run.labels_ok = run.labels_ok && label_bounds_ok(s, label, i);
            label = ++i;
        } else if (ascii::is_non_ascii(s[i])) {
            run.non_ascii = true;  // a label octet with utf8, refused without it
            ++i;
        } else {
            break;
        }
    }
    run.end = i;
    run.labels_ok = run.labels_ok && label_bounds_ok(s, label, i);
    return run;
}

// check_domain()'s verdict on s[begin, run.end), in its order of errors.
constexpr domain_error judge_domain_run(std::string_view s, std::size_t begin, const domain_run& run,
                                        bool utf8) noexcept {
    const std::string_view domain(s.data() + begin, run.end - begin);
    if (domain.empty()) return domain_error::empty;
    if (run.non_ascii) {
        if (!utf8) return domain_error::non_ascii;
        if (!ascii::is_valid_utf8(domain)) return domain_error::invalid_utf8;
    }
    if (!run.labels_ok) return domain_error::bad_label;
    return domain.size() > max_domain_length ? domain_error::too_long : domain_error::ok;
}
} // namespace detail

/// Checks that the whole of `s` is a Domain: sub-domain *("." sub-domain), each label
/// 1-63 octets of letters, digits and inner hyphens, at most 255 octets in all; no
/// trailing dot. With `utf8` (SMTPUTF8 in effect) labels may be U-labels: non-ASCII
/// bytes are admitted when the whole is well-formed UTF-8. Only the shape is checked,
/// not the IDNA2008 code point rules (RFC 5892); lengths count octets as received.
/// Errors: empty, non_ascii, invalid_utf8, bad_label, too_long (in that order).
[[nodiscard]] constexpr domain_error check_domain(std::string_view s, bool utf8) noexcept {
    detail::domain_run run = detail::read_domain_run(s, 0);
    if (run.end < s.size()) {
        // An octet no Domain holds: a bad label, unless what follows it is non-ASCII
        // text, which the order of errors puts first.
        run.labels_ok = false;
        run.non_ascii = run.non_ascii || ascii::has_non_ascii(s.substr(run.end));
        run.end = s.size();
    }
    return detail::judge_domain_run(s, 0, run, utf8);
}

/// Checks that the whole of `s` is an address-literal, brackets included: "[IPv4]"
/// (each number 0-255), "[IPv6:...]" in any RFC 5321 §4.1.3 form (full, "::"-compressed,
/// IPv4-embedded; the "IPv6:" tag in any case), or "[tag:content]" with an Ldh-str tag
/// and dcontent. Errors: empty, bad_address_literal, too_long (over 255 octets).
[[nodiscard]] constexpr domain_error check_address_literal(std::string_view s) noexcept {
    if (s.empty()) return domain_error::empty;
    if (s.size() < 2 || s.front() != '[' || s.back() != ']') return domain_error::bad_address_literal;
    const std::string_view content = s.substr(1, s.size() - 2);
    constexpr std::string_view ipv6_tag = "IPv6:";
    bool ok = false;
    if (ascii::istarts_with(content, ipv6_tag))
        ok = detail::is_ipv6(content.substr(ipv6_tag.size()));
    else if (content.find(':') != std::string_view::npos)
        ok = detail::is_general_literal(content);
    else
        ok = detail::is_ipv4(content);
    if (!ok) return domain_error::bad_address_literal;
    return s.size() > max_domain_length ? domain_error::too_long : domain_error::ok;
}

/// Checks a Domain or an address-literal (chosen by a leading '['), as the domain of a
/// Mailbox or the argument of EHLO/HELO is. `utf8` applies to a Domain only: address
/// literals are ASCII. Errors as check_domain() or check_address_literal().
[[nodiscard]] constexpr domain_error check_domain_or_literal(std::string_view s, bool utf8) noexcept {
    if (!s.empty() && s.front() == '[') return check_address_literal(s);
    return check_domain(s, utf8);
}

} // namespace v0
} // namespace smtpwire

#endif
