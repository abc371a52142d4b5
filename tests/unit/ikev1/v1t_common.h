/*
 * Helpers shared by test_v1_reliability.c and test_v1_lifecycle.c (owner: v1-tests): two
 * IKEv1 engines on the in-memory harness of tests/unit/ike, a classifier that names each
 * ISAKMP datagram by its place in RFC 2409 (MM1..MM6, AM1..AM3, QM1..QM3, informational),
 * ESP pings through the engines' own SAs, and a "chaos" wire that holds datagrams back for a
 * seeded random time so they arrive out of order.
 *
 * Header-only (static functions): each test binary includes it once. The classifier keeps
 * its state in statics; Criterion runs every test in its own process.
 */
#ifndef V1T_COMMON_H
#define V1T_COMMON_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../ike/harness.h"
#include "ike/common/child_sa.h"
#include "ike/v1/v1_internal.h"

/* ---- which message is it --------------------------------------------------------------- */

typedef enum v1t_kind {
    K_OTHER = 0,
    K_MM1, K_MM2, K_MM3, K_MM4, K_MM5, K_MM6,
    K_AM1, K_AM2, K_AM3,
    K_QM1, K_QM2, K_QM3,
    K_INFO,
    K_COUNT
} v1t_kind;

static const char *const v1t_names[K_COUNT] = {
    "other", "MM1", "MM2", "MM3", "MM4", "MM5", "MM6", "AM1", "AM2", "AM3",
    "QM1", "QM2", "QM3", "INFO",
};

#define V1T_LOG_MAX 512
#define V1T_QM_MAX 64

typedef struct v1t_state {
    int p1_init_side;            /* sender of the last phase-1 message with CKY-R zero */
    struct { uint32_t msgid; int from; } qm[V1T_QM_MAX];
    size_t n_qm;
    /* every IKE datagram offered to the wire, in order, with its sender */
    v1t_kind log[V1T_LOG_MAX];
    int log_from[V1T_LOG_MAX];
    size_t n_log;
    unsigned count[2][K_COUNT];  /* per sender */
    /* drop-once / hold-back filters */
    v1t_kind drop_kind;
    int drop_from;               /* -1: any sender */
    bool dropped;
} v1t_state;

static v1t_state v1t;

static inline void v1t_reset(void)
{
    memset(&v1t, 0, sizeof(v1t));
    v1t.p1_init_side = 0;
    v1t.drop_from = -1;
}

static inline uint32_t v1t_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Offset of the ISAKMP header in a datagram, or -1 if it is not IKE (ESP, keepalive). */
static inline int v1t_isakmp_off(const h_dgram *d)
{
    static const uint8_t marker[4] = { 0 };
    size_t o = 0;
    if (d->dst.port != IPSECVPN_IKE_PORT) {
        if (d->len < 4 || memcmp(d->data, marker, 4) != 0)
            return -1;
        o = 4;
    }
    if (d->len < o + IVPN_ISAKMP_HEADER_LEN)
        return -1;
    return (int)o;
}

/* Name a datagram by its place in the exchanges. Quick mode: the first sender of a message
 * ID is its initiator; from it a long message is QM1 (or its retransmission), a short one
 * (HASH(3) only) is QM3; from the other side it is QM2. Updates the classifier state. */
static inline v1t_kind v1t_classify(const h_dgram *d)
{
    int o = v1t_isakmp_off(d);
    if (o < 0)
        return K_OTHER;
    const uint8_t *h = d->data + o;
    int from = 1 - d->to;
    static const uint8_t zero[8] = { 0 };
    bool no_ckyr = memcmp(h + 8, zero, 8) == 0;
    uint8_t first = h[16], exch = h[18], flags = h[19];
    uint32_t msgid = v1t_be32(h + 20), len = v1t_be32(h + 24);
    if ((h[17] >> 4) != 1)
        return K_OTHER; /* not ISAKMP */
    switch (exch) {
    case IVPN_ISAKMP_EX_MAIN:
        if (no_ckyr) {
            v1t.p1_init_side = from;
            return K_MM1;
        }
        if (!(flags & IVPN_ISAKMP_FLAG_ENC) && first == IVPN_ISAKMP_PL_SA)
            return K_MM2;
        if (!(flags & IVPN_ISAKMP_FLAG_ENC))
            return from == v1t.p1_init_side ? K_MM3 : K_MM4;
        return from == v1t.p1_init_side ? K_MM5 : K_MM6;
    case IVPN_ISAKMP_EX_AGGRESSIVE:
        if (no_ckyr) {
            v1t.p1_init_side = from;
            return K_AM1;
        }
        return from == v1t.p1_init_side ? K_AM3 : K_AM2;
    case IVPN_ISAKMP_EX_QUICK: {
        size_t i;
        for (i = 0; i < v1t.n_qm; i++)
            if (v1t.qm[i].msgid == msgid)
                break;
        if (i == v1t.n_qm) {
            if (v1t.n_qm < V1T_QM_MAX) {
                v1t.qm[v1t.n_qm].msgid = msgid;
                v1t.qm[v1t.n_qm++].from = from;
            }
            return K_QM1;
        }
        if (v1t.qm[i].from != from)
            return K_QM2;
        return len < 120 ? K_QM3 : K_QM1;
    }
    case IVPN_ISAKMP_EX_INFO:
        return K_INFO;
    default:
        return K_OTHER;
    }
}

static inline v1t_kind v1t_record(const h_dgram *d)
{
    v1t_kind k = v1t_classify(d);
    if (v1t_isakmp_off(d) < 0)
        return k;
    int from = 1 - d->to;
    if (v1t.n_log < V1T_LOG_MAX) {
        v1t.log[v1t.n_log] = k;
        v1t.log_from[v1t.n_log++] = from;
    }
    v1t.count[from][k]++;
    return k;
}

/* "MM1 MM2 ..." of the log, for failure messages. */
static inline const char *v1t_log_str(void)
{
    static char buf[4096];
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < v1t.n_log && o + 16 < sizeof(buf); i++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%c%s", i ? " " : "",
                              v1t.log_from[i] ? '<' : '>', v1t_names[v1t.log[i]]);
    return buf;
}

static inline unsigned v1t_seen(v1t_kind k) { return v1t.count[0][k] + v1t.count[1][k]; }

/* Filters for h_net.filter */
static inline bool v1t_filter_record(h_net *n, const h_dgram *d, bool *dup)
{
    (void)n;
    (void)dup;
    v1t_record(d);
    return true;
}

static inline bool v1t_filter_drop_once(h_net *n, const h_dgram *d, bool *dup)
{
    (void)n;
    (void)dup;
    v1t_kind k = v1t_record(d);
    if (!v1t.dropped && k == v1t.drop_kind &&
        (v1t.drop_from < 0 || v1t.drop_from == 1 - d->to)) {
        v1t.dropped = true;
        return false;
    }
    return true;
}

static inline bool v1t_filter_dup_all(h_net *n, const h_dgram *d, bool *dup)
{
    (void)n;
    v1t_record(d);
    *dup = true;
    return true;
}

/* ---- setting up ------------------------------------------------------------------------ */

/* Both sides IKEv1 in `mode` ("main" / "aggressive"), plus extra fields for both. */
static inline void v1t_init(h_net *n, const char *mode, const char *const *f, const char *const *v,
                     size_t count)
{
    v1t_reset();
    const char *bf[16] = { "ike.version", "ike.mode" };
    const char *bv[16] = { "ikev1", mode };
    cr_assert(count + 2 <= 16);
    for (size_t i = 0; i < count; i++) {
        bf[i + 2] = f[i];
        bv[i + 2] = v[i];
    }
    h_init(n, bf, bv, count + 2);
    n->filter = v1t_filter_record;
}

static inline ivpn_conn *v1t_conn(h_net *n, int side)
{
    ivpn_conn *c = ivpn_engine_find_conn(n->side[side].e, n->side[side].id);
    cr_assert_not_null(c);
    return c;
}

/* The established ISAKMP SA of a side (asserts there is one). */
static inline ivpn_v1_sa *v1t_sa(h_net *n, int side)
{
    ivpn_conn *c = v1t_conn(n, side);
    cr_assert_not_null(c->v1, "side %d has no IKEv1 state", side);
    cr_assert_not_null(c->v1->sa, "side %d has no ISAKMP SA", side);
    return c->v1->sa;
}

/* The side's current (not retired) Child SA pair (asserts there is one). */
static inline ivpn_child *v1t_cur(h_net *n, int side)
{
    ivpn_child *ch = ivpn_child_current(v1t_conn(n, side));
    cr_assert_not_null(ch, "side %c has no current Child SA", 'A' + side);
    return ch;
}

static inline size_t v1t_event_index(const h_side *s, int type)
{
    for (size_t i = 0; i < s->n_events; i++)
        if (s->events[i] == type)
            return i;
    return SIZE_MAX;
}

static inline unsigned v1t_event_count(const h_side *s, int type)
{
    unsigned k = 0;
    for (size_t i = 0; i < s->n_events; i++)
        k += s->events[i] == type;
    return k;
}

/* Both sides ACTIVE on one ISAKMP SA (same cookies, same SKEYID_d) and current Child SA
 * pairs whose SPIs mirror each other; returns whether the keys of the pair the last
 * CHILD_UP/REKEYED events named were compared too (they must mirror each other). */
static inline bool v1t_check_up(h_net *n, const char *what)
{
    h_side *a = &n->side[0], *b = &n->side[1];
    int ra = 0, rb = 0;
    cr_assert_eq(h_status(a, &ra), IPSECVPN_STATUS_ACTIVE, "%s: A not ACTIVE (reason %d); wire: %s",
                 what, ra, v1t_log_str());
    cr_assert_eq(h_status(b, &rb), IPSECVPN_STATUS_ACTIVE, "%s: B not ACTIVE (reason %d); wire: %s",
                 what, rb, v1t_log_str());
    ivpn_v1_sa *sa = v1t_sa(n, 0), *sb = v1t_sa(n, 1);
    cr_assert_eq(sa->state, IVPN_V1_P1_ESTABLISHED, "%s", what);
    cr_assert_eq(sb->state, IVPN_V1_P1_ESTABLISHED, "%s", what);
    cr_assert_eq(memcmp(sa->cky_i, sb->cky_i, 8), 0, "%s: one ISAKMP SA (CKY-I)", what);
    cr_assert_eq(memcmp(sa->cky_r, sb->cky_r, 8), 0, "%s: one ISAKMP SA (CKY-R)", what);
    cr_assert_eq(sa->k.len, sb->k.len);
    cr_assert_gt(sa->k.len, 0);
    cr_assert_eq(memcmp(sa->k.d, sb->k.d, sa->k.len), 0, "%s: same SKEYID_d", what);
    cr_assert_neq(sa->initiator, sb->initiator, "%s: one initiator, one responder", what);
    ivpn_child *xa = v1t_cur(n, 0), *xb = v1t_cur(n, 1);
    cr_assert_neq(xa->spi_in, 0u);
    cr_assert_eq(xa->spi_out, xb->spi_in, "%s: SPIs mirrored", what);
    cr_assert_eq(xa->spi_in, xb->spi_out, "%s: SPIs mirrored", what);
    /* the last CHILD_UP/REKEYED each side reported: keys in reverse when both name the same
     * pair (after a rekey collision the last event on a side may name the redundant pair,
     * deleted since; then the caller's ESP pings prove the current keys) */
    if (a->child.spi_out != b->child.spi_in || a->child.spi_in != b->child.spi_out)
        return false;
    cr_assert_eq(a->child.ek_len, b->child.ek_len);
    cr_assert_eq(a->child.ak_len, b->child.ak_len);
    cr_assert_gt(a->child.ek_len, 0);
    cr_assert_eq(memcmp(a->child.ek_out, b->child.ek_in, a->child.ek_len), 0, "%s", what);
    cr_assert_eq(memcmp(a->child.ek_in, b->child.ek_out, a->child.ek_len), 0, "%s", what);
    cr_assert_eq(memcmp(a->child.ak_out, b->child.ak_in, a->child.ak_len), 0, "%s", what);
    cr_assert_eq(memcmp(a->child.ak_in, b->child.ak_out, a->child.ak_len), 0, "%s", what);
    cr_assert_neq(memcmp(a->child.ek_in, a->child.ek_out, a->child.ek_len), 0,
                  "%s: each direction has its own key (KEYMAT over the receiver's SPI)", what);
    return true;
}

/* One ICMP echo from side `from` through its engine's ESP to the other side: the same bytes
 * come out. Returns the ESP SPI it travelled on; *rc_out gets the first failing code (then
 * 0 is returned) when rc_out is given, else failures assert. */
static inline uint32_t v1t_ping(h_net *n, int from, uint16_t seq, int *rc_out)
{
    h_side *a = &n->side[from], *b = &n->side[1 - from];
    const char *src = from ? "10.2.0.1" : "10.1.0.1", *dst = from ? "10.1.0.1" : "10.2.0.1";
    uint8_t buf[2048], orig[128];
    size_t off = 128;
    size_t len = h_icmp4(buf, off, src, dst, seq);
    memcpy(orig, buf + off, len);
    ipsecvpn_endpoint l, r;
    size_t oo, ol;
    int rc = ipsecvpn_engine_protect(a->e, buf, sizeof(buf), off, len, n->now, &l, &r, &oo, &ol);
    if (rc_out && rc != IPSECVPN_OK) {
        *rc_out = rc;
        return 0;
    }
    cr_assert_eq(rc, IPSECVPN_OK, "protect %d->%d: %d", from, 1 - from, rc);
    uint32_t spi = v1t_be32(buf + oo);
    ipsecvpn_read_result res;
    rc = ipsecvpn_engine_read(b->e, &r, &l, buf + oo, ol, n->now, &res);
    if (rc_out && rc != IPSECVPN_OK) {
        *rc_out = rc;
        return 0;
    }
    cr_assert_eq(rc, IPSECVPN_OK, "read %d->%d: %d", from, 1 - from, rc);
    cr_assert_eq(res.kind, IPSECVPN_READ_PLAINTEXT);
    cr_assert_eq(res.conn_id, b->id);
    cr_assert_eq(res.len, len);
    cr_assert_eq(memcmp(buf + oo + res.offset, orig, len), 0);
    if (rc_out)
        *rc_out = IPSECVPN_OK;
    return spi;
}

static inline void v1t_ping_both(h_net *n)
{
    v1t_ping(n, 0, 1, NULL);
    v1t_ping(n, 1, 2, NULL);
}

/* Initiate on A and deliver everything (no timers). */
static inline void v1t_up(h_net *n)
{
    h_start(n);
    cr_assert_eq(ipsecvpn_engine_initiate(n->side[0].e, n->side[0].id, n->now), IPSECVPN_OK);
    h_pump(n);
}

/* Step the clock through the engines' deadlines like h_run_until, calling `tick` (if any)
 * after every step; stops early when tick returns true. Returns whether tick stopped it. */
typedef bool (*v1t_tick)(h_net *n, void *arg);
static inline bool v1t_run(h_net *n, uint64_t until, uint64_t max_step, v1t_tick tick, void *arg)
{
    h_pump(n);
    if (tick && tick(n, arg))
        return true;
    for (int rounds = 0; rounds < 200000; rounds++) {
        uint64_t t = n->now + max_step;
        for (int i = 0; i < 2; i++) {
            uint64_t x = ipsecvpn_engine_get_expiry(n->side[i].e);
            if (x < t)
                t = x;
        }
        if (t > until)
            break;
        if (t > n->now)
            n->now = t;
        for (int i = 0; i < 2; i++)
            ipsecvpn_engine_handle_expiry(n->side[i].e, n->now);
        h_pump(n);
        if (tick && tick(n, arg))
            return true;
    }
    if (n->now < until)
        n->now = until;
    return false;
}

#endif
