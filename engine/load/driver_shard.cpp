// One reactor's share of a load run: open-loop arrivals from its own timer heap, every
// connection opened and validated by probe::open_ws, then held (RFC 6455 §5.5.2 pings, data
// messages with echo latency) until the run ends, and closed with the close handshake (§7).
#include <malloc.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <coroutine>
#include <deque>
#include <memory>

#include "engine/dns/client.h"
#include "engine/load/detail/shard.h"
#include "engine/probe/session.h"
#include "engine/runtime/errc.h"
#include "engine/runtime/ops.h"
#include "engine/runtime/reactor.h"
#include "http1/key.h"

namespace wsp::load::detail {

std::int64_t arrival_schedule::offset_ns(std::uint64_t k) const noexcept
{
    if (rate <= 0) {
        return 0;
    }
    const double n = static_cast<double>(k);
    double t = 0;
    // Arrivals are the inverse of the cumulative count: R t^2 / (2 ramp) during the ramp, then R t.
    const double ramp_count = rate * ramp_s / 2;
    if (ramp_s > 0 && n < ramp_count) {
        t = std::sqrt(2 * ramp_s * n / rate);
    } else {
        t = (ramp_s > 0 ? ramp_s : 0) + (n - (ramp_s > 0 ? ramp_count : 0)) / rate;
    }
    return static_cast<std::int64_t>(t * 1e9);
}

void second_part::add(const second_part& o)
{
    started += o.started;
    succeeded += o.succeeded;
    failed += o.failed;
    dropped += o.dropped;
    messages += o.messages;
    open += o.open;
    (void)upgrade.merge(o.upgrade);
    (void)established.merge(o.established);
    (void)rtt.merge(o.rtt);
}

void second_part::clear() noexcept
{
    const std::int64_t keep_open = open;
    started = succeeded = failed = dropped = messages = 0;
    open = keep_open;
    upgrade.reset();
    established.reset();
    rtt.reset();
}

sample second_part::to_sample(double t_s) const
{
    sample s;
    s.t_s = t_s;
    s.open = static_cast<std::uint64_t>(std::max<std::int64_t>(0, open));
    s.started = started;
    s.succeeded = succeeded;
    s.failed = failed;
    s.dropped = dropped;
    s.messages = messages;
    s.upgrade_p50_ns = upgrade.percentile(50);
    s.upgrade_p99_ns = upgrade.percentile(99);
    s.established_p50_ns = established.percentile(50);
    s.established_p99_ns = established.percentile(99);
    s.rtt_p50_ns = rtt.percentile(50);
    s.rtt_p99_ns = rtt.percentile(99);
    return s;
}

namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;
constexpr std::int64_t late_start_ns = 1'000'000; // an arrival later than this is counted late
constexpr std::int64_t send_bound_ns = 5'000'000'000;
// Handshakes in flight per reactor. Each holds about 60 KB (request/response buffers, the byte
// pipe, the phase frames) until it is established, so "as fast as the engine goes" (--rate 0)
// is a pipeline of this depth rather than every connection at once; arrivals that wait for a
// slot count that wait in `established` (open loop).
constexpr std::uint32_t max_opening = 256;
// Close handshakes in flight per reactor. At the end of a run every held connection is due at
// once; each close takes its frames, a decoder and buffers (about 1.7 KB) until the server's
// answer, so 200,000 closing together would add ~0.35 GB at the very end. Those past this many
// wait their turn (in act()'s frame, ~0.4 KB). The server gets --close-timeout from our close
// frame, not from when the close was due: a server that answers every close, only not all
// 200,000 within 2 s of the end, closes cleanly; one that never answers costs --close-timeout
// per max_closing connections of a reactor at the end of the run.
constexpr std::uint32_t max_closing = 1024;
// After a clean close handshake, how long a close slot waits for the server's TCP close (RFC 6455
// §7.1.1: the server closes first) before resetting: a server that leaves that to the client
// would otherwise hold each slot for the whole --close-timeout.
constexpr std::int64_t fin_wait_ns = 100'000'000;

// Per-reactor state; lives in run_shard's frame, used on the reactor's thread only.
struct shard {
    run_state* run = nullptr;
    probe::probe_env env;
    load_stats stats;
    second_part now; // the second being accumulated
    std::int64_t second = 0;
    histogram idle_cuts{3};
    std::uint64_t held = 0;
    bool idle_mode = false; // no pings and no messages: drops are idle cuts
    std::string message;    // what --message-rate sends: --payload, or the preset's RTT request
    bool message_binary = false;
    std::int64_t ping_every = 0;                       // ns between pings, 0: none
    std::int64_t message_every = 0;                    // ns between messages, 0: none
    std::int64_t close_bound_ns = 0;                   // --close-timeout: our close to theirs
    rt::scope* conns = nullptr;                        // where connections run (opening, then holding)
    std::uint32_t opening = 0;                         // handshakes in flight
    std::coroutine_handle<> slot_waiter{};             // the arrival loop, waiting for a handshake slot
    std::uint32_t closing = 0;                         // close handshakes in flight
    std::deque<std::coroutine_handle<>> close_waiters; // connections waiting for a close slot
    bool handing_out = false;                          // release_closing_slot is resuming waiters
    bool arrivals_done = false;
    bool done = false; // every connection finished; the ticker publishes the last second

    // Moves the accumulated second into the run's timeline.
    void publish()
    {
        {
            std::lock_guard lk(run->mu);
            auto& slot = run->seconds[second];
            slot.first.add(now);
            ++slot.second;
        }
        run->cv.notify_all();
        now.clear();
        ++second;
    }
};

void record_phases(shard& sh, const proto::check_result& res)
{
    using proto::phase;
    const auto dns = res.duration(phase::dns);
    const auto tcp = res.duration(phase::tcp);
    if (tcp) {
        sh.stats.of(metric::connect).record(*tcp + dns.value_or(0));
    }
    if (const auto tls = res.duration(phase::tls)) {
        sh.stats.of(metric::tls).record(*tls);
    }
    if (const auto up = res.duration(phase::upgrade); up && !res.failed_phase) {
        sh.stats.of(metric::upgrade).record(*up);
        sh.now.upgrade.record(*up);
    }
}

// Opens one connection; its check_result lives only in this frame, not in the held one.
rt::task<std::unique_ptr<probe::ws_connection>> open_one(shard* sh, const proto::check_spec* spec,
                                                         std::int64_t scheduled_ns)
{
    proto::check_result res;
    std::unique_ptr<probe::ws_connection> conn = co_await probe::open_ws(sh->env, spec, &res);
    const std::int64_t done_ns = rt::mono_now();
    record_phases(*sh, res);
    if (!conn) {
        // Interrupted (SIGINT, or a stop): the handshake was cut by us, not failed by the server
        // (its sentence would blame the peer: "reset during the upgrade (operation cancelled)").
        // It stays attempted and not finished: in_progress.
        if (rt::reactor::current()->root_scope().stop_requested()) {
            co_return nullptr;
        }
        const proto::phase p = res.failed_phase.value_or(proto::phase::tcp);
        sh->stats.add_failure(p, res.code, res.sentence);
        ++sh->now.failed;
        co_return nullptr;
    }
    ++sh->stats.counts.succeeded;
    ++sh->now.succeeded;
    ++sh->now.open;
    sh->stats.of(metric::established).record(done_ns - scheduled_ns);
    sh->now.established.record(done_ns - scheduled_ns);
    if (res.rtt_ns) {
        sh->stats.of(metric::rtt).record(*res.rtt_ns);
        sh->now.rtt.record(*res.rtt_ns);
    }
    co_return conn;
}

void record_rtt(shard& sh, std::int64_t ns)
{
    sh.stats.of(metric::rtt).record(ns);
    sh.now.rtt.record(ns);
}

// Send times of echo messages still unanswered (echo servers answer in order).
struct pending_echoes {
    std::array<std::int64_t, 2> at{}; // two in flight; more would grow every idle connection
    std::uint8_t head = 0;
    std::uint8_t count = 0;
    void push(std::int64_t t) noexcept
    {
        if (count == at.size()) { // the oldest is given up: its echo is counted, not timed
            head = static_cast<std::uint8_t>((head + 1) % at.size());
            --count;
        }
        at[(head + count) % at.size()] = t;
        ++count;
    }
    [[nodiscard]] std::int64_t pop() noexcept
    {
        if (count == 0) {
            return 0;
        }
        const std::int64_t t = at[head];
        head = static_cast<std::uint8_t>((head + 1) % at.size());
        --count;
        return t;
    }
};

std::int64_t period_ns(double per_s)
{
    return per_s > 0 ? std::max<std::int64_t>(1, static_cast<std::int64_t>(1e9 / per_s)) : 0;
}

// How a held connection's hold ended: still held when its time came (we close it), dropped by the
// server or the network, or cut by an interrupt (SIGINT: its receive was cancelled).
enum class hold_end : std::uint8_t { held = 0, dropped = 1, interrupted = 2 };

// What a held connection has to do next, in the coroutine frame of hold().
struct hold_state {
    std::int64_t established_ns = 0;
    std::int64_t stop_ns = 0;      // close it here (end of run or of --hold)
    std::int64_t next_ping = 0;    // never() when not pinging
    std::int64_t next_message = 0; // never() when not sending messages
    std::int64_t ping_sent_ns = 0; // the unanswered ping's send time, 0 if none
    // The tail padding of echoes holds `end` (64 bytes in all, so hold()'s frame fits 256).
    [[no_unique_address]] pending_echoes echoes;
    hold_end end = hold_end::held;

    [[nodiscard]] rt::deadline due() const noexcept
    {
        return rt::deadline{std::min({stop_ns, next_ping, next_message})};
    }
};

enum class next_step : std::uint8_t { wait = 0, answer_ping = 1, send = 2, stop = 3 };

// Accounts for one event of a held connection (no I/O) and says what to do about it.
next_step on_event(shard& sh, hold_state& st, const probe::held_event& ev)
{
    using probe::held_event_kind;
    switch (ev.kind) {
    case held_event_kind::need_input:
        return next_step::wait;
    case held_event_kind::ping:
        return next_step::answer_ping;
    case held_event_kind::message:
        ++sh.stats.counts.messages_received;
        ++sh.now.messages;
        if (const std::int64_t sent = st.echoes.pop(); sent != 0) {
            record_rtt(sh, ev.stamp_ns - sent);
        }
        return next_step::wait;
    case held_event_kind::pong:
        ++sh.stats.counts.pongs_received;
        if (st.ping_sent_ns != 0) {
            record_rtt(sh, ev.stamp_ns - st.ping_sent_ns);
            st.ping_sent_ns = 0;
        }
        return next_step::wait;
    case held_event_kind::timeout:
        return rt::mono_now() >= st.stop_ns ? next_step::stop : next_step::send;
    case held_event_kind::closed:
    case held_event_kind::eof:
    case held_event_kind::error:
        break;
    }
    // Closed by the server, eof or error. A cancelled receive is the run being interrupted.
    const bool cancelled = ev.kind == held_event_kind::error && ev.error == rt::errc::cancelled;
    st.end = cancelled ? hold_end::interrupted : hold_end::dropped;
    if (!cancelled) {
        sh.stats.add_drop(ev.close_code);
        ++sh.now.dropped;
        if (sh.idle_mode) {
            sh.idle_cuts.record(ev.stamp_ns - st.established_ns);
        }
    }
    return next_step::stop;
}

// Sends the pings and messages that are due (RFC 6455 §5.5.2 ping; data frames for echoes).
rt::task<void> send_due(shard* sh, probe::ws_connection* conn, hold_state* st)
{
    static constexpr std::array<std::uint8_t, 7> ping_payload{'w', 's', 'p', 'r', 'o', 'b', 'e'};
    const std::int64_t t = rt::mono_now();
    if (t >= st->next_ping) {
        st->ping_sent_ns = t;
        ++sh->stats.counts.pings_sent;
        (void)co_await conn->send_ping(ping_payload, rt::deadline{t + send_bound_ns});
        st->next_ping = std::max(st->next_ping + sh->ping_every, t + 1);
    }
    if (t >= st->next_message) {
        st->echoes.push(t);
        ++sh->stats.counts.messages_sent;
        (void)co_await conn->send_message(sh->message, sh->message_binary, rt::deadline{t + send_bound_ns});
        st->next_message = std::max(st->next_message + sh->message_every, t + 1);
    }
}

// The hold state of a connection established now.
hold_state start_hold(const shard& sh)
{
    const load_options& o = *sh.run->opts;
    constexpr std::int64_t never = rt::deadline::never().at_ns;
    hold_state st;
    st.established_ns = rt::mono_now();
    st.stop_ns =
        o.hold_s ? std::min(sh.run->end_ns, st.established_ns + static_cast<std::int64_t>(*o.hold_s * 1e9))
                 : sh.run->end_ns;
    st.next_ping = sh.ping_every > 0 ? st.established_ns + sh.ping_every : never;
    st.next_message = sh.message_every > 0 ? st.established_ns + sh.message_every : never;
    return st;
}

// Decodes and accounts for what a held connection has received (no I/O), up to the first event
// that needs I/O: wait when everything is consumed, answer_ping with the ping's payload in
// `ping` (valid until the next poll), send when due, or stop.
next_step drain(shard& sh, hold_state& st, probe::ws_connection& conn, std::span<const std::uint8_t>* ping)
{
    for (;;) {
        const probe::held_event ev = conn.poll();
        const next_step step = on_event(sh, st, ev);
        if (step == next_step::answer_ping) {
            *ping = ev.payload;
        }
        if (step != next_step::wait || ev.kind == probe::held_event_kind::need_input) {
            return step;
        }
    }
}

// Suspends a connection while max_closing close handshakes are in flight (FIFO).
struct closing_slot {
    shard* sh;
    [[nodiscard]] bool await_ready() const noexcept
    {
        if (sh->closing < max_closing) {
            ++sh->closing;
            return true;
        }
        return false;
    }
    void await_suspend(std::coroutine_handle<> h) { sh->close_waiters.push_back(h); }
    void await_resume() const noexcept {}
};

// Gives a finished close's slot to the next waiter. A waiter whose close ends without
// suspending releases from inside this loop; the flag keeps that from nesting once per waiter.
void release_closing_slot(shard& sh)
{
    --sh.closing;
    if (sh.handing_out) {
        return;
    }
    sh.handing_out = true;
    while (sh.closing < max_closing && !sh.close_waiters.empty()) {
        const std::coroutine_handle<> next = sh.close_waiters.front();
        sh.close_waiters.pop_front();
        ++sh.closing;
        next.resume();
    }
    sh.handing_out = false;
}

// Everything a held connection does besides waiting on a direct receive, in a short-lived frame
// of its own so the idle frame of hold() keeps one small awaiter: reading through a TLS or
// HTTP/2 transport (next() answers pings itself), answering a ping (RFC 6455 §5.5.2: same
// payload), sending what is due, and at the end the close handshake. Returns the step taken.
rt::task<next_step> act(shard* sh, probe::ws_connection* conn, hold_state* st,
                        std::span<const std::uint8_t> ping, next_step step)
{
    if (step == next_step::wait) {
        const probe::held_event ev = co_await conn->next(st->due());
        step = on_event(*sh, *st, ev);
    }
    if (step == next_step::answer_ping) {
        (void)co_await conn->send_pong(ping, rt::deadline{rt::mono_now() + send_bound_ns});
    } else if (step == next_step::send) {
        co_await send_due(sh, conn, st);
    } else if (step == next_step::stop) {
        --sh->now.open;
        // Waiting here rather than in hold() keeps hold()'s idle frame in its size class.
        co_await closing_slot{sh};
        const bool clean =
            co_await conn->close(rt::deadline{rt::mono_now() + sh->close_bound_ns}, fin_wait_ns);
        release_closing_slot(*sh);
        auto& c = sh->stats.counts;
        if (st->end == hold_end::dropped) {
            // counted by on_event
        } else if (clean) {
            ++c.closed;
        } else if (st->end == hold_end::interrupted ||
                   rt::reactor::current()->root_scope().stop_requested()) {
            ++c.cut_by_interrupt; // our own cancellation, not the server's doing
        } else {
            ++c.unclean_closes;
        }
    }
    co_return step;
}

// A validated connection from its establishment to its close. While idle, this frame (kept
// under 256 bytes: the hold state and the receive awaiter; events are decoded in drain()) and
// the held connection are all the memory it takes: a direct receive is awaited here.
rt::task<void> hold(shard* sh, std::unique_ptr<probe::ws_connection> conn)
{
    hold_state st = start_hold(*sh);
    std::span<const std::uint8_t> ping;
    for (;;) {
        next_step step = drain(*sh, st, *conn, &ping);
        if (step == next_step::wait && conn->direct()) {
            const probe::held_event_kind got = co_await conn->wait_input_kind(st.due());
            if (got != probe::held_event_kind::timeout) {
                continue; // bytes to decode, or the end, which poll() repeats with its details
            }
            step = rt::mono_now() >= st.stop_ns ? next_step::stop : next_step::send;
        }
        // wait still: a TLS or HTTP/2 connection, which act() reads through its transport.
        step = co_await act(sh, conn.get(), &st, ping, step);
        if (step == next_step::stop) {
            break;
        }
    }
}

// Once the last handshake of this reactor is over, its buffers are not needed again: the probe's
// idle buffer cache is freed and free heap pages go back to the kernel (the holes the handshakes
// left between held connections), so the resident set is what the held connections take.
void release_handshake_memory(shard& sh)
{
    if (sh.arrivals_done && sh.opening == 0) {
        probe::release_idle_buffers();
#if !defined(__SANITIZE_ADDRESS__)
        // AddressSanitizer has its own allocator; glibc's trim there upsets its arena bookkeeping.
        (void)::malloc_trim(0);
#endif
    }
}

// Suspends the arrival loop while max_opening handshakes are in flight.
struct opening_slot {
    shard* sh;
    [[nodiscard]] bool await_ready() const noexcept { return sh->opening < max_opening; }
    void await_suspend(std::coroutine_handle<> h) noexcept { sh->slot_waiter = h; }
    void await_resume() const noexcept {}
};

// One connection from its scheduled start: opened and validated here; once established it goes
// on in a task of its own (hold), so this frame and the check result are freed.
rt::task<void> run_connection(shard* sh, const proto::check_spec* spec, std::int64_t scheduled_ns)
{
    ++sh->opening;
    std::unique_ptr<probe::ws_connection> conn = co_await open_one(sh, spec, scheduled_ns);
    --sh->opening;
    if (auto waiter = std::exchange(sh->slot_waiter, {})) {
        waiter.resume();
    }
    release_handshake_memory(*sh);
    if (conn) {
        ++sh->held;
        sh->conns->spawn(hold(sh, std::move(conn)));
    }
}

// Publishes one second at a time until the shard is done (then the last, partial second). Wakes
// every tenth of a second so the end of the run is not held back to the next whole second.
rt::task<void> tick(shard* sh)
{
    constexpr std::int64_t slice_ns = 100'000'000;
    rt::reactor& r = *rt::reactor::current();
    for (;;) {
        const std::int64_t boundary = sh->run->start_ns + (sh->second + 1) * ns_per_s;
        rt::sleep_op wait(r, rt::deadline{std::min(boundary, rt::mono_now() + slice_ns)});
        const rt::io_result woke = co_await wait;
        if (sh->done || !woke.ok()) {
            sh->publish();
            co_return;
        }
        if (rt::mono_now() >= boundary) {
            sh->publish();
        }
    }
}

// The message sent at --message-rate: --payload, or with --preset-messages the app preset's
// RTT request (e.g. graphql-transport-ws {"type":"ping"}, an MQTT PINGREQ), whose reply is timed.
void choose_message(shard& sh, const proto::check_spec& spec)
{
    const load_options& o = *sh.run->opts;
    sh.message = o.payload;
    sh.message_binary = spec.binary;
    if (!o.preset_messages || !spec.app || spec.app->preset == nullptr) {
        return;
    }
    auto made = spec.app->preset->make(spec.app->options);
    if (!made || !(*made)->has_rtt()) {
        return;
    }
    const auto request = (*made)->rtt_request();
    if (!request.empty()) {
        sh.message = request.front().bytes;
        sh.message_binary = request.front().kind == proto::app::frame_kind::binary;
    }
}

void publish_totals(shard& sh)
{
    run_state& run = *sh.run;
    {
        std::lock_guard lk(run.mu);
        if (!run.stats.merge(sh.stats)) {
            run.merge_failed = true;
        }
        if (!run.idle_cuts.merge(sh.idle_cuts)) {
            run.merge_failed = true;
        }
        run.held += sh.held;
        ++run.finished;
    }
    run.cv.notify_all();
}

} // namespace

rt::task<void> run_shard(run_state* run, std::size_t index)
{
    rt::reactor& r = *rt::reactor::current();
    shard sh;
    sh.run = run;
    sh.idle_mode = run->opts->ping_interval_s <= 0 && run->opts->message_rate <= 0;
    choose_message(sh, run->specs.front());
    sh.close_bound_ns = std::chrono::nanoseconds(run->specs.front().timeouts.close).count();
    http1::openssl_entropy entropy;
    std::unique_ptr<dns::client> dns;
    if (run->specs.front().url.kind == proto::host_kind::name) {
        auto made = dns::client::create(r, dns::resolver_options{});
        if (made) {
            dns = std::move(*made);
        }
    }
    sh.env = probe::probe_env{&r, dns.get(), &entropy, false, run->tls, nullptr, {}};
    rt::scope ticker;
    ticker.spawn(tick(&sh));
    rt::scope conns;
    sh.conns = &conns;
    sh.ping_every = period_ns(run->opts->ping_interval_s > 0 ? 1.0 / run->opts->ping_interval_s : 0);
    sh.message_every = period_ns(run->opts->message_rate);
    for (std::uint64_t k = index; k < run->connections; k += run->reactors) {
        const std::int64_t at = run->start_ns + run->schedule.offset_ns(k);
        if (at >= run->arrivals_end_ns || r.root_scope().stop_requested()) {
            break;
        }
        if (at > rt::mono_now()) {
            rt::sleep_op wait(r, rt::deadline{at});
            const rt::io_result woke = co_await wait;
            if (!woke.ok()) {
                break; // cancelled: the run is being interrupted
            }
        }
        co_await opening_slot{&sh};
        if (r.root_scope().stop_requested()) {
            break;
        }
        ++sh.stats.counts.attempted;
        ++sh.now.started;
        if (rt::mono_now() - at > late_start_ns) {
            ++sh.stats.counts.late_starts;
        }
        const proto::check_spec* spec = &run->specs[k % run->specs.size()];
        conns.spawn(run_connection(&sh, spec, at));
    }
    sh.arrivals_done = true;
    release_handshake_memory(sh);
    co_await conns.join();
    sh.done = true;
    co_await ticker.join();
    if (dns) {
        co_await dns->close();
    }
    publish_totals(sh);
}

} // namespace wsp::load::detail
