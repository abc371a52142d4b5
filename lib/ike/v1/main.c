/*
 * Main mode with pre-shared keys (RFC 2409 §5, §5.4), both roles:
 *
 *     Initiator                          Responder
 *    -----------                        -----------
 *     HDR, SA, VID                -->                                    (MM1)
 *                                 <--    HDR, SA, VID                    (MM2)
 *     HDR, KE, Ni [, NAT-D, NAT-D] -->                                   (MM3)
 *                                 <--    HDR, KE, Nr [, NAT-D, NAT-D]    (MM4)
 *     HDR*, IDii, HASH_I          -->                                    (MM5)
 *                                 <--    HDR*, IDir, HASH_R              (MM6)
 *
 * The keys and hashes, and the steps aggressive mode shares, are in p1_common.c.
 * Every handler validates the whole message before it changes the SA; a retransmitted peer
 * message is answered from the cache before anything else (msg.c).
 */
#include <string.h>

#include "ike/v1/v1_internal.h"

/* ---- main mode --------------------------------------------------------------------------- */

static ivpn_v1_msg *msg_new(ipsecvpn_engine *e)
{
    return ivpn_malloc(e->ctx, sizeof(ivpn_v1_msg));
}

/* HDR, SA, VID --> */
int ivpn_v1_main_start(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, uint64_t now)
{
    ivpn_v1_msg *m = msg_new(e);
    int rc = m ? ivpn_v1_p1_offer(e, c, sa, m) : IPSECVPN_ERR_NOMEM;
    if (rc != IPSECVPN_OK) {
        ivpn_free(e->ctx, m);
        return rc;
    }
    return ivpn_v1_p1_offer_send(e, sa, m, IVPN_V1_MM_I1, now);
}

/* Responder:  HDR, SA, VID -->  <-- HDR, SA, VID */
static int mm2_build(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, const ivpn_v1_rx *rx,
                     const ivpn_isakmp_sa *reply, ivpn_v1_msg *m)
{
    (void)e;
    (void)c;
    uint8_t body[1024];
    size_t n = ivpn_v1_sa_body(reply, body, sizeof(body));
    if (!n)
        return IPSECVPN_ERR_INTERNAL;
    ivpn_v1_read_vids(sa, rx);
    ivpn_v1_msg_begin(m, sa, IVPN_ISAKMP_EX_MAIN, 0, false);
    ivpn_v1_msg_raw(m, IVPN_ISAKMP_PL_SA, body, n);
    ivpn_v1_add_vids(m);
    return IPSECVPN_OK;
}

/* MM2 is answered again when MM1 comes again; MM3 is the initiator's to resend */
const ivpn_v1_first ivpn_v1_main_first = { IVPN_V1_MSG_MM1, IVPN_V1_MM_R1, false, mm2_build };

/* Initiator:  <-- HDR, SA, VID ;  HDR, KE, Ni, NAT-D, NAT-D --> */
static int mm2_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, const ivpn_v1_rx *rx,
                  uint64_t now)
{
    static const uint8_t zero[8] = { 0 };
    if (memcmp(rx->hdr.cookie_r, zero, 8) == 0)
        return IPSECVPN_ERR_IKE_MALFORMED;
    ivpn_isakmp_sa *reply = NULL;
    int rc = ivpn_v1_p1_decode_sa(e, rx, &reply);
    if (rc != IPSECVPN_OK)
        return rc;
    rc = ivpn_v1_p1_check_reply(e, c, reply, sa);
    ivpn_free(e->ctx, reply);
    if (rc != IPSECVPN_OK) {
        ivpn_v1_p1_abort(e, c, sa, rc);
        return rc;
    }
    memcpy(sa->cky_r, rx->hdr.cookie_r, 8);
    ivpn_v1_read_vids(sa, rx);
    ivpn_v1_msg *m = msg_new(e);
    rc = m ? ivpn_v1_p1_dh_nonce(e, sa) : IPSECVPN_ERR_NOMEM;
    if (rc == IPSECVPN_OK) {
        ivpn_v1_msg_begin(m, sa, IVPN_ISAKMP_EX_MAIN, 0, false);
        ivpn_v1_msg_raw(m, IVPN_ISAKMP_PL_KE, sa->gxi, sa->gxi_len);
        ivpn_v1_msg_raw(m, IVPN_ISAKMP_PL_NONCE, sa->ni, sa->ni_len);
        rc = ivpn_v1_add_natd(e, c, sa, m);
    }
    if (rc == IPSECVPN_OK) {
        rc = ivpn_v1_p1_send(e, sa, m, true, rx->msg, rx->len, now);
        m = NULL;
    }
    ivpn_free(e->ctx, m);
    if (rc != IPSECVPN_OK) {
        ivpn_v1_p1_abort(e, c, sa, rc);
        return rc;
    }
    sa->state = IVPN_V1_MM_I2;
    return IPSECVPN_OK;
}

/* The peer's KE and nonce (MM3 / MM4), our DH and nonce first as responder, the keys and
 * the NAT-D check. On an error the SA waits for a good message: it overwrites all this. */
static int ke_nonce_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, const ivpn_v1_rx *rx,
                       const ipsecvpn_endpoint *local, const ipsecvpn_endpoint *remote)
{
    const ivpn_span *ke = ivpn_v1_rx_body(rx, IVPN_ISAKMP_PL_KE);
    if (!ke)
        return IPSECVPN_ERR_IKE_MALFORMED;
    int rc = sa->initiator ? ivpn_v1_p1_take_nonce(e, rx, sa->nr, &sa->nr_len)
                           : ivpn_v1_p1_take_nonce(e, rx, sa->ni, &sa->ni_len);
    if (rc == IPSECVPN_OK && !sa->initiator)
        rc = ivpn_v1_p1_dh_nonce(e, sa);
    if (rc == IPSECVPN_OK)
        rc = ivpn_v1_p1_keys(e, c, sa, ke->p, ke->len);
    if (rc == IPSECVPN_OK)
        ivpn_v1_check_natd(sa, rx, local, remote);
    return rc;
}

/* Responder:  HDR, KE, Ni, NAT-D.. -->  <-- HDR, KE, Nr, NAT-D, NAT-D */
static int mm3_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, const ivpn_v1_rx *rx,
                  const ipsecvpn_endpoint *local, const ipsecvpn_endpoint *remote, uint64_t now)
{
    int rc = ke_nonce_rx(e, c, sa, rx, local, remote);
    if (rc != IPSECVPN_OK)
        return rc;
    ivpn_v1_msg *m = msg_new(e);
    if (!m)
        return IPSECVPN_ERR_NOMEM;
    ivpn_v1_msg_begin(m, sa, IVPN_ISAKMP_EX_MAIN, 0, false);
    ivpn_v1_msg_raw(m, IVPN_ISAKMP_PL_KE, sa->gxr, sa->gxr_len);
    ivpn_v1_msg_raw(m, IVPN_ISAKMP_PL_NONCE, sa->nr, sa->nr_len);
    rc = ivpn_v1_add_natd(e, c, sa, m);
    if (rc != IPSECVPN_OK) {
        ivpn_free(e->ctx, m);
        return rc;
    }
    rc = ivpn_v1_p1_send(e, sa, m, false, rx->msg, rx->len, now);
    if (rc == IPSECVPN_OK) {
        ivpn_dh_free(e->ctx, sa->dh);
        sa->dh = NULL;
        sa->state = IVPN_V1_MM_R2;
    }
    return rc;
}

/* Our IDx and HASH_x payloads, encrypted: MM5 (initiator) or MM6 (responder). */
static int send_auth(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, const ivpn_v1_rx *rx,
                     uint64_t now)
{
    uint8_t idb[4 + IVPN_ID_MAX + 1], hash[IVPN_V1_KEY_MAX];
    size_t idlen = ivpn_v1_p1_id_body(c, sa, idb, sizeof(idb)), hlen = 0;
    int rc = idlen ? ivpn_v1_p1_hash(sa, sa->initiator, idb, idlen, hash, &hlen)
                   : IPSECVPN_ERR_INVALID_ARG;
    ivpn_v1_msg *m = rc == IPSECVPN_OK ? msg_new(e) : NULL;
    if (rc == IPSECVPN_OK && !m)
        rc = IPSECVPN_ERR_NOMEM;
    if (rc == IPSECVPN_OK) {
        ivpn_v1_msg_begin(m, sa, IVPN_ISAKMP_EX_MAIN, 0, true);
        ivpn_v1_msg_raw(m, IVPN_ISAKMP_PL_ID, idb, idlen);
        ivpn_v1_msg_raw(m, IVPN_ISAKMP_PL_HASH, hash, hlen);
        /* the initiator waits on its timer; the responder answers a repeated MM5 */
        rc = ivpn_v1_p1_send(e, sa, m, sa->initiator, rx->msg, rx->len, now);
    }
    ivpn_wipe(hash, sizeof(hash));
    return rc;
}

/* Initiator:  <-- HDR, KE, Nr, NAT-D.. ;  HDR*, IDii, HASH_I --> */
static int mm4_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, const ivpn_v1_rx *rx,
                  const ipsecvpn_endpoint *local, const ipsecvpn_endpoint *remote, uint64_t now)
{
    int rc = ke_nonce_rx(e, c, sa, rx, local, remote);
    if (rc != IPSECVPN_OK)
        return rc;
    ivpn_v1_float(e, c, sa); /* RFC 3947 §4: MM5 goes to port 4500 when a NAT is seen */
    rc = send_auth(e, c, sa, rx, now);
    if (rc != IPSECVPN_OK) {
        ivpn_v1_p1_abort(e, c, sa, rc);
        return rc;
    }
    ivpn_dh_free(e->ctx, sa->dh);
    sa->dh = NULL;
    sa->state = IVPN_V1_MM_I3;
    return IPSECVPN_OK;
}

/* The peer's IDx and HASH_x (MM5 / MM6). */
static int check_auth(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, const ivpn_v1_rx *rx)
{
    const ivpn_span *id = ivpn_v1_rx_body(rx, IVPN_ISAKMP_PL_ID);
    const ivpn_span *hash = ivpn_v1_rx_body(rx, IVPN_ISAKMP_PL_HASH);
    if (!id || !hash)
        return IPSECVPN_ERR_IKE_AUTH;
    return ivpn_v1_p1_verify(e, c, sa, !sa->initiator, *id, *hash);
}

/* Responder:  HDR*, IDii, HASH_I -->  <-- HDR*, IDir, HASH_R */
static int mm5_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, const ivpn_v1_rx *rx,
                  const ipsecvpn_endpoint *local, const ipsecvpn_endpoint *remote, uint64_t now)
{
    int rc = check_auth(e, c, sa, rx);
    if (rc != IPSECVPN_OK) {
        ivpn_v1_p1_abort(e, c, sa, IPSECVPN_ERR_IKE_AUTH);
        return IPSECVPN_ERR_IKE_AUTH;
    }
    ivpn_v1_follow(sa, local, remote); /* the initiator may have moved to port 4500 */
    return ivpn_v1_p1_conclude(e, c, sa, send_auth(e, c, sa, rx, now), now);
}

/* Initiator:  <-- HDR*, IDir, HASH_R */
static int mm6_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, const ivpn_v1_rx *rx,
                  uint64_t now)
{
    int rc = check_auth(e, c, sa, rx);
    if (rc != IPSECVPN_OK) {
        ivpn_v1_p1_abort(e, c, sa, IPSECVPN_ERR_IKE_AUTH);
        return IPSECVPN_ERR_IKE_AUTH;
    }
    ivpn_v1_rtx_clear(e, &sa->rtx);
    sa->last_rx = now;
    ivpn_v1_established(e, c, sa, now);
    return IPSECVPN_OK;
}

static ivpn_isakmp_msg_kind expected_kind(const ivpn_v1_sa *sa)
{
    switch (sa->state) {
    case IVPN_V1_MM_I1: return IVPN_V1_MSG_MM2;
    case IVPN_V1_MM_I2: return IVPN_V1_MSG_MM4;
    case IVPN_V1_MM_I3: return IVPN_V1_MSG_MM6;
    case IVPN_V1_MM_R1: return IVPN_V1_MSG_MM3;
    case IVPN_V1_MM_R2: return IVPN_V1_MSG_MM5;
    default: return 0;
    }
}

int ivpn_v1_main_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa,
                    const ipsecvpn_endpoint *local, const ipsecvpn_endpoint *remote,
                    const uint8_t *msg, size_t len, uint64_t now)
{
    if (sa->initiator && sa->rtx.at && ivpn_v1_rtx_is_repeat(&sa->rtx, msg, len)) {
        /* the responder's answer again (it saw our message twice): our timer resends
         * ours, answering each copy as well would multiply datagrams on a duplicating path */
        IVPN_LOG_DEBUG(e->ctx, "IKEv1: repeated main mode answer dropped");
        return IPSECVPN_OK;
    }
    if (ivpn_v1_rtx_duplicate(e, sa, &sa->rtx, msg, len))
        return IPSECVPN_OK;
    ivpn_isakmp_msg_kind kind = expected_kind(sa);
    if (!kind) {
        IVPN_LOG_DEBUG(e->ctx, "IKEv1: main mode message in state %d dropped", sa->state);
        return IPSECVPN_ERR_IKE_UNEXPECTED;
    }
    static const uint8_t zero[8] = { 0 };
    if (!sa->initiator && len >= 16 && memcmp(msg + 8, zero, 8) == 0) {
        IVPN_LOG_DEBUG(e->ctx, "IKEv1: late main mode message 1 dropped");
        return IPSECVPN_OK;
    }
    bool want_enc = kind == IVPN_V1_MSG_MM5 || kind == IVPN_V1_MSG_MM6;
    bool is_enc = len > 19 && (msg[19] & IVPN_ISAKMP_FLAG_ENC);
    if (want_enc != is_enc) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: main mode message %sencrypted where it must%s be, dropped",
                      is_enc ? "" : "not ", want_enc ? "" : " not");
        return IPSECVPN_ERR_IKE_UNEXPECTED;
    }
    ivpn_v1_rx rx;
    int rc = ivpn_v1_rx_open(e, sa, want_enc ? sa->iv : NULL, kind, msg, len, &rx);
    if (rc != IPSECVPN_OK) {
        ivpn_v1_rx_free(e, &rx);
        if (want_enc && rc != IPSECVPN_ERR_NOMEM)
            return ivpn_v1_p1_bad_decrypt(e, c, sa, kind == IVPN_V1_MSG_MM5
                                                        ? "main mode message 5"
                                                        : "main mode message 6");
        IVPN_LOG_WARN(e->ctx, "IKEv1: malformed main mode message dropped");
        return rc;
    }
    if (sa->state != IVPN_V1_MM_I1 && memcmp(rx.hdr.cookie_r, sa->cky_r, 8) != 0) {
        ivpn_v1_rx_free(e, &rx);
        return IPSECVPN_ERR_IKE_UNEXPECTED;
    }
    switch (kind) {
    case IVPN_V1_MSG_MM2: rc = mm2_rx(e, c, sa, &rx, now); break;
    case IVPN_V1_MSG_MM3: rc = mm3_rx(e, c, sa, &rx, local, remote, now); break;
    case IVPN_V1_MSG_MM4: rc = mm4_rx(e, c, sa, &rx, local, remote, now); break;
    case IVPN_V1_MSG_MM5: rc = mm5_rx(e, c, sa, &rx, local, remote, now); break;
    default: rc = mm6_rx(e, c, sa, &rx, now); break;
    }
    if (rc != IPSECVPN_OK && rc != IPSECVPN_ERR_IKE_AUTH && rc != IPSECVPN_ERR_IKE_NO_PROPOSAL)
        IVPN_LOG_DEBUG(e->ctx, "IKEv1: main mode message refused: %s", ipsecvpn_strerror(rc));
    ivpn_v1_rx_free(e, &rx);
    return rc;
}
