/*
 * Vendor ID payload, RFC 7296 §3.12 (body after the generic header):
 *
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        Vendor ID (VID)                        ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Opaque; recognised by the engine if at all, ignored otherwise.
 */
#include "wire/ikev2_payloads.h"

int ivpn_ikev2_vendor_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_ikev2_vendor *out)
{
    if (body.len == 0) {
        IVPN_LOG_WARN(ctx, "IKEv2 Vendor ID: empty");
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    out->data = body;
    return IPSECVPN_OK;
}

void ivpn_ikev2_vendor_encode(ivpn_writer *w, const ivpn_ikev2_vendor *v)
{
    ivpn_wr_bytes(w, v->data.p, v->data.len);
}
