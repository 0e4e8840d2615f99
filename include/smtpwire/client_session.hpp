// The client role of SMTP as a sans-I/O state machine: commands in, bytes and events out.
// RFC 5321 §3, §4 (procedures, replies, timeouts), RFC 2920, 1870, 6152, 6531, 3030, 3207, 8314,
// 4954 (AUTH) with RFC 4616, 2195, 5802 + 7677, 7628 and Google's XOAUTH2.
#ifndef SMTPWIRE_CLIENT_SESSION_HPP
#define SMTPWIRE_CLIENT_SESSION_HPP

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "smtpwire/ascii.hpp"
#include "smtpwire/base64.hpp"
#include "smtpwire/capabilities.hpp"
#include "smtpwire/client_events.hpp"
#include "smtpwire/domain.hpp"
#include "smtpwire/envelope.hpp"
#include "smtpwire/dot_stuffer.hpp"
#include "smtpwire/errc.hpp"
#include "smtpwire/esmtp_param.hpp"
#include "smtpwire/event_ring.hpp"
#include "smtpwire/extension.hpp"
#include "smtpwire/line_scanner.hpp"
#include "smtpwire/mail_parameters.hpp"
#include "smtpwire/mailbox.hpp"
#include "smtpwire/output_buffer.hpp"
#include "smtpwire/reply_parser.hpp"
#include "smtpwire/sasl/bearer.hpp"
#include "smtpwire/sasl/cram_md5.hpp"
#include "smtpwire/sasl/login.hpp"
#include "smtpwire/sasl/mechanism.hpp"
#include "smtpwire/sasl/oauthbearer.hpp"
#include "smtpwire/sasl/plain.hpp"
#include "smtpwire/sasl/scram.hpp"
#include "smtpwire/sasl/xoauth2.hpp"
#include "smtpwire/session_input.hpp"
#include "smtpwire/timeouts.hpp"

namespace smtpwire {
inline namespace v0 {

/// Whether a client session upgrades the connection with STARTTLS (RFC 3207).
enum class tls_policy {
    none,           // never: the application has no TLS to offer
    opportunistic,  // when the server offers STARTTLS; in clear when it does not, or
                    // when STARTTLS is refused
    required,       // always: without TLS no mail is sent; the session QUITs and fails
                    // (tls_unavailable, tls_refused)
};

/// Whether a client session sends the content with BDAT (RFC 3030 CHUNKING) or DATA.
enum class bdat_policy {
    never,      // DATA only; a BODY=BINARYMIME message cannot be sent
    automatic,  // BDAT when the server offers CHUNKING, DATA otherwise
    always,     // BDAT only: without CHUNKING, mail_from() and send_mail() refuse with
                // errc::not_supported
};

/// The SASL mechanisms client_session can run.
inline constexpr sasl::mechanism_set client_mechanisms{
    sasl::mechanism::plain,   sasl::mechanism::login,       sasl::mechanism::cram_md5,
    sasl::mechanism::xoauth2, sasl::mechanism::oauthbearer, sasl::mechanism::scram_sha_256};

/// SMTP AUTH credentials (RFC 4954). With a user, the session authenticates after EHLO
/// (and STARTTLS) and sends no mail unless that succeeds.
///
/// A mechanism can be used when its credentials are given: PLAIN, LOGIN and CRAM-MD5
/// need `password`; SCRAM-SHA-256 `password` and `nonce`; XOAUTH2 and OAUTHBEARER
/// `token`. With an `authorization_id` only PLAIN and OAUTHBEARER can be used, the two
/// that can carry one. Of those the application allows and the server offers, the
/// strongest is chosen (sasl::strongest_first: SCRAM-SHA-256, OAUTHBEARER, XOAUTH2,
/// CRAM-MD5, PLAIN, LOGIN). The session fails with client_error::invalid_config before
/// it sends a byte when a credential cannot be sent by a mechanism that would use it
/// (sasl::plain_arguments_valid() for the user, password and authorization identity of
/// every password mechanism; sasl::xoauth2_arguments_valid();
/// sasl::oauthbearer_arguments_valid(); a SCRAM nonce or user name the exchange cannot
/// carry), or when no allowed mechanism can use the credentials at all.
///
/// Secrets are used as given: apply SASLprep (RFC 4013) beforehand to a password that
/// is not ASCII. SCRAM-SHA-256 derives its keys with PBKDF2 at the iteration count the
/// server names (4096 or more) inside next_event(): milliseconds of CPU per 4096, and
/// the server's count has no upper bound.
struct client_auth {
    std::string_view user;              // the authentication identity; empty: no AUTH
    std::string_view password;          // PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256
    std::string_view authorization_id;  // the identity to act as; empty: the user's own
    /// An OAuth 2.0 bearer token (RFC 6750 §2.1 b64token) for XOAUTH2 and OAUTHBEARER,
    /// which send it with `user`: OAUTHBEARER names `authorization_id`, or else `user`,
    /// in its GS2 header (RFC 7628 §3.1, as its §4.1 example does).
    std::string_view token;
    /// OAUTHBEARER's optional "host" and "port" (RFC 7628 §3.1): the server's name and
    /// port as the client knows them. Empty and 0: left out.
    std::string_view oauth_host;
    std::uint16_t oauth_port = 0;
    /// Randomness for SCRAM-SHA-256's client nonce (RFC 5802 §5.1): 16 to 128 octets from
    /// a CSPRNG, fresh for each session. They are sent in base64 without '=' padding;
    /// octets that are already all printable ASCII other than ',' (the characters RFC
    /// 5802 allows in a nonce) are sent as they are, so a nonce the application has
    /// encoded itself, or a test vector such as RFC 7677's "rOprNGfwEbeRWgbNEkqO", passes
    /// through unchanged. Empty: no SCRAM-SHA-256.
    std::string_view nonce;
    /// The mechanisms it may use (of client_mechanisms).
    sasl::mechanism_set mechanisms = client_mechanisms;
    /// Send a secret in clear text (a password with PLAIN or LOGIN, a token with XOAUTH2
    /// or OAUTHBEARER: sasl::sends_secret_in_clear()) also without TLS. Off, such a
    /// mechanism is never used in clear, and a server offering no other is
    /// client_error::auth_unavailable.
    bool allow_in_clear = false;
};

/// Everything a client session is told at construction. Strings are copied.
struct client_config {
    /// The name sent with EHLO/HELO: a domain or an address literal. Anything else
    /// (CR, LF, NUL, SP, ...) makes the session fail with client_error::invalid_config
    /// before it sends a byte.
    std::string_view helo_name = "localhost";
    /// Pipeline MAIL, RCPT and DATA or BDAT (RFC 2920) when the server offers PIPELINING.
    bool pipelining = true;
    /// DATA or BDAT (RFC 3030).
    bdat_policy bdat = bdat_policy::automatic;
    /// The most content octets in one BDAT chunk; 0: the output buffer's capacity.
    std::size_t chunk_size = 0;
    /// Octets of commands that may wait for their replies at once. A server that stops
    /// reading while its replies cannot be written (RFC 2920 §3.1) must never be sent
    /// more than its TCP receive window can hold; 32 KiB leaves room in a 64 KiB one.
    /// A command is issued while fewer octets than this are unacknowledged, so a batch
    /// exceeds it by at most one command line (512 octets). Minimum 512.
    std::size_t max_unacknowledged = 32768;
    /// Bounds on reply lines and lines per reply; a longer reply is an error.
    reply_limits reply{};
    /// Output buffer capacity, allocated once: at least 1024 octets, and at least the
    /// longest line AUTH writes (a long OAuth token makes that more than 4096). The
    /// same allocation holds the rest of the session's storage (about 3.2 KiB: the
    /// server's capabilities, the replies due, reply texts, the transaction whose final
    /// reply is due behind the open one) and the EHLO name.
    std::size_t output_buffer = 4096;
    client_timeouts timeouts{};
    /// STARTTLS use. Anything but `none` means the application can run a TLS handshake
    /// when next_event() returns tls_handover.
    tls_policy starttls = tls_policy::none;
    /// The connection is TLS from its first byte (RFC 8314 §3, port 465): no STARTTLS.
    bool implicit_tls = false;
    /// SMTP AUTH; none without a user.
    client_auth auth{};
    /// Speak LMTP (RFC 2033): LHLO instead of EHLO, with no HELO fallback, and after the
    /// content (the final dot, or the LAST BDAT chunk) one reply per accepted recipient,
    /// each a command_reply (see there). The LAST chunk waits for every RCPT reply, so
    /// that the session knows how many replies it owes.
    bool lmtp = false;
};

/// One SMTP client connection. The session greets, sends EHLO (HELO if refused), then
/// runs the transactions the application starts: whole, with send_mail(), or command
/// by command with mail_from(), rcpt_to(), data(), send_body() and end_body(). It
/// never blocks, reads a clock, throws or allocates after construction.
///
/// Loop:
///     need_output -> write output(); consume_output(n)      (or whenever wants_write())
///     need_data   -> read; feed(unconsumed() + new bytes)   (or whenever wants_read())
///     need_body   -> send_body(next part) or end_body()
///     closed      -> close the socket
///
/// Pipelining (RFC 2920 §3.1): commands are issued while can_send() is true. EHLO,
/// HELO, DATA and QUIT end a group: until their reply arrives no command can be
/// issued, and after a 354 only the content can follow.
///
/// CHUNKING (RFC 3030): when the server offers it and client_config::bdat allows it,
/// the content goes as it is (neither dot-stuffed nor turned into CRLF lines, and
/// without the final dot) in BDAT chunks of at most client_config::chunk_size octets,
/// the last one marked LAST. BDAT does not end a group: with PIPELINING the first chunk
/// goes with MAIL and RCPT, and the next ones, once a recipient is accepted, while fewer
/// than client_config::max_unacknowledged octets (command lines and chunks) wait for
/// replies; without PIPELINING each waits for the reply to the one before.
/// The first refusal of a chunk ends the transaction: no more chunks are sent.
class client_session {
public:
    explicit client_session(const client_config& config = {})
        : client_session(config, block_output_capacity(config),
                         allocate_block(block_output_capacity(config), config.helo_name)) {}

    /// Gives the session the server's next bytes, which must start with unconsumed().
    /// The session borrows them: keep them unchanged until the next feed(). Accepted
    /// whenever the bytes fed before are consumed up to an incomplete reply line
    /// (wants_read()), whether or not output waits; errc::wrong_state otherwise, and
    /// nothing changes. Once the session is closed, and from the 220 to STARTTLS until
    /// tls_established(), bytes are accepted and discarded unread.
    [[nodiscard]] errc feed(std::string_view bytes) noexcept {
        if (phase_ == phase::closed || phase_ == phase::handover) {
            if (phase_ == phase::handover) discarded_ += bytes.size();
            input_.feed(bytes);
            input_.discard();
            return errc::ok;
        }
        if (!input_.accepts_feed()) return errc::wrong_state;
        input_.feed(bytes);
        ++epoch_;
        return errc::ok;
    }

    /// The server closed its side. Complete replies already fed are still processed.
    void feed_eof() noexcept { input_.close(); }

    /// The incomplete reply line to present again at the start of the next feed().
    /// Valid as long as the fed bytes are.
    [[nodiscard]] std::string_view unconsumed() const noexcept { return input_.rest(); }

    /// True when feed() would take bytes now: poll the socket for reading.
    [[nodiscard]] bool wants_read() const noexcept {
        return phase_ != phase::closed && phase_ != phase::handover && !input_.eof() &&
               input_.accepts_feed();
    }

    /// True when output() is not empty: poll the socket for writing.
    [[nodiscard]] bool wants_write() const noexcept { return !out_.empty(); }

    /// The next event. Views inside it are valid until the next non-const call.
    [[nodiscard]] client_event next_event() noexcept {
        for (;;) {
            if (!events_.empty()) return events_.pop();
            if (phase_ == phase::closed) {
                if (out_.empty()) return closed{};
                return need_output{};
            }
            if (phase_ == phase::handover) {
                if (out_.empty()) return tls_handover{discarded_};
                return need_output{};
            }
            // A reply may make the session write a command of its own (EHLO, HELO,
            // QUIT, RSET, "."). The application's commands leave command_reserve octets
            // for them, so replies are read even while those commands fill the output
            // (RFC 2920 §3.1: a client that stops reading while it cannot write may
            // deadlock with a server that does the same). Before the session is ready
            // (no application command can be waiting) it keeps room for the longest
            // line of the AUTH exchange instead, which may be longer.
            if (out_.free_space() < room_needed()) return need_output{};
            if (job_.active) issue_job_commands();
            // The content goes out before any reply is read: none is due until the
            // final dot, and a reply that comes early is judged after it, so the
            // outcome never depends on how the server's bytes were split. BDAT chunks
            // likewise go out while they may; replies are read between chunks when the
            // next one has to wait for them.
            if (phase_ == phase::content) {
                // After the final dot of a transaction the next one may follow (see
                // transaction()), the application gets its turn before any reply is
                // read, so when it starts that one never depends on how the server's
                // bytes were split.
                if (pass_content()) {
                    if (phase_ == phase::ready && !tx_.active && !out_.empty()) return need_output{};
                    continue;
                }
                if (!tx_.chunking || may_start_chunk()) return need_body{};
            }
            if (read_reply_line()) continue;
            if (input_.eof()) {
                input_ended();
                continue;
            }
            if (!out_.empty()) return need_output{};
            return need_data{};
        }
    }

    /// What the server announced in its EHLO reply (empty before, or after HELO). After
    /// STARTTLS, only what it announced inside TLS (RFC 3207 §4.2). The object lives as
    /// long as the session (it is kept in the session's storage, not inside it).
    [[nodiscard]] const capabilities& server_capabilities() const noexcept {
        return store() != nullptr ? st().caps : no_capabilities();
    }

    /// True when the connection is encrypted: after tls_established(), or from the
    /// start with client_config::implicit_tls.
    [[nodiscard]] bool tls_active() const noexcept { return tls_active_; }

    /// The TLS handshake that followed tls_handover succeeded: the session forgets the
    /// capabilities learned in clear and sends EHLO again (RFC 3207 §4.2); ready follows
    /// its reply. Feed the decrypted bytes from now on. Errors: wrong_state when no
    /// handover is under way.
    [[nodiscard]] errc tls_established() noexcept {
        if (phase_ != phase::handover) return errc::wrong_state;
        const bool eof = input_.eof();
        input_ = session_input{};
        if (eof) input_.close();
        tls_active_ = true;
        discarded_ = 0;
        phase_ = phase::greeting;
        send_hello(hello_verb(), pending::ehlo);
        return errc::ok;
    }

    /// The TLS handshake that followed tls_handover failed: the session fails with
    /// client_error::tls_failed and closes without writing anything (the connection is
    /// in no state to carry a QUIT). Errors: wrong_state when no handover is under way.
    [[nodiscard]] errc tls_failed() noexcept {
        if (phase_ != phase::handover) return errc::wrong_state;
        events_.push(client_failure{client_error::tls_failed, {}});
        phase_ = phase::closed;
        return errc::ok;
    }

    /// True when a command may be issued now: EHLO is done; no content is being sent;
    /// no reply to a group-ending command (EHLO, HELO, DATA, QUIT) is outstanding; with
    /// PIPELINING fewer than client_config::max_unacknowledged octets of commands wait
    /// for replies, without it none do.
    [[nodiscard]] bool can_send() const noexcept {
        return phase_ == phase::ready && group_enders_ == 0 &&
               (pipelining() || pending_count_ == 0) && pending_size_ + 2 <= pending_capacity &&
               unacknowledged_ < max_unacknowledged_;
    }

    /// True when the server offered PIPELINING and the configuration allows it.
    [[nodiscard]] bool pipelining() const noexcept {
        return pipelining_wanted_ && store() != nullptr && caps().has(extension::pipelining);
    }

    /// The open transaction, from mail_from() until its transaction_done (or until
    /// reset() or quit() abandons it before its content is sent); 0 when none is open.
    /// With PIPELINING a transaction sent with DATA is open only until its final "." is
    /// written: the next one may start at once, its commands pipelined behind that dot
    /// (RFC 2920 §3.1), while the final reply and transaction_done of the one before
    /// are still to come, under its own id.
    [[nodiscard]] transaction_id transaction() const noexcept { return tx_.active ? tx_.id : 0; }

    /// Sends one message: MAIL FROM, then each RCPT and DATA as soon as the server may
    /// take them, and after the 354 `content`, as send_body() and end_body() would (no
    /// need_body is returned). With PIPELINING the RCPTs and DATA join MAIL's batch at
    /// once, as far as the output and client_config::max_unacknowledged allow: normally
    /// the whole envelope is in output() on return, and as DATA ends a batch, no other
    /// command (rcpt_to(), reset(), quit()) can follow before DATA's reply. With
    /// CHUNKING the content follows the RCPTs in BDAT chunks of client_config::chunk_size octets,
    /// the last one marked LAST ("BDAT 0 LAST" for an empty message). Replies are
    /// reported as usual, every recipient's with its index in `env`, then one
    /// transaction_done. Borrows `env` (its strings and recipient array) and `content`
    /// until that transaction_done, until the final dot is written when the next
    /// transaction may follow it (see transaction()), or until reset(), quit() or a
    /// failure ends it.
    /// Every address and parameter is checked first: on any error nothing is sent.
    /// Errors: those of mail_from(), rcpt_to() and send_body(); wrong_state also for
    /// an envelope without recipients.
    [[nodiscard]] errc send_mail(const envelope& env, std::string_view content) noexcept {
        if (!can_send() || !may_open_transaction() || env.recipient_count == 0) return errc::wrong_state;
        const bool smtputf8 = env.options.smtputf8 || ascii::has_non_ascii(env.sender);
        if (!eight_bit_body(env.options.body) && ascii::has_non_ascii(content)) return errc::not_supported;
        std::uint64_t as_given = 0;
        for (std::size_t i = 0; i < env.recipient_count; ++i) {
            bool verbatim = false;
            if (const errc e = check_recipient(env.recipients[i], smtputf8, verbatim); e != errc::ok) return e;
            if (verbatim && i < 64) as_given |= std::uint64_t{1} << i;
        }
        if (const errc e = mail_from(env.sender, env.options); e != errc::ok) return e;
        job_ = mail_job{true, &env, content, 0, as_given};
        issue_job_commands();  // with PIPELINING the RCPTs and DATA join MAIL's write
        // What was judged above holds for this call only: RCPTs written later, as the
        // output drains, are checked again.
        job_.checked_as_given = 0;
        return errc::ok;
    }

    /// Starts a transaction: MAIL FROM:<address> with options. `address` is the sender
    /// ("" for the null reverse path <>), as an addr-spec; a local part that is not a
    /// Dot-string is quoted as RFC 5321 requires. Errors, with nothing sent:
    /// wrong_state (not can_send(), a transaction is open, or replies of an abandoned
    /// one are still due, so that no reply can be credited to the wrong transaction;
    /// only the final reply of one whose content is sent may be due, see transaction());
    /// invalid_argument (CR, LF, NUL, not an address, a path over 256 octets);
    /// not_supported (an option the server does not offer: SMTPUTF8, BODY=8BITMIME,
    /// BODY=BINARYMIME without BINARYMIME and CHUNKING or with bdat_policy::never, or
    /// bdat_policy::always without CHUNKING); too_large; output_full.
    [[nodiscard]] errc mail_from(std::string_view address, const mail_options& options = {}) noexcept {
        if (!can_send() || !may_open_transaction()) return errc::wrong_state;
        const bool utf8_address = ascii::has_non_ascii(address);
        const bool smtputf8 = options.smtputf8 || utf8_address;
        if (smtputf8 && !caps().has(extension::smtputf8)) return errc::not_supported;
        if (options.body == body_type::eight_bit_mime && !caps().has(extension::eight_bit_mime))
            return errc::not_supported;
        const bool chunking = bdat_policy_ != bdat_policy::never && caps().has(extension::chunking);
        if (bdat_policy_ == bdat_policy::always && !chunking) return errc::not_supported;
        if (options.body == body_type::binary_mime && !(chunking && caps().has(extension::binary_mime)))
            return errc::not_supported;
        if (options.size != 0 && caps().size_limit() != 0 && options.size > caps().size_limit())
            return errc::too_large;
        if (!valid_parameters(options.parameters, smtputf8)) return errc::invalid_argument;
        if (!options.envid.empty() && !envid_argument_valid(options.envid)) return errc::invalid_argument;
        command_writer w(out_, command_reserve);
        w.put("MAIL FROM:");
        if (const errc e = write_path(w, address, smtputf8, true); e != errc::ok) return e;
        if (options.size != 0 && caps().has(extension::size)) {
            char digits[24];
            const auto r = std::to_chars(digits, digits + sizeof digits, options.size);
            w.put(" SIZE=");
            w.put(std::string_view(digits, static_cast<std::size_t>(r.ptr - digits)));
        }
        if (options.body == body_type::eight_bit_mime) w.put(" BODY=8BITMIME");
        if (options.body == body_type::binary_mime) w.put(" BODY=BINARYMIME");
        if (options.body == body_type::seven_bit && caps().has(extension::eight_bit_mime))
            w.put(" BODY=7BIT");
        if (smtputf8) w.put(" SMTPUTF8");
        if (caps().has(extension::dsn) && options.ret != dsn_return::unspecified) {
            w.put(" RET=");
            w.put(to_string(options.ret));
        }
        if (caps().has(extension::dsn) && !options.envid.empty()) {
            char envid[dsn_envid_max];
            w.put(" ENVID=");
            w.put(std::string_view(envid, write_envid(options.envid, envid)));
        }
        if (!options.parameters.empty()) {
            w.put(" ");
            w.put(options.parameters);
        }
        const std::size_t sent = w.finish();
        if (sent == 0) return errc::output_full;
        tx_ = open_transaction{};
        tx_.id = ++last_transaction_;
        tx_.active = true;
        tx_.smtputf8 = smtputf8;
        tx_.eight_bit = eight_bit_body(options.body);
        tx_.chunking = chunking;
        st().decisive.clear();
        expect(pending::mail, sent);
        return errc::ok;
    }

    /// Adds a recipient: RCPT TO:<address>[ parameters]. Its reply arrives as a
    /// command_reply with `index` = the number of earlier rcpt_to() calls of this
    /// transaction. "postmaster" alone is sent as <postmaster>. Errors as mail_from();
    /// wrong_state also after data() or when MAIL was refused.
    [[nodiscard]] errc rcpt_to(std::string_view address, std::string_view parameters = {}) noexcept {
        return rcpt_to(recipient{address, parameters});
    }

    /// rcpt_to() for a recipient with DSN requests (NOTIFY, ORCPT), which are sent only
    /// when the server offers DSN.
    [[nodiscard]] errc rcpt_to(const recipient& r) noexcept {
        if (!can_send() || !tx_.active || tx_.data_sent || tx_.mail_failed) return errc::wrong_state;
        const errc e = write_rcpt(r);
        if (e != errc::output_full) return e;
        // Nothing was written. An address that is not one, or too long, is refused as
        // such even when the output had no room for it.
        bool as_given = false;
        const errc path = check_recipient_path(r, tx_.smtputf8, as_given);
        return path != errc::ok ? path : e;
    }

    /// Asks to send the content. With PIPELINING, DATA ends the batch; the content
    /// may only follow the 354 (a command_reply for verb::data with code 354), and no
    /// command can be issued before DATA's reply. Without PIPELINING, called after
    /// every RCPT reply: when none was accepted, RSET is sent instead and the
    /// transaction ends as failed. With CHUNKING nothing is written: the content may
    /// follow at once (need_body), in BDAT chunks. Errors: wrong_state, output_full.
    [[nodiscard]] errc data() noexcept {
        if (!can_send() || !tx_.active || tx_.data_sent || tx_.mail_failed || tx_.recipients == 0)
            return errc::wrong_state;
        if (tx_.outstanding == 0 && tx_.accepted == 0) {
            if (out_.free_space() < command_reserve) return errc::output_full;
            tx_.data_sent = true;
            finish_transaction();
            return errc::ok;
        }
        if (tx_.chunking) {
            tx_.data_sent = true;
            start_content();
            return errc::ok;
        }
        if (!append_command("DATA\r\n")) return errc::output_full;
        tx_.data_sent = true;
        expect(pending::data, 6);
        return errc::ok;
    }

    /// After the 354: the next part of the message content. The session borrows
    /// `bytes` (keep them unchanged until next_event() returns need_body, or the
    /// transaction or session ends) and writes them into output() as room appears,
    /// dot-stuffed, with bare CR and LF turned into CRLF; parts may be of any size and
    /// split anywhere. With CHUNKING (after data()), the part goes as it is in BDAT
    /// chunks of at most client_config::chunk_size octets; the last of them is marked
    /// LAST if end_body() is called before it starts. Errors, nothing taken:
    /// wrong_state (no 354 yet, the previous part not yet passed on, end_body() called,
    /// or a refused chunk ended the transaction); not_supported (an 8-bit octet without
    /// BODY=8BITMIME or BODY=BINARYMIME: the message cannot be finished correctly,
    /// close the connection).
    [[nodiscard]] errc send_body(std::string_view bytes) noexcept {
        if (phase_ != phase::content || !body_.empty() || end_requested_) return errc::wrong_state;
        if (!tx_.eight_bit && ascii::has_non_ascii(bytes)) return errc::not_supported;
        body_ = bytes;
        return errc::ok;
    }

    /// Ends the content after every part given so far: a final CRLF if it lacked one,
    /// then "." CRLF, written once the parts before it are. With CHUNKING: the last
    /// chunk of the part not yet started is marked LAST, or else "BDAT 0 LAST" is sent.
    /// Errors: wrong_state (no 354 yet, or already ended).
    [[nodiscard]] errc end_body() noexcept {
        if (phase_ != phase::content || end_requested_) return errc::wrong_state;
        end_requested_ = true;
        return errc::ok;
    }

    /// RSET: abandons the open transaction (no transaction_done follows; replies
    /// still due to it are reported with its id), unless its content was sent: then
    /// its final reply and transaction_done come first. Errors: wrong_state,
    /// output_full.
    [[nodiscard]] errc reset() noexcept {
        if (!can_send()) return errc::wrong_state;
        if (!append_command("RSET\r\n")) return errc::output_full;
        abandon_transaction();
        expect(pending::rset, 6);
        return errc::ok;
    }

    /// QUIT: abandons any open transaction as reset() does; the session closes after
    /// the 221 (or when the server closes). Errors: wrong_state, output_full.
    [[nodiscard]] errc quit() noexcept {
        if (!can_send()) return errc::wrong_state;
        if (!append_command("QUIT\r\n")) return errc::output_full;
        abandon_transaction();
        phase_ = phase::quitting;
        expect(pending::quit, 6);
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
        case pending::content: case pending::bdat:
            return {k::data_termination, timeouts_.data_termination, epoch_};
        case pending::ehlo: case pending::helo: case pending::starttls: case pending::auth:
        case pending::rset: case pending::quit:
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
    // `block` (null when its allocation failed) holds the output buffer's `output`
    // octets, then the session's storage, then the EHLO name: see allocate_block().
    client_session(const client_config& config, std::size_t output, std::unique_ptr<char[]> block)
        : own_command_size_(longest_own_command(config.helo_name.size())),
          pipelining_wanted_(config.pipelining),
          max_unacknowledged_(config.max_unacknowledged > command_reserve ? config.max_unacknowledged
                                                                          : command_reserve),
          timeouts_(config.timeouts),
          tls_policy_(config.starttls),
          tls_active_(config.implicit_tls),
          auth_(config.auth),
          auth_usable_(usable_mechanisms(config.auth)),
          auth_room_(longest_auth_line(config.auth, auth_usable_)),
          auth_in_clear_(config.auth.allow_in_clear),
          lmtp_(config.lmtp),
          parser_(config.reply),
          line_limit_(config.reply.max_line_length),
          bdat_policy_(config.bdat),
          chunk_size_(config.chunk_size != 0 ? config.chunk_size : output),
          out_(std::move(block), output),
          storage_at_(storage_offset(output)) {
        if (char* b = out_.block()) {
            storage* s = ::new (static_cast<void*>(b + storage_at_)) storage{};
            if (!config.helo_name.empty()) std::memcpy(s + 1, config.helo_name.data(), config.helo_name.size());
            s->helo_size = config.helo_name.size();
        }
        if (store() == nullptr || check_domain_or_literal(config.helo_name, false) != domain_error::ok ||
            !auth_config_valid(config.auth) || !start_scram(config.auth)) {
            events_.push(client_failure{client_error::invalid_config, {}});
            phase_ = phase::closed;
        } else {
            expect(pending::greeting, 0);
        }
    }

    // The reply a sent command (or the connection itself) waits for.
    enum class pending { none, greeting, ehlo, helo, starttls, auth, mail, rcpt, data, content, bdat, rset, quit };
    // greeting: from the connection to the reply that makes the session ready;
    // handover: from the 220 to STARTTLS to tls_established().
    enum class phase { greeting, ready, content, quitting, handover, closed };

    // Room the application's commands leave free for the commands the session sends on
    // its own (EHLO, HELO, QUIT, RSET, "."): a 512-octet command line (RFC 5321
    // §4.5.3.1.4), more than the longest of them.
    static constexpr std::size_t command_reserve = 512;
    static constexpr std::size_t text_capacity = 512;
    // Entries of the ring of replies due. It holds at most one transaction's MAIL, RCPT
    // group, DATA and content, an RSET and a QUIT (can_send() keeps two entries free).
    static constexpr std::size_t pending_capacity = 8;
    // RFC 5321 §4.5.3.1.3: a reverse-path or forward-path, with its brackets.
    static constexpr std::size_t max_path = 256;
    // "BDAT " chunk-size " LAST" CRLF with the largest 64-bit size (RFC 3030 §2).
    static constexpr std::size_t max_bdat_command = sizeof "BDAT 18446744073709551615 LAST\r\n" - 1;

    // State of the open mail transaction.
    struct open_transaction {
        transaction_id id = 0;
        bool active = false;
        bool smtputf8 = false;
        bool eight_bit = false;
        bool mail_failed = false;
        bool data_sent = false;
        bool data_failed = false;
        bool content_aborted = false;  // "." sent right after a 354 with no recipient
        bool content_sent = false;     // the final "." is written: only its reply is due; with
                                       // CHUNKING, the LAST chunk is started
        bool chunking = false;         // the content goes in BDAT chunks
        bool content_replied = false;
        bool mail_accepted = false;
        bool transient_rcpt = false;
        std::size_t recipients = 0;
        std::size_t replied = 0;      // RCPT replies received
        std::size_t accepted = 0;
        std::size_t outstanding = 0;  // replies still due to this transaction's commands
        std::size_t chunks = 0;          // BDAT chunks started
        std::size_t chunks_replied = 0;  // BDAT replies received
        std::size_t content_replies = 0; // replies to the content (LMTP: one per recipient)
        std::size_t delivered = 0;       // of them 2xx
        bool content_failed = false;     // LMTP: one of them was not 2xx
    };

    // The reply that decides a transaction, with a copy of its text.
    struct decisive_reply {
        reply_info info{};
        std::array<char, text_capacity> text{};
        void store(const reply_info& r) noexcept {
            info = r;
            const std::size_t n = r.text.size();
            if (n != 0) std::memcpy(text.data(), r.text.data(), n);
            info.text = {text.data(), n};
        }
        void clear() noexcept { info = reply_info{}; }
    };

    // Writes one command into the output buffer, or nothing if it does not fit.
    class command_writer {
    public:
        // Writes into `out`, leaving `keep_free` octets of its free space unused.
        command_writer(output_buffer& out, std::size_t keep_free) noexcept
            : out_(&out), begin_(out.reserve(out.free_space())),
              room_(begin_ && out.free_space() > keep_free ? out.free_space() - keep_free : 0) {}
        // Writes into `scratch` only, to check what a command would hold.
        command_writer(char* scratch, std::size_t size) noexcept : begin_(scratch), room_(size) {}
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
        [[nodiscard]] std::size_t used() const noexcept { return used_; }
        [[nodiscard]] bool overflowed() const noexcept { return overflow_; }
        // Ends the line and commits it; returns its size, or 0 when it did not fit.
        [[nodiscard]] std::size_t finish() noexcept {
            put("\r\n");
            if (overflow_ || out_ == nullptr) return 0;
            out_->commit(used_);
            return used_;
        }

    private:
        output_buffer* out_ = nullptr;
        char* begin_;
        std::size_t room_;
        std::size_t used_ = 0;
        bool overflow_ = false;
    };

    // An application's command without arguments, if it leaves command_reserve free.
    bool append_command(std::string_view line) noexcept {
        return out_.free_space() >= line.size() + command_reserve && out_.append(line);
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

    // RCPT TO for `r`: its fields checked first (check_recipient_fields), its address
    // while it is written; writes nothing on an error. `checked_as_given`: send_mail()
    // has just checked `r` whole, in the same call, and found its address a Mailbox to
    // be written as it is.
    errc write_rcpt(const recipient& r, bool checked_as_given = false) noexcept {
        if (!checked_as_given)
            if (const errc e = check_recipient_fields(r, tx_.smtputf8); e != errc::ok) return e;
        command_writer w(out_, command_reserve);
        w.put("RCPT TO:");
        if (checked_as_given) {
            put_as_given(w, r.address);
        } else if (const errc e = write_path(w, r.address, tx_.smtputf8, false); e != errc::ok) {
            return e;
        }
        if (caps().has(extension::dsn) && r.notify.given()) {
            char notify[dsn_notify_max];
            w.put(" NOTIFY=");
            w.put(std::string_view(notify, write_notify(r.notify, notify)));
        }
        if (caps().has(extension::dsn) && !r.orcpt.empty()) {
            char orcpt[dsn_orcpt_max];
            w.put(" ORCPT=");
            w.put(std::string_view(orcpt, write_orcpt(r.orcpt, orcpt)));
        }
        if (!r.parameters.empty()) {
            w.put(" ");
            w.put(r.parameters);
        }
        const std::size_t sent = w.finish();
        if (sent == 0) return errc::output_full;
        ++tx_.recipients;
        expect(pending::rcpt, sent);
        return errc::ok;
    }

    // What rcpt_to() refuses: a UTF-8 address without SMTPUTF8, bad parameters or DSN
    // requests (check_recipient_fields), an address that is not one or too long
    // (check_recipient_path). `as_given`: the address is written as it is, in brackets.
    static errc check_recipient(const recipient& r, bool smtputf8, bool& as_given) noexcept {
        const errc e = check_recipient_fields(r, smtputf8);
        return e != errc::ok ? e : check_recipient_path(r, smtputf8, as_given);
    }

    static errc check_recipient_fields(const recipient& r, bool smtputf8) noexcept {
        if (ascii::has_non_ascii(r.address) && !smtputf8) return errc::not_supported;
        if (!valid_parameters(r.parameters, smtputf8) || !r.notify.valid() ||
            (!r.orcpt.empty() && !orcpt_argument_valid(r.orcpt)))
            return errc::invalid_argument;
        return errc::ok;
    }

    static errc check_recipient_path(const recipient& r, bool smtputf8, bool& as_given) noexcept {
        if (goes_as_given(r.address, smtputf8, false)) {
            if (r.address.size() + 2 > max_path) return errc::invalid_argument;
            as_given = true;
            return errc::ok;
        }
        char scratch[max_path + 1];
        command_writer w(scratch, sizeof scratch);
        const errc e = write_path(w, r.address, smtputf8, false);
        return e == errc::output_full || w.overflowed() ? errc::invalid_argument : e;
    }

    // "<address>", re-quoting the local part when it is not already a valid one; at
    // most max_path octets.
    static errc write_path(command_writer& w, std::string_view address, bool utf8, bool reverse) noexcept {
        const std::size_t before = w.used();
        const errc e = write_path_unchecked(w, address, utf8, reverse);
        if (e == errc::ok && w.used() - before > max_path) return errc::invalid_argument;
        return e;
    }

    // True when `address` goes on the wire as it is, in brackets: a Mailbox that needs
    // no quoting, other than the null path and a bare "postmaster", which have forms of
    // their own.
    static bool goes_as_given(std::string_view address, bool utf8, bool reverse) noexcept {
        if (address.empty() || ascii::has_line_break_or_nul(address)) return false;
        if (!reverse && ascii::iequals(address, "postmaster")) return false;
        mailbox parsed;
        return parse_mailbox(address, utf8, parsed) == mailbox_error::ok;
    }

    static void put_as_given(command_writer& w, std::string_view address) noexcept {
        w.put("<");
        w.put(address);
        w.put(">");
    }

    static errc write_path_unchecked(command_writer& w, std::string_view address, bool utf8,
                                     bool reverse) noexcept {
        if (goes_as_given(address, utf8, reverse)) {
            put_as_given(w, address);
            return errc::ok;
        }
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
        // Not a Mailbox as it stands: a local part that needs quoting, or nothing valid.
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

    // --- replies due: a FIFO, RCPTs or BDATs in a row kept as one entry with a count ---

    struct pending_entry {
        pending kind = pending::none;
        std::size_t count = 0;
        std::size_t octets = 0;     // of the commands still waiting in this entry
        transaction_id transaction = 0;
    };

    static bool ends_group(pending p) noexcept {
        return p == pending::greeting || p == pending::ehlo || p == pending::helo ||
               p == pending::starttls || p == pending::auth || p == pending::data || p == pending::quit;
    }

    static bool belongs_to_transaction(pending p) noexcept {
        return p == pending::mail || p == pending::rcpt || p == pending::data || p == pending::content ||
               p == pending::bdat;
    }

    // A command of `octets` octets was written: its reply is now due.
    void expect(pending p, std::size_t octets) noexcept {
        ++pending_count_;
        ++epoch_;
        unacknowledged_ += octets;
        if (ends_group(p)) ++group_enders_;
        const transaction_id tx = belongs_to_transaction(p) ? tx_.id : 0;
        if (tx != 0) {
            ++tx_.outstanding;
            ++transaction_replies_;
        }
        if ((p == pending::rcpt || p == pending::bdat || p == pending::content) && pending_size_ > 0) {
            pending_entry& back = st().pending[(pending_head_ + pending_size_ - 1) % pending_capacity];
            if (back.kind == p) {
                ++back.count;
                back.octets += octets;
                return;
            }
        }
        st().pending[(pending_head_ + pending_size_) % pending_capacity] = {p, 1, octets, tx};
        ++pending_size_;
    }

    pending front() const noexcept {
        return pending_size_ == 0 ? pending::none : st().pending[pending_head_].kind;
    }

    bool awaiting(pending p) const noexcept {
        for (std::size_t i = 0; i < pending_size_; ++i)
            if (st().pending[(pending_head_ + i) % pending_capacity].kind == p) return true;
        return false;
    }

    // The reply to the oldest command arrived: returns that command's entry (count 1).
    // A group of RCPTs or BDAT chunks gives back its octets in equal shares, the last
    // one the rest (for chunks of unequal sizes an estimate, exact once all are in).
    pending_entry pop() noexcept {
        pending_entry& head = st().pending[pending_head_];
        const std::size_t octets = head.count == 1 ? head.octets : head.octets / head.count;
        const pending_entry answered{head.kind, 1, octets, head.transaction};
        head.octets -= octets;
        unacknowledged_ -= octets;
        --pending_count_;
        if (ends_group(head.kind)) --group_enders_;
        if (head.transaction != 0) --transaction_replies_;
        if (--head.count == 0) {
            pending_head_ = (pending_head_ + 1) % pending_capacity;
            --pending_size_;
        }
        return answered;
    }

    // --- reading replies ---------------------------------------------------------

    // Takes one complete reply line from the input, if there is one.
    bool read_reply_line() noexcept {
        const std::size_t length = input_.find_line();
        if (length == line_scanner::npos) {
            // An incomplete line already longer than the limit (its CR may be the last
            // octet fed, hence one more; written so that no limit can overflow).
            const std::size_t held = input_.rest().size();
            if (held != 0 && held - 1 > line_limit_) fail(client_error::reply_too_long);
            return phase_ == phase::closed;
        }
        const std::string_view line = input_.rest().substr(0, length);
        input_.consume(length + 2);
        on_line(line);
        return true;
    }

    // No reply line will complete: the server closed its side.
    void input_ended() noexcept {
        if (front() == pending::quit) {
            phase_ = phase::closed;  // closed without 221: fine after QUIT
        } else {
            fail(client_error::connection_closed);
        }
    }

    void store_text(std::string_view text) noexcept {
        text_size_ = text.size() < text_capacity ? text.size() : text_capacity;
        if (text_size_ != 0) std::memcpy(st().text.data(), text.data(), text_size_);
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
        const std::string_view text = rl.after_status;
        if (first) store_text(text);
        if (front() == pending::ehlo && rl.code / 100 == 2) {
            if (first) caps().clear();
            (void)caps().add_line(rl.text, first);
        }
        if (!rl.last) return;
        reply_info info{parser_.code(), parser_.status(), {st().text.data(), text_size_}, parser_.lines()};
        parser_.reset();
        on_reply(info, text);
    }

    // `last_text` is the text of the reply's last line, whole.
    void on_reply(const reply_info& info, std::string_view last_text) noexcept {
        if (info.code == 421) {
            fail(client_error::service_closing, info);
            return;
        }
        const pending due = front();
        // 3xx asks for more input: only 354 to DATA does (RFC 5321 §4.3.2).
        const bool intermediate = info.code / 100 == 3;
        if (due == pending::none ||
            (intermediate && !(due == pending::data && info.code == 354) &&
             !(due == pending::auth && info.code == 334))) {
            fail(client_error::unexpected_reply, info);
            return;
        }
        const pending_entry answered = pop();
        if (answered.transaction != 0 && answered.transaction == finishing().id) {
            on_finishing_reply(info);
            return;
        }
        if (answered.transaction != 0 && answered.transaction != transaction()) {
            on_abandoned_reply(answered, info);
            return;
        }
        switch (answered.kind) {
        case pending::greeting: on_greeting(info); return;
        case pending::ehlo: on_ehlo(info); return;
        case pending::helo: on_helo(info); return;
        case pending::starttls: on_starttls(info); return;
        case pending::auth: on_auth(info, last_text); return;
        case pending::mail: on_mail(info); break;
        case pending::rcpt: on_rcpt(info); break;
        case pending::data: on_data(info); break;
        case pending::content: on_content(tx_, st().decisive, info, verb::data); break;
        case pending::bdat: on_bdat(info); break;
        case pending::rset:
            events_.push(command_reply{verb::rset, 0, false, 0, info});
            return;
        case pending::quit:
            events_.push(command_reply{verb::quit, 0, false, 0, info});
            phase_ = phase::closed;
            input_.discard();
            return;
        case pending::none:
            return;
        }
        // Replies are read only between chunks: a transaction that can no longer
        // succeed sends no more of them.
        if (phase_ == phase::content && tx_.chunking &&
            (tx_.mail_failed || tx_.data_failed || (tx_.replied == tx_.recipients && tx_.accepted == 0)))
            stop_chunks();
        --tx_.outstanding;
        if (tx_.outstanding == 0 && (tx_.mail_failed || tx_.data_failed || tx_.content_replied))
            finish_transaction();
    }

    // A reply to the content of the transaction sent before the open one.
    void on_finishing_reply(const reply_info& info) noexcept {
        open_transaction& t = finishing();
        on_content(t, st().finishing_decisive, info, verb::data);
        if (--t.outstanding != 0) return;
        events_.push(transaction_result(t, st().finishing_decisive.info));
        t = open_transaction{};
    }

    static bool positive(const reply_info& info) noexcept { return info.code / 100 == 2; }

    void on_greeting(const reply_info& info) noexcept {
        if (positive(info)) {  // 220, or an unknown 2xx taken by its class
            events_.push(greeted{info});
            send_hello(hello_verb(), pending::ehlo);
        } else {
            fail_and_quit(client_error::greeting_refused, info);
        }
    }

    void on_ehlo(const reply_info& info) noexcept {
        if (positive(info)) {
            if (tls_policy_ != tls_policy::none && !tls_active_ && caps().has(extension::starttls)) {
                (void)out_.append("STARTTLS\r\n");
                expect(pending::starttls, 10);
                return;
            }
            become_ready(true);
            return;
        }
        caps().clear();
        if (info.code / 100 == 5 && !lmtp_) {
            send_hello("HELO ", pending::helo);  // RFC 5321 §3.2: fall back to HELO
        } else {
            fail_and_quit(client_error::hello_refused, info);
        }
    }

    void on_helo(const reply_info& info) noexcept {
        if (positive(info)) {
            become_ready(false);
        } else {
            fail_and_quit(client_error::hello_refused, info);
        }
    }

    // EHLO or HELO succeeded and STARTTLS is not (or no longer) to be sent: mail may
    // go, unless TLS is required and not to be had (RFC 3207 §4: a client that requires
    // TLS must not go on in clear).
    void become_ready(bool extended) noexcept {
        if (tls_policy_ == tls_policy::required && !tls_active_) {
            fail_and_quit(client_error::tls_unavailable, {});
            return;
        }
        if (!auth_usable_.empty() && !authenticated_) {
            start_auth(extended);
            return;
        }
        phase_ = phase::ready;
        events_.push(ready{extended, tls_active_, authenticated_});
    }

    // --- AUTH (RFC 4954) -----------------------------------------------------------

    // RFC 4954 §4: an AUTH command with its initial response is at most a command line,
    // 512 octets with CRLF; a longer response waits for the server's empty challenge.
    static constexpr std::size_t max_auth_command = 512;
    // The most octets of a challenge decoded; a longer one is cancelled. SCRAM messages
    // are at most sasl::scram_max_message_size, error objects a line of JSON.
    static constexpr std::size_t challenge_capacity = 1536;
    // client_auth::nonce: 16 to 128 octets of randomness.
    static constexpr std::size_t min_nonce = 16;
    static constexpr std::size_t max_nonce = 128;

    // The AUTH strings, copied into one allocation at construction: the user, password,
    // authorization identity, token and OAUTHBEARER host, one after the other.
    class auth_strings {
    public:
        explicit auth_strings(const client_auth& a) : port_(a.oauth_port) {
            if (a.user.empty()) return;
            const std::string_view parts[] = {a.user, a.password, a.authorization_id, a.token, a.oauth_host};
            std::size_t total = 0;
            for (std::string_view part : parts) total += part.size();
            data_.reserve(total);
            for (std::size_t i = 0; i < ends_.size(); ++i) {
                if (!parts[i].empty()) data_.append(parts[i].data(), parts[i].size());
                ends_[i] = data_.size();
            }
        }
        [[nodiscard]] std::string_view user() const noexcept { return part(0); }
        [[nodiscard]] std::string_view password() const noexcept { return part(1); }
        [[nodiscard]] std::string_view authorization_id() const noexcept { return part(2); }
        [[nodiscard]] std::string_view token() const noexcept { return part(3); }
        [[nodiscard]] std::string_view host() const noexcept { return part(4); }
        [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

    private:
        std::string_view part(std::size_t i) const noexcept {
            const std::size_t begin = i == 0 ? 0 : ends_[i - 1];
            return std::string_view(data_).substr(begin, ends_[i] - begin);
        }
        std::string data_;
        std::array<std::size_t, 5> ends_{};
        std::uint16_t port_;
    };

    // The identity OAUTHBEARER names in its GS2 header: the authorization identity, or
    // else the user (RFC 7628 §4.1 sends the user there).
    static std::string_view bearer_identity(std::string_view authorization_id, std::string_view user) noexcept {
        return authorization_id.empty() ? user : authorization_id;
    }

    // The mechanisms `a` can be used with: allowed by the application, run by this
    // session, and given their credentials (client_auth says which).
    static sasl::mechanism_set usable_mechanisms(const client_auth& a) noexcept {
        sasl::mechanism_set set;
        if (a.user.empty()) return set;
        const bool password = !a.password.empty();
        const bool token = !a.token.empty();
        const bool own_identity = a.authorization_id.empty();
        for (sasl::mechanism m : sasl::strongest_first) {
            if (!a.mechanisms.has(m) || !client_mechanisms.has(m)) continue;
            bool usable = false;
            switch (m) {
            case sasl::mechanism::plain: usable = password; break;
            case sasl::mechanism::login:
            case sasl::mechanism::cram_md5: usable = password && own_identity; break;
            case sasl::mechanism::scram_sha_256: usable = password && own_identity && !a.nonce.empty(); break;
            case sasl::mechanism::xoauth2: usable = token && own_identity; break;
            case sasl::mechanism::oauthbearer: usable = token; break;
            }
            if (usable) set.add(m);
        }
        return set;
    }

    // The longest line the AUTH exchange may write with mechanisms `set`: the AUTH
    // command (with an initial response at most max_auth_command octets) or a response,
    // base64 and CRLF. 0 without AUTH.
    static std::size_t longest_auth_line(const client_auth& a, sasl::mechanism_set set) noexcept {
        if (set.empty()) return 0;
        std::size_t raw = 0;
        const auto consider = [&raw](std::size_t n) {
            if (n > raw) raw = n;
        };
        if (set.has(sasl::mechanism::plain))
            consider(sasl::plain_message_size(a.authorization_id, a.user, a.password));
        if (set.has(sasl::mechanism::login))
            consider(a.user.size() > a.password.size() ? a.user.size() : a.password.size());
        if (set.has(sasl::mechanism::cram_md5)) consider(sasl::cram_md5_response_size(a.user));
        if (set.has(sasl::mechanism::scram_sha_256)) consider(sasl::scram_max_message_size);
        if (set.has(sasl::mechanism::xoauth2)) consider(sasl::xoauth2_message_size(a.user, a.token));
        if (set.has(sasl::mechanism::oauthbearer))
            consider(sasl::oauthbearer_message_size(bearer_identity(a.authorization_id, a.user), a.oauth_host,
                                                    a.oauth_port, a.token));
        const std::size_t line = base64_encoded_size(raw) + 2;
        return line > max_auth_command ? line : max_auth_command;
    }

    // The longest command the session writes on its own: EHLO (or HELO) with the name,
    // or a BDAT command.
    static std::size_t longest_own_command(std::size_t helo_name) noexcept {
        const std::size_t hello = sizeof "EHLO \r\n" - 1 + helo_name;
        return hello > max_bdat_command ? hello : max_bdat_command;
    }

    // BODY types that allow 8-bit octets in the content.
    static bool eight_bit_body(body_type b) noexcept {
        return b == body_type::eight_bit_mime || b == body_type::binary_mime;
    }

    // client_config::output_buffer, at least 1024 octets and the longest AUTH line.
    static std::size_t output_capacity(std::size_t wanted, std::size_t auth_line) noexcept {
        const std::size_t at_least = auth_line > 1024 ? auth_line : 1024;
        return wanted > at_least ? wanted : at_least;
    }

    // Free output octets needed before a reply is read: room for the longest command the
    // session writes itself, and before it is ready for the longest line of AUTH too.
    std::size_t room_needed() const noexcept {
        return phase_ == phase::greeting && auth_room_ > own_command_size_ ? auth_room_ : own_command_size_;
    }

    // Checks each credential against the mechanisms that would send it (client_auth);
    // false when the configuration cannot work. SCRAM's are checked by start_scram().
    bool auth_config_valid(const client_auth& a) const noexcept {
        if (a.user.empty()) return true;
        if (auth_usable_.empty()) return false;  // no allowed mechanism can use these credentials
        const bool password_mechanism =
            auth_usable_.has(sasl::mechanism::plain) || auth_usable_.has(sasl::mechanism::login) ||
            auth_usable_.has(sasl::mechanism::cram_md5) || auth_usable_.has(sasl::mechanism::scram_sha_256);
        // RFC 4616's bounds, for every mechanism that sends the user and a password (or
        // a proof of it): each part at most 255 octets of UTF-8 without NUL.
        if (password_mechanism && !sasl::plain_arguments_valid(a.authorization_id, a.user, a.password))
            return false;
        if (auth_usable_.has(sasl::mechanism::xoauth2) && !sasl::xoauth2_arguments_valid(a.user, a.token))
            return false;
        if (auth_usable_.has(sasl::mechanism::oauthbearer) &&
            !sasl::oauthbearer_arguments_valid(bearer_identity(a.authorization_id, a.user), a.oauth_host, a.token))
            return false;
        return true;
    }

    // SCRAM-SHA-256's client (about 1.1 KiB) is allocated only here, when SCRAM may be
    // used, and its client-first message built at once, so that a nonce or user name it
    // cannot carry is a configuration error. The nonce is sent as given when it is
    // already printable (RFC 5802 §7: %x21-2B / %x2D-7E), otherwise in base64 without
    // '=' padding. False when the nonce or user cannot be used.
    bool start_scram(const client_auth& a) {
        if (!auth_usable_.has(sasl::mechanism::scram_sha_256)) return true;
        const std::string_view nonce = a.nonce;
        if (nonce.size() < min_nonce || nonce.size() > max_nonce) return false;
        bool printable = true;
        for (char c : nonce) printable = printable && c >= '!' && c <= '~' && c != ',';
        std::array<char, base64_encoded_size(max_nonce)> encoded{};
        std::string_view client_nonce = nonce;
        if (!printable) {
            std::size_t n = base64_encode(nonce, encoded.data());
            while (encoded[n - 1] == '=') --n;
            client_nonce = std::string_view(encoded.data(), n);
        }
        scram_.reset(new (std::nothrow) sasl::scram_sha256_client());
        if (!scram_) {  // out of memory: go on without SCRAM
            auth_usable_.remove(sasl::mechanism::scram_sha_256);
            return !auth_usable_.empty();
        }
        return scram_->start(a.user, client_nonce) == sasl::scram_error::ok;
    }

    // Picks the strongest mechanism the credentials allow and the server offers, never
    // one that sends a secret in clear without TLS unless allowed, and starts it;
    // without one, no mail is sent.
    void start_auth(bool extended) noexcept {
        auth_extended_ = extended;
        for (sasl::mechanism m : sasl::strongest_first) {
            if (!auth_usable_.has(m) || !caps().has_auth(m)) continue;
            if (sasl::sends_secret_in_clear(m) && !tls_active_ && !auth_in_clear_) continue;
            auth_mechanism_ = m;
            auth_step_ = 0;
            server_verified_ = false;
            send_auth_command(m);
            return;
        }
        fail_and_quit(client_error::auth_unavailable, {});
    }

    // Whether mechanism `m` begins with a message from the client, which may go with the
    // AUTH command as its initial response, rather than with a challenge.
    static bool client_speaks_first(sasl::mechanism m) noexcept {
        return m == sasl::mechanism::plain || m == sasl::mechanism::scram_sha_256 ||
               m == sasl::mechanism::xoauth2 || m == sasl::mechanism::oauthbearer;
    }

    // Octets of the chosen mechanism's first message, before base64.
    std::size_t first_message_size() const noexcept {
        switch (auth_mechanism_) {
        case sasl::mechanism::plain:
            return sasl::plain_message_size(auth_.authorization_id(), auth_.user(), auth_.password());
        case sasl::mechanism::scram_sha_256: return scram_->client_first().size();
        case sasl::mechanism::xoauth2: return sasl::xoauth2_message_size(auth_.user(), auth_.token());
        case sasl::mechanism::oauthbearer:
            return sasl::oauthbearer_message_size(bearer_identity(auth_.authorization_id(), auth_.user()),
                                                  auth_.host(), auth_.port(), auth_.token());
        case sasl::mechanism::login:
        case sasl::mechanism::cram_md5: break;
        }
        return 0;
    }

    // Writes that message to `out`, which holds first_message_size() octets.
    void write_first_message(char* out) const noexcept {
        switch (auth_mechanism_) {
        case sasl::mechanism::plain:
            (void)sasl::plain_message(auth_.authorization_id(), auth_.user(), auth_.password(), out);
            return;
        case sasl::mechanism::scram_sha_256: {
            const std::string_view first = scram_->client_first();
            std::memcpy(out, first.data(), first.size());
            return;
        }
        case sasl::mechanism::xoauth2: (void)sasl::xoauth2_message(auth_.user(), auth_.token(), out); return;
        case sasl::mechanism::oauthbearer:
            (void)sasl::oauthbearer_message(bearer_identity(auth_.authorization_id(), auth_.user()), auth_.host(),
                                            auth_.port(), auth_.token(), out);
            return;
        case sasl::mechanism::login:
        case sasl::mechanism::cram_md5: return;
        }
    }

    // "AUTH <mechanism>[ <initial response>]": the initial response only when the whole
    // command fits in max_auth_command octets (RFC 4954 §4); otherwise it answers the
    // first 334. The message is built in the output and base64-encoded where it lies.
    // next_event() keeps auth_room_ octets free, so the command always fits.
    void send_auth_command(sasl::mechanism m) noexcept {
        const std::string_view name = sasl::to_string(m);
        const std::size_t bare = sizeof "AUTH \r\n" - 1 + name.size();
        const std::size_t message = client_speaks_first(m) ? first_message_size() : 0;
        const std::size_t size = bare + 1 + base64_encoded_size(message);
        char* p = client_speaks_first(m) && size <= max_auth_command ? out_.reserve(size) : nullptr;
        if (p == nullptr) {
            (void)out_.append("AUTH ");
            (void)out_.append(name);
            (void)out_.append("\r\n");
            expect(pending::auth, bare);
            return;
        }
        std::size_t o = 0;
        const auto put = [p, &o](std::string_view s) {
            std::memcpy(p + o, s.data(), s.size());
            o += s.size();
        };
        put("AUTH ");
        put(name);
        put(" ");
        write_first_message(p + o);
        o += base64_encode_in_place(p + o, message);
        put("\r\n");
        out_.commit(o);
        auth_step_ = 1;
        expect(pending::auth, o);
    }

    // Answers the empty challenge of a mechanism whose first message did not fit the
    // AUTH command.
    void send_first_message() noexcept {
        const std::size_t n = first_message_size();
        const std::size_t size = base64_encoded_size(n) + 2;
        char* p = out_.reserve(size);
        if (p == nullptr) return;  // never: next_event() keeps auth_room_ free
        write_first_message(p);
        (void)base64_encode_in_place(p, n);
        p[size - 2] = '\r';
        p[size - 1] = '\n';
        out_.commit(size);
        expect(pending::auth, size);
    }

    // Writes `value` in base64 as a response line.
    void send_response(std::string_view value) noexcept {
        const std::size_t size = base64_encoded_size(value.size());
        char* p = out_.reserve(size + 2);
        if (p == nullptr) return;
        const std::size_t n = base64_encode(value, p);
        p[n] = '\r';
        p[n + 1] = '\n';
        out_.commit(n + 2);
        expect(pending::auth, n + 2);
    }

    // Writes a response line that needs no encoding: "*" CRLF cancels (RFC 4954 §4).
    void send_line(std::string_view line) noexcept {
        (void)out_.append(line);
        expect(pending::auth, line.size());
    }

    // The server has not proven it knows the user's SCRAM keys: its message breaks RFC
    // 5802, its nonce does not extend the client's, it asks for fewer than 4096
    // iterations (RFC 7677 §4), or its signature is wrong. It may not be the server it
    // claims to be: cancel, and go no further, whatever it answers.
    void reject_server() noexcept {
        (void)out_.append("*\r\n");
        fail(client_error::auth_failed);
    }

    // `text` is the text of the reply's last line, whole (info.text keeps at most
    // text_capacity octets of the first).
    void on_auth(const reply_info& info, std::string_view text) noexcept {
        if (info.code == 334) {
            answer_challenge(info, text);
            return;
        }
        if (positive(info)) {
            // SCRAM authenticates the server as well: success without its signature
            // (RFC 4954 §4 carries it in a 334, never in the 235) is not success.
            if (auth_mechanism_ == sasl::mechanism::scram_sha_256 && !server_verified_) {
                fail(client_error::auth_failed, info);
                return;
            }
            authenticated_ = true;
            phase_ = phase::ready;
            events_.push(ready{auth_extended_, tls_active_, true});
            return;
        }
        fail_and_quit(client_error::auth_failed, info);
    }

    void answer_challenge(const reply_info& info, std::string_view text) noexcept {
        const std::size_t sent = auth_step_++;  // client messages sent before this challenge
        std::array<char, challenge_capacity> buffer{};
        std::size_t size = 0;
        const bool decoded = info.lines == 1 && base64_decoded_max(text.size()) <= buffer.size() &&
                             base64_decode(text, buffer.data(), size);
        const std::string_view challenge(buffer.data(), size);
        switch (auth_mechanism_) {
        case sasl::mechanism::plain:
            if (sent == 0) {
                send_first_message();
                return;
            }
            break;
        case sasl::mechanism::login: {
            const sasl::login_answer answer = sasl::answer_login_prompt(challenge, sent);
            if (answer == sasl::login_answer::cancel) break;
            send_response(answer == sasl::login_answer::user ? auth_.user() : auth_.password());
            return;
        }
        case sasl::mechanism::cram_md5:
            // RFC 2195 §2: the challenge is a msg-id, never empty.
            if (sent == 0 && decoded && size != 0) {
                std::array<char, sasl::plain_max_part_size + 1 + sasl::cram_md5_digest_hex_size> response{};
                const std::size_t n = sasl::cram_md5_response(auth_.user(), auth_.password(), challenge,
                                                              response.data());
                send_response(std::string_view(response.data(), n));
                return;
            }
            break;
        case sasl::mechanism::scram_sha_256:
            if (sent == 0) {
                send_first_message();
            } else if (sent == 1) {  // server-first: answer with the proof (runs PBKDF2)
                if (decoded && scram_->respond(challenge, auth_.password()) == sasl::scram_error::ok)
                    send_response(scram_->client_final());
                else
                    reject_server();
            } else if (sent == 2) {  // server-final: the server's signature, or its error
                const sasl::scram_error e =
                    decoded ? scram_->verify_server_final(challenge) : sasl::scram_error::malformed;
                server_verified_ = e == sasl::scram_error::ok;
                if (server_verified_ || e == sasl::scram_error::server_error)
                    send_line("\r\n");  // nothing more to say: 235, or the failure, follows
                else
                    reject_server();
            } else {
                break;
            }
            return;
        case sasl::mechanism::xoauth2:
            if (sent == 0) {
                send_first_message();
                return;
            }
            // A refused token: the JSON error, answered with an empty line; the failure
            // reply follows.
            if (sent == 1 && decoded && sasl::is_xoauth2_error(challenge)) {
                send_line("\r\n");
                return;
            }
            break;
        case sasl::mechanism::oauthbearer: {
            if (sent == 0) {
                send_first_message();
                return;
            }
            // RFC 7628 §3.2.3: the error object is answered with ^A; the failure follows.
            sasl::bearer_error error{};
            if (sent == 1 && decoded && sasl::parse_bearer_error(challenge, error)) {
                send_response(sasl::oauthbearer_error_ack);
                return;
            }
            break;
        }
        }
        // A challenge the mechanism does not expect: cancel (RFC 4954 §4).
        send_line("*\r\n");
    }

    // RFC 3207 §4: 220 starts the handshake. Reply bytes after it were sent in clear
    // before TLS and are dropped unread (response injection, the client's side of
    // CVE-2011-0411); the capabilities learned in clear are forgotten. A refusal keeps
    // the session in clear, where the policy allows it.
    void on_starttls(const reply_info& info) noexcept {
        if (positive(info)) {
            discarded_ = input_.rest().size();
            input_.discard();
            caps().clear();
            phase_ = phase::handover;
            ++epoch_;
            return;
        }
        if (tls_policy_ == tls_policy::required) {
            fail_and_quit(client_error::tls_refused, info);
            return;
        }
        become_ready(true);
    }

    void on_mail(const reply_info& info) noexcept {
        events_.push(command_reply{verb::mail, 0, false, tx_.id, info});
        tx_.mail_accepted = positive(info);
        if (!tx_.mail_accepted) {
            tx_.mail_failed = true;
            st().decisive.store(info);
        }
    }

    void on_rcpt(const reply_info& info) noexcept {
        events_.push(command_reply{verb::rcpt, tx_.replied++, false, tx_.id, info});
        if (positive(info)) {
            ++tx_.accepted;
        } else {
            tx_.transient_rcpt = tx_.transient_rcpt || info.result() == outcome::transient;
            if (!tx_.mail_failed) st().decisive.store(info);
        }
    }

    void on_data(const reply_info& info) noexcept {
        events_.push(command_reply{verb::data, 0, false, tx_.id, info});
        if (info.code != 354) {
            tx_.data_failed = true;
            if (!tx_.mail_failed && tx_.accepted > 0) st().decisive.store(info);
            return;
        }
        if (tx_.mail_failed || tx_.accepted == 0) {
            // RFC 2920 §3.1: with no recipient, end the content at once.
            (void)out_.append(".\r\n");
            tx_.content_aborted = true;
            tx_.content_sent = true;
            expect_content_replies();
            return;
        }
        start_content();
    }

    // The replies owed to the end of `t`'s content: one; with LMTP one per recipient
    // accepted (RFC 2033 §4.2), as the server counts its own 2xx replies to RCPT even
    // when it refused MAIL, and one when it accepted none yet answered DATA with 354.
    std::size_t content_replies_due(const open_transaction& t) const noexcept {
        return lmtp_ && t.accepted > 1 ? t.accepted : 1;
    }

    // Expects the replies to the final dot that was just written.
    void expect_content_replies() noexcept {
        expect(pending::content, 3);
        for (std::size_t i = 1; i < content_replies_due(tx_); ++i) expect(pending::content, 0);
    }

    // The content may go: send_mail()'s whole, or the application's parts.
    void start_content() noexcept {
        phase_ = phase::content;
        stuffer_.reset();
        body_ = job_.active ? job_.content : std::string_view{};
        end_requested_ = job_.active;
    }

    // The reply to the content (`v`: to the final dot, or to the LAST BDAT chunk); with
    // LMTP one of one per accepted recipient, in RCPT order, of which the first failure
    // decides, unless a chunk before the LAST one was refused.
    void on_content(open_transaction& t, decisive_reply& decisive, const reply_info& info, verb v) noexcept {
        const std::size_t index = t.content_replies++;
        events_.push(command_reply{v, index, true, t.id, info});
        if (!t.content_aborted && !t.content_failed && !t.data_failed) decisive.store(info);
        if (positive(info)) ++t.delivered;
        else if (lmtp_) t.content_failed = true;
        t.content_replied = t.content_replies >= content_replies_due(t);
    }

    // RFC 3030 §2: each chunk is answered; the reply to the LAST one is the final reply.
    // The first refusal decides the transaction, unless MAIL or every RCPT already did.
    void on_bdat(const reply_info& info) noexcept {
        const bool last = tx_.content_sent && tx_.chunks_replied + 1 >= tx_.chunks;
        if (last && lmtp_) {  // RFC 2033 §4.2: the LAST chunk is answered per recipient
            tx_.chunks_replied = tx_.chunks;
            on_content(tx_, st().decisive, info, verb::bdat);
            return;
        }
        events_.push(command_reply{verb::bdat, tx_.chunks_replied++, last, tx_.id, info});
        const bool decides = last || !positive(info);
        if (decides && !tx_.data_failed && !tx_.mail_failed && tx_.accepted > 0) st().decisive.store(info);
        if (!positive(info)) tx_.data_failed = true;
        if (last) tx_.content_replied = true;
    }

    // A reply due to a transaction the application abandoned with reset() or quit():
    // reported under that transaction's id, changing nothing.
    void on_abandoned_reply(const pending_entry& answered, const reply_info& info) noexcept {
        const bool rcpt = answered.kind == pending::rcpt;
        const verb v = answered.kind == pending::mail ? verb::mail
                       : rcpt                          ? verb::rcpt
                       : answered.kind == pending::bdat ? verb::bdat
                                                        : verb::data;
        events_.push(command_reply{v, rcpt ? abandoned_rcpt_index_++ : 0, false, answered.transaction, info});
    }

    // --- send_mail() -------------------------------------------------------------

    // Issues the job's RCPTs, then DATA, as far as can_send() allows. The envelope was
    // checked by send_mail(), so only output_full stops it (until the output drains).
    void issue_job_commands() noexcept {
        while (tx_.active && !tx_.data_sent && !tx_.mail_failed && can_send()) {
            const envelope& env = *job_.env;
            const std::size_t i = job_.next_recipient;
            const errc e = i < env.recipient_count
                               ? write_rcpt(env.recipients[i], i < 64 && (job_.checked_as_given >> i & 1) != 0)
                               : data();
            if (e != errc::ok) return;
            if (job_.next_recipient < env.recipient_count) ++job_.next_recipient;
        }
    }

    // --- content -----------------------------------------------------------------

    // Moves content given with send_body(), then the end of data, into the output,
    // which has room for at least a command line. Returns false when the application
    // has to give more content or end it.
    bool pass_content() noexcept {
        if (tx_.chunking) return pass_chunk();
        const std::size_t room = out_.free_space();
        char* p = out_.reserve(room);
        if (!body_.empty()) {
            const stuff_result r = stuffer_.encode(body_, p, room);
            out_.commit(r.written);
            body_.remove_prefix(r.consumed);
            return true;
        }
        if (!end_requested_) return false;
        const std::size_t n = stuffer_.finish(p, room);
        out_.commit(n);
        tx_.content_sent = true;
        phase_ = phase::ready;
        expect_content_replies();
        if (pipelining() && finishing().id == 0) {
            // Only the replies to the content are due, and after them the server holds
            // no envelope (RFC 5321 §4.1.1.4): the next transaction may start behind
            // the dot. (A BDAT transaction stays open: a refused chunk may leave the
            // envelope on the server, to be cleared by RSET before the next MAIL.)
            finishing() = tx_;
            st().finishing_decisive.clear();
            tx_ = open_transaction{};
            job_ = mail_job{};
        }
        return true;
    }

    // With PIPELINING a chunk starts while fewer than max_unacknowledged octets wait
    // for replies (BDAT does not end a group: RFC 3030 §2, pipelined in §4.2), but only
    // the first before a recipient is accepted: with none accepted every chunk is one
    // more refusal, and a server closes the connection after too many errors. Without
    // PIPELINING a chunk starts once every reply is in.
    bool may_start_chunk() const noexcept {
        // LMTP: the LAST chunk is answered once per accepted recipient (RFC 2033 §4.2),
        // so it waits until every RCPT is answered.
        if (lmtp_ && end_requested_ && body_.size() <= chunk_size_ && tx_.replied < tx_.recipients) return false;
        if (!pipelining()) return pending_count_ == 0;
        return unacknowledged_ < max_unacknowledged_ && (tx_.chunks == 0 || tx_.accepted != 0);
    }

    // Moves the rest of the chunk under way into the output, or starts the next chunk:
    // "BDAT <size>" CRLF, with " LAST" when end_body() was called and it takes the rest
    // of the content. The output has room for the command (own_command_size_). Returns
    // false when the next chunk has to wait for content or for replies.
    bool pass_chunk() noexcept {
        if (chunk_left_ == 0) {
            if (!may_start_chunk() || (body_.empty() && !end_requested_)) return false;
            const std::size_t size = body_.size() < chunk_size_ ? body_.size() : chunk_size_;
            const bool last = end_requested_ && size == body_.size();
            char line[max_bdat_command];
            std::memcpy(line, "BDAT ", 5);
            const auto r = std::to_chars(line + 5, line + sizeof line, size);
            std::size_t n = static_cast<std::size_t>(r.ptr - line);
            if (last) {
                std::memcpy(line + n, " LAST", 5);
                n += 5;
            }
            line[n++] = '\r';
            line[n++] = '\n';
            (void)out_.append(std::string_view(line, n));
            chunk_left_ = size;
            tx_.content_sent = last;
            ++tx_.chunks;
            expect(pending::bdat, n + size);
            for (std::size_t i = 1; last && lmtp_ && i < tx_.accepted; ++i) expect(pending::bdat, 0);
        } else {
            const std::size_t room = out_.free_space();
            const std::size_t n = chunk_left_ < room ? chunk_left_ : room;
            (void)out_.append(body_.substr(0, n));
            body_.remove_prefix(n);
            chunk_left_ -= n;
        }
        if (chunk_left_ == 0 && tx_.content_sent) phase_ = phase::ready;
        return true;
    }

    // A refused chunk, MAIL or every RCPT: the transaction cannot succeed, so no more
    // chunks go (RFC 3030 §2); it ends when the replies still due are in.
    void stop_chunks() noexcept {
        tx_.data_failed = true;
        phase_ = phase::ready;
        body_ = {};
        end_requested_ = false;
    }

    // --- failures and the end of a transaction ------------------------------------

    // A command may still be written: not inside the content, not while the server
    // may be reading content (DATA's reply due), not after QUIT or the server's EOF.
    bool may_send_quit() const noexcept {
        return phase_ != phase::content && phase_ != phase::quitting && !awaiting(pending::data) &&
               !input_.eof();
    }

    // The session cannot go on: report, QUIT where the connection allows it and the
    // server has not said it is closing, then close.
    void fail(client_error what, const reply_info& info = {}) noexcept {
        events_.push(client_failure{what, info});
        if (what != client_error::service_closing && what != client_error::connection_closed &&
            may_send_quit())
            (void)out_.append("QUIT\r\n");
        phase_ = phase::closed;
        body_ = {};
        job_ = mail_job{};
        input_.discard();
    }

    // A refusal the server announced: report it, then QUIT politely and wait for 221.
    void fail_and_quit(client_error what, const reply_info& info) noexcept {
        events_.push(client_failure{what, info});
        (void)out_.append("QUIT\r\n");
        phase_ = phase::quitting;
        expect(pending::quit, 6);
    }

    std::string_view hello_verb() const noexcept { return lmtp_ ? "LHLO " : "EHLO "; }

    void send_hello(std::string_view verb_sp, pending p) noexcept {
        (void)out_.append(verb_sp);
        (void)out_.append(helo_name());
        (void)out_.append("\r\n");
        expect(p, verb_sp.size() + helo_name().size() + 2);
    }

    // reset() or quit() leaves the open transaction; its outstanding replies are
    // reported under its id, RCPTs numbered on from where they were. A transaction
    // whose content is sent is complete on the client's side: it is not abandoned, and
    // its final reply and transaction_done still come (RFC 2920 §4 pipelines QUIT
    // right behind the final dot).
    // A transaction whose BDAT chunks have started is not abandoned either: its chunks'
    // replies are due to it.
    void abandon_transaction() noexcept {
        if (!tx_.active || tx_.content_sent || (tx_.chunking && tx_.data_sent)) return;
        job_ = mail_job{};
        abandoned_rcpt_index_ = tx_.replied;
        tx_ = open_transaction{};
    }

    // The transaction is over: report it and, if the server may still hold its
    // envelope, send RSET: also after a refused BDAT chunk, the LAST one included (RFC
    // 3030 §2 ends the transaction only for the client; a server may keep the envelope
    // for another try).
    void finish_transaction() noexcept {
        const transaction_done done = transaction_result(tx_, st().decisive.info);
        const bool needs_rset = tx_.mail_accepted && (!tx_.content_replied || tx_.data_failed);
        tx_ = open_transaction{};
        job_ = mail_job{};
        events_.push(done);
        if (needs_rset && phase_ == phase::ready) {
            (void)out_.append("RSET\r\n");
            expect(pending::rset, 6);
        }
    }

    // How transaction `t` ended, decided by `decisive`.
    transaction_done transaction_result(const open_transaction& t, const reply_info& decisive) const noexcept {
        transaction_done done{outcome::success, t.recipients, t.accepted, 0, t.id, decisive};
        // Content answered with no recipient accepted reached no one: DATA's "." after a
        // 354, or a BDAT LAST that went with the envelope; the recipients decide.
        const bool delivered = t.content_replied && !t.content_aborted && t.accepted != 0;
        if (!delivered && !t.mail_failed && t.accepted == 0)
            done.result = t.transient_rcpt ? outcome::transient : outcome::permanent;
        else if (decisive.result() != outcome::success || delivered)
            done.result = decisive.result();
        else
            done.result = outcome::permanent;  // a failure without a failing reply: be safe
        if (lmtp_) done.delivered = t.content_aborted ? 0 : t.delivered;
        else if (done.result == outcome::success) done.delivered = t.accepted;
        return done;
    }

    // A new transaction may start: none is open, and no reply is due to any but the
    // one whose content is sent (finishing()).
    bool may_open_transaction() const noexcept {
        return !tx_.active && transaction_replies_ == st().finishing.outstanding;
    }

    // The larger parts of the state, kept out of the session object so that it stays
    // small (at most 1 KiB), in the one allocation made at construction, after the
    // output buffer's octets: the server's capabilities with their keyword storage,
    // the replies due, the text of the last reply, the transaction whose final reply is
    // still due after the next one started, the replies that decide each of the two,
    // and the EHLO name. Null only when that allocation failed: the
    // session is then closed (invalid_config).
    struct storage {
        capabilities caps{};
        std::array<pending_entry, pending_capacity> pending{};
        std::array<char, text_capacity> text{};  // the first line of the last reply
        open_transaction finishing{};            // its content sent, tx_ open behind it
        decisive_reply decisive{};               // of tx_
        decisive_reply finishing_decisive{};     // of finishing
        std::size_t helo_size = 0;                        // of the EHLO name that follows
    };
    // Nothing to destroy: the block is freed with the output buffer that owns it.
    static_assert(std::is_trivially_destructible_v<storage>);

    // The storage, found from the output buffer's block (so a moved-from session, whose
    // buffer has none, has none either); null when the allocation failed.
    const storage* store() const noexcept { return out_.block() != nullptr ? &st() : nullptr; }
    // The same where it exists (the session is open, so the allocation succeeded).
    storage& st() noexcept {
        return *std::launder(reinterpret_cast<storage*>(out_.block() + storage_at_));
    }
    const storage& st() const noexcept {
        return *std::launder(reinterpret_cast<const storage*>(out_.block() + storage_at_));
    }

    // The output buffer's octets, the storage at the next multiple of its alignment,
    // and the EHLO name, in one allocation; null when it fails or its size would
    // overflow. (The array from new char[] is aligned for any object that fits in it.)
    static std::size_t storage_offset(std::size_t output) noexcept {
        return (output + alignof(storage) - 1) / alignof(storage) * alignof(storage);
    }
    static std::unique_ptr<char[]> allocate_block(std::size_t output, std::string_view helo_name) noexcept {
        constexpr std::size_t max = static_cast<std::size_t>(-1);
        if (output > max - alignof(storage) - sizeof(storage) - helo_name.size()) return nullptr;
        return std::unique_ptr<char[]>(new (std::nothrow) char[storage_offset(output) + sizeof(storage) +
                                                                helo_name.size()]);
    }
    static std::size_t block_output_capacity(const client_config& c) noexcept {
        return output_capacity(c.output_buffer, longest_auth_line(c.auth, usable_mechanisms(c.auth)));
    }
    std::string_view helo_name() const noexcept {
        return {reinterpret_cast<const char*>(&st() + 1), st().helo_size};
    }

    open_transaction& finishing() noexcept { return st().finishing; }
    capabilities& caps() noexcept { return st().caps; }
    const capabilities& caps() const noexcept { return st().caps; }
    // What server_capabilities() shows of a session without storage: nothing.
    static const capabilities& no_capabilities() noexcept {
        static constexpr capabilities none{};
        return none;
    }

    // Configuration.
    std::size_t own_command_size_;  // the longest command the session writes itself
    bool pipelining_wanted_;
    std::size_t max_unacknowledged_;
    client_timeouts timeouts_;
    tls_policy tls_policy_;
    bool tls_active_;
    std::size_t discarded_ = 0;  // octets dropped since the 220 to STARTTLS

    // AUTH (RFC 4954).
    auth_strings auth_;
    sasl::mechanism_set auth_usable_;  // what the credentials allow (usable_mechanisms())
    std::size_t auth_room_;            // the longest line of the exchange; 0 without AUTH
    std::unique_ptr<sasl::scram_sha256_client> scram_;  // only when SCRAM-SHA-256 is usable
    std::size_t auth_step_ = 0;        // client messages sent in the exchange
    sasl::mechanism auth_mechanism_ = sasl::mechanism::plain;
    bool auth_in_clear_;
    bool lmtp_;
    bool authenticated_ = false;
    bool auth_extended_ = true;
    bool server_verified_ = false;     // SCRAM: the server's signature was right

    // Input and replies.
    session_input input_;
    reply_parser parser_;
    std::size_t line_limit_;
    std::size_t text_size_ = 0;  // of st().text

    // Protocol state.
    phase phase_ = phase::greeting;
    open_transaction tx_;
    transaction_id last_transaction_ = 0;
    std::size_t abandoned_rcpt_index_ = 0;
    std::uint64_t epoch_ = 0;

    // The message send_mail() is sending: its borrowed envelope and content, the next
    // recipient to issue, and while send_mail() runs, which of the first 64 recipients
    // it checked and found written as given (bit i for recipients[i]).
    struct mail_job {
        bool active = false;
        const envelope* env = nullptr;
        std::string_view content;
        std::size_t next_recipient = 0;
        std::uint64_t checked_as_given = 0;
    };
    mail_job job_;

    // Content: the part borrowed from send_body() not yet in the output.
    std::string_view body_;
    bool end_requested_ = false;
    bdat_policy bdat_policy_;
    dot_stuffer stuffer_{false};  // send_body() judges 8-bit content itself
    std::size_t chunk_size_;       // the most octets of one BDAT chunk
    std::size_t chunk_left_ = 0;   // octets of the chunk under way not yet in the output

    // Replies due, in st().pending: a ring of pending_capacity entries.
    std::size_t pending_head_ = 0;
    std::size_t pending_size_ = 0;
    std::size_t pending_count_ = 0;        // replies due
    std::size_t group_enders_ = 0;         // of them, to group-ending commands
    std::size_t transaction_replies_ = 0;  // of them, to any transaction's commands
    std::size_t unacknowledged_ = 0;       // octets of the commands they answer

    // Events waiting to be returned, in order: at most two follow one reply, plus a
    // failure from timed_out().
    event_ring<client_event, 4> events_;

    output_buffer out_;
    std::size_t storage_at_;  // storage_offset() of the output buffer's octets
};

} // namespace v0
} // namespace smtpwire

#endif
