// wsprobe selfcheck: what the kernel granted the runtime, each required capability, and live
// round trips (nop, kernel timeout, timer heap, socket options, loopback multishot receive).
#pragma once

#include <string>

#include "engine/runtime/reactor.h"

namespace wsp::rt {

struct self_check_result {
    bool ok = false;
    std::string report; // human-readable, one finding per line
};

// Creates a temporary reactor on the calling thread (which must not own one), runs the checks
// and tears everything down. Blocks for a few milliseconds; uses 127.0.0.1 only.
[[nodiscard]] self_check_result self_check(const reactor_config& cfg = {});

} // namespace wsp::rt
