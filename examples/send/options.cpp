// smtpwire-send's flag table, read by the examples' common command-line parser.
// RFC 5321 §4.1.1.1 (the HELO name), §4.1.2 (addresses), §4.5.3.2 (client timeouts);
// RFC 3207, 8314 (TLS), RFC 4954 and 4616 (AUTH and PLAIN's limits), RFC 7628 and 6750
// (OAUTHBEARER and its bearer token), RFC 3461 §4 (DSN's NOTIFY, ORCPT, RET and ENVID),
// RFC 3030 (BDAT).
#include "options.hpp"

#include <string_view>

#include "../common/cli.hpp"
#include "smtpwire/ascii.hpp"
#include "smtpwire/client_session.hpp"
#include "smtpwire/domain.hpp"
#include "smtpwire/mailbox.hpp"
#include "smtpwire/sasl/mechanism.hpp"
#include "smtpwire/sasl/oauthbearer.hpp"
#include "smtpwire/sasl/plain.hpp"
#include "tls.hpp"

namespace sender {
namespace {

// An RFC 5321 Mailbox (local-part "@" domain, UTF-8 admitted as RFC 6531 allows).
bool is_mailbox(std::string_view v) {
    smtpwire::mailbox parsed;
    return smtpwire::parse_mailbox(v, true, parsed) == smtpwire::mailbox_error::ok;
}

template <recipient_kind Kind>
bool add_recipient(options& o, std::string_view v) {
    o.recipients.push_back({Kind, std::string(v)});
    return is_mailbox(v);
}

// Whether `mechanism` (as --auth-mech stores it) sends a bearer token, not a password.
bool sends_token(const std::string& mechanism) {
    smtpwire::sasl::mechanism m{};
    return smtpwire::sasl::parse_mechanism(mechanism, m) &&
           (m == smtpwire::sasl::mechanism::xoauth2 || m == smtpwire::sasl::mechanism::oauthbearer);
}

constexpr cli::flag<options> flags[] = {
    {"--server", "HOST:PORT", "the SMTP server to send to (required)",
     [](options& o, std::string_view v) {
         return cli::split_host_port(v, o.server_host, o.server_port);
     }},
    {"--from", "ADDR", "envelope sender and From address (required; \"\" for <>)",
     [](options& o, std::string_view v) {
         o.from = std::string(v);
         return v.empty() || is_mailbox(v);
     }},
    {"--to", "ADDR", "recipient, listed in To (repeatable)", add_recipient<recipient_kind::to>},
    {"--cc", "ADDR", "recipient, listed in Cc (repeatable)", add_recipient<recipient_kind::cc>},
    {"--bcc", "ADDR", "recipient, in the envelope only (repeatable)",
     add_recipient<recipient_kind::bcc>},
    {"--subject", "TEXT", "compose a message with this subject around the text on stdin",
     [](options& o, std::string_view v) { o.subject = std::string(v); return true; }},
    {"--helo", "NAME", "name sent with EHLO (default: this host's name)",
     [](options& o, std::string_view v) {
         o.helo = std::string(v);
         return smtpwire::check_domain_or_literal(v, false) == smtpwire::domain_error::ok;
     }},
    {"--message", "FILE", "send this message as it is (default: the message on stdin)",
     [](options& o, std::string_view v) { o.message_file = std::string(v); return !v.empty(); }},
    {"--ret", "FULL|HDRS", "DSN: a failure notice returns the whole message or its header",
     [](options& o, std::string_view v) {
         if (smtpwire::ascii::iequals(v, "FULL")) o.ret = smtpwire::dsn_return::full;
         else if (smtpwire::ascii::iequals(v, "HDRS")) o.ret = smtpwire::dsn_return::headers;
         else return false;
         return true;
     }},
    {"--envid", "ID", "DSN: an identifier for this message (printable ASCII, no spaces)",
     [](options& o, std::string_view v) {
         o.envid = std::string(v);
         return smtpwire::envid_argument_valid(v);
     }},
    {"--notify", "WHEN", "DSN for every recipient: NEVER, or any of SUCCESS,FAILURE,DELAY",
     [](options& o, std::string_view v) { return smtpwire::parse_notify(v, o.notify); }},
    {"--orcpt", "ADDR-TYPE;ADDR", "DSN for every recipient: the original one (rfc822;a@example.net)",
     [](options& o, std::string_view v) {
         o.orcpt = std::string(v);
         return smtpwire::orcpt_argument_valid(v);
     }},
    {"--lmtp", "", "speak LMTP (RFC 2033) to a local delivery agent: LHLO, and a reply per recipient after the content",
     [](options& o, std::string_view) { o.lmtp = true; return true; }},
    {"--bdat", "auto|always|never", "send the content with BDAT (CHUNKING): when offered (default), only, or never",
     [](options& o, std::string_view v) {
         if (v == "auto") o.bdat = smtpwire::bdat_policy::automatic;
         else if (v == "always") o.bdat = smtpwire::bdat_policy::always;
         else if (v == "never") o.bdat = smtpwire::bdat_policy::never;
         else return false;
         return true;
     }},
    {"--timeout", "SECONDS", "give up on any wait after SECONDS (default: RFC 5321's, 2-10 min)",
     [](options& o, std::string_view v) { return cli::parse_seconds(v, o.timeout.emplace()); }},
    {"--starttls", "MODE", "none, opportunistic (default) or required: see TLS below",
     [](options& o, std::string_view v) {
         o.starttls_given = true;
         if (v == "none") o.starttls = starttls_mode::none;
         else if (v == "opportunistic") o.starttls = starttls_mode::opportunistic;
         else if (v == "required") o.starttls = starttls_mode::required;
         else return false;
         return true;
     }},
    {"--tls", "", "implicit TLS: TLS from the first byte (port 465), certificate checked",
     [](options& o, std::string_view) { o.implicit_tls = true; return true; }},
    {"--tls-ca", "FILE", "trust only the CA certificates in FILE (PEM)",
     [](options& o, std::string_view v) { o.tls_ca = std::string(v); return !v.empty(); }},
    {"--tls-no-verify", "", "encrypt without checking the server's certificate",
     [](options& o, std::string_view) { o.tls_no_verify = true; return true; }},
    {"--auth", "USER:PASS", "authenticate (SMTP AUTH; split at the first ':'), or send nothing",
     [](options& o, std::string_view v) {
         // Checked in parse_options(), whose errors never repeat the password; an
         // empty user stands for a value without ':'.
         const std::size_t colon = v.find(':');
         o.auth_user.emplace(colon == std::string_view::npos ? std::string_view{} : v.substr(0, colon));
         o.auth_password = colon == std::string_view::npos ? std::string() : std::string(v.substr(colon + 1));
         return true;
     }},
    {"--auth-user", "USER", "the account the token is for (with --auth-token-file)",
     [](options& o, std::string_view v) {
         o.auth_user = std::string(v);
         o.auth_user_given = true;
         // What XOAUTH2 and OAUTHBEARER can carry: UTF-8 without control characters.
         return !v.empty() && smtpwire::sasl::oauthbearer_arguments_valid(v, {}, {});
     }},
    {"--auth-token-file", "PATH",
     "authenticate with the OAuth 2.0 bearer token in PATH: see OAuth 2.0 below",
     [](options& o, std::string_view v) { o.auth_token_file = std::string(v); return !v.empty(); }},
    {"--auth-mech", "MECH",
     "only this one: SCRAM-SHA-256, OAUTHBEARER, XOAUTH2, CRAM-MD5, PLAIN or LOGIN",
     [](options& o, std::string_view v) {
         smtpwire::sasl::mechanism m{};
         if (!smtpwire::sasl::parse_mechanism(v, m) || !smtpwire::client_mechanisms.has(m)) return false;
         o.auth_mechanism = std::string(smtpwire::sasl::to_string(m));
         return true;
     }},
    {"-v", "", "log the dialogue to stderr (C: client, S: server; AUTH credentials hidden)",
     [](options& o, std::string_view) { o.verbose = true; return true; }},
    {"--help", "", "show this help",
     [](options& o, std::string_view) { o.help = true; return true; }},
};

// The first TLS flag given when smtpwire-send has no TLS, or null.
const char* tls_flag_without_tls(const options& o) {
    if (tls_built_in) return nullptr;
    if (o.implicit_tls) return "--tls";
    if (o.tls_ca) return "--tls-ca";
    if (o.tls_no_verify) return "--tls-no-verify";
    if (o.starttls != starttls_mode::none) return "--starttls";
    return nullptr;
}

} // namespace

parse_result parse_options(int argc, char** argv, options& out, std::string& error) {
    // Without TLS built in, STARTTLS is never tried unless asked for (and then refused).
    if (!tls_built_in) out.starttls = starttls_mode::none;
    if (!cli::parse_flags(argc, argv, flags, out, error)) return parse_result::invalid;
    if (out.help) return parse_result::help;
    const bool verified_tls = out.implicit_tls || out.starttls == starttls_mode::required;
    if (const char* flag = tls_flag_without_tls(out))
        error = std::string(flag) + ": smtpwire-send was built without TLS";
    else if (out.implicit_tls && out.starttls_given)
        error = "--tls starts TLS at once and --starttls upgrades a connection in clear: give one";
    else if (out.tls_ca && out.tls_no_verify)
        error = "--tls-ca checks the certificate and --tls-no-verify does not: give one";
    else if ((out.tls_ca || out.tls_no_verify) && !verified_tls)
        error = std::string(out.tls_ca ? "--tls-ca" : "--tls-no-verify") +
                " is for checked TLS: give --tls or --starttls required (opportunistic STARTTLS "
                "checks no certificate)";
    else if (out.auth_password && (out.auth_user_given || out.auth_token_file))
        error = "--auth authenticates with a password and --auth-user with --auth-token-file with "
                "a token: give one";
    else if (out.auth_user_given != out.auth_token_file.has_value())
        error = "--auth-user and --auth-token-file go together: the account and its token";
    else if (out.auth_mechanism && !out.auth_user)
        error = "--auth-mech needs --auth, or --auth-user and --auth-token-file";
    else if (out.auth_mechanism && sends_token(*out.auth_mechanism) && !out.auth_token_file)
        error = "--auth-mech " + *out.auth_mechanism +
                " sends a bearer token: give --auth-user and --auth-token-file";
    else if (out.auth_mechanism && !sends_token(*out.auth_mechanism) && !out.auth_password)
        error = "--auth-mech " + *out.auth_mechanism + " sends a password: give --auth USER:PASS";
    else if (out.auth_password && out.auth_user->empty())
        error = "--auth needs USER:PASS with a user name before the first ':'";
    else if (out.auth_password &&
             !smtpwire::sasl::plain_arguments_valid({}, *out.auth_user, *out.auth_password))
        error = "--auth: the user name and the password must each be 1 to 255 octets of UTF-8";
    else if (out.auth_token_file &&
             !smtpwire::sasl::oauthbearer_arguments_valid({}, out.server_host, {}))
        error = "--server: OAUTHBEARER sends the host name, which must be ASCII (an IDN in its "
                "xn-- form)";
    else if (out.server_host.empty())
        error = "--server is required";
    else if (!out.from)
        error = "--from is required";
    else if (out.recipients.empty())
        error = "no recipient: give --to, --cc or --bcc";
    else if (out.subject && out.message_file)
        error = "--subject composes a message and --message sends one as it is: give one";
    else
        return parse_result::run;
    return parse_result::invalid;
}

void print_usage(std::FILE* to) {
    std::fputs("usage: smtpwire-send --server HOST:PORT --from ADDR --to ADDR [options]\n"
               "Sends one message over SMTP and prints one line per recipient:\n"
               "  ADDR CODE ENHANCED-CODE TEXT  (\"-\" for a code the server did not give)\n"
               "Exit status: 0 delivered to all, 75 a temporary failure, 69 a permanent one,\n"
               "64 a usage error.\n\n",
               to);
    cli::print_flags(to, flags);
    std::fputs("\nAUTH: the strongest mechanism both sides offer unless --auth-mech. OAuth 2.0\n"
               "(OAUTHBEARER, XOAUTH2): --auth-token-file reads the token from a file, not from\n"
               "the command line, where other local users could read it in the process list\n"
               "(ps); a program's output is given as <(program). One final line end is dropped.\n"
               "OAUTHBEARER names the server as --server does (RFC 7628 host and port).\n"
               "\nDSN (RFC 3461): --ret, --envid, --notify and --orcpt are sent only when the\n"
               "server offers DSN, and are left out otherwise. Values are given as they are;\n"
               "ENVID and the ORCPT address are sent xtext-encoded. CR, LF and NUL are refused.\n"
               "\nBDAT (RFC 3030): with CHUNKING offered the message goes in BDAT chunks, as it is\n"
               "but with every line ending in CRLF, instead of DATA's dot-stuffed text. --bdat\n"
               "always sends nothing to a server without CHUNKING; --bdat never always uses DATA.\n",
               to);
    if (!tls_built_in) {
        std::fputs("\nTLS: built without TLS (--tls, --tls-ca, --tls-no-verify and --starttls\n"
                   "other than none are refused).\n",
                   to);
        return;
    }
    std::fprintf(to,
                 "\nTLS (%s): opportunistic STARTTLS encrypts when the server\n"
                 "offers it, without checking its certificate. --starttls required and --tls\n"
                 "check it against OpenSSL's default store (SSL_CERT_FILE, SSL_CERT_DIR) or\n"
                 "--tls-ca, for the name or address in --server, and send no mail without TLS.\n"
                 "With --auth and no TLS to be had (unless required), the password goes in\n"
                 "clear, with a warning; a token from --auth-token-file never does.\n",
                 tls_client::library_version().c_str());
}

} // namespace sender
