// combine_transports: the verdict on an HTTP/1.1 run and an HTTP/2 run (engine/probe/compare.cpp).
#include "engine/probe/compare.h"

#include <gtest/gtest.h>

#include "engine/probe/errc.h"
#include "h2/error.h"

namespace {

using wsp::proto::check_result;
using wsp::proto::check_status;
using wsp::proto::http2_mode;
using wsp::proto::phase;
using wsp::proto::transport_agreement;

check_result up(std::int64_t total_ns = 1'000'000)
{
    check_result r;
    r.status = check_status::up;
    r.url = "wss://example.test/socket";
    r.total_ns = total_ns;
    r.set_duration(phase::upgrade, total_ns / 2);
    return r;
}

check_result degraded(std::string why)
{
    check_result r = up();
    r.status = check_status::degraded;
    r.warnings.push_back(std::move(why));
    return r;
}

check_result down(phase p, const wsp::error& e, std::string why)
{
    check_result r = up();
    r.fail(p, e, std::move(why));
    return r;
}

const wsp::error stream_reset = wsp::h2::errc::stream_reset;
const wsp::error refused = wsp::probe::errc::connect_timeout;

TEST(compare_combine, both_up_is_up_and_keeps_both_results)
{
    auto c = wsp::probe::combine_transports(up(3'000'000), up(5'000'000), http2_mode::require);
    EXPECT_EQ(c.combined.status, check_status::up);
    EXPECT_EQ(c.combined.code, "ok");
    EXPECT_EQ(c.combined.cls, wsp::failure_class::none);
    EXPECT_FALSE(c.combined.failed_phase);
    EXPECT_EQ(c.agreement, transport_agreement::agree);
    EXPECT_EQ(c.combined.total_ns, 5'000'000);
    EXPECT_EQ(c.combined.url, "wss://example.test/socket");
    EXPECT_EQ(c.http1.total_ns, 3'000'000);
    EXPECT_EQ(c.h2.total_ns, 5'000'000);
    EXPECT_TRUE(c.combined.warnings.empty());
}

TEST(compare_combine, the_worse_of_two_working_runs_wins_and_warnings_say_which)
{
    auto a = wsp::probe::combine_transports(up(), degraded("Round trip took 300 ms"), http2_mode::require);
    EXPECT_EQ(a.combined.status, check_status::degraded);
    EXPECT_EQ(a.agreement, transport_agreement::agree);
    ASSERT_EQ(a.combined.warnings.size(), 1u);
    EXPECT_EQ(a.combined.warnings[0], "HTTP/2: Round trip took 300 ms");

    auto b = wsp::probe::combine_transports(degraded("Upgrade took 1500 ms"), up(), http2_mode::require);
    EXPECT_EQ(b.combined.status, check_status::degraded);
    ASSERT_EQ(b.combined.warnings.size(), 1u);
    EXPECT_EQ(b.combined.warnings[0], "HTTP/1.1: Upgrade took 1500 ms");
    EXPECT_EQ(b.combined.code, "ok");
}

TEST(compare_combine, http1_works_and_h2_fails_is_down_with_its_own_code)
{
    auto c = wsp::probe::combine_transports(
        up(), down(phase::upgrade, stream_reset, "Server reset the stream with CANCEL (0x8)"),
        http2_mode::require);
    EXPECT_EQ(c.combined.status, check_status::down);
    EXPECT_EQ(c.agreement, transport_agreement::disagree);
    EXPECT_EQ(c.combined.code, "transports_disagree");
    EXPECT_EQ(c.combined.cls, wsp::failure_class::handshake);
    EXPECT_EQ(c.combined.failed_phase, phase::upgrade);
    EXPECT_EQ(c.combined.sentence,
              "HTTP/1.1 upgrade works but HTTP/2 extended CONNECT fails: Server reset the "
              "stream with CANCEL (0x8); browsers that use HTTP/2 will fail");
    // Each run keeps its own verdict.
    EXPECT_EQ(c.http1.status, check_status::up);
    EXPECT_EQ(c.h2.code, "stream_reset");
}

TEST(compare_combine, over_h2c_the_sentence_names_h2c_clients_not_browsers)
{
    auto c = wsp::probe::combine_transports(up(), down(phase::rtt, stream_reset, "reset"),
                                            http2_mode::prior_knowledge);
    EXPECT_EQ(c.combined.code, "transports_disagree");
    EXPECT_EQ(c.combined.failed_phase, phase::rtt);
    EXPECT_NE(c.combined.sentence.find("clients that use h2c with prior knowledge will fail"),
              std::string::npos)
        << c.combined.sentence;
    EXPECT_EQ(c.combined.sentence.find("browsers"), std::string::npos) << c.combined.sentence;
}

TEST(compare_combine, h2_works_and_http1_fails_is_down_too)
{
    auto c = wsp::probe::combine_transports(
        down(phase::upgrade, wsp::probe::errc::upgrade_timeout, "No upgrade response within 5000 ms"),
        degraded("Round trip took 300 ms"), http2_mode::require);
    EXPECT_EQ(c.combined.status, check_status::down);
    EXPECT_EQ(c.agreement, transport_agreement::disagree);
    EXPECT_EQ(c.combined.code, "transports_disagree");
    EXPECT_EQ(c.combined.failed_phase, phase::upgrade);
    EXPECT_EQ(
        c.combined.sentence.rfind("HTTP/2 extended CONNECT works but the HTTP/1.1 upgrade fails: No upgrade "
                                  "response within 5000 ms; ",
                                  0),
        0u)
        << c.combined.sentence;
    ASSERT_EQ(c.combined.warnings.size(), 1u);
    EXPECT_EQ(c.combined.warnings[0], "HTTP/2: Round trip took 300 ms");
}

TEST(compare_combine, both_down_keeps_http1s_code_and_names_both_failures)
{
    auto c = wsp::probe::combine_transports(down(phase::tcp, refused, "TCP connect timed out after 5000 ms"),
                                            down(phase::upgrade, stream_reset, "Server reset the stream"),
                                            http2_mode::require);
    EXPECT_EQ(c.combined.status, check_status::down);
    EXPECT_EQ(c.agreement, transport_agreement::agree);
    EXPECT_EQ(c.combined.code, "connect_timeout");
    EXPECT_EQ(c.combined.cls, wsp::failure_class::timeout);
    EXPECT_EQ(c.combined.failed_phase, phase::tcp);
    EXPECT_EQ(c.combined.sentence,
              "Both transports fail. HTTP/1.1: TCP connect timed out after 5000 ms; HTTP/2: "
              "Server reset the stream");
}

TEST(compare_combine, both_down_for_the_same_reason_says_it_once)
{
    auto c =
        wsp::probe::combine_transports(down(phase::tcp, refused, "Connection refused"),
                                       down(phase::tcp, refused, "Connection refused"), http2_mode::require);
    EXPECT_EQ(c.combined.status, check_status::down);
    EXPECT_EQ(c.combined.sentence, "Both HTTP/1.1 and HTTP/2 fail: Connection refused");
}

TEST(compare_combine, h2_not_offered_follows_http1_with_a_warning)
{
    for (const wsp::error e : {wsp::error(wsp::probe::errc::h2_not_negotiated),
                               wsp::error(wsp::h2::errc::connect_protocol_not_enabled)}) {
        auto c = wsp::probe::combine_transports(up(), down(phase::upgrade, e, "ALPN selected http/1.1"),
                                                http2_mode::require);
        EXPECT_EQ(c.combined.status, check_status::up) << e.name();
        EXPECT_EQ(c.agreement, transport_agreement::h2_not_offered) << e.name();
        EXPECT_EQ(c.combined.code, "ok");
        ASSERT_EQ(c.combined.warnings.size(), 1u);
        EXPECT_EQ(
            c.combined.warnings[0],
            "HTTP/2: WebSocket over HTTP/2 is not offered (ALPN selected http/1.1); clients use HTTP/1.1");
        EXPECT_EQ(c.h2.status, check_status::down);
    }
}

TEST(compare_combine, h2_not_offered_and_http1_down_is_http1s_failure)
{
    auto c = wsp::probe::combine_transports(
        down(phase::upgrade, wsp::probe::errc::closed_before_response, "Server closed before responding"),
        down(phase::upgrade, wsp::probe::errc::h2_not_negotiated, "ALPN selected http/1.1"),
        http2_mode::require);
    EXPECT_EQ(c.combined.status, check_status::down);
    EXPECT_EQ(c.agreement, transport_agreement::h2_not_offered);
    EXPECT_EQ(c.combined.code, "closed_before_response");
    EXPECT_EQ(c.combined.cls, wsp::failure_class::peer_closed);
    EXPECT_EQ(c.combined.sentence, "Server closed before responding");
}

// RFC 9113 §3.3: an h2c server that never sends SETTINGS does not speak HTTP/2; no browser uses
// h2c, so HTTP/1.1's verdict stands. Over TLS, ALPN selected h2, so silence is a real failure.
TEST(compare_combine, h2c_without_settings_is_not_offered_but_over_tls_it_disagrees)
{
    const wsp::error timeout = wsp::probe::errc::h2_settings_timeout;
    auto c = wsp::probe::combine_transports(up(), down(phase::upgrade, timeout, "No HTTP/2 SETTINGS"),
                                            http2_mode::prior_knowledge);
    EXPECT_EQ(c.combined.status, check_status::up);
    EXPECT_EQ(c.agreement, transport_agreement::h2_not_offered);
    ASSERT_EQ(c.combined.warnings.size(), 1u);
    EXPECT_EQ(c.combined.warnings[0],
              "HTTP/2: WebSocket over HTTP/2 is not offered (No HTTP/2 SETTINGS); clients use HTTP/1.1");

    auto t = wsp::probe::combine_transports(up(), down(phase::upgrade, timeout, "No HTTP/2 SETTINGS"),
                                            http2_mode::require);
    EXPECT_EQ(t.combined.status, check_status::down);
    EXPECT_EQ(t.agreement, transport_agreement::disagree);
    EXPECT_EQ(t.combined.code, "transports_disagree");
}

TEST(compare_combine, h2c_refused_by_an_http1_only_server_is_not_offered)
{
    auto c = wsp::probe::combine_transports(
        up(),
        down(phase::upgrade, wsp::probe::errc::h2_not_negotiated,
             "The server does not speak HTTP/2 with prior knowledge (h2c) on this port"),
        http2_mode::prior_knowledge);
    EXPECT_EQ(c.combined.status, check_status::up);
    EXPECT_EQ(c.combined.code, "ok");
    EXPECT_EQ(c.agreement, transport_agreement::h2_not_offered);
}

// An h2c server that sent SETTINGS and then closed, reset the stream or broke the session
// speaks HTTP/2 and fails the WebSocket: clients using h2c fail.
TEST(compare_combine, h2c_that_fails_after_settings_still_disagrees)
{
    for (const wsp::error e : {wsp::error(wsp::probe::errc::closed_before_response),
                               wsp::error(wsp::probe::errc::reset_during_upgrade),
                               wsp::error(wsp::h2::errc::session_error), stream_reset}) {
        auto c = wsp::probe::combine_transports(up(), down(phase::upgrade, e, "failed after SETTINGS"),
                                                http2_mode::prior_knowledge);
        EXPECT_EQ(c.combined.status, check_status::down) << e.name();
        EXPECT_EQ(c.agreement, transport_agreement::disagree) << e.name();
        EXPECT_EQ(c.combined.code, "transports_disagree") << e.name();
        EXPECT_NE(c.combined.sentence.find("clients that use h2c with prior knowledge will fail"),
                  std::string::npos)
            << c.combined.sentence;
    }
}

TEST(compare_combine, the_h2_mode_follows_the_scheme)
{
    wsp::proto::check_spec s;
    s.url.secure = true;
    EXPECT_EQ(wsp::probe::compare_h2_mode(s), http2_mode::require);
    s.url.secure = false;
    EXPECT_EQ(wsp::probe::compare_h2_mode(s), http2_mode::prior_knowledge);
}

TEST(compare_combine, transports_disagree_has_a_stable_name)
{
    const wsp::error e = wsp::probe::errc::transports_disagree;
    EXPECT_EQ(e.name(), "transports_disagree");
    EXPECT_EQ(e.module(), "probe");
    EXPECT_EQ(e.cls(), wsp::failure_class::handshake);
    EXPECT_EQ(static_cast<std::uint16_t>(wsp::probe::errc::transports_disagree), 22);
}

} // namespace
