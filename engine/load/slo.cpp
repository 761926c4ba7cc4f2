// --slo parsing: "<metric>_p<percentile><<duration>", e.g. upgrade_p99<250ms or rtt_p99.9<20ms.
// Every refusal is a sentence that names the part that is wrong.
#include "engine/load/driver.h"

#include <array>
#include <charconv>
#include <cmath>

#include "engine/load/errc.h"
#include "proto/blanks.h"

namespace wsp::load {
namespace {

constexpr std::array metrics = {metric::connect, metric::tls, metric::upgrade, metric::established,
                                metric::rtt};
constexpr std::string_view example = " (e.g. upgrade_p99<250ms)";

using proto::trim_blanks;

// A plain decimal number: digits with at most one '.', no sign, exponent or hex.
bool parse_decimal(std::string_view s, double& out) noexcept
{
    if (s.empty() || s.front() == '.' || s.back() == '.') {
        return false;
    }
    int dots = 0;
    for (const char c : s) {
        if (c == '.') {
            ++dots;
        } else if (c < '0' || c > '9') {
            return false;
        }
    }
    const auto* end = s.data() + s.size();
    const auto r = std::from_chars(s.data(), end, out);
    return dots <= 1 && r.ec == std::errc{} && r.ptr == end && std::isfinite(out);
}

// "250ms", "1.5s", "800us" in nanoseconds; nullopt when the unit or number is missing.
std::optional<std::int64_t> parse_slo_duration(std::string_view s) noexcept
{
    double scale = 0;
    if (s.ends_with("us")) {
        scale = 1e3;
        s.remove_suffix(2);
    } else if (s.ends_with("ms")) {
        scale = 1e6;
        s.remove_suffix(2);
    } else if (s.ends_with("s")) {
        scale = 1e9;
        s.remove_suffix(1);
    } else {
        return std::nullopt;
    }
    double v = 0;
    // At most one hour: an SLO is a latency bound, and this keeps the product inside int64.
    if (!parse_decimal(s, v) || v * scale > 3.6e12) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(std::llround(v * scale));
}

wsp::expected<slo_spec> refuse(std::string* why, std::string sentence)
{
    if (why != nullptr) {
        *why = std::move(sentence);
    }
    return wsp::fail(errc::bad_slo);
}

} // namespace

wsp::expected<slo_spec> parse_slo(std::string_view text, std::string* why)
{
    const auto whole = trim_blanks(text);
    const auto quoted = "'" + std::string(whole) + "'";
    const auto lt = whole.find('<');
    if (whole.empty()) {
        return refuse(why, "the SLO is empty" + std::string(example));
    }
    if (lt == std::string_view::npos) {
        return refuse(why, "SLO " + quoted + " has no '<' bound" + std::string(example));
    }
    const auto left = trim_blanks(whole.substr(0, lt));
    auto right = trim_blanks(whole.substr(lt + 1));
    if (right.starts_with("=")) {
        return refuse(why, "SLO " + quoted + ": only '<' is supported, not '<='" + std::string(example));
    }
    const auto us = left.find("_p");
    if (us == std::string_view::npos) {
        return refuse(why, "SLO " + quoted + " must name a metric and a percentile, like upgrade_p99");
    }
    slo_spec out;
    const auto name = left.substr(0, us);
    bool known = false;
    for (const auto m : metrics) {
        if (to_string(m) == name) {
            out.what = m;
            known = true;
        }
    }
    if (!known) {
        return refuse(why, "SLO " + quoted + ": unknown metric '" + std::string(name) +
                               "' (use connect, tls, upgrade, established or rtt)");
    }
    double p = 0;
    const auto p_text = left.substr(us + 2);
    // A percentile strictly between 0 and 100: p0 and p100 are the extremes, not percentiles.
    if (!parse_decimal(p_text, p) || !(p > 0) || !(p < 100)) {
        return refuse(why, "SLO " + quoted + ": '" + std::string(p_text) +
                               "' is not a percentile between 0 and 100 (use e.g. p50, p90, p99, p99.9)");
    }
    const auto bound = parse_slo_duration(right);
    if (!bound || *bound <= 0) {
        return refuse(why, "SLO " + quoted + ": '" + std::string(right) +
                               "' is not a positive duration of at most 1 hour with a unit (us, ms or s)");
    }
    out.percentile = p;
    out.below_ns = *bound;
    out.text = std::string(whole);
    return out;
}

} // namespace wsp::load
