// Printable renderings of peer bytes for failure sentences.
#include "http1/detail/text.h"

namespace wsp::http1::detail {

std::string printable(std::string_view s, std::size_t max)
{
    constexpr std::string_view hex = "0123456789abcdef";
    std::string out;
    const std::size_t n = s.size() < max ? s.size() : max;
    out.reserve(n + 3);
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f) {
            out.push_back(static_cast<char>(c));
        } else {
            out += "\\x";
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    if (n < s.size()) {
        out += "...";
    }
    return out;
}

} // namespace wsp::http1::detail
