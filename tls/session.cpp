// Sans-I/O TLS session over memory BIOs (RFC 8446 handshake, §6 alerts, §6.1 close_notify).
#include "tls/session.h"

#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>

#include "tls/detail/context_state.h"
#include "tls/detail/session_state.h"

namespace wsp::tls {
namespace detail {

namespace {

session_state* state_of(const SSL* ssl) noexcept
{
    return static_cast<session_state*>(SSL_get_app_data(ssl));
}

void on_info(const SSL* ssl, int where, int ret)
{
    // RFC 8446 §6: ret carries (level << 8) | description for alerts.
    if ((where & SSL_CB_ALERT) != 0 && (where & SSL_CB_READ) != 0 && (ret >> 8) == SSL3_AL_FATAL) {
        if (session_state* st = state_of(ssl)) {
            st->alert = ret & 0xff;
        }
    }
}

// OpenSSL's own IPv4/IPv6 text parser (the one X509_VERIFY_PARAM_set1_ip_asc uses), so this
// sans-I/O module needs no socket headers.
bool is_ip_literal(const std::string& host) noexcept
{
    ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str());
    const bool is_ip = ip != nullptr;
    ASN1_OCTET_STRING_free(ip);
    return is_ip;
}

} // namespace

int on_verify(int preverify_ok, X509_STORE_CTX* store)
{
    auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    session_state* st = ssl != nullptr ? state_of(ssl) : nullptr;
    if (preverify_ok == 1 || st == nullptr) {
        return preverify_ok;
    }
    if (st->verify.code == X509_V_OK) {
        st->verify.code = X509_STORE_CTX_get_error(store);
        st->verify.depth = X509_STORE_CTX_get_error_depth(store);
        st->verify.cert = summarize(X509_STORE_CTX_get_current_cert(store));
    }
    // Insecure client: keep going, but the first error stays recorded for the result.
    return st->ctx.kind() == role::client && st->ctx.state().insecure ? 1 : 0;
}

int on_new_session(SSL* ssl, SSL_SESSION* sess)
{
    session_state* st = state_of(ssl);
    if (st == nullptr || st->cache == nullptr || SSL_SESSION_is_resumable(sess) != 1) {
        return 0; // not taken: OpenSSL keeps ownership
    }
    st->cache->put(st->cache_key, sess);
    return 1; // ownership of this reference passes to the cache
}

} // namespace detail

namespace {

using detail::phase;
using detail::session_state;

tl::unexpected<wsp::error> fail_session(session_state& st, detail::failure_info info)
{
    st.state = phase::failed;
    st.failure = info.code;
    st.failure_text = std::move(info.text);
    ERR_clear_error();
    return wsp::fail(info.code);
}

// Classifies an OpenSSL failure. Precedence: our own certificate verdict, then an alert the
// peer sent, then the OpenSSL reason code.
tl::unexpected<wsp::error> fail_from_openssl(session_state& st, int ssl_error)
{
    const bool in_handshake = st.state == phase::handshaking;
    const bool verify_fatal =
        st.verify.code != X509_V_OK && !(st.ctx.kind() == role::client && st.ctx.state().insecure);
    if (in_handshake && verify_fatal) {
        return fail_session(st, detail::verify_failure(st.verify, st.host, st.host_is_ip));
    }
    if (st.alert >= 0) {
        return fail_session(
            st, detail::alert_failure(st.alert, st.ctx.kind(), in_handshake, st.ctx.state().alpn_text));
    }
    if (ssl_error == SSL_ERROR_ZERO_RETURN && in_handshake) {
        return fail_session(
            st, {errc::peer_closed_during_handshake, "The peer sent close_notify during the TLS handshake"});
    }
    return fail_session(st, detail::reason_failure(ERR_peek_error(), in_handshake, st.eof));
}

wsp::expected<std::unique_ptr<session_state>> make_state(const context& ctx)
{
    auto st = std::make_unique<session_state>(ctx);
    st->ssl.reset(SSL_new(ctx.native_handle()));
    st->rbio = BIO_new(BIO_s_mem());
    st->wbio = BIO_new(BIO_s_mem());
    if (!st->ssl || st->rbio == nullptr || st->wbio == nullptr) {
        BIO_free(st->rbio);
        BIO_free(st->wbio);
        ERR_clear_error();
        return wsp::fail(errc::out_of_resources);
    }
    // An empty read BIO means "no data yet" (retry) until feed_eof() makes it report EOF.
    BIO_set_mem_eof_return(st->rbio, -1);
    SSL_set_bio(st->ssl.get(), st->rbio, st->wbio);
    SSL_set_app_data(st->ssl.get(), st.get());
    SSL_set_info_callback(st->ssl.get(), &detail::on_info);
    return st;
}

wsp::expected<void> apply_host(session_state& st, std::string_view host)
{
    // RFC 3986 §3.2.2: IPv6 literals appear in URLs inside brackets.
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    st.host.assign(host);
    if (st.host.empty()) {
        return {};
    }
    SSL* ssl = st.ssl.get();
    st.host_is_ip = detail::is_ip_literal(st.host);
    if (st.host_is_ip) {
        // RFC 6066 §3: SNI carries host names only, never IP literals; RFC 6125 §6.2: IP SAN.
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), st.host.c_str()) != 1) {
            return wsp::fail(errc::invalid_option);
        }
        return {};
    }
    if (SSL_set_tlsext_host_name(ssl, st.host.c_str()) != 1 || SSL_set1_host(ssl, st.host.c_str()) != 1) {
        ERR_clear_error();
        return wsp::fail(errc::invalid_option);
    }
    // RFC 6125 §6.4.3: a wildcard only as the complete left-most label.
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return {};
}

} // namespace

session::session(std::unique_ptr<detail::session_state> s) noexcept : st_(std::move(s)) {}
session::session(session&&) noexcept = default;
session& session::operator=(session&&) noexcept = default;
session::~session() = default;

wsp::expected<session> session::client(const context& ctx, std::string_view host, session_cache* cache,
                                       std::string_view cache_key)
{
    if (ctx.kind() != role::client) {
        return wsp::fail(errc::bad_state);
    }
    auto st = make_state(ctx);
    if (!st) {
        return tl::unexpected(st.error());
    }
    session_state& s = **st;
    SSL_set_connect_state(s.ssl.get());
    if (auto r = apply_host(s, host); !r) {
        return tl::unexpected(r.error());
    }
    if (cache != nullptr) {
        s.cache = cache;
        s.cache_key.assign(cache_key.empty() ? std::string_view(s.host) : cache_key);
        if (SSL_SESSION* cached = cache->find(s.cache_key)) {
            // OpenSSL marks a session not resumable when its connection failed; drop it. A
            // session OpenSSL refuses is simply not resumed; neither is an error.
            if (SSL_SESSION_is_resumable(cached) != 1) {
                cache->erase(s.cache_key);
            } else if (SSL_set_session(s.ssl.get(), cached) != 1) {
                ERR_clear_error();
            }
        }
    }
    return session(std::move(*st));
}

wsp::expected<session> session::server(const context& ctx)
{
    if (ctx.kind() != role::server) {
        return wsp::fail(errc::bad_state);
    }
    auto st = make_state(ctx);
    if (!st) {
        return tl::unexpected(st.error());
    }
    SSL_set_accept_state((*st)->ssl.get());
    return session(std::move(*st));
}

wsp::expected<void> session::feed(std::span<const std::byte> ciphertext)
{
    if (st_->eof || st_->state == phase::failed) {
        return wsp::fail(errc::bad_state);
    }
    while (!ciphertext.empty()) {
        const int chunk = static_cast<int>(std::min<std::size_t>(ciphertext.size(), INT_MAX));
        if (BIO_write(st_->rbio, ciphertext.data(), chunk) != chunk) {
            ERR_clear_error();
            return wsp::fail(errc::out_of_resources);
        }
        ciphertext = ciphertext.subspan(static_cast<std::size_t>(chunk));
    }
    return {};
}

wsp::expected<void> session::feed(std::string_view ciphertext)
{
    return feed(std::as_bytes(std::span<const char>(ciphertext.data(), ciphertext.size())));
}

void session::feed_eof() noexcept
{
    st_->eof = true;
    // Once the buffered bytes are consumed, reads report EOF (0) instead of "retry".
    BIO_set_mem_eof_return(st_->rbio, 0);
}

std::span<const std::byte> session::pending_output() const noexcept
{
    char* data = nullptr;
    const long len = BIO_get_mem_data(st_->wbio, &data);
    if (len <= 0 || data == nullptr) {
        return {};
    }
    return {reinterpret_cast<const std::byte*>(data), static_cast<std::size_t>(len)};
}

void session::consume_output(std::size_t n) noexcept
{
    const std::size_t pending = static_cast<std::size_t>(BIO_pending(st_->wbio));
    n = std::min(n, pending);
    if (n == 0) {
        return;
    }
    // A memory BIO keeps a read offset into its buffer: seeking it forward consumes without a
    // copy; the next write compacts the remainder to the front.
    const long offset = BIO_tell(st_->wbio);
    (void)BIO_seek(st_->wbio, offset + static_cast<long>(n));
}

std::size_t session::take_output(std::span<std::byte> out) noexcept
{
    const int want = static_cast<int>(std::min<std::size_t>(out.size(), INT_MAX));
    const int got = want > 0 ? BIO_read(st_->wbio, out.data(), want) : 0;
    return got > 0 ? static_cast<std::size_t>(got) : 0;
}

wsp::expected<status> session::handshake()
{
    session_state& st = *st_;
    if (st.state == phase::failed) {
        return tl::unexpected(st.failure);
    }
    if (st.state == phase::open) {
        return status::done;
    }
    ERR_clear_error();
    const int r = SSL_do_handshake(st.ssl.get());
    if (r == 1) {
        st.state = phase::open;
        const unsigned char* alpn = nullptr;
        unsigned alpn_len = 0;
        SSL_get0_alpn_selected(st.ssl.get(), &alpn, &alpn_len);
        // RFC 7301 §3.2: a server may ignore ALPN; a client that needs a protocol treats that as failure.
        if (st.ctx.kind() == role::client && st.ctx.state().require_alpn &&
            !st.ctx.state().alpn_wire.empty() && alpn_len == 0) {
            return fail_session(
                st, {errc::no_alpn_overlap, "The server selected none of the offered ALPN protocols (" +
                                                st.ctx.state().alpn_text + ")"});
        }
        return status::done;
    }
    const int e = SSL_get_error(st.ssl.get(), r);
    if (e == SSL_ERROR_WANT_READ) {
        return status::want_input;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        return status::want_output;
    }
    return fail_from_openssl(st, e);
}

wsp::expected<io_result> session::read_plain(std::span<std::byte> out)
{
    session_state& st = *st_;
    if (st.state == phase::failed) {
        return tl::unexpected(st.failure);
    }
    if (st.state != phase::open) {
        return wsp::fail(errc::bad_state);
    }
    if (st.peer_closed) {
        return io_result{0, status::closed};
    }
    if (out.empty()) {
        return io_result{0, status::done};
    }
    ERR_clear_error();
    std::size_t n = 0;
    const int r = SSL_read_ex(st.ssl.get(), out.data(), out.size(), &n);
    if (r == 1) {
        return io_result{n, status::done};
    }
    const int e = SSL_get_error(st.ssl.get(), r);
    switch (e) {
    case SSL_ERROR_WANT_READ: return io_result{0, status::want_input};
    case SSL_ERROR_WANT_WRITE: return io_result{0, status::want_output};
    case SSL_ERROR_ZERO_RETURN:
        // RFC 8446 §6.1: close_notify ends the peer's direction cleanly.
        st.peer_closed = true;
        return io_result{0, status::closed};
    default: return fail_from_openssl(st, e);
    }
}

wsp::expected<io_result> session::write_plain(std::span<const std::byte> in)
{
    session_state& st = *st_;
    if (st.state == phase::failed) {
        return tl::unexpected(st.failure);
    }
    if (st.state != phase::open || st.sent_close) {
        return wsp::fail(errc::bad_state);
    }
    constexpr std::size_t record_chunk = 16384; // RFC 8446 §5.1: max plaintext per record
    std::size_t total = 0;
    ERR_clear_error();
    while (total < in.size()) {
        if (static_cast<std::size_t>(BIO_pending(st.wbio)) >= st.output_limit) {
            return io_result{total, status::want_output};
        }
        const std::size_t chunk = std::min(in.size() - total, record_chunk);
        std::size_t n = 0;
        const int r = SSL_write_ex(st.ssl.get(), in.data() + total, chunk, &n);
        if (r == 1) {
            total += n;
            continue;
        }
        const int e = SSL_get_error(st.ssl.get(), r);
        if (e == SSL_ERROR_WANT_READ) {
            return io_result{total, status::want_input};
        }
        if (e == SSL_ERROR_WANT_WRITE) {
            return io_result{total, status::want_output};
        }
        return fail_from_openssl(st, e);
    }
    return io_result{total, status::done};
}

wsp::expected<io_result> session::write_plain(std::string_view in)
{
    return write_plain(std::as_bytes(std::span<const char>(in.data(), in.size())));
}

wsp::expected<status> session::shutdown()
{
    session_state& st = *st_;
    if (st.state == phase::failed) {
        return tl::unexpected(st.failure);
    }
    if (st.state != phase::open) {
        return wsp::fail(errc::bad_state);
    }
    ERR_clear_error();
    const int r = SSL_shutdown(st.ssl.get());
    st.sent_close = true;
    if (r == 1) {
        return status::done;
    }
    if (r == 0) {
        return st.peer_closed ? status::done : status::want_input;
    }
    const int e = SSL_get_error(st.ssl.get(), r);
    if (e == SSL_ERROR_WANT_READ) {
        return status::want_input;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        return status::want_output;
    }
    return fail_from_openssl(st, e);
}

void session::set_output_limit(std::size_t bytes) noexcept { st_->output_limit = bytes; }
bool session::handshake_done() const noexcept { return st_->state == phase::open; }
bool session::resumed() const noexcept { return SSL_session_reused(st_->ssl.get()) == 1; }
wsp::error session::failure() const noexcept { return st_->failure; }
const std::string& session::failure_text() const noexcept { return st_->failure_text; }
SSL* session::native_handle() const noexcept { return st_->ssl.get(); }

} // namespace wsp::tls
