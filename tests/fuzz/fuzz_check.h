// The fuzz targets' assertion: a property that does not hold aborts, which libFuzzer reports
// with the input (and the replay test fails on).
#pragma once

#include <cstdlib>

namespace wsp::fuzz {

inline void check(bool ok)
{
    if (!ok) {
        std::abort();
    }
}

} // namespace wsp::fuzz
