// smtpwire-serve's flag table, read by the examples' common command-line parser.
// RFC 1870 (SIZE); RFC 5321 §4.5.3.1.8 (recipients), §4.5.3.2.7 (timeout), §4.4 (Received);
// RFC 3207 (STARTTLS), RFC 8314 §3 (implicit TLS), RFC 4954 (AUTH); the PROXY protocol.
#include "options.hpp"

#include <string_view>

#include "../common/cli.hpp"
#include "tls.hpp"

namespace serve {
namespace {

bool set_listen(options& o, std::string_view v) {
    return cli::split_host_port(v, o.listen_host, o.listen_port);
}

// USER:PASS, split at the first ':' (so the password may hold one); neither may be empty.
bool add_credentials(options& o, std::string_view v) {
    const std::size_t colon = v.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == v.size()) return false;
    o.auth.push_back(
        credentials{std::string(v.substr(0, colon)), std::string(v.substr(colon + 1))});
    return true;
}

bool set_timeout(options& o, std::string_view v) {
    std::chrono::seconds seconds{};
    if (!cli::parse_seconds(v, seconds)) return false;
    o.timeout = seconds;
    return true;
}

bool set_proxy_timeout(options& o, std::string_view v) {
    std::chrono::seconds seconds{};
    if (!cli::parse_seconds(v, seconds)) return false;
    o.proxy_timeout = seconds;
    return true;
}

constexpr cli::flag<options> flags[] = {
    {"--listen", "HOST:PORT", "address to listen on (default 127.0.0.1:2525; port 0 picks one)",
     set_listen},
    {"--store", "DIR", "directory for received messages, <id>.eml and <id>.json, created if "
                       "missing (default ./mail)",
     [](options& o, std::string_view v) { o.maildir = std::string(v); return !v.empty(); }},
    {"--maildir", "DIR", "the same as --store (the layout is not Maildir's)",
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
    {"--workers", "N", "event loops, a thread each, sharing the port (SO_REUSEPORT); "
                       "--max-connections applies to each (default 1)",
     [](options& o, std::string_view v) {
         return cli::parse_number(v, o.workers) && o.workers > 0 && o.workers <= 256;
     }},
    {"--reject-rcpt", "GLOB", "answer 550 5.1.1 to recipient mailboxes matching GLOB (repeatable)",
     [](options& o, std::string_view v) { o.reject_rcpt.emplace_back(v); return true; }},
    {"--defer-rcpt", "GLOB", "answer 450 4.2.1 to recipient mailboxes matching GLOB (repeatable)",
     [](options& o, std::string_view v) { o.defer_rcpt.emplace_back(v); return true; }},
    {"--lmtp", "", "speak LMTP (RFC 2033): LHLO, and one reply per recipient after the data",
     [](options& o, std::string_view) { o.lmtp = true; return true; }},
    {"--reject-delivery", "GLOB", "with --lmtp, answer 550 5.2.1 after the data to recipients "
                                  "matching GLOB (repeatable)",
     [](options& o, std::string_view v) { o.reject_delivery.emplace_back(v); return true; }},
    {"--defer-delivery", "GLOB", "with --lmtp, answer 450 4.2.1 after the data to recipients "
                                 "matching GLOB (repeatable)",
     [](options& o, std::string_view v) { o.defer_delivery.emplace_back(v); return true; }},
    {"--timeout", "SECONDS", "idle time before 421 4.4.2 closes a session (default 300)",
     set_timeout},
    {"--discard", "", "read every message fully but store nothing",
     [](options& o, std::string_view) { o.discard = true; return true; }},
    {"--received", "", "begin each stored message with a Received: trace header field",
     [](options& o, std::string_view) { o.received = true; return true; }},
    {"--tls-cert", "PEM", "certificate chain (PEM) for STARTTLS or --tls-implicit; needs --tls-key",
     [](options& o, std::string_view v) { o.tls_cert = std::string(v); return !v.empty(); }},
    {"--tls-key", "PEM", "private key (PEM) of --tls-cert",
     [](options& o, std::string_view v) { o.tls_key = std::string(v); return !v.empty(); }},
    {"--tls-implicit", "", "TLS from the first byte (as on port 465) instead of STARTTLS",
     [](options& o, std::string_view) { o.tls_implicit = true; return true; }},
    {"--auth", "USER:PASS", "offer AUTH (PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER SCRAM-SHA-256) "
                            "for USER (repeatable); in clear only without TLS",
     add_credentials},
    {"--require-auth", "", "answer MAIL before AUTH with 530 5.7.0 (needs --auth)",
     [](options& o, std::string_view) { o.require_auth = true; return true; }},
    {"--no-chunking", "", "do not offer CHUNKING and BINARYMIME: BDAT is then 502 5.5.1",
     [](options& o, std::string_view) { o.chunking = false; return true; }},
    {"--no-dsn", "", "do not offer DSN: RET, ENVID, NOTIFY and ORCPT are then 555 5.5.4",
     [](options& o, std::string_view) { o.dsn = false; return true; }},
    {"--proxy-protocol", "", "read a PROXY protocol header (v1 or v2) before each session; "
                             "only for connections from a trusted proxy",
     [](options& o, std::string_view) { o.proxy_protocol = true; return true; }},
    {"--proxy-timeout", "SECS", "seconds for the PROXY header to arrive (default 5)",
     set_proxy_timeout},
    {"-v", "", "log one line per session event to stderr",
     [](options& o, std::string_view) { o.verbose = true; return true; }},
    {"--help", "", "show this help",
     [](options& o, std::string_view) { o.help = true; return true; }},
};

} // namespace

parse_result parse_options(int argc, char** argv, options& out, std::string& error) {
    if (!cli::parse_flags(argc, argv, flags, out, error)) return parse_result::invalid;
    if (out.help) return parse_result::help;
    const bool tls = !out.tls_cert.empty() || !out.tls_key.empty() || out.tls_implicit;
    const char* problem = nullptr;
    if (tls && !tls::available())
        problem = "--tls-cert, --tls-key, --tls-implicit: built without TLS";
    else if (out.tls_cert.empty() != out.tls_key.empty())
        problem = "--tls-cert and --tls-key go together";
    else if (out.tls_implicit && out.tls_cert.empty())
        problem = "--tls-implicit needs --tls-cert and --tls-key";
    else if (out.require_auth && out.auth.empty())
        problem = "--require-auth needs --auth";
    else if (out.proxy_timeout && !out.proxy_protocol)
        problem = "--proxy-timeout needs --proxy-protocol";
    else if ((!out.reject_delivery.empty() || !out.defer_delivery.empty()) && !out.lmtp)
        problem = "--reject-delivery and --defer-delivery need --lmtp";
    if (problem == nullptr) return parse_result::run;
    error = problem;
    return parse_result::invalid;
}

void print_usage(std::FILE* to) {
    std::fputs("usage: smtpwire-serve [options]\n"
               "A small SMTP server that writes each accepted message to a directory.\n\n",
               to);
    cli::print_flags(to, flags);
    std::fprintf(to, "\nTLS: %s\n", tls::library_version().c_str());
}

} // namespace serve
