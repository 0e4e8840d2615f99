// smtpwire-send's command line: the options, and a parser driven by one table of flags.
// RFC 5321 §4.1.1.1 (the HELO name), §4.1.2 (addresses), §4.5.3.2 (client timeouts).
#ifndef SMTPWIRE_SEND_OPTIONS_HPP
#define SMTPWIRE_SEND_OPTIONS_HPP

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace sender {

/// Where a recipient was named: the To or Cc header, or the envelope only.
enum class recipient_kind { to, cc, bcc };

/// One envelope recipient, in command-line order.
struct recipient {
    recipient_kind kind = recipient_kind::to;
    std::string address;
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
    std::optional<std::chrono::seconds> timeout;  // unset: RFC 5321 §4.5.3.2's values
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
/// --subject and --message exclude each other.
parse_result parse_options(int argc, char** argv, options& out, std::string& error);

/// Writes the usage text, one line per flag, to `to`.
void print_usage(std::FILE* to);

} // namespace sender

#endif
