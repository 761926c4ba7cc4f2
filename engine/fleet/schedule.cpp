#include "engine/fleet/schedule.h"

#include "engine/fleet/hash.h"

namespace wsp::fleet {
namespace {

// Floor of a / b for b > 0, also for negative a.
std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept
{
    const std::int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

// A different mix than the shard weights, so a check's phase does not correlate with its shard.
constexpr std::uint64_t phase_salt = 0x5048415345000000ULL; // "PHASE"

} // namespace

slot_grid grid_for(std::string_view id, millis interval) noexcept
{
    const std::int64_t ns = interval.count() > 0 ? interval.count() * 1'000'000 : 1;
    const std::uint64_t h = mix64(stable_hash(id) ^ phase_salt);
    return {ns, static_cast<std::int64_t>(h % static_cast<std::uint64_t>(ns))};
}

std::int64_t first_due(const slot_grid& g, std::int64_t now_ns) noexcept
{
    const std::int64_t k = floor_div(now_ns - g.offset_ns + g.interval_ns - 1, g.interval_ns);
    return g.offset_ns + k * g.interval_ns;
}

next_run next_due(const slot_grid& g, std::int64_t last_start_ns, std::int64_t now_ns) noexcept
{
    const std::int64_t after_start =
        g.offset_ns + (floor_div(last_start_ns - g.offset_ns, g.interval_ns) + 1) * g.interval_ns;
    if (after_start >= now_ns) {
        return {after_start, 0};
    }
    const std::int64_t due = first_due(g, now_ns);
    return {due, static_cast<std::uint64_t>((due - after_start) / g.interval_ns)};
}

void due_queue::reserve(std::size_t slots)
{
    if (slots > pos_.size()) {
        pos_.resize(slots, npos);
    }
    heap_.reserve(slots);
}

void due_queue::place(std::size_t i, const entry& e) noexcept
{
    heap_[i] = e;
    pos_[e.id] = static_cast<std::uint32_t>(i);
}

void due_queue::sift_up(std::size_t i, entry e) noexcept
{
    while (i > 0) {
        const std::size_t parent = (i - 1) / 4;
        if (!before(e, heap_[parent])) {
            break;
        }
        place(i, heap_[parent]);
        i = parent;
    }
    place(i, e);
}

void due_queue::sift_down(std::size_t i, entry e) noexcept
{
    const std::size_t n = heap_.size();
    for (;;) {
        const std::size_t first = 4 * i + 1;
        if (first >= n) {
            break;
        }
        std::size_t best = first;
        const std::size_t last = first + 4 < n ? first + 4 : n;
        for (std::size_t c = first + 1; c < last; ++c) {
            if (before(heap_[c], heap_[best])) {
                best = c;
            }
        }
        if (!before(heap_[best], e)) {
            break;
        }
        place(i, heap_[best]);
        i = best;
    }
    place(i, e);
}

void due_queue::schedule(slot s, std::int64_t due_ns)
{
    if (s >= pos_.size()) {
        reserve(static_cast<std::size_t>(s) + 1);
    }
    const entry e{due_ns, s};
    if (pos_[s] == npos) {
        heap_.push_back(e);
        sift_up(heap_.size() - 1, e);
        return;
    }
    const std::size_t i = pos_[s];
    if (before(e, heap_[i])) {
        sift_up(i, e);
    } else {
        sift_down(i, e);
    }
}

void due_queue::remove_at(std::size_t i) noexcept
{
    pos_[heap_[i].id] = npos;
    const entry last = heap_.back();
    heap_.pop_back();
    if (i == heap_.size()) {
        return;
    }
    if (i > 0 && before(last, heap_[(i - 1) / 4])) {
        sift_up(i, last);
    } else {
        sift_down(i, last);
    }
}

bool due_queue::cancel(slot s) noexcept
{
    if (!contains(s)) {
        return false;
    }
    remove_at(pos_[s]);
    return true;
}

std::optional<due_queue::entry> due_queue::top() const noexcept
{
    if (heap_.empty()) {
        return std::nullopt;
    }
    return heap_.front();
}

std::optional<due_queue::entry> due_queue::pop_due(std::int64_t now_ns) noexcept
{
    if (heap_.empty() || heap_.front().due_ns > now_ns) {
        return std::nullopt;
    }
    return pop();
}

std::optional<due_queue::entry> due_queue::pop() noexcept
{
    if (heap_.empty()) {
        return std::nullopt;
    }
    const entry e = heap_.front();
    remove_at(0);
    return e;
}

} // namespace wsp::fleet
