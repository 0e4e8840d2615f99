// A main() for the fuzz targets when they are not built with libFuzzer: runs the target
// once over every file named on the command line, or found directly inside a named
// directory, so that the corpora are replayed by any compiler in every test run.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

// Reads `file` whole; false when it cannot be read.
bool read_file(const std::filesystem::path& file, std::vector<char>& out) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return false;
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return !in.bad();
}

// Runs the target over the bytes of `file`, from a heap block of exactly their size
// (as libFuzzer does), so that AddressSanitizer reports a read past the end.
bool run_file(const std::filesystem::path& file) {
    std::vector<char> bytes;
    if (!read_file(file, bytes)) {
        std::fprintf(stderr, "replay: cannot read %s\n", file.string().c_str());
        return false;
    }
    const std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[bytes.size()]);
    std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char*>(copy.get()));
    (void)LLVMFuzzerTestOneInput(copy.get(), bytes.size());
    return true;
}

} // namespace

// Arguments are files and directories (not searched recursively); arguments starting
// with '-' are libFuzzer flags and are ignored, so the same command line works for both
// builds. Fails when an argument cannot be read or no input was found at all.
int main(int argc, char** argv) {
    std::size_t runs = 0;
    bool ok = true;
    for (int a = 1; a < argc; ++a) {
        const std::string arg = argv[a];
        if (!arg.empty() && arg[0] == '-') continue;
        const std::filesystem::path path(arg);
        std::error_code ec;
        if (std::filesystem::is_directory(path, ec)) {
            std::vector<std::filesystem::path> files;
            for (const auto& entry : std::filesystem::directory_iterator(path, ec))
                if (entry.is_regular_file(ec)) files.push_back(entry.path());
            if (ec) {
                std::fprintf(stderr, "replay: cannot list %s: %s\n", arg.c_str(), ec.message().c_str());
                ok = false;
            }
            std::sort(files.begin(), files.end());
            for (const auto& file : files) {
                ok = run_file(file) && ok;
                ++runs;
            }
        } else {
            ok = run_file(path) && ok;
            ++runs;
        }
    }
    std::printf("replay: %zu input(s) run\n", runs);
    if (runs == 0) {
        std::fprintf(stderr, "replay: no input given (usage: %s FILE_OR_DIR...)\n", argv[0]);
        return 1;
    }
    return ok ? 0 : 1;
}
