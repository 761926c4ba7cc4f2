// Tests of the JSON-based presets (graphql.cpp, wamp_phoenix.cpp, signalr_socketio.cpp, app.cpp):
// the init each sends, success, every failure signal, unsolicited messages ignored where the
// protocol allows them, and the close-code sentences.
#include <gtest/gtest.h>

#include <string>

#include "proto/presets/app.h"
#include "tests/support/guarded.h"

namespace {

using namespace wsp::proto;
using app::frame_kind;
using app::step_kind;

app::session_ptr make(std::string_view name, app::preset_options o = {})
{
    const app::preset* p = app::find_preset(name);
    EXPECT_NE(p, nullptr) << name;
    auto s = p->make(o);
    EXPECT_TRUE(s) << (s ? "" : s.error().sentence);
    return s ? std::move(*s) : nullptr;
}

app::step text(app::session& s, std::string_view msg)
{
    wsp::test::guarded_buffer g(msg);
    return s.on_init_message(frame_kind::text, g.view());
}

app::step rtt(app::session& s, std::string_view msg)
{
    wsp::test::guarded_buffer g(msg);
    return s.on_rtt_message(frame_kind::text, g.view());
}

TEST(presets_table, names_subprotocols_and_lookup)
{
    std::vector<std::string_view> names;
    for (const app::preset& p : app::all_presets()) {
        names.push_back(p.name);
        EXPECT_FALSE(p.description.empty());
        EXPECT_EQ(app::find_preset(p.name), &p);
    }
    EXPECT_EQ(names, (std::vector<std::string_view>{"graphql-transport-ws", "graphql-ws", "mqtt", "wamp",
                                                    "signalr", "phoenix", "socketio", "actioncable"}));
    EXPECT_EQ(app::find_preset("mqtt")->subprotocol, "mqtt");
    EXPECT_EQ(app::find_preset("wamp")->subprotocol, "wamp.2.json");
    EXPECT_EQ(app::find_preset("actioncable")->subprotocol, "actioncable-v1-json");
    EXPECT_EQ(app::find_preset("signalr")->subprotocol, "");
    EXPECT_EQ(app::find_preset("nope"), nullptr);
    EXPECT_EQ(app::find_preset("MQTT"), nullptr);
}

TEST(presets_table, error_names_are_stable_and_classified)
{
    wsp::error e = app::errc::graphql_connection_error;
    EXPECT_EQ(e.module(), "app");
    EXPECT_EQ(e.name(), "graphql_connection_error");
    EXPECT_EQ(e.cls(), wsp::failure_class::handshake);
    EXPECT_EQ(wsp::error(app::errc::reply_not_json).name(), "app_reply_not_json");
    EXPECT_EQ(wsp::error(app::errc::socketio_closed).cls(), wsp::failure_class::peer_closed);
    EXPECT_EQ(wsp::error(app::errc::bad_option).cls(), wsp::failure_class::config);
}

TEST(presets_graphql_transport_ws, ack_after_init_and_ping_rtt)
{
    auto s = make("graphql-transport-ws");
    const auto init = s->start();
    ASSERT_EQ(init.size(), 1u);
    EXPECT_EQ(init[0].bytes, R"({"type":"connection_init"})");
    EXPECT_EQ(init[0].kind, frame_kind::text);
    // A server ping is answered with pong; an unsolicited pong is ignored.
    const auto ping = text(*s, R"({"type":"ping"})");
    EXPECT_EQ(ping.kind, step_kind::wait);
    ASSERT_EQ(ping.send.size(), 1u);
    EXPECT_EQ(ping.send[0].bytes, R"({"type":"pong"})");
    EXPECT_EQ(text(*s, R"({"type":"pong"})").kind, step_kind::wait);
    EXPECT_EQ(text(*s, R"({"type":"connection_ack","payload":{"v":1}})").kind, step_kind::done);
    ASSERT_TRUE(s->has_rtt());
    const auto req = s->rtt_request();
    ASSERT_EQ(req.size(), 1u);
    EXPECT_EQ(req[0].bytes, R"({"type":"ping"})");
    EXPECT_EQ(rtt(*s, R"({"id":"1","type":"next","payload":{}})").kind, step_kind::wait);
    EXPECT_EQ(rtt(*s, R"({"type":"pong"})").kind, step_kind::done);
}

TEST(presets_graphql_transport_ws, init_payload_and_bad_payload)
{
    app::preset_options o;
    o.init_payload_json = R"( { "authToken" : "abc" } )";
    auto s = make("graphql-transport-ws", o);
    EXPECT_EQ(s->start()[0].bytes, R"({"type":"connection_init","payload":{"authToken":"abc"}})");
    for (const char* bad : {"[1]", "not json", "\"str\""}) {
        o.init_payload_json = bad;
        auto r = app::find_preset("graphql-transport-ws")->make(o);
        ASSERT_FALSE(r) << bad;
        EXPECT_TRUE(r.error().error == app::errc::bad_option);
    }
}

TEST(presets_graphql_transport_ws, failures)
{
    auto s = make("graphql-transport-ws");
    const auto legacy = text(*s, R"({"type":"connection_error","payload":{"message":"x"}})");
    ASSERT_EQ(legacy.kind, step_kind::failed);
    EXPECT_EQ(legacy.error.name(), "graphql_unexpected_message");
    EXPECT_NE(legacy.sentence.find("--app graphql-ws"), std::string::npos) << legacy.sentence;
    auto n = make("graphql-transport-ws");
    const auto not_json = text(*n, "hello");
    EXPECT_TRUE(not_json.error == app::errc::reply_not_json);
    EXPECT_NE(not_json.sentence.find("GraphQL"), std::string::npos);
    EXPECT_NE(not_json.sentence.find("\"hello\""), std::string::npos);
    auto t = make("graphql-transport-ws");
    EXPECT_TRUE(text(*t, R"({"kind":"x"})").error == app::errc::bad_message);
    auto b = make("graphql-transport-ws");
    EXPECT_TRUE(b->on_init_message(frame_kind::binary, "{}").error == app::errc::unexpected_frame_kind);
}

TEST(presets_graphql_transport_ws, close_codes_named)
{
    auto s = make("graphql-transport-ws");
    EXPECT_EQ(
        s->describe_close(4401, ""),
        "Unauthorized (graphql-transport-ws 4401: not authorised: the connection_init was refused or an "
        "operation came before connection_ack)");
    for (std::uint16_t c : {4400, 4403, 4408, 4429}) {
        const std::string d = s->describe_close(c, "why");
        EXPECT_NE(d.find("graphql-transport-ws " + std::to_string(c)), std::string::npos) << d;
        EXPECT_NE(d.find("reason \"why\""), std::string::npos) << d;
    }
    EXPECT_NE(s->describe_close(4403, "").find("Forbidden"), std::string::npos);
    EXPECT_NE(s->describe_close(4408, "").find("initialisation timeout"), std::string::npos);
    EXPECT_NE(s->describe_close(4429, "").find("Too many initialisation requests"), std::string::npos);
    EXPECT_EQ(s->describe_close(1008, ""), "Server closed the connection with code 1008 (Policy Violation)");
    EXPECT_NE(s->describe_close(4123, "").find("application-defined"), std::string::npos);
}

TEST(presets_graphql_ws, ack_ka_and_connection_error)
{
    auto s = make("graphql-ws");
    EXPECT_EQ(s->start()[0].bytes, R"({"type":"connection_init","payload":{}})");
    EXPECT_FALSE(s->has_rtt());
    EXPECT_EQ(text(*s, R"({"type":"ka"})").kind, step_kind::wait);
    EXPECT_EQ(text(*s, R"({"type":"connection_ack"})").kind, step_kind::done);
    auto e = make("graphql-ws");
    const auto st = text(*e, R"({"type":"connection_error","payload":{"message":"Missing auth token"}})");
    ASSERT_EQ(st.kind, step_kind::failed);
    EXPECT_EQ(st.error.name(), "graphql_connection_error");
    EXPECT_EQ(
        st.sentence,
        "GraphQL (graphql-ws) server refused connection_init with connection_error: \"Missing auth token\"");
    auto p = make("graphql-ws");
    const auto raw = text(*p, R"({"type":"connection_error","payload":{"code":7}})");
    EXPECT_NE(raw.sentence.find(R"({\"code\":7})"), std::string::npos) << raw.sentence;
}

TEST(presets_wamp, hello_welcome_abort_challenge)
{
    app::preset_options o;
    o.realm = "realm1";
    auto s = make("wamp", o);
    EXPECT_EQ(s->start()[0].bytes,
              R"([1,"realm1",{"roles":{"caller":{},"callee":{},"publisher":{},"subscriber":{}}}])");
    EXPECT_EQ(text(*s, R"([2,9129137332,{"roles":{"broker":{}}}])").kind, step_kind::done);
    EXPECT_FALSE(s->has_rtt());

    auto a = make("wamp", o);
    const auto abort = text(*a, R"([3,{"message":"The realm does not exist."},"wamp.error.no_such_realm"])");
    ASSERT_EQ(abort.kind, step_kind::failed);
    EXPECT_EQ(abort.error.name(), "wamp_abort");
    EXPECT_NE(abort.sentence.find("wamp.error.no_such_realm"), std::string::npos) << abort.sentence;
    EXPECT_NE(abort.sentence.find("The realm does not exist."), std::string::npos);
    EXPECT_NE(abort.sentence.find("--realm"), std::string::npos);

    auto c = make("wamp", o);
    const auto ch = text(*c, R"([4,"wampcra",{"challenge":"{}"}])");
    EXPECT_EQ(ch.error.name(), "wamp_auth_required");
    EXPECT_NE(ch.sentence.find("wampcra"), std::string::npos);

    auto m = make("wamp", o);
    EXPECT_TRUE(text(*m, R"({"welcome":true})").error == app::errc::bad_message);
    auto w = make("wamp", o);
    EXPECT_TRUE(text(*w, R"([2,"id",{}])").error == app::errc::bad_message);
}

TEST(presets_wamp, realm_required_and_escaped)
{
    EXPECT_FALSE(app::find_preset("wamp")->make({}));
    app::preset_options o;
    o.realm = "bad realm";
    EXPECT_FALSE(app::find_preset("wamp")->make(o));
    o.realm = "a..b";
    EXPECT_FALSE(app::find_preset("wamp")->make(o));
    o.realm = "com.\"x\"";
    auto s = make("wamp", o);
    EXPECT_NE(s->start()[0].bytes.find(R"("com.\"x\"")"), std::string::npos);
}

TEST(presets_signalr, handshake_records)
{
    auto s = make("signalr");
    EXPECT_EQ(s->start()[0].bytes, std::string("{\"protocol\":\"json\",\"version\":1}\x1e"));
    EXPECT_EQ(text(*s, "{}\x1e").kind, step_kind::done);
    // Split record across two messages, preceded by a ping.
    auto p = make("signalr");
    EXPECT_EQ(text(*p, "{\"type\":6}\x1e{").kind, step_kind::wait);
    EXPECT_EQ(text(*p, "}\x1e{\"type\":1,\"target\":\"x\",\"arguments\":[]}\x1e").kind, step_kind::done);
    auto e = make("signalr");
    const auto err = text(*e, "{\"error\":\"Requested protocol 'json' is not available.\"}\x1e");
    ASSERT_EQ(err.kind, step_kind::failed);
    EXPECT_EQ(err.error.name(), "signalr_handshake_error");
    EXPECT_NE(err.sentence.find("Requested protocol 'json' is not available."), std::string::npos)
        << err.sentence;
    auto c = make("signalr");
    EXPECT_EQ(text(*c, "{\"type\":7,\"error\":\"bye\"}\x1e").error.name(), "signalr_closed");
    auto n = make("signalr");
    EXPECT_TRUE(text(*n, "nope\x1e").error == app::errc::reply_not_json);
    auto big = make("signalr");
    EXPECT_TRUE(text(*big, std::string(70000, ' ')).error == app::errc::message_too_large);
}

TEST(presets_phoenix, heartbeat_and_join)
{
    auto s = make("phoenix");
    const auto init = s->start();
    ASSERT_EQ(init.size(), 1u);
    EXPECT_EQ(init[0].bytes, R"([null,"1","phoenix","heartbeat",{}])");
    // Another ref is not ours; the same ref with status ok is.
    EXPECT_EQ(text(*s, R"([null,"9","phoenix","phx_reply",{"status":"ok","response":{}}])").kind,
              step_kind::wait);
    EXPECT_EQ(text(*s, R"([null,"1","phoenix","phx_reply",{"status":"ok","response":{}}])").kind,
              step_kind::done);
    ASSERT_TRUE(s->has_rtt());
    EXPECT_EQ(s->rtt_request()[0].bytes, R"([null,"2","phoenix","heartbeat",{}])");
    EXPECT_EQ(rtt(*s, R"([null,"1","phoenix","phx_reply",{"status":"ok","response":{}}])").kind,
              step_kind::wait);
    EXPECT_EQ(rtt(*s, R"([null,"2","phoenix","phx_reply",{"status":"ok","response":{}}])").kind,
              step_kind::done);

    app::preset_options o;
    o.topic = "room:lobby";
    o.init_payload_json = R"({"token":"t"})";
    auto j = make("phoenix", o);
    const auto both = j->start();
    ASSERT_EQ(both.size(), 2u);
    EXPECT_EQ(both[0].bytes, R"(["1","1","room:lobby","phx_join",{"token":"t"}])");
    EXPECT_EQ(both[1].bytes, R"([null,"2","phoenix","heartbeat",{}])");
    EXPECT_EQ(text(*j, R"([null,"2","phoenix","phx_reply",{"status":"ok","response":{}}])").kind,
              step_kind::wait);
    EXPECT_EQ(text(*j, R"(["1","1","room:lobby","presence_state",{}])").kind, step_kind::wait);
    EXPECT_EQ(text(*j, R"(["1","1","room:lobby","phx_reply",{"status":"ok","response":{}}])").kind,
              step_kind::done);
}

TEST(presets_phoenix, errors)
{
    app::preset_options o;
    o.topic = "room:secret";
    auto j = make("phoenix", o);
    (void)j->start();
    const auto st = text(
        *j, R"(["1","1","room:secret","phx_reply",{"status":"error","response":{"reason":"unauthorized"}}])");
    ASSERT_EQ(st.kind, step_kind::failed);
    EXPECT_EQ(st.error.name(), "phoenix_reply_error");
    EXPECT_NE(st.sentence.find("\"unauthorized\""), std::string::npos) << st.sentence;
    EXPECT_NE(st.sentence.find("room:secret"), std::string::npos);
    auto c = make("phoenix", o);
    (void)c->start();
    EXPECT_EQ(text(*c, R"(["1","3","room:secret","phx_error",{}])").error.name(), "phoenix_channel_closed");
    auto v1 = make("phoenix");
    const auto obj = text(*v1, R"({"topic":"phoenix","event":"phx_reply","payload":{},"ref":"1"})");
    EXPECT_TRUE(obj.error == app::errc::bad_message);
    EXPECT_NE(obj.sentence.find("vsn=2.0.0"), std::string::npos);
}

TEST(presets_socketio, open_connect_and_ping)
{
    auto s = make("socketio");
    EXPECT_TRUE(s->start().empty());
    const auto open = text(
        *s,
        R"(0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":[],"pingInterval":25000,"pingTimeout":5000,"maxPayload":1000000})");
    EXPECT_EQ(open.kind, step_kind::wait);
    ASSERT_EQ(open.send.size(), 1u);
    EXPECT_EQ(open.send[0].bytes, "40");
    const auto ping = text(*s, "2");
    ASSERT_EQ(ping.send.size(), 1u);
    EXPECT_EQ(ping.send[0].bytes, "3");
    EXPECT_EQ(text(*s, "6").kind, step_kind::wait);
    EXPECT_EQ(text(*s, R"(40{"sid":"wZX3oN0bSVIhsaknAAAI"})").kind, step_kind::done);
}

TEST(presets_socketio, namespace_auth_and_errors)
{
    app::preset_options o;
    o.topic = "/admin";
    o.init_payload_json = R"({"token":"123"})";
    auto s = make("socketio", o);
    const auto open = text(*s, R"(0{"sid":"a"})");
    ASSERT_EQ(open.send.size(), 1u);
    EXPECT_EQ(open.send[0].bytes, R"(40/admin,{"token":"123"})");
    EXPECT_EQ(text(*s, R"(40{"sid":"other-namespace"})").kind, step_kind::wait);
    const auto err = text(*s, R"(44/admin,{"message":"Not authorized"})");
    ASSERT_EQ(err.kind, step_kind::failed);
    EXPECT_EQ(err.error.name(), "socketio_connect_error");
    EXPECT_EQ(err.sentence, "Socket.IO server refused the connection to namespace \"/admin\" (CONNECT_ERROR "
                            "44): \"Not authorized\"");

    auto bad = make("socketio");
    const auto st = text(*bad, R"({"sid":"x"})");
    EXPECT_EQ(st.error.name(), "socketio_bad_open");
    EXPECT_NE(st.sentence.find("EIO=4"), std::string::npos);
    auto closed = make("socketio");
    (void)text(*closed, R"(0{"sid":"a"})");
    EXPECT_EQ(text(*closed, "1").error.name(), "socketio_closed");
    o.topic = "admin";
    EXPECT_FALSE(app::find_preset("socketio")->make(o));
}

TEST(presets_actioncable, welcome_ping_disconnect)
{
    auto s = make("actioncable");
    EXPECT_TRUE(s->start().empty());
    EXPECT_EQ(text(*s, R"({"type":"ping","message":1700000000})").kind, step_kind::wait);
    EXPECT_EQ(text(*s, R"({"type":"welcome","sid":"x"})").kind, step_kind::done);
    auto d = make("actioncable");
    const auto st = text(*d, R"({"type":"disconnect","reason":"unauthorized","reconnect":false})");
    ASSERT_EQ(st.kind, step_kind::failed);
    EXPECT_EQ(st.error.name(), "actioncable_disconnect");
    EXPECT_NE(st.sentence.find("\"unauthorized\""), std::string::npos) << st.sentence;
    EXPECT_NE(st.sentence.find("forbids reconnecting"), std::string::npos);
    auto n = make("actioncable");
    EXPECT_TRUE(text(*n, "<html>").error == app::errc::reply_not_json);
}

} // namespace
