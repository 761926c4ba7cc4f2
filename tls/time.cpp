// Calendar arithmetic for certificate validity (RFC 5280 §4.1.2.5) using std::chrono civil types.
#include "tls/time.h"

#include <chrono>
#include <cstdio>

namespace wsp::tls {

std::string iso8601(std::int64_t epoch_seconds)
{
    using namespace std::chrono;
    const sys_seconds t{seconds{epoch_seconds}};
    const sys_days day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss<seconds> hms{t - day};
    char buf[40];
    const int n =
        std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                      static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                      static_cast<int>(hms.seconds().count()));
    return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

std::int64_t epoch_from_civil(int year, unsigned month, unsigned day, unsigned hour, unsigned minute,
                              unsigned second) noexcept
{
    using namespace std::chrono;
    const sys_days d{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}};
    return d.time_since_epoch().count() * 86400 + static_cast<std::int64_t>(hour) * 3600 +
           static_cast<std::int64_t>(minute) * 60 + second;
}

} // namespace wsp::tls
