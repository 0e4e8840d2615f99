// The date-time of a message's Date header, computed from Unix time without reading a clock.
// RFC 5322 §3.3 (date-time: day-of-week, date, time-of-day, zone), §3.6.1 (orig-date).
#ifndef SMTPWIRE_COMPOSE_DATE_HPP
#define SMTPWIRE_COMPOSE_DATE_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace smtpwire {
inline namespace v0 {
namespace compose {

/// A moment and the UTC offset of the sender's local time, both supplied by the application.
struct date_time {
    std::int64_t unix_seconds;  // seconds since 1970-01-01T00:00:00Z, leap seconds not counted
    int utc_offset_minutes;     // local time minus UTC, e.g. +60 for +0100, -210 for -0330
};

/// Length of every date-time format_date() writes: "Mon, 23 Nov 2026 11:20:54 +0000".
inline constexpr std::size_t date_text_size = 31;

/// Largest UTC offset the zone's four digits can hold: 99 hours 59 minutes.
inline constexpr int max_utc_offset_minutes = 99 * 60 + 59;

namespace detail {
// 1900-01-01T00:00:00 and 9999-12-31T23:59:59 as Unix time: RFC 5322 §3.3 requires a year
// of 1900 or later, and four digits keep the text a fixed size.
inline constexpr std::int64_t min_local_seconds = -2208988800;
inline constexpr std::int64_t max_local_seconds = 253402300799;

struct civil_date {
    std::int64_t year;
    unsigned month; // 1-12
    unsigned day;   // 1-31
};

// The proleptic Gregorian date `days` days after 1970-01-01 (negative: before it). The
// count is shifted to start on 0000-03-01 so that the leap day ends each year, then split
// into 400-year eras of 146097 days.
constexpr civil_date civil_from_days(std::int64_t days) noexcept {
    const std::int64_t z = days + 719468; // days from 0000-03-01 to 1970-01-01
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;                                 // [0, 146096]
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; // [0, 399]
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           // [0, 365]
    const std::int64_t mp = (5 * doy + 2) / 153;                                // 0 = March
    const auto day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
    const auto month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
    return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    const std::int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

constexpr void put_digits(char* out, std::int64_t v, std::size_t width) noexcept {
    for (std::size_t i = width; i > 0; --i) {
        out[i - 1] = static_cast<char>('0' + v % 10);
        v /= 10;
    }
}
} // namespace detail

/// True when format_date() can write `dt`: the offset is within ±99:59 and the local
/// date falls in the years 1900 to 9999.
[[nodiscard]] constexpr bool is_valid_date(const date_time& dt) noexcept {
    if (dt.utc_offset_minutes < -max_utc_offset_minutes ||
        dt.utc_offset_minutes > max_utc_offset_minutes)
        return false;
    const std::int64_t slack = std::int64_t{max_utc_offset_minutes} * 60;
    if (dt.unix_seconds < detail::min_local_seconds - slack ||
        dt.unix_seconds > detail::max_local_seconds + slack)
        return false;
    const std::int64_t local = dt.unix_seconds + std::int64_t{dt.utc_offset_minutes} * 60;
    return local >= detail::min_local_seconds && local <= detail::max_local_seconds;
}

/// Writes `dt` as an RFC 5322 date-time in the sender's local time, e.g.
/// "Mon, 23 Nov 2026 11:20:54 +0000": English day and month names, two-digit day, four-digit
/// year, and the offset as +hhmm or -hhmm. Precondition: `out` holds date_text_size bytes.
/// Returns false, writing nothing, when !is_valid_date(dt).
[[nodiscard]] constexpr bool format_date(const date_time& dt, char* out) noexcept {
    if (!is_valid_date(dt)) return false;
    constexpr std::string_view week = "SunMonTueWedThuFriSat";
    constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
    const std::int64_t local = dt.unix_seconds + std::int64_t{dt.utc_offset_minutes} * 60;
    const std::int64_t days = detail::floor_div(local, 86400);
    const std::int64_t secs = local - days * 86400;
    const detail::civil_date d = detail::civil_from_days(days);
    const std::int64_t w = (days + 4) % 7; // 1970-01-01 was a Thursday
    const auto wday = static_cast<std::size_t>(w < 0 ? w + 7 : w);
    for (std::size_t i = 0; i < 3; ++i) {
        out[i] = week[wday * 3 + i];
        out[8 + i] = months[(d.month - 1) * 3 + i];
    }
    out[3] = ',';
    out[4] = ' ';
    detail::put_digits(out + 5, d.day, 2);
    out[7] = ' ';
    out[11] = ' ';
    detail::put_digits(out + 12, d.year, 4);
    out[16] = ' ';
    detail::put_digits(out + 17, secs / 3600, 2);
    out[19] = ':';
    detail::put_digits(out + 20, secs / 60 % 60, 2);
    out[22] = ':';
    detail::put_digits(out + 23, secs % 60, 2);
    out[25] = ' ';
    out[26] = dt.utc_offset_minutes < 0 ? '-' : '+';
    const int offset = dt.utc_offset_minutes < 0 ? -dt.utc_offset_minutes : dt.utc_offset_minutes;
    detail::put_digits(out + 27, offset / 60, 2);
    detail::put_digits(out + 29, offset % 60, 2);
    return true;
}

} // namespace compose
} // namespace v0
} // namespace smtpwire

#endif
