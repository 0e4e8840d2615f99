// smtpwire-load: a load generator for SMTP servers, like Postfix's smtp-source but pipelining,
// built on client_session. RFC 5321, RFC 2920 (PIPELINING), RFC 3030 (BDAT).
#include <csignal>
#include <cstdio>
#include <string>

#include <sysexits.h>

#include "event_loop.hpp"
#include "options.hpp"
#include "tally.hpp"

int main(int argc, char** argv) {
    load::options opt;
    std::string error;
    switch (load::parse_options(argc, argv, opt, error)) {
    case load::parse_result::run:
        break;
    case load::parse_result::help:
        load::print_usage(stdout);
        return 0;
    case load::parse_result::invalid:
        std::fprintf(stderr, "smtpwire-load: %s\n", error.c_str());
        load::print_usage(stderr);
        return EX_USAGE;
    }
    std::signal(SIGPIPE, SIG_IGN);
    load::tally t;
    double elapsed = 0;
    const bool ran = load::run_load(opt, t, elapsed, error);
    load::print_report(stdout, t, opt.messages, elapsed);
    std::fflush(stdout);
    if (!ran) {
        std::fprintf(stderr, "smtpwire-load: %s\n", error.c_str());
        return EX_UNAVAILABLE;
    }
    // Every message must have had its final 250.
    return t.delivered == opt.messages ? 0 : EX_TEMPFAIL;
}
