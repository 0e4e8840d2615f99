#include "smtpwire/compose/body.hpp"
#include "support/catch.hpp"

#include <string>
#include <string_view>

using namespace std::string_view_literals;
using smtpwire::compose::choose_transfer_encoding;
using smtpwire::compose::encode_body;
using smtpwire::compose::transfer_encoding;

namespace {
std::string encode(std::string_view body, transfer_encoding e) {
    const std::size_t need = encode_body(body, e, nullptr, 0);
    std::string out(need + 4, '#');
    REQUIRE(encode_body(body, e, out.data(), out.size()) == need);
    CHECK(out.substr(need) == "####");
    out.resize(need);
    return out;
}

std::string qp(std::string_view body) { return encode(body, transfer_encoding::quoted_printable); }
std::string seven(std::string_view body) { return encode(body, transfer_encoding::seven_bit); }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// A strict quoted-printable decoder: uppercase hex only, soft breaks "=\r\n", and only
// the characters RFC 2045 rule 2/3 allow; "<bad>" otherwise.
std::string qp_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '=') {
            if (s.substr(i + 1, 2) == "\r\n") {
                i += 2;
                continue;
            }
            if (i + 2 >= s.size() || hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0)
                return "<bad>";
            out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else if (c == '\r') {
            if (s.substr(i, 2) != "\r\n") return "<bad>";
            out += "\r\n";
            ++i;
        } else if (c == ' ' || c == '\t' || (c >= 33 && c <= 126)) {
            out += c;
        } else {
            return "<bad>";
        }
    }
    return out;
}

// Every line at most 76 characters, none ending in SP or TAB, the whole ending in CRLF.
void check_qp_lines(std::string_view s) {
    REQUIRE(s.size() >= 2);
    CHECK(s.substr(s.size() - 2) == "\r\n");
    std::size_t start = 0;
    while (start < s.size()) {
        const std::size_t end = s.find("\r\n", start);
        REQUIRE(end != std::string_view::npos);
        const std::string_view line = s.substr(start, end - start);
        CHECK(line.size() <= 76);
        if (!line.empty()) CHECK((line.back() != ' ' && line.back() != '\t'));
        start = end + 2;
    }
}

constexpr bool constexpr_encode() {
    char buf[16] = {};
    return encode_body("a\nb", transfer_encoding::seven_bit, buf, sizeof buf) == 6 &&
           std::string_view(buf, 6) == "a\r\nb\r\n";
}
static_assert(constexpr_encode());
} // namespace

TEST_CASE("compose body: names of the transfer encodings") {
    CHECK(to_string(transfer_encoding::seven_bit) == "7bit");
    CHECK(to_string(transfer_encoding::quoted_printable) == "quoted-printable");
}

TEST_CASE("compose body: 7bit for ASCII lines up to 998 octets") {
    CHECK(choose_transfer_encoding("") == transfer_encoding::seven_bit);
    CHECK(choose_transfer_encoding("Hello\r\n") == transfer_encoding::seven_bit);
    CHECK(choose_transfer_encoding("tab\tdel\x7F bell\a esc\x1B") == transfer_encoding::seven_bit);
    const std::string line998(998, 'x');
    const std::string line999(999, 'x');
    CHECK(choose_transfer_encoding(line998) == transfer_encoding::seven_bit);
    CHECK(choose_transfer_encoding(line998 + "\r\n" + line998 + "\n" + line998 + "\r" + line998) ==
          transfer_encoding::seven_bit);
    CHECK(choose_transfer_encoding(line999) == transfer_encoding::quoted_printable);
    CHECK(choose_transfer_encoding("a\n" + line999 + "\nb") == transfer_encoding::quoted_printable);
    CHECK(choose_transfer_encoding("caf\xC3\xA9") == transfer_encoding::quoted_printable);
    CHECK(choose_transfer_encoding("\x80") == transfer_encoding::quoted_printable);
    CHECK(choose_transfer_encoding("a\0b"sv) == transfer_encoding::quoted_printable);
}

TEST_CASE("compose body: every line ending becomes CRLF, and the last line gets one") {
    CHECK(seven("") == "");
    CHECK(seven("a") == "a\r\n");
    CHECK(seven("a\r\n") == "a\r\n");
    CHECK(seven("a\n") == "a\r\n");
    CHECK(seven("a\r") == "a\r\n");
    CHECK(seven("a\nb\rc\r\nd") == "a\r\nb\r\nc\r\nd\r\n");
    CHECK(seven("\n") == "\r\n");
    CHECK(seven("\n\r") == "\r\n\r\n");       // LF then a bare CR: two line breaks
    CHECK(seven("\r\r\n") == "\r\n\r\n");     // bare CR then CRLF
    CHECK(seven("\r\n\r\n") == "\r\n\r\n");
    CHECK(seven("\n\n\n") == "\r\n\r\n\r\n");
    CHECK(seven(".\n..\n") == ".\r\n..\r\n"); // not dot-stuffed: that is DATA's job
}

TEST_CASE("compose body: quoted-printable characters") {
    CHECK(qp("a=b") == "a=3Db\r\n");
    CHECK(qp("Gr\xC3\xBC\xC3\x9F" "e") == "Gr=C3=BC=C3=9Fe\r\n");
    CHECK(qp("a b\tc") == "a b\tc\r\n");
    CHECK(qp("trailing ") == "trailing=20\r\n");
    CHECK(qp("trailing\t") == "trailing=09\r\n");
    CHECK(qp("two  \nlines \r\n") == "two =20\r\nlines=20\r\n");
    CHECK(qp(" ") == "=20\r\n");
    CHECK(qp("nul\0del\x7F"sv) == "nul=00del=7F\r\n");
    CHECK(qp("~!") == "~!\r\n");
    CHECK(qp("") == "");
    CHECK(qp("\n") == "\r\n");
}

TEST_CASE("compose body: quoted-printable soft line breaks") {
    const std::string a76(76, 'a');
    CHECK(qp(a76) == a76 + "\r\n"); // the last character may take column 76
    CHECK(qp(std::string(77, 'a')) == std::string(75, 'a') + "=\r\naa\r\n");
    CHECK(qp(std::string(75, 'a') + "=") == std::string(75, 'a') + "=\r\n=3D\r\n");
    CHECK(qp(std::string(73, 'a') + "=") == std::string(73, 'a') + "=3D\r\n"); // 76 exactly
    CHECK(qp(std::string(74, 'a') + "=b") == std::string(74, 'a') + "=\r\n=3Db\r\n");
    CHECK(qp(std::string(72, 'a') + "=b") == std::string(72, 'a') + "=3Db\r\n");
    CHECK(qp(std::string(74, 'a') + " b") == std::string(74, 'a') + " b\r\n");
    CHECK(qp(std::string(75, 'a') + " ") == std::string(75, 'a') + "=\r\n=20\r\n");
}

TEST_CASE("compose body: quoted-printable round trip of long and mixed lines") {
    std::string body;
    for (int i = 0; i < 300; ++i) body += "\xC3\xA9t\xC3\xA9 = summer ";
    body += "\nshort\r\n\r\n";
    body += std::string(2000, 'x') + " \t";
    body += "\rend";
    const std::string coded = qp(body);
    check_qp_lines(coded);
    std::string normalized;
    for (std::size_t i = 0; i < body.size(); ++i) {
        if (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n') continue;
        if (body[i] == '\r' || body[i] == '\n') normalized += "\r\n";
        else normalized += body[i];
    }
    normalized += "\r\n";
    CHECK(qp_decode(coded) == normalized);
}

TEST_CASE("compose body: nothing is written when the result does not fit") {
    std::string out(8, '#');
    CHECK(encode_body("hello\nworld", transfer_encoding::seven_bit, out.data(), 13) == 14);
    CHECK(out == "########");
    CHECK(encode_body("hello\nworld", transfer_encoding::seven_bit, nullptr, 0) == 14);
    std::string fit(14, '#');
    CHECK(encode_body("hello\nworld", transfer_encoding::seven_bit, fit.data(), 14) == 14);
    CHECK(fit == "hello\r\nworld\r\n");
}
