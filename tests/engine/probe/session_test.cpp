// Held connections (engine/probe/session.cpp) against wsprobe-lab on 127.0.0.1, when the lab is
// built in WSP_BUILD_DIR: validated like a check, then pinged, messaged, closed by either side.
#include "engine/probe/session.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "engine/probe/errc.h"
#include "engine/runtime/reactor.h"
#include "http1/key.h"
#include "proto/url.h"
#include "tests/integration/process.h"

namespace wsp::probe {
namespace {

using namespace std::chrono_literals;

// What one scripted use of a held connection saw.
struct outcome {
    bool opened = false;
    proto::check_result res;
    std::vector<held_event> events;
    bool clean_close = false;
    bool direct = false;
    bool decoder_while_idle = true; // holds_decoder() once poll() asked for input
};

enum class script : std::uint8_t { ping_message_close = 0, wait_events = 1, idle_poll = 2, first_poll = 3 };

rt::task<outcome> drive(probe_env env, const proto::check_spec* spec, script what)
{
    outcome out;
    auto conn = co_await open_ws(env, spec, &out.res);
    if (!conn) {
        co_return out;
    }
    out.opened = true;
    out.direct = conn->direct();
    const rt::deadline until{rt::mono_now() + 2'000'000'000};
    if (what == script::ping_message_close) {
        const std::array<std::uint8_t, 3> payload{'a', 'b', 'c'};
        const bool pinged = co_await conn->send_ping(payload, until);
        EXPECT_TRUE(pinged);
        held_event ev = co_await conn->next(until);
        out.events.push_back(ev);
        const bool sent = co_await conn->send_message("hello load", false, until);
        EXPECT_TRUE(sent);
        ev = co_await conn->next(until);
        out.events.push_back(ev);
        const held_event idle = conn->poll();
        EXPECT_EQ(idle.kind, held_event_kind::need_input);
        out.decoder_while_idle = conn->holds_decoder();
    } else if (what == script::wait_events) {
        for (int i = 0; i < 3; ++i) {
            held_event ev = co_await conn->next(until);
            out.events.push_back(ev);
            if (ev.kind != held_event_kind::message && ev.kind != held_event_kind::pong) {
                break;
            }
        }
    } else if (what == script::first_poll) {
        // Whatever was received but not decoded when the open finished, without any I/O.
        out.events.push_back(conn->poll());
    } else {
        // Nothing arrives on an idle /echo connection: poll asks for input, the wait times out.
        out.events.push_back(conn->poll());
        out.decoder_while_idle = conn->holds_decoder();
        rt::recv_chunk c = co_await conn->stream().next(rt::deadline{rt::mono_now() + 50'000'000});
        out.events.push_back(conn->feed(std::move(c)));
    }
    out.clean_close = co_await conn->close(until);
    EXPECT_TRUE(conn->finished());
    co_return out;
}

class HeldConnection : public ::testing::Test {
protected:
    void SetUp() override
    {
        const char* dir = std::getenv("WSP_BUILD_DIR");
        const std::string bin = dir != nullptr ? std::string(dir) + "/tools/wsprobe-lab" : std::string{};
        if (bin.empty() || !std::filesystem::exists(bin)) {
            GTEST_SKIP() << "wsprobe-lab is not built in WSP_BUILD_DIR";
        }
        std::string why;
        auto r = rt::reactor::create(rt::reactor_config{256, 0, 256, 64, 4096, true}, &why);
        if (!r) {
            GTEST_SKIP() << "io_uring unavailable: " << why;
        }
        reactor_ = std::move(*r);
        lab_ =
            std::make_unique<test::child_process>(std::vector<std::string>{bin, "--listen", "127.0.0.1:0"});
        auto line = lab_->read_line(10s);
        ASSERT_TRUE(line.has_value());
        const std::string prefix = "listening on ws://";
        const auto at = line->find(prefix);
        ASSERT_NE(at, std::string::npos) << *line;
        authority_ = line->substr(at + prefix.size());
    }

    outcome run(const std::string& path, script what, proto::rtt_mode rtt = proto::rtt_mode::none,
                const proto::app::preset* app = nullptr)
    {
        proto::check_spec spec;
        spec.url = *proto::parse_ws_url("ws://" + authority_ + path);
        spec.rtt = rtt;
        if (app != nullptr) {
            spec.app = proto::app_spec{app, {}};
            spec.subprotocols.emplace_back(app->subprotocol);
        }
        probe_env env{reactor_.get(), nullptr, &entropy_, false, nullptr, nullptr, {}};
        return rt::sync_wait(*reactor_, drive(env, &spec, what));
    }

    std::unique_ptr<rt::reactor> reactor_;
    http1::openssl_entropy entropy_;
    std::unique_ptr<test::child_process> lab_;
    std::string authority_;
};

TEST_F(HeldConnection, PingsAndMessagesAreAnsweredThenClosedCleanly)
{
    const outcome o = run("/echo", script::ping_message_close);
    ASSERT_TRUE(o.opened) << o.res.sentence;
    EXPECT_TRUE(o.direct); // ws:// over HTTP/1.1 keeps no byte pipe
    EXPECT_EQ(o.res.status, proto::check_status::up);
    EXPECT_TRUE(o.res.duration(proto::phase::upgrade).has_value());
    ASSERT_EQ(o.events.size(), 2U);
    EXPECT_EQ(o.events[0].kind, held_event_kind::pong);
    EXPECT_EQ(o.events[0].length, 3U);
    EXPECT_EQ(o.events[1].kind, held_event_kind::message);
    EXPECT_EQ(o.events[1].length, 10U);
    EXPECT_GT(o.events[1].stamp_ns, 0);
    EXPECT_FALSE(o.decoder_while_idle); // between whole frames no decoder state is kept
    EXPECT_TRUE(o.clean_close);
}

TEST_F(HeldConnection, ValidationRunsTheCheckRttFirst)
{
    const outcome o = run("/echo", script::ping_message_close, proto::rtt_mode::echo);
    ASSERT_TRUE(o.opened) << o.res.sentence;
    ASSERT_TRUE(o.res.rtt_ns.has_value());
    ASSERT_EQ(o.events.size(), 2U);
    EXPECT_EQ(o.events[0].kind, held_event_kind::pong);
    EXPECT_EQ(o.events[1].kind, held_event_kind::message);
    EXPECT_TRUE(o.clean_close);
}

TEST_F(HeldConnection, WrongAcceptIsRefusedLikeACheck)
{
    const outcome o = run("/bad-accept", script::wait_events);
    EXPECT_FALSE(o.opened);
    EXPECT_EQ(o.res.status, proto::check_status::down);
    EXPECT_EQ(o.res.failed_phase, proto::phase::upgrade);
    EXPECT_EQ(o.res.code, "accept_mismatch");
    EXPECT_FALSE(o.res.sentence.empty());
}

TEST_F(HeldConnection, ServerCloseIsReportedWithItsCode)
{
    const outcome o = run("/close-after-upgrade?code=4401", script::wait_events);
    ASSERT_TRUE(o.opened) << o.res.sentence;
    ASSERT_EQ(o.events.size(), 1U);
    EXPECT_EQ(o.events[0].kind, held_event_kind::closed);
    EXPECT_EQ(o.events[0].close_code, 4401);
    EXPECT_TRUE(o.clean_close); // our close echoed 4401 (RFC 6455 §5.5.1)
}

TEST_F(HeldConnection, ServerCloseDuringValidationFailsTheOpen)
{
    const outcome o = run("/close-after-upgrade?code=4401", script::wait_events, proto::rtt_mode::echo);
    EXPECT_FALSE(o.opened);
    EXPECT_EQ(o.res.status, proto::check_status::down);
    EXPECT_EQ(o.res.code, "server_closed");
}

TEST_F(HeldConnection, TcpDropWithoutCloseFrameIs1006)
{
    const outcome o = run("/idle-kill?ms=100", script::wait_events);
    ASSERT_TRUE(o.opened) << o.res.sentence;
    ASSERT_EQ(o.events.size(), 1U);
    EXPECT_EQ(o.events[0].kind, held_event_kind::eof);
    EXPECT_EQ(o.events[0].close_code, 1006);
    EXPECT_FALSE(o.clean_close);
}

TEST_F(HeldConnection, IdleConnectionPollsForInputAndTimesOut)
{
    const outcome o = run("/echo", script::idle_poll);
    ASSERT_TRUE(o.opened) << o.res.sentence;
    ASSERT_EQ(o.events.size(), 2U);
    EXPECT_EQ(o.events[0].kind, held_event_kind::need_input);
    EXPECT_EQ(o.events[1].kind, held_event_kind::timeout);
    EXPECT_FALSE(o.decoder_while_idle);
    EXPECT_TRUE(o.clean_close);
}

TEST_F(HeldConnection, FramesReadWithTheAppInitReplyAreCarriedIntoTheHold)
{
    // The lab's ActionCable server sends its welcome and a first {"type":"ping",...} message in
    // one write: app init consumes the welcome, the ping message must be the hold's first event.
    const proto::app::preset* cable = proto::app::find_preset("actioncable");
    ASSERT_NE(cable, nullptr);
    const outcome o = run("/app/actioncable", script::first_poll, proto::rtt_mode::none, cable);
    ASSERT_TRUE(o.opened) << o.res.sentence;
    ASSERT_EQ(o.events.size(), 1U);
    EXPECT_EQ(o.events[0].kind, held_event_kind::message);
    EXPECT_EQ(o.events[0].length, std::string_view(R"({"type":"ping","message":1})").size());
    EXPECT_GT(o.events[0].stamp_ns, 0);
    EXPECT_TRUE(o.clean_close);
}

TEST_F(HeldConnection, ConnectionRefusedFailsAtTcp)
{
    proto::check_spec spec;
    spec.url = *proto::parse_ws_url("ws://127.0.0.1:9/");
    probe_env env{reactor_.get(), nullptr, &entropy_, false, nullptr, nullptr, {}};
    const outcome o = rt::sync_wait(*reactor_, drive(env, &spec, script::wait_events));
    EXPECT_FALSE(o.opened);
    EXPECT_EQ(o.res.failed_phase, proto::phase::tcp);
}

TEST(HeldConnectionSize, IdleStateFitsTheLoadBudget)
{
    // The load driver's target is under 1 KB of user space per idle held connection, all
    // included. The decoder state is not part of the connection while it is at rest.
    EXPECT_LE(sizeof(ws_connection), 256U);
}

} // namespace
} // namespace wsp::probe
