// wsprobe-lab app-protocol servers (`/app/<protocol>?fault=...`): the server side of each protocol
// the client presets speak (proto/presets/app.h), after the RFC 6455 §4.2.2 101, with one fault per
// failure signal a preset recognises. Sans-I/O: whole messages in, messages and a close out.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wsp::lab {

enum class app_protocol : std::uint8_t {
    graphql_transport_ws = 0, // graphql-ws 5+ (graphql-transport-ws subprotocol)
    graphql_ws = 1,           // legacy subscriptions-transport-ws
    mqtt = 2,                 // MQTT 3.1.1 / 5.0 over WebSocket
    wamp = 3,                 // WAMP v2 JSON
    signalr = 4,              // ASP.NET Core SignalR JSON hub protocol
    phoenix = 5,              // Phoenix Channels v2 serializer
    socketio = 6,             // Socket.IO v4 over Engine.IO v4
    actioncable = 7,          // Rails ActionCable
};

// The path name ("graphql-transport-ws", "mqtt", ...), equal to the client preset's --app name.
[[nodiscard]] std::string_view to_string(app_protocol p) noexcept;

// What one `/app/...` request asks for. `fault` is empty for a healthy server.
struct app_route {
    app_protocol protocol = app_protocol::graphql_transport_ws;
    std::string fault;
    std::string user;  // mqtt: required user name (with `pass`); empty lets anyone in
    std::string pass;  // mqtt: required password; a secret, never logged by the lab
    std::string realm; // wamp: the only realm that exists; empty accepts every realm
};

// Parses "/app/<protocol>[?fault=F&user=U&pass=P&realm=R]" (percent-decoded values). mqtt also
// takes `fault=U:P` as shorthand for user=U&pass=P. nullopt for another path, an unknown
// protocol or a fault the protocol does not know (the lab answers 404, so a typo is visible).
// Faults per protocol:
//   graphql-transport-ws  4400..4499 or 4500: close with that code on connection_init
//                         (4408 right after the 101); silent: never acknowledge
//   graphql-ws            error: connection_error with a message payload, then close 1011
//   mqtt                  rc1..rc5, rc128..rc159: refuse CONNECT with that code, translated to the
//                         version the client spoke; text: answer in a text frame; disconnect:
//                         answer PINGREQ with DISCONNECT (5.0) or a dropped connection (3.1.1)
//   wamp                  abort: ABORT wamp.error.no_such_realm; challenge: CHALLENGE ticket
//   signalr               error: {"error":...} then close; close: a Close record (type 7)
//   phoenix               error: replies with status error; close: phx_close for the join
//   socketio              connect_error: CONNECT_ERROR 44{"message":...}
//   actioncable           unauthorized: disconnect reason unauthorized, then close
[[nodiscard]] std::optional<app_route> route_app(std::string_view target);

// The subprotocol this protocol negotiates, "" when it uses none (signalr, phoenix, socketio).
[[nodiscard]] std::string_view app_subprotocol(const app_route& r) noexcept;

// What the 101 selects: app_subprotocol(r) when the client's Sec-WebSocket-Protocol value
// (comma-separated, RFC 6455 §4.2.2 item 5.4) offered it, else "" (select nothing). The view
// points to static storage.
[[nodiscard]] std::string_view select_app_subprotocol(const app_route& r, std::string_view offered) noexcept;

// One line per app path and its faults, for `wsprobe-lab --list`.
[[nodiscard]] std::string describe_app_routes();

// One WebSocket data message from the server.
struct app_message {
    bool binary = false;
    std::string bytes;
};

struct app_close {
    std::uint16_t code = 1000;
    std::string reason;
};

// The server's answer to one event, in order: the messages, then a close frame (`close`), or a
// TCP close without a close frame (`drop`). After a close or drop the connection is finished: the
// caller waits (bounded) for the client's close and ignores further data.
struct app_reaction {
    std::vector<app_message> send;
    std::optional<app_close> close;
    bool drop = false;
};

// Appends the reaction's messages and its close frame as unmasked server frames (RFC 6455 §5.1,
// §5.2; a close reason is cut to 123 bytes, §5.5) to `out`, ready for one send. Allocates only
// when `out` must grow.
void append_reaction_frames(const app_reaction& r, std::vector<std::uint8_t>& out);

namespace detail {
class app_handler;
}

// One protocol conversation per upgraded connection. Not thread-safe; lives as long as the
// connection. Client input never throws or asserts: a malformed message gets the answer the real
// server gives (an error, a close, or a drop).
class app_server {
public:
    explicit app_server(app_route r);
    ~app_server();
    app_server(app_server&&) noexcept;
    app_server& operator=(app_server&&) noexcept;

    [[nodiscard]] const app_route& route() const noexcept { return route_; }

    // What the server sends right after the 101 (Engine.IO open, ActionCable welcome; usually
    // nothing).
    [[nodiscard]] app_reaction on_open();
    // Each complete data message from the client (binary: opcode 0x2).
    [[nodiscard]] app_reaction on_message(bool binary, std::string_view bytes);
    // How often the server pushes a keep-alive when idle (graphql-ws ka, Engine.IO ping,
    // ActionCable ping, SignalR ping); 0 when the protocol has none.
    [[nodiscard]] std::uint32_t keepalive_interval_ms() const noexcept;
    // The keep-alive to send now; an Engine.IO ping left unanswered since the last one closes the
    // connection, as Engine.IO's pingTimeout does.
    [[nodiscard]] app_reaction on_keepalive();
    // True once a reaction carried a close or a drop.
    [[nodiscard]] bool finished() const noexcept { return finished_; }

private:
    app_reaction track(app_reaction r);

    app_route route_;
    std::unique_ptr<detail::app_handler> handler_;
    bool finished_ = false;
};

} // namespace wsp::lab
