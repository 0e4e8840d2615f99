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
    smtpwire::mail_options options;  // its envid and parameters are set at each call
    std::string parameters;  // options.parameters points here
    std::string envid;       // options.envid points here (DSN's ENVID, as it is)
    std::vector<std::string> to;
    // Per recipient, DSN's NOTIFY and ORCPT (as "addr-type;address"); either may be
    // shorter than `to` (none for the rest).
    std::vector<smtpwire::dsn_notify> notify;
    std::vector<std::string> orcpt;
    std::string body;
    // end_body() right after the send_body() of the last piece, instead of at the next
    // need_body: with CHUNKING the last chunk with content is then marked LAST.
    bool end_with_last_piece = false;
};

/// A stretch of client output that is message content: dot-stuffed `body` and the end
/// of data, from the 354 on; or, when send_body() refused a piece and the application
/// gave up (`open`), a part of the stuffed body that runs to the end of the output.
/// With CHUNKING (`chunked`) the content goes in BDAT chunks, from `begin` (where the
/// output stood when data() succeeded) on; `body` as given, unstuffed.
struct content_span {
    std::size_t begin = 0;
    bool open = false;
    std::string body;
    bool chunked = false;
    smtpwire::transaction_id transaction = 0;  // the session's id of the transaction
};

/// A MAIL or RCPT command the application had accepted, with the address it gave and,
/// for MAIL, the options it was called with (after any 7-bit retry), for RCPT the DSN
/// requests.
struct sent_address {
    bool mail = false;
    std::string address;
    smtpwire::body_type body = smtpwire::body_type::unspecified;
    std::uint64_t size = 0;
    bool smtputf8 = false;
    smtpwire::dsn_return ret = smtpwire::dsn_return::unspecified;
    std::string envid;
    std::string parameters;
    smtpwire::dsn_notify notify{};
    std::string orcpt;
};

/// RFC 3461 §4.4 as client_session takes an ENVID: 1 or more octets of %d33-126, at
/// most 100 once xtext-encoded ('+', '=' and every octet outside %d33-126 take three).
/// Written apart from smtpwire's own check, against which the calls are judged.
inline bool envid_sendable(std::string_view id) {
    std::size_t encoded = 0;
    for (char c : id) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 33 || u > 126) return false;
        encoded += c == '+' || c == '=' ? 3 : 1;
    }
    return !id.empty() && encoded <= 100;
}

/// RFC 3461 §4.2 as client_session takes an ORCPT, "addr-type;address": an atom
/// (RFC 5322 atext), ';', and 1 or more octets of %d32-126, at most 500 in all once
/// the address is xtext-encoded.
inline bool orcpt_sendable(std::string_view orcpt) {
    const std::size_t semicolon = orcpt.find(';');
    if (semicolon == 0 || semicolon == std::string_view::npos || semicolon + 1 == orcpt.size()) return false;
    for (char c : orcpt.substr(0, semicolon)) {
        const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) == std::string_view::npos) return false;
    }
    std::size_t encoded = semicolon + 1;
    for (char c : orcpt.substr(semicolon + 1)) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 32 || u > 126) return false;
        encoded += u == 32 || c == '+' || c == '=' ? 3 : 1;
    }
    return encoded <= 500;
}

/// The application: on `ready` it starts the first message; it issues each command as
/// soon as can_send() allows (all RCPTs and DATA at once with PIPELINING); after a 354
/// (with CHUNKING: once data() has started the content) it gives the body in pieces of
/// `body_chunk` octets, one per need_body, and ends it (at the next need_body, or with
/// the last piece: outgoing::end_with_last_piece);
/// after each transaction_done, or as soon as the session no longer holds the
/// transaction open (with PIPELINING, once its final dot is written), it starts the
/// next message; then QUIT. When send_body()
/// refuses a piece it gives up (gave_up(): the runner closes the connection). A refused
/// MAIL skips the message (after one retry with the body's 8-bit octets masked when
/// BODY=8BITMIME or BINARYMIME was refused); a refused RCPT skips the recipient; with
/// no recipient left the transaction is abandoned with RSET.
/// Every call that fails must leave the output untouched, and DSN requests that cannot
/// be sent (envid_sendable(), orcpt_sendable(), NEVER with another NOTIFY) must make
/// the call fail, with invalid_argument unless an earlier check refused it (or the
/// output is full for now: the call is made again).
class sending_app {
public:
    /// `impatient`: right after DATA the application also tries QUIT, which the session
    /// must refuse while DATA's reply is due (RFC 2920 §3.1: DATA ends a group).
    /// `chunking`: the session's bdat_policy is not `never`, so a transaction started
    /// while the server offers CHUNKING sends its content in BDAT chunks (LMTP too).
    sending_app(std::vector<outgoing> messages, std::size_t body_chunk, bool impatient = false,
                bool chunking = false)
        : messages_(std::move(messages)), body_chunk_(body_chunk == 0 ? 1 : body_chunk),
          impatient_(impatient), chunking_allowed_(chunking) {}

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
                if (body_offset_ == current_body_.size() && end_with_last_piece_) {
                    record("end_body", c.end_body());
                    sending_body_ = false;
                }
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
                const std::size_t k = step_ - 1;
                recipient r;
                r.address = m.to[k];
                if (k < m.notify.size()) r.notify = m.notify[k];
                if (k < m.orcpt.size()) r.orcpt = m.orcpt[k];
                const errc e = call(c, "rcpt_to", [&] { return c.rcpt_to(r); });
                if (e == errc::output_full) return;
                if (!r.notify.valid() || (!r.orcpt.empty() && !orcpt_sendable(r.orcpt)))
                    check(e == errc::invalid_argument || e == errc::wrong_state || e == errc::not_supported,
                          "rcpt_to() did not refuse a NOTIFY or ORCPT that cannot be sent with invalid_argument",
                          r.orcpt);
                if (e == errc::ok) {
                    sent_address sent;
                    sent.address = m.to[k];
                    sent.notify = r.notify;
                    sent.orcpt = std::string(r.orcpt);
                    addresses.push_back(std::move(sent));
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
                if (e == errc::ok && chunked_ && c.transaction() != 0) {
                    // BDAT: the content may follow at once (need_body); the session
                    // writes nothing before the first chunk.
                    sending_body_ = true;
                    spans.push_back(content_span{produced(c), false, current_body_, true, c.transaction()});
                }
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
        options.envid = m.envid;
        if (seven_bit_retry_) {
            for (char& ch : current_body_) ch = static_cast<char>(ch & 0x7F);
            options.body = body_type::unspecified;
        }
        const bool chunked = chunking_allowed_ && c.server_capabilities().has(extension::chunking);
        errc e = call(c, "mail_from", [&] { return c.mail_from(m.from, options); });
        if (e == errc::not_supported &&
            (options.body == body_type::eight_bit_mime || options.body == body_type::binary_mime)) {
            seven_bit_retry_ = true;
            for (char& ch : current_body_) ch = static_cast<char>(ch & 0x7F);
            options.body = body_type::unspecified;
            e = call(c, "mail_from", [&] { return c.mail_from(m.from, options); });
        }
        if (!options.envid.empty() && !envid_sendable(options.envid))
            check(e == errc::invalid_argument || e == errc::wrong_state || e == errc::not_supported ||
                      e == errc::too_large || e == errc::output_full,
                  "mail_from() did not refuse an ENVID that cannot be sent with invalid_argument", options.envid);
        // wrong_state: replies of an abandoned transaction are still due; wait for them.
        if (e == errc::output_full || e == errc::wrong_state) return e;
        seven_bit_retry_ = false;
        if (e != errc::ok) {
            ++current_;
            return e;
        }
        sent_address sent;
        sent.mail = true;
        sent.address = m.from;
        sent.body = options.body;
        sent.size = options.size;
        sent.smtputf8 = options.smtputf8;
        sent.ret = options.ret;
        sent.envid = m.envid;
        sent.parameters = m.parameters;
        addresses.push_back(std::move(sent));
        chunked_ = chunked;
        end_with_last_piece_ = m.end_with_last_piece;
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
    bool chunking_allowed_ = false;
    bool chunked_ = false;  // the open transaction's content goes in BDAT chunks
    bool end_with_last_piece_ = false;
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
