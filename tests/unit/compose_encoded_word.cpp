#include "smtpwire/compose/encoded_word.hpp"
#include "support/catch.hpp"

#include <string>
#include <string_view>

#include "smtpwire/ascii.hpp"

using namespace std::string_view_literals;
using smtpwire::compose::encode_word;
using smtpwire::compose::encoded_word_prefix_length;
using smtpwire::compose::encoded_word_size;
using smtpwire::compose::max_encoded_word_length;
using smtpwire::compose::utf8_sequence_length;

namespace {
std::string word(std::string_view text) {
    std::string out(encoded_word_size(text.size()), '?');
    REQUIRE(encode_word(text, out.data()) == out.size());
    return out;
}

std::string repeat(std::string_view s, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += s;
    return out;
}

static_assert(encoded_word_size(0) == 12);
static_assert(encoded_word_size(45) == 72);
static_assert(encoded_word_prefix_length("abc", max_encoded_word_length) == 3);
} // namespace

TEST_CASE("compose encoded_word: B encoding of UTF-8 text") {
    CHECK(word("J\xC3\xB6hn") == "=?UTF-8?B?SsO2aG4=?=");
    CHECK(word("Gr\xC3\xBC\xC3\x9F" "e") == "=?UTF-8?B?R3LDvMOfZQ==?=");
    CHECK(word("a") == "=?UTF-8?B?YQ==?=");
    CHECK(word("\xE2\x82\xAC") == "=?UTF-8?B?4oKs?=");
}

TEST_CASE("compose encoded_word: lead bytes give the sequence length") {
    CHECK(utf8_sequence_length('a') == 1);
    CHECK(utf8_sequence_length('\x7F') == 1);
    CHECK(utf8_sequence_length('\x80') == 1); // a continuation byte cannot lead
    CHECK(utf8_sequence_length('\xBF') == 1);
    CHECK(utf8_sequence_length('\xC3') == 2);
    CHECK(utf8_sequence_length('\xDF') == 2);
    CHECK(utf8_sequence_length('\xE2') == 3);
    CHECK(utf8_sequence_length('\xEF') == 3);
    CHECK(utf8_sequence_length('\xF0') == 4);
    CHECK(utf8_sequence_length('\xF4') == 4);
    CHECK(utf8_sequence_length('\xFF') == 1);
}

TEST_CASE("compose encoded_word: the longest prefix that fits, in whole characters") {
    const std::string ascii(100, 'x');
    CHECK(encoded_word_prefix_length(ascii, 75) == 45);  // 12 + 60 = 72; 46 octets need 76
    CHECK(encoded_word_prefix_length(ascii, 71) == 42);
    CHECK(encoded_word_prefix_length(ascii, 20) == 6);
    CHECK(encoded_word_prefix_length(ascii, 16) == 3);
    CHECK(encoded_word_prefix_length(ascii, 15) == 0);
    CHECK(encoded_word_prefix_length(ascii, 0) == 0);
    CHECK(encoded_word_prefix_length("", 75) == 0);

    const std::string two = repeat("\xC3\xB6", 40);          // U+00F6, 2 octets each
    CHECK(encoded_word_prefix_length(two, 75) == 44);        // not 45: that would split one
    const std::string three = repeat("\xE2\x82\xAC", 30);    // U+20AC, 3 octets each
    CHECK(encoded_word_prefix_length(three, 75) == 45);
    const std::string four = repeat("\xF0\x9F\x98\x80", 20); // U+1F600, 4 octets each
    CHECK(encoded_word_prefix_length(four, 75) == 44);
    CHECK(encoded_word_prefix_length(four, 19) == 0);        // one character needs 20
    CHECK(encoded_word_prefix_length(four, 20) == 4);
    CHECK(encoded_word_prefix_length("a" + four, 20) == 5);  // 5 octets: 8 base64 characters
    CHECK(encoded_word_prefix_length("abc" + four, 20) == 3); // 6 octets fit, but not whole

    // Every cut leaves well-formed UTF-8 on both sides, and the word within the limit.
    const std::string mixed = repeat("a\xC3\xB6\xE2\x82\xAC\xF0\x9F\x98\x80 ", 20);
    for (std::size_t limit = 20; limit <= 75; ++limit) {
        std::string_view rest = mixed;
        while (!rest.empty()) {
            const std::size_t n = encoded_word_prefix_length(rest, limit);
            REQUIRE(n > 0);
            CHECK(encoded_word_size(n) <= limit);
            CHECK(smtpwire::ascii::is_valid_utf8(rest.substr(0, n)));
            rest.remove_prefix(n);
            CHECK(smtpwire::ascii::is_valid_utf8(rest));
        }
    }
}

TEST_CASE("compose encoded_word: text that is not UTF-8 is still walked within bounds") {
    CHECK(encoded_word_prefix_length("\xE2\x82"sv, 75) == 2);
    CHECK(encoded_word_prefix_length("\x80\x80\x80"sv, 75) == 3);
    CHECK(encoded_word_prefix_length("a\xF0"sv, 75) == 2);
}
