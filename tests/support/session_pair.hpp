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
            const bool server_moved = step_side(server_, server_wants_, server_in_, to_server_, to_client_,
                                                server_wire, on_server);
            const bool client_moved = step_side(client_, client_wants_, client_in_, to_client_, to_server_,
                                                client_wire, on_client);
            if (server_.done() && client_.done()) return true;
            if (!server_moved && !client_moved && to_server_.empty() && to_client_.empty()) return false;
        }
        return false;
    }

    std::string server_wire;  // everything the server wrote
    std::string client_wire;  // everything the client wrote

private:
    // One step of one side: feeds it a piece of `incoming` if it asked for data, then
    // takes one event unless it still waits or is done. Returns whether it took one.
    // `in` keeps what it was fed (its unconsumed() points into it); its output goes to
    // `outgoing` and `wire`. At a TLS handover nothing may be in flight towards it: the
    // client waits for the 220 before its handshake, and the server writes nothing
    // behind that 220.
    template <class Session, class OnEvent>
    bool step_side(Session& session, bool& wants, std::string& in, std::string& incoming, std::string& outgoing,
                   std::string& wire, OnEvent& on_event) {
        if (wants && !incoming.empty()) {
            in = std::string(session.unconsumed()) + take(incoming);
            REQUIRE(session.feed(in) == errc::ok);
            wants = false;
        }
        if (wants || session.done()) return false;
        const auto ev = session.next_event();
        if (std::holds_alternative<need_data>(ev)) {
            wants = true;
            return true;
        }
        if (std::holds_alternative<need_output>(ev)) move(session, outgoing, wire);
        if (std::holds_alternative<tls_handover>(ev)) {
            REQUIRE(incoming.empty());
            REQUIRE(session.tls_established() == errc::ok);
        }
        on_event(ev);
        return true;
    }

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
