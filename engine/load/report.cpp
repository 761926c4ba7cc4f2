// Text and JSON renderings of a load run: the live progress line, the final summary table and the
// --json summary (docs/json-load.md). Close codes are named after RFC 6455 §7.4.1.
#include "engine/load/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/load/detail/format.h"
#include "proto/json_writer.h"

namespace wsp::load {
namespace detail {

std::string human_duration(std::int64_t ns)
{
    if (ns <= 0) {
        return "-";
    }
    char buf[32];
    const auto v = static_cast<double>(ns);
    if (ns < 1'000) {
        std::snprintf(buf, sizeof buf, "%lldns", static_cast<long long>(ns));
    } else if (ns < 999'500) { // what would round to 1000us is shown as 1.0ms
        std::snprintf(buf, sizeof buf, v < 99'950 ? "%.1fus" : "%.0fus", v / 1e3);
    } else if (ns < 999'500'000) {
        std::snprintf(buf, sizeof buf, v < 99'950'000 ? "%.1fms" : "%.0fms", v / 1e6);
    } else {
        std::snprintf(buf, sizeof buf, "%.2fs", v / 1e9);
    }
    return buf;
}

std::string human_number(double v)
{
    if (!std::isfinite(v)) {
        return "-";
    }
    char buf[48];
    const double rounded = std::round(v * 10) / 10;
    std::snprintf(buf, sizeof buf, rounded == std::floor(rounded) ? "%.0f" : "%.1f", rounded);
    return buf;
}

std::string human_seconds(double s)
{
    return human_number(s) + "s";
}

std::string printable(std::string_view s)
{
    std::string out(s);
    for (auto& c : out) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            c = '?';
        }
    }
    return out;
}

std::string describe_close_code(std::uint16_t code)
{
    // RFC 6455 §7.4.1: defined status codes; 1006 is never sent, it means no close frame came.
    std::string_view name;
    switch (code) {
    case 1000:
        name = "normal";
        break;
    case 1001:
        name = "going away";
        break;
    case 1002:
        name = "protocol error";
        break;
    case 1003:
        name = "unsupported data";
        break;
    case 1006:
        name = "no close frame";
        break;
    case 1007:
        name = "invalid payload";
        break;
    case 1008:
        name = "policy violation";
        break;
    case 1009:
        name = "message too big";
        break;
    case 1011:
        name = "server error";
        break;
    case 1012:
        name = "service restart";
        break;
    case 1013:
        name = "try again later";
        break;
    default:
        name = code >= 4000 ? "application" : "";
        break;
    }
    auto out = std::to_string(code);
    if (!name.empty()) {
        out += " (" + std::string(name) + ")";
    }
    return out;
}

} // namespace detail

namespace {

using detail::human_duration;
using detail::human_number;
using detail::human_seconds;
using detail::printable;

constexpr metric all_metrics[] = {metric::connect, metric::tls, metric::upgrade, metric::established,
                                  metric::rtt};
constexpr double table_percentiles[] = {50, 90, 99, 99.9};

std::uint64_t in_progress(const totals& t)
{
    const auto done = t.succeeded + t.failed;
    return t.attempted > done ? t.attempted - done : 0;
}

std::string pad_left(std::string s, std::size_t width)
{
    return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

std::string pad_right(std::string s, std::size_t width)
{
    return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

double ms(std::int64_t ns)
{
    return static_cast<double>(ns) / 1e6;
}

// Per-second percentiles are 0 when nothing completed in that second: JSON null.
void ms_or_null(proto::json_writer& w, std::string_view key, std::int64_t ns)
{
    w.key(key);
    if (ns > 0) {
        w.value(ms(ns));
    } else {
        w.null();
    }
}

std::string hold_text(const run_config& c)
{
    return c.hold_s > 0 ? "hold " + human_seconds(c.hold_s) : "held to the end";
}

void latency_table(std::string& out, const load_stats& s)
{
    out += "\nlatency        count      min      p50      p90      p99    p99.9      max\n";
    for (const auto m : all_metrics) {
        const auto& h = s.of(m);
        if (h.count() == 0) {
            continue;
        }
        out += pad_right(std::string(to_string(m)), 12) + pad_left(std::to_string(h.count()), 8);
        out += pad_left(human_duration(h.min()), 9);
        for (const double p : table_percentiles) {
            out += pad_left(human_duration(h.percentile(p)), 9);
        }
        out += pad_left(human_duration(h.max()), 9) + "\n";
    }
}

void failures_text(std::string& out, const load_stats& s)
{
    if (!s.failures.empty()) {
        out += "\nfailures (phase/code, count, first example)\n";
        for (const auto& [key, f] : s.failures) {
            out += "  " + pad_right(printable(key), 32) + pad_left(std::to_string(f.count), 8);
            out += "  " + printable(f.example) + "\n";
        }
    }
    if (!s.drops_by_code.empty()) {
        out += "\ndropped during hold (close code, count)\n";
        for (const auto& [code, n] : s.drops_by_code) {
            out += "  " + pad_right(detail::describe_close_code(code), 32) + pad_left(std::to_string(n), 8) +
                   "\n";
        }
    }
}

void slo_text(std::string& out, const slo_result& r)
{
    out += "\nslo " + printable(r.slo) + ": ";
    out += r.highest_rate_held ? "held up to " + human_number(*r.highest_rate_held) + "/s\n"
                               : "not held even at the first step\n";
    out += "      rate  measured  held  failed\n";
    for (const auto& st : r.steps) {
        out += pad_left(human_number(st.rate) + "/s", 10) + pad_left(human_duration(st.measured_ns), 10);
        out += pad_left(st.held ? "yes" : "no", 6) + pad_left(std::to_string(st.failed), 8) + "\n";
    }
}

void idle_text(std::string& out, const idle_survival& i)
{
    out += "\nidle survival: " + std::to_string(i.held) + " held, " + std::to_string(i.cut) + " cut";
    if (i.cut > 0) {
        out += ", first after " + human_duration(i.first_cut_after_ns) + ", median after " +
               human_duration(i.median_cut_after_ns);
    }
    out += "\n";
}

void histogram_json(proto::json_writer& w, const histogram& h)
{
    w.begin_object();
    w.key("count").value(h.count());
    w.key("min").value(ms(h.min()));
    w.key("mean").value(h.mean() / 1e6);
    w.key("p50").value(ms(h.percentile(50)));
    w.key("p90").value(ms(h.percentile(90)));
    w.key("p99").value(ms(h.percentile(99)));
    w.key("p99_9").value(ms(h.percentile(99.9)));
    w.key("max").value(ms(h.max()));
    w.key("histogram").value(h.encode());
    w.end_object();
}

void config_json(proto::json_writer& w, const run_config& c)
{
    w.key("config").begin_object();
    w.key("url").value(c.url);
    w.key("connections").value(c.connections);
    w.key("rate").value(c.rate);
    w.key("ramp_s").value(c.ramp_s);
    w.key("duration_s").value(c.duration_s);
    w.key("hold_s").value(c.hold_s);
    w.key("ping_interval_s").value(c.ping_interval_s);
    w.key("message_rate").value(c.message_rate);
    w.key("threads").value(c.threads);
    w.key("source").value(c.source);
    w.key("http2").value(c.http2);
    w.key("slo").value(c.slo);
    w.end_object();
}

void totals_json(proto::json_writer& w, const totals& t)
{
    w.key("totals").begin_object();
    w.key("attempted").value(t.attempted);
    w.key("succeeded").value(t.succeeded);
    w.key("failed").value(t.failed);
    w.key("in_progress").value(in_progress(t));
    w.key("dropped").value(t.dropped);
    w.key("closed").value(t.closed);
    w.key("unclean_closes").value(t.unclean_closes);
    w.key("cut_by_interrupt").value(t.cut_by_interrupt);
    w.key("messages_sent").value(t.messages_sent);
    w.key("messages_received").value(t.messages_received);
    w.key("pings_sent").value(t.pings_sent);
    w.key("pongs_received").value(t.pongs_received);
    w.key("late_starts").value(t.late_starts);
    w.end_object();
}

void failures_json(proto::json_writer& w, const load_stats& s)
{
    w.key("failures").begin_array();
    for (const auto& [key, f] : s.failures) {
        const auto slash = key.find('/');
        w.begin_object();
        w.key("phase").value(std::string_view(key).substr(0, slash));
        w.key("code").value(slash == std::string::npos ? std::string_view{}
                                                       : std::string_view(key).substr(slash + 1));
        w.key("count").value(f.count);
        w.key("example").value(f.example);
        w.end_object();
    }
    w.end_array();
    w.key("drops").begin_array();
    for (const auto& [code, n] : s.drops_by_code) {
        w.begin_object().key("close_code").value(unsigned{code}).key("count").value(n).end_object();
    }
    w.end_array();
}

void timeline_json(proto::json_writer& w, const std::vector<sample>& timeline)
{
    w.key("timeline").begin_array();
    for (const auto& s : timeline) {
        w.begin_object();
        w.key("t_s").value(s.t_s);
        w.key("open").value(s.open);
        w.key("started").value(s.started);
        w.key("succeeded").value(s.succeeded);
        w.key("failed").value(s.failed);
        w.key("dropped").value(s.dropped);
        w.key("messages").value(s.messages);
        ms_or_null(w, "upgrade_p50_ms", s.upgrade_p50_ns);
        ms_or_null(w, "upgrade_p99_ms", s.upgrade_p99_ns);
        ms_or_null(w, "established_p50_ms", s.established_p50_ns);
        ms_or_null(w, "established_p99_ms", s.established_p99_ns);
        ms_or_null(w, "rtt_p50_ms", s.rtt_p50_ns);
        ms_or_null(w, "rtt_p99_ms", s.rtt_p99_ns);
        w.end_object();
    }
    w.end_array();
}

void slo_idle_json(proto::json_writer& w, const run_report& r)
{
    w.key("slo");
    if (r.slo) {
        w.begin_object();
        w.key("slo").value(r.slo->slo);
        w.key("highest_rate_held");
        if (r.slo->highest_rate_held) {
            w.value(*r.slo->highest_rate_held);
        } else {
            w.null();
        }
        w.key("steps").begin_array();
        for (const auto& st : r.slo->steps) {
            w.begin_object().key("rate").value(st.rate).key("measured_ms").value(ms(st.measured_ns));
            w.key("held").value(st.held).key("failed").value(st.failed).end_object();
        }
        w.end_array().end_object();
    } else {
        w.null();
    }
    w.key("idle");
    if (r.idle) {
        w.begin_object();
        w.key("held").value(r.idle->held).key("cut").value(r.idle->cut);
        w.key("first_cut_after_s").value(static_cast<double>(r.idle->first_cut_after_ns) / 1e9);
        w.key("median_cut_after_s").value(static_cast<double>(r.idle->median_cut_after_ns) / 1e9);
        w.end_object();
    } else {
        w.null();
    }
}

} // namespace

std::string progress_line(const sample& s, std::uint64_t errors_total)
{
    char head[32];
    std::snprintf(head, sizeof head, "%.1fs", s.t_s);
    std::string out = head;
    out += " open " + std::to_string(s.open) + " rate " + std::to_string(s.started) + "/s";
    out += " upgrade p50 " + human_duration(s.upgrade_p50_ns) + " p99 " + human_duration(s.upgrade_p99_ns);
    if (s.rtt_p99_ns > 0) {
        out += " rtt p99 " + human_duration(s.rtt_p99_ns);
    }
    if (s.messages > 0) {
        out += " msgs " + std::to_string(s.messages) + "/s";
    }
    if (s.dropped > 0) {
        out += " dropped " + std::to_string(s.dropped);
    }
    out += " errors " + std::to_string(errors_total);
    return out;
}

std::string summary_text(const run_report& r)
{
    const auto& c = r.config;
    const auto& t = r.stats.counts;
    std::string out = "wsprobe load " + printable(c.url) + (r.interrupted ? "  (interrupted)" : "") + "\n";
    out += "  " + std::to_string(c.connections) + " connections at " +
           (c.rate > 0 ? human_number(c.rate) + "/s" : std::string("full speed"));
    if (c.ramp_s > 0) {
        out += " (ramp " + human_seconds(c.ramp_s) + ")";
    }
    out += ", " + hold_text(c) + ", " + std::to_string(c.threads) + (c.threads == 1 ? " thread" : " threads");
    out += ", ran " + human_number(r.elapsed_s) + "s of " + human_seconds(c.duration_s) + "\n";
    out += "\nconnections  attempted " + std::to_string(t.attempted) + "  succeeded " +
           std::to_string(t.succeeded) + "  failed " + std::to_string(t.failed) + "  in progress " +
           std::to_string(in_progress(t)) + "  dropped " + std::to_string(t.dropped) + "  closed " +
           std::to_string(t.closed) +
           (t.unclean_closes > 0 ? "  unclean closes " + std::to_string(t.unclean_closes) : "") +
           (t.cut_by_interrupt > 0 ? "  cut by interrupt " + std::to_string(t.cut_by_interrupt) : "") + "\n";
    if (t.unclean_closes > 0) {
        out += "unclean      " + std::to_string(t.unclean_closes) +
               " closed by wsprobe did not finish the close handshake: no close frame came back within "
               "--close-timeout of ours, or the connection failed while closing (RFC 6455 7.1.2)\n";
    }
    if (t.messages_sent + t.pings_sent > 0) {
        out += "messages     sent " + std::to_string(t.messages_sent) + "  received " +
               std::to_string(t.messages_received) + "  pings " + std::to_string(t.pings_sent) + "  pongs " +
               std::to_string(t.pongs_received) + "\n";
    }
    if (t.late_starts > 0) {
        out += "late starts  " + std::to_string(t.late_starts) +
               " (began more than 1 ms after their schedule)\n";
    }
    latency_table(out, r.stats);
    failures_text(out, r.stats);
    if (r.slo) {
        slo_text(out, *r.slo);
    }
    if (r.idle) {
        idle_text(out, *r.idle);
    }
    return out;
}

std::string summary_json(const run_report& r)
{
    std::string out;
    proto::json_writer w(out);
    w.begin_object();
    w.key("version").value(1);
    config_json(w, r.config);
    w.key("elapsed_s").value(r.elapsed_s);
    w.key("interrupted").value(r.interrupted);
    totals_json(w, r.stats.counts);
    w.key("latency_ms").begin_object();
    for (const auto m : all_metrics) {
        w.key(to_string(m));
        histogram_json(w, r.stats.of(m));
    }
    w.end_object();
    failures_json(w, r.stats);
    timeline_json(w, r.timeline);
    slo_idle_json(w, r);
    w.end_object();
    return out;
}

} // namespace wsp::load
