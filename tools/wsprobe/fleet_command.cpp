// Placeholder until the fleet scheduler lands: the subcommands exist and say so.
#include "tools/wsprobe/fleet_command.h"

#include <cstdio>
#include <string>

namespace wsp::cli {

int run_fleet_command(std::span<const std::string_view> args)
{
    std::fprintf(stderr, "wsprobe: '%s' is not available in this build yet\n", std::string(args[0]).c_str());
    return 3;
}

} // namespace wsp::cli
