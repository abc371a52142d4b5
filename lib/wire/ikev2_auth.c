/*
 * Authentication payload, RFC 7296 §3.8 (body after the generic header):
 *
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Auth Method   |                RESERVED                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Authentication Data                      ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The data is compared by the engine, constant-time (ivpn_ct_equal), never here.
 */
#include "wire/ikev2_payloads.h"

int ivpn_ikev2_auth_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_ikev2_auth *out)
{
    ivpn_reader r;
    ivpn_reader_init_span(&r, body);
    out->method = ivpn_rd_u8(&r);
    ivpn_rd_skip(&r, 3);
    out->data = ivpn_rd_rest(&r);
    if (ivpn_rd_failed(&r) || out->data.len == 0) {
        IVPN_LOG_WARN(ctx, "IKEv2 AUTH: body of %zu bytes holds no authentication data",
                      body.len);
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    return IPSECVPN_OK;
}

void ivpn_ikev2_auth_encode(ivpn_writer *w, const ivpn_ikev2_auth *auth)
{
    ivpn_wr_u8(w, auth->method);
    ivpn_wr_zeros(w, 3);
    ivpn_wr_bytes(w, auth->data.p, auth->data.len);
}
