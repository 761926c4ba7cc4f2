// Names, classes and descriptions of the runtime error codes; errno to errc mapping.
#include "engine/runtime/errc.h"

#include <cerrno>

namespace wsp::rt {
namespace {

struct entry {
    std::string_view name;
    failure_class cls;
    std::string_view text;
};

constexpr entry entries[] = {
    {"ok", failure_class::none, "ok"},
    {"io_uring_unavailable", failure_class::internal, "io_uring is unavailable (disabled by sysctl or seccomp)"},
    {"missing_opcode", failure_class::internal, "the kernel lacks an io_uring opcode or feature the engine needs"},
    {"setup_failed", failure_class::internal, "io_uring ring or registration setup failed"},
    {"timeout", failure_class::timeout, "deadline expired"},
    {"cancelled", failure_class::cancelled, "operation cancelled"},
    {"connection_refused", failure_class::refused, "connection refused"},
    {"connection_reset", failure_class::peer_closed, "connection reset by peer"},
    {"network_unreachable", failure_class::refused, "network unreachable"},
    {"host_unreachable", failure_class::refused, "host unreachable"},
    {"fd_table_full", failure_class::limit, "the reactor's direct descriptor table is full"},
    {"no_buffers", failure_class::limit, "no receive buffers available"},
    {"connection_timed_out", failure_class::timeout, "connection timed out (kernel TCP timeout)"},
    {"address_in_use", failure_class::limit, "address already in use"},
    {"address_unavailable", failure_class::limit, "address not available (ephemeral ports exhausted?)"},
    {"too_many_open_files", failure_class::limit, "too many open files"},
    {"out_of_memory", failure_class::limit, "kernel out of memory or socket buffers"},
    {"permission_denied", failure_class::blocked, "permission denied"},
    {"invalid_argument", failure_class::internal, "invalid argument"},
    {"bad_descriptor", failure_class::internal, "bad descriptor"},
    {"not_connected", failure_class::peer_closed, "socket not connected"},
    {"address_family_unsupported", failure_class::config, "address family not supported"},
    {"unsupported_operation", failure_class::internal, "operation not supported"},
    {"shutting_down", failure_class::cancelled, "runtime is shutting down"},
    {"system_error", failure_class::internal, "unexpected system error"},
    {"peer_closed", failure_class::peer_closed, "peer closed the connection"},
    {"bad_address", failure_class::config, "not a numeric IPv4 or IPv6 address"},
};
constexpr std::uint16_t entry_count = sizeof(entries) / sizeof(entries[0]);

std::string_view name_of(std::uint16_t c) noexcept { return c < entry_count ? entries[c].name : "unknown"; }
failure_class class_of(std::uint16_t c) noexcept
{
    return c < entry_count ? entries[c].cls : failure_class::internal;
}
std::string_view text_of(std::uint16_t c) noexcept { return c < entry_count ? entries[c].text : "unknown"; }

constexpr wsp::error_domain domain{"runtime", &name_of, &class_of, &text_of};

} // namespace

const wsp::error_domain& domain_of(errc) noexcept { return domain; }

errc errc_from_errno(int err) noexcept
{
    switch (err) {
    case ETIME: return errc::timeout;
    case ECANCELED: return errc::cancelled;
    case ECONNREFUSED: return errc::connection_refused;
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED: return errc::connection_reset;
    case ENETUNREACH:
    case ENETDOWN: return errc::network_unreachable;
    case EHOSTUNREACH:
    case EHOSTDOWN: return errc::host_unreachable;
    case ETIMEDOUT: return errc::connection_timed_out;
    case EADDRINUSE: return errc::address_in_use;
    case EADDRNOTAVAIL: return errc::address_unavailable;
    case EMFILE:
    case ENFILE: return errc::too_many_open_files;
    case ENOMEM:
    case ENOBUFS: return errc::out_of_memory;
    case EACCES:
    case EPERM: return errc::permission_denied;
    case EINVAL:
    case EFAULT: return errc::invalid_argument;
    case EBADF:
    case ENOTSOCK: return errc::bad_descriptor;
    case ENOTCONN: return errc::not_connected;
    case EAFNOSUPPORT:
    case EPROTONOSUPPORT: return errc::address_family_unsupported;
    case EOPNOTSUPP: return errc::unsupported_operation;
    default: return errc::system_error;
    }
}

wsp::error error_from_result(std::int32_t res) noexcept
{
    if (res >= 0) {
        return {};
    }
    return errc_from_errno(-res);
}

} // namespace wsp::rt
