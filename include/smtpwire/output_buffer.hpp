// A fixed-capacity byte queue for replies or commands waiting to be written.
// Allocated once at construction; full means "write output() before producing more".
#ifndef SMTPWIRE_OUTPUT_BUFFER_HPP
#define SMTPWIRE_OUTPUT_BUFFER_HPP

#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <utility>

namespace smtpwire {
inline namespace v0 {

/// Bytes are appended at the back and consumed from the front. Appends that do not
/// fit are refused whole, so a reply is never split by the buffer.
class output_buffer {
public:
    /// Allocates `capacity` octets. If the allocation fails the buffer has capacity 0
    /// and refuses every append.
    explicit output_buffer(std::size_t capacity) noexcept
        : data_(new (std::nothrow) char[capacity]), capacity_(data_ ? capacity : 0) {}

    /// Takes ownership of `block`, of which the first `capacity` octets become the
    /// buffer; the rest belongs to the caller (client_session keeps its other state
    /// there). A null block gives capacity 0.
    output_buffer(std::unique_ptr<char[]> block, std::size_t capacity) noexcept
        : data_(std::move(block)), capacity_(data_ ? capacity : 0) {}

    /// The start of the owned block (null without one): for the owner of the octets
    /// past capacity() when the block was handed over at construction.
    [[nodiscard]] char* block() noexcept { return data_.get(); }
    [[nodiscard]] const char* block() const noexcept { return data_.get(); }

    /// The bytes waiting to be written; valid until the next non-const call.
    [[nodiscard]] std::string_view view() const noexcept {
        return {data_.get() + begin_, end_ - begin_};
    }

    /// Marks the first `n` waiting bytes as written (n is clamped to size()).
    void consume(std::size_t n) noexcept {
        begin_ += n < size() ? n : size();
        if (begin_ == end_) begin_ = end_ = 0;
    }

    [[nodiscard]] std::size_t size() const noexcept { return end_ - begin_; }
    [[nodiscard]] bool empty() const noexcept { return begin_ == end_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
    /// Octets that can be appended now (after compacting).
    [[nodiscard]] std::size_t free_space() const noexcept { return capacity_ - size(); }

    /// Contiguous room for at least `n` octets at the back, compacting if needed; null if
    /// n > free_space(). Follow with commit(k), k <= n.
    [[nodiscard]] char* reserve(std::size_t n) noexcept {
        if (n > free_space()) return nullptr;
        if (capacity_ - end_ < n) {
            std::memmove(data_.get(), data_.get() + begin_, size());
            end_ -= begin_;
            begin_ = 0;
        }
        return data_.get() + end_;
    }

    /// Makes `n` octets written after reserve() part of the waiting bytes.
    void commit(std::size_t n) noexcept { end_ += n; }

    /// Appends `s` whole, or nothing; returns whether it fit.
    [[nodiscard]] bool append(std::string_view s) noexcept {
        char* p = reserve(s.size());
        if (p == nullptr) return false;
        if (!s.empty()) std::memcpy(p, s.data(), s.size());
        commit(s.size());
        return true;
    }

private:
    std::unique_ptr<char[]> data_;
    std::size_t capacity_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

} // namespace v0
} // namespace smtpwire

#endif
