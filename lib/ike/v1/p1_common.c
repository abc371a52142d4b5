/*
 * The phase-1 steps main mode (main.c) and aggressive mode (aggressive.c) share (RFC 2409
 * §5, pre-shared keys): our SA offer and the responder's choice, DH and nonce, the keys,
 * ID payloads, HASH_I / HASH_R, and sending a message with its retransmission cache.
 *
 *   SKEYID = prf(pre-shared-key, Ni_b | Nr_b), then SKEYID_d/_a/_e (v1_keys.h)
 *   HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)
 *   HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
 */
#include <string.h>

#include "config/addr.h"
#include "ike/v1/v1_internal.h"

int ivpn_v1_keep_copy(ipsecvpn_engine *e, uint8_t **dst, size_t *dst_len, const uint8_t *p,
                      size_t len)
{
    uint8_t *b = ivpn_malloc(e->ctx, len ? len : 1);
    if (!b)
        return IPSECVPN_ERR_NOMEM;
    memcpy(b, p, len);
    ivpn_free(e->ctx, *dst);
    *dst = b;
    *dst_len = len;
    return IPSECVPN_OK;
}

int ivpn_v1_p1_dh_nonce(ipsecvpn_engine *e, ivpn_v1_sa *sa)
{
    const ivpn_dh_info *di = ivpn_dh_lookup(sa->dh_group);
    if (!di)
        return IPSECVPN_ERR_CRYPTO_ALG;
    ivpn_dh_free(e->ctx, sa->dh);
    sa->dh = NULL;
    int rc = ivpn_dh_new(e->ctx, sa->dh_group, &sa->dh);
    uint8_t *pub = rc == IPSECVPN_OK ? ivpn_malloc(e->ctx, di->public_len) : NULL;
    if (rc == IPSECVPN_OK && !pub)
        rc = IPSECVPN_ERR_NOMEM;
    if (rc == IPSECVPN_OK)
        rc = ivpn_dh_public(sa->dh, pub, di->public_len);
    uint8_t *nonce = sa->initiator ? sa->ni : sa->nr;
    if (rc == IPSECVPN_OK)
        rc = ivpn_random(e->ctx, nonce, IVPN_V1_NONCE_LEN);
    if (rc != IPSECVPN_OK) {
        ivpn_free(e->ctx, pub);
        return rc;
    }
    if (sa->initiator) {
        ivpn_free(e->ctx, sa->gxi);
        sa->gxi = pub;
        sa->gxi_len = di->public_len;
        sa->ni_len = IVPN_V1_NONCE_LEN;
    } else {
        ivpn_free(e->ctx, sa->gxr);
        sa->gxr = pub;
        sa->gxr_len = di->public_len;
        sa->nr_len = IVPN_V1_NONCE_LEN;
    }
    return IPSECVPN_OK;
}

int ivpn_v1_p1_keys(ipsecvpn_engine *e, const ivpn_conn *c, ivpn_v1_sa *sa,
                    const uint8_t *peer_ke, size_t peer_ke_len)
{
    const ivpn_dh_info *di = ivpn_dh_lookup(sa->dh_group);
    if (!di || !sa->dh)
        return IPSECVPN_ERR_STATE;
    if (peer_ke_len != di->public_len) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: KE of %zu bytes for group %u (%u expected)", peer_ke_len,
                      sa->dh_group, di->public_len);
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    uint8_t gxy[1024];
    int rc = ivpn_dh_shared(sa->dh, peer_ke, peer_ke_len, gxy, di->shared_len);
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: the peer's DH public value is invalid");
        return rc;
    }
    uint8_t **slot = sa->initiator ? &sa->gxr : &sa->gxi;
    size_t *slot_len = sa->initiator ? &sa->gxr_len : &sa->gxi_len;
    rc = ivpn_v1_keep_copy(e, slot, slot_len, peer_ke, peer_ke_len);
    const char *psk = ivpn_conn_values(c)->psk;
    if (rc == IPSECVPN_OK)
        rc = ivpn_v1_skeyid_psk(sa->prf, (const uint8_t *)psk, strlen(psk), sa->ni, sa->ni_len,
                                sa->nr, sa->nr_len, gxy, di->shared_len, sa->cky_i, sa->cky_r,
                                &sa->k);
    if (rc == IPSECVPN_OK)
        rc = ivpn_v1_enc_key(sa->prf, sa->k.e, sa->k.len, sa->enc_key, sa->enc_key_len);
    if (rc == IPSECVPN_OK)
        rc = ivpn_v1_iv_phase1(sa->prf, sa->gxi, sa->gxi_len, sa->gxr, sa->gxr_len, sa->iv,
                               sa->block_len);
    ivpn_wipe(gxy, sizeof(gxy));
    return rc;
}

int ivpn_v1_p1_hash(const ivpn_v1_sa *sa, bool of_initiator, const uint8_t *id_b, size_t id_len,
                    uint8_t *out, size_t *out_len)
{
    const ivpn_prf_info *pi = ivpn_prf_lookup(sa->prf);
    if (!pi || !sa->gxi || !sa->gxr || !sa->sai_b)
        return IPSECVPN_ERR_STATE;
    *out_len = pi->out_len;
    if (of_initiator)
        return ivpn_v1_hash_auth(sa->prf, sa->k.skeyid, sa->k.len, sa->gxi, sa->gxi_len, sa->gxr,
                                 sa->gxr_len, sa->cky_i, sa->cky_r, sa->sai_b, sa->sai_b_len,
                                 id_b, id_len, out);
    return ivpn_v1_hash_auth(sa->prf, sa->k.skeyid, sa->k.len, sa->gxr, sa->gxr_len, sa->gxi,
                             sa->gxi_len, sa->cky_r, sa->cky_i, sa->sai_b, sa->sai_b_len, id_b,
                             id_len, out);
}

/* An ID payload body (RFC 2407 §4.6.2): type, protocol 0, port 0, data. The configured
 * identity, or the gateway's address when none is configured. The type numbers of the
 * configuration are the RFC 2407 ones (IPv4 1, FQDN 2, USER_FQDN 3, IPv6 5, KEY_ID 11). */
static size_t id_body(const ivpn_conn_id *idv, const ipsecvpn_endpoint *gw, uint8_t *out,
                      size_t cap)
{
    if (cap < 4 + 16)
        return 0;
    memset(out, 0, 4);
    ivpn_ip ip;
    switch (idv->type) {
    case IVPN_ID_NONE: {
        bool v6 = gw->addr.family == IPSECVPN_IPV6;
        out[0] = v6 ? IVPN_ISAKMP_ID_IPV6_ADDR : IVPN_ISAKMP_ID_IPV4_ADDR;
        memcpy(out + 4, gw->addr.bytes, v6 ? 16 : 4);
        return 4 + (v6 ? 16u : 4u);
    }
    case IVPN_ID_IPV4:
    case IVPN_ID_IPV6:
        if (!idv->text || ivpn_ip_parse(idv->text, &ip) != IPSECVPN_OK)
            return 0;
        out[0] = ip.family == 6 ? IVPN_ISAKMP_ID_IPV6_ADDR : IVPN_ISAKMP_ID_IPV4_ADDR;
        memcpy(out + 4, ip.addr, ip.family == 6 ? 16 : 4);
        return 4 + (ip.family == 6 ? 16u : 4u);
    default: {
        size_t n = idv->text ? strlen(idv->text) : 0;
        if (4 + n > cap)
            return 0;
        out[0] = (uint8_t)idv->type;
        memcpy(out + 4, idv->text, n);
        return 4 + n;
    }
    }
}

size_t ivpn_v1_p1_id_body(const ivpn_conn *c, const ivpn_v1_sa *sa, uint8_t *out, size_t cap)
{
    (void)sa;
    return id_body(&ivpn_conn_values(c)->ike.local_id, &c->local, out, cap);
}

void ivpn_v1_id_self(const ivpn_conn *c, const ivpn_v1_sa *sa, ivpn_isakmp_id *id,
                     uint8_t *buf, size_t cap)
{
    size_t n = ivpn_v1_p1_id_body(c, sa, buf, cap);
    memset(id, 0, sizeof(*id));
    if (n < 4)
        return;
    id->type = buf[0];
    id->data.p = buf + 4;
    id->data.len = n - 4;
}

/* Phase-1 IDs carry protocol 0 port 0; some peers send UDP and their IKE port (RFC 2407
 * §4.6.2 allows it), which is accepted. */
static bool id_proto_ok(const ivpn_isakmp_id *id)
{
    return (id->protocol == 0 && id->port == 0) ||
           (id->protocol == 17 && (id->port == 0 || id->port == 500 || id->port == 4500));
}

int ivpn_v1_p1_verify(ipsecvpn_engine *e, const ivpn_conn *c, const ivpn_v1_sa *sa,
                      bool of_initiator, ivpn_span id_b, ivpn_span hash)
{
    ivpn_isakmp_id id;
    uint8_t want[IVPN_V1_KEY_MAX];
    size_t want_len = 0;
    if (ivpn_isakmp_id_decode(e->ctx, id_b, &id) != IPSECVPN_OK || !id_proto_ok(&id)) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: the peer's ID payload is not acceptable");
        return IPSECVPN_ERR_IKE_AUTH;
    }
    int rc = ivpn_v1_p1_hash(sa, of_initiator, id_b.p, id_b.len, want, &want_len);
    bool ok = rc == IPSECVPN_OK && hash.len == want_len && ivpn_ct_equal(hash.p, want, want_len);
    ivpn_wipe(want, sizeof(want));
    if (!ok) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: %s does not verify (pre-shared key mismatch?)",
                      of_initiator ? "HASH_I" : "HASH_R");
        return IPSECVPN_ERR_IKE_AUTH;
    }
    const ivpn_conn_id *rid = &ivpn_conn_values(c)->ike.remote_id;
    if (rid->type == IVPN_ID_NONE)
        return IPSECVPN_OK;
    /* IDs are public: a plain comparison is right here */
    uint8_t exp[4 + IVPN_ID_MAX + 1];
    size_t n = id_body(rid, &c->remote, exp, sizeof(exp));
    if (n < 4 || id.type != exp[0] || id.data.len != n - 4 ||
        memcmp(id.data.p, exp + 4, n - 4) != 0) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: the peer's identity is not the configured remote ID");
        return IPSECVPN_ERR_IKE_AUTH;
    }
    return IPSECVPN_OK;
}

int ivpn_v1_p1_send(ipsecvpn_engine *e, ivpn_v1_sa *sa, ivpn_v1_msg *m, bool timed,
                    const uint8_t *answers, size_t answers_len, uint64_t now)
{
    uint8_t *out = NULL;
    size_t len = 0;
    int rc = ivpn_v1_msg_finish(e, sa, m, m->encrypted ? sa->iv : NULL, &out, &len);
    ivpn_free(e->ctx, m);
    if (rc != IPSECVPN_OK)
        return rc;
    ivpn_v1_rtx_set(e, &sa->rtx, out, len, timed, answers, answers_len, now);
    (void)ivpn_v1_send(e, sa, out, len); /* a failed send is a lost datagram */
    return IPSECVPN_OK;
}

int ivpn_v1_p1_decode_sa(ipsecvpn_engine *e, const ivpn_v1_rx *rx, ivpn_isakmp_sa **out)
{
    const ivpn_span *b = ivpn_v1_rx_body(rx, IVPN_ISAKMP_PL_SA);
    if (!b)
        return IPSECVPN_ERR_IKE_MALFORMED;
    ivpn_isakmp_sa *s = ivpn_malloc(e->ctx, sizeof(*s));
    if (!s)
        return IPSECVPN_ERR_NOMEM;
    int rc = ivpn_isakmp_sa_decode(e->ctx, *b, s);
    if (rc != IPSECVPN_OK) {
        ivpn_free(e->ctx, s);
        return rc;
    }
    *out = s;
    return IPSECVPN_OK;
}

int ivpn_v1_p1_take_nonce(ipsecvpn_engine *e, const ivpn_v1_rx *rx, uint8_t *dst,
                          size_t *dst_len)
{
    const ivpn_span *nb = ivpn_v1_rx_body(rx, IVPN_ISAKMP_PL_NONCE);
    if (!nb || ivpn_isakmp_nonce_check(e->ctx, *nb) != IPSECVPN_OK || nb->len > IVPN_V1_NONCE_MAX)
        return IPSECVPN_ERR_IKE_MALFORMED;
    memcpy(dst, nb->p, nb->len);
    *dst_len = nb->len;
    return IPSECVPN_OK;
}

int ivpn_v1_p1_offer(ipsecvpn_engine *e, const ivpn_conn *c, ivpn_v1_sa *sa, ivpn_v1_msg *m)
{
    uint8_t body[1024];
    ivpn_isakmp_sa *prop = ivpn_malloc(e->ctx, sizeof(*prop));
    if (!prop)
        return IPSECVPN_ERR_NOMEM;
    ivpn_v1_p1_proposal(c, prop);
    size_t n = ivpn_v1_sa_body(prop, body, sizeof(body));
    ivpn_free(e->ctx, prop);
    int rc = n ? ivpn_v1_keep_copy(e, &sa->sai_b, &sa->sai_b_len, body, n)
               : IPSECVPN_ERR_INTERNAL;
    if (rc != IPSECVPN_OK)
        return rc;
    uint8_t exchange = sa->aggressive ? IVPN_ISAKMP_EX_AGGRESSIVE : IVPN_ISAKMP_EX_MAIN;
    ivpn_v1_msg_begin(m, sa, exchange, 0, false);
    ivpn_v1_msg_raw(m, IVPN_ISAKMP_PL_SA, body, n);
    return IPSECVPN_OK;
}

int ivpn_v1_p1_offer_send(ipsecvpn_engine *e, ivpn_v1_sa *sa, ivpn_v1_msg *m,
                          ivpn_v1_p1_state state, uint64_t now)
{
    ivpn_v1_add_vids(m);
    int rc = ivpn_v1_p1_send(e, sa, m, true, NULL, 0, now);
    if (rc == IPSECVPN_OK) {
        sa->state = state;
        IVPN_LOG_INFO(e->ctx, "IKEv1: %s mode started", sa->aggressive ? "aggressive" : "main");
    }
    return rc;
}

int ivpn_v1_p1_choose(ipsecvpn_engine *e, ivpn_conn *c, const ivpn_v1_rx *rx,
                      const ipsecvpn_endpoint *local, const ipsecvpn_endpoint *remote,
                      ivpn_v1_sa *sa, ivpn_isakmp_sa *reply)
{
    ivpn_isakmp_sa *offered = NULL;
    int rc = ivpn_v1_p1_decode_sa(e, rx, &offered);
    if (rc != IPSECVPN_OK)
        return rc;
    memcpy(sa->cky_i, rx->hdr.cookie_i, 8);
    sa->local = *local;
    sa->remote = *remote;
    sa->aggressive = rx->hdr.exchange == IVPN_ISAKMP_EX_AGGRESSIVE;
    rc = ivpn_v1_p1_select(e, c, offered, sa, reply);
    ivpn_free(e->ctx, offered);
    if (rc == IPSECVPN_ERR_IKE_NO_PROPOSAL) {
        ivpn_isakmp_header h = rx->hdr;
        memcpy(h.cookie_r, sa->cky_r, 8);
        ivpn_v1_refuse(e, local, remote, &h, IVPN_ISAKMP_N_NO_PROPOSAL_CHOSEN);
        if (!ivpn_v1_current(c))
            ivpn_engine_set_status(e, c, IPSECVPN_STATUS_ERROR, IPSECVPN_ERR_IKE_NO_PROPOSAL);
        return rc;
    }
    const ivpn_span *sab = ivpn_v1_rx_body(rx, IVPN_ISAKMP_PL_SA);
    if (rc == IPSECVPN_OK)
        rc = ivpn_v1_keep_copy(e, &sa->sai_b, &sa->sai_b_len, sab->p, sab->len);
    return rc;
}

int ivpn_v1_p1_respond(ipsecvpn_engine *e, ivpn_conn *c, const ipsecvpn_endpoint *local,
                       const ipsecvpn_endpoint *remote, const uint8_t *msg, size_t len,
                       uint64_t now, const ivpn_v1_first *how)
{
    const char *mode = how->kind == IVPN_V1_MSG_AM1 ? "aggressive" : "main";
    ivpn_v1_rx rx;
    int rc = ivpn_v1_rx_open(e, NULL, NULL, how->kind, msg, len, &rx);
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: malformed %s mode message 1 dropped", mode);
        ivpn_v1_rx_free(e, &rx);
        return rc;
    }
    ivpn_v1_sa *sa = ivpn_v1_sa_new(e, c, false);
    ivpn_isakmp_sa *reply = ivpn_malloc(e->ctx, sizeof(*reply));
    ivpn_v1_msg *m = ivpn_malloc(e->ctx, sizeof(*m));
    rc = sa && reply && m ? ivpn_v1_p1_choose(e, c, &rx, local, remote, sa, reply)
                          : IPSECVPN_ERR_NOMEM;
    if (rc == IPSECVPN_OK)
        rc = how->answer(e, c, sa, &rx, reply, m);
    ivpn_free(e->ctx, reply);
    if (rc == IPSECVPN_OK) {
        rc = ivpn_v1_p1_send(e, sa, m, how->timed, msg, len, now);
        m = NULL;
    }
    ivpn_free(e->ctx, m);
    ivpn_v1_rx_free(e, &rx);
    if (rc != IPSECVPN_OK) {
        if (rc != IPSECVPN_ERR_IKE_NO_PROPOSAL)
            IVPN_LOG_WARN(e->ctx, "IKEv1: %s mode message 1 refused: %s", mode,
                          ipsecvpn_strerror(rc));
        ivpn_v1_sa_free(e, sa);
        return rc;
    }
    sa->state = how->state;
    sa->expire_at = now + IVPN_V1_HALF_OPEN_MS;
    sa->last_rx = now;
    bool established = ivpn_v1_current(c) != NULL;
    ivpn_v1_sa_place(e, c, sa);
    if (!established)
        ivpn_engine_set_status(e, c, IPSECVPN_STATUS_BUILD, 0);
    IVPN_LOG_INFO(e->ctx, "IKEv1: %s mode from the peer, proposal accepted", mode);
    return IPSECVPN_OK;
}

int ivpn_v1_p1_conclude(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, int rc, uint64_t now)
{
    if (rc != IPSECVPN_OK) {
        ivpn_v1_p1_abort(e, c, sa, rc);
        return rc;
    }
    sa->last_rx = now;
    ivpn_v1_established(e, c, sa, now);
    return IPSECVPN_OK;
}
