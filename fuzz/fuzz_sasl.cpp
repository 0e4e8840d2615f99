// Fuzz target: the SASL parsers and writers (sasl/*.hpp) and xtext.
// Input: byte 0 chooses the entry point (mod 10); the rest is
//   modes 0, 2, 4, 6, 7, 8, 9: the text to parse;
//   modes 1, 3, 5: arguments for a writer: a length byte and that many bytes, again,
//   (mode 5: two bytes of port), then the rest as the last argument.
#include "smtpwire/sasl/bearer.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "smtpwire/sasl/gs2.hpp"
#include "smtpwire/sasl/login.hpp"
#include "smtpwire/sasl/mechanism.hpp"
#include "smtpwire/sasl/oauthbearer.hpp"
#include "smtpwire/sasl/plain.hpp"
#include "smtpwire/sasl/xoauth2.hpp"
#include "smtpwire/xtext.hpp"

#include "fuzz_support.hpp"

using namespace smtpwire;
using smtpwire_fuzz::check;
using smtpwire_fuzz::inside;

namespace {

constexpr std::string_view untouched = "untouched";

std::string plain_of(std::string_view z, std::string_view c, std::string_view p) {
    std::string m(sasl::plain_message_size(z, c, p), '?');
    check(sasl::plain_message(z, c, p, m.data()) == m.size(), "plain_message size");
    return m;
}

std::string xoauth2_of(std::string_view user, std::string_view token) {
    std::string m(sasl::xoauth2_message_size(user, token), '?');
    check(sasl::xoauth2_message(user, token, m.data()) == m.size(), "xoauth2_message size");
    return m;
}

std::string oauthbearer_of(std::string_view z, std::string_view host, std::uint16_t port,
                           std::string_view token) {
    std::string m(sasl::oauthbearer_message_size(z, host, port, token), '?');
    check(sasl::oauthbearer_message(z, host, port, token, m.data()) == m.size(),
          "oauthbearer_message size");
    return m;
}

// Decodes JSON string contents, nothing when refused; in place and into a separate
// buffer must agree.
std::optional<std::string> json_decoded(std::string_view raw) {
    std::string out(raw.size(), '?');
    std::size_t n = 99;
    const bool ok = sasl::json_string_decode(raw, out.data(), n);
    std::string in_place(raw);
    std::size_t m = 99;
    check(sasl::json_string_decode(in_place, in_place.data(), m) == ok,
          "json_string_decode in place disagrees", raw);
    if (!ok) {
        check(n == 0 && m == 0, "json_string_decode failure with output", raw);
        return std::nullopt;
    }
    check(n <= raw.size() && n == m && in_place.compare(0, m, out, 0, n) == 0,
          "json_string_decode in place differs", raw);
    out.resize(n);
    return out;
}

std::optional<std::string> saslname_decoded(std::string_view s) {
    std::string out(s.size(), '?');
    std::size_t n = 99;
    if (!sasl::saslname_decode(s, out.data(), n)) {
        check(n == 0 && !sasl::is_saslname(s), "saslname_decode refuses a saslname", s);
        return std::nullopt;
    }
    check(sasl::is_saslname(s), "saslname_decode accepts what is_saslname refuses", s);
    out.resize(n);
    return out;
}

void fuzz_plain_parse(std::string_view text) {
    sasl::plain_credentials c{untouched, untouched, untouched};
    if (!sasl::parse_plain(text, c)) {
        check(c.user.data() == untouched.data(), "parse_plain wrote on failure", text);
        return;
    }
    check(inside(c.authorization_id, text) && inside(c.user, text) && inside(c.password, text),
          "parse_plain views outside the message", text);
    check(sasl::plain_arguments_valid(c.authorization_id, c.user, c.password),
          "parse_plain accepts parts plain_arguments_valid refuses", text);
    check(plain_of(c.authorization_id, c.user, c.password) == text,
          "parsed PLAIN parts rebuild another message", text);
}

void fuzz_plain_write(std::string_view z, std::string_view c, std::string_view p) {
    const std::string m = plain_of(z, c, p);
    sasl::plain_credentials got{};
    const bool ok = sasl::parse_plain(m, got);
    // With no NUL in a part, the parser splits exactly at the two NULs the writer wrote.
    check(ok == sasl::plain_arguments_valid(z, c, p),
          "plain_arguments_valid and parse_plain disagree", m);
    if (ok)
        check(got.authorization_id == z && got.user == c && got.password == p,
              "PLAIN parts change through the message", m);
}

void fuzz_xoauth2_parse(std::string_view text) {
    sasl::bearer_credentials c{untouched, untouched};
    if (!sasl::parse_xoauth2(text, c)) {
        check(c.user.data() == untouched.data(), "parse_xoauth2 wrote on failure", text);
        return;
    }
    check(inside(c.user, text) && inside(c.token, text), "parse_xoauth2 views outside", text);
    check(sasl::xoauth2_arguments_valid(c.user, c.token),
          "parse_xoauth2 accepts what xoauth2_arguments_valid refuses", text);
    sasl::bearer_credentials again{};
    const std::string m = xoauth2_of(c.user, c.token);
    check(sasl::parse_xoauth2(m, again) && again.user == c.user && again.token == c.token,
          "rebuilt XOAUTH2 message parses differently", m);
}

void fuzz_xoauth2_write(std::string_view user, std::string_view token) {
    if (!sasl::xoauth2_arguments_valid(user, token)) return;
    const std::string m = xoauth2_of(user, token);
    sasl::bearer_credentials c{};
    check(sasl::parse_xoauth2(m, c) && c.user == user && c.token == token,
          "valid XOAUTH2 arguments do not come back", m);
}

void fuzz_oauthbearer_parse(std::string_view text) {
    sasl::oauthbearer_credentials c{untouched, untouched, untouched, 7};
    if (!sasl::parse_oauthbearer(text, c)) {
        check(c.host.data() == untouched.data() && c.port == 7, "parse_oauthbearer wrote on failure",
              text);
        return;
    }
    check(inside(c.authorization_id, text) && inside(c.host, text) && inside(c.token, text),
          "parse_oauthbearer views outside", text);
    check(c.token.empty() || sasl::is_b64token(c.token), "token outside b64token", text);
    const std::optional<std::string> authzid =
        c.authorization_id.empty() ? std::string() : saslname_decoded(c.authorization_id);
    check(authzid.has_value(), "authzid accepted that is no saslname", text);
    const std::string& z = *authzid;
    // Hosts with spaces or CR LF are accepted but never written; rebuild the others.
    const std::string_view host = ascii::all_of(c.host, ascii::vchar) ? c.host : std::string_view();
    check(sasl::oauthbearer_arguments_valid(z, host, c.token),
          "parsed OAUTHBEARER values the client could not send", text);
    const std::string m = oauthbearer_of(z, host, c.port, c.token);
    sasl::oauthbearer_credentials again{};
    check(sasl::parse_oauthbearer(m, again) && again.authorization_id == c.authorization_id &&
              again.host == host && again.port == c.port && again.token == c.token,
          "rebuilt OAUTHBEARER message parses differently", m);
}

void fuzz_oauthbearer_write(std::string_view z, std::string_view host, std::uint16_t port,
                            std::string_view token) {
    if (!sasl::oauthbearer_arguments_valid(z, host, token)) return;
    const std::string m = oauthbearer_of(z, host, port, token);
    sasl::oauthbearer_credentials c{};
    check(sasl::parse_oauthbearer(m, c), "valid OAUTHBEARER arguments refused", m);
    check((z.empty() ? std::optional<std::string>(std::string()) : saslname_decoded(c.authorization_id)) == z &&
              c.host == host && c.port == port && c.token == token,
          "OAUTHBEARER values change through the message", m);
}

void fuzz_bearer_error(std::string_view text) {
    sasl::bearer_error e{untouched, untouched, untouched, untouched};
    if (!sasl::parse_bearer_error(text, e)) {
        check(e.status.data() == untouched.data(), "parse_bearer_error wrote on failure", text);
        check(!sasl::is_xoauth2_error(text), "is_xoauth2_error without an error object", text);
        return;
    }
    check(sasl::is_xoauth2_error(text), "is_xoauth2_error refuses an error object", text);
    check(!e.status.empty() && inside(e.status, text) && inside(e.schemes, text) &&
              inside(e.scope, text) && inside(e.openid_configuration, text),
          "parse_bearer_error views", text);
    // Decoded and written again, the values come back.
    const std::optional<std::string> status_text = json_decoded(e.status);
    const std::optional<std::string> scope_text = json_decoded(e.scope);
    const std::optional<std::string> config_text = json_decoded(e.openid_configuration);
    const std::optional<std::string> schemes_text = json_decoded(e.schemes);
    if (!status_text || !scope_text || !config_text || !schemes_text || status_text->empty())
        return;  // a number or literal's text is decoded as is; escapes may be refused
    const std::string& status = *status_text;
    const std::string& scope = *scope_text;
    const std::string& config = *config_text;
    const std::string& schemes = *schemes_text;
    std::string w(sasl::oauthbearer_error_size(status, scope, config), '?');
    check(sasl::oauthbearer_error(status, scope, config, w.data()) == w.size(),
          "oauthbearer_error size");
    sasl::bearer_error back{};
    check(sasl::parse_bearer_error(w, back), "written error object refused", w);
    check(json_decoded(back.status) == status && json_decoded(back.scope) == scope &&
              json_decoded(back.openid_configuration) == config,
          "error object values change", w);
    std::string x(sasl::xoauth2_error_size(status, schemes, scope), '?');
    check(sasl::xoauth2_error(status, schemes, scope, x.data()) == x.size(), "xoauth2_error size");
    check(sasl::parse_bearer_error(x, back) && json_decoded(back.schemes) == schemes,
          "XOAUTH2 error object values change", x);
}

void fuzz_xtext(std::string_view text) {
    std::string out(xtext_decoded_max(text.size()), '?');
    std::size_t n = 99;
    const bool ok = xtext_decode(text, out.data(), n);
    check(ok == is_xtext(text), "xtext_decode and is_xtext disagree", text);
    std::string in_place(text);
    std::size_t m = 99;
    check(xtext_decode(in_place, in_place.data(), m) == ok, "xtext in place disagrees", text);
    if (ok) {
        check(n == m && in_place.compare(0, m, out, 0, n) == 0, "xtext in place differs", text);
        out.resize(n);
        // Re-encoding is canonical: it decodes back, and is no longer than the input.
        std::string again(xtext_encoded_size(out), '?');
        check(xtext_encode(out, again.data()) == again.size(), "xtext_encode size");
        check(again.size() <= text.size() && is_xtext(again), "re-encoded xtext", again);
    } else {
        check(n == 0 && m == 0, "xtext_decode failure with output", text);
    }
    // Any octets encode to xtext that decodes back to them.
    std::string coded(xtext_encoded_size(text), '?');
    check(xtext_encode(text, coded.data()) == coded.size(), "xtext_encode size");
    std::string back(coded.size(), '?');
    check(is_xtext(coded) && xtext_decode(coded, back.data(), n) && back.compare(0, n, text) == 0 &&
              n == text.size(),
          "xtext round trip", text);
}

void fuzz_gs2(std::string_view text) {
    if (const std::optional<std::string> decoded = saslname_decoded(text)) {
        std::string coded(sasl::saslname_encoded_size(*decoded), '?');
        check(sasl::saslname_encode(*decoded, coded.data()) == coded.size(), "saslname size");
        check(coded == text, "saslname encoding is not canonical", text);
    }
    sasl::gs2_header h{};
    h.cb_name = untouched;
    if (!sasl::parse_gs2_header(text, h)) {
        check(h.cb_name.data() == untouched.data(), "parse_gs2_header wrote on failure", text);
        return;
    }
    check(h.size >= 3 && h.size <= text.size() && text[h.size - 1] == ',' &&
              inside(h.cb_name, text) && inside(h.authzid, text),
          "parse_gs2_header size or views", text);
    const std::optional<std::string> authzid =
        h.authzid.empty() ? std::string() : saslname_decoded(h.authzid);
    check(authzid.has_value(), "gs2 authzid is no saslname", text);
    const std::string& z = *authzid;
    std::string w(sasl::gs2_header_size(h.cb_flag, h.cb_name, z), '?');
    check(sasl::write_gs2_header(h.cb_flag, h.cb_name, z, w.data()) == w.size(), "gs2 size");
    check(w == text.substr(h.nonstandard ? 2 : 0, h.size - (h.nonstandard ? 2 : 0)),
          "gs2 header rewritten differently", text);
}

void fuzz_names(std::string_view text) {
    const sasl::mechanism_set set = sasl::parse_mechanism_list(text);
    std::string w(sasl::mechanism_list_size(set), '?');
    check(sasl::write_mechanism_list(set, w.data()) == w.size(), "mechanism list size");
    check(sasl::parse_mechanism_list(w) == set, "mechanism list round trip", text);
    sasl::mechanism m{};
    if (sasl::parse_mechanism(text, m))
        check(ascii::iequals(sasl::to_string(m), text), "mechanism name", text);
    for (std::size_t sent = 0; sent < 3; ++sent) {
        const sasl::login_answer a = sasl::answer_login_prompt(text, sent);
        check((sent >= 2) == (a == sasl::login_answer::cancel), "LOGIN answer", text);
    }
    std::string_view token = untouched;
    if (sasl::parse_bearer_credentials(text, token))
        check(sasl::is_b64token(token) && inside(token, text) && token.size() + 7 <= text.size(),
              "bearer credentials", text);
    else
        check(token.data() == untouched.data(), "parse_bearer_credentials wrote on failure", text);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    smtpwire_fuzz::input_reader in(smtpwire_fuzz::as_text(data, size));
    const unsigned mode = in.byte() % 10u;
    const smtpwire_fuzz::exact_copy copy(in.rest());
    const std::string_view text = copy.view();
    smtpwire_fuzz::input_reader args(text);
    switch (mode) {
    case 0: fuzz_plain_parse(text); break;
    case 1: {
        const std::string_view z = args.bytes(args.byte());
        const std::string_view c = args.bytes(args.byte());
        fuzz_plain_write(z, c, args.rest());
        break;
    }
    case 2: fuzz_xoauth2_parse(text); break;
    case 3: {
        const std::string_view user = args.bytes(args.byte());
        fuzz_xoauth2_write(user, args.rest());
        break;
    }
    case 4: fuzz_oauthbearer_parse(text); break;
    case 5: {
        const std::string_view z = args.bytes(args.byte());
        const std::string_view host = args.bytes(args.byte());
        const std::uint16_t port = args.u16();
        fuzz_oauthbearer_write(z, host, port, args.rest());
        break;
    }
    case 6: fuzz_bearer_error(text); break;
    case 7: fuzz_xtext(text); break;
    case 8: fuzz_gs2(text); break;
    default: fuzz_names(text); break;
    }
    return 0;
}
