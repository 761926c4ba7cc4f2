// Test support for tests/tls: certificates generated once per test binary, context helpers, and a
// pump that moves ciphertext between a client and a server session in memory.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <ostream>
#include <cstddef>
#include <string>
#include <vector>

#include "tls/cert_gen.h"
#include "tls/context.h"
#include "tls/session.h"

namespace wsp {
// gtest printer so failed comparisons show the error's name.
inline void PrintTo(const error& e, std::ostream* os) { *os << e.module() << "::" << e.name(); }
} // namespace wsp

namespace wsp::tls::test {

inline std::int64_t wall_now()
{
    using namespace std::chrono;
    return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

constexpr std::int64_t day = 86400;

// Every certificate the tests need, made at start-up with P-256 keys.
struct pki {
    std::int64_t now = wall_now();
    std::int64_t valid_not_after = now + 30 * day + 3600; // days_left(now) == 30
    certificate_authority ca =
        certificate_authority::create({"wsprobe test CA", {}, {}, now - 200 * day, now + 365 * day}).value();
    certificate_authority other_ca =
        certificate_authority::create({"untrusted CA", {}, {}, now - day, now + 365 * day}).value();
    pem_pair valid =
        ca.issue({"localhost", {"localhost", "ws.test"}, {"127.0.0.1", "::1"}, now - day, valid_not_after})
            .value();
    std::int64_t expired_not_after = now - 10 * day;
    pem_pair expired =
        ca.issue({"old.test", {"localhost"}, {"127.0.0.1"}, now - 100 * day, expired_not_after}).value();
    std::int64_t future_not_before = now + 10 * day;
    pem_pair not_yet_valid =
        ca.issue({"future.test", {"localhost"}, {}, future_not_before, now + 100 * day}).value();
    pem_pair wrong_host =
        ca.issue({"other", {"other.example", "*.other.example"}, {"10.9.9.9"}, now - day, now + 30 * day})
            .value();
    pem_pair self_signed = make_self_signed({"selfie", {"localhost"}, {}, now - day, now + 30 * day}).value();
    pem_pair foreign = other_ca.issue({"foreign", {"localhost"}, {}, now - day, now + 30 * day}).value();
    pem_pair client = ca.issue({"probe-client", {}, {}, now - day, now + 30 * day}).value();

    static const pki& get()
    {
        static const pki instance;
        return instance;
    }
};

inline context_builder client_builder()
{
    return std::move(context_builder::client().ca_pem(pki::get().ca.pem().certificate));
}

inline context_builder server_builder(const pem_pair& cert)
{
    return std::move(context_builder::server().certificate_pem(cert.certificate, cert.private_key));
}

inline context must_build(context_builder b)
{
    auto c = b.build();
    EXPECT_TRUE(c) << b.error_text();
    return std::move(c).value();
}

// Moves at most `chunk` bytes of from's pending output into to (0: everything).
inline bool transfer(session& from, session& to, std::size_t chunk = 0)
{
    auto out = from.pending_output();
    if (out.empty()) {
        return false;
    }
    const std::size_t n = chunk == 0 ? out.size() : std::min(chunk, out.size());
    auto fed = to.feed(out.first(n));
    EXPECT_TRUE(fed || to.failure()); // a failed session refuses input; that is expected
    from.consume_output(n);
    return true;
}

struct handshake_outcome {
    wsp::expected<status> client = status::want_input;
    wsp::expected<status> server = status::want_input;
};

inline bool finished(const wsp::expected<status>& r) { return !r || *r == status::done; }

// Steps both handshakes, moving bytes between them, until both are done or failed and no bytes
// remain in flight.
inline handshake_outcome pump_handshake(session& c, session& s, std::size_t chunk = 0)
{
    handshake_outcome out;
    for (int round = 0; round < 200000; ++round) {
        if (!finished(out.client)) {
            out.client = c.handshake();
        }
        const bool moved_c = transfer(c, s, chunk);
        if (!finished(out.server)) {
            out.server = s.handshake();
        }
        const bool moved_s = transfer(s, c, chunk);
        if (!moved_c && !moved_s) {
            if (!finished(out.client) && !finished(out.server)) {
                ADD_FAILURE() << "handshake stalled";
            }
            break;
        }
    }
    return out;
}

struct connected {
    session client;
    session server;
    handshake_outcome result;
};

inline connected connect(const context& cctx, const context& sctx, std::string_view host,
                         session_cache* cache = nullptr)
{
    connected p{session::client(cctx, host, cache).value(), session::server(sctx).value(), {}};
    p.result = pump_handshake(p.client, p.server);
    return p;
}

inline std::string read_all(session& s)
{
    std::string out;
    std::vector<std::byte> buf(4096);
    for (;;) {
        auto r = s.read_plain(buf);
        if (!r || r->bytes == 0) {
            return out;
        }
        out.append(reinterpret_cast<const char*>(buf.data()), r->bytes);
    }
}

} // namespace wsp::tls::test
