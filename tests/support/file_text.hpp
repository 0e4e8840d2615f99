// A whole file read into a string, for the tests that compare what a run stored, or what
// a document shows, with what is expected.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace smtpwire_test {

/// The whole content of the file at `path`; empty if it cannot be read.
inline std::string file_text(const char* path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream all;
    all << in.rdbuf();
    return all.str();
}

} // namespace smtpwire_test
