// Fuzz target for http1::parse_response and the 101 validation: the input parsed whole must give
// the same outcome as the same bytes fed in growing prefixes with prev_len (split in two, and one
// byte at a time for short inputs), under default and tight limits. Any difference aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fuzz/http1_split_check.h"
#include "http1/handshake.h"
#include "http1/parser.h"

namespace {

using namespace wsp::http1;

struct outcome {
    std::string error;
    std::size_t error_offset = 0;
    bool complete = false;
    std::size_t head_length = 0;
    int minor = -1;
    int status = 0;
    std::string reason;
    std::vector<std::string> fields;
    bool operator==(const outcome&) const = default;
};

// Parses the first `size` bytes, copied to an exactly sized block so ASan sees any overread.
outcome parse_prefix(const std::uint8_t* data, std::size_t size, std::size_t prev, const parse_limits& limits)
{
    std::unique_ptr<char[]> copy(new char[size == 0 ? 1 : size]);
    if (size != 0) {
        std::memcpy(copy.get(), data, size);
    }
    std::vector<header> storage(16);
    response_head head;
    auto r = parse_response(std::string_view(copy.get(), size), prev, storage, head, limits);
    outcome o;
    if (!r) {
        o.error = std::string(r.error().name());
        o.error_offset = head.error_offset;
        if (head.error_offset > size) {
            std::abort();
        }
        return o;
    }
    o.complete = r->complete();
    if (o.complete) {
        if (r->head_length == 0 || r->head_length > size) {
            std::abort();
        }
        o.head_length = r->head_length;
        o.minor = head.minor_version;
        o.status = head.status;
        o.reason = std::string(head.reason);
        for (const header& h : head.headers) {
            o.fields.emplace_back(std::string(h.name) + '\0' + std::string(h.value));
        }
        // Exercise the validator on every complete head; a failure must explain itself.
        const std::string_view protocols[] = {"chat", "superchat"};
        const std::string_view extensions[] = {"permessage-deflate; client_max_window_bits"};
        client_offer offer;
        offer.key = "dGhlIHNhbXBsZSBub25jZQ==";
        offer.subprotocols = protocols;
        offer.extensions = extensions;
        auto v = validate_upgrade_response(head, r->head_length, offer);
        if (!v && v.error().sentence.empty()) {
            std::abort();
        }
    }
    return o;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    wsp::fuzz::check_splits_all_limits(&parse_prefix, data, size);
    return 0;
}
