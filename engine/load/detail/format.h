// Text helpers shared by the load reports (report.cpp defines them): human durations and rates,
// and making text from the run (URLs, failure sentences quoting a server) safe to print.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wsp::load::detail {

// "850ns", "12.3us", "1.2ms", "250ms", "2.10s"; "-" for a value of 0 (nothing measured).
[[nodiscard]] std::string human_duration(std::int64_t ns);
// "0", "12", "5012", "0.5", "12.5" (at most one decimal, none when whole).
[[nodiscard]] std::string human_number(double v);
// Seconds as "2.0s" / "90s" for settings such as --duration.
[[nodiscard]] std::string human_seconds(double s);
// Replaces control characters (C0, DEL) with '?', so a hostile server's text cannot move the
// cursor or recolour a terminal.
[[nodiscard]] std::string printable(std::string_view s);
// "1000 (normal)", "1006 (no close frame)": RFC 6455 §7.4.1 names of close codes.
[[nodiscard]] std::string describe_close_code(std::uint16_t code);

} // namespace wsp::load::detail
