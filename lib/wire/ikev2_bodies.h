/*
 * Phase 2 of IKEv2 decoding: the meaning of each payload body found by the chain walk
 * (ikev2_chain.h), after the per-exchange rules (ikev2_rules.h) said the set of payloads is
 * acceptable. Every body is decoded, so a message whose every byte has been checked is all
 * the engine ever sees.
 *
 * Payloads a message carries once (SA, KE, Nonce, IDi, IDr, AUTH, TSi, TSr, CP) get one
 * slot each; repeatable ones (N, D, V, CERT, CERTREQ) an array. CERT, CERTREQ and EAP are
 * not used by this PSK-only library and stay as spans in the payload list.
 */
#ifndef IVPN_WIRE_IKEV2_BODIES_H
#define IVPN_WIRE_IKEV2_BODIES_H

#include "wire/ikev2_chain.h"
#include "wire/ikev2_payloads.h"

enum {
    IVPN_IKEV2_HAS_SA = 1u << 0,
    IVPN_IKEV2_HAS_KE = 1u << 1,
    IVPN_IKEV2_HAS_NONCE = 1u << 2,
    IVPN_IKEV2_HAS_IDI = 1u << 3,
    IVPN_IKEV2_HAS_IDR = 1u << 4,
    IVPN_IKEV2_HAS_AUTH = 1u << 5,
    IVPN_IKEV2_HAS_TSI = 1u << 6,
    IVPN_IKEV2_HAS_TSR = 1u << 7,
    IVPN_IKEV2_HAS_CP = 1u << 8,
    IVPN_IKEV2_HAS_SK = 1u << 9,
};

typedef struct ivpn_ikev2_bodies {
    uint32_t present; /* IVPN_IKEV2_HAS_* */
    ivpn_ikev2_sa sa;
    ivpn_ikev2_ke ke;
    ivpn_ikev2_nonce nonce;
    ivpn_ikev2_id idi, idr;
    ivpn_ikev2_auth auth;
    ivpn_ikev2_ts tsi, tsr;
    ivpn_ikev2_cp cp;
    ivpn_ikev2_sk sk;     /* SK or SKF */
    ivpn_ikev2_notify notify[IVPN_IKEV2_MAX_PAYLOADS];
    uint8_t n_notify;
    ivpn_ikev2_delete del[IVPN_IKEV2_MAX_PAYLOADS];
    uint8_t n_delete;
    ivpn_ikev2_vendor vendor[IVPN_IKEV2_MAX_PAYLOADS];
    uint8_t n_vendor;
} ivpn_ikev2_bodies;

/* Decode every body of one chain (outer or decrypted inner) into *out (zeroed first).
 * MALFORMED on the first body that does not decode, or on a second copy of a payload that
 * may appear once. */
int ivpn_ikev2_decode_bodies(const ipsecvpn_ctx *ctx, const ivpn_ikev2_payload_list *list,
                             bool is_response, ivpn_ikev2_bodies *out);

/* The first notify of a type, or NULL. */
const ivpn_ikev2_notify *ivpn_ikev2_bodies_notify(const ivpn_ikev2_bodies *b, uint16_t type);

#endif
