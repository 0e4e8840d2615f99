// Fuzz target: capabilities::add_line() over the lines of an EHLO reply (texts after
// "250-"), checked against a model of what must be recorded. Input: byte 0 (bit 0: an
// empty line makes the next line a first line again); the rest is cut at each CRLF.
#include "smtpwire/capabilities.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"

using namespace smtpwire;
using smtpwire_fuzz::check;

namespace {

constexpr sasl::mechanism all_mechanisms[] = {sasl::mechanism::plain,   sasl::mechanism::login,
                                              sasl::mechanism::cram_md5, sasl::mechanism::xoauth2,
                                              sasl::mechanism::oauthbearer,
                                              sasl::mechanism::scram_sha_256};

// What the object must know, kept independently.
struct model {
    struct line {
        std::string keyword;
        std::string params;
    };
    std::string domain;
    std::vector<line> stored;
    std::uint64_t size_limit = 0;
    std::vector<sasl::mechanism> auth;
    std::vector<extension> extensions;

    std::size_t storage_used() const {
        std::size_t n = domain.size();
        for (const auto& l : stored) n += l.keyword.size() + l.params.size();
        return n;
    }
};

struct snapshot {
    std::string domain;
    extension_set extensions;
    std::uint64_t size_limit;
    unsigned auth_bits;

    explicit snapshot(const capabilities& c)
        : domain(c.domain()), extensions(c.extensions()), size_limit(c.size_limit()), auth_bits(0) {
        for (sasl::mechanism m : all_mechanisms)
            if (c.has_auth(m)) auth_bits |= 1u << static_cast<unsigned>(m);
    }
    bool operator==(const snapshot& o) const {
        return domain == o.domain && extensions == o.extensions && size_limit == o.size_limit &&
               auth_bits == o.auth_bits;
    }
};

bool inside_object(std::string_view v, const capabilities& c) {
    const auto* begin = reinterpret_cast<const char*>(&c);
    return v.empty() || (v.data() >= begin && v.data() + v.size() <= begin + sizeof c);
}

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// A keyword line split as RFC 5321 ehlo-line says, with "AUTH=..." read as "AUTH ...".
void split_keyword_line(std::string_view text, std::string_view& keyword, std::string_view& params) {
    text = trimmed(text);
    std::size_t k = 0;
    while (k < text.size() && text[k] != ' ' && text[k] != '=') ++k;
    keyword = text.substr(0, k);
    params = k < text.size() ? text.substr(k + 1) : std::string_view();
    while (!params.empty() && params.front() == ' ') params.remove_prefix(1);
}

// Records what a known extension line means (for ok and too_many alike).
void record_known(model& m, extension e, std::string_view params) {
    m.extensions.push_back(e);
    if (e == extension::size && !params.empty()) {
        std::uint64_t n = 0;
        for (char c : params) n = n * 10 + static_cast<std::uint64_t>(c - '0');
        if (n != 0 && (m.size_limit == 0 || n < m.size_limit)) m.size_limit = n;
    }
    if (e == extension::auth) {
        while (!params.empty()) {
            const std::size_t sp = params.find(' ');
            sasl::mechanism mech{};
            if (sasl::parse_mechanism(params.substr(0, sp), mech)) m.auth.push_back(mech);
            params.remove_prefix(sp == std::string_view::npos ? params.size() : sp + 1);
        }
    }
}

void check_against(const capabilities& c, const model& m, std::string_view line) {
    check(c.domain() == m.domain && inside_object(c.domain(), c), "domain differs from the model", line);
    check(m.storage_used() <= capabilities::storage_size && m.stored.size() <= capabilities::max_keywords,
          "more stored than the storage holds", line);
    for (const auto& l : m.stored) {
        check(c.has_keyword(l.keyword), "stored keyword unknown to has_keyword()", l.keyword);
        std::string_view first_params;
        for (const auto& f : m.stored)
            if (ascii::iequals(f.keyword, l.keyword)) {
                first_params = f.params;
                break;
            }
        const std::string_view got = c.parameters(l.keyword);
        check(got == first_params && inside_object(got, c), "parameters differ from the first stored line", l.keyword);
    }
    for (extension e : m.extensions) {
        check(c.has(e) && c.extensions().has(e), "known extension not recorded", line);
        check(c.has_keyword(to_string(e)), "known extension's keyword unknown", line);
    }
    check(c.size_limit() == m.size_limit, "SIZE limit differs from the model", line);
    for (sasl::mechanism a : all_mechanisms) {
        bool listed = false;
        for (sasl::mechanism x : m.auth) listed = listed || x == a;
        check(c.has_auth(a) == listed, "AUTH mechanism differs from the model", line);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    smtpwire_fuzz::input_reader in(smtpwire_fuzz::as_text(data, size));
    const bool empty_line_restarts = (in.byte() & 1) != 0;
    capabilities caps;
    model m;
    bool first = true;
    for (std::string_view line : smtpwire_fuzz::lines_of(in.rest())) {
        const snapshot before(caps);
        const capability_error e = caps.add_line(line, first);
        check(!to_string(e).empty(), "capability_error without a name");
        if (first) {
            m = model{};
            const std::string_view text = trimmed(line);
            const std::string_view domain = text.substr(0, text.find(' '));
            if (e == capability_error::ok) {
                check(!domain.empty() && domain.size() <= capabilities::storage_size, "bad domain accepted", line);
                m.domain = std::string(domain);
            } else {
                check(caps.domain().empty() && caps.extensions().empty(), "a refused first line kept state", line);
            }
        } else {
            std::string_view keyword, params;
            split_keyword_line(line, keyword, params);
            extension known{};
            const bool is_known = parse_extension(keyword, known);
            switch (e) {
            case capability_error::ok:
                m.stored.push_back({std::string(keyword), std::string(params)});
                if (is_known) record_known(m, known, params);
                break;
            case capability_error::too_many:
                check(!keyword.empty(), "too_many for an empty keyword", line);
                if (is_known) record_known(m, known, params);
                break;
            case capability_error::bad_line:
            case capability_error::bad_size_value:
                check(snapshot(caps) == before, "a refused line changed the capabilities", line);
                check(e == capability_error::bad_line || (is_known && known == extension::size),
                      "bad_size_value for a line other than SIZE", line);
                break;
            }
        }
        check_against(caps, m, line);
        first = empty_line_restarts && line.empty();
    }
    caps.clear();
    check(caps.domain().empty() && caps.extensions().empty() && caps.size_limit() == 0, "clear() incomplete");
    return 0;
}
