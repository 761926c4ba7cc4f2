#include "tools/cli/tls_context.h"

#include "engine/probe/check.h"

namespace wsp::cli {

tl::expected<tls::context, std::string> make_client_tls_context(const proto::tls_options& t,
                                                                const std::string& ciphersuites)
{
    std::string why;
    auto ctx = probe::client_tls_context(t, t.offer_h2, ciphersuites, &why);
    if (!ctx) {
        return tl::unexpected(why.empty() ? std::string(ctx.error().describe()) : why);
    }
    return std::move(*ctx);
}

} // namespace wsp::cli
