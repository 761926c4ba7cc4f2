// App-protocol presets (`--app NAME`): per protocol, the subprotocol to offer and assert, the init
// messages, how success and failure replies are recognised, the close-code map and the RTT
// primitive. Sans-I/O: the probe feeds received messages in and sends what comes out.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/assert/support.h"
#include "proto/error.h"

namespace wsp::proto::app {

// Errors a preset reports. Names are stable and go into JSON results. Append-only.
enum class errc : std::uint16_t {
    ok = 0,
    bad_option = 1,            // preset options unusable (config)
    reply_not_json = 2,        // a JSON protocol received text that is not JSON
    bad_message = 3,           // JSON of the wrong shape for the protocol
    unexpected_frame_kind = 4, // binary where text belongs, or text where binary belongs
    message_too_large = 5,     // a reply exceeded the reassembly bound
    graphql_connection_error = 6,
    mqtt_unsupported_version = 7,
    mqtt_client_id_rejected = 8,
    mqtt_server_unavailable = 9,
    mqtt_bad_credentials = 10,
    mqtt_not_authorized = 11,
    mqtt_refused = 12, // any other MQTT 5.0 CONNACK reason code >= 0x80
    mqtt_malformed_packet = 13,
    mqtt_unexpected_packet = 14,
    mqtt_disconnect = 15, // MQTT 5.0 DISCONNECT from the broker
    wamp_abort = 16,
    wamp_auth_required = 17,
    signalr_handshake_error = 18,
    signalr_closed = 19,
    phoenix_reply_error = 20,
    phoenix_channel_closed = 21,
    socketio_connect_error = 22,
    socketio_bad_open = 23,
    socketio_closed = 24,
    actioncable_disconnect = 25,
    graphql_unexpected_message = 26,
};

[[nodiscard]] const wsp::error_domain& domain_of(errc) noexcept;

enum class frame_kind : std::uint8_t { text = 0, binary = 1 };

// A message to send as one WebSocket message. `secret` marks bytes that carry a credential (the
// MQTT CONNECT with a password): transcripts show `summary` instead of the bytes.
struct outgoing {
    frame_kind kind = frame_kind::text;
    std::string bytes;
    bool secret = false;
    std::string summary; // set when secret: a redacted, human description
};

// How a transcript shows an outgoing message: the summary when secret, else a bounded preview.
[[nodiscard]] std::string to_string(const outgoing& m);

enum class step_kind : std::uint8_t { wait = 0, done = 1, failed = 2 };

// The answer to one received message. `send` holds replies due now (socket.io "3" for "2", a
// graphql-transport-ws pong for a ping, "40" after the Engine.IO open); usually empty.
struct step {
    step_kind kind = step_kind::wait;
    std::vector<outgoing> send;
    wsp::error error;     // failed: stable code (name(), cls())
    std::string sentence; // failed: names the protocol and what the server said; no secrets
};

// One object per check, created by a preset. Not thread-safe. Peer input never throws or asserts:
// malformed replies come back as a failed step.
class session {
public:
    virtual ~session() = default;
    // Messages to send right after the 101 (may be empty: socket.io and actioncable wait first).
    [[nodiscard]] virtual std::vector<outgoing> start() = 0;
    // Feed each received data message until done or failed.
    [[nodiscard]] virtual step on_init_message(frame_kind kind, std::string_view bytes) = 0;
    // false: the protocol has no request/response primitive; the probe uses a WebSocket ping.
    [[nodiscard]] virtual bool has_rtt() const = 0;
    // After init is done: the request whose reply times the round trip (empty when !has_rtt()).
    [[nodiscard]] virtual std::vector<outgoing> rtt_request() = 0;
    // Feed each received data message after rtt_request() until done or failed; unrelated
    // messages the protocol allows yield wait.
    [[nodiscard]] virtual step on_rtt_message(frame_kind kind, std::string_view bytes) = 0;
    // A sentence for a close frame received during the check, naming the protocol's meaning of
    // application codes (4400 -> "Bad request ...") and quoting the reason.
    [[nodiscard]] virtual std::string describe_close(std::uint16_t code, std::string_view reason) const = 0;
};

struct preset_options {
    std::string realm;                   // wamp: required
    std::string topic;                   // phoenix: channel to join; socketio: namespace ("/admin")
    std::string client_id;               // mqtt: empty asks the broker to assign one
    std::string username;                // mqtt
    std::optional<std::string> password; // mqtt: secret, never printed
    int mqtt_version = 4;                // 4 = 3.1.1, 5 = 5.0
    std::uint16_t keep_alive = 30;       // mqtt, seconds
    std::string init_payload_json;       // graphql connection_init payload, phoenix join payload,
                                         // socketio auth: a JSON object, empty for none
};

// Options as text for logs and transcripts; the password shows as <redacted>.
[[nodiscard]] std::string to_string(const preset_options& o);

using session_ptr = std::unique_ptr<session>;

struct preset {
    std::string_view name;
    std::string_view subprotocol; // empty: none offered
    std::string_view description;
    // Validates the options (a config problem names the option) and creates a session.
    checked<session_ptr> (*make)(const preset_options&);
};

// Every preset, in a fixed order. Static storage; never empty.
[[nodiscard]] std::span<const preset> all_presets() noexcept;
// The preset with this exact name, or nullptr.
[[nodiscard]] const preset* find_preset(std::string_view name) noexcept;

// The RFC 6455 §7.4.1 meaning of a close code ("Policy Violation"), "" when unregistered.
[[nodiscard]] std::string_view standard_close_name(std::uint16_t code) noexcept;

} // namespace wsp::proto::app
