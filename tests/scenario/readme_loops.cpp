// The server and client loops README.md shows, run as written, each against the other
// role's session behind an in-memory socket that takes at most 1000 octets a write and
// now and then fails with EAGAIN or EINTR; bodies around the output buffer's size and
// of 10 MiB arrive whole.
#include "smtpwire/smtpwire.hpp"
#include "support/catch.hpp"

#include <sys/types.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "support/content.hpp"
#include "support/readme_text.hpp"

namespace readme {

using namespace smtpwire;

// The other end of the README's `fd`, driven by the loop's own write() and read().
class peer {
public:
    virtual ~peer() = default;
    virtual void deliver(std::string_view bytes) = 0;  // what the loop wrote
    virtual void run() = 0;                           // until the peer waits
    std::string to_loop;                              // what the loop may read
};

peer* other = nullptr;
unsigned calls = 0;

// A socket that is sometimes not ready (EAGAIN) or interrupted (EINTR).
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

ssize_t write(int, const char* data, std::size_t size) {
    if (not_now()) return -1;
    const std::size_t n = std::min<std::size_t>(size, 1000);
    other->deliver(std::string_view(data, n));
    return static_cast<ssize_t>(n);
}

ssize_t read(int, char* data, std::size_t size) {
    if (not_now()) return -1;
    other->run();
    const std::size_t n = std::min(size, other->to_loop.size());
    std::memcpy(data, other->to_loop.data(), n);
    other->to_loop.erase(0, n);
    return static_cast<ssize_t>(n);  // 0: the peer closed
}

// A server_session that accepts everything, for the client loop.
class server_peer : public peer {
public:
    server_session session{[] {
        server_config c;
        c.hostname = "mx.example";  // strict: early input would be refused with 554
        c.limits.message_size = 64 << 20;
        return c;
    }()};
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
                REQUIRE(session.accept() == errc::ok);
            } else if (std::holds_alternative<message_end>(ev)) {
                ++messages;
                REQUIRE(session.accept() == errc::ok);
            } else if (is_decision(ev)) {
                REQUIRE(session.accept() == errc::ok);
            }
        }
    }

private:
    std::string in_;
};

// A client_session sending one message with send_mail(), for the server loop.
class client_peer : public peer {
public:
    client_peer(std::string message, std::vector<std::string> to)
        : message_(std::move(message)), to_(std::move(to)) {
        for (const auto& t : to_) rcpts_.push_back({t, {}});
        env_.sender = "alice@client.example";
        env_.recipients = rcpts_.data();
        env_.recipient_count = rcpts_.size();
        run();
    }

    client_session session{[] {
        client_config c;
        c.helo_name = "client.example";
        return c;
    }()};
    std::vector<std::string> results;  // per recipient, then the transaction

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
            } else if (const auto* r = std::get_if<command_reply>(&ev); r && r->command == verb::rcpt) {
                results.push_back(to_[r->index] + " " + std::to_string(r->reply.code));
            } else if (const auto* d = std::get_if<transaction_done>(&ev)) {
                results.push_back(std::string(to_string(d->result)));
                REQUIRE(session.quit() == errc::ok);
            }
        }
    }

private:
    std::string message_;
    std::vector<std::string> to_;
    std::vector<recipient> rcpts_;
    envelope env_;
    std::string in_;
};

std::vector<std::string> logged;

void log(std::string_view rcpt, unsigned code, std::string_view text) {
    logged.push_back(std::string(rcpt) + " " + std::to_string(code) + " " + std::string(text));
}

// README: server loop begin
// One connection on the socket `fd`: messages for the local parts in `users` are
// added to `mail`; other recipients are refused.
void serve(int fd, const std::vector<std::string>& users, std::vector<std::string>& mail) {
    server_config config;
    config.hostname = "mx.example.com";
    server_session s(config);          // allocates its output buffer once
    input_buffer<16384> in;            // keeps the partial line between reads
    std::string message;

    for (;;) {
        server_event ev = s.next_event();
        if (std::holds_alternative<need_output>(ev)) {          // write replies first
            std::string_view out = s.output();
            ssize_t n = write(fd, out.data(), out.size());
            if (n < 0 && errno != EINTR && errno != EAGAIN) break;
            if (n > 0) s.consume_output(static_cast<std::size_t>(n));
        } else if (std::holds_alternative<need_data>(ev)) {     // keep the partial line, read more
            in.keep(s.unconsumed());
            ssize_t n = read(fd, in.write_data(), in.write_size());
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) s.feed_eof();
            if (n > 0) {
                in.commit(static_cast<std::size_t>(n));
                (void)s.feed(in.data());
            }
        } else if (auto* r = std::get_if<rcpt_to>(&ev)) {        // a decision: now or later
            std::string_view user = r->forward_path.address.local_part;
            if (std::find(users.begin(), users.end(), user) != users.end()) (void)s.accept();
            else (void)s.reject({550, {5, 1, 1}, "No such user"});
        } else if (auto* c = std::get_if<body_chunk>(&ev)) {
            message.append(c->bytes);                            // a view into `in`: no copy made
        } else if (std::holds_alternative<message_end>(ev)) {   // the final dot: keep, then say so
            mail.push_back(std::move(message));
            message.clear();
            (void)s.accept();
        } else if (std::holds_alternative<message_aborted>(ev)) {  // too large, bare LF, hang-up
            message.clear();
        } else if (std::holds_alternative<closed>(ev)) {
            break;
        } else if (is_decision(ev)) {                            // client_connected, hello, mail_from, ...
            (void)s.accept();
        }
    }
}
// README: server loop end

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

// A message of exactly `size` octets: CRLF lines, some starting with a dot.
std::string message_of(std::size_t size) {
    std::string m;
    for (std::size_t line = 0; m.size() < size; ++line)
        m += (line % 7 == 3 ? ".dot line " : "line ") + std::to_string(line) + "\r\n";
    m.resize(size);
    return m;
}

const std::size_t sizes[] = {0, 1, 4095, 4096, 4097, std::size_t{10} << 20};

// The default limit: the largest message the README's server takes (limits.hpp).
const std::size_t server_limit = smtpwire::limits{}.message_size;

} // namespace

TEST_CASE("README: the server and client loops are this file's serve() and send_mail()") {
    const std::string readme = smtpwire_test::file_text(SMTPWIRE_TEST_DATA_DIR "/../README.md");
    const std::string source = smtpwire_test::file_text(SMTPWIRE_TEST_DATA_DIR "/scenario/readme_loops.cpp");
    for (const char* which : {"server", "client"}) {
        const std::string loop =
            smtpwire_test::marked_region(source, std::string("// README: ") + which + " loop begin",
                                         std::string("// README: ") + which + " loop end");
        INFO("expected in README.md:\n" << loop);
        CHECK(readme.find("```cpp\n" + loop + "```") != std::string::npos);
    }
}

TEST_CASE("README client loop: content of any size arrives whole") {
    for (const std::size_t size : sizes) {
        INFO("body of " << size << " octets");
        readme::server_peer server;
        readme::other = &server;
        readme::logged.clear();
        const std::string message = message_of(size);
        readme::send_mail(3, message, {{"bob@mx.example", {}}, {"carol@mx.example", {}}});
        CHECK(server.messages == 1);
        CHECK(server.stored.size() == smtpwire_test::expected_content(message).size());
        CHECK(server.stored == smtpwire_test::expected_content(message));
        CHECK(server.recipients == std::vector<std::string>{"bob", "carol"});
        CHECK(readme::logged == std::vector<std::string>{"bob@mx.example 250 OK", "carol@mx.example 250 OK"});
        CHECK(server.session.done());
    }
    readme::other = nullptr;
}

TEST_CASE("README server loop: content of any size arrives whole, unknown users refused") {
    // Up to the default size limit a message is stored whole; 10 MiB is over it and
    // refused with 552 after the final dot, with nothing stored.
    std::vector<std::size_t> all(std::begin(sizes), std::end(sizes));
    all.push_back(server_limit - 2);  // with the final CRLF the client adds: exactly the limit
    for (const std::size_t size : all) {
        INFO("body of " << size << " octets");
        const std::string message = message_of(size);
        readme::client_peer client(message, {"bob@mx.example.com", "nobody@mx.example.com"});
        readme::other = &client;
        std::vector<std::string> mail;
        readme::serve(3, {"bob", "carol"}, mail);
        const std::string expected = smtpwire_test::expected_content(message);
        if (expected.size() <= server_limit) {
            REQUIRE(mail.size() == 1);
            CHECK(mail[0].size() == expected.size());
            CHECK(mail[0] == expected);
            CHECK(client.results ==
                  std::vector<std::string>{"bob@mx.example.com 250", "nobody@mx.example.com 550", "success"});
        } else {
            CHECK(mail.empty());
            CHECK(client.results ==
                  std::vector<std::string>{"bob@mx.example.com 250", "nobody@mx.example.com 550", "permanent"});
        }
        CHECK(client.session.done());
    }
    readme::other = nullptr;
}
