// The fleet's HTTP routes: /metrics (Prometheus text format 0.0.4), the blackbox-exporter-style
// /probe?target=&module=, /-/healthy and /-/ready.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "engine/fleet/webhook.h"
#include "engine/fleet/detail/fleet_state.h"
#include "engine/fleet/probe_modules.h"
#include "proto/url.h"

namespace wsp::fleet::detail {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view exposition_type = "text/plain; version=0.0.4; charset=utf-8";
constexpr double scrape_offset_seconds = 0.5;
constexpr milliseconds min_budget{100};

http_reply text(int status, std::string body)
{
    http_reply r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

rt::task<http_reply> probe(shard* sh, http_request req)
{
    const auto target = query_param(req.query, "target");
    if (!target || target->empty()) {
        co_return text(400, "Target parameter is missing\n");
    }
    const auto module_name = query_param(req.query, "module");
    const std::string name =
        module_name && !module_name->empty() ? *module_name : std::string(default_module);
    check_ptr tpl;
    {
        std::lock_guard lk(sh->shared->mu);
        if (sh->shared->modules) {
            auto it = sh->shared->modules->find(name);
            if (it != sh->shared->modules->end()) {
                tpl = it->second;
            }
        }
    }
    if (!tpl) {
        co_return text(400, "Unknown module \"" + name + "\"\n");
    }
    auto url = proto::parse_ws_url(*target);
    if (!url) {
        co_return text(400, proto::describe_url_error(url.error(), *target) + "\n");
    }
    proto::check_spec spec = tpl->check.spec;
    spec.url = std::move(*url);
    spec.timeouts.overall =
        probe_budget(req.header("X-Prometheus-Scrape-Timeout-Seconds"), spec.timeouts.overall);
    const double timeout_seconds = static_cast<double>(spec.timeouts.overall.count()) / 1000.0;
    const proto::check_result r = co_await probe::run_check(sh->env_for(*tpl), &spec);
    http_reply reply;
    reply.content_type = std::string(exposition_type);
    reply.body = render_probe_response(r, timeout_seconds);
    redact_secrets(tpl->check, reply.body);
    co_return reply;
}

} // namespace

milliseconds probe_budget(std::optional<std::string_view> header, milliseconds module_overall) noexcept
{
    milliseconds budget = module_overall;
    if (header && header->size() < 32) {
        char buf[32] = {};
        std::copy(header->begin(), header->end(), buf);
        char* end = nullptr;
        const double seconds = std::strtod(buf, &end);
        if (end == buf + header->size() && std::isfinite(seconds) && seconds > 0) {
            const double usable = std::max(seconds - scrape_offset_seconds, seconds / 2);
            budget = std::min(budget, milliseconds(static_cast<std::int64_t>(usable * 1000.0)));
        }
    }
    return std::max(budget, min_budget);
}

rt::task<http_reply> handle_http(void* ctx, http_request req)
{
    auto* sh = static_cast<shard*>(ctx);
    if (req.path == "/metrics") {
        http_reply r;
        r.content_type = std::string(exposition_type);
        {
            std::lock_guard lk(sh->shared->mu);
            ++sh->shared->metrics.counters().scrapes;
            sh->shared->metrics.render(r.body);
        }
        if (const line_writer* out = sh->shared->opts.output) {
            r.body += "# HELP wsprobe_output_lines_dropped_total JSON lines dropped because the output "
                      "could not keep up.\n# TYPE wsprobe_output_lines_dropped_total counter\n"
                      "wsprobe_output_lines_dropped_total ";
            r.body += std::to_string(out->dropped());
            r.body += '\n';
        }
        if (const webhook_sender* hook = sh->shared->opts.webhook) {
            const webhook_counters c = hook->counters();
            r.body += "# HELP wsprobe_webhook_deliveries_total State-change webhook deliveries by result.\n"
                      "# TYPE wsprobe_webhook_deliveries_total counter\n";
            r.body += "wsprobe_webhook_deliveries_total{result=\"delivered\"} " + std::to_string(c.delivered) + "\n";
            r.body += "wsprobe_webhook_deliveries_total{result=\"failed\"} " + std::to_string(c.failed) + "\n";
            r.body += "wsprobe_webhook_deliveries_total{result=\"dropped\"} " + std::to_string(c.dropped) + "\n";
            r.body += "# HELP wsprobe_webhook_retries_total Webhook attempts after the first.\n"
                      "# TYPE wsprobe_webhook_retries_total counter\n";
            r.body += "wsprobe_webhook_retries_total " + std::to_string(c.retries) + "\n";
        }
        co_return r;
    }
    if (req.path == "/probe") {
        http_reply r = co_await probe(sh, req);
        co_return r;
    }
    if (req.path == "/-/healthy") {
        co_return text(200, "Healthy\n");
    }
    if (req.path == "/-/ready") {
        if (sh->shared->ready.load(std::memory_order_acquire)) {
            co_return text(200, "Ready\n");
        }
        co_return text(503, "Not ready: no configuration loaded yet\n");
    }
    co_return text(404, "Not found: try /metrics, /probe?target=URL&module=NAME, /-/healthy or /-/ready\n");
}

} // namespace wsp::fleet::detail
