// Configuration loading for the runner: file read, parse_config, shard filter, TLS contexts shared
// between checks with equal TLS options (RFC 8446 client settings), modules for /probe.
#include "engine/fleet/loader.h"

#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

#include "engine/fleet/probe_modules.h"

namespace wsp::fleet {
namespace {

// Equal options give equal keys; the context is built once per distinct key.
std::string tls_key(const proto::tls_options& t)
{
    std::string k;
    k += t.ca_file.value_or("");
    k += '\n';
    k += t.cert_file.value_or("");
    k += '\n';
    k += t.key_file.value_or("");
    k += '\n';
    k += t.insecure ? '1' : '0';
    k += t.min_tls13 ? '1' : '0';
    return k;
}

class tls_cache {
public:
    explicit tls_cache(const tls_factory& f) : make_(f) {}
    tl::expected<std::shared_ptr<const tls::context>, std::string> get(const proto::tls_options& t)
    {
        const std::string k = tls_key(t);
        if (auto it = made_.find(k); it != made_.end()) {
            return it->second;
        }
        auto ctx = make_(t);
        if (ctx) {
            made_.emplace(k, *ctx);
        }
        return ctx;
    }

private:
    const tls_factory& make_;
    std::map<std::string, std::shared_ptr<const tls::context>> made_;
};

} // namespace

tl::expected<loaded_fleet, std::string> load_fleet(const load_request& req)
{
    std::ifstream in(req.path, std::ios::binary);
    if (!in) {
        return tl::unexpected(req.path + ": cannot read the configuration file");
    }
    std::ostringstream text;
    text << in.rdbuf();
    const std::string json = text.str();
    config_context ctx;
    ctx.file_name = req.path;
    ctx.sources = req.sources;
    ctx.key = req.key;
    loaded_fleet out;
    fleet_config cfg;
    if (req.checks_required || json.find("\"checks\"") != std::string::npos) {
        auto parsed = parse_config(json, ctx);
        if (!parsed) {
            return tl::unexpected(parsed.error().text());
        }
        cfg = std::move(*parsed);
    }
    auto modules = parse_probe_modules(json, ctx);
    if (!modules) {
        return tl::unexpected(modules.error().text());
    }
    tls_cache contexts(req.make_tls);
    std::unordered_map<std::string_view, const check_ptr*> before;
    fleet_config previous;
    if (req.previous != nullptr) {
        for (const check_ptr& c : *req.previous) {
            before.emplace(c->check.id, &c);
            previous.checks.push_back(c->check);
        }
    }
    out.total = cfg.checks.size();
    for (fleet_check& c : cfg.checks) {
        if (!owns(req.shard, c.id)) {
            continue;
        }
        if (auto it = before.find(c.id); it != before.end() && same_check((*it->second)->check, c)) {
            out.checks.push_back(*it->second);
            continue;
        }
        auto p = std::make_shared<prepared_check>();
        if (c.spec.url.secure) {
            auto ctx_made = contexts.get(c.spec.tls);
            if (!ctx_made) {
                return tl::unexpected(req.path + ": check \"" + c.id + "\": field tls: " + ctx_made.error() +
                                      "\n");
            }
            p->tls = *ctx_made;
        }
        p->check = std::move(c);
        out.checks.push_back(std::move(p));
    }
    auto mods = std::make_shared<prepared_modules>();
    for (auto& [name, c] : *modules) {
        auto p = std::make_shared<prepared_check>();
        auto ctx_made = contexts.get(c.spec.tls);
        if (!ctx_made) {
            return tl::unexpected(req.path + ": module \"" + name + "\": field tls: " + ctx_made.error() +
                                  "\n");
        }
        p->tls = *ctx_made;
        p->check = std::move(c);
        mods->emplace(name, std::move(p));
    }
    out.modules = std::move(mods);
    fleet_config owned;
    for (const check_ptr& c : out.checks) {
        owned.checks.push_back(c->check);
    }
    out.diff = diff_configs(previous, owned);
    return out;
}

} // namespace wsp::fleet
