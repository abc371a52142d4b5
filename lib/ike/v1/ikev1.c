/*
 * The IKEv1 engine's frame (RFC 2409 over ISAKMP, RFC 2408): the ivpn_ike_ops table, ISAKMP
 * SA lifecycle, the dispatch of received messages by cookies and exchange type, and the
 * phase-1 timers (retransmission, half-open expiry, lifetime and rekey, NAT keepalives).
 *
 * A connection holds at most one ISAKMP SA in use (v1->sa), one replacing it (v1->sa_next:
 * a phase-1 rekey started by either side, RFC 2409 has no rekey exchange, so it is a fresh
 * main or aggressive mode) and replaced SAs (v1->old) that live until their lifetime ends
 * and are then deleted. Child SAs belong to the connection and survive a phase-1 rekey.
 */
#include <string.h>

#include "ike/v1/v1_internal.h"
#include "ipsecvpn/udp_encap.h"

ivpn_v1_conn *ivpn_v1_conn_get(ipsecvpn_engine *e, ivpn_conn *c)
{
    if (!c->v1)
        c->v1 = ivpn_zalloc(e->ctx, sizeof(*c->v1));
    return c->v1;
}

ivpn_v1_sa *ivpn_v1_sa_new(ipsecvpn_engine *e, ivpn_conn *c, bool initiator)
{
    ivpn_v1_sa *sa = ivpn_zalloc(e->ctx, sizeof(*sa));
    if (!sa)
        return NULL;
    sa->initiator = initiator;
    sa->aggressive = ivpn_conn_values(c)->ike.mode == IVPN_MODE_AGGRESSIVE;
    uint8_t *cky = initiator ? sa->cky_i : sa->cky_r;
    static const uint8_t zero[8] = { 0 };
    do {
        if (ivpn_random(e->ctx, cky, 8) != IPSECVPN_OK) {
            ivpn_free(e->ctx, sa);
            return NULL;
        }
    } while (memcmp(cky, zero, 8) == 0);
    sa->local = c->local;
    sa->remote = c->remote;
    return sa;
}

void ivpn_v1_sa_free(ipsecvpn_engine *e, ivpn_v1_sa *sa)
{
    if (!sa)
        return;
    ivpn_v1_qm_free_all(e, sa);
    ivpn_dh_free(e->ctx, sa->dh);
    ivpn_free(e->ctx, sa->gxi);
    ivpn_free(e->ctx, sa->gxr);
    ivpn_free(e->ctx, sa->sai_b);
    ivpn_free(e->ctx, sa->early);
    ivpn_free(e->ctx, sa->id_peer_b);
    ivpn_v1_rtx_clear(e, &sa->rtx);
    ivpn_wipe(sa, sizeof(*sa));
    ivpn_free(e->ctx, sa);
}

ivpn_v1_sa *ivpn_v1_current(ivpn_conn *c)
{
    if (c->v1 && c->v1->sa && c->v1->sa->state == IVPN_V1_P1_ESTABLISHED)
        return c->v1->sa;
    return NULL;
}

/* Free every ISAKMP SA of the connection; whether one of them was established. */
static bool drop_all(ipsecvpn_engine *e, ivpn_v1_conn *v1)
{
    bool was_up = false;
    ivpn_v1_sa *list[2] = { v1->sa, v1->sa_next };
    for (int i = 0; i < 2; i++) {
        if (list[i]) {
            was_up |= list[i]->state == IVPN_V1_P1_ESTABLISHED;
            ivpn_v1_sa_free(e, list[i]);
        }
    }
    while (v1->old) {
        ivpn_v1_sa *o = v1->old;
        v1->old = o->next;
        ivpn_v1_sa_free(e, o);
    }
    v1->sa = v1->sa_next = NULL;
    return was_up;
}

void ivpn_v1_fail(ipsecvpn_engine *e, ivpn_conn *c, ipsecvpn_status status, int reason)
{
    ivpn_child_remove_all(e, c, true);
    /* c->v1 itself stays (empty): callers may still look at it */
    bool was_up = c->v1 && drop_all(e, c->v1);
    if (was_up || reason)
        ivpn_engine_emit(e, IPSECVPN_EVENT_IKE_DOWN, c, reason, NULL);
    ivpn_engine_set_status(e, c, status, reason);
}

void ivpn_v1_p1_abort(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, int reason)
{
    ivpn_v1_conn *v1 = c->v1;
    if (v1 && sa == v1->sa_next && v1->sa) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: phase-1 rekey failed (%s), the current SA stays",
                      ipsecvpn_strerror(reason));
        ivpn_v1_sa_free(e, sa);
        v1->sa_next = NULL;
        return;
    }
    if (v1 && sa == v1->sa_next) {
        /* the rekey of an SA the peer deleted meanwhile: nothing else is left */
        IVPN_LOG_WARN(e->ctx, "IKEv1: phase 1 failed: %s", ipsecvpn_strerror(reason));
        ivpn_v1_fail(e, c, IPSECVPN_STATUS_ERROR, reason);
        return;
    }
    if (v1 && sa == v1->sa) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: phase 1 failed: %s", ipsecvpn_strerror(reason));
        ivpn_v1_fail(e, c, IPSECVPN_STATUS_ERROR, reason);
        return;
    }
    ivpn_v1_sa_free(e, sa);
}

int ivpn_v1_p1_bad_decrypt(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, const char *what)
{
    /* the first message under the new keys does not decrypt to payloads: the two sides
     * derived different keys, which with the same DH exchange means another PSK -- or the
     * datagram was garbled, so only repeated failures end the negotiation */
    if (sa->bad_decrypts < UINT8_MAX)
        sa->bad_decrypts++;
    IVPN_LOG_WARN(e->ctx, "IKEv1: %s does not decrypt (pre-shared key mismatch?)", what);
    if (sa->bad_decrypts >= IVPN_V1_BAD_DECRYPT_MAX)
        ivpn_v1_p1_abort(e, c, sa, IPSECVPN_ERR_IKE_AUTH);
    return IPSECVPN_ERR_IKE_AUTH;
}

void ivpn_v1_sa_place(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa)
{
    ivpn_v1_conn *v1 = c->v1; /* exists: the caller found the connection through it */
    if (!v1->sa || v1->sa->state != IVPN_V1_P1_ESTABLISHED) {
        /* nothing established: this negotiation replaces any other one in progress */
        ivpn_v1_sa_free(e, v1->sa);
        ivpn_v1_sa_free(e, v1->sa_next);
        v1->sa_next = NULL;
        v1->sa = sa;
    } else {
        ivpn_v1_sa_free(e, v1->sa_next);
        v1->sa_next = sa;
    }
}

void ivpn_v1_established(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, uint64_t now)
{
    ivpn_v1_conn *v1 = c->v1;
    sa->state = IVPN_V1_P1_ESTABLISHED;
    sa->established_at = now;
    sa->last_rx = now;
    uint32_t life = sa->lifetime_s;
    sa->expire_at = life ? now + (uint64_t)life * 1000 : 0;
    sa->rekey_at = life ? now + ivpn_soft_lifetime_ms(e, life) : 0;
    /* what only the exchange needed (the IV is derived, the keys are in sa->k) */
    ivpn_dh_free(e->ctx, sa->dh);
    sa->dh = NULL;
    ivpn_free(e->ctx, sa->gxi);
    ivpn_free(e->ctx, sa->gxr);
    ivpn_free(e->ctx, sa->sai_b);
    ivpn_free(e->ctx, sa->id_peer_b);
    sa->gxi = sa->gxr = sa->sai_b = sa->id_peer_b = NULL;
    sa->gxi_len = sa->gxr_len = sa->sai_b_len = sa->id_peer_b_len = 0;
    ivpn_v1_keepalive_arm(e, c, sa, now);
    bool nat = sa->remote.port != IPSECVPN_IKE_PORT;
    bool rekey = sa == v1->sa_next && v1->sa && v1->sa->state == IVPN_V1_P1_ESTABLISHED;
    if (sa == v1->sa_next) {
        /* phase-1 rekey: the old SA serves until its lifetime ends, then it is deleted. The
         * peer may have deleted it already (strongSwan does right after its MM1). */
        ivpn_v1_sa *old = v1->sa;
        if (old && !rekey) {
            ivpn_v1_sa_free(e, old);
        } else if (old) {
            old->rekey_at = 0;
            old->keepalive_at = 0;
            old->next = v1->old;
            v1->old = old;
        }
        v1->sa = sa;
        v1->sa_next = NULL;
    }
    if (rekey) {
        IVPN_LOG_INFO(e->ctx, "IKEv1: ISAKMP SA rekeyed (%s mode%s)",
                      sa->aggressive ? "aggressive" : "main", nat ? ", NAT-T port" : "");
    } else {
        IVPN_LOG_INFO(e->ctx, "IKEv1: ISAKMP SA established (%s mode%s)",
                      sa->aggressive ? "aggressive" : "main", nat ? ", NAT-T port" : "");
        ivpn_engine_emit(e, IPSECVPN_EVENT_IKE_UP, c, 0, NULL);
    }
    ivpn_v1_dpd_alive(c, now);
    /* the initiator of phase 1 opens the tunnel; after a rekey that finds no tunnel left,
     * a connection that may initiate opens it whoever started the rekey */
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    bool may = v->admin_up && v->initiator == IVPN_INITIATOR_BIDIRECTIONAL;
    if (!ivpn_child_current(c) && (sa->initiator || (rekey && may)))
        (void)ivpn_v1_quick_start(e, c, 0, now);
}

int ivpn_v1_phase1_start(ipsecvpn_engine *e, ivpn_conn *c, bool rekey, uint64_t now)
{
    ivpn_v1_conn *v1 = ivpn_v1_conn_get(e, c);
    if (!v1)
        return IPSECVPN_ERR_NOMEM;
    ivpn_v1_sa *cur = ivpn_v1_current(c);
    if (rekey ? (!cur || v1->sa_next) : v1->sa != NULL)
        return IPSECVPN_ERR_STATE;
    ivpn_v1_sa *sa = ivpn_v1_sa_new(e, c, true);
    if (!sa)
        return IPSECVPN_ERR_NOMEM;
    if (rekey) {
        /* the peer is where the current SA reaches it (behind a NAT: the floated ports) */
        sa->local = cur->local;
        sa->remote = cur->remote;
        v1->sa_next = sa;
    } else {
        v1->sa = sa;
    }
    int rc = sa->aggressive ? ivpn_v1_aggr_start(e, c, sa, now) : ivpn_v1_main_start(e, c, sa, now);
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: phase 1 not started: %s", ipsecvpn_strerror(rc));
        if (rekey)
            v1->sa_next = NULL;
        else
            v1->sa = NULL;
        ivpn_v1_sa_free(e, sa);
        if (!rekey)
            ivpn_engine_set_status(e, c, IPSECVPN_STATUS_ERROR, rc);
        return rc;
    }
    if (!rekey)
        ivpn_engine_set_status(e, c, IPSECVPN_STATUS_BUILD, 0);
    return IPSECVPN_OK;
}

/* ---- receiving --------------------------------------------------------------------------- */

static const uint8_t zero8[8] = { 0 };

/* The SA a message belongs to: same CKY-I and same CKY-R, or, while the initiator waits for
 * the first answer (our CKY-R still zero), any CKY-R; a repeated first message (CKY-R zero)
 * also finds the responder SA it created. */
static bool cookies_match(const ivpn_v1_sa *sa, const ivpn_isakmp_header *h)
{
    if (memcmp(sa->cky_i, h->cookie_i, 8) != 0)
        return false;
    return memcmp(sa->cky_r, h->cookie_r, 8) == 0 || memcmp(sa->cky_r, zero8, 8) == 0 ||
           (!sa->initiator && memcmp(h->cookie_r, zero8, 8) == 0);
}

static ivpn_conn *conn_by_cookies(ipsecvpn_engine *e, const ivpn_isakmp_header *h,
                                  ivpn_v1_sa **which)
{
    for (ivpn_conn *c = e->conns; c; c = c->next) {
        if (!c->v1)
            continue;
        ivpn_v1_sa *cand[2] = { c->v1->sa, c->v1->sa_next };
        for (int i = 0; i < 2; i++)
            if (cand[i] && cookies_match(cand[i], h)) {
                *which = cand[i];
                return c;
            }
        for (ivpn_v1_sa *o = c->v1->old; o; o = o->next)
            if (cookies_match(o, h)) {
                *which = o;
                return c;
            }
    }
    return NULL;
}

/* The IKEv1 connection for a peer address (one connection is one peer). */
static ivpn_conn *conn_for_peer(ipsecvpn_engine *e, const ipsecvpn_endpoint *local,
                                const ipsecvpn_endpoint *remote)
{
    return ivpn_engine_conn_for_peer(e, &ivpn_ikev1_ops, local, remote);
}

/* MM1 / AM1 from a peer: a new responder SA. */
static int new_responder(ipsecvpn_engine *e, const ipsecvpn_endpoint *local,
                         const ipsecvpn_endpoint *remote, const ivpn_isakmp_header *h,
                         const uint8_t *msg, size_t len, uint64_t now, uint32_t *conn_id)
{
    ivpn_conn *c = conn_for_peer(e, local, remote);
    if (!c || !ivpn_conn_values(c)->admin_up) {
        IVPN_LOG_INFO(e->ctx, "IKEv1: phase 1 from a peer without a connection, ignored");
        return IPSECVPN_ERR_NOT_FOUND;
    }
    *conn_id = c->id;
    if (h->message_id != 0 || h->flags & IVPN_ISAKMP_FLAG_ENC) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: first phase-1 message with message ID or E flag dropped");
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    ivpn_v1_conn *v1 = ivpn_v1_conn_get(e, c);
    if (!v1)
        return IPSECVPN_ERR_NOMEM;
    /* simultaneous initiation: both sides keep the one with the higher CKY-I */
    ivpn_v1_sa *mine = NULL;
    if (v1->sa && v1->sa->initiator && v1->sa->state != IVPN_V1_P1_ESTABLISHED)
        mine = v1->sa;
    else if (v1->sa_next && v1->sa_next->initiator)
        mine = v1->sa_next;
    if (mine && memcmp(mine->cky_i, h->cookie_i, 8) > 0) {
        IVPN_LOG_INFO(e->ctx, "IKEv1: simultaneous phase-1 initiation, ours wins");
        return IPSECVPN_OK;
    }
    if (h->exchange == IVPN_ISAKMP_EX_AGGRESSIVE &&
        ivpn_conn_values(c)->ike.mode != IVPN_MODE_AGGRESSIVE) {
        /* aggressive mode exposes a hash an eavesdropper can attack offline: only where
         * configured */
        IVPN_LOG_WARN(e->ctx, "IKEv1: aggressive mode refused: the connection uses main mode");
        ivpn_isakmp_header r = *h;
        ivpn_v1_refuse(e, local, remote, &r, IVPN_ISAKMP_N_NO_PROPOSAL_CHOSEN);
        return IPSECVPN_ERR_IKE_NO_PROPOSAL;
    }
    const ivpn_v1_first *how =
        h->exchange == IVPN_ISAKMP_EX_MAIN ? &ivpn_v1_main_first : &ivpn_v1_aggr_first;
    return ivpn_v1_p1_respond(e, c, local, remote, msg, len, now, how);
}

/* A quick-mode message that overtook AM3 (aggressive responder): kept until AM3 is in. */
static int stash_early(ipsecvpn_engine *e, ivpn_v1_sa *sa, const uint8_t *msg, size_t len)
{
    if (len > IVPN_IKE_MSG_MAX)
        return IPSECVPN_ERR_IKE_MALFORMED;
    uint8_t *b = ivpn_malloc(e->ctx, len);
    if (!b)
        return IPSECVPN_ERR_NOMEM;
    memcpy(b, msg, len);
    ivpn_free(e->ctx, sa->early);
    sa->early = b;
    sa->early_len = len;
    IVPN_LOG_DEBUG(e->ctx, "IKEv1: quick mode before AM3, kept until AM3 arrives");
    return IPSECVPN_OK;
}

/* An encrypted quick-mode or informational message under an SA still waiting for the
 * peer's last phase-1 message (AM3 as aggressive responder, MM6 as main-mode initiator):
 * the peer has finished phase 1 and uses the SA. The first such message may just have
 * overtaken the last phase-1 one (strongSwan sends QM1 right behind AM3); from the second
 * on, that was lost. Without it
 * we have neither the peer's authentication nor the phase-1 IV the message is encrypted
 * under. Our own last message goes out again at once (the peer answers a repeated AM2 with
 * AM3, a repeated MM5 with MM6) and the exchange gets the time it would have had from now:
 * otherwise the peer keeps an SA we gave up, and its phase 2 and DPD go nowhere. */
static bool peer_ahead(ipsecvpn_engine *e, ivpn_v1_sa *sa, const ivpn_isakmp_header *h,
                       uint64_t now)
{
    bool waiting_last = sa->state == IVPN_V1_AM_R1 || sa->state == IVPN_V1_MM_I3;
    if (!waiting_last || !(h->flags & IVPN_ISAKMP_FLAG_ENC) || !sa->rtx.msg)
        return false;
    if (sa->peer_ahead >= IVPN_V1_PEER_AHEAD_MAX || sa->peer_ahead++ == 0)
        return true;
    IVPN_LOG_DEBUG(e->ctx, "IKEv1: the peer uses an SA whose phase 1 we have not finished, "
                           "sending our last phase-1 message again");
    (void)ivpn_v1_send(e, sa, sa->rtx.msg, sa->rtx.len);
    if (sa->rtx.tries)
        sa->rtx.tries--;
    if (sa->expire_at && sa->expire_at < now + IVPN_V1_HALF_OPEN_MS)
        sa->expire_at = now + IVPN_V1_HALF_OPEN_MS;
    return true;
}

int ivpn_ikev1_receive(ipsecvpn_engine *e, const ipsecvpn_endpoint *local,
                       const ipsecvpn_endpoint *remote, const uint8_t *msg, size_t len,
                       uint64_t now, uint32_t *conn_id)
{
    *conn_id = 0;
    ivpn_isakmp_header h;
    int rc = ivpn_isakmp_header_decode(e->ctx, msg, len, &h);
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_DEBUG(e->ctx, "IKEv1: datagram with a broken ISAKMP header dropped");
        return rc;
    }
    len = h.length; /* bytes past Length are not part of the message */
    if (memcmp(h.cookie_i, zero8, 8) == 0) {
        IVPN_LOG_DEBUG(e->ctx, "IKEv1: message with CKY-I zero dropped");
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    ivpn_v1_sa *sa = NULL;
    ivpn_conn *c = conn_by_cookies(e, &h, &sa);
    if (!c) {
        if ((h.exchange == IVPN_ISAKMP_EX_MAIN || h.exchange == IVPN_ISAKMP_EX_AGGRESSIVE) &&
            memcmp(h.cookie_r, zero8, 8) == 0)
            return new_responder(e, local, remote, &h, msg, len, now, conn_id);
        IVPN_LOG_DEBUG(e->ctx, "IKEv1: message for an unknown ISAKMP SA dropped");
        return IPSECVPN_ERR_NOT_FOUND;
    }
    *conn_id = c->id;
    switch (h.exchange) {
    case IVPN_ISAKMP_EX_MAIN:
        if (sa->aggressive)
            return IPSECVPN_ERR_IKE_UNEXPECTED;
        return ivpn_v1_main_rx(e, c, sa, local, remote, msg, len, now);
    case IVPN_ISAKMP_EX_AGGRESSIVE:
        if (!sa->aggressive)
            return IPSECVPN_ERR_IKE_UNEXPECTED;
        return ivpn_v1_aggr_rx(e, c, sa, local, remote, msg, len, now);
    case IVPN_ISAKMP_EX_QUICK:
        if (sa->state == IVPN_V1_P1_ESTABLISHED)
            return ivpn_v1_quick_rx(e, c, sa, msg, len, now);
        if (peer_ahead(e, sa, &h, now) && sa->state == IVPN_V1_AM_R1)
            return stash_early(e, sa, msg, len);
        IVPN_LOG_DEBUG(e->ctx, "IKEv1: quick mode before phase 1 is done, dropped");
        return IPSECVPN_ERR_IKE_UNEXPECTED;
    case IVPN_ISAKMP_EX_INFO:
        /* one the peer sent before its last phase-1 message (a refusal) does decrypt; an
         * encrypted one that does not leaves the SA in place (an unprotected one may not) */
        if (!(h.flags & IVPN_ISAKMP_FLAG_ENC))
            return ivpn_v1_info_rx(e, c, sa, msg, len, now);
        rc = ivpn_v1_info_rx(e, c, sa, msg, len, now);
        if (rc == IPSECVPN_OK || rc == IPSECVPN_ERR_NOMEM)
            return rc;
        /* the handler may have ended the SA (a protected refusal): look it up again */
        ivpn_v1_sa *still = NULL;
        if (conn_by_cookies(e, &h, &still) != c || still != sa)
            return rc;
        if (peer_ahead(e, sa, &h, now) && sa->state == IVPN_V1_MM_I3 && sa->bad_decrypts == 0) {
            /* Undecryptable under our keys while we wait for MM6: either MM6 was lost and
             * the peer already talks under the SA, or (what charon does) the peer could not
             * decrypt our MM5 -- another PSK -- and says so under its own keys. Which one
             * only the retransmissions tell; if they run out, report the likelier cause. */
            sa->bad_decrypts = 1;
        }
        return rc;
    default:
        IVPN_LOG_DEBUG(e->ctx, "IKEv1: exchange type %u not supported, dropped", h.exchange);
        return IPSECVPN_ERR_IKE_UNEXPECTED;
    }
}

/* ---- timers ------------------------------------------------------------------------------ */

static uint64_t min_t(uint64_t a, uint64_t b)
{
    if (!b)
        return a;
    return b < a ? b : a;
}

static uint64_t v1_next_expiry(const ivpn_conn *c)
{
    uint64_t t = min_t(UINT64_MAX, c->restart_at);
    const ivpn_v1_conn *v1 = c->v1;
    if (!v1)
        return t;
    const ivpn_v1_sa *cand[2] = { v1->sa, v1->sa_next };
    for (int i = 0; i < 2; i++) {
        const ivpn_v1_sa *sa = cand[i];
        if (!sa)
            continue;
        t = min_t(t, sa->rtx.at);
        t = min_t(t, sa->expire_at);
        if (sa == v1->sa && sa->state == IVPN_V1_P1_ESTABLISHED) {
            t = min_t(t, sa->rekey_at);
            t = min_t(t, sa->keepalive_at);
        }
    }
    for (const ivpn_v1_sa *o = v1->old; o; o = o->next)
        t = min_t(t, o->expire_at);
    return min_t(t, ivpn_v1_phase2_next_expiry(c));
}

/* Replaced ISAKMP SAs at the end of their lifetime: delete (RFC 2408 §4.8) and free. */
static void old_expiry(ipsecvpn_engine *e, ivpn_v1_conn *v1, uint64_t now)
{
    for (ivpn_v1_sa **pp = &v1->old; *pp;) {
        ivpn_v1_sa *o = *pp;
        if (o->expire_at && now >= o->expire_at) {
            *pp = o->next;
            IVPN_LOG_INFO(e->ctx, "IKEv1: replaced ISAKMP SA reached its lifetime, deleting it");
            (void)ivpn_v1_delete_isakmp_send(e, o);
            ivpn_v1_sa_free(e, o);
        } else {
            pp = &o->next;
        }
    }
}

/* The rekey under negotiation: retransmit, or give up and keep the current SA. */
static void next_expiry(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    ivpn_v1_conn *v1 = c->v1;
    ivpn_v1_sa *n = v1->sa_next;
    if (!n)
        return;
    bool gone = false;
    if (n->rtx.at && now >= n->rtx.at && !ivpn_v1_rtx_fire(e, n, &n->rtx, now))
        gone = true;
    if (n->state != IVPN_V1_P1_ESTABLISHED && n->expire_at && now >= n->expire_at)
        gone = true;
    if (gone) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: phase-1 rekey got no answer%s",
                      v1->sa ? ", the current SA stays" : "");
        ivpn_v1_sa_free(e, n);
        v1->sa_next = NULL;
        if (!v1->sa)
            ivpn_v1_fail(e, c, IPSECVPN_STATUS_ERROR, IPSECVPN_ERR_IKE_TIMEOUT);
    }
}

static void v1_close(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now, bool tell_peer);

/* The SA in use: retransmission, half-open expiry, lifetime, rekey, keepalives. False when
 * the connection lost its SAs. */
static bool current_expiry(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    ivpn_v1_conn *v1 = c->v1;
    ivpn_v1_sa *sa = v1->sa;
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    if (!sa)
        return false;
    if (sa->rtx.at && now >= sa->rtx.at && !ivpn_v1_rtx_fire(e, sa, &sa->rtx, now)) {
        if (sa->state != IVPN_V1_P1_ESTABLISHED) {
            IVPN_LOG_WARN(e->ctx, "IKEv1: no answer in phase 1 after %u retransmissions",
                          sa->rtx.tries);
            ivpn_v1_fail(e, c, IPSECVPN_STATUS_ERROR,
                         sa->bad_decrypts ? IPSECVPN_ERR_IKE_AUTH : IPSECVPN_ERR_IKE_TIMEOUT);
            return false;
        }
    }
    if (sa->state != IVPN_V1_P1_ESTABLISHED) {
        if (sa->expire_at && now >= sa->expire_at) {
            IVPN_LOG_INFO(e->ctx, "IKEv1: half-open phase 1 from the peer expired");
            bool auth = sa->bad_decrypts != 0;
            ivpn_v1_sa_free(e, sa);
            v1->sa = NULL;
            if (auth)
                ivpn_v1_fail(e, c, IPSECVPN_STATUS_ERROR, IPSECVPN_ERR_IKE_AUTH);
            else if (c->status == IPSECVPN_STATUS_BUILD)
                ivpn_engine_set_status(e, c, IPSECVPN_STATUS_DOWN, 0);
            return false;
        }
        return true;
    }
    if (sa->expire_at && now >= sa->expire_at) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: ISAKMP SA reached its lifetime without a rekey");
        v1_close(e, c, now, true);
        if (v->admin_up && v->initiator == IVPN_INITIATOR_BIDIRECTIONAL)
            c->restart_at = now ? now : 1;
        return false;
    }
    ivpn_v1_keepalive_due(e, sa, now);
    if (sa->rekey_at && now >= sa->rekey_at) {
        /* as IKEv2 does (ikev2.c), the SA is renewed at its soft lifetime whatever the
         * connection's initiator setting: response-only gates new tunnels, not renewals */
        sa->rekey_at = 0;
        if (!v1->sa_next && ivpn_v1_phase1_start(e, c, true, now) != IPSECVPN_OK)
            sa->rekey_at = now + 10000;
    }
    return true;
}

static void v1_handle_expiry(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    if (c->restart_at && now >= c->restart_at) {
        c->restart_at = 0;
        if (!c->v1 || !c->v1->sa)
            (void)ivpn_v1_phase1_start(e, c, false, now);
    }
    ivpn_v1_conn *v1 = c->v1;
    if (!v1)
        return;
    old_expiry(e, v1, now);
    next_expiry(e, c, now);
    if (!current_expiry(e, c, now) && !c->v1)
        return;
    ivpn_v1_phase2_expiry(e, c, now);
}

static int v1_initiate(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    return ivpn_v1_phase1_start(e, c, false, now);
}

static void v1_close(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now, bool tell_peer)
{
    (void)now;
    ivpn_v1_sa *cur = ivpn_v1_current(c);
    if (cur && tell_peer) {
        uint32_t spis[IVPN_ISAKMP_MAX_DELETE_SPIS];
        size_t n = 0;
        for (ivpn_child *ch = ivpn_child_first(c); ch && n < IVPN_ISAKMP_MAX_DELETE_SPIS;
             ch = ivpn_child_next(ch))
            spis[n++] = ch->spi_in;
        if (n)
            (void)ivpn_v1_delete_esp_send(e, cur, spis, n);
        (void)ivpn_v1_delete_isakmp_send(e, cur);
    }
    ivpn_v1_fail(e, c, IPSECVPN_STATUS_DOWN, 0);
    ivpn_free(e->ctx, c->v1);
    c->v1 = NULL;
}

static void v1_peer_alive(ivpn_conn *c, uint64_t now)
{
    if (c->v1)
        ivpn_v1_dpd_alive(c, now);
}

static bool v1_busy(const ivpn_conn *c)
{
    return c->v1 && (c->v1->sa || c->v1->sa_next);
}

const ivpn_ike_ops ivpn_ikev1_ops = {
    .name = "IKEv1",
    .initiate = v1_initiate,
    .next_expiry = v1_next_expiry,
    .handle_expiry = v1_handle_expiry,
    .close = v1_close,
    .peer_alive = v1_peer_alive,
    .busy = v1_busy,
};
