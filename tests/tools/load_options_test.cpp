// Tests for tools/cli/load_options.cpp: every load flag accepted in its forms, check flags passed
// through (values included), and each bad value refused with a sentence naming the flag.
#include "tools/cli/load_options.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace wsp::cli;

environment fake_env(std::map<std::string, std::string> vars = {})
{
    environment e;
    e.getenv = [vars](const std::string& n) -> std::optional<std::string> {
        auto it = vars.find(n);
        return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    e.read_file = [](const std::string& p) -> tl::expected<std::string, std::string> {
        return tl::unexpected<std::string>("cannot read file '" + p + "'");
    };
    return e;
}

tl::expected<load_cli, std::string> parse(std::vector<std::string_view> args,
                                          const environment& env = fake_env())
{
    return parse_load_options(args, env);
}

std::string ip_of(const wsp::rt::address& a)
{
    return a.to_string();
}

// A fresh directory for --report paths, removed at the end of the test.
struct temp_dir {
    std::filesystem::path path;
    temp_dir()
    {
        std::string tmpl = (std::filesystem::temp_directory_path() / "wsp_load_opts_XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~temp_dir() { std::filesystem::remove_all(path); }
};

TEST(LoadOptions, Defaults)
{
    auto c = parse({"ws://127.0.0.1:9000/echo"});
    ASSERT_TRUE(c) << c.error();
    const auto& o = c->options;
    EXPECT_EQ(o.spec.url.port, 9000);
    EXPECT_EQ(o.connections, 100u);
    EXPECT_EQ(o.rate, 0.0);
    EXPECT_EQ(o.duration_s, 10.0);
    EXPECT_FALSE(o.hold_s);
    EXPECT_EQ(o.threads, 0u);
    EXPECT_TRUE(o.sources.empty());
    EXPECT_FALSE(o.slo);
    EXPECT_EQ(o.payload, "wsprobe");
    EXPECT_FALSE(c->json);
    EXPECT_FALSE(c->report);
    EXPECT_EQ(c->progress, progress_mode::automatic);
    EXPECT_FALSE(c->help);
}

TEST(LoadOptions, EveryLoadFlag)
{
    auto c = parse({"-c",
                    "50",
                    "--rate",
                    "100",
                    "--ramp",
                    "2s",
                    "--duration",
                    "1m",
                    "--hold",
                    "30s",
                    "--ping-interval",
                    "500ms",
                    "--message-rate",
                    "0.5",
                    "--payload",
                    "hello",
                    "--threads",
                    "2",
                    "--source",
                    "127.0.0.2-127.0.0.4",
                    "--slo",
                    "upgrade_p99<250ms",
                    "--slo-step",
                    "3s",
                    "--json",
                    "--quiet",
                    "wss://localhost:8443/ws"});
    ASSERT_TRUE(c) << c.error();
    const auto& o = c->options;
    EXPECT_EQ(o.connections, 50u);
    EXPECT_EQ(o.rate, 100.0);
    EXPECT_EQ(o.ramp_s, 2.0);
    EXPECT_EQ(o.duration_s, 60.0);
    ASSERT_TRUE(o.hold_s);
    EXPECT_EQ(*o.hold_s, 30.0);
    EXPECT_DOUBLE_EQ(o.ping_interval_s, 0.5);
    EXPECT_EQ(o.message_rate, 0.5);
    EXPECT_EQ(o.payload, "hello");
    EXPECT_EQ(o.spec.payload, "hello");
    EXPECT_EQ(o.threads, 2u);
    ASSERT_EQ(o.sources.size(), 3u);
    EXPECT_EQ(ip_of(o.sources[0]), "127.0.0.2:0");
    EXPECT_EQ(ip_of(o.sources[2]), "127.0.0.4:0");
    ASSERT_TRUE(o.slo);
    EXPECT_EQ(o.slo->below_ns, 250'000'000);
    EXPECT_EQ(o.slo_step_s, 3.0);
    EXPECT_TRUE(c->json);
    EXPECT_EQ(c->progress, progress_mode::never);
    EXPECT_TRUE(o.spec.url.secure);
}

TEST(LoadOptions, InlineValuesAndLongNames)
{
    auto c = parse(
        {"ws://127.0.0.1:1/", "--connections=7", "--rate=2.5", "--duration=1.5h", "--hold=2m", "--progress"});
    ASSERT_TRUE(c) << c.error();
    EXPECT_EQ(c->options.connections, 7u);
    EXPECT_EQ(c->options.rate, 2.5);
    EXPECT_EQ(c->options.duration_s, 5400.0);
    EXPECT_EQ(*c->options.hold_s, 120.0);
    EXPECT_EQ(c->progress, progress_mode::always);
}

TEST(LoadOptions, HoldWithoutValueHoldsToTheEnd)
{
    for (const auto& args : {std::vector<std::string_view>{"--hold", "ws://127.0.0.1:1/"},
                             std::vector<std::string_view>{"ws://127.0.0.1:1/", "--hold"},
                             std::vector<std::string_view>{"--hold", "--json", "ws://127.0.0.1:1/"}}) {
        auto c = parse(args);
        ASSERT_TRUE(c) << c.error();
        EXPECT_FALSE(c->options.hold_s);
        EXPECT_EQ(c->options.spec.url.port, 1);
    }
}

TEST(LoadOptions, CheckFlagsPassThroughWithTheirValues)
{
    auto c = parse({"-H", "X-Rate: --rate", "--subprotocol", "chat", "--http2", "prefer", "-k",
                    "--connect-timeout", "2s", "--bearer-env", "TOKEN", "wss://127.0.0.1:8443/ws", "-c", "3"},
                   fake_env({{"TOKEN", "s3cret"}}));
    ASSERT_TRUE(c) << c.error();
    const auto& s = c->options.spec;
    ASSERT_EQ(s.headers.size(), 2u);
    EXPECT_EQ(s.headers[0].name, "X-Rate");
    EXPECT_EQ(s.headers[0].value, "--rate");
    EXPECT_EQ(s.headers[1].value, "Bearer s3cret");
    EXPECT_TRUE(s.headers[1].secret);
    ASSERT_EQ(s.subprotocols.size(), 1u);
    EXPECT_EQ(s.subprotocols[0], "chat");
    EXPECT_EQ(s.http2, wsp::proto::http2_mode::prefer);
    EXPECT_TRUE(s.tls.insecure);
    EXPECT_TRUE(s.tls.offer_h2);
    EXPECT_EQ(s.timeouts.connect, wsp::proto::millis{2000});
    EXPECT_EQ(c->options.connections, 3u);
}

TEST(LoadOptions, PresetsWork)
{
    auto c = parse({"--app", "mqtt", "--preset-messages", "ws://127.0.0.1:1883/mqtt"});
    ASSERT_TRUE(c) << c.error();
    ASSERT_TRUE(c->options.spec.app);
    EXPECT_TRUE(c->options.preset_messages);
    EXPECT_EQ(c->options.spec.subprotocols.at(0), "mqtt");
    // One connection may name its MQTT client; many would take each other's session.
    auto one = parse({"-c", "1", "--app", "mqtt", "--client-id", "probe-1", "ws://127.0.0.1:1883/mqtt"});
    ASSERT_TRUE(one) << one.error();
    EXPECT_EQ(one->options.spec.app->options.client_id, "probe-1");
}

TEST(LoadOptions, Help)
{
    auto c = parse({"-c", "5", "--help"});
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->help);
    EXPECT_TRUE(parse({"-h"})->help);
    const auto u = load_usage();
    for (const char* flag :
         {"-c, --connections", "--rate", "--ramp", "--duration", "--hold [DUR]", "--ping-interval",
          "--message-rate", "--payload", "--threads", "--source", "--slo SPEC", "--slo-step", "--json",
          "--report FILE", "--quiet", "--progress"}) {
        EXPECT_NE(u.find(flag), std::string_view::npos) << flag;
    }
}

TEST(LoadOptions, SourcesListsRangesAndIpv6)
{
    auto s = parse_sources("127.0.0.2-127.0.0.60");
    ASSERT_TRUE(s) << s.error();
    EXPECT_EQ(s->size(), 59u);
    EXPECT_EQ(ip_of(s->front()), "127.0.0.2:0");
    EXPECT_EQ(ip_of(s->back()), "127.0.0.60:0");
    s = parse_sources("127.0.0.9,::1,127.0.1.1-127.0.1.2");
    ASSERT_TRUE(s) << s.error();
    ASSERT_EQ(s->size(), 4u);
    EXPECT_EQ(ip_of((*s)[1]), "[::1]:0");
    EXPECT_EQ(ip_of((*s)[3]), "127.0.1.2:0");
    s = parse_sources("127.0.0.255-127.0.1.1");
    ASSERT_TRUE(s) << "ranges cross octet boundaries";
    EXPECT_EQ(s->size(), 3u);
    s = parse_sources("10.1.2.3");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->size(), 1u);
}

TEST(LoadOptions, ReportPath)
{
    temp_dir d;
    const auto file = (d.path / "run.html").string();
    auto c = parse({"--report", file, "ws://127.0.0.1:1/"});
    ASSERT_TRUE(c) << c.error();
    EXPECT_EQ(c->report, file);
    EXPECT_TRUE(parse({"--report", "report.html", "ws://127.0.0.1:1/"})) << "the current directory";

    const auto missing = (d.path / "nope" / "run.html").string();
    auto bad = parse({"--report", missing, "ws://127.0.0.1:1/"});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), "option --report: directory '" + (d.path / "nope").string() + "' does not exist");
    bad = parse({"--report", d.path.string(), "ws://127.0.0.1:1/"});
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().find("is a directory"), std::string::npos) << bad.error();
    bad = parse({"--report=", "ws://127.0.0.1:1/"});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), "option --report needs a file name");
}

struct bad_case {
    std::vector<std::string_view> args;
    std::string says;
};

TEST(LoadOptions, RefusesEachBadValueWithItsSentence)
{
    const std::vector<bad_case> cases = {
        {{"-c", "0", "ws://h/"}, "option -c: '0' is not a number of connections from 1 to 100000000"},
        {{"-c", "-5", "ws://h/"}, "option -c: '-5' is not a number of connections"},
        {{"-c", "1e3", "ws://h/"}, "option -c: '1e3' is not a number"},
        {{"-c", "200000000", "ws://h/"}, "option -c: '200000000' is not"},
        {{"ws://h/", "-c"}, "option -c needs a value"},
        {{"--rate", "-1", "ws://h/"}, "option --rate: '-1' is not a rate per second"},
        {{"--rate", "nan", "ws://h/"}, "option --rate: 'nan' is not a rate per second"},
        {{"--rate", "inf", "ws://h/"}, "option --rate: 'inf' is not a rate per second"},
        {{"--rate", "1e9", "ws://h/"}, "option --rate: '1e9' is not a rate per second"},
        {{"--message-rate", "-0.5", "ws://h/"}, "option --message-rate: '-0.5' is not a rate"},
        {{"--duration", "30", "ws://h/"}, "option --duration: '30' is not a positive duration with a unit"},
        {{"--duration", "0s", "ws://h/"}, "option --duration: '0s' is not a positive duration"},
        {{"--duration", "8d", "ws://h/"}, "option --duration: '8d' is not a positive duration"},
        {{"--duration", "200h", "ws://h/"}, "option --duration: '200h' is not a positive duration"},
        {{"--ramp", "-1s", "ws://h/"}, "option --ramp: '-1s' is not a duration with a unit"},
        {{"--ping-interval", "0ms", "ws://h/"}, "option --ping-interval: '0ms' is not a positive duration"},
        {{"--hold=0s", "ws://h/"}, "option --hold: '0s' is not a positive duration"},
        {{"--hold=soon", "ws://h/"}, "option --hold: 'soon' is not a positive duration"},
        {{"--hold", "30s", "--duration", "10s", "ws://h/"},
         "option --hold: 30s is longer than the run (--duration 10s)"},
        {{"--hold", "30s", "ws://h/"}, "option --hold: 30s is longer than the run (--duration 10s)"},
        {{"--ramp", "20s", "--rate", "5", "ws://h/"},
         "option --ramp: the ramp (20s) is longer than the run (--duration 10s)"},
        {{"--ramp", "2s", "ws://h/"}, "option --ramp needs --rate"},
        {{"--threads", "0", "ws://h/"}, "option --threads: '0' is not a number of threads from 1 to 1024"},
        {{"--threads", "2000", "ws://h/"}, "option --threads: '2000' is not"},
        {{"--source", "127.0.0.60-127.0.0.2", "ws://h/"},
         "option --source: range '127.0.0.60-127.0.0.2' is reversed: 127.0.0.2 comes before 127.0.0.60"},
        {{"--source", "127.0.0.2-localhost", "ws://h/"},
         "option --source: '127.0.0.2-localhost' is not an IPv4 range"},
        {{"--source", "::1-::5", "ws://h/"}, "IPv6 sources are single addresses"},
        {{"--source", "localhost", "ws://h/"}, "option --source: 'localhost' is not an IPv4 or IPv6 address"},
        {{"--source", "127.0.0.1,,127.0.0.2", "ws://h/"}, "option --source: an empty entry in the list"},
        {{"--source", "127.0.0.1,", "ws://h/"}, "option --source: an empty entry"},
        {{"--source", "", "ws://h/"}, "option --source: no address given"},
        {{"--source", "0.0.0.0", "ws://h/"}, "'0.0.0.0' cannot be a local source address"},
        {{"--source", "::", "ws://h/"}, "'::' cannot be a local source address"},
        {{"--source", "224.0.0.1", "ws://h/"}, "'224.0.0.1' cannot be a local source address"},
        {{"--source", "126.255.255.250-127.0.0.5", "ws://h/"}, "crosses the loopback block 127.0.0.0/8"},
        {{"--source", "10.0.0.0-10.2.0.0", "ws://h/"}, "spans more than 65536 addresses"},
        {{"--slo", "latency_p99<1s", "ws://h/"},
         "option --slo: SLO 'latency_p99<1s': unknown metric 'latency'"},
        {{"--slo", "upgrade_p99", "ws://h/"}, "option --slo: SLO 'upgrade_p99' has no '<' bound"},
        {{"--slo-step", "2s", "ws://h/"}, "option --slo-step needs --slo"},
        {{"--quiet", "--progress", "ws://h/"}, "options --quiet and --progress contradict each other"},
        {{"--compare-transports", "ws://h/"}, "option --compare-transports is for wsprobe check, not load"},
        {{"ws://h/", "--h2-streams", "4"}, "option --h2-streams is for wsprobe check, not load"},
        {{"ws://h/", "-c", "2", "--app", "mqtt", "--client-id", "probe-1"},
         "option --client-id: every connection would use the same MQTT client identifier"},
        {{"--preset-messages", "ws://h/"}, "option --preset-messages needs --app NAME"},
        {{"--bogus", "ws://h/"}, "unknown option '--bogus' (see wsprobe load --help)"},
        {{"-c", "5"}, "missing URL"},
        {{"http://h/"}, "http"},
        {{"--http2", "sometimes", "ws://h/"}, "option --http2: 'sometimes' is not one of"},
        {{"ws://h/", "ws://other/"}, "unexpected argument 'ws://other/'"},
    };
    for (const auto& bc : cases) {
        auto c = parse(bc.args);
        std::string joined;
        for (auto a : bc.args) {
            joined += std::string(a) + " ";
        }
        ASSERT_FALSE(c) << "accepted: " << joined;
        EXPECT_NE(c.error().find(bc.says), std::string::npos)
            << joined << "\n  got: " << c.error() << "\n  want: " << bc.says;
    }
}

} // namespace
