// smtpwire-load's event loop: every connection of a run in one epoll set on one thread.
// Edge-triggered; a connection that ends while messages remain is replaced.
#include "event_loop.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include <netdb.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "connection.hpp"
#include "message.hpp"
#include "workload.hpp"

namespace load {
namespace {

// How long the loop waits for any socket before it gives up.
constexpr int idle_limit_ms = 30000;

// Owns an epoll descriptor.
class epoll_set {
public:
    epoll_set() : fd_(::epoll_create1(EPOLL_CLOEXEC)) {}
    ~epoll_set() {
        if (fd_ >= 0) ::close(fd_);
    }
    epoll_set(const epoll_set&) = delete;
    epoll_set& operator=(const epoll_set&) = delete;
    [[nodiscard]] int fd() const { return fd_; }
    // Adds `socket`, reporting its events with `slot`.
    bool add(int socket, std::size_t slot) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        ev.data.u64 = slot;
        return ::epoll_ctl(fd_, EPOLL_CTL_ADD, socket, &ev) == 0;
    }

private:
    int fd_;
};

} // namespace

bool run_load(const options& opt, tally& t, double& elapsed_s, std::string& error) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int rc = ::getaddrinfo(opt.server_host.c_str(), opt.server_port.c_str(), &hints, &found);
        rc != 0) {
        error = "cannot resolve " + opt.server_host + ": " + ::gai_strerror(rc);
        return false;
    }
    const std::unique_ptr<addrinfo, void (*)(addrinfo*)> address(found, ::freeaddrinfo);

    const std::string content = make_content(opt.size);
    workload work(opt.messages);
    t.latencies_us.reserve(opt.messages);
    epoll_set set;
    if (set.fd() < 0) {
        error = std::string("epoll_create1: ") + std::strerror(errno);
        return false;
    }
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<connection>> slots(std::min(opt.sessions, opt.messages));
    std::size_t alive = 0;
    const auto open_slot = [&](std::size_t slot) {
        slots[slot] = std::make_unique<connection>(opt, content, work, t);
        if (!slots[slot]->open(address->ai_addr, address->ai_addrlen, error)) return false;
        if (!set.add(slots[slot]->fd(), slot)) {
            error = std::string("epoll_ctl: ") + std::strerror(errno);
            return false;
        }
        ++alive;
        return true;
    };
    for (std::size_t slot = 0; slot < slots.size(); ++slot)
        if (!open_slot(slot)) return false;

    epoll_event events[64];
    while (alive > 0) {
        const int n = ::epoll_wait(set.fd(), events, 64, idle_limit_ms);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            error = n == 0 ? "no progress for 30 s" : std::string("epoll_wait: ") + std::strerror(errno);
            return false;
        }
        for (int i = 0; i < n; ++i) {
            const std::size_t slot = static_cast<std::size_t>(events[i].data.u64);
            connection* c = slots[slot].get();
            if (c == nullptr || c->finished()) continue;
            c->on_events(events[i].events);
            if (!c->finished()) continue;
            --alive;
            // While messages remain, a connection that started one is replaced (with
            // --per-connection after each message; otherwise when the server ended the
            // session early). One that never got to start a message is not: the server
            // is refusing sessions, and a new one would fare no better.
            const bool replace = c->started_any() && !work.empty();
            slots[slot].reset();
            if (replace && !open_slot(slot)) return false;
        }
    }
    elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return true;
}

} // namespace load
