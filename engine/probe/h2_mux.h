// Many WebSocket probes on one HTTP/2 connection: RFC 8441 extended CONNECT streams multiplexed
// (RFC 9113 §5) the way browsers share one connection among an origin's WebSockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/probe/check.h"
#include "engine/runtime/task.h"
#include "proto/check_result.h"
#include "proto/check_spec.h"

namespace wsp::probe {

// The probes of one multiplexed run, in the order they were asked for.
struct mux_outcome {
    std::vector<proto::check_result> results;
    // The HTTP/2 stream each probe ran on (odd, distinct); 0 when it never got one, e.g. because
    // the connection failed before any stream was opened.
    std::vector<std::int32_t> stream_ids;
};

// Runs `count` probes of `spec` concurrently on one connection: DNS, TCP and TLS once, one HTTP/2
// session (wss:// needs `env.tls` to offer h2 by ALPN; ws:// speaks h2c with prior knowledge,
// RFC 9113 §3.3, whatever spec.http2 says), then one extended CONNECT stream per probe, each
// doing the spec's app init, RTT exchange, steps and close handshake as run_check would.
//
// Every result carries the shared connection's dns/tcp/tls phases and facts; a failure there (or
// no h2 by ALPN, no SETTINGS, no ENABLE_CONNECT_PROTOCOL: there is no HTTP/1.1 fallback here)
// makes every probe down with the same code. After that a probe fails alone: a reset stream
// fails only its probe, a GOAWAY fails the streams it names. The peer's MAX_CONCURRENT_STREAMS is
// honoured by nghttp2, which holds the extra extended CONNECTs until streams close (that wait is
// part of their upgrade phase). No retries (spec.retries is ignored); thresholds are applied.
// `spec` must outlive the task. Never throws. Reactor thread only.
[[nodiscard]] rt::task<mux_outcome> run_multiplexed(probe_env env, const proto::check_spec* spec,
                                                    std::size_t count);

// As run_multiplexed, one probe per request target ("/chat?room=1") on spec's origin, e.g. to
// check many paths of one origin over one connection; the result's url names its target.
[[nodiscard]] rt::task<mux_outcome> run_multiplexed_targets(probe_env env, const proto::check_spec* spec,
                                                            std::vector<std::string> targets);

} // namespace wsp::probe
