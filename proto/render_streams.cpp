// --h2-streams: the shared connection once, a row per stream, one verdict.
#include "proto/render_streams.h"

#include <algorithm>
#include <array>
#include <vector>

#include "proto/json_writer.h"
#include "proto/text_style.h"
#include "proto/verdict.h"

namespace wsp::proto {
namespace {

using text::pad;

// Phases of the shared connection, run once for every stream.
constexpr std::array<phase, 3> connection_phases = {phase::dns, phase::tcp, phase::tls};
// Phases each stream runs on its own.
constexpr std::array<phase, 4> stream_phases = {phase::upgrade, phase::app_init, phase::rtt, phase::close};

std::string cell(const check_result& r, phase p)
{
    const auto d = r.duration(p);
    if (r.failed_phase == p) {
        return d ? "FAILED (" + format_ms(*d) + ")" : "FAILED";
    }
    return d ? format_ms(*d) : "-";
}

std::string stream_name(std::int32_t id)
{
    return id > 0 ? std::to_string(id) : "-";
}

// Texts with the streams they came from, each text once, in the order first met: a failing
// stream's sentence, or each warning of every stream.
using grouped = std::vector<std::pair<std::string, std::vector<std::int32_t>>>;

void add_to(grouped& g, const std::string& text, std::int32_t id)
{
    auto it = std::find_if(g.begin(), g.end(), [&](const auto& e) { return e.first == text; });
    if (it == g.end()) {
        it = g.insert(g.end(), {text, {}});
    }
    it->second.push_back(id);
}

grouped sentences_of(std::span<const check_result> results, std::span<const std::int32_t> ids)
{
    grouped g;
    for (std::size_t i = 0; i < results.size(); ++i) {
        if (results[i].status != check_status::up && !results[i].sentence.empty()) {
            add_to(g, results[i].sentence, ids[i]);
        }
    }
    return g;
}

grouped warnings_of(std::span<const check_result> results, std::span<const std::int32_t> ids)
{
    grouped g;
    for (std::size_t i = 0; i < results.size(); ++i) {
        for (const auto& w : results[i].warnings) {
            add_to(g, w, ids[i]);
        }
    }
    return g;
}

// "stream 3" or "streams 1, 3, 5".
std::string streams_text(const std::vector<std::int32_t>& ids)
{
    std::string out = ids.size() == 1 ? "stream " : "streams ";
    for (std::size_t k = 0; k < ids.size(); ++k) {
        out += (k == 0 ? "" : ", ") + stream_name(ids[k]);
    }
    return out;
}

std::int64_t longest(std::span<const check_result> results)
{
    std::int64_t t = 0;
    for (const auto& r : results) {
        t = std::max(t, r.total_ns);
    }
    return t;
}

// The connection failed before any stream was opened: every result says the same.
bool no_stream(std::span<const std::int32_t> ids)
{
    return std::all_of(ids.begin(), ids.end(), [](std::int32_t id) { return id <= 0; });
}

std::string counts_text(const streams_summary& s, std::size_t n)
{
    std::string out = std::to_string(s.up) + " of " + std::to_string(n) + " streams up";
    if (s.degraded > 0) {
        out += ", " + std::to_string(s.degraded) + " degraded";
    }
    if (s.down > 0) {
        out += ", " + std::to_string(s.down) + " down";
    }
    return out;
}

void table(std::string& out, std::span<const check_result> results, std::span<const std::int32_t> ids)
{
    std::vector<phase> shown;
    for (const phase p : stream_phases) {
        if (std::any_of(results.begin(), results.end(),
                        [p](const check_result& r) { return r.duration(p) || r.failed_phase == p; })) {
            shown.push_back(p);
        }
    }
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> head{"stream", "status"};
    for (const phase p : shown) {
        head.emplace_back(to_string(p));
    }
    head.insert(head.end(), {"total", "code"});
    rows.push_back(std::move(head));
    for (std::size_t i = 0; i < results.size(); ++i) {
        const check_result& r = results[i];
        std::vector<std::string> row{stream_name(ids[i]), std::string(to_string(r.status))};
        for (const phase p : shown) {
            row.push_back(cell(r, p));
        }
        row.push_back(format_ms(r.total_ns));
        row.push_back(r.code);
        rows.push_back(std::move(row));
    }
    std::vector<std::size_t> width(rows.front().size(), 0);
    for (const auto& row : rows) {
        for (std::size_t c = 0; c < row.size(); ++c) {
            width[c] = std::max(width[c], row[c].size());
        }
    }
    for (const auto& row : rows) {
        out += "  ";
        for (std::size_t c = 0; c + 1 < row.size(); ++c) {
            pad(out, row[c], width[c] + 3);
        }
        out += row.back() + '\n';
    }
}

} // namespace

streams_summary summarize_streams(std::span<const check_result> results) noexcept
{
    streams_summary s;
    s.status = check_status::up;
    for (std::size_t i = 0; i < results.size(); ++i) {
        const check_status st = results[i].status;
        ++(st == check_status::up ? s.up : st == check_status::degraded ? s.degraded : s.down);
        if (static_cast<int>(st) > static_cast<int>(s.status)) {
            s.status = st;
            s.worst = i;
        }
    }
    if (results.empty()) {
        s.status = check_status::down;
    }
    return s;
}

std::string render_streams_text(std::span<const check_result> results,
                                std::span<const std::int32_t> stream_ids, text_style style)
{
    const streams_summary s = summarize_streams(results);
    const check_result& first = results.front();
    std::string out = "wsprobe check --h2-streams " + std::to_string(results.size()) + " " + first.url + '\n';
    // The connection: its phases from the first result (every result carries the same).
    for (const phase p : connection_phases) {
        if (!first.duration(p) && first.failed_phase != p) {
            continue;
        }
        out += "  ";
        pad(out, to_string(p), 10);
        out += cell(first, p);
        if (p == phase::tcp && !first.peer_address.empty()) {
            out += "   " + first.peer_address;
        } else if (p == phase::tls && first.tls) {
            out += "   " + first.tls->version +
                   (first.tls->alpn.empty() ? ", no ALPN" : ", ALPN " + first.tls->alpn);
        }
        out += '\n';
    }
    if (no_stream(stream_ids)) {
        out += text::status_word(s.status, style.color);
        out += " at " + std::string(first.failed_phase ? to_string(*first.failed_phase) : "check") + ": " +
               first.sentence + " [" + first.code + "] (no stream was opened)\n";
        return out;
    }
    table(out, results, stream_ids);
    // Each sentence once, with the streams that share it ("streams 1, 3, 5: ...").
    for (const auto& [why, ids] : sentences_of(results, stream_ids)) {
        out += "  " + streams_text(ids) + ": " + why + '\n';
    }
    out += text::status_word(s.status, style.color);
    const check_result& w = results[s.worst];
    if (s.status == check_status::down) {
        out += " at " + std::string(w.failed_phase ? to_string(*w.failed_phase) : "check") + " on stream " +
               stream_name(stream_ids[s.worst]) + ": " + w.sentence + " [" + w.code + "] (" +
               counts_text(s, results.size()) + ")\n";
    } else {
        out += ": " + counts_text(s, results.size()) + " on one HTTP/2 connection in " +
               format_ms(longest(results)) + '\n';
    }
    for (const auto& [warning, ids] : warnings_of(results, stream_ids)) {
        out += "  warning (" + streams_text(ids) + "): " + warning + '\n';
    }
    return out;
}

std::string render_streams_json(std::span<const check_result> results,
                                std::span<const std::int32_t> stream_ids)
{
    const streams_summary s = summarize_streams(results);
    const check_result& w = results[s.worst];
    const bool failed = s.status != check_status::up;
    std::string out;
    json_writer j(out);
    j.begin_object();
    j.key("url").value(results.front().url);
    j.key("status").value(to_string(s.status));
    j.key("failed_phase");
    if (failed && w.failed_phase) {
        j.value(to_string(*w.failed_phase));
    } else {
        j.null();
    }
    j.key("code").value(failed ? w.code : std::string("ok"));
    j.key("class").value(wsp::to_string(failed ? w.cls : wsp::failure_class::none));
    j.key("message").value(failed ? w.sentence : std::string());
    j.key("failed_stream");
    if (failed && stream_ids[s.worst] > 0) {
        j.value(static_cast<std::int64_t>(stream_ids[s.worst]));
    } else {
        j.null();
    }
    j.key("warnings").begin_array();
    for (const auto& [warning, ids] : warnings_of(results, stream_ids)) {
        j.value(streams_text(ids) + ": " + warning);
    }
    j.end_array();
    j.key("total_ms").value(static_cast<double>(longest(results)) / 1e6);
    j.key("streams_requested").value(static_cast<std::uint64_t>(results.size()));
    j.key("streams_up").value(static_cast<std::uint64_t>(s.up));
    j.key("streams_degraded").value(static_cast<std::uint64_t>(s.degraded));
    j.key("streams_down").value(static_cast<std::uint64_t>(s.down));
    j.key("streams").begin_array();
    for (std::size_t i = 0; i < results.size(); ++i) {
        j.begin_object();
        j.key("stream_id");
        if (stream_ids[i] > 0) {
            j.value(static_cast<std::int64_t>(stream_ids[i]));
        } else {
            j.null();
        }
        j.key("result");
        write_json(j, results[i]);
        j.end_object();
    }
    j.end_array();
    j.end_object();
    out += '\n';
    return out;
}

} // namespace wsp::proto
