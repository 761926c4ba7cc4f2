// Fuzzes a tls::session in the client role with arbitrary server bytes (RFC 8446 §5 records):
// byte 0 picks the feed chunk size and whether the transport ends with EOF; the rest is fed.
// Every failure must carry a tls errc and a sentence; nothing may crash or leak.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "tls/cert_gen.h"
#include "tls/context.h"
#include "tls/session.h"

namespace {

const wsp::tls::context& client_context()
{
    static const wsp::tls::context ctx = [] {
        auto ca = wsp::tls::certificate_authority::create({"fuzz CA", {}, {}, 0, 4102444800}).value();
        auto b = wsp::tls::context_builder::client();
        b.ca_pem(ca.pem().certificate).alpn({"h2", "http/1.1"});
        return b.build().value();
    }();
    return ctx;
}

void check(const wsp::tls::session& s, const wsp::error& e)
{
    if (e.module() != "tls" || s.failure_text().empty()) {
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0) {
        return 0;
    }
    const std::size_t chunk = (data[0] & 0x3f) == 0 ? size : (data[0] & 0x3f);
    const bool eof = (data[0] & 0x80) != 0;
    auto bytes = std::as_bytes(std::span<const std::uint8_t>(data + 1, size - 1));
    auto s = wsp::tls::session::client(client_context(), "localhost").value();
    std::byte plain[512];
    for (;;) {
        s.consume_output(s.pending_output().size());
        if (!s.handshake_done()) {
            auto r = s.handshake();
            if (!r) {
                check(s, r.error());
                return 0;
            }
        } else {
            auto r = s.read_plain(plain);
            if (!r) {
                check(s, r.error());
                return 0;
            }
        }
        if (bytes.empty()) {
            if (!eof) {
                return 0;
            }
            s.feed_eof();
            auto r = s.handshake_done() ? s.read_plain(plain).map([](auto) { return 0; })
                                        : s.handshake().map([](auto) { return 0; });
            if (!r) {
                check(s, r.error());
            }
            return 0;
        }
        const std::size_t n = std::min(chunk, bytes.size());
        if (!s.feed(bytes.first(n))) {
            std::abort();
        }
        bytes = bytes.subspan(n);
    }
}
