// Names of the failure classes; these strings are part of the JSON and metrics contract.
#include "proto/error.h"

namespace wsp {

std::string_view to_string(failure_class c) noexcept
{
    switch (c) {
    case failure_class::none: return "none";
    case failure_class::timeout: return "timeout";
    case failure_class::refused: return "refused";
    case failure_class::dns: return "dns";
    case failure_class::tls: return "tls";
    case failure_class::handshake: return "handshake";
    case failure_class::protocol: return "protocol";
    case failure_class::peer_closed: return "peer_closed";
    case failure_class::limit: return "limit";
    case failure_class::cancelled: return "cancelled";
    case failure_class::internal: return "internal";
    case failure_class::config: return "config";
    case failure_class::blocked: return "blocked";
    }
    return "internal";
}

} // namespace wsp
