// The runtime alone holding many idle WebSocket connections (RFC 6455 §4.1 upgrade through the
// http1 codec) against wsprobe-lab: a reference for `wsprobe load --hold`, and a probe of the
// machine's limits. Connections are spread over a cluster of reactors (each ring's
// direct-descriptor table is capped at RLIMIT_NOFILE), bound to rotating loopback sources.
//   hold_bench --target 127.0.0.1:PORT [--path /echo] [-c 200000] [--threads 12] [--rate 20000]
//              [--source 127.0.0.2-127.0.0.60] [--hold 5] [--window 128]
// Prints key=value lines: held, failed, rates, RSS per held connection, CPU per connection and
// the time the cluster took to cancel every held receive on shutdown.
#include <arpa/inet.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/runtime/cluster.h"
#include "engine/runtime/ops.h"
#include "engine/runtime/recv_stream.h"
#include "engine/runtime/socket.h"
#include "http1/handshake.h"
#include "http1/request.h"

namespace {

using namespace std::chrono_literals;
namespace rt = wsp::rt;

struct options {
    rt::address target;
    std::string host = "127.0.0.1";
    std::string path = "/echo";
    std::uint64_t connections = 200000;
    unsigned threads = 12;
    double rate = 20000;
    std::vector<rt::address> sources;
    double hold_s = 5;
    unsigned window = 128;
};

// Counters written by one reactor each, read by the main thread.
struct share {
    std::uint64_t first_id = 0;
    std::uint64_t count = 0;
    double rate = 0;
    const options* opt = nullptr;
    std::atomic<std::uint64_t> established{0};
    std::atomic<std::uint64_t> failed{0};         // connect failures
    std::atomic<std::uint64_t> upgrade_failed{0}; // no valid 101
    std::atomic<std::uint64_t> ended{0}; // held connections the peer ended before shutdown
    std::atomic<std::int64_t> last_established_ns{0};
    std::atomic<std::int64_t> last_cancelled_ns{0}; // when the last held receive ended on shutdown
    wsp::error first_error{}; // of a connect; read after the cluster joined
    unsigned connecting = 0;
    rt::scope conns;
};

// Connects from the id's source address; on failure records the error.
rt::task<wsp::expected<rt::connected>> dial(share* sh, std::uint64_t id)
{
    rt::connect_options o;
    if (!sh->opt->sources.empty()) {
        o.source = sh->opt->sources[id % sh->opt->sources.size()];
    }
    o.until = rt::deadline::after(10s);
    co_return co_await rt::connect_tcp(*rt::reactor::current(), sh->opt->target, o);
}

// Sends the upgrade request and reads the 101 (RFC 6455 §4.1). Its frame is freed before the
// connection starts idling, so the held state is only the caller's frame.
rt::task<bool> upgrade(share* sh, rt::recv_stream* rs, rt::socket s, std::uint64_t id)
{
    rt::reactor& r = *rt::reactor::current();
    std::array<std::uint8_t, 16> nonce{};
    std::memcpy(nonce.data(), &id, sizeof(id));
    const wsp::http1::websocket_key key = wsp::http1::websocket_key::from_bytes(nonce);
    wsp::http1::upgrade_request req;
    req.host = sh->opt->host;
    req.port = sh->opt->target.port();
    req.target = sh->opt->path;
    std::array<char, 512> out{};
    const auto n = wsp::http1::write_upgrade_request(out, req, key);
    if (!n) {
        co_return false;
    }
    const rt::deadline until = rt::deadline::after(10s);
    const rt::io_result sent =
        co_await rt::send_all_op(r, s, std::as_bytes(std::span(out.data(), *n)), until);
    if (!sent.ok()) {
        co_return false;
    }
    std::array<char, 1024> in{};
    std::array<wsp::http1::header, 16> storage{};
    wsp::http1::client_offer offer;
    offer.key = key.view();
    std::size_t len = 0;
    for (;;) {
        rt::recv_chunk c = co_await rs->next(until);
        if (!c.is_data() || len + c.bytes().size() > in.size()) {
            co_return false;
        }
        const std::size_t prev = len;
        std::memcpy(in.data() + len, c.bytes().data(), c.bytes().size());
        len += c.bytes().size();
        const auto checked =
            wsp::http1::check_upgrade_response(std::string_view(in.data(), len), prev, storage, offer);
        if (!checked) {
            co_return false;
        }
        if (checked->has_value()) {
            co_return true;
        }
    }
}

void record_failure(share* sh, const wsp::error& e)
{
    sh->failed.fetch_add(1, std::memory_order_relaxed);
    if (!sh->first_error) {
        sh->first_error = e;
    }
}

rt::task<void> connection(share* sh, std::uint64_t id)
{
    rt::reactor& r = *rt::reactor::current();
    ++sh->connecting;
    auto c = co_await dial(sh, id);
    if (!c) {
        --sh->connecting;
        record_failure(sh, c.error());
        co_return;
    }
    const rt::socket s = c->sock;
    rt::recv_stream rs(r, s);
    const bool ok = co_await upgrade(sh, &rs, s, id);
    --sh->connecting;
    if (ok) {
        sh->established.fetch_add(1, std::memory_order_relaxed);
        sh->last_established_ns.store(rt::mono_now(), std::memory_order_relaxed);
        // Idle: nothing is expected until shutdown cancels the receive.
        rt::recv_chunk idle = co_await rs.next();
        if (idle.error() != rt::errc::cancelled) {
            sh->ended.fetch_add(1, std::memory_order_relaxed);
        } else {
            sh->last_cancelled_ns.store(rt::mono_now(), std::memory_order_relaxed);
        }
    } else {
        sh->upgrade_failed.fetch_add(1, std::memory_order_relaxed);
    }
    co_await rs.stop();
    (void)co_await rt::close_socket(r, s, rt::close_mode::abort);
}

// Opens this reactor's share at its rate, at most `window` handshakes at a time, then waits for
// every connection to end (shutdown cancels them).
rt::task<void> launch(share* sh)
{
    rt::reactor& r = *rt::reactor::current();
    const std::int64_t start = rt::mono_now();
    std::uint64_t i = 0;
    while (i < sh->count) {
        const double due = static_cast<double>(rt::mono_now() - start) * sh->rate / 1e9;
        while (i < sh->count && static_cast<double>(i) < due && sh->connecting < sh->opt->window) {
            sh->conns.spawn(connection(sh, sh->first_id + i));
            ++i;
        }
        const rt::io_result slept = co_await rt::sleep_op(r, 1ms);
        if (slept.res != 0) {
            break; // shutdown
        }
    }
    co_await sh->conns.join();
}

long rss_kb()
{
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stol(line.substr(6));
        }
    }
    return -1;
}

double cpu_seconds()
{
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

bool parse_ipv4_range(std::string_view v, std::vector<rt::address>& out)
{
    const auto dash = v.find('-');
    const std::string first(v.substr(0, dash));
    const std::string last(dash == std::string_view::npos ? first : std::string(v.substr(dash + 1)));
    in_addr a{};
    in_addr b{};
    if (::inet_pton(AF_INET, first.c_str(), &a) != 1 || ::inet_pton(AF_INET, last.c_str(), &b) != 1) {
        return false;
    }
    for (std::uint32_t x = ntohl(a.s_addr); x <= ntohl(b.s_addr); ++x) {
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(x);
        auto addr = rt::address::from_sockaddr(reinterpret_cast<const sockaddr*>(&sa), sizeof(sa));
        if (!addr) {
            return false;
        }
        out.push_back(*addr);
    }
    return !out.empty();
}

template <class T>
bool parse_number(std::string_view v, T& out)
{
    const auto r = std::from_chars(v.data(), v.data() + v.size(), out);
    return r.ec == std::errc{} && r.ptr == v.data() + v.size();
}

bool parse(int argc, char** argv, options& o)
{
    bool have_target = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view k = argv[i];
        const std::string_view v = argv[i + 1];
        bool ok = true;
        if (k == "--target") {
            const auto colon = v.rfind(':');
            std::uint16_t port = 0;
            ok = colon != std::string_view::npos && parse_number(v.substr(colon + 1), port);
            if (ok) {
                auto a = rt::address::parse(v.substr(0, colon), port);
                ok = a.has_value();
                if (ok) {
                    o.target = *a;
                    o.host = std::string(v.substr(0, colon));
                    have_target = true;
                }
            }
        } else if (k == "--path") {
            o.path = std::string(v);
        } else if (k == "-c") {
            ok = parse_number(v, o.connections);
        } else if (k == "--threads") {
            ok = parse_number(v, o.threads) && o.threads > 0;
        } else if (k == "--rate") {
            ok = parse_number(v, o.rate) && o.rate > 0;
        } else if (k == "--source") {
            ok = parse_ipv4_range(v, o.sources);
        } else if (k == "--hold") {
            ok = parse_number(v, o.hold_s);
        } else if (k == "--window") {
            ok = parse_number(v, o.window) && o.window > 0;
        } else {
            ok = false;
        }
        if (!ok) {
            std::fprintf(stderr, "hold_bench: bad option %.*s %.*s\n", static_cast<int>(k.size()), k.data(),
                         static_cast<int>(v.size()), v.data());
            return false;
        }
    }
    if (!have_target) {
        std::fprintf(stderr, "hold_bench: --target IP:PORT is required\n");
    }
    return have_target;
}

struct totals {
    std::uint64_t established = 0;
    std::uint64_t failed = 0;
    std::uint64_t upgrade_failed = 0;
    std::uint64_t ended = 0;
    std::int64_t last_ns = 0;
};

totals sum(const std::vector<std::unique_ptr<share>>& shares)
{
    totals t;
    for (const auto& s : shares) {
        t.established += s->established.load(std::memory_order_relaxed);
        t.failed += s->failed.load(std::memory_order_relaxed);
        t.upgrade_failed += s->upgrade_failed.load(std::memory_order_relaxed);
        t.ended += s->ended.load(std::memory_order_relaxed);
        t.last_ns = std::max(t.last_ns, s->last_established_ns.load(std::memory_order_relaxed));
    }
    return t;
}

} // namespace

int main(int argc, char** argv)
{
    options o;
    if (!parse(argc, argv, o)) {
        return 2;
    }
    rt::cluster_config cc;
    cc.threads = o.threads;
    cc.handle_signals = false;
    cc.shutdown_grace = 0ms;
    // Idle connections receive only the 101: a small buffer ring keeps touched memory low.
    cc.reactor.buffer_count = 256;
    cc.reactor.sq_entries = 1024;
    std::string diag;
    auto c = rt::cluster::start(cc, &diag);
    if (!c) {
        std::fprintf(stderr, "hold_bench: %s\n", diag.c_str());
        return 1;
    }
    std::vector<std::unique_ptr<share>> shares;
    for (unsigned i = 0; i < o.threads; ++i) {
        auto s = std::make_unique<share>();
        s->first_id = o.connections * i / o.threads;
        s->count = o.connections * (i + 1) / o.threads - s->first_id;
        s->rate = o.rate / o.threads;
        s->opt = &o;
        shares.push_back(std::move(s));
    }
    std::this_thread::sleep_for(200ms);
    const long rss_base = rss_kb();
    const double cpu_base = cpu_seconds();
    const std::int64_t start = rt::mono_now();
    for (unsigned i = 0; i < o.threads; ++i) {
        if (!(*c)->spawn(i, launch(shares[i].get()))) {
            std::fprintf(stderr, "hold_bench: cannot start reactor %u\n", i);
            return 1;
        }
    }
    // Ramp: until every connection is up or failed, or nothing changed for 15 s.
    totals t;
    std::uint64_t last_done = 0;
    std::int64_t last_change = start;
    for (;;) {
        std::this_thread::sleep_for(100ms);
        t = sum(shares);
        const std::uint64_t done = t.established + t.failed + t.upgrade_failed;
        if (done != last_done) {
            last_done = done;
            last_change = rt::mono_now();
        }
        if (done >= o.connections || rt::mono_now() - last_change > 15'000'000'000) {
            break;
        }
    }
    const double cpu_ramp = cpu_seconds() - cpu_base;
    std::this_thread::sleep_for(std::chrono::duration<double>(o.hold_s));
    t = sum(shares);
    const long rss_held = rss_kb();
    const std::uint64_t held = t.established - t.ended;
    const double ramp_s = static_cast<double>(t.last_ns - start) / 1e9;
    const std::int64_t stop_start = rt::mono_now();
    (*c)->join();
    const double shutdown_s = static_cast<double>(rt::mono_now() - stop_start) / 1e9;

    std::printf("connections=%llu\nthreads=%u\nheld=%llu\nconnect_failed=%llu\nupgrade_failed=%llu\n"
                "ended_by_peer=%llu\n",
                static_cast<unsigned long long>(o.connections), o.threads,
                static_cast<unsigned long long>(held),
                static_cast<unsigned long long>(t.failed), static_cast<unsigned long long>(t.upgrade_failed),
                static_cast<unsigned long long>(t.ended));
    for (const auto& s : shares) {
        if (s->first_error) {
            const std::string_view name = s->first_error.name();
            std::printf("first_connect_error=%.*s\n", static_cast<int>(name.size()), name.data());
            break;
        }
    }
    std::printf("ramp_seconds=%.3f\nconnect_rate_per_s=%.0f\n", ramp_s,
                ramp_s > 0 ? static_cast<double>(t.established) / ramp_s : 0.0);
    std::printf("rss_baseline_kb=%ld\nrss_held_kb=%ld\n", rss_base, rss_held);
    if (held > 0) {
        std::printf("rss_bytes_per_held=%.0f\n", static_cast<double>(rss_held - rss_base) * 1024.0 /
                                                     static_cast<double>(held));
        std::printf("cpu_us_per_connection=%.1f\n", cpu_ramp * 1e6 / static_cast<double>(t.established));
    }
    std::int64_t last_cancelled = 0;
    for (const auto& s : shares) {
        last_cancelled = std::max(last_cancelled, s->last_cancelled_ns.load());
    }
    // Until every held receive has ended (cancel_all), then until every socket is closed and every
    // reactor has exited.
    if (last_cancelled > stop_start) {
        std::printf("cancel_seconds=%.3f\n", static_cast<double>(last_cancelled - stop_start) / 1e9);
    }
    std::printf("shutdown_seconds=%.3f\n", shutdown_s);
    return held == o.connections ? 0 : 1;
}
