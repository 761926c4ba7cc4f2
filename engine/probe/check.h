// The check coroutine: resolve, connect, upgrade, optional RTT exchange, close — each phase
// stamped with the reap time of the completion that ends it, judged on its own, and explained.
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>

#include "engine/dns/client.h"
#include "engine/runtime/reactor.h"
#include "engine/runtime/task.h"
#include "http1/key.h"
#include "tls/context.h"
#include "tls/session_cache.h"
#include "proto/check_result.h"
#include "proto/check_spec.h"

namespace wsp::probe {

// Decides whether the probe may connect to an address it resolved (the fleet's SSRF guard). It
// sees the address actually connected to, so DNS rebinding cannot slip past it. Returns an empty
// string to allow, or the sentence explaining the refusal.
struct address_guard {
    std::string (*judge)(const void* ctx, const sockaddr* addr, socklen_t len) = nullptr;
    const void* ctx = nullptr;
};

// What a check runs on. All pointers outlive the check; everything is used on the reactor's
// thread only.
struct probe_env {
    rt::reactor* reactor = nullptr;
    dns::client* dns = nullptr;          // may be null when every URL host is a literal
    http1::entropy_source* entropy = nullptr; // Sec-WebSocket-Key nonces and mask keys
    bool transcript = false;             // record request/response heads (secrets redacted)
    const tls::context* tls = nullptr;   // client context for wss:// (null: wss checks fail)
    tls::session_cache* tls_cache = nullptr; // used when the spec asks for --tls-resume
    address_guard guard;                 // optional; refused addresses fail the tcp phase
};

// The client TLS context for checks with these options (CA file, --insecure, client certificate,
// TLS 1.3 minimum). ALPN offers h2 then http/1.1 when `offer_h2`, else http/1.1 alone: the
// --http2 prefer fallback's new connection must not be offered h2 again. `ciphersuites` pins TLS
// 1.3 suites (benchmarks). On failure `*why` (when given) gets the builder's sentence.
[[nodiscard]] wsp::expected<tls::context> client_tls_context(const proto::tls_options& t, bool offer_h2,
                                                             std::string_view ciphersuites = {},
                                                             std::string* why = nullptr);

// Runs `spec` (which must outlive the task) with its retries and returns the verdict. Never
// throws; every failure becomes a down result with phase, code, class and sentence.
[[nodiscard]] rt::task<proto::check_result> run_check(probe_env env, const proto::check_spec* spec);

} // namespace wsp::probe
