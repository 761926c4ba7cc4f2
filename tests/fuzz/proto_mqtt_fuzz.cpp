// Fuzz target for proto/presets/mqtt_codec.cpp and the mqtt preset (MQTT 3.1.1 §2, 5.0 §1.5.5,
// §2-§3): arbitrary broker bytes, chunked as the first input byte says, through the CONNACK and
// PINGRESP state machines and the packet decoders. Invariants: no crash, every failure carries a
// named code and a sentence, and every variable byte integer that decodes re-encodes identically.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proto/presets/app.h"
#include "proto/presets/mqtt_codec.h"
#include "tests/fuzz/fuzz_check.h"

using wsp::fuzz::check;

namespace {

void check_step(const wsp::proto::app::step& s)
{
    using wsp::proto::app::step_kind;
    if (s.kind == step_kind::failed) {
        check(static_cast<bool>(s.error));
        check(s.error.name() != "unknown" && !s.sentence.empty());
        check(s.sentence.find("fuzz-secret") == std::string::npos);
    } else {
        check(!s.error);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace wsp::proto;
    if (size == 0) {
        return 0;
    }
    const std::uint8_t mode = data[0];
    const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
    const std::size_t chunk = 1 + (mode >> 1) % 16;

    app::preset_options o;
    o.mqtt_version = (mode & 1) ? 5 : 4;
    o.client_id = "fuzz";
    o.username = "u";
    o.password = "fuzz-secret";
    auto made = app::find_preset("mqtt")->make(o);
    check(static_cast<bool>(made));
    app::session& s = **made;
    (void)s.start();
    bool init = true;
    for (std::size_t pos = 0; pos < in.size(); pos += chunk) {
        const std::string_view part = in.substr(pos, chunk);
        const app::step st = init ? s.on_init_message(app::frame_kind::binary, part)
                                  : s.on_rtt_message(app::frame_kind::binary, part);
        check_step(st);
        if (st.kind == app::step_kind::failed) {
            break;
        }
        if (st.kind == app::step_kind::done) {
            if (!init) {
                break;
            }
            init = false;
            (void)s.rtt_request();
        }
    }

    // The decoders directly, over every packet the reader finds.
    mqtt::packet_reader reader(4096);
    reader.feed({data + 1, size - 1});
    mqtt::packet p;
    std::string_view why;
    while (reader.next(p, why) == mqtt::read_status::packet) {
        (void)mqtt::decode_connack(p, 4, why);
        (void)mqtt::decode_connack(p, 5, why);
        (void)mqtt::decode_disconnect(p, why);
        check(p.body.size() < 4096);
    }

    // MQTT 5.0 §1.5.5: a decoded variable byte integer is minimal, so re-encoding gives its bytes.
    std::uint32_t value = 0;
    std::size_t used = 0;
    if (mqtt::decode_varint({data + 1, size - 1}, value, used) == mqtt::varint_status::ok) {
        std::string again;
        mqtt::encode_varint(value, again);
        check(again == in.substr(0, used));
        check(value <= mqtt::max_varint);
    }
    return 0;
}
