// Fuzz target: a client h2 session that got a valid server SETTINGS (ENABLE_CONNECT_PROTOCOL=1,
// RFC 8441 §3) and opened an extended CONNECT on stream 1 is fed arbitrary server bytes. It must
// never crash, hang or leak, whatever RFC 9113 frames (or garbage) arrive.
//
// Input layout: byte 0 picks the feed chunk size (0 = whole input at once, else 1..255 bytes per
// feed); the rest are the server's bytes after its SETTINGS frame.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "h2/session.h"

namespace {

// RFC 9113 §6.5: SETTINGS frame, stream 0, two entries: MAX_CONCURRENT_STREAMS=100 and
// ENABLE_CONNECT_PROTOCOL=1.
constexpr std::uint8_t server_settings[] = {
    0x00, 0x00, 0x0c, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, // length 12, SETTINGS, flags 0, stream 0
    0x00, 0x03, 0x00, 0x00, 0x00, 0x64,                   // MAX_CONCURRENT_STREAMS = 100
    0x00, 0x08, 0x00, 0x00, 0x00, 0x01,                   // ENABLE_CONNECT_PROTOCOL = 1
};

// Reacts to events the way a probe would: validates answers, echoes data, ends on END_STREAM.
void react(wsp::h2::client_session& client, const wsp::h2::connect_request& request)
{
    while (auto e = client.next_event()) {
        switch (e->kind) {
        case wsp::h2::event_kind::headers:
            (void)wsp::h2::validate_connect_response(*e, request, "chat");
            (void)wsp::h2::status_of(*e);
            break;
        case wsp::h2::event_kind::data:
            if (client.send_buffer_space(e->stream_id) >= e->data.size()) {
                (void)client.write(e->stream_id, e->data);
            }
            break;
        case wsp::h2::event_kind::end_of_stream: (void)client.end_stream(e->stream_id); break;
        case wsp::h2::event_kind::goaway: (void)wsp::h2::describe_goaway(*e); break;
        case wsp::h2::event_kind::stream_reset: (void)wsp::h2::describe_reset(e->error_code); break;
        case wsp::h2::event_kind::settings:
        case wsp::h2::event_kind::stream_closed: break;
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0) {
        return 0;
    }
    wsp::h2::session_options options;
    options.initial_window_size = 65535;
    options.connection_window_size = 65535;
    options.send_buffer_limit = 64 * 1024;
    auto client = wsp::h2::client_session::create(options);
    if (!client) {
        return 0;
    }
    std::vector<std::uint8_t> out;
    if (!client->drain_output(out) || !client->feed(server_settings)) {
        return 0;
    }
    wsp::h2::connect_request request;
    request.authority = "fuzz.example";
    request.path = "/ws";
    request.subprotocols = {"chat", "superchat"};
    request.extensions = "permessage-deflate";
    react(*client, request);
    if (!client->open_websocket(request)) {
        __builtin_trap(); // the valid SETTINGS above enabled extended CONNECT
    }
    (void)client->drain_output(out);

    const std::size_t chunk = data[0] == 0 ? size : data[0];
    std::span<const std::uint8_t> rest(data + 1, size - 1);
    while (!rest.empty()) {
        const std::size_t n = std::min(chunk, rest.size());
        if (!client->feed(rest.first(n))) {
            break;
        }
        rest = rest.subspan(n);
        react(*client, request);
        out.clear();
        if (!client->drain_output(out)) {
            break;
        }
    }
    react(*client, request);
    return 0;
}
