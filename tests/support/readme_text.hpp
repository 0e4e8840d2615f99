// README.md and the test sources it quotes, read for the tests that keep them equal.
// A quoted region lies between two marker lines of a source file.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace smtpwire_test {

/// The whole content of the file at `path`; empty if it cannot be read.
inline std::string file_text(const char* path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream all;
    all << in.rdbuf();
    return all.str();
}

/// The lines of `text` between the line holding `begin` and the line holding `end`.
inline std::string marked_region(const std::string& text, std::string_view begin, std::string_view end) {
    const std::size_t from = text.find('\n', text.find(begin)) + 1;
    const std::size_t to = text.find(end);
    return text.substr(from, text.rfind('\n', to) + 1 - from);
}

} // namespace smtpwire_test
