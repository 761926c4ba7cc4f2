// Runtime error codes: io_uring setup and capability failures, and negative errno results of
// socket operations (connect(2), send(2), recv(2), accept(2)) mapped to stable names and classes.
#pragma once

#include <cstdint>

#include "proto/error.h"

namespace wsp::rt {

// Append-only; the snake_case names are part of the JSON/metrics contract.
enum class errc : std::uint16_t {
    ok = 0,
    io_uring_unavailable = 1,   // io_uring_setup refused (kernel.io_uring_disabled, seccomp, ENOSYS)
    missing_opcode = 2,         // a required opcode or feature is absent
    setup_failed = 3,           // ring, file table or buffer ring registration failed
    timeout = 4,                // the caller's deadline expired (linked timeout or timer)
    cancelled = 5,              // the operation was cancelled (-ECANCELED, shutdown)
    connection_refused = 6,     // ECONNREFUSED
    connection_reset = 7,       // ECONNRESET, EPIPE
    network_unreachable = 8,    // ENETUNREACH, ENETDOWN
    host_unreachable = 9,       // EHOSTUNREACH, EHOSTDOWN
    fd_table_full = 10,         // the ring's direct-descriptor table has no free slot
    no_buffers = 11,            // the provided buffer ring is empty
    connection_timed_out = 12,  // ETIMEDOUT from the kernel's own TCP timers
    address_in_use = 13,        // EADDRINUSE
    address_unavailable = 14,   // EADDRNOTAVAIL (e.g. ephemeral ports exhausted)
    too_many_open_files = 15,   // EMFILE, ENFILE on plain descriptors
    out_of_memory = 16,         // ENOMEM, ENOBUFS from socket calls
    permission_denied = 17,     // EACCES, EPERM (firewall, privileged port)
    invalid_argument = 18,      // EINVAL, EFAULT: a bug in the caller or the runtime
    bad_descriptor = 19,        // EBADF, ENOTSOCK: slot not installed
    not_connected = 20,         // ENOTCONN
    address_family_unsupported = 21, // EAFNOSUPPORT, EPROTONOSUPPORT (e.g. IPv6 disabled)
    unsupported_operation = 22, // EOPNOTSUPP, EINVAL from an opcode this kernel rejects
    shutting_down = 23,         // the reactor or cluster is stopping; new work refused
    system_error = 24,          // any other errno
    peer_closed = 25,           // orderly EOF while more bytes were required
    bad_address = 26,           // an address string that is not a numeric IPv4/IPv6 literal
};

[[nodiscard]] const wsp::error_domain& domain_of(errc) noexcept;

// Maps a positive errno value to the runtime's errc. Never returns errc::ok.
[[nodiscard]] errc errc_from_errno(int err) noexcept;

// Maps a negative io_uring result (-errno) to an error. -ETIME maps to errc::timeout (only the
// runtime's deadline machinery produces it for socket operations); `res >= 0` yields no error.
[[nodiscard]] wsp::error error_from_result(std::int32_t res) noexcept;

} // namespace wsp::rt
