// smtpwire-send's message: file and stdin input, composing with smtpwire::compose.
// RFC 5322 §3.6 (header fields), §3.6.4 (Message-ID); RFC 1870 §3 (message size).
#include "message.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sysexits.h>
#include <unistd.h>

#include "smtpwire/ascii.hpp"
#include "smtpwire/compose/message.hpp"

namespace sender {
namespace {

namespace compose = smtpwire::compose;

// Appends everything readable from `fd` to `out`. False (errno set) on a read error.
bool read_all(int fd, std::string& out) {
    char block[65536];
    for (;;) {
        const ssize_t n = ::read(fd, block, sizeof block);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) return true;
        out.append(block, static_cast<std::size_t>(n));
    }
}

// The file named `path`, or stdin when `path` is unset.
int read_input(const std::optional<std::string>& path, std::string& out, std::string& error) {
    if (!path) {
        if (read_all(STDIN_FILENO, out)) return 0;
        error = std::string("cannot read stdin: ") + std::strerror(errno);
        return EX_IOERR;
    }
    const int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
    const bool ok = fd >= 0 && read_all(fd, out);
    const int saved = errno;
    if (fd >= 0) ::close(fd);
    if (ok) return 0;
    error = "cannot read " + *path + ": " + std::strerror(saved);
    return EX_NOINPUT;
}

// "<32 hex digits of random bytes@helo>" (RFC 5322 §3.6.4).
bool make_message_id(const std::string& helo, std::string& out) {
    unsigned char random[16];
    if (::getentropy(random, sizeof random) != 0) return false;
    static constexpr char hex[] = "0123456789abcdef";
    out = "<";
    for (unsigned char b : random) {
        out += hex[b >> 4];
        out += hex[b & 15];
    }
    out += "@" + helo + ">";
    return true;
}

// Now, with the local time zone's offset.
compose::date_time now() {
    const std::time_t t = std::time(nullptr);
    std::tm local{};
    ::localtime_r(&t, &local);
    return {static_cast<std::int64_t>(t), static_cast<int>(local.tm_gmtoff / 60)};
}

int compose_around(const options& opt, const std::string& helo, const std::string& body,
                   std::string& out, std::string& error) {
    std::vector<compose::address> lists[3];  // indexed by recipient_kind
    for (const recipient& r : opt.recipients)
        lists[static_cast<int>(r.kind)].push_back({{}, r.address});
    const auto& to = lists[static_cast<int>(recipient_kind::to)];
    const auto& cc = lists[static_cast<int>(recipient_kind::cc)];
    const auto& bcc = lists[static_cast<int>(recipient_kind::bcc)];
    std::string message_id;
    if (!make_message_id(helo, message_id)) {
        error = std::string("no random bytes for the Message-ID: ") + std::strerror(errno);
        return EX_OSERR;
    }
    compose::message m;
    m.from = {{}, *opt.from};
    m.to = to.data();
    m.to_count = to.size();
    m.cc = cc.data();
    m.cc_count = cc.size();
    m.bcc = bcc.data();
    m.bcc_count = bcc.size();
    m.subject = *opt.subject;
    m.date = now();
    m.message_id = message_id;
    m.body = body;
    compose::compose_result r = compose::compose_message(m, nullptr, 0);
    if (r.error == compose::compose_error::buffer_too_small) {
        out.resize(r.size);
        r = compose::compose_message(m, out.data(), out.size());
    }
    if (r.error == compose::compose_error::ok) return 0;
    error = "cannot compose the message: " + std::string(to_string(r.error));
    return r.error == compose::compose_error::invalid_address ? EX_USAGE : EX_DATAERR;
}

// RFC 5322 §2.1 lines: a bare CR or LF becomes CRLF, and an unterminated last line is
// ended with CRLF, as DATA's dot-stuffing would send them. BDAT sends the content as it
// is, so it is put in this form before either is chosen; RFC 1870 §3's size is its length.
std::string crlf_lines(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 32 + 2);
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r' || s[i] == '\n') {
            if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
            out += "\r\n";
        } else {
            out += s[i];
        }
    }
    if (!s.empty() && s.back() != '\n' && s.back() != '\r') out += "\r\n";
    return out;
}

} // namespace

int prepare_message(const options& opt, const std::string& helo, outgoing& out,
                    std::string& error) {
    std::string input;
    if (const int status = read_input(opt.message_file, input, error); status != 0) return status;
    if (opt.subject) {
        std::string composed;
        if (const int status = compose_around(opt, helo, input, composed, error); status != 0)
            return status;
        input = std::move(composed);
    }
    out.content = crlf_lines(input);
    out.eight_bit = false;
    for (char c : out.content)
        out.eight_bit = out.eight_bit || smtpwire::ascii::is_non_ascii(c);
    out.wire_size = out.content.size();
    return 0;
}

} // namespace sender
