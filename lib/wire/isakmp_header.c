/*
 * ISAKMP header, RFC 2408 §3.1, and the writer side of the payload chain:
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                          Initiator                            !
 * !                            Cookie                             !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                          Responder                            !
 * !                            Cookie                             !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Next Payload ! MjVer ! MnVer ! Exchange Type !     Flags     !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                          Message ID                           !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                            Length                             !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Length covers the header and all payloads. Unlike IKEv2, bytes after Length are tolerated:
 * some IKEv1 peers pad whole datagrams, so the message ends at Length, not at the datagram.
 */
#include "wire/isakmp.h"

#define ISAKMP_MAJOR 1
#define NEXT_PAYLOAD_AT 16
#define LENGTH_AT 24

int ivpn_isakmp_header_decode(const ipsecvpn_ctx *ctx, const uint8_t *msg, size_t len,
                              ivpn_isakmp_header *out)
{
    ivpn_reader r;
    uint8_t ver;

    ivpn_reader_init(&r, msg, len);
    ivpn_rd_copy(&r, out->cookie_i, 8);
    ivpn_rd_copy(&r, out->cookie_r, 8);
    out->next_payload = ivpn_rd_u8(&r);
    ver = ivpn_rd_u8(&r);
    out->major = ver >> 4;
    out->minor = ver & 0x0f;
    out->exchange = ivpn_rd_u8(&r);
    out->flags = ivpn_rd_u8(&r);
    out->message_id = ivpn_rd_u32(&r);
    out->length = ivpn_rd_u32(&r);
    if (ivpn_rd_failed(&r)) {
        IVPN_LOG_WARN(ctx, "ISAKMP: datagram of %zu bytes is shorter than the header", len);
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    if (out->major != ISAKMP_MAJOR) {
        IVPN_LOG_WARN(ctx, "ISAKMP: major version %u, not 1", out->major);
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    if (out->length < IVPN_ISAKMP_HEADER_LEN || out->length > len) {
        IVPN_LOG_WARN(ctx, "ISAKMP: header length %lu but datagram has %zu bytes",
                      (unsigned long)out->length, len);
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    return IPSECVPN_OK;
}

void ivpn_isakmp_header_encode(ivpn_writer *w, const ivpn_isakmp_header *h)
{
    ivpn_wr_bytes(w, h->cookie_i, 8);
    ivpn_wr_bytes(w, h->cookie_r, 8);
    ivpn_wr_u8(w, h->next_payload);
    ivpn_wr_u8(w, (uint8_t)((h->major << 4) | (h->minor & 0x0f)));
    ivpn_wr_u8(w, h->exchange);
    ivpn_wr_u8(w, h->flags);
    ivpn_wr_u32(w, h->message_id);
    ivpn_wr_u32(w, h->length);
}

/* ---- building the chain ------------------------------------------------------------------
 * Generic payload header (RFC 2408 §3.2):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Each payload is written with Next Payload 0 and patched when the next one opens, so the
 * last payload always ends the chain. */

void ivpn_isakmp_chain_begin(ivpn_isakmp_chain_writer *cw, ivpn_writer *w, size_t next_field_at)
{
    cw->w = w;
    cw->next_field = next_field_at;
    cw->open_at = 0;
    cw->open = false;
    ivpn_wr_patch_u8(w, next_field_at, IVPN_ISAKMP_PL_NONE);
}

void ivpn_isakmp_payload_open(ivpn_isakmp_chain_writer *cw, uint8_t type)
{
    if (cw->open)
        ivpn_isakmp_payload_close(cw);
    ivpn_wr_patch_u8(cw->w, cw->next_field, type);
    cw->open_at = ivpn_wr_len(cw->w);
    cw->next_field = cw->open_at;
    ivpn_wr_u8(cw->w, IVPN_ISAKMP_PL_NONE);
    ivpn_wr_u8(cw->w, 0);
    ivpn_wr_u16(cw->w, 0);
    cw->open = true;
}

void ivpn_isakmp_payload_close(ivpn_isakmp_chain_writer *cw)
{
    if (!cw->open)
        return;
    ivpn_wr_patch_len16(cw->w, cw->open_at + 2, cw->open_at);
    cw->open = false;
}

size_t ivpn_isakmp_message_begin(ivpn_writer *w, const ivpn_isakmp_header *h,
                                 ivpn_isakmp_chain_writer *cw)
{
    size_t at = ivpn_wr_len(w);
    ivpn_isakmp_header_encode(w, h);
    ivpn_isakmp_chain_begin(cw, w, at + NEXT_PAYLOAD_AT);
    return at;
}

int ivpn_isakmp_message_finish(ivpn_isakmp_chain_writer *cw, size_t hdr_at)
{
    ivpn_isakmp_payload_close(cw);
    if (ivpn_wr_status(cw->w) == IPSECVPN_OK)
        ivpn_wr_patch_u32(cw->w, hdr_at + LENGTH_AT, (uint32_t)(ivpn_wr_len(cw->w) - hdr_at));
    return ivpn_wr_status(cw->w);
}
