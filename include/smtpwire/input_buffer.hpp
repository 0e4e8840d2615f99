// An optional fixed-size read buffer that keeps a session's unconsumed tail between reads.
// Not used by the sessions themselves; RFC 5321 §4.5.3.1.4 and limits.hpp bound what it keeps.
#ifndef SMTPWIRE_INPUT_BUFFER_HPP
#define SMTPWIRE_INPUT_BUFFER_HPP

#include <array>
#include <cstddef>
#include <cstring>
#include <string_view>

#include "smtpwire/limits.hpp"

namespace smtpwire {
inline namespace v0 {

/// The smallest N input_buffer<N> accepts: twice limits::command_line's default. A
/// session never leaves more than a command line less one octet in unconsumed() (a line
/// that reaches limits::command_line without its CRLF is answered and skipped, not kept;
/// the client's reply lines have the same 2048-octet default bound), so this size keeps
/// the longest tail and still has room for a read as large as a whole command line:
/// the line in progress is always completed by one more read, however it was cut. A
/// smaller N could leave no room at all (a read of zero octets, and no progress). With
/// a larger limits::command_line, use at least twice that value; it cannot be checked
/// at compile time.
inline constexpr std::size_t input_buffer_min_size = 2 * limits{}.command_line;

/// N octets of storage for socket reads. Typical use:
///
///     input_buffer<8192> in;
///     ... on need_data:
///     in.keep(session.unconsumed());
///     n = read(fd, in.write_data(), in.write_size());
///     in.commit(n);
///     session.feed(in.data());
///
/// N must be at least input_buffer_min_size (see there).
template <std::size_t N>
class input_buffer {
    static_assert(N >= input_buffer_min_size,
                  "input_buffer<N> needs room for the longest unconsumed() tail plus a read "
                  "of a whole command line: N >= input_buffer_min_size");

public:
    /// An empty buffer. The storage is left as it is, not zeroed, also when the buffer
    /// is value-initialized (`std::make_unique<input_buffer<N>>()`): only octets
    /// written by a read and committed are ever read, and a connection that takes a
    /// fresh buffer does not pay for clearing N octets.
    input_buffer() noexcept {}

    /// Copies the committed octets only: the rest of the storage holds nothing to read.
    input_buffer(const input_buffer& other) noexcept : size_(other.size_) {
        std::memcpy(storage_.data(), other.storage_.data(), size_);
    }
    input_buffer& operator=(const input_buffer& other) noexcept {
        if (this != &other) {
            std::memcpy(storage_.data(), other.storage_.data(), other.size_);
            size_ = other.size_;
        }
        return *this;
    }

    /// Keeps only `tail`, which must be a view into data() (normally the session's
    /// unconsumed()), moving it to the front. Any other view empties the buffer.
    void keep(std::string_view tail) noexcept {
        const char* base = storage_.data();
        if (tail.empty() || tail.data() < base || tail.data() + tail.size() > base + size_) {
            size_ = 0;
            return;
        }
        std::memmove(storage_.data(), tail.data(), tail.size());
        size_ = tail.size();
    }

    /// Where the next read may write, and how much.
    [[nodiscard]] char* write_data() noexcept { return storage_.data() + size_; }
    [[nodiscard]] std::size_t write_size() const noexcept { return N - size_; }

    /// Makes `n` octets written at write_data() part of data() (clamped to write_size()).
    void commit(std::size_t n) noexcept { size_ += n < write_size() ? n : write_size(); }

    /// The kept tail followed by the committed bytes: what to feed().
    [[nodiscard]] std::string_view data() const noexcept { return {storage_.data(), size_}; }

private:
    std::array<char, N> storage_;
    std::size_t size_ = 0;
};

} // namespace v0
} // namespace smtpwire

#endif
