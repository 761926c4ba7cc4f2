#include "engine/fleet/config.h"

#include <gtest/gtest.h>

#include "tests/engine/fleet/config_support.h"

using namespace wsp::fleet;
using wsp::fleet::test::parse;

namespace {
using ids = std::vector<std::string>;
}

TEST(config_diff, classifies_every_id)
{
    auto before = parse(R"({"modules": {"m": {"rtt": "echo"}}, "checks": [
        {"id": "same", "url": "ws://a/", "module": "m"},
        {"id": "interval", "url": "ws://a/", "interval": "10s"},
        {"id": "labels", "url": "ws://a/", "labels": {"a": "1"}},
        {"id": "secret", "url": "ws://a/", "headers": {"Authorization": "Bearer 1"}},
        {"id": "module-setting", "url": "ws://a/", "module": "m"},
        {"id": "gone", "url": "ws://a/"}
    ]})");
    auto after = parse(R"({"modules": {"m": {"rtt": "echo"}, "n": {"rtt": "ping"}}, "checks": [
        {"id": "new", "url": "ws://a/"},
        {"id": "labels", "url": "ws://a/", "labels": {"a": "2"}},
        {"id": "interval", "url": "ws://a/", "interval": "20s"},
        {"id": "secret", "url": "ws://a/", "headers": {"Authorization": "Bearer 2"}},
        {"id": "module-setting", "url": "ws://a/", "module": "m", "rtt": "ping"},
        {"id": "same", "url": "ws://a/", "module": "m"}
    ]})");
    ASSERT_TRUE(before && after);
    const config_diff d = diff_configs(*before, *after);
    EXPECT_EQ(d.unchanged, ids{"same"});
    EXPECT_EQ(d.changed, (ids{"labels", "interval", "secret", "module-setting"}));
    EXPECT_EQ(d.added, ids{"new"});
    EXPECT_EQ(d.removed, ids{"gone"});
}

TEST(config_diff, identical_files_change_nothing)
{
    const char* json = R"({"checks": [{"id": "a", "url": "wss://a/", "tls": {"insecure": true}},
                                      {"id": "b", "url": "ws://b/", "labels": {"x": "y"}}]})";
    auto a = parse(json);
    auto b = parse(json);
    ASSERT_TRUE(a && b);
    const config_diff d = diff_configs(*a, *b);
    EXPECT_EQ(d.unchanged, (ids{"a", "b"}));
    EXPECT_TRUE(d.changed.empty() && d.added.empty() && d.removed.empty());
}

TEST(config_diff, each_spec_field_counts)
{
    const std::string base = R"({"checks": [{"id": "a", "url": "wss://a/ws")";
    const std::string changes[] = {
        R"(, "url": "wss://a/other")",
        R"(, "origin": "https://o")",
        R"(, "subprotocols": ["x"])",
        R"(, "extensions": ["permessage-deflate"])",
        R"(, "rtt": "any")",
        R"(, "payload": "p")",
        R"(, "binary": true)",
        R"(, "timeouts": {"close": 1})",
        R"(, "thresholds": {"handshake_degraded": 1})",
        R"(, "retries": 1)",
        R"(, "family": "v6")",
        R"(, "source_address": "127.0.0.1")",
        R"(, "max_message_size": 10)",
        R"(, "tls": {"ca": "/x"})",
        R"(, "tls": {"resume": true})",
        R"(, "app": "mqtt")",
        R"(, "headers": {"X": "1"})",
    };
    auto before = parse(base + "}]}");
    ASSERT_TRUE(before);
    for (const auto& c : changes) {
        auto after = parse(base + c + "}]}");
        ASSERT_TRUE(after) << c << after.error().text();
        EXPECT_FALSE(same_check(before->checks[0], after->checks[0])) << c;
        EXPECT_EQ(diff_configs(*before, *after).changed, ids{"a"}) << c;
    }
}
