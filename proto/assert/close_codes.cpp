// Parsing and matching of --expect-close code lists (RFC 6455 §7.4.1-§7.4.2 code ranges).
#include "proto/assert/close_codes.h"

#include <charconv>

#include "proto/blanks.h"

namespace wsp::proto::assertion {
namespace {

using proto::trim_blanks;

bool parse_code(std::string_view s, std::uint16_t& out) noexcept
{
    s = trim_blanks(s);
    unsigned v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    // RFC 6455 §7.4.2: codes below 1000 are unused; 5000 and above are outside the registry.
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v < 1000 || v > 4999) {
        return false;
    }
    out = static_cast<std::uint16_t>(v);
    return true;
}

} // namespace

checked<close_code_set> close_code_set::parse(std::string_view text)
{
    close_code_set set;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const std::size_t comma = std::min(text.find(',', pos), text.size());
        const std::string_view item = trim_blanks(text.substr(pos, comma - pos));
        pos = comma + 1;
        const std::size_t dash = item.find('-');
        range r{};
        const bool ok = dash == std::string_view::npos ? parse_code(item, r.lo) && (r.hi = r.lo, true)
                                                       : parse_code(item.substr(0, dash), r.lo) &&
                                                             parse_code(item.substr(dash + 1), r.hi);
        if (!ok || r.lo > r.hi) {
            return tl::unexpected(
                problem{errc::bad_close_codes,
                        "--expect-close item " + preview(item) +
                            " is not a close code or range within 1000-4999 (e.g. 4401 or 4400-4499)"});
        }
        set.ranges_.push_back(r);
    }
    return set;
}

bool close_code_set::contains(std::uint16_t code) const noexcept
{
    for (const range& r : ranges_) {
        if (code >= r.lo && code <= r.hi) {
            return true;
        }
    }
    return false;
}

std::string close_code_set::text() const
{
    std::string out;
    for (const range& r : ranges_) {
        if (!out.empty()) {
            out += ',';
        }
        out += std::to_string(r.lo);
        if (r.hi != r.lo) {
            out += '-' + std::to_string(r.hi);
        }
    }
    return out;
}

verdict close_code_set::match(std::optional<std::uint16_t> code, std::string_view reason) const
{
    if (!code) {
        return {errc::no_close_frame, "Expected a close frame with code " + text() + "; none was received"};
    }
    if (contains(*code)) {
        return {};
    }
    std::string why = "Expected close code " + text() + "; the server closed with " + std::to_string(*code);
    if (!reason.empty()) {
        why += ", reason " + preview(reason);
    }
    return {errc::unexpected_close_code, std::move(why)};
}

} // namespace wsp::proto::assertion
