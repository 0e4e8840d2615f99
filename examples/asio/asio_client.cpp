// asio-client: sends one message, read part by part from FILE or standard input, from FROM to TO
// through HOST:PORT with standalone Asio and a C++20 coroutine; --starttls makes TLS required.
#include "smtpwire/smtpwire.hpp"

#include "starttls_stream.hpp"

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

using namespace smtpwire;
using asio::ip::tcp;

// What the command line asks for.
struct arguments {
    std::string host, port, from, to;
    bool starttls = false;
    const char* cafile = nullptr;  // the system's certificate store when null
};

// Sends the content read from `input` over `stream`; true once the server took it.
asio::awaitable<bool> send_message(starttls_stream& stream, std::FILE* input, const arguments& args,
                                   asio::ssl::context& tls) {
    client_config config;
    config.helo_name = "localhost";
    config.starttls = args.starttls ? tls_policy::required : tls_policy::none;
    client_session c(config);            // allocates its output buffer once
    input_buffer<16384> in;              // keeps the partial reply line between reads
    std::vector<char> part(65536);       // borrowed by send_body() until the next need_body
    enum { start, mail_sent, rcpt_sent, data_sent, quit_due, quit_sent } step = start;
    bool delivered = false;

    for (;;) {
        client_event ev = c.next_event();
        if (std::holds_alternative<need_output>(ev)) {          // commands and content, all of it
            std::string_view out = c.output();
            if (!co_await stream.write_all(out)) break;          // the server is gone
            c.consume_output(out.size());
        } else if (std::holds_alternative<need_data>(ev)) {     // keep the partial line, read more
            in.keep(c.unconsumed());
            std::size_t n = co_await stream.read_some(asio::buffer(in.write_data(), in.write_size()));
            if (n == 0) c.feed_eof();
            if (n > 0) {
                in.commit(n);
                (void)c.feed(in.data());
            }
        } else if (std::holds_alternative<tls_handover>(ev)) {  // the server said 220: TLS now
            asio::error_code error = co_await stream.start_tls(tls, asio::ssl::stream_base::client, args.host);
            if (!error) {
                (void)c.tls_established();  // EHLO again, inside TLS
            } else {
                std::fprintf(stderr, "asio-client: TLS handshake: %s\n", error.message().c_str());
                (void)c.tls_failed();
            }
        } else if (std::holds_alternative<ready>(ev)) {          // EHLO done: capabilities known
            mail_options options;  // declare 8-bit content where the server takes it
            if (c.server_capabilities().has(extension::eight_bit_mime)) options.body = body_type::eight_bit_mime;
            step = c.mail_from(args.from, options) == errc::ok ? mail_sent : quit_due;
        } else if (std::holds_alternative<need_body>(ev)) {      // after the 354: the next part
            std::size_t n = std::fread(part.data(), 1, part.size(), input);  // blocks: nothing else to do
            if (n == 0 && std::ferror(input) != 0) break;        // the message is unreadable
            if (n > 0 && c.send_body(std::string_view(part.data(), n)) != errc::ok) {
                std::fprintf(stderr, "asio-client: 8-bit content, and no 8BITMIME\n");
                break;
            }
            if (n == 0) (void)c.end_body();
        } else if (auto* r = std::get_if<command_reply>(&ev)) {  // the last one is the final reply
            std::string_view command = to_string(r->command);
            std::fprintf(stderr, "%.*s: %u %.*s\n", static_cast<int>(command.size()), command.data(),
                         r->reply.code, static_cast<int>(r->reply.text.size()), r->reply.text.data());
        } else if (auto* f = std::get_if<client_failure>(&ev)) {  // e.g. STARTTLS required, not offered
            std::string_view why = to_string(f->what);
            std::fprintf(stderr, "asio-client: %.*s\n", static_cast<int>(why.size()), why.data());
        } else if (auto* d = std::get_if<transaction_done>(&ev)) {
            delivered = d->result == outcome::success;
            step = quit_due;
        } else if (std::holds_alternative<closed>(ev)) {
            break;
        }
        if (!c.can_send()) continue;  // the next command must wait for a reply
        if (step == mail_sent) step = c.rcpt_to(args.to) == errc::ok ? rcpt_sent : quit_due;
        else if (step == rcpt_sent) step = c.data() == errc::ok ? data_sent : quit_due;
        else if (step == quit_due && c.quit() == errc::ok) step = quit_sent;
    }
    co_return delivered;
}

// Connects to the server, then sends the message.
asio::awaitable<bool> connect_and_send(const arguments& args, std::FILE* input, asio::ssl::context& tls) {
    auto executor = co_await asio::this_coro::executor;
    tcp::resolver resolver(executor);
    tcp::socket socket(executor);
    auto addresses = co_await resolver.async_resolve(args.host, args.port, asio::use_awaitable);
    co_await asio::async_connect(socket, addresses, asio::use_awaitable);  // each in turn; throws if none answers
    starttls_stream stream(std::move(socket));
    co_return co_await send_message(stream, input, args, tls);
}

int main(int argc, char** argv) {
    arguments args;
    std::vector<std::string> operands;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--starttls") == 0) args.starttls = true;
        else if (std::strcmp(argv[i], "--cafile") == 0 && i + 1 < argc) args.cafile = argv[++i];
        else operands.push_back(argv[i]);
    }
    if (operands.size() != 4 && operands.size() != 5) {
        std::fprintf(stderr, "usage: asio-client HOST PORT FROM TO [FILE] [--starttls] [--cafile FILE]\n");
        return 2;
    }
    args.host = operands[0];
    args.port = operands[1];
    args.from = operands[2];
    args.to = operands[3];
    std::FILE* input = operands.size() == 5 ? std::fopen(operands[4].c_str(), "rb") : stdin;
    if (input == nullptr) {
        std::fprintf(stderr, "asio-client: cannot open %s\n", operands[4].c_str());
        return 1;
    }
    bool delivered = false;
    try {
        asio::ssl::context tls(asio::ssl::context::tls_client);
        if (args.starttls) {  // TLS 1.2 or later; the certificate must be valid for HOST (name or IP)
            tls.set_options(asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
            if (args.cafile != nullptr) tls.load_verify_file(args.cafile);
            else tls.set_default_verify_paths();
            tls.set_verify_mode(asio::ssl::verify_peer);
            tls.set_verify_callback(asio::ssl::host_name_verification(args.host));
        }
        asio::io_context io;
        asio::co_spawn(io, connect_and_send(args, input, tls), [&](std::exception_ptr error, bool sent) {
            if (error) std::rethrow_exception(error);
            delivered = sent;
        });
        io.run();
    } catch (const std::exception& error) {
        std::fprintf(stderr, "asio-client: %s\n", error.what());
    }
    return delivered ? 0 : 1;
}
