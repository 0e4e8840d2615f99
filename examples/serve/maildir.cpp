// smtpwire-serve's message store: temporary files, atomic renames, the envelope as JSON.
// RFC 5321 §2.3.1 (envelope), RFC 8259 §7 (JSON strings), ISO 8601 (received_at).
#include "maildir.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

#include "smtpwire/ascii.hpp"

namespace serve {
namespace {

// Content is written to the temporary file in blocks of this size.
constexpr std::size_t write_block = 64 * 1024;

bool write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// Writes `content` to a new file at `temp`, syncs it and renames it to `final_path`.
bool write_file_atomically(const std::string& temp, const std::string& final_path,
                           std::string_view content) {
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    const bool written = write_all(fd, content) && ::fsync(fd) == 0;
    if (::close(fd) != 0 || !written || std::rename(temp.c_str(), final_path.c_str()) != 0) {
        ::unlink(temp.c_str());
        return false;
    }
    return true;
}

// Now in UTC as ISO 8601, e.g. "2024-11-23T11:33:00Z".
std::string utc_now() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    char text[32];
    const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(text, n);
}

} // namespace

bool maildir::open(const std::string& dir, std::string& error) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(dir) / "tmp", ec);
    if (ec) {
        error = "cannot create " + dir + "/tmp: " + ec.message();
        return false;
    }
    dir_ = dir;
    return true;
}

std::string maildir::new_id() {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now);
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now - seconds);
    char id[80];
    const int n = std::snprintf(id, sizeof id, "%lld.%06lld.%ld.%llu",
                                static_cast<long long>(seconds.count()),
                                static_cast<long long>(micros.count()),
                                static_cast<long>(::getpid()),
                                static_cast<unsigned long long>(++counter_));
    return std::string(id, static_cast<std::size_t>(n));
}

bool message_writer::begin(maildir& store) {
    abort();
    // O_EXCL guards against a clash with a file left by another process.
    for (int attempt = 0; attempt < 3; ++attempt) {
        id_ = store.new_id();
        temp_path_ = store.dir() + "/tmp/" + id_ + ".eml";
        fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd_ >= 0) break;
        if (errno != EEXIST) return false;
    }
    if (fd_ < 0) return false;
    dir_ = store.dir();
    failed_ = false;
    buffer_.clear();
    return true;
}

void message_writer::write(std::string_view bytes) {
    if (fd_ < 0 || failed_) return;
    buffer_.append(bytes);
    if (buffer_.size() >= write_block) flush();
}

bool message_writer::flush() {
    if (!failed_ && !write_all(fd_, buffer_)) failed_ = true;
    buffer_.clear();
    return !failed_;
}

bool message_writer::commit(const client_info& client, const envelope& env, std::uint64_t size) {
    if (fd_ < 0) return false;
    const bool synced = flush() && ::fsync(fd_) == 0;
    const bool closed = ::close(fd_) == 0;
    fd_ = -1;
    const std::string eml = dir_ + "/" + id_ + ".eml";
    if (!synced || !closed || std::rename(temp_path_.c_str(), eml.c_str()) != 0) {
        ::unlink(temp_path_.c_str());
        return false;
    }
    const std::string json = envelope_json(id_, client, env, size, utc_now());
    if (!write_file_atomically(dir_ + "/tmp/" + id_ + ".json", dir_ + "/" + id_ + ".json", json)) {
        ::unlink(eml.c_str());
        return false;
    }
    return true;
}

void message_writer::abort() {
    if (fd_ < 0) return;
    ::close(fd_);
    fd_ = -1;
    ::unlink(temp_path_.c_str());
    buffer_.clear();
}

std::string json_string(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    const bool utf8 = smtpwire::ascii::is_valid_utf8(s);
    std::string out = "\"";
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u == 0x7f) {
            out += "\\u00";
            out += hex[u >> 4];
            out += hex[u & 15];
        } else if (u >= 0x80 && !utf8) {
            out += "\\ufffd";
        } else {
            out += c;
        }
    }
    out += '"';
    return out;
}

std::string envelope_json(std::string_view id, const client_info& client, const envelope& env,
                          std::uint64_t size, std::string_view received_at) {
    std::string rcpts;
    std::string recipients;
    for (const recipient& r : env.recipients) {
        if (!rcpts.empty()) {
            rcpts += ", ";
            recipients += ",\n";
        }
        rcpts += json_string(r.mailbox);
        recipients += "    {\"mailbox\": " + json_string(r.mailbox) + ", \"parameters\": {\"notify\": " +
                      (r.notify.empty() ? "null" : json_string(r.notify)) + ", \"orcpt\": " +
                      (r.orcpt.empty() ? "null" : json_string(r.orcpt_type + ";" + r.orcpt)) + "}}";
    }
    const std::string tls = !client.tls ? "null"
                                         : "{\"protocol\": " + json_string(client.tls->protocol) +
                                               ", \"cipher\": " + json_string(client.tls->cipher) +
                                               "}";
    return "{\n"
           "  \"id\": " + json_string(id) + ",\n"
           "  \"peer\": " + json_string(client.peer) + ",\n"
           "  \"proxy\": " + (client.proxy ? json_string(*client.proxy) : "null") + ",\n"
           "  \"helo\": " + json_string(client.helo) + ",\n"
           "  \"helo_verb\": " + json_string(client.helo_verb) + ",\n"
           "  \"auth\": " + (client.user ? json_string(*client.user) : "null") + ",\n"
           "  \"tls\": " + tls + ",\n"
           "  \"mail_from\": " + json_string(env.mail_from) + ",\n"
           "  \"rcpt_to\": [" + rcpts + "],\n"
           "  \"parameters\": {\n"
           "    \"raw\": " + json_string(env.parameters) + ",\n"
           "    \"size\": " + (env.has_size ? std::to_string(env.declared_size) : "null") + ",\n"
           "    \"body\": " + (env.body.empty() ? "null" : json_string(env.body)) + ",\n"
           "    \"smtputf8\": " + (env.smtputf8 ? "true" : "false") + ",\n"
           "    \"ret\": " + (env.ret.empty() ? "null" : json_string(env.ret)) + ",\n"
           "    \"envid\": " + (env.envid.empty() ? "null" : json_string(env.envid)) + "\n"
           "  },\n"
           "  \"recipients\": [\n" + recipients + "\n  ],\n"
           "  \"size\": " + std::to_string(size) + ",\n"
           "  \"received_at\": " + json_string(received_at) + "\n"
           "}\n";
}

} // namespace serve
