// Fuzz target: parse_reverse_path() / parse_forward_path() and the mailbox encoding.
// Input: byte 0 chooses the options (bit 0 forward path, bit 1 utf8, bit 2 missing
// brackets, bit 3 trailing-dot local part); the rest is the text after "FROM:"/"TO:".
#include "smtpwire/path.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "smtpwire/mailbox.hpp"

#include "fuzz_support.hpp"

using namespace smtpwire;
using smtpwire_fuzz::check;
using smtpwire_fuzz::inside;

namespace {

path_error parse(std::string_view s, const path_options& opt, bool forward, path& out, std::string_view& rest) {
    return forward ? parse_forward_path(s, opt, out, rest) : parse_reverse_path(s, opt, out, rest);
}

bool same(const path& a, const path& b) {
    return a.kind == b.kind && a.address.local_part == b.address.local_part &&
           a.address.domain == b.address.domain && a.source_route() == b.source_route() && a.raw == b.raw;
}

std::string decoded_local_part(std::string_view local_part) {
    std::string value(local_part.size(), '\0');
    value.resize(decode_local_part(local_part, value.data()));
    return value;
}

void check_mailbox_round_trip(std::string_view s, const path& p, const path_options& opt, bool forward) {
    const std::string value = decoded_local_part(p.address.local_part);
    const std::size_t need = encode_local_part(value, nullptr, 0, opt.utf8);
    check(need > 0, "the value of a parsed local part cannot be encoded", s);
    std::string encoded(need, '\0');
    check(encode_local_part(value, encoded.data(), encoded.size(), opt.utf8) == need, "encode size changed", s);
    check(!ascii::has_line_break_or_nul(encoded), "encoded local part with CR, LF or NUL", encoded);
    const std::string wire = "<" + encoded + "@" + std::string(p.address.domain) + ">";
    path q;
    std::string_view rest;
    const path_error e = parse(wire, opt, forward, q, rest);
    if (encoded.size() > max_local_part_length || wire.size() > max_path_length) {
        // Only a quoted "user." (trailing-dot leniency) can grow when encoded.
        check(opt.allow_trailing_dot_local_part, "encoding made a local part longer", wire);
        check(e == path_error::local_part_too_long || e == path_error::path_too_long, "wrong length error", wire);
        return;
    }
    check(e == path_error::ok, "re-encoded mailbox refused", wire);
    check(q.kind == path_kind::mailbox && rest.empty(), "re-encoded mailbox parsed as something else", wire);
    check(decoded_local_part(q.address.local_part) == value, "re-encoded local part decodes differently", wire);
    check(q.address.domain == p.address.domain, "re-encoded domain differs", wire);
    check(q.address.local_part.size() <= p.address.local_part.size() || opt.allow_trailing_dot_local_part,
          "encoding grew the local part", wire);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    smtpwire_fuzz::input_reader in(smtpwire_fuzz::as_text(data, size));
    const std::uint8_t config = in.byte();
    const smtpwire_fuzz::exact_copy copy(in.rest());
    const std::string_view s = copy.view();
    const bool forward = (config & 1) != 0;
    path_options opt;
    opt.utf8 = (config & 2) != 0;
    opt.allow_missing_brackets = (config & 4) != 0;
    opt.allow_trailing_dot_local_part = (config & 8) != 0;

    path p;
    std::string_view rest;
    const path_error e = parse(s, opt, forward, p, rest);
    check(!to_string(e).empty(), "path_error without a name");
    if (e != path_error::ok) {
        check(same(p, path{}) && rest.empty(), "output set on an error", s);
    } else {
        check(inside(rest, s) && rest.data() + rest.size() == s.data() + s.size(), "rest is not a suffix", s);
        check(inside(p.raw, s) && inside(p.source_route(), s) && inside(p.address.local_part, s) &&
                  inside(p.address.domain, s),
              "a view outside the input", s);
        check(p.raw.size() + 2 <= max_path_length || p.kind != path_kind::mailbox, "path too long accepted", s);
        check(opt.utf8 || !needs_smtputf8(p), "non-ASCII path accepted without utf8", s);
        switch (p.kind) {
        case path_kind::null_path:
            check(!forward && p.raw.empty() && p.address.local_part.empty(), "bad null path", s);
            break;
        case path_kind::postmaster:
            check(forward && ascii::iequals(p.address.local_part, "postmaster") && p.address.domain.empty(),
                  "bad postmaster path", s);
            break;
        case path_kind::mailbox:
            check(!p.address.local_part.empty() && !p.address.domain.empty(), "mailbox without both parts", s);
            check(p.address.local_part.size() <= max_local_part_length, "local part too long accepted", s);
            check(p.address.domain.size() <= max_domain_length, "domain too long accepted", s);
            check(check_domain_or_literal(p.address.domain, opt.utf8) == domain_error::ok, "bad domain accepted", s);
            check_mailbox_round_trip(s, p, opt, forward);
            break;
        }
    }

    // Each leniency only adds: what the strict parser accepts, every relaxation accepts
    // the same way (utf8 included, as ASCII input reads the same with it).
    const path_options strict{};
    path sp;
    std::string_view srest;
    if (parse(s, strict, forward, sp, srest) == path_error::ok) {
        const path_options all{true, true, true};
        path lp;
        std::string_view lrest;
        check(parse(s, all, forward, lp, lrest) == path_error::ok, "a leniency refuses a strict path", s);
        check(same(sp, lp) && srest == lrest, "a leniency changes a strict path", s);
    }
    return 0;
}
