// Internals of the configuration parser: where problems are collected, and the settings a module
// and a check share (everything of a check except id, url, module and labels).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "engine/fleet/config.h"

namespace wsp::fleet::detail {

// Collects problems as "<file>: <scope>: field <field>: <what>", up to a bound.
class problem_sink {
public:
    problem_sink(std::string_view file, std::size_t max) : file_(file), max_(max) {}

    void add(wsp::error code, std::string_view scope, std::string_view field, std::string_view what);
    [[nodiscard]] bool empty() const noexcept { return report_.problems.empty(); }
    [[nodiscard]] std::size_t count() const noexcept { return report_.problems.size(); }
    [[nodiscard]] config_report take() { return std::move(report_); }

private:
    std::string_view file_;
    std::size_t max_;
    config_report report_;
};

// Where a field sits, for messages: `check "chat-eu"`, `check #3` or `module "fast"`.
struct field_scope {
    problem_sink& sink;
    std::string scope;
    const config_context& ctx;

    void problem(wsp::error code, std::string_view field, std::string_view what) const
    {
        sink.add(code, scope, field, what);
    }
};

// What a module sets and a check overrides.
struct settings {
    proto::check_spec spec;
    millis interval{30'000};
    std::optional<std::string> app;
    std::vector<app_option> app_options;
};

// Applies one key of a module or check object. Returns false when `key` is not a setting (the
// caller decides whether it is a check field or unknown). Problems go to `f`.
bool apply_setting(std::string_view key, simdjson::dom::element value, settings& s, const field_scope& f);

// Cross-field rules on a finished check (payload against RTT mode, expected subprotocol offered,
// client certificate and key together).
void check_consistency(const settings& s, const field_scope& f);

// `text` in double quotes for a message, control characters escaped, cut at 80 bytes. Never call
// with a secret.
[[nodiscard]] std::string shown(std::string_view text);

// RFC 9110 §5.6.2: token = 1*tchar.
[[nodiscard]] bool is_token(std::string_view s) noexcept;

} // namespace wsp::fleet::detail
