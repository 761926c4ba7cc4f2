// A load run's measurements: failures by phase and code, drops by close code (RFC 6455 §7.4),
// and the merge that combines reactors (and machines) into one set of numbers.
#include "engine/load/stats.h"

namespace wsp::load {
namespace {

// A failure sentence can quote the server (a reason phrase, a close reason); keep one example
// short enough that a hostile server cannot grow the report.
constexpr std::size_t max_example_bytes = 300;

std::string clip_utf8(std::string_view s, std::size_t max)
{
    if (s.size() <= max) {
        return std::string(s);
    }
    std::size_t end = max;
    // Back up to a code point boundary (never split a UTF-8 sequence: continuation bytes 10xxxxxx).
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) {
        --end;
    }
    return std::string(s.substr(0, end)) + "...";
}

} // namespace

std::string_view to_string(metric m) noexcept
{
    switch (m) {
    case metric::connect:
        return "connect";
    case metric::tls:
        return "tls";
    case metric::upgrade:
        return "upgrade";
    case metric::established:
        return "established";
    case metric::rtt:
        return "rtt";
    }
    return "unknown";
}

void load_stats::add_failure(proto::phase p, std::string_view code, std::string_view sentence)
{
    std::string key(proto::to_string(p));
    key += '/';
    key += code;
    auto& f = failures[key];
    if (f.count == 0) {
        f.example = clip_utf8(sentence, max_example_bytes);
    }
    ++f.count;
    ++counts.failed;
}

void load_stats::add_drop(std::uint16_t close_code)
{
    ++drops_by_code[close_code];
    ++counts.dropped;
}

wsp::expected<void> load_stats::merge(const load_stats& o)
{
    for (std::size_t i = 0; i < metric_count; ++i) {
        if (auto r = latency[i].merge(o.latency[i]); !r) {
            return r;
        }
    }
    counts.attempted += o.counts.attempted;
    counts.succeeded += o.counts.succeeded;
    counts.failed += o.counts.failed;
    counts.dropped += o.counts.dropped;
    counts.closed += o.counts.closed;
    counts.unclean_closes += o.counts.unclean_closes;
    counts.cut_by_interrupt += o.counts.cut_by_interrupt;
    counts.messages_sent += o.counts.messages_sent;
    counts.messages_received += o.counts.messages_received;
    counts.pings_sent += o.counts.pings_sent;
    counts.pongs_received += o.counts.pongs_received;
    counts.late_starts += o.counts.late_starts;
    for (const auto& [key, f] : o.failures) {
        auto& mine = failures[key];
        if (mine.count == 0) {
            mine.example = f.example;
        }
        mine.count += f.count;
    }
    for (const auto& [code, n] : o.drops_by_code) {
        drops_by_code[code] += n;
    }
    return {};
}

} // namespace wsp::load
