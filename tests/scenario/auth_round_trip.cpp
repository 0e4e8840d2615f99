// client_session authenticating to server_session through memory, once per SASL
// mechanism, in clear, after STARTTLS and with implicit TLS, with right and wrong secrets;
// a bearer token too long for the AUTH line (RFC 4954 §4).
#include "smtpwire/client_session.hpp"
#include "support/catch.hpp"

#include <random>
#include <string>
#include <vector>

#include "smtpwire/sasl/cram_md5.hpp"
#include "smtpwire/sasl/scram.hpp"
#include "smtpwire/server_session.hpp"
#include "support/client_driver.hpp"
#include "support/server_driver.hpp"
#include "support/session_pair.hpp"

using namespace smtpwire;
using namespace smtpwire_test;

namespace {

enum class transport { clear, starttls, implicit_tls };

const char* name(transport t) {
    return t == transport::clear ? "in clear" : t == transport::starttls ? "after STARTTLS" : "implicit TLS";
}

// The server's user database; the client is given `secret_given`.
constexpr std::string_view user = "alice";
constexpr std::string_view password = "p:w \xc3\xbc!";  // ':' and UTF-8, as RFC 4616 allows
constexpr std::string_view token = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg";
constexpr std::string_view salt = "QSXCR+Q6sek8bf92";

struct exchange {
    std::vector<std::string> client_events;
    std::vector<std::string> server_events;
    std::string client_wire;   // everything the client wrote
    std::string server_wire;   // everything the server wrote
    std::vector<std::string> auth_requests;  // mechanism and user of each auth_request
    std::string stored;        // the message content the server received
    bool finished = false;
};

// One session pair; the server accepts `password` and `right_token`.
exchange run(sasl::mechanism m, transport t, bool right_secret, std::mt19937_64& rng,
             std::string_view right_token = token) {
    server_config sc;
    sc.hostname = "mx.example";
    sc.extensions.add(extension::auth);
    if (t == transport::starttls) sc.extensions.add(extension::starttls);
    sc.implicit_tls = t == transport::implicit_tls;
    sc.auth.mechanisms = {m};
    sc.auth.required = true;
    sc.auth.allow_in_clear = t == transport::clear;
    server_session server(sc);
    REQUIRE(server.seed_nonces("sixteen octets of entropy from the application") == errc::ok);
    const sasl::scram_credentials stored_keys = sasl::make_scram_credentials(password, salt, 4096);

    const std::string wrong_password = std::string(password) + "x";
    const std::string wrong_token = std::string(right_token) + "x";
    client_config cc;
    cc.helo_name = "client.example";
    cc.starttls = t == transport::starttls ? tls_policy::required : tls_policy::none;
    cc.implicit_tls = t == transport::implicit_tls;
    cc.auth.user = user;
    cc.auth.password = right_secret ? password : std::string_view(wrong_password);
    cc.auth.token = right_secret ? right_token : std::string_view(wrong_token);
    cc.auth.oauth_host = "mx.example";
    cc.auth.oauth_port = 587;
    cc.auth.nonce = "client nonce of 24 octets";
    cc.auth.allow_in_clear = t == transport::clear;
    client_session client(cc);
    sending_app app({outgoing{"alice@example.org", {}, {"bob@mx.example"}, "Subject: t\r\n\r\nhello\r\n"}},
                    1 + rng() % 64);

    exchange o;
    session_pair pair(server, client, [&rng](std::size_t n) { return 1 + rng() % n; });
    const auto on_server = [&](const server_event& ev) {
        if (const auto* a = std::get_if<auth_request>(&ev)) {
            o.auth_requests.push_back(std::string(sasl::to_string(a->mechanism)) + " " + std::string(a->user));
            bool good = false;
            switch (a->mechanism) {
            case sasl::mechanism::plain:
            case sasl::mechanism::login: good = a->secret == password; break;
            case sasl::mechanism::xoauth2:
            case sasl::mechanism::oauthbearer: good = a->secret == right_token; break;
            case sasl::mechanism::cram_md5: good = sasl::cram_md5_verify(password, a->challenge, a->secret); break;
            case sasl::mechanism::scram_sha_256:
                REQUIRE(server.accept(a->decision, stored_keys) == errc::ok);  // the session checks
                return;
            }
            if (good) REQUIRE(server.accept(a->decision) == errc::ok);
            else REQUIRE(server.reject(a->decision, reply{535, {5, 7, 8}, "bad credentials"}) == errc::ok);
        } else if (const auto* b = std::get_if<body_chunk>(&ev)) {
            o.stored += b->bytes;
        } else if (is_decision(ev)) {
            o.server_events.push_back(describe(ev));
            REQUIRE(server.accept() == errc::ok);
        } else if (!std::holds_alternative<need_output>(ev) && !std::holds_alternative<tls_handover>(ev) &&
                   !std::holds_alternative<closed>(ev)) {
            o.server_events.push_back(describe(ev));
        }
    };
    const auto on_client = [&](const client_event& ev) {
        if (std::holds_alternative<need_output>(ev)) {
            app.pump(client);
        } else if (std::holds_alternative<need_body>(ev)) {
            app.on_event(client, ev);
        } else if (!std::holds_alternative<tls_handover>(ev) && !std::holds_alternative<closed>(ev)) {
            o.client_events.push_back(describe(ev));
            app.on_event(client, ev);
        }
    };
    o.finished = pair.run(on_server, on_client, 100'000);
    o.client_wire = pair.client_wire;
    o.server_wire = pair.server_wire;
    CHECK(app.errors.empty());
    return o;
}

// The client's lines, each also base64-decoded where its last word is base64: what an
// eavesdropper on a connection without TLS would read.
std::string readable(const std::string& wire) {
    std::string text = wire;
    std::size_t start = 0;
    for (std::size_t end; (end = wire.find("\r\n", start)) != std::string::npos; start = end + 2) {
        const std::string line = wire.substr(start, end - start);
        const std::string word = line.substr(line.rfind(' ') + 1);
        std::string octets(base64_decoded_max(word.size()), '\0');
        std::size_t written = 0;
        if (base64_decode(word, octets.data(), written)) text += "\n" + octets.substr(0, written);
    }
    return text;
}

bool contains(const std::vector<std::string>& events, std::string_view prefix) {
    for (const std::string& e : events)
        if (e.rfind(prefix, 0) == 0) return true;
    return false;
}

} // namespace

TEST_CASE("auth round trip: every mechanism, in clear, after STARTTLS and with implicit TLS") {
    std::mt19937_64 rng(20261202);
    for (sasl::mechanism m : sasl::strongest_first) {
        for (transport t : {transport::clear, transport::starttls, transport::implicit_tls}) {
            for (bool right : {true, false}) {
                // SCRAM runs PBKDF2 on both sides; fewer chunkings keep the test quick.
                const int runs = m == sasl::mechanism::scram_sha_256 ? 2 : 4;
                for (int run_index = 0; run_index < runs; ++run_index) {
                    INFO(sasl::to_string(m) << " " << name(t) << (right ? ", right secret" : ", wrong secret")
                                            << ", run " << run_index);
                    const exchange o = run(m, t, right, rng);
                    std::string trace;
                    for (const auto& e : o.client_events) trace += e + "\n";
                    INFO("client events:\n" << trace);
                    REQUIRE(o.finished);
                    // The mechanism chosen is the only one offered, for the client's user.
                    REQUIRE(o.auth_requests.size() == 1);
                    CHECK(o.auth_requests[0] == std::string(sasl::to_string(m)) + " alice");
                    const std::string tls = t == transport::clear ? "" : " TLS";
                    if (right) {
                        CHECK(contains(o.client_events, "ready EHLO" + tls + " AUTH"));
                        CHECK(contains(o.client_events, "done success 1/1"));
                        CHECK(contains(o.server_events, "mail_from <alice@example.org>"));
                        CHECK(o.stored == "Subject: t\r\n\r\nhello\r\n");
                    } else {
                        CHECK(contains(o.client_events, "failure authentication failed 535 5.7.8"));
                        CHECK_FALSE(contains(o.server_events, "mail_from"));
                        CHECK(o.client_wire.find("MAIL FROM") == std::string::npos);
                        CHECK(o.stored.empty());
                    }
                    // The password and the token never reach the server's replies, and
                    // a mechanism that proves knowledge never puts the password on the wire.
                    CHECK(o.server_wire.find(password) == std::string::npos);
                    CHECK(o.server_wire.find(token) == std::string::npos);
                    const bool password_sent = m == sasl::mechanism::plain || m == sasl::mechanism::login;
                    const bool token_sent = m == sasl::mechanism::xoauth2 || m == sasl::mechanism::oauthbearer;
                    CHECK((readable(o.client_wire).find(password) != std::string::npos) == password_sent);
                    CHECK((readable(o.client_wire).find(token) != std::string::npos) == token_sent);
                    // The client's first bytes after STARTTLS are a new EHLO.
                    if (t == transport::starttls) {
                        const std::size_t tls_start = o.client_wire.find("STARTTLS\r\n");
                        REQUIRE(tls_start != std::string::npos);
                        CHECK(o.client_wire.compare(tls_start + 10, 5, "EHLO ") == 0);
                    }
                }
            }
        }
    }
}

TEST_CASE("auth round trip: a bearer token too long for the AUTH line waits for the 334") {
    std::mt19937_64 rng(20261203);
    // 2000 octets of b64token characters: the message in base64 is over 2600 octets, while
    // AUTH with an initial response may take 512.
    std::string long_token;
    while (long_token.size() < 2000) long_token += "Zx9-._~+/";
    long_token.resize(2000);
    for (sasl::mechanism m : {sasl::mechanism::xoauth2, sasl::mechanism::oauthbearer}) {
        const std::string name(sasl::to_string(m));
        for (bool right : {true, false}) {
            for (int run_index = 0; run_index < 4; ++run_index) {
                INFO(name << (right ? ", right token" : ", wrong token") << ", run " << run_index);
                const exchange o = run(m, transport::starttls, right, rng, long_token);
                REQUIRE(o.finished);
                // AUTH alone, the server's empty challenge, then the whole message as the
                // response.
                CHECK(o.client_wire.find("AUTH " + name + "\r\n") != std::string::npos);
                CHECK(o.server_wire.find("334 \r\n") != std::string::npos);
                CHECK(readable(o.client_wire).find(long_token) != std::string::npos);
                REQUIRE(o.auth_requests.size() == 1);
                CHECK(o.auth_requests[0] == name + " alice");
                if (right) {
                    CHECK(contains(o.client_events, "done success 1/1"));
                    CHECK(o.stored == "Subject: t\r\n\r\nhello\r\n");
                } else {
                    // The error object is acknowledged as the mechanism wants, then 535.
                    const std::string acknowledgement = m == sasl::mechanism::xoauth2 ? "\r\n" : "AQ==\r\n";
                    CHECK(o.client_wire.find("\r\n" + acknowledgement + "QUIT\r\n") != std::string::npos);
                    CHECK(contains(o.client_events, "failure authentication failed 535 5.7.8"));
                    CHECK(o.client_wire.find("MAIL FROM") == std::string::npos);
                    CHECK(o.stored.empty());
                }
            }
        }
    }
}
