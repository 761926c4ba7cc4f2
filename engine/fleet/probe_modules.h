// The modules of a configuration as ready-made checks for the blackbox-style `/probe` endpoint:
// each module's settings (validated as parse_config validates them) over a placeholder URL that a
// request's `target` replaces.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "engine/fleet/config.h"

namespace wsp::fleet {

// The name `/probe` uses when a request gives no `module`; an empty module of that name exists
// unless the configuration defines one.
inline constexpr std::string_view default_module = "default";

using module_map = std::map<std::string, fleet_check, std::less<>>;

// Every module of `json` (the `modules` object; `checks` are ignored and optional) as a check
// whose spec carries the module's settings. Problems are reported like parse_config's and never
// contain a secret. Call at start-up or reload, not on a reactor (secret files are read).
[[nodiscard]] tl::expected<module_map, config_report> parse_probe_modules(std::string_view json,
                                                                          const config_context& ctx);

} // namespace wsp::fleet
