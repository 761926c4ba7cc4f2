// MQTT packet encoding and decoding for the probe (OASIS MQTT 3.1.1 §2.2, §3.1, §3.2, §3.12-§3.13;
// MQTT 5.0 §1.5.5, §2.2.2, §3.1, §3.2, §3.14).
#include "proto/presets/mqtt_codec.h"

#include <simdjson.h>

namespace wsp::proto::mqtt {
namespace {

void put_u16(std::string& out, std::size_t v)
{
    out.push_back(static_cast<char>((v >> 8) & 0xFF));
    out.push_back(static_cast<char>(v & 0xFF));
}

void put_string(std::string& out, std::string_view s)
{
    put_u16(out, s.size());
    out.append(s);
}

std::string_view check_string(std::string_view s, std::string_view what_too_long, std::string_view what_bad)
{
    // MQTT 3.1.1 §1.5.3: UTF-8 strings are at most 65535 bytes, well-formed, without U+0000.
    if (s.size() > 65535) {
        return what_too_long;
    }
    if (!simdjson::validate_utf8(s) || s.find('\0') != std::string_view::npos) {
        return what_bad;
    }
    return {};
}

// Reads a two-byte length-prefixed field at `pos`; false when it overruns `body`.
bool read_prefixed(std::span<const std::uint8_t> body, std::size_t& pos, std::string_view& out)
{
    if (body.size() - pos < 2) {
        return false;
    }
    const std::size_t len = (std::size_t{body[pos]} << 8) | body[pos + 1];
    pos += 2;
    if (body.size() - pos < len) {
        return false;
    }
    out = std::string_view(reinterpret_cast<const char*>(body.data() + pos), len);
    pos += len;
    return true;
}

// The properties a probe reports; the rest are skipped by type.
struct properties {
    std::string reason_string;
    std::string server_reference;
    std::string assigned_client_id;
    std::optional<std::uint16_t> server_keep_alive;
};

// MQTT 5.0 §2.2.2: a property length then (identifier, value) pairs filling it exactly.
bool read_properties(std::span<const std::uint8_t> body, std::size_t pos, properties& props,
                     std::string_view& why)
{
    std::uint32_t total = 0;
    std::size_t used = 0;
    if (decode_varint(body.subspan(pos), total, used) != varint_status::ok) {
        why = "the property length is not a valid variable byte integer";
        return false;
    }
    pos += used;
    // MQTT 5.0 §2.2.2.1: the property length covers exactly the rest of the variable header.
    if (body.size() - pos != total) {
        why = "the property length does not match the packet length";
        return false;
    }
    while (pos < body.size()) {
        const std::uint8_t id = body[pos++];
        std::size_t fixed = 0;
        switch (id) {
        case 0x01:
        case 0x17:
        case 0x19:
        case 0x24:
        case 0x25:
        case 0x28:
        case 0x29:
        case 0x2A:
            fixed = 1;
            break;
        case 0x13:
        case 0x21:
        case 0x22:
        case 0x23:
            fixed = 2;
            break;
        case 0x02:
        case 0x11:
        case 0x18:
        case 0x27:
            fixed = 4;
            break;
        default:
            break;
        }
        if (fixed != 0) {
            if (body.size() - pos < fixed) {
                why = "a property value runs past the end of the packet";
                return false;
            }
            if (id == 0x13) {
                props.server_keep_alive = static_cast<std::uint16_t>((body[pos] << 8) | body[pos + 1]);
            }
            pos += fixed;
            continue;
        }
        std::string_view a;
        std::string_view b;
        bool ok = true;
        switch (id) {
        case 0x0B: {
            std::uint32_t v = 0;
            std::size_t n = 0;
            ok = decode_varint(body.subspan(pos), v, n) == varint_status::ok;
            pos += n;
            break;
        }
        case 0x03:
        case 0x08:
        case 0x09:
        case 0x15:
        case 0x16:
        case 0x1A:
            ok = read_prefixed(body, pos, a);
            break;
        case 0x12:
            ok = read_prefixed(body, pos, a) && (props.assigned_client_id.assign(a), true);
            break;
        case 0x1C:
            ok = read_prefixed(body, pos, a) && (props.server_reference.assign(a), true);
            break;
        case 0x1F:
            ok = read_prefixed(body, pos, a) && (props.reason_string.assign(a), true);
            break;
        case 0x26:
            ok = read_prefixed(body, pos, a) && read_prefixed(body, pos, b);
            break;
        default:
            // MQTT 5.0 §2.2.2.2: an unknown property identifier makes the packet malformed.
            why = "the packet carries an unknown property identifier";
            return false;
        }
        if (!ok) {
            why = "a property value runs past the end of the packet";
            return false;
        }
    }
    return true;
}

std::string_view v5_reason_name(std::uint8_t code) noexcept
{
    switch (code) {
    case 0x80:
        return "Unspecified error";
    case 0x81:
        return "Malformed Packet";
    case 0x82:
        return "Protocol Error";
    case 0x83:
        return "Implementation specific error";
    case 0x84:
        return "Unsupported Protocol Version";
    case 0x85:
        return "Client Identifier not valid";
    case 0x86:
        return "Bad User Name or Password";
    case 0x87:
        return "Not authorized";
    case 0x88:
        return "Server unavailable";
    case 0x89:
        return "Server busy";
    case 0x8A:
        return "Banned";
    case 0x8B:
        return "Server shutting down";
    case 0x8C:
        return "Bad authentication method";
    case 0x8D:
        return "Keep Alive timeout";
    case 0x8E:
        return "Session taken over";
    case 0x8F:
        return "Topic Filter invalid";
    case 0x90:
        return "Topic Name invalid";
    case 0x93:
        return "Receive Maximum exceeded";
    case 0x94:
        return "Topic Alias invalid";
    case 0x95:
        return "Packet too large";
    case 0x96:
        return "Message rate too high";
    case 0x97:
        return "Quota exceeded";
    case 0x98:
        return "Administrative action";
    case 0x99:
        return "Payload format invalid";
    case 0x9A:
        return "Retain not supported";
    case 0x9B:
        return "QoS not supported";
    case 0x9C:
        return "Use another server";
    case 0x9D:
        return "Server moved";
    case 0x9E:
        return "Shared Subscriptions not supported";
    case 0x9F:
        return "Connection rate exceeded";
    case 0xA0:
        return "Maximum connect time";
    case 0xA1:
        return "Subscription Identifiers not supported";
    case 0xA2:
        return "Wildcard Subscriptions not supported";
    default:
        return "";
    }
}

bool is_connack_reason(std::uint8_t c) noexcept
{
    // MQTT 5.0 §3.2.2.2: the CONNACK reason codes.
    return c == 0x00 || (c >= 0x80 && c <= 0x8A) || c == 0x8C || c == 0x90 || c == 0x95 || c == 0x97 ||
           (c >= 0x99 && c <= 0x9D) || c == 0x9F;
}

} // namespace

std::string_view to_string(packet_type t) noexcept
{
    switch (t) {
    case packet_type::connect:
        return "CONNECT";
    case packet_type::connack:
        return "CONNACK";
    case packet_type::publish:
        return "PUBLISH";
    case packet_type::puback:
        return "PUBACK";
    case packet_type::pubrec:
        return "PUBREC";
    case packet_type::pubrel:
        return "PUBREL";
    case packet_type::pubcomp:
        return "PUBCOMP";
    case packet_type::subscribe:
        return "SUBSCRIBE";
    case packet_type::suback:
        return "SUBACK";
    case packet_type::unsubscribe:
        return "UNSUBSCRIBE";
    case packet_type::unsuback:
        return "UNSUBACK";
    case packet_type::pingreq:
        return "PINGREQ";
    case packet_type::pingresp:
        return "PINGRESP";
    case packet_type::disconnect:
        return "DISCONNECT";
    case packet_type::auth:
        return "AUTH";
    }
    return "reserved";
}

varint_status decode_varint(std::span<const std::uint8_t> in, std::uint32_t& value,
                            std::size_t& used) noexcept
{
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        if (i >= in.size()) {
            return varint_status::need_more;
        }
        v |= static_cast<std::uint32_t>(in[i] & 0x7F) << (7 * i);
        if ((in[i] & 0x80) == 0) {
            // MQTT 5.0 §1.5.5: the shortest encoding only, so a trailing zero byte is overlong.
            if (i > 0 && in[i] == 0) {
                return varint_status::not_minimal;
            }
            value = v;
            used = i + 1;
            return varint_status::ok;
        }
    }
    // MQTT 3.1.1 §2.2.3: at most four bytes.
    return varint_status::too_long;
}

void encode_varint(std::uint32_t value, std::string& out)
{
    do {
        auto b = static_cast<std::uint8_t>(value & 0x7F);
        value >>= 7;
        if (value != 0) {
            b |= 0x80;
        }
        out.push_back(static_cast<char>(b));
    } while (value != 0);
}

std::string check_connect(const connect_options& o)
{
    if (o.version != 4 && o.version != 5) {
        return "the MQTT version must be 4 (3.1.1) or 5 (5.0)";
    }
    std::string_view bad = check_string(o.client_id, "the MQTT client id is longer than 65535 bytes",
                                        "the MQTT client id must be UTF-8 without NUL characters");
    if (bad.empty() && o.username) {
        bad = check_string(*o.username, "the MQTT user name is longer than 65535 bytes",
                           "the MQTT user name must be UTF-8 without NUL characters");
    }
    if (!bad.empty()) {
        return std::string(bad);
    }
    if (o.password && o.password->size() > 65535) {
        return "the MQTT password is longer than 65535 bytes";
    }
    // MQTT 3.1.1 §3.1.2.9: a password needs a user name (5.0 lifts this).
    if (o.version == 4 && o.password && !o.username) {
        return "MQTT 3.1.1 sends a password only with a user name: add --username or use --mqtt-version 5";
    }
    // MQTT 3.1.1 §3.1.3.1: an empty client id requires a clean session.
    if (o.version == 4 && o.client_id.empty() && !o.clean_start) {
        return "MQTT 3.1.1 requires a client id when the session is not clean";
    }
    return {};
}

std::string encode_connect(const connect_options& o)
{
    std::string body;
    body.reserve(16 + o.client_id.size() + (o.username ? o.username->size() + 2 : 0) +
                 (o.password ? o.password->size() + 2 : 0));
    put_string(body, "MQTT");
    body.push_back(static_cast<char>(o.version));
    std::uint8_t flags = o.clean_start ? 0x02 : 0x00;
    if (o.username) {
        flags |= 0x80;
    }
    if (o.password) {
        flags |= 0x40;
    }
    body.push_back(static_cast<char>(flags));
    put_u16(body, o.keep_alive);
    if (o.version == 5) {
        body.push_back('\0'); // MQTT 5.0 §3.1.2.11: property length 0
    }
    // MQTT 3.1.1 §3.1.3: client id, [will topic, will message], [user name], [password].
    put_string(body, o.client_id);
    if (o.username) {
        put_string(body, *o.username);
    }
    if (o.password) {
        put_string(body, *o.password);
    }
    std::string out;
    out.reserve(body.size() + 5);
    out.push_back(static_cast<char>(0x10));
    encode_varint(static_cast<std::uint32_t>(body.size()), out);
    out += body;
    return out;
}

void packet_reader::feed(std::span<const std::uint8_t> bytes)
{
    if (start_ > 0) {
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_));
        start_ = 0;
    }
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

read_status packet_reader::next(packet& out, std::string_view& why)
{
    if (dead_) {
        why = "the stream already failed";
        return read_status::malformed;
    }
    const std::span<const std::uint8_t> avail(buffer_.data() + start_, buffer_.size() - start_);
    if (avail.empty()) {
        return read_status::need_more;
    }
    std::uint32_t len = 0;
    std::size_t used = 0;
    switch (decode_varint(avail.subspan(1), len, used)) {
    case varint_status::need_more:
        return read_status::need_more;
    case varint_status::too_long:
        dead_ = true;
        why = "the remaining length is longer than four bytes";
        return read_status::malformed;
    case varint_status::not_minimal:
        dead_ = true;
        why = "the remaining length is not in its shortest encoding";
        return read_status::malformed;
    case varint_status::ok:
        break;
    }
    // MQTT 3.1.1 §2.2.1: packet type 0 is reserved.
    if ((avail[0] >> 4) == 0) {
        dead_ = true;
        why = "the packet type 0 is reserved";
        return read_status::malformed;
    }
    const std::size_t total = 1 + used + len;
    if (total > max_packet_) {
        dead_ = true;
        why = "the packet is larger than the probe accepts";
        return read_status::too_large;
    }
    if (avail.size() < total) {
        return read_status::need_more;
    }
    out.header = avail[0];
    out.body = avail.subspan(1 + used, len);
    start_ += total;
    return read_status::packet;
}

std::optional<connack> decode_connack(const packet& p, int version, std::string_view& why)
{
    // MQTT 3.1.1 §2.2.2 and 5.0 §2.1.3: CONNACK's fixed header flags are reserved, all zero.
    if (p.type() != packet_type::connack || p.flags() != 0) {
        why = "the CONNACK fixed header flags are not zero";
        return std::nullopt;
    }
    if (p.body.size() < 2) {
        why = "the CONNACK is shorter than two bytes";
        return std::nullopt;
    }
    // MQTT 3.1.1 §3.2.2.1: bits 7-1 of the acknowledge flags are reserved.
    if ((p.body[0] & 0xFE) != 0) {
        why = "the CONNACK acknowledge flags set reserved bits";
        return std::nullopt;
    }
    connack c;
    c.session_present = (p.body[0] & 0x01) != 0;
    c.code = p.body[1];
    if (version == 4 || p.body.size() == 2) {
        // MQTT 3.1.1 §3.2: remaining length 2. A 3.1.1-only broker answers a 5.0 CONNECT this way.
        if (p.body.size() != 2) {
            why = "the MQTT 3.1.1 CONNACK remaining length is not 2";
            return std::nullopt;
        }
        c.legacy_reply = version == 5;
        if (c.legacy_reply && c.code == 0) {
            why = "the MQTT 5.0 CONNACK has no property length";
            return std::nullopt;
        }
        return c;
    }
    if (!is_connack_reason(c.code)) {
        why = "the CONNACK reason code is not one MQTT 5.0 defines for CONNACK";
        return std::nullopt;
    }
    properties props;
    if (!read_properties(p.body, 2, props, why)) {
        return std::nullopt;
    }
    c.reason_string = std::move(props.reason_string);
    c.server_reference = std::move(props.server_reference);
    c.assigned_client_id = std::move(props.assigned_client_id);
    c.server_keep_alive = props.server_keep_alive;
    return c;
}

std::optional<disconnect> decode_disconnect(const packet& p, std::string_view& why)
{
    if (p.type() != packet_type::disconnect || p.flags() != 0) {
        why = "the DISCONNECT fixed header flags are not zero";
        return std::nullopt;
    }
    disconnect d;
    // MQTT 5.0 §3.14.2.1: remaining length 0 means reason 0x00; below 2, no properties.
    if (p.body.empty()) {
        return d;
    }
    d.code = p.body[0];
    if (p.body.size() == 1) {
        return d;
    }
    properties props;
    if (!read_properties(p.body, 1, props, why)) {
        return std::nullopt;
    }
    d.reason_string = std::move(props.reason_string);
    d.server_reference = std::move(props.server_reference);
    return d;
}

std::string_view connack_code_name(int version, std::uint8_t code) noexcept
{
    if (version == 4) {
        switch (code) {
        case 0:
            return "Connection Accepted";
        case 1:
            return "unacceptable protocol version";
        case 2:
            return "identifier rejected";
        case 3:
            return "server unavailable";
        case 4:
            return "bad user name or password";
        case 5:
            return "not authorized";
        default:
            return "";
        }
    }
    if (code == 0) {
        return "Success";
    }
    return is_connack_reason(code) ? v5_reason_name(code) : "";
}

std::string_view disconnect_code_name(std::uint8_t code) noexcept
{
    switch (code) {
    case 0x00:
        return "Normal disconnection";
    case 0x04:
        return "Disconnect with Will Message";
    default:
        return v5_reason_name(code);
    }
}

} // namespace wsp::proto::mqtt
