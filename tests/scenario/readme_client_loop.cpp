// The client loop README.md shows, run as written against a server_session behind an
// in-memory socket, with bodies around the output buffer's size and of 10 MiB.
#include "smtpwire/smtpwire.hpp"
#include "support/catch.hpp"

#include <sys/types.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "support/content.hpp"

namespace readme {

using namespace smtpwire;

// The other end of the README's `fd`: a server_session that accepts everything. write()
// feeds it; read() runs it until it waits and returns what it wrote.
struct loopback_server {
    server_session session{[] {
        server_config c;
        c.hostname = "mx.example";  // strict: early input would be refused with 554
        c.limits.message_size = 64 << 20;
        return c;
    }()};
    std::string in;       // bytes written by the client, not yet consumed
    std::string stored;   // message content received
    std::vector<std::string> recipients;
    std::size_t messages = 0;
    std::string to_client;

    void run() {
        for (;;) {
            const server_event ev = session.next_event();
            if (std::holds_alternative<need_output>(ev)) {
                to_client += session.output();
                session.consume_output(session.output().size());
            } else if (std::holds_alternative<need_data>(ev) || std::holds_alternative<closed>(ev)) {
                return;
            } else if (const auto* c = std::get_if<body_chunk>(&ev)) {
                stored += c->bytes;
            } else if (const auto* r = std::get_if<rcpt_to>(&ev)) {
                recipients.emplace_back(r->forward_path.address.local_part);
                (void)session.accept();
            } else if (std::holds_alternative<message_end>(ev)) {
                ++messages;
                (void)session.accept();
            } else if (is_decision(ev)) {
                (void)session.accept();
            }
        }
    }
};

loopback_server* server = nullptr;
std::vector<std::string> logged;

ssize_t write(int, const char* data, std::size_t size) {
    // Takes at most 1000 octets per call, as a socket with a small send buffer would.
    const std::size_t n = size < 1000 ? size : 1000;
    server->in = std::string(server->session.unconsumed()) + std::string(data, n);
    (void)server->session.feed(server->in);
    server->run();
    return static_cast<ssize_t>(n);
}

ssize_t read(int, char* data, std::size_t size) {
    server->run();
    const std::size_t n = size < server->to_client.size() ? size : server->to_client.size();
    std::memcpy(data, server->to_client.data(), n);
    server->to_client.erase(0, n);
    return static_cast<ssize_t>(n);
}

void log(std::string_view rcpt, unsigned code, std::string_view text) {
    logged.push_back(std::string(rcpt) + " " + std::to_string(code) + " " + std::string(text));
}

// README: client loop begin
void send_mail(int fd, std::string_view message, const std::vector<recipient>& rcpts) {
    client_config config;
    config.helo_name = "app.example.com";
    client_session c(config);            // allocates its output buffer once
    input_buffer<16384> in;
    envelope env;                        // borrowed by send_mail() until transaction_done
    env.sender = "alerts@app.example.com";
    env.options.size = message.size();   // refused locally if over the server's SIZE
    env.recipients = rcpts.data();
    env.recipient_count = rcpts.size();

    for (;;) {
        client_event ev = c.next_event();
        if (std::holds_alternative<need_output>(ev)) {          // commands and content
            std::string_view out = c.output();
            ssize_t n = write(fd, out.data(), out.size());
            if (n < 0 && errno != EINTR && errno != EAGAIN) break;
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
            if (c.send_mail(env, message) != errc::ok) (void)c.quit();
        } else if (auto* r = std::get_if<command_reply>(&ev)) {
            if (r->command == verb::rcpt) log(rcpts[r->index].address, r->reply.code, r->reply.text);
        } else if (std::holds_alternative<transaction_done>(ev)) {
            (void)c.quit();                                       // result, accepted, reply
        } else if (std::holds_alternative<client_failure>(ev) || std::holds_alternative<closed>(ev)) {
            break;
        }
    }
}
// README: client loop end

} // namespace readme

namespace {

std::string source_region(const char* begin_marker, const char* end_marker) {
    std::ifstream in(SMTPWIRE_TEST_DATA_DIR "/scenario/readme_client_loop.cpp", std::ios::binary);
    std::stringstream all;
    all << in.rdbuf();
    const std::string text = all.str();
    const std::size_t begin = text.find('\n', text.find(begin_marker)) + 1;
    const std::size_t end = text.find(end_marker);
    return text.substr(begin, text.rfind('\n', end) + 1 - begin);
}

// A message of exactly `size` octets: CRLF lines, some starting with a dot.
std::string message_of(std::size_t size) {
    std::string m;
    for (std::size_t line = 0; m.size() < size; ++line)
        m += (line % 7 == 3 ? ".dot line " : "line ") + std::to_string(line) + "\r\n";
    m.resize(size);
    return m;
}

} // namespace

TEST_CASE("README: the client loop is this file's send_mail()") {
    std::ifstream in(SMTPWIRE_TEST_DATA_DIR "/../README.md", std::ios::binary);
    std::stringstream readme;
    readme << in.rdbuf();
    const std::string loop = source_region("// README: client loop begin", "// README: client loop end");
    INFO("expected in README.md:\n" << loop);
    CHECK(readme.str().find("```cpp\n" + loop + "```") != std::string::npos);
}

TEST_CASE("README client loop: content of any size arrives whole") {
    for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{4095}, std::size_t{4096},
                                   std::size_t{4097}, std::size_t{10} << 20}) {
        INFO("body of " << size << " octets");
        readme::loopback_server peer;
        readme::server = &peer;
        readme::logged.clear();
        const std::string message = message_of(size);
        readme::send_mail(3, message, {{"bob@mx.example", {}}, {"carol@mx.example", {}}});
        CHECK(peer.messages == 1);
        CHECK(peer.stored.size() == smtpwire_test::expected_content(message).size());
        CHECK(peer.stored == smtpwire_test::expected_content(message));
        CHECK(peer.recipients == std::vector<std::string>{"bob", "carol"});
        CHECK(readme::logged == std::vector<std::string>{"bob@mx.example 250 OK", "carol@mx.example 250 OK"});
        CHECK(peer.session.done());
    }
    readme::server = nullptr;
}
