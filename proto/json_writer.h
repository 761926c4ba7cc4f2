// A small streaming JSON writer (RFC 8259) appending to a std::string: objects, arrays, strings
// with full escaping (control characters, quotes, backslash; invalid UTF-8 replaced by U+FFFD so
// output is always valid JSON), integers, doubles, booleans, null.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wsp::proto {

class json_writer {
public:
    explicit json_writer(std::string& out) : out_(out) {}

    json_writer& begin_object();
    json_writer& end_object();
    json_writer& begin_array();
    json_writer& end_array();
    json_writer& key(std::string_view k);
    json_writer& value(std::string_view s);
    json_writer& value(const char* s) { return value(std::string_view(s)); }
    json_writer& value(std::int64_t v);
    json_writer& value(std::uint64_t v);
    json_writer& value(int v) { return value(static_cast<std::int64_t>(v)); }
    json_writer& value(unsigned v) { return value(static_cast<std::uint64_t>(v)); }
    json_writer& value(double v);
    json_writer& value(bool v);
    json_writer& null();

private:
    void separate();
    void write_string(std::string_view s);

    std::string& out_;
    bool need_comma_ = false;
};

} // namespace wsp::proto
