// The messages smtpwire-load still has to start, shared by every connection of a run.
// Messages are numbered from 0; the number names the recipients of each.
#ifndef SMTPWIRE_LOAD_WORKLOAD_HPP
#define SMTPWIRE_LOAD_WORKLOAD_HPP

#include <cstddef>

namespace load {

/// A counter of messages from 0 up to `total`.
class workload {
public:
    explicit workload(std::size_t total) : total_(total) {}
    /// True when every message has been started.
    [[nodiscard]] bool empty() const { return next_ == total_; }
    /// The number of the next message to start (valid unless empty()).
    [[nodiscard]] std::size_t next() const { return next_; }
    /// Marks the next message as started.
    void advance() { ++next_; }

private:
    std::size_t total_;
    std::size_t next_ = 0;
};

} // namespace load

#endif
