#include "engine/fleet/duration.h"

#include <cstdint>

namespace wsp::fleet {
namespace {

constexpr std::int64_t max_ms = 30LL * 24 * 3600 * 1000;

} // namespace

wsp::expected<millis> parse_duration(std::string_view text)
{
    std::size_t i = 0;
    std::int64_t whole = 0;
    std::size_t whole_digits = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++whole_digits) {
        whole = whole * 10 + (text[i] - '0');
        if (whole > max_ms) {
            return fail(errc::bad_duration);
        }
    }
    std::int64_t frac = 0;
    std::int64_t frac_scale = 1;
    if (i < text.size() && text[i] == '.') {
        ++i;
        const std::size_t start = i;
        for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
            if (frac_scale >= 1'000'000'000) {
                return fail(errc::bad_duration);
            }
            frac = frac * 10 + (text[i] - '0');
            frac_scale *= 10;
        }
        if (i == start) {
            return fail(errc::bad_duration);
        }
    }
    if (whole_digits == 0) {
        return fail(errc::bad_duration);
    }
    const std::string_view unit = text.substr(i);
    std::int64_t unit_ms = 0;
    if (unit == "ms") {
        unit_ms = 1;
    } else if (unit == "s") {
        unit_ms = 1000;
    } else if (unit == "m") {
        unit_ms = 60'000;
    } else if (unit == "h") {
        unit_ms = 3'600'000;
    } else {
        return fail(errc::bad_duration);
    }
    // Refuse fractions that do not land on a whole millisecond ("1.5ms", "0.0001s").
    if ((frac * unit_ms) % frac_scale != 0) {
        return fail(errc::bad_duration);
    }
    const std::int64_t total = whole * unit_ms + frac * unit_ms / frac_scale;
    if (total > max_ms) {
        return fail(errc::bad_duration);
    }
    return millis(total);
}

std::string format_duration(millis d)
{
    const std::int64_t ms = d.count();
    if (ms != 0 && ms % 3'600'000 == 0) {
        return std::to_string(ms / 3'600'000) + "h";
    }
    if (ms != 0 && ms % 60'000 == 0) {
        return std::to_string(ms / 60'000) + "m";
    }
    if (ms != 0 && ms % 1000 == 0) {
        return std::to_string(ms / 1000) + "s";
    }
    return std::to_string(ms) + "ms";
}

} // namespace wsp::fleet
