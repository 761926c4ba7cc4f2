// The per-reactor schedule: slots on a due queue, one run at a time per check (a run still going
// when its next slot comes is not stacked: the slot is skipped and counted), lateness measured at
// every start, results and state changes handed to the metrics and the line writer.
#include <ctime>

#include "engine/fleet/detail/fleet_state.h"
#include "engine/fleet/webhook.h"

namespace wsp::fleet::detail {
namespace {

constexpr std::int64_t idle_wait_ns = 1'000'000'000;

std::int64_t unix_now() noexcept
{
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The SSRF guard as the probe's address_guard: ctx is the runner's policy.
std::string judge(const void* ctx, const sockaddr* addr, socklen_t len)
{
    const auto* policy = static_cast<const ssrf_policy*>(ctx);
    const auto ip = from_sockaddr(addr, len);
    if (!ip) {
        return "refused: not an IPv4 or IPv6 address (SSRF guard)";
    }
    ssrf_decision d = judge_address(*policy, *ip);
    return d.allowed ? std::string{} : std::move(d.sentence);
}

rt::task<void> run_one(shard* sh, std::uint32_t s, check_ptr c)
{
    const proto::check_result r = co_await probe::run_check(sh->env_for(*c), &c->check.spec);
    sh->finished(s, *c, r);
}

} // namespace

void fleet_shared::record(std::uint64_t gen, std::size_t index, const proto::check_result& r)
{
    std::lock_guard lk(mu);
    auto& c = metrics.counters();
    ++c.checks_completed;
    if (r.code == "address_blocked") {
        ++c.ssrf_refused;
    }
    if (gen == generation) {
        metrics.record(index, r);
    }
}

void fleet_shared::record_lateness(std::int64_t ns)
{
    std::lock_guard lk(mu);
    ++metrics.counters().checks_started;
    metrics.record_lateness(ns);
}

void fleet_shared::note_status(proto::check_status s) noexcept
{
    const int v = static_cast<int>(s);
    int cur = worst.load(std::memory_order_relaxed);
    while (v > cur && !worst.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
    }
}

void fleet_shared::once_done()
{
    std::lock_guard lk(once_mu);
    if (--once_remaining <= 0) {
        once_cv.notify_all();
    }
}

void alarm::pull_in(std::int64_t at_ns) noexcept
{
    if (!waiter_) {
        rung_ = rung_ || at_ns == 0;
        return;
    }
    if (at_ns >= when_ns) {
        return;
    }
    r_->timers().remove(*this);
    when_ns = at_ns;
    r_->timers().insert(*this);
}

void alarm::on_fire(rt::detail::timer_node* self, bool cancelled) noexcept
{
    auto* a = static_cast<alarm*>(self);
    a->cancelled_ = a->cancelled_ || cancelled;
    if (auto h = std::exchange(a->waiter_, {})) {
        h.resume();
    }
}

void plan_message::deliver(rt::message& m, rt::reactor& r, std::int32_t status) noexcept
{
    auto& p = static_cast<plan_message&>(m);
    if (status >= 0) {
        p.owner->reactor = &r;
        p.owner->apply(p);
    }
    p.applied.store(true, std::memory_order_release);
}

void stop_message::deliver(rt::message& m, rt::reactor& /*r*/, std::int32_t status) noexcept
{
    shard* sh = static_cast<stop_message&>(m).owner;
    if (status < 0) {
        return; // the cluster's own drain cancels the timers after its grace period
    }
    sh->stopping = true;
    if (sh->wake) {
        sh->wake->pull_in(0);
    }
}

std::uint32_t shard::allocate()
{
    if (!free_slots.empty()) {
        const std::uint32_t s = free_slots.back();
        free_slots.pop_back();
        return s;
    }
    slots.emplace_back();
    queue.reserve(slots.size());
    return static_cast<std::uint32_t>(slots.size() - 1);
}

void shard::retire(std::uint32_t s) noexcept
{
    slot_state& st = slots[s];
    if (st.running) {
        st.retired = true;
        return;
    }
    (void)queue.cancel(s);
    st = slot_state{};
    free_slots.push_back(s);
}

void shard::apply(const plan_message& p)
{
    const std::int64_t now = rt::mono_now();
    const bool once = shared->opts.once;
    std::unordered_map<std::string, std::uint32_t> next;
    next.reserve(p.entries.size());
    for (const plan_entry& e : p.entries) {
        const fleet_check& fc = e.check->check;
        auto it = by_id.find(fc.id);
        if (it != by_id.end() && same_check(slots[it->second].check->check, fc)) {
            slot_state& st = slots[it->second];
            st.metrics_index = e.metrics_index;
            st.generation = p.generation;
            next.emplace(fc.id, it->second);
            by_id.erase(it);
            continue;
        }
        if (it != by_id.end()) {
            retire(it->second);
            by_id.erase(it);
        }
        const std::uint32_t s = allocate();
        slot_state& st = slots[s];
        st.check = e.check;
        st.grid = grid_for(fc.id, fc.interval);
        st.metrics_index = e.metrics_index;
        st.generation = p.generation;
        st.live = true;
        st.due_ns = once ? now : first_due(st.grid, now);
        queue.schedule(s, st.due_ns);
        next.emplace(fc.id, s);
    }
    for (const auto& [id, s] : by_id) {
        retire(s);
    }
    by_id = std::move(next);
    if (wake) {
        wake->pull_in(0);
    }
}

probe::probe_env shard::env_for(const prepared_check& c) noexcept
{
    return probe::probe_env{reactor, dns.get(), &entropy, false, c.tls.get(), &tls_cache, guard};
}

void shard::start_due(std::int64_t now_ns)
{
    while (!stopping) {
        const auto e = queue.pop_due(now_ns);
        if (!e) {
            return;
        }
        slot_state& st = slots[e->id];
        st.running = true;
        st.last_start_ns = rt::mono_now();
        shared->record_lateness(lateness_ns(st.last_start_ns, e->due_ns));
        runs.spawn(run_one(this, e->id, st.check));
    }
}

void shard::finished(std::uint32_t s, const prepared_check& c, const proto::check_result& r)
{
    slot_state& st = slots[s];
    st.running = false;
    const std::int64_t unix_ns = unix_now();
    shared->record(st.generation, st.metrics_index, r);
    shared->note_status(r.status);
    line_writer* out = shared->opts.output;
    if (out != nullptr) {
        (void)out->push(render_result_event(c.check, r, unix_ns));
    }
    if (!st.retired) {
        if (auto change = st.tracker.observe(r.status, unix_ns); change) {
            webhook_sender* hook = shared->opts.webhook;
            if (out != nullptr || hook != nullptr) {
                std::string event = render_state_change_event(c.check, *change, r);
                if (hook != nullptr) {
                    (void)hook->enqueue(event);
                }
                if (out != nullptr) {
                    (void)out->push(std::move(event));
                }
            }
        }
    }
    if (shared->opts.once) {
        shared->once_done();
    }
    if (st.retired) {
        retire(s);
        return;
    }
    if (shared->opts.once || stopping) {
        return;
    }
    const std::int64_t now = rt::mono_now();
    const next_run n = next_due(st.grid, st.last_start_ns, now);
    if (n.skipped != 0) {
        std::lock_guard lk(shared->mu);
        shared->metrics.counters().slots_skipped += n.skipped;
    }
    st.due_ns = n.due_ns;
    queue.schedule(s, n.due_ns);
    if (wake) {
        wake->pull_in(n.due_ns);
    }
}

rt::task<void> run_shard(shard* sh)
{
    rt::reactor& r = *rt::reactor::current();
    sh->reactor = &r;
    sh->wake = std::make_unique<alarm>(r);
    if (sh->shared->opts.ssrf_guard) {
        sh->guard = probe::address_guard{&judge, &sh->shared->opts.ssrf};
    }
    auto dns = dns::client::create(r, dns::resolver_options{});
    if (dns) {
        sh->dns = std::move(*dns);
    }
    if (sh->shared->opts.http != nullptr) {
        sh->http = std::make_unique<http_site>(*sh->shared->opts.http, http_handler{&handle_http, sh});
        sh->aux.spawn(sh->http->run(&r));
    }
    while (!sh->stopping) {
        sh->start_due(rt::mono_now());
        const auto top = sh->queue.top();
        const std::int64_t idle = rt::mono_now() + idle_wait_ns;
        const std::int64_t until = top && top->due_ns < idle ? top->due_ns : idle;
        const bool live = co_await sh->wake->wait_until(until);
        if (!live) {
            break;
        }
    }
    sh->stopping = true;
    if (sh->http) {
        co_await sh->http->stop();
    }
    co_await sh->runs.join();
    co_await sh->aux.join();
    if (sh->dns) {
        co_await sh->dns->close();
    }
    // What holds the reactor goes with it, on its own thread.
    sh->http.reset();
    sh->dns.reset();
    sh->wake.reset();
}

} // namespace wsp::fleet::detail
