// Fuzz target: esmtp_param_reader, parse_mail_parameters() and parse_rcpt_parameters()
// on the text after a path. Input: byte 0 (bit 0 utf8 for the reader; bits 1-4 offer
// SIZE, 8BITMIME, SMTPUTF8, DSN); the rest is the parameter text (" SIZE=10 RET=HDRS").
#include "smtpwire/esmtp_param.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smtpwire/mail_parameters.hpp"
#include "smtpwire/rcpt_parameters.hpp"

#include "fuzz_support.hpp"

using namespace smtpwire;
using smtpwire_fuzz::check;
using smtpwire_fuzz::inside;

namespace {

struct param_list {
    std::vector<esmtp_param> params;
    param_error last = param_error::end;  // end, or the error that stopped the reader
};

// Reads every parameter of `text`, checking what each one is.
param_list read_all(std::string_view text, bool utf8) {
    param_list r;
    esmtp_param_reader reader(text, utf8);
    check(reader.current().empty(), "current() set before the first call");
    for (;;) {
        static constexpr std::string_view untouched = "untouched";
        esmtp_param p;
        p.keyword = untouched;
        const param_error e = reader.next(p);
        check(!to_string(e).empty(), "param_error without a name");
        check(inside(reader.current(), text), "current() outside the text", text);
        if (e != param_error::ok) {
            check(p.keyword.data() == untouched.data(), "output written without ok", text);
            esmtp_param again;
            check(reader.next(again) == e, "end or error not sticky", text);
            r.last = e;
            return r;
        }
        check(r.params.size() < text.size(), "reader yields more parameters than bytes", text);
        check(is_esmtp_keyword(p.keyword) && inside(p.keyword, text), "bad keyword accepted", text);
        check(p.has_value ? is_esmtp_value(p.value, utf8) && inside(p.value, text) : p.value.empty(),
              "bad value accepted", text);
        check(reader.current().size() == p.keyword.size() + (p.has_value ? 1 + p.value.size() : 0),
              "current() is not the parameter", text);
        r.params.push_back(p);
    }
}

std::string rejoin(const std::vector<esmtp_param>& params) {
    std::string s;
    for (const auto& p : params) {
        s += ' ';
        s += p.keyword;
        if (p.has_value) {
            s += '=';
            s += p.value;
        }
    }
    return s;
}

bool same(const std::vector<esmtp_param>& a, const std::vector<esmtp_param>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].keyword != b[i].keyword || a[i].value != b[i].value || a[i].has_value != b[i].has_value)
            return false;
    return true;
}

// The keywords and values re-joined re-parse to the same list; when the whole text was
// read, re-joining gives the text back.
void check_rejoin(std::string_view text, const param_list& list, bool utf8) {
    const std::string joined = rejoin(list.params);
    if (list.last == param_error::end) check(joined == text, "re-joined parameters differ from the text", text);
    const param_list again = read_all(joined, utf8);
    check(again.last == param_error::end && same(again.params, list.params),
          "re-joined parameters parse differently", joined);
}

void check_mail_parameters(std::string_view text, extension_set offered) {
    mail_parameters m;
    static constexpr std::string_view untouched = "untouched";
    std::string_view bad = untouched;
    const mail_parameter_error e = parse_mail_parameters(text, offered, m, &bad);
    check(!to_string(e).empty(), "mail_parameter_error without a name");
    check(m.raw == text && m.raw.data() == text.data(), "raw is not the text", text);
    const param_list list = read_all(text, true);
    if (e != mail_parameter_error::ok) {
        check(!m.has_size && m.body == body_type::unspecified && !m.smtputf8 && m.ret == dsn_return::unspecified &&
                  m.envid.empty(),
              "typed fields set on an error", text);
        check(bad.data() != untouched.data() && inside(bad, text), "offending parameter not reported", text);
        if (list.last != param_error::end) return;
        check(e != mail_parameter_error::syntax, "syntax error for grammatical parameters", text);
        return;
    }
    check(bad.data() == untouched.data(), "offending parameter reported on success", text);
    check(list.last == param_error::end, "parameters accepted although the grammar refuses them", text);
    bool size = false, body = false, utf8 = false, ret = false, envid = false;
    for (const auto& p : list.params) {
        if (ascii::iequals(p.keyword, "SIZE")) {
            check(offered.has(extension::size) && !size && p.has_value, "SIZE accepted wrongly", text);
            size = true;
        } else if (ascii::iequals(p.keyword, "BODY")) {
            check(offered.has(extension::eight_bit_mime) && !body, "BODY accepted wrongly", text);
            body = true;
        } else if (ascii::iequals(p.keyword, "SMTPUTF8")) {
            check(offered.has(extension::smtputf8) && !utf8 && !p.has_value, "SMTPUTF8 accepted wrongly", text);
            utf8 = true;
        } else if (ascii::iequals(p.keyword, "RET")) {
            check(offered.has(extension::dsn) && !ret, "RET accepted wrongly", text);
            ret = true;
        } else if (ascii::iequals(p.keyword, "ENVID")) {
            check(offered.has(extension::dsn) && !envid && valid_envid(p.value) && m.envid == p.value,
                  "ENVID accepted wrongly", text);
            envid = true;
        } else {
            check(false, "unknown parameter accepted", text);
        }
    }
    check(m.has_size == size && (m.body != body_type::unspecified) == body && m.smtputf8 == utf8 &&
              (m.ret != dsn_return::unspecified) == ret && !m.envid.empty() == envid,
          "typed fields differ from the parameters", text);
    // The typed values written back parse to the same values.
    std::string canonical;
    if (m.has_size) canonical += " SIZE=" + std::to_string(m.size);
    if (m.body != body_type::unspecified) canonical += " BODY=" + std::string(to_string(m.body));
    if (m.smtputf8) canonical += " SMTPUTF8";
    if (m.ret != dsn_return::unspecified) canonical += " RET=" + std::string(to_string(m.ret));
    if (!m.envid.empty()) canonical += " ENVID=" + std::string(m.envid);
    mail_parameters m2;
    check(parse_mail_parameters(canonical, offered, m2) == mail_parameter_error::ok, "canonical parameters refused",
          canonical);
    check(m2.has_size == m.has_size && m2.size == m.size && m2.body == m.body && m2.smtputf8 == m.smtputf8 &&
              m2.ret == m.ret && m2.envid == m.envid,
          "canonical parameters parse differently", canonical);
}

void check_rcpt_parameters(std::string_view text, extension_set offered, bool utf8) {
    rcpt_parameters r;
    static constexpr std::string_view untouched = "untouched";
    std::string_view bad = untouched;
    const mail_parameter_error e = parse_rcpt_parameters(text, offered, utf8, r, &bad);
    check(r.raw == text && r.raw.data() == text.data(), "rcpt raw is not the text", text);
    const param_list list = read_all(text, utf8);
    if (e != mail_parameter_error::ok) {
        check(!r.notify.given() && r.orcpt.empty() && r.orcpt_type.empty(), "rcpt fields set on an error", text);
        check(bad.data() != untouched.data() && inside(bad, text), "offending rcpt parameter not reported", text);
        if (list.last == param_error::end)
            check(e != mail_parameter_error::syntax, "rcpt syntax error for grammatical parameters", text);
        return;
    }
    check(list.last == param_error::end, "rcpt parameters accepted although the grammar refuses them", text);
    check(list.params.empty() || offered.has(extension::dsn), "rcpt parameter accepted without DSN", text);
    check(r.notify.valid(), "NEVER accepted with another NOTIFY value", text);
    if (!r.orcpt.empty()) {
        check(inside(r.orcpt, text) && inside(r.orcpt_type, text) && r.orcpt.size() + r.orcpt_type.size() + 1 <= dsn_orcpt_max,
              "ORCPT out of bounds", text);
        char decoded[dsn_orcpt_max];
        std::size_t n = 0;
        check(xtext_decode(r.orcpt, decoded, n), "ORCPT address is not xtext", text);
        for (std::size_t i = 0; i < n; ++i)
            check(decoded[i] >= ' ' && decoded[i] <= '~', "ORCPT address decodes to a control", text);
    }
    // Written back, the typed values parse to the same values.
    std::string canonical;
    if (r.notify.given()) {
        char notify[dsn_notify_max];
        canonical += " NOTIFY=" + std::string(notify, write_notify(r.notify, notify));
    }
    if (!r.orcpt.empty()) canonical += " ORCPT=" + std::string(r.orcpt_type) + ";" + std::string(r.orcpt);
    rcpt_parameters r2;
    check(parse_rcpt_parameters(canonical, offered, false, r2) == mail_parameter_error::ok,
          "canonical rcpt parameters refused", canonical);
    check(r2.notify == r.notify && r2.orcpt == r.orcpt && r2.orcpt_type == r.orcpt_type,
          "canonical rcpt parameters parse differently", canonical);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    smtpwire_fuzz::input_reader in(smtpwire_fuzz::as_text(data, size));
    const std::uint8_t config = in.byte();
    const smtpwire_fuzz::exact_copy copy(in.rest());
    const std::string_view text = copy.view();
    const bool utf8 = (config & 1) != 0;
    extension_set offered;
    if (config & 2) offered.add(extension::size);
    if (config & 4) offered.add(extension::eight_bit_mime);
    if (config & 8) offered.add(extension::smtputf8);
    if (config & 16) offered.add(extension::dsn);

    const param_list list = read_all(text, utf8);
    check_rejoin(text, list, utf8);
    if (!utf8 && list.last == param_error::end) {
        const param_list wide = read_all(text, true);
        check(wide.last == param_error::end && same(wide.params, list.params), "utf8 refuses ASCII parameters", text);
    }
    check_mail_parameters(text, offered);
    check_rcpt_parameters(text, offered, utf8);
    return 0;
}
