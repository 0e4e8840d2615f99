// An application driving client_session for the fuzz targets: it sends a list of
// messages and records every call it makes, what the calls wrote, and the content spans.
#ifndef SMTPWIRE_FUZZ_SENDING_APP_HPP
#define SMTPWIRE_FUZZ_SENDING_APP_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "smtpwire/client_session.hpp"
#include "smtpwire/mailbox.hpp"

#include "fuzz_support.hpp"

namespace smtpwire_fuzz {

/// One message the application sends.
struct outgoing {
    std::string from;  // "" for the null reverse path
    smtpwire::mail_options options;
    std::string parameters;  // options.parameters points here
    std::vector<std::string> to;
    std::string body;
};

/// A stretch of client output that is message content: dot-stuffed `body` and the end
/// of data, from the 354 on; or, when send_body() refused a piece and the application
/// gave up (`open`), a part of the stuffed body that runs to the end of the output.
struct content_span {
    std::size_t begin = 0;
    bool open = false;
    std::string body;
};

/// A MAIL or RCPT command the application had accepted, with the address it gave.
struct sent_address {
    bool mail = false;
    std::string address;
};

/// The application: on `ready` it starts the first message; it issues each command as
/// soon as can_send() allows (all RCPTs and DATA at once with PIPELINING); after a 354
/// it gives the body in pieces of `body_chunk` octets, one per need_body, and ends it;
/// after each transaction_done, or as soon as the session no longer holds the
/// transaction open (with PIPELINING, once its final dot is written), it starts the
/// next message; then QUIT. When send_body()
/// refuses a piece it gives up (gave_up(): the runner closes the connection). A refused MAIL skips the message (after one retry
/// with the body's 8-bit octets masked when 8BITMIME was refused); a refused RCPT skips
/// the recipient; with no recipient left the transaction is abandoned with RSET.
/// Every call that fails must leave the output untouched.
class sending_app {
public:
    /// `impatient`: right after DATA the application also tries QUIT, which the session
    /// must refuse while DATA's reply is due (RFC 2920 §3.1: DATA ends a group).
    sending_app(std::vector<outgoing> messages, std::size_t body_chunk, bool impatient = false)
        : messages_(std::move(messages)), body_chunk_(body_chunk == 0 ? 1 : body_chunk),
          impatient_(impatient) {}

    std::vector<std::string> calls;            // "mail_from ok", "rcpt_to invalid argument", ...
    std::vector<std::string> errors;           // the calls that did not return ok
    std::vector<content_span> spans;           // content written, in order
    std::vector<sent_address> addresses;       // MAIL and RCPT commands issued, in order

    /// Octets written so far, for the spans: bytes already taken from output() plus
    /// those still in it. The runner keeps `taken` up to date.
    std::size_t taken = 0;

    void on_event(smtpwire::client_session& c, const smtpwire::client_event& ev) {
        using namespace smtpwire;
        if (std::holds_alternative<ready>(ev)) started_ = true;
        if (const auto* r = std::get_if<command_reply>(&ev);
            r && transaction_open_ && r->transaction == open_transaction_ && !r->after_content) {
            const bool positive = r->reply.code >= 200 && r->reply.code < 300;
            if (r->command == verb::mail) mail_accepted_ = positive;
            if (r->command == verb::rcpt && positive) ++rcpts_accepted_;
            // After a 354 the client sends the content only when the server accepted MAIL
            // and a recipient; otherwise it ends the content itself (RFC 2920 §3.1).
            if (r->command == verb::data && r->reply.code == 354 && mail_accepted_ && rcpts_accepted_ > 0) {
                sending_body_ = true;
                spans.push_back(content_span{produced(c), false, current_body_});
            }
        }
        if (std::holds_alternative<need_body>(ev)) {
            check(sending_body_ && !body_due_, "need_body outside the content or twice");
            body_due_ = true;
        }
        if (const auto* d = std::get_if<transaction_done>(&ev); d && d->transaction == open_transaction_)
            next_message();
        pump(c);
    }

    /// Issues whatever can be issued now; call also after output was written.
    void pump(smtpwire::client_session& c) {
        using namespace smtpwire;
        if (!started_) return;
        if (sending_body_) {
            if (!body_due_) return;  // the last part is still being passed on
            body_due_ = false;
            if (body_offset_ < current_body_.size()) {
                const std::string_view piece = std::string_view(current_body_).substr(body_offset_, body_chunk_);
                const std::size_t before = produced(c);
                const errc e = c.send_body(piece);
                check(produced(c) == before, "send_body() wrote output at once");
                record("send_body", e);
                if (e != errc::ok) {
                    // The message cannot be finished: the content stays open to the end.
                    sending_body_ = false;
                    gave_up_ = true;
                    spans.back().open = true;
                    return;
                }
                body_offset_ += piece.size();
                return;
            }
            record("end_body", c.end_body());
            sending_body_ = false;
            return;
        }
        for (int guard = 0; c.can_send() && guard < 64; ++guard) {
            if (current_ >= messages_.size()) {
                if (!quit_sent_ && call(c, "quit", [&] { return c.quit(); }) == errc::output_full) return;
                quit_sent_ = true;
                return;
            }
            const outgoing& m = messages_[current_];
            if (step_ == 0) {
                const errc e = start_message(c, m);
                if (e == errc::output_full || e == errc::wrong_state) return;
                if (e != errc::ok) continue;
            } else if (step_ <= m.to.size()) {
                const std::string& address = m.to[step_ - 1];
                const errc e = call(c, "rcpt_to", [&] { return c.rcpt_to(address); });
                if (e == errc::output_full) return;
                if (e == errc::ok) {
                    addresses.push_back({false, address});
                    ++rcpts_ok_;
                    rcpts_by_transaction_.back().second = rcpts_ok_;
                }
            } else if (step_ == m.to.size() + 1) {
                if (rcpts_ok_ == 0) {
                    // Nothing to send to: abandon the transaction (no transaction_done).
                    const errc e = call(c, "reset", [&] { return c.reset(); });
                    if (e == errc::output_full) return;
                    if (e == errc::ok) next_message();
                    continue;
                }
                const errc e = call(c, "data", [&] { return c.data(); });
                if (e == errc::output_full) return;
                if (e == errc::ok && impatient_ && c.transaction() != 0 && c.can_send())
                    (void)call(c, "quit", [&] { return c.quit(); });
            } else if (transaction_open_ && c.transaction() != open_transaction_) {
                // Its final dot is written and only its final reply is due: the next
                // message may go (RFC 2920 §3.1). Its transaction_done comes later.
                next_message();
                continue;
            } else {
                return;  // wait for this transaction's end
            }
            ++step_;
        }
    }

    /// The rcpt_to() calls that succeeded in transaction `tx`.
    std::size_t rcpts_of(smtpwire::transaction_id tx) const {
        for (const auto& [id, count] : rcpts_by_transaction_)
            if (id == tx) return count;
        return 0;
    }
    /// True once send_body() refused a piece: the application closes the connection.
    bool gave_up() const { return gave_up_; }
    /// True when the last call found the output full: write output(), then pump().
    bool blocked() const { return blocked_; }

private:
    std::size_t produced(const smtpwire::client_session& c) const { return taken + c.output().size(); }

    // Makes one call. output_full is not recorded: how full the output is depends on
    // when the runner writes it, and the call is made again after need_output.
    template <class F>
    smtpwire::errc call(smtpwire::client_session& c, const char* what, F f) {
        const std::size_t before = produced(c);
        const smtpwire::errc e = f();
        blocked_ = e == smtpwire::errc::output_full;
        if (e != smtpwire::errc::ok) check(produced(c) == before, "a refused call wrote output", what);
        // A MAIL refused while earlier replies are due is made again later, like output_full.
        const bool retried = e == smtpwire::errc::wrong_state && std::string_view(what) == "mail_from";
        if (e != smtpwire::errc::output_full && !retried) record(what, e);
        return e;
    }

    void record(const char* what, smtpwire::errc e) {
        std::string line = std::string(what) + " " + std::string(smtpwire::to_string(e));
        if (e != smtpwire::errc::ok) errors.push_back(line);
        calls.push_back(std::move(line));
    }

    // MAIL FROM for `m`: ok, output_full (call again later), or another error when the
    // message is skipped.
    smtpwire::errc start_message(smtpwire::client_session& c, const outgoing& m) {
        using namespace smtpwire;
        current_body_ = m.body;
        mail_options options = m.options;
        options.parameters = m.parameters;
        if (seven_bit_retry_) {
            for (char& ch : current_body_) ch = static_cast<char>(ch & 0x7F);
            options.body = body_type::unspecified;
        }
        errc e = call(c, "mail_from", [&] { return c.mail_from(m.from, options); });
        if (e == errc::not_supported && options.body == body_type::eight_bit_mime) {
            seven_bit_retry_ = true;
            for (char& ch : current_body_) ch = static_cast<char>(ch & 0x7F);
            options.body = body_type::unspecified;
            e = call(c, "mail_from", [&] { return c.mail_from(m.from, options); });
        }
        // wrong_state: replies of an abandoned transaction are still due; wait for them.
        if (e == errc::output_full || e == errc::wrong_state) return e;
        seven_bit_retry_ = false;
        if (e != errc::ok) {
            ++current_;
            return e;
        }
        addresses.push_back({true, m.from});
        transaction_open_ = true;
        open_transaction_ = c.transaction();
        rcpts_by_transaction_.emplace_back(open_transaction_, 0);
        mail_accepted_ = false;
        rcpts_accepted_ = 0;
        rcpts_ok_ = 0;
        return errc::ok;
    }

    void next_message() {
        transaction_open_ = false;
        open_transaction_ = 0;
        mail_accepted_ = false;
        rcpts_accepted_ = 0;
        sending_body_ = false;
        ++current_;
        step_ = 0;
        body_offset_ = 0;
        rcpts_ok_ = 0;
    }

    std::vector<outgoing> messages_;
    std::size_t body_chunk_;
    std::size_t current_ = 0;
    std::size_t step_ = 0;
    std::size_t body_offset_ = 0;
    std::size_t rcpts_ok_ = 0;
    std::size_t rcpts_accepted_ = 0;
    std::string current_body_;
    bool started_ = false;
    bool sending_body_ = false;
    bool body_due_ = false;
    bool gave_up_ = false;
    bool quit_sent_ = false;
    bool transaction_open_ = false;
    smtpwire::transaction_id open_transaction_ = 0;
    std::vector<std::pair<smtpwire::transaction_id, std::size_t>> rcpts_by_transaction_;
    bool mail_accepted_ = false;
    bool seven_bit_retry_ = false;
    bool impatient_ = false;
    bool blocked_ = false;
};

/// What the receiving side decodes from an address the application gave: an address
/// that is already a valid Mailbox is sent as it is (a quoted local part then loses its
/// quoting), any other local part is quoted by the client and arrives unchanged.
inline std::string as_delivered(std::string_view address, bool utf8) {
    smtpwire::mailbox m;
    if (address.empty() || smtpwire::parse_mailbox(address, utf8, m) != smtpwire::mailbox_error::ok)
        return std::string(address);
    std::string local(m.local_part.size(), '\0');
    local.resize(smtpwire::decode_local_part(m.local_part, local.data()));
    return local + "@" + std::string(m.domain);
}

} // namespace smtpwire_fuzz

#endif
