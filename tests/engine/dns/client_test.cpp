// The resolver on a real io_uring reactor: polls on c-ares sockets, timers on the timer heap.
#include "engine/dns/client.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/dns/error.h"
#include "engine/runtime/clock.h"
#include "tests/engine/dns/fake_dns_server.h"
#include "tests/engine/runtime/rt_test_support.h"

namespace {

using namespace wsp;
using wsp::dns::address_family;

dns::resolver_options options_for(const dns::test::fake_dns_server& s)
{
    dns::resolver_options o;
    o.servers = {s.endpoint()};
    o.lookup_timeout_ns = 300'000'000;
    return o;
}

struct outcome {
    bool ok = false;
    std::vector<std::string> addresses;
    wsp::error error;
    std::int64_t elapsed_ns = 0;
};

rt::task<outcome> lookup(dns::client& c, std::string host, address_family f)
{
    outcome out;
    const auto start = rt::mono_now();
    auto r = co_await c.resolve(host, f, 300'000'000);
    out.elapsed_ns = rt::mono_now() - start;
    if (r) {
        out.ok = true;
        for (const auto& a : r->addresses()) {
            out.addresses.push_back(a.to_string());
        }
        EXPECT_GE(r->done_ns, start);
    } else {
        out.error = r.error();
    }
    co_return out;
}

template <class Body>
rt::task<void> with_client(rt::reactor& r, dns::resolver_options o, Body body)
{
    auto c = dns::client::create(r, o);
    EXPECT_TRUE(c);
    if (!c) {
        co_return;
    }
    co_await body(**c);
    co_await (*c)->close();
}

} // namespace

TEST(dns_client, resolves_through_a_loopback_server_on_the_reactor)
{
    WSP_RT_REACTOR(r);
    dns::test::fake_dns_server server({{"known.wsprobe.test", dns::test::reply::answer, {"192.0.2.10"}, {"2001:db8::10"}},
                                       {"gone.wsprobe.test", dns::test::reply::nxdomain, {}, {}},
                                       {"mute.wsprobe.test", dns::test::reply::silent, {}, {}}});
    std::vector<outcome> results;
    rt::sync_wait(r, with_client(r, options_for(server), [&](dns::client& c) -> rt::task<void> {
                      results.push_back(co_await lookup(c, "known.wsprobe.test", address_family::any));
                      results.push_back(co_await lookup(c, "gone.wsprobe.test", address_family::any));
                      results.push_back(co_await lookup(c, "mute.wsprobe.test", address_family::v4));
                      results.push_back(co_await lookup(c, "127.0.0.1", address_family::any));
                      results.push_back(co_await lookup(c, "", address_family::any));
                  }));
    ASSERT_EQ(results.size(), 5u);
    EXPECT_TRUE(results[0].ok);
    EXPECT_EQ(results[0].addresses, (std::vector<std::string>{"192.0.2.10", "2001:db8::10"}));
    EXPECT_FALSE(results[1].ok);
    EXPECT_TRUE(results[1].error == dns::errc::not_found) << results[1].error.name();
    EXPECT_FALSE(results[2].ok);
    EXPECT_TRUE(results[2].error == dns::errc::timeout) << results[2].error.name();
    EXPECT_GE(results[2].elapsed_ns, 290'000'000);
    EXPECT_TRUE(results[3].ok);
    EXPECT_EQ(results[3].addresses, std::vector<std::string>{"127.0.0.1"});
    EXPECT_TRUE(results[4].error == dns::errc::bad_name) << results[4].error.name();
    EXPECT_EQ(r.in_flight(), 0u);
}

TEST(dns_client, localhost_comes_from_etc_hosts)
{
    WSP_RT_REACTOR(r);
    outcome got;
    rt::sync_wait(r, with_client(r, dns::resolver_options{}, [&](dns::client& c) -> rt::task<void> {
                      got = co_await lookup(c, "localhost", address_family::v4);
                  }));
    ASSERT_TRUE(got.ok) << got.error.name();
    EXPECT_EQ(got.addresses.at(0), "127.0.0.1");
}

TEST(dns_client, many_concurrent_lookups_all_complete)
{
    WSP_RT_REACTOR(r);
    dns::test::fake_dns_server server({{"known.wsprobe.test", dns::test::reply::answer, {"192.0.2.10"}, {}}});
    constexpr int n = 100;
    int ok = 0;
    rt::sync_wait(r, with_client(r, options_for(server), [&](dns::client& c) -> rt::task<void> {
                      rt::scope s;
                      for (int i = 0; i < n; ++i) {
                          s.spawn([](dns::client& cc, int* count) -> rt::task<void> {
                              auto res = co_await lookup(cc, "known.wsprobe.test", address_family::v4);
                              *count += res.ok ? 1 : 0;
                          }(c, &ok));
                      }
                      co_await s.join();
                  }));
    EXPECT_EQ(ok, n);
    EXPECT_EQ(r.in_flight(), 0u);
}

TEST(dns_client, close_cancels_a_lookup_in_flight)
{
    WSP_RT_REACTOR(r);
    dns::test::fake_dns_server server({{"mute.wsprobe.test", dns::test::reply::silent, {}, {}}});
    outcome got;
    bool finished = false;
    rt::sync_wait(r, [](rt::reactor& rr, dns::resolver_options o, outcome* g, bool* fin) -> rt::task<void> {
        auto c = dns::client::create(rr, o);
        rt::scope s;
        s.spawn([](dns::client& cc, outcome* gg, bool* f) -> rt::task<void> {
            *gg = co_await lookup(cc, "mute.wsprobe.test", address_family::v4);
            *f = true;
        }(**c, g, fin));
        (void)co_await rt::sleep_op(rr, std::chrono::milliseconds(20));
        co_await (*c)->close();
        co_await s.join();
    }(r, options_for(server), &got, &finished));
    EXPECT_TRUE(finished);
    EXPECT_TRUE(got.error == dns::errc::cancelled) << got.error.name();
    EXPECT_EQ(r.in_flight(), 0u);
}
