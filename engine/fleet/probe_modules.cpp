// Module templates for `/probe`: the `modules` object re-validated through parse_config with one
// synthetic check per module (RFC 8259 text built with the JSON writer, names escaped).
#include "engine/fleet/probe_modules.h"

#include <simdjson.h>

#include "proto/json_writer.h"

namespace wsp::fleet {
namespace {

constexpr std::string_view placeholder_url = "ws://probe.invalid/";

} // namespace

tl::expected<module_map, config_report> parse_probe_modules(std::string_view json, const config_context& ctx)
{
    simdjson::dom::parser parser;
    const simdjson::padded_string padded(json);
    simdjson::dom::element root;
    if (parser.parse(padded).get(root) != simdjson::SUCCESS) {
        // parse_config names the JSON error the same way.
        auto r = parse_config(json, ctx);
        return tl::unexpected(r ? config_report{} : std::move(r.error()));
    }
    simdjson::dom::object modules;
    std::string doc = R"({"modules":)";
    std::vector<std::string_view> names;
    if (root["modules"].get_object().get(modules) == simdjson::SUCCESS) {
        doc += simdjson::minify(modules);
        for (const auto kv : modules) {
            names.push_back(kv.key);
        }
    } else {
        doc += "{}";
    }
    doc += R"(,"checks":)";
    proto::json_writer w(doc);
    w.begin_array();
    for (std::size_t i = 0; i < names.size(); ++i) {
        w.begin_object();
        w.key("id").value("module-" + std::to_string(i));
        w.key("url").value(placeholder_url);
        w.key("module").value(names[i]);
        w.end_object();
    }
    w.end_array();
    doc += '}';
    auto parsed = parse_config(doc, ctx);
    if (!parsed) {
        return tl::unexpected(std::move(parsed.error()));
    }
    module_map out;
    for (auto& c : parsed->checks) {
        std::string name = c.module;
        out.emplace(std::move(name), std::move(c));
    }
    if (out.find(default_module) == out.end()) {
        fleet_check d;
        d.id = std::string(default_module);
        d.module = std::string(default_module);
        out.emplace(std::string(default_module), std::move(d));
    }
    return out;
}

} // namespace wsp::fleet
