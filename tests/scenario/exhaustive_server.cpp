// server_session driven through every short command sequence: each verb with a valid and
// an invalid argument, sent one command per feed and pipelined after EHLO, every step
// checked against a model written from RFC 5321 §3.1, §4.1.4, §4.3.2, RFC 2034 §3,
// RFC 2920 §3.1 and the legality table. Random fuzzing reaches these paths only by chance.
#include "smtpwire/server_session.hpp"
#include "support/catch.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "support/server_driver.hpp"

using namespace smtpwire;
using smtpwire_test::describe;
using smtpwire_test::escape;

namespace {

// --- the alphabet ---------------------------------------------------------------

enum class input {
    helo, ehlo, ehlo_bad, mail, mail_bad, rcpt, rcpt_null, data, data_arg, rset, rset_arg,
    noop, quit, quit_arg, vrfy, vrfy_empty, expn, help, lhlo, bdat, auth, starttls,
    unknown, bare_lf, overlong, content,
};

struct symbol {
    input what;
    std::string bytes;
    verb v;  // the verb the line names; verb::unknown when it is not a command line
};

// Lines longer than this are overlong (the RFC 5321 §4.5.3.1.4 minimum).
constexpr std::size_t command_line_limit = 512;

const std::vector<symbol>& alphabet() {
    static const std::vector<symbol> a = {
        {input::helo, "HELO x\r\n", verb::helo},
        {input::ehlo, "EHLO x\r\n", verb::ehlo},
        {input::ehlo_bad, "EHLO -x-\r\n", verb::ehlo},
        {input::mail, "MAIL FROM:<a@b.example>\r\n", verb::mail},
        {input::mail_bad, "MAIL FROM:bad\r\n", verb::mail},
        {input::rcpt, "RCPT TO:<c@d.example>\r\n", verb::rcpt},
        {input::rcpt_null, "RCPT TO:<>\r\n", verb::rcpt},
        {input::data, "DATA\r\n", verb::data},
        {input::data_arg, "DATA x\r\n", verb::data},
        {input::rset, "RSET\r\n", verb::rset},
        {input::rset_arg, "RSET x\r\n", verb::rset},
        {input::noop, "NOOP\r\n", verb::noop},
        {input::quit, "QUIT\r\n", verb::quit},
        {input::quit_arg, "QUIT x\r\n", verb::quit},
        {input::vrfy, "VRFY user\r\n", verb::vrfy},
        {input::vrfy_empty, "VRFY\r\n", verb::vrfy},
        {input::expn, "EXPN list\r\n", verb::expn},
        {input::help, "HELP\r\n", verb::help},
        {input::lhlo, "LHLO x\r\n", verb::lhlo},
        {input::bdat, "BDAT 1 LAST\r\n", verb::bdat},
        {input::auth, "AUTH PLAIN\r\n", verb::auth},
        {input::starttls, "STARTTLS\r\n", verb::starttls},
        {input::unknown, "XYZZY\r\n", verb::unknown},
        {input::bare_lf, "NO\nOP\r\n", verb::unknown},
        {input::overlong, "NOOP " + std::string(command_line_limit, 'x') + "\r\n", verb::unknown},
        {input::content, "x\r\n.\r\n", verb::unknown},
    };
    return a;
}

std::string name_of(const symbol& s) {
    if (s.what == input::overlong) return "NOOP x{512}\\r\\n";
    if (s.what == input::content) return "<content x\\r\\n.\\r\\n>";
    return escape(s.bytes);
}

std::string sequence_text(const std::vector<std::size_t>& seq) {
    std::string s;
    for (std::size_t i : seq) s += (s.empty() ? "" : " | ") + name_of(alphabet()[i]);
    return s.empty() ? "(none)" : s;
}

// --- what the application answers ---------------------------------------------------

// The reply code the application gives to each decision; 0 accepts it.
struct app_policy {
    std::uint16_t hello = 0, mail = 0, rcpt = 0, data = 0, message = 0, vrfy = 0;
};

// One exhaustive pass: how commands are sent, the configuration, the application.
struct pass {
    const char* name;
    bool pipelined;        // one feed after EHLO, instead of one command per feed
    bool enhanced;         // ENHANCEDSTATUSCODES offered
    unsigned error_limit;  // limits::errors
    pipelining_policy early;
    bool refuse_greeting;  // the greeting decision is answered 554
    app_policy app;
    std::size_t depth;
    std::size_t history;   // last symbols that, with the model state, identify a sequence
};

server_config config_for(const pass& p) {
    server_config c;
    c.hostname = "mx.example";
    c.extensions = {extension::pipelining, extension::size, extension::eight_bit_mime,
                    extension::smtputf8};
    if (p.enhanced) c.extensions.add(extension::enhanced_status_codes);
    c.limits.command_line = command_line_limit;
    c.limits.errors = p.error_limit;
    c.early_input = p.early;
    return c;
}

// --- the model ---------------------------------------------------------------------

// Legality of a verb in a command-reading state, written from the RFC, not from
// server_state.hpp: the test checks that the two agree.
legality model_legality(server_state s, verb v) {
    // Nothing is read before the greeting, during content, while TLS is being set up
    // (RFC 3207 §4.2) or after closing.
    if (s == server_state::greeting || s == server_state::data || s == server_state::auth ||
        s == server_state::tls_handover || s == server_state::closed)
        return legality::not_read;
    // RFC 5321 §3.1: after a 554 greeting the server answers 503 to all but QUIT.
    if (s == server_state::refused) return v == verb::quit ? legality::allowed : legality::bad_sequence;
    switch (v) {
    // §4.1.4: HELO/EHLO at any time; RSET, NOOP, VRFY, EXPN, HELP at any time, even
    // before the session is initialised; QUIT ends any session.
    case verb::helo: case verb::ehlo: case verb::rset: case verb::noop: case verb::quit:
    case verb::vrfy: case verb::expn: case verb::help:
        return legality::allowed;
    // §4.1.4, §3.3: MAIL after EHLO/HELO and not inside a transaction (503 otherwise).
    case verb::mail:
        return s == server_state::ready ? legality::allowed : legality::bad_sequence;
    // §3.3: RCPT after MAIL; DATA after MAIL (554 when no RCPT succeeded); neither once
    // the content has begun arriving in BDAT chunks (RFC 3030 §2).
    case verb::rcpt: case verb::data:
        return s == server_state::mail || s == server_state::rcpt ? legality::allowed
                                                                 : legality::bad_sequence;
    // RFC 3030 §2: BDAT as DATA, and again after each chunk until the one marked LAST.
    case verb::bdat:
        return s == server_state::mail || s == server_state::rcpt || s == server_state::bdat
                   ? legality::allowed
                   : legality::bad_sequence;
    // RFC 3207 §4: STARTTLS once EHLO has shown it offered, in or out of a transaction.
    case verb::starttls:
        return s == server_state::connected ? legality::bad_sequence : legality::allowed;
    // RFC 4954 §4: AUTH after EHLO and outside a mail transaction.
    case verb::auth:
        return s == server_state::ready ? legality::allowed : legality::bad_sequence;
    // LHLO in SMTP mode: 502 (§4.2.4).
    case verb::lhlo: case verb::unknown:
        return legality::not_implemented;
    }
    return legality::not_implemented;
}

// No pass offers STARTTLS, AUTH or CHUNKING: they are 502 wherever commands are read
// (RFC 5321 §4.2.4), but after a 554 greeting (§3.1 answers everything but QUIT with 503
// there). `table` is the legality they would have if offered.
legality unoffered_legality(server_state s, verb v, legality table) {
    const bool unoffered = (v == verb::starttls || v == verb::auth || v == verb::bdat) &&
                           table != legality::not_read && s != server_state::refused;
    return unoffered ? legality::not_implemented : table;
}

// RFC 2920 §3.1: the commands that end a pipelined group (HELO counted with EHLO).
bool ends_group(verb v) {
    switch (v) {
    case verb::helo: case verb::ehlo: case verb::data: case verb::vrfy: case verb::expn:
    case verb::noop: case verb::quit:
        return true;
    default:
        return false;
    }
}

struct expected_reply {
    std::uint16_t code = 0;
    std::string status;     // "" when the reply must carry none
    std::size_t lines = 1;
    bool by_app = false;    // the application chose the code
    bool sync = false;      // the answer to input sent too early (RFC 2920 §3.1)
    friend bool operator==(const expected_reply& a, const expected_reply& b) {
        return a.code == b.code && a.status == b.status && a.lines == b.lines;
    }
};

std::string show(const std::vector<expected_reply>& rs) {
    std::string s;
    for (const auto& r : rs) {
        s += (s.empty() ? "" : ", ") + std::to_string(r.code);
        if (!r.status.empty()) s += " " + r.status;
        if (r.lines != 1) s += " (" + std::to_string(r.lines) + " lines)";
    }
    return "[" + s + "]";
}

std::string show(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& e : v) s += (s.empty() ? "" : ", ") + e;
    return "[" + s + "]";
}

// What one command must produce.
struct expected_step {
    std::vector<expected_reply> replies;
    std::vector<std::string> events;
    bool decision = false;  // a decision event comes before any reply of this step
    server_state at_decision = server_state::closed;  // the state the session is in then
};

struct model {
    server_state st = server_state::connected;
    bool ehlo = false;             // the last accepted hello was EHLO (PIPELINING in effect)
    unsigned errors = 0;
    std::size_t accepted = 0;      // recipients accepted in the open transaction
    std::size_t rcpt_index = 0;    // RCPTs of the open transaction that reached the app

    bool transaction() const { return st == server_state::mail || st == server_state::rcpt; }

    std::string key() const {
        return std::to_string(static_cast<int>(st)) + (ehlo ? "e" : "h") + std::to_string(errors) + "/" +
               std::to_string(accepted) + "/" + std::to_string(rcpt_index);
    }
};

std::string error_event(server_error what, std::uint16_t code) {
    return describe(server_event{protocol_error{what, code}});
}

std::string closing_event(close_reason why) { return describe(server_event{closing{why}}); }

// A choice of the session's, modelled as it behaves so that any change is noticed:
// RFC 5321 §4.3.2 lists no 554 for HELO, EHLO, NOOP, VRFY or EXPN (421 may answer any
// command); the session answers early input after them with Postfix's 554 5.5.0
// (without the status after HELO and EHLO, RFC 2034 §3). rfc_allows() is not asked
// about that reply (expected_reply::sync).

// The effect of one symbol on the model; `more` says whether more input follows it in
// the same feed.
class stepper {
public:
    stepper(const pass& p, model& m, expected_step& e) : p_(p), m_(m), e_(e) {}

    void run(const symbol& sym, bool more) {
        if (m_.st == server_state::closed) return;  // no more input is read
        if (m_.st == server_state::data) {
            // Only content is sent in this state (the sequences never put a command here).
            m_.st = server_state::ready;
            e_.events.push_back("body x\\r\\n");
            decide("message_end size=3", p_.app.message, "2.0.0", true);
            return;
        }
        const bool hello_verb = sym.v == verb::helo || sym.v == verb::ehlo;
        switch (sym.what) {
        case input::overlong: return session_error(500, "5.5.2", server_error::line_too_long, false);
        case input::bare_lf: return session_error(500, "5.5.2", server_error::bare_newline_in_command, false);
        case input::unknown: return session_error(500, "5.5.1", server_error::unknown_command, false);
        default: break;
        }
        switch (unoffered_legality(m_.st, sym.v, model_legality(m_.st, sym.v))) {
        case legality::not_implemented:
            return session_error(502, "5.5.1", server_error::not_implemented, hello_verb);
        case legality::bad_sequence:
            return session_error(503, "5.5.1", server_error::bad_sequence, hello_verb);
        default:
            break;
        }
        // §4.1.1: DATA, RSET and QUIT take no argument; VRFY requires one.
        if (sym.what == input::data_arg || sym.what == input::rset_arg || sym.what == input::quit_arg ||
            sym.what == input::vrfy_empty)
            return session_error(501, "5.5.4", server_error::syntax, false);
        // RFC 2920 §3.1: nothing may follow a group-ending command, nor any command while
        // PIPELINING is not in effect, before its reply. QUIT ends the session anyway.
        if (more && p_.early == pipelining_policy::reject && sym.v != verb::quit &&
            (!m_.ehlo || ends_group(sym.v))) {
            if (m_.transaction()) e_.events.push_back("transaction_reset");
            e_.events.push_back(error_event(server_error::pipelining_violation, 554));
            e_.replies.push_back(
                {554, status("5.5.0", hello_verb), 1, false, true});
            e_.events.push_back(closing_event(close_reason::pipelining_violation));
            m_.st = server_state::closed;
            return;
        }
        switch (sym.what) {
        case input::helo:
        case input::ehlo:
            return hello(sym.v);
        case input::ehlo_bad:
            return session_error(501, "5.5.4", server_error::syntax, true);
        case input::mail:
            return decide("mail_from <a@b.example>", p_.app.mail, "2.1.0", false);
        case input::mail_bad:
            return session_error(501, "5.1.7", server_error::syntax, false);
        case input::rcpt:
            return decide("rcpt_to <c@d.example> #" + std::to_string(m_.rcpt_index++), p_.app.rcpt, "2.1.5",
                          false);
        case input::rcpt_null:
            return session_error(501, "5.1.3", server_error::syntax, false);
        case input::data:
            // §3.3: DATA with no accepted recipient may be answered 554.
            if (m_.accepted == 0) return session_error(554, "5.5.1", server_error::no_valid_recipients, false);
            return decide("data_begin " + std::to_string(m_.accepted), p_.app.data, "", false);
        case input::rset:
            // §4.1.1.5: RSET drops the transaction; before EHLO it changes nothing else.
            if (m_.transaction()) e_.events.push_back("transaction_reset");
            if (m_.st != server_state::connected) m_.st = server_state::ready;
            e_.replies.push_back({250, status("2.0.0", false)});
            return;
        case input::noop:
            e_.replies.push_back({250, status("2.0.0", false)});
            return;
        case input::quit:
            if (m_.transaction()) e_.events.push_back("transaction_reset");
            e_.replies.push_back({221, status("2.0.0", false)});
            e_.events.push_back(closing_event(close_reason::quit));
            m_.st = server_state::closed;
            return;
        case input::vrfy:
            return decide("verify user", p_.app.vrfy, "2.5.0", false);
        case input::expn:
            // §3.5.2, §4.3.2: EXPN may be refused with 502; a policy, not a peer error.
            e_.replies.push_back({502, status("5.5.1", false)});
            return;
        case input::help:
            e_.replies.push_back({214, status("2.0.0", false)});
            return;
        default:
            return;  // unreachable: every other symbol was answered above
        }
    }

private:
    // RFC 2034 §3: a status code in every 2xx, 4xx and 5xx reply but the greeting and the
    // responses to HELO and EHLO, whether or not the client used EHLO.
    std::string status(std::string s, bool hello_reply) const {
        return p_.enhanced && !hello_reply ? s : std::string();
    }

    // A reply the session chooses itself, counted towards the error limit.
    void session_error(std::uint16_t code, const char* st, server_error what, bool hello_reply) {
        e_.replies.push_back({code, status(st, hello_reply)});
        e_.events.push_back(error_event(what, code));
        if (++m_.errors < p_.error_limit) return;
        if (m_.transaction()) e_.events.push_back("transaction_reset");
        e_.replies.push_back({421, status("4.7.0", false)});
        e_.events.push_back(error_event(server_error::too_many_errors, 421));
        e_.events.push_back(closing_event(close_reason::too_many_errors));
        m_.st = server_state::closed;
    }

    void hello(verb v) {
        e_.events.push_back(std::string("hello ") + (v == verb::ehlo ? "EHLO" : "HELO") + " x");
        e_.decision = true;
        e_.at_decision = m_.st;  // nothing changes until the answer
        const std::uint16_t code = p_.app.hello;
        if (code == 0) {
            // One line after HELO; after EHLO the hostname and one line per extension.
            const std::size_t lines = v == verb::ehlo ? (p_.enhanced ? 6 : 5) : 1;
            e_.replies.push_back({250, "", lines});
            // §4.1.4: an accepted EHLO/HELO clears the transaction, as RSET does.
            if (m_.transaction()) e_.events.push_back("transaction_reset");
            m_.st = server_state::ready;
            m_.ehlo = v == verb::ehlo;
            return;
        }
        e_.replies.push_back({code, "", 1, true});
        if (code == 421) return close_refused(false);
        // §4.1.4: a refused EHLO leaves the state exactly as it was.
    }

    // A decision event and the application's answer; `ok_status` for the default reply
    // ("" for 354), `message` for message_end (the transaction ended at the final dot).
    void decide(const std::string& event, std::uint16_t code, const char* ok_status, bool message) {
        e_.events.push_back(event);
        e_.decision = true;
        e_.at_decision = m_.st;  // nothing changes until the answer
        if (code == 0) {
            if (event.rfind("mail_from", 0) == 0) {
                e_.replies.push_back({250, status(ok_status, false)});
                m_.st = server_state::mail;
                m_.accepted = 0;
                m_.rcpt_index = 0;
            } else if (event.rfind("rcpt_to", 0) == 0) {
                e_.replies.push_back({250, status(ok_status, false)});
                ++m_.accepted;
                m_.st = server_state::rcpt;
            } else if (event.rfind("data_begin", 0) == 0) {
                e_.replies.push_back({354, ""});  // RFC 2034: 3xx replies carry no status
                m_.st = server_state::data;
            } else if (event.rfind("verify", 0) == 0) {
                e_.replies.push_back({252, status(ok_status, false)});
            } else {
                e_.replies.push_back({250, status(ok_status, false)});
            }
            return;
        }
        // reject() fills an empty status with the code's class.
        e_.replies.push_back({code, status(std::to_string(code / 100) + ".0.0", false), 1, true});
        if (code == 421) close_refused(event.rfind("mail_from", 0) == 0 || message);
    }

    // A 421 answer closes the session; the transaction it belongs to is reset.
    void close_refused(bool own_transaction) {
        if (m_.transaction() || own_transaction) e_.events.push_back("transaction_reset");
        e_.events.push_back(closing_event(close_reason::refused));
        m_.st = server_state::closed;
    }

    const pass& p_;
    model& m_;
    expected_step& e_;
};

expected_step expect(const pass& p, model& m, const symbol& sym, bool more) {
    expected_step e;
    stepper(p, m, e).run(sym, more);
    return e;
}

// RFC 5321 §4.3.2: the codes a command may be answered with (what the session chooses;
// the application's own codes are its business). 500, 501 and 421 may answer any
// command; after a 554 greeting every command but QUIT gets 503 (§3.1).
bool rfc_allows(verb v, std::uint16_t code, server_state before) {
    if (code == 500 || code == 501 || code == 421) return true;
    if (before == server_state::refused && code == 503) return true;
    auto in = [code](std::initializer_list<int> l) { return std::find(l.begin(), l.end(), code) != l.end(); };
    switch (v) {
    case verb::helo: case verb::ehlo: return in({250, 504, 550, 502});
    case verb::mail: return in({250, 552, 451, 452, 550, 553, 503, 455, 555});
    case verb::rcpt: return in({250, 251, 550, 551, 552, 553, 450, 451, 452, 503, 455, 555});
    case verb::data: return in({354, 503, 554});
    case verb::rset: case verb::noop: return code == 250;
    case verb::vrfy: return in({250, 251, 252, 550, 551, 553, 502, 504});
    case verb::expn: return in({250, 252, 550, 500, 502, 504});
    case verb::help: return in({211, 214, 502, 504});
    case verb::quit: return code == 221;
    // Extensions not offered (§4.2.4).
    case verb::lhlo: case verb::bdat: case verb::auth: case verb::starttls: return code == 502;
    case verb::unknown: return false;
    }
    return false;
}

// --- reading the session's output ----------------------------------------------------

struct parsed_reply {
    std::uint16_t code = 0;
    std::string status;
    std::size_t lines = 0;
};

// Splits output into replies: lines "ddd-text" continue a reply, "ddd text" ends it.
std::vector<parsed_reply> parse_replies(std::string_view out, std::string& problem) {
    std::vector<parsed_reply> replies;
    parsed_reply current;
    while (!out.empty()) {
        const std::size_t end = out.find("\r\n");
        if (end == std::string_view::npos) {
            problem = "output ends inside a line: " + escape(out);
            return replies;
        }
        const std::string_view line = out.substr(0, end);
        out.remove_prefix(end + 2);
        const bool digits = line.size() >= 3 && line[0] >= '2' && line[0] <= '5' && line[1] >= '0' &&
                            line[1] <= '9' && line[2] >= '0' && line[2] <= '9';
        if (!digits || (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
            problem = "malformed reply line: " + escape(line);
            return replies;
        }
        const auto code = static_cast<std::uint16_t>((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
        if (current.lines > 0 && current.code != code) {
            problem = "one reply with two codes: " + escape(line);
            return replies;
        }
        if (current.lines == 0) {
            current.code = code;
            // A status "d.d{1,3}.d{1,3}" then a space (RFC 2034 §4), on the first line.
            const std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view{};
            const std::size_t sp = text.find(' ');
            const std::string_view word = text.substr(0, sp);
            const bool is_status = word.size() >= 5 && word[1] == '.' && word[0] >= '2' && word[0] <= '5' &&
                                   std::count(word.begin(), word.end(), '.') == 2 &&
                                   word.find_first_not_of("0123456789.") == std::string_view::npos;
            if (is_status) current.status = std::string(word);
        }
        ++current.lines;
        if (line.size() == 3 || line[3] == ' ') {
            replies.push_back(current);
            current = parsed_reply{};
        }
    }
    if (current.lines > 0) problem = "output ends inside a multi-line reply";
    return replies;
}

// Replies completed in `out`, counted by their last line.
std::size_t count_replies(std::string_view out) {
    std::size_t n = 0;
    for (std::size_t at = 0; at < out.size();) {
        const std::size_t end = out.find("\r\n", at);
        if (end == std::string_view::npos) break;
        if (end - at == 3 || (end - at > 3 && out[at + 3] == ' ')) ++n;
        at = end + 2;
    }
    return n;
}

// When a decision event came: the replies already written, and the session's state.
struct decision_seen {
    std::size_t replies = 0;
    server_state state = server_state::closed;
    friend bool operator==(const decision_seen& a, const decision_seen& b) {
        return a.replies == b.replies && a.state == b.state;
    }
};

std::string show(const std::vector<decision_seen>& v) {
    std::string s;
    for (const auto& d : v)
        s += (s.empty() ? "" : ", ") + std::to_string(d.replies) + " replies in " + std::string(to_string(d.state));
    return "[" + s + "]";
}

// --- driving the session ------------------------------------------------------------

// One session, answering decisions as the pass says and recording what it sees.
class driver {
public:
    explicit driver(const pass& p) : p_(p), s_(config_for(p)) {}

    server_session& session() { return s_; }

    // Feeds `bytes` (after the tail left unconsumed) and runs until the session waits.
    void send(const std::string& bytes) {
        fed_ = std::string(s_.unconsumed()) + bytes;
        if (s_.feed(fed_) != errc::ok) problems.push_back("feed refused");
        pump();
    }

    // Runs until the session needs data or is closed.
    void pump() {
        for (int guard = 0; guard < 10000; ++guard) {
            const server_event ev = s_.next_event();
            if (std::holds_alternative<need_output>(ev)) {
                out_ += s_.output();
                s_.consume_output(s_.output().size());
                continue;
            }
            if (std::holds_alternative<need_data>(ev) || std::holds_alternative<closed>(ev)) return;
            if (std::holds_alternative<paused>(ev)) {
                problems.push_back("paused without a decision");
                return;
            }
            if (closing_seen_) problems.push_back("event after closing: " + describe(ev));
            if (const auto* chunk = std::get_if<body_chunk>(&ev)) {
                if (last_was_body_)
                    events.back() += escape(chunk->bytes);
                else
                    events.push_back(describe(ev));
                last_was_body_ = true;
                continue;
            }
            last_was_body_ = false;
            if (std::holds_alternative<closing>(ev)) closing_seen_ = true;
            if (!std::holds_alternative<client_connected>(ev)) events.push_back(describe(ev));
            if (is_decision(ev)) {
                // The decision comes before its reply: count the replies written so far.
                decisions.push_back(
                    {replies_taken_ + count_replies(out_) + count_replies(s_.output()), s_.state()});
                answer(ev);
            }
        }
        problems.push_back("the session never waited");
    }

    // The replies written since the last call, parsed.
    std::vector<parsed_reply> take_replies() {
        std::string problem;
        std::vector<parsed_reply> r = parse_replies(out_, problem);
        if (!problem.empty()) problems.push_back(problem);
        replies_taken_ += r.size();
        out_.clear();
        return r;
    }

    // Replies taken so far, the greeting included.
    std::size_t replies_taken() const { return replies_taken_; }

    void clear() {
        events.clear();
        decisions.clear();
    }

    std::vector<std::string> events;
    std::vector<decision_seen> decisions;
    std::vector<std::string> problems;

private:
    void answer(const server_event& ev) {
        std::uint16_t code = 0;
        if (std::holds_alternative<client_connected>(ev)) code = p_.refuse_greeting ? 554 : 0;
        else if (std::holds_alternative<hello>(ev)) code = p_.app.hello;
        else if (std::holds_alternative<mail_from>(ev)) code = p_.app.mail;
        else if (std::holds_alternative<rcpt_to>(ev)) code = p_.app.rcpt;
        else if (std::holds_alternative<data_begin>(ev)) code = p_.app.data;
        else if (std::holds_alternative<message_end>(ev)) code = p_.app.message;
        else if (std::holds_alternative<verify>(ev)) code = p_.app.vrfy;
        const errc e = code == 0 ? s_.accept() : s_.reject(reply{code, {}, "no"});
        if (e != errc::ok) problems.push_back("answer refused: " + std::string(to_string(e)));
    }

    const pass& p_;
    server_session s_;
    std::string fed_;
    std::string out_;
    std::size_t replies_taken_ = 0;
    bool closing_seen_ = false;
    bool last_was_body_ = false;
};

model initial_model(const pass& p) {
    model m;
    m.st = p.refuse_greeting ? server_state::refused : server_state::connected;
    return m;
}

// Compares what a step (or a pipelined batch) produced with the model; "" when equal.
std::string compare(const std::vector<expected_reply>& want_replies, const std::vector<parsed_reply>& got_replies,
                    const std::vector<std::string>& want_events, const std::vector<std::string>& got_events,
                    const std::vector<decision_seen>& want_decisions, const std::vector<decision_seen>& got_decisions) {
    if (got_decisions != want_decisions)
        return "decisions came after " + show(got_decisions) + ", model " + show(want_decisions);
    if (got_events != want_events) return "events " + show(got_events) + ", model " + show(want_events);
    std::vector<expected_reply> got;
    for (const auto& r : got_replies) got.push_back({r.code, r.status, r.lines});
    if (got != want_replies) return "replies " + show(got) + ", model " + show(want_replies);
    return {};
}

// The replies to one command, as the session chose them, against the legality table and
// RFC 5321 §4.3.2. `before` is the model's state when the command arrived.
std::string check_codes(const symbol& sym, server_state before, const expected_step& want,
                        const parsed_reply* got, std::size_t count) {
    if (before == server_state::data || before == server_state::closed || sym.v == verb::unknown) {
        // Content, input after closing, and lines that name no command: no verb to check.
    } else {
        // The table agrees with the RFC model and with the code sent: 503 exactly for
        // bad_sequence, 502 for not_implemented (and for EXPN, allowed but refused).
        if (legality_of(before, sym.v) != model_legality(before, sym.v))
            return "legality_of disagrees with the RFC model";
        const legality table = unoffered_legality(before, sym.v, legality_of(before, sym.v));
        const std::uint16_t code = count == 0 ? 0 : got[0].code;
        if ((table == legality::bad_sequence) != (code == 503))
            return "legality_of(" + std::string(to_string(before)) + ", " + std::string(to_string(sym.v)) +
                   ") is bad_sequence iff the reply is 503; got " + std::to_string(code);
        if ((table == legality::not_implemented) != (code == 502) && sym.v != verb::expn)
            return "legality_of(" + std::string(to_string(before)) + ", " + std::string(to_string(sym.v)) +
                   ") is not_implemented iff the reply is 502; got " + std::to_string(code);
    }
    for (std::size_t r = 0; r < count && r < want.replies.size(); ++r) {
        if (want.replies[r].by_app || want.replies[r].sync || before == server_state::data) continue;
        if (!rfc_allows(sym.v, got[r].code, before))
            return "code " + std::to_string(got[r].code) + " to " + std::string(to_string(sym.v)) +
                   " is not one RFC 5321 §4.3.2 allows";
    }
    return {};
}

std::string state_mismatch(server_state got, server_state want) {
    return "state " + std::string(to_string(got)) + ", model " + std::string(to_string(want));
}

// Greets (answering client_connected as the pass says) and checks the greeting.
std::string start(const pass& p, driver& d) {
    d.pump();
    const std::vector<parsed_reply> r = d.take_replies();
    if (r.size() != 1 || r[0].code != (p.refuse_greeting ? 554 : 220) || !r[0].status.empty())
        return "greeting: not a single 220 (or 554) without status";
    if (d.session().state() != initial_model(p).st)
        return "greeting: " + state_mismatch(d.session().state(), initial_model(p).st);
    d.clear();
    return {};
}

// One command per feed, each after the replies to the one before: every step checked.
std::string run_stepwise(const pass& p, const std::vector<std::size_t>& seq) {
    driver d(p);
    if (std::string e = start(p, d); !e.empty()) return e;
    model m = initial_model(p);
    for (std::size_t i = 0; i < seq.size(); ++i) {
        const symbol& sym = alphabet()[seq[i]];
        const server_state before = m.st;
        const expected_step want = expect(p, m, sym, false);
        std::vector<decision_seen> want_decisions;
        if (want.decision) want_decisions.push_back({d.replies_taken(), want.at_decision});
        d.send(sym.bytes);
        const std::vector<parsed_reply> got = d.take_replies();
        const std::string where = "step " + std::to_string(i + 1) + " (" + name_of(sym) + "): ";
        if (!d.problems.empty()) return where + d.problems.front();
        if (std::string e = check_codes(sym, before, want, got.data(), got.size()); !e.empty()) return where + e;
        if (std::string e = compare(want.replies, got, want.events, d.events, want_decisions, d.decisions);
            !e.empty())
            return where + e;
        if (d.session().state() != m.st) return where + state_mismatch(d.session().state(), m.st);
        d.clear();
        if (m.st == server_state::closed) {
            if (i + 1 != seq.size()) return where + "sequence continues after closing";
            d.send("NOOP\r\n");  // input after closing is discarded
            if (!d.take_replies().empty() || !d.events.empty() || !d.problems.empty())
                return where + "the session answered after closing";
            if (!d.session().done()) return where + "closed but not done";
        }
    }
    return {};
}

// EHLO in its own feed, then every command of `seq` in one feed (RFC 2920).
std::string run_pipelined(const pass& p, const std::vector<std::size_t>& seq) {
    driver d(p);
    if (std::string e = start(p, d); !e.empty()) return e;
    model m = initial_model(p);
    const symbol& ehlo = alphabet()[static_cast<std::size_t>(input::ehlo)];
    const expected_step hello_step = expect(p, m, ehlo, false);
    const std::vector<decision_seen> hello_decision{{d.replies_taken(), hello_step.at_decision}};
    d.send(ehlo.bytes);
    if (std::string e = compare(hello_step.replies, d.take_replies(), hello_step.events, d.events, hello_decision,
                                d.decisions);
        !e.empty())
        return "EHLO: " + e;
    d.clear();
    std::vector<expected_step> steps;
    std::vector<server_state> before;
    std::vector<expected_reply> want_replies;
    std::vector<std::string> want_events;
    std::vector<decision_seen> want_decisions;
    const std::size_t replies_before = d.replies_taken();
    std::string batch;
    for (std::size_t i = 0; i < seq.size(); ++i) {
        const symbol& sym = alphabet()[seq[i]];
        batch += sym.bytes;
        before.push_back(m.st);
        steps.push_back(expect(p, m, sym, i + 1 < seq.size()));
        const expected_step& e = steps.back();
        if (e.decision) want_decisions.push_back({replies_before + want_replies.size(), e.at_decision});
        want_replies.insert(want_replies.end(), e.replies.begin(), e.replies.end());
        want_events.insert(want_events.end(), e.events.begin(), e.events.end());
    }
    d.send(batch);
    const std::vector<parsed_reply> got = d.take_replies();
    if (!d.problems.empty()) return d.problems.front();
    if (std::string e = compare(want_replies, got, want_events, d.events, want_decisions, d.decisions); !e.empty())
        return e;
    if (d.session().state() != m.st) return state_mismatch(d.session().state(), m.st);
    // The replies match the model's in number and order: check each command's own.
    std::size_t at = 0;
    for (std::size_t i = 0; i < seq.size(); ++i) {
        const symbol& sym = alphabet()[seq[i]];
        if (std::string e = check_codes(sym, before[i], steps[i], got.data() + at, steps[i].replies.size());
            !e.empty())
            return "command " + std::to_string(i + 1) + " (" + name_of(sym) + "): " + e;
        at += steps[i].replies.size();
    }
    return {};
}

struct failure {
    std::string pass;
    std::string sequence;
    std::string what;
};

struct exploration {
    std::size_t runs = 0;
    std::size_t states = 0;
    std::size_t deepest = 0;
    std::vector<failure> failures;
};

// Breadth-first over sequences, each run whole against a fresh session. A sequence whose
// model state and last `history` symbols a shorter or earlier sequence reached is run but
// not extended: its continuations would meet the same session state. So every sequence of
// up to history + 1 symbols runs, and longer ones as far as they can differ.
void explore(const pass& p, exploration& x) {
    struct node {
        model m;
        std::vector<std::size_t> path;
    };
    std::vector<node> frontier{{p.pipelined ? model{server_state::ready, true, 0, 0, 0} : initial_model(p), {}}};
    std::set<std::string> seen;
    for (std::size_t depth = 1; depth <= p.depth && !frontier.empty(); ++depth) {
        std::vector<node> next;
        for (const node& n : frontier) {
            for (std::size_t i = 0; i < alphabet().size(); ++i) {
                const bool content = alphabet()[i].what == input::content;
                if (content != (n.m.st == server_state::data)) continue;  // content only after 354
                std::vector<std::size_t> path = n.path;
                path.push_back(i);
                const std::string err = p.pipelined ? run_pipelined(p, path) : run_stepwise(p, path);
                ++x.runs;
                x.deepest = std::max(x.deepest, path.size());
                if (!err.empty()) {
                    if (x.failures.size() < 20) x.failures.push_back({p.name, sequence_text(path), err});
                    continue;
                }
                model m = n.m;
                (void)expect(p, m, alphabet()[i], p.pipelined);
                if (m.st == server_state::closed && !p.pipelined) continue;
                std::string key = m.key();
                for (std::size_t k = path.size() > p.history ? path.size() - p.history : 0; k < path.size(); ++k)
                    key += ":" + std::to_string(path[k]);
                if (seen.insert(key).second) next.push_back({m, std::move(path)});
            }
        }
        frontier = std::move(next);
    }
    x.states += seen.size();
}

void report(const exploration& x) {
    for (const failure& f : x.failures) {
        INFO("pass: " << f.pass);
        INFO("sequence: " << f.sequence);
        FAIL_CHECK(f.what);
    }
    CHECK(x.failures.empty());
}

} // namespace

TEST_CASE("server exhaustive: the legality table is the RFC's") {
    for (std::size_t s = 0; s < server_state_count; ++s) {
        for (std::size_t v = 0; v < verb_count; ++v) {
            const auto st = static_cast<server_state>(s);
            const auto vb = static_cast<verb>(v);
            INFO(to_string(st) << " " << to_string(vb));
            CHECK(legality_of(st, vb) == model_legality(st, vb));
        }
    }
}

TEST_CASE("server exhaustive: every sequence of up to five commands sent one per feed") {
    const app_policy accept_all{};
    app_policy reject_rcpt;
    reject_rcpt.rcpt = 550;
    const app_policy refuse_all{550, 550, 450, 451, 554, 550};
    const app_policy close_all{421, 421, 421, 421, 421, 421};
    const auto early = pipelining_policy::reject;
    // Five commands after the greeting. History 2 (accepting every decision) runs every
    // sequence of three; history 1 every sequence of two.
    const pass passes[] = {
        {"accept every decision", false, true, 20, early, false, accept_all, 5, 2},
        {"reject every RCPT", false, true, 20, early, false, reject_rcpt, 5, 1},
        {"accept every decision, 3 errors", false, true, 3, early, false, accept_all, 5, 1},
        {"refuse every decision, no enhanced codes, 3 errors", false, false, 3, early, false, refuse_all, 5, 1},
        {"421 to every decision", false, true, 20, early, false, close_all, 5, 1},
        {"554 greeting", false, true, 20, early, true, accept_all, 5, 1},
    };
    exploration x;
    for (const pass& p : passes) explore(p, x);
    report(x);
    CHECK(x.deepest == 5);
    CHECK(x.runs > 100000);
}

TEST_CASE("server exhaustive: every batch of up to five commands pipelined after EHLO") {
    const app_policy accept_all{};
    app_policy reject_rcpt;
    reject_rcpt.rcpt = 550;
    const auto tolerate = pipelining_policy::tolerate;
    const auto refuse = pipelining_policy::reject;
    // Five commands in the feed after EHLO's; early input tolerated (processed as if
    // sent in turn) or refused (554 5.5.0 after a group-ending command, RFC 2920 §3.1).
    const pass passes[] = {
        {"pipelined, tolerated, accept every decision", true, true, 20, tolerate, false, accept_all, 5, 1},
        {"pipelined, tolerated, reject every RCPT", true, true, 20, tolerate, false, reject_rcpt, 5, 1},
        {"pipelined, refused, accept every decision", true, true, 20, refuse, false, accept_all, 5, 1},
        {"pipelined, refused, reject every RCPT", true, true, 20, refuse, false, reject_rcpt, 5, 1},
    };
    exploration x;
    for (const pass& p : passes) explore(p, x);
    report(x);
    CHECK(x.deepest == 5);
    CHECK(x.runs > 40000);
}
