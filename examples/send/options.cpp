// smtpwire-send's flag table, read by the examples' common command-line parser.
// RFC 5321 §4.1.1.1 (the HELO name), §4.1.2 (addresses), §4.5.3.2 (client timeouts).
#include "options.hpp"

#include <string_view>

#include "../common/cli.hpp"
#include "smtpwire/domain.hpp"
#include "smtpwire/mailbox.hpp"

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
    {"--timeout", "SECONDS", "give up on any wait after SECONDS (default: RFC 5321's, 2-10 min)",
     [](options& o, std::string_view v) { return cli::parse_seconds(v, o.timeout.emplace()); }},
    {"-v", "", "log the dialogue to stderr (C: client, S: server)",
     [](options& o, std::string_view) { o.verbose = true; return true; }},
    {"--help", "", "show this help",
     [](options& o, std::string_view) { o.help = true; return true; }},
};

} // namespace

parse_result parse_options(int argc, char** argv, options& out, std::string& error) {
    if (!cli::parse_flags(argc, argv, flags, out, error)) return parse_result::invalid;
    if (out.help) return parse_result::help;
    if (out.server_host.empty())
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
}

} // namespace sender
