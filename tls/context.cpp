// Context builder: trust store, identity, versions, ciphers and ALPN (RFC 7301) on one SSL_CTX.
#include "tls/context.h"

#include <openssl/pem.h>

#include "tls/detail/context_state.h"

namespace wsp::tls {

role context::kind() const noexcept { return state_->kind; }
SSL_CTX* context::native_handle() const noexcept { return state_->ctx.get(); }

context_builder context_builder::client() { return context_builder(role::client); }
context_builder context_builder::server() { return context_builder(role::server); }

context_builder& context_builder::ca_file(std::string path)
{
    ca_files_.push_back(std::move(path));
    return *this;
}
context_builder& context_builder::ca_pem(std::string pem)
{
    ca_pems_.push_back(std::move(pem));
    return *this;
}
context_builder& context_builder::insecure(bool on)
{
    insecure_ = on;
    return *this;
}
context_builder& context_builder::certificate_file(std::string cert_path, std::string key_path)
{
    cert_path_ = std::move(cert_path);
    key_path_ = std::move(key_path);
    return *this;
}
context_builder& context_builder::certificate_pem(std::string cert_pem, std::string key_pem)
{
    cert_pem_ = std::move(cert_pem);
    key_pem_ = std::move(key_pem);
    return *this;
}
context_builder& context_builder::min_version(tls_version v)
{
    min_version_ = v;
    return *this;
}
context_builder& context_builder::max_version(tls_version v)
{
    max_version_ = v;
    return *this;
}
context_builder& context_builder::alpn(std::vector<std::string> protocols)
{
    alpn_ = std::move(protocols);
    return *this;
}
context_builder& context_builder::require_alpn(bool on)
{
    require_alpn_ = on;
    return *this;
}
context_builder& context_builder::on_alpn_mismatch(alpn_mismatch policy)
{
    alpn_mismatch_ = policy;
    return *this;
}
context_builder& context_builder::require_client_certificate(bool on)
{
    require_client_cert_ = on;
    return *this;
}
context_builder& context_builder::ciphersuites(std::string suites)
{
    ciphersuites_ = std::move(suites);
    return *this;
}
context_builder& context_builder::cipher_list(std::string list)
{
    cipher_list_ = std::move(list);
    return *this;
}
context_builder& context_builder::verify_time(std::int64_t epoch_seconds)
{
    verify_time_ = epoch_seconds;
    return *this;
}

tl::unexpected<wsp::error> context_builder::fail_with(errc code, std::string text)
{
    const std::string reason = detail::take_openssl_error();
    error_text_ = std::move(text);
    if (!reason.empty()) {
        error_text_ += " (OpenSSL: " + reason + ")";
    }
    return wsp::fail(code);
}

namespace {

// Adds every certificate in a PEM blob to the store; returns how many were added.
int add_pem_certificates(X509_STORE* store, const std::string& pem)
{
    detail::bio_ptr in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    int added = 0;
    while (in) {
        detail::x509_ptr cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
        if (!cert) {
            break;
        }
        if (X509_STORE_add_cert(store, cert.get()) != 1) {
            return -1;
        }
        ++added;
    }
    ERR_clear_error(); // the loop ends on a "no start line" error by design
    return added;
}

int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* arg)
{
    const auto* st = static_cast<const detail::context_state*>(arg);
    unsigned char* chosen = nullptr;
    unsigned char chosen_len = 0;
    const auto* ours = reinterpret_cast<const unsigned char*>(st->alpn_wire.data());
    // RFC 7301 §3.2: the server picks from the client's list, here in the server's preference order.
    if (inlen > 0 &&
        SSL_select_next_proto(&chosen, &chosen_len, ours, static_cast<unsigned>(st->alpn_wire.size()), in,
                              inlen) == OPENSSL_NPN_NEGOTIATED) {
        *out = chosen;
        *outlen = chosen_len;
        return SSL_TLSEXT_ERR_OK;
    }
    // RFC 7301 §3.2: no overlap -> fatal no_application_protocol alert (or ignore, if configured).
    return st->on_alpn_mismatch == alpn_mismatch::alert ? SSL_TLSEXT_ERR_ALERT_FATAL : SSL_TLSEXT_ERR_NOACK;
}

} // namespace

wsp::expected<void> context_builder::load_trust(SSL_CTX* ctx)
{
    for (const auto& path : ca_files_) {
        if (SSL_CTX_load_verify_file(ctx, path.c_str()) != 1) {
            return fail_with(errc::ca_file_unusable,
                             "Cannot load CA certificates from '" + path +
                                 "'; check that the file exists and holds PEM certificates");
        }
    }
    for (const auto& pem : ca_pems_) {
        if (add_pem_certificates(SSL_CTX_get_cert_store(ctx), pem) <= 0) {
            return fail_with(errc::ca_file_unusable, "The CA PEM text holds no usable certificate");
        }
    }
    if (ca_files_.empty() && ca_pems_.empty()) {
        if (role_ == role::server && require_client_cert_) {
            return fail_with(errc::invalid_option,
                             "require_client_certificate needs ca_file or ca_pem naming the client CA");
        }
        if (role_ == role::client && SSL_CTX_set_default_verify_paths(ctx) != 1) {
            return fail_with(errc::ca_file_unusable, "Cannot load the system certificate store");
        }
    }
    return {};
}

wsp::expected<void> context_builder::load_identity(SSL_CTX* ctx)
{
    if (!cert_path_.empty()) {
        if (SSL_CTX_use_certificate_chain_file(ctx, cert_path_.c_str()) != 1) {
            return fail_with(errc::certificate_unusable,
                             "Cannot load the certificate chain from '" + cert_path_ + "'");
        }
        if (SSL_CTX_use_PrivateKey_file(ctx, key_path_.c_str(), SSL_FILETYPE_PEM) != 1) {
            return fail_with(errc::certificate_unusable,
                             "Cannot load the private key from '" + key_path_ + "'");
        }
    } else if (!cert_pem_.empty()) {
        detail::bio_ptr in(BIO_new_mem_buf(cert_pem_.data(), static_cast<int>(cert_pem_.size())));
        detail::x509_ptr leaf(in ? PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr) : nullptr);
        if (!leaf || SSL_CTX_use_certificate(ctx, leaf.get()) != 1) {
            return fail_with(errc::certificate_unusable,
                             "The certificate PEM text holds no usable certificate");
        }
        while (detail::x509_ptr extra{PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr)}) {
            if (SSL_CTX_add1_chain_cert(ctx, extra.get()) != 1) {
                return fail_with(errc::certificate_unusable, "Cannot add a chain certificate");
            }
        }
        ERR_clear_error();
        detail::bio_ptr key_in(BIO_new_mem_buf(key_pem_.data(), static_cast<int>(key_pem_.size())));
        detail::pkey_ptr key(key_in ? PEM_read_bio_PrivateKey(key_in.get(), nullptr, nullptr, nullptr)
                                    : nullptr);
        if (!key) {
            return fail_with(errc::certificate_unusable, "The private key PEM text holds no usable key");
        }
        if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) {
            return fail_with(errc::certificate_unusable, "The private key does not match the certificate");
        }
    } else if (role_ == role::server) {
        return fail_with(errc::certificate_unusable, "A server context needs a certificate and key");
    } else {
        return {};
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        return fail_with(errc::certificate_unusable, "The private key does not match the certificate");
    }
    return {};
}

wsp::expected<void> context_builder::apply_protocol_options(SSL_CTX* ctx, detail::context_state& st)
{
    const int max_v = max_version_ ? static_cast<int>(*max_version_) : 0;
    if (max_version_ && *max_version_ < min_version_) {
        return fail_with(errc::invalid_option, "max_version is below min_version");
    }
    if (SSL_CTX_set_min_proto_version(ctx, static_cast<int>(min_version_)) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, max_v) != 1) {
        return fail_with(errc::invalid_option, "TLS version limits rejected");
    }
    if (!ciphersuites_.empty() && SSL_CTX_set_ciphersuites(ctx, ciphersuites_.c_str()) != 1) {
        return fail_with(errc::invalid_option, "TLS 1.3 ciphersuites '" + ciphersuites_ + "' rejected");
    }
    if (!cipher_list_.empty() && SSL_CTX_set_cipher_list(ctx, cipher_list_.c_str()) != 1) {
        return fail_with(errc::invalid_option, "TLS 1.2 cipher list '" + cipher_list_ + "' rejected");
    }
    for (const auto& p : alpn_) {
        // RFC 7301 §3.1: each protocol name is 1..255 octets.
        if (p.empty() || p.size() > 255) {
            return fail_with(errc::invalid_option, "ALPN protocol names must be 1 to 255 bytes long");
        }
        st.alpn_wire.push_back(static_cast<char>(p.size()));
        st.alpn_wire += p;
        st.alpn_text += (st.alpn_text.empty() ? "" : ", ") + p;
    }
    if (st.alpn_wire.empty()) {
        return {};
    }
    if (role_ == role::client) {
        // SSL_CTX_set_alpn_protos returns 0 on success, unlike most of OpenSSL.
        if (SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(st.alpn_wire.data()),
                                    static_cast<unsigned>(st.alpn_wire.size())) != 0) {
            return fail_with(errc::invalid_option, "ALPN list rejected");
        }
    } else {
        SSL_CTX_set_alpn_select_cb(ctx, &select_alpn, &st);
    }
    return {};
}

wsp::expected<context> context_builder::build()
{
    error_text_.clear();
    ERR_clear_error();
    auto st = std::make_shared<detail::context_state>();
    st->ctx.reset(SSL_CTX_new(role_ == role::client ? TLS_client_method() : TLS_server_method()));
    if (!st->ctx) {
        return fail_with(errc::out_of_resources, "Cannot create an OpenSSL context");
    }
    SSL_CTX* ctx = st->ctx.get();
    st->kind = role_;
    st->insecure = insecure_;
    st->require_alpn = require_alpn_;
    st->on_alpn_mismatch = alpn_mismatch_;
    // Many sessions share this context: release idle record buffers, let callers pass a different
    // (moved) buffer when retrying a write, and accept partial writes so output stays bounded.
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_ENABLE_PARTIAL_WRITE);
    // RFC 5746 renegotiation is refused both ways; TLS 1.3 post-handshake messages still flow.
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    if (auto r = load_trust(ctx); !r) {
        return tl::unexpected(r.error());
    }
    if (auto r = load_identity(ctx); !r) {
        return tl::unexpected(r.error());
    }
    if (auto r = apply_protocol_options(ctx, *st); !r) {
        return tl::unexpected(r.error());
    }
    if (verify_time_) {
        X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(ctx), static_cast<time_t>(*verify_time_));
    }
    if (role_ == role::client) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, &detail::on_verify);
        // Sessions reach the caller's cache only through the callback (TLS 1.3 tickets arrive
        // after the handshake); OpenSSL's own client cache is never used.
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(ctx, &detail::on_new_session);
    } else {
        static constexpr unsigned char sid_ctx[] = "wsprobe";
        SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);
        if (require_client_cert_) {
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, &detail::on_verify);
        }
    }
    return context(std::move(st));
}

} // namespace wsp::tls
