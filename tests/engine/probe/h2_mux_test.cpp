// Multiplexed probes (engine/probe/h2_mux.cpp): K RFC 8441 streams on one HTTP/2 connection,
// against an in-process HTTP/2 server on 127.0.0.1 (h2::server_session over blocking sockets on
// its own thread; h2c, or TLS with ALPN h2) that counts the connections it accepts and the
// streams it answers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine/probe/h2_mux.h"
#include "h2/session.h"
#include "http1/key.h"
#include "proto/url.h"
#include "tests/engine/runtime/rt_test_support.h"
#include "tests/integration/net_util.h"
#include "tls/cert_gen.h"
#include "tls/context.h"
#include "tls/session.h"
#include "ws/decoder.h"
#include "ws/frame.h"

namespace {

using namespace std::chrono_literals;
using wsp::proto::check_status;
using wsp::proto::phase;

// One WebSocket per stream, server side: "/echo" echoes every message and answers close,
// "/reset" resets the stream when the first frame arrives, "/silent" accepts and never answers,
// "/reject" answers 403, "/goaway" ends the connection with GOAWAY(ENHANCE_YOUR_CALM).
struct ws_stream {
    std::string path;
    wsp::ws::decoder dec{wsp::ws::decoder_options{wsp::ws::role::server}};
    std::vector<std::uint8_t> in;
    std::vector<std::uint8_t> message;
    wsp::ws::opcode op = wsp::ws::opcode::text;
    bool ended = false;
};

struct h2_conn {
    int fd = -1;
    wsp::h2::server_session session;
    std::optional<wsp::tls::session> tls; // wss: ALPN h2, then HTTP/2 inside TLS
    std::map<std::int32_t, ws_stream> streams;
};

class h2c_ws_server {
public:
    // With `tls`, every connection is TLS (the context must outlive the server).
    explicit h2c_ws_server(wsp::h2::server_options opts = {}, const wsp::tls::context* tls = nullptr)
        : opts_(opts), tls_(tls)
    {
        const wsp::test::loopback_listener l = wsp::test::listen_loopback(16, "h2c_ws_server");
        listener_ = l.fd;
        port_ = l.port;
        thread_ = std::thread([this] { run(); });
    }
    h2c_ws_server(const h2c_ws_server&) = delete;
    h2c_ws_server& operator=(const h2c_ws_server&) = delete;
    ~h2c_ws_server()
    {
        stop_ = true;
        thread_.join();
        ::close(listener_);
    }

    [[nodiscard]] std::string url(const std::string& path) const
    {
        return (tls_ != nullptr ? "wss://127.0.0.1:" : "ws://127.0.0.1:") + std::to_string(port_) + path;
    }
    [[nodiscard]] int accepted() const { return accepted_.load(); }
    // Stream ids on which an extended CONNECT arrived, over all connections.
    [[nodiscard]] std::vector<std::int32_t> streams_seen()
    {
        const std::lock_guard<std::mutex> lock(mu_);
        return seen_;
    }

private:
    void run()
    {
        std::vector<h2_conn> conns;
        const auto give_up = std::chrono::steady_clock::now() + 30s; // bounded whatever the client does
        while (!stop_ && std::chrono::steady_clock::now() < give_up) {
            std::vector<pollfd> fds{{listener_, POLLIN, 0}};
            for (const auto& c : conns) {
                fds.push_back({c.fd, POLLIN, 0});
            }
            if (::poll(fds.data(), fds.size(), 20) <= 0) {
                continue;
            }
            for (std::size_t i = fds.size(); i-- > 1;) {
                if (fds[i].revents != 0 && !serve(conns[i - 1])) {
                    ::close(conns[i - 1].fd);
                    conns.erase(conns.begin() + static_cast<std::ptrdiff_t>(i - 1));
                }
            }
            if ((fds[0].revents & POLLIN) != 0) {
                const int fd = ::accept(listener_, nullptr, nullptr);
                auto s = wsp::h2::server_session::create(opts_);
                std::optional<wsp::tls::session> t;
                if (tls_ != nullptr) {
                    auto made = wsp::tls::session::server(*tls_);
                    if (made) {
                        t.emplace(std::move(*made));
                    }
                }
                if (fd >= 0 && s && (tls_ == nullptr || t)) {
                    ++accepted_;
                    conns.push_back(h2_conn{fd, std::move(*s), std::move(t), {}});
                    (void)send_output(conns.back());
                }
            }
        }
        for (auto& c : conns) {
            ::close(c.fd);
        }
    }

    // One read: (decrypt,) feed, answer, send. False when the connection is over.
    bool serve(h2_conn& c)
    {
        std::array<std::uint8_t, 16384> buf{};
        const ssize_t n = ::recv(c.fd, buf.data(), buf.size(), 0);
        if (n <= 0) {
            return false;
        }
        std::vector<std::uint8_t> plain(buf.begin(), buf.begin() + n);
        if (c.tls) {
            plain.clear();
            if (!c.tls->feed(std::as_bytes(std::span(buf.data(), static_cast<std::size_t>(n))))) {
                return false;
            }
            if (!c.tls->handshake_done() && !c.tls->handshake()) {
                return false;
            }
            for (auto r = c.tls->read_plain(std::as_writable_bytes(std::span(buf)));
                 c.tls->handshake_done() && r && r->bytes > 0;
                 r = c.tls->read_plain(std::as_writable_bytes(std::span(buf)))) {
                plain.insert(plain.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r->bytes));
            }
        }
        if (!plain.empty() && !c.session.feed(plain)) {
            return false;
        }
        while (auto ev = c.session.next_event()) {
            on_event(c, *ev);
        }
        return send_output(c);
    }

    void on_event(h2_conn& c, wsp::h2::event& ev)
    {
        using wsp::h2::event_kind;
        if (ev.kind == event_kind::headers) {
            ws_stream& s = c.streams[ev.stream_id];
            s.path = std::string(wsp::h2::find_header(ev, ":path").value_or(""));
            {
                const std::lock_guard<std::mutex> lock(mu_);
                seen_.push_back(ev.stream_id);
            }
            if (s.path == "/reject") {
                (void)c.session.respond(ev.stream_id, 403, {}, true);
            } else if (s.path == "/goaway") {
                (void)c.session.send_goaway(wsp::h2::enhance_your_calm, "test");
            } else {
                (void)c.session.accept_websocket(ev.stream_id);
            }
        } else if (ev.kind == event_kind::data) {
            ws_stream& s = c.streams[ev.stream_id];
            if (s.path == "/reset") {
                (void)c.session.reset_stream(ev.stream_id, wsp::h2::internal_error);
            } else if (s.path == "/echo") {
                s.in.insert(s.in.end(), ev.data.begin(), ev.data.end());
                on_frames(c, ev.stream_id, s);
            }
        }
    }

    // RFC 6455 server side of "/echo": echo messages, answer pings, answer close and end the stream.
    void on_frames(h2_conn& c, std::int32_t id, ws_stream& s)
    {
        std::size_t pos = 0;
        for (;;) {
            auto r = s.dec.next(std::span<std::uint8_t>(s.in).subspan(pos));
            if (!r) {
                (void)c.session.reset_stream(id, wsp::h2::protocol_error);
                break;
            }
            pos += r->consumed;
            const wsp::ws::event& e = r->ev;
            if (e.kind == wsp::ws::event_kind::need_more) {
                break;
            }
            if (e.kind == wsp::ws::event_kind::frame_header && e.op != wsp::ws::opcode::continuation) {
                s.op = e.op;
                s.message.clear();
            } else if (e.kind == wsp::ws::event_kind::payload) {
                s.message.insert(s.message.end(), e.payload.begin(), e.payload.end());
            } else if (e.kind == wsp::ws::event_kind::message_end) {
                reply(c, id, s.op, s.message);
            } else if (e.kind == wsp::ws::event_kind::control && e.op == wsp::ws::opcode::ping) {
                reply(c, id, wsp::ws::opcode::pong, {e.payload.begin(), e.payload.end()});
            } else if (e.kind == wsp::ws::event_kind::control && e.op == wsp::ws::opcode::close && !s.ended) {
                std::array<std::uint8_t, 16> frame{};
                if (auto n = wsp::ws::build_close(frame, e.close_code, "", std::nullopt)) {
                    (void)c.session.write(id, {frame.data(), *n});
                }
                (void)c.session.end_stream(id);
                s.ended = true;
            }
        }
        s.in.erase(s.in.begin(), s.in.begin() + static_cast<std::ptrdiff_t>(pos));
    }

    static void reply(h2_conn& c, std::int32_t id, wsp::ws::opcode op,
                      const std::vector<std::uint8_t>& payload)
    {
        std::vector<std::uint8_t> frame(payload.size() + wsp::ws::max_header_size);
        if (auto n = wsp::ws::build_frame(frame, op, payload, std::nullopt)) {
            (void)c.session.write(id, {frame.data(), *n});
        }
    }

    static bool send_all(int fd, std::span<const std::byte> bytes)
    {
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
            if (n <= 0) {
                return false;
            }
            done += static_cast<std::size_t>(n);
        }
        return true;
    }

    // The session's output, through TLS once its handshake is done (the handshake flight first).
    static bool send_output(h2_conn& c)
    {
        std::vector<std::uint8_t> out;
        if ((!c.tls || c.tls->handshake_done()) && !c.session.drain_output(out)) {
            return false;
        }
        if (!c.tls) {
            return send_all(c.fd, std::as_bytes(std::span(out)));
        }
        std::size_t done = 0;
        for (;;) {
            const auto pending = c.tls->pending_output();
            if (!send_all(c.fd, pending)) {
                return false;
            }
            c.tls->consume_output(pending.size());
            if (done == out.size()) {
                return true;
            }
            auto w = c.tls->write_plain(std::as_bytes(std::span(out).subspan(done)));
            if (!w) {
                return false;
            }
            done += w->bytes;
        }
    }

    wsp::h2::server_options opts_;
    const wsp::tls::context* tls_;
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> accepted_{0};
    std::mutex mu_;
    std::vector<std::int32_t> seen_;
    std::thread thread_;
};

wsp::proto::check_spec echo_spec(const std::string& url)
{
    wsp::proto::check_spec spec;
    auto parsed = wsp::proto::parse_ws_url(url);
    EXPECT_TRUE(parsed.has_value()) << url;
    spec.url = *parsed;
    spec.rtt = wsp::proto::rtt_mode::echo;
    spec.http2 = wsp::proto::http2_mode::prior_knowledge;
    // Sanitizer builds are slow; the verdicts here are about up/down, not about latency.
    spec.thresholds.handshake_degraded = wsp::proto::millis{60000};
    spec.thresholds.rtt_degraded = wsp::proto::millis{60000};
    spec.timeouts.overall = wsp::proto::millis{15000};
    return spec;
}

struct mux_fixture : ::testing::Test {
    wsp::http1::openssl_entropy entropy;
    wsp::probe::probe_env env_for(wsp::rt::reactor& r)
    {
        return {&r, nullptr, &entropy, false, nullptr, nullptr, {}};
    }
};

void expect_distinct_odd(const std::vector<std::int32_t>& ids)
{
    const std::set<std::int32_t> unique(ids.begin(), ids.end());
    EXPECT_EQ(unique.size(), ids.size());
    for (const auto id : ids) {
        EXPECT_EQ(id % 2, 1) << "client streams are odd (RFC 9113 §5.1.1), got " << id;
    }
}

TEST_F(mux_fixture, k_probes_run_as_distinct_streams_on_one_connection_and_are_all_up)
{
    WSP_RT_REACTOR(r);
    h2c_ws_server server;
    const auto spec = echo_spec(server.url("/echo"));
    constexpr std::size_t k = 8;
    const auto out = wsp::rt::sync_wait(r, wsp::probe::run_multiplexed(env_for(r), &spec, k));
    ASSERT_EQ(out.results.size(), k);
    ASSERT_EQ(out.stream_ids.size(), k);
    for (const auto& res : out.results) {
        EXPECT_EQ(res.status, check_status::up) << res.code << ": " << res.sentence;
        EXPECT_EQ(res.negotiated.http_version, "h2");
        EXPECT_EQ(res.negotiated.status, 200);
        EXPECT_TRUE(res.rtt_ns.has_value());
        EXPECT_TRUE(res.duration(phase::upgrade).has_value());
        EXPECT_TRUE(res.duration(phase::close).has_value());
        EXPECT_TRUE(res.close.clean);
        EXPECT_EQ(res.close.code, 1000);
        // The connect phase is the shared connection's, the same in every result.
        EXPECT_EQ(res.duration(phase::tcp), out.results[0].duration(phase::tcp));
    }
    expect_distinct_odd(out.stream_ids);
    EXPECT_EQ(server.accepted(), 1);
    auto seen = server.streams_seen();
    auto mine = out.stream_ids;
    std::sort(seen.begin(), seen.end());
    std::sort(mine.begin(), mine.end());
    EXPECT_EQ(seen, mine);
}

TEST_F(mux_fixture, the_verbose_transcript_shows_every_field_sent_with_secrets_redacted)
{
    WSP_RT_REACTOR(r);
    h2c_ws_server server;
    auto spec = echo_spec(server.url("/echo"));
    spec.headers.push_back({"x-trace-id", "trace-42", false});
    spec.headers.push_back({"authorization", "Bearer hunter2", false});
    spec.headers.push_back({"x-api-key", "k-secret-9", true});
    auto env = env_for(r);
    env.transcript = true;
    const auto out = wsp::rt::sync_wait(r, wsp::probe::run_multiplexed(env, &spec, 2));
    ASSERT_EQ(out.results.size(), 2U);
    for (const auto& res : out.results) {
        EXPECT_EQ(res.status, check_status::up) << res.sentence;
        EXPECT_NE(res.transcript.find("> :protocol websocket"), std::string::npos) << res.transcript;
        EXPECT_NE(res.transcript.find("> x-trace-id trace-42"), std::string::npos) << res.transcript;
        EXPECT_NE(res.transcript.find("> authorization <redacted>"), std::string::npos) << res.transcript;
        EXPECT_NE(res.transcript.find("> x-api-key <redacted>"), std::string::npos) << res.transcript;
        EXPECT_EQ(res.transcript.find("hunter2"), std::string::npos);
        EXPECT_EQ(res.transcript.find("k-secret-9"), std::string::npos);
    }
}

TEST_F(mux_fixture, a_reset_stream_fails_only_its_probe)
{
    WSP_RT_REACTOR(r);
    h2c_ws_server server;
    const auto spec = echo_spec(server.url("/echo"));
    const auto out = wsp::rt::sync_wait(
        r, wsp::probe::run_multiplexed_targets(env_for(r), &spec, {"/echo", "/reset", "/echo", "/echo"}));
    ASSERT_EQ(out.results.size(), 4U);
    EXPECT_EQ(out.results[1].status, check_status::down);
    EXPECT_EQ(out.results[1].code, "stream_reset") << out.results[1].sentence;
    EXPECT_EQ(out.results[1].failed_phase, phase::rtt);
    EXPECT_NE(out.results[1].sentence.find("INTERNAL_ERROR"), std::string::npos) << out.results[1].sentence;
    EXPECT_EQ(out.results[1].url, server.url("/reset"));
    for (const std::size_t i : {0U, 2U, 3U}) {
        EXPECT_EQ(out.results[i].status, check_status::up) << i << ": " << out.results[i].sentence;
        EXPECT_EQ(out.results[i].url, server.url("/echo"));
    }
    expect_distinct_odd(out.stream_ids);
    EXPECT_EQ(server.accepted(), 1);
}

TEST_F(mux_fixture, a_silent_stream_times_out_alone_while_the_others_finish)
{
    WSP_RT_REACTOR(r);
    h2c_ws_server server;
    auto spec = echo_spec(server.url("/echo"));
    spec.timeouts.rtt = wsp::proto::millis{400};
    const auto out = wsp::rt::sync_wait(
        r, wsp::probe::run_multiplexed_targets(env_for(r), &spec, {"/silent", "/echo", "/echo"}));
    ASSERT_EQ(out.results.size(), 3U);
    EXPECT_EQ(out.results[0].code, "rtt_timeout") << out.results[0].sentence;
    EXPECT_EQ(out.results[0].failed_phase, phase::rtt);
    EXPECT_EQ(out.results[1].status, check_status::up) << out.results[1].sentence;
    EXPECT_EQ(out.results[2].status, check_status::up) << out.results[2].sentence;
    EXPECT_EQ(server.accepted(), 1);
}

TEST_F(mux_fixture, a_rejected_extended_connect_fails_only_its_probe_at_upgrade)
{
    WSP_RT_REACTOR(r);
    h2c_ws_server server;
    const auto spec = echo_spec(server.url("/echo"));
    const auto out =
        wsp::rt::sync_wait(r, wsp::probe::run_multiplexed_targets(env_for(r), &spec, {"/echo", "/reject"}));
    ASSERT_EQ(out.results.size(), 2U);
    EXPECT_EQ(out.results[0].status, check_status::up) << out.results[0].sentence;
    EXPECT_EQ(out.results[1].code, "unexpected_status") << out.results[1].sentence;
    EXPECT_EQ(out.results[1].failed_phase, phase::upgrade);
    EXPECT_EQ(out.results[1].negotiated.status, 403);
}

TEST_F(mux_fixture, more_probes_than_max_concurrent_streams_all_complete_on_one_connection)
{
    WSP_RT_REACTOR(r);
    wsp::h2::server_options opts;
    opts.max_concurrent_streams = 3;
    h2c_ws_server server(opts);
    const auto spec = echo_spec(server.url("/echo"));
    constexpr std::size_t k = 10;
    const auto out = wsp::rt::sync_wait(r, wsp::probe::run_multiplexed(env_for(r), &spec, k));
    ASSERT_EQ(out.results.size(), k);
    for (const auto& res : out.results) {
        EXPECT_EQ(res.status, check_status::up) << res.code << ": " << res.sentence;
    }
    expect_distinct_odd(out.stream_ids);
    EXPECT_EQ(server.accepted(), 1);
    EXPECT_EQ(server.streams_seen().size(), k);
}

TEST_F(mux_fixture, a_server_without_extended_connect_fails_every_probe_the_same_way)
{
    WSP_RT_REACTOR(r);
    wsp::h2::server_options opts;
    opts.connect_protocol = wsp::h2::connect_protocol_setting::absent;
    h2c_ws_server server(opts);
    const auto spec = echo_spec(server.url("/echo"));
    const auto out = wsp::rt::sync_wait(r, wsp::probe::run_multiplexed(env_for(r), &spec, 3));
    ASSERT_EQ(out.results.size(), 3U);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(out.results[i].code, "connect_protocol_not_enabled") << out.results[i].sentence;
        EXPECT_EQ(out.results[i].failed_phase, phase::upgrade);
        EXPECT_EQ(out.results[i].negotiated.http_version, "h2"); // the session was HTTP/2 when it failed
        EXPECT_EQ(out.stream_ids[i], 0);
    }
    EXPECT_EQ(server.accepted(), 1);
    EXPECT_TRUE(server.streams_seen().empty());
}

TEST_F(mux_fixture, a_refused_connection_fails_every_probe_at_tcp)
{
    WSP_RT_REACTOR(r);
    std::string url;
    {
        h2c_ws_server gone; // a port that was just free: nothing listens there any more
        url = gone.url("/echo");
    }
    const auto spec = echo_spec(url);
    const auto out = wsp::rt::sync_wait(r, wsp::probe::run_multiplexed(env_for(r), &spec, 4));
    ASSERT_EQ(out.results.size(), 4U);
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(out.results[i].status, check_status::down);
        EXPECT_EQ(out.results[i].failed_phase, phase::tcp);
        EXPECT_EQ(out.results[i].code, out.results[0].code);
        EXPECT_EQ(out.stream_ids[i], 0);
    }
    EXPECT_EQ(out.results[0].code, "connection_refused") << out.results[0].sentence;
}

TEST_F(mux_fixture, a_goaway_with_an_error_fails_every_probe_on_the_connection)
{
    WSP_RT_REACTOR(r);
    h2c_ws_server server;
    const auto spec = echo_spec(server.url("/echo"));
    const auto out = wsp::rt::sync_wait(
        r, wsp::probe::run_multiplexed_targets(env_for(r), &spec, {"/goaway", "/echo", "/echo"}));
    ASSERT_EQ(out.results.size(), 3U);
    for (const auto& res : out.results) {
        EXPECT_EQ(res.status, check_status::down);
        EXPECT_EQ(res.code, "goaway") << res.sentence;
        EXPECT_NE(res.sentence.find("ENHANCE_YOUR_CALM"), std::string::npos) << res.sentence;
    }
    EXPECT_EQ(server.accepted(), 1);
}

// A local CA and a 127.0.0.1 leaf; the server accepts only `server_alpn`, the client offers h2 first.
struct tls_pair {
    std::optional<wsp::tls::context> server;
    std::optional<wsp::tls::context> client;
};

tls_pair make_tls_pair(const std::string& server_alpn = "h2")
{
    tls_pair p;
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    auto ca =
        wsp::tls::certificate_authority::create({"wsprobe test CA", {}, {}, now - 3600, now + 400 * 86400});
    EXPECT_TRUE(ca.has_value());
    auto leaf = ca->issue({"127.0.0.1", {}, {"127.0.0.1"}, now - 3600, now + 400 * 86400});
    EXPECT_TRUE(leaf.has_value());
    auto s = wsp::tls::context_builder::server()
                 .certificate_pem(leaf->certificate, leaf->private_key)
                 .alpn({server_alpn})
                 .build();
    auto c =
        wsp::tls::context_builder::client().ca_pem(ca->pem().certificate).alpn({"h2", "http/1.1"}).build();
    EXPECT_TRUE(s.has_value());
    EXPECT_TRUE(c.has_value());
    p.server.emplace(std::move(*s));
    p.client.emplace(std::move(*c));
    return p;
}

TEST_F(mux_fixture, over_tls_the_probes_share_one_handshake_and_one_connection)
{
    WSP_RT_REACTOR(r);
    const tls_pair tls = make_tls_pair();
    h2c_ws_server server({}, &*tls.server);
    auto spec = echo_spec(server.url("/echo"));
    spec.http2 = wsp::proto::http2_mode::require;
    auto env = env_for(r);
    env.tls = &*tls.client;
    constexpr std::size_t k = 6;
    const auto out =
        wsp::rt::sync_wait(r, wsp::probe::run_multiplexed_targets(
                                  env, &spec, {"/echo", "/echo", "/reset", "/echo", "/echo", "/echo"}));
    ASSERT_EQ(out.results.size(), k);
    for (std::size_t i = 0; i < k; ++i) {
        const auto& res = out.results[i];
        ASSERT_TRUE(res.tls.has_value()) << res.sentence;
        EXPECT_EQ(res.tls->alpn, "h2");
        EXPECT_EQ(res.duration(phase::tls), out.results[0].duration(phase::tls));
        if (i == 2) {
            EXPECT_EQ(res.code, "stream_reset") << res.sentence;
        } else {
            EXPECT_EQ(res.status, check_status::up) << res.code << ": " << res.sentence;
            EXPECT_EQ(res.negotiated.http_version, "h2");
            EXPECT_TRUE(res.close.clean);
        }
    }
    expect_distinct_odd(out.stream_ids);
    EXPECT_EQ(server.accepted(), 1);
}

TEST_F(mux_fixture, over_tls_a_server_that_selects_http1_fails_every_probe_with_h2_not_negotiated)
{
    WSP_RT_REACTOR(r);
    const tls_pair tls = make_tls_pair("http/1.1");
    h2c_ws_server server({}, &*tls.server);
    const auto spec = echo_spec(server.url("/echo"));
    auto env = env_for(r);
    env.tls = &*tls.client;
    const auto out = wsp::rt::sync_wait(r, wsp::probe::run_multiplexed(env, &spec, 3));
    ASSERT_EQ(out.results.size(), 3U);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(out.results[i].code, "h2_not_negotiated") << out.results[i].sentence;
        EXPECT_EQ(out.results[i].failed_phase, phase::upgrade);
        ASSERT_TRUE(out.results[i].tls.has_value());
        EXPECT_EQ(out.results[i].tls->alpn, "http/1.1");
        EXPECT_EQ(out.stream_ids[i], 0);
    }
    EXPECT_TRUE(server.streams_seen().empty());
}

TEST_F(mux_fixture, zero_probes_open_nothing)
{
    WSP_RT_REACTOR(r);
    h2c_ws_server server;
    const auto spec = echo_spec(server.url("/echo"));
    const auto out = wsp::rt::sync_wait(r, wsp::probe::run_multiplexed(env_for(r), &spec, 0));
    EXPECT_TRUE(out.results.empty());
    EXPECT_EQ(server.accepted(), 0);
}

} // namespace
