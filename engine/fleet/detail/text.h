// Small text helpers shared by the fleet module: base64 (RFC 4648 §4), hex, RFC 3339 timestamps,
// Prometheus label escaping (exposition format 0.0.4) and number formatting.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wsp::fleet::detail {

[[nodiscard]] std::string base64_encode(std::span<const std::uint8_t> bytes);
// Strict RFC 4648 §4 decoding: padding required, no whitespace, non-zero trailing bits refused.
[[nodiscard]] std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);
// Even-length hex, either case.
[[nodiscard]] std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view text);

// "2026-01-31T00:00:00Z" (seconds precision, UTC) to seconds since the Unix epoch.
[[nodiscard]] std::optional<std::int64_t> parse_utc_timestamp(std::string_view text);
// Nanoseconds since the Unix epoch to RFC 3339 UTC with milliseconds: "2026-01-31T00:00:00.123Z".
[[nodiscard]] std::string format_utc_timestamp(std::int64_t unix_ns);

// Appends a label value escaped per the text format 0.0.4: backslash, double quote and newline.
void append_label_value(std::string& out, std::string_view value);
// Appends HELP text escaped per the text format 0.0.4: backslash and newline.
void append_help_text(std::string& out, std::string_view text);
// Appends a sample value: integers exactly, others in the shortest round-trip form; +Inf, -Inf, NaN.
void append_number(std::string& out, double v);
void append_number(std::string& out, std::uint64_t v);
void append_number(std::string& out, std::int64_t v);

// Appends "# HELP name help" and "# TYPE name type" lines.
void append_family(std::string& out, std::string_view name, std::string_view type, std::string_view help);
// Appends "name{labels} value\n"; `labels` is already escaped text ("" for none).
void append_sample(std::string& out, std::string_view name, std::string_view labels, double value);
void append_sample(std::string& out, std::string_view name, std::string_view labels, std::uint64_t value);

// Trims ASCII whitespace at both ends.
[[nodiscard]] std::string_view trim(std::string_view s) noexcept;

} // namespace wsp::fleet::detail
