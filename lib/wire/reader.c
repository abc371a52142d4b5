/* Bounds-checked big-endian read cursor (see reader.h). */
#include "wire/reader.h"

#include <string.h>

#include "ipsecvpn/common.h"

void ivpn_reader_init(ivpn_reader *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->len = p ? len : 0;
    r->off = 0;
    r->err = false;
}

/* The one place that decides whether n more bytes exist. Returns a pointer to them or NULL
 * (and latches the error). Written so off + n cannot overflow. */
static const uint8_t *take(ivpn_reader *r, size_t n)
{
    const uint8_t *q;
    if (r->err || n > r->len - r->off) {
        r->err = true;
        return NULL;
    }
    q = r->p + r->off;
    r->off += n;
    return q;
}

uint8_t ivpn_rd_u8(ivpn_reader *r)
{
    const uint8_t *q = take(r, 1);
    return q ? q[0] : 0;
}

uint16_t ivpn_rd_u16(ivpn_reader *r)
{
    const uint8_t *q = take(r, 2);
    return q ? (uint16_t)((q[0] << 8) | q[1]) : 0;
}

uint32_t ivpn_rd_u32(ivpn_reader *r)
{
    const uint8_t *q = take(r, 4);
    return q ? ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | q[3] : 0;
}

uint64_t ivpn_rd_u64(ivpn_reader *r)
{
    uint64_t hi = ivpn_rd_u32(r);
    uint64_t lo = ivpn_rd_u32(r);
    return r->err ? 0 : (hi << 32) | lo;
}

ivpn_span ivpn_rd_span(ivpn_reader *r, size_t n)
{
    ivpn_span s = {NULL, 0};
    const uint8_t *q = take(r, n);
    if (q) {
        s.p = q;
        s.len = n;
    }
    return s;
}

void ivpn_rd_copy(ivpn_reader *r, void *dst, size_t n)
{
    const uint8_t *q = take(r, n);
    if (q)
        memcpy(dst, q, n);
    else if (n)
        memset(dst, 0, n);
}

void ivpn_rd_skip(ivpn_reader *r, size_t n)
{
    (void)take(r, n);
}

ivpn_reader ivpn_rd_sub(ivpn_reader *r, size_t n)
{
    ivpn_reader sub;
    const uint8_t *q = take(r, n);
    ivpn_reader_init(&sub, q, q ? n : 0);
    sub.err = (q == NULL);
    return sub;
}

ivpn_span ivpn_rd_rest(ivpn_reader *r)
{
    return ivpn_rd_span(r, r->err ? 0 : r->len - r->off);
}

int ivpn_rd_status(const ivpn_reader *r)
{
    return r->err ? IPSECVPN_ERR_IKE_MALFORMED : IPSECVPN_OK;
}

int ivpn_rd_done(const ivpn_reader *r)
{
    return (r->err || r->off != r->len) ? IPSECVPN_ERR_IKE_MALFORMED : IPSECVPN_OK;
}
