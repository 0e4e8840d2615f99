// The LMTP example docs/server.md shows, compiled and run as written: per-recipient answers
// given last recipient first, written in RCPT order (RFC 2033 §4.2).
#include "smtpwire/smtpwire.hpp"

#include "support/catch.hpp"

#include <map>
#include <string>
#include <variant>
#include <vector>

namespace lmtp_readme {

using namespace smtpwire;

// LMTP example begin
// An LMTP message has arrived: deliver it to each recipient the application accepted at
// RCPT (`mailboxes[i]` is the i-th), in any order (here the last first), and answer each.
// The session writes the replies in RCPT order, each as soon as those before it are.
void deliver(server_session& s, const message_end& end, const std::vector<std::string>& mailboxes,
             const std::string& content, std::map<std::string, std::string>& store) {
    for (std::size_t i = end.recipients; i-- > 0;) {
        if (mailboxes[i].rfind("full@", 0) == 0) {
            (void)s.reject_recipient(end.decision, i, {452, {4, 2, 2}, "Mailbox full"});
        } else {
            store[mailboxes[i]] += content;
            (void)s.accept_recipient(end.decision, i, "Delivered to " + mailboxes[i]);
        }
    }
}
// LMTP example end

} // namespace lmtp_readme

TEST_CASE("LMTP example: it answers each recipient, in RCPT order on the wire") {
    using namespace smtpwire;
    server_config config;
    config.hostname = "lmtp.example";
    config.lmtp = true;
    server_session s(config);
    // The client's writes, each after the replies it waits for (LHLO and DATA end a
    // pipelined group).
    const std::vector<std::string> writes = {
        "LHLO mx.example\r\n",
        "MAIL FROM:<a@b.example>\r\nRCPT TO:<ann@lmtp.example>\r\nRCPT TO:<full@lmtp.example>\r\n"
        "RCPT TO:<bob@lmtp.example>\r\nDATA\r\n",
        "Subject: hi\r\n\r\nhello\r\n.\r\nQUIT\r\n"};
    std::vector<std::string> mailboxes;
    std::string content, output;
    std::map<std::string, std::string> store;
    std::size_t fed = 0;
    for (int guard = 0; guard < 1000; ++guard) {
        const server_event ev = s.next_event();
        if (std::holds_alternative<closed>(ev)) break;
        if (std::holds_alternative<need_output>(ev)) {
            output += s.output();
            s.consume_output(s.output().size());
        } else if (std::holds_alternative<need_data>(ev)) {
            REQUIRE(fed < writes.size());
            REQUIRE(s.feed(writes[fed++]) == errc::ok);
        } else if (const auto* r = std::get_if<rcpt_to>(&ev)) {
            mailboxes.push_back(std::string(r->forward_path.address.local_part) + "@" +
                                std::string(r->forward_path.address.domain));
            REQUIRE(s.accept() == errc::ok);
        } else if (const auto* b = std::get_if<body_chunk>(&ev)) {
            content += b->bytes;
        } else if (const auto* end = std::get_if<message_end>(&ev)) {
            lmtp_readme::deliver(s, *end, mailboxes, content, store);
        } else if (is_decision(ev)) {
            REQUIRE(s.accept() == errc::ok);
        }
    }
    CHECK(output.substr(output.find("354 ")) ==
          "354 End data with <CR><LF>.<CR><LF>\r\n"
          "250 2.0.0 Delivered to ann@lmtp.example\r\n"
          "452 4.2.2 Mailbox full\r\n"
          "250 2.0.0 Delivered to bob@lmtp.example\r\n"
          "221 2.0.0 lmtp.example Service closing transmission channel\r\n");
    CHECK(store == std::map<std::string, std::string>{{"ann@lmtp.example", "Subject: hi\r\n\r\nhello\r\n"},
                                                      {"bob@lmtp.example", "Subject: hi\r\n\r\nhello\r\n"}});

}
