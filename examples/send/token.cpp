// smtpwire-send's OAuth 2.0 bearer token, read from a file.
// RFC 6750 §2.1 (b64token).
#include "token.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sysexits.h>
#include <unistd.h>

#include "smtpwire/sasl/bearer.hpp"

namespace sender {

int read_token(const std::string& path, std::string& token, std::string& error) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = "cannot read " + path + ": " + std::strerror(errno);
        return EX_NOINPUT;
    }
    // A token, its CRLF, and one octet more: enough to know it is too long.
    std::string content;
    int read_error = 0;
    char block[4096];
    while (content.size() <= max_token_size + 2) {
        const ssize_t n = ::read(fd, block, sizeof block);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) read_error = errno;
        if (n <= 0) break;
        content.append(block, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (read_error != 0) {
        error = "cannot read " + path + ": " + std::strerror(read_error);
        return EX_NOINPUT;
    }
    if (!content.empty() && content.back() == '\n') {
        content.pop_back();
        if (!content.empty() && content.back() == '\r') content.pop_back();
    }
    if (content.size() > max_token_size) {
        error = path + ": a bearer token of more than " + std::to_string(max_token_size) +
                " octets is refused";
        return EX_DATAERR;
    }
    if (!smtpwire::sasl::is_b64token(content)) {
        error = path + " holds no bearer token: one line of letters, digits and -._~+/, then "
                       "any '=' (RFC 6750 b64token)";
        return EX_DATAERR;
    }
    token = std::move(content);
    return 0;
}

} // namespace sender
