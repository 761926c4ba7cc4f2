// `wsprobe load URL [options]`: open-loop load against a WebSocket endpoint, every connection
// validated as `wsprobe check` validates it (RFC 6455 §4.1), held, and measured.
#pragma once

#include <span>
#include <string_view>

namespace wsp::cli {

// Exit codes of `wsprobe load`.
inline constexpr int load_exit_ok = 0;      // every connection succeeded, was held to the end and
                                            // closed cleanly (and an --slo search found a level)
inline constexpr int load_exit_partial = 1; // some connections failed, were dropped or did not
                                            // finish the close handshake, or the run was
                                            // interrupted, or no --slo level held
inline constexpr int load_exit_none = 2;    // no connection succeeded
inline constexpr int load_exit_usage = 3;   // bad flags, or the engine could not start

// args: the arguments after `load`. Prints the summary (text or --json) on stdout, the live
// progress line on stderr (a terminal, or --progress), writes --report FILE. Returns the exit code.
[[nodiscard]] int run_load_command(std::span<const std::string_view> args);

} // namespace wsp::cli
