/*
 * Phase 1 of IKEv2 decoding: the chain of generic payload headers, RFC 7296 §3.2:
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Payload Length includes this 4-byte header, so every step advances by at least 4 bytes:
 * a zero or short length cannot loop. The critical bit only matters for types we do not
 * know: critical → reject the message (the engine reports UNSUPPORTED_CRITICAL_PAYLOAD),
 * not critical → skip the payload.
 */
#include "wire/ikev2_chain.h"

#include <string.h>

#include "wire/ikev2_payloads.h"

#define GENERIC_HDR_LEN 4
#define CRITICAL_BIT 0x80

bool ivpn_ikev2_payload_known(uint8_t type)
{
    return (type >= IVPN_IKEV2_PL_SA && type <= IVPN_IKEV2_PL_EAP) || type == IVPN_IKEV2_PL_SKF;
}

static bool is_encrypted(uint8_t type)
{
    return type == IVPN_IKEV2_PL_SK || type == IVPN_IKEV2_PL_SKF;
}

int ivpn_ikev2_chain_walk(const ipsecvpn_ctx *ctx, uint8_t first, const uint8_t *p, size_t len,
                          bool allow_sk, ivpn_ikev2_payload_list *out)
{
    ivpn_reader r;
    uint8_t type = first;

    memset(out, 0, sizeof(*out));
    ivpn_reader_init(&r, p, len);
    while (type != IVPN_IKEV2_PL_NONE) {
        size_t at = r.off;
        uint8_t next = ivpn_rd_u8(&r);
        bool critical = (ivpn_rd_u8(&r) & CRITICAL_BIT) != 0;
        uint16_t plen = ivpn_rd_u16(&r);
        ivpn_span body;

        if (ivpn_rd_failed(&r)) {
            IVPN_LOG_WARN(ctx, "IKEv2: payload %s header cut short at offset %zu",
                          ivpn_ikev2_payload_name(type), at);
            return IPSECVPN_ERR_IKE_MALFORMED;
        }
        if (plen < GENERIC_HDR_LEN) {
            IVPN_LOG_WARN(ctx, "IKEv2: payload %s length %u < 4", ivpn_ikev2_payload_name(type),
                          plen);
            return IPSECVPN_ERR_IKE_MALFORMED;
        }
        body = ivpn_rd_span(&r, plen - GENERIC_HDR_LEN);
        if (ivpn_rd_failed(&r)) {
            IVPN_LOG_WARN(ctx, "IKEv2: payload %s length %u passes the end (%zu bytes left)",
                          ivpn_ikev2_payload_name(type), plen, len - at);
            return IPSECVPN_ERR_IKE_MALFORMED;
        }
        if (!ivpn_ikev2_payload_known(type)) {
            if (critical && !out->unsupported_critical)
                out->unsupported_critical = type;
            out->skipped_unknown += !critical && out->skipped_unknown < UINT16_MAX;
        } else {
            ivpn_ikev2_payload_ref *ref;
            if (is_encrypted(type) && !allow_sk) {
                IVPN_LOG_WARN(ctx, "IKEv2: %s payload inside an encrypted payload",
                              ivpn_ikev2_payload_name(type));
                return IPSECVPN_ERR_IKE_MALFORMED;
            }
            if (out->count == IVPN_IKEV2_MAX_PAYLOADS) {
                IVPN_LOG_WARN(ctx, "IKEv2: more than %d payloads in one chain",
                              IVPN_IKEV2_MAX_PAYLOADS);
                return IPSECVPN_ERR_IKE_MALFORMED;
            }
            ref = &out->items[out->count++];
            ref->type = type;
            ref->critical = critical;
            ref->body = body;
            ref->whole.p = p + at;
            ref->whole.len = plen;
            if (is_encrypted(type)) {
                /* §3.14: the Encrypted payload is the last one; its Next Payload names the
                 * first payload inside it, not a payload following it. */
                out->sk_first_inner = next;
                if (ivpn_rd_remaining(&r) != 0) {
                    IVPN_LOG_WARN(ctx, "IKEv2: %zu bytes after the %s payload",
                                  ivpn_rd_remaining(&r), ivpn_ikev2_payload_name(type));
                    return IPSECVPN_ERR_IKE_MALFORMED;
                }
                break;
            }
        }
        type = next;
    }
    if (ivpn_rd_remaining(&r) != 0) {
        IVPN_LOG_WARN(ctx, "IKEv2: %zu bytes after the last payload", ivpn_rd_remaining(&r));
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    if (out->unsupported_critical) {
        IVPN_LOG_WARN(ctx, "IKEv2: unsupported critical payload type %u",
                      out->unsupported_critical);
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    return IPSECVPN_OK;
}

int ivpn_ikev2_message_parse(const ipsecvpn_ctx *ctx, const uint8_t *msg, size_t len,
                             ivpn_ikev2_header *hdr, ivpn_ikev2_payload_list *outer)
{
    int rc = ivpn_ikev2_header_decode(ctx, msg, len, hdr);
    if (rc != IPSECVPN_OK) {
        memset(outer, 0, sizeof(*outer));
        return rc;
    }
    return ivpn_ikev2_chain_walk(ctx, hdr->next_payload, msg + IVPN_IKEV2_HDR_LEN,
                                 len - IVPN_IKEV2_HDR_LEN, true, outer);
}

const ivpn_ikev2_payload_ref *ivpn_ikev2_list_find(const ivpn_ikev2_payload_list *l, uint8_t type)
{
    for (unsigned i = 0; i < l->count; i++)
        if (l->items[i].type == type)
            return &l->items[i];
    return NULL;
}

unsigned ivpn_ikev2_list_count(const ivpn_ikev2_payload_list *l, uint8_t type)
{
    unsigned n = 0;
    for (unsigned i = 0; i < l->count; i++)
        n += l->items[i].type == type;
    return n;
}

/* ---- building ---------------------------------------------------------------------------- */

void ivpn_ikev2_chain_begin(ivpn_ikev2_chain_writer *cw, ivpn_writer *w, size_t next_field_at)
{
    cw->w = w;
    cw->next_field = next_field_at;
    cw->open_at = 0;
    cw->open = false;
    ivpn_wr_patch_u8(w, next_field_at, IVPN_IKEV2_PL_NONE);
}

void ivpn_ikev2_payload_open(ivpn_ikev2_chain_writer *cw, uint8_t type, bool critical)
{
    if (cw->open)
        ivpn_ikev2_payload_close(cw);
    ivpn_wr_patch_u8(cw->w, cw->next_field, type);
    cw->open_at = ivpn_wr_len(cw->w);
    cw->next_field = cw->open_at;
    ivpn_wr_u8(cw->w, IVPN_IKEV2_PL_NONE);
    ivpn_wr_u8(cw->w, critical ? CRITICAL_BIT : 0);
    ivpn_wr_u16(cw->w, 0);
    cw->open = true;
}

void ivpn_ikev2_payload_close(ivpn_ikev2_chain_writer *cw)
{
    if (!cw->open)
        return;
    ivpn_wr_patch_len16(cw->w, cw->open_at + 2, cw->open_at);
    cw->open = false;
}

size_t ivpn_ikev2_message_begin(ivpn_writer *w, const ivpn_ikev2_header *h,
                                ivpn_ikev2_chain_writer *cw)
{
    size_t at = ivpn_wr_len(w);
    ivpn_ikev2_header_encode(w, h);
    ivpn_ikev2_chain_begin(cw, w, at + 16);
    return at;
}

int ivpn_ikev2_message_finish(ivpn_ikev2_chain_writer *cw, size_t hdr_at)
{
    ivpn_ikev2_payload_close(cw);
    if (ivpn_wr_status(cw->w) == IPSECVPN_OK)
        ivpn_wr_patch_u32(cw->w, hdr_at + 24, (uint32_t)(ivpn_wr_len(cw->w) - hdr_at));
    return ivpn_wr_status(cw->w);
}
