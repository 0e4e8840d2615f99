// The PROXY protocol example the documentation shows, compiled and run as written: the
// header read before the session, the client's address taken from it, the rest fed on.
#include "smtpwire/smtpwire.hpp"

#include "support/catch.hpp"

#include <string>
#include <string_view>

namespace proxy_readme {

using namespace smtpwire;

// PROXY example begin
// A new connection from a trusted proxy: read its PROXY header from `in`, the octets
// received so far. Returns how many octets the header took (the rest is the client's,
// for the server session), 0 to read more and call again, or -1: close the connection
// without a greeting (to_string(r.error) says why). `peer` becomes the client's address.
long read_proxy_header(proxy_header_parser& proxy, std::string_view in, std::string& peer) {
    const proxy_result r = proxy.parse(in);
    if (r.status == proxy_status::need_more) return 0;
    if (r.status == proxy_status::error) return -1;
    const proxy_header& h = proxy.header();
    if (h.has_addresses()) peer = std::string(to_string(h.source).view());  // "192.0.2.1:49152"
    return static_cast<long>(r.consumed);  // LOCAL, UNKNOWN: keep the connection's own address
}
// PROXY example end

} // namespace proxy_readme

TEST_CASE("PROXY example: the header, a byte at a time, then the client's octets") {
    using namespace smtpwire;
    const std::string input = "PROXY TCP4 192.0.2.1 198.51.100.25 49152 25\r\nEHLO client.example\r\n";
    proxy_header_parser proxy;
    std::string peer = "203.0.113.9:40000";  // the proxy's, from accept()
    long taken = 0;
    std::size_t have = 0;
    while (taken == 0) taken = proxy_readme::read_proxy_header(proxy, std::string_view(input).substr(0, ++have), peer);
    CHECK(peer == "192.0.2.1:49152");
    CHECK(input.substr(static_cast<std::size_t>(taken)) == "EHLO client.example\r\n");

    proxy_header_parser local;
    std::string kept = "203.0.113.9:40000";
    CHECK(proxy_readme::read_proxy_header(local, "PROXY UNKNOWN\r\n", kept) == 15);
    CHECK(kept == "203.0.113.9:40000");
    proxy_header_parser bad;
    CHECK(proxy_readme::read_proxy_header(bad, "EHLO client.example\r\n", kept) == -1);
}
