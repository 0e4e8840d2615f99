// OAuth 2.0 bearer-token pieces XOAUTH2 and OAUTHBEARER share: the token, and the JSON error.
// RFC 6750 §2.1 (b64token, "Bearer" credentials); RFC 7628 §3.2.2 (error); RFC 8259 §2-§8 (JSON).
#ifndef SMTPWIRE_SASL_BEARER_HPP
#define SMTPWIRE_SASL_BEARER_HPP

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "smtpwire/ascii.hpp"

namespace smtpwire {
inline namespace v0 {
namespace sasl {

namespace detail {
// RFC 6750 §2.1: the characters of a b64token before its trailing '=' padding.
constexpr bool is_b64token_char(char c) noexcept {
    return ascii::is_let_dig(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' ||
           c == '/';
}
} // namespace detail

/// True when `s` is a b64token (RFC 6750 §2.1): 1*( ALPHA / DIGIT / "-" / "." / "_" /
/// "~" / "+" / "/" ) *"=", the form a bearer token takes on the wire.
[[nodiscard]] constexpr bool is_b64token(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size() && detail::is_b64token_char(s[i])) ++i;
    if (i == 0) return false;
    while (i < s.size() && s[i] == '=') ++i;
    return i == s.size();
}

/// Parses the value of an HTTP Authorization header carrying a bearer token, as the
/// "auth" key of XOAUTH2 and OAUTHBEARER does: "Bearer" 1*SP b64token (RFC 6750 §2.1),
/// the scheme name without regard to ASCII case (RFC 7628 §4). On success sets `token`
/// to a view into `value` and returns true; otherwise returns false, `token` unchanged.
[[nodiscard]] constexpr bool parse_bearer_credentials(std::string_view value,
                                                      std::string_view& token) noexcept {
    constexpr std::string_view scheme = "Bearer";
    if (!ascii::istarts_with(value, scheme)) return false;
    std::size_t i = scheme.size();
    if (i == value.size() || value[i] != ' ') return false;
    while (i < value.size() && value[i] == ' ') ++i;
    if (!is_b64token(value.substr(i))) return false;
    token = value.substr(i);
    return true;
}

namespace detail {
inline constexpr std::string_view json_hex_digits = "0123456789abcdef";

// Bytes that RFC 8259 §7 requires escaped in a string: '"', '\' and U+0000-U+001F.
constexpr bool json_needs_escape(char c) noexcept {
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
}

constexpr char json_short_escape(char c) noexcept {
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '\b': return 'b';
    case '\f': return 'f';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    default: return '\0';
    }
}

// The length of `s` as the contents of a JSON string.
constexpr std::size_t json_escaped_size(std::string_view s) noexcept {
    std::size_t n = 0;
    for (char c : s) {
        if (!json_needs_escape(c)) ++n;
        else if (json_short_escape(c) != '\0') n += 2;
        else n += 6;
    }
    return n;
}

constexpr std::size_t write_json_escaped(std::string_view s, char* out) noexcept {
    std::size_t o = 0;
    for (char c : s) {
        if (!json_needs_escape(c)) {
            out[o++] = c;
            continue;
        }
        out[o++] = '\\';
        if (const char e = json_short_escape(c); e != '\0') {
            out[o++] = e;
            continue;
        }
        const auto b = static_cast<unsigned char>(c);
        out[o++] = 'u';
        out[o++] = '0';
        out[o++] = '0';
        out[o++] = json_hex_digits[b >> 4];
        out[o++] = json_hex_digits[b & 0x0Fu];
    }
    return o;
}

// One member of an error object; an optional one with an empty value is left out.
struct json_member {
    std::string_view name;
    std::string_view value;
    bool required;
};

// {"name":"value",...} with no whitespace, members in the given order.
constexpr std::size_t json_object_size(const json_member* members, std::size_t count) noexcept {
    std::size_t n = 2;
    bool first = true;
    for (std::size_t i = 0; i < count; ++i) {
        if (!members[i].required && members[i].value.empty()) continue;
        if (!first) ++n;
        first = false;
        n += members[i].name.size() + json_escaped_size(members[i].value) + 5;
    }
    return n;
}

constexpr std::size_t write_json_object(const json_member* members, std::size_t count,
                                        char* out) noexcept {
    std::size_t o = 0;
    out[o++] = '{';
    for (std::size_t i = 0; i < count; ++i) {
        if (!members[i].required && members[i].value.empty()) continue;
        if (o != 1) out[o++] = ',';
        out[o++] = '"';
        for (char c : members[i].name) out[o++] = c;
        out[o++] = '"';
        out[o++] = ':';
        out[o++] = '"';
        o += write_json_escaped(members[i].value, out + o);
        out[o++] = '"';
    }
    out[o++] = '}';
    return o;
}

// The value of an ASCII hex digit in either case; 16 for any other byte.
constexpr unsigned json_hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
    if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
    if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
    return 16;
}

// The four hex digits of a \u escape at s[i..i+3]; 0x10000 when they are not four.
constexpr std::uint32_t json_u_escape_value(std::string_view s, std::size_t i) noexcept {
    if (s.size() - i < 4) return 0x10000;
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
        const unsigned d = json_hex_value(s[i + k]);
        if (d > 15) return 0x10000;
        v = v << 4 | d;
    }
    return v;
}

// Reads the JSON an error challenge holds: one flat object (RFC 8259 §4) whose member
// values are strings, numbers, true, false or null. Nested objects and arrays, which
// no bearer error uses, are refused rather than skipped.
class json_scanner {
public:
    constexpr explicit json_scanner(std::string_view s) noexcept : s_(s) {}

    [[nodiscard]] constexpr bool at_end() const noexcept { return i_ == s_.size(); }
    [[nodiscard]] constexpr bool next_is(char c) const noexcept { return i_ < s_.size() && s_[i_] == c; }

    constexpr void skip_whitespace() noexcept {
        while (i_ < s_.size() &&
               (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
            ++i_;
    }

    [[nodiscard]] constexpr bool eat(char c) noexcept {
        if (!next_is(c)) return false;
        ++i_;
        return true;
    }

    // A string (RFC 8259 §7); `raw` is what stands between the quotes, escapes unresolved.
    [[nodiscard]] constexpr bool string(std::string_view& raw) noexcept {
        if (!eat('"')) return false;
        const std::size_t start = i_;
        while (i_ < s_.size()) {
            const char c = s_[i_];
            if (c == '"') {
                raw = s_.substr(start, i_ - start);
                ++i_;
                return true;
            }
            if (static_cast<unsigned char>(c) < 0x20) return false;
            if (c != '\\') {
                ++i_;
                continue;
            }
            if (s_.size() - i_ < 2) return false;
            const char e = s_[i_ + 1];
            if (e == 'u') {
                if (json_u_escape_value(s_, i_ + 2) > 0xFFFF) return false;
                i_ += 6;
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                       e == 'r' || e == 't') {
                i_ += 2;
            } else {
                return false;
            }
        }
        return false;
    }

    // A number (RFC 8259 §6), true, false or null; `raw` is its text.
    [[nodiscard]] constexpr bool scalar(std::string_view& raw) noexcept {
        const std::size_t start = i_;
        for (std::string_view word : {std::string_view("true"), std::string_view("false"),
                                      std::string_view("null")}) {
            if (s_.substr(i_, word.size()) == word) {
                raw = s_.substr(start, word.size());  // a view of the input, like the others
                i_ += word.size();
                return true;
            }
        }
        (void)eat('-');
        if (!eat('0')) {
            if (!digits()) return false;
        }
        if (eat('.') && !digits()) return false;
        if (eat('e') || eat('E')) {
            if (!eat('+')) (void)eat('-');
            if (!digits()) return false;
        }
        raw = s_.substr(start, i_ - start);
        return true;
    }

private:
    // 1*DIGIT
    constexpr bool digits() noexcept {
        const std::size_t start = i_;
        while (i_ < s_.size() && ascii::is_digit(s_[i_])) ++i_;
        return i_ != start;
    }

    std::string_view s_;
    std::size_t i_ = 0;
};
} // namespace detail

/// The members of the JSON error object a server sends in a challenge when a bearer
/// token fails (RFC 7628 §3.2.2 for OAUTHBEARER; Google's XOAUTH2 sends status, schemes
/// and scope). Views point into the parsed text and are raw: what stands between the
/// quotes, JSON escapes unresolved (decode with json_string_decode()); a number, true,
/// false or null is its text. Members not present are empty.
struct bearer_error {
    std::string_view status;                // "invalid_token" (RFC 7628), "401" (XOAUTH2)
    std::string_view schemes;               // XOAUTH2: "bearer", or "bearer mac"
    std::string_view scope;                 // the OAuth scope the server wants
    std::string_view openid_configuration;  // RFC 7628: the OpenID discovery URL
};

/// Parses the decoded text of an error challenge: one JSON object (RFC 8259), with
/// whitespace around it allowed, whose member values are strings, numbers, true, false
/// or null, in well-formed UTF-8, with a non-empty "status" member. Other members are
/// ignored; member names are matched as written (escapes unresolved); a repeated member
/// counts with its last value. Nested objects and arrays are refused. On success sets
/// `out` to views into `text` and returns true; otherwise returns false, `out` unchanged.
[[nodiscard]] constexpr bool parse_bearer_error(std::string_view text, bearer_error& out) noexcept {
    if (!ascii::is_valid_utf8(text)) return false;
    detail::json_scanner j(text);
    bearer_error e{};
    bool has_status = false;
    j.skip_whitespace();
    if (!j.eat('{')) return false;
    j.skip_whitespace();
    if (!j.eat('}')) {
        for (;;) {
            std::string_view name;
            if (!j.string(name)) return false;
            j.skip_whitespace();
            if (!j.eat(':')) return false;
            j.skip_whitespace();
            std::string_view value;
            if (!(j.next_is('"') ? j.string(value) : j.scalar(value))) return false;
            if (name == "status") {
                e.status = value;
                has_status = true;
            } else if (name == "schemes") {
                e.schemes = value;
            } else if (name == "scope") {
                e.scope = value;
            } else if (name == "openid-configuration") {
                e.openid_configuration = value;
            }
            j.skip_whitespace();
            if (j.eat('}')) break;
            if (!j.eat(',')) return false;
            j.skip_whitespace();
        }
    }
    j.skip_whitespace();
    if (!j.at_end() || !has_status || e.status.empty()) return false;
    out = e;
    return true;
}

/// Resolves the escapes of `raw`, the contents of a JSON string as bearer_error holds
/// them: \" \\ \/ \b \f \n \r \t and \uXXXX (a surrogate pair becomes one UTF-8
/// character). Refuses an unknown or truncated escape, a lone surrogate, an unescaped
/// '"' or control character, and ill-formed UTF-8. Precondition: `out` holds raw.size()
/// bytes (the result is never longer); `out` may be raw.data(). On success sets
/// `written` and returns true; on failure returns false with `written` 0, `out` perhaps
/// holding part of the output.
[[nodiscard]] constexpr bool json_string_decode(std::string_view raw, char* out,
                                                std::size_t& written) noexcept {
    written = 0;
    if (!ascii::is_valid_utf8(raw)) return false;
    const auto put = [&out](std::size_t o, std::uint32_t v) {
        out[o] = static_cast<char>(static_cast<unsigned char>(v & 0xFFu));
    };
    std::size_t o = 0;
    std::size_t i = 0;
    while (i < raw.size()) {
        const char c = raw[i];
        if (c == '"' || static_cast<unsigned char>(c) < 0x20) return false;
        if (c != '\\') {
            out[o++] = c;
            ++i;
            continue;
        }
        if (raw.size() - i < 2) return false;
        const char e = raw[i + 1];
        if (e != 'u') {
            char d = '\0';
            switch (e) {
            case '"': d = '"'; break;
            case '\\': d = '\\'; break;
            case '/': d = '/'; break;
            case 'b': d = '\b'; break;
            case 'f': d = '\f'; break;
            case 'n': d = '\n'; break;
            case 'r': d = '\r'; break;
            case 't': d = '\t'; break;
            default: return false;
            }
            out[o++] = d;
            i += 2;
            continue;
        }
        std::uint32_t cp = detail::json_u_escape_value(raw, i + 2);
        if (cp > 0xFFFF || (cp >= 0xDC00 && cp <= 0xDFFF)) return false;
        i += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (raw.size() - i < 2 || raw[i] != '\\' || raw[i + 1] != 'u') return false;
            const std::uint32_t low = detail::json_u_escape_value(raw, i + 2);
            if (low < 0xDC00 || low > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10 | (low - 0xDC00));
            i += 6;
        }
        if (cp < 0x80) {
            put(o++, cp);
        } else if (cp < 0x800) {
            put(o++, 0xC0 | cp >> 6);
            put(o++, 0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            put(o++, 0xE0 | cp >> 12);
            put(o++, 0x80 | (cp >> 6 & 0x3F));
            put(o++, 0x80 | (cp & 0x3F));
        } else {
            put(o++, 0xF0 | cp >> 18);
            put(o++, 0x80 | (cp >> 12 & 0x3F));
            put(o++, 0x80 | (cp >> 6 & 0x3F));
            put(o++, 0x80 | (cp & 0x3F));
        }
    }
    written = o;
    return true;
}

} // namespace sasl
} // namespace v0
} // namespace smtpwire

#endif
