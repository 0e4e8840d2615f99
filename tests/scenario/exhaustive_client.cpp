// client_session driven through every order of its calls (mail_from, rcpt_to, data,
// send_body, end_body, reset, quit) interleaved with server replies of every class (2xx,
// an unknown 2xx, 354, 4xx, 5xx, a malformed line, 421) and the server closing, with and
// without PIPELINING; each step checked against a model of the API's documented rules,
// RFC 5321 §3.3, §4.2, §4.3.2 and RFC 2920 §3.1, then the run finished and checked whole.
#include "smtpwire/client_session.hpp"
#include "support/catch.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "support/server_driver.hpp"

using namespace smtpwire;
using smtpwire_test::escape;

namespace {

// --- the alphabet: the application's calls and the server's doings --------------------

enum class action {
    mail, rcpt, rcpt_bad, data, body, end, reset, quit,             // calls
    r250, r299, r354, r451, r550, malformed, r421, eof,             // the server
};

constexpr std::size_t action_count = static_cast<std::size_t>(action::eof) + 1;

bool is_call(action a) { return a <= action::quit; }

const char* name_of(action a) {
    switch (a) {
    case action::mail: return "mail_from";
    case action::rcpt: return "rcpt_to";
    case action::rcpt_bad: return "rcpt_to(CRLF)";
    case action::data: return "data";
    case action::body: return "send_body";
    case action::end: return "end_body";
    case action::reset: return "reset";
    case action::quit: return "quit";
    case action::r250: return "S:250";
    case action::r299: return "S:299";
    case action::r354: return "S:354";
    case action::r451: return "S:451";
    case action::r550: return "S:550";
    case action::malformed: return "S:malformed";
    case action::r421: return "S:421";
    case action::eof: return "S:EOF";
    }
    return "?";
}

std::string sequence_text(const std::vector<action>& seq) {
    std::string s;
    for (action a : seq) s += (s.empty() ? "" : " ") + std::string(name_of(a));
    return s.empty() ? "(none)" : s;
}

const std::string_view body_part = "x\r\n";
const std::string_view bad_address = "c@d.example\r\nRSET";

// The server's bytes for a reply. A 250 to EHLO names PIPELINING when the pass offers it.
std::string reply_bytes(action a, bool offer_pipelining) {
    switch (a) {
    case action::r250: return offer_pipelining ? "250-mx.example\r\n250 PIPELINING\r\n" : "250 mx.example\r\n";
    case action::r299: return "299 odd\r\n";
    case action::r354: return "354 go\r\n";
    case action::r451: return "451 later\r\n";
    case action::r550: return "550 no\r\n";
    case action::malformed: return "hello\r\n";
    case action::r421: return "421 bye\r\n";
    default: return {};
    }
}

std::uint16_t code_of(action a) {
    switch (a) {
    case action::r250: return 250;
    case action::r299: return 299;
    case action::r354: return 354;
    case action::r451: return 451;
    case action::r550: return 550;
    case action::r421: return 421;
    default: return 0;
    }
}

struct pass {
    const char* name;
    bool offer_pipelining;
    std::size_t max_actions;
    std::size_t max_calls;
};

// --- the model ---------------------------------------------------------------------

// What a written command waits for.
enum class due_kind { greeting, ehlo, helo, mail, rcpt, data, content, rset, quit };

struct due {
    due_kind kind;
    transaction_id tx;   // 0 for commands outside a transaction
    std::size_t index;   // RCPT: the number of earlier rcpt_to() calls of its transaction
    std::size_t serial;  // order written, to tell one command from another of its kind
};

// RFC 2920 §3.1 (and the greeting): nothing may be written until these are answered.
bool ends_group(due_kind k) {
    return k == due_kind::greeting || k == due_kind::ehlo || k == due_kind::helo || k == due_kind::data ||
           k == due_kind::quit;
}

struct transaction {
    transaction_id id = 0;
    bool active = false;
    bool mail_accepted = false, mail_failed = false, data_sent = false, data_failed = false;
    bool content_aborted = false, content_replied = false, transient_rcpt = false;
    bool content_sent = false;  // the final "." is written: reset() and quit() leave it be
    std::size_t recipients = 0, accepted = 0, outstanding = 0;
    std::uint16_t mail_code = 0, last_rcpt_failure = 0, data_code = 0, content_code = 0;
};

enum class phase { greeting, ready, content, quitting, closed };

struct model {
    phase ph = phase::greeting;
    std::vector<due> fifo{{due_kind::greeting, 0, 0, 0}};
    std::size_t serials = 1;  // commands written so far, the greeting counted
    transaction tx;
    transaction finishing;  // with PIPELINING: its "." written, only its final reply due
    transaction_id last_tx = 0;
    bool pipelining = false;
    bool eof = false;
    std::vector<action> unread;  // replies fed during the content, read after the final dot

    bool group_ender_due() const {
        return std::any_of(fifo.begin(), fifo.end(), [](const due& d) { return ends_group(d.kind); });
    }

    // The serial of the first group-ending command whose reply is due; 0 when none.
    std::size_t group_ender() const {
        for (const due& d : fifo)
            if (ends_group(d.kind)) return d.serial + 1;
        return 0;
    }

    // A reply is due to a transaction other than the finishing one.
    bool transaction_reply_due() const {
        return std::any_of(fifo.begin(), fifo.end(),
                           [&](const due& d) { return d.tx != 0 && !(finishing.active && d.tx == finishing.id); });
    }

    // Entries of the session's reply ring: RCPTs in a row share one.
    std::size_t ring_entries() const {
        std::size_t n = 0;
        for (std::size_t i = 0; i < fifo.size(); ++i)
            if (!(i > 0 && fifo[i].kind == due_kind::rcpt && fifo[i - 1].kind == due_kind::rcpt)) ++n;
        return n;
    }

    // RFC 2920 §3.1: a command may be written once EHLO is done, outside the content,
    // when no group-ending command waits for its reply; without PIPELINING only when
    // no reply at all is due. The session's ring of 8 keeps two entries free.
    bool can_send() const {
        return ph == phase::ready && !group_ender_due() && (pipelining || fifo.empty()) && ring_entries() + 2 <= 8;
    }

    bool wants_read() const { return ph != phase::closed && !eof && unread.empty(); }

    std::string key() const {
        std::string k = std::to_string(static_cast<int>(ph)) + (pipelining ? "p" : "-") + (eof ? "E" : "-") + "|";
        for (const due& d : fifo)
            k += std::to_string(static_cast<int>(d.kind)) +
                 (d.tx == 0                                       ? "0"
                  : d.tx == tx.id && tx.active                    ? "c"
                  : d.tx == finishing.id && finishing.active      ? "f"
                                                                  : "a") +
                 std::to_string(d.index) + ",";
        for (action a : unread) k += "u" + std::to_string(static_cast<int>(a));
        const transaction& t = tx;
        k += "|" + std::to_string(t.active) + std::to_string(t.mail_accepted) + std::to_string(t.mail_failed) +
             std::to_string(t.data_sent) + std::to_string(t.data_failed) + std::to_string(t.content_aborted) +
             std::to_string(t.content_replied) + std::to_string(t.transient_rcpt) + "/" +
             std::to_string(t.recipients) + "/" + std::to_string(t.accepted) + "/" + std::to_string(t.outstanding) +
             "/" + std::to_string(t.mail_code) + "/" + std::to_string(t.last_rcpt_failure) + "/" +
             std::to_string(t.data_code) + "/" + std::to_string(t.content_code) + "|" +
             std::to_string(finishing.active) + std::to_string(finishing.accepted) + "/" +
             std::to_string(finishing.recipients);
        return k;
    }
};

// What one action must do.
struct expected {
    bool applicable = true;  // false: the action cannot be taken now (e.g. feed after EOF)
    errc result = errc::ok;
    std::string written;
    std::vector<std::string> events;
};

std::string reply_event(const char* verb, std::size_t index, bool content, transaction_id tx, std::uint16_t code) {
    std::string s = std::string("reply ") + verb;
    if (std::string_view(verb) == "RCPT") s += "#" + std::to_string(index);
    if (content) s += " content";
    return s + " tx" + std::to_string(tx) + " " + std::to_string(code);
}

std::string failure_event(client_error what, std::uint16_t code) {
    return "failure " + std::string(to_string(what)) + (code != 0 ? " " + std::to_string(code) : "");
}

outcome class_of(std::uint16_t code) {
    return code >= 500 ? outcome::permanent : code >= 400 ? outcome::transient : outcome::success;
}


class stepper {
public:
    stepper(const pass& p, model& m, expected& e) : p_(p), m_(m), e_(e) {}

    void apply(action a) {
        if (is_call(a)) {
            call(a);
        } else if (a == action::eof) {
            if (m_.eof || m_.ph == phase::closed) {
                e_.applicable = false;
                return;
            }
            m_.eof = true;
        } else {
            // A feed is taken while the bytes before are consumed (wants_read()); once
            // closed, bytes are taken and discarded.
            if (m_.eof || !m_.unread.empty()) {
                e_.applicable = false;
                return;
            }
            if (m_.ph == phase::closed) return;
            m_.unread.push_back(a);
        }
        read_input();
    }

private:
    void write(std::string_view s) { e_.written += s; }

    void push(due_kind k, std::size_t index = 0) {
        const bool in_tx = k == due_kind::mail || k == due_kind::rcpt || k == due_kind::data ||
                           k == due_kind::content;
        m_.fifo.push_back({k, in_tx ? m_.tx.id : 0, index, m_.serials++});
        if (in_tx) ++m_.tx.outstanding;
    }

    void call(action a) {
        transaction& t = m_.tx;
        switch (a) {
        case action::mail:
            // Refused while replies of an abandoned transaction are due.
            if (!m_.can_send() || t.active || m_.transaction_reply_due()) break;
            write("MAIL FROM:<a@b.example>\r\n");
            t = transaction{};
            t.id = ++m_.last_tx;
            t.active = true;
            push(due_kind::mail);
            return;
        case action::rcpt:
        case action::rcpt_bad:
            if (!m_.can_send() || !t.active || t.data_sent || t.mail_failed) break;
            if (a == action::rcpt_bad) {
                e_.result = errc::invalid_argument;
                return;
            }
            write("RCPT TO:<c@d.example>\r\n");
            push(due_kind::rcpt, t.recipients++);
            return;
        case action::data:
            if (!m_.can_send() || !t.active || t.data_sent || t.mail_failed || t.recipients == 0) break;
            t.data_sent = true;
            if (t.outstanding == 0 && t.accepted == 0) {
                finish(t);  // every RCPT refused: no DATA, the transaction fails
                return;
            }
            write("DATA\r\n");
            push(due_kind::data);
            return;
        case action::body:
            if (m_.ph != phase::content) break;
            write(body_part);
            return;
        case action::end:
            if (m_.ph != phase::content) break;
            write(".\r\n");  // the parts ended with CRLF, or there were none
            m_.ph = phase::ready;
            m_.tx.content_sent = true;
            push(due_kind::content);
            if (m_.pipelining && !m_.finishing.active) {
                // RFC 2920 §3.1: the next transaction may be pipelined behind the dot.
                m_.finishing = m_.tx;
                m_.tx = transaction{};
            }
            return;
        case action::reset:
            if (!m_.can_send()) break;
            write("RSET\r\n");
            abandon();
            push(due_kind::rset);
            return;
        case action::quit:
            if (!m_.can_send()) break;
            write("QUIT\r\n");
            abandon();
            m_.ph = phase::quitting;
            push(due_kind::quit);
            return;
        default:
            return;
        }
        e_.result = errc::wrong_state;
    }

    // RFC 2920 §4 pipelines QUIT right behind the final dot: a transaction whose
    // content is sent still ends with its reply and transaction_done.
    void abandon() {
        if (m_.tx.active && !m_.tx.content_sent) m_.tx = transaction{};
    }

    // Replies are read outside the content; the end of input after them.
    void read_input() {
        if (m_.ph == phase::content) return;
        while (!m_.unread.empty() && m_.ph != phase::closed) {
            const action r = m_.unread.front();
            m_.unread.erase(m_.unread.begin());
            on_reply(r);
        }
        if (m_.eof && m_.ph != phase::closed && m_.ph != phase::content) {
            if (!m_.fifo.empty() && m_.fifo.front().kind == due_kind::quit)
                m_.ph = phase::closed;  // closed before the 221: fine after QUIT
            else
                fail(client_error::connection_closed, 0);
        }
    }

    // A sticky error: QUIT where a command may still be written, then closed.
    void fail(client_error what, std::uint16_t code) {
        e_.events.push_back(failure_event(what, code));
        const bool data_due = std::any_of(m_.fifo.begin(), m_.fifo.end(),
                                          [](const due& d) { return d.kind == due_kind::data; });
        const bool may_quit = m_.ph != phase::content && m_.ph != phase::quitting && !data_due && !m_.eof;
        if (what != client_error::service_closing && what != client_error::connection_closed && may_quit)
            write("QUIT\r\n");
        m_.ph = phase::closed;
        m_.unread.clear();
    }

    // A refusal before the session is ready: QUIT, and wait for its reply.
    void fail_and_quit(client_error what, std::uint16_t code) {
        e_.events.push_back(failure_event(what, code));
        write("QUIT\r\n");
        m_.ph = phase::quitting;
        push(due_kind::quit);
    }

    void on_reply(action r) {
        const std::uint16_t code = code_of(r);
        if (r == action::malformed) return fail(client_error::malformed_reply, 0);
        if (code == 421) return fail(client_error::service_closing, 421);  // RFC 5321 §3.8
        if (m_.fifo.empty()) return fail(client_error::unexpected_reply, code);
        // §4.3.2: 354 answers DATA only.
        if (code == 354 && m_.fifo.front().kind != due_kind::data) return fail(client_error::unexpected_reply, code);
        const due d = m_.fifo.front();
        m_.fifo.erase(m_.fifo.begin());
        const bool positive = code / 100 == 2;  // §4.2.1: an unknown 2xx by its class
        if (d.tx != 0 && m_.finishing.active && d.tx == m_.finishing.id) {
            // The final reply to the transaction sent before the open one.
            transaction& f = m_.finishing;
            e_.events.push_back(reply_event("DATA", 0, true, f.id, code));
            f.content_replied = true;
            f.content_code = code;
            if (--f.outstanding == 0) finish(f);
            return;
        }
        transaction& t = m_.tx;
        if (d.tx != 0 && !(t.active && d.tx == t.id)) {
            // A reply to an abandoned transaction: reported under its id, changing nothing.
            switch (d.kind) {
            case due_kind::mail: e_.events.push_back(reply_event("MAIL", 0, false, d.tx, code)); break;
            case due_kind::rcpt: e_.events.push_back(reply_event("RCPT", d.index, false, d.tx, code)); break;
            case due_kind::data: e_.events.push_back(reply_event("DATA", 0, false, d.tx, code)); break;
            default: break;
            }
            return;
        }
        switch (d.kind) {
        case due_kind::greeting:
            if (!positive) return fail_and_quit(client_error::greeting_refused, code);
            e_.events.push_back("greeted " + std::to_string(code));
            write("EHLO client.example\r\n");
            push(due_kind::ehlo);
            return;
        case due_kind::ehlo:
            if (positive) {
                m_.ph = phase::ready;
                m_.pipelining = p_.offer_pipelining && r == action::r250;
                e_.events.push_back("ready EHLO");
            } else if (code / 100 == 5) {
                write("HELO client.example\r\n");  // RFC 5321 §3.2: fall back to HELO
                push(due_kind::helo);
            } else {
                fail_and_quit(client_error::hello_refused, code);
            }
            return;
        case due_kind::helo:
            if (!positive) return fail_and_quit(client_error::hello_refused, code);
            m_.ph = phase::ready;
            e_.events.push_back("ready HELO");
            return;
        case due_kind::rset:
            e_.events.push_back(reply_event("RSET", 0, false, 0, code));
            return;
        case due_kind::quit:
            e_.events.push_back(reply_event("QUIT", 0, false, 0, code));
            m_.ph = phase::closed;
            m_.unread.clear();
            return;
        case due_kind::mail:
            e_.events.push_back(reply_event("MAIL", 0, false, t.id, code));
            t.mail_accepted = positive;
            t.mail_failed = !positive;
            t.mail_code = code;
            break;
        case due_kind::rcpt:
            e_.events.push_back(reply_event("RCPT", d.index, false, t.id, code));
            if (positive) {
                ++t.accepted;
            } else {
                t.last_rcpt_failure = code;
                t.transient_rcpt = t.transient_rcpt || code / 100 == 4;
            }
            break;
        case due_kind::data:
            e_.events.push_back(reply_event("DATA", 0, false, t.id, code));
            t.data_code = code;
            if (code != 354) {
                t.data_failed = true;
            } else if (t.mail_failed || t.accepted == 0) {
                write(".\r\n");  // RFC 2920 §3.1: no recipient, so end the content at once
                t.content_aborted = true;
                t.content_sent = true;
                push(due_kind::content);
            } else {
                m_.ph = phase::content;
            }
            break;
        case due_kind::content:
            e_.events.push_back(reply_event("DATA", 0, true, t.id, code));
            t.content_replied = true;
            t.content_code = code;
            break;
        }
        --t.outstanding;
        if (t.outstanding == 0 && (t.mail_failed || t.data_failed || t.content_replied)) finish(t);
    }

    // The transaction is over: one transaction_done, and RSET if the server may still hold
    // an envelope (never for a finishing transaction: its content was replied to).
    void finish(transaction& t) {
        outcome result;
        std::uint16_t code;
        if (t.mail_failed) {
            result = class_of(t.mail_code);  // MAIL refused
            code = t.mail_code;
        } else if (t.accepted == 0) {
            // No recipient: transient if any refusal was (RFC 5321 §4.2.1, 452 and kin).
            result = t.transient_rcpt ? outcome::transient : outcome::permanent;
            code = t.last_rcpt_failure;
        } else if (t.data_failed) {
            // DATA refused; a 2xx instead of 354 is no delivery either.
            result = class_of(t.data_code) == outcome::success ? outcome::permanent : class_of(t.data_code);
            code = t.data_code;
        } else {
            result = class_of(t.content_code);
            code = t.content_code;
        }
        e_.events.push_back("done tx" + std::to_string(t.id) + " " + std::string(to_string(result)) + " " +
                            std::to_string(t.accepted) + "/" + std::to_string(t.recipients) + " " +
                            std::to_string(code));
        const bool needs_rset = t.mail_accepted && !t.content_replied;
        t = transaction{};
        if (needs_rset && m_.ph == phase::ready) {
            write("RSET\r\n");
            push(due_kind::rset);
        }
    }

    const pass& p_;
    model& m_;
    expected& e_;
};

expected expect(const pass& p, model& m, action a) {
    expected e;
    model before = m;
    stepper(p, m, e).apply(a);
    if (!e.applicable) m = before;
    return e;
}

// --- driving the session ------------------------------------------------------------

std::string describe_event(const client_event& ev) {
    if (const auto* g = std::get_if<greeted>(&ev)) return "greeted " + std::to_string(g->reply.code);
    if (const auto* r = std::get_if<ready>(&ev)) return r->extended ? "ready EHLO" : "ready HELO";
    if (const auto* c = std::get_if<command_reply>(&ev)) {
        const std::string verb_name(to_string(c->command));
        return reply_event(verb_name.c_str(), c->index, c->after_content, c->transaction, c->reply.code);
    }
    if (const auto* d = std::get_if<transaction_done>(&ev))
        return "done tx" + std::to_string(d->transaction) + " " + std::string(to_string(d->result)) + " " +
               std::to_string(d->accepted) + "/" + std::to_string(d->recipients) + " " +
               std::to_string(d->reply.code);
    if (const auto* f = std::get_if<client_failure>(&ev)) return failure_event(f->what, f->reply.code);
    return "flow";
}

std::string show(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& e : v) s += (s.empty() ? "" : ", ") + e;
    return "[" + s + "]";
}

// One session; the observations the invariant checks need besides the model.
class driver {
public:
    explicit driver(const pass& p) : p_(p), c_(config()) {}

    client_session& session() { return c_; }

    // Takes the action; returns the call's result (ok for the server's doings).
    errc act(action a) {
        const transaction_id open_before = c_.transaction();
        errc e = errc::ok;
        switch (a) {
        case action::mail: e = c_.mail_from("a@b.example"); break;
        case action::rcpt: e = c_.rcpt_to("c@d.example"); break;
        case action::rcpt_bad: e = c_.rcpt_to(bad_address); break;
        case action::data: e = c_.data(); break;
        case action::body: e = c_.send_body(body_part); break;
        case action::end: e = c_.end_body(); break;
        case action::reset: e = c_.reset(); break;
        case action::quit: e = c_.quit(); break;
        case action::eof: c_.feed_eof(); break;
        default:
            fed_ = std::string(c_.unconsumed()) + reply_bytes(a, p_.offer_pipelining);
            if (c_.feed(fed_) != errc::ok) problems.push_back("feed refused");
            break;
        }
        if (e == errc::ok && a == action::mail) opened.insert(c_.transaction());
        if (e == errc::ok && (a == action::reset || a == action::quit) && open_before != 0 &&
            c_.transaction() == 0)
            abandoned.insert(open_before);
        pump();
        return e;
    }

    // Runs until the session waits for data or content, or is closed.
    void pump() {
        for (int guard = 0; guard < 10000; ++guard) {
            const client_event ev = c_.next_event();
            if (std::holds_alternative<need_output>(ev)) {
                written += c_.output();
                c_.consume_output(c_.output().size());
                continue;
            }
            if (std::holds_alternative<closed>(ev)) {
                closed_seen = true;
                waiting_for_content = false;
                return;
            }
            if (std::holds_alternative<need_data>(ev) || std::holds_alternative<need_body>(ev)) {
                if (closed_seen) problems.push_back("need_data or need_body after closed");
                // Content passed on may wait in output() (wants_write()) at need_body.
                written += c_.output();
                c_.consume_output(c_.output().size());
                waiting_for_content = std::holds_alternative<need_body>(ev);
                return;
            }
            if (closed_seen) problems.push_back("event after closed: " + describe_event(ev));
            events.push_back(describe_event(ev));
            observe(ev);
        }
        problems.push_back("the session never waited");
    }

    void clear() {
        written.clear();
        events.clear();
    }

    std::string written;
    std::vector<std::string> events;
    std::vector<std::string> problems;
    bool closed_seen = false;

    // Observed per transaction: RCPT replies and transaction_done events; transactions
    // opened by mail_from() and abandoned by reset() or quit().
    std::map<transaction_id, std::size_t> rcpt_replies;
    std::map<transaction_id, int> dones;
    std::set<transaction_id> opened, abandoned;
    bool waiting_for_content = false;  // the session said need_body: after a 354, before the final dot

private:
    static client_config config() {
        client_config c;
        c.helo_name = "client.example";
        return c;
    }

    void observe(const client_event& ev) {
        // RCPT replies of a transaction carry the indices 0, 1, 2, ... in order.
        if (const auto* r = std::get_if<command_reply>(&ev); r && r->command == verb::rcpt) {
            if (r->index != rcpt_replies[r->transaction]++)
                problems.push_back("RCPT reply #" + std::to_string(r->index) + " of tx" +
                                   std::to_string(r->transaction) + " out of order");
        }
        // At most one transaction_done, and none for an abandoned transaction.
        if (const auto* d = std::get_if<transaction_done>(&ev)) {
            const std::string tx = "tx" + std::to_string(d->transaction);
            if (opened.count(d->transaction) == 0) problems.push_back("transaction_done for " + tx + ", never opened");
            if (abandoned.count(d->transaction) != 0) problems.push_back("transaction_done for abandoned " + tx);
            if (++dones[d->transaction] > 1) problems.push_back("a second transaction_done for " + tx);
        }
    }

    const pass& p_;
    client_session c_;
    std::string fed_;
};

// Runs `seq`, then finishes the session as a patient application would (every reply
// positive, every transaction completed, then QUIT), checking each action against the
// model and the run as a whole against the invariants.
std::string run(const pass& p, const std::vector<action>& seq) {
    driver d(p);
    model m;
    d.pump();  // nothing happens before the greeting
    if (!d.written.empty() || !d.events.empty()) return "the session acted before the greeting";
    std::set<transaction_id> lost;  // open or finishing when the session failed
    bool closed_noted = false;
    std::vector<action> actions = seq;
    for (std::size_t i = 0; i < actions.size() + 1 && i < 64; ++i) {
        if (i == actions.size()) {
            // Finishing: answer what is due, complete the transaction, then QUIT.
            if (m.ph == phase::closed) break;
            action next;
            if (m.ph == phase::content) next = action::end;
            else if (m.eof) return "the end of input left the session open";
            else if (!m.fifo.empty()) next = m.fifo.front().kind == due_kind::data ? action::r354 : action::r250;
            else if (m.tx.active && !m.tx.data_sent && !m.tx.mail_failed)
                next = m.tx.recipients == 0 ? action::rcpt : action::data;
            else next = action::quit;
            actions.push_back(next);
        }
        const action a = actions[i];
        const std::string where = "action " + std::to_string(i + 1) + " (" + name_of(a) + "): ";
        const model before = m;
        const expected want = expect(p, m, a);
        if (!want.applicable) return where + "not applicable (the sequence generator should skip it)";
        const bool group_ender_due = before.group_ender_due();
        const bool was_in_content = d.waiting_for_content;
        d.clear();
        const errc got = d.act(a);
        if (!d.problems.empty()) return where + d.problems.front();

        // Invariants, from what was observed.
        if (is_call(a) && got != errc::ok && !d.written.empty()) return where + "a refused call wrote bytes";
        // While one group-ending command's reply is due, nothing is written but the QUIT
        // that follows a failure (the connection is then closed).
        if (before.group_ender() != 0 && before.group_ender() == m.group_ender() && !d.written.empty() &&
            !(d.written == "QUIT\r\n" && d.closed_seen))
            return where + "wrote \"" + escape(d.written) + "\" while a group-ending command's reply was due";
        if (is_call(a) && group_ender_due && a != action::body && a != action::end &&
            (got == errc::ok || !d.written.empty() || d.session().can_send()))
            return where + "a command was taken while the reply to EHLO, HELO, DATA or QUIT was due";
        if (was_in_content) {
            if (a == action::body && got == errc::ok && d.written != body_part)
                return where + "during the content something besides the content was written";
            if (is_call(a) && a != action::body && a != action::end && (got == errc::ok || !d.written.empty()))
                return where + "a command was taken after the 354, before the final dot";
            if (!is_call(a) && !d.events.empty()) return where + "a reply was read before the final dot";
        }

        // The model.
        if (got != want.result)
            return where + "returned " + std::string(to_string(got)) + ", model " + std::string(to_string(want.result));
        if (d.written != want.written)
            return where + "wrote \"" + escape(d.written) + "\", model \"" + escape(want.written) + "\"";
        if (d.events != want.events) return where + "events " + show(d.events) + ", model " + show(want.events);
        if (d.session().can_send() != m.can_send())
            return where + "can_send() " + (m.can_send() ? "false" : "true") + ", model the opposite";
        const transaction_id tx_model = m.tx.active ? m.tx.id : 0;
        if (m.ph != phase::closed && d.session().transaction() != tx_model)
            return where + "transaction() " + std::to_string(d.session().transaction()) + ", model " +
                   std::to_string(tx_model);
        if (d.session().wants_read() != m.wants_read()) return where + "wants_read() disagrees with the model";
        if ((m.ph == phase::closed) != d.closed_seen) return where + "closed disagrees with the model";
        if (m.ph == phase::closed && !d.session().done()) return where + "closed but not done()";
        if (d.closed_seen && !closed_noted) {
            closed_noted = true;
            if (m.tx.active) lost.insert(m.tx.id);
            if (m.finishing.active) lost.insert(m.finishing.id);
        }
    }
    if (!d.closed_seen) return "finishing did not close the session";
    // Exactly one transaction_done for each transaction neither abandoned nor cut off by
    // a failure (the session is finished, so every reply has come).
    for (transaction_id tx : d.opened) {
        const int want = d.abandoned.count(tx) != 0 || lost.count(tx) != 0 ? 0 : 1;
        const int have = d.dones.count(tx) != 0 ? d.dones.at(tx) : 0;
        if (have != want)
            return std::to_string(have) + " transaction_done for tx" + std::to_string(tx) + ", want " +
                   std::to_string(want);
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
    std::size_t deepest_calls = 0;
    std::vector<failure> failures;
};

// Breadth-first over action sequences; a sequence whose model state a shorter or earlier
// one reached is run but not extended.
void explore(const pass& p, exploration& x) {
    struct node {
        model m;
        std::vector<action> path;
        std::size_t calls;
    };
    std::vector<node> frontier{{model{}, {}, 0}};
    std::set<std::string> seen{model{}.key()};
    for (std::size_t depth = 1; depth <= p.max_actions && !frontier.empty(); ++depth) {
        std::vector<node> next;
        for (const node& n : frontier) {
            for (std::size_t i = 0; i < action_count; ++i) {
                const auto a = static_cast<action>(i);
                const std::size_t calls = n.calls + (is_call(a) ? 1 : 0);
                if (calls > p.max_calls) continue;
                model m = n.m;
                if (!expect(p, m, a).applicable) continue;
                std::vector<action> path = n.path;
                path.push_back(a);
                const std::string err = run(p, path);
                ++x.runs;
                x.deepest_calls = std::max(x.deepest_calls, calls);
                if (!err.empty()) {
                    if (x.failures.size() < 20) x.failures.push_back({p.name, sequence_text(path), err});
                    continue;
                }
                if (seen.insert(m.key()).second) next.push_back({m, std::move(path), calls});
            }
        }
        frontier = std::move(next);
    }
    x.states += seen.size();
}

} // namespace

TEST_CASE("client exhaustive: every order of calls against replies of every class") {
    // Up to seven calls, with any number of replies between them: the model's states are
    // exhausted before 30 actions.
    const pass passes[] = {
        {"PIPELINING offered", true, 30, 7},
        {"PIPELINING not offered", false, 30, 7},
    };
    exploration x;
    for (const pass& p : passes) explore(p, x);
    for (const failure& f : x.failures) {
        INFO("pass: " << f.pass);
        INFO("sequence: " << f.sequence);
        FAIL_CHECK(f.what);
    }
    CHECK(x.failures.empty());
    CHECK(x.deepest_calls == 7);
    CHECK(x.runs > 50000);
}
