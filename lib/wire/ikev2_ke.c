/*
 * Key Exchange payload, RFC 7296 §3.4 (body after the generic header):
 *
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Diffie-Hellman Group Num    |           RESERVED            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Key Exchange Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The data length depends on the group; the crypto layer checks it (and the value itself).
 */
#include "wire/ikev2_payloads.h"

int ivpn_ikev2_ke_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_ikev2_ke *out)
{
    ivpn_reader r;
    ivpn_reader_init_span(&r, body);
    out->dh_group = ivpn_rd_u16(&r);
    ivpn_rd_skip(&r, 2);
    out->data = ivpn_rd_rest(&r);
    if (ivpn_rd_failed(&r) || out->data.len == 0) {
        IVPN_LOG_WARN(ctx, "IKEv2 KE: body of %zu bytes holds no key exchange data", body.len);
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    return IPSECVPN_OK;
}

void ivpn_ikev2_ke_encode(ivpn_writer *w, const ivpn_ikev2_ke *ke)
{
    ivpn_wr_u16(w, ke->dh_group);
    ivpn_wr_u16(w, 0);
    ivpn_wr_bytes(w, ke->data.p, ke->data.len);
}
