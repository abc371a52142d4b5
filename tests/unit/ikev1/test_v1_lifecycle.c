/*
 * The life of an IKEv1 tunnel between two engines in memory, through the public engine API
 * (a connection with ike.version=ikev1), for main and aggressive mode:
 *
 *   main mode (RFC 2409 §5, pre-shared key):        aggressive mode (§5, pre-shared key):
 *     HDR, SA -->                                     HDR, SA, KE, Ni, IDii -->
 *     <-- HDR, SA                                     <-- HDR, SA, KE, Nr, IDir, HASH_R
 *     HDR, KE, Ni -->                                 HDR, HASH_I -->
 *     <-- HDR, KE, Nr
 *     HDR*, IDii, HASH_I -->
 *     <-- HDR*, IDir, HASH_R
 *   then quick mode (§5.5): HDR*, HASH(1), SA, Ni [, KE] [, IDci, IDcr] -->
 *                           <-- HDR*, HASH(2), SA, Nr [, KE] [, IDci, IDcr]
 *                           HDR*, HASH(3) -->
 *
 * Establishment to ACTIVE with ESP both ways, the message flow on the wire, NAT-T (RFC 3947),
 * informational Delete, phase-2 rekey by lifetime with traffic flowing (no packet lost),
 * phase-1 rekey by lifetime keeping the Child SA, response-only, effective_immediately.
 */
#include "v1t_common.h"

/* ---- establishment ----------------------------------------------------------------------- */

static const v1t_kind flow_main[] = { K_MM1, K_MM2, K_MM3, K_MM4, K_MM5, K_MM6,
                                      K_QM1, K_QM2, K_QM3 };
static const int from_main[] = { 0, 1, 0, 1, 0, 1, 0, 1, 0 };
static const v1t_kind flow_aggr[] = { K_AM1, K_AM2, K_AM3, K_QM1, K_QM2, K_QM3 };
static const int from_aggr[] = { 0, 1, 0, 0, 1, 0 };

/* The wire carried exactly the exchange's messages, in order, each once (informational
 * messages such as INITIAL-CONTACT aside). */
static void check_flow(bool aggressive)
{
    const v1t_kind *want = aggressive ? flow_aggr : flow_main;
    const int *from = aggressive ? from_aggr : from_main;
    size_t n = aggressive ? 6 : 9, j = 0;
    for (size_t i = 0; i < v1t.n_log; i++) {
        if (v1t.log[i] == K_INFO)
            continue;
        cr_assert_lt(j, n, "more messages than the exchanges need: %s", v1t_log_str());
        cr_assert(v1t.log[i] == want[j] && v1t.log_from[i] == from[j],
                  "message %zu is %s from %c, expected %s from %c; wire: %s", j,
                  v1t_names[v1t.log[i]], 'A' + v1t.log_from[i], v1t_names[want[j]],
                  'A' + from[j], v1t_log_str());
        j++;
    }
    cr_assert_eq(j, n, "wire: %s", v1t_log_str());
}

/* Only IKE_UP then CHILD_UP (status changes aside), once each. */
static void check_events_up(const h_side *s)
{
    int seen[4];
    size_t k = 0;
    for (size_t i = 0; i < s->n_events; i++) {
        if (s->events[i] == IPSECVPN_EVENT_STATUS)
            continue;
        cr_assert_lt(k, 2, "side %c: unexpected event %d", 'A' + s->idx, s->events[i]);
        seen[k++] = s->events[i];
    }
    cr_assert_eq(k, 2, "side %c: %zu events", 'A' + s->idx, k);
    cr_assert_eq(seen[0], IPSECVPN_EVENT_IKE_UP, "side %c", 'A' + s->idx);
    cr_assert_eq(seen[1], IPSECVPN_EVENT_CHILD_UP, "side %c", 'A' + s->idx);
}

static void establish(const char *mode, const char *encr, const char *integ, const char *dh,
                      const char *pfs)
{
    h_net n;
    const char *f[] = { "ike.encryption", "ike.integrity", "ike.dh_group", "ipsec.encryption",
                        "ipsec.integrity", "ipsec.pfs" };
    const char *v[] = { encr, integ, dh, encr, integ, pfs };
    v1t_init(&n, mode, f, v, 6);
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_BUILD);
    cr_assert_eq(n.count, 1, "the first message is out");
    h_pump(&n);
    bool aggressive = strcmp(mode, "aggressive") == 0;
    check_flow(aggressive);
    cr_assert(v1t_check_up(&n, mode), "the CHILD_UP events name the same pair");
    cr_assert(v1t_sa(&n, 0)->initiator && !v1t_sa(&n, 1)->initiator);
    cr_assert_eq(v1t_sa(&n, 0)->aggressive, aggressive);
    cr_assert_eq(v1t_sa(&n, 1)->aggressive, aggressive);
    check_events_up(&n.side[0]);
    check_events_up(&n.side[1]);
    cr_assert_eq(n.side[0].child.encap, 0, "no NAT, nat_traversal off: plain ESP");
    uint32_t spi = v1t_ping(&n, 0, 1, NULL);
    cr_assert_eq(spi, n.side[1].child.spi_in, "A sends on B's inbound SPI");
    spi = v1t_ping(&n, 1, 2, NULL);
    cr_assert_eq(spi, n.side[0].child.spi_in, "B sends on A's inbound SPI");
    /* exchange material is gone once established (freed, not kept for the SA's life) */
    cr_assert_null(v1t_sa(&n, 0)->dh);
    cr_assert_null(v1t_sa(&n, 1)->dh);
    h_free(&n);
}

Test(ikev1_lifecycle, main_mode_defaults_aes128_sha1_modp1024, .timeout = 30)
{
    establish("main", "aes", "sha1", "group2", "group2");
}

Test(ikev1_lifecycle, main_mode_aes256_sha256_modp2048_pfs14, .timeout = 30)
{
    establish("main", "aes256", "sha256", "group14", "group14");
}

Test(ikev1_lifecycle, main_mode_3des_md5_modp1536_no_pfs, .timeout = 30)
{
    establish("main", "3des", "md5", "group5", "disabled");
}

Test(ikev1_lifecycle, main_mode_aes192_sha512_modp1024, .timeout = 30)
{
    establish("main", "aes192", "sha512", "group2", "group2");
}

Test(ikev1_lifecycle, aggressive_mode_defaults_aes128_sha1_modp1024, .timeout = 30)
{
    establish("aggressive", "aes", "sha1", "group2", "group2");
}

Test(ikev1_lifecycle, aggressive_mode_aes256_sha384_modp2048_no_pfs, .timeout = 30)
{
    establish("aggressive", "aes256", "sha384", "group14", "disabled");
}

Test(ikev1_lifecycle, aggressive_mode_des_sha1_modp1024_pfs2, .timeout = 30)
{
    establish("aggressive", "des", "sha1", "group2", "group2");
}

/* nat_traversal on (RFC 3947): both send the NAT-T vendor ID and NAT-D; with the switch on
 * the engine floats like its IKEv2 counterpart: from MM5 (aggressive: AM3) on, IKE travels
 * 4500 -> 4500 behind the non-ESP marker, and ESP is UDP-encapsulated on 4500. */
static bool expect_float(h_net *n, const h_dgram *d, bool *dup)
{
    (void)n;
    (void)dup;
    v1t_kind k = v1t_record(d);
    bool early = k == K_MM1 || k == K_MM2 || k == K_MM3 || k == K_MM4 || k == K_AM1 ||
                 k == K_AM2;
    if (early) {
        cr_assert_eq(d->dst.port, IPSECVPN_IKE_PORT, "%s on 500", v1t_names[k]);
        cr_assert_eq(d->src.port, IPSECVPN_IKE_PORT, "%s on 500", v1t_names[k]);
    } else {
        static const uint8_t zero[4] = { 0 };
        cr_assert_eq(d->src.port, IPSECVPN_NATT_PORT, "%s from 4500", v1t_names[k]);
        cr_assert_eq(d->dst.port, IPSECVPN_NATT_PORT, "%s to 4500", v1t_names[k]);
        cr_assert_eq(memcmp(d->data, zero, 4), 0, "%s: non-ESP marker", v1t_names[k]);
    }
    return true;
}

static void nat_t(const char *mode)
{
    h_net n;
    const char *f[] = { "nat_traversal" };
    const char *v[] = { "on" };
    v1t_init(&n, mode, f, v, 1);
    n.filter = expect_float;
    v1t_up(&n);
    check_flow(strcmp(mode, "aggressive") == 0);
    cr_assert(v1t_check_up(&n, mode), "the last CHILD events name the same pair");
    for (int i = 0; i < 2; i++) {
        cr_assert(v1t_sa(&n, i)->peer_natt, "side %d saw the RFC 3947 vendor ID", i);
        cr_assert_eq(n.side[i].child.encap, 1, "side %d: ESP in UDP", i);
        cr_assert_eq(n.side[i].child.local.port, IPSECVPN_NATT_PORT);
        cr_assert_eq(n.side[i].child.remote.port, IPSECVPN_NATT_PORT);
    }
    for (int from = 0; from < 2; from++) {
        uint8_t buf[2048];
        size_t len = h_icmp4(buf, 128, from ? "10.2.0.1" : "10.1.0.1",
                             from ? "10.1.0.1" : "10.2.0.1", 9);
        ipsecvpn_endpoint l, r;
        size_t oo, ol;
        cr_assert_eq(ipsecvpn_engine_protect(n.side[from].e, buf, sizeof(buf), 128, len, n.now,
                                             &l, &r, &oo, &ol), IPSECVPN_OK);
        cr_assert_eq(l.port, IPSECVPN_NATT_PORT, "UDP-encapsulated ESP from 4500");
        cr_assert_eq(r.port, IPSECVPN_NATT_PORT);
        ipsecvpn_read_result res;
        cr_assert_eq(ipsecvpn_engine_read(n.side[1 - from].e, &r, &l, buf + oo, ol, n.now, &res),
                     IPSECVPN_OK);
        cr_assert_eq(res.kind, IPSECVPN_READ_PLAINTEXT);
    }
    h_free(&n);
}

Test(ikev1_lifecycle, main_mode_nat_t_floats_to_4500, .timeout = 30) { nat_t("main"); }
Test(ikev1_lifecycle, aggressive_mode_nat_t_floats_to_4500, .timeout = 30) { nat_t("aggressive"); }

/* Removing the connection sends protected Deletes (RFC 2408 §4.8 / RFC 2409 §5.7) for the
 * Child SA and the ISAKMP SA: the peer goes DOWN with CHILD_DOWN and IKE_DOWN, and its
 * engine no longer accepts ESP on the old SPI. */
static void delete_case(const char *mode)
{
    h_net n;
    v1t_init(&n, mode, NULL, NULL, 0);
    v1t_up(&n);
    v1t_check_up(&n, mode);
    uint8_t buf[2048];
    size_t len = h_icmp4(buf, 128, "10.1.0.1", "10.2.0.1", 3);
    ipsecvpn_endpoint l, r;
    size_t oo, ol;
    cr_assert_eq(ipsecvpn_engine_protect(n.side[0].e, buf, sizeof(buf), 128, len, n.now, &l, &r,
                                         &oo, &ol), IPSECVPN_OK);
    unsigned info = v1t.count[0][K_INFO];
    cr_assert_eq(ipsecvpn_engine_remove_connection(n.side[0].e, n.side[0].id, n.now),
                 IPSECVPN_OK);
    h_pump(&n);
    cr_assert_gt(v1t.count[0][K_INFO], info, "informational Delete sent");
    int reason;
    cr_assert_eq(h_status(&n.side[1], &reason), IPSECVPN_STATUS_DOWN);
    cr_assert(h_has_event(&n.side[1], IPSECVPN_EVENT_CHILD_DOWN));
    cr_assert(h_has_event(&n.side[1], IPSECVPN_EVENT_IKE_DOWN));
    ipsecvpn_read_result res;
    cr_assert_lt(ipsecvpn_engine_read(n.side[1].e, &r, &l, buf + oo, ol, n.now, &res), 0,
                 "the deleted SA no longer decrypts");
    ivpn_conn *cb = v1t_conn(&n, 1);
    cr_assert_eq(ivpn_child_count(cb), 0, "no Child SA left at B");
    cr_assert(!cb->v1 || !cb->v1->sa || cb->v1->sa->state != IVPN_V1_P1_ESTABLISHED);
    /* nothing is retransmitted afterwards: the peer does not answer a Delete in IKEv1 */
    uint64_t sent_b = n.side[1].sent;
    h_run_until(&n, n.now + 60000);
    cr_assert_eq(n.side[1].sent, sent_b, "B stays quiet once the tunnel is deleted");
    h_free(&n);
}

Test(ikev1_lifecycle, main_mode_delete_on_remove, .timeout = 30) { delete_case("main"); }
Test(ikev1_lifecycle, aggressive_mode_delete_on_remove, .timeout = 30) { delete_case("aggressive"); }

/* ---- traffic through rekeys ---------------------------------------------------------------- */

typedef struct traffic {
    unsigned pings;
    uint16_t seq;
    v1t_kind last;       /* the last IKE message delivered before a ping */
    int last_to;
    bool check_active;   /* both sides must stay ACTIVE at every step */
} traffic;

static void traffic_ping(h_net *n, traffic *t)
{
    for (int from = 0; from < 2; from++) {
        int rc = 0;
        (void)v1t_ping(n, from, ++t->seq, &rc);
        cr_assert_eq(rc, IPSECVPN_OK,
                     "packet %u %c->%c lost at t=%llu ms (rc %d), right after %s was delivered "
                     "to %c; wire: %s",
                     t->seq, 'A' + from, 'B' - from, (unsigned long long)n->now, rc,
                     v1t_names[t->last], 'A' + t->last_to, v1t_log_str());
        t->pings++;
    }
    if (t->check_active)
        for (int i = 0; i < 2; i++)
            cr_assert_eq(h_status(&n->side[i], NULL), IPSECVPN_STATUS_ACTIVE,
                         "side %c left ACTIVE at t=%llu", 'A' + i, (unsigned long long)n->now);
}

/* Like h_run_until, but at most 1 s per step, and one datagram at a time with a ping each
 * way after every delivery: traffic flows at every point of every exchange. */
static void traffic_run(h_net *n, uint64_t until, traffic *t)
{
    for (int rounds = 0; n->now < until && rounds < 100000; rounds++) {
        uint64_t next = n->now + 1000;
        for (int i = 0; i < 2; i++) {
            uint64_t x = ipsecvpn_engine_get_expiry(n->side[i].e);
            if (x < next)
                next = x;
        }
        if (next > until)
            next = until;
        if (next > n->now)
            n->now = next;
        for (int i = 0; i < 2; i++)
            ipsecvpn_engine_handle_expiry(n->side[i].e, n->now);
        traffic_ping(n, t);
        for (int k = 0; n->count && k < 1000; k++) {
            h_dgram d = n->q[n->head];
            n->head = (n->head + 1) % H_QUEUE;
            n->count--;
            t->last = v1t_classify(&d);
            t->last_to = d.to;
            ipsecvpn_read_result res;
            (void)ipsecvpn_engine_read(n->side[d.to].e, &d.dst, &d.src, d.data, d.len, n->now,
                                       &res);
            traffic_ping(n, t);
        }
    }
}

/* Phase-2 rekey by lifetime (ipsec.lifetime 100 s: soft at 80..90 s): a new quick mode
 * replaces the pair before it expires, the old pair is deleted, and not one packet is lost
 * in either direction at any point between the quick-mode messages. */
static void child_rekey(const char *mode, const char *pfs)
{
    h_net n;
    const char *f[] = { "ipsec.lifetime", "ipsec.pfs" };
    const char *v[] = { "100", pfs };
    v1t_init(&n, mode, f, v, 2);
    v1t_up(&n);
    v1t_check_up(&n, mode);
    uint32_t a_in0 = v1t_cur(&n, 0)->spi_in, b_in0 = v1t_cur(&n, 1)->spi_in;
    uint8_t cky_i[8];
    memcpy(cky_i, v1t_sa(&n, 0)->cky_i, 8);
    unsigned qm1 = v1t_seen(K_QM1);
    traffic t = { .check_active = true };
    uint64_t t0 = n.now;
    traffic_run(&n, t0 + 95000, &t);
    cr_assert_gt(v1t_seen(K_QM1), qm1, "a new quick mode by 95 s; wire: %s", v1t_log_str());
    for (int i = 0; i < 2; i++)
        cr_assert(h_has_event(&n.side[i], IPSECVPN_EVENT_CHILD_REKEYED),
                  "side %c reports the pair as rekeyed (make-before-break)", 'A' + i);
    cr_assert_neq(v1t_cur(&n, 0)->spi_in, a_in0, "A has a new inbound SA");
    cr_assert_neq(v1t_cur(&n, 1)->spi_in, b_in0, "B has a new inbound SA");
    v1t_check_up(&n, "after the first rekey");
    cr_assert_eq(memcmp(v1t_sa(&n, 0)->cky_i, cky_i, 8), 0, "same ISAKMP SA");
    /* traffic uses the new pair */
    cr_assert_eq(v1t_ping(&n, 0, 100, NULL), v1t_cur(&n, 1)->spi_in);
    cr_assert_eq(v1t_ping(&n, 1, 101, NULL), v1t_cur(&n, 0)->spi_in);
    /* the old pair is gone by its hard lifetime at the latest */
    traffic_run(&n, t0 + 101000, &t);
    for (int i = 0; i < 2; i++) {
        ivpn_conn *c = v1t_conn(&n, i);
        cr_assert(h_has_event(&n.side[i], IPSECVPN_EVENT_CHILD_DOWN), "side %c", 'A' + i);
        for (ivpn_child *ch = ivpn_child_first(c); ch; ch = ivpn_child_next(ch))
            cr_assert_neq(ch->spi_in, i ? b_in0 : a_in0,
                          "side %c still holds the replaced pair after its hard lifetime", 'A' + i);
        cr_assert_eq(ivpn_child_count(c), 1, "side %c: only the new pair", 'A' + i);
    }
    /* and again: several lifetimes, still no loss */
    traffic_run(&n, t0 + 330000, &t);
    cr_assert_geq(v1t_event_count(&n.side[0], IPSECVPN_EVENT_CHILD_REKEYED) +
                      v1t_event_count(&n.side[1], IPSECVPN_EVENT_CHILD_REKEYED), 6,
                  "three rekeys in 330 s, reported on both sides");
    v1t_check_up(&n, "after several rekeys");
    cr_assert_gt(t.pings, 600);
    cr_assert(!h_has_event(&n.side[0], IPSECVPN_EVENT_IKE_DOWN));
    h_free(&n);
}

Test(ikev1_lifecycle, main_mode_child_rekey_no_packet_lost, .timeout = 60)
{
    child_rekey("main", "disabled");
}

Test(ikev1_lifecycle, main_mode_child_rekey_pfs_no_packet_lost, .timeout = 60)
{
    child_rekey("main", "group2");
}

Test(ikev1_lifecycle, aggressive_mode_child_rekey_no_packet_lost, .timeout = 60)
{
    child_rekey("aggressive", "group2");
}

/* Phase-1 rekey by lifetime (ike.lifetime 300 s): a new ISAKMP SA (new cookies, new SKEYID)
 * replaces the old one before it expires; the Child SA is kept (no CHILD_DOWN, no new
 * CHILD_UP, same SPIs, traffic all along); the old ISAKMP SA is gone by its lifetime; the
 * next phase-2 rekey runs under the new ISAKMP SA and both sides derive the same keys. */
static void ike_rekey(const char *mode)
{
    h_net n;
    const char *f[] = { "ike.lifetime", "ipsec.lifetime" };
    const char *v[] = { "300", "500" };
    v1t_init(&n, mode, f, v, 2);
    v1t_up(&n);
    v1t_check_up(&n, mode);
    ivpn_conn *ca = v1t_conn(&n, 0), *cb = v1t_conn(&n, 1);
    uint8_t cky_i[8], cky_r[8], skeyid_d[IVPN_V1_KEY_MAX];
    memcpy(cky_i, v1t_sa(&n, 0)->cky_i, 8);
    memcpy(cky_r, v1t_sa(&n, 0)->cky_r, 8);
    memcpy(skeyid_d, v1t_sa(&n, 0)->k.d, v1t_sa(&n, 0)->k.len);
    uint32_t a_in = v1t_cur(&n, 0)->spi_in, b_in = v1t_cur(&n, 1)->spi_in;
    uint64_t t0 = n.now;
    traffic t = { .check_active = true };
    traffic_run(&n, t0 + 285000, &t);
    ivpn_v1_sa *sa = v1t_sa(&n, 0), *sb = v1t_sa(&n, 1);
    cr_assert(memcmp(sa->cky_i, cky_i, 8) != 0 || memcmp(sa->cky_r, cky_r, 8) != 0,
              "a new ISAKMP SA by 285 s; wire: %s", v1t_log_str());
    cr_assert_eq(memcmp(sa->cky_i, sb->cky_i, 8), 0);
    cr_assert_eq(memcmp(sa->cky_r, sb->cky_r, 8), 0);
    cr_assert_eq(memcmp(sa->k.d, sb->k.d, sa->k.len), 0, "same new SKEYID_d");
    cr_assert_neq(memcmp(sa->k.d, skeyid_d, sa->k.len), 0, "fresh keying material");
    cr_assert_null(ca->v1->sa_next);
    cr_assert_null(cb->v1->sa_next);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(n.side[i].child_ups, 1, "side %c: the Child SA is kept", 'A' + i);
        cr_assert(!h_has_event(&n.side[i], IPSECVPN_EVENT_CHILD_DOWN), "side %c", 'A' + i);
        cr_assert(!h_has_event(&n.side[i], IPSECVPN_EVENT_PEER_DEAD), "side %c", 'A' + i);
    }
    cr_assert_eq(v1t_cur(&n, 0)->spi_in, a_in);
    cr_assert_eq(v1t_cur(&n, 1)->spi_in, b_in);
    cr_assert_eq(ivpn_child_count(ca), 1);
    cr_assert_eq(ivpn_child_count(cb), 1);
    /* the replaced ISAKMP SA is gone by the end of its lifetime (Delete or expiry) */
    traffic_run(&n, t0 + 305000, &t);
    for (int i = 0; i < 2; i++) {
        ivpn_conn *c = v1t_conn(&n, i);
        for (ivpn_v1_sa *o = c->v1->old; o; o = o->next)
            cr_assert(memcmp(o->cky_i, cky_i, 8) != 0 || memcmp(o->cky_r, cky_r, 8) != 0,
                      "side %c keeps the replaced ISAKMP SA past its 300 s lifetime", 'A' + i);
    }
    cr_assert_eq(n.side[0].child_ups, 1);
    /* the phase-2 rekey (soft 400..450 s) under the new ISAKMP SA (no traffic check here:
     * child_rekey() covers packet loss during a quick mode) */
    h_run_until(&n, t0 + 480000);
    for (int i = 0; i < 2; i++)
        cr_assert(h_has_event(&n.side[i], IPSECVPN_EVENT_CHILD_REKEYED), "side %c", 'A' + i);
    cr_assert_neq(v1t_cur(&n, 0)->spi_in, a_in);
    v1t_check_up(&n, "after the phase-2 rekey under the new ISAKMP SA");
    v1t_ping_both(&n);
    h_free(&n);
}

Test(ikev1_lifecycle, main_mode_ike_rekey_keeps_child_sa, .timeout = 60) { ike_rekey("main"); }
Test(ikev1_lifecycle, aggressive_mode_ike_rekey_keeps_child_sa, .timeout = 60)
{
    ike_rekey("aggressive");
}

/* The peer deletes the ISAKMP SA but keeps the IPsec SAs (RFC 2409 keeps phase-2 SAs
 * independent of the ISAKMP SA that made them; a gateway whose ISAKMP lifetime ran out does
 * this). A keeps the Child SA and ESP keeps flowing; at the Child SA's soft lifetime A has
 * no ISAKMP SA to rekey under, so it negotiates a new phase 1 and then the quick mode that
 * replaces the pair (lib/ike/v1/phase2_timers.c says so) before the pair expires at 100 s. */
static void isakmp_sa_gone(const char *mode, bool silent)
{
    h_net n;
    const char *f[] = { "ipsec.lifetime" };
    const char *v[] = { "100" };
    v1t_init(&n, mode, f, v, 1);
    v1t_up(&n);
    v1t_check_up(&n, mode);
    uint64_t t0 = n.now;
    uint32_t a_in = v1t_cur(&n, 0)->spi_in;
    /* B: Delete(ISAKMP) to A, then B forgets that SA, keeping its Child SA. Silent: the
     * Delete is lost and A forgot the SA as well (as in a lossy run, where A's Delete of a
     * replaced pair took B's last pair and B closed the ISAKMP SA); B leaves the rekey to A. */
    ivpn_conn *cb = v1t_conn(&n, 1);
    ivpn_v1_sa *sb = cb->v1->sa;
    if (!silent)
        cr_assert_eq(ivpn_v1_delete_isakmp_send(n.side[1].e, sb), IPSECVPN_OK);
    cb->v1->sa = NULL;
    ivpn_v1_sa_free(n.side[1].e, sb);
    h_pump(&n);
    ivpn_conn *ca = v1t_conn(&n, 0);
    if (silent) {
        ivpn_v1_sa *sa = ca->v1->sa;
        ca->v1->sa = NULL;
        ivpn_v1_sa_free(n.side[0].e, sa);
        v1t_cur(&n, 1)->rekey_at = 0;
    }
    cr_assert(!ca->v1->sa || ca->v1->sa->state != IVPN_V1_P1_ESTABLISHED,
              "A dropped the ISAKMP SA the peer deleted");
    cr_assert_eq(v1t_cur(&n, 0)->spi_in, a_in, "A kept the Child SA");
    traffic t = { .check_active = false };
    traffic_run(&n, t0 + 75000, &t); /* ESP flows without an ISAKMP SA */
    h_run_until(&n, t0 + 99000);
    int ra, rb;
    cr_assert_eq(h_status(&n.side[0], &ra), IPSECVPN_STATUS_ACTIVE,
                 "A at 99 s: %d (reason %d); wire: %s", h_status(&n.side[0], NULL), ra,
                 v1t_log_str());
    cr_assert_eq(h_status(&n.side[1], &rb), IPSECVPN_STATUS_ACTIVE, "B at 99 s (reason %d)", rb);
    cr_assert_gt(v1t.n_qm, 1, "a quick mode followed the new phase 1; wire: %s", v1t_log_str());
    v1t_check_up(&n, "Child SA rekeyed through a new phase 1");
    cr_assert_neq(v1t_cur(&n, 0)->spi_in, a_in, "a new pair replaced the one made at t0");
    h_run_until(&n, t0 + 101000);
    v1t_check_up(&n, "after the old pair's hard lifetime");
    v1t_ping_both(&n);
    h_free(&n);
}

Test(ikev1_lifecycle, main_mode_child_rekey_after_peer_deleted_isakmp_sa, .timeout = 60)
{
    isakmp_sa_gone("main", false);
}

Test(ikev1_lifecycle, aggressive_mode_child_rekey_after_peer_deleted_isakmp_sa, .timeout = 60)
{
    isakmp_sa_gone("aggressive", false);
}

Test(ikev1_lifecycle, main_mode_child_rekey_with_no_isakmp_sa_left, .timeout = 60)
{
    isakmp_sa_gone("main", true);
}

Test(ikev1_lifecycle, aggressive_mode_child_rekey_with_no_isakmp_sa_left, .timeout = 60)
{
    isakmp_sa_gone("aggressive", true);
}

/* ---- who starts ---------------------------------------------------------------------------- */

/* A response-only side never sends first: not on initiate(), not for its own traffic, not on
 * any timer, not after DPD gave up on the peer with action restart. It answers the peer. */
static void response_only(const char *mode)
{
    h_net n;
    const char *f[] = { "dpd.enabled", "dpd.interval", "dpd.timeout", "dpd.action" };
    const char *v[] = { "on", "10", "30", "restart" };
    v1t_init(&n, mode, f, v, 4);
    h_set(&n, 0, "dpd.action", "hold"); /* A must not come back by itself either */
    h_set(&n, 1, "initiator", "response-only");
    h_set(&n, 1, "effective_immediately", "yes");
    h_start(&n);
    h_side *b = &n.side[1];
    cr_assert_eq(ipsecvpn_engine_initiate(b->e, b->id, n.now), IPSECVPN_ERR_STATE);
    uint8_t buf[512];
    size_t len = h_icmp4(buf, 128, "10.2.0.1", "10.1.0.1", 1);
    ipsecvpn_endpoint l, r;
    size_t oo, ol;
    cr_assert_eq(ipsecvpn_engine_protect(b->e, buf, sizeof(buf), 128, len, n.now, &l, &r, &oo,
                                         &ol), IPSECVPN_ERR_STATE);
    cr_assert(!h_has_event(b, IPSECVPN_EVENT_ACQUIRE), "response-only raises no ACQUIRE");
    h_run_until(&n, n.now + 120000);
    cr_assert_eq(b->sent, 0, "B sent nothing on its own");
    cr_assert_eq(n.side[0].sent, 0, "A (effective_immediately=no) waited too");
    cr_assert_eq(h_status(b, NULL), IPSECVPN_STATUS_DOWN);
    /* the peer initiates: B answers */
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    v1t_check_up(&n, mode);
    cr_assert_eq(v1t.count[1][K_MM1] + v1t.count[1][K_AM1] + v1t.count[1][K_QM1], 0,
                 "B started no exchange; wire: %s", v1t_log_str());
    v1t_ping_both(&n);
    /* A goes silent: B's DPD gives up on it, and with restart it still does not initiate */
    n.cut = true;
    h_run_until(&n, n.now + 45000);
    cr_assert(h_has_event(b, IPSECVPN_EVENT_PEER_DEAD));
    cr_assert_neq(h_status(b, NULL), IPSECVPN_STATUS_ACTIVE);
    uint64_t sent = b->sent;
    n.cut = false;
    h_run_until(&n, n.now + 120000);
    cr_assert_eq(b->sent, sent, "no restart from a response-only side; wire: %s", v1t_log_str());
    h_free(&n);
}

Test(ikev1_lifecycle, main_mode_response_only_never_sends_first, .timeout = 60)
{
    response_only("main");
}

Test(ikev1_lifecycle, aggressive_mode_response_only_never_sends_first, .timeout = 60)
{
    response_only("aggressive");
}

/* effective_immediately=no (the default): nothing happens until outbound traffic needs the
 * tunnel; that packet raises ACQUIRE and starts phase 1. */
static void acquire(const char *mode)
{
    h_net n;
    v1t_init(&n, mode, NULL, NULL, 0);
    h_start(&n);
    h_run_until(&n, n.now + 300000);
    cr_assert_eq(n.side[0].sent + n.side[1].sent, 0, "nobody negotiates without traffic");
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_DOWN);
    int rc = 0;
    (void)v1t_ping(&n, 0, 1, &rc);
    cr_assert_eq(rc, IPSECVPN_ERR_STATE, "the first packet finds no tunnel");
    cr_assert(h_has_event(&n.side[0], IPSECVPN_EVENT_ACQUIRE));
    cr_assert_eq(n.count, 1, "%s1 is out", strcmp(mode, "main") ? "AM" : "MM");
    h_pump(&n);
    check_flow(strcmp(mode, "aggressive") == 0);
    cr_assert(v1t_check_up(&n, mode), "the last CHILD events name the same pair");
    cr_assert_lt(v1t_event_index(&n.side[0], IPSECVPN_EVENT_ACQUIRE),
                 v1t_event_index(&n.side[0], IPSECVPN_EVENT_IKE_UP));
    cr_assert(!h_has_event(&n.side[1], IPSECVPN_EVENT_ACQUIRE));
    v1t_ping_both(&n);
    h_free(&n);
}

Test(ikev1_lifecycle, main_mode_waits_for_traffic_acquire, .timeout = 30) { acquire("main"); }
Test(ikev1_lifecycle, aggressive_mode_waits_for_traffic_acquire, .timeout = 30)
{
    acquire("aggressive");
}

/* effective_immediately=yes: phase 1 starts as the connection is added. */
static void immediately(const char *mode)
{
    h_net n;
    v1t_init(&n, mode, NULL, NULL, 0);
    h_set(&n, 0, "effective_immediately", "yes");
    h_start(&n);
    cr_assert_eq(n.side[0].sent, 1, "the first message left with add_connection");
    h_pump(&n);
    check_flow(strcmp(mode, "aggressive") == 0);
    cr_assert(v1t_check_up(&n, mode), "the last CHILD events name the same pair");
    cr_assert(!h_has_event(&n.side[0], IPSECVPN_EVENT_ACQUIRE));
    h_free(&n);
}

Test(ikev1_lifecycle, main_mode_effective_immediately, .timeout = 30) { immediately("main"); }
Test(ikev1_lifecycle, aggressive_mode_effective_immediately, .timeout = 30)
{
    immediately("aggressive");
}

/* ---- identities, restarts, simultaneous starts ------------------------------------------ */

/* FQDN identities (the SPEC's advice for IKEv1: aggressive mode with FQDNs); a peer whose
 * identity is not the configured RemoteId is refused, and nothing is installed. */
static void fqdn_ids(const char *mode, const char *b_expects)
{
    h_net n;
    v1t_init(&n, mode, NULL, NULL, 0);
    h_set(&n, 0, "ike.local_id", "gw-a.example.com");
    h_set(&n, 0, "ike.remote_id", "gw-b.example.com");
    h_set(&n, 1, "ike.local_id", "gw-b.example.com");
    h_set(&n, 1, "ike.remote_id", b_expects);
    v1t_up(&n);
    h_run_until(&n, n.now + 20000);
    if (strcmp(b_expects, "gw-a.example.com") == 0) {
        v1t_check_up(&n, mode);
        v1t_ping_both(&n);
    } else {
        for (int i = 0; i < 2; i++) {
            cr_assert_neq(h_status(&n.side[i], NULL), IPSECVPN_STATUS_ACTIVE, "side %c", 'A' + i);
            cr_assert_eq(n.side[i].child_ups, 0, "side %c installed nothing", 'A' + i);
        }
        /* B checks A's identity (MM5 / AM3) and refuses; only an aggressive initiator has
         * seen phase 1 complete (after AM2), its quick mode then goes unanswered */
        cr_assert(!h_has_event(&n.side[1], IPSECVPN_EVENT_IKE_UP), "B accepted the wrong ID");
        if (strcmp(mode, "main") == 0)
            cr_assert(!h_has_event(&n.side[0], IPSECVPN_EVENT_IKE_UP));
        int reason;
        cr_assert_eq(h_status(&n.side[1], &reason), IPSECVPN_STATUS_ERROR);
        cr_assert_eq(reason, IPSECVPN_ERR_IKE_AUTH, "B: %d", reason);
    }
    h_free(&n);
}

Test(ikev1_lifecycle, aggressive_mode_fqdn_ids, .timeout = 30)
{
    fqdn_ids("aggressive", "gw-a.example.com");
}
Test(ikev1_lifecycle, main_mode_fqdn_ids, .timeout = 30) { fqdn_ids("main", "gw-a.example.com"); }
Test(ikev1_lifecycle, aggressive_mode_wrong_remote_id_refused, .timeout = 30)
{
    fqdn_ids("aggressive", "gw-x.example.com");
}
Test(ikev1_lifecycle, main_mode_wrong_remote_id_refused, .timeout = 30)
{
    fqdn_ids("main", "gw-x.example.com");
}

/* B restarts (a fresh engine, its SAs forgotten) and negotiates again: A accepts the new
 * phase 1 from the same peer while it still holds the old SAs, and traffic both ways uses
 * the new pair (A must not keep sending on the pair B forgot). */
static void peer_restart(const char *mode)
{
    h_net n;
    v1t_init(&n, mode, NULL, NULL, 0);
    v1t_up(&n);
    v1t_check_up(&n, mode);
    uint32_t old_a_in = v1t_cur(&n, 0)->spi_in;
    h_restart(&n, 1, NULL);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[1].e, n.side[1].id, n.now), IPSECVPN_OK);
    h_run_until(&n, n.now + 10000);
    cr_assert_eq(n.side[1].child_ups, 1, "B up again; wire: %s", v1t_log_str());
    v1t_check_up(&n, "after B restarted");
    cr_assert_neq(v1t_cur(&n, 0)->spi_in, old_a_in, "A uses the new pair");
    cr_assert(v1t_sa(&n, 1)->initiator, "B initiated the new ISAKMP SA");
    v1t_ping_both(&n);
    h_free(&n);
}

Test(ikev1_lifecycle, main_mode_peer_restart, .timeout = 30) { peer_restart("main"); }
Test(ikev1_lifecycle, aggressive_mode_peer_restart, .timeout = 30) { peer_restart("aggressive"); }

/* Both sides start at the same moment (effective_immediately on both): the MM1/AM1s cross.
 * They end on one working tunnel: both ACTIVE, the current pairs mirror each other, ESP
 * flows both ways. */
static void simultaneous(const char *mode)
{
    h_net n;
    const char *f[] = { "effective_immediately" };
    const char *v[] = { "yes" };
    v1t_init(&n, mode, f, v, 1);
    h_start(&n);
    h_run_until(&n, n.now + 30000);
    v1t_check_up(&n, "simultaneous start");
    v1t_ping_both(&n);
    for (int i = 0; i < 2; i++)
        cr_assert(!h_has_event(&n.side[i], IPSECVPN_EVENT_PEER_DEAD), "side %c", 'A' + i);
    h_free(&n);
}

Test(ikev1_lifecycle, main_mode_simultaneous_start, .timeout = 30) { simultaneous("main"); }
Test(ikev1_lifecycle, aggressive_mode_simultaneous_start, .timeout = 30)
{
    simultaneous("aggressive");
}
