// Upgrade phase over HTTP/2 (RFC 8441): the connection preface and SETTINGS exchange, then the
// extended CONNECT (§4-§5) and its validated 2xx. WebSocket frames then ride the stream's DATA.
#include "engine/probe/detail/attempt.h"

#include <algorithm>
#include <cctype>
#include <span>

#include "h2/error.h"
#include "h2/extended_connect.h"
#include "h2/session.h"
#include "http1/request.h"

namespace wsp::probe::detail {
namespace {

// A transport failure before the upgrade completed, as the HTTP/1.1 path reports it.
void fail_transport(attempt& a, const pipe_read& r, std::string_view waiting_for)
{
    if (r.what == pipe_read::kind::eof) {
        a.res.fail(phase::upgrade, errc::closed_before_response,
                   "The server closed the connection while wsprobe waited for " + std::string(waiting_for));
    } else if (r.error.module() == "h2") {
        a.res.fail(phase::upgrade, r.error,
                   "The server's HTTP/2 bytes were rejected while waiting for " + std::string(waiting_for) + " (" +
                       std::string(r.error.describe()) + ")");
    } else {
        a.res.fail(phase::upgrade, errc::reset_during_upgrade,
                   "The connection failed while waiting for " + std::string(waiting_for) + " (" +
                       std::string(r.error.describe()) + ")");
    }
}

// h2c with prior knowledge (RFC 9113 §3.3) ended before the server's first SETTINGS: it closed,
// reset, or answered the preface with bytes that are not HTTP/2 (an HTTP/1.1-only server answers
// "HTTP/1.1 400"). Such a server does not speak HTTP/2 on this port, which is what
// h2_not_negotiated says over TLS when ALPN does not select h2 (RFC 9113 §3.2).
// `rejected`: nghttp2 refused what the server sent; its GOAWAY then often leaves before the
// server's close or reset is read, so the transport error alone would hide that bytes came.
void fail_not_h2c(attempt& a, const pipe_read& r, bool rejected)
{
    std::string how;
    if (rejected || r.error.module() == "h2") {
        how = "answered with bytes that are not HTTP/2 (an HTTP/1.1 response, say)";
    } else if (r.what == pipe_read::kind::eof) {
        how = "closed the connection";
    } else {
        how = "dropped the connection (" + std::string(r.error.describe()) + ")";
    }
    a.res.fail(phase::upgrade, errc::h2_not_negotiated,
               "The server does not speak HTTP/2 with prior knowledge (h2c) on this port: it " + how +
                   " instead of sending SETTINGS after the connection preface");
}

// True when the value of header `name` (any case) is never shown: Authorization, Cookie and
// Proxy-Authorization always, and every --secret-header, exactly as the HTTP/1.1 transcript.
bool secret_header(std::string_view name, std::span<const proto::header_field> custom) noexcept
{
    if (http1::is_secret_by_default(name)) {
        return true;
    }
    return std::any_of(custom.begin(), custom.end(), [name](const proto::header_field& h) {
        return h.secret &&
               std::equal(h.name.begin(), h.name.end(), name.begin(), name.end(), [](char x, char y) {
                   return std::tolower(static_cast<unsigned char>(x)) ==
                          std::tolower(static_cast<unsigned char>(y));
               });
    });
}

// The extended CONNECT header list for --verbose, one "> name value" line per field in the order
// it is sent (pseudo-headers first, RFC 9113 §8.3), secret values shown as <redacted>.
std::string request_transcript(const h2::connect_request& req, std::span<const proto::header_field> custom)
{
    std::string out;
    auto fields = h2::build_connect_headers(req);
    if (!fields) {
        return out;
    }
    for (const auto& f : *fields) {
        out += "> ";
        out += f.name;
        out += ' ';
        out += secret_header(f.name, custom) ? std::string_view("<redacted>") : std::string_view(f.value);
        out += '\n';
    }
    return out;
}

} // namespace

void plan_connect(const check_spec& spec, connect_plan* out)
{
    out->authority = spec.url.authority();
    out->extensions.clear();
    for (const auto& e : spec.extensions) {
        out->extensions += out->extensions.empty() ? e : ", " + e;
    }
    h2::connect_request& req = out->req;
    req.scheme = spec.url.secure ? "https" : "http";
    req.authority = out->authority;
    req.path = spec.url.target;
    req.subprotocols.assign(spec.subprotocols.begin(), spec.subprotocols.end());
    req.extensions = out->extensions;
    req.origin = spec.origin ? std::string_view(*spec.origin) : std::string_view{};
    req.headers.clear();
    for (const auto& h : spec.headers) {
        req.headers.push_back({h.name, h.value});
    }
}

connect_answer judge_connect_answer(attempt& a, const h2::event& ev, const h2::connect_request& req,
                                    std::int64_t stamp_ns, std::int64_t since_ns)
{
    if (ev.kind == h2::event_kind::stream_reset || ev.kind == h2::event_kind::stream_closed) {
        a.res.set_duration(phase::upgrade, stamp_ns - since_ns);
        a.res.fail(phase::upgrade, h2::errc::stream_reset,
                   h2::describe_reset(ev.error_code) + " instead of answering the extended CONNECT");
        return connect_answer::failed;
    }
    if (ev.kind != h2::event_kind::headers) {
        return connect_answer::pending;
    }
    const auto status = h2::status_of(ev);
    if (status && *status >= 100 && *status < 200) {
        return connect_answer::pending; // RFC 9113 §8.1: interim responses precede the final one
    }
    a.res.set_duration(phase::upgrade, stamp_ns - since_ns);
    if (status) {
        a.res.negotiated.status = static_cast<std::uint16_t>(*status);
        if (a.env.transcript) {
            a.res.transcript += "< :status " + std::to_string(*status) + "\n";
        }
    }
    const std::string_view asserted =
        a.spec.expect_subprotocol ? std::string_view(*a.spec.expect_subprotocol) : std::string_view{};
    auto checked = h2::validate_connect_response(ev, req, asserted);
    if (!checked) {
        a.res.fail(phase::upgrade, checked.error().code, checked.error().message);
        return connect_answer::failed;
    }
    if (!checked->subprotocol.empty()) {
        a.res.negotiated.subprotocol = checked->subprotocol;
    }
    if (!checked->extensions.empty()) {
        a.res.negotiated.extensions.push_back(checked->extensions);
    }
    return connect_answer::accepted;
}

std::string h2_request_transcript(const h2::connect_request& req, std::span<const proto::header_field> custom)
{
    return request_transcript(req, custom);
}

rt::task<h2_outcome> h2_upgrade(attempt& a, byte_pipe& pipe, std::optional<h2::client_session>* session,
                                std::int64_t connected_ns, std::int64_t* upgraded_ns)
{
    const auto& spec = a.spec;
    auto made = h2::client_session::create();
    if (!made) {
        a.res.fail(phase::upgrade, made.error(), "Could not start an HTTP/2 session");
        co_return h2_outcome::failed;
    }
    session->emplace(std::move(*made));
    pipe.attach_h2(&**session);
    // From the preface on this connection speaks HTTP/2, so a failure below is an h2 failure. A
    // fallback (RFC 8441 §3: no extended CONNECT) starts over on a new HTTP/1.1 connection and
    // resets the negotiated fields, fallback_reason included.
    a.res.negotiated.http_version = "h2";
    const rt::deadline until = a.until(spec.timeouts.upgrade);

    // RFC 9113 §3.4: the preface and our SETTINGS, then the server's SETTINGS (RFC 8441 §3).
    for (;;) {
        auto r = co_await pipe.next_h2_event(until);
        if (!r.ev) {
            a.res.set_duration(phase::upgrade, r.stamp_ns - connected_ns);
            if (r.failure.what == pipe_read::kind::error && r.failure.error == rt::errc::timeout) {
                a.res.fail(phase::upgrade, errc::h2_settings_timeout,
                           "No HTTP/2 SETTINGS from the server within " + ms_text(spec.timeouts.upgrade));
            } else if (!spec.url.secure) {
                fail_not_h2c(a, r.failure, !(*session)->is_alive());
            } else {
                fail_transport(a, r.failure, "the server's HTTP/2 SETTINGS");
            }
            co_return h2_outcome::failed;
        }
        if (r.ev->kind == h2::event_kind::settings) {
            break;
        }
        if (r.ev->kind == h2::event_kind::goaway) {
            a.res.set_duration(phase::upgrade, r.stamp_ns - connected_ns);
            if (r.ev->local && !spec.url.secure) {
                // Our own GOAWAY: the server's first bytes were not a SETTINGS frame.
                fail_not_h2c(a, pipe_read{pipe_read::kind::error, {}, h2::errc::session_error, r.stamp_ns},
                             true);
            } else {
                a.res.fail(phase::upgrade, h2::errc::goaway, h2::describe_goaway(*r.ev));
            }
            co_return h2_outcome::failed;
        }
    }
    // RFC 8441 §3: extended CONNECT only after ENABLE_CONNECT_PROTOCOL=1.
    if ((*session)->peer_connect_protocol() != 1) {
        if (spec.http2 == proto::http2_mode::prefer) {
            co_return h2_outcome::fallback;
        }
        a.res.set_duration(phase::upgrade, rt::mono_now() - connected_ns);
        a.res.fail(phase::upgrade, h2::errc::connect_protocol_not_enabled,
                   "The server speaks HTTP/2 but did not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL = 1, so "
                   "WebSockets over HTTP/2 (RFC 8441) are not available; browsers fall back to HTTP/1.1");
        co_return h2_outcome::failed;
    }

    connect_plan plan;
    plan_connect(spec, &plan);
    const h2::connect_request& req = plan.req;
    auto opened = (*session)->open_websocket(req);
    if (!opened) {
        a.res.fail(phase::upgrade, opened.error(),
                   "Could not send the extended CONNECT: " + std::string(opened.error().describe()));
        co_return h2_outcome::failed;
    }
    const std::int32_t stream = *opened;
    if (a.env.transcript) {
        a.res.transcript += request_transcript(req, spec.headers);
    }
    for (;;) {
        auto r = co_await pipe.next_h2_event(until);
        if (!r.ev) {
            a.res.set_duration(phase::upgrade, r.stamp_ns - connected_ns);
            if (r.failure.what == pipe_read::kind::error && r.failure.error == rt::errc::timeout) {
                a.res.fail(phase::upgrade, errc::upgrade_timeout,
                           "No response to the extended CONNECT within " + ms_text(spec.timeouts.upgrade));
            } else {
                fail_transport(a, r.failure, "the extended CONNECT response");
            }
            co_return h2_outcome::failed;
        }
        const h2::event& ev = *r.ev;
        if (ev.kind == h2::event_kind::goaway && (ev.local || ev.last_stream_id < stream || ev.error_code != 0)) {
            a.res.set_duration(phase::upgrade, r.stamp_ns - connected_ns);
            a.res.fail(phase::upgrade, ev.local ? h2::errc::session_error : h2::errc::goaway,
                       h2::describe_goaway(ev));
            co_return h2_outcome::failed;
        }
        if (ev.stream_id != stream) {
            continue;
        }
        const connect_answer answer = judge_connect_answer(a, ev, req, r.stamp_ns, connected_ns);
        if (answer == connect_answer::pending) {
            continue;
        }
        if (answer == connect_answer::failed) {
            co_return h2_outcome::failed;
        }
        pipe.bind_h2_stream(stream);
        *upgraded_ns = r.stamp_ns;
        co_return h2_outcome::upgraded;
    }
}

} // namespace wsp::probe::detail
