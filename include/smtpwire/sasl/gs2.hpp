// The GS2 header and its saslname escaping, which OAUTHBEARER and SCRAM messages begin with.
// RFC 5801 §4 (gs2-header, gs2-cb-flag, gs2-authzid, saslname); RFC 5802 §5.1 (same saslname).
#ifndef SMTPWIRE_SASL_GS2_HPP
#define SMTPWIRE_SASL_GS2_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smtpwire/ascii.hpp"

namespace smtpwire {
inline namespace v0 {
namespace sasl {

/// Length of `name` as a saslname: ',' and '=' take three bytes ("=2C", "=3D").
[[nodiscard]] constexpr std::size_t saslname_encoded_size(std::string_view name) noexcept {
    std::size_t n = name.size();
    for (char c : name)
        if (c == ',' || c == '=') n += 2;
    return n;
}

/// Writes `name` as a saslname (RFC 5801 §4): ',' as "=2C", '=' as "=3D", every other
/// byte as itself. A saslname is non-empty, well-formed UTF-8 without NUL; check `name`
/// with is_saslname() after encoding, or ensure it before. Precondition: `out` holds
/// saslname_encoded_size(name) bytes and does not overlap `name`. Returns that size.
[[nodiscard]] constexpr std::size_t saslname_encode(std::string_view name, char* out) noexcept {
    std::size_t o = 0;
    for (char c : name) {
        if (c == ',' || c == '=') {
            out[o++] = '=';
            out[o++] = c == ',' ? '2' : '3';
            out[o++] = c == ',' ? 'C' : 'D';
        } else {
            out[o++] = c;
        }
    }
    return o;
}

/// True when `s` is a saslname: 1*(UTF8-char-safe / "=2C" / "=3D"), that is non-empty,
/// well-formed UTF-8, no NUL, no ',' and every '=' followed by "2C" or "3D" (upper
/// case, as RFC 5801 and RFC 5802 §5.1 write them and require of servers).
[[nodiscard]] constexpr bool is_saslname(std::string_view s) noexcept {
    if (s.empty() || !ascii::is_valid_utf8(s)) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '\0' || c == ',') return false;
        if (c == '=') {
            const std::string_view e = s.substr(i + 1, 2);
            if (e != "2C" && e != "3D") return false;
            i += 2;
        }
    }
    return true;
}

/// Decodes a saslname: "=2C" to ',' and "=3D" to '='. Refuses what is_saslname()
/// refuses. Precondition: `out` holds in.size() bytes (the result is never longer);
/// `out` may be in.data(). On success sets `written` and returns true; on failure
/// returns false with `written` 0, `out` perhaps holding part of the output.
[[nodiscard]] constexpr bool saslname_decode(std::string_view in, char* out,
                                             std::size_t& written) noexcept {
    written = 0;
    if (!is_saslname(in)) return false;
    std::size_t o = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '=') {
            out[o++] = in[i + 1] == '2' ? ',' : '=';
            i += 2;
        } else {
            out[o++] = in[i];
        }
    }
    written = o;
    return true;
}

/// The channel-binding flag of a GS2 header (RFC 5801 §4, RFC 5056).
enum class gs2_cb_flag : std::uint8_t {
    n,  // "n": the client does not support channel binding
    y,  // "y": the client supports it but thinks the server does not
    p,  // "p=" cb-name: the client uses channel binding of type cb-name
};

/// A GS2 header as parse_gs2_header() finds it. Views point into the parsed message.
struct gs2_header {
    bool nonstandard = false;            // the "F," prefix of non-standard GSS-API mechanisms
    gs2_cb_flag cb_flag = gs2_cb_flag::n;
    std::string_view cb_name;            // with cb_flag p: "tls-unique", "tls-exporter", ...
    std::string_view authzid;            // the saslname after "a=", still escaped; "" if none
    std::size_t size = 0;                // bytes of the header, its final ',' included
};

/// Parses the GS2 header at the start of `message`:
///     [ "F," ] ( "n" / "y" / "p=" cb-name ) "," [ "a=" saslname ] ","
/// where cb-name is 1*(ALPHA / DIGIT / "." / "-"). What follows the header is
/// message.substr(out.size). The authzid stays escaped: decode it with
/// saslname_decode(). On success sets `out` and returns true; otherwise returns false
/// and leaves `out` unchanged.
[[nodiscard]] constexpr bool parse_gs2_header(std::string_view message, gs2_header& out) noexcept {
    gs2_header h{};
    std::size_t i = 0;
    if (message.substr(0, 2) == "F,") {
        h.nonstandard = true;
        i = 2;
    }
    if (i == message.size()) return false;
    if (message[i] == 'n' || message[i] == 'y') {
        h.cb_flag = message[i] == 'n' ? gs2_cb_flag::n : gs2_cb_flag::y;
        ++i;
    } else if (message.substr(i, 2) == "p=") {
        i += 2;
        const std::size_t start = i;
        while (i < message.size() &&
               (ascii::is_let_dig(message[i]) || message[i] == '.' || message[i] == '-'))
            ++i;
        if (i == start) return false;
        h.cb_flag = gs2_cb_flag::p;
        h.cb_name = message.substr(start, i - start);
    } else {
        return false;
    }
    if (i == message.size() || message[i] != ',') return false;
    ++i;
    if (message.substr(i, 2) == "a=") {
        i += 2;
        const std::size_t end = message.find(',', i);
        if (end == std::string_view::npos) return false;
        h.authzid = message.substr(i, end - i);
        if (!is_saslname(h.authzid)) return false;
        i = end;
    }
    if (i == message.size() || message[i] != ',') return false;
    h.size = i + 1;
    out = h;
    return true;
}

/// Length of the header write_gs2_header() writes for these arguments.
[[nodiscard]] constexpr std::size_t gs2_header_size(gs2_cb_flag flag, std::string_view cb_name,
                                                    std::string_view authzid) noexcept {
    const std::size_t cb = flag == gs2_cb_flag::p ? 2 + cb_name.size() : 1;
    const std::size_t a = authzid.empty() ? 0 : 2 + saslname_encoded_size(authzid);
    return cb + 1 + a + 1;
}

/// Writes a GS2 header without the "F," prefix: the flag ("n", "y", or "p=" `cb_name`),
/// ',', "a=" and `authzid` as a saslname unless `authzid` is empty, and ','. E.g. "n,,"
/// or "n,a=user@example.com,". `authzid` is the identity unescaped; it must be
/// well-formed UTF-8 without NUL, and `cb_name` (used only with p) a cb-name.
/// Precondition: `out` holds gs2_header_size() bytes. Returns that size.
[[nodiscard]] constexpr std::size_t write_gs2_header(gs2_cb_flag flag, std::string_view cb_name,
                                                     std::string_view authzid,
                                                     char* out) noexcept {
    std::size_t o = 0;
    if (flag == gs2_cb_flag::p) {
        out[o++] = 'p';
        out[o++] = '=';
        for (char c : cb_name) out[o++] = c;
    } else {
        out[o++] = flag == gs2_cb_flag::y ? 'y' : 'n';
    }
    out[o++] = ',';
    if (!authzid.empty()) {
        out[o++] = 'a';
        out[o++] = '=';
        o += saslname_encode(authzid, out + o);
    }
    out[o++] = ',';
    return o;
}

} // namespace sasl
} // namespace v0
} // namespace smtpwire

#endif
