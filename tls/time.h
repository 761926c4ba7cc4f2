// Calendar arithmetic for certificate validity (RFC 5280 §4.1.2.5): epoch seconds, ISO-8601 text
// and days left. Pure functions: the caller supplies "now"; nothing here reads a clock.
#pragma once

#include <cstdint>
#include <string>

namespace wsp::tls {

// Whole days from `now` until `not_after`, rounded toward negative infinity: 0 on the last day,
// -1 the day after expiry. Both arguments are seconds since the Unix epoch (UTC).
[[nodiscard]] constexpr std::int64_t days_left(std::int64_t not_after, std::int64_t now) noexcept
{
    const std::int64_t diff = not_after - now;
    const std::int64_t day = 86400;
    return diff >= 0 ? diff / day : -((-diff + day - 1) / day);
}

// "YYYY-MM-DDTHH:MM:SSZ" for seconds since the Unix epoch (UTC). Allocates the returned string.
[[nodiscard]] std::string iso8601(std::int64_t epoch_seconds);

// Seconds since the Unix epoch for a UTC civil date and time; fields are not range-checked.
[[nodiscard]] std::int64_t epoch_from_civil(int year, unsigned month, unsigned day, unsigned hour,
                                            unsigned minute, unsigned second) noexcept;

} // namespace wsp::tls
