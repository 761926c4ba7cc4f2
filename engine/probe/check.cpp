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

bool has_extension(const check_result& r, std::string_view name)
{
    return std::any_of(r.negotiated.extensions.begin(), r.negotiated.extensions.end(),
                       [&](const std::string& e) { return e.starts_with(name); });
}

// The HTTP/1.1-only client context for the --http2 prefer fallback's new connection (the run's
// context offers h2 by ALPN). Mirrors the CLI's context from the same options.
wsp::expected<tls::context> http1_context(const proto::tls_options& t)
{
    auto b = tls::context_builder::client();
    b.insecure(t.insecure).alpn({"http/1.1"});
    if (t.ca_file) {
        b.ca_file(*t.ca_file);
    }
    if (t.cert_file && t.key_file) {
        b.certificate_file(*t.cert_file, *t.key_file);
    }
    if (t.min_tls13) {
        b.min_version(tls::tls_version::tls1_3);
    }
    return b.build();
}

// One connection: TLS, the upgrade (HTTP/1.1, or RFC 8441 when `try_h2`), the WebSocket phases
// and the close. Sets *fallback when --http2 prefer must retry on a new HTTP/1.1 connection.
rt::task<void> run_connection(attempt& a, const address_list& addrs, bool try_h2, bool* fallback)
{
    const check_spec* spec = &a.spec;
    check_result* res = &a.res;
    rt::connected conn;
    const bool connected = co_await connect(a, addrs, &conn);
    if (!connected) {
        co_return;
    }
    res->negotiated.http_version = "http/1.1";
    const conn_buffer_lease buf;
    ws_state st;
    {
        rt::recv_stream rs(*a.env.reactor, conn.sock);
        byte_pipe pipe(*a.env.reactor, conn.sock, rs);
        a.pipe = &pipe;
        std::optional<tls::session> tls_session;
        std::optional<h2::client_session> h2_session;
        std::int64_t ready_ns = conn.done_ns;
        // Every co_await stands in a statement of its own: g++ 12 has miscompiled co_await inside
        // conditions and short-circuit expressions (seen in the lab server).
        bool ok = true;
        if (spec->url.secure) {
            ok = co_await tls_phase(a, pipe, &tls_session, conn.done_ns, &ready_ns);
        }
        bool use_h2 = false;
        if (ok && try_h2 && spec->url.secure) {
            // RFC 9113 §3.2: over TLS, h2 only when ALPN selected it.
            const std::string alpn = res->tls ? res->tls->alpn : std::string{};
            if (alpn == "h2") {
                use_h2 = true;
            } else if (spec->http2 == proto::http2_mode::require) {
                res->fail(phase::upgrade, errc::h2_not_negotiated,
                          "--http2 require, but ALPN selected " + (alpn.empty() ? std::string("no protocol") : alpn) +
                              ": the server does not offer HTTP/2 on this port");
                ok = false;
            } else {
                // RFC 7301 §3.2: a server that answers no ALPN protocol speaks the default, HTTP/1.1
                // (tls.alpn shows "" then). One stable reason either way.
                res->negotiated.fallback_reason = "ALPN selected http/1.1";
            }
        } else if (ok && try_h2 && spec->http2 == proto::http2_mode::prior_knowledge) {
            use_h2 = true; // RFC 9113 §3.3: h2c with prior knowledge
        }
        std::size_t leftover = 0;
        std::int64_t upgraded_ns = 0;
        if (ok && use_h2) {
            const h2_outcome out = co_await h2_upgrade(a, pipe, &h2_session, ready_ns, &upgraded_ns);
            ok = out == h2_outcome::upgraded;
            *fallback = out == h2_outcome::fallback;
        } else if (ok) {
            ok = co_await upgrade(a, pipe, buf.get(), ready_ns, &leftover, &upgraded_ns);
        }
        if (ok) {
            ws::decoder_options opts;
            opts.local = ws::role::client;
            opts.permessage_deflate = has_extension(*res, "permessage-deflate");
            opts.max_message_size = spec->max_message_size;
            frame_reader rd(pipe, opts, buf.get()->inbox);
            (void)rd.preload(std::span<const std::uint8_t>(buf.get()->inbox.data(), leftover), upgraded_ns);
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
        if (h2_session && !st.eof_seen) {
            // RFC 9113 §6.8: a graceful GOAWAY before the transport closes; best effort.
            (void)h2_session->send_goaway(h2::no_error);
            (void)co_await pipe.flush_h2(rt::deadline{rt::mono_now() + 100'000'000});
        }
        if (tls_session && !st.eof_seen && tls_session->handshake_done()) {
            co_await pipe.send_close_notify(rt::deadline{rt::mono_now() + 100'000'000});
        }
        co_await rs.stop();
        a.pipe = nullptr;
    }
    // The server closing first leaves TIME_WAIT on its side; otherwise reset so this side keeps
    // no TIME_WAIT per check (runtime socket.h, close_mode).
    (void)co_await rt::close_socket(*a.env.reactor, conn.sock, st.eof_seen ? rt::close_mode::graceful : rt::close_mode::abort);
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
            auto made = http1_context(spec->tls);
            if (!made) {
                res->fail(phase::tls, made.error(), "Could not build the HTTP/1.1 TLS context for the fallback");
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
} // namespace

conn_buffer_lease::conn_buffer_lease()
{
    if (idle_buffers.empty()) {
        buf_ = std::make_unique<conn_buffers>();
    } else {
        buf_ = std::move(idle_buffers.back());
        idle_buffers.pop_back();
    }
}

conn_buffer_lease::~conn_buffer_lease()
{
    if (idle_buffers.size() < max_cached) {
        idle_buffers.push_back(std::move(buf_));
    }
}

} // namespace wsp::probe::detail
