// The three-phase WebSocket check (see check.h and ../shared/ARCHITECTURE.md "A check, as data"):
// one attempt runs connect.cpp, upgrade.cpp, exchange.cpp and app_phases.cpp in order.
#include "engine/probe/check.h"

#include "engine/probe/detail/attempt.h"
#include "engine/runtime/recv_stream.h"
#include "h2/session.h"
#include "tls/context.h"
#include "tls/session.h"

namespace wsp::probe {
namespace {

using namespace detail;

// One connection: the shared phases up to the validated upgrade (session.cpp), then the
// WebSocket phases and the close. Sets *fallback when --http2 prefer must retry on a new
// HTTP/1.1 connection.
rt::task<void> run_connection(attempt& a, const address_list& addrs, bool try_h2, bool* fallback)
{
    const check_spec* spec = &a.spec;
    const conn_buffer_lease buf;
    std::size_t leftover = 0;
    std::int64_t upgraded_ns = 0;
    std::unique_ptr<ws_connection> conn =
        co_await establish(a, addrs, try_h2, fallback, buf.get(), &leftover, &upgraded_ns);
    if (!conn) {
        co_return;
    }
    ws_state st;
    {
        byte_pipe& pipe = conn->transport()->pipe;
        frame_reader rd(pipe, decoder_options_for(a.res, *spec), buf.get()->inbox);
        (void)rd.preload(std::span<const std::uint8_t>(buf.get()->inbox.data(), leftover), upgraded_ns);
        co_await websocket_phases(a, pipe, rd, st, upgraded_ns);
    }
    co_await conn->teardown(st.eof_seen);
    a.pipe = nullptr;
}

rt::task<void> run_attempt(probe_env env, const check_spec* spec, check_result* res)
{
    attempt a{env, *spec, *res, rt::mono_now() + to_ns(spec->timeouts.overall)};
    address_list addrs;
    const bool resolved = co_await resolve(a, &addrs);
    if (!resolved) {
        co_return;
    }
    bool fallback = false;
    co_await run_connection(a, addrs, spec->http2 != proto::http2_mode::off, &fallback);
    if (fallback) {
        // RFC 8441 §3: the server's HTTP/2 lacks extended CONNECT; browsers then use HTTP/1.1 on a
        // new connection, and so does the check, saying why.
        std::optional<tls::context> h1_ctx;
        if (spec->url.secure) {
            auto made = client_tls_context(spec->tls, false);
            if (!made) {
                res->fail(phase::tls, made.error(),
                          "Could not build the HTTP/1.1 TLS context for the fallback");
                co_return;
            }
            h1_ctx.emplace(std::move(*made));
            a.env.tls = &*h1_ctx;
        }
        res->negotiated = proto::negotiated_info{};
        res->negotiated.fallback_reason = "server did not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL";
        bool again = false;
        co_await run_connection(a, addrs, false, &again);
    }
    if (!res->failed_phase) {
        res->status = a.degraded ? proto::check_status::degraded : proto::check_status::up;
    }
}

} // namespace

rt::task<proto::check_result> run_check(probe_env env, const proto::check_spec* spec)
{
    check_result res;
    const unsigned attempts = spec->retries + 1;
    for (unsigned i = 1; i <= attempts; ++i) {
        res = check_result{};
        res.url = spec->url.text();
        res.attempts = i;
        const std::int64_t start = rt::mono_now();
        co_await run_attempt(env, spec, &res);
        res.total_ns = rt::mono_now() - start;
        if (res.status != proto::check_status::down) {
            break;
        }
    }
    proto::apply_thresholds(res, spec->thresholds);
    co_return res;
}

} // namespace wsp::probe

namespace wsp::probe::detail {
namespace {
thread_local std::vector<std::unique_ptr<conn_buffers>> idle_buffers;
// Idle transport blocks; what is left at thread exit goes back to the heap.
struct transport_cache {
    std::vector<void*> blocks;
    transport_cache() = default;
    transport_cache(const transport_cache&) = delete;
    transport_cache& operator=(const transport_cache&) = delete;
    ~transport_cache() { release(); }
    void release() noexcept
    {
        for (void* p : blocks) {
            ::operator delete(p);
        }
        std::vector<void*> none;
        blocks.swap(none);
    }
};
thread_local transport_cache idle_transports;

// Under AddressSanitizer every transport comes from the heap, so use-after-free is still caught.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool pool_transports = false;
#else
constexpr bool pool_transports = true;
#endif
} // namespace

void* transport::operator new(std::size_t n)
{
    if (pool_transports && n == sizeof(transport) && !idle_transports.blocks.empty()) {
        void* p = idle_transports.blocks.back();
        idle_transports.blocks.pop_back();
        return p;
    }
    return ::operator new(n);
}

void transport::operator delete(void* p, std::size_t n) noexcept
{
    if (pool_transports && n == sizeof(transport) &&
        idle_transports.blocks.size() < conn_buffer_lease::max_cached) {
        try {
            idle_transports.blocks.push_back(p);
            return;
        } catch (...) {
            // No room to remember it: give it back to the heap instead.
        }
    }
    ::operator delete(p);
}

conn_buffer_lease::conn_buffer_lease()
{
    if (idle_buffers.empty()) {
        buf_ = std::make_unique<conn_buffers>();
    } else {
        buf_ = std::move(idle_buffers.back());
        idle_buffers.pop_back();
    }
}

} // namespace wsp::probe::detail

namespace wsp::probe {

void release_idle_buffers() noexcept
{
    std::vector<std::unique_ptr<detail::conn_buffers>> none;
    detail::idle_buffers.swap(none);
    detail::idle_transports.release();
}

} // namespace wsp::probe

namespace wsp::probe::detail {

conn_buffer_lease::~conn_buffer_lease()
{
    if (idle_buffers.size() < max_cached) {
        idle_buffers.push_back(std::move(buf_));
    }
}

} // namespace wsp::probe::detail
