#include "engine/fleet/events.h"

#include <gtest/gtest.h>

#include <simdjson.h>

#include "tests/engine/fleet/config_support.h"

using namespace wsp::fleet;
using wsp::proto::check_result;
using wsp::proto::check_status;

namespace {

constexpr std::int64_t ms = 1'000'000;
constexpr std::int64_t t0 = 1769817600LL * 1'000'000'000; // 2026-01-31T00:00:00Z

fleet_check secret_check()
{
    auto cfg = wsp::fleet::test::parse(R"({"checks": [{"id": "chat-eu", "url": "ws://a/",
        "labels": {"region": "eu"}, "headers": {"Authorization": {"env": "API_TOKEN"}},
        "app": "mqtt", "app_options": {"password": {"env": "MQTT_PW"}}}]})");
    EXPECT_TRUE(cfg);
    return cfg->checks[0];
}

simdjson::dom::element parse_line(simdjson::dom::parser& p, const std::string& line)
{
    EXPECT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1); // one line
    simdjson::dom::element e;
    EXPECT_EQ(p.parse(line).get(e), simdjson::SUCCESS) << line;
    return e;
}

} // namespace

TEST(state_tracker, reports_transitions_with_duration)
{
    state_tracker t;
    auto first = t.observe(check_status::up, t0);
    ASSERT_TRUE(first);
    EXPECT_FALSE(first->previous);
    EXPECT_FALSE(first->lasted_ns);
    EXPECT_FALSE(t.observe(check_status::up, t0 + 1000 * ms));
    auto down = t.observe(check_status::down, t0 + 5000 * ms);
    ASSERT_TRUE(down);
    EXPECT_EQ(down->previous, check_status::up);
    EXPECT_EQ(down->current, check_status::down);
    EXPECT_EQ(down->lasted_ns, 5000 * ms);
    EXPECT_EQ(down->since_ns, t0);
    auto degraded = t.observe(check_status::degraded, t0 + 5500 * ms);
    ASSERT_TRUE(degraded);
    EXPECT_EQ(degraded->lasted_ns, 500 * ms);
    EXPECT_EQ(t.current(), check_status::degraded);
    EXPECT_EQ(t.since_ns(), t0 + 5500 * ms);
}

TEST(events, result_line_wraps_render_json_and_redacts_secrets)
{
    const fleet_check c = secret_check();
    check_result r;
    r.status = check_status::down;
    r.code = "unauthorized";
    r.url = "ws://a/";
    // A server that echoes credentials back into the failure sentence must not leak them.
    r.sentence = "Server said: bad token Bearer TOPSECRET-env-1234 for TOPSECRET-mqtt-pw";
    const std::string line = render_result_event(c, r, t0 + 123 * ms);
    EXPECT_EQ(line.find("TOPSECRET"), std::string::npos) << line;
    simdjson::dom::parser p;
    auto e = parse_line(p, line);
    EXPECT_EQ(std::string_view(e["event"]), "result");
    EXPECT_EQ(std::string_view(e["time"]), "2026-01-31T00:00:00.123Z");
    EXPECT_EQ(std::string_view(e["check"]), "chat-eu");
    EXPECT_EQ(std::string_view(e["labels"]["region"]), "eu");
    EXPECT_EQ(std::string_view(e["result"]["status"]), "down");
    EXPECT_EQ(std::string_view(e["result"]["code"]), "unauthorized");
    EXPECT_EQ(std::string_view(e["result"]["message"]), "Server said: bad token <redacted> for <redacted>");
}

TEST(events, state_change_line)
{
    const fleet_check c = secret_check();
    state_tracker t;
    (void)t.observe(check_status::up, t0);
    const auto change = t.observe(check_status::down, t0 + 90'000 * ms);
    ASSERT_TRUE(change);
    check_result r;
    r.status = check_status::down;
    r.code = "connect_timeout";
    r.cls = wsp::failure_class::timeout;
    r.sentence = "TCP connect timed out after 5000 ms";
    const std::string line = render_state_change_event(c, *change, r);
    simdjson::dom::parser p;
    auto e = parse_line(p, line);
    EXPECT_EQ(std::string_view(e["event"]), "state_change");
    EXPECT_EQ(std::string_view(e["from"]), "up");
    EXPECT_EQ(std::string_view(e["to"]), "down");
    EXPECT_EQ(double(e["lasted_ms"]), 90'000.0);
    EXPECT_EQ(std::string_view(e["since"]), "2026-01-31T00:00:00.000Z");
    EXPECT_EQ(std::string_view(e["time"]), "2026-01-31T00:01:30.000Z");
    EXPECT_EQ(std::string_view(e["code"]), "connect_timeout");
    EXPECT_EQ(std::string_view(e["class"]), "timeout");

    state_tracker fresh;
    const auto first = fresh.observe(check_status::degraded, t0);
    auto f = parse_line(p, render_state_change_event(c, *first, r));
    EXPECT_TRUE(f["from"].is_null());
    EXPECT_TRUE(f["lasted_ms"].is_null());
    EXPECT_TRUE(f["since"].is_null());
}

TEST(events, short_secrets_are_not_redacted_blindly)
{
    fleet_check c;
    c.id = "x";
    c.spec.headers.push_back({"X-Key", "ab", true});
    c.spec.headers.push_back({"X-Long", "longer", true});
    std::string text = "tab ab longer";
    redact_secrets(c, text);
    EXPECT_EQ(text, "tab ab <redacted>");
}
