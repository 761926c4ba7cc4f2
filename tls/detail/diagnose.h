// Turns OpenSSL outcomes (X509 verify codes, RFC 8446 §6 alerts, SSL reason codes) into a
// wsp::tls::errc and one sentence a person can act on.
#pragma once

#include <string>
#include <string_view>

#include "tls/context.h"
#include "tls/detail/x509_info.h"
#include "tls/error.h"

namespace wsp::tls::detail {

// The first certificate verification failure seen by the verify callback (code 0: none).
struct verify_record {
    int code = 0;
    int depth = 0;
    cert_summary cert;
};

struct failure_info {
    errc code = errc::ok;
    std::string text;
};

// The errc a X509_V_ERR_* code maps to (ok for X509_V_OK).
[[nodiscard]] errc errc_for_verify(int x509_code) noexcept;
// target: the host or IP the client asked for ("" on the server side).
[[nodiscard]] failure_info verify_failure(const verify_record& v, std::string_view target, bool target_is_ip);
// A fatal alert received from the peer; `us` is our role, alpn_offered is "h2, http/1.1" or "".
[[nodiscard]] failure_info alert_failure(int alert_desc, role us, bool in_handshake,
                                         std::string_view alpn_offered);
// An OpenSSL error-queue code (ERR_peek_error) when neither a verify record nor an alert applies.
[[nodiscard]] failure_info reason_failure(unsigned long err_code, bool in_handshake, bool transport_eof);

} // namespace wsp::tls::detail
