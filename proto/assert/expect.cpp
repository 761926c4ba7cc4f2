// --send value parsing and reply matching (contains, ECMAScript regex, RFC 6901 pointer equality
// over simdjson, exact equality); the assertion error domain.
#include "proto/assert/expect.h"

#include <cstring>
#include <mutex>

#include "proto/json_writer.h"
#include "proto/hex.h"

namespace wsp::proto::assertion {
namespace {

using wsp::errc_info;

errc_info info(errc e) noexcept
{
    using fc = wsp::failure_class;
    switch (e) {
    case errc::ok:
        return {"ok", fc::none, "ok"};
    case errc::bad_send:
        return {"bad_send", fc::config, "the --send value is not usable"};
    case errc::send_file_unreadable:
        return {"send_file_unreadable", fc::config, "the @file could not be read"};
    case errc::bad_hex:
        return {"bad_hex", fc::config, "the hex: value is not pairs of hex digits"};
    case errc::send_not_utf8:
        return {"send_not_utf8", fc::config, "a text message must be UTF-8; use --binary"};
    case errc::bad_regex:
        return {"bad_regex", fc::config, "the regular expression does not compile"};
    case errc::bad_json_pointer:
        return {"bad_json_pointer", fc::config, "the JSON pointer is not valid RFC 6901"};
    case errc::bad_script:
        return {"bad_script", fc::config, "the script file has the wrong shape"};
    case errc::bad_close_codes:
        return {"bad_close_codes", fc::config, "the close code list is not valid"};
    case errc::reply_missing_text:
        return {"reply_missing_text", fc::protocol, "the reply lacks the expected text"};
    case errc::reply_regex_mismatch:
        return {"reply_regex_mismatch", fc::protocol, "the reply does not match the expected pattern"};
    case errc::reply_not_equal:
        return {"reply_not_equal", fc::protocol, "the reply differs from the expected one"};
    case errc::reply_not_json:
        return {"reply_not_json", fc::protocol, "the reply is not JSON"};
    case errc::json_pointer_not_found:
        return {"json_pointer_not_found", fc::protocol, "the reply has no value at the JSON pointer"};
    case errc::json_value_mismatch:
        return {"json_value_mismatch", fc::protocol, "the reply's value at the JSON pointer differs"};
    case errc::reply_too_large:
        return {"reply_too_large", fc::limit, "the reply is too large to assert on"};
    case errc::regex_too_complex:
        return {"regex_too_complex", fc::limit, "the regular expression is too complex for this reply"};
    case errc::unexpected_close_code:
        return {"unexpected_close_code", fc::protocol, "the server closed with an unexpected code"};
    case errc::no_close_frame:
        return {"no_close_frame", fc::protocol, "no close frame was received"};
    }
    return {"unknown", fc::internal, "unknown error"};
}

constexpr wsp::error_domain assertion_domain = wsp::domain_from_table<errc, &info>("assert");

constexpr std::size_t default_max_json = std::size_t{1} << 20;
// libstdc++'s std::regex matcher recurses about once per character a repetition consumes (some
// hundreds of bytes of stack each, more under ASan): `(a|b)*c` over 12 KiB of input exhausts an
// 8 MiB stack at -O2 and about 7 KiB does under ASan. Replies over this bound are refused.
constexpr std::size_t default_max_regex = std::size_t{4} << 10;

checked<std::string> decode_hex(std::string_view hex)
{
    std::string out;
    int high = -1;
    for (char c : hex) {
        if (c == ' ' || c == ':') {
            continue;
        }
        const int v = hex_value(c);
        if (v < 0) {
            return tl::unexpected(
                problem{errc::bad_hex, "hex: value has a character that is not a hex digit: " +
                                           preview(std::string_view(&c, 1))});
        }
        if (high < 0) {
            high = v;
        } else {
            out.push_back(static_cast<char>((high << 4) | v));
            high = -1;
        }
    }
    if (high >= 0) {
        return tl::unexpected(problem{errc::bad_hex, "hex: value has an odd number of hex digits"});
    }
    return out;
}

// glibc's memmem (two-way search) beats string_view::find's memchr-then-compare loop on replies
// where the needle's first byte is common, as '"' is in JSON.
bool contains_bytes(std::string_view hay, std::string_view needle) noexcept
{
    return needle.empty() || ::memmem(hay.data(), hay.size(), needle.data(), needle.size()) != nullptr;
}

verdict pass()
{
    return {};
}
verdict fail_with(errc e, std::string sentence)
{
    return {e, std::move(sentence)};
}

std::string reply_preview(bool binary, std::string_view reply)
{
    return (binary ? "binary reply " : "reply ") + preview(reply);
}

} // namespace

const wsp::error_domain& domain_of(errc) noexcept
{
    return assertion_domain;
}

checked<message> parse_send(std::string_view value, bool binary, const file_reader& read)
{
    message m;
    m.binary = binary;
    if (value.starts_with("hex:")) {
        auto bytes = decode_hex(value.substr(4));
        if (!bytes) {
            return tl::unexpected(std::move(bytes.error()));
        }
        m.binary = true;
        m.bytes = std::move(*bytes);
        return m;
    }
    if (value.starts_with("@@")) {
        m.bytes = std::string(value.substr(1));
    } else if (value.starts_with("@")) {
        const std::string_view path = value.substr(1);
        if (path.empty() || !read) {
            return tl::unexpected(problem{errc::bad_send, "--send @file needs a file path"});
        }
        auto content = read(path);
        if (!content) {
            return tl::unexpected(
                problem{errc::send_file_unreadable,
                        "cannot read --send file " + preview(path) + ": " + content.error()});
        }
        m.bytes = std::move(*content);
    } else {
        m.bytes = std::string(value);
    }
    // RFC 6455 §5.6: text frames carry UTF-8.
    if (!m.binary && !simdjson::validate_utf8(m.bytes)) {
        return tl::unexpected(
            problem{errc::send_not_utf8,
                    "the --send text is not UTF-8 (" + preview(m.bytes, 40) + "); use --binary or hex:"});
    }
    return m;
}

struct expectation::json_state {
    json_pointer pointer;
    bool presence_only = false;
    json_reader expected_reader;
    simdjson::dom::element expected;
    std::string expected_text; // compact JSON of the expected value
    std::mutex lock;           // guards reply_reader between copies of one expectation
    json_reader reply_reader;
};

checked<expectation> expectation::contains(std::string_view needle)
{
    expectation e;
    e.kind_ = expect_kind::contains;
    e.text_ = std::string(needle);
    return e;
}

checked<expectation> expectation::equals(std::string_view exact)
{
    expectation e;
    e.kind_ = expect_kind::equals;
    e.text_ = std::string(exact);
    return e;
}

checked<expectation> expectation::regex(std::string_view pattern)
{
    expectation e;
    e.kind_ = expect_kind::regex;
    e.text_ = std::string(pattern);
    e.max_input_ = default_max_regex;
    // std::regex reports a bad pattern by throwing; this is configuration, turned into a problem.
    try {
        e.regex_ = std::make_shared<const std::regex>(e.text_, std::regex::ECMAScript);
    } catch (const std::regex_error& err) {
        return tl::unexpected(
            problem{errc::bad_regex, "--expect-regex " + preview(pattern) +
                                         " is not a valid ECMAScript regular expression: " + err.what()});
    }
    return e;
}

checked<expectation> expectation::json(std::string_view spec)
{
    expectation e;
    e.kind_ = expect_kind::json;
    e.text_ = std::string(spec);
    e.max_input_ = default_max_json;
    const std::size_t eq = spec.find('=');
    auto pointer = json_pointer::parse(spec.substr(0, eq));
    if (!pointer) {
        return tl::unexpected(std::move(pointer.error()));
    }
    auto state = std::make_shared<json_state>();
    state->pointer = std::move(*pointer);
    if (eq == std::string_view::npos) {
        state->presence_only = true;
    } else {
        const std::string_view value = spec.substr(eq + 1);
        if (state->expected_reader.parse(value).get(state->expected) != simdjson::SUCCESS) {
            // Not JSON: a bare word compared as a string. Re-parse it as a JSON string literal.
            std::string quoted;
            json_writer(quoted).value(value);
            if (state->expected_reader.parse(quoted).get(state->expected) != simdjson::SUCCESS) {
                return tl::unexpected(
                    problem{errc::bad_json_pointer,
                            "--expect-json value " + preview(value) + " is neither JSON nor a plain word"});
            }
        }
        state->expected_text = simdjson::minify(state->expected);
    }
    e.json_ = std::move(state);
    return e;
}

std::string expectation::describe() const
{
    switch (kind_) {
    case expect_kind::contains:
        return "--expect-contains " + preview(text_);
    case expect_kind::regex:
        return "--expect-regex " + preview(text_);
    case expect_kind::equals:
        return "--expect-equals " + preview(text_);
    case expect_kind::json:
        if (json_->presence_only) {
            return "--expect-json " + preview(json_->pointer.text());
        }
        return "--expect-json " + preview(json_->pointer.text() + "=" + json_->expected_text);
    }
    return {};
}

verdict expectation::match(bool binary, std::string_view reply) const
{
    switch (kind_) {
    case expect_kind::contains:
        if (contains_bytes(reply, text_)) {
            return pass();
        }
        return fail_with(errc::reply_missing_text, "Expected the reply to contain " + preview(text_) +
                                                       "; got " + reply_preview(binary, reply));
    case expect_kind::equals:
        if (reply == text_) {
            return pass();
        }
        return fail_with(errc::reply_not_equal, "Expected the reply to equal " + preview(text_) + "; got " +
                                                    reply_preview(binary, reply));
    case expect_kind::regex: {
        if (reply.size() > max_input_) {
            return fail_with(errc::reply_too_large,
                             "The " + std::to_string(reply.size()) + "-byte reply is over the " +
                                 std::to_string(max_input_) + "-byte bound for --expect-regex");
        }
        bool found = false;
        // libstdc++'s matcher throws error_complexity / error_stack on pathological input; that
        // is turned into a verdict, never propagated.
        try {
            found = std::regex_search(reply.begin(), reply.end(), *regex_);
        } catch (const std::regex_error&) {
            return fail_with(errc::regex_too_complex,
                             "--expect-regex " + preview(text_) + " was too complex to run on the reply");
        }
        if (found) {
            return pass();
        }
        return fail_with(errc::reply_regex_mismatch,
                         "Expected the reply to match /" + text_ + "/; got " + reply_preview(binary, reply));
    }
    case expect_kind::json:
        break;
    }
    if (reply.size() > max_input_) {
        return fail_with(errc::reply_too_large, "The " + std::to_string(reply.size()) +
                                                    "-byte reply is over the " + std::to_string(max_input_) +
                                                    "-byte bound for --expect-json");
    }
    std::lock_guard<std::mutex> guard(json_->lock);
    simdjson::dom::element root;
    if (json_->reply_reader.parse(reply).get(root) != simdjson::SUCCESS) {
        return fail_with(errc::reply_not_json,
                         "Expected a JSON reply for " + describe() + "; got " + reply_preview(binary, reply));
    }
    simdjson::dom::element found;
    if (json_->pointer.resolve(root).get(found) != simdjson::SUCCESS) {
        return fail_with(errc::json_pointer_not_found, "The reply has no value at JSON pointer " +
                                                           preview(json_->pointer.text()) + "; got " +
                                                           reply_preview(binary, reply));
    }
    if (json_->presence_only || json_equal(found, json_->expected)) {
        return pass();
    }
    return fail_with(errc::json_value_mismatch, "The reply has " + preview(simdjson::minify(found)) +
                                                    " at JSON pointer " + preview(json_->pointer.text()) +
                                                    ", expected " + preview(json_->expected_text) + "; got " +
                                                    reply_preview(binary, reply));
}

} // namespace wsp::proto::assertion
