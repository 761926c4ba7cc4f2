// Micro-benchmarks for the ws module (RFC 6455 §5 framing, §5.3 masking, §8.1 UTF-8): encode+mask
// and decode+unmask at 16 B / 1 KiB / 64 KiB, masking paths vs the byte-at-a-time reference, and
// UTF-8 validation (incremental vs simdjson vs naive) on ASCII and mixed multibyte text.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/ws/reference.h"
#include "ws/decoder.h"
#include "ws/frame.h"
#include "ws/mask.h"
#include "ws/utf8.h"

namespace {

using namespace wsp::ws;

constexpr mask_key key{0x37, 0xfa, 0x21, 0x3d};

std::vector<std::uint8_t> payload(std::size_t n)
{
    std::vector<std::uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i) {
        v[i] = static_cast<std::uint8_t>(i * 31 + 7);
    }
    return v;
}

void set_bytes(benchmark::State& state, std::size_t per_iteration)
{
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(per_iteration));
}

// Client side: header + masked copy of the payload into the send buffer.
void encode_masked(benchmark::State& state)
{
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto data = payload(n);
    std::vector<std::uint8_t> out(n + max_header_size);
    for (auto _ : state) {
        auto r = build_binary(out, data, key);
        benchmark::DoNotOptimize(r);
        benchmark::ClobberMemory();
    }
    set_bytes(state, n);
}
BENCHMARK(encode_masked)->Arg(16)->Arg(1024)->Arg(65536);

// Server side: decode one masked frame and unmask its payload in place.
void decode_unmask(benchmark::State& state)
{
    const auto n = static_cast<std::size_t>(state.range(0));
    std::vector<std::uint8_t> wire(n + max_header_size);
    wire.resize(build_binary(wire, payload(n), key).value());
    decoder_options opts;
    opts.local = role::server;
    decoder dec(opts);
    for (auto _ : state) {
        std::span<std::uint8_t> in(wire);
        for (;;) {
            auto r = dec.next(in);
            if (!r || r->ev.kind == event_kind::message_end) {
                break;
            }
            benchmark::DoNotOptimize(r->ev.payload.data());
            in = in.subspan(r->consumed);
        }
    }
    if (dec.failed()) {
        state.SkipWithError("decoder failed");
    }
    // Unmasking in place toggles the buffer every iteration; binary payload is not interpreted.
    set_bytes(state, n);
}
BENCHMARK(decode_unmask)->Arg(16)->Arg(1024)->Arg(65536);

// Client side: decode an unmasked text frame, including UTF-8 validation of the message.
void decode_text_client(benchmark::State& state)
{
    const auto n = static_cast<std::size_t>(state.range(0));
    std::string text;
    while (text.size() < n) {
        text += "probe é € ";
    }
    text.resize(n);
    while (!validate_utf8(text)) {
        text.pop_back();
    }
    std::vector<std::uint8_t> wire(text.size() + max_header_size);
    wire.resize(build_text(wire, text, std::nullopt).value());
    decoder dec(decoder_options{});
    for (auto _ : state) {
        std::span<std::uint8_t> in(wire);
        for (;;) {
            auto r = dec.next(in);
            if (!r || r->ev.kind == event_kind::message_end) {
                break;
            }
            in = in.subspan(r->consumed);
        }
    }
    if (dec.failed()) {
        state.SkipWithError("decoder failed");
    }
    set_bytes(state, text.size());
}
BENCHMARK(decode_text_client)->Arg(16)->Arg(1024)->Arg(65536);

void mask_simd(benchmark::State& state)
{
    auto data = payload(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        apply_mask(data, key, 1);
        benchmark::ClobberMemory();
    }
    set_bytes(state, data.size());
}
BENCHMARK(mask_simd)->Arg(16)->Arg(1024)->Arg(65536);

void mask_words(benchmark::State& state)
{
    auto data = payload(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        detail::copy_masked_words(data.data(), data.data(), data.size(), rotate_key(key, 1));
        benchmark::ClobberMemory();
    }
    set_bytes(state, data.size());
}
BENCHMARK(mask_words)->Arg(16)->Arg(1024)->Arg(65536);

// The baseline. Vectorisation is disabled (GCC) so it stays what it claims to be: one byte at a time.
#if defined(__clang__)
#define WSP_BENCH_NO_VECTORIZE
#else
#define WSP_BENCH_NO_VECTORIZE [[gnu::optimize("no-tree-vectorize")]]
#endif
WSP_BENCH_NO_VECTORIZE void mask_bytes_loop(std::span<std::uint8_t> data)
{
    wsp::ws::reference::mask_bytewise(data, key, 1);
}

void mask_bytewise(benchmark::State& state)
{
    auto data = payload(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        mask_bytes_loop(data);
        benchmark::ClobberMemory();
    }
    set_bytes(state, data.size());
}
BENCHMARK(mask_bytewise)->Arg(16)->Arg(1024)->Arg(65536);

std::string ascii_text(std::size_t n)
{
    std::string s;
    while (s.size() < n) {
        s += "The quick brown fox jumps over the lazy dog; probe 0123456789. ";
    }
    s.resize(n);
    return s;
}

// Latin, Greek, CJK and emoji: 1- to 4-byte sequences throughout.
std::string mixed_text(std::size_t n)
{
    std::string s;
    while (s.size() < n) {
        s += "déjà vu κόσμε 日本語テキスト 😀🎉 naïve ";
    }
    while (s.size() > n || !validate_utf8(s)) {
        s.pop_back();
    }
    return s;
}

std::span<const std::uint8_t> bytes_of(const std::string& s)
{
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

template <class Validate> void run_utf8(benchmark::State& state, const std::string& text, Validate&& validate)
{
    for (auto _ : state) {
        bool ok = validate(bytes_of(text));
        benchmark::DoNotOptimize(ok);
        if (!ok) {
            state.SkipWithError("text rejected");
            break;
        }
    }
    set_bytes(state, text.size());
}

// Incremental validator fed in 4 KiB chunks, as a decoder sees a long fragmented message.
bool incremental_4k(std::span<const std::uint8_t> s)
{
    utf8_validator v;
    for (std::size_t pos = 0; pos < s.size(); pos += 4096) {
        const auto chunk = s.subspan(pos, std::min<std::size_t>(4096, s.size() - pos));
        if (v.feed(chunk) != chunk.size()) {
            return false;
        }
    }
    return v.at_boundary();
}

bool incremental_whole(std::span<const std::uint8_t> s)
{
    utf8_validator v;
    return v.feed(s) == s.size() && v.at_boundary();
}

// Same validator without the simdjson assist: chunks under the fast-path threshold, so the ASCII
// word loop and the DFA do all the work.
bool incremental_dfa(std::span<const std::uint8_t> s)
{
    utf8_validator v;
    for (std::size_t pos = 0; pos < s.size(); pos += 63) {
        const auto chunk = s.subspan(pos, std::min<std::size_t>(63, s.size() - pos));
        if (v.feed(chunk) != chunk.size()) {
            return false;
        }
    }
    return v.at_boundary();
}

bool simdjson_whole(std::span<const std::uint8_t> s)
{
    return validate_utf8(s);
}
bool naive(std::span<const std::uint8_t> s)
{
    return wsp::ws::reference::naive_utf8_valid(s);
}

void utf8_ascii_incremental(benchmark::State& st)
{
    run_utf8(st, ascii_text(65536), incremental_whole);
}
void utf8_ascii_incremental_4k(benchmark::State& st)
{
    run_utf8(st, ascii_text(65536), incremental_4k);
}
void utf8_ascii_incremental_dfa(benchmark::State& st)
{
    run_utf8(st, ascii_text(65536), incremental_dfa);
}
void utf8_ascii_simdjson(benchmark::State& st)
{
    run_utf8(st, ascii_text(65536), simdjson_whole);
}
void utf8_ascii_naive(benchmark::State& st)
{
    run_utf8(st, ascii_text(65536), naive);
}
void utf8_mixed_incremental(benchmark::State& st)
{
    run_utf8(st, mixed_text(65536), incremental_whole);
}
void utf8_mixed_incremental_4k(benchmark::State& st)
{
    run_utf8(st, mixed_text(65536), incremental_4k);
}
void utf8_mixed_incremental_dfa(benchmark::State& st)
{
    run_utf8(st, mixed_text(65536), incremental_dfa);
}
void utf8_mixed_simdjson(benchmark::State& st)
{
    run_utf8(st, mixed_text(65536), simdjson_whole);
}
void utf8_mixed_naive(benchmark::State& st)
{
    run_utf8(st, mixed_text(65536), naive);
}
BENCHMARK(utf8_ascii_incremental);
BENCHMARK(utf8_ascii_incremental_4k);
BENCHMARK(utf8_ascii_incremental_dfa);
BENCHMARK(utf8_ascii_simdjson);
BENCHMARK(utf8_ascii_naive);
BENCHMARK(utf8_mixed_incremental);
BENCHMARK(utf8_mixed_incremental_4k);
BENCHMARK(utf8_mixed_incremental_dfa);
BENCHMARK(utf8_mixed_simdjson);
BENCHMARK(utf8_mixed_naive);

} // namespace

BENCHMARK_MAIN();
