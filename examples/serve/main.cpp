// smtpwire-serve: a small SMTP server that writes each accepted message to a directory.
// RFC 5321 (SMTP), RFC 1870 (SIZE), 2920 (PIPELINING), 6152 (8BITMIME), 6531 (SMTPUTF8),
// 3207 (STARTTLS), 8314 (implicit TLS), 4954 (AUTH).
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "maildir.hpp"
#include "options.hpp"
#include "server.hpp"
#include "tls.hpp"

namespace {

// The write end of the pipe SIGINT and SIGTERM write to, waking the poll loop.
volatile std::sig_atomic_t stop_write_fd = -1;

void on_stop_signal(int) {
    const int saved = errno;
    const char byte = 1;
    [[maybe_unused]] const ssize_t n = ::write(stop_write_fd, &byte, 1);
    errno = saved;
}

// Makes SIGINT and SIGTERM write to a pipe, and ignores SIGPIPE (a peer that goes away
// mid-write shows up as EPIPE from send()). Returns the pipe's read end, or -1.
int install_signal_handlers() {
    int fds[2];
    if (::pipe(fds) != 0) return -1;
    for (int fd : fds)
        if (::fcntl(fd, F_SETFL, O_NONBLOCK) != 0 || ::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
            return -1;
    stop_write_fd = fds[1];
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    if (::sigaction(SIGINT, &action, nullptr) != 0 || ::sigaction(SIGTERM, &action, nullptr) != 0 ||
        std::signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        return -1;
    return fds[0];
}

} // namespace

int main(int argc, char** argv) {
    serve::options opt;
    std::string error;
    switch (serve::parse_options(argc, argv, opt, error)) {
    case serve::parse_result::run:
        break;
    case serve::parse_result::help:
        serve::print_usage(stdout);
        return 0;
    case serve::parse_result::invalid:
        std::fprintf(stderr, "smtpwire-serve: %s\n", error.c_str());
        serve::print_usage(stderr);
        return 2;
    }

    serve::maildir store;
    if (!opt.discard && !store.open(opt.maildir, error)) {
        std::fprintf(stderr, "smtpwire-serve: %s\n", error.c_str());
        return 1;
    }
    const int stop_fd = install_signal_handlers();
    if (stop_fd < 0) {
        std::perror("smtpwire-serve: signals");
        return 1;
    }
    serve::tls::context tls;
    if (!opt.tls_cert.empty() && !tls.load(opt.tls_cert, opt.tls_key, error)) {
        std::fprintf(stderr, "smtpwire-serve: %s\n", error.c_str());
        return 1;
    }
    // --workers: one server per thread, each with its own listening socket on the port the
    // first one bound (which port 0 chose), sharing the store and the TLS context.
    serve::options others = opt;
    std::vector<std::unique_ptr<serve::server>> servers;
    for (unsigned i = 0; i < opt.workers; ++i) {
        servers.push_back(std::make_unique<serve::server>(i == 0 ? opt : others, store,
                                                          tls.loaded() ? &tls : nullptr));
        if (!servers.back()->listen(error)) {
            std::fprintf(stderr, "smtpwire-serve: %s\n", error.c_str());
            return 1;
        }
        if (i == 0) others.listen_port = servers.front()->local_port();
    }
    std::printf("listening on %s\n", servers.front()->local_address().c_str());
    std::fflush(stdout);
    std::vector<std::thread> threads;
    std::vector<int> results(servers.size(), 0);
    for (std::size_t i = 1; i < servers.size(); ++i)
        threads.emplace_back([&, i] { results[i] = servers[i]->run(stop_fd); });
    results[0] = servers[0]->run(stop_fd);
    for (std::thread& t : threads) t.join();
    for (int r : results)
        if (r != 0) return r;
    return 0;
}
