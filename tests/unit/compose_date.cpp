#include "smtpwire/compose/date.hpp"
#include "support/catch.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

using smtpwire::compose::date_text_size;
using smtpwire::compose::date_time;
using smtpwire::compose::format_date;
using smtpwire::compose::is_valid_date;

namespace {
std::string fmt(std::int64_t unix_seconds, int offset_minutes = 0) {
    char buf[date_text_size + 1];
    for (char& c : buf) c = '#';
    if (!format_date(date_time{unix_seconds, offset_minutes}, buf)) {
        CHECK(std::string(buf, sizeof buf) == std::string(sizeof buf, '#'));
        return "<invalid>";
    }
    CHECK(buf[date_text_size] == '#');
    return std::string(buf, date_text_size);
}

constexpr bool constexpr_format() {
    char buf[date_text_size] = {};
    return format_date(date_time{0, 0}, buf) &&
           std::string_view(buf, date_text_size) == "Thu, 01 Jan 1970 00:00:00 +0000";
}
static_assert(constexpr_format());
} // namespace

TEST_CASE("compose date: the Unix epoch and the second before it") {
    CHECK(fmt(0) == "Thu, 01 Jan 1970 00:00:00 +0000");
    CHECK(fmt(-1) == "Wed, 31 Dec 1969 23:59:59 +0000");
    CHECK(fmt(86399) == "Thu, 01 Jan 1970 23:59:59 +0000");
    CHECK(fmt(86400) == "Fri, 02 Jan 1970 00:00:00 +0000");
    CHECK(fmt(-86400) == "Wed, 31 Dec 1969 00:00:00 +0000");
    CHECK(fmt(-86401) == "Tue, 30 Dec 1969 23:59:59 +0000");
}

TEST_CASE("compose date: leap days") {
    CHECK(fmt(951782400) == "Tue, 29 Feb 2000 00:00:00 +0000");
    CHECK(fmt(951868799) == "Tue, 29 Feb 2000 23:59:59 +0000");
    CHECK(fmt(951868800) == "Wed, 01 Mar 2000 00:00:00 +0000");
    CHECK(fmt(-2203934400) == "Wed, 28 Feb 1900 12:00:00 +0000");
    CHECK(fmt(-2203934400 + 86400) == "Thu, 01 Mar 1900 12:00:00 +0000"); // 1900: no leap day
    CHECK(fmt(4107542400 - 86400) == "Sun, 28 Feb 2100 00:00:00 +0000"); // nor 2100
    CHECK(fmt(13574563200) == "Tue, 29 Feb 2400 00:00:00 +0000");
}

TEST_CASE("compose date: UTC offsets move the local time and are written as +hhmm") {
    const std::int64_t t = 1795432854; // 2026-11-23T11:20:54Z
    CHECK(fmt(t) == "Mon, 23 Nov 2026 11:20:54 +0000");
    CHECK(fmt(t, 60) == "Mon, 23 Nov 2026 12:20:54 +0100");
    CHECK(fmt(t, -210) == "Mon, 23 Nov 2026 07:50:54 -0330");
    CHECK(fmt(t, 345) == "Mon, 23 Nov 2026 17:05:54 +0545");
    CHECK(fmt(t, -680) == "Mon, 23 Nov 2026 00:00:54 -1120");
    CHECK(fmt(t, -681) == "Sun, 22 Nov 2026 23:59:54 -1121");
    // The offset carries the local date over a year boundary.
    CHECK(fmt(1798759800, 60) == "Fri, 01 Jan 2027 00:30:00 +0100");
    CHECK(fmt(1798759800) == "Thu, 31 Dec 2026 23:30:00 +0000");
}

TEST_CASE("compose date: RFC 5322 appendix A.5, before the epoch with a negative offset") {
    // "Date: Thu, 13 Feb 1969 23:32:54 -0330" is 1969-02-14T03:02:54Z.
    CHECK(fmt(-27723426, -210) == "Thu, 13 Feb 1969 23:32:54 -0330");
    CHECK(fmt(-27723426) == "Fri, 14 Feb 1969 03:02:54 +0000");
}

TEST_CASE("compose date: the range of years and offsets") {
    constexpr std::int64_t first = -2208988800; // 1900-01-01T00:00:00Z
    constexpr std::int64_t last = 253402300799; // 9999-12-31T23:59:59Z
    CHECK(fmt(first) == "Mon, 01 Jan 1900 00:00:00 +0000");
    CHECK(fmt(first - 1) == "<invalid>");
    CHECK(fmt(first - 3600, 60) == "Mon, 01 Jan 1900 00:00:00 +0100");
    CHECK(fmt(first, -1) == "<invalid>");
    CHECK(fmt(last) == "Fri, 31 Dec 9999 23:59:59 +0000");
    CHECK(fmt(last + 1) == "<invalid>");
    CHECK(fmt(last + 60, -1) == "Fri, 31 Dec 9999 23:59:59 -0001");
    CHECK(fmt(last, 1) == "<invalid>");
    CHECK(fmt(0, 5999) == "Mon, 05 Jan 1970 03:59:00 +9959");
    CHECK(fmt(0, -5999) == "Sat, 27 Dec 1969 20:01:00 -9959");
    CHECK(fmt(0, 6000) == "<invalid>");
    CHECK(fmt(0, -6000) == "<invalid>");
    CHECK(fmt(0, std::numeric_limits<int>::min()) == "<invalid>");
    CHECK(fmt(0, std::numeric_limits<int>::max()) == "<invalid>");
    CHECK(fmt(std::numeric_limits<std::int64_t>::max(), -5999) == "<invalid>");
    CHECK(fmt(std::numeric_limits<std::int64_t>::min(), 5999) == "<invalid>");
    CHECK(is_valid_date(date_time{0, 0}));
    CHECK_FALSE(is_valid_date(date_time{0, 6000}));
}

TEST_CASE("compose date: against a day-by-day calendar, 1900-2500 and 9900-9999") {
    constexpr std::string_view weekdays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::int64_t t = -2208988800 + 43200; // noon, 1900-01-01, a Monday
    int weekday = 0;
    int failures = 0;
    for (int year = 1900; year <= 9999; ++year) {
        const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        const int lengths[] = {31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        for (int month = 0; month < 12; ++month) {
            for (int day = 1; day <= lengths[month];
                 ++day, t += 86400, weekday = (weekday + 1) % 7) {
                if (year > 2500 && year < 9900) continue;
                std::string expected(weekdays[weekday]);
                expected += ", ";
                expected += static_cast<char>('0' + day / 10);
                expected += static_cast<char>('0' + day % 10);
                expected += ' ';
                expected += months[month];
                expected += ' ';
                expected += std::to_string(year);
                expected += " 12:00:00 +0000";
                char buf[date_text_size] = {};
                if (!format_date(date_time{t, 0}, buf) ||
                    std::string_view(buf, date_text_size) != expected) {
                    if (++failures < 5) CHECK(std::string(buf, date_text_size) == expected);
                }
            }
        }
    }
    CHECK(failures == 0);
}
