// `wsprobe load` against wsprobe-lab on 127.0.0.1: the --json counts add up, strict validation
// catches a wrong Sec-WebSocket-Accept under load, drops during hold are counted by close code,
// --source spreads connections, pings are counted, --slo steps, and bad flags exit 3.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/integration/harness.h"
#include "tests/integration/tls_harness.h"

namespace {

using namespace wsp::test;

class load_lab : public lab_suite<load_lab> {};

// One `wsprobe load ... --json` run, parsed.
struct load_json {
    run_output run;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    bool parsed = false;

    [[nodiscard]] std::uint64_t total(const char* field) const
    {
        std::uint64_t v = 0;
        return doc["totals"][field].get(v) == simdjson::SUCCESS ? v : ~std::uint64_t{0};
    }
    [[nodiscard]] std::string context() const
    {
        return "exit " + std::to_string(run.exit_code) + "\n" + run.out + run.err;
    }
    // Failure counts keyed "phase/code".
    [[nodiscard]] std::map<std::string, std::uint64_t> failures() const
    {
        std::map<std::string, std::uint64_t> out;
        simdjson::dom::array arr;
        if (doc["failures"].get(arr) != simdjson::SUCCESS) {
            return out;
        }
        for (auto f : arr) {
            std::string_view phase;
            std::string_view code;
            std::uint64_t n = 0;
            if (f["phase"].get(phase) != simdjson::SUCCESS || f["code"].get(code) != simdjson::SUCCESS ||
                f["count"].get(n) != simdjson::SUCCESS) {
                out["<malformed>"] += 1;
                continue;
            }
            out[std::string(phase) + "/" + std::string(code)] += n;
        }
        return out;
    }
    [[nodiscard]] std::map<std::uint64_t, std::uint64_t> drops() const
    {
        std::map<std::uint64_t, std::uint64_t> out;
        simdjson::dom::array arr;
        if (doc["drops"].get(arr) != simdjson::SUCCESS) {
            return out;
        }
        for (auto d : arr) {
            std::uint64_t code = 0;
            std::uint64_t n = 0;
            if (d["close_code"].get(code) != simdjson::SUCCESS || d["count"].get(n) != simdjson::SUCCESS) {
                out[0] += 1;
                continue;
            }
            out[code] += n;
        }
        return out;
    }
};

std::unique_ptr<load_json> load(std::vector<std::string> args)
{
    args.insert(args.begin(), "load");
    args.push_back("--json");
    auto r = std::make_unique<load_json>();
    r->run = run_wsprobe(args, 20s);
    r->parsed = r->parser.parse(r->run.out).get(r->doc) == simdjson::SUCCESS;
    return r;
}

// attempted = succeeded + failed; failures by phase/code sum to failed; drops by code sum to
// dropped; every succeeded connection was either closed by us or dropped.
void expect_counts_add_up(const load_json& r)
{
    ASSERT_TRUE(r.parsed) << r.context();
    const std::uint64_t attempted = r.total("attempted");
    EXPECT_EQ(attempted, r.total("succeeded") + r.total("failed")) << r.context();
    EXPECT_EQ(r.total("in_progress"), 0U) << r.context();
    std::uint64_t failed = 0;
    for (const auto& [key, n] : r.failures()) {
        failed += n;
    }
    EXPECT_EQ(failed, r.total("failed")) << r.context();
    std::uint64_t dropped = 0;
    for (const auto& [code, n] : r.drops()) {
        dropped += n;
    }
    EXPECT_EQ(dropped, r.total("dropped")) << r.context();
    EXPECT_EQ(r.total("succeeded"), r.total("closed") + r.total("unclean_closes") + r.total("dropped") +
                                        r.total("cut_by_interrupt"))
        << r.context();
}

TEST_F(load_lab, counts_add_up_in_a_mixed_run)
{
    // Sources are taken round robin; 198.51.100.1 and 203.0.113.1 (TEST-NET-2 and -3) are not
    // this host's addresses, so exactly the connections placed on them fail, at the tcp phase.
    auto r = load({url("/echo"), "-c", "40", "--duration", "1s", "--source",
                   "127.0.0.2,127.0.0.3,198.51.100.1,203.0.113.1"});
    expect_counts_add_up(*r);
    EXPECT_EQ(r->total("attempted"), 40U) << r->context();
    EXPECT_EQ(r->total("succeeded"), 20U) << r->context();
    EXPECT_EQ(r->total("failed"), 20U) << r->context();
    for (const auto& [key, n] : r->failures()) {
        EXPECT_TRUE(key.starts_with("tcp/")) << key;
    }
    EXPECT_EQ(r->run.exit_code, 1) << r->context();
}

TEST_F(load_lab, wrong_accept_under_load_fails_every_connection_at_the_upgrade)
{
    auto r = load({url("/bad-accept"), "-c", "200", "--rate", "400", "--duration", "2s"});
    expect_counts_add_up(*r);
    EXPECT_EQ(r->total("attempted"), 200U) << r->context();
    EXPECT_EQ(r->total("succeeded"), 0U) << r->context();
    const auto f = r->failures();
    ASSERT_EQ(f.size(), 1U) << r->context();
    EXPECT_EQ(f.begin()->first, "upgrade/accept_mismatch");
    EXPECT_EQ(f.begin()->second, 200U);
    EXPECT_EQ(r->run.exit_code, 2) << r->context();
}

TEST_F(load_lab, drops_during_hold_are_counted_with_the_close_code)
{
    auto r = load({url("/close-after-upgrade?code=4401"), "-c", "50", "--duration", "1s"});
    expect_counts_add_up(*r);
    EXPECT_EQ(r->total("succeeded"), 50U) << r->context();
    EXPECT_EQ(r->total("dropped"), 50U) << r->context();
    EXPECT_EQ(r->drops()[4401], 50U) << r->context();
    EXPECT_EQ(r->run.exit_code, 1) << r->context();
}

TEST_F(load_lab, idle_cuts_are_reported_as_1006_with_their_idle_time)
{
    auto r = load({url("/idle-kill?ms=400"), "-c", "30", "--duration", "1500ms", "--hold"});
    expect_counts_add_up(*r);
    EXPECT_EQ(r->drops()[1006], 30U) << r->context();
    std::uint64_t held = 0;
    std::uint64_t cut = 0;
    double first = 0;
    ASSERT_EQ(r->doc["idle"]["held"].get(held), simdjson::SUCCESS) << r->context();
    ASSERT_EQ(r->doc["idle"]["cut"].get(cut), simdjson::SUCCESS);
    ASSERT_EQ(r->doc["idle"]["first_cut_after_s"].get(first), simdjson::SUCCESS);
    EXPECT_EQ(held, 30U);
    EXPECT_EQ(cut, 30U);
    EXPECT_GE(first, 0.35);
    EXPECT_LT(first, 1.4);
}

// --hold without a value holds to the end of the run: hold_s 0 in the JSON (docs/json-load.md),
// "held to the end" in the text summary, never the run's duration as a fixed hold.
TEST_F(load_lab, hold_without_a_value_is_reported_as_held_to_the_end)
{
    auto j = load({url("/echo"), "-c", "5", "--duration", "700ms", "--hold"});
    ASSERT_TRUE(j->parsed) << j->context();
    double hold = -1;
    ASSERT_EQ(j->doc["config"]["hold_s"].get(hold), simdjson::SUCCESS) << j->context();
    EXPECT_EQ(hold, 0.0) << j->context();
    EXPECT_EQ(j->run.exit_code, 0) << j->context();

    const auto t = run_wsprobe({"load", url("/echo"), "-c", "5", "--duration", "700ms", "--hold"}, 20s);
    EXPECT_NE(t.out.find(", held to the end, "), std::string::npos) << t.out << t.err;
    EXPECT_EQ(t.out.find(", hold "), std::string::npos) << t.out;
    EXPECT_EQ(t.exit_code, 0) << t.out << t.err;
}

TEST_F(load_lab, sources_spread_over_loopback_addresses)
{
    auto r = load(
        {url("/echo"), "-c", "40", "--rate", "200", "--duration", "1s", "--source", "127.0.0.2-127.0.0.5"});
    expect_counts_add_up(*r);
    EXPECT_EQ(r->total("succeeded"), 40U) << r->context();
    std::string_view source;
    ASSERT_EQ(r->doc["config"]["source"].get(source), simdjson::SUCCESS);
    EXPECT_EQ(source, "127.0.0.2-127.0.0.5");
    EXPECT_EQ(r->run.exit_code, 0) << r->context();
}

TEST_F(load_lab, more_closes_than_one_reactor_runs_at_once_all_finish_cleanly)
{
    // 1,100 held on one reactor: past the 1,024 close handshakes it runs at once, so the rest
    // wait their turn at the end and still close cleanly.
    auto r = load({url("/echo"), "-c", "1100", "--rate", "0", "--threads", "1", "--duration", "1500ms",
                   "--hold", "--source", "127.0.0.2-127.0.0.3"});
    expect_counts_add_up(*r);
    EXPECT_EQ(r->total("succeeded"), 1100U) << r->context();
    EXPECT_EQ(r->total("closed"), 1100U) << r->context();
    EXPECT_EQ(r->total("unclean_closes"), 0U) << r->context();
    EXPECT_EQ(r->run.exit_code, 0) << r->context();
}

TEST_F(load_lab, closes_run_at_most_1024_at_a_time_per_reactor)
{
    // 1,100 held on one reactor against a server that never answers a close: the first 1,024
    // closes wait out their 300 ms, then the other 76 theirs, so the run ends at least 600 ms
    // after its duration (all at once it would be 300 ms).
    auto r = load({url("/blackhole"), "-c", "1100", "--rate", "0", "--threads", "1", "--duration", "2s",
                   "--hold", "--close-timeout", "300ms", "--source", "127.0.0.2-127.0.0.3"});
    expect_counts_add_up(*r);
    EXPECT_EQ(r->total("succeeded"), 1100U) << r->context();
    EXPECT_EQ(r->total("unclean_closes"), 1100U) << r->context();
    double elapsed = 0;
    ASSERT_EQ(r->doc["elapsed_s"].get(elapsed), simdjson::SUCCESS) << r->context();
    EXPECT_GE(elapsed, 2.6) << r->context();
}

TEST_F(load_lab, a_server_that_never_answers_the_close_is_counted_unclean)
{
    // /blackhole reads and drops every frame, our close frame included: each close runs into
    // --close-timeout (shortened here), and the run says so and exits 1.
    auto r =
        load({url("/blackhole"), "-c", "20", "--duration", "500ms", "--hold", "--close-timeout", "300ms"});
    expect_counts_add_up(*r);
    EXPECT_EQ(r->total("succeeded"), 20U) << r->context();
    EXPECT_EQ(r->total("closed"), 0U) << r->context();
    EXPECT_EQ(r->total("unclean_closes"), 20U) << r->context();
    EXPECT_EQ(r->total("dropped"), 0U) << r->context();
    EXPECT_EQ(r->run.exit_code, 1) << r->context();
    const auto text = run_wsprobe(
        {"load", url("/blackhole"), "-c", "3", "--duration", "300ms", "--hold", "--close-timeout", "300ms"},
        20s);
    EXPECT_EQ(text.exit_code, 1) << text.out << text.err;
    EXPECT_NE(text.out.find("unclean closes 3"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("did not finish the close handshake"), std::string::npos) << text.out;
}

// Waits (bounded) until a running `wsprobe load --progress` has printed a progress line (stderr,
// once a second) containing `what`: the run has begun, so SIGINT reaches its handler.
bool wait_for_progress(child_process& p, const std::string& what)
{
    for (int i = 0; i < 300 && p.err().find(what) == std::string::npos; ++i) {
        (void)p.read_line(100ms); // stdout stays empty until the end; this collects stderr meanwhile
    }
    return p.err().find(what) != std::string::npos;
}

TEST_F(load_lab, an_interrupt_leaves_handshakes_in_progress_not_failed)
{
    // Twenty handshakes the lab holds for 10 s, then SIGINT: the server failed none of them, so
    // none is a failure (it used to read "reset during the upgrade (operation cancelled)").
    child_process p({WSPROBE_BIN, "load", url("/slow-upgrade?ms=10000"), "-c", "20", "--rate", "0",
                     "--duration", "30s", "--json", "--progress"});
    ASSERT_TRUE(wait_for_progress(p, "open 0 ")) << p.err();
    p.signal(SIGINT);
    const auto code = p.wait(20s);
    ASSERT_TRUE(code) << p.err();
    EXPECT_EQ(*code, 2) << "nothing succeeded: " << p.out() << p.err();
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(p.out()).get(doc), simdjson::SUCCESS) << p.out() << p.err();
    EXPECT_TRUE(bool(doc["interrupted"])) << p.out();
    const auto totals = doc["totals"];
    EXPECT_GT(uint64_t(totals["attempted"]), 0U) << p.out();
    EXPECT_EQ(uint64_t(totals["failed"]), 0U) << p.out();
    EXPECT_EQ(uint64_t(totals["succeeded"]), 0U) << p.out();
    EXPECT_EQ(uint64_t(totals["in_progress"]), uint64_t(totals["attempted"])) << p.out();
    EXPECT_EQ(doc["failures"].get_array().size(), 0U) << p.out();
}

TEST_F(load_lab, an_interrupt_during_the_hold_is_not_blamed_on_the_server)
{
    child_process p({WSPROBE_BIN, "load", url("/echo"), "-c", "20", "--rate", "0", "--duration", "30s",
                     "--hold", "--json", "--progress"});
    ASSERT_TRUE(wait_for_progress(p, "open 20 ")) << p.err();
    p.signal(SIGINT);
    const auto code = p.wait(20s);
    ASSERT_TRUE(code) << p.err();
    EXPECT_EQ(*code, 1) << "interrupted: " << p.out() << p.err();
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(p.out()).get(doc), simdjson::SUCCESS) << p.out() << p.err();
    const auto totals = doc["totals"];
    EXPECT_EQ(uint64_t(totals["succeeded"]), 20U) << p.out();
    EXPECT_EQ(uint64_t(totals["unclean_closes"]), 0U) << p.out();
    EXPECT_EQ(uint64_t(totals["dropped"]), 0U) << p.out();
    EXPECT_EQ(uint64_t(totals["closed"]) + uint64_t(totals["cut_by_interrupt"]), 20U) << p.out();
}

TEST_F(load_lab, pings_during_hold_are_counted_and_timed)
{
    auto r = load({url("/echo"), "-c", "20", "--duration", "1500ms", "--ping-interval", "200ms"});
    expect_counts_add_up(*r);
    EXPECT_EQ(r->total("closed"), 20U) << r->context();
    EXPECT_GE(r->total("pings_sent"), 20U * 5) << r->context();
    // A ping sent less than a round trip before the end is answered during the close handshake,
    // where its pong is not counted; every other ping's pong is.
    EXPECT_LE(r->total("pongs_received"), r->total("pings_sent")) << r->context();
    EXPECT_GE(r->total("pongs_received"), 20U * 4) << r->context();
    std::uint64_t rtt = 0;
    ASSERT_EQ(r->doc["latency_ms"]["rtt"]["count"].get(rtt), simdjson::SUCCESS);
    EXPECT_EQ(rtt, r->total("pongs_received"));
    EXPECT_EQ(r->run.exit_code, 0) << r->context();
}

TEST_F(load_lab, slo_search_reports_the_steps_and_the_highest_rate_held)
{
    auto held =
        load({url("/echo"), "-c", "120", "--rate", "100", "--slo", "upgrade_p99<5s", "--slo-step", "300ms"});
    ASSERT_TRUE(held->parsed) << held->context();
    simdjson::dom::array steps;
    ASSERT_EQ(held->doc["slo"]["steps"].get(steps), simdjson::SUCCESS) << held->context();
    EXPECT_GE(steps.size(), 3U); // 100/s, 150/s, 225/s, 337.5/s need 30, 45, 68, 102 connections
    double highest = 0;
    ASSERT_EQ(held->doc["slo"]["highest_rate_held"].get(highest), simdjson::SUCCESS) << held->context();
    EXPECT_GE(highest, 225.0);
    EXPECT_EQ(held->run.exit_code, 0) << held->context();

    auto broken =
        load({url("/echo"), "-c", "50", "--rate", "100", "--slo", "upgrade_p99<1us", "--slo-step", "300ms"});
    ASSERT_TRUE(broken->parsed) << broken->context();
    EXPECT_TRUE(broken->doc["slo"]["highest_rate_held"].is_null()) << broken->context();
    EXPECT_EQ(broken->run.exit_code, 1) << broken->context();
}

TEST_F(load_lab, report_file_holds_the_charts)
{
    const auto path = std::filesystem::temp_directory_path() /
                      ("wsprobe-load-report-" + std::to_string(::getpid()) + ".html");
    auto r = load({url("/echo"), "-c", "10", "--duration", "1s", "--report", path.string()});
    ASSERT_TRUE(r->parsed) << r->context();
    std::ifstream f(path);
    std::stringstream html;
    html << f.rdbuf();
    std::filesystem::remove(path);
    EXPECT_NE(html.str().find("id=\"chart-connections\""), std::string::npos);
    EXPECT_NE(html.str().find("id=\"chart-latency\""), std::string::npos);
}

TEST_F(load_lab, http2_prior_knowledge_connections_are_held_and_pinged)
{
    // RFC 8441 over h2c: each WebSocket is a stream; pings and pongs ride its DATA frames.
    auto r = load({url("/echo"), "--http2", "prior-knowledge", "-c", "10", "--duration", "1s",
                   "--ping-interval", "200ms"});
    expect_counts_add_up(*r);
    EXPECT_EQ(r->total("succeeded"), 10U) << r->context();
    EXPECT_EQ(r->total("closed"), 10U) << r->context();
    EXPECT_GE(r->total("pongs_received"), 10U * 3) << r->context();
    std::string_view http2;
    ASSERT_EQ(r->doc["config"]["http2"].get(http2), simdjson::SUCCESS);
    EXPECT_EQ(http2, "prior-knowledge");
}

TEST(load_tls, wss_connections_are_validated_held_and_timed)
{
    tls_lab lab;
    auto r = load({lab.url("valid", "/echo"), "--ca", lab.file("ca.pem"), "-c", "10", "--duration", "1s",
                   "--message-rate", "4"});
    expect_counts_add_up(*r);
    EXPECT_EQ(r->total("succeeded"), 10U) << r->context();
    EXPECT_GE(r->total("messages_received"), 10U * 2) << r->context();
    std::uint64_t tls = 0;
    ASSERT_EQ(r->doc["latency_ms"]["tls"]["count"].get(tls), simdjson::SUCCESS);
    EXPECT_EQ(tls, 10U);

    // Without the lab's CA the chain does not verify: every connection fails at the tls phase.
    auto refused = load({lab.url("valid", "/echo"), "-c", "10", "--duration", "1s"});
    expect_counts_add_up(*refused);
    EXPECT_EQ(refused->total("succeeded"), 0U) << refused->context();
    for (const auto& [key, n] : refused->failures()) {
        EXPECT_TRUE(key.starts_with("tls/")) << key;
    }
    EXPECT_EQ(refused->run.exit_code, 2) << refused->context();
}

TEST_F(load_lab, bad_flags_exit_3)
{
    const std::vector<std::vector<std::string>> cases = {
        {"load", url("/echo"), "-c", "0"},
        {"load", url("/echo"), "--rate", "fast"},
        {"load", url("/echo"), "--duration", "-1s"},
        {"load", url("/echo"), "--source", "127.0.0.9-127.0.0.2"},
        {"load", url("/echo"), "--slo", "upgrade<250ms"},
        {"load", url("/echo"), "--no-such-flag"},
        {"load", url("/echo"), "-c"},
        {"load"},
    };
    for (const auto& args : cases) {
        auto r = run_wsprobe(args, 10s);
        EXPECT_EQ(r.exit_code, 3) << args.back() << ": " << r.out << r.err;
        EXPECT_FALSE(r.err.empty()) << args.back();
        EXPECT_TRUE(r.out.empty()) << args.back() << ": " << r.out;
    }
}

} // namespace
