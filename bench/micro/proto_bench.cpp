// Micro benchmarks for the proto module's reply assertions and the MQTT CONNACK decoder: JSON
// pointer equality, contains and regex on a typical ~300-byte reply, and CONNACK decoding
// (3.1.1, and 5.0 with properties) through the packet reader. Time is per assertion or decode.
#include <benchmark/benchmark.h>

#include <string>

#include "proto/assert/expect.h"
#include "proto/presets/mqtt_codec.h"

namespace {

using namespace wsp::proto;

// A GraphQL-style result of about 300 bytes.
const std::string reply =
    R"({"type":"next","id":"7f3c2a91","payload":{"data":{"status":{"service":"orders-api","state":"ok",)"
    R"("region":"eu-west-1","version":"2024.06.3","uptimeSeconds":1289341,"replicas":[{"id":"a","ready":true},)"
    R"({"id":"b","ready":true},{"id":"c","ready":false}],"checks":{"db":"ok","cache":"ok","queue":"degraded"}}}}})";

void run(benchmark::State& state, const assertion::expectation& e)
{
    for (auto _ : state) {
        const assertion::verdict v = e.match(false, reply);
        benchmark::DoNotOptimize(v.error);
        if (!v.ok()) {
            state.SkipWithError("assertion unexpectedly failed");
            break;
        }
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * reply.size()));
}

void json_pointer_equality(benchmark::State& state)
{
    auto e = assertion::expectation::json("/payload/data/status/state=ok");
    run(state, *e);
}
BENCHMARK(json_pointer_equality);

void json_pointer_deep_array(benchmark::State& state)
{
    auto e = assertion::expectation::json("/payload/data/status/replicas/2/ready=false");
    run(state, *e);
}
BENCHMARK(json_pointer_deep_array);

void contains(benchmark::State& state)
{
    auto e = assertion::expectation::contains(R"("queue":"degraded")");
    run(state, *e);
}
BENCHMARK(contains);

void regex(benchmark::State& state)
{
    auto e = assertion::expectation::regex(R"re("state":"(ok|degraded)")re");
    run(state, *e);
}
BENCHMARK(regex);

void connack_decode(benchmark::State& state, const std::string& bytes, int version)
{
    mqtt::packet_reader reader;
    const std::span<const std::uint8_t> in(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    for (auto _ : state) {
        reader.feed(in);
        mqtt::packet p;
        std::string_view why;
        if (reader.next(p, why) != mqtt::read_status::packet) {
            state.SkipWithError("no packet");
            break;
        }
        auto ack = mqtt::decode_connack(p, version, why);
        benchmark::DoNotOptimize(ack);
    }
}

void connack_311(benchmark::State& state)
{
    connack_decode(state, std::string("\x20\x02\x00\x00", 4), 4);
}
BENCHMARK(connack_311);

void connack_5_with_properties(benchmark::State& state)
{
    // Receive Maximum 10, Maximum QoS 1, Topic Alias Maximum 16, Server Keep Alive 60.
    connack_decode(
        state, std::string("\x20\x10\x00\x00\x0D\x21\x00\x0A\x24\x01\x22\x00\x10\x13\x00\x3C\x25\x01", 18),
        5);
}
BENCHMARK(connack_5_with_properties);

} // namespace

BENCHMARK_MAIN();
