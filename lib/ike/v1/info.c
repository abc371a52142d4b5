/*
 * Informational exchanges (RFC 2409 §5.7, RFC 2408 §4.8): one message, no answer.
 *
 *     HDR*, HASH(1), N/D -->        HASH(1) = prf(SKEYID_a, M-ID | N/D)
 *
 * each with a fresh message ID and its own IV (hash of the last phase-1 block and the M-ID).
 * Before phase 1 has keys a notify travels in the clear (HDR, N): the peer refusing our
 * proposal or our authentication says so this way, unauthenticated, and we treat it as the
 * end of that negotiation, mapped to the reasons IKEv2 uses.
 *
 * Received: Delete of ESP SAs (the SPIs the peer receives on = our outbound ones) removes
 * those pairs; Delete of an ISAKMP SA (its cookie pair) frees it; DPD notifies go to dpd.c;
 * error notifies about our quick mode end that exchange.
 *
 * Also here: the message ID, IV and HASH helpers every protected phase-2 message uses.
 */
#include <string.h>

#include "ike/common/child_sa.h"
#include "ike/v1/v1_internal.h"

static uint32_t spi32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- message IDs, IVs and HASH(1)/(2), shared with quick.c ---------------------------------- */

int ivpn_v1_new_msgid(ipsecvpn_engine *e, const ivpn_v1_sa *sa, uint32_t *out)
{
    for (int tries = 0; tries < 16; tries++) {
        uint8_t b[4];
        int rc = ivpn_random(e->ctx, b, 4);
        if (rc != IPSECVPN_OK)
            return rc;
        uint32_t id = spi32(b);
        bool used = id == 0;
        for (const ivpn_v1_qm *q = sa->qm; q && !used; q = q->next)
            used = q->msgid == id;
        if (!used) {
            *out = id;
            return IPSECVPN_OK;
        }
    }
    return IPSECVPN_ERR_RANDOM;
}

int ivpn_v1_p2_iv(const ivpn_v1_sa *sa, uint32_t msgid, uint8_t iv[IVPN_V1_BLOCK_MAX])
{
    uint8_t h[IVPN_V1_KEY_MAX];
    if (sa->block_len == 0 || sa->block_len > IVPN_V1_BLOCK_MAX)
        return IPSECVPN_ERR_STATE;
    int rc = ivpn_v1_iv_phase2(sa->prf, sa->iv, sa->block_len, msgid, h);
    if (rc == IPSECVPN_OK)
        memcpy(iv, h, sa->block_len);
    return rc;
}

/* The payloads after the HASH payload, whole, up to the end of the last one. */
static ivpn_buf_ref after_hash(const ivpn_v1_rx *rx)
{
    ivpn_buf_ref r = { NULL, 0 };
    if (rx->pl.count < 2)
        return r;
    const ivpn_isakmp_payload_ref *first = &rx->pl.items[1];
    const ivpn_isakmp_payload_ref *last = &rx->pl.items[rx->pl.count - 1];
    r.p = first->whole.p;
    r.len = (size_t)(last->whole.p + last->whole.len - first->whole.p);
    return r;
}

int ivpn_v1_p2_hash_check(const ivpn_v1_sa *sa, const ivpn_v1_rx *rx, const uint8_t *ni,
                          size_t ni_len)
{
    const ivpn_isakmp_payload_ref *h = &rx->pl.items[0];
    if (rx->pl.count == 0 || h->type != IVPN_ISAKMP_PL_HASH || h->body.len != sa->k.len)
        return IPSECVPN_ERR_IKE_INTEGRITY;
    ivpn_buf_ref rest = after_hash(rx);
    uint8_t want[IVPN_V1_KEY_MAX];
    int rc = ivpn_v1_hash_msgid(sa->prf, sa->k.a, sa->k.len, rx->hdr.message_id, ni, ni_len,
                                &rest, 1, want);
    if (rc == IPSECVPN_OK && !ivpn_ct_equal(want, h->body.p, sa->k.len))
        rc = IPSECVPN_ERR_IKE_INTEGRITY;
    ivpn_wipe(want, sizeof(want));
    return rc;
}

int ivpn_v1_p2_hash_fill(const ivpn_v1_sa *sa, ivpn_v1_msg *m, size_t hash_at, uint32_t msgid,
                         const uint8_t *ni, size_t ni_len)
{
    if (ivpn_wr_status(&m->w) != IPSECVPN_OK)
        return ivpn_wr_status(&m->w);
    ivpn_buf_ref rest = { m->buf + hash_at + sa->k.len, m->w.len - hash_at - sa->k.len };
    return ivpn_v1_hash_msgid(sa->prf, sa->k.a, sa->k.len, msgid, ni, ni_len, &rest, 1,
                              m->buf + hash_at);
}

static bool have_keys(const ivpn_v1_sa *sa)
{
    return sa->k.len && sa->enc_key_len && sa->block_len;
}

/* HDR*, HASH(1), <one payload built by add> --> ; or HDR, N when there are no keys yet */
static int info_send(ipsecvpn_engine *e, ivpn_v1_sa *sa, uint8_t type,
                     void (*add)(ivpn_writer *w, const void *body), const void *body)
{
    ivpn_v1_msg *m = ivpn_malloc(e->ctx, sizeof(*m));
    if (!m)
        return IPSECVPN_ERR_NOMEM;
    bool protect = have_keys(sa);
    uint32_t msgid = 0;
    uint8_t iv[IVPN_V1_BLOCK_MAX] = { 0 };
    int rc = IPSECVPN_OK;
    if (protect)
        rc = ivpn_v1_new_msgid(e, sa, &msgid);
    if (rc == IPSECVPN_OK && protect)
        rc = ivpn_v1_p2_iv(sa, msgid, iv);
    uint8_t *out = NULL;
    size_t len = 0;
    if (rc == IPSECVPN_OK) {
        ivpn_v1_msg_begin(m, sa, IVPN_ISAKMP_EX_INFO, msgid, protect);
        size_t hash_at = protect ? ivpn_v1_msg_hash_slot(m, sa) : 0;
        ivpn_isakmp_payload_open(&m->cw, type);
        add(&m->w, body);
        ivpn_isakmp_payload_close(&m->cw);
        if (protect)
            rc = ivpn_v1_p2_hash_fill(sa, m, hash_at, msgid, NULL, 0);
        else
            rc = ivpn_wr_status(&m->w);
        if (rc == IPSECVPN_OK)
            rc = ivpn_v1_msg_finish(e, sa, m, iv, &out, &len);
    }
    if (rc == IPSECVPN_OK) {
        rc = ivpn_v1_send(e, sa, out, len);
        ivpn_free(e->ctx, out);
    }
    ivpn_free(e->ctx, m);
    if (rc != IPSECVPN_OK)
        IVPN_LOG_WARN(e->ctx, "IKEv1: informational message not sent: %s", ipsecvpn_strerror(rc));
    return rc;
}

static void add_notify(ivpn_writer *w, const void *body)
{
    ivpn_isakmp_notify_encode(w, body);
}

static void add_delete(ivpn_writer *w, const void *body)
{
    ivpn_isakmp_delete_encode(w, body);
}

int ivpn_v1_notify_send(ipsecvpn_engine *e, ivpn_v1_sa *sa, uint8_t protocol,
                        const uint8_t *spi, uint8_t spi_size, uint16_t type,
                        const uint8_t *data, size_t data_len)
{
    if (spi_size > 16 || (spi_size && !spi))
        return IPSECVPN_ERR_INVALID_ARG;
    ivpn_isakmp_notify n;
    memset(&n, 0, sizeof(n));
    n.doi = IVPN_ISAKMP_DOI_IPSEC;
    n.protocol = protocol;
    n.spi_size = spi_size;
    n.type = type;
    if (spi_size)
        memcpy(n.spi, spi, spi_size);
    n.data.p = data;
    n.data.len = data_len;
    return info_send(e, sa, IVPN_ISAKMP_PL_N, add_notify, &n);
}

/* HDR*, HASH(1), D(ISAKMP, CKY-I | CKY-R) --> */
int ivpn_v1_delete_isakmp_send(ipsecvpn_engine *e, ivpn_v1_sa *sa)
{
    if (!have_keys(sa))
        return IPSECVPN_ERR_STATE;
    ivpn_isakmp_delete *d = ivpn_zalloc(e->ctx, sizeof(*d));
    if (!d)
        return IPSECVPN_ERR_NOMEM;
    d->doi = IVPN_ISAKMP_DOI_IPSEC;
    d->protocol = IVPN_ISAKMP_PROTO_ISAKMP;
    d->spi_size = 16;
    d->n_spis = 1;
    memcpy(d->spis[0], sa->cky_i, 8);
    memcpy(d->spis[0] + 8, sa->cky_r, 8);
    int rc = info_send(e, sa, IVPN_ISAKMP_PL_D, add_delete, d);
    ivpn_free(e->ctx, d);
    return rc;
}

/* HDR*, HASH(1), D(ESP, our inbound SPIs) --> */
int ivpn_v1_delete_esp_send(ipsecvpn_engine *e, ivpn_v1_sa *sa, const uint32_t *spis_in,
                            size_t n)
{
    if (!have_keys(sa) || n == 0 || n > IVPN_ISAKMP_MAX_DELETE_SPIS)
        return IPSECVPN_ERR_INVALID_ARG;
    ivpn_isakmp_delete *d = ivpn_zalloc(e->ctx, sizeof(*d));
    if (!d)
        return IPSECVPN_ERR_NOMEM;
    d->doi = IVPN_ISAKMP_DOI_IPSEC;
    d->protocol = IVPN_ISAKMP_PROTO_ESP;
    d->spi_size = 4;
    d->n_spis = (uint16_t)n;
    for (size_t i = 0; i < n; i++) {
        d->spis[i][0] = (uint8_t)(spis_in[i] >> 24);
        d->spis[i][1] = (uint8_t)(spis_in[i] >> 16);
        d->spis[i][2] = (uint8_t)(spis_in[i] >> 8);
        d->spis[i][3] = (uint8_t)spis_in[i];
    }
    int rc = info_send(e, sa, IVPN_ISAKMP_PL_D, add_delete, d);
    ivpn_free(e->ctx, d);
    return rc;
}

void ivpn_v1_child_delete(ipsecvpn_engine *e, ivpn_conn *c, ivpn_child *ch)
{
    ivpn_v1_sa *sa = ivpn_v1_current(c);
    if (sa)
        (void)ivpn_v1_delete_esp_send(e, sa, &ch->spi_in, 1);
    ivpn_child_remove(e, c, ch, true);
    if (!ivpn_child_first(c))
        ivpn_engine_set_status(e, c, IPSECVPN_STATUS_DOWN, 0);
}

/* ---- received ------------------------------------------------------------------------------ */

/* The same status reasons IKEv2 gives for its notifies (lib/ike/v2/auth.c). */
static const struct { uint16_t type; int reason; } reasons[] = {
    { IVPN_ISAKMP_N_NO_PROPOSAL_CHOSEN, IPSECVPN_ERR_IKE_NO_PROPOSAL },
    { IVPN_ISAKMP_N_AUTHENTICATION_FAILED, IPSECVPN_ERR_IKE_AUTH },
    { IVPN_ISAKMP_N_INVALID_HASH_INFORMATION, IPSECVPN_ERR_IKE_AUTH },
    { IVPN_ISAKMP_N_INVALID_ID_INFORMATION, IPSECVPN_ERR_IKE_TS },
    { IVPN_ISAKMP_N_INVALID_KEY_INFORMATION, IPSECVPN_ERR_IKE_INVALID_KE },
    { IVPN_ISAKMP_N_PAYLOAD_MALFORMED, IPSECVPN_ERR_IKE_MALFORMED },
    { IVPN_ISAKMP_N_INVALID_PAYLOAD_TYPE, IPSECVPN_ERR_IKE_MALFORMED },
};

static int reason_of(uint16_t type, bool phase1)
{
    /* in phase 1 the IDs are the peer's identity, not selectors */
    if (phase1 && type == IVPN_ISAKMP_N_INVALID_ID_INFORMATION)
        return IPSECVPN_ERR_IKE_AUTH;
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (reasons[i].type == type)
            return reasons[i].reason;
    return IPSECVPN_ERR_IKE_UNEXPECTED;
}

static bool is_error(uint16_t type) { return type > 0 && type < 8192; } /* RFC 2408 §3.14.1 */

/* HDR, N --> before phase 1 has keys: the peer ends the negotiation. */
static int plain_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, const uint8_t *msg,
                    size_t len)
{
    ivpn_v1_rx rx;
    memset(&rx, 0, sizeof(rx));
    uint8_t iv[IVPN_V1_BLOCK_MAX] = { 0 };
    int rc = ivpn_v1_rx_open(e, sa, iv, IVPN_V1_MSG_INFO_PLAIN, msg, len, &rx);
    uint16_t err = 0;
    for (uint8_t i = 0; rc == IPSECVPN_OK && i < rx.pl.count && !err; i++) {
        ivpn_isakmp_notify n;
        if (rx.pl.items[i].type == IVPN_ISAKMP_PL_N &&
            ivpn_isakmp_notify_decode(e->ctx, rx.pl.items[i].body, &n) == IPSECVPN_OK &&
            is_error(n.type))
            err = n.type;
    }
    ivpn_v1_rx_free(e, &rx);
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: bad informational message dropped: %s",
                      ipsecvpn_strerror(rc));
        return rc;
    }
    if (!err) {
        IVPN_LOG_DEBUG(e->ctx, "IKEv1: unprotected status notify ignored");
        return IPSECVPN_OK;
    }
    int reason = reason_of(err, true);
    IVPN_LOG_WARN(e->ctx, "IKEv1: peer refused phase 1 (notify %u): %s", err,
                  ipsecvpn_strerror(reason));
    ivpn_v1_p1_abort(e, c, sa, reason); /* a failed phase-1 rekey leaves the SA in use */
    return reason;
}

/* Unlink an ISAKMP SA from the connection and free it. */
static void isakmp_drop(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa)
{
    ivpn_v1_conn *v1 = c->v1;
    if (v1->sa == sa) {
        v1->sa = NULL;
        ivpn_engine_emit(e, IPSECVPN_EVENT_IKE_DOWN, c, 0, NULL);
    } else if (v1->sa_next == sa) {
        v1->sa_next = NULL;
    } else {
        for (ivpn_v1_sa **p = &v1->old; *p; p = &(*p)->next)
            if (*p == sa) {
                *p = sa->next;
                break;
            }
    }
    ivpn_v1_sa_free(e, sa);
}

static ivpn_v1_sa *isakmp_by_cookies(ivpn_conn *c, const uint8_t spi[16])
{
    ivpn_v1_conn *v1 = c->v1;
    ivpn_v1_sa *cand[2] = { v1->sa, v1->sa_next };
    for (int i = 0; i < 2; i++)
        if (cand[i] && memcmp(cand[i]->cky_i, spi, 8) == 0 &&
            memcmp(cand[i]->cky_r, spi + 8, 8) == 0)
            return cand[i];
    for (ivpn_v1_sa *s = v1->old; s; s = s->next)
        if (memcmp(s->cky_i, spi, 8) == 0 && memcmp(s->cky_r, spi + 8, 8) == 0)
            return s;
    return NULL;
}

/* Whether removing ch hands our traffic back to a pair it replaced (ivpn_child_remove): the
 * peer deleted the pair we send on as the loser of a rekey collision (quick.c). */
static bool hands_back(ivpn_conn *c, const ivpn_child *ch)
{
    if (ch->retired)
        return false;
    for (const ivpn_child *o = ivpn_child_first(c); o; o = ivpn_child_next(o))
        if (o->retired && o->replaced_by == ch->spi_in)
            return true;
    return false;
}

/* D(ESP, the peer's inbound SPIs): returns whether any pair went. A pair we were sending on
 * while another one it replaced was still there is answered with our own Delete of it: the
 * peer repeats its Delete of such a pair until it hears from us (phase2_timers.c). */
static bool delete_esp(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa,
                       const ivpn_isakmp_delete *d)
{
    bool any = false;
    uint32_t answer[IVPN_ISAKMP_MAX_DELETE_SPIS];
    size_t n_answer = 0;
    for (uint16_t k = 0; k < d->n_spis && k < IVPN_ISAKMP_MAX_DELETE_SPIS; k++) {
        ivpn_child *ch = ivpn_child_find_out(c, spi32(d->spis[k]));
        if (!ch) {
            IVPN_LOG_DEBUG(e->ctx, "IKEv1: Delete for unknown SPI 0x%08x ignored",
                           spi32(d->spis[k]));
            continue;
        }
        IVPN_LOG_INFO(e->ctx, "IKEv1: peer deleted Child SA 0x%08x", ch->spi_in);
        if (hands_back(c, ch))
            answer[n_answer++] = ch->spi_in;
        ivpn_child_remove(e, c, ch, true);
        any = true;
    }
    ivpn_v1_sa *via = ivpn_v1_current(c) ? ivpn_v1_current(c) : sa;
    if (n_answer && via->state == IVPN_V1_P1_ESTABLISHED)
        (void)ivpn_v1_delete_esp_send(e, via, answer, n_answer);
    return any;
}

/* The peer deleted our last pair. Unlike IKEv2, IKEv1 keeps the ISAKMP SA (strongSwan does
 * too): the peer may run a new quick mode over it. Until then the tunnel is down; with DPD
 * action `restart` a bidirectional connection brings it back at once. */
static void no_tunnel_left(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    IVPN_LOG_INFO(e->ctx, "IKEv1: no Child SA left, the ISAKMP SA stays");
    ivpn_engine_set_status(e, c, IPSECVPN_STATUS_DOWN, 0);
    if (v->dpd.enabled && v->dpd.action == IVPN_DPD_RESTART &&
        v->initiator == IVPN_INITIATOR_BIDIRECTIONAL && v->admin_up)
        (void)ivpn_v1_quick_start(e, c, 0, now);
}

/* Returns false when the connection's SAs are gone (sa must not be used any more). */
static bool handle_payload(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa,
                           const ivpn_isakmp_payload_ref *pl, uint64_t now)
{
    if (pl->type == IVPN_ISAKMP_PL_N) {
        ivpn_isakmp_notify n;
        if (ivpn_isakmp_notify_decode(e->ctx, pl->body, &n) != IPSECVPN_OK)
            return true;
        if (n.type == IVPN_ISAKMP_N_DPD_R_U_THERE || n.type == IVPN_ISAKMP_N_DPD_R_U_THERE_ACK) {
            ivpn_v1_dpd_rx(e, c, sa, &n, now);
        } else if (is_error(n.type) && sa->state != IVPN_V1_P1_ESTABLISHED) {
            /* protected by the phase-1 keys before phase 1 completed (e.g. our HASH_I was
             * refused): that negotiation is over */
            int reason = reason_of(n.type, true);
            IVPN_LOG_WARN(e->ctx, "IKEv1: peer refused phase 1 (notify %u): %s", n.type,
                          ipsecvpn_strerror(reason));
            ivpn_v1_p1_abort(e, c, sa, reason);
            return false;
        } else if (is_error(n.type)) {
            int reason = reason_of(n.type, false);
            IVPN_LOG_WARN(e->ctx, "IKEv1: peer sent error notify %u (%s)", n.type,
                          ipsecvpn_strerror(reason));
            ivpn_v1_qm_refused(e, c, sa, n.spi_size == 4 ? spi32(n.spi) : 0, reason, now);
        } else {
            IVPN_LOG_DEBUG(e->ctx, "IKEv1: status notify %u ignored", n.type);
        }
        return true;
    }
    if (pl->type != IVPN_ISAKMP_PL_D)
        return true;
    ivpn_isakmp_delete *d = ivpn_malloc(e->ctx, sizeof(*d));
    if (!d)
        return true;
    bool alive = true;
    if (ivpn_isakmp_delete_decode(e->ctx, pl->body, d) != IPSECVPN_OK) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: malformed Delete payload ignored");
    } else if (d->protocol == IVPN_ISAKMP_PROTO_ESP && d->spi_size == 4) {
        if (delete_esp(e, c, sa, d) && !ivpn_child_first(c))
            no_tunnel_left(e, c, now);
    } else if (d->protocol == IVPN_ISAKMP_PROTO_ISAKMP && d->spi_size == 16) {
        for (uint16_t k = 0; k < d->n_spis && k < IVPN_ISAKMP_MAX_DELETE_SPIS && alive; k++) {
            ivpn_v1_sa *gone = isakmp_by_cookies(c, d->spis[k]);
            if (!gone)
                continue;
            IVPN_LOG_INFO(e->ctx, "IKEv1: peer deleted %s ISAKMP SA",
                          gone == c->v1->sa ? "the" : "a replaced");
            if (gone == c->v1->sa && !ivpn_child_first(c)) {
                ivpn_v1_fail(e, c, IPSECVPN_STATUS_DOWN, 0);
                alive = false;
            } else {
                alive = gone != sa;
                isakmp_drop(e, c, gone);
            }
        }
    }
    ivpn_free(e->ctx, d);
    return alive;
}

/* HDR*, HASH(1), N/D --> */
int ivpn_v1_info_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, const uint8_t *msg,
                    size_t len, uint64_t now)
{
    ivpn_isakmp_header h;
    int rc = ivpn_isakmp_header_decode(e->ctx, msg, len, &h);
    if (rc != IPSECVPN_OK)
        return rc;
    if (!(h.flags & IVPN_ISAKMP_FLAG_ENC)) {
        if (sa->state == IVPN_V1_P1_ESTABLISHED || have_keys(sa)) {
            IVPN_LOG_WARN(e->ctx, "IKEv1: unprotected informational message under an "
                                  "established ISAKMP SA dropped");
            return IPSECVPN_ERR_IKE_UNEXPECTED;
        }
        return plain_rx(e, c, sa, msg, len);
    }
    if (!have_keys(sa)) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: encrypted informational message before keys, dropped");
        return IPSECVPN_ERR_IKE_UNEXPECTED;
    }
    uint8_t iv[IVPN_V1_BLOCK_MAX];
    ivpn_v1_rx rx;
    memset(&rx, 0, sizeof(rx));
    rc = ivpn_v1_p2_iv(sa, h.message_id, iv);
    if (rc == IPSECVPN_OK)
        rc = ivpn_v1_rx_open(e, sa, iv, IVPN_V1_MSG_INFO, msg, len, &rx);
    if (rc == IPSECVPN_OK && ivpn_v1_p2_hash_check(sa, &rx, NULL, 0) != IPSECVPN_OK)
        rc = IPSECVPN_ERR_IKE_INTEGRITY;
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: bad informational message dropped: %s",
                      ipsecvpn_strerror(rc));
        ivpn_v1_rx_free(e, &rx);
        return rc;
    }
    if (sa == ivpn_v1_current(c))
        ivpn_v1_dpd_alive(c, now);
    for (uint8_t i = 1; i < rx.pl.count; i++)
        if (!handle_payload(e, c, sa, &rx.pl.items[i], now))
            break;
    ivpn_v1_rx_free(e, &rx);
    return IPSECVPN_OK;
}
