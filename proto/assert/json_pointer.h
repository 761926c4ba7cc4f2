// RFC 6901 JSON pointers, parsed once ("/a~1b/0" -> tokens "a/b", "0") and resolved against a
// simdjson DOM element.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "proto/assert/support.h"

namespace wsp::proto::assertion {

class json_pointer {
public:
    // "" is the whole document; otherwise each token follows a '/', with ~0 for '~' and ~1 for '/'.
    // Any other '~' escape is a bad_json_pointer problem. Allocates the tokens.
    [[nodiscard]] static checked<json_pointer> parse(std::string_view text);

    [[nodiscard]] const std::string& text() const noexcept { return text_; }
    [[nodiscard]] const std::vector<std::string>& tokens() const noexcept { return tokens_; }

    // The element the pointer names, or NO_SUCH_FIELD / INDEX_OUT_OF_BOUNDS / INCORRECT_TYPE when
    // the document has no such value. RFC 6901 §4: array indexes are "0" or digits without a
    // leading zero; "-" names no element. Allocation-free.
    [[nodiscard]] simdjson::simdjson_result<simdjson::dom::element>
    resolve(simdjson::dom::element root) const noexcept;

private:
    std::string text_;
    std::vector<std::string> tokens_;
};

// Structural equality of two JSON values: objects by key set (any order), arrays in order,
// numbers by value (1 == 1.0), strings by their unescaped bytes.
[[nodiscard]] bool json_equal(simdjson::dom::element a, simdjson::dom::element b) noexcept;

} // namespace wsp::proto::assertion
