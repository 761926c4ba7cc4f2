// The wamp preset (WAMP v2 basic profile §5-§6: HELLO, WELCOME, ABORT, CHALLENGE; JSON
// serialization over subprotocol wamp.2.json) and the phoenix preset (Phoenix Channels v2 JSON
// serializer: [join_ref, ref, topic, event, payload]; heartbeat and phx_join -> phx_reply).
#include <cstdint>

#include "proto/json_writer.h"
#include "proto/presets/detail/common.h"

namespace wsp::proto::app::detail {
namespace {

// WAMP basic profile §5.1.1.2: message codes.
enum class wamp_code : std::int64_t { hello = 1, welcome = 2, abort = 3, challenge = 4, goodbye = 6 };

// WAMP basic profile §5.1.1.1 (loose URI): dot-separated non-empty components without whitespace or '#'.
bool is_loose_uri(std::string_view s) noexcept
{
    if (s.empty() || s.front() == '.' || s.back() == '.') {
        return false;
    }
    char prev = 0;
    for (char c : s) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '#' || (c == '.' && prev == '.')) {
            return false;
        }
        prev = c;
    }
    return true;
}

class wamp_session final : public session {
public:
    explicit wamp_session(std::string realm) : realm_(std::move(realm)) {}

    std::vector<outgoing> start() override
    {
        std::string hello;
        json_writer w(hello);
        w.begin_array().value(static_cast<std::int64_t>(wamp_code::hello)).value(realm_);
        w.begin_object().key("roles").begin_object();
        for (const char* role : {"caller", "callee", "publisher", "subscriber"}) {
            w.key(role).begin_object().end_object();
        }
        w.end_object().end_object().end_array();
        std::vector<outgoing> out;
        out.push_back(text_message(std::move(hello)));
        return out;
    }

    step on_init_message(frame_kind kind, std::string_view bytes) override
    {
        simdjson::dom::element msg;
        step failure;
        if (!parse_reply(reader_, "WAMP", kind, bytes, msg, failure)) {
            return failure;
        }
        simdjson::dom::array arr;
        std::int64_t code = 0;
        if (msg.get(arr) != simdjson::SUCCESS || arr.size() == 0 ||
            arr.at(0).get(code) != simdjson::SUCCESS) {
            return failed_step(errc::bad_message,
                               "WAMP router sent a message that is not [code, ...]: " + preview(bytes));
        }
        switch (static_cast<wamp_code>(code)) {
        case wamp_code::welcome: {
            // WAMP §6.1: WELCOME is [2, Session|id, Details|dict].
            std::int64_t id = 0;
            simdjson::dom::object details;
            if (arr.size() < 3 || arr.at(1).get(id) != simdjson::SUCCESS ||
                arr.at(2).get(details) != simdjson::SUCCESS) {
                return failed_step(errc::bad_message,
                                   "WAMP router sent a malformed WELCOME: " + preview(bytes));
            }
            return done_step();
        }
        case wamp_code::abort:
        case wamp_code::goodbye: {
            // WAMP §6.1 / §6.3: ABORT and GOODBYE are [code, Details|dict, Reason|uri].
            std::string_view reason;
            simdjson::dom::element details;
            if (arr.size() < 3 || arr.at(2).get(reason) != simdjson::SUCCESS ||
                arr.at(1).get(details) != simdjson::SUCCESS) {
                return failed_step(errc::bad_message,
                                   "WAMP router sent a malformed ABORT: " + preview(bytes));
            }
            std::string why = "WAMP router " + std::string(code == 3 ? "aborted" : "said GOODBYE to") +
                              " the session for realm " + preview(realm_) + ": " + preview(reason, 120);
            const std::string_view message = string_member(details, "message");
            if (!message.empty()) {
                why += " (" + preview(message, 160) + ")";
            }
            if (reason == "wamp.error.no_such_realm") {
                why += "; check --realm";
            }
            return failed_step(errc::wamp_abort, std::move(why));
        }
        case wamp_code::challenge: {
            // WAMP advanced profile: CHALLENGE is [4, AuthMethod|string, Extra|dict].
            std::string_view method;
            if (arr.size() < 2 || arr.at(1).get(method) != simdjson::SUCCESS) {
                return failed_step(errc::bad_message,
                                   "WAMP router sent a malformed CHALLENGE: " + preview(bytes));
            }
            return failed_step(errc::wamp_auth_required, "WAMP router requires authentication for realm " +
                                                             preview(realm_) + " (CHALLENGE, method " +
                                                             preview(method, 60) +
                                                             "); the probe does not authenticate");
        }
        default:
            return failed_step(errc::bad_message, "WAMP router sent message code " + std::to_string(code) +
                                                      " before WELCOME: " + preview(bytes));
        }
    }

    bool has_rtt() const override { return false; }
    std::vector<outgoing> rtt_request() override { return {}; }
    step on_rtt_message(frame_kind, std::string_view) override { return wait_step(); }
    std::string describe_close(std::uint16_t code, std::string_view reason) const override
    {
        return close_sentence("wamp", {}, code, reason);
    }

private:
    std::string realm_;
    json_reader reader_;
};

class phoenix_session final : public session {
public:
    phoenix_session(std::string topic, std::string payload)
        : topic_(std::move(topic)), payload_(std::move(payload))
    {
    }

    std::vector<outgoing> start() override
    {
        std::vector<outgoing> out;
        if (!topic_.empty()) {
            join_ref_ = next_ref();
            std::string join;
            json_writer w(join);
            w.begin_array().value(join_ref_).value(join_ref_).value(topic_).value("phx_join");
            join += ",";
            join += payload_.empty() ? std::string("{}") : payload_;
            join += "]";
            out.push_back(text_message(std::move(join)));
            join_pending_ = true;
        }
        out.push_back(heartbeat());
        return out;
    }

    step on_init_message(frame_kind kind, std::string_view bytes) override { return handle(kind, bytes); }
    bool has_rtt() const override { return true; }
    std::vector<outgoing> rtt_request() override
    {
        std::vector<outgoing> out;
        out.push_back(heartbeat());
        return out;
    }
    step on_rtt_message(frame_kind kind, std::string_view bytes) override { return handle(kind, bytes); }
    std::string describe_close(std::uint16_t code, std::string_view reason) const override
    {
        return close_sentence("phoenix", {}, code, reason);
    }

private:
    std::string next_ref() { return std::to_string(++ref_counter_); }

    outgoing heartbeat()
    {
        heartbeat_ref_ = next_ref();
        heartbeat_pending_ = true;
        return text_message(R"([null,")" + heartbeat_ref_ + R"(","phoenix","heartbeat",{}])");
    }

    step handle(frame_kind kind, std::string_view bytes)
    {
        simdjson::dom::element msg;
        step failure;
        if (!parse_reply(reader_, "Phoenix", kind, bytes, msg, failure)) {
            return failure;
        }
        simdjson::dom::array arr;
        std::string_view topic;
        std::string_view event;
        if (msg.get(arr) != simdjson::SUCCESS || arr.size() != 5 ||
            arr.at(2).get(topic) != simdjson::SUCCESS || arr.at(3).get(event) != simdjson::SUCCESS) {
            return failed_step(errc::bad_message,
                               "Phoenix server sent a message that is not a v2 "
                               "[join_ref, ref, topic, event, payload] array (is ?vsn=2.0.0 "
                               "missing from the URL?): " +
                                   preview(bytes));
        }
        std::string_view ref;
        const bool has_ref = arr.at(1).get(ref) == simdjson::SUCCESS;
        std::string_view join_ref;
        const bool has_join_ref = arr.at(0).get(join_ref) == simdjson::SUCCESS;
        if ((event == "phx_error" || event == "phx_close") && !join_ref_.empty() && has_join_ref &&
            join_ref == join_ref_ && topic == topic_) {
            return failed_step(errc::phoenix_channel_closed,
                               "Phoenix channel " + preview(topic_) + " sent " + std::string(event));
        }
        if (event != "phx_reply" || !has_ref) {
            return wait_step(); // broadcasts, presence and other topics do not answer the probe
        }
        const bool is_heartbeat = heartbeat_pending_ && ref == heartbeat_ref_ && topic == "phoenix";
        const bool is_join = join_pending_ && ref == join_ref_ && topic == topic_;
        if (!is_heartbeat && !is_join) {
            return wait_step();
        }
        simdjson::dom::element payload = arr.at(4).value_unsafe();
        const std::string_view status = string_member(payload, "status");
        if (status == "error") {
            simdjson::dom::element response;
            std::string detail;
            if (payload["response"].get(response) == simdjson::SUCCESS) {
                const std::string_view reason = string_member(response, "reason");
                detail = reason.empty() ? preview(compact(response), 160) : preview(reason, 160);
            }
            return failed_step(
                errc::phoenix_reply_error,
                "Phoenix server replied with status error to the " +
                    std::string(is_join ? "join of " + preview(topic_) : std::string("heartbeat")) +
                    (detail.empty() ? std::string() : ": " + detail));
        }
        if (status != "ok") {
            return failed_step(errc::bad_message,
                               "Phoenix server sent a phx_reply without status ok or error: " +
                                   preview(bytes));
        }
        (is_join ? join_pending_ : heartbeat_pending_) = false;
        return join_pending_ || heartbeat_pending_ ? wait_step() : done_step();
    }

    std::string topic_;
    std::string payload_;
    std::string join_ref_;
    std::string heartbeat_ref_;
    std::uint64_t ref_counter_ = 0;
    bool join_pending_ = false;
    bool heartbeat_pending_ = false;
    json_reader reader_;
};

} // namespace

checked<session_ptr> make_wamp(const preset_options& o)
{
    if (o.realm.empty()) {
        return tl::unexpected(problem{errc::bad_option, "--app wamp needs --realm (the WAMP realm to join)"});
    }
    if (!is_loose_uri(o.realm)) {
        return tl::unexpected(
            problem{errc::bad_option,
                    "the WAMP realm must be a URI such as realm1 or com.example: " + preview(o.realm)});
    }
    return std::make_unique<wamp_session>(o.realm);
}

checked<session_ptr> make_phoenix(const preset_options& o)
{
    auto payload = object_payload(o, "phoenix");
    if (!payload) {
        return tl::unexpected(std::move(payload.error()));
    }
    if (o.topic == "phoenix") {
        return tl::unexpected(problem{errc::bad_option, "the topic \"phoenix\" is reserved for heartbeats"});
    }
    return std::make_unique<phoenix_session>(o.topic, std::move(*payload));
}

} // namespace wsp::proto::app::detail
