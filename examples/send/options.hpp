// smtpwire-send's command line: the options, and a parser driven by one table of flags.
// RFC 5321 §4.1.1.1 (the HELO name), §4.1.2 (addresses), §4.5.3.2 (client timeouts);
// RFC 3207 and 8314 (STARTTLS, implicit TLS), RFC 4954 (AUTH), RFC 7628 (OAUTHBEARER);
// RFC 3461 (DSN requests), RFC 3030 (BDAT).
#ifndef SMTPWIRE_SEND_OPTIONS_HPP
#define SMTPWIRE_SEND_OPTIONS_HPP

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "smtpwire/client_session.hpp"
#include "smtpwire/dsn.hpp"

namespace sender {

/// Where a recipient was named: the To or Cc header, or the envelope only.
enum class recipient_kind { to, cc, bcc };

/// One envelope recipient, in command-line order.
struct recipient {
    recipient_kind kind = recipient_kind::to;
    std::string address;
};

/// When to upgrade the connection with STARTTLS (RFC 3207).
enum class starttls_mode {
    none,           // never
    opportunistic,  // when offered, without checking the certificate; in clear otherwise
    required,       // always, with the certificate checked; no mail without it
};

/// Everything the command line can set.
struct options {
    std::string server_host;
    std::string server_port;
    std::optional<std::string> from;            // "" is the null reverse path <>
    std::vector<recipient> recipients;
    std::optional<std::string> subject;         // set: compose a message around stdin
    std::string helo;                           // empty: the machine's host name
    std::optional<std::string> message_file;    // unset (and no subject): the message on stdin
    // DSN requests (RFC 3461), sent only when the server offers DSN.
    smtpwire::dsn_return ret = smtpwire::dsn_return::unspecified;  // --ret FULL|HDRS
    std::string envid;                          // --envid as given (sent xtext-encoded); empty: none
    smtpwire::dsn_notify notify;                // --notify, for every recipient; nothing set: none
    std::string orcpt;                          // --orcpt "addr-type;address", for every recipient
    std::optional<std::chrono::seconds> timeout;  // unset: RFC 5321 §4.5.3.2's values
    smtpwire::bdat_policy bdat = smtpwire::bdat_policy::automatic;  // --bdat auto|always|never
    bool lmtp = false;                                              // --lmtp: LHLO, a reply per recipient
    starttls_mode starttls = starttls_mode::opportunistic;  // none when built without TLS
    bool starttls_given = false;                // --starttls was on the command line
    bool implicit_tls = false;                  // --tls: TLS from the first byte
    std::optional<std::string> tls_ca;          // trust only these CA certificates
    bool tls_no_verify = false;                 // encrypt without checking the certificate
    std::optional<std::string> auth_user;       // set: authenticate (SMTP AUTH)
    std::optional<std::string> auth_password;   // --auth USER:PASS: authenticate with a password
    bool auth_user_given = false;               // --auth-user was on the command line
    std::optional<std::string> auth_token_file; // set: authenticate with the bearer token in it
    std::string auth_token;                     // read from auth_token_file by read_token()
    std::optional<std::string> auth_mechanism;  // the one mechanism to use, upper case
    bool verbose = false;                       // log the dialogue to stderr
    bool help = false;
};

/// What parse_options() found.
enum class parse_result {
    run,      // `out` is complete and consistent
    help,     // --help was given
    invalid,  // an unknown flag, a bad value, or a missing or conflicting flag; see `error`
};

/// Reads argv[1..argc) into `out`. Flags take their value as the next argument or after
/// '=' ("--server=127.0.0.1:25"). --server, --from and a recipient are required;
/// --subject and --message exclude each other, and so do --tls and --starttls, and
/// --tls-ca and --tls-no-verify; those two need verified TLS (--tls or --starttls
/// required). Without TLS built in, every TLS flag is refused. AUTH takes a password
/// (--auth USER:PASS) or a bearer token (--auth-user and --auth-token-file), not both, and
/// --auth-mech one of the mechanisms that credential serves. The DSN values (--ret,
/// --envid, --notify, --orcpt) are refused here unless client_session can send them.
/// The --auth password is never repeated in `error`; the token file is not read here.
parse_result parse_options(int argc, char** argv, options& out, std::string& error);

/// Writes the usage text, one line per flag, and the TLS library (or "built without
/// TLS") to `to`.
void print_usage(std::FILE* to);

} // namespace sender

#endif
