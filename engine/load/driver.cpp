// run_load: sizes the cluster of reactors for the connections (direct-descriptor tables are
// capped by RLIMIT_NOFILE), runs one load (or the steps of an --slo capacity search), and merges
// what the reactors publish into the timeline and the report.
#include "engine/load/driver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "engine/load/detail/shard.h"
#include "engine/load/errc.h"
#include "engine/probe/check.h"
#include "engine/runtime/cluster.h"

namespace wsp::load {
namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;
// Slots of a ring's descriptor table kept free of held connections (transient sockets).
constexpr unsigned table_reserve = 64;
constexpr double slo_growth = 1.5;
constexpr double slo_first_rate = 100;
constexpr unsigned slo_max_steps = 30;

wsp::unexpected<wsp::error> refuse(std::string* why, std::string sentence)
{
    if (why != nullptr) {
        *why = std::move(sentence);
    }
    return wsp::unexpected(wsp::error(errc::bad_config));
}

unsigned descriptor_limit()
{
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) {
        return 1024;
    }
    return static_cast<unsigned>(std::min<rlim_t>(rl.rlim_cur, 1U << 20));
}

// Reactors: the threads asked for (or one per core), and more when one ring's direct-descriptor
// table cannot hold its share of the connections. Several rings per core are fine for mostly
// idle connections.
std::size_t reactors_for(const load_options& o, std::uint64_t connections, unsigned table)
{
    const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
    const std::uint64_t threads = o.threads != 0 ? o.threads : cores;
    const std::uint64_t usable = table > table_reserve * 2 ? table - table_reserve : table;
    const std::uint64_t by_table = (connections + usable - 1) / std::max<std::uint64_t>(1, usable);
    return static_cast<std::size_t>(std::max<std::uint64_t>({threads, by_table, 1}));
}

// The source address as --source takes it: the IP without the port.
std::string ip_text(const rt::address& a)
{
    std::string s = a.to_string();
    const auto colon = s.rfind(':');
    s = s.substr(0, colon);
    if (s.size() >= 2 && s.front() == '[' && s.back() == ']') {
        s = s.substr(1, s.size() - 2);
    }
    return s;
}

// "127.0.0.2-127.0.0.60" for an ascending IPv4 range, else the addresses joined by commas.
std::string sources_text(const std::vector<rt::address>& sources)
{
    std::string joined;
    bool range = sources.size() > 1;
    for (std::size_t i = 0; i < sources.size(); ++i) {
        joined += (i == 0 ? "" : ",") + ip_text(sources[i]);
        if (i > 0) {
            const auto* prev = reinterpret_cast<const sockaddr_in*>(sources[i - 1].data());
            const auto* cur = reinterpret_cast<const sockaddr_in*>(sources[i].data());
            range = range && sources[i].family() == AF_INET && sources[i - 1].family() == AF_INET &&
                    ntohl(cur->sin_addr.s_addr) == ntohl(prev->sin_addr.s_addr) + 1;
        }
    }
    return range ? ip_text(sources.front()) + "-" + ip_text(sources.back()) : joined;
}

std::string_view http2_text(proto::http2_mode m)
{
    switch (m) {
    case proto::http2_mode::off:
        return "off";
    case proto::http2_mode::prefer:
        return "prefer";
    case proto::http2_mode::require:
        return "require";
    case proto::http2_mode::prior_knowledge:
        return "prior-knowledge";
    }
    return "off";
}

run_config config_of(const load_options& o, std::size_t reactors)
{
    run_config c;
    c.url = o.spec.url.text();
    c.connections = o.connections;
    c.rate = o.rate;
    c.ramp_s = o.ramp_s;
    c.duration_s = o.duration_s;
    c.hold_s = o.hold_s.value_or(0.0); // docs/json-load.md: 0 is "to the end of the run"
    c.ping_interval_s = o.ping_interval_s;
    c.message_rate = o.message_rate;
    c.threads = static_cast<unsigned>(reactors);
    c.source = sources_text(o.sources);
    c.http2 = std::string(http2_text(o.spec.http2));
    c.slo = o.slo ? o.slo->text : std::string{};
    return c;
}

struct one_run {
    load_stats stats;
    std::vector<sample> timeline;
    std::optional<idle_survival> idle;
    double elapsed_s = 0;
    bool interrupted = false;
    std::size_t reactors = 1;
};

// Takes every second all reactors have reported (or, with `all`, every second reported at all)
// into the timeline, calling progress for each.
void drain_seconds(detail::run_state& run, std::vector<sample>& timeline, std::uint64_t* errors, bool all,
                   const progress_fn& progress)
{
    std::vector<sample> ready;
    {
        std::lock_guard lk(run.mu);
        while (!run.seconds.empty()) {
            auto it = run.seconds.begin();
            if (!all && it->second.second < run.reactors) {
                break;
            }
            ready.push_back(it->second.first.to_sample(static_cast<double>(it->first + 1)));
            run.seconds.erase(it);
        }
    }
    for (auto& s : ready) {
        *errors += s.failed + s.dropped;
        timeline.push_back(s);
        if (progress) {
            progress(s, *errors);
        }
    }
}

idle_survival idle_of(const detail::run_state& run)
{
    idle_survival idle;
    idle.held = run.held;
    idle.cut = run.idle_cuts.count();
    idle.first_cut_after_ns = run.idle_cuts.min();
    idle.median_cut_after_ns = run.idle_cuts.percentile(50);
    return idle;
}

wsp::expected<one_run> run_once(const load_options& o, std::uint64_t connections, double rate,
                                double duration_s, const tls::context* tls, const progress_fn& progress,
                                std::string* why)
{
    detail::run_state run;
    run.opts = &o;
    run.tls = tls;
    run.connections = connections;
    run.schedule = detail::arrival_schedule{rate, o.ramp_s};
    if (o.sources.empty()) {
        run.specs.push_back(o.spec);
    } else {
        for (const auto& src : o.sources) {
            run.specs.push_back(o.spec);
            run.specs.back().source_address = ip_text(src);
        }
    }
    const unsigned table = descriptor_limit();
    run.reactors = reactors_for(o, connections, table);

    rt::cluster_config cc;
    cc.threads = static_cast<unsigned>(run.reactors);
    cc.handle_signals = true;
    cc.shutdown_grace = std::chrono::milliseconds(0);
    cc.reactor.fd_table_size = table;
    // Receive buffers are taken only while bytes are being decoded: a small ring per reactor
    // keeps the resident set low when hundreds of thousands of connections sit idle.
    cc.reactor.buffer_count = 256;
    std::string diag;
    auto started = rt::cluster::start(cc, &diag);
    if (!started) {
        return refuse(why, "cannot start " + std::to_string(run.reactors) + " io_uring reactors: " +
                               (diag.empty() ? std::string(started.error().describe()) : diag));
    }
    rt::cluster& cl = **started;
    run.start_ns = rt::mono_now() + 20'000'000; // every reactor has its first arrival ahead of it
    run.arrivals_end_ns = run.start_ns + static_cast<std::int64_t>(duration_s * 1e9);
    run.end_ns = run.arrivals_end_ns;
    for (std::size_t i = 0; i < run.reactors; ++i) {
        if (auto ok = cl.spawn(i, detail::run_shard(&run, i)); !ok) {
            cl.join();
            return refuse(why, "cannot place the load on reactor " + std::to_string(i));
        }
    }
    one_run out;
    out.reactors = run.reactors;
    std::uint64_t errors = 0;
    for (;;) {
        {
            std::unique_lock lk(run.mu);
            run.cv.wait_for(lk, std::chrono::milliseconds(100));
            if (run.finished == run.reactors) {
                break;
            }
        }
        drain_seconds(run, out.timeline, &errors, false, progress);
        if (cl.stop_requested()) {
            break;
        }
    }
    // Asked here, not only in the loop: after SIGINT the reactors cancel everything and finish at
    // once, so the loop can end on `finished` without having seen the stop (the run then reported
    // "not interrupted" and exited 0). Only a signal requests the stop before join() does.
    out.interrupted = cl.stop_requested();
    cl.join();
    drain_seconds(run, out.timeline, &errors, true, progress);
    out.elapsed_s = static_cast<double>(rt::mono_now() - run.start_ns) / 1e9;
    if (!out.timeline.empty() && out.timeline.back().t_s > out.elapsed_s) {
        out.timeline.back().t_s = out.elapsed_s; // the last second was a partial one
    }
    out.stats = std::move(run.stats);
    if (o.ping_interval_s <= 0 && o.message_rate <= 0) {
        out.idle = idle_of(run);
    }
    if (run.merge_failed) {
        return refuse(why, "the reactors' histograms could not be merged (precision mismatch)");
    }
    return out;
}

// --slo: one step per rate (x1.5 each, from --rate or 100/s), each a fresh measurement window of
// slo_step_s; stops when the SLO breaks, more than 1% of the step's connections fail, or a step
// would need more than -c connections.
wsp::expected<run_report> capacity_search(const load_options& o, const tls::context* tls,
                                          const progress_fn& progress, std::string* why)
{
    run_report rep;
    slo_result slo;
    slo.slo = o.slo->text;
    double rate = o.rate > 0 ? o.rate : slo_first_rate;
    double elapsed = 0;
    for (unsigned step = 0; step < slo_max_steps; ++step) {
        // -c bounds the search: a step needing more connections than that is not run.
        auto n = static_cast<std::uint64_t>(std::ceil(rate * o.slo_step_s));
        if (step > 0 && n > o.connections) {
            break;
        }
        n = std::max<std::uint64_t>(1, std::min(n, o.connections));
        auto r = run_once(o, n, rate, o.slo_step_s, tls, progress, why);
        if (!r) {
            return wsp::unexpected(r.error());
        }
        slo_step s;
        s.rate = rate;
        s.measured_ns = r->stats.of(o.slo->what).percentile(o.slo->percentile);
        s.failed = r->stats.counts.failed;
        const bool too_many_failures = r->stats.counts.failed * 100 > r->stats.counts.attempted;
        s.held =
            r->stats.of(o.slo->what).count() > 0 && s.measured_ns < o.slo->below_ns && !too_many_failures;
        slo.steps.push_back(s);
        for (auto smp : r->timeline) {
            smp.t_s += elapsed;
            rep.timeline.push_back(smp);
        }
        elapsed += r->elapsed_s;
        if (auto m = rep.stats.merge(r->stats); !m) {
            return wsp::unexpected(m.error());
        }
        rep.config = config_of(o, r->reactors);
        if (r->interrupted) {
            rep.interrupted = true;
            break;
        }
        if (!s.held) {
            break;
        }
        slo.highest_rate_held = rate;
        rate *= slo_growth;
    }
    rep.slo = std::move(slo);
    rep.elapsed_s = elapsed;
    return rep;
}

} // namespace

wsp::expected<run_report> run_load(const load_options& o, const progress_fn& progress, std::string* why)
{
    if (o.connections == 0 && !o.slo) {
        return refuse(why, "-c must be at least 1");
    }
    if (!(o.duration_s > 0) || !std::isfinite(o.duration_s)) {
        return refuse(why, "--duration must be a positive time");
    }
    if (o.rate < 0 || o.ramp_s < 0 || o.ping_interval_s < 0 || o.message_rate < 0 || !std::isfinite(o.rate)) {
        return refuse(why, "--rate, --ramp, --ping-interval and --message-rate cannot be negative");
    }
    if (o.slo && !(o.slo_step_s > 0)) {
        return refuse(why, "--slo-step must be a positive time");
    }
    if (o.ping_interval_s > 0 && o.ping_interval_s < 0.001) {
        return refuse(why, "--ping-interval below 1 ms would flood the server");
    }
    std::optional<tls::context> own_tls;
    const tls::context* tls = o.tls;
    if (o.spec.url.secure && tls == nullptr) {
        auto made = wsp::probe::client_tls_context(o.spec.tls, o.spec.tls.offer_h2);
        if (!made) {
            return refuse(why,
                          "cannot build the TLS client context: " + std::string(made.error().describe()));
        }
        own_tls.emplace(std::move(*made));
        tls = &*own_tls;
    }
    if (o.slo) {
        return capacity_search(o, tls, progress, why);
    }
    auto r = run_once(o, o.connections, o.rate, o.duration_s, tls, progress, why);
    if (!r) {
        return wsp::unexpected(r.error());
    }
    run_report rep;
    rep.config = config_of(o, r->reactors);
    rep.stats = std::move(r->stats);
    rep.timeline = std::move(r->timeline);
    rep.idle = r->idle;
    rep.elapsed_s = r->elapsed_s;
    rep.interrupted = r->interrupted;
    return rep;
}

} // namespace wsp::load
