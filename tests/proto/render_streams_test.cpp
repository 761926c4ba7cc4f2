// summarize_streams / render_streams_text / render_streams_json (proto/render_streams.cpp): the
// verdict on many streams of one HTTP/2 connection, a row per stream, and the JSON contract.
#include "proto/render_streams.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <vector>

using namespace wsp::proto;

namespace {

check_result stream_result(std::int64_t upgrade_ns, std::int64_t rtt_ns)
{
    check_result r;
    r.status = check_status::up;
    r.url = "wss://127.0.0.1:8443/echo";
    r.peer_address = "127.0.0.1:8443";
    r.set_duration(phase::tcp, 120'000);
    r.set_duration(phase::tls, 2'300'000);
    r.set_duration(phase::upgrade, upgrade_ns);
    r.set_duration(phase::rtt, rtt_ns);
    r.set_duration(phase::close, 200'000);
    r.total_ns = 2'620'000 + upgrade_ns + rtt_ns;
    r.negotiated.http_version = "h2";
    r.negotiated.status = 200;
    r.tls = tls_info{};
    r.tls->version = "TLSv1.3";
    r.tls->alpn = "h2";
    return r;
}

void make_down(check_result& r, std::string code, std::string sentence)
{
    r.status = check_status::down;
    r.failed_phase = phase::upgrade;
    r.code = std::move(code);
    r.cls = wsp::failure_class::handshake;
    r.sentence = std::move(sentence);
    r.phase_ns[static_cast<std::size_t>(phase::rtt)].reset();
    r.phase_ns[static_cast<std::size_t>(phase::close)].reset();
}

// Streams 1 up, 3 degraded, 5 and 7 reset with the same sentence.
std::vector<check_result> mixed()
{
    std::vector<check_result> rs{stream_result(400'000, 300'000), stream_result(500'000, 250'000'000),
                                 stream_result(600'000, 0), stream_result(700'000, 0)};
    rs[1].status = check_status::degraded;
    rs[1].warnings = {"RTT 250.0 ms (degraded above 200 ms)"};
    make_down(rs[2], "stream_reset", "Server reset the stream with REFUSED_STREAM (0x7)");
    make_down(rs[3], "stream_reset", "Server reset the stream with REFUSED_STREAM (0x7)");
    return rs;
}

const std::vector<std::int32_t> ids{1, 3, 5, 7};

TEST(StreamsSummary, WorstStatusDecidesAndTheFirstOfItSpeaks)
{
    const auto rs = mixed();
    const auto s = summarize_streams(rs);
    EXPECT_EQ(s.status, check_status::down);
    EXPECT_EQ(s.worst, 2u);
    EXPECT_EQ(s.up, 1u);
    EXPECT_EQ(s.degraded, 1u);
    EXPECT_EQ(s.down, 2u);

    std::vector<check_result> fine{stream_result(1, 1), stream_result(1, 1)};
    fine[1].status = check_status::degraded;
    const auto d = summarize_streams(fine);
    EXPECT_EQ(d.status, check_status::degraded);
    EXPECT_EQ(d.worst, 1u);
    EXPECT_EQ(summarize_streams({}).status, check_status::down) << "nothing ran is not up";
}

TEST(StreamsText, ConnectionOnceARowPerStreamAndOneVerdict)
{
    const auto rs = mixed();
    const std::string t = render_streams_text(rs, ids);
    EXPECT_EQ(t.rfind("wsprobe check --h2-streams 4 wss://127.0.0.1:8443/echo\n", 0), 0u) << t;
    EXPECT_NE(t.find("\n  tls       2.3 ms   TLSv1.3, ALPN h2\n"), std::string::npos) << t;
    EXPECT_NE(t.find("\n  tcp       0.1 ms   127.0.0.1:8443\n"), std::string::npos) << t;
    // Columns as wide as their widest cell; only the phases some stream ran (no app_init here).
    EXPECT_NE(t.find("\n  stream   status     upgrade           rtt      close    total    code\n"
                     "  1        up         0.4 ms            0.3 ms   0.2 ms   3.3 ms   ok\n"
                     "  3        degraded   0.5 ms            250 ms   0.2 ms   253 ms   ok\n"
                     "  5        down       FAILED (0.6 ms)   -        -        3.2 ms   stream_reset\n"
                     "  7        down       FAILED (0.7 ms)   -        -        3.3 ms   stream_reset\n"),
              std::string::npos)
        << t;
    // The shared sentence once, naming both streams; the degraded stream's warning once.
    EXPECT_NE(t.find("\n  streams 5, 7: Server reset the stream with REFUSED_STREAM (0x7)\n"),
              std::string::npos)
        << t;
    EXPECT_NE(t.find("\nDOWN at upgrade on stream 5: Server reset the stream with REFUSED_STREAM (0x7) "
                     "[stream_reset] (1 of 4 streams up, 1 degraded, 2 down)\n"),
              std::string::npos)
        << t;
    EXPECT_NE(t.find("\n  warning (stream 3): RTT 250.0 ms (degraded above 200 ms)\n"), std::string::npos)
        << t;
    EXPECT_EQ(render_streams_text(rs, ids, {true}).find("\x1b[31mDOWN\x1b[0m at upgrade"),
              t.find("DOWN at upgrade"))
        << "the same text with the status word coloured";
}

TEST(StreamsText, AllUpSaysSoWithTheLongestStream)
{
    const std::vector<check_result> rs{stream_result(400'000, 300'000), stream_result(400'000, 900'000)};
    const std::string t = render_streams_text(rs, std::vector<std::int32_t>{1, 3});
    EXPECT_NE(t.find("\nUP: 2 of 2 streams up on one HTTP/2 connection in 3.9 ms\n"), std::string::npos) << t;
    EXPECT_EQ(t.find("warning"), std::string::npos) << t;
}

TEST(StreamsText, AWarningSharedByStreamsIsPrintedOnceNamingThem)
{
    std::vector<check_result> rs{stream_result(1, 1), stream_result(1, 1), stream_result(1, 1)};
    for (std::size_t i : {0u, 2u}) {
        rs[i].status = check_status::degraded;
        rs[i].warnings = {"The certificate expires in 5 days"};
    }
    const std::string t = render_streams_text(rs, std::vector<std::int32_t>{1, 3, 5});
    EXPECT_NE(t.find("\nDEGRADED: 1 of 3 streams up, 2 degraded on one HTTP/2 connection in "),
              std::string::npos)
        << t;
    EXPECT_NE(t.find("\n  warning (streams 1, 5): The certificate expires in 5 days\n"), std::string::npos)
        << t;
    EXPECT_EQ(t.find("warning", t.find("warning") + 1), std::string::npos) << "once: " << t;
}

TEST(StreamsText, ConnectionFailureIsOneLineWithoutATable)
{
    std::vector<check_result> rs(3);
    for (auto& r : rs) {
        r.url = "ws://127.0.0.1:1/echo";
        r.status = check_status::down;
        r.failed_phase = phase::tcp;
        r.set_duration(phase::tcp, 200'000);
        r.code = "connection_refused";
        r.sentence = "Connection refused by 127.0.0.1:1";
    }
    const std::string t = render_streams_text(rs, std::vector<std::int32_t>{0, 0, 0});
    EXPECT_EQ(t,
              "wsprobe check --h2-streams 3 ws://127.0.0.1:1/echo\n"
              "  tcp       FAILED (0.2 ms)\n"
              "DOWN at tcp: Connection refused by 127.0.0.1:1 [connection_refused] (no stream was opened)\n");
    const std::string j = render_streams_json(rs, std::vector<std::int32_t>{0, 0, 0});
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    ASSERT_EQ(p.parse(j).get(doc), simdjson::SUCCESS) << j;
    EXPECT_TRUE(doc["failed_stream"].is_null());
    EXPECT_TRUE(doc["streams"].at(0)["stream_id"].is_null());
    EXPECT_EQ(doc["code"].get_string().value(), "connection_refused");
}

TEST(StreamsJson, VerdictCountsAndEveryStreamsResult)
{
    const auto rs = mixed();
    const std::string j = render_streams_json(rs, ids);
    ASSERT_EQ(j.back(), '\n');
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    ASSERT_EQ(p.parse(j).get(doc), simdjson::SUCCESS) << j;
    EXPECT_EQ(doc["url"].get_string().value(), "wss://127.0.0.1:8443/echo");
    EXPECT_EQ(doc["status"].get_string().value(), "down");
    EXPECT_EQ(doc["failed_phase"].get_string().value(), "upgrade");
    EXPECT_EQ(doc["code"].get_string().value(), "stream_reset");
    EXPECT_EQ(doc["class"].get_string().value(), "handshake");
    EXPECT_EQ(doc["failed_stream"].get_int64().value(), 5);
    EXPECT_EQ(doc["streams_requested"].get_uint64().value(), 4u);
    EXPECT_EQ(doc["streams_up"].get_uint64().value(), 1u);
    EXPECT_EQ(doc["streams_degraded"].get_uint64().value(), 1u);
    EXPECT_EQ(doc["streams_down"].get_uint64().value(), 2u);
    ASSERT_EQ(doc["warnings"].get_array().size(), 1u);
    EXPECT_EQ(doc["warnings"].at(0).get_string().value(), "stream 3: RTT 250.0 ms (degraded above 200 ms)");
    EXPECT_DOUBLE_EQ(doc["total_ms"].get_double().value(), 253.12) << "the longest stream";
    const auto streams = doc["streams"].get_array();
    ASSERT_EQ(streams.size(), 4u);
    std::vector<std::int64_t> got;
    for (auto s : streams) {
        got.push_back(s["stream_id"].get_int64().value());
        EXPECT_EQ(s["result"]["url"].get_string().value(), "wss://127.0.0.1:8443/echo");
    }
    EXPECT_EQ(got, (std::vector<std::int64_t>{1, 3, 5, 7}));
    EXPECT_EQ(streams.at(1)["result"]["status"].get_string().value(), "degraded");

    // All up: no failure fields.
    const std::vector<check_result> fine{stream_result(1, 1)};
    ASSERT_EQ(p.parse(render_streams_json(fine, std::vector<std::int32_t>{1})).get(doc), simdjson::SUCCESS);
    EXPECT_EQ(doc["code"].get_string().value(), "ok");
    EXPECT_TRUE(doc["failed_phase"].is_null());
    EXPECT_TRUE(doc["failed_stream"].is_null());
    EXPECT_EQ(doc["message"].get_string().value(), "");
}

} // namespace
