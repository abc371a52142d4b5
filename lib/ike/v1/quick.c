/*
 * Quick mode (RFC 2409 §5.5): one ESP Child SA pair per exchange, under an established
 * ISAKMP SA, every message encrypted with that exchange's own CBC chain (Appendix B).
 *
 *     Initiator                          Responder
 *    -----------                        -----------
 *     HDR*, HASH(1), SA, Ni [, KE ] [, IDci, IDcr ] -->
 *                           <-- HDR*, HASH(2), SA, Nr [, KE ] [, IDci, IDcr ]
 *     HDR*, HASH(3) -->
 *
 *   HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [ | KE ] [ | IDci | IDcr ])
 *   HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [ | KE ] [ | IDci | IDcr ])
 *   HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
 *   KEYMAT  = prf(SKEYID_d, [ g(qm)^xy | ] protocol | SPI | Ni_b | Nr_b), expanded; the SPI
 *             is the one its receiver chose, so each direction has its own keys.
 *
 * The initiator installs the pair once HASH(3) is out, the responder when it arrives. A
 * pair negotiated while another is current replaces it make-before-break; the initiator of
 * that exchange deletes the old pair a few seconds later, as strongSwan does. Every
 * completed exchange installs its pair on both ends; when both ends rekeyed the same pair at
 * once, both keep the same one of the two new pairs (see "installing the pair").
 */
#include <string.h>

#include "ike/common/child_sa.h"
#include "ike/common/ts.h"
#include "ike/v1/v1_internal.h"

#define QM_KEEP_MS 60000u          /* a finished or half-done exchange answers repeats this long */
#define SWITCH_MS 2000u            /* initiator of a rekey: outbound moves to the new pair once
                                      the peer sends on it, or this much later */
#define OLD_PAIR_DELETE_MS 5000u   /* after a rekey, the replaced pair goes this much later */
#define LOSER_DELETE_MS 13000u     /* a collision loser the peer may send on: its Delete is
                                      repeated until answered, this long at most */

/* ---- exchange bookkeeping ------------------------------------------------------------------- */

static void qm_free(ipsecvpn_engine *e, ivpn_v1_qm *qm)
{
    ivpn_dh_free(e->ctx, qm->dh);
    if (qm->gxy) {
        ivpn_wipe(qm->gxy, qm->gxy_len);
        ivpn_free(e->ctx, qm->gxy);
    }
    ivpn_v1_rtx_clear(e, &qm->rtx);
    ivpn_ts_set_free(e->ctx, &qm->local_ts);
    ivpn_ts_set_free(e->ctx, &qm->remote_ts);
    ivpn_wipe(qm, sizeof(*qm));
    ivpn_free(e->ctx, qm);
}

static void qm_unlink(ipsecvpn_engine *e, ivpn_v1_sa *sa, ivpn_v1_qm *qm)
{
    for (ivpn_v1_qm **p = &sa->qm; *p; p = &(*p)->next)
        if (*p == qm) {
            *p = qm->next;
            break;
        }
    qm_free(e, qm);
}

void ivpn_v1_qm_free_all(ipsecvpn_engine *e, ivpn_v1_sa *sa)
{
    while (sa && sa->qm) {
        ivpn_v1_qm *q = sa->qm;
        sa->qm = q->next;
        qm_free(e, q);
    }
}

static ivpn_v1_qm *qm_find(ivpn_v1_sa *sa, uint32_t msgid)
{
    for (ivpn_v1_qm *q = sa->qm; q; q = q->next)
        if (q->msgid == msgid)
            return q;
    return NULL;
}

bool ivpn_v1_qm_pending(const ivpn_v1_sa *sa)
{
    for (const ivpn_v1_qm *q = sa ? sa->qm : NULL; q; q = q->next)
        if (q->initiator && q->state == IVPN_V1_QM_I1)
            return true;
    return false;
}

/* Our nonce and, with PFS, our DH value. */
static int qm_secrets(ipsecvpn_engine *e, ivpn_v1_qm *qm, uint8_t *nonce, size_t *nonce_len)
{
    *nonce_len = IVPN_V1_NONCE_LEN;
    int rc = ivpn_random(e->ctx, nonce, IVPN_V1_NONCE_LEN);
    if (rc == IPSECVPN_OK && qm->algs.dh)
        rc = ivpn_dh_new(e->ctx, qm->algs.dh, &qm->dh);
    return rc;
}

/* g(qm)^xy from the peer's KE payload (its length must be the group's). */
static int qm_shared(ipsecvpn_engine *e, ivpn_v1_qm *qm, const ivpn_isakmp_payload_ref *ke)
{
    const ivpn_dh_info *di = ivpn_dh_lookup(qm->algs.dh);
    if (!di || !ke || ke->body.len != di->public_len || !qm->dh)
        return IPSECVPN_ERR_IKE_MALFORMED;
    qm->gxy = ivpn_malloc(e->ctx, di->shared_len);
    if (!qm->gxy)
        return IPSECVPN_ERR_NOMEM;
    qm->gxy_len = di->shared_len;
    int rc = ivpn_dh_shared(qm->dh, ke->body.p, ke->body.len, qm->gxy, qm->gxy_len);
    ivpn_dh_free(e->ctx, qm->dh);
    qm->dh = NULL;
    return rc;
}

/* ---- message building ----------------------------------------------------------------------- */

static void add_raw(ivpn_v1_msg *m, uint8_t type, const uint8_t *p, size_t len)
{
    ivpn_isakmp_payload_open(&m->cw, type);
    ivpn_wr_bytes(&m->w, p, len);
    ivpn_isakmp_payload_close(&m->cw);
}

static int add_ke(ivpn_v1_msg *m, const ivpn_v1_qm *qm)
{
    const ivpn_dh_info *di = ivpn_dh_lookup(qm->algs.dh);
    uint8_t pub[1024];
    if (!di || di->public_len > sizeof(pub) || !qm->dh)
        return IPSECVPN_ERR_CRYPTO_ALG;
    int rc = ivpn_dh_public(qm->dh, pub, di->public_len);
    if (rc == IPSECVPN_OK)
        add_raw(m, IVPN_ISAKMP_PL_KE, pub, di->public_len);
    return rc;
}

/* IDci (the initiator's side), then IDcr */
static void add_ids(ivpn_v1_msg *m, const ivpn_v1_qm *qm)
{
    const ivpn_ts *ci = qm->initiator ? &qm->local_ts.ts[0] : &qm->remote_ts.ts[0];
    const ivpn_ts *cr = qm->initiator ? &qm->remote_ts.ts[0] : &qm->local_ts.ts[0];
    const ivpn_ts *both[2] = { ci, cr };
    for (int i = 0; i < 2; i++) {
        uint8_t buf[32];
        ivpn_isakmp_id id;
        ivpn_v1_id_from_ts(both[i], &id, buf);
        ivpn_isakmp_payload_open(&m->cw, IVPN_ISAKMP_PL_ID);
        ivpn_isakmp_id_encode(&m->w, &id);
        ivpn_isakmp_payload_close(&m->cw);
    }
}

static void add_sa(ivpn_v1_msg *m, const ivpn_isakmp_sa *sa)
{
    ivpn_isakmp_payload_open(&m->cw, IVPN_ISAKMP_PL_SA);
    ivpn_isakmp_sa_encode(&m->w, sa);
    ivpn_isakmp_payload_close(&m->cw);
}

/* Finish (encrypt under the exchange's chain) and send; the message is returned for rtx. */
static int finish_send(ipsecvpn_engine *e, ivpn_v1_sa *sa, ivpn_v1_qm *qm, ivpn_v1_msg *m,
                       uint8_t **out, size_t *len)
{
    int rc = ivpn_v1_msg_finish(e, sa, m, qm->iv, out, len);
    if (rc == IPSECVPN_OK)
        (void)ivpn_v1_send(e, sa, *out, *len); /* lost sends are what retransmission is for */
    return rc;
}

/* ---- installing the pair -------------------------------------------------------------------- */

/*
 * IKEv1 does not say which pair a quick mode replaces, so a new pair replaces the current one
 * with its selectors. Every completed exchange installs its pair on both ends: a pair one end
 * dropped on its own would be one the other may send on. The ends can disagree only about
 * two exchanges that overlap (a pair installed here after the other exchange began here)
 * and were started by different ends: both rekeyed the same pair at once, or the messages
 * crossed. Then the pair with the larger (min, max) of its two SPIs, the same numbers seen
 * from both ends, carries the traffic, and an end that sees the overlap deletes the other
 * pair. At least one end sees it whenever the ends installed the two pairs in different
 * orders; an end that does not see it sends on the pair the other end began, and deletes
 * none of the two (it answered the later exchange). So the winner is never deleted, and
 * when that end sends on the loser, the Delete hands its traffic back to the winner there
 * (ivpn_child_remove); that Delete is repeated until answered (delete_loser). Two
 * overlapping exchanges the peer began one after the other (QM3 of the first overtaken) are
 * no collision: the later one's pair replaces the earlier.
 */
typedef enum pair_fate {
    FATE_FIRST,      /* no pair for these selectors yet */
    FATE_REPLACES,   /* replaces the current pair: a rekey */
    FATE_OUTDATED,   /* the peer replaced it already by its next exchange (whose pair we have) */
    FATE_WINS,       /* rekey collision: replaces the current pair, which goes */
    FATE_LOSES,      /* rekey collision: the current pair stays, this one goes */
} pair_fate;

/* The pair a new one replaces: the one the rekey was started for, else (the peer's rekey,
 * which IKEv1 does not mark) a current pair with the same selectors. */
static ivpn_child *replaced_pair(ivpn_conn *c, const ivpn_v1_qm *qm)
{
    ivpn_child *old = qm->rekey_of ? ivpn_child_find(c, qm->rekey_of) : NULL;
    if (old && !old->retired && !old->replaced_by)
        return old;
    for (ivpn_child *ch = ivpn_child_first(c); ch; ch = ivpn_child_next(ch))
        if (!ch->retired && !ch->replaced_by && ivpn_ts_set_equal(&ch->local_ts, &qm->local_ts) &&
            ivpn_ts_set_equal(&ch->remote_ts, &qm->remote_ts))
            return ch;
    return NULL;
}

/* The connection's ISAKMP SAs one by one (i = 0, 1, ...: the current one, the one
 * replacing it, the replaced ones), NULL past the last; any may be missing. */
static ivpn_v1_sa *conn_sa(const ivpn_conn *c, unsigned i)
{
    if (!c->v1)
        return NULL;
    if (i < 2)
        return i == 0 ? c->v1->sa : c->v1->sa_next;
    ivpn_v1_sa *s = c->v1->old;
    for (i -= 2; s && i; i--)
        s = s->next;
    return s;
}
#define FOR_EACH_SA(c, i, s)                                                                   \
    for (unsigned i = 0; i < 2 || conn_sa(c, i); i++)                                          \
        if (((s) = conn_sa(c, i)) != NULL)

/* The finished exchange that negotiated a pair (kept QM_KEEP_MS), under any ISAKMP SA. */
static ivpn_v1_qm *qm_of_pair(const ivpn_conn *c, uint32_t spi_in)
{
    ivpn_v1_sa *s;
    FOR_EACH_SA(c, i, s)
        for (ivpn_v1_qm *q = s->qm; q; q = q->next)
            if (q->state == IVPN_V1_QM_DONE && q->spi_in == spi_in)
                return q;
    return NULL;
}

/* Overlap is "a pair installed after the exchange began here"; the clock has milliseconds,
 * so within one the order is kept by these two: an exchange that begins after a pair was
 * installed in the same millisecond is stamped one later, and an install pulls the stamp
 * of every exchange in progress (begun before it) back to its own time. */
static uint64_t start_stamp(const ivpn_conn *c, uint64_t now)
{
    for (const ivpn_child *ch = ivpn_child_first(c); ch; ch = ivpn_child_next(ch))
        if (ch->created_ms == now)
            return now + 1;
    return now;
}

static void stamp_installed(ivpn_conn *c, uint64_t now)
{
    ivpn_v1_sa *s;
    FOR_EACH_SA(c, i, s)
        for (ivpn_v1_qm *q = s->qm; q; q = q->next)
            if (q->state != IVPN_V1_QM_DONE && q->started_at > now)
                q->started_at = now;
}

/* Whether exchange a began before b here (a list holds the newest first). */
static bool began_before(const ivpn_v1_qm *a, const ivpn_v1_qm *b)
{
    if (a->started_at != b->started_at)
        return a->started_at < b->started_at;
    for (const ivpn_v1_qm *q = b->next; q; q = q->next)
        if (q == a)
            return true;
    return false;
}

/* The order of two pairs that both ends compute alike: by the smaller of a pair's SPIs,
 * then the larger (our in is the peer's out). */
static bool pair_beats(uint32_t a_in, uint32_t a_out, uint32_t b_in, uint32_t b_out)
{
    uint32_t a_lo = a_in < a_out ? a_in : a_out, a_hi = a_in < a_out ? a_out : a_in;
    uint32_t b_lo = b_in < b_out ? b_in : b_out, b_hi = b_in < b_out ? b_out : b_in;
    return a_lo != b_lo ? a_lo > b_lo : a_hi > b_hi;
}

static pair_fate fate_of(const ivpn_conn *c, const ivpn_v1_qm *qm, const ivpn_child *cur)
{
    if (!cur)
        return FATE_FIRST;
    if (cur->created_ms < qm->started_at)
        return FATE_REPLACES; /* one exchange after the other */
    const ivpn_v1_qm *cq = qm_of_pair(c, cur->spi_in);
    if (cq && cq != qm && cq->initiator == qm->initiator) {
        /* one end ran both: it installed the first before it began the second (we begin
         * a quick mode only when none of ours waits for QM2; the peer's QM1s came in its
         * order) */
        if (!qm->initiator && began_before(qm, cq))
            return FATE_OUTDATED;
        return FATE_REPLACES;
    }
    return pair_beats(qm->spi_in, qm->spi_out, cur->spi_in, cur->spi_out) ? FATE_WINS
                                                                           : FATE_LOSES;
}

static void delete_soon(ivpn_child *ch, uint64_t now)
{
    uint64_t at = now + OLD_PAIR_DELETE_MS;
    if (!ch->expire_at || ch->expire_at > at)
        ch->expire_at = at; /* phase2_timers.c deletes it then, and tells the peer */
}

/* A collision loser we negotiated as initiator is the one pair the peer may send on while
 * we call it redundant (an end that does not see the collision uses the later pair, which
 * the other end began). So a lost Delete must not leave it sending there: the Delete goes
 * again every few seconds (phase2_timers.c: a retired pair with delete_until set) until the
 * peer's answering Delete removes it (info.c), at the latest LOSER_DELETE_MS after the
 * collision. And a repeated QM2 no longer gets our QM3, so the peer cannot install it
 * after our Delete (it gives the exchange up). */
static void delete_loser(ipsecvpn_engine *e, ivpn_conn *c, ivpn_child *loser, uint64_t now)
{
    delete_soon(loser, now);
    ivpn_v1_qm *q = qm_of_pair(c, loser->spi_in);
    if (!q || !q->initiator)
        return;
    ivpn_v1_rtx_clear(e, &q->rtx);
    if (loser->retired)
        loser->delete_until = now + LOSER_DELETE_MS;
}

/* After a collision: `loser` goes in a few seconds; so does the pair both replaced, and
 * whatever pointed at the loser as its successor points at the winner. */
static void settle_collision(ipsecvpn_engine *e, ivpn_conn *c, ivpn_child *winner,
                             ivpn_child *loser, uint64_t now)
{
    IVPN_LOG_INFO(e->ctx, "IKEv1: both ends rekeyed at once, pair 0x%08x stays, 0x%08x goes",
                  winner->spi_in, loser->spi_in);
    for (ivpn_child *o = ivpn_child_first(c); o; o = ivpn_child_next(o)) {
        if (o == winner || o == loser)
            continue;
        if (o->replaced_by == loser->spi_in)
            o->replaced_by = winner->spi_in;
        if (o->replaced_by == winner->spi_in)
            delete_soon(o, now);
    }
    delete_loser(e, c, loser, now);
}

static int install(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, ivpn_v1_qm *qm,
                   uint64_t now)
{
    size_t ek, ak;
    int rc = ivpn_child_key_lengths(&qm->algs, &ek, &ak);
    if (rc != IPSECVPN_OK)
        return rc;
    uint8_t km_in[2 * IVPN_V1_KEY_MAX], km_out[2 * IVPN_V1_KEY_MAX];
    if (ek + ak > sizeof(km_in))
        return IPSECVPN_ERR_CRYPTO_ALG;
    /* each direction's keys come from the SPI its receiver chose */
    rc = ivpn_v1_keymat(sa->prf, sa->k.d, sa->k.len, qm->gxy, qm->gxy_len,
                        IVPN_ISAKMP_PROTO_ESP, qm->spi_in, qm->ni, qm->ni_len, qm->nr,
                        qm->nr_len, km_in, ek + ak);
    if (rc == IPSECVPN_OK)
        rc = ivpn_v1_keymat(sa->prf, sa->k.d, sa->k.len, qm->gxy, qm->gxy_len,
                            IVPN_ISAKMP_PROTO_ESP, qm->spi_out, qm->ni, qm->ni_len, qm->nr,
                            qm->nr_len, km_out, ek + ak);
    ivpn_child_keys keys = {
        .encr_in = km_in,
        .integ_in = ak ? km_in + ek : NULL,
        .encr_out = km_out,
        .integ_out = ak ? km_out + ek : NULL,
        .encr_len = ek,
        .integ_len = ak,
    };
    ivpn_child_params p = {
        .algs = &qm->algs,
        .spi_in = qm->spi_in,
        .spi_out = qm->spi_out,
        .local_ts = &qm->local_ts,
        .remote_ts = &qm->remote_ts,
        .keys = &keys,
        .local = sa->local,
        .remote = sa->remote,
        .encap = ivpn_v1_p2_floated(sa),
        .transport = qm->transport,
        .lifetime_s = qm->lifetime_s,
        .log_prefix = "IKEv1",
    };
    ivpn_child *cur = replaced_pair(c, qm);
    pair_fate fate = fate_of(c, qm, cur);
    bool replaces = fate == FATE_REPLACES || fate == FATE_WINS;
    /* a pair that does not replace the current one names itself: not listed yet, nothing is
     * retired by the install (it is retired below, a rekey all the same for the host) */
    p.rekey_of = replaces ? cur->spi_in : qm->spi_in;
    if (rc == IPSECVPN_OK)
        rc = ivpn_child_sa_install(e, c, &p, fate != FATE_FIRST, now);
    ivpn_wipe(km_in, sizeof(km_in));
    ivpn_wipe(km_out, sizeof(km_out));
    if (qm->gxy) {
        ivpn_wipe(qm->gxy, qm->gxy_len);
        ivpn_free(e->ctx, qm->gxy);
        qm->gxy = NULL;
        qm->gxy_len = 0;
    }
    ivpn_child *nw = rc == IPSECVPN_OK ? ivpn_child_find(c, qm->spi_in) : NULL;
    if (nw)
        stamp_installed(c, now);
    if (!nw) {
        rc = rc != IPSECVPN_OK ? rc : IPSECVPN_ERR_STATE;
        IVPN_LOG_WARN(e->ctx, "IKEv1: quick mode %08x: Child SA not installed: %s", qm->msgid,
                      ipsecvpn_strerror(rc));
        return rc;
    }
    if (replaces && qm->initiator) {
        /* The peer installs the new pair only when our HASH(3) arrives: until it has (its
         * first packet on the new pair shows it, ivpn_v1_dpd_alive) we keep sending on the
         * replaced one, which stays current while switching (replaced_by set, rekey_at = the
         * switch deadline). It is deleted a few seconds later. */
        delete_soon(cur, now);
        cur->retired = false;
        cur->rekey_at = now + SWITCH_MS;
    }
    if (fate == FATE_LOSES || fate == FATE_OUTDATED) {
        /* receives what the peer sends on it until it goes; we keep sending on cur */
        ivpn_child_retire(nw, cur->spi_in);
        if (fate == FATE_LOSES)
            settle_collision(e, c, cur, nw, now);
        else
            IVPN_LOG_INFO(e->ctx, "IKEv1: quick mode %08x's pair was replaced by the peer "
                                  "already", qm->msgid);
    } else if (fate == FATE_WINS) {
        settle_collision(e, c, nw, cur, now);
    }
    ivpn_engine_set_status(e, c, IPSECVPN_STATUS_ACTIVE, 0);
    return IPSECVPN_OK;
}

/* ---- initiator ------------------------------------------------------------------------------ */

/* Transport mode: our selectors narrowed to the two hosts; IPSECVPN_ERR_IKE_TS (logged) when the
 * configuration does not cover them. */
static int transport_ts(ipsecvpn_engine *e, const ivpn_v1_sa *sa, const ivpn_ts_set *local,
                        const ivpn_ts_set *remote, ivpn_ts_set *out_local,
                        ivpn_ts_set *out_remote)
{
    ivpn_ts_host(local, &sa->local, out_local);
    ivpn_ts_host(remote, &sa->remote, out_remote);
    if (out_local->n && out_remote->n)
        return IPSECVPN_OK;
    IVPN_LOG_WARN(e->ctx, "IKEv1: transport mode: the %s address is outside the protected "
                          "selectors", out_local->n ? "peer's" : "local");
    return IPSECVPN_ERR_IKE_TS;
}

/* HDR*, HASH(1), SA, Ni [, KE ] [, IDci, IDcr ] --> */
int ivpn_v1_quick_start(ipsecvpn_engine *e, ivpn_conn *c, uint32_t rekey_of, uint64_t now)
{
    ivpn_v1_sa *sa = ivpn_v1_current(c);
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    if (!sa) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: quick mode not started: no ISAKMP SA");
        return IPSECVPN_ERR_STATE;
    }
    ivpn_v1_qm *qm = ivpn_zalloc(e->ctx, sizeof(*qm));
    ivpn_isakmp_sa *prop = ivpn_malloc(e->ctx, sizeof(*prop));
    ivpn_v1_msg *m = ivpn_malloc(e->ctx, sizeof(*m));
    int rc = qm && prop && m ? IPSECVPN_OK : IPSECVPN_ERR_NOMEM;
    if (rc == IPSECVPN_OK) {
        qm->initiator = true;
        qm->rekey_of = rekey_of;
        qm->algs.dh = v->ipsec.pfs;
        qm->transport = v->ipsec.mode == IVPN_IPSEC_TRANSPORT;
        /* one selector per side in IKEv1 (the configuration refuses more); in transport
         * mode the two hosts' own addresses (RFC 4301 §4.1) */
        ivpn_ts_set l1 = { c->cfg_local_ts.ts, 1, 1 }, r1 = { c->cfg_remote_ts.ts, 1, 1 };
        IVPN_TS_SET_LOCAL(lh);
        IVPN_TS_SET_LOCAL(rh);
        rc = c->cfg_local_ts.n && c->cfg_remote_ts.n ? IPSECVPN_OK : IPSECVPN_ERR_STATE;
        if (rc == IPSECVPN_OK && qm->transport)
            rc = transport_ts(e, sa, &l1, &r1, &lh, &rh);
        if (rc == IPSECVPN_OK && qm->transport) {
            l1 = lh;
            r1 = rh;
        }
        if (rc == IPSECVPN_OK)
            rc = ivpn_ts_set_copy(e->ctx, &l1, &qm->local_ts);
        if (rc == IPSECVPN_OK)
            rc = ivpn_ts_set_copy(e->ctx, &r1, &qm->remote_ts);
    }
    if (rc == IPSECVPN_OK) {
        rc = ivpn_v1_new_msgid(e, sa, &qm->msgid);
    }
    if (rc == IPSECVPN_OK)
        rc = ivpn_child_new_spi(e, &qm->spi_in);
    if (rc == IPSECVPN_OK)
        rc = ivpn_v1_p2_proposal(&v->ipsec, qm->spi_in, ivpn_v1_p2_floated(sa), prop);
    if (rc == IPSECVPN_OK)
        rc = qm_secrets(e, qm, qm->ni, &qm->ni_len);
    if (rc == IPSECVPN_OK)
        rc = ivpn_v1_p2_iv(sa, qm->msgid, qm->iv);
    uint8_t *out = NULL;
    size_t len = 0;
    if (rc == IPSECVPN_OK) {
        ivpn_v1_msg_begin(m, sa, IVPN_ISAKMP_EX_QUICK, qm->msgid, true);
        size_t hash_at = ivpn_v1_msg_hash_slot(m, sa);
        add_sa(m, prop);
        add_raw(m, IVPN_ISAKMP_PL_NONCE, qm->ni, qm->ni_len);
        if (qm->algs.dh)
            rc = add_ke(m, qm);
        add_ids(m, qm);
        if (rc == IPSECVPN_OK)
            rc = ivpn_v1_p2_hash_fill(sa, m, hash_at, qm->msgid, NULL, 0);
        if (rc == IPSECVPN_OK)
            rc = finish_send(e, sa, qm, m, &out, &len);
    }
    ivpn_free(e->ctx, prop);
    ivpn_free(e->ctx, m);
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: quick mode not started: %s", ipsecvpn_strerror(rc));
        if (qm)
            qm_free(e, qm);
        return rc;
    }
    qm->state = IVPN_V1_QM_I1;
    qm->started_at = start_stamp(c, now);
    ivpn_v1_rtx_set(e, &qm->rtx, out, len, true, NULL, 0, now);
    qm->next = sa->qm;
    sa->qm = qm;
    IVPN_LOG_INFO(e->ctx, "IKEv1: quick mode %08x started%s%s", qm->msgid,
                  rekey_of ? " (rekey)" : "", qm->algs.dh ? " with PFS" : "");
    if (c->status != IPSECVPN_STATUS_ACTIVE)
        ivpn_engine_set_status(e, c, IPSECVPN_STATUS_BUILD, 0);
    return IPSECVPN_OK;
}

/* IDci and IDcr of a received message as selectors (got: storage for one each). */
static int read_ids(const ipsecvpn_ctx *ctx, const ivpn_v1_rx *rx, ivpn_ts_set *got[2])
{
    unsigned k = 0;
    for (uint8_t i = 0; i < rx->pl.count && k < 2; i++) {
        if (rx->pl.items[i].type != IVPN_ISAKMP_PL_ID)
            continue;
        ivpn_isakmp_id id;
        if (ivpn_isakmp_id_decode(ctx, rx->pl.items[i].body, &id) != IPSECVPN_OK ||
            ivpn_v1_id_to_ts(&id, got[k]) != IPSECVPN_OK)
            return IPSECVPN_ERR_IKE_TS;
        k++;
    }
    return k == 2 ? IPSECVPN_OK : IPSECVPN_ERR_IKE_TS;
}

/* Keep owned copies of the exchange's selectors. */
static int set_ts(const ipsecvpn_ctx *ctx, ivpn_v1_qm *qm, const ivpn_ts_set *local,
                  const ivpn_ts_set *remote)
{
    ivpn_ts_set_free(ctx, &qm->local_ts);
    ivpn_ts_set_free(ctx, &qm->remote_ts);
    int rc = ivpn_ts_set_copy(ctx, local, &qm->local_ts);
    if (rc == IPSECVPN_OK)
        rc = ivpn_ts_set_copy(ctx, remote, &qm->remote_ts);
    return rc;
}

/* The IDs of an answer: absent means the ones we sent; present, they must be ours. */
static int reply_ids(const ivpn_v1_rx *rx, ivpn_v1_qm *qm, const ipsecvpn_ctx *ctx)
{
    if (ivpn_isakmp_list_count(&rx->pl, IVPN_ISAKMP_PL_ID) == 0)
        return IPSECVPN_OK;
    IVPN_TS_SET_LOCAL(ci);
    IVPN_TS_SET_LOCAL(cr);
    ivpn_ts_set *got[2] = { &ci, &cr };
    int rc = read_ids(ctx, rx, got);
    /* within what we offered: the configuration, or the two hosts in transport mode */
    if (rc == IPSECVPN_OK &&
        (!ivpn_ts_subset(&ci, &qm->local_ts) || !ivpn_ts_subset(&cr, &qm->remote_ts)))
        rc = IPSECVPN_ERR_IKE_TS;
    if (rc == IPSECVPN_OK)
        rc = set_ts(ctx, qm, &ci, &cr);
    return rc;
}

/* The initiator gives up on an exchange the peer refused or answered unacceptably. */
static void initiator_failed(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, ivpn_v1_qm *qm,
                             int reason, uint64_t now)
{
    IVPN_LOG_WARN(e->ctx, "IKEv1: quick mode %08x failed: %s", qm->msgid,
                  ipsecvpn_strerror(reason));
    ivpn_child *old = qm->rekey_of ? ivpn_child_find(c, qm->rekey_of) : NULL;
    qm_unlink(e, sa, qm);
    if (old && !old->retired) {
        uint8_t r = 0;
        (void)ivpn_random(e->ctx, &r, 1);
        old->rekey_at = now + 10000 + (uint64_t)(r % 10) * 1000; /* try again later */
    } else if (!ivpn_child_current(c)) {
        ivpn_engine_set_status(e, c, IPSECVPN_STATUS_ERROR, reason);
    }
}

void ivpn_v1_qm_refused(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, uint32_t spi,
                        int reason, uint64_t now)
{
    ivpn_v1_qm *hit = NULL;
    for (ivpn_v1_qm *q = sa->qm; q && !hit; q = q->next)
        if (q->initiator && q->state == IVPN_V1_QM_I1 && (!spi || q->spi_in == spi))
            hit = q;
    if (!hit && spi) /* the SPI may name the peer's side: any exchange of ours then */
        for (ivpn_v1_qm *q = sa->qm; q && !hit; q = q->next)
            if (q->initiator && q->state == IVPN_V1_QM_I1)
                hit = q;
    if (hit)
        initiator_failed(e, c, sa, hit, reason, now);
    else if (!ivpn_child_current(c))
        ivpn_engine_set_status(e, c, IPSECVPN_STATUS_ERROR, reason);
}

/*   <-- HDR*, HASH(2), SA, Nr [, KE ] [, IDci, IDcr ]
 * then  HDR*, HASH(3) --> */
static int initiator_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, ivpn_v1_qm *qm,
                        const uint8_t *msg, size_t len, uint64_t now)
{
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    uint8_t iv[IVPN_V1_BLOCK_MAX];
    memcpy(iv, qm->iv, sizeof(iv));
    ivpn_v1_rx rx;
    memset(&rx, 0, sizeof(rx));
    int rc = ivpn_v1_rx_open(e, sa, iv, IVPN_V1_MSG_QM2, msg, len, &rx);
    if (rc == IPSECVPN_OK && ivpn_v1_p2_hash_check(sa, &rx, qm->ni, qm->ni_len) != IPSECVPN_OK)
        rc = IPSECVPN_ERR_IKE_INTEGRITY;
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: quick mode %08x: bad QM2 dropped: %s", qm->msgid,
                      ipsecvpn_strerror(rc));
        ivpn_v1_rx_free(e, &rx);
        return rc;
    }
    ivpn_v1_dpd_alive(c, now);
    /* authentic: from here on a refusal ends this exchange */
    ivpn_isakmp_sa *reply = ivpn_malloc(e->ctx, sizeof(*reply));
    ivpn_v1_p2_choice ch;
    const ivpn_isakmp_payload_ref *p_sa = ivpn_isakmp_list_find(&rx.pl, IVPN_ISAKMP_PL_SA);
    const ivpn_isakmp_payload_ref *p_n = ivpn_isakmp_list_find(&rx.pl, IVPN_ISAKMP_PL_NONCE);
    const ivpn_isakmp_payload_ref *p_ke = ivpn_isakmp_list_find(&rx.pl, IVPN_ISAKMP_PL_KE);
    rc = reply ? IPSECVPN_OK : IPSECVPN_ERR_NOMEM;
    if (rc == IPSECVPN_OK && (!p_sa || !p_n || ivpn_isakmp_nonce_check(e->ctx, p_n->body) ||
                              ivpn_isakmp_sa_decode(e->ctx, p_sa->body, reply)))
        rc = IPSECVPN_ERR_IKE_MALFORMED;
    if (rc == IPSECVPN_OK && ivpn_v1_p2_check_reply(reply, &v->ipsec, &ch) != IPSECVPN_OK)
        rc = IPSECVPN_ERR_IKE_NO_PROPOSAL;
    if (rc == IPSECVPN_OK && (p_ke != NULL) != (ch.algs.dh != 0))
        rc = IPSECVPN_ERR_IKE_MALFORMED;
    if (rc == IPSECVPN_OK)
        rc = reply_ids(&rx, qm, e->ctx);
    if (rc == IPSECVPN_OK) {
        qm->spi_out = ch.spi;
        qm->algs = ch.algs;
        qm->lifetime_s = ch.lifetime_s;
        qm->transport = ch.transport;
        qm->nr_len = p_n->body.len;
        memcpy(qm->nr, p_n->body.p, qm->nr_len);
        if (ch.algs.dh)
            rc = qm_shared(e, qm, p_ke);
    }
    ivpn_free(e->ctx, reply);
    if (rc != IPSECVPN_OK) {
        ivpn_v1_rx_free(e, &rx);
        uint8_t spi[4] = { (uint8_t)(qm->spi_in >> 24), (uint8_t)(qm->spi_in >> 16),
                           (uint8_t)(qm->spi_in >> 8), (uint8_t)qm->spi_in };
        uint16_t type = rc == IPSECVPN_ERR_IKE_TS ? IVPN_ISAKMP_N_INVALID_ID_INFORMATION
                        : rc == IPSECVPN_ERR_IKE_NO_PROPOSAL ? IVPN_ISAKMP_N_NO_PROPOSAL_CHOSEN
                                                             : IVPN_ISAKMP_N_PAYLOAD_MALFORMED;
        (void)ivpn_v1_notify_send(e, sa, IVPN_ISAKMP_PROTO_ESP, spi, 4, type, NULL, 0);
        initiator_failed(e, c, sa, qm, rc, now);
        return rc;
    }
    memcpy(qm->iv, iv, sizeof(iv));

    /* HDR*, HASH(3) --> */
    ivpn_v1_msg *m = ivpn_malloc(e->ctx, sizeof(*m));
    uint8_t *out = NULL;
    size_t olen = 0;
    rc = m ? IPSECVPN_OK : IPSECVPN_ERR_NOMEM;
    if (rc == IPSECVPN_OK) {
        ivpn_v1_msg_begin(m, sa, IVPN_ISAKMP_EX_QUICK, qm->msgid, true);
        size_t hash_at = ivpn_v1_msg_hash_slot(m, sa);
        rc = ivpn_wr_status(&m->w);
        if (rc == IPSECVPN_OK)
            rc = ivpn_v1_hash3(sa->prf, sa->k.a, sa->k.len, qm->msgid, qm->ni, qm->ni_len,
                               qm->nr, qm->nr_len, m->buf + hash_at);
        if (rc == IPSECVPN_OK)
            rc = finish_send(e, sa, qm, m, &out, &olen);
    }
    ivpn_free(e->ctx, m);
    if (rc == IPSECVPN_OK) {
        /* a repeated QM2 means our HASH(3) was lost: it is sent again */
        ivpn_v1_rtx_set(e, &qm->rtx, out, olen, false, msg, len, now);
        qm->state = IVPN_V1_QM_DONE;
        qm->drop_at = now + QM_KEEP_MS;
        rc = install(e, c, sa, qm, now);
    } else {
        initiator_failed(e, c, sa, qm, rc, now);
    }
    ivpn_v1_rx_free(e, &rx);
    return rc;
}

/* ---- responder ------------------------------------------------------------------------------ */

/* The IDs of an offer: within ours (IKEv1 cannot narrow), or the ISAKMP endpoints when absent.
 * A transport-mode offer must name exactly the two hosts (RFC 4301 §4.1): wider selectors
 * would let other addresses' packets into an SA that strips their IP header. */
static int offer_ids(const ivpn_conn *c, const ivpn_v1_sa *sa, const ivpn_v1_rx *rx,
                     ivpn_v1_qm *qm, bool transport, const ipsecvpn_ctx *ctx)
{
    IVPN_TS_SET_LOCAL(ci); /* the peer's side */
    IVPN_TS_SET_LOCAL(cr); /* ours */
    ivpn_ts_set *got[2] = { &ci, &cr };
    int rc = IPSECVPN_OK;
    if (ivpn_isakmp_list_count(&rx->pl, IVPN_ISAKMP_PL_ID) == 0) {
        const ipsecvpn_endpoint *ep[2] = { &sa->remote, &sa->local };
        for (int i = 0; i < 2 && rc == IPSECVPN_OK; i++) {
            uint8_t n = ep[i]->addr.family == IPSECVPN_IPV6 ? 16 : 4;
            ivpn_isakmp_id id = { .type = n == 16 ? IVPN_ISAKMP_ID_IPV6_ADDR
                                                  : IVPN_ISAKMP_ID_IPV4_ADDR,
                                  .data = { ep[i]->addr.bytes, n } };
            rc = ivpn_v1_id_to_ts(&id, got[i]);
        }
    } else {
        rc = read_ids(ctx, rx, got);
    }
    if (rc == IPSECVPN_OK &&
        (!ivpn_ts_subset(&ci, &c->cfg_remote_ts) || !ivpn_ts_subset(&cr, &c->cfg_local_ts)))
        rc = IPSECVPN_ERR_IKE_TS;
    if (rc == IPSECVPN_OK && transport) {
        IVPN_TS_SET_LOCAL(hi);
        IVPN_TS_SET_LOCAL(hr);
        ivpn_ts_host(&ci, &sa->remote, &hi);
        ivpn_ts_host(&cr, &sa->local, &hr);
        if (!hi.n || !hr.n || !ivpn_ts_set_equal(&hi, &ci) || !ivpn_ts_set_equal(&hr, &cr))
            rc = IPSECVPN_ERR_IKE_TS;
    }
    if (rc == IPSECVPN_OK)
        rc = set_ts(ctx, qm, &cr, &ci);
    return rc;
}

/* Refuse an authentic offer: a protected notify, no exchange kept. */
static int refuse(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, uint32_t msgid, int rc)
{
    uint16_t type = rc == IPSECVPN_ERR_IKE_TS ? IVPN_ISAKMP_N_INVALID_ID_INFORMATION
                    : rc == IPSECVPN_ERR_IKE_NO_PROPOSAL ? IVPN_ISAKMP_N_NO_PROPOSAL_CHOSEN
                                                         : IVPN_ISAKMP_N_PAYLOAD_MALFORMED;
    IVPN_LOG_WARN(e->ctx, "IKEv1: quick mode %08x refused: %s", msgid, ipsecvpn_strerror(rc));
    (void)ivpn_v1_notify_send(e, sa, IVPN_ISAKMP_PROTO_ESP, NULL, 0, type, NULL, 0);
    if (!ivpn_child_current(c))
        ivpn_engine_set_status(e, c, IPSECVPN_STATUS_ERROR, rc);
    return rc;
}

/*   HDR*, HASH(1), SA, Ni [, KE ] [, IDci, IDcr ] -->
 * <-- HDR*, HASH(2), SA, Nr [, KE ] [, IDci, IDcr ] */
static int responder_rx_qm1(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, uint32_t msgid,
                            const uint8_t *msg, size_t len, uint64_t now)
{
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    uint8_t iv[IVPN_V1_BLOCK_MAX];
    ivpn_v1_rx rx;
    memset(&rx, 0, sizeof(rx));
    int rc = ivpn_v1_p2_iv(sa, msgid, iv);
    if (rc == IPSECVPN_OK)
        rc = ivpn_v1_rx_open(e, sa, iv, IVPN_V1_MSG_QM1, msg, len, &rx);
    if (rc == IPSECVPN_OK && ivpn_v1_p2_hash_check(sa, &rx, NULL, 0) != IPSECVPN_OK)
        rc = IPSECVPN_ERR_IKE_INTEGRITY;
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: quick mode %08x: bad QM1 dropped: %s", msgid,
                      ipsecvpn_strerror(rc));
        ivpn_v1_rx_free(e, &rx);
        return rc;
    }
    ivpn_v1_dpd_alive(c, now);
    ivpn_v1_qm *qm = ivpn_zalloc(e->ctx, sizeof(*qm));
    ivpn_isakmp_sa *offer = ivpn_malloc(e->ctx, sizeof(*offer));
    ivpn_v1_msg *m = ivpn_malloc(e->ctx, sizeof(*m));
    ivpn_v1_p2_choice ch;
    const ivpn_isakmp_payload_ref *p_sa = ivpn_isakmp_list_find(&rx.pl, IVPN_ISAKMP_PL_SA);
    const ivpn_isakmp_payload_ref *p_n = ivpn_isakmp_list_find(&rx.pl, IVPN_ISAKMP_PL_NONCE);
    const ivpn_isakmp_payload_ref *p_ke = ivpn_isakmp_list_find(&rx.pl, IVPN_ISAKMP_PL_KE);
    rc = qm && offer && m ? IPSECVPN_OK : IPSECVPN_ERR_NOMEM;
    if (rc == IPSECVPN_OK && (!p_sa || !p_n || ivpn_isakmp_nonce_check(e->ctx, p_n->body) ||
                              ivpn_isakmp_sa_decode(e->ctx, p_sa->body, offer)))
        rc = IPSECVPN_ERR_IKE_MALFORMED;
    if (rc == IPSECVPN_OK && ivpn_v1_p2_select(offer, &v->ipsec, &ch) != IPSECVPN_OK)
        rc = IPSECVPN_ERR_IKE_NO_PROPOSAL;
    /* KE exactly when the chosen transform asks for PFS */
    if (rc == IPSECVPN_OK && (p_ke != NULL) != (ch.algs.dh != 0))
        rc = IPSECVPN_ERR_IKE_NO_PROPOSAL;
    if (rc == IPSECVPN_OK)
        rc = offer_ids(c, sa, &rx, qm, ch.transport, e->ctx);
    bool with_ids = ivpn_isakmp_list_count(&rx.pl, IVPN_ISAKMP_PL_ID) != 0;
    if (rc == IPSECVPN_OK) {
        qm->msgid = msgid;
        qm->spi_out = ch.spi;
        qm->algs = ch.algs;
        qm->lifetime_s = ch.lifetime_s;
        qm->transport = ch.transport;
        qm->ni_len = p_n->body.len;
        memcpy(qm->ni, p_n->body.p, qm->ni_len);
        memcpy(qm->iv, iv, sizeof(iv));
        rc = ivpn_child_new_spi(e, &qm->spi_in);
    }
    if (rc == IPSECVPN_OK)
        rc = qm_secrets(e, qm, qm->nr, &qm->nr_len);
    /* our public value first: qm_shared frees the DH object */
    uint8_t pub[1024];
    const ivpn_dh_info *di = ch.algs.dh ? ivpn_dh_lookup(ch.algs.dh) : NULL;
    if (rc == IPSECVPN_OK && ch.algs.dh) {
        rc = di && di->public_len <= sizeof(pub) ? ivpn_dh_public(qm->dh, pub, di->public_len)
                                                 : IPSECVPN_ERR_CRYPTO_ALG;
        if (rc == IPSECVPN_OK)
            rc = qm_shared(e, qm, p_ke);
    }
    if (rc == IPSECVPN_OK) {
        ivpn_v1_msg_begin(m, sa, IVPN_ISAKMP_EX_QUICK, msgid, true);
        size_t hash_at = ivpn_v1_msg_hash_slot(m, sa);
        ivpn_v1_p2_reply(&ch, qm->spi_in, offer);
        add_sa(m, offer);
        add_raw(m, IVPN_ISAKMP_PL_NONCE, qm->nr, qm->nr_len);
        if (di)
            add_raw(m, IVPN_ISAKMP_PL_KE, pub, di->public_len);
        if (with_ids)
            add_ids(m, qm);
        rc = ivpn_v1_p2_hash_fill(sa, m, hash_at, msgid, qm->ni, qm->ni_len);
    }
    uint8_t *out = NULL;
    size_t olen = 0;
    if (rc == IPSECVPN_OK)
        rc = finish_send(e, sa, qm, m, &out, &olen);
    ivpn_free(e->ctx, offer);
    ivpn_free(e->ctx, m);
    ivpn_v1_rx_free(e, &rx);
    if (rc != IPSECVPN_OK) {
        if (qm)
            qm_free(e, qm);
        return refuse(e, c, sa, msgid, rc);
    }
    qm->state = IVPN_V1_QM_R1;
    qm->started_at = start_stamp(c, now);
    qm->drop_at = now + QM_KEEP_MS;
    /* QM2 again when the initiator's QM1 comes again, and on a timer until HASH(3) is in:
     * a lost QM3 is recovered by the initiator answering the repeated QM2 */
    ivpn_v1_rtx_set(e, &qm->rtx, out, olen, true, msg, len, now);
    qm->next = sa->qm;
    sa->qm = qm;
    IVPN_LOG_INFO(e->ctx, "IKEv1: quick mode %08x answered%s", msgid,
                  qm->algs.dh ? " with PFS" : "");
    return IPSECVPN_OK;
}

/* HDR*, HASH(3) --> : the pair goes in */
static int responder_rx_qm3(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, ivpn_v1_qm *qm,
                            const uint8_t *msg, size_t len, uint64_t now)
{
    uint8_t iv[IVPN_V1_BLOCK_MAX];
    memcpy(iv, qm->iv, sizeof(iv));
    ivpn_v1_rx rx;
    memset(&rx, 0, sizeof(rx));
    int rc = ivpn_v1_rx_open(e, sa, iv, IVPN_V1_MSG_QM3, msg, len, &rx);
    uint8_t want[IVPN_V1_KEY_MAX];
    if (rc == IPSECVPN_OK)
        rc = ivpn_v1_hash3(sa->prf, sa->k.a, sa->k.len, qm->msgid, qm->ni, qm->ni_len, qm->nr,
                           qm->nr_len, want);
    if (rc == IPSECVPN_OK &&
        (rx.pl.count < 1 || rx.pl.items[0].type != IVPN_ISAKMP_PL_HASH ||
         rx.pl.items[0].body.len != sa->k.len ||
         !ivpn_ct_equal(want, rx.pl.items[0].body.p, sa->k.len)))
        rc = IPSECVPN_ERR_IKE_INTEGRITY;
    ivpn_wipe(want, sizeof(want));
    ivpn_v1_rx_free(e, &rx);
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: quick mode %08x: bad QM3 dropped: %s", qm->msgid,
                      ipsecvpn_strerror(rc));
        return rc;
    }
    ivpn_v1_dpd_alive(c, now);
    memcpy(qm->iv, iv, sizeof(iv));
    qm->rtx.at = 0; /* done: QM2 only answers a repeated QM1 from now on */
    qm->state = IVPN_V1_QM_DONE;
    qm->drop_at = now + QM_KEEP_MS;
    rc = install(e, c, sa, qm, now);
    if (rc != IPSECVPN_OK && !ivpn_child_current(c))
        ivpn_engine_set_status(e, c, IPSECVPN_STATUS_ERROR, rc);
    return rc;
}

int ivpn_v1_quick_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, const uint8_t *msg,
                     size_t len, uint64_t now)
{
    ivpn_isakmp_header h;
    int rc = ivpn_isakmp_header_decode(e->ctx, msg, len, &h);
    if (rc != IPSECVPN_OK)
        return rc;
    if (h.message_id == 0 || !(h.flags & IVPN_ISAKMP_FLAG_ENC) ||
        sa->state != IVPN_V1_P1_ESTABLISHED) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: quick mode message %08x %s: dropped", h.message_id,
                      sa->state != IVPN_V1_P1_ESTABLISHED ? "before phase 1 completed"
                                                          : "unencrypted or without M-ID");
        return IPSECVPN_ERR_IKE_UNEXPECTED;
    }
    ivpn_v1_qm *qm = qm_find(sa, h.message_id);
    if (!qm)
        return responder_rx_qm1(e, c, sa, h.message_id, msg, len, now);
    if (ivpn_v1_rtx_duplicate(e, sa, &qm->rtx, msg, len)) {
        IVPN_LOG_DEBUG(e->ctx, "IKEv1: quick mode %08x: repeated message, answer resent",
                       qm->msgid);
        return IPSECVPN_OK;
    }
    if (qm->initiator && qm->state == IVPN_V1_QM_I1)
        return initiator_rx(e, c, sa, qm, msg, len, now);
    if (!qm->initiator && qm->state == IVPN_V1_QM_R1)
        return responder_rx_qm3(e, c, sa, qm, msg, len, now);
    IVPN_LOG_DEBUG(e->ctx, "IKEv1: quick mode %08x: message after the exchange ended, dropped",
                   qm->msgid);
    return IPSECVPN_ERR_IKE_UNEXPECTED;
}

/* ---- timers --------------------------------------------------------------------------------- */

uint64_t ivpn_v1_qm_next_expiry(const ivpn_v1_sa *sa)
{
    uint64_t t = UINT64_MAX;
    for (const ivpn_v1_qm *q = sa->qm; q; q = q->next) {
        if (q->drop_at && q->drop_at < t)
            t = q->drop_at;
        if (q->state != IVPN_V1_QM_DONE && q->rtx.at && q->rtx.at < t)
            t = q->rtx.at;
    }
    return t;
}

bool ivpn_v1_qm_expiry(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, uint64_t now)
{
    ivpn_v1_qm **p = &sa->qm;
    while (*p) {
        ivpn_v1_qm *q = *p;
        if (q->drop_at && now >= q->drop_at) {
            if (q->state == IVPN_V1_QM_R1)
                IVPN_LOG_INFO(e->ctx, "IKEv1: quick mode %08x: no QM3 came, dropped", q->msgid);
            *p = q->next;
            qm_free(e, q);
            continue;
        }
        if (q->state == IVPN_V1_QM_R1 && q->rtx.at && now >= q->rtx.at)
            (void)ivpn_v1_rtx_fire(e, sa, &q->rtx, now); /* exhausted: dropped at drop_at */
        if (q->state == IVPN_V1_QM_I1 && q->rtx.at && now >= q->rtx.at &&
            !ivpn_v1_rtx_fire(e, sa, &q->rtx, now)) {
            IVPN_LOG_WARN(e->ctx, "IKEv1: quick mode %08x: no answer after %u retransmissions",
                          q->msgid, q->rtx.tries);
            *p = q->next;
            qm_free(e, q);
            if (ivpn_child_first(c)) {
                ivpn_v1_peer_dead(e, c, now);
            } else {
                ivpn_v1_fail(e, c, IPSECVPN_STATUS_ERROR, IPSECVPN_ERR_IKE_TIMEOUT);
            }
            return false;
        }
        p = &q->next;
    }
    return true;
}
