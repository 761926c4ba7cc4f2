// Internals of the load driver shared by the calling thread (driver.cpp) and the reactors
// (driver_shard.cpp): the open-loop arrival schedule, one second's measurements, and the run
// state the reactors publish into.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "engine/load/driver.h"
#include "engine/load/stats.h"
#include "engine/runtime/task.h"
#include "proto/check_spec.h"
#include "tls/context.h"

namespace wsp::load::detail {

// Open-loop arrivals: scheduled times computed up front, never "next when the previous one
// finished". The rate rises linearly from 0 to `rate` over `ramp_s`, then stays; rate 0 starts
// every connection at once.
struct arrival_schedule {
    double rate = 0;
    double ramp_s = 0;
    // Offset from the run's start of arrival k (0-based), in ns.
    [[nodiscard]] std::int64_t offset_ns(std::uint64_t k) const noexcept;
};

// One second of one reactor (or merged over reactors).
struct second_part {
    std::uint64_t started = 0;
    std::uint64_t succeeded = 0;
    std::uint64_t failed = 0;
    std::uint64_t dropped = 0;
    std::uint64_t messages = 0;
    std::int64_t open = 0; // at the end of the second
    histogram upgrade;
    histogram established;
    histogram rtt;

    void add(const second_part& o);
    void clear() noexcept;
    [[nodiscard]] sample to_sample(double t_s) const;
};

// One run (or one SLO step) as the reactors see it. Written by the calling thread before the
// reactors start; the published part is guarded by `mu`.
struct run_state {
    const load_options* opts = nullptr;
    std::vector<proto::check_spec> specs; // one per source address (round robin), or one
    const tls::context* tls = nullptr;
    arrival_schedule schedule;
    std::uint64_t connections = 0;
    std::size_t reactors = 1;
    std::int64_t start_ns = 0;
    std::int64_t arrivals_end_ns = 0; // no arrival starts after this
    std::int64_t end_ns = 0;          // held connections are closed from here

    std::mutex mu;
    std::condition_variable cv;
    // Second index -> merged part and how many reactors reported it.
    std::map<std::int64_t, std::pair<second_part, std::size_t>> seconds;
    load_stats stats;
    histogram idle_cuts{3}; // established -> cut, for connections dropped while idle
    std::uint64_t held = 0; // connections that reached the hold stage
    std::size_t finished = 0;
    bool merge_failed = false;
};

// One reactor's share of the run: arrivals index, index + reactors, ... Runs on the reactor's
// thread in its root scope; publishes each second and, at the end, its totals into `run`.
[[nodiscard]] rt::task<void> run_shard(run_state* run, std::size_t index);

} // namespace wsp::load::detail
