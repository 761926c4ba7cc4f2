// Multi-step exchanges from a JSON script file:
// {"steps":[{"send":"...","binary":false,"expect":{"contains":"...","json":"/a=1"}}, ...]}
// Each step sends (optional) then expects (optional); at least one of the two. Parsed with simdjson.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "proto/assert/expect.h"

namespace wsp::proto::assertion {

struct script_step {
    std::optional<message> send;     // "send" uses the --send syntax (hex:, @file, @@)
    std::vector<expectation> expect; // all must match the next reply
};

// Problems (bad_script, or the field's own code such as bad_regex) name the step index and field:
// "step 2, field \"expect.regex\": ...". Unknown fields are errors, so typos do not pass silently.
[[nodiscard]] checked<std::vector<script_step>> parse_script(std::string_view json_text,
                                                             const file_reader& read);

} // namespace wsp::proto::assertion
