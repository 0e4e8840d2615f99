// smtpwire-send: a sendmail-like client that sends one message to one SMTP server.
// RFC 5321 (SMTP), RFC 1870 (SIZE), 2920 (PIPELINING), 6152 (8BITMIME), 6531 (SMTPUTF8);
// RFC 4954 (AUTH).
#include <csignal>
#include <cstdio>
#include <string>

#include <sysexits.h>
#include <unistd.h>

#include "client.hpp"
#include "message.hpp"
#include "options.hpp"
#include "smtpwire/domain.hpp"
#include "token.hpp"

namespace {

// This host's name when it is a valid EHLO argument, else "localhost".
std::string default_helo() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0 ||
        smtpwire::check_domain_or_literal(name, false) != smtpwire::domain_error::ok)
        return "localhost";
    return name;
}

void print_verdict(const std::string& address, const sender::verdict& v) {
    const std::string code = v.code != 0 ? std::to_string(v.code) : "-";
    std::printf("%s %s %s%s%s\n", address.c_str(), code.c_str(),
                v.status.empty() ? "-" : v.status.c_str(), v.text.empty() ? "" : " ",
                v.text.c_str());
}

} // namespace

int main(int argc, char** argv) {
    sender::options opt;
    std::string error;
    switch (sender::parse_options(argc, argv, opt, error)) {
    case sender::parse_result::run:
        break;
    case sender::parse_result::help:
        sender::print_usage(stdout);
        return 0;
    case sender::parse_result::invalid:
        std::fprintf(stderr, "smtpwire-send: %s\n", error.c_str());
        sender::print_usage(stderr);
        return EX_USAGE;
    }

    // A server that goes away mid-write shows up as EPIPE from send().
    std::signal(SIGPIPE, SIG_IGN);
    const std::string helo = opt.helo.empty() ? default_helo() : opt.helo;
    // The token first: a file that holds none fails before stdin is read.
    int status = opt.auth_token_file ? sender::read_token(*opt.auth_token_file, opt.auth_token, error) : 0;
    sender::outgoing message;
    if (status == 0) status = sender::prepare_message(opt, helo, message, error);
    if (status != 0) {
        std::fprintf(stderr, "smtpwire-send: %s\n", error.c_str());
        return status;
    }
    const sender::report r = sender::deliver(opt, helo, message);
    for (std::size_t i = 0; i < r.recipients.size(); ++i)
        print_verdict(opt.recipients[i].address, r.recipients[i]);
    std::fflush(stdout);
    if (!r.error.empty()) std::fprintf(stderr, "smtpwire-send: %s\n", r.error.c_str());
    return r.status;
}
