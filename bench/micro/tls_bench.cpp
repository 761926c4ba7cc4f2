// TLS 1.3 handshake cost (RFC 8446 §2 full and §2.2 resumed) over memory: this module's session
// wrapper against the same handshake driven by raw OpenSSL calls over a BIO pair, with the same
// SSL_CTX pair, P-256 keys and TLS_AES_128_GCM_SHA256.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <vector>

#include "tls/cert_gen.h"
#include "tls/context.h"
#include "tls/session.h"
#include "tls/session_cache.h"

namespace {

using namespace wsp::tls;

struct setup {
    context client;
    context server;

    static const setup& get()
    {
        static const setup s = make();
        return s;
    }

    static setup make()
    {
        using namespace std::chrono;
        const std::int64_t now = duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
        auto ca = certificate_authority::create({"bench CA", {}, {}, now - 86400, now + 86400 * 30}).value();
        auto leaf =
            ca.issue({"localhost", {"localhost"}, {"127.0.0.1"}, now - 86400, now + 86400 * 30}).value();
        auto cb = context_builder::client();
        cb.ca_pem(ca.pem().certificate)
            .min_version(tls_version::tls1_3)
            .ciphersuites("TLS_AES_128_GCM_SHA256");
        auto sb = context_builder::server();
        sb.certificate_pem(leaf.certificate, leaf.private_key)
            .min_version(tls_version::tls1_3)
            .ciphersuites("TLS_AES_128_GCM_SHA256");
        auto c = cb.build();
        auto s = sb.build();
        if (!c || !s) {
            std::abort();
        }
        return setup{*c, *s};
    }
};

void move_all(session& from, session& to)
{
    auto out = from.pending_output();
    if (!out.empty()) {
        (void)to.feed(out);
        from.consume_output(out.size());
    }
}

// Full client+server handshake through the wrapper; returns whether the client resumed.
bool wrapper_handshake(session_cache* cache)
{
    const setup& s = setup::get();
    auto c = session::client(s.client, "localhost", cache).value();
    auto srv = session::server(s.server).value();
    bool c_done = false;
    bool s_done = false;
    for (int i = 0; i < 16 && !(c_done && s_done); ++i) {
        auto rc = c.handshake();
        move_all(c, srv);
        auto rs = srv.handshake();
        move_all(srv, c);
        if (!rc || !rs) {
            std::abort();
        }
        c_done = *rc == status::done;
        s_done = *rs == status::done;
    }
    if (cache != nullptr) {
        // OpenSSL uses a TLS 1.3 ticket once (RFC 8446 §C.4); read_plain takes in the fresh
        // tickets the server sent after the handshake, which refills the cache.
        std::byte buf[16];
        (void)c.read_plain(buf);
    }
    return c.resumed();
}

// The same handshake with SSL_do_handshake over a BIO pair; resume with `sess` if non-null.
// With `keep`, the client reads the TLS 1.3 tickets and returns its resumable session (the
// ticket sessions' callback declines them when no wrapper session is attached, so OpenSSL keeps
// the newest as the connection's session).
SSL_SESSION* raw_handshake(SSL_SESSION* sess, bool keep, bool* resumed)
{
    const setup& s = setup::get();
    SSL* c = SSL_new(s.client.native_handle());
    SSL* srv = SSL_new(s.server.native_handle());
    BIO* cb = nullptr;
    BIO* sb = nullptr;
    BIO_new_bio_pair(&cb, 0, &sb, 0);
    SSL_set_bio(c, cb, cb);
    SSL_set_bio(srv, sb, sb);
    SSL_set_connect_state(c);
    SSL_set_accept_state(srv);
    SSL_set_tlsext_host_name(c, "localhost");
    SSL_set1_host(c, "localhost");
    if (sess != nullptr) {
        SSL_set_session(c, sess);
    }
    int rc = 0;
    int rs = 0;
    for (int i = 0; i < 16 && (rc != 1 || rs != 1); ++i) {
        rc = SSL_do_handshake(c);
        rs = SSL_do_handshake(srv);
    }
    if (rc != 1 || rs != 1) {
        std::abort();
    }
    SSL_SESSION* out = nullptr;
    if (keep) {
        char byte = 0;
        (void)SSL_read(c, &byte, 1); // consumes NewSessionTicket, then WANT_READ
        out = SSL_get1_session(c);
    }
    *resumed = SSL_session_reused(c) == 1;
    // As the wrapper does for healthy sessions: without this, SSL_free marks the session not
    // resumable (ssl_clear_bad_session).
    SSL_set_shutdown(c, SSL_SENT_SHUTDOWN);
    SSL_free(c);
    SSL_free(srv);
    return out;
}

void BM_handshake_full_wrapper(benchmark::State& state)
{
    for (auto _ : state) {
        benchmark::DoNotOptimize(wrapper_handshake(nullptr));
    }
}
BENCHMARK(BM_handshake_full_wrapper);

void BM_handshake_full_raw(benchmark::State& state)
{
    bool resumed = false;
    for (auto _ : state) {
        benchmark::DoNotOptimize(raw_handshake(nullptr, false, &resumed));
    }
}
BENCHMARK(BM_handshake_full_raw);

void BM_handshake_resumed_wrapper(benchmark::State& state)
{
    session_cache cache;
    {
        const setup& s = setup::get();
        auto c = session::client(s.client, "localhost", &cache).value();
        auto srv = session::server(s.server).value();
        for (int i = 0; i < 8; ++i) {
            (void)c.handshake();
            move_all(c, srv);
            (void)srv.handshake();
            move_all(srv, c);
        }
        std::vector<std::byte> buf(16);
        (void)c.read_plain(buf); // processes the tickets into the cache
    }
    for (auto _ : state) {
        if (!wrapper_handshake(&cache)) {
            state.SkipWithError("not resumed");
            break;
        }
    }
}
BENCHMARK(BM_handshake_resumed_wrapper);

void BM_handshake_resumed_raw(benchmark::State& state)
{
    bool resumed = false;
    SSL_SESSION* sess = raw_handshake(nullptr, true, &resumed);
    for (auto _ : state) {
        // Like the wrapper: each resumption reads the new ticket and uses it next time.
        SSL_SESSION* next = raw_handshake(sess, true, &resumed);
        SSL_SESSION_free(sess);
        sess = next;
        if (!resumed) {
            state.SkipWithError("not resumed");
            break;
        }
    }
    SSL_SESSION_free(sess);
}
BENCHMARK(BM_handshake_resumed_raw);

} // namespace

BENCHMARK_MAIN();
