// Micro-benchmarks for http1: parsing a realistic 101 head (against a naive byte-at-a-time
// parser in this file, for comparison), full 101 validation with the SHA-1 accept, the accept
// alone, and writing the upgrade request.
#include <benchmark/benchmark.h>

#include <array>
#include <cctype>
#include <cstring>
#include <string>
#include <string_view>

#include "http1/handshake.h"
#include "http1/key.h"
#include "http1/parser.h"
#include "http1/request.h"

namespace {

using namespace wsp::http1;

// 5 headers, as a typical server (nginx in front of an app) sends.
const std::string head_101 = "HTTP/1.1 101 Switching Protocols\r\n"
                             "Server: nginx/1.24.0\r\n"
                             "Date: Wed, 25 Nov 2026 09:00:00 GMT\r\n"
                             "Connection: upgrade\r\n"
                             "Upgrade: websocket\r\n"
                             "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                             "\r\n";

// The baseline: one byte per step through a switch-based state machine, the shape of a
// straightforward hand-written parser. Same output (views) and the same character checks.
namespace naive {
enum class state : std::uint8_t { version, status, reason, line_start, name, value_start, value, cr };

int parse(std::string_view buf, std::array<header, 64>& headers, std::size_t& count, int& status)
{
    state st = state::version;
    std::size_t mark = 0;
    std::size_t name_start = 0;
    std::size_t name_end = 0;
    std::size_t value_start = 0;
    count = 0;
    status = 0;
    bool in_headers = false;
    for (std::size_t i = 0; i < buf.size(); ++i) {
        const auto c = static_cast<unsigned char>(buf[i]);
        switch (st) {
        case state::version:
            if (c == ' ') {
                if (i != 8 || buf.substr(0, 7) != "HTTP/1.") {
                    return -1;
                }
                st = state::status;
                mark = i + 1;
            }
            break;
        case state::status:
            if (c == ' ') {
                if (i - mark != 3) {
                    return -1;
                }
                st = state::reason;
            } else if (c < '0' || c > '9') {
                return -1;
            } else {
                status = status * 10 + (c - '0');
            }
            break;
        case state::reason:
            if (c == '\r') {
                st = state::cr;
            } else if (c == '\n') {
                st = state::line_start;
            } else if (c < 0x20 && c != '\t') {
                return -1;
            }
            break;
        case state::cr:
            if (c != '\n') {
                return -1;
            }
            if (!in_headers) {
                in_headers = true;
            } else if (name_end != 0) {
                std::size_t e = i - 1;
                while (e > value_start && (buf[e - 1] == ' ' || buf[e - 1] == '\t')) {
                    --e;
                }
                if (count == headers.size()) {
                    return -1;
                }
                headers[count++] = {buf.substr(name_start, name_end - name_start),
                                    buf.substr(value_start, e - value_start)};
            }
            name_end = 0;
            st = state::line_start;
            break;
        case state::line_start:
            if (c == '\r') {
                if (i + 1 < buf.size() && buf[i + 1] == '\n') {
                    return static_cast<int>(i + 2);
                }
                return i + 1 < buf.size() ? -1 : -2;
            }
            if (c == '\n') {
                return static_cast<int>(i + 1);
            }
            name_start = i;
            st = state::name;
            [[fallthrough]];
        case state::name:
            if (c == ':') {
                if (i == name_start) {
                    return -1;
                }
                name_end = i;
                st = state::value_start;
            } else if (c == 0 || !(std::isalnum(c) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr)) {
                return -1;
            }
            break;
        case state::value_start:
            if (c == ' ' || c == '\t') {
                break;
            }
            value_start = i;
            st = state::value;
            [[fallthrough]];
        case state::value:
            if (c == '\r') {
                st = state::cr;
            } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return -1;
            }
            break;
        }
    }
    return -2;
}
} // namespace naive

void parse_101(benchmark::State& state)
{
    std::array<header, 64> storage{};
    response_head head;
    for (auto _ : state) {
        auto r = parse_response(head_101, 0, storage, head);
        benchmark::DoNotOptimize(r);
        benchmark::DoNotOptimize(head);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * head_101.size()));
    state.counters["head_bytes"] = static_cast<double>(head_101.size());
}
BENCHMARK(parse_101);

void parse_101_naive_baseline(benchmark::State& state)
{
    std::array<header, 64> storage{};
    std::size_t count = 0;
    int status = 0;
    if (naive::parse(head_101, storage, count, status) != static_cast<int>(head_101.size()) || count != 5 ||
        status != 101) {
        state.SkipWithError("the naive baseline does not parse the 101");
        return;
    }
    for (auto _ : state) {
        int r = naive::parse(head_101, storage, count, status);
        benchmark::DoNotOptimize(r);
        benchmark::DoNotOptimize(storage);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * head_101.size()));
}
BENCHMARK(parse_101_naive_baseline);

// The head arriving in two reads: need_more, then complete with prev_len.
void parse_101_in_two_reads(benchmark::State& state)
{
    std::array<header, 64> storage{};
    response_head head;
    const std::size_t half = head_101.size() / 2;
    for (auto _ : state) {
        auto first = parse_response(std::string_view(head_101).substr(0, half), 0, storage, head);
        auto second = parse_response(head_101, half, storage, head);
        benchmark::DoNotOptimize(first);
        benchmark::DoNotOptimize(second);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * head_101.size()));
}
BENCHMARK(parse_101_in_two_reads);

void compute_accept_sha1(benchmark::State& state)
{
    for (auto _ : state) {
        auto a = compute_accept("dGhlIHNhbXBsZSBub25jZQ==");
        benchmark::DoNotOptimize(a);
    }
}
BENCHMARK(compute_accept_sha1);

// Parse plus every RFC 6455 §4.1 check, the accept included.
void parse_and_validate_101(benchmark::State& state)
{
    std::array<header, 64> storage{};
    client_offer offer;
    offer.key = "dGhlIHNhbXBsZSBub25jZQ==";
    for (auto _ : state) {
        response_head head;
        auto r = parse_response(head_101, 0, storage, head);
        auto v = validate_upgrade_response(head, r->head_length, offer);
        if (!v) {
            state.SkipWithError("validation failed");
            return;
        }
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(parse_and_validate_101);

class counter_entropy final : public entropy_source {
public:
    bool fill(std::span<std::uint8_t, 16> out) noexcept override
    {
        ++n_;
        std::memcpy(out.data(), &n_, sizeof n_);
        std::memset(out.data() + sizeof n_, 0x5a, out.size() - sizeof n_);
        return true;
    }

private:
    std::uint64_t n_ = 0;
};

void write_request(benchmark::State& state)
{
    const std::array<std::string_view, 1> protocols = {"chat"};
    const std::array<custom_header, 1> headers = {
        {{"Authorization", "Bearer abcdef0123456789", true, false}}};
    upgrade_request req;
    req.secure = true;
    req.host = "api.example.com";
    req.target = "/v1/stream?token=x";
    req.subprotocols = protocols;
    req.origin = "https://example.com";
    req.headers = headers;
    counter_entropy source;
    std::array<char, 1024> buf{};
    for (auto _ : state) {
        auto key = make_key(source);
        auto n = write_upgrade_request(buf, req, *key);
        benchmark::DoNotOptimize(n);
        benchmark::DoNotOptimize(buf);
    }
}
BENCHMARK(write_request);

void make_key_openssl(benchmark::State& state)
{
    openssl_entropy source;
    for (auto _ : state) {
        auto key = make_key(source);
        benchmark::DoNotOptimize(key);
    }
}
BENCHMARK(make_key_openssl);

} // namespace

BENCHMARK_MAIN();
