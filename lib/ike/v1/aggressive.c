/*
 * Aggressive mode with pre-shared keys (RFC 2409 §5, §5.4), both roles:
 *
 *     Initiator                          Responder
 *    -----------                        -----------
 *     HDR, SA, KE, Ni, IDii, VID  -->                                          (AM1)
 *                                 <--    HDR, SA, KE, Nr, IDir, HASH_R
 *                                          [, NAT-D, NAT-D], VID              (AM2)
 *     HDR*, HASH_I [, NAT-D, NAT-D] -->                                        (AM3)
 *
 * Keys and hashes as in main mode (p1_common.c). AM3 may come encrypted or not (RFC 2409
 * §5.4 leaves it open); we send it encrypted as strongSwan does, and accept both. A peer may send
 * its first quick-mode message right behind AM3 (strongSwan does): when it overtakes AM3 it
 * waits in sa->early and is run once AM3 has authenticated the peer.
 */
#include <string.h>

#include "ike/v1/v1_internal.h"

/* HDR, SA, KE, Ni, IDii, VID --> */
int ivpn_v1_aggr_start(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, uint64_t now)
{
    ivpn_v1_msg *m = ivpn_malloc(e->ctx, sizeof(*m));
    uint8_t idb[4 + IVPN_ID_MAX + 1];
    size_t idlen = ivpn_v1_p1_id_body(c, sa, idb, sizeof(idb));
    int rc = m ? IPSECVPN_OK : IPSECVPN_ERR_NOMEM;
    if (rc == IPSECVPN_OK && !idlen)
        rc = IPSECVPN_ERR_INVALID_ARG;
    sa->dh_group = ivpn_conn_values(c)->ike.dh_group; /* one proposal: its group is the KE's */
    if (rc == IPSECVPN_OK)
        rc = ivpn_v1_p1_dh_nonce(e, sa);
    if (rc == IPSECVPN_OK)
        rc = ivpn_v1_p1_offer(e, c, sa, m);
    if (rc != IPSECVPN_OK) {
        ivpn_free(e->ctx, m);
        return rc;
    }
    ivpn_v1_msg_raw(m, IVPN_ISAKMP_PL_KE, sa->gxi, sa->gxi_len);
    ivpn_v1_msg_raw(m, IVPN_ISAKMP_PL_NONCE, sa->ni, sa->ni_len);
    ivpn_v1_msg_raw(m, IVPN_ISAKMP_PL_ID, idb, idlen);
    return ivpn_v1_p1_offer_send(e, sa, m, IVPN_V1_AM_I1, now);
}

/* Responder:  HDR, SA, KE, Ni, IDii, VID -->
 *        <--  HDR, SA, KE, Nr, IDir, HASH_R, NAT-D, NAT-D, VID
 * The SA's keys from AM1, then AM2. */
static int am2_build(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, const ivpn_v1_rx *rx,
                     const ivpn_isakmp_sa *reply, ivpn_v1_msg *m)
{
    const ivpn_span *ke = ivpn_v1_rx_body(rx, IVPN_ISAKMP_PL_KE);
    const ivpn_span *id = ivpn_v1_rx_body(rx, IVPN_ISAKMP_PL_ID);
    if (!ke || !id)
        return IPSECVPN_ERR_IKE_MALFORMED;
    int rc = ivpn_v1_p1_take_nonce(e, rx, sa->ni, &sa->ni_len);
    if (rc == IPSECVPN_OK)
        rc = ivpn_v1_keep_copy(e, &sa->id_peer_b, &sa->id_peer_b_len, id->p, id->len);
    if (rc == IPSECVPN_OK)
        rc = ivpn_v1_p1_dh_nonce(e, sa);
    if (rc == IPSECVPN_OK)
        rc = ivpn_v1_p1_keys(e, c, sa, ke->p, ke->len);
    ivpn_v1_read_vids(sa, rx);
    uint8_t body[1024], idb[4 + IVPN_ID_MAX + 1], hash[IVPN_V1_KEY_MAX];
    size_t n = 0, idlen = 0, hlen = 0;
    if (rc == IPSECVPN_OK) {
        n = ivpn_v1_sa_body(reply, body, sizeof(body));
        idlen = ivpn_v1_p1_id_body(c, sa, idb, sizeof(idb));
        rc = n && idlen ? ivpn_v1_p1_hash(sa, false, idb, idlen, hash, &hlen)
                        : IPSECVPN_ERR_INTERNAL;
    }
    if (rc == IPSECVPN_OK) {
        ivpn_v1_msg_begin(m, sa, IVPN_ISAKMP_EX_AGGRESSIVE, 0, false);
        ivpn_v1_msg_raw(m, IVPN_ISAKMP_PL_SA, body, n);
        ivpn_v1_msg_raw(m, IVPN_ISAKMP_PL_KE, sa->gxr, sa->gxr_len);
        ivpn_v1_msg_raw(m, IVPN_ISAKMP_PL_NONCE, sa->nr, sa->nr_len);
        ivpn_v1_msg_raw(m, IVPN_ISAKMP_PL_ID, idb, idlen);
        ivpn_v1_msg_raw(m, IVPN_ISAKMP_PL_HASH, hash, hlen);
        rc = ivpn_v1_add_natd(e, c, sa, m);
        ivpn_v1_add_vids(m);
    }
    ivpn_wipe(hash, sizeof(hash));
    return rc;
}

/* timed as well: AM3 is the initiator's last word, nobody else would resend AM2 */
const ivpn_v1_first ivpn_v1_aggr_first = { IVPN_V1_MSG_AM1, IVPN_V1_AM_R1, true, am2_build };

/* Initiator:  <-- HDR, SA, KE, Nr, IDir, HASH_R, NAT-D.., VID ;  HDR*, HASH_I, NAT-D.. --> */
static int am2_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, const ivpn_v1_rx *rx,
                  const ipsecvpn_endpoint *local, const ipsecvpn_endpoint *remote, uint64_t now)
{
    static const uint8_t zero[8] = { 0 };
    const ivpn_span *ke = ivpn_v1_rx_body(rx, IVPN_ISAKMP_PL_KE);
    const ivpn_span *id = ivpn_v1_rx_body(rx, IVPN_ISAKMP_PL_ID);
    const ivpn_span *hash = ivpn_v1_rx_body(rx, IVPN_ISAKMP_PL_HASH);
    if (!ke || !id || !hash || memcmp(rx->hdr.cookie_r, zero, 8) == 0)
        return IPSECVPN_ERR_IKE_MALFORMED;
    uint8_t nr[IVPN_V1_NONCE_MAX];
    size_t nr_len = 0;
    ivpn_isakmp_sa *reply = NULL;
    int rc = ivpn_v1_p1_take_nonce(e, rx, nr, &nr_len);
    if (rc == IPSECVPN_OK)
        rc = ivpn_v1_p1_decode_sa(e, rx, &reply);
    if (rc != IPSECVPN_OK)
        return rc;
    rc = ivpn_v1_p1_check_reply(e, c, reply, sa);
    ivpn_free(e->ctx, reply);
    if (rc == IPSECVPN_OK && sa->dh_group != ivpn_conn_values(c)->ike.dh_group)
        rc = IPSECVPN_ERR_IKE_NO_PROPOSAL;
    if (rc != IPSECVPN_OK) {
        ivpn_v1_p1_abort(e, c, sa, rc);
        return rc;
    }
    memcpy(sa->cky_r, rx->hdr.cookie_r, 8);
    memcpy(sa->nr, nr, nr_len);
    sa->nr_len = nr_len;
    rc = ivpn_v1_p1_keys(e, c, sa, ke->p, ke->len);
    if (rc != IPSECVPN_OK) {
        memset(sa->cky_r, 0, 8); /* a bad KE: still waiting for a good AM2 */
        return rc;
    }
    rc = ivpn_v1_p1_verify(e, c, sa, false, *id, *hash);
    if (rc != IPSECVPN_OK) {
        ivpn_v1_p1_abort(e, c, sa, rc);
        return rc;
    }
    ivpn_v1_read_vids(sa, rx);
    ivpn_v1_check_natd(sa, rx, local, remote);
    ivpn_v1_float(e, c, sa); /* RFC 3947 §4: AM3 goes to port 4500 when a NAT is seen */

    uint8_t idb[4 + IVPN_ID_MAX + 1], hi[IVPN_V1_KEY_MAX];
    size_t idlen = ivpn_v1_p1_id_body(c, sa, idb, sizeof(idb)), hlen = 0;
    rc = idlen ? ivpn_v1_p1_hash(sa, true, idb, idlen, hi, &hlen) : IPSECVPN_ERR_INTERNAL;
    ivpn_v1_msg *m = rc == IPSECVPN_OK ? ivpn_malloc(e->ctx, sizeof(*m)) : NULL;
    if (rc == IPSECVPN_OK && !m)
        rc = IPSECVPN_ERR_NOMEM;
    if (rc == IPSECVPN_OK) {
        ivpn_v1_msg_begin(m, sa, IVPN_ISAKMP_EX_AGGRESSIVE, 0, true);
        ivpn_v1_msg_raw(m, IVPN_ISAKMP_PL_HASH, hi, hlen);
        rc = ivpn_v1_add_natd(e, c, sa, m);
        if (rc == IPSECVPN_OK)
            rc = ivpn_v1_p1_send(e, sa, m, false, rx->msg, rx->len, now);
        else
            ivpn_free(e->ctx, m);
    }
    ivpn_wipe(hi, sizeof(hi));
    return ivpn_v1_p1_conclude(e, c, sa, rc, now);
}

/* Responder:  HDR*, HASH_I, NAT-D.. --> ; then any quick mode that overtook it */
static int am3_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, const ivpn_v1_rx *rx,
                  const ipsecvpn_endpoint *local, const ipsecvpn_endpoint *remote, uint64_t now)
{
    const ivpn_span *hash = ivpn_v1_rx_body(rx, IVPN_ISAKMP_PL_HASH);
    ivpn_span id = { sa->id_peer_b, sa->id_peer_b_len };
    int rc = hash ? ivpn_v1_p1_verify(e, c, sa, true, id, *hash) : IPSECVPN_ERR_IKE_AUTH;
    if (rc != IPSECVPN_OK) {
        ivpn_v1_p1_abort(e, c, sa, IPSECVPN_ERR_IKE_AUTH);
        return IPSECVPN_ERR_IKE_AUTH;
    }
    ivpn_v1_check_natd(sa, rx, local, remote);
    ivpn_v1_follow(sa, local, remote);
    sa->rtx.at = 0; /* AM2 arrived; it stays cached for a late AM1 */
    sa->last_rx = now;
    uint8_t *early = sa->early;
    size_t early_len = sa->early_len;
    sa->early = NULL;
    sa->early_len = 0;
    ivpn_v1_established(e, c, sa, now);
    if (early) {
        IVPN_LOG_DEBUG(e->ctx, "IKEv1: running the quick mode message that overtook AM3");
        (void)ivpn_v1_quick_rx(e, c, sa, early, early_len, now);
        ivpn_free(e->ctx, early);
    }
    return IPSECVPN_OK;
}

int ivpn_v1_aggr_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa,
                    const ipsecvpn_endpoint *local, const ipsecvpn_endpoint *remote,
                    const uint8_t *msg, size_t len, uint64_t now)
{
    if (ivpn_v1_rtx_duplicate(e, sa, &sa->rtx, msg, len))
        return IPSECVPN_OK;
    static const uint8_t zero[8] = { 0 };
    bool is_enc = len > 19 && (msg[19] & IVPN_ISAKMP_FLAG_ENC);
    ivpn_isakmp_msg_kind kind;
    if (sa->state == IVPN_V1_AM_I1 && !is_enc) {
        kind = IVPN_V1_MSG_AM2;
    } else if (sa->state == IVPN_V1_AM_R1 && len >= 16 && memcmp(msg + 8, zero, 8) != 0) {
        kind = IVPN_V1_MSG_AM3;
    } else {
        IVPN_LOG_DEBUG(e->ctx, "IKEv1: aggressive mode message in state %d dropped", sa->state);
        return IPSECVPN_ERR_IKE_UNEXPECTED;
    }
    ivpn_v1_rx rx;
    int rc = ivpn_v1_rx_open(e, sa, is_enc ? sa->iv : NULL, kind, msg, len, &rx);
    if (rc != IPSECVPN_OK) {
        ivpn_v1_rx_free(e, &rx);
        if (is_enc && rc != IPSECVPN_ERR_NOMEM)
            return ivpn_v1_p1_bad_decrypt(e, c, sa, "aggressive mode message 3");
        IVPN_LOG_WARN(e->ctx, "IKEv1: malformed aggressive mode message dropped");
        return rc;
    }
    if (kind == IVPN_V1_MSG_AM2)
        rc = am2_rx(e, c, sa, &rx, local, remote, now);
    else
        rc = am3_rx(e, c, sa, &rx, local, remote, now);
    if (rc != IPSECVPN_OK && rc != IPSECVPN_ERR_IKE_AUTH && rc != IPSECVPN_ERR_IKE_NO_PROPOSAL)
        IVPN_LOG_DEBUG(e->ctx, "IKEv1: aggressive mode message refused: %s",
                      ipsecvpn_strerror(rc));
    ivpn_v1_rx_free(e, &rx);
    return rc;
}
