/*
 * Traffic selectors (ipsecvpn_selector, net.h): validation and matching, shared by the SPD
 * (spd.c) and the SA's inbound check (selector.c), so both read a selector the same way.
 */
#ifndef IVPN_ESP_SELECTOR_H
#define IVPN_ESP_SELECTOR_H

#include <stdbool.h>

#include "core/ctx.h"
#include "esp/ip_parse.h"
#include "ipsecvpn/net.h"

/* Families agree and are 4 or 6, prefix lengths fit, port ranges are ordered, and only
 * protocols with ports have port ranges other than any. Logs one line naming @where. */
int ivpn_selector_check(const ipsecvpn_ctx *ctx, const ipsecvpn_selector *s, const char *where);

/* Does the flow match? outbound: the flow's source is local; inbound: its destination is.
 * Opaque ports (non-first fragments, short payloads) match only "any" (RFC 4301 §4.4.1.1). */
bool ivpn_selector_match(const ipsecvpn_selector *s, const ivpn_flow *f, bool outbound);

/* Family 4 or 6 and a prefix length that fits; logs "<where>.<side>.<field>: ..." */
int ivpn_prefix_check(const ipsecvpn_ctx *ctx, const ipsecvpn_ip_prefix *p, const char *where,
                      const char *side);

/* Clear the address bits after the prefix length, so stored selectors compare equal. */
void ivpn_prefix_normalise(ipsecvpn_ip_prefix *p);

#endif
