// Test driver joining a server_session and a client_session through memory: what each
// writes reaches the other in pieces of sizes the test chooses.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <variant>

#include "smtpwire/client_session.hpp"
#include "smtpwire/server_session.hpp"
#include "support/catch.hpp"

namespace smtpwire_test {

using namespace smtpwire;

/// Runs a server and a client against each other. Each step feeds a side that asked
/// for data with a piece of what the other wrote, then takes one event from each side
/// that is neither waiting for data nor done. The pair moves each need_output's octets
/// (`piece(n)` of the n written, at least one), completes a TLS handover once nothing
/// is in flight towards the side that hands over, and passes every event but need_data
/// to the test's handler for that side: need_output after its octets have moved, so
/// that a sending application can give the client more.
class session_pair {
public:
    /// How many of the `available` octets one side wrote go out at once (1..available).
    using piece_size = std::function<std::size_t(std::size_t available)>;

    session_pair(server_session& server, client_session& client, piece_size piece)
        : server_(server), client_(client), piece_(std::move(piece)) {}

    /// Steps until both sides are done (true), or until neither moves and no octet is
    /// in flight, or after `max_steps` steps (false).
    template <class OnServerEvent, class OnClientEvent>
    bool run(OnServerEvent on_server, OnClientEvent on_client, int max_steps) {
        for (int step = 0; step < max_steps; ++step) {
            bool progress = false;
            if (server_wants_ && !to_server_.empty()) {
                server_in_ = std::string(server_.unconsumed()) + take(to_server_);
                REQUIRE(server_.feed(server_in_) == errc::ok);
                server_wants_ = false;
            }
            if (!server_wants_ && !server_.done()) {
                progress = true;
                const server_event ev = server_.next_event();
                if (std::holds_alternative<need_data>(ev)) {
                    server_wants_ = true;
                } else {
                    if (std::holds_alternative<need_output>(ev)) move(server_, to_client_, server_wire);
                    if (std::holds_alternative<tls_handover>(ev)) {
                        REQUIRE(to_server_.empty());  // the client waits for the 220 before its handshake
                        REQUIRE(server_.tls_established() == errc::ok);
                    }
                    on_server(ev);
                }
            }
            if (client_wants_ && !to_client_.empty()) {
                client_in_ = std::string(client_.unconsumed()) + take(to_client_);
                REQUIRE(client_.feed(client_in_) == errc::ok);
                client_wants_ = false;
            }
            if (!client_wants_ && !client_.done()) {
                progress = true;
                const client_event ev = client_.next_event();
                if (std::holds_alternative<need_data>(ev)) {
                    client_wants_ = true;
                } else {
                    if (std::holds_alternative<need_output>(ev)) move(client_, to_server_, client_wire);
                    if (std::holds_alternative<tls_handover>(ev)) {
                        REQUIRE(to_client_.empty());  // nothing the server wrote is left behind its 220
                        REQUIRE(client_.tls_established() == errc::ok);
                    }
                    on_client(ev);
                }
            }
            if (server_.done() && client_.done()) return true;
            if (!progress && to_server_.empty() && to_client_.empty()) return false;
        }
        return false;
    }

    std::string server_wire;  // everything the server wrote
    std::string client_wire;  // everything the client wrote

private:
    // A piece of `pending`, taken from its front.
    std::string take(std::string& pending) {
        const std::size_t n = piece_(pending.size());
        std::string piece = pending.substr(0, n);
        pending.erase(0, n);
        return piece;
    }

    // A piece of `session`'s output, written into `pending` and `wire`.
    template <class Session>
    void move(Session& session, std::string& pending, std::string& wire) {
        const std::size_t n = piece_(session.output().size());
        pending.append(session.output().substr(0, n));
        wire.append(session.output().substr(0, n));
        session.consume_output(n);
    }

    server_session& server_;
    client_session& client_;
    piece_size piece_;
    std::string to_server_;  // written by the client, not yet read by the server
    std::string to_client_;  // written by the server, not yet read by the client
    std::string server_in_;  // what the server was last fed (its unconsumed() points into it)
    std::string client_in_;
    bool server_wants_ = false;
    bool client_wants_ = false;
};

} // namespace smtpwire_test
