/*
 * IKEv2 payload bodies (RFC 7296 §3.3-§3.15): fixed-capacity decoded structs and their codecs.
 *
 * A "body" is the payload without its 4-byte generic header (ikev2_chain.h walks those).
 * Decoders take the body span found by the chain walk, check every length against it, copy
 * fixed fields into the struct and leave variable data as spans pointing into the message
 * (valid as long as the message buffer is). They return IPSECVPN_OK or
 * IPSECVPN_ERR_IKE_MALFORMED after logging one line through ctx (which may be NULL).
 * Encoders write the body into a writer; errors are sticky in the writer (ivpn_wr_status).
 */
#ifndef IVPN_WIRE_IKEV2_PAYLOADS_H
#define IVPN_WIRE_IKEV2_PAYLOADS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ctx.h"
#include "wire/ikev2_const.h"
#include "wire/reader.h"
#include "wire/writer.h"

/* ---- SA (§3.3) ------------------------------------------------------------------------ */
#define IVPN_IKEV2_MAX_PROPOSALS 16
#define IVPN_IKEV2_MAX_TRANSFORMS 64 /* over all proposals of one SA payload */

typedef struct ivpn_ikev2_transform {
    uint8_t type;         /* IVPN_IKEV2_TRANS_* */
    uint16_t id;          /* algorithm, by IANA number */
    uint16_t key_len;     /* Key Length attribute in bits, if has_key_len */
    bool has_key_len;
    bool unknown_attr;    /* an attribute we do not know: §3.3.6 says reject this proposal */
} ivpn_ikev2_transform;

typedef struct ivpn_ikev2_proposal {
    uint8_t num;          /* Proposal Num, from 1 */
    uint8_t protocol;     /* IVPN_IKEV2_PROTO_* */
    uint8_t spi_size;     /* 0, 4 or 8 */
    uint8_t spi[8];
    uint8_t first;        /* index of its first transform in ivpn_ikev2_sa.transforms */
    uint8_t count;        /* its number of transforms */
} ivpn_ikev2_proposal;

typedef struct ivpn_ikev2_sa {
    ivpn_ikev2_proposal proposals[IVPN_IKEV2_MAX_PROPOSALS];
    uint8_t n_proposals;
    ivpn_ikev2_transform transforms[IVPN_IKEV2_MAX_TRANSFORMS];
    uint8_t n_transforms;
} ivpn_ikev2_sa;

/* is_response: a request numbers its proposals 1, 2, 3...; a response carries exactly one,
 * with the number of the proposal it chose (§3.3.1). */
int ivpn_ikev2_sa_decode(const ipsecvpn_ctx *ctx, ivpn_span body, bool is_response,
                         ivpn_ikev2_sa *out);
void ivpn_ikev2_sa_encode(ivpn_writer *w, const ivpn_ikev2_sa *sa);

/* ---- KE (§3.4) ------------------------------------------------------------------------- */
typedef struct ivpn_ikev2_ke {
    uint16_t dh_group;
    ivpn_span data;
} ivpn_ikev2_ke;
int ivpn_ikev2_ke_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_ikev2_ke *out);
void ivpn_ikev2_ke_encode(ivpn_writer *w, const ivpn_ikev2_ke *ke);

/* ---- IDi / IDr (§3.5) ------------------------------------------------------------------- */
typedef struct ivpn_ikev2_id {
    uint8_t type;        /* IVPN_IKEV2_ID_* */
    uint8_t reserved[3]; /* kept: the AUTH computation signs the whole body (§2.15) */
    ivpn_span data;
} ivpn_ikev2_id;
int ivpn_ikev2_id_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_ikev2_id *out);
void ivpn_ikev2_id_encode(ivpn_writer *w, const ivpn_ikev2_id *id);

/* ---- AUTH (§3.8) ------------------------------------------------------------------------ */
typedef struct ivpn_ikev2_auth {
    uint8_t method; /* IVPN_IKEV2_AUTH_* */
    ivpn_span data;
} ivpn_ikev2_auth;
int ivpn_ikev2_auth_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_ikev2_auth *out);
void ivpn_ikev2_auth_encode(ivpn_writer *w, const ivpn_ikev2_auth *auth);

/* ---- Nonce (§3.9) ----------------------------------------------------------------------- */
#define IVPN_IKEV2_NONCE_MIN 16
#define IVPN_IKEV2_NONCE_MAX 256
typedef struct ivpn_ikev2_nonce {
    ivpn_span data;
} ivpn_ikev2_nonce;
int ivpn_ikev2_nonce_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_ikev2_nonce *out);
void ivpn_ikev2_nonce_encode(ivpn_writer *w, const ivpn_ikev2_nonce *n);

/* ---- Notify (§3.10) --------------------------------------------------------------------- */
typedef struct ivpn_ikev2_notify {
    uint8_t protocol; /* IVPN_IKEV2_PROTO_*; 0 when no SA is concerned */
    uint8_t spi_size; /* 0, 4 or 8 */
    uint16_t type;    /* IVPN_IKEV2_N_* */
    uint8_t spi[8];
    ivpn_span data;
} ivpn_ikev2_notify;
int ivpn_ikev2_notify_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_ikev2_notify *out);
void ivpn_ikev2_notify_encode(ivpn_writer *w, const ivpn_ikev2_notify *n);
/* Error types are below 16384 (§3.10.1). */
static inline bool ivpn_ikev2_notify_is_error(uint16_t type) { return type > 0 && type < 16384; }
/* Name for logs, "UNKNOWN" for types not in the table. */
const char *ivpn_ikev2_notify_name(uint16_t type);

/* ---- Delete (§3.11) --------------------------------------------------------------------- */
typedef struct ivpn_ikev2_delete {
    uint8_t protocol;  /* IKE: no SPIs (the SA the message is protected by); AH/ESP: 4-byte SPIs */
    uint8_t spi_size;
    uint16_t n_spis;
    ivpn_span spis;    /* n_spis * spi_size bytes */
} ivpn_ikev2_delete;
int ivpn_ikev2_delete_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_ikev2_delete *out);
void ivpn_ikev2_delete_encode(ivpn_writer *w, const ivpn_ikev2_delete *d);
/* The i-th 4-byte SPI of an AH/ESP Delete (i < n_spis), in host order. */
uint32_t ivpn_ikev2_delete_spi(const ivpn_ikev2_delete *d, uint16_t i);

/* ---- Vendor ID (§3.12) ------------------------------------------------------------------ */
typedef struct ivpn_ikev2_vendor {
    ivpn_span data;
} ivpn_ikev2_vendor;
int ivpn_ikev2_vendor_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_ikev2_vendor *out);
void ivpn_ikev2_vendor_encode(ivpn_writer *w, const ivpn_ikev2_vendor *v);

/* ---- TSi / TSr (§3.13) ------------------------------------------------------------------ */
#define IVPN_IKEV2_MAX_SELECTORS 16
typedef struct ivpn_ikev2_selector {
    uint8_t type;        /* IVPN_IKEV2_TS_IPV4_ADDR_RANGE or _IPV6_ */
    uint8_t ip_proto;    /* 0 = any */
    uint16_t start_port, end_port;
    uint8_t start_addr[16], end_addr[16]; /* first 4 bytes used for IPv4 */
} ivpn_ikev2_selector;
typedef struct ivpn_ikev2_ts {
    ivpn_ikev2_selector sel[IVPN_IKEV2_MAX_SELECTORS];
    uint8_t count;
} ivpn_ikev2_ts;
int ivpn_ikev2_ts_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_ikev2_ts *out);
void ivpn_ikev2_ts_encode(ivpn_writer *w, const ivpn_ikev2_ts *ts);
static inline uint8_t ivpn_ikev2_ts_addr_len(uint8_t type)
{
    return type == IVPN_IKEV2_TS_IPV4_ADDR_RANGE ? 4 : type == IVPN_IKEV2_TS_IPV6_ADDR_RANGE ? 16 : 0;
}

/* ---- SK (§3.14) and SKF (RFC 7383 §2.5) ------------------------------------------------ */
/* The container only: the engine splits IV || ciphertext || ICV by its cipher and decrypts;
 * the plaintext is then a payload chain starting with first_inner. */
typedef struct ivpn_ikev2_sk {
    uint8_t first_inner;  /* Next Payload of the SK header: type of the first inner payload */
    uint16_t frag_num;    /* SKF only: 1..frag_total; 0 for SK */
    uint16_t frag_total;
    ivpn_span encrypted;  /* IV, ciphertext with padding, ICV */
} ivpn_ikev2_sk;
int ivpn_ikev2_sk_decode(const ipsecvpn_ctx *ctx, ivpn_span body, uint8_t first_inner,
                         ivpn_ikev2_sk *out);
int ivpn_ikev2_skf_decode(const ipsecvpn_ctx *ctx, ivpn_span body, uint8_t first_inner,
                          ivpn_ikev2_sk *out);
/* SKF's fragment numbers alone, for an engine that encrypts in place right after them. */
void ivpn_ikev2_skf_encode_numbers(ivpn_writer *w, const ivpn_ikev2_sk *sk);
/* The whole body: fragment numbers when frag_num != 0 (SKF), then the encrypted span. */
void ivpn_ikev2_sk_encode(ivpn_writer *w, const ivpn_ikev2_sk *sk);

/* ---- CP (§3.15) ------------------------------------------------------------------------- */
#define IVPN_IKEV2_MAX_CP_ATTRS 16
typedef struct ivpn_ikev2_cp_attr {
    uint16_t type;  /* 15 bits; the R bit must be zero */
    ivpn_span value;
} ivpn_ikev2_cp_attr;
typedef struct ivpn_ikev2_cp {
    uint8_t cfg_type; /* IVPN_IKEV2_CFG_* */
    ivpn_ikev2_cp_attr attrs[IVPN_IKEV2_MAX_CP_ATTRS];
    uint8_t count;
} ivpn_ikev2_cp;
int ivpn_ikev2_cp_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_ikev2_cp *out);
void ivpn_ikev2_cp_encode(ivpn_writer *w, const ivpn_ikev2_cp *cp);

/* Payload name for logs ("SA", "KE", ..., "UNKNOWN"). */
const char *ivpn_ikev2_payload_name(uint8_t type);
/* Exchange name for logs. */
const char *ivpn_ikev2_exchange_name(uint8_t exchange);

#endif
