/*
 * IKEv2 header, RFC 7296 §3.1:
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Initiator's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Responder's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Message ID                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                            Length                             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Flags: bit 3 (0x08) Initiator, bit 4 (0x10) Version, bit 5 (0x20) Response.
 */
#include "wire/ikev2_chain.h"

int ivpn_ikev2_header_decode(const ipsecvpn_ctx *ctx, const uint8_t *msg, size_t len,
                             ivpn_ikev2_header *out)
{
    ivpn_reader r;
    uint8_t ver;

    ivpn_reader_init(&r, msg, len);
    ivpn_rd_copy(&r, out->spi_i, 8);
    ivpn_rd_copy(&r, out->spi_r, 8);
    out->next_payload = ivpn_rd_u8(&r);
    ver = ivpn_rd_u8(&r);
    out->major = ver >> 4;
    out->minor = ver & 0x0f;
    out->exchange = ivpn_rd_u8(&r);
    out->flags = ivpn_rd_u8(&r);
    out->message_id = ivpn_rd_u32(&r);
    out->length = ivpn_rd_u32(&r);
    if (ivpn_rd_failed(&r)) {
        IVPN_LOG_WARN(ctx, "IKEv2: datagram of %zu bytes is shorter than the header", len);
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    if (out->major != IVPN_IKEV2_MAJOR) {
        IVPN_LOG_WARN(ctx, "IKEv2: major version %u, not 2", out->major);
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    if (out->length != len) {
        IVPN_LOG_WARN(ctx, "IKEv2: header length %u but datagram has %zu bytes",
                      (unsigned)out->length, len);
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    return IPSECVPN_OK;
}

void ivpn_ikev2_header_encode(ivpn_writer *w, const ivpn_ikev2_header *h)
{
    ivpn_wr_bytes(w, h->spi_i, 8);
    ivpn_wr_bytes(w, h->spi_r, 8);
    ivpn_wr_u8(w, h->next_payload);
    ivpn_wr_u8(w, (uint8_t)((h->major << 4) | (h->minor & 0x0f)));
    ivpn_wr_u8(w, h->exchange);
    ivpn_wr_u8(w, h->flags);
    ivpn_wr_u32(w, h->message_id);
    ivpn_wr_u32(w, h->length);
}
