// --expect-close CODES: a list of close codes and ranges ("4401", "4400-4499,1000") matched
// against the code of the server's close frame (RFC 6455 §7.4).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/assert/errc.h"
#include "proto/assert/expect.h"
#include "proto/assert/support.h"

namespace wsp::proto::assertion {

class close_code_set {
public:
    // Comma-separated codes or lo-hi ranges, each within 1000-4999, spaces allowed around items.
    [[nodiscard]] static checked<close_code_set> parse(std::string_view text);

    [[nodiscard]] bool contains(std::uint16_t code) const noexcept;
    // Canonical text: "1000,4400-4499".
    [[nodiscard]] std::string text() const;
    // ok when the code is in the set; nullopt (no close frame) is no_close_frame.
    [[nodiscard]] verdict match(std::optional<std::uint16_t> code, std::string_view reason = {}) const;

private:
    struct range {
        std::uint16_t lo;
        std::uint16_t hi;
    };
    std::vector<range> ranges_;
};

} // namespace wsp::proto::assertion
