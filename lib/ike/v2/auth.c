/*
 * IKE_AUTH with a pre-shared key and the first Child SA (RFC 7296 §1.2, §2.15):
 *
 *   HDR, SK {IDi, [N(INITIAL_CONTACT),] AUTH, [N(USE_TRANSPORT_MODE),] SAi2, TSi, TSr}  -->
 *                 <--  HDR, SK {IDr, AUTH, [N(USE_TRANSPORT_MODE),] SAr2, TSi, TSr}
 *                                  <--  HDR, SK {N(AUTHENTICATION_FAILED)}
 *                                  <--  HDR, SK {IDr, AUTH, N(NO_PROPOSAL_CHOSEN |
 *                                                             TS_UNACCEPTABLE)}
 *
 * InitiatorSignedOctets = RealMessage1 | NonceRData | prf(SK_pi, IDi')
 * ResponderSignedOctets = RealMessage2 | NonceIData | prf(SK_pr, IDr')
 *
 * The first pair's mode follows child.c's table (§1.3.1). An initiator whose policy is
 * transport refuses a tunnel answer: the IKE SA exists for that pair only, so it is deleted
 * with it (the status says why), as for any other failure of the first pair.
 */
#include <string.h>

#include "config/addr.h"
#include "ike/common/proposal.h"
#include "ike/common/ts.h"
#include "ike/v2/v2_internal.h"
#include "ipsecvpn/udp_encap.h"

size_t ivpn_ikev2_id_body(const ivpn_conn *c, bool local, uint8_t *out, size_t cap)
{
    const ivpn_conn_id *id = local ? &ivpn_conn_values(c)->ike.local_id
                                    : &ivpn_conn_values(c)->ike.remote_id;
    const ipsecvpn_endpoint *gw = local ? &c->local : &c->remote;
    if (cap < 4 + 16)
        return 0;
    memset(out, 0, 4);
    ivpn_ip ip;
    switch (id->type) {
    case IVPN_ID_NONE:
        out[0] = gw->addr.family == IPSECVPN_IPV6 ? IVPN_IKEV2_ID_IPV6_ADDR : IVPN_IKEV2_ID_IPV4_ADDR;
        memcpy(out + 4, gw->addr.bytes, gw->addr.family == IPSECVPN_IPV6 ? 16 : 4);
        return 4 + (gw->addr.family == IPSECVPN_IPV6 ? 16 : 4);
    case IVPN_ID_IPV4:
    case IVPN_ID_IPV6:
        if (ivpn_ip_parse(id->text, &ip) != IPSECVPN_OK)
            return 0;
        out[0] = ip.family == 6 ? IVPN_IKEV2_ID_IPV6_ADDR : IVPN_IKEV2_ID_IPV4_ADDR;
        memcpy(out + 4, ip.addr, ip.family == 6 ? 16 : 4);
        return 4 + (ip.family == 6 ? 16 : 4);
    default: {
        size_t n = strlen(id->text);
        if (4 + n > cap)
            return 0;
        out[0] = (uint8_t)id->type; /* FQDN, RFC822, KEY_ID share the RFC numbers */
        memcpy(out + 4, id->text, n);
        return 4 + n;
    }
    }
}

/* Whether the peer's ID is the one configured (any ID when none is configured). IDs are
 * public, so a plain memcmp is right here; AUTH itself is compared in constant time. */
static bool peer_id_ok(const ivpn_conn *c, const ivpn_ikev2_id *got)
{
    if (ivpn_conn_values(c)->ike.remote_id.type == IVPN_ID_NONE)
        return true;
    uint8_t want[4 + IVPN_ID_MAX + 1];
    size_t n = ivpn_ikev2_id_body(c, false, want, sizeof(want));
    return n >= 4 && got->type == want[0] && got->data.len == n - 4 &&
           memcmp(got->data.p, want + 4, n - 4) == 0;
}

static void id_wire_body(const ivpn_ikev2_id *id, uint8_t *out, size_t *len)
{
    out[0] = id->type;
    memcpy(out + 1, id->reserved, 3);
    memcpy(out + 4, id->data.p, id->data.len);
    *len = 4 + id->data.len;
}

static int auth_octets(const ivpn_conn *c, bool initiator_side, const uint8_t *id_body,
                       size_t id_len, uint8_t *out, size_t *out_len)
{
    const ivpn_ike_sa *sa = c->ike;
    const char *psk = ivpn_conn_values(c)->psk;
    if (initiator_side)
        return ivpn_ikev2_psk_auth(sa->algs.prf, (const uint8_t *)psk, strlen(psk), sa->msg1,
                                   sa->msg1_len, sa->nr, sa->nr_len, sa->sk_pi, sa->prf_len,
                                   id_body, id_len, out, out_len);
    return ivpn_ikev2_psk_auth(sa->algs.prf, (const uint8_t *)psk, strlen(psk), sa->msg2,
                               sa->msg2_len, sa->ni, sa->ni_len, sa->sk_pr, sa->prf_len, id_body,
                               id_len, out, out_len);
}

static void add_auth(ivpn_msg *m, const uint8_t *auth, size_t len)
{
    ivpn_ikev2_auth a = { .method = IVPN_IKEV2_AUTH_PSK, .data = { auth, len } };
    ivpn_ikev2_payload_open(&m->cw, IVPN_IKEV2_PL_AUTH, false);
    ivpn_ikev2_auth_encode(&m->w, &a);
    ivpn_ikev2_payload_close(&m->cw);
}

static void add_ts(ivpn_msg *m, uint8_t type, const ivpn_ts_set *s)
{
    ivpn_ikev2_ts ts;
    ivpn_ts_to_wire(s, &ts);
    ivpn_ikev2_payload_open(&m->cw, type, false);
    ivpn_ikev2_ts_encode(&m->w, &ts);
    ivpn_ikev2_payload_close(&m->cw);
}

static void add_sa(ivpn_msg *m, const ivpn_ikev2_sa *sa)
{
    ivpn_ikev2_payload_open(&m->cw, IVPN_IKEV2_PL_SA, false);
    ivpn_ikev2_sa_encode(&m->w, sa);
    ivpn_ikev2_payload_close(&m->cw);
}

/* HDR, SK {IDi, N(INITIAL_CONTACT), AUTH, [N(USE_TRANSPORT_MODE),] SAi2, TSi, TSr} --> */
int ivpn_ikev2_auth_send(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    ivpn_ike_sa *sa = c->ike;
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    bool transport = ivpn_ikev2_policy_transport(c);
    IVPN_TS_SET_LOCAL(host_l);
    IVPN_TS_SET_LOCAL(host_r);
    uint8_t idb[4 + IVPN_ID_MAX + 1], auth[IVPN_KEY_MAX];
    size_t idlen = ivpn_ikev2_id_body(c, true, idb, sizeof(idb)), alen = 0;
    int rc = idlen ? IPSECVPN_OK : IPSECVPN_ERR_INVALID_ARG;
    if (rc == IPSECVPN_OK && transport)
        rc = ivpn_ikev2_mode_ts(e, c, &c->cfg_local_ts, &c->cfg_remote_ts, &host_l, &host_r);
    if (rc == IPSECVPN_OK)
        rc = auth_octets(c, true, idb, idlen, auth, &alen);
    if (rc == IPSECVPN_OK)
        rc = ivpn_child_new_spi(e, &sa->pending_spi_in);
    ivpn_msg *m = rc == IPSECVPN_OK ? ivpn_malloc(e->ctx, sizeof(*m)) : NULL;
    if (rc == IPSECVPN_OK && !m)
        rc = IPSECVPN_ERR_NOMEM;
    uint8_t *out = NULL;
    size_t len = 0;
    if (rc == IPSECVPN_OK) {
        ivpn_ikev2_sa prop;
        ivpn_proposal_esp(&v->ipsec, sa->pending_spi_in, 0, &prop);
        ivpn_msg_begin(m);
        ivpn_msg_payload_raw(m, IVPN_IKEV2_PL_IDI, idb, idlen);
        ivpn_msg_notify(m, 0, NULL, 0, IVPN_IKEV2_N_INITIAL_CONTACT, NULL, 0);
        add_auth(m, auth, alen);
        if (transport)
            ivpn_msg_notify(m, 0, NULL, 0, IVPN_IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
        add_sa(m, &prop);
        add_ts(m, IVPN_IKEV2_PL_TSI, transport ? &host_l : &c->cfg_local_ts);
        add_ts(m, IVPN_IKEV2_PL_TSR, transport ? &host_r : &c->cfg_remote_ts);
        rc = ivpn_msg_finish_sk(e, sa, IVPN_IKEV2_EXCH_IKE_AUTH, false, sa->msgid_out, m, &out,
                                &len);
    }
    ivpn_free(e->ctx, m);
    ivpn_wipe(auth, sizeof(auth));
    if (rc != IPSECVPN_OK) {
        ivpn_ikev2_fail(e, c, IPSECVPN_STATUS_ERROR, rc);
        return rc;
    }
    sa->state = IVPN_IKE_AUTH_SENT;
    return ivpn_ikev2_send_request(e, sa, IVPN_REQ_AUTH, out, len, now);
}

static bool verify_auth(const ivpn_conn *c, bool initiator_side, const ivpn_rx *rx,
                        const ivpn_ikev2_id *id)
{
    uint8_t idb[4 + 1024], want[IVPN_KEY_MAX];
    size_t idlen, wlen = 0;
    if (rx->b.auth.method != IVPN_IKEV2_AUTH_PSK || id->data.len > 1024)
        return false;
    id_wire_body(id, idb, &idlen);
    if (auth_octets(c, initiator_side, idb, idlen, want, &wlen) != IPSECVPN_OK)
        return false;
    bool ok = rx->b.auth.data.len == wlen && ivpn_ct_equal(rx->b.auth.data.p, want, wlen);
    ivpn_wipe(want, sizeof(want));
    return ok;
}

/* The responder's IKE_AUTH did not end in an established SA. The SA being authenticated is
 * the half-open one (ikev2.c runs it as c->ike with our own SAs and Child SAs set aside), so
 * only it is freed: no events, no status, nothing of an established SA is touched. The
 * caller reports a failure on a connection that has nothing else. */
static void responder_drop(ipsecvpn_engine *e, ivpn_conn *c)
{
    ivpn_ike_sa_free(e, c->ike);
    c->ike = NULL;
}

/* Responder:  HDR, SK {IDi, [IDr,] AUTH, SAi2, TSi, TSr} -->
 *        <--  HDR, SK {IDr, AUTH, SAr2, TSi, TSr} */
int ivpn_ikev2_auth_request_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx, uint64_t now)
{
    ivpn_ike_sa *sa = c->ike;
    uint32_t msgid = rx->hdr.message_id;
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    if (!(rx->b.present & IVPN_IKEV2_HAS_IDI) || !(rx->b.present & IVPN_IKEV2_HAS_AUTH) ||
        !verify_auth(c, true, rx, &rx->b.idi) || !peer_id_ok(c, &rx->b.idi)) {
        IVPN_LOG_WARN(e->ctx, "IKEv2: peer authentication failed");
        ivpn_ikev2_respond_error(e, sa, IVPN_IKEV2_EXCH_IKE_AUTH, msgid,
                                 IVPN_IKEV2_N_AUTHENTICATION_FAILED);
        responder_drop(e, c);
        return IPSECVPN_ERR_IKE_AUTH;
    }

    /* the first Child SA: proposal and traffic selectors */
    int child_err = 0;
    uint16_t child_notify = 0;
    bool transport = false;
    ivpn_algs ca;
    uint8_t chosen = 0;
    IVPN_TS_SET_LOCAL(tsi);
    IVPN_TS_SET_LOCAL(tsr);
    IVPN_TS_SET_LOCAL(off_i);
    IVPN_TS_SET_LOCAL(off_r);
    IVPN_TS_SET_LOCAL(host_l);
    IVPN_TS_SET_LOCAL(host_r);
    memset(&ca, 0, sizeof(ca));
    if ((rx->b.present & (IVPN_IKEV2_HAS_SA | IVPN_IKEV2_HAS_TSI | IVPN_IKEV2_HAS_TSR)) !=
        (IVPN_IKEV2_HAS_SA | IVPN_IKEV2_HAS_TSI | IVPN_IKEV2_HAS_TSR)) {
        child_err = IPSECVPN_ERR_IKE_NO_PROPOSAL;
        child_notify = IVPN_IKEV2_N_NO_PROPOSAL_CHOSEN;
    } else {
        ivpn_ikev2_sa ours;
        ivpn_proposal_esp(&v->ipsec, 0, 0, &ours);
        /* SPIs 1..255 are reserved (RFC 4303 §2.1): the proposal cannot be chosen. It is
         * the Child SA's proposal, so NO_PROPOSAL_CHOSEN (which fails only the Child SA,
         * §2.21.2) rather than INVALID_SYNTAX (which would end the IKE SA as well). */
        if (ivpn_proposal_select(&rx->b.sa, &ours, &ca, &chosen) != IPSECVPN_OK ||
            ivpn_proposal_spi32(&rx->b.sa.proposals[chosen]) < 256) {
            child_err = IPSECVPN_ERR_IKE_NO_PROPOSAL;
            child_notify = IVPN_IKEV2_N_NO_PROPOSAL_CHOSEN;
        } else if ((child_notify = ivpn_ikev2_mode_answer(e, c, rx, &transport)) != 0) {
            child_err = IPSECVPN_ERR_IKE_NO_PROPOSAL;
        } else {
            /* transport mode: what we protect is our own address and the peer's */
            const ivpn_ts_set *ours_r = &c->cfg_remote_ts, *ours_l = &c->cfg_local_ts;
            if (transport) {
                ivpn_ts_host(ours_r, &sa->remote, &host_r);
                ivpn_ts_host(ours_l, &sa->local, &host_l);
                ours_r = &host_r;
                ours_l = &host_l;
            }
            ivpn_ts_from_wire(&rx->b.tsi, &off_i);
            ivpn_ts_from_wire(&rx->b.tsr, &off_r);
            ivpn_ts_narrow(&off_i, ours_r, &tsi);
            ivpn_ts_narrow(&off_r, ours_l, &tsr);
            if (tsi.n == 0 || tsr.n == 0) {
                child_err = IPSECVPN_ERR_IKE_TS;
                child_notify = IVPN_IKEV2_N_TS_UNACCEPTABLE;
            }
        }
    }

    uint8_t idb[4 + IVPN_ID_MAX + 1], auth[IVPN_KEY_MAX];
    size_t idlen = ivpn_ikev2_id_body(c, true, idb, sizeof(idb)), alen = 0;
    int rc = idlen ? IPSECVPN_OK : IPSECVPN_ERR_INVALID_ARG;
    if (rc == IPSECVPN_OK)
        rc = auth_octets(c, false, idb, idlen, auth, &alen);
    uint32_t spi_in = 0, spi_out = 0;
    if (rc == IPSECVPN_OK && !child_err) {
        spi_out = ivpn_proposal_spi32(&rx->b.sa.proposals[chosen]);
        rc = ivpn_child_new_spi(e, &spi_in);
    }
    ivpn_msg *m = rc == IPSECVPN_OK ? ivpn_malloc(e->ctx, sizeof(*m)) : NULL;
    if (rc == IPSECVPN_OK && !m)
        rc = IPSECVPN_ERR_NOMEM;
    uint8_t *out = NULL;
    size_t len = 0;
    if (rc == IPSECVPN_OK) {
        ivpn_msg_begin(m);
        ivpn_msg_payload_raw(m, IVPN_IKEV2_PL_IDR, idb, idlen);
        add_auth(m, auth, alen);
        if (child_err) {
            ivpn_msg_notify(m, 0, NULL, 0, child_notify, NULL, 0);
        } else {
            uint8_t s[4] = { (uint8_t)(spi_in >> 24), (uint8_t)(spi_in >> 16),
                             (uint8_t)(spi_in >> 8), (uint8_t)spi_in };
            ivpn_ikev2_sa reply;
            ivpn_proposal_from_algs(IVPN_IKEV2_PROTO_ESP, rx->b.sa.proposals[chosen].num, s, 4,
                                    &ca, &reply);
            if (transport)
                ivpn_msg_notify(m, 0, NULL, 0, IVPN_IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
            add_sa(m, &reply);
            add_ts(m, IVPN_IKEV2_PL_TSI, &tsi);
            add_ts(m, IVPN_IKEV2_PL_TSR, &tsr);
        }
        rc = ivpn_msg_finish_sk(e, sa, IVPN_IKEV2_EXCH_IKE_AUTH, true, msgid, m, &out, &len);
    }
    ivpn_free(e->ctx, m);
    ivpn_wipe(auth, sizeof(auth));
    if (rc != IPSECVPN_OK) {
        responder_drop(e, c);
        return rc;
    }
    ivpn_ikev2_send_response(e, sa, msgid, out, len);
    if (child_err) {
        IVPN_LOG_WARN(e->ctx, "IKEv2: first Child SA refused: %s",
                      ivpn_ikev2_notify_name(child_notify));
        responder_drop(e, c);
        return child_err;
    }
    /* as responder, our local selectors are TSr and the peer's are TSi */
    rc = ivpn_child_install(e, c, &ca, spi_in, spi_out, &tsr, &tsi, NULL, 0, sa->ni, sa->ni_len,
                            sa->nr, sa->nr_len, false, transport, 0, now);
    if (rc != IPSECVPN_OK) {
        ivpn_child_remove_all(e, c, false);
        responder_drop(e, c);
        return rc;
    }
    sa->expire_at = 0; /* no longer half-open */
    ivpn_ikev2_established(e, c, now);
    return IPSECVPN_OK;
}

static int reason_of(uint16_t notify)
{
    switch (notify) {
    case IVPN_IKEV2_N_AUTHENTICATION_FAILED: return IPSECVPN_ERR_IKE_AUTH;
    case IVPN_IKEV2_N_NO_PROPOSAL_CHOSEN: return IPSECVPN_ERR_IKE_NO_PROPOSAL;
    case IVPN_IKEV2_N_TS_UNACCEPTABLE: return IPSECVPN_ERR_IKE_TS;
    case IVPN_IKEV2_N_INVALID_KE_PAYLOAD: return IPSECVPN_ERR_IKE_INVALID_KE;
    default: return IPSECVPN_ERR_IKE_UNEXPECTED;
    }
}

/* Initiator:  <--  HDR, SK {IDr, AUTH, SAr2, TSi, TSr} */
int ivpn_ikev2_auth_response_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx, uint64_t now)
{
    ivpn_ike_sa *sa = c->ike;
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    ivpn_ikev2_request_done(e, sa);
    uint16_t err = 0;
    for (unsigned i = 0; i < rx->b.n_notify && !err; i++)
        if (ivpn_ikev2_notify_is_error(rx->b.notify[i].type))
            err = rx->b.notify[i].type;
    if (!(rx->b.present & IVPN_IKEV2_HAS_AUTH) || !(rx->b.present & IVPN_IKEV2_HAS_IDR)) {
        int reason = err ? reason_of(err) : IPSECVPN_ERR_IKE_MALFORMED;
        IVPN_LOG_WARN(e->ctx, "IKEv2: IKE_AUTH refused: %s",
                      err ? ivpn_ikev2_notify_name(err) : "no AUTH payload");
        ivpn_ikev2_fail(e, c, IPSECVPN_STATUS_ERROR, reason);
        return reason;
    }
    if (!verify_auth(c, false, rx, &rx->b.idr) || !peer_id_ok(c, &rx->b.idr)) {
        IVPN_LOG_WARN(e->ctx, "IKEv2: responder authentication failed");
        ivpn_ikev2_fail(e, c, IPSECVPN_STATUS_ERROR, IPSECVPN_ERR_IKE_AUTH);
        return IPSECVPN_ERR_IKE_AUTH;
    }
    int reason = 0;
    bool transport = ivpn_ikev2_policy_transport(c);
    ivpn_algs ca;
    IVPN_TS_SET_LOCAL(tsi);
    IVPN_TS_SET_LOCAL(tsr);
    IVPN_TS_SET_LOCAL(host_l);
    IVPN_TS_SET_LOCAL(host_r);
    if (err) {
        reason = reason_of(err);
    } else if ((rx->b.present & (IVPN_IKEV2_HAS_SA | IVPN_IKEV2_HAS_TSI | IVPN_IKEV2_HAS_TSR)) !=
               (IVPN_IKEV2_HAS_SA | IVPN_IKEV2_HAS_TSI | IVPN_IKEV2_HAS_TSR)) {
        reason = IPSECVPN_ERR_IKE_NO_PROPOSAL;
    } else {
        ivpn_ikev2_sa ours;
        ivpn_proposal_esp(&v->ipsec, sa->pending_spi_in, 0, &ours);
        ivpn_ts_from_wire(&rx->b.tsi, &tsi);
        ivpn_ts_from_wire(&rx->b.tsr, &tsr);
        if (ivpn_proposal_check_reply(&rx->b.sa, &ours, &ca) != IPSECVPN_OK ||
            ivpn_proposal_spi32(&rx->b.sa.proposals[0]) < 256)
            reason = IPSECVPN_ERR_IKE_NO_PROPOSAL;
        else if (!ivpn_ikev2_mode_accepted(e, rx, transport))
            reason = IPSECVPN_ERR_IKE_NO_PROPOSAL; /* the mode is part of what was proposed */
        else if (!ivpn_ts_subset(&tsi, &c->cfg_local_ts) || !ivpn_ts_subset(&tsr, &c->cfg_remote_ts))
            reason = IPSECVPN_ERR_IKE_TS;
        else if (transport &&
                 (ivpn_ikev2_mode_ts(e, c, &c->cfg_local_ts, &c->cfg_remote_ts, &host_l,
                                     &host_r) != IPSECVPN_OK ||
                  !ivpn_ts_subset(&tsi, &host_l) || !ivpn_ts_subset(&tsr, &host_r)))
            reason = IPSECVPN_ERR_IKE_TS;
    }
    if (reason) {
        IVPN_LOG_WARN(e->ctx, "IKEv2: first Child SA failed (%s%s%s)", ipsecvpn_strerror(reason),
                      err ? ": " : "", err ? ivpn_ikev2_notify_name(err) : "");
        ivpn_ikev2_close(e, c, now, true);
        ivpn_engine_set_status(e, c, IPSECVPN_STATUS_ERROR, reason);
        return reason;
    }
    int rc = ivpn_child_install(e, c, &ca, sa->pending_spi_in,
                                ivpn_proposal_spi32(&rx->b.sa.proposals[0]), &tsi, &tsr, NULL, 0,
                                sa->ni, sa->ni_len, sa->nr, sa->nr_len, true, transport, 0, now);
    if (rc != IPSECVPN_OK) {
        ivpn_ikev2_fail(e, c, IPSECVPN_STATUS_ERROR, rc);
        return rc;
    }
    ivpn_ikev2_established(e, c, now);
    return IPSECVPN_OK;
}
