// A PROXY protocol parse outcome as one line of text, so that the outcomes of different
// splits of one input compare equal. Used by the unit tests and the fuzz target; may allocate.
#pragma once

#include <string>
#include <string_view>

#include "smtpwire/crypto/hex.hpp"
#include "smtpwire/proxy_protocol.hpp"

namespace smtpwire_test {

/// Lowercase hex of `bytes`, so that TLV values of any octets print on one line.
inline std::string hex_of(std::string_view bytes) {
    std::string out(bytes.size() * 2, '?');
    (void)smtpwire::crypto::hex_encode(bytes, out.data());
    return out;
}

/// "need_more", "error <reason>", or "done" with every field of `h`.
inline std::string describe(const smtpwire::proxy_result& r, const smtpwire::proxy_header& h) {
    using namespace smtpwire;
    if (r.status == proxy_status::need_more) return "need_more";
    if (r.status == proxy_status::error) return "error " + std::string(to_string(r.error));
    const proxy_tlvs& t = h.tlvs;
    std::string s = "done v" + std::to_string(h.version) + " " + std::string(to_string(h.command)) +
                    " " + std::string(to_string(h.family)) + " " +
                    std::string(to_string(h.transport)) + " " +
                    std::string(to_string(h.source).view()) + " -> " +
                    std::string(to_string(h.destination).view()) +
                    " size=" + std::to_string(h.size) + " consumed=" + std::to_string(r.consumed) +
                    " tlvs=" + std::to_string(t.count) + " alpn=" + hex_of(t.alpn) +
                    " authority=" + hex_of(t.authority) + " unique_id=" + hex_of(t.unique_id) +
                    " netns=" + hex_of(t.netns) + " checksum=" + (t.checksum ? "yes" : "no");
    if (t.ssl.present)
        s += " ssl client=" + std::to_string(t.ssl.client) + " verify=" + std::to_string(t.ssl.verify) +
             " version=" + hex_of(t.ssl.version) + " cn=" + hex_of(t.ssl.common_name) +
             " cipher=" + hex_of(t.ssl.cipher) + " sig=" + hex_of(t.ssl.signature_algorithm) +
             " key=" + hex_of(t.ssl.key_algorithm);
    return s;
}

} // namespace smtpwire_test
