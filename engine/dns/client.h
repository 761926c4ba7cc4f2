// The resolver driven by a reactor: c-ares sockets are watched with io_uring one-shot polls and
// its timers run on the reactor's timer heap, so no reactor thread ever blocks in a lookup.
#pragma once

#include <array>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "engine/dns/resolver.h"
#include "engine/runtime/reactor.h"
#include "engine/runtime/task.h"

namespace wsp::dns {

inline constexpr std::size_t max_result_addresses = 16;

// A finished lookup: the addresses (ports 0) and the reap time of the completion that ended it.
struct lookup_result {
    std::array<resolved_address, max_result_addresses> storage{};
    std::size_t count = 0;
    std::int64_t done_ns = 0;

    [[nodiscard]] std::span<const resolved_address> addresses() const noexcept
    {
        return std::span<const resolved_address>(storage).first(count);
    }
};

// One resolver per reactor. Create, use and close on the reactor's thread. Lookups are awaited
// with resolve(); close() must be awaited before destruction (it cancels the polls and waits for
// their final completions).
class client final : private socket_watcher {
public:
    [[nodiscard]] static wsp::expected<std::unique_ptr<client>> create(rt::reactor& r, resolver_options options);
    client(const client&) = delete;
    client& operator=(const client&) = delete;
    ~client();

    class lookup_awaiter final : private lookup_handler {
    public:
        lookup_awaiter(client& c, std::string_view host, address_family family, std::int64_t timeout_ns) noexcept
            : client_(&c), host_(host), family_(family), timeout_ns_(timeout_ns)
        {
        }
        lookup_awaiter(const lookup_awaiter&) = delete;
        lookup_awaiter& operator=(const lookup_awaiter&) = delete;
        ~lookup_awaiter();
        [[nodiscard]] bool await_ready() const noexcept { return false; }
        bool await_suspend(std::coroutine_handle<> h) noexcept;
        [[nodiscard]] wsp::expected<lookup_result> await_resume() noexcept;

    private:
        void on_lookup_done(const lookup_outcome& outcome) noexcept override;

        client* client_;
        std::string_view host_;
        address_family family_;
        std::int64_t timeout_ns_;
        lookup_id id_{};
        std::coroutine_handle<> waiter_{};
        wsp::error error_{};
        bool done_ = false;
        lookup_result result_{};
    };

    // Resolves `host` (name or literal) within timeout_ns. `host` must stay valid until the
    // lookup completes. Errors: those of resolver::start and the lookup (errc of engine/dns).
    [[nodiscard]] lookup_awaiter resolve(std::string_view host, address_family family, std::int64_t timeout_ns) noexcept
    {
        return lookup_awaiter(*this, host, family, timeout_ns);
    }

    // Cancels outstanding lookups and polls and waits until the kernel has released them.
    [[nodiscard]] rt::task<void> close();

    [[nodiscard]] std::size_t pending() const noexcept { return resolver_->pending(); }

private:
    // One socket c-ares asked us to watch. A poll loop runs while the socket is watched; when the
    // interest changes or c-ares drops the socket, the pending poll is cancelled so the loop can
    // re-arm with the new interest or end. An io_uring poll holds its own reference to the file, so
    // a poll left pending on a socket c-ares closed would never complete: cancelling it matters.
    struct watch {
        int fd = -1;
        bool readable = false;
        bool writable = false;
        bool loop_running = false;
        const void* pending = nullptr; // the poll awaiter in flight
        unsigned armed_events = 0;

        [[nodiscard]] unsigned events() const noexcept
        {
            return (readable ? 0x001U : 0U) | (writable ? 0x004U : 0U); // POLLIN, POLLOUT
        }
    };

    explicit client(rt::reactor& r) noexcept : reactor_(&r) {}

    void on_watch_changed(const watched_socket& s) noexcept override;
    void ensure_timer_loop() noexcept;
    void resume_ready() noexcept;
    rt::task<void> poll_loop(watch* w);
    rt::task<void> timer_loop();
    rt::task<void> cancel_poll(const void* op);

    rt::reactor* reactor_;
    std::optional<resolver> resolver_; // set right after construction (it needs `this` as watcher)
    rt::scope scope_;
    std::vector<std::unique_ptr<watch>> watches_;
    std::vector<std::coroutine_handle<>> ready_;
    std::int64_t stamp_ns_ = 0; // reap time of the completion being processed
    bool timer_running_ = false;
    bool closing_ = false;
};

} // namespace wsp::dns
