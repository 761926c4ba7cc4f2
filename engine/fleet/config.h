// The `wsprobe run` configuration (JSON, RFC 8259): reusable `modules` of probe settings and the
// `checks` that use them, validated whole into check specs, intervals and labels.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/fleet/duration.h"
#include "engine/fleet/errc.h"
#include "engine/fleet/secret.h"
#include "proto/check_spec.h"

namespace wsp::fleet {

// One option for an app-protocol preset (e.g. MQTT "username", "password"). Options named
// password, token or secret, and any taken from a secret reference, are secret.
struct app_option {
    std::string name;
    std::string value;
    bool secret = false;
};

// One validated check: everything the scheduler and the probe need.
struct fleet_check {
    std::string id;
    std::string module; // "" when the check names none
    proto::check_spec spec;
    millis interval{30'000};
    std::vector<std::pair<std::string, std::string>> labels; // sorted by name, names unique
    std::optional<std::string> app;                          // app-protocol preset name
    std::vector<app_option> app_options;                     // in file order
};

// Every check in file order. Ids are unique.
struct fleet_config {
    std::vector<fleet_check> checks;

    // The check with this id, or null. Linear; build an index for repeated lookups.
    [[nodiscard]] const fleet_check* find(std::string_view id) const noexcept;
};

// One thing wrong with a configuration. `message` names the file, the check id (or its index when
// it has no usable id) or the module, and the field: `config.json: check "chat-eu": field
// interval: "5x" is not a duration`. It never contains a secret value.
struct config_problem {
    wsp::error code;
    std::string message;
};

// Why a configuration was refused: up to `max_problems` problems, in file order.
struct config_report {
    std::vector<config_problem> problems;
    bool truncated = false; // more problems than were kept

    // One problem per line.
    [[nodiscard]] std::string text() const;
};

// What parsing may consult: the file name used in messages, where secrets come from, and the
// master key for sealed values (null when none is configured).
struct config_context {
    std::string_view file_name = "config";
    const secret_sources* sources = nullptr; // null: env and file references are unavailable
    const master_key* key = nullptr;
    std::size_t max_problems = 50;
};

// Parses and validates a whole configuration. Unknown fields, duplicate ids, unknown modules and
// any invalid value refuse the whole file; the report lists what is wrong. Copies `json` once
// into a padded buffer. Not thread-affine; call at start-up or on reload, not on a reactor.
//
// Schema (durations are milliseconds or "250ms"/"2s"/"1m"/"1h"):
//   { "modules": { "<name>": { <settings> }, ... },
//     "checks": [ { "id": "...", "url": "wss://...", "module": "<name>", "labels": {"k": "v"},
//                   <settings overriding the module's> }, ... ] }
//   settings: interval, rtt ("none"|"echo"|"any"|"ping"), payload, binary, headers {name: value},
//     origin, subprotocols [...], expect_subprotocol, extensions [...], retries, family
//     ("any"|"v4"|"v6"), source_address, max_message_size, app, app_options {name: value},
//     timeouts {dns, connect, tls, upgrade, rtt, close, overall},
//     thresholds {handshake_degraded, rtt_degraded, connect_degraded},
//     tls {ca, insecure, cert, key, min_version ("1.2"|"1.3"), cert_warn_days, resume}
//   Header values, app option values and tls.key may be a string, "enc:v1:...",
//   {"env": "NAME"} or {"file": "PATH"}.
[[nodiscard]] tl::expected<fleet_config, config_report> parse_config(std::string_view json,
                                                                     const config_context& ctx);

// How a reloaded configuration differs from the running one, by check id. A check is unchanged
// when its spec, interval, labels, module and app settings are all equal; its schedule is kept.
struct config_diff {
    std::vector<std::string> unchanged; // in the new file's order
    std::vector<std::string> changed;   // in the new file's order
    std::vector<std::string> added;     // in the new file's order
    std::vector<std::string> removed;   // in the old file's order
};

[[nodiscard]] config_diff diff_configs(const fleet_config& before, const fleet_config& after);

// True when the two checks would probe identically on the same schedule (ids compared too).
[[nodiscard]] bool same_check(const fleet_check& a, const fleet_check& b) noexcept;

} // namespace wsp::fleet
