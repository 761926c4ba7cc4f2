// `wsprobe run`, `wsprobe serve` and `wsprobe secret`: the fleet front end.
#pragma once

#include <span>
#include <string_view>

namespace wsp::cli {

// args[0] is the subcommand ("run", "serve" or "secret"). Returns the process exit code
// (0 ok, 3 usage or configuration error).
[[nodiscard]] int run_fleet_command(std::span<const std::string_view> args);

} // namespace wsp::cli
