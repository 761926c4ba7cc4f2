// Internals shared by the preset sessions: step builders, the close-code sentence, JSON payload
// checks and the factory of each preset.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "proto/presets/app.h"

namespace wsp::proto::app::detail {

// One application close code and what the protocol means by it.
struct close_meaning {
    std::uint16_t code;
    std::string_view name;
    std::string_view meaning;
};

[[nodiscard]] inline step wait_step()
{
    return {};
}
[[nodiscard]] step done_step(std::vector<outgoing> send = {});
[[nodiscard]] step failed_step(errc e, std::string sentence);
[[nodiscard]] outgoing text_message(std::string bytes);

// "<name> (<protocol> <code>: <meaning>)" for mapped codes, else the RFC 6455 name; the peer's
// reason is appended as a bounded preview.
[[nodiscard]] std::string close_sentence(std::string_view protocol, std::span<const close_meaning> map,
                                         std::uint16_t code, std::string_view reason);

// The init payload option as compact JSON: "" when unset, else it must be a JSON object.
[[nodiscard]] checked<std::string> object_payload(const preset_options& o, std::string_view protocol);

// Parses a received text message as JSON, or the failed step to return: binary frames
// (unexpected_frame_kind) and non-JSON text (reply_not_json) name the protocol.
[[nodiscard]] bool parse_reply(json_reader& reader, std::string_view protocol, frame_kind kind,
                               std::string_view bytes, simdjson::dom::element& out, step& failure);

[[nodiscard]] checked<session_ptr> make_graphql_transport_ws(const preset_options& o);
[[nodiscard]] checked<session_ptr> make_graphql_ws(const preset_options& o);
[[nodiscard]] checked<session_ptr> make_mqtt(const preset_options& o);
[[nodiscard]] checked<session_ptr> make_wamp(const preset_options& o);
[[nodiscard]] checked<session_ptr> make_signalr(const preset_options& o);
[[nodiscard]] checked<session_ptr> make_phoenix(const preset_options& o);
[[nodiscard]] checked<session_ptr> make_socketio(const preset_options& o);
[[nodiscard]] checked<session_ptr> make_actioncable(const preset_options& o);

} // namespace wsp::proto::app::detail
