// Placing checks in time: each check runs on a grid `offset + k * interval`, the offset taken from
// a hash of its id so a fleet spreads over the interval instead of starting at once, and stays put
// across restarts. Times are nanoseconds on a clock the caller chooses; nothing here reads one.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/fleet/duration.h"

namespace wsp::fleet {

// Due times of one check: every `offset_ns + k * interval_ns`, 0 <= offset_ns < interval_ns.
struct slot_grid {
    std::int64_t interval_ns = 1;
    std::int64_t offset_ns = 0;
};

// The grid for a check. With CLOCK_REALTIME-based times the phase is the same after a restart
// and on every instance; with CLOCK_MONOTONIC it is stable for the life of the process.
[[nodiscard]] slot_grid grid_for(std::string_view id, millis interval) noexcept;

// The first due time at or after `now_ns`.
[[nodiscard]] std::int64_t first_due(const slot_grid& g, std::int64_t now_ns) noexcept;

struct next_run {
    std::int64_t due_ns = 0;
    std::uint64_t skipped = 0; // slots passed while the previous run was still going
};

// The next due time after a run that started at `last_start_ns`, asked at `now_ns` (usually when
// the run finished). The slot after the one the run started in, unless the run overlapped later
// slots: those are skipped, not caught up in a burst, and counted.
[[nodiscard]] next_run next_due(const slot_grid& g, std::int64_t last_start_ns, std::int64_t now_ns) noexcept;

// How late a run started: actual start minus due time (negative when early).
[[nodiscard]] constexpr std::int64_t lateness_ns(std::int64_t actual_start_ns, std::int64_t due_ns) noexcept
{
    return actual_start_ns - due_ns;
}

// Due times of many checks: an indexed 4-ary min-heap keyed by (due time, slot). Push, pop,
// reschedule and cancel are O(log n) and allocate nothing once `reserve` covers the slot numbers
// in use. Not thread-safe: one queue per reactor thread.
class due_queue {
public:
    using slot = std::uint32_t;
    struct entry {
        std::int64_t due_ns = 0;
        slot id = 0;
    };

    due_queue() = default;
    explicit due_queue(std::size_t slots) { reserve(slots); }

    // Makes room for slots [0, slots) so later calls do not allocate.
    void reserve(std::size_t slots);
    // Inserts the slot, or moves it to the new due time if queued. Allocates only when `s` is
    // beyond the reserved range.
    void schedule(slot s, std::int64_t due_ns);
    // Removes a queued slot; false when it was not queued.
    bool cancel(slot s) noexcept;
    [[nodiscard]] bool contains(slot s) const noexcept { return s < pos_.size() && pos_[s] != npos; }
    // The earliest entry without removing it.
    [[nodiscard]] std::optional<entry> top() const noexcept;
    // Removes and returns the earliest entry if it is due at `now_ns`, otherwise nothing.
    [[nodiscard]] std::optional<entry> pop_due(std::int64_t now_ns) noexcept;
    // Removes and returns the earliest entry whatever its time.
    [[nodiscard]] std::optional<entry> pop() noexcept;
    [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }
    [[nodiscard]] bool empty() const noexcept { return heap_.empty(); }

private:
    static constexpr std::uint32_t npos = UINT32_MAX;
    static bool before(const entry& a, const entry& b) noexcept
    {
        return a.due_ns < b.due_ns || (a.due_ns == b.due_ns && a.id < b.id);
    }
    void place(std::size_t i, const entry& e) noexcept;
    void sift_up(std::size_t i, entry e) noexcept;
    void sift_down(std::size_t i, entry e) noexcept;
    void remove_at(std::size_t i) noexcept;

    std::vector<entry> heap_;
    std::vector<std::uint32_t> pos_; // slot -> heap index, npos when not queued
};

} // namespace wsp::fleet
