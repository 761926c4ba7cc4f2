#include "engine/fleet/config.h"

#include <gtest/gtest.h>

#include "tests/engine/fleet/config_support.h"

using namespace wsp::fleet;
using wsp::fleet::test::parse;

namespace {

// The single problem of a refused config.
config_problem only_problem(std::string_view json)
{
    auto r = parse(json);
    EXPECT_FALSE(r);
    if (r) {
        return {};
    }
    EXPECT_EQ(r.error().problems.size(), 1u) << r.error().text();
    return r.error().problems.front();
}

std::string one_check(std::string_view fields)
{
    return R"({"checks": [{"id": "chat-eu", "url": "wss://chat.example.com/ws", )" + std::string(fields) +
           "}]}";
}

} // namespace

TEST(config, module_settings_with_check_overrides)
{
    auto cfg = parse(R"({
      "modules": {
        "echo_fast": {
          "rtt": "echo", "payload": "hello", "interval": "15s",
          "timeouts": {"connect": "2s", "rtt": 500, "overall": "10s"},
          "thresholds": {"rtt_degraded": "150ms", "connect_degraded": "1s"},
          "headers": {"Authorization": {"env": "API_TOKEN"}, "X-Team": "core"},
          "origin": "https://example.com",
          "subprotocols": ["chat.v2", "chat"], "expect_subprotocol": "chat.v2",
          "tls": {"ca": "/etc/ca.pem", "min_version": "1.3", "cert_warn_days": 30,
                  "cert": "/etc/client.pem", "key": {"file": "/run/secrets/key_path"}},
          "retries": 2
        }
      },
      "checks": [
        {"id": "chat-eu", "url": "wss://eu.example.com/ws", "module": "echo_fast", "interval": "30s",
         "labels": {"region": "eu", "env": "prod"},
         "timeouts": {"rtt": "1s"},
         "headers": {"x-team": "edge", "Cookie": {"file": "/run/secrets/cookie"}}},
        {"id": "chat-us", "url": "ws://us.example.com:8080/ws", "module": "echo_fast",
         "app": "mqtt", "app_options": {"username": "probe", "password": {"env": "MQTT_PW"}}},
        {"id": "bare", "url": "ws://127.0.0.1/"}
      ]
    })");
    ASSERT_TRUE(cfg) << cfg.error().text();
    ASSERT_EQ(cfg->checks.size(), 3u);

    const fleet_check& eu = cfg->checks[0];
    EXPECT_EQ(eu.id, "chat-eu");
    EXPECT_EQ(eu.module, "echo_fast");
    EXPECT_EQ(eu.interval, millis(30'000));
    EXPECT_EQ(eu.spec.url.host, "eu.example.com");
    EXPECT_TRUE(eu.spec.url.secure);
    EXPECT_EQ(eu.spec.rtt, wsp::proto::rtt_mode::echo);
    EXPECT_EQ(eu.spec.payload, "hello");
    EXPECT_EQ(eu.spec.timeouts.connect, millis(2000)); // from the module
    EXPECT_EQ(eu.spec.timeouts.rtt, millis(1000));     // overridden field by field
    EXPECT_EQ(eu.spec.timeouts.overall, millis(10'000));
    EXPECT_EQ(eu.spec.timeouts.dns, millis(5000)); // default
    EXPECT_EQ(eu.spec.thresholds.rtt_degraded, millis(150));
    EXPECT_EQ(eu.spec.thresholds.connect_degraded, millis(1000));
    ASSERT_EQ(eu.spec.headers.size(), 3u);
    EXPECT_EQ(eu.spec.headers[0].name, "Authorization");
    EXPECT_EQ(eu.spec.headers[0].value, "Bearer TOPSECRET-env-1234");
    EXPECT_TRUE(eu.spec.headers[0].secret);
    EXPECT_EQ(eu.spec.headers[1].name, "x-team"); // same name, any case: replaced in place
    EXPECT_EQ(eu.spec.headers[1].value, "edge");
    EXPECT_FALSE(eu.spec.headers[1].secret);
    EXPECT_EQ(eu.spec.headers[2].value, "session=TOPSECRET-file-5678"); // final newline dropped
    EXPECT_TRUE(eu.spec.headers[2].secret);
    EXPECT_EQ(eu.spec.origin, "https://example.com");
    EXPECT_EQ(eu.spec.subprotocols, (std::vector<std::string>{"chat.v2", "chat"}));
    EXPECT_EQ(eu.spec.expect_subprotocol, "chat.v2");
    EXPECT_EQ(eu.spec.tls.ca_file, "/etc/ca.pem");
    EXPECT_TRUE(eu.spec.tls.min_tls13);
    EXPECT_EQ(eu.spec.tls.cert_warn_days, 30u);
    EXPECT_EQ(eu.spec.tls.key_file, "/etc/wsprobe/client.key");
    EXPECT_EQ(eu.spec.retries, 2u);
    ASSERT_EQ(eu.labels.size(), 2u);
    EXPECT_EQ(eu.labels[0], (std::pair<std::string, std::string>{"env", "prod"})); // sorted
    EXPECT_EQ(eu.labels[1], (std::pair<std::string, std::string>{"region", "eu"}));

    const fleet_check& us = cfg->checks[1];
    EXPECT_EQ(us.interval, millis(15'000)); // the module's
    EXPECT_EQ(us.spec.url.port, 8080);
    EXPECT_EQ(us.spec.timeouts.rtt, millis(500));
    EXPECT_EQ(us.app, "mqtt");
    ASSERT_EQ(us.app_options.size(), 2u);
    EXPECT_FALSE(us.app_options[0].secret);
    EXPECT_EQ(us.app_options[1].value, "TOPSECRET-mqtt-pw");
    EXPECT_TRUE(us.app_options[1].secret);

    const fleet_check& bare = cfg->checks[2];
    EXPECT_EQ(bare.module, "");
    EXPECT_EQ(bare.interval, millis(30'000));
    EXPECT_EQ(bare.spec.rtt, wsp::proto::rtt_mode::none);
    EXPECT_TRUE(bare.labels.empty());
    EXPECT_EQ(cfg->find("bare"), &bare);
    EXPECT_EQ(cfg->find("nope"), nullptr);
}

TEST(config, literal_authorization_headers_are_secret)
{
    auto cfg = parse(one_check(R"("headers": {"authorization": "Basic abc", "X-Plain": "v"})"));
    ASSERT_TRUE(cfg) << cfg.error().text();
    EXPECT_TRUE(cfg->checks[0].spec.headers[0].secret);
    EXPECT_FALSE(cfg->checks[0].spec.headers[1].secret);
}

TEST(config, sealed_header_values_open_with_the_master_key)
{
    const std::string sealed = *seal_secret("TOPSECRET-sealed", wsp::fleet::test::fake_key());
    auto cfg = parse(one_check(R"("headers": {"X-Key": ")" + sealed + R"("})"));
    ASSERT_TRUE(cfg) << cfg.error().text();
    EXPECT_EQ(cfg->checks[0].spec.headers[0].value, "TOPSECRET-sealed");
    EXPECT_TRUE(cfg->checks[0].spec.headers[0].secret);

    auto no_key = parse(one_check(R"("headers": {"X-Key": ")" + sealed + R"("})"), nullptr);
    ASSERT_FALSE(no_key);
    EXPECT_EQ(no_key.error().problems[0].code, errc::no_master_key);
}

TEST(config, messages_name_file_check_and_field)
{
    auto p = only_problem(one_check(R"("interval": "5x")"));
    EXPECT_EQ(p.code, errc::bad_duration);
    EXPECT_EQ(p.message, "config.json: check \"chat-eu\": field interval: \"5x\" is not a duration (use e.g. "
                         "\"500ms\", \"2s\", "
                         "\"1m\")");

    auto no_id = parse(R"({"checks": [{"id": "ok", "url": "ws://a/"}, {"url": "ws://b/", "retries": -1}]})");
    ASSERT_FALSE(no_id);
    EXPECT_EQ(no_id.error().text(),
              "config.json: checks[1]: field retries: must be a whole number from 0 to 10\n"
              "config.json: checks[1]: field id: is required\n");

    p = only_problem(R"({"modules": {"m": {"timeouts": {"rtt": "fast"}}}, "checks": []})");
    EXPECT_EQ(p.message.rfind("config.json: module \"m\": field timeouts.rtt: \"fast\" is not a duration", 0),
              0u)
        << p.message;
}

TEST(config, refusals_by_kind)
{
    const std::pair<std::string, errc> cases[] = {
        {one_check(R"("colour": "red")"), errc::unknown_field},
        {one_check(R"("timeouts": {"handshake": 5})"), errc::unknown_field},
        {one_check(R"("thresholds": {"tls_degraded": 5})"), errc::unknown_field},
        {one_check(R"("tls": {"verify": false})"), errc::unknown_field},
        {one_check(R"("module": "missing")"), errc::unknown_module},
        {one_check(R"("rtt": "bounce")"), errc::bad_field},
        {one_check(R"("family": "v5")"), errc::bad_field},
        {one_check(R"("binary": "yes")"), errc::bad_field},
        {one_check(R"("retries": 11)"), errc::bad_field},
        {one_check(R"("retries": 1.5)"), errc::bad_field},
        {one_check(R"("interval": "500ms")"), errc::bad_field},
        {one_check(R"("interval": "25h")"), errc::bad_field},
        {one_check(R"("timeouts": {"rtt": 0})"), errc::bad_duration},
        {one_check(R"("subprotocols": ["chat v2"])"), errc::bad_field},
        {one_check(R"("subprotocols": ["a"], "expect_subprotocol": "b")"), errc::bad_field},
        {one_check(R"("headers": {"Sec-WebSocket-Key": "x"})"), errc::bad_field},
        {one_check(R"("headers": {"Bad Name": "x"})"), errc::bad_field},
        {one_check(R"("headers": {"X-A": {"vault": "x"}})"), errc::bad_field},
        {one_check(R"("headers": {"X-A": {"env": "UNSET_VAR"}})"), errc::secret_unavailable},
        {one_check(R"("headers": {"X-A": {"file": "/missing"}})"), errc::secret_unavailable},
        {one_check(R"("headers": {"X-A": "enc:v1:AAAA"})"), errc::bad_secret_format},
        {one_check(R"("rtt": "ping", "payload": ")" + std::string(126, 'p') + "\""), errc::bad_field},
        {one_check(R"("max_message_size": 4, "payload": "hello")"), errc::bad_field},
        {one_check(R"("tls": {"cert": "/c.pem"})"), errc::bad_field},
        {one_check(R"("tls": {"min_version": "1.1"})"), errc::bad_field},
        {one_check(R"("source_address": "localhost")"), errc::bad_field},
        {one_check(R"("app_options": {"user": "x"})"), errc::bad_field},
        {one_check(R"("labels": {"check": "x"})"), errc::bad_field},
        {one_check(R"("labels": {"__name__": "x"})"), errc::bad_field},
        {one_check(R"("labels": {"1abc": "x"})"), errc::bad_field},
        {one_check(R"("labels": {"a": 1})"), errc::bad_field},
        {R"({"checks": [{"id": "x", "url": "http://example.com/"}]})", errc::bad_url},
        {R"({"checks": [{"id": "x"}]})", errc::missing_field},
        {R"({"checks": [{"url": "ws://a/"}]})", errc::missing_field},
        {R"({"checks": [{"id": "has space", "url": "ws://a/"}]})", errc::bad_field},
        {R"({"checks": [{"id": "x", "url": "ws://a/", "module": 1}]})", errc::bad_field},
        {R"({"modules": {"m": {"url": "ws://a/"}}, "checks": []})", errc::unknown_field},
        {R"({"checks": [], "version": 2})", errc::unknown_field},
        {R"({"modules": []})", errc::bad_field},
        {R"({"checks": {}})", errc::bad_field},
        {R"([])", errc::bad_field},
        {R"({"checks": [1]})", errc::bad_field},
        {R"({"checks": [)", errc::bad_json},
    };
    for (const auto& [json, code] : cases) {
        auto r = parse(json);
        ASSERT_FALSE(r) << json;
        ASSERT_FALSE(r.error().problems.empty()) << json;
        EXPECT_EQ(r.error().problems[0].code, code) << json << "\n" << r.error().text();
        EXPECT_EQ(r.error().problems[0].message.rfind("config.json: ", 0), 0u)
            << r.error().problems[0].message;
    }
    auto missing = parse("{}");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().problems[0].code, errc::missing_field);
}

TEST(config, duplicate_ids_refuse_the_whole_file)
{
    auto r = parse(R"({"checks": [{"id": "a", "url": "ws://a/"}, {"id": "b", "url": "ws://b/"},
                                  {"id": "a", "url": "ws://c/"}]})");
    ASSERT_FALSE(r);
    ASSERT_EQ(r.error().problems.size(), 1u);
    EXPECT_EQ(r.error().problems[0].code, errc::duplicate_id);
    EXPECT_EQ(r.error().problems[0].message,
              "config.json: check \"a\": field id: another check already has this id");
}

TEST(config, reports_every_problem_up_to_the_bound)
{
    std::string json = R"({"checks": [)";
    for (int i = 0; i < 80; ++i) {
        json += (i ? "," : "") + std::string(R"({"id": "c)") + std::to_string(i) +
                R"(", "url": "ws://a/", "rtt": 1})";
    }
    json += "]}";
    auto r = parse(json);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().problems.size(), 50u);
    EXPECT_TRUE(r.error().truncated);
    EXPECT_NE(r.error().text().find("check \"c49\""), std::string::npos);
    EXPECT_NE(r.error().text().find("(more problems not shown)"), std::string::npos);
}

TEST(config, secrets_never_appear_in_messages)
{
    const std::string sealed_other =
        *seal_secret("TOPSECRET-other-key",
                     *parse_master_key("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"));
    const std::string sealed_crlf = *seal_secret("TOPSECRET-sealed\r\nX: y", wsp::fleet::test::fake_key());
    const std::string json = R"({
      "modules": {"m": {"headers": {"X-Bad": {"env": "BAD_VALUE"}, "Authorization": "Bearer TOPSECRET-literal\n"}}},
      "checks": [
        {"id": "a", "url": "ws://a/", "module": "m", "interval": "TOPSECRET?"},
        {"id": "b", "url": "ws://b/", "headers": {"X-Other": ")" +
                             sealed_other + R"("}},
        {"id": "c", "url": "ws://c/", "headers": {"X-Crlf": ")" +
                             sealed_crlf + R"("}},
        {"id": "d", "url": "ws://d/", "tls": {"cert": "/c", "key": ")" +
                             sealed_other + R"("}},
        {"id": "e", "url": "ws://e/", "app": "mqtt", "app_options": {"password": ")" +
                             sealed_other + R"("}}
      ]})";
    auto r = parse(json);
    ASSERT_FALSE(r);
    EXPECT_GE(r.error().problems.size(), 6u) << r.error().text();
    for (const auto& p : r.error().problems) {
        // The interval is not a secret and may be echoed; every other TOPSECRET must not be.
        if (p.message.find("field interval") != std::string::npos) {
            continue;
        }
        EXPECT_EQ(p.message.find("TOPSECRET"), std::string::npos) << p.message;
        EXPECT_EQ(p.message.find(sealed_other), std::string::npos) << p.message;
        EXPECT_EQ(p.message.find("enc:v1:"), std::string::npos) << p.message;
    }
    EXPECT_EQ(r.error().text().find("TOPSECRET-env"), std::string::npos);
    EXPECT_EQ(r.error().text().find("TOPSECRET-literal"), std::string::npos);
}

TEST(config, fifty_thousand_checks)
{
    constexpr int n = 50'000;
    std::string json = R"({"modules": {"m": {"rtt": "ping", "timeouts": {"overall": "5s"}}}, "checks": [)";
    json.reserve(n * 120);
    for (int i = 0; i < n; ++i) {
        json += i ? "," : "";
        json += R"({"id": "check-)" + std::to_string(i) + R"(", "url": "wss://host)" +
                std::to_string(i % 997) + R"(.example.com/ws", "module": "m", "interval": ")" +
                std::to_string(10 + i % 50) + R"(s", "labels": {"shard": ")" + std::to_string(i % 16) +
                R"("}})";
    }
    json += "]}";
    auto cfg = parse(json);
    ASSERT_TRUE(cfg) << cfg.error().text();
    ASSERT_EQ(cfg->checks.size(), static_cast<std::size_t>(n));
    EXPECT_EQ(cfg->checks[0].id, "check-0");
    EXPECT_EQ(cfg->checks[n - 1].id, "check-49999");
    EXPECT_EQ(cfg->checks[n - 1].spec.url.host, "host" + std::to_string((n - 1) % 997) + ".example.com");
    EXPECT_EQ(cfg->checks[n - 1].interval, millis((10 + (n - 1) % 50) * 1000));
    EXPECT_EQ(cfg->checks[12345].spec.rtt, wsp::proto::rtt_mode::ping);
    EXPECT_EQ(cfg->checks[12345].labels[0].second, std::to_string(12345 % 16));

    // One duplicate among 50,000 refuses everything.
    json.insert(json.size() - 2, R"(,{"id": "check-777", "url": "ws://dup/"})");
    auto dup = parse(json);
    ASSERT_FALSE(dup);
    ASSERT_EQ(dup.error().problems.size(), 1u);
    EXPECT_EQ(dup.error().problems[0].code, errc::duplicate_id);
}

TEST(config, every_prefix_of_a_config_is_refused_cleanly)
{
    const std::string json = R"({"modules": {"m": {"rtt": "echo", "headers": {"A": {"env": "API_TOKEN"}}}},
        "checks": [{"id": "a", "url": "wss://a/", "module": "m", "labels": {"x": "y"}, "interval": "1m"}]})";
    ASSERT_TRUE(parse(json));
    for (std::size_t n = 0; n < json.size(); ++n) {
        auto r = parse(std::string_view(json).substr(0, n));
        ASSERT_FALSE(r) << n;
        ASSERT_FALSE(r.error().problems.empty()) << n;
        EXPECT_EQ(r.error().text().find("TOPSECRET"), std::string::npos) << n;
    }
}
