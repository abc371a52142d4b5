/*
 * Phase 1 of ISAKMP decoding: the chain of generic payload headers, RFC 2408 §3.2:
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Payload Length includes the 4-byte header, so each step advances by at least 4 bytes and
 * a bad length cannot loop. Only lengths are checked here; bodies are read by the payload
 * codecs afterwards. There is no critical bit in ISAKMP: unknown types are counted in
 * skipped_unknown and left out of the list (the rules check then refuses the message).
 */
#include <string.h>

#include "wire/isakmp.h"

#define GENERIC_HDR_LEN 4

static const char *const payload_names[] = {
    [IVPN_ISAKMP_PL_SA] = "SA",       [IVPN_ISAKMP_PL_P] = "P",
    [IVPN_ISAKMP_PL_T] = "T",         [IVPN_ISAKMP_PL_KE] = "KE",
    [IVPN_ISAKMP_PL_ID] = "ID",       [IVPN_ISAKMP_PL_CERT] = "CERT",
    [IVPN_ISAKMP_PL_CR] = "CR",       [IVPN_ISAKMP_PL_HASH] = "HASH",
    [IVPN_ISAKMP_PL_SIG] = "SIG",     [IVPN_ISAKMP_PL_NONCE] = "NONCE",
    [IVPN_ISAKMP_PL_N] = "N",         [IVPN_ISAKMP_PL_D] = "D",
    [IVPN_ISAKMP_PL_VID] = "VID",     [IVPN_ISAKMP_PL_NATD] = "NAT-D",
    [IVPN_ISAKMP_PL_NATOA] = "NAT-OA", [IVPN_ISAKMP_PL_NATD_DRAFT] = "NAT-D(draft)",
    [IVPN_ISAKMP_PL_NATOA_DRAFT] = "NAT-OA(draft)",
};

const char *ivpn_isakmp_payload_name(uint8_t type)
{
    if (type == IVPN_ISAKMP_PL_NONE)
        return "NONE";
    if (type < sizeof(payload_names) / sizeof(payload_names[0]) && payload_names[type])
        return payload_names[type];
    return "UNKNOWN";
}

/* Every type with a name is known; P and T are known but only valid inside an SA. */
static bool is_known(uint8_t type)
{
    return type < sizeof(payload_names) / sizeof(payload_names[0]) && payload_names[type];
}

static bool is_substructure(uint8_t type)
{
    return type == IVPN_ISAKMP_PL_P || type == IVPN_ISAKMP_PL_T;
}

int ivpn_isakmp_chain_walk(const ipsecvpn_ctx *ctx, uint8_t first, const uint8_t *p, size_t len,
                           bool allow_trailing, ivpn_isakmp_payload_list *out)
{
    ivpn_reader r;
    uint8_t type = first;

    memset(out, 0, sizeof(*out));
    ivpn_reader_init(&r, p, len);
    while (type != IVPN_ISAKMP_PL_NONE) {
        size_t at = r.off;
        uint8_t next = ivpn_rd_u8(&r);
        uint16_t plen;
        ivpn_span body;

        ivpn_rd_skip(&r, 1);
        plen = ivpn_rd_u16(&r);
        if (ivpn_rd_failed(&r)) {
            IVPN_LOG_WARN(ctx, "ISAKMP: payload %s header cut short at offset %zu",
                          ivpn_isakmp_payload_name(type), at);
            return IPSECVPN_ERR_IKE_MALFORMED;
        }
        if (plen < GENERIC_HDR_LEN) {
            IVPN_LOG_WARN(ctx, "ISAKMP: payload %s length %u < 4",
                          ivpn_isakmp_payload_name(type), plen);
            return IPSECVPN_ERR_IKE_MALFORMED;
        }
        body = ivpn_rd_span(&r, plen - GENERIC_HDR_LEN);
        if (ivpn_rd_failed(&r)) {
            IVPN_LOG_WARN(ctx, "ISAKMP: payload %s length %u passes the end (%zu bytes left)",
                          ivpn_isakmp_payload_name(type), plen, len - at);
            return IPSECVPN_ERR_IKE_MALFORMED;
        }
        if (is_substructure(type)) {
            IVPN_LOG_WARN(ctx, "ISAKMP: %s substructure outside an SA payload",
                          ivpn_isakmp_payload_name(type));
            return IPSECVPN_ERR_IKE_MALFORMED;
        }
        if (!is_known(type)) {
            out->skipped_unknown += out->skipped_unknown < UINT16_MAX;
        } else {
            ivpn_isakmp_payload_ref *ref;
            if (out->count == IVPN_ISAKMP_MAX_PAYLOADS) {
                IVPN_LOG_WARN(ctx, "ISAKMP: more than %d payloads in one chain",
                              IVPN_ISAKMP_MAX_PAYLOADS);
                return IPSECVPN_ERR_IKE_MALFORMED;
            }
            ref = &out->items[out->count++];
            ref->type = type;
            ref->body = body;
            ref->whole.p = p + at;
            ref->whole.len = plen;
        }
        type = next;
    }
    /* Decrypted chains end in CBC padding (RFC 2409 Appendix B): only then may bytes follow. */
    if (!allow_trailing && ivpn_rd_remaining(&r) != 0) {
        IVPN_LOG_WARN(ctx, "ISAKMP: %zu bytes after the last payload", ivpn_rd_remaining(&r));
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    return IPSECVPN_OK;
}

const ivpn_isakmp_payload_ref *ivpn_isakmp_list_find(const ivpn_isakmp_payload_list *l,
                                                     uint8_t type)
{
    for (unsigned i = 0; i < l->count; i++)
        if (l->items[i].type == type)
            return &l->items[i];
    return NULL;
}

unsigned ivpn_isakmp_list_count(const ivpn_isakmp_payload_list *l, uint8_t type)
{
    unsigned n = 0;
    for (unsigned i = 0; i < l->count; i++)
        n += l->items[i].type == type;
    return n;
}
