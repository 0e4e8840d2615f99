// smtpwire-serve's command line: the options, and a parser driven by one table of flags.
// RFC 1870 (SIZE), RFC 5321 §4.5.3.1.8 (recipients), RFC 3207 and 8314 (TLS), RFC 4954 (AUTH);
// HAProxy's PROXY protocol.
#ifndef SMTPWIRE_SERVE_OPTIONS_HPP
#define SMTPWIRE_SERVE_OPTIONS_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "smtpwire/limits.hpp"
#include "smtpwire/timeouts.hpp"

namespace serve {

/// A user --auth lets in, and the password that proves it.
struct credentials {
    std::string user;
    std::string password;
};

/// Everything the command line can set, with the defaults of a bare `smtpwire-serve`.
struct options {
    std::string listen_host = "127.0.0.1";
    std::string listen_port = "2525";               // "0": the system picks a free port
    std::string maildir = "./mail";
    std::string hostname;                           // empty: the machine's host name
    std::uint64_t max_size = smtpwire::limits{}.message_size;     // 0: no limit
    std::size_t max_recipients = smtpwire::limits{}.recipients;
    std::size_t max_connections = 1000;             // beyond it: 421 4.7.0, then closed
    unsigned workers = 1;                           // event loops, a thread each, one port
    std::chrono::milliseconds timeout = smtpwire::server_timeouts{}.command;
    std::vector<std::string> reject_rcpt;           // fnmatch(3) patterns, matched caselessly
    std::vector<std::string> defer_rcpt;            // against the recipient's mailbox value
    bool lmtp = false;                              // speak LMTP (RFC 2033), not SMTP
    std::vector<std::string> reject_delivery;       // LMTP: patterns of recipients refused
    std::vector<std::string> defer_delivery;        // (550) or deferred (450) after the data
    bool discard = false;                           // read messages, store nothing
    bool received = false;                          // prepend a Received field to each message
    std::string tls_cert;                           // PEM certificate chain: TLS is offered
    std::string tls_key;                            // PEM private key of tls_cert
    bool tls_implicit = false;                      // TLS from the first byte, not STARTTLS
    std::vector<credentials> auth;                  // AUTH is offered when not empty
    bool require_auth = false;                      // MAIL before AUTH: 530 5.7.0
    bool dsn = true;                                // offer DSN (RFC 3461)
    bool chunking = true;                           // offer CHUNKING and BINARYMIME (RFC 3030)
    bool proxy_protocol = false;                    // a PROXY header opens each connection
    std::optional<std::chrono::milliseconds> proxy_timeout;  // for that header; unset: 5 s
    bool verbose = false;                           // one line per session event on stderr
    bool help = false;
};

/// What parse_options() found.
enum class parse_result {
    run,      // `out` is complete
    help,     // --help was given
    invalid,  // an unknown flag or a bad value; `error` says which
};

/// Reads argv[1..argc) into `out`. Flags take their value as the next argument or after
/// '=' ("--listen=127.0.0.1:0"). Flags that need one another (--tls-cert and --tls-key,
/// --tls-implicit, --require-auth, --proxy-timeout) are checked together, and the TLS
/// flags are refused when the program was built without TLS.
parse_result parse_options(int argc, char** argv, options& out, std::string& error);

/// Writes the usage text, one line per flag, to `to`.
void print_usage(std::FILE* to);

} // namespace serve

#endif
