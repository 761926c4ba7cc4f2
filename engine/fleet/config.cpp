// The configuration's top level: modules, checks, ids, URLs (RFC 6455 §3) and labels (Prometheus
// data model names), validated whole.
#include "engine/fleet/config.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <unordered_set>

#include "engine/fleet/detail/config_fields.h"

namespace wsp::fleet {
namespace {

using detail::field_scope;
using detail::settings;
using detail::shown;
using simdjson::dom::element;
using simdjson::dom::object;

constexpr std::size_t max_id_length = 128;

bool valid_id(std::string_view id) noexcept
{
    return !id.empty() && id.size() <= max_id_length && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
               c == '_' || c == '.' || c == ':';
    });
}

// Prometheus data model: label names match [a-zA-Z_][a-zA-Z0-9_]*; "__" is reserved. The names
// wsprobe puts on per-check series are reserved too.
bool valid_label_name(std::string_view n) noexcept
{
    const auto head = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
    return !n.empty() && head(n[0]) && !n.starts_with("__") &&
           std::all_of(n.begin() + 1, n.end(), [&](char c) { return head(c) || (c >= '0' && c <= '9'); });
}

bool reserved_label_name(std::string_view n) noexcept
{
    return n == "check" || n == "phase" || n == "le" || n == "status" || n == "quantile";
}

void parse_labels(element v, fleet_check& c, const field_scope& f)
{
    object obj;
    if (v.get_object().get(obj) != simdjson::SUCCESS) {
        f.problem(errc::bad_field, "labels", "must be an object of strings");
        return;
    }
    for (const auto kv : obj) {
        const std::string field = "labels." + std::string(kv.key);
        std::string_view value;
        if (!valid_label_name(kv.key)) {
            f.problem(errc::bad_field, "labels", shown(kv.key) + " is not a Prometheus label name");
        } else if (reserved_label_name(kv.key)) {
            f.problem(errc::bad_field, field, "is a label wsprobe sets itself");
        } else if (kv.value.get_string().get(value) != simdjson::SUCCESS) {
            f.problem(errc::bad_field, field, "must be a string");
        } else {
            c.labels.emplace_back(std::string(kv.key), std::string(value));
        }
    }
    std::sort(c.labels.begin(), c.labels.end());
    const auto dup = std::adjacent_find(c.labels.begin(), c.labels.end(),
                                        [](const auto& a, const auto& b) { return a.first == b.first; });
    if (dup != c.labels.end()) {
        f.problem(errc::bad_field, "labels." + dup->first, "appears twice");
    }
}

// Turns the `app` name and `app_options` into the spec's preset, as `wsprobe check --app` does:
// the preset's subprotocol is offered and expected. Unknown presets and option names refuse the
// configuration; combinations only the preset judges (an MQTT password without a user name) are
// left to the run, which reports them as a down result with the preset's sentence.
void map_app(settings& s, const field_scope& f)
{
    if (!s.app) {
        return;
    }
    const proto::app::preset* p = proto::app::find_preset(*s.app);
    if (p == nullptr) {
        f.problem(errc::bad_field, "app", shown(*s.app) + " is not a known preset");
        return;
    }
    proto::app_spec app{p, {}};
    auto& o = app.options;
    for (const app_option& opt : s.app_options) {
        const std::string field = "app_options." + opt.name;
        if (opt.name == "realm") {
            o.realm = opt.value;
        } else if (opt.name == "topic") {
            o.topic = opt.value;
        } else if (opt.name == "client_id") {
            o.client_id = opt.value;
        } else if (opt.name == "username") {
            o.username = opt.value;
        } else if (opt.name == "password") {
            o.password = opt.value;
        } else if (opt.name == "init_payload") {
            o.init_payload_json = opt.value;
        } else if (opt.name == "mqtt_version") {
            if (opt.value != "4" && opt.value != "5" && opt.value != "3.1.1" && opt.value != "5.0") {
                f.problem(errc::bad_field, field, "must be \"4\" (3.1.1) or \"5\" (5.0)");
                return;
            }
            o.mqtt_version = opt.value == "5" || opt.value == "5.0" ? 5 : 4;
        } else if (opt.name == "keep_alive") {
            unsigned n = 0;
            const auto* end = opt.value.data() + opt.value.size();
            const auto [at, ec] = std::from_chars(opt.value.data(), end, n);
            if (ec != std::errc{} || at != end || n > 65535) {
                f.problem(errc::bad_field, field, "must be a number of seconds from 0 to 65535");
                return;
            }
            o.keep_alive = static_cast<std::uint16_t>(n);
        } else {
            f.problem(
                errc::unknown_field, field,
                "unknown option (realm, topic, client_id, username, password, init_payload, mqtt_version, "
                "keep_alive)");
            return;
        }
    }
    if (!p->subprotocol.empty()) {
        auto& offered = s.spec.subprotocols;
        if (std::find(offered.begin(), offered.end(), p->subprotocol) == offered.end()) {
            offered.emplace(offered.begin(), p->subprotocol);
        }
        if (!s.spec.expect_subprotocol) {
            s.spec.expect_subprotocol = std::string(p->subprotocol);
        }
    }
    s.spec.app = std::move(app);
}

std::map<std::string, settings, std::less<>> parse_modules(element v, detail::problem_sink& sink,
                                                           const config_context& ctx)
{
    std::map<std::string, settings, std::less<>> modules;
    object obj;
    if (v.get_object().get(obj) != simdjson::SUCCESS) {
        sink.add(errc::bad_field, "top level", "modules", "must be an object of modules");
        return modules;
    }
    for (const auto kv : obj) {
        const field_scope f{sink, "module " + shown(kv.key), ctx};
        object body;
        if (!detail::is_token(kv.key)) {
            f.problem(errc::bad_field, "", "the name must be a token (letters, digits, - _ .)");
            continue;
        }
        if (kv.value.get_object().get(body) != simdjson::SUCCESS) {
            f.problem(errc::bad_field, "", "must be an object");
            continue;
        }
        settings s;
        for (const auto field : body) {
            if (!detail::apply_setting(field.key, field.value, s, f)) {
                f.problem(errc::unknown_field, field.key,
                          field.key == "url" || field.key == "id" || field.key == "labels"
                              ? "belongs in a check, not a module"
                              : "unknown field");
            }
        }
        modules.insert_or_assign(std::string(kv.key), std::move(s));
    }
    return modules;
}

struct check_parser {
    detail::problem_sink& sink;
    const config_context& ctx;
    const std::map<std::string, settings, std::less<>>& modules;
    std::unordered_set<std::string> ids;

    std::optional<fleet_check> parse(element v, std::size_t index);

private:
    std::string scope_of(object obj, std::size_t index) const
    {
        std::string_view id;
        if (obj["id"].get_string().get(id) == simdjson::SUCCESS && valid_id(id)) {
            return "check " + shown(id);
        }
        return "checks[" + std::to_string(index) + "]";
    }
};

std::optional<fleet_check> check_parser::parse(element v, std::size_t index)
{
    object obj;
    if (v.get_object().get(obj) != simdjson::SUCCESS) {
        sink.add(errc::bad_field, "checks[" + std::to_string(index) + "]", "", "must be an object");
        return std::nullopt;
    }
    const std::size_t before = sink.count();
    const field_scope f{sink, scope_of(obj, index), ctx};
    fleet_check c;
    settings s;
    std::string_view module_name;
    if (obj["module"].get_string().get(module_name) == simdjson::SUCCESS) {
        auto m = modules.find(module_name);
        if (m == modules.end()) {
            f.problem(errc::unknown_module, "module", shown(module_name) + " is not defined in modules");
        } else {
            s = m->second;
            c.module = std::string(module_name);
        }
    }
    bool have_id = false;
    bool have_url = false;
    for (const auto kv : obj) {
        std::string_view text;
        if (kv.key == "id") {
            have_id = true;
            if (kv.value.get_string().get(text) != simdjson::SUCCESS || !valid_id(text)) {
                f.problem(errc::bad_field, "id", "must be 1 to 128 of letters, digits, - _ . :");
            } else if (!ids.emplace(text).second) {
                f.problem(errc::duplicate_id, "id", "another check already has this id");
            } else {
                c.id = std::string(text);
            }
        } else if (kv.key == "url") {
            have_url = true;
            if (kv.value.get_string().get(text) != simdjson::SUCCESS) {
                f.problem(errc::bad_url, "url", "must be a string");
            } else if (auto url = proto::parse_ws_url(text)) {
                s.spec.url = std::move(*url);
            } else {
                f.problem(errc::bad_url, "url", proto::describe_url_error(url.error(), text));
            }
        } else if (kv.key == "module") {
            if (kv.value.get_string().get(text) != simdjson::SUCCESS) {
                f.problem(errc::bad_field, "module", "must be a string");
            }
        } else if (kv.key == "labels") {
            parse_labels(kv.value, c, f);
        } else if (!detail::apply_setting(kv.key, kv.value, s, f)) {
            f.problem(errc::unknown_field, kv.key, "unknown field");
        }
    }
    if (!have_id) {
        f.problem(errc::missing_field, "id", "is required");
    }
    if (!have_url) {
        f.problem(errc::missing_field, "url", "is required");
    }
    detail::check_consistency(s, f);
    map_app(s, f);
    if (sink.count() != before) {
        return std::nullopt;
    }
    c.spec = std::move(s.spec);
    c.interval = s.interval;
    c.app = std::move(s.app);
    c.app_options = std::move(s.app_options);
    return c;
}

} // namespace

const fleet_check* fleet_config::find(std::string_view id) const noexcept
{
    auto it = std::find_if(checks.begin(), checks.end(), [&](const fleet_check& c) { return c.id == id; });
    return it == checks.end() ? nullptr : &*it;
}

std::string config_report::text() const
{
    std::string out;
    for (const auto& p : problems) {
        out += p.message;
        out += '\n';
    }
    if (truncated) {
        out += "(more problems not shown)\n";
    }
    return out;
}

tl::expected<fleet_config, config_report> parse_config(std::string_view json, const config_context& ctx)
{
    detail::problem_sink sink(ctx.file_name, ctx.max_problems == 0 ? 1 : ctx.max_problems);
    simdjson::dom::parser parser;
    const simdjson::padded_string padded(json);
    element root;
    if (const auto err = parser.parse(padded).get(root); err != simdjson::SUCCESS) {
        sink.add(errc::bad_json, "not JSON", "", simdjson::error_message(err));
        return tl::unexpected(sink.take());
    }
    object top;
    if (root.get_object().get(top) != simdjson::SUCCESS) {
        sink.add(errc::bad_field, "top level", "", "must be an object with modules and checks");
        return tl::unexpected(sink.take());
    }
    std::map<std::string, settings, std::less<>> modules;
    bool have_checks = false;
    for (const auto kv : top) {
        if (kv.key == "modules") {
            modules = parse_modules(kv.value, sink, ctx);
        } else if (kv.key != "checks") {
            sink.add(errc::unknown_field, "top level", kv.key, "unknown field");
        }
    }
    fleet_config config;
    simdjson::dom::array checks;
    if (top["checks"].get_array().get(checks) == simdjson::SUCCESS) {
        have_checks = true;
        config.checks.reserve(checks.size());
        check_parser p{sink, ctx, modules, {}};
        p.ids.reserve(checks.size());
        std::size_t index = 0;
        for (element v : checks) {
            if (auto c = p.parse(v, index++)) {
                config.checks.push_back(std::move(*c));
            }
        }
    } else if (top["checks"].error() == simdjson::SUCCESS) {
        sink.add(errc::bad_field, "top level", "checks", "must be an array of checks");
        have_checks = true;
    }
    if (!have_checks) {
        sink.add(errc::missing_field, "top level", "checks", "is required");
    }
    if (!sink.empty()) {
        return tl::unexpected(sink.take());
    }
    return config;
}

} // namespace wsp::fleet
