// Reactor glue for the c-ares resolver (see client.h).
#include "engine/dns/client.h"

#include <poll.h>

#include <cerrno>

#include "engine/dns/error.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/ops.h"

namespace wsp::dns {

wsp::expected<std::unique_ptr<client>> client::create(rt::reactor& r, resolver_options options)
{
    auto c = std::unique_ptr<client>(new client(r));
    options.watcher = c.get();
    auto res = resolver::create(options);
    if (!res) {
        return wsp::unexpected(res.error());
    }
    c->resolver_.emplace(std::move(*res));
    return c;
}

client::~client()
{
    // close() must have run: the scope is joined and no poll is pending.
    resolver_.reset();
}

void client::on_watch_changed(const watched_socket& s) noexcept
{
    watch* w = nullptr;
    for (auto& candidate : watches_) {
        if (candidate->fd == s.fd) {
            w = candidate.get();
            break;
        }
    }
    if (w == nullptr) {
        if (!s.readable && !s.writable) {
            return;
        }
        // Reuse a finished entry before growing (no allocation in steady state).
        for (auto& candidate : watches_) {
            if (!candidate->loop_running && !candidate->readable && !candidate->writable) {
                w = candidate.get();
                break;
            }
        }
        if (w == nullptr) {
            watches_.push_back(std::make_unique<watch>());
            w = watches_.back().get();
        }
        w->fd = s.fd;
    }
    w->readable = s.readable;
    w->writable = s.writable;
    if (closing_) {
        return;
    }
    if (w->pending != nullptr && w->armed_events != w->events()) {
        scope_.spawn(cancel_poll(w->pending));
    } else if (!w->loop_running && (w->readable || w->writable)) {
        w->loop_running = true;
        scope_.spawn(poll_loop(w));
    }
}

rt::task<void> client::cancel_poll(const void* op)
{
    (void)co_await rt::cancel_op(*reactor_, op);
}

rt::task<void> client::poll_loop(watch* w)
{
    while (!closing_ && (w->readable || w->writable)) {
        rt::poll_op op(*reactor_, w->fd, w->events());
        w->pending = static_cast<const rt::detail::op_base*>(&op); // the SQE user_data
        w->armed_events = w->events();
        const rt::io_result r = co_await op;
        w->pending = nullptr;
        if (r.res == -ECANCELED || closing_) {
            continue; // interest changed or socket dropped: re-evaluate
        }
        if (!resolver_) {
            break;
        }
        // POLLERR/POLLHUP count as readable so c-ares sees the socket error (resolver.h contract).
        const bool readable = r.res < 0 || (r.res & (POLLIN | POLLERR | POLLHUP)) != 0;
        const bool writable = r.res >= 0 && (r.res & POLLOUT) != 0;
        stamp_ns_ = r.stamp_ns;
        resolver_->process(w->fd, readable, writable);
        resume_ready();
    }
    w->loop_running = false;
    w->pending = nullptr;
}

// Runs c-ares retry timers and lookup deadlines while lookups are pending. A lookup that starts
// with an earlier deadline than the one being slept on is caught at the next tick, so sleeps are
// capped at 20 ms: deadlines are honoured within that.
rt::task<void> client::timer_loop()
{
    constexpr std::int64_t max_sleep_ns = 20'000'000;
    while (!closing_ && resolver_ && resolver_->pending() > 0) {
        const std::int64_t now = rt::mono_now();
        const auto next = resolver_->next_deadline(now);
        const std::int64_t until = std::min(next.value_or(now + max_sleep_ns), now + max_sleep_ns);
        if (until > now) {
            (void)co_await rt::sleep_op(*reactor_, rt::deadline{until});
        }
        if (closing_ || !resolver_) {
            break;
        }
        stamp_ns_ = rt::mono_now();
        resolver_->process_timeouts(stamp_ns_);
        resume_ready();
    }
    timer_running_ = false;
}

void client::ensure_timer_loop() noexcept
{
    if (!timer_running_ && !closing_) {
        timer_running_ = true;
        scope_.spawn(timer_loop());
    }
}

void client::resume_ready() noexcept
{
    // Resumed lookups may start new ones (which only append); index, do not iterate.
    for (std::size_t i = 0; i < ready_.size(); ++i) {
        ready_[i].resume();
    }
    ready_.clear();
}

rt::task<void> client::close()
{
    closing_ = true;
    for (auto& w : watches_) {
        if (w->pending != nullptr) {
            (void)co_await rt::cancel_op(*reactor_, w->pending);
        }
    }
    co_await scope_.join();
    // Destroying the resolver delivers `cancelled` to lookups still waiting; resume them.
    stamp_ns_ = rt::mono_now();
    resolver_.reset();
    resume_ready();
}

client::lookup_awaiter::~lookup_awaiter()
{
    if (!done_ && id_.valid() && client_->resolver_) {
        client_->resolver_->cancel(id_);
    }
}

bool client::lookup_awaiter::await_suspend(std::coroutine_handle<> h) noexcept
{
    if (client_->closing_ || !client_->resolver_) {
        error_ = errc::cancelled;
        done_ = true;
        return false;
    }
    auto id = client_->resolver_->start(host_, family_, *this, rt::mono_now(), timeout_ns_);
    if (!id) {
        error_ = id.error();
        done_ = true;
        return false;
    }
    id_ = *id;
    waiter_ = h;
    client_->ensure_timer_loop();
    return true;
}

void client::lookup_awaiter::on_lookup_done(const lookup_outcome& outcome) noexcept
{
    done_ = true;
    result_.done_ns = client_->stamp_ns_;
    if (outcome.addresses) {
        for (const auto& a : *outcome.addresses) {
            if (result_.count == result_.storage.size()) {
                break;
            }
            result_.storage[result_.count++] = a;
        }
    } else {
        error_ = outcome.addresses.error();
    }
    // Deferred: handlers must not re-enter the resolver's processing (resolver.h contract).
    client_->ready_.push_back(waiter_);
}

wsp::expected<lookup_result> client::lookup_awaiter::await_resume() noexcept
{
    if (error_) {
        return wsp::unexpected(error_);
    }
    return result_;
}

} // namespace wsp::dns
