// Custom exchanges: --send values (text, binary with --binary, hex:..., @file) and the reply
// expectations --expect-contains, --expect-regex, --expect-json POINTER=VALUE (RFC 6901 pointer,
// simdjson) and --expect-equals. Parsing is configuration (may allocate, reports problems);
// matching runs per reply and never throws.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <string_view>

#include "proto/assert/errc.h"
#include "proto/assert/json_pointer.h"
#include "proto/assert/support.h"

namespace wsp::proto::assertion {

// A message to send: RFC 6455 §5.6 text (UTF-8) or binary.
struct message {
    bool binary = false;
    std::string bytes;
};

// Reads a whole file for @path values; the error string says why (e.g. strerror). Injected so
// tests and the lab need no file system; the CLI passes a real reader.
using file_reader = std::function<tl::expected<std::string, std::string>(std::string_view path)>;

// Parses a --send value: "hex:48 65" (binary, spaces allowed), "@path" (file contents; "@@x" sends
// the literal "@x"), otherwise the text itself. `binary` (--binary) sends text or file contents as a
// binary message; text messages must be UTF-8.
[[nodiscard]] checked<message> parse_send(std::string_view value, bool binary, const file_reader& read);

// The outcome of one match: ok, or a stable code and a sentence quoting a preview of the reply.
struct verdict {
    wsp::error error;
    std::string sentence;
    [[nodiscard]] bool ok() const noexcept { return !error; }
};

enum class expect_kind : std::uint8_t { contains = 0, regex = 1, json = 2, equals = 3 };

// One reply expectation, built once from its flag value and matched against each reply. Matching
// JSON reuses an internal simdjson parser, so one expectation must not be matched from two threads
// at once; copies share the compiled regex and the parsed expected value.
class expectation {
public:
    [[nodiscard]] static checked<expectation> contains(std::string_view needle);
    [[nodiscard]] static checked<expectation> equals(std::string_view exact);
    // ECMAScript syntax, compiled now; a bad pattern is a bad_regex problem.
    [[nodiscard]] static checked<expectation> regex(std::string_view pattern);
    // "POINTER=VALUE": the pointer up to the first '='; VALUE is JSON ("ok" quoted, 1, true, null,
    // {...}) or else a bare word compared as a string. Without '=', the value only has to exist.
    [[nodiscard]] static checked<expectation> json(std::string_view spec);

    [[nodiscard]] expect_kind kind() const noexcept { return kind_; }
    // The flag as a person would write it: "--expect-json /status=\"ok\"".
    [[nodiscard]] std::string describe() const;

    // Regex and JSON expectations refuse replies over this many bytes (reply_too_large) rather
    // than run on them. Default 1 MiB for JSON; 4 KiB for regex, because std::regex's stack use
    // grows with the input (raise it only on threads with large stacks).
    void set_max_input(std::size_t bytes) noexcept { max_input_ = bytes; }

    [[nodiscard]] verdict match(bool binary, std::string_view reply) const;

private:
    struct json_state;

    expect_kind kind_ = expect_kind::contains;
    std::string text_; // needle, exact bytes, pattern, or the JSON spec as given
    std::size_t max_input_ = 0;
    std::shared_ptr<const std::regex> regex_;
    std::shared_ptr<json_state> json_;
};

} // namespace wsp::proto::assertion
