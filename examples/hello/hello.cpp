// smtpwire in one screen: a client_session sends a message to a server_session, the two
// joined through strings instead of a socket; the server prints what it received.
#include <smtpwire/smtpwire.hpp>

#include <cstdio>
#include <string>

int main() {
    using namespace smtpwire;
    server_session server;  // default server_config: "localhost", the usual limits
    client_session client;  // default client_config
    recipient bob;
    bob.address = "bob@example.org";
    const envelope mail{"alice@example.com", {}, &bob, 1};
    std::string to_server, to_client, fed_server, fed_client, received;
    auto write = [](auto& session, std::string& wire) {  // what a socket write does
        wire += session.output();
        session.consume_output(session.output().size());
    };
    auto read = [](auto& session, std::string& wire, std::string& fed) {  // and a read
        fed = std::string(session.unconsumed()) + wire;  // the partial line, then new bytes
        wire.clear();
        (void)session.feed(fed);
    };
    while (!server.done() || !client.done()) {
        const server_event s = server.next_event();
        if (std::holds_alternative<need_output>(s)) write(server, to_client);
        else if (std::holds_alternative<need_data>(s) && !to_server.empty()) read(server, to_server, fed_server);
        else if (const auto* chunk = std::get_if<body_chunk>(&s)) received += chunk->bytes;
        else if (is_decision(s)) (void)server.accept();  // the policy: take everything
        const client_event c = client.next_event();
        if (std::holds_alternative<need_output>(c)) write(client, to_server);
        else if (std::holds_alternative<need_data>(c) && !to_client.empty()) read(client, to_client, fed_client);
        else if (std::holds_alternative<ready>(c)) (void)client.send_mail(mail, "Subject: hello\r\n\r\nHello, Bob.\r\n");
        else if (std::holds_alternative<transaction_done>(c)) (void)client.quit();
    }
    std::printf("%s", received.c_str());
}
