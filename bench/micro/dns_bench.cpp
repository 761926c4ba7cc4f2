#include <benchmark/benchmark.h>
#include "engine/dns/resolver.h"
#include "tests/engine/dns/fake_dns_server.h"
#include "tests/engine/dns/poll_driver.h"
using namespace wsp::dns;
struct counter final : lookup_handler { std::size_t n = 0; void on_lookup_done(const lookup_outcome&) noexcept override { ++n; } };
static void BM_literal_lookup(benchmark::State& st) {
  counter c; auto r = resolver::create({}); std::int64_t now = 0;
  for (auto _ : st) { (void)r->start("192.0.2.1", address_family::any, c, now); r->process_timeouts(now); now += 1; }
  if (c.n != st.iterations()) st.SkipWithError("lost");
}
BENCHMARK(BM_literal_lookup);
static void BM_hosts_file_lookup(benchmark::State& st) {
  counter c; auto r = resolver::create({});
  for (auto _ : st) { (void)r->start("localhost", address_family::v4, c, 0); r->process_timeouts(0); }
  if (c.n != st.iterations()) st.SkipWithError("lost");
}
BENCHMARK(BM_hosts_file_lookup);
static void BM_loopback_udp_lookup(benchmark::State& st) {
  test::fake_dns_server s({{"known.wsprobe.test", test::reply::answer, {"192.0.2.10"}, {"2001:db8::10"}}});
  resolver_options o; o.servers = {s.endpoint()}; auto r = resolver::create(o);
  counter c;
  for (auto _ : st) { std::size_t before = c.n; (void)r->start("known.wsprobe.test.", address_family::any, c, test::monotonic_ns()); test::drive(*r, [&]{ return c.n != before; }); }
}
BENCHMARK(BM_loopback_udp_lookup)->UseRealTime();
static void BM_host_name_check(benchmark::State& st) {
  for (auto _ : st) benchmark::DoNotOptimize(is_valid_host_name("api.eu-west-1.service.example.com"));
}
BENCHMARK(BM_host_name_check);
BENCHMARK_MAIN();
