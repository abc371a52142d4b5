/*
 * IKE_SA_INIT (RFC 7296 §1.2):
 *
 *   Initiator                         Responder
 *   HDR, [N(COOKIE),] SAi1, KEi, Ni,
 *        N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP)  -->
 *                                <--  HDR, SAr1, KEr, Nr, N(NATD_S), N(NATD_D)
 *                                <--  HDR, N(INVALID_KE_PAYLOAD) | N(NO_PROPOSAL_CHOSEN)
 *                                     | N(COOKIE)
 */
#include <string.h>

#include "ike/common/proposal.h"
#include "ike/v2/v2_internal.h"
#include "ipsecvpn/udp_encap.h"

/* N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP) with the SPIs of this
 * message. With nat_traversal on we send a source hash that cannot match, which makes both
 * sides see a NAT and UDP-encapsulate ESP (what strongSwan's encap=yes does, §2.23). */
static int add_natd(ipsecvpn_engine *e, const ivpn_ike_sa *sa, ivpn_msg *m, bool force,
                    uint8_t hashes[2][IVPN_NATD_LEN])
{
    int rc = ivpn_ikev2_natd_hash(sa->spi_i, sa->spi_r, &sa->local, hashes[0]);
    if (rc == IPSECVPN_OK && force)
        rc = ivpn_random(e->ctx, hashes[0], IVPN_NATD_LEN);
    if (rc == IPSECVPN_OK)
        rc = ivpn_ikev2_natd_hash(sa->spi_i, sa->spi_r, &sa->remote, hashes[1]);
    if (rc != IPSECVPN_OK)
        return rc;
    ivpn_msg_notify(m, 0, NULL, 0, IVPN_IKEV2_N_NAT_DETECTION_SOURCE_IP, hashes[0], IVPN_NATD_LEN);
    ivpn_msg_notify(m, 0, NULL, 0, IVPN_IKEV2_N_NAT_DETECTION_DESTINATION_IP, hashes[1],
                    IVPN_NATD_LEN);
    return IPSECVPN_OK;
}

/* Compare the peer's NAT-D notifies with what we see (SPIs as in that message's header). */
static void check_natd(ivpn_ike_sa *sa, const ivpn_rx *rx, const ipsecvpn_endpoint *local,
                       const ipsecvpn_endpoint *remote)
{
    uint8_t want_src[IVPN_NATD_LEN], want_dst[IVPN_NATD_LEN];
    if (ivpn_ikev2_natd_hash(rx->hdr.spi_i, rx->hdr.spi_r, remote, want_src) != IPSECVPN_OK ||
        ivpn_ikev2_natd_hash(rx->hdr.spi_i, rx->hdr.spi_r, local, want_dst) != IPSECVPN_OK)
        return;
    bool any_src = false, src_ok = false, dst_ok = false, any_dst = false;
    for (unsigned i = 0; i < rx->b.n_notify; i++) {
        const ivpn_ikev2_notify *n = &rx->b.notify[i];
        if (n->data.len != IVPN_NATD_LEN)
            continue;
        if (n->type == IVPN_IKEV2_N_NAT_DETECTION_SOURCE_IP) {
            any_src = true;
            src_ok |= memcmp(n->data.p, want_src, IVPN_NATD_LEN) == 0;
        } else if (n->type == IVPN_IKEV2_N_NAT_DETECTION_DESTINATION_IP) {
            any_dst = true;
            dst_ok |= memcmp(n->data.p, want_dst, IVPN_NATD_LEN) == 0;
        }
    }
    sa->nat_remote = any_src && !src_ok;
    sa->nat_local = any_dst && !dst_ok;
}

/* Float to the NAT-T port (§2.23) when a NAT was seen or we force encapsulation: from the
 * connection's IKE port to our NAT-T port, and the peer from 500 to 4500. */
static void maybe_float(const ipsecvpn_engine *e, const ivpn_conn *c, ivpn_ike_sa *sa, bool force)
{
    if (!(sa->nat_local || sa->nat_remote || force))
        return;
    if (sa->local.port == c->local.port)
        sa->local.port = e->settings.natt_port;
    if (sa->remote.port == IPSECVPN_IKE_PORT)
        sa->remote.port = IPSECVPN_NATT_PORT;
    sa->natt = true;
}

static bool same_endpoint(const ipsecvpn_endpoint *a, const ipsecvpn_endpoint *b)
{
    size_t n = a->addr.family == IPSECVPN_IPV6 ? 16 : 4;
    return a->addr.family == b->addr.family && a->port == b->port &&
           memcmp(a->addr.bytes, b->addr.bytes, n) == 0;
}

void ivpn_ikev2_path_answer(ivpn_ike_sa *sa, const ipsecvpn_endpoint *local,
                            const ipsecvpn_endpoint *remote, ivpn_peer_path *saved)
{
    saved->local = sa->local;
    saved->remote = sa->remote;
    saved->natt = sa->natt;
    saved->established = sa->state == IVPN_IKE_ESTABLISHED;
    sa->local = *local;
    sa->remote = *remote;
    sa->natt = local->port != IPSECVPN_IKE_PORT;
}

/* §2.23: a validated request from another address or port is a NAT that changed its mapping,
 * and the SA follows it -- but only when the peer is behind a NAT (and we are not): otherwise
 * one replayed-and-redirected or spoofed-path packet could move the tunnel. The SA being set
 * up (IKE_AUTH) takes the path its first authenticated request came on (the peer floats to
 * 4500 there). The Child SAs always use the IKE SA's path: they move with it, and one created
 * by a request answered elsewhere is put back on the SA's path. */
void ivpn_ikev2_path_settle(ipsecvpn_engine *e, ivpn_conn *c, ivpn_ike_sa *sa,
                            const ivpn_peer_path *saved)
{
    if (same_endpoint(&sa->local, &saved->local) && same_endpoint(&sa->remote, &saved->remote))
        return;
    if (!saved->established) {
        /* the path of the first authenticated request */
    } else if (sa->nat_remote && !sa->nat_local) {
        IVPN_LOG_INFO(e->ctx, "IKEv2: the peer behind a NAT moved to port %u: IKE and ESP follow",
                      sa->remote.port);
    } else {
        IVPN_LOG_INFO(e->ctx, "IKEv2: request from another address or port answered there; "
                      "no NAT in front of the peer, so the SAs stay where they are");
        sa->local = saved->local;
        sa->remote = saved->remote;
        sa->natt = saved->natt;
    }
    for (ivpn_child *ch = ivpn_child_first(c); ch; ch = ivpn_child_next(ch)) {
        ch->local = sa->local;
        ch->remote = sa->remote;
    }
}

static int new_dh_and_nonce(ipsecvpn_engine *e, ivpn_ike_sa *sa, uint16_t group, uint8_t *nonce,
                            size_t *nonce_len)
{
    ivpn_dh_free(e->ctx, sa->dh);
    sa->dh = NULL;
    int rc = ivpn_dh_new(e->ctx, group, &sa->dh);
    if (rc != IPSECVPN_OK)
        return rc;
    sa->ke_group = group;
    *nonce_len = IVPN_NONCE_LEN;
    return ivpn_random(e->ctx, nonce, IVPN_NONCE_LEN);
}

static void add_ke(ivpn_msg *m, const ivpn_ike_sa *sa, uint8_t *pub, size_t pub_len)
{
    ivpn_ikev2_ke ke = { .dh_group = sa->ke_group, .data = { pub, pub_len } };
    ivpn_ikev2_payload_open(&m->cw, IVPN_IKEV2_PL_KE, false);
    ivpn_ikev2_ke_encode(&m->w, &ke);
    ivpn_ikev2_payload_close(&m->cw);
}

static void add_nonce(ivpn_msg *m, const uint8_t *n, size_t len)
{
    ivpn_ikev2_nonce nonce = { .data = { n, len } };
    ivpn_ikev2_payload_open(&m->cw, IVPN_IKEV2_PL_NONCE, false);
    ivpn_ikev2_nonce_encode(&m->w, &nonce);
    ivpn_ikev2_payload_close(&m->cw);
}

static void add_sa(ivpn_msg *m, const ivpn_ikev2_sa *sa)
{
    ivpn_ikev2_payload_open(&m->cw, IVPN_IKEV2_PL_SA, false);
    ivpn_ikev2_sa_encode(&m->w, sa);
    ivpn_ikev2_payload_close(&m->cw);
}

/* HDR, [N(COOKIE),] SAi1, KEi, Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP) --> */
static int send_init_request(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    ivpn_ike_sa *sa = c->ike;
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    ivpn_ikev2_sa prop;
    ivpn_proposal_ike(&v->ike, e->test_extra_ke_group, &prop);
    const ivpn_dh_info *di = ivpn_dh_lookup(sa->ke_group);
    if (!di)
        return IPSECVPN_ERR_CRYPTO_ALG;
    uint8_t pub[1024];
    int rc = ivpn_dh_public(sa->dh, pub, di->public_len);
    if (rc != IPSECVPN_OK)
        return rc;
    ivpn_msg *m = ivpn_malloc(e->ctx, sizeof(*m));
    if (!m)
        return IPSECVPN_ERR_NOMEM;
    ivpn_msg_begin(m);
    if (sa->cookie_len)
        ivpn_msg_notify(m, 0, NULL, 0, IVPN_IKEV2_N_COOKIE, sa->cookie, sa->cookie_len);
    add_sa(m, &prop);
    add_ke(m, sa, pub, di->public_len);
    add_nonce(m, sa->ni, sa->ni_len);
    uint8_t hashes[2][IVPN_NATD_LEN];
    rc = add_natd(e, sa, m, v->nat_traversal, hashes);
    uint8_t *out = NULL;
    size_t len = 0;
    if (rc == IPSECVPN_OK)
        rc = ivpn_msg_finish_plain(e, sa, IVPN_IKEV2_EXCH_IKE_SA_INIT, false, 0, m, &out, &len);
    ivpn_free(e->ctx, m);
    if (rc != IPSECVPN_OK)
        return rc;
    ivpn_free(e->ctx, sa->msg1);
    sa->msg1 = ivpn_malloc(e->ctx, len);
    if (!sa->msg1) {
        ivpn_free(e->ctx, out);
        return IPSECVPN_ERR_NOMEM;
    }
    memcpy(sa->msg1, out, len);
    sa->msg1_len = len;
    sa->msgid_out = 0;
    return ivpn_ikev2_send_request(e, sa, IVPN_REQ_INIT, out, len, now);
}

int ivpn_ikev2_initiate(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    if (c->ike)
        return IPSECVPN_ERR_STATE;
    ivpn_ike_sa *sa = ivpn_ike_sa_new(e, c, true);
    if (!sa)
        return IPSECVPN_ERR_NOMEM;
    c->ike = sa;
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    uint16_t group = e->test_extra_ke_group ? e->test_extra_ke_group : v->ike.dh_group;
    int rc = new_dh_and_nonce(e, sa, group, sa->ni, &sa->ni_len);
    if (rc == IPSECVPN_OK)
        rc = send_init_request(e, c, now);
    if (rc != IPSECVPN_OK) {
        ivpn_ikev2_fail(e, c, IPSECVPN_STATUS_ERROR, rc);
        return rc;
    }
    sa->state = IVPN_IKE_INIT_SENT;
    ivpn_engine_set_status(e, c, IPSECVPN_STATUS_BUILD, 0);
    return IPSECVPN_OK;
}

/* Shared secret and SK_* once both KE payloads are known. */
static int compute_keys(ivpn_ike_sa *sa, const ivpn_ikev2_ke *peer_ke)
{
    const ivpn_dh_info *di = ivpn_dh_lookup(sa->ke_group);
    if (!di)
        return IPSECVPN_ERR_CRYPTO_ALG;
    uint8_t gir[1024];
    int rc = ivpn_dh_shared(sa->dh, peer_ke->data.p, peer_ke->data.len, gir, di->shared_len);
    if (rc == IPSECVPN_OK)
        rc = ivpn_ikev2_derive_ike_keys(sa, gir, di->shared_len, NULL);
    ivpn_wipe(gir, sizeof(gir));
    return rc;
}

static int keep_copy(ipsecvpn_engine *e, uint8_t **dst, size_t *dst_len, const uint8_t *p,
                     size_t len)
{
    ivpn_free(e->ctx, *dst);
    *dst = ivpn_malloc(e->ctx, len);
    if (!*dst)
        return IPSECVPN_ERR_NOMEM;
    memcpy(*dst, p, len);
    *dst_len = len;
    return IPSECVPN_OK;
}

/* An unprotected answer without state: HDR(SPIi, 0), N(type, data) */
static void answer_notify(ipsecvpn_engine *e, const ipsecvpn_endpoint *local,
                          const ipsecvpn_endpoint *remote, const ivpn_rx *rx, uint16_t type,
                          const uint8_t *data, size_t len)
{
    ivpn_ike_sa tmp;
    memset(&tmp, 0, sizeof(tmp));
    memcpy(tmp.spi_i, rx->hdr.spi_i, 8);
    ivpn_msg *m = ivpn_malloc(e->ctx, sizeof(*m));
    if (!m)
        return;
    ivpn_msg_begin(m);
    ivpn_msg_notify(m, 0, NULL, 0, type, data, len);
    uint8_t *out;
    size_t out_len;
    if (ivpn_msg_finish_plain(e, &tmp, IVPN_IKEV2_EXCH_IKE_SA_INIT, true, 0, m, &out,
                              &out_len) == IPSECVPN_OK) {
        ivpn_engine_send_raw(e, local, remote, out, out_len, remote->port != IPSECVPN_IKE_PORT);
        ivpn_free(e->ctx, out);
    }
    ivpn_free(e->ctx, m);
}

/* The IKEv2 connection for a peer address (an IKEv1 one to the same peer is not it). */
static ivpn_conn *conn_for_peer(ipsecvpn_engine *e, const ipsecvpn_endpoint *local,
                                const ipsecvpn_endpoint *remote)
{
    return ivpn_engine_conn_for_peer(e, &ivpn_ikev2_ops, local, remote);
}

/* Half-open IKE SAs across the engine: answered IKE_SA_INIT, no IKE_AUTH yet. Every one
 * waits in its connection's ike_half until IKE_AUTH proves the peer. */
static unsigned half_open(const ipsecvpn_engine *e)
{
    unsigned n = 0;
    for (const ivpn_conn *c = e->conns; c; c = c->next)
        n += c->ike_half != NULL;
    return n;
}

/* Cookie = prf(secret, Ni | IPi | SPIi) (§2.6): stateless, so a flood of spoofed
 * IKE_SA_INIT requests costs us no DH computation and no state. which: 0 the current
 * secret, 1 the previous one. */
#define COOKIE_SECRET_LEN 32
static int make_cookie(const ipsecvpn_engine *e, const ivpn_rx *rx,
                       const ipsecvpn_endpoint *remote, int which, uint8_t out[32])
{
    ivpn_buf_ref pieces[3] = {
        { rx->b.nonce.data.p, rx->b.nonce.data.len },
        { remote->addr.bytes, remote->addr.family == IPSECVPN_IPV6 ? 16u : 4u },
        { rx->hdr.spi_i, 8 },
    };
    return ivpn_prf_multi(IPSECVPN_PRF_HMAC_SHA2_256, e->cookie_secret + which * COOKIE_SECRET_LEN,
                          COOKIE_SECRET_LEN, pieces, 3, out);
}

/* §2.6: the secret "should be changed periodically". A new one every COOKIE_PERIOD_MS (as
 * strongSwan does); the one before stays valid for one more period, so a cookie handed out
 * just before the change still gets its initiator in. Rotated on the `now` of the datagram
 * being read (the engine keeps no clock): after two silent periods both are replaced. */
#define COOKIE_PERIOD_MS (3600u * 1000u)
static void rotate_cookie_secret(ipsecvpn_engine *e, uint64_t now)
{
    if (e->cookie_rotated_at == 0 || now < e->cookie_rotated_at) {
        e->cookie_rotated_at = now ? now : 1; /* the first clock we see (or one reset) */
        return;
    }
    uint64_t age = now - e->cookie_rotated_at;
    if (age < COOKIE_PERIOD_MS)
        return;
    uint8_t *cur = e->cookie_secret, *prev = e->cookie_secret + COOKIE_SECRET_LEN;
    int rc = IPSECVPN_OK;
    if (age < 2ull * COOKIE_PERIOD_MS)
        memcpy(prev, cur, COOKIE_SECRET_LEN);
    else
        rc = ivpn_random(e->ctx, prev, COOKIE_SECRET_LEN); /* the old one is too old as well */
    if (rc == IPSECVPN_OK)
        rc = ivpn_random(e->ctx, cur, COOKIE_SECRET_LEN);
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_WARN(e->ctx, "IKEv2: no random bytes for a new cookie secret, trying later");
        return;
    }
    e->cookie_rotated_at = now;
}

static bool cookie_matches(const ipsecvpn_engine *e, const ivpn_rx *rx,
                           const ipsecvpn_endpoint *remote, const ivpn_ikev2_notify *n)
{
    uint8_t want[32];
    bool ok = false;
    for (int which = 0; which < 2 && n && n->data.len == sizeof(want) && !ok; which++)
        ok = make_cookie(e, rx, remote, which, want) == IPSECVPN_OK &&
             ivpn_ct_equal(n->data.p, want, sizeof(want));
    return ok;
}

/* Under load, demand a cookie: <-- HDR, N(COOKIE). True when the request may proceed.
 * "Load" is the engine's half-open count reaching the threshold, or this connection already
 * holding a half-open SA: a connection has one peer, so a second IKE_SA_INIT with another
 * SPIi before IKE_AUTH is either a restart (the peer can echo a cookie) or spoofed (it
 * cannot, and costs us neither a DH computation nor the half-open SA it would replace). */
static bool cookie_ok(ipsecvpn_engine *e, const ivpn_conn *c, const ipsecvpn_endpoint *local,
                      const ipsecvpn_endpoint *remote, const ivpn_rx *rx)
{
    if (!c->ike_half && half_open(e) < e->settings.cookie_threshold)
        return true;
    if (cookie_matches(e, rx, remote, ivpn_ikev2_bodies_notify(&rx->b, IVPN_IKEV2_N_COOKIE)))
        return true;
    uint8_t want[32];
    if (make_cookie(e, rx, remote, 0, want) != IPSECVPN_OK)
        return false;
    IVPN_LOG_INFO(e->ctx, "IKEv2: %u half-open IKE SAs, asking the initiator for a cookie",
                  half_open(e));
    answer_notify(e, local, remote, rx, IVPN_IKEV2_N_COOKIE, want, sizeof(want));
    return false;
}

#define HALF_OPEN_MS 30000 /* a half-open responder SA waits this long for IKE_AUTH */

/* Drop a responder SA that could not be set up: it never touched anything else. */
static void abandon(ipsecvpn_engine *e, ivpn_conn *c, ivpn_ike_sa *sa)
{
    if (sa == c->ike_half)
        c->ike_half = NULL;
    ivpn_ike_sa_free(e, sa);
}

static int cmp_spi(const uint8_t a[8], const uint8_t b[8]) { return memcmp(a, b, 8); }

/* Responder:  HDR, SAi1, KEi, Ni, N(NATD)...  -->  <-- HDR, SAr1, KEr, Nr, N(NATD_S), N(NATD_D) */
int ivpn_ikev2_init_request_rx(ipsecvpn_engine *e, const ipsecvpn_endpoint *local,
                               const ipsecvpn_endpoint *remote, ivpn_rx *rx, uint64_t now,
                               uint32_t *conn_id)
{
    static const uint8_t zero[8] = { 0 };
    if (rx->hdr.message_id != 0 || memcmp(rx->hdr.spi_r, zero, 8) != 0 ||
        memcmp(rx->hdr.spi_i, zero, 8) == 0 || !ivpn_ikev2_from_initiator(&rx->hdr))
        return IPSECVPN_ERR_IKE_MALFORMED; /* SPIi 0 is not an SA (§3.1) */
    ivpn_conn *c = conn_for_peer(e, local, remote);
    if (!c || !ivpn_conn_values(c)->admin_up) {
        IVPN_LOG_INFO(e->ctx, "IKEv2: IKE_SA_INIT from a peer without a connection, ignored");
        return IPSECVPN_ERR_NOT_FOUND;
    }
    *conn_id = c->id;
    ivpn_ike_sa *old = c->ike;
    ivpn_ike_sa *cands[2] = { c->ike, c->ike_half };
    for (int i = 0; i < 2; i++) {
        ivpn_ike_sa *x = cands[i];
        if (x && !x->initiator && cmp_spi(x->spi_i, rx->hdr.spi_i) == 0) {
            if (x->state == IVPN_IKE_INIT_DONE && x->have_resp && x->resp_id == 0)
                (void)ivpn_engine_send_ike(e, x, x->resp, x->resp_len); /* retransmission */
            return IPSECVPN_OK;
        }
    }
    if (old && old->initiator && old->state != IVPN_IKE_ESTABLISHED &&
        cmp_spi(old->spi_i, rx->hdr.spi_i) > 0) {
        IVPN_LOG_INFO(e->ctx, "IKEv2: simultaneous initiation, ours wins");
        return IPSECVPN_OK;
    }
    /* Nothing of ours is touched by an unauthenticated IKE_SA_INIT: the new SA waits in
     * ike_half beside our established SA or our own initiation (either may be NULL), expires
     * after HALF_OPEN_MS, and replaces them only once IKE_AUTH has proven the peer. */
    int rc = ivpn_ikev2_check_rules(e->ctx, rx->hdr.exchange, false, &rx->outer, NULL);
    if (rc == IPSECVPN_OK)
        rc = ivpn_ikev2_decode_bodies(e->ctx, &rx->outer, false, &rx->b);
    if (rc != IPSECVPN_OK)
        return rc;

    rotate_cookie_secret(e, now);
    if (!(rx->b.present & IVPN_IKEV2_HAS_NONCE) || !cookie_ok(e, c, local, remote, rx))
        return IPSECVPN_OK;
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    ivpn_ikev2_sa ours;
    ivpn_proposal_ike(&v->ike, 0, &ours);
    ivpn_algs algs;
    uint8_t chosen;
    rc = ivpn_proposal_select(&rx->b.sa, &ours, &algs, &chosen);
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_WARN(e->ctx, "IKEv2: no acceptable IKE proposal from the peer");
        answer_notify(e, local, remote, rx, IVPN_IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
        if (!old && !c->ike_half)
            ivpn_engine_set_status(e, c, IPSECVPN_STATUS_ERROR, IPSECVPN_ERR_IKE_NO_PROPOSAL);
        return rc;
    }
    if (!ivpn_ikev2_nonce_ok(algs.prf, rx->b.nonce.data.len)) {
        IVPN_LOG_WARN(e->ctx, "IKEv2: the initiator's nonce has %zu bytes, less than half the "
                      "PRF key: refused", rx->b.nonce.data.len);
        answer_notify(e, local, remote, rx, IVPN_IKEV2_N_INVALID_SYNTAX, NULL, 0);
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    if (rx->b.ke.dh_group != algs.dh) {
        uint8_t g[2] = { (uint8_t)(algs.dh >> 8), (uint8_t)algs.dh };
        IVPN_LOG_INFO(e->ctx, "IKEv2: KE for group %u, asking for group %u", rx->b.ke.dh_group,
                      algs.dh);
        answer_notify(e, local, remote, rx, IVPN_IKEV2_N_INVALID_KE_PAYLOAD, g, 2);
        return IPSECVPN_OK;
    }
    /* An older half-open SA is replaced: cookie_ok made this peer prove its address. */
    ivpn_ike_sa_free(e, c->ike_half);
    c->ike_half = NULL;
    ivpn_ike_sa *sa = ivpn_ike_sa_new(e, c, false);
    if (!sa)
        return IPSECVPN_ERR_NOMEM;
    c->ike_half = sa;
    sa->expire_at = now + HALF_OPEN_MS;
    sa->local = *local;
    sa->remote = *remote;
    sa->natt = local->port != IPSECVPN_IKE_PORT;
    memcpy(sa->spi_i, rx->hdr.spi_i, 8);
    sa->algs = algs;
    sa->ni_len = rx->b.nonce.data.len;
    memcpy(sa->ni, rx->b.nonce.data.p, sa->ni_len);
    rc = new_dh_and_nonce(e, sa, algs.dh, sa->nr, &sa->nr_len);
    if (rc == IPSECVPN_OK)
        rc = compute_keys(sa, &rx->b.ke);
    if (rc == IPSECVPN_OK)
        rc = keep_copy(e, &sa->msg1, &sa->msg1_len, rx->msg, rx->len);
    if (rc != IPSECVPN_OK) {
        abandon(e, c, sa);
        return rc;
    }
    check_natd(sa, rx, local, remote);

    const ivpn_dh_info *di = ivpn_dh_lookup(sa->ke_group);
    uint8_t pub[1024];
    rc = ivpn_dh_public(sa->dh, pub, di->public_len);
    ivpn_ikev2_sa reply;
    ivpn_proposal_from_algs(IVPN_IKEV2_PROTO_IKE, rx->b.sa.proposals[chosen].num, NULL, 0, &algs,
                            &reply);
    ivpn_msg *m = ivpn_malloc(e->ctx, sizeof(*m));
    if (!m)
        rc = IPSECVPN_ERR_NOMEM;
    uint8_t *out = NULL;
    size_t len = 0;
    if (rc == IPSECVPN_OK) {
        ivpn_msg_begin(m);
        add_sa(m, &reply);
        add_ke(m, sa, pub, di->public_len);
        add_nonce(m, sa->nr, sa->nr_len);
        uint8_t hashes[2][IVPN_NATD_LEN];
        rc = add_natd(e, sa, m, v->nat_traversal, hashes);
        if (rc == IPSECVPN_OK)
            rc = ivpn_msg_finish_plain(e, sa, IVPN_IKEV2_EXCH_IKE_SA_INIT, true, 0, m, &out, &len);
    }
    ivpn_free(e->ctx, m);
    if (rc == IPSECVPN_OK)
        rc = keep_copy(e, &sa->msg2, &sa->msg2_len, out, len);
    if (rc != IPSECVPN_OK) {
        ivpn_free(e->ctx, out);
        abandon(e, c, sa);
        return rc;
    }
    sa->msgid_in = 1;
    sa->state = IVPN_IKE_INIT_DONE;
    sa->last_rx = now;
    ivpn_ikev2_send_response(e, sa, 0, out, len);
    maybe_float(e, c, sa, v->nat_traversal);
    if (!old)
        ivpn_engine_set_status(e, c, IPSECVPN_STATUS_BUILD, 0);
    return IPSECVPN_OK;
}

/* An IKE_SA_INIT request we cannot parse, from a configured peer (§2.5, §3.2): a higher
 * major version gets <-- HDR, N(INVALID_MAJOR_VERSION); an unknown critical payload gets
 * <-- HDR, N(UNSUPPORTED_CRITICAL_PAYLOAD, type). Anything else is dropped silently. */
void ivpn_ikev2_reject_init(ipsecvpn_engine *e, const ipsecvpn_endpoint *local,
                            const ipsecvpn_endpoint *remote, const ivpn_rx *rx)
{
    if (ivpn_ikev2_is_response(&rx->hdr) || rx->hdr.exchange != IVPN_IKEV2_EXCH_IKE_SA_INIT ||
        !conn_for_peer(e, local, remote))
        return;
    if (rx->hdr.major > IVPN_IKEV2_MAJOR) {
        answer_notify(e, local, remote, rx, IVPN_IKEV2_N_INVALID_MAJOR_VERSION, NULL, 0);
    } else if (rx->hdr.major == IVPN_IKEV2_MAJOR && rx->outer.unsupported_critical) {
        uint8_t t = rx->outer.unsupported_critical;
        answer_notify(e, local, remote, rx, IVPN_IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, &t, 1);
    }
}

static bool group_offered(const ipsecvpn_engine *e, const ivpn_conn *c, uint16_t g)
{
    return g != 0 && (g == ivpn_conn_values(c)->ike.dh_group || g == e->test_extra_ke_group);
}

/* Unprotected answers that make us resend IKE_SA_INIT (COOKIE, INVALID_KE) are followed at
 * most this often per initiation: anyone can send them (§2.21.1), and each would otherwise
 * start the retransmission count again, forever. Beyond it they are ignored. */
#define INIT_RETRIES_MAX 3

/* An unprotected answer we cannot use: an error notify other than COOKIE / INVALID_KE (those
 * two are followed a few times, then ignored), a choice we did not offer, a nonce too short.
 * Anyone can send it (§2.21.1), so it does not end the attempt: we go on retransmitting and
 * waiting for a valid response, and only when the retransmissions run out does the
 * connection fail -- with this reason rather than a bare timeout (ikev2.c reads init_error). */
static int init_refused(ipsecvpn_engine *e, ivpn_ike_sa *sa, int reason, const char *why)
{
    IVPN_LOG_WARN(e->ctx, "IKEv2: IKE_SA_INIT answer not used (%s); waiting for another", why);
    sa->init_error = reason;
    return reason;
}

/* Initiator:  <-- HDR, SAr1, KEr, Nr, N(NATD)... ; then HDR, SK {IDi, AUTH, ...} --> */
int ivpn_ikev2_init_response_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx, uint64_t now)
{
    ivpn_ike_sa *sa = c->ike;
    if (rx->hdr.message_id != 0 || ivpn_ikev2_from_initiator(&rx->hdr))
        return IPSECVPN_ERR_IKE_UNEXPECTED;
    int rc = ivpn_ikev2_check_rules(e->ctx, rx->hdr.exchange, true, &rx->outer, NULL);
    if (rc == IPSECVPN_OK)
        rc = ivpn_ikev2_decode_bodies(e->ctx, &rx->outer, true, &rx->b);
    if (rc != IPSECVPN_OK)
        return rc;
    const ivpn_conn_cfg *v = ivpn_conn_values(c);

    const ivpn_ikev2_notify *n;
    if ((n = ivpn_ikev2_bodies_notify(&rx->b, IVPN_IKEV2_N_COOKIE)) && n->data.len >= 1 &&
        n->data.len <= sizeof(sa->cookie)) {
        /* <-- HDR, N(COOKIE);  HDR, N(COOKIE), SAi1, KEi, Ni, ... --> (§2.6) */
        if (sa->init_retries >= INIT_RETRIES_MAX) {
            IVPN_LOG_WARN(e->ctx, "IKEv2: another COOKIE demand ignored, waiting for an answer");
            return IPSECVPN_ERR_IKE_COOKIE;
        }
        sa->init_retries++;
        memcpy(sa->cookie, n->data.p, n->data.len);
        sa->cookie_len = n->data.len;
        ivpn_ikev2_request_done(e, sa);
        return send_init_request(e, c, now);
    }
    if ((n = ivpn_ikev2_bodies_notify(&rx->b, IVPN_IKEV2_N_INVALID_KE_PAYLOAD))) {
        uint16_t g = n->data.len == 2 ? (uint16_t)(n->data.p[0] << 8 | n->data.p[1]) : 0;
        if (!group_offered(e, c, g) || g == sa->ke_group ||
            sa->init_retries >= INIT_RETRIES_MAX) {
            /* unprotected, so only advice (§2.21.1): keep waiting for a real answer until
             * the retransmissions run out */
            IVPN_LOG_WARN(e->ctx, "IKEv2: INVALID_KE_PAYLOAD for DH group %u ignored", g);
            return IPSECVPN_ERR_IKE_INVALID_KE;
        }
        sa->init_retries++;
        /* §1.2: retry with the requested group, same proposals */
        IVPN_LOG_INFO(e->ctx, "IKEv2: retrying IKE_SA_INIT with DH group %u", g);
        rc = new_dh_and_nonce(e, sa, g, sa->ni, &sa->ni_len);
        ivpn_ikev2_request_done(e, sa);
        if (rc == IPSECVPN_OK)
            rc = send_init_request(e, c, now);
        if (rc != IPSECVPN_OK)
            ivpn_ikev2_fail(e, c, IPSECVPN_STATUS_ERROR, rc);
        return rc;
    }
    for (unsigned i = 0; i < rx->b.n_notify; i++) {
        uint16_t t = rx->b.notify[i].type;
        if (ivpn_ikev2_notify_is_error(t)) {
            int reason = t == IVPN_IKEV2_N_NO_PROPOSAL_CHOSEN ? IPSECVPN_ERR_IKE_NO_PROPOSAL
                                                                : IPSECVPN_ERR_IKE_UNEXPECTED;
            return init_refused(e, sa, reason, ivpn_ikev2_notify_name(t));
        }
    }
    static const uint8_t zero[8] = { 0 };
    if ((rx->b.present & (IVPN_IKEV2_HAS_SA | IVPN_IKEV2_HAS_KE | IVPN_IKEV2_HAS_NONCE)) !=
            (IVPN_IKEV2_HAS_SA | IVPN_IKEV2_HAS_KE | IVPN_IKEV2_HAS_NONCE) ||
        memcmp(rx->hdr.spi_r, zero, 8) == 0)
        return IPSECVPN_ERR_IKE_MALFORMED; /* SPIr 0 names no SA (§3.1) */
    ivpn_ikev2_sa ours;
    ivpn_proposal_ike(&v->ike, e->test_extra_ke_group, &ours);
    ivpn_algs algs;
    rc = ivpn_proposal_check_reply(&rx->b.sa, &ours, &algs);
    if (rc != IPSECVPN_OK || algs.dh != sa->ke_group || rx->b.ke.dh_group != sa->ke_group)
        return init_refused(e, sa, IPSECVPN_ERR_IKE_NO_PROPOSAL,
                            "the responder chose something we did not offer");
    if (!ivpn_ikev2_nonce_ok(algs.prf, rx->b.nonce.data.len))
        return init_refused(e, sa, IPSECVPN_ERR_IKE_MALFORMED,
                            "the responder's nonce is shorter than half the PRF key");
    sa->algs = algs;
    memcpy(sa->spi_r, rx->hdr.spi_r, 8);
    sa->nr_len = rx->b.nonce.data.len;
    memcpy(sa->nr, rx->b.nonce.data.p, sa->nr_len);
    rc = compute_keys(sa, &rx->b.ke);
    if (rc == IPSECVPN_OK)
        rc = keep_copy(e, &sa->msg2, &sa->msg2_len, rx->msg, rx->len);
    if (rc != IPSECVPN_OK) {
        ivpn_ikev2_fail(e, c, IPSECVPN_STATUS_ERROR, rc);
        return rc;
    }
    check_natd(sa, rx, &sa->local, &sa->remote);
    maybe_float(e, c, sa, v->nat_traversal);
    sa->last_rx = now;
    sa->init_error = 0; /* a valid answer: what came before was noise */
    ivpn_ikev2_request_done(e, sa);
    return ivpn_ikev2_auth_send(e, c, now);
}

void ivpn_ikev2_add_sa(ivpn_msg *m, const ivpn_ikev2_sa *sa) { add_sa(m, sa); }
void ivpn_ikev2_add_nonce(ivpn_msg *m, const uint8_t *n, size_t len) { add_nonce(m, n, len); }

/* §2.10: nonces are at least 128 bits (the parser enforces 16..256 bytes) and at least half
 * the key size of the negotiated PRF. */
bool ivpn_ikev2_nonce_ok(uint16_t prf, size_t len)
{
    const ivpn_prf_info *pi = ivpn_prf_lookup(prf);
    return pi && len >= IVPN_IKEV2_NONCE_MIN && 2 * len >= pi->preferred_key_len;
}
