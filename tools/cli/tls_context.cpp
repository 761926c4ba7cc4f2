#include "tools/cli/tls_context.h"

namespace wsp::cli {

tl::expected<tls::context, std::string> make_client_tls_context(const proto::tls_options& t,
                                                                const std::string& ciphersuites)
{
    auto b = tls::context_builder::client();
    // RFC 7301: offered in preference order; h2 only when the check may use RFC 8441.
    if (t.offer_h2) {
        b.insecure(t.insecure).alpn({"h2", "http/1.1"});
    } else {
        b.insecure(t.insecure).alpn({"http/1.1"});
    }
    if (t.ca_file) {
        b.ca_file(*t.ca_file);
    }
    if (t.cert_file && t.key_file) {
        b.certificate_file(*t.cert_file, *t.key_file);
    }
    if (t.min_tls13) {
        b.min_version(tls::tls_version::tls1_3);
    }
    if (!ciphersuites.empty()) {
        b.ciphersuites(ciphersuites);
    }
    auto ctx = b.build();
    if (!ctx) {
        return tl::unexpected(b.error_text().empty() ? std::string(ctx.error().describe()) : b.error_text());
    }
    return std::move(*ctx);
}

} // namespace wsp::cli
