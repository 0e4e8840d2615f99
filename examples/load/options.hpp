// smtpwire-load's command line: the server, how many sessions and messages, and their shape.
// RFC 2920 (pipelining, on unless --no-pipelining), RFC 3030 (BDAT with --bdat).
#ifndef SMTPWIRE_LOAD_OPTIONS_HPP
#define SMTPWIRE_LOAD_OPTIONS_HPP

#include <cstddef>
#include <cstdio>
#include <string>

namespace load {

/// Everything the command line can set.
struct options {
    std::string server_host;
    std::string server_port;
    std::size_t sessions = 1;      // connections open at once
    std::size_t messages = 1;      // messages in all, shared among the sessions
    std::size_t size = 1024;       // octets of content per message, headers included
    std::size_t recipients = 1;    // RCPT commands per message
    bool per_connection = false;   // one message per connection, then QUIT and reconnect
    bool pipelining = true;        // --no-pipelining: one command per round trip
    bool bdat = false;             // --bdat: bdat_policy::always, else never (DATA)
    bool help = false;
};

/// What parse_options() found.
enum class parse_result {
    run,      // `out` is complete
    help,     // --help was given
    invalid,  // an unknown flag, a bad value or no --server; see `error`
};

/// Reads argv[1..argc) into `out`. --server is required; the counts must be above 0
/// (--size may be 0).
parse_result parse_options(int argc, char** argv, options& out, std::string& error);

/// Writes the usage text, one line per flag, to `to`.
void print_usage(std::FILE* to);

} // namespace load

#endif
