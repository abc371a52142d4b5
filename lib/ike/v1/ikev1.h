/*
 * The IKEv1 engine (RFC 2409 over ISAKMP, RFC 2408) as lib/core/engine.c drives it: the
 * ivpn_ike_ops table for connections whose IKE version is IKEv1, and the entry point for
 * received ISAKMP messages (major version 1). Everything else in lib/ike/v1 is internal.
 * Built only with the meson option ikev1 (IPSECVPN_HAVE_IKEV1).
 */
#ifndef IVPN_IKE_V1_IKEV1_H
#define IVPN_IKE_V1_IKEV1_H

#include "core/engine_internal.h"

extern const ivpn_ike_ops ivpn_ikev1_ops;

/* One ISAKMP message (non-ESP marker already removed). *conn_id gets the connection or 0. */
int ivpn_ikev1_receive(ipsecvpn_engine *e, const ipsecvpn_endpoint *local,
                       const ipsecvpn_endpoint *remote, const uint8_t *msg, size_t len,
                       uint64_t now, uint32_t *conn_id);

#endif
