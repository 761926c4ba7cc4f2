// Fuzz target for http1::parse_request and the server role: whole vs growing-prefix parsing must
// agree (split in two, and byte by byte for short inputs), and a request the server role accepts
// must get a 101 that the client's own validator accepts; a request the writer produces from the
// input as a custom header must parse back to that header. Any difference aborts.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fuzz/http1_split_check.h"
#include "http1/handshake.h"
#include "http1/parser.h"
#include "http1/request.h"
#include "http1/server.h"

namespace {

using namespace wsp::http1;

struct outcome {
    std::string error;
    std::size_t error_offset = 0;
    bool complete = false;
    std::size_t head_length = 0;
    int minor = -1;
    std::string method;
    std::string target;
    std::vector<std::string> fields;
    bool operator==(const outcome&) const = default;
};

bool same_name(std::string_view a, std::string_view b)
{
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto x = static_cast<unsigned char>(a[i]);
        const auto y = static_cast<unsigned char>(b[i]);
        if ((x | 0x20) != (y | 0x20)) {
            return false;
        }
    }
    return true;
}

// A client offering what the request offered: the key and the first subprotocol, if any.
void round_trip(const client_upgrade& up)
{
    std::string_view chosen;
    for (const header& h : up.headers) {
        if (same_name(h.name, "Sec-WebSocket-Protocol") && chosen.empty()) {
            std::string_view first = h.value.substr(0, h.value.find(','));
            while (!first.empty() && (first.back() == ' ' || first.back() == '\t')) {
                first.remove_suffix(1);
            }
            if (up.offers_subprotocol(first)) {
                chosen = first;
            }
        }
    }
    std::array<char, 512> out{};
    auto n = write_switching_protocols(out, up.key, chosen);
    if (!n) {
        // Only a subprotocol that is not a token may be refused.
        if (!n.error().code.is(errc::invalid_subprotocol)) {
            std::abort();
        }
        return;
    }
    const std::string_view offered[] = {chosen};
    client_offer offer;
    offer.key = up.key;
    offer.subprotocols = offered;
    std::array<header, 8> storage{};
    auto v = check_upgrade_response(std::string_view(out.data(), *n), 0, storage, offer);
    if (!v || !v->has_value() || (*v)->head_length != *n || (*v)->subprotocol != chosen) {
        std::abort();
    }
}

outcome parse_prefix(const std::uint8_t* data, std::size_t size, std::size_t prev, const parse_limits& limits)
{
    std::unique_ptr<char[]> copy(new char[size == 0 ? 1 : size]);
    if (size != 0) {
        std::memcpy(copy.get(), data, size);
    }
    std::vector<header> storage(16);
    request_head head;
    auto r = parse_request(std::string_view(copy.get(), size), prev, storage, head, limits);
    outcome o;
    if (!r) {
        o.error = std::string(r.error().name());
        o.error_offset = head.error_offset;
        if (head.error_offset > size) {
            std::abort();
        }
        return o;
    }
    o.complete = r->complete();
    if (o.complete) {
        if (r->head_length == 0 || r->head_length > size) {
            std::abort();
        }
        o.head_length = r->head_length;
        o.minor = head.minor_version;
        o.method = std::string(head.method);
        o.target = std::string(head.target);
        for (const header& h : head.headers) {
            o.fields.emplace_back(std::string(h.name) + '\0' + std::string(h.value));
        }
        auto up = validate_upgrade_request(head);
        if (up) {
            round_trip(*up);
        } else if (up.error().sentence.empty() || (up.error().status != 400 && up.error().status != 426)) {
            std::abort();
        }
    }
    return o;
}

// The writer's output must parse back: any header it accepts comes out of the request parser
// with the same name and the value minus surrounding whitespace.
void write_and_reparse(const std::uint8_t* data, std::size_t size)
{
    const std::size_t name_len = size == 0 ? 0 : std::min<std::size_t>(data[0] % 24, size - 1);
    const std::string_view name(reinterpret_cast<const char*>(data) + 1, size == 0 ? 0 : name_len);
    const std::string_view value(reinterpret_cast<const char*>(data) + 1 + name.size(),
                                 size == 0 ? 0 : size - 1 - name.size());
    const custom_header extra[] = {{name, value, false, false}};
    upgrade_request req;
    req.host = "example.com";
    req.headers = extra;
    std::array<char, 4096> out{};
    const websocket_key key = websocket_key::from_bytes(std::array<std::uint8_t, 16>{});
    auto n = write_upgrade_request(out, req, key);
    if (!n) {
        if (n.error().sentence.empty()) {
            std::abort();
        }
        return;
    }
    std::array<header, 16> storage{};
    request_head head;
    auto r = parse_request(std::string_view(out.data(), *n), 0, storage, head);
    if (!r || !r->complete() || r->head_length != *n || head.headers.empty()) {
        std::abort();
    }
    std::string_view trimmed = value;
    while (!trimmed.empty() && (trimmed.front() == ' ' || trimmed.front() == '\t')) {
        trimmed.remove_prefix(1);
    }
    while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\t')) {
        trimmed.remove_suffix(1);
    }
    const header& last = head.headers.back();
    if (last.name != name || last.value != trimmed) {
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    wsp::fuzz::check_splits_all_limits(&parse_prefix, data, size);
    write_and_reparse(data, size);
    return 0;
}
