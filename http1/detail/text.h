// Text helpers for failure sentences: peer bytes made safe to print. Internal header.
#pragma once

#include <string>
#include <string_view>

namespace wsp::http1::detail {

// `s` with bytes outside printable ASCII written as \xNN, cut to `max` input bytes with "..."
// appended when longer. Allocates; failure paths only.
[[nodiscard]] std::string printable(std::string_view s, std::size_t max = 200);

} // namespace wsp::http1::detail
