#include "smtpwire/compose/message.hpp"
#include "support/catch.hpp"

#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "smtpwire/ascii.hpp"
#include "smtpwire/base64.hpp"

using namespace std::string_view_literals;
using smtpwire::compose::address;
using smtpwire::compose::compose_error;
using smtpwire::compose::compose_message;
using smtpwire::compose::message;

namespace {

constexpr std::int64_t nov_23_2026 = 1795432854; // 2026-11-23T11:20:54Z

const address bob{"", "bob@example.org"};

message basic() {
    message m;
    m.from = {"Alice Example", "alice@example.com"};
    m.to = &bob;
    m.to_count = 1;
    m.date = {nov_23_2026, 0};
    m.body = "Hi.\n";
    return m;
}

compose_error error_of(const message& m) {
    char buf[4096];
    const auto r = compose_message(m, buf, sizeof buf);
    if (r.error != compose_error::ok && r.error != compose_error::buffer_too_small)
        CHECK(r.size == 0);
    return r.error;
}

// Composes `m`, checking that a buffer of exactly the reported size suffices and that
// nothing is written past it.
std::string compose(const message& m) {
    const auto measured = compose_message(m, nullptr, 0);
    REQUIRE(measured.error == compose_error::buffer_too_small);
    std::string out(measured.size + 8, '#');
    const auto r = compose_message(m, out.data(), measured.size);
    REQUIRE(r.error == compose_error::ok);
    REQUIRE(r.size == measured.size);
    CHECK(out.substr(r.size) == "########");
    out.resize(r.size);
    return out;
}

std::string_view headers_of(std::string_view msg) {
    const std::size_t end = msg.find("\r\n\r\n");
    REQUIRE(end != std::string_view::npos);
    return msg.substr(0, end + 2);
}

std::string_view body_of(std::string_view msg) {
    const std::size_t end = msg.find("\r\n\r\n");
    REQUIRE(end != std::string_view::npos);
    return msg.substr(end + 4);
}

std::vector<std::string> lines_of(std::string_view block) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < block.size()) {
        const std::size_t end = block.find("\r\n", start);
        REQUIRE(end != std::string_view::npos);
        lines.emplace_back(block.substr(start, end - start));
        start = end + 2;
    }
    return lines;
}

// The raw (folded) text of header field `name`, from its name to before its final CRLF;
// empty when absent.
std::string_view raw_field(std::string_view msg, std::string_view name) {
    const std::string_view headers = headers_of(msg);
    std::size_t pos = 0;
    while (pos < headers.size()) {
        std::size_t end = headers.find("\r\n", pos);
        while (end + 2 < headers.size() && (headers[end + 2] == ' ' || headers[end + 2] == '\t'))
            end = headers.find("\r\n", end + 2);
        const std::string_view field = headers.substr(pos, end - pos);
        if (field.size() > name.size() && field[name.size()] == ':' &&
            smtpwire::ascii::iequals(field.substr(0, name.size()), name))
            return field;
        pos = end + 2;
    }
    return {};
}

// The lines of field `name` as folded.
std::vector<std::string> field_lines(std::string_view msg, std::string_view name) {
    return lines_of(std::string(raw_field(msg, name)) + "\r\n");
}

// Field `name` unfolded (RFC 5322 §2.2.3: CRLF removed), without "name: ".
std::string field(std::string_view msg, std::string_view name) {
    const std::string_view raw = raw_field(msg, name);
    if (raw.empty()) return "<absent>";
    std::string out;
    for (std::size_t i = name.size() + 1; i < raw.size(); ++i) {
        if (raw.substr(i, 2) == "\r\n") {
            ++i;
            continue;
        }
        out += raw[i];
    }
    REQUIRE(!out.empty());
    CHECK(out.front() == ' ');
    return out.substr(1);
}

// Decodes a header value made of RFC 2047 B encoded-words: the whitespace between two
// encoded-words is dropped, other text is kept. Each encoded-word must be well-formed,
// at most 75 characters, and carry whole UTF-8 characters.
std::string decode_words(std::string_view value) {
    std::string out;
    bool previous_encoded = false;
    std::size_t i = 0;
    while (i < value.size()) {
        std::size_t sp = i;
        while (sp < value.size() && value[sp] == ' ') ++sp;
        const std::string_view spaces = value.substr(i, sp - i);
        std::size_t end = value.find(' ', sp);
        if (end == std::string_view::npos) end = value.size();
        const std::string_view w = value.substr(sp, end - sp);
        const bool encoded = w.size() >= 12 && w.substr(0, 10) == "=?UTF-8?B?" &&
                             w.substr(w.size() - 2) == "?=";
        if (!(encoded && previous_encoded)) out += spaces;
        if (encoded) {
            CHECK(w.size() <= 75);
            const std::string_view b64 = w.substr(10, w.size() - 12);
            std::string text(smtpwire::base64_decoded_max(b64.size()), '\0');
            std::size_t n = 0;
            REQUIRE(smtpwire::base64_decode(b64, text.data(), n));
            text.resize(n);
            CHECK(smtpwire::ascii::is_valid_utf8(text));
            out += text;
        } else {
            out += w;
        }
        previous_encoded = encoded;
        i = end;
    }
    return out;
}

// Header lines at most 78 characters, and at most 76 when they hold an encoded-word.
void check_header_lines(std::string_view msg) {
    for (std::string_view line : lines_of(headers_of(msg))) {
        CHECK(line.size() <= 78);
        if (line.find("=?") != std::string_view::npos) CHECK(line.size() <= 76);
        CHECK_FALSE(line.find_first_not_of(" \t") == std::string_view::npos); // no blank line
    }
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string qp_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '=') {
            out += s[i];
        } else if (s.substr(i + 1, 2) == "\r\n") {
            i += 2;
        } else {
            REQUIRE(i + 2 < s.size());
            REQUIRE(hex_value(s[i + 1]) >= 0);
            REQUIRE(hex_value(s[i + 2]) >= 0);
            out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        }
    }
    return out;
}

std::string display(std::string_view name, std::string_view addr = "x@example.com") {
    const address a{name, addr};
    message m = basic();
    m.to = &a;
    const std::string msg = compose(m);
    check_header_lines(msg);
    return field(msg, "To");
}

constexpr std::size_t constexpr_size() {
    const address to{"", "b@example.org"};
    message m;
    m.from = {"", "a@example.com"};
    m.to = &to;
    m.to_count = 1;
    m.date = {0, 0};
    char buf[256] = {};
    const auto r = compose_message(m, buf, sizeof buf);
    return r.error == compose_error::ok ? r.size : 0;
}
static_assert(constexpr_size() == 174);

} // namespace

TEST_CASE("compose message: a simple ASCII message, byte for byte") {
    const address cc{"Carol", "carol@example.net"};
    message m = basic();
    m.cc = &cc;
    m.cc_count = 1;
    m.subject = "Hello";
    m.message_id = "<20261123112054.1@example.com>";
    m.body = "Hi Bob,\nsee you.\n";
    CHECK(compose(m) ==
          "Date: Mon, 23 Nov 2026 11:20:54 +0000\r\n"
          "From: Alice Example <alice@example.com>\r\n"
          "To: bob@example.org\r\n"
          "Cc: Carol <carol@example.net>\r\n"
          "Subject: Hello\r\n"
          "Message-ID: <20261123112054.1@example.com>\r\n"
          "MIME-Version: 1.0\r\n"
          "Content-Type: text/plain; charset=UTF-8\r\n"
          "Content-Transfer-Encoding: 7bit\r\n"
          "\r\n"
          "Hi Bob,\r\n"
          "see you.\r\n");
}

TEST_CASE("compose message: optional headers are left out") {
    message m = basic();
    m.from = {"", "alice@example.com"};
    m.body = "";
    CHECK(compose(m) ==
          "Date: Mon, 23 Nov 2026 11:20:54 +0000\r\n"
          "From: alice@example.com\r\n"
          "To: bob@example.org\r\n"
          "MIME-Version: 1.0\r\n"
          "Content-Type: text/plain; charset=UTF-8\r\n"
          "Content-Transfer-Encoding: 7bit\r\n"
          "\r\n");
}

TEST_CASE("compose message: the Date header follows the offset") {
    message m = basic();
    m.date = {nov_23_2026, 60};
    CHECK(field(compose(m), "Date") == "Mon, 23 Nov 2026 12:20:54 +0100");
    m.date = {nov_23_2026, -210};
    CHECK(field(compose(m), "Date") == "Mon, 23 Nov 2026 07:50:54 -0330");
    m.date = {0, 0};
    CHECK(field(compose(m), "Date") == "Thu, 01 Jan 1970 00:00:00 +0000");
    m.date = {951782400, 0};
    CHECK(field(compose(m), "Date") == "Tue, 29 Feb 2000 00:00:00 +0000");
    m.date = {-27723426, -210};
    CHECK(field(compose(m), "Date") == "Thu, 13 Feb 1969 23:32:54 -0330");
    m.date = {-1, 0};
    CHECK(field(compose(m), "Date") == "Wed, 31 Dec 1969 23:59:59 +0000");
    m.date = {0, 6000};
    CHECK(error_of(m) == compose_error::invalid_date);
    m.date = {-2208988801, 0};
    CHECK(error_of(m) == compose_error::invalid_date);
}

TEST_CASE("compose message: a non-ASCII subject becomes encoded-words") {
    message m = basic();
    m.subject = "Gr\xC3\xBC\xC3\x9F" "e";
    std::string msg = compose(m);
    CHECK(raw_field(msg, "Subject") == "Subject: =?UTF-8?B?R3LDvMOfZQ==?=");

    m.subject = "Gr\xC3\xBC\xC3\x9F" "e aus K\xC3\xB6ln \xE2\x80\x94 \xE2\x9C\x93 "
                "\xF0\x9F\x98\x80 und mehr";
    msg = compose(m);
    check_header_lines(msg);
    CHECK(decode_words(field(msg, "Subject")) == m.subject);
    CHECK(msg.find("K\xC3\xB6ln") == std::string::npos);
}

TEST_CASE("compose message: text that looks like an encoded-word is encoded itself") {
    message m = basic();
    m.subject = "=?UTF-8?B?SGk=?=";
    const std::string msg = compose(m);
    CHECK(field(msg, "Subject") != m.subject);
    CHECK(decode_words(field(msg, "Subject")) == m.subject);
    CHECK(display("=?UTF-8?B?SGk=?=") != "=?UTF-8?B?SGk=?= <x@example.com>");
    CHECK(decode_words(display("=?UTF-8?B?SGk=?=")) == "=?UTF-8?B?SGk=?= <x@example.com>");
}

TEST_CASE("compose message: a 300-character ASCII subject is folded between words") {
    std::string subject;
    for (int i = 0; subject.size() < 300; ++i) subject += "word" + std::to_string(i) + " ";
    subject.resize(300);
    if (subject.back() == ' ') subject.back() = 'x';
    message m = basic();
    m.subject = subject;
    const std::string msg = compose(m);
    check_header_lines(msg);
    const std::string_view raw = raw_field(msg, "Subject");
    CHECK(field_lines(msg, "Subject").size() >= 4);
    CHECK(field(msg, "Subject") == subject); // folding only inserted CRLFs
    CHECK(raw.find("=?") == std::string_view::npos);
}

TEST_CASE("compose message: a 300-character non-ASCII subject is split into encoded-words") {
    std::string subject;
    while (subject.size() < 300) subject += "\xC3\xA4\xE2\x82\xAC\xF0\x9F\x98\x80 x";
    message m = basic();
    m.subject = subject;
    const std::string msg = compose(m);
    check_header_lines(msg);
    CHECK(decode_words(field(msg, "Subject")) == subject);
    // Each line after the first holds one encoded-word of at most 75 characters.
    const auto lines = field_lines(msg, "Subject");
    REQUIRE(lines.size() >= 6);
    CHECK(lines[0].substr(0, 19) == "Subject: =?UTF-8?B?");
    for (std::size_t i = 1; i < lines.size(); ++i) {
        CHECK(lines[i].substr(0, 11) == " =?UTF-8?B?");
        CHECK(lines[i].size() <= 76);
    }
}

TEST_CASE("compose message: an ASCII word too long for a line is encoded") {
    message m = basic();
    const std::string url = "https://example.com/" + std::string(120, 'a');
    const std::string subject = "see " + url;
    m.subject = subject;
    const std::string msg = compose(m);
    check_header_lines(msg);
    CHECK(decode_words(field(msg, "Subject")) == m.subject);

    const std::string plain = "see " + std::string(69, 'b');
    m.subject = plain; // 69 characters still fit after "Subject: "
    const std::string msg2 = compose(m);
    CHECK(raw_field(msg2, "Subject") == "Subject: see\r\n " + std::string(69, 'b'));
}

TEST_CASE("compose message: subject whitespace is kept") {
    message m = basic();
    m.subject = "a  b";
    CHECK(field(compose(m), "Subject") == "a  b");
    m.subject = " lead";
    CHECK(field(compose(m), "Subject") == " lead");
    m.subject = "tab\there";
    CHECK(decode_words(field(compose(m), "Subject")) == "tab\there");
    m.subject = "trailing "; // carried in an encoded-word, not left at a line's end
    CHECK(field(compose(m), "Subject") == "=?UTF-8?B?dHJhaWxpbmcg?=");

    // Runs of spaces move with the word after them when the line is folded.
    std::string runs;
    for (int i = 0; i < 40; ++i) runs += "abc     ";
    runs += "end";
    m.subject = runs;
    std::string msg = compose(m);
    check_header_lines(msg);
    CHECK(field(msg, "Subject") == runs);
    CHECK(raw_field(msg, "Subject").find("=?") == std::string_view::npos);
    CHECK(raw_field(msg, "Subject").find(" \r\n") == std::string_view::npos);

    const std::string wide = "a" + std::string(70, ' ') + "b"; // no fold can keep it short
    m.subject = wide;
    msg = compose(m);
    check_header_lines(msg);
    CHECK(decode_words(field(msg, "Subject")) == wide);
}

TEST_CASE("compose message: 40 To addresses are folded between addresses") {
    std::vector<std::string> specs;
    for (int i = 0; i < 40; ++i) specs.push_back("recipient" + std::to_string(i) + "@example.com");
    std::vector<address> to;
    std::string expected;
    for (const auto& s : specs) {
        to.push_back(address{"", s});
        expected += (expected.empty() ? "" : ", ") + s;
    }
    message m = basic();
    m.to = to.data();
    m.to_count = to.size();
    const std::string msg = compose(m);
    check_header_lines(msg);
    CHECK(field(msg, "To") == expected);
    const auto lines = field_lines(msg, "To");
    CHECK(lines.size() >= 10);
    CHECK(lines[0] ==
          "To: recipient0@example.com, recipient1@example.com, recipient2@example.com,");
    CHECK(lines[1] == " recipient3@example.com, recipient4@example.com, recipient5@example.com,");
    for (std::size_t i = 0; i + 1 < lines.size(); ++i) CHECK(lines[i].back() == ',');
    REQUIRE(recipient_count(m) == 40);
    for (std::size_t i = 0; i < 40; ++i) CHECK(recipient(m, i) == specs[i]);
}

TEST_CASE("compose message: addresses with display names fold and round-trip") {
    std::vector<std::string> names;
    std::vector<std::string> specs;
    for (int i = 0; i < 12; ++i) {
        names.push_back(i % 3 == 0 ? "J\xC3\xB6rg Nummer " + std::to_string(i)
                        : i % 3 == 1 ? "Doe, Jane " + std::to_string(i)
                                     : "Plain Name" + std::to_string(i));
        specs.push_back("user" + std::to_string(i) + "@example.com");
    }
    std::vector<address> cc;
    for (std::size_t i = 0; i < 12; ++i) cc.push_back(address{names[i], specs[i]});
    message m = basic();
    m.cc = cc.data();
    m.cc_count = cc.size();
    const std::string msg = compose(m);
    check_header_lines(msg);
    std::string expected;
    for (std::size_t i = 0; i < 12; ++i) {
        if (i != 0) expected += ", ";
        if (i % 3 == 1) expected += "\"" + names[i] + "\"";
        else expected += names[i];
        expected += " <" + specs[i] + ">";
    }
    CHECK(decode_words(field(msg, "Cc")) == expected);
}

TEST_CASE("compose message: display names as atoms, quoted-strings or encoded-words") {
    CHECK(display("John Doe") == "John Doe <x@example.com>");
    CHECK(display("O'Brien") == "O'Brien <x@example.com>");
    CHECK(display("Doe, John") == "\"Doe, John\" <x@example.com>");
    CHECK(display("John Q. Public") == "\"John Q. Public\" <x@example.com>");
    CHECK(display("a;b:c<d>e@f[g]h(i)") == "\"a;b:c<d>e@f[g]h(i)\" <x@example.com>");
    CHECK(display("say \"hi\"") == "\"say \\\"hi\\\"\" <x@example.com>");
    CHECK(display("back\\slash") == "\"back\\\\slash\" <x@example.com>");
    CHECK(display("John  Doe") == "\"John  Doe\" <x@example.com>");
    CHECK(display(" John") == "\" John\" <x@example.com>");
    CHECK(display("John ") == "\"John \" <x@example.com>");
    CHECK(display("   ") == "\"   \" <x@example.com>");
    std::string runs;
    for (int i = 0; i < 30; ++i) runs += "   x,";
    CHECK(display(runs) == "\"" + runs + "\" <x@example.com>");
    CHECK(display("J\xC3\xB6hn Doe") == "=?UTF-8?B?SsO2aG4gRG9l?= <x@example.com>");
    CHECK(decode_words(display("tab\tname")) == "tab\tname <x@example.com>");
    CHECK(decode_words(display("bell\a")) == "bell\a <x@example.com>");
    CHECK(display("", "\"john doe\"@example.com") == "\"john doe\"@example.com");
}

TEST_CASE("compose message: long display names fold and stay within the limits") {
    std::string quoted_name;
    while (quoted_name.size() < 200) quoted_name += "Lastname, Firstname ";
    quoted_name.pop_back();
    const std::string q = display(quoted_name);
    CHECK(q == "\"" + quoted_name + "\" <x@example.com>"); // folds at spaces inside the quotes
    std::string long_name;
    while (long_name.size() < 300) long_name += "\xC3\x9C" "berl\xC3\xA4nge ";
    const address a{long_name, "x@example.com"};
    message m = basic();
    m.to = &a;
    const std::string msg = compose(m);
    check_header_lines(msg);
    CHECK(decode_words(field(msg, "To")) == long_name + " <x@example.com>");
    {
        const address qa{quoted_name, "x@example.com"};
        m.to = &qa;
        const std::string qmsg = compose(m);
        check_header_lines(qmsg);
        CHECK(field_lines(qmsg, "To").size() >= 3);
    }
    const std::string one_word(100, 'w'); // no place to fold: encoded instead
    const address w{one_word, "x@example.com"};
    m.to = &w;
    const std::string wmsg = compose(m);
    check_header_lines(wmsg);
    CHECK(decode_words(field(wmsg, "To")) == one_word + " <x@example.com>");
}

TEST_CASE("compose message: generated subjects and display names round-trip within limits") {
    constexpr std::string_view parts[] = {
        "a", "Z", "9", " ", "  ", ",", "\"", "\\", ".", "=?", "?=", "=", "?", "\t",
        "(", "<", "@", ";", "\xC3\xB6", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "abcdefghij",
        "word", "x=?UTF-8?B?QQ==?=",
    };
    // Every other round uses printable ASCII only, for atoms and quoted-strings.
    constexpr std::string_view ascii_parts[] = {"a", "Z", "9", " ", "  ", ",", "\"", "\\", ".",
                                                "word", "abcdefghij"};
    std::uint32_t state = 12345;
    const auto next = [&state](std::uint32_t n) {
        state = state * 1103515245u + 12345u;
        return (state >> 8) % n;
    };
    for (int round = 0; round < 400; ++round) {
        std::string name;
        std::string subject;
        const std::uint32_t name_parts = 1 + next(40);
        const auto part = [&](bool ascii) {
            return ascii ? ascii_parts[next(std::size(ascii_parts))]
                         : parts[next(std::size(parts))];
        };
        for (std::uint32_t i = 0; i < name_parts; ++i) name += part(round % 2 == 0);
        const std::uint32_t subject_parts = 1 + next(80);
        for (std::uint32_t i = 0; i < subject_parts; ++i) subject += part(round % 2 == 0);
        const address to{name, "x@example.com"};
        message m = basic();
        m.to = &to;
        m.subject = subject;
        const std::string msg = compose(m);
        check_header_lines(msg);
        CHECK(decode_words(field(msg, "Subject")) == subject);

        const std::string to_value = field(msg, "To");
        constexpr std::string_view suffix = " <x@example.com>";
        REQUIRE(to_value.size() > suffix.size());
        REQUIRE(to_value.substr(to_value.size() - suffix.size()) == suffix);
        const std::string phrase = to_value.substr(0, to_value.size() - suffix.size());
        if (phrase.front() == '"') {
            REQUIRE(phrase.size() >= 2);
            REQUIRE(phrase.back() == '"');
            std::string unquoted;
            for (std::size_t i = 1; i + 1 < phrase.size(); ++i) {
                if (phrase[i] == '\\') ++i;
                else CHECK(phrase[i] != '"');
                unquoted += phrase[i];
            }
            CHECK(unquoted == name);
        } else {
            CHECK(decode_words(phrase) == name);
            if (phrase.find("=?") == std::string::npos) {
                for (char c : phrase)
                    CHECK((c == ' ' || smtpwire::ascii::is(c, smtpwire::ascii::atext)));
            }
        }
    }
}

TEST_CASE("compose message: the longest addr_spec makes the only long line") {
    const std::string spec = std::string(64, 'l') + "@" + std::string(63, 'd') + "." +
                             std::string(63, 'd') + "." + std::string(63, 'd') + "." +
                             std::string(63, 'd');
    REQUIRE(spec.size() == 320);
    const address a{"Name", spec};
    message m = basic();
    m.to = &a;
    const std::string msg = compose(m);
    CHECK(field(msg, "To") == "Name <" + spec + ">");
    for (std::string_view line : lines_of(headers_of(msg))) CHECK(line.size() <= 998);
    CHECK(raw_field(msg, "To") == "To: Name\r\n <" + spec + ">");
}

TEST_CASE("compose message: Bcc is never in the headers but is an envelope recipient") {
    const address to[] = {{"", "to1@example.com"}, {"", "to2@example.com"}};
    const address cc[] = {{"Cee", "cc1@example.com"}};
    const address bcc[] = {{"Secret Person", "hidden1@example.com"}, {"", "hidden2@example.net"}};
    message m = basic();
    m.to = to;
    m.to_count = 2;
    m.cc = cc;
    m.cc_count = 1;
    m.bcc = bcc;
    m.bcc_count = 2;
    const std::string msg = compose(m);
    CHECK(msg.find("hidden") == std::string::npos);
    CHECK(msg.find("Secret") == std::string::npos);
    CHECK(raw_field(msg, "Bcc").empty());
    CHECK(recipient_count(m) == 5);
    CHECK(recipient(m, 0) == "to1@example.com");
    CHECK(recipient(m, 1) == "to2@example.com");
    CHECK(recipient(m, 2) == "cc1@example.com");
    CHECK(recipient(m, 3) == "hidden1@example.com");
    CHECK(recipient(m, 4) == "hidden2@example.net");
    CHECK(recipient(m, 5).empty());
    CHECK(recipient(m, static_cast<std::size_t>(-1)).empty());

    message only_bcc = basic();
    only_bcc.to = nullptr;
    only_bcc.to_count = 0;
    only_bcc.bcc = bcc;
    only_bcc.bcc_count = 2;
    const std::string msg2 = compose(only_bcc);
    CHECK(raw_field(msg2, "To").empty());
    CHECK(raw_field(msg2, "Cc").empty());
    CHECK(msg2.find("hidden") == std::string::npos);
    CHECK(recipient(only_bcc, 0) == "hidden1@example.com");
}

TEST_CASE("compose message: no recipients") {
    message m = basic();
    m.to = nullptr;
    m.to_count = 0;
    CHECK(error_of(m) == compose_error::no_recipients);
    CHECK(recipient_count(m) == 0);
    CHECK(recipient(m, 0).empty());
    m.to_count = 3; // a null list counts as empty
    CHECK(error_of(m) == compose_error::no_recipients);
    CHECK(recipient_count(m) == 0);
    m.to = &bob;
    m.to_count = 0;
    CHECK(error_of(m) == compose_error::no_recipients);
    m.from.addr_spec = "bad";
    CHECK(error_of(m) == compose_error::invalid_address); // From is checked first
}

TEST_CASE("compose message: CR, LF and NUL injection is refused everywhere") {
    for (std::string_view brk : {"\r\n"sv, "\n"sv, "\r"sv, "\0"sv}) {
        const std::string inj = std::string(brk) + "Bcc: victim@example.net";
        message m = basic();
        const std::string subject = "Hello" + inj;
        m.subject = subject;
        CHECK(error_of(m) == compose_error::invalid_text);

        m = basic();
        const std::string name = "Alice" + inj;
        m.from.display_name = name;
        CHECK(error_of(m) == compose_error::invalid_text);

        m = basic();
        const std::string spec = "alice@example.com" + inj;
        m.from.addr_spec = spec;
        CHECK(error_of(m) == compose_error::invalid_address);

        for (int list = 0; list < 3; ++list) {
            const std::string evil_spec = "a@example.com" + std::string(brk) + "RCPT TO:<x@y.z>";
            const std::string evil_name = "N" + inj;
            const address bad_spec{"", evil_spec};
            const address bad_name{evil_name, "a@example.com"};
            for (const address* a : {&bad_spec, &bad_name}) {
                m = basic();
                if (list == 0) m.to = a;
                if (list == 1) { m.cc = a; m.cc_count = 1; }
                if (list == 2) { m.bcc = a; m.bcc_count = 1; }
                CHECK(error_of(m) == (a == &bad_spec ? compose_error::invalid_address
                                                     : compose_error::invalid_text));
            }
        }

        m = basic();
        const std::string id = "<a@example.com>" + inj;
        m.message_id = id;
        CHECK(error_of(m) == compose_error::invalid_message_id);
        const std::string id2 = "<a" + std::string(brk) + "b@example.com>";
        m.message_id = id2;
        CHECK(error_of(m) == compose_error::invalid_message_id);
    }
    message m = basic();
    m.subject = "quoted \"\r\n\" break";
    CHECK(error_of(m) == compose_error::invalid_text);
    m = basic();
    m.from.addr_spec = "\"a\r\nb\"@example.com";
    CHECK(error_of(m) == compose_error::invalid_address);
    m.from.addr_spec = "a@[1.2.3.4\r\n]";
    CHECK(error_of(m) == compose_error::invalid_address);
}

TEST_CASE("compose message: addr_spec syntax") {
    const auto check = [](std::string_view spec) {
        message m = basic();
        m.from.addr_spec = spec;
        return error_of(m);
    };
    for (std::string_view ok : {"a@example.com"sv, "first.last@example.com"sv,
                                "user+tag@sub.example.co.uk"sv, "!#$%&'*+-/=?^_`{|}~@example.com"sv,
                                "\"john doe\"@example.com"sv, "\"a\\\"b\"@example.com"sv,
                                "\"a@b\"@example.com"sv, "postmaster@localhost"sv,
                                "a@[192.0.2.1]"sv, "a@[IPv6:2001:db8::1]"sv})
        CHECK(check(ok) == compose_error::ok);
    for (std::string_view bad : {""sv, "a"sv, "a@"sv, "@example.com"sv, "a@b@example.com"sv,
                                 "a..b@example.com"sv, ".a@example.com"sv, "a.@example.com"sv,
                                 "a b@example.com"sv, "a@exa mple.com"sv, "<a@example.com>"sv,
                                 "a@example.com>"sv, "a@-example.com"sv, "a@example..com"sv,
                                 "a@example.com."sv, "\"unterminated@example.com"sv,
                                 "j\xC3\xB6rg@example.com"sv, "a@b\xC3\xBC.example"sv,
                                 "a,b@example.com"sv, "a@[300.0.0.1]"sv})
        CHECK(check(bad) == compose_error::invalid_address);
    CHECK(check(std::string(64, 'a') + "@example.com") == compose_error::ok);
    CHECK(check(std::string(65, 'a') + "@example.com") == compose_error::invalid_address);
}

TEST_CASE("compose message: text must be UTF-8") {
    message m = basic();
    m.subject = "caf\xE9";
    CHECK(error_of(m) == compose_error::invalid_text);
    m = basic();
    m.from.display_name = "\xC3";
    CHECK(error_of(m) == compose_error::invalid_text);
    m = basic();
    m.from.display_name = "\xED\xA0\x80"; // a surrogate
    CHECK(error_of(m) == compose_error::invalid_text);
    m = basic();
    m.body = "ok\n\xC0\xAF";
    CHECK(error_of(m) == compose_error::invalid_text);
}

TEST_CASE("compose message: Message-ID syntax") {
    const auto check = [](std::string_view id) {
        message m = basic();
        m.message_id = id;
        return error_of(m);
    };
    for (std::string_view ok : {"<a@b>"sv, "<20261123.abc-1$x@mail.example.com>"sv,
                                "<x@[192.0.2.1]>"sv, "<x@[]>"sv, "<a.b.c@d>"sv})
        CHECK(check(ok) == compose_error::ok);
    for (std::string_view bad : {"a@b"sv, "<a@b"sv, "a@b>"sv, "<>"sv, "<@b>"sv, "<a@>"sv,
                                 "<ab>"sv, "<a@b@c>"sv, "<a..b@c>"sv, "<.a@c>"sv, "<a@c.>"sv,
                                 "<a b@c>"sv, "< a@c>"sv, "<a@c >"sv, "<a@[b]c>"sv, "<a@[b[]>"sv,
                                 "<a@[b\\]>"sv, "<\"a\"@b>"sv, "<a@b>>"sv, "<<a@b>"sv,
                                 "<\xC3\xA4@b>"sv})
        CHECK(check(bad) == compose_error::invalid_message_id);
    const std::string longest = "<" + std::string(980, 'a') + "@b.c>";
    REQUIRE(longest.size() == 986);
    CHECK(check(longest) == compose_error::ok);
    CHECK(check("<a" + longest.substr(1)) == compose_error::invalid_message_id);
}

TEST_CASE("compose message: body line endings") {
    message m = basic();
    m.body = "bare LF\nbare CR\rCRLF\r\nlast line without newline";
    std::string msg = compose(m);
    CHECK(field(msg, "Content-Transfer-Encoding") == "7bit");
    CHECK(body_of(msg) == "bare LF\r\nbare CR\r\nCRLF\r\nlast line without newline\r\n");
    m.body = "\n\n";
    CHECK(body_of(compose(m)) == "\r\n\r\n");
    m.body = "x";
    CHECK(body_of(compose(m)) == "x\r\n");
    m.body = "";
    CHECK(body_of(compose(m)) == "");
}

TEST_CASE("compose message: a 2000-character line forces quoted-printable") {
    std::string line;
    for (int i = 0; i < 200; ++i) line += "0123456=89";
    REQUIRE(line.size() == 2000);
    message m = basic();
    const std::string body = "first\n" + line + "\nlast ";
    m.body = body;
    const std::string msg = compose(m);
    CHECK(field(msg, "Content-Transfer-Encoding") == "quoted-printable");
    const std::string_view coded = body_of(msg);
    for (std::string_view l : lines_of(coded)) {
        CHECK(l.size() <= 76);
        for (char c : l) CHECK(((c >= 33 && c <= 126) || c == ' '));
    }
    CHECK(qp_decode(coded) == "first\r\n" + line + "\r\nlast \r\n");
    CHECK(coded.substr(coded.size() - 9) == "last=20\r\n");

    std::string ascii998(998, 'y');
    m.body = ascii998;
    CHECK(field(compose(m), "Content-Transfer-Encoding") == "7bit");
}

TEST_CASE("compose message: a non-ASCII body is quoted-printable, so no 8BITMIME is needed") {
    message m = basic();
    m.body = "Gr\xC3\xBC\xC3\x9F" "e,\nJ\xC3\xB6rg \xF0\x9F\x98\x80\n";
    const std::string msg = compose(m);
    CHECK(field(msg, "Content-Transfer-Encoding") == "quoted-printable");
    CHECK(body_of(msg) == "Gr=C3=BC=C3=9Fe,\r\nJ=C3=B6rg =F0=9F=98=80\r\n");
    for (char c : msg) CHECK(static_cast<unsigned char>(c) < 0x80);
}

TEST_CASE("compose message: buffer_too_small reports the size and writes nothing") {
    message m = basic();
    m.subject = "Gr\xC3\xBC\xC3\x9F" "e";
    const std::string body(3000, 'z');
    m.body = body;
    const std::string full = compose(m);
    for (std::size_t cap : {std::size_t{0}, std::size_t{1}, std::size_t{100}, full.size() - 1}) {
        std::string buf(full.size() + 16, '#');
        const auto r = compose_message(m, buf.data(), cap);
        CHECK(r.error == compose_error::buffer_too_small);
        CHECK(r.size == full.size());
        CHECK(buf == std::string(full.size() + 16, '#'));
    }
    std::string buf(full.size() + 16, '#');
    const auto r = compose_message(m, buf.data(), buf.size());
    CHECK(r.error == compose_error::ok);
    CHECK(r.size == full.size());
    CHECK(buf.substr(0, r.size) == full);
    CHECK(buf.substr(r.size) == std::string(16, '#'));

    std::string untouched(64, '#');
    m.subject = "bad\n";
    const auto e = compose_message(m, untouched.data(), untouched.size());
    CHECK(e.error == compose_error::invalid_text);
    CHECK(e.size == 0);
    CHECK(untouched == std::string(64, '#'));
}

TEST_CASE("compose message: the output is 7-bit with CRLF line endings only") {
    const address to{"J\xC3\xB6rg", "j@example.com"};
    message m = basic();
    m.to = &to;
    m.subject = "\xE2\x9C\x93 done";
    m.body = "caf\xC3\xA9\r\nline\rline\n";
    const std::string msg = compose(m);
    for (std::size_t i = 0; i < msg.size(); ++i) {
        const auto c = static_cast<unsigned char>(msg[i]);
        CHECK(c < 0x80);
        CHECK(c != 0);
        if (c == '\r') CHECK(msg.substr(i, 2) == "\r\n");
        if (c == '\n') CHECK((i > 0 && msg[i - 1] == '\r'));
    }
    CHECK(msg.substr(msg.size() - 2) == "\r\n");
}

TEST_CASE("compose error: to_string") {
    CHECK(to_string(compose_error::ok) == "ok");
    CHECK(to_string(compose_error::buffer_too_small) == "buffer too small");
    CHECK(to_string(compose_error::invalid_address) == "invalid address");
    CHECK(to_string(compose_error::invalid_text) == "invalid text");
    CHECK(to_string(compose_error::no_recipients) == "no recipients");
    CHECK(to_string(compose_error::invalid_message_id) == "invalid Message-ID");
    CHECK(to_string(compose_error::invalid_date) == "invalid date");
}
