// Google's XOAUTH2 SASL mechanism: the client's message, its parser, and the failure exchange.
// Google's "OAuth 2.0 Mechanism" (developers.google.com/gmail/imap/xoauth2-protocol); RFC 6750 §2.1.
#ifndef SMTPWIRE_SASL_XOAUTH2_HPP
#define SMTPWIRE_SASL_XOAUTH2_HPP

// XOAUTH2 has no RFC; Google's page defines it and Microsoft's servers speak it too.
// The client sends one message, base64-encoded:
//     "user=" user ^A "auth=Bearer " token ^A ^A          (^A is the byte 0x01)
// On success the server answers 235. When the token is refused, the server sends a 334
// challenge holding a JSON object, {"status":"401","schemes":"bearer","scope":"..."};
// the client answers it with an empty response, and the server then sends its failure
// reply (535 5.7.8 in SMTP). OAUTHBEARER (sasl/oauthbearer.hpp) is the standard form of
// the same idea. The token crosses the wire: run it only inside TLS.

#include <cstddef>
#include <initializer_list>
#include <string_view>

#include "smtpwire/ascii.hpp"
#include "smtpwire/sasl/bearer.hpp"

namespace smtpwire {
inline namespace v0 {
namespace sasl {

/// What an XOAUTH2 message carries. Views point into the parsed message.
struct bearer_credentials {
    std::string_view user;   // the account, usually a mailbox
    std::string_view token;  // the OAuth 2.0 access token, a b64token
};

namespace detail {
// The layout has no escaping, so a control byte could end the field early (^A) or
// smuggle a line into a log; a user name never needs one.
constexpr bool xoauth2_user_valid(std::string_view user) noexcept {
    if (user.empty() || !ascii::is_valid_utf8(user)) return false;
    for (char c : user)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return false;
    return true;
}

inline constexpr std::string_view xoauth2_user_key = "user=";
inline constexpr std::string_view xoauth2_auth_key = "\x01" "auth=";
inline constexpr std::string_view xoauth2_bearer = "Bearer ";
inline constexpr std::string_view xoauth2_end = "\x01\x01";
} // namespace detail

/// True when xoauth2_message() of these makes a message parse_xoauth2() accepts:
/// `user` non-empty, well-formed UTF-8 without control characters, and `token` a
/// b64token (RFC 6750 §2.1). Check it before xoauth2_message().
[[nodiscard]] constexpr bool xoauth2_arguments_valid(std::string_view user,
                                                     std::string_view token) noexcept {
    return detail::xoauth2_user_valid(user) && is_b64token(token);
}

/// Length of the XOAUTH2 message for `user` and `token`.
[[nodiscard]] constexpr std::size_t xoauth2_message_size(std::string_view user,
                                                         std::string_view token) noexcept {
    return detail::xoauth2_user_key.size() + user.size() + detail::xoauth2_auth_key.size() +
           detail::xoauth2_bearer.size() + token.size() + detail::xoauth2_end.size();
}

/// Writes the XOAUTH2 client message "user=" user ^A "auth=Bearer " token ^A ^A, which
/// AUTH XOAUTH2 carries in base64. It is written as given: check the arguments with
/// xoauth2_arguments_valid() first. Precondition: `out` holds xoauth2_message_size()
/// bytes. Returns that size.
[[nodiscard]] constexpr std::size_t xoauth2_message(std::string_view user, std::string_view token,
                                                    char* out) noexcept {
    std::size_t o = 0;
    for (std::string_view part : {detail::xoauth2_user_key, user, detail::xoauth2_auth_key,
                                  detail::xoauth2_bearer, token, detail::xoauth2_end})
        for (char c : part) out[o++] = c;
    return o;
}

/// Parses a decoded XOAUTH2 message, strictly in Google's layout: "user=", a user as
/// xoauth2_arguments_valid() requires, ^A, "auth=", Bearer credentials as RFC 6750 §2.1
/// writes them ("Bearer", ignoring ASCII case, one or more spaces, a b64token), and ^A
/// ^A ending the message. No other key, no reordering, no ^A inside a field. Checking
/// the token and that it belongs to the user is the application's part. On success sets
/// `out` to views into `message` and returns true; otherwise returns false and leaves
/// `out` unchanged.
[[nodiscard]] constexpr bool parse_xoauth2(std::string_view message,
                                           bearer_credentials& out) noexcept {
    if (message.substr(0, detail::xoauth2_user_key.size()) != detail::xoauth2_user_key ||
        message.size() < detail::xoauth2_user_key.size() + detail::xoauth2_end.size() ||
        message.substr(message.size() - detail::xoauth2_end.size()) != detail::xoauth2_end)
        return false;
    message.remove_prefix(detail::xoauth2_user_key.size());
    message.remove_suffix(detail::xoauth2_end.size());
    const std::size_t sep = message.find('\x01');
    if (sep == std::string_view::npos) return false;
    const std::string_view user = message.substr(0, sep);
    if (!detail::xoauth2_user_valid(user)) return false;
    const std::string_view rest = message.substr(sep);
    if (rest.substr(0, detail::xoauth2_auth_key.size()) != detail::xoauth2_auth_key) return false;
    std::string_view token;
    if (!parse_bearer_credentials(rest.substr(detail::xoauth2_auth_key.size()), token))
        return false;
    out = bearer_credentials{user, token};
    return true;
}

/// What the client answers an error challenge with: an empty response (in SMTP an empty
/// line, the base64 of nothing).
inline constexpr std::string_view xoauth2_error_ack = "";

/// Length of the error object xoauth2_error() writes.
[[nodiscard]] constexpr std::size_t xoauth2_error_size(std::string_view status,
                                                       std::string_view schemes,
                                                       std::string_view scope) noexcept {
    const detail::json_member members[] = {
        {"status", status, true}, {"schemes", schemes, false}, {"scope", scope, false}};
    return detail::json_object_size(members, 3);
}

/// Writes the JSON error object a server sends, base64-encoded in a challenge, when it
/// refuses an XOAUTH2 token: {"status":status,"schemes":schemes,"scope":scope}, without
/// whitespace, e.g. xoauth2_error("401", "bearer", "https://mail.google.com/", out).
/// "schemes" and "scope" are left out when empty. Values are written as JSON strings,
/// '"', '\' and control characters escaped (RFC 8259 §7), so any value is safe to pass;
/// other bytes are copied, so the values must be UTF-8. Precondition: `out` holds
/// xoauth2_error_size() bytes. Returns that size. The server then waits for the
/// client's empty response before its failure reply.
[[nodiscard]] constexpr std::size_t xoauth2_error(std::string_view status, std::string_view schemes,
                                                  std::string_view scope, char* out) noexcept {
    const detail::json_member members[] = {
        {"status", status, true}, {"schemes", schemes, false}, {"scope", scope, false}};
    return detail::write_json_object(members, 3, out);
}

/// True when `decoded_challenge`, the text of a challenge after base64, is the error
/// object of a refused XOAUTH2 token, as parse_bearer_error() reads it (a JSON object
/// with a non-empty "status"; parse it with that function for the members). The client
/// then answers with xoauth2_error_ack and expects the failure reply.
[[nodiscard]] constexpr bool is_xoauth2_error(std::string_view decoded_challenge) noexcept {
    bearer_error e{};
    return parse_bearer_error(decoded_challenge, e);
}

} // namespace sasl
} // namespace v0
} // namespace smtpwire

#endif
