// Builds the client TLS context a run uses for wss:// checks from the spec's TLS options.
#pragma once

#include <string>

#include <tl/expected.hpp>

#include "proto/check_spec.h"
#include "tls/context.h"

namespace wsp::cli {

// One context per run (shared by every check). The error is a sentence for the user (exit 3).
// `ciphersuites` (TLS 1.3 names, colon-separated) is for benchmarks that pin the cipher.
[[nodiscard]] tl::expected<tls::context, std::string> make_client_tls_context(const proto::tls_options& t,
                                                                            const std::string& ciphersuites = {});

} // namespace wsp::cli
