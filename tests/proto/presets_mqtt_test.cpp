// Tests of proto/presets/mqtt_codec.cpp and the mqtt preset (mqtt.cpp) on byte layouts from the
// OASIS MQTT 3.1.1 and 5.0 specifications: CONNECT, CONNACK, PINGREQ/PINGRESP, DISCONNECT,
// variable byte integers, split and coalesced packets, and the password staying secret.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/presets/app.h"
#include "proto/presets/mqtt_codec.h"
#include "tests/support/guarded.h"

namespace {

using namespace wsp::proto;
using app::frame_kind;
using app::step_kind;

std::string bytes(std::initializer_list<int> b)
{
    std::string s;
    for (int v : b) {
        s.push_back(static_cast<char>(v));
    }
    return s;
}

app::session_ptr make(app::preset_options o)
{
    auto s = app::find_preset("mqtt")->make(o);
    EXPECT_TRUE(s) << (s ? "" : s.error().sentence);
    return s ? std::move(*s) : nullptr;
}

app::preset_options opts(int version, bool credentials)
{
    app::preset_options o;
    o.mqtt_version = version;
    o.client_id = "wsprobe";
    if (credentials) {
        o.username = "user";
        o.password = "pass";
    }
    return o;
}

// Feeds one message from a guard-page buffer so a read past its end faults.
app::step feed_init(app::session& s, std::string_view msg)
{
    wsp::test::guarded_buffer g(msg);
    return s.on_init_message(frame_kind::binary, g.view());
}

const std::string connect_311 = bytes({0x10, 0x13, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00,
                                       0x1E, 0x00, 0x07, 'w',  's', 'p', 'r', 'o', 'b',  'e'});
const std::string connect_311_creds =
    bytes({0x10, 0x1F, 0x00, 0x04, 'M',  'Q',  'T', 'T', 0x04, 0xC2, 0x00, 0x1E, 0x00, 0x07, 'w', 's', 'p',
           'r',  'o',  'b',  'e',  0x00, 0x04, 'u', 's', 'e',  'r',  0x00, 0x04, 'p',  'a',  's', 's'});
const std::string connect_5 = bytes({0x10, 0x14, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00,
                                     0x1E, 0x00, 0x00, 0x07, 'w', 's', 'p', 'r', 'o',  'b',  'e'});
const std::string connect_5_creds =
    bytes({0x10, 0x20, 0x00, 0x04, 'M', 'Q',  'T',  'T', 0x05, 0xC2, 0x00, 0x1E, 0x00, 0x00, 0x07, 'w', 's',
           'p',  'r',  'o',  'b',  'e', 0x00, 0x04, 'u', 's',  'e',  'r',  0x00, 0x04, 'p',  'a',  's', 's'});

TEST(presets_mqtt, connect_bytes_match_the_spec_layout)
{
    struct vector {
        int version;
        bool creds;
        const std::string* want;
    };
    for (const vector& v : {vector{4, false, &connect_311}, vector{4, true, &connect_311_creds},
                            vector{5, false, &connect_5}, vector{5, true, &connect_5_creds}}) {
        auto s = make(opts(v.version, v.creds));
        ASSERT_TRUE(s);
        const auto out = s->start();
        ASSERT_EQ(out.size(), 1u);
        EXPECT_EQ(out[0].kind, frame_kind::binary);
        EXPECT_EQ(out[0].bytes, *v.want) << "version " << v.version << " creds " << v.creds;
        EXPECT_EQ(out[0].secret, v.creds);
    }
}

TEST(presets_mqtt, password_never_in_transcript_or_options_text)
{
    app::preset_options o = opts(4, true);
    o.password = "hunter2-secret";
    auto s = make(o);
    ASSERT_TRUE(s);
    const auto out = s->start();
    ASSERT_EQ(out.size(), 1u);
    const std::string shown = app::to_string(out[0]);
    EXPECT_EQ(shown.find("hunter2"), std::string::npos) << shown;
    EXPECT_NE(shown.find("<redacted>"), std::string::npos) << shown;
    EXPECT_NE(shown.find("CONNECT"), std::string::npos);
    const std::string text = app::to_string(o);
    EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
    EXPECT_NE(text.find("<redacted>"), std::string::npos);
    // A refusal sentence names the code, never the credential.
    const auto st = feed_init(*s, bytes({0x20, 0x02, 0x00, 0x04}));
    EXPECT_EQ(st.sentence.find("hunter2"), std::string::npos) << st.sentence;
}

TEST(presets_mqtt, connack_accepted_311_and_5)
{
    auto s4 = make(opts(4, false));
    (void)s4->start();
    EXPECT_EQ(feed_init(*s4, bytes({0x20, 0x02, 0x00, 0x00})).kind, step_kind::done);
    auto s4p = make(opts(4, false));
    EXPECT_EQ(feed_init(*s4p, bytes({0x20, 0x02, 0x01, 0x00})).kind, step_kind::done); // session present
    auto s5 = make(opts(5, false));
    EXPECT_EQ(feed_init(*s5, bytes({0x20, 0x03, 0x00, 0x00, 0x00})).kind, step_kind::done);
    // 5.0 CONNACK with properties: receive maximum (0x21) and assigned client id (0x12 "ab").
    auto s5p = make(opts(5, false));
    EXPECT_EQ(
        feed_init(*s5p, bytes({0x20, 0x0B, 0x00, 0x00, 0x08, 0x21, 0x00, 0x0A, 0x12, 0x00, 0x02, 'a', 'b'}))
            .kind,
        step_kind::done);
}

TEST(presets_mqtt, every_311_return_code_is_named)
{
    struct row {
        int rc;
        app::errc code;
        const char* words;
    };
    for (const row& r : {row{1, app::errc::mqtt_unsupported_version, "unacceptable protocol version"},
                         row{2, app::errc::mqtt_client_id_rejected, "identifier rejected"},
                         row{3, app::errc::mqtt_server_unavailable, "server unavailable"},
                         row{4, app::errc::mqtt_bad_credentials, "bad user name or password"},
                         row{5, app::errc::mqtt_not_authorized, "not authorized"},
                         row{6, app::errc::mqtt_refused, "unknown code"}}) {
        auto s = make(opts(4, false));
        const auto st = feed_init(*s, bytes({0x20, 0x02, 0x00, r.rc}));
        ASSERT_EQ(st.kind, step_kind::failed);
        EXPECT_TRUE(st.error == r.code) << st.error.name();
        EXPECT_NE(st.sentence.find(r.words), std::string::npos) << st.sentence;
        EXPECT_NE(st.sentence.find("CONNACK return code " + std::to_string(r.rc)), std::string::npos)
            << st.sentence;
        EXPECT_NE(st.sentence.find("MQTT"), std::string::npos);
    }
    auto s = make(opts(4, false));
    const auto st = feed_init(*s, bytes({0x20, 0x02, 0x00, 0x04}));
    EXPECT_EQ(st.error.name(), "mqtt_bad_credentials");
    EXPECT_EQ(st.sentence,
              "MQTT broker refused the connection: bad user name or password (CONNACK return code 4)");
}

TEST(presets_mqtt, v5_reason_codes_are_named)
{
    struct row {
        int rc;
        app::errc code;
        const char* words;
    };
    for (const row& r : {row{0x80, app::errc::mqtt_refused, "Unspecified error"},
                         row{0x84, app::errc::mqtt_unsupported_version, "Unsupported Protocol Version"},
                         row{0x85, app::errc::mqtt_client_id_rejected, "Client Identifier not valid"},
                         row{0x86, app::errc::mqtt_bad_credentials, "Bad User Name or Password"},
                         row{0x87, app::errc::mqtt_not_authorized, "Not authorized"},
                         row{0x88, app::errc::mqtt_server_unavailable, "Server unavailable"},
                         row{0x89, app::errc::mqtt_server_unavailable, "Server busy"},
                         row{0x8A, app::errc::mqtt_refused, "Banned"},
                         row{0x8C, app::errc::mqtt_refused, "Bad authentication method"},
                         row{0x97, app::errc::mqtt_refused, "Quota exceeded"},
                         row{0x9C, app::errc::mqtt_refused, "Use another server"},
                         row{0x9F, app::errc::mqtt_refused, "Connection rate exceeded"}}) {
        auto s = make(opts(5, false));
        const auto st = feed_init(*s, bytes({0x20, 0x03, 0x00, r.rc, 0x00}));
        ASSERT_EQ(st.kind, step_kind::failed) << r.rc;
        EXPECT_TRUE(st.error == r.code) << st.error.name();
        EXPECT_NE(st.sentence.find(r.words), std::string::npos) << st.sentence;
    }
    // Reason string (0x1F "nope") and server reference (0x1C "b2") are quoted.
    auto s = make(opts(5, false));
    const auto st = feed_init(*s, bytes({0x20, 0x0F, 0x00, 0x9C, 0x0C, 0x1F, 0x00, 0x04, 'n', 'o', 'p', 'e',
                                         0x1C, 0x00, 0x02, 'b', '2'}));
    EXPECT_EQ(st.sentence,
              "MQTT broker refused the connection: Use another server (CONNACK reason code 0x9C), "
              "reason string \"nope\", server reference \"b2\"");
    // 0x01 is not a CONNACK reason code in 5.0.
    auto bad = make(opts(5, false));
    EXPECT_TRUE(feed_init(*bad, bytes({0x20, 0x03, 0x00, 0x01, 0x00})).error ==
                app::errc::mqtt_malformed_packet);
}

TEST(presets_mqtt, v5_connect_answered_by_a_311_broker)
{
    auto s = make(opts(5, false));
    const auto st = feed_init(*s, bytes({0x20, 0x02, 0x00, 0x01}));
    ASSERT_EQ(st.kind, step_kind::failed);
    EXPECT_TRUE(st.error == app::errc::mqtt_unsupported_version);
    EXPECT_NE(st.sentence.find("--mqtt-version 4"), std::string::npos) << st.sentence;
}

TEST(presets_mqtt, text_frames_are_a_protocol_error)
{
    auto s = make(opts(4, false));
    const auto st = s->on_init_message(frame_kind::text, bytes({0x20, 0x02, 0x00, 0x00}));
    ASSERT_EQ(st.kind, step_kind::failed);
    EXPECT_TRUE(st.error == app::errc::unexpected_frame_kind);
    EXPECT_EQ(st.error.cls(), wsp::failure_class::protocol);
}

TEST(presets_mqtt, first_packet_must_be_connack)
{
    auto s = make(opts(4, false));
    const auto st = feed_init(*s, bytes({0xD0, 0x00}));
    EXPECT_TRUE(st.error == app::errc::mqtt_unexpected_packet);
    EXPECT_NE(st.sentence.find("PINGRESP before CONNACK"), std::string::npos) << st.sentence;
}

TEST(presets_mqtt, malformed_connacks)
{
    for (const std::string& m : {bytes({0x21, 0x02, 0x00, 0x00}),             // reserved flags
                                 bytes({0x20, 0x02, 0x02, 0x00}),             // reserved ack flag bit
                                 bytes({0x20, 0x03, 0x00, 0x00, 0x00}),       // 3.1.1 length must be 2
                                 bytes({0x20, 0x01, 0x00}),                   // too short
                                 bytes({0x20, 0x80, 0x00}),                   // non-minimal length 0
                                 bytes({0x20, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}), // five-byte length
                                 bytes({0x00, 0x00})}) {                      // reserved type 0
        auto s = make(opts(4, false));
        const auto st = feed_init(*s, m);
        ASSERT_EQ(st.kind, step_kind::failed);
        EXPECT_TRUE(st.error == app::errc::mqtt_malformed_packet) << st.error.name() << " " << st.sentence;
    }
    // 5.0: property length that disagrees with the packet, and an unknown property.
    for (const std::string& m :
         {bytes({0x20, 0x04, 0x00, 0x00, 0x05, 0x21}), bytes({0x20, 0x04, 0x00, 0x00, 0x01, 0x7F}),
          bytes({0x20, 0x05, 0x00, 0x00, 0x02, 0x21, 0x00})}) {
        auto s = make(opts(5, false));
        const auto st = feed_init(*s, m);
        EXPECT_TRUE(st.error == app::errc::mqtt_malformed_packet) << st.error.name();
    }
}

TEST(presets_mqtt, oversized_packet_is_refused)
{
    auto s = make(opts(4, false));
    // Remaining length 2,097,152 (80 80 80 01): over the 64 KiB bound before any body arrives.
    const auto st = feed_init(*s, bytes({0x20, 0x80, 0x80, 0x80, 0x01}));
    EXPECT_TRUE(st.error == app::errc::message_too_large);
    EXPECT_EQ(st.error.cls(), wsp::failure_class::limit);
}

TEST(presets_mqtt, connack_split_at_every_point_and_byte_by_byte)
{
    const std::string connack =
        bytes({0x20, 0x0B, 0x00, 0x00, 0x08, 0x21, 0x00, 0x0A, 0x12, 0x00, 0x02, 'a', 'b'});
    for (std::size_t cut = 1; cut < connack.size(); ++cut) {
        auto s = make(opts(5, false));
        EXPECT_EQ(feed_init(*s, connack.substr(0, cut)).kind, step_kind::wait) << cut;
        EXPECT_EQ(feed_init(*s, connack.substr(cut)).kind, step_kind::done) << cut;
    }
    auto s = make(opts(5, false));
    for (std::size_t i = 0; i + 1 < connack.size(); ++i) {
        ASSERT_EQ(feed_init(*s, connack.substr(i, 1)).kind, step_kind::wait) << i;
    }
    EXPECT_EQ(feed_init(*s, connack.substr(connack.size() - 1)).kind, step_kind::done);
}

TEST(presets_mqtt, coalesced_packets_and_rtt)
{
    auto s = make(opts(4, false));
    ASSERT_TRUE(s->has_rtt());
    // CONNACK and a PUBLISH (topic "t", payload "x") share one WebSocket message.
    const std::string both = bytes({0x20, 0x02, 0x00, 0x00, 0x30, 0x04, 0x00, 0x01, 't', 'x'});
    EXPECT_EQ(feed_init(*s, both).kind, step_kind::done);
    const auto ping = s->rtt_request();
    ASSERT_EQ(ping.size(), 1u);
    EXPECT_EQ(ping[0].bytes, bytes({0xC0, 0x00}));
    EXPECT_EQ(ping[0].kind, frame_kind::binary);
    // The buffered PUBLISH is skipped; PINGRESP split over two frames completes the round trip.
    EXPECT_EQ(s->on_rtt_message(frame_kind::binary, bytes({0xD0})).kind, step_kind::wait);
    EXPECT_EQ(s->on_rtt_message(frame_kind::binary, bytes({0x00})).kind, step_kind::done);
    // A second round trip works too.
    (void)s->rtt_request();
    EXPECT_EQ(s->on_rtt_message(frame_kind::binary, bytes({0xD0, 0x00})).kind, step_kind::done);
}

TEST(presets_mqtt, rtt_failures)
{
    auto s5 = make(opts(5, false));
    ASSERT_EQ(feed_init(*s5, bytes({0x20, 0x03, 0x00, 0x00, 0x00})).kind, step_kind::done);
    (void)s5->rtt_request();
    const auto st = s5->on_rtt_message(frame_kind::binary, bytes({0xE0, 0x01, 0x8B}));
    EXPECT_TRUE(st.error == app::errc::mqtt_disconnect);
    EXPECT_NE(st.sentence.find("Server shutting down"), std::string::npos) << st.sentence;
    auto s4 = make(opts(4, false));
    ASSERT_EQ(feed_init(*s4, bytes({0x20, 0x02, 0x00, 0x00})).kind, step_kind::done);
    EXPECT_TRUE(s4->on_rtt_message(frame_kind::binary, bytes({0xE0, 0x00})).error ==
                app::errc::mqtt_unexpected_packet);
    auto s4b = make(opts(4, false));
    ASSERT_EQ(feed_init(*s4b, bytes({0x20, 0x02, 0x00, 0x00})).kind, step_kind::done);
    EXPECT_TRUE(s4b->on_rtt_message(frame_kind::binary, bytes({0xD0, 0x01, 0x00})).error ==
                app::errc::mqtt_malformed_packet);
}

TEST(presets_mqtt, options_are_checked)
{
    app::preset_options o = opts(4, false);
    o.password = "p"; // 3.1.1: password without user name
    auto r = app::find_preset("mqtt")->make(o);
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().error == app::errc::bad_option);
    EXPECT_EQ(r.error().error.cls(), wsp::failure_class::config);
    EXPECT_NE(r.error().sentence.find("--username"), std::string::npos) << r.error().sentence;
    o.mqtt_version = 5; // 5.0 allows it
    EXPECT_TRUE(app::find_preset("mqtt")->make(o));
    o.mqtt_version = 3;
    EXPECT_FALSE(app::find_preset("mqtt")->make(o));
    app::preset_options bad = opts(4, false);
    bad.client_id = std::string("a\0b", 3);
    EXPECT_FALSE(app::find_preset("mqtt")->make(bad));
    bad.client_id = std::string(65536, 'c');
    EXPECT_FALSE(app::find_preset("mqtt")->make(bad));
    // An empty client id asks the broker to assign one.
    app::preset_options empty = opts(4, false);
    empty.client_id.clear();
    auto e = app::find_preset("mqtt")->make(empty);
    ASSERT_TRUE(e);
    EXPECT_EQ((*e)->start()[0].bytes,
              bytes({0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x1E, 0x00, 0x00}));
}

TEST(mqtt_codec, varint_boundaries_from_the_spec_table)
{
    struct row {
        std::uint32_t value;
        std::string enc;
    };
    for (const row& r :
         {row{0, bytes({0x00})}, row{127, bytes({0x7F})}, row{128, bytes({0x80, 0x01})},
          row{16383, bytes({0xFF, 0x7F})}, row{16384, bytes({0x80, 0x80, 0x01})},
          row{2097151, bytes({0xFF, 0xFF, 0x7F})}, row{2097152, bytes({0x80, 0x80, 0x80, 0x01})},
          row{268435455, bytes({0xFF, 0xFF, 0xFF, 0x7F})}}) {
        std::string out;
        mqtt::encode_varint(r.value, out);
        EXPECT_EQ(out, r.enc) << r.value;
        wsp::test::guarded_buffer g(r.enc);
        std::uint32_t v = 0;
        std::size_t used = 0;
        ASSERT_EQ(mqtt::decode_varint(g.span(), v, used), mqtt::varint_status::ok);
        EXPECT_EQ(v, r.value);
        EXPECT_EQ(used, r.enc.size());
        for (std::size_t cut = 0; cut < r.enc.size(); ++cut) {
            wsp::test::guarded_buffer part(r.enc.substr(0, cut));
            EXPECT_EQ(mqtt::decode_varint(part.span(), v, used), mqtt::varint_status::need_more);
        }
    }
    std::uint32_t v = 0;
    std::size_t used = 0;
    wsp::test::guarded_buffer five(bytes({0xFF, 0xFF, 0xFF, 0xFF, 0x7F}));
    EXPECT_EQ(mqtt::decode_varint(five.span(), v, used), mqtt::varint_status::too_long);
    wsp::test::guarded_buffer overlong(bytes({0x80, 0x80, 0x00}));
    EXPECT_EQ(mqtt::decode_varint(overlong.span(), v, used), mqtt::varint_status::not_minimal);
}

TEST(mqtt_codec, reader_splits_coalesced_packets)
{
    mqtt::packet_reader r;
    const std::string three = bytes({0xD0, 0x00, 0x20, 0x02, 0x00, 0x00, 0xD0});
    r.feed({reinterpret_cast<const std::uint8_t*>(three.data()), three.size()});
    mqtt::packet p;
    std::string_view why;
    ASSERT_EQ(r.next(p, why), mqtt::read_status::packet);
    EXPECT_EQ(p.type(), mqtt::packet_type::pingresp);
    ASSERT_EQ(r.next(p, why), mqtt::read_status::packet);
    EXPECT_EQ(p.type(), mqtt::packet_type::connack);
    EXPECT_EQ(p.body.size(), 2u);
    EXPECT_EQ(r.next(p, why), mqtt::read_status::need_more);
    EXPECT_EQ(r.buffered(), 1u);
}

} // namespace
