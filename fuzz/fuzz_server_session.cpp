// Fuzz target: server_session fed arbitrary client bytes, in several splits, with the
// application's decisions, interruptions and output writes chosen by the input.
//
// Input: seven configuration bytes, then the client's byte stream.
//   byte 0: bits 0-1 bare_newline_policy (reject, normalize, allow, reject);
//           bit 2 pipelining_policy::tolerate; bit 3 small limits (command line 512,
//           message 1000, 3 recipients, 5 errors, 1 KiB output, text line 100);
//           bit 4 every leniency on; bit 5 decide by the pattern (else accept all);
//           bit 6 answer decisions only when paused (asynchronous); bit 7 interrupt.
//   byte 1: bits 0-4 offer PIPELINING, SIZE, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES
//           (SMTPUTF8 brings 8BITMIME, RFC 6531 §3.1); bits 5-6 hostname (mx.example,
//           empty, with CRLF, 249 octets; the two invalid ones close at once);
//           bit 7 the interrupt is shutdown() instead of timed_out().
//   bytes 2-3: the decision pattern, two bits per decision (accept, accept(text),
//           accept(reply), reject), cycling every eight decisions.
//   byte 4: bits 0-3 the decision the interrupt replaces or follows; bits 4-5 output
//           octets written per need_output in two of the runs (0: all); bit 6 offer
//           AUTH PLAIN LOGIN, in clear too; bit 7 offer STARTTLS (a handover is
//           completed at once: tls_established()).
//   byte 5: where to cut: the offset of the one cut (scaled to the stream's length),
//           the cut inside each line (scaled to its length), and which lines start a
//           new read when whole lines are grouped (bit i % 8 for line i).
//   byte 6: bit 0 offer CHUNKING; bit 1 offer BINARYMIME (it brings CHUNKING, RFC 3030
//           §3); bit 2 offer DSN; bit 3 LMTP (server_config::lmtp); bits 4-7 unused.
//
// Invariants: the same event log, decisions and output whatever the split; output is
// well-formed SMTP and every reply in it is accounted for by an event, a decision or a
// command that is answered without one; unconsumed() stays within limits.command_line;
// nothing but need_output/closed follows closing; the error limit closes exactly when
// reached; recipients are counted and limited; valid decisions are accepted and invalid
// ones refused without effect; tls_handover follows only an accepted STARTTLS, and no
// byte fed before the handover produces an event after it (RFC 3207 §5); the typed DSN,
// SIZE and BODY parameters of mail_from and rcpt_to agree with their raw text.
//
// LMTP (RFC 2033): hello only for LHLO, and every HELO and EHLO read as a command is
// answered 500. message_end is answered recipient by recipient (accept_recipient,
// reject_recipient) in an order and mix the input chooses, one answer per pause when
// answering asynchronously, and sometimes accept() or reject() for the recipients left;
// when the reply must wait and its area is full (errc::output_full) the output is
// written and, if that is not enough, earlier recipients are answered first. Each reply
// text names the message and the recipient, so the output is checked exactly: after a
// message (and after a BDAT LAST refused at data_begin) exactly one reply per accepted
// recipient, together and in RCPT order, each with the code chosen for that recipient;
// the session's own 552 (too large) and 550 (bare newline) after the content, likewise
// once per recipient (once for a BDAT chunk not marked LAST).
//
// BDAT (RFC 3030 §2): a model reads the stream as the session must, command lines and
// the n octets after each "BDAT n [LAST]" line (CHUNKING offered, n readable), until a
// line after which it cannot know how the session reads on without its decisions (DATA,
// STARTTLS, AUTH, a line over 510 octets). Within what it read: no event but body_chunk
// has a view into a chunk's octets or is reported while the session has consumed only
// part of a chunk; body_chunk views are a chunk's octets in order, each chunk whole, so
// a message's content is its chunks' octets joined and message_end's size their sum;
// data_begin for BDAT comes exactly where a chunk starts, and message_end where a chunk
// marked LAST ends; from the BDAT line to the chunk's last octet fed no reply leaves (a
// refusal, by the session or the application, follows the octets); "250 OK: n" names
// the content received at the end of a chunk. Every chunk reply, held refusal and 552
// is accounted for.
//
// Which splits may be compared: with pipelining_policy::reject, input that arrives in
// the same read as a command that must end a pipelined group is refused (RFC 2920 §3.1;
// that is the policy), so the outcome legitimately depends on how the client's bytes are
// grouped into reads. Runs feeding at most one line per read (each CRLF-terminated line
// alone, each line cut once more, one byte at a time) never put bytes after a complete
// line in the same read, and must agree under both policies. A BDAT chunk counts as one
// line here: its octets come in a read of their own (the octets behind a chunk, before
// its reply, are refused the same way); where the model stopped and a "BDAT" follows,
// the rest goes byte by byte. With tolerate, runs that
// put many lines in one read (whole lines grouped, the whole stream at once, or cut once
// anywhere) must agree with them too; under reject those runs are only checked for the
// other invariants. So are runs with a STARTTLS: what arrives in the read that carries
// it, and until it is answered, is discarded, so the grouping decides what is processed.
#include "smtpwire/server_session.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fuzz_support.hpp"

using namespace smtpwire;
using smtpwire_fuzz::check;

namespace {

enum class decision_kind { greeting, hello, mail, rcpt, data, message, vrfy, starttls, auth };

struct setup {
    server_config config;
    std::string hostname;
    bool patterned = false;
    bool defer = false;
    bool interrupt = false;
    bool interrupt_shutdown = false;
    unsigned interrupt_at = 0;
    std::uint16_t pattern = 0;
    std::size_t write_chunk = 0;
    std::uint8_t split = 0;
};

// One BDAT chunk of the stream as the model reads it: its octets are [begin, end), and
// `end` is SIZE_MAX when they run past the end of the stream.
struct chunk_range {
    std::size_t begin = 0;
    std::size_t end = 0;
    bool last = false;
};

// The stream as the session must read it, up to `known`: the pieces it is made of (each
// command line with its CRLF, each chunk's octets) and the chunks.
struct stream_model {
    std::vector<std::string_view> units;
    std::vector<chunk_range> chunks;
    std::size_t known = 0;

    // The chunk whose octets hold offset `at` (begin <= at < end), if any.
    const chunk_range* holding(std::size_t at) const {
        for (const chunk_range& c : chunks)
            if (c.begin <= at && at < c.end) return &c;
        return nullptr;
    }
    // True when [a, b) shares an octet with a chunk.
    bool overlaps_chunk(std::size_t a, std::size_t b) const {
        for (const chunk_range& c : chunks)
            if (a < c.end && c.begin < b) return true;
        return false;
    }
};

setup read_setup(smtpwire_fuzz::input_reader& in) {
    setup s;
    const std::uint8_t b0 = in.byte();
    const std::uint8_t b1 = in.byte();
    s.pattern = in.u16();
    const std::uint8_t b4 = in.byte();
    s.split = in.byte();
    const std::uint8_t b6 = in.byte();

    static const bare_newline_policy policies[] = {bare_newline_policy::reject, bare_newline_policy::normalize,
                                                   bare_newline_policy::allow, bare_newline_policy::reject};
    s.config.bare_newlines = policies[b0 & 3];
    s.config.early_input = (b0 & 4) ? pipelining_policy::tolerate : pipelining_policy::reject;
    if (b0 & 8) {
        s.config.limits.command_line = 512;
        s.config.limits.message_size = 1000;
        s.config.limits.recipients = 3;
        s.config.limits.errors = 5;
        s.config.limits.output_buffer = 1024;
        s.config.limits.text_line = 100;
    }
    if (b0 & 16) s.config.leniency = leniency{true, true, true};
    s.patterned = (b0 & 32) != 0;
    s.defer = (b0 & 64) != 0;
    s.interrupt = (b0 & 128) != 0;

    const extension order[] = {extension::pipelining, extension::size, extension::eight_bit_mime,
                               extension::smtputf8, extension::enhanced_status_codes};
    s.config.extensions = extension_set{};
    for (unsigned i = 0; i < 5; ++i)
        if (b1 & (1u << i)) s.config.extensions.add(order[i]);
    // RFC 6531 §3.1: SMTPUTF8 comes with 8BITMIME (check_config() refuses it alone).
    if (s.config.extensions.has(extension::smtputf8)) s.config.extensions.add(extension::eight_bit_mime);
    switch ((b1 >> 5) & 3) {
    case 0: s.hostname = "mx.example"; break;
    case 1: s.hostname = ""; break;
    case 2: s.hostname = "mx.example\r\n250 injected"; break;
    default:
        for (int i = 0; i < 5; ++i) s.hostname += std::string(49, static_cast<char>('a' + i)) + ".";
        s.hostname.pop_back();
        break;
    }
    s.config.hostname = s.hostname;
    s.interrupt_shutdown = (b1 & 128) != 0;
    s.interrupt_at = b4 & 15;
    s.write_chunk = (b4 >> 4) & 3u;
    if (b4 & 64) {
        s.config.extensions.add(extension::auth);
        s.config.auth.allow_in_clear = true;
    }
    if (b4 & 128) s.config.extensions.add(extension::starttls);
    if (b6 & 1) s.config.extensions.add(extension::chunking);
    // RFC 3030 §3: BINARYMIME is only ever sent with BDAT (check_config() refuses it alone).
    if (b6 & 2) s.config.extensions.add(extension::binary_mime).add(extension::chunking);
    if (b6 & 4) s.config.extensions.add(extension::dsn);
    s.config.lmtp = (b6 & 8) != 0;
    return s;
}

// RFC 3030 §2: the chunk size of a BDAT argument, 1*DIGIT at its start, when it fits in
// 64 bits (the session reads the octets of such a chunk whatever the rest of the line).
std::optional<std::uint64_t> chunk_size(std::string_view argument) {
    std::uint64_t n = 0;
    std::size_t i = 0;
    for (; i < argument.size() && argument[i] >= '0' && argument[i] <= '9'; ++i) {
        const auto digit = static_cast<std::uint64_t>(argument[i] - '0');
        if (n > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
        n = n * 10 + digit;
    }
    if (i == 0) return std::nullopt;
    return n;
}

// Reads `stream` as command lines and BDAT chunks, up to the first line after which the
// way the session reads on depends on answers the model does not follow (DATA, STARTTLS,
// AUTH) or on a line limit (a line over 510 octets). Lines end only at CRLF.
stream_model read_model(std::string_view stream, const server_config& config) {
    stream_model m;
    std::size_t pos = 0;
    while (pos < stream.size()) {
        const std::size_t crlf = stream.find("\r\n", pos);
        if (crlf == std::string_view::npos) {
            m.units.push_back(stream.substr(pos));
            pos = stream.size();
            break;
        }
        const std::string_view line = stream.substr(pos, crlf - pos);
        m.units.push_back(stream.substr(pos, line.size() + 2));
        pos = crlf + 2;
        if (line.size() + 2 > 512) break;
        command cmd;
        (void)parse_command(line, cmd, config.leniency.space_after_colon);
        if (cmd.verb == verb::data || cmd.verb == verb::starttls || cmd.verb == verb::auth) break;
        if (cmd.verb != verb::bdat || !config.extensions.has(extension::chunking)) continue;
        const std::optional<std::uint64_t> n = chunk_size(cmd.argument);
        if (!n) continue;
        const std::size_t digits = cmd.argument.find_first_not_of("0123456789");
        const std::string_view marker = digits == std::string_view::npos ? std::string_view() : cmd.argument.substr(digits);
        chunk_range c;
        c.begin = pos;
        c.last = marker.size() == 5 && marker[0] == ' ' && (marker[1] | 0x20) == 'l' && (marker[2] | 0x20) == 'a' &&
                 (marker[3] | 0x20) == 's' && (marker[4] | 0x20) == 't';
        const std::size_t room = stream.size() - pos;
        c.end = *n > room ? std::numeric_limits<std::size_t>::max() : pos + static_cast<std::size_t>(*n);
        m.chunks.push_back(c);
        const std::size_t take = *n > room ? room : static_cast<std::size_t>(*n);
        if (take != 0) m.units.push_back(stream.substr(pos, take));
        pos += take;
    }
    m.known = pos;
    if (pos < stream.size()) {
        // Past what the model follows: lines, unless a BDAT may start a chunk there.
        const std::string_view rest = stream.substr(pos);
        bool bdat = false;
        for (std::size_t i = 0; i + 4 <= rest.size() && !bdat; ++i)
            bdat = (rest[i] | 0x20) == 'b' && (rest[i + 1] | 0x20) == 'd' && (rest[i + 2] | 0x20) == 'a' &&
                   (rest[i + 3] | 0x20) == 't';
        if (bdat) {
            for (std::size_t i = 0; i < rest.size(); ++i) m.units.push_back(rest.substr(i, 1));
        } else {
            for (std::string_view line : smtpwire_fuzz::split_after_crlf(rest)) m.units.push_back(line);
        }
    }
    return m;
}

// The code of the default positive reply to each decision.
std::uint16_t default_code(decision_kind k) {
    switch (k) {
    case decision_kind::greeting: return 220;
    case decision_kind::data: return 354;
    case decision_kind::vrfy: return 252;
    case decision_kind::starttls: return 220;
    case decision_kind::auth: return 235;
    default: return 250;
    }
}

std::uint16_t expected_error_code(server_error e) {
    switch (e) {
    case server_error::line_too_long:
    case server_error::bare_newline_in_command:
    case server_error::unknown_command: return 500;
    case server_error::not_implemented: return 502;
    case server_error::syntax: return 501;
    case server_error::bad_sequence: return 503;
    case server_error::no_valid_recipients: return 554;
    case server_error::unknown_parameter: return 555;
    case server_error::non_ascii_address: return 553;
    case server_error::size_exceeded: return 552;
    case server_error::too_many_recipients: return 452;
    case server_error::pipelining_violation: return 554;
    case server_error::too_many_errors:
    case server_error::timeout: return 421;
    case server_error::auth_required: return 530;
    case server_error::auth_mechanism: return 504;
    case server_error::auth_needs_tls: return 538;
    case server_error::auth_bad_base64:
    case server_error::auth_cancelled: return 501;
    case server_error::auth_invalid: return 535;
    case server_error::auth_line_too_long: return 500;
    }
    return 0;
}

// Errors that count towards limits::errors.
bool counts_towards_limit(server_error e) {
    switch (e) {
    case server_error::size_exceeded:
    case server_error::too_many_recipients:
    case server_error::pipelining_violation:
    case server_error::too_many_errors:
    case server_error::auth_cancelled:
    case server_error::timeout: return false;
    default: return true;
    }
}

// The value of parameter `keyword` in the raw parameter text " KEY[=value]...", found
// without smtpwire's parser: empty when it is there without a value, nullopt when absent.
std::optional<std::string_view> raw_parameter(std::string_view raw, std::string_view keyword) {
    std::size_t pos = 0;
    while (pos < raw.size()) {
        std::size_t end = raw.find(' ', pos);
        if (end == std::string_view::npos) end = raw.size();
        const std::string_view param = raw.substr(pos, end - pos);
        pos = end + 1;
        const std::size_t eq = param.find('=');
        if (ascii::iequals(param.substr(0, eq), keyword))
            return eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
    }
    return std::nullopt;
}

// True when `word` is one of the comma-separated words of `list`, in any case.
bool listed(std::string_view list, std::string_view word) {
    std::size_t pos = 0;
    for (;;) {
        const std::size_t comma = list.find(',', pos);
        if (ascii::iequals(list.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos), word))
            return true;
        if (comma == std::string_view::npos) return false;
        pos = comma + 1;
    }
}

// MAIL FROM's typed parameters against their raw text (RFC 1870, 6152, 3030 §3, 3461 §4.3-4.4).
void check_mail_parameters(const mail_parameters& p, extension_set offered) {
    const auto size = raw_parameter(p.raw, "SIZE");
    check(p.has_size == size.has_value(), "mail_from has_size without SIZE= in its text", p.raw);
    const auto body = raw_parameter(p.raw, "BODY");
    check((p.body != body_type::unspecified) == body.has_value(), "mail_from body without BODY= in its text", p.raw);
    if (body) check(ascii::iequals(*body, to_string(p.body)), "mail_from body differs from BODY=", p.raw);
    check(p.body != body_type::binary_mime || offered.has(extension::binary_mime), "BODY=BINARYMIME not offered");
    const auto ret = raw_parameter(p.raw, "RET");
    check((p.ret != dsn_return::unspecified) == ret.has_value(), "mail_from ret without RET= in its text", p.raw);
    if (ret)
        check(ascii::iequals(*ret, p.ret == dsn_return::full ? "FULL" : "HDRS"), "mail_from ret differs from RET=",
              p.raw);
    const auto envid = raw_parameter(p.raw, "ENVID");
    check(envid.has_value() ? p.envid == *envid : p.envid.empty(), "mail_from envid differs from ENVID=", p.raw);
    check(smtpwire_fuzz::inside(p.envid, p.raw), "mail_from envid not a view into its text");
    check(!(ret || envid) || offered.has(extension::dsn), "RET or ENVID accepted without DSN", p.raw);
}

// RCPT TO's typed parameters against their raw text (RFC 3461 §4.1-4.2).
void check_rcpt_parameters(const rcpt_parameters& p, extension_set offered) {
    const auto notify = raw_parameter(p.raw, "NOTIFY");
    check(p.notify.given() == notify.has_value(), "rcpt_to notify given exactly when NOTIFY= is", p.raw);
    if (notify) {
        check(p.notify.never == listed(*notify, "NEVER") && p.notify.success == listed(*notify, "SUCCESS") &&
                  p.notify.failure == listed(*notify, "FAILURE") && p.notify.delay == listed(*notify, "DELAY"),
              "rcpt_to notify differs from NOTIFY=", p.raw);
        check(p.notify.valid(), "NOTIFY=NEVER with another value accepted", p.raw);
    }
    const auto orcpt = raw_parameter(p.raw, "ORCPT");
    check(orcpt.has_value() ? std::string(p.orcpt_type) + ";" + std::string(p.orcpt) == *orcpt && !p.orcpt.empty()
                            : p.orcpt.empty() && p.orcpt_type.empty(),
          "rcpt_to orcpt differs from ORCPT=", p.raw);
    check(smtpwire_fuzz::inside(p.orcpt, p.raw) && smtpwire_fuzz::inside(p.orcpt_type, p.raw),
          "rcpt_to orcpt not a view into its text");
    check(!(notify || orcpt) || offered.has(extension::dsn), "NOTIFY or ORCPT accepted without DSN", p.raw);
}

// The texts of the session's own refusals of a message's content, which LMTP repeats
// for each recipient (MAIL's SIZE refusal shares the first).
constexpr std::string_view too_large_text = "Error: message size exceeds fixed maximum message size";
constexpr std::string_view bare_newline_text = "Error: bare CR or LF in message content";

// The replies an LMTP message owes, one per accepted recipient in RCPT order, found in
// the output by the text they start with: "m<k> " and then "r<index> " or "rest " for
// the application's answers to message k, or the session's own refusal text.
struct lmtp_block {
    std::string tag;
    bool app = false;                  // the application's answers (else the session's own)
    std::vector<std::uint16_t> codes;  // the code of each recipient's reply
    bool maybe_one = false;            // or one reply: a BDAT chunk not known to be LAST
};

// An LMTP message_end being answered: the replies planned for each recipient, and
// which of them are given one by one, in order.
struct lmtp_plan {
    unsigned n = 0;                   // the decision's number
    std::vector<std::string> texts;   // the replies' texts (reserved: views stay valid)
    std::vector<reply> replies;       // by recipient index
    std::vector<bool> answered;
    std::vector<std::size_t> order;   // the recipients answered one by one
    std::size_t next = 0;             // order[next] is answered next
    std::optional<reply> rest;        // accept() or reject() answers the others so
};

struct run_log {
    std::vector<std::string> events;        // events and the application's actions
    std::string output;                     // every octet the session wrote
    std::vector<std::uint16_t> expected;    // reply codes events and decisions account for
    std::optional<close_reason> closed_by;
    bool starttls = false;                  // a STARTTLS reached the application
    std::vector<std::uint64_t> chunk_totals{0};  // content received at each chunk's end
    bool unmodelled_chunks = false;         // BDAT content past where the model stopped
    std::vector<lmtp_block> lmtp_blocks;    // LMTP replies, checked apart from `expected`
};

class runner {
public:
    runner(const setup& st, const stream_model& model, std::string_view stream, std::vector<std::string_view> pieces,
           std::size_t write_chunk)
        : st_(st), model_(model), stream_(stream), s_(st.config), pieces_(std::move(pieces)),
          write_chunk_(write_chunk) {}

    run_log run() {
        for (std::size_t guard = 0;; ++guard) {
            check(guard < 50'000'000, "server session makes no progress");
            const server_event ev = s_.next_event();
            if (closed_) {
                check(std::holds_alternative<closed>(ev), "an event after closed");
                break;
            }
            if (closing_)
                check(std::holds_alternative<need_output>(ev) || std::holds_alternative<closed>(ev),
                      "an event other than need_output or closed after closing");
            track_chunks(ev);
            if (std::holds_alternative<need_output>(ev)) {
                write_output();
            } else if (std::holds_alternative<need_data>(ev)) {
                on_need_data();
            } else if (std::holds_alternative<paused>(ev)) {
                check(deferred_.has_value(), "paused without a pending decision");
                check(s_.output().empty(), "paused with output waiting");
                // Full duplex: more input is taken while a decision waits, but only once
                // what was fed is consumed up to an incomplete line.
                check(!s_.wants_read() || s_.unconsumed().find("\r\n") == std::string_view::npos,
                      "wants_read() while a complete line waits");
                if (!s_.wants_read() && !eof_sent_)
                    check(s_.feed(s_.unconsumed()) == errc::wrong_state, "feed() accepted while input waits");
                const decision_kind k = *deferred_;
                deferred_.reset();
                answer(k);
            } else if (std::holds_alternative<closed>(ev)) {
                check(s_.done() && s_.output().empty() && s_.state() == server_state::closed, "closed but not done");
                check(closing_, "closed without closing");
                closed_ = true;
                check(s_.feed("QUIT\r\n") == errc::ok, "feed() refused after closed");
            } else {
                on_event(ev);
            }
        }
        check(!deferred_, "a decision still pending at the end");
        check(!in_message_, "a message neither ended nor aborted");
        return std::move(log_);
    }

private:
    void write_output() {
        const std::string_view out = s_.output();
        check(!out.empty(), "need_output with no output");
        const std::size_t n = write_chunk_ != 0 && write_chunk_ < out.size() ? write_chunk_ : out.size();
        if (hold_ && (s_.state() == server_state::closed || fed_end_ >= hold_->end)) hold_.reset();
        if (hold_)
            check(log_.output.size() + n <= hold_->from, "a reply written before the chunk's last octet was fed",
                  out.substr(0, n));
        log_.output.append(out.substr(0, n));
        s_.consume_output(n);
    }

    void on_need_data() {
        check(!closing_, "need_data after closing");
        check(!eof_sent_, "need_data after feed_eof()");
        check(s_.unconsumed().size() <= limit_line(), "unconsumed() longer than limits.command_line",
              s_.unconsumed());
        tls_just_established_ = false;
        if (next_piece_ == pieces_.size()) {
            s_.feed_eof();
            eof_sent_ = true;
            return;
        }
        const std::string_view rest = s_.unconsumed();
        check(rest.empty() || rest.data() + rest.size() == buffer_.data() + buffer_.size(),
              "unconsumed() is not the end of what was fed");
        const std::string_view piece = pieces_[next_piece_++];
        const auto at = static_cast<std::size_t>(piece.data() - stream_.data());
        base_ = at - rest.size();
        fed_end_ = at + piece.size();
        std::string next = std::string(rest) + std::string(piece);
        buffer_.swap(next);
        check(s_.feed(buffer_) == errc::ok, "feed() refused after need_data");
    }

    std::size_t limit_line() const {
        const std::size_t command = st_.config.limits.command_line < 512 ? 512 : st_.config.limits.command_line;
        const std::size_t auth = st_.config.limits.auth_line < command ? command : st_.config.limits.auth_line;
        return st_.config.extensions.has(extension::auth) ? auth : command;
    }

    void log(std::string line) { log_.events.push_back(std::move(line)); }

    // The stream offset up to which the session has consumed what was fed.
    std::size_t consumed() const { return fed_end_ - s_.unconsumed().size(); }

    // Where a view into the fed bytes lies in the stream, [first, second).
    std::optional<std::pair<std::size_t, std::size_t>> in_stream(std::string_view v) const {
        if (v.empty() || !smtpwire_fuzz::inside(v, buffer_)) return std::nullopt;
        const std::size_t a = base_ + static_cast<std::size_t>(v.data() - buffer_.data());
        check(stream_.substr(a, v.size()) == v, "a view differs from the stream at its offset", v);
        return std::make_pair(a, a + v.size());
    }

    // Before each event: where the session stands against the model's chunks.
    void track_chunks(const server_event& ev) {
        if (s_.state() == server_state::closed) return;
        const std::size_t c = consumed();
        const chunk_range* ch = model_.holding(c);
        if (ch == nullptr) return;
        // The BDAT line was read: nothing is written until the chunk's last octet is fed.
        if (!hold_ || hold_->end != ch->end) hold_ = held{log_.output.size() + s_.output().size(), ch->end};
        if (c > ch->begin)
            check(std::holds_alternative<need_data>(ev) || std::holds_alternative<need_output>(ev) ||
                      std::holds_alternative<body_chunk>(ev),
                  "an event other than body_chunk while a chunk's octets are read");
    }

    // A view of a command event never lies in a chunk's octets.
    void check_outside_chunks(std::string_view v) const {
        if (const auto r = in_stream(v))
            check(!model_.overlaps_chunk(r->first, r->second), "a command event made of a chunk's octets", v);
    }

    // Content: from BDAT, each chunk's octets whole and in order; from DATA, none of them.
    void on_content(std::string_view bytes) {
        const auto r = in_stream(bytes);
        if (chunked_) check(r.has_value(), "BDAT content that is not a view into the fed bytes", bytes);
        if (!r) return;
        const chunk_range* ch = model_.holding(r->first);
        if (ch == nullptr) {
            check(!model_.overlaps_chunk(r->first, r->second), "content across a chunk's first octet", bytes);
            check(!chunked_ || r->first >= model_.known, "BDAT content outside the chunks", bytes);
            if (chunked_) log_.unmodelled_chunks = true;
            return;
        }
        check(chunked_, "DATA content from a chunk's octets", bytes);
        check(r->second <= ch->end, "a body_chunk runs past its chunk", bytes);
        if (ch != chunk_) {
            check(chunk_ == nullptr || chunk_at_ == chunk_->end, "a chunk's octets delivered in part");
            check(r->first == ch->begin, "a chunk's octets delivered from other than its first", bytes);
            chunk_ = ch;
        } else {
            check(r->first == chunk_at_, "a chunk's octets delivered out of order", bytes);
        }
        chunk_at_ = r->second;
        if (chunk_at_ == ch->end) {
            chunk_sum_ += ch->end - ch->begin;
            if (!ch->last) {
                // The session answers the chunk (RFC 3030 §2): 250 with the total so far.
                log_.chunk_totals.push_back(body_.size());
                log_.expected.push_back(250);
            }
        }
    }

    void end_chunked() {
        chunked_ = false;
        chunk_ = nullptr;
        chunk_at_ = 0;
        chunk_sum_ = 0;
    }

    void on_event(const server_event& ev) {
        // RFC 3207 §5: bytes that arrived before TLS started are never acted on after it.
        check(!tls_just_established_, "an event after the TLS handover from input fed before it");
        if (std::holds_alternative<client_connected>(ev)) {
            log("connected");
            decide(decision_kind::greeting);
        } else if (const auto* h = std::get_if<hello>(&ev)) {
            check(check_domain_or_literal(h->domain, true) == domain_error::ok, "hello with a bad domain", h->domain);
            check_outside_chunks(h->domain);
            check((h->verb == verb::lhlo) == st_.config.lmtp, "hello for other than LHLO in LMTP, or LHLO in SMTP");
            log("hello " + std::string(to_string(h->verb)) + " " + std::string(h->domain));
            decide(decision_kind::hello);
        } else if (const auto* m = std::get_if<mail_from>(&ev)) {
            check_outside_chunks(m->reverse_path.raw);
            check_outside_chunks(m->parameters.raw);
            check_mail_parameters(m->parameters, st_.config.extensions);
            log("mail_from <" + std::string(m->reverse_path.raw) + ">" + std::string(m->parameters.raw));
            decide(decision_kind::mail);
        } else if (const auto* r = std::get_if<rcpt_to>(&ev)) {
            check(r->index == rcpt_index_, "rcpt_to index out of order");
            ++rcpt_index_;
            check_outside_chunks(r->forward_path.raw);
            check_outside_chunks(r->parameters.raw);
            check_rcpt_parameters(r->parameters, st_.config.extensions);
            log("rcpt_to <" + std::string(r->forward_path.raw) + ">" + std::string(r->parameters.raw) + " #" +
                std::to_string(r->index));
            decide(decision_kind::rcpt);
        } else if (const auto* d = std::get_if<data_begin>(&ev)) {
            check(d->recipients > 0 && d->recipients == accepted_rcpts_,
                  "data_begin counts other recipients than were accepted");
            check(!d->chunked || st_.config.extensions.has(extension::chunking), "data_begin for BDAT without CHUNKING");
            if (d->chunked && consumed() <= model_.known) {
                bool at_chunk = false;
                for (const chunk_range& c : model_.chunks) at_chunk = at_chunk || c.begin == consumed();
                check(at_chunk, "data_begin for BDAT where no chunk starts");
            }
            data_chunked_ = d->chunked;
            data_last_.reset();
            for (const chunk_range& c : model_.chunks)
                if (d->chunked && c.begin == consumed()) data_last_ = c.last;
            if (d->chunked && consumed() > model_.known) log_.unmodelled_chunks = true;
            log("data_begin " + std::to_string(d->recipients) + (d->chunked ? " chunked" : ""));
            decide(decision_kind::data);
        } else if (const auto* e = std::get_if<message_end>(&ev)) {
            check(in_message_, "message_end outside a message");
            check(e->size == body_.size(), "message_end size differs from the body delivered");
            check(e->recipients == accepted_rcpts_, "message_end counts other recipients than were accepted");
            message_id_ = e->decision;
            if (st_.config.limits.message_size != 0)
                check(e->size <= st_.config.limits.message_size, "message over the size limit accepted");
            check(st_.config.bare_newlines != bare_newline_policy::reject || e->bare_newlines == 0,
                  "bare newlines delivered under the reject policy");
            // BDAT content is delivered as it is (RFC 3030 §2); DATA content is normalized.
            check(chunked_ || st_.config.bare_newlines != bare_newline_policy::normalize ||
                      !smtpwire_fuzz::has_bare_newline(body_),
                  "normalize delivered a bare newline", body_);
            if (chunked_ && consumed() <= model_.known) {
                bool at_last = false;
                for (const chunk_range& c : model_.chunks) at_last = at_last || (c.last && c.end == consumed());
                check(at_last, "message_end for BDAT where no chunk marked LAST ends");
                check(chunk_ == nullptr || chunk_at_ == chunk_->end, "message_end before its chunk's last octet");
                check(e->size == chunk_sum_, "message_end size differs from the sum of its chunks");
            }
            end_chunked();
            in_message_ = false;
            log("body " + body_);
            log("message_end size=" + std::to_string(e->size) + " overlong=" + std::to_string(e->overlong_lines) +
                " bare=" + std::to_string(e->bare_newlines));
            body_.clear();
            decide(decision_kind::message);
        } else if (const auto* v = std::get_if<verify>(&ev)) {
            check_outside_chunks(v->argument);
            log("verify " + std::string(v->argument));
            decide(decision_kind::vrfy);
        } else if (std::holds_alternative<starttls_request>(ev)) {
            check(st_.config.extensions.has(extension::starttls) && !s_.tls_active(),
                  "starttls_request while STARTTLS is not offered");
            log("starttls");
            log_.starttls = true;
            decide(decision_kind::starttls);
        } else if (const auto* ar = std::get_if<auth_request>(&ev)) {
            check(st_.config.extensions.has(extension::auth) && !s_.authenticated(),
                  "auth_request while AUTH is not offered or done");
            check(!ar->user.empty() && !ar->secret.empty(), "PLAIN or LOGIN auth_request without a user or password");
            log("auth " + std::string(sasl::to_string(ar->mechanism)) + " " + std::string(ar->authorization_id) +
                "/" + std::string(ar->user) + "/" + std::string(ar->secret));
            decide(decision_kind::auth);
        } else if (std::holds_alternative<tls_handover>(ev)) {
            check(starttls_accepted_, "tls_handover without an accepted STARTTLS");
            check(s_.state() == server_state::tls_handover && !s_.wants_read(), "tls_handover while reading");
            starttls_accepted_ = false;
            log("tls_handover");
            check(s_.tls_established() == errc::ok, "tls_established() refused after tls_handover");
            check(s_.tls_active() && s_.state() == server_state::connected, "TLS established, but the session did not start over");
            tls_just_established_ = true;
        } else if (const auto* b = std::get_if<body_chunk>(&ev)) {
            check(in_message_, "body_chunk outside a message");
            check(!b->bytes.empty(), "empty body_chunk");
            body_ += b->bytes;
            on_content(b->bytes);
        } else if (const auto* a = std::get_if<message_aborted>(&ev)) {
            check(in_message_, "message_aborted outside a message");
            in_message_ = false;
            body_.clear();  // how much arrived before the abort depends on the split
            // The content's end, after a final dot or a chunk: is it the message's end?
            std::optional<bool> final = !chunked_;
            if (chunked_) {
                final.reset();
                for (const chunk_range& c : model_.chunks)
                    if (c.end == consumed()) final = c.last;
            }
            end_chunked();
            log("message_aborted " + std::string(to_string(a->reason)));
            if (a->reason == abort_reason::too_large) refused_by_session(552, too_large_text, final);
            if (a->reason == abort_reason::bare_newline) {
                check(st_.config.bare_newlines == bare_newline_policy::reject, "bare_newline abort without reject");
                refused_by_session(550, bare_newline_text, final);
            }
            if (a->reason == abort_reason::connection_lost)
                check(closing_pending(), "connection_lost abort while the session goes on");
        } else if (std::holds_alternative<transaction_reset>(ev)) {
            // Between two BDAT chunks (RSET, HELO/EHLO) the message ends with its
            // transaction; a DATA message ends only with message_end or message_aborted.
            check(!in_message_ || chunked_, "transaction_reset inside a DATA message");
            if (in_message_) {
                check(s_.state() != server_state::data, "transaction_reset while a chunk's octets are read");
                in_message_ = false;
                body_.clear();
                end_chunked();
            }
            rcpt_index_ = 0;
            log("transaction_reset");
        } else if (const auto* p = std::get_if<protocol_error>(&ev)) {
            check(p->code == expected_error_code(p->what), "protocol_error with an unexpected code");
            check(p->what != server_error::pipelining_violation ||
                      st_.config.early_input == pipelining_policy::reject,
                  "pipelining violation under the tolerate policy");
            if (p->what == server_error::too_many_recipients)
                check(accepted_rcpts_ >= st_.config.limits.recipients, "too_many_recipients below the limit");
            if (counts_towards_limit(p->what)) {
                ++errors_;
                check(errors_ <= st_.config.limits.errors, "more errors than the limit");
            }
            log("protocol_error " + std::to_string(p->code) + " " + std::string(to_string(p->what)));
            if (st_.config.lmtp && p->what == server_error::size_exceeded)
                log_.lmtp_blocks.push_back(lmtp_block{std::string(too_large_text), false, {552}, false});
            else
                log_.expected.push_back(p->code);
        } else if (const auto* cl = std::get_if<closing>(&ev)) {
            check(!closing_, "closing twice");
            closing_ = true;
            log_.closed_by = cl->reason;
            check(s_.state() == server_state::closed, "closing while the state is not closed");
            switch (cl->reason) {
            case close_reason::quit: log_.expected.push_back(221); break;
            case close_reason::shutdown: log_.expected.push_back(421); break;
            case close_reason::too_many_errors:
                check(errors_ == st_.config.limits.errors, "closed for errors before the limit");
                break;
            case close_reason::peer_closed: check(eof_sent_, "peer_closed without feed_eof()"); break;
            case close_reason::refused: check(refused_with_421_, "refused without a 421 decision"); break;
            case close_reason::timeout: check(timed_out_, "timeout without timed_out()"); break;
            case close_reason::pipelining_violation: break;
            case close_reason::invalid_config:
                check(check_config(st_.config) != config_error::ok, "invalid_config for a valid configuration");
                break;
            }
            log("closing " + std::string(to_string(cl->reason)));
        } else {
            smtpwire_fuzz::fail("unknown server event");
        }
    }

    // True when the session is closing for a reason that aborts the message: checked
    // when the abort is seen, before the closing event that follows it.
    bool closing_pending() const { return s_.state() == server_state::closed; }

    void decide(decision_kind k) {
        if (st_.defer) {
            check(!deferred_, "a second decision while one is pending");
            deferred_ = k;
            return;
        }
        answer(k);
    }

    // Calls that must be refused without any effect while decision `k` is pending.
    void misuse(decision_kind k) {
        const std::string before(s_.output());
        const bool one_line = k == decision_kind::greeting || k == decision_kind::hello;
        if (one_line) {
            check(s_.accept(reply{250, {}, "own reply"}) == errc::invalid_reply, "accept(reply) for a hostname reply");
            check(s_.accept("two\nlines") == errc::invalid_reply, "a multi-line text for a one-line reply");
        }
        if (k == decision_kind::greeting)
            check(s_.reject(reply{550, {5, 0, 0}, "no"}) == errc::invalid_reply, "a greeting refused with 550");
        if (k == decision_kind::data && data_chunked_)
            check(s_.accept(reply{354, {}, "no"}) == errc::invalid_reply, "a 354 to BDAT");
        if (k == decision_kind::message && !st_.config.lmtp)
            check(s_.accept_recipient(message_id_, 0) == errc::wrong_state, "accept_recipient without LMTP");
        if (k == decision_kind::data)
            check(s_.accept(reply{250, {}, "no"}) == errc::invalid_reply, "data_begin accepted without 354");
        else if (k == decision_kind::starttls)
            check(s_.accept(reply{250, {}, "no"}) == errc::invalid_reply, "starttls_request accepted without 220");
        else if (!one_line)
            check(s_.accept(reply{354, {}, "no"}) == errc::invalid_reply, "354 outside data_begin");
        check(s_.reject(reply{250, {}, "positive"}) == errc::invalid_reply, "reject() with a positive code");
        check(s_.reject(reply{550, {4, 0, 0}, "mixed"}) == errc::invalid_reply, "status class differs from the code");
        check(s_.accept("control\x01byte") == errc::invalid_reply, "a control byte in a reply text");
        check(s_.output() == before, "a refused answer wrote output");
    }

    void answer(decision_kind k) {
        if (plan_) {  // an LMTP message answered in steps: the next one
            lmtp_step();
            return;
        }
        misuse(k);
        const unsigned n = decisions_++;
        if (st_.interrupt && n == st_.interrupt_at && st_.interrupt_shutdown) {
            log("app: shutdown");
            s_.shutdown();
            check(s_.accept() == errc::no_decision_pending, "decision still pending after shutdown()");
            return;
        }
        const unsigned choice = st_.patterned ? (st_.pattern >> (2 * (n % 8))) & 3u : 0u;
        if (k == decision_kind::message && st_.config.lmtp && !(choice == 3 && (n / 8) % 3 == 2)) {
            start_lmtp(n, choice);  // any answer but a 421, which closes with one reply
            return;
        }
        const bool one_line = k == decision_kind::greeting || k == decision_kind::hello;
        const bool chunks = k == decision_kind::data && data_chunked_;
        const bool lmtp_chunk = chunks && st_.config.lmtp;
        const std::string output_before = chunks ? std::string(s_.output()) : std::string();
        errc e = errc::ok;
        std::uint16_t code = default_code(k);
        switch (choice) {
        case 0:
            e = s_.accept();
            break;
        case 1:
            e = s_.accept(one_line ? "at your service" : "fine");
            break;
        case 2:
            if (one_line || chunks) {
                e = s_.accept();
                break;
            }
            {
                reply r{250, {}, "accepted"};
                if (k == decision_kind::data) r = reply{354, {}, "go ahead"};
                if (k == decision_kind::rcpt) r = reply{251, {2, 1, 5}, "User not local; will forward"};
                if (k == decision_kind::vrfy) r = reply{250, {2, 1, 5}, "Fred Smith <fred@example.com>"};
                if (k == decision_kind::starttls) r = reply{220, {2, 0, 0}, "Go ahead"};
                if (k == decision_kind::auth) r = reply{235, {2, 7, 0}, "welcome"};
                e = s_.accept(r);
                code = r.code;
            }
            break;
        default: {
            reply r;
            const unsigned variant = n / 8;
            if (k == decision_kind::greeting) {
                r = variant % 2 ? reply{421, {4, 3, 2}, "going away"} : reply{554, {5, 7, 1}, "no service for you"};
            } else {
                static const reply rejections[] = {{550, {5, 7, 1}, "refused"},
                                                   {450, {}, "try again\nlater"},
                                                   {421, {4, 3, 2}, "closing"}};
                r = rejections[variant % 3];
            }
            // LMTP refuses a BDAT LAST at data_begin once for each recipient.
            const std::string tagged = lmtp_tag() + "rest " + std::string(r.text);
            if (lmtp_chunk && r.code != 421) r.text = tagged;
            e = s_.reject(r);
            code = r.code;
            refused_with_421_ = refused_with_421_ || code == 421;
            // RFC 4954 §4: a refused AUTH counts towards the error limit.
            if (k == decision_kind::auth && code != 421) ++errors_;
            break;
        }
        }
        check(e == errc::ok, "the session refused a valid decision", std::string(to_string(e)));
        if (chunks) {
            // RFC 3030 §2: BDAT is answered after its chunk; accept() writes nothing, and
            // a refusal is held until the chunk's octets are read.
            check(s_.output() == output_before || code == 421, "an answer to BDAT written before its chunk",
                  s_.output());
            if (code < 400) {
                log("app: chunks");
                in_message_ = true;
                body_.clear();
                end_chunked();
                chunked_ = true;
            }
        }
        if (lmtp_chunk && code >= 400 && code != 421) {
            log("app: " + std::to_string(code));
            const std::size_t replies = data_last_ == false ? 1 : accepted_rcpts_;
            log_.lmtp_blocks.push_back(
                lmtp_block{lmtp_tag(), true, std::vector<std::uint16_t>(replies, code), !data_last_.has_value()});
            ++messages_;
        } else if (!chunks || code >= 400) {
            log("app: " + std::to_string(code));
            log_.expected.push_back(code);
        }
        if (k == decision_kind::data && !chunks && code == 354) {
            in_message_ = true;
            body_.clear();
        }
        if (k == decision_kind::mail && code < 300) {
            rcpt_index_ = 0;
            accepted_rcpts_ = 0;
        }
        if (k == decision_kind::starttls && code == 220) starttls_accepted_ = true;
        if (k == decision_kind::rcpt && code < 300) {
            ++accepted_rcpts_;
            check(accepted_rcpts_ <= st_.config.limits.recipients, "more recipients accepted than the limit");
        }
        check(s_.accept() == errc::no_decision_pending, "a decision still pending after it was answered");
        check(s_.reject(reply{550, {}, "x"}) == errc::no_decision_pending, "reject() without a decision");
        interrupt_after(n);
    }

    // After decision `n` was answered: the timer fires, if this is the one to interrupt.
    void interrupt_after(unsigned n) {
        if (st_.interrupt && n == st_.interrupt_at) {
            const timeout t = s_.current_timeout();
            const server_state state = s_.state();
            s_.timed_out(t.epoch + 1);
            check(s_.state() == state && s_.current_timeout().epoch == t.epoch, "a stale timer had an effect");
            log("app: timed_out " + std::string(to_string(t.kind)));
            timed_out_ = t.kind != timeout_kind::none;
            s_.timed_out(t.epoch);
            check(timed_out_ == (s_.state() == server_state::closed) || state == server_state::closed,
                  "timed_out() did not close exactly when a timeout was armed");
        }
    }

    // The session refused the message's content itself: with LMTP once per recipient
    // after the message's end (RFC 2033 §4.2), once after a BDAT chunk not marked LAST;
    // `final` is unknown past where the model stopped.
    void refused_by_session(std::uint16_t code, std::string_view text, std::optional<bool> final) {
        if (!st_.config.lmtp) {
            log_.expected.push_back(code);
            return;
        }
        const std::size_t replies = final == false ? 1 : accepted_rcpts_;
        log_.lmtp_blocks.push_back(
            lmtp_block{std::string(text), false, std::vector<std::uint16_t>(replies, code), !final.has_value()});
    }

    // The text that starts every reply of the next LMTP message's answers.
    std::string lmtp_tag() const { return "m" + std::to_string(messages_) + " "; }

    // How the application answers an LMTP message_end, decision `n`: recipient by
    // recipient, in an order starting anywhere and going up or down, each accepted
    // (250 or 251) or refused (550, or a two-line 452) as the pattern's bits say, with a
    // long text when a bit says so; `choice` 1 and 2 answer only some of them so, then
    // accept() or reject() (450) the rest, and 3 (a refusal of the message) rejects all
    // with one reject().
    void start_lmtp(unsigned n, unsigned choice) {
        const std::size_t count = accepted_rcpts_;
        plan_.emplace();
        lmtp_plan& p = *plan_;
        p.n = n;
        const std::string tag = lmtp_tag();
        ++messages_;
        const bool reverse = ((st_.pattern >> (n % 16)) & 1u) != 0;
        const bool long_text = ((st_.pattern >> ((n + 5) % 16)) & 1u) != 0;
        const std::size_t start = n % count;
        const std::size_t own = choice == 0 ? count : choice == 3 ? 0 : n % (count + 1);
        p.texts.reserve(count + 1);
        p.texts.push_back(tag + (choice == 1 ? "rest delivered" : choice == 2 ? "rest deferred\ntry later" : "rest refused"));
        static const reply rests[] = {{250, {2, 0, 0}, {}}, {250, {2, 0, 0}, {}}, {450, {4, 2, 1}, {}}, {550, {5, 7, 1}, {}}};
        reply rest = rests[choice];
        rest.text = p.texts.front();
        if (choice == 3 && (n / 8) % 3 == 1) rest = reply{450, {}, p.texts.front()};
        static const reply owns[] = {{250, {2, 0, 0}, {}}, {251, {2, 1, 5}, {}}, {550, {5, 1, 1}, {}}, {452, {4, 2, 2}, {}}};
        static const char* const own_texts[] = {"delivered", "will forward", "no such user", "mailbox full\nover quota"};
        p.replies.assign(count, rest);
        p.answered.assign(count, false);
        for (std::size_t j = 0; j < own; ++j) {
            const std::size_t i = reverse ? (start + count - j) % count : (start + j) % count;
            const unsigned kind = (st_.pattern >> (2 * ((n + i) % 8))) & 3u;
            p.texts.push_back(tag + "r" + std::to_string(i) + " " + own_texts[kind] +
                              (long_text ? std::string(300, '.') : std::string()));
            p.replies[i] = owns[kind];
            p.replies[i].text = p.texts.back();
            p.order.push_back(i);
        }
        if (own < count) p.rest = rest;
        lmtp_block block{tag, true, {}, false};
        std::string codes;
        for (const reply& r : p.replies) {
            block.codes.push_back(r.code);
            codes += " " + std::to_string(r.code);
        }
        log("app: lmtp" + codes);
        log_.lmtp_blocks.push_back(std::move(block));

        // Answers refused without effect.
        const std::string before(s_.output());
        check(s_.accept_recipient(message_id_, count) == errc::invalid_argument, "accept_recipient past the recipients");
        check(s_.reject_recipient(message_id_, 0, reply{421, {4, 3, 2}, "closing"}) == errc::invalid_reply,
              "reject_recipient with 421");
        check(s_.accept_recipient(message_id_, 0, reply{550, {5, 0, 0}, "no"}) == errc::invalid_reply,
              "accept_recipient with a refusal");
        check(s_.reject_recipient(message_id_, 0, reply{250, {2, 0, 0}, "yes"}) == errc::invalid_reply,
              "reject_recipient with a 2xx");
        check(s_.accept_recipient(decision_id{static_cast<std::uint64_t>(message_id_) + 1}, 0) ==
                  errc::stale_decision,
              "accept_recipient for another decision");
        check(s_.output() == before, "a refused per-recipient answer wrote output");
        lmtp_step();
    }

    // The next of the answers planned: all of them, or one per pause when answering
    // asynchronously; then the rest, and the decision is over.
    void lmtp_step() {
        lmtp_plan& p = *plan_;
        while (p.next < p.order.size()) {
            const std::size_t i = p.order[p.next++];
            if (p.answered[i]) {  // answered early to make room for a later one
                const bool all = std::find(p.answered.begin(), p.answered.end(), false) == p.answered.end();
                check(s_.accept_recipient(message_id_, i) == (all ? errc::stale_decision : errc::invalid_argument),
                      "a recipient answered twice");
                continue;
            }
            answer_recipient(i);
            if (st_.defer && p.next < p.order.size()) {
                deferred_ = decision_kind::message;
                return;
            }
        }
        if (p.rest) {
            const reply& r = *p.rest;
            const auto give = [&] { return r.code < 400 ? s_.accept(message_id_, r) : s_.reject(message_id_, r); };
            errc e = give();
            // The reply for the rest waits, and the area is full: write what is due, then
            // answer the first recipient left on its own, until it fits or none is left.
            for (std::size_t j = 0; e == errc::reply_too_long;) {
                flush_output();
                e = give();
                if (e != errc::reply_too_long) break;
                while (p.answered[j]) ++j;
                answer_recipient(j);
                if (std::find(p.answered.begin(), p.answered.end(), false) == p.answered.end()) e = errc::ok;
            }
            check(e == errc::ok, "the session refused the answer for the rest", std::string(to_string(e)));
        }
        check(s_.accept() == errc::no_decision_pending, "an LMTP message still pending after every answer");
        check(s_.accept_recipient(message_id_, 0) == errc::stale_decision, "accept_recipient after the decision");
        const unsigned n = p.n;
        plan_.reset();
        // Replies wait for their turn: written all, none is lost to the timer.
        flush_output();
        interrupt_after(n);
    }

    // accept_recipient() or reject_recipient() for recipient `i` as planned. When its
    // reply must wait and does not fit (errc::output_full): write the output, and if
    // that is not enough, answer the recipients before it first.
    void answer_recipient(std::size_t i) {
        lmtp_plan& p = *plan_;
        const reply& r = p.replies[i];
        const auto give = [&] {
            return r.code < 400 ? s_.accept_recipient(message_id_, i, r) : s_.reject_recipient(message_id_, i, r);
        };
        errc e = give();
        // Once every recipient before it has its answer and the output is written, the
        // reply is next in line and goes straight into the empty output buffer.
        for (std::size_t j = 0; e == errc::output_full;) {
            flush_output();
            e = give();
            if (e != errc::output_full) break;
            while (j < i && p.answered[j]) ++j;
            check(j < i, "output_full for the reply next in line, with the output written");
            answer_recipient(j);
        }
        check(e == errc::ok, "the session refused a recipient's answer", std::string(to_string(e)));
        p.answered[i] = true;
    }

    void flush_output() {
        while (!s_.output().empty()) write_output();
    }

    struct held {
        std::size_t from = 0;  // output octets written or visible when the BDAT line was read
        std::size_t end = 0;   // the stream offset just past the chunk's octets
    };

    const setup& st_;
    const stream_model& model_;
    std::string_view stream_;
    server_session s_;
    std::vector<std::string_view> pieces_;
    std::size_t write_chunk_;
    std::size_t next_piece_ = 0;
    std::string buffer_;
    bool eof_sent_ = false;
    bool closing_ = false;
    bool closed_ = false;
    bool in_message_ = false;
    bool refused_with_421_ = false;
    bool timed_out_ = false;
    bool starttls_accepted_ = false;
    bool tls_just_established_ = false;  // no feed() since tls_established()
    std::string body_;
    std::size_t base_ = 0;      // the stream offset of buffer_'s first octet
    std::size_t fed_end_ = 0;   // the stream offset just past the last octet fed
    std::optional<held> hold_;  // no output while a chunk's octets are still to come
    bool data_chunked_ = false; // the last data_begin was for BDAT
    bool chunked_ = false;      // the message in progress arrives in BDAT chunks
    const chunk_range* chunk_ = nullptr;  // the chunk whose octets were delivered last
    std::size_t chunk_at_ = 0;            // the offset just past them
    std::uint64_t chunk_sum_ = 0;         // the sizes of this message's chunks delivered whole
    std::optional<decision_kind> deferred_;
    std::optional<bool> data_last_;       // the BDAT of the last data_begin is LAST (if known)
    decision_id message_id_{};            // the last message_end's decision
    std::optional<lmtp_plan> plan_;       // an LMTP message_end being answered
    unsigned messages_ = 0;               // LMTP answers tagged so far ("m<k> ")
    unsigned decisions_ = 0;
    unsigned errors_ = 0;
    std::size_t rcpt_index_ = 0;
    std::size_t accepted_rcpts_ = 0;
    run_log log_;
};

// A reply in the output: its code and its first line's text after any enhanced status.
struct reply_text {
    std::uint16_t code = 0;
    std::string_view text;
};

std::vector<reply_text> replies_of(std::string_view output) {
    std::vector<reply_text> replies;
    bool first = true;
    std::string_view text;
    for (std::string_view line : smtpwire_fuzz::lines_of(output)) {
        if (first) {
            text = line.size() > 4 ? line.substr(4) : std::string_view();
            if (smtpwire_fuzz::starts_with_status_shape(text)) {
                const std::size_t sp = text.find(' ');
                text = sp == std::string_view::npos ? std::string_view() : text.substr(sp + 1);
            }
        }
        first = line.size() == 3 || line[3] == ' ';
        if (first)
            replies.push_back({static_cast<std::uint16_t>((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0')),
                               text});
    }
    return replies;
}

// True when `text` starts with the tag of the application's LMTP answers ("m<k> ").
bool lmtp_tagged(std::string_view text) {
    return text.size() > 1 && text[0] == 'm' && text[1] >= '0' && text[1] <= '9';
}

// Finds each LMTP block in the output, in order, and checks it: one reply per recipient,
// together, in RCPT order, each with its recipient's code. Returns the codes of the
// other replies, for the accounting of everything else.
std::vector<std::uint16_t> check_lmtp_blocks(const std::vector<reply_text>& replies,
                                             const std::vector<lmtp_block>& blocks) {
    std::vector<bool> in_block(replies.size(), false);
    std::size_t at = 0;
    const auto tagged = [&](std::size_t r, const lmtp_block& b) {
        return r < replies.size() && replies[r].text.substr(0, b.tag.size()) == b.tag;
    };
    for (const lmtp_block& b : blocks) {
        while (at < replies.size() && !tagged(at, b)) ++at;
        check(at < replies.size(), "the replies an LMTP message owes are missing", b.tag);
        // Reply r answers recipient i: its code, and its own text or the one for the rest.
        const auto answers = [&](std::size_t r, std::size_t i) {
            if (!tagged(r, b) || replies[r].code != b.codes[i]) return false;
            if (!b.app) return true;
            const std::string_view t = replies[r].text.substr(b.tag.size());
            return t.substr(0, 5) == "rest " || t.substr(0, t.find(' ') + 1) == "r" + std::to_string(i) + " ";
        };
        std::size_t n = b.codes.size();
        bool all = true;
        for (std::size_t i = 0; i < n; ++i) all = all && answers(at + i, i);
        if (b.maybe_one && !all) n = 1;
        for (std::size_t i = 0; i < n; ++i) {
            check(answers(at + i, i), "an LMTP reply missing, out of RCPT order or with another code",
                  at + i < replies.size() ? replies[at + i].text : std::string_view("(end)"));
            in_block[at + i] = true;
        }
        at += n;
        check(!b.app || !tagged(at, b), "more LMTP replies to a message than recipients", b.tag);
    }
    std::vector<std::uint16_t> others;
    for (std::size_t r = 0; r < replies.size(); ++r) {
        if (in_block[r]) continue;
        check(!lmtp_tagged(replies[r].text), "an LMTP answer outside its message's replies", replies[r].text);
        others.push_back(replies[r].code);
    }
    return others;
}

// LMTP (RFC 2033 §4.1): every HELO and EHLO read as a command is answered 500. Checked
// where the model read the whole stream as lines and chunks and the session read it to
// the end.
void check_lmtp_hello(std::string_view stream, const stream_model& model, const run_log& log) {
    if (model.known != stream.size() || log.closed_by != close_reason::peer_closed ||
        smtpwire_fuzz::has_bare_newline(stream))
        return;
    std::size_t hellos = 0;
    for (std::string_view unit : model.units) {
        const auto at = static_cast<std::size_t>(unit.data() - stream.data());
        if (model.holding(at) != nullptr || unit.size() < 2 || unit.substr(unit.size() - 2) != "\r\n") continue;
        command cmd;
        const command_error e = parse_command(unit.substr(0, unit.size() - 2), cmd, false);
        if (e != command_error::unknown_verb && e != command_error::bad_character &&
            (cmd.verb == verb::helo || cmd.verb == verb::ehlo))
            ++hellos;
    }
    std::size_t refused = 0;
    for (const reply_text& r : replies_of(log.output)) {
        if (r.text != "Error: this is an LMTP server, send LHLO") continue;
        check(r.code == 500, "HELO or EHLO refused with other than 500");
        ++refused;
    }
    check(refused == hellos, "not every HELO and EHLO of an LMTP session is refused", std::to_string(hellos));
}

// The reply that must end the output when the session closed for `why`.
std::uint16_t final_code(close_reason why) {
    switch (why) {
    case close_reason::quit: return 221;
    case close_reason::pipelining_violation: return 554;
    case close_reason::peer_closed: return 0;
    case close_reason::invalid_config: return 0;
    default: return 421;
    }
}

run_log run_checked(const setup& st, const stream_model& model, std::string_view client,
                    std::vector<std::string_view> pieces, std::size_t write_chunk) {
    run_log log = runner(st, model, client, std::move(pieces), write_chunk).run();
    // RFC 2033 §5: ENHANCEDSTATUSCODES is always in effect with LMTP.
    const bool enhanced = st.config.extensions.has(extension::enhanced_status_codes) || st.config.lmtp;
    const smtpwire_fuzz::reply_stream stream =
        smtpwire_fuzz::check_reply_stream(log.output, enhanced, false);
    check(stream.complete, "the output ends inside a reply", log.output);
    check(log.closed_by.has_value(), "the session ended without closing");
    if (log.closed_by == close_reason::invalid_config)
        check(log.output.empty(), "a session with an invalid configuration wrote output", log.output);
    // RSET and NOOP (250), HELP (214), EXPN (502) and AUTH's continuations (334) are
    // answered without an event.
    // LMTP's replies to messages are checked on their own, and accounted for.
    const std::vector<reply_text> replies = replies_of(log.output);
    check(replies.size() == stream.codes.size(), "the output's replies counted differently");
    smtpwire_fuzz::check_codes_accounted(check_lmtp_blocks(replies, log.lmtp_blocks), log.expected,
                                         {250, 214, 502, 334});
    // "250 2.0.0 OK: n" answers a chunk: n is the content received at the end of one
    // (known where the model placed the chunks).
    for (std::string_view line : smtpwire_fuzz::lines_of(log.output)) {
        if (log.unmodelled_chunks) break;
        if (line.substr(0, 4) != "250 ") continue;
        std::string_view text = line.substr(4);
        if (text.substr(0, 6) == "2.0.0 ") text.remove_prefix(6);
        if (text.substr(0, 4) != "OK: ") continue;
        bool named = false;
        for (std::uint64_t total : log.chunk_totals) named = named || text.substr(4) == std::to_string(total);
        check(named, "a chunk's reply names a total no chunk ended with", line);
    }
    const std::uint16_t last = final_code(*log.closed_by);
    if (last != 0) check(!stream.codes.empty() && stream.codes.back() == last, "the closing reply is not last");
    return log;
}

void check_same_run(const run_log& a, const run_log& b, const char* what) {
    smtpwire_fuzz::check_same_log(a.events, b.events, what);
    check(a.output == b.output, what, "(output differs)");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    smtpwire_fuzz::input_reader in(smtpwire_fuzz::as_text(data, size));
    const setup st = read_setup(in);
    const std::string_view stream = in.rest();
    const std::size_t cut = smtpwire_fuzz::scaled_offset(st.split, stream.size());
    const stream_model model = read_model(stream, st.config);

    // At most one line (or one chunk's octets) per read: each alone, each cut again, byte
    // by byte.
    const std::vector<std::string_view>& lines = model.units;
    std::vector<std::string_view> lines_cut;
    for (std::string_view line : lines) {
        const std::size_t k = line.size() * st.split / 256;
        if (k > 0) lines_cut.push_back(line.substr(0, k));
        lines_cut.push_back(line.substr(k));
    }
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < stream.size(); ++i) bytes.push_back(stream.substr(i, 1));

    const run_log by_line = run_checked(st, model, stream, lines, 0);
    if (st.config.lmtp) check_lmtp_hello(stream, model, by_line);
    if (smtpwire_fuzz::verbose()) {
        smtpwire_fuzz::print_log("events (line by line)", by_line.events);
        smtpwire_fuzz::print_log("output", {by_line.output});
    }
    check_same_run(by_line, run_checked(st, model, stream, lines_cut, st.write_chunk), "cutting lines changes the session");
    check_same_run(by_line, run_checked(st, model, stream, bytes, 0), "byte-at-a-time input changes the session");

    // Many lines per read: whole lines grouped into reads as byte 5's bits say (a new
    // read at line i when bit i % 8 is set), the whole stream, and one cut anywhere.
    std::vector<std::string_view> grouped;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i == 0 || ((st.split >> (i % 8)) & 1u) != 0)
            grouped.push_back(lines[i]);
        else
            grouped.back() = std::string_view(grouped.back().data(), grouped.back().size() + lines[i].size());
    }
    std::vector<std::string_view> whole;
    if (!stream.empty()) whole.push_back(stream);
    std::vector<std::string_view> two;
    if (cut > 0) two.push_back(stream.substr(0, cut));
    if (cut < stream.size()) two.push_back(stream.substr(cut));
    const run_log by_group = run_checked(st, model, stream, grouped, 0);
    const run_log at_once = run_checked(st, model, stream, whole, 0);
    const run_log split_once = run_checked(st, model, stream, two, st.write_chunk);
    if (st.config.early_input == pipelining_policy::tolerate && !by_line.starttls) {
        check_same_run(by_line, by_group, "grouping lines into reads differs from line by line");
        check_same_run(by_line, at_once, "the whole stream at once differs from line by line");
        check_same_run(by_line, split_once, "one split of the stream differs from line by line");
    }
    return 0;
}
