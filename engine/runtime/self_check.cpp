// The runtime self check behind `wsprobe selfcheck`.
#include "engine/runtime/self_check.h"

#include <liburing.h>
#include <netinet/tcp.h>

#include <cerrno>
#include <cstring>

#include "engine/runtime/acceptor.h"
#include "engine/runtime/ops.h"
#include "engine/runtime/recv_stream.h"
#include "engine/runtime/socket.h"

namespace wsp::rt {
namespace {

std::string flag_names(unsigned flags)
{
    std::string out;
    const struct {
        unsigned bit;
        const char* name;
    } names[] = {
        {IORING_SETUP_SINGLE_ISSUER, "SINGLE_ISSUER"},
        {IORING_SETUP_DEFER_TASKRUN, "DEFER_TASKRUN"},
        {IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN"},
        {IORING_SETUP_SUBMIT_ALL, "SUBMIT_ALL"},
    };
    for (const auto& n : names) {
        if ((flags & n.bit) != 0) {
            out += out.empty() ? "" : "|";
            out += n.name;
        }
    }
    return out.empty() ? "none" : out;
}

void line(std::string& out, bool ok, const std::string& what)
{
    out += ok ? "  ok    " : "  FAIL  ";
    out += what;
    out += '\n';
}

struct checks {
    bool ok = true;
    std::string text;
};

task<void> run_checks(reactor& r, checks* c)
{
    const std::int64_t t0 = mono_now();
    const io_result nop = co_await nop_op(r);
    line(c->text, nop.res == 0, "nop round trip: " + std::to_string(nop.stamp_ns - t0) + " ns");
    c->ok = c->ok && nop.res == 0;

    const io_result to = co_await timeout_op(r, std::chrono::milliseconds(1));
    line(c->text, to.res == -ETIME, "kernel timeout (1 ms): res " + std::to_string(to.res));
    c->ok = c->ok && to.res == -ETIME;

    const std::int64_t t1 = mono_now();
    const io_result sl = co_await sleep_op(r, std::chrono::milliseconds(1));
    const bool sleep_ok = sl.res == 0 && sl.stamp_ns - t1 >= 1'000'000;
    line(c->text, sleep_ok, "timer heap sleep (1 ms): " + std::to_string(sl.stamp_ns - t1) + " ns");
    c->ok = c->ok && sleep_ok;

    auto lst = listener::open(address::loopback_v4(0));
    if (!lst) {
        line(c->text, false, "loopback listener: " + std::string(lst.error().describe()));
        c->ok = false;
        co_return;
    }
    const io_result so = co_await socket_op(r, AF_INET);
    if (so.ok()) {
        const int one = 1;
        const io_result opt = co_await setsockopt_op(r, socket{so.res}, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        line(c->text, opt.res == 0,
             "direct socket + TCP_NODELAY via uring_cmd: " +
                 (opt.res == 0 ? std::string("ok") : std::string(std::strerror(-opt.res))));
        c->ok = c->ok && opt.res == 0;
        (void)co_await close_op(r, socket{so.res});
    } else {
        line(c->text, false, "direct socket: " + std::string(direct_alloc_error(so.res).describe()));
        c->ok = false;
    }

    acceptor acc(r, *lst);
    auto conn = co_await connect_tcp(r, lst->local(), connect_options{});
    if (!conn) {
        line(c->text, false, "loopback connect: " + std::string(conn.error().describe()));
        c->ok = false;
        co_await acc.stop();
        co_return;
    }
    const io_result accepted = co_await acc.next();
    co_await acc.stop();
    static constexpr char ping[] = "ping";
    const io_result sent = co_await send_all_op(r, conn->sock, std::as_bytes(std::span(ping, 4)));
    bool recv_ok = false;
    if (accepted.ok()) {
        recv_stream rs(r, socket{accepted.res});
        recv_chunk chunk = co_await rs.next(deadline::after(std::chrono::seconds(2)));
        recv_ok = sent.res == 4 && chunk.is_data() && chunk.bytes().size() == 4;
        chunk.release();
        co_await rs.stop();
        (void)co_await close_socket(r, socket{accepted.res}, close_mode::graceful);
    }
    line(c->text, recv_ok, "loopback connect, multishot accept, multishot recv on the buffer ring");
    c->ok = c->ok && recv_ok;
    (void)co_await close_socket(r, conn->sock, close_mode::abort);
}

} // namespace

self_check_result self_check(const reactor_config& cfg)
{
    self_check_result out;
    std::string diag;
    auto made = reactor::create(cfg, &diag);
    if (!made) {
        out.report = "io_uring runtime: FAIL\n  " + std::string(made.error().name()) + ": " + diag + "\n";
        return out;
    }
    reactor& r = **made;
    const setup_report& rep = r.report();
    std::string& t = out.report;
    t += "io_uring runtime\n";
    t += "  ring flags obtained: " + flag_names(rep.obtained_flags) + " (requested " +
         flag_names(rep.requested_flags) + ")\n";
    if (!rep.fallback.empty()) {
        t += "  note: " + rep.fallback + "\n";
    }
    t += "  sq/cq entries: " + std::to_string(rep.sq_entries) + "/" + std::to_string(rep.cq_entries) + "\n";
    t += "  required opcodes and features: all present\n";
    t += std::string("  IORING_OP_BIND: ") + (rep.has_bind ? "yes" : "no (plain-socket fallback for source binding)") +
         "\n";
    t += "  direct descriptor table: " + std::to_string(rep.fd_table_size) + " slots\n";
    t += "  provided buffer ring registered: " + std::to_string(rep.buffer_count) + " x " +
         std::to_string(rep.buffer_size) + " bytes\n";
    checks c;
    sync_wait(r, run_checks(r, &c));
    t += c.text;
    out.ok = c.ok;
    t += out.ok ? "self check passed\n" : "self check FAILED\n";
    return out;
}

} // namespace wsp::rt
