// The two loops docs/server.md and docs/client.md show whole, examples/minimal/'s
// minimal_server.cpp and minimal_client.cpp, run here as written, each against
// the other role's session behind an in-memory socket that takes at most 1000 octets a
// write and now and then fails with EAGAIN or EINTR; bodies of 0 octets to 10 MiB
// arrive whole.
#include "smtpwire/smtpwire.hpp"
#include "support/catch.hpp"

// Every header the two programs include, so that including them below inside a
// namespace adds only their own code.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "support/content.hpp"
#include "support/file_text.hpp"

namespace readme {

using namespace smtpwire;

// The other end of the programs' socket, driven by the loop's own write() and read().
class peer {
public:
    virtual ~peer() = default;
    virtual void deliver(std::string_view bytes) = 0;  // what the loop wrote
    virtual void run() = 0;                           // until the peer waits
    std::string to_loop;                              // what the loop may read
};

const int socket_fd = 1000;  // the loop's socket; reads of other descriptors are real
peer* other = nullptr;
unsigned calls = 0;

// A descriptor that is sometimes not ready (EAGAIN) or interrupted (EINTR).
bool not_now() {
    ++calls;
    if (calls % 7 == 0) {
        errno = EAGAIN;
        return true;
    }
    if (calls % 11 == 0) {
        errno = EINTR;
        return true;
    }
    return false;
}

ssize_t socket_write(int fd, const void* data, std::size_t size) {
    REQUIRE(fd == socket_fd);
    if (not_now()) return -1;
    const std::size_t n = std::min<std::size_t>(size, 1000);
    other->deliver(std::string_view(static_cast<const char*>(data), n));
    return static_cast<ssize_t>(n);
}

ssize_t socket_read(int fd, void* data, std::size_t size) {
    if (not_now()) return -1;
    if (fd != socket_fd) return ::read(fd, data, size);
    other->run();
    const std::size_t n = std::min(size, other->to_loop.size());
    std::memcpy(data, other->to_loop.data(), n);
    other->to_loop.erase(0, n);
    return static_cast<ssize_t>(n);  // 0: the peer closed
}

// A server_session that accepts everything but the recipient `refused`, for the client.
class server_peer : public peer {
public:
    explicit server_peer(std::string refused = {}, bool pipelining = true)
        : session([pipelining] {
              server_config c;
              c.hostname = "mx.example";  // strict: early input would be refused with 554
              c.limits.message_size = 64 << 20;
              if (!pipelining) c.extensions = extension_set{extension::eight_bit_mime};
              return c;
          }()),
          refused_(std::move(refused)) {}

    server_session session;
    std::string stored;  // message content received
    std::vector<std::string> recipients;
    std::size_t messages = 0;

    void deliver(std::string_view bytes) override {
        in_ = std::string(session.unconsumed()) + std::string(bytes);
        REQUIRE(session.feed(in_) == errc::ok);
        run();
    }

    void run() override {
        for (;;) {
            const server_event ev = session.next_event();
            if (std::holds_alternative<need_output>(ev)) {
                to_loop += session.output();
                session.consume_output(session.output().size());
            } else if (std::holds_alternative<need_data>(ev) || std::holds_alternative<closed>(ev)) {
                return;
            } else if (const auto* c = std::get_if<body_chunk>(&ev)) {
                stored += c->bytes;
            } else if (const auto* r = std::get_if<rcpt_to>(&ev)) {
                recipients.emplace_back(r->forward_path.address.local_part);
                if (recipients.back() == refused_) REQUIRE(session.reject({550, {5, 1, 1}, "No such user"}) == errc::ok);
                else REQUIRE(session.accept() == errc::ok);
            } else if (std::holds_alternative<message_end>(ev)) {
                ++messages;
                REQUIRE(session.accept() == errc::ok);
            } else if (is_decision(ev)) {
                REQUIRE(session.accept() == errc::ok);
            }
        }
    }

private:
    std::string refused_;
    std::string in_;
};

// A client_session sending one message with send_mail(), for the server.
class client_peer : public peer {
public:
    explicit client_peer(std::string message) : message_(std::move(message)) {
        env_.sender = "alice@client.example";
        env_.options.body = body_type::eight_bit_mime;
        env_.recipients = &rcpt_;
        env_.recipient_count = 1;
        run();
    }

    client_session session{[] {
        client_config c;
        c.helo_name = "client.example";
        return c;
    }()};
    std::string result;  // of the transaction

    void deliver(std::string_view bytes) override {
        in_ = std::string(session.unconsumed()) + std::string(bytes);
        REQUIRE(session.feed(in_) == errc::ok);
        run();
    }

    void run() override {
        for (;;) {
            const client_event ev = session.next_event();
            if (std::holds_alternative<need_output>(ev)) {
                to_loop += session.output();
                session.consume_output(session.output().size());
            } else if (std::holds_alternative<need_data>(ev) || std::holds_alternative<closed>(ev)) {
                return;
            } else if (std::holds_alternative<ready>(ev)) {
                REQUIRE(session.send_mail(env_, message_) == errc::ok);
            } else if (const auto* d = std::get_if<transaction_done>(&ev)) {
                result = std::string(to_string(d->result));
                REQUIRE(session.quit() == errc::ok);
            }
        }
    }

private:
    std::string message_;
    recipient rcpt_{"bob@mx.example.com", {}};
    envelope env_;
    std::string in_;
};

} // namespace readme

// The programs as they are, their write() and read() the in-memory socket's.
namespace readme_server {
ssize_t write(int fd, const void* data, std::size_t size) { return readme::socket_write(fd, data, size); }
ssize_t read(int fd, void* data, std::size_t size) { return readme::socket_read(fd, data, size); }
#include "../../examples/minimal/minimal_server.cpp"
} // namespace readme_server

namespace readme_client {
ssize_t write(int fd, const void* data, std::size_t size) { return readme::socket_write(fd, data, size); }
ssize_t read(int fd, void* data, std::size_t size) { return readme::socket_read(fd, data, size); }
#include "../../examples/minimal/minimal_client.cpp"
} // namespace readme_client

namespace {

// A message of exactly `size` octets: CRLF lines, some starting with a dot, some 8-bit.
std::string message_of(std::size_t size) {
    std::string m;
    for (std::size_t line = 0; m.size() < size; ++line)
        m += (line % 7 == 3 ? ".dot line " : line % 5 == 1 ? "Gr\xc3\xbc\xc3\x9f" "e " : "line ") +
             std::to_string(line) + "\r\n";
    m.resize(size);
    return m;
}

const std::size_t sizes[] = {0, 1, 4095, 4096, 4097, std::size_t{10} << 20};

// A new empty directory.
std::string temporary_directory() {
    char name[] = "/tmp/smtpwire-readme-XXXXXX";
    REQUIRE(mkdtemp(name) != nullptr);
    return name;
}

void remove_directory(const std::string& dir, unsigned files) {
    for (unsigned i = 1; i <= files; ++i) std::remove((dir + "/" + std::to_string(i) + ".eml").c_str());
    ::rmdir(dir.c_str());
}

} // namespace

TEST_CASE("minimal client loop: content of any size arrives whole") {
    const std::string dir = temporary_directory();
    const std::string path = dir + "/1.eml";
    for (const std::size_t size : sizes) {
        INFO("body of " << size << " octets");
        const std::string message = message_of(size);
        std::FILE* file = std::fopen(path.c_str(), "wb");
        REQUIRE(file != nullptr);
        REQUIRE(std::fwrite(message.data(), 1, message.size(), file) == message.size());
        REQUIRE(std::fclose(file) == 0);
        const int input = ::open(path.c_str(), O_RDONLY);
        REQUIRE(input >= 0);
        readme::server_peer server;
        readme::other = &server;
        CHECK(readme_client::send_message(readme::socket_fd, input, "alice@app.example", "bob@mx.example"));
        ::close(input);
        CHECK(server.messages == 1);
        CHECK(server.stored.size() == smtpwire_test::expected_content(message).size());
        CHECK(server.stored == smtpwire_test::expected_content(message));
        CHECK(server.recipients == std::vector<std::string>{"bob"});
        CHECK(server.session.done());
    }
    remove_directory(dir, 1);
    readme::other = nullptr;
}

TEST_CASE("minimal client loop: a refused recipient, no content, failure, QUIT") {
    for (const bool pipelining : {true, false}) {
        INFO("PIPELINING offered: " << pipelining);
        readme::server_peer server("bob", pipelining);
        readme::other = &server;
        CHECK(!readme_client::send_message(readme::socket_fd, -1, "alice@app.example", "bob@mx.example"));
        CHECK(server.messages == 0);
        CHECK(server.stored.empty());
        CHECK(server.session.done());
    }
    readme::other = nullptr;
}

TEST_CASE("minimal server loop: content of any size is stored whole, one file a message") {
    const std::string dir = temporary_directory();
    unsigned stored = 0;
    for (const std::size_t size : sizes) {
        INFO("body of " << size << " octets");
        const std::string message = message_of(size);
        readme::client_peer client(message);
        readme::other = &client;
        readme_server::serve(readme::socket_fd, dir, stored);
        CHECK(client.result == "success");
        CHECK(client.session.done());
        const std::string expected = smtpwire_test::expected_content(message);
        const std::string file = smtpwire_test::file_text((dir + "/" + std::to_string(stored) + ".eml").c_str());
        CHECK(file.size() == expected.size());
        CHECK(file == expected);
    }
    CHECK(stored == std::size(sizes));
    remove_directory(dir, stored);
    readme::other = nullptr;
}

TEST_CASE("minimal server loop: a message that cannot be stored is refused with 451") {
    readme::client_peer client(message_of(5000));
    readme::other = &client;
    unsigned stored = 0;
    readme_server::serve(readme::socket_fd, "/nonexistent/smtpwire-readme", stored);
    CHECK(stored == 0);
    CHECK(client.result == "transient");
    CHECK(client.session.done());
    readme::other = nullptr;
}
