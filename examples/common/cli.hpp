// The examples' command lines: a table of flags, the parser that walks it, and value parsers.
// POSIX utility conventions for the flags (one value each, "--flag VALUE" or "--flag=VALUE").
#ifndef SMTPWIRE_EXAMPLES_CLI_HPP
#define SMTPWIRE_EXAMPLES_CLI_HPP

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>

namespace cli {

/// One command-line flag of a program whose settings are an `Options`. `apply` stores the
/// value (empty for a switch) and returns false when the value is not acceptable.
template <class Options>
struct flag {
    std::string_view name;
    std::string_view value_name;  // empty for a switch
    std::string_view help;
    bool (*apply)(Options&, std::string_view);
};

/// Reads argv[1..argc) into `out` with the table `flags`. Flags take their value as the
/// next argument or after '=' ("--listen=127.0.0.1:0"). On an unknown flag, a missing or
/// refused value, returns false and sets `error` to one line saying which.
template <class Options, std::size_t N>
bool parse_flags(int argc, char** argv, const flag<Options> (&flags)[N], Options& out,
                 std::string& error) {
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        std::string_view value;
        bool inline_value = false;
        if (const std::size_t eq = arg.find('='); arg.substr(0, 2) == "--" && eq != arg.npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            inline_value = true;
        }
        const flag<Options>* f = nullptr;
        for (const flag<Options>& candidate : flags) {
            if (candidate.name == arg) {
                f = &candidate;
                break;
            }
        }
        if (f == nullptr) {
            error = "unknown option " + std::string(arg);
            return false;
        }
        if (f->value_name.empty() && inline_value) {
            error = std::string(arg) + " takes no value";
            return false;
        }
        if (!f->value_name.empty() && !inline_value) {
            if (i + 1 == argc) {
                error = std::string(arg) + " needs " + std::string(f->value_name);
                return false;
            }
            value = argv[++i];
        }
        if (!f->apply(out, value)) {
            error = "bad value for " + std::string(arg) + ": " + std::string(value);
            return false;
        }
    }
    return true;
}

/// Writes one line per flag of `flags`, name and value name, then its help, to `to`.
template <class Options, std::size_t N>
void print_flags(std::FILE* to, const flag<Options> (&flags)[N]) {
    for (const flag<Options>& f : flags) {
        std::string left(f.name);
        if (!f.value_name.empty()) left += " " + std::string(f.value_name);
        std::fprintf(to, "  %-22s %.*s\n", left.c_str(), static_cast<int>(f.help.size()),
                     f.help.data());
    }
}

/// Parses all of `text` as an unsigned decimal number.
template <class T>
bool parse_number(std::string_view text, T& out) {
    if (text.empty()) return false;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
    return r.ec == std::errc{} && r.ptr == text.data() + text.size();
}

/// Parses all of `text` as a whole number of seconds above 0.
inline bool parse_seconds(std::string_view text, std::chrono::seconds& out) {
    unsigned seconds = 0;
    if (!parse_number(text, seconds) || seconds == 0) return false;
    out = std::chrono::seconds(seconds);
    return true;
}

/// Splits HOST:PORT, where an IPv6 HOST is written in brackets ("[::1]:2525"), into a
/// non-empty host without brackets and a port from 0 to 65535. False on anything else.
inline bool split_host_port(std::string_view text, std::string& host, std::string& port) {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    std::string_view h = text.substr(0, colon);
    const std::string_view p = text.substr(colon + 1);
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    unsigned number = 0;
    if (h.empty() || !parse_number(p, number) || number > 65535) return false;
    host = std::string(h);
    port = std::string(p);
    return true;
}

} // namespace cli

#endif
