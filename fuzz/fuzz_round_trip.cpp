// Fuzz target (structure-aware): client_session and server_session talking through
// memory. The input decodes into configurations, envelopes (local parts drawn from the
// input, so with every character that needs quoting), bodies, the server's verdicts and
// how the bytes are chunked in each direction. The server must store exactly what the
// client was given (with DATA the body as CRLF lines, with BDAT its octets as they
// are), and the client must report exactly what the server decided. At each TLS
// handover nothing is in flight towards the side that hands over, and nothing was
// discarded: no byte sent before the handover is ever read after it. DSN options (RET,
// ENVID, NOTIFY, ORCPT) are always given; with DSN offered the server's mail_from and
// rcpt_to events carry exactly those values (ENVID and ORCPT decoded from xtext),
// without it none. With LMTP on both sides the content is answered once per accepted
// recipient, and the client reports each of those replies, in RCPT order, and the
// outcome the first failing one decides.
//
// Input, read in order (exhausted input reads as zeros):
//   byte: bit 0 server offers PIPELINING, bit 1 8BITMIME, bit 2 SMTPUTF8, bit 3
//         ENHANCEDSTATUSCODES; bit 4 client pipelines; bit 5 the server decides only when
//         paused; bits 6-7 client output buffer 1024/1500/4096/16384.
//   byte: bits 0-1 messages - 1 (1-3, 3 read as 3); bits 2-6 body piece size - 1; bit 7
//         LMTP (client_config::lmtp and server_config::lmtp).
//   8 bytes: the chunking seed; its top byte also says, bit 0, that the client requires
//         STARTTLS (the server offers it), bit 1, that it authenticates (the server
//         offers every mechanism and requires AUTH), with a SCRAM nonce (bit 2) and a
//         bearer token (bit 3) besides the password: the strongest mechanism those
//         allow is used (SCRAM-SHA-256, OAUTHBEARER, or CRAM-MD5); bit 4 the server
//         offers CHUNKING (the client, bdat_policy::automatic, sends BDAT), bit 5 and
//         BINARYMIME (every message BODY=BINARYMIME, its 8-bit octets kept), bit 6 DSN,
//         bit 7 client_config::chunk_size is 1 + the seed's second byte (else 0).
//   per message: byte sender kind (0: <>, else a mailbox); the sender's mailbox;
//         byte recipients - 1 (low 2 bits), the message verdict (bit 2: 554 after the
//         final dot or BDAT LAST), RET (bits 3-4: none, FULL, HDRS, none), ENVID (bit 5:
//         the sender's mailbox made printable: SP as '+', other octets as '='), bit 6
//         end_body() right after the last piece; per recipient a verdict byte (bits
//         0-2: 0-3 accept, 4 reject 550, 5 defer 450, 6 reject 553, 7 accept with 251;
//         with LMTP, after the content, 1 is answered 452, 2 552 and the others 250; the
//         message verdict refuses all but the last accepted recipient with 554, and the
//         server answers the others one by one, the last first;
//         bits 3-6 NOTIFY: NEVER (alone only), SUCCESS, FAILURE, DELAY; bit 7 ORCPT
//         "rfc822;" and the address, non-printable octets as '~') and a mailbox; then
//         the body: a 16-bit length (at most 2048) and that many octets.
//   mailbox: byte local-part length (1-24), that many octets (mapped onto printable
//         ASCII, or with SMTPUTF8 onto "é" for octets >= 0xF0), byte domain choice.
#include "smtpwire/client_session.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "smtpwire/dsn.hpp"
#include "smtpwire/mailbox.hpp"
#include "smtpwire/server_session.hpp"
#include "smtpwire/xtext.hpp"

#include "fuzz_support.hpp"
#include "sending_app.hpp"

using namespace smtpwire;
using smtpwire_fuzz::check;

namespace {

enum class verdict { accept, accept_251, reject, defer, reject_553 };

// With LMTP, the reply a recipient accepted at RCPT gets after the content.
enum class delivery { delivered, deferred, refused };

struct planned {
    smtpwire_fuzz::outgoing message;
    std::vector<verdict> verdicts;
    std::vector<delivery> deliveries;  // per recipient, used with LMTP only
    bool reject_message = false;
};

struct scenario {
    bool server_pipelining = false;
    bool eight_bit_mime = false;
    bool smtputf8 = false;
    bool enhanced = false;
    bool client_pipelining = false;
    bool defer = false;
    std::size_t output_buffer = 1024;
    std::size_t body_chunk = 1;
    std::uint64_t seed = 0;
    bool tls = false;
    bool auth = false;
    bool scram = false;
    bool token = false;
    bool chunking = false;     // the server offers CHUNKING: the client sends BDAT
    bool binary_mime = false;  // and BINARYMIME: the client sends BODY=BINARYMIME
    bool dsn = false;          // the server offers DSN
    std::size_t chunk_size = 0;  // client_config::chunk_size
    bool lmtp = false;
    std::vector<planned> messages;
};

const char* const domains[] = {"example.com", "sub.example.org", "[192.0.2.1]", "[IPv6:2001:db8::1]",
                               "xn--bcher-kva.example", "a-b.c0.example", "[IPv6:::ffff:192.0.2.1]",
                               "localhost"};
constexpr std::size_t domain_count = sizeof domains / sizeof domains[0];

// A mailbox whose local part needs quoting as often as not; its encoded form always
// fits RFC 5321's 64 octets, so the client must be able to send it.
std::string read_mailbox(smtpwire_fuzz::input_reader& in, bool utf8) {
    const std::size_t length = 1 + in.byte() % 24;
    std::vector<std::string> chars;
    for (std::size_t i = 0; i < length; ++i) {
        const std::uint8_t b = in.byte();
        if (utf8 && b >= 0xF0) chars.emplace_back("\xc3\xa9");
        else chars.emplace_back(1, static_cast<char>(32 + b % 95));
    }
    std::string local;
    for (;;) {
        local.clear();
        for (const auto& c : chars) local += c;
        const std::size_t need = encode_local_part(local, nullptr, 0, utf8);
        if (need > 0 && need <= max_local_part_length) break;
        chars.pop_back();
    }
    return local + "@" + domains[in.byte() % domain_count];
}

// `s` with every octet outside %d32-126 replaced by '~': an ORCPT address the client
// takes (RFC 3461 §4.2 allows printable US-ASCII and SP).
std::string printable(std::string s) {
    for (char& c : s)
        if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) > 126) c = '~';
    return s;
}

// An ENVID made of a mailbox (RFC 3461 §4.4: printable US-ASCII without SP): SP becomes
// '+', other octets outside %d33-126 '=', both of which xtext must encode; cut so that
// its xtext stays within 100 octets.
std::string envid_of(std::string_view mailbox) {
    std::string id;
    std::size_t encoded = 0;
    for (char c : mailbox) {
        const auto u = static_cast<unsigned char>(c);
        if (u == 32) c = '+';
        else if (u < 33 || u > 126) c = '=';
        encoded += c == '+' || c == '=' ? 3 : 1;
        if (encoded > 100) break;
        id += c;
    }
    return id;
}

scenario read_scenario(smtpwire_fuzz::input_reader& in) {
    scenario s;
    const std::uint8_t b0 = in.byte();
    s.server_pipelining = (b0 & 1) != 0;
    s.eight_bit_mime = (b0 & 2) != 0;
    s.smtputf8 = (b0 & 4) != 0;
    // RFC 6531 §3.1: a server offering SMTPUTF8 offers 8BITMIME (check_config() refuses
    // the configuration otherwise).
    if (s.smtputf8) s.eight_bit_mime = true;
    s.enhanced = (b0 & 8) != 0;
    s.client_pipelining = (b0 & 16) != 0;
    s.defer = (b0 & 32) != 0;
    static const std::size_t buffers[] = {1024, 1500, 4096, 16384};
    s.output_buffer = buffers[b0 >> 6];
    const std::uint8_t b1 = in.byte();
    const std::size_t messages = 1 + (b1 & 3) % 3;
    s.body_chunk = 1 + ((b1 >> 2) & 31);
    s.lmtp = (b1 & 128) != 0;
    for (int i = 0; i < 8; ++i) s.seed = s.seed << 8 | in.byte();
    s.tls = ((s.seed >> 56) & 1) != 0;
    s.auth = ((s.seed >> 57) & 1) != 0;
    s.scram = ((s.seed >> 58) & 1) != 0;
    s.token = ((s.seed >> 59) & 1) != 0;
    s.chunking = ((s.seed >> 60) & 1) != 0;
    s.binary_mime = s.chunking && ((s.seed >> 61) & 1) != 0;
    s.dsn = ((s.seed >> 62) & 1) != 0;
    if ((s.seed >> 63) & 1) s.chunk_size = 1 + ((s.seed >> 48) & 0xFF);
    for (std::size_t m = 0; m < messages; ++m) {
        planned p;
        const bool null_sender = in.byte() == 0;
        p.message.from = read_mailbox(in, s.smtputf8);
        const std::uint8_t r = in.byte();
        static const dsn_return returns[] = {dsn_return::unspecified, dsn_return::full, dsn_return::headers,
                                             dsn_return::unspecified};
        p.message.options.ret = returns[(r >> 3) & 3];
        if (r & 32) p.message.envid = envid_of(p.message.from);
        p.message.end_with_last_piece = (r & 64) != 0;
        if (null_sender) p.message.from.clear();
        p.reject_message = (r & 4) != 0;
        for (std::size_t k = 0; k <= (r & 3u); ++k) {
            const std::uint8_t b = in.byte();
            const std::uint8_t v = b & 7;
            p.verdicts.push_back(v < 4    ? verdict::accept
                                 : v == 4 ? verdict::reject
                                 : v == 5 ? verdict::defer
                                 : v == 6 ? verdict::reject_553
                                          : verdict::accept_251);
            p.deliveries.push_back(v == 1 ? delivery::deferred : v == 2 ? delivery::refused : delivery::delivered);
            p.message.to.push_back(read_mailbox(in, s.smtputf8));
            dsn_notify n;
            n.success = (b & 16) != 0;
            n.failure = (b & 32) != 0;
            n.delay = (b & 64) != 0;
            n.never = (b & 8) != 0 && !n.given();  // NEVER alone: with another it cannot be sent
            p.message.notify.push_back(n);
            p.message.orcpt.push_back(b & 128 ? "rfc822;" + printable(p.message.to.back()) : std::string());
        }
        const std::size_t length = in.u16() % 2049;
        p.message.body = std::string(in.bytes(length));
        bool eight_bit = false;
        for (char& c : p.message.body) {
            if (!s.eight_bit_mime && !s.binary_mime) c = static_cast<char>(c & 0x7F);
            eight_bit = eight_bit || static_cast<unsigned char>(c) >= 0x80;
        }
        if (s.binary_mime) p.message.options.body = body_type::binary_mime;
        else if (eight_bit) p.message.options.body = body_type::eight_bit_mime;
        p.message.options.smtputf8 = s.smtputf8;
        p.message.options.size = p.message.body.size();
        s.messages.push_back(std::move(p));
    }
    return s;
}

// A small deterministic generator for the chunk sizes.
class chunker {
public:
    explicit chunker(std::uint64_t seed) : state_(seed ^ 0x9E3779B97F4A7C15u) {}
    std::size_t next(std::size_t available) {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 7;
        state_ ^= state_ << 17;
        const std::uint64_t r = state_;
        // Mostly small pieces, sometimes everything.
        if (r % 4 == 0) return available;
        return 1 + static_cast<std::size_t>(r >> 8) % (available < 64 ? available : 64);
    }

private:
    std::uint64_t state_;
};

// What the server stored for one transaction that reached message_end.
struct received {
    std::string reverse_path;
    std::vector<std::string> recipients;
    std::string content;
    bool rejected = false;
};

std::string decoded(const path& p) {
    if (p.kind == path_kind::null_path) return "";
    if (p.kind == path_kind::postmaster) return std::string(p.address.local_part);
    std::string local(p.address.local_part.size(), '\0');
    local.resize(decode_local_part(p.address.local_part, local.data()));
    return local + "@" + std::string(p.address.domain);
}

reply verdict_reply(verdict v) {
    switch (v) {
    case verdict::reject: return {550, {5, 1, 1}, "no such user"};
    case verdict::defer: return {450, {4, 2, 1}, "mailbox busy"};
    case verdict::reject_553: return {553, {5, 1, 3}, "bad mailbox"};
    case verdict::accept_251: return {251, {2, 1, 5}, "will forward"};
    case verdict::accept: break;
    }
    return {250, {2, 1, 5}, "OK"};
}

bool accepted(verdict v) { return v == verdict::accept || v == verdict::accept_251; }

const reply content_refused{554, {5, 7, 1}, "content refused"};

reply delivery_reply(delivery d) {
    switch (d) {
    case delivery::deferred: return {452, {4, 2, 2}, "mailbox full"};
    case delivery::refused: return {552, {5, 2, 2}, "over quota"};
    case delivery::delivered: break;
    }
    return {250, {2, 0, 0}, "OK"};
}

// With LMTP and `accepted` recipients accepted at RCPT: how many of them, from the
// first, the message verdict refuses together with 554 (all but the last; the only one).
std::size_t refused_together(const planned& p, std::size_t accepted) {
    if (!p.reject_message) return 0;
    return accepted > 1 ? accepted - 1 : accepted;
}

// With LMTP, the replies to the content of `p`, one per recipient accepted at RCPT, in
// RCPT order.
std::vector<reply> lmtp_content_replies(const planned& p) {
    std::vector<reply> replies;
    for (std::size_t k = 0; k < p.verdicts.size(); ++k)
        if (accepted(p.verdicts[k])) replies.push_back(delivery_reply(p.deliveries[k]));
    for (std::size_t k = 0; k < refused_together(p, replies.size()); ++k) replies[k] = content_refused;
    return replies;
}

class server_side {
public:
    server_side(const scenario& s, server_session& server) : s_(s), server_(server) {}

    std::vector<received> stored;
    std::vector<std::string> errors;  // protocol errors other than the allowed one

    // Handles one event that is not flow control.
    void on_event(const server_event& ev) {
        if (s_.defer && is_decision(ev)) {
            check(!pending_, "a second decision while one is pending");
            remember(ev);
            pending_ = true;
            return;
        }
        remember(ev);
        decide();
    }

    // The session paused: answer the decision remembered.
    void on_paused() {
        check(pending_, "paused without a decision");
        pending_ = false;
        decide();
    }

private:
    enum class kind { other, mail, rcpt, message, auth };

    // Records what the event says (views are valid only now) and what to answer.
    void remember(const server_event& ev) {
        kind_ = kind::other;
        if (const auto* m = std::get_if<mail_from>(&ev)) {
            kind_ = kind::mail;
            current_ = received{};
            current_.reverse_path = decoded(m->reverse_path);
            rcpt_seen_ = 0;
            check_mail_dsn(m->parameters);
        } else if (const auto* r = std::get_if<rcpt_to>(&ev)) {
            kind_ = kind::rcpt;
            rcpt_address_ = decoded(r->forward_path);
            check_rcpt_dsn(r->parameters);
        } else if (const auto* b = std::get_if<body_chunk>(&ev)) {
            current_.content += b->bytes;
        } else if (const auto* e = std::get_if<message_end>(&ev)) {
            kind_ = kind::message;
            message_decision_ = e->decision;
            message_recipients_ = e->recipients;
        } else if (const auto* a = std::get_if<auth_request>(&ev)) {
            kind_ = kind::auth;
            auth_scram_ = a->mechanism == sasl::mechanism::scram_sha_256;
            // OAUTHBEARER carries no user but the authorization identity, which the
            // client fills with its user; the other mechanisms name the user alone.
            const bool bearer = a->mechanism == sasl::mechanism::oauthbearer;
            auth_ok_ = a->user == auth_user && (bearer ? a->authorization_id == auth_user
                                                       : a->authorization_id.empty());
            if (a->mechanism == sasl::mechanism::cram_md5)
                auth_ok_ = auth_ok_ && sasl::cram_md5_verify(auth_password, a->challenge, a->secret);
            else if (a->mechanism == sasl::mechanism::xoauth2 || a->mechanism == sasl::mechanism::oauthbearer)
                auth_ok_ = auth_ok_ && a->secret == "dG9rZW4=";
            else if (!auth_scram_)
                auth_ok_ = auth_ok_ && a->secret == auth_password;
            auth_id_ = a->decision;
        } else if (const auto* p = std::get_if<protocol_error>(&ev)) {
            // DATA pipelined after every recipient was refused is answered 554 (RFC 2920).
            if (p->what != server_error::no_valid_recipients)
                errors.push_back("protocol_error " + std::string(to_string(p->what)));
        } else if (std::holds_alternative<transaction_reset>(ev)) {
            if (rcpt_seen_ > 0) ++message_;
            rcpt_seen_ = 0;
        } else if (std::holds_alternative<message_aborted>(ev)) {
            errors.push_back("message_aborted");
        }
        decision_ = is_decision(ev);
    }

    // DSN's RET and ENVID, as the message asked and only with DSN offered; the ENVID
    // decodes to the application's value.
    void check_mail_dsn(const mail_parameters& params) const {
        check(message_ < s_.messages.size(), "a MAIL for no message");
        const smtpwire_fuzz::outgoing& m = s_.messages[message_].message;
        check(params.ret == (s_.dsn ? m.options.ret : dsn_return::unspecified), "the server got another RET");
        const std::string envid = xtext_decoded(params.envid);
        check(envid == (s_.dsn ? m.envid : std::string()), "the server got another ENVID", envid);
    }

    // NOTIFY and ORCPT likewise, for the recipient's place in the message.
    void check_rcpt_dsn(const rcpt_parameters& params) const {
        check(message_ < s_.messages.size() && rcpt_seen_ < s_.messages[message_].message.to.size(),
              "an RCPT for no recipient");
        const smtpwire_fuzz::outgoing& m = s_.messages[message_].message;
        check(params.notify == (s_.dsn ? m.notify[rcpt_seen_] : dsn_notify{}), "the server got another NOTIFY");
        const std::string& orcpt = s_.dsn ? m.orcpt[rcpt_seen_] : std::string();
        const std::string got =
            params.orcpt.empty() ? std::string() : std::string(params.orcpt_type) + ";" + xtext_decoded(params.orcpt);
        check(got == orcpt, "the server got another ORCPT", got);
    }

    static std::string xtext_decoded(std::string_view x) {
        std::string out(xtext_decoded_max(x.size()), '\0');
        std::size_t n = 0;
        check(xtext_decode(x, out.data(), n), "a DSN value the server took is not xtext", x);
        out.resize(n);
        return out;
    }

    void decide() {
        if (!decision_) return;
        decision_ = false;
        const planned* p = message_ < s_.messages.size() ? &s_.messages[message_] : nullptr;
        errc e = errc::ok;
        switch (kind_) {
        case kind::rcpt: {
            const verdict v = p && rcpt_seen_ < p->verdicts.size() ? p->verdicts[rcpt_seen_] : verdict::accept;
            ++rcpt_seen_;
            if (accepted(v)) current_.recipients.push_back(rcpt_address_);
            const reply r = verdict_reply(v);
            e = v == verdict::accept ? server_.accept() : accepted(v) ? server_.accept(r) : server_.reject(r);
            break;
        }
        case kind::message:
            current_.rejected = p && p->reject_message;
            stored.push_back(current_);
            ++message_;
            rcpt_seen_ = 0;
            if (s_.lmtp) e = answer_recipients(p);
            else e = current_.rejected ? server_.reject(content_refused) : server_.accept();
            break;
        case kind::auth:
            check(auth_ok_, "the server was given other credentials than the client's");
            e = auth_scram_ ? server_.accept(auth_id_, sasl::make_scram_credentials(auth_password, "fuzz salt", 4096))
                            : server_.accept();
            break;
        case kind::mail:
        case kind::other:
            e = server_.accept();
            break;
        }
        check(e == errc::ok, "the server refused a decision", std::string(to_string(e)));
    }

    // LMTP: answers the recipients one by one, the last first (the session writes the
    // replies in RCPT order), and with the message verdict refuses the rest with one
    // reject(); the replies are lmtp_content_replies()'s.
    errc answer_recipients(const planned* p) {
        check(p != nullptr, "a message_end for no message");
        const std::vector<reply> replies = lmtp_content_replies(*p);
        check(replies.size() == message_recipients_, "message_end counts other recipients than were accepted");
        check(!replies.empty(), "a message_end with no recipient accepted");
        const std::size_t together = refused_together(*p, replies.size());
        for (std::size_t k = replies.size(); k-- > together;) {
            const reply& r = replies[k];
            const errc e = r.code == 250 ? server_.accept_recipient(message_decision_, k)
                                         : server_.reject_recipient(message_decision_, k, r);
            if (e != errc::ok) return e;
        }
        return together > 0 ? server_.reject(content_refused) : errc::ok;
    }

    const scenario& s_;
    server_session& server_;
    received current_;
    decision_id message_decision_{};
    std::size_t message_recipients_ = 0;
    std::string rcpt_address_;
    std::size_t message_ = 0;
    std::size_t rcpt_seen_ = 0;
    kind kind_ = kind::other;
    bool decision_ = false;
    bool pending_ = false;
    bool auth_scram_ = false;
    bool auth_ok_ = false;
    decision_id auth_id_{};

public:
    static constexpr std::string_view auth_user = "fuzz@client.example";
    static constexpr std::string_view auth_password = "p\xc3\xa4ss:word";
};

struct outcome_log {
    std::vector<received> stored;
    std::vector<std::string> client_events;
    std::vector<std::string> server_errors;
    std::vector<std::string> app_errors;
    bool tls = false;            // the server ended inside TLS
    bool authenticated = false;  // the server ended authenticated
};

outcome_log exchange(const scenario& s) {
    server_config sc;
    sc.hostname = "mx.example";
    sc.extensions = extension_set{extension::size};
    if (s.server_pipelining) sc.extensions.add(extension::pipelining);
    if (s.eight_bit_mime) sc.extensions.add(extension::eight_bit_mime);
    if (s.smtputf8) sc.extensions.add(extension::smtputf8);
    if (s.enhanced) sc.extensions.add(extension::enhanced_status_codes);
    sc.early_input = pipelining_policy::reject;
    sc.lmtp = s.lmtp;
    if (s.tls) sc.extensions.add(extension::starttls);
    if (s.chunking) sc.extensions.add(extension::chunking);
    if (s.binary_mime) sc.extensions.add(extension::binary_mime);
    if (s.dsn) sc.extensions.add(extension::dsn);
    if (s.auth) {
        sc.extensions.add(extension::auth);
        sc.auth.mechanisms = server_mechanisms;
        sc.auth.required = true;
        sc.auth.allow_in_clear = true;
    }
    server_session server(sc);
    if (s.auth) check(server.seed_nonces("sixteen octets of entropy") == errc::ok, "seed_nonces() refused");
    server_side policy(s, server);

    client_config cc;
    cc.helo_name = "client.example";
    cc.pipelining = s.client_pipelining;
    cc.output_buffer = s.output_buffer;
    cc.chunk_size = s.chunk_size;  // bdat_policy::automatic: BDAT when CHUNKING is offered
    cc.lmtp = s.lmtp;
    if (s.tls) cc.starttls = tls_policy::required;
    if (s.auth) {
        cc.auth.user = server_side::auth_user;
        cc.auth.password = server_side::auth_password;
        cc.auth.allow_in_clear = true;
        if (s.scram) cc.auth.nonce = "fuzz nonce of 24 octets";
        if (s.token) cc.auth.token = "dG9rZW4=";
    }
    client_session client(cc);
    std::vector<smtpwire_fuzz::outgoing> messages;
    for (const auto& p : s.messages) messages.push_back(p.message);
    smtpwire_fuzz::sending_app app(messages, s.body_chunk, false, true);

    chunker chunks(s.seed);
    std::string c2s, s2c;                // written by one side, not yet read by the other
    std::string server_in, client_in;    // what each side was last fed
    bool server_wants = false, client_wants = false;
    outcome_log log;
    for (std::size_t step = 0;; ++step) {
        check(step < 2'000'000, "the round trip does not finish");
        bool progress = false;
        if (server_wants && !c2s.empty()) {
            const std::size_t n = chunks.next(c2s.size());
            server_in = std::string(server.unconsumed()) + c2s.substr(0, n);
            c2s.erase(0, n);
            check(server.feed(server_in) == errc::ok, "server refused bytes after need_data");
            server_wants = false;
        }
        if (!server_wants && !server.done()) {
            progress = true;
            const server_event ev = server.next_event();
            if (std::holds_alternative<need_data>(ev)) {
                server_wants = true;
            } else if (std::holds_alternative<need_output>(ev)) {
                const std::size_t n = chunks.next(server.output().size());
                s2c.append(server.output().substr(0, n));
                server.consume_output(n);
            } else if (std::holds_alternative<paused>(ev)) {
                policy.on_paused();
            } else if (const auto* h = std::get_if<tls_handover>(&ev)) {
                check(s.tls && h->discarded == 0 && c2s.empty(), "the client wrote after STARTTLS");
                check(server.tls_established() == errc::ok, "the server refused tls_established()");
            } else if (!std::holds_alternative<closed>(ev)) {
                policy.on_event(ev);
            }
        }
        if (client_wants && !s2c.empty()) {
            const std::size_t n = chunks.next(s2c.size());
            client_in = std::string(client.unconsumed()) + s2c.substr(0, n);
            s2c.erase(0, n);
            check(client.feed(client_in) == errc::ok, "client refused bytes after need_data");
            client_wants = false;
        }
        if (!client_wants && !client.done()) {
            progress = true;
            const client_event ev = client.next_event();
            if (std::holds_alternative<need_data>(ev)) {
                client_wants = true;
            } else if (std::holds_alternative<need_output>(ev)) {
                const std::size_t n = chunks.next(client.output().size());
                c2s.append(client.output().substr(0, n));
                client.consume_output(n);
                app.taken += n;
                app.pump(client);
            } else if (const auto* h = std::get_if<tls_handover>(&ev)) {
                check(s.tls && h->discarded == 0 && s2c.empty(), "the server wrote after its 220 to STARTTLS");
                check(client.tls_established() == errc::ok, "the client refused tls_established()");
            } else if (!std::holds_alternative<closed>(ev)) {
                if (const auto* r = std::get_if<command_reply>(&ev))
                    log.client_events.push_back("reply " + std::string(to_string(r->command)) + " " +
                                                std::to_string(r->reply.code) + (r->after_content ? " content" : ""));
                else if (const auto* d = std::get_if<transaction_done>(&ev))
                    log.client_events.push_back("done " + std::string(to_string(d->result)) +
                                                (s.lmtp ? " " + std::to_string(d->delivered) : ""));
                else if (std::holds_alternative<client_failure>(ev))
                    log.client_events.push_back("failure");
                app.on_event(client, ev);
            }
        }
        if (client.done() && server.done()) break;
        check(progress || !c2s.empty() || !s2c.empty(), "both sides wait for each other");
    }
    log.tls = server.tls_active();
    log.authenticated = server.authenticated();
    log.stored = policy.stored;
    log.server_errors = policy.errors;
    log.app_errors = app.errors;
    return log;
}

void check_outcome(const scenario& s, const outcome_log& log) {
    if (smtpwire_fuzz::verbose()) smtpwire_fuzz::print_log("client events", log.client_events);
    for (const auto& e : log.app_errors) smtpwire_fuzz::fail("the client refused a valid call", e);
    for (const auto& e : log.server_errors) smtpwire_fuzz::fail("the server saw an error", e);
    for (const auto& e : log.client_events) check(e != "failure", "the client failed");
    check(log.tls == s.tls, "the session did not end inside TLS exactly when STARTTLS was required");
    check(log.authenticated == s.auth, "the session did not end authenticated exactly when AUTH was used");

    // Every message with an accepted recipient was stored exactly, once, in order.
    std::size_t stored = 0;
    for (const auto& p : s.messages) {
        std::vector<std::string> expected;
        for (std::size_t r = 0; r < p.verdicts.size(); ++r)
            if (accepted(p.verdicts[r])) expected.push_back(smtpwire_fuzz::as_delivered(p.message.to[r], s.smtputf8));
        if (expected.empty()) continue;
        check(stored < log.stored.size(), "a message with an accepted recipient was not stored");
        const received& got = log.stored[stored++];
        check(got.reverse_path == smtpwire_fuzz::as_delivered(p.message.from, s.smtputf8), "reverse path differs",
              got.reverse_path);
        check(got.recipients == expected, "accepted recipients differ");
        // DATA carries the body as CRLF lines; BDAT carries its octets as they are.
        check(got.content == (s.chunking ? p.message.body : smtpwire_fuzz::expected_content(p.message.body)),
              "stored content differs", got.content);
    }
    check(stored == log.stored.size(), "a message was stored that should not have been");

    // The client reported every recipient's reply and each transaction's outcome; with
    // LMTP also each recipient's reply to the content.
    std::size_t message = 0, rcpt = 0, done = 0;
    std::vector<std::string> content_replies;  // of the transaction whose outcome comes next
    for (const std::string& e : log.client_events) {
        if (e.size() > 8 && e.compare(e.size() - 8, 8, " content") == 0) content_replies.push_back(e);
        if (e.rfind("reply RCPT ", 0) == 0) {
            while (message < s.messages.size() && rcpt >= s.messages[message].verdicts.size()) {
                ++message;
                rcpt = 0;
            }
            check(message < s.messages.size(), "more RCPT replies than recipients");
            const std::uint16_t code = verdict_reply(s.messages[message].verdicts[rcpt++]).code;
            check(e == "reply RCPT " + std::to_string(code), "an RCPT reply differs from the verdict", e);
        }
        if (e.rfind("done ", 0) == 0) {
            check(done < s.messages.size(), "more transactions than messages");
            const planned& p = s.messages[done++];
            bool any = false, transient = false;
            for (verdict v : p.verdicts) {
                any = any || accepted(v);
                transient = transient || v == verdict::defer;
            }
            std::string expected = any ? (p.reject_message ? "done permanent" : "done success")
                                       : (transient ? "done transient" : "done permanent");
            if (s.lmtp && any) {
                // Each accepted recipient's own reply, in RCPT order; the first failure decides.
                const std::vector<reply> replies = lmtp_content_replies(p);
                const std::string verb = s.chunking ? "BDAT" : "DATA";
                std::vector<std::string> want;
                std::size_t delivered = 0;
                expected = "done success";
                for (const reply& r : replies) {
                    want.push_back("reply " + verb + " " + std::to_string(r.code) + " content");
                    if (r.code / 100 == 2) ++delivered;
                    else if (expected == "done success") expected = r.code / 100 == 4 ? "done transient" : "done permanent";
                }
                check(content_replies == want, "the replies to the content differ from the server's");
                expected += " " + std::to_string(delivered);
            } else if (s.lmtp) {
                expected += " 0";
            }
            check(e == expected, "a transaction outcome differs from the verdicts", e);
            content_replies.clear();
        }
    }
    check(done == s.messages.size(), "a transaction without an outcome");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    smtpwire_fuzz::input_reader in(smtpwire_fuzz::as_text(data, size));
    const scenario s = read_scenario(in);
    check_outcome(s, exchange(s));
    return 0;
}
