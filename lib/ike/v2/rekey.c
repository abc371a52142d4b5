/*
 * CREATE_CHILD_SA (RFC 7296 §1.3.3, §2.8): rekeying a Child SA, make-before-break, and
 * additional Child SAs.
 *
 *   HDR, SK {N(REKEY_SA), SA, Ni, [KEi], TSi, TSr}  -->
 *                            <--  HDR, SK {SA, Nr, [KEr], TSi, TSr}
 *   then the rekey initiator deletes the old pair:
 *   HDR, SK {D(ESP, old inbound SPI)}  -->   <--  HDR, SK {D(ESP, peer's old inbound SPI)}
 *
 * KEi/KEr carry a fresh Diffie-Hellman exchange when the IPsec policy asks for PFS; KEYMAT is
 * then prf+(SK_d, g^ir (new) | Ni | Nr).
 *
 * Simultaneous rekeys of the same pair (§2.8.1): both exchanges complete, leaving the old pair
 * and two new ones. Once our own response is in, both ends know the same four nonces; the new
 * pair created with the lowest of them is redundant and its creator (the initiator of that
 * exchange) deletes it, while the winner deletes the old pair as usual. The loser switches its
 * outbound traffic to the surviving pair first and keeps receiving on the redundant one until
 * its Delete is answered, so nothing is lost. A rekey request for a pair that is already
 * replaced (being deleted) is answered with TEMPORARY_FAILURE (§2.25).
 *
 * Additional Child SAs (§1.3.1): the same exchange without N(REKEY_SA)
 *   HDR, SK {SA, Ni, [KEi], TSi, TSr}  -->   <--  HDR, SK {SA, Nr, [KEr], TSi, TSr}
 *
 * Both kinds carry N(USE_TRANSPORT_MODE) before SA when our policy is transport, and the
 * responder answers by child.c's mode table. A tunnel answer to our transport request is
 * refused by deleting the pair the responder just installed (we never install ours); a
 * refused rekey is not retried: the old pair lives until its hard lifetime.
 * The responder narrows the selectors to the configuration as for IKE_AUTH's first pair;
 * a connection holds any number of pairs (up to IVPN_CHILDREN_MAX), each rekeyed and deleted
 * on its own. IKE SA rekeys are ike_rekey.c's.
 */
#include <string.h>

#include "ike/common/proposal.h"
#include "ike/common/ts.h"
#include "ike/v2/rekey_collision.h"
#include "ike/v2/v2_internal.h"

static void add_sa(ivpn_msg *m, const ivpn_ikev2_sa *sa)
{
    ivpn_ikev2_payload_open(&m->cw, IVPN_IKEV2_PL_SA, false);
    ivpn_ikev2_sa_encode(&m->w, sa);
    ivpn_ikev2_payload_close(&m->cw);
}

static void add_nonce(ivpn_msg *m, const uint8_t *n, size_t len)
{
    ivpn_ikev2_nonce nonce = { .data = { n, len } };
    ivpn_ikev2_payload_open(&m->cw, IVPN_IKEV2_PL_NONCE, false);
    ivpn_ikev2_nonce_encode(&m->w, &nonce);
    ivpn_ikev2_payload_close(&m->cw);
}

int ivpn_ikev2_add_ke(ivpn_msg *m, const ivpn_dh *dh, uint16_t group)
{
    const ivpn_dh_info *di = ivpn_dh_lookup(group);
    uint8_t pub[1024];
    if (!di || di->public_len > sizeof(pub))
        return IPSECVPN_ERR_CRYPTO_ALG;
    int rc = ivpn_dh_public(dh, pub, di->public_len);
    if (rc != IPSECVPN_OK)
        return rc;
    ivpn_ikev2_ke ke = { .dh_group = group, .data = { pub, di->public_len } };
    ivpn_ikev2_payload_open(&m->cw, IVPN_IKEV2_PL_KE, false);
    ivpn_ikev2_ke_encode(&m->w, &ke);
    ivpn_ikev2_payload_close(&m->cw);
    return IPSECVPN_OK;
}

static void add_ts(ivpn_msg *m, uint8_t type, const ivpn_ts_set *s)
{
    ivpn_ikev2_ts ts;
    ivpn_ts_to_wire(s, &ts);
    ivpn_ikev2_payload_open(&m->cw, type, false);
    ivpn_ikev2_ts_encode(&m->w, &ts);
    ivpn_ikev2_payload_close(&m->cw);
}

static void be32(uint32_t v, uint8_t out[4])
{
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
}

/* Our CREATE_CHILD_SA in progress (sa->cx): what its response needs. */
struct ivpn_child_xchg {
    ivpn_dh *dh;                          /* PFS: our KEi */
    uint8_t n[IVPN_NONCE_LEN];            /* our Ni */
    ivpn_ts_set local_ts, remote_ts;      /* an additional pair: what we asked for (owned) */
    bool transport;                       /* we asked for transport mode */
    /* a rekey collision (§2.8.1): the nonces of the peer's exchange we answered meanwhile */
    uint8_t coll_ni[IVPN_NONCE_MAX], coll_nr[IVPN_NONCE_LEN];
    size_t coll_ni_len;
};

void ivpn_ikev2_cx_free(ipsecvpn_engine *e, ivpn_ike_sa *sa)
{
    struct ivpn_child_xchg *cx = sa->cx;
    if (!cx)
        return;
    ivpn_dh_free(e->ctx, cx->dh);
    ivpn_ts_set_free(e->ctx, &cx->local_ts);
    ivpn_ts_set_free(e->ctx, &cx->remote_ts);
    ivpn_wipe(cx, sizeof(*cx));
    ivpn_free(e->ctx, cx);
    sa->cx = NULL;
}

/* Retry a refused or colliding rekey of the pair spi_in after 1..10 s. */
static void retry_later(ipsecvpn_engine *e, ivpn_conn *c, uint32_t spi_in, uint64_t now)
{
    uint8_t r = 0;
    (void)ivpn_random(e->ctx, &r, 1);
    ivpn_child *ch = ivpn_child_find(c, spi_in);
    if (ch && !ch->retired)
        ch->rekey_at = now + 1000 + (uint64_t)(r % 10) * 1000;
}

/* HDR, SK {[N(REKEY_SA),] SA, Ni, [KEi], TSi, TSr} -->   (old: the pair a rekey replaces) */
static int child_request_send(ipsecvpn_engine *e, ivpn_conn *c, const ivpn_child *old,
                              const ivpn_ts_set *ts_l, const ivpn_ts_set *ts_r, uint64_t now)
{
    ivpn_ike_sa *sa = c->ike;
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    if (!sa || sa->state != IVPN_IKE_ESTABLISHED || sa->req_kind != IVPN_REQ_NONE)
        return IPSECVPN_ERR_STATE;
    uint16_t pfs = v->ipsec.pfs;
    bool transport = ivpn_ikev2_policy_transport(c);
    IVPN_TS_SET_LOCAL(host_l);
    IVPN_TS_SET_LOCAL(host_r);
    if (transport) {
        /* transport mode: the hosts' own addresses (a rekey's are already) */
        int trc = ivpn_ikev2_mode_ts(e, c, ts_l, ts_r, &host_l, &host_r);
        if (trc != IPSECVPN_OK)
            return trc;
        ts_l = &host_l;
        ts_r = &host_r;
    }
    struct ivpn_child_xchg *cx = ivpn_zalloc(e->ctx, sizeof(*cx));
    if (!cx)
        return IPSECVPN_ERR_NOMEM;
    ivpn_ikev2_cx_free(e, sa);
    sa->cx = cx;
    cx->transport = transport;
    int rc = ivpn_child_new_spi(e, &sa->pending_spi_in);
    if (rc == IPSECVPN_OK && pfs)
        rc = ivpn_dh_new(e->ctx, pfs, &cx->dh);
    if (rc == IPSECVPN_OK)
        rc = ivpn_random(e->ctx, cx->n, sizeof(cx->n));
    if (rc == IPSECVPN_OK && !old) {
        rc = ivpn_ts_set_copy(e->ctx, ts_l, &cx->local_ts);
        if (rc == IPSECVPN_OK)
            rc = ivpn_ts_set_copy(e->ctx, ts_r, &cx->remote_ts);
    }
    ivpn_msg *m = rc == IPSECVPN_OK ? ivpn_malloc(e->ctx, sizeof(*m)) : NULL;
    if (rc == IPSECVPN_OK && !m)
        rc = IPSECVPN_ERR_NOMEM;
    uint8_t *out = NULL;
    size_t len = 0;
    if (rc == IPSECVPN_OK) {
        ivpn_ikev2_sa prop;
        ivpn_proposal_esp(&v->ipsec, sa->pending_spi_in, pfs, &prop);
        ivpn_msg_begin(m);
        if (old) {
            uint8_t spi[4];
            be32(old->spi_in, spi);
            ivpn_msg_notify(m, IVPN_IKEV2_PROTO_ESP, spi, 4, IVPN_IKEV2_N_REKEY_SA, NULL, 0);
        }
        if (transport)
            ivpn_msg_notify(m, 0, NULL, 0, IVPN_IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
        add_sa(m, &prop);
        add_nonce(m, cx->n, sizeof(cx->n));
        if (pfs)
            rc = ivpn_ikev2_add_ke(m, cx->dh, pfs);
        add_ts(m, IVPN_IKEV2_PL_TSI, ts_l);
        add_ts(m, IVPN_IKEV2_PL_TSR, ts_r);
        if (rc == IPSECVPN_OK)
            rc = ivpn_msg_finish_sk(e, sa, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, false, sa->msgid_out,
                                    m, &out, &len);
    }
    ivpn_free(e->ctx, m);
    if (rc != IPSECVPN_OK) {
        ivpn_ikev2_cx_free(e, sa);
        return rc;
    }
    sa->rekey_old_spi_in = old ? old->spi_in : 0;
    if (old)
        IVPN_LOG_INFO(e->ctx, "IKEv2: rekeying Child SA 0x%08x%s%s", old->spi_in,
                      pfs ? " with PFS" : "", transport ? " (transport mode)" : "");
    else
        IVPN_LOG_INFO(e->ctx, "IKEv2: opening an additional Child SA%s%s",
                      pfs ? " with PFS" : "", transport ? " (transport mode)" : "");
    return ivpn_ikev2_send_request(e, sa, old ? IVPN_REQ_REKEY_CHILD : IVPN_REQ_CREATE_CHILD,
                                   out, len, now);
}

int ivpn_ikev2_rekey_pair_send(ipsecvpn_engine *e, ivpn_conn *c, ivpn_child *old, uint64_t now)
{
    if (!old || old->retired)
        return IPSECVPN_ERR_STATE;
    return child_request_send(e, c, old, &old->local_ts, &old->remote_ts, now);
}

int ivpn_ikev2_rekey_child_send(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    return ivpn_ikev2_rekey_pair_send(e, c, ivpn_child_current(c), now);
}

int ivpn_ikev2_create_child_send(ipsecvpn_engine *e, ivpn_conn *c, const ivpn_ts_set *local,
                                 const ivpn_ts_set *remote, uint64_t now)
{
    if (!local || !remote || !local->n || !remote->n)
        return IPSECVPN_ERR_INVALID_ARG;
    return child_request_send(e, c, NULL, local, remote, now);
}

/* The pair the peer's N(REKEY_SA) names (its inbound SPI, our outbound), or NULL. */
static ivpn_child *rekeyed_pair(ivpn_conn *c, const ivpn_ikev2_notify *rn)
{
    uint32_t old_out = (uint32_t)rn->spi[0] << 24 | (uint32_t)rn->spi[1] << 16 |
                       (uint32_t)rn->spi[2] << 8 | rn->spi[3];
    return ivpn_child_find_out(c, old_out);
}

/* Responder:  HDR, SK {[N(REKEY_SA),] SA, Ni, [KEi], TSi, TSr} -->
 *        <--  HDR, SK {SA, Nr, [KEr], TSi, TSr} */
int ivpn_ikev2_create_child_request_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx,
                                       uint64_t now)
{
    ivpn_ike_sa *sa = c->ike;
    uint32_t msgid = rx->hdr.message_id;
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    const ivpn_ikev2_notify *rn = ivpn_ikev2_bodies_notify(&rx->b, IVPN_IKEV2_N_REKEY_SA);
    if (!(rx->b.present & IVPN_IKEV2_HAS_TSI) && (rx->b.present & IVPN_IKEV2_HAS_SA) &&
        rx->b.sa.n_proposals && rx->b.sa.proposals[0].protocol == IVPN_IKEV2_PROTO_IKE)
        return ivpn_ikev2_rekey_ike_request_rx(e, c, rx, now);
    const uint32_t need = IVPN_IKEV2_HAS_SA | IVPN_IKEV2_HAS_NONCE | IVPN_IKEV2_HAS_TSI |
                          IVPN_IKEV2_HAS_TSR;
    if ((rx->b.present & need) != need || !rx->b.sa.n_proposals)
        return ivpn_ikev2_respond_error(e, sa, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, msgid,
                                        IVPN_IKEV2_N_INVALID_SYNTAX);
    ivpn_child *old = NULL;
    if (rn) {
        if (rn->protocol == IVPN_IKEV2_PROTO_ESP && rn->spi_size == 4)
            old = rekeyed_pair(c, rn);
        if (!old)
            return ivpn_ikev2_respond_error(e, sa, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, msgid,
                                            IVPN_IKEV2_N_CHILD_SA_NOT_FOUND);
    } else if (ivpn_child_count(c) >= IVPN_CHILDREN_MAX) {
        IVPN_LOG_WARN(e->ctx, "IKEv2: %u Child SAs already, another one refused",
                      (unsigned)IVPN_CHILDREN_MAX);
        return ivpn_ikev2_respond_error(e, sa, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, msgid,
                                        IVPN_IKEV2_N_NO_ADDITIONAL_SAS);
    }
    bool collision = old && sa->req_kind == IVPN_REQ_REKEY_CHILD && sa->cx &&
                     sa->rekey_old_spi_in == old->spi_in;
    if (old && (old->retired || (collision && sa->coll_spi_in))) {
        /* already replaced and about to be deleted: nothing left to rekey (§2.25) */
        IVPN_LOG_INFO(e->ctx, "IKEv2: rekey of a Child SA that is being deleted, retry later");
        return ivpn_ikev2_respond_error(e, sa, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, msgid,
                                        IVPN_IKEV2_N_TEMPORARY_FAILURE);
    }
    if (collision)
        IVPN_LOG_INFO(e->ctx, "IKEv2: simultaneous Child SA rekey, the nonces will decide");
    ivpn_ikev2_sa ours;
    ivpn_proposal_esp(&v->ipsec, 0, v->ipsec.pfs, &ours);
    ivpn_algs ca;
    uint8_t chosen;
    bool transport = false;
    if (ivpn_proposal_select(&rx->b.sa, &ours, &ca, &chosen) != IPSECVPN_OK ||
        ivpn_proposal_spi32(&rx->b.sa.proposals[chosen]) < 256) /* reserved: RFC 4303 §2.1 */
        return ivpn_ikev2_respond_error(e, sa, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, msgid,
                                        IVPN_IKEV2_N_NO_PROPOSAL_CHOSEN);
    uint16_t mode_err = ivpn_ikev2_mode_answer(e, c, rx, &transport);
    if (mode_err)
        return ivpn_ikev2_respond_error(e, sa, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, msgid, mode_err);
    if (!ivpn_ikev2_nonce_ok(sa->algs.prf, rx->b.nonce.data.len)) /* §2.10 */
        return ivpn_ikev2_respond_error(e, sa, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, msgid,
                                        IVPN_IKEV2_N_INVALID_SYNTAX);
    if (ca.dh && (!(rx->b.present & IVPN_IKEV2_HAS_KE) || rx->b.ke.dh_group != ca.dh)) {
        uint8_t g[2] = { (uint8_t)(ca.dh >> 8), (uint8_t)ca.dh };
        ivpn_msg m;
        uint8_t *out;
        size_t len;
        ivpn_msg_begin(&m);
        ivpn_msg_notify(&m, 0, NULL, 0, IVPN_IKEV2_N_INVALID_KE_PAYLOAD, g, 2);
        if (ivpn_msg_finish_sk(e, sa, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, true, msgid, &m, &out,
                               &len) == IPSECVPN_OK)
            ivpn_ikev2_send_response(e, sa, msgid, out, len);
        return IPSECVPN_ERR_IKE_INVALID_KE;
    }
    /* as for IKE_AUTH's first pair: what the peer offers, narrowed to what we protect; a
     * rekey keeps the pair's agreed selectors (an additional pair may lie outside what we
     * would propose ourselves) */
    IVPN_TS_SET_LOCAL(off_i);
    IVPN_TS_SET_LOCAL(off_r);
    IVPN_TS_SET_LOCAL(tsi);
    IVPN_TS_SET_LOCAL(tsr);
    ivpn_ts_from_wire(&rx->b.tsi, &off_i);
    ivpn_ts_from_wire(&rx->b.tsr, &off_r);
    if (transport) {
        /* transport mode: only the hosts' own addresses, whatever was offered */
        IVPN_TS_SET_LOCAL(host_i);
        IVPN_TS_SET_LOCAL(host_r);
        ivpn_ts_host(&off_i, &sa->remote, &host_i);
        ivpn_ts_host(&off_r, &sa->local, &host_r);
        memcpy(off_i.ts, host_i.ts, host_i.n * sizeof(ivpn_ts));
        off_i.n = host_i.n;
        memcpy(off_r.ts, host_r.ts, host_r.n * sizeof(ivpn_ts));
        off_r.n = host_r.n;
    }
    if (old) {
        ivpn_ts_narrow(&off_i, &old->remote_ts, &tsi);
        ivpn_ts_narrow(&off_r, &old->local_ts, &tsr);
    }
    if (tsi.n == 0 || tsr.n == 0) {
        ivpn_ts_narrow(&off_i, &c->cfg_remote_ts, &tsi);
        ivpn_ts_narrow(&off_r, &c->cfg_local_ts, &tsr);
    }
    if (tsi.n == 0 || tsr.n == 0)
        return ivpn_ikev2_respond_error(e, sa, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, msgid,
                                        IVPN_IKEV2_N_TS_UNACCEPTABLE);

    uint8_t nr[IVPN_NONCE_LEN], gir[1024];
    size_t gir_len = 0;
    uint32_t spi_in = 0;
    ivpn_dh *dh = NULL;
    int rc = ivpn_random(e->ctx, nr, sizeof(nr));
    if (rc == IPSECVPN_OK)
        rc = ivpn_child_new_spi(e, &spi_in);
    if (rc == IPSECVPN_OK && ca.dh) {
        const ivpn_dh_info *di = ivpn_dh_lookup(ca.dh);
        rc = di ? ivpn_dh_new(e->ctx, ca.dh, &dh) : IPSECVPN_ERR_CRYPTO_ALG;
        if (rc == IPSECVPN_OK)
            rc = ivpn_dh_shared(dh, rx->b.ke.data.p, rx->b.ke.data.len, gir, di->shared_len);
        gir_len = di ? di->shared_len : 0;
    }
    ivpn_msg *m = rc == IPSECVPN_OK ? ivpn_malloc(e->ctx, sizeof(*m)) : NULL;
    if (rc == IPSECVPN_OK && !m)
        rc = IPSECVPN_ERR_NOMEM;
    uint8_t *out = NULL;
    size_t len = 0;
    if (rc == IPSECVPN_OK) {
        uint8_t s[4];
        be32(spi_in, s);
        ivpn_ikev2_sa reply;
        ivpn_proposal_from_algs(IVPN_IKEV2_PROTO_ESP, rx->b.sa.proposals[chosen].num, s, 4, &ca,
                                &reply);
        ivpn_msg_begin(m);
        if (transport)
            ivpn_msg_notify(m, 0, NULL, 0, IVPN_IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
        add_sa(m, &reply);
        add_nonce(m, nr, sizeof(nr));
        if (ca.dh)
            rc = ivpn_ikev2_add_ke(m, dh, ca.dh);
        add_ts(m, IVPN_IKEV2_PL_TSI, &tsi);
        add_ts(m, IVPN_IKEV2_PL_TSR, &tsr);
        if (rc == IPSECVPN_OK)
            rc = ivpn_msg_finish_sk(e, sa, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, true, msgid, m, &out,
                                    &len);
    }
    ivpn_free(e->ctx, m);
    ivpn_dh_free(e->ctx, dh);
    if (rc == IPSECVPN_OK) {
        ivpn_ikev2_send_response(e, sa, msgid, out, len);
        /* a rekey retires the old pair: it receives until deleted */
        rc = ivpn_child_install(e, c, &ca, spi_in, ivpn_proposal_spi32(&rx->b.sa.proposals[chosen]),
                                &tsr, &tsi, gir, gir_len, rx->b.nonce.data.p, rx->b.nonce.data.len,
                                nr, sizeof(nr), false, transport, old ? old->spi_in : 0, now);
    }
    if (rc == IPSECVPN_OK && collision) {
        struct ivpn_child_xchg *cx = sa->cx;
        sa->coll_spi_in = spi_in;
        memcpy(cx->coll_ni, rx->b.nonce.data.p, rx->b.nonce.data.len);
        cx->coll_ni_len = rx->b.nonce.data.len;
        memcpy(cx->coll_nr, nr, sizeof(nr));
    }
    ivpn_wipe(gir, sizeof(gir));
    if (rc != IPSECVPN_OK)
        IVPN_LOG_WARN(e->ctx, "IKEv2: Child SA %s failed: %s", old ? "rekey" : "creation",
                      ipsecvpn_strerror(rc));
    return rc;
}

/* The answer's SA, KE and selectors checked; the new pair's keys, with PFS, derived from. */
/* *wrong_mode: refused for its mode alone (the responder has installed its pair). */
static int check_answer(ipsecvpn_engine *e, ivpn_conn *c, const ivpn_rx *rx,
                        const ivpn_child *old, ivpn_algs *ca, ivpn_ts_set *tsi, ivpn_ts_set *tsr,
                        uint8_t *gir, size_t *gir_len, bool *wrong_mode)
{
    const ivpn_ike_sa *sa = c->ike;
    const struct ivpn_child_xchg *cx = sa->cx;
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    const uint32_t need = IVPN_IKEV2_HAS_SA | IVPN_IKEV2_HAS_NONCE | IVPN_IKEV2_HAS_TSI |
                          IVPN_IKEV2_HAS_TSR;
    if ((rx->b.present & need) != need || !cx)
        return IPSECVPN_ERR_IKE_MALFORMED;
    ivpn_ikev2_sa ours;
    ivpn_proposal_esp(&v->ipsec, sa->pending_spi_in, v->ipsec.pfs, &ours);
    if (ivpn_proposal_check_reply(&rx->b.sa, &ours, ca) != IPSECVPN_OK ||
        ivpn_proposal_spi32(&rx->b.sa.proposals[0]) < 256)
        return IPSECVPN_ERR_IKE_NO_PROPOSAL;
    if (!ivpn_ikev2_nonce_ok(sa->algs.prf, rx->b.nonce.data.len)) /* §2.10 */
        return IPSECVPN_ERR_IKE_MALFORMED;
    if (!ivpn_ikev2_mode_accepted(e, rx, cx->transport)) {
        *wrong_mode = true;
        return IPSECVPN_ERR_IKE_NO_PROPOSAL; /* the mode is part of what was proposed */
    }
    ivpn_ts_from_wire(&rx->b.tsi, tsi);
    ivpn_ts_from_wire(&rx->b.tsr, tsr);
    /* within what we asked for: the old pair's selectors for a rekey (or, narrowed
     * differently, the configuration's), the requested ones for an additional pair */
    bool ok = old ? (ivpn_ts_subset(tsi, &old->local_ts) && ivpn_ts_subset(tsr, &old->remote_ts)) ||
                        (ivpn_ts_subset(tsi, &c->cfg_local_ts) &&
                         ivpn_ts_subset(tsr, &c->cfg_remote_ts))
                  : ivpn_ts_subset(tsi, &cx->local_ts) && ivpn_ts_subset(tsr, &cx->remote_ts);
    if (ok && cx->transport) {
        /* transport mode: nothing but the hosts' own addresses */
        IVPN_TS_SET_LOCAL(host_i);
        IVPN_TS_SET_LOCAL(host_r);
        ivpn_ts_host(tsi, &sa->local, &host_i);
        ivpn_ts_host(tsr, &sa->remote, &host_r);
        ok = ivpn_ts_subset(tsi, &host_i) && ivpn_ts_subset(tsr, &host_r);
    }
    if (!ok)
        return IPSECVPN_ERR_IKE_TS;
    *gir_len = 0;
    if (!ca->dh)
        return IPSECVPN_OK;
    const ivpn_dh_info *di = ivpn_dh_lookup(ca->dh);
    if (!di || !cx->dh || !(rx->b.present & IVPN_IKEV2_HAS_KE) || rx->b.ke.dh_group != ca->dh)
        return IPSECVPN_ERR_IKE_INVALID_KE;
    *gir_len = di->shared_len;
    (void)e;
    return ivpn_dh_shared(cx->dh, rx->b.ke.data.p, rx->b.ke.data.len, gir, di->shared_len);
}

/* Initiator:  <--  HDR, SK {SA, Nr, [KEr], TSi, TSr}; after a rekey, delete the old pair. */
int ivpn_ikev2_create_child_response_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx,
                                        uint64_t now)
{
    ivpn_ike_sa *sa = c->ike;
    bool rekey = sa->req_kind == IVPN_REQ_REKEY_CHILD;
    const char *what = rekey ? "rekey" : "creation";
    ivpn_ikev2_request_done(e, sa);
    for (unsigned i = 0; i < rx->b.n_notify; i++) {
        uint16_t t = rx->b.notify[i].type;
        if (ivpn_ikev2_notify_is_error(t)) {
            IVPN_LOG_INFO(e->ctx, "IKEv2: Child SA %s refused: %s", what,
                          ivpn_ikev2_notify_name(t));
            /* after a collision the peer's rekey stands: nothing to retry */
            if (rekey && !sa->coll_spi_in)
                retry_later(e, c, sa->rekey_old_spi_in, now);
            sa->coll_spi_in = 0;
            ivpn_ikev2_cx_free(e, sa);
            return IPSECVPN_OK;
        }
    }
    ivpn_child *old = rekey ? ivpn_child_find(c, sa->rekey_old_spi_in) : NULL;
    ivpn_algs ca;
    IVPN_TS_SET_LOCAL(tsi);
    IVPN_TS_SET_LOCAL(tsr);
    uint8_t gir[1024];
    size_t gir_len = 0;
    bool wrong_mode = false;
    int rc = rekey && !old ? IPSECVPN_ERR_IKE_MALFORMED
                           : check_answer(e, c, rx, old, &ca, &tsi, &tsr, gir, &gir_len,
                                          &wrong_mode);
    /* a collision: the pair we created answering the peer's rekey of the same pair */
    ivpn_child *theirs = sa->coll_spi_in ? ivpn_child_find(c, sa->coll_spi_in) : NULL;
    if (theirs == old)
        theirs = NULL;
    bool lost = false, transport = sa->cx && sa->cx->transport;
    if (rc == IPSECVPN_OK && theirs && sa->cx) {
        const struct ivpn_child_xchg *cx = sa->cx;
        lost = ivpn_rekey_collision_lost(cx->n, sizeof(cx->n), rx->b.nonce.data.p,
                                         rx->b.nonce.data.len, cx->coll_ni, cx->coll_ni_len,
                                         cx->coll_nr, sizeof(cx->coll_nr));
    }
    sa->coll_spi_in = 0;
    if (rc == IPSECVPN_OK)
        rc = ivpn_child_install(e, c, &ca, sa->pending_spi_in,
                                ivpn_proposal_spi32(&rx->b.sa.proposals[0]), &tsi, &tsr, gir,
                                gir_len, sa->cx->n, sizeof(sa->cx->n), rx->b.nonce.data.p,
                                rx->b.nonce.data.len, true, transport, old ? old->spi_in : 0, now);
    ivpn_wipe(gir, sizeof(gir));
    ivpn_ikev2_cx_free(e, sa);
    if (rc != IPSECVPN_OK) {
        /* after a collision the peer's new pair is the only one, as if there was none */
        IVPN_LOG_WARN(e->ctx, "IKEv2: Child SA %s failed: %s", what, ipsecvpn_strerror(rc));
        if (wrong_mode) {
            /* the responder installed a pair we will not use: delete it by the inbound SPI
             * we offered (its outbound); asking again would get the same answer */
            (void)ivpn_ikev2_delete_child_send(e, c, sa->pending_spi_in, now);
            return rc;
        }
        if (rekey && !theirs)
            retry_later(e, c, sa->rekey_old_spi_in, now);
        return rc;
    }
    if (theirs && lost) {
        /* ours is redundant: traffic goes out on the peer's pair from now on; we delete ours,
         * the peer (the winner) deletes the old pair */
        ivpn_child *mine = ivpn_child_find(c, sa->pending_spi_in);
        if (mine)
            ivpn_child_retire(mine, theirs->spi_in);
        if (old)
            old->replaced_by = theirs->spi_in;
        IVPN_LOG_INFO(e->ctx, "IKEv2: rekey collision lost, deleting our redundant Child SA 0x%08x",
                      sa->pending_spi_in);
        return ivpn_ikev2_delete_child_send(e, c, sa->pending_spi_in, now);
    }
    if (theirs) {
        /* ours survives: the peer deletes its redundant pair, which receives until then */
        ivpn_child_retire(theirs, sa->pending_spi_in);
        IVPN_LOG_INFO(e->ctx, "IKEv2: rekey collision won, the peer deletes Child SA 0x%08x",
                      theirs->spi_in);
    }
    if (!rekey)
        return IPSECVPN_OK;
    /* make-before-break: the new pair is in use, now retire the old one */
    return ivpn_ikev2_delete_child_send(e, c, sa->rekey_old_spi_in, now);
}

/* ---- tests only (engine_internal.h) ------------------------------------------------------- */

static ivpn_conn *v2_conn(ipsecvpn_engine *e, uint32_t conn_id)
{
    ivpn_conn *c = e ? ivpn_engine_find_conn(e, conn_id) : NULL;
    return c && c->ops == &ivpn_ikev2_ops ? c : NULL;
}

int ivpn_engine_test_create_child(ipsecvpn_engine *e, uint32_t conn_id, const ivpn_ts_set *local,
                                  const ivpn_ts_set *remote, uint64_t now)
{
    ivpn_conn *c = v2_conn(e, conn_id);
    return c ? ivpn_ikev2_create_child_send(e, c, local, remote, now) : IPSECVPN_ERR_NOT_FOUND;
}

int ivpn_engine_test_rekey_child(ipsecvpn_engine *e, uint32_t conn_id, uint32_t spi_in,
                                 uint64_t now)
{
    ivpn_conn *c = v2_conn(e, conn_id);
    ivpn_child *ch = c ? ivpn_child_find(c, spi_in) : NULL;
    return ch ? ivpn_ikev2_rekey_pair_send(e, c, ch, now) : IPSECVPN_ERR_NOT_FOUND;
}

int ivpn_engine_test_delete_child(ipsecvpn_engine *e, uint32_t conn_id, uint32_t spi_in,
                                  uint64_t now)
{
    ivpn_conn *c = v2_conn(e, conn_id);
    ivpn_child *ch = c ? ivpn_child_find(c, spi_in) : NULL;
    if (!ch)
        return IPSECVPN_ERR_NOT_FOUND;
    if (!c->ike || c->ike->state != IVPN_IKE_ESTABLISHED || c->ike->req_kind != IVPN_REQ_NONE)
        return IPSECVPN_ERR_STATE;
    ivpn_child_retire(ch, 0); /* nothing goes out on it any more */
    return ivpn_ikev2_delete_child_send(e, c, spi_in, now);
}

/* Octet-by-octet order of §2.8.1: <0 when a is the lower nonce. */
static int nonce_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    size_t n = al < bl ? al : bl;
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return al < bl ? -1 : al > bl ? 1 : 0;
}

bool ivpn_rekey_collision_lost(const uint8_t *ai, size_t ai_len, const uint8_t *ar,
                               size_t ar_len, const uint8_t *bi, size_t bi_len,
                               const uint8_t *br, size_t br_len)
{
    const uint8_t *a = ai, *b = bi;
    size_t al = ai_len, bl = bi_len;
    if (nonce_cmp(ar, ar_len, a, al) < 0) {
        a = ar;
        al = ar_len;
    }
    if (nonce_cmp(br, br_len, b, bl) < 0) {
        b = br;
        bl = br_len;
    }
    return nonce_cmp(a, al, b, bl) < 0;
}
