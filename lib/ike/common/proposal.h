/*
 * Proposals from the configuration and proposal selection (RFC 7296 §2.7, §3.3), shared by
 * the IKE engines: the IKE policy becomes one IKE proposal (PRF and INTEG from the same hash),
 * the IPsec policy one ESP proposal; selection picks the first offered proposal whose every
 * transform type we can satisfy.
 */
#ifndef IVPN_IKE_PROPOSAL_H
#define IVPN_IKE_PROPOSAL_H

#include "config/model.h"
#include "core/engine_internal.h"
#include "wire/ikev2_payloads.h"

/* The PRF that goes with an integrity algorithm (same hash), 0 if none. */
uint16_t ivpn_prf_for_integ(uint16_t integ);

/* One IKE proposal (SPI size 0). extra_dh, when non-zero, is offered before the configured
 * group (used when retrying after INVALID_KE_PAYLOAD, and by tests). */
void ivpn_proposal_ike(const ivpn_conn_ike *v, uint16_t extra_dh, ivpn_ikev2_sa *out);
/* One ESP proposal with our inbound SPI; dh = PFS group or 0. */
void ivpn_proposal_esp(const ivpn_conn_ipsec *v, uint32_t spi, uint16_t dh, ivpn_ikev2_sa *out);

/* Pick the first proposal of `offered` that `ours` (one proposal) satisfies.
 * Returns IPSECVPN_OK with *algs and *chosen (index into offered->proposals), or
 * IPSECVPN_ERR_IKE_NO_PROPOSAL. */
int ivpn_proposal_select(const ivpn_ikev2_sa *offered, const ivpn_ikev2_sa *ours,
                         ivpn_algs *algs, uint8_t *chosen);
/* A response must carry exactly one proposal, one transform of each type, all from ours. */
int ivpn_proposal_check_reply(const ivpn_ikev2_sa *reply, const ivpn_ikev2_sa *ours,
                              ivpn_algs *algs);
/* The one-proposal SA payload of a response. */
void ivpn_proposal_from_algs(uint8_t protocol, uint8_t num, const uint8_t *spi, uint8_t spi_size,
                             const ivpn_algs *a, ivpn_ikev2_sa *out);
/* 4-byte SPI of a proposal as a number (ESP/AH). */
uint32_t ivpn_proposal_spi32(const ivpn_ikev2_proposal *p);

#endif
