// Renders `wsprobe check --h2-streams N`: N probes run as N extended CONNECT streams (RFC 8441
// §4) multiplexed on one HTTP/2 connection (RFC 9113 §5): the shared connection's phases once, a
// row per stream, and one verdict for all, for people; one JSON object for machines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "proto/check_result.h"
#include "proto/render.h"

namespace wsp::proto {

// The verdict on all streams: the worst status; `worst` is the first result with it (its phase,
// code and sentence speak for the run).
struct streams_summary {
    check_status status = check_status::down;
    std::size_t worst = 0;
    std::size_t up = 0;
    std::size_t degraded = 0;
    std::size_t down = 0;
};

[[nodiscard]] streams_summary summarize_streams(std::span<const check_result> results) noexcept;

// `stream_ids[i]` is the HTTP/2 stream results[i] ran on, 0 when it never got one (the shared
// connection failed first). Both spans have the same, non-zero size. Ends with a newline.
[[nodiscard]] std::string render_streams_text(std::span<const check_result> results,
                                              std::span<const std::int32_t> stream_ids,
                                              text_style style = {});

// One line: url, status, failed_phase, code, class, message, failed_stream (the stream id of the
// worst result, null when none failed or it had no stream), warnings (each text once, prefixed
// with the streams that had it: "streams 1, 3: ..."), total_ms (the
// longest stream), streams_requested/up/degraded/down, and "streams": [{"stream_id": N,
// "result": <render_json's object>}] in the order asked. Ends with a newline.
[[nodiscard]] std::string render_streams_json(std::span<const check_result> results,
                                              std::span<const std::int32_t> stream_ids);

} // namespace wsp::proto
