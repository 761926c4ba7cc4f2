#include "engine/fleet/errc.h"

namespace wsp::fleet {
namespace {

std::string_view name(std::uint16_t c) noexcept
{
    switch (static_cast<errc>(c)) {
    case errc::ok:
        return "ok";
    case errc::bad_json:
        return "bad_json";
    case errc::unknown_field:
        return "unknown_field";
    case errc::bad_field:
        return "bad_field";
    case errc::missing_field:
        return "missing_field";
    case errc::duplicate_id:
        return "duplicate_id";
    case errc::unknown_module:
        return "unknown_module";
    case errc::bad_duration:
        return "bad_duration";
    case errc::bad_url:
        return "bad_url";
    case errc::secret_unavailable:
        return "secret_unavailable";
    case errc::bad_secret_format:
        return "bad_secret_format";
    case errc::secret_tampered:
        return "secret_tampered";
    case errc::bad_master_key:
        return "bad_master_key";
    case errc::no_master_key:
        return "no_master_key";
    case errc::crypto_failure:
        return "crypto_failure";
    case errc::bad_cidr:
        return "bad_cidr";
    case errc::bad_shard:
        return "bad_shard";
    case errc::address_blocked:
        return "address_blocked";
    }
    return "unknown";
}

wsp::failure_class classify(std::uint16_t c) noexcept
{
    using fc = wsp::failure_class;
    switch (static_cast<errc>(c)) {
    case errc::ok:
        return fc::none;
    case errc::crypto_failure:
        return fc::internal;
    case errc::address_blocked:
        return fc::blocked;
    default:
        return fc::config;
    }
}

std::string_view describe(std::uint16_t c) noexcept
{
    switch (static_cast<errc>(c)) {
    case errc::ok:
        return "ok";
    case errc::bad_json:
        return "not valid JSON";
    case errc::unknown_field:
        return "unknown field";
    case errc::bad_field:
        return "invalid value";
    case errc::missing_field:
        return "required field missing";
    case errc::duplicate_id:
        return "duplicate check id";
    case errc::unknown_module:
        return "unknown module";
    case errc::bad_duration:
        return "not a duration";
    case errc::bad_url:
        return "not a ws:// or wss:// URL";
    case errc::secret_unavailable:
        return "secret source unavailable";
    case errc::bad_secret_format:
        return "malformed encrypted value";
    case errc::secret_tampered:
        return "encrypted value failed authentication";
    case errc::bad_master_key:
        return "master key is not 32 bytes in base64 or hex";
    case errc::no_master_key:
        return "no master key for an encrypted value";
    case errc::crypto_failure:
        return "cryptographic operation failed";
    case errc::bad_cidr:
        return "not an address or CIDR block";
    case errc::bad_shard:
        return "not a shard K/N";
    case errc::address_blocked:
        return "address refused by the SSRF guard";
    }
    return "unknown error";
}

constexpr wsp::error_domain fleet_domain{"fleet", &name, &classify, &describe};

} // namespace

const wsp::error_domain& domain_of(errc) noexcept
{
    return fleet_domain;
}

} // namespace wsp::fleet
