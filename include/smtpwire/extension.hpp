// The SMTP service extensions smtpwire knows by name, and a set of them.
// RFC 5321 §4.1.1.1 (EHLO keywords); each enumerator names its defining RFC.
#ifndef SMTPWIRE_EXTENSION_HPP
#define SMTPWIRE_EXTENSION_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "smtpwire/ascii.hpp"

namespace smtpwire {
inline namespace v0 {

/// An extension keyword as it appears in an EHLO reply.
enum class extension : std::uint8_t {
    pipelining,              // RFC 2920
    size,                    // RFC 1870
    eight_bit_mime,          // RFC 6152 "8BITMIME"
    smtputf8,                // RFC 6531
    enhanced_status_codes,   // RFC 2034
    starttls,                // RFC 3207
    auth,                    // RFC 4954
    chunking,                // RFC 3030
    binary_mime,             // RFC 3030 "BINARYMIME"
    dsn,                     // RFC 3461
    requiretls,              // RFC 8689
};

/// The EHLO keyword of `e`, upper case as RFCs write it.
constexpr std::string_view to_string(extension e) noexcept {
    switch (e) {
    case extension::pipelining: return "PIPELINING";
    case extension::size: return "SIZE";
    case extension::eight_bit_mime: return "8BITMIME";
    case extension::smtputf8: return "SMTPUTF8";
    case extension::enhanced_status_codes: return "ENHANCEDSTATUSCODES";
    case extension::starttls: return "STARTTLS";
    case extension::auth: return "AUTH";
    case extension::chunking: return "CHUNKING";
    case extension::binary_mime: return "BINARYMIME";
    case extension::dsn: return "DSN";
    case extension::requiretls: return "REQUIRETLS";
    }
    return "";
}

namespace detail {
// The number of extensions: to_string() names each one before the first it does not.
constexpr std::size_t count_extensions() noexcept {
    std::size_t n = 0;
    while (!to_string(static_cast<extension>(n)).empty()) ++n;
    return n;
}

// to_string() of each extension, in the order of `extension`.
template <std::size_t count>
constexpr std::array<std::string_view, count> make_extension_keywords() noexcept {
    std::array<std::string_view, count> keywords{};
    for (std::size_t i = 0; i < count; ++i) keywords[i] = to_string(static_cast<extension>(i));
    return keywords;
}
inline constexpr auto extension_keywords = make_extension_keywords<count_extensions()>();
} // namespace detail

/// Sets `out` to the extension whose EHLO keyword is `keyword`, compared without regard
/// to ASCII case ("starttls" is STARTTLS); returns false and leaves `out` unchanged when
/// no known extension has that keyword.
[[nodiscard]] constexpr bool parse_extension(std::string_view keyword, extension& out) noexcept {
    for (std::size_t v = 0; v < detail::extension_keywords.size(); ++v) {
        const std::string_view name = detail::extension_keywords[v];
        // Servers write keywords in upper case as the names are: equal octets first.
        if (name.size() == keyword.size() && (name == keyword || ascii::iequals(name, keyword))) {
            out = static_cast<extension>(v);
            return true;
        }
    }
    return false;
}

/// A small value set of extensions (one bit each).
class extension_set {
public:
    constexpr extension_set() noexcept = default;
    constexpr extension_set(std::initializer_list<extension> list) noexcept {
        for (extension e : list) add(e);
    }
    [[nodiscard]] constexpr bool has(extension e) const noexcept { return (bits_ & bit(e)) != 0; }
    constexpr extension_set& add(extension e) noexcept { bits_ |= bit(e); return *this; }
    constexpr extension_set& remove(extension e) noexcept { bits_ &= ~bit(e); return *this; }
    [[nodiscard]] constexpr bool empty() const noexcept { return bits_ == 0; }
    friend constexpr bool operator==(extension_set a, extension_set b) noexcept { return a.bits_ == b.bits_; }
    friend constexpr bool operator!=(extension_set a, extension_set b) noexcept { return a.bits_ != b.bits_; }

private:
    static constexpr std::uint32_t bit(extension e) noexcept {
        return std::uint32_t{1} << static_cast<unsigned>(e);
    }
    std::uint32_t bits_ = 0;
};

} // namespace v0
} // namespace smtpwire

#endif
