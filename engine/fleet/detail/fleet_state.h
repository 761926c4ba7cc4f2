// Internals of the fleet runner: the state every reactor shares (metrics, modules, --once
// bookkeeping) and one reactor's shard of the schedule.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/dns/client.h"
#include "engine/fleet/events.h"
#include "engine/fleet/http_server.h"
#include "engine/fleet/runner.h"
#include "engine/fleet/schedule.h"
#include "engine/probe/check.h"
#include "engine/runtime/cluster.h"
#include "engine/runtime/detail/timer_heap.h"
#include "http1/key.h"
#include "tls/session_cache.h"

namespace wsp::fleet::detail {

// What every reactor shares. Metrics and modules are guarded by `mu`; the rest is atomic.
struct fleet_shared {
    // The modules move out of `opts`, so a reload's set_modules frees the first ones.
    explicit fleet_shared(const runner_options& o)
        : opts(o), metrics(o.metrics), modules(std::move(opts.modules))
    {
    }

    runner_options opts;
    mutable std::mutex mu;
    fleet_metrics metrics;        // indexes: the order of the last install()
    std::uint64_t generation = 0; // bumped by every install(); a stale index is not recorded
    std::shared_ptr<const prepared_modules> modules;

    std::atomic<bool> ready{false};
    std::atomic<int> worst{-1};
    std::mutex once_mu;
    std::condition_variable once_cv;
    std::int64_t once_remaining = 0; // guarded by once_mu

    // Records a finished run under the lock, if `generation` is still current.
    void record(std::uint64_t gen, std::size_t index, const proto::check_result& r);
    void record_lateness(std::int64_t ns);
    void note_status(proto::check_status s) noexcept;
    void once_done();
};

// A timer on the reactor's heap that a coroutine waits on until a time, and that can be pulled
// in (ring) from the same thread: the wake happens at the next reap batch, never inline, so
// whoever rings (a finishing check, a message) is not re-entered.
class alarm : private rt::detail::timer_node {
public:
    explicit alarm(rt::reactor& r) noexcept : r_(&r) { fire_ = &alarm::on_fire; }
    alarm(const alarm&) = delete;
    alarm& operator=(const alarm&) = delete;
    ~alarm() { r_->timers().remove(*this); }

    struct awaiter {
        alarm* a;
        [[nodiscard]] bool await_ready() const noexcept { return a->rung_ || a->when_ns <= rt::mono_now(); }
        void await_suspend(std::coroutine_handle<> h)
        {
            a->waiter_ = h;
            a->r_->timers().insert(*a);
        }
        // False when the reactor cancelled every timer (shutdown).
        bool await_resume() noexcept
        {
            a->rung_ = false;
            return !a->cancelled_;
        }
    };
    [[nodiscard]] awaiter wait_until(std::int64_t at_ns) noexcept
    {
        when_ns = at_ns;
        return awaiter{this};
    }
    // Wakes the waiter no later than `at_ns` (now when 0).
    void pull_in(std::int64_t at_ns) noexcept;

private:
    static void on_fire(rt::detail::timer_node* self, bool cancelled) noexcept;
    rt::reactor* r_;
    std::coroutine_handle<> waiter_{};
    bool rung_ = false;
    bool cancelled_ = false;
};

struct shard;

// One slot of a shard: a scheduled check and its state.
struct slot_state {
    check_ptr check;
    slot_grid grid;
    state_tracker tracker;
    std::int64_t due_ns = 0;
    std::int64_t last_start_ns = 0;
    std::size_t metrics_index = 0;
    std::uint64_t generation = 0;
    bool running = false;
    bool retired = false; // removed or replaced while running: freed when the run ends
    bool live = false;
};

struct plan_entry {
    check_ptr check;
    std::size_t metrics_index = 0;
};

// A new set of checks for one shard, handed over by install().
struct plan_message : rt::message {
    explicit plan_message(shard* s) noexcept : message(&plan_message::deliver), owner(s) {}
    static void deliver(rt::message& m, rt::reactor& r, std::int32_t status) noexcept;
    shard* owner;
    std::vector<plan_entry> entries;
    std::uint64_t generation = 0;
    std::atomic<bool> applied{false};
};

struct stop_message : rt::message {
    explicit stop_message(shard* s) noexcept : message(&stop_message::deliver), owner(s) {}
    static void deliver(rt::message& m, rt::reactor& r, std::int32_t status) noexcept;
    shard* owner;
};

// One reactor's checks: slots, their due queue, and what runs need (resolver, entropy, TLS
// session cache, SSRF guard). Used on that reactor's thread only, apart from the messages.
struct shard {
    explicit shard(fleet_shared* s) : shared(s), plan(this), stop(this) {}
    shard(const shard&) = delete;
    shard& operator=(const shard&) = delete;

    fleet_shared* shared;
    rt::reactor* reactor = nullptr;
    std::unique_ptr<dns::client> dns;
    http1::openssl_entropy entropy;
    tls::session_cache tls_cache{256};
    probe::address_guard guard;
    due_queue queue;
    std::vector<slot_state> slots;
    std::vector<std::uint32_t> free_slots;
    std::unordered_map<std::string, std::uint32_t> by_id;
    std::unique_ptr<alarm> wake;
    std::unique_ptr<http_site> http;
    rt::scope runs;
    rt::scope aux;
    bool stopping = false;
    plan_message plan;
    stop_message stop;

    void apply(const plan_message& p);
    void retire(std::uint32_t s) noexcept;
    std::uint32_t allocate();
    void start_due(std::int64_t now_ns);
    void finished(std::uint32_t s, const prepared_check& c, const proto::check_result& r);
    [[nodiscard]] probe::probe_env env_for(const prepared_check& c) noexcept;
};

// The reactor's main task: resolver up, HTTP site up, the schedule loop, then a bounded wind-down.
rt::task<void> run_shard(shard* sh);

// The HTTP routes: /metrics, /probe, /-/healthy, /-/ready. `ctx` is the shard.
rt::task<http_reply> handle_http(void* ctx, http_request req);

} // namespace wsp::fleet::detail

namespace wsp::fleet::detail {

// The overall deadline of a `/probe` run: the module's, lowered to the scrape timeout Prometheus
// announces in X-Prometheus-Scrape-Timeout-Seconds minus half a second (the blackbox exporter's
// offset), so the answer arrives before Prometheus gives up. A header that is not a positive
// number is ignored. Never below 100 ms.
[[nodiscard]] std::chrono::milliseconds probe_budget(std::optional<std::string_view> header,
                                                     std::chrono::milliseconds module_overall) noexcept;

} // namespace wsp::fleet::detail
