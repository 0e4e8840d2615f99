// The values of the DSN parameters: RET and ENVID of MAIL, NOTIFY and ORCPT of RCPT.
// RFC 3461 §4.1 (NOTIFY), §4.2 (ORCPT), §4.3 (RET), §4.4 (ENVID), §4 (xtext).
#ifndef SMTPWIRE_DSN_HPP
#define SMTPWIRE_DSN_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smtpwire/ascii.hpp"
#include "smtpwire/xtext.hpp"

namespace smtpwire {
inline namespace v0 {

/// RET= of MAIL (RFC 3461 §4.3): what a failure notification returns of the message.
enum class dsn_return : std::uint8_t {
    unspecified,  // no RET parameter: the receiving MTA chooses
    full,         // RET=FULL: the whole message
    headers,      // RET=HDRS: its header only
};

/// The value as written on the wire ("FULL", "HDRS"; "" for unspecified).
constexpr std::string_view to_string(dsn_return r) noexcept {
    switch (r) {
    case dsn_return::unspecified: return "";
    case dsn_return::full: return "FULL";
    case dsn_return::headers: return "HDRS";
    }
    return "";
}

/// NOTIFY= of RCPT (RFC 3461 §4.1): when the recipient's notification is wanted.
/// Nothing set: no NOTIFY parameter. `never` is never set with another.
struct dsn_notify {
    bool never = false;
    bool success = false;
    bool failure = false;
    bool delay = false;

    [[nodiscard]] constexpr bool given() const noexcept { return never || success || failure || delay; }
    [[nodiscard]] constexpr bool valid() const noexcept { return !never || !(success || failure || delay); }
    friend constexpr bool operator==(const dsn_notify& a, const dsn_notify& b) noexcept {
        return a.never == b.never && a.success == b.success && a.failure == b.failure &&
               a.delay == b.delay;
    }
    friend constexpr bool operator!=(const dsn_notify& a, const dsn_notify& b) noexcept { return !(a == b); }
};

/// Longest ENVID value, as sent (RFC 3461 §4.4).
inline constexpr std::size_t dsn_envid_max = 100;
/// Longest ORCPT value, addr-type, ';' and xtext, as sent (RFC 3461 §4.2).
inline constexpr std::size_t dsn_orcpt_max = 500;
/// Longest NOTIFY value written by write_notify(): "SUCCESS,FAILURE,DELAY".
inline constexpr std::size_t dsn_notify_max = 21;

/// Reads a NOTIFY value: "NEVER", or a comma-separated list of SUCCESS, FAILURE and
/// DELAY, in any case and order (a word repeated is harmless). False for anything else,
/// NEVER with another word included; `out` is then unchanged.
[[nodiscard]] constexpr bool parse_notify(std::string_view value, dsn_notify& out) noexcept {
    dsn_notify n;
    for (;;) {
        const std::size_t comma = value.find(',');
        const std::string_view word = value.substr(0, comma);
        if (ascii::iequals(word, "NEVER")) n.never = true;
        else if (ascii::iequals(word, "SUCCESS")) n.success = true;
        else if (ascii::iequals(word, "FAILURE")) n.failure = true;
        else if (ascii::iequals(word, "DELAY")) n.delay = true;
        else return false;
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    if (!n.valid()) return false;
    out = n;
    return true;
}

/// Writes the NOTIFY value of `n` ("NEVER", or the words set, in the order SUCCESS,
/// FAILURE, DELAY). Precondition: `out` holds dsn_notify_max bytes; `n` is given() and
/// valid(). Returns the size written.
[[nodiscard]] constexpr std::size_t write_notify(const dsn_notify& n, char* out) noexcept {
    std::size_t o = 0;
    const auto put = [&](std::string_view word) noexcept {
        if (o != 0) out[o++] = ',';
        for (char c : word) out[o++] = c;
    };
    if (n.never) put("NEVER");
    if (n.success) put("SUCCESS");
    if (n.failure) put("FAILURE");
    if (n.delay) put("DELAY");
    return o;
}

namespace detail {
// True when the xtext `s` decodes to octets of %d33-126, and also SP when `space`.
constexpr bool xtext_decodes_printable(std::string_view s, bool space) noexcept {
    if (!is_xtext(s)) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '+') continue;
        const unsigned octet = xtext_hex_value(s[i + 1]) << 4 | xtext_hex_value(s[i + 2]);
        if ((octet < 33 || octet > 126) && !(space && octet == ' ')) return false;
        i += 2;
    }
    return true;
}
} // namespace detail

/// True when `value` is a valid ENVID as sent: xtext of 1 to dsn_envid_max characters
/// that decodes to printable US-ASCII without SP (RFC 3461 §4.4).
[[nodiscard]] constexpr bool valid_envid(std::string_view value) noexcept {
    return !value.empty() && value.size() <= dsn_envid_max &&
           detail::xtext_decodes_printable(value, false);
}

/// Splits an ORCPT value, addr-type ";" xtext (RFC 3461 §4.2), into `type` ("rfc822",
/// any atom) and `address` (the xtext, still encoded; decode with xtext_decode()).
/// False, leaving both unchanged, when the value is longer than dsn_orcpt_max, the type
/// is not an atom, or the address is empty or does not decode to printable US-ASCII
/// and SP. An address in the "utf-8" type of RFC 6533 passes in its ASCII form.
[[nodiscard]] constexpr bool parse_orcpt(std::string_view value, std::string_view& type,
                                         std::string_view& address) noexcept {
    const std::size_t semicolon = value.find(';');
    if (value.size() > dsn_orcpt_max || semicolon == 0 || semicolon == std::string_view::npos)
        return false;
    const std::string_view t = value.substr(0, semicolon);
    const std::string_view a = value.substr(semicolon + 1);
    if (!ascii::all_of(t, ascii::atext) || a.empty() || !detail::xtext_decodes_printable(a, true))
        return false;
    type = t;
    address = a;
    return true;
}

namespace detail {
// True when every octet of `s` is %d33-126, or also SP when `space`.
constexpr bool printable(std::string_view s, bool space) noexcept {
    for (char c : s)
        if (!ascii::is(c, ascii::vchar) && !(space && c == ' ')) return false;
    return true;
}
} // namespace detail

/// True when `id`, an envelope identifier as the application has it, can be sent as
/// ENVID: 1 or more octets of printable US-ASCII without SP (RFC 3461 §4.4), at most
/// dsn_envid_max once xtext-encoded. CR, LF and NUL are never sendable.
[[nodiscard]] constexpr bool envid_argument_valid(std::string_view id) noexcept {
    return !id.empty() && detail::printable(id, false) && xtext_encoded_size(id) <= dsn_envid_max;
}

/// Writes ENVID's value for `id` (its xtext encoding). Precondition:
/// envid_argument_valid(id); `out` holds dsn_envid_max bytes. Returns the size.
[[nodiscard]] constexpr std::size_t write_envid(std::string_view id, char* out) noexcept {
    return xtext_encode(id, out);
}

/// True when `orcpt`, "addr-type;address" as the application has it ("rfc822;
/// list+tag@example.net"), can be sent as ORCPT: an atom without '=' (RFC 3461 §4.2's
/// addr-type, within RFC 5321's esmtp-value, which has no '='), ';', and an address of
/// 1 or more octets of printable US-ASCII or SP, at most dsn_orcpt_max once the address
/// is xtext-encoded. CR, LF, NUL and UTF-8 are never sendable.
[[nodiscard]] constexpr bool orcpt_argument_valid(std::string_view orcpt) noexcept {
    const std::size_t semicolon = orcpt.find(';');
    if (semicolon == 0 || semicolon == std::string_view::npos) return false;
    const std::string_view type = orcpt.substr(0, semicolon);
    const std::string_view address = orcpt.substr(semicolon + 1);
    return ascii::all_of(type, ascii::atext | ascii::esmtp_value) && !address.empty() &&
           detail::printable(address, true) &&
           semicolon + 1 + xtext_encoded_size(address) <= dsn_orcpt_max;
}

/// Writes ORCPT's value for `orcpt`: the addr-type as given, ';', the address in
/// xtext. Precondition: orcpt_argument_valid(orcpt); `out` holds dsn_orcpt_max bytes.
/// Returns the size.
[[nodiscard]] constexpr std::size_t write_orcpt(std::string_view orcpt, char* out) noexcept {
    const std::size_t semicolon = orcpt.find(';');
    for (std::size_t i = 0; i <= semicolon; ++i) out[i] = orcpt[i];
    return semicolon + 1 + xtext_encode(orcpt.substr(semicolon + 1), out + semicolon + 1);
}

} // namespace v0
} // namespace smtpwire

#endif
