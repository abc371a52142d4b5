/*
 * The IKEv2 engine's frame: IKE SA lifecycle, the dispatch of received messages to the
 * exchange handlers (after the message-ID window and the SK integrity check), and timers
 * (retransmission with exponential backoff, DPD, NAT keepalives, Child SA lifetimes).
 */
#include <string.h>

#include "ike/v2/rekey_collision.h"
#include "ike/v2/v2_internal.h"
#include "ipsecvpn/udp_encap.h"

ivpn_ike_sa *ivpn_ike_sa_new(ipsecvpn_engine *e, ivpn_conn *c, bool initiator)
{
    ivpn_ike_sa *sa = ivpn_zalloc(e->ctx, sizeof(*sa));
    if (!sa)
        return NULL;
    /* Ni and Nr: only until the SA is established (ivpn_ike_sa_forget_setup) */
    sa->ni = ivpn_malloc(e->ctx, 2 * IVPN_NONCE_MAX);
    if (!sa->ni) {
        ivpn_free(e->ctx, sa);
        return NULL;
    }
    sa->nr = sa->ni + IVPN_NONCE_MAX;
    sa->initiator = initiator;
    uint8_t *spi = initiator ? sa->spi_i : sa->spi_r;
    static const uint8_t zero[8] = { 0 };
    do {
        if (ivpn_random(e->ctx, spi, 8) != IPSECVPN_OK) {
            ivpn_free(e->ctx, sa->ni);
            ivpn_free(e->ctx, sa);
            return NULL;
        }
    } while (memcmp(spi, zero, 8) == 0);
    sa->local = c->local;
    sa->remote = c->remote;
    sa->natt = c->local.port != IPSECVPN_IKE_PORT;
    return sa;
}

void ivpn_ike_sa_forget_setup(ipsecvpn_engine *e, ivpn_ike_sa *sa)
{
    ivpn_dh_free(e->ctx, sa->dh);
    sa->dh = NULL;
    if (sa->ni) {
        ivpn_wipe(sa->ni, 2 * IVPN_NONCE_MAX);
        ivpn_free(e->ctx, sa->ni);
    }
    sa->ni = sa->nr = NULL;
    sa->ni_len = sa->nr_len = 0;
    ivpn_free(e->ctx, sa->msg1);
    ivpn_free(e->ctx, sa->msg2);
    sa->msg1 = sa->msg2 = NULL;
    sa->msg1_len = sa->msg2_len = 0;
}

void ivpn_ike_sa_free(ipsecvpn_engine *e, ivpn_ike_sa *sa)
{
    if (!sa)
        return;
    ivpn_ike_sa_forget_setup(e, sa);
    ivpn_ikev2_cx_free(e, sa);
    ivpn_free(e->ctx, sa->req);
    ivpn_free(e->ctx, sa->resp);
    ivpn_ike_sa_free(e, sa->rekey_new);
    ivpn_ike_sa_free(e, sa->coll_ike);
    ivpn_wipe(sa, sizeof(*sa));
    ivpn_free(e->ctx, sa);
}

void ivpn_ikev2_fail(ipsecvpn_engine *e, ivpn_conn *c, ipsecvpn_status status, int reason)
{
    ivpn_child_remove_all(e, c, true);
    ivpn_ikev2_drop_old(e, c);
    ivpn_ikev2_drop_dup(e, c);
    ivpn_ike_sa_free(e, c->ike_half);
    c->ike_half = NULL;
    if (c->ike) {
        bool was_up = c->ike->state == IVPN_IKE_ESTABLISHED;
        ivpn_ike_sa_free(e, c->ike);
        c->ike = NULL;
        if (was_up || reason)
            ivpn_engine_emit(e, IPSECVPN_EVENT_IKE_DOWN, c, reason, NULL);
    }
    ivpn_engine_set_status(e, c, status, reason);
}

void ivpn_ikev2_established(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    ivpn_ike_sa *sa = c->ike;
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    sa->state = IVPN_IKE_ESTABLISHED;
    sa->last_rx = now;
    sa->dpd_at = v->dpd.enabled ? now + (uint64_t)v->dpd.interval * 1000 : 0;
    /* keepalives keep our NAT mapping open: only needed when we are the one behind it */
    bool keepalive = sa->natt && (sa->nat_local || v->nat_traversal) && e->settings.keepalive_s;
    sa->keepalive_at = keepalive ? now + (uint64_t)e->settings.keepalive_s * 1000 : 0;
    sa->rekey_at = v->ike.lifetime ? now + ivpn_soft_lifetime_ms(e, v->ike.lifetime) : 0;
    sa->hard_at = v->ike.lifetime ? now + (uint64_t)v->ike.lifetime * 1000 : 0;
    /* free what only IKE_SA_INIT/IKE_AUTH needed: DH, nonces, the first two messages */
    ivpn_ike_sa_forget_setup(e, sa);
    IVPN_LOG_INFO(e->ctx, "IKEv2: IKE SA established with the peer%s",
                  sa->natt ? " (NAT-T port)" : "");
    ivpn_engine_emit(e, IPSECVPN_EVENT_IKE_UP, c, 0, NULL);
    ivpn_engine_set_status(e, c, IPSECVPN_STATUS_ACTIVE, 0);
}

void ivpn_ikev2_peer_alive(ivpn_conn *c, uint64_t now)
{
    if (c->ike)
        c->ike->last_rx = now;
}

static ivpn_conn *conn_by_spi(ipsecvpn_engine *e, const ivpn_ikev2_header *h, bool need_r,
                              ivpn_ike_sa **which)
{
    for (ivpn_conn *c = e->conns; c; c = c->next) {
        ivpn_ike_sa *cand[4] = { c->ike, c->ike_old, c->ike_half, c->ike_dup };
        for (int i = 0; i < 4; i++) {
            ivpn_ike_sa *sa = cand[i];
            if (!sa || memcmp(sa->spi_i, h->spi_i, 8) != 0)
                continue;
            if (need_r && memcmp(sa->spi_r, h->spi_r, 8) != 0)
                continue;
            *which = sa;
            return c;
        }
    }
    return NULL;
}

static int dispatch_response(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx, uint64_t now)
{
    ivpn_ike_sa *sa = c->ike;
    if (sa->req_kind == IVPN_REQ_NONE || rx->hdr.message_id != sa->req_id) {
        IVPN_LOG_DEBUG(e->ctx, "IKEv2: response %u does not answer our request, dropped",
                       rx->hdr.message_id);
        return IPSECVPN_ERR_IKE_UNEXPECTED;
    }
    switch (sa->req_kind) {
    case IVPN_REQ_AUTH:
        if (rx->hdr.exchange != IVPN_IKEV2_EXCH_IKE_AUTH)
            return IPSECVPN_ERR_IKE_UNEXPECTED;
        return ivpn_ikev2_auth_response_rx(e, c, rx, now);
    case IVPN_REQ_DPD:
    case IVPN_REQ_DELETE_IKE:
    case IVPN_REQ_DELETE_CHILD:
        if (rx->hdr.exchange != IVPN_IKEV2_EXCH_INFORMATIONAL)
            return IPSECVPN_ERR_IKE_UNEXPECTED;
        return ivpn_ikev2_info_response_rx(e, c, rx, now);
    case IVPN_REQ_REKEY_CHILD:
    case IVPN_REQ_CREATE_CHILD:
        if (rx->hdr.exchange != IVPN_IKEV2_EXCH_CREATE_CHILD_SA)
            return IPSECVPN_ERR_IKE_UNEXPECTED;
        return ivpn_ikev2_create_child_response_rx(e, c, rx, now);
    case IVPN_REQ_REKEY_IKE:
        if (rx->hdr.exchange != IVPN_IKEV2_EXCH_CREATE_CHILD_SA)
            return IPSECVPN_ERR_IKE_UNEXPECTED;
        return ivpn_ikev2_rekey_ike_response_rx(e, c, rx, now);
    default:
        return IPSECVPN_ERR_IKE_UNEXPECTED;
    }
}

static int run_request(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx, uint64_t now)
{
    ivpn_ike_sa *sa = c->ike;
    switch (rx->hdr.exchange) {
    case IVPN_IKEV2_EXCH_IKE_AUTH:
        if (sa->state != IVPN_IKE_INIT_DONE)
            return IPSECVPN_ERR_IKE_UNEXPECTED;
        return ivpn_ikev2_auth_request_rx(e, c, rx, now);
    case IVPN_IKEV2_EXCH_INFORMATIONAL:
        if (sa->state != IVPN_IKE_ESTABLISHED)
            return IPSECVPN_ERR_IKE_UNEXPECTED;
        return ivpn_ikev2_info_request_rx(e, c, rx, now);
    case IVPN_IKEV2_EXCH_CREATE_CHILD_SA:
        if (sa->state != IVPN_IKE_ESTABLISHED)
            return IPSECVPN_ERR_IKE_UNEXPECTED;
        return ivpn_ikev2_create_child_request_rx(e, c, rx, now);
    default:
        return IPSECVPN_ERR_IKE_UNEXPECTED;
    }
}

static int dispatch_request(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx,
                            const ipsecvpn_endpoint *local, const ipsecvpn_endpoint *remote,
                            uint64_t now)
{
    ivpn_ike_sa *sa = c->ike;
    uint32_t id = rx->hdr.message_id;
    if (sa->have_resp && id == sa->resp_id) {
        IVPN_LOG_DEBUG(e->ctx, "IKEv2: retransmitted request %u, resending our response", id);
        (void)ivpn_engine_send_ike(e, sa, sa->resp, sa->resp_len);
        return IPSECVPN_OK;
    }
    if (id != sa->msgid_in) {
        IVPN_LOG_WARN(e->ctx, "IKEv2: request with message ID %u, expected %u: dropped", id,
                      sa->msgid_in);
        return IPSECVPN_ERR_IKE_UNEXPECTED;
    }
    /* answer where the request came from (§2.11); keep that path only as §2.23 allows */
    ivpn_peer_path path;
    ivpn_ikev2_path_answer(sa, local, remote, &path);
    sa->msgid_in++;
    int rc = run_request(e, c, rx, now);
    /* Every request is answered (§2.3): one refused without an answer would have the peer
     * retransmit an ID we have moved past until it gives up on the IKE SA. So the refusal
     * gets an error notify, cached like any response. (The SA is ours still unless the
     * handler freed or replaced it, and then it has answered.) */
    if (c->ike == sa && !(sa->have_resp && sa->resp_id == id)) {
        uint16_t type = rx->hdr.exchange == IVPN_IKEV2_EXCH_CREATE_CHILD_SA
                            ? IVPN_IKEV2_N_NO_PROPOSAL_CHOSEN
                            : IVPN_IKEV2_N_INVALID_SYNTAX;
        IVPN_LOG_INFO(e->ctx, "IKEv2: request %u refused: %s", id, ivpn_ikev2_notify_name(type));
        (void)ivpn_ikev2_respond_error(e, sa, rx->hdr.exchange, id, type);
    }
    if (c->ike == sa)
        ivpn_ikev2_path_settle(e, c, sa, &path);
    return rc;
}

/* A request on the half-open SA that a peer built beside our established one (it restarted,
 * or someone pretends it did): run it as the connection's SA; only if that ends in an
 * authenticated, established SA does it replace the old SA and its Child SAs. */
static int half_open_request(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx,
                             const ipsecvpn_endpoint *local, const ipsecvpn_endpoint *remote,
                             uint64_t now)
{
    ivpn_ike_sa *est = c->ike;
    ivpn_ike_sa *old = c->ike_old;
    ipsecvpn_status st = c->status;
    int reason = c->reason;
    ivpn_child *kids = ivpn_child_detach(c);
    c->ike = c->ike_half;
    c->ike_half = NULL;
    c->ike_old = NULL;
    int rc = dispatch_request(e, c, rx, local, remote, now);
    if (c->ike && c->ike->state == IVPN_IKE_ESTABLISHED) {
        IVPN_LOG_INFO(e->ctx, "IKEv2: the peer re-authenticated, its old IKE SA is replaced");
        ivpn_child *fresh = ivpn_child_detach(c);
        ivpn_child_reattach(c, kids);
        ivpn_child_remove_all(e, c, true);
        ivpn_child_reattach(c, fresh);
        ivpn_ikev2_drop_dup(e, c);
        ivpn_ike_sa_free(e, est);
        ivpn_ike_sa_free(e, old);
        return rc;
    }
    /* not authenticated: everything of ours stays exactly as it was; only on a connection
     * with no SA of its own does a failed half-open SA show (auth.c dropped it silently) */
    bool dropped = c->ike == NULL;
    if (c->ike)
        c->ike_half = c->ike;
    c->ike = est;
    c->ike_old = old;
    ivpn_child_reattach(c, kids);
    if (dropped && !est && rc < 0)
        ivpn_engine_set_status(e, c, IPSECVPN_STATUS_ERROR, rc);
    else
        ivpn_engine_set_status(e, c, st, reason);
    return rc;
}

int ivpn_ikev2_receive(ipsecvpn_engine *e, const ipsecvpn_endpoint *local,
                       const ipsecvpn_endpoint *remote, const uint8_t *msg, size_t len,
                       uint64_t now, uint32_t *conn_id)
{
    ivpn_rx *rx = ivpn_zalloc(e->ctx, sizeof(*rx));
    if (!rx)
        return IPSECVPN_ERR_NOMEM;
    rx->msg = msg;
    rx->len = len;
    int rc = ivpn_ikev2_message_parse(e->ctx, msg, len, &rx->hdr, &rx->outer);
    ivpn_conn *c = NULL;
    if (rc != IPSECVPN_OK) {
        if (len >= IVPN_IKEV2_HDR_LEN)
            ivpn_ikev2_reject_init(e, local, remote, rx);
        goto out;
    }
    bool response = ivpn_ikev2_is_response(&rx->hdr);
    if (rx->hdr.exchange == IVPN_IKEV2_EXCH_IKE_SA_INIT && !response) {
        rc = ivpn_ikev2_init_request_rx(e, local, remote, rx, now, conn_id);
        goto out;
    }
    ivpn_ike_sa *sa = NULL;
    if (rx->hdr.exchange == IVPN_IKEV2_EXCH_IKE_SA_INIT) {
        c = conn_by_spi(e, &rx->hdr, false, &sa);
        if (!c || sa != c->ike || !sa->initiator || sa->state != IVPN_IKE_INIT_SENT) {
            rc = IPSECVPN_ERR_IKE_UNEXPECTED;
            goto out;
        }
        *conn_id = c->id;
        rc = ivpn_ikev2_init_response_rx(e, c, rx, now);
        goto out;
    }
    c = conn_by_spi(e, &rx->hdr, true, &sa);
    if (!c) {
        IVPN_LOG_DEBUG(e->ctx, "IKEv2: message for an unknown IKE SA, dropped");
        rc = IPSECVPN_ERR_NOT_FOUND;
        goto out;
    }
    *conn_id = c->id;
    if (ivpn_ikev2_from_initiator(&rx->hdr) == sa->initiator || sa->state == IVPN_IKE_INIT_SENT) {
        rc = IPSECVPN_ERR_IKE_UNEXPECTED;
        goto out;
    }
    rc = ivpn_rx_open(e, sa, rx);
    if (rc != IPSECVPN_OK)
        goto out;
    sa->last_rx = now;
    if (sa == c->ike_old)
        rc = ivpn_ikev2_old_sa_rx(e, c, rx, now);
    else if (sa == c->ike_dup)
        rc = ivpn_ikev2_dup_sa_rx(e, c, rx, now);
    else if (sa == c->ike_half)
        rc = response ? IPSECVPN_ERR_IKE_UNEXPECTED
                      : half_open_request(e, c, rx, local, remote, now);
    else
        rc = response ? dispatch_response(e, c, rx, now)
                      : dispatch_request(e, c, rx, local, remote, now);
out:
    if (rx->plain) {
        ivpn_wipe(rx->plain, rx->plain_len);
        ivpn_free(e->ctx, rx->plain);
    }
    ivpn_free(e->ctx, rx);
    return rc;
}

/* ---- timers ------------------------------------------------------------------------------ */

static uint64_t min_t(uint64_t a, uint64_t b)
{
    if (!b)
        return a;
    return b < a ? b : a;
}

uint64_t ivpn_ikev2_next_expiry(const ivpn_conn *c)
{
    uint64_t t = UINT64_MAX;
    t = min_t(t, c->restart_at);
    for (const ivpn_child *ch = ivpn_child_first(c); ch && c->ike; ch = ivpn_child_next(ch)) {
        t = min_t(t, ch->expire_at);
        if (!ch->retired)
            t = min_t(t, ch->rekey_at);
    }
    if (c->ike_half)
        t = min_t(t, c->ike_half->expire_at);
    if (c->ike_old) {
        t = min_t(t, c->ike_old->rtx_at);
        t = min_t(t, c->ike_old->expire_at);
    }
    if (c->ike_dup) {
        t = min_t(t, c->ike_dup->rtx_at);
        t = min_t(t, c->ike_dup->expire_at);
    }
    const ivpn_ike_sa *sa = c->ike;
    if (sa) {
        t = min_t(t, sa->rekey_at);
        t = min_t(t, sa->hard_at);
        t = min_t(t, sa->rtx_at);
        t = min_t(t, sa->dpd_at);
        t = min_t(t, sa->dpd_deadline);
        t = min_t(t, sa->keepalive_at);
    }
    return t;
}

static void peer_dead(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    IVPN_LOG_WARN(e->ctx, "IKEv2: peer did not answer liveness checks, declared dead");
    ivpn_engine_emit(e, IPSECVPN_EVENT_PEER_DEAD, c, IPSECVPN_ERR_IKE_PEER_DEAD, NULL);
    ivpn_ikev2_fail(e, c, IPSECVPN_STATUS_DOWN, IPSECVPN_ERR_IKE_PEER_DEAD);
    if (v->dpd.action == IVPN_DPD_RESTART && v->initiator == IVPN_INITIATOR_BIDIRECTIONAL &&
        v->admin_up)
        c->restart_at = now ? now : 1;
}

static void retransmit(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    ivpn_ike_sa *sa = c->ike;
    if (sa->req_kind != IVPN_REQ_DPD && sa->tries >= e->settings.retransmit_tries) {
        IVPN_LOG_WARN(e->ctx, "IKEv2: no answer to request %u after %u retransmissions",
                      sa->req_id, sa->tries);
        if (sa->state == IVPN_IKE_ESTABLISHED)
            peer_dead(e, c, now);
        else
            ivpn_ikev2_fail(e, c, IPSECVPN_STATUS_ERROR,
                            sa->init_error ? sa->init_error : IPSECVPN_ERR_IKE_TIMEOUT);
        return;
    }
    sa->tries++;
    unsigned shift = sa->tries < 16 ? sa->tries : 16;
    sa->rtx_at = now + ((uint64_t)e->settings.retransmit_base_ms << shift);
    IVPN_LOG_DEBUG(e->ctx, "IKEv2: retransmitting request %u (try %u)", sa->req_id, sa->tries);
    (void)ivpn_engine_send_ike(e, sa, sa->req, sa->req_len);
}

/* A replaced or redundant IKE SA: retransmit its Delete, free it when done or too late. */
static void dying_sa_expiry(ipsecvpn_engine *e, ivpn_conn *c, ivpn_ike_sa *old,
                            void (*drop)(ipsecvpn_engine *, ivpn_conn *), uint64_t now)
{
    if (old && ((old->expire_at && now >= old->expire_at) ||
                (old->rtx_at && now >= old->rtx_at && old->tries >= e->settings.retransmit_tries))) {
        drop(e, c);
    } else if (old && old->rtx_at && now >= old->rtx_at && old->req) {
        old->tries++;
        old->rtx_at = now + ((uint64_t)e->settings.retransmit_base_ms << (old->tries < 16 ? old->tries : 16));
        (void)ivpn_engine_send_ike(e, old, old->req, old->req_len);
    }
}

void ivpn_ikev2_handle_expiry(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    if (c->restart_at && now >= c->restart_at) {
        c->restart_at = 0;
        if (!c->ike)
            (void)ivpn_ikev2_initiate(e, c, now);
    }
    if (c->ike_half && now >= c->ike_half->expire_at) {
        ivpn_ike_sa_free(e, c->ike_half); /* IKE_AUTH never came */
        c->ike_half = NULL;
        if (!c->ike && c->status == IPSECVPN_STATUS_BUILD)
            ivpn_engine_set_status(e, c, IPSECVPN_STATUS_DOWN, 0);
    }
    dying_sa_expiry(e, c, c->ike_old, ivpn_ikev2_drop_old, now);
    dying_sa_expiry(e, c, c->ike_dup, ivpn_ikev2_drop_dup, now);
    ivpn_ike_sa *sa = c->ike;
    if (!sa)
        return;
    if (sa->dpd_deadline && now >= sa->dpd_deadline) {
        if (sa->req_kind == IVPN_REQ_DPD) {
            peer_dead(e, c, now);
            return;
        }
        sa->dpd_deadline = 0;
    }
    if (sa->rtx_at && now >= sa->rtx_at && sa->req) {
        retransmit(e, c, now);
        if (!(sa = c->ike))
            return;
    }
    if (sa->state != IVPN_IKE_ESTABLISHED)
        return;
    if (sa->hard_at && now >= sa->hard_at) {
        /* every rekey attempt failed: the IKE SA must not outlive its lifetime */
        IVPN_LOG_WARN(e->ctx, "IKEv2: IKE SA reached its hard lifetime without a rekey");
        ivpn_ikev2_close(e, c, now, true);
        if (v->admin_up && v->initiator == IVPN_INITIATOR_BIDIRECTIONAL)
            c->restart_at = now ? now : 1;
        return;
    }
    if (sa->keepalive_at && now >= sa->keepalive_at) {
        uint8_t ka = 0xff; /* RFC 3948 §2.3 */
        (void)ivpn_engine_send_raw(e, &sa->local, &sa->remote, &ka, 1, false);
        sa->keepalive_at = now + (uint64_t)e->settings.keepalive_s * 1000;
    }
    if (sa->rekey_at && now >= sa->rekey_at) {
        if (sa->req_kind == IVPN_REQ_NONE && !c->ike_old && !c->ike_dup) {
            sa->rekey_at = 0;
            if (ivpn_ikev2_rekey_ike_send(e, c, now) != IPSECVPN_OK)
                sa->rekey_at = now + 10000;
        } else {
            sa->rekey_at = now + 1000; /* window busy: try again shortly */
        }
    }
    if (sa->dpd_at && now >= sa->dpd_at) {
        uint64_t interval = (uint64_t)v->dpd.interval * 1000;
        if (sa->req_kind == IVPN_REQ_NONE && now - sa->last_rx >= interval) {
            /* nothing heard for a whole interval: are you there? (§2.4) */
            if (ivpn_ikev2_dpd_send(e, c, now) == IPSECVPN_OK)
                sa->dpd_deadline = now + (uint64_t)v->dpd.timeout * 1000;
            sa->dpd_at = 0;
        } else {
            sa->dpd_at = (sa->last_rx + interval > now ? sa->last_rx + interval : now + interval);
        }
    }
    /* Child SA lifetimes: delete at the hard limit (retired pairs first: they are older) */
    ivpn_child *ch, *tmp;
    for (int pass = 0; pass < 2; pass++)
        IVPN_CHILD_FOREACH(c, ch, tmp) {
            if (ch->retired != (pass == 0) || !ch->expire_at || now < ch->expire_at)
                continue;
            IVPN_LOG_INFO(e->ctx, "IKEv2: Child SA 0x%08x reached its lifetime", ch->spi_in);
            if (sa->req_kind == IVPN_REQ_NONE)
                (void)ivpn_ikev2_delete_child_send(e, c, ch->spi_in, now);
            ivpn_child_remove(e, c, ch, true);
        }
    /* ... and rekey each current pair at its soft limit, one exchange at a time */
    for (ch = ivpn_child_first(c); ch; ch = ivpn_child_next(ch)) {
        if (ch->retired || !ch->rekey_at || now < ch->rekey_at)
            continue;
        if (sa->req_kind == IVPN_REQ_NONE) {
            ch->rekey_at = 0;
            if (ivpn_ikev2_rekey_pair_send(e, c, ch, now) != IPSECVPN_OK)
                IVPN_LOG_INFO(e->ctx, "IKEv2: Child SA rekey not started");
        } else {
            ch->rekey_at = now + 1000; /* window busy: try again shortly */
        }
    }
    if (!ivpn_child_first(c) && c->ike && c->ike->state == IVPN_IKE_ESTABLISHED &&
        c->ike->req_kind == IVPN_REQ_NONE) {
        ivpn_ikev2_close(e, c, now, true); /* no tunnel left: close the IKE SA as well */
    }
}

static bool ikev2_busy(const ivpn_conn *c)
{
    return c->ike != NULL;
}

const ivpn_ike_ops ivpn_ikev2_ops = {
    .name = "IKEv2",
    .initiate = ivpn_ikev2_initiate,
    .next_expiry = ivpn_ikev2_next_expiry,
    .handle_expiry = ivpn_ikev2_handle_expiry,
    .close = ivpn_ikev2_close,
    .peer_alive = ivpn_ikev2_peer_alive,
    .busy = ikev2_busy,
};
