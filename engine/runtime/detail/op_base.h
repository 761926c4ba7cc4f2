// The completion record every io_uring operation yields, and the base every in-flight operation
// derives from: its address is the SQE's user_data.
#pragma once

#include <cstdint>

#include "engine/runtime/errc.h"

namespace wsp::rt {

// One CQE as seen by the consumer: `res` and `flags` as the kernel posted them and `stamp_ns`, the
// CLOCK_MONOTONIC time at which the reactor reaped the batch holding it (not when the awaiting
// coroutine got to run), so phase timings exclude time spent waiting to be resumed.
struct io_result {
    std::int32_t res = 0;
    std::uint32_t flags = 0;
    std::int64_t stamp_ns = 0;

    [[nodiscard]] bool ok() const noexcept { return res >= 0; }
    // No error when res >= 0; otherwise the runtime errc for -res (errc::timeout for a deadline).
    [[nodiscard]] wsp::error error() const noexcept { return error_from_result(res); }
};

namespace detail {

// Operations live in coroutine frames (or connection objects) and are registered as the SQE's
// user_data; they must stay put until their final CQE arrives. `complete_` runs on the reactor
// thread, inside the reap loop.
struct op_base {
    using complete_fn = void (*)(op_base* self, const io_result& r) noexcept;
    complete_fn complete_ = nullptr;
};

// An operation that may stay in flight indefinitely (a multishot receive or accept). The reactor
// lists the armed ones so reactor::cancel_all() can cancel each by its own user_data: a hashed
// lookup in the kernel, where one IORING_ASYNC_CANCEL_ANY request walks every armed request once
// per match (quadratic). Arm with reactor::track_lasting, cancel with reactor::cancel.
struct lasting_op : op_base {
    static constexpr std::uint32_t not_listed = 0xFFFFFFFFU;
    static constexpr std::uint32_t cancel_requested = 0xFFFFFFFEU;
    explicit lasting_op(complete_fn f) noexcept : op_base{f} {}
    // Index in the reactor's armed list, or one of the two markers above. Reactor use only.
    std::uint32_t slot_ = not_listed;
};

} // namespace detail
} // namespace wsp::rt
