// minimal-server: a blocking SMTP server on 127.0.0.1:PORT serving one connection at a
// time; each message accepted is stored whole as DIR/1.eml, DIR/2.eml, ...
#include "smtpwire/smtpwire.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace smtpwire;

// Serves one connection on the socket `fd`; `stored` counts the messages in `dir`.
void serve(int fd, const std::string& dir, unsigned& stored) {
    server_config config;
    config.hostname = "localhost";
    config.limits.message_size = 64 << 20;  // announced with SIZE; larger ones are refused
    server_session s(config);               // allocates its output buffer once
    input_buffer<16384> in;                 // keeps the partial line between reads
    std::string path;                       // where the message being received goes
    std::FILE* file = nullptr;

    for (;;) {
        server_event ev = s.next_event();
        if (std::holds_alternative<need_output>(ev)) {        // write replies first
            std::string_view out = s.output();
            ssize_t n = write(fd, out.data(), out.size());
            if (n < 0 && errno != EINTR && errno != EAGAIN) break;  // the peer is gone
            if (n > 0) s.consume_output(static_cast<std::size_t>(n));
        } else if (std::holds_alternative<need_data>(ev)) {   // keep the partial line, read more
            in.keep(s.unconsumed());
            ssize_t n = read(fd, in.write_data(), in.write_size());
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) s.feed_eof();
            if (n > 0) {
                in.commit(static_cast<std::size_t>(n));
                (void)s.feed(in.data());
            }
        } else if (std::holds_alternative<data_begin>(ev)) {  // a decision: open the file first
            path = dir + "/" + std::to_string(stored + 1) + ".eml";
            file = std::fopen(path.c_str(), "wb");
            if (file != nullptr) (void)s.accept();
            else (void)s.reject({451, {4, 3, 0}, "Cannot store the message"});
        } else if (auto* c = std::get_if<body_chunk>(&ev)) {  // a view into `in`: no copy made
            if (file != nullptr) std::fwrite(c->bytes.data(), 1, c->bytes.size(), file);
        } else if (std::holds_alternative<message_end>(ev)) { // the final dot: keep, then say so
            bool ok = file != nullptr && std::ferror(file) == 0;
            if (file != nullptr && std::fclose(file) != 0) ok = false;
            file = nullptr;
            if (ok) {
                ++stored;
                (void)s.accept();
            } else {
                std::remove(path.c_str());
                (void)s.reject({451, {4, 3, 0}, "Cannot store the message"});
            }
        } else if (std::holds_alternative<message_aborted>(ev) && file != nullptr) {  // too large, hang-up
            std::fclose(file);
            std::remove(path.c_str());
            file = nullptr;
        } else if (std::holds_alternative<closed>(ev)) {
            break;
        } else if (is_decision(ev)) {  // client_connected, hello, mail_from, rcpt_to, ...
            (void)s.accept();
        }
    }
    if (file != nullptr) {  // the connection failed during DATA
        std::fclose(file);
        std::remove(path.c_str());
    }
}

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: minimal-server PORT DIR\n");
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);  // a write to a closed connection fails with EPIPE instead
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[1])));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int on = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        listen(listener, 16) != 0) {
        std::perror("minimal-server: 127.0.0.1");
        return 1;
    }
    unsigned stored = 0;
    for (;;) {
        int fd = accept(listener, nullptr, nullptr);
        if (fd < 0 && errno != EINTR && errno != ECONNABORTED) {
            std::perror("minimal-server: accept");
            return 1;
        }
        if (fd < 0) continue;
        serve(fd, argv[2], stored);
        close(fd);
    }
}
