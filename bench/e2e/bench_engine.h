// What the end-to-end check benchmarks (check_bench, h2_mux_bench) run on: one reactor with a
// large buffer ring, a DNS client on it and, for wss://, the probe's TLS context pinned to
// TLS_AES_128_GCM_SHA256 so every run (and the OpenSSL baseline) negotiates the same suite.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>

#include "engine/dns/client.h"
#include "engine/runtime/reactor.h"
#include "proto/check_spec.h"
#include "tls/context.h"
#include "tools/cli/tls_context.h"

namespace wsp::bench {

struct bench_engine {
    std::unique_ptr<rt::reactor> reactor;
    std::unique_ptr<dns::client> dns;
    std::optional<tls::context> tls; // wss:// only
};

// nullopt after printing "NAME: why" on stderr.
inline std::optional<bench_engine> start_bench_engine(const char* name, const proto::check_spec& spec)
{
    bench_engine e;
    rt::reactor_config cfg;
    cfg.buffer_count = 4096;
    std::string why;
    auto reactor = rt::reactor::create(cfg, &why);
    if (!reactor) {
        std::fprintf(stderr, "%s: %s\n", name, why.c_str());
        return std::nullopt;
    }
    e.reactor = std::move(*reactor);
    auto dns = dns::client::create(*e.reactor, {});
    if (!dns) {
        std::fprintf(stderr, "%s: cannot start the DNS client\n", name);
        return std::nullopt;
    }
    e.dns = std::move(*dns);
    if (spec.url.secure) {
        auto ctx = cli::make_client_tls_context(spec.tls, "TLS_AES_128_GCM_SHA256");
        if (!ctx) {
            std::fprintf(stderr, "%s: %s\n", name, ctx.error().c_str());
            return std::nullopt;
        }
        e.tls.emplace(std::move(*ctx));
    }
    return e;
}

} // namespace wsp::bench
