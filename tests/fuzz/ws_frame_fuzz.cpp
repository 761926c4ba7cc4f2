// Fuzz target for ws/decoder.cpp (RFC 6455 §5): both roles, options from the first byte, and a
// chunking derived from the second; the normalised event sequence of the chunked run must equal
// the whole run, and the decoder's contract (bounds, need_more, sticky errors) must hold.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "ws/decoder.h"

namespace {

struct record {
    wsp::ws::event_kind kind;
    wsp::ws::opcode op;
    bool fin;
    bool compressed;
    std::uint16_t close_code;
    std::uint64_t length;
    std::uint16_t error; // non-zero: the run ended with this errc
    std::string bytes;
    bool operator==(const record&) const = default;
};

void check(bool ok)
{
    if (!ok) {
        std::abort();
    }
}

struct xorshift {
    std::uint32_t x;
    std::uint32_t next()
    {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        return x;
    }
};

// Decodes `stream` cut into chunks (empty cuts: whole), each in an exactly sized heap block.
std::vector<record> run(const wsp::ws::decoder_options& opts, const std::uint8_t* stream, std::size_t size,
                        const std::vector<std::size_t>& cuts)
{
    using namespace wsp::ws;
    decoder dec(opts);
    std::vector<record> log;
    std::size_t begin = 0;
    for (std::size_t c = 0; c <= cuts.size(); ++c) {
        const std::size_t end = c < cuts.size() ? cuts[c] : size;
        std::vector<std::uint8_t> chunk(stream + begin, stream + end);
        begin = end;
        std::span<std::uint8_t> in(chunk);
        for (;;) {
            auto r = dec.next(in);
            if (!r) {
                log.push_back(
                    {event_kind::need_more, opcode::continuation, false, false, 0, 0, r.error().code(), {}});
                auto again = dec.next(in);
                check(!again && again.error() == r.error() && dec.failed());
                return log;
            }
            check(r->consumed <= in.size());
            const event& ev = r->ev;
            if (ev.kind == event_kind::payload) {
                check(ev.payload.data() >= in.data() &&
                      ev.payload.data() + ev.payload.size() <= in.data() + r->consumed);
                check(!ev.payload.empty());
            }
            if (ev.kind == event_kind::control) {
                check(ev.payload.size() <= max_control_payload);
            }
            in = in.subspan(r->consumed);
            if (ev.kind == event_kind::need_more) {
                check(in.empty());
                break;
            }
            std::string bytes(reinterpret_cast<const char*>(ev.payload.data()), ev.payload.size());
            if (ev.kind == event_kind::payload && !log.empty() && log.back().kind == event_kind::payload) {
                log.back().bytes += bytes; // chunking-dependent split: merge
                continue;
            }
            log.push_back({ev.kind, ev.op, ev.fin, ev.compressed, ev.close_code,
                           ev.kind == event_kind::payload ? 0 : ev.length, 0, std::move(bytes)});
        }
    }
    return log;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace wsp::ws;
    if (size < 2) {
        return 0;
    }
    const std::uint8_t config = data[0];
    xorshift rng{0x9E3779B9U ^ (static_cast<std::uint32_t>(data[1]) * 0x01000193U) ^
                 static_cast<std::uint32_t>(size)};
    const std::uint8_t* stream = data + 2;
    const std::size_t n = size - 2;

    std::vector<std::size_t> cuts;
    const std::uint32_t max_step = 1 + (config >> 5) * 9; // 1 (bytewise) .. 64
    for (std::size_t pos = 1 + rng.next() % max_step; pos < n; pos += 1 + rng.next() % max_step) {
        cuts.push_back(pos);
    }

    decoder_options opts;
    opts.permessage_deflate = (config & 1U) != 0;
    opts.validate_text = (config & 2U) == 0;
    if ((config & 4U) != 0) {
        opts.max_message_size = (config >> 3) & 3U ? ((config >> 3) & 3U) * 50 : 0;
    }
    for (role r : {role::client, role::server}) {
        opts.local = r;
        const auto whole = run(opts, stream, n, {});
        const auto chunked = run(opts, stream, n, cuts);
        check(whole == chunked);
    }
    return 0;
}
