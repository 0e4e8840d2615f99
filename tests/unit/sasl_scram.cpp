#include "smtpwire/sasl/scram.hpp"
#include "smtpwire/base64.hpp"
#include "smtpwire/crypto/hmac.hpp"
#include "smtpwire/crypto/pbkdf2.hpp"
#include "smtpwire/crypto/sha256.hpp"
#include "support/catch.hpp"
#include "support/crypto.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

using namespace std::string_literals;
using smtpwire::sasl::make_scram_credentials;
using smtpwire::sasl::scram_credentials;
using smtpwire::sasl::scram_error;
using smtpwire::sasl::scram_max_message_size;
using smtpwire::sasl::scram_max_iterations;
using smtpwire::sasl::scram_sha256_client;
using smtpwire::sasl::scram_sha256_server;
using smtpwire_test::hex;

namespace {
// RFC 7677 section 3.
constexpr std::string_view rfc_client_nonce = "rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view rfc_server_nonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr std::string_view rfc_client_first = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view rfc_server_first =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view rfc_client_final =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view rfc_server_final = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
constexpr std::string_view rfc_nonce =
    "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";

std::string base64(std::string_view octets) {
    std::string out(smtpwire::base64_encoded_size(octets.size()), '?');
    (void)smtpwire::base64_encode(octets, out.data());
    return out;
}

std::string unbase64(std::string_view text) {
    std::string out(smtpwire::base64_decoded_max(text.size()), '?');
    std::size_t written = 0;
    REQUIRE(smtpwire::base64_decode(text, out.data(), written));
    out.resize(written);
    return out;
}

const std::string& rfc_salt() {
    static const std::string salt = unbase64("W22ZaJ0SNY7soEsUEjb6gQ==");
    return salt;
}

const scram_credentials& rfc_credentials() {
    static const scram_credentials credentials =
        make_scram_credentials("pencil", rfc_salt(), 4096);
    return credentials;
}

// A client-final message computed here from the crypto primitives, for gs2 headers and
// extensions scram_sha256_client does not send (RFC 5802 section 3).
std::string client_final_for(std::string_view gs2_header, std::string_view bare,
                             std::string_view server_first, std::string_view password,
                             std::string_view extensions = "") {
    using smtpwire::crypto::as_bytes;
    using smtpwire::crypto::hmac;
    using smtpwire::crypto::sha256;
    const std::string_view nonce = server_first.substr(2, server_first.find(',') - 2);
    const std::string without_proof =
        "c=" + base64(gs2_header) + ",r=" + std::string(nonce) + std::string(extensions);
    const std::string auth_message = std::string(bare) + "," + std::string(server_first) + "," +
                                     without_proof;
    std::array<unsigned char, 32> salted{};
    smtpwire::crypto::pbkdf2_hmac<sha256>(password, rfc_salt(), 4096, salted.data(), 32);
    const auto client_key = hmac<sha256>::compute(as_bytes(salted), "Client Key");
    const auto stored_key = sha256::hash(as_bytes(client_key));
    const auto signature = hmac<sha256>::compute(as_bytes(stored_key), auth_message);
    std::string proof(32, '\0');
    for (std::size_t i = 0; i < 32; ++i)
        proof[i] = static_cast<char>(client_key[i] ^ signature[i]);
    return without_proof + ",p=" + base64(proof);
}

// A server that has read `client_first` and built its server-first message with the RFC
// example's credentials and server nonce.
void start_server(scram_sha256_server& server, std::string_view client_first) {
    REQUIRE(server.read_client_first(client_first) == scram_error::ok);
    REQUIRE(server.start(rfc_server_nonce, rfc_credentials()) == scram_error::ok);
}

// A client that has sent the RFC example's client-first message.
void start_client(scram_sha256_client& client) {
    REQUIRE(client.start("user", rfc_client_nonce) == scram_error::ok);
}

// What the client's respond() says to `server_first` (after the RFC client-first).
scram_error client_respond(std::string_view server_first,
                           std::uint32_t max_iterations = scram_max_iterations) {
    scram_sha256_client client;
    start_client(client);
    const scram_error e = client.respond(server_first, "pencil", max_iterations);
    if (e != scram_error::ok) CHECK(client.client_final().empty());
    return e;
}

// What the server's verify_client_final() says to `client_final` (after the RFC
// client-first and server-first).
scram_error server_verify(std::string_view client_final) {
    scram_sha256_server server;
    start_server(server, rfc_client_first);
    const scram_error e = server.verify_client_final(client_final);
    if (e != scram_error::ok) CHECK(server.server_final().empty());
    return e;
}

// What the server's read_client_first() says to `client_first`.
scram_error server_read(std::string_view client_first) {
    scram_sha256_server server;
    const scram_error e = server.read_client_first(client_first);
    if (e != scram_error::ok) CHECK(server.user().empty());
    return e;
}

// The RFC server-first message with its own nonce and salt attributes replaced.
std::string server_first_with(std::string_view tail) {
    return "r=" + std::string(rfc_nonce) + std::string(tail);
}
} // namespace

TEST_CASE("scram: RFC 7677 example, client side") {
    scram_sha256_client client;
    CHECK(client.client_first().empty());
    REQUIRE(client.start("user", rfc_client_nonce) == scram_error::ok);
    CHECK(client.client_first() == rfc_client_first);
    CHECK(client.client_final().empty());
    REQUIRE(client.respond(rfc_server_first, "pencil") == scram_error::ok);
    CHECK(client.client_final() == rfc_client_final);
    CHECK(client.verify_server_final(rfc_server_final) == scram_error::ok);
    // The exchange is over.
    CHECK(client.verify_server_final(rfc_server_final) == scram_error::malformed);
    CHECK(client.client_final() == rfc_client_final);
}

TEST_CASE("scram: RFC 7677 example, server side") {
    const scram_credentials& credentials = rfc_credentials();
    CHECK(hex(credentials.stored_key) ==
          "586e5df283e6dceb5c3e791d8b8528ec191e664045ce971792e2e6b5bb13e2a6");
    CHECK(hex(credentials.server_key) ==
          "c1f3cbc1c13a9d35a14c0990eed97629ea225863e566a4314ab99f3f00e5d9d5");
    CHECK(credentials.salt.data() == rfc_salt().data());
    CHECK(credentials.iterations == 4096);

    scram_sha256_server server;
    REQUIRE(server.read_client_first(rfc_client_first) == scram_error::ok);
    CHECK(server.user() == "user");
    CHECK(server.authorization_id().empty());
    CHECK(server.server_first().empty());
    REQUIRE(server.start(rfc_server_nonce, credentials) == scram_error::ok);
    CHECK(server.server_first() == rfc_server_first);
    CHECK(server.server_final().empty());
    REQUIRE(server.verify_client_final(rfc_client_final) == scram_error::ok);
    CHECK(server.server_final() == rfc_server_final);
    CHECK(server.verify_client_final(rfc_client_final) == scram_error::malformed);
    CHECK(server.server_final() == rfc_server_final);
}

TEST_CASE("scram: to_string names every error") {
    for (const scram_error e :
         {scram_error::ok, scram_error::malformed, scram_error::channel_binding_unsupported,
          scram_error::nonce_mismatch, scram_error::iterations_too_low,
          scram_error::iterations_too_high, scram_error::message_too_long, scram_error::invalid_proof,
          scram_error::invalid_server_signature, scram_error::server_error}) {
        CHECK_FALSE(to_string(e).empty());
        CHECK(to_string(e) != "unknown scram_error");
    }
    CHECK(to_string(scram_error::invalid_proof) == "invalid client proof");
}

TEST_CASE("scram: client and server agree, with user names that need escaping") {
    const std::string names[] = {
        "user", ",", "=", "a,b=c", "=2C", "==,,", "x=3D,=2C", "J\xC3\xBCrgen", "a b", "\x01\x7F",
        std::string(200, ','), // 600 octets escaped: over the limit, refused below
    };
    for (const std::string& name : names) {
        CAPTURE(name);
        scram_sha256_client client;
        const scram_error started = client.start(name, "fyko+d2lbbFgONRv9qkxdawL");
        if (name.size() == 200) {
            CHECK(started == scram_error::message_too_long);
            CHECK(client.client_first().empty());
            continue;
        }
        REQUIRE(started == scram_error::ok);
        std::string escaped;
        for (const char c : name)
            escaped += c == ',' ? "=2C" : c == '=' ? "=3D" : std::string(1, c);
        CHECK(client.client_first() == "n,,n=" + escaped + ",r=fyko+d2lbbFgONRv9qkxdawL");

        scram_sha256_server server;
        REQUIRE(server.read_client_first(client.client_first()) == scram_error::ok);
        CHECK(server.user() == name);
        CHECK(server.authorization_id().empty());
        REQUIRE(server.start("3rfcNHYJY1ZVvWVs7j", rfc_credentials()) == scram_error::ok);
        REQUIRE(client.respond(server.server_first(), "pencil") == scram_error::ok);
        REQUIRE(server.verify_client_final(client.client_final()) == scram_error::ok);
        CHECK(client.verify_server_final(server.server_final()) == scram_error::ok);
    }
}

TEST_CASE("scram: a wrong password is an invalid proof") {
    scram_sha256_client client;
    start_client(client);
    scram_sha256_server server;
    start_server(server, client.client_first());
    REQUIRE(client.respond(server.server_first(), "pencil!") == scram_error::ok);
    CHECK(server.verify_client_final(client.client_final()) == scram_error::invalid_proof);
    CHECK(server.server_final().empty());
    CHECK(server.verify_client_final(rfc_client_final) == scram_error::malformed);

    // Every changed octet of the proof is found.
    const std::string good(rfc_client_final);
    const std::size_t proof = good.find(",p=") + 3;
    for (std::size_t i = proof; i + 1 < good.size(); ++i) {
        std::string bad = good;
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        CAPTURE(bad);
        const scram_error e = server_verify(bad);
        CHECK((e == scram_error::invalid_proof || e == scram_error::malformed));
    }
}

TEST_CASE("scram: a tampered or missing server signature is refused") {
    scram_sha256_client responded;
    start_client(responded);
    REQUIRE(responded.respond(rfc_server_first, "pencil") == scram_error::ok);
    const std::string good(rfc_server_final);
    for (std::size_t i = 2; i + 1 < good.size(); ++i) {
        std::string bad = good;
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        CAPTURE(bad);
        scram_sha256_client client = responded;
        const scram_error e = client.verify_server_final(bad);
        CHECK((e == scram_error::invalid_server_signature || e == scram_error::malformed));
        CHECK(client.verify_server_final(good) == scram_error::malformed); // over
    }
    // A server that knows a different password signs with a different key.
    scram_sha256_client client;
    start_client(client);
    scram_sha256_server server;
    REQUIRE(server.read_client_first(client.client_first()) == scram_error::ok);
    REQUIRE(server.start(rfc_server_nonce, make_scram_credentials("pencil", rfc_salt(), 4096)) ==
            scram_error::ok);
    REQUIRE(client.respond(server.server_first(), "pencil") == scram_error::ok);
    REQUIRE(server.verify_client_final(client.client_final()) == scram_error::ok);
    scram_sha256_client other;
    start_client(other);
    REQUIRE(other.respond(server.server_first(), "pencil2") == scram_error::ok);
    CHECK(other.verify_server_final(server.server_final()) ==
          scram_error::invalid_server_signature);
}

TEST_CASE("scram: server-final messages the client reads") {
    scram_sha256_client responded;
    start_client(responded);
    REQUIRE(responded.respond(rfc_server_first, "pencil") == scram_error::ok);
    const auto verify = [&responded](std::string_view server_final) {
        scram_sha256_client client = responded;
        return client.verify_server_final(server_final);
    };
    CHECK(verify(rfc_server_final) == scram_error::ok);
    CHECK(verify(std::string(rfc_server_final) + ",x=extension") == scram_error::ok);
    CHECK(verify("e=invalid-proof") == scram_error::server_error);
    CHECK(verify("e=other-error,x=1") == scram_error::server_error);
    CHECK(verify("") == scram_error::malformed);
    CHECK(verify("v=") == scram_error::malformed);
    CHECK(verify("e=") == scram_error::malformed);
    CHECK(verify("x=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=") == scram_error::malformed);
    CHECK(verify(std::string(rfc_server_final) + ",") == scram_error::malformed);
    CHECK(verify(std::string(rfc_server_final) + ",m=x") == scram_error::malformed);
    CHECK(verify("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4") == scram_error::malformed);
    CHECK(verify("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=\0"s) == scram_error::malformed);
    CHECK(verify("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95A==") == scram_error::malformed);
    CHECK(verify("v=" + base64(std::string(33, 'x'))) == scram_error::malformed);
    CHECK(verify("v=" + std::string(scram_max_message_size, 'A')) ==
          scram_error::message_too_long);
}

TEST_CASE("scram: the client checks the nonce and the iteration count") {
    CHECK(client_respond(rfc_server_first) == scram_error::ok);
    // The nonce must start with the client's own.
    CHECK(client_respond("r=rOprNGfwEbeRWgbNEkqP%hvYD,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096") ==
          scram_error::nonce_mismatch);
    CHECK(client_respond("r=rOprNGfwEbeRWgbNEkq,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096") ==
          scram_error::nonce_mismatch);
    CHECK(client_respond("r=XrOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096") ==
          scram_error::nonce_mismatch);
    // The grammar allows the server to add nothing; the client accepts it.
    CHECK(client_respond("r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096") ==
          scram_error::ok);
    // RFC 7677 section 4: at least 4096 iterations.
    CHECK(client_respond(server_first_with(",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095")) ==
          scram_error::iterations_too_low);
    CHECK(client_respond(server_first_with(",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1")) ==
          scram_error::iterations_too_low);
    CHECK(client_respond(server_first_with(",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4097")) ==
          scram_error::ok);
    // A hostile count is refused before any hashing; the limit is the caller's.
    CHECK(client_respond(server_first_with(",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4294967295")) ==
          scram_error::iterations_too_high);
    CHECK(client_respond(server_first_with(",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000001")) ==
          scram_error::iterations_too_high);
    CHECK(client_respond(server_first_with(",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4097"), 4096) ==
          scram_error::iterations_too_high);
    CHECK(client_respond(server_first_with(",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"), 4096) ==
          scram_error::ok);
}

TEST_CASE("scram: malformed server-first messages") {
    const std::string salt = ",s=W22ZaJ0SNY7soEsUEjb6gQ==";
    const std::string cases[] = {
        "",
        "r=" + std::string(rfc_nonce),                                    // no salt, no count
        server_first_with(salt),                                           // no count
        server_first_with(",i=4096"),                                      // no salt
        server_first_with(",i=4096" + salt),                               // out of order
        "s=W22ZaJ0SNY7soEsUEjb6gQ==,r=" + std::string(rfc_nonce) + ",i=4096",
        "m=ext," + std::string(rfc_server_first),                         // mandatory extension
        std::string(rfc_server_first) + ",m=ext",
        std::string(rfc_server_first) + ",",                               // trailing comma
        std::string(rfc_server_first) + ",x",                              // not an attribute
        std::string(rfc_server_first) + ",x=",                             // empty value
        std::string(rfc_server_first) + ",1=2",                            // name not ALPHA
        server_first_with(",s=,i=4096"),                                   // empty salt
        server_first_with(",s=W22ZaJ0SNY7soEsUEjb6gQ=,i=4096"),            // bad base64
        server_first_with(",s=W22ZaJ0SNY7soEsUEjb6gQ==\r\n,i=4096"),
        server_first_with(",s=====,i=4096"),
        server_first_with(salt + ",i=0"),
        server_first_with(salt + ",i=04096"),
        server_first_with(salt + ",i=-4096"),
        server_first_with(salt + ",i=+4096"),
        server_first_with(salt + ",i=4096x"),
        server_first_with(salt + ",i= 4096"),
        server_first_with(salt + ",i=4294967296"),                         // 2^32
        server_first_with(salt + ",i=99999999999999999999"),
        server_first_with(salt + ",i="),
        "r=,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",                            // empty nonce
        "r=rOprNGfwEbeRWgbNEkqO\x7F,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",     // not printable
        "r=rOprNGfwEbeRWgbNEkqO x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        std::string(rfc_server_first) + ",x=\xFF",                         // not UTF-8
        std::string(rfc_server_first) + ",x=a\0b"s,                        // NUL
        "R=" + std::string(rfc_server_first.substr(2)),                   // names are exact
        " " + std::string(rfc_server_first),
    };
    for (const std::string& s : cases) {
        CAPTURE(s);
        CHECK(client_respond(s) == scram_error::malformed);
    }
    // Extensions the client does not know are ignored; 2^32 - 1 is a valid count (not
    // computed: the nonce is wrong, which is checked before the expensive part).
    CHECK(client_respond(std::string(rfc_server_first) + ",x=y,z=a=b") == scram_error::ok);
    CHECK(client_respond("r=wrong,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4294967295") ==
          scram_error::nonce_mismatch);
}

TEST_CASE("scram: over-long messages are refused, not truncated") {
    // A server-first of exactly the limit is read; one octet more is refused.
    const std::string head = std::string(rfc_server_first) + ",x=";
    const std::string at_limit = head + std::string(scram_max_message_size - head.size(), 'y');
    CHECK(client_respond(at_limit) == scram_error::ok);
    CHECK(client_respond(at_limit + "y") == scram_error::message_too_long);
    // A nonce that fits the server-first but not the client-final with its proof.
    const std::string long_nonce =
        "r=" + std::string(rfc_client_nonce) + std::string(450, 'n') + ",s=AAAA,i=4096";
    CHECK(client_respond(long_nonce) == scram_error::message_too_long);

    // The client's own first message.
    scram_sha256_client client;
    CHECK(client.start(std::string(scram_max_message_size, 'u'), "nonce") ==
          scram_error::message_too_long);
    CHECK(client.client_first().empty());
    scram_sha256_client fits;
    const std::size_t room = scram_max_message_size - std::string_view("n,,n=,r=nonce").size();
    CHECK(fits.start(std::string(room, 'u'), "nonce") == scram_error::ok);
    CHECK(fits.client_first().size() == scram_max_message_size);

    // The server's reads and its own server-first.
    const std::string client_first = "n,,n=user,r=" + std::string(500, 'r');
    CHECK(server_read(client_first) == scram_error::ok);
    scram_sha256_server server;
    REQUIRE(server.read_client_first(client_first) == scram_error::ok);
    CHECK(server.start(rfc_server_nonce, rfc_credentials()) == scram_error::message_too_long);
    CHECK(server.server_first().empty());
    CHECK(server_read(client_first + std::string(scram_max_message_size, 'r')) ==
          scram_error::message_too_long);
    CHECK(server_verify(std::string(rfc_client_final) + std::string(scram_max_message_size, 'x')) ==
          scram_error::message_too_long);
}

TEST_CASE("scram: client-first messages the server reads") {
    CHECK(server_read("n,,n=user,r=abc") == scram_error::ok);
    CHECK(server_read("y,,n=user,r=abc") == scram_error::ok);
    CHECK(server_read("n,,n=user,r=abc,x=extension") == scram_error::ok);
    CHECK(server_read("n,,n=J\xC3\xBCrgen,r=abc") == scram_error::ok);

    scram_sha256_server server;
    REQUIRE(server.read_client_first("n,a=ad=2Cmin=3D,n=us=3Der=2C,r=abc") == scram_error::ok);
    CHECK(server.user() == "us=er,");
    CHECK(server.authorization_id() == "ad,min=");

    // Channel binding required by the client.
    CHECK(server_read("p=tls-unique,,n=user,r=abc") == scram_error::channel_binding_unsupported);
    CHECK(server_read("p=tls-server-end-point,a=x,n=user,r=abc") ==
          scram_error::channel_binding_unsupported);

    const std::string cases[] = {
        "", "n", "n,", "n,,", "n,,n", "n,,n=", "n,,n=user", "n,,n=user,", "n,,n=user,r=",
        "x,,n=user,r=abc",          // unknown cbind flag
        "F,n,,n=user,r=abc",        // GS2's non-standard flag is not part of SCRAM
        "nn,,n=user,r=abc", "n;,n=user,r=abc", "N,,n=user,r=abc",
        "n,a=,n=user,r=abc",        // empty authzid
        "n,b=x,n=user,r=abc",       // not an authzid
        "n,a=x=2y,n=user,r=abc",    // bad escape in the authzid
        "n,,n=us=er,r=abc",         // bare '='
        "n,,n=user=2c,r=abc",       // escapes are upper case
        "n,,n=user=2,r=abc", "n,,n=user=,r=abc",
        "n,,m=ext,n=user,r=abc",    // mandatory extension
        "n,,n=user,r=abc,m=ext",
        "n,,r=abc,n=user",          // out of order
        "n,,n=user,r=a c", "n,,n=user,r=a\x7F", "n,,n=user,r=\xC3\xBC",
        "n,,n=user,r=abc,",         // trailing comma
        "n,,n=user,r=abc,x=",
        "n,,n=us\xFFr,r=abc",       // not UTF-8
        "n,,n=us\0er,r=abc"s,       // NUL
        " n,,n=user,r=abc", "n,,n=user,r=abc ",
    };
    for (const std::string& s : cases) {
        CAPTURE(s);
        CHECK(server_read(s) == scram_error::malformed);
    }
}

TEST_CASE("scram: the server checks the channel binding attribute against the gs2 header") {
    // "y,,": c= is base64("y,,") = "eSws".
    {
        scram_sha256_server server;
        start_server(server, "y,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        const std::string good = client_final_for("y,,", "n=user,r=rOprNGfwEbeRWgbNEkqO",
                                                  server.server_first(), "pencil");
        CHECK(good.substr(0, 7) == "c=eSws,");
        REQUIRE(server.verify_client_final(good) == scram_error::ok);
        CHECK(server.server_final().substr(0, 2) == "v=");
    }
    // An authorization identity is part of the gs2 header c= repeats.
    {
        scram_sha256_server server;
        start_server(server, "n,a=admin,n=user,r=rOprNGfwEbeRWgbNEkqO");
        CHECK(server.user() == "user");
        CHECK(server.authorization_id() == "admin");
        REQUIRE(server.verify_client_final(client_final_for("n,a=admin,",
                                                            "n=user,r=rOprNGfwEbeRWgbNEkqO",
                                                            server.server_first(), "pencil")) ==
                scram_error::ok);
    }
    // c= that does not repeat the gs2 header.
    for (const std::string_view header : {"y,,", "n,a=admin,", "p=tls-unique,,", "n,", "n,,,"}) {
        CAPTURE(header);
        scram_sha256_server server;
        start_server(server, rfc_client_first);
        CHECK(server.verify_client_final(client_final_for(header, rfc_client_first.substr(3),
                                                          server.server_first(), "pencil")) ==
              scram_error::channel_binding_unsupported);
    }
    {
        scram_sha256_server server;
        start_server(server, "y,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        CHECK(server.verify_client_final(rfc_client_final) ==
              scram_error::channel_binding_unsupported);
    }
}

TEST_CASE("scram: client-final messages the server reads") {
    CHECK(server_verify(rfc_client_final) == scram_error::ok);
    // Extensions between the nonce and the proof are covered by the proof.
    const std::string bare(rfc_client_first.substr(3));
    CHECK(server_verify(client_final_for("n,,", bare, rfc_server_first, "pencil", ",x=1,y=a=b")) ==
          scram_error::ok);
    CHECK(server_verify(client_final_for("n,,", bare, rfc_server_first, "pencil", ",m=1")) ==
          scram_error::malformed);

    const std::string nonce(rfc_nonce);
    const std::string proof = "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    CHECK(server_verify("c=biws,r=" + nonce + "x," + proof) == scram_error::nonce_mismatch);
    CHECK(server_verify("c=biws,r=" + nonce.substr(1) + "," + proof) ==
          scram_error::nonce_mismatch);
    CHECK(server_verify("c=biws,r=" + std::string(rfc_client_nonce) + "," + proof) ==
          scram_error::nonce_mismatch);

    const std::string cases[] = {
        "",
        "c=biws",
        "c=biws,r=" + nonce,                                           // no proof
        "c=biws,r=" + nonce + ",",
        "r=" + nonce + ",c=biws," + proof,                             // out of order
        "c=biws," + proof + ",r=" + nonce,
        "r=" + nonce + "," + proof,                                    // no channel binding
        "c=biws,r=" + nonce + "," + proof + ",x=1",                    // proof not last
        "c=biws,r=" + nonce + "," + proof + "," + proof,
        "c=biws,r=" + nonce + ",p=",
        "c=biws,r=" + nonce + ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ",  // bad base64
        "c=biws,r=" + nonce + ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVR=", // pad bits
        "c=biws,r=" + nonce + ",p=" + base64(std::string(31, 'p')),    // 31 octets
        "c=biws,r=" + nonce + ",p=" + base64(std::string(33, 'p')),    // 33 octets
        "c=biws=,r=" + nonce + "," + proof,                            // bad base64
        "c=,r=" + nonce + "," + proof,
        "c=biws,r=" + nonce + ",m=x," + proof,
        "c=biws,r=" + nonce + "," + proof + "\0"s,
        "c=biws,r=" + nonce + ",x=\xC0\x80," + proof,                   // overlong UTF-8
    };
    for (const std::string& s : cases) {
        CAPTURE(s);
        CHECK(server_verify(s) == scram_error::malformed);
    }
}

TEST_CASE("scram: arguments the client refuses") {
    const std::string bad_users[] = {"", "a\0b"s, "\xFF", "\xC3"};
    for (const std::string& user : bad_users) {
        CAPTURE(user);
        scram_sha256_client client;
        CHECK(client.start(user, "nonce") == scram_error::malformed);
        CHECK(client.client_first().empty());
    }
    for (const std::string_view nonce : {"", "a,b", "a b", "a\x7F", "\xC3\xBC", "a\tb"}) {
        CAPTURE(nonce);
        scram_sha256_client client;
        CHECK(client.start("user", nonce) == scram_error::malformed);
    }
    scram_sha256_client client;
    CHECK(client.start("user", "!\"#$%&'()*+-./09:;<=>?@AZ[\\]^_`az{|}~") == scram_error::ok);
}

TEST_CASE("scram: arguments the server refuses") {
    const auto start = [](std::string_view nonce, const scram_credentials& credentials) {
        scram_sha256_server server;
        REQUIRE(server.read_client_first(rfc_client_first) == scram_error::ok);
        const scram_error e = server.start(nonce, credentials);
        if (e != scram_error::ok) CHECK(server.server_first().empty());
        return e;
    };
    CHECK(start(rfc_server_nonce, rfc_credentials()) == scram_error::ok);
    for (const std::string_view nonce : {"", "a,b", "a b", "\xC3\xBC"})
        CHECK(start(nonce, rfc_credentials()) == scram_error::malformed);
    scram_credentials no_salt = rfc_credentials();
    no_salt.salt = {};
    CHECK(start(rfc_server_nonce, no_salt) == scram_error::malformed);
    scram_credentials no_iterations = rfc_credentials();
    no_iterations.iterations = 0;
    CHECK(start(rfc_server_nonce, no_iterations) == scram_error::malformed);
    const std::string huge_salt(400, 's');
    scram_credentials long_salt = rfc_credentials();
    long_salt.salt = huge_salt;
    CHECK(start(rfc_server_nonce, long_salt) == scram_error::message_too_long);
    scram_credentials big_count = rfc_credentials();
    big_count.iterations = 4294967295u;
    scram_sha256_server server;
    REQUIRE(server.read_client_first(rfc_client_first) == scram_error::ok);
    REQUIRE(server.start("s", big_count) == scram_error::ok);
    CHECK(server.server_first() ==
          "r=rOprNGfwEbeRWgbNEkqOs,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4294967295");
}

TEST_CASE("scram: calls out of order change nothing, a failed step ends the exchange") {
    scram_sha256_client client;
    CHECK(client.respond(rfc_server_first, "pencil") == scram_error::malformed);
    CHECK(client.verify_server_final(rfc_server_final) == scram_error::malformed);
    start_client(client);
    CHECK(client.start("user", rfc_client_nonce) == scram_error::malformed);
    CHECK(client.verify_server_final(rfc_server_final) == scram_error::malformed);
    CHECK(client.client_first() == rfc_client_first);
    REQUIRE(client.respond(rfc_server_first, "pencil") == scram_error::ok);
    CHECK(client.respond(rfc_server_first, "pencil") == scram_error::malformed);
    CHECK(client.verify_server_final(rfc_server_final) == scram_error::ok);

    scram_sha256_server server;
    CHECK(server.start(rfc_server_nonce, rfc_credentials()) == scram_error::malformed);
    CHECK(server.verify_client_final(rfc_client_final) == scram_error::malformed);
    REQUIRE(server.read_client_first(rfc_client_first) == scram_error::ok);
    CHECK(server.read_client_first(rfc_client_first) == scram_error::malformed);
    CHECK(server.verify_client_final(rfc_client_final) == scram_error::malformed);
    REQUIRE(server.start(rfc_server_nonce, rfc_credentials()) == scram_error::ok);
    CHECK(server.start(rfc_server_nonce, rfc_credentials()) == scram_error::malformed);
    CHECK(server.verify_client_final(rfc_client_final) == scram_error::ok);

    // After a failure nothing more is accepted.
    scram_sha256_client failed;
    start_client(failed);
    CHECK(failed.respond("r=other,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "pencil") ==
          scram_error::nonce_mismatch);
    CHECK(failed.respond(rfc_server_first, "pencil") == scram_error::malformed);
    scram_sha256_server refused;
    CHECK(refused.read_client_first("n,,n=user") == scram_error::malformed);
    CHECK(refused.read_client_first(rfc_client_first) == scram_error::malformed);
    CHECK(refused.start(rfc_server_nonce, rfc_credentials()) == scram_error::malformed);
}

TEST_CASE("scram: the classes hold their buffers inline") {
    CHECK(sizeof(scram_sha256_client) <= 2048);
    CHECK(sizeof(scram_sha256_server) <= 2048);
}
