// The `wsprobe load --report` page in a real browser: a short load run against wsprobe-lab on
// 127.0.0.1 writes the report, Debian's headless Chromium renders it (--dump-dom, --screenshot),
// and the test asserts the three charts and their lines are in the rendered DOM and the
// screenshot is a PNG of the window's size that is not a blank page.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/engine/load/html_check.h"
#include "tests/integration/harness.h"

namespace {

using namespace wsp::test;
namespace fs = std::filesystem;

constexpr const char* chromium_bin = "/usr/bin/chromium";
constexpr int window_w = 1280;
constexpr int window_h = 1600;

struct temp_dir {
    fs::path path;
    temp_dir()
    {
        std::string tmpl = (fs::temp_directory_path() / "wsp_report_browser_XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~temp_dir()
    {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::string slurp(const fs::path& p)
{
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Runs Chromium headless in its own process group with stdout to `out_file`, for at most
// `timeout`; afterwards the whole group is killed, so no renderer or zygote outlives the test.
// Returns the exit code, or -1 when it had to be killed.
int run_chromium(const std::vector<std::string>& extra, const fs::path& profile, const fs::path& out_file,
                 std::chrono::seconds timeout)
{
    std::vector<std::string> argv = {chromium_bin,
                                     "--headless",
                                     "--no-sandbox",
                                     "--disable-gpu",
                                     "--disable-quic",
                                     "--disable-dev-shm-usage",
                                     "--no-first-run",
                                     "--disable-background-networking",
                                     "--disable-component-update",
                                     "--disable-sync",
                                     "--hide-scrollbars",
                                     "--user-data-dir=" + profile.string(),
                                     "--window-size=" + std::to_string(window_w) + "," +
                                         std::to_string(window_h)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::vector<char*> args;
    for (auto& a : argv) {
        args.push_back(a.data());
    }
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    ::posix_spawn_file_actions_init(&fa);
    ::posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_addopen(&fa, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::posix_spawn_file_actions_addopen(&fa, 2, (out_file.string() + ".stderr").c_str(),
                                       O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::posix_spawnattr_init(&attr);
    ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    ::posix_spawnattr_setpgroup(&attr, 0);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, chromium_bin, &fa, &attr, args.data(), environ);
    ::posix_spawn_file_actions_destroy(&fa);
    ::posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        return -2;
    }
    const pid_t group = pid; // POSIX_SPAWN_SETPGROUP with 0: the leader's pid is the group id
    int code = -1;
    bool reaped = false;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!reaped && std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            reaped = true;
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    // Whatever is left of the group (the browser on timeout, renderers, zygotes) goes now.
    ::kill(-group, SIGKILL);
    if (!reaped) {
        ::waitpid(pid, nullptr, 0);
    }
    return code;
}

// The first <svg ...id="ID"...> ... </svg> of the DOM, or "".
std::string svg_of(const std::string& dom, const std::string& id)
{
    const auto at = dom.find("id=\"" + id + "\"");
    if (at == std::string::npos) {
        return "";
    }
    const auto start = dom.rfind("<svg", at);
    const auto end = dom.find("</svg>", at);
    return start == std::string::npos || end == std::string::npos ? "" : dom.substr(start, end + 6 - start);
}

// Point pairs of every <polyline points="..."> in `svg`.
std::vector<std::size_t> polyline_points(const std::string& svg)
{
    std::vector<std::size_t> out;
    for (auto at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1)) {
        const auto p = svg.find("points=\"", at);
        const auto q = svg.find('"', p + 8);
        std::istringstream in(svg.substr(p + 8, q - p - 8));
        std::string pair;
        std::size_t n = 0;
        while (in >> pair) {
            n += pair.find(',') != std::string::npos ? 1 : 0;
        }
        out.push_back(n);
    }
    return out;
}

struct png_facts {
    bool is_png = false;
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    std::uintmax_t bytes = 0;
};

// PNG (RFC 2083 §3.1, §4.1.1): an 8-byte signature, then IHDR with big-endian width and height.
png_facts png_of(const fs::path& p)
{
    png_facts f;
    const auto data = slurp(p);
    f.bytes = data.size();
    if (data.size() < 24 || data.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 ||
        data.compare(12, 4, "IHDR") != 0) {
        return f;
    }
    const auto be32 = [&](std::size_t at) {
        return (std::uint32_t{static_cast<unsigned char>(data[at])} << 24) |
               (std::uint32_t{static_cast<unsigned char>(data[at + 1])} << 16) |
               (std::uint32_t{static_cast<unsigned char>(data[at + 2])} << 8) |
               std::uint32_t{static_cast<unsigned char>(data[at + 3])};
    };
    f.is_png = true;
    f.width = be32(16);
    f.height = be32(20);
    return f;
}

TEST(ReportBrowser, ChartsRenderInHeadlessChromium)
{
    if (!fs::exists(chromium_bin)) {
        GTEST_SKIP() << "/usr/bin/chromium is not installed (tools/scripts/setup.sh --test installs it)";
    }
    temp_dir dir;
    const auto report = dir.path / "report.html";
    lab_server lab;

    // A short real run: 50 connections at 100/s for 2 s, pinged, held to the end.
    auto run = run_wsprobe({"load", lab.url("/echo"), "-c", "50", "--rate", "100", "--duration", "2s",
                            "--hold", "--ping-interval", "500ms", "--report", report.string(), "--json"},
                           30s);
    // 0: all held; 1: some connection failed or was dropped (a busy machine), the report is
    // written either way. Anything else means no report to look at.
    ASSERT_TRUE(run.exit_code == 0 || run.exit_code == 1) << "exit " << run.exit_code << "\n"
                                                          << run.out << run.err;
    simdjson::dom::parser parser;
    simdjson::dom::element summary;
    ASSERT_EQ(parser.parse(run.out).get(summary), simdjson::SUCCESS) << run.out;
    std::uint64_t succeeded = 0;
    ASSERT_EQ(summary["totals"]["succeeded"].get(succeeded), simdjson::SUCCESS) << run.out;
    ASSERT_GT(succeeded, 0u) << run.out;
    ASSERT_TRUE(fs::exists(report)) << run.err;
    const auto html = slurp(report);
    const auto facts = wsp::load::test::check_html(html);
    ASSERT_TRUE(facts.error.empty()) << facts.error;

    // The DOM as Chromium built it.
    const auto dom_file = dir.path / "dom.html";
    const int dom_rc =
        run_chromium({"--dump-dom", "file://" + report.string()}, dir.path / "profile-dom", dom_file, 60s);
    ASSERT_EQ(dom_rc, 0) << slurp(dom_file.string() + ".stderr");
    const auto dom = slurp(dom_file);
    for (const std::string id : {"chart-connections", "chart-rate", "chart-latency"}) {
        const auto svg = svg_of(dom, id);
        ASSERT_FALSE(svg.empty()) << id << " is not in the rendered DOM";
        const auto lines = polyline_points(svg);
        ASSERT_FALSE(lines.empty()) << id << " has no polyline";
        EXPECT_GE(*std::max_element(lines.begin(), lines.end()), 2u)
            << id << ": a line needs at least two points";
        EXPECT_NE(svg.find("class=\"legend\""), std::string::npos) << id;
        EXPECT_NE(svg.find("<title"), std::string::npos) << id;
    }
    EXPECT_NE(dom.find("wsprobe load report"), std::string::npos);

    // The screenshot, and a blank page's at the same size to compare with.
    const auto shot = dir.path / "report.png";
    const auto blank_html = dir.path / "blank.html";
    const auto blank_shot = dir.path / "blank.png";
    std::ofstream(blank_html)
        << "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>b</title></head><body></body></html>\n";
    ASSERT_EQ(run_chromium({"--screenshot=" + shot.string(), "file://" + report.string()},
                           dir.path / "profile-shot", dir.path / "shot.out", 60s),
              0)
        << slurp(dir.path / "shot.out.stderr");
    ASSERT_EQ(run_chromium({"--screenshot=" + blank_shot.string(), "file://" + blank_html.string()},
                           dir.path / "profile-blank", dir.path / "blank.out", 60s),
              0)
        << slurp(dir.path / "blank.out.stderr");
    const auto png = png_of(shot);
    const auto blank = png_of(blank_shot);
    ASSERT_TRUE(png.is_png) << shot;
    ASSERT_TRUE(blank.is_png) << blank_shot;
    EXPECT_EQ(png.width, static_cast<std::uint32_t>(window_w));
    EXPECT_EQ(png.height, static_cast<std::uint32_t>(window_h));
    EXPECT_GT(png.bytes, blank.bytes * 5) << "the report's screenshot is hardly larger than a blank page's";
    if (const char* keep = std::getenv("WSP_REPORT_SCREENSHOT")) {
        fs::copy_file(shot, keep, fs::copy_options::overwrite_existing);
    }
}

} // namespace
