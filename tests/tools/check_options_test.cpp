#include "tools/cli/check_options.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

using namespace wsp::cli;
using wsp::proto::millis;

namespace {

environment fake_env(std::map<std::string, std::string> vars, std::map<std::string, std::string> files)
{
    environment e;
    e.getenv = [vars](const std::string& n) -> std::optional<std::string> {
        auto it = vars.find(n);
        return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    e.read_file = [files](const std::string& p) -> tl::expected<std::string, std::string> {
        auto it = files.find(p);
        if (it == files.end()) {
            return tl::unexpected<std::string>("cannot read file '" + p + "'");
        }
        return it->second;
    };
    return e;
}

tl::expected<check_options, std::string> parse(std::vector<std::string_view> args,
                                               const environment& env = fake_env({}, {}))
{
    return parse_check_options(args, env);
}

} // namespace

TEST(check_options, defaults_follow_the_product_guide)
{
    auto o = parse({"ws://127.0.0.1:9000/echo"});
    ASSERT_TRUE(o) << o.error();
    EXPECT_EQ(o->spec.url.port, 9000);
    EXPECT_EQ(o->spec.rtt, wsp::proto::rtt_mode::none);
    EXPECT_EQ(o->spec.thresholds.handshake_degraded, millis{1000});
    EXPECT_EQ(o->spec.thresholds.rtt_degraded, millis{200});
    EXPECT_EQ(o->spec.timeouts.rtt, millis{5000});
    EXPECT_EQ(o->spec.retries, 0u);
    EXPECT_FALSE(o->json);
}

TEST(check_options, headers_secrets_and_subprotocols)
{
    auto o = parse({"wss://h/x", "-H", "X-Tenant-Id: acme", "--header=Authorization: Bearer abc",
                    "--secret-header", "X-Key:  k1  ", "-p", "graphql-ws", "--expect-subprotocol",
                    "graphql-transport-ws", "--origin", "https://app.example.com", "--json", "-v"});
    ASSERT_TRUE(o) << o.error();
    const auto& h = o->spec.headers;
    ASSERT_EQ(h.size(), 3u);
    EXPECT_EQ(h[0].name, "X-Tenant-Id");
    EXPECT_FALSE(h[0].secret);
    EXPECT_EQ(h[1].value, "Bearer abc");
    EXPECT_TRUE(h[1].secret);
    EXPECT_EQ(h[2].value, "k1");
    EXPECT_TRUE(h[2].secret);
    // The asserted subprotocol is also offered, after the explicit ones.
    ASSERT_EQ(o->spec.subprotocols.size(), 2u);
    EXPECT_EQ(o->spec.subprotocols[1], "graphql-transport-ws");
    EXPECT_EQ(*o->spec.origin, "https://app.example.com");
    EXPECT_TRUE(o->json);
    EXPECT_TRUE(o->verbose);
}

TEST(check_options, bearer_from_env_and_file_is_secret)
{
    auto env = fake_env({{"TOKEN", "s3cr3t"}}, {{"/run/tok", "filetoken\n"}});
    auto a = parse({"ws://h/", "--bearer-env", "TOKEN"}, env);
    ASSERT_TRUE(a) << a.error();
    EXPECT_EQ(a->spec.headers.at(0).value, "Bearer s3cr3t");
    EXPECT_TRUE(a->spec.headers.at(0).secret);
    auto b = parse({"ws://h/", "--bearer-file", "/run/tok"}, env);
    ASSERT_TRUE(b) << b.error();
    EXPECT_EQ(b->spec.headers.at(0).value, "Bearer filetoken");

    auto missing = parse({"ws://h/", "--bearer-env", "NOPE"}, env);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().find("NOPE"), std::string::npos);
    auto unreadable = parse({"ws://h/", "--bearer-file", "/nope"}, env);
    ASSERT_FALSE(unreadable);
    EXPECT_NE(unreadable.error().find("/nope"), std::string::npos);
    // The error never contains the secret itself.
    auto bad = parse({"ws://h/", "--bearer-env", "TOKEN", "--rtt", "bogus"}, env);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().find("s3cr3t"), std::string::npos);
}

TEST(check_options, durations_and_thresholds)
{
    auto o = parse({"ws://h/", "--rtt", "echo", "--rtt-timeout", "2s", "--rtt-degraded=50ms",
                    "--upgrade-timeout", "1500", "--connect-degraded", "1.5s", "--retries", "2"});
    ASSERT_TRUE(o) << o.error();
    EXPECT_EQ(o->spec.rtt, wsp::proto::rtt_mode::echo);
    EXPECT_EQ(o->spec.timeouts.rtt, millis{2000});
    EXPECT_EQ(o->spec.thresholds.rtt_degraded, millis{50});
    EXPECT_EQ(o->spec.timeouts.upgrade, millis{1500});
    EXPECT_EQ(*o->spec.thresholds.connect_degraded, millis{1500});
    EXPECT_EQ(o->spec.retries, 2u);
    EXPECT_EQ(parse_duration("0"), millis{0});
    EXPECT_FALSE(parse_duration("-5"));
    EXPECT_FALSE(parse_duration("5m"));
    EXPECT_FALSE(parse_duration(""));
    EXPECT_FALSE(parse_duration("ms"));
    EXPECT_FALSE(parse_duration("1e20s"));
}

TEST(check_options, bad_input_gets_one_clear_sentence)
{
    struct bad {
        std::vector<std::string_view> args;
        const char* words;
    };
    static const std::string long_payload(200, 'x');
    const std::vector<bad> cases = {
        {{}, "missing URL"},
        {{"http://h/"}, "ws:// or wss://"},
        {{"ws://h:99999/"}, "port"},
        {{"ws:///x"}, "no host"},
        {{"ws://h/", "ws://g/"}, "exactly one URL"},
        {{"ws://h/", "--bogus"}, "unknown option '--bogus'"},
        {{"ws://h/", "--rtt"}, "needs a value"},
        {{"ws://h/", "--rtt", "fast"}, "none, echo, any, ping"},
        {{"ws://h/", "--rtt-timeout", "soon"}, "not a duration"},
        {{"ws://h/", "--retries", "-1"}, "0 to 10"},
        {{"ws://h/", "--retries", "99"}, "0 to 10"},
        {{"ws://h/", "-H", "NoColon"}, "Name: value"},
        {{"ws://h/", "-H", ": v"}, "Name: value"},
        {{"ws://h/", "--max-message", "0"}, "size in bytes"},
        {{"ws://h/", "--rtt", "ping", "--payload", long_payload}, "125 bytes"},
    };
    for (const auto& c : cases) {
        auto o = parse(c.args);
        ASSERT_FALSE(o) << c.words;
        EXPECT_NE(o.error().find(c.words), std::string::npos) << o.error();
    }
}

TEST(check_options, help)
{
    auto o = parse({"--help"});
    ASSERT_TRUE(o);
    EXPECT_TRUE(o->help);
    EXPECT_NE(check_usage().find("Exit code: 0 up, 1 degraded, 2 down, 3"), std::string_view::npos);
}

TEST(check_options, http2_modes_and_alpn_offer)
{
    using wsp::proto::http2_mode;
    auto off = parse({"wss://h/"});
    ASSERT_TRUE(off);
    EXPECT_EQ(off->spec.http2, http2_mode::off);
    EXPECT_FALSE(off->spec.tls.offer_h2);

    auto prefer = parse({"wss://h/", "--http2", "prefer"});
    ASSERT_TRUE(prefer) << prefer.error();
    EXPECT_EQ(prefer->spec.http2, http2_mode::prefer);
    EXPECT_TRUE(prefer->spec.tls.offer_h2);

    auto require = parse({"--http2=require", "wss://h/"});
    ASSERT_TRUE(require) << require.error();
    EXPECT_EQ(require->spec.http2, http2_mode::require);
    EXPECT_TRUE(require->spec.tls.offer_h2);

    auto pk = parse({"ws://h/", "--http2", "prior-knowledge"});
    ASSERT_TRUE(pk) << pk.error();
    EXPECT_EQ(pk->spec.http2, http2_mode::prior_knowledge);
    EXPECT_FALSE(pk->spec.tls.offer_h2);

    auto plain_prefer = parse({"ws://h/", "--http2", "prefer"});
    ASSERT_TRUE(plain_prefer) << plain_prefer.error();
    EXPECT_FALSE(plain_prefer->spec.tls.offer_h2);
}

TEST(check_options, http2_misuse_is_a_usage_error)
{
    struct bad {
        std::vector<std::string_view> args;
        const char* words;
    };
    const std::vector<bad> cases = {
        {{"wss://h/", "--http2"}, "needs a value"},
        {{"wss://h/", "--http2", "yes"}, "off, prefer, require, prior-knowledge"},
        {{"ws://h/", "--http2", "require"}, "needs a wss:// URL"},
        {{"wss://h/", "--http2", "prior-knowledge"}, "for ws:// URLs"},
    };
    for (const auto& c : cases) {
        auto o = parse(c.args);
        ASSERT_FALSE(o) << c.words;
        EXPECT_NE(o.error().find(c.words), std::string::npos) << o.error();
    }
    EXPECT_NE(check_usage().find("--http2 MODE"), std::string_view::npos);
}

TEST(check_options, compare_transports_picks_the_h2_mode_from_the_scheme)
{
    using wsp::proto::http2_mode;
    auto plain = parse({"ws://h/", "--rtt", "echo"});
    ASSERT_TRUE(plain) << plain.error();
    EXPECT_FALSE(plain->compare_transports);

    auto secure = parse({"wss://h/", "--compare-transports"});
    ASSERT_TRUE(secure) << secure.error();
    EXPECT_TRUE(secure->compare_transports);
    EXPECT_EQ(secure->spec.http2, http2_mode::require);
    EXPECT_TRUE(secure->spec.tls.offer_h2);

    auto cleartext = parse({"--compare-transports", "ws://h/"});
    ASSERT_TRUE(cleartext) << cleartext.error();
    EXPECT_EQ(cleartext->spec.http2, http2_mode::prior_knowledge);
    EXPECT_FALSE(cleartext->spec.tls.offer_h2);

    // The mode each scheme needs anyway may be given explicitly.
    auto require = parse({"wss://h/", "--http2", "require", "--compare-transports"});
    ASSERT_TRUE(require) << require.error();
    EXPECT_EQ(require->spec.http2, http2_mode::require);
    auto pk = parse({"ws://h/", "--compare-transports", "--http2=prior-knowledge"});
    ASSERT_TRUE(pk) << pk.error();
    EXPECT_EQ(pk->spec.http2, http2_mode::prior_knowledge);
    EXPECT_NE(check_usage().find("--compare-transports"), std::string_view::npos);
}

TEST(check_options, compare_transports_refuses_http2_modes_that_leave_nothing_to_compare)
{
    struct bad {
        std::vector<std::string_view> args;
        const char* words;
    };
    const std::vector<bad> cases = {
        {{"wss://h/", "--compare-transports", "--http2", "off"}, "--http2 off leaves no HTTP/2 run"},
        {{"ws://h/", "--http2=off", "--compare-transports"}, "--http2 off leaves no HTTP/2 run"},
        {{"wss://h/", "--compare-transports", "--http2", "prefer"}, "prefer could fall back to HTTP/1.1"},
        {{"ws://h/", "--compare-transports", "--http2", "require"}, "needs a wss:// URL"},
        {{"wss://h/", "--compare-transports", "--http2", "prior-knowledge"}, "for ws:// URLs"},
    };
    for (const auto& c : cases) {
        auto o = parse(c.args);
        ASSERT_FALSE(o) << c.words;
        EXPECT_NE(o.error().find(c.words), std::string::npos) << o.error();
    }
}

TEST(check_options, h2_streams_counts_and_picks_http2_without_fallback)
{
    using wsp::proto::http2_mode;
    EXPECT_EQ(parse({"ws://h/"})->h2_streams, 0u);
    auto plain = parse({"ws://h/", "--h2-streams", "5"});
    ASSERT_TRUE(plain) << plain.error();
    EXPECT_EQ(plain->h2_streams, 5u);
    EXPECT_EQ(plain->spec.http2, http2_mode::prior_knowledge);
    auto secure = parse({"wss://h/", "--h2-streams=100", "--http2", "require"});
    ASSERT_TRUE(secure) << secure.error();
    EXPECT_EQ(secure->h2_streams, 100u);
    EXPECT_EQ(secure->spec.http2, http2_mode::require);
    EXPECT_TRUE(secure->spec.tls.offer_h2);
    EXPECT_NE(check_usage().find("--h2-streams N"), std::string_view::npos);

    struct bad {
        std::vector<std::string_view> args;
        const char* words;
    };
    const std::vector<bad> cases = {
        {{"ws://h/", "--h2-streams", "1"}, "'1' is not a number from 2 to 100"},
        {{"ws://h/", "--h2-streams", "101"}, "'101' is not a number from 2 to 100"},
        {{"ws://h/", "--h2-streams", "five"}, "'five' is not a number from 2 to 100"},
        {{"ws://h/", "--h2-streams", "-3"}, "is not a number from 2 to 100"},
        {{"ws://h/", "--h2-streams"}, "--h2-streams"},
        {{"wss://h/", "--h2-streams", "3", "--http2", "prefer"},
         "needs HTTP/2 without fallback: --http2 prefer"},
        {{"ws://h/", "--http2", "off", "--h2-streams", "3"}, "needs HTTP/2 without fallback: --http2 off"},
        {{"ws://h/", "--h2-streams", "3", "--compare-transports"}, "do not combine"},
        {{"ws://h/", "--h2-streams", "3", "--retries", "2"}, "--retries does not apply to --h2-streams"},
        {{"ws://h/", "--h2-streams", "3", "--http2", "require"}, "needs a wss:// URL"},
        {{"ws://h/", "--h2-streams", "3", "--app", "mqtt", "--client-id", "probe-1"},
         "every stream would use the same MQTT client identifier"},
    };
    for (const auto& c : cases) {
        auto o = parse(c.args);
        ASSERT_FALSE(o) << c.words;
        EXPECT_NE(o.error().find(c.words), std::string::npos) << o.error();
    }
}
