// Runs of whole lines that end in CRLF and hold no other CR or LF, found with one memchr
// per line: what the DATA decoder passes on and the dot-stuffer copies in one piece.
#ifndef SMTPWIRE_CRLF_LINES_HPP
#define SMTPWIRE_CRLF_LINES_HPP

#include <cstddef>
#include <cstring>
#include <string_view>

namespace smtpwire {
inline namespace v0 {
namespace detail {

// The CR octets among the `size` at `p` from `k` on, in blocks of `block` octets counted
// in one octet each (a block holds fewer than 256): a loop compilers turn into vector
// instructions of octet lanes, even when they may not add a remainder loop of their own
// (GCC's -O2). Advances `k` past the blocks counted.
template <std::size_t block>
std::size_t count_cr_blocks(const char* p, std::size_t size, std::size_t& k) noexcept {
    static_assert(block < 256, "an octet counts the CRs of a block");
    std::size_t count = 0;
    for (; k + block <= size; k += block) {
        unsigned char in_block = 0;
        for (std::size_t j = 0; j < block; ++j)
            in_block = static_cast<unsigned char>(in_block + (p[k + j] == '\r' ? 1 : 0));
        count += in_block;
    }
    return count;
}

// The CR octets among the `size` at `p`: 240-octet blocks, then 32-octet ones, then the
// last few one by one. (GCC 12 at -O3 counts blocks of 8 or 16 lanes wrongly.)
inline std::size_t count_cr(const char* p, std::size_t size) noexcept {
    std::size_t k = 0;
    std::size_t count = count_cr_blocks<240>(p, size, k);
    count += count_cr_blocks<32>(p, size, k);
    for (; k < size; ++k) count += p[k] == '\r' ? 1u : 0u;
    return count;
}

// The offset of the first `c` at or after `from` in `in`, or in.size(). Precondition:
// `in` is not empty (memchr is never passed the null data() of an empty view) and
// from <= in.size().
inline std::size_t find_octet(std::string_view in, std::size_t from, char c) noexcept {
    const void* hit = std::memchr(in.data() + from, c, in.size() - from);
    return hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - in.data()) : in.size();
}

// What find_crlf_run() found.
struct crlf_run {
    std::size_t end;       // just past the run's last LF; `begin` when there is no run
    std::size_t first_lf;  // the first LF at or after `begin`, or in.size()
    std::size_t checked;   // the end of the lines looked at
};

// From `begin` (at the start of a line or inside one): the whole lines that follow,
// each ending in CRLF, up to a line that starts with '.', the first line that ends past
// `limit` or does not end in CRLF, or the end of `in`. One memchr per line finds its
// LF; a bare CR inside a line escapes that search, so the CRs are counted afterwards:
// one per line means none was bare, else there is no run, and `checked` tells a caller
// how far it would look at the same lines again.
// `on_line(from, to)` is told each line, before that count: a caller keeps what it
// gathers only when a run is found. Precondition: begin < in.size().
template <class OnLine>
crlf_run find_crlf_run(std::string_view in, std::size_t begin, std::size_t limit,
                       OnLine on_line) noexcept {
    const std::size_t n = in.size();
    const char* p = in.data();
    if (limit > n) limit = n;
    std::size_t i = begin;
    std::size_t lines = 0;
    std::size_t lf = find_octet(in, i, '\n');
    crlf_run run{begin, lf, begin};
    // A line ends at its LF: in `in` and within `limit` (lf < limit), after a CR of its own.
    while (lf < limit && lf != i && p[lf - 1] == '\r') {
        on_line(i, lf + 1);
        ++lines;
        i = lf + 1;
        if (i == n || p[i] == '.') break;
        lf = find_octet(in, i, '\n');
    }
    run.checked = i;
    if (lines != 0 && count_cr(p + begin, i - begin) == lines) run.end = i;
    return run;
}

} // namespace detail
} // namespace v0
} // namespace smtpwire

#endif
