// smtpwire-serve's flag table, read by the examples' common command-line parser.
// RFC 1870 (SIZE); RFC 5321 §4.5.3.1.8 (recipients), §4.5.3.2.7 (timeout), §4.4 (Received).
#include "options.hpp"

#include <string_view>

#include "../common/cli.hpp"

namespace serve {
namespace {

bool set_listen(options& o, std::string_view v) {
    return cli::split_host_port(v, o.listen_host, o.listen_port);
}

bool set_timeout(options& o, std::string_view v) {
    std::chrono::seconds seconds{};
    if (!cli::parse_seconds(v, seconds)) return false;
    o.timeout = seconds;
    return true;
}

constexpr cli::flag<options> flags[] = {
    {"--listen", "HOST:PORT", "address to listen on (default 127.0.0.1:2525; port 0 picks one)",
     set_listen},
    {"--maildir", "DIR", "directory for received messages, created if missing (default ./mail)",
     [](options& o, std::string_view v) { o.maildir = std::string(v); return !v.empty(); }},
    {"--hostname", "NAME", "name in the greeting and EHLO reply (default: this host's name)",
     [](options& o, std::string_view v) { o.hostname = std::string(v); return !v.empty(); }},
    {"--max-size", "BYTES", "largest message accepted, 0 for no limit (default 10240000)",
     [](options& o, std::string_view v) { return cli::parse_number(v, o.max_size); }},
    {"--max-recipients", "N", "most recipients per message (default 1000)",
     [](options& o, std::string_view v) {
         return cli::parse_number(v, o.max_recipients) && o.max_recipients > 0;
     }},
    {"--max-connections", "N", "most simultaneous connections; others get 421 4.7.0 (default 1000)",
     [](options& o, std::string_view v) {
         return cli::parse_number(v, o.max_connections) && o.max_connections > 0;
     }},
    {"--reject-rcpt", "GLOB", "answer 550 5.1.1 to recipient mailboxes matching GLOB (repeatable)",
     [](options& o, std::string_view v) { o.reject_rcpt.emplace_back(v); return true; }},
    {"--defer-rcpt", "GLOB", "answer 450 4.2.1 to recipient mailboxes matching GLOB (repeatable)",
     [](options& o, std::string_view v) { o.defer_rcpt.emplace_back(v); return true; }},
    {"--timeout", "SECONDS", "idle time before 421 4.4.2 closes a session (default 300)",
     set_timeout},
    {"--discard", "", "read every message fully but store nothing",
     [](options& o, std::string_view) { o.discard = true; return true; }},
    {"--received", "", "begin each stored message with a Received: trace header field",
     [](options& o, std::string_view) { o.received = true; return true; }},
    {"-v", "", "log one line per session event to stderr",
     [](options& o, std::string_view) { o.verbose = true; return true; }},
    {"--help", "", "show this help",
     [](options& o, std::string_view) { o.help = true; return true; }},
};

} // namespace

parse_result parse_options(int argc, char** argv, options& out, std::string& error) {
    if (!cli::parse_flags(argc, argv, flags, out, error)) return parse_result::invalid;
    return out.help ? parse_result::help : parse_result::run;
}

void print_usage(std::FILE* to) {
    std::fputs("usage: smtpwire-serve [options]\n"
               "A small SMTP server that writes each accepted message to a directory.\n\n",
               to);
    cli::print_flags(to, flags);
}

} // namespace serve
