// SASL mechanisms by name, a set of them, and choosing one from what a server offers.
// RFC 4422 §3.1 (mechanism names); RFC 4954 §3 (the AUTH EHLO keyword and its list).
#ifndef SMTPWIRE_SASL_MECHANISM_HPP
#define SMTPWIRE_SASL_MECHANISM_HPP

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "smtpwire/ascii.hpp"

namespace smtpwire {
inline namespace v0 {
namespace sasl {

/// A SASL mechanism smtpwire has building blocks for (IANA "SASL Mechanisms" registry).
enum class mechanism : std::uint8_t {
    plain,          // RFC 4616
    login,          // draft-murchison-sasl-login, never an RFC
    cram_md5,       // RFC 2195
    xoauth2,        // Google's OAuth 2.0 mechanism, also used by Microsoft
    oauthbearer,    // RFC 7628
    scram_sha_256,  // RFC 7677
};

/// The registered name of `m`, upper case ("CRAM-MD5"); "" for a value outside the enum.
constexpr std::string_view to_string(mechanism m) noexcept {
    switch (m) {
    case mechanism::plain: return "PLAIN";
    case mechanism::login: return "LOGIN";
    case mechanism::cram_md5: return "CRAM-MD5";
    case mechanism::xoauth2: return "XOAUTH2";
    case mechanism::oauthbearer: return "OAUTHBEARER";
    case mechanism::scram_sha_256: return "SCRAM-SHA-256";
    }
    return "";
}

/// Sets `out` to the mechanism named `name`, compared without regard to ASCII case
/// ("cram-md5" is CRAM-MD5); returns false and leaves `out` unchanged for any other name,
/// the "-PLUS" channel-binding variants included (they are distinct mechanisms).
[[nodiscard]] constexpr bool parse_mechanism(std::string_view name, mechanism& out) noexcept {
    for (unsigned v = 0;; ++v) {
        const auto m = static_cast<mechanism>(v);
        const std::string_view known = to_string(m);
        if (known.empty()) return false;
        if (ascii::iequals(known, name)) {
            out = m;
            return true;
        }
    }
}

/// A small value set of mechanisms (one bit each).
class mechanism_set {
public:
    constexpr mechanism_set() noexcept = default;
    constexpr mechanism_set(std::initializer_list<mechanism> list) noexcept {
        for (mechanism m : list) add(m);
    }
    [[nodiscard]] constexpr bool has(mechanism m) const noexcept { return (bits_ & bit(m)) != 0; }
    constexpr mechanism_set& add(mechanism m) noexcept { bits_ |= bit(m); return *this; }
    constexpr mechanism_set& remove(mechanism m) noexcept { bits_ &= ~bit(m); return *this; }
    [[nodiscard]] constexpr bool empty() const noexcept { return bits_ == 0; }
    /// The mechanisms in either set.
    friend constexpr mechanism_set operator|(mechanism_set a, mechanism_set b) noexcept {
        a.bits_ |= b.bits_;
        return a;
    }
    friend constexpr bool operator==(mechanism_set a, mechanism_set b) noexcept { return a.bits_ == b.bits_; }
    friend constexpr bool operator!=(mechanism_set a, mechanism_set b) noexcept { return a.bits_ != b.bits_; }

private:
    static constexpr std::uint32_t bit(mechanism m) noexcept {
        return std::uint32_t{1} << static_cast<unsigned>(m);
    }
    std::uint32_t bits_ = 0;
};

/// True when `m` puts the secret itself on the wire (PLAIN and LOGIN the password,
/// XOAUTH2 and OAUTHBEARER the bearer token), so it must only run inside TLS (RFC 4616
/// §5, RFC 7628 §3). False for CRAM-MD5 and SCRAM, which send a proof computed from it.
/// A value outside the enum is answered true, the cautious answer.
[[nodiscard]] constexpr bool sends_secret_in_clear(mechanism m) noexcept {
    switch (m) {
    case mechanism::plain:
    case mechanism::login:
    case mechanism::xoauth2:
    case mechanism::oauthbearer:
        return true;
    case mechanism::cram_md5:
    case mechanism::scram_sha_256:
        return false;
    }
    return true;
}

/// The known mechanisms of the space-separated list an EHLO "AUTH" line carries
/// ("PLAIN LOGIN XOAUTH2", RFC 4954 §3), matched without regard to ASCII case. Names it
/// does not know are ignored, and so are empty names between repeated spaces.
[[nodiscard]] constexpr mechanism_set parse_mechanism_list(std::string_view list) noexcept {
    mechanism_set set;
    while (!list.empty()) {
        const std::size_t sp = list.find(' ');
        mechanism m{};
        if (parse_mechanism(list.substr(0, sp), m)) set.add(m);
        list.remove_prefix(sp == std::string_view::npos ? list.size() : sp + 1);
    }
    return set;
}

/// A default preference order for choose_mechanism(), strongest first:
/// - SCRAM-SHA-256 never sends the password, proves the server knows it too, and lets
///   the server store only salted, iterated hashes;
/// - OAUTHBEARER sends a bearer token, which is scoped, expires and can be revoked
///   without changing the password; it is the standard (RFC 7628) form;
/// - XOAUTH2 sends the same token in Google's older, unstandardised layout;
/// - CRAM-MD5 does not send the password, but an eavesdropper can test guesses against
///   its HMAC-MD5 offline and the server must keep a password equivalent;
/// - PLAIN sends the password itself (under TLS);
/// - LOGIN sends it too, without an authorization identity and in two round trips.
inline constexpr mechanism strongest_first[] = {
    mechanism::scram_sha_256, mechanism::oauthbearer, mechanism::xoauth2,
    mechanism::cram_md5,      mechanism::plain,       mechanism::login,
};

/// Sets `out` to the first of the `count` mechanisms at `preference` that is both in
/// `offered` (the server's AUTH list) and in `allowed` (what the application has
/// credentials for and permits, e.g. without the ones sends_secret_in_clear() names
/// before TLS). Returns false and leaves `out` unchanged when none is. `preference` may
/// be null when `count` is 0.
[[nodiscard]] constexpr bool choose_mechanism(mechanism_set offered, mechanism_set allowed,
                                              const mechanism* preference, std::size_t count,
                                              mechanism& out) noexcept {
    for (std::size_t i = 0; i < count; ++i) {
        if (offered.has(preference[i]) && allowed.has(preference[i])) {
            out = preference[i];
            return true;
        }
    }
    return false;
}

/// choose_mechanism() in the strongest_first order.
[[nodiscard]] constexpr bool choose_mechanism(mechanism_set offered, mechanism_set allowed,
                                              mechanism& out) noexcept {
    return choose_mechanism(offered, allowed, strongest_first,
                            sizeof strongest_first / sizeof strongest_first[0], out);
}

/// Length of the list write_mechanism_list() writes for `set`; 0 for the empty set.
[[nodiscard]] constexpr std::size_t mechanism_list_size(mechanism_set set) noexcept {
    std::size_t n = 0;
    for (unsigned v = 0; !set.empty(); ++v) {  // until every mechanism in it is counted
        const auto m = static_cast<mechanism>(v);
        const std::string_view name = to_string(m);
        if (name.empty()) return n;
        if (!set.has(m)) continue;
        set.remove(m);
        if (n != 0) ++n;
        n += name.size();
    }
    return n;
}

/// Writes the names of the mechanisms in `set`, in enumerator order, separated by single
/// spaces: the parameter of a server's EHLO "AUTH" line (RFC 4954 §3). Precondition:
/// `out` holds mechanism_list_size(set) bytes. Returns that size.
[[nodiscard]] constexpr std::size_t write_mechanism_list(mechanism_set set, char* out) noexcept {
    std::size_t o = 0;
    for (unsigned v = 0; !set.empty(); ++v) {  // until every mechanism in it is written
        const auto m = static_cast<mechanism>(v);
        const std::string_view name = to_string(m);
        if (name.empty()) return o;
        if (!set.has(m)) continue;
        set.remove(m);
        if (o != 0) out[o++] = ' ';
        for (char c : name) out[o++] = c;
    }
    return o;
}

} // namespace sasl
} // namespace v0
} // namespace smtpwire

#endif
