/*
 * Nonce payload, RFC 7296 §3.9 (body after the generic header):
 *
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                            Nonce Data                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * "The size of the Nonce Data MUST be between 16 and 256 octets, inclusive."
 */
#include "wire/ikev2_payloads.h"

int ivpn_ikev2_nonce_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_ikev2_nonce *out)
{
    if (body.len < IVPN_IKEV2_NONCE_MIN || body.len > IVPN_IKEV2_NONCE_MAX) {
        IVPN_LOG_WARN(ctx, "IKEv2 Nonce: %zu bytes, not within 16..256", body.len);
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    out->data = body;
    return IPSECVPN_OK;
}

void ivpn_ikev2_nonce_encode(ivpn_writer *w, const ivpn_ikev2_nonce *n)
{
    if (n->data.len < IVPN_IKEV2_NONCE_MIN || n->data.len > IVPN_IKEV2_NONCE_MAX) {
        ivpn_wr_fail(w, IPSECVPN_ERR_INVALID_ARG);
        return;
    }
    ivpn_wr_bytes(w, n->data.p, n->data.len);
}
