// smtpwire-load's flag table, read by the examples' common command-line parser.
// RFC 2920 (PIPELINING), RFC 3030 (BDAT).
#include "options.hpp"

#include <string_view>

#include "../common/cli.hpp"

namespace load {
namespace {

// Parses a count above 0 into `out`.
bool parse_count(std::string_view v, std::size_t& out) {
    return cli::parse_number(v, out) && out > 0;
}

constexpr cli::flag<options> flags[] = {
    {"--server", "HOST:PORT", "the SMTP server to load (required)",
     [](options& o, std::string_view v) {
         return cli::split_host_port(v, o.server_host, o.server_port);
     }},
    {"--sessions", "N", "connections open at once (default 1)",
     [](options& o, std::string_view v) { return parse_count(v, o.sessions); }},
    {"--messages", "M", "messages in all, shared among the sessions (default 1)",
     [](options& o, std::string_view v) { return parse_count(v, o.messages); }},
    {"--size", "BYTES", "octets of content per message, headers included (default 1024)",
     [](options& o, std::string_view v) { return cli::parse_number(v, o.size); }},
    {"--recipients", "R", "recipients per message (default 1)",
     [](options& o, std::string_view v) { return parse_count(v, o.recipients); }},
    {"--per-connection", "", "one message per connection: QUIT after it and connect again",
     [](options& o, std::string_view) { o.per_connection = true; return true; }},
    {"--no-pipelining", "", "wait for each reply before the next command (RFC 2920 off)",
     [](options& o, std::string_view) { o.pipelining = false; return true; }},
    {"--bdat", "", "send the content with BDAT only (the server must offer CHUNKING)",
     [](options& o, std::string_view) { o.bdat = true; return true; }},
    {"--help", "", "print this text",
     [](options& o, std::string_view) { o.help = true; return true; }},
};

} // namespace

parse_result parse_options(int argc, char** argv, options& out, std::string& error) {
    if (!cli::parse_flags(argc, argv, flags, out, error)) return parse_result::invalid;
    if (out.help) return parse_result::help;
    if (out.server_host.empty()) {
        error = "--server is required";
        return parse_result::invalid;
    }
    return parse_result::run;
}

void print_usage(std::FILE* to) {
    std::fprintf(to, "usage: smtpwire-load --server HOST:PORT [options]\n"
                     "Sends generated messages over many pipelined sessions in one epoll loop and\n"
                     "prints messages/s, MB/s, latency from MAIL to the final reply, and CPU time.\n");
    cli::print_flags(to, flags);
}

} // namespace load
