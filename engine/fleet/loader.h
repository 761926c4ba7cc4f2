// Loading a configuration file for `wsprobe run` / `serve`: parse and validate it whole, keep the
// checks this shard owns, give each wss:// check (and each /probe module) its TLS context, and
// reuse the prepared form of checks that did not change since the previous load.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/fleet/config.h"
#include "engine/fleet/runner.h"
#include "engine/fleet/shard.h"

namespace wsp::fleet {

// Builds a client TLS context for a check's TLS options; the error is a sentence for the user.
using tls_factory =
    std::function<tl::expected<std::shared_ptr<const tls::context>, std::string>(const proto::tls_options&)>;

struct load_request {
    std::string path;   // named in every problem
    shard_spec shard{}; // keep only the checks this instance owns
    const secret_sources* sources = nullptr;
    const master_key* key = nullptr;                  // null: no master key configured
    tls_factory make_tls;                             // required
    bool checks_required = true;                      // false for `serve`: a file of modules only is fine
    const std::vector<check_ptr>* previous = nullptr; // the running set, for reuse
};

struct loaded_fleet {
    std::vector<check_ptr> checks; // owned by this shard, in file order
    std::size_t total = 0;         // checks in the file, every shard
    std::shared_ptr<const prepared_modules> modules;
    config_diff diff; // against `previous` (all added when there was none)
};

// Reads and validates the file. Errors are the text to print: every problem, one per line, each
// naming the file, the check or module and the field; never a secret. Blocking (file reads): call
// from the control thread, not a reactor.
[[nodiscard]] tl::expected<loaded_fleet, std::string> load_fleet(const load_request& req);

} // namespace wsp::fleet
