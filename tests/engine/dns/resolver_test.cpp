// Tests of engine/dns/resolver.cpp against /etc/hosts and a UDP responder on 127.0.0.1, driven by
// a poll(2) loop the way a reactor drives it.
#include "engine/dns/resolver.h"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "tests/engine/dns/fake_dns_server.h"
#include "tests/engine/dns/poll_driver.h"

namespace wsp::dns {
namespace {

using test::drive;
using test::monotonic_ns;
using test::recorder;
using test::reply;

constexpr std::int64_t ms = 1'000'000;

std::vector<test::zone_entry> test_zone()
{
    return {
        {"known.wsprobe.test", reply::answer, {"192.0.2.10", "192.0.2.11"}, {"2001:db8::10"}},
        {"v4only.wsprobe.test", reply::answer, {"192.0.2.20"}, {}},
        {"servfail.wsprobe.test", reply::servfail, {}, {}},
        {"refused.wsprobe.test", reply::refused, {}, {}},
        {"silent.wsprobe.test", reply::silent, {}, {}},
    };
}

class resolver_test : public ::testing::Test {
protected:
    resolver make(resolver_options options = {})
    {
        options.servers = {server_.endpoint()};
        auto r = resolver::create(options);
        EXPECT_TRUE(r) << (r ? "" : r.error().name());
        return std::move(*r);
    }

    // Starts one lookup, drives it to completion and returns its single outcome.
    test::recorded_outcome resolve(resolver& r, std::string_view host, address_family family = address_family::any)
    {
        recorder rec;
        auto id = r.start(host, family, rec, monotonic_ns());
        EXPECT_TRUE(id) << (id ? "" : id.error().name());
        EXPECT_TRUE(drive(r, [&] { return !rec.outcomes.empty(); }));
        EXPECT_EQ(rec.outcomes.size(), 1U);
        if (rec.outcomes.empty()) {
            return {};
        }
        EXPECT_EQ(rec.outcomes[0].id, *id);
        EXPECT_EQ(rec.outcomes[0].host, host);
        EXPECT_EQ(rec.outcomes[0].family, family);
        return rec.outcomes[0];
    }

    test::fake_dns_server server_{test_zone()};
};

TEST(resolver_hosts, localhost_resolves_through_etc_hosts)
{
    auto r = resolver::create({});
    ASSERT_TRUE(r) << r.error().name();
    recorder rec;
    ASSERT_TRUE(r->start("localhost", address_family::any, rec, monotonic_ns()));
    ASSERT_TRUE(drive(*r, [&] { return !rec.outcomes.empty(); }));
    ASSERT_EQ(rec.outcomes.size(), 1U);
    ASSERT_FALSE(rec.outcomes[0].failure) << rec.outcomes[0].failure.name();
    const auto texts = rec.outcomes[0].texts();
    ASSERT_FALSE(texts.empty());
    for (const auto& t : texts) {
        EXPECT_TRUE(t == "127.0.0.1" || t == "::1") << t;
    }
}

TEST_F(resolver_test, localhost_is_answered_without_querying_the_pinned_server)
{
    auto r = make();
    const auto out = resolve(r, "localhost", address_family::v4);
    ASSERT_FALSE(out.failure) << out.failure.name();
    EXPECT_EQ(out.texts(), std::vector<std::string>{"127.0.0.1"});
    EXPECT_EQ(server_.queries(), 0U);
}

TEST_F(resolver_test, known_name_gives_a_then_aaaa_in_answer_order)
{
    auto r = make();
    const auto out = resolve(r, "known.wsprobe.test");
    ASSERT_FALSE(out.failure) << out.failure.name();
    EXPECT_EQ(out.texts(), (std::vector<std::string>{"192.0.2.10", "192.0.2.11", "2001:db8::10"}));
    EXPECT_EQ(out.addresses[0].family(), address_family::v4);
    EXPECT_EQ(out.addresses[2].family(), address_family::v6);
    EXPECT_EQ(out.addresses[0].port(), 0);
    EXPECT_EQ(out.addresses[2].with_port(443).port(), 443);
    EXPECT_GE(server_.queries(), 2U);
}

TEST_F(resolver_test, ipv6_first_preference_puts_aaaa_first)
{
    resolver_options o;
    o.preference = address_preference::ipv6_first;
    auto r = make(o);
    const auto out = resolve(r, "known.wsprobe.test");
    ASSERT_FALSE(out.failure) << out.failure.name();
    EXPECT_EQ(out.texts(), (std::vector<std::string>{"2001:db8::10", "192.0.2.10", "192.0.2.11"}));
}

TEST_F(resolver_test, family_restricts_the_records_asked_for)
{
    auto r = make();
    const auto v4 = resolve(r, "known.wsprobe.test", address_family::v4);
    ASSERT_FALSE(v4.failure) << v4.failure.name();
    EXPECT_EQ(v4.texts(), (std::vector<std::string>{"192.0.2.10", "192.0.2.11"}));
    const auto v6 = resolve(r, "known.wsprobe.test", address_family::v6);
    ASSERT_FALSE(v6.failure) << v6.failure.name();
    EXPECT_EQ(v6.texts(), (std::vector<std::string>{"2001:db8::10"}));
}

TEST_F(resolver_test, max_addresses_caps_the_result)
{
    resolver_options o;
    o.max_addresses = 1;
    auto r = make(o);
    const auto out = resolve(r, "known.wsprobe.test", address_family::v4);
    ASSERT_FALSE(out.failure) << out.failure.name();
    EXPECT_EQ(out.texts(), std::vector<std::string>{"192.0.2.10"});
}

TEST_F(resolver_test, nxdomain_is_not_found)
{
    auto r = make();
    const auto out = resolve(r, "nope.wsprobe.test");
    EXPECT_TRUE(out.failure.is(errc::not_found)) << out.failure.name();
    EXPECT_EQ(out.failure.name(), "not_found");
    EXPECT_EQ(out.failure.cls(), wsp::failure_class::dns);
    EXPECT_EQ(failure_sentence(out.host, out.family, out.failure),
              "DNS lookup of nope.wsprobe.test failed: name does not exist (NXDOMAIN)");
}

TEST_F(resolver_test, servfail_is_server_failure)
{
    auto r = make();
    const auto out = resolve(r, "servfail.wsprobe.test");
    EXPECT_TRUE(out.failure.is(errc::server_failure)) << out.failure.name();
    EXPECT_EQ(out.failure.cls(), wsp::failure_class::dns);
    EXPECT_EQ(failure_sentence(out.host, out.family, out.failure),
              "DNS lookup of servfail.wsprobe.test failed: the DNS server failed to answer (SERVFAIL)");
}

TEST_F(resolver_test, refused_rcode_is_refused)
{
    auto r = make();
    const auto out = resolve(r, "refused.wsprobe.test");
    EXPECT_TRUE(out.failure.is(errc::refused)) << out.failure.name();
    EXPECT_EQ(failure_sentence(out.host, out.family, out.failure),
              "DNS lookup of refused.wsprobe.test failed: the DNS server refused the query (REFUSED)");
}

TEST_F(resolver_test, name_without_records_of_the_family_is_no_data)
{
    auto r = make();
    // Absolute name, so search domains of the host's resolv.conf cannot turn NODATA into NXDOMAIN.
    const auto out = resolve(r, "v4only.wsprobe.test.", address_family::v6);
    EXPECT_TRUE(out.failure.is(errc::no_data)) << out.failure.name();
    EXPECT_EQ(failure_sentence(out.host, out.family, out.failure),
              "DNS lookup of v4only.wsprobe.test. failed: name has no IPv6 address (NODATA)");
    const auto any = resolve(r, "v4only.wsprobe.test.", address_family::any);
    ASSERT_FALSE(any.failure) << any.failure.name();
    EXPECT_EQ(any.texts(), std::vector<std::string>{"192.0.2.20"});
}

TEST_F(resolver_test, silent_server_times_out_within_the_lookup_timeout)
{
    resolver_options o;
    o.lookup_timeout_ns = 300 * ms;
    auto r = make(o);
    const auto out = resolve(r, "silent.wsprobe.test");
    EXPECT_TRUE(out.failure.is(errc::timeout)) << out.failure.name();
    EXPECT_EQ(out.failure.cls(), wsp::failure_class::timeout);
    EXPECT_EQ(failure_sentence(out.host, out.family, out.failure),
              "DNS lookup of silent.wsprobe.test failed: no answer from the DNS server before the lookup timeout");
    EXPECT_GE(server_.queries(), 1U);
}

TEST_F(resolver_test, deadline_follows_the_now_the_driver_passes)
{
    resolver_options o;
    o.lookup_timeout_ns = 300 * ms;
    // c-ares' own retry timer must not end the query first; only our deadline may.
    o.attempt_timeout_ns = 60'000 * ms;
    auto r = make(o);
    recorder rec;
    const std::int64_t t0 = 1'000 * ms;
    ASSERT_TRUE(r.start("silent.wsprobe.test", address_family::v4, rec, t0));
    ASSERT_EQ(r.next_deadline(t0), t0 + 300 * ms);
    r.process_timeouts(t0 + 299 * ms);
    EXPECT_TRUE(rec.outcomes.empty());
    EXPECT_EQ(r.pending(), 1U);
    r.process_timeouts(t0 + 300 * ms);
    ASSERT_EQ(rec.outcomes.size(), 1U);
    EXPECT_TRUE(rec.outcomes[0].failure.is(errc::timeout));
    EXPECT_EQ(r.pending(), 0U);
    // The c-ares query still holds its slot until it ends by itself or the resolver goes away.
    EXPECT_EQ(r.slots_in_use(), 1U);
}

TEST_F(resolver_test, per_lookup_timeout_overrides_the_default)
{
    resolver_options o;
    o.attempt_timeout_ns = 60'000 * ms;
    auto r = make(o);
    recorder rec;
    ASSERT_TRUE(r.start("silent.wsprobe.test", address_family::v4, rec, 0, 20 * ms));
    EXPECT_EQ(r.next_deadline(0), 20 * ms);
    r.process_timeouts(20 * ms);
    ASSERT_EQ(rec.outcomes.size(), 1U);
    EXPECT_TRUE(rec.outcomes[0].failure.is(errc::timeout));
    EXPECT_FALSE(r.start("silent.wsprobe.test", address_family::v4, rec, 0, 0));
}

TEST_F(resolver_test, numeric_literals_resolve_without_a_query_and_outside_start)
{
    auto r = make();
    recorder rec;
    const std::int64_t now = monotonic_ns();
    ASSERT_TRUE(r.start("192.0.2.55", address_family::any, rec, now));
    ASSERT_TRUE(r.start("2001:db8::1", address_family::any, rec, now));
    ASSERT_TRUE(r.start("::1", address_family::v6, rec, now));
    ASSERT_TRUE(r.start("192.0.2.55", address_family::v6, rec, now));
    // Never delivered from inside start(); due at once.
    EXPECT_TRUE(rec.outcomes.empty());
    EXPECT_EQ(r.next_deadline(now), now);
    r.process_timeouts(now);
    ASSERT_EQ(rec.outcomes.size(), 4U);
    EXPECT_EQ(rec.outcomes[0].texts(), std::vector<std::string>{"192.0.2.55"});
    EXPECT_EQ(rec.outcomes[1].texts(), std::vector<std::string>{"2001:db8::1"});
    EXPECT_EQ(rec.outcomes[2].texts(), std::vector<std::string>{"::1"});
    EXPECT_TRUE(rec.outcomes[3].failure.is(errc::no_data));
    EXPECT_EQ(server_.queries(), 0U);
    EXPECT_EQ(r.next_deadline(now), std::nullopt);
    EXPECT_EQ(r.slots_in_use(), 0U);
}

TEST_F(resolver_test, empty_and_malformed_names_fail_synchronously)
{
    auto r = make();
    recorder rec;
    const std::string long_label(64, 'a');
    const std::string nul_inside("bad\0name", 8);
    for (std::string_view host : {std::string_view(""), std::string_view("a..b"), std::string_view(".a"),
                                  std::string_view("-a.test"), std::string_view("exa mple.test"),
                                  std::string_view("[::1]"), std::string_view(long_label),
                                  std::string_view(nul_inside), std::string_view("fe80::1%eth0")}) {
        auto id = r.start(host, address_family::any, rec, 0);
        ASSERT_FALSE(id) << host;
        EXPECT_TRUE(id.error().is(errc::bad_name)) << host;
    }
    r.process_timeouts(0);
    EXPECT_TRUE(rec.outcomes.empty());
    EXPECT_EQ(server_.queries(), 0U);
    EXPECT_EQ(r.pending(), 0U);
    EXPECT_EQ(failure_sentence("", address_family::any, errc::bad_name),
              "DNS lookup of \"\" failed: not a valid host name");
}

TEST_F(resolver_test, cancelled_lookup_never_reaches_its_handler)
{
    resolver_options o;
    o.lookup_timeout_ns = 100 * ms;
    auto r = make(o);
    auto silent = std::make_unique<recorder>();
    recorder literal;
    const std::int64_t now = monotonic_ns();
    auto a = r.start("silent.wsprobe.test", address_family::any, *silent, now);
    auto b = r.start("192.0.2.1", address_family::any, literal, now);
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    EXPECT_TRUE(r.cancel(*a));
    EXPECT_TRUE(r.cancel(*b));
    EXPECT_FALSE(r.cancel(*a));
    EXPECT_FALSE(r.cancel(lookup_id{}));
    EXPECT_EQ(r.pending(), 0U);
    // The handler may go away right after cancel().
    silent.reset();
    // Run past the deadline, in real time and then by passing a late `now`: nothing is delivered.
    drive(r, [] { return false; }, std::chrono::milliseconds(150));
    r.process_timeouts(now + 10'000 * ms);
    EXPECT_TRUE(literal.outcomes.empty());
    // The resolver stays usable and ids are not confused with the cancelled ones.
    const auto out = resolve(r, "known.wsprobe.test", address_family::v4);
    ASSERT_FALSE(out.failure) << out.failure.name();
    EXPECT_NE(out.id, *a);
    EXPECT_NE(out.id, *b);
}

TEST_F(resolver_test, two_hundred_concurrent_lookups_all_complete)
{
    resolver_options o;
    o.socket_receive_buffer = 1 << 20;
    o.max_lookups = 256;
    auto r = make(o);
    recorder rec;
    constexpr std::size_t count = 200;
    const std::int64_t now = monotonic_ns();
    const std::array<std::string_view, 4> hosts{"known.wsprobe.test", "nope.wsprobe.test", "v4only.wsprobe.test",
                                                "198.51.100.7"};
    std::vector<lookup_id> ids;
    for (std::size_t i = 0; i < count; ++i) {
        auto id = r.start(hosts[i % hosts.size()], address_family::v4, rec, now);
        ASSERT_TRUE(id) << id.error().name();
        ids.push_back(*id);
    }
    EXPECT_EQ(r.pending(), count);
    ASSERT_TRUE(drive(r, [&] { return rec.outcomes.size() == count; }, std::chrono::milliseconds(10000)));
    std::size_t known = 0;
    std::size_t missing = 0;
    for (const auto& out : rec.outcomes) {
        if (out.host == "nope.wsprobe.test") {
            EXPECT_TRUE(out.failure.is(errc::not_found)) << out.failure.name();
            ++missing;
        } else if (out.host == "known.wsprobe.test") {
            EXPECT_EQ(out.texts(), (std::vector<std::string>{"192.0.2.10", "192.0.2.11"}));
            ++known;
        } else if (out.host == "v4only.wsprobe.test") {
            EXPECT_EQ(out.texts(), std::vector<std::string>{"192.0.2.20"});
        } else {
            EXPECT_EQ(out.texts(), std::vector<std::string>{"198.51.100.7"});
        }
    }
    EXPECT_EQ(known, count / 4);
    EXPECT_EQ(missing, count / 4);
    EXPECT_EQ(r.pending(), 0U);
    EXPECT_EQ(r.slots_in_use(), 0U);
}

TEST_F(resolver_test, limit_on_lookups_in_flight)
{
    recorder rec;
    resolver_options o;
    o.max_lookups = 2;
    auto r = make(o);
    ASSERT_TRUE(r.start("192.0.2.1", address_family::any, rec, 0));
    ASSERT_TRUE(r.start("192.0.2.2", address_family::any, rec, 0));
    auto third = r.start("192.0.2.3", address_family::any, rec, 0);
    ASSERT_FALSE(third);
    EXPECT_TRUE(third.error().is(errc::too_many_lookups));
    EXPECT_EQ(third.error().cls(), wsp::failure_class::limit);
    r.process_timeouts(0);
    EXPECT_EQ(rec.outcomes.size(), 2U);
    EXPECT_TRUE(r.start("192.0.2.3", address_family::any, rec, 0));
}

TEST_F(resolver_test, destroying_the_resolver_cancels_lookups_in_flight)
{
    recorder rec;
    {
        auto r = make();
        ASSERT_TRUE(r.start("silent.wsprobe.test", address_family::any, rec, monotonic_ns()));
        ASSERT_TRUE(r.start("silent.wsprobe.test", address_family::v6, rec, monotonic_ns()));
        ASSERT_TRUE(r.start("192.0.2.9", address_family::any, rec, monotonic_ns()));
        EXPECT_FALSE(r.watched_sockets().empty());
        EXPECT_TRUE(rec.outcomes.empty());
    }
    ASSERT_EQ(rec.outcomes.size(), 3U);
    for (const auto& out : rec.outcomes) {
        EXPECT_TRUE(out.failure.is(errc::cancelled)) << out.host << " " << out.failure.name();
        EXPECT_EQ(out.failure.cls(), wsp::failure_class::cancelled);
    }
}

TEST_F(resolver_test, handler_may_start_the_next_lookup)
{
    auto r = make();
    struct chain final : lookup_handler {
        resolver* res = nullptr;
        recorder* next = nullptr;
        std::vector<std::string> seen;
        void on_lookup_done(const lookup_outcome& o) noexcept override
        {
            seen.emplace_back(o.host);
            if (seen.size() == 1) {
                EXPECT_TRUE(res->start("known.wsprobe.test", address_family::v4, *next, monotonic_ns()));
            }
        }
    };
    recorder second;
    chain first;
    first.res = &r;
    first.next = &second;
    ASSERT_TRUE(r.start("192.0.2.1", address_family::any, first, monotonic_ns()));
    ASSERT_TRUE(drive(r, [&] { return !second.outcomes.empty(); }));
    EXPECT_EQ(first.seen, std::vector<std::string>{"192.0.2.1"});
    EXPECT_EQ(second.outcomes[0].texts(), (std::vector<std::string>{"192.0.2.10", "192.0.2.11"}));
}

TEST_F(resolver_test, watcher_hears_every_socket_change)
{
    struct log final : socket_watcher {
        std::vector<watched_socket> events;
        void on_watch_changed(const watched_socket& s) noexcept override { events.push_back(s); }
    } watcher;
    recorder rec;
    std::uint64_t generation_before = 0;
    {
        resolver_options o;
        o.watcher = &watcher;
        auto r = make(o);
        generation_before = r.watch_generation();
        ASSERT_TRUE(r.start("silent.wsprobe.test", address_family::v4, rec, monotonic_ns()));
        ASSERT_EQ(r.watched_sockets().size(), 1U);
        EXPECT_TRUE(r.watched_sockets()[0].readable);
        EXPECT_GT(r.watch_generation(), generation_before);
        ASSERT_FALSE(watcher.events.empty());
        EXPECT_EQ(watcher.events.back().fd, r.watched_sockets()[0].fd);
    }
    // Destruction closes the socket and says so.
    ASSERT_GE(watcher.events.size(), 2U);
    EXPECT_FALSE(watcher.events.back().readable);
    EXPECT_FALSE(watcher.events.back().writable);
    EXPECT_EQ(watcher.events.back().fd, watcher.events.front().fd);
}

TEST(resolver_errors, closed_server_port_is_connection_refused)
{
    // A privileged port below the ephemeral range: binding it proves nothing listens there, and
    // unlike a just-closed ephemeral port no test running in parallel can be handed it.
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool bound = false;
    for (std::uint16_t port = 1; port < 1024 && !bound; ++port) {
        addr.sin_port = htons(port);
        bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    }
    ::close(fd);
    if (!bound) {
        GTEST_SKIP() << "no free privileged UDP port to test against (not running as root?)";
    }

    resolver_options o;
    o.servers = {"127.0.0.1:" + std::to_string(ntohs(addr.sin_port))};
    auto r = resolver::create(o);
    ASSERT_TRUE(r);
    recorder rec;
    ASSERT_TRUE(r->start("known.wsprobe.test", address_family::v4, rec, monotonic_ns()));
    ASSERT_TRUE(drive(*r, [&] { return !rec.outcomes.empty(); }));
    EXPECT_TRUE(rec.outcomes[0].failure.is(errc::connection_refused)) << rec.outcomes[0].failure.name();
    EXPECT_EQ(failure_sentence("known.wsprobe.test", address_family::v4, rec.outcomes[0].failure),
              "DNS lookup of known.wsprobe.test failed: the DNS server is unreachable (connection refused)");
}

TEST(resolver_errors, bad_configuration_is_refused_at_create)
{
    const auto code_of = [](resolver_options o) {
        auto r = resolver::create(o);
        return r ? std::string("ok") : std::string(r.error().name());
    };
    resolver_options o;
    o.servers = {"not-an-ip"};
    EXPECT_EQ(code_of(o), "bad_server");
    o.servers = {"127.0.0.1:0"};
    EXPECT_EQ(code_of(o), "bad_server");
    o.servers = {"127.0.0.1:53", "[::1"};
    EXPECT_EQ(code_of(o), "bad_server");
    o = {};
    o.tries = 0;
    EXPECT_EQ(code_of(o), "bad_option");
    o = {};
    o.lookup_timeout_ns = 0;
    EXPECT_EQ(code_of(o), "bad_option");
    o = {};
    o.max_addresses = 0;
    EXPECT_EQ(code_of(o), "bad_option");
    o = {};
    o.servers = {"127.0.0.1:5353", "[::1]:5353"};
    EXPECT_EQ(code_of(o), "ok");
}

TEST_F(resolver_test, moved_resolver_keeps_its_lookups)
{
    auto r = make();
    recorder rec;
    ASSERT_TRUE(r.start("known.wsprobe.test", address_family::v4, rec, monotonic_ns()));
    resolver moved = std::move(r);
    ASSERT_TRUE(drive(moved, [&] { return !rec.outcomes.empty(); }));
    EXPECT_FALSE(rec.outcomes[0].failure) << rec.outcomes[0].failure.name();
}

} // namespace
} // namespace wsp::dns
