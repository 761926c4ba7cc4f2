// Shared helpers for runtime tests: create a reactor or skip when io_uring is unavailable, and
// a connected loopback pair on direct descriptors.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/runtime/acceptor.h"
#include "engine/runtime/ops.h"
#include "engine/runtime/reactor.h"
#include "engine/runtime/socket.h"

namespace wsp::rt::test {

// Returns a reactor, or nullptr after GTEST_SKIP when the kernel refuses io_uring entirely.
inline std::unique_ptr<reactor> make_reactor(const reactor_config& cfg = {})
{
    std::string why;
    auto r = reactor::create(cfg, &why);
    if (!r) {
        if (r.error() == errc::io_uring_unavailable) {
            return nullptr;
        }
        ADD_FAILURE() << "reactor::create failed: " << r.error().name() << ": " << why;
        return nullptr;
    }
    return std::move(*r);
}

#define WSP_RT_REACTOR(var, ...)                                                                    \
    auto var##_owner = ::wsp::rt::test::make_reactor(__VA_ARGS__);                                  \
    if (!var##_owner) {                                                                             \
        GTEST_SKIP() << "io_uring unavailable (kernel.io_uring_disabled or seccomp); skipping";     \
    }                                                                                               \
    ::wsp::rt::reactor& var = *var##_owner

struct socket_pair {
    socket client;
    socket server;
};

// Connects to `l` and accepts the connection (both sides are direct descriptors).
inline task<wsp::expected<socket_pair>> connect_pair(reactor& r, const listener* l)
{
    acceptor acc(r, *l);
    auto c = co_await connect_tcp(r, l->local(), connect_options{});
    if (!c) {
        co_await acc.stop();
        co_return wsp::unexpected(c.error());
    }
    const io_result a = co_await acc.next();
    co_await acc.stop();
    if (!a.ok()) {
        co_return wsp::unexpected(direct_alloc_error(a.res));
    }
    co_return socket_pair{c->sock, socket{a.res}};
}

inline task<void> close_pair(reactor& r, socket_pair p)
{
    (void)co_await close_socket(r, p.client, close_mode::abort);
    (void)co_await close_socket(r, p.server, close_mode::abort);
}

} // namespace wsp::rt::test
