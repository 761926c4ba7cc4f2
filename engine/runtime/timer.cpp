// The reactor's timer heap (binary min-heap keyed by CLOCK_MONOTONIC deadline).
#include "engine/runtime/detail/timer_heap.h"

namespace wsp::rt::detail {

void timer_heap::insert(timer_node& t)
{
    heap_.push_back(&t);
    t.index_ = static_cast<std::uint32_t>(heap_.size() - 1);
    sift_up(heap_.size() - 1);
}

void timer_heap::remove(timer_node& t) noexcept
{
    if (!t.queued()) {
        return;
    }
    const std::size_t i = t.index_;
    timer_node* last = heap_.back();
    heap_.pop_back();
    t.index_ = timer_node::not_queued;
    if (last == &t) {
        return;
    }
    place(i, last);
    sift_up(i);
    sift_down(last->index_);
}

timer_node* timer_heap::pop_front() noexcept
{
    timer_node* top = heap_.front();
    remove(*top);
    return top;
}

std::size_t timer_heap::fire_expired(std::int64_t now_ns) noexcept
{
    std::size_t fired = 0;
    while (!heap_.empty() && heap_.front()->when_ns <= now_ns) {
        timer_node* t = pop_front();
        t->fire_(t, false);
        ++fired;
    }
    return fired;
}

std::size_t timer_heap::cancel_all() noexcept
{
    std::size_t fired = 0;
    while (!heap_.empty()) {
        timer_node* t = pop_front();
        t->fire_(t, true);
        ++fired;
    }
    return fired;
}

void timer_heap::sift_up(std::size_t i) noexcept
{
    timer_node* t = heap_[i];
    while (i > 0) {
        const std::size_t parent = (i - 1) / 2;
        if (heap_[parent]->when_ns <= t->when_ns) {
            break;
        }
        place(i, heap_[parent]);
        i = parent;
    }
    place(i, t);
}

void timer_heap::sift_down(std::size_t i) noexcept
{
    const std::size_t n = heap_.size();
    timer_node* t = heap_[i];
    for (;;) {
        std::size_t child = 2 * i + 1;
        if (child >= n) {
            break;
        }
        if (child + 1 < n && heap_[child + 1]->when_ns < heap_[child]->when_ns) {
            ++child;
        }
        if (heap_[child]->when_ns >= t->when_ns) {
            break;
        }
        place(i, heap_[child]);
        i = child;
    }
    place(i, t);
}

} // namespace wsp::rt::detail
