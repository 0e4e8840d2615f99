// What a server session is told at construction, and the check that it can be honoured.
// RFC 5321 §4.1.2-3 and §4.5.3.1 (the hostname in replies), RFC 6531 §3.1 (SMTPUTF8, 8BITMIME),
// RFC 3207 (STARTTLS), RFC 8314 §3 (implicit TLS), RFC 4954 (AUTH).
#ifndef SMTPWIRE_SERVER_CONFIG_HPP
#define SMTPWIRE_SERVER_CONFIG_HPP

#include <cstddef>
#include <string_view>

#include "smtpwire/domain.hpp"
#include "smtpwire/extension.hpp"
#include "smtpwire/leniency.hpp"
#include "smtpwire/limits.hpp"
#include "smtpwire/sasl/mechanism.hpp"
#include "smtpwire/timeouts.hpp"

namespace smtpwire {
inline namespace v0 {

/// The extensions server_session implements, and so the only ones it may offer.
inline constexpr extension_set server_extensions{
    extension::pipelining, extension::size, extension::eight_bit_mime, extension::smtputf8,
    extension::enhanced_status_codes, extension::starttls, extension::auth, extension::dsn,
    extension::chunking, extension::binary_mime};

/// The SASL mechanisms server_session can run in an AUTH exchange.
inline constexpr sasl::mechanism_set server_mechanisms{
    sasl::mechanism::plain,   sasl::mechanism::login,       sasl::mechanism::cram_md5,
    sasl::mechanism::xoauth2, sasl::mechanism::oauthbearer, sasl::mechanism::scram_sha_256};

/// SMTP AUTH on a server session (RFC 4954), in use when server_config::extensions has
/// AUTH. The application checks the credentials (auth_request).
struct server_auth {
    /// The mechanisms offered: a subset of server_mechanisms. CRAM-MD5 and SCRAM-SHA-256
    /// also need server_session::seed_nonces() on each session.
    sasl::mechanism_set mechanisms{sasl::mechanism::plain, sasl::mechanism::login};
    /// MAIL before a successful AUTH is answered 530 5.7.0 (RFC 4954 §6).
    bool required = false;
    /// Offer the mechanisms that send the secret itself (PLAIN, LOGIN, XOAUTH2,
    /// OAUTHBEARER; sasl::sends_secret_in_clear) also without TLS. Off (the default),
    /// they are announced only under TLS, and AUTH with one in clear is answered
    /// 538 5.7.11 (RFC 4954 §4, §6). Turn on only for a development sink or a
    /// connection protected some other way.
    bool allow_in_clear = false;
    /// Offer AUTH only inside TLS, whatever the mechanism: in clear it is not announced,
    /// and AUTH is answered 538 5.7.11 (a submission server whose clients must use TLS,
    /// RFC 8314 §3.3). Takes precedence over allow_in_clear.
    bool require_tls = false;
};

/// Everything a server session is told at construction. Strings are copied.
struct server_config {
    /// The name in the greeting, EHLO and QUIT replies: a Domain or an address-literal
    /// (RFC 5321 §4.1.2, §4.1.3), ASCII only (an internationalised name in its A-label
    /// form), at most 255 octets. Anything else is config_error::invalid_hostname or
    /// hostname_too_long.
    std::string_view hostname = "localhost";
    /// Extensions announced after EHLO and honoured in MAIL parameters: a subset of
    /// server_extensions, with 8BITMIME whenever SMTPUTF8 is offered. STARTTLS here
    /// means the application can start TLS on this connection: it is announced, and the
    /// command served, only while TLS is not active (RFC 3207 §4.2).
    extension_set extensions{extension::pipelining, extension::size, extension::eight_bit_mime,
                             extension::smtputf8, extension::enhanced_status_codes};
    smtpwire::limits limits{};
    smtpwire::leniency leniency{};
    bare_newline_policy bare_newlines = bare_newline_policy::reject;
    pipelining_policy early_input = pipelining_policy::reject;
    server_timeouts timeouts{};
    /// The connection is TLS from its first byte (RFC 8314 §3, "submissions" on port
    /// 465): the session starts as it is after a STARTTLS handshake, without one.
    bool implicit_tls = false;
    /// AUTH's mechanisms and policy.
    server_auth auth{};
    /// Speak LMTP (RFC 2033) instead of SMTP: the greeting says LMTP, LHLO replaces
    /// HELO and EHLO (which are answered 500), PIPELINING and ENHANCEDSTATUSCODES are
    /// always in effect, and a message gets one reply per accepted recipient (see
    /// message_end). Allocates room for limits::recipients replies (8 octets each) and
    /// limits::output_buffer octets of replies that wait for their turn.
    bool lmtp = false;
};

/// Why a server_config cannot be honoured. A session built from such a configuration
/// writes nothing and closes at once (close_reason::invalid_config).
enum class config_error {
    ok,
    /// `extensions` offers one server_session does not implement (not in
    /// server_extensions: REQUIRETLS).
    unsupported_extension,
    /// AUTH offered with no mechanism, or with one outside server_mechanisms.
    unsupported_mechanism,
    /// SMTPUTF8 offered without 8BITMIME; RFC 6531 §3.1 requires a server offering
    /// SMTPUTF8 to support and announce 8BITMIME.
    smtputf8_without_8bitmime,
    /// BINARYMIME offered without CHUNKING: such content can only be sent with BDAT
    /// (RFC 3030 §3).
    binarymime_without_chunking,
    /// `hostname` is empty, or not a Domain or address-literal (RFC 5321 §4.1.2-3),
    /// or not ASCII: it would put a malformed name, or CR LF, in the greeting.
    invalid_hostname,
    /// `hostname` is longer than a domain may be (255 octets, RFC 5321 §4.5.3.1.2),
    /// which is also what keeps every reply line carrying it within 512 octets
    /// (§4.5.3.1.5).
    hostname_too_long,
};

/// A short English description of `e`.
constexpr std::string_view to_string(config_error e) noexcept {
    switch (e) {
    case config_error::ok: return "ok";
    case config_error::unsupported_extension: return "extension not implemented by the server";
    case config_error::unsupported_mechanism: return "AUTH without mechanisms, or with one not implemented";
    case config_error::smtputf8_without_8bitmime: return "SMTPUTF8 offered without 8BITMIME";
    case config_error::binarymime_without_chunking: return "BINARYMIME offered without CHUNKING";
    case config_error::invalid_hostname: return "hostname is not a domain or address literal";
    case config_error::hostname_too_long: return "hostname longer than 255 octets";
    }
    return "unknown config_error";
}

/// Checks that a server_session can honour `config`; the first problem found, in the
/// order of config_error's enumerators, or config_error::ok. server_session runs the
/// same check at construction (see server_session::config_status()).
[[nodiscard]] constexpr config_error check_config(const server_config& config) noexcept {
    for (std::size_t v = 0; v < detail::extension_keywords.size(); ++v) {
        const auto e = static_cast<extension>(v);
        if (config.extensions.has(e) && !server_extensions.has(e))
            return config_error::unsupported_extension;
    }
    if (config.extensions.has(extension::auth)) {
        if (config.auth.mechanisms.empty()) return config_error::unsupported_mechanism;
        for (sasl::mechanism m : sasl::strongest_first)
            if (config.auth.mechanisms.has(m) && !server_mechanisms.has(m))
                return config_error::unsupported_mechanism;
    }
    if (config.extensions.has(extension::smtputf8) &&
        !config.extensions.has(extension::eight_bit_mime))
        return config_error::smtputf8_without_8bitmime;
    if (config.extensions.has(extension::binary_mime) && !config.extensions.has(extension::chunking))
        return config_error::binarymime_without_chunking;
    switch (check_domain_or_literal(config.hostname, false)) {
    case domain_error::ok: return config_error::ok;
    case domain_error::too_long: return config_error::hostname_too_long;
    default: return config_error::invalid_hostname;
    }
}

} // namespace v0
} // namespace smtpwire

#endif
