// Fuzz target: proxy_header_parser whole, split once, in pieces and one octet at a time;
// what it accepts is checked against the octets it came from and re-parses the same.
// Input: byte 0 the v2 limit (0: proxy_v2_default_limit, else 4 times the byte); byte 1 a
// split offset; byte 2 the piece size (low 7 bits, + 1) and, in its high bit, "make the
// checksum right": the first CRC32C TLV of a v2 header gets the header's CRC32C before
// parsing; the rest is the connection's first octets.
#include "smtpwire/proxy_protocol.hpp"

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "smtpwire/crypto/crc32c.hpp"

#include "fuzz_support.hpp"
#include "support/proxy_header_text.hpp"

using namespace smtpwire;
using smtpwire_fuzz::check;
using smtpwire_test::describe;

namespace {

std::size_t big_endian16(std::string_view s, std::size_t i) {
    return std::size_t{static_cast<unsigned char>(s[i])} << 8 |
           static_cast<unsigned char>(s[i + 1]);
}

// The address block size of a v2 family and protocol byte (§2.2), or 0.
std::size_t addresses_of(unsigned family) {
    switch (family) {
    case 0x11: case 0x12: return 12;
    case 0x21: case 0x22: return 36;
    case 0x31: case 0x32: return 216;
    default: return 0;
    }
}

// `in` with the value of the first CRC32C TLV of its v2 header set to the header's CRC32C,
// when it has a complete v2 header with one; otherwise unchanged.
std::string with_checksum(std::string in) {
    if (in.size() < proxy_v2_fixed_size || in.compare(0, 12, proxy_v2_signature) != 0) return in;
    const std::size_t size = proxy_v2_fixed_size + big_endian16(in, 14);
    if (size > in.size()) return in;
    for (std::size_t at = proxy_v2_fixed_size + addresses_of(static_cast<unsigned char>(in[13]));
         at + 3 <= size;) {
        const std::size_t length = big_endian16(in, at + 1);
        if (at + 3 + length > size) break;
        if (in[at] == 0x03 && length == 4) {
            in.replace(at + 3, 4, 4, '\0');
            const std::uint32_t crc =
                crypto::crc32c::compute(std::string_view(in).substr(0, size));
            for (std::size_t k = 0; k < 4; ++k)
                in[at + 3 + k] = static_cast<char>(crc >> (24 - 8 * k) & 0xFF);
            break;
        }
        at += 3 + length;
    }
    return in;
}

// Parses `input` at once from a copy of its exact size.
std::string parse_whole(std::string_view input, std::size_t limit) {
    const smtpwire_fuzz::exact_copy copy(input);
    proxy_header_parser p(limit);
    const proxy_result r = p.parse(copy.view());
    return describe(r, p.header());
}

// The version 1 line of an accepted TCP4 or TCP6 header, rebuilt from what was parsed.
std::string v1_line(const proxy_header& h) {
    return std::string("PROXY ") + (h.family == proxy_family::inet ? "TCP4 " : "TCP6 ") +
           std::string(ip_text(h.source).view()) + " " +
           std::string(ip_text(h.destination).view()) + " " + std::to_string(h.source.port) + " " +
           std::to_string(h.destination.port) + "\r\n";
}

// A version 2 header with the addresses of `h` and nothing else.
std::string v2_header(const proxy_header& h) {
    const bool v4 = h.family == proxy_family::inet;
    std::string out(proxy_v2_signature);
    out += '\x21';
    out += v4 ? (h.transport == proxy_transport::stream ? '\x11' : '\x12')
              : (h.transport == proxy_transport::stream ? '\x21' : '\x22');
    out += '\0';
    out += static_cast<char>(v4 ? 12 : 36);
    for (const proxy_address* a : {&h.source, &h.destination})
        for (std::size_t k = 0; k < (v4 ? 4u : 16u); ++k) out += static_cast<char>(a->octets[k]);
    for (const proxy_address* a : {&h.source, &h.destination}) {
        out += static_cast<char>(a->port >> 8);
        out += static_cast<char>(a->port & 0xFF);
    }
    return out;
}

// The addresses `text` parses to, with any parser limit.
std::string addresses_of_header(std::string_view text) {
    proxy_header_parser p;
    const proxy_result r = p.parse(text);
    check(r.status == proxy_status::done && r.consumed == text.size(),
          "a rebuilt header is refused", text);
    const proxy_header& h = p.header();
    return std::string(to_string(h.source).view()) + " " +
           std::string(to_string(h.destination).view());
}

// What a complete header must satisfy, against the octets it was read from.
void check_done(std::string_view input, const proxy_result& r, const proxy_header& h,
                std::size_t max_size) {
    check(r.consumed == h.size && r.consumed <= input.size() && r.consumed <= max_size,
          "consumed is not the header's size within the input and the limit", input);
    const std::string_view text = input.substr(0, r.consumed);
    if (h.command == proxy_command::local)
        check(h.family == proxy_family::unspecified && h.version == 2, "LOCAL with a family", text);
    check((h.family == proxy_family::unspecified) == (h.transport == proxy_transport::unspecified),
          "family and transport disagree", text);
    check(h.has_addresses() == (h.source.family != proxy_family::unspecified) &&
              h.source.family == h.destination.family,
          "addresses without a family, or a family without addresses", text);
    for (std::string_view v : {h.tlvs.alpn, h.tlvs.authority, h.tlvs.unique_id, h.tlvs.netns,
                               h.tlvs.ssl.version, h.tlvs.ssl.common_name, h.tlvs.ssl.cipher,
                               h.tlvs.ssl.signature_algorithm, h.tlvs.ssl.key_algorithm})
        check(smtpwire_fuzz::inside(v, text), "a TLV view outside the header", text);
    const std::string addresses = std::string(to_string(h.source).view()) + " " +
                                  std::string(to_string(h.destination).view());
    if (h.version == 1) {
        check(h.size >= 15 && h.size <= proxy_v1_max_size && text.substr(0, 6) == "PROXY ",
              "v1 header of a wrong size or start", text);
        check(text.find('\n') == h.size - 1 && text.find('\r') == h.size - 2,
              "v1 line not ended by its only CRLF", text);
        check(h.command == proxy_command::proxy && h.tlvs.count == 0, "v1 LOCAL or TLVs", text);
        if (h.family == proxy_family::inet)  // dotted quads and ports have one spelling only
            check(text == v1_line(h), "TCP4 line differs from its canonical form", text);
        else if (h.family == proxy_family::inet6)
            check(addresses_of_header(v1_line(h)) == addresses, "TCP6 addresses do not re-parse",
                  text);
        else
            check(text.substr(0, 13) == "PROXY UNKNOWN" && (h.size == 15 || text[13] == ' '),
                  "v1 without addresses is not UNKNOWN", text);
        return;
    }
    check(h.version == 2 && text.substr(0, 12) == proxy_v2_signature &&
              h.size == proxy_v2_fixed_size + big_endian16(text, 14),
          "v2 header of a wrong size or start", text);
    const unsigned command = static_cast<unsigned char>(text[12]) & 0xFu;
    check(command == (h.command == proxy_command::proxy ? 1u : 0u),
          "v2 command differs from the header's", text);
    if (!h.has_addresses()) return;
    const std::size_t ip = h.family == proxy_family::inet ? 4 : 16;
    for (std::size_t k = 0; k < ip; ++k)
        check(h.source.octets[k] == static_cast<unsigned char>(text[16 + k]) &&
                  h.destination.octets[k] == static_cast<unsigned char>(text[16 + ip + k]),
              "v2 addresses differ from the header's", text);
    check(h.source.port == big_endian16(text, 16 + 2 * ip) &&
              h.destination.port == big_endian16(text, 18 + 2 * ip),
          "v2 ports differ from the header's", text);
    check(addresses_of_header(v2_header(h)) == addresses, "v2 addresses do not re-parse", text);
    check(addresses_of_header(v1_line(h)) == addresses, "v2 addresses do not re-parse as v1",
          text);
}

// Presents growing prefixes of `input` (views into one exact copy), ending at each of
// `ends` (ascending, the last input.size()), until the result is final; checks each
// result and that a final one stays. Sets `decided_at` to the prefix length that made it
// final (0 if none did).
std::string parse_growing(std::string_view input, std::size_t limit,
                          const std::vector<std::size_t>& ends, std::size_t& decided_at) {
    const smtpwire_fuzz::exact_copy copy(input);
    const std::string_view all = copy.view();
    proxy_header_parser p(limit);
    proxy_result r;
    decided_at = 0;
    for (const std::size_t end : ends) {
        r = p.parse(all.substr(0, end));
        if (r.status == proxy_status::need_more) {
            check(end < p.max_size(), "need_more with max_size() octets at hand", input);
            continue;
        }
        decided_at = end;
        break;
    }
    const std::string text = describe(r, p.header());
    if (r.status == proxy_status::done) check_done(all, r, p.header(), p.max_size());
    if (r.status == proxy_status::error)
        check(r.consumed == 0 && p.header().version == 0, "an error with a header", input);
    const proxy_result again = p.parse(all);
    check(describe(again, p.header()) == text, "a final result changed", input);
    return text;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    smtpwire_fuzz::input_reader in(smtpwire_fuzz::as_text(data, size));
    const std::uint8_t limit_byte = in.byte();
    const std::uint8_t split = in.byte();
    const std::uint8_t pieces = in.byte();
    const std::size_t limit = limit_byte == 0 ? proxy_v2_default_limit : 4u * limit_byte;
    const std::string input =
        (pieces & 0x80) != 0 ? with_checksum(std::string(in.rest())) : std::string(in.rest());

    const std::string whole = parse_whole(input, limit);
    std::vector<std::size_t> octets, chunks, once;
    for (std::size_t i = 1; i <= input.size(); ++i) octets.push_back(i);
    const std::size_t piece = 1 + (pieces & 0x7Fu);
    for (std::size_t i = piece; i < input.size(); i += piece) chunks.push_back(i);
    chunks.push_back(input.size());
    const std::size_t cut = smtpwire_fuzz::scaled_offset(split, input.size());
    if (cut > 0 && cut < input.size()) once.push_back(cut);
    once.push_back(input.size());

    std::size_t decided_at = 0;
    std::size_t ignored = 0;
    check(parse_growing(input, limit, octets, decided_at) == whole,
          "octet at a time differs from whole", input);
    check(parse_growing(input, limit, chunks, ignored) == whole, "pieces differ from whole", input);
    check(parse_growing(input, limit, once, ignored) == whole, "one split differs from whole",
          input);
    if (decided_at == 0) {
        check(whole == "need_more", "final whole but never octet at a time", input);
        return 0;
    }
    // Decided by the octets up to decided_at and by nothing after them: the header (or the
    // octet that showed the error) ends there.
    check(parse_whole(std::string_view(input).substr(0, decided_at), limit) == whole,
          "the decisive prefix alone decides differently", input);
    check(parse_whole(std::string_view(input).substr(0, decided_at - 1), limit) == "need_more",
          "one octet less than the decisive prefix is already final", input);
    return 0;
}
