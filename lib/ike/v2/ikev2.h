/*
 * The IKEv2 engine (RFC 7296) as lib/core/engine.c drives it: start a connection, feed a
 * received IKE message, run timers, close. Everything else in lib/ike/v2 is internal to it
 * (v2_internal.h).
 */
#ifndef IVPN_IKE_V2_IKEV2_H
#define IVPN_IKE_V2_IKEV2_H

#include "core/engine_internal.h"

/* The table lib/core/engine.c drives IKEv2 connections through. */
extern const ivpn_ike_ops ivpn_ikev2_ops;

/* Start IKE_SA_INIT for a connection (as the original initiator). */
int ivpn_ikev2_initiate(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now);
/* One IKE message (non-ESP marker already removed). *conn_id gets the connection or 0. */
int ivpn_ikev2_receive(ipsecvpn_engine *e, const ipsecvpn_endpoint *local,
                       const ipsecvpn_endpoint *remote, const uint8_t *msg, size_t len,
                       uint64_t now, uint32_t *conn_id);
/* Earliest timer of the connection (UINT64_MAX: none). */
uint64_t ivpn_ikev2_next_expiry(const ivpn_conn *c);
/* Run the connection's timers that are due. */
void ivpn_ikev2_handle_expiry(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now);
/* Delete the IKE SA and its Child SAs; tell the peer (one unanswered Delete) if asked. */
void ivpn_ikev2_close(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now, bool tell_peer);
/* Count an inbound ESP packet as a sign of life (DPD). */
void ivpn_ikev2_peer_alive(ivpn_conn *c, uint64_t now);

#endif
