// Script files for multi-step exchanges, validated field by field with simdjson (RFC 8259).
#include "proto/assert/script.h"

namespace wsp::proto::assertion {
namespace {

tl::unexpected<problem> at(std::size_t index, std::string_view field, problem p)
{
    const std::string where = field.empty() ? "" : ", field \"" + std::string(field) + "\"";
    p.sentence = "script step " + std::to_string(index) + where + ": " + p.sentence;
    return tl::unexpected(std::move(p));
}

tl::unexpected<problem> at(std::size_t index, std::string_view field, std::string sentence)
{
    return at(index, field, problem{errc::bad_script, std::move(sentence)});
}

checked<expectation> make_expectation(std::string_view kind, std::string_view value)
{
    if (kind == "contains") {
        return expectation::contains(value);
    }
    if (kind == "regex") {
        return expectation::regex(value);
    }
    if (kind == "json") {
        return expectation::json(value);
    }
    return expectation::equals(value);
}

// "expect": {"contains": "x" | ["x", "y"], "regex": ..., "json": ..., "equals": ...}
checked<std::vector<expectation>> parse_expect(std::size_t index, simdjson::dom::element e)
{
    simdjson::dom::object obj;
    if (e.get(obj) != simdjson::SUCCESS) {
        return at(index, "expect", "must be an object with contains, regex, json or equals");
    }
    std::vector<expectation> out;
    for (const simdjson::dom::key_value_pair kv : obj) {
        const std::string field = "expect." + std::string(kv.key);
        if (kv.key != "contains" && kv.key != "regex" && kv.key != "json" && kv.key != "equals") {
            return at(index, field, "unknown expectation; use contains, regex, json or equals");
        }
        std::vector<std::string_view> values;
        std::string_view one;
        simdjson::dom::array many;
        if (kv.value.get(one) == simdjson::SUCCESS) {
            values.push_back(one);
        } else if (kv.value.get(many) == simdjson::SUCCESS) {
            for (simdjson::dom::element v : many) {
                if (v.get(one) != simdjson::SUCCESS) {
                    return at(index, field, "array items must be strings");
                }
                values.push_back(one);
            }
        } else {
            return at(index, field, "must be a string or an array of strings");
        }
        for (std::string_view v : values) {
            auto x = make_expectation(kv.key, v);
            if (!x) {
                return at(index, field, std::move(x.error()));
            }
            out.push_back(std::move(*x));
        }
    }
    return out;
}

checked<script_step> parse_step(std::size_t index, simdjson::dom::element e, const file_reader& read)
{
    simdjson::dom::object obj;
    if (e.get(obj) != simdjson::SUCCESS) {
        return at(index, "", "each step must be a JSON object");
    }
    bool binary = false;
    std::optional<std::string_view> send;
    script_step step;
    for (const simdjson::dom::key_value_pair kv : obj) {
        if (kv.key == "send") {
            std::string_view s;
            if (kv.value.get(s) != simdjson::SUCCESS) {
                return at(index, "send", "must be a string");
            }
            send = s;
        } else if (kv.key == "binary") {
            if (kv.value.get(binary) != simdjson::SUCCESS) {
                return at(index, "binary", "must be true or false");
            }
        } else if (kv.key == "expect") {
            auto x = parse_expect(index, kv.value);
            if (!x) {
                return tl::unexpected(std::move(x.error()));
            }
            step.expect = std::move(*x);
        } else {
            return at(index, kv.key, "unknown field; a step has send, binary and expect");
        }
    }
    if (send) {
        auto m = parse_send(*send, binary, read);
        if (!m) {
            return at(index, "send", std::move(m.error()));
        }
        step.send = std::move(*m);
    }
    if (!step.send && step.expect.empty()) {
        return at(index, "", "a step needs send, expect or both");
    }
    return step;
}

} // namespace

checked<std::vector<script_step>> parse_script(std::string_view json_text, const file_reader& read)
{
    json_reader reader;
    simdjson::dom::element root;
    if (reader.parse(json_text).get(root) != simdjson::SUCCESS) {
        return tl::unexpected(
            problem{errc::bad_script, "the script file is not JSON: " + preview(json_text)});
    }
    simdjson::dom::array steps;
    if (root["steps"].get(steps) != simdjson::SUCCESS) {
        return tl::unexpected(
            problem{errc::bad_script, "the script must be an object with a \"steps\" array"});
    }
    simdjson::dom::object top = root.get_object().value_unsafe();
    for (const simdjson::dom::key_value_pair kv : top) {
        if (kv.key != "steps") {
            return tl::unexpected(problem{errc::bad_script, "the script has an unknown top-level field " +
                                                                preview(kv.key) +
                                                                "; only \"steps\" is allowed"});
        }
    }
    if (steps.size() == 0) {
        return tl::unexpected(problem{errc::bad_script, "the script's \"steps\" array is empty"});
    }
    std::vector<script_step> out;
    std::size_t index = 0;
    for (simdjson::dom::element e : steps) {
        auto step = parse_step(index, e, read);
        if (!step) {
            return tl::unexpected(std::move(step.error()));
        }
        out.push_back(std::move(*step));
        ++index;
    }
    return out;
}

} // namespace wsp::proto::assertion
