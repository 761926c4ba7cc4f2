// The preset table, the app error domain, close-code sentences (RFC 6455 §7.4.1 and the IANA
// WebSocket close code registry) and the JSON helpers the preset sessions share.
#include "proto/presets/app.h"

#include "proto/assert/support.h"
#include "proto/json_writer.h"
#include "proto/presets/detail/common.h"

namespace wsp::proto::app {
namespace {

using wsp::errc_info;

errc_info info(errc e) noexcept
{
    using fc = wsp::failure_class;
    switch (e) {
    case errc::ok:
        return {"ok", fc::none, "ok"};
    case errc::bad_option:
        return {"app_bad_option", fc::config, "the app preset options are not usable"};
    case errc::reply_not_json:
        return {"app_reply_not_json", fc::protocol, "the server's reply is not JSON"};
    case errc::bad_message:
        return {"app_bad_message", fc::protocol, "the server's reply has the wrong shape"};
    case errc::unexpected_frame_kind:
        return {"app_unexpected_frame_kind", fc::protocol, "the server sent the wrong kind of frame"};
    case errc::message_too_large:
        return {"app_message_too_large", fc::limit, "the server's reply is too large"};
    case errc::graphql_connection_error:
        return {"graphql_connection_error", fc::handshake, "the GraphQL server refused connection_init"};
    case errc::mqtt_unsupported_version:
        return {"mqtt_unsupported_version", fc::handshake, "the MQTT broker does not support this version"};
    case errc::mqtt_client_id_rejected:
        return {"mqtt_client_id_rejected", fc::handshake, "the MQTT broker rejected the client identifier"};
    case errc::mqtt_server_unavailable:
        return {"mqtt_server_unavailable", fc::handshake, "the MQTT service is unavailable"};
    case errc::mqtt_bad_credentials:
        return {"mqtt_bad_credentials", fc::handshake, "the MQTT broker rejected the user name or password"};
    case errc::mqtt_not_authorized:
        return {"mqtt_not_authorized", fc::handshake, "the MQTT client is not authorized to connect"};
    case errc::mqtt_refused:
        return {"mqtt_refused", fc::handshake, "the MQTT broker refused the connection"};
    case errc::mqtt_malformed_packet:
        return {"mqtt_malformed_packet", fc::protocol, "the MQTT broker sent a malformed packet"};
    case errc::mqtt_unexpected_packet:
        return {"mqtt_unexpected_packet", fc::protocol, "the MQTT broker sent an unexpected packet"};
    case errc::mqtt_disconnect:
        return {"mqtt_disconnect", fc::peer_closed, "the MQTT broker sent DISCONNECT"};
    case errc::wamp_abort:
        return {"wamp_abort", fc::handshake, "the WAMP router aborted the session"};
    case errc::wamp_auth_required:
        return {"wamp_auth_required", fc::handshake, "the WAMP router requires authentication"};
    case errc::signalr_handshake_error:
        return {"signalr_handshake_error", fc::handshake, "the SignalR hub rejected the handshake"};
    case errc::signalr_closed:
        return {"signalr_closed", fc::peer_closed, "the SignalR hub closed the connection"};
    case errc::phoenix_reply_error:
        return {"phoenix_reply_error", fc::handshake, "the Phoenix server replied with status error"};
    case errc::phoenix_channel_closed:
        return {"phoenix_channel_closed", fc::peer_closed, "the Phoenix channel errored or closed"};
    case errc::socketio_connect_error:
        return {"socketio_connect_error", fc::handshake,
                "the Socket.IO server refused the namespace connection"};
    case errc::socketio_bad_open:
        return {"socketio_bad_open", fc::protocol, "the Engine.IO open packet is missing or malformed"};
    case errc::socketio_closed:
        return {"socketio_closed", fc::peer_closed, "the Socket.IO server disconnected"};
    case errc::actioncable_disconnect:
        return {"actioncable_disconnect", fc::handshake, "the ActionCable server sent disconnect"};
    case errc::graphql_unexpected_message:
        return {"graphql_unexpected_message", fc::protocol, "the GraphQL server sent an unexpected message"};
    }
    return {"unknown", fc::internal, "unknown error"};
}

constexpr wsp::error_domain app_domain = wsp::domain_from_table<errc, &info>("app");

constexpr preset presets[] = {
    {"graphql-transport-ws", "graphql-transport-ws",
     "GraphQL over WebSocket (graphql-ws 5+): connection_init -> connection_ack; RTT by ping/pong",
     &detail::make_graphql_transport_ws},
    {"graphql-ws", "graphql-ws",
     "legacy subscriptions-transport-ws: connection_init -> connection_ack; no RTT primitive",
     &detail::make_graphql_ws},
    {"mqtt", "mqtt",
     "MQTT 3.1.1 (or 5.0 with --mqtt-version 5): CONNECT -> CONNACK 0; RTT by PINGREQ/PINGRESP",
     &detail::make_mqtt},
    {"wamp", "wamp.2.json", "WAMP v2 JSON: HELLO to --realm -> WELCOME; no RTT primitive",
     &detail::make_wamp},
    {"signalr", "", "ASP.NET Core SignalR JSON hub protocol: handshake -> {}; no RTT primitive",
     &detail::make_signalr},
    {"phoenix", "",
     "Phoenix Channels v2 serializer: heartbeat (and join of --topic) -> phx_reply ok; RTT by heartbeat",
     &detail::make_phoenix},
    {"socketio", "", "Socket.IO v4 / Engine.IO v4: open packet, 40 -> 40{...}; no RTT primitive",
     &detail::make_socketio},
    {"actioncable", "actioncable-v1-json", "Rails ActionCable: welcome; no RTT primitive",
     &detail::make_actioncable},
};

} // namespace

const wsp::error_domain& domain_of(errc) noexcept
{
    return app_domain;
}

std::span<const preset> all_presets() noexcept
{
    return presets;
}

const preset* find_preset(std::string_view name) noexcept
{
    for (const preset& p : presets) {
        if (p.name == name) {
            return &p;
        }
    }
    return nullptr;
}

std::string_view standard_close_name(std::uint16_t code) noexcept
{
    switch (code) {
    case 1000:
        return "Normal Closure";
    case 1001:
        return "Going Away";
    case 1002:
        return "Protocol Error";
    case 1003:
        return "Unsupported Data";
    case 1005:
        return "No Status Received";
    case 1006:
        return "Abnormal Closure";
    case 1007:
        return "Invalid Frame Payload Data";
    case 1008:
        return "Policy Violation";
    case 1009:
        return "Message Too Big";
    case 1010:
        return "Mandatory Extension";
    case 1011:
        return "Internal Error";
    case 1012:
        return "Service Restart";
    case 1013:
        return "Try Again Later";
    case 1014:
        return "Bad Gateway";
    case 1015:
        return "TLS Handshake";
    default:
        return "";
    }
}

std::string to_string(const outgoing& m)
{
    if (m.secret) {
        return m.summary;
    }
    return (m.kind == frame_kind::text ? "text " : "binary ") + preview(m.bytes, 200);
}

std::string to_string(const preset_options& o)
{
    std::string out;
    json_writer w(out);
    w.begin_object();
    w.key("realm").value(o.realm);
    w.key("topic").value(o.topic);
    w.key("client_id").value(o.client_id);
    w.key("username").value(o.username);
    w.key("password").value(o.password ? "<redacted>" : "");
    w.key("mqtt_version").value(o.mqtt_version);
    w.key("keep_alive").value(static_cast<unsigned>(o.keep_alive));
    w.key("init_payload_json").value(o.init_payload_json);
    w.end_object();
    return out;
}

namespace detail {

step done_step(std::vector<outgoing> send)
{
    step s;
    s.kind = step_kind::done;
    s.send = std::move(send);
    return s;
}

step failed_step(errc e, std::string sentence)
{
    step s;
    s.kind = step_kind::failed;
    s.error = e;
    s.sentence = std::move(sentence);
    return s;
}

outgoing text_message(std::string bytes)
{
    return outgoing{frame_kind::text, std::move(bytes), false, {}};
}

std::string close_sentence(std::string_view protocol, std::span<const close_meaning> map, std::uint16_t code,
                           std::string_view reason)
{
    std::string out;
    for (const close_meaning& m : map) {
        if (m.code == code) {
            out.append(m.name).append(" (").append(protocol).append(" ").append(std::to_string(code));
            out.append(": ").append(m.meaning).append(")");
            break;
        }
    }
    if (out.empty()) {
        const std::string_view name = standard_close_name(code);
        out = "Server closed the connection with code " + std::to_string(code);
        if (!name.empty()) {
            out.append(" (").append(name).append(")");
        } else if (code >= 4000 && code <= 4999) {
            out.append(" (application-defined; not named by ").append(protocol).append(")");
        }
    }
    if (!reason.empty()) {
        out += ", reason " + preview(reason);
    }
    return out;
}

checked<std::string> object_payload(const preset_options& o, std::string_view protocol)
{
    if (o.init_payload_json.empty()) {
        return std::string{};
    }
    json_reader reader;
    simdjson::dom::object obj;
    if (reader.parse(o.init_payload_json).get(obj) != simdjson::SUCCESS) {
        return tl::unexpected(problem{errc::bad_option, "the init payload for " + std::string(protocol) +
                                                            " must be a JSON object, got " +
                                                            preview(o.init_payload_json)});
    }
    return simdjson::minify(obj);
}

bool parse_reply(json_reader& reader, std::string_view protocol, frame_kind kind, std::string_view bytes,
                 simdjson::dom::element& out, step& failure)
{
    if (kind != frame_kind::text) {
        failure =
            failed_step(errc::unexpected_frame_kind,
                        std::string(protocol) +
                            " server sent a binary message where JSON text was expected: " + preview(bytes));
        return false;
    }
    const auto err = reader.parse(bytes).get(out);
    if (err == simdjson::CAPACITY) {
        failure = failed_step(errc::message_too_large, std::string(protocol) + " server sent a " +
                                                           std::to_string(bytes.size()) +
                                                           "-byte message, over the JSON bound");
        return false;
    }
    if (err != simdjson::SUCCESS) {
        failure =
            failed_step(errc::reply_not_json,
                        std::string(protocol) + " server sent a message that is not JSON: " + preview(bytes));
        return false;
    }
    return true;
}

} // namespace detail
} // namespace wsp::proto::app
