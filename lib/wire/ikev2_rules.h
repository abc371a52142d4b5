/*
 * Per-exchange payload rules (RFC 7296 §1.2-§1.5, §2.21): which payloads a message of each
 * exchange may carry, how many of each, and whether outside or inside the SK payload.
 * Checked on the payload lists of phase 1, before any body is decoded and before any state
 * machine sees the message.
 */
#ifndef IVPN_WIRE_IKEV2_RULES_H
#define IVPN_WIRE_IKEV2_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ctx.h"
#include "wire/ikev2_chain.h"

/* CREATE_CHILD_SA carries three different exchanges (§1.3); the others have one form. */
typedef enum ivpn_ikev2_variant {
    IVPN_IKEV2_VARIANT_DEFAULT = 0,
    IVPN_IKEV2_VARIANT_NEW_CHILD,   /* SA, Ni, [KEi], TSi, TSr */
    IVPN_IKEV2_VARIANT_REKEY_CHILD, /* N(REKEY_SA), SA, Ni, [KEi], TSi, TSr */
    IVPN_IKEV2_VARIANT_REKEY_IKE,   /* SA, Ni, KEi */
} ivpn_ikev2_variant;

/*
 * Check a message's payloads against the table for (exchange, request/response).
 * outer: the chain after the header. inner: the decrypted chain inside SK, or NULL while the
 * message is not decrypted yet (then only the outer chain is checked: for every exchange but
 * IKE_SA_INIT it must be exactly one SK or SKF payload). Call again with inner once
 * decrypted. A response made of notifies only, one of them an error (or, for IKE_SA_INIT,
 * COOKIE), is always allowed. For CREATE_CHILD_SA the variant is inferred from the inner
 * payloads (ivpn_ikev2_infer_variant).
 * Returns IPSECVPN_OK or IPSECVPN_ERR_IKE_MALFORMED with one log line.
 */
int ivpn_ikev2_check_rules(const ipsecvpn_ctx *ctx, uint8_t exchange, bool is_response,
                           const ivpn_ikev2_payload_list *outer,
                           const ivpn_ikev2_payload_list *inner);

/* The same with the CREATE_CHILD_SA variant the engine expects (DEFAULT: infer it). */
int ivpn_ikev2_check_rules_variant(const ipsecvpn_ctx *ctx, uint8_t exchange,
                                   ivpn_ikev2_variant variant, bool is_response,
                                   const ivpn_ikev2_payload_list *outer,
                                   const ivpn_ikev2_payload_list *inner);

/* CREATE_CHILD_SA: no TS → rekey IKE; TS and N(REKEY_SA) → rekey child; else new child. */
ivpn_ikev2_variant ivpn_ikev2_infer_variant(const ivpn_ikev2_payload_list *inner);

#endif
