// Sockets on direct descriptors: addresses, connect (refused, deadline, cancel, IPv6, source
// address), recv cancel and linked timeouts, abortive close, and 10,000 concurrent connects
// against an overflowing accept queue, each one accounted for within a deadline.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/runtime/recv_stream.h"
#include "rt_test_support.h"

namespace wsp::rt {
namespace {

using namespace std::chrono_literals;

TEST(address, parses_numeric_literals_only)
{
    auto v4 = address::parse("127.0.0.1", 8080);
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->family(), AF_INET);
    EXPECT_EQ(v4->to_string(), "127.0.0.1:8080");
    auto v6 = address::parse("[::1]", 443);
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->family(), AF_INET6);
    EXPECT_EQ(v6->to_string(), "[::1]:443");
    EXPECT_EQ(address::parse("example.com", 80).error(), errc::bad_address);
    EXPECT_EQ(address::parse("", 80).error(), errc::bad_address);
    EXPECT_EQ(address::parse("1.2.3.4.5", 80).error(), errc::bad_address);
}

task<wsp::expected<connected>> connect_once(reactor& r, address to, connect_options opt)
{
    auto c = co_await connect_tcp(r, to, opt);
    if (c) {
        (void)co_await close_socket(r, c->sock, close_mode::abort);
    }
    co_return c;
}

TEST(socket, connect_to_a_closed_port_is_refused)
{
    WSP_RT_REACTOR(r);
    address to;
    {
        auto l = listener::open(address::loopback_v4(0));
        ASSERT_TRUE(l);
        to = l->local();
    }
    auto c = sync_wait(r, connect_once(r, to, connect_options{}));
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error(), errc::connection_refused);
    EXPECT_EQ(c.error().cls(), failure_class::refused);
    EXPECT_EQ(r.in_flight(), 0U);
}

struct transfer_result {
    std::string got;
    wsp::error err{};
};

task<void> ping_over(reactor& r, const listener* l, transfer_result* out)
{
    auto pair = co_await test::connect_pair(r, l);
    if (!pair) {
        out->err = pair.error();
        co_return;
    }
    static constexpr char msg[] = "ping6";
    const io_result sent = co_await send_all_op(r, pair->client, std::as_bytes(std::span(msg, 5)));
    std::array<std::byte, 16> buf{};
    const io_result got = co_await recv_op(r, pair->server, buf);
    if (sent.res == 5 && got.res > 0) {
        out->got.assign(reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(got.res));
    }
    co_await test::close_pair(r, *pair);
}

TEST(socket, ipv6_loopback_round_trip)
{
    WSP_RT_REACTOR(r);
    auto l = listener::open(address::loopback_v6(0));
    if (!l && l.error() == errc::address_family_unsupported) {
        GTEST_SKIP() << "IPv6 disabled on this host";
    }
    ASSERT_TRUE(l);
    transfer_result out;
    sync_wait(r, ping_over(r, &*l, &out));
    EXPECT_FALSE(out.err) << out.err.name();
    EXPECT_EQ(out.got, "ping6");
}

task<wsp::expected<connected>> connect_from(reactor& r, address to, address source)
{
    connect_options opt;
    opt.source = source;
    co_return co_await connect_tcp(r, to, opt);
}

TEST(socket, source_address_is_bound_before_connect)
{
    WSP_RT_REACTOR(r);
    auto l = listener::open(address::loopback_v4(0));
    ASSERT_TRUE(l);
    auto src = address::parse("127.0.0.2", 0);
    ASSERT_TRUE(src);
    auto c = sync_wait(r, connect_from(r, l->local(), *src));
    ASSERT_TRUE(c) << c.error().name();
    // The handshake completed; accept with a plain syscall to read the peer address.
    sockaddr_in peer{};
    socklen_t len = sizeof(peer);
    const int fd = ::accept(l->fd(), reinterpret_cast<sockaddr*>(&peer), &len);
    ASSERT_GE(fd, 0);
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &peer.sin_addr, text, sizeof(text));
    EXPECT_STREQ(text, "127.0.0.2");
    ::close(fd);
    (void)sync_wait(r, close_socket(r, c->sock, close_mode::abort));
}

struct recv_cancel_result {
    io_result recv{};
    io_result cancel{};
    io_result timed{};
    std::int64_t timed_elapsed = 0;
    io_result in_time{};
};

task<void> recv_forever(reactor& r, socket s, io_result* out)
{
    std::array<std::byte, 64> buf{};
    *out = co_await recv_op(r, s, buf);
}

task<void> recv_cancel_and_deadline(reactor& r, const listener* l, recv_cancel_result* out)
{
    auto pair = co_await test::connect_pair(r, l);
    if (!pair) {
        co_return;
    }
    {
        scope s;
        s.spawn(recv_forever(r, pair->client, &out->recv));
        out->cancel = co_await cancel_op(r, pair->client);
        co_await s.join();
    }
    std::array<std::byte, 64> buf{};
    const std::int64_t start = mono_now();
    out->timed = co_await with_deadline(recv_op(r, pair->client, buf), deadline::after(50ms));
    out->timed_elapsed = out->timed.stamp_ns - start;
    static constexpr char msg[] = "x";
    (void)co_await send_op(r, pair->server, std::as_bytes(std::span(msg, 1)));
    out->in_time = co_await with_deadline(recv_op(r, pair->client, buf), deadline::after(5s));
    co_await test::close_pair(r, *pair);
}

TEST(socket, pending_recv_cancel_and_linked_timeout_expiry)
{
    WSP_RT_REACTOR(r);
    auto l = listener::open(address::loopback_v4(0));
    ASSERT_TRUE(l);
    recv_cancel_result out;
    sync_wait(r, recv_cancel_and_deadline(r, &*l, &out));
    EXPECT_EQ(out.cancel.res, 1); // one request matched on that descriptor
    EXPECT_EQ(out.recv.error(), errc::cancelled);
    EXPECT_EQ(out.timed.error(), errc::timeout);
    EXPECT_GE(out.timed_elapsed, 50'000'000);
    EXPECT_EQ(out.in_time.res, 1);
    EXPECT_EQ(r.in_flight(), 0U);
}

struct backlog_result {
    std::vector<socket> established;
    wsp::error timed_out{};
    io_result cancelled{};
    io_result cancel_req{};
};

task<void> connect_pending(reactor& r, socket s, address to, io_result* out)
{
    *out = co_await connect_op(r, s, to);
}

task<void> full_backlog(reactor& r, const listener* l, backlog_result* out)
{
    // Backlog 0 holds one connection; with nobody accepting, later SYNs are dropped, so a connect
    // stays pending (SYN retransmits) until its deadline or a cancel.
    for (int i = 0; i < 8; ++i) {
        connect_options opt;
        opt.until = deadline::after(200ms);
        auto c = co_await connect_tcp(r, l->local(), opt);
        if (!c) {
            out->timed_out = c.error();
            break;
        }
        out->established.push_back(c->sock);
    }
    const io_result so = co_await socket_op(r, AF_INET);
    if (so.ok()) {
        scope s;
        s.spawn(connect_pending(r, socket{so.res}, l->local(), &out->cancelled));
        (void)co_await sleep_op(r, 20ms);
        out->cancel_req = co_await cancel_op(r, socket{so.res});
        co_await s.join();
        (void)co_await close_op(r, socket{so.res});
    }
    for (socket s : out->established) {
        (void)co_await close_socket(r, s, close_mode::abort);
    }
}

TEST(socket, connect_deadline_and_cancel_against_a_full_backlog)
{
    WSP_RT_REACTOR(r);
    auto l = listener::open(address::loopback_v4(0), 0);
    ASSERT_TRUE(l);
    backlog_result out;
    sync_wait(r, full_backlog(r, &*l, &out));
    EXPECT_GE(out.established.size(), 1U);
    EXPECT_LT(out.established.size(), 8U);
    EXPECT_EQ(out.timed_out, errc::timeout);
    EXPECT_EQ(out.cancel_req.res, 1);
    EXPECT_EQ(out.cancelled.error(), errc::cancelled);
    EXPECT_EQ(r.in_flight(), 0U);
}

struct abort_result {
    wsp::error server_saw{};
};

task<void> abort_close(reactor& r, const listener* l, abort_result* out)
{
    auto pair = co_await test::connect_pair(r, l);
    if (!pair) {
        co_return;
    }
    (void)co_await close_socket(r, pair->client, close_mode::abort);
    recv_stream rs(r, pair->server);
    recv_chunk c = co_await rs.next(deadline::after(2s));
    out->server_saw = c.error();
    co_await rs.stop();
    (void)co_await close_op(r, pair->server);
}

TEST(socket, abortive_close_resets_the_peer)
{
    WSP_RT_REACTOR(r);
    auto l = listener::open(address::loopback_v4(0));
    ASSERT_TRUE(l);
    abort_result out;
    sync_wait(r, abort_close(r, &*l, &out));
    EXPECT_EQ(out.server_saw, errc::connection_reset);
}

// Every one of the `count` clients ends in exactly one outcome, and every failure is kept with
// the phase and error that caused it, so a failing run says what was missing.
struct mass_result {
    std::size_t connected = 0;                 // connect succeeded
    std::size_t released = 0;                  // ...and the server's close (EOF or reset) arrived
    std::size_t closed = 0;                    // client close CQE was 0
    std::uint64_t accepted = 0;                // server: accepted slots
    std::size_t server_closed = 0;             // server: close CQE was 0, after the client's byte
    std::map<std::string, std::size_t> errors; // "phase:error_name" -> count

    void note(const char* phase, std::string_view what)
    {
        ++errors[std::string(phase) + ":" + std::string(what)];
    }
    void note(const char* phase, const wsp::error& e) { note(phase, e.name()); }

    [[nodiscard]] std::string summary() const
    {
        std::string s = "connected=" + std::to_string(connected) + " released=" + std::to_string(released) +
                        " closed=" + std::to_string(closed) + " accepted=" + std::to_string(accepted) +
                        " server_closed=" + std::to_string(server_closed);
        for (const auto& [what, n] : errors) {
            s += " " + what + "=" + std::to_string(n);
        }
        return s;
    }
};

task<void> one_client(reactor& r, address to, deadline until, mass_result* out)
{
    connect_options opt;
    opt.until = until;
    auto c = co_await connect_tcp(r, to, opt);
    if (!c) {
        out->note("connect", c.error());
        co_return;
    }
    ++out->connected;
    // A finished connect only means this side got the SYN-ACK. If the listener's accept queue
    // was full when our ACK arrived, the server dropped that ACK (tcp_abort_on_overflow = 0) and
    // still holds a half-open request; closing now would reset it and the server would never
    // accept this connection. So stay until the server has accepted, read our byte and closed.
    // The byte's retransmissions complete the handshake as soon as the queue has room.
    static constexpr char ping[] = "x";
    const io_result sent = co_await send_all_op(r, c->sock, std::as_bytes(std::span(ping, 1)), until);
    if (sent.ok()) {
        std::array<std::byte, 8> buf{};
        const io_result got = co_await with_deadline(recv_op(r, c->sock, buf), until);
        if (got.res == 0 || got.error() == errc::connection_reset) {
            ++out->released;
        } else if (got.res > 0) {
            out->note("wait_for_server_close", "unexpected_data");
        } else {
            out->note("wait_for_server_close", got.error());
        }
    } else {
        out->note("send", sent.error());
    }
    const io_result closed = co_await close_socket(r, c->sock, close_mode::abort);
    if (closed.ok()) {
        ++out->closed;
    } else {
        out->note("close", closed.error());
    }
}

// Closes only after the client's byte arrived: closing earlier could overtake the client's own
// connect completion and turn it into connection_reset. The close is graceful on purpose: a FIN
// is retransmitted, while a reset is sent once, and loopback drops packets when its backlog
// (net.core.netdev_max_backlog) overflows, which would leave the client waiting.
task<void> serve_one(reactor& r, socket s, deadline until, mass_result* out)
{
    std::array<std::byte, 8> buf{};
    const io_result got = co_await with_deadline(recv_op(r, s, buf), until);
    if (got.res <= 0) {
        out->note("server_recv", got.res == 0 ? wsp::error(errc::peer_closed) : got.error());
    }
    const io_result closed = co_await close_socket(r, s, close_mode::graceful);
    if (closed.ok()) {
        ++out->server_closed;
    } else {
        out->note("server_close", closed.error());
    }
}

// Accepts until stop(): next() hands out what is queued, then yields -ECANCELED. Other errors
// (fd_table_full, ...) end one arming; they are counted and the next call re-arms.
task<void> accept_all(reactor& r, acceptor* acc, std::size_t count, deadline until, mass_result* out)
{
    scope conns;
    std::size_t errors = 0;
    for (;;) {
        const io_result a = co_await acc->next();
        if (a.ok()) {
            ++out->accepted;
            conns.spawn(serve_one(r, socket{a.res}, until, out));
            continue;
        }
        if (a.res == -ECANCELED) {
            break;
        }
        out->note("accept", direct_alloc_error(a.res));
        if (++errors > count) {
            break; // a listener that only fails; the counts report it
        }
    }
    co_await conns.join();
}

task<void> mass_connect(reactor& r, const listener* l, std::size_t count, deadline until, mass_result* out)
{
    acceptor acc(r, *l);
    scope server;
    server.spawn(accept_all(r, &acc, count, until, out));
    scope clients;
    for (std::size_t i = 0; i < count; ++i) {
        clients.spawn(one_client(r, l->local(), until, out));
    }
    // Bounded: every client wait carries `until`, so this ends even if the server lost some.
    co_await clients.join();
    co_await acc.stop();
    co_await server.join();
}

TEST(socket, ten_thousand_concurrent_connects_are_all_accounted_for)
{
    constexpr std::size_t count = 10'000;
    // Clients hold their slot until the server has accepted: up to 2 x count slots at once.
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2 * count + 64) {
        rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, 2 * count + 64);
        (void)::setrlimit(RLIMIT_NOFILE, &rl);
    }
    WSP_RT_REACTOR(r);
    // somaxconn (often 4096) clamps the backlog below `count`: the accept queue overflows while
    // the connects race, and TCP retransmissions have to recover every connection.
    auto l = listener::open(address::loopback_v4(0), 4096);
    ASSERT_TRUE(l);
    mass_result out;
    // Generous for a loaded 2-core machine (alone it takes a few seconds); it exists so that a
    // lost connection is reported, never waited for forever.
    sync_wait(r, mass_connect(r, &*l, count, deadline::after(90s), &out));
    const std::string why = out.summary();
    EXPECT_EQ(out.connected, count) << why;
    EXPECT_EQ(out.released, count) << why;
    EXPECT_EQ(out.closed, count) << why;
    EXPECT_EQ(out.accepted, count) << why;
    EXPECT_EQ(out.server_closed, count) << why;
    EXPECT_TRUE(out.errors.empty()) << why;
    EXPECT_EQ(r.in_flight(), 0U);
}

} // namespace
} // namespace wsp::rt
