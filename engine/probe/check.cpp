// The three-phase WebSocket check (see check.h and ../shared/ARCHITECTURE.md "A check, as data").
#include "engine/probe/check.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/dns/error.h"
#include "engine/probe/errc.h"
#include "engine/probe/frames.h"
#include "engine/probe/pipe.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/errc.h"
#include "engine/runtime/ops.h"
#include "engine/runtime/recv_stream.h"
#include "engine/runtime/socket.h"
#include "http1/handshake.h"
#include "http1/request.h"
#include "proto/verdict.h"
#include "tls/error.h"
#include "tls/session.h"
#include "ws/close.h"
#include "ws/utf8.h"

namespace wsp::probe {
namespace {

using proto::check_result;
using proto::check_spec;
using proto::phase;
namespace app = proto::app;

std::int64_t to_ns(proto::millis m) { return static_cast<std::int64_t>(m.count()) * 1'000'000; }

std::string ms_text(proto::millis m) { return std::to_string(m.count()) + " ms"; }

// Per-attempt context: the spec, the environment, the result being filled and the overall bound.
struct attempt {
    probe_env env;
    const check_spec& spec;
    check_result& res;
    std::int64_t overall_end_ns;
    bool degraded = false; // a warning that lowers the verdict was recorded

    [[nodiscard]] rt::deadline until(proto::millis phase_timeout) const noexcept
    {
        return rt::deadline{std::min(rt::mono_now() + to_ns(phase_timeout), overall_end_ns)};
    }
    [[nodiscard]] bool overall_expired() const noexcept { return rt::mono_now() >= overall_end_ns; }
};

struct address_list {
    std::array<rt::address, dns::max_result_addresses> items{};
    std::size_t count = 0;
};

// DNS phase. Literals need no lookup (the phase is not run and has no duration).
rt::task<bool> resolve(attempt& a, address_list* out)
{
    const auto& url = a.spec.url;
    if (url.kind != proto::host_kind::name) {
        auto addr = rt::address::parse(url.host, url.port);
        if (!addr) {
            a.res.fail(phase::dns, addr.error(), "The address " + url.host + " is not a valid IP literal");
            co_return false;
        }
        out->items[0] = *addr;
        out->count = 1;
        co_return true;
    }
    if (a.env.dns == nullptr) {
        a.res.fail(phase::dns, errc::internal, "No DNS resolver is available to look up " + url.host);
        co_return false;
    }
    const auto family = static_cast<dns::address_family>(a.spec.family);
    const std::int64_t start = rt::mono_now();
    const std::int64_t budget = std::max<std::int64_t>(1, std::min(to_ns(a.spec.timeouts.dns), a.overall_end_ns - start));
    auto r = co_await a.env.dns->resolve(url.host, family, budget);
    a.res.set_duration(phase::dns, (r ? r->done_ns : rt::mono_now()) - start);
    if (!r) {
        a.res.fail(phase::dns, r.error(), dns::failure_sentence(url.host, family, r.error()));
        co_return false;
    }
    for (const auto& found : r->addresses()) {
        auto addr = rt::address::from_sockaddr(found.data(), found.length);
        if (addr && out->count < out->items.size()) {
            out->items[out->count] = *addr;
            out->items[out->count].set_port(url.port);
            ++out->count;
        }
    }
    if (out->count == 0) {
        a.res.fail(phase::dns, errc::no_address, "DNS lookup of " + url.host + " returned no usable address");
        co_return false;
    }
    co_return true;
}

std::string connect_sentence(const wsp::error& e, const std::string& peer, proto::millis timeout)
{
    if (e == rt::errc::connection_refused) {
        return "Connection refused by " + peer + " (nothing is listening on that port, or a firewall rejects it)";
    }
    if (e == rt::errc::timeout || e == rt::errc::connection_timed_out) {
        return "TCP connect to " + peer + " did not complete within " + ms_text(timeout) +
               " (host down, or a firewall drops the packets)";
    }
    if (e == rt::errc::network_unreachable || e == rt::errc::host_unreachable) {
        return "No route to " + peer + " (" + std::string(e.describe()) + ")";
    }
    if (e == rt::errc::fd_table_full) {
        return "Too many connections open in this wsprobe reactor to connect to " + peer;
    }
    return "TCP connect to " + peer + " failed: " + std::string(e.describe());
}

// TCP phase: tries each address in order until one connects. On success fills `out`.
rt::task<bool> connect(attempt& a, const address_list& addrs, rt::connected* out)
{
    rt::connect_options opt;
    if (a.spec.source_address) {
        auto src = rt::address::parse(*a.spec.source_address, 0);
        if (!src) {
            a.res.fail(phase::tcp, errc::bad_source_address,
                       "--source " + *a.spec.source_address + " is not an IPv4 or IPv6 address");
            co_return false;
        }
        opt.source = *src;
    }
    opt.until = a.until(a.spec.timeouts.connect);
    const std::int64_t start = rt::mono_now();
    wsp::error last;
    std::string last_peer;
    for (std::size_t i = 0; i < addrs.count; ++i) {
        last_peer = addrs.items[i].to_string();
        auto c = co_await rt::connect_tcp(*a.env.reactor, addrs.items[i], opt);
        if (c) {
            a.res.set_duration(phase::tcp, c->done_ns - start);
            a.res.peer_address = last_peer;
            *out = *c;
            co_return true;
        }
        last = c.error();
        if (last == rt::errc::timeout || last == rt::errc::fd_table_full || a.overall_expired()) {
            break; // the shared deadline is gone, or trying elsewhere cannot help
        }
    }
    a.res.set_duration(phase::tcp, rt::mono_now() - start);
    a.res.peer_address = last_peer;
    const wsp::error code = last == rt::errc::timeout ? wsp::error(errc::connect_timeout) : last;
    a.res.fail(phase::tcp, code, connect_sentence(last, last_peer, a.spec.timeouts.connect));
    co_return false;
}


// Response head lines for --verbose, prefixed "< ", with Set-Cookie values redacted.
std::string response_transcript(std::string_view head)
{
    std::string out;
    while (!head.empty()) {
        auto nl = head.find('\n');
        std::string_view line = head.substr(0, nl);
        head = nl == std::string_view::npos ? std::string_view{} : head.substr(nl + 1);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.empty()) {
            break;
        }
        out += "< ";
        const auto colon = line.find(':');
        std::string name(line.substr(0, colon == std::string_view::npos ? 0 : colon));
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        if (name == "set-cookie" || name == "authorization") {
            out += line.substr(0, colon);
            out += ": <redacted>";
        } else {
            // Printable ASCII only: a hostile server must not drive the terminal.
            for (char c : line) {
                const auto u = static_cast<unsigned char>(c);
                out += (u >= 0x20 && u < 0x7f) || c == '\t' ? c : '?';
            }
        }
        out += '\n';
    }
    return out;
}

// Buffers for one connection: the upgrade request, then the response head, reused as the
// frame inbox once the 101 is validated. Sized for the http1 parser's default limits.
struct conn_buffers {
    static constexpr std::size_t head_limit = 16 * 1024;
    std::array<char, head_limit> request{};
    std::array<std::uint8_t, head_limit + 4096> inbox{};
};

// Upgrade phase over an established connection. On success `leftover` is how many bytes at the
// start of buf->inbox are frame data that arrived with the head.
rt::task<bool> upgrade(attempt& a, byte_pipe& pipe, conn_buffers* buf,
                       std::int64_t connected_ns, std::size_t* leftover, std::int64_t* upgraded_ns)
{
    const auto& spec = a.spec;
    std::vector<std::string_view> subs(spec.subprotocols.begin(), spec.subprotocols.end());
    std::vector<std::string_view> exts(spec.extensions.begin(), spec.extensions.end());
    std::vector<http1::custom_header> headers;
    headers.reserve(spec.headers.size());
    for (const auto& h : spec.headers) {
        headers.push_back({h.name, h.value, h.secret, false});
    }
    http1::upgrade_request req;
    req.secure = spec.url.secure;
    req.host = spec.url.host;
    req.port = spec.url.port;
    req.target = spec.url.target;
    req.subprotocols = subs;
    req.extensions = exts;
    req.origin = spec.origin ? std::string_view(*spec.origin) : std::string_view{};
    req.headers = headers;

    auto key = http1::make_key(*a.env.entropy);
    if (!key) {
        a.res.fail(phase::upgrade, key.error(), "Could not get random bytes for Sec-WebSocket-Key");
        co_return false;
    }
    auto written = http1::write_upgrade_request(buf->request, req, *key);
    if (!written) {
        a.res.fail(phase::upgrade, written.error().code, written.error().sentence);
        co_return false;
    }
    if (a.env.transcript) {
        if (auto t = http1::render_transcript(req, *key)) {
            std::string_view text = *t;
            while (!text.empty()) {
                const auto nl = text.find('\n');
                a.res.transcript += "> ";
                a.res.transcript += text.substr(0, nl);
                a.res.transcript += '\n';
                text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
            }
        }
    }
    const rt::deadline until = a.until(spec.timeouts.upgrade);
    const auto* req_bytes = reinterpret_cast<const std::byte*>(buf->request.data());
    const rt::io_result sent = co_await pipe.send({req_bytes, *written}, until);
    if (!sent.ok()) {
        const wsp::error e = sent.error();
        a.res.set_duration(phase::upgrade, rt::mono_now() - connected_ns);
        if (e == rt::errc::timeout) {
            a.res.fail(phase::upgrade, errc::upgrade_timeout,
                       "Could not send the upgrade request within " + ms_text(spec.timeouts.upgrade));
        } else {
            a.res.fail(phase::upgrade, errc::reset_during_upgrade,
                       "The connection failed while sending the upgrade request: " + std::string(e.describe()));
        }
        co_return false;
    }

    std::array<std::string_view, 8> offered_subs_storage{};
    (void)offered_subs_storage;
    http1::client_offer offer;
    offer.key = key->view();
    offer.subprotocols = subs;
    offer.extensions = exts;
    offer.expect_subprotocol = spec.expect_subprotocol ? std::string_view(*spec.expect_subprotocol) : std::string_view{};
    offer.require_subprotocol = spec.expect_subprotocol.has_value();

    std::array<http1::header, 64> storage{};
    auto* head = reinterpret_cast<char*>(buf->inbox.data());
    std::size_t len = 0;
    std::size_t prev = 0;
    for (;;) {
        auto chunk = co_await pipe.recv(until);
        if (chunk.what != pipe_read::kind::data) {
            a.res.set_duration(phase::upgrade, chunk.stamp_ns - connected_ns);
            if (len > 0 && a.env.transcript) {
                a.res.transcript += response_transcript({head, len});
            }
            const std::string got = len == 0 ? "" : " after " + std::to_string(len) + " bytes of an incomplete HTTP response";
            if (chunk.what == pipe_read::kind::eof) {
                a.res.fail(phase::upgrade, errc::closed_before_response,
                           "The server closed the connection without answering the upgrade request" + got);
            } else if (chunk.error == rt::errc::timeout) {
                a.res.fail(phase::upgrade, errc::upgrade_timeout,
                           "No response to the upgrade request within " + ms_text(spec.timeouts.upgrade) + got);
            } else {
                a.res.fail(phase::upgrade, errc::reset_during_upgrade,
                           "The connection was reset during the upgrade" + got + " (" +
                               std::string(chunk.error.describe()) + ")");
            }
            co_return false;
        }
        const auto bytes = chunk.bytes;
        const std::size_t n = std::min(bytes.size(), buf->inbox.size() - len);
        std::memcpy(head + len, bytes.data(), n);
        len += n;
        auto checked = http1::check_upgrade_response({head, len}, prev, storage, offer);
        prev = len;
        if (!checked) {
            const auto& f = checked.error();
            a.res.set_duration(phase::upgrade, chunk.stamp_ns - connected_ns);
            if (f.status != 0) {
                a.res.negotiated.status = static_cast<std::uint16_t>(f.status);
            }
            if (a.env.transcript) {
                a.res.transcript += response_transcript({head, len});
            }
            a.res.fail(phase::upgrade, f.code, f.sentence);
            co_return false;
        }
        if (checked->has_value()) {
            const auto& neg = **checked;
            a.res.set_duration(phase::upgrade, chunk.stamp_ns - connected_ns);
            *upgraded_ns = chunk.stamp_ns;
            a.res.negotiated.status = 101;
            if (!neg.subprotocol.empty()) {
                a.res.negotiated.subprotocol = std::string(neg.subprotocol);
            }
            for (const auto& e : neg.extensions()) {
                a.res.negotiated.extensions.emplace_back(e.params.empty() ? std::string(e.name)
                                                                          : std::string(e.name) + "; " +
                                                                                std::string(e.params));
            }
            if (a.env.transcript) {
                a.res.transcript += response_transcript({head, neg.head_length});
            }
            *leftover = len - neg.head_length;
            std::memmove(buf->inbox.data(), buf->inbox.data() + neg.head_length, *leftover);
            co_return true;
        }
        if (len == buf->inbox.size()) {
            // Cannot happen with the parser's head limit below the buffer size; kept as a bound.
            a.res.fail(phase::upgrade, errc::internal, "The upgrade response head does not fit the buffer");
            co_return false;
        }
    }
}


// What happened on the WebSocket after the upgrade; drives the close and the TCP close mode.
struct ws_state {
    bool server_close_seen = false; // the server's close frame arrived
    bool close_sent = false;
    bool eof_seen = false;          // the server closed TCP
    bool failed = false;            // the check is already down
    bool expected_close = false;    // the server closed with a code --expect-close asked for
    std::uint16_t server_code = 0;
    std::string server_reason;
};

// 4 fresh mask bytes per frame (RFC 6455 §5.3: unpredictable).
ws::mask_key next_mask(http1::entropy_source& e)
{
    std::array<std::uint8_t, 16> bytes{};
    if (!e.fill(std::span<std::uint8_t, 16>(bytes))) {
        bytes.fill(0x5a);
    }
    return {bytes[0], bytes[1], bytes[2], bytes[3]};
}

rt::task<bool> send_frame(byte_pipe& pipe, std::span<const std::uint8_t> frame, rt::deadline until)
{
    const auto* p = reinterpret_cast<const std::byte*>(frame.data());
    const rt::io_result r = co_await pipe.send({p, frame.size()}, until);
    co_return r.ok();
}

// Answers a server ping with a pong carrying the same payload (RFC 6455 §5.5.2).
rt::task<void> answer_ping(attempt& a, byte_pipe& pipe, std::span<const std::uint8_t> payload, rt::deadline until)
{
    std::array<std::uint8_t, 2 + 4 + 125> frame{};
    if (auto n = ws::build_pong(frame, payload, next_mask(*a.env.entropy))) {
        (void)co_await send_frame(pipe, std::span<const std::uint8_t>(frame.data(), *n), until);
    }
}

std::string close_words(std::uint16_t code, std::string_view reason)
{
    std::string s = std::to_string(code) + " (" + std::string(ws::close_code_name(code));
    if (!reason.empty()) {
        s += ": \"" + std::string(reason.substr(0, 123)) + "\"";
    }
    return s + ")";
}

// Records a server-initiated close as the failure of phase p.
void fail_server_close(attempt& a, ws_state& st, phase p, const ws::event& ev, std::int64_t since_upgrade_ns)
{
    st.server_close_seen = true;
    st.server_code = ev.close_code;
    st.server_reason = std::string(ev.close_reason());
    a.res.close.by = proto::closed_by::server;
    a.res.close.code = ev.close_code;
    a.res.close.reason = st.server_reason;
    st.failed = true;
    const std::string when =
        since_upgrade_ns < 1'000'000 ? "right after the upgrade" : proto::format_ms(since_upgrade_ns) + " after the upgrade";
    a.res.fail(p, errc::server_closed,
               "The server closed the WebSocket with " + close_words(ev.close_code, st.server_reason) + " " + when);
}

void fail_read(attempt& a, ws_state& st, phase p, const read_outcome& o, std::int64_t since_upgrade_ns,
               proto::millis timeout)
{
    st.failed = true;
    if (o.what == read_outcome::kind::eof) {
        st.eof_seen = true;
        a.res.close.by = proto::closed_by::transport;
        a.res.close.code = 1006;
        a.res.fail(p, errc::connection_dropped,
                   "The server dropped the TCP connection without a close frame (1006) " +
                       proto::format_ms(since_upgrade_ns) + " after the upgrade");
    } else if (o.error == rt::errc::timeout) {
        a.res.fail(p, errc::rtt_timeout,
                   "No reply within " + ms_text(timeout) +
                       " (RTT timeout): the upgrade succeeded but frames are not getting through");
    } else if (o.error.module() == "ws") {
        a.res.fail(p, o.error, "The server sent an invalid WebSocket frame: " + std::string(o.error.describe()));
    } else {
        a.res.close.by = proto::closed_by::transport;
        a.res.close.code = 1006;
        a.res.fail(p, errc::connection_reset,
                   "The connection failed after the upgrade: " + std::string(o.error.describe()));
    }
}

// Printable preview of a reply for sentences.
std::string preview(std::span<const std::uint8_t> bytes)
{
    std::string out;
    for (std::size_t i = 0; i < bytes.size() && i < 48; ++i) {
        const char c = static_cast<char>(bytes[i]);
        out += (bytes[i] >= 0x20 && bytes[i] < 0x7f) ? c : '.';
    }
    return bytes.size() > 48 ? out + "..." : out;
}

// RTT phase: echo, any or ping. Returns false when the check is down.
rt::task<bool> round_trip(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st, std::int64_t upgraded_ns)
{
    const auto& spec = a.spec;
    const rt::deadline until = a.until(spec.timeouts.rtt);
    const auto payload = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(spec.payload.data()),
                                                       spec.payload.size());
    std::int64_t sent_ns = upgraded_ns;
    const bool ping = spec.rtt == proto::rtt_mode::ping || spec.rtt == proto::rtt_mode::app;
    if (spec.rtt == proto::rtt_mode::echo || ping) {
        if (spec.rtt == proto::rtt_mode::echo && !spec.binary && !ws::validate_utf8(spec.payload)) {
            a.res.fail(phase::rtt, errc::bad_payload, "The echo payload is not UTF-8; send it with --binary");
            co_return false;
        }
        std::vector<std::uint8_t> frame(payload.size() + ws::max_header_size);
        const auto key = next_mask(*a.env.entropy);
        auto n = ping ? ws::build_ping(frame, payload, key)
                 : spec.binary                     ? ws::build_binary(frame, payload, key)
                                                   : ws::build_text(frame, spec.payload, key);
        if (!n) {
            a.res.fail(phase::rtt, errc::bad_payload, "The payload cannot be framed: " + std::string(n.error().describe()));
            co_return false;
        }
        sent_ns = rt::mono_now();
        const bool frame_sent = co_await send_frame(pipe, std::span<const std::uint8_t>(frame.data(), *n), until);
        if (!frame_sent) {
            a.res.set_duration(phase::rtt, rt::mono_now() - sent_ns);
            st.failed = true;
            a.res.fail(phase::rtt, errc::connection_reset, "The connection failed while sending the RTT frame");
            co_return false;
        }
    }
    const ws::opcode want_op = spec.binary ? ws::opcode::binary : ws::opcode::text;
    std::size_t offset = 0;
    bool matches = true;
    unsigned others = 0;
    std::string first_other;
    for (;;) {
        auto o = co_await rd.next(until);
        if (!o.is_event()) {
            a.res.set_duration(phase::rtt, o.stamp_ns - sent_ns);
            if (o.what == read_outcome::kind::error && o.error == rt::errc::timeout && others > 0) {
                st.failed = true;
                a.res.fail(phase::rtt, errc::echo_mismatch,
                           "The server answered " + std::to_string(others) +
                               " message(s) but none equal to the payload sent; first: \"" + first_other + "\"");
                co_return false;
            }
            fail_read(a, st, phase::rtt, o, o.stamp_ns - upgraded_ns, spec.timeouts.rtt);
            co_return false;
        }
        const auto& ev = o.ev;
        switch (ev.kind) {
        case ws::event_kind::frame_header:
            if (ev.op != ws::opcode::continuation) {
                offset = 0;
                matches = ev.op == want_op;
            }
            break;
        case ws::event_kind::payload:
            if (offset + ev.payload.size() > payload.size() ||
                !std::equal(ev.payload.begin(), ev.payload.end(), payload.begin() + static_cast<std::ptrdiff_t>(offset))) {
                matches = false;
            }
            if (first_other.empty() && offset == 0) {
                first_other = preview(ev.payload);
            }
            offset += ev.payload.size();
            break;
        case ws::event_kind::message_end:
            if (spec.rtt == proto::rtt_mode::any || spec.rtt == proto::rtt_mode::none ||
                (spec.rtt == proto::rtt_mode::echo && matches && offset == payload.size())) {
                a.res.set_duration(phase::rtt, o.stamp_ns - sent_ns);
                a.res.rtt_ns = o.stamp_ns - sent_ns;
                co_return true;
            }
            ++others;
            break;
        case ws::event_kind::control:
            if (ev.op == ws::opcode::ping) {
                co_await answer_ping(a, pipe, ev.payload, until);
            } else if (ev.op == ws::opcode::pong) {
                if (ping && std::equal(ev.payload.begin(), ev.payload.end(),
                                                                    payload.begin(), payload.end())) {
                    a.res.set_duration(phase::rtt, o.stamp_ns - sent_ns);
                    a.res.rtt_ns = o.stamp_ns - sent_ns;
                    co_return true;
                }
            } else if (ev.op == ws::opcode::close) {
                a.res.set_duration(phase::rtt, o.stamp_ns - sent_ns);
                if (spec.expect_close && spec.expect_close->contains(ev.close_code)) {
                    st.server_close_seen = true;
                    st.expected_close = true;
                    st.server_code = ev.close_code;
                    a.res.close = {proto::closed_by::server, ev.close_code, std::string(ev.close_reason()), false};
                    co_return false;
                }
                fail_server_close(a, st, phase::rtt, ev, o.stamp_ns - upgraded_ns);
                co_return false;
            }
            break;
        case ws::event_kind::need_more: break;
        }
    }
}


// Records a warning; `degrade` lowers an otherwise healthy verdict to degraded.
void warn(attempt& a, std::string why, bool degrade = true)
{
    a.res.warnings.push_back(std::move(why));
    a.degraded = a.degraded || degrade;
}

// TLS phase (wss): handshake with SNI/ALPN/verification from the context, then the facts.
rt::task<bool> tls_phase(attempt& a, byte_pipe& pipe, std::optional<tls::session>* session, std::int64_t connected_ns,
                         std::int64_t* done_ns)
{
    if (a.env.tls == nullptr) {
        a.res.fail(phase::tls, errc::internal, "No TLS context was configured for wss:// checks");
        co_return false;
    }
    const auto& spec = a.spec;
    auto s = tls::session::client(*a.env.tls, spec.url.host, spec.tls.resume ? a.env.tls_cache : nullptr,
                                  spec.url.authority());
    if (!s) {
        a.res.fail(phase::tls, s.error(), "Could not start a TLS session: " + std::string(s.error().describe()));
        co_return false;
    }
    session->emplace(std::move(*s));
    auto r = co_await pipe.start_tls(&**session, a.until(spec.timeouts.tls), done_ns);
    a.res.set_duration(phase::tls, *done_ns - connected_ns);
    if (!r) {
        const wsp::error& e = r.error();
        if (e == rt::errc::timeout) {
            a.res.fail(phase::tls, errc::tls_timeout,
                       "The TLS handshake did not complete within " + ms_text(spec.timeouts.tls));
        } else if (e.module() == "tls") {
            const std::string& why = (*session)->failure_text();
            a.res.fail(phase::tls, e, why.empty() ? std::string(e.describe()) : why);
        } else {
            a.res.fail(phase::tls, errc::tls_connection_failed,
                       "The connection failed during the TLS handshake: " + std::string(e.describe()));
        }
        co_return false;
    }
    const tls::tls_facts f = (*session)->facts();
    proto::tls_info info;
    info.version = f.version;
    info.cipher = f.cipher;
    info.alpn = f.alpn;
    info.subject = f.leaf_subject;
    info.issuer = f.issuer;
    info.names = f.san_dns;
    info.names.insert(info.names.end(), f.san_ip.begin(), f.san_ip.end());
    info.not_after = f.leaf_not_after_iso;
    info.chain_not_after = f.chain_not_after_iso;
    info.days_left = f.chain_days_left(static_cast<std::int64_t>(std::time(nullptr)));
    info.resumed = f.resumed;
    if (f.verify_code != 0) {
        info.verify = f.verify_text;
        warn(a, "Certificate problem ignored (--insecure): " + f.verify_text, false);
    }
    if (info.days_left < static_cast<std::int64_t>(spec.tls.cert_warn_days)) {
        warn(a, "The certificate chain expires in " + std::to_string(info.days_left) + " days (" +
                    info.chain_not_after + "), within the " + std::to_string(spec.tls.cert_warn_days) +
                    "-day warning window");
    }
    a.res.tls = std::move(info);
    co_return true;
}

// Close phase: our close 1000, the server's close frame, then the server closes TCP first
// (RFC 6455 §7.1.1). A server that already closed gets its code echoed (§5.5.1).
rt::task<void> close_phase(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st, std::int64_t upgraded_ns)
{
    if (st.eof_seen) {
        co_return;
    }
    const rt::deadline until = a.until(a.spec.timeouts.close);
    std::array<std::uint8_t, 2 + 4 + 125> frame{};
    if (st.server_close_seen) {
        const std::uint16_t code = ws::is_valid_wire_close_code(st.server_code) ? st.server_code : 1000;
        if (auto n = ws::build_close(frame, code, "", next_mask(*a.env.entropy))) {
            st.close_sent = co_await send_frame(pipe, std::span<const std::uint8_t>(frame.data(), *n), until);
        }
        st.eof_seen = co_await rd.wait_eof(until);
        co_return;
    }
    const bool protocol_error = a.res.code == "invalid_frame" || a.res.cls == wsp::failure_class::protocol;
    const std::uint16_t our_code = protocol_error ? 1002 : 1000;
    auto n = ws::build_close(frame, our_code, "", next_mask(*a.env.entropy));
    const std::int64_t start = rt::mono_now();
    bool close_sent = false;
    if (n) {
        close_sent = co_await send_frame(pipe, std::span<const std::uint8_t>(frame.data(), *n), until);
    }
    if (!close_sent) {
        if (!st.failed) {
            warn(a, "Could not send the close frame; the connection was already broken");
        }
        co_return;
    }
    st.close_sent = true;
    if (protocol_error || st.failed) {
        // RFC 6455 §7.1.7: fail the connection. After a timeout or a broken exchange the close
        // handshake would only add its own timeout to a verdict that is already down.
        co_return;
    }
    for (;;) {
        auto o = co_await rd.next(until);
        if (!o.is_event()) {
            a.res.set_duration(phase::close, std::max<std::int64_t>(0, o.stamp_ns - start));
            a.res.close.by = proto::closed_by::client;
            if (o.what == read_outcome::kind::eof) {
                st.eof_seen = true;
                a.res.close.code = 1006;
                if (!st.failed) {
                    warn(a, "The server closed TCP without answering the close frame (1006)");
                }
            } else if (!st.failed) {
                warn(a, o.error == rt::errc::timeout
                            ? "The server did not answer the close frame within " + ms_text(a.spec.timeouts.close)
                            : "The close handshake failed: " + std::string(o.error.describe()));
            }
            co_return;
        }
        const auto& ev = o.ev;
        if (ev.kind != ws::event_kind::control) {
            continue; // data still in flight from the server is discarded
        }
        if (ev.op == ws::opcode::ping) {
            co_await answer_ping(a, pipe, ev.payload, until);
            continue;
        }
        if (ev.op != ws::opcode::close) {
            continue;
        }
        a.res.set_duration(phase::close, std::max<std::int64_t>(0, o.stamp_ns - start));
        if (ev.close_code != 1000 && ev.close_code != 1001 && ev.close_code != 1005 && !st.failed) {
            // Not an answer to our 1000: the server was closing on its own (e.g. 4401 after auth).
            fail_server_close(a, st, phase::close, ev, o.stamp_ns - upgraded_ns);
        } else {
            a.res.close.by = proto::closed_by::client;
            a.res.close.code = ev.close_code;
            a.res.close.reason = std::string(ev.close_reason());
            a.res.close.clean = true;
            st.server_close_seen = true;
        }
        st.eof_seen = co_await rd.wait_eof(until);
        co_return;
    }
}

// ---- App presets, scripted exchanges and expected closes (issue: app protocols) ----

// Why next_message() stopped.
enum class message_end : std::uint8_t { message = 0, closed = 1, failed = 2 };

// Reads one whole data message into `buf` (bounded by the decoder's message limit), answering
// pings on the way. On `closed`, `close_code`/`close_reason` hold the server's close frame; on
// `failed`, `end` is the eof or error outcome.
struct message_state {
    std::string buf;
    bool binary = false;
    std::uint16_t close_code = 0;
    std::string close_reason;
    read_outcome end;
    std::int64_t stamp_ns = 0;
};

rt::task<message_end> next_message(attempt& a, byte_pipe& pipe, frame_reader& rd, rt::deadline until,
                                   message_state* m)
{
    m->buf.clear();
    for (;;) {
        auto o = co_await rd.next(until);
        m->stamp_ns = o.stamp_ns;
        if (!o.is_event()) {
            m->end = o;
            co_return message_end::failed;
        }
        const auto& ev = o.ev;
        switch (ev.kind) {
        case ws::event_kind::frame_header:
            if (ev.op != ws::opcode::continuation) {
                m->binary = ev.op == ws::opcode::binary;
                m->buf.clear();
            }
            break;
        case ws::event_kind::payload:
            m->buf.append(reinterpret_cast<const char*>(ev.payload.data()), ev.payload.size());
            break;
        case ws::event_kind::message_end: co_return message_end::message;
        case ws::event_kind::control:
            if (ev.op == ws::opcode::ping) {
                co_await answer_ping(a, pipe, ev.payload, until);
            } else if (ev.op == ws::opcode::close) {
                m->close_code = ev.close_code;
                m->close_reason = std::string(ev.close_reason());
                co_return message_end::closed;
            }
            break;
        case ws::event_kind::need_more: break;
        }
    }
}

rt::task<bool> send_message(attempt& a, byte_pipe& pipe, bool binary, std::string_view bytes, rt::deadline until)
{
    std::vector<std::uint8_t> frame(bytes.size() + ws::max_header_size);
    const auto key = next_mask(*a.env.entropy);
    const auto payload = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    auto n = binary ? ws::build_binary(frame, payload, key) : ws::build_text(frame, bytes, key);
    if (!n) {
        co_return false;
    }
    const bool sent = co_await send_frame(pipe, std::span<const std::uint8_t>(frame.data(), *n), until);
    co_return sent;
}

std::string printable_preview(std::string_view bytes)
{
    return preview(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

// A close frame arrived during phase p. With --expect-close matching it, the check succeeded;
// otherwise it is down, explained by the preset's close-code map when there is one.
bool handle_close(attempt& a, ws_state& st, phase p, const message_state& m, std::int64_t since_upgrade_ns,
                  const app::session* app)
{
    st.server_close_seen = true;
    st.server_code = m.close_code;
    st.server_reason = m.close_reason;
    a.res.close.by = proto::closed_by::server;
    a.res.close.code = m.close_code;
    a.res.close.reason = m.close_reason;
    if (a.spec.expect_close && a.spec.expect_close->contains(m.close_code)) {
        st.expected_close = true;
        return true;
    }
    st.failed = true;
    if (a.spec.expect_close) {
        const auto v = a.spec.expect_close->match(m.close_code, m.close_reason);
        a.res.fail(p, v.error, v.sentence);
        return false;
    }
    const std::string when =
        since_upgrade_ns < 1'000'000 ? "right after the upgrade" : proto::format_ms(since_upgrade_ns) + " after the upgrade";
    const std::string meaning = app != nullptr ? app->describe_close(m.close_code, m.close_reason)
                                               : close_words(m.close_code, m.close_reason);
    a.res.fail(p, errc::server_closed, "The server closed the WebSocket with " + meaning + " " + when);
    return false;
}

void fail_message_read(attempt& a, ws_state& st, phase p, const message_state& m, std::int64_t since_upgrade_ns,
                       proto::millis timeout, std::string_view waiting_for)
{
    fail_read(a, st, p, m.end, since_upgrade_ns, timeout);
    if (m.end.what == read_outcome::kind::error && m.end.error == rt::errc::timeout) {
        a.res.sentence = "No " + std::string(waiting_for) + " within " + ms_text(timeout) +
                         (m.buf.empty() ? std::string() : "; last message: \"" + printable_preview(m.buf) + "\"");
    }
}

rt::task<bool> send_all_outgoing(attempt& a, byte_pipe& pipe, const std::vector<app::outgoing>& out, rt::deadline until)
{
    for (const auto& o : out) {
        if (a.env.transcript) {
            a.res.transcript += "> [app] " + app::to_string(o) + "\n";
        }
        const bool sent = co_await send_message(a, pipe, o.kind == app::frame_kind::binary, o.bytes, until);
        if (!sent) {
            co_return false;
        }
    }
    co_return true;
}

// Feeds messages to a preset step function (init or rtt) until done, failed, closed or timeout.
// Returns true when the step function reported done.
rt::task<bool> drive_preset(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st, app::session& s, phase p,
                            bool rtt, std::int64_t upgraded_ns, std::int64_t started_ns, proto::millis timeout)
{
    const rt::deadline until = a.until(timeout);
    message_state m;
    for (;;) {
        const message_end got = co_await next_message(a, pipe, rd, until, &m);
        if (got == message_end::closed) {
            a.res.set_duration(p, m.stamp_ns - started_ns);
            (void)handle_close(a, st, p, m, m.stamp_ns - upgraded_ns, &s);
            co_return false; // stop here: an expected close ends the check as a success
        }
        if (got == message_end::failed) {
            a.res.set_duration(p, m.stamp_ns - started_ns);
            fail_message_read(a, st, p, m, m.stamp_ns - upgraded_ns, timeout,
                              rtt ? "reply to the " + std::string(a.spec.app->preset->name) + " round trip"
                                  : std::string(a.spec.app->preset->name) + " init answer");
            co_return false;
        }
        if (a.env.transcript) {
            a.res.transcript += "< [app] " + printable_preview(m.buf) + "\n";
        }
        const auto kind = m.binary ? app::frame_kind::binary : app::frame_kind::text;
        app::step step = rtt ? s.on_rtt_message(kind, m.buf) : s.on_init_message(kind, m.buf);
        if (!step.send.empty()) {
            const bool sent = co_await send_all_outgoing(a, pipe, step.send, until);
            if (!sent) {
                st.failed = true;
                a.res.fail(p, errc::connection_reset, "The connection failed while answering the server");
                co_return false;
            }
        }
        if (step.kind == app::step_kind::done) {
            a.res.set_duration(p, m.stamp_ns - started_ns);
            co_return true;
        }
        if (step.kind == app::step_kind::failed) {
            a.res.set_duration(p, m.stamp_ns - started_ns);
            st.failed = true;
            a.res.fail(p, step.error, step.sentence);
            co_return false;
        }
    }
}

// app_init phase: the preset's opening messages and the server's acceptance.
rt::task<bool> app_init(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st, app::session& s,
                        std::int64_t upgraded_ns)
{
    const std::int64_t start = rt::mono_now();
    const bool sent = co_await send_all_outgoing(a, pipe, s.start(), a.until(a.spec.timeouts.app_init));
    if (!sent) {
        st.failed = true;
        a.res.fail(phase::app_init, errc::connection_reset, "The connection failed while sending the init message");
        co_return false;
    }
    const bool ok = co_await drive_preset(a, pipe, rd, st, s, phase::app_init, false, upgraded_ns, start,
                                          a.spec.timeouts.app_init);
    co_return ok;
}

// RTT through the preset's own request/response primitive.
rt::task<bool> app_round_trip(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st, app::session& s,
                              std::int64_t upgraded_ns)
{
    const std::int64_t start = rt::mono_now();
    const bool sent = co_await send_all_outgoing(a, pipe, s.rtt_request(), a.until(a.spec.timeouts.rtt));
    if (!sent) {
        st.failed = true;
        a.res.fail(phase::rtt, errc::connection_reset, "The connection failed while sending the RTT request");
        co_return false;
    }
    const bool ok = co_await drive_preset(a, pipe, rd, st, s, phase::rtt, true, upgraded_ns, start, a.spec.timeouts.rtt);
    if (ok) {
        a.res.rtt_ns = a.res.duration(phase::rtt);
    }
    co_return ok;
}

// Scripted exchanges: each step sends (optionally) and matches the next message (optionally).
// They run in the rtt phase; the first reply's time is the round trip.
rt::task<bool> run_steps(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st, std::int64_t upgraded_ns)
{
    const std::int64_t start = rt::mono_now();
    message_state m;
    std::size_t index = 0;
    for (const auto& step : a.spec.steps) {
        ++index;
        const rt::deadline until = a.until(a.spec.timeouts.rtt);
        if (step.send) {
            if (a.env.transcript) {
                a.res.transcript += "> [step " + std::to_string(index) + "] " + printable_preview(step.send->bytes) + "\n";
            }
            const bool sent = co_await send_message(a, pipe, step.send->binary, step.send->bytes, until);
            if (!sent) {
                st.failed = true;
                a.res.fail(phase::rtt, errc::connection_reset, "The connection failed while sending step " + std::to_string(index));
                co_return false;
            }
        }
        if (step.expect.empty()) {
            continue;
        }
        const message_end got = co_await next_message(a, pipe, rd, until, &m);
        a.res.set_duration(phase::rtt, m.stamp_ns - start);
        if (got == message_end::closed) {
            (void)handle_close(a, st, phase::rtt, m, m.stamp_ns - upgraded_ns, nullptr);
            co_return false; // stop here: an expected close ends the check as a success
        }
        if (got == message_end::failed) {
            fail_message_read(a, st, phase::rtt, m, m.stamp_ns - upgraded_ns, a.spec.timeouts.rtt,
                              "reply to step " + std::to_string(index));
            co_return false;
        }
        if (a.env.transcript) {
            a.res.transcript += "< [step " + std::to_string(index) + "] " + printable_preview(m.buf) + "\n";
        }
        if (!a.res.rtt_ns) {
            a.res.rtt_ns = m.stamp_ns - start;
        }
        for (const auto& e : step.expect) {
            const auto v = e.match(m.binary, m.buf);
            if (!v.ok()) {
                st.failed = true;
                a.res.fail(phase::rtt, v.error, "Step " + std::to_string(index) + ": " + v.sentence);
                co_return false;
            }
        }
    }
    co_return true;
}

// --expect-close: waits (RTT timeout) for the server's close frame and judges its code.
rt::task<void> await_expected_close(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st, std::int64_t upgraded_ns)
{
    const std::int64_t start = rt::mono_now();
    message_state m;
    for (;;) {
        const message_end got = co_await next_message(a, pipe, rd, a.until(a.spec.timeouts.rtt), &m);
        if (got == message_end::message) {
            continue; // data before the close is allowed
        }
        a.res.set_duration(phase::close, std::max<std::int64_t>(0, m.stamp_ns - start));
        if (got == message_end::closed) {
            (void)handle_close(a, st, phase::close, m, m.stamp_ns - upgraded_ns, nullptr);
            co_return;
        }
        st.failed = true;
        if (m.end.what == read_outcome::kind::eof) {
            st.eof_seen = true;
        }
        const auto v = a.spec.expect_close->match(std::nullopt);
        a.res.fail(phase::close, v.error,
                   m.end.what == read_outcome::kind::eof
                       ? v.sentence + " (the TCP connection closed without a close frame)"
                       : v.sentence + " (nothing within " + ms_text(a.spec.timeouts.rtt) + ")");
        co_return;
    }
}

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
