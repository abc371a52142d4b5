/*
 * ISAKMP (RFC 2408) message codecs for the IKEv1 engine (RFC 2409), bounds-checked like the
 * IKEv2 ones: the fixed header (§3.1), the chain of generic payload headers (§3.2), and a
 * decoder/encoder per payload the engine uses. Decoding is two-phase: ivpn_isakmp_chain_walk
 * checks only lengths and collects (type, body) spans; the body codecs then read one payload.
 * Encrypted messages (flag E) are decrypted by the engine between the header and the walk.
 *
 * Numbers are from RFC 2408 §3.1/§3.14/§4.6, RFC 2407 (IPsec DOI), RFC 3947 (NAT-T) and
 * RFC 3706 (DPD).
 */
#ifndef IVPN_WIRE_ISAKMP_H
#define IVPN_WIRE_ISAKMP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ctx.h"
#include "wire/reader.h"
#include "wire/writer.h"

#define IVPN_ISAKMP_HEADER_LEN 28

/* Payload types (RFC 2408 §3.1; NAT-D/NAT-OA RFC 3947 §3.1, §5.2) */
enum {
    IVPN_ISAKMP_PL_NONE = 0,
    IVPN_ISAKMP_PL_SA = 1,
    IVPN_ISAKMP_PL_P = 2,          /* only inside an SA payload */
    IVPN_ISAKMP_PL_T = 3,          /* only inside a proposal */
    IVPN_ISAKMP_PL_KE = 4,
    IVPN_ISAKMP_PL_ID = 5,
    IVPN_ISAKMP_PL_CERT = 6,
    IVPN_ISAKMP_PL_CR = 7,
    IVPN_ISAKMP_PL_HASH = 8,
    IVPN_ISAKMP_PL_SIG = 9,
    IVPN_ISAKMP_PL_NONCE = 10,
    IVPN_ISAKMP_PL_N = 11,
    IVPN_ISAKMP_PL_D = 12,
    IVPN_ISAKMP_PL_VID = 13,
    IVPN_ISAKMP_PL_NATD = 20,
    IVPN_ISAKMP_PL_NATOA = 21,
    IVPN_ISAKMP_PL_NATD_DRAFT = 130, /* pre-RFC NAT-T drafts: accepted on input only */
    IVPN_ISAKMP_PL_NATOA_DRAFT = 131,
};

/* Exchange types (RFC 2408 §4.1, RFC 2409 §5) */
enum {
    IVPN_ISAKMP_EX_MAIN = 2,          /* Identity Protection */
    IVPN_ISAKMP_EX_AGGRESSIVE = 4,
    IVPN_ISAKMP_EX_INFO = 5,
    IVPN_ISAKMP_EX_QUICK = 32,
};

/* Header flags (RFC 2408 §3.1) */
enum {
    IVPN_ISAKMP_FLAG_ENC = 0x01,
    IVPN_ISAKMP_FLAG_COMMIT = 0x02,
    IVPN_ISAKMP_FLAG_AUTH_ONLY = 0x04,
};

/* DOI and protocol IDs (RFC 2407 §4.2, §4.4.1) */
enum {
    IVPN_ISAKMP_DOI_IPSEC = 1,
    IVPN_ISAKMP_SIT_IDENTITY_ONLY = 1,
    IVPN_ISAKMP_PROTO_ISAKMP = 1,
    IVPN_ISAKMP_PROTO_AH = 2,
    IVPN_ISAKMP_PROTO_ESP = 3,
    IVPN_ISAKMP_TRANSFORM_KEY_IKE = 1, /* the phase-1 transform ID */
};

/* Phase-1 attribute types and values (RFC 2409 Appendix A) */
enum {
    IVPN_P1_ATTR_ENCR = 1,          /* 1 DES-CBC, 5 3DES-CBC, 7 AES-CBC (RFC 3602) */
    IVPN_P1_ATTR_HASH = 2,          /* 1 MD5, 2 SHA, 4 SHA2-256, 5 SHA2-384, 6 SHA2-512 */
    IVPN_P1_ATTR_AUTH = 3,          /* 1 pre-shared key */
    IVPN_P1_ATTR_GROUP = 4,         /* group description: 1, 2, 5, 14, ... */
    IVPN_P1_ATTR_LIFE_TYPE = 11,    /* 1 seconds, 2 kilobytes */
    IVPN_P1_ATTR_LIFE_DURATION = 12,
    IVPN_P1_ATTR_KEY_LENGTH = 14,
    IVPN_P1_ENCR_DES = 1,
    IVPN_P1_ENCR_3DES = 5,
    IVPN_P1_ENCR_AES = 7,
    IVPN_P1_HASH_MD5 = 1,
    IVPN_P1_HASH_SHA1 = 2,
    IVPN_P1_HASH_SHA256 = 4,
    IVPN_P1_HASH_SHA384 = 5,
    IVPN_P1_HASH_SHA512 = 6,
    IVPN_P1_AUTH_PSK = 1,
    IVPN_P1_LIFE_SECONDS = 1,
    IVPN_P1_LIFE_KILOBYTES = 2,
};

/* Phase-2 (IPsec DOI) attribute types and values (RFC 2407 §4.5, RFC 3947 §5.2.4) */
enum {
    IVPN_P2_ATTR_LIFE_TYPE = 1,     /* 1 seconds, 2 kilobytes */
    IVPN_P2_ATTR_LIFE_DURATION = 2,
    IVPN_P2_ATTR_GROUP = 3,         /* PFS group */
    IVPN_P2_ATTR_ENCAP_MODE = 4,
    IVPN_P2_ATTR_AUTH_ALG = 5,      /* 1 HMAC-MD5, 2 HMAC-SHA, 5 HMAC-SHA2-256, 6 -384, 7 -512 */
    IVPN_P2_ATTR_KEY_LENGTH = 6,
    IVPN_P2_ATTR_ESN = 11,          /* RFC 4304 */
    IVPN_P2_ENCAP_TUNNEL = 1,
    IVPN_P2_ENCAP_TRANSPORT = 2,
    IVPN_P2_ENCAP_UDP_TUNNEL = 3,   /* RFC 3947 */
    IVPN_P2_ENCAP_UDP_TRANSPORT = 4,
    IVPN_P2_ENCAP_UDP_TUNNEL_DRAFT = 61443,
    IVPN_P2_ENCAP_UDP_TRANSPORT_DRAFT = 61444,
    IVPN_P2_AUTH_HMAC_MD5 = 1,
    IVPN_P2_AUTH_HMAC_SHA = 2,
    IVPN_P2_AUTH_HMAC_SHA2_256 = 5,
    IVPN_P2_AUTH_HMAC_SHA2_384 = 6,
    IVPN_P2_AUTH_HMAC_SHA2_512 = 7,
    /* ESP transform IDs (RFC 2407 §4.4.4): the same numbers as IKEv2 ENCR: 2 DES, 3 3DES,
     * 12 AES-CBC (ipsecvpn_encr). */
};

/* ID types (RFC 2407 §4.6.2.1) */
enum {
    IVPN_ISAKMP_ID_IPV4_ADDR = 1,
    IVPN_ISAKMP_ID_FQDN = 2,
    IVPN_ISAKMP_ID_USER_FQDN = 3,
    IVPN_ISAKMP_ID_IPV4_ADDR_SUBNET = 4,
    IVPN_ISAKMP_ID_IPV6_ADDR = 5,
    IVPN_ISAKMP_ID_IPV6_ADDR_SUBNET = 6,
    IVPN_ISAKMP_ID_IPV4_ADDR_RANGE = 7,
    IVPN_ISAKMP_ID_IPV6_ADDR_RANGE = 8,
    IVPN_ISAKMP_ID_KEY_ID = 11,
};

/* Notify message types (RFC 2408 §3.14.1, RFC 2407 §4.6.3, RFC 3706) */
enum {
    IVPN_ISAKMP_N_INVALID_PAYLOAD_TYPE = 1,
    IVPN_ISAKMP_N_INVALID_COOKIE = 4,
    IVPN_ISAKMP_N_INVALID_EXCHANGE_TYPE = 7,
    IVPN_ISAKMP_N_INVALID_FLAGS = 8,
    IVPN_ISAKMP_N_INVALID_MESSAGE_ID = 9,
    IVPN_ISAKMP_N_INVALID_SPI = 11,
    IVPN_ISAKMP_N_NO_PROPOSAL_CHOSEN = 14,
    IVPN_ISAKMP_N_PAYLOAD_MALFORMED = 16,
    IVPN_ISAKMP_N_INVALID_KEY_INFORMATION = 17,
    IVPN_ISAKMP_N_INVALID_ID_INFORMATION = 18,
    IVPN_ISAKMP_N_AUTHENTICATION_FAILED = 24,
    IVPN_ISAKMP_N_INVALID_HASH_INFORMATION = 23,
    IVPN_ISAKMP_N_RESPONDER_LIFETIME = 24576,
    IVPN_ISAKMP_N_INITIAL_CONTACT = 24578,
    IVPN_ISAKMP_N_DPD_R_U_THERE = 36136,
    IVPN_ISAKMP_N_DPD_R_U_THERE_ACK = 36137,
};

/* ---- header and payload chain (phase 1 of decoding: bounds only) ------------------------ */

typedef struct ivpn_isakmp_header {
    uint8_t cookie_i[8];
    uint8_t cookie_r[8];
    uint8_t next_payload;
    uint8_t major, minor;   /* 1, 0 */
    uint8_t exchange;
    uint8_t flags;          /* IVPN_ISAKMP_FLAG_* */
    uint32_t message_id;
    uint32_t length;
} ivpn_isakmp_header;

/* Decode the 28-byte header of a datagram of len bytes (non-ESP marker removed). MALFORMED
 * when shorter than 28, when Length > len or Length < 28, or Major Version != 1. Bytes past
 * Length are ignored (some peers pad datagrams); the engine uses hdr.length from here on. */
int ivpn_isakmp_header_decode(const ipsecvpn_ctx *ctx, const uint8_t *msg, size_t len,
                              ivpn_isakmp_header *out);
void ivpn_isakmp_header_encode(ivpn_writer *w, const ivpn_isakmp_header *h);

#define IVPN_ISAKMP_MAX_PAYLOADS 24

typedef struct ivpn_isakmp_payload_ref {
    uint8_t type;
    ivpn_span body;   /* without the 4-byte generic header (HASH payloads are computed over
                         bodies; RFC 2409 §5 "ISAKMP generic header excluded") */
    ivpn_span whole;  /* with it (quick mode HASH(1) covers whole payloads after HASH) */
} ivpn_isakmp_payload_ref;

typedef struct ivpn_isakmp_payload_list {
    ivpn_isakmp_payload_ref items[IVPN_ISAKMP_MAX_PAYLOADS];
    uint8_t count;
    uint16_t skipped_unknown;  /* unknown types are skipped (RFC 2408 has no critical bit) */
} ivpn_isakmp_payload_list;

/*
 * Walk a chain starting with type `first` over len bytes. Every Payload Length >= 4 and must
 * fit. With allow_trailing (decrypted bodies: CBC padding follows the last payload), bytes
 * after the payload whose Next Payload is 0 are ignored; without it the chain must end
 * exactly at len. Types P and T are refused at this level (they only live inside SA).
 */
int ivpn_isakmp_chain_walk(const ipsecvpn_ctx *ctx, uint8_t first, const uint8_t *p, size_t len,
                           bool allow_trailing, ivpn_isakmp_payload_list *out);
const ivpn_isakmp_payload_ref *ivpn_isakmp_list_find(const ivpn_isakmp_payload_list *l,
                                                     uint8_t type);
unsigned ivpn_isakmp_list_count(const ivpn_isakmp_payload_list *l, uint8_t type);

/* Building: header, then payloads; each open patches the previous Next Payload field. */
typedef struct ivpn_isakmp_chain_writer {
    ivpn_writer *w;
    size_t next_field;
    size_t open_at;
    bool open;
} ivpn_isakmp_chain_writer;

/* Writes the header (Length patched by _finish) and starts the chain at its Next Payload
 * field. Returns the header's offset. */
size_t ivpn_isakmp_message_begin(ivpn_writer *w, const ivpn_isakmp_header *h,
                                 ivpn_isakmp_chain_writer *cw);
void ivpn_isakmp_payload_open(ivpn_isakmp_chain_writer *cw, uint8_t type);
void ivpn_isakmp_payload_close(ivpn_isakmp_chain_writer *cw);
/* Patch the header's Length to the bytes written since hdr_at. Returns the writer status. */
int ivpn_isakmp_message_finish(ivpn_isakmp_chain_writer *cw, size_t hdr_at);
/* Added: start a chain whose first type goes into the byte at next_field_at (e.g. the inner
 * chain of an encrypted message, built in its own buffer); close the last payload with
 * ivpn_isakmp_payload_close. */
void ivpn_isakmp_chain_begin(ivpn_isakmp_chain_writer *cw, ivpn_writer *w, size_t next_field_at);
/* Added: "SA", "NAT-D", ... for log lines ("UNKNOWN" otherwise). */
const char *ivpn_isakmp_payload_name(uint8_t type);

/* ---- payload bodies (phase 2 of decoding) ------------------------------------------------ */

/* One data attribute (RFC 2408 §3.3): basic (TV, AF=1) or variable (TLV). Variable values
 * longer than 8 bytes are MALFORMED (no attribute we know needs more); up to 8 bytes they are
 * read as a big-endian number. */
typedef struct ivpn_isakmp_attr {
    uint16_t type;          /* without the AF bit */
    bool basic;
    uint64_t value;
} ivpn_isakmp_attr;

#define IVPN_ISAKMP_MAX_ATTRS 12
#define IVPN_ISAKMP_MAX_TRANSFORMS 16
#define IVPN_ISAKMP_MAX_PROPOSALS 8

typedef struct ivpn_isakmp_transform {
    uint8_t num;
    uint8_t id;             /* KEY_IKE in phase 1, ESP transform ID (ipsecvpn_encr) in phase 2 */
    uint8_t n_attrs;
    ivpn_isakmp_attr attrs[IVPN_ISAKMP_MAX_ATTRS];
} ivpn_isakmp_transform;

typedef struct ivpn_isakmp_proposal {
    uint8_t num;
    uint8_t protocol;       /* IVPN_ISAKMP_PROTO_* */
    uint8_t spi_size;       /* 0 or 16 in phase 1 (ignored), 4 for ESP */
    uint8_t spi[16];
    uint8_t n_transforms;
    ivpn_isakmp_transform transforms[IVPN_ISAKMP_MAX_TRANSFORMS];
} ivpn_isakmp_proposal;

/* SA payload: DOI, situation, proposals. Proposals with the same number are an AND (RFC 2408
 * §4.2, e.g. ESP+AH); the decoder keeps them in order and the engine refuses such bundles. */
typedef struct ivpn_isakmp_sa {
    uint32_t doi;
    uint32_t situation;
    uint8_t n_proposals;
    ivpn_isakmp_proposal proposals[IVPN_ISAKMP_MAX_PROPOSALS];
} ivpn_isakmp_sa;

/* MALFORMED on any length inconsistency, a DOI other than IPsec, a situation other than
 * SIT_IDENTITY_ONLY, more than the MAX_* counts, or a transform count that does not match.
 * The struct is large (~20 KB): callers allocate it. */
int ivpn_isakmp_sa_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_isakmp_sa *out);
void ivpn_isakmp_sa_encode(ivpn_writer *w, const ivpn_isakmp_sa *sa);
/* Value of an attribute of a transform; false when absent (value may be NULL). */
bool ivpn_isakmp_attr_get(const ivpn_isakmp_transform *t, uint16_t type, uint64_t *value);
/* Append an attribute: basic (TV) when value < 65536, whatever the type (life duration is
 * written basic when it fits, as strongSwan does), else variable (TLV) with a 4-byte value,
 * or 8 bytes above 2^32-1. Dropped when the transform already holds MAX_ATTRS (the engine
 * writes at most 7); ivpn_isakmp_sa_encode refuses types above 0x7fff. */
void ivpn_isakmp_transform_add_attr(ivpn_isakmp_transform *t, uint16_t type, uint64_t value);

/* ID payload (RFC 2407 §4.6.2): type, protocol, port, data (address, subnet, range, name). */
typedef struct ivpn_isakmp_id {
    uint8_t type;
    uint8_t protocol;
    uint16_t port;
    ivpn_span data;
} ivpn_isakmp_id;
int ivpn_isakmp_id_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_isakmp_id *out);
void ivpn_isakmp_id_encode(ivpn_writer *w, const ivpn_isakmp_id *id);

/* Notification payload (RFC 2408 §3.14). */
typedef struct ivpn_isakmp_notify {
    uint32_t doi;
    uint8_t protocol;
    uint8_t spi_size;       /* 0..16 (16: ISAKMP cookie pair, RFC 3706 DPD) */
    uint16_t type;
    uint8_t spi[16];
    ivpn_span data;
} ivpn_isakmp_notify;
int ivpn_isakmp_notify_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_isakmp_notify *out);
void ivpn_isakmp_notify_encode(ivpn_writer *w, const ivpn_isakmp_notify *n);

/* Delete payload (RFC 2408 §3.15): SPIs of one size and protocol. */
#define IVPN_ISAKMP_MAX_DELETE_SPIS 16
typedef struct ivpn_isakmp_delete {
    uint32_t doi;
    uint8_t protocol;
    uint8_t spi_size;       /* 16 for ISAKMP (cookies), 4 for ESP */
    uint16_t n_spis;        /* as sent; at most MAX_DELETE_SPIS are kept in spis */
    uint8_t spis[IVPN_ISAKMP_MAX_DELETE_SPIS][16];
} ivpn_isakmp_delete;
int ivpn_isakmp_delete_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_isakmp_delete *out);
void ivpn_isakmp_delete_encode(ivpn_writer *w, const ivpn_isakmp_delete *d);

/* KE, NONCE, HASH, VID, NAT-D are raw data: the body is the value. NONCE must be 8..256
 * bytes (RFC 2409 §5), HASH 1..64, KE 1..1024 (the engine checks the group's exact length). */
int ivpn_isakmp_nonce_check(const ipsecvpn_ctx *ctx, ivpn_span body);
/* Added: the HASH (1..64) and KE (1..1024) length checks of the comment above. */
int ivpn_isakmp_hash_check(const ipsecvpn_ctx *ctx, ivpn_span body);
int ivpn_isakmp_ke_check(const ipsecvpn_ctx *ctx, ivpn_span body);

/* ---- payload rules per exchange and message (checked before any state changes) ---------- */
typedef enum ivpn_isakmp_msg_kind {
    IVPN_V1_MSG_MM1 = 1,    /* main mode: SA [VID...] */
    IVPN_V1_MSG_MM2,        /* SA [VID...] */
    IVPN_V1_MSG_MM3,        /* KE, Ni [NAT-D, NAT-D...] [VID] */
    IVPN_V1_MSG_MM4,        /* KE, Nr [NAT-D...] [VID] */
    IVPN_V1_MSG_MM5,        /* (encrypted) IDii, HASH_I [N(INITIAL_CONTACT)] */
    IVPN_V1_MSG_MM6,        /* (encrypted) IDir, HASH_R [N...] */
    IVPN_V1_MSG_AM1,        /* SA, KE, Ni, IDii [VID...] */
    IVPN_V1_MSG_AM2,        /* SA, KE, Nr, IDir, HASH_R [NAT-D...] [VID...] */
    IVPN_V1_MSG_AM3,        /* HASH_I [NAT-D...] [N...] (encrypted or not, RFC 2409 §5.4) */
    IVPN_V1_MSG_QM1,        /* HASH(1), SA, Ni [KE] [IDci, IDcr] [NAT-OA...] [N...] */
    IVPN_V1_MSG_QM2,        /* HASH(2), SA, Nr [KE] [IDci, IDcr] [NAT-OA...] [N...] */
    IVPN_V1_MSG_QM3,        /* HASH(3) */
    IVPN_V1_MSG_INFO,       /* HASH(1) then N or D payloads (encrypted); unencrypted N only
                               before an ISAKMP SA exists */
    IVPN_V1_MSG_INFO_PLAIN, /* added: the unencrypted one, N+ [VID...] and nothing else */
} ivpn_isakmp_msg_kind;

/* Count and order rules of one message kind (e.g. HASH first in quick mode and
 * informational messages, exactly one SA, IDci/IDcr both or neither). VID and N are allowed
 * in any phase-1 message; NAT-D/NAT-OA draft numbers count as NAT-D/NAT-OA; a payload the
 * kind does not allow, or any unknown type the walk skipped, is MALFORMED. MALFORMED with a
 * log line naming the broken rule. */
int ivpn_isakmp_rules_check(const ipsecvpn_ctx *ctx, ivpn_isakmp_msg_kind kind,
                            const ivpn_isakmp_payload_list *l);

#endif
