// Client-side validation of the server's upgrade response (RFC 6455 §4.1, client requirements
// 1 to 6; §4.2.2 for Sec-WebSocket-Accept), each failure with its own code and a sentence.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "http1/error.h"
#include "http1/parser.h"

namespace wsp::http1 {

// What the client sent, needed to judge the answer. Views must outlive the validation call only.
struct client_offer {
    std::string_view key;                           // the Sec-WebSocket-Key sent
    std::span<const std::string_view> subprotocols; // offered, in order
    std::span<const std::string_view> extensions;   // offered Sec-WebSocket-Extensions values
    std::string_view expect_subprotocol;            // asserted (case-sensitive); empty: none
    bool require_subprotocol = false;               // fail when the server selects none
};

// One negotiated extension: its name and the parameters after the first ';', trimmed.
struct extension {
    std::string_view name;
    std::string_view params;
};

inline constexpr std::size_t max_extensions = 8;

// What a valid 101 negotiated. Views point into the response bytes the head was parsed from.
struct negotiated {
    std::size_t head_length = 0; // bytes past this in the input are WebSocket frame data
    int minor_version = 1;
    std::string_view subprotocol; // empty when none was selected
    std::array<extension, max_extensions> extension_storage{};
    std::size_t extension_count = 0;

    [[nodiscard]] std::span<const extension> extensions() const noexcept
    {
        return std::span<const extension>(extension_storage).first(extension_count);
    }
};

// Validates a parsed response head against the offer, in RFC 6455 §4.1 order: status 101,
// Upgrade contains the token websocket, Connection contains the token upgrade (header names and
// tokens case-insensitive, comma lists over repeated headers), Sec-WebSocket-Accept present once
// and equal to compute_accept(offer.key), every extension offered, at most one subprotocol, which
// was offered, is present when required, and equals the asserted one. On success nothing is
// allocated; a failure carries a sentence such as "Server returned 200; expected 101 Switching
// Protocols". Errors: unexpected_status, redirect_not_followed, unauthorized, forbidden,
// too_many_requests, server_error, missing_upgrade_header, bad_upgrade_token,
// missing_connection_header, bad_connection_token, missing_accept, multiple_accept_headers,
// accept_mismatch, malformed_extension, extension_not_offered, too_many_extensions,
// multiple_subprotocols, subprotocol_missing, subprotocol_not_offered, subprotocol_mismatch.
[[nodiscard]] result<negotiated> validate_upgrade_response(const response_head& head, std::size_t head_length,
                                                           const client_offer& offer);

// A sentence for a parse error from parse_response at `error_offset` of `buf`, quoting the line
// at fault, e.g. "Malformed HTTP response: header line 3 has whitespace before the colon".
[[nodiscard]] failure describe_parse_error(const wsp::error& code, std::string_view buf,
                                           std::size_t error_offset);

// Parse and validate in one step: nullopt while the head is incomplete (call again with more
// bytes and prev_len), the negotiation when the 101 is valid, or a failure with its sentence.
[[nodiscard]] result<std::optional<negotiated>>
check_upgrade_response(std::string_view buf, std::size_t prev_len, std::span<header> storage,
                       const client_offer& offer, const parse_limits& limits = {});

} // namespace wsp::http1
