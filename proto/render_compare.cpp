// Side-by-side rendering of the HTTP/1.1 and HTTP/2 runs of --compare-transports.
#include "proto/render_compare.h"

#include <algorithm>
#include <array>
#include <vector>

#include "proto/json_writer.h"
#include "proto/text_style.h"
#include "proto/verdict.h"

namespace wsp::proto {
namespace {

constexpr std::size_t label_width = 10;

struct row {
    std::string label;
    std::string http1;
    std::string h2;
};

using text::pad;

std::string phase_cell(const check_result& r, phase p)
{
    const auto d = r.duration(p);
    if (r.failed_phase == p) {
        return d ? "FAILED (" + format_ms(*d) + ")" : "FAILED";
    }
    return d ? format_ms(*d) : "-";
}

std::string protocol_cell(const check_result& r)
{
    if (r.negotiated.http_version.empty()) {
        return "-";
    }
    std::string s = r.negotiated.http_version;
    if (r.negotiated.status) {
        s += " " + std::to_string(*r.negotiated.status);
    }
    if (r.negotiated.subprotocol) {
        s += ", " + *r.negotiated.subprotocol;
    }
    return s;
}

std::string tls_cell(const check_result& r)
{
    if (!r.tls) {
        return "-";
    }
    return r.tls->version + (r.tls->alpn.empty() ? ", no ALPN" : ", ALPN " + r.tls->alpn);
}

std::vector<row> table(const compare_result& r)
{
    const check_result& a = r.http1;
    const check_result& b = r.h2;
    std::vector<row> rows;
    rows.push_back({"", "HTTP/1.1", b.url.starts_with("ws://") ? "HTTP/2 (h2c)" : "HTTP/2"});
    for (std::size_t i = 0; i < phase_count; ++i) {
        const auto p = static_cast<phase>(i);
        if (a.duration(p) || b.duration(p) || a.failed_phase == p || b.failed_phase == p) {
            rows.push_back({std::string(to_string(p)), phase_cell(a, p), phase_cell(b, p)});
        }
    }
    rows.push_back({"total", format_ms(a.total_ns), format_ms(b.total_ns)});
    rows.push_back({"status", std::string(to_string(a.status)), std::string(to_string(b.status))});
    rows.push_back({"code", a.code, b.code});
    rows.push_back({"peer", a.peer_address.empty() ? "-" : a.peer_address,
                    b.peer_address.empty() ? "-" : b.peer_address});
    rows.push_back({"protocol", protocol_cell(a), protocol_cell(b)});
    if (a.tls || b.tls) {
        rows.push_back({"tls/alpn", tls_cell(a), tls_cell(b)});
    }
    return rows;
}

std::string verdict_line(const compare_result& r, text_style style)
{
    const check_result& c = r.combined;
    std::string out = text::status_word(c.status, style.color);
    if (c.status == check_status::down) {
        out += " at " + std::string(c.failed_phase ? to_string(*c.failed_phase) : "check") + ": " +
               c.sentence + " [" + c.code + "]";
    } else {
        out += " in " + format_ms(c.total_ns);
        out += r.agreement == transport_agreement::h2_not_offered ? " over HTTP/1.1 (HTTP/2 not offered)"
                                                                  : " over HTTP/1.1 and HTTP/2";
    }
    return out + '\n';
}

} // namespace

std::string render_compare_text(const compare_result& r, text_style style)
{
    std::string out = "wsprobe check --compare-transports " + r.combined.url + '\n';
    const auto rows = table(r);
    std::size_t left = 0;
    for (const auto& x : rows) {
        left = std::max(left, x.http1.size());
    }
    for (const auto& x : rows) {
        out += "  ";
        pad(out, x.label, label_width);
        pad(out, x.http1, left + 3);
        out += x.h2;
        while (!out.empty() && out.back() == ' ') {
            out.pop_back();
        }
        out += '\n';
    }
    const std::array<std::pair<std::string_view, const check_result*>, 2> runs = {
        std::pair<std::string_view, const check_result*>{"HTTP/1.1", &r.http1}, {rows[0].h2, &r.h2}};
    for (const auto& [label, res] : runs) {
        if (!res->sentence.empty()) {
            out += "  ";
            pad(out, label, label_width);
            out += res->sentence + '\n';
        }
    }
    out += verdict_line(r, style);
    for (const auto& w : r.combined.warnings) {
        out += "  warning: " + w + '\n';
    }
    return out;
}

std::string render_compare_json(const compare_result& r)
{
    const check_result& c = r.combined;
    std::string out;
    json_writer w(out);
    w.begin_object();
    w.key("url").value(c.url);
    w.key("status").value(to_string(c.status));
    w.key("failed_phase");
    if (c.failed_phase) {
        w.value(to_string(*c.failed_phase));
    } else {
        w.null();
    }
    w.key("code").value(c.code);
    w.key("class").value(wsp::to_string(c.cls));
    w.key("message").value(c.sentence);
    w.key("warnings").begin_array();
    for (const auto& s : c.warnings) {
        w.value(s);
    }
    w.end_array();
    w.key("total_ms").value(static_cast<double>(c.total_ns) / 1e6);
    w.key("agreement").value(to_string(r.agreement));
    w.key("transports").begin_object();
    w.key("http1");
    write_json(w, r.http1);
    w.key("h2");
    write_json(w, r.h2);
    w.end_object();
    w.end_object();
    out += '\n';
    return out;
}

} // namespace wsp::proto
