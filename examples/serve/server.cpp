// smtpwire-serve's event loop: sockets, TLS and timers around smtpwire::server_session.
// RFC 5321 §3 (the transaction), §4.5.3.2 (timeouts); RFC 2920 (pipelining); RFC 3207
// (STARTTLS), RFC 8314 §3 (implicit TLS); RFC 4954 (AUTH); RFC 3848 (ESMTPSA in Received);
// the PROXY protocol §2.1, §2.2 (the header that opens a connection from a proxy).
#include "server.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>
#include <utility>
#include <variant>

#include <fcntl.h>
#include <fnmatch.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <netdb.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "smtpwire/command.hpp"
#include "smtpwire/compose/date.hpp"
#include "smtpwire/compose/received.hpp"
#include "smtpwire/domain.hpp"
#include "smtpwire/input_buffer.hpp"
#include "smtpwire/mailbox.hpp"
#include "smtpwire/path.hpp"
#include "smtpwire/sasl/cram_md5.hpp"
#include "smtpwire/sasl/mechanism.hpp"
#include "smtpwire/sasl/scram.hpp"

namespace serve {
namespace {

// How long a closing session may take to deliver its last reply and see the peer close.
constexpr std::chrono::seconds linger{5};
// The same while the server itself is stopping.
constexpr std::chrono::seconds shutdown_linger{1};
// How long to stop accepting after running out of file descriptors or memory.
constexpr std::chrono::milliseconds accept_backoff{100};
// How long a PROXY header may take to arrive without --proxy-timeout (Postfix's
// smtpd_upstream_proxy_timeout; the PROXY protocol §2 asks for at least 3 seconds).
constexpr std::chrono::seconds default_proxy_timeout{5};

// The number of the last connection accepted, shared by the --workers threads so that
// each connection has a number of its own in the log.
std::atomic<std::uint64_t> connections_accepted{0};

// The fewest simultaneous connections after which the last one's close gives memory back
// to the system (release_idle_memory).
constexpr std::size_t burst_connections = 16;

// Spare read buffers kept for reuse (16 KiB each); more are freed when returned.
constexpr std::size_t max_spare_buffers = 64;

bool set_nonblocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 &&
           ::fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}

// accept(2) on `listen_fd`, the new socket non-blocking and close-on-exec: in the same
// system call where accept4(2) exists. -1 with errno on failure.
int accept_nonblocking(int listen_fd, sockaddr_storage& addr, socklen_t& len) {
#ifdef __linux__
    return ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
    const int fd = ::accept(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
    if (fd < 0 || set_nonblocking(fd)) return fd;
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
#endif
}

// The numeric host (an IPv6 zone such as "%eth0" included) and port of `addr`.
bool numeric_host_port(const sockaddr_storage& addr, socklen_t len, std::string& host,
                       std::string& port) {
    char h[NI_MAXHOST];
    char p[NI_MAXSERV];
    if (::getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, h, sizeof h, p, sizeof p,
                      NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return false;
    host = h;
    port = p;
    return true;
}

// Makes poll(2) report `fd` readable only once `octets` octets wait in it (or at its end).
bool set_receive_low_water(int fd, std::size_t octets) {
    const int value = static_cast<int>(octets);
    return ::setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &value, sizeof value) == 0;
}

// The peer as "IP:PORT" ("[IPv6]:PORT", "?" when unknown) in `text`, and in `ip` its IP
// address for a Received field: the numeric host without an IPv6 zone, which an address
// literal cannot carry ("" when unknown).
void describe_peer(const sockaddr_storage& addr, socklen_t len, std::string& text, std::string& ip) {
    std::string host;
    std::string port;
    if (!numeric_host_port(addr, len, host, port)) {
        text = "?";
        ip.clear();
        return;
    }
    text = addr.ss_family == AF_INET6 ? "[" + host + "]:" + port : host + ":" + port;
    ip = host.substr(0, host.find('%'));
}

std::string format_address(const sockaddr_storage& addr, socklen_t len) {
    std::string text;
    std::string ip;
    describe_peer(addr, len, text, ip);
    return text;
}

// The address literal of an IP address, for a From-domain when the HELO argument cannot
// be written: "[192.0.2.1]", "[IPv6:2001:db8::1]".
std::string address_literal(const std::string& ip) {
    return (ip.find(':') == std::string::npos ? "[" : "[IPv6:") + ip + "]";
}

// Now as the Date of a trace field: Unix time and this host's UTC offset.
smtpwire::compose::date_time local_now() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    if (::localtime_r(&now, &tm) == nullptr) return {static_cast<std::int64_t>(now), 0};
    return {static_cast<std::int64_t>(now), static_cast<int>(tm.tm_gmtoff / 60)};
}

// The value of a mailbox's local part: quotes and quoted-pairs undone.
std::string local_part_value(const smtpwire::mailbox& m) {
    std::string value(m.local_part.size(), '\0');
    value.resize(smtpwire::decode_local_part(m.local_part, value.data()));
    return value;
}

// The mailbox a path names, as a value: the local part's value, '@', the domain as
// received; the source route is dropped (RFC 5321 Appendix C). "postmaster" for
// <postmaster> in any case (§4.1.1.3), "" for <>.
std::string mailbox_value(const smtpwire::path& p) {
    switch (p.kind) {
    case smtpwire::path_kind::null_path: return "";
    case smtpwire::path_kind::postmaster: return "postmaster";
    case smtpwire::path_kind::mailbox: break;
    }
    return local_part_value(p.address) + "@" + std::string(p.address.domain);
}

// The mailbox a path names in canonical form: as mailbox_value(), but with the local part
// encoded again for the wire, as a Dot-string when it is one, else as a Quoted-string
// escaping only '"' and '\\' (RFC 5321 §4.1.2). <"user"@x> and <@r:user@x> give user@x.
std::string canonical_mailbox(const smtpwire::path& p) {
    if (p.kind != smtpwire::path_kind::mailbox) return mailbox_value(p);
    const std::string value = local_part_value(p.address);
    // A parsed local part's value is printable ASCII, or UTF-8 under SMTPUTF8.
    std::string local(smtpwire::encode_local_part(value, nullptr, 0, true), '\0');
    if (local.empty()) local = std::string(p.address.local_part);
    else (void)smtpwire::encode_local_part(value, local.data(), local.size(), true);
    return local + "@" + std::string(p.address.domain);
}

// fnmatch(3), ignoring ASCII case (so the domain matches in any case), against a
// mailbox_value(). Parsed mailboxes hold no NUL.
bool matches_any(const std::vector<std::string>& globs, const std::string& mailbox) {
    for (const std::string& glob : globs)
        if (::fnmatch(glob.c_str(), mailbox.c_str(), FNM_CASEFOLD) == 0) return true;
    return false;
}

std::string machine_name() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
    return name;
}

std::string str(std::string_view s) { return std::string(s); }

// The text of an xtext value the session has validated (ENVID, ORCPT's address).
std::string xtext_value(std::string_view xtext) {
    std::string out(smtpwire::xtext_decoded_max(xtext.size()), '\0');
    std::size_t n = 0;
    if (!smtpwire::xtext_decode(xtext, out.data(), n)) return {};
    out.resize(n);
    return out;
}

// True when `a` and `b` hold the same octets, in a time that depends on their lengths
// only: a password is not guessed octet by octet from how long a refusal takes.
bool same_octets(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    volatile unsigned char difference = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        difference = static_cast<unsigned char>(
            difference | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
    return difference == 0;
}

// `size` random octets from the kernel; empty if it has none to give.
std::string random_octets(std::size_t size) {
    std::string out(size, '\0');
    const ssize_t n = ::getrandom(out.data(), size, 0);
    if (n != static_cast<ssize_t>(size)) out.clear();
    return out;
}

// The --auth pair of `user`, or null.
const credentials* find_user(const std::vector<credentials>& known, std::string_view user) {
    for (const credentials& k : known)
        if (k.user == user) return &k;
    return nullptr;
}

// True when `user` and `password` are one of the --auth pairs. Every pair is compared
// whole, whichever matches.
bool valid_credentials(const std::vector<credentials>& known, std::string_view user,
                       std::string_view password) {
    unsigned matches = 0;
    for (const credentials& k : known) {
        const bool same_user = same_octets(user, k.user);
        const bool same_password = same_octets(password, k.password);
        matches += static_cast<unsigned>(same_user) & static_cast<unsigned>(same_password);
    }
    return matches > 0;
}

} // namespace

/// One client: its socket, its session, its read buffer and the transaction so far.
struct server::connection {
    connection(int socket, std::uint64_t number, std::string from, std::string ip,
               const smtpwire::server_config& config)
        : fd(socket), id(number), ip_address(std::move(ip)), session(config) {
        client.peer = std::move(from);
        // CRAM-MD5 challenges and SCRAM nonces come from the kernel's randomness.
        if (config.extensions.has(smtpwire::extension::auth))
            (void)session.seed_nonces(random_octets(32));
    }

    int fd;
    std::uint64_t id;
    std::string ip_address;         // the peer's, without port or zone; "" if unknown
    smtpwire::server_session session;
    std::unique_ptr<read_buffer> in;  // from spare_buffers_, while it holds input
    std::unique_ptr<tls::stream> tls;  // from the TLS handover, or the start with --tls-implicit
    bool handshaking = false;  // TLS handshake in progress: nothing else happens meanwhile
    short tls_wait = 0;        // POLLIN or POLLOUT a TLS operation waits for, when not the usual
    bool want_output = false;  // the socket was full: wait for POLLOUT
    bool closing = false;      // the session is ending: flush, then drain and close
    bool draining = false;     // the session is over: drop input until the peer closes
    // --proxy-protocol: the parser of the PROXY header until it has been read, and how
    // many octets of it the last MSG_PEEK saw.
    std::optional<smtpwire::proxy_header_parser> proxy;
    std::size_t proxy_seen = 0;
    std::optional<clock::time_point> deadline;
    std::uint64_t timer_epoch = 0;  // the session's timeout epoch `deadline` stands for
    client_info client;             // the peer's address; HELO/EHLO once given
    smtpwire::verb hello_verb = smtpwire::verb::ehlo;
    envelope env;
    message_writer message;
};

server::server(const options& opt, maildir& store, tls::context* tls)
    : opt_(opt), store_(store), tls_(tls),
      hostname_(opt.hostname.empty() ? machine_name() : opt.hostname),
      scram_salt_(random_octets(16)) {
    config_.hostname = hostname_;
    config_.limits.message_size = opt.max_size;
    config_.limits.recipients = opt.max_recipients;
    config_.timeouts.command = opt.timeout;
    config_.timeouts.data = opt.timeout;
    // DSN: serve keeps what the client asked for in the envelope; it sends no
    // notification itself, as a sink that stores every message delivers them all.
    config_.lmtp = opt.lmtp;
    // Room for a refusal after the data for every recipient, waiting for its turn.
    if (opt.lmtp) config_.limits.output_buffer = std::max<std::size_t>(4096, 32 * opt.max_recipients);
    if (opt.dsn) config_.extensions.add(smtpwire::extension::dsn);
    if (opt.chunking) config_.extensions.add(smtpwire::extension::chunking).add(smtpwire::extension::binary_mime);
    if (tls_ != nullptr) {
        if (opt.tls_implicit) config_.implicit_tls = true;
        else config_.extensions.add(smtpwire::extension::starttls);
    }
    if (!opt.auth.empty()) {
        config_.extensions.add(smtpwire::extension::auth);
        config_.auth.mechanisms = smtpwire::server_mechanisms;
        config_.auth.required = opt.require_auth;
        // Without TLS this is a development sink: the password crosses the wire in clear.
        config_.auth.allow_in_clear = tls_ == nullptr;
        config_.auth.require_tls = tls_ != nullptr;
    }
}

server::~server() {
    for (const auto& c : connections_)
        if (c->fd >= 0) ::close(c->fd);
    if (listen_fd_ >= 0) ::close(listen_fd_);
}

bool server::listen(std::string& error) {
    if (const smtpwire::config_error e = smtpwire::check_config(config_); e != smtpwire::config_error::ok) {
        error = "cannot serve as \"" + hostname_ + "\": " + str(to_string(e));
        return false;
    }
    // The Received field names this host in its By-domain and in the id's msg-id.
    if (opt_.received && smtpwire::check_domain(hostname_, false) != smtpwire::domain_error::ok) {
        error = "--received needs a host name that is a domain (--hostname): " + hostname_;
        return false;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(opt_.listen_host.c_str(), opt_.listen_port.c_str(), &hints, &found);
    if (rc != 0) {
        error = opt_.listen_host + ": " + ::gai_strerror(rc);
        return false;
    }
    int last_error = 0;
    for (const addrinfo* a = found; a != nullptr && listen_fd_ < 0; a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0) {
            last_error = errno;
            continue;
        }
        const int on = 1;
        // With --workers each loop has a listening socket of its own on the same port,
        // and the kernel shares the incoming connections among them.
        if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0 &&
            (opt_.workers == 1 || ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) == 0) &&
            ::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0 &&
            set_nonblocking(fd)) {
            listen_fd_ = fd;
        } else {
            last_error = errno;
            ::close(fd);
        }
    }
    ::freeaddrinfo(found);
    if (listen_fd_ < 0) {
        error = "cannot listen on " + opt_.listen_host + ":" + opt_.listen_port + ": " +
                std::strerror(last_error);
        return false;
    }
    return true;
}

std::string server::local_address() const {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "?";
    return format_address(addr, len);
}

std::string server::local_port() const {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    std::string host;
    std::string port;
    if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        !numeric_host_port(addr, len, host, port))
        return "";
    return port;
}

int server::run(int stop_fd) {
    std::vector<pollfd> fds;
    while (!stopping_ || !connections_.empty()) {
        const clock::time_point now = clock::now();
        fds.clear();
        if (!stopping_) {
            fds.push_back({stop_fd, POLLIN, 0});
            fds.push_back({listen_fd_, static_cast<short>(now >= accept_resume_ ? POLLIN : 0), 0});
        }
        const std::size_t first = fds.size();
        const std::size_t polled = connections_.size();
        // Input OpenSSL already took from a socket is not signalled by poll(): do not wait.
        bool buffered = false;
        for (const auto& c : connections_) {
            fds.push_back({c->fd, poll_events(*c), 0});
            buffered = buffered || has_buffered_input(*c);
        }
        if (::poll(fds.data(), static_cast<nfds_t>(fds.size()), buffered ? 0 : poll_timeout(now)) <
            0) {
            if (errno == EINTR) continue;
            std::perror("smtpwire-serve: poll");
            return 1;
        }
        if (!stopping_ && fds[0].revents != 0)
            begin_shutdown();
        else if (!stopping_ && fds[1].revents != 0)
            accept_connections();
        // New connections were appended after the polled ones.
        for (std::size_t i = 0; i < polled; ++i) {
            connection& c = *connections_[i];
            if (c.fd >= 0 && (fds[first + i].revents != 0 || has_buffered_input(c))) on_ready(c);
        }
        expire_timers(clock::now());
        connections_.erase(std::remove_if(connections_.begin(), connections_.end(),
                                          [](const auto& c) { return c->fd < 0; }),
                           connections_.end());
        if (connections_.empty() && peak_connections_ >= burst_connections) {
            fds.shrink_to_fit();
            release_idle_memory();
        }
    }
    return 0;
}

// After a burst the last connection has gone: give the freed heap back to the system.
// glibc keeps freed blocks for reuse, so without this the server stays at its peak size.
// A few connections at a time are no burst: trimming after each would cost system calls
// on every connection of a light load, for little memory.
void server::release_idle_memory() {
    peak_connections_ = 0;
    connections_.shrink_to_fit();
    spare_buffers_.clear();
    spare_buffers_.shrink_to_fit();
#ifdef __GLIBC__
    ::malloc_trim(0);
#endif
}

void server::accept_connections() {
    for (;;) {
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        const int fd = accept_nonblocking(listen_fd_, addr, len);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                std::fprintf(stderr, "smtpwire-serve: accept: %s\n", std::strerror(errno));
                accept_resume_ = clock::now() + accept_backoff;
            }
            return;
        }
        if (open_connections_ >= opt_.max_connections) {
            refuse_connection(fd, format_address(addr, len));
            continue;
        }
        std::string peer;
        std::string ip;
        describe_peer(addr, len, peer, ip);
        connections_.push_back(std::make_unique<connection>(fd, ++connections_accepted, std::move(peer),
                                                            std::move(ip), config_));
        ++open_connections_;
        peak_connections_ = std::max(peak_connections_, connections_.size());
        connection& c = *connections_.back();
        if (!opt_.proxy_protocol) {
            start_session(c);
            continue;
        }
        // Nothing happens before the PROXY header, neither the greeting nor TLS.
        c.proxy.emplace();
        c.deadline = clock::now() + opt_.proxy_timeout.value_or(default_proxy_timeout);
        read_proxy_header(c);
        return_buffer(c);
    }
}

void server::start_session(connection& c) {
    // With implicit TLS even the greeting waits for the handshake.
    if (config_.implicit_tls) start_tls(c);
    else drive(c);
}

// A connection over --max-connections gets "421 4.7.0 <host> Too many connections" and
// is closed at once, without a session (RFC 5321 §3.1 allows a 421 greeting). The reply
// fits any empty socket buffer. Input that already arrived is read first, since closing
// with unread input would reset the connection and could destroy the reply. With implicit
// TLS a reply in clear would only break the client's handshake: it is closed silently.
void server::refuse_connection(int fd, const std::string& peer) {
    const std::string reply = "421 4.7.0 " + hostname_ + " Too many connections\r\n";
    ssize_t n = 0;
    if (!config_.implicit_tls) {
        do {
            n = ::send(fd, reply.data(), reply.size(), 0);
        } while (n < 0 && errno == EINTR);
    }
    char scratch[512];
    do {
        n = ::recv(fd, scratch, sizeof scratch, 0);
    } while (n > 0 || (n < 0 && errno == EINTR));
    ::close(fd);
    if (opt_.verbose)
        std::fprintf(stderr, "connection from %s refused: too many connections\n", peer.c_str());
}

void server::on_ready(connection& c) {
    // POLLERR and POLLHUP are reported whatever was asked for; the next recv() or
    // send() tells what happened. A TLS read or write that waits for the other
    // direction is repeated by the same call as before.
    if (c.handshaking)
        continue_handshake(c);
    else if (c.draining)
        drain(c);
    else if (c.proxy) {
        read_proxy_header(c);
        return_buffer(c);  // the header was peeked at, never committed to the buffer
    }
    else if (c.want_output)
        drive(c);
    else
        read_input(c);
}

// What to poll `c` for: what TLS waits for, else output when the socket was full, else
// input.
short server::poll_events(const connection& c) {
    if (c.tls_wait != 0) return c.tls_wait;
    return c.want_output ? POLLOUT : POLLIN;
}

// True when `c` waits for input that OpenSSL has already read from its socket.
bool server::has_buffered_input(const connection& c) {
    return c.fd >= 0 && c.tls && !c.handshaking && !c.draining && !c.want_output &&
           c.tls_wait == 0 && c.tls->has_buffered_input();
}

// --proxy-protocol: reads the PROXY header with MSG_PEEK, so that every octet behind it
// stays in the socket for the session, or for the TLS handshake with --tls-implicit; once
// it is complete, exactly its octets are taken off. While it is incomplete SO_RCVLOWAT
// makes poll(2) wait for more octets than were seen (or for the end), instead of
// reporting the same ones again.
void server::read_proxy_header(connection& c) {
    read_buffer& in = buffer_of(c);
    char* const peeked = in.write_data();
    const std::size_t room = std::min(in.write_size(), c.proxy->max_size());
    ssize_t n = 0;
    do {
        n = ::recv(c.fd, peeked, room, MSG_PEEK);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0) {
        refuse_proxy_header(c, "read error: " + str(std::strerror(errno)));
        return;
    }
    const auto seen = static_cast<std::size_t>(n);
    if (seen <= c.proxy_seen) {  // readable, and nothing new: the peer closed
        refuse_proxy_header(c, "the connection ended before the header did");
        return;
    }
    c.proxy_seen = seen;
    const smtpwire::proxy_result r = c.proxy->parse({peeked, seen});
    if (r.status == smtpwire::proxy_status::error) {
        refuse_proxy_header(c, to_string(r.error));
        return;
    }
    if (r.status == smtpwire::proxy_status::need_more) {
        if (!set_receive_low_water(c.fd, seen + 1))
            refuse_proxy_header(c, "incomplete, and SO_RCVLOWAT failed: " +
                                       str(std::strerror(errno)));
        return;
    }
    // The header's octets are all in the socket: take them, and nothing more.
    char taken[512];
    for (std::size_t left = r.consumed; left > 0;) {
        n = ::recv(c.fd, taken, std::min(left, sizeof taken), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            refuse_proxy_header(c, "the header could not be taken off the socket");
            return;
        }
        left -= static_cast<std::size_t>(n);
    }
    use_proxy_header(c, c.proxy->header());
}

// A complete PROXY header. PROXY over IPv4 or IPv6 names the client: its address replaces
// the connection's in the log, the stored envelope ("peer") and the Received field, and
// the connection's own is kept as the envelope's "proxy". LOCAL (a health check), v1
// UNKNOWN, AF_UNSPEC and AF_UNIX keep the connection's (§2.1, §2.2). A client that came
// over UDP cannot be the peer of an SMTP session: such a header is refused.
void server::use_proxy_header(connection& c, const smtpwire::proxy_header& h) {
    const std::string header =
        "PROXY v" + std::to_string(h.version) + " " + str(to_string(h.command));
    if (h.transport == smtpwire::proxy_transport::datagram) {
        refuse_proxy_header(c, header + " for a datagram connection");
        return;
    }
    (void)set_receive_low_water(c.fd, 1);
    c.proxy.reset();
    c.deadline.reset();
    if (h.has_addresses()) {
        c.client.proxy = c.client.peer;
        c.client.peer = str(to_string(h.source).view());
        c.ip_address = str(ip_text(h.source).view());
        log(c, header + " from " + c.client.peer + " to " + str(to_string(h.destination).view()) +
                   " via " + *c.client.proxy + (h.tlvs.checksum ? ", CRC32C checked" : ""));
    } else {
        log(c, header + " " + str(to_string(h.family)) + ": the connection's address is kept");
    }
    start_session(c);
}

// A PROXY header that is missing, incomplete or invalid ends the connection before the
// greeting (§2.1, §2.2: abort it), half-closed and drained like a finished session.
void server::refuse_proxy_header(connection& c, std::string_view why) {
    log(c, "PROXY header refused: " + str(why));
    (void)set_receive_low_water(c.fd, 1);
    c.proxy.reset();
    finish(c);
}

// Starts TLS on `c`: after STARTTLS's 220 has been written in clear (tls_handover), or
// at once with implicit TLS. Plaintext behind STARTTLS was discarded by the session;
// it is dropped here too, so that not a byte of it is read as coming over TLS.
void server::start_tls(connection& c) {
    if (c.in) c.in->keep({});
    return_buffer(c);
    c.tls = std::make_unique<tls::stream>(*tls_, c.fd);
    if (!c.tls->ok()) {
        log(c, "TLS: " + c.tls->error());
        close_connection(c);
        return;
    }
    c.handshaking = true;
    c.deadline = clock::now() + opt_.timeout;
    continue_handshake(c);
}

void server::continue_handshake(connection& c) {
    switch (c.tls->handshake()) {
    case tls::status::want_read: c.tls_wait = POLLIN; return;
    case tls::status::want_write: c.tls_wait = POLLOUT; return;
    case tls::status::closed:
    case tls::status::failed:
        // Closed like a finished session, so that the alert OpenSSL may have sent is not
        // destroyed by a reset for input left unread.
        log(c, "TLS handshake failed: " +
                   (c.tls->error().empty() ? std::string("connection closed") : c.tls->error()));
        c.handshaking = false;
        c.tls.reset();
        finish(c);
        return;
    case tls::status::ok: break;
    }
    c.handshaking = false;
    c.tls_wait = 0;
    c.deadline.reset();
    // Nothing learned in clear carries over (RFC 3207 §4.2): the session starts over too.
    c.client.helo.clear();
    c.client.helo_verb.clear();
    c.client.user.reset();
    c.client.tls = tls_info{c.tls->protocol(), c.tls->cipher()};
    log(c, "TLS established: " + c.client.tls->protocol + " " + c.client.tls->cipher);
    // With implicit TLS the session was under TLS from the start.
    if (!c.session.tls_active()) check(c, c.session.tls_established(), "tls_established");
    drive(c);
}

// Reads from the peer into c's read buffer, through TLS once it is up. want_read: nothing
// yet.
tls::status server::receive(connection& c, std::size_t& got) {
    got = 0;
    read_buffer& in = buffer_of(c);
    if (c.tls) {
        const tls::status s = c.tls->read(in.write_data(), in.write_size(), got);
        c.tls_wait = s == tls::status::want_write ? POLLOUT : 0;
        if (s == tls::status::failed) log(c, "TLS read error: " + c.tls->error());
        return s;
    }
    ssize_t n = 0;
    do {
        n = ::recv(c.fd, in.write_data(), in.write_size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        got = static_cast<std::size_t>(n);
        return tls::status::ok;
    }
    if (n == 0) return tls::status::closed;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return tls::status::want_read;
    log(c, "read error: " + str(std::strerror(errno)));
    return tls::status::failed;
}

// Writes a first part of `bytes` to the peer, through TLS once it is up.
tls::status server::transmit(connection& c, std::string_view bytes, std::size_t& sent) {
    sent = 0;
    if (c.tls) {
        const tls::status s = c.tls->write(bytes.data(), bytes.size(), sent);
        c.tls_wait = s == tls::status::want_read ? POLLIN : 0;
        if (s == tls::status::failed) log(c, "TLS write error: " + c.tls->error());
        return s;
    }
    ssize_t n = 0;
    do {
        n = ::send(c.fd, bytes.data(), bytes.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        sent = static_cast<std::size_t>(n);
        return tls::status::ok;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return tls::status::want_write;
    log(c, "write error: " + str(std::strerror(errno)));
    return tls::status::failed;
}

// The read buffer of `c`, taken from the spares (or made) when it holds none.
server::read_buffer& server::buffer_of(connection& c) {
    if (c.in) return *c.in;
    if (spare_buffers_.empty()) {
        c.in = std::make_unique<read_buffer>();
    } else {
        c.in = std::move(spare_buffers_.back());
        spare_buffers_.pop_back();
    }
    return *c.in;
}

// Gives the read buffer of `c` back to the spares when no input is left in it: the
// session has consumed it all, and holds no view into it. Spares beyond the few that a
// busy moment needs again are freed.
void server::return_buffer(connection& c) {
    if (!c.in || !c.in->data().empty()) return;
    if (spare_buffers_.size() < max_spare_buffers) spare_buffers_.push_back(std::move(c.in));
    else c.in.reset();
}

void server::read_input(connection& c) {
    std::size_t got = 0;
    const tls::status s = receive(c, got);
    if (s == tls::status::want_read || s == tls::status::want_write) {
        return_buffer(c);
        return;
    }
    c.in->commit(got);
    // The tail kept at need_data, then the new bytes (none at the end of input).
    check(c, c.session.feed(c.in->data()), "feed");
    if (s != tls::status::ok) c.session.feed_eof();
    drive(c);
}

void server::drain(connection& c) {
    char scratch[4096];
    for (;;) {
        const ssize_t n = ::recv(c.fd, scratch, sizeof scratch, 0);
        if (n > 0 || (n < 0 && errno == EINTR)) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        close_connection(c);
        return;
    }
}

void server::drive(connection& c) {
    for (;;) {
        const smtpwire::server_event ev = c.session.next_event();
        if (std::holds_alternative<smtpwire::need_data>(ev)) {
            if (c.in) c.in->keep(c.session.unconsumed());
            return_buffer(c);
            c.want_output = false;
            break;
        }
        if (std::holds_alternative<smtpwire::need_output>(ev)) {
            const flush_result r = flush(c);
            if (r == flush_result::failed) {
                close_connection(c);
                return;
            }
            c.want_output = r == flush_result::blocked;
            if (c.want_output) break;
            continue;
        }
        if (std::holds_alternative<smtpwire::closed>(ev)) {
            finish(c);
            return;
        }
        if (const auto* h = std::get_if<smtpwire::tls_handover>(&ev)) {
            // The 220 is written; the handshake has its own deadline.
            log(c, "tls_handover, " + std::to_string(h->discarded) +
                       " octets after STARTTLS discarded");
            start_tls(c);
            return;
        }
        if (std::holds_alternative<smtpwire::paused>(ev)) {
            // Every decision is answered at once, so the session never waits for one.
            std::fprintf(stderr, "conn %llu: bug: session paused with no decision pending\n",
                         static_cast<unsigned long long>(c.id));
            close_connection(c);
            return;
        }
        handle(c, ev);
    }
    arm_timer(c);
}

void server::handle(connection& c, const smtpwire::server_event& ev) {
    if (std::holds_alternative<smtpwire::client_connected>(ev)) {
        if (opt_.verbose) log(c, "client_connected from " + c.client.peer);
        check(c, c.session.accept(), "accept");
    } else if (const auto* h = std::get_if<smtpwire::hello>(&ev)) {
        c.client.helo = str(h->domain);
        c.hello_verb = h->verb;
        c.client.helo_verb = str(to_string(h->verb));
        if (opt_.verbose) log(c, "hello " + c.client.helo_verb + " " + c.client.helo);
        check(c, c.session.accept(), "accept");
    } else if (const auto* m = std::get_if<smtpwire::mail_from>(&ev)) {
        // A SCRAM user is known before the session has checked the proof.
        if (!c.session.authenticated()) c.client.user.reset();
        std::string_view raw = m->parameters.raw;
        while (!raw.empty() && raw.front() == ' ') raw.remove_prefix(1);
        c.env = envelope{};
        c.env.mail_from = canonical_mailbox(m->reverse_path);
        c.env.parameters = str(raw);
        c.env.has_size = m->parameters.has_size;
        c.env.declared_size = m->parameters.size;
        c.env.body = str(to_string(m->parameters.body));
        c.env.smtputf8 = m->parameters.smtputf8;
        c.env.ret = str(to_string(m->parameters.ret));
        c.env.envid = xtext_value(m->parameters.envid);
        if (opt_.verbose)
            log(c, "mail_from <" + c.env.mail_from + ">" + (raw.empty() ? "" : " " + c.env.parameters));
        check(c, c.session.accept(), "accept");
    } else if (const auto* r = std::get_if<smtpwire::rcpt_to>(&ev)) {
        on_rcpt(c, *r);
    } else if (const auto* d = std::get_if<smtpwire::data_begin>(&ev)) {
        on_data_begin(c, *d);
    } else if (const auto* b = std::get_if<smtpwire::body_chunk>(&ev)) {
        c.message.write(b->bytes);
        if (opt_.verbose) log(c, "body_chunk " + std::to_string(b->bytes.size()) + " bytes");
    } else if (const auto* e = std::get_if<smtpwire::message_end>(&ev)) {
        on_message_end(c, *e);
    } else if (std::holds_alternative<smtpwire::starttls_request>(ev)) {
        // Offered only with a certificate loaded, so TLS can always start.
        log(c, "starttls_request");
        check(c, c.session.accept(), "accept");
    } else if (const auto* auth = std::get_if<smtpwire::auth_request>(&ev)) {
        on_auth(c, *auth);
    } else if (const auto* v = std::get_if<smtpwire::verify>(&ev)) {
        log(c, "verify " + str(v->argument));
        check(c, c.session.accept(), "accept");
    } else if (const auto* a = std::get_if<smtpwire::message_aborted>(&ev)) {
        c.message.abort();
        c.env = envelope{};
        log(c, "message_aborted: " + str(to_string(a->reason)));
    } else if (std::holds_alternative<smtpwire::transaction_reset>(ev)) {
        c.message.abort();
        c.env = envelope{};
        log(c, "transaction_reset");
    } else if (const auto* p = std::get_if<smtpwire::protocol_error>(&ev)) {
        log(c, "protocol_error " + std::to_string(p->code) + ": " + str(to_string(p->what)));
    } else if (const auto* x = std::get_if<smtpwire::closing>(&ev)) {
        c.closing = true;
        c.deadline = clock::now() + (stopping_ ? shutdown_linger : linger);
        if (opt_.verbose) log(c, "closing: " + str(to_string(x->reason)));
    }
}

// AUTH with one of the --auth pairs, acting as no one but itself. The password proves
// the user in every mechanism: sent as is (PLAIN, LOGIN), as the bearer token (XOAUTH2,
// OAUTHBEARER: a development stand-in for a real token check), as the key of CRAM-MD5's
// digest, or through SCRAM keys derived from it with this server's salt.
void server::on_auth(connection& c, const smtpwire::auth_request& auth) {
    const bool self = auth.authorization_id.empty() || auth.authorization_id == auth.user;
    const credentials* known = find_user(opt_.auth, auth.user);
    if (auth.mechanism == smtpwire::sasl::mechanism::scram_sha_256 && known != nullptr && self) {
        log(c, "auth_request " + str(to_string(auth.mechanism)) + " " + str(auth.user) + " keys given");
        c.client.user = str(auth.user);
        const auto keys = smtpwire::sasl::make_scram_credentials(known->password, scram_salt_, 4096);
        check(c, c.session.accept(auth.decision, keys), "accept");
        return;
    }
    bool valid = false;
    if (auth.mechanism == smtpwire::sasl::mechanism::cram_md5)
        valid = known != nullptr && smtpwire::sasl::cram_md5_verify(known->password, auth.challenge, auth.secret);
    else if (auth.mechanism != smtpwire::sasl::mechanism::scram_sha_256)
        valid = valid_credentials(opt_.auth, auth.user, auth.secret);
    valid = valid && self;
    log(c, "auth_request " + str(to_string(auth.mechanism)) + " " + str(auth.user) +
               (valid ? " accepted" : " rejected"));
    if (valid) {
        c.client.user = str(auth.user);
        check(c, c.session.accept(), "accept");
    } else {
        check(c, c.session.reject({535, {5, 7, 8}, "Authentication credentials invalid"}),
              "reject");
    }
}

void server::on_rcpt(connection& c, const smtpwire::rcpt_to& rcpt) {
    // The policy judges the mailbox, so neither quoting nor a source route evades it.
    const std::string mailbox = mailbox_value(rcpt.forward_path);
    std::string address = canonical_mailbox(rcpt.forward_path);
    if (matches_any(opt_.reject_rcpt, mailbox)) {
        log(c, "rcpt_to <" + address + "> rejected");
        check(c, c.session.reject({550, {5, 1, 1}, "Recipient rejected"}), "reject");
    } else if (matches_any(opt_.defer_rcpt, mailbox)) {
        log(c, "rcpt_to <" + address + "> deferred");
        check(c, c.session.reject({450, {4, 2, 1}, "Recipient deferred"}), "reject");
    } else {
        if (opt_.verbose)
            log(c, "rcpt_to <" + address + ">" + (rcpt.parameters.raw.empty() ? "" : str(rcpt.parameters.raw)));
        recipient r{std::move(address), {}, str(rcpt.parameters.orcpt_type), xtext_value(rcpt.parameters.orcpt)};
        if (rcpt.parameters.notify.given()) {
            char notify[smtpwire::dsn_notify_max];
            r.notify = str({notify, smtpwire::write_notify(rcpt.parameters.notify, notify)});
        }
        c.env.recipients.push_back(std::move(r));
        check(c, c.session.accept(), "accept");
    }
}

void server::on_data_begin(connection& c, const smtpwire::data_begin& data) {
    if (!opt_.discard && !c.message.begin(store_)) {
        log(c, "data_begin: cannot create a file: " + str(std::strerror(errno)));
        check(c, c.session.reject({451, {4, 3, 0}, "Error: cannot store the message"}), "reject");
        return;
    }
    if (opt_.verbose)
        log(c, "data_begin " + std::to_string(data.recipients) + " recipients" + (data.chunked ? " (BDAT)" : ""));
    if (opt_.received && !opt_.discard) {
        // Dated when DATA is accepted, as other MTAs do; the content follows it unchanged.
        const std::string field = received_field(c);
        if (field.empty()) log(c, "data_begin: no Received field could be composed");
        c.message.write(field);
    }
    check(c, c.session.accept(), "accept");
}

// The Received field (RFC 5321 §4.4) for the message `c` is about to receive:
//   from HELO-NAME ([IP]) by HOSTNAME with PROTOCOL id <ID@HOSTNAME> [for <MAILBOX>]; DATE
// with "for" only for a single recipient with a domain. A HELO name that cannot be
// written in this transaction (a UTF-8 name without SMTPUTF8) gives way to the peer's
// address literal; a recipient that cannot be written leaves "for" out. "" if no field
// can be composed.
std::string server::received_field(const connection& c) const {
    namespace compose = smtpwire::compose;
    const std::string id = "<" + c.message.id() + "@" + hostname_ + ">";
    const std::string literal = c.ip_address.empty() ? "" : address_literal(c.ip_address);
    compose::received r;
    r.from_domain = c.client.helo;
    r.peer_address = c.ip_address;
    r.by_domain = hostname_;
    r.with = compose::received_protocol_for(c.hello_verb, c.session.tls_active(),
                                            c.session.authenticated(), c.env.smtputf8);
    r.id = id;
    if (c.env.recipients.size() == 1) r.for_mailbox = c.env.recipients.front().mailbox;
    if (r.for_mailbox.find('@') == std::string_view::npos) r.for_mailbox = {};
    r.date = local_now();
    const auto measure = [&r] { return compose::compose_received(r, nullptr, 0); };
    compose::received_result size = measure();
    if (size.error == compose::received_error::invalid_from_domain && !literal.empty()) {
        r.from_domain = literal;
        size = measure();
    }
    if (size.error == compose::received_error::invalid_mailbox) {
        r.for_mailbox = {};
        size = measure();
    }
    if (size.error != compose::received_error::buffer_too_small) return "";
    std::string field(size.size, '\0');
    if (compose::compose_received(r, field.data(), field.size()).error !=
        compose::received_error::ok)
        return "";
    return field;
}

void server::on_message_end(connection& c, const smtpwire::message_end& end) {
    const std::string size = std::to_string(end.size) + " bytes" +
                             (end.overlong_lines > 0
                                  ? ", " + std::to_string(end.overlong_lines) + " overlong lines"
                                  : "");
    if (opt_.lmtp) {
        deliver_per_recipient(c, end, size);
    } else if (opt_.discard) {
        if (opt_.verbose) log(c, "message_end " + size + ", discarded");
        check(c, c.session.accept("OK: discarded"), "accept");
    } else if (c.message.commit(c.client, c.env, end.size)) {
        log(c, "message_end " + size + ", stored as " + c.message.id());
        check(c, c.session.accept("OK: queued as " + c.message.id()), "accept");
    } else {
        log(c, "message_end " + size + ", cannot store: " + str(std::strerror(errno)));
        check(c, c.session.reject({451, {4, 3, 0}, "Error: cannot store the message"}), "reject");
    }
    c.env = envelope{};
}

// LMTP (RFC 2033 §4.2): one answer per accepted recipient. --reject-delivery and
// --defer-delivery refuse some, from the last to the first (the session writes them in
// RCPT order, as their turn comes); one accept() then answers all the others, who get
// the one stored copy, whose envelope lists only them.
void server::deliver_per_recipient(connection& c, const smtpwire::message_end& end, const std::string& size) {
    std::vector<smtpwire::reply> answers(c.env.recipients.size());  // 250: delivered
    envelope delivered = c.env;
    delivered.recipients.clear();
    for (std::size_t i = 0; i < c.env.recipients.size(); ++i) {
        const std::string& mailbox = c.env.recipients[i].mailbox;
        if (matches_any(opt_.reject_delivery, mailbox)) {
            answers[i] = {550, {5, 2, 1}, "Delivery refused"};
        } else if (matches_any(opt_.defer_delivery, mailbox)) {
            answers[i] = {450, {4, 2, 1}, "Delivery deferred"};
        } else {
            answers[i] = {250, {2, 0, 0}, {}};
            delivered.recipients.push_back(c.env.recipients[i]);
        }
    }
    std::string text = "OK: discarded";
    if (delivered.recipients.empty()) {
        c.message.abort();
        text.clear();
    } else if (!opt_.discard && c.message.commit(c.client, delivered, end.size)) {
        text = "OK: queued as " + c.message.id();
    } else if (!opt_.discard) {
        log(c, "message_end " + size + ", cannot store: " + str(std::strerror(errno)));
        check(c, c.session.reject({451, {4, 3, 0}, "Error: cannot store the message"}), "reject");
        c.env = envelope{};
        return;
    }
    log(c, "message_end " + size + ", delivered to " + std::to_string(delivered.recipients.size()) + " of " +
               std::to_string(answers.size()) + (text.empty() ? "" : ", " + text));
    for (std::size_t i = answers.size(); i-- > 0;) {
        if (answers[i].code == 250) continue;
        log(c, "recipient <" + c.env.recipients[i].mailbox + "> " + std::to_string(answers[i].code) +
                   " after the data");
        check(c, c.session.reject_recipient(end.decision, i, answers[i]), "reject_recipient");
    }
    if (!delivered.recipients.empty()) check(c, c.session.accept(text), "accept");
    c.env = envelope{};
}

void server::check(connection& c, smtpwire::errc result, std::string_view call) {
    if (result == smtpwire::errc::ok) return;
    std::fprintf(stderr, "conn %llu: bug: %.*s refused: %.*s\n",
                 static_cast<unsigned long long>(c.id), static_cast<int>(call.size()), call.data(),
                 static_cast<int>(to_string(result).size()), to_string(result).data());
    c.session.shutdown();
}

server::flush_result server::flush(connection& c) {
    for (;;) {
        const std::string_view out = c.session.output();
        if (out.empty()) return flush_result::done;
        std::size_t sent = 0;
        switch (transmit(c, out, sent)) {
        case tls::status::ok: c.session.consume_output(sent); break;
        case tls::status::want_read:
        case tls::status::want_write: return flush_result::blocked;
        case tls::status::closed:
        case tls::status::failed: return flush_result::failed;
        }
    }
}

void server::finish(connection& c) {
    // Half-close and read until the peer closes too: closing with unread input would
    // send a reset that can destroy the last reply before the client reads it.
    log(c, "closed");
    if (c.tls) c.tls->close_notify();
    if (::shutdown(c.fd, SHUT_WR) != 0) {
        // The connection is gone already (reset by the peer): nothing is left to read.
        close_connection(c);
        return;
    }
    c.tls_wait = 0;
    c.want_output = false;
    c.draining = true;
    if (!c.closing) {
        c.closing = true;
        c.deadline = clock::now() + linger;
    }
}

void server::close_connection(connection& c) {
    c.tls.reset();
    ::close(c.fd);
    c.fd = -1;
    --open_connections_;
    c.message.abort();
}

void server::arm_timer(connection& c) {
    if (c.closing) return;
    const smtpwire::timeout t = c.session.current_timeout();
    if (t.kind == smtpwire::timeout_kind::none) {
        c.deadline.reset();
        return;
    }
    if (c.deadline && t.epoch == c.timer_epoch) return;
    c.deadline = clock::now() + t.duration;
    c.timer_epoch = t.epoch;
}

void server::expire_timers(clock::time_point now) {
    for (const auto& p : connections_) {
        connection& c = *p;
        if (c.fd < 0 || !c.deadline || *c.deadline > now) continue;
        c.deadline.reset();
        if (c.closing) {
            log(c, "gave up waiting for the peer to close");
            close_connection(c);
            continue;
        }
        if (c.handshaking) {
            log(c, "TLS handshake timed out");
            close_connection(c);
            continue;
        }
        if (c.proxy) {
            refuse_proxy_header(c, "not complete within the timeout");
            continue;
        }
        c.session.timed_out(c.timer_epoch);
        drive(c);
    }
}

void server::begin_shutdown() {
    stopping_ = true;
    ::close(listen_fd_);
    listen_fd_ = -1;
    for (const auto& p : connections_) {
        if (p->fd < 0 || p->closing) continue;
        // No reply can be written in the middle of a handshake, nor before a PROXY header.
        if (p->handshaking || p->proxy) {
            close_connection(*p);
            continue;
        }
        p->session.shutdown();
        drive(*p);
    }
}

int server::poll_timeout(clock::time_point now) const {
    std::optional<clock::time_point> next;
    if (!stopping_ && accept_resume_ > now) next = accept_resume_;
    for (const auto& c : connections_)
        if (c->deadline && (!next || *c->deadline < *next)) next = c->deadline;
    if (!next) return -1;
    if (*next <= now) return 0;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*next - now).count();
    return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

void server::log(const connection& c, std::string_view what) const {
    if (!opt_.verbose) return;
    std::fprintf(stderr, "conn %llu: %.*s\n", static_cast<unsigned long long>(c.id),
                 static_cast<int>(what.size()), what.data());
}

} // namespace serve
