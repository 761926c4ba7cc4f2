// `wsprobe check` against every wsprobe-lab scenario: status, failed phase, code, and the key
// words of the sentence a person reads.
#include <gtest/gtest.h>

#include "tests/integration/harness.h"

namespace {

using namespace wsp::test;

class check_lab : public lab_suite<check_lab> {};

struct expectation {
    const char* status;
    const char* phase; // "<null>" when up
    const char* code;
    std::vector<std::string> words;
    int exit_code;
};

void expect_result(const check_json& r, const expectation& e)
{
    ASSERT_TRUE(r.parsed) << "not JSON: " << r.context();
    EXPECT_EQ(r.status(), e.status) << r.context();
    EXPECT_EQ(r.phase(), e.phase) << r.context();
    EXPECT_EQ(r.code(), e.code) << r.context();
    for (const auto& w : e.words) {
        EXPECT_NE(r.message().find(w), std::string::npos) << "missing '" << w << "' in: " << r.message();
    }
    EXPECT_EQ(r.run.exit_code, e.exit_code) << r.context();
}

TEST_F(check_lab, healthy_echo_is_up_with_every_phase_timed)
{
    auto r = check({url("/echo"), "--rtt", "echo", "--payload", "hello lab"});
    expect_result(*r, {"up", "<null>", "ok", {}, 0});
    EXPECT_FALSE(r->doc["phases_ms"]["tcp"].is_null());
    EXPECT_FALSE(r->doc["phases_ms"]["upgrade"].is_null());
    EXPECT_FALSE(r->doc["phases_ms"]["rtt"].is_null());
    EXPECT_FALSE(r->doc["phases_ms"]["close"].is_null());
    EXPECT_TRUE(r->doc["phases_ms"]["dns"].is_null()); // a literal needs no lookup
    EXPECT_EQ(int64_t(r->doc["negotiated"]["status"]), 101);
    EXPECT_EQ(int64_t(r->doc["close"]["code"]), 1000);
    EXPECT_TRUE(bool(r->doc["close"]["clean"]));
    EXPECT_EQ(std::string_view(r->doc["close"]["by"]), "client");
}

TEST_F(check_lab, binary_echo_ping_and_handshake_only_are_up)
{
    expect_result(*check({url("/echo"), "--rtt", "echo", "--binary"}), {"up", "<null>", "ok", {}, 0});
    expect_result(*check({url("/echo"), "--rtt", "ping", "--payload", "p1"}), {"up", "<null>", "ok", {}, 0});
    expect_result(*check({url("/echo")}), {"up", "<null>", "ok", {}, 0});
}

TEST_F(check_lab, host_names_resolve_through_etc_hosts)
{
    const std::string u = "ws://localhost:" + std::to_string(lab_->port()) + "/echo";
    auto r = check({u, "-4", "--rtt", "echo"});
    expect_result(*r, {"up", "<null>", "ok", {}, 0});
    EXPECT_FALSE(r->doc["phases_ms"]["dns"].is_null());
}

TEST_F(check_lab, welcome_message_satisfies_any)
{
    expect_result(*check({url("/welcome?text=hi"), "--rtt", "any"}), {"up", "<null>", "ok", {}, 0});
}

TEST_F(check_lab, status_instead_of_101_is_named)
{
    expect_result(*check({url("/status/200")}),
                  {"down", "upgrade", "unexpected_status", {"Server returned 200; expected 101 Switching Protocols"}, 2});
    expect_result(*check({url("/status/401")}), {"down", "upgrade", "unauthorized", {"401"}, 2});
    expect_result(*check({url("/status/403")}), {"down", "upgrade", "forbidden", {"403"}, 2});
    expect_result(*check({url("/status/429")}), {"down", "upgrade", "too_many_requests", {"429", "30"}, 2});
    expect_result(*check({url("/status/500")}), {"down", "upgrade", "server_error", {"500"}, 2});
    expect_result(*check({url("/status/503")}), {"down", "upgrade", "server_error", {"503"}, 2});
}

TEST_F(check_lab, redirects_are_reported_not_followed)
{
    expect_result(*check({url("/redirect?to=/moved")}),
                  {"down", "upgrade", "redirect_not_followed", {"302", "/moved"}, 2});
}

TEST_F(check_lab, handshake_header_faults)
{
    expect_result(*check({url("/bad-accept")}), {"down", "upgrade", "accept_mismatch", {"Sec-WebSocket-Accept"}, 2});
    expect_result(*check({url("/no-upgrade")}), {"down", "upgrade", "missing_upgrade_header", {"Upgrade"}, 2});
    expect_result(*check({url("/no-connection")}), {"down", "upgrade", "missing_connection_header", {"Connection"}, 2});
}

TEST_F(check_lab, subprotocol_assertions)
{
    auto ok = check({url("/subprotocol?select=graphql-transport-ws"), "--expect-subprotocol", "graphql-transport-ws"});
    expect_result(*ok, {"up", "<null>", "ok", {}, 0});
    EXPECT_EQ(std::string_view(ok->doc["negotiated"]["subprotocol"]), "graphql-transport-ws");
    expect_result(*check({url("/subprotocol?select=mqtt"), "-p", "graphql-ws"}),
                  {"down", "upgrade", "subprotocol_not_offered", {"mqtt"}, 2});
    // Case-sensitive: GraphQL-WS is not the graphql-ws that was offered.
    expect_result(*check({url("/subprotocol?select=GraphQL-WS"), "-p", "graphql-ws"}),
                  {"down", "upgrade", "subprotocol_not_offered", {"GraphQL-WS"}, 2});
    expect_result(*check({url("/subprotocol?select=graphql-ws"), "-p", "graphql-ws", "--expect-subprotocol",
                          "graphql-transport-ws"}),
                  {"down", "upgrade", "subprotocol_mismatch", {"graphql-ws", "graphql-transport-ws"}, 2});
    expect_result(*check({url("/echo"), "--expect-subprotocol", "chat"}),
                  {"down", "upgrade", "subprotocol_missing", {"chat"}, 2});
}

TEST_F(check_lab, close_4401_after_the_upgrade_is_down_with_code_and_reason)
{
    expect_result(*check({url("/close-after-upgrade?code=4401&reason=token%20scope")}),
                  {"down", "close", "server_closed", {"4401", "token scope"}, 2});
    auto r = check({url("/close-after-upgrade?code=4401&reason=nope"), "--rtt", "echo"});
    expect_result(*r, {"down", "rtt", "server_closed", {"4401", "nope"}, 2});
    EXPECT_EQ(int64_t(r->doc["close"]["code"]), 4401);
    EXPECT_EQ(std::string_view(r->doc["close"]["by"]), "server");
}

TEST_F(check_lab, frames_that_never_come_back_time_out)
{
    expect_result(*check({url("/silent"), "--rtt", "echo", "--rtt-timeout", "300ms", "--close-timeout", "200ms"}),
                  {"down", "rtt", "rtt_timeout", {"300 ms"}, 2});
    expect_result(*check({url("/blackhole"), "--rtt", "echo", "--rtt-timeout", "300ms", "--close-timeout", "200ms"}),
                  {"down", "rtt", "rtt_timeout", {"frames are not getting through"}, 2});
}

TEST_F(check_lab, unanswered_close_is_degraded)
{
    auto r = check({url("/blackhole"), "--close-timeout", "200ms"});
    expect_result(*r, {"degraded", "<null>", "ok", {}, 1});
    std::string_view w;
    ASSERT_EQ(r->doc["warnings"].at(0).get(w), simdjson::SUCCESS);
    EXPECT_NE(w.find("did not answer the close frame"), std::string_view::npos);
}

TEST_F(check_lab, slow_phases_degrade_then_time_out)
{
    auto slow = check({url("/slow-upgrade?ms=250"), "--handshake-degraded", "100ms"});
    expect_result(*slow, {"degraded", "<null>", "ok", {}, 1});
    EXPECT_GE(double(slow->doc["phases_ms"]["upgrade"]), 250.0);
    expect_result(*check({url("/slow-upgrade?ms=2000"), "--upgrade-timeout", "200ms"}),
                  {"down", "upgrade", "upgrade_timeout", {"200 ms"}, 2});
    auto echo = check({url("/slow-echo?ms=150"), "--rtt", "echo", "--rtt-degraded", "50ms"});
    expect_result(*echo, {"degraded", "<null>", "ok", {}, 1});
    EXPECT_GE(double(echo->doc["rtt_ms"]), 150.0);
}

TEST_F(check_lab, dropped_connections_are_1006)
{
    auto idle = check({url("/idle-kill?ms=100"), "--rtt", "any", "--rtt-timeout", "3s"});
    expect_result(*idle, {"down", "rtt", "connection_dropped", {"1006"}, 2});
    EXPECT_EQ(int64_t(idle->doc["close"]["code"]), 1006);
    expect_result(*check({url("/drop"), "--rtt", "echo"}), {"down", "rtt", "connection_dropped", {"without a close frame"}, 2});
}

TEST_F(check_lab, garbage_and_broken_frames_are_protocol_errors)
{
    auto g = check({url("/garbage")});
    ASSERT_TRUE(g->parsed) << g->context();
    EXPECT_EQ(g->status(), "down");
    EXPECT_EQ(g->phase(), "upgrade");
    EXPECT_EQ(g->str("class"), "protocol") << g->context();
    auto big = check({url("/oversized-frame"), "--rtt", "any"});
    ASSERT_TRUE(big->parsed) << big->context();
    EXPECT_EQ(big->phase(), "rtt");
    EXPECT_NE(big->message().find("invalid WebSocket frame"), std::string::npos) << big->message();
    auto bad = check({url("/malformed-frame"), "--rtt", "any"});
    ASSERT_TRUE(bad->parsed) << bad->context();
    EXPECT_EQ(bad->phase(), "rtt");
    EXPECT_EQ(bad->str("class"), "protocol") << bad->context();
}

TEST_F(check_lab, reset_during_the_handshake)
{
    auto r = check({url("/reset")});
    ASSERT_TRUE(r->parsed) << r->context();
    EXPECT_EQ(r->status(), "down");
    EXPECT_EQ(r->phase(), "upgrade");
    EXPECT_EQ(r->str("class"), "peer_closed") << r->context();
}

TEST_F(check_lab, retries_are_counted)
{
    auto r = check({url("/status/503"), "--retries", "2"});
    expect_result(*r, {"down", "upgrade", "server_error", {"503"}, 2});
    EXPECT_EQ(int64_t(r->doc["attempts"]), 3);
}

TEST_F(check_lab, secrets_never_appear_in_any_output)
{
    const std::string secret = "tok-7f3a9c-very-secret";
    for (const char* fmt : {"--json", "--no-color"}) {
        auto run = run_wsprobe({"check", url("/status/401"), "-v", fmt, "-H", "Authorization: Bearer " + secret,
                                "--secret-header", "X-Api-Token: " + secret});
        EXPECT_EQ(run.exit_code, 2);
        EXPECT_EQ((run.out + run.err).find(secret), std::string::npos) << run.out << run.err;
        EXPECT_NE((run.out + run.err).find("<redacted>"), std::string::npos) << run.out << run.err;
    }
}

TEST(check_cli, connection_refused_and_usage_errors)
{
    auto r = check({"ws://127.0.0.1:1/"});
    ASSERT_TRUE(r->parsed) << r->context();
    EXPECT_EQ(r->phase(), "tcp");
    EXPECT_EQ(r->code(), "connection_refused");
    EXPECT_EQ(r->run.exit_code, 2);
    for (std::vector<std::string> bad : {std::vector<std::string>{"check", "http://x/"}, {"check", "ws://h:0/"},
                                         {"check"}, {"check", "ws://h/", "--rtt", "nope"}, {"bogus"}, {},
                                         {"check", "ws://h/", "--bearer-file", "/nonexistent/file"}}) {
        auto u = run_wsprobe(bad);
        EXPECT_EQ(u.exit_code, 3) << u.err;
        EXPECT_NE(u.err.find("wsprobe"), std::string::npos);
        EXPECT_EQ(u.err.find("Sanitizer"), std::string::npos) << u.err;
    }
    auto help = run_wsprobe({"check", "--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("usage: wsprobe check URL"), std::string::npos);
}

} // namespace
