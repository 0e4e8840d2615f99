// An optional fixed-size read buffer that keeps a session's unconsumed tail between reads.
// Not used by the sessions themselves; RFC 5321 §4.5.3.1.4 bounds what it must keep.
#ifndef SMTPWIRE_INPUT_BUFFER_HPP
#define SMTPWIRE_INPUT_BUFFER_HPP

#include <array>
#include <cstddef>
#include <cstring>
#include <string_view>

namespace smtpwire {
inline namespace v0 {

/// N octets of storage for socket reads. Typical use:
///
///     input_buffer<8192> in;
///     ... on need_data:
///     in.keep(session.unconsumed());
///     n = read(fd, in.write_data(), in.write_size());
///     in.commit(n);
///     session.feed(in.data());
///
/// N must exceed the session's limits::command_line so a whole line always fits.
template <std::size_t N>
class input_buffer {
    static_assert(N >= 1024, "input_buffer needs room for at least one command line");

public:
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
    std::array<char, N> storage_{};
    std::size_t size_ = 0;
};

} // namespace v0
} // namespace smtpwire

#endif
