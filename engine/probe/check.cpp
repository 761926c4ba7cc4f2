// The three-phase WebSocket check (see check.h and ../shared/ARCHITECTURE.md "A check, as data"):
// one attempt runs connect.cpp, upgrade.cpp, exchange.cpp and app_phases.cpp in order.
#include "engine/probe/check.h"

#include "engine/probe/detail/attempt.h"
#include "engine/runtime/recv_stream.h"
#include "tls/session.h"

namespace wsp::probe {
namespace {

using namespace detail;

bool has_extension(const check_result& r, std::string_view name)
{
    return std::any_of(r.negotiated.extensions.begin(), r.negotiated.extensions.end(),
                       [&](const std::string& e) { return e.starts_with(name); });
}

rt::task<void> run_attempt(probe_env env, const check_spec* spec, check_result* res)
{
    attempt a{env, *spec, *res, rt::mono_now() + to_ns(spec->timeouts.overall)};
    address_list addrs;
    const bool resolved = co_await resolve(a, &addrs);
    if (!resolved) {
        co_return;
    }
    rt::connected conn;
    const bool connected = co_await connect(a, addrs, &conn);
    if (!connected) {
        co_return;
    }
    res->negotiated.http_version = "http/1.1";
    auto buf = std::make_unique<conn_buffers>();
    ws_state st;
    {
        rt::recv_stream rs(*env.reactor, conn.sock);
        byte_pipe pipe(*env.reactor, conn.sock, rs);
        std::optional<tls::session> tls_session;
        std::int64_t ready_ns = conn.done_ns;
        // Every co_await stands in a statement of its own: g++ 12 has miscompiled co_await inside
        // conditions and short-circuit expressions (seen in the lab server).
        bool ok = true;
        if (spec->url.secure) {
            ok = co_await tls_phase(a, pipe, &tls_session, conn.done_ns, &ready_ns);
        }
        std::size_t leftover = 0;
        std::int64_t upgraded_ns = 0;
        if (ok) {
            ok = co_await upgrade(a, pipe, buf.get(), ready_ns, &leftover, &upgraded_ns);
        }
        if (ok) {
            ws::decoder_options opts;
            opts.local = ws::role::client;
            opts.permessage_deflate = has_extension(*res, "permessage-deflate");
            opts.max_message_size = spec->max_message_size;
            frame_reader rd(pipe, opts, buf->inbox);
            (void)rd.preload(std::span<const std::uint8_t>(buf->inbox.data(), leftover), upgraded_ns);
            std::unique_ptr<app::session> app_session;
            bool going = true;
            if (spec->app) {
                auto made = spec->app->preset->make(spec->app->options);
                if (!made) {
                    a.res.fail(phase::app_init, made.error().error, made.error().sentence);
                    going = false;
                } else {
                    app_session = std::move(*made);
                    going = co_await app_init(a, pipe, rd, st, *app_session, upgraded_ns);
                }
            }
            if (going && !st.server_close_seen && spec->rtt != proto::rtt_mode::none) {
                if (spec->rtt == proto::rtt_mode::app && app_session && app_session->has_rtt()) {
                    going = co_await app_round_trip(a, pipe, rd, st, *app_session, upgraded_ns);
                } else {
                    going = co_await round_trip(a, pipe, rd, st, upgraded_ns);
                }
            }
            if (going && !st.server_close_seen && !spec->steps.empty()) {
                going = co_await run_steps(a, pipe, rd, st, upgraded_ns);
            }
            if (going && !st.server_close_seen && spec->expect_close) {
                co_await await_expected_close(a, pipe, rd, st, upgraded_ns);
            }
            co_await close_phase(a, pipe, rd, st, upgraded_ns);
        }
        if (tls_session && !st.eof_seen && tls_session->handshake_done()) {
            co_await pipe.send_close_notify(rt::deadline{rt::mono_now() + 100'000'000});
        }
        co_await rs.stop();
    }
    // The server closing first leaves TIME_WAIT on its side; otherwise reset so this side keeps
    // no TIME_WAIT per check (runtime socket.h, close_mode).
    (void)co_await rt::close_socket(*env.reactor, conn.sock, st.eof_seen ? rt::close_mode::graceful : rt::close_mode::abort);
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
