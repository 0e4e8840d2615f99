#include "smtpwire/server_state.hpp"
#include "support/catch.hpp"

#include <fstream>
#include <sstream>
#include <string>

using namespace smtpwire;

namespace {

const char* cell(legality l) {
    switch (l) {
    case legality::allowed: return "yes";
    case legality::bad_sequence: return "503";
    case legality::not_implemented: return "502";
    case legality::not_read: return "-";
    }
    return "?";
}

// The legality table as the Markdown that docs/server.md shows.
std::string legality_markdown() {
    std::string md = "| state |";
    for (std::size_t v = 0; v + 1 < verb_count; ++v) md += " " + std::string(to_string(static_cast<verb>(v))) + " |";
    md += "\n|---|";
    for (std::size_t v = 0; v + 1 < verb_count; ++v) md += "---|";
    md += "\n";
    for (std::size_t s = 0; s < server_state_count; ++s) {
        md += "| " + std::string(to_string(static_cast<server_state>(s))) + " |";
        for (std::size_t v = 0; v + 1 < verb_count; ++v)
            md += std::string(" ") + cell(legality_of(static_cast<server_state>(s), static_cast<verb>(v))) + " |";
        md += "\n";
    }
    return md;
}

} // namespace

TEST_CASE("server_state: the legality table follows RFC 5321 §4.1.4") {
    // MAIL only after HELO/EHLO and outside a transaction.
    CHECK(legality_of(server_state::connected, verb::mail) == legality::bad_sequence);
    CHECK(legality_of(server_state::ready, verb::mail) == legality::allowed);
    CHECK(legality_of(server_state::mail, verb::mail) == legality::bad_sequence);
    CHECK(legality_of(server_state::rcpt, verb::mail) == legality::bad_sequence);
    // RCPT only inside a transaction; DATA after MAIL (554 if no recipient was accepted).
    CHECK(legality_of(server_state::ready, verb::rcpt) == legality::bad_sequence);
    CHECK(legality_of(server_state::mail, verb::rcpt) == legality::allowed);
    CHECK(legality_of(server_state::rcpt, verb::data) == legality::allowed);
    CHECK(legality_of(server_state::ready, verb::data) == legality::bad_sequence);
    // RSET, NOOP, QUIT, VRFY, HELP, EHLO anywhere commands are read (§4.1.4).
    for (server_state s : {server_state::connected, server_state::ready, server_state::mail, server_state::rcpt})
        for (verb v : {verb::rset, verb::noop, verb::quit, verb::vrfy, verb::help, verb::ehlo, verb::helo})
            CHECK(legality_of(s, v) == legality::allowed);
    // After a 554 greeting only QUIT (§3.1).
    for (std::size_t v = 0; v + 1 < verb_count; ++v) {
        const auto vb = static_cast<verb>(v);
        CHECK(legality_of(server_state::refused, vb) ==
              (vb == verb::quit ? legality::allowed : legality::bad_sequence));
    }
    // No commands are read while receiving content or after closing.
    CHECK(legality_of(server_state::data, verb::quit) == legality::not_read);
    CHECK(legality_of(server_state::closed, verb::noop) == legality::not_read);
    // Recognised extensions not offered by this server.
    CHECK(legality_of(server_state::ready, verb::lhlo) == legality::not_implemented);
    // RFC 3030 §2: BDAT after MAIL until the chunk marked LAST; between chunks nothing
    // of the envelope may change.
    CHECK(legality_of(server_state::ready, verb::bdat) == legality::bad_sequence);
    for (server_state s : {server_state::mail, server_state::rcpt, server_state::bdat})
        CHECK(legality_of(s, verb::bdat) == legality::allowed);
    for (verb v : {verb::mail, verb::rcpt, verb::data, verb::auth})
        CHECK(legality_of(server_state::bdat, v) == legality::bad_sequence);
    for (verb v : {verb::rset, verb::quit, verb::noop, verb::ehlo})
        CHECK(legality_of(server_state::bdat, v) == legality::allowed);
    // RFC 3207 §4: STARTTLS after EHLO, in or out of a transaction (the session answers
    // 502 when it is not offered and 503 inside TLS); nothing is read during the handover.
    CHECK(legality_of(server_state::connected, verb::starttls) == legality::bad_sequence);
    for (server_state s : {server_state::ready, server_state::mail, server_state::rcpt})
        CHECK(legality_of(s, verb::starttls) == legality::allowed);
    CHECK(legality_of(server_state::tls_handover, verb::quit) == legality::not_read);
}

TEST_CASE("server_state: docs/server.md shows the legality table as the code has it") {
    std::ifstream in(SMTPWIRE_TEST_DATA_DIR "/../docs/server.md", std::ios::binary);
    REQUIRE(in);
    std::stringstream readme;
    readme << in.rdbuf();
    const std::string table = legality_markdown();
    INFO("expected in docs/server.md:\n" << table);
    CHECK(readme.str().find(table) != std::string::npos);
}
