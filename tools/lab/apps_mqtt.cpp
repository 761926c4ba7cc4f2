// The lab's MQTT broker emulation: MQTT 3.1.1 §3.1-§3.2/§3.12-§3.14 and MQTT 5.0 §3.1-§3.2 over
// WebSocket (§6), with the faults of apps.h (CONNACK refusals, text frames, DISCONNECT).
#include <array>
#include <charconv>

#include "proto/presets/mqtt_codec.h"
#include "tools/lab/detail/app_handler.h"

namespace wsp::lab::detail {
namespace {

// ---- MQTT 3.1.1 / 5.0 ----

namespace mqtt = proto::mqtt;

struct connect_request {
    int level = 0;
    std::string_view client_id;
    std::optional<std::string_view> username;
    std::optional<std::string_view> password;
    bool clean = false;
};

// Reads a two-byte length-prefixed field (MQTT 3.1.1 §1.5.3, binary data §3.1.3.3).
bool read_field(std::span<const std::uint8_t> body, std::size_t& at, std::string_view& out) noexcept
{
    if (body.size() - at < 2) {
        return false;
    }
    const std::size_t n = (std::size_t{body[at]} << 8) | body[at + 1];
    if (body.size() - at - 2 < n) {
        return false;
    }
    out = std::string_view(reinterpret_cast<const char*>(body.data()) + at + 2, n);
    at += 2 + n;
    return true;
}

// MQTT 3.1.1 §3.1.2 / 5.0 §3.1.2: variable header and payload of CONNECT. The level is set as
// soon as it is read, so an unsupported level can still be answered.
bool parse_connect(const mqtt::packet& p, connect_request& c) noexcept
{
    std::size_t at = 0;
    std::string_view name;
    // §3.1.2.1: protocol name "MQTT" (3.1 used "MQIsdp"); §2.2.2: CONNECT flags nibble is 0.
    if (p.flags() != 0 || !read_field(p.body, at, name) || (name != "MQTT" && name != "MQIsdp") ||
        p.body.size() - at < 4) {
        return false;
    }
    c.level = p.body[at];
    const std::uint8_t flags = p.body[at + 1];
    at += 4;
    // §3.1.2.3: the reserved flag is 0; §3.1.2-22 (3.1.1): a password needs a user name.
    if ((flags & 0x01) != 0 || (c.level == 4 && (flags & 0xC0) == 0x40)) {
        return false;
    }
    c.clean = (flags & 0x02) != 0;
    const auto skip_properties = [&]() {
        std::uint32_t len = 0;
        std::size_t used = 0;
        if (mqtt::decode_varint(p.body.subspan(at), len, used) != mqtt::varint_status::ok ||
            p.body.size() - at - used < len) {
            return false;
        }
        at += used + len;
        return true;
    };
    // MQTT 5.0 §3.1.2.11: CONNECT properties.
    if (c.level == 5 && !skip_properties()) {
        return false;
    }
    if (c.level != 4 && c.level != 5) {
        return true; // answered with "unsupported version" before the payload matters
    }
    if (!read_field(p.body, at, c.client_id)) {
        return false;
    }
    std::string_view unused;
    // §3.1.2.5: the will flag adds (5.0: will properties,) will topic and will message.
    if ((flags & 0x04) != 0 && ((c.level == 5 && !skip_properties()) || !read_field(p.body, at, unused) ||
                                !read_field(p.body, at, unused))) {
        return false;
    }
    std::string_view field;
    if ((flags & 0x80) != 0) {
        if (!read_field(p.body, at, field)) {
            return false;
        }
        c.username = field;
    }
    if ((flags & 0x40) != 0) {
        if (!read_field(p.body, at, field)) {
            return false;
        }
        c.password = field;
    }
    return at == p.body.size(); // §3.1.3: nothing follows the payload fields
}

// A 3.1.1 return code (1-5) or a 5.0 reason code (>= 0x80) in the client's version's terms.
std::uint8_t translate_refusal(std::uint8_t code, int version) noexcept
{
    constexpr std::array<std::uint8_t, 6> to_v5{0x00, 0x84, 0x85, 0x88, 0x86, 0x87};
    if (version == 5) {
        return code <= 5 ? to_v5[code] : code;
    }
    switch (code) {
    case 0x84:
        return 1;
    case 0x85:
        return 2;
    case 0x86:
        return 4;
    case 0x87:
        return 5;
    default:
        return code <= 5 ? code : 3; // 3.1.1 has no generic refusal: "server unavailable"
    }
}

std::string mqtt_bytes(std::initializer_list<std::uint8_t> header, std::string_view body = {})
{
    std::string out(header.begin(), header.end());
    mqtt::encode_varint(static_cast<std::uint32_t>(body.size()), out);
    out += body;
    return out;
}

// MQTT 5.0 §2.2.2.2: a UTF-8 string property (identifier, two-byte length, bytes).
void put_string_property(std::string& props, std::uint8_t id, std::string_view s)
{
    props.push_back(static_cast<char>(id));
    props.push_back(static_cast<char>(s.size() >> 8));
    props.push_back(static_cast<char>(s.size() & 0xFF));
    props += s;
}

class mqtt_broker final : public app_handler {
public:
    explicit mqtt_broker(const app_route& r) : route_(r), refusal_(mqtt_fault_code(r.fault)) {}

    app_reaction on_message(bool binary, std::string_view bytes) override
    {
        // MQTT 3.1.1 §6.0 / 5.0 §6.0: a data frame that is not binary closes the connection.
        if (!binary) {
            return closing({}, 1003, "MQTT needs binary frames");
        }
        reader_.feed({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
        app_reaction out;
        for (;;) {
            mqtt::packet p;
            std::string_view why;
            const mqtt::read_status s = reader_.next(p, why);
            if (s == mqtt::read_status::need_more) {
                return out;
            }
            if (s != mqtt::read_status::packet) {
                out.drop = true; // MQTT 3.1.1 §4.8: a protocol violation closes the network connection
                return out;
            }
            app_reaction r = on_packet(p);
            for (auto& m : r.send) {
                out.send.push_back(std::move(m));
            }
            if (r.close || r.drop) {
                out.close = std::move(r.close);
                out.drop = r.drop;
                return out;
            }
        }
    }

private:
    app_reaction on_packet(const mqtt::packet& p)
    {
        if (!connected_) {
            // MQTT 3.1.1 §3.1: the first packet is CONNECT, else the connection is closed.
            if (p.type() != mqtt::packet_type::connect) {
                return drop();
            }
            return on_connect(p);
        }
        switch (p.type()) {
        case mqtt::packet_type::pingreq:
            if (route_.fault == "disconnect") {
                if (version_ == 4) {
                    return drop(); // §3.14: a 3.1.1 server can only close the network connection
                }
                // MQTT 5.0 §3.14: DISCONNECT 0x8B "Server shutting down" with a reason string.
                std::string body{'\x8B'};
                std::string props;
                put_string_property(props, 0x1F, "lab fault: shutting down");
                mqtt::encode_varint(static_cast<std::uint32_t>(props.size()), body);
                body += props;
                return closing(binary_reply(mqtt_bytes({0xE0}, body)), 1000, "");
            }
            return binary_reply(mqtt_bytes({0xD0})); // §3.13: PINGRESP D0 00
        case mqtt::packet_type::disconnect:
            return closing({}, 1000, "");
        case mqtt::packet_type::connect:
            return drop(); // §3.1: a second CONNECT is a violation
        default:
            return {}; // PUBLISH QoS 0 and the rest: not needed
        }
    }

    app_reaction on_connect(const mqtt::packet& p)
    {
        connect_request c;
        if (!parse_connect(p, c)) {
            return drop();
        }
        if (c.level != 4 && c.level != 5) {
            // §3.1.2.2: unsupported level: CONNACK return code 1 (3.1.1 form), then close.
            return closing(binary_reply(mqtt_bytes({0x20}, std::string_view("\x00\x01", 2))), 1000, "");
        }
        version_ = c.level;
        if (route_.fault == "text") {
            return say("CONNACK (lab fault: MQTT in a text frame)");
        }
        std::uint8_t code = refusal_;
        if (code == 0 && c.client_id.empty() && !c.clean && version_ == 4) {
            code = 2; // §3.1.3-8: an empty client id needs a clean session
        }
        std::string why = "lab fault: " + route_.fault;
        const bool credentials_required = !route_.user.empty() || !route_.pass.empty();
        if (code == 0 && credentials_required &&
            (c.username.value_or("") != route_.user || c.password.value_or("") != route_.pass)) {
            code = 4; // §3.2.2.3: bad user name or password
            why = "lab: wrong or missing credentials";
        }
        if (code == 0) {
            connected_ = true;
            return binary_reply(connack(0, c.client_id.empty() ? "lab-client-1" : "", {}));
        }
        return closing(binary_reply(connack(translate_refusal(code, version_), {}, why)), 1000, "");
    }

    // MQTT 3.1.1 §3.2: 20 02 <flags> <rc>. MQTT 5.0 §3.2: plus properties: a reason string on a
    // refusal, the assigned client identifier (§3.2.2.3.7) when the client sent none.
    std::string connack(std::uint8_t code, std::string_view assigned_id, std::string_view reason) const
    {
        std::string body{'\0', static_cast<char>(code)};
        if (version_ == 5) {
            std::string props;
            if (code != 0) {
                put_string_property(props, 0x1F, reason);
            }
            if (!assigned_id.empty()) {
                put_string_property(props, 0x12, assigned_id);
            }
            mqtt::encode_varint(static_cast<std::uint32_t>(props.size()), body);
            body += props;
        }
        return mqtt_bytes({0x20}, body);
    }

    static app_reaction binary_reply(std::string bytes)
    {
        app_reaction r;
        r.send.push_back(app_message{true, std::move(bytes)});
        return r;
    }
    static app_reaction drop()
    {
        app_reaction r;
        r.drop = true;
        return r;
    }

    app_route route_;
    std::uint8_t refusal_;
    mqtt::packet_reader reader_;
    int version_ = 4;
    bool connected_ = false;
};

} // namespace

std::uint8_t mqtt_fault_code(std::string_view fault) noexcept
{
    if (!fault.starts_with("rc")) {
        return 0;
    }
    unsigned n = 0;
    const auto digits = fault.substr(2);
    const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (r.ec != std::errc{} || r.ptr != digits.data() + digits.size() || n == 0 || n > 255) {
        return 0;
    }
    return static_cast<std::uint8_t>(n);
}

std::unique_ptr<app_handler> make_mqtt_broker(const app_route& r)
{
    return std::make_unique<mqtt_broker>(r);
}

} // namespace wsp::lab::detail
