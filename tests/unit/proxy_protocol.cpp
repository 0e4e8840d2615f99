#include "smtpwire/proxy_protocol.hpp"
#include "support/catch.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "smtpwire/crypto/crc32c.hpp"
#include "smtpwire/server_session.hpp"
#include "support/crypto.hpp"
#include "support/proxy_header_text.hpp"

using namespace smtpwire;
using smtpwire_test::describe;

namespace {

constexpr bool constexpr_parse() {
    proxy_header_parser p;
    const proxy_result r = p.parse("PROXY TCP4 192.0.2.1 198.51.100.2 1234 25\r\nEHLO");
    return r.status == proxy_status::done && r.consumed == 43 && p.header().source.port == 1234 &&
           ip_text(p.header().destination).view() == "198.51.100.2";
}
static_assert(constexpr_parse());

// The octets of `v`, big-endian, in two octets.
std::string be16(std::size_t v) {
    return {static_cast<char>(v >> 8 & 0xFF), static_cast<char>(v & 0xFF)};
}

// A version 2 header: signature, version and command, family and protocol, length, block.
std::string v2_header(unsigned ver_cmd, unsigned family, std::string_view block) {
    std::string h(proxy_v2_signature);
    h += static_cast<char>(ver_cmd);
    h += static_cast<char>(family);
    h += be16(block.size());
    h += block;
    return h;
}

std::string tlv(unsigned type, std::string_view value) {
    return static_cast<char>(type) + be16(value.size()) + std::string(value);
}

// The address block of TCP over IPv4: 192.0.2.1:49152 to 198.51.100.25:25.
const std::string ipv4_block = smtpwire_test::unhex("c0000201c6336419c0000019");

// The address block of TCP over IPv6: [2001:db8::1]:49152 to [2001:db8::25]:587.
const std::string ipv6_block = smtpwire_test::unhex(
    "20010db8000000000000000000000001"
    "20010db8000000000000000000000025"
    "c000024b");

// A version 2 PROXY header for TCP over IPv4 (ipv4_block), followed by `tlvs`.
std::string tcp4_with(std::string_view tlvs) {
    return v2_header(0x21, 0x11, ipv4_block + std::string(tlvs));
}

// `h` ending in a CRC32C TLV whose value is zero, with that value replaced by the header's
// CRC32C (§2.2.3), big-endian.
std::string seal(std::string h) {
    const std::uint32_t crc = crypto::crc32c::compute(h);
    for (std::size_t k = 0; k < 4; ++k)
        h[h.size() - 4 + k] = static_cast<char>(crc >> (24 - 8 * k) & 0xFF);
    return h;
}

const std::string zero_crc = tlv(0x03, std::string(4, '\0'));

// Presents `input` as the growing prefixes that end at each of `cuts` (ascending) and at
// its end, each an exact-size heap copy so that AddressSanitizer sees a read past it,
// until the result is final; describes the last result.
std::string parse_in_pieces(std::string_view input, const std::vector<std::size_t>& cuts,
                            std::size_t limit) {
    proxy_header_parser p(limit);
    std::vector<std::unique_ptr<char[]>> copies;  // kept alive: header() may view any
    proxy_result r;
    for (std::size_t k = 0; k <= cuts.size() && r.status == proxy_status::need_more; ++k) {
        const std::size_t end = k < cuts.size() ? cuts[k] : input.size();
        copies.emplace_back(new char[end + 1]);
        for (std::size_t i = 0; i < end; ++i) copies.back()[i] = input[i];
        r = p.parse(std::string_view(copies.back().get(), end));
    }
    return describe(r, p.header());
}

struct outcome {
    std::unique_ptr<const std::string> input;  // a copy of the input, which `header` views
    proxy_result result;
    proxy_header header;
};

// Parses a copy of `input` whole, and checks that the same outcome comes one octet at a
// time and in two pieces cut at every offset.
outcome grind(std::string_view input, std::size_t limit = proxy_v2_default_limit) {
    outcome o;
    o.input = std::make_unique<const std::string>(input);
    proxy_header_parser p(limit);
    o.result = p.parse(*o.input);
    o.header = p.header();
    const std::string whole = describe(o.result, o.header);
    std::vector<std::size_t> every_octet;
    for (std::size_t i = 1; i < input.size(); ++i) every_octet.push_back(i);
    CHECK(parse_in_pieces(input, every_octet, limit) == whole);
    for (std::size_t i = 0; i <= input.size(); ++i) {
        CAPTURE(i);
        CHECK(parse_in_pieces(input, {i}, limit) == whole);
    }
    return o;
}

// grind(), and the error it must end in.
proxy_error error_of(std::string_view input, std::size_t limit = proxy_v2_default_limit) {
    const outcome o = grind(input, limit);
    CHECK(o.result.status == proxy_status::error);
    CHECK(o.result.consumed == 0);
    CHECK(o.header.version == 0);
    return o.result.error;
}

std::string text(const address_text& t) { return std::string(t.view()); }

} // namespace

TEST_CASE("proxy_protocol: the §2.1 example leaves the request after it unread") {
    const std::string header = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
    const std::string request = "GET / HTTP/1.1\r\nHost: 192.168.0.11\r\n\r\n";
    const std::string input = header + request;
    const outcome o = grind(input);
    REQUIRE(o.result.status == proxy_status::done);
    CHECK(o.result.consumed == header.size());
    CHECK(input.substr(o.result.consumed) == request);
    const proxy_header& h = o.header;
    CHECK(h.version == 1);
    CHECK(h.command == proxy_command::proxy);
    CHECK(h.family == proxy_family::inet);
    CHECK(h.transport == proxy_transport::stream);
    CHECK(h.has_addresses());
    CHECK(h.size == header.size());
    CHECK(text(to_string(h.source)) == "192.168.0.1:56324");
    CHECK(text(to_string(h.destination)) == "192.168.0.11:443");
    CHECK(h.source.octets[0] == 192);
    CHECK(h.source.octets[3] == 1);
    CHECK(h.tlvs.count == 0);
}

TEST_CASE("proxy_protocol: the longest lines of §2.1") {
    const std::string tcp4 = "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n";
    CHECK(tcp4.size() == 56);
    const outcome a = grind(tcp4 + "EHLO");
    REQUIRE(a.result.status == proxy_status::done);
    CHECK(a.result.consumed == 56);
    CHECK(text(to_string(a.header.destination)) == "255.255.255.255:65535");

    const std::string ffff = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
    const std::string tcp6 = "PROXY TCP6 " + ffff + " " + ffff + " 65535 65535\r\n";
    CHECK(tcp6.size() == 104);
    const outcome b = grind(tcp6);
    REQUIRE(b.result.status == proxy_status::done);
    CHECK(b.header.family == proxy_family::inet6);
    CHECK(text(to_string(b.header.source)) == "[" + ffff + "]:65535");

    const outcome c = grind("PROXY UNKNOWN\r\nQUIT\r\n");
    REQUIRE(c.result.status == proxy_status::done);
    CHECK(c.result.consumed == 15);
    CHECK(c.header.command == proxy_command::proxy);
    CHECK(c.header.family == proxy_family::unspecified);
    CHECK_FALSE(c.header.has_addresses());
    CHECK(text(to_string(c.header.source)).empty());

    const std::string worst = "PROXY UNKNOWN " + ffff + " " + ffff + " 65535 65535\r\n";
    CHECK(worst.size() == proxy_v1_max_size);
    const outcome d = grind(worst + "x");
    REQUIRE(d.result.status == proxy_status::done);
    CHECK(d.result.consumed == 107);
    CHECK(d.header.family == proxy_family::unspecified);  // what follows UNKNOWN is ignored
}

TEST_CASE("proxy_protocol: UNKNOWN is followed by anything but CR and LF up to the CRLF") {
    const std::string header = "PROXY UNKNOWN not \x01\xff an address\r\n";
    const outcome o = grind(header + "EHLO");
    REQUIRE(o.result.status == proxy_status::done);
    CHECK(o.result.consumed == header.size());
    CHECK(o.header.family == proxy_family::unspecified);
}

TEST_CASE("proxy_protocol: v1 IPv6 text in every form inet_pton(3) reads") {
    const std::pair<std::string_view, std::string_view> forms[] = {
        {"2001:db8::1", "2001:db8::1"},
        {"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
        {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
        {"::", "::"},
        {"::1", "::1"},
        {"1::", "1::"},
        {"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},  // "::" for a single zero group
        {"::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"},
        {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
        {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},  // as HAProxy writes IPv4-mapped addresses
        {"::FFFF:c000:0201", "::ffff:192.0.2.1"},
        {"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"},
        {"::1.2.3.4", "::102:304"},
        {"fe80::1:2", "fe80::1:2"},
    };
    for (const auto& [form, canonical] : forms) {
        const std::string header = "PROXY TCP6 " + std::string(form) + " ::1 25 587\r\n";
        CAPTURE(header);
        const outcome o = grind(header);
        REQUIRE(o.result.status == proxy_status::done);
        CHECK(text(ip_text(o.header.source)) == canonical);
        CHECK(o.header.destination.port == 587);
    }
}

TEST_CASE("proxy_protocol: ip_text and to_string write IPv6 as RFC 5952 says") {
    const auto six = [](std::string_view hex32) {
        proxy_address a;
        a.family = proxy_family::inet6;
        const std::string octets = smtpwire_test::unhex(hex32);
        for (std::size_t i = 0; i < 16; ++i) a.octets[i] = static_cast<std::uint8_t>(octets[i]);
        a.port = 25;
        return a;
    };
    // §4.2.1 longest run; §4.2.2 not a single group; §4.2.3 the first of equal runs;
    // §4.3 lower case; §5 IPv4-mapped.
    CHECK(text(ip_text(six("20010db8000000000000000000000001"))) == "2001:db8::1");
    CHECK(text(ip_text(six("20010db8000000010001000100010001"))) == "2001:db8:0:1:1:1:1:1");
    CHECK(text(ip_text(six("20010db8000000000001000000000001"))) == "2001:db8::1:0:0:1");
    CHECK(text(ip_text(six("20010000000000010000000000000001"))) == "2001:0:0:1::1");
    CHECK(text(ip_text(six("20010DB8AAAABBBBCCCCDDDDEEEEFFFF"))) ==
          "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff");
    CHECK(text(ip_text(six("00000000000000000000ffffc0000201"))) == "::ffff:192.0.2.1");
    CHECK(text(ip_text(six("00000000000000000000000000000000"))) == "::");
    CHECK(text(ip_text(six("00000000000000000000000000000001"))) == "::1");
    CHECK(text(ip_text(six("00010000000000000000000000000000"))) == "1::");
    CHECK(text(to_string(six("20010db8000000000000000000000001"))) == "[2001:db8::1]:25");
    const address_text longest = to_string(six("ffffffffffffffffffffffffffffffff"));
    CHECK(longest.size == address_text::capacity - 3);  // a two-digit port

    proxy_address v4;
    v4.family = proxy_family::inet;
    v4.octets[0] = 10;
    v4.port = 0;
    CHECK(text(ip_text(v4)) == "10.0.0.0");
    CHECK(text(to_string(v4)) == "10.0.0.0:0");
    CHECK(text(ip_text(proxy_address{})).empty());
    CHECK(text(to_string(proxy_address{})).empty());
}

TEST_CASE("proxy_protocol: v2 TCP over IPv4 and IPv6, with the client's bytes after it") {
    const std::string v4 = v2_header(0x21, 0x11, ipv4_block);
    const outcome a = grind(v4 + "EHLO client.example\r\n");
    REQUIRE(a.result.status == proxy_status::done);
    CHECK(a.result.consumed == 28);
    CHECK(a.header.version == 2);
    CHECK(a.header.command == proxy_command::proxy);
    CHECK(a.header.family == proxy_family::inet);
    CHECK(a.header.transport == proxy_transport::stream);
    CHECK(text(to_string(a.header.source)) == "192.0.2.1:49152");
    CHECK(text(to_string(a.header.destination)) == "198.51.100.25:25");
    CHECK(a.header.tlvs.count == 0);

    const outcome b = grind(v2_header(0x21, 0x21, ipv6_block));
    REQUIRE(b.result.status == proxy_status::done);
    CHECK(b.result.consumed == 52);
    CHECK(b.header.family == proxy_family::inet6);
    CHECK(text(to_string(b.header.source)) == "[2001:db8::1]:49152");
    CHECK(text(to_string(b.header.destination)) == "[2001:db8::25]:587");

    const outcome c = grind(v2_header(0x21, 0x12, ipv4_block));  // UDP
    REQUIRE(c.result.status == proxy_status::done);
    CHECK(c.header.transport == proxy_transport::datagram);
    CHECK(c.header.has_addresses());
}

TEST_CASE("proxy_protocol: a header HAProxy 2.6 sent with proxy-v2-options crc32c,unique-id") {
    // send-proxy-v2 from 127.0.0.1:23458 to 127.0.0.1:47311; the CRC32C TLV, then the
    // unique ID made by "unique-id-format %{+X}o %ci:%cp_%fi:%fp_%Ts_%rt:%pid".
    const std::string header = smtpwire_test::unhex(
        "0d0a0d0a000d0a515549540a211100447f0000017f0000015ba2b8cf0300047057d0c905002e3746"
        "3030303030313a354241325f37463030303030313a423843465f36423130343037315f303030303a"
        "36353732");
    const outcome o = grind(header + "QUIT\r\n");
    REQUIRE(o.result.status == proxy_status::done);
    CHECK(o.result.consumed == header.size());
    CHECK(text(to_string(o.header.source)) == "127.0.0.1:23458");
    CHECK(text(to_string(o.header.destination)) == "127.0.0.1:47311");
    CHECK(o.header.tlvs.count == 2);
    CHECK(o.header.tlvs.checksum);
    CHECK(o.header.tlvs.unique_id == "7F000001:5BA2_7F000001:B8CF_6B104071_0000:6572");

    std::string tampered = header;
    tampered[27] = static_cast<char>(tampered[27] ^ 1);  // the destination port
    CHECK(error_of(tampered) == proxy_error::v2_bad_checksum);
}

TEST_CASE("proxy_protocol: v2 TLVs: ALPN, AUTHORITY, UNIQUE_ID, NETNS, SSL, NOOP, custom, CRC32C") {
    const std::string ssl = std::string("\x07", 1) + std::string(4, '\0') + tlv(0x21, "TLSv1.3") +
                            tlv(0x22, "client.example") + tlv(0x23, "TLS_AES_256_GCM_SHA384") +
                            tlv(0x24, "SHA256") + tlv(0x25, "RSA2048") + tlv(0x2F, "unknown");
    const std::string block = ipv4_block + tlv(0x01, "smtp") + tlv(0x02, "mx.example.com") +
                              tlv(0x04, "") + tlv(0x05, std::string(128, 'u')) + tlv(0x20, ssl) +
                              tlv(0x30, "blue") + tlv(0xEA, "vpce-0123") + tlv(0x04, "pad") +
                              zero_crc;
    const std::string header = seal(v2_header(0x21, 0x11, block));
    const outcome o = grind(header);
    REQUIRE(o.result.status == proxy_status::done);
    const proxy_tlvs& t = o.header.tlvs;
    CHECK(t.count == 9);
    CHECK(t.alpn == "smtp");
    CHECK(t.authority == "mx.example.com");
    CHECK(t.unique_id == std::string(128, 'u'));
    CHECK(t.netns == "blue");
    CHECK(t.checksum);
    CHECK(t.ssl.present);
    CHECK(t.ssl.client == 7);
    CHECK(t.ssl.verify == 0);
    CHECK(t.ssl.version == "TLSv1.3");
    CHECK(t.ssl.common_name == "client.example");
    CHECK(t.ssl.cipher == "TLS_AES_256_GCM_SHA384");
    CHECK(t.ssl.signature_algorithm == "SHA256");
    CHECK(t.ssl.key_algorithm == "RSA2048");

    const std::string client_ssl_verify_failed("\x01\x00\x00\x00\x02", 5);
    const outcome bare = grind(tcp4_with(tlv(0x20, client_ssl_verify_failed)));
    REQUIRE(bare.result.status == proxy_status::done);
    CHECK(bare.header.tlvs.ssl.present);
    CHECK(bare.header.tlvs.ssl.verify == 2);
    CHECK(bare.header.tlvs.ssl.version.empty());
    CHECK_FALSE(bare.header.tlvs.checksum);
}

TEST_CASE("proxy_protocol: LOCAL and AF_UNSPEC blocks are skipped, AF_UNIX comes without paths") {
    const outcome health = grind(v2_header(0x20, 0x00, "") + "EHLO");
    REQUIRE(health.result.status == proxy_status::done);
    CHECK(health.result.consumed == 16);
    CHECK(health.header.command == proxy_command::local);
    CHECK(health.header.family == proxy_family::unspecified);
    CHECK_FALSE(health.header.has_addresses());

    // LOCAL ignores the family: addresses present, or none at all, and even a block that
    // would be malformed TLVs are skipped unread.
    for (const std::string& block : {ipv4_block, std::string(), ipv4_block + "\x01\xff\xff",
                                     std::string("\x03\x00\x04????", 7)}) {
        const outcome o = grind(v2_header(0x20, 0x11, block));
        REQUIRE(o.result.status == proxy_status::done);
        CHECK(o.header.command == proxy_command::local);
        CHECK(o.header.family == proxy_family::unspecified);
        CHECK(o.header.tlvs.count == 0);
        CHECK(text(to_string(o.header.source)).empty());
    }

    const outcome unspec = grind(v2_header(0x21, 0x00, "\x01\x02\x03\x04\x05"));
    REQUIRE(unspec.result.status == proxy_status::done);
    CHECK(unspec.header.command == proxy_command::proxy);
    CHECK(unspec.header.family == proxy_family::unspecified);
    CHECK(unspec.header.tlvs.count == 0);
    CHECK_FALSE(unspec.header.has_addresses());

    std::string paths(216, '\0');
    paths.replace(0, 11, "/run/a.sock");
    paths.replace(108, 11, "/run/b.sock");
    for (const unsigned family : {0x31u, 0x32u}) {
        const outcome o = grind(v2_header(0x21, family, paths + tlv(0x05, "id")));
        REQUIRE(o.result.status == proxy_status::done);
        CHECK(o.header.family == proxy_family::unix_socket);
        CHECK(o.header.transport ==
              (family == 0x31 ? proxy_transport::stream : proxy_transport::datagram));
        CHECK_FALSE(o.header.has_addresses());
        CHECK(o.header.tlvs.unique_id == "id");
        CHECK(o.header.source.family == proxy_family::unspecified);
    }
}

TEST_CASE("proxy_protocol: the v2 limit is checked when the length arrives") {
    const std::string at_limit = tcp4_with(tlv(0x04, std::string(505, 'n')));
    REQUIRE(at_limit.size() == proxy_v2_default_limit);
    CHECK(grind(at_limit).result.status == proxy_status::done);

    const std::string over = tcp4_with(tlv(0x04, std::string(506, 'n')));
    CHECK(error_of(over) == proxy_error::v2_too_long);
    proxy_header_parser p;
    CHECK(p.parse(std::string_view(over).substr(0, 15)).status == proxy_status::need_more);
    CHECK(p.parse(std::string_view(over).substr(0, 16)).error == proxy_error::v2_too_long);

    CHECK(grind(over, 1000).result.status == proxy_status::done);
    CHECK(error_of(v2_header(0x20, 0x00, ""), 15) == proxy_error::v2_too_long);
    const std::string largest = tcp4_with(tlv(0x04, std::string(0xFFFF - 15, 'n')));
    REQUIRE(largest.size() == proxy_v2_max_size);
    proxy_header_parser unbounded(proxy_v2_max_size);
    CHECK(unbounded.parse(largest).consumed == proxy_v2_max_size);

    CHECK(proxy_header_parser().max_size() == proxy_v2_default_limit);
    CHECK(proxy_header_parser(16).max_size() == proxy_v1_max_size);
    CHECK(proxy_header_parser(1000000).max_size() == proxy_v2_max_size);
}

TEST_CASE("proxy_protocol: not a PROXY protocol header") {
    CHECK(error_of("EHLO client.example\r\n") == proxy_error::not_proxy_protocol);
    CHECK(error_of("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n") == proxy_error::not_proxy_protocol);
    CHECK(error_of("PROXY\r\n") == proxy_error::not_proxy_protocol);
    CHECK(error_of("PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n") == proxy_error::not_proxy_protocol);
    const std::string tls_client_hello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
    CHECK(error_of(tls_client_hello) == proxy_error::not_proxy_protocol);
    CHECK(error_of("\r\nQUIT\n") == proxy_error::not_proxy_protocol);
    std::string signature(proxy_v2_signature);
    signature[11] = '\r';
    CHECK(error_of(signature + "\x21\x11") == proxy_error::not_proxy_protocol);
    signature = std::string(proxy_v2_signature);
    signature[4] = ' ';  // the NUL is part of the signature
    CHECK(error_of(signature + "\x21\x11") == proxy_error::not_proxy_protocol);
}

TEST_CASE("proxy_protocol: v1 errors") {
    const std::string tail = " 5.6.7.8 1 2\r\n";
    SECTION("the protocol word") {
        CHECK(error_of("PROXY TCP5 1.2.3.4" + tail) == proxy_error::v1_bad_protocol);
        CHECK(error_of("PROXY tcp4 1.2.3.4" + tail) == proxy_error::v1_bad_protocol);
        CHECK(error_of("PROXY UDP4 1.2.3.4" + tail) == proxy_error::v1_bad_protocol);
        CHECK(error_of("PROXY  TCP4 1.2.3.4" + tail) == proxy_error::v1_bad_protocol);
        CHECK(error_of("PROXY TCP\r\n") == proxy_error::v1_bad_protocol);
        CHECK(error_of("PROXY \r\n") == proxy_error::v1_bad_protocol);
        CHECK(error_of("PROXY UNKNOWNX\r\n") == proxy_error::v1_bad_protocol);
        CHECK(error_of("PROXY TCP4X 1.2.3.4" + tail) == proxy_error::v1_bad_protocol);
    }
    SECTION("addresses") {
        for (const std::string_view a :
             {"192.168.0.01", "256.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.",
              "::1", "+1.2.3.4", "1.2.3.4 ", "", "1234567890123456", "0x1.2.3.4", "1.2.3.-4"}) {
            CAPTURE(a);
            CHECK(error_of("PROXY TCP4 " + std::string(a) + tail) == proxy_error::v1_bad_address);
        }
        for (const std::string_view a :
             {"1.2.3.4", "1::2::3", ":::1", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::",
              "::1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7", "::ffff:1.2.3.04", "::ffff:1.2.3",
              "::1.2.3.4:5", "::g", ":1::", "1:", ":1", "1:2:3:4:5:6:7:1.2.3.4", "", "[::1]"}) {
            CAPTURE(a);
            CHECK(error_of("PROXY TCP6 " + std::string(a) + " ::1 1 2\r\n") ==
                  proxy_error::v1_bad_address);
        }
        CHECK(error_of("PROXY TCP4 1.2.3.4 5.6.7.888 1 2\r\n") == proxy_error::v1_bad_address);
        CHECK(error_of("PROXY TCP6 ::1 ::1::2 1 2\r\n") == proxy_error::v1_bad_address);
    }
    SECTION("ports") {
        for (const std::string_view p :
             {"056324", "0443", "65536", "99999", "+443", "-1", "", "123456", "0x1F", "00"}) {
            CAPTURE(p);
            CHECK(error_of("PROXY TCP4 1.2.3.4 5.6.7.8 " + std::string(p) + " 25\r\n") ==
                  proxy_error::v1_bad_port);
        }
        CHECK(error_of("PROXY TCP4 1.2.3.4 5.6.7.8 25 65536\r\n") == proxy_error::v1_bad_port);
        CHECK(error_of("PROXY TCP4 1.2.3.4 5.6.7.8 25 \r\n") == proxy_error::v1_bad_port);
        const outcome bounds = grind("PROXY TCP4 1.2.3.4 5.6.7.8 0 65535\r\n");
        REQUIRE(bounds.result.status == proxy_status::done);
        CHECK(bounds.header.source.port == 0);
        CHECK(bounds.header.destination.port == 65535);
    }
    SECTION("the number of fields") {
        CHECK(error_of("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n") == proxy_error::v1_field_count);
        CHECK(error_of("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n") == proxy_error::v1_field_count);
        CHECK(error_of("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n") == proxy_error::v1_field_count);
        CHECK(error_of("PROXY TCP4\r\n") == proxy_error::v1_field_count);
        CHECK(error_of("PROXY TCP6 ::1\r\n") == proxy_error::v1_field_count);
        CHECK(error_of("PROXY TCP4 1.2.3.4 5.6.7.8\r\n") == proxy_error::v1_field_count);
    }
    SECTION("line endings") {
        CHECK(error_of("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n") == proxy_error::v1_bad_line_ending);
        CHECK(error_of("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n") == proxy_error::v1_bad_line_ending);
        CHECK(error_of("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX") == proxy_error::v1_bad_line_ending);
        CHECK(error_of("PROXY TCP4 1.2.3.4\n") == proxy_error::v1_bad_line_ending);
        CHECK(error_of("PROXY UNKNOWN\n") == proxy_error::v1_bad_line_ending);
        CHECK(error_of("PROXY UNKNOWN\r\r\n") == proxy_error::v1_bad_line_ending);
        CHECK(error_of("PROXY UNKNOWN a\nb\r\n") == proxy_error::v1_bad_line_ending);
        CHECK(error_of("PROXY UNKNOWN a\rb\r\n") == proxy_error::v1_bad_line_ending);
    }
    SECTION("no CRLF within 107 octets") {
        const std::string one_too_many = "PROXY UNKNOWN " + std::string(92, 'a') + "\r\n";
        CHECK(error_of(one_too_many) == proxy_error::v1_too_long);
        CHECK(error_of("PROXY UNKNOWN " + std::string(200, 'a')) == proxy_error::v1_too_long);
        const std::string mapped = "0000:0000:0000:0000:0000:ffff:255.255.255.255";
        CHECK(error_of("PROXY TCP6 " + mapped + " " + mapped + " 65535 65535\r\n") ==
              proxy_error::v1_too_long);
    }
}

TEST_CASE("proxy_protocol: v2 errors") {
    SECTION("version, command, family") {
        for (const unsigned ver_cmd : {0x11u, 0x31u, 0x01u, 0xF1u})
            CHECK(error_of(v2_header(ver_cmd, 0x11, ipv4_block)) == proxy_error::v2_bad_version);
        for (const unsigned ver_cmd : {0x22u, 0x2Fu})
            CHECK(error_of(v2_header(ver_cmd, 0x11, ipv4_block)) == proxy_error::v2_bad_command);
        for (const unsigned family :
             {0x13u, 0x41u, 0x10u, 0x01u, 0x03u, 0x30u, 0x20u, 0x02u, 0xFFu}) {
            CAPTURE(family);
            CHECK(error_of(v2_header(0x21, family, ipv6_block)) == proxy_error::v2_bad_family);
            CHECK(error_of(v2_header(0x20, family, "")) == proxy_error::v2_bad_family);
        }
    }
    SECTION("a length too short for the addresses") {
        const proxy_error short_addresses = proxy_error::v2_short_addresses;
        CHECK(error_of(v2_header(0x21, 0x11, ipv4_block.substr(0, 11))) == short_addresses);
        CHECK(error_of(v2_header(0x21, 0x12, "")) == short_addresses);
        CHECK(error_of(v2_header(0x21, 0x21, ipv6_block.substr(0, 35))) == short_addresses);
        CHECK(error_of(v2_header(0x21, 0x21, ipv4_block)) == short_addresses);
        CHECK(error_of(v2_header(0x21, 0x31, std::string(215, '\0'))) == short_addresses);
    }
    SECTION("TLVs that run past the header") {
        CHECK(error_of(tcp4_with("\x01")) == proxy_error::v2_bad_tlv);
        CHECK(error_of(tcp4_with(std::string("\x01\x00", 2))) ==
              proxy_error::v2_bad_tlv);
        CHECK(error_of(tcp4_with(std::string("\x01\x00\x05", 3) + "smtp")) ==
              proxy_error::v2_bad_tlv);
        CHECK(error_of(tcp4_with(tlv(0x01, "smtp") + "\xE0")) ==
              proxy_error::v2_bad_tlv);
        const std::string ssl_overrun = std::string("\x01", 1) + std::string(4, '\0') +
                                        std::string("\x21\x00\x08", 3) + "TLSv1.3";
        CHECK(error_of(tcp4_with(tlv(0x20, ssl_overrun))) == proxy_error::v2_bad_tlv);
        const std::string ssl_stub = std::string("\x01", 1) + std::string(4, '\0') + "\x21";
        CHECK(error_of(tcp4_with(tlv(0x20, ssl_stub))) == proxy_error::v2_bad_tlv);
    }
    SECTION("invalid TLV values") {
        CHECK(error_of(tcp4_with(tlv(0x03, "abc"))) == proxy_error::v2_bad_tlv_value);
        CHECK(error_of(tcp4_with(tlv(0x03, "abcde"))) == proxy_error::v2_bad_tlv_value);
        CHECK(error_of(tcp4_with(tlv(0x05, std::string(129, 'u')))) ==
              proxy_error::v2_bad_tlv_value);
        CHECK(error_of(tcp4_with(tlv(0x20, std::string(4, '\0')))) ==
              proxy_error::v2_bad_tlv_value);
        CHECK(error_of(tcp4_with(tlv(0x02, "mx.\xc3\x28.example"))) ==
              proxy_error::v2_bad_tlv_value);
    }
    SECTION("a registered TLV twice") {
        for (const unsigned type : {0x01u, 0x02u, 0x05u, 0x30u}) {
            CAPTURE(type);
            CHECK(error_of(tcp4_with(tlv(type, "a") + tlv(type, "b"))) ==
                  proxy_error::v2_duplicate_tlv);
        }
        CHECK(error_of(tcp4_with(zero_crc + zero_crc)) == proxy_error::v2_duplicate_tlv);
        const std::string ssl = std::string("\x01", 1) + std::string(4, '\0');
        CHECK(error_of(tcp4_with(tlv(0x20, ssl) + tlv(0x20, ssl))) ==
              proxy_error::v2_duplicate_tlv);
        for (const unsigned sub : {0x21u, 0x22u, 0x23u, 0x24u, 0x25u}) {
            CAPTURE(sub);
            CHECK(error_of(tcp4_with(tlv(0x20, ssl + tlv(sub, "a") + tlv(sub, "a")))) ==
                  proxy_error::v2_duplicate_tlv);
        }
        // Unregistered types and NOOP may repeat.
        const outcome o = grind(tcp4_with(tlv(0xE0, "a") + tlv(0xE0, "b") +
                                                          tlv(0x04, "") + tlv(0x04, "")));
        REQUIRE(o.result.status == proxy_status::done);
        CHECK(o.header.tlvs.count == 4);
    }
    SECTION("a checksum that does not match") {
        // 16-51 the addresses, 52 the UNIQUE_ID TLV ("id" at 55-56), 57 the CRC32C TLV
        // (its value at 60-63).
        const std::string good =
            seal(v2_header(0x21, 0x21, ipv6_block + tlv(0x05, "id") + zero_crc));
        REQUIRE(good.size() == 64);
        REQUIRE(grind(good).header.tlvs.checksum);
        std::vector<std::size_t> covered;
        for (std::size_t i = 16; i < 52; ++i) covered.push_back(i);
        for (const std::size_t i : {55u, 56u, 60u, 61u, 62u, 63u}) covered.push_back(i);
        for (const std::size_t i : covered) {
            std::string bad = good;
            bad[i] = static_cast<char>(bad[i] ^ 0x40);
            CAPTURE(i);
            CHECK(error_of(bad) == proxy_error::v2_bad_checksum);
        }
        CHECK(error_of(tcp4_with(zero_crc)) == proxy_error::v2_bad_checksum);
    }
}

TEST_CASE("proxy_protocol: every error has its own description") {
    std::vector<std::string_view> seen;
    for (unsigned e = 0; e <= static_cast<unsigned>(proxy_error::v2_bad_checksum); ++e) {
        const std::string_view text = to_string(static_cast<proxy_error>(e));
        CAPTURE(e);
        CHECK(text.substr(0, 7) != "unknown");
        for (const std::string_view other : seen) CHECK(text != other);
        seen.push_back(text);
    }
    CHECK(to_string(static_cast<proxy_error>(200)) == "unknown proxy_error");
}

TEST_CASE("proxy_protocol: errors are reported as soon as the octet that shows them arrives") {
    const std::pair<std::string_view, proxy_error> early[] = {
        {"G", proxy_error::not_proxy_protocol},
        {"PROXI", proxy_error::not_proxy_protocol},
        {"PROXY TCP5", proxy_error::v1_bad_protocol},
        {"PROXY TCP4 1.2.3.x", proxy_error::v1_bad_address},
        {"PROXY TCP4 1.2.3.4 5.6.7.8 123456", proxy_error::v1_bad_port},
        {"PROXY UNKNOWN\n", proxy_error::v1_bad_line_ending},
        {std::string_view("\r\n\r\n\0\r\nQUIT\n\x11", 13), proxy_error::v2_bad_version},
        {std::string_view("\r\n\r\n\0\r\nQUIT\n\x21\x44", 14), proxy_error::v2_bad_family},
        {std::string_view("\r\n\r\n\0\r\nQUIT\n\x21\x11\x02\x19", 16), proxy_error::v2_too_long},
        {std::string_view("\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0b", 16),
         proxy_error::v2_short_addresses},
    };
    for (const auto& [prefix, error] : early) {
        CAPTURE(smtpwire_test::hex_of(prefix));
        proxy_header_parser p;
        const proxy_result r = p.parse(prefix);
        CHECK(r.status == proxy_status::error);
        CHECK(r.error == error);
        proxy_header_parser q;
        CHECK(q.parse(prefix.substr(0, prefix.size() - 1)).status == proxy_status::need_more);
    }
}

TEST_CASE("proxy_protocol: done and error are final, reset() starts over") {
    proxy_header_parser p;
    const std::string input = "PROXY TCP4 192.0.2.1 198.51.100.2 1234 25\r\nEHLO x\r\n";
    CHECK(p.parse("").status == proxy_status::need_more);
    CHECK(p.parse(std::string_view(input).substr(0, 20)).status == proxy_status::need_more);
    CHECK(p.header().family == proxy_family::unspecified);  // nothing shows before done
    CHECK(p.header().version == 0);
    const proxy_result r = p.parse(input);
    REQUIRE(r.status == proxy_status::done);
    CHECK(r.consumed == 43);
    const proxy_result again = p.parse("garbage that is not looked at");
    CHECK(again.status == proxy_status::done);
    CHECK(again.consumed == 43);
    CHECK(p.header().source.port == 1234);

    p.reset();
    CHECK(p.header().version == 0);
    CHECK(p.parse("QUIT\r\n").error == proxy_error::not_proxy_protocol);
    CHECK(p.parse(input).error == proxy_error::not_proxy_protocol);
    CHECK(p.header().version == 0);
    p.reset();
    CHECK(p.parse(input).status == proxy_status::done);
}

TEST_CASE("proxy_protocol: what follows the header goes to the server session") {
    const std::string v1 = "PROXY TCP6 2001:db8::1 2001:db8::25 49152 25\r\n";
    for (const std::string& header : {v1, v2_header(0x21, 0x21, ipv6_block)}) {
        const std::string input = header + "EHLO client.example\r\n";
        proxy_header_parser proxy;
        const proxy_result r = proxy.parse(input);
        REQUIRE(r.status == proxy_status::done);
        CHECK(text(ip_text(proxy.header().source)) == "2001:db8::1");

        server_config config;
        config.hostname = "mx.example.com";
        server_session s(config);
        REQUIRE(std::holds_alternative<client_connected>(s.next_event()));
        REQUIRE(s.accept() == errc::ok);
        REQUIRE(std::holds_alternative<need_output>(s.next_event()));
        CHECK(s.output().substr(0, 4) == "220 ");
        s.consume_output(s.output().size());
        REQUIRE(std::holds_alternative<need_data>(s.next_event()));
        REQUIRE(s.feed(std::string_view(input).substr(r.consumed)) == errc::ok);
        const server_event ev = s.next_event();
        const auto* h = std::get_if<hello>(&ev);
        REQUIRE(h != nullptr);
        CHECK(h->domain == "client.example");
    }
}
