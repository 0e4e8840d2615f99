// minimal-client: a blocking SMTP client sending one message, read part by part from
// FILE or standard input, from FROM to TO through the server at HOST:PORT.
#include "smtpwire/smtpwire.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>

using namespace smtpwire;

// Sends the content read from `input` on the socket `fd`; true once the server took it.
bool send_message(int fd, int input, const char* from, const char* to) {
    client_config config;
    config.helo_name = "localhost";
    client_session c(config);            // allocates its output buffer once
    input_buffer<16384> in;              // keeps the partial reply line between reads
    char part[65536];                    // borrowed by send_body() until the next need_body
    enum { start, mail_sent, rcpt_sent, data_sent, quit_due, quit_sent } step = start;
    bool delivered = false;

    for (;;) {
        client_event ev = c.next_event();
        if (std::holds_alternative<need_output>(ev)) {          // commands and content
            std::string_view out = c.output();
            ssize_t n = write(fd, out.data(), out.size());
            if (n < 0 && errno != EINTR && errno != EAGAIN) break;  // the server is gone
            if (n > 0) c.consume_output(static_cast<std::size_t>(n));
        } else if (std::holds_alternative<need_data>(ev)) {     // keep the partial line, read more
            in.keep(c.unconsumed());
            ssize_t n = read(fd, in.write_data(), in.write_size());
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) c.feed_eof();
            if (n > 0) {
                in.commit(static_cast<std::size_t>(n));
                (void)c.feed(in.data());
            }
        } else if (std::holds_alternative<ready>(ev)) {          // EHLO done: capabilities known
            mail_options options;  // declare 8-bit content where the server takes it
            if (c.server_capabilities().has(extension::eight_bit_mime)) options.body = body_type::eight_bit_mime;
            step = c.mail_from(from, options) == errc::ok ? mail_sent : quit_due;
        } else if (std::holds_alternative<need_body>(ev)) {      // after the 354: the next part
            ssize_t n = read(input, part, sizeof part);
            if (n < 0 && errno != EINTR && errno != EAGAIN) break;   // the message is unreadable
            if (n > 0 && c.send_body(std::string_view(part, static_cast<std::size_t>(n))) != errc::ok) {
                std::fprintf(stderr, "minimal-client: 8-bit content, and no 8BITMIME\n");
                break;
            }
            if (n == 0) (void)c.end_body();
        } else if (auto* r = std::get_if<command_reply>(&ev)) {
            std::string_view command = to_string(r->command);
            std::fprintf(stderr, "%.*s: %u %.*s\n", static_cast<int>(command.size()), command.data(),
                         r->reply.code, static_cast<int>(r->reply.text.size()), r->reply.text.data());
        } else if (auto* d = std::get_if<transaction_done>(&ev)) {
            delivered = d->result == outcome::success;
            step = quit_due;
        } else if (std::holds_alternative<closed>(ev)) {
            break;
        }
        if (!c.can_send()) continue;  // the next command must wait for a reply
        if (step == mail_sent) step = c.rcpt_to(to) == errc::ok ? rcpt_sent : quit_due;
        else if (step == rcpt_sent) step = c.data() == errc::ok ? data_sent : quit_due;
        else if (step == quit_due && c.quit() == errc::ok) step = quit_sent;
    }
    return delivered;
}

int main(int argc, char** argv) {
    if (argc != 5 && argc != 6) {
        std::fprintf(stderr, "usage: minimal-client HOST PORT FROM TO [FILE]\n");
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);  // a write to a closed connection fails with EPIPE instead
    int input = argc == 6 ? open(argv[5], O_RDONLY) : 0;
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    int error = getaddrinfo(argv[1], argv[2], &hints, &found);
    if (error != 0 || input < 0) {
        std::fprintf(stderr, "minimal-client: %s\n", error != 0 ? gai_strerror(error) : "cannot open FILE");
        return 1;
    }
    int fd = -1;
    for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(found);
    if (fd < 0) {
        std::perror("minimal-client: connect");
        return 1;
    }
    bool delivered = send_message(fd, input, argv[3], argv[4]);
    close(fd);
    return delivered ? 0 : 1;
}
