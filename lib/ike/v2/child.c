/*
 * IKEv2 Child SA keys (RFC 7296 §2.17): KEYMAT is taken in the order
 *   encr key (initiator -> responder), integ key (i -> r), encr key (r -> i), integ key (r -> i)
 * where "initiator" is the initiator of the exchange that created the Child SA. The pair is
 * then installed by the shared code of lib/ike/common/child_sa.c.
 */
#include <string.h>

#include "ike/common/child_sa.h"
#include "ike/v2/v2_internal.h"

int ivpn_child_install(ipsecvpn_engine *e, ivpn_conn *c, const ivpn_algs *a, uint32_t spi_in,
                       uint32_t spi_out, const ivpn_ts_set *local_ts,
                       const ivpn_ts_set *remote_ts, const uint8_t *gir, size_t gir_len,
                       const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                       bool we_initiated, uint32_t rekey_of, uint64_t now)
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
        .lifetime_s = v->ipsec.lifetime,
        .log_prefix = "IKEv2",
        .rekey_of = rekey_of,
    };
    rc = ivpn_child_sa_install(e, c, &p, rekey_of != 0, now);
    ivpn_wipe(km, sizeof(km));
    return rc;
}
