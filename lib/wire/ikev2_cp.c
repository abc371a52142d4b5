/*
 * Configuration payload, RFC 7296 §3.15 (body after the generic header):
 *
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   CFG Type    |                    RESERVED                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                   Configuration Attributes                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Configuration attribute (§3.15.1):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|         Attribute Type      |            Length             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                             Value                             ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * The R bit is reserved; it is ignored on receipt (§3.15.1) and written as 0.
 */
#include <string.h>

#include "wire/ikev2_payloads.h"

#define BAD(...) do { IVPN_LOG_WARN(ctx, "IKEv2 CP: " __VA_ARGS__); return IPSECVPN_ERR_IKE_MALFORMED; } while (0)

int ivpn_ikev2_cp_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_ikev2_cp *out)
{
    ivpn_reader r;

    memset(out, 0, sizeof(*out));
    ivpn_reader_init_span(&r, body);
    out->cfg_type = ivpn_rd_u8(&r);
    ivpn_rd_skip(&r, 3);
    if (ivpn_rd_failed(&r))
        BAD("body of %zu bytes is shorter than 4", body.len);
    if (out->cfg_type < IVPN_IKEV2_CFG_REQUEST || out->cfg_type > IVPN_IKEV2_CFG_ACK)
        BAD("unknown CFG type %u", out->cfg_type);
    while (ivpn_rd_remaining(&r) > 0) {
        ivpn_ikev2_cp_attr *a;
        uint16_t type = ivpn_rd_u16(&r) & 0x7fff;
        uint16_t len = ivpn_rd_u16(&r);
        ivpn_span value = ivpn_rd_span(&r, len);
        if (ivpn_rd_failed(&r))
            BAD("attribute %u cut short", type);
        if (out->count == IVPN_IKEV2_MAX_CP_ATTRS)
            BAD("more than %d attributes", IVPN_IKEV2_MAX_CP_ATTRS);
        a = &out->attrs[out->count++];
        a->type = type;
        a->value = value;
    }
    return IPSECVPN_OK;
}

void ivpn_ikev2_cp_encode(ivpn_writer *w, const ivpn_ikev2_cp *cp)
{
    if (cp->count > IVPN_IKEV2_MAX_CP_ATTRS) {
        ivpn_wr_fail(w, IPSECVPN_ERR_INVALID_ARG);
        return;
    }
    ivpn_wr_u8(w, cp->cfg_type);
    ivpn_wr_zeros(w, 3);
    for (unsigned i = 0; i < cp->count; i++) {
        ivpn_wr_u16(w, cp->attrs[i].type & 0x7fff);
        if (cp->attrs[i].value.len > 0xffff) {
            ivpn_wr_fail(w, IPSECVPN_ERR_INVALID_ARG);
            return;
        }
        ivpn_wr_u16(w, (uint16_t)cp->attrs[i].value.len);
        ivpn_wr_bytes(w, cp->attrs[i].value.p, cp->attrs[i].value.len);
    }
}
