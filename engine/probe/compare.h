// --compare-transports (issue #6): the same check over the HTTP/1.1 upgrade (RFC 6455 §4.1) and
// over HTTP/2 extended CONNECT (RFC 8441 §4), run concurrently, and one verdict on both.
#pragma once

#include "engine/probe/check.h"
#include "engine/runtime/task.h"
#include "proto/check_result.h"
#include "proto/check_spec.h"
#include "proto/compare_result.h"
#include "tls/context.h"
#include "tls/session_cache.h"

namespace wsp::probe {

// The HTTP/1.1 run's TLS (wss:// only): a client context whose ALPN offers only http/1.1
// (RFC 7301 §3.1), so the server cannot pick h2, and a session cache of its own, since a cache
// belongs to one context (tls/session_cache.h). Both outlive the compare; either may be null
// (no context: the wss:// HTTP/1.1 run is down, as run_check is without one).
struct http1_tls {
    const tls::context* context = nullptr;
    tls::session_cache* cache = nullptr;
};

// The HTTP/2 mode the h2 run uses: require for wss:// (ALPN h2, RFC 9113 §3.2) and
// prior_knowledge for ws:// (h2c, RFC 9113 §3.3), the only mode valid for each scheme.
[[nodiscard]] proto::http2_mode compare_h2_mode(const proto::check_spec& spec) noexcept;

// The verdict on both runs; pure, no clock, no allocation beyond the strings it builds.
// - One works (up or degraded) and the other is down: down, code transports_disagree, phase of
//   the failing run, sentence naming what works, what fails and who is affected.
// - h2 down because WebSocket over HTTP/2 is not offered (h2_not_negotiated: ALPN did not select
//   h2, or an h2c server answered the preface without SETTINGS; connect_protocol_not_enabled;
//   with prior_knowledge also h2_settings_timeout): clients then use HTTP/1.1 (RFC 8441 §3), so
//   HTTP/1.1's verdict, with a warning saying so; agreement h2_not_offered. An h2c server that
//   sent SETTINGS and then failed the WebSocket is a disagreement.
// - Both down: down with HTTP/1.1's phase, code and class, and both sentences.
// - Both work: the worse of the two (degraded wins), code ok.
// Warnings of each run are kept, prefixed "HTTP/1.1: " or "HTTP/2: ". `h2_mode` (require or
// prior_knowledge) picks who the sentence says is affected: browsers, or h2c clients.
[[nodiscard]] proto::compare_result combine_transports(proto::check_result http1, proto::check_result h2,
                                                       proto::http2_mode h2_mode);

// Runs `spec` (which must outlive the task) twice at once on env.reactor: with --http2 off over
// env with h1's TLS context and cache, and with compare_h2_mode(spec) over env as given (env.tls
// must offer ALPN h2 for wss://). Concurrent, so the compare takes as long as the slower run, not
// the sum (a down path that times out does not add its timeout to the other), and both see the
// server at the same moment. The price: both share the reactor's thread, so a phase's duration
// may include the other run's CPU work (its TLS handshake, for one). combined.total_ns is the
// wall time of both. Never throws; each run's failures are in its own result.
[[nodiscard]] rt::task<proto::compare_result> run_compare(probe_env env, const proto::check_spec* spec,
                                                          http1_tls h1);

} // namespace wsp::probe
