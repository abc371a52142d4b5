/*
 * IKEv2 message framing: the fixed header (RFC 7296 §3.1) and the chain of generic payload
 * headers (§3.2). This is phase 1 of decoding: bounds only. It checks every length and
 * collects (type, body span) pairs; nothing about a payload's meaning is looked at yet
 * (phase 2 is ikev2_bodies.h).
 */
#ifndef IVPN_WIRE_IKEV2_CHAIN_H
#define IVPN_WIRE_IKEV2_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ctx.h"
#include "wire/ikev2_const.h"
#include "wire/reader.h"
#include "wire/writer.h"

typedef struct ivpn_ikev2_header {
    uint8_t spi_i[8];
    uint8_t spi_r[8];
    uint8_t next_payload;
    uint8_t major, minor;
    uint8_t exchange;
    uint8_t flags;        /* IVPN_IKEV2_FLAG_*; reserved bits kept as received */
    uint32_t message_id;
    uint32_t length;
} ivpn_ikev2_header;

static inline bool ivpn_ikev2_is_response(const ivpn_ikev2_header *h)
{
    return (h->flags & IVPN_IKEV2_FLAG_RESPONSE) != 0;
}
/* Sent by the original initiator of the IKE SA (not of the exchange). */
static inline bool ivpn_ikev2_from_initiator(const ivpn_ikev2_header *h)
{
    return (h->flags & IVPN_IKEV2_FLAG_INITIATOR) != 0;
}

/*
 * Decode the 28-byte header of a datagram of `len` bytes (non-ESP marker already removed).
 * MALFORMED when shorter than 28 bytes, when Length != len, or when Major Version != 2.
 * Version handling note (§2.5, §1.5): on a major-version mismatch *out is still filled and
 * out->major tells the engine what came in. A request with major > 2 is answered with an
 * unencrypted INVALID_MAJOR_VERSION notify carrying our version (2); major 1 is ISAKMP and
 * belongs to the IKEv1 engine (dispatch on the version before calling this); nothing else is
 * answered. The minor version is ignored on receipt, as §3.1 requires, and so are the
 * reserved flag bits.
 */
int ivpn_ikev2_header_decode(const ipsecvpn_ctx *ctx, const uint8_t *msg, size_t len,
                             ivpn_ikev2_header *out);
/* Write the header as is (length patched later by ivpn_ikev2_message_finish). */
void ivpn_ikev2_header_encode(ivpn_writer *w, const ivpn_ikev2_header *h);

/* ---- the payload chain ---------------------------------------------------------------- */
#define IVPN_IKEV2_MAX_PAYLOADS 32

typedef struct ivpn_ikev2_payload_ref {
    uint8_t type;
    bool critical;   /* as received; only meaningful for unknown types */
    ivpn_span body;  /* without the 4-byte generic header */
    ivpn_span whole; /* with it (the AUTH computation and SK associated data need it) */
} ivpn_ikev2_payload_ref;

typedef struct ivpn_ikev2_payload_list {
    ivpn_ikev2_payload_ref items[IVPN_IKEV2_MAX_PAYLOADS];
    uint8_t count;
    /* SK/SKF is last: the Next Payload in its header is the first payload inside it. */
    uint8_t sk_first_inner;
    /* Non-zero: the type of the first unknown payload with the critical bit set. The walk
     * then returns MALFORMED and the engine answers a request with an
     * UNSUPPORTED_CRITICAL_PAYLOAD notify whose data is this one byte (§2.5, §3.2). */
    uint8_t unsupported_critical;
    /* Unknown payloads without the critical bit: skipped as §3.2 says, counted for logs. */
    uint16_t skipped_unknown;
} ivpn_ikev2_payload_list;

/*
 * Walk a chain of generic payload headers starting with type `first` over `len` bytes.
 * Every Payload Length must be >= 4 and fit, the chain must end (Next Payload 0) exactly at
 * the end of the span, at most IVPN_IKEV2_MAX_PAYLOADS known payloads. An SK or SKF payload
 * (only when allow_sk: the outer chain) must be the last one and records sk_first_inner.
 */
int ivpn_ikev2_chain_walk(const ipsecvpn_ctx *ctx, uint8_t first, const uint8_t *p, size_t len,
                          bool allow_sk, ivpn_ikev2_payload_list *out);

/* Whether this implementation knows the payload type (else the critical bit decides). */
bool ivpn_ikev2_payload_known(uint8_t type);

/* Header and outer chain of a whole datagram. */
int ivpn_ikev2_message_parse(const ipsecvpn_ctx *ctx, const uint8_t *msg, size_t len,
                             ivpn_ikev2_header *hdr, ivpn_ikev2_payload_list *outer);

/* First payload of a type (NULL if none) and how many there are. */
const ivpn_ikev2_payload_ref *ivpn_ikev2_list_find(const ivpn_ikev2_payload_list *l, uint8_t type);
unsigned ivpn_ikev2_list_count(const ivpn_ikev2_payload_list *l, uint8_t type);

/* ---- building a chain ------------------------------------------------------------------ */
/*
 * Each payload's generic header names the *next* payload's type, so the chain writer keeps
 * the offset of the last Next Payload field and patches it when the next payload opens.
 * Usage:   ivpn_ikev2_message_begin(&w, &hdr, &cw);
 *          ivpn_ikev2_payload_open(&cw, IVPN_IKEV2_PL_SA, false); ivpn_ikev2_sa_encode(&w, &sa);
 *          ivpn_ikev2_payload_close(&cw); ... ivpn_ikev2_message_finish(&cw, start);
 */
typedef struct ivpn_ikev2_chain_writer {
    ivpn_writer *w;
    size_t next_field; /* offset of the Next Payload byte to patch */
    size_t open_at;    /* offset of the open payload's generic header */
    bool open;
} ivpn_ikev2_chain_writer;

/* A chain whose first type goes into the byte at next_field_at (already written). */
void ivpn_ikev2_chain_begin(ivpn_ikev2_chain_writer *cw, ivpn_writer *w, size_t next_field_at);
void ivpn_ikev2_payload_open(ivpn_ikev2_chain_writer *cw, uint8_t type, bool critical);
void ivpn_ikev2_payload_close(ivpn_ikev2_chain_writer *cw);
/* Header at the writer's current position, chain starting at its Next Payload field.
 * Returns the header's offset for ivpn_ikev2_message_finish. */
size_t ivpn_ikev2_message_begin(ivpn_writer *w, const ivpn_ikev2_header *h,
                                ivpn_ikev2_chain_writer *cw);
/* Patch the header's Length. Returns the writer status. */
int ivpn_ikev2_message_finish(ivpn_ikev2_chain_writer *cw, size_t hdr_at);

#endif
