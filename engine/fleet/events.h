// JSON-lines events (RFC 8259 objects, one per line) for `wsprobe run`: every result, and every
// status transition (up, degraded, down) with the previous status and how long it lasted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/fleet/config.h"
#include "proto/check_result.h"

namespace wsp::fleet {

// A status change of one check. `previous` is empty for the first result after start-up.
struct state_change {
    std::optional<proto::check_status> previous;
    proto::check_status current = proto::check_status::down;
    std::int64_t since_ns = 0;             // when `previous` began (first result that had it)
    std::optional<std::int64_t> lasted_ns; // how long `previous` lasted; empty for the first
    std::int64_t at_ns = 0;                // when the change was seen
};

// Tracks one check's status across results. Times are the caller's (CLOCK_REALTIME ns suit the
// events, which print them as RFC 3339). No allocation.
class state_tracker {
public:
    // Feeds a result's status at `now_ns`; returns the change if the status differs from the last.
    [[nodiscard]] std::optional<state_change> observe(proto::check_status status,
                                                      std::int64_t now_ns) noexcept;
    [[nodiscard]] std::optional<proto::check_status> current() const noexcept { return current_; }
    [[nodiscard]] std::int64_t since_ns() const noexcept { return since_ns_; }

private:
    std::optional<proto::check_status> current_;
    std::int64_t since_ns_ = 0;
};

// One line: {"event":"result","time":"<RFC 3339>","check":"<id>","labels":{...},"result":{<the
// proto::render_json object>}}\n. Values of the check's secret headers and app options are replaced
// by "<redacted>" wherever they would appear.
[[nodiscard]] std::string render_result_event(const fleet_check& check, const proto::check_result& r,
                                              std::int64_t unix_ns);

// One line: {"event":"state_change","time":...,"check":...,"labels":{...},"from":"up"|null,
// "to":"down","lasted_ms":1234.5|null,"since":"<RFC 3339>"|null,"code":...,"message":...}\n.
// `r` is the result that caused the change (its code and message explain it); secrets redacted.
[[nodiscard]] std::string render_state_change_event(const fleet_check& check, const state_change& change,
                                                    const proto::check_result& r);

// Replaces every occurrence of the check's secret values (header values and app options marked
// secret, four bytes or longer) in `text` with "<redacted>". Shorter secrets cannot be told apart
// from ordinary text and are left; the parser never renders them itself.
void redact_secrets(const fleet_check& check, std::string& text);

} // namespace wsp::fleet
