// What smtpwire-load counts while it runs, and the report it prints at the end.
// Percentiles by rank (nearest rank); CPU time from getrusage(RUSAGE_SELF).
#include "tally.hpp"

#include <algorithm>
#include <cmath>

#include <sys/resource.h>

namespace load {
namespace {

// The p-th percentile (0 < p <= 100) of `v` by nearest rank; 0 when `v` is empty.
double percentile(std::vector<double>& v, double p) {
    if (v.empty()) return 0;
    const double rank = std::ceil(p / 100 * static_cast<double>(v.size()));
    const std::size_t at = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(at), v.end());
    return v[at];
}

double seconds(const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

} // namespace

void print_report(std::FILE* to, tally& t, std::size_t messages, double elapsed_s) {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const double cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    const double delivered = static_cast<double>(t.delivered);
    std::fprintf(to, "messages: %zu\n", messages);
    std::fprintf(to, "delivered: %zu\n", t.delivered);
    std::fprintf(to, "failed: %zu\n", messages - t.delivered);
    std::fprintf(to, "refused_transactions: %zu\n", t.refused);
    std::fprintf(to, "refused_replies: %zu\n", t.refused_replies);
    std::fprintf(to, "connections: %zu\n", t.connections);
    std::fprintf(to, "failed_sessions: %zu\n", t.failed_sessions);
    std::fprintf(to, "elapsed: %.3f s\n", elapsed_s);
    std::fprintf(to, "msgs_per_s: %.0f msgs/s\n", elapsed_s > 0 ? delivered / elapsed_s : 0);
    std::fprintf(to, "mb_per_s: %.2f MB/s\n",
                 elapsed_s > 0 ? static_cast<double>(t.content_octets) / elapsed_s / 1e6 : 0);
    std::fprintf(to, "latency_p50: %.0f us\n", percentile(t.latencies_us, 50));
    std::fprintf(to, "latency_p99: %.0f us\n", percentile(t.latencies_us, 99));
    std::fprintf(to, "cpu_user: %.3f s\n", seconds(usage.ru_utime));
    std::fprintf(to, "cpu_system: %.3f s\n", seconds(usage.ru_stime));
    std::fprintf(to, "cpu_per_message: %.1f us\n", delivered > 0 ? cpu * 1e6 / delivered : 0);
}

} // namespace load
