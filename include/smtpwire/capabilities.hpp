// What a client learns from a server's EHLO reply: extensions, SIZE limit, AUTH mechanisms.
// RFC 5321 §4.1.1.1 (ehlo-ok-rsp, ehlo-line); RFC 1870 §3-4 (SIZE); RFC 4954 §3 (AUTH).
#ifndef SMTPWIRE_CAPABILITIES_HPP
#define SMTPWIRE_CAPABILITIES_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

#include "smtpwire/ascii.hpp"
#include "smtpwire/extension.hpp"
#include "smtpwire/sasl/mechanism.hpp"

namespace smtpwire {
inline namespace v0 {

/// Why capabilities::add_line() refused or could not fully record a line.
enum class capability_error {
    ok,
    bad_line,        // empty keyword or domain, or a byte the grammar does not allow
    bad_size_value,  // SIZE with a parameter that is not a number fitting 64 bits
    too_many,        // the raw storage is full; see capabilities::add_line()
};

/// A short English description of `e`, for logs.
constexpr std::string_view to_string(capability_error e) noexcept {
    switch (e) {
    case capability_error::ok: return "ok";
    case capability_error::bad_line: return "malformed EHLO reply line";
    case capability_error::bad_size_value: return "invalid SIZE parameter";
    case capability_error::too_many: return "too many EHLO keywords to store";
    }
    return "unknown capability_error";
}

/// The capabilities of a server as its EHLO reply states them. Keywords are matched
/// without regard to ASCII case (RFC 5321 §2.4). Holds copies of the lines in fixed
/// inline storage; allocates nothing. Returned views point into this object and are
/// valid until its next non-const call, move or destruction.
class capabilities {
public:
    /// Octets of storage for the domain and every keyword with its parameters.
    static constexpr std::size_t storage_size = 1024;
    /// Most keyword lines stored.
    static constexpr std::size_t max_keywords = 32;

    /// Takes the text of one line of a 250 reply to EHLO (after "250-" or "250 ", without
    /// CRLF), in order. With `first` the line is the first one, Domain [SP ehlo-greet]:
    /// what was recorded before is forgotten and the domain is kept. Any other line is
    /// ehlo-keyword *(SP ehlo-param); the legacy form "AUTH=LOGIN PLAIN" (a '=' after the
    /// keyword) is read as "AUTH LOGIN PLAIN". Trailing SP and HT are ignored. Besides
    /// the RFC's ehlo-keyword characters a '_' is admitted after the first one (Exim
    /// advertises PIPE_CONNECT). Unknown keywords are kept with their raw parameters.
    /// Errors: bad_line or bad_size_value record nothing of the line. too_many means
    /// the keyword and parameters could not be stored (has_keyword() and parameters()
    /// do not know them) but a known extension is still recorded in extensions(),
    /// size_limit() and has_auth(), so a full storage never hides STARTTLS. Lines
    /// recorded earlier are never affected by an error.
    [[nodiscard]] constexpr capability_error add_line(std::string_view text, bool first) noexcept {
        while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
            text.remove_suffix(1);
        if (first) {
            clear();
            return add_domain(text.substr(0, text.find(' ')));
        }
        // The keyword, read and checked in one pass: it ends at SP, '=' or the line's end.
        std::size_t k = 0;
        while (k < text.size() && is_keyword_octet(text[k])) ++k;
        if (k == 0 || !ascii::is_let_dig(text[0]) || (k < text.size() && text[k] != ' ' && text[k] != '='))
            return capability_error::bad_line;
        const std::string_view keyword(text.data(), k);
        std::string_view params(text.data() + k, text.size() - k);
        if (!params.empty()) params.remove_prefix(1);
        while (!params.empty() && params.front() == ' ') params.remove_prefix(1);
        for (char c : params)
            if (c != ' ' && !ascii::is(c, ascii::vchar)) return capability_error::bad_line;

        extension e{};
        const bool known = parse_extension(keyword, e);
        std::uint64_t size = 0;
        if (known && e == extension::size && !parse_size(params, size))
            return capability_error::bad_size_value;
        if (known) {
            extensions_.add(e);
            if (e == extension::size && size != 0 && (size_limit_ == 0 || size < size_limit_))
                size_limit_ = size;
            if (e == extension::auth) auth_ = auth_ | sasl::parse_mechanism_list(params);
        }
        return store(keyword, params);
    }

    /// Forgets everything: no domain, no extensions, no keywords.
    constexpr void clear() noexcept {
        used_ = 0;
        domain_size_ = 0;
        count_ = 0;
        extensions_ = extension_set{};
        size_limit_ = 0;
        auth_ = sasl::mechanism_set{};
    }

    /// True when the reply listed the keyword of `e`.
    [[nodiscard]] constexpr bool has(extension e) const noexcept { return extensions_.has(e); }

    /// The known extensions the reply listed.
    [[nodiscard]] constexpr extension_set extensions() const noexcept { return extensions_; }

    /// SIZE's fixed maximum message size in octets; 0 when SIZE is absent, has no
    /// parameter, or says 0 ("no fixed maximum", RFC 1870 §3). When several SIZE lines
    /// carry a limit, the smallest.
    [[nodiscard]] constexpr std::uint64_t size_limit() const noexcept { return size_limit_; }

    /// True when any AUTH line ("AUTH m1 m2" or the legacy "AUTH=m1 m2") listed `m`.
    [[nodiscard]] constexpr bool has_auth(sasl::mechanism m) const noexcept {
        return auth_.has(m);
    }

    /// The mechanisms smtpwire knows that any AUTH line listed; parameters("AUTH") has
    /// the line as received, other names included.
    [[nodiscard]] constexpr sasl::mechanism_set auth_mechanisms() const noexcept { return auth_; }

    /// The first word of the first line: the server's name for itself; "" before it.
    [[nodiscard]] constexpr std::string_view domain() const noexcept {
        return std::string_view(storage_.data(), domain_size_);
    }

    /// True when a stored line or a recorded known extension has the keyword `keyword`.
    [[nodiscard]] constexpr bool has_keyword(std::string_view keyword) const noexcept {
        extension e{};
        if (parse_extension(keyword, e) && has(e)) return true;
        return find(keyword) != count_;
    }

    /// The parameters of the first stored line with keyword `keyword`, as received
    /// (mechanisms, "10240000", ...); "" when the line has none or is not stored.
    [[nodiscard]] constexpr std::string_view parameters(std::string_view keyword) const noexcept {
        const std::size_t i = find(keyword);
        if (i == count_) return {};
        return std::string_view(storage_.data() + entries_[i].offset + entries_[i].keyword_size,
                                entries_[i].params_size);
    }

private:
    struct entry {
        std::uint16_t offset = 0;
        std::uint16_t keyword_size = 0;
        std::uint16_t params_size = 0;
    };

    // ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"), and '_' as add_line() says:
    // an octet it may hold anywhere but first.
    static constexpr bool is_keyword_octet(char c) noexcept {
        return ascii::is(c, ascii::ldh) || c == '_';
    }

    // size-param = [1*DIGIT] (RFC 1870 §3); false when not digits or above 2^64 - 1.
    static constexpr bool parse_size(std::string_view s, std::uint64_t& out) noexcept {
        std::uint64_t n = 0;
        for (char c : s) {
            if (!ascii::is_digit(c)) return false;
            const auto d = static_cast<std::uint64_t>(c - '0');
            if (n > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return false;
            n = n * 10 + d;
        }
        out = n;
        return true;
    }

    constexpr capability_error add_domain(std::string_view domain) noexcept {
        if (domain.empty() || !ascii::is_valid_utf8(domain)) return capability_error::bad_line;
        for (char c : domain)
            if (!ascii::is(c, ascii::vchar) && !ascii::is_non_ascii(c))
                return capability_error::bad_line;
        if (domain.size() > storage_size) return capability_error::too_many;
        copy(domain);
        domain_size_ = used_;
        return capability_error::ok;
    }

    constexpr capability_error store(std::string_view keyword, std::string_view params) noexcept {
        if (count_ == max_keywords || storage_size - used_ < keyword.size() + params.size())
            return capability_error::too_many;
        entry& e = entries_[count_++];
        e.offset = static_cast<std::uint16_t>(used_);
        e.keyword_size = static_cast<std::uint16_t>(keyword.size());
        e.params_size = static_cast<std::uint16_t>(params.size());
        copy(keyword);
        copy(params);
        return capability_error::ok;
    }

    // The index is a local: stores of char may alias used_ itself, which would keep the
    // compiler from turning the loop into one copy.
    constexpr void copy(std::string_view s) noexcept {
        std::size_t at = used_;
        for (char c : s) storage_[at++] = c;
        used_ = at;
    }

    constexpr std::size_t find(std::string_view keyword) const noexcept {
        for (std::size_t i = 0; i < count_; ++i) {
            const std::string_view stored(storage_.data() + entries_[i].offset,
                                          entries_[i].keyword_size);
            if (ascii::iequals(stored, keyword)) return i;
        }
        return count_;
    }

    std::array<char, storage_size> storage_{};
    std::array<entry, max_keywords> entries_{};
    std::size_t used_ = 0;
    std::size_t domain_size_ = 0;
    std::size_t count_ = 0;
    extension_set extensions_{};
    std::uint64_t size_limit_ = 0;
    sasl::mechanism_set auth_{};
};

} // namespace v0
} // namespace smtpwire

#endif
