// tls/session.cpp: client and server sessions pumped over memory buffers; handshake facts, data
// transfer, output limit, close_notify and truncation.
#include "tls/session.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/tls/tls_fixture.h"

namespace wsp::tls::test {
namespace {

context alpn_server()
{
    return must_build(std::move(server_builder(pki::get().valid).alpn({"h2", "http/1.1"})));
}

TEST(session, handshake_by_hostname_reports_facts)
{
    const auto& p = pki::get();
    auto c =
        connect(must_build(std::move(client_builder().alpn({"h2", "http/1.1"}))), alpn_server(), "localhost");
    ASSERT_TRUE(c.result.client) << c.client.failure_text();
    ASSERT_TRUE(c.result.server) << c.server.failure_text();
    EXPECT_EQ(*c.result.client, status::done);
    EXPECT_EQ(*c.result.server, status::done);
    EXPECT_TRUE(c.client.handshake_done());

    const tls_facts f = c.client.facts();
    EXPECT_EQ(f.version, "TLSv1.3");
    EXPECT_FALSE(f.cipher.empty());
    EXPECT_EQ(f.alpn, "h2");
    EXPECT_EQ(f.leaf_subject, "CN=localhost");
    EXPECT_EQ(f.issuer, "CN=wsprobe test CA");
    EXPECT_EQ(f.san_dns, (std::vector<std::string>{"localhost", "ws.test"}));
    EXPECT_EQ(f.san_ip, (std::vector<std::string>{"127.0.0.1", "::1"}));
    EXPECT_EQ(f.leaf_not_after, p.valid_not_after);
    EXPECT_EQ(f.leaf_not_after_iso, iso8601(p.valid_not_after));
    EXPECT_EQ(f.leaf_days_left(p.now), 30);
    EXPECT_EQ(f.leaf_days_left(p.valid_not_after + 1), -1);
    // The CA outlives the leaf, so the earliest not-after in the chain is the leaf's.
    EXPECT_EQ(f.chain_not_after, p.valid_not_after);
    EXPECT_EQ(f.chain_days_left(p.now), 30);
    EXPECT_EQ(f.verify_code, 0);
    EXPECT_EQ(f.verify_text, "ok");
    EXPECT_FALSE(f.verify_error);
    EXPECT_FALSE(f.resumed);
    EXPECT_FALSE(c.client.failure());
}

TEST(session, chain_not_after_is_the_earliest_in_the_chain)
{
    const auto& p = pki::get();
    // A CA that expires before its leaf: the chain's earliest not-after is the CA's.
    auto short_ca = certificate_authority::create({"short CA", {}, {}, p.now - day, p.now + 5 * day}).value();
    auto leaf = short_ca.issue({"localhost", {"localhost"}, {}, p.now - day, p.now + 50 * day}).value();
    auto cctx = must_build(std::move(context_builder::client().ca_pem(short_ca.pem().certificate)));
    auto c = connect(cctx, must_build(server_builder(leaf)), "localhost");
    ASSERT_TRUE(c.result.client) << c.client.failure_text();
    const tls_facts f = c.client.facts();
    EXPECT_EQ(f.leaf_days_left(p.now), 50);
    EXPECT_EQ(f.chain_days_left(p.now), 5);
    EXPECT_LT(f.chain_not_after, f.leaf_not_after);
}

TEST(session, handshake_by_ipv4_and_ipv6_literal)
{
    const auto cctx = must_build(client_builder());
    const auto sctx = must_build(server_builder(pki::get().valid));
    for (std::string_view host : {"127.0.0.1", "::1", "[::1]"}) {
        auto c = connect(cctx, sctx, host);
        ASSERT_TRUE(c.result.client) << host << ": " << c.client.failure_text();
        EXPECT_EQ(*c.result.client, status::done) << host;
        // RFC 6066 §3: no SNI for IP literals.
        EXPECT_EQ(SSL_get_servername(c.server.native_handle(), TLSEXT_NAMETYPE_host_name), nullptr) << host;
    }
    auto named = connect(cctx, sctx, "ws.test");
    ASSERT_TRUE(named.result.client);
    EXPECT_STREQ(SSL_get_servername(named.server.native_handle(), TLSEXT_NAMETYPE_host_name), "ws.test");
}

TEST(session, handshake_survives_every_chunk_size)
{
    const auto cctx = must_build(client_builder());
    const auto sctx = must_build(server_builder(pki::get().valid));
    for (std::size_t chunk : {1u, 2u, 7u, 100u, 1000u}) {
        auto c = session::client(cctx, "localhost").value();
        auto s = session::server(sctx).value();
        auto r = pump_handshake(c, s, chunk);
        ASSERT_TRUE(r.client) << chunk << ": " << c.failure_text();
        ASSERT_TRUE(r.server) << chunk << ": " << s.failure_text();
        EXPECT_EQ(*r.client, status::done);
        EXPECT_EQ(*r.server, status::done);
    }
}

TEST(session, take_output_copies_and_consumes)
{
    auto c = session::client(must_build(client_builder()), "localhost").value();
    ASSERT_EQ(c.handshake().value(), status::want_input);
    const std::size_t pending = c.pending_output().size();
    ASSERT_GT(pending, 5u);
    // RFC 8446 §5.1: the ClientHello travels in a handshake(22) record.
    EXPECT_EQ(c.pending_output()[0], std::byte{22});
    std::vector<std::byte> buf(5);
    EXPECT_EQ(c.take_output(buf), 5u);
    EXPECT_EQ(buf[0], std::byte{22});
    EXPECT_EQ(c.pending_output().size(), pending - 5);
    c.consume_output(pending); // clamped to what is left
    EXPECT_TRUE(c.pending_output().empty());
    EXPECT_EQ(c.take_output(buf), 0u);
}

// Moves data from `w` to `r` under the output limit until `data` has arrived whole.
std::string stream(session& w, session& r, const std::string& data)
{
    std::string got;
    std::vector<std::byte> buf(16384);
    std::size_t sent = 0;
    for (int guard = 0; guard < 100000 && got.size() < data.size(); ++guard) {
        if (sent < data.size()) {
            auto wr = w.write_plain(std::string_view(data).substr(sent));
            EXPECT_TRUE(wr);
            sent += wr ? wr->bytes : 0;
        }
        EXPECT_LE(w.pending_output().size(), 64u * 1024 + 17000); // limit + one record
        transfer(w, r);
        for (;;) {
            auto rd = r.read_plain(buf);
            EXPECT_TRUE(rd);
            if (!rd || rd->bytes == 0) {
                break;
            }
            got.append(reinterpret_cast<const char*>(buf.data()), rd->bytes);
        }
        transfer(r, w);
    }
    return got;
}

TEST(session, one_mebibyte_round_trip_both_directions)
{
    auto c = connect(must_build(client_builder()), must_build(server_builder(pki::get().valid)), "localhost");
    ASSERT_TRUE(c.result.client && c.result.server);
    std::string up(1 << 20, '\0');
    std::string down(1 << 20, '\0');
    for (std::size_t i = 0; i < up.size(); ++i) {
        up[i] = static_cast<char>(i * 7 + i / 4096);
        down[i] = static_cast<char>(i * 13 + 1);
    }
    EXPECT_TRUE(stream(c.client, c.server, up) == up);
    EXPECT_TRUE(stream(c.server, c.client, down) == down);
}

TEST(session, write_stops_at_output_limit)
{
    auto c = connect(must_build(client_builder()), must_build(server_builder(pki::get().valid)), "localhost");
    ASSERT_TRUE(c.result.client);
    c.client.set_output_limit(32 * 1024);
    const std::string big(256 * 1024, 'x');
    auto w = c.client.write_plain(big);
    ASSERT_TRUE(w);
    EXPECT_EQ(w->state, status::want_output);
    EXPECT_GE(w->bytes, 32u * 1024 - 16384);
    EXPECT_LT(w->bytes, big.size());
    EXPECT_GE(c.client.pending_output().size(), 32u * 1024);
    auto again = c.client.write_plain(std::string_view(big).substr(w->bytes));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->bytes, 0u);
    EXPECT_EQ(again->state, status::want_output);
    transfer(c.client, c.server);
    auto more = c.client.write_plain(std::string_view(big).substr(w->bytes));
    ASSERT_TRUE(more);
    EXPECT_GT(more->bytes, 0u);
}

TEST(session, close_notify_both_ways)
{
    auto c = connect(must_build(client_builder()), must_build(server_builder(pki::get().valid)), "localhost");
    ASSERT_TRUE(c.result.client && c.result.server);
    ASSERT_EQ(c.client.write_plain(std::string_view("last words")).value().state, status::done);
    EXPECT_EQ(c.client.shutdown().value(), status::want_input);
    EXPECT_FALSE(c.client.write_plain(std::string_view("more"))); // no writes after close_notify
    transfer(c.client, c.server);
    EXPECT_EQ(read_all(c.server), "last words");
    std::vector<std::byte> buf(64);
    EXPECT_EQ(c.server.read_plain(buf).value().state, status::closed);
    EXPECT_EQ(c.server.shutdown().value(), status::done);
    transfer(c.server, c.client);
    auto r = c.client.read_plain(buf);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->state, status::closed);
    EXPECT_EQ(c.client.shutdown().value(), status::done);
    EXPECT_FALSE(c.client.failure());
}

TEST(session, eof_without_close_notify_is_truncation)
{
    auto c = connect(must_build(client_builder()), must_build(server_builder(pki::get().valid)), "localhost");
    ASSERT_TRUE(c.result.client && c.result.server);
    ASSERT_TRUE(c.server.write_plain(std::string_view("partial")));
    transfer(c.server, c.client);
    c.client.feed_eof();
    std::vector<std::byte> buf(64);
    auto first = c.client.read_plain(buf);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->bytes, 7u); // data before EOF is still delivered
    std::string_view seen(reinterpret_cast<const char*>(buf.data()), first->bytes);
    EXPECT_EQ(seen, "partial");
    auto r = c.client.read_plain(buf);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::truncated);
    EXPECT_EQ(r.error().cls(), wsp::failure_class::peer_closed);
    EXPECT_NE(c.client.failure_text().find("close_notify"), std::string::npos);
    EXPECT_FALSE(c.client.feed(std::string_view("x"))); // after EOF nothing more may be fed
    auto again = c.client.read_plain(buf);              // the failure sticks
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error(), errc::truncated);
}

TEST(session, eof_at_every_point_of_the_server_flight)
{
    const auto cctx = must_build(client_builder());
    const auto sctx = must_build(server_builder(pki::get().valid));
    auto probe_c = session::client(cctx, "localhost").value();
    auto probe_s = session::server(sctx).value();
    ASSERT_EQ(probe_c.handshake().value(), status::want_input);
    transfer(probe_c, probe_s);
    ASSERT_EQ(probe_s.handshake().value(), status::want_input);
    const auto flight = probe_s.pending_output();
    const std::string server_flight(reinterpret_cast<const char*>(flight.data()), flight.size());
    ASSERT_GT(server_flight.size(), 100u);
    // Fault injection: the transport ends after n bytes, for n = 0, 1, 2, ... (strided).
    for (std::size_t n = 0; n < server_flight.size(); n += (n < 16 ? 1 : 29)) {
        auto c = session::client(cctx, "localhost").value();
        ASSERT_EQ(c.handshake().value(), status::want_input);
        ASSERT_TRUE(c.feed(std::string_view(server_flight).substr(0, n)));
        c.feed_eof();
        auto r = c.handshake();
        ASSERT_FALSE(r) << n;
        // A cut inside a record is EOF; the flight belongs to another ClientHello, so once the
        // ServerHello is complete the client may instead reject what it decrypts.
        EXPECT_TRUE(r.error() == errc::peer_closed_during_handshake || r.error() == errc::handshake_failed)
            << n;
        if (n < 5) {
            EXPECT_EQ(r.error(), errc::peer_closed_during_handshake) << n;
        }
        EXPECT_FALSE(c.failure_text().empty());
    }
}

TEST(session, non_tls_peer_is_named_in_the_sentence)
{
    auto c = session::client(must_build(client_builder()), "localhost").value();
    ASSERT_EQ(c.handshake().value(), status::want_input);
    ASSERT_TRUE(c.feed(std::string_view("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")));
    auto r = c.handshake();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::handshake_failed);
    EXPECT_NE(c.failure_text().find("not be speaking TLS"), std::string::npos) << c.failure_text();
    EXPECT_EQ(c.failure(), errc::handshake_failed);
}

TEST(session, calls_out_of_order_are_bad_state)
{
    const auto cctx = must_build(client_builder());
    const auto sctx = must_build(server_builder(pki::get().valid));
    auto c = session::client(cctx, "localhost").value();
    std::vector<std::byte> buf(16);
    EXPECT_EQ(c.read_plain(buf).error(), errc::bad_state);
    EXPECT_EQ(c.write_plain(std::string_view("x")).error(), errc::bad_state);
    EXPECT_EQ(c.shutdown().error(), errc::bad_state);
    EXPECT_EQ(session::client(sctx, "localhost").error(), errc::bad_state);
    EXPECT_EQ(session::server(cctx).error(), errc::bad_state);
}

} // namespace
} // namespace wsp::tls::test
