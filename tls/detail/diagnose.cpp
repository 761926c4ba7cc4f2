// Failure classification and sentences for RFC 5280 §6 path validation, RFC 6125 §6 name checks
// and RFC 8446 §6 alerts.
#include "tls/detail/diagnose.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "tls/time.h"

namespace wsp::tls::detail {

errc errc_for_verify(int x509_code) noexcept
{
    switch (x509_code) {
    case X509_V_OK: return errc::ok;
    case X509_V_ERR_CERT_HAS_EXPIRED: return errc::certificate_expired;
    case X509_V_ERR_CERT_NOT_YET_VALID: return errc::certificate_not_yet_valid;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: return errc::self_signed;
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED: return errc::untrusted_issuer;
    case X509_V_ERR_HOSTNAME_MISMATCH: return errc::hostname_mismatch;
    case X509_V_ERR_IP_ADDRESS_MISMATCH: return errc::ip_address_mismatch;
    default: return errc::certificate_invalid;
    }
}

namespace {

std::string which_cert(const verify_record& v)
{
    const std::string subject = v.cert.subject.empty() ? std::string("(no subject)") : v.cert.subject;
    return v.depth == 0 ? "The certificate for " + subject
                        : "The CA certificate " + subject + " in the chain";
}

// OpenSSL 3.0 names only the TLS 1.2 alerts; RFC 8446 §6 adds these.
std::string alert_name(int desc)
{
    switch (desc) {
    case 109: return "missing extension";
    case 115: return "unknown PSK identity";
    case 116: return "certificate required";
    case 120: return "no application protocol";
    default: return SSL_alert_desc_string_long(desc);
    }
}

} // namespace

failure_info verify_failure(const verify_record& v, std::string_view target, bool target_is_ip)
{
    const errc code = errc_for_verify(v.code);
    const std::string verify_text = X509_verify_cert_error_string(v.code);
    switch (code) {
    case errc::certificate_expired:
        return {code,
                which_cert(v) + " expired on " + iso8601(v.cert.not_after) + "; the server must renew it"};
    case errc::certificate_not_yet_valid:
        return {code, which_cert(v) + " is not valid until " + iso8601(v.cert.not_before) +
                          "; check the certificate dates and this machine's clock"};
    case errc::self_signed:
        return {code, which_cert(v) + " is self-signed (issuer " + v.cert.issuer +
                          ") and not trusted; add it with ca_file, or use insecure mode to ignore this"};
    case errc::untrusted_issuer:
        return {code, which_cert(v) + " was issued by " + v.cert.issuer +
                          ", which is not a trusted CA; add that CA with ca_file or serve the full chain (" +
                          verify_text + ")"};
    case errc::hostname_mismatch:
    case errc::ip_address_mismatch:
        return {code, "The certificate does not cover " +
                          std::string(target_is_ip ? "IP address " : "host name ") + std::string(target) +
                          "; it is valid for: " + join_names(v.cert.san_dns, v.cert.san_ip)};
    default:
        return {code, "Certificate verification failed: " + verify_text + " (" + which_cert(v) + ", depth " +
                          std::to_string(v.depth) + ")"};
    }
}

failure_info alert_failure(int alert_desc, role us, bool in_handshake, std::string_view alpn_offered)
{
    const std::string peer = us == role::client ? "server" : "client";
    const std::string name = alert_name(alert_desc);
    const std::string tag = " (alert: " + name + ")";
    switch (alert_desc) {
    case SSL_AD_PROTOCOL_VERSION:
        // RFC 8446 §6.2: protocol_version means no version both sides support.
        return {errc::protocol_version, "The " + peer + " refused every TLS version offered" + tag +
                                            "; check min_version/max_version on both sides"};
    case SSL_AD_NO_APPLICATION_PROTOCOL:
        // RFC 7301 §3.2: no_application_protocol means no ALPN overlap.
        return {errc::no_alpn_overlap,
                "The " + peer + " supports none of the offered ALPN protocols" +
                    (alpn_offered.empty() ? std::string() : " (" + std::string(alpn_offered) + ")") + tag};
    case SSL_AD_CERTIFICATE_REQUIRED:
        // RFC 8446 §4.4.2.4: certificate_required when a client sends no certificate.
        return {errc::client_certificate_required,
                "The server requires a client certificate" + tag + "; configure a certificate and key"};
    default: break;
    }
    const std::string when =
        in_handshake ? " aborted the handshake with a fatal alert: " : " sent a fatal alert: ";
    return {errc::alert_received, "The " + peer + when + name + " (" + std::to_string(alert_desc) + ")"};
}

failure_info reason_failure(unsigned long err_code, bool in_handshake, bool transport_eof)
{
    const int reason = ERR_GET_LIB(err_code) == ERR_LIB_SSL ? ERR_GET_REASON(err_code) : 0;
    const char* text = err_code != 0 ? ERR_reason_error_string(err_code) : nullptr;
    const std::string why = text != nullptr ? text : "no OpenSSL reason";
    if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING || (err_code == 0 && transport_eof)) {
        if (in_handshake) {
            return {errc::peer_closed_during_handshake,
                    "The peer closed the connection during the TLS handshake"};
        }
        return {errc::truncated,
                "The peer closed the connection without a TLS close_notify; data may be truncated"};
    }
    switch (reason) {
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_UNSUPPORTED_SSL_VERSION:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_VERSION_TOO_HIGH:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
        return {errc::protocol_version, "No TLS version is acceptable to both sides: " + why};
    case SSL_R_NO_APPLICATION_PROTOCOL:
        return {errc::no_alpn_overlap, "No ALPN protocol is acceptable to both sides: " + why};
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
        return {errc::client_certificate_required, "The client sent no certificate but one is required"};
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_HTTP_REQUEST:
        return {errc::handshake_failed,
                "TLS handshake failed: " + why + "; the peer may not be speaking TLS on this port"};
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
        return {errc::certificate_invalid, "Certificate verification failed: " + why};
    default: break;
    }
    if (in_handshake) {
        return {errc::handshake_failed, "TLS handshake failed: " + why};
    }
    return {errc::record_error, "TLS record layer failed: " + why};
}

} // namespace wsp::tls::detail
