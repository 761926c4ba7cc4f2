// Verdict rules: a check that completed every phase is up, or degraded when a phase took longer
// than its threshold (product guide: handshake 1000 ms, RTT 200 ms). Down is decided by the probe.
#pragma once

#include "proto/check_result.h"
#include "proto/check_spec.h"

namespace wsp::proto {

// Applies thresholds to a result that is not down: sets degraded and appends one warning per
// threshold crossed. Leaves down results as they are.
void apply_thresholds(check_result& r, const check_thresholds& t);

// Milliseconds with up to one decimal for humans: "0.4 ms", "12.3 ms", "1534 ms".
[[nodiscard]] std::string format_ms(std::int64_t ns);

} // namespace wsp::proto
