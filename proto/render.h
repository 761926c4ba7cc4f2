// Renders a check_result for people (one line per phase and a verdict line) and for machines
// (one JSON object with stable field names, documented in docs/json-result.md).
#pragma once

#include <string>

#include "proto/check_result.h"
#include "proto/json_writer.h"

namespace wsp::proto {

struct text_style {
    bool color = false; // ANSI colours: the CLI enables them only on a terminal
};

[[nodiscard]] std::string render_text(const check_result& r, text_style style = {});
[[nodiscard]] std::string render_json(const check_result& r);
// Writes the object render_json prints as one value into `w` (to nest a result in a larger one).
void write_json(json_writer& w, const check_result& r);

} // namespace wsp::proto
