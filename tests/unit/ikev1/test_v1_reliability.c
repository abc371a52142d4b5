/*
 * IKEv1 over a bad wire, through the public engine API: every message of main mode,
 * aggressive mode and quick mode lost once, every message duplicated, datagrams reordered
 * (held back a seeded random time, 20 seeds per mode), the aggressive responder getting QM1
 * before AM3 (strongSwan sends them back to back), and dead peer detection (RFC 3706) with
 * the actions hold, clear and restart; the side waiting for the last phase-1 message while
 * the peer already uses the SA (peer_ahead, and its cap against forged datagrams); crossing
 * phase-2 rekeys whose loser's Delete is lost or overtakes the loser's QM3.
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

/* ---- the peer is ahead (ikev1.c peer_ahead) ------------------------------------------------ */

/* The side that waits for the last phase-1 message (aggressive responder: AM3; main-mode
 * initiator: MM6) gets encrypted messages under the SA from a peer that finished phase 1. From
 * the second such message on it sends its own last message ("trigger": AM2 / MM5) again, and
 * the peer answers that from its cache. Here the answer (AM3 / MM6) is lost every time except
 * when it answers such a peer_ahead trigger: the timed retransmissions and the first answer
 * never get through, so only peer_ahead can bring the two sides together.
 *
 * Which trigger the peer is answering: triggers are tagged when sent (by a timer or while
 * reading a datagram), and our own pump notes the tag of the trigger being delivered. */
enum { TRIG_FIRST = 1, TRIG_TIMED, TRIG_AHEAD };
#define PA_FIFO 64
static struct {
    v1t_kind trigger, answer;
    int waiter;                  /* the side that waits for the answer (sends the triggers) */
    bool in_expiry;
    int fifo[PA_FIFO];
    size_t f_head, f_n;
    int delivering;              /* tag of the trigger being read by the peer, 0: none */
    unsigned sent[4];            /* triggers per tag */
    unsigned answers_dropped, answers_passed;
    bool all_answers_lost;       /* also those to TRIG_AHEAD (the forged-datagram tests) */
} pa;

static bool pa_filter(h_net *n, const h_dgram *d, bool *dup)
{
    (void)n;
    (void)dup;
    v1t_kind k = v1t_record(d);
    int from = 1 - d->to;
    if (k == pa.trigger && from == pa.waiter) {
        int tag = pa.sent[TRIG_FIRST] == 0 ? TRIG_FIRST : pa.in_expiry ? TRIG_TIMED : TRIG_AHEAD;
        pa.sent[tag]++;
        cr_assert_lt(pa.f_n, PA_FIFO);
        pa.fifo[(pa.f_head + pa.f_n++) % PA_FIFO] = tag;
    }
    if (k == pa.answer && from != pa.waiter) {
        if (pa.all_answers_lost || pa.delivering != TRIG_AHEAD) {
            pa.answers_dropped++;
            return false;
        }
        pa.answers_passed++;
    }
    return true;
}

static void pa_pump(h_net *n)
{
    for (int rounds = 0; n->count && rounds < 1000; rounds++) {
        h_dgram d = n->q[n->head];
        n->head = (n->head + 1) % H_QUEUE;
        n->count--;
        pa.delivering = 0;
        if (d.to != pa.waiter && v1t_isakmp_off(&d) >= 0) {
            /* classify without recording: phase-1 kinds change no classifier state here */
            v1t_state keep = v1t;
            v1t_kind k = v1t_classify(&d);
            v1t = keep;
            if (k == pa.trigger && pa.f_n) {
                pa.delivering = pa.fifo[pa.f_head];
                pa.f_head = (pa.f_head + 1) % PA_FIFO;
                pa.f_n--;
            }
        }
        ipsecvpn_read_result res;
        (void)ipsecvpn_engine_read(n->side[d.to].e, &d.dst, &d.src, d.data, d.len, n->now, &res);
        pa.delivering = 0;
    }
}

/* h_run_until with pa_pump; the timers run with pa.in_expiry set. `tick` after each step. */
static void pa_run(h_net *n, uint64_t until, void (*tick)(h_net *n))
{
    pa_pump(n);
    for (int rounds = 0; rounds < 100000; rounds++) {
        uint64_t t = UINT64_MAX;
        for (int i = 0; i < 2; i++) {
            uint64_t x = ipsecvpn_engine_get_expiry(n->side[i].e);
            if (x < t)
                t = x;
        }
        if (tick && t > n->now + 250)
            t = n->now + 250;
        if (t > until)
            break;
        if (t > n->now)
            n->now = t;
        pa.in_expiry = true;
        for (int i = 0; i < 2; i++)
            ipsecvpn_engine_handle_expiry(n->side[i].e, n->now);
        pa.in_expiry = false;
        pa_pump(n);
        if (tick)
            tick(n);
    }
    if (n->now < until)
        n->now = until;
}

static void pa_init(h_net *n, const char *mode, const char *const *f, const char *const *v,
                    size_t count)
{
    v1t_init(n, mode, f, v, count);
    memset(&pa, 0, sizeof(pa));
    bool aggr = strcmp(mode, "aggressive") == 0;
    pa.trigger = aggr ? K_AM2 : K_MM5;
    pa.answer = aggr ? K_AM3 : K_MM6;
    pa.waiter = aggr ? 1 : 0;
    n->filter = pa_filter;
    h_start(n);
    cr_assert_eq(ipsecvpn_engine_initiate(n->side[0].e, n->side[0].id, n->now), IPSECVPN_OK);
}

/* Both ends up on one SA and one pair, ESP both ways, after only peer_ahead could help. */
static void pa_check_recovered(h_net *n, const char *what)
{
    cr_assert_eq(pa.answers_passed, 1, "%s: one answer to a peer_ahead trigger got through "
                 "(%u dropped, triggers: first %u timed %u ahead %u); wire: %s", what,
                 pa.answers_passed, pa.answers_dropped, pa.sent[TRIG_FIRST], pa.sent[TRIG_TIMED],
                 pa.sent[TRIG_AHEAD], v1t_log_str());
    cr_assert_geq(pa.answers_dropped, 2, "%s: the first answer and the one to a timed "
                  "retransmission were lost", what);
    cr_assert_eq(pa.sent[TRIG_AHEAD], 1, "%s: one peer_ahead resend (on the second message)",
                 what);
    cr_assert_geq(pa.sent[TRIG_TIMED], 1, "%s", what);
    ivpn_v1_sa *w = v1t_sa(n, pa.waiter);
    cr_assert_eq(w->peer_ahead, 2, "%s: the waiter counted two messages of the peer ahead "
                 "(the second made it resend); wire: %s", what, v1t_log_str());
    cr_assert(v1t_check_up(n, what), "the last CHILD events name the same pair");
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(n->side[i].child_ups, 1, "%s: side %c", what, 'A' + i);
        cr_assert_eq(v1t_event_count(&n->side[i], IPSECVPN_EVENT_IKE_UP), 1, "%s", what);
        cr_assert(!h_has_event(&n->side[i], IPSECVPN_EVENT_IKE_DOWN), "%s", what);
        cr_assert(!h_has_event(&n->side[i], IPSECVPN_EVENT_PEER_DEAD), "%s", what);
        cr_assert_eq(ivpn_child_count(v1t_conn(n, i)), 1, "%s: side %c", what, 'A' + i);
    }
    cr_assert_eq(v1t.n_qm, 1, "%s: one quick mode; wire: %s", what, v1t_log_str());
    v1t_ping_both(n);
}

/* Aggressive mode: the initiator sends QM1 right behind AM3; its retransmission (500 ms) is
 * the second message under the SA the responder cannot use yet. */
Test(ikev1_reliability, aggressive_peer_ahead_am3_always_lost, .timeout = 30)
{
    h_net n;
    pa_init(&n, "aggressive", NULL, NULL, 0);
    uint64_t t0 = n.now;
    pa_run(&n, t0 + 5000, NULL);
    pa_check_recovered(&n, "AM3 lost but for peer_ahead");
    cr_assert_eq(v1t.count[0][K_AM3], pa.answers_dropped + pa.answers_passed);
    cr_assert_geq(v1t.count[0][K_QM1], 2, "QM1 sent again: the second message ahead");
    /* and the tunnel stays: no retransmission left running, no timeout later */
    h_run_until(&n, n.now + 60000);
    v1t_check_up(&n, "a minute later");
    v1t_ping_both(&n);
    h_free(&n);
}

/* Main mode: the initiator waits for MM6; the responder (established) starts no quick mode,
 * so what it sends under the SA is DPD: R-U-THERE after dpd.interval, again an interval later
 * (the second: the initiator sends MM5 again and the responder's cached MM6 gets through,
 * before the initiator's own retransmissions run out at 31.5 s). */
Test(ikev1_reliability, main_peer_ahead_mm6_always_lost, .timeout = 30)
{
    h_net n;
    const char *f[] = { "dpd.enabled", "dpd.interval", "dpd.timeout" };
    const char *v[] = { "on", "10", "30" };
    pa_init(&n, "main", f, v, 3);
    uint64_t t0 = n.now;
    pa_run(&n, t0 + 25000, NULL);
    cr_assert_geq(v1t.count[1][K_INFO], 2, "B sent R-U-THERE twice; wire: %s", v1t_log_str());
    pa_check_recovered(&n, "MM6 lost but for peer_ahead");
    cr_assert_eq(v1t.count[1][K_MM6], pa.answers_dropped + pa.answers_passed);
    h_run_until(&n, n.now + 60000);
    v1t_check_up(&n, "a minute later");
    v1t_ping_both(&n);
    h_free(&n);
}

/* Forged datagrams (random body, the half-open SA's cookies, E flag) keep arriving at the
 * waiting side, which never gets the real answer: peer_ahead resends and extends the SA only
 * IVPN_V1_PEER_AHEAD_MAX - 1 times, then the SA times out as without them. */
static uint64_t forge_every_ms, forge_next;
static unsigned forged;
static uint8_t forge_max_seen;

static void forge_tick(h_net *n)
{
    ivpn_conn *c = ivpn_engine_find_conn(n->side[pa.waiter].e, n->side[pa.waiter].id);
    ivpn_v1_sa *sa = c && c->v1 ? c->v1->sa : NULL;
    if (sa && sa->peer_ahead > forge_max_seen)
        forge_max_seen = sa->peer_ahead;
    if (!sa || sa->state == IVPN_V1_P1_ESTABLISHED || n->now < forge_next)
        return;
    forge_next = n->now + forge_every_ms;
    uint8_t d[28 + 64];
    memcpy(d, sa->cky_i, 8);
    memcpy(d + 8, sa->cky_r, 8);
    d[16] = IVPN_ISAKMP_PL_HASH;
    d[17] = 0x10;
    d[18] = forged % 2 ? IVPN_ISAKMP_EX_QUICK : IVPN_ISAKMP_EX_INFO;
    d[19] = IVPN_ISAKMP_FLAG_ENC;
    for (size_t i = 20; i < sizeof(d); i++)
        d[i] = (uint8_t)(0x5a ^ (i * 37) ^ (forged * 101));
    d[20] |= 0x40; /* message ID not zero */
    d[24] = d[25] = d[26] = 0;
    d[27] = (uint8_t)sizeof(d);
    forged++;
    ipsecvpn_read_result res;
    (void)ipsecvpn_engine_read(n->side[pa.waiter].e, &n->side[pa.waiter].ep,
                               &n->side[1 - pa.waiter].ep, d, sizeof(d), n->now, &res);
    pa_pump(n);
}

static void forged_keepalive(const char *mode, uint64_t gone_by_ms)
{
    h_net n;
    pa_init(&n, mode, NULL, NULL, 0);
    pa.all_answers_lost = true;
    forge_every_ms = 1000;
    forge_next = n.now + 1000;
    forged = 0;
    forge_max_seen = 0;
    uint64_t t0 = n.now;
    pa_run(&n, t0 + gone_by_ms, forge_tick);
    cr_assert_geq(forged, 10, "forged datagrams went in");
    ivpn_conn *c = v1t_conn(&n, pa.waiter);
    cr_assert(!c->v1 || !c->v1->sa, "%s: the half-open SA of %c still there %llu ms after "
              "%u forged datagrams (peer_ahead %u)", mode, 'A' + pa.waiter,
              (unsigned long long)gone_by_ms, forged, forge_max_seen);
    cr_assert_neq(h_status(&n.side[pa.waiter], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert_neq(h_status(&n.side[pa.waiter], NULL), IPSECVPN_STATUS_BUILD);
    cr_assert_eq(forge_max_seen, IVPN_V1_PEER_AHEAD_MAX, "counted up to the cap");
    cr_assert_eq(pa.sent[TRIG_AHEAD], IVPN_V1_PEER_AHEAD_MAX - 1,
                 "%s: resent for the 2nd..%dth forged datagram only", mode,
                 IVPN_V1_PEER_AHEAD_MAX);
    cr_assert_eq(pa.answers_passed, 0);
    h_free(&n);
}

/* Aggressive responder: half-open expiry 30 s after the last extension (8th forgery at 8 s). */
Test(ikev1_reliability, aggressive_forged_peer_ahead_capped, .timeout = 30)
{
    forged_keepalive("aggressive", 40000);
}
/* Main-mode initiator: its MM5 retransmissions run out (peer_ahead gave back at most 7
 * tries). */
Test(ikev1_reliability, main_forged_peer_ahead_capped, .timeout = 30)
{
    forged_keepalive("main", 70000);
}

/* ---- crossing rekeys: the loser's Delete (quick.c fate_of / delete_loser) ------------------ */

/* The crossing of main_crossing_child_rekeys: A's rekey P1 reaches QM2 (A installs P1), B
 * starts its own rekey P2, A's QM3 reaches B, then P2 runs. B installed P1 after P2 began:
 * a collision it settles by the SPIs; A saw none (it installed P1 before P2 began) and sends
 * on P2, the later pair. With these engines' random numbers P1 wins (asserted: the test is
 * about that case), so B, P2's initiator, deletes P2 and repeats the Delete until A answers
 * (phase2_timers.c, info.c hands_back): A's traffic goes back to P1.
 *
 * ESP goes both ways every 250 ms throughout; every packet must come out at the other end. */
typedef enum { CROSS_LOSE_FIRST_DELETE, CROSS_DELETE_BEFORE_QM3 } cross_variant;

static struct {
    cross_variant variant;
    int stage;                   /* 0: holding A's rekey QM3; 1: released; */
    h_dgram held;                /* A's QM3 of P1, then (variant b) B's QM3 of P2 */
    bool held_b_qm3, released_b_qm3;
    unsigned b_info_after;       /* INFOs B sent after the crossing */
    unsigned b_info_dropped;
    bool b_info_delivered;       /* variant b: B's first INFO went out (before its QM3) */
    uint32_t winner_a_in, loser_a_out; /* A's view: P1's inbound SPI, P2's outbound SPI */
    unsigned pings, ping_fail;
    uint16_t seq;
    unsigned a_on_loser, a_on_winner_after;  /* A->B packets on P2 / on P1 after P2 */
    uint32_t last_a_spi;
    bool a_got_p2;               /* variant b: A installed P2 from the late QM3 */
} cx;

static bool cross_filter(h_net *n, const h_dgram *d, bool *dup)
{
    (void)dup;
    v1t_kind k = v1t_record(d);
    int from = 1 - d->to;
    if (cx.stage == 0 && k == K_QM3 && v1t.n_qm == 2) {
        cx.held = *d;
        n->filter_state = 1; /* qm3_held: stop there */
        return false;
    }
    if (cx.stage == 1 && from == 1 && k == K_INFO) {
        cx.b_info_after++;
        if (cx.variant == CROSS_LOSE_FIRST_DELETE && cx.b_info_after == 1) {
            cx.b_info_dropped++;
            return false;
        }
        if (cx.variant == CROSS_DELETE_BEFORE_QM3 && cx.held_b_qm3)
            cx.b_info_delivered = true;
    }
    if (cx.stage == 1 && cx.variant == CROSS_DELETE_BEFORE_QM3 && from == 1 && k == K_QM3 &&
        v1t.n_qm == 3 && !cx.held_b_qm3) {
        cx.held = *d;
        cx.held_b_qm3 = true;
        return false;
    }
    return true;
}

static void cross_ping(h_net *n)
{
    for (int from = 0; from < 2; from++) {
        int rc = 0;
        uint32_t spi = v1t_ping(n, from, ++cx.seq, &rc);
        cx.pings++;
        if (rc != IPSECVPN_OK) {
            cx.ping_fail++;
            cr_log_error("ESP %c->%c lost at %llu ms: %d", 'A' + from, 'B' - from,
                         (unsigned long long)n->now, rc);
            continue;
        }
        if (from == 0) {
            cx.last_a_spi = spi;
            if (cx.loser_a_out && spi == cx.loser_a_out)
                cx.a_on_loser++;
            else if (cx.a_on_loser && spi == v1t_cur(n, 1)->spi_in)
                cx.a_on_winner_after++;
        }
    }
}

static bool cross_tick(h_net *n, void *arg)
{
    (void)arg;
    if (cx.variant == CROSS_DELETE_BEFORE_QM3 && cx.b_info_delivered && !cx.released_b_qm3) {
        /* B's Delete of P2 was delivered: now its QM3 of P2 arrives */
        cx.released_b_qm3 = true;
        ipsecvpn_read_result res;
        (void)ipsecvpn_engine_read(n->side[0].e, &cx.held.dst, &cx.held.src, cx.held.data,
                                   cx.held.len, n->now, &res);
        h_pump(n);
        cx.a_got_p2 = ivpn_child_find_out(v1t_conn(n, 0), cx.loser_a_out) != NULL;
    }
    cross_ping(n);
    return false;
}

static void crossing_loser_delete(const char *mode, cross_variant variant)
{
    h_net n;
    const char *f[] = { "ipsec.lifetime" };
    const char *v[] = { "1000" };
    v1t_init(&n, mode, f, v, 1);
    memset(&cx, 0, sizeof(cx));
    cx.variant = variant;
    v1t_up(&n);
    n.filter = cross_filter;
    v1t_cur(&n, 0)->rekey_at = n.now + 100;
    v1t_cur(&n, 1)->rekey_at = n.now + 300;
    cr_assert(v1t_run(&n, n.now + 1000, 50, qm3_held, NULL), "A's rekey reached QM3; wire: %s",
              v1t_log_str());
    cr_assert_eq(v1t.n_qm, 2, "B's rekey not started yet; wire: %s", v1t_log_str());
    n.now += 200;
    ipsecvpn_engine_handle_expiry(n.side[1].e, n.now); /* B's rekey: QM1 queued */
    cr_assert_eq(v1t.n_qm, 3, "B started its own rekey; wire: %s", v1t_log_str());
    cx.stage = 1;
    ipsecvpn_read_result res;
    (void)ipsecvpn_engine_read(n.side[1].e, &cx.held.dst, &cx.held.src, cx.held.data,
                               cx.held.len, n.now, &res);
    cx.winner_a_in = v1t_cur(&n, 1)->spi_out; /* B installed P1: its current pair */
    h_pump(&n);
    /* B ran P2 as well: the collision, P1 stays at B, P2 is its redundant pair */
    ivpn_child *b_loser = NULL, *b_cur = v1t_cur(&n, 1);
    for (ivpn_child *ch = ivpn_child_first(v1t_conn(&n, 1)); ch; ch = ivpn_child_next(ch))
        if (ch != b_cur && ch->created_ms == n.now)
            b_loser = ch; /* P2 (P0, the pair both replaced, is older) */
    cr_assert_not_null(b_loser, "B installed P2 and kept P1 as its current pair: the "
                       "collision went P1's way (the case this test is about); wire: %s",
                       v1t_log_str());
    cr_assert(b_loser->retired, "B does not send on P2");
    cr_assert_eq(v1t_cur(&n, 1)->spi_out, cx.winner_a_in, "B keeps sending on P1");
    cx.loser_a_out = b_loser->spi_in;
    if (variant == CROSS_LOSE_FIRST_DELETE) {
        /* A saw no collision: P2 replaced P1 there (A sends on it once it switches from the
         * pair both replaced), B's Delete must hand A's traffic back to P1 */
        cr_assert_not_null(ivpn_child_find_out(v1t_conn(&n, 0), cx.loser_a_out), "A has P2");
    } else {
        cr_assert(cx.held_b_qm3, "B's QM3 of P2 held; wire: %s", v1t_log_str());
        cr_assert_null(ivpn_child_find_out(v1t_conn(&n, 0), cx.loser_a_out),
                       "A has no P2 before its QM3");
    }
    cross_ping(&n);
    v1t_run(&n, n.now + 30000, 250, cross_tick, NULL);

    cr_assert_eq(cx.ping_fail, 0, "%u of %u ESP packets lost; wire: %s", cx.ping_fail, cx.pings,
                 v1t_log_str());
    cr_assert_geq(cx.pings, 200);
    if (variant == CROSS_LOSE_FIRST_DELETE) {
        cr_assert_eq(cx.b_info_dropped, 1, "B's first Delete of P2 was lost; wire: %s",
                     v1t_log_str());
        cr_assert_geq(cx.b_info_after, 2, "B sent the Delete again; wire: %s", v1t_log_str());
        cr_assert_gt(cx.a_on_loser, 0, "A sent on P2 while the Delete was lost");
    } else {
        cr_assert(cx.released_b_qm3, "B's Delete went out before its QM3 was let through; "
                  "wire: %s", v1t_log_str());
        cr_assert(cx.a_got_p2, "the late QM3 installed P2 at A (after B's Delete of it)");
        cr_assert_gt(cx.a_on_loser, 0, "A sent on P2 until B's repeated Delete");
        cr_assert_geq(cx.b_info_after, 2, "B sent its Delete of P2 again; wire: %s",
                      v1t_log_str());
    }
    cr_assert_eq(cx.last_a_spi, v1t_cur(&n, 1)->spi_in, "A ends sending on B's current pair");
    v1t_check_up(&n, "crossing rekeys, the loser's Delete");
    /* both on P1: A receives on what B sends on, and P2 is gone at both */
    cr_assert_eq(v1t_cur(&n, 0)->spi_in, cx.winner_a_in, "A ends on P1 (the winner); wire: %s",
                 v1t_log_str());
    cr_assert_null(ivpn_child_find_out(v1t_conn(&n, 0), cx.loser_a_out),
                   "P2 is gone at A; wire: %s", v1t_log_str());
    cr_assert_null(ivpn_child_find(v1t_conn(&n, 1), cx.loser_a_out), "P2 is gone at B");
    for (int i = 0; i < 2; i++)
        cr_assert_eq(ivpn_child_count(v1t_conn(&n, i)), 1, "side %c: one pair left; wire: %s",
                     'A' + i, v1t_log_str());
    v1t_ping_both(&n);
    h_free(&n);
}

Test(ikev1_reliability, main_crossing_rekeys_loser_first_delete_lost, .timeout = 30)
{
    crossing_loser_delete("main", CROSS_LOSE_FIRST_DELETE);
}
Test(ikev1_reliability, aggressive_crossing_rekeys_loser_first_delete_lost, .timeout = 30)
{
    crossing_loser_delete("aggressive", CROSS_LOSE_FIRST_DELETE);
}
Test(ikev1_reliability, main_crossing_rekeys_loser_delete_overtakes_qm3, .timeout = 30)
{
    crossing_loser_delete("main", CROSS_DELETE_BEFORE_QM3);
}
Test(ikev1_reliability, aggressive_crossing_rekeys_loser_delete_overtakes_qm3, .timeout = 30)
{
    crossing_loser_delete("aggressive", CROSS_DELETE_BEFORE_QM3);
}
