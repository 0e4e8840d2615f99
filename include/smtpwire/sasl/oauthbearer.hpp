// The OAUTHBEARER SASL mechanism: the client's response, its parser, and the failure exchange.
// RFC 7628 §3.1 (client response), §3.2.2-§3.2.3 (error and its answer), §4 (examples).
#ifndef SMTPWIRE_SASL_OAUTHBEARER_HPP
#define SMTPWIRE_SASL_OAUTHBEARER_HPP

// The client sends one message, base64-encoded: a GS2 header, then key=value pairs each
// ended by ^A (the byte 0x01), then one more ^A:
//     "n,a=user@example.com," ^A "host=server.example.com" ^A "port=143" ^A
//     "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==" ^A ^A
// On success the server answers with success (235 in SMTP). When the token is refused,
// or the auth value is empty (a client asking for the scope it needs, §4.3), the server
// sends a challenge holding a JSON object (oauthbearer_error(); the client reads it with
// parse_bearer_error()), the client answers it with a single ^A (oauthbearer_error_ack),
// and the server then fails the exchange (535 5.7.8 in SMTP). The token crosses the
// wire: RFC 7628 §3 requires TLS.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smtpwire/ascii.hpp"
#include "smtpwire/sasl/bearer.hpp"
#include "smtpwire/sasl/gs2.hpp"

namespace smtpwire {
inline namespace v0 {
namespace sasl {

/// What an OAUTHBEARER client response carries. Views point into the parsed message.
struct oauthbearer_credentials {
    std::string_view authorization_id;  // the gs2-authzid as sent, still a saslname
                                        // ("=2C", "=3D"): decode it with saslname_decode();
                                        // "" when the client sent none
    std::string_view host;              // the "host" value; "" when absent
    std::string_view token;             // the bearer token, a b64token; "" when the auth
                                        // value was empty, the query of RFC 7628 §4.3
    std::uint16_t port = 0;             // the "port" value; 0 when absent
};

/// The client's answer to an error challenge: a single ^A (RFC 7628 §3.2.3).
inline constexpr std::string_view oauthbearer_error_ack = "\x01";
/// oauthbearer_error_ack in base64, as the client's response line carries it.
inline constexpr std::string_view oauthbearer_error_ack_base64 = "AQ==";

namespace detail {
// An authorization identity never needs a control byte, and ^A inside the GS2 header
// would mislead a parser that splits the message at ^A before reading the header.
constexpr bool oauthbearer_authzid_valid(std::string_view authzid) noexcept {
    if (!ascii::is_valid_utf8(authzid)) return false;
    for (char c : authzid)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return false;
    return true;
}

// RFC 7628 §3.1: value = *(VCHAR / SP / HTAB / CR / LF)
constexpr bool oauthbearer_value_valid(std::string_view value) noexcept {
    for (char c : value)
        if (!ascii::is(c, ascii::vchar) && c != ' ' && c != '\t' && c != '\r' && c != '\n')
            return false;
    return true;
}

// "a decimal positive integer string without leading zeros" (RFC 7628 §3.1), 1-65535.
constexpr bool parse_oauthbearer_port(std::string_view s, std::uint16_t& out) noexcept {
    if (s.empty() || s.size() > 5 || s[0] == '0') return false;
    unsigned v = 0;
    for (char c : s) {
        if (!ascii::is_digit(c)) return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > 65535) return false;
    out = static_cast<std::uint16_t>(v);
    return true;
}

constexpr std::size_t decimal_size(std::uint16_t v) noexcept {
    std::size_t n = 1;
    for (unsigned r = v; r >= 10; r /= 10) ++n;
    return n;
}

inline constexpr std::string_view oauthbearer_host_key = "host=";
inline constexpr std::string_view oauthbearer_port_key = "port=";
inline constexpr std::string_view oauthbearer_auth_key = "auth=";
inline constexpr std::string_view oauthbearer_bearer = "Bearer ";
} // namespace detail

/// True when oauthbearer_message() of these makes a message parse_oauthbearer()
/// accepts: `authzid` empty (none) or well-formed UTF-8 without control characters,
/// `host` empty (left out) or visible ASCII only, `token` empty (the scope query of RFC
/// 7628 §4.3) or a b64token (RFC 6750 §2.1). Check it before oauthbearer_message().
[[nodiscard]] constexpr bool oauthbearer_arguments_valid(std::string_view authzid,
                                                         std::string_view host,
                                                         std::string_view token) noexcept {
    return detail::oauthbearer_authzid_valid(authzid) && ascii::all_of(host, ascii::vchar) &&
           (token.empty() || is_b64token(token));
}

/// Length of the OAUTHBEARER message for these arguments.
[[nodiscard]] constexpr std::size_t oauthbearer_message_size(std::string_view authzid,
                                                             std::string_view host,
                                                             std::uint16_t port,
                                                             std::string_view token) noexcept {
    std::size_t n = gs2_header_size(gs2_cb_flag::n, "", authzid) + 1;
    if (!host.empty()) n += detail::oauthbearer_host_key.size() + host.size() + 1;
    if (port != 0) n += detail::oauthbearer_port_key.size() + detail::decimal_size(port) + 1;
    n += detail::oauthbearer_auth_key.size();
    if (!token.empty()) n += detail::oauthbearer_bearer.size() + token.size();
    return n + 2;
}

/// Writes the OAUTHBEARER client response (RFC 7628 §3.1): the GS2 header "n," then
/// "a=" `authzid` as a saslname (left out when empty) and ",", ^A, "host=" `host` ^A
/// (left out when empty), "port=" `port` ^A (left out when 0), "auth=Bearer " `token`
/// ^A, and ^A. An empty `token` writes "auth=" with nothing after it, which asks the
/// server for its error object with the scope and discovery URL (§4.3). Written as
/// given: check the arguments with oauthbearer_arguments_valid() first. Precondition:
/// `out` holds oauthbearer_message_size() bytes. Returns that size.
[[nodiscard]] constexpr std::size_t oauthbearer_message(std::string_view authzid,
                                                        std::string_view host,
                                                        std::uint16_t port,
                                                        std::string_view token,
                                                        char* out) noexcept {
    std::size_t o = write_gs2_header(gs2_cb_flag::n, "", authzid, out);
    out[o++] = '\x01';
    const auto put = [&out, &o](std::string_view s) {
        for (char c : s) out[o++] = c;
    };
    if (!host.empty()) {
        put(detail::oauthbearer_host_key);
        put(host);
        out[o++] = '\x01';
    }
    if (port != 0) {
        put(detail::oauthbearer_port_key);
        const std::size_t digits = detail::decimal_size(port);
        unsigned v = port;
        for (std::size_t k = digits; k > 0; --k, v /= 10)
            out[o + k - 1] = static_cast<char>('0' + v % 10);
        o += digits;
        out[o++] = '\x01';
    }
    put(detail::oauthbearer_auth_key);
    if (!token.empty()) {
        put(detail::oauthbearer_bearer);
        put(token);
    }
    out[o++] = '\x01';
    out[o++] = '\x01';
    return o;
}

/// Parses a decoded OAUTHBEARER client response by RFC 7628 §3.1:
///     gs2-header ^A *( key "=" value ^A ) ^A
/// The GS2 header (RFC 5801 §4) must have the flag "n" or "y", no "F," prefix and no
/// "p=" (OAUTHBEARER defines no channel binding), and an authzid, if any, without
/// control characters. Keys are 1*ALPHA and values *(VCHAR / SP / HTAB / CR / LF), in
/// any order. "auth" must appear; its value is empty (the §4.3 query: answer it with
/// oauthbearer_error()) or "Bearer" (ASCII case ignored), spaces and a b64token (RFC
/// 6750 §2.1). "port" is 1-65535 without leading zeros. "auth", "host" and "port" may
/// appear once each; other keys are checked for syntax and ignored, as §3.1 requires.
/// The single ^A that answers an error challenge is not a client response: compare the
/// message with oauthbearer_error_ack instead. Checking the token, and the host and
/// port against what the server knows (§3.2), is the application's part. On success
/// sets `out` to views into `message` and returns true; otherwise returns false and
/// leaves `out` unchanged.
[[nodiscard]] constexpr bool parse_oauthbearer(std::string_view message,
                                               oauthbearer_credentials& out) noexcept {
    gs2_header h{};
    if (!parse_gs2_header(message, h) || h.nonstandard || h.cb_flag == gs2_cb_flag::p ||
        !detail::oauthbearer_authzid_valid(h.authzid))
        return false;
    std::string_view rest = message.substr(h.size);
    if (rest.empty() || rest[0] != '\x01') return false;
    rest.remove_prefix(1);
    oauthbearer_credentials c{};
    c.authorization_id = h.authzid;
    bool has_auth = false;
    bool has_host = false;
    bool has_port = false;
    for (;;) {
        const std::size_t end = rest.find('\x01');
        if (end == std::string_view::npos) return false;
        if (end == 0) {
            if (rest.size() != 1) return false;
            break;
        }
        const std::string_view pair = rest.substr(0, end);
        rest.remove_prefix(end + 1);
        std::size_t eq = 0;
        while (eq < pair.size() && ascii::is_alpha(pair[eq])) ++eq;
        if (eq == 0 || eq == pair.size() || pair[eq] != '=') return false;
        const std::string_view key = pair.substr(0, eq);
        const std::string_view value = pair.substr(eq + 1);
        if (!detail::oauthbearer_value_valid(value)) return false;
        if (key == "auth") {
            if (has_auth) return false;
            has_auth = true;
            if (!value.empty() && !parse_bearer_credentials(value, c.token)) return false;
        } else if (key == "host") {
            if (has_host) return false;
            has_host = true;
            c.host = value;
        } else if (key == "port") {
            if (has_port || !detail::parse_oauthbearer_port(value, c.port)) return false;
            has_port = true;
        }
    }
    if (!has_auth) return false;
    out = c;
    return true;
}

/// Length of the error object oauthbearer_error() writes.
[[nodiscard]] constexpr std::size_t oauthbearer_error_size(
    std::string_view status, std::string_view scope,
    std::string_view openid_configuration) noexcept {
    const detail::json_member members[] = {{"status", status, true},
                                           {"scope", scope, false},
                                           {"openid-configuration", openid_configuration, false}};
    return detail::json_object_size(members, 3);
}

/// Writes the JSON error object of RFC 7628 §3.2.2, which a server sends base64-encoded
/// in a challenge when it refuses a token or answers the §4.3 query:
/// {"status":status,"scope":scope,"openid-configuration":openid_configuration}, without
/// whitespace; "scope" and "openid-configuration" (both OPTIONAL) are left out when
/// empty. `status` is an OAuth error code such as "invalid_token". Values are written
/// as JSON strings, '"', '\' and control characters escaped (RFC 8259 §7), so any
/// value is safe to pass; other bytes are copied, so the values must be UTF-8.
/// Precondition: `out` holds oauthbearer_error_size() bytes. Returns that size. The
/// server then waits for oauthbearer_error_ack before its failure reply.
[[nodiscard]] constexpr std::size_t oauthbearer_error(std::string_view status,
                                                      std::string_view scope,
                                                      std::string_view openid_configuration,
                                                      char* out) noexcept {
    const detail::json_member members[] = {{"status", status, true},
                                           {"scope", scope, false},
                                           {"openid-configuration", openid_configuration, false}};
    return detail::write_json_object(members, 3, out);
}

} // namespace sasl
} // namespace v0
} // namespace smtpwire

#endif
