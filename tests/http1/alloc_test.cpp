// Allocation contract of the hot paths: parsing a 101, validating it (SHA-1 accept included),
// writing the upgrade request and the server's 101 allocate nothing. Counts global operator new
// calls made while a probe is armed.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "http1/handshake.h"
#include "http1/request.h"
#include "http1/server.h"

namespace {
std::atomic<bool> armed{false};
std::atomic<long> allocations{0};

void* counted_alloc(std::size_t n)
{
    if (armed.load(std::memory_order_relaxed)) {
        allocations.fetch_add(1, std::memory_order_relaxed);
    }
    if (void* p = std::malloc(n == 0 ? 1 : n)) {
        return p;
    }
    throw std::bad_alloc();
}
} // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

using namespace wsp::http1;

// Runs f with counting armed and returns the number of allocations it made.
template <class F>
long allocations_in(F&& f)
{
    allocations = 0;
    armed = true;
    f();
    armed = false;
    return allocations.load();
}

const std::string head_101 = "HTTP/1.1 101 Switching Protocols\r\n"
                             "Upgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                             "Sec-WebSocket-Protocol: chat\r\n"
                             "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10\r\n"
                             "\r\n";

TEST(allocation, the_counter_sees_allocations)
{
    std::string* s = nullptr;
    EXPECT_GE(allocations_in([&] { s = new std::string(100, 'x'); }), 1);
    delete s;
}

TEST(allocation, parse_and_validate_a_101_allocate_nothing)
{
    const std::array<std::string_view, 2> protocols = {"chat", "superchat"};
    const std::array<std::string_view, 1> extensions = {"permessage-deflate; client_max_window_bits"};
    client_offer offer;
    offer.key = "dGhlIHNhbXBsZSBub25jZQ==";
    offer.subprotocols = protocols;
    offer.extensions = extensions;
    offer.expect_subprotocol = "chat";
    std::array<header, 16> storage{};
    bool ok = false;
    EXPECT_EQ(allocations_in([&] {
                  response_head head;
                  auto r = parse_response(head_101, 0, storage, head);
                  auto v = validate_upgrade_response(head, r->head_length, offer);
                  auto both = check_upgrade_response(head_101, 0, storage, offer);
                  ok = v.has_value() && both.has_value() && both->has_value();
              }),
              0);
    EXPECT_TRUE(ok);
}

TEST(allocation, writing_the_request_and_the_101_allocate_nothing)
{
    const std::array<std::string_view, 1> protocols = {"chat"};
    const std::array<custom_header, 1> headers = {{{"Authorization", "Bearer x", true, false}}};
    upgrade_request req;
    req.host = "::1";
    req.port = 9000;
    req.target = "/ws?x=1";
    req.subprotocols = protocols;
    req.origin = "http://localhost";
    req.headers = headers;
    std::array<std::uint8_t, 16> nonce{};
    const websocket_key key = websocket_key::from_bytes(nonce);
    std::array<char, 1024> buf{};
    bool ok = false;
    EXPECT_EQ(allocations_in([&] {
                  auto n = write_upgrade_request(buf, req, key);
                  auto m = write_switching_protocols(buf, key.view(), "chat");
                  ok = n.has_value() && m.has_value();
              }),
              0);
    EXPECT_TRUE(ok);
}

} // namespace
