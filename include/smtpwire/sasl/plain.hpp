// The PLAIN SASL mechanism: the client's single message and the server's parser of it.
// RFC 4616 §2 (message, authzid, authcid, passwd, UTF8-SAFE), §4 (examples), §5 (needs TLS).
#ifndef SMTPWIRE_SASL_PLAIN_HPP
#define SMTPWIRE_SASL_PLAIN_HPP

#include <cstddef>
#include <string_view>

#include "smtpwire/ascii.hpp"

namespace smtpwire {
inline namespace v0 {
namespace sasl {

/// The longest authzid, authcid or passwd parse_plain() accepts. RFC 4616 §2 says a
/// server MUST accept up to 255 octets in each; smtpwire accepts exactly that much.
inline constexpr std::size_t plain_max_part_size = 255;

namespace detail {
// One part of the message: 1*SAFE of at most plain_max_part_size octets, where SAFE is
// any UTF-8 encoded character except NUL (RFC 4616 §2).
constexpr bool plain_part_valid(std::string_view s) noexcept {
    return !s.empty() && s.size() <= plain_max_part_size &&
           s.find('\0') == std::string_view::npos && ascii::is_valid_utf8(s);
}
} // namespace detail

/// True when parse_plain() accepts the message these parts make: `authcid` and
/// `password` non-empty, `authzid` empty (none) or not, and each part at most 255
/// octets of well-formed UTF-8 without NUL. Check it before plain_message().
[[nodiscard]] constexpr bool plain_arguments_valid(std::string_view authzid,
                                                   std::string_view authcid,
                                                   std::string_view password) noexcept {
    return (authzid.empty() || detail::plain_part_valid(authzid)) &&
           detail::plain_part_valid(authcid) && detail::plain_part_valid(password);
}

/// Length of the PLAIN message for these parts.
[[nodiscard]] constexpr std::size_t plain_message_size(std::string_view authzid,
                                                       std::string_view authcid,
                                                       std::string_view password) noexcept {
    return authzid.size() + 1 + authcid.size() + 1 + password.size();
}

/// Writes the PLAIN message `authzid` NUL `authcid` NUL `password` (RFC 4616 §2); an
/// empty `authzid` asks the server to derive the authorization identity from `authcid`.
/// The message is what AUTH PLAIN carries in base64. It is written as given: check the
/// parts with plain_arguments_valid() first. Precondition: `out` holds
/// plain_message_size() bytes. Returns that size.
[[nodiscard]] constexpr std::size_t plain_message(std::string_view authzid,
                                                  std::string_view authcid,
                                                  std::string_view password,
                                                  char* out) noexcept {
    std::size_t o = 0;
    for (char c : authzid) out[o++] = c;
    out[o++] = '\0';
    for (char c : authcid) out[o++] = c;
    out[o++] = '\0';
    for (char c : password) out[o++] = c;
    return o;
}

/// What a PLAIN message carries. Views point into the parsed message.
struct plain_credentials {
    std::string_view authorization_id;  // authzid; empty when the client sent none
    std::string_view user;              // authcid, the identity whose password this is
    std::string_view password;          // passwd
};

/// Parses a decoded PLAIN message by RFC 4616 §2: [authzid] NUL authcid NUL passwd,
/// exactly two NULs, authcid and passwd non-empty, each part at most 255 octets of
/// well-formed UTF-8 (no overlong forms, surrogates or values above U+10FFFF). Any
/// other character is allowed, ':' and spaces in the password included. Checking the
/// password and whether the user may act as the authorization identity is the
/// application's part (RFC 4616 §2 recommends preparing both strings with SASLprep
/// first). On success sets `out` to views into `message` and returns true; on failure
/// returns false and leaves `out` unchanged.
[[nodiscard]] constexpr bool parse_plain(std::string_view message,
                                         plain_credentials& out) noexcept {
    const std::size_t first = message.find('\0');
    if (first == std::string_view::npos) return false;
    const std::size_t second = message.find('\0', first + 1);
    if (second == std::string_view::npos) return false;
    const std::string_view authzid = message.substr(0, first);
    const std::string_view authcid = message.substr(first + 1, second - first - 1);
    const std::string_view password = message.substr(second + 1);
    if (!plain_arguments_valid(authzid, authcid, password)) return false;
    out = plain_credentials{authzid, authcid, password};
    return true;
}

} // namespace sasl
} // namespace v0
} // namespace smtpwire

#endif
