// Many WebSocket probes as RFC 8441 streams on one HTTP/2 connection (RFC 9113 §5): the shared
// connection phases once, then per probe its extended CONNECT (RFC 8441 §4-§5) and the WebSocket
// phases of a check over a pipe view of its stream (detail/shared_h2.h).
#include "engine/probe/h2_mux.h"

#include <algorithm>
#include <optional>

#include "engine/probe/detail/attempt.h"
#include "engine/probe/detail/shared_h2.h"
#include "engine/runtime/recv_stream.h"
#include "h2/error.h"
#include "h2/extended_connect.h"
#include "h2/session.h"
#include "tls/error.h"
#include "tls/session.h"

namespace wsp::probe {
namespace {

using namespace detail;

// Teardown sends (a stream's END_STREAM or RST_STREAM, GOAWAY, close_notify) are best effort
// within this bound.
constexpr std::int64_t teardown_ns = 100'000'000;

// A transport failure before a response, worded as the single-connection upgrade words it.
void fail_before_response(attempt& a, const pipe_read& r, std::string_view waiting_for)
{
    if (r.what == pipe_read::kind::eof) {
        a.res.fail(phase::upgrade, errc::closed_before_response,
                   "The server closed the connection while wsprobe waited for " + std::string(waiting_for));
    } else if (r.error.module() == "h2") {
        a.res.fail(phase::upgrade, r.error,
                   "The server's HTTP/2 bytes were rejected while waiting for " + std::string(waiting_for) +
                       " (" + std::string(r.error.describe()) + ")");
    } else {
        a.res.fail(phase::upgrade, errc::reset_during_upgrade,
                   "The connection failed while waiting for " + std::string(waiting_for) + " (" +
                       std::string(r.error.describe()) + ")");
    }
}

// RFC 9113 §3.4 preface and SETTINGS; RFC 8441 §3: extended CONNECT needs ENABLE_CONNECT_PROTOCOL=1.
rt::task<bool> open_session(attempt& a, shared_h2& conn, std::int64_t ready_ns)
{
    const rt::deadline until = a.until(a.spec.timeouts.upgrade);
    (void)co_await conn.flush(until);
    auto r = co_await conn.await_settings(until);
    if (!r.ev) {
        a.res.set_duration(phase::upgrade, r.stamp_ns - ready_ns);
        if (r.failure.what == pipe_read::kind::error && r.failure.error == rt::errc::timeout) {
            a.res.fail(phase::upgrade, errc::h2_settings_timeout,
                       "No HTTP/2 SETTINGS from the server within " + ms_text(a.spec.timeouts.upgrade));
        } else {
            fail_before_response(a, r.failure, "the server's HTTP/2 SETTINGS");
        }
        co_return false;
    }
    if (r.ev->kind == h2::event_kind::goaway) {
        a.res.set_duration(phase::upgrade, r.stamp_ns - ready_ns);
        a.res.fail(phase::upgrade, h2::errc::goaway, h2::describe_goaway(*r.ev));
        co_return false;
    }
    if (conn.session().peer_connect_protocol() != 1) {
        a.res.set_duration(phase::upgrade, rt::mono_now() - ready_ns);
        a.res.fail(phase::upgrade, h2::errc::connect_protocol_not_enabled,
                   "The server speaks HTTP/2 but did not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL = 1, so "
                   "WebSockets over HTTP/2 (RFC 8441) are not available to share one connection");
        co_return false;
    }
    co_return true;
}

// One probe's extended CONNECT and its validated 2xx (RFC 8441 §4-§5).
rt::task<bool> stream_upgrade(attempt& a, shared_h2& conn, stream_slot& slot, std::int64_t ready_ns,
                              std::int64_t* upgraded_ns)
{
    const auto& spec = a.spec;
    connect_plan plan;
    plan_connect(spec, &plan);
    const h2::connect_request& req = plan.req;
    auto opened = conn.open(slot, req);
    if (!opened) {
        a.res.fail(phase::upgrade, opened.error(),
                   "Could not send the extended CONNECT: " + std::string(opened.error().describe()));
        co_return false;
    }
    if (a.env.transcript) {
        a.res.transcript += h2_request_transcript(req, spec.headers);
    }
    const rt::deadline until = a.until(spec.timeouts.upgrade);
    (void)co_await conn.flush(until);
    for (;;) {
        auto r = co_await conn.next_event(slot, until);
        if (!r.ev) {
            a.res.set_duration(phase::upgrade, r.stamp_ns - ready_ns);
            if (r.failure.what == pipe_read::kind::error && r.failure.error == rt::errc::timeout) {
                a.res.fail(phase::upgrade, errc::upgrade_timeout,
                           "No response to the extended CONNECT within " + ms_text(spec.timeouts.upgrade));
            } else {
                fail_before_response(a, r.failure, "the extended CONNECT response");
            }
            co_return false;
        }
        const h2::event& ev = *r.ev;
        if (ev.kind == h2::event_kind::goaway &&
            (ev.local || ev.last_stream_id < slot.id || ev.error_code != 0)) {
            a.res.set_duration(phase::upgrade, r.stamp_ns - ready_ns);
            a.res.fail(phase::upgrade, ev.local ? h2::errc::session_error : h2::errc::goaway,
                       h2::describe_goaway(ev));
            co_return false;
        }
        const connect_answer answer = judge_connect_answer(a, ev, req, r.stamp_ns, ready_ns);
        if (answer == connect_answer::pending) {
            continue;
        }
        if (answer == connect_answer::failed) {
            co_return false;
        }
        *upgraded_ns = r.stamp_ns;
        co_return true;
    }
}

// The WebSocket phases after the upgrade, in run_check's order, over a pipe view of the stream.
rt::task<void> ws_phases(attempt& a, shared_h2& conn, stream_slot& slot, std::int64_t upgraded_ns,
                         ws_state& st)
{
    const auto& spec = a.spec;
    const conn_buffer_lease buf;
    byte_pipe pipe(*a.env.reactor, conn.socket(), conn.receiver());
    pipe.bind_shared_h2_stream(&conn, slot.id);
    a.pipe = &pipe;
    frame_reader rd(pipe, decoder_options_for(a.res, spec), buf.get()->inbox);
    co_await websocket_phases(a, pipe, rd, st, upgraded_ns);
    a.pipe = nullptr;
}

// Everything one probe needs; passed by value into its coroutine.
struct stream_job {
    shared_h2* conn = nullptr;
    probe_env env;
    const check_spec* spec = nullptr;
    check_result* res = nullptr;
    std::int32_t* stream_id = nullptr;
    std::size_t index = 0;
    std::int64_t start_ns = 0;
    std::int64_t ready_ns = 0;
    std::int64_t overall_end_ns = 0;
    bool degraded = false; // the shared TLS phase recorded a degrading warning
};

void conclude(check_result& res, bool degraded, std::int64_t start_ns, const check_spec& spec)
{
    if (!res.failed_phase) {
        res.status = degraded ? proto::check_status::degraded : proto::check_status::up;
    }
    res.total_ns = rt::mono_now() - start_ns;
    proto::apply_thresholds(res, spec.thresholds);
}

rt::task<void> run_stream(stream_job job)
{
    attempt a{job.env, *job.spec, *job.res, job.overall_end_ns};
    a.degraded = job.degraded;
    stream_slot& slot = job.conn->slot(job.index);
    std::int64_t upgraded_ns = 0;
    ws_state st;
    const bool upgraded = co_await stream_upgrade(a, *job.conn, slot, job.ready_ns, &upgraded_ns);
    *job.stream_id = slot.id;
    if (upgraded) {
        co_await ws_phases(a, *job.conn, slot, upgraded_ns, st);
    }
    job.conn->finish(slot, st.eof_seen);
    (void)co_await job.conn->flush(rt::deadline{rt::mono_now() + teardown_ns});
    conclude(*job.res, a.degraded, job.start_ns, *job.spec);
}

// The connection phases into out->results[0]; on failure every result gets the same verdict.
rt::task<void> run_connection(probe_env env, std::vector<const check_spec*> specs, mux_outcome* out)
{
    const check_spec& spec = *specs[0];
    const std::int64_t start = rt::mono_now();
    check_result& lead = out->results[0];
    attempt a{env, spec, lead, start + to_ns(spec.timeouts.overall)};
    address_list addrs;
    rt::connected conn;
    bool ok = co_await resolve(a, &addrs);
    if (ok) {
        ok = co_await connect(a, addrs, &conn);
    }
    bool transport_eof = false;
    bool streams_ran = false;
    if (ok) {
        rt::recv_stream rs(*env.reactor, conn.sock);
        byte_pipe pipe(*env.reactor, conn.sock, rs);
        a.pipe = &pipe;
        std::optional<tls::session> tls_session;
        std::int64_t ready_ns = conn.done_ns;
        if (spec.url.secure) {
            ok = co_await tls_phase(a, pipe, &tls_session, conn.done_ns, &ready_ns);
        }
        a.pipe = nullptr;
        // RFC 9113 §3.2: over TLS, h2 only when ALPN selected it; there is no HTTP/1.1 to share.
        const std::string alpn = lead.tls ? lead.tls->alpn : std::string{};
        if (ok && spec.url.secure && alpn != "h2") {
            lead.fail(phase::upgrade, errc::h2_not_negotiated,
                      "ALPN selected " + (alpn.empty() ? std::string("no protocol") : alpn) +
                          ": the server does not offer HTTP/2 on this port, so the probes cannot share a "
                          "connection");
            ok = false;
        }
        std::optional<shared_h2> shared;
        if (ok) {
            auto made = h2::client_session::create();
            if (!made) {
                lead.fail(phase::upgrade, made.error(), "Could not start an HTTP/2 session");
                ok = false;
            } else {
                shared.emplace(*env.reactor, conn.sock, rs, tls_session ? &*tls_session : nullptr,
                               std::move(*made), specs.size());
                // The probes speak HTTP/2 from here on, whether their streams then succeed or not.
                lead.negotiated.http_version = "h2";
                ok = co_await open_session(a, *shared, ready_ns);
            }
        }
        if (ok) {
            lead.negotiated.http_version = "h2";
            for (std::size_t i = 1; i < specs.size(); ++i) {
                out->results[i] = lead;
                out->results[i].url = specs[i]->url.text();
            }
            streams_ran = true;
            rt::scope probes;
            for (std::size_t i = 0; i < specs.size(); ++i) {
                probes.spawn(
                    run_stream(stream_job{&*shared, env, specs[i], &out->results[i], &out->stream_ids[i], i,
                                          start, ready_ns, a.overall_end_ns, a.degraded}));
            }
            co_await probes.join();
        }
        if (shared) {
            co_await shared->shut(rt::deadline{rt::mono_now() + teardown_ns});
            transport_eof = shared->transport_eof();
        } else if (tls_session && tls_session->handshake_done()) {
            co_await pipe.send_close_notify(rt::deadline{rt::mono_now() + teardown_ns});
        }
        co_await rs.stop();
        (void)co_await rt::close_socket(*env.reactor, conn.sock,
                                        transport_eof ? rt::close_mode::graceful : rt::close_mode::abort);
    }
    if (!streams_ran) {
        // The shared connection failed before any stream: every probe has its verdict.
        for (std::size_t i = 0; i < specs.size(); ++i) {
            if (i > 0) {
                out->results[i] = lead;
                out->results[i].url = specs[i]->url.text();
            }
            conclude(out->results[i], false, start, *specs[i]);
        }
    }
}

rt::task<mux_outcome> run_specs(probe_env env, std::vector<const check_spec*> specs)
{
    mux_outcome out;
    out.results.resize(specs.size());
    out.stream_ids.assign(specs.size(), 0);
    if (specs.empty()) {
        co_return out;
    }
    for (std::size_t i = 0; i < specs.size(); ++i) {
        out.results[i].url = specs[i]->url.text();
    }
    co_await run_connection(env, specs, &out);
    co_return out;
}

} // namespace

rt::task<mux_outcome> run_multiplexed(probe_env env, const proto::check_spec* spec, std::size_t count)
{
    co_return co_await run_specs(env, std::vector<const check_spec*>(count, spec));
}

rt::task<mux_outcome> run_multiplexed_targets(probe_env env, const proto::check_spec* spec,
                                              std::vector<std::string> targets)
{
    std::vector<check_spec> specs(targets.size(), *spec);
    std::vector<const check_spec*> ptrs;
    ptrs.reserve(specs.size());
    for (std::size_t i = 0; i < specs.size(); ++i) {
        specs[i].url.target = targets[i].empty() || targets[i][0] != '/' ? "/" + targets[i] : targets[i];
        ptrs.push_back(&specs[i]);
    }
    co_return co_await run_specs(env, std::move(ptrs));
}

} // namespace wsp::probe
