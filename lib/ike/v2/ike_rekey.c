/*
 * Rekeying the IKE SA (RFC 7296 §1.3.2, §2.18), make-before-break:
 *
 *   HDR(old), SK {SA(new SPIi), Ni, KEi}  -->
 *                        <--  HDR(old), SK {SA(new SPIr), Nr, KEr}
 *   SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), keys as in §2.14 with the new SPIs;
 *   the Child SAs move to the new IKE SA, whose original initiator is the rekey initiator;
 *   then the rekey initiator deletes the old one:
 *   HDR(old), SK {D(IKE)}  -->   <--  HDR(old), SK {}
 *
 * Simultaneous rekeys (§2.8.2): a peer's IKE SA rekey that arrives while our own rekey of the
 * same SA is outstanding is answered, and its new SA waits in coll_ike. When our response is
 * in, the new SA created with the lowest of the four nonces is redundant: its creator deletes
 * it, the other side deletes the old SA; the Child SAs (kept per connection) and all further
 * exchanges go to the survivor. When only the peer saw the collision, it answers our rekey
 * with TEMPORARY_FAILURE (our SA is replaced already) or deletes the old SA; either way the SA
 * in coll_ike takes over. Any other request that meets our outstanding one (a Delete, a DPD,
 * a Child SA rekey) or a second rekey while an old or redundant SA is still being deleted is
 * still answered with TEMPORARY_FAILURE (§2.25) and the refused side retries after a random
 * delay. A rekey request on an SA that is already replaced gets TEMPORARY_FAILURE as well.
 */
#include <string.h>

#include "ike/common/proposal.h"
#include "ike/v2/rekey_collision.h"
#include "ike/v2/v2_internal.h"

#define OLD_SA_GRACE_MS 60000 /* how long a replaced IKE SA waits for its Delete */

void ivpn_ikev2_drop_old(ipsecvpn_engine *e, ivpn_conn *c)
{
    ivpn_ike_sa_free(e, c->ike_old);
    c->ike_old = NULL;
}

/* The new SA takes over the connection's state; the old one waits for its Delete. */
static void take_over(ipsecvpn_engine *e, ivpn_conn *c, ivpn_ike_sa *n, uint64_t now)
{
    ivpn_ike_sa *old = c->ike;
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    n->local = old->local;
    n->remote = old->remote;
    n->natt = old->natt;
    n->nat_local = old->nat_local;
    n->nat_remote = old->nat_remote;
    n->keepalive_at = old->keepalive_at;
    n->dpd_at = old->dpd_at;
    n->last_rx = now;
    n->state = IVPN_IKE_ESTABLISHED;
    n->rekey_at = v->ike.lifetime ? now + ivpn_soft_lifetime_ms(e, v->ike.lifetime) : 0;
    n->hard_at = v->ike.lifetime ? now + (uint64_t)v->ike.lifetime * 1000 : 0;
    ivpn_ike_sa_forget_setup(e, n); /* DH and nonces: only the rekey needed them */
    ivpn_ikev2_drop_old(e, c);
    if (old->coll_ike == n)
        old->coll_ike = NULL;
    ivpn_ike_sa_free(e, old->coll_ike); /* not taken over: nobody uses it */
    old->coll_ike = NULL;
    old->expire_at = now + OLD_SA_GRACE_MS;
    old->dpd_at = old->dpd_deadline = old->keepalive_at = old->rekey_at = old->hard_at = 0;
    c->ike_old = old;
    c->ike = n;
    IVPN_LOG_INFO(e->ctx, "IKEv2: IKE SA rekeyed");
}

static int shared_secret(ivpn_ike_sa *n, const ivpn_ikev2_ke *ke, const ivpn_ike_sa *old)
{
    const ivpn_dh_info *di = ivpn_dh_lookup(n->ke_group);
    uint8_t gir[1024];
    if (!di)
        return IPSECVPN_ERR_CRYPTO_ALG;
    int rc = ivpn_dh_shared(n->dh, ke->data.p, ke->data.len, gir, di->shared_len);
    if (rc == IPSECVPN_OK)
        rc = ivpn_ikev2_derive_ike_keys(n, gir, di->shared_len, old);
    ivpn_wipe(gir, sizeof(gir));
    return rc;
}

/* HDR(old), SK {SA(new SPIi), Ni, KEi} --> */
int ivpn_ikev2_rekey_ike_send(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    ivpn_ike_sa *old = c->ike;
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    ivpn_ike_sa *n = ivpn_ike_sa_new(e, c, true);
    if (!n)
        return IPSECVPN_ERR_NOMEM;
    n->ke_group = v->ike.dh_group;
    n->ni_len = IVPN_NONCE_LEN;
    int rc = ivpn_dh_new(e->ctx, n->ke_group, &n->dh);
    if (rc == IPSECVPN_OK)
        rc = ivpn_random(e->ctx, n->ni, n->ni_len);
    ivpn_msg *m = rc == IPSECVPN_OK ? ivpn_malloc(e->ctx, sizeof(*m)) : NULL;
    if (rc == IPSECVPN_OK && !m)
        rc = IPSECVPN_ERR_NOMEM;
    uint8_t *out = NULL;
    size_t len = 0;
    if (rc == IPSECVPN_OK) {
        ivpn_ikev2_sa prop;
        ivpn_proposal_ike(&v->ike, 0, &prop);
        prop.proposals[0].spi_size = 8;
        memcpy(prop.proposals[0].spi, n->spi_i, 8);
        ivpn_msg_begin(m);
        ivpn_ikev2_add_sa(m, &prop);
        ivpn_ikev2_add_nonce(m, n->ni, n->ni_len);
        rc = ivpn_ikev2_add_ke(m, n->dh, n->ke_group);
        if (rc == IPSECVPN_OK)
            rc = ivpn_msg_finish_sk(e, old, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, false, old->msgid_out,
                                    m, &out, &len);
    }
    ivpn_free(e->ctx, m);
    if (rc != IPSECVPN_OK) {
        ivpn_ike_sa_free(e, n);
        return rc;
    }
    ivpn_ike_sa_free(e, old->rekey_new);
    old->rekey_new = n;
    IVPN_LOG_INFO(e->ctx, "IKEv2: rekeying the IKE SA");
    return ivpn_ikev2_send_request(e, old, IVPN_REQ_REKEY_IKE, out, len, now);
}

/* Responder:  HDR, SK {SA, Ni, KEi} -->   <-- HDR, SK {SA, Nr, KEr} */
int ivpn_ikev2_rekey_ike_request_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx, uint64_t now)
{
    ivpn_ike_sa *old = c->ike;
    uint32_t msgid = rx->hdr.message_id;
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    bool collision = old->req_kind == IVPN_REQ_REKEY_IKE && old->rekey_new && !old->coll_ike &&
                     !c->ike_old && !c->ike_dup;
    if (!collision && (old->req_kind != IVPN_REQ_NONE || c->ike_old || c->ike_dup)) {
        IVPN_LOG_INFO(e->ctx, "IKEv2: IKE SA rekey collides with our own request, retry later");
        return ivpn_ikev2_respond_error(e, old, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, msgid,
                                        IVPN_IKEV2_N_TEMPORARY_FAILURE);
    }
    ivpn_ikev2_sa ours;
    ivpn_proposal_ike(&v->ike, 0, &ours);
    ivpn_algs algs;
    uint8_t chosen;
    if (!(rx->b.present & IVPN_IKEV2_HAS_KE) || !(rx->b.present & IVPN_IKEV2_HAS_NONCE) ||
        ivpn_proposal_select(&rx->b.sa, &ours, &algs, &chosen) != IPSECVPN_OK ||
        rx->b.sa.proposals[chosen].spi_size != 8)
        return ivpn_ikev2_respond_error(e, old, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, msgid,
                                        IVPN_IKEV2_N_NO_PROPOSAL_CHOSEN);
    if (!ivpn_ikev2_nonce_ok(algs.prf, rx->b.nonce.data.len)) /* §2.10 */
        return ivpn_ikev2_respond_error(e, old, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, msgid,
                                        IVPN_IKEV2_N_INVALID_SYNTAX);
    if (rx->b.ke.dh_group != algs.dh) {
        uint8_t g[2] = { (uint8_t)(algs.dh >> 8), (uint8_t)algs.dh };
        ivpn_msg m;
        uint8_t *out;
        size_t len;
        ivpn_msg_begin(&m);
        ivpn_msg_notify(&m, 0, NULL, 0, IVPN_IKEV2_N_INVALID_KE_PAYLOAD, g, 2);
        int rc = ivpn_msg_finish_sk(e, old, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, true, msgid, &m,
                                    &out, &len);
        if (rc == IPSECVPN_OK)
            ivpn_ikev2_send_response(e, old, msgid, out, len);
        return IPSECVPN_ERR_IKE_INVALID_KE;
    }
    ivpn_ike_sa *n = ivpn_ike_sa_new(e, c, false);
    if (!n)
        return IPSECVPN_ERR_NOMEM;
    memcpy(n->spi_i, rx->b.sa.proposals[chosen].spi, 8);
    n->algs = algs;
    n->ke_group = algs.dh;
    n->ni_len = rx->b.nonce.data.len;
    memcpy(n->ni, rx->b.nonce.data.p, n->ni_len);
    n->nr_len = IVPN_NONCE_LEN;
    int rc = ivpn_random(e->ctx, n->nr, n->nr_len);
    if (rc == IPSECVPN_OK)
        rc = ivpn_dh_new(e->ctx, algs.dh, &n->dh);
    if (rc == IPSECVPN_OK)
        rc = shared_secret(n, &rx->b.ke, old);
    ivpn_msg *m = rc == IPSECVPN_OK ? ivpn_malloc(e->ctx, sizeof(*m)) : NULL;
    if (rc == IPSECVPN_OK && !m)
        rc = IPSECVPN_ERR_NOMEM;
    uint8_t *out = NULL;
    size_t len = 0;
    if (rc == IPSECVPN_OK) {
        ivpn_ikev2_sa reply;
        ivpn_proposal_from_algs(IVPN_IKEV2_PROTO_IKE, rx->b.sa.proposals[chosen].num, n->spi_r, 8,
                                &algs, &reply);
        ivpn_msg_begin(m);
        ivpn_ikev2_add_sa(m, &reply);
        ivpn_ikev2_add_nonce(m, n->nr, n->nr_len);
        rc = ivpn_ikev2_add_ke(m, n->dh, n->ke_group);
        if (rc == IPSECVPN_OK)
            rc = ivpn_msg_finish_sk(e, old, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, true, msgid, m, &out,
                                    &len);
    }
    ivpn_free(e->ctx, m);
    if (rc != IPSECVPN_OK) {
        ivpn_ike_sa_free(e, n);
        IVPN_LOG_WARN(e->ctx, "IKEv2: IKE SA rekey failed: %s", ipsecvpn_strerror(rc));
        return rc;
    }
    ivpn_ikev2_send_response(e, old, msgid, out, len);
    if (collision) {
        /* both rekeys run: the nonces decide once our own response is in (§2.8.2) */
        IVPN_LOG_INFO(e->ctx, "IKEv2: simultaneous IKE SA rekey, the nonces will decide");
        old->coll_ike = n;
        return IPSECVPN_OK;
    }
    take_over(e, c, n, now);
    return IPSECVPN_OK;
}

/* HDR(sa), SK {D(IKE)} --> as a request that is retransmitted until answered. */
static int send_delete_ike(ipsecvpn_engine *e, ivpn_ike_sa *sa, uint64_t now)
{
    ivpn_msg *m = ivpn_malloc(e->ctx, sizeof(*m));
    if (!m)
        return IPSECVPN_ERR_NOMEM;
    ivpn_msg_begin(m);
    ivpn_ikev2_delete d = { .protocol = IVPN_IKEV2_PROTO_IKE };
    ivpn_ikev2_payload_open(&m->cw, IVPN_IKEV2_PL_DELETE, false);
    ivpn_ikev2_delete_encode(&m->w, &d);
    ivpn_ikev2_payload_close(&m->cw);
    uint8_t *out;
    size_t len;
    int rc = ivpn_msg_finish_sk(e, sa, IVPN_IKEV2_EXCH_INFORMATIONAL, false, sa->msgid_out, m,
                                &out, &len);
    ivpn_free(e->ctx, m);
    if (rc == IPSECVPN_OK)
        rc = ivpn_ikev2_send_request(e, sa, IVPN_REQ_DELETE_IKE, out, len, now);
    return rc;
}

void ivpn_ikev2_rekey_ike_adopt(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    ivpn_ike_sa *old = c->ike;
    ivpn_ike_sa *n = old ? old->coll_ike : NULL;
    if (!n)
        return;
    old->coll_ike = NULL;
    ivpn_ike_sa_free(e, old->rekey_new); /* our own attempt is forgotten */
    old->rekey_new = NULL;
    ivpn_ikev2_request_done(e, old);
    take_over(e, c, n, now);
}

void ivpn_ikev2_drop_dup(ipsecvpn_engine *e, ivpn_conn *c)
{
    ivpn_ike_sa_free(e, c->ike_dup);
    c->ike_dup = NULL;
}

/* Initiator:  <-- HDR, SK {SA, Nr, KEr};  then HDR(old), SK {D(IKE)} --> */
int ivpn_ikev2_rekey_ike_response_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx,
                                     uint64_t now)
{
    ivpn_ike_sa *old = c->ike;
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    ivpn_ikev2_request_done(e, old);
    ivpn_ike_sa *n = old->rekey_new;
    old->rekey_new = NULL;
    int rc = n ? IPSECVPN_OK : IPSECVPN_ERR_INTERNAL;
    for (unsigned i = 0; i < rx->b.n_notify && rc == IPSECVPN_OK; i++)
        if (ivpn_ikev2_notify_is_error(rx->b.notify[i].type)) {
            IVPN_LOG_INFO(e->ctx, "IKEv2: IKE SA rekey refused: %s",
                          ivpn_ikev2_notify_name(rx->b.notify[i].type));
            rc = IPSECVPN_ERR_IKE_UNEXPECTED;
        }
    ivpn_ikev2_sa ours;
    ivpn_algs algs;
    if (rc == IPSECVPN_OK) {
        ivpn_proposal_ike(&v->ike, 0, &ours);
        if ((rx->b.present & (IVPN_IKEV2_HAS_SA | IVPN_IKEV2_HAS_KE | IVPN_IKEV2_HAS_NONCE)) !=
                (IVPN_IKEV2_HAS_SA | IVPN_IKEV2_HAS_KE | IVPN_IKEV2_HAS_NONCE) ||
            ivpn_proposal_check_reply(&rx->b.sa, &ours, &algs) != IPSECVPN_OK ||
            rx->b.sa.proposals[0].spi_size != 8 || algs.dh != n->ke_group ||
            rx->b.ke.dh_group != n->ke_group)
            rc = IPSECVPN_ERR_IKE_NO_PROPOSAL;
        else if (!ivpn_ikev2_nonce_ok(algs.prf, rx->b.nonce.data.len)) /* §2.10 */
            rc = IPSECVPN_ERR_IKE_MALFORMED;
    }
    if (rc == IPSECVPN_OK) {
        n->algs = algs;
        memcpy(n->spi_r, rx->b.sa.proposals[0].spi, 8);
        n->nr_len = rx->b.nonce.data.len;
        memcpy(n->nr, rx->b.nonce.data.p, n->nr_len);
        rc = shared_secret(n, &rx->b.ke, old);
    }
    if (rc != IPSECVPN_OK && old->coll_ike) {
        /* the peer's rekey of this SA went through: its new SA is the one (§2.8.2) */
        ivpn_ike_sa_free(e, n);
        IVPN_LOG_INFO(e->ctx, "IKEv2: our IKE SA rekey failed, the peer's colliding one stands");
        ivpn_ike_sa *theirs = old->coll_ike;
        old->coll_ike = NULL;
        take_over(e, c, theirs, now);
        return IPSECVPN_OK; /* the peer deletes the old SA */
    }
    if (rc != IPSECVPN_OK) {
        ivpn_ike_sa_free(e, n);
        uint8_t r = 0;
        (void)ivpn_random(e->ctx, &r, 1);
        old->rekey_at = now + 1000 + (uint64_t)(r % 10) * 1000;
        return rc;
    }
    ivpn_ike_sa *theirs = old->coll_ike;
    old->coll_ike = NULL;
    if (theirs && ivpn_rekey_collision_lost(n->ni, n->ni_len, n->nr, n->nr_len, theirs->ni,
                                            theirs->ni_len, theirs->nr, theirs->nr_len)) {
        /* ours is redundant: the peer's SA takes over, the peer deletes the old one, and we
         * delete ours (on itself) */
        IVPN_LOG_INFO(e->ctx, "IKEv2: IKE SA rekey collision lost, deleting our redundant SA");
        take_over(e, c, theirs, now);
        n->state = IVPN_IKE_ESTABLISHED;
        n->local = theirs->local;
        n->remote = theirs->remote;
        n->natt = theirs->natt;
        n->expire_at = now + OLD_SA_GRACE_MS;
        ivpn_dh_free(e->ctx, n->dh);
        n->dh = NULL;
        ivpn_ikev2_drop_dup(e, c);
        c->ike_dup = n;
        return send_delete_ike(e, n, now);
    }
    take_over(e, c, n, now);
    if (theirs) {
        /* ours survives: the peer deletes its redundant SA, which answers until then */
        IVPN_LOG_INFO(e->ctx, "IKEv2: IKE SA rekey collision won, the peer deletes its new SA");
        theirs->state = IVPN_IKE_ESTABLISHED;
        theirs->expire_at = now + OLD_SA_GRACE_MS;
        ivpn_dh_free(e->ctx, theirs->dh);
        theirs->dh = NULL;
        ivpn_ikev2_drop_dup(e, c);
        c->ike_dup = theirs;
    }
    /* HDR(old), SK {D(IKE)} --> */
    return send_delete_ike(e, old, now);
}

/* A replaced or redundant SA: answer its requests (a Delete ends it; a rekey of it is refused
 * with TEMPORARY_FAILURE, §2.8.2), take the answer to our Delete. */
static int dying_sa_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_ike_sa *old, ivpn_rx *rx,
                       void (*drop)(ipsecvpn_engine *, ivpn_conn *))
{
    if (ivpn_ikev2_is_response(&rx->hdr)) {
        if (old->req_kind == IVPN_REQ_NONE || rx->hdr.message_id != old->req_id)
            return IPSECVPN_ERR_IKE_UNEXPECTED;
        bool was_delete = old->req_kind == IVPN_REQ_DELETE_IKE;
        ivpn_ikev2_request_done(e, old);
        if (was_delete)
            drop(e, c);
        return IPSECVPN_OK;
    }
    uint32_t id = rx->hdr.message_id;
    if (old->have_resp && id == old->resp_id) {
        (void)ivpn_engine_send_ike(e, old, old->resp, old->resp_len);
        return IPSECVPN_OK;
    }
    if (id == old->msgid_in && rx->hdr.exchange == IVPN_IKEV2_EXCH_CREATE_CHILD_SA) {
        old->msgid_in++;
        IVPN_LOG_INFO(e->ctx, "IKEv2: rekey request on an IKE SA being deleted, refused");
        return ivpn_ikev2_respond_error(e, old, IVPN_IKEV2_EXCH_CREATE_CHILD_SA, id,
                                        IVPN_IKEV2_N_TEMPORARY_FAILURE);
    }
    if (id != old->msgid_in || rx->hdr.exchange != IVPN_IKEV2_EXCH_INFORMATIONAL)
        return IPSECVPN_ERR_IKE_UNEXPECTED;
    old->msgid_in++;
    bool delete_ike = false;
    for (unsigned i = 0; i < rx->b.n_delete; i++)
        delete_ike |= rx->b.del[i].protocol == IVPN_IKEV2_PROTO_IKE;
    ivpn_msg *m = ivpn_malloc(e->ctx, sizeof(*m));
    if (!m)
        return IPSECVPN_ERR_NOMEM;
    ivpn_msg_begin(m);
    uint8_t *out;
    size_t len;
    int rc = ivpn_msg_finish_sk(e, old, IVPN_IKEV2_EXCH_INFORMATIONAL, true, id, m, &out, &len);
    ivpn_free(e->ctx, m);
    if (rc == IPSECVPN_OK)
        ivpn_ikev2_send_response(e, old, id, out, len);
    if (delete_ike)
        drop(e, c);
    return rc;
}

int ivpn_ikev2_old_sa_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx, uint64_t now)
{
    (void)now;
    return dying_sa_rx(e, c, c->ike_old, rx, ivpn_ikev2_drop_old);
}

int ivpn_ikev2_dup_sa_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx, uint64_t now)
{
    (void)now;
    return dying_sa_rx(e, c, c->ike_dup, rx, ivpn_ikev2_drop_dup);
}
