// SCRAM-SHA-256 without channel binding: the client, the server, and what a server stores.
// RFC 5802 §3 (algorithm), §5 (exchange), §7 (syntax), §9 (security); RFC 7677 (SHA-256).
#ifndef SMTPWIRE_SASL_SCRAM_HPP
#define SMTPWIRE_SASL_SCRAM_HPP

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <system_error>

#include "smtpwire/ascii.hpp"
#include "smtpwire/base64.hpp"
#include "smtpwire/crypto/compare.hpp"
#include "smtpwire/crypto/hex.hpp"
#include "smtpwire/crypto/hmac.hpp"
#include "smtpwire/crypto/pbkdf2.hpp"
#include "smtpwire/crypto/sha256.hpp"

namespace smtpwire {
inline namespace v0 {
namespace sasl {

/// Why a SCRAM step failed. A call made out of order returns `malformed` and changes
/// nothing; every other error ends the exchange (later calls return `malformed`).
enum class scram_error {
    ok,
    /// A message breaks RFC 5802 §7's grammar: an attribute missing, misplaced or empty,
    /// bad base64, a proof or signature that is not 32 octets, an '=' in a name other
    /// than "=2C" or "=3D", an iteration count that is not a positive decimal number below
    /// 2^32 (so "i=0"), a mandatory extension "m=" (none is supported), invalid UTF-8 or
    /// NUL. Also an unusable argument (an empty user name, a nonce that is not printable
    /// ASCII without ',', no salt) and a call out of order.
    malformed,
    /// The client requires channel binding ("p=" in its gs2 header), which is not offered
    /// (no SCRAM-SHA-256-PLUS), or its final c= does not repeat its gs2 header.
    channel_binding_unsupported,
    /// The server's nonce does not start with the client's (client side), or the client
    /// final nonce is not the one the server sent (server side).
    nonce_mismatch,
    /// The server asks for fewer than 4096 iterations, the least RFC 7677 §4 allows.
    iterations_too_low,
    /// The server asks for more iterations than the client's limit (see
    /// scram_max_iterations): a hostile server could otherwise ask for 2^32 - 1.
    iterations_too_high,
    /// A message received or built is longer than scram_max_message_size octets.
    message_too_long,
    /// The client's proof is wrong: a wrong password, or a user the server made up
    /// credentials for.
    invalid_proof,
    /// The server's signature is wrong: the server does not know the user's keys.
    invalid_server_signature,
    /// The server's final message is an error ("e=...", RFC 5802 §7 server-error).
    server_error,
};

/// A short English name for `e`, for logs.
[[nodiscard]] constexpr std::string_view to_string(scram_error e) noexcept {
    switch (e) {
    case scram_error::ok: return "ok";
    case scram_error::malformed: return "malformed message or argument";
    case scram_error::channel_binding_unsupported: return "channel binding not supported";
    case scram_error::nonce_mismatch: return "nonce mismatch";
    case scram_error::iterations_too_low: return "iteration count below 4096";
    case scram_error::iterations_too_high: return "iteration count above the limit";
    case scram_error::message_too_long: return "message too long";
    case scram_error::invalid_proof: return "invalid client proof";
    case scram_error::invalid_server_signature: return "invalid server signature";
    case scram_error::server_error: return "server reported an error";
    }
    return "unknown scram_error";
}

/// The longest message (client-first, server-first, client-final, server-final) either
/// class accepts or builds, in octets; RFC 5802 sets no limit. It leaves room for a user
/// name of over 400 octets with a 32-octet nonce; longer ones are refused with
/// scram_error::message_too_long, never truncated.
inline constexpr std::size_t scram_max_message_size = 512;

/// The most iterations scram_sha256_client::respond() computes unless told otherwise
/// (2,000,000 SHA-256 blocks), above both the 4096 that servers commonly store and
/// OWASP's 600,000 for PBKDF2-HMAC-SHA-256. Without a limit a hostile server could ask
/// for 2^32 - 1, over four thousand times as much hashing.
inline constexpr std::uint32_t scram_max_iterations = 1'000'000;

/// What a server stores for a user instead of the password (RFC 5802 §3):
/// StoredKey = SHA-256(HMAC(SaltedPassword, "Client Key")),
/// ServerKey = HMAC(SaltedPassword, "Server Key"),
/// SaltedPassword = PBKDF2-HMAC-SHA-256(password, salt, iterations).
struct scram_credentials {
    std::array<unsigned char, 32> stored_key;
    std::array<unsigned char, 32> server_key;
    std::string_view salt; ///< raw octets, owned by the caller
    std::uint32_t iterations;
};

namespace detail {
using scram_key = std::array<unsigned char, 32>;

/// Text of at most scram_max_message_size octets, built by appending; an append that does
/// not fit marks it overflowed and writes nothing more.
class scram_text {
public:
    void append(std::string_view s) noexcept {
        for (const char c : s) put(c);
    }

    /// Appends `name` as an RFC 5802 §7 saslname: ',' as "=2C", '=' as "=3D".
    void append_escaped(std::string_view name) noexcept {
        for (const char c : name) {
            if (c == ',') append("=2C");
            else if (c == '=') append("=3D");
            else put(c);
        }
    }

    /// Appends the saslname `name` (valid, see is_saslname()) unescaped.
    void append_unescaped(std::string_view name) noexcept {
        for (std::size_t i = 0; i < name.size(); ++i) {
            if (name[i] == '=') {
                put(name[i + 1] == '2' ? ',' : '=');
                i += 2;
            } else {
                put(name[i]);
            }
        }
    }

    void append_base64(std::string_view octets) noexcept {
        if (overflowed_ || base64_encoded_size(octets.size()) > data_.size() - size_) {
            overflowed_ = true;
            return;
        }
        size_ += base64_encode(octets, data_.data() + size_);
    }

    void append_number(std::uint32_t n) noexcept {
        char digits[10] = {};
        const std::to_chars_result r = std::to_chars(digits, digits + sizeof digits, n);
        append(std::string_view(digits, static_cast<std::size_t>(r.ptr - digits)));
    }

    [[nodiscard]] std::string_view view() const noexcept { return {data_.data(), size_}; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool overflowed() const noexcept { return overflowed_; }

private:
    void put(char c) noexcept {
        if (size_ == data_.size()) overflowed_ = true;
        if (overflowed_) return;
        data_[size_++] = c;
    }

    std::array<char, scram_max_message_size> data_{};
    std::size_t size_ = 0;
    bool overflowed_ = false;
};

/// RFC 5802 §7 value-char for a whole message: valid UTF-8 without NUL. The attribute
/// grammar (',' separates, '=' follows the name) is checked by take_attribute().
constexpr bool is_scram_text(std::string_view s) noexcept {
    return s.find('\0') == std::string_view::npos && ascii::is_valid_utf8(s);
}

/// RFC 5802 §7 c-nonce / s-nonce: one or more of printable = %x21-2B / %x2D-7E.
constexpr bool is_scram_nonce(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (const char c : s)
        if (c < 0x21 || c > 0x7E || c == ',') return false;
    return true;
}

/// RFC 5802 §7 saslname = 1*(value-safe-char / "=2C" / "=3D"), in a text that passed
/// is_scram_text(): no ',', and '=' only in the two escapes.
constexpr bool is_saslname(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == ',') return false;
        if (s[i] == '=') {
            const std::string_view escape = s.substr(i + 1, 2);
            if (escape != "2C" && escape != "3D") return false;
            i += 2;
        }
    }
    return true;
}

/// Takes the attribute at the front of `rest`: attr-val = ALPHA "=" 1*value-char, up to
/// the next ',' (consumed) or the end. False when there is none, its value is empty, or
/// a ',' ends the message.
constexpr bool take_attribute(std::string_view& rest, char& name,
                              std::string_view& value) noexcept {
    if (rest.size() < 3 || !ascii::is_alpha(rest[0]) || rest[1] != '=') return false;
    const std::size_t comma = rest.find(',');
    value = rest.substr(2, comma == std::string_view::npos ? comma : comma - 2);
    if (value.empty()) return false;
    name = rest[0];
    if (comma == std::string_view::npos) {
        rest = {};
        return true;
    }
    rest.remove_prefix(comma + 1);
    return !rest.empty();
}

/// The end of a message after its known attributes: nothing, or "," extensions. Unknown
/// extensions are ignored (RFC 5802 §5.1); "m", the reserved mandatory one, is refused.
constexpr bool valid_extensions(std::string_view rest) noexcept {
    char name = 0;
    std::string_view value;
    while (!rest.empty())
        if (!take_attribute(rest, name, value) || name == 'm') return false;
    return true;
}

/// RFC 5802 §7 posit-number = %x31-39 *DIGIT, below 2^32.
inline bool parse_iterations(std::string_view s, std::uint32_t& n) noexcept {
    if (s.empty() || s[0] < '1' || s[0] > '9' || !ascii::all_of(s, ascii::digit)) return false;
    const std::from_chars_result r = std::from_chars(s.data(), s.data() + s.size(), n);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

/// Decodes base64 that must hold exactly one 32-octet key (a proof or a signature).
inline bool decode_key(std::string_view base64, scram_key& key) noexcept {
    if (base64.size() != base64_encoded_size(key.size())) return false;
    std::array<char, base64_decoded_max(base64_encoded_size(32))> octets{};
    std::size_t written = 0;
    if (!base64_decode(base64, octets.data(), written) || written != key.size()) return false;
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<unsigned char>(octets[i]);
    return true;
}

inline std::string_view view(const scram_key& key) noexcept { return crypto::as_bytes(key); }

inline scram_key exclusive_or(const scram_key& a, const scram_key& b) noexcept {
    scram_key r{};
    for (std::size_t i = 0; i < r.size(); ++i) r[i] = static_cast<unsigned char>(a[i] ^ b[i]);
    return r;
}

/// HMAC-SHA-256 under `key` of AuthMessage = client-first-message-bare "," server-first-
/// message "," client-final-message-without-proof (RFC 5802 §3), never built whole.
inline scram_key auth_mac(const scram_key& key, std::string_view client_first_bare,
                          std::string_view server_first,
                          std::string_view client_final_without_proof) noexcept {
    crypto::hmac<crypto::sha256> mac(view(key));
    mac.update(client_first_bare);
    mac.update(",");
    mac.update(server_first);
    mac.update(",");
    mac.update(client_final_without_proof);
    return mac.finish();
}

/// ClientKey and ServerKey from SaltedPassword (RFC 5802 §3).
struct scram_keys {
    scram_key client_key;
    scram_key server_key;
};

inline scram_keys derive_keys(std::string_view password, std::string_view salt,
                              std::uint32_t iterations) noexcept {
    scram_key salted{};
    crypto::pbkdf2_hmac<crypto::sha256>(password, salt, iterations, salted.data(), salted.size());
    return {crypto::hmac<crypto::sha256>::compute(view(salted), "Client Key"),
            crypto::hmac<crypto::sha256>::compute(view(salted), "Server Key")};
}
} // namespace detail

/// The keys a server stores for `password`, so it never keeps the password itself.
/// `salt`: random octets (16 or more), different for each user; the result views it, so
/// keep it alive while the credentials are used. `iterations`: at least 4096 (RFC 7677
/// §4; scram_sha256_client refuses fewer), precondition >= 1. The password is used as
/// given: apply SASLprep (RFC 4013) beforehand if your users type non-ASCII passwords.
/// Costs 2 * iterations SHA-256 blocks.
[[nodiscard]] inline scram_credentials make_scram_credentials(std::string_view password,
                                                              std::string_view salt,
                                                              std::uint32_t iterations) noexcept {
    const detail::scram_keys keys = detail::derive_keys(password, salt, iterations);
    return {crypto::sha256::hash(detail::view(keys.client_key)), keys.server_key, salt,
            iterations};
}

/// The client side of one SCRAM-SHA-256 exchange (RFC 5802 §5, RFC 7677): start(), send
/// client_first(); respond() to the server-first message, send client_final(); then
/// verify_server_final(). Sends the gs2 header "n,," (no channel binding, no
/// authorization identity). Holds two message buffers, nothing allocated.
class scram_sha256_client {
public:
    /// Builds the client-first message "n,,n=<user>,r=<client_nonce>", the user name
    /// escaped per RFC 5802 §5.1 ("," as "=2C", "=" as "=3D") and otherwise sent as
    /// given (apply SASLprep beforehand if needed). `client_nonce`: fresh random
    /// printable ASCII without ',' (for example 24 random octets in base64); the caller
    /// supplies the randomness. Errors: malformed (empty user, user not UTF-8 or with
    /// NUL, unusable nonce, called twice), message_too_long.
    [[nodiscard]] scram_error start(std::string_view user, std::string_view client_nonce) noexcept {
        if (state_ != state::idle) return scram_error::malformed;
        if (user.empty() || !detail::is_scram_text(user) || !detail::is_scram_nonce(client_nonce))
            return fail(scram_error::malformed);
        first_.append("n,,n=");
        first_.append_escaped(user);
        first_.append(",r=");
        first_.append(client_nonce);
        if (first_.overflowed()) {
            first_ = {};
            return fail(scram_error::message_too_long);
        }
        nonce_size_ = client_nonce.size();
        state_ = state::first_built;
        return scram_error::ok;
    }

    /// The client-first message to send (base64-encoded by the application for SMTP
    /// AUTH); empty until start() succeeds. Valid while the object lives.
    [[nodiscard]] std::string_view client_first() const noexcept { return first_.view(); }

    /// Reads the server-first message "r=<nonce>,s=<salt>,i=<count>[,extensions]" and
    /// builds the client-final message with the proof of `password` (used as given).
    /// Checks that the nonce starts with the client's and that the count is at least 4096
    /// and at most `max_iterations`. Costs 2 * count SHA-256 blocks.
    /// Errors: malformed, nonce_mismatch, iterations_too_low, iterations_too_high,
    /// message_too_long.
    [[nodiscard]] scram_error respond(std::string_view server_first, std::string_view password,
                                      std::uint32_t max_iterations = scram_max_iterations) noexcept {
        if (state_ != state::first_built) return scram_error::malformed;
        if (server_first.size() > scram_max_message_size)
            return fail(scram_error::message_too_long);
        // server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count
        //                        ["," extensions]
        std::string_view rest = server_first;
        char name = 0;
        std::string_view nonce, salt_base64, count;
        if (!detail::is_scram_text(server_first) || !detail::take_attribute(rest, name, nonce) ||
            name != 'r' || !detail::is_scram_nonce(nonce) ||
            !detail::take_attribute(rest, name, salt_base64) || name != 's' ||
            !detail::take_attribute(rest, name, count) || name != 'i' ||
            !detail::valid_extensions(rest))
            return fail(scram_error::malformed);
        std::array<char, base64_decoded_max(scram_max_message_size)> salt{};
        std::size_t salt_size = 0;
        std::uint32_t iterations = 0;
        if (!base64_decode(salt_base64, salt.data(), salt_size) || salt_size == 0 ||
            !detail::parse_iterations(count, iterations))
            return fail(scram_error::malformed);
        if (nonce.substr(0, nonce_size_) != client_nonce())
            return fail(scram_error::nonce_mismatch);
        if (iterations < 4096) return fail(scram_error::iterations_too_low);
        if (iterations > max_iterations) return fail(scram_error::iterations_too_high);

        // client-final-message-without-proof = channel-binding "," nonce; "biws" is
        // base64 of the gs2 header "n,,".
        final_.append("c=biws,r=");
        final_.append(nonce);
        const std::string_view without_proof = final_.view();
        if (without_proof.size() + 3 + base64_encoded_size(32) > scram_max_message_size) {
            final_ = {};
            return fail(scram_error::message_too_long);
        }
        const detail::scram_keys keys = detail::derive_keys(
            password, std::string_view(salt.data(), salt_size), iterations);
        const detail::scram_key stored_key = crypto::sha256::hash(detail::view(keys.client_key));
        const std::string_view bare = first_.view().substr(3);
        const detail::scram_key proof = detail::exclusive_or(
            keys.client_key, detail::auth_mac(stored_key, bare, server_first, without_proof));
        server_signature_ = detail::auth_mac(keys.server_key, bare, server_first, without_proof);
        final_.append(",p=");
        final_.append_base64(detail::view(proof));
        state_ = state::final_built;
        return scram_error::ok;
    }

    /// The client-final message to send; empty until respond() succeeds. Valid while the
    /// object lives.
    [[nodiscard]] std::string_view client_final() const noexcept { return final_.view(); }

    /// Reads the server-final message: "v=<signature>" is compared in constant time with
    /// the signature expected from the server's key; "e=<error>" is server_error. Only
    /// after `ok` has the server proven it knows the user's keys. Errors: malformed,
    /// invalid_server_signature, server_error, message_too_long.
    [[nodiscard]] scram_error verify_server_final(std::string_view server_final) noexcept {
        if (state_ != state::final_built) return scram_error::malformed;
        if (server_final.size() > scram_max_message_size)
            return fail(scram_error::message_too_long);
        // server-final-message = (server-error / verifier) ["," extensions]
        std::string_view rest = server_final;
        char name = 0;
        std::string_view value;
        if (!detail::is_scram_text(server_final) || !detail::take_attribute(rest, name, value))
            return fail(scram_error::malformed);
        if (name == 'e') return fail(scram_error::server_error);
        detail::scram_key signature{};
        if (name != 'v' || !detail::valid_extensions(rest) || !detail::decode_key(value, signature))
            return fail(scram_error::malformed);
        if (!crypto::constant_time_equal(detail::view(signature), detail::view(server_signature_)))
            return fail(scram_error::invalid_server_signature);
        state_ = state::verified;
        return scram_error::ok;
    }

private:
    enum class state : unsigned char { idle, first_built, final_built, verified, failed };

    scram_error fail(scram_error e) noexcept {
        state_ = state::failed;
        return e;
    }

    // The client nonce ends the client-first message.
    std::string_view client_nonce() const noexcept {
        return first_.view().substr(first_.size() - nonce_size_);
    }

    detail::scram_text first_;
    detail::scram_text final_;
    detail::scram_key server_signature_{};
    std::size_t nonce_size_ = 0;
    state state_ = state::idle;
};

/// The server side of one SCRAM-SHA-256 exchange (RFC 5802 §5, RFC 7677):
/// read_client_first(), look up user(); start() with its credentials, send
/// server_first(); verify_client_final(), send server_final(). Accepts the gs2 headers
/// "n,," and "y,," (the client could bind but thinks this server cannot, which is true),
/// refuses "p=..." (channel_binding_unsupported), and accepts an authorization identity
/// "a=<name>" which it only exposes: whether user() may act as authorization_id() is the
/// application's decision. Holds three message buffers, nothing allocated.
class scram_sha256_server {
public:
    /// Reads the client-first message: gs2 header, "n=<user>", "r=<nonce>", extensions.
    /// Errors: malformed, channel_binding_unsupported, message_too_long.
    [[nodiscard]] scram_error read_client_first(std::string_view message) noexcept {
        if (state_ != state::idle) return scram_error::malformed;
        if (message.size() > scram_max_message_size) return fail(scram_error::message_too_long);
        if (!detail::is_scram_text(message)) return fail(scram_error::malformed);
        // gs2-header = gs2-cbind-flag "," [ authzid ] ","
        if (message.substr(0, 2) == "p=") return fail(scram_error::channel_binding_unsupported);
        if (message.size() < 2 || (message[0] != 'n' && message[0] != 'y') || message[1] != ',')
            return fail(scram_error::malformed);
        std::string_view rest = message.substr(2);
        const std::size_t comma = rest.find(',');
        std::string_view authzid = rest.substr(0, comma);
        if (comma == std::string_view::npos ||
            (!authzid.empty() &&
             (authzid.substr(0, 2) != "a=" || !detail::is_saslname(authzid.substr(2)))))
            return fail(scram_error::malformed);
        authzid = authzid.substr(authzid.empty() ? 0 : 2);
        rest.remove_prefix(comma + 1);
        const std::size_t gs2_size = message.size() - rest.size();
        // client-first-message-bare = [reserved-mext ","] username "," nonce
        //                             ["," extensions]
        char name = 0;
        std::string_view user, nonce;
        if (!detail::take_attribute(rest, name, user) || name != 'n' ||
            !detail::is_saslname(user) || !detail::take_attribute(rest, name, nonce) ||
            name != 'r' || !detail::is_scram_nonce(nonce) || !detail::valid_extensions(rest))
            return fail(scram_error::malformed);
        client_first_.append(message);
        gs2_size_ = gs2_size;
        client_nonce_offset_ = static_cast<std::size_t>(nonce.data() - message.data());
        client_nonce_size_ = nonce.size();
        names_.append_unescaped(user);
        user_size_ = names_.size();
        names_.append_unescaped(authzid);
        state_ = state::client_first_read;
        return scram_error::ok;
    }

    /// The authentication identity, unescaped ("=2C" is ',', "=3D" is '='), as the client
    /// sent it (no SASLprep applied); empty until read_client_first() succeeds. Valid
    /// while the object lives.
    [[nodiscard]] std::string_view user() const noexcept {
        return names_.view().substr(0, user_size_);
    }

    /// The authorization identity from "a=", unescaped; empty when the client sent none.
    /// Valid while the object lives.
    [[nodiscard]] std::string_view authorization_id() const noexcept {
        return names_.view().substr(user_size_);
    }

    /// Builds the server-first message "r=<client nonce><server_nonce>,s=<salt>,i=<n>"
    /// from the stored `credentials` of user(); the keys are copied, the salt encoded, so
    /// `credentials` need not outlive the call. `server_nonce`: fresh random printable
    /// ASCII without ',' from the caller. For an unknown user, pass made-up credentials
    /// (for example a salt derived from the name and a server secret) so that the
    /// exchange fails at verify_client_final() like a wrong password (RFC 5802 §9).
    /// Errors: malformed (unusable nonce, empty salt, zero iterations, out of order),
    /// message_too_long.
    [[nodiscard]] scram_error start(std::string_view server_nonce,
                                    const scram_credentials& credentials) noexcept {
        if (state_ != state::client_first_read) return scram_error::malformed;
        if (!detail::is_scram_nonce(server_nonce) || credentials.salt.empty() ||
            credentials.iterations == 0)
            return fail(scram_error::malformed);
        server_first_.append("r=");
        server_first_.append(
            client_first_.view().substr(client_nonce_offset_, client_nonce_size_));
        server_first_.append(server_nonce);
        server_first_.append(",s=");
        server_first_.append_base64(credentials.salt);
        server_first_.append(",i=");
        server_first_.append_number(credentials.iterations);
        if (server_first_.overflowed()) {
            server_first_ = {};
            return fail(scram_error::message_too_long);
        }
        nonce_size_ = client_nonce_size_ + server_nonce.size();
        stored_key_ = credentials.stored_key;
        server_key_ = credentials.server_key;
        state_ = state::server_first_built;
        return scram_error::ok;
    }

    /// The server-first message to send; empty until start() succeeds. Valid while the
    /// object lives.
    [[nodiscard]] std::string_view server_first() const noexcept { return server_first_.view(); }

    /// Reads the client-final message "c=<gs2 header>,r=<nonce>[,extensions],p=<proof>":
    /// c= must repeat the client's gs2 header ("biws" for "n,,", "eSws" for "y,,"), r= the
    /// nonce of server_first(), and the proof must match the stored key, compared in
    /// constant time. On `ok` the client is authenticated as user(). Errors: malformed,
    /// channel_binding_unsupported, nonce_mismatch, invalid_proof, message_too_long.
    [[nodiscard]] scram_error verify_client_final(std::string_view message) noexcept {
        if (state_ != state::server_first_built) return scram_error::malformed;
        if (message.size() > scram_max_message_size) return fail(scram_error::message_too_long);
        // client-final-message = channel-binding "," nonce ["," extensions] "," proof
        std::string_view rest = message;
        char name = 0;
        std::string_view binding, nonce, value;
        if (!detail::is_scram_text(message) || !detail::take_attribute(rest, name, binding) ||
            name != 'c' || !detail::take_attribute(rest, name, nonce) || name != 'r')
            return fail(scram_error::malformed);
        do {
            if (!detail::take_attribute(rest, name, value) || name == 'm' ||
                (name == 'p' && !rest.empty()))
                return fail(scram_error::malformed);
        } while (name != 'p');
        std::array<char, base64_decoded_max(scram_max_message_size)> header{};
        std::size_t header_size = 0;
        detail::scram_key proof{};
        if (!base64_decode(binding, header.data(), header_size) ||
            !detail::decode_key(value, proof))
            return fail(scram_error::malformed);
        const std::string_view gs2_header = client_first_.view().substr(0, gs2_size_);
        if (std::string_view(header.data(), header_size) != gs2_header)
            return fail(scram_error::channel_binding_unsupported);
        if (nonce != server_first_.view().substr(2, nonce_size_))
            return fail(scram_error::nonce_mismatch);

        const std::string_view bare = client_first_.view().substr(gs2_size_);
        const std::string_view without_proof = message.substr(0, message.size() - value.size() - 3);
        const detail::scram_key client_key = detail::exclusive_or(
            proof, detail::auth_mac(stored_key_, bare, server_first_.view(), without_proof));
        const detail::scram_key stored_key = crypto::sha256::hash(detail::view(client_key));
        if (!crypto::constant_time_equal(detail::view(stored_key), detail::view(stored_key_)))
            return fail(scram_error::invalid_proof);
        const detail::scram_key signature =
            detail::auth_mac(server_key_, bare, server_first_.view(), without_proof);
        server_final_[0] = 'v';
        server_final_[1] = '=';
        (void)base64_encode(detail::view(signature), server_final_.data() + 2);
        state_ = state::verified;
        return scram_error::ok;
    }

    /// The server-final message "v=<signature>" to send after verify_client_final()
    /// returned `ok`; empty otherwise (answer a failure with the protocol's own error,
    /// SMTP's 535 5.7.8). Valid while the object lives.
    [[nodiscard]] std::string_view server_final() const noexcept {
        if (state_ != state::verified) return {};
        return {server_final_.data(), server_final_.size()};
    }

private:
    enum class state : unsigned char {
        idle,
        client_first_read,
        server_first_built,
        verified,
        failed
    };

    scram_error fail(scram_error e) noexcept {
        state_ = state::failed;
        return e;
    }

    detail::scram_text client_first_; // the whole client-first message
    detail::scram_text names_;        // user(), then authorization_id()
    detail::scram_text server_first_;
    std::array<char, 2 + base64_encoded_size(32)> server_final_{}; // "v=" ServerSignature
    detail::scram_key stored_key_{};
    detail::scram_key server_key_{};
    std::size_t gs2_size_ = 0;            // the gs2 header at the front of client_first_
    std::size_t user_size_ = 0;           // user() at the front of names_
    std::size_t client_nonce_offset_ = 0; // the client nonce in client_first_
    std::size_t client_nonce_size_ = 0;
    std::size_t nonce_size_ = 0;          // the whole nonce, at offset 2 of server_first_
    state state_ = state::idle;
};

} // namespace sasl
} // namespace v0
} // namespace smtpwire

#endif
