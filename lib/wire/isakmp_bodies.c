/*
 * ISAKMP payload bodies other than SA: Identification, Notification, Delete, and the length
 * checks of the raw-data payloads (NONCE, HASH, KE). Every decoder reads the body (generic
 * header excluded) straight through and checks the cursor once.
 */
#include <string.h>

#include "wire/isakmp.h"

#define MAX_SPI 16

#define BAD(...) do { IVPN_LOG_WARN(ctx, "ISAKMP " __VA_ARGS__); return IPSECVPN_ERR_IKE_MALFORMED; } while (0)

/*
 * Identification payload body, RFC 2407 §4.6.2 (the IPsec DOI's form of RFC 2408 §3.8):
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !   ID Type     !  Protocol ID  !             Port              !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                     Identification Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/* Data length per ID type (§4.6.2.2-§4.6.2.12); 0 = any non-empty length (names, key IDs).
 * Types not listed are left to the engine (it refuses what it does not support). */
static const struct id_len { uint8_t type; uint8_t len; } id_lengths[] = {
    {IVPN_ISAKMP_ID_IPV4_ADDR, 4},         {IVPN_ISAKMP_ID_IPV4_ADDR_SUBNET, 8},
    {IVPN_ISAKMP_ID_IPV4_ADDR_RANGE, 8},   {IVPN_ISAKMP_ID_IPV6_ADDR, 16},
    {IVPN_ISAKMP_ID_IPV6_ADDR_SUBNET, 32}, {IVPN_ISAKMP_ID_IPV6_ADDR_RANGE, 32},
    {IVPN_ISAKMP_ID_FQDN, 0},              {IVPN_ISAKMP_ID_USER_FQDN, 0},
    {IVPN_ISAKMP_ID_KEY_ID, 0},
};

int ivpn_isakmp_id_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_isakmp_id *out)
{
    ivpn_reader r;
    ivpn_reader_init_span(&r, body);
    out->type = ivpn_rd_u8(&r);
    out->protocol = ivpn_rd_u8(&r);
    out->port = ivpn_rd_u16(&r);
    out->data = ivpn_rd_rest(&r);
    if (ivpn_rd_failed(&r))
        BAD("ID: payload of %zu bytes is shorter than 4", body.len);
    for (size_t i = 0; i < sizeof(id_lengths) / sizeof(id_lengths[0]); i++) {
        const struct id_len *e = &id_lengths[i];
        if (e->type != out->type)
            continue;
        if (e->len ? out->data.len != e->len : out->data.len == 0)
            BAD("ID: type %u with %zu bytes of data", out->type, out->data.len);
    }
    return IPSECVPN_OK;
}

void ivpn_isakmp_id_encode(ivpn_writer *w, const ivpn_isakmp_id *id)
{
    ivpn_wr_u8(w, id->type);
    ivpn_wr_u8(w, id->protocol);
    ivpn_wr_u16(w, id->port);
    ivpn_wr_bytes(w, id->data.p, id->data.len);
}

/*
 * Notification payload body, RFC 2408 §3.14:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !              Domain of Interpretation  (DOI)                  !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Protocol-ID  !   SPI Size    !      Notify Message Type      !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                Security Parameter Index (SPI)                 ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Notification Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * The DOI is not checked: some peers send 0 (ISAKMP) in phase-1 notifies.
 */
int ivpn_isakmp_notify_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_isakmp_notify *out)
{
    ivpn_reader r;
    memset(out, 0, sizeof(*out));
    ivpn_reader_init_span(&r, body);
    out->doi = ivpn_rd_u32(&r);
    out->protocol = ivpn_rd_u8(&r);
    out->spi_size = ivpn_rd_u8(&r);
    out->type = ivpn_rd_u16(&r);
    if (ivpn_rd_failed(&r))
        BAD("N: payload of %zu bytes is shorter than 8", body.len);
    if (out->spi_size > MAX_SPI)
        BAD("N: type %u with SPI size %u", out->type, out->spi_size);
    ivpn_rd_copy(&r, out->spi, out->spi_size);
    out->data = ivpn_rd_rest(&r);
    if (ivpn_rd_failed(&r))
        BAD("N: type %u: SPI of %u bytes passes the payload", out->type, out->spi_size);
    return IPSECVPN_OK;
}

void ivpn_isakmp_notify_encode(ivpn_writer *w, const ivpn_isakmp_notify *n)
{
    if (n->spi_size > MAX_SPI) {
        ivpn_wr_fail(w, IPSECVPN_ERR_INVALID_ARG);
        return;
    }
    ivpn_wr_u32(w, n->doi);
    ivpn_wr_u8(w, n->protocol);
    ivpn_wr_u8(w, n->spi_size);
    ivpn_wr_u16(w, n->type);
    ivpn_wr_bytes(w, n->spi, n->spi_size);
    ivpn_wr_bytes(w, n->data.p, n->data.len);
}

/*
 * Delete payload body, RFC 2408 §3.15:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !              Domain of Interpretation  (DOI)                  !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Protocol-Id  !   SPI Size    !           # of SPIs           !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~               Security Parameter Index(es) (SPI)              ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * The SPIs must fill the body exactly; beyond MAX_DELETE_SPIS they are checked but not kept.
 */
int ivpn_isakmp_delete_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_isakmp_delete *out)
{
    ivpn_reader r;
    memset(out, 0, sizeof(*out));
    ivpn_reader_init_span(&r, body);
    out->doi = ivpn_rd_u32(&r);
    out->protocol = ivpn_rd_u8(&r);
    out->spi_size = ivpn_rd_u8(&r);
    out->n_spis = ivpn_rd_u16(&r);
    if (ivpn_rd_failed(&r))
        BAD("D: payload of %zu bytes is shorter than 8", body.len);
    if (out->spi_size == 0 || out->spi_size > MAX_SPI)
        BAD("D: SPI size %u", out->spi_size);
    if (out->n_spis == 0)
        BAD("D: no SPI");
    if (ivpn_rd_remaining(&r) != (size_t)out->n_spis * out->spi_size)
        BAD("D: %u SPIs of %u bytes but %zu bytes of SPIs", out->n_spis, out->spi_size,
            ivpn_rd_remaining(&r));
    for (unsigned i = 0; i < out->n_spis && i < IVPN_ISAKMP_MAX_DELETE_SPIS; i++)
        ivpn_rd_copy(&r, out->spis[i], out->spi_size);
    return IPSECVPN_OK;
}

void ivpn_isakmp_delete_encode(ivpn_writer *w, const ivpn_isakmp_delete *d)
{
    if (d->spi_size == 0 || d->spi_size > MAX_SPI || d->n_spis == 0 ||
        d->n_spis > IVPN_ISAKMP_MAX_DELETE_SPIS) {
        ivpn_wr_fail(w, IPSECVPN_ERR_INVALID_ARG);
        return;
    }
    ivpn_wr_u32(w, d->doi);
    ivpn_wr_u8(w, d->protocol);
    ivpn_wr_u8(w, d->spi_size);
    ivpn_wr_u16(w, d->n_spis);
    for (unsigned i = 0; i < d->n_spis; i++)
        ivpn_wr_bytes(w, d->spis[i], d->spi_size);
}

/* ---- raw-data payloads: the body is the value ------------------------------------------ */

static int check_len(const ipsecvpn_ctx *ctx, const char *what, ivpn_span body, size_t min,
                     size_t max)
{
    if (body.len < min || body.len > max)
        BAD("%s: %zu bytes, not %zu..%zu", what, body.len, min, max);
    return IPSECVPN_OK;
}

/* RFC 2409 §5: "the length of nonce payload MUST be between 8 and 256 bytes inclusive". */
int ivpn_isakmp_nonce_check(const ipsecvpn_ctx *ctx, ivpn_span body)
{
    return check_len(ctx, "NONCE", body, 8, 256);
}

/* The longest PRF output (SHA2-512) is 64 bytes. */
int ivpn_isakmp_hash_check(const ipsecvpn_ctx *ctx, ivpn_span body)
{
    return check_len(ctx, "HASH", body, 1, 64);
}

/* The largest MODP group (8192 bits) has 1024-byte public values. */
int ivpn_isakmp_ke_check(const ipsecvpn_ctx *ctx, ivpn_span body)
{
    return check_len(ctx, "KE", body, 1, 1024);
}
