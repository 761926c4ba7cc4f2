// The lab server: listeners opened up front, one shard (accept loops, connections, buffer pool)
// per reactor of a cluster, and a shutdown that ends every receive, then cancels what is left.
#include "tools/lab/server.h"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <utility>

#include "engine/runtime/acceptor.h"
#include "engine/runtime/cluster.h"
#include "engine/runtime/ops.h"
#include "engine/runtime/socket.h"
#include "tools/lab/log.h"
#include "tools/lab/pipe.h"
#include "tools/lab/tls_pipe.h"

namespace wsp::lab {
namespace {

using namespace std::chrono_literals;

struct shard;

// Delivered to a shard's reactor by server::stop(): marks the shard stopping and starts
// wind_down (below). Connections then skip every further wait, echo connections send close 1001,
// and all close.
struct stop_message : rt::message {
    explicit stop_message(shard* s) noexcept : message(&stop_message::deliver), owner(s) {}
    static void deliver(rt::message& m, rt::reactor& r, std::int32_t status) noexcept;
    shard* owner;
};

// A live connection, linked into its shard while its coroutine runs (the node lives in that frame).
struct conn_node {
    conn_node* prev = nullptr;
    conn_node* next = nullptr;
    rt::socket sock;
};

struct shard {
    shard(const session_limits& limits, log_sink* log) : stop(this)
    {
        env.limits = limits;
        env.pool = &pool;
        env.log = log;
        env.counters = &counters;
    }
    shard(const shard&) = delete;
    shard& operator=(const shard&) = delete;

    buffer_pool pool;
    session_counters counters;
    std::atomic<std::uint64_t> accept_errors{0};
    session_env env;
    rt::scope accepting;
    rt::scope connections;
    stop_message stop;
    conn_node* live = nullptr;
    // Connections this shard takes before it stops accepting (from the ring's table size, set in
    // run_shard).
    std::uint64_t accept_limit = 0;

    void link(conn_node* n) noexcept
    {
        n->next = live;
        if (live != nullptr) {
            live->prev = n;
        }
        live = n;
    }
    void unlink(conn_node* n) noexcept
    {
        (n->prev != nullptr ? n->prev->next : live) = n->next;
        if (n->next != nullptr) {
            n->next->prev = n->prev;
        }
    }
};

rt::task<void> shut_read(rt::reactor* r, rt::socket s)
{
    (void)co_await rt::shutdown_op(*r, s, SHUT_RD);
}

// Shutdown in two steps. First every connection's multishot receive is ended through its socket
// (SHUT_RD: the receive completes with EOF, which sessions treat as the end of reading); then
// cancel_all() wakes the timers (pre-upgrade delays, holds, slow echoes) and cancels what is
// still armed (the accepts, sends in flight). Both are linear in the connections (cancel_all
// cancels each armed receive by its user_data; see engine/runtime/reactor.h).
rt::task<void> wind_down(shard* sh)
{
    rt::reactor& r = *sh->env.reactor;
    {
        // Spawning does not reap completions, so no connection unlinks during this loop.
        rt::scope wakes;
        for (conn_node* n = sh->live; n != nullptr; n = n->next) {
            wakes.spawn(shut_read(&r, n->sock));
        }
        co_await wakes.join();
    }
    r.cancel_all();
}

void stop_message::deliver(rt::message& m, rt::reactor& r, std::int32_t status) noexcept
{
    if (status < 0) {
        return; // not delivered: the cluster's own drain cancels everything after its grace period
    }
    shard* sh = static_cast<stop_message&>(m).owner;
    // A stop right after start can arrive before run_shard ran (the cluster drops spawns that land
    // after its own stop request), so the reactor comes from the delivery, not from run_shard.
    sh->env.reactor = &r;
    sh->env.stopping = true;
    sh->accepting.spawn(wind_down(sh));
}

rt::task<void> connection(shard* sh, rt::socket s)
{
    sh->counters.accepted.fetch_add(1, std::memory_order_relaxed);
    sh->counters.active.fetch_add(1, std::memory_order_relaxed);
    conn_node node;
    node.sock = s;
    sh->link(&node);
    {
        tcp_pipe pipe(*sh->env.reactor, s);
        co_await pipe.configure();
        co_await serve_connection(&sh->env, &pipe);
    }
    sh->unlink(&node);
    sh->counters.active.fetch_sub(1, std::memory_order_relaxed);
}

// A failed handshake already sent its alert: FIN, then read until the client's FIN (bounded) so
// bytes it sent meanwhile (TLS 1.3 clients send their request right after their Finished) do not
// turn the close into a RST that could overtake the alert.
rt::task<void> refuse_tls(shard* sh, tls_pipe* pipe, const wsp::error& why)
{
    sh->counters.tls_failed.fetch_add(1, std::memory_order_relaxed);
    sh->counters.no_request.fetch_add(1, std::memory_order_relaxed);
    if (sh->env.log != nullptr) {
        const std::string note = "TLS handshake failed: " + std::string(why.name());
        sh->env.log->connection("-", "-", "tls", 0, note);
    }
    co_await pipe->shutdown_send();
    if (!sh->env.stopping) {
        co_await pipe->drain(rt::deadline::after(sh->env.limits.close_timeout));
    }
    co_await pipe->close(rt::close_mode::graceful);
}

rt::task<void> tls_connection(shard* sh, rt::socket s, const tls::context* ctx)
{
    sh->counters.accepted.fetch_add(1, std::memory_order_relaxed);
    sh->counters.active.fetch_add(1, std::memory_order_relaxed);
    conn_node node;
    node.sock = s;
    sh->link(&node);
    {
        tls_pipe pipe(*sh->env.reactor, s, *ctx, *sh->env.pool, sh->env.limits.close_timeout);
        co_await pipe.configure();
        // The handshake counts against the request-head bound (slow-loris over TLS).
        const auto hs = co_await pipe.handshake(rt::deadline::after(sh->env.limits.head_timeout));
        if (hs) {
            co_await serve_connection(&sh->env, &pipe);
        } else {
            co_await refuse_tls(sh, &pipe, hs.error());
        }
    }
    sh->unlink(&node);
    sh->counters.active.fetch_sub(1, std::memory_order_relaxed);
}

// True for accept failures that mean "out of descriptors or memory right now": back off briefly
// instead of spinning (the multishot accept ended; the next call re-arms it).
bool is_resource_shortage(std::int32_t res) noexcept
{
    return res == -ENFILE || res == -EMFILE || res == -ENOBUFS || res == -ENOMEM;
}

std::uint64_t live_connections(const shard* sh) noexcept
{
    return sh->counters.active.load(std::memory_order_relaxed);
}

void serve(shard* sh, rt::socket s, const tls::context* tls)
{
    if (tls != nullptr) {
        sh->connections.spawn(tls_connection(sh, s, tls));
    } else {
        sh->connections.spawn(connection(sh, s));
    }
}

// One arming period of the multishot accept: until shutdown, or until this ring's table is
// (nearly) full. A full table is not the listener's problem: the kernel fails the accept with
// -ENFILE after taking the connection off the queue and closes it, so the shard stops accepting
// short of its table size and lets the other reactors, armed on the same listening socket, take
// the connections meanwhile.
// Returns the live count below which accepting may resume.
rt::task<std::uint64_t> accept_while_room(shard* sh, const rt::listener* l, const tls::context* tls)
{
    std::uint64_t resume_below = sh->accept_limit;
    rt::reactor& r = *sh->env.reactor;
    rt::acceptor acc(r, *l);
    while (live_connections(sh) < sh->accept_limit) {
        const rt::io_result res = co_await acc.next();
        if (res.ok()) {
            if (sh->env.stopping) {
                (void)co_await rt::close_socket(r, rt::socket{res.res}, rt::close_mode::abort);
                break;
            }
            serve(sh, rt::socket{res.res}, tls);
            continue;
        }
        // Only shutdown cancels the accept (stop_message or the cluster's drain).
        if (res.res == -ECANCELED || sh->env.stopping) {
            break;
        }
        sh->accept_errors.fetch_add(1, std::memory_order_relaxed);
        if (res.res == -ENFILE) {
            // Slots held outside the live count (connections still closing): wait until at least
            // one connection has ended before trying again.
            resume_below = std::min(resume_below, live_connections(sh));
            break;
        }
        if (is_resource_shortage(res.res)) {
            const rt::io_result slept = co_await rt::sleep_op(r, 10ms);
            if (slept.res != 0) {
                break;
            }
        }
    }
    co_await acc.stop();
    // Connections accepted before the cancel took effect hold slots already: serve them, unless
    // the lab is stopping.
    for (;;) {
        const rt::io_result res = co_await acc.next();
        if (!res.ok()) {
            break;
        }
        if (sh->env.stopping) {
            (void)co_await rt::close_socket(r, rt::socket{res.res}, rt::close_mode::abort);
        } else {
            serve(sh, rt::socket{res.res}, tls);
        }
    }
    co_return resume_below;
}

// `tls` null: plain ws:// connections; otherwise each connection starts with the TLS handshake.
// A full shard polls (10 ms) until connections have ended, then accepts again.
rt::task<void> accept_loop(shard* sh, const rt::listener* l, const tls::context* tls)
{
    rt::reactor& r = *sh->env.reactor;
    while (!sh->env.stopping) {
        const std::uint64_t resume_below = co_await accept_while_room(sh, l, tls);
        while (!sh->env.stopping && live_connections(sh) >= resume_below) {
            const rt::io_result slept = co_await rt::sleep_op(r, 10ms);
            if (slept.res != 0) {
                co_return;
            }
        }
    }
}

// One listening socket and, for a TLS listener, its server context.
struct listening {
    rt::listener socket;
    const tls::context* tls = nullptr;
};

// Slots kept free below the table size: one multishot accept can take a burst of queued
// connections in a single task-work run before the shard sees any of them.
std::uint64_t accept_limit_for(unsigned table) noexcept
{
    const std::uint64_t reserve = std::max<std::uint64_t>(64, table / 16);
    return table > reserve ? table - reserve : table / 2;
}

rt::task<void> run_shard(shard* sh, const std::vector<listening>* listeners)
{
    sh->env.reactor = rt::reactor::current();
    if (sh->env.stopping) {
        co_return; // stopped before it started
    }
    sh->accept_limit = accept_limit_for(sh->env.reactor->report().fd_table_size);
    for (const listening& l : *listeners) {
        sh->accepting.spawn(accept_loop(sh, &l.socket, l.tls));
    }
    co_await sh->accepting.join();
    co_await sh->connections.join();
}

} // namespace

struct server::impl {
    server_config cfg;
    std::unique_ptr<log_sink> log;
    std::vector<listening> listeners;
    std::vector<rt::address> addresses;
    std::vector<rt::address> tls_addresses;
    std::vector<std::unique_ptr<shard>> shards;
    std::unique_ptr<rt::cluster> cluster;
    bool stopped = false;
};

server::server(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}

server::~server()
{
    stop();
}

const std::vector<rt::address>& server::local_addresses() const noexcept
{
    return impl_->addresses;
}

const std::vector<rt::address>& server::tls_addresses() const noexcept
{
    return impl_->tls_addresses;
}

server_stats server::stats() const noexcept
{
    server_stats s;
    for (const auto& sh : impl_->shards) {
        const session_counters& c = sh->counters;
        s.accepted += c.accepted.load(std::memory_order_relaxed);
        s.active += c.active.load(std::memory_order_relaxed);
        s.upgraded += c.upgraded.load(std::memory_order_relaxed);
        s.answered += c.answered.load(std::memory_order_relaxed);
        s.no_request += c.no_request.load(std::memory_order_relaxed);
        s.messages += c.messages.load(std::memory_order_relaxed);
        s.accept_errors += sh->accept_errors.load(std::memory_order_relaxed);
        s.tls_failed += c.tls_failed.load(std::memory_order_relaxed);
    }
    return s;
}

wsp::expected<std::unique_ptr<server>> server::start(const server_config& cfg, std::string* diagnostic)
{
    auto p = std::make_unique<impl>();
    p->cfg = cfg;
    if (p->cfg.listen.empty()) {
        p->cfg.listen.push_back(rt::address::loopback_v4(0));
    }
    for (const rt::address& a : p->cfg.listen) {
        auto l = rt::listener::open(a);
        if (!l) {
            if (diagnostic != nullptr) {
                *diagnostic = "cannot listen on " + a.to_string() + ": " + std::string(l.error().describe());
            }
            return wsp::unexpected(l.error());
        }
        p->addresses.push_back(l->local());
        p->listeners.push_back(listening{std::move(*l), nullptr});
    }
    // The contexts live in p->cfg, which the server keeps: the listeners point at them.
    for (const tls_listener& t : p->cfg.tls_listen) {
        auto l = rt::listener::open(t.address);
        if (!l) {
            if (diagnostic != nullptr) {
                *diagnostic = "cannot listen on " + t.address.to_string() + " (tls: " + t.name +
                              "): " + std::string(l.error().describe());
            }
            return wsp::unexpected(l.error());
        }
        p->tls_addresses.push_back(l->local());
        p->listeners.push_back(listening{std::move(*l), &t.context});
    }
    if (p->cfg.log) {
        p->log = std::make_unique<log_sink>(p->cfg.log_fd);
    }
    rt::cluster_config cc;
    cc.threads = p->cfg.threads;
    cc.reactor = p->cfg.reactor;
    cc.handle_signals = false;
    cc.shutdown_grace = p->cfg.limits.close_timeout + 1s;
    auto c = rt::cluster::start(cc, diagnostic);
    if (!c) {
        return wsp::unexpected(c.error());
    }
    p->cluster = std::move(*c);
    for (std::size_t i = 0; i < p->cluster->size(); ++i) {
        p->shards.push_back(std::make_unique<shard>(p->cfg.limits, p->log.get()));
    }
    for (std::size_t i = 0; i < p->shards.size(); ++i) {
        auto ok = p->cluster->spawn(i, run_shard(p->shards[i].get(), &p->listeners));
        if (!ok) {
            if (diagnostic != nullptr) {
                *diagnostic =
                    "cannot start reactor " + std::to_string(i) + ": " + std::string(ok.error().describe());
            }
            p->cluster->join();
            return wsp::unexpected(ok.error());
        }
    }
    return std::unique_ptr<server>(new server(std::move(p)));
}

void server::stop()
{
    if (impl_ == nullptr || impl_->stopped) {
        return;
    }
    impl_->stopped = true;
    for (std::size_t i = 0; i < impl_->shards.size(); ++i) {
        (void)impl_->cluster->post(i, impl_->shards[i]->stop);
    }
    impl_->cluster->join();
}

} // namespace wsp::lab
