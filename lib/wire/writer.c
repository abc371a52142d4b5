/* Bounded big-endian write cursor (see writer.h). */
#include "wire/writer.h"

#include <string.h>

#include "ipsecvpn/common.h"

void ivpn_writer_init(ivpn_writer *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = buf ? cap : 0;
    w->len = 0;
    w->err = IPSECVPN_OK;
}

void ivpn_wr_fail(ivpn_writer *w, int code)
{
    if (w->err == IPSECVPN_OK)
        w->err = code;
}

/* The one place that decides whether n more bytes fit. */
static uint8_t *room(ivpn_writer *w, size_t n)
{
    uint8_t *q;
    if (w->err)
        return NULL;
    if (n > w->cap - w->len) {
        w->err = IPSECVPN_ERR_BUFFER_TOO_SMALL;
        return NULL;
    }
    q = w->buf + w->len;
    w->len += n;
    return q;
}

void ivpn_wr_u8(ivpn_writer *w, uint8_t v)
{
    uint8_t *q = room(w, 1);
    if (q)
        q[0] = v;
}

void ivpn_wr_u16(ivpn_writer *w, uint16_t v)
{
    uint8_t *q = room(w, 2);
    if (q) {
        q[0] = (uint8_t)(v >> 8);
        q[1] = (uint8_t)v;
    }
}

void ivpn_wr_u32(ivpn_writer *w, uint32_t v)
{
    uint8_t *q = room(w, 4);
    if (q) {
        q[0] = (uint8_t)(v >> 24);
        q[1] = (uint8_t)(v >> 16);
        q[2] = (uint8_t)(v >> 8);
        q[3] = (uint8_t)v;
    }
}

void ivpn_wr_u64(ivpn_writer *w, uint64_t v)
{
    ivpn_wr_u32(w, (uint32_t)(v >> 32));
    ivpn_wr_u32(w, (uint32_t)v);
}

void ivpn_wr_bytes(ivpn_writer *w, const void *p, size_t n)
{
    uint8_t *q = room(w, n);
    if (q && n)
        memcpy(q, p, n);
}

void ivpn_wr_zeros(ivpn_writer *w, size_t n)
{
    uint8_t *q = room(w, n);
    if (q && n)
        memset(q, 0, n);
}

size_t ivpn_wr_reserve(ivpn_writer *w, size_t n)
{
    size_t at = w->len;
    ivpn_wr_zeros(w, n);
    return at;
}

/* Patches may only touch bytes already written. */
static uint8_t *written(ivpn_writer *w, size_t at, size_t n)
{
    if (w->err)
        return NULL;
    if (at > w->len || n > w->len - at) {
        w->err = IPSECVPN_ERR_INVALID_ARG;
        return NULL;
    }
    return w->buf + at;
}

void ivpn_wr_patch_u8(ivpn_writer *w, size_t at, uint8_t v)
{
    uint8_t *q = written(w, at, 1);
    if (q)
        q[0] = v;
}

void ivpn_wr_patch_u16(ivpn_writer *w, size_t at, uint16_t v)
{
    uint8_t *q = written(w, at, 2);
    if (q) {
        q[0] = (uint8_t)(v >> 8);
        q[1] = (uint8_t)v;
    }
}

void ivpn_wr_patch_u32(ivpn_writer *w, size_t at, uint32_t v)
{
    uint8_t *q = written(w, at, 4);
    if (q) {
        q[0] = (uint8_t)(v >> 24);
        q[1] = (uint8_t)(v >> 16);
        q[2] = (uint8_t)(v >> 8);
        q[3] = (uint8_t)v;
    }
}

void ivpn_wr_patch_len16(ivpn_writer *w, size_t at, size_t from)
{
    if (w->err)
        return;
    if (from > w->len || w->len - from > 0xffff) {
        w->err = IPSECVPN_ERR_INVALID_ARG;
        return;
    }
    ivpn_wr_patch_u16(w, at, (uint16_t)(w->len - from));
}
