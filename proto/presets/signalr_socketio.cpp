// The signalr preset (ASP.NET Core SignalR HubProtocol.md: JSON handshake records ended by 0x1E,
// ping type 6, close type 7) and the socketio preset (Engine.IO v4 packets 0-6 and Socket.IO v5
// wire format CONNECT 40 / CONNECT_ERROR 44 / DISCONNECT 41, as spoken by Socket.IO 3.x and 4.x).
#include "proto/presets/detail/common.h"

namespace wsp::proto::app::detail {
namespace {

constexpr char record_separator = '\x1e';
constexpr std::size_t max_pending_record = 65536;

class signalr_session final : public session {
public:
    std::vector<outgoing> start() override
    {
        std::vector<outgoing> out;
        out.push_back(text_message(std::string(R"({"protocol":"json","version":1})") + record_separator));
        return out;
    }

    step on_init_message(frame_kind kind, std::string_view bytes) override
    {
        if (kind != frame_kind::text) {
            return failed_step(errc::unexpected_frame_kind,
                               "SignalR hub sent a binary message to a JSON-protocol handshake: " +
                                   preview(bytes));
        }
        // HubProtocol.md: every JSON record ends with 0x1E; a record may span WebSocket messages.
        pending_.append(bytes);
        std::size_t begin = 0;
        for (std::size_t end = pending_.find(record_separator); end != std::string::npos;
             end = pending_.find(record_separator, begin)) {
            const std::string_view record(pending_.data() + begin, end - begin);
            begin = end + 1;
            step s = on_record(record);
            if (s.kind != step_kind::wait) {
                pending_.clear();
                return s;
            }
        }
        pending_.erase(0, begin);
        if (pending_.size() > max_pending_record) {
            return failed_step(errc::message_too_large,
                               "SignalR hub sent more than 65536 bytes without a record separator (0x1E)");
        }
        return wait_step();
    }

    bool has_rtt() const override { return false; }
    std::vector<outgoing> rtt_request() override { return {}; }
    step on_rtt_message(frame_kind, std::string_view) override { return wait_step(); }
    std::string describe_close(std::uint16_t code, std::string_view reason) const override
    {
        return close_sentence("signalr", {}, code, reason);
    }

private:
    step on_record(std::string_view record)
    {
        simdjson::dom::element msg;
        step failure;
        if (!parse_reply(reader_, "SignalR", frame_kind::text, record, msg, failure)) {
            return failure;
        }
        if (!msg.is_object()) {
            return failed_step(errc::bad_message,
                               "SignalR hub sent a record that is not a JSON object: " + preview(record));
        }
        std::int64_t type = 0;
        if (msg["type"].get(type) == simdjson::SUCCESS) {
            if (type == 7) {
                // HubProtocol.md, Close: [type 7, optional error, optional allowReconnect].
                const std::string_view why = string_member(msg, "error");
                return failed_step(errc::signalr_closed,
                                   "SignalR hub closed the connection" +
                                       (why.empty() ? std::string() : ": " + preview(why, 200)));
            }
            return wait_step(); // HubProtocol.md: a ping (type 6) needs no answer; others are not ours
        }
        std::string_view error;
        if (msg["error"].get(error) == simdjson::SUCCESS) {
            return failed_step(errc::signalr_handshake_error,
                               "SignalR hub rejected the handshake: " + preview(error, 200));
        }
        // HubProtocol.md, HandshakeResponse: an object without "error" is success.
        return done_step();
    }

    std::string pending_;
    json_reader reader_;
};

class socketio_session final : public session {
public:
    socketio_session(std::string nsp, std::string auth) : nsp_(std::move(nsp)), auth_(std::move(auth)) {}

    std::vector<outgoing> start() override { return {}; } // Engine.IO: the server speaks first

    step on_init_message(frame_kind kind, std::string_view bytes) override
    {
        if (kind != frame_kind::text) {
            return wait_step(); // binary attachments belong to events, never to the connect exchange
        }
        if (bytes.empty()) {
            return failed_step(errc::bad_message, "Socket.IO server sent an empty Engine.IO packet");
        }
        const char type = bytes.front();
        const std::string_view data = bytes.substr(1);
        if (!opened_) {
            return on_open(type, data, bytes);
        }
        switch (type) {
        case '2': { // Engine.IO v4: the server pings, the client answers pong with the same data
            step s;
            s.send.push_back(text_message("3" + std::string(data)));
            return s;
        }
        case '1':
            return failed_step(errc::socketio_closed, "Socket.IO server sent an Engine.IO close packet");
        case '4':
            return on_socket_packet(data, bytes);
        default:
            return wait_step(); // pong, upgrade, noop
        }
    }

    bool has_rtt() const override { return false; }
    std::vector<outgoing> rtt_request() override { return {}; }
    step on_rtt_message(frame_kind, std::string_view) override { return wait_step(); }
    std::string describe_close(std::uint16_t code, std::string_view reason) const override
    {
        return close_sentence("socketio", {}, code, reason);
    }

private:
    step on_open(char type, std::string_view data, std::string_view bytes)
    {
        // Engine.IO v4: the first packet is open, 0{"sid":...,"pingInterval":...,...}.
        simdjson::dom::element open;
        if (type != '0' || reader_.parse(data).get(open) != simdjson::SUCCESS ||
            string_member(open, "sid").empty()) {
            return failed_step(
                errc::socketio_bad_open,
                "Socket.IO server did not start with an Engine.IO v4 open packet 0{\"sid\":...}: " +
                    preview(bytes) + " (is the URL /socket.io/?EIO=4&transport=websocket?)");
        }
        opened_ = true;
        std::string connect = "40";
        if (nsp_ != "/") {
            connect += nsp_ + ",";
        }
        connect += auth_;
        step s;
        s.send.push_back(text_message(std::move(connect)));
        return s;
    }

    step on_socket_packet(std::string_view data, std::string_view bytes)
    {
        if (data.empty()) {
            return failed_step(errc::bad_message, "Socket.IO server sent an empty message packet");
        }
        const char type = data.front();
        std::string_view rest = data.substr(1);
        std::string_view nsp = "/";
        // Socket.IO protocol: a namespace other than "/" precedes the payload, ended by ','.
        if (!rest.empty() && rest.front() == '/') {
            const std::size_t comma = rest.find(',');
            nsp = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        }
        if (nsp != nsp_) {
            return wait_step();
        }
        if (type == '0') {
            simdjson::dom::element ok;
            if (reader_.parse(rest).get(ok) != simdjson::SUCCESS || !ok.is_object()) {
                return failed_step(errc::bad_message,
                                   "Socket.IO server sent a CONNECT without a JSON object: " +
                                       preview(bytes));
            }
            return done_step();
        }
        if (type == '4') {
            simdjson::dom::element err;
            std::string detail = preview(rest, 200);
            if (reader_.parse(rest).get(err) == simdjson::SUCCESS) {
                std::string_view message;
                if (err.get(message) == simdjson::SUCCESS ||
                    !(message = string_member(err, "message")).empty()) {
                    detail = preview(message, 200);
                }
            }
            return failed_step(errc::socketio_connect_error,
                               "Socket.IO server refused the connection to namespace " + preview(nsp_) +
                                   " (CONNECT_ERROR 44): " + detail);
        }
        if (type == '1') {
            return failed_step(errc::socketio_closed, "Socket.IO server disconnected namespace " +
                                                          preview(nsp_) + " (DISCONNECT 41)");
        }
        return wait_step();
    }

    std::string nsp_;
    std::string auth_;
    bool opened_ = false;
    json_reader reader_;
};

} // namespace

checked<session_ptr> make_signalr(const preset_options&)
{
    return std::make_unique<signalr_session>();
}

checked<session_ptr> make_socketio(const preset_options& o)
{
    auto auth = object_payload(o, "socketio");
    if (!auth) {
        return tl::unexpected(std::move(auth.error()));
    }
    std::string nsp = o.topic.empty() ? std::string("/") : o.topic;
    if (nsp.front() != '/' || nsp.find(',') != std::string::npos) {
        return tl::unexpected(
            problem{errc::bad_option, "the Socket.IO namespace (--topic) must start with '/' "
                                      "and contain no ',': " +
                                          preview(nsp)});
    }
    return std::make_unique<socketio_session>(std::move(nsp), std::move(*auth));
}

} // namespace wsp::proto::app::detail
