// The replies an LMTP server owes after a message: one per accepted recipient, answered
// in any order, written in RCPT order (RFC 2033 §4.2). Storage is allocated once, up front.
#ifndef SMTPWIRE_LMTP_REPLIES_HPP
#define SMTPWIRE_LMTP_REPLIES_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string_view>

#include "smtpwire/output_buffer.hpp"
#include "smtpwire/reply.hpp"

namespace smtpwire {
inline namespace v0 {

/// The replies of one LMTP message, kept as formatted octets until every reply before
/// them has been written. A reply that is next in line and fits the output buffer costs
/// no storage beyond its turn; the others wait in a fixed area of `text_capacity`
/// octets. One reply may stand for every recipient not answered on its own (a refusal of
/// the whole message, or the same answer for all), stored once.
class lmtp_replies {
public:
    /// Room for `max_recipients` replies and `text_capacity` octets of waiting replies.
    /// If an allocation fails, both are 0 and every start() with recipients fails.
    lmtp_replies(std::size_t max_recipients, std::size_t text_capacity) noexcept
        : slots_(new (std::nothrow) slot[max_recipients]),
          text_(new (std::nothrow) char[text_capacity]),
          max_(slots_ && text_ ? max_recipients : 0),
          capacity_(slots_ && text_ ? text_capacity : 0) {}

    /// A message with `recipients` replies due, none answered yet. Returns false, and
    /// nothing is due, when there are more than the capacity given at construction.
    [[nodiscard]] bool start(std::size_t recipients) noexcept {
        clear();
        if (recipients > max_) return false;
        for (std::size_t i = 0; i < recipients; ++i) slots_[i] = slot{};
        due_ = recipients;
        return true;
    }

    /// Nothing is due any more (the connection ends, or the message was cancelled).
    void clear() noexcept {
        due_ = next_ = answered_ = used_ = 0;
        rest_size_ = 0;
    }

    /// Replies of the current message, from start() until the last is written.
    [[nodiscard]] std::size_t count() const noexcept { return due_; }
    /// Every reply of the current message is answered, on its own or by the reply for
    /// the rest (some may still wait to be written).
    [[nodiscard]] bool all_answered() const noexcept {
        return next_ == due_ || answered_ == due_ - next_ || rest_size_ != 0;
    }
    /// Replies are answered but not yet written: output must drain before more is read.
    [[nodiscard]] bool waiting() const noexcept {
        return next_ < due_ && (rest_size_ != 0 || slots_[next_].size != 0);
    }
    /// Recipient `index` of the current message has its answer (given, or written).
    [[nodiscard]] bool answered(std::size_t index) const noexcept {
        return index < due_ && (index < next_ || slots_[index].size != 0 || rest_size_ != 0);
    }

    /// The reply `r` (validated, see validate_reply()) for recipient `index` (below
    /// count(), not yet answered): formatted into `out` at once when it is next in line
    /// and fits, else stored. Returns false, and nothing changes, when it must be stored
    /// and does not fit the waiting area. Stored replies that follow it are written too,
    /// as write() does.
    [[nodiscard]] bool answer(std::size_t index, const reply& r, output_buffer& out) noexcept {
        const std::size_t size = formatted_size(r, true);
        char* direct = index == next_ ? out.reserve(size) : nullptr;
        if (direct != nullptr) {
            out.commit(format_reply(r, true, direct, size));
            ++next_;
        } else {
            if (size > capacity_ - used_) return false;
            slots_[index] = slot{static_cast<std::uint32_t>(used_), static_cast<std::uint32_t>(size)};
            store(r, size);
            ++answered_;
        }
        write(out);
        return true;
    }

    /// `r` (validated) as the reply of every recipient not answered on its own, written
    /// by the next write(). Returns false, and nothing changes, when it does not fit the
    /// waiting area.
    [[nodiscard]] bool answer_rest(const reply& r) noexcept {
        const std::size_t size = formatted_size(r, true);
        if (size > capacity_ - used_) return false;
        rest_at_ = used_;
        rest_size_ = size;
        store(r, size);
        return true;
    }

    /// Appends, in recipient order, the answered replies whose turn has come, each
    /// only if it fits `out` whole. Once the last is written nothing is due.
    void write(output_buffer& out) noexcept {
        while (next_ < due_) {
            const slot s = slots_[next_];
            const bool own = s.size != 0;
            if (!own && rest_size_ == 0) return;
            if (!out.append({text_.get() + (own ? s.at : rest_at_), own ? s.size : rest_size_})) return;
            ++next_;
            if (own) --answered_;
            if (answered_ == 0 && rest_size_ == 0) used_ = 0;  // nothing waits: reuse the area
        }
        clear();
    }

private:
    void store(const reply& r, std::size_t size) noexcept {
        used_ += format_reply(r, true, text_.get() + used_, size);
    }

    struct slot {
        std::uint32_t at = 0;    // offset of the reply in text_
        std::uint32_t size = 0;  // 0: not answered on its own
    };

    std::unique_ptr<slot[]> slots_;
    std::unique_ptr<char[]> text_;
    std::size_t max_;
    std::size_t capacity_;
    std::size_t due_ = 0;       // replies of the current message
    std::size_t next_ = 0;      // the first not yet written
    std::size_t answered_ = 0;  // answered on their own and not yet written
    std::size_t used_ = 0;      // octets of text_ in use
    std::size_t rest_at_ = 0;
    std::size_t rest_size_ = 0;
};

} // namespace v0
} // namespace smtpwire

#endif
