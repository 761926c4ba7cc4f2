// Interop with a scraper nobody here wrote: Debian's Prometheus (text exposition format 0.0.4,
// https://prometheus.io/docs/instrumenting/exposition_formats/) scraping `wsprobe run`'s /metrics
// and, blackbox-exporter style, its /probe?target=&module= endpoint through the standard
// relabelling. The series are read back through Prometheus' own HTTP query API, so a malformed
// exposition, a wrong content type or a label Prometheus rejects makes the test fail.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "tests/integration/fleet_support.h"
#include "tests/integration/harness.h"

namespace {

using namespace wsp::test;

constexpr const char* prometheus_bin = "/usr/bin/prometheus";

// A loopback port that was free a moment ago (Prometheus takes no port 0).
std::uint16_t free_port()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    (void)::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    (void)::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

// The body of an HTTP/1.1 response, chunked transfer coding removed (RFC 9112 §7.1).
std::string response_body(const std::string& response)
{
    const auto head_end = response.find("\r\n\r\n");
    if (head_end == std::string::npos) {
        return {};
    }
    const std::string head = response.substr(0, head_end);
    std::string body = response.substr(head_end + 4);
    std::string lower_head;
    for (const char c : head) {
        lower_head.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    if (lower_head.find("transfer-encoding: chunked") == std::string::npos) {
        return body;
    }
    std::string out;
    std::size_t at = 0;
    while (at < body.size()) {
        const auto eol = body.find("\r\n", at);
        if (eol == std::string::npos) {
            break;
        }
        const std::size_t size = std::stoul(body.substr(at, eol - at), nullptr, 16);
        if (size == 0 || eol + 2 + size > body.size()) {
            break;
        }
        out.append(body, eol + 2, size);
        at = eol + 2 + size + 2;
    }
    return out;
}

// One instant-vector sample: its labels and value.
struct series {
    std::map<std::string, std::string> labels;
    std::string value;
};

// Runs an instant query against Prometheus' HTTP API; empty when it is not (yet) answerable.
// `expr` must be URL-safe as written (a bare metric name).
std::vector<series> query(std::uint16_t port, const std::string& expr)
{
    const std::string body = response_body(http_get(port, "/api/v1/query?query=" + expr,
                                                    "Connection: close\r\n"));
    std::vector<series> out;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(body).get(doc) != simdjson::SUCCESS) {
        return out;
    }
    simdjson::dom::array result;
    if (doc["data"]["result"].get(result) != simdjson::SUCCESS) {
        return out;
    }
    for (simdjson::dom::element item : result) {
        series s;
        simdjson::dom::object metric;
        if (item["metric"].get(metric) == simdjson::SUCCESS) {
            for (auto field : metric) {
                std::string_view v;
                if (field.value.get(v) == simdjson::SUCCESS) {
                    s.labels[std::string(field.key)] = std::string(v);
                }
            }
        }
        std::string_view v;
        if (item["value"].at(1).get(v) == simdjson::SUCCESS) {
            s.value = std::string(v);
        }
        out.push_back(std::move(s));
    }
    return out;
}

// The value of the sample whose labels include every entry of `match`; "" when none.
std::string value_of(const std::vector<series>& all, const std::map<std::string, std::string>& match)
{
    for (const auto& s : all) {
        bool ok = true;
        for (const auto& [k, v] : match) {
            const auto it = s.labels.find(k);
            ok = ok && it != s.labels.end() && it->second == v;
        }
        if (ok) {
            return s.value;
        }
    }
    return {};
}

std::string describe(const std::vector<series>& all)
{
    std::string out;
    for (const auto& s : all) {
        out += "{";
        for (const auto& [k, v] : s.labels) {
            out += k + "=\"" + v + "\",";
        }
        out += "} " + s.value + "\n";
    }
    return out;
}

TEST(prometheus_interop, scrapes_metrics_and_blackbox_style_probes)
{
    if (::access(prometheus_bin, X_OK) != 0) {
        GTEST_SKIP() << "prometheus is not installed (tools/scripts/setup.sh --test installs it)";
    }
    lab_server lab;
    const auto dir = scratch_dir("prometheus");
    write_file(dir / "fleet.json",
               R"({"modules": {"echo": {"rtt": "echo", "timeouts": {"overall": "5s"}}}, "checks": [)"
               R"({"id": "echo_up", "url": ")" + lab.url("/echo") + R"(", "interval": "1s", "rtt": "echo",)"
               R"( "thresholds": {"handshake_degraded": "60s", "rtt_degraded": "60s"}},)"
               R"({"id": "status_down", "url": ")" + lab.url("/status/500") + R"(", "interval": "1s"}]})" "\n");
    child_process wsprobe({WSPROBE_BIN, "run", (dir / "fleet.json").string(), "--threads", "1", "--listen",
                           "127.0.0.1:0", "--output", (dir / "out.jsonl").string()});
    const auto line = wsprobe.read_line(10s);
    ASSERT_TRUE(line) << wsprobe.err();
    const std::uint16_t wsprobe_port = listening_port(*line);
    ASSERT_NE(wsprobe_port, 0) << *line;
    const std::string wsprobe_address = "127.0.0.1:" + std::to_string(wsprobe_port);

    const std::uint16_t prom_port = free_port();
    write_file(dir / "prometheus.yml",
               "global:\n"
               "  scrape_interval: 1s\n"
               "  scrape_timeout: 1s\n"
               "  evaluation_interval: 1s\n"
               "scrape_configs:\n"
               "  - job_name: wsprobe\n"
               "    static_configs:\n"
               "      - targets: ['" + wsprobe_address + "']\n"
               "  - job_name: wsprobe_probe\n"
               "    metrics_path: /probe\n"
               "    params:\n"
               "      module: [echo]\n"
               "    static_configs:\n"
               "      - targets: ['" + lab.url("/echo") + "', '" + lab.url("/status/500") + "']\n"
               "    relabel_configs:\n"
               "      - source_labels: [__address__]\n"
               "        target_label: __param_target\n"
               "      - source_labels: [__param_target]\n"
               "        target_label: instance\n"
               "      - target_label: __address__\n"
               "        replacement: '" + wsprobe_address + "'\n");
    child_process prometheus({prometheus_bin, "--config.file=" + (dir / "prometheus.yml").string(),
                              "--storage.tsdb.path=" + (dir / "data").string(),
                              "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)});

    // Polls (bounded) until every expected series has its expected value.
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    std::vector<series> probe_success;
    std::vector<series> check_up;
    std::vector<series> check_status;
    bool all = false;
    while (!all && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(500ms);
        probe_success = query(prom_port, "probe_success");
        check_up = query(prom_port, "wsprobe_check_up");
        check_status = query(prom_port, "wsprobe_check_status");
        all = value_of(probe_success, {{"job", "wsprobe_probe"}, {"instance", lab.url("/echo")}}) == "1" &&
              value_of(probe_success, {{"job", "wsprobe_probe"}, {"instance", lab.url("/status/500")}}) == "0" &&
              value_of(check_up, {{"job", "wsprobe"}, {"check", "echo_up"}}) == "1" &&
              value_of(check_up, {{"job", "wsprobe"}, {"check", "status_down"}}) == "0" &&
              value_of(check_status, {{"check", "echo_up"}, {"status", "up"}}) == "1" &&
              value_of(check_status, {{"check", "status_down"}, {"status", "down"}}) == "1";
    }
    const std::string context = "probe_success:\n" + describe(probe_success) + "wsprobe_check_up:\n" +
                                describe(check_up) + "wsprobe_check_status:\n" + describe(check_status) +
                                "prometheus stderr tail:\n" +
                                prometheus.err().substr(prometheus.err().size() > 3000 ? prometheus.err().size() - 3000 : 0);
    EXPECT_TRUE(all) << context;
    EXPECT_EQ(value_of(probe_success, {{"instance", lab.url("/echo")}}), "1") << context;
    EXPECT_EQ(value_of(probe_success, {{"instance", lab.url("/status/500")}}), "0") << context;
    EXPECT_EQ(value_of(check_up, {{"check", "echo_up"}}), "1") << context;
    EXPECT_EQ(value_of(check_up, {{"check", "status_down"}}), "0") << context;
    EXPECT_EQ(value_of(check_status, {{"check", "status_down"}, {"status", "up"}}), "0") << context;
    // Both jobs' targets are healthy from Prometheus' side (the `up` series it writes itself).
    const auto up = query(prom_port, "up");
    EXPECT_EQ(value_of(up, {{"job", "wsprobe"}}), "1") << describe(up);
    EXPECT_EQ(value_of(up, {{"job", "wsprobe_probe"}, {"instance", lab.url("/echo")}}), "1") << describe(up);

    prometheus.stop();
    wsprobe.signal(SIGTERM);
    EXPECT_EQ(wsprobe.wait(20s), 0) << wsprobe.err();
}

} // namespace
