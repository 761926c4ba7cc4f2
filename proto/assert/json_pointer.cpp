// RFC 6901 JSON pointer parsing and evaluation over simdjson's DOM, and JSON value equality.
#include "proto/assert/json_pointer.h"

#include "proto/assert/errc.h"

namespace wsp::proto::assertion {

checked<json_pointer> json_pointer::parse(std::string_view text)
{
    json_pointer p;
    p.text_ = std::string(text);
    if (text.empty()) {
        return p;
    }
    // RFC 6901 §3: json-pointer = *( "/" reference-token ).
    if (text.front() != '/') {
        return tl::unexpected(
            problem{errc::bad_json_pointer,
                    "the JSON pointer " + preview(text) + " must be empty or start with '/' (RFC 6901)"});
    }
    std::string token;
    for (std::size_t i = 1; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == '/') {
            p.tokens_.push_back(std::move(token));
            token.clear();
            continue;
        }
        if (text[i] != '~') {
            token.push_back(text[i]);
            continue;
        }
        // RFC 6901 §3: '~' is only valid as ~0 ('~') or ~1 ('/').
        if (i + 1 < text.size() && (text[i + 1] == '0' || text[i + 1] == '1')) {
            token.push_back(text[i + 1] == '0' ? '~' : '/');
            ++i;
            continue;
        }
        return tl::unexpected(
            problem{errc::bad_json_pointer,
                    "the JSON pointer " + preview(text) + " has a '~' not followed by 0 or 1 (RFC 6901 §3)"});
    }
    return p;
}

simdjson::simdjson_result<simdjson::dom::element>
json_pointer::resolve(simdjson::dom::element root) const noexcept
{
    simdjson::dom::element cur = root;
    for (const std::string& token : tokens_) {
        simdjson::dom::object obj;
        simdjson::dom::array arr;
        if (cur.get(obj) == simdjson::SUCCESS) {
            if (obj.at_key(token).get(cur) != simdjson::SUCCESS) {
                return simdjson::NO_SUCH_FIELD;
            }
            continue;
        }
        if (cur.get(arr) != simdjson::SUCCESS) {
            return simdjson::INCORRECT_TYPE;
        }
        // RFC 6901 §4: array-index = "0" / ( %x31-39 *DIGIT ).
        if (token.empty() || token.size() > 10 || (token.size() > 1 && token.front() == '0')) {
            return simdjson::INDEX_OUT_OF_BOUNDS;
        }
        std::size_t index = 0;
        for (char c : token) {
            if (c < '0' || c > '9') {
                return simdjson::INDEX_OUT_OF_BOUNDS;
            }
            index = index * 10 + static_cast<std::size_t>(c - '0');
        }
        if (arr.at(index).get(cur) != simdjson::SUCCESS) {
            return simdjson::INDEX_OUT_OF_BOUNDS;
        }
    }
    return cur;
}

bool json_equal(simdjson::dom::element a, simdjson::dom::element b) noexcept
{
    using simdjson::dom::element_type;
    const element_type ta = a.type();
    const element_type tb = b.type();
    const auto is_number = [](element_type t) {
        return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE;
    };
    if (is_number(ta) && is_number(tb)) {
        if (ta == element_type::DOUBLE || tb == element_type::DOUBLE) {
            return a.get_double().value_unsafe() == b.get_double().value_unsafe();
        }
        if (ta == tb) {
            return ta == element_type::INT64 ? a.get_int64().value_unsafe() == b.get_int64().value_unsafe()
                                             : a.get_uint64().value_unsafe() == b.get_uint64().value_unsafe();
        }
        return false; // simdjson stores as UINT64 only values above INT64_MAX, so they differ
    }
    if (ta != tb) {
        return false;
    }
    switch (ta) {
    case element_type::STRING:
        return a.get_string().value_unsafe() == b.get_string().value_unsafe();
    case element_type::BOOL:
        return a.get_bool().value_unsafe() == b.get_bool().value_unsafe();
    case element_type::NULL_VALUE:
        return true;
    case element_type::ARRAY: {
        const simdjson::dom::array x = a.get_array().value_unsafe();
        const simdjson::dom::array y = b.get_array().value_unsafe();
        if (x.size() != y.size()) {
            return false;
        }
        auto j = y.begin();
        for (simdjson::dom::element e : x) {
            if (!json_equal(e, *j)) {
                return false;
            }
            ++j;
        }
        return true;
    }
    case element_type::OBJECT: {
        const simdjson::dom::object x = a.get_object().value_unsafe();
        const simdjson::dom::object y = b.get_object().value_unsafe();
        if (x.size() != y.size()) {
            return false;
        }
        for (const simdjson::dom::key_value_pair kv : x) {
            simdjson::dom::element other;
            if (y.at_key(kv.key).get(other) != simdjson::SUCCESS || !json_equal(kv.value, other)) {
                return false;
            }
        }
        return true;
    }
    default:
        return false;
    }
}

} // namespace wsp::proto::assertion
