// Errors of the load module: histogram merge and decoding (the text form exchanged between
// machines), --slo parsing, and run configuration the engine cannot meet.
#pragma once

#include <cstdint>

#include "proto/error.h"

namespace wsp::load {

enum class errc : std::uint16_t {
    ok = 0,
    precision_mismatch = 1, // two histograms with different significant digits cannot merge
    bad_histogram = 2,      // a histogram's text form is not "hist1:..." or is inconsistent
    bad_slo = 3,            // an --slo text is not "<metric>_p<NN><<duration>"
    bad_config = 4,         // load options the engine cannot meet (said in a sentence)
};

[[nodiscard]] const wsp::error_domain& domain_of(errc) noexcept;

} // namespace wsp::load
