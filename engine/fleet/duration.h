// Durations in configuration files: a number of milliseconds (500) or a string with a unit
// ("250ms", "2s", "1.5s", "5m", "1h"), in the style of Prometheus and the blackbox exporter.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "engine/fleet/errc.h"

namespace wsp::fleet {

using millis = std::chrono::milliseconds;

// Parses "<digits>[.<digits>]<unit>" with unit ms, s, m or h. Fractions finer than a millisecond
// are refused; so are negative values, missing units and values above 30 days. Errors: bad_duration.
[[nodiscard]] wsp::expected<millis> parse_duration(std::string_view text);

// The shortest exact text for a duration: "250ms", "2s", "90s", "5m", "1h".
[[nodiscard]] std::string format_duration(millis d);

} // namespace wsp::fleet
