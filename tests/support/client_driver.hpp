// Test driver for client_session: plays a server's writes in any split, and an application
// that sends one message per transaction; logs events and the client's output.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "smtpwire/client_session.hpp"
#include "support/server_driver.hpp"

namespace smtpwire_test {

using namespace smtpwire;

inline std::string describe_reply(const reply_info& r) {
    std::string s = std::to_string(r.code);
    if (!r.status.empty())
        s += " " + std::to_string(r.status.cls) + "." + std::to_string(r.status.subject) + "." +
             std::to_string(r.status.detail);
    return s + " " + std::string(r.text);
}

/// One line per event, flow control left out.
inline std::string describe(const client_event& ev) {
    return std::visit(
        [](const auto& e) -> std::string {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, greeted>) return "greeted " + describe_reply(e.reply);
            else if constexpr (std::is_same_v<T, ready>)
                return std::string(e.extended ? "ready EHLO" : "ready HELO") + (e.tls ? " TLS" : "") +
                       (e.authenticated ? " AUTH" : "");
            else if constexpr (std::is_same_v<T, tls_handover>) return "tls_handover";
            else if constexpr (std::is_same_v<T, command_reply>)
                return "reply " + std::string(to_string(e.command)) +
                       (e.command == verb::rcpt || e.command == verb::bdat ? "#" + std::to_string(e.index) : "") +
                       (e.after_content ? " content" : "") +
                       (e.command == verb::data && e.after_content && e.index != 0 ? "#" + std::to_string(e.index) : "") + " " +
                       describe_reply(e.reply);
            else if constexpr (std::is_same_v<T, transaction_done>)
                // "delivered" only where it differs from SMTP's all-or-nothing (LMTP)
                return "done " + std::string(to_string(e.result)) + " " + std::to_string(e.accepted) + "/" +
                       std::to_string(e.recipients) +
                       (e.delivered != (e.result == outcome::success ? e.accepted : 0)
                            ? " delivered=" + std::to_string(e.delivered)
                            : "") +
                       " " + describe_reply(e.reply);
            else if constexpr (std::is_same_v<T, client_failure>)
                return "failure " + std::string(to_string(e.what)) +
                       (e.reply.code ? " " + describe_reply(e.reply) : "");
            else return "";
        },
        ev);
}

/// A message the scripted application sends.
struct outgoing {
    std::string from;
    mail_options options;
    std::vector<std::string> to;
    std::string body;
};

/// The application: on `ready` it starts the first message; it issues each command as
/// soon as can_send() allows; after the 354 (with CHUNKING, at the first need_body) it
/// streams the body in `body_chunk`-sized pieces; after each transaction_done the next
/// message; then QUIT.
class sending_app {
public:
    explicit sending_app(std::vector<outgoing> messages, std::size_t body_chunk = 7)
        : messages_(std::move(messages)), body_chunk_(body_chunk) {}

    std::vector<std::string> errors;  // errc results the application did not expect

    void on_event(client_session& c, const client_event& ev) {
        if (std::holds_alternative<ready>(ev)) started_ = true;
        if (const auto* r = std::get_if<command_reply>(&ev); r && r->command == verb::data && r->reply.code == 354)
            sending_body_ = true;
        if (std::holds_alternative<need_body>(ev)) {
            sending_body_ = true;
            body_due_ = true;
        }
        if (std::holds_alternative<transaction_done>(ev)) {
            ++current_;
            step_ = 0;
            body_offset_ = 0;
            sending_body_ = false;  // a refused BDAT chunk ends the transaction mid-body
            body_due_ = false;
        }
        pump(c);
    }

    // Issues whatever can be issued now; call also after output was written.
    void pump(client_session& c) {
        if (!started_) return;
        if (sending_body_) {
            if (!body_due_) return;  // the last part is still being passed on
            body_due_ = false;
            const std::string& body = messages_[current_].body;
            if (body_offset_ < body.size()) {
                const std::string_view piece = std::string_view(body).substr(body_offset_, body_chunk_);
                const errc e = c.send_body(piece);
                if (e != errc::ok) {
                    errors.push_back("send_body: " + std::string(to_string(e)));
                    sending_body_ = false;
                    gave_up_ = true;
                    return;
                }
                body_offset_ += piece.size();
                return;
            }
            check("end_body", c.end_body());
            sending_body_ = false;
            return;
        }
        while (c.can_send()) {
            if (current_ >= messages_.size()) {
                if (!quit_sent_) check("quit", c.quit());
                quit_sent_ = true;
                return;
            }
            const outgoing& m = messages_[current_];
            if (step_ == 0) {
                const errc e = c.mail_from(m.from, m.options);
                if (e != errc::ok) {
                    errors.push_back("mail_from: " + std::string(to_string(e)));
                    ++current_;
                    continue;
                }
            } else if (step_ <= m.to.size()) {
                check("rcpt_to", c.rcpt_to(m.to[step_ - 1]));
            } else if (step_ == m.to.size() + 1) {
                check("data", c.data());
            } else {
                return;  // wait for this transaction's end
            }
            ++step_;
        }
    }

    /// True once send_body() refused a piece: the message cannot be finished.
    bool gave_up() const { return gave_up_; }

private:
    void check(const char* what, errc e) {
        if (e != errc::ok) errors.push_back(std::string(what) + ": " + std::string(to_string(e)));
    }

    std::vector<outgoing> messages_;
    std::size_t body_chunk_;
    std::size_t current_ = 0;
    std::size_t step_ = 0;
    std::size_t body_offset_ = 0;
    bool started_ = false;
    bool sending_body_ = false;
    bool body_due_ = false;
    bool gave_up_ = false;
    bool quit_sent_ = false;
};

/// The result of a client run.
struct client_run {
    std::vector<std::string> events;
    std::string output;
    /// What the client wrote between two deliveries of server bytes.
    std::vector<std::string> flights;
    std::vector<std::string> app_errors;
    bool done = false;
    std::size_t max_unconsumed = 0;
};

/// Runs a client against a fixed server byte stream. `writes` are the server's writes,
/// each delivered when the client asks for data, split as `opt` says. At tls_handover
/// the rest of the write that carried the 220 is fed (plaintext the session must drop),
/// then TLS is taken as established: later writes stand for bytes sent inside TLS.
inline client_run run_client(const client_config& config, const std::vector<std::string>& writes,
                             bool eof, sending_app app, const run_options& opt = {}) {
    client_session c(config);
    client_run r;
    std::deque<piece> pieces = split_writes(writes, opt);
    std::size_t current_write = 0;
    std::string buffer;
    std::string flight;
    bool eof_sent = false;
    for (std::size_t guard = 0; guard < 10'000'000; ++guard) {
        const client_event ev = c.next_event();
        if (std::holds_alternative<need_output>(ev)) {
            const std::string_view out = c.output();
            const std::size_t n = opt.write_chunk && opt.write_chunk < out.size() ? opt.write_chunk : out.size();
            r.output.append(out.substr(0, n));
            flight.append(out.substr(0, n));
            c.consume_output(n);
            app.pump(c);
            continue;
        }
        if (std::holds_alternative<closed>(ev)) break;
        if (std::holds_alternative<need_data>(ev)) {
            r.max_unconsumed = std::max(r.max_unconsumed, c.unconsumed().size());
            if (!flight.empty()) r.flights.push_back(flight);
            flight.clear();
            if (pieces.empty()) {
                if (eof && !eof_sent) {
                    c.feed_eof();
                    eof_sent = true;
                    continue;
                }
                break;
            }
            std::string next = std::string(c.unconsumed()) + pieces.front().bytes;
            current_write = pieces.front().write;
            pieces.pop_front();
            buffer.swap(next);
            if (c.feed(buffer) != errc::ok) r.events.push_back("driver: feed refused");
            continue;
        }
        if (std::holds_alternative<tls_handover>(ev)) {
            r.events.push_back(describe(ev));
            while (!pieces.empty() && pieces.front().write == current_write) {
                buffer = pieces.front().bytes;
                pieces.pop_front();
                if (c.feed(buffer) != errc::ok) r.events.push_back("driver: feed refused");
            }
            if (c.tls_established() != errc::ok) r.events.push_back("driver: tls_established refused");
            continue;
        }
        if (std::holds_alternative<need_body>(ev)) {
            app.on_event(c, ev);
            if (app.gave_up()) break;  // the application closes the connection
            continue;
        }
        r.events.push_back(describe(ev));
        app.on_event(c, ev);
    }
    if (!flight.empty()) r.flights.push_back(flight);
    r.done = c.done();
    r.app_errors = app.errors;
    return r;
}

} // namespace smtpwire_test
