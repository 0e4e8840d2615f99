// The client role of SMTP as a sans-I/O state machine: commands in, bytes and events out.
// RFC 5321 §3, §4 (procedures, replies, timeouts), RFC 2920, 1870, 6152, 6531.
#ifndef SMTPWIRE_CLIENT_SESSION_HPP
#define SMTPWIRE_CLIENT_SESSION_HPP

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "smtpwire/ascii.hpp"
#include "smtpwire/capabilities.hpp"
#include "smtpwire/client_events.hpp"
#include "smtpwire/domain.hpp"
#include "smtpwire/dot_stuffer.hpp"
#include "smtpwire/errc.hpp"
#include "smtpwire/esmtp_param.hpp"
#include "smtpwire/extension.hpp"
#include "smtpwire/line_scanner.hpp"
#include "smtpwire/mail_parameters.hpp"
#include "smtpwire/mailbox.hpp"
#include "smtpwire/output_buffer.hpp"
#include "smtpwire/reply_parser.hpp"
#include "smtpwire/timeouts.hpp"

namespace smtpwire {
inline namespace v0 {

/// Everything a client session is told at construction. Strings are copied.
struct client_config {
    /// The name sent with EHLO/HELO: a domain or an address literal. Anything else
    /// (CR, LF, NUL, SP, ...) makes the session fail with client_error::invalid_config
    /// before it sends a byte.
    std::string_view helo_name = "localhost";
    /// Pipeline MAIL, RCPT and DATA (RFC 2920) when the server offers PIPELINING.
    bool pipelining = true;
    /// Bounds on reply lines and lines per reply; a longer reply is an error.
    reply_limits reply{};
    /// Output buffer capacity, allocated once (at least 1024 octets).
    std::size_t output_buffer = 4096;
    client_timeouts timeouts{};
};

/// Options of one MAIL command.
struct mail_options {
    /// Declared message size (SIZE=, RFC 1870), sent when the server offers SIZE;
    /// 0: none. Over the server's announced limit: errc::too_large before MAIL.
    std::uint64_t size = 0;
    /// BODY=8BITMIME (RFC 6152): required for content with 8-bit bytes; refused with
    /// errc::not_supported when the server does not offer 8BITMIME.
    body_type body = body_type::unspecified;
    /// SMTPUTF8 (RFC 6531): required for UTF-8 addresses; set automatically for a UTF-8
    /// reverse path. errc::not_supported when the server does not offer it.
    bool smtputf8 = false;
    /// Further parameters as "KEYWORD[=value]" separated by single spaces (e.g. DSN's
    /// "RET=HDRS ENVID=QQ314159"); each must match RFC 5321's esmtp-param grammar.
    std::string_view parameters;
};

/// What send_body() did.
struct body_result {
    errc error = errc::ok;
    std::size_t taken = 0;  // input octets consumed (dot-stuffed into output())
};

/// One SMTP client connection. The session greets, sends EHLO (HELO if refused), then
/// runs the transactions the application starts with mail_from(), rcpt_to(), data(),
/// send_body() and end_body(). It never blocks, reads a clock, throws or allocates
/// after construction.
class client_session {
public:
    explicit client_session(const client_config& config = {})
        : helo_name_(config.helo_name),
          config_valid_(check_domain_or_literal(config.helo_name, false) == domain_error::ok),
          pipelining_wanted_(config.pipelining),
          timeouts_(config.timeouts),
          parser_(config.reply),
          line_limit_(config.reply.max_line_length),
          out_(config.output_buffer > 1024 ? config.output_buffer : 1024) {
        if (!config_valid_) {
            queue(client_failure{client_error::invalid_config, {}});
            phase_ = phase::closed;
        } else {
            push(pending::greeting);
        }
    }

    /// Gives the session the server's next bytes; same contract as server_session::feed:
    /// borrowed until need_data, starting with unconsumed(). errc::wrong_state unless the
    /// last event was need_data (or none yet, or the session is closed: then discarded).
    [[nodiscard]] errc feed(std::string_view bytes) noexcept {
        if (!want_input_ && phase_ != phase::closed) return errc::wrong_state;
        in_ = bytes;
        pos_ = 0;
        want_input_ = false;
        ++epoch_;
        if (phase_ == phase::closed) pos_ = in_.size();
        return errc::ok;
    }

    /// The server closed its side. Complete replies already fed are still processed.
    void feed_eof() noexcept { input_closed_ = true; }

    /// After need_data: the incomplete reply line to present again at the next feed().
    [[nodiscard]] std::string_view unconsumed() const noexcept { return in_.substr(pos_); }

    /// The next event. Views inside it are valid until the next non-const call.
    [[nodiscard]] client_event next_event() noexcept {
        for (;;) {
            if (queued_count_ > 0) {
                client_event ev = queued_[queued_head_];
                queued_head_ = (queued_head_ + 1) % queued_.size();
                --queued_count_;
                return ev;
            }
            if (phase_ == phase::closed) {
                if (out_.empty()) return closed{};
                return need_output{};
            }
            if (out_.free_space() < command_reserve) return need_output{};
            const std::string_view rest = in_.substr(pos_);
            const std::size_t length = scanner_.find_line_end(rest);
            if (length == line_scanner::npos) {
                if (rest.size() > line_limit_ + 1) {
                    fail(client_error::reply_too_long);
                    continue;
                }
                if (input_closed_) {
                    if (front() == pending::quit) {
                        phase_ = phase::closed;  // the server closed without 221: fine after QUIT
                    } else {
                        fail(client_error::connection_closed);
                    }
                    continue;
                }
                if (!out_.empty()) return need_output{};
                want_input_ = true;
                return need_data{};
            }
            pos_ += length + 2;
            on_line(rest.substr(0, length));
        }
    }

    /// What the server announced in its EHLO reply (empty before, or after HELO).
    [[nodiscard]] const capabilities& server_capabilities() const noexcept { return caps_; }

    /// True when a command may be issued now: EHLO is done, no content is being sent,
    /// and either PIPELINING is in use or no reply is outstanding (a few replies at most
    /// may be outstanding besides one transaction's RCPTs).
    [[nodiscard]] bool can_send() const noexcept {
        return phase_ == phase::ready && (pipelining() || pending_count_ == 0) &&
               pending_size_ + 2 <= pending_.size();
    }

    /// True when the server offered PIPELINING and the configuration allows it.
    [[nodiscard]] bool pipelining() const noexcept {
        return pipelining_wanted_ && caps_.has(extension::pipelining);
    }

    /// Starts a transaction: MAIL FROM:<address> with options. `address` is the sender
    /// ("" for the null reverse path <>), as an addr-spec; a local part that is not a
    /// Dot-string is quoted as RFC 5321 requires. Errors, with nothing sent:
    /// wrong_state (not can_send(), or a transaction is open), invalid_argument (CR,
    /// LF, NUL, or not an address), not_supported, too_large, output_full.
    [[nodiscard]] errc mail_from(std::string_view address, const mail_options& options = {}) noexcept {
        if (!can_send() || tx_.active) return errc::wrong_state;
        const bool utf8_address = has_non_ascii(address);
        const bool smtputf8 = options.smtputf8 || utf8_address;
        if (smtputf8 && !caps_.has(extension::smtputf8)) return errc::not_supported;
        if (options.body == body_type::eight_bit_mime && !caps_.has(extension::eight_bit_mime))
            return errc::not_supported;
        if (options.size != 0 && caps_.size_limit() != 0 && options.size > caps_.size_limit())
            return errc::too_large;
        if (!valid_parameters(options.parameters, smtputf8)) return errc::invalid_argument;
        command_writer w(out_);
        w.put("MAIL FROM:");
        if (const errc e = write_path(w, address, smtputf8, true); e != errc::ok) return e;
        if (options.size != 0 && caps_.has(extension::size)) {
            char digits[24];
            const auto r = std::to_chars(digits, digits + sizeof digits, options.size);
            w.put(" SIZE=");
            w.put(std::string_view(digits, static_cast<std::size_t>(r.ptr - digits)));
        }
        if (options.body == body_type::eight_bit_mime) w.put(" BODY=8BITMIME");
        if (options.body == body_type::seven_bit) w.put(" BODY=7BIT");
        if (smtputf8) w.put(" SMTPUTF8");
        if (!options.parameters.empty()) {
            w.put(" ");
            w.put(options.parameters);
        }
        if (!w.finish()) return errc::output_full;
        tx_ = transaction{};
        decisive_ = reply_info{};
        tx_.active = true;
        tx_.smtputf8 = smtputf8;
        tx_.eight_bit = options.body == body_type::eight_bit_mime;
        push(pending::mail);
        ++epoch_;
        return errc::ok;
    }

    /// Adds a recipient: RCPT TO:<address>[ parameters]. Its reply arrives as a
    /// command_reply with `index` = the number of earlier rcpt_to() calls of this
    /// transaction. "postmaster" alone is sent as <postmaster>. Errors as mail_from();
    /// wrong_state also after data() or when MAIL was refused.
    [[nodiscard]] errc rcpt_to(std::string_view address, std::string_view parameters = {}) noexcept {
        if (!can_send() || !tx_.active || tx_.data_sent || tx_.mail_failed) return errc::wrong_state;
        if (has_non_ascii(address) && !tx_.smtputf8) return errc::not_supported;
        if (!valid_parameters(parameters, tx_.smtputf8)) return errc::invalid_argument;
        command_writer w(out_);
        w.put("RCPT TO:");
        if (const errc e = write_path(w, address, tx_.smtputf8, false); e != errc::ok) return e;
        if (!parameters.empty()) {
            w.put(" ");
            w.put(parameters);
        }
        if (!w.finish()) return errc::output_full;
        ++tx_.recipients;
        push(pending::rcpt);
        ++epoch_;
        return errc::ok;
    }

    /// Asks to send the content. With PIPELINING, DATA joins the batch; the content
    /// may only follow the 354 (a command_reply for verb::data with code 354). Without
    /// PIPELINING, called after every RCPT reply: when none was accepted, RSET is sent
    /// instead and the transaction ends as failed. Errors: wrong_state, output_full.
    [[nodiscard]] errc data() noexcept {
        if (!can_send() || !tx_.active || tx_.data_sent || tx_.mail_failed || tx_.recipients == 0)
            return errc::wrong_state;
        if (pending_count_ == 0 && tx_.accepted == 0) {
            if (out_.free_space() < command_reserve) return errc::output_full;
            tx_.data_sent = true;
            finish_transaction();
            return errc::ok;
        }
        if (!out_.append("DATA\r\n")) return errc::output_full;
        tx_.data_sent = true;
        push(pending::data);
        ++epoch_;
        return errc::ok;
    }

    /// Sends message content after the 354, dot-stuffed, bare CR and LF turned into
    /// CRLF; any chunk size. Takes as much as fits in the output buffer (body_result::
    /// taken; call again with the rest after writing output()). Errors, nothing taken:
    /// wrong_state (no 354 yet); not_supported (an 8-bit byte without BODY=8BITMIME:
    /// the message cannot be finished correctly, close the connection).
    [[nodiscard]] body_result send_body(std::string_view bytes) noexcept {
        if (phase_ != phase::content) return {errc::wrong_state, 0};
        const std::size_t room = out_.free_space();
        char* p = out_.reserve(room);
        if (p == nullptr || room == 0) return {errc::ok, 0};
        // Each input octet takes at least one output octet, so no more than `room` of
        // them can be taken now; only those are checked, keeping the cost linear.
        const std::string_view now = bytes.substr(0, room);
        if (!tx_.eight_bit)
            for (char c : now)
                if (ascii::is_non_ascii(c)) return {errc::not_supported, 0};
        const stuff_result r = stuffer_.encode(now, p, room);
        out_.commit(r.written);
        return {errc::ok, r.consumed};
    }

    /// Ends the content: a final CRLF if it lacked one, then "." CRLF. Errors:
    /// wrong_state (no 354 yet), output_full.
    [[nodiscard]] errc end_body() noexcept {
        if (phase_ != phase::content) return errc::wrong_state;
        char* p = out_.reserve(out_.free_space());
        const std::size_t n = p ? stuffer_.finish(p, out_.free_space()) : 0;
        if (n == 0) return errc::output_full;
        out_.commit(n);
        phase_ = phase::ready;
        push(pending::content);
        ++epoch_;
        return errc::ok;
    }

    /// RSET: abandons the open transaction (no transaction_done follows). Errors:
    /// wrong_state, output_full.
    [[nodiscard]] errc reset() noexcept {
        if (!can_send()) return errc::wrong_state;
        if (!out_.append("RSET\r\n")) return errc::output_full;
        tx_ = transaction{};
        push(pending::rset);
        ++epoch_;
        return errc::ok;
    }

    /// QUIT: the session closes after the 221 (or when the server closes). Errors:
    /// wrong_state, output_full.
    [[nodiscard]] errc quit() noexcept {
        if (!can_send()) return errc::wrong_state;
        if (!out_.append("QUIT\r\n")) return errc::output_full;
        tx_ = transaction{};
        phase_ = phase::quitting;
        push(pending::quit);
        ++epoch_;
        return errc::ok;
    }

    /// Bytes to write to the server; valid until the next non-const call.
    [[nodiscard]] std::string_view output() const noexcept { return out_.view(); }
    /// Marks the first `n` bytes of output() as written.
    void consume_output(std::size_t n) noexcept { out_.consume(n); }
    /// True once the session is closed and all output is consumed.
    [[nodiscard]] bool done() const noexcept { return phase_ == phase::closed && out_.empty(); }

    /// What to time now (RFC 5321 §4.5.3.2): the reply due first, or content sending.
    [[nodiscard]] timeout current_timeout() const noexcept {
        using k = timeout_kind;
        if (phase_ == phase::closed) return {k::none, std::chrono::milliseconds{0}, epoch_};
        if (phase_ == phase::content) return {k::data, timeouts_.data_block, epoch_};
        switch (front()) {
        case pending::greeting: return {k::greeting, timeouts_.greeting, epoch_};
        case pending::mail: return {k::mail, timeouts_.mail, epoch_};
        case pending::rcpt: return {k::rcpt, timeouts_.rcpt, epoch_};
        case pending::data: return {k::data_initiation, timeouts_.data_initiation, epoch_};
        case pending::content: return {k::data_termination, timeouts_.data_termination, epoch_};
        case pending::ehlo: case pending::helo: case pending::rset: case pending::quit:
            return {k::command, timeouts_.command, epoch_};
        case pending::none: break;
        }
        return {k::none, std::chrono::milliseconds{0}, epoch_};
    }

    /// The timer armed for `epoch` expired: if still current, the session fails with
    /// client_error::timeout and closes (the application closes the connection).
    void timed_out(std::uint64_t epoch) noexcept {
        if (epoch != epoch_ || current_timeout().kind == timeout_kind::none) return;
        fail(client_error::timeout);
    }

private:
    // The reply a sent command (or the connection itself) waits for.
    enum class pending { none, greeting, ehlo, helo, mail, rcpt, data, content, rset, quit };
    enum class phase { greeting, ready, content, quitting, closed };

    // Room kept free for the commands the session sends on its own (EHLO, HELO, QUIT,
    // RSET, "."): a 512-octet command line (RFC 5321 §4.5.3.1.4).
    static constexpr std::size_t command_reserve = 512;
    static constexpr std::size_t text_capacity = 512;

    // State of the open mail transaction.
    struct transaction {
        bool active = false;
        bool smtputf8 = false;
        bool eight_bit = false;
        bool mail_failed = false;
        bool data_sent = false;
        bool data_failed = false;
        bool content_aborted = false;  // "." sent right after a 354 with no recipient
        bool content_replied = false;
        bool mail_accepted = false;
        bool transient_rcpt = false;
        std::size_t recipients = 0;
        std::size_t replied = 0;
        std::size_t accepted = 0;
    };

    // Writes one command into the output buffer, or nothing if it does not fit.
    class command_writer {
    public:
        explicit command_writer(output_buffer& out) noexcept
            : out_(out), begin_(out.reserve(out.free_space())), room_(begin_ ? out.free_space() : 0) {}
        void put(std::string_view s) noexcept {
            if (used_ + s.size() > room_) {
                overflow_ = true;
                return;
            }
            if (!s.empty()) std::memcpy(begin_ + used_, s.data(), s.size());
            used_ += s.size();
        }
        char* space(std::size_t n) noexcept { return used_ + n <= room_ ? begin_ + used_ : nullptr; }
        void advance(std::size_t n) noexcept { used_ += n; }
        [[nodiscard]] bool finish() noexcept {
            put("\r\n");
            if (overflow_) return false;
            out_.commit(used_);
            return true;
        }

    private:
        output_buffer& out_;
        char* begin_;
        std::size_t room_;
        std::size_t used_ = 0;
        bool overflow_ = false;
    };

    static bool has_non_ascii(std::string_view s) noexcept {
        for (char c : s)
            if (ascii::is_non_ascii(c)) return true;
        return false;
    }

    static bool valid_parameters(std::string_view params, bool utf8) noexcept {
        while (!params.empty()) {
            const std::size_t sp = params.find(' ');
            const std::string_view param = params.substr(0, sp);
            const std::size_t eq = param.find('=');
            if (!is_esmtp_keyword(param.substr(0, eq))) return false;
            if (eq != std::string_view::npos && !is_esmtp_value(param.substr(eq + 1), utf8))
                return false;
            if (sp == std::string_view::npos) break;
            params.remove_prefix(sp + 1);
            if (params.empty()) return false;  // a trailing space
        }
        return true;
    }

    // "<address>", re-quoting the local part when it is not already a valid one.
    static errc write_path(command_writer& w, std::string_view address, bool utf8, bool reverse) noexcept {
        if (ascii::has_line_break_or_nul(address)) return errc::invalid_argument;
        if (address.empty()) {
            if (!reverse) return errc::invalid_argument;
            w.put("<>");
            return errc::ok;
        }
        if (!reverse && ascii::iequals(address, "postmaster")) {
            w.put("<postmaster>");
            return errc::ok;
        }
        mailbox parsed;
        if (parse_mailbox(address, utf8, parsed) == mailbox_error::ok) {
            w.put("<");
            w.put(address);
            w.put(">");
            return errc::ok;
        }
        const std::size_t at = address.rfind('@');
        if (at == std::string_view::npos || at == 0) return errc::invalid_argument;
        const std::string_view local = address.substr(0, at);
        const std::string_view domain = address.substr(at + 1);
        if (check_domain_or_literal(domain, utf8) != domain_error::ok) return errc::invalid_argument;
        w.put("<");
        const std::size_t need = encode_local_part(local, nullptr, 0, utf8);
        if (need == 0 || need > 64) return errc::invalid_argument;
        char* p = w.space(need);
        if (p == nullptr) {
            w.put(local);  // marks the writer as overflowing
            return errc::output_full;
        }
        (void)encode_local_part(local, p, need, utf8);
        w.advance(need);
        w.put("@");
        w.put(domain);
        w.put(">");
        return errc::ok;
    }

    void queue(const client_event& ev) noexcept {
        if (queued_count_ == queued_.size()) return;  // unreachable: see queued_
        queued_[(queued_head_ + queued_count_) % queued_.size()] = ev;
        ++queued_count_;
    }

    // The FIFO of replies due, RCPTs in a row kept as one entry with a count.
    void push(pending p) noexcept {
        ++pending_count_;
        if (p == pending::rcpt && pending_size_ > 0) {
            auto& back = pending_[(pending_head_ + pending_size_ - 1) % pending_.size()];
            if (back.kind == pending::rcpt) {
                ++back.count;
                return;
            }
        }
        pending_[(pending_head_ + pending_size_) % pending_.size()] = {p, 1};
        ++pending_size_;
    }

    pending front() const noexcept {
        return pending_size_ == 0 ? pending::none : pending_[pending_head_].kind;
    }

    void pop() noexcept {
        --pending_count_;
        if (--pending_[pending_head_].count == 0) {
            pending_head_ = (pending_head_ + 1) % pending_.size();
            --pending_size_;
        }
    }

    void fail(client_error what, const reply_info& info = {}) noexcept {
        queue(client_failure{what, info});
        phase_ = phase::closed;
        pos_ = in_.size();
    }

    // A failure the server announced: report it, then QUIT politely.
    void fail_and_quit(client_error what, const reply_info& info) noexcept {
        queue(client_failure{what, info});
        (void)out_.append("QUIT\r\n");
        phase_ = phase::quitting;
        push(pending::quit);
    }

    void store_text(std::string_view text) noexcept {
        text_size_ = text.size() < text_capacity ? text.size() : text_capacity;
        if (text_size_ != 0) std::memcpy(text_.data(), text.data(), text_size_);
    }

    void on_line(std::string_view line) noexcept {
        reply_line rl;
        const reply_error err = parser_.parse_line(line, rl);
        if (err != reply_error::ok) {
            fail(err == reply_error::line_too_long || err == reply_error::too_many_lines
                     ? client_error::reply_too_long
                     : client_error::malformed_reply);
            return;
        }
        const bool first = parser_.lines() == 1;
        std::string_view text = rl.text;
        std::string_view after_status;
        if (!rl.status.empty() && parse_enhanced_status(text, rl.status, after_status)) text = after_status;
        if (first) store_text(text);
        if (front() == pending::ehlo && rl.code == 250) {
            if (first) caps_.clear();
            (void)caps_.add_line(rl.text, first);
        }
        if (!rl.last) return;
        reply_info info{parser_.code(), parser_.status(), {text_.data(), text_size_}, parser_.lines()};
        parser_.reset();
        on_reply(info);
    }

    void on_reply(const reply_info& info) noexcept {
        if (info.code == 421) {
            fail(client_error::service_closing, info);
            return;
        }
        const pending due = front();
        // 3xx asks for more input: only 354 to DATA does (RFC 5321 §4.3.2).
        const bool intermediate = info.code >= 300 && info.code < 400;
        if (due == pending::none || (intermediate && !(due == pending::data && info.code == 354))) {
            fail(client_error::unexpected_reply, info);
            return;
        }
        pop();
        ++epoch_;
        const bool ok = info.code >= 200 && info.code < 300;
        switch (due) {
        case pending::greeting:
            if (info.code == 220) {
                queue(greeted{info});
                send_hello("EHLO ", pending::ehlo);
            } else {
                fail_and_quit(client_error::greeting_refused, info);
            }
            return;
        case pending::ehlo:
            if (ok) {
                phase_ = phase::ready;
                queue(ready{true});
            } else if (info.code >= 500) {
                caps_.clear();
                send_hello("HELO ", pending::helo);
            } else {
                caps_.clear();
                fail_and_quit(client_error::hello_refused, info);
            }
            return;
        case pending::helo:
            if (ok) {
                phase_ = phase::ready;
                queue(ready{false});
            } else {
                fail_and_quit(client_error::hello_refused, info);
            }
            return;
        case pending::mail:
            queue(command_reply{verb::mail, 0, false, info});
            tx_.mail_accepted = ok;
            if (!ok) note_decisive(info, tx_.mail_failed);
            break;
        case pending::rcpt:
            queue(command_reply{verb::rcpt, tx_.replied++, false, info});
            if (ok) {
                ++tx_.accepted;
            } else {
                tx_.transient_rcpt = tx_.transient_rcpt || info.result() == outcome::transient;
                if (!tx_.mail_failed) store_decisive(info);
            }
            break;
        case pending::data:
            queue(command_reply{verb::data, 0, false, info});
            if (info.code == 354) {
                if (tx_.mail_failed || tx_.accepted == 0) {
                    // RFC 2920 §3.1: with no recipient, end the content at once.
                    (void)out_.append(".\r\n");
                    tx_.content_aborted = true;
                    push(pending::content);
                } else {
                    phase_ = phase::content;
                    stuffer_.reset();
                }
            } else if (!tx_.mail_failed && tx_.accepted > 0) {
                note_decisive(info, tx_.data_failed);
            } else {
                tx_.data_failed = true;
            }
            break;
        case pending::content:
            queue(command_reply{verb::data, 0, true, info});
            tx_.content_replied = true;
            if (!tx_.content_aborted) store_decisive(info);
            break;
        case pending::rset:
            queue(command_reply{verb::rset, 0, false, info});
            return;
        case pending::quit:
            queue(command_reply{verb::quit, 0, false, info});
            phase_ = phase::closed;
            pos_ = in_.size();
            return;
        case pending::none:
            return;
        }
        if (tx_.active && pending_count_ == 0 &&
            (tx_.mail_failed || tx_.data_failed || tx_.content_replied))
            finish_transaction();
    }

    void note_decisive(const reply_info& info, bool& flag) noexcept {
        flag = true;
        store_decisive(info);
    }

    void store_decisive(const reply_info& info) noexcept {
        decisive_ = info;
        decisive_size_ = info.text.size();
        if (decisive_size_ != 0) std::memcpy(decisive_text_.data(), info.text.data(), decisive_size_);
        decisive_.text = {decisive_text_.data(), decisive_size_};
    }

    void send_hello(std::string_view verb_sp, pending p) noexcept {
        (void)out_.append(verb_sp);
        (void)out_.append(helo_name_);
        (void)out_.append("\r\n");
        push(p);
    }

    // The transaction is over: report it and, if the server may still hold its
    // envelope, send RSET.
    void finish_transaction() noexcept {
        transaction_done done{outcome::success, tx_.recipients, tx_.accepted, decisive_};
        const bool delivered = tx_.content_replied && !tx_.content_aborted;
        if (!delivered && !tx_.mail_failed && tx_.accepted == 0)
            done.result = tx_.transient_rcpt ? outcome::transient : outcome::permanent;
        else if (decisive_.result() != outcome::success || delivered)
            done.result = decisive_.result();
        else
            done.result = outcome::permanent;  // a failure without a failing reply: be safe
        const bool needs_rset = tx_.mail_accepted && !tx_.content_replied;
        tx_ = transaction{};
        queue(done);
        if (needs_rset) {
            (void)out_.append("RSET\r\n");
            push(pending::rset);
        }
    }

    std::string helo_name_;
    bool config_valid_;
    bool pipelining_wanted_;
    client_timeouts timeouts_;

    std::string_view in_;
    std::size_t pos_ = 0;
    bool want_input_ = true;
    bool input_closed_ = false;
    line_scanner scanner_;
    reply_parser parser_;
    std::size_t line_limit_;

    phase phase_ = phase::greeting;
    capabilities caps_;
    transaction tx_;
    dot_stuffer stuffer_;
    std::uint64_t epoch_ = 0;

    struct pending_entry {
        pending kind = pending::none;
        std::size_t count = 0;
    };
    std::array<pending_entry, 8> pending_{};
    std::size_t pending_head_ = 0;
    std::size_t pending_size_ = 0;
    std::size_t pending_count_ = 0;

    std::array<char, text_capacity> text_{};
    std::size_t text_size_ = 0;
    reply_info decisive_{};
    std::array<char, text_capacity> decisive_text_{};
    std::size_t decisive_size_ = 0;

    // Events waiting to be returned, in order: at most two follow one reply, plus a
    // failure from timed_out().
    std::array<client_event, 4> queued_{};
    std::size_t queued_head_ = 0;
    std::size_t queued_count_ = 0;

    output_buffer out_;
};

} // namespace v0
} // namespace smtpwire

#endif
