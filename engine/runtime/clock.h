// CLOCK_MONOTONIC timestamps (clock_gettime(2)) and absolute deadlines on that clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <limits>

namespace wsp::rt {

// Nanoseconds on CLOCK_MONOTONIC. Cheap (vDSO); callable from any thread.
[[nodiscard]] inline std::int64_t mono_now() noexcept
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// An absolute point on CLOCK_MONOTONIC (ns). The default value means "no deadline".
struct deadline {
    std::int64_t at_ns = std::numeric_limits<std::int64_t>::max();

    [[nodiscard]] static deadline after(std::chrono::nanoseconds d) noexcept
    {
        return deadline{mono_now() + d.count()};
    }
    [[nodiscard]] static constexpr deadline never() noexcept { return deadline{}; }
    [[nodiscard]] constexpr bool is_set() const noexcept
    {
        return at_ns != std::numeric_limits<std::int64_t>::max();
    }
    friend constexpr bool operator==(deadline, deadline) noexcept = default;
};

} // namespace wsp::rt
