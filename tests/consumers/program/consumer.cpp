// The program every consumer project builds: it includes smtpwire the way a user
// would and runs one short SMTP session through memory, exiting nonzero on failure.
#include <smtpwire/smtpwire.hpp>

#include <cstddef>
#include <cstdio>
#include <iterator>
#include <string>
#include <string_view>
#include <variant>

namespace {

// Answers a client that sends EHLO, then QUIT, each after the reply before it;
// returns every reply.
std::string run_session() {
    smtpwire::server_config config;
    config.hostname = "mx.example.com";
    smtpwire::server_session session(config);
    const std::string_view commands[] = {"EHLO client.example\r\n", "QUIT\r\n"};
    std::size_t sent = 0;
    std::string output;
    for (;;) {
        const smtpwire::server_event ev = session.next_event();
        if (std::holds_alternative<smtpwire::need_output>(ev)) {
            output.append(session.output());
            session.consume_output(session.output().size());
        } else if (std::holds_alternative<smtpwire::need_data>(ev)) {
            if (sent == std::size(commands) ||
                session.feed(commands[sent++]) != smtpwire::errc::ok) {
                session.feed_eof();
            }
        } else if (std::holds_alternative<smtpwire::closed>(ev)) {
            return output;
        } else if (smtpwire::is_decision(ev)) {
            (void)session.accept();
        }
    }
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

} // namespace

int main() {
    const std::string output = run_session();
    const std::string version = std::to_string(SMTPWIRE_VERSION_MAJOR) + "." +
                                std::to_string(SMTPWIRE_VERSION_MINOR) + "." +
                                std::to_string(SMTPWIRE_VERSION_PATCH);
    const bool ok = output.rfind("220 mx.example.com", 0) == 0 &&
                    contains(output, "\r\n250-mx.example.com") &&
                    contains(output, "\r\n250 ") && contains(output, "\r\n221 ") &&
                    version == smtpwire::version_string;
    std::printf("smtpwire %s: %s\n", smtpwire::version_string, ok ? "ok" : "FAILED");
    if (!ok) std::fputs(output.c_str(), stdout);
    return ok ? 0 : 1;
}
