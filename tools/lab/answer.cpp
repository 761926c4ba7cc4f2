// The lab's answer to a request head: routing, RFC 6455 §4.2.1 request validation, and the
// deliberately broken 101s, status responses and frames each scenario sends.
#include "tools/lab/answer.h"

#include <array>
#include <charconv>
#include <span>
#include <string>

#include "http1/error.h"
#include "http1/key.h"
#include "http1/parser.h"
#include "http1/server.h"
#include "ws/close.h"
#include "ws/frame.h"

namespace wsp::lab {
namespace {

void put(std::vector<std::uint8_t>& out, std::string_view s)
{
    out.insert(out.end(), s.begin(), s.end());
}

std::span<char> tail_chars(std::vector<std::uint8_t>& out, std::size_t at) noexcept
{
    return {reinterpret_cast<char*>(out.data() + at), out.size() - at};
}

// Appends an HTTP response written by http1::write_response; false when a header value was
// refused (a control character from a decoded query parameter).
bool append_response(std::vector<std::uint8_t>& out, int status, std::string_view reason,
                     std::span<const http1::header> headers, std::string_view body)
{
    std::size_t estimate = 160 + reason.size() + body.size();
    for (const http1::header& h : headers) {
        estimate += h.name.size() + h.value.size() + 4;
    }
    const std::size_t at = out.size();
    out.resize(at + estimate);
    auto n = http1::write_response(tail_chars(out, at), status, reason, headers, body);
    if (!n) {
        out.resize(at);
        return false;
    }
    out.resize(at + *n);
    return true;
}

constexpr http1::header close_header{"Connection", "close"};
constexpr http1::header text_plain{"Content-Type", "text/plain; charset=utf-8"};

void refuse(answer& a, std::vector<std::uint8_t>& out, int status, std::string_view sentence)
{
    out.clear();
    std::array<http1::header, 3> headers{text_plain, close_header, http1::header{}};
    std::size_t count = 2;
    if (status == 426) {
        // RFC 6455 §4.4: a version mismatch names the versions the server supports.
        headers[count++] = http1::header{"Sec-WebSocket-Version", "13"};
    }
    std::string body = "wsprobe-lab: ";
    body += sentence;
    body += '\n';
    if (!append_response(out, status, {}, std::span(headers.data(), count), body)) {
        (void)append_response(out, status, {}, std::span(headers.data(), count), "wsprobe-lab: bad request\n");
    }
    a.status = status;
    a.next = after_answer::close;
}

void plain_status(answer& a, std::vector<std::uint8_t>& out, int status)
{
    std::array<http1::header, 3> headers{text_plain, close_header, http1::header{}};
    std::size_t count = 2;
    if (status == 429) {
        headers[count++] = http1::header{"Retry-After", "30"};
    } else if (status == 401) {
        headers[count++] = http1::header{"WWW-Authenticate", "Bearer"};
    }
    std::array<char, 8> digits{};
    const auto r = std::to_chars(digits.data(), digits.data() + digits.size(), status);
    std::string body;
    // RFC 7230 §3.3.3: 1xx, 204 and 304 answers carry no body.
    if (status >= 200 && status != 204 && status != 304) {
        body = "wsprobe-lab: status ";
        body.append(digits.data(), r.ptr);
        body += " (scenario /status/N)\n";
    }
    (void)append_response(out, status, {}, std::span(headers.data(), count), body);
    a.status = status;
    a.next = after_answer::close;
}

void garbage(std::vector<std::uint8_t>& out, std::uint64_t seed)
{
    put(out, "SSH-2.0-OpenSSH_9.2\r\n");
    // splitmix64: bytes that look random and are not HTTP; the seed varies them per connection.
    for (int i = 0; i < 6; ++i) {
        seed += 0x9E3779B97F4A7C15ULL;
        std::uint64_t z = seed;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z ^= z >> 31;
        for (int b = 0; b < 8; ++b) {
            out.push_back(static_cast<std::uint8_t>(z >> (8 * b)));
        }
    }
}

// RFC 6455 §5.2: FIN + binary, payload length 127 -> 64-bit length 2^62 follows (top bit clear,
// so the header itself is well-formed; only the size is absurd).
constexpr std::array<std::uint8_t, 10> oversized_header{0x82, 0x7F, 0x40, 0, 0, 0, 0, 0, 0, 0};

// RFC 6455 §5.7's masked "Hello" with RSV1-3 set: reserved bits without an extension (§5.2) and a
// mask from the server (§5.1), two violations in one frame.
constexpr std::array<std::uint8_t, 11> malformed_frame{0xF1, 0x85, 0x37, 0xFA, 0x21, 0x3D,
                                                       0x7F, 0x9F, 0x4D, 0x51, 0x58};

bool has_control_char(std::string_view s) noexcept
{
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && u != '\t') || u == 0x7F) {
            return true;
        }
    }
    return false;
}

// A scenario that answers 101: the upgrade line first, then any frames it sends at once.
void upgrade(answer& a, std::vector<std::uint8_t>& out, const scenario& sc, const http1::client_upgrade& up)
{
    std::string_view offered;
    if (sc.first_subprotocol) {
        if (const http1::header* h = http1::find_header(up.headers, "Sec-WebSocket-Protocol")) {
            offered = first_offered_subprotocol(h->value);
        }
    }
    if (sc.kind == scenario_kind::app && sc.app) {
        const http1::header* h = http1::find_header(up.headers, "Sec-WebSocket-Protocol");
        offered = select_app_subprotocol(*sc.app, h != nullptr ? h->value : std::string_view());
    }
    const auto accept = http1::compute_accept(up.key);
    switch (sc.kind) {
    case scenario_kind::bad_accept: {
        // The accept value of a different key: well-formed base64, wrong hash (§4.2.2 item 5.4).
        constexpr std::string_view other = "dGhlIHNhbXBsZSBub25jZQ==";
        const auto wrong = http1::compute_accept(up.key == other ? "AAAAAAAAAAAAAAAAAAAAAA==" : other);
        append_switching_protocols(out, wrong.view(), true, true, offered);
        break;
    }
    case scenario_kind::no_upgrade: append_switching_protocols(out, accept.view(), false, true, offered); break;
    case scenario_kind::no_connection: append_switching_protocols(out, accept.view(), true, false, offered); break;
    case scenario_kind::subprotocol:
        if (has_control_char(sc.select)) {
            refuse(a, out, 400, "select= must not contain control characters");
            return;
        }
        append_switching_protocols(out, accept.view(), true, true, sc.select);
        break;
    default: {
        out.resize(512 + offered.size());
        auto n = http1::write_switching_protocols(tail_chars(out, 0), up.key, offered);
        if (!n) {
            refuse(a, out, 400, "the first offered subprotocol is not an RFC 7230 token");
            return;
        }
        out.resize(*n);
        break;
    }
    }
    a.status = 101;
    a.next = after_answer::websocket;
    switch (sc.kind) {
    case scenario_kind::welcome: {
        const std::size_t at = out.size();
        out.resize(at + ws::header_size(sc.message.size(), false) + sc.message.size());
        auto n = ws::build_text(std::span(out).subspan(at), sc.message, std::nullopt);
        out.resize(n ? at + *n : at);
        break;
    }
    case scenario_kind::close_after_upgrade:
        append_close_frame(out, sc.code, sc.reason);
        a.mode = ws_mode::await_close;
        break;
    case scenario_kind::oversized_frame:
        out.insert(out.end(), oversized_header.begin(), oversized_header.end());
        a.mode = ws_mode::await_close;
        break;
    case scenario_kind::malformed_frame:
        out.insert(out.end(), malformed_frame.begin(), malformed_frame.end());
        a.mode = ws_mode::await_close;
        break;
    case scenario_kind::silent: a.mode = ws_mode::silent; break;
    case scenario_kind::blackhole: a.mode = ws_mode::discard; break;
    case scenario_kind::drop_after_upgrade: a.mode = ws_mode::drop_on_first; break;
    case scenario_kind::app:
        a.mode = ws_mode::app;
        a.app = sc.app;
        break;
    case scenario_kind::slow_upgrade: a.delay_before_ms = sc.ms; break;
    case scenario_kind::slow_echo: a.reply_delay_ms = sc.ms; break;
    case scenario_kind::idle_kill:
        a.kill_after_ms = sc.ms;
        a.kill = true;
        break;
    default: break;
    }
}

} // namespace

void append_switching_protocols(std::vector<std::uint8_t>& out, std::string_view accept, bool with_upgrade,
                                bool with_connection, std::string_view subprotocol)
{
    put(out, "HTTP/1.1 101 Switching Protocols\r\n");
    if (with_upgrade) {
        put(out, "Upgrade: websocket\r\n");
    }
    if (with_connection) {
        put(out, "Connection: Upgrade\r\n");
    }
    put(out, "Sec-WebSocket-Accept: ");
    put(out, accept);
    put(out, "\r\n");
    if (!subprotocol.empty()) {
        put(out, "Sec-WebSocket-Protocol: ");
        put(out, subprotocol);
        put(out, "\r\n");
    }
    put(out, "\r\n");
}

void append_close_frame(std::vector<std::uint8_t>& out, std::uint16_t code, std::string_view reason)
{
    // RFC 6455 §5.5: a control payload is at most 125 bytes, 2 of them the code (§5.5.1).
    reason = reason.substr(0, ws::max_close_reason);
    out.push_back(0x88); // FIN + close, unmasked (server)
    out.push_back(static_cast<std::uint8_t>(2 + reason.size()));
    out.push_back(static_cast<std::uint8_t>(code >> 8));
    out.push_back(static_cast<std::uint8_t>(code & 0xFF));
    put(out, reason);
}

std::string_view first_offered_subprotocol(std::string_view value) noexcept
{
    // RFC 6455 §4.1: a comma-separated list; RFC 7230 §7 allows empty elements and OWS around them.
    while (!value.empty()) {
        const auto comma = value.find(',');
        std::string_view element = value.substr(0, comma);
        while (!element.empty() && (element.front() == ' ' || element.front() == '\t')) {
            element.remove_prefix(1);
        }
        while (!element.empty() && (element.back() == ' ' || element.back() == '\t')) {
            element.remove_suffix(1);
        }
        if (!element.empty()) {
            return element;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        value.remove_prefix(comma + 1);
    }
    return {};
}

answer answer_parse_error(wsp::error e, std::vector<std::uint8_t>& out)
{
    answer a;
    a.method = "-";
    a.path = "-";
    out.clear();
    if (e.cls() == failure_class::limit) {
        // RFC 6585 §5: the head is larger than the server accepts.
        std::array<http1::header, 2> headers{text_plain, close_header};
        (void)append_response(out, 431, "Request Header Fields Too Large", headers,
                              "wsprobe-lab: request head too large\n");
        a.status = 431;
        a.next = after_answer::close;
        return a;
    }
    std::string sentence = "malformed request (";
    sentence += e.name();
    sentence += ')';
    refuse(a, out, 400, sentence);
    return a;
}

answer answer_request(std::string_view head, std::vector<std::uint8_t>& out, std::uint64_t seed)
{
    out.clear();
    std::array<http1::header, 64> storage{};
    http1::request_head req;
    auto parsed = http1::parse_request(head, 0, storage, req);
    if (!parsed) {
        return answer_parse_error(parsed.error(), out);
    }
    if (!parsed->complete()) {
        return answer_parse_error(http1::errc::malformed_request_line, out);
    }
    answer a;
    a.method = req.method;
    a.path = req.target.substr(0, req.target.find('?'));
    const auto sc = route(req.target);
    if (!sc) {
        std::array<http1::header, 2> headers{text_plain, close_header};
        (void)append_response(out, 404, {}, headers, "wsprobe-lab: no scenario at this path (wsprobe-lab --list)\n");
        a.status = 404;
        a.next = after_answer::close;
        return a;
    }
    a.routed = true;
    a.kind = sc->kind;
    switch (sc->kind) {
    case scenario_kind::status: plain_status(a, out, sc->status); return a;
    case scenario_kind::redirect: {
        std::array<http1::header, 3> headers{http1::header{"Location", sc->location}, text_plain, close_header};
        if (!append_response(out, 302, {}, headers, "wsprobe-lab: redirect (scenario /redirect)\n")) {
            refuse(a, out, 400, "to= must not contain control characters");
            return a;
        }
        a.status = 302;
        a.next = after_answer::close;
        return a;
    }
    case scenario_kind::garbage:
        garbage(out, seed);
        a.next = after_answer::close;
        return a;
    case scenario_kind::reset_handshake: a.next = after_answer::reset; return a;
    default: break;
    }
    // RFC 6455 §4.2.1: everything that answers 101 first checks the request like a real server.
    auto up = http1::validate_upgrade_request(req);
    if (!up) {
        refuse(a, out, up.error().status != 0 ? up.error().status : 400, up.error().sentence);
        return a;
    }
    upgrade(a, out, *sc, *up);
    return a;
}

} // namespace wsp::lab
