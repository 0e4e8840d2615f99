// Test driver for server_session: plays a client's writes in any split, logs every event.
// Used by the transcript, scenario and grind tests; test code, so it may allocate freely.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "smtpwire/server_session.hpp"

namespace smtpwire_test {

using namespace smtpwire;

/// Printable form of bytes: CR, LF, TAB, NUL, backslash and non-printables escaped.
inline std::string escape(std::string_view s) {
    std::string out;
    static const char hex[] = "0123456789abcdef";
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '\r': out += "\\r"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\\': out += "\\\\"; break;
        default:
            if (u < 32 || u == 127) {
                out += "\\x";
                out += hex[u >> 4];
                out += hex[u & 15];
            } else {
                out += c;
            }
        }
    }
    return out;
}

/// Inverse of escape() (also accepts \0).
inline std::string unescape(std::string_view s) {
    std::string out;
    auto nibble = [](char c) {
        return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\' || i + 1 == s.size()) {
            out += s[i];
            continue;
        }
        const char e = s[++i];
        switch (e) {
        case 'r': out += '\r'; break;
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case '0': out += '\0'; break;
        case 'x':
            out += static_cast<char>(nibble(s[i + 1]) * 16 + nibble(s[i + 2]));
            i += 2;
            break;
        default: out += e; break;
        }
    }
    return out;
}

/// One line per informational or decision event; flow-control events are not logged
/// and consecutive body chunks are merged, so logs compare equal across input splits.
inline std::string describe(const server_event& ev) {
    return std::visit(
        [](const auto& e) -> std::string {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, client_connected>) return "connected";
            else if constexpr (std::is_same_v<T, hello>)
                return "hello " + std::string(to_string(e.verb)) + " " + std::string(e.domain);
            else if constexpr (std::is_same_v<T, mail_from>)
                return "mail_from <" + std::string(e.reverse_path.raw) + ">" +
                       std::string(e.parameters.raw);
            else if constexpr (std::is_same_v<T, rcpt_to>)
                return "rcpt_to <" + std::string(e.forward_path.raw) + ">" +
                       std::string(e.parameters.raw) + " #" + std::to_string(e.index);
            else if constexpr (std::is_same_v<T, data_begin>)
                return "data_begin " + std::to_string(e.recipients) + (e.chunked ? " chunked" : "");
            else if constexpr (std::is_same_v<T, message_end>)
                return "message_end size=" + std::to_string(e.size) +
                       (e.overlong_lines ? " overlong=" + std::to_string(e.overlong_lines) : "") +
                       (e.bare_newlines ? " bare=" + std::to_string(e.bare_newlines) : "");
            else if constexpr (std::is_same_v<T, verify>) return "verify " + std::string(e.argument);
            else if constexpr (std::is_same_v<T, starttls_request>) return "starttls";
            else if constexpr (std::is_same_v<T, auth_request>)
                return "auth " + std::string(sasl::to_string(e.mechanism)) + " " +
                       escape(e.authorization_id) + "/" + escape(e.user) + "/" + escape(e.secret);
            else if constexpr (std::is_same_v<T, tls_handover>) return "tls_handover";
            else if constexpr (std::is_same_v<T, body_chunk>) return "body " + escape(e.bytes);
            else if constexpr (std::is_same_v<T, message_aborted>)
                return "message_aborted " + std::string(to_string(e.reason));
            else if constexpr (std::is_same_v<T, transaction_reset>) return "transaction_reset";
            else if constexpr (std::is_same_v<T, protocol_error>)
                return "protocol_error " + std::to_string(e.code) + " " +
                       std::string(to_string(e.what));
            else if constexpr (std::is_same_v<T, closing>)
                return "closing " + std::string(to_string(e.reason));
            else return "";
        },
        ev);
}

/// What the application answers to a decision event.
struct decision {
    enum kind { accept, accept_text, accept_reply, reject, per_recipient } what = accept;
    std::string text;
    reply rejection{};
    std::vector<std::pair<std::size_t, decision>> recipients;  // per_recipient, in answer order
};

/// Parses "accept", "accept <text>", "reply <code> [<x.y.z>] <text>" (a positive reply
/// of the application's own), "reject <code> [<x.y.z>] <text>", or, for an LMTP
/// message_end, "recipients <index>:<decision> | <index>:<decision> ...": one answer
/// per recipient, given in that order.
inline decision parse_decision(std::string_view s) {
    decision d;
    if (s == "accept") return d;
    if (s.substr(0, 11) == "recipients ") {
        d.what = decision::per_recipient;
        s.remove_prefix(11);
        while (!s.empty()) {
            const std::size_t bar = s.find(" | ");
            const std::string_view one = s.substr(0, bar);
            const std::size_t colon = one.find(':');
            d.recipients.emplace_back(std::stoul(std::string(one.substr(0, colon))),
                                      parse_decision(one.substr(colon + 1)));
            s = bar == std::string_view::npos ? std::string_view{} : s.substr(bar + 3);
        }
        return d;
    }
    if (s.substr(0, 7) == "accept ") {
        d.what = decision::accept_text;
        d.text = std::string(s.substr(7));
        return d;
    }
    d.what = s.substr(0, 6) == "reply " ? decision::accept_reply : decision::reject;
    s.remove_prefix(d.what == decision::reject ? 7 : 6);
    d.rejection.code = static_cast<std::uint16_t>(std::stoi(std::string(s.substr(0, 3))));
    s.remove_prefix(s.size() > 3 ? 4 : 3);
    std::string_view rest;
    if (parse_enhanced_status(s, d.rejection.status, rest)) s = rest;
    d.text = std::string(s);
    return d;
}

/// How a run splits the client's bytes and when it decides.
struct run_options {
    /// Offsets (into the whole client byte stream) where an extra split is made.
    std::vector<std::size_t> splits;
    bool byte_at_a_time = false;
    /// Answer decisions only after the session reports `paused` (asynchronous policy).
    bool defer_decisions = false;
    /// Consume at most this many output bytes per need_output (0: all).
    std::size_t write_chunk = 0;
};

/// What a reader receives at once: part of one of the peer's writes.
struct piece {
    std::string bytes;
    std::size_t write = 0;  // index of the write it belongs to
};

/// A peer's writes cut into the pieces a reader receives: each write separately, then cut
/// further at every offset in `opt.splits` (into the whole stream) or at every byte.
inline std::deque<piece> split_writes(const std::vector<std::string>& writes, const run_options& opt) {
    std::deque<piece> pieces;
    std::size_t offset = 0;
    for (std::size_t index = 0; index < writes.size(); ++index) {
        const std::string& w = writes[index];
        std::size_t begin = 0;
        for (std::size_t i = 1; i <= w.size(); ++i) {
            bool cut = i == w.size() || opt.byte_at_a_time;
            for (std::size_t s : opt.splits) cut = cut || s == offset + i;
            if (cut) {
                pieces.push_back({w.substr(begin, i - begin), index});
                begin = i;
            }
        }
        offset += w.size();
    }
    return pieces;
}

/// The result of a run: events and all bytes the server wrote.
struct run_result {
    std::vector<std::string> events;
    std::string output;
    bool done = false;
};

/// Drives one server_session through the client's writes. Each write is delivered only
/// when the session asks for data (the client waited for the replies in between), split
/// further as run_options say. Decisions come from `decide`, in order. At tls_handover
/// the rest of the write that carried STARTTLS is fed (plaintext the session must drop),
/// then TLS is taken as established: later writes stand for bytes sent inside TLS.
class server_driver {
public:
    using decider = std::function<decision(const server_event&)>;

    server_driver(server_config config, std::vector<std::string> writes, bool eof, decider decide)
        : config_(std::move(config)), writes_(std::move(writes)), eof_(eof),
          decide_(std::move(decide)) {}

    run_result run(const run_options& opt) const {
        server_session s(config_);
        std::deque<piece> pieces = split_writes(writes_, opt);
        std::size_t current_write = 0;
        run_result r;
        std::string buffer;
        bool eof_sent = false;
        std::size_t guard = 0;
        for (;;) {
            if (++guard > 10'000'000) {
                r.events.push_back("driver: no progress");
                return r;
            }
            const server_event ev = s.next_event();
            if (std::holds_alternative<need_output>(ev)) {
                std::string_view out = s.output();
                const std::size_t n =
                    opt.write_chunk && opt.write_chunk < out.size() ? opt.write_chunk : out.size();
                r.output.append(out.substr(0, n));
                s.consume_output(n);
                continue;
            }
            if (std::holds_alternative<closed>(ev)) break;
            if (std::holds_alternative<paused>(ev)) {
                if (!pending_) {
                    r.events.push_back("driver: paused without decision");
                    return r;
                }
                answer(s, *pending_, r);
                pending_.reset();
                continue;
            }
            if (std::holds_alternative<need_data>(ev)) {
                if (pieces.empty()) {
                    if (eof_ && !eof_sent) {
                        s.feed_eof();
                        eof_sent = true;
                        continue;
                    }
                    break;
                }
                std::string next = std::string(s.unconsumed()) + pieces.front().bytes;
                current_write = pieces.front().write;
                pieces.pop_front();
                buffer.swap(next);
                if (s.feed(buffer) != errc::ok) r.events.push_back("driver: feed refused");
                continue;
            }
            log(r, describe(ev));
            if (std::holds_alternative<tls_handover>(ev)) {
                while (!pieces.empty() && pieces.front().write == current_write) {
                    buffer = pieces.front().bytes;
                    pieces.pop_front();
                    if (s.feed(buffer) != errc::ok) r.events.push_back("driver: feed refused");
                }
                if (s.tls_established() != errc::ok) r.events.push_back("driver: tls_established refused");
                continue;
            }
            if (is_decision(ev)) {
                if (opt.defer_decisions) {
                    pending_ = ev;
                } else {
                    answer(s, ev, r);
                }
            }
        }
        r.done = s.done();
        return r;
    }

    /// Total client bytes.
    std::size_t size() const {
        std::size_t n = 0;
        for (const auto& w : writes_) n += w.size();
        return n;
    }

private:
    // Body chunks are merged; those of an aborted message are dropped, as an application
    // discards them, so the log does not depend on how far content got before the abort.
    static void log(run_result& r, const std::string& line) {
        const bool after_body = !r.events.empty() && r.events.back().rfind("body ", 0) == 0;
        if (line.rfind("message_aborted ", 0) == 0 && after_body) r.events.pop_back();
        if (line.rfind("body ", 0) == 0 && after_body) {
            r.events.back() += line.substr(5);
            return;
        }
        r.events.push_back(line);
    }

    void answer(server_session& s, const server_event& ev, run_result& r) const {
        const decision d = decide_(ev);
        errc e = errc::ok;
        if (d.what == decision::per_recipient) {
            const decision_id id = std::get<message_end>(ev).decision;
            for (const auto& [index, one] : d.recipients) {
                reply rep = one.rejection;
                rep.text = one.text;
                e = one.what == decision::accept        ? s.accept_recipient(id, index)
                    : one.what == decision::accept_text ? s.accept_recipient(id, index, one.text)
                    : one.what == decision::reject      ? s.reject_recipient(id, index, rep)
                                                        : s.accept_recipient(id, index, rep);
                if (e != errc::ok) r.events.push_back("driver: recipient answer refused: " + std::string(to_string(e)));
            }
            return;
        }
        switch (d.what) {
        case decision::accept: e = s.accept(); break;
        case decision::accept_text: e = s.accept(d.text); break;
        case decision::accept_reply:
        case decision::reject: {
            reply rep = d.rejection;
            rep.text = d.text;
            e = d.what == decision::reject ? s.reject(rep) : s.accept(rep);
            break;
        }
        case decision::per_recipient: break;
        }
        if (e != errc::ok) r.events.push_back("driver: decision refused: " + std::string(to_string(e)));
    }

    server_config config_;
    std::vector<std::string> writes_;
    bool eof_;
    decider decide_;
    mutable std::optional<server_event> pending_;
};

} // namespace smtpwire_test
