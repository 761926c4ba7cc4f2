// graphql-transport-ws (graphql-ws PROTOCOL.md: ConnectionInit/Ack, Ping/Pong, close 44xx), the
// legacy subscriptions-transport-ws "graphql-ws" protocol (connection_ack, ka, connection_error) and
// Rails ActionCable (welcome, ping, disconnect).
#include <array>

#include "proto/presets/detail/common.h"

namespace wsp::proto::app::detail {
namespace {

constexpr std::array<close_meaning, 8> transport_ws_closes{{
    {4400, "Bad Request", "the server received an invalid message"},
    {4401, "Unauthorized",
     "not authorised: the connection_init was refused or an operation came before connection_ack"},
    {4403, "Forbidden", "the server refused the connection_init payload"},
    {4406, "Subprotocol not acceptable", "the server does not speak graphql-transport-ws"},
    {4408, "Connection initialisation timeout", "no connection_init within the server's wait time"},
    {4409, "Subscriber already exists", "an operation id was reused"},
    {4429, "Too many initialisation requests", "more than one connection_init was sent"},
    {4500, "Internal server error", "the server failed while handling the connection"},
}};

std::string init_message(const std::string& payload)
{
    if (payload.empty()) {
        return R"({"type":"connection_init"})";
    }
    return R"({"type":"connection_init","payload":)" + payload + "}";
}

class graphql_transport_ws_session final : public session {
public:
    explicit graphql_transport_ws_session(std::string payload) : payload_(std::move(payload)) {}

    std::vector<outgoing> start() override
    {
        std::vector<outgoing> out;
        out.push_back(text_message(init_message(payload_)));
        return out;
    }

    step on_init_message(frame_kind kind, std::string_view bytes) override
    {
        return handle(kind, bytes, "connection_ack");
    }
    bool has_rtt() const override { return true; }
    std::vector<outgoing> rtt_request() override
    {
        std::vector<outgoing> out;
        out.push_back(text_message(R"({"type":"ping"})"));
        return out;
    }
    step on_rtt_message(frame_kind kind, std::string_view bytes) override
    {
        return handle(kind, bytes, "pong");
    }

    std::string describe_close(std::uint16_t code, std::string_view reason) const override
    {
        return close_sentence("graphql-transport-ws", transport_ws_closes, code, reason);
    }

private:
    step handle(frame_kind kind, std::string_view bytes, std::string_view wanted)
    {
        simdjson::dom::element msg;
        step failure;
        if (!parse_reply(reader_, "GraphQL (graphql-transport-ws)", kind, bytes, msg, failure)) {
            return failure;
        }
        const std::string_view type = string_member(msg, "type");
        if (type == wanted) {
            return done_step();
        }
        if (type == "ping") {
            // graphql-ws PROTOCOL.md, Ping: the receiver answers with a Pong as soon as possible.
            step s;
            s.send.push_back(text_message(R"({"type":"pong"})"));
            return s;
        }
        if (type == "pong") {
            // graphql-ws PROTOCOL.md, Pong: may be sent unsolicited as a heartbeat; ignored.
            return wait_step();
        }
        if (type.empty()) {
            return failed_step(
                errc::bad_message,
                "GraphQL (graphql-transport-ws) server sent a message without a string \"type\": " +
                    preview(bytes));
        }
        if (wanted == "pong") {
            return wait_step(); // after connection_ack other messages are legal; only pong times the RTT
        }
        // graphql-ws PROTOCOL.md: only connection_ack, ping and pong may precede the acknowledgement.
        std::string why = "GraphQL (graphql-transport-ws) server sent \"" + std::string(type) +
                          "\" before connection_ack: " + preview(bytes);
        if (type == "connection_error" || type == "ka") {
            why += "; it looks like a legacy subscriptions-transport-ws server: try --app graphql-ws";
        }
        return failed_step(errc::graphql_unexpected_message, std::move(why));
    }

    std::string payload_;
    json_reader reader_;
};

class graphql_ws_session final : public session {
public:
    explicit graphql_ws_session(std::string payload) : payload_(std::move(payload)) {}

    std::vector<outgoing> start() override
    {
        std::vector<outgoing> out;
        // subscriptions-transport-ws: connection_init always carries a payload object.
        out.push_back(text_message(init_message(payload_.empty() ? std::string("{}") : payload_)));
        return out;
    }

    step on_init_message(frame_kind kind, std::string_view bytes) override
    {
        simdjson::dom::element msg;
        step failure;
        if (!parse_reply(reader_, "GraphQL (graphql-ws)", kind, bytes, msg, failure)) {
            return failure;
        }
        const std::string_view type = string_member(msg, "type");
        if (type == "connection_ack") {
            return done_step();
        }
        if (type == "ka") {
            return wait_step(); // keep-alive; normally follows the ack but harmless before it
        }
        if (type == "connection_error") {
            simdjson::dom::element payload;
            std::string detail = "no payload";
            if (msg["payload"].get(payload) == simdjson::SUCCESS) {
                const std::string_view message = string_member(payload, "message");
                detail = message.empty() ? preview(compact(payload), 200) : preview(message, 200);
            }
            return failed_step(errc::graphql_connection_error,
                               "GraphQL (graphql-ws) server refused connection_init with connection_error: " +
                                   detail);
        }
        if (type.empty()) {
            return failed_step(errc::bad_message,
                               "GraphQL (graphql-ws) server sent a message without a string \"type\": " +
                                   preview(bytes));
        }
        return failed_step(errc::graphql_unexpected_message,
                           "GraphQL (graphql-ws) server sent \"" + std::string(type) +
                               "\" before connection_ack: " + preview(bytes));
    }

    bool has_rtt() const override { return false; }
    std::vector<outgoing> rtt_request() override { return {}; }
    step on_rtt_message(frame_kind, std::string_view) override { return wait_step(); }
    std::string describe_close(std::uint16_t code, std::string_view reason) const override
    {
        return close_sentence("graphql-ws", {}, code, reason);
    }

private:
    std::string payload_;
    json_reader reader_;
};

class actioncable_session final : public session {
public:
    std::vector<outgoing> start() override { return {}; }

    step on_init_message(frame_kind kind, std::string_view bytes) override
    {
        simdjson::dom::element msg;
        step failure;
        if (!parse_reply(reader_, "ActionCable", kind, bytes, msg, failure)) {
            return failure;
        }
        const std::string_view type = string_member(msg, "type");
        if (type == "welcome") {
            return done_step();
        }
        if (type == "disconnect") {
            const std::string_view reason = string_member(msg, "reason");
            bool reconnect = false;
            const bool has_reconnect = msg["reconnect"].get_bool().get(reconnect) == simdjson::SUCCESS;
            std::string why = "ActionCable server sent disconnect";
            why += reason.empty() ? std::string(" without a reason") : ", reason " + preview(reason);
            if (has_reconnect) {
                why += reconnect ? " (it allows reconnecting)" : " (it forbids reconnecting)";
            }
            if (reason == "unauthorized") {
                why += ": the connection was rejected by the server's authentication "
                       "(reject_unauthorized_connection)";
            }
            return failed_step(errc::actioncable_disconnect, std::move(why));
        }
        // ActionCable pings every few seconds and may send channel traffic: neither ends the wait.
        return wait_step();
    }

    bool has_rtt() const override { return false; }
    std::vector<outgoing> rtt_request() override { return {}; }
    step on_rtt_message(frame_kind, std::string_view) override { return wait_step(); }
    std::string describe_close(std::uint16_t code, std::string_view reason) const override
    {
        return close_sentence("actioncable", {}, code, reason);
    }

private:
    json_reader reader_;
};

} // namespace

checked<session_ptr> make_graphql_transport_ws(const preset_options& o)
{
    auto payload = object_payload(o, "graphql-transport-ws");
    if (!payload) {
        return tl::unexpected(std::move(payload.error()));
    }
    return std::make_unique<graphql_transport_ws_session>(std::move(*payload));
}

checked<session_ptr> make_graphql_ws(const preset_options& o)
{
    auto payload = object_payload(o, "graphql-ws");
    if (!payload) {
        return tl::unexpected(std::move(payload.error()));
    }
    return std::make_unique<graphql_ws_session>(std::move(*payload));
}

checked<session_ptr> make_actioncable(const preset_options&)
{
    return std::make_unique<actioncable_session>();
}

} // namespace wsp::proto::app::detail
