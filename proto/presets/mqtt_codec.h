// MQTT control packets a probe needs (OASIS MQTT 3.1.1 §2-§3, MQTT 5.0 §1.5.5, §2-§3): CONNECT,
// CONNACK, PINGREQ/PINGRESP, DISCONNECT, the variable byte integer, and a reassembler for packets
// split across or coalesced within WebSocket messages (MQTT 3.1.1 §6, MQTT 5.0 §6).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wsp::proto::mqtt {

enum class packet_type : std::uint8_t {
    connect = 1,
    connack = 2,
    publish = 3,
    puback = 4,
    pubrec = 5,
    pubrel = 6,
    pubcomp = 7,
    subscribe = 8,
    suback = 9,
    unsubscribe = 10,
    unsuback = 11,
    pingreq = 12,
    pingresp = 13,
    disconnect = 14,
    auth = 15,
};

[[nodiscard]] std::string_view to_string(packet_type t) noexcept;

inline constexpr std::uint32_t max_varint = 268'435'455; // 4 bytes of 7 bits

enum class varint_status : std::uint8_t { ok = 0, need_more = 1, too_long = 2, not_minimal = 3 };

// Decodes a variable byte integer at the start of `in`. On ok, `value` and `used` are set.
// MQTT 5.0 §1.5.5: at most four bytes, and the encoding must be the shortest one.
[[nodiscard]] varint_status decode_varint(std::span<const std::uint8_t> in, std::uint32_t& value,
                                          std::size_t& used) noexcept;
// Appends the shortest encoding of value (<= max_varint) to out.
void encode_varint(std::uint32_t value, std::string& out);

struct connect_options {
    int version = 4; // 4 = 3.1.1, 5 = 5.0
    std::string_view client_id;
    std::optional<std::string_view> username;
    std::optional<std::string_view> password;
    std::uint16_t keep_alive = 30;
    bool clean_start = true;
};

// A CONNECT packet (MQTT 3.1.1 §3.1, MQTT 5.0 §3.1 with an empty property list and no will).
// Strings longer than 65535 bytes are the caller's error: check_connect() reports them first.
[[nodiscard]] std::string encode_connect(const connect_options& o);
// An empty string when o can be encoded, else why not (never quoting the password).
[[nodiscard]] std::string check_connect(const connect_options& o);

inline constexpr std::uint8_t pingreq_bytes[2] = {0xC0, 0x00};

// One whole packet: the first header byte and the body after the remaining length. Views into the
// reader's buffer, valid until its next feed().
struct packet {
    std::uint8_t header = 0;
    std::span<const std::uint8_t> body;
    [[nodiscard]] packet_type type() const noexcept { return static_cast<packet_type>(header >> 4); }
    [[nodiscard]] std::uint8_t flags() const noexcept { return header & 0x0F; }
};

enum class read_status : std::uint8_t { packet = 0, need_more = 1, malformed = 2, too_large = 3 };

// Splits a byte stream into packets. Bytes are copied into one reused buffer; a packet larger than
// max_packet is refused before it is buffered. After malformed or too_large the stream is dead.
class packet_reader {
public:
    explicit packet_reader(std::size_t max_packet = 65536) : max_packet_(max_packet) {}

    void feed(std::span<const std::uint8_t> bytes);
    // The next whole packet, need_more, or an error with `why` set to a static explanation.
    [[nodiscard]] read_status next(packet& out, std::string_view& why);
    [[nodiscard]] std::size_t buffered() const noexcept { return buffer_.size() - start_; }

private:
    std::vector<std::uint8_t> buffer_;
    std::size_t start_ = 0;
    std::size_t max_packet_;
    bool dead_ = false;
};

struct connack {
    bool session_present = false;
    std::uint8_t code = 0;                          // 3.1.1 return code or 5.0 reason code
    std::string reason_string;                      // 5.0 property 0x1F
    std::string server_reference;                   // 5.0 property 0x1C
    std::string assigned_client_id;                 // 5.0 property 0x12
    std::optional<std::uint16_t> server_keep_alive; // 5.0 property 0x13
    bool legacy_reply = false;                      // version 5 asked, a two-byte 3.1.1 CONNACK came back
};

// Decodes a CONNACK body for the protocol version that was sent; `why` explains a failure.
[[nodiscard]] std::optional<connack> decode_connack(const packet& p, int version, std::string_view& why);

struct disconnect {
    std::uint8_t code = 0;
    std::string reason_string;
    std::string server_reference;
};

// Decodes an MQTT 5.0 DISCONNECT body (§3.14); a short body means reason 0x00.
[[nodiscard]] std::optional<disconnect> decode_disconnect(const packet& p, std::string_view& why);

// The spec's name for a CONNACK code: 3.1.1 return codes 0-5, 5.0 reason codes; "" when unknown.
[[nodiscard]] std::string_view connack_code_name(int version, std::uint8_t code) noexcept;
// The MQTT 5.0 reason code name for DISCONNECT (§3.14.2.1); "" when unknown.
[[nodiscard]] std::string_view disconnect_code_name(std::uint8_t code) noexcept;

} // namespace wsp::proto::mqtt
