// The server role of SMTP as a sans-I/O state machine: bytes in, events and replies out.
// RFC 5321 §3, §4 (procedures, replies), RFC 2920 (PIPELINING), 1870 (SIZE), 6152, 6531, 2034,
// RFC 3207 (STARTTLS), RFC 8314 (implicit TLS), RFC 4954 (AUTH).
#ifndef SMTPWIRE_SERVER_SESSION_HPP
#define SMTPWIRE_SERVER_SESSION_HPP

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "smtpwire/ascii.hpp"
#include "smtpwire/base64.hpp"
#include "smtpwire/command.hpp"
#include "smtpwire/data_decoder.hpp"
#include "smtpwire/domain.hpp"
#include "smtpwire/errc.hpp"
#include "smtpwire/event_ring.hpp"
#include "smtpwire/extension.hpp"
#include "smtpwire/leniency.hpp"
#include "smtpwire/limits.hpp"
#include "smtpwire/lmtp_replies.hpp"
#include "smtpwire/line_scanner.hpp"
#include "smtpwire/mail_parameters.hpp"
#include "smtpwire/rcpt_parameters.hpp"
#include "smtpwire/output_buffer.hpp"
#include "smtpwire/path.hpp"
#include "smtpwire/crypto/hex.hpp"
#include "smtpwire/crypto/hmac.hpp"
#include "smtpwire/crypto/sha256.hpp"
#include "smtpwire/reply.hpp"
#include "smtpwire/sasl/cram_md5.hpp"
#include "smtpwire/sasl/gs2.hpp"
#include "smtpwire/sasl/login.hpp"
#include "smtpwire/sasl/mechanism.hpp"
#include "smtpwire/sasl/oauthbearer.hpp"
#include "smtpwire/sasl/plain.hpp"
#include "smtpwire/sasl/scram.hpp"
#include "smtpwire/sasl/xoauth2.hpp"
#include "smtpwire/server_config.hpp"
#include "smtpwire/server_events.hpp"
#include "smtpwire/server_state.hpp"
#include "smtpwire/session_input.hpp"
#include "smtpwire/timeouts.hpp"

namespace smtpwire {
inline namespace v0 {

/// One SMTP server connection. Feed it the peer's bytes, pull events, answer decisions,
/// write its output. It never blocks, reads a clock, throws or allocates after
/// construction; it holds no input of its own (see feed()).
///
/// Loop:
///     for (;;) { auto ev = s.next_event(); ... }
///     need_data   -> read; feed(unconsumed() + new bytes)
///     need_output -> write output(); consume_output(n)
///     decisions   -> accept() / accept(text) / reject(reply), now or later
///     closed      -> close the socket
class server_session {
public:
    /// A session for `config`, whose strings are copied. A configuration that cannot be
    /// honoured (see check_config()) gives a session that writes nothing: config_status()
    /// says why, and next_event() returns closing{close_reason::invalid_config}, then
    /// closed. Allocates the output buffer, a copy of the hostname when it is too long
    /// for std::string's own storage, and with AUTH offered its state (about 3 KiB) and
    /// a buffer for the decoded SASL responses (limits::auth_line * 3 / 4 octets);
    /// nothing after.
    explicit server_session(const server_config& config = {})
        : config_status_(check_config(config)),
          hostname_(config_status_ == config_error::ok ? config.hostname : std::string_view{}),
          extensions_(config.lmtp ? with_lmtp_extensions(config.extensions) : config.extensions),
          limits_(normalised(config.limits)),
          leniency_(config.leniency),
          bare_newlines_(config.bare_newlines),
          early_input_(config.early_input),
          timeouts_(config.timeouts),
          tls_active_(config.implicit_tls),
          auth_(config.auth),
          decoder_(config.bare_newlines, limits_.text_line),
          reserve_(reserve_for(hostname_.size(), keyword_lines_bound(auth_.mechanisms))),
          out_(config_status_ != config_error::ok       ? 0
               : limits_.output_buffer > reserve_ ? limits_.output_buffer
                                                  : reserve_) {
        if (config_status_ != config_error::ok) {
            close_session(close_reason::invalid_config);
            return;
        }
        if (extensions_.has(extension::auth))
            auth_state_.reset(new auth_storage(base64_decoded_max(limits_.auth_line)));
        if (config.lmtp) lmtp_.reset(new lmtp_replies(limits_.recipients, limits_.output_buffer));
    }

    /// config_error::ok, or why the configuration given at construction cannot be
    /// honoured (the session is then closed and writes nothing).
    [[nodiscard]] config_error config_status() const noexcept { return config_status_; }

    /// Gives the session the peer's next bytes, which must start with unconsumed()
    /// (the incomplete line left from the previous feed). The session borrows them:
    /// keep them unchanged until the next feed(). Accepted whenever the bytes fed
    /// before are consumed up to an incomplete line (wants_read()), whether or not
    /// output waits or a decision is pending; errc::wrong_state otherwise, and nothing
    /// changes. Once the session is closed, and from a STARTTLS command until
    /// tls_established() or a refusal of TLS, bytes are accepted and discarded unread.
    [[nodiscard]] errc feed(std::string_view bytes) noexcept {
        if (state_ == server_state::closed || discarding_) {
            if (state_ != server_state::closed) discarded_ += bytes.size();
            input_.feed(bytes);
            input_.discard();
            return errc::ok;
        }
        if (!input_.accepts_feed()) return errc::wrong_state;
        if (!bytes.empty() && (state_ == server_state::greeting || greeting_unsent_ > 0))
            pregreet_ = true;
        input_.feed(bytes);
        epoch_ = ++epochs_;
        return errc::ok;
    }

    /// The peer closed its side. Complete lines already fed are still processed; then
    /// an unfinished message is aborted and the session closes.
    void feed_eof() noexcept { input_.close(); }

    /// The bytes of the last feed() not yet consumed: after need_data, an incomplete
    /// line (shorter than limits::command_line) to present again at the start of
    /// the next feed(). Valid as long as the fed bytes are.
    [[nodiscard]] std::string_view unconsumed() const noexcept { return input_.rest(); }

    /// True when feed() would take bytes now: poll the socket for reading. False while
    /// complete input waits to be processed (behind a full output buffer or a pending
    /// decision), so memory stays bounded.
    [[nodiscard]] bool wants_read() const noexcept {
        return state_ != server_state::closed && state_ != server_state::tls_handover &&
               !input_.eof() && input_.accepts_feed();
    }

    /// True when output() is not empty: poll the socket for writing.
    [[nodiscard]] bool wants_write() const noexcept { return has_output(); }

    /// The next event. Views inside it are valid until the next non-const call.
    [[nodiscard]] server_event next_event() noexcept {
        for (;;) {
            // While a decision waits, look for the end of the next command line, so
            // that the rest of an incomplete one can be fed meanwhile (full duplex).
            if (pending_ != decision::none && !skipping_ && state_ != server_state::data && !in_chunk_)
                (void)input_.find_line();
            // A decision is only ever queued into an empty queue, so next_event()
            // returns it in the call that asked it: an answer can never precede it.
            if (!events_.empty()) return events_.pop();
            switch (blocked_by()) {
            case blocker::decision: return has_output() ? server_event{need_output{}} : server_event{paused{}};
            case blocker::end: return has_output() ? server_event{need_output{}} : server_event{closed{}};
            case blocker::greeting:
                pending_ = decision::greeting;
                return client_connected{next_decision()};
            case blocker::output: return need_output{};
            case blocker::handover: return has_output() ? server_event{need_output{}} : server_event{tls_handover{discarded_}};
            case blocker::none: break;
            }
            if (in_chunk_) {
                // A BDAT chunk: exactly its octets, as they are, never read as commands.
                const std::string_view rest = input_.rest();
                const std::size_t n = chunk_left_ < rest.size() ? static_cast<std::size_t>(chunk_left_) : rest.size();
                input_.consume(n);
                chunk_left_ -= n;
                if (n != 0 && !chunk_discard_) {
                    message_size_ += n;
                    return body_chunk{rest.substr(0, n)};
                }
                if (chunk_left_ == 0) {
                    end_of_chunk();
                    continue;
                }
            } else if (state_ == server_state::data) {
                // The hot path, kept here so a body chunk is built once, in place.
                const data_piece piece = decoder_.next(input_.rest());
                input_.consume(piece.consumed);
                if (piece.what == data_piece::kind::content) {
                    if (content_accepted(piece.bytes.size())) return body_chunk{piece.bytes};
                    continue;
                }
                if (piece.what == data_piece::kind::end) {
                    end_of_data();
                    continue;
                }
            } else if (!(skipping_ ? skip_overlong_line() : read_command())) {
                continue;
            }
            // Nothing complete is left in the input: finish at its end, or flush and
            // ask for more.
            if (input_.eof()) {
                abort_transaction();
                close_session(close_reason::peer_closed);
                continue;
            }
            return has_output() ? server_event{need_output{}} : server_event{need_data{}};
        }
    }

    /// Answers the pending decision with the default positive reply for its event.
    /// Errors: no_decision_pending; reply_too_long.
    [[nodiscard]] errc accept() noexcept { return accept(std::string_view{}); }

    /// accept(text), accept(reply) and reject(reply) for the decision `id` (the event's
    /// `decision` member), for answers given later: errc::stale_decision, and nothing
    /// changes, when `id` is not the pending decision (answered already, or cancelled
    /// by shutdown()).
    [[nodiscard]] errc accept(decision_id id, std::string_view text = {}) noexcept {
        if (const errc e = answerable(id); e != errc::ok) return e;
        return accept(text);
    }
    [[nodiscard]] errc accept(decision_id id, const reply& r) noexcept {
        if (const errc e = answerable(id); e != errc::ok) return e;
        return accept(r);
    }
    [[nodiscard]] errc reject(decision_id id, const reply& r) noexcept {
        if (const errc e = answerable(id); e != errc::ok) return e;
        return reject(r);
    }

    /// LMTP (server_config::lmtp): answers message_end `id` for one recipient, the
    /// `recipient`-th accepted in this transaction (from 0, in RCPT order; message_end
    /// tells how many). Recipients may be answered in any order and at any time; the
    /// replies are written in RCPT order (RFC 2033 §4.2), each as soon as those before
    /// it are. The decision ends when every recipient has its answer; accept() and
    /// reject() of the decision answer all that have none yet with one reply (a 421
    /// closes the session instead). accept_recipient: 250 2.0.0 with `text` (default
    /// "OK"), or the application's 2xx reply; reject_recipient: its 4xx or 5xx reply,
    /// not 421. Replies that wait for an earlier recipient share
    /// limits::output_buffer octets.
    /// Errors: stale_decision; wrong_state (not LMTP, or `id` is not a message_end);
    /// invalid_argument (no such recipient, or it has its answer); invalid_reply;
    /// output_full (the reply must wait and does not fit: write output(), answer
    /// earlier recipients, or give a shorter text).
    [[nodiscard]] errc accept_recipient(decision_id id, std::size_t recipient, std::string_view text = {}) noexcept {
        return answer_recipient(id, recipient, {250, {2, 0, 0}, text.empty() ? "OK" : text});
    }
    [[nodiscard]] errc accept_recipient(decision_id id, std::size_t recipient, const reply& r) noexcept {
        if (r.code < 200 || r.code > 299) return errc::invalid_reply;
        return answer_recipient(id, recipient, r);
    }
    [[nodiscard]] errc reject_recipient(decision_id id, std::size_t recipient, const reply& r) noexcept {
        if (r.code < 400 || r.code == 421) return errc::invalid_reply;
        return answer_recipient(id, recipient, r);
    }

    /// Answers the pending decision positively with the application's own text (empty
    /// text means the default). For client_connected and hello the text follows the
    /// hostname on the first line and must be a single line. The text is copied.
    /// Errors: no_decision_pending; invalid_reply (control bytes, or a line break where one line is required);
    /// reply_too_long (it does not fit in the output buffer).
    [[nodiscard]] errc accept(std::string_view text) noexcept {
        if (const errc e = answerable(); e != errc::ok) return e;
        if (auth_step_ == auth_step::scram_credentials) return errc::wrong_state;
        const bool one_line = pending_ == decision::greeting || pending_ == decision::hello;
        if (one_line && text.find('\n') != std::string_view::npos) return errc::invalid_reply;
        if (validate_reply(reply{250, {}, text}) != errc::ok) return errc::invalid_reply;
        const errc e = write_positive(text);
        if (e != errc::ok) return e;
        if (pending_ == decision::greeting) greeting_unsent_ = static_cast<std::uint16_t>(out_.size());
        resolved();
        return errc::ok;
    }

    /// Answers the pending decision positively with the application's own reply: a 2xx
    /// code (354 for data_begin, 220 for starttls_request), e.g. "250 Mark Crispin <Admin.MRC@foo.com>" to VRFY or
    /// 251 to RCPT. Not for client_connected and hello, whose replies carry the hostname
    /// (use accept(text)). An empty status is filled with "2.0.0" where enhanced status
    /// codes are in use. The reply is copied.
    /// Errors: no_decision_pending; invalid_reply; reply_too_long.
    [[nodiscard]] errc accept(const reply& r) noexcept {
        if (const errc e = answerable(); e != errc::ok) return e;
        if (auth_step_ == auth_step::scram_credentials) return errc::wrong_state;
        if (validate_reply(r) != errc::ok || pending_ == decision::greeting ||
            pending_ == decision::hello || (pending_ == decision::data && chunked_))
            return errc::invalid_reply;
        if (pending_ == decision::data       ? r.code != 354
            : pending_ == decision::starttls ? r.code != 220
                                             : (r.code < 200 || r.code > 299))
            return errc::invalid_reply;
        reply out = r;
        if (out.status.empty() && r.code != 354) out.status = enhanced_status{2, 0, 0};
        if (!(pending_ == decision::message ? write_message_reply(out) : write_reply(out, r.code != 354)))
            return errc::reply_too_long;
        const errc e = enter_accepted_state();
        resolved();
        return e;
    }

    /// Answers the pending decision negatively with the application's reply (4xx/5xx;
    /// for client_connected only 554 or 421). An empty status is filled with the
    /// code's class ("x.0.0") where enhanced status codes are in use; empty text
    /// becomes "Error". A 421 closes the session after the reply: if the decision was
    /// mail_from, rcpt_to, data_begin or message_end, or a transaction is open,
    /// transaction_reset comes before closing. Any other code changes no state but the
    /// decision's own (a refused HELO/EHLO changes nothing, RFC 5321 §4.1.4). The reply
    /// is copied.
    /// Errors: no_decision_pending; invalid_reply; reply_too_long.
    [[nodiscard]] errc reject(const reply& r) noexcept {
        if (const errc e = answerable(); e != errc::ok) return e;
        if (validate_reply(r) != errc::ok || r.code < 400) return errc::invalid_reply;
        if (pending_ == decision::greeting && r.code != 554 && r.code != 421)
            return errc::invalid_reply;
        const reply out = with_defaults(r);
        if (pending_ == decision::auth && r.code != 421 &&
            (auth_mechanism_ == sasl::mechanism::xoauth2 || auth_mechanism_ == sasl::mechanism::oauthbearer))
            return refuse_token(out);
        const std::size_t before = out_.size();
        const decision was = pending_;
        // LMTP: a message refused, or a BDAT LAST chunk refused before its octets, is
        // refused for each recipient; a 421 ends the session, with one reply.
        const bool per_recipient = lmtp_ && r.code != 421 &&
                                   (was == decision::message || (was == decision::data && chunked_ && chunk_last_));
        if (lmtp_ && r.code == 421) lmtp_->clear();
        if (per_recipient && was == decision::data) (void)lmtp_->start(accepted_recipients_);
        if (!(per_recipient ? write_message_reply(out) : write_reply(out, status_allowed())))
            return errc::reply_too_long;
        if (was == decision::data && chunked_) {
            // RFC 3030 §2: the refusal follows the chunk's octets, which are dropped.
            held_ += static_cast<std::uint16_t>(out_.size() - before);
            chunked_ = false;
            if (per_recipient) {  // every recipient has its answer: the transaction is over
                queue(transaction_reset{});
                state_ = server_state::ready;
            }
        }
        if (was == decision::greeting) greeting_unsent_ = static_cast<std::uint16_t>(out_.size());
        if (was == decision::starttls) discarding_ = false;  // the session goes on in clear
        if (was == decision::auth) state_ = server_state::ready;
        resolved();
        if (r.code == 421) {
            // An error close: the transaction this decision belongs to ends with it, and
            // is reported as server_events.hpp promises. That covers a transaction being
            // opened (mail_from) and one whose message waits for its answer (message_end,
            // decided in state ready), as well as one open around any other decision.
            if (transaction_active() || was == decision::mail || was == decision::message)
                queue(transaction_reset{});
            close_session(close_reason::refused);
        } else if (was == decision::greeting) {
            state_ = server_state::refused;
        } else if (was == decision::message) {
            state_ = server_state::ready;
        } else if (was == decision::auth) {
            count_error();  // RFC 4954 §4: failed attempts are limited like other errors
        }
        return errc::ok;
    }

    /// Bytes to write to the peer; valid until the next non-const call.
    [[nodiscard]] std::string_view output() const noexcept {
        const std::string_view all = out_.view();
        return all.substr(0, all.size() - held_);
    }

    /// Marks the first `n` bytes of output() as written.
    void consume_output(std::size_t n) noexcept {
        if (n > out_.size() - held_) n = out_.size() - held_;
        greeting_unsent_ -= static_cast<std::uint16_t>(n < greeting_unsent_ ? n : greeting_unsent_);
        out_.consume(n);
        write_lmtp_replies();
    }

    /// True once the peer sent bytes before it could have seen the greeting: a feed()
    /// with bytes while client_connected was unanswered (pulled or not), or while the
    /// greeting reply (220, or 554) was not yet wholly consumed from output(). RFC 5321
    /// §3.1 and §4.3.1 have the client wait for the greeting; talking first is the mark
    /// of bulk-mail software that Postfix postscreen's pregreet test looks for. To test
    /// for it, keep reading while client_connected is pending (feed() is allowed then,
    /// once) and answer it after a pause; reject() with 554 if this became true. The
    /// session itself treats the bytes as any other input: they are read as commands
    /// after the greeting.
    [[nodiscard]] bool pregreet_input() const noexcept { return pregreet_; }

    /// True when the session is closed and all output has been consumed.
    [[nodiscard]] bool done() const noexcept {
        return state_ == server_state::closed && out_.empty();
    }

    /// The protocol state, for logs and tests.
    [[nodiscard]] server_state state() const noexcept { return state_; }

    /// True when the connection is encrypted: after tls_established(), or from the
    /// start with server_config::implicit_tls.
    [[nodiscard]] bool tls_active() const noexcept { return tls_active_; }

    /// True once an AUTH exchange succeeded (an auth_request was accepted).
    [[nodiscard]] bool authenticated() const noexcept { return authenticated_; }

    /// Gives the session at least 16 random octets (from getrandom(), /dev/urandom or
    /// the TLS library's generator) from which it derives the challenges of CRAM-MD5
    /// and the nonces of SCRAM-SHA-256 (HMAC-SHA-256 of a counter, keyed with their
    /// SHA-256). Until it is called those two mechanisms are neither announced nor
    /// served. The octets are not kept. Errors: invalid_argument (fewer than 16
    /// octets), wrong_state (AUTH not offered).
    [[nodiscard]] errc seed_nonces(std::string_view entropy) noexcept {
        if (entropy.size() < 16) return errc::invalid_argument;
        if (!auth_state_) return errc::wrong_state;
        auth_state_->nonce_key = crypto::sha256::hash(entropy);
        auth_state_->seeded = true;
        return errc::ok;
    }

    /// Answers an auth_request for SCRAM-SHA-256 with the user's stored credentials
    /// (sasl::make_scram_credentials(); the server never needs the password). The
    /// exchange goes on; the session itself checks the client's proof, answers 235 or
    /// 535 5.7.8, and authenticated() tells which. Refuse an unknown user with
    /// reject(). `credentials.salt` is read before this returns. Errors: stale_decision;
    /// wrong_state when the decision is not a SCRAM auth_request.
    [[nodiscard]] errc accept(decision_id id, const sasl::scram_credentials& credentials) noexcept {
        if (const errc e = answerable(id); e != errc::ok) return e;
        if (pending_ != decision::auth || auth_step_ != auth_step::scram_credentials) return errc::wrong_state;
        auth_storage& st = *auth_state_;
        char nonce[32];
        next_nonce(nonce);
        resolved();
        if (st.scram.start({nonce, sizeof nonce}, credentials) != sasl::scram_error::ok) {
            auth_syntax_error();
            return errc::ok;
        }
        auth_step_ = auth_step::scram_final;
        challenge_base64(st.scram.server_first());
        return errc::ok;
    }

    /// The TLS handshake that followed tls_handover succeeded: the session starts over
    /// as RFC 3207 §4.2 requires, without a new greeting, in state `connected`. The EHLO
    /// name and everything learned in clear are forgotten; MAIL needs a new EHLO or HELO,
    /// whose reply announces the extensions offered under TLS (STARTTLS no longer).
    /// Feed the decrypted bytes from now on. Errors: wrong_state outside tls_handover.
    [[nodiscard]] errc tls_established() noexcept {
        if (state_ != server_state::tls_handover) return errc::wrong_state;
        const bool eof = input_.eof();
        input_ = session_input{};
        if (eof) input_.close();
        discarding_ = false;
        discarded_ = 0;
        tls_active_ = true;
        authenticated_ = false;
        state_ = server_state::connected;
        ehlo_ = false;
        smtputf8_ = false;
        epoch_ = ++epochs_;
        return errc::ok;
    }

    /// What inactivity to time now (RFC 5321 §4.5.3.2.7). Re-read after every feed() and
    /// decision; `epoch` changes then, so each arming covers one wait for the peer.
    [[nodiscard]] timeout current_timeout() const noexcept {
        if (state_ == server_state::closed || state_ == server_state::greeting ||
            state_ == server_state::tls_handover || pending_ != decision::none)
            return {timeout_kind::none, std::chrono::milliseconds{0}, epoch_};
        if (state_ == server_state::data)
            return {timeout_kind::data, timeouts_.data, epoch_};
        return {timeout_kind::command, timeouts_.command, epoch_};
    }

    /// The deadline running now, if any (server_timeouts::command_line_deadline and
    /// data_deadline; none when they are off). command_line_deadline runs while the
    /// session waits for the rest of an incomplete command line (an overlong one being
    /// skipped included), from the first next_event() that found it incomplete to its
    /// CRLF; data_deadline from the accept() that writes the 354 to the final ".".
    /// `epoch` changes only when a new line or DATA phase starts: arm the timer once per
    /// epoch, not at every call. A pending decision stops no deadline, but none runs
    /// while one is pending: decisions follow complete lines, and DATA has none.
    /// Epochs of timeouts and deadlines come from one counter and never coincide.
    [[nodiscard]] timeout current_deadline() const noexcept {
        if (state_ == server_state::closed || deadline_ == timeout_kind::none)
            return {timeout_kind::none, std::chrono::milliseconds{0}, deadline_epoch_};
        return {deadline_, deadline_duration(deadline_), deadline_epoch_};
    }

    /// The timer armed for `epoch`, from current_timeout() or current_deadline(),
    /// expired. If that timeout or deadline is still the current one, the session
    /// answers 421 4.4.2, emits protocol_error and closing, and closes; otherwise (a
    /// stale epoch) nothing happens.
    void timed_out(std::uint64_t epoch) noexcept {
        const bool idle = epoch == epoch_ && current_timeout().kind != timeout_kind::none;
        const bool late =
            epoch == deadline_epoch_ && current_deadline().kind != timeout_kind::none;
        if (!idle && !late) return;
        abort_transaction();
        queue(protocol_error{server_error::timeout, 421});
        write_reply({421, {4, 4, 2}, "Error: timeout exceeded"}, true);
        close_session(close_reason::timeout);
    }

    /// Ends the session from the application's side: a pending decision is dropped, an
    /// unfinished message aborted, "421 4.3.2 Service shutting down" queued.
    void shutdown() noexcept {
        if (state_ == server_state::closed) return;
        if (pending_ != decision::none)
            events_.remove_if([](const server_event& ev) { return is_decision(ev); });
        pending_ = decision::none;
        abort_transaction();
        write_reply({421, {4, 3, 2}, "Service shutting down"}, true);
        close_session(close_reason::shutdown);
    }

private:
    enum class decision { none, greeting, hello, mail, rcpt, data, message, vrfy, starttls, auth };
    // What the AUTH exchange waits for from the client.
    enum class auth_step : std::uint8_t {
        none,
        plain_response,     // PLAIN: the message
        login_user,         // LOGIN: the user name
        login_password,     // LOGIN: the password
        cram_response,      // CRAM-MD5: "user digest"
        bearer_response,    // XOAUTH2, OAUTHBEARER: the message with the token
        token_refused,      // XOAUTH2, OAUTHBEARER: the acknowledgement of the error sent
        scram_first,        // SCRAM: client-first-message
        scram_credentials,  // SCRAM: the application looks the user up
        scram_final,        // SCRAM: client-final-message
        scram_done,         // SCRAM: the (empty) answer to server-final-message
    };

    // AUTH's state, allocated at construction when AUTH is offered, so that the session
    // itself stays small.
    struct auth_storage {
        explicit auth_storage(std::size_t decoded_capacity) : decoded(new char[decoded_capacity]) {}
        std::unique_ptr<char[]> decoded;           // the client's response after base64
        std::array<char, 256> kept{};              // LOGIN's user name, CRAM-MD5's challenge,
        std::size_t kept_size = 0;                 // or OAUTHBEARER's authorization identity
        std::array<char, 1024> refusal{};          // a reply held until a token error is
        std::size_t refusal_size = 0;              // acknowledged
        crypto::sha256::digest_type nonce_key{};   // see seed_nonces()
        std::uint64_t nonces = 0;
        bool seeded = false;
        sasl::scram_sha256_server scram;
    };

    // 32 printable octets, fresh for each exchange: base64 of HMAC-SHA-256(key, counter).
    void next_nonce(char (&out)[32]) noexcept {
        auth_storage& st = *auth_state_;
        char counter[8];
        for (std::size_t i = 0; i < 8; ++i)
            counter[i] = static_cast<char>(static_cast<unsigned char>(st.nonces >> (8 * i)));
        ++st.nonces;
        const auto mac = crypto::hmac<crypto::sha256>::compute(crypto::as_bytes(st.nonce_key), {counter, 8});
        (void)base64_encode(crypto::as_bytes(mac).substr(0, 24), out);
    }

    static smtpwire::limits normalised(smtpwire::limits l) noexcept {
        if (l.command_line < 512) l.command_line = 512;
        if (l.output_buffer < 1024) l.output_buffer = 1024;
        if (l.auth_line < l.command_line) l.auth_line = l.command_line;
        return l;
    }

    // The EHLO keywords after the greeting line, in the order they are announced;
    // calls f(keyword, parameter) for each (SIZE's parameter is its limit).
    template <class Function>
    void for_each_keyword(Function f) const noexcept {
        for (extension e : keyword_order) {
            if (!offered(e)) continue;
            if (e == extension::auth) {
                char list[128];
                const sasl::mechanism_set now = mechanisms_now();
                if (sasl::mechanism_list_size(now) > sizeof list) continue;
                f(to_string(e), std::string_view(list, sasl::write_mechanism_list(now, list)));
            } else if (e == extension::size && limits_.message_size != 0) {
                char digits[24];
                const auto r = std::to_chars(digits, digits + sizeof digits, limits_.message_size);
                f(to_string(e), std::string_view(digits, static_cast<std::size_t>(r.ptr - digits)));
            } else {
                f(to_string(e), std::string_view{});
            }
        }
    }

    // The keywords of the EHLO reply, in the order it lists them.
    static constexpr extension keyword_order[] = {
        extension::pipelining, extension::size, extension::eight_bit_mime, extension::smtputf8,
        extension::enhanced_status_codes, extension::dsn, extension::chunking, extension::binary_mime,
        extension::starttls, extension::auth};

    // "250-", the keyword and CRLF of every line keyword_order may list.
    static constexpr std::size_t keyword_lines_size() noexcept {
        std::size_t n = 0;
        for (extension e : keyword_order) n += 4 + to_string(e).size() + 2;
        return n;
    }
    // At least the octets of the keyword lines: "250-" keyword[ SP parameter] CRLF for
    // every keyword, with SIZE's longest number and AUTH's list of `mechanisms`.
    static std::size_t keyword_lines_bound(sasl::mechanism_set mechanisms) noexcept {
        constexpr std::size_t keyword_lines = keyword_lines_size();
        return 1 + 20 + 1 + sasl::mechanism_list_size(mechanisms) + keyword_lines;
    }

    // Output room needed before reading a command: the largest reply the session
    // writes on its own (the EHLO reply), or 1024 octets, whichever is more.
    static std::size_t reserve_for(std::size_t hostname, std::size_t keywords) noexcept {
        const std::size_t ehlo = 512 + hostname + keywords;
        return ehlo > 1024 ? ehlo : 1024;
    }

    bool enhanced() const noexcept { return extensions_.has(extension::enhanced_status_codes); }

    // Whether `e` is announced and served now: STARTTLS only while TLS is not active,
    // AUTH while one of its mechanisms may be used.
    bool offered(extension e) const noexcept {
        if (e == extension::starttls && tls_active_) return false;
        if (e == extension::auth && mechanisms_now().empty()) return false;
        return extensions_.has(e);
    }

    // The mechanisms AUTH may use now: none in clear with server_auth::require_tls; those
    // sending the secret itself only inside TLS, unless server_auth::allow_in_clear;
    // CRAM-MD5 and SCRAM once seed_nonces() was called.
    sasl::mechanism_set mechanisms_now() const noexcept {
        sasl::mechanism_set now = usable_mechanisms();
        if (!tls_active_ && auth_.require_tls) return {};
        if (tls_active_ || auth_.allow_in_clear) return now;
        for (sasl::mechanism m : sasl::strongest_first)
            if (sasl::sends_secret_in_clear(m)) now.remove(m);
        return now;
    }

    // The configured mechanisms the session can run at all.
    sasl::mechanism_set usable_mechanisms() const noexcept {
        sasl::mechanism_set usable = auth_.mechanisms;
        if (!auth_state_ || !auth_state_->seeded) {
            usable.remove(sasl::mechanism::cram_md5);
            usable.remove(sasl::mechanism::scram_sha_256);
        }
        return usable;
    }

    bool pipelining_in_effect() const noexcept {
        return ehlo_ && extensions_.has(extension::pipelining);
    }

    bool transaction_active() const noexcept {
        return state_ == server_state::mail || state_ == server_state::rcpt ||
               state_ == server_state::data || state_ == server_state::bdat;
    }

    // RFC 2034 §3: no enhanced code in the greeting or the replies to HELO/EHLO.
    bool status_allowed() const noexcept {
        return pending_ != decision::greeting && pending_ != decision::hello;
    }

    bool content_refused() const noexcept {
        return too_large_ ||
               (bare_newlines_ == bare_newline_policy::reject && decoder_.bare_newlines() > 0);
    }

    void queue(const server_event& ev) noexcept { (void)events_.push(ev); }

    // A new decision: its identity, carried by the event queued next.
    decision_id next_decision() noexcept {
        pending_id_ = decision_id{++decisions_};
        return pending_id_;
    }

    errc answerable() const noexcept {
        return pending_ == decision::none ? errc::no_decision_pending : errc::ok;
    }

    // An answer naming decision `id`: anything but the pending decision is one already
    // answered or cancelled.
    errc answerable(decision_id id) const noexcept {
        return pending_ == decision::none || id != pending_id_ ? errc::stale_decision : errc::ok;
    }

    bool write_reply(const reply& r, bool with_status) noexcept {
        reply out = r;
        if (!with_status || !enhanced()) out.status = {};
        // The usual reply is one line: formatted once, into its exact room. The bound
        // (code, separator, SP after the status, CRLF, and one octet to spare) keeps to
        // texts that emit_reply() would not wrap either.
        char status_text[max_enhanced_status_length];
        const std::string_view status(status_text, format_enhanced_status(out.status, status_text));
        if (out.text.size() + status.size() + 8 <= max_reply_line_length &&
            out.text.find('\n') == std::string_view::npos) {
            detail::reply_size_sink size;
            detail::emit_reply_line(size, out.code, true, status, out.text);
            char* p = out_.reserve(size.size);
            if (p == nullptr) return false;
            detail::reply_copy_sink sink{p};
            detail::emit_reply_line(sink, out.code, true, status, out.text);
            out_.commit(size.size);
            return true;
        }
        const std::size_t n = formatted_size(out, true);
        char* p = out_.reserve(n);
        if (p == nullptr) return false;
        detail::reply_copy_sink sink{p};  // format_reply() less its second size count
        detail::emit_reply(out, true, sink);
        out_.commit(n);
        return true;
    }

    // "<code> [<status> ]<hostname>[ <text>]" plus, with `keywords` (EHLO), the keyword
    // lines; `code` is three digits. The first line is kept within 512 octets (RFC 5321
    // §4.5.3.1.5). Written in one pass into room for the longest such reply, which
    // reserve_ keeps free for it whenever a command is read. The code, separators and
    // CRLFs have fixed sizes and are stored directly; only the variable parts are copied.
    bool write_named_reply(std::string_view code, std::string_view status, std::string_view text,
                           bool keywords) noexcept {
        const std::size_t first = 4 + status.size() + hostname_.size() +
                                  (text.empty() ? 0 : 1 + text.size()) + 2;
        if (first > 512) return false;
        char* const p = out_.reserve(first + (keywords ? keyword_lines_bound(auth_.mechanisms) : 0));
        if (p == nullptr) return false;
        char* w = p;
        auto put = [&w](std::string_view s) {
            if (s.empty()) return;
            std::memcpy(w, s.data(), s.size());
            w += s.size();
        };
        char* last = w + 3;  // the separator of the last line, which becomes SP
        auto start_line = [&w, &last, code] {
            std::memcpy(w, code.data(), 3);
            last = w + 3;
            w[3] = '-';
            w += 4;
        };
        auto end_line = [&w] {
            std::memcpy(w, "\r\n", 2);
            w += 2;
        };
        start_line();
        put(status);
        put(hostname_);
        if (!text.empty()) {
            *w++ = ' ';
            put(text);
        }
        end_line();
        if (keywords) {
            for_each_keyword([&](std::string_view keyword, std::string_view parameter) {
                start_line();
                put(keyword);
                if (!parameter.empty()) {
                    *w++ = ' ';
                    put(parameter);
                }
                end_line();
            });
        }
        *last = ' ';
        out_.commit(static_cast<std::size_t>(w - p));
        return true;
    }

    errc answer_recipient(decision_id id, std::size_t recipient, const reply& r) noexcept {
        if (const errc e = answerable(id); e != errc::ok) return e;
        if (!lmtp_ || pending_ != decision::message) return errc::wrong_state;
        if (recipient >= lmtp_->count() || lmtp_->answered(recipient)) return errc::invalid_argument;
        if (validate_reply(r) != errc::ok) return errc::invalid_reply;
        reply out = with_defaults(r);
        if (!enhanced()) out.status = {};
        if (!lmtp_->answer(recipient, out, out_)) return errc::output_full;
        if (lmtp_->all_answered()) {
            (void)enter_accepted_state();  // the transaction is over, whatever the answers
            resolved();
        }
        return errc::ok;
    }

    // `r` with an empty text made "OK" (below 400) or "Error", and an empty status made
    // the code's class with ".0.0".
    static reply with_defaults(const reply& r) noexcept {
        reply out = r;
        if (out.text.empty()) out.text = r.code < 400 ? "OK" : "Error";
        if (out.status.empty()) out.status = enhanced_status{static_cast<std::uint8_t>(r.code / 100), 0, 0};
        return out;
    }

    // RFC 2033 §5: PIPELINING and ENHANCEDSTATUSCODES are always in effect with LMTP.
    static extension_set with_lmtp_extensions(extension_set offered) noexcept {
        return offered.add(extension::pipelining).add(extension::enhanced_status_codes);
    }

    // The reply accept() writes without text where the default names no host: a
    // constant, with or without the enhanced status code.
    bool write_default(std::string_view with_status, std::string_view without_status) noexcept {
        return out_.append(enhanced() ? with_status : without_status);
    }

    errc write_positive(std::string_view text) noexcept {
        bool ok = false;
        switch (pending_) {
        case decision::greeting:
            ok = write_named_reply("220", {}, text.empty() ? (lmtp_ ? "LMTP" : "ESMTP") : text, false);
            break;
        case decision::hello:
            ok = write_named_reply("250", {}, text, hello_verb_ != verb::helo);
            break;
        case decision::mail:
            ok = text.empty() ? write_default("250 2.1.0 OK\r\n", "250 OK\r\n")
                              : write_reply({250, {2, 1, 0}, text}, true);
            break;
        case decision::rcpt:
            ok = text.empty() ? write_default("250 2.1.5 OK\r\n", "250 OK\r\n")
                              : write_reply({250, {2, 1, 5}, text}, true);
            break;
        case decision::data:
            // With BDAT the content is already on its way: nothing to say until the
            // chunk has arrived.
            ok = chunked_ || (text.empty() ? out_.append("354 End data with <CR><LF>.<CR><LF>\r\n")
                                           : write_reply({354, {}, text}, false));
            break;
        case decision::message:
            ok = !lmtp_ && text.empty() ? write_default("250 2.0.0 OK\r\n", "250 OK\r\n")
                                        : write_message_reply({250, {2, 0, 0}, text.empty() ? "OK" : text});
            break;
        case decision::starttls:
            ok = write_reply({220, {2, 0, 0}, text.empty() ? "Ready to start TLS" : text}, true);
            break;
        case decision::auth:
            ok = write_reply({235, {2, 7, 0}, text.empty() ? "Authentication successful" : text}, true);
            break;
        case decision::vrfy:
            ok = write_reply({252, {2, 5, 0},
                              text.empty() ? "Cannot VRFY user, but will accept message and attempt delivery"
                                           : text},
                             true);
            break;
        case decision::none:
            return errc::no_decision_pending;
        }
        if (!ok) return errc::reply_too_long;
        return enter_accepted_state();
    }

    // The state change that follows a positive answer to the pending decision.
    errc enter_accepted_state() noexcept {
        switch (pending_) {
        case decision::greeting: state_ = server_state::connected; break;
        case decision::hello:
            // RFC 5321 §4.1.4: an acceptable EHLO resets the state exactly as RSET does;
            // one refused with 501, 500, 502 or 550 leaves it as it was, so the reset
            // happens here, at the accept, and never at the command.
            if (transaction_active()) queue(transaction_reset{});
            state_ = server_state::ready;
            ehlo_ = hello_verb_ != verb::helo;
            break;
        case decision::mail:
            state_ = server_state::mail;
            accepted_recipients_ = 0;
            rcpt_index_ = 0;
            chunked_ = false;  // a BDAT message reset between chunks (RSET, EHLO) ended with its transaction
            smtputf8_ = pending_smtputf8_;
            binary_ = pending_binary_;
            break;
        case decision::rcpt:
            ++accepted_recipients_;
            state_ = server_state::rcpt;
            break;
        case decision::data:
            state_ = server_state::data;
            start_deadline(timeout_kind::data_deadline);
            decoder_.reset();
            message_size_ = 0;
            too_large_ = false;
            if (chunked_) start_chunk_content();
            break;
        case decision::message: state_ = server_state::ready; break;
        case decision::auth:
            authenticated_ = true;
            state_ = server_state::ready;
            break;
        case decision::starttls:
            // RFC 3207 §4.2: nothing from before the handshake survives it.
            if (transaction_active()) queue(transaction_reset{});
            state_ = server_state::tls_handover;
            break;
        case decision::vrfy:
        case decision::none: break;
        }
        return errc::ok;
    }

    void resolved() noexcept {
        pending_ = decision::none;
        epoch_ = ++epochs_;
    }

    // Starts the deadline of `kind` (command_line_deadline or data_deadline) with a new
    // epoch, if that deadline is configured.
    void start_deadline(timeout_kind kind) noexcept {
        if (deadline_duration(kind).count() <= 0) return;
        deadline_ = kind;
        deadline_epoch_ = ++epochs_;
    }

    std::chrono::milliseconds deadline_duration(timeout_kind kind) const noexcept {
        if (kind == timeout_kind::command_line_deadline) return timeouts_.command_line_deadline;
        if (kind == timeout_kind::data_deadline) return timeouts_.data_deadline;
        return std::chrono::milliseconds{0};
    }

    // The command line being read is incomplete and the session waits for the rest:
    // its deadline runs from now (the first octet arrived in this or an earlier feed).
    void line_incomplete() noexcept {
        if (deadline_ == timeout_kind::none) start_deadline(timeout_kind::command_line_deadline);
    }

    // The command line's CRLF was read.
    void line_complete() noexcept {
        if (deadline_ == timeout_kind::command_line_deadline) deadline_ = timeout_kind::none;
    }

    // --- the steps of next_event() ----------------------------------------------

    // What keeps the session from reading input now.
    enum class blocker { none, decision, end, greeting, output, handover };

    blocker blocked_by() const noexcept {
        if (pending_ != decision::none) return blocker::decision;
        if (lmtp_ && !in_chunk_ && lmtp_->waiting()) return blocker::output;  // replies in RCPT order first
        if (state_ == server_state::tls_handover) return blocker::handover;
        if (state_ == server_state::closed) return blocker::end;
        if (state_ == server_state::greeting) return blocker::greeting;
        // Room for the largest reply the next command can cause. Output that is all held
        // for a BDAT chunk cannot be written before the chunk's octets are read, and they
        // write nothing, so it never blocks them (the held reply is their answer).
        return out_.free_space() < reserve_ && has_output() ? blocker::output : blocker::none;
    }

    // Counts `size` octets of content; false when the message is already refused (too
    // large, or a bare CR or LF under bare_newline_policy::reject) and they are dropped.
    bool content_accepted(std::size_t size) noexcept {
        message_size_ += size;
        if (limits_.message_size != 0 && message_size_ > limits_.message_size) too_large_ = true;
        return !content_refused();
    }

    // The rest of a line already answered as too long, up to its CRLF, kept nowhere.
    // Returns true when the input is used up before that CRLF.
    bool skip_overlong_line() noexcept {
        input_.consume(skipper_.skip(input_.rest()));
        if (!skipper_.finished()) {
            line_incomplete();
            return true;
        }
        skipping_ = false;
        line_complete();
        return false;
    }

    // The next command line, handled or answered as too long. Returns true when the
    // input holds no complete line.
    bool read_command() noexcept {
        const std::string_view rest = input_.rest();
        const std::size_t length = input_.find_line();
        const bool auth = auth_line(rest);
        const std::size_t limit = auth ? limits_.auth_line : limits_.command_line;
        if (length == line_scanner::npos) {
            if (rest.size() >= limit) {
                input_.discard();
                skipping_ = true;
                skipper_.start(rest.back() == '\r');
                line_too_long(auth);
                return false;
            }
            if (!rest.empty()) line_incomplete();
            return true;
        }
        line_complete();
        input_.consume(length + 2);
        if (length + 2 > limit) {
            line_too_long(auth);
        } else if (state_ == server_state::auth) {
            on_auth_response(rest.substr(0, length));
        } else {
            handle_command(rest.substr(0, length));
        }
        return false;
    }

    void close_session(close_reason why) noexcept {
        state_ = server_state::closed;
        input_.discard();
        in_chunk_ = false;
        held_ = 0;  // a reply held for a chunk that will not arrive goes out before the end
        if (lmtp_) lmtp_->clear();
        queue(closing{why});
    }

    void abort_transaction() noexcept {
        if (state_ == server_state::data || state_ == server_state::bdat)
            queue(message_aborted{abort_reason::connection_lost});
        else if (transaction_active())
            queue(transaction_reset{});
    }

    // A peer error: answer, report, count, and close at the error limit.
    void fail(server_error what, const reply& r, bool counts = true) noexcept {
        write_reply(r, status_allowed_for_command_);
        queue(protocol_error{what, r.code});
        if (counts) count_error();
    }

    // One more peer error; at the limit, 421 and close.
    void count_error() noexcept {
        if (++errors_ < limits_.errors) return;
        abort_transaction();
        write_reply({421, {4, 7, 0}, "Error: too many errors"}, true);
        queue(protocol_error{server_error::too_many_errors, 421});
        close_session(close_reason::too_many_errors);
    }

    void line_too_long(bool auth_line) noexcept {
        status_allowed_for_command_ = true;
        if (!auth_line) {
            fail(server_error::line_too_long, {500, {5, 5, 2}, "Error: line too long"});
            return;
        }
        end_auth();
        fail(server_error::auth_line_too_long,
             {500, {5, 5, 6}, "Error: authentication exchange line is too long"});
    }

    // Whether the line at the start of `rest` belongs to an AUTH exchange: the AUTH
    // command, or a response while one runs. Such lines may be limits::auth_line long.
    bool auth_line(std::string_view rest) const noexcept {
        if (state_ == server_state::auth) return true;
        return auth_state_ != nullptr && rest.size() >= 5 && ascii::iequals(rest.substr(0, 5), "AUTH ");
    }

    // RFC 2920 §3.1: commands after which the client must wait for the reply.
    static bool ends_group(verb v) noexcept {
        switch (v) {
        case verb::helo: case verb::ehlo: case verb::lhlo: case verb::data: case verb::vrfy:
        case verb::expn: case verb::noop: case verb::auth:
            return true;
        default:
            return false;
        }
    }

    void handle_command(std::string_view line) noexcept {
        command cmd;
        const command_error err = parse_command(line, cmd, leniency_.space_after_colon);
        status_allowed_for_command_ = cmd.verb != verb::helo && cmd.verb != verb::ehlo && !(lmtp_ && cmd.verb == verb::lhlo);
        if (cmd.verb == verb::bdat && extensions_.has(extension::chunking) && chunk_size_known(cmd.argument)) {
            on_bdat(cmd, err);
            return;
        }
        if (admissible(cmd, err)) dispatch(cmd);
    }

    // Whether `cmd` may run now; if not, it has been answered (and counted): a bad
    // octet, an unknown verb, the legality table's 502 or 503, its syntax, or input
    // sent before its turn.
    bool admissible(const command& cmd, command_error err) noexcept {
        if (err == command_error::bad_character) {
            fail(server_error::bare_newline_in_command,
                 {500, {5, 5, 2}, "Error: bare CR, LF or NUL in command"});
            return false;
        }
        if (err == command_error::unknown_verb) {
            fail(server_error::unknown_command, {500, {5, 5, 1}, "Error: command not recognized"});
            return false;
        }
        if (lmtp_ && (cmd.verb == verb::helo || cmd.verb == verb::ehlo)) {
            // RFC 2033 §4.1: an LMTP server does not take HELO or EHLO.
            fail(server_error::unknown_command, {500, {5, 5, 1}, "Error: this is an LMTP server, send LHLO"});
            return false;
        }
        switch (legality_now(cmd.verb)) {
        case legality::allowed:
            break;
        case legality::not_implemented:
            fail(server_error::not_implemented, {502, {5, 5, 1}, "Error: command not implemented"});
            return false;
        case legality::bad_sequence:
        case legality::not_read:
            fail(server_error::bad_sequence, {503, {5, 5, 1}, bad_sequence_text(cmd.verb)});
            return false;
        }
        if (err != command_error::ok) {
            fail(server_error::syntax, {501, {5, 5, 4}, usage(cmd.verb)});
            return false;
        }
        // Input behind STARTTLS is discarded by on_starttls(), whatever the policy.
        if (cmd.verb != verb::quit && cmd.verb != verb::starttls &&
            early_input_ == pipelining_policy::reject &&
            !input_.rest().empty() && (!pipelining_in_effect() || ends_group(cmd.verb))) {
            synchronization_error();
            return false;
        }
        return true;
    }

    // Input sent before the reply it had to wait for, under pipelining_policy::reject.
    void synchronization_error() noexcept {
        abort_transaction();
        queue(protocol_error{server_error::pipelining_violation, 554});
        // RFC 2034 §3: no enhanced status code in a reply to HELO or EHLO.
        write_reply({554, {5, 5, 0}, "Error: SMTP protocol synchronization"}, status_allowed_for_command_);
        close_session(close_reason::pipelining_violation);
    }

    // The legality table's answer, narrowed by what this session offers now: STARTTLS
    // not configured is 502, and inside TLS 503 (RFC 3207 §4.2); AUTH not configured
    // is 502, and after HELO or a successful AUTH 503 (RFC 4954 §4).
    legality legality_now(verb v) const noexcept {
        // LMTP's LHLO is EHLO by another name (RFC 2033 §4.1).
        const legality l = legality_of(state_, lmtp_ && v == verb::lhlo ? verb::ehlo : v);
        if (l == legality::not_read || state_ == server_state::refused) return l;
        if (v == verb::bdat && !extensions_.has(extension::chunking)) return legality::not_implemented;
        if (v == verb::starttls) {
            if (!extensions_.has(extension::starttls)) return legality::not_implemented;
            return tls_active_ ? legality::bad_sequence : l;
        }
        if (v == verb::auth) {
            if (!extensions_.has(extension::auth)) return legality::not_implemented;
            return !ehlo_ || authenticated_ ? legality::bad_sequence : l;
        }
        return l;
    }

    // Runs a command legality_of() allows in this state.
    void dispatch(const command& cmd) noexcept {
        switch (cmd.verb) {
        case verb::helo:
        case verb::ehlo:
        case verb::lhlo: on_hello(cmd); return;
        case verb::mail: on_mail(cmd.argument); return;
        case verb::rcpt: on_rcpt(cmd.argument); return;
        case verb::data: on_data(); return;
        case verb::rset: on_rset(); return;
        case verb::noop: write_reply({250, {2, 0, 0}, "OK"}, true); return;
        case verb::quit: on_quit(); return;
        case verb::vrfy: on_vrfy(cmd.argument); return;
        case verb::expn: on_expn(cmd.argument); return;
        case verb::help:
            write_reply({214, {2, 0, 0}, "Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP"},
                        true);
            return;
        case verb::starttls: on_starttls(); return;
        case verb::auth: on_auth(cmd.argument); return;
        case verb::bdat:
            fail(server_error::syntax, {501, {5, 5, 4}, usage(verb::bdat)});  // no size to read
            return;
        case verb::unknown:
            return;  // legality_of() answers it 502 in every state
        }
    }

    void on_rset() noexcept {
        if (transaction_active()) queue(transaction_reset{});
        if (state_ != server_state::connected) state_ = server_state::ready;
        write_reply({250, {2, 0, 0}, "OK"}, true);
    }

    void on_quit() noexcept {
        abort_transaction();
        write_named_reply("221", enhanced() ? "2.0.0 " : "", "Service closing transmission channel", false);
        close_session(close_reason::quit);
    }

    // RFC 3207 §4: the bytes behind the command were sent in clear before the client
    // could know TLS would start; read as commands after the handshake they would be
    // injected into the TLS session (CVE-2011-0411). They and any fed until the answer
    // are dropped.
    void on_starttls() noexcept {
        discarded_ = input_.rest().size();
        input_.discard();
        discarding_ = true;
        pending_ = decision::starttls;
        queue(starttls_request{next_decision()});
    }

    // --- AUTH (RFC 4954) ----------------------------------------------------------

    // "AUTH" SP mechanism [SP initial-response] (RFC 4954 §4).
    void on_auth(std::string_view argument) noexcept {
        const std::size_t space = argument.find(' ');
        const std::string_view name = argument.substr(0, space);
        const std::string_view initial =
            space == std::string_view::npos ? std::string_view{} : argument.substr(space + 1);
        if (name.empty() || (space != std::string_view::npos && initial.empty()) ||
            initial.find(' ') != std::string_view::npos) {
            fail(server_error::syntax, {501, {5, 5, 4}, usage(verb::auth)});
            return;
        }
        sasl::mechanism m{};
        if (!sasl::parse_mechanism(name, m) || !usable_mechanisms().has(m)) {
            fail(server_error::auth_mechanism,
                 {504, {5, 5, 4}, "Error: authentication mechanism not supported"});
            return;
        }
        if (!mechanisms_now().has(m)) {
            fail(server_error::auth_needs_tls,
                 {538, {5, 7, 11}, "Encryption required for requested authentication mechanism"});
            return;
        }
        if (m == sasl::mechanism::cram_md5 && space != std::string_view::npos) {
            // §4: the server speaks first in CRAM-MD5, so an initial response is 501.
            fail(server_error::syntax, {501, {5, 5, 4}, "Error: no initial response with CRAM-MD5"});
            return;
        }
        state_ = server_state::auth;
        auth_mechanism_ = m;
        auth_step_ = first_step(m);
        if (space != std::string_view::npos) {
            // "=" is an empty initial response (§4).
            on_auth_response(initial == "=" ? std::string_view{} : initial);
        } else if (m == sasl::mechanism::login) {
            challenge(sasl::login_user_prompt_base64);
        } else if (m == sasl::mechanism::cram_md5) {
            send_cram_challenge();
        } else {
            challenge({});
        }
    }

    static auth_step first_step(sasl::mechanism m) noexcept {
        switch (m) {
        case sasl::mechanism::plain: return auth_step::plain_response;
        case sasl::mechanism::login: return auth_step::login_user;
        case sasl::mechanism::cram_md5: return auth_step::cram_response;
        case sasl::mechanism::xoauth2:
        case sasl::mechanism::oauthbearer: return auth_step::bearer_response;
        case sasl::mechanism::scram_sha_256: return auth_step::scram_first;
        }
        return auth_step::none;
    }

    // A 334 continuation with a base64 challenge ("334 " alone for an empty one).
    void challenge(std::string_view base64) noexcept {
        (void)out_.append("334 ");
        (void)out_.append(base64);
        (void)out_.append("\r\n");
    }

    // A 334 continuation carrying `text` in base64.
    void challenge_base64(std::string_view text) noexcept {
        char* p = out_.reserve(4 + base64_encoded_size(text.size()) + 2);
        if (p == nullptr) return;
        std::memcpy(p, "334 ", 4);
        const std::size_t n = base64_encode(text, p + 4);
        std::memcpy(p + 4 + n, "\r\n", 2);
        out_.commit(4 + n + 2);
    }

    // RFC 2195: a msg-id "<nonce@hostname>" unique to this exchange, kept for the
    // auth_request that carries the client's digest of it.
    void send_cram_challenge() noexcept {
        auth_storage& st = *auth_state_;
        char nonce[32];
        next_nonce(nonce);
        const std::size_t host = hostname_.size() < st.kept.size() - 35 ? hostname_.size() : st.kept.size() - 35;
        char* w = st.kept.data();
        *w++ = '<';
        std::memcpy(w, nonce, sizeof nonce);
        w += sizeof nonce;
        *w++ = '@';
        std::memcpy(w, hostname_.data(), host);
        w += host;
        *w++ = '>';
        st.kept_size = static_cast<std::size_t>(w - st.kept.data());
        challenge_base64({st.kept.data(), st.kept_size});
    }

    // reject() of a bearer token: RFC 7628 §3.2.2 and XOAUTH2 send the error as a 334
    // challenge, and the failure reply only after the client acknowledges it.
    errc refuse_token(const reply& r) noexcept {
        auth_storage& st = *auth_state_;
        const std::size_t size = formatted_size(r, enhanced());
        if (size > st.refusal.size()) return errc::reply_too_long;
        char json[64];
        const bool xoauth2 = auth_mechanism_ == sasl::mechanism::xoauth2;
        const std::size_t json_size = xoauth2 ? sasl::xoauth2_error("401", "bearer", {}, json)
                                              : sasl::oauthbearer_error("invalid_token", {}, {}, json);
        if (out_.free_space() < 6 + base64_encoded_size(json_size)) return errc::reply_too_long;
        st.refusal_size = format_reply(r, enhanced(), st.refusal.data(), size);
        challenge_base64({json, json_size});
        auth_step_ = auth_step::token_refused;
        resolved();
        return errc::ok;
    }

    // The exchange is over: back to the state it started in.
    void end_auth() noexcept {
        if (state_ == server_state::auth) state_ = server_state::ready;
        auth_step_ = auth_step::none;
    }

    // One client response: "*" cancels (§4), anything else is base64; an empty line, or
    // "=" as the initial response, is an empty response.
    void on_auth_response(std::string_view line) noexcept {
        if (line == "*") {
            end_auth();
            fail(server_error::auth_cancelled, {501, {5, 0, 0}, "Authentication cancelled"}, false);
            return;
        }
        auth_storage& st = *auth_state_;
        char* decoded = st.decoded.get();
        std::size_t size = 0;
        if (!base64_decode(line, decoded, size)) {
            end_auth();
            fail(server_error::auth_bad_base64, {501, {5, 5, 2}, "Error: invalid base64 data"});
            return;
        }
        if (early_input_ == pipelining_policy::reject && !input_.rest().empty()) {
            // The client must wait for each 334 (or the final reply) before it writes
            // again (RFC 4954 §4, RFC 2920 §3.1).
            end_auth();
            queue(protocol_error{server_error::pipelining_violation, 554});
            write_reply({554, {5, 5, 0}, "Error: SMTP protocol synchronization"}, true);
            close_session(close_reason::pipelining_violation);
            return;
        }
        const std::string_view message(decoded, size);
        switch (auth_step_) {
        case auth_step::plain_response: {
            sasl::plain_credentials c;
            if (!sasl::parse_plain(message, c)) return auth_syntax_error();
            ask_auth(c.authorization_id, c.user, c.password);
            return;
        }
        case auth_step::login_user:
            if (message.empty() || message.size() > st.kept.size()) return auth_syntax_error();
            std::memcpy(st.kept.data(), message.data(), message.size());
            st.kept_size = message.size();
            auth_step_ = auth_step::login_password;
            challenge(sasl::login_password_prompt_base64);
            return;
        case auth_step::login_password:
            if (message.empty()) return auth_syntax_error();
            ask_auth({}, {st.kept.data(), st.kept_size}, message);
            return;
        case auth_step::cram_response: {
            std::string_view user;
            std::string_view digest;
            if (!sasl::parse_cram_md5_response(message, user, digest)) return auth_syntax_error();
            ask_auth({}, user, digest, {st.kept.data(), st.kept_size});
            return;
        }
        case auth_step::bearer_response:
            on_bearer(message);
            return;
        case auth_step::token_refused:
            // The client acknowledged the error: now the failure reply (§3.2.3).
            (void)out_.append({st.refusal.data(), st.refusal_size});
            end_auth();
            count_error();
            return;
        case auth_step::scram_first:
            st.scram = sasl::scram_sha256_server{};
            if (st.scram.read_client_first(message) != sasl::scram_error::ok) return auth_syntax_error();
            ask_auth(st.scram.authorization_id(), st.scram.user(), {});
            auth_step_ = auth_step::scram_credentials;
            return;
        case auth_step::scram_final:
            if (st.scram.verify_client_final(message) != sasl::scram_error::ok) {
                end_auth();
                fail(server_error::auth_invalid, {535, {5, 7, 8}, "Authentication credentials invalid"});
                return;
            }
            auth_step_ = auth_step::scram_done;
            challenge_base64(st.scram.server_final());
            return;
        case auth_step::scram_done:
            end_auth();
            authenticated_ = true;
            write_reply({235, {2, 7, 0}, "Authentication successful"}, true);
            return;
        case auth_step::scram_credentials:
        case auth_step::none:
            return;
        }
    }

    // XOAUTH2's or OAUTHBEARER's message: the token goes to the application.
    void on_bearer(std::string_view message) noexcept {
        if (auth_mechanism_ == sasl::mechanism::xoauth2) {
            sasl::bearer_credentials c;
            if (!sasl::parse_xoauth2(message, c)) return auth_syntax_error();
            ask_auth({}, c.user, c.token);
            return;
        }
        sasl::oauthbearer_credentials c;
        if (!sasl::parse_oauthbearer(message, c)) return auth_syntax_error();
        auth_storage& st = *auth_state_;
        std::size_t n = 0;
        if (c.authorization_id.size() > st.kept.size() ||
            !sasl::saslname_decode(c.authorization_id, st.kept.data(), n))
            return auth_syntax_error();
        // RFC 7628 names no user apart from the authorization identity.
        const std::string_view authzid(st.kept.data(), n);
        ask_auth(authzid, authzid, c.token);
    }

    // A response the mechanism cannot read: the credentials are invalid (§6: 535).
    void auth_syntax_error() noexcept {
        end_auth();
        fail(server_error::auth_invalid, {535, {5, 7, 8}, "Authentication credentials invalid"});
    }

    void ask_auth(std::string_view authzid, std::string_view user, std::string_view secret,
                  std::string_view challenge_sent = {}) noexcept {
        auth_step_ = auth_step::none;
        pending_ = decision::auth;
        queue(auth_request{next_decision(), auth_mechanism_, authzid, user, secret, challenge_sent});
    }

    void on_vrfy(std::string_view argument) noexcept {
        if (!valid_string_argument(argument)) {
            fail(server_error::syntax, {501, {5, 5, 4}, usage(verb::vrfy)});
            return;
        }
        pending_ = decision::vrfy;
        queue(verify{next_decision(), argument});
    }

    void on_expn(std::string_view argument) noexcept {
        if (!valid_string_argument(argument)) {
            fail(server_error::syntax, {501, {5, 5, 4}, usage(verb::expn)});
            return;
        }
        write_reply({502, {5, 5, 1}, "Error: EXPN not available"}, true);
    }

    static std::string_view usage(verb v) noexcept {
        switch (v) {
        case verb::helo: return "Syntax: HELO hostname";
        case verb::ehlo: return "Syntax: EHLO hostname";
        case verb::lhlo: return "Syntax: LHLO hostname";
        case verb::mail: return "Syntax: MAIL FROM:<address>";
        case verb::rcpt: return "Syntax: RCPT TO:<address>";
        case verb::data: return "Syntax: DATA";
        case verb::rset: return "Syntax: RSET";
        case verb::quit: return "Syntax: QUIT";
        case verb::starttls: return "Syntax: STARTTLS";
        case verb::auth: return "Syntax: AUTH mechanism [initial-response]";
        case verb::vrfy: return "Syntax: VRFY address";
        case verb::bdat: return "Syntax: BDAT size [LAST]";
        case verb::expn: return "Syntax: EXPN list";
        default: return "Syntax error";
        }
    }

    // The argument of VRFY and EXPN: "VRFY" SP String, "EXPN" SP String (RFC 5321
    // §4.1.1.6, §4.1.1.7). String is an Atom or a Quoted-string (§4.1.2), neither of which
    // admits a control character (RFC 5234 CTL: %x00-1F and %x7F, HTAB included), so an
    // argument with one, or with nothing but spaces, is a syntax error (501, §4.1.2). The
    // grammar is not enforced further: §3.5.1 and §3.5.3 let a server recognise other
    // forms of user names, such as "<local-part@domain>" or a full name.
    static bool valid_string_argument(std::string_view argument) noexcept {
        bool blank = true;
        for (char c : argument) {
            const auto u = static_cast<unsigned char>(c);
            if (u < 0x20 || u == 0x7f) return false;
            if (c != ' ') blank = false;
        }
        return !blank;
    }

    std::string_view bad_sequence_text(verb v) const noexcept {
        if (state_ == server_state::refused) return "Error: service refused, send QUIT";
        switch (v) {
        case verb::mail:
            return state_ == server_state::connected ? "Error: send HELO/EHLO first"
                                                     : "Error: nested MAIL command";
        case verb::rcpt: return "Error: need MAIL command";
        case verb::starttls:
            return tls_active_ ? "Error: TLS already active" : "Error: send EHLO first";
        case verb::auth:
            if (authenticated_) return "Error: already authenticated";
            return transaction_active() ? "Error: MAIL transaction in progress" : "Error: send EHLO first";
        case verb::data:
            return state_ == server_state::bdat ? "Error: message being sent with BDAT" : "Error: need RCPT command";
        case verb::bdat:
            return state_ == server_state::ready || state_ == server_state::connected ? "Error: need MAIL command"
                                                                                      : "Error: bad sequence of commands";
        default: return "Error: bad sequence of commands";
        }
    }

    void on_hello(const command& cmd) noexcept {
        const bool utf8 = extensions_.has(extension::smtputf8);
        if (check_domain_or_literal(cmd.argument, utf8) != domain_error::ok) {
            fail(server_error::syntax, {501, {5, 5, 4}, usage(cmd.verb)});
            return;
        }
        // Nothing changes until the application answers (RFC 5321 §4.1.4): see
        // enter_accepted_state().
        hello_verb_ = cmd.verb;
        pending_ = decision::hello;
        queue(hello{next_decision(), cmd.verb, cmd.argument});
    }

    path_options path_options_for(bool utf8) const noexcept {
        path_options o;
        o.utf8 = utf8;
        o.allow_missing_brackets = leniency_.missing_brackets;
        o.allow_trailing_dot_local_part = leniency_.trailing_dot_local_part;
        return o;
    }

    // Answers MAIL or RCPT parameters that were refused: 555 for one not offered, 501
    // for the rest (RFC 5321 §4.1.1.11). True when there was nothing to say.
    bool parameters_valid(mail_parameter_error e) noexcept {
        if (e == mail_parameter_error::ok) return true;
        if (e == mail_parameter_error::unknown)
            fail(server_error::unknown_parameter, {555, {5, 5, 4}, "Error: unsupported parameter"});
        else
            fail(server_error::syntax, {501, {5, 5, 4}, "Error: bad parameter syntax"});
        return false;
    }

    void on_mail(std::string_view argument) noexcept {
        if (auth_.required && extensions_.has(extension::auth) && !authenticated_) {
            fail(server_error::auth_required, {530, {5, 7, 0}, "Authentication required"});
            return;
        }
        path p;
        std::string_view rest;
        const bool utf8_offered = extensions_.has(extension::smtputf8);
        const path_error pe = parse_reverse_path(argument, path_options_for(utf8_offered), p, rest);
        if (pe == path_error::non_ascii) {
            fail(server_error::non_ascii_address,
                 {553, {5, 6, 7}, "Error: non-ASCII address requires SMTPUTF8"});
            return;
        }
        if (pe != path_error::ok) {
            fail(server_error::syntax, {501, {5, 1, 7}, "Error: bad sender address syntax"});
            return;
        }
        mail_parameters params;
        if (!parameters_valid(parse_mail_parameters(rest, extensions_, params))) return;
        if (!params.smtputf8 && needs_smtputf8(p)) {
            fail(server_error::non_ascii_address,
                 {553, {5, 6, 7}, "Error: non-ASCII address requires SMTPUTF8"});
            return;
        }
        if (params.has_size && limits_.message_size != 0 && params.size > limits_.message_size) {
            fail(server_error::size_exceeded,
                 {552, {5, 3, 4}, "Error: message size exceeds fixed maximum message size"},
                 false);
            return;
        }
        pending_smtputf8_ = params.smtputf8;
        pending_binary_ = params.body == body_type::binary_mime;
        pending_ = decision::mail;
        queue(mail_from{next_decision(), p, params});
    }

    void on_rcpt(std::string_view argument) noexcept {
        if (accepted_recipients_ >= limits_.recipients) {
            fail(server_error::too_many_recipients, {452, {4, 5, 3}, "Error: too many recipients"},
                 false);
            return;
        }
        path p;
        std::string_view rest;
        const path_error pe = parse_forward_path(argument, path_options_for(smtputf8_), p, rest);
        if (pe == path_error::non_ascii) {
            fail(server_error::non_ascii_address,
                 {553, {5, 6, 7}, "Error: non-ASCII address requires SMTPUTF8"});
            return;
        }
        if (pe != path_error::ok) {
            fail(server_error::syntax, {501, {5, 1, 3}, "Error: bad recipient address syntax"});
            return;
        }
        rcpt_parameters params;
        if (!parameters_valid(parse_rcpt_parameters(rest, extensions_, smtputf8_, params))) return;
        pending_ = decision::rcpt;
        queue(rcpt_to{next_decision(), p, params, rcpt_index_++});
    }

    // True when a BDAT argument starts with a chunk size that fits 64 bits: the
    // octets that follow the line are then content, whatever the rest of the command.
    static bool chunk_size_known(std::string_view argument) noexcept {
        std::uint64_t size = 0;
        return parse_chunk_size(argument, size) != 0;
    }

    // RFC 3030 §2: bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] CR LF, chunk-size =
    // 1*DIGIT, end-marker = "LAST". Returns the digits' length (0: none, or over 2^64 - 1).
    static std::size_t parse_chunk_size(std::string_view argument, std::uint64_t& size) noexcept {
        std::size_t i = 0;
        while (i < argument.size() && ascii::is_digit(argument[i])) ++i;
        if (i == 0) return 0;
        const auto r = std::from_chars(argument.data(), argument.data() + i, size);
        return r.ec == std::errc{} ? i : 0;
    }

    // A BDAT line with a readable size, CHUNKING offered. Its octets are consumed whatever
    // the answer, which follows them (RFC 3030 §2): a refusal is held in the output until
    // they are read. (Without CHUNKING, BDAT is 502 and what follows is read as commands,
    // as by a server that does not know the command.)
    void on_bdat(const command& cmd, command_error err) noexcept {
        std::uint64_t size = 0;
        const std::size_t digits = parse_chunk_size(cmd.argument, size);
        const std::string_view marker = cmd.argument.substr(digits);
        const bool last = ascii::iequals(marker, " LAST");
        in_chunk_ = true;
        chunk_left_ = size;
        chunk_last_ = last;
        chunk_discard_ = true;
        const std::size_t before = out_.size();
        const legality l = legality_now(verb::bdat);
        if (err == command_error::bad_character) {
            fail(server_error::bare_newline_in_command, {500, {5, 5, 2}, "Error: bare CR, LF or NUL in command"});
        } else if (l != legality::allowed) {
            fail(server_error::bad_sequence, {503, {5, 5, 1}, bad_sequence_text(verb::bdat)});
        } else if (!marker.empty() && !last) {
            fail(server_error::syntax, {501, {5, 5, 4}, usage(verb::bdat)});
        } else if (early_input_ == pipelining_policy::reject && !pipelining_in_effect() &&
                   input_.rest().size() > size) {
            synchronization_error();  // bytes behind the chunk, sent before its reply
            return;
        } else if (accepted_recipients_ == 0) {
            fail(server_error::no_valid_recipients, {554, {5, 5, 1}, "Error: no valid recipients"});
        } else if (state_ == server_state::rcpt) {
            // The first chunk: the application decides whether to take the content.
            chunked_ = true;
            pending_ = decision::data;
            queue(data_begin{next_decision(), accepted_recipients_, true});
            return;
        } else {
            start_chunk_content();
            return;
        }
        if (in_chunk_) held_ += static_cast<std::uint16_t>(out_.size() - before);  // not after a close
    }

    // A chunk's octets go to the application, unless they pass limits::message_size.
    void start_chunk_content() noexcept {
        state_ = server_state::data;
        const std::uint64_t room = limits_.message_size - message_size_;
        chunk_discard_ = limits_.message_size != 0 && (message_size_ > limits_.message_size || chunk_left_ > room);
        if (chunk_discard_) too_large_ = true;
    }

    // The last octet of a chunk was read: its reply, held or due, goes out.
    void end_of_chunk() noexcept {
        in_chunk_ = false;
        held_ = 0;
        write_lmtp_replies();
        if (state_ == server_state::data) {
            status_allowed_for_command_ = true;
            if (too_large_) {
                chunked_ = false;
                message_too_large(chunk_last_);
            } else if (chunk_last_) {
                state_ = server_state::ready;
                chunked_ = false;
                deadline_ = timeout_kind::none;
                ask_message_end(0, 0);
            } else {
                state_ = server_state::bdat;
                char text[40] = "OK: ";
                const auto r = std::to_chars(text + 4, text + sizeof text, message_size_);
                const std::string_view so_far(text, static_cast<std::size_t>(r.ptr - text));
                write_reply({250, {2, 0, 0}, so_far}, true);
            }
        }
        // Without PIPELINING the client waits for this reply before it sends more.
        if (early_input_ == pipelining_policy::reject && !pipelining_in_effect() && !input_.rest().empty() &&
            state_ != server_state::closed)
            synchronization_error();
    }

    // The content passed limits::message_size: the transaction ends with 552.
    void message_too_large(bool final) noexcept {
        state_ = server_state::ready;
        deadline_ = timeout_kind::none;
        refuse_message({552, {5, 3, 4}, "Error: message size exceeds fixed maximum message size"}, final);
        queue(message_aborted{abort_reason::too_large});
    }

    // The content is complete: the application decides; with LMTP, one reply per
    // accepted recipient is due (RFC 2033 §4.2).
    void ask_message_end(std::size_t overlong_lines, std::size_t bare_newlines) noexcept {
        if (lmtp_) (void)lmtp_->start(accepted_recipients_);  // limits::recipients bounds both
        pending_ = decision::message;
        queue(message_end{next_decision(), message_size_, overlong_lines, bare_newlines, accepted_recipients_});
    }

    // A reply the session gives to the message itself; with LMTP, after the final dot
    // or BDAT LAST (`final`), the same reply for every accepted recipient.
    void refuse_message(const reply& r, bool final) noexcept {
        if (lmtp_ && final && lmtp_->start(accepted_recipients_)) {
            (void)write_message_reply(r);  // an empty waiting area takes any reply
            return;
        }
        write_reply(r, true);
    }

    // The answer to the message for every recipient not answered on its own (LMTP), or
    // the one answer (SMTP).
    bool write_message_reply(const reply& r) noexcept {
        if (!lmtp_) return write_reply(r, true);
        reply out = r;
        if (!enhanced()) out.status = {};
        if (!lmtp_->answer_rest(out)) return false;
        write_lmtp_replies();
        return true;
    }

    // LMTP replies whose turn has come go out, except into a BDAT chunk's octets.
    void write_lmtp_replies() noexcept {
        if (lmtp_ && !in_chunk_) lmtp_->write(out_);
    }

    void on_data() noexcept {
        if (binary_) {
            // RFC 3030 §3: BINARYMIME content cannot be dot-terminated; only BDAT.
            fail(server_error::bad_sequence, {503, {5, 5, 1}, "Error: BODY=BINARYMIME requires BDAT"});
            return;
        }
        if (accepted_recipients_ == 0) {
            fail(server_error::no_valid_recipients, {554, {5, 5, 1}, "Error: no valid recipients"});
            return;
        }
        pending_ = decision::data;
        queue(data_begin{next_decision(), accepted_recipients_});
    }

    void end_of_data() noexcept {
        status_allowed_for_command_ = true;
        if (too_large_) {
            message_too_large(true);
            return;
        }
        state_ = server_state::ready;
        deadline_ = timeout_kind::none;
        if (content_refused()) {
            refuse_message({550, {5, 5, 2}, "Error: bare CR or LF in message content"}, true);
            queue(message_aborted{abort_reason::bare_newline});
            return;
        }
        ask_message_end(decoder_.overlong_lines(), decoder_.bare_newlines());
    }

    // Configuration.
    config_error config_status_;
    std::string hostname_;
    extension_set extensions_;
    smtpwire::limits limits_;
    smtpwire::leniency leniency_;
    bare_newline_policy bare_newlines_;
    pipelining_policy early_input_;
    server_timeouts timeouts_;
    bool tls_active_;
    server_auth auth_;

    // Input: a view of the caller's bytes and how far they are consumed.
    session_input input_;
    line_skipper skipper_;
    bool pregreet_ = false;              // see pregreet_input()
    bool skipping_ = false;
    bool discarding_ = false;            // from STARTTLS to its refusal or the handshake
    std::size_t discarded_ = 0;          // octets dropped since STARTTLS
    data_decoder decoder_;

    // Protocol state.
    server_state state_ = server_state::greeting;
    decision pending_ = decision::none;
    decision_id pending_id_{};   // the identity carried by the pending decision's event
    std::uint64_t decisions_ = 0;
    verb hello_verb_ = verb::ehlo;
    bool ehlo_ = false;
    bool smtputf8_ = false;
    bool pending_smtputf8_ = false;
    bool too_large_ = false;
    bool status_allowed_for_command_ = true;
    bool binary_ = false;                // the transaction's MAIL said BODY=BINARYMIME
    bool pending_binary_ = false;
    // BDAT (RFC 3030): the chunk being read, from its command line to its last octet.
    bool in_chunk_ = false;
    bool chunk_last_ = false;            // it is marked LAST
    bool chunk_discard_ = false;         // its octets are dropped: refused, or too large
    bool chunked_ = false;               // the message arrives in BDAT chunks
    std::uint16_t held_ = 0;             // octets at the end of out_ written after the chunk
    std::uint16_t greeting_unsent_ = 0;  // octets of the greeting reply still in out_
    timeout_kind deadline_ = timeout_kind::none;  // the running deadline (see epochs_)
    std::uint64_t chunk_left_ = 0;
    std::size_t accepted_recipients_ = 0;
    std::size_t rcpt_index_ = 0;
    std::uint64_t message_size_ = 0;
    bool authenticated_ = false;
    sasl::mechanism auth_mechanism_ = sasl::mechanism::plain;
    auth_step auth_step_ = auth_step::none;
    unsigned errors_ = 0;
    std::unique_ptr<auth_storage> auth_state_;  // with AUTH offered
    std::unique_ptr<lmtp_replies> lmtp_;        // with server_config::lmtp
    // Timers: the inactivity epoch, the running deadline and its epoch, all epochs drawn
    // from one counter so that an inactivity epoch never equals a deadline epoch.
    std::uint64_t epochs_ = 0;
    std::uint64_t epoch_ = 0;
    std::uint64_t deadline_epoch_ = 0;

    // Events waiting to be returned, in order. A command or content is read only when
    // the queue is empty; one command adds at most four when it closes the session (at
    // the error limit: protocol_error, transaction_reset or message_aborted,
    // protocol_error, closing), otherwise one, which next_event() returns at once. Calls
    // between two next_event()s add at most three: timed_out() (a reset or abort,
    // protocol_error, closing), shutdown() (a reset, closing), reject() with 421 (a
    // reset, closing), or accept() of a hello or STARTTLS (a reset) and then one of the
    // others, which finds no transaction left to reset. Once closing is queued none adds more.
    // So four always suffice.
    event_ring<server_event, 4> events_;

    // Output.
    std::size_t reserve_;
    output_buffer out_;

    bool has_output() const noexcept { return out_.size() > held_; }
};

} // namespace v0
} // namespace smtpwire

#endif
