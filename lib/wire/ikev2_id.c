/*
 * Identification payloads IDi and IDr, RFC 7296 §3.5 (body after the generic header):
 *
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   ID Type     |                 RESERVED                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                   Identification Data                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The whole body (reserved bytes included) is what the AUTH payload signs (§2.15).
 */
#include "wire/ikev2_payloads.h"

/* Data length each ID type needs: exact for addresses, at least 1 byte otherwise. */
static const struct {
    uint8_t type;
    uint8_t exact_len; /* 0: any non-zero length */
} id_types[] = {
    {IVPN_IKEV2_ID_IPV4_ADDR, 4},
    {IVPN_IKEV2_ID_FQDN, 0},
    {IVPN_IKEV2_ID_RFC822_ADDR, 0},
    {IVPN_IKEV2_ID_IPV6_ADDR, 16},
    {IVPN_IKEV2_ID_DER_ASN1_DN, 0},
    {IVPN_IKEV2_ID_DER_ASN1_GN, 0},
    {IVPN_IKEV2_ID_KEY_ID, 0},
};

int ivpn_ikev2_id_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_ikev2_id *out)
{
    ivpn_reader r;
    ivpn_reader_init_span(&r, body);
    out->type = ivpn_rd_u8(&r);
    ivpn_rd_copy(&r, out->reserved, 3);
    out->data = ivpn_rd_rest(&r);
    if (ivpn_rd_failed(&r) || out->data.len == 0) {
        IVPN_LOG_WARN(ctx, "IKEv2 ID: body of %zu bytes holds no identification", body.len);
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    for (size_t i = 0; i < sizeof(id_types) / sizeof(id_types[0]); i++) {
        if (id_types[i].type == out->type && id_types[i].exact_len &&
            id_types[i].exact_len != out->data.len) {
            IVPN_LOG_WARN(ctx, "IKEv2 ID: type %u needs %u bytes, has %zu", out->type,
                          id_types[i].exact_len, out->data.len);
            return IPSECVPN_ERR_IKE_MALFORMED;
        }
    }
    /* Types not in the table stay undecoded; the engine fails authentication on them. */
    return IPSECVPN_OK;
}

void ivpn_ikev2_id_encode(ivpn_writer *w, const ivpn_ikev2_id *id)
{
    ivpn_wr_u8(w, id->type);
    ivpn_wr_bytes(w, id->reserved, 3);
    ivpn_wr_bytes(w, id->data.p, id->data.len);
}
