// engine/fleet/runner and probe_modules: checks placed on reactors run once with --once, results
// and first state changes reach the writer, SSRF refusals are counted; re-installing an unchanged
// set keeps each check's state; /probe modules come from the `modules` object.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "engine/fleet/probe_modules.h"
#include "engine/fleet/runner.h"
#include "engine/runtime/socket.h"
#include "tests/engine/fleet/config_support.h"
#include "tests/integration/fleet_support.h"

namespace {

using namespace std::chrono_literals;
using wsp::fleet::check_ptr;
using wsp::fleet::prepared_check;

// Runner options with small rings, for tests.
wsp::fleet::runner_options small_options(unsigned threads)
{
    wsp::fleet::runner_options o;
    o.threads = threads;
    o.reactor.sq_entries = 64;
    o.reactor.buffer_count = 64;
    o.reactor.fd_table_size = 256;
    o.shutdown_grace = 1s;
    return o;
}

// Checks that the SSRF guard refuses on the literal address: they finish without any network.
std::vector<check_ptr> blocked_checks(int n, const std::string& interval = "1s")
{
    std::string json = R"({"checks": [)";
    for (int i = 0; i < n; ++i) {
        json += (i == 0 ? "" : ",") + std::string(R"({"id": "meta-)") + std::to_string(i) +
                R"(", "url": "ws://169.254.169.254/", "interval": ")" + interval + R"("})";
    }
    json += "]}";
    auto cfg = wsp::fleet::test::parse(json);
    EXPECT_TRUE(cfg);
    std::vector<check_ptr> out;
    if (cfg) {
        for (auto& c : cfg->checks) {
            auto p = std::make_shared<prepared_check>();
            p->check = std::move(c);
            out.push_back(std::move(p));
        }
    }
    return out;
}

std::size_t count(const std::string& text, const std::string& needle)
{
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
        ++n;
    }
    return n;
}

class fleet_runner_test : public ::testing::Test {
protected:
    void SetUp() override
    {
        char name[] = "/tmp/wsp_fleet_runner_XXXXXX";
        fd_ = ::mkstemp(name);
        ASSERT_GE(fd_, 0);
        path_ = name;
    }
    void TearDown() override
    {
        ::close(fd_);
        ::unlink(path_.c_str());
    }
    std::string output() const
    {
        std::string out;
        const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
        char buf[65536];
        for (ssize_t n = 0; (n = ::read(fd, buf, sizeof buf)) > 0;) {
            out.append(buf, static_cast<std::size_t>(n));
        }
        ::close(fd);
        return out;
    }
    std::unique_ptr<wsp::fleet::fleet_runner> start(wsp::fleet::line_writer& w, bool once)
    {
        wsp::fleet::runner_options o = small_options(2);
        o.once = once;
        o.output = &w;
        std::string why;
        auto r = wsp::fleet::fleet_runner::start(o, &why);
        if (!r) {
            return nullptr;
        }
        return std::move(*r);
    }
    int fd_ = -1;
    std::string path_;
};

TEST_F(fleet_runner_test, once_runs_every_check_and_reports_results_changes_and_refusals)
{
    wsp::fleet::line_writer w(fd_, 1000);
    auto runner = start(w, true);
    if (!runner) {
        GTEST_SKIP() << "io_uring unavailable";
    }
    runner->install(blocked_checks(20));
    ASSERT_TRUE(runner->wait_all_ran(20s));
    EXPECT_EQ(runner->worst_status(), wsp::proto::check_status::down);
    const std::string metrics = runner->render_metrics();
    runner->stop();
    w.stop();
    const std::string out = output();
    EXPECT_EQ(count(out, "\"event\":\"result\""), 20u) << out.substr(0, 1000);
    EXPECT_EQ(count(out, "\"event\":\"state_change\""), 20u);
    EXPECT_EQ(count(out, "\"code\":\"address_blocked\""), 40u);
    EXPECT_NE(metrics.find("wsprobe_ssrf_refused_total 20"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("wsprobe_checks_started_total 20"), std::string::npos);
    EXPECT_NE(metrics.find("wsprobe_scheduler_lateness_seconds_count 20"), std::string::npos);
}

TEST_F(fleet_runner_test, without_the_guard_nothing_is_refused)
{
    wsp::fleet::line_writer w(fd_, 1000);
    wsp::fleet::runner_options o = small_options(1);
    o.once = true;
    o.output = &w;
    o.ssrf_guard = false;
    auto r = wsp::fleet::fleet_runner::start(o);
    if (!r) {
        GTEST_SKIP() << "io_uring unavailable";
    }
    // A port nobody listens on, on loopback: refused by the kernel, not by the guard.
    auto cfg = wsp::fleet::test::parse(R"({"checks": [{"id": "x", "url": "ws://127.0.0.1:1/"}]})");
    ASSERT_TRUE(cfg);
    auto p = std::make_shared<prepared_check>();
    p->check = cfg->checks[0];
    (*r)->install({p});
    ASSERT_TRUE((*r)->wait_all_ran(20s));
    (*r)->stop();
    w.stop();
    const std::string out = output();
    EXPECT_EQ(out.find("address_blocked"), std::string::npos) << out;
    EXPECT_NE(out.find("\"status\":\"down\""), std::string::npos) << out;
}

TEST_F(fleet_runner_test, reinstalling_unchanged_checks_keeps_their_state)
{
    wsp::fleet::line_writer w(fd_, 10000);
    auto runner = start(w, false);
    if (!runner) {
        GTEST_SKIP() << "io_uring unavailable";
    }
    const auto checks = blocked_checks(5);
    runner->install(checks);
    const auto wait_results = [&](std::size_t n) {
        for (int i = 0; i < 400 && count(output(), "\"event\":\"result\"") < n; ++i) {
            std::this_thread::sleep_for(25ms);
        }
        return count(output(), "\"event\":\"result\"") >= n;
    };
    ASSERT_TRUE(wait_results(5));
    runner->install(blocked_checks(5)); // equal checks, new objects
    ASSERT_TRUE(wait_results(15));      // every check ran at least twice more
    runner->stop();
    w.stop();
    const std::string out = output();
    // Only each check's first result changed its state: the reload kept the trackers.
    EXPECT_EQ(count(out, "\"event\":\"state_change\""), 5u) << out.substr(0, 2000);
}

TEST(probe_modules, every_module_becomes_a_template_and_default_exists)
{
    static const auto sources = wsp::fleet::test::fake_sources();
    wsp::fleet::config_context ctx;
    ctx.file_name = "modules.json";
    ctx.sources = &sources;
    auto m = wsp::fleet::parse_probe_modules(
        R"({"modules": {"echo": {"rtt": "echo", "timeouts": {"overall": "7s"}},
                        "auth": {"headers": {"Authorization": {"env": "API_TOKEN"}}}}})",
        ctx);
    ASSERT_TRUE(m) << m.error().text();
    ASSERT_EQ(m->size(), 3u);
    EXPECT_EQ(m->at("echo").spec.rtt, wsp::proto::rtt_mode::echo);
    EXPECT_EQ(m->at("echo").spec.timeouts.overall, std::chrono::milliseconds(7000));
    ASSERT_EQ(m->at("auth").spec.headers.size(), 1u);
    EXPECT_TRUE(m->at("auth").spec.headers[0].secret);
    EXPECT_EQ(m->count("default"), 1u);

    auto bad = wsp::fleet::parse_probe_modules(R"({"modules": {"slow": {"interval": "5x"}}})", ctx);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().text().find("modules.json"), std::string::npos) << bad.error().text();
    EXPECT_NE(bad.error().text().find("slow"), std::string::npos) << bad.error().text();
    EXPECT_NE(bad.error().text().find("interval"), std::string::npos) << bad.error().text();

    auto missing =
        wsp::fleet::parse_probe_modules(R"({"modules": {"a": {"headers": {"X": {"env": "NOPE"}}}}})", ctx);
    ASSERT_FALSE(missing);
    EXPECT_FALSE(wsp::fleet::parse_probe_modules("{not json", ctx));
}

TEST(fleet_runner_http, probe_modules_given_at_start_answer_the_first_request)
{
    // `wsprobe serve` prints its address before the runner starts; a scraper that connects at
    // once must find the configured modules, not "Unknown module" (seen once in CI when the
    // modules were set after the reactors began serving).
    auto l = wsp::rt::listener::open(wsp::rt::address::loopback_v4(0));
    ASSERT_TRUE(l);
    auto mods = std::make_shared<wsp::fleet::prepared_modules>();
    auto only = std::make_shared<prepared_check>();
    only->check.spec.rtt = wsp::proto::rtt_mode::echo;
    mods->emplace("only", only);
    wsp::fleet::runner_options o = small_options(1);
    o.http = &*l;
    o.modules = mods;
    auto r = wsp::fleet::fleet_runner::start(o);
    if (!r) {
        GTEST_SKIP() << "io_uring unavailable";
    }
    const std::uint16_t port = l->local().port();
    // The guard refuses the metadata address, so the module ran: probe_success 0, not a 400.
    const std::string known =
        wsp::test::http_get(port, "/probe?target=ws%3A%2F%2F169.254.169.254%2F&module=only");
    EXPECT_EQ(known.rfind("HTTP/1.1 200", 0), 0u) << known;
    EXPECT_NE(known.find("\nprobe_success 0\n"), std::string::npos) << known;
    const std::string unknown =
        wsp::test::http_get(port, "/probe?target=ws%3A%2F%2F169.254.169.254%2F&module=other");
    EXPECT_EQ(unknown.rfind("HTTP/1.1 400", 0), 0u) << unknown;
    EXPECT_NE(unknown.find("Unknown module \"other\""), std::string::npos) << unknown;
    (*r)->stop();
}

} // namespace
