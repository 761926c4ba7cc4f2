// Command-line options of `wsprobe load`: the load flags parsed into wsp::load::load_options, every
// other flag and the URL through parse_check_options, so each probe option applies to each
// connection. Bad input yields a one-line sentence naming the flag (exit code 3), never a throw.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "engine/load/driver.h"
#include "tools/cli/check_options.h"

namespace wsp::cli {

// When the live progress line is printed (on stderr).
enum class progress_mode : std::uint8_t {
    automatic = 0, // when stderr is a terminal
    always = 1,    // --progress: also to a pipe or file, one line per second
    never = 2,     // --quiet
};

struct load_cli {
    load::load_options options;        // spec (URL and probe options) and the load settings
    bool json = false;                 // --json: the summary as one JSON object
    std::optional<std::string> report; // --report FILE: the HTML report's path
    progress_mode progress = progress_mode::automatic;
    bool help = false; // -h/--help: print load_usage(), nothing else is set
};

// Parses the arguments after `load`. Durations need a unit (500ms, 30s, 5m, 1h). The error is a
// sentence naming the bad flag or value. Reads the file system only to check that --report's
// directory exists; `env` is passed to parse_check_options (bearer tokens, scripts, passwords).
[[nodiscard]] tl::expected<load_cli, std::string> parse_load_options(std::span<const std::string_view> args,
                                                                     const environment& env);

// Parses --source: "127.0.0.2-127.0.0.60" (an inclusive IPv4 range of at most 65536 addresses,
// upwards, not crossing in or out of 127/8), one IPv4 or IPv6 address, or a comma-separated list
// of those. Port 0. The error is a sentence without the flag name.
[[nodiscard]] tl::expected<std::vector<rt::address>, std::string> parse_sources(std::string_view text);

[[nodiscard]] std::string_view load_usage();

} // namespace wsp::cli
