#include "smtpwire/capabilities.hpp"

#include "support/catch.hpp"

#include "smtpwire/reply_parser.hpp"

#include <string>
#include <string_view>
#include <vector>

using namespace smtpwire;

namespace {

// Feeds the text of each reply line (first line first) and returns the errors.
std::vector<capability_error> feed(capabilities& caps, const std::vector<std::string>& lines) {
    std::vector<capability_error> errors;
    for (std::size_t i = 0; i < lines.size(); ++i) errors.push_back(caps.add_line(lines[i], i == 0));
    return errors;
}

// Feeds whole wire lines ("250-..." without CRLF) through reply_parser, as a client does.
void feed_wire(capabilities& caps, const std::vector<std::string>& wire) {
    reply_parser parser;
    for (std::size_t i = 0; i < wire.size(); ++i) {
        INFO("line " << wire[i]);
        reply_line line;
        REQUIRE(parser.parse_line(wire[i], line) == reply_error::ok);
        REQUIRE(line.code == 250);
        CHECK(line.last == (i + 1 == wire.size()));
        CHECK(caps.add_line(line.text, i == 0) == capability_error::ok);
    }
}

bool all_ok(const std::vector<capability_error>& errors) {
    for (capability_error e : errors)
        if (e != capability_error::ok) return false;
    return true;
}

const std::vector<sasl::mechanism> all_mechanisms = {
    sasl::mechanism::plain,   sasl::mechanism::login,       sasl::mechanism::cram_md5,
    sasl::mechanism::xoauth2, sasl::mechanism::oauthbearer, sasl::mechanism::scram_sha_256};

} // namespace

TEST_CASE("capability_error: to_string") {
    CHECK(to_string(capability_error::ok) == "ok");
    CHECK(to_string(capability_error::bad_line) == "malformed EHLO reply line");
    CHECK(to_string(capability_error::bad_size_value) == "invalid SIZE parameter");
    CHECK(to_string(capability_error::too_many) == "too many EHLO keywords to store");
    CHECK(to_string(static_cast<capability_error>(99)) == "unknown capability_error");
}

TEST_CASE("capabilities: empty before any line") {
    const capabilities caps;
    CHECK(caps.domain().empty());
    CHECK(caps.extensions().empty());
    CHECK(caps.size_limit() == 0);
    CHECK_FALSE(caps.has(extension::starttls));
    CHECK_FALSE(caps.has_keyword("STARTTLS"));
    CHECK_FALSE(caps.has_keyword(""));
    CHECK(caps.parameters("SIZE").empty());
    for (sasl::mechanism m : all_mechanisms) CHECK_FALSE(caps.has_auth(m));
}

TEST_CASE("capabilities: Gmail submission, before and after STARTTLS") {
    capabilities caps;
    feed_wire(caps, {"250-smtp.gmail.com at your service, [203.0.113.5]", "250-SIZE 35882577",
                     "250-8BITMIME", "250-STARTTLS", "250-ENHANCEDSTATUSCODES", "250-PIPELINING",
                     "250-CHUNKING", "250 SMTPUTF8"});
    CHECK(caps.domain() == "smtp.gmail.com");
    CHECK(caps.extensions() ==
          extension_set{extension::size, extension::eight_bit_mime, extension::starttls,
                        extension::enhanced_status_codes, extension::pipelining,
                        extension::chunking, extension::smtputf8});
    CHECK(caps.size_limit() == 35882577);
    CHECK(caps.parameters("SIZE") == "35882577");
    CHECK_FALSE(caps.has(extension::auth));
    for (sasl::mechanism m : all_mechanisms) CHECK_FALSE(caps.has_auth(m));

    // After TLS the client asks again; the first line starts a fresh set.
    feed_wire(caps, {"250-smtp.gmail.com at your service, [203.0.113.5]", "250-SIZE 35882577",
                     "250-8BITMIME",
                     "250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH",
                     "250-ENHANCEDSTATUSCODES", "250-PIPELINING", "250-CHUNKING", "250 SMTPUTF8"});
    CHECK_FALSE(caps.has(extension::starttls));
    CHECK_FALSE(caps.has_keyword("STARTTLS"));
    CHECK(caps.has(extension::auth));
    CHECK(caps.has_auth(sasl::mechanism::login));
    CHECK(caps.has_auth(sasl::mechanism::plain));
    CHECK(caps.has_auth(sasl::mechanism::xoauth2));
    CHECK(caps.has_auth(sasl::mechanism::oauthbearer));
    CHECK_FALSE(caps.has_auth(sasl::mechanism::cram_md5));
    CHECK_FALSE(caps.has_auth(sasl::mechanism::scram_sha_256));
    CHECK(caps.parameters("auth") == "LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH");
}

TEST_CASE("capabilities: Gmail MX") {
    capabilities caps;
    feed_wire(caps, {"250-mx.google.com at your service, [198.51.100.7]", "250-SIZE 157286400",
                     "250-8BITMIME", "250-STARTTLS", "250-ENHANCEDSTATUSCODES", "250-PIPELINING",
                     "250-CHUNKING", "250 SMTPUTF8"});
    CHECK(caps.domain() == "mx.google.com");
    CHECK(caps.size_limit() == 157286400);
    CHECK(caps.has(extension::starttls));
    CHECK_FALSE(caps.has(extension::dsn));
}

TEST_CASE("capabilities: Postfix with both AUTH forms") {
    capabilities caps;
    feed_wire(caps, {"250-mail.example.com", "250-PIPELINING", "250-SIZE 10240000", "250-VRFY",
                     "250-ETRN", "250-STARTTLS", "250-AUTH PLAIN LOGIN", "250-AUTH=PLAIN LOGIN",
                     "250-ENHANCEDSTATUSCODES", "250-8BITMIME", "250-DSN", "250-SMTPUTF8",
                     "250 CHUNKING"});
    CHECK(caps.domain() == "mail.example.com");
    CHECK(caps.extensions() ==
          extension_set{extension::pipelining, extension::size, extension::starttls,
                        extension::auth, extension::enhanced_status_codes,
                        extension::eight_bit_mime, extension::dsn, extension::smtputf8,
                        extension::chunking});
    CHECK(caps.size_limit() == 10240000);
    CHECK(caps.has_auth(sasl::mechanism::plain));
    CHECK(caps.has_auth(sasl::mechanism::login));
    CHECK_FALSE(caps.has_auth(sasl::mechanism::cram_md5));
    CHECK(caps.has_keyword("VRFY"));
    CHECK(caps.has_keyword("etrn"));
    CHECK(caps.parameters("VRFY").empty());
    CHECK(caps.parameters("AUTH") == "PLAIN LOGIN");
}

TEST_CASE("capabilities: Exim, with PIPE_CONNECT and a greeting with an address") {
    capabilities caps;
    feed_wire(caps, {"250-mx.example.org Hello client.example.net [192.0.2.10]",
                     "250-SIZE 52428800", "250-8BITMIME", "250-PIPELINING", "250-PIPE_CONNECT",
                     "250-AUTH CRAM-MD5 PLAIN", "250-CHUNKING", "250-STARTTLS", "250-PRDR",
                     "250 HELP"});
    CHECK(caps.domain() == "mx.example.org");
    CHECK(caps.size_limit() == 52428800);
    CHECK(caps.has_keyword("PIPE_CONNECT"));
    CHECK(caps.has_keyword("prdr"));
    CHECK(caps.has_keyword("HELP"));
    CHECK(caps.has_auth(sasl::mechanism::cram_md5));
    CHECK(caps.has_auth(sasl::mechanism::plain));
    CHECK_FALSE(caps.has_auth(sasl::mechanism::login));
    CHECK(caps.has(extension::chunking));
    CHECK(caps.has(extension::starttls));
}

TEST_CASE("capabilities: Microsoft 365 and on-premises Exchange") {
    capabilities caps;
    SECTION("Exchange Online MX") {
        feed_wire(caps, {"250-AM0PR01CA0123.outlook.office365.com Hello [192.0.2.1]",
                         "250-SIZE 157286400", "250-PIPELINING", "250-DSN",
                         "250-ENHANCEDSTATUSCODES", "250-STARTTLS", "250-8BITMIME",
                         "250-BINARYMIME", "250-CHUNKING", "250 SMTPUTF8"});
        CHECK(caps.domain() == "AM0PR01CA0123.outlook.office365.com");
        CHECK(caps.has(extension::binary_mime));
        CHECK(caps.has(extension::chunking));
        CHECK(caps.has(extension::dsn));
        CHECK(caps.size_limit() == 157286400);
    }
    SECTION("smtp.office365.com submission after TLS") {
        feed_wire(caps, {"250-AM0PR01CA0123.outlook.office365.com Hello [192.0.2.1]",
                         "250-SIZE 157286400", "250-PIPELINING", "250-DSN",
                         "250-ENHANCEDSTATUSCODES", "250-AUTH LOGIN XOAUTH2", "250-8BITMIME",
                         "250-BINARYMIME", "250-CHUNKING", "250 SMTPUTF8"});
        CHECK(caps.has_auth(sasl::mechanism::login));
        CHECK(caps.has_auth(sasl::mechanism::xoauth2));
        CHECK_FALSE(caps.has_auth(sasl::mechanism::plain));
    }
    SECTION("on-premises Exchange: legacy AUTH=LOGIN alone, X- keywords") {
        feed_wire(caps, {"250-EXCH01.corp.example.com Hello [10.0.0.5]", "250-SIZE 37748736",
                         "250-PIPELINING", "250-DSN", "250-ENHANCEDSTATUSCODES", "250-STARTTLS",
                         "250-X-ANONYMOUSTLS", "250-AUTH NTLM", "250-X-EXPS GSSAPI NTLM",
                         "250-8BITMIME", "250-BINARYMIME", "250-CHUNKING", "250-XRDST",
                         "250 AUTH=LOGIN"});
        CHECK(caps.auth_mechanisms() == sasl::mechanism_set{sasl::mechanism::login});
        CHECK(caps.has_keyword("X-ANONYMOUSTLS"));
        CHECK(caps.parameters("x-exps") == "GSSAPI NTLM");
        CHECK(caps.has_keyword("XRDST"));
        CHECK_FALSE(caps.has_keyword("X-EXPS GSSAPI"));
        // The first AUTH line is the one whose parameters are returned.
        CHECK(caps.parameters("AUTH") == "NTLM");
    }
}

TEST_CASE("capabilities: OpenSMTPD and aiosmtpd") {
    capabilities caps;
    SECTION("OpenSMTPD") {
        feed_wire(caps, {"250-mail.example.org Hello client.example.net [192.0.2.1], pleased to meet you",
                         "250-8BITMIME", "250-ENHANCEDSTATUSCODES", "250-SIZE 36700160",
                         "250-DSN", "250-STARTTLS", "250 HELP"});
        CHECK(caps.domain() == "mail.example.org");
        CHECK(caps.size_limit() == 36700160);
        CHECK(caps.extensions() == extension_set{extension::eight_bit_mime,
                                                 extension::enhanced_status_codes, extension::size,
                                                 extension::dsn, extension::starttls});
    }
    SECTION("aiosmtpd") {
        feed_wire(caps, {"250-devbox", "250-SIZE 33554432", "250-8BITMIME", "250-SMTPUTF8",
                         "250-STARTTLS", "250-AUTH LOGIN PLAIN", "250 HELP"});
        CHECK(caps.domain() == "devbox");
        CHECK(caps.size_limit() == 33554432);
        CHECK(caps.has_auth(sasl::mechanism::login));
        CHECK(caps.has_auth(sasl::mechanism::plain));
    }
}

TEST_CASE("capabilities: a one-line reply has a domain and no extensions") {
    capabilities caps;
    feed_wire(caps, {"250 mail.example.com"});
    CHECK(caps.domain() == "mail.example.com");
    CHECK(caps.extensions().empty());
    CHECK_FALSE(caps.has_keyword("mail.example.com"));
    // The domain alone, no greeting, and an address literal.
    REQUIRE(caps.add_line("[192.0.2.1]", true) == capability_error::ok);
    CHECK(caps.domain() == "[192.0.2.1]");
}

TEST_CASE("capabilities: keywords in lower and mixed case are recognised") {
    capabilities caps;
    REQUIRE(all_ok(feed(caps, {"mx.example.net", "starttls", "size 1000", "Auth=login Plain",
                               "8bitmime", "pipelining", "smtputf8", "enhancedstatuscodes", "dsn",
                               "chunking", "binarymime", "requiretls"})));
    CHECK(caps.has(extension::starttls));
    CHECK(caps.has(extension::size));
    CHECK(caps.size_limit() == 1000);
    CHECK(caps.has(extension::auth));
    CHECK(caps.has_auth(sasl::mechanism::login));
    CHECK(caps.has_auth(sasl::mechanism::plain));
    CHECK(caps.has(extension::eight_bit_mime));
    CHECK(caps.has(extension::pipelining));
    CHECK(caps.has(extension::smtputf8));
    CHECK(caps.has(extension::enhanced_status_codes));
    CHECK(caps.has(extension::dsn));
    CHECK(caps.has(extension::chunking));
    CHECK(caps.has(extension::binary_mime));
    CHECK(caps.has(extension::requiretls));
    CHECK(caps.has_keyword("STARTTLS"));
    CHECK(caps.has_keyword("StartTls"));
    CHECK(caps.parameters("SIZE") == "1000");
    CHECK(caps.parameters("AUTH") == "login Plain");
}

TEST_CASE("capabilities: SIZE without value, 0, garbage, overflow") {
    capabilities caps;
    REQUIRE(caps.add_line("mx.example.net", true) == capability_error::ok);
    SECTION("no parameter: SIZE is offered, no limit is known") {
        CHECK(caps.add_line("SIZE", false) == capability_error::ok);
        CHECK(caps.has(extension::size));
        CHECK(caps.size_limit() == 0);
        CHECK(caps.parameters("SIZE").empty());
    }
    SECTION("0: no fixed maximum (RFC 1870 §3)") {
        CHECK(caps.add_line("SIZE 0", false) == capability_error::ok);
        CHECK(caps.has(extension::size));
        CHECK(caps.size_limit() == 0);
        CHECK(caps.parameters("SIZE") == "0");
    }
    SECTION("the largest 64-bit value, and leading zeros") {
        CHECK(caps.add_line("SIZE 18446744073709551615", false) == capability_error::ok);
        CHECK(caps.size_limit() == 18446744073709551615u);
        CHECK(caps.add_line("SIZE 0000000000000000000000001000", false) == capability_error::ok);
        CHECK(caps.size_limit() == 1000);
    }
    SECTION("the legacy '=' form") {
        CHECK(caps.add_line("SIZE=2048", false) == capability_error::ok);
        CHECK(caps.size_limit() == 2048);
    }
    SECTION("bad values are refused, the other lines are kept") {
        CHECK(caps.add_line("PIPELINING", false) == capability_error::ok);
        for (std::string_view line :
             {"SIZE abc", "SIZE 10M", "SIZE -1", "SIZE +1", "SIZE 1 2", "SIZE 1.5", "SIZE 0x10",
              "SIZE 18446744073709551616", "SIZE 99999999999999999999999", "SIZE =1",
              "size 12a"}) {
            INFO("line '" << line << "'");
            CHECK(caps.add_line(line, false) == capability_error::bad_size_value);
            CHECK_FALSE(caps.has(extension::size));
            CHECK_FALSE(caps.has_keyword("SIZE"));
            CHECK(caps.size_limit() == 0);
        }
        CHECK(caps.add_line("STARTTLS", false) == capability_error::ok);
        CHECK(caps.has(extension::pipelining));
        CHECK(caps.has(extension::starttls));
        CHECK(caps.domain() == "mx.example.net");
    }
    SECTION("a good SIZE line before a bad one keeps its limit") {
        CHECK(caps.add_line("SIZE 5000", false) == capability_error::ok);
        CHECK(caps.add_line("SIZE 99999999999999999999999", false) ==
              capability_error::bad_size_value);
        CHECK(caps.has(extension::size));
        CHECK(caps.size_limit() == 5000);
    }
}

TEST_CASE("capabilities: duplicated keywords") {
    capabilities caps;
    REQUIRE(all_ok(feed(caps, {"mx.example.net", "SIZE 20000", "PIPELINING", "SIZE 10000",
                               "SIZE 0", "SIZE", "SIZE 30000", "pipelining", "AUTH PLAIN", "AUTH CRAM-MD5",
                               "AUTH=LOGIN"})));
    // The strictest limit stated wins; 0 and no value state none.
    CHECK(caps.size_limit() == 10000);
    CHECK(caps.parameters("SIZE") == "20000");
    CHECK(caps.has(extension::pipelining));
    // Mechanisms from every AUTH line.
    CHECK(caps.has_auth(sasl::mechanism::plain));
    CHECK(caps.has_auth(sasl::mechanism::cram_md5));
    CHECK(caps.has_auth(sasl::mechanism::login));
    CHECK(caps.parameters("AUTH") == "PLAIN");
}

TEST_CASE("capabilities: trailing and repeated spaces") {
    capabilities caps;
    REQUIRE(all_ok(feed(caps, {"mx.example.net   ", "STARTTLS ", "PIPELINING \t ",
                               "SIZE 1000   ", "AUTH   PLAIN  LOGIN  ", "X-FOO  a  b "})));
    CHECK(caps.domain() == "mx.example.net");
    CHECK(caps.has(extension::starttls));
    CHECK(caps.parameters("STARTTLS").empty());
    CHECK(caps.has(extension::pipelining));
    CHECK(caps.size_limit() == 1000);
    CHECK(caps.parameters("SIZE") == "1000");
    CHECK(caps.has_auth(sasl::mechanism::plain));
    CHECK(caps.has_auth(sasl::mechanism::login));
    CHECK(caps.parameters("AUTH") == "PLAIN  LOGIN");
    CHECK(caps.parameters("X-FOO") == "a  b");
}

TEST_CASE("capabilities: malformed lines are refused and record nothing") {
    capabilities caps;
    REQUIRE(caps.add_line("mx.example.net", true) == capability_error::ok);
    REQUIRE(caps.add_line("PIPELINING", false) == capability_error::ok);
    for (std::string_view line :
         {"", " ", "   ", " STARTTLS", "=PLAIN", "-STARTTLS", "_X", "START TLS\tX", "STARTTLS\tX",
          "X.Y", "X/Y", "X:1", "X@Y", "AUTH PLAIN\tLOGIN", "AUTH PL\xC3\xA9IN", "STAR\xC3\x9FTLS",
          "X-FOO a\x01", "X-FOO \x7F"}) {
        INFO("line '" << line << "'");
        CHECK(caps.add_line(line, false) == capability_error::bad_line);
    }
    CHECK(caps.add_line(std::string_view("STARTTLS\0", 9), false) == capability_error::bad_line);
    CHECK(caps.add_line(std::string_view("X-FOO a\0b", 9), false) == capability_error::bad_line);
    CHECK(caps.extensions() == extension_set{extension::pipelining});
    CHECK_FALSE(caps.has_keyword("START"));
    CHECK_FALSE(caps.has_keyword("X-FOO"));
    CHECK_FALSE(caps.has_auth(sasl::mechanism::plain));
    CHECK(caps.domain() == "mx.example.net");
}

TEST_CASE("capabilities: a malformed first line leaves no domain") {
    capabilities caps;
    REQUIRE(all_ok(feed(caps, {"mx.example.net", "STARTTLS"})));
    for (std::string_view line : {"", " ", "  mx.example.net", "mx\x01.example.net",
                                  "mx.\xFF.example.net", "\tmx.example.net"}) {
        INFO("line '" << line << "'");
        CHECK(caps.add_line(line, true) == capability_error::bad_line);
        CHECK(caps.domain().empty());
        CHECK(caps.extensions().empty());
    }
    // A UTF-8 domain (RFC 6531) is kept as sent.
    CHECK(caps.add_line("mx.b\xC3\xBC" "cher.example ESMTP", true) == capability_error::ok);
    CHECK(caps.domain() == "mx.b\xC3\xBC" "cher.example");
}

TEST_CASE("capabilities: clear() forgets everything") {
    capabilities caps;
    REQUIRE(all_ok(feed(caps, {"mx.example.net", "SIZE 100", "AUTH PLAIN", "X-FOO bar"})));
    caps.clear();
    CHECK(caps.domain().empty());
    CHECK(caps.extensions().empty());
    CHECK(caps.size_limit() == 0);
    CHECK_FALSE(caps.has_auth(sasl::mechanism::plain));
    CHECK_FALSE(caps.has_keyword("X-FOO"));
    CHECK(caps.parameters("X-FOO").empty());
    // Lines without a first line still record keywords.
    CHECK(caps.add_line("STARTTLS", false) == capability_error::ok);
    CHECK(caps.has(extension::starttls));
    CHECK(caps.domain().empty());
}

TEST_CASE("capabilities: storage overflow with 100 long unknown keywords") {
    capabilities caps;
    REQUIRE(caps.add_line("mx.example.net", true) == capability_error::ok);
    REQUIRE(caps.add_line("SIZE 4096", false) == capability_error::ok);
    std::vector<std::string> names;
    std::size_t stored = 0;
    bool full = false;
    for (int i = 0; i < 100; ++i) {
        std::string name = "X-VENDOR-EXTENSION-NUMBER-" + std::to_string(i);
        const std::string line = name + " " + std::string(20, 'p');
        const capability_error e = caps.add_line(line, false);
        if (e == capability_error::ok) {
            CHECK_FALSE(full);  // once full, it stays full
            ++stored;
        } else {
            CHECK(e == capability_error::too_many);
            full = true;
        }
        names.push_back(std::move(name));
    }
    CHECK(full);
    CHECK(stored > 5);
    CHECK(stored < 100);
    for (std::size_t i = 0; i < names.size(); ++i) {
        INFO("keyword " << names[i]);
        CHECK(caps.has_keyword(names[i]) == (i < stored));
        CHECK(caps.parameters(names[i]) == (i < stored ? std::string(20, 'p') : std::string()));
    }
    CHECK(caps.domain() == "mx.example.net");
    CHECK(caps.size_limit() == 4096);
    CHECK(caps.parameters("SIZE") == "4096");

    // Fill what little room is left, so that nothing more can be stored.
    int fillers = 0;
    while (caps.add_line("Z", false) == capability_error::ok) ++fillers;
    CHECK(fillers < 32);

    // A known extension after the overflow is still recorded: no silent downgrade.
    CHECK(caps.add_line("STARTTLS", false) == capability_error::too_many);
    CHECK(caps.add_line("AUTH PLAIN", false) == capability_error::too_many);
    CHECK(caps.add_line("SIZE 1000", false) == capability_error::too_many);
    CHECK(caps.has(extension::starttls));
    CHECK(caps.has_keyword("starttls"));
    CHECK(caps.has_auth(sasl::mechanism::plain));
    CHECK(caps.size_limit() == 1000);
    CHECK(caps.parameters("STARTTLS").empty());
    // Still validated when full.
    CHECK(caps.add_line("SIZE x", false) == capability_error::bad_size_value);
    CHECK(caps.add_line("=x", false) == capability_error::bad_line);
}

TEST_CASE("capabilities: too many short keywords, and one overlong line") {
    capabilities caps;
    REQUIRE(caps.add_line("mx.example.net", true) == capability_error::ok);
    std::size_t stored = 0;
    for (int i = 0; i < 100; ++i)
        if (caps.add_line("X" + std::to_string(i), false) == capability_error::ok) ++stored;
    CHECK(stored == capabilities::max_keywords);
    CHECK(caps.has_keyword("X0"));
    CHECK(caps.has_keyword("X" + std::to_string(capabilities::max_keywords - 1)));
    CHECK_FALSE(caps.has_keyword("X" + std::to_string(capabilities::max_keywords)));
    CHECK(caps.add_line("REQUIRETLS", false) == capability_error::too_many);
    CHECK(caps.has(extension::requiretls));
    CHECK(caps.add_line("AUTH=XOAUTH2", false) == capability_error::too_many);
    CHECK(caps.has_auth(sasl::mechanism::xoauth2));

    capabilities big;
    REQUIRE(big.add_line("mx.example.net", true) == capability_error::ok);
    CHECK(big.add_line("X-BIG " + std::string(2000, 'v'), false) == capability_error::too_many);
    CHECK_FALSE(big.has_keyword("X-BIG"));
    CHECK(big.add_line("X-SMALL v", false) == capability_error::ok);
    CHECK(big.add_line(std::string(3000, 'd'), true) == capability_error::too_many);
    CHECK(big.domain().empty());
    CHECK_FALSE(big.has_keyword("X-SMALL"));
}

TEST_CASE("capabilities: usable in constant expressions") {
    constexpr capabilities caps = [] {
        capabilities c;
        (void)c.add_line("mx.example.net ESMTP", true);
        (void)c.add_line("size 1048576", false);
        (void)c.add_line("starttls", false);
        (void)c.add_line("AUTH=LOGIN", false);
        return c;
    }();
    static_assert(caps.has(extension::starttls));
    static_assert(caps.size_limit() == 1048576);
    static_assert(caps.has_auth(sasl::mechanism::login));
    static_assert(!caps.has_auth(sasl::mechanism::plain));
    static_assert(caps.domain() == "mx.example.net");
    static_assert(caps.parameters("SIZE") == "1048576");
    CHECK(caps.has_keyword("STARTTLS"));
}
