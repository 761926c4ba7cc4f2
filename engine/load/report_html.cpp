// The --report page: one self-contained HTML5 document (inline CSS, inline SVG line charts, no
// script, no external fetch). Every string that came from the run is escaped (HTML5 §13.1.2.6
// "character references"), so a server's reason phrase or close reason cannot inject markup.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "engine/load/detail/format.h"
#include "engine/load/report.h"

namespace wsp::load {
namespace {

using detail::human_duration;
using detail::human_number;
using detail::human_seconds;

// Chart geometry in SVG user units; the page scales the SVG to its column width.
constexpr double chart_w = 960;
constexpr double chart_h = 300;
constexpr double margin_left = 70;
constexpr double margin_right = 20;
constexpr double margin_top = 44;
constexpr double margin_bottom = 46;
constexpr double plot_w = chart_w - margin_left - margin_right;
constexpr double plot_h = chart_h - margin_top - margin_bottom;

std::string escape(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            // Control characters other than tab and newline are not allowed in HTML text.
            out += (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') || c == 0x7f ? '?' : c;
            break;
        }
    }
    return out;
}

std::string num(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

// The smallest "nice" step (1, 2 or 5 times a power of ten) that splits `range` into at most
// `max_ticks` intervals.
double nice_step(double range, int max_ticks)
{
    if (!(range > 0)) {
        return 1;
    }
    const double raw = range / max_ticks;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    for (const double f : {1.0, 2.0, 5.0, 10.0}) {
        if (f * mag >= raw) {
            return f * mag;
        }
    }
    return 10 * mag;
}

// Tick labels: "0", "2.5", "10k", "1.2M"; as many decimals as the step needs.
std::string tick_label(double v, double step)
{
    char buf[32];
    if (std::fabs(v) >= 1e6 && step >= 1e5) {
        std::snprintf(buf, sizeof buf, "%gM", v / 1e6);
    } else if (std::fabs(v) >= 1e4 && step >= 1e3) {
        std::snprintf(buf, sizeof buf, "%gk", v / 1e3);
    } else {
        const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
        std::snprintf(buf, sizeof buf, "%.*f", std::clamp(decimals, 0, 6), v);
    }
    return buf;
}

struct series {
    std::string name;
    std::string color;
    bool dashed = false;
    std::vector<std::optional<double>> values; // one per timeline sample; none: nothing measured
};

struct chart_spec {
    std::string id;
    std::string title;
    std::string y_title;
    std::vector<double> t; // x: seconds since start, one per sample
    std::vector<series> lines;
    bool integral = false; // counts: whole-number ticks only
};

void axes(std::string& out, const chart_spec& c, double x_max, double y_max, double x_step, double y_step)
{
    const double x0 = margin_left;
    const double y0 = margin_top + plot_h;
    out += "<g class=\"grid\">";
    for (double y = 0; y <= y_max + y_step / 2; y += y_step) {
        const double py = y0 - y / y_max * plot_h;
        out += "<line x1=\"" + num(x0) + "\" y1=\"" + num(py) + "\" x2=\"" + num(x0 + plot_w) + "\" y2=\"" +
               num(py) + "\"/>";
    }
    out += "</g><g class=\"ticks y-ticks\">";
    for (double y = 0; y <= y_max + y_step / 2; y += y_step) {
        const double py = y0 - y / y_max * plot_h;
        out +=
            "<text x=\"" + num(x0 - 8) + "\" y=\"" + num(py + 4) + "\">" + tick_label(y, y_step) + "</text>";
    }
    out += "</g><g class=\"ticks x-ticks\">";
    for (double x = 0; x <= x_max + x_step / 2; x += x_step) {
        const double px = x0 + x / x_max * plot_w;
        out += "<line x1=\"" + num(px) + "\" y1=\"" + num(y0) + "\" x2=\"" + num(px) + "\" y2=\"" +
               num(y0 + 5) + "\"/><text x=\"" + num(px) + "\" y=\"" + num(y0 + 19) + "\">" +
               tick_label(x, x_step) + "</text>";
    }
    out += "</g><g class=\"axis\"><line x1=\"" + num(x0) + "\" y1=\"" + num(margin_top) + "\" x2=\"" +
           num(x0) + "\" y2=\"" + num(y0) + "\"/><line x1=\"" + num(x0) + "\" y1=\"" + num(y0) + "\" x2=\"" +
           num(x0 + plot_w) + "\" y2=\"" + num(y0) + "\"/></g>";
    out += "<text class=\"axis-title\" x=\"" + num(x0 + plot_w / 2) + "\" y=\"" + num(chart_h - 6) +
           "\">time since start (s)</text>";
    out += "<text class=\"axis-title\" transform=\"translate(16 " + num(margin_top + plot_h / 2) +
           ") rotate(-90)\">" + escape(c.y_title) + "</text>";
}

void legend(std::string& out, const chart_spec& c)
{
    // Right-aligned entries in the title row: a short stroke in the series' colour, then its name.
    double x = chart_w - margin_right;
    std::string items;
    for (auto it = c.lines.rbegin(); it != c.lines.rend(); ++it) {
        const double w = 34 + 7.2 * static_cast<double>(it->name.size());
        x -= w;
        items = "<g class=\"legend-item\"><line x1=\"" + num(x) + "\" y1=\"20\" x2=\"" + num(x + 22) +
                "\" y2=\"20\" stroke=\"" + it->color + "\"" +
                (it->dashed ? " stroke-dasharray=\"6 4\"" : "") + "/><text x=\"" + num(x + 28) +
                "\" y=\"24\">" + escape(it->name) + "</text></g>" + items;
    }
    out += "<g class=\"legend\">" + items + "</g>";
}

// One line per run of consecutive measured values; a lone value is drawn as a dot.
void plot(std::string& out, const chart_spec& c, const series& s, double x_max, double y_max)
{
    const auto px = [&](double t) { return margin_left + t / x_max * plot_w; };
    const auto py = [&](double v) { return margin_top + plot_h - std::min(v, y_max) / y_max * plot_h; };
    out += "<g class=\"series\" data-name=\"" + escape(s.name) + "\">";
    std::size_t i = 0;
    while (i < s.values.size()) {
        if (!s.values[i]) {
            ++i;
            continue;
        }
        std::size_t j = i;
        std::string pts;
        while (j < s.values.size() && s.values[j]) {
            pts += (pts.empty() ? "" : " ") + num(px(c.t[j])) + "," + num(py(*s.values[j]));
            ++j;
        }
        if (j - i == 1) {
            out += "<circle cx=\"" + num(px(c.t[i])) + "\" cy=\"" + num(py(*s.values[i])) +
                   "\" r=\"3.5\" fill=\"" + s.color + "\"/>";
        }
        out += "<polyline fill=\"none\" stroke=\"" + s.color + "\"" +
               (s.dashed ? " stroke-dasharray=\"6 4\"" : "") + " points=\"" + pts + "\"/>";
        i = j;
    }
    out += "</g>";
}

std::string render_chart(const chart_spec& c)
{
    double x_max = 0;
    for (const double t : c.t) {
        x_max = std::max(x_max, t);
    }
    double y_max = 0;
    for (const auto& s : c.lines) {
        for (const auto& v : s.values) {
            if (v && std::isfinite(*v)) {
                y_max = std::max(y_max, *v);
            }
        }
    }
    // At least one second and one unit, so an empty or flat chart still has a readable scale.
    x_max = std::max(x_max, 1.0);
    y_max = std::max(y_max, c.integral ? 5.0 : 1.0);
    const double x_step = nice_step(x_max, 10);
    x_max = std::ceil(x_max / x_step - 1e-9) * x_step;
    const double y_step = c.integral ? std::max(1.0, nice_step(y_max, 5)) : nice_step(y_max, 5);
    y_max = std::ceil(y_max / y_step - 1e-9) * y_step;

    std::string out = "<figure class=\"chart\"><svg id=\"" + c.id +
                      "\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + num(chart_w) + " " +
                      num(chart_h) + "\" role=\"img\" aria-labelledby=\"" + c.id + "-title\"><title id=\"" +
                      c.id + "-title\">" + escape(c.title) + "</title>";
    out +=
        "<text class=\"chart-title\" x=\"" + num(margin_left) + "\" y=\"24\">" + escape(c.title) + "</text>";
    legend(out, c);
    axes(out, c, x_max, y_max, x_step, y_step);
    bool any = false;
    for (const auto& s : c.lines) {
        plot(out, c, s, x_max, y_max);
        any =
            any || std::any_of(s.values.begin(), s.values.end(), [](const auto& v) { return v.has_value(); });
    }
    if (!any) {
        out += "<text class=\"no-data\" x=\"" + num(margin_left + plot_w / 2) + "\" y=\"" +
               num(margin_top + plot_h / 2) + "\">no data in this run</text>";
    }
    out += "</svg></figure>\n";
    return out;
}

std::optional<double> ms_or_none(std::int64_t ns)
{
    return ns > 0 ? std::optional<double>(static_cast<double>(ns) / 1e6) : std::nullopt;
}

std::vector<chart_spec> charts(const std::vector<sample>& timeline)
{
    std::vector<double> t;
    for (const auto& s : timeline) {
        t.push_back(s.t_s);
    }
    const auto counts = [&](auto field) {
        std::vector<std::optional<double>> v;
        for (const auto& s : timeline) {
            v.emplace_back(static_cast<double>(s.*field));
        }
        return v;
    };
    const auto lat = [&](auto field) {
        std::vector<std::optional<double>> v;
        for (const auto& s : timeline) {
            v.push_back(ms_or_none(s.*field));
        }
        return v;
    };
    std::vector<chart_spec> out;
    // Nothing is open when the run starts: the line rises from the origin.
    auto open_t = t;
    auto open_v = counts(&sample::open);
    if (!timeline.empty() && timeline.front().t_s > 0) {
        open_t.insert(open_t.begin(), 0.0);
        open_v.insert(open_v.begin(), 0.0);
    }
    out.push_back({"chart-connections",
                   "Connections open",
                   "connections",
                   open_t,
                   {{"open", "#2563eb", false, open_v}},
                   true});
    out.push_back({"chart-rate",
                   "Connections per second",
                   "per second",
                   t,
                   {{"started", "#64748b", false, counts(&sample::started)},
                    {"succeeded", "#16a34a", false, counts(&sample::succeeded)},
                    {"failed", "#dc2626", false, counts(&sample::failed)},
                    {"dropped", "#ea580c", true, counts(&sample::dropped)}},
                   true});
    out.push_back({"chart-latency",
                   "Latency percentiles",
                   "milliseconds",
                   t,
                   {{"upgrade p50", "#2563eb", false, lat(&sample::upgrade_p50_ns)},
                    {"upgrade p99", "#2563eb", true, lat(&sample::upgrade_p99_ns)},
                    {"rtt p50", "#9333ea", false, lat(&sample::rtt_p50_ns)},
                    {"rtt p99", "#9333ea", true, lat(&sample::rtt_p99_ns)}}});
    return out;
}

constexpr std::string_view style = R"(
:root { color-scheme: light; --fg: #0f172a; --muted: #64748b; --line: #e2e8f0; --card: #f8fafc; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1040px; padding: 24px 28px 48px; color: var(--fg);
       font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 10px; }
.url { font-family: ui-monospace, "DejaVu Sans Mono", monospace; color: #1e40af; word-break: break-all; margin: 0; }
.meta { color: var(--muted); margin: 6px 0 0; } .warn { color: #b45309; font-weight: 600; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 10px; margin-top: 18px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.card .v { font-size: 22px; font-weight: 650; } .card .k { color: var(--muted); font-size: 13px; }
.card.bad .v { color: #dc2626; } .card.good .v { color: #16a34a; }
figure.chart { margin: 14px 0; border: 1px solid var(--line); border-radius: 8px; padding: 6px; }
figure.chart svg { width: 100%; height: auto; display: block; font-size: 12px; }
.grid line { stroke: #eef2f7; } .axis line { stroke: #94a3b8; } .x-ticks line { stroke: #94a3b8; }
.ticks text { fill: var(--muted); } .y-ticks text { text-anchor: end; } .x-ticks text { text-anchor: middle; }
.axis-title { fill: var(--muted); text-anchor: middle; font-size: 12px; }
.chart-title { font-size: 15px; font-weight: 650; fill: var(--fg); }
.legend text { fill: var(--fg); font-size: 12px; } .legend line { stroke-width: 3; }
.series polyline { stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
.no-data { fill: var(--muted); text-anchor: middle; font-size: 14px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 5px 10px; border-bottom: 1px solid var(--line); }
th:first-child, td:first-child, td.text { text-align: left; } th { color: var(--muted); font-weight: 600; }
td.text { word-break: break-word; } footer { color: var(--muted); margin-top: 32px; font-size: 13px; }
)";

void card(std::string& out, std::string_view key, const std::string& value, std::string_view cls = "")
{
    out += "<div class=\"card";
    out += cls.empty() ? "" : " " + std::string(cls);
    out += "\"><div class=\"v\">" + escape(value) + "</div><div class=\"k\">" + std::string(key) +
           "</div></div>";
}

void header(std::string& out, const run_report& r)
{
    const auto& c = r.config;
    out += "<header><h1>wsprobe load report</h1><p class=\"url\">" + escape(c.url) + "</p><p class=\"meta\">";
    out += std::to_string(c.connections) + " connections at " +
           (c.rate > 0 ? human_number(c.rate) + "/s" : "full speed");
    out += c.ramp_s > 0 ? ", ramp " + human_seconds(c.ramp_s) : "";
    out += c.hold_s > 0 ? ", hold " + human_seconds(c.hold_s) : ", held to the end";
    out += c.ping_interval_s > 0 ? ", ping every " + human_seconds(c.ping_interval_s) : "";
    out += c.message_rate > 0 ? ", " + human_number(c.message_rate) + " msg/s each" : "";
    out += ", " + std::to_string(c.threads) + (c.threads == 1 ? " thread" : " threads");
    out += c.source.empty() ? "" : ", from " + escape(c.source);
    out += c.http2.empty() || c.http2 == "off" ? "" : ", HTTP/2 " + escape(c.http2);
    out += c.slo.empty() ? "" : ", SLO " + escape(c.slo);
    out += "; ran " + human_number(r.elapsed_s) + "s of " + human_seconds(c.duration_s) + ".";
    out += r.interrupted ? " <span class=\"warn\">Interrupted before the end.</span>" : "";
    out += "</p></header>\n";
    const auto& t = r.stats.counts;
    out += "<section class=\"cards\">";
    card(out, "attempted", std::to_string(t.attempted));
    card(out, "succeeded", std::to_string(t.succeeded), "good");
    card(out, "failed", std::to_string(t.failed), t.failed > 0 ? "bad" : "");
    card(out, "dropped during hold", std::to_string(t.dropped), t.dropped > 0 ? "bad" : "");
    if (t.unclean_closes > 0) {
        card(out, "unclean closes", std::to_string(t.unclean_closes), "bad");
    }
    card(out, "upgrade p99", human_duration(r.stats.of(metric::upgrade).percentile(99)));
    card(out, "rtt p99", human_duration(r.stats.of(metric::rtt).percentile(99)));
    out += "</section>\n";
}

void latency_table(std::string& out, const load_stats& s)
{
    out += "<section><h2>Latency</h2><table id=\"latency-table\"><thead><tr><th>metric</th><th>count</th>"
           "<th>min</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr></thead><tbody>";
    for (const auto m : {metric::connect, metric::tls, metric::upgrade, metric::established, metric::rtt}) {
        const auto& h = s.of(m);
        out += "<tr><td>" + std::string(to_string(m)) + "</td><td>" + std::to_string(h.count()) +
               "</td><td>" + human_duration(h.min()) + "</td>";
        for (const double p : {50.0, 90.0, 99.0, 99.9}) {
            out += "<td>" + human_duration(h.percentile(p)) + "</td>";
        }
        out += "<td>" + human_duration(h.max()) + "</td></tr>";
    }
    out += "</tbody></table></section>\n";
}

void failures_section(std::string& out, const load_stats& s)
{
    out += "<section><h2>Failures</h2>";
    if (s.failures.empty()) {
        out += "<p class=\"meta\">No connection failed.</p>";
    } else {
        out +=
            "<table id=\"failures-table\"><thead><tr><th>phase/code</th><th>count</th><th>first example</th>"
            "</tr></thead><tbody>";
        for (const auto& [key, f] : s.failures) {
            out += "<tr><td>" + escape(key) + "</td><td>" + std::to_string(f.count) +
                   "</td><td class=\"text\">" + escape(f.example) + "</td></tr>";
        }
        out += "</tbody></table>";
    }
    if (!s.drops_by_code.empty()) {
        out += "<h2>Dropped during hold</h2><table id=\"drops-table\"><thead><tr><th>close "
               "code</th><th>count</th>"
               "</tr></thead><tbody>";
        for (const auto& [code, n] : s.drops_by_code) {
            out += "<tr><td>" + escape(detail::describe_close_code(code)) + "</td><td>" + std::to_string(n) +
                   "</td></tr>";
        }
        out += "</tbody></table>";
    }
    out += "</section>\n";
}

void slo_idle_section(std::string& out, const run_report& r)
{
    if (r.slo) {
        out += "<section><h2>Capacity search: " + escape(r.slo->slo) + "</h2><p class=\"meta\">";
        out += r.slo->highest_rate_held
                   ? "Held up to " + human_number(*r.slo->highest_rate_held) + " connections/s."
                   : "Not held even at the first step.";
        out += "</p><table "
               "id=\"slo-table\"><thead><tr><th>rate</th><th>measured</th><th>held</th><th>failed</th>"
               "</tr></thead><tbody>";
        for (const auto& st : r.slo->steps) {
            out += "<tr><td>" + human_number(st.rate) + "/s</td><td>" + human_duration(st.measured_ns) +
                   "</td><td>" + (st.held ? "yes" : "no") + "</td><td>" + std::to_string(st.failed) +
                   "</td></tr>";
        }
        out += "</tbody></table></section>\n";
    }
    if (r.idle) {
        out += "<section><h2>Idle survival</h2><p class=\"meta\">" + std::to_string(r.idle->held) +
               " held, " + std::to_string(r.idle->cut) + " cut";
        if (r.idle->cut > 0) {
            out += "; first cut after " + human_duration(r.idle->first_cut_after_ns) + ", median after " +
                   human_duration(r.idle->median_cut_after_ns);
        }
        out += ".</p></section>\n";
    }
}

} // namespace

std::string report_html(const run_report& r)
{
    std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                      "<title>wsprobe load: " +
                      escape(r.config.url) + "</title>\n<style>";
    out += style;
    out += "</style>\n</head>\n<body>\n";
    header(out, r);
    out += "<section><h2>Over time</h2>\n";
    for (const auto& c : charts(r.timeline)) {
        out += render_chart(c);
    }
    out += "</section>\n";
    latency_table(out, r.stats);
    failures_section(out, r.stats);
    slo_idle_section(out, r);
    out +=
        "<footer>Generated by wsprobe load. Latencies are HDR histogram percentiles (3 significant digits); "
        "per-second values cover what completed in that second.</footer>\n</body>\n</html>\n";
    return out;
}

} // namespace wsp::load
