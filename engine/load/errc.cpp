// The load module's error table: stable names (JSON), failure classes and short descriptions.
#include "engine/load/errc.h"

namespace wsp::load {
namespace {

wsp::errc_info info(errc e) noexcept
{
    using fc = wsp::failure_class;
    switch (e) {
    case errc::ok:
        return {"ok", fc::none, "ok"};
    case errc::precision_mismatch:
        return {"precision_mismatch", fc::config, "histograms of different precision cannot be merged"};
    case errc::bad_histogram:
        return {"bad_histogram", fc::config, "not a histogram in the hist1 text form"};
    case errc::bad_slo:
        return {"bad_slo", fc::config, "not an SLO such as upgrade_p99<250ms"};
    case errc::bad_config:
        return {"bad_config", fc::config, "load options the engine cannot meet"};
    }
    return {"unknown", fc::internal, "unknown error"};
}

constexpr wsp::error_domain load_domain = wsp::domain_from_table<errc, &info>("load");

} // namespace

const wsp::error_domain& domain_of(errc) noexcept
{
    return load_domain;
}

} // namespace wsp::load
