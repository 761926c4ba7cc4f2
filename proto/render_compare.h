// Renders `wsprobe check --compare-transports` (RFC 6455 §4 upgrade next to RFC 8441 extended
// CONNECT): a two-column table for people, one JSON object with both results for machines.
#pragma once

#include <string>

#include "proto/compare_result.h"
#include "proto/render.h"

namespace wsp::proto {

// One column per transport: phase timings, status, code, peer, negotiated protocol, TLS; then
// each transport's sentence, the combined verdict line and the warnings. Ends with a newline.
[[nodiscard]] std::string render_compare_text(const compare_result& r, text_style style = {});

// One line: the combined url, status, failed_phase, code, class, message, warnings, total_ms,
// agreement, and "transports": {"http1": <result>, "h2": <result>}, each result shaped as
// render_json's (docs/json-result.md). Ends with a newline.
[[nodiscard]] std::string render_compare_json(const compare_result& r);

} // namespace wsp::proto
