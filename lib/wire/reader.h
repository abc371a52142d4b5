/*
 * A bounds-checked read cursor over a const byte span, shared by the IKEv2 and ISAKMP codecs.
 *
 * Every getter checks the remaining length first. Once a read would pass the end, the cursor
 * sets a sticky error, stops moving and every later getter returns 0 / an empty span: a codec
 * reads all its fields straight through and checks ivpn_rd_status() once at the end, so no
 * field read can ever touch a byte outside the span. Multi-byte integers are big-endian
 * (network order), as in every IKE/ISAKMP diagram.
 */
#ifndef IVPN_WIRE_READER_H
#define IVPN_WIRE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A borrowed view of bytes inside a message: never owns, never copies. */
typedef struct ivpn_span {
    const uint8_t *p;
    size_t len;
} ivpn_span;

typedef struct ivpn_reader {
    const uint8_t *p; /* start of the span */
    size_t len;       /* its length */
    size_t off;       /* bytes consumed so far */
    bool err;         /* sticky: a read went out of bounds */
} ivpn_reader;

void ivpn_reader_init(ivpn_reader *r, const uint8_t *p, size_t len);
static inline void ivpn_reader_init_span(ivpn_reader *r, ivpn_span s)
{
    ivpn_reader_init(r, s.p, s.len);
}

uint8_t ivpn_rd_u8(ivpn_reader *r);
uint16_t ivpn_rd_u16(ivpn_reader *r);
uint32_t ivpn_rd_u32(ivpn_reader *r);
uint64_t ivpn_rd_u64(ivpn_reader *r);

/* The next n bytes as a span pointing into the input (no copy); {NULL,0} on error. */
ivpn_span ivpn_rd_span(ivpn_reader *r, size_t n);
/* Copy the next n bytes into dst (for fixed fields such as SPIs); zero-fills dst on error. */
void ivpn_rd_copy(ivpn_reader *r, void *dst, size_t n);
/* Skip n bytes (reserved fields). */
void ivpn_rd_skip(ivpn_reader *r, size_t n);
/* A sub-reader over the next n bytes, which this reader then skips. On error the sub-reader
 * is empty and already in error, so its own reads fail too. */
ivpn_reader ivpn_rd_sub(ivpn_reader *r, size_t n);
/* Everything not read yet, consumed. */
ivpn_span ivpn_rd_rest(ivpn_reader *r);

static inline size_t ivpn_rd_remaining(const ivpn_reader *r) { return r->err ? 0 : r->len - r->off; }
static inline bool ivpn_rd_failed(const ivpn_reader *r) { return r->err; }

/* IPSECVPN_OK, or IPSECVPN_ERR_IKE_MALFORMED if any read went out of bounds. */
int ivpn_rd_status(const ivpn_reader *r);
/* Like ivpn_rd_status, but also MALFORMED when bytes are left over: for structures whose
 * length field must match their content exactly. */
int ivpn_rd_done(const ivpn_reader *r);

#endif
