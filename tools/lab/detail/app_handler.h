// Internals of the lab's app-protocol servers (apps.cpp, apps_mqtt.cpp): the per-protocol handler
// interface and small reaction builders.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tools/lab/apps.h"

namespace wsp::lab::detail {

// One protocol's server state machine; app_server owns one.
class app_handler {
public:
    virtual ~app_handler() = default;
    [[nodiscard]] virtual app_reaction on_open() { return {}; }
    [[nodiscard]] virtual app_reaction on_message(bool binary, std::string_view bytes) = 0;
    [[nodiscard]] virtual std::uint32_t keepalive_interval_ms() const noexcept { return 0; }
    [[nodiscard]] virtual app_reaction on_keepalive() { return {}; }
};

inline app_message text(std::string bytes)
{
    return app_message{false, std::move(bytes)};
}

inline app_reaction say(std::string bytes)
{
    app_reaction r;
    r.send.push_back(text(std::move(bytes)));
    return r;
}

inline app_reaction closing(app_reaction r, std::uint16_t code, std::string reason)
{
    r.close = app_close{code, std::move(reason)};
    return r;
}

// "rcN" with N decimal in 1..255, else 0.
[[nodiscard]] std::uint8_t mqtt_fault_code(std::string_view fault) noexcept;

// The MQTT 3.1.1 / 5.0 broker emulation (apps_mqtt.cpp).
[[nodiscard]] std::unique_ptr<app_handler> make_mqtt_broker(const app_route& r);

} // namespace wsp::lab::detail
