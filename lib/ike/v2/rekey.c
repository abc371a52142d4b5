/*
 * CREATE_CHILD_SA (RFC 7296 §1.3.3, §2.8): rekeying a Child SA, make-before-break.
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
 * replaced (being deleted) is answered with TEMPORARY_FAILURE (§2.25). New Child SAs without
 * REKEY_SA are refused with NO_ADDITIONAL_SAS; IKE SA rekeys are ike_rekey.c's.
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

/* Retry a refused or colliding rekey after 1..10 s. */
static void retry_later(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    uint8_t r = 0;
    (void)ivpn_random(e->ctx, &r, 1);
    if (c->child[0].used)
        c->child[0].rekey_at = now + 1000 + (uint64_t)(r % 10) * 1000;
}

/* HDR, SK {N(REKEY_SA), SA, Ni, [KEi], TSi, TSr} --> */
int ivpn_ikev2_rekey_child_send(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    ivpn_ike_sa *sa = c->ike;
    const ivpn_connection_values *v = ivpn_conn_values(c);
    ivpn_child *old = &c->child[0];
    if (!sa || !old->used || sa->req_kind != IVPN_REQ_NONE)
        return IPSECVPN_ERR_STATE;
    uint16_t pfs = v->ipsec.pfs;
    int rc = ivpn_child_new_spi(e, &sa->pending_spi_in);
    ivpn_dh_free(e->ctx, sa->child_dh);
    sa->child_dh = NULL;
    if (rc == IPSECVPN_OK && pfs)
        rc = ivpn_dh_new(e->ctx, pfs, &sa->child_dh);
    sa->child_n_len = IVPN_NONCE_LEN;
    if (rc == IPSECVPN_OK)
        rc = ivpn_random(e->ctx, sa->child_n, IVPN_NONCE_LEN);
    ivpn_msg *m = rc == IPSECVPN_OK ? ivpn_malloc(e->ctx, sizeof(*m)) : NULL;
    if (rc == IPSECVPN_OK && !m)
        rc = IPSECVPN_ERR_NOMEM;
    uint8_t *out = NULL;
    size_t len = 0;
    if (rc == IPSECVPN_OK) {
        uint8_t spi[4];
        be32(old->spi_in, spi);
        ivpn_ikev2_sa prop;
        ivpn_proposal_esp(&v->ipsec, sa->pending_spi_in, pfs, &prop);
        ivpn_msg_begin(m);
        ivpn_msg_notify(m, IVPN_IKEV2_PROTO_ESP, spi, 4, IVPN_IKEV2_N_REKEY_SA, NULL, 0);
        add_sa(m, &prop);
        add_nonce(m, sa->child_n, sa->child_n_len);
        if (pfs)
            rc = ivpn_ikev2_add_ke(m, sa->child_dh, pfs);
        add_ts(m, IVPN_IKEV2_PL_TSI, &old->local_ts);
        add_ts(m, IVPN_IKEV2_PL_TSR, &old->remote_ts);
        if (rc == IPSECVPN_OK)
            rc = ivpn_msg_finish_sk(e, sa, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, false, sa->msgid_out,
                                    m, &out, &len);
    }
    ivpn_free(e->ctx, m);
    if (rc != IPSECVPN_OK)
        return rc;
    sa->rekey_old_spi_in = old->spi_in;
    IVPN_LOG_INFO(e->ctx, "IKEv2: rekeying Child SA 0x%08x%s", old->spi_in, pfs ? " with PFS" : "");
    return ivpn_ikev2_send_request(e, sa, IVPN_REQ_REKEY_CHILD, out, len, now);
}

/* Responder:  HDR, SK {N(REKEY_SA), SA, Ni, [KEi], TSi, TSr} -->
 *        <--  HDR, SK {SA, Nr, [KEr], TSi, TSr} */
int ivpn_ikev2_create_child_request_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx,
                                       uint64_t now)
{
    ivpn_ike_sa *sa = c->ike;
    uint32_t msgid = rx->hdr.message_id;
    const ivpn_connection_values *v = ivpn_conn_values(c);
    const ivpn_ikev2_notify *rn = ivpn_ikev2_bodies_notify(&rx->b, IVPN_IKEV2_N_REKEY_SA);
    if (!(rx->b.present & IVPN_IKEV2_HAS_TSI) && (rx->b.present & IVPN_IKEV2_HAS_SA) &&
        rx->b.sa.n_proposals && rx->b.sa.proposals[0].protocol == IVPN_IKEV2_PROTO_IKE)
        return ivpn_ikev2_rekey_ike_request_rx(e, c, rx, now);
    if (!rn || !(rx->b.present & IVPN_IKEV2_HAS_TSI) || rn->protocol != IVPN_IKEV2_PROTO_ESP ||
        rn->spi_size != 4) {
        IVPN_LOG_INFO(e->ctx, "IKEv2: CREATE_CHILD_SA other than a Child SA rekey, refused");
        return ivpn_ikev2_respond_error(e, sa, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, msgid,
                                        IVPN_IKEV2_N_NO_ADDITIONAL_SAS);
    }
    uint32_t old_out = (uint32_t)rn->spi[0] << 24 | (uint32_t)rn->spi[1] << 16 |
                       (uint32_t)rn->spi[2] << 8 | rn->spi[3];
    ivpn_child *old = NULL;
    for (int i = 0; i < 2; i++)
        if (c->child[i].used && c->child[i].spi_out == old_out)
            old = &c->child[i];
    if (!old)
        return ivpn_ikev2_respond_error(e, sa, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, msgid,
                                        IVPN_IKEV2_N_CHILD_SA_NOT_FOUND);
    bool collision = sa->req_kind == IVPN_REQ_REKEY_CHILD && sa->rekey_old_spi_in == old->spi_in;
    if (old != &c->child[0] || (collision && (sa->coll_spi_in || c->child_dup.used))) {
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
    if (ivpn_proposal_select(&rx->b.sa, &ours, &ca, &chosen) != IPSECVPN_OK)
        return ivpn_ikev2_respond_error(e, sa, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, msgid,
                                        IVPN_IKEV2_N_NO_PROPOSAL_CHOSEN);
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
    ivpn_ts_set off_i, off_r, tsi, tsr;
    ivpn_ts_from_wire(&rx->b.tsi, &off_i);
    ivpn_ts_from_wire(&rx->b.tsr, &off_r);
    ivpn_ts_narrow(&off_i, &c->cfg_remote_ts, &tsi);
    ivpn_ts_narrow(&off_r, &c->cfg_local_ts, &tsr);
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
        /* the old pair (slot 0) moves to slot 1 until it is deleted */
        rc = ivpn_child_install(e, c, &ca, spi_in, ivpn_proposal_spi32(&rx->b.sa.proposals[chosen]),
                                &tsr, &tsi, gir, gir_len, rx->b.nonce.data.p, rx->b.nonce.data.len,
                                nr, sizeof(nr), false, true, now);
    }
    if (rc == IPSECVPN_OK && collision) {
        size_t nl = rx->b.nonce.data.len < sizeof(sa->coll_ni) ? rx->b.nonce.data.len
                                                               : sizeof(sa->coll_ni);
        sa->coll_spi_in = spi_in;
        memcpy(sa->coll_ni, rx->b.nonce.data.p, nl);
        sa->coll_ni_len = nl;
        memcpy(sa->coll_nr, nr, sizeof(nr));
        sa->coll_nr_len = sizeof(nr);
    }
    ivpn_wipe(gir, sizeof(gir));
    if (rc != IPSECVPN_OK)
        IVPN_LOG_WARN(e->ctx, "IKEv2: Child SA rekey failed: %s", ipsecvpn_strerror(rc));
    return rc;
}

/* Initiator:  <--  HDR, SK {SA, Nr, [KEr], TSi, TSr}; then delete the old pair. */
int ivpn_ikev2_create_child_response_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx,
                                        uint64_t now)
{
    ivpn_ike_sa *sa = c->ike;
    const ivpn_connection_values *v = ivpn_conn_values(c);
    ivpn_ikev2_request_done(e, sa);
    for (unsigned i = 0; i < rx->b.n_notify; i++) {
        uint16_t t = rx->b.notify[i].type;
        if (ivpn_ikev2_notify_is_error(t)) {
            IVPN_LOG_INFO(e->ctx, "IKEv2: Child SA rekey refused: %s", ivpn_ikev2_notify_name(t));
            /* after a collision the peer's rekey stands: nothing to retry */
            if (!sa->coll_spi_in)
                retry_later(e, c, now);
            sa->coll_spi_in = 0;
            return IPSECVPN_OK;
        }
    }
    int rc = IPSECVPN_OK;
    ivpn_child *old = NULL;
    for (int i = 0; i < 2; i++)
        if (c->child[i].used && c->child[i].spi_in == sa->rekey_old_spi_in)
            old = &c->child[i];
    if ((rx->b.present & (IVPN_IKEV2_HAS_SA | IVPN_IKEV2_HAS_NONCE | IVPN_IKEV2_HAS_TSI |
                          IVPN_IKEV2_HAS_TSR)) !=
        (IVPN_IKEV2_HAS_SA | IVPN_IKEV2_HAS_NONCE | IVPN_IKEV2_HAS_TSI | IVPN_IKEV2_HAS_TSR) ||
        !old)
        rc = IPSECVPN_ERR_IKE_MALFORMED;
    ivpn_ikev2_sa ours;
    ivpn_proposal_esp(&v->ipsec, sa->pending_spi_in, v->ipsec.pfs, &ours);
    ivpn_algs ca;
    ivpn_ts_set tsi, tsr;
    if (rc == IPSECVPN_OK && (ivpn_proposal_check_reply(&rx->b.sa, &ours, &ca) != IPSECVPN_OK ||
                              ivpn_proposal_spi32(&rx->b.sa.proposals[0]) < 256))
        rc = IPSECVPN_ERR_IKE_NO_PROPOSAL;
    if (rc == IPSECVPN_OK) {
        ivpn_ts_from_wire(&rx->b.tsi, &tsi);
        ivpn_ts_from_wire(&rx->b.tsr, &tsr);
        if (!ivpn_ts_subset(&tsi, &c->cfg_local_ts) || !ivpn_ts_subset(&tsr, &c->cfg_remote_ts))
            rc = IPSECVPN_ERR_IKE_TS;
    }
    uint8_t gir[1024];
    size_t gir_len = 0;
    if (rc == IPSECVPN_OK && ca.dh) {
        const ivpn_dh_info *di = ivpn_dh_lookup(ca.dh);
        if (!di || !sa->child_dh || !(rx->b.present & IVPN_IKEV2_HAS_KE) ||
            rx->b.ke.dh_group != ca.dh)
            rc = IPSECVPN_ERR_IKE_INVALID_KE;
        else
            rc = ivpn_dh_shared(sa->child_dh, rx->b.ke.data.p, rx->b.ke.data.len, gir,
                                di->shared_len);
        gir_len = di ? di->shared_len : 0;
    }
    /* a collision: the pair we created answering the peer waits in child_dup meanwhile */
    ivpn_child *theirs = NULL;
    for (int i = 0; i < 2 && sa->coll_spi_in; i++)
        if (c->child[i].used && c->child[i].spi_in == sa->coll_spi_in)
            theirs = &c->child[i];
    bool lost = false;
    if (rc == IPSECVPN_OK && theirs && old && old != theirs && !c->child_dup.used) {
        lost = ivpn_rekey_collision_lost(sa->child_n, sa->child_n_len, rx->b.nonce.data.p,
                                         rx->b.nonce.data.len, sa->coll_ni, sa->coll_ni_len,
                                         sa->coll_nr, sa->coll_nr_len);
        c->child_dup = *theirs;
        ivpn_child keep = *old;
        memset(&c->child[1], 0, sizeof(c->child[1]));
        c->child[0] = keep;
    } else {
        theirs = NULL;
        if (rc == IPSECVPN_OK && old != &c->child[0]) {
            ivpn_child tmp = c->child[0];
            c->child[0] = c->child[1];
            c->child[1] = tmp;
        }
    }
    sa->coll_spi_in = 0;
    if (rc == IPSECVPN_OK) {
        rc = ivpn_child_install(e, c, &ca, sa->pending_spi_in,
                                ivpn_proposal_spi32(&rx->b.sa.proposals[0]), &tsi, &tsr, gir,
                                gir_len, sa->child_n, sa->child_n_len, rx->b.nonce.data.p,
                                rx->b.nonce.data.len, true, true, now);
    }
    ivpn_wipe(gir, sizeof(gir));
    ivpn_dh_free(e->ctx, sa->child_dh);
    sa->child_dh = NULL;
    if (rc != IPSECVPN_OK && theirs) {
        /* ours failed: the peer's new pair is the only one, as if there was no collision */
        IVPN_LOG_WARN(e->ctx, "IKEv2: Child SA rekey failed: %s", ipsecvpn_strerror(rc));
        c->child[1] = c->child[0];
        c->child[0] = c->child_dup;
        memset(&c->child_dup, 0, sizeof(c->child_dup));
        return rc;
    }
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_WARN(e->ctx, "IKEv2: Child SA rekey failed: %s", ipsecvpn_strerror(rc));
        retry_later(e, c, now);
        return rc;
    }
    if (theirs && lost) {
        /* ours is redundant: traffic goes out on the peer's pair from now on; we delete ours,
         * the peer (the winner) deletes the old pair */
        ivpn_child ours_pair = c->child[0];
        c->child[0] = c->child_dup;
        c->child_dup = ours_pair;
        IVPN_LOG_INFO(e->ctx, "IKEv2: rekey collision lost, deleting our redundant Child SA 0x%08x",
                      ours_pair.spi_in);
        return ivpn_ikev2_delete_child_send(e, c, ours_pair.spi_in, now);
    }
    if (theirs)
        IVPN_LOG_INFO(e->ctx, "IKEv2: rekey collision won, the peer deletes Child SA 0x%08x",
                      c->child_dup.spi_in);
    /* make-before-break: the new pair is in use, now retire the old one */
    return ivpn_ikev2_delete_child_send(e, c, sa->rekey_old_spi_in, now);
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
