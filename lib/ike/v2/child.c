/*
 * IKEv2 Child SAs: their mode and their keys.
 *
 * Mode (RFC 7296 §1.3.1, §3.10.1): a Child SA is tunnel mode unless the request carries
 * N(USE_TRANSPORT_MODE) and the responder echoes it. The responder's choice, by its policy:
 *
 *   policy     request asks    answer
 *   tunnel     tunnel          tunnel
 *   tunnel     transport       tunnel (no notify: the initiator decides)
 *   transport  transport       transport, N(USE_TRANSPORT_MODE) echoed
 *   transport  tunnel          NO_PROPOSAL_CHOSEN (mode mismatch)
 *
 * An initiator whose policy is transport refuses a tunnel answer. In transport mode the
 * selectors are the hosts' own (outer) addresses: the configured ones narrowed to them.
 *
 * Keys (§2.17): KEYMAT is taken in the order
 *   encr key (initiator -> responder), integ key (i -> r), encr key (r -> i), integ key (r -> i)
 * where "initiator" is the initiator of the exchange that created the Child SA. The pair is
 * then installed by the shared code of lib/ike/common/child_sa.c.
 */
#include <string.h>

#include "ike/common/child_sa.h"
#include "ike/common/ts.h"
#include "ike/v2/v2_internal.h"

bool ivpn_ikev2_policy_transport(const ivpn_conn *c)
{
    return ivpn_conn_values(c)->ipsec.mode == IVPN_IPSEC_TRANSPORT;
}

bool ivpn_ikev2_rx_transport(const ivpn_rx *rx)
{
    return ivpn_ikev2_bodies_notify(&rx->b, IVPN_IKEV2_N_USE_TRANSPORT_MODE) != NULL;
}


/* The responder's table above: [policy is transport][request asks transport]. */
static const struct mode_answer {
    bool transport;       /* the pair is transport mode */
    uint16_t notify;      /* or the request is refused with this */
    const char *log;      /* why, when the answer is not what was asked */
} mode_table[2][2] = {
    { { false, 0, NULL },
      { false, 0, "peer asked for transport mode, the policy is tunnel: answering tunnel" } },
    { { false, IVPN_IKEV2_N_NO_PROPOSAL_CHOSEN,
        "peer asked for tunnel mode, the policy requires transport" },
      { true, 0, NULL } },
};

uint16_t ivpn_ikev2_mode_answer(ipsecvpn_engine *e, const ivpn_conn *c, const ivpn_rx *rx,
                                bool *transport)
{
    const struct mode_answer *a =
        &mode_table[ivpn_ikev2_policy_transport(c)][ivpn_ikev2_rx_transport(rx)];
    if (a->log)
        IVPN_LOG_INFO(e->ctx, "IKEv2: %s", a->log);
    *transport = a->transport;
    return a->notify;
}

bool ivpn_ikev2_mode_accepted(ipsecvpn_engine *e, const ivpn_rx *rx, bool asked_transport)
{
    bool got = ivpn_ikev2_rx_transport(rx);
    if (got == asked_transport)
        return true;
    /* a transport answer to a tunnel request is not one the RFC allows either */
    IVPN_LOG_WARN(e->ctx, "IKEv2: peer answered %s mode, %s mode required: Child SA refused",
                  got ? "transport" : "tunnel", asked_transport ? "transport" : "tunnel");
    return false;
}

int ivpn_ikev2_mode_ts(ipsecvpn_engine *e, const ivpn_conn *c, const ivpn_ts_set *local,
                       const ivpn_ts_set *remote, ivpn_ts_set *out_local, ivpn_ts_set *out_remote)
{
    const ivpn_ike_sa *sa = c->ike;
    ivpn_ts_host(local, &sa->local, out_local);
    ivpn_ts_host(remote, &sa->remote, out_remote);
    if (out_local->n && out_remote->n)
        return IPSECVPN_OK;
    IVPN_LOG_WARN(e->ctx, "IKEv2: transport mode: the %s address is outside the protected "
                          "selectors", out_local->n ? "peer's" : "local");
    return IPSECVPN_ERR_IKE_TS;
}

int ivpn_child_install(ipsecvpn_engine *e, ivpn_conn *c, const ivpn_algs *a, uint32_t spi_in,
                       uint32_t spi_out, const ivpn_ts_set *local_ts,
                       const ivpn_ts_set *remote_ts, const uint8_t *gir, size_t gir_len,
                       const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                       bool we_initiated, bool transport, uint32_t rekey_of, uint64_t now)
{
    ivpn_ike_sa *sa = c->ike;
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    size_t ek, ak;
    int rc = ivpn_child_key_lengths(a, &ek, &ak);
    if (rc != IPSECVPN_OK)
        return rc;
    uint8_t km[4 * IVPN_KEY_MAX];
    rc = ivpn_ikev2_child_keymat(sa, gir, gir_len, ni, ni_len, nr, nr_len, km, 2 * (ek + ak));
    if (rc != IPSECVPN_OK)
        return rc;
    const uint8_t *e_ir = km, *a_ir = km + ek, *e_ri = km + ek + ak, *a_ri = e_ri + ek;
    ivpn_child_keys keys = {
        .encr_in = we_initiated ? e_ri : e_ir,
        .integ_in = ak ? (we_initiated ? a_ri : a_ir) : NULL,
        .encr_out = we_initiated ? e_ir : e_ri,
        .integ_out = ak ? (we_initiated ? a_ir : a_ri) : NULL,
        .encr_len = ek,
        .integ_len = ak,
    };
    ivpn_child_params p = {
        .algs = a,
        .spi_in = spi_in,
        .spi_out = spi_out,
        .local_ts = local_ts,
        .remote_ts = remote_ts,
        .keys = &keys,
        .local = sa->local,
        .remote = sa->remote,
        .encap = sa->nat_local || sa->nat_remote || v->nat_traversal,
        .transport = transport,
        .lifetime_s = v->ipsec.lifetime,
        .log_prefix = "IKEv2",
        .rekey_of = rekey_of,
    };
    rc = ivpn_child_sa_install(e, c, &p, rekey_of != 0, now);
    ivpn_wipe(km, sizeof(km));
    return rc;
}
