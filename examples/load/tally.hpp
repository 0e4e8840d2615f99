// What smtpwire-load counts while it runs, and the report it prints at the end.
// RFC 5321 §4.2.5: a message counts only once the reply to its content is 250.
#ifndef SMTPWIRE_LOAD_TALLY_HPP
#define SMTPWIRE_LOAD_TALLY_HPP

#include <cstddef>
#include <cstdio>
#include <vector>

namespace load {

/// Counts of one run. `latencies_us` holds, for each delivered message, the time from
/// its MAIL command to its final reply, in microseconds.
struct tally {
    std::size_t delivered = 0;          // final reply 250 for the content
    std::size_t refused = 0;            // transaction_done other than success
    std::size_t refused_replies = 0;    // replies other than 2xx (354 to DATA) to any command
    std::size_t connections = 0;        // connections opened
    std::size_t failed_sessions = 0;    // sessions ended by a client_failure
    std::size_t content_octets = 0;     // content of the delivered messages
    std::vector<double> latencies_us;
};

/// Prints one "name: value unit" line per figure of `t` to `to`: the counts (`messages`
/// planned in all), messages/s and MB/s over `elapsed_s` seconds, latency p50 and p99,
/// and this process's user and system CPU time (getrusage).
void print_report(std::FILE* to, tally& t, std::size_t messages, double elapsed_s);

} // namespace load

#endif
