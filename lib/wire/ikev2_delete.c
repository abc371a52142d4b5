/*
 * Delete payload, RFC 7296 §3.11 (body after the generic header):
 *
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Protocol ID   |   SPI Size    |          Num of SPIs          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~               Security Parameter Index(es) (SPI)              ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * IKE: SPI size 0 and no SPIs (the IKE SA is the one protecting the message).
 * AH/ESP: SPI size 4, Num of SPIs >= 1, exactly Num * 4 bytes of SPIs.
 */
#include "wire/ikev2_payloads.h"

#define BAD(...) do { IVPN_LOG_WARN(ctx, "IKEv2 Delete: " __VA_ARGS__); return IPSECVPN_ERR_IKE_MALFORMED; } while (0)

int ivpn_ikev2_delete_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_ikev2_delete *out)
{
    ivpn_reader r;
    ivpn_reader_init_span(&r, body);
    out->protocol = ivpn_rd_u8(&r);
    out->spi_size = ivpn_rd_u8(&r);
    out->n_spis = ivpn_rd_u16(&r);
    if (ivpn_rd_failed(&r))
        BAD("body of %zu bytes is shorter than 4", body.len);
    switch (out->protocol) {
    case IVPN_IKEV2_PROTO_IKE:
        if (out->spi_size != 0 || out->n_spis != 0)
            BAD("IKE SA delete with SPI size %u and %u SPIs", out->spi_size, out->n_spis);
        break;
    case IVPN_IKEV2_PROTO_AH:
    case IVPN_IKEV2_PROTO_ESP:
        if (out->spi_size != 4 || out->n_spis == 0)
            BAD("protocol %u delete with SPI size %u and %u SPIs", out->protocol,
                out->spi_size, out->n_spis);
        break;
    default:
        BAD("unknown protocol %u", out->protocol);
    }
    out->spis = ivpn_rd_span(&r, (size_t)out->spi_size * out->n_spis);
    if (ivpn_rd_done(&r) != IPSECVPN_OK)
        BAD("%u SPIs of %u bytes do not fill the %zu-byte body", out->n_spis, out->spi_size,
            body.len);
    return IPSECVPN_OK;
}

uint32_t ivpn_ikev2_delete_spi(const ivpn_ikev2_delete *d, uint16_t i)
{
    ivpn_reader r;
    if (d->spi_size != 4 || i >= d->n_spis)
        return 0;
    ivpn_reader_init_span(&r, d->spis);
    ivpn_rd_skip(&r, (size_t)i * 4);
    return ivpn_rd_u32(&r);
}

void ivpn_ikev2_delete_encode(ivpn_writer *w, const ivpn_ikev2_delete *d)
{
    if (d->spis.len != (size_t)d->spi_size * d->n_spis) {
        ivpn_wr_fail(w, IPSECVPN_ERR_INVALID_ARG);
        return;
    }
    ivpn_wr_u8(w, d->protocol);
    ivpn_wr_u8(w, d->spi_size);
    ivpn_wr_u16(w, d->n_spis);
    ivpn_wr_bytes(w, d->spis.p, d->spis.len);
}
