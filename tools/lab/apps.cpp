// The lab's app-protocol servers: graphql-ws PROTOCOL.md (graphql-transport-ws), the legacy
// subscriptions-transport-ws protocol, MQTT 3.1.1 §3.1-§3.2/§3.12-§3.14 and MQTT 5.0 §3.1-§3.2 over
// WebSocket (§6), WAMP v2 basic profile §6, SignalR HubProtocol.md, Phoenix v2 serializer, Engine.IO
// v4 / Socket.IO v5 packets and ActionCable, each with its faults (apps.h).
#include "tools/lab/apps.h"

#include "tools/lab/detail/app_handler.h"
#include "tools/lab/scenario.h"

#include <array>
#include <charconv>

#include "proto/assert/support.h"
#include "proto/json_writer.h"
#include "proto/presets/mqtt_codec.h"
#include "ws/frame.h"

namespace wsp::lab {

namespace {

using detail::app_handler;
using detail::closing;
using detail::mqtt_fault_code;
using detail::say;
using detail::text;
using proto::json_writer;
using proto::string_member;

constexpr std::array<std::string_view, 8> protocol_names{
    "graphql-transport-ws", "graphql-ws", "mqtt", "wamp", "signalr", "phoenix", "socketio", "actioncable"};

bool known_fault(const app_route& r)
{
    const std::string_view f = r.fault;
    if (f.empty()) {
        return true;
    }
    switch (r.protocol) {
    case app_protocol::graphql_transport_ws: {
        unsigned code = 0;
        const auto res = std::from_chars(f.data(), f.data() + f.size(), code);
        const bool numeric = res.ec == std::errc{} && res.ptr == f.data() + f.size();
        return f == "silent" || (numeric && ((code >= 4400 && code <= 4499) || code == 4500));
    }
    case app_protocol::graphql_ws:
        return f == "error";
    case app_protocol::mqtt:
        return f == "text" || f == "disconnect" || (mqtt_fault_code(f) >= 1 && mqtt_fault_code(f) <= 5) ||
               mqtt_fault_code(f) >= 0x80;
    case app_protocol::wamp:
        return f == "abort" || f == "challenge";
    case app_protocol::signalr:
        return f == "error" || f == "close";
    case app_protocol::phoenix:
        return f == "error" || f == "close";
    case app_protocol::socketio:
        return f == "connect_error";
    case app_protocol::actioncable:
        return f == "unauthorized";
    }
    return false;
}


std::string json_string(std::string_view s)
{
    std::string out;
    json_writer(out).value(s);
    return out;
}

// ---- graphql-transport-ws (graphql-ws PROTOCOL.md) ----

std::string_view transport_ws_reason(std::uint16_t code) noexcept
{
    switch (code) {
    case 4400:
        return "Bad request";
    case 4401:
        return "Unauthorized";
    case 4403:
        return "Forbidden";
    case 4408:
        return "Connection initialisation timeout";
    case 4429:
        return "Too many initialisation requests";
    case 4500:
        return "Internal server error";
    default:
        return "lab fault";
    }
}

class graphql_transport_ws final : public app_handler {
public:
    explicit graphql_transport_ws(std::string_view fault) : silent_(fault == "silent")
    {
        std::from_chars(fault.data(), fault.data() + fault.size(), fault_code_);
    }

    app_reaction on_open() override
    {
        // PROTOCOL.md, ConnectionInit: a server whose init wait ran out closes with 4408.
        return fault_code_ == 4408 ? bad(4408) : app_reaction{};
    }

    app_reaction on_message(bool binary, std::string_view bytes) override
    {
        simdjson::dom::element msg;
        if (binary || reader_.parse(bytes).get(msg) != simdjson::SUCCESS) {
            return bad(4400); // PROTOCOL.md: an invalid message closes with 4400
        }
        const std::string_view type = string_member(msg, "type");
        if (type == "connection_init") {
            if (acked_ || init_seen_) {
                return bad(4429); // PROTOCOL.md, ConnectionInit: a second one closes with 4429
            }
            init_seen_ = true;
            if (fault_code_ != 0) {
                return bad(fault_code_);
            }
            if (silent_) {
                return {};
            }
            acked_ = true;
            return say(R"({"type":"connection_ack"})");
        }
        if (type == "ping") {
            return say(R"({"type":"pong"})"); // PROTOCOL.md, Ping: answer with a pong
        }
        if (type == "pong") {
            return {};
        }
        if (!acked_) {
            return bad(4401); // PROTOCOL.md: an operation before connection_ack closes with 4401
        }
        if (type == "subscribe" || type == "complete") {
            const std::string_view id = string_member(msg, "id");
            if (id.empty()) {
                return bad(4400);
            }
            return type == "complete" ? app_reaction{}
                                      : say(R"({"type":"complete","id":)" + json_string(id) + "}");
        }
        return bad(4400);
    }

private:
    static app_reaction bad(std::uint16_t code)
    {
        return closing({}, code, std::string(transport_ws_reason(code)));
    }

    proto::json_reader reader_;
    unsigned fault_code_ = 0;
    bool silent_;
    bool init_seen_ = false;
    bool acked_ = false;
};

// ---- graphql-ws (subscriptions-transport-ws) ----

class graphql_ws final : public app_handler {
public:
    explicit graphql_ws(std::string_view fault) : error_(fault == "error") {}

    app_reaction on_message(bool binary, std::string_view bytes) override
    {
        simdjson::dom::element msg;
        if (binary || reader_.parse(bytes).get(msg) != simdjson::SUCCESS) {
            return say(R"({"type":"error","payload":{"message":"Message must be JSON text"}})");
        }
        const std::string_view type = string_member(msg, "type");
        if (type == "connection_init") {
            if (error_) {
                // subscriptions-transport-ws: connection_error, then close 1011 shortly after.
                return closing(
                    say(R"({"type":"connection_error","payload":{"message":"lab fault: connection refused"}})"),
                    1011, "connection_error");
            }
            app_reaction r = say(R"({"type":"connection_ack"})");
            r.send.push_back(text(R"({"type":"ka"})"));
            return r;
        }
        if (type == "connection_terminate") {
            return closing({}, 1000, "");
        }
        return {};
    }
    std::uint32_t keepalive_interval_ms() const noexcept override { return 10'000; }
    app_reaction on_keepalive() override { return say(R"({"type":"ka"})"); }

private:
    proto::json_reader reader_;
    bool error_;
};

// ---- WAMP v2 JSON (basic profile §6.1 session establishment, §6.3 closing) ----

class wamp_router final : public app_handler {
public:
    explicit wamp_router(const app_route& r) : route_(r) {}

    app_reaction on_message(bool binary, std::string_view bytes) override
    {
        simdjson::dom::element msg;
        simdjson::dom::array arr;
        std::int64_t code = 0;
        // WAMP §4.1 (wamp.2.json): messages are JSON arrays in text frames, [code, ...].
        if (binary || reader_.parse(bytes).get(msg) != simdjson::SUCCESS ||
            msg.get(arr) != simdjson::SUCCESS || arr.size() == 0 ||
            arr.at(0).get(code) != simdjson::SUCCESS) {
            return abort("wamp.error.protocol_violation", "message is not a WAMP JSON array");
        }
        if (!joined_) {
            std::string_view realm;
            // WAMP §6.1: the first message is HELLO [1, Realm|uri, Details|dict].
            if (code != 1 || arr.size() < 3 || arr.at(1).get(realm) != simdjson::SUCCESS) {
                return abort("wamp.error.protocol_violation", "expected HELLO");
            }
            if (route_.fault == "abort" || (!route_.realm.empty() && realm != route_.realm)) {
                return abort("wamp.error.no_such_realm",
                             "no realm " + std::string(realm) + " on this lab router");
            }
            if (route_.fault == "challenge") {
                return say(R"([4,"ticket",{}])"); // advanced profile: CHALLENGE [4, AuthMethod, Extra]
            }
            joined_ = true;
            std::string welcome;
            json_writer w(welcome);
            w.begin_array().value(2).value(std::int64_t{4242}).begin_object().key("realm").value(realm);
            w.key("roles").begin_object().key("broker").begin_object().end_object();
            w.key("dealer").begin_object().end_object().end_object().end_object().end_array();
            return say(std::move(welcome));
        }
        if (code == 6) {
            // WAMP §6.3: GOODBYE is answered with GOODBYE wamp.close.goodbye_and_out.
            return closing(say(R"([6,{},"wamp.close.goodbye_and_out"])"), 1000, "");
        }
        return {};
    }

private:
    static app_reaction abort(std::string_view reason, std::string_view message)
    {
        std::string out;
        json_writer w(out);
        w.begin_array().value(3).begin_object().key("message").value(message).end_object().value(reason);
        w.end_array();
        return closing(say(std::move(out)), 1000, "");
    }

    app_route route_;
    proto::json_reader reader_;
    bool joined_ = false;
};

// ---- SignalR JSON hub protocol (HubProtocol.md: records ended by 0x1E) ----

constexpr char record_separator = '\x1e';

class signalr_hub final : public app_handler {
public:
    explicit signalr_hub(std::string_view fault) : fault_(fault) {}

    app_reaction on_message(bool binary, std::string_view bytes) override
    {
        if (binary) {
            return closing({}, 1003, "SignalR JSON needs text frames");
        }
        pending_.append(bytes);
        if (handshaken_) {
            const bool close_record = pending_.find(R"("type":7)") != std::string::npos;
            pending_.erase(0, pending_.rfind(record_separator) + 1);
            return close_record ? closing({}, 1000, "") : app_reaction{};
        }
        const std::size_t end = pending_.find(record_separator);
        if (end == std::string::npos) {
            return {}; // HubProtocol.md: a record may span messages
        }
        simdjson::dom::element msg;
        const std::string_view record(pending_.data(), end);
        const bool parsed = reader_.parse(record).get(msg) == simdjson::SUCCESS;
        const std::string protocol(parsed ? string_member(msg, "protocol") : std::string_view());
        pending_.erase(0, end + 1);
        if (fault_ == "error" || protocol != "json") {
            const std::string why = fault_ == "error"
                                        ? "lab fault: handshake refused"
                                        : "Requested protocol '" + protocol + "' is not available.";
            return closing(say(R"({"error":)" + json_string(why) + "}" + record_separator), 1000, "");
        }
        if (fault_ == "close") {
            return closing(say(R"({"type":7,"error":"lab fault: hub closed","allowReconnect":false})" +
                               std::string(1, record_separator)),
                           1000, "");
        }
        handshaken_ = true;
        return say(std::string("{}") + record_separator);
    }
    std::uint32_t keepalive_interval_ms() const noexcept override { return 15'000; }
    app_reaction on_keepalive() override
    {
        return handshaken_ ? say(R"({"type":6})" + std::string(1, record_separator)) : app_reaction{};
    }

private:
    std::string fault_;
    std::string pending_;
    proto::json_reader reader_;
    bool handshaken_ = false;
};

// ---- Phoenix Channels, v2 JSON serializer [join_ref, ref, topic, event, payload] ----

class phoenix_socket final : public app_handler {
public:
    explicit phoenix_socket(std::string_view fault) : fault_(fault) {}

    app_reaction on_message(bool binary, std::string_view bytes) override
    {
        simdjson::dom::element msg;
        simdjson::dom::array arr;
        std::string_view topic;
        std::string_view event;
        if (binary || reader_.parse(bytes).get(msg) != simdjson::SUCCESS ||
            msg.get(arr) != simdjson::SUCCESS || arr.size() != 5 ||
            arr.at(2).get(topic) != simdjson::SUCCESS || arr.at(3).get(event) != simdjson::SUCCESS) {
            return closing({}, 1003, "not a Phoenix v2 message");
        }
        std::string_view ref;
        std::string_view join_ref;
        const bool has_ref = arr.at(1).get(ref) == simdjson::SUCCESS;
        const bool has_join_ref = arr.at(0).get(join_ref) == simdjson::SUCCESS;
        if (!has_ref) {
            return {};
        }
        if (topic == "phoenix" && event == "heartbeat") {
            if (fault_ == "close" && !joined_) {
                return closing({}, 1000, "phx_close: no channel joined");
            }
            return say(reply(std::nullopt, ref, topic, fault_ == "error"));
        }
        if (event == "phx_join") {
            const std::optional<std::string_view> jref =
                has_join_ref ? std::optional(join_ref) : std::nullopt;
            joined_ = true;
            if (fault_ == "close") {
                // The channel process ended: phx_close carries the join reference.
                std::string out = frame_prefix(jref, jref.value_or(ref), topic);
                return say(out + R"("phx_close",{}])");
            }
            return say(reply(jref, ref, topic, fault_ == "error"));
        }
        if (event == "phx_leave") {
            return say(reply(has_join_ref ? std::optional(join_ref) : std::nullopt, ref, topic, false));
        }
        return {};
    }

private:
    static std::string frame_prefix(std::optional<std::string_view> join_ref, std::string_view ref,
                                    std::string_view topic)
    {
        std::string out = "[";
        out += join_ref ? json_string(*join_ref) : std::string("null");
        out += "," + json_string(ref) + "," + json_string(topic) + ",";
        return out;
    }
    static std::string reply(std::optional<std::string_view> join_ref, std::string_view ref,
                             std::string_view topic, bool error)
    {
        return frame_prefix(join_ref, ref, topic) +
               (error ? R"("phx_reply",{"status":"error","response":{"reason":"lab fault: unauthorized"}}])"
                      : R"("phx_reply",{"status":"ok","response":{}}])");
    }

    std::string fault_;
    proto::json_reader reader_;
    bool joined_ = false;
};

// ---- Socket.IO v5 over Engine.IO v4 ----

class socketio_server final : public app_handler {
public:
    explicit socketio_server(std::string_view fault) : refuse_(fault == "connect_error") {}

    app_reaction on_open() override
    {
        // Engine.IO v4: the server speaks first with the open packet.
        return say(
            R"(0{"sid":"lab-eio-1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000})");
    }

    app_reaction on_message(bool binary, std::string_view bytes) override
    {
        if (binary || bytes.empty()) {
            return {}; // binary attachments belong to events
        }
        switch (bytes.front()) {
        case '1':
            return closing({}, 1000, ""); // Engine.IO close
        case '2':
            return say("3" + std::string(bytes.substr(1)));
        case '3':
            ping_pending_ = false;
            return {};
        case '4':
            return on_socket_packet(bytes.substr(1));
        default:
            return {};
        }
    }

    std::uint32_t keepalive_interval_ms() const noexcept override { return 25'000; }
    app_reaction on_keepalive() override
    {
        if (ping_pending_) {
            return closing({}, 1000, "ping timeout"); // Engine.IO: no pong within pingTimeout
        }
        ping_pending_ = true;
        return say("2");
    }

private:
    app_reaction on_socket_packet(std::string_view data)
    {
        if (data.empty() || data.front() != '0') {
            return {}; // events, acks and disconnects need no answer here
        }
        std::string_view rest = data.substr(1);
        std::string prefix;
        // Socket.IO protocol: a namespace other than "/" precedes the payload, ended by ','.
        if (!rest.empty() && rest.front() == '/') {
            const std::size_t comma = rest.find(',');
            prefix = std::string(rest.substr(0, comma)) + ",";
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        }
        if (refuse_) {
            return say("44" + prefix + R"({"message":"lab fault: not authorized"})");
        }
        simdjson::dom::element auth;
        if (!rest.empty() && (reader_.parse(rest).get(auth) != simdjson::SUCCESS || !auth.is_object())) {
            return say("44" + prefix + R"({"message":"auth must be an object"})");
        }
        app_reaction r = say("40" + prefix + R"({"sid":"lab-sock-1"})");
        r.send.push_back(text("2")); // then the heartbeat the client must answer with "3"
        ping_pending_ = true;
        return r;
    }

    proto::json_reader reader_;
    bool refuse_;
    bool ping_pending_ = false;
};

// ---- Rails ActionCable (actioncable-v1-json) ----

class actioncable_server final : public app_handler {
public:
    explicit actioncable_server(std::string_view fault) : refuse_(fault == "unauthorized") {}

    app_reaction on_open() override
    {
        if (refuse_) {
            // ActionCable reject_unauthorized_connection: disconnect, then the socket closes.
            return closing(say(R"({"type":"disconnect","reason":"unauthorized","reconnect":false})"), 1000,
                           "");
        }
        app_reaction r = say(R"({"type":"welcome"})");
        r.send.push_back(ping());
        return r;
    }

    app_reaction on_message(bool binary, std::string_view bytes) override
    {
        simdjson::dom::element msg;
        if (binary || reader_.parse(bytes).get(msg) != simdjson::SUCCESS) {
            return {};
        }
        const std::string_view identifier = string_member(msg, "identifier");
        if (string_member(msg, "command") == "subscribe" && !identifier.empty()) {
            return say(R"({"identifier":)" + json_string(identifier) + R"(,"type":"confirm_subscription"})");
        }
        return {};
    }
    std::uint32_t keepalive_interval_ms() const noexcept override { return 3'000; }
    app_reaction on_keepalive() override { return say(ping().bytes); }

private:
    app_message ping() { return text(R"({"type":"ping","message":)" + std::to_string(++pings_) + "}"); }

    proto::json_reader reader_;
    std::uint64_t pings_ = 0;
    bool refuse_;
};

std::unique_ptr<app_handler> make_handler(const app_route& r)
{
    switch (r.protocol) {
    case app_protocol::graphql_transport_ws:
        return std::make_unique<graphql_transport_ws>(r.fault);
    case app_protocol::graphql_ws:
        return std::make_unique<graphql_ws>(r.fault);
    case app_protocol::mqtt:
        return detail::make_mqtt_broker(r);
    case app_protocol::wamp:
        return std::make_unique<wamp_router>(r);
    case app_protocol::signalr:
        return std::make_unique<signalr_hub>(r.fault);
    case app_protocol::phoenix:
        return std::make_unique<phoenix_socket>(r.fault);
    case app_protocol::socketio:
        return std::make_unique<socketio_server>(r.fault);
    case app_protocol::actioncable:
        return std::make_unique<actioncable_server>(r.fault);
    }
    return std::make_unique<graphql_transport_ws>(r.fault);
}

} // namespace

std::string_view to_string(app_protocol p) noexcept
{
    const auto i = static_cast<std::size_t>(p);
    return i < protocol_names.size() ? protocol_names[i] : std::string_view("unknown");
}

std::optional<app_route> route_app(std::string_view target)
{
    const auto q = target.find('?');
    const std::string_view path = target.substr(0, q);
    const std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    constexpr std::string_view prefix = "/app/";
    if (!path.starts_with(prefix)) {
        return std::nullopt;
    }
    app_route r;
    bool found = false;
    for (std::size_t i = 0; i < protocol_names.size(); ++i) {
        if (path.substr(prefix.size()) == protocol_names[i]) {
            r.protocol = static_cast<app_protocol>(i);
            found = true;
        }
    }
    if (!found) {
        return std::nullopt;
    }
    r.fault = query_param(query, "fault").value_or("");
    r.user = query_param(query, "user").value_or("");
    r.pass = query_param(query, "pass").value_or("");
    r.realm = query_param(query, "realm").value_or("");
    const auto colon = r.fault.find(':');
    if (r.protocol == app_protocol::mqtt && colon != std::string::npos) {
        r.user = r.fault.substr(0, colon);
        r.pass = r.fault.substr(colon + 1);
        r.fault.clear();
    }
    if (!known_fault(r)) {
        return std::nullopt;
    }
    return r;
}

std::string_view app_subprotocol(const app_route& r) noexcept
{
    switch (r.protocol) {
    case app_protocol::graphql_transport_ws:
        return "graphql-transport-ws";
    case app_protocol::graphql_ws:
        return "graphql-ws";
    case app_protocol::mqtt:
        return "mqtt";
    case app_protocol::wamp:
        return "wamp.2.json";
    case app_protocol::actioncable:
        return "actioncable-v1-json";
    case app_protocol::signalr:
    case app_protocol::phoenix:
    case app_protocol::socketio:
        return "";
    }
    return "";
}

std::string_view select_app_subprotocol(const app_route& r, std::string_view offered) noexcept
{
    const std::string_view wanted = app_subprotocol(r);
    while (!wanted.empty() && !offered.empty()) {
        const auto comma = offered.find(',');
        std::string_view token = offered.substr(0, comma);
        while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) {
            token.remove_prefix(1);
        }
        while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) {
            token.remove_suffix(1);
        }
        if (token == wanted) { // RFC 6455 §4.1: subprotocol names compare case-sensitively
            return wanted;
        }
        offered = comma == std::string_view::npos ? std::string_view() : offered.substr(comma + 1);
    }
    return {};
}

std::string describe_app_routes()
{
    return "/app/graphql-transport-ws   connection_init -> connection_ack, ping -> pong\n"
           "  ?fault=4400..4499|4500     close with that code on connection_init (4408: after the 101)\n"
           "  ?fault=silent              never acknowledges\n"
           "/app/graphql-ws             connection_ack then ka  (?fault=error: connection_error)\n"
           "/app/mqtt                   CONNECT -> CONNACK 0, PINGREQ -> PINGRESP (3.1.1 and 5.0)\n"
           "  ?fault=rc1..rc5|rc128..    refuse with that code (in the client's version)\n"
           "  ?fault=text|disconnect     CONNACK in a text frame | DISCONNECT on PINGREQ\n"
           "  ?user=U&pass=P (fault=U:P) require credentials (wrong: bad user name or password)\n"
           "/app/wamp                   HELLO -> WELCOME  (?realm=R; ?fault=abort|challenge)\n"
           "/app/signalr                handshake -> {}  (?fault=error|close)\n"
           "/app/phoenix                heartbeat and phx_join -> phx_reply ok  (?fault=error|close)\n"
           "/app/socketio               open packet, 40 -> 40{sid}, ping 2  (?fault=connect_error)\n"
           "/app/actioncable            welcome, pings  (?fault=unauthorized)\n";
}

void append_reaction_frames(const app_reaction& r, std::vector<std::uint8_t>& out)
{
    const auto append = [&](ws::opcode op, std::span<const std::uint8_t> payload) {
        const std::size_t at = out.size();
        out.resize(at + payload.size() + ws::max_header_size);
        const auto n = ws::build_frame(std::span(out).subspan(at), op, payload, std::nullopt);
        out.resize(at + (n ? *n : 0));
    };
    for (const app_message& m : r.send) {
        append(m.binary ? ws::opcode::binary : ws::opcode::text,
               {reinterpret_cast<const std::uint8_t*>(m.bytes.data()), m.bytes.size()});
    }
    if (r.close) {
        // RFC 6455 §5.5.1: two-byte code, then at most 123 bytes of reason (§5.5: 125 in all).
        std::string payload{static_cast<char>(r.close->code >> 8), static_cast<char>(r.close->code & 0xFF)};
        payload += std::string_view(r.close->reason).substr(0, 123);
        append(ws::opcode::close, {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()});
    }
}

app_server::app_server(app_route r) : route_(std::move(r)), handler_(make_handler(route_)) {}
app_server::~app_server() = default;
app_server::app_server(app_server&&) noexcept = default;
app_server& app_server::operator=(app_server&&) noexcept = default;

app_reaction app_server::track(app_reaction r)
{
    finished_ = finished_ || r.close.has_value() || r.drop;
    return r;
}

app_reaction app_server::on_open()
{
    return finished_ ? app_reaction{} : track(handler_->on_open());
}

app_reaction app_server::on_message(bool binary, std::string_view bytes)
{
    return finished_ ? app_reaction{} : track(handler_->on_message(binary, bytes));
}

std::uint32_t app_server::keepalive_interval_ms() const noexcept
{
    return handler_->keepalive_interval_ms();
}

app_reaction app_server::on_keepalive()
{
    return finished_ ? app_reaction{} : track(handler_->on_keepalive());
}

} // namespace wsp::lab
