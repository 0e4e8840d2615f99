// SMTP command lines split into verb and argument, before the argument's own grammar.
// RFC 5321 §4.1.1 (command syntax), §4.1.2; RFC 2033 (LHLO), 3030 (BDAT), 3207, 4954.
#ifndef SMTPWIRE_COMMAND_HPP
#define SMTPWIRE_COMMAND_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smtpwire/ascii.hpp"

namespace smtpwire {
inline namespace v0 {

/// The commands smtpwire recognises. Verbs are case-insensitive on the wire.
enum class verb {
    helo, ehlo, lhlo, mail, rcpt, data, rset, noop, quit, vrfy, expn, help,
    bdat, auth, starttls,
    unknown,
};

inline constexpr std::size_t verb_count = static_cast<std::size_t>(verb::unknown) + 1;

/// The verb as RFCs write it ("MAIL"); "unknown" for verb::unknown.
constexpr std::string_view to_string(verb v) noexcept {
    switch (v) {
    case verb::helo: return "HELO";
    case verb::ehlo: return "EHLO";
    case verb::lhlo: return "LHLO";
    case verb::mail: return "MAIL";
    case verb::rcpt: return "RCPT";
    case verb::data: return "DATA";
    case verb::rset: return "RSET";
    case verb::noop: return "NOOP";
    case verb::quit: return "QUIT";
    case verb::vrfy: return "VRFY";
    case verb::expn: return "EXPN";
    case verb::help: return "HELP";
    case verb::bdat: return "BDAT";
    case verb::auth: return "AUTH";
    case verb::starttls: return "STARTTLS";
    case verb::unknown: return "unknown";
    }
    return "unknown";
}

/// A parsed command line. `argument` is a view into the line passed to parse_command().
struct command {
    smtpwire::verb verb = verb::unknown;
    /// HELO/EHLO/LHLO: the domain. MAIL: the text after "FROM:" (path and parameters).
    /// RCPT: the text after "TO:". VRFY/EXPN/HELP/NOOP/BDAT/AUTH: the text after the
    /// verb's SP. DATA/RSET/QUIT/STARTTLS: empty.
    std::string_view argument;
};

/// Why a command line could not be split.
enum class command_error {
    ok,
    unknown_verb,       // 500 5.5.1
    bad_character,      // a CR, LF or NUL inside the line: 500 5.5.2
    missing_argument,   // e.g. "EHLO", "VRFY", "MAIL": 501 5.5.4
    unexpected_argument,// e.g. "DATA x", "QUIT now": 501 5.5.4
    syntax,             // e.g. "MAIL TO:", "RCPT FROM:", "EHLOx": 501 5.5.4
};

/// A short English description of `e`.
constexpr std::string_view to_string(command_error e) noexcept {
    switch (e) {
    case command_error::ok: return "ok";
    case command_error::unknown_verb: return "command not recognized";
    case command_error::bad_character: return "CR, LF or NUL inside a command line";
    case command_error::missing_argument: return "argument required";
    case command_error::unexpected_argument: return "no argument allowed";
    case command_error::syntax: return "syntax error";
    }
    return "unknown command_error";
}

namespace detail {
// How a verb takes its argument.
enum class argument_rule { none, optional, required, from_colon, to_colon };

constexpr argument_rule argument_rule_of(verb v) noexcept {
    switch (v) {
    case verb::helo: case verb::ehlo: case verb::lhlo:
    case verb::vrfy: case verb::expn: case verb::bdat: case verb::auth:
        return argument_rule::required;
    case verb::mail: return argument_rule::from_colon;
    case verb::rcpt: return argument_rule::to_colon;
    case verb::noop: case verb::help: return argument_rule::optional;
    case verb::data: case verb::rset: case verb::quit: case verb::starttls: case verb::unknown:
        return argument_rule::none;
    }
    return argument_rule::none;
}

// The first four octets of `word`, upper-cased, as one number: a verb is recognised by
// comparing numbers, one per candidate, instead of octets.
constexpr std::uint32_t verb_key(std::string_view word) noexcept {
    std::uint32_t key = 0;
    for (std::size_t i = 0; i < 4 && i < word.size(); ++i)
        key = key << 8 | static_cast<unsigned char>(ascii::to_upper(word[i]));
    return key;
}

// verb_key() of each verb's name, in the order of `verb`.
constexpr std::array<std::uint32_t, verb_count - 1> make_verb_keys() noexcept {
    std::array<std::uint32_t, verb_count - 1> keys{};
    for (std::size_t i = 0; i < keys.size(); ++i) keys[i] = verb_key(to_string(static_cast<verb>(i)));
    return keys;
}
inline constexpr std::array<std::uint32_t, verb_count - 1> verb_keys = make_verb_keys();

constexpr verb lookup_verb(std::string_view word) noexcept {
    if (word.size() != 4 && word.size() != 8) return verb::unknown;
    const std::uint32_t key = verb_key(word);
    for (std::size_t i = 0; i < verb_keys.size(); ++i) {
        const auto v = static_cast<verb>(i);
        if (verb_keys[i] == key && to_string(v).size() == word.size() &&
            (word.size() == 4 || ascii::iequals(word, to_string(v))))
            return v;
    }
    return verb::unknown;
}
} // namespace detail

/// Splits a command line (without its CRLF) into verb and argument. `out.verb` is set
/// whenever the verb was recognised, even if the argument is wrong, so the caller can
/// answer in the verb's terms. `space_after_colon` accepts "MAIL FROM: <a@b>".
[[nodiscard]] constexpr command_error parse_command(std::string_view line, command& out,
                                                   bool space_after_colon = false) noexcept {
    out = command{};
    if (ascii::has_line_break_or_nul(line)) return command_error::bad_character;
    // The verb ends at the first SP. Every verb is 4 or 8 octets long, so the search
    // stops after 8: a word that goes on there is none of them, wherever its SP is.
    std::size_t sp = 0;
    while (sp < line.size() && sp < 8 && line[sp] != ' ') ++sp;
    const bool has_arg = sp < line.size() && line[sp] == ' ';
    const std::string_view word = has_arg ? std::string_view(line.data(), sp) : line;
    out.verb = detail::lookup_verb(word);
    if (out.verb == verb::unknown) return command_error::unknown_verb;
    std::string_view arg =
        has_arg ? std::string_view(line.data() + sp + 1, line.size() - sp - 1) : std::string_view{};
    switch (detail::argument_rule_of(out.verb)) {
    case detail::argument_rule::none:
        return has_arg ? command_error::unexpected_argument : command_error::ok;
    case detail::argument_rule::optional:
        out.argument = arg;
        return command_error::ok;
    case detail::argument_rule::required:
        if (arg.empty()) return command_error::missing_argument;
        out.argument = arg;
        return command_error::ok;
    case detail::argument_rule::from_colon:
    case detail::argument_rule::to_colon: {
        const std::string_view keyword =
            out.verb == verb::mail ? std::string_view("FROM:") : std::string_view("TO:");
        if (!has_arg) return command_error::missing_argument;
        if (!ascii::istarts_with(arg, keyword)) return command_error::syntax;
        arg.remove_prefix(keyword.size());
        if (space_after_colon)
            while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);
        if (arg.empty()) return command_error::missing_argument;
        out.argument = arg;
        return command_error::ok;
    }
    }
    return command_error::ok;
}

} // namespace v0
} // namespace smtpwire

#endif
