// Command-line options of `wsprobe check`, parsed into a proto::check_spec plus output choices.
// Bad input yields a one-line message for the user (exit code 3), never an exception or crash.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "proto/check_spec.h"

namespace wsp::cli {

enum class color_mode : std::uint8_t { automatic = 0, always = 1, never = 2 };

struct check_options {
    proto::check_spec spec;
    bool json = false;
    bool verbose = false;
    bool help = false;
    color_mode color = color_mode::automatic;
    // --compare-transports: run spec over HTTP/1.1 and over HTTP/2 side by side (spec.http2 is
    // then the h2 run's mode: require on wss://, prior_knowledge on ws://).
    bool compare_transports = false;
    // --h2-streams N (2 to 100): N probes as N extended CONNECT streams on one HTTP/2 connection,
    // as a browser shares one connection among an origin's WebSockets; 0 when not given.
    // spec.http2 is then require (wss://) or prior_knowledge (ws://).
    std::uint32_t h2_streams = 0;
};

// Looks up environment variables and reads files; injected so tests need neither.
struct environment {
    std::function<std::optional<std::string>(const std::string&)> getenv;
    std::function<tl::expected<std::string, std::string>(const std::string&)> read_file;
    static environment system();
};

// Parses the arguments after `check`. The error is a sentence naming the bad flag or value.
[[nodiscard]] tl::expected<check_options, std::string>
parse_check_options(std::span<const std::string_view> args, const environment& env);

// Parses "250", "250ms", "2s", "1.5s" into milliseconds.
[[nodiscard]] std::optional<proto::millis> parse_duration(std::string_view text);

[[nodiscard]] std::string_view check_usage();

} // namespace wsp::cli
