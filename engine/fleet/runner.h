// `wsprobe run` and `wsprobe serve` on the engine: owned checks placed on reactors by id, spread
// over their intervals, run with their deadlines, never stacked; results as JSON lines and
// Prometheus metrics; an HTTP server for /metrics, /probe and the health endpoints.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/fleet/config.h"
#include "engine/fleet/line_writer.h"
#include "engine/fleet/metrics.h"
#include "engine/fleet/ssrf.h"
#include "engine/runtime/reactor.h"
#include "engine/runtime/socket.h"
#include "proto/check_result.h"
#include "tls/context.h"

namespace wsp::fleet {

// One check ready to run: the validated check and the client TLS context its wss:// runs use
// (null when it has none). Immutable once shared; unchanged checks keep theirs across reloads.
struct prepared_check {
    fleet_check check;
    std::shared_ptr<const tls::context> tls;
};
using check_ptr = std::shared_ptr<const prepared_check>;
// `/probe` modules by name (see probe_modules.h).
using prepared_modules = std::map<std::string, check_ptr, std::less<>>;

class webhook_sender;

struct runner_options {
    unsigned threads = 0; // 0: one reactor per core
    rt::reactor_config reactor{};
    bool ssrf_guard = true; // judge every address connected to with `ssrf`
    ssrf_policy ssrf;
    bool once = false;                              // run each installed check once, now, and never again
    line_writer* output = nullptr;                  // JSON lines; null for none. Outlives the runner
    webhook_sender* webhook = nullptr;              // state changes POSTed; null for none. Outlives the runner
    const rt::listener* http = nullptr;             // serve HTTP on every reactor; null for none
    // The `/probe` modules from the first request on (set_modules replaces them later); a server
    // that listens before it has them answers "Unknown module" to a prompt scraper.
    std::shared_ptr<const prepared_modules> modules;
    std::chrono::milliseconds shutdown_grace{5000}; // running checks may finish within this
    metrics_options metrics{};
};

class fleet_runner {
public:
    // Starts the reactors (and the HTTP server); no checks yet. SIGINT/SIGTERM are left to the
    // caller (block them before calling, so the reactor threads inherit the mask).
    [[nodiscard]] static wsp::expected<std::unique_ptr<fleet_runner>>
    start(const runner_options& opts, std::string* diagnostic = nullptr);
    fleet_runner(const fleet_runner&) = delete;
    fleet_runner& operator=(const fleet_runner&) = delete;
    ~fleet_runner(); // stop()

    // Makes `checks` (ids unique) the running set and returns once every reactor has adopted it.
    // A check equal (same_check) to a running one keeps its schedule, state and counters; a
    // changed one starts afresh; a removed one is dropped (a run in progress finishes and is
    // reported). Not thread-safe: call from one control thread.
    void install(std::vector<check_ptr> checks);
    // The modules `/probe` may use. Any thread.
    void set_modules(std::shared_ptr<const prepared_modules> modules);
    // Counts a configuration reload by result (wsprobe_config_reloads_total). Any thread.
    void count_reload(bool ok);

    // With `once`: waits until every installed check has finished its run; false on timeout.
    [[nodiscard]] bool wait_all_ran(std::chrono::milliseconds timeout);
    // The worst status of every result so far (down > degraded > up); empty before any.
    [[nodiscard]] std::optional<proto::check_status> worst_status() const;

    // The Prometheus exposition, as /metrics serves it. Any thread.
    [[nodiscard]] std::string render_metrics() const;

    // Stops scheduling, lets running checks finish within the grace period, stops the HTTP
    // server and joins the reactors. Idempotent.
    void stop();

    struct impl;

private:
    explicit fleet_runner(std::unique_ptr<impl> p) noexcept;
    std::unique_ptr<impl> impl_;
};

} // namespace wsp::fleet
