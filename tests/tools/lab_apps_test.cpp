// The lab's app-protocol servers (tools/lab/apps.h) against the real client presets
// (proto/presets/app.h), in memory: every healthy path completes init and the round trip, and every
// fault produces the failure code the preset names.
#include "tools/lab/apps.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <string>
#include <variant>

#include "proto/presets/app.h"

namespace {

using namespace wsp::lab;
namespace app = wsp::proto::app;

struct client_view {
    app::step_kind kind = app::step_kind::wait; // wait: the conversation stalled
    std::string code;                           // error name when failed
    std::string sentence;
    std::optional<app_close> close; // the server's close frame, when one ended the conversation
    std::string close_meaning;      // the preset's describe_close() of it
    bool dropped = false;           // TCP closed without a close frame
};

// One server and one preset session; messages travel in order through an in-memory queue.
class conversation {
public:
    conversation(const std::string& target, const std::string& preset, app::preset_options o = {})
    {
        auto r = route_app(target);
        if (!r) {
            throw std::runtime_error("no app route for " + target);
        }
        server_.emplace(std::move(*r));
        const app::preset* p = app::find_preset(preset);
        if (p == nullptr) {
            throw std::runtime_error("no preset " + preset);
        }
        auto made = p->make(o);
        if (!made) {
            throw std::runtime_error(made.error().sentence);
        }
        client_ = std::move(*made);
    }

    client_view init()
    {
        deliver(server_->on_open());
        to_server(client_->start());
        return drive(false);
    }
    client_view rtt()
    {
        to_server(client_->rtt_request());
        return drive(true);
    }
    app_server& server() { return *server_; }
    app::session& client() { return *client_; }
    [[nodiscard]] std::size_t pending() const { return to_client_.size(); }

private:
    struct dropped {};
    using event = std::variant<app_message, app_close, dropped>;

    void deliver(app_reaction r)
    {
        for (auto& m : r.send) {
            to_client_.emplace_back(std::move(m));
        }
        if (r.close) {
            to_client_.emplace_back(*r.close);
        }
        if (r.drop) {
            to_client_.emplace_back(dropped{});
        }
    }
    void to_server(const std::vector<app::outgoing>& out)
    {
        for (const auto& o : out) {
            deliver(server_->on_message(o.kind == app::frame_kind::binary, o.bytes));
        }
    }
    client_view drive(bool rtt)
    {
        client_view v;
        while (!to_client_.empty()) {
            event e = std::move(to_client_.front());
            to_client_.pop_front();
            if (auto* c = std::get_if<app_close>(&e)) {
                v.close = *c;
                v.close_meaning = client_->describe_close(c->code, c->reason);
                return v;
            }
            if (std::holds_alternative<dropped>(e)) {
                v.dropped = true;
                return v;
            }
            const auto& m = std::get<app_message>(e);
            const auto kind = m.binary ? app::frame_kind::binary : app::frame_kind::text;
            app::step s =
                rtt ? client_->on_rtt_message(kind, m.bytes) : client_->on_init_message(kind, m.bytes);
            to_server(s.send);
            if (s.kind != app::step_kind::wait) {
                v.kind = s.kind;
                v.code = std::string(s.error.name());
                v.sentence = s.sentence;
                return v;
            }
        }
        return v;
    }

    std::optional<app_server> server_;
    app::session_ptr client_;
    std::deque<event> to_client_;
};

void expect_done(const client_view& v, const std::string& what)
{
    EXPECT_EQ(v.kind, app::step_kind::done)
        << what << ": code " << v.code << ", " << v.sentence
        << (v.close ? ", closed " + std::to_string(v.close->code) : "") << (v.dropped ? ", dropped" : "");
}

void expect_failed(const client_view& v, const std::string& code, const std::string& word)
{
    EXPECT_EQ(v.kind, app::step_kind::failed) << code;
    EXPECT_EQ(v.code, code) << v.sentence;
    EXPECT_NE(v.sentence.find(word), std::string::npos) << "missing '" << word << "' in: " << v.sentence;
}

app::preset_options mqtt_options(int version, std::string user = {}, std::optional<std::string> pass = {})
{
    app::preset_options o;
    o.mqtt_version = version;
    o.username = std::move(user);
    o.password = std::move(pass);
    return o;
}

// ---- routing and the 101 ----

TEST(lab_apps_route, every_client_preset_has_a_server_with_its_subprotocol)
{
    for (const app::preset& p : app::all_presets()) {
        const auto r = route_app("/app/" + std::string(p.name));
        ASSERT_TRUE(r) << p.name;
        EXPECT_EQ(to_string(r->protocol), p.name);
        EXPECT_EQ(app_subprotocol(*r), p.subprotocol) << p.name;
        EXPECT_TRUE(r->fault.empty());
    }
}

TEST(lab_apps_route, faults_and_parameters_are_parsed_and_typos_refused)
{
    const auto g = route_app("/app/graphql-transport-ws?fault=4401");
    ASSERT_TRUE(g);
    EXPECT_EQ(g->fault, "4401");
    EXPECT_FALSE(route_app("/app/graphql-transport-ws?fault=4600"));
    EXPECT_FALSE(route_app("/app/graphql-transport-ws?fault=44O1"));
    EXPECT_FALSE(route_app("/app/mqtt?fault=rc6"));
    EXPECT_FALSE(route_app("/app/mqtt?fault=rc0"));
    EXPECT_TRUE(route_app("/app/mqtt?fault=rc135"));
    EXPECT_FALSE(route_app("/app/wamp?fault=error"));
    EXPECT_FALSE(route_app("/app/nope"));
    EXPECT_FALSE(route_app("/app/"));
    EXPECT_FALSE(route_app("/echo"));
    EXPECT_FALSE(route_app("/application/mqtt"));
    const auto creds = route_app("/app/mqtt?fault=alice:s%40cret");
    ASSERT_TRUE(creds);
    EXPECT_EQ(creds->user, "alice");
    EXPECT_EQ(creds->pass, "s@cret");
    EXPECT_TRUE(creds->fault.empty());
    const auto q = route_app("/app/mqtt?user=bob&pass=a+b");
    ASSERT_TRUE(q);
    EXPECT_EQ(q->user, "bob");
    EXPECT_EQ(q->pass, "a b");
    EXPECT_EQ(route_app("/app/wamp?realm=realm1")->realm, "realm1");
    EXPECT_NE(describe_app_routes().find("/app/socketio"), std::string::npos);
}

TEST(lab_apps_route, the_101_selects_the_subprotocol_only_when_offered)
{
    const auto mqtt = *route_app("/app/mqtt");
    EXPECT_EQ(select_app_subprotocol(mqtt, "mqtt"), "mqtt");
    EXPECT_EQ(select_app_subprotocol(mqtt, "mqttv3.1, mqtt"), "mqtt");
    EXPECT_EQ(select_app_subprotocol(mqtt, " chat ,\tmqtt\t"), "mqtt");
    EXPECT_EQ(select_app_subprotocol(mqtt, "MQTT"), ""); // RFC 6455: case-sensitive
    EXPECT_EQ(select_app_subprotocol(mqtt, "mqttv3.1"), "");
    EXPECT_EQ(select_app_subprotocol(mqtt, ""), "");
    EXPECT_EQ(select_app_subprotocol(*route_app("/app/wamp"), "wamp.2.msgpack, wamp.2.json"), "wamp.2.json");
    EXPECT_EQ(select_app_subprotocol(*route_app("/app/signalr"), "signalr"), "");
}

TEST(lab_apps_frames, reactions_become_unmasked_server_frames_then_the_close)
{
    app_reaction r;
    r.send.push_back({false, "hi"});
    r.send.push_back({true, std::string(126, 'x')});
    r.close = app_close{4401, "Unauthorized"};
    std::vector<std::uint8_t> out;
    append_reaction_frames(r, out);
    ASSERT_EQ(out.size(), 4u + (4 + 126) + (2 + 2 + 12));
    EXPECT_EQ(out[0], 0x81);
    EXPECT_EQ(out[1], 0x02); // RFC 6455 §5.1: no mask bit on server frames
    EXPECT_EQ(out[2], 'h');
    EXPECT_EQ(out[4], 0x82);
    EXPECT_EQ(out[5], 126); // §5.2: 16-bit extended length
    EXPECT_EQ(out[6], 0x00);
    EXPECT_EQ(out[7], 126);
    const std::size_t c = 4 + 4 + 126;
    EXPECT_EQ(out[c], 0x88);
    EXPECT_EQ(out[c + 1], 14);
    EXPECT_EQ((out[c + 2] << 8) | out[c + 3], 4401);
    EXPECT_EQ(std::string(out.begin() + c + 4, out.end()), "Unauthorized");

    app_reaction long_reason;
    long_reason.close = app_close{1000, std::string(200, 'r')};
    out.clear();
    append_reaction_frames(long_reason, out);
    ASSERT_EQ(out.size(), 2u + 125);
    EXPECT_EQ(out[1], 125); // §5.5: a control payload is at most 125 bytes
}

// ---- graphql-transport-ws ----

TEST(lab_apps_graphql_transport_ws, ack_and_ping_pong)
{
    conversation c("/app/graphql-transport-ws", "graphql-transport-ws");
    expect_done(c.init(), "init");
    ASSERT_TRUE(c.client().has_rtt());
    expect_done(c.rtt(), "rtt");
    expect_done(c.rtt(), "second rtt");
}

TEST(lab_apps_graphql_transport_ws, each_close_code_fault_is_named_by_the_preset)
{
    const std::vector<std::pair<std::uint16_t, std::string>> faults{
        {4400, "Bad Request"},
        {4401, "Unauthorized"},
        {4403, "Forbidden"},
        {4408, "Connection initialisation timeout"},
        {4429, "Too many initialisation requests"},
        {4500, "Internal server error"}};
    for (const auto& [code, name] : faults) {
        conversation c("/app/graphql-transport-ws?fault=" + std::to_string(code), "graphql-transport-ws");
        const client_view v = c.init();
        EXPECT_EQ(v.kind, app::step_kind::wait) << code;
        ASSERT_TRUE(v.close) << code;
        EXPECT_EQ(v.close->code, code);
        EXPECT_NE(v.close_meaning.find(name), std::string::npos) << v.close_meaning;
        EXPECT_NE(v.close_meaning.find(std::to_string(code)), std::string::npos) << v.close_meaning;
        EXPECT_TRUE(c.server().finished());
    }
}

TEST(lab_apps_graphql_transport_ws, silent_never_acknowledges)
{
    conversation c("/app/graphql-transport-ws?fault=silent", "graphql-transport-ws");
    const client_view v = c.init();
    EXPECT_EQ(v.kind, app::step_kind::wait);
    EXPECT_FALSE(v.close);
    EXPECT_FALSE(c.server().finished());
}

TEST(lab_apps_graphql_transport_ws, protocol_violations_close_as_the_spec_says)
{
    app_server s(*route_app("/app/graphql-transport-ws"));
    auto early = s.on_message(false, R"({"type":"subscribe","id":"1","payload":{"query":"{a}"}})");
    ASSERT_TRUE(early.close);
    EXPECT_EQ(early.close->code, 4401);

    app_server twice(*route_app("/app/graphql-transport-ws"));
    EXPECT_EQ(twice.on_message(false, R"({"type":"connection_init"})").send.at(0).bytes,
              R"({"type":"connection_ack"})");
    EXPECT_EQ(twice.on_message(false, R"({"type":"subscribe","id":"7"})").send.at(0).bytes,
              R"({"type":"complete","id":"7"})");
    auto again = twice.on_message(false, R"({"type":"connection_init"})");
    ASSERT_TRUE(again.close);
    EXPECT_EQ(again.close->code, 4429);
    EXPECT_TRUE(twice.on_message(false, R"({"type":"ping"})").send.empty()); // finished: ignored

    app_server junk(*route_app("/app/graphql-transport-ws"));
    auto bad = junk.on_message(false, "not json");
    ASSERT_TRUE(bad.close);
    EXPECT_EQ(bad.close->code, 4400);
}

// ---- graphql-ws (legacy) ----

TEST(lab_apps_graphql_ws, ack_then_keep_alives)
{
    conversation c("/app/graphql-ws", "graphql-ws");
    expect_done(c.init(), "init");
    EXPECT_EQ(c.pending(), 1u); // the ka after the ack
    EXPECT_FALSE(c.client().has_rtt());
    EXPECT_EQ(c.server().keepalive_interval_ms(), 10'000u);
    EXPECT_EQ(c.server().on_keepalive().send.at(0).bytes, R"({"type":"ka"})");
}

TEST(lab_apps_graphql_ws, connection_error_is_refused_init)
{
    conversation c("/app/graphql-ws?fault=error", "graphql-ws");
    expect_failed(c.init(), "graphql_connection_error", "lab fault: connection refused");
    EXPECT_TRUE(c.server().finished());
}

// ---- MQTT ----

TEST(lab_apps_mqtt, connect_and_ping_in_both_versions)
{
    for (int version : {4, 5}) {
        conversation c("/app/mqtt", "mqtt", mqtt_options(version));
        expect_done(c.init(), "init v" + std::to_string(version));
        expect_done(c.rtt(), "rtt v" + std::to_string(version));
        expect_done(c.rtt(), "second rtt v" + std::to_string(version));
    }
}

TEST(lab_apps_mqtt, each_return_code_is_named_in_the_version_the_client_spoke)
{
    const std::vector<std::string> codes{"mqtt_unsupported_version", "mqtt_client_id_rejected",
                                         "mqtt_server_unavailable", "mqtt_bad_credentials",
                                         "mqtt_not_authorized"};
    for (int rc = 1; rc <= 5; ++rc) {
        conversation v4("/app/mqtt?fault=rc" + std::to_string(rc), "mqtt", mqtt_options(4));
        expect_failed(v4.init(), codes[rc - 1], "return code " + std::to_string(rc));
        conversation v5("/app/mqtt?fault=rc" + std::to_string(rc), "mqtt", mqtt_options(5));
        const client_view v = v5.init();
        expect_failed(v, codes[rc - 1], "reason code 0x8");
        EXPECT_NE(v.sentence.find("lab fault: rc"), std::string::npos) << v.sentence; // 5.0 reason string
    }
}

TEST(lab_apps_mqtt, five_point_zero_reason_codes)
{
    conversation v5("/app/mqtt?fault=rc135", "mqtt", mqtt_options(5));
    expect_failed(v5.init(), "mqtt_not_authorized", "0x87");
    conversation v4("/app/mqtt?fault=rc135", "mqtt", mqtt_options(4));
    expect_failed(v4.init(), "mqtt_not_authorized", "return code 5");
    conversation generic("/app/mqtt?fault=rc128", "mqtt", mqtt_options(5));
    expect_failed(generic.init(), "mqtt_refused", "0x80");
    conversation busy("/app/mqtt?fault=rc137", "mqtt", mqtt_options(5));
    expect_failed(busy.init(), "mqtt_server_unavailable", "0x89");
    EXPECT_TRUE(busy.server().finished());
}

TEST(lab_apps_mqtt, text_frames_are_a_protocol_error)
{
    conversation c("/app/mqtt?fault=text", "mqtt", mqtt_options(4));
    expect_failed(c.init(), "app_unexpected_frame_kind", "text frame");
}

TEST(lab_apps_mqtt, credentials_are_checked)
{
    for (int version : {4, 5}) {
        conversation right("/app/mqtt?fault=alice:s3cret", "mqtt", mqtt_options(version, "alice", "s3cret"));
        expect_done(right.init(), "right password");
        conversation wrong("/app/mqtt?user=alice&pass=s3cret", "mqtt",
                           mqtt_options(version, "alice", "guess"));
        const client_view v = wrong.init();
        expect_failed(v, "mqtt_bad_credentials",
                      version == 4 ? "return code 4" : "wrong or missing credentials");
        EXPECT_EQ(v.sentence.find("guess"), std::string::npos) << v.sentence;
        conversation anonymous("/app/mqtt?fault=alice:s3cret", "mqtt", mqtt_options(version));
        expect_failed(anonymous.init(), "mqtt_bad_credentials", "refused");
    }
}

TEST(lab_apps_mqtt, broker_disconnect_during_the_round_trip)
{
    conversation v5("/app/mqtt?fault=disconnect", "mqtt", mqtt_options(5));
    expect_done(v5.init(), "init");
    expect_failed(v5.rtt(), "mqtt_disconnect", "0x8B");
    conversation v4("/app/mqtt?fault=disconnect", "mqtt", mqtt_options(4));
    expect_done(v4.init(), "init");
    EXPECT_TRUE(v4.rtt().dropped);
}

std::string bytes(std::initializer_list<int> b)
{
    std::string s;
    for (int v : b) {
        s.push_back(static_cast<char>(v));
    }
    return s;
}

// MQTT 3.1.1 CONNECT, clean session, keep-alive 30, client id "c".
const std::string connect_v4 = bytes({0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 30, 0, 1, 'c'});

TEST(lab_apps_mqtt, packets_split_and_coalesced_across_messages)
{
    app_server split(*route_app("/app/mqtt"));
    for (std::size_t i = 0; i + 1 < connect_v4.size(); ++i) {
        const auto r = split.on_message(true, connect_v4.substr(i, 1));
        EXPECT_TRUE(r.send.empty() && !r.close && !r.drop) << i;
    }
    const auto ack = split.on_message(true, connect_v4.substr(connect_v4.size() - 1));
    ASSERT_EQ(ack.send.size(), 1u);
    EXPECT_EQ(ack.send[0].bytes, bytes({0x20, 2, 0, 0}));
    EXPECT_TRUE(ack.send[0].binary);

    app_server both(*route_app("/app/mqtt"));
    const auto r = both.on_message(true, connect_v4 + bytes({0xC0, 0}));
    ASSERT_EQ(r.send.size(), 2u);
    EXPECT_EQ(r.send[1].bytes, bytes({0xD0, 0}));
}

TEST(lab_apps_mqtt, violations_close_the_connection)
{
    app_server text(*route_app("/app/mqtt"));
    auto t = text.on_message(false, connect_v4);
    ASSERT_TRUE(t.close);
    EXPECT_EQ(t.close->code, 1003);

    app_server first_not_connect(*route_app("/app/mqtt"));
    EXPECT_TRUE(first_not_connect.on_message(true, bytes({0xC0, 0})).drop);

    app_server twice(*route_app("/app/mqtt"));
    EXPECT_EQ(twice.on_message(true, connect_v4).send.size(), 1u);
    EXPECT_TRUE(twice.on_message(true, connect_v4).drop);

    app_server reserved(*route_app("/app/mqtt"));
    std::string bad = connect_v4;
    bad[9] = 0x03; // reserved connect flag set
    EXPECT_TRUE(reserved.on_message(true, bad).drop);

    app_server trailing(*route_app("/app/mqtt"));
    std::string longer = connect_v4;
    longer[1] = 14;
    longer.push_back('x');
    EXPECT_TRUE(trailing.on_message(true, longer).drop);

    app_server old(*route_app("/app/mqtt"));
    std::string v3 = connect_v4;
    v3[8] = 3;
    auto refused = old.on_message(true, v3);
    ASSERT_EQ(refused.send.size(), 1u);
    EXPECT_EQ(refused.send[0].bytes, bytes({0x20, 2, 0, 1}));
    EXPECT_TRUE(refused.close);

    app_server keep(*route_app("/app/mqtt"));
    std::string no_id = bytes({0x10, 12, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x00, 0, 30, 0, 0});
    EXPECT_EQ(keep.on_message(true, no_id).send.at(0).bytes, bytes({0x20, 2, 0, 2})); // §3.1.3-8
    EXPECT_EQ(keep.keepalive_interval_ms(), 0u);
}

// ---- WAMP ----

app::preset_options realm(std::string r)
{
    app::preset_options o;
    o.realm = std::move(r);
    return o;
}

TEST(lab_apps_wamp, hello_welcome)
{
    conversation c("/app/wamp", "wamp", realm("realm1"));
    expect_done(c.init(), "init");
    conversation named("/app/wamp?realm=realm1", "wamp", realm("realm1"));
    expect_done(named.init(), "named realm");
}

TEST(lab_apps_wamp, abort_and_challenge)
{
    conversation abort("/app/wamp?fault=abort", "wamp", realm("realm1"));
    expect_failed(abort.init(), "wamp_abort", "wamp.error.no_such_realm");
    conversation other("/app/wamp?realm=prod", "wamp", realm("realm1"));
    expect_failed(other.init(), "wamp_abort", "check --realm");
    conversation challenge("/app/wamp?fault=challenge", "wamp", realm("realm1"));
    expect_failed(challenge.init(), "wamp_auth_required", "ticket");
}

TEST(lab_apps_wamp, goodbye_and_garbage)
{
    app_server s(*route_app("/app/wamp"));
    EXPECT_EQ(s.on_message(false, R"([1,"r",{}])").send.size(), 1u);
    auto bye = s.on_message(false, R"([6,{},"wamp.close.close_realm"])");
    EXPECT_NE(bye.send.at(0).bytes.find("goodbye_and_out"), std::string::npos);
    EXPECT_TRUE(bye.close);
    app_server junk(*route_app("/app/wamp"));
    auto j = junk.on_message(false, R"({"hello":1})");
    EXPECT_NE(j.send.at(0).bytes.find("protocol_violation"), std::string::npos);
}

// ---- SignalR ----

TEST(lab_apps_signalr, handshake_and_faults)
{
    conversation ok("/app/signalr", "signalr");
    expect_done(ok.init(), "init");
    EXPECT_EQ(ok.server().on_keepalive().send.at(0).bytes, std::string(R"({"type":6})") + '\x1e');
    conversation error("/app/signalr?fault=error", "signalr");
    expect_failed(error.init(), "signalr_handshake_error", "handshake refused");
    EXPECT_TRUE(error.server().finished());
    conversation closed("/app/signalr?fault=close", "signalr");
    expect_failed(closed.init(), "signalr_closed", "hub closed");
}

TEST(lab_apps_signalr, records_split_across_messages_and_wrong_protocols)
{
    app_server s(*route_app("/app/signalr"));
    EXPECT_TRUE(s.on_message(false, R"({"protocol":"js)").send.empty());
    EXPECT_EQ(s.on_message(false, std::string(R"(on","version":1})") + '\x1e').send.at(0).bytes,
              std::string("{}") + '\x1e');
    EXPECT_TRUE(s.on_message(false, std::string(R"({"type":7})") + '\x1e').close);

    app_server mp(*route_app("/app/signalr"));
    auto r = mp.on_message(false, std::string(R"({"protocol":"messagepack","version":1})") + '\x1e');
    EXPECT_NE(r.send.at(0).bytes.find("'messagepack' is not available"), std::string::npos);
    EXPECT_TRUE(r.close);
}

// ---- Phoenix ----

app::preset_options topic(std::string t)
{
    app::preset_options o;
    o.topic = std::move(t);
    return o;
}

TEST(lab_apps_phoenix, heartbeat_and_join_replies)
{
    conversation bare("/app/phoenix", "phoenix");
    expect_done(bare.init(), "heartbeat only");
    expect_done(bare.rtt(), "heartbeat rtt");
    conversation joined("/app/phoenix", "phoenix", topic("room:lobby"));
    expect_done(joined.init(), "join and heartbeat");
    expect_done(joined.rtt(), "rtt");
}

TEST(lab_apps_phoenix, error_and_close_faults)
{
    conversation join_error("/app/phoenix?fault=error", "phoenix", topic("room:lobby"));
    expect_failed(join_error.init(), "phoenix_reply_error", "join of \"room:lobby\"");
    conversation beat_error("/app/phoenix?fault=error", "phoenix");
    expect_failed(beat_error.init(), "phoenix_reply_error", "heartbeat");
    conversation closed("/app/phoenix?fault=close", "phoenix", topic("room:lobby"));
    expect_failed(closed.init(), "phoenix_channel_closed", "phx_close");
    conversation bare_close("/app/phoenix?fault=close", "phoenix");
    const client_view v = bare_close.init();
    ASSERT_TRUE(v.close);
    EXPECT_EQ(v.close->code, 1000);
}

TEST(lab_apps_phoenix, replies_keep_the_refs)
{
    app_server s(*route_app("/app/phoenix"));
    EXPECT_EQ(s.on_message(false, R"(["3","4","room:a","phx_join",{}])").send.at(0).bytes,
              R"(["3","4","room:a","phx_reply",{"status":"ok","response":{}}])");
    EXPECT_EQ(s.on_message(false, R"([null,"5","phoenix","heartbeat",{}])").send.at(0).bytes,
              R"([null,"5","phoenix","phx_reply",{"status":"ok","response":{}}])");
    EXPECT_TRUE(s.on_message(false, R"(["3","6","room:a","shout",{}])").send.empty());
    EXPECT_EQ(s.on_message(false, R"({"topic":"phoenix"})").close->code, 1003); // v1 serializer
}

// ---- Socket.IO ----

TEST(lab_apps_socketio, open_connect_and_heartbeat)
{
    conversation c("/app/socketio", "socketio");
    expect_done(c.init(), "init");
    EXPECT_EQ(c.pending(), 1u); // the "2" ping after the CONNECT answer
    conversation nsp("/app/socketio", "socketio", topic("/admin"));
    expect_done(nsp.init(), "namespace");
}

TEST(lab_apps_socketio, connect_error)
{
    conversation c("/app/socketio?fault=connect_error", "socketio");
    expect_failed(c.init(), "socketio_connect_error", "lab fault: not authorized");
    conversation nsp("/app/socketio?fault=connect_error", "socketio", topic("/admin"));
    expect_failed(nsp.init(), "socketio_connect_error", "\"/admin\"");
}

TEST(lab_apps_socketio, pings_expect_pongs)
{
    app_server s(*route_app("/app/socketio"));
    EXPECT_EQ(s.on_open().send.at(0).bytes.substr(0, 8), R"(0{"sid":)");
    const auto connected = s.on_message(false, "40/admin,{\"token\":\"t\"}");
    ASSERT_EQ(connected.send.size(), 2u);
    EXPECT_EQ(connected.send[0].bytes, R"(40/admin,{"sid":"lab-sock-1"})");
    EXPECT_EQ(connected.send[1].bytes, "2");
    EXPECT_TRUE(s.on_message(false, "3").send.empty());
    EXPECT_EQ(s.on_keepalive().send.at(0).bytes, "2"); // answered: next ping
    const auto timeout = s.on_keepalive();             // unanswered: Engine.IO pingTimeout
    ASSERT_TRUE(timeout.close);
    EXPECT_TRUE(s.finished());
    app_server bad_auth(*route_app("/app/socketio"));
    EXPECT_EQ(bad_auth.on_message(false, "40[1]").send.at(0).bytes.substr(0, 2), "44");
}

// ---- ActionCable ----

TEST(lab_apps_actioncable, welcome_pings_and_subscriptions)
{
    conversation c("/app/actioncable", "actioncable");
    expect_done(c.init(), "init");
    EXPECT_EQ(c.server().on_keepalive().send.at(0).bytes, R"({"type":"ping","message":2})");
    EXPECT_EQ(c.server()
                  .on_message(false, R"({"command":"subscribe","identifier":"{\"channel\":\"C\"}"})")
                  .send.at(0)
                  .bytes,
              R"({"identifier":"{\"channel\":\"C\"}","type":"confirm_subscription"})");
}

TEST(lab_apps_actioncable, unauthorized_disconnects_then_closes)
{
    conversation c("/app/actioncable?fault=unauthorized", "actioncable");
    expect_failed(c.init(), "actioncable_disconnect", "reject_unauthorized_connection");
    EXPECT_TRUE(c.server().finished());
    EXPECT_EQ(c.pending(), 1u); // the close frame after the disconnect message
}

// ---- hostile input ----

TEST(lab_apps_robustness, random_messages_never_crash_and_finished_servers_stay_quiet)
{
    std::uint64_t state = 0x9E3779B97F4A7C15ull;
    const auto next = [&]() {
        state += 0x9E3779B97F4A7C15ull;
        std::uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    };
    const std::vector<std::string> prefixes{"",  "[",   "{\"type\":", "40",
                                            "4", "[1,", "\x10",       "{\"protocol\":"};
    for (const app::preset& p : app::all_presets()) {
        for (int round = 0; round < 50; ++round) {
            app_server s(*route_app("/app/" + std::string(p.name)));
            (void)s.on_open();
            for (int i = 0; i < 20; ++i) {
                std::string msg = prefixes[next() % prefixes.size()];
                const std::size_t n = next() % 40;
                for (std::size_t k = 0; k < n; ++k) {
                    msg.push_back(static_cast<char>(next() & 0xFF));
                }
                const bool was_finished = s.finished();
                const app_reaction r = s.on_message((next() & 1) != 0, msg);
                if (was_finished) {
                    EXPECT_TRUE(r.send.empty() && !r.close && !r.drop) << p.name;
                }
                std::vector<std::uint8_t> wire;
                append_reaction_frames(r, wire);
                EXPECT_EQ(wire.empty(), r.send.empty() && !r.close) << p.name;
            }
        }
    }
}

} // namespace
