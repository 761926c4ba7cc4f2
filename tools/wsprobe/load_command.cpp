// `wsprobe load`: flags (tools/cli/load_options), the live progress line, the summary, --json
// and --report, and the exit code.
#include "tools/wsprobe/load_command.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

#include "engine/load/driver.h"
#include "engine/load/report.h"
#include "tools/cli/load_options.h"
#include "tools/cli/tls_context.h"

namespace wsp::cli {
namespace {

int exit_code_of(const load::run_report& r)
{
    const auto& t = r.stats.counts;
    if (t.succeeded == 0 && !r.slo) {
        return load_exit_none;
    }
    if (r.slo) {
        return r.slo->highest_rate_held && !r.interrupted ? load_exit_ok : load_exit_partial;
    }
    if (t.failed > 0 || t.dropped > 0 || t.unclean_closes > 0 || r.interrupted) {
        return load_exit_partial;
    }
    return load_exit_ok;
}

} // namespace

int run_load_command(std::span<const std::string_view> args)
{
    auto parsed = parse_load_options(args, environment::system());
    if (!parsed) {
        std::fprintf(stderr, "wsprobe load: %s\n", parsed.error().c_str());
        return load_exit_usage;
    }
    if (parsed->help) {
        std::fputs(load_usage().data(), stdout);
        return load_exit_ok;
    }
    load_cli& c = *parsed;
    std::optional<tls::context> tls_ctx;
    if (c.options.spec.url.secure) {
        auto ctx = make_client_tls_context(c.options.spec.tls);
        if (!ctx) {
            std::fprintf(stderr, "wsprobe load: %s\n", ctx.error().c_str());
            return load_exit_usage;
        }
        tls_ctx.emplace(std::move(*ctx));
        c.options.tls = &*tls_ctx;
    }
    const bool tty = ::isatty(STDERR_FILENO) == 1;
    load::progress_fn progress;
    if (c.progress == progress_mode::always || (c.progress == progress_mode::automatic && tty)) {
        progress = [tty](const load::sample& s, std::uint64_t errors) {
            const std::string line = load::progress_line(s, errors);
            if (tty) {
                std::fprintf(stderr, "\r\033[K%s", line.c_str());
            } else {
                std::fprintf(stderr, "%s\n", line.c_str());
            }
            std::fflush(stderr);
        };
    }
    std::string why;
    auto report = load::run_load(c.options, progress, &why);
    if (tty && progress) {
        std::fputs("\n", stderr);
    }
    if (!report) {
        std::fprintf(stderr, "wsprobe load: %s\n",
                     why.empty() ? std::string(report.error().describe()).c_str() : why.c_str());
        return load_exit_usage;
    }
    const std::string out = c.json ? load::summary_json(*report) + "\n" : load::summary_text(*report);
    std::fputs(out.c_str(), stdout);
    std::fflush(stdout);
    if (c.report) {
        std::ofstream f(*c.report, std::ios::binary | std::ios::trunc);
        f << load::report_html(*report);
        if (!f) {
            std::fprintf(stderr, "wsprobe load: cannot write the report to %s\n", c.report->c_str());
            return load_exit_usage;
        }
    }
    return exit_code_of(*report);
}

} // namespace wsp::cli
