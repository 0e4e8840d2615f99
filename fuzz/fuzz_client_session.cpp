// Fuzz target: client_session fed arbitrary server bytes while an application sends one
// or two messages, in several splits of those bytes.
//
// Input: configuration bytes, an optional body, then the server's byte stream.
//   byte 0: bit 0 pipelining wanted; bit 1 small reply limits (80-octet lines, 5
//           lines); bits 2-3 output buffer 1024/1500/4096/65536; bits 4-6 the body
//           (0-6 fixed ones, 7: from the input); bit 7 two messages.
//   byte 1: bits 0-1 recipients per message - 1; bits 2-4 the sender; bit 5 LMTP
//           (client_config::lmtp); bit 6 bytes 9 and 10 follow (BDAT and DSN; without
//           them bdat_policy::never and no DSN options); bit 7 bytes 7 and 8 follow
//           (STARTTLS and AUTH; without them neither is used).
//   byte 2: the recipients (an offset into the address table).
//   byte 3: bit 0 declare SIZE; bit 1 BODY=8BITMIME; bit 2 SMTPUTF8; bit 3 extra DSN
//           parameters; bit 4 a malformed parameter; bits 5-6 the HELO name
//           (client.example, [192.0.2.1], [IPv6:2001:db8::1], one with CRLF); bit 7
//           an impatient application (tries QUIT right behind DATA).
//   byte 4: body piece size (0: the whole body at once).
//   byte 5: the split offset, scaled to the stream's length.
//   byte 6: octets of output written per need_output in the split run (0: all).
//   with bit 7 of byte 1:
//   byte 7: bits 0-1 STARTTLS (none, opportunistic, required, required); bit 2 implicit
//           TLS; bit 3 the TLS handshake fails (tls_failed() instead of
//           tls_established()); bit 4 auth.allow_in_clear; bits 5-7 the credentials
//           (0 none; 1 password; 2 password and SCRAM nonce; 3 token; 4 password, nonce and
//           token; 5 long authorization identity and password, and a token; 6 password,
//           long token, nonce of raw octets; 7 a user with CRLF and a token that is not a
//           b64token).
//   byte 8: bits 0-5 auth.mechanisms (bit n: sasl::mechanism n; 0: all); bits 6-7
//           OAUTHBEARER's host and port (neither, both, host, port).
//   with bit 6 of byte 1 (after bytes 7 and 8 when they are there):
//   byte 9: bits 0-1 bdat_policy (never, automatic, always, automatic); bit 2
//           BODY=BINARYMIME (instead of byte 3's BODY); bit 3 DSN options follow; bit 4
//           the application calls end_body() right after the last piece (so the last
//           chunk with content is marked LAST; otherwise "BDAT 0 LAST" ends it); bits
//           5-6 client_config::max_unacknowledged (32768, 512, 1024, 2048: a small
//           window makes pipelined chunks wait for replies).
//   byte 10: client_config::chunk_size: 0 (the output buffer), 1-127 as it is, 128-255
//           (n - 127) * 32.
//   with bit 3 of byte 9, DSN options for every message, given whatever the server
//   offers (raw octets: CR, LF, NUL and all):
//     byte: bits 0-1 RET (none, FULL, HDRS, none); bits 2-3 each recipient's ORCPT
//           (the octets below; "rfc822;" and them; "rfc822;" and the recipient's
//           address; the octets, ';' and the address).
//     byte: NOTIFY, bits 0-3 for recipients 1 and 3, bits 4-7 for 2 and 4 (NEVER,
//           SUCCESS, FAILURE, DELAY; NEVER with another is not sendable).
//     byte n, n octets: ENVID (none when n is 0).
//     byte n, n octets: the ORCPT octets.
//   with body 7: the next byte the body length n, then n octets of body.
//   When STARTTLS can be sent (a policy other than none, no implicit TLS), the first NUL
//   in the server's bytes ends what it sends in clear; the bytes after it are what it
//   sends inside TLS. Clear bytes behind the 220 to STARTTLS are injected: the client
//   must drop them. Inputs whose SCRAM challenge asks for more than 16384 PBKDF2
//   iterations are skipped (client_auth documents that cost).
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
// STARTTLS and AUTH: lines are commands or, after a 334, SASL responses (base64 or "*");
// STARTTLS, AUTH and each response end a group. With TLS required nothing but EHLO,
// HELO, STARTTLS, QUIT and the AUTH exchange goes before TLS; without allow_in_clear no
// AUTH PLAIN, LOGIN, XOAUTH2 or OAUTHBEARER, and no password or token in any line,
// before TLS; AUTH only with a mechanism the credentials and the application allow,
// with its initial response only within 512 octets and without it only beyond; at the
// handover all output is written, the bytes dropped (tls_handover::discarded) are
// exactly those read behind the 220, which is the reply to the STARTTLS just written;
// after tls_established() EHLO goes first and the capabilities learned in clear are
// gone; after tls_failed() nothing is written; with credentials, no MAIL unless AUTH
// was answered 2xx and never after a refusal; `ready` says whether TLS and AUTH are in
// force, exactly.
//
// LMTP (RFC 2033): LHLO, never EHLO or HELO, and ready is always extended. The end of
// the content, the final dot or the LAST BDAT chunk, is answered once per recipient the
// server accepted (once when it accepted none but answered DATA with 354), also when it
// refused MAIL: on the wire nothing follows the dot before all those replies arrived,
// the LAST chunk goes only once every RCPT was answered, and each command_reply to the
// content is attributed to its place among them (index 0, 1, ...).
// transaction_done: `delivered` at most `accepted`, and the number of 2xx replies to
// the content, or 0 when MAIL was refused or no RCPT accepted (the session then ends
// the content with the dot alone, and no reply to it delivers the message). Once every
// recipient's reply came after an accepted MAIL, the result is the first failure's
// class (a refused chunk before the LAST one among them; success when there is none),
// and a success has exactly `accepted` replies to the content, all 2xx; no reply is
// unexpected while replies to the content are due. Without LMTP, `delivered` is
// `accepted` on success and 0 otherwise.
//
// BDAT (RFC 3030): BDAT exactly when the policy allows it and the server offers
// CHUNKING, LMTP or not, DATA otherwise. Each line is "BDAT <size>[ LAST]" (size within
// chunk_size, 0 only with LAST) followed by exactly that many octets, and the chunks of
// a transaction, put together, are the body the application gave, octet for octet
// (neither stuffed nor turned into CRLF lines): all of it with exactly one chunk marked
// LAST, the last one; or, only when a refusal ended the transaction, the session failed
// or the application gave up, a beginning of it without LAST. No chunk starts after the
// session reported a refused chunk, a refused MAIL or every RCPT refused in its
// transaction; none but the first before a recipient was accepted; without PIPELINING
// none before every earlier line was answered. Replies to chunks are numbered in order,
// the one to LAST (with LMTP, those) is the reply to the content, and a success needs
// it and every other chunk 2xx.
//
// MAIL and RCPT parameters: the application's own as it gave them, and besides them
// exactly the typed options it asked for that the server offered: SIZE, BODY (8BITMIME
// only with 8BITMIME; BINARYMIME only with BINARYMIME and CHUNKING offered and BDAT
// allowed), SMTPUTF8, and DSN's RET, ENVID, NOTIFY and ORCPT only with DSN offered, each
// once; ENVID and ORCPT's address in valid xtext (upper-case hexchars) that smtpwire's
// xtext decoder turns back into the application's octets, ORCPT with its addr-type and
// NOTIFY with the words asked for. A DSN option that cannot be sent (an ENVID or ORCPT
// address with an octet outside the printable range, an ENVID over 100 octets of
// xtext, an ORCPT without an atom and ';', NEVER with another NOTIFY) makes mail_from()
// or rcpt_to() fail, with invalid_argument unless an earlier check refused it, whether
// or not the server offers DSN.
#include "smtpwire/client_session.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "smtpwire/base64.hpp"
#include "smtpwire/command.hpp"
#include "smtpwire/data_decoder.hpp"
#include "smtpwire/dsn.hpp"
#include "smtpwire/esmtp_param.hpp"
#include "smtpwire/path.hpp"
#include "smtpwire/sasl/mechanism.hpp"
#include "smtpwire/xtext.hpp"

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

// RFC 7677 §3's user, password and nonce, so that seeds can carry its SCRAM exchange;
// Google's XOAUTH2 example user and token.
constexpr std::string_view scram_user = "user";
constexpr std::string_view scram_password = "pencil";
constexpr std::string_view scram_nonce = "rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view oauth_user = "someuser@example.com";
constexpr std::string_view oauth_token = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg";

// The credentials byte 7 chooses (the comment at the top lists them). The strings are
// static: the configuration holds views of them. No user, password or token here
// encodes in base64 to "QUIT", which the wire checker relies on.
client_auth credentials(unsigned choice) {
    static const std::string long_password(255, 'p');
    static const std::string long_authorization_id(255, 'a');
    static const std::string long_token = std::string(600, 'T') + "==";
    static const std::string raw_nonce("\x00\x01\x02\x03\x04\x05\x06\x07\xf8\xf9\xfa\xfb\xfc\xfd\xfe\xff", 16);
    client_auth a;
    switch (choice) {
    case 1:
        a.user = scram_user;
        a.password = scram_password;
        break;
    case 2:
        a.user = scram_user;
        a.password = scram_password;
        a.nonce = scram_nonce;
        break;
    case 3:
        a.user = oauth_user;
        a.token = oauth_token;
        break;
    case 4:
        a.user = scram_user;
        a.password = scram_password;
        a.nonce = scram_nonce;
        a.token = oauth_token;
        break;
    case 5:
        a.user = scram_user;
        a.authorization_id = long_authorization_id;
        a.password = long_password;
        a.token = oauth_token;
        break;
    case 6:
        a.user = scram_user;
        a.password = scram_password;
        a.token = long_token;
        a.nonce = raw_nonce;
        break;
    case 7:
        a.user = "tim\r\nMAIL FROM:<x@y>";
        a.password = scram_password;
        a.token = "not a token";
        break;
    default:
        break;
    }
    return a;
}

struct plan {
    client_config config;
    std::string helo_name;
    std::vector<smtpwire_fuzz::outgoing> messages;
    std::size_t body_chunk = 0;
    std::uint8_t split = 0;
    std::size_t write_chunk = 0;
    bool impatient = false;
    bool handshake_fails = false;
    std::string_view server_bytes;

    // STARTTLS may be sent: the server's bytes then have a clear part and a TLS part.
    bool starttls_possible() const { return config.starttls != tls_policy::none && !config.implicit_tls; }
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
    // The application model and the content invariants here are DATA's (354, dot-stuffed
    // spans); a server byte stream offering CHUNKING must not switch the session to BDAT.
    p.config.bdat = bdat_policy::never;
    p.config.lmtp = (b1 & 32) != 0;
    if (b0 & 2) p.config.reply = reply_limits{80, 5};
    static const std::size_t buffers[] = {1024, 1500, 4096, 65536};
    p.config.output_buffer = buffers[(b0 >> 2) & 3];
    static const char* const helo_names[] = {"client.example", "[192.0.2.1]", "[IPv6:2001:db8::1]",
                                             "client.example\r\nMAIL FROM:<x@y>"};
    p.helo_name = helo_names[(b3 >> 5) & 3];
    p.impatient = (b3 & 128) != 0;
    p.config.helo_name = p.helo_name;
    p.body_chunk = b4 == 0 ? static_cast<std::size_t>(-1) : b4;
    if (b1 & 128) {
        const std::uint8_t b7 = in.byte();
        const std::uint8_t b8 = in.byte();
        static const tls_policy policies[] = {tls_policy::none, tls_policy::opportunistic, tls_policy::required,
                                              tls_policy::required};
        p.config.starttls = policies[b7 & 3];
        p.config.implicit_tls = (b7 & 4) != 0;
        p.handshake_fails = (b7 & 8) != 0;
        p.config.auth = credentials(b7 >> 5);
        p.config.auth.allow_in_clear = (b7 & 16) != 0;
        if ((b8 & 63) != 0) {
            p.config.auth.mechanisms = {};
            for (unsigned m = 0; m < 6; ++m)
                if (b8 & (1u << m)) p.config.auth.mechanisms.add(static_cast<sasl::mechanism>(m));
        }
        const unsigned oauth = b8 >> 6;
        if (oauth == 1 || oauth == 2) p.config.auth.oauth_host = "server.example.com";
        if (oauth == 1 || oauth == 3) p.config.auth.oauth_port = 587;
    }
    // Byte 1 bit 6: BDAT and DSN options (bytes 9 and 10, and the DSN bytes).
    bool binary = false;
    bool end_with_last_piece = false;
    dsn_return ret = dsn_return::unspecified;
    std::string envid;
    std::string orcpt_bytes;
    unsigned notify_bits = 0;
    unsigned orcpt_form = 0;
    bool dsn = false;
    if (b1 & 64) {
        const std::uint8_t b9 = in.byte();
        const std::uint8_t b10 = in.byte();
        static const bdat_policy bdat_policies[] = {bdat_policy::never, bdat_policy::automatic, bdat_policy::always,
                                                    bdat_policy::automatic};
        p.config.bdat = bdat_policies[b9 & 3];
        p.config.chunk_size = b10 < 128 ? b10 : static_cast<std::size_t>(b10 - 127) * 32;
        binary = (b9 & 4) != 0;
        dsn = (b9 & 8) != 0;
        end_with_last_piece = (b9 & 16) != 0;
        // A small window makes pipelined chunks wait for replies, so that a refusal can
        // come before the last chunk starts.
        static const std::size_t windows[] = {32768, 512, 1024, 2048};
        p.config.max_unacknowledged = windows[(b9 >> 5) & 3];
        if (dsn) {
            const std::uint8_t d0 = in.byte();
            static const dsn_return returns[] = {dsn_return::unspecified, dsn_return::full, dsn_return::headers,
                                                 dsn_return::unspecified};
            ret = returns[d0 & 3];
            orcpt_form = (d0 >> 2) & 3;
            notify_bits = in.byte();
            envid = std::string(in.bytes(in.byte()));
            orcpt_bytes = std::string(in.bytes(in.byte()));
        }
    }

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
        if (binary) out.options.body = body_type::binary_mime;
        out.end_with_last_piece = end_with_last_piece;
        if (dsn) {
            out.options.ret = ret;
            out.envid = envid;
            for (std::size_t r = 0; r < rcpts; ++r) {
                const unsigned bits = (notify_bits >> (r % 2 * 4)) & 15;
                dsn_notify n;
                n.never = (bits & 1) != 0;
                n.success = (bits & 2) != 0;
                n.failure = (bits & 4) != 0;
                n.delay = (bits & 8) != 0;
                out.notify.push_back(n);
                const std::string& address = out.to[r];
                switch (orcpt_form) {
                case 0: out.orcpt.push_back(orcpt_bytes); break;
                case 1: out.orcpt.push_back("rfc822;" + orcpt_bytes); break;
                case 2: out.orcpt.push_back("rfc822;" + address); break;
                default: out.orcpt.push_back(orcpt_bytes + ";" + address); break;
                }
            }
        }
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
    std::uint16_t code = 0;
    std::size_t at = 0;  // how many octets the session had composed when it reported it
};

// What the server offered, as the session saw it when it became ready.
struct offers {
    bool ready = false;
    bool pipelining = false;  // client_session::pipelining(): in use
    bool size = false;
    bool eight_bit_mime = false;
    bool chunking = false;
    bool binary_mime = false;
    bool dsn = false;
};

// One step of the conversation, in time order: bytes written or received, or the TLS
// handshake at a handover, with the octets the session dropped there.
struct wire_step {
    enum class kind { written, received, tls_established, tls_failed };
    kind what = kind::written;
    std::string bytes;
    std::size_t discarded = 0;
};

struct run_log {
    std::vector<std::string> events;  // events and the application's calls, in order
    std::string output;
    std::vector<smtpwire_fuzz::content_span> spans;
    std::vector<smtpwire_fuzz::sent_address> addresses;
    std::vector<reported_reply> replies;
    std::vector<wire_step> wire;
    offers offered;
    bool failed = false;
    bool gave_up = false;
    std::string unsent;  // output() when the application gave up: commands never sent
};

// The server's bytes as the runner feeds them: what it sends in clear, then what it
// sends inside TLS, each cut into pieces.
struct server_pieces {
    std::vector<std::string_view> clear;
    std::vector<std::string_view> inside_tls;
};

class runner {
public:
    runner(const plan& p, server_pieces pieces, std::size_t write_chunk)
        : p_(p), c_(p.config),
          app_(p.messages, p.body_chunk, p.impatient, p.config.bdat != bdat_policy::never),
          pieces_(std::move(pieces.clear)),
          tls_pieces_(std::move(pieces.inside_tls)), write_chunk_(write_chunk) {}

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
            } else if (const auto* h = std::get_if<tls_handover>(&ev)) {
                on_handover(*h);
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
        log_.wire.push_back({wire_step::kind::written, std::string(out.substr(0, n)), 0});
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
        log_.wire.push_back({wire_step::kind::received, std::string(pieces_[next_piece_]), 0});
        std::string next = std::string(c_.unconsumed()) + std::string(pieces_[next_piece_++]);
        buffer_.swap(next);
        check(c_.feed(buffer_) == errc::ok, "feed() refused after need_data");
    }

    // STARTTLS was answered 220: the session has written everything and reads nothing
    // until the handshake's outcome, which the input chooses. After tls_established()
    // the server's bytes are those it sends inside TLS; the clear ones not yet fed are
    // never read.
    void on_handover(const tls_handover& h) {
        check(p_.starttls_possible() && !handed_over_, "tls_handover without STARTTLS to send, or twice");
        check(c_.output().empty() && !c_.wants_write() && !c_.wants_read() && !c_.tls_active() && !c_.can_send(),
              "tls_handover with output waiting, input wanted or TLS already active");
        const client_event again = c_.next_event();
        const auto* same = std::get_if<tls_handover>(&again);
        check(same != nullptr && same->discarded == h.discarded, "tls_handover not returned again until the handshake");
        check(c_.mail_from("a@b.example") == errc::wrong_state && c_.quit() == errc::wrong_state &&
                  c_.output().empty(),
              "a command accepted during the TLS handover");
        handed_over_ = true;
        log_.events.push_back("tls_handover");
        if (p_.handshake_fails) {
            log_.wire.push_back({wire_step::kind::tls_failed, {}, h.discarded});
            check(c_.tls_failed() == errc::ok, "tls_failed() refused at the handover");
            check(c_.tls_established() == errc::wrong_state, "tls_established() accepted after tls_failed()");
            return;
        }
        log_.wire.push_back({wire_step::kind::tls_established, {}, h.discarded});
        check(c_.tls_established() == errc::ok, "tls_established() refused at the handover");
        check(c_.tls_established() == errc::wrong_state && c_.tls_failed() == errc::wrong_state,
              "a second handshake outcome accepted");
        check(c_.tls_active() && c_.unconsumed().empty(), "not in TLS, or clear bytes kept, after tls_established()");
        check(!c_.server_capabilities().has(extension::starttls) && c_.server_capabilities().domain().empty(),
              "capabilities learned in clear kept inside TLS");
        tls_established_ = true;
        pieces_ = std::move(tls_pieces_);
        next_piece_ = 0;
    }

    // A reply to the content (the final dot, or LMTP's LAST chunk): with LMTP the
    // index-th of one per accepted recipient, otherwise the only one.
    void on_content_reply(std::size_t index, std::uint16_t code) {
        const bool positive = code >= 200 && code < 300;
        check(index == content_replies_, "a reply to the content with another index");
        check(content_replies_ < (p_.config.lmtp && accepted_ > 1 ? accepted_ : 1),
              "more replies to the content than owed");
        ++content_replies_;
        if (positive) ++delivered_;
        if (!positive && first_failure_ == 0) first_failure_ = code;
        content_ok_ = (p_.config.lmtp ? delivered_ == accepted_ : positive) && !chunk_refused_;
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
            check(c_.tls_established() == errc::wrong_state && c_.tls_failed() == errc::wrong_state,
                  "a handshake outcome accepted without a handover");
            check(c_.output() == before, "a refused command wrote output");
            log_.events.push_back("greeted " + describe_reply(g->reply));
        } else if (const auto* r = std::get_if<ready>(&ev)) {
            check(greeted_ && !ready_, "ready before the greeting or twice");
            ready_ = true;
            check(r->tls == c_.tls_active() && r->tls == (p_.config.implicit_tls || tls_established_),
                  "ready reports another TLS state than the handshake gave");
            check(r->tls || p_.config.starttls != tls_policy::required, "ready without TLS although it is required");
            check(r->authenticated == !p_.config.auth.user.empty(),
                  "ready not authenticated with credentials, or authenticated without");
            check(r->extended || !p_.config.lmtp, "an LMTP session ready after HELO");
            check(c_.tls_established() == errc::wrong_state && c_.tls_failed() == errc::wrong_state,
                  "a handshake outcome accepted without a handover");
            const capabilities& caps = c_.server_capabilities();
            log_.offered = offers{true,
                                  c_.pipelining(),
                                  caps.has(extension::size),
                                  caps.has(extension::eight_bit_mime),
                                  caps.has(extension::chunking),
                                  caps.has(extension::binary_mime),
                                  caps.has(extension::dsn)};
            log_.events.push_back(std::string(r->extended ? "ready EHLO" : "ready HELO") + (r->tls ? " TLS" : "") +
                                  (r->authenticated ? " AUTH" : ""));
        } else if (const auto* cr = std::get_if<command_reply>(&ev)) {
            check(cr->reply.code >= 200 && cr->reply.code <= 599, "reply with an invalid code");
            log_.replies.push_back({cr->command, cr->after_content, cr->index, cr->transaction, false, cr->reply.code,
                                    log_.output.size() + c_.output().size()});
            check(cr->reply.lines >= 1, "reply without lines");
            if (cr->command == verb::mail) {
                mail_refused_ = cr->reply.code / 100 != 2;
                rcpt_replies_ = 0;
                accepted_ = 0;
                content_ok_ = false;
                content_replies_ = 0;
                delivered_ = 0;
                first_failure_ = 0;
                chunk_replies_ = 0;
                chunk_refused_ = false;
            } else if (cr->command == verb::bdat && cr->after_content && p_.config.lmtp) {
                // RFC 2033 §4.2 with RFC 3030: the LAST chunk is answered as the final
                // dot is, once per accepted recipient.
                on_content_reply(cr->index, cr->reply.code);
            } else if (cr->command == verb::bdat) {
                // RFC 3030 §2: one reply per chunk, in order; the one to the LAST chunk
                // is the reply to the content, and decides only if no chunk was refused.
                check(cr->index == chunk_replies_, "a BDAT reply with another index");
                ++chunk_replies_;
                const bool positive = cr->reply.code >= 200 && cr->reply.code < 300;
                if (cr->after_content) {
                    check(content_replies_ == 0, "a second reply to the LAST chunk");
                    ++content_replies_;
                    content_ok_ = positive && !chunk_refused_;
                }
                if (!positive) chunk_refused_ = true;
                // With LMTP a refused chunk decides before any reply to the LAST one.
                if (!positive && first_failure_ == 0) first_failure_ = cr->reply.code;
            } else if (cr->command == verb::rcpt) {
                check(cr->index == rcpt_replies_, "RCPT reply index out of order");
                ++rcpt_replies_;
                if (cr->reply.code >= 200 && cr->reply.code < 300) ++accepted_;
            } else if (cr->command == verb::data && cr->after_content) {
                on_content_reply(cr->index, cr->reply.code);
            }
            if (cr->command == verb::quit) quitting_after_failure_ = false;
            log_.events.push_back("reply " + std::string(to_string(cr->command)) + " #" + std::to_string(cr->index) +
                                  (cr->after_content ? " content " : " ") + describe_reply(cr->reply));
        } else if (const auto* d = std::get_if<transaction_done>(&ev)) {
            check(d->recipients == app_.rcpts_of(d->transaction), "transaction_done counts other recipients than were added");
            check(d->accepted == accepted_ && d->accepted <= d->recipients, "transaction_done accepted count wrong");
            check(d->result != outcome::success || (accepted_ > 0 && content_ok_),
                  "transaction reported a success without an accepted message");
            check(d->delivered <= d->accepted, "more recipients delivered than accepted");
            if (p_.config.lmtp) {
                // After a refused MAIL, or with no RCPT accepted, a 354 gets the dot alone,
                // and a 2xx to it delivers nothing.
                check(d->delivered == (mail_refused_ || accepted_ == 0 ? 0 : delivered_),
                      "transaction_done delivered differs from the 2xx content replies");
                check(d->result != outcome::success || (content_replies_ == accepted_ && delivered_ == accepted_),
                      "an LMTP success without a 2xx reply to the content for every accepted recipient");
                if (!mail_refused_ && accepted_ > 0 && content_replies_ == accepted_) {
                    const outcome first = first_failure_ == 0       ? outcome::success
                                          : first_failure_ / 100 == 4 ? outcome::transient
                                                                      : outcome::permanent;
                    check(d->result == first, "an LMTP result other than the first failure's class");
                    check(first_failure_ == 0 || d->reply.code == first_failure_,
                          "an LMTP transaction decided by other than its first failure");
                }
            } else {
                check(d->delivered == (d->result == outcome::success ? d->accepted : 0),
                      "transaction_done delivered is neither accepted on success nor 0");
            }
            log_.replies.push_back({verb::unknown, false, 0, d->transaction, true, d->reply.code,
                                    log_.output.size() + c_.output().size()});
            log_.events.push_back("done " + std::string(to_string(d->result)) + " " + std::to_string(d->delivered) + "/" +
                                  std::to_string(d->accepted) + "/" + std::to_string(d->recipients) + " " +
                                  describe_reply(d->reply));
        } else if (const auto* f = std::get_if<client_failure>(&ev)) {
            check(!failed_ || quitting_after_failure_, "a second failure");
            failed_ = true;
            log_.failed = true;
            // The refusals after which QUIT is sent and its reply awaited.
            quitting_after_failure_ =
                f->what == client_error::greeting_refused || f->what == client_error::hello_refused ||
                f->what == client_error::tls_unavailable || f->what == client_error::tls_refused ||
                f->what == client_error::auth_unavailable || f->what == client_error::auth_failed;
            check(f->what != client_error::tls_failed || (handed_over_ && p_.handshake_fails),
                  "tls_failed without a failed handshake");
            check(f->what != client_error::invalid_config || log_.events.empty(), "invalid_config not first");
            // LMTP: while replies to the content are due, the next reply is one of them,
            // unless it is a 3xx, which no reply to the content can be (RFC 5321 §4.3.2).
            check(!p_.config.lmtp || f->what != client_error::unexpected_reply || content_replies_ == 0 ||
                      content_replies_ >= accepted_ || f->reply.code / 100 == 3,
                  "a reply to the content taken as unexpected before every accepted recipient had one");
            log_.events.push_back("failure " + std::string(to_string(f->what)) + " " + describe_reply(f->reply));
        } else {
            smtpwire_fuzz::fail("unknown client event");
        }
    }

    const plan& p_;
    client_session c_;
    smtpwire_fuzz::sending_app app_;
    std::vector<std::string_view> pieces_;
    std::vector<std::string_view> tls_pieces_;
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
    bool handed_over_ = false;
    bool tls_established_ = false;
    bool content_ok_ = false;
    bool mail_refused_ = false;        // the reply to this transaction's MAIL was not 2xx
    std::size_t rcpt_replies_ = 0;
    std::size_t accepted_ = 0;
    std::size_t content_replies_ = 0;  // replies to the content of this transaction
    std::size_t chunk_replies_ = 0;    // replies to its BDAT chunks
    bool chunk_refused_ = false;       // one of them was not 2xx
    std::size_t delivered_ = 0;        // of them 2xx
    std::uint16_t first_failure_ = 0;  // the code of the first of them that was not 2xx
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

// Whether the credentials and auth.mechanisms let the client use `m` (client_auth: PLAIN,
// LOGIN and CRAM-MD5 need a password, SCRAM-SHA-256 a nonce too, XOAUTH2 and OAUTHBEARER
// a token; with an authorization identity only PLAIN and OAUTHBEARER).
bool mechanism_allowed(const client_auth& a, sasl::mechanism m) {
    if (a.user.empty() || !a.mechanisms.has(m)) return false;
    const bool password = !a.password.empty();
    const bool token = !a.token.empty();
    const bool own_identity = a.authorization_id.empty();
    switch (m) {
    case sasl::mechanism::plain: return password;
    case sasl::mechanism::login:
    case sasl::mechanism::cram_md5: return password && own_identity;
    case sasl::mechanism::scram_sha_256: return password && own_identity && !a.nonce.empty();
    case sasl::mechanism::xoauth2: return token && own_identity;
    case sasl::mechanism::oauthbearer: return token;
    }
    return false;
}

// The mechanisms that carry the password or token itself (RFC 4954 §4 asks for a
// protected channel for them).
bool sends_secret(std::string_view mechanism) {
    return mechanism == "PLAIN" || mechanism == "LOGIN" || mechanism == "XOAUTH2" || mechanism == "OAUTHBEARER";
}

// The mechanisms whose first message comes from the client, so it may go with AUTH.
bool client_speaks_first(std::string_view mechanism) {
    return mechanism == "PLAIN" || mechanism == "SCRAM-SHA-256" || mechanism == "XOAUTH2" ||
           mechanism == "OAUTHBEARER";
}

// True when `text` holds the password or the token of `a`.
bool reveals_secret(std::string_view text, const client_auth& a) {
    return (!a.password.empty() && text.find(a.password) != std::string_view::npos) ||
           (!a.token.empty() && text.find(a.token) != std::string_view::npos);
}

// Decodes strict base64 into `out`; false when `text` is not base64.
bool decode_base64(std::string_view text, std::string& out) {
    out.assign(base64_decoded_max(text.size()), '\0');
    std::size_t n = 0;
    if (!base64_decode(text, out.data(), n)) return false;
    out.resize(n);
    return true;
}

// An AUTH command's argument: the mechanism, and the initial response if there is one.
struct auth_argument {
    std::string_view mechanism;
    std::string_view initial_response;
    bool has_initial_response = false;
};

auth_argument split_auth(std::string_view argument) {
    const std::size_t sp = argument.find(' ');
    if (sp == std::string_view::npos) return {argument, {}, false};
    return {argument.substr(0, sp), argument.substr(sp + 1), true};
}

// True when `s` is xtext (RFC 3461 §4): xchars (%d33-42, %d44-60, %d62-126) and "+"
// followed by two upper-case hexadecimal digits. Written apart from smtpwire's is_xtext().
bool valid_xtext(std::string_view s) {
    auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); };
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto u = static_cast<unsigned char>(s[i]);
        if (s[i] == '+') {
            if (s.size() - i < 3 || !hex(s[i + 1]) || !hex(s[i + 2])) return false;
            i += 2;
        } else if (u < 33 || u > 126 || s[i] == '=') {
            return false;
        }
    }
    return true;
}

// `s` decoded with smtpwire's xtext decoder (which must accept it).
std::string xtext_decoded(std::string_view s, std::string_view line) {
    std::string out(xtext_decoded_max(s.size()), '\0');
    std::size_t n = 0;
    check(xtext_decode(s, out.data(), n), "smtpwire's xtext decoder refuses a value the client wrote", line);
    out.resize(n);
    return out;
}

// NOTIFY's value for `n`: NEVER, or the words set in the order SUCCESS, FAILURE, DELAY.
std::string notify_words(const dsn_notify& n) {
    std::string words;
    auto add = [&](const char* w) { words += (words.empty() ? "" : ",") + std::string(w); };
    if (n.never) add("NEVER");
    if (n.success) add("SUCCESS");
    if (n.failure) add("FAILURE");
    if (n.delay) add("DELAY");
    return words;
}

// A BDAT argument as client_session writes it (RFC 3030 §2): chunk-size without leading
// zeros, then " LAST" or nothing.
bool parse_bdat(std::string_view argument, std::uint64_t& size, bool& last) {
    std::size_t digits = 0;
    while (digits < argument.size() && argument[digits] >= '0' && argument[digits] <= '9') ++digits;
    if (digits == 0 || digits > 19 || (digits > 1 && argument[0] == '0')) return false;
    const std::string_view rest = argument.substr(digits);
    if (!rest.empty() && rest != " LAST") return false;
    size = 0;
    for (std::size_t i = 0; i < digits; ++i) size = size * 10 + static_cast<std::uint64_t>(argument[i] - '0');
    last = !rest.empty();
    return true;
}

// The parameters of a MAIL or RCPT line (`rest`, after the path): the application's own
// parameters as it gave them, and the typed options exactly as it asked and the server
// offered: SIZE, BODY (BINARYMIME only with CHUNKING and BINARYMIME offered and BDAT
// allowed), SMTPUTF8, and DSN's RET, ENVID, NOTIFY and ORCPT only with DSN offered,
// ENVID and ORCPT in valid xtext that decodes to the application's value. Nothing else.
void check_parameters(std::string_view rest, bool mail, const smtpwire_fuzz::sent_address& sent, const plan& p,
                      const run_log& log, std::string_view line) {
    std::vector<std::string_view> params;
    esmtp_param_reader reader(rest, true);
    esmtp_param param;
    param_error pe;
    while ((pe = reader.next(param)) == param_error::ok) params.push_back(reader.current());
    check(pe == param_error::end, "the client wrote malformed parameters", line);
    std::string_view own = sent.parameters;
    while (!own.empty()) {
        const std::string_view word = own.substr(0, own.find(' '));
        own.remove_prefix(word.size() < own.size() ? word.size() + 1 : word.size());
        bool found = false;
        for (std::size_t i = 0; i < params.size() && !found; ++i) {
            if (params[i] != word) continue;
            params.erase(params.begin() + static_cast<std::ptrdiff_t>(i));
            found = true;
        }
        check(found, "a parameter the application gave is missing", line);
    }
    const offers& o = log.offered;
    check(o.ready, "MAIL or RCPT before the session was ready", line);
    std::string body;
    if (sent.body == body_type::eight_bit_mime) body = "8BITMIME";
    if (sent.body == body_type::binary_mime) body = "BINARYMIME";
    if (sent.body == body_type::seven_bit && o.eight_bit_mime) body = "7BIT";
    const bool size = mail && sent.size != 0 && o.size;
    const bool smtputf8 = mail && (sent.smtputf8 || ascii::has_non_ascii(sent.address));
    const bool ret = mail && o.dsn && sent.ret != dsn_return::unspecified;
    const bool envid = mail && o.dsn && !sent.envid.empty();
    const bool notify = !mail && o.dsn && sent.notify.given();
    const bool orcpt = !mail && o.dsn && !sent.orcpt.empty();
    if (!mail) body.clear();
    if (body == "BINARYMIME")
        check(o.binary_mime && o.chunking && p.config.bdat != bdat_policy::never,
              "BODY=BINARYMIME without BINARYMIME and CHUNKING offered, or without BDAT", line);
    if (body == "8BITMIME") check(o.eight_bit_mime, "BODY=8BITMIME without 8BITMIME offered", line);
    std::vector<std::string_view> seen;
    for (std::string_view text : params) {
        const std::size_t eq = text.find('=');
        const std::string_view keyword = text.substr(0, eq);
        const std::string_view value = eq == std::string_view::npos ? std::string_view() : text.substr(eq + 1);
        for (std::string_view k : seen) check(k != keyword, "a parameter written twice", line);
        seen.push_back(keyword);
        if (keyword == "SIZE") {
            check(size && value == std::to_string(sent.size), "SIZE unasked, unoffered or with another value", line);
        } else if (keyword == "BODY") {
            check(!body.empty() && value == body, "BODY unasked, unoffered or with another value", line);
        } else if (keyword == "SMTPUTF8") {
            check(smtputf8 && eq == std::string_view::npos, "SMTPUTF8 unasked or with a value", line);
        } else if (keyword == "RET") {
            check(ret && value == to_string(sent.ret), "RET unasked, without DSN offered or with another value", line);
        } else if (keyword == "ENVID") {
            check(envid, "ENVID unasked or without DSN offered", line);
            check(valid_xtext(value), "an ENVID that is not xtext", line);
            check(xtext_decoded(value, line) == sent.envid, "an ENVID that decodes to another value", line);
        } else if (keyword == "NOTIFY") {
            check(notify && value == notify_words(sent.notify),
                  "NOTIFY unasked, without DSN offered or with other words", line);
        } else if (keyword == "ORCPT") {
            check(orcpt, "ORCPT unasked or without DSN offered", line);
            const std::size_t semicolon = sent.orcpt.find(';');
            const std::string_view type = std::string_view(sent.orcpt).substr(0, semicolon);
            check(value.substr(0, type.size() + 1) == std::string(type) + ";", "an ORCPT with another type", line);
            const std::string_view xtext = value.substr(type.size() + 1);
            check(valid_xtext(xtext), "an ORCPT address that is not xtext", line);
            check(xtext_decoded(xtext, line) == std::string_view(sent.orcpt).substr(semicolon + 1),
                  "an ORCPT address that decodes to another value", line);
        } else {
            smtpwire_fuzz::fail("a parameter the application did not ask for", line);
        }
    }
    auto has = [&](std::string_view k) {
        for (std::string_view x : seen)
            if (x == k) return true;
        return false;
    };
    check(has("SIZE") == size && has("BODY") == !body.empty() && has("SMTPUTF8") == smtputf8 && has("RET") == ret &&
              has("ENVID") == envid && has("NOTIFY") == notify && has("ORCPT") == orcpt,
          "a parameter the application asked for and the server offered is missing", line);
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
    case verb::lhlo:
        check((cmd.verb == verb::lhlo) == p.config.lmtp, "EHLO or HELO from an LMTP client, or LHLO without LMTP",
              line);
        check(cmd.argument == p.helo_name, "EHLO/HELO with another name", line);
        return;
    case verb::data:
    case verb::rset:
    case verb::quit:
    case verb::starttls:
        return;
    case verb::bdat: {
        std::uint64_t size = 0;
        bool last = false;
        check(parse_bdat(cmd.argument, size, last), "a BDAT line other than BDAT <size>[ LAST]", line);
        check(p.config.chunk_size == 0 || size <= p.config.chunk_size, "a BDAT chunk larger than chunk_size", line);
        check(last || size != 0, "an empty BDAT chunk not marked LAST", line);
        return;
    }
    case verb::auth: {
        const auth_argument a = split_auth(cmd.argument);
        sasl::mechanism m{};
        check(sasl::parse_mechanism(a.mechanism, m) && sasl::to_string(m) == a.mechanism &&
                  mechanism_allowed(p.config.auth, m),
              "AUTH with a mechanism the credentials or the application do not allow", line);
        std::string decoded;
        check(!a.has_initial_response || (!a.initial_response.empty() && decode_base64(a.initial_response, decoded)),
              "AUTH with an initial response that is not base64", line);
        return;
    }
    case verb::mail:
    case verb::rcpt: {
        path_options opt;
        opt.utf8 = true;
        path parsed;
        std::string_view rest;
        const path_error e = cmd.verb == verb::mail ? parse_reverse_path(cmd.argument, opt, parsed, rest)
                                                     : parse_forward_path(cmd.argument, opt, parsed, rest);
        check(e == path_error::ok, "the client wrote a path smtpwire refuses", line);
        check(next_address < log.addresses.size(), "a MAIL or RCPT the application did not issue", line);
        const smtpwire_fuzz::sent_address& sent = log.addresses[next_address++];
        check(sent.mail == (cmd.verb == verb::mail), "MAIL and RCPT out of order", line);
        check(decoded_address(parsed) == smtpwire_fuzz::as_delivered(sent.address, true),
              "the address on the wire decodes to something else", line);
        check_parameters(rest, cmd.verb == verb::mail, sent, p, log, line);
        return;
    }
    default:
        smtpwire_fuzz::fail("the client wrote an unexpected command", line);
    }
}

// Checks a SASL response line (CRLF removed): base64, possibly empty, or "*" to cancel
// (RFC 4954 §4).
void check_sasl_response(std::string_view line) {
    std::string decoded;
    check(line == "*" || decode_base64(line, decoded), "a SASL response that is neither base64 nor \"*\"", line);
}

// `responses`: the output offsets of the lines that are SASL responses (check_wire()).
void check_output(const plan& p, const run_log& log, const std::vector<std::size_t>& responses) {
    // What the session composed: written, or left unwritten when the application gave up.
    const std::string composed = log.output + log.unsent;
    const std::string_view all = composed;
    std::size_t pos = 0;
    std::size_t next_address = 0;
    std::size_t next_response = 0;
    // The lines of [at, end): commands and SASL responses, each BDAT line followed by its
    // chunk's octets (check_wire() checks those).
    auto commands = [&](std::size_t at, std::size_t end) {
        while (at < end) {
            const std::size_t crlf = all.find("\r\n", at);
            check(crlf != std::string_view::npos && crlf + 2 <= end, "output not made of CRLF lines",
                  all.substr(at, end - at));
            const std::string_view line = all.substr(at, crlf - at);
            const bool response = next_response < responses.size() && responses[next_response] == at;
            at = crlf + 2;
            if (response) {
                ++next_response;
                check_sasl_response(line);
                continue;
            }
            check_command(line, p, log, next_address);
            std::uint64_t size = 0;
            bool last = false;
            if (line.substr(0, 5) == "BDAT " && parse_bdat(line.substr(5), size, last)) {
                check(size <= end - at, "a BDAT chunk with fewer octets than its size", line);
                at += static_cast<std::size_t>(size);
            }
        }
    };
    for (const auto& span : log.spans) {
        if (span.chunked) continue;  // BDAT: check_wire()
        if (span.open && span.begin >= all.size()) break;  // given up before any was written
        check(span.begin >= pos && span.begin <= all.size(), "content span out of order");
        commands(pos, span.begin);
        const std::string_view wire = all.substr(span.begin);
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
        // Content cut short may end in the CR of a CRLF.
        std::string_view whole_lines = written;
        if (!decoder.finished() && !whole_lines.empty() && whole_lines.back() == '\r') whole_lines.remove_suffix(1);
        check(!smtpwire_fuzz::has_bare_newline(whole_lines), "bare CR or LF in the content written", written);
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
    commands(pos, all.size());
    check(next_address == log.addresses.size(), "an issued MAIL or RCPT is missing from the output");
}

// The server side of the wire as the client must read it: reply 0 is the greeting, and
// each line (a command, a SASL response or the end of content) is answered by the
// replies that follow, one (LMTP: one per accepted recipient after the content). Counts the
// complete replies received and keeps their codes and where each ended.
class reply_counter {
public:
    void receive(std::string_view bytes) {
        for (char c : bytes) {
            ++received_;
            line_ += c;
            if (line_.size() < 2 || line_.compare(line_.size() - 2, 2, "\r\n") != 0) continue;
            const bool more = line_.size() > 5 && line_[3] == '-';
            if (!more) {
                std::uint16_t code = 0;
                for (std::size_t i = 0; i < 3 && i < line_.size(); ++i)
                    code = static_cast<std::uint16_t>(code * 10 + (line_[i] >= '0' && line_[i] <= '9' ? line_[i] - '0' : 0));
                codes_.push_back(code);
                ends_.push_back(received_);
            }
            line_.clear();
        }
    }

    // The session dropped the last `n` octets received unread (those behind the reply
    // that started a TLS handover): forgets them. False unless the octets kept end
    // exactly at the end of a complete reply.
    bool drop_unread(std::size_t n) {
        if (n > received_) return false;
        const std::size_t kept = received_ - n;
        std::size_t replies = codes_.size();
        while (replies > 0 && ends_[replies - 1] > kept) --replies;
        if (replies == 0 || ends_[replies - 1] != kept) return false;
        codes_.resize(replies);
        ends_.resize(replies);
        line_.clear();
        received_ = kept;
        return true;
    }

    std::size_t count() const { return codes_.size(); }
    std::uint16_t code(std::size_t k) const { return k < codes_.size() ? codes_[k] : 0; }

private:
    std::string line_;
    std::size_t received_ = 0;
    std::vector<std::uint16_t> codes_;
    std::vector<std::size_t> ends_;
};

// A line on the wire, as the server sees it: a command line, a SASL response, or the
// end of content.
struct wire_command {
    verb command = verb::unknown;
    bool end_of_content = false;
    bool sasl_response = false;
    transaction_id transaction = 0;  // counted from the MAIL commands on the wire
    std::size_t index = 0;           // RCPT or BDAT position in its transaction
    std::size_t reply = 0;           // the number of the first reply answering it
    std::size_t replies = 1;         // how many answer it
    std::size_t at = 0;              // where the line starts in the output
    std::string_view chunk;          // BDAT: the chunk's octets (end_of_content: LAST)
};

// RFC 2920 §3.1, and the commands after which the client must wait for the server:
// STARTTLS, AUTH and every SASL response.
bool ends_group(const wire_command& w) {
    return w.sasl_response || w.command == verb::ehlo || w.command == verb::helo || w.command == verb::lhlo ||
           w.command == verb::data ||
           w.command == verb::quit || w.command == verb::starttls || w.command == verb::auth;
}

// Lines whose reply the session reports as a command_reply: not EHLO/HELO/LHLO (ready or
// a failure), nor STARTTLS or the AUTH exchange (handover, ready or a failure).
bool reported(const wire_command& w) {
    return !w.sasl_response && w.command != verb::ehlo && w.command != verb::helo && w.command != verb::lhlo &&
           w.command != verb::starttls && w.command != verb::auth;
}

// BDAT (RFC 3030), given the lines on the wire and the replies the session reported,
// each with the command it answers. In each transaction: a chunk starts only while the
// session has reported no refusal that ends it (a refused chunk, a refused MAIL, or the
// last RCPT refused with every other), the second and later only once a recipient was
// accepted, and without PIPELINING only once every earlier line was answered; nothing
// follows the LAST chunk. The chunks' octets, put together, are the body the
// application gave, byte for byte: all of it, with exactly one chunk marked LAST, or,
// when the transaction was refused, the session failed or the application gave up, a
// beginning of it and no LAST.
// `written_at`: (output offset, replies received before) for each write, in order.
std::size_t replies_before(const std::vector<std::pair<std::size_t, std::size_t>>& written_at, std::size_t at) {
    std::size_t n = 0;
    for (const auto& w : written_at)
        if (w.first <= at) n = w.second;
    return n;
}

// One transaction as check_chunks() follows it.
struct chunked_transaction {
    static constexpr std::size_t none = static_cast<std::size_t>(-1);
    std::size_t rcpts = 0;
    std::size_t refused = 0;         // RCPTs refused
    std::size_t stop_at = none;      // where the session reported a refusal that ends it
    std::size_t accepted_at = none;  // where it reported the first accepted RCPT
    std::string content;
    std::size_t chunks = 0;
    bool last = false;
    bool span = false;  // the application started its content
};

void check_chunks(const run_log& log, const std::vector<wire_command>& commands,
                  const std::vector<std::pair<const reported_reply*, std::size_t>>& attributed,
                  const std::vector<std::pair<std::size_t, std::size_t>>& written_at) {
    constexpr std::size_t none = chunked_transaction::none;
    std::map<transaction_id, chunked_transaction> txs;
    for (const wire_command& w : commands)
        if (w.command == verb::rcpt) ++txs[w.transaction].rcpts;
    for (const auto& [r, k] : attributed) {
        const wire_command& w = commands[k];
        chunked_transaction& t = txs[w.transaction];
        const bool positive = r->code / 100 == 2;
        if (w.command == verb::rcpt && positive && t.accepted_at == none) t.accepted_at = r->at;
        if (w.command == verb::rcpt && !positive) ++t.refused;
        const bool ends = ((w.command == verb::mail || w.command == verb::bdat) && !positive) ||
                          (w.command == verb::rcpt && !positive && t.refused == t.rcpts);
        if (ends && t.stop_at == none) t.stop_at = r->at;
    }
    for (const wire_command& w : commands) {
        if (w.command != verb::bdat) continue;
        chunked_transaction& t = txs[w.transaction];
        const std::string_view line = std::string_view(log.output).substr(w.at < log.output.size() ? w.at : 0, 40);
        check(!t.last, "a BDAT chunk after the one marked LAST", line);
        check(t.stop_at == none || w.at < t.stop_at,
              "a BDAT chunk started after a refused chunk, a refused MAIL or every RCPT refused", line);
        check(t.chunks == 0 || (t.accepted_at != none && t.accepted_at <= w.at),
              "a BDAT chunk after the first before any recipient was accepted", line);
        if (!log.offered.pipelining && w.at < log.output.size())
            check(replies_before(written_at, w.at) >= w.reply,
                  "without PIPELINING, a BDAT chunk before every earlier reply", line);
        t.content += w.chunk;
        ++t.chunks;
        t.last = w.end_of_content;
    }
    for (const smtpwire_fuzz::content_span& span : log.spans) {
        if (!span.chunked) continue;
        chunked_transaction& t = txs[span.transaction];
        check(!t.span, "two content spans for one transaction");
        t.span = true;
        check(t.content.size() <= span.body.size() && span.body.compare(0, t.content.size(), t.content) == 0,
              "the BDAT chunks' octets are not a beginning of the body", t.content);
        if (t.last) {
            check(t.content == span.body, "the BDAT chunks' octets are not the body", t.content);
            check(!span.open, "a LAST chunk after send_body() was refused");
        } else {
            check(log.failed || span.open || t.stop_at != none,
                  "content without a LAST chunk, although nothing refused or failed");
        }
    }
    for (const auto& [id, t] : txs)
        check(t.chunks == 0 || t.span, "BDAT in a transaction whose content the application did not start");
}

// Replays the conversation in the order bytes were written and replies received.
// Returns the output offsets of the lines that are SASL responses: those written after
// AUTH or a response was answered 334 ("QUIT", which no credential of the table encodes
// to, is the QUIT of a session that cancelled and failed).
std::vector<std::size_t> check_wire(const plan& p, const run_log& log) {
    constexpr std::size_t none = static_cast<std::size_t>(-1);
    // For each output offset, the replies received before the step that wrote it.
    std::vector<std::pair<std::size_t, std::size_t>> written_at;  // (offset, replies before)
    reply_counter replies;
    std::size_t offset = 0;
    std::size_t handover_at = none;  // the output offset of the TLS handover
    std::size_t tls_at = none;       // output from here on went inside TLS
    std::size_t replies_at_handover = 0;
    for (const wire_step& step : log.wire) {
        switch (step.what) {
        case wire_step::kind::written:
            written_at.push_back({offset, replies.count()});
            offset += step.bytes.size();
            break;
        case wire_step::kind::received:
            replies.receive(step.bytes);
            break;
        case wire_step::kind::tls_established:
        case wire_step::kind::tls_failed:
            check(handover_at == none, "a second TLS handover");
            handover_at = offset;
            check(replies.drop_unread(step.discarded),
                  "the octets dropped at the handover are not exactly those behind the last reply read");
            replies_at_handover = replies.count();
            check(replies.code(replies_at_handover - 1) / 100 == 2, "a TLS handover after a reply other than 2xx");
            if (step.what == wire_step::kind::tls_established) tls_at = offset;
            break;
        }
    }
    check(offset == log.output.size(), "the wire log does not match the output");
    if (handover_at != none && tls_at == none)
        check(handover_at == log.output.size() && log.unsent.empty(), "output written after a failed TLS handshake",
              std::string_view(log.output).substr(handover_at));

    // Replies may have been read before their commands left (the server's bytes were
    // all there): attribution looks at everything composed, the timing at what was sent.
    const std::string composed = log.output + log.unsent;
    const std::string_view out = composed;
    const client_auth& auth = p.config.auth;
    std::vector<wire_command> commands;
    std::vector<std::size_t> responses;
    std::size_t pos = 0;
    std::size_t gate = none;  // the last group-ending line
    std::size_t next_reply = 1;  // the number of the first reply to the next line
    std::size_t data_at = none;
    transaction_id tx = 0;
    std::size_t rcpts = 0;
    std::size_t chunks = 0;  // BDAT lines of the transaction
    // The content goes in BDAT chunks (RFC 3030): allowed and offered, LMTP or not.
    const bool chunking = p.config.bdat != bdat_policy::never && log.offered.chunking;
    bool starttls_written = false;
    bool auth_accepted = false;  // an AUTH exchange was answered 2xx
    bool auth_refused = false;   // an AUTH exchange was answered other than 2xx or 334
    std::string_view auth_mechanism;  // of the last AUTH command
    bool auth_initial_response = false;
    std::string decoded;
    // RFC 2033 §4.2: LMTP answers the end of a transaction's content (the final dot, or
    // the LAST chunk) once for each recipient whose RCPT got a 2xx (also after a refused
    // MAIL: the server counts its own replies), and once when none did but the content
    // was taken all the same.
    auto lmtp_content_replies = [&](transaction_id t) {
        std::size_t n = 0;
        for (const wire_command& c : commands)
            if (c.command == verb::rcpt && c.transaction == t && replies.code(c.reply) / 100 == 2) ++n;
        return n == 0 ? std::size_t{1} : n;
    };
    while (pos < out.size()) {
        const std::size_t crlf = out.find("\r\n", pos);
        const std::string_view line = out.substr(pos, crlf == std::string_view::npos ? out.npos : crlf - pos);
        if (gate != none && pos < log.output.size() &&
            replies_before(written_at, pos) < commands[gate].reply + commands[gate].replies) {
            // Only the QUIT of a failed session, as its last line, and never while the
            // server may be reading content.
            const bool last_line = crlf != std::string_view::npos && crlf + 2 == log.output.size();
            check(log.failed && line == "QUIT" && last_line && commands[gate].command != verb::data,
                  "a byte written after a group-ending command before its reply", out.substr(pos));
        }
        if (!commands.empty() && commands.size() - 1 == data_at && replies.code(commands[data_at].reply) == 354) {
            // After the 354: content, up to and including the final dot.
            data_decoder decoder;
            std::size_t used = 0;
            for (;;) {
                const data_piece piece = decoder.next(out.substr(pos + used));
                used += piece.consumed;
                if (piece.what != data_piece::kind::content) break;
            }
            pos += used;
            if (!decoder.finished()) return responses;  // cut short by a failure or by the application
            wire_command end{verb::data, true, false, tx, 0, next_reply, 1, pos, {}};
            if (p.config.lmtp) end.replies = lmtp_content_replies(tx);
            next_reply += end.replies;
            commands.push_back(end);
            continue;
        }
        if (crlf == std::string_view::npos) break;
        const bool in_tls = p.config.implicit_tls || (tls_at != none && pos >= tls_at);
        const bool secrets_allowed = in_tls || auth.allow_in_clear;
        if (pos == tls_at)
            check(line.substr(0, 5) == (p.config.lmtp ? "LHLO " : "EHLO "),
                  "after the TLS handshake, a line before EHLO (LHLO)", line);

        // How the AUTH exchange stands: the reply to the line before this one.
        const bool after_auth = !commands.empty() && (commands.back().command == verb::auth || commands.back().sasl_response);
        const std::uint16_t previous_reply = replies.code(next_reply - 1);
        if (after_auth && previous_reply != 0 && previous_reply != 334) {
            if (previous_reply / 100 == 2) auth_accepted = true;
            else auth_refused = true;
        }
        wire_command w;
        if (after_auth && previous_reply == 334 && line != "QUIT") {
            w.sasl_response = true;
            responses.push_back(pos);
            if (line != "*" && decode_base64(line, decoded)) {
                check(secrets_allowed || !reveals_secret(decoded, auth), "a password or token sent before TLS", line);
                // The first message of a mechanism that begins with the client's message
                // goes with AUTH whenever the line stays within 512 octets (RFC 4954 §4).
                if (commands.back().command == verb::auth && !auth_initial_response &&
                    client_speaks_first(auth_mechanism))
                    check(sizeof "AUTH " - 1 + auth_mechanism.size() + 1 + line.size() + 2 > 512,
                          "a first message that fits the AUTH line sent after a 334 instead", line);
            }
        } else {
            check(secrets_allowed || !reveals_secret(line, auth), "a password or token in clear before TLS", line);
            command cmd;
            (void)parse_command(line, cmd);
            w.command = cmd.verb;
            if (cmd.verb == verb::mail) {
                ++tx;
                rcpts = 0;
                chunks = 0;
                check(auth.user.empty() || (auth_accepted && !auth_refused),
                      "MAIL without a successful AUTH, or after AUTH was refused", line);
            }
            if (cmd.verb == verb::mail || cmd.verb == verb::rcpt || cmd.verb == verb::data || cmd.verb == verb::bdat)
                w.transaction = tx;
            if (cmd.verb == verb::rcpt) w.index = rcpts++;
            if (cmd.verb == verb::data || cmd.verb == verb::bdat)
                check((cmd.verb == verb::bdat) == chunking,
                      "DATA although the content was to go in BDAT chunks, or BDAT although not", line);
            if (cmd.verb == verb::bdat) {
                // RFC 3030 §2: exactly chunk-size octets follow the line.
                std::uint64_t size = 0;
                bool last = false;
                check(parse_bdat(cmd.argument, size, last), "a BDAT line other than BDAT <size>[ LAST]", line);
                check(size <= out.size() - (crlf + 2), "a BDAT chunk with fewer octets than its size", line);
                w.index = chunks++;
                w.end_of_content = last;
                w.chunk = out.substr(crlf + 2, static_cast<std::size_t>(size));
                if (last && p.config.lmtp) {
                    w.replies = lmtp_content_replies(tx);
                    // Its replies are one per accepted recipient: it waits for every
                    // RCPT's reply.
                    std::size_t rcpt_replies = 0;
                    for (const wire_command& c : commands)
                        if (c.command == verb::rcpt && c.transaction == tx) rcpt_replies = c.reply + 1;
                    if (pos < log.output.size())
                        check(replies_before(written_at, pos) >= rcpt_replies,
                              "an LMTP LAST chunk written before every RCPT reply", line);
                }
            }
            if (p.config.starttls == tls_policy::required && !in_tls)
                check(cmd.verb == verb::ehlo || cmd.verb == verb::helo || cmd.verb == verb::lhlo ||
                          cmd.verb == verb::starttls || cmd.verb == verb::quit || cmd.verb == verb::auth,
                      "a command other than EHLO, HELO, LHLO, STARTTLS, QUIT or AUTH before TLS although it is required",
                      line);
            if (cmd.verb == verb::starttls) {
                check(p.starttls_possible() && !in_tls && !starttls_written, "STARTTLS unasked, inside TLS or twice",
                      line);
                starttls_written = true;
                if (handover_at != none)
                    check(crlf + 2 == handover_at && replies_at_handover == next_reply + 1,
                          "the TLS handover is not right behind the last line, STARTTLS, and its reply", line);
            }
            if (cmd.verb == verb::auth) {
                const auth_argument a = split_auth(cmd.argument);
                auth_mechanism = a.mechanism;
                auth_initial_response = a.has_initial_response;
                check(secrets_allowed || !sends_secret(a.mechanism),
                      "AUTH with a mechanism that sends the secret, before TLS", line);
                if (a.has_initial_response && decode_base64(a.initial_response, decoded))
                    check(secrets_allowed || !reveals_secret(decoded, auth), "a password or token sent before TLS",
                          line);
            }
        }
        if (ends_group(w)) gate = commands.size();
        if (w.command == verb::data) data_at = commands.size();
        w.reply = next_reply;
        next_reply += w.replies;
        w.at = pos;
        commands.push_back(w);
        pos = crlf + 2 + w.chunk.size();
    }
    check(handover_at == none || starttls_written, "a TLS handover without STARTTLS");

    // Each command_reply answers the next line on the wire whose reply is reported, with
    // that line's transaction; the replies to LMTP content follow each other, numbered.
    std::size_t next = 0;
    std::size_t used = 0;  // replies to commands[next] reported so far
    transaction_id last_tx = 0;
    std::vector<std::pair<const reported_reply*, std::size_t>> attributed;  // reply, command
    for (const reported_reply& r : log.replies) {
        if (r.done) {
            check(r.transaction != 0 && r.transaction == last_tx,
                  "transaction_done for another transaction than its last reply's");
            continue;
        }
        while (next < commands.size() && (!reported(commands[next]) || used == commands[next].replies)) {
            ++next;
            used = 0;
        }
        check(next < commands.size(), "a reply reported for a command never written");
        const wire_command& w = commands[next];
        check(r.command == w.command && r.after_content == w.end_of_content,
              "a reply attributed to another command");
        check(r.transaction == w.transaction, "a reply attributed to another transaction");
        if (w.command == verb::rcpt) check(r.index == w.index, "an RCPT reply with another index");
        // The replies to LMTP content are numbered by recipient; a BDAT reply by chunk.
        const bool per_recipient = w.end_of_content && (w.command == verb::data || p.config.lmtp);
        if (w.command == verb::bdat && !per_recipient) check(r.index == w.index, "a BDAT reply with another index");
        if (per_recipient) check(r.index == used, "a reply to the content attributed to another recipient");
        attributed.push_back({&r, next});
        ++used;
        if (r.transaction != 0) last_tx = r.transaction;
    }
    check_chunks(log, commands, attributed, written_at);
    return responses;
}

void check_same_run(const run_log& a, const run_log& b, const char* what) {
    smtpwire_fuzz::check_same_log(a.events, b.events, what);
    check(a.output + a.unsent == b.output + b.unsent, what, "(output differs)");
}

run_log run_checked(const plan& p, server_pieces pieces, std::size_t write_chunk) {
    run_log log = runner(p, std::move(pieces), write_chunk).run();
    const std::vector<std::size_t> responses = check_wire(p, log);
    check_output(p, log, responses);
    return log;
}

std::vector<std::string_view> whole(std::string_view s) {
    std::vector<std::string_view> pieces;
    if (!s.empty()) pieces.push_back(s);
    return pieces;
}

std::vector<std::string_view> cut_once(std::string_view s, std::uint8_t split) {
    const std::size_t cut = smtpwire_fuzz::scaled_offset(split, s.size());
    std::vector<std::string_view> pieces;
    if (cut > 0) pieces.push_back(s.substr(0, cut));
    if (cut < s.size()) pieces.push_back(s.substr(cut));
    return pieces;
}

std::vector<std::string_view> byte_by_byte(std::string_view s) {
    std::vector<std::string_view> pieces;
    for (std::size_t i = 0; i < s.size(); ++i) pieces.push_back(s.substr(i, 1));
    return pieces;
}

// True when a 334 line of `stream` carries a SCRAM server-first message asking for more
// than 16384 PBKDF2 iterations, which every run would compute.
bool asks_for_many_iterations(std::string_view stream) {
    constexpr std::uint64_t most = 16384;
    std::string message;
    for (std::string_view line : smtpwire_fuzz::lines_of(stream)) {
        if (line.substr(0, 4) != "334 " || !decode_base64(line.substr(line.rfind(' ') + 1), message)) continue;
        for (std::size_t at = message.find("i="); at != std::string::npos; at = message.find("i=", at + 1)) {
            if (at != 0 && message[at - 1] != ',') continue;
            std::uint64_t n = 0;
            for (std::size_t i = at + 2; i < message.size() && message[i] >= '0' && message[i] <= '9' && n <= most; ++i)
                n = n * 10 + static_cast<std::uint64_t>(message[i] - '0');
            if (n > most) return true;
        }
    }
    return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    smtpwire_fuzz::input_reader in(smtpwire_fuzz::as_text(data, size));
    const plan p = read_plan(in);
    if (asks_for_many_iterations(p.server_bytes)) return 0;
    std::string_view clear = p.server_bytes;
    std::string_view inside_tls;
    if (p.starttls_possible()) {
        const std::size_t nul = clear.find('\0');
        if (nul != std::string_view::npos) inside_tls = clear.substr(nul + 1);
        clear = clear.substr(0, nul);
    }

    const run_log at_once = run_checked(p, {whole(clear), whole(inside_tls)}, 0);
    if (smtpwire_fuzz::verbose()) {
        smtpwire_fuzz::print_log("events", at_once.events);
        smtpwire_fuzz::print_log("output", {at_once.output});
    }
    check_same_run(at_once, run_checked(p, {cut_once(clear, p.split), cut_once(inside_tls, p.split)}, p.write_chunk),
                   "one split of the server's bytes changes the client");
    check_same_run(at_once, run_checked(p, {byte_by_byte(clear), byte_by_byte(inside_tls)}, 0),
                   "byte-at-a-time server bytes change the client");
    return 0;
}
