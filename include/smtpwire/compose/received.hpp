// The Received trace header field a server prepends to each message it accepts.
// RFC 5321 §4.4 (Stamp), RFC 5322 §3.6.7 (trace fields), RFC 3848 and RFC 6531 §3.7.3 (with).
#ifndef SMTPWIRE_COMPOSE_RECEIVED_HPP
#define SMTPWIRE_COMPOSE_RECEIVED_HPP

#include <cstddef>
#include <string_view>

#include "smtpwire/ascii.hpp"
#include "smtpwire/command.hpp"
#include "smtpwire/compose/date.hpp"
#include "smtpwire/compose/message.hpp"
#include "smtpwire/domain.hpp"
#include "smtpwire/mailbox.hpp"

namespace smtpwire {
inline namespace v0 {
namespace compose {

/// The protocol a message arrived with: the "with" clause, from IANA's Mail Transmission
/// Types registry. "A" means the client authenticated (AUTH), "S" that the session ran
/// over TLS (STARTTLS or implicit TLS); "UTF8" that MAIL carried SMTPUTF8.
enum class received_protocol {
    smtp,       // SMTP: after HELO (RFC 5321)
    esmtp,      // ESMTP: after EHLO (RFC 5321)
    esmtpa,     // ESMTPA (RFC 3848)
    esmtps,     // ESMTPS (RFC 3848)
    esmtpsa,    // ESMTPSA (RFC 3848)
    lmtp,       // LMTP: after LHLO (RFC 2033)
    lmtpa,      // LMTPA (RFC 3848)
    lmtps,      // LMTPS (RFC 3848)
    lmtpsa,     // LMTPSA (RFC 3848)
    utf8smtp,   // UTF8SMTP (RFC 6531 §3.7.3)
    utf8smtpa,  // UTF8SMTPA
    utf8smtps,  // UTF8SMTPS
    utf8smtpsa, // UTF8SMTPSA
    utf8lmtp,   // UTF8LMTP
    utf8lmtpa,  // UTF8LMTPA
    utf8lmtps,  // UTF8LMTPS
    utf8lmtpsa, // UTF8LMTPSA
};

/// The registered name of `p`, as written after "with" ("ESMTPSA").
constexpr std::string_view to_string(received_protocol p) noexcept {
    switch (p) {
    case received_protocol::smtp: return "SMTP";
    case received_protocol::esmtp: return "ESMTP";
    case received_protocol::esmtpa: return "ESMTPA";
    case received_protocol::esmtps: return "ESMTPS";
    case received_protocol::esmtpsa: return "ESMTPSA";
    case received_protocol::lmtp: return "LMTP";
    case received_protocol::lmtpa: return "LMTPA";
    case received_protocol::lmtps: return "LMTPS";
    case received_protocol::lmtpsa: return "LMTPSA";
    case received_protocol::utf8smtp: return "UTF8SMTP";
    case received_protocol::utf8smtpa: return "UTF8SMTPA";
    case received_protocol::utf8smtps: return "UTF8SMTPS";
    case received_protocol::utf8smtpsa: return "UTF8SMTPSA";
    case received_protocol::utf8lmtp: return "UTF8LMTP";
    case received_protocol::utf8lmtpa: return "UTF8LMTPA";
    case received_protocol::utf8lmtps: return "UTF8LMTPS";
    case received_protocol::utf8lmtpsa: return "UTF8LMTPSA";
    }
    return "unknown received_protocol";
}

/// True for the UTF8SMTP and UTF8LMTP family, whose trace fields may hold UTF-8 domains
/// and mailboxes (RFC 6531 §3.7.3).
[[nodiscard]] constexpr bool is_utf8(received_protocol p) noexcept {
    return p >= received_protocol::utf8smtp;
}

/// The protocol of a transaction: `hello` is the verb that began the session (HELO, EHLO
/// or LHLO), `tls` says it runs over TLS, `authenticated` that AUTH succeeded, `smtputf8`
/// that MAIL carried SMTPUTF8. After HELO it is always SMTP: TLS, AUTH and SMTPUTF8 are
/// extensions, which need EHLO. Any other verb counts as EHLO.
[[nodiscard]] constexpr received_protocol received_protocol_for(verb hello, bool tls,
                                                                bool authenticated,
                                                                bool smtputf8) noexcept {
    if (hello == verb::helo) return received_protocol::smtp;
    // Each family lists plain, A, S, SA in that order.
    received_protocol base = received_protocol::esmtp;
    if (hello == verb::lhlo)
        base = smtputf8 ? received_protocol::utf8lmtp : received_protocol::lmtp;
    else if (smtputf8)
        base = received_protocol::utf8smtp;
    const int step = (tls ? 2 : 0) + (authenticated ? 1 : 0);
    return static_cast<received_protocol>(static_cast<int>(base) + step);
}

/// What a Received field says. The views are borrowed for the duration of the call.
struct received {
    std::string_view from_domain;  // the client's HELO, EHLO or LHLO argument: a Domain or
                                   // an address-literal (the latter needs peer_address)
    std::string_view peer_address; // the client's IPv4 or IPv6 address as text
                                   // ("192.0.2.1", "2001:db8::1"); empty: not written
    std::string_view by_domain;    // this server's name: a Domain
    received_protocol with = received_protocol::esmtp;
    std::string_view id;           // this server's id of the message: an Atom or a msg-id
                                   // ("<1.2@mx.example>"); empty: no "id" clause
    std::string_view for_mailbox;  // the one recipient, a Mailbox without brackets;
                                   // empty: no "for" clause (several recipients or privacy)
    date_time date{};              // when the message was received
};

/// Why a Received field was not composed.
enum class received_error {
    ok,
    buffer_too_small,     // the field is larger than the buffer; nothing was written
    invalid_from_domain,  // not a Domain or address-literal, or a literal without peer_address
    invalid_peer_address, // not an IPv4 or IPv6 address (no brackets, no zone "%eth0")
    invalid_by_domain,    // not a Domain
    invalid_id,           // neither an Atom nor a msg-id
    invalid_mailbox,      // not a Mailbox (UTF-8 is admitted with a UTF8 protocol only)
    invalid_date,         // offset beyond ±99:59, or a local date outside the years 1900-9999
};

/// A short English description of `e`.
constexpr std::string_view to_string(received_error e) noexcept {
    switch (e) {
    case received_error::ok: return "ok";
    case received_error::buffer_too_small: return "buffer too small";
    case received_error::invalid_from_domain: return "invalid from-domain";
    case received_error::invalid_peer_address: return "invalid peer address";
    case received_error::invalid_by_domain: return "invalid by-domain";
    case received_error::invalid_id: return "invalid id";
    case received_error::invalid_mailbox: return "invalid for-mailbox";
    case received_error::invalid_date: return "invalid date";
    }
    return "unknown received_error";
}

/// The outcome of compose_received(): on ok and on buffer_too_small, `size` is the length
/// of the whole field; on the other errors it is 0.
struct received_result {
    received_error error;
    std::size_t size;
};

/// A buffer of this size holds any Received field compose_received() writes: every part
/// at its longest (domains of 255 octets, a 64-octet local part, a msg-id of 986) and
/// every fold come to less than 2000 octets.
inline constexpr std::size_t max_received_size = 2048;

namespace detail {

inline constexpr std::string_view ipv6_literal_tag = "IPv6:";

// The address literal of an IP address: "[192.0.2.1]" or "[IPv6:2001:db8::1]".
// `out` holds max_domain_length bytes; returns the length, or 0 if `ip` is neither.
constexpr std::size_t peer_literal(std::string_view ip, char* out) noexcept {
    const bool v6 = ip.find(':') != std::string_view::npos;
    if (ip.empty() || ip.size() + 2 + (v6 ? ipv6_literal_tag.size() : 0) > max_domain_length)
        return 0;
    counting_writer w{out, max_domain_length};
    w.put('[');
    if (v6) w.put(ipv6_literal_tag);
    w.put(ip);
    w.put(']');
    // With the tag the content is judged as IPv6, without it (no ':') as IPv4.
    return check_address_literal(std::string_view(out, w.pos)) == domain_error::ok ? w.pos : 0;
}

// id = Atom / msg-id (RFC 5321 §4.4), where Atom = 1*atext.
constexpr bool is_received_id(std::string_view id) noexcept {
    return (!id.empty() && ascii::all_of(id, ascii::atext)) || is_message_id(id);
}

constexpr received_error check_received(const received& r, std::string_view peer) noexcept {
    const bool utf8 = is_utf8(r.with);
    if (check_domain_or_literal(r.from_domain, utf8) != domain_error::ok ||
        (r.from_domain.front() == '[' && r.peer_address.empty()))
        return received_error::invalid_from_domain;
    if (!r.peer_address.empty() && peer.empty()) return received_error::invalid_peer_address;
    if (check_domain(r.by_domain, utf8) != domain_error::ok)
        return received_error::invalid_by_domain;
    if (!r.id.empty() && !is_received_id(r.id)) return received_error::invalid_id;
    mailbox m;
    if (!r.for_mailbox.empty() && parse_mailbox(r.for_mailbox, utf8, m) != mailbox_error::ok)
        return received_error::invalid_mailbox;
    if (!is_valid_date(r.date)) return received_error::invalid_date;
    return received_error::ok;
}

// Writes `keyword` SP `open` `value` `close` as one clause, on the current line when it
// fits, else after a fold; a clause too long for any line is folded between keyword and
// value instead.
constexpr void write_clause(header_writer& w, std::string_view keyword, std::string_view open,
                            std::string_view value, std::string_view close) noexcept {
    const std::size_t rest = open.size() + value.size() + close.size();
    const std::size_t whole = keyword.size() + 1 + rest;
    const bool fits_here = w.col + 1 + whole <= max_header_line;
    const bool fits_alone = 1 + whole <= max_header_line;
    if (fits_here || (w.line_has_word && fits_alone)) {
        w.space(whole);
        w.put(keyword);
        w.put(' ');
    } else {
        w.space(keyword.size());
        w.put(keyword);
        w.space(rest);
    }
    w.put(open);
    w.put(value);
    w.put(close);
}

// Writes the checked field `r` to `s`; `peer` is the peer's address literal or empty.
constexpr void write_received(const received& r, std::string_view peer,
                              counting_writer& s) noexcept {
    const bool has_id = !r.id.empty();
    const bool has_for = !r.for_mailbox.empty();
    header_writer w{s};
    w.start("Received");
    write_clause(w, "from", "", r.from_domain, "");
    if (!peer.empty()) {
        // Extended-Domain = Domain FWS "(" TCP-info ")", TCP-info = address-literal.
        w.space(peer.size() + 2);
        w.put('(');
        w.put(peer);
        w.put(')');
    }
    write_clause(w, "by", "", r.by_domain, "");
    // The last clause carries the ';' before the date: [CFWS] ";" FWS date-time.
    write_clause(w, "with", "", to_string(r.with), has_id || has_for ? "" : ";");
    if (has_id) write_clause(w, "id", "", r.id, has_for ? "" : ";");
    if (has_for) write_clause(w, "for", "<", r.for_mailbox, ">;");
    char date[date_text_size]{};
    static_cast<void>(format_date(r.date, date));
    w.space(date_text_size);
    w.put(std::string_view(date, date_text_size));
    w.end();
}

} // namespace detail

/// Writes a Received trace field (RFC 5321 §4.4, RFC 5322 §3.6.7) to prepend to a message:
///
///     Received: from client.example ([192.0.2.1]) by mx.example with ESMTPS
///      id <1.2@mx.example> for <user@example.com>; Mon, 23 Nov 2026 11:20:54 +0000
///
/// that is, "from" From-domain with the peer's address literal as TCP-info when given,
/// "by" By-domain, "with" protocol, "id" when given, "for" <mailbox> when given, then ";"
/// and the date (format_date()). Clauses are folded onto lines starting with a space so
/// that lines stay within max_header_line octets where a clause allows; the field ends
/// with CRLF. Nothing is escaped: every part is checked against its grammar instead.
/// Returns the size of the field and writes it to `out` only when it fits in `cap` (pass
/// nullptr and 0 to measure; max_received_size is always enough); on any error nothing
/// is written. Errors: see received_error, checked in field order.
[[nodiscard]] constexpr received_result compose_received(const received& r, char* out,
                                                         std::size_t cap) noexcept {
    char literal[max_domain_length]{};
    std::size_t literal_size = 0;
    if (!r.peer_address.empty()) literal_size = detail::peer_literal(r.peer_address, literal);
    const std::string_view peer(literal, literal_size);
    const received_error e = detail::check_received(r, peer);
    if (e != received_error::ok) return {e, 0};
    detail::counting_writer measure{nullptr, 0};
    detail::write_received(r, peer, measure);
    if (measure.pos > cap) return {received_error::buffer_too_small, measure.pos};
    detail::counting_writer write{out, cap};
    detail::write_received(r, peer, write);
    return {received_error::ok, write.pos};
}

} // namespace compose
} // namespace v0
} // namespace smtpwire

#endif
