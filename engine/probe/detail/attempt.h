// Internals shared by the probe's phase files: the per-attempt context, connection buffers, the
// WebSocket state after the upgrade, and the phase functions each file defines.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/probe/check.h"
#include "engine/probe/errc.h"
#include "engine/probe/frames.h"
#include "engine/probe/pipe.h"
#include "engine/probe/session.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/errc.h"
#include "engine/runtime/socket.h"
#include "proto/verdict.h"
#include "ws/frame.h"

namespace wsp::probe::detail {

using proto::check_result;
using proto::check_spec;
using proto::phase;
namespace app = proto::app;

[[nodiscard]] inline std::int64_t to_ns(proto::millis m) { return static_cast<std::int64_t>(m.count()) * 1'000'000; }
[[nodiscard]] inline std::string ms_text(proto::millis m) { return std::to_string(m.count()) + " ms"; }

// Per-attempt context: the spec, the environment, the result being filled and the overall bound.
struct attempt {
    probe_env env;
    const check_spec& spec;
    check_result& res;
    std::int64_t overall_end_ns;
    bool degraded = false; // a warning that lowers the verdict was recorded
    const byte_pipe* pipe = nullptr; // the connection in use, for its TLS/HTTP/2 failure sentences

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

// Buffers for one connection: the upgrade request, then the response head, reused as the
// frame inbox once the 101 is validated. Sized for the http1 parser's default limits.
struct conn_buffers {
    static constexpr std::size_t head_limit = 16 * 1024;
    std::array<char, head_limit> request{};
    std::array<std::uint8_t, head_limit + 4096> inbox{};
};

// A per-thread free list of conn_buffers (36 KiB each): checks on a reactor reuse them instead of
// allocating per check. Reactor thread only (each reactor is one thread); holds at most
// `max_cached` idle buffers, so a burst of concurrent checks does not pin its peak forever.
class conn_buffer_lease {
public:
    conn_buffer_lease();
    conn_buffer_lease(const conn_buffer_lease&) = delete;
    conn_buffer_lease& operator=(const conn_buffer_lease&) = delete;
    ~conn_buffer_lease();
    [[nodiscard]] conn_buffers* get() const noexcept { return buf_.get(); }
    static constexpr std::size_t max_cached = 256;

private:
    std::unique_ptr<conn_buffers> buf_;
};

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

// Records a warning; `degrade` lowers an otherwise healthy verdict to degraded.
void warn(attempt& a, std::string why, bool degrade = true);

// connect.cpp: DNS, TCP and TLS phases.
[[nodiscard]] rt::task<bool> resolve(attempt& a, address_list* out);
[[nodiscard]] rt::task<bool> connect(attempt& a, const address_list& addrs, rt::connected* out);
[[nodiscard]] rt::task<bool> tls_phase(attempt& a, byte_pipe& pipe, std::optional<tls::session>* session,
                                       std::int64_t connected_ns, std::int64_t* done_ns);

// upgrade.cpp: the HTTP/1.1 upgrade. On success `leftover` bytes at the start of buf->inbox are
// frame data that arrived with the head.
[[nodiscard]] rt::task<bool> upgrade(attempt& a, byte_pipe& pipe, conn_buffers* buf, std::int64_t connected_ns,
                                     std::size_t* leftover, std::int64_t* upgraded_ns);

// h2_upgrade.cpp: the RFC 8441 upgrade over an HTTP/2 session that `session` receives and the
// pipe then carries. fallback: --http2 prefer and the server did not enable extended CONNECT
// (nothing recorded; the caller reconnects for HTTP/1.1). On upgraded the pipe carries the stream.
enum class h2_outcome : std::uint8_t { upgraded = 0, failed = 1, fallback = 2 };
// A spec's extended CONNECT (RFC 8441 §4-5): the request and the strings its views point into.
// Filled in place by plan_connect and never moved after, since `req` points into the members.
struct connect_plan {
    connect_plan() = default;
    connect_plan(const connect_plan&) = delete;
    connect_plan& operator=(const connect_plan&) = delete;
    std::string authority;
    std::string extensions;
    h2::connect_request req;
};
void plan_connect(const check_spec& spec, connect_plan* out);
// Judges one event on the stream of an extended CONNECT (RFC 8441 §5, RFC 9113 §8.1): pending
// for other frames and interim 1xx answers; failed (recorded in a.res with the upgrade time since
// `since_ns`) for a reset or an invalid final answer; accepted for a valid 2xx, with the status,
// subprotocol and extensions recorded.
enum class connect_answer : std::uint8_t { pending = 0, failed = 1, accepted = 2 };
[[nodiscard]] connect_answer judge_connect_answer(attempt& a, const h2::event& ev, const h2::connect_request& req,
                                                  std::int64_t stamp_ns, std::int64_t since_ns);
// The extended CONNECT as sent, for --verbose: one "> name value" line per field, secret values
// (Authorization, Cookie, Proxy-Authorization, --secret-header) shown as <redacted>.
[[nodiscard]] std::string h2_request_transcript(const h2::connect_request& req,
                                                std::span<const proto::header_field> custom);
[[nodiscard]] rt::task<h2_outcome> h2_upgrade(attempt& a, byte_pipe& pipe, std::optional<h2::client_session>* session,
                                              std::int64_t connected_ns, std::int64_t* upgraded_ns);

// exchange.cpp: frames after the upgrade.
[[nodiscard]] ws::mask_key next_mask(http1::entropy_source& e);
[[nodiscard]] rt::task<bool> send_frame(byte_pipe& pipe, std::span<const std::uint8_t> frame, rt::deadline until);
[[nodiscard]] rt::task<void> answer_ping(attempt& a, byte_pipe& pipe, std::span<const std::uint8_t> payload,
                                         rt::deadline until);
[[nodiscard]] std::string close_words(std::uint16_t code, std::string_view reason);
void fail_server_close(attempt& a, ws_state& st, phase p, const ws::event& ev, std::int64_t since_upgrade_ns);
void fail_read(attempt& a, ws_state& st, phase p, const read_outcome& o, std::int64_t since_upgrade_ns,
               proto::millis timeout);
[[nodiscard]] std::string preview(std::span<const std::uint8_t> bytes);
[[nodiscard]] rt::task<bool> round_trip(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st,
                                        std::int64_t upgraded_ns);
[[nodiscard]] rt::task<void> close_phase(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st,
                                         std::int64_t upgraded_ns);

// app_phases.cpp: app presets, scripted exchanges, expected closes.
[[nodiscard]] rt::task<bool> app_init(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st, app::session& s,
                                      std::int64_t upgraded_ns);
[[nodiscard]] rt::task<bool> app_round_trip(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st,
                                            app::session& s, std::int64_t upgraded_ns);
[[nodiscard]] rt::task<bool> run_steps(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st,
                                       std::int64_t upgraded_ns);
[[nodiscard]] rt::task<void> await_expected_close(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st,
                                                  std::int64_t upgraded_ns);
// The preset's init (when the spec has one), then the RTT exchange the spec asks for (the
// preset's own when it has one, else a frame round trip). False once the check has failed.
[[nodiscard]] rt::task<bool> init_and_round_trip(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st,
                                                 std::int64_t upgraded_ns);
// Everything a check does after the upgrade: init_and_round_trip, the scripted steps, the
// expected close, and the close handshake.
[[nodiscard]] rt::task<void> websocket_phases(attempt& a, byte_pipe& pipe, frame_reader& rd, ws_state& st,
                                              std::int64_t upgraded_ns);

// session.cpp: the transport of a connection in its handshake stage (and of a held TLS or
// HTTP/2 connection): the byte pipe over the connection's socket and receive stream, and the
// TLS / HTTP/2 sessions it carries. Heap-allocated by establish().
struct transport {
    transport(rt::reactor& r, rt::socket s, rt::recv_stream& rs) noexcept : pipe(r, s, rs) {}
    // From a per-thread free list (like conn_buffers), so a stream of handshakes does not leave
    // 16 KiB holes between the held connections allocated after them. Reactor thread only.
    static void* operator new(std::size_t n);
    static void operator delete(void* p, std::size_t n) noexcept;
    std::optional<tls::session> tls;
    std::optional<h2::client_session> h2;
    byte_pipe pipe;
    std::unique_ptr<std::array<std::uint8_t, 16 * 1024>> inbox; // held TLS/HTTP/2: input being decoded
};

// session.cpp: the phases shared by run_check and open_ws: TCP (connect), TLS, then the upgrade
// over HTTP/1.1 or RFC 8441 (when `try_h2`). On success the connection is returned in its
// handshake stage (transport() present, a.pipe pointing at it) with `*leftover` frame bytes at
// the start of buf->inbox and `*upgraded_ns` the reap time of the validated response. On
// failure returns nullptr with a.res filled and the connection torn down; `*fallback` is set
// when --http2 prefer must retry on a new HTTP/1.1 connection.
[[nodiscard]] rt::task<std::unique_ptr<ws_connection>> establish(attempt& a, const address_list& addrs, bool try_h2,
                                                                 bool* fallback, conn_buffers* buf,
                                                                 std::size_t* leftover, std::int64_t* upgraded_ns);
// The frame decoder's options for what the upgrade negotiated.
[[nodiscard]] ws::decoder_options decoder_options_for(const check_result& res, const check_spec& spec);

} // namespace wsp::probe::detail
