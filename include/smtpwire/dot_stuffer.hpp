// Incremental encoder of DATA content for the client: CRLF lines, dot-stuffing, end of data.
// RFC 5321 §4.5.2 (transparency), §2.3.8 (CRLF only), §4.1.1.4 (CRLF "." CRLF ends the data).
#ifndef SMTPWIRE_DOT_STUFFER_HPP
#define SMTPWIRE_DOT_STUFFER_HPP

#include <cstddef>
#include <cstring>
#include <string_view>

#include "smtpwire/ascii.hpp"
#include "smtpwire/crlf_lines.hpp"

namespace smtpwire {
inline namespace v0 {

/// What one dot_stuffer::encode() call did.
struct stuff_result {
    std::size_t consumed = 0;  // input octets used up
    std::size_t written = 0;   // output octets written
};

/// Turns message content into the wire form of DATA content, in pieces of any size.
/// Every line ends in CRLF on the wire: CRLF is kept, a bare LF or a bare CR becomes
/// CRLF. A '.' that starts a line, the first octet of the message included, is sent
/// as "..". Output is written only whole: "..", or the CRLF that replaces a newline, is
/// never split across calls.
class dot_stuffer {
public:
    /// A stuffer for a new message. With `track_octets` false, saw_eight_bit() and
    /// saw_nul() stay false and encode() saves its passes over the content for them: for
    /// a caller that has judged its content before (client_session does).
    explicit dot_stuffer(bool track_octets = true) noexcept : track_octets_(track_octets) {}

    /// Prepares for a new message: the next octet starts a line, nothing is held, and
    /// saw_eight_bit() and saw_nul() are false.
    void reset() noexcept { *this = dot_stuffer{track_octets_}; }

    /// Encodes from the start of `in` into out[0, cap) as much as fits and returns the
    /// input octets consumed and the output octets written; call again with `in`
    /// advanced by `consumed`. A CR at the end of `in` is consumed and held as state
    /// until the next call shows whether LF follows it. Progress is guaranteed when
    /// `in` is not empty and cap >= 2; with cap < 2 a line-initial '.' or a newline
    /// cannot be written and {0, 0} may be returned. `out` may be null when cap == 0.
    [[nodiscard]] stuff_result encode(std::string_view in, char* out, std::size_t cap) noexcept {
        const std::size_t n = in.size();
        std::size_t i = 0;
        std::size_t w = 0;
        if (held_cr_) {
            if (n == 0 || cap < 2) return {0, 0};
            put_crlf(out, w);  // the held CR, bare or followed by this LF
            held_cr_ = false;
            if (in[0] == '\n') i = 1;
        }
        // The next CR and LF at or after `i`, looked up when needed: they are read only at
        // an ordinary octet, beyond which a valid one lies.
        std::size_t next_cr = 0;
        std::size_t next_lf = 0;
        std::size_t run_checked = 0;  // whole CRLF lines are looked for from here on
        while (i < n) {
            const char c = in[i];
            if (c == '\r' || c == '\n') {
                if (c == '\r' && i + 1 == n) {
                    held_cr_ = true;
                    ++i;
                    break;
                }
                if (cap - w < 2) break;
                put_crlf(out, w);
                i += (c == '\r' && in[i + 1] == '\n') ? 2u : 1u;
                continue;
            }
            if (line_start_ && c == '.') {
                if (cap - w < 2) break;
                out[w++] = '.';
                out[w++] = '.';
                ++i;
                line_start_ = false;
                continue;
            }
            const std::size_t room = cap - w;
            if (room == 0) break;
            if (i >= run_checked) {
                // Whole CRLF lines, none starting with '.', as many as fit: one copy.
                const detail::crlf_run run =
                    detail::find_crlf_run(in, i, i + room, [](std::size_t, std::size_t) {});
                run_checked = run.checked;
                if (run.end > i) {
                    std::memcpy(out + w, in.data() + i, run.end - i);
                    w += run.end - i;
                    i = run.end;
                    line_start_ = true;
                    continue;
                }
                next_lf = run.first_lf;
            }
            if (next_cr <= i) next_cr = detail::find_octet(in, i, '\r');
            if (next_lf <= i) next_lf = detail::find_octet(in, i, '\n');
            const std::size_t stop = next_cr < next_lf ? next_cr : next_lf;
            const std::size_t len = stop - i < room ? stop - i : room;
            std::memcpy(out + w, in.data() + i, len);
            i += len;
            w += len;
            line_start_ = false;
        }
        if (track_octets_) note(in.substr(0, i));
        return {i, w};
    }

    /// Writes the end of data into out[0, cap): CRLF if the content so far does not end
    /// in CRLF (a held CR becomes that CRLF; an empty message needs none), then "." CRLF.
    /// Returns the octets written (at most 5), or 0 when they do not fit, writing
    /// nothing. Call reset() before encoding the next message.
    [[nodiscard]] std::size_t finish(char* out, std::size_t cap) noexcept {
        const bool newline = held_cr_ || !line_start_;
        const std::size_t size = newline ? 5 : 3;
        if (size > cap) return 0;
        std::size_t w = 0;
        if (newline) put_crlf(out, w);
        held_cr_ = false;
        out[w++] = '.';
        put_crlf(out, w);
        return w;
    }

    /// True when an octet >= 0x80 was encoded since reset() (BODY=8BITMIME, RFC 6152,
    /// or SMTPUTF8 is needed to send it). Always false without `track_octets`.
    [[nodiscard]] bool saw_eight_bit() const noexcept { return saw_eight_bit_; }
    /// True when a NUL octet was encoded since reset() (not 8BITMIME text, RFC 6152 §1).
    /// Always false without `track_octets`.
    [[nodiscard]] bool saw_nul() const noexcept { return saw_nul_; }

private:
    void put_crlf(char* out, std::size_t& w) noexcept {
        out[w++] = '\r';
        out[w++] = '\n';
        line_start_ = true;
    }

    // Records 8-bit and NUL octets among the content consumed by one encode() call, in
    // one pass each over all of it rather than one per line (the CR, LF and '.' octets
    // among it are neither).
    void note(std::string_view consumed) noexcept {
        if (consumed.empty()) return;
        if (!saw_nul_ && std::memchr(consumed.data(), '\0', consumed.size()) != nullptr) saw_nul_ = true;
        if (!saw_eight_bit_) saw_eight_bit_ = ascii::has_non_ascii(consumed);
    }

    bool track_octets_;
    bool line_start_ = true;
    bool held_cr_ = false;
    bool saw_eight_bit_ = false;
    bool saw_nul_ = false;
};

} // namespace v0
} // namespace smtpwire

#endif
