// smtpwire-serve's flag table and the parser that walks it.
// RFC 1870 (SIZE), RFC 5321 §4.5.3.1.8 (recipients), §4.5.3.2.7 (server timeout).
#include "options.hpp"

#include <charconv>
#include <string_view>
#include <system_error>

namespace serve {
namespace {

// Parses all of `text` as an unsigned decimal number.
template <class T>
bool parse_number(std::string_view text, T& out) {
    if (text.empty()) return false;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
    return r.ec == std::errc{} && r.ptr == text.data() + text.size();
}

// HOST:PORT, where an IPv6 HOST is written in brackets ("[::1]:2525").
bool set_listen(options& o, std::string_view v) {
    const std::size_t colon = v.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    std::string_view host = v.substr(0, colon);
    const std::string_view port = v.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    unsigned number = 0;
    if (host.empty() || !parse_number(port, number) || number > 65535) return false;
    o.listen_host = std::string(host);
    o.listen_port = std::string(port);
    return true;
}

bool set_timeout(options& o, std::string_view v) {
    unsigned seconds = 0;
    if (!parse_number(v, seconds) || seconds == 0) return false;
    o.timeout = std::chrono::seconds(seconds);
    return true;
}

// One command-line flag. `apply` stores the value (empty for a switch) and returns false
// when the value is not acceptable.
struct flag {
    std::string_view name;
    std::string_view value_name;   // empty for a switch
    std::string_view help;
    bool (*apply)(options&, std::string_view);
};

constexpr flag flags[] = {
    {"--listen", "HOST:PORT", "address to listen on (default 127.0.0.1:2525; port 0 picks one)",
     set_listen},
    {"--maildir", "DIR", "directory for received messages, created if missing (default ./mail)",
     [](options& o, std::string_view v) { o.maildir = std::string(v); return !v.empty(); }},
    {"--hostname", "NAME", "name in the greeting and EHLO reply (default: this host's name)",
     [](options& o, std::string_view v) { o.hostname = std::string(v); return !v.empty(); }},
    {"--max-size", "BYTES", "largest message accepted, 0 for no limit (default 10240000)",
     [](options& o, std::string_view v) { return parse_number(v, o.max_size); }},
    {"--max-recipients", "N", "most recipients per message (default 1000)",
     [](options& o, std::string_view v) {
         return parse_number(v, o.max_recipients) && o.max_recipients > 0;
     }},
    {"--reject-rcpt", "GLOB", "answer 550 5.1.1 to recipients matching GLOB (repeatable)",
     [](options& o, std::string_view v) { o.reject_rcpt.emplace_back(v); return true; }},
    {"--defer-rcpt", "GLOB", "answer 450 4.2.1 to recipients matching GLOB (repeatable)",
     [](options& o, std::string_view v) { o.defer_rcpt.emplace_back(v); return true; }},
    {"--timeout", "SECONDS", "idle time before 421 4.4.2 closes a session (default 300)",
     set_timeout},
    {"--discard", "", "read every message fully but store nothing",
     [](options& o, std::string_view) { o.discard = true; return true; }},
    {"-v", "", "log one line per session event to stderr",
     [](options& o, std::string_view) { o.verbose = true; return true; }},
    {"--help", "", "show this help",
     [](options& o, std::string_view) { o.help = true; return true; }},
};

const flag* find_flag(std::string_view name) {
    for (const flag& f : flags)
        if (f.name == name) return &f;
    return nullptr;
}

} // namespace

parse_result parse_options(int argc, char** argv, options& out, std::string& error) {
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        std::string_view value;
        bool inline_value = false;
        if (const std::size_t eq = arg.find('='); arg.substr(0, 2) == "--" && eq != arg.npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            inline_value = true;
        }
        const flag* f = find_flag(arg);
        if (f == nullptr) {
            error = "unknown option " + std::string(arg);
            return parse_result::invalid;
        }
        if (f->value_name.empty() && inline_value) {
            error = std::string(arg) + " takes no value";
            return parse_result::invalid;
        }
        if (!f->value_name.empty() && !inline_value) {
            if (i + 1 == argc) {
                error = std::string(arg) + " needs " + std::string(f->value_name);
                return parse_result::invalid;
            }
            value = argv[++i];
        }
        if (!f->apply(out, value)) {
            error = "bad value for " + std::string(arg) + ": " + std::string(value);
            return parse_result::invalid;
        }
    }
    return out.help ? parse_result::help : parse_result::run;
}

void print_usage(std::FILE* to) {
    std::fputs("usage: smtpwire-serve [options]\n"
               "A small SMTP server that writes each accepted message to a directory.\n\n",
               to);
    for (const flag& f : flags) {
        std::string left(f.name);
        if (!f.value_name.empty()) left += " " + std::string(f.value_name);
        std::fprintf(to, "  %-22s %.*s\n", left.c_str(), static_cast<int>(f.help.size()),
                     f.help.data());
    }
}

} // namespace serve
