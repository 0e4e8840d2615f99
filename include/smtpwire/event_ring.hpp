// A fixed-capacity FIFO of events waiting to be returned by a session's next_event().
// Internal building block shared by server_session and client_session; no allocation.
#ifndef SMTPWIRE_EVENT_RING_HPP
#define SMTPWIRE_EVENT_RING_HPP

#include <array>
#include <cstddef>

namespace smtpwire {
inline namespace v0 {

/// Holds up to N events in order. Each session sizes N for the most events one step
/// can queue (its header says why N suffices), so push() never meets a full ring in
/// a correct session; if it did, the event would be dropped rather than overwrite one.
template <class Event, std::size_t N>
class event_ring {
public:
    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
    [[nodiscard]] std::size_t size() const noexcept { return count_; }

    /// Appends `ev`; returns false (dropping it) only when the ring is full.
    bool push(const Event& ev) noexcept {
        if (count_ == N) return false;
        items_[(head_ + count_) % N] = ev;
        ++count_;
        return true;
    }

    /// Removes and returns the oldest event. Precondition: !empty().
    Event pop() noexcept {
        Event ev = items_[head_];
        head_ = (head_ + 1) % N;
        --count_;
        return ev;
    }

    /// Removes every event for which `drop(ev)` is true, keeping the others in order.
    template <class Predicate>
    void remove_if(Predicate drop) noexcept {
        std::size_t kept = 0;
        for (std::size_t i = 0; i < count_; ++i) {
            const Event& ev = items_[(head_ + i) % N];
            if (!drop(ev)) items_[(head_ + kept++) % N] = ev;
        }
        count_ = kept;
    }

private:
    std::array<Event, N> items_{};
    std::size_t head_ = 0;
    std::size_t count_ = 0;
};

} // namespace v0
} // namespace smtpwire

#endif
