// Preview of peer bytes and the padded simdjson DOM reader shared by presets and assertions.
#include "proto/assert/support.h"

#include <cstdio>

namespace wsp::proto {

std::string preview(std::string_view bytes, std::size_t limit)
{
    std::string out;
    const std::size_t shown = bytes.size() < limit ? bytes.size() : limit;
    out.reserve(shown + 16);
    out.push_back('"');
    for (std::size_t i = 0; i < shown; ++i) {
        const auto c = static_cast<unsigned char>(bytes[i]);
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out.push_back(static_cast<char>(c));
        } else if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
        } else {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02X", c);
            out.append(hex, 4);
        }
    }
    out.push_back('"');
    if (shown < bytes.size()) {
        out += "... (";
        out += std::to_string(bytes.size());
        out += " bytes)";
    }
    return out;
}

simdjson::simdjson_result<simdjson::dom::element> json_reader::parse(std::string_view text) noexcept
{
    if (text.size() > max_bytes_) {
        return simdjson::CAPACITY;
    }
    // simdjson reads up to SIMDJSON_PADDING bytes past the end; copying into a reused buffer
    // with that much slack avoids the per-call padded copy parse() would otherwise allocate.
    try {
        scratch_.assign(text);
        scratch_.resize(text.size() + simdjson::SIMDJSON_PADDING);
    } catch (...) {
        return simdjson::MEMALLOC;
    }
    return parser_.parse(scratch_.data(), text.size(), false);
}

std::string_view string_member(simdjson::dom::element e, std::string_view key) noexcept
{
    std::string_view out;
    if (e[key].get_string().get(out) != simdjson::SUCCESS) {
        return {};
    }
    return out;
}

std::string compact(simdjson::dom::element e)
{
    return simdjson::minify(e);
}

} // namespace wsp::proto
