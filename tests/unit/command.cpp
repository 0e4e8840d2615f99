#include "smtpwire/command.hpp"
#include "support/catch.hpp"

using namespace smtpwire;

namespace {
command_error parse(std::string_view line, command& c, bool lenient = false) {
    return parse_command(line, c, lenient);
}
} // namespace

TEST_CASE("command: verbs are case-insensitive (RFC 5321 §2.4)") {
    command c;
    CHECK(parse("ehlo bar.com", c) == command_error::ok);
    CHECK(c.verb == verb::ehlo);
    CHECK(c.argument == "bar.com");
    CHECK(parse("EhLo bar.com", c) == command_error::ok);
    CHECK(c.verb == verb::ehlo);
    CHECK(parse("quit", c) == command_error::ok);
    CHECK(c.verb == verb::quit);
    CHECK(parse("StartTLS", c) == command_error::ok);
    CHECK(c.verb == verb::starttls);
}

TEST_CASE("command: every verb is recognised") {
    const verb all[] = {verb::helo, verb::ehlo, verb::lhlo, verb::mail, verb::rcpt, verb::data,
                        verb::rset, verb::noop, verb::quit, verb::vrfy, verb::expn, verb::help,
                        verb::bdat, verb::auth, verb::starttls};
    for (verb v : all) {
        command c;
        (void)parse(to_string(v), c);
        CHECK(c.verb == v);
    }
}

TEST_CASE("command: MAIL and RCPT take the text after FROM: / TO:") {
    command c;
    REQUIRE(parse("MAIL FROM:<a@b.c> SIZE=10", c) == command_error::ok);
    CHECK(c.verb == verb::mail);
    CHECK(c.argument == "<a@b.c> SIZE=10");
    REQUIRE(parse("mail from:<>", c) == command_error::ok);
    CHECK(c.argument == "<>");
    REQUIRE(parse("RCPT To:<postmaster>", c) == command_error::ok);
    CHECK(c.verb == verb::rcpt);
    CHECK(c.argument == "<postmaster>");
    CHECK(parse("MAIL TO:<a@b.c>", c) == command_error::syntax);
    CHECK(c.verb == verb::mail);
    CHECK(parse("RCPT FROM:<a@b.c>", c) == command_error::syntax);
    CHECK(parse("MAIL FROM:", c) == command_error::missing_argument);
    CHECK(parse("MAIL", c) == command_error::missing_argument);
    CHECK(parse("MAIL FROM <a@b.c>", c) == command_error::syntax);
}

TEST_CASE("command: a space after the colon only with the leniency") {
    command c;
    CHECK(parse("MAIL FROM: <a@b.c>", c) == command_error::ok);
    CHECK(c.argument == " <a@b.c>");  // the path parser refuses the space
    REQUIRE(parse("MAIL FROM:  <a@b.c>", c, true) == command_error::ok);
    CHECK(c.argument == "<a@b.c>");
    CHECK(parse("RCPT TO: ", c, true) == command_error::missing_argument);
}

TEST_CASE("command: argument rules per verb") {
    command c;
    CHECK(parse("DATA", c) == command_error::ok);
    CHECK(parse("DATA x", c) == command_error::unexpected_argument);
    CHECK(c.verb == verb::data);
    CHECK(parse("RSET ", c) == command_error::unexpected_argument);
    CHECK(parse("QUIT now", c) == command_error::unexpected_argument);
    CHECK(parse("NOOP", c) == command_error::ok);
    CHECK(parse("NOOP anything at all", c) == command_error::ok);
    CHECK(c.argument == "anything at all");
    CHECK(parse("HELP MAIL", c) == command_error::ok);
    CHECK(c.argument == "MAIL");
    CHECK(parse("EHLO", c) == command_error::missing_argument);
    CHECK(parse("EHLO ", c) == command_error::missing_argument);
    CHECK(parse("VRFY", c) == command_error::missing_argument);
    CHECK(parse("VRFY Crispin", c) == command_error::ok);
    CHECK(c.argument == "Crispin");
    CHECK(parse("EXPN Example-People", c) == command_error::ok);
    CHECK(parse("BDAT 100 LAST", c) == command_error::ok);
    CHECK(c.argument == "100 LAST");
    CHECK(parse("AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=", c) == command_error::ok);
}

TEST_CASE("command: unknown verbs and prefixes of verbs") {
    command c;
    CHECK(parse("", c) == command_error::unknown_verb);
    CHECK(parse("XYZZY", c) == command_error::unknown_verb);
    CHECK(parse("EHLOx bar.com", c) == command_error::unknown_verb);
    CHECK(parse("MAI FROM:<a@b>", c) == command_error::unknown_verb);
    CHECK(parse(" MAIL FROM:<a@b>", c) == command_error::unknown_verb);
    CHECK(parse("GET / HTTP/1.1", c) == command_error::unknown_verb);
    CHECK(c.verb == verb::unknown);
}

TEST_CASE("command: the verb is the word before the first SP, of 4 or 8 octets") {
    command c;
    // Words longer than a verb, with the SP right after, further on, or nowhere.
    for (const char* line : {"STARTTLSX", "STARTTLSX now", "STARTTLSXY now", "MAILFROM:<a@b.example>",
                             "RCPTTO:<a@b.example> NOTIFY=NEVER", "XSTARTTLS", "QUITQUIT", "QUITQUIT x"}) {
        INFO(line);
        CHECK(parse(line, c) == command_error::unknown_verb);
        CHECK(c.verb == verb::unknown);
    }
    // The eight-octet verb alone, with an argument, and with SPs after it.
    CHECK(parse("STARTTLS", c) == command_error::ok);
    CHECK(c.verb == verb::starttls);
    CHECK(parse("STARTTLS now", c) == command_error::unexpected_argument);
    CHECK(c.verb == verb::starttls);
    CHECK(parse("STARTTLS ", c) == command_error::unexpected_argument);
    CHECK(parse("HELP  topic", c) == command_error::ok);
    CHECK(c.verb == verb::help);
    CHECK(c.argument == " topic");
}

TEST_CASE("command: CR, LF or NUL inside a line is refused, whatever the verb") {
    command c;
    CHECK(parse("RSET\nMAIL FROM:<a@b.c>", c) == command_error::bad_character);
    CHECK(parse("NOOP\r", c) == command_error::bad_character);
    CHECK(parse("EHLO a\0b", c) == command_error::ok);  // string_view stops at the literal's NUL
    CHECK(parse(std::string_view("EHLO a\0b", 8), c) == command_error::bad_character);
    CHECK(parse("XYZ\rabc", c) == command_error::bad_character);
}
