// The runner: a cluster of reactors, one shard each, checks placed by a hash of their id; plans
// handed over by message on install, and a bounded stop.
#include "engine/fleet/runner.h"

#include <thread>

#include "engine/fleet/detail/fleet_state.h"
#include "engine/fleet/hash.h"

namespace wsp::fleet {

using detail::shard;

struct fleet_runner::impl {
    explicit impl(const runner_options& o) : shared(o) {}
    detail::fleet_shared shared;
    std::vector<std::unique_ptr<shard>> shards;
    std::unique_ptr<rt::cluster> cluster;
    bool stopped = false;
};

fleet_runner::fleet_runner(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}

fleet_runner::~fleet_runner()
{
    stop();
}

wsp::expected<std::unique_ptr<fleet_runner>> fleet_runner::start(const runner_options& opts,
                                                                 std::string* diagnostic)
{
    auto p = std::make_unique<impl>(opts);
    rt::cluster_config cc;
    cc.threads = opts.threads;
    cc.reactor = opts.reactor;
    cc.handle_signals = false;
    cc.shutdown_grace = opts.shutdown_grace;
    auto c = rt::cluster::start(cc, diagnostic);
    if (!c) {
        return wsp::unexpected(c.error());
    }
    p->cluster = std::move(*c);
    for (std::size_t i = 0; i < p->cluster->size(); ++i) {
        p->shards.push_back(std::make_unique<shard>(&p->shared));
    }
    for (std::size_t i = 0; i < p->shards.size(); ++i) {
        auto ok = p->cluster->spawn(i, detail::run_shard(p->shards[i].get()));
        if (!ok) {
            if (diagnostic != nullptr) {
                *diagnostic =
                    "cannot start reactor " + std::to_string(i) + ": " + std::string(ok.error().describe());
            }
            p->cluster->join();
            return wsp::unexpected(ok.error());
        }
    }
    return std::unique_ptr<fleet_runner>(new fleet_runner(std::move(p)));
}

void fleet_runner::install(std::vector<check_ptr> checks)
{
    impl& im = *impl_;
    if (im.stopped) {
        return;
    }
    std::vector<fleet_check> for_metrics;
    for_metrics.reserve(checks.size());
    for (const auto& c : checks) {
        for_metrics.push_back(c->check);
    }
    std::uint64_t generation = 0;
    {
        std::lock_guard lk(im.shared.mu);
        im.shared.metrics.set_checks(for_metrics);
        generation = ++im.shared.generation;
    }
    if (im.shared.opts.once) {
        std::lock_guard lk(im.shared.once_mu);
        im.shared.once_remaining += static_cast<std::int64_t>(checks.size());
    }
    for (auto& sh : im.shards) {
        sh->plan.entries.clear();
        sh->plan.generation = generation;
        sh->plan.applied.store(false, std::memory_order_relaxed);
    }
    for (std::size_t i = 0; i < checks.size(); ++i) {
        const std::size_t at = im.cluster->place(stable_hash(checks[i]->check.id));
        im.shards[at]->plan.entries.push_back(detail::plan_entry{std::move(checks[i]), i});
    }
    for (std::size_t i = 0; i < im.shards.size(); ++i) {
        if (!im.cluster->post(i, im.shards[i]->plan)) {
            im.shards[i]->plan.applied.store(true, std::memory_order_release);
        }
    }
    // The plans must stay put until applied; applying is a short loop on each reactor.
    for (auto& sh : im.shards) {
        while (!sh->plan.applied.load(std::memory_order_acquire)) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    im.shared.ready.store(true, std::memory_order_release);
}

void fleet_runner::set_modules(std::shared_ptr<const prepared_modules> modules)
{
    std::lock_guard lk(impl_->shared.mu);
    impl_->shared.modules = std::move(modules);
}

void fleet_runner::count_reload(bool ok)
{
    std::lock_guard lk(impl_->shared.mu);
    auto& c = impl_->shared.metrics.counters();
    // Rendered as wsprobe_config_reloads_total{result="success"} and {result="failure"}.
    ++(ok ? c.config_reloads : c.config_reload_failures);
}

bool fleet_runner::wait_all_ran(std::chrono::milliseconds timeout)
{
    std::unique_lock lk(impl_->shared.once_mu);
    return impl_->shared.once_cv.wait_for(lk, timeout, [this] { return impl_->shared.once_remaining <= 0; });
}

std::optional<proto::check_status> fleet_runner::worst_status() const
{
    const int w = impl_->shared.worst.load(std::memory_order_relaxed);
    if (w < 0) {
        return std::nullopt;
    }
    return static_cast<proto::check_status>(w);
}

std::string fleet_runner::render_metrics() const
{
    std::string out;
    std::lock_guard lk(impl_->shared.mu);
    impl_->shared.metrics.render(out);
    return out;
}

void fleet_runner::stop()
{
    if (impl_ == nullptr || impl_->stopped) {
        return;
    }
    impl_->stopped = true;
    for (std::size_t i = 0; i < impl_->shards.size(); ++i) {
        (void)impl_->cluster->post(i, impl_->shards[i]->stop);
    }
    impl_->cluster->join();
}

} // namespace wsp::fleet
