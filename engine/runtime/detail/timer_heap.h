// A binary min-heap of intrusive timer nodes: one per reactor, serving any number of deadlines
// with a single kernel wait timeout.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

namespace wsp::rt::detail {

struct timer_node {
    static constexpr std::uint32_t not_queued = std::numeric_limits<std::uint32_t>::max();
    using fire_fn = void (*)(timer_node* self, bool cancelled) noexcept;

    std::int64_t when_ns = 0;
    std::uint32_t index_ = not_queued;
    fire_fn fire_ = nullptr;

    [[nodiscard]] bool queued() const noexcept { return index_ != not_queued; }
};

// Not thread-safe: owned by one reactor. The vector grows to the peak number of concurrent
// timers and then stays (reserve() to avoid growth after warm-up).
class timer_heap {
public:
    void reserve(std::size_t n) { heap_.reserve(n); }
    // Inserts `t` (must not be queued). May allocate when the heap outgrows its capacity.
    void insert(timer_node& t);
    // Removes `t` if queued; no-op otherwise.
    void remove(timer_node& t) noexcept;
    // Earliest deadline, or INT64_MAX when empty.
    [[nodiscard]] std::int64_t next_ns() const noexcept
    {
        return heap_.empty() ? std::numeric_limits<std::int64_t>::max() : heap_.front()->when_ns;
    }
    // Fires (cancelled = false) every timer due at `now_ns`; returns how many fired. A timer may
    // insert new timers from its callback; those run at the next call if already due.
    std::size_t fire_expired(std::int64_t now_ns) noexcept;
    // Fires every queued timer with cancelled = true.
    std::size_t cancel_all() noexcept;
    [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }

private:
    void sift_up(std::size_t i) noexcept;
    void sift_down(std::size_t i) noexcept;
    void place(std::size_t i, timer_node* t) noexcept
    {
        heap_[i] = t;
        t->index_ = static_cast<std::uint32_t>(i);
    }
    timer_node* pop_front() noexcept;

    std::vector<timer_node*> heap_;
};

} // namespace wsp::rt::detail
