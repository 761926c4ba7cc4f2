// The mqtt preset: CONNECT -> CONNACK over WebSocket binary frames (MQTT 3.1.1 §6, MQTT 5.0 §6),
// every refusal named, and PINGREQ -> PINGRESP as the round trip (3.1.1 §3.12-§3.13).
#include <cstdio>

#include "proto/presets/detail/common.h"
#include "proto/presets/mqtt_codec.h"

namespace wsp::proto::app::detail {
namespace {

std::string hex_byte(std::uint8_t b)
{
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", b);
    return buf;
}

errc refusal_code(int version, std::uint8_t code) noexcept
{
    if (version == 4) {
        switch (code) {
        case 1:
            return errc::mqtt_unsupported_version;
        case 2:
            return errc::mqtt_client_id_rejected;
        case 3:
            return errc::mqtt_server_unavailable;
        case 4:
            return errc::mqtt_bad_credentials;
        case 5:
            return errc::mqtt_not_authorized;
        default:
            return errc::mqtt_refused;
        }
    }
    switch (code) {
    case 0x84:
        return errc::mqtt_unsupported_version;
    case 0x85:
        return errc::mqtt_client_id_rejected;
    case 0x86:
        return errc::mqtt_bad_credentials;
    case 0x87:
        return errc::mqtt_not_authorized;
    case 0x88:
    case 0x89:
        return errc::mqtt_server_unavailable;
    default:
        return errc::mqtt_refused;
    }
}

class mqtt_session final : public session {
public:
    mqtt_session(const preset_options& o, mqtt::connect_options c) : version_(c.version), options_(o)
    {
        connect_ = c;
        connect_.client_id = options_.client_id;
        if (c.username) {
            connect_.username = options_.username;
        }
        if (c.password) {
            connect_.password = *options_.password;
        }
    }

    std::vector<outgoing> start() override
    {
        outgoing m{frame_kind::binary, mqtt::encode_connect(connect_), connect_.password.has_value(), {}};
        m.summary = "binary MQTT CONNECT (" + std::string(version_ == 5 ? "5.0" : "3.1.1") + ", client id " +
                    preview(options_.client_id) +
                    (connect_.username ? ", user name " + preview(options_.username) : "") +
                    (connect_.password ? ", password <redacted>" : "") + ", keep-alive " +
                    std::to_string(connect_.keep_alive) + " s)";
        std::vector<outgoing> out;
        out.push_back(std::move(m));
        return out;
    }

    step on_init_message(frame_kind kind, std::string_view bytes) override { return feed(kind, bytes, true); }
    bool has_rtt() const override { return true; }
    std::vector<outgoing> rtt_request() override
    {
        std::vector<outgoing> out;
        out.push_back(outgoing{frame_kind::binary,
                               std::string(reinterpret_cast<const char*>(mqtt::pingreq_bytes), 2),
                               false,
                               {}});
        return out;
    }
    step on_rtt_message(frame_kind kind, std::string_view bytes) override { return feed(kind, bytes, false); }

    std::string describe_close(std::uint16_t code, std::string_view reason) const override
    {
        return close_sentence("mqtt", {}, code, reason);
    }

private:
    step feed(frame_kind kind, std::string_view bytes, bool init)
    {
        // MQTT 3.1.1 §6.0 / 5.0 §6.0: packets travel in binary frames; any other data frame is an error.
        if (kind != frame_kind::binary) {
            return failed_step(
                errc::unexpected_frame_kind,
                "MQTT broker sent a text frame; MQTT over WebSocket uses binary frames only: " +
                    preview(bytes));
        }
        reader_.feed({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
        for (;;) {
            mqtt::packet p;
            std::string_view why;
            switch (reader_.next(p, why)) {
            case mqtt::read_status::need_more:
                return wait_step();
            case mqtt::read_status::malformed:
                return failed_step(errc::mqtt_malformed_packet,
                                   "MQTT broker sent a malformed packet: " + std::string(why));
            case mqtt::read_status::too_large:
                return failed_step(errc::message_too_large,
                                   "MQTT broker sent a packet larger than the probe accepts");
            case mqtt::read_status::packet:
                break;
            }
            step s = init ? on_init_packet(p) : on_rtt_packet(p);
            if (s.kind != step_kind::wait) {
                return s;
            }
        }
    }

    step on_init_packet(const mqtt::packet& p)
    {
        // MQTT 3.1.1 §3.2 / 5.0 §3.2: the first packet from the server is CONNACK.
        if (p.type() != mqtt::packet_type::connack) {
            return failed_step(errc::mqtt_unexpected_packet, "MQTT broker sent " +
                                                                 std::string(mqtt::to_string(p.type())) +
                                                                 " before CONNACK");
        }
        std::string_view why;
        const auto ack = mqtt::decode_connack(p, version_, why);
        if (!ack) {
            return failed_step(errc::mqtt_malformed_packet,
                               "MQTT broker sent a malformed CONNACK: " + std::string(why));
        }
        if (ack->code == 0) {
            return done_step();
        }
        return refused(*ack);
    }

    step refused(const mqtt::connack& ack) const
    {
        const int table = ack.legacy_reply ? 4 : version_;
        std::string name(mqtt::connack_code_name(table, ack.code));
        if (name.empty()) {
            name = "unknown code";
        }
        std::string why = "MQTT broker refused the connection: " + name;
        if (table == 4) {
            why += " (CONNACK return code " + std::to_string(ack.code) + ")";
        } else {
            why += " (CONNACK reason code " + hex_byte(ack.code) + ")";
        }
        if (ack.legacy_reply) {
            why += "; it answered in MQTT 3.1.1, so it does not speak 5.0: try --mqtt-version 4";
        }
        if (!ack.reason_string.empty()) {
            why += ", reason string " + preview(ack.reason_string);
        }
        if (!ack.server_reference.empty()) {
            why += ", server reference " + preview(ack.server_reference);
        }
        const errc e = ack.legacy_reply && ack.code == 1 ? errc::mqtt_unsupported_version
                                                         : refusal_code(table, ack.code);
        return failed_step(e, std::move(why));
    }

    step on_rtt_packet(const mqtt::packet& p)
    {
        switch (p.type()) {
        case mqtt::packet_type::pingresp:
            // MQTT 3.1.1 §3.13: PINGRESP is D0 00.
            if (p.flags() != 0 || !p.body.empty()) {
                return failed_step(errc::mqtt_malformed_packet, "MQTT broker sent a malformed PINGRESP");
            }
            return done_step();
        case mqtt::packet_type::disconnect: {
            // MQTT 3.1.1 §3.14: only the client sends DISCONNECT; 5.0 §3.14 lets the server send one.
            if (version_ == 4) {
                return failed_step(errc::mqtt_unexpected_packet, "MQTT 3.1.1 broker sent DISCONNECT");
            }
            std::string_view why;
            const auto d = mqtt::decode_disconnect(p, why);
            if (!d) {
                return failed_step(errc::mqtt_malformed_packet,
                                   "MQTT broker sent a malformed DISCONNECT: " + std::string(why));
            }
            std::string name(mqtt::disconnect_code_name(d->code));
            std::string text =
                "MQTT broker sent DISCONNECT: " + (name.empty() ? std::string("unknown code") : name) +
                " (reason code " + hex_byte(d->code) + ")";
            if (!d->reason_string.empty()) {
                text += ", reason string " + preview(d->reason_string);
            }
            return failed_step(errc::mqtt_disconnect, std::move(text));
        }
        case mqtt::packet_type::connack:
        case mqtt::packet_type::connect:
        case mqtt::packet_type::pingreq:
            // MQTT 3.1.1 §3.2: CONNACK comes once; CONNECT and PINGREQ only flow client to server.
            return failed_step(errc::mqtt_unexpected_packet, "MQTT broker sent " +
                                                                 std::string(mqtt::to_string(p.type())) +
                                                                 " while the probe waited for PINGRESP");
        default:
            return wait_step(); // other traffic does not end the wait for PINGRESP
        }
    }

    int version_;
    preset_options options_;
    mqtt::connect_options connect_;
    mqtt::packet_reader reader_;
};

} // namespace

checked<session_ptr> make_mqtt(const preset_options& o)
{
    mqtt::connect_options c;
    c.version = o.mqtt_version;
    c.client_id = o.client_id;
    if (!o.username.empty()) {
        c.username = o.username;
    }
    if (o.password) {
        c.password = *o.password;
    }
    c.keep_alive = o.keep_alive;
    const std::string bad = mqtt::check_connect(c);
    if (!bad.empty()) {
        return tl::unexpected(problem{errc::bad_option, bad});
    }
    return std::make_unique<mqtt_session>(o, c);
}

} // namespace wsp::proto::app::detail
