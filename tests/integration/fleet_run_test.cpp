// `wsprobe run` against wsprobe-lab on 127.0.0.1: a fleet of checks with --once (results and
// state changes), SIGHUP with a good and a bad config, secrets absent from every output, the SSRF
// guard, three shards covering a config exactly once, and /metrics and /probe over a plain socket.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "tests/integration/fleet_support.h"
#include "tests/integration/harness.h"

namespace {

using namespace wsp::test;

class fleet_run : public lab_suite<fleet_run> {};

// A master key for the tests (base64 of 32 bytes) and a value sealed under it elsewhere would be
// fixed text; sealing through the CLI instead proves encrypt and run agree.
constexpr const char* test_key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

// Degraded thresholds far above anything a sanitizer build on a busy machine takes: these tests
// count runs and state changes, and a slow run turning a check degraded would change them.
std::string check_json(const std::string& id, const std::string& u, const std::string& extra = {})
{
    return R"({"id": ")" + id + R"(", "url": ")" + u +
           R"(", "interval": "1s", "thresholds": {"handshake_degraded": "60s", "rtt_degraded": "60s"})" +
           extra + "}";
}

std::string config(const std::vector<std::string>& checks, const std::string& modules = "{}")
{
    std::string out = R"({"modules": )" + modules + R"(, "checks": [)";
    for (std::size_t i = 0; i < checks.size(); ++i) {
        out += (i == 0 ? "" : ",\n") + checks[i];
    }
    return out + "]}\n";
}

std::map<std::string, fleet_event> results_by_check(const std::vector<fleet_event>& events)
{
    std::map<std::string, fleet_event> out;
    for (const auto& e : events) {
        if (e.event == "result") {
            out[e.check] = e;
        }
    }
    return out;
}

// Waits (bounded) until `pred(file text)` holds.
template <class Pred>
bool wait_for_file(const std::filesystem::path& p, Pred pred, std::chrono::milliseconds limit = 15s)
{
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (pred(read_file(p))) {
            return true;
        }
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

TEST_F(fleet_run, once_runs_fifty_checks_and_reports_every_result_and_first_state)
{
    const auto dir = scratch_dir("once50");
    std::vector<std::string> checks;
    std::map<std::string, std::pair<std::string, std::string>> expect; // id -> status, code
    const std::vector<std::tuple<std::string, std::string, std::string, std::string>> kinds{
        {"/echo", R"(, "rtt": "echo")", "up", "ok"},
        {"/status/500", "", "down", "server_error"},
        {"/close-after-upgrade", R"(, "rtt": "echo")", "down", ""},
        {"/no-upgrade", "", "down", ""},
        {"/echo", "", "up", "ok"},
    };
    for (int i = 0; i < 50; ++i) {
        const auto& [path, extra, status, code] = kinds[static_cast<std::size_t>(i) % kinds.size()];
        const std::string id = "c" + std::to_string(i);
        checks.push_back(check_json(id, url(path), extra));
        expect[id] = {status, code};
    }
    write_file(dir / "fleet.json", config(checks));
    auto r = run_wsprobe({"run", (dir / "fleet.json").string(), "--once", "--threads", "2"}, 60s);
    EXPECT_EQ(r.exit_code, 2) << r.err; // some are down
    const auto events = parse_events(r.out);
    const auto results = results_by_check(events);
    ASSERT_EQ(results.size(), 50u) << r.out.substr(0, 2000) << r.err;
    for (const auto& [id, want] : expect) {
        const auto& got = results.at(id);
        EXPECT_EQ(got.status, want.first) << id << ": " << got.message;
        if (!want.second.empty()) {
            EXPECT_EQ(got.code, want.second) << id;
        } else {
            EXPECT_NE(got.code, "ok") << id;
        }
    }
    std::size_t changes = 0;
    for (const auto& e : events) {
        if (e.event == "state_change") {
            ++changes;
            EXPECT_EQ(e.from, "null") << e.check; // the first result of each check
            EXPECT_EQ(e.status, expect.at(e.check).first) << e.check;
        }
    }
    EXPECT_EQ(changes, 50u);
}

TEST_F(fleet_run, refuses_an_invalid_config_whole_naming_file_check_and_field)
{
    const auto dir = scratch_dir("invalid");
    write_file(dir / "bad.json", config({check_json("ok", url("/echo")),
                                         check_json("broken", url("/echo"), R"(, "interval": "5x")")}));
    auto r = run_wsprobe({"run", (dir / "bad.json").string(), "--once"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_NE(r.err.find("bad.json"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("\"broken\""), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("interval"), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find("\"event\":\"result\""), std::string::npos) << "nothing ran";
}

TEST_F(fleet_run, sighup_applies_a_good_config_and_refuses_a_bad_one)
{
    const auto dir = scratch_dir("sighup");
    const auto cfg = dir / "fleet.json";
    const auto out = dir / "out.jsonl";
    write_file(cfg, config({check_json("first", url("/echo"))}));
    child_process p({WSPROBE_BIN, "run", cfg.string(), "--threads", "2", "--output", out.string(), "--listen",
                     "127.0.0.1:0"});
    const auto line = p.read_line(10s);
    ASSERT_TRUE(line) << p.err();
    const std::uint16_t port = listening_port(*line);
    ASSERT_NE(port, 0);
    ASSERT_TRUE(wait_for_file(
        out, [](const std::string& t) { return t.find("\"check\":\"first\"") != std::string::npos; }));

    write_file(cfg, "{\"checks\": [ {\"id\": \"second\", \"url\": 42} ]}");
    p.signal(SIGHUP);
    std::string metrics;
    for (int i = 0;
         i < 100 && metrics.find("wsprobe_config_reloads_total{result=\"failure\"} 1") == std::string::npos;
         ++i) {
        std::this_thread::sleep_for(50ms);
        metrics = http_get(port, "/metrics");
    }
    EXPECT_NE(metrics.find("wsprobe_config_reloads_total{result=\"failure\"} 1"), std::string::npos)
        << metrics;
    EXPECT_NE(metrics.find("check=\"first\""), std::string::npos) << "the old configuration keeps running";

    write_file(cfg, config({check_json("first", url("/echo")), check_json("second", url("/status/500"))}));
    p.signal(SIGHUP);
    ASSERT_TRUE(wait_for_file(out, [](const std::string& t) {
        return t.find("\"check\":\"second\"") != std::string::npos;
    })) << p.err();
    metrics = http_get(port, "/metrics");
    EXPECT_NE(metrics.find("wsprobe_config_reloads_total{result=\"success\"} 1"), std::string::npos)
        << metrics;
    p.signal(SIGTERM);
    const auto code = p.wait(20s);
    EXPECT_EQ(code, 0);
    EXPECT_NE(p.err().find("reload refused"), std::string::npos) << p.err();
    EXPECT_NE(p.err().find("1 unchanged, 0 changed, 1 added, 0 removed"), std::string::npos) << p.err();
    // The unchanged check kept its state: exactly one state change (its first result) for it.
    std::size_t first_changes = 0;
    for (const auto& e : parse_events(read_file(out))) {
        first_changes += e.event == "state_change" && e.check == "first" ? 1 : 0;
    }
    EXPECT_EQ(first_changes, 1u);
}

TEST_F(fleet_run, secrets_never_appear_in_output_errors_or_metrics)
{
    const auto dir = scratch_dir("secrets");
    const std::string env_secret = "env-secret-9f8e7d6c";
    const std::string sealed_secret = "sealed-secret-1a2b3c4d";
    child_process seal({WSPROBE_BIN, "secret", "encrypt", sealed_secret},
                       {std::string("WSPROBE_MASTER_KEY=") + test_key});
    ASSERT_EQ(seal.wait(10s), 0) << seal.err();
    std::string sealed = seal.out();
    while (!sealed.empty() && sealed.back() == '\n') {
        sealed.pop_back();
    }
    ASSERT_EQ(sealed.rfind("enc:v1:", 0), 0u) << sealed;
    EXPECT_EQ(sealed.find(sealed_secret), std::string::npos);
    const std::string headers =
        R"(, "headers": {"Authorization": {"env": "FLEET_TEST_TOKEN"}, "X-Api-Key": ")" + sealed + R"("})";
    write_file(dir / "fleet.json", config({check_json("up", url("/echo"), headers),
                                           check_json("down", url("/status/401"), headers),
                                           check_json("reset", url("/reset"), headers)}));
    child_process p({WSPROBE_BIN, "run", (dir / "fleet.json").string(), "--threads", "1", "--listen",
                     "127.0.0.1:0", "--output", (dir / "out.jsonl").string()},
                    {"FLEET_TEST_TOKEN=" + env_secret, std::string("WSPROBE_MASTER_KEY=") + test_key});
    const auto line = p.read_line(10s);
    ASSERT_TRUE(line) << p.err();
    const auto port = listening_port(*line);
    ASSERT_TRUE(wait_for_file(dir / "out.jsonl", [](const std::string& t) {
        return t.find("\"check\":\"up\"") != std::string::npos &&
               t.find("\"check\":\"down\"") != std::string::npos &&
               t.find("\"check\":\"reset\"") != std::string::npos;
    }));
    const std::string metrics = http_get(port, "/metrics");
    const std::string probe = http_get(port, "/probe?target=" + url("/echo"));
    p.signal(SIGTERM);
    EXPECT_EQ(p.wait(20s), 0);
    const std::string output = read_file(dir / "out.jsonl");
    ASSERT_FALSE(metrics.empty());
    for (const std::string& secret : {env_secret, sealed_secret}) {
        EXPECT_EQ(output.find(secret), std::string::npos) << "in the JSON lines";
        EXPECT_EQ(p.out().find(secret), std::string::npos) << "on stdout";
        EXPECT_EQ(p.err().find(secret), std::string::npos) << "on stderr";
        EXPECT_EQ(metrics.find(secret), std::string::npos) << "in /metrics";
        EXPECT_EQ(probe.find(secret), std::string::npos) << "in /probe";
    }
    // A refused configuration that holds a secret names the field, not the value.
    write_file(dir / "bad.json",
               config({check_json("x", url("/echo"), R"(, "headers": {"X-Key": ")" + sealed + R"(x"})")}));
    child_process bad({WSPROBE_BIN, "run", (dir / "bad.json").string(), "--once"},
                      {std::string("WSPROBE_MASTER_KEY=") + test_key});
    EXPECT_EQ(bad.wait(10s), 3);
    EXPECT_NE(bad.err().find("X-Key"), std::string::npos) << bad.err();
    EXPECT_EQ(bad.err().find(sealed_secret), std::string::npos);
    EXPECT_EQ(bad.err().find(sealed), std::string::npos);
}

TEST_F(fleet_run, ssrf_guard_blocks_metadata_and_with_deny_private_loopback_unless_allowed)
{
    const auto dir = scratch_dir("ssrf");
    write_file(dir / "fleet.json",
               config({check_json("metadata", "ws://169.254.169.254/latest"),
                       check_json("linklocal", "ws://169.254.10.1/"), check_json("lab", url("/echo"))}));
    const std::string file = (dir / "fleet.json").string();

    auto def = run_wsprobe({"run", file, "--once", "--threads", "1"});
    auto by = results_by_check(parse_events(def.out));
    ASSERT_EQ(by.size(), 3u) << def.out << def.err;
    for (const char* id : {"metadata", "linklocal"}) {
        EXPECT_EQ(by[id].status, "down") << id;
        EXPECT_EQ(by[id].code, "address_blocked") << id;
        EXPECT_NE(by[id].message.find("169.254."), std::string::npos) << by[id].message;
    }
    EXPECT_NE(by["metadata"].message.find("metadata"), std::string::npos) << by["metadata"].message;
    EXPECT_EQ(by["lab"].status, "up") << "loopback is allowed by default: " << by["lab"].message;

    auto deny = run_wsprobe({"run", file, "--once", "--threads", "1", "--deny-private"});
    by = results_by_check(parse_events(deny.out));
    EXPECT_EQ(by["lab"].status, "down");
    EXPECT_EQ(by["lab"].code, "address_blocked") << by["lab"].message;
    EXPECT_NE(by["lab"].message.find("127.0.0.1"), std::string::npos) << by["lab"].message;

    auto allow =
        run_wsprobe({"run", file, "--once", "--threads", "1", "--deny-private", "--allow", "127.0.0.0/8"});
    by = results_by_check(parse_events(allow.out));
    EXPECT_EQ(by["lab"].status, "up") << by["lab"].message;
    EXPECT_EQ(by["metadata"].code, "address_blocked") << "the exception covers only 127.0.0.0/8";
}

TEST_F(fleet_run, three_shards_cover_a_config_exactly_once)
{
    const auto dir = scratch_dir("shards");
    std::vector<std::string> checks;
    for (int i = 0; i < 60; ++i) {
        checks.push_back(check_json("shard-check-" + std::to_string(i), url("/echo")));
    }
    write_file(dir / "fleet.json", config(checks));
    std::map<std::string, int> seen;
    for (int k = 0; k < 3; ++k) {
        auto r = run_wsprobe({"run", (dir / "fleet.json").string(), "--once", "--threads", "1", "--shard",
                              std::to_string(k) + "/3"},
                             60s);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        const auto mine = results_by_check(parse_events(r.out));
        EXPECT_GT(mine.size(), 5u) << "shard " << k << " got almost nothing";
        for (const auto& [id, e] : mine) {
            ++seen[id];
            EXPECT_EQ(e.status, "up") << id;
        }
    }
    EXPECT_EQ(seen.size(), 60u);
    for (const auto& [id, n] : seen) {
        EXPECT_EQ(n, 1) << id;
    }
}

TEST_F(fleet_run, serves_metrics_probe_and_health_over_http_and_answers_garbage_with_400)
{
    const auto dir = scratch_dir("http");
    write_file(dir / "fleet.json",
               config({check_json("web", url("/echo"), R"(, "labels": {"team": "edge"})")},
                      R"({"echo": {"rtt": "echo", "timeouts": {"overall": "10s"}}})"));
    child_process p({WSPROBE_BIN, "run", (dir / "fleet.json").string(), "--threads", "2", "--listen",
                     "127.0.0.1:0", "--output", (dir / "out.jsonl").string()});
    const auto line = p.read_line(10s);
    ASSERT_TRUE(line) << p.err();
    const auto port = listening_port(*line);
    ASSERT_TRUE(wait_for_file(dir / "out.jsonl", [](const std::string& t) { return !t.empty(); }));

    const std::string metrics = http_get(port, "/metrics");
    EXPECT_EQ(metrics.rfind("HTTP/1.1 200", 0), 0u) << metrics;
    EXPECT_NE(metrics.find("text/plain; version=0.0.4"), std::string::npos);
    EXPECT_NE(metrics.find("wsprobe_check_up{check=\"web\",team=\"edge\"} 1"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("wsprobe_scheduler_lateness_seconds_count"), std::string::npos);

    const std::string probe = http_get(port, "/probe?target=" + url("/echo") + "&module=echo",
                                       "X-Prometheus-Scrape-Timeout-Seconds: 4\r\n");
    EXPECT_EQ(probe.rfind("HTTP/1.1 200", 0), 0u) << probe;
    EXPECT_NE(probe.find("\nprobe_success 1\n"), std::string::npos) << probe;
    EXPECT_NE(probe.find("\nprobe_timeout_seconds 3.5\n"), std::string::npos) << "scrape timeout minus 0.5 s";
    const std::string failed = http_get(port, "/probe?target=" + url("/status/500"));
    EXPECT_NE(failed.find("\nprobe_success 0\n"), std::string::npos) << failed;

    EXPECT_EQ(http_get(port, "/probe?module=echo").rfind("HTTP/1.1 400", 0), 0u);
    EXPECT_EQ(http_get(port, "/probe?target=" + url("/echo") + "&module=nope").rfind("HTTP/1.1 400", 0), 0u);
    EXPECT_EQ(http_get(port, "/-/healthy").rfind("HTTP/1.1 200", 0), 0u);
    EXPECT_EQ(http_get(port, "/-/ready").rfind("HTTP/1.1 200", 0), 0u);
    EXPECT_EQ(http_get(port, "/nowhere").rfind("HTTP/1.1 404", 0), 0u);
    for (const std::string& garbage :
         {std::string("GARBAGE\r\n\r\n"), std::string("GET / HTTP/9.9\r\n\r\n"),
          std::string("GET /metrics HTTP/1.1\r\nBad Header\r\n\r\n"), std::string("\x01\x02\x03\r\n\r\n", 7),
          std::string(20000, 'A') + "\r\n\r\n"}) {
        EXPECT_EQ(http_raw(port, garbage).rfind("HTTP/1.1 400", 0), 0u) << garbage.substr(0, 40);
    }
    // Still serving after all that.
    EXPECT_EQ(http_get(port, "/-/healthy").rfind("HTTP/1.1 200", 0), 0u);
    p.signal(SIGTERM);
    EXPECT_EQ(p.wait(20s), 0);
}

TEST_F(fleet_run, serve_answers_probe_with_config_modules)
{
    const auto dir = scratch_dir("serve");
    write_file(dir / "modules.json", R"({"modules": {"ws_echo": {"rtt": "echo"}}})");
    child_process p({WSPROBE_BIN, "serve", "--config", (dir / "modules.json").string(), "--listen",
                     "127.0.0.1:0", "--threads", "1"});
    const auto line = p.read_line(10s);
    ASSERT_TRUE(line) << p.err();
    const auto port = listening_port(*line);
    const std::string probe = http_get(port, "/probe?target=" + url("/echo") + "&module=ws_echo");
    EXPECT_NE(probe.find("\nprobe_success 1\n"), std::string::npos) << probe;
    EXPECT_NE(probe.find("probe_websocket_rtt_seconds"), std::string::npos) << probe;
    const std::string blocked = http_get(port, "/probe?target=ws://169.254.169.254/&module=ws_echo");
    EXPECT_NE(blocked.find("\nprobe_success 0\n"), std::string::npos) << blocked;
    p.signal(SIGTERM);
    EXPECT_EQ(p.wait(20s), 0);
}

} // namespace
