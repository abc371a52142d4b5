/*
 * Traffic selectors (RFC 7296 §2.9, §3.13): from the configuration's routing mode, to and
 * from the wire, narrowing by intersection, and conversion to prefixes for the ESP layer and
 * the host. Kept apart from the IKEv2 codec so IKEv1's ID payloads can reuse the set logic.
 */
#ifndef IVPN_IKE_TS_H
#define IVPN_IKE_TS_H

#include "core/engine_internal.h"
#include "ipsecvpn/net.h"
#include "wire/ikev2_payloads.h"

/* Sets write into out->ts up to out->cap selectors (see ivpn_ts_set); a set without storage
 * stays empty. */

/* An owned copy of src with exactly src->n selectors (dst's previous storage is not freed). */
int ivpn_ts_set_copy(const ipsecvpn_ctx *ctx, const ivpn_ts_set *src, ivpn_ts_set *dst);
/* Free an owned set's storage; the set is empty afterwards. */
void ivpn_ts_set_free(const ipsecvpn_ctx *ctx, ivpn_ts_set *s);
/* Same selectors in the same order. */
bool ivpn_ts_set_equal(const ivpn_ts_set *a, const ivpn_ts_set *b);

/* Destination (route-based) mode: the whole address space of the outer family;
 * protected flows: one range per configured CIDR. */
void ivpn_ts_from_config(const ivpn_connection_values *v, bool local, ivpn_ts_set *out);
void ivpn_ts_to_wire(const ivpn_ts_set *s, ivpn_ikev2_ts *out);
void ivpn_ts_from_wire(const ivpn_ikev2_ts *w, ivpn_ts_set *out);
/* Every non-empty intersection of an offered selector with one of ours. */
void ivpn_ts_narrow(const ivpn_ts_set *offered, const ivpn_ts_set *ours, ivpn_ts_set *out);
/* Whether every selector of got lies inside one of ours. */
bool ivpn_ts_subset(const ivpn_ts_set *got, const ivpn_ts_set *ours);
/* Whether an address falls in one of the selectors. */
bool ivpn_ts_contains(const ivpn_ts_set *s, uint8_t family, const uint8_t *addr);
/* s narrowed to one host's address (any protocol and port): the selectors of a transport-mode
 * SA, which protects the two hosts' own traffic only (RFC 4301 §4.1). Empty when s does not
 * contain the address. */
void ivpn_ts_host(const ivpn_ts_set *s, const ipsecvpn_endpoint *host, ivpn_ts_set *out);
/* The smallest set of prefixes covering the ranges; returns how many were written. */
size_t ivpn_ts_to_prefixes(const ivpn_ts_set *s, ipsecvpn_ip_prefix *out, size_t max);

#endif
