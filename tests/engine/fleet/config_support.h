// Helpers for the configuration tests: fake secret sources and a parse wrapper.
#pragma once

#include <map>
#include <string>

#include "engine/fleet/config.h"

namespace wsp::fleet::test {

inline secret_sources fake_sources()
{
    static const std::map<std::string, std::string, std::less<>> env{
        {"API_TOKEN", "Bearer TOPSECRET-env-1234"},
        {"BAD_VALUE", "TOPSECRET-crlf\r\nX-Injected: 1"},
        {"MQTT_PW", "TOPSECRET-mqtt-pw"},
    };
    static const std::map<std::string, std::string, std::less<>> files{
        {"/run/secrets/cookie", "session=TOPSECRET-file-5678\n"},
        {"/run/secrets/key_path", "/etc/wsprobe/client.key\n"},
    };
    secret_sources s;
    s.env = [](std::string_view n) -> std::optional<std::string> {
        auto it = env.find(n);
        return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    s.read_file = [](std::string_view p) -> std::optional<std::string> {
        auto it = files.find(p);
        return it == files.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    return s;
}

inline const master_key& fake_key()
{
    static const master_key key =
        *parse_master_key("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    return key;
}

inline tl::expected<fleet_config, config_report> parse(std::string_view json,
                                                       const master_key* key = &fake_key())
{
    static const secret_sources sources = fake_sources();
    config_context ctx;
    ctx.file_name = "config.json";
    ctx.sources = &sources;
    ctx.key = key;
    return parse_config(json, ctx);
}

} // namespace wsp::fleet::test
