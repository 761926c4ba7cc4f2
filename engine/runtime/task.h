// task<T>: a lazy, move-only coroutine with symmetric transfer; scope: owner of spawned tasks.
// Frames come from the per-thread frame pool (detail/frame_pool.h).
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "engine/runtime/detail/frame_pool.h"

namespace wsp::rt {

class scope;

namespace detail {

// Exceptions: a task that exits by exception stores it and rethrows it from `co_await` (or from
// sync_wait), so tools and tests can use exceptions for start-up errors. Engine code does not
// throw. A task spawned into a scope has no awaiter to rethrow to: an exception escaping it calls
// std::terminate.
struct promise_base {
    std::coroutine_handle<> continuation_{};
    scope* owner_ = nullptr;
    std::exception_ptr error_{};

    static void* operator new(std::size_t n) { return frame_allocate(n); }
    static void operator delete(void* p, std::size_t n) noexcept { frame_deallocate(p, n); }

    std::suspend_always initial_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept { error_ = std::current_exception(); }

    // Called at final suspend: transfers to the awaiting coroutine, or for a scope-owned task
    // destroys the frame and wakes the scope's joiner when it was the last one.
    std::coroutine_handle<> on_final(std::coroutine_handle<> self) noexcept;

    struct final_awaiter {
        bool await_ready() const noexcept { return false; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept
        {
            return h.promise().on_final(h);
        }
        void await_resume() const noexcept {}
    };
    final_awaiter final_suspend() noexcept { return {}; }
};

template <class T>
struct promise_storage : promise_base {
    std::optional<T> value_;
    template <class U>
        requires std::is_convertible_v<U&&, T>
    void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U&&>)
    {
        value_.emplace(std::forward<U>(v));
    }
    T take()
    {
        if (error_) {
            std::rethrow_exception(error_);
        }
        return std::move(*value_);
    }
};

template <>
struct promise_storage<void> : promise_base {
    void return_void() noexcept {}
    void take() const
    {
        if (error_) {
            std::rethrow_exception(error_);
        }
    }
};

} // namespace detail

// A lazily started coroutine producing T. Nothing runs until it is awaited (`co_await
// std::move(t)` or `co_await f()`), spawned into a scope, or driven by sync_wait. Destroying a
// task that was never started frees its frame. Thread affinity: a task runs on the thread that
// resumes it (its reactor's thread).
template <class T = void>
class [[nodiscard]] task {
public:
    static_assert(!std::is_reference_v<T>, "task<T&> is not supported");

    struct promise_type : detail::promise_storage<T> {
        task get_return_object() noexcept
        {
            return task{std::coroutine_handle<promise_type>::from_promise(*this)};
        }
    };
    using handle = std::coroutine_handle<promise_type>;

    task() noexcept = default;
    task(task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    task& operator=(task&& o) noexcept
    {
        if (this != &o) {
            reset();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    task(const task&) = delete;
    task& operator=(const task&) = delete;
    ~task() { reset(); }

    [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(h_); }

    struct awaiter {
        handle h_;
        bool await_ready() const noexcept { return false; }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept
        {
            h_.promise().continuation_ = caller;
            return h_;
        }
        T await_resume() { return h_.promise().take(); }
    };
    // Starts the task and resumes the caller, by symmetric transfer, when it finishes.
    awaiter operator co_await() && noexcept { return awaiter{h_}; }

    // Gives up ownership of the frame (used by scope and sync_wait).
    [[nodiscard]] handle release() noexcept { return std::exchange(h_, {}); }

private:
    explicit task(handle h) noexcept : h_(h) {}
    void reset() noexcept
    {
        if (h_) {
            h_.destroy();
            h_ = {};
        }
    }
    handle h_{};
};

// Owns spawned task<void>s: nothing is detached. `join()` completes once every spawned task has
// finished; the scope must be joined (live() == 0) before it is destroyed, otherwise the
// destructor calls std::terminate, because frames still suspended in the kernel's hands would
// leak or dangle. Single-threaded: use a scope from its reactor's thread only.
class scope {
public:
    scope() noexcept = default;
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;
    ~scope();

    // Starts `t` immediately on the calling thread; it runs until its first suspension. The
    // scope then owns the frame and destroys it when the task finishes. An exception escaping
    // `t` calls std::terminate. No allocation besides the task's own frame.
    void spawn(task<void> t) noexcept;

    struct join_awaiter {
        scope* s_;
        bool await_ready() const noexcept { return s_->live_ == 0; }
        void await_suspend(std::coroutine_handle<> h) noexcept { s_->joiner_ = h; }
        void await_resume() const noexcept {}
    };
    // Completes when live() reaches 0. At most one joiner at a time.
    [[nodiscard]] join_awaiter join() noexcept { return join_awaiter{this}; }

    [[nodiscard]] std::size_t live() const noexcept { return live_; }

    // A cooperative flag spawned tasks may poll; the scope does not cancel anything by itself.
    void request_stop() noexcept { stop_ = true; }
    [[nodiscard]] bool stop_requested() const noexcept { return stop_; }

private:
    friend struct detail::promise_base;
    std::coroutine_handle<> child_done() noexcept;

    std::size_t live_ = 0;
    std::coroutine_handle<> joiner_{};
    bool stop_ = false;
};

inline scope::~scope()
{
    if (live_ != 0) {
        std::terminate();
    }
}

inline void scope::spawn(task<void> t) noexcept
{
    auto h = t.release();
    if (!h) {
        return;
    }
    h.promise().owner_ = this;
    ++live_;
    h.resume();
}

inline std::coroutine_handle<> scope::child_done() noexcept
{
    --live_;
    if (live_ == 0 && joiner_) {
        return std::exchange(joiner_, {});
    }
    return std::noop_coroutine();
}

inline std::coroutine_handle<> detail::promise_base::on_final(std::coroutine_handle<> self) noexcept
{
    if (scope* s = owner_) {
        if (error_) {
            std::terminate();
        }
        self.destroy();
        return s->child_done();
    }
    if (continuation_) {
        return continuation_;
    }
    return std::noop_coroutine();
}

} // namespace wsp::rt
