/*
 * A bounded write cursor into a caller's buffer of fixed capacity (never allocates), shared
 * by the IKEv2 and ISAKMP encoders.
 *
 * The first failure is latched as a sticky error code (IPSECVPN_ERR_BUFFER_TOO_SMALL when the
 * buffer is full, IPSECVPN_ERR_INVALID_ARG when a length does not fit its field); later
 * writes are ignored, so an encoder writes everything and checks ivpn_wr_status() once.
 * Length fields are reserved first and patched when their extent is known.
 */
#ifndef IVPN_WIRE_WRITER_H
#define IVPN_WIRE_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ivpn_writer {
    uint8_t *buf;
    size_t cap;
    size_t len; /* bytes written */
    int err;    /* 0 or the first error code */
} ivpn_writer;

void ivpn_writer_init(ivpn_writer *w, uint8_t *buf, size_t cap);

void ivpn_wr_u8(ivpn_writer *w, uint8_t v);
void ivpn_wr_u16(ivpn_writer *w, uint16_t v);
void ivpn_wr_u32(ivpn_writer *w, uint32_t v);
void ivpn_wr_u64(ivpn_writer *w, uint64_t v);
void ivpn_wr_bytes(ivpn_writer *w, const void *p, size_t n);
void ivpn_wr_zeros(ivpn_writer *w, size_t n);

/* Reserve a zeroed field of n bytes and return its offset, to patch later. */
size_t ivpn_wr_reserve(ivpn_writer *w, size_t n);
/* Overwrite earlier bytes (no-op once in error). */
void ivpn_wr_patch_u8(ivpn_writer *w, size_t at, uint8_t v);
void ivpn_wr_patch_u16(ivpn_writer *w, size_t at, uint16_t v);
void ivpn_wr_patch_u32(ivpn_writer *w, size_t at, uint32_t v);
/* Patch the 16-bit field at `at` with the number of bytes written since `from`; a length
 * above 65535 latches IPSECVPN_ERR_INVALID_ARG. */
void ivpn_wr_patch_len16(ivpn_writer *w, size_t at, size_t from);
/* Latch an error found by an encoder (e.g. an inconsistent struct). */
void ivpn_wr_fail(ivpn_writer *w, int code);

static inline size_t ivpn_wr_len(const ivpn_writer *w) { return w->len; }
/* IPSECVPN_OK or the first error code. */
static inline int ivpn_wr_status(const ivpn_writer *w) { return w->err; }

#endif
