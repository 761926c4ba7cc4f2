// Fleet benchmark on loopback: `wsprobe run` with N checks on an interval against wsprobe-lab.
// Reports CPU per check run (utime + stime of the wsprobe process over completed runs), RSS per
// scheduled check, and p50/p99 schedule lateness from the /metrics histogram (interpolated within
// buckets, as Prometheus' histogram_quantile does).
//   fleet_bench --wsprobe PATH --lab PATH [--checks 50000] [--interval 10] [--seconds 30]
//               [--threads 2] [--sources 8]
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/fleet_support.h"
#include "tests/integration/process.h"

namespace {

using namespace std::chrono_literals;

struct options {
    std::string wsprobe;
    std::string lab;
    int checks = 50000;
    int interval_s = 10;
    int seconds = 30;
    int threads = 2;
    int sources = 8;
};

// utime + stime of `pid` in seconds.
double cpu_seconds(int pid)
{
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::istringstream rest(all.substr(all.rfind(')') + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14 || i == 15) {
            ticks += std::stod(field);
        }
    }
    return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double rss_bytes(int pid)
{
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stod(line.substr(6)) * 1024.0;
        }
    }
    return 0;
}

// The pid of our child process running `exe`.
int child_pid(const std::string& exe)
{
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        const std::string stat = wsp::test::read_file(entry.path() / "stat");
        const auto close = stat.rfind(')');
        if (close == std::string::npos) {
            continue;
        }
        std::istringstream rest(stat.substr(close + 2));
        std::string state;
        int ppid = 0;
        rest >> state >> ppid;
        const std::string cmd = wsp::test::read_file(entry.path() / "cmdline");
        if (ppid == ::getpid() && cmd.rfind(exe + std::string("\0run\0", 5), 0) == 0) {
            return std::stoi(name);
        }
    }
    return -1;
}

// Samples "name{labels} value" and "name value" lines of an exposition into a map.
std::map<std::string, double> samples(const std::string& text)
{
    std::map<std::string, double> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        const auto sp = line.rfind(' ');
        if (sp != std::string::npos) {
            out[line.substr(0, sp)] = std::atof(line.c_str() + sp + 1);
        }
    }
    return out;
}

// histogram_quantile over the delta of wsprobe_scheduler_lateness_seconds between two samples.
double lateness_quantile(const std::map<std::string, double>& a, const std::map<std::string, double>& b,
                         double q)
{
    const std::string prefix = "wsprobe_scheduler_lateness_seconds_bucket{le=\"";
    std::vector<std::pair<double, double>> buckets; // le, cumulative delta
    for (const auto& [k, v] : b) {
        if (k.rfind(prefix, 0) != 0) {
            continue;
        }
        const std::string le = k.substr(prefix.size(), k.size() - prefix.size() - 2);
        const double bound = le == "+Inf" ? 1e300 : std::atof(le.c_str());
        const auto before = a.find(k);
        buckets.emplace_back(bound, v - (before == a.end() ? 0 : before->second));
    }
    std::sort(buckets.begin(), buckets.end());
    if (buckets.empty() || buckets.back().second <= 0) {
        return 0;
    }
    const double rank = q * buckets.back().second;
    double prev_bound = 0;
    double prev_count = 0;
    for (const auto& [bound, count] : buckets) {
        if (count >= rank) {
            if (bound > 1e299) {
                return prev_bound;
            }
            return prev_bound +
                   (bound - prev_bound) * (rank - prev_count) / std::max(count - prev_count, 1e-9);
        }
        prev_bound = bound;
        prev_count = count;
    }
    return prev_bound;
}

} // namespace

int main(int argc, char** argv)
{
    options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        const std::string v = argv[i + 1];
        if (a == "--wsprobe") {
            o.wsprobe = v;
        } else if (a == "--lab") {
            o.lab = v;
        } else if (a == "--checks") {
            o.checks = std::stoi(v);
        } else if (a == "--interval") {
            o.interval_s = std::stoi(v);
        } else if (a == "--seconds") {
            o.seconds = std::stoi(v);
        } else if (a == "--threads") {
            o.threads = std::stoi(v);
        } else if (a == "--sources") {
            o.sources = std::stoi(v);
        }
    }
    if (o.wsprobe.empty() || o.lab.empty()) {
        std::fprintf(stderr, "usage: fleet_bench --wsprobe PATH --lab PATH [--checks N] [--interval S] "
                             "[--seconds S] [--threads T] [--sources K]\n");
        return 2;
    }
    wsp::test::child_process lab({o.lab, "--listen", "127.0.0.1:0", "--threads", "1"});
    const auto lab_line = lab.read_line(10s);
    if (!lab_line) {
        std::fprintf(stderr, "wsprobe-lab did not start: %s\n", lab.err().c_str());
        return 1;
    }
    const std::string authority = lab_line->substr(lab_line->rfind("ws://") + 5);
    const auto dir = wsp::test::scratch_dir("fleet_bench");
    std::string cfg =
        R"({"modules": {"m": {"interval": ")" + std::to_string(o.interval_s) + R"(s"}}, "checks": [)";
    for (int i = 0; i < o.checks; ++i) {
        // Several 127.0.0.x sources so the 4-tuples do not run out at thousands of connects/s.
        cfg += (i == 0 ? "" : ",\n") + std::string(R"({"id": "bench-)") + std::to_string(i) +
               R"(", "module": "m", "url": "ws://)" + authority + R"(/echo", "source_address": "127.0.0.)" +
               std::to_string(1 + i % o.sources) + "\"}";
    }
    cfg += "]}\n";
    wsp::test::write_file(dir / "fleet.json", cfg);
    wsp::test::child_process run({o.wsprobe, "run", (dir / "fleet.json").string(), "--threads",
                                  std::to_string(o.threads), "--listen", "127.0.0.1:0", "--output",
                                  "/dev/null"});
    const auto line = run.read_line(60s);
    if (!line) {
        std::fprintf(stderr, "wsprobe run did not start: %s\n", run.err().c_str());
        return 1;
    }
    const auto port = wsp::test::listening_port(*line);
    const int pid = child_pid(o.wsprobe);
    if (pid <= 0) {
        std::fprintf(stderr, "cannot find the wsprobe process\n");
        return 1;
    }
    std::this_thread::sleep_for(std::chrono::seconds(o.interval_s)); // warm-up: one full interval
    const auto m0 = samples(wsp::test::http_get(port, "/metrics"));
    const double cpu0 = cpu_seconds(pid);
    std::this_thread::sleep_for(std::chrono::seconds(o.seconds));
    const auto m1 = samples(wsp::test::http_get(port, "/metrics"));
    const double cpu1 = cpu_seconds(pid);
    const double rss = rss_bytes(pid);
    const double runs = m1.at("wsprobe_checks_completed_total") - m0.at("wsprobe_checks_completed_total");
    const double skipped =
        m1.at("wsprobe_schedule_slots_skipped_total") - m0.at("wsprobe_schedule_slots_skipped_total");
    std::printf("checks %d, interval %ds, %d reactor threads, measured %ds after a %ds warm-up\n", o.checks,
                o.interval_s, o.threads, o.seconds, o.interval_s);
    std::printf("runs completed      %.0f (%.0f/s; expected %.0f/s)\n", runs, runs / o.seconds,
                static_cast<double>(o.checks) / o.interval_s);
    std::printf("slots skipped       %.0f\n", skipped);
    std::printf("CPU per check run   %.1f us (%.2f cores busy)\n", runs > 0 ? (cpu1 - cpu0) / runs * 1e6 : 0,
                (cpu1 - cpu0) / o.seconds);
    std::printf("RSS                 %.1f MiB, %.0f bytes per scheduled check\n", rss / 1048576.0,
                rss / o.checks);
    std::printf("lateness p50        %.3f ms\n", lateness_quantile(m0, m1, 0.5) * 1e3);
    std::printf("lateness p99        %.3f ms\n", lateness_quantile(m0, m1, 0.99) * 1e3);
    const std::string first = "wsprobe_scheduler_lateness_seconds_bucket{le=\"0.001\"}";
    const std::string all = "wsprobe_scheduler_lateness_seconds_count";
    const double within = m1.at(first) - m0.at(first);
    const double started = m1.at(all) - m0.at(all);
    std::printf(
        "starts within 1 ms  %.4f%% (the histogram's first bucket; quantiles inside it are interpolated)\n",
        started > 0 ? within / started * 100 : 0);
    run.stop();
    lab.stop();
    return 0;
}
