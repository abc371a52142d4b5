/*
 * Simultaneous rekeys (RFC 7296 §2.8.1 Child SAs, §2.8.2 IKE SA): both exchanges complete and
 * the lowest of the four nonces marks the redundant new SA, which its creator deletes.
 */
#ifndef IVPN_IKE_V2_REKEY_COLLISION_H
#define IVPN_IKE_V2_REKEY_COLLISION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/v2/v2_internal.h"

/* "Lowest" compares octet by octet; a nonce that is a prefix of the other is the lower. True
 * when the lowest of the four nonces is one of the first exchange's (ai, ar): the SA that
 * exchange created is the redundant one. */
bool ivpn_rekey_collision_lost(const uint8_t *ai, size_t ai_len, const uint8_t *ar,
                               size_t ar_len, const uint8_t *bi, size_t bi_len,
                               const uint8_t *br, size_t br_len);

/* The peer deleted the IKE SA whose rekey collided with ours before our own rekey finished:
 * it never saw the collision, so the SA its rekey created (held in coll_ike) takes over. */
void ivpn_ikev2_rekey_ike_adopt(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now);
/* A message for the redundant IKE SA of a collision: only its deletion is still of interest. */
int ivpn_ikev2_dup_sa_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx, uint64_t now);
/* Free the redundant IKE SA. */
void ivpn_ikev2_drop_dup(ipsecvpn_engine *e, ivpn_conn *c);

#endif
