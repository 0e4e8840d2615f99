// smtpwire-serve's message store: DIR/<id>.eml (the message) and DIR/<id>.json (its envelope).
// RFC 5321 §2.3.1 (envelope), §4.4 (trace information the JSON stands in for); RFC 8259 (JSON).
#ifndef SMTPWIRE_SERVE_MAILDIR_HPP
#define SMTPWIRE_SERVE_MAILDIR_HPP

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace serve {

/// The TLS a connection runs over.
struct tls_info {
    std::string protocol;   // "TLSv1.3"
    std::string cipher;     // "TLS_AES_256_GCM_SHA384"
};

/// Who hands over the messages of a connection: its address, its HELO or EHLO, and the
/// TLS and AUTH that protect and identify it. All of it but `peer` and `proxy` is
/// forgotten when TLS starts (RFC 3207 §4.2).
struct client_info {
    std::string peer;       // "IP:PORT" ("[IPv6]:PORT"): the connection's, or the client's
                            // a PROXY header named
    std::optional<std::string> proxy;  // the connection's "IP:PORT" when `peer` came from a
                                       // PROXY header
    std::string helo;       // the domain or address literal given with HELO or EHLO
    std::string helo_verb;  // "HELO" or "EHLO"
    std::optional<std::string> user;  // the AUTH identity, once AUTH succeeded
    std::optional<tls_info> tls;      // once the TLS handshake succeeded
};

/// One accepted recipient.
struct recipient {
    std::string mailbox;    // the forward path's mailbox in canonical form
    std::string notify;     // DSN NOTIFY= as written by smtpwire::write_notify(), or ""
    std::string orcpt_type; // DSN ORCPT= addr-type ("rfc822"), or ""
    std::string orcpt;      // DSN ORCPT= address, xtext-decoded, or ""
};

/// The envelope of one mail transaction, copied out of the session's events. Mailboxes
/// are in canonical form: source route dropped, local part a Dot-string when it can be,
/// else a Quoted-string escaping only '"' and '\\'.
struct envelope {
    std::string mail_from;               // the reverse path's mailbox, "" for <>
    std::string parameters;              // MAIL parameters as received, without the leading SP
    bool has_size = false;
    std::uint64_t declared_size = 0;     // SIZE=
    std::string body;                    // BODY= value ("7BIT", "8BITMIME") or ""
    bool smtputf8 = false;
    std::string ret;                     // DSN RET= value ("FULL", "HDRS") or ""
    std::string envid;                   // DSN ENVID=, xtext-decoded, or ""
    std::vector<recipient> recipients;   // accepted recipients, in order
};

/// A directory of finished messages, with DIR/tmp for messages still arriving.
class maildir {
public:
    /// Creates `dir` (and its parents) and dir/tmp if missing. On failure returns false
    /// and sets `error`.
    bool open(const std::string& dir, std::string& error);

    /// A message id unique across connections and runs: seconds, microseconds, process
    /// id and a counter ("1732360000.123456.4242.7").
    std::string new_id();

    const std::string& dir() const { return dir_; }

private:
    std::string dir_;
    std::atomic<std::uint64_t> counter_{0};  // shared by the --workers threads
};

/// One message being received. Content is streamed to DIR/tmp/<id>.eml; commit() moves
/// it into DIR and then writes DIR/<id>.json, so whoever sees the .json sees both.
/// Destroying an uncommitted writer removes the temporary file.
class message_writer {
public:
    message_writer() = default;
    message_writer(const message_writer&) = delete;
    message_writer& operator=(const message_writer&) = delete;
    ~message_writer() { abort(); }

    /// Creates the temporary file for a new message. False (and nothing open) on failure.
    bool begin(maildir& store);

    /// Appends message content. A write error is remembered and makes commit() fail.
    void write(std::string_view bytes);

    /// Completes the message: flushes and syncs the content, renames it to DIR/<id>.eml,
    /// then writes DIR/<id>.json. False if anything failed; then nothing is left behind.
    bool commit(const client_info& client, const envelope& env, std::uint64_t size);

    /// Drops the message in progress, if any, and removes its temporary file.
    void abort();

    bool active() const { return fd_ >= 0; }
    const std::string& id() const { return id_; }

private:
    bool flush();

    std::string dir_;
    std::string id_;
    std::string temp_path_;
    std::string buffer_;
    int fd_ = -1;
    bool failed_ = false;
};

/// The JSON document stored beside a message: one indented object ending in a newline.
std::string envelope_json(std::string_view id, const client_info& client, const envelope& env,
                          std::uint64_t size, std::string_view received_at);

/// `s` as a JSON string literal with its quotes: '"', '\\' and control characters
/// escaped (\u00XX), valid UTF-8 kept as is; in a string that is not valid UTF-8 each
/// non-ASCII byte becomes U+FFFD.
std::string json_string(std::string_view s);

} // namespace serve

#endif
