// Fuzz target: client_session fed arbitrary server bytes while an application sends one
// or two messages, in several splits of those bytes.
//
// Input: configuration bytes, an optional body, then the server's byte stream.
//   byte 0: bit 0 pipelining wanted; bit 1 small reply limits (80-octet lines, 5
//           lines); bits 2-3 output buffer 1024/1500/4096/65536; bits 4-6 the body
//           (0-6 fixed ones, 7: from the input); bit 7 two messages.
//   byte 1: bits 0-1 recipients per message - 1; bits 2-7 the sender.
//   byte 2: the recipients (an offset into the address table).
//   byte 3: bit 0 declare SIZE; bit 1 BODY=8BITMIME; bit 2 SMTPUTF8; bit 3 extra DSN
//           parameters; bit 4 a malformed parameter; bits 5-6 the HELO name
//           (client.example, [192.0.2.1], [IPv6:2001:db8::1], one with CRLF); bit 7
//           an impatient application (tries QUIT right behind DATA).
//   byte 4: body piece size (0: the whole body at once).
//   byte 5: the split offset, scaled to the stream's length.
//   byte 6: octets of output written per need_output in the split run (0: all).
//   with body 7: byte 7 the body length n, then n octets of body.
//
// Invariants: the same events, calls and output whatever the split or write size;
// unconsumed() within the reply line limit; nothing but need_output/closed after a
// failure (after a refused greeting or EHLO/HELO, also the QUIT exchange) or closed;
// the client's output is CRLF lines only: commands that smtpwire's own parser accepts,
// with the application's addresses decoding back to what it gave, and between a 354 and
// the final "." exactly the dot-stuffed body; RCPT reply indices in order; each
// transaction_done counts the recipients the application added and the server accepted.
// On the wire, in the order bytes were written and replies received: no byte follows a
// group-ending command (EHLO, HELO, DATA, QUIT; RFC 2920 §3.1) before its reply has
// arrived, and after a 354 only content until the final "."; the only exception is the
// QUIT of a failed session, never while DATA's reply is due. Every reply reported is
// attributed to the command that caused it and to that command's transaction.
#include "smtpwire/client_session.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "smtpwire/command.hpp"
#include "smtpwire/data_decoder.hpp"
#include "smtpwire/esmtp_param.hpp"
#include "smtpwire/path.hpp"

#include "fuzz_support.hpp"
#include "sending_app.hpp"

using namespace smtpwire;
using smtpwire_fuzz::check;

namespace {

const char* const senders[] = {
    "",
    "alice@example.com",
    "bounce+tag=x@lists.example.org",
    "\"quoted sender\"@example.com",
    "\xc3\xbcn\xc3\xaf\x63ode@ex\xc3\xa4mple.com",
    "foo@x> ORCPT=rfc822;evil@example.com",
    "no-at-sign",
    "user@[IPv6:2001:db8::1]",
};

const char* const recipients[] = {
    "bob@example.com",
    "postmaster",
    "Postmaster@example.com",
    "carol@[192.0.2.1]",
    "d.e.f@sub.example.org",
    "foo@x> ORCPT=rfc822;evil@example.com",
    "a\\b\"c d@example.com",
    "\xc3\xbcser@ex\xc3\xa4mple.com",
    "bad\r\nRCPT TO:<x@y>@example.com",
    "@nolocal.example",
    "user.@example.com",
    "a-very-long-local-part-that-is-longer-than-sixty-four-octets-in-all@example.com",
    ".leading@example.com",
    "dave@xn--bcher-kva.example",
};

const char* const fixed_bodies[] = {
    "",
    "Subject: hi\r\n\r\nhello\r\n.\r\n..two dots\r\n.end\r\n",
    ".leading dot\nbare LF\rbare CR\r\n.\n.\r",
    "no final newline.",
    "\r\n.\r\nMAIL FROM:<smuggled@example.com>\r\n",
    "caf\xc3\xa9 8-bit \xff\r\n",
};

struct plan {
    client_config config;
    std::string helo_name;
    std::vector<smtpwire_fuzz::outgoing> messages;
    std::size_t body_chunk = 0;
    std::uint8_t split = 0;
    std::size_t write_chunk = 0;
    bool impatient = false;
    std::string_view server_bytes;
};

plan read_plan(smtpwire_fuzz::input_reader& in) {
    plan p;
    const std::uint8_t b0 = in.byte();
    const std::uint8_t b1 = in.byte();
    const std::uint8_t b2 = in.byte();
    const std::uint8_t b3 = in.byte();
    const std::uint8_t b4 = in.byte();
    p.split = in.byte();
    p.write_chunk = in.byte();
    p.config.pipelining = (b0 & 1) != 0;
    if (b0 & 2) p.config.reply = reply_limits{80, 5};
    static const std::size_t buffers[] = {1024, 1500, 4096, 65536};
    p.config.output_buffer = buffers[(b0 >> 2) & 3];
    static const char* const helo_names[] = {"client.example", "[192.0.2.1]", "[IPv6:2001:db8::1]",
                                             "client.example\r\nMAIL FROM:<x@y>"};
    p.helo_name = helo_names[(b3 >> 5) & 3];
    p.impatient = (b3 & 128) != 0;
    p.config.helo_name = p.helo_name;
    p.body_chunk = b4 == 0 ? static_cast<std::size_t>(-1) : b4;

    std::string body;
    const unsigned body_choice = (b0 >> 4) & 7;
    if (body_choice == 7) {
        const std::size_t n = in.byte();
        body = std::string(in.bytes(n));
    } else if (body_choice < sizeof fixed_bodies / sizeof fixed_bodies[0]) {
        body = fixed_bodies[body_choice];
    } else {
        body = std::string(1200, 'x') + "\r\n.\r\n" + std::string(20, '.');
    }
    const std::size_t messages = (b0 & 128) ? 2 : 1;
    const std::size_t rcpts = 1 + (b1 & 3);
    constexpr std::size_t sender_count = sizeof senders / sizeof senders[0];
    constexpr std::size_t recipient_count = sizeof recipients / sizeof recipients[0];
    for (std::size_t m = 0; m < messages; ++m) {
        smtpwire_fuzz::outgoing out;
        out.from = senders[((b1 >> 2) + m) % sender_count];
        for (std::size_t r = 0; r < rcpts; ++r) out.to.push_back(recipients[(b2 + 3 * r + 5 * m) % recipient_count]);
        out.body = body;
        if (b3 & 1) out.options.size = body.size();
        if (b3 & 2) out.options.body = body_type::eight_bit_mime;
        out.options.smtputf8 = (b3 & 4) != 0;
        if (b3 & 8) out.parameters = "RET=HDRS ENVID=QQ314159";
        if (b3 & 16) out.parameters = "BAD PARAM\r\nRSET";
        p.messages.push_back(std::move(out));
    }
    p.server_bytes = in.rest();
    return p;
}

std::string describe_reply(const reply_info& r) {
    check(r.text.size() <= 512, "reply text longer than the 512 octets kept", r.text);
    std::string s = std::to_string(r.code) + " " + std::to_string(r.status.cls) + "." +
                    std::to_string(r.status.subject) + "." + std::to_string(r.status.detail) + " " +
                    std::string(r.text) + " (" + std::to_string(r.lines) + ")";
    return s;
}

// A reply event, for attributing it to a command.
struct reported_reply {
    verb command = verb::unknown;
    bool after_content = false;
    std::size_t index = 0;
    transaction_id transaction = 0;
    bool done = false;  // a transaction_done rather than a command_reply
};

// One step of the conversation, in time order: bytes written or received.
struct wire_step {
    bool written = false;
    std::string bytes;
};

struct run_log {
    std::vector<std::string> events;  // events and the application's calls, in order
    std::string output;
    std::vector<smtpwire_fuzz::content_span> spans;
    std::vector<smtpwire_fuzz::sent_address> addresses;
    std::vector<reported_reply> replies;
    std::vector<wire_step> wire;
    bool failed = false;
    bool gave_up = false;
    std::string unsent;  // output() when the application gave up: commands never sent
};

class runner {
public:
    runner(const plan& p, std::vector<std::string_view> pieces, std::size_t write_chunk)
        : p_(p), c_(p.config), app_(p.messages, p.body_chunk, p.impatient), pieces_(std::move(pieces)),
          write_chunk_(write_chunk) {}

    run_log run() {
        for (std::size_t guard = 0;; ++guard) {
            check(guard < 50'000'000, "client session makes no progress");
            const client_event ev = c_.next_event();
            if (closed_) {
                check(std::holds_alternative<closed>(ev), "an event after closed");
                break;
            }
            if (failed_ && !quitting_after_failure_)
                check(std::holds_alternative<need_output>(ev) || std::holds_alternative<closed>(ev),
                      "an event other than need_output or closed after a failure");
            if (std::holds_alternative<need_output>(ev)) {
                check(!c_.output().empty(), "need_output with no output");
                check(c_.wants_write(), "need_output but not wants_write()");
                write_some();
                pump();
            } else if (std::holds_alternative<need_body>(ev)) {
                app_.on_event(c_, ev);
                sync_calls();
                if (app_.gave_up()) {
                    // The application closes the connection; what is still in output()
                    // is never sent.
                    log_.gave_up = true;
                    log_.unsent = std::string(c_.output());
                    break;
                }
            } else if (std::holds_alternative<need_data>(ev)) {
                on_need_data();
            } else if (std::holds_alternative<closed>(ev)) {
                check(c_.done() && c_.output().empty(), "closed but not done");
                check(!c_.can_send(), "can_send() after closed");
                closed_ = true;
                check(c_.feed("250 OK\r\n") == errc::ok, "feed() refused after closed");
            } else {
                on_event(ev);
                app_.on_event(c_, ev);
                pump();
            }
        }
        sync_calls();
        log_.spans = app_.spans;
        log_.addresses = app_.addresses;
        return std::move(log_);
    }

private:
    void write_some() {
        const std::string_view out = c_.output();
        const std::size_t n = write_chunk_ != 0 && write_chunk_ < out.size() ? write_chunk_ : out.size();
        log_.output.append(out.substr(0, n));
        log_.wire.push_back({true, std::string(out.substr(0, n))});
        c_.consume_output(n);
        app_.taken += n;
    }

    // The application calls what it can; a call that found the output full is made
    // again once output() is written, at once, as a loop does on errc::output_full:
    // so its calls never depend on when the session asked for output to be written.
    void pump() {
        app_.pump(c_);
        sync_calls();
        while (app_.blocked() && !c_.output().empty()) {
            write_some();
            app_.pump(c_);
            sync_calls();
        }
    }

    // Moves the application's new calls into the log, in order with the events.
    void sync_calls() {
        for (; calls_logged_ < app_.calls.size(); ++calls_logged_) log_.events.push_back("app: " + app_.calls[calls_logged_]);
    }

    void on_need_data() {
        check(c_.unconsumed().size() <= p_.config.reply.max_line_length + 1,
              "unconsumed() longer than the reply line limit", c_.unconsumed());
        check(!eof_sent_, "need_data after feed_eof()");
        check(c_.wants_read(), "need_data but not wants_read()");
        if (next_piece_ == pieces_.size()) {
            c_.feed_eof();
            eof_sent_ = true;
            return;
        }
        log_.wire.push_back({false, std::string(pieces_[next_piece_])});
        std::string next = std::string(c_.unconsumed()) + std::string(pieces_[next_piece_++]);
        buffer_.swap(next);
        check(c_.feed(buffer_) == errc::ok, "feed() refused after need_data");
    }

    void on_event(const client_event& ev) {
        if (const auto* g = std::get_if<greeted>(&ev)) {
            check(!greeted_ && log_.events.empty(), "greeted twice or not first");
            check(g->reply.code / 100 == 2, "greeted without a 2xx reply");
            greeted_ = true;
            // Before EHLO is done every command is refused, with no output.
            const std::string before(c_.output());
            check(c_.mail_from("a@b.example") == errc::wrong_state && c_.data() == errc::wrong_state &&
                      c_.rcpt_to("c@d.example") == errc::wrong_state && c_.end_body() == errc::wrong_state &&
                      c_.send_body("x") == errc::wrong_state && c_.quit() == errc::wrong_state,
                  "a command accepted before EHLO was done");
            check(c_.output() == before, "a refused command wrote output");
            log_.events.push_back("greeted " + describe_reply(g->reply));
        } else if (const auto* r = std::get_if<ready>(&ev)) {
            check(greeted_ && !ready_, "ready before the greeting or twice");
            ready_ = true;
            log_.events.push_back(r->extended ? "ready EHLO" : "ready HELO");
        } else if (const auto* cr = std::get_if<command_reply>(&ev)) {
            check(cr->reply.code >= 200 && cr->reply.code <= 599, "reply with an invalid code");
            log_.replies.push_back({cr->command, cr->after_content, cr->index, cr->transaction, false});
            check(cr->reply.lines >= 1, "reply without lines");
            if (cr->command == verb::mail) {
                rcpt_replies_ = 0;
                accepted_ = 0;
                content_ok_ = false;
            } else if (cr->command == verb::rcpt) {
                check(cr->index == rcpt_replies_, "RCPT reply index out of order");
                ++rcpt_replies_;
                if (cr->reply.code >= 200 && cr->reply.code < 300) ++accepted_;
            } else if (cr->command == verb::data && cr->after_content) {
                content_ok_ = cr->reply.code >= 200 && cr->reply.code < 300;
            }
            if (cr->command == verb::quit) quitting_after_failure_ = false;
            log_.events.push_back("reply " + std::string(to_string(cr->command)) + " #" + std::to_string(cr->index) +
                                  (cr->after_content ? " content " : " ") + describe_reply(cr->reply));
        } else if (const auto* d = std::get_if<transaction_done>(&ev)) {
            check(d->recipients == app_.open_rcpts(), "transaction_done counts other recipients than were added");
            check(d->accepted == accepted_ && d->accepted <= d->recipients, "transaction_done accepted count wrong");
            check(d->result != outcome::success || (accepted_ > 0 && content_ok_),
                  "transaction reported a success without an accepted message");
            log_.replies.push_back({verb::unknown, false, 0, d->transaction, true});
            log_.events.push_back("done " + std::string(to_string(d->result)) + " " + std::to_string(d->accepted) + "/" +
                                  std::to_string(d->recipients) + " " + describe_reply(d->reply));
        } else if (const auto* f = std::get_if<client_failure>(&ev)) {
            check(!failed_ || quitting_after_failure_, "a second failure");
            failed_ = true;
            log_.failed = true;
            quitting_after_failure_ =
                f->what == client_error::greeting_refused || f->what == client_error::hello_refused;
            check(f->what != client_error::invalid_config || log_.events.empty(), "invalid_config not first");
            log_.events.push_back("failure " + std::string(to_string(f->what)) + " " + describe_reply(f->reply));
        } else {
            smtpwire_fuzz::fail("unknown client event");
        }
    }

    const plan& p_;
    client_session c_;
    smtpwire_fuzz::sending_app app_;
    std::vector<std::string_view> pieces_;
    std::size_t write_chunk_;
    std::size_t next_piece_ = 0;
    std::size_t calls_logged_ = 0;
    std::string buffer_;
    bool eof_sent_ = false;
    bool closed_ = false;
    bool failed_ = false;
    bool quitting_after_failure_ = false;
    bool greeted_ = false;
    bool ready_ = false;
    bool content_ok_ = false;
    std::size_t rcpt_replies_ = 0;
    std::size_t accepted_ = 0;
    run_log log_;
};

// The address a MAIL or RCPT line carries, decoded as a server would see it.
std::string decoded_address(const path& p) {
    if (p.kind == path_kind::null_path) return "";
    if (p.kind == path_kind::postmaster) return std::string(p.address.local_part);
    std::string local(p.address.local_part.size(), '\0');
    local.resize(decode_local_part(p.address.local_part, local.data()));
    return local + "@" + std::string(p.address.domain);
}

// Checks one command line the client wrote (CRLF removed); MAIL and RCPT must carry the
// next address the application gave.
void check_command(std::string_view line, const plan& p, const run_log& log, std::size_t& next_address) {
    check(line.size() + 2 <= 512, "command line longer than 512 octets", line);
    check(!smtpwire_fuzz::has_bare_newline(line) && line.find('\r') == std::string_view::npos &&
              line.find('\0') == std::string_view::npos,
          "CR, LF or NUL inside a command line", line);
    if (line == ".") return;  // the end of content the client sends itself after a 354
    command cmd;
    check(parse_command(line, cmd) == command_error::ok, "the client wrote a command smtpwire refuses", line);
    switch (cmd.verb) {
    case verb::ehlo:
    case verb::helo:
        check(cmd.argument == p.helo_name, "EHLO/HELO with another name", line);
        return;
    case verb::data:
    case verb::rset:
    case verb::quit:
        return;
    case verb::mail:
    case verb::rcpt: {
        path_options opt;
        opt.utf8 = true;
        path parsed;
        std::string_view rest;
        const path_error e = cmd.verb == verb::mail ? parse_reverse_path(cmd.argument, opt, parsed, rest)
                                                     : parse_forward_path(cmd.argument, opt, parsed, rest);
        check(e == path_error::ok, "the client wrote a path smtpwire refuses", line);
        esmtp_param_reader reader(rest, true);
        esmtp_param param;
        param_error pe;
        while ((pe = reader.next(param)) == param_error::ok) {
        }
        check(pe == param_error::end, "the client wrote malformed parameters", line);
        check(next_address < log.addresses.size(), "a MAIL or RCPT the application did not issue", line);
        const smtpwire_fuzz::sent_address& sent = log.addresses[next_address++];
        check(sent.mail == (cmd.verb == verb::mail), "MAIL and RCPT out of order", line);
        check(decoded_address(parsed) == smtpwire_fuzz::as_delivered(sent.address, true),
              "the address on the wire decodes to something else", line);
        return;
    }
    default:
        smtpwire_fuzz::fail("the client wrote an unexpected command", line);
    }
}

void check_output(const plan& p, const run_log& log) {
    std::size_t pos = 0;
    std::size_t next_address = 0;
    auto commands = [&](std::string_view region) {
        for (std::string_view piece : smtpwire_fuzz::split_after_crlf(region)) {
            check(piece.size() >= 2 && piece.substr(piece.size() - 2) == "\r\n", "output not made of CRLF lines", piece);
            check_command(piece.substr(0, piece.size() - 2), p, log, next_address);
        }
    };
    for (const auto& span : log.spans) {
        if (span.open && span.begin >= log.output.size()) break;  // given up before any was written
        check(span.begin >= pos && span.begin <= log.output.size(), "content span out of order");
        commands(std::string_view(log.output).substr(pos, span.begin - pos));
        const std::string_view wire = std::string_view(log.output).substr(span.begin);
        data_decoder decoder;
        std::string content;
        std::size_t used = 0;
        for (;;) {
            const data_piece piece = decoder.next(wire.substr(used));
            used += piece.consumed;
            if (piece.what == data_piece::kind::content) content += piece.bytes;
            if (piece.what != data_piece::kind::content) break;
        }
        const std::string_view written = wire.substr(0, used);
        check(!smtpwire_fuzz::has_bare_newline(written.substr(0, written.size() - (decoder.finished() ? 0 : 1))),
              "bare CR or LF in the content written", written);
        const std::string expected = smtpwire_fuzz::expected_content(span.body);
        if (!decoder.finished()) {
            // The application gave up, or the session failed: what was written is a
            // beginning of the body, and nothing follows it.
            check(span.open || log.failed, "content not ended by its final dot", wire);
            check(expected.compare(0, content.size(), content) == 0,
                  "the content written before the end is not a beginning of the body", wire);
            return;
        }
        check(!span.open, "content ended after send_body() was refused", wire);
        check(content == expected, "the content written is not the body", wire);
        pos = span.begin + used;
    }
    commands(std::string_view(log.output).substr(pos));
    // An application that gives up closes the connection: what it had not written yet
    // is never sent.
    if (!log.gave_up)
        check(next_address == log.addresses.size(), "an issued MAIL or RCPT is missing from the output");
}

// The server side of the wire as the client must read it: reply k (from 0, the greeting)
// answers command k - 1. Counts the complete replies received and keeps their codes.
class reply_counter {
public:
    void receive(std::string_view bytes) {
        for (char c : bytes) {
            line_ += c;
            if (line_.size() < 2 || line_.compare(line_.size() - 2, 2, "\r\n") != 0) continue;
            const bool more = line_.size() > 5 && line_[3] == '-';
            if (!more) {
                std::uint16_t code = 0;
                for (std::size_t i = 0; i < 3 && i < line_.size(); ++i)
                    code = static_cast<std::uint16_t>(code * 10 + (line_[i] >= '0' && line_[i] <= '9' ? line_[i] - '0' : 0));
                codes_.push_back(code);
            }
            line_.clear();
        }
    }
    std::size_t count() const { return codes_.size(); }
    std::uint16_t code(std::size_t k) const { return k < codes_.size() ? codes_[k] : 0; }

private:
    std::string line_;
    std::vector<std::uint16_t> codes_;
};

// A command on the wire, as the server sees it: a command line, or the end of content.
struct wire_command {
    verb command = verb::unknown;
    bool end_of_content = false;
    transaction_id transaction = 0;  // counted from the MAIL commands on the wire
    std::size_t index = 0;           // RCPT position in its transaction
};

bool ends_group(verb v) {
    return v == verb::ehlo || v == verb::helo || v == verb::data || v == verb::quit;
}

// Replays the conversation in the order bytes were written and replies received.
void check_wire(const run_log& log) {
    // For each output offset, the replies received before the step that wrote it.
    std::vector<std::pair<std::size_t, std::size_t>> written_at;  // (offset, replies before)
    reply_counter replies;
    std::size_t offset = 0;
    for (const wire_step& step : log.wire) {
        if (step.written) {
            written_at.push_back({offset, replies.count()});
            offset += step.bytes.size();
        } else {
            replies.receive(step.bytes);
        }
    }
    check(offset == log.output.size(), "the wire log does not match the output");
    auto replies_before = [&](std::size_t at) {
        std::size_t n = 0;
        for (const auto& w : written_at)
            if (w.first <= at) n = w.second;
        return n;
    };

    // Replies may have been read before their commands left (the server's bytes were
    // all there): attribution looks at everything composed, the timing at what was sent.
    const std::string composed = log.output + log.unsent;
    const std::string_view out = composed;
    std::vector<wire_command> commands;
    std::size_t pos = 0;
    std::size_t gate = static_cast<std::size_t>(-1);  // the last group-ending command
    std::size_t data_at = static_cast<std::size_t>(-1);
    transaction_id tx = 0;
    std::size_t rcpts = 0;
    while (pos < out.size()) {
        const std::size_t crlf = out.find("\r\n", pos);
        const std::string_view line = out.substr(pos, crlf == std::string_view::npos ? out.npos : crlf - pos);
        if (gate != static_cast<std::size_t>(-1) && pos < log.output.size() && replies_before(pos) < gate + 2) {
            // Only the QUIT of a failed session, as its last line, and never while the
            // server may be reading content.
            const bool last_line = crlf != std::string_view::npos && crlf + 2 == log.output.size();
            check(log.failed && line == "QUIT" && last_line && commands[gate].command != verb::data,
                  "a byte written after a group-ending command before its reply", out.substr(pos));
        }
        if (!commands.empty() && commands.size() - 1 == data_at && replies.code(data_at + 1) == 354) {
            // After the 354: content, up to and including the final dot.
            data_decoder decoder;
            std::size_t used = 0;
            for (;;) {
                const data_piece piece = decoder.next(out.substr(pos + used));
                used += piece.consumed;
                if (piece.what != data_piece::kind::content) break;
            }
            pos += used;
            if (!decoder.finished()) return;  // cut short by a failure or by the application
            commands.push_back({verb::data, true, tx, 0});
            continue;
        }
        if (crlf == std::string_view::npos) break;
        command cmd;
        (void)parse_command(line, cmd);
        wire_command w{cmd.verb, false, 0, 0};
        if (cmd.verb == verb::mail) {
            ++tx;
            rcpts = 0;
        }
        if (cmd.verb == verb::mail || cmd.verb == verb::rcpt || cmd.verb == verb::data) w.transaction = tx;
        if (cmd.verb == verb::rcpt) w.index = rcpts++;
        if (ends_group(cmd.verb)) gate = commands.size();
        if (cmd.verb == verb::data) data_at = commands.size();
        commands.push_back(w);
        pos = crlf + 2;
    }

    // Each command_reply answers the next command on the wire other than EHLO/HELO
    // (whose replies are `ready` or a failure), with that command's transaction.
    std::size_t next = 0;
    transaction_id last_tx = 0;
    for (const reported_reply& r : log.replies) {
        if (r.done) {
            check(r.transaction != 0 && r.transaction == last_tx,
                  "transaction_done for another transaction than its last reply's");
            continue;
        }
        while (next < commands.size() &&
               (commands[next].command == verb::ehlo || commands[next].command == verb::helo))
            ++next;
        check(next < commands.size(), "a reply reported for a command never written");
        const wire_command& w = commands[next++];
        check(r.command == w.command && r.after_content == w.end_of_content,
              "a reply attributed to another command");
        check(r.transaction == w.transaction, "a reply attributed to another transaction");
        if (w.command == verb::rcpt) check(r.index == w.index, "an RCPT reply with another index");
        if (r.transaction != 0) last_tx = r.transaction;
    }
}

void check_same_run(const run_log& a, const run_log& b, const char* what) {
    smtpwire_fuzz::check_same_log(a.events, b.events, what);
    check(a.output + a.unsent == b.output + b.unsent, what, "(output differs)");
}

run_log run_checked(const plan& p, std::vector<std::string_view> pieces, std::size_t write_chunk) {
    run_log log = runner(p, std::move(pieces), write_chunk).run();
    check_output(p, log);
    check_wire(log);
    return log;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    smtpwire_fuzz::input_reader in(smtpwire_fuzz::as_text(data, size));
    const plan p = read_plan(in);
    const std::string_view stream = p.server_bytes;
    const std::size_t cut = smtpwire_fuzz::scaled_offset(p.split, stream.size());

    std::vector<std::string_view> whole;
    if (!stream.empty()) whole.push_back(stream);
    std::vector<std::string_view> two;
    if (cut > 0) two.push_back(stream.substr(0, cut));
    if (cut < stream.size()) two.push_back(stream.substr(cut));
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < stream.size(); ++i) bytes.push_back(stream.substr(i, 1));

    const run_log at_once = run_checked(p, whole, 0);
    if (smtpwire_fuzz::verbose()) {
        smtpwire_fuzz::print_log("events", at_once.events);
        smtpwire_fuzz::print_log("output", {at_once.output});
    }
    check_same_run(at_once, run_checked(p, two, p.write_chunk), "one split of the server's bytes changes the client");
    check_same_run(at_once, run_checked(p, bytes, 0), "byte-at-a-time server bytes change the client");
    return 0;
}
