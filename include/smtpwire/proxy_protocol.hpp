// The PROXY protocol header a proxy or load balancer sends before its client's first octet.
// HAProxy's "The PROXY protocol Versions 1 & 2" (2020/03/05): §2.1 (v1), §2.2 (v2), §2.2.1-7 (TLVs).
#ifndef SMTPWIRE_PROXY_PROTOCOL_HPP
#define SMTPWIRE_PROXY_PROTOCOL_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "smtpwire/ascii.hpp"
#include "smtpwire/crypto/crc32c.hpp"

namespace smtpwire {
inline namespace v0 {

/// Longest version 1 header, CRLF included (§2.1: "PROXY UNKNOWN", two IPv6 addresses
/// and two ports).
inline constexpr std::size_t proxy_v1_max_size = 107;

/// The fixed part of a version 2 header: the 12-octet signature, the version and command,
/// the family and protocol, and the 2-octet length of the rest (§2.2).
inline constexpr std::size_t proxy_v2_fixed_size = 16;

/// The largest version 2 header its length field can announce.
inline constexpr std::size_t proxy_v2_max_size = proxy_v2_fixed_size + 0xFFFF;

/// The default bound on a version 2 header: 536 octets, the smallest TCP segment every
/// host must accept (576 - 40), which §2 says both versions are designed to fit in. The
/// addresses and the TLVs HAProxy sends (SSL with its sub-TLVs, a unique ID of up to 128
/// octets, the authority, CRC32C) fit in it.
inline constexpr std::size_t proxy_v2_default_limit = 536;

/// The first 12 octets of every version 2 header (§2.2); the fifth is NUL.
inline constexpr std::string_view proxy_v2_signature{"\r\n\r\n\0\r\nQUIT\n", 12};

/// Why a PROXY protocol header was refused. §2.1 and §2.2 require the connection to be
/// closed for every one of them.
enum class proxy_error : std::uint8_t {
    ok,
    not_proxy_protocol,   // the input starts with neither "PROXY " nor the v2 signature
    v1_bad_protocol,      // the word after "PROXY " is not TCP4, TCP6 or UNKNOWN
    v1_bad_address,       // not a dotted quad without leading zeros (TCP4) or IPv6 text (TCP6)
    v1_bad_port,          // not a decimal number 0-65535 without sign or leading zeros
    v1_field_count,       // not exactly four fields, one space apart, after TCP4 or TCP6
    v1_bad_line_ending,   // a CR not followed by LF, or an LF without a CR before it
    v1_too_long,          // no CRLF within proxy_v1_max_size octets
    v2_bad_version,       // the version (high 4 bits of octet 13) is not 2
    v2_bad_command,       // the command (low 4 bits of octet 13) is neither LOCAL nor PROXY
    v2_bad_family,        // octet 14 is none of 0x00 0x11 0x12 0x21 0x22 0x31 0x32
    v2_too_long,          // 16 + the announced length is over the parser's limit
    v2_short_addresses,   // a PROXY header too short for the addresses of its family
    v2_bad_tlv,           // a TLV, or a sub-TLV of the SSL TLV, runs past its block
    v2_bad_tlv_value,     // a CRC32C not of 4 octets, a UNIQUE_ID over 128, an SSL TLV under
                          // 5, an AUTHORITY that is not UTF-8
    v2_duplicate_tlv,     // a registered TLV type (or SSL sub-TLV type) given twice
    v2_bad_checksum,      // the CRC32C TLV does not match the header
};

/// A short English description of `e`, for logs.
constexpr std::string_view to_string(proxy_error e) noexcept {
    switch (e) {
    case proxy_error::ok: return "ok";
    case proxy_error::not_proxy_protocol: return "not a PROXY protocol header";
    case proxy_error::v1_bad_protocol: return "PROXY v1: protocol is not TCP4, TCP6 or UNKNOWN";
    case proxy_error::v1_bad_address: return "PROXY v1: invalid address";
    case proxy_error::v1_bad_port: return "PROXY v1: invalid port";
    case proxy_error::v1_field_count: return "PROXY v1: not four fields after the protocol";
    case proxy_error::v1_bad_line_ending: return "PROXY v1: bare CR or LF";
    case proxy_error::v1_too_long: return "PROXY v1: no CRLF within 107 octets";
    case proxy_error::v2_bad_version: return "PROXY v2: version is not 2";
    case proxy_error::v2_bad_command: return "PROXY v2: command is neither LOCAL nor PROXY";
    case proxy_error::v2_bad_family: return "PROXY v2: invalid address family or protocol";
    case proxy_error::v2_too_long: return "PROXY v2: header longer than the limit";
    case proxy_error::v2_short_addresses: return "PROXY v2: length too short for the addresses";
    case proxy_error::v2_bad_tlv: return "PROXY v2: TLV runs past the header";
    case proxy_error::v2_bad_tlv_value: return "PROXY v2: invalid TLV value";
    case proxy_error::v2_duplicate_tlv: return "PROXY v2: TLV type given twice";
    case proxy_error::v2_bad_checksum: return "PROXY v2: CRC32C mismatch";
    }
    return "unknown proxy_error";
}

/// What the header says about the connection (§2.2).
enum class proxy_command : std::uint8_t {
    local,  // v2 LOCAL: the proxy's own connection (a health check); use the real endpoints
    proxy,  // relayed on behalf of a client: v1 always, v2 PROXY
};

/// "LOCAL" or "PROXY".
constexpr std::string_view to_string(proxy_command c) noexcept {
    switch (c) {
    case proxy_command::local: return "LOCAL";
    case proxy_command::proxy: return "PROXY";
    }
    return "unknown proxy_command";
}

/// The client's address family.
enum class proxy_family : std::uint8_t {
    unspecified,  // v1 UNKNOWN, v2 AF_UNSPEC, and every LOCAL header: no address
    inet,         // IPv4: TCP4, or v2 AF_INET
    inet6,        // IPv6: TCP6, or v2 AF_INET6
    unix_socket,  // v2 AF_UNIX: reported, but its socket paths are not (see proxy_header)
};

/// "unspecified", "IPv4", "IPv6" or "UNIX".
constexpr std::string_view to_string(proxy_family f) noexcept {
    switch (f) {
    case proxy_family::unspecified: return "unspecified";
    case proxy_family::inet: return "IPv4";
    case proxy_family::inet6: return "IPv6";
    case proxy_family::unix_socket: return "UNIX";
    }
    return "unknown proxy_family";
}

/// The client's transport protocol.
enum class proxy_transport : std::uint8_t {
    unspecified,  // with proxy_family::unspecified
    stream,       // TCP (v1 TCP4 and TCP6, v2 0x11 0x21) or UNIX stream (0x31)
    datagram,     // UDP (v2 0x12 0x22) or UNIX datagram (0x32)
};

/// "unspecified", "stream" or "datagram".
constexpr std::string_view to_string(proxy_transport t) noexcept {
    switch (t) {
    case proxy_transport::unspecified: return "unspecified";
    case proxy_transport::stream: return "stream";
    case proxy_transport::datagram: return "datagram";
    }
    return "unknown proxy_transport";
}

/// One end of the client's connection.
struct proxy_address {
    proxy_family family = proxy_family::unspecified;  // inet or inet6 when it holds one
    std::array<std::uint8_t, 16> octets{};  // network order; an IPv4 address in the first 4
    std::uint16_t port = 0;

    friend constexpr bool operator==(const proxy_address& a, const proxy_address& b) noexcept {
        if (a.family != b.family || a.port != b.port) return false;
        for (std::size_t i = 0; i < a.octets.size(); ++i)
            if (a.octets[i] != b.octets[i]) return false;
        return true;
    }
    friend constexpr bool operator!=(const proxy_address& a, const proxy_address& b) noexcept {
        return !(a == b);
    }
};

/// The PP2_TYPE_SSL TLV (§2.2.6): how the client reached the proxy over TLS.
struct proxy_ssl {
    bool present = false;
    std::uint8_t client = 0;    // PP2_CLIENT_SSL 0x01, PP2_CLIENT_CERT_CONN 0x02,
                                // PP2_CLIENT_CERT_SESS 0x04
    std::uint32_t verify = 0;   // 0: the client's certificate was verified
    std::string_view version;              // PP2_SUBTYPE_SSL_VERSION ("TLSv1.3")
    std::string_view common_name;          // PP2_SUBTYPE_SSL_CN, of the client certificate
    std::string_view cipher;               // PP2_SUBTYPE_SSL_CIPHER
    std::string_view signature_algorithm;  // PP2_SUBTYPE_SSL_SIG_ALG
    std::string_view key_algorithm;        // PP2_SUBTYPE_SSL_KEY_ALG
};

/// The registered TLVs of a version 2 header (§2.2.1-§2.2.7). Each view is empty when its
/// TLV is absent (or empty). Types the parser does not know (the custom range 0xE0-0xEF
/// cloud load balancers use among them) and NOOP are counted and skipped.
struct proxy_tlvs {
    std::size_t count = 0;        // TLVs in the header, of every type
    std::string_view alpn;        // PP2_TYPE_ALPN: the negotiated application protocol
    std::string_view authority;   // PP2_TYPE_AUTHORITY: the host name the client asked for
                                  // (TLS SNI), UTF-8
    std::string_view unique_id;   // PP2_TYPE_UNIQUE_ID: opaque, at most 128 octets
    std::string_view netns;       // PP2_TYPE_NETNS: the network namespace's name
    bool checksum = false;        // a PP2_TYPE_CRC32C TLV was present and matched
    proxy_ssl ssl;                // PP2_TYPE_SSL
};

/// A complete PROXY protocol header.
///
/// AF_UNIX (v2) is reported as proxy_family::unix_socket without its two 108-octet socket
/// paths, and the header's TLVs are read; the application then uses the connection's own
/// endpoints, as §2.2 lets a receiver fall back to AF_UNSPEC for a family it does not
/// implement. A LOCAL header's block (§2.2: "discard the protocol block including the
/// family") and an AF_UNSPEC block (whose layout no one defines) are skipped unread:
/// neither addresses nor TLVs are reported or checked, CRC32C included.
struct proxy_header {
    std::uint8_t version = 0;  // 1 or 2
    proxy_command command = proxy_command::local;
    proxy_family family = proxy_family::unspecified;
    proxy_transport transport = proxy_transport::unspecified;
    proxy_address source;       // the client, when has_addresses()
    proxy_address destination;  // the address the client connected to, when has_addresses()
    proxy_tlvs tlvs;            // version 2, IPv4, IPv6 and UNIX only
    std::size_t size = 0;       // octets of the header, CRLF or TLVs included

    /// True when the header names the client: PROXY over IPv4 or IPv6. Otherwise (LOCAL,
    /// v1 UNKNOWN, v2 AF_UNSPEC or AF_UNIX) the application keeps the connection's own
    /// endpoints (§2.1, §2.2).
    [[nodiscard]] constexpr bool has_addresses() const noexcept {
        return command == proxy_command::proxy &&
               (family == proxy_family::inet || family == proxy_family::inet6);
    }
};

/// Text of an address in a fixed buffer: no allocation. See ip_text() and to_string().
struct address_text {
    /// Room for the longest text: "[" + 39 octets of IPv6 + "]:65535".
    static constexpr std::size_t capacity = 47;
    std::array<char, capacity> chars{};
    std::size_t size = 0;

    [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars.data(), size}; }
};

namespace detail {
// Longest IPv4 text (§2.1): "255.255.255.255".
inline constexpr std::size_t max_ipv4_text = 15;
// Longest IPv6 text read: eight groups of four digits with the last two as a dotted quad,
// "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255".
inline constexpr std::size_t max_ipv6_text = 45;
// Longest port text: "65535".
inline constexpr std::size_t max_port_text = 5;

constexpr unsigned octet(std::string_view s, std::size_t i) noexcept {
    return static_cast<unsigned char>(s[i]);
}

constexpr std::size_t big_endian16(std::string_view s, std::size_t i) noexcept {
    return std::size_t{octet(s, i)} << 8 | octet(s, i + 1);
}

constexpr std::uint32_t big_endian32(std::string_view s, std::size_t i) noexcept {
    return std::uint32_t{octet(s, i)} << 24 | std::uint32_t{octet(s, i + 1)} << 16 |
           std::uint32_t{octet(s, i + 2)} << 8 | std::uint32_t{octet(s, i + 3)};
}

// The value of a hex digit of either case. Precondition: ascii::is_hex(c).
constexpr unsigned hex_digit_value(char c) noexcept {
    if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
    return static_cast<unsigned>(c - 'A' + 10);
}

// A decimal number of 1 to `max_digits` digits without leading zeros ("0" itself is
// fine) and at most `max_value` (§2.1: "Heading zeroes are not permitted").
constexpr bool read_decimal(std::string_view s, std::size_t max_digits, unsigned max_value,
                            unsigned& value) noexcept {
    if (s.empty() || s.size() > max_digits || !ascii::all_of(s, ascii::digit)) return false;
    if (s.size() > 1 && s.front() == '0') return false;
    unsigned v = 0;
    for (const char c : s) v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > max_value) return false;
    value = v;
    return true;
}

// §2.1: exactly four decimal numbers 0-255 without leading zeros, one dot apart.
constexpr bool read_ipv4_text(std::string_view s, std::uint8_t* out) noexcept {
    for (std::size_t k = 0; k < 4; ++k) {
        const std::size_t dot = k < 3 ? s.find('.') : s.size();
        if (dot == std::string_view::npos) return false;
        unsigned v = 0;
        if (!read_decimal(s.substr(0, dot), 3, 255, v)) return false;
        out[k] = static_cast<std::uint8_t>(v);
        s.remove_prefix(k < 3 ? dot + 1 : dot);
    }
    return true;
}

// Up to `room` 16-bit groups of IPv6 text, "h16 *(':' h16)" with h16 1-4 hex digits;
// with `ipv4_tail` the last element may be a dotted quad, counting as two groups. Empty
// text is no group; an empty group (a stray ':') is an error. Sets `count`.
constexpr bool read_hex_groups(std::string_view s, bool ipv4_tail, std::uint16_t* groups,
                                std::size_t room, std::size_t& count) noexcept {
    count = 0;
    if (s.empty()) return true;
    for (;;) {
        const std::size_t colon = s.find(':');
        const std::string_view g = s.substr(0, colon);
        if (colon == std::string_view::npos && ipv4_tail && g.find('.') != std::string_view::npos) {
            std::uint8_t v4[4] = {};
            if (room - count < 2 || !read_ipv4_text(g, v4)) return false;
            groups[count++] = static_cast<std::uint16_t>(v4[0] << 8 | v4[1]);
            groups[count++] = static_cast<std::uint16_t>(v4[2] << 8 | v4[3]);
            return true;
        }
        if (g.empty() || g.size() > 4 || !ascii::all_of(g, ascii::hex) || count == room)
            return false;
        unsigned v = 0;
        for (const char c : g) v = v * 16 + hex_digit_value(c);
        groups[count++] = static_cast<std::uint16_t>(v);
        if (colon == std::string_view::npos) return true;
        s.remove_prefix(colon + 1);
    }
}

// §2.1: IPv6 text of 128 bits, groups of hex digits in either case, at most one "::"
// standing for one or more zero groups, and (as inet_pton(3) reads it, and as HAProxy
// writes an IPv4-mapped address) an optional dotted-quad tail.
constexpr bool read_ipv6_text(std::string_view s, std::uint8_t* out) noexcept {
    std::uint16_t head[8] = {};
    std::uint16_t tail[8] = {};
    std::size_t heads = 0;
    std::size_t tails = 0;
    const std::size_t gap = s.find("::");
    if (gap == std::string_view::npos) {
        if (!read_hex_groups(s, true, head, 8, heads) || heads != 8) return false;
    } else {
        if (s.find("::", gap + 1) != std::string_view::npos) return false;
        if (!read_hex_groups(s.substr(0, gap), false, head, 7, heads) ||
            !read_hex_groups(s.substr(gap + 2), true, tail, 7 - heads, tails))
            return false;
    }
    std::uint16_t groups[8] = {};
    for (std::size_t i = 0; i < heads; ++i) groups[i] = head[i];
    for (std::size_t i = 0; i < tails; ++i) groups[8 - tails + i] = tail[i];
    for (std::size_t i = 0; i < 8; ++i) {
        out[2 * i] = static_cast<std::uint8_t>(groups[i] >> 8);
        out[2 * i + 1] = static_cast<std::uint8_t>(groups[i] & 0xFFu);
    }
    return true;
}

constexpr void append(address_text& t, char c) noexcept {
    if (t.size < address_text::capacity) t.chars[t.size++] = c;
}

constexpr void append(address_text& t, std::string_view s) noexcept {
    for (const char c : s) append(t, c);
}

constexpr void append_decimal(address_text& t, unsigned v) noexcept {
    char digits[5] = {};
    std::size_t n = 0;
    do {
        digits[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0 && n < sizeof digits);
    while (n > 0) append(t, digits[--n]);
}

constexpr void append_hex(address_text& t, unsigned v) noexcept {
    constexpr std::string_view digits = "0123456789abcdef";
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
        const unsigned d = (v >> static_cast<unsigned>(shift)) & 0xFu;
        if (d == 0 && !started && shift > 0) continue;
        started = true;
        append(t, digits[d]);
    }
}

constexpr void append_dotted_quad(address_text& t, const std::uint8_t* o) noexcept {
    for (std::size_t i = 0; i < 4; ++i) {
        if (i > 0) append(t, '.');
        append_decimal(t, o[i]);
    }
}

// RFC 5952 §4: lower case, no leading zeros, the longest run of two or more zero groups
// (the first of equal runs) as "::"; §5: an IPv4-mapped address as "::ffff:" and a
// dotted quad.
constexpr void append_ipv6(address_text& t, const std::array<std::uint8_t, 16>& o) noexcept {
    std::uint16_t g[8] = {};
    for (std::size_t i = 0; i < 8; ++i)
        g[i] = static_cast<std::uint16_t>(o[2 * i] << 8 | o[2 * i + 1]);
    if (g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0xFFFFu) {
        append(t, "::ffff:");
        append_dotted_quad(t, o.data() + 12);
        return;
    }
    std::size_t run_start = 8;
    std::size_t run_length = 1;  // only runs of two or more are compressed
    for (std::size_t i = 0; i < 8;) {
        if (g[i] != 0) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < 8 && g[j] == 0) ++j;
        if (j - i > run_length) {
            run_start = i;
            run_length = j - i;
        }
        i = j;
    }
    bool after_gap = false;
    for (std::size_t i = 0; i < 8;) {
        if (i == run_start) {
            append(t, "::");
            i += run_length;
            after_gap = true;
            continue;
        }
        if (i > 0 && !after_gap) append(t, ':');
        after_gap = false;
        append_hex(t, g[i]);
        ++i;
    }
}

// The octets a version 2 address block of `f` holds before its TLVs (§2.2).
constexpr std::size_t address_block_size(proxy_family f) noexcept {
    switch (f) {
    case proxy_family::unspecified: return 0;
    case proxy_family::inet: return 2 * 4 + 2 * 2;
    case proxy_family::inet6: return 2 * 16 + 2 * 2;
    case proxy_family::unix_socket: return 2 * 108;
    }
    return 0;
}

// The registered TLV types of §2.2 and the SSL sub-types of §2.2.6.
enum tlv_type : unsigned {
    tlv_alpn = 0x01,
    tlv_authority = 0x02,
    tlv_crc32c = 0x03,
    tlv_noop = 0x04,
    tlv_unique_id = 0x05,
    tlv_ssl = 0x20,
    tlv_ssl_version = 0x21,
    tlv_ssl_cn = 0x22,
    tlv_ssl_cipher = 0x23,
    tlv_ssl_sig_alg = 0x24,
    tlv_ssl_key_alg = 0x25,
    tlv_netns = 0x30,
};

// §2.2.5: "an opaque byte sequence of up to 128 bytes".
inline constexpr std::size_t max_unique_id = 128;
// §2.2.6: the SSL TLV's value starts with `client` (1 octet) and `verify` (4 octets).
inline constexpr std::size_t ssl_tlv_fixed_size = 5;
} // namespace detail

/// The IP address of `a` as text: "192.0.2.1"; IPv6 as RFC 5952 §4 writes it,
/// "2001:db8::1", an IPv4-mapped address as "::ffff:192.0.2.1" (§5). Empty when `a` holds
/// no address.
[[nodiscard]] constexpr address_text ip_text(const proxy_address& a) noexcept {
    address_text t;
    if (a.family == proxy_family::inet) detail::append_dotted_quad(t, a.octets.data());
    else if (a.family == proxy_family::inet6) detail::append_ipv6(t, a.octets);
    return t;
}

/// The address and port of `a` for logs: "192.0.2.1:25", "[2001:db8::1]:25". Empty when
/// `a` holds no address.
[[nodiscard]] constexpr address_text to_string(const proxy_address& a) noexcept {
    address_text t;
    if (a.family != proxy_family::inet && a.family != proxy_family::inet6) return t;
    const address_text ip = ip_text(a);
    if (a.family == proxy_family::inet6) detail::append(t, '[');
    detail::append(t, ip.view());
    if (a.family == proxy_family::inet6) detail::append(t, ']');
    detail::append(t, ':');
    detail::append_decimal(t, a.port);
    return t;
}

/// Where parsing stands.
enum class proxy_status : std::uint8_t {
    need_more,  // the header is incomplete: present the same octets again with more after them
    done,       // the header is complete and valid: header() describes it
    error,      // the header is invalid: close the connection (error says why)
};

/// The outcome of proxy_header_parser::parse().
struct proxy_result {
    proxy_status status = proxy_status::need_more;
    proxy_error error = proxy_error::ok;  // with proxy_status::error
    std::size_t consumed = 0;  // with proxy_status::done: the header's size; the octets
                               // after it are the client's (feed them to the session)
};

/// Reads the PROXY protocol header that opens a connection, version 1 or 2, strictly: any
/// deviation from §2.1 or §2.2 is an error, reported as soon as the octet that shows it
/// arrives, and nothing after the header is ever read. §2 forbids guessing whether a
/// header is present: use the parser only on a listener configured for it, and only for
/// connections from trusted proxies.
///
/// Input is presented the way a session's is: the connection's octets from the first one,
/// and after need_more the same octets again with more appended (a read buffer that grows,
/// or MSG_PEEK). The parser remembers how far it has read, so octet-at-a-time arrival
/// costs O(n). Nothing is allocated or copied: the views in header() point into the
/// octets passed to the call that returned done.
class proxy_header_parser {
public:
    /// `v2_limit` bounds a version 2 header, in octets: a longer one is refused
    /// (v2_too_long) as soon as its length field arrives. A version 1 header is bounded by
    /// proxy_v1_max_size (§2.1).
    constexpr explicit proxy_header_parser(std::size_t v2_limit = proxy_v2_default_limit) noexcept
        : v2_limit_(v2_limit) {}

    /// Parses the header at the start of `bytes`. Precondition: `bytes` starts with the
    /// octets given to the previous call, unchanged (call reset() for a new connection).
    /// need_more asks for more octets; done and error are final, returned again by later
    /// calls without looking at their input.
    [[nodiscard]] constexpr proxy_result parse(std::string_view bytes) noexcept {
        if (result_.status != proxy_status::need_more || bytes.empty()) return result_;
        if (version_ == 0) {
            if (bytes.front() == 'P') version_ = 1;
            else if (bytes.front() == '\r') version_ = 2;
            else return fail(proxy_error::not_proxy_protocol);
        }
        return version_ == 1 ? parse_v1(bytes) : parse_v2(bytes);
    }

    /// The header, once parse() returned done; before that, and after an error, a
    /// default proxy_header. Its views are valid as long as the octets given to parse().
    [[nodiscard]] constexpr const proxy_header& header() const noexcept {
        return result_.status == proxy_status::done ? header_ : no_header;
    }

    /// The most octets a header can take with this parser's limits: a caller's read buffer
    /// (or MSG_PEEK) of this size never stops short of a header.
    [[nodiscard]] constexpr std::size_t max_size() const noexcept {
        const std::size_t v2 = v2_limit_ < proxy_v2_max_size ? v2_limit_ : proxy_v2_max_size;
        return v2 > proxy_v1_max_size ? v2 : proxy_v1_max_size;
    }

    /// Starts over for a new connection; the limit is kept.
    constexpr void reset() noexcept { *this = proxy_header_parser(v2_limit_); }

private:
    static constexpr std::string_view v1_prefix = "PROXY ";
    static constexpr proxy_header no_header{};

    constexpr proxy_result fail(proxy_error e) noexcept {
        header_ = proxy_header{};
        result_ = proxy_result{proxy_status::error, e, 0};
        return result_;
    }

    constexpr void complete(std::size_t size) noexcept {
        header_.version = version_;
        header_.size = size;
        result_ = proxy_result{proxy_status::done, proxy_error::ok, size};
    }

    // --- Version 1 (§2.1): one octet at a time, each field judged as it grows and when
    // its space or CR arrives.

    constexpr proxy_result parse_v1(std::string_view bytes) noexcept {
        while (scanned_ < bytes.size()) {
            const proxy_error e = take_v1_octet(bytes, scanned_);
            ++scanned_;
            if (e != proxy_error::ok) return fail(e);
            if (result_.status == proxy_status::done) return result_;
            if (scanned_ == proxy_v1_max_size) return fail(proxy_error::v1_too_long);
        }
        return result_;
    }

    constexpr proxy_error take_v1_octet(std::string_view bytes, std::size_t i) noexcept {
        const char c = bytes[i];
        if (i < v1_prefix.size()) {
            if (c != v1_prefix[i]) return proxy_error::not_proxy_protocol;
            field_start_ = i + 1;
            return proxy_error::ok;
        }
        if (v1_cr_) {
            if (c != '\n') return proxy_error::v1_bad_line_ending;
            header_.command = proxy_command::proxy;
            complete(i + 1);
            return proxy_error::ok;
        }
        if (c == '\n') return proxy_error::v1_bad_line_ending;
        if (v1_ignoring_) {  // after "UNKNOWN ": anything up to the CRLF (§2.1)
            v1_cr_ = c == '\r';
            return proxy_error::ok;
        }
        if (c == ' ' || c == '\r')
            return end_v1_field(bytes.substr(field_start_, i - field_start_), c, i);
        return check_v1_field(bytes.substr(field_start_, i + 1 - field_start_));
    }

    // The field in progress, its last octet just added: can it still become valid?
    constexpr proxy_error check_v1_field(std::string_view field) const noexcept {
        const char c = field.back();
        if (field_ == 0) {
            for (const std::string_view word : {std::string_view("TCP4"), std::string_view("TCP6"),
                                                std::string_view("UNKNOWN")})
                if (word.substr(0, field.size()) == field) return proxy_error::ok;
            return proxy_error::v1_bad_protocol;
        }
        if (field_ <= 2) {
            const bool ok = header_.family == proxy_family::inet
                                ? (ascii::is_digit(c) || c == '.') &&
                                      field.size() <= detail::max_ipv4_text
                                : (ascii::is_hex(c) || c == ':' || c == '.') &&
                                      field.size() <= detail::max_ipv6_text;
            return ok ? proxy_error::ok : proxy_error::v1_bad_address;
        }
        const bool ok = ascii::is_digit(c) && field.size() <= detail::max_port_text;
        return ok ? proxy_error::ok : proxy_error::v1_bad_port;
    }

    // A field ended by `separator` (SP or CR) at offset `i`.
    constexpr proxy_error end_v1_field(std::string_view field, char separator,
                                       std::size_t i) noexcept {
        if (field_ == 0) {
            if (field == "UNKNOWN") {
                v1_ignoring_ = separator == ' ';
                v1_cr_ = separator == '\r';
                return proxy_error::ok;
            }
            if (field == "TCP4") header_.family = proxy_family::inet;
            else if (field == "TCP6") header_.family = proxy_family::inet6;
            else return proxy_error::v1_bad_protocol;
            header_.transport = proxy_transport::stream;
        } else if (field_ <= 2) {
            proxy_address& a = field_ == 1 ? header_.source : header_.destination;
            const bool ok = header_.family == proxy_family::inet
                                ? detail::read_ipv4_text(field, a.octets.data())
                                : detail::read_ipv6_text(field, a.octets.data());
            if (!ok) return proxy_error::v1_bad_address;
            a.family = header_.family;
        } else {
            unsigned port = 0;
            if (!detail::read_decimal(field, detail::max_port_text, 0xFFFFu, port))
                return proxy_error::v1_bad_port;
            proxy_address& a = field_ == 3 ? header_.source : header_.destination;
            a.port = static_cast<std::uint16_t>(port);
        }
        if ((separator == '\r') != (field_ == 4)) return proxy_error::v1_field_count;
        v1_cr_ = separator == '\r';
        ++field_;
        field_start_ = i + 1;
        return proxy_error::ok;
    }

    // --- Version 2 (§2.2): the fixed 16 octets one at a time, then the rest at once.

    constexpr proxy_result parse_v2(std::string_view bytes) noexcept {
        for (; scanned_ < bytes.size() && scanned_ < proxy_v2_fixed_size; ++scanned_) {
            const proxy_error e = take_v2_fixed_octet(bytes, scanned_);
            if (e != proxy_error::ok) return fail(e);
        }
        if (scanned_ < proxy_v2_fixed_size || bytes.size() < v2_size_) return result_;
        const proxy_error e = read_v2_block(bytes.substr(0, v2_size_));
        if (e != proxy_error::ok) return fail(e);
        complete(v2_size_);
        return result_;
    }

    constexpr proxy_error take_v2_fixed_octet(std::string_view bytes, std::size_t i) noexcept {
        const unsigned b = detail::octet(bytes, i);
        if (i < proxy_v2_signature.size())
            return bytes[i] == proxy_v2_signature[i] ? proxy_error::ok
                                                      : proxy_error::not_proxy_protocol;
        if (i == 12) {
            if (b >> 4 != 2) return proxy_error::v2_bad_version;
            if ((b & 0xFu) > 1) return proxy_error::v2_bad_command;
            header_.command = (b & 0xFu) == 1 ? proxy_command::proxy : proxy_command::local;
            return proxy_error::ok;
        }
        if (i == 13) return take_v2_family(b);
        if (i == 15) {
            const std::size_t length = detail::big_endian16(bytes, 14);
            v2_size_ = proxy_v2_fixed_size + length;
            if (v2_size_ > v2_limit_) return proxy_error::v2_too_long;
            if (header_.command == proxy_command::proxy &&
                length < detail::address_block_size(header_.family))
                return proxy_error::v2_short_addresses;
        }
        return proxy_error::ok;
    }

    // §2.2: the seven family and protocol bytes "expected in practice"; other values of
    // either half "must be rejected as invalid by receivers", and the other combinations
    // of valid halves are none a sender may use.
    constexpr proxy_error take_v2_family(unsigned b) noexcept {
        proxy_family family = proxy_family::unspecified;
        switch (b >> 4) {
        case 0x0: family = proxy_family::unspecified; break;
        case 0x1: family = proxy_family::inet; break;
        case 0x2: family = proxy_family::inet6; break;
        case 0x3: family = proxy_family::unix_socket; break;
        default: return proxy_error::v2_bad_family;
        }
        proxy_transport transport = proxy_transport::unspecified;
        switch (b & 0xFu) {
        case 0x0: transport = proxy_transport::unspecified; break;
        case 0x1: transport = proxy_transport::stream; break;
        case 0x2: transport = proxy_transport::datagram; break;
        default: return proxy_error::v2_bad_family;
        }
        if ((family == proxy_family::unspecified) != (transport == proxy_transport::unspecified))
            return proxy_error::v2_bad_family;
        if (header_.command == proxy_command::proxy) {  // LOCAL ignores the family (§2.2)
            header_.family = family;
            header_.transport = transport;
        }
        return proxy_error::ok;
    }

    // The whole header, `h`: the addresses, then the TLVs and their checksum.
    constexpr proxy_error read_v2_block(std::string_view h) noexcept {
        if (header_.family == proxy_family::unspecified) return proxy_error::ok;
        std::size_t at = proxy_v2_fixed_size;
        const std::size_t ip_size = header_.family == proxy_family::inet ? 4 : 16;
        if (header_.family != proxy_family::unix_socket) {
            for (proxy_address* a : {&header_.source, &header_.destination}) {
                a->family = header_.family;
                for (std::size_t k = 0; k < ip_size; ++k)
                    a->octets[k] = static_cast<std::uint8_t>(detail::octet(h, at + k));
                at += ip_size;
            }
            header_.source.port = static_cast<std::uint16_t>(detail::big_endian16(h, at));
            header_.destination.port = static_cast<std::uint16_t>(detail::big_endian16(h, at + 2));
        }
        std::size_t checksum_at = 0;
        const std::size_t tlvs_at =
            proxy_v2_fixed_size + detail::address_block_size(header_.family);
        const proxy_error e = read_tlvs(h, tlvs_at, checksum_at);
        if (e != proxy_error::ok || checksum_at == 0) return e;
        // §2.2.3: the CRC32C of the whole header with the checksum's own 4 octets as zeros.
        crypto::crc32c crc;
        crc.update(h.substr(0, checksum_at));
        crc.update(std::string_view("\0\0\0\0", 4));
        crc.update(h.substr(checksum_at + 4));
        if (crc.value() != detail::big_endian32(h, checksum_at))
            return proxy_error::v2_bad_checksum;
        header_.tlvs.checksum = true;
        return proxy_error::ok;
    }

    // Reads the TLVs of `h` from offset `from` to its end. Sets `checksum_at` to the
    // offset of the CRC32C value, if there is one.
    constexpr proxy_error read_tlvs(std::string_view h, std::size_t from,
                                    std::size_t& checksum_at) noexcept {
        proxy_tlvs& t = header_.tlvs;
        unsigned seen = 0;  // one bit per registered type taken
        for (std::size_t at = from; at < h.size();) {
            if (h.size() - at < 3) return proxy_error::v2_bad_tlv;
            const unsigned type = detail::octet(h, at);
            const std::size_t length = detail::big_endian16(h, at + 1);
            if (h.size() - at - 3 < length) return proxy_error::v2_bad_tlv;
            const std::string_view value = h.substr(at + 3, length);
            ++t.count;
            std::string_view* view = nullptr;
            unsigned bit = 0;
            switch (type) {
            case detail::tlv_alpn: view = &t.alpn; bit = 1u << 0; break;
            case detail::tlv_authority:
                if (!ascii::is_valid_utf8(value)) return proxy_error::v2_bad_tlv_value;
                view = &t.authority;
                bit = 1u << 1;
                break;
            case detail::tlv_crc32c:
                if (length != 4) return proxy_error::v2_bad_tlv_value;
                checksum_at = at + 3;
                bit = 1u << 2;
                break;
            case detail::tlv_unique_id:
                if (length > detail::max_unique_id) return proxy_error::v2_bad_tlv_value;
                view = &t.unique_id;
                bit = 1u << 3;
                break;
            case detail::tlv_ssl: bit = 1u << 4; break;
            case detail::tlv_netns: view = &t.netns; bit = 1u << 5; break;
            default: break;  // NOOP, custom, experimental and future types
            }
            if ((seen & bit) != 0) return proxy_error::v2_duplicate_tlv;
            seen |= bit;
            if (view != nullptr) *view = value;
            if (type == detail::tlv_ssl) {
                const proxy_error e = read_ssl(value);
                if (e != proxy_error::ok) return e;
            }
            at += 3 + length;
        }
        return proxy_error::ok;
    }

    // §2.2.6: client, verify, then sub-TLVs filling the rest of the value exactly.
    constexpr proxy_error read_ssl(std::string_view v) noexcept {
        if (v.size() < detail::ssl_tlv_fixed_size) return proxy_error::v2_bad_tlv_value;
        proxy_ssl& s = header_.tlvs.ssl;
        s.present = true;
        s.client = static_cast<std::uint8_t>(detail::octet(v, 0));
        s.verify = detail::big_endian32(v, 1);
        unsigned seen = 0;
        for (std::size_t at = detail::ssl_tlv_fixed_size; at < v.size();) {
            if (v.size() - at < 3) return proxy_error::v2_bad_tlv;
            const unsigned type = detail::octet(v, at);
            const std::size_t length = detail::big_endian16(v, at + 1);
            if (v.size() - at - 3 < length) return proxy_error::v2_bad_tlv;
            std::string_view* view = nullptr;
            switch (type) {
            case detail::tlv_ssl_version: view = &s.version; break;
            case detail::tlv_ssl_cn: view = &s.common_name; break;
            case detail::tlv_ssl_cipher: view = &s.cipher; break;
            case detail::tlv_ssl_sig_alg: view = &s.signature_algorithm; break;
            case detail::tlv_ssl_key_alg: view = &s.key_algorithm; break;
            default: break;
            }
            if (view != nullptr) {
                const unsigned bit = 1u << (type - detail::tlv_ssl_version);
                if ((seen & bit) != 0) return proxy_error::v2_duplicate_tlv;
                seen |= bit;
                *view = v.substr(at + 3, length);
            }
            at += 3 + length;
        }
        return proxy_error::ok;
    }

    std::size_t v2_limit_;
    proxy_header header_{};
    proxy_result result_{};
    std::uint8_t version_ = 0;   // 0 until the first octet tells
    std::size_t scanned_ = 0;    // octets read so far
    // Version 1: the field in progress (0 protocol, 1-2 addresses, 3-4 ports) and where it
    // starts; after "UNKNOWN " the rest of the line is skipped; v1_cr_: a CR was the last
    // octet, so an LF must follow.
    std::size_t field_ = 0;
    std::size_t field_start_ = 0;
    bool v1_ignoring_ = false;
    bool v1_cr_ = false;
    // Version 2: the header's size, once its length field has arrived.
    std::size_t v2_size_ = proxy_v2_fixed_size;
};

} // namespace v0
} // namespace smtpwire

#endif
