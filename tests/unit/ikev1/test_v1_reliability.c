/*
 * IKEv1 over a bad wire, through the public engine API: every message of main mode,
 * aggressive mode and quick mode lost once, every message duplicated, datagrams reordered
 * (held back a seeded random time, 20 seeds per mode), the aggressive responder getting QM1
 * before AM3 (strongSwan sends them back to back), and dead peer detection (RFC 3706) with
 * the actions hold, clear and restart.
 *
 * Phase 1 has no message IDs: a retransmitted message is answered again from the answer
 * kept for it (RFC 2409 §5 leaves this to the implementation; RFC 2408 §5.x timers). The side
 * that waits for an answer retransmits on a timer: MM1/MM3/MM5, AM1/AM2, QM1/QM2.
 */
#include <stdlib.h>

#include "v1t_common.h"

/* ---- one message lost ---------------------------------------------------------------------- */

static void lose_once(const char *mode, v1t_kind kind)
{
    h_net n;
    v1t_init(&n, mode, NULL, NULL, 0);
    v1t.drop_kind = kind;
    n.filter = v1t_filter_drop_once;
    h_start(&n);
    uint64_t t0 = n.now;
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_run_until(&n, t0 + 5000);
    cr_assert(v1t.dropped, "%s was never sent; wire: %s", v1t_names[kind], v1t_log_str());
    cr_assert_geq(v1t_seen(kind), 2, "%s was sent again after its loss; wire: %s",
                  v1t_names[kind], v1t_log_str());
    cr_assert(v1t_check_up(&n, v1t_names[kind]), "the last CHILD events name the same pair");
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(n.side[i].child_ups, 1, "side %c: one Child SA (lost %s); wire: %s",
                     'A' + i, v1t_names[kind], v1t_log_str());
        cr_assert_eq(v1t_event_count(&n.side[i], IPSECVPN_EVENT_IKE_UP), 1, "side %c", 'A' + i);
        cr_assert(!h_has_event(&n.side[i], IPSECVPN_EVENT_IKE_DOWN), "side %c", 'A' + i);
    }
    /* one quick mode: every QM message carried the same message ID */
    cr_assert_eq(v1t.n_qm, 1, "one quick mode, %zu message IDs; wire: %s", v1t.n_qm,
                 v1t_log_str());
    v1t_ping_both(&n);
    /* nothing keeps retransmitting once both are up */
    uint64_t sent = n.side[0].sent + n.side[1].sent;
    h_run_until(&n, n.now + 60000);
    cr_assert_eq(n.side[0].sent + n.side[1].sent, sent, "quiet after convergence; wire: %s",
                 v1t_log_str());
    h_free(&n);
}

#define LOSS(mode, kind) \
    Test(ikev1_reliability, mode##_lost_##kind, .timeout = 30) { lose_once(#mode, K_##kind); }

LOSS(main, MM1)
LOSS(main, MM2)
LOSS(main, MM3)
LOSS(main, MM4)
LOSS(main, MM5)
LOSS(main, MM6)
LOSS(main, QM1)
LOSS(main, QM2)
LOSS(main, QM3)
LOSS(aggressive, AM1)
LOSS(aggressive, AM2)
LOSS(aggressive, AM3)
LOSS(aggressive, QM1)
LOSS(aggressive, QM2)
LOSS(aggressive, QM3)

/* QM3 of a phase-2 rekey is lost (ipsec.lifetime 100 s): the responder must still get the
 * new pair, and both sides must end on the same one with traffic flowing. */
static bool drop_rekey_qm3(h_net *n, const h_dgram *d, bool *dup)
{
    (void)n;
    (void)dup;
    v1t_kind k = v1t_record(d);
    if (k == K_QM3 && v1t.n_qm >= 2 && !v1t.dropped) {
        v1t.dropped = true;
        return false;
    }
    return true;
}

static bool qm3_dropped(h_net *n, void *arg)
{
    (void)n;
    (void)arg;
    return v1t.dropped;
}

static void lose_rekey_qm3(const char *mode)
{
    h_net n;
    const char *f[] = { "ipsec.lifetime" };
    const char *v[] = { "100" };
    v1t_init(&n, mode, f, v, 1);
    n.filter = drop_rekey_qm3;
    v1t_up(&n);
    uint32_t a_in = v1t_cur(&n, 0)->spi_in;
    cr_assert(v1t_run(&n, n.now + 95000, 1000, qm3_dropped, NULL),
              "the rekey's QM3 was sent by 95 s; wire: %s", v1t_log_str());
    /* the quick-mode initiator installed its pair on QM2; its outbound SPI is the
     * responder's inbound one, which the responder must install even though QM3 was lost:
     * its QM2 retransmission (500 ms) makes the initiator send QM3 again */
    int rekeyer = v1t.qm[1].from;
    uint32_t spi = v1t_cur(&n, rekeyer)->spi_out;
    h_run_until(&n, n.now + 1600);
    cr_assert_not_null(ivpn_child_find(v1t_conn(&n, 1 - rekeyer), spi),
                       "%c never installed the pair (SPI 0x%08x) of the quick mode whose QM3 "
                       "was lost; wire: %s", 'A' + 1 - rekeyer, spi, v1t_log_str());
    cr_assert_geq(v1t_seen(K_QM3), 3, "QM3 of the rekey sent again; wire: %s", v1t_log_str());
    h_run_until(&n, n.now + 30000);
    v1t_check_up(&n, "rekey with QM3 lost");
    cr_assert_neq(v1t_cur(&n, 0)->spi_in, a_in, "rekeyed");
    v1t_ping_both(&n);
    h_free(&n);
}

Test(ikev1_reliability, main_lost_QM3_of_rekey, .timeout = 30) { lose_rekey_qm3("main"); }
Test(ikev1_reliability, aggressive_lost_QM3_of_rekey, .timeout = 30)
{
    lose_rekey_qm3("aggressive");
}

/* Both sides start a phase-2 rekey of the same pair at the same moment (their soft
 * lifetimes coincide: the jitter has 11 steps). IKEv1 has no collision rule of its own; the
 * sides must still end on one pair both hold, with the redundant one deleted at both, and
 * ESP flowing both ways (strongSwan installs both pairs and deletes the redundant one). */
static void simultaneous_rekey(const char *mode)
{
    h_net n;
    const char *f[] = { "ipsec.lifetime" };
    const char *v[] = { "1000" };
    v1t_init(&n, mode, f, v, 1);
    v1t_up(&n);
    v1t_cur(&n, 0)->rekey_at = n.now + 100;
    v1t_cur(&n, 1)->rekey_at = n.now + 100;
    h_run_until(&n, n.now + 30000);
    cr_assert_geq(v1t.n_qm, 3, "both rekeyed; wire: %s", v1t_log_str());
    v1t_check_up(&n, "simultaneous rekey");
    for (int i = 0; i < 2; i++)
        cr_assert_eq(ivpn_child_count(v1t_conn(&n, i)), 1,
                     "side %c: one pair left (old and redundant ones deleted); wire: %s",
                     'A' + i, v1t_log_str());
    v1t_ping_both(&n);
    h_free(&n);
}

Test(ikev1_reliability, main_simultaneous_child_rekey, .timeout = 30)
{
    simultaneous_rekey("main");
}
Test(ikev1_reliability, aggressive_simultaneous_child_rekey, .timeout = 30)
{
    simultaneous_rekey("aggressive");
}
/* The rekeys cross: A's rekey reaches QM2 (A has its new pair), then B's own rekey starts
 * before A's QM3 arrives; QM3 arrives, then B's quick mode runs. (A seeded reordering run
 * found this: main mode, seed 157 of 200.) */
static h_dgram held_qm3;
static bool hold_rekey_qm3(h_net *n, const h_dgram *d, bool *dup)
{
    (void)dup;
    v1t_kind k = v1t_record(d);
    if (k == K_QM3 && v1t.n_qm == 2 && n->filter_state == 0) {
        held_qm3 = *d;
        n->filter_state = 1;
        return false;
    }
    return true;
}

static bool qm3_held(h_net *n, void *arg)
{
    (void)arg;
    return n->filter_state == 1;
}

static void crossing_rekey(const char *mode)
{
    h_net n;
    const char *f[] = { "ipsec.lifetime" };
    const char *v[] = { "1000" };
    v1t_init(&n, mode, f, v, 1);
    v1t_up(&n);
    n.filter = hold_rekey_qm3;
    v1t_cur(&n, 0)->rekey_at = n.now + 100;
    v1t_cur(&n, 1)->rekey_at = n.now + 300;
    cr_assert(v1t_run(&n, n.now + 1000, 50, qm3_held, NULL), "A's rekey reached QM3");
    n.now += 200;
    ipsecvpn_engine_handle_expiry(n.side[1].e, n.now); /* B's rekey: QM1 queued */
    cr_assert_eq(v1t.n_qm, 3, "B started its own rekey; wire: %s", v1t_log_str());
    ipsecvpn_read_result res;
    (void)ipsecvpn_engine_read(n.side[1].e, &held_qm3.dst, &held_qm3.src, held_qm3.data,
                               held_qm3.len, n.now, &res);
    n.filter_state = 2;
    h_run_until(&n, n.now + 30000);
    for (int from = 0; from < 2; from++) {
        int rc = 0;
        (void)v1t_ping(&n, from, 7, &rc);
        cr_assert_eq(rc, IPSECVPN_OK, "ESP %c->%c after the crossing rekeys: %d; wire: %s",
                     'A' + from, 'B' - from, rc, v1t_log_str());
    }
    v1t_check_up(&n, "crossing rekeys");
    for (int i = 0; i < 2; i++)
        cr_assert_eq(ivpn_child_count(v1t_conn(&n, i)), 1,
                     "side %c: one pair left (old and redundant ones deleted); wire: %s",
                     'A' + i, v1t_log_str());
    v1t_ping_both(&n);
    h_free(&n);
}

Test(ikev1_reliability, main_crossing_child_rekeys, .timeout = 30) { crossing_rekey("main"); }
Test(ikev1_reliability, aggressive_crossing_child_rekeys, .timeout = 30)
{
    crossing_rekey("aggressive");
}

/* ---- every message twice ------------------------------------------------------------------ */

/* Every datagram arrives twice, through establishment, DPD and a phase-2 rekey: each
 * message is acted on once (one ISAKMP SA, one Child SA, then exactly one rekey). */
static void duplicated(const char *mode)
{
    h_net n;
    const char *f[] = { "ipsec.lifetime", "dpd.enabled", "dpd.interval", "dpd.timeout" };
    const char *v[] = { "100", "on", "10", "30" };
    v1t_init(&n, mode, f, v, 4);
    n.filter = v1t_filter_dup_all;
    v1t_up(&n);
    h_run_until(&n, n.now + 5000);
    cr_assert(v1t_check_up(&n, mode), "the last CHILD events name the same pair");
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(n.side[i].child_ups, 1, "side %c: the duplicate made no second Child SA",
                     'A' + i);
        cr_assert_eq(v1t_event_count(&n.side[i], IPSECVPN_EVENT_IKE_UP), 1, "side %c", 'A' + i);
        ivpn_conn *c = v1t_conn(&n, i);
        cr_assert_null(c->v1->sa_next, "side %c: no second ISAKMP SA", 'A' + i);
        cr_assert_null(c->v1->old, "side %c: no second ISAKMP SA", 'A' + i);
        cr_assert_eq(ivpn_child_count(c), 1, "side %c: one Child SA pair", 'A' + i);
    }
    cr_assert_eq(v1t.n_qm, 1, "one quick mode; wire: %s", v1t_log_str());
    v1t_ping_both(&n);
    /* DPD and the rekey (soft 80..90 s), all duplicated */
    h_run_until(&n, n.now + 115000);
    v1t_check_up(&n, "duplicated, after the rekey");
    cr_assert_eq(v1t.n_qm, 2, "exactly one rekey quick mode; wire: %s", v1t_log_str());
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(v1t_event_count(&n.side[i], IPSECVPN_EVENT_CHILD_REKEYED), 1,
                     "side %c: one rekey", 'A' + i);
        cr_assert_eq(v1t_event_count(&n.side[i], IPSECVPN_EVENT_CHILD_UP), 1, "side %c", 'A' + i);
        cr_assert(!h_has_event(&n.side[i], IPSECVPN_EVENT_PEER_DEAD), "side %c", 'A' + i);
        cr_assert_eq(ivpn_child_count(v1t_conn(&n, i)), 1, "side %c: the old pair is gone",
                     'A' + i);
    }
    cr_assert_geq(v1t.count[0][K_INFO] + v1t.count[1][K_INFO], 8, "DPD ran");
    v1t_ping_both(&n);
    h_free(&n);
}

Test(ikev1_reliability, main_duplicated_every_message, .timeout = 60) { duplicated("main"); }
Test(ikev1_reliability, aggressive_duplicated_every_message, .timeout = 60)
{
    duplicated("aggressive");
}

/* ---- reordering --------------------------------------------------------------------------- */

/* Establishment, DPD and a phase-2 rekey over a wire that holds datagrams back for a random 0..1500 ms (so later ones overtake them and
 * timed retransmissions cross them) and now and then delivers one twice. Seeded. */
#define PEN_MAX 128
typedef struct pen_item {
    h_dgram d;
    uint64_t at;
} pen_item;
static pen_item pen[PEN_MAX];
static size_t pen_n;
static uint64_t chaos_seed;
static unsigned chaos_held;

static uint32_t chaos_rand(void)
{
    chaos_seed ^= chaos_seed << 13;
    chaos_seed ^= chaos_seed >> 7;
    chaos_seed ^= chaos_seed << 17;
    return (uint32_t)(chaos_seed >> 32);
}

static bool chaos_filter(h_net *n, const h_dgram *d, bool *dup)
{
    v1t_record(d);
    uint32_t r = chaos_rand() % 100;
    *dup = r >= 90;
    if (r < 50 && pen_n < PEN_MAX) {
        pen[pen_n].d = *d;
        pen[pen_n++].at = n->now + chaos_rand() % 1500;
        chaos_held++;
        return false;
    }
    return true;
}

/* Deliver the held datagrams due by now, in random order. */
static void pen_release(h_net *n, bool all)
{
    for (;;) {
        size_t due[PEN_MAX], k = 0;
        for (size_t i = 0; i < pen_n; i++)
            if (all || pen[i].at <= n->now)
                due[k++] = i;
        if (!k)
            return;
        size_t i = due[chaos_rand() % k];
        h_dgram d = pen[i].d;
        pen[i] = pen[--pen_n];
        ipsecvpn_read_result res;
        (void)ipsecvpn_engine_read(n->side[d.to].e, &d.dst, &d.src, d.data, d.len, n->now, &res);
        h_pump(n);
    }
}

static void chaos_run(h_net *n, uint64_t until)
{
    h_pump(n);
    for (int rounds = 0; rounds < 100000; rounds++) {
        uint64_t t = UINT64_MAX;
        for (int i = 0; i < 2; i++) {
            uint64_t x = ipsecvpn_engine_get_expiry(n->side[i].e);
            if (x < t)
                t = x;
        }
        for (size_t i = 0; i < pen_n; i++)
            if (pen[i].at < t)
                t = pen[i].at;
        if (t > until)
            break;
        if (t > n->now)
            n->now = t;
        pen_release(n, false);
        for (int i = 0; i < 2; i++)
            ipsecvpn_engine_handle_expiry(n->side[i].e, n->now);
        h_pump(n);
    }
    if (n->now < until)
        n->now = until;
}

/* V1T_SEEDS=n runs more seeds (by hand, to hunt for rare failures). */
static unsigned seeds(unsigned dflt)
{
    const char *s = getenv("V1T_SEEDS");
    return s && atoi(s) > 0 ? (unsigned)atoi(s) : dflt;
}

static void reordered(const char *mode)
{
    unsigned held = 0;
    for (uint64_t seed = 1; seed <= seeds(20); seed++) {
        h_net n;
        const char *f[] = { "ipsec.lifetime", "dpd.enabled", "dpd.interval", "dpd.timeout" };
        const char *v[] = { "100", "on", "10", "30" };
        v1t_init(&n, mode, f, v, 4);
        pen_n = 0;
        chaos_held = 0;
        chaos_seed = 0x5851f42d4c957f2dull * seed;
        n.filter = chaos_filter;
        h_start(&n);
        cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
        chaos_run(&n, n.now + 120000); /* establishment, DPD, one phase-2 rekey */
        /* the wire calms down: what is still held arrives (in random order), then in order */
        n.filter = v1t_filter_record;
        pen_release(&n, true);
        h_run_until(&n, n.now + 30000);
        char what[64];
        snprintf(what, sizeof(what), "%s, seed %u", mode, (unsigned)seed);
        v1t_check_up(&n, what);
        for (int i = 0; i < 2; i++) {
            cr_assert_eq(v1t_event_count(&n.side[i], IPSECVPN_EVENT_CHILD_UP), 1,
                         "%s: side %c; wire: %s", what, 'A' + i, v1t_log_str());
            cr_assert_geq(v1t_event_count(&n.side[i], IPSECVPN_EVENT_CHILD_REKEYED), 1,
                          "%s: side %c rekeyed; wire: %s", what, 'A' + i, v1t_log_str());
            cr_assert(!h_has_event(&n.side[i], IPSECVPN_EVENT_IKE_DOWN), "%s: side %c", what,
                      'A' + i);
            cr_assert(!h_has_event(&n.side[i], IPSECVPN_EVENT_PEER_DEAD), "%s: side %c", what,
                      'A' + i);
            cr_assert_leq(ivpn_child_count(v1t_conn(&n, i)), 2, "%s: side %c", what, 'A' + i);
        }
        v1t_ping_both(&n);
        held += chaos_held;
        h_free(&n);
    }
    cr_assert_gt(held, 40, "the wire really reordered (%u datagrams held back)", held);
}

Test(ikev1_reliability, main_reordered_20_seeds, .timeout = 120) { reordered("main"); }
Test(ikev1_reliability, aggressive_reordered_20_seeds, .timeout = 120) { reordered("aggressive"); }

/* ---- QM1 before AM3 ----------------------------------------------------------------------- */

/* The aggressive initiator sends AM3 and QM1 back to back (strongSwan does); the wire swaps
 * them. The responder must keep QM1 until AM3 has authenticated the peer and then answer it,
 * without waiting for a retransmission: the clock does not move in this test. */
static h_dgram held_am3;
static bool hold_am3(h_net *n, const h_dgram *d, bool *dup)
{
    (void)dup;
    v1t_kind k = v1t_record(d);
    if (k == K_AM3 && n->filter_state == 0) {
        held_am3 = *d;
        n->filter_state = 1;
        return false;
    }
    return true;
}

Test(ikev1_reliability, aggressive_responder_gets_qm1_before_am3, .timeout = 30)
{
    h_net n;
    v1t_init(&n, "aggressive", NULL, NULL, 0);
    n.filter = hold_am3;
    h_start(&n);
    uint64_t t0 = n.now;
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    cr_assert_eq(n.filter_state, 1, "AM3 was sent; wire: %s", v1t_log_str());
    cr_assert_eq(v1t.count[0][K_QM1], 1, "QM1 followed AM3 at once; wire: %s", v1t_log_str());
    cr_assert_neq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE,
                  "B cannot be up before AM3 authenticated A");
    cr_assert_eq(v1t.count[1][K_QM2], 0, "no QM2 for an unauthenticated peer");
    ipsecvpn_read_result res;
    (void)ipsecvpn_engine_read(n.side[1].e, &held_am3.dst, &held_am3.src, held_am3.data,
                               held_am3.len, n.now, &res);
    h_pump(&n);
    cr_assert_eq(n.now, t0, "no timer was needed");
    v1t_check_up(&n, "QM1 before AM3");
    cr_assert_eq(v1t.count[0][K_QM1], 1, "QM1 was not retransmitted; wire: %s", v1t_log_str());
    cr_assert_eq(v1t.count[0][K_AM3], 1);
    for (int i = 0; i < 2; i++)
        cr_assert_eq(n.side[i].child_ups, 1, "side %c", 'A' + i);
    v1t_ping_both(&n);
    h_free(&n);
}

/* ---- dead peer detection (RFC 3706) -------------------------------------------------------- */

#define DPD_INTERVAL 10
#define DPD_TIMEOUT 30

static void dpd_up(h_net *n, const char *mode, const char *action_a, const char *action_b)
{
    const char *f[] = { "dpd.enabled", "dpd.interval", "dpd.timeout" };
    const char *v[] = { "on", "10", "30" };
    v1t_init(n, mode, f, v, 3);
    h_set(n, 0, "dpd.action", action_a);
    h_set(n, 1, "dpd.action", action_b);
    v1t_up(n);
    v1t_check_up(n, mode);
    cr_assert(v1t_sa(n, 0)->peer_dpd && v1t_sa(n, 1)->peer_dpd,
              "both sides announced RFC 3706 (DPD vendor ID)");
}

/* A live peer answers R-U-THERE: still ACTIVE after many intervals, nobody declared dead. */
static void dpd_live(const char *mode)
{
    h_net n;
    dpd_up(&n, mode, "hold", "hold");
    unsigned info_a = v1t.count[0][K_INFO], info_b = v1t.count[1][K_INFO];
    h_run_until(&n, n.now + 120000);
    cr_assert_geq(v1t.count[0][K_INFO] - info_a, 3, "R-U-THERE sent while idle; wire: %s",
                  v1t_log_str());
    cr_assert_geq(v1t.count[1][K_INFO] - info_b, 3, "and answered; wire: %s", v1t_log_str());
    for (int i = 0; i < 2; i++) {
        cr_assert(!h_has_event(&n.side[i], IPSECVPN_EVENT_PEER_DEAD), "side %c", 'A' + i);
        cr_assert_eq(h_status(&n.side[i], NULL), IPSECVPN_STATUS_ACTIVE, "side %c", 'A' + i);
    }
    v1t_check_up(&n, "after 2 minutes of DPD");
    v1t_ping_both(&n);
    h_free(&n);
}

Test(ikev1_reliability, main_dpd_keeps_live_peer, .timeout = 30) { dpd_live("main"); }

/* The first two R-U-THEREs / acknowledgements each side sends are lost: the probes are
 * retried and answered, nobody is declared dead. */
static bool drop_first_infos(h_net *n, const h_dgram *d, bool *dup)
{
    (void)dup;
    v1t_kind k = v1t_record(d);
    int from = 1 - d->to;
    if (k == K_INFO && n->filter_state && v1t.count[from][K_INFO] <= 2)
        return false;
    return true;
}

static void dpd_lossy(const char *mode)
{
    h_net n;
    dpd_up(&n, mode, "hold", "hold");
    n.filter = drop_first_infos;
    n.filter_state = 1;
    unsigned info0 = v1t.count[0][K_INFO] + v1t.count[1][K_INFO];
    cr_assert_eq(info0, 0, "no informational exchange during establishment");
    h_run_until(&n, n.now + 120000);
    cr_assert_geq(v1t.count[0][K_INFO], 4, "A probed again; wire: %s", v1t_log_str());
    for (int i = 0; i < 2; i++) {
        cr_assert(!h_has_event(&n.side[i], IPSECVPN_EVENT_PEER_DEAD), "side %c; wire: %s",
                  'A' + i, v1t_log_str());
        cr_assert_eq(h_status(&n.side[i], NULL), IPSECVPN_STATUS_ACTIVE, "side %c", 'A' + i);
    }
    v1t_check_up(&n, "DPD messages lost");
    v1t_ping_both(&n);
    h_free(&n);
}

Test(ikev1_reliability, main_dpd_survives_lost_probes, .timeout = 30) { dpd_lossy("main"); }
Test(ikev1_reliability, aggressive_dpd_survives_lost_probes, .timeout = 30)
{
    dpd_lossy("aggressive");
}
Test(ikev1_reliability, aggressive_dpd_keeps_live_peer, .timeout = 30) { dpd_live("aggressive"); }

typedef struct dpd_watch {
    uint64_t sent0, t_probe, t_dead;
} dpd_watch;

static bool watch_dead(h_net *n, void *arg)
{
    dpd_watch *w = arg;
    if (!w->t_probe && n->side[0].sent > w->sent0)
        w->t_probe = n->now;
    if (h_has_event(&n->side[0], IPSECVPN_EVENT_PEER_DEAD)) {
        w->t_dead = n->now;
        return true;
    }
    return false;
}

static bool watch_b_dead(h_net *n, void *arg)
{
    (void)arg;
    return h_has_event(&n->side[1], IPSECVPN_EVENT_PEER_DEAD);
}

/* The peer goes silent (harness cut: nothing arrives either way). A probes after an idle
 * interval and declares the peer dead once it stayed silent for dpd.timeout: not before the
 * timeout since the last sign of life, not later than interval + timeout. Returns the
 * moment of death. */
static uint64_t dpd_silence(h_net *n)
{
    uint64_t t0 = n->now;
    dpd_watch w = { .sent0 = n->side[0].sent };
    n->cut = true;
    bool dead = v1t_run(n, t0 + 120000, 250, watch_dead, &w);
    cr_assert(dead, "silent peer never declared dead (%llu datagrams sent)",
              (unsigned long long)(n->side[0].sent - w.sent0));
    cr_assert_neq(w.t_probe, 0, "A probed before giving up");
    cr_assert_leq(w.t_probe - t0, DPD_INTERVAL * 1000 + 250, "first R-U-THERE after one idle interval");
    cr_assert_geq(w.t_dead - t0, DPD_TIMEOUT * 1000, "dead after %llu ms: before the timeout",
                  (unsigned long long)(w.t_dead - t0));
    cr_assert_leq(w.t_dead - t0, (DPD_INTERVAL + DPD_TIMEOUT) * 1000 + 250,
                  "dead after %llu ms: more than interval + timeout",
                  (unsigned long long)(w.t_dead - t0));
    cr_assert_leq(w.t_dead - w.t_probe, DPD_TIMEOUT * 1000 + 250,
                  "dead %llu ms after the first unanswered R-U-THERE: more than dpd.timeout",
                  (unsigned long long)(w.t_dead - w.t_probe));
    cr_assert_geq(n->side[0].sent - w.sent0, 2, "R-U-THERE retried before giving up");
    int reason;
    cr_assert_eq(h_status(&n->side[0], &reason), IPSECVPN_STATUS_DOWN);
    cr_assert_eq(reason, IPSECVPN_ERR_IKE_PEER_DEAD);
    cr_assert(h_has_event(&n->side[0], IPSECVPN_EVENT_CHILD_DOWN));
    cr_assert(h_has_event(&n->side[0], IPSECVPN_EVENT_IKE_DOWN));
    cr_assert_lt(v1t_event_index(&n->side[0], IPSECVPN_EVENT_PEER_DEAD),
                 v1t_event_index(&n->side[0], IPSECVPN_EVENT_IKE_DOWN) + 1);
    ivpn_conn *c = v1t_conn(n, 0);
    cr_assert_eq(ivpn_child_count(c), 0, "Child SAs deleted");
    cr_assert(!c->v1 || !c->v1->sa || c->v1->sa->state != IVPN_V1_P1_ESTABLISHED,
              "ISAKMP SA deleted");
    /* the peer's side saw the same silence (same timers, give it a few seconds more) */
    cr_assert(v1t_run(n, n->now + 5000, 250, watch_b_dead, NULL), "B declared A dead too");
    return w.t_dead;
}

/* hold: the tunnel is down and stays quiet; traffic brings it back (ACQUIRE). */
static void dpd_hold(const char *mode)
{
    h_net n;
    dpd_up(&n, mode, "hold", "hold");
    dpd_silence(&n);
    uint64_t sent = n.side[0].sent;
    h_run_until(&n, n.now + 60000);
    cr_assert_eq(n.side[0].sent, sent, "hold: no renegotiation without traffic");
    n.cut = false;
    int rc = 0;
    (void)v1t_ping(&n, 0, 5, &rc);
    cr_assert_eq(rc, IPSECVPN_ERR_STATE);
    cr_assert(h_has_event(&n.side[0], IPSECVPN_EVENT_ACQUIRE), "traffic renegotiates");
    h_pump(&n);
    cr_assert_eq(n.side[0].child_ups, 2);
    v1t_check_up(&n, "hold, then traffic");
    v1t_ping_both(&n);
    h_free(&n);
}

Test(ikev1_reliability, main_dpd_hold, .timeout = 30) { dpd_hold("main"); }
Test(ikev1_reliability, aggressive_dpd_hold, .timeout = 30) { dpd_hold("aggressive"); }

/* clear: the tunnel is deleted and nothing is renegotiated by the engine itself. */
static void dpd_clear(const char *mode)
{
    h_net n;
    dpd_up(&n, mode, "clear", "clear");
    dpd_silence(&n);
    n.cut = false;
    uint64_t sent = n.side[0].sent + n.side[1].sent;
    h_run_until(&n, n.now + 120000);
    cr_assert_eq(n.side[0].sent + n.side[1].sent, sent, "clear: no renegotiation; wire: %s",
                 v1t_log_str());
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_DOWN);
    cr_assert_eq(n.side[0].child_ups, 1);
    h_free(&n);
}

Test(ikev1_reliability, main_dpd_clear, .timeout = 30) { dpd_clear("main"); }
Test(ikev1_reliability, aggressive_dpd_clear, .timeout = 30) { dpd_clear("aggressive"); }

/* restart: phase 1 is started again at once and completes when the peer is back. (B, the
 * responder, clears: only A restarts.) */
static void dpd_restart(const char *mode)
{
    h_net n;
    dpd_up(&n, mode, "restart", "clear");
    uint32_t old_b_in = n.side[1].child.spi_in;
    dpd_silence(&n);
    n.cut = false;
    h_run_until(&n, n.now + 30000);
    cr_assert_eq(n.side[0].child_ups, 2, "a new Child SA after the restart; wire: %s",
                 v1t_log_str());
    v1t_check_up(&n, "restart");
    cr_assert_neq(n.side[1].child.spi_in, old_b_in);
    v1t_ping_both(&n);
    h_free(&n);
}

Test(ikev1_reliability, main_dpd_restart, .timeout = 30) { dpd_restart("main"); }
Test(ikev1_reliability, aggressive_dpd_restart, .timeout = 30) { dpd_restart("aggressive"); }

/* ---- a lossy wire ------------------------------------------------------------------------- */

/* 15 % lost, 10 % twice, the rest in order; DPD on. Every seed ends with a working tunnel
 * (one retry of the initiation allowed, as traffic would do), or with a side that declared
 * the other dead, never with two sides that disagree. */
static bool lossy(h_net *n, const h_dgram *d, bool *dup)
{
    v1t_record(d);
    uint32_t x = (uint32_t)n->filter_state * 1103515245u + 12345u;
    n->filter_state = (int)(x & 0x7fffffff);
    uint32_t r = (x >> 16) % 100;
    if (r < 15)
        return false;
    *dup = r >= 90;
    return true;
}

static void lossy_wire(const char *mode)
{
    int active = 0, runs = (int)seeds(8);
    for (int seed = 1; seed <= runs; seed++) {
        h_net n;
        const char *f[] = { "ike.lifetime", "ipsec.lifetime", "dpd.enabled", "dpd.interval",
                            "dpd.timeout" };
        const char *v[] = { "400", "150", "on", "10", "60" };
        v1t_init(&n, mode, f, v, 5);
        n.filter = lossy;
        n.filter_state = seed;
        h_start(&n);
        ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now);
        h_run_until(&n, n.now + 60000);
        if (h_status(&n.side[0], NULL) != IPSECVPN_STATUS_ACTIVE) {
            ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now);
            h_run_until(&n, n.now + 60000);
        }
        h_run_until(&n, n.now + 600000);
        n.filter = v1t_filter_record; /* settle: the last exchanges complete */
        h_run_until(&n, n.now + 10000);
        ipsecvpn_status sa = h_status(&n.side[0], NULL), sb = h_status(&n.side[1], NULL);
        if (sa == IPSECVPN_STATUS_ACTIVE && sb == IPSECVPN_STATUS_ACTIVE) {
            active++;
            char what[64];
            snprintf(what, sizeof(what), "lossy %s seed %d", mode, seed);
            v1t_check_up(&n, what);
            cr_assert(h_has_event(&n.side[0], IPSECVPN_EVENT_CHILD_REKEYED) ||
                          h_has_event(&n.side[1], IPSECVPN_EVENT_CHILD_REKEYED), "%s", what);
            v1t_ping_both(&n);
        } else {
            cr_assert(h_has_event(&n.side[0], IPSECVPN_EVENT_PEER_DEAD) ||
                          h_has_event(&n.side[1], IPSECVPN_EVENT_PEER_DEAD),
                      "seed %d: a=%d b=%d", seed, sa, sb);
        }
        h_free(&n);
    }
    cr_assert_eq(active, runs, "only %d of %d lossy runs ended with a working tunnel", active,
                 runs);
}

Test(ikev1_reliability, main_lossy_wire_converges, .timeout = 120) { lossy_wire("main"); }
Test(ikev1_reliability, aggressive_lossy_wire_converges, .timeout = 120)
{
    lossy_wire("aggressive");
}
