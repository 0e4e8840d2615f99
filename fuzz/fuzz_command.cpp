// Fuzz target: parse_command() on arbitrary lines, then each verb's argument parser as
// server_session applies it. Input: the line itself (no CRLF is stripped).
#include "smtpwire/command.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "smtpwire/domain.hpp"
#include "smtpwire/esmtp_param.hpp"
#include "smtpwire/mail_parameters.hpp"
#include "smtpwire/path.hpp"

#include "fuzz_support.hpp"

using namespace smtpwire;
using smtpwire_fuzz::check;
using smtpwire_fuzz::inside;

namespace {

bool has_bad_character(std::string_view s) {
    for (char c : s)
        if (c == '\r' || c == '\n' || c == '\0') return true;
    return false;
}

// The wire form of a parsed command: re-parsing it must give the same verb and argument.
std::string rebuild(const command& cmd) {
    std::string line(to_string(cmd.verb));
    if (cmd.verb == verb::mail) line += " FROM:";
    else if (cmd.verb == verb::rcpt) line += " TO:";
    else if (!cmd.argument.empty()) line += ' ';
    line += cmd.argument;
    return line;
}

void check_one(std::string_view line, bool space_after_colon) {
    command cmd;
    const command_error e = parse_command(line, cmd, space_after_colon);
    check(!to_string(e).empty(), "command_error without a name");
    check(inside(cmd.argument, line), "argument is not a view into the line");
    if (has_bad_character(line)) {
        check(e == command_error::bad_character, "CR, LF or NUL inside a line not refused", line);
        return;
    }
    check(e != command_error::bad_character, "bad_character without CR, LF or NUL", line);
    const std::string_view word = line.substr(0, line.find(' '));
    if (cmd.verb == verb::unknown) {
        check(e == command_error::unknown_verb, "unknown verb without unknown_verb", line);
        return;
    }
    check(ascii::iequals(word, to_string(cmd.verb)), "verb does not match the first word", line);
    if (e != command_error::ok) {
        check(cmd.argument.empty(), "argument set on an error", line);
        return;
    }
    switch (cmd.verb) {
    case verb::data: case verb::rset: case verb::quit: case verb::starttls:
        check(cmd.argument.empty() && line.size() == word.size(), "argument accepted after a bare verb", line);
        break;
    case verb::mail: case verb::rcpt:
        check(!cmd.argument.empty(), "MAIL/RCPT without argument accepted", line);
        check(cmd.argument.data() + cmd.argument.size() == line.data() + line.size(),
              "MAIL/RCPT argument is not the end of the line", line);
        if (space_after_colon) check(cmd.argument.front() != ' ', "space after colon kept", line);
        break;
    case verb::helo: case verb::ehlo: case verb::lhlo: case verb::vrfy: case verb::expn:
    case verb::bdat: case verb::auth:
        check(!cmd.argument.empty(), "required argument missing but accepted", line);
        break;
    default:
        break;
    }
    const std::string again = rebuild(cmd);
    command cmd2;
    check(parse_command(again, cmd2, space_after_colon) == command_error::ok, "rebuilt command refused", again);
    check(cmd2.verb == cmd.verb && cmd2.argument == cmd.argument, "rebuilt command parses differently", again);

    // What server_session does with the argument next.
    if (cmd.verb == verb::helo || cmd.verb == verb::ehlo) {
        (void)check_domain_or_literal(cmd.argument, false);
        (void)check_domain_or_literal(cmd.argument, true);
    } else if (cmd.verb == verb::mail || cmd.verb == verb::rcpt) {
        path p;
        std::string_view rest;
        path_options opt;
        opt.utf8 = true;
        const path_error pe = cmd.verb == verb::mail ? parse_reverse_path(cmd.argument, opt, p, rest)
                                                      : parse_forward_path(cmd.argument, opt, p, rest);
        if (pe != path_error::ok) return;
        check(inside(rest, line), "path rest outside the line", line);
        if (cmd.verb == verb::mail) {
            mail_parameters params;
            std::string_view bad;
            const extension_set all{extension::size, extension::eight_bit_mime, extension::smtputf8};
            if (parse_mail_parameters(rest, all, params, &bad) != mail_parameter_error::ok)
                check(inside(bad, rest), "offending parameter outside the parameters", line);
        } else {
            esmtp_param_reader reader(rest, true);
            esmtp_param param;
            for (std::size_t n = 0; reader.next(param) == param_error::ok; ++n)
                check(n <= rest.size(), "parameter reader does not advance", line);
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line = smtpwire_fuzz::as_text(data, size);
    check_one(line, false);
    check_one(line, true);

    // Strict success implies lenient success with the same result unless the argument
    // starts with the spaces the lenient parser strips.
    command strict, lenient;
    if (parse_command(line, strict, false) == command_error::ok &&
        (strict.argument.empty() || strict.argument.front() != ' ')) {
        check(parse_command(line, lenient, true) == command_error::ok, "leniency refuses a strict command", line);
        check(lenient.verb == strict.verb && lenient.argument == strict.argument,
              "leniency changes a strict command", line);
    }
    return 0;
}
