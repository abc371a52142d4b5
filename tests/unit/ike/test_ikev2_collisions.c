/*
 * Simultaneous rekeys (RFC 7296 §2.8.1): both ends start a rekey of the same Child SA at the
 * same fake time, both CREATE_CHILD_SA exchanges complete, and the lowest of the four nonces
 * decides which new pair is redundant; its creator deletes it, the winner deletes the old one.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"
#include "ike/v2/rekey_collision.h"
#include "ike/v2/v2_internal.h"

static int count_events(const h_side *s, int type)
{
    int k = 0;
    for (size_t i = 0; i < s->n_events; i++)
        k += s->events[i] == type;
    return k;
}

/* One ICMP packet from side `from` to the other over its current pair: must decrypt intact,
 * and must travel on the pair the receiver has in slot 0. */
static void traffic_passes(h_net *n, ivpn_conn *const conns[2])
{
    for (int from = 0; from < 2; from++) {
        uint8_t buf[512], orig[128];
        size_t len = h_icmp4(buf, 128, from ? "10.2.0.1" : "10.1.0.1",
                             from ? "10.1.0.1" : "10.2.0.1", 7);
        memcpy(orig, buf + 128, len);
        ipsecvpn_endpoint l, r;
        size_t oo, ol;
        cr_assert_eq(ipsecvpn_engine_protect(n->side[from].e, buf, sizeof(buf), 128, len, n->now,
                                             &l, &r, &oo, &ol), IPSECVPN_OK);
        uint32_t spi = (uint32_t)buf[oo] << 24 | (uint32_t)buf[oo + 1] << 16 |
                       (uint32_t)buf[oo + 2] << 8 | buf[oo + 3];
        cr_assert_eq(spi, ivpn_child_current(conns[1 - from])->spi_in, "sent on the surviving pair");
        ipsecvpn_read_result res;
        cr_assert_eq(ipsecvpn_engine_read(n->side[1 - from].e, &r, &l, buf + oo, ol, n->now, &res),
                     IPSECVPN_OK);
        cr_assert_eq(res.kind, IPSECVPN_READ_PLAINTEXT);
        cr_assert_eq(memcmp(buf + oo + res.offset, orig, len), 0);
    }
}

/* Runs one collision with the given random seed; returns 0 when A's exchange created the
 * surviving pair, 1 when B's did. */
static int child_collision(uint64_t seed, const char *pfs)
{
    h_net n;
    const char *f[] = { "ipsec.lifetime", "ipsec.pfs" };
    const char *v[] = { "1000", pfs };
    h_init(&n, f, v, 2);
    h_start(&n);
    ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now);
    h_pump(&n);
    ivpn_conn *c[2] = { ivpn_engine_find_conn(n.side[0].e, n.side[0].id),
                        ivpn_engine_find_conn(n.side[1].e, n.side[1].id) };
    uint32_t old_in[2] = { ivpn_child_current(c[0])->spi_in, ivpn_child_current(c[1])->spi_in };
    /* the nonces come from the seeded generators: reseeding picks the winner */
    n.side[0].rng ^= seed * 0x2545f4914f6cdd1dull;
    n.side[1].rng ^= seed * 0x9e3779b97f4a7c15ull;
    ivpn_child_current(c[0])->rekey_at = ivpn_child_current(c[1])->rekey_at = n.now + 100;
    h_run_until(&n, n.now + 5000);
    for (int i = 0; i < 2; i++) {
        /* both exchanges completed: two new pairs each, not a refusal and a retry */
        cr_assert_eq(count_events(&n.side[i], IPSECVPN_EVENT_CHILD_REKEYED), 2, "side %d", i);
        /* the old pair and the redundant new one are gone */
        cr_assert_eq(count_events(&n.side[i], IPSECVPN_EVENT_CHILD_DOWN), 2, "side %d", i);
        cr_assert(ivpn_child_current(c[i]) != NULL, "side %d has a pair", i);
        cr_assert(ivpn_child_count(c[i]) == 1, "side %d: exactly one pair", i);
        cr_assert_neq(ivpn_child_current(c[i])->spi_in, old_in[i], "side %d: a new pair", i);
        cr_assert_eq(h_status(&n.side[i], NULL), IPSECVPN_STATUS_ACTIVE, "side %d", i);
        cr_assert(!h_has_event(&n.side[i], IPSECVPN_EVENT_IKE_DOWN), "side %d", i);
    }
    cr_assert_eq(ivpn_child_current(c[0])->spi_out, ivpn_child_current(c[1])->spi_in);
    cr_assert_eq(ivpn_child_current(c[0])->spi_in, ivpn_child_current(c[1])->spi_out);
    traffic_passes(&n, c);
    /* the survivor is the pair whose SPI the winner allocated for its own request */
    int winner = ivpn_child_current(c[0])->spi_in == c[0]->ike->pending_spi_in ? 0 : 1;
    cr_assert_eq(ivpn_child_current(c[winner])->spi_in, c[winner]->ike->pending_spi_in);
    /* no retry pending: the next rekey is the survivor's normal soft lifetime */
    h_run_until(&n, n.now + 60000);
    cr_assert_eq(count_events(&n.side[0], IPSECVPN_EVENT_CHILD_REKEYED), 2);
    cr_assert_eq(count_events(&n.side[1], IPSECVPN_EVENT_CHILD_REKEYED), 2);
    traffic_passes(&n, c);
    h_free(&n);
    return winner;
}

static void both_outcomes(const char *pfs)
{
    bool won[2] = { false, false };
    for (uint64_t seed = 1; seed <= 24 && !(won[0] && won[1]); seed++)
        won[child_collision(seed, pfs)] = true;
    cr_assert(won[0] && won[1], "each side's exchange survives for some nonces");
}

Test(ikev2_collisions, child_rekey_collision_nonce_rule, .timeout = 120)
{
    both_outcomes("disabled");
}

Test(ikev2_collisions, child_rekey_collision_with_pfs, .timeout = 120)
{
    both_outcomes("group14");
}

/* Data between the IKE messages of a Child SA rekey collision: after every IKE datagram each
 * side sends a packet, delivered in order with the IKE traffic; none may be dropped, whatever
 * pair it went out on and whichever pairs are being deleted meanwhile. */
static void data_during_collision(uint64_t seed)
{
    h_net n;
    const char *f[] = { "ipsec.lifetime" };
    const char *v[] = { "1000" };
    h_init(&n, f, v, 1);
    h_start(&n);
    ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now);
    h_pump(&n);
    ivpn_conn *c[2] = { ivpn_engine_find_conn(n.side[0].e, n.side[0].id),
                        ivpn_engine_find_conn(n.side[1].e, n.side[1].id) };
    n.side[0].rng ^= seed * 0x2545f4914f6cdd1dull;
    n.side[1].rng ^= seed * 0x9e3779b97f4a7c15ull;
    n.now += 100;
    ivpn_child_current(c[0])->rekey_at = ivpn_child_current(c[1])->rekey_at = n.now;
    for (int i = 0; i < 2; i++)
        ipsecvpn_engine_handle_expiry(n.side[i].e, n.now);
    int ike_steps = 0, esp_ok = 0;
    uint16_t seq = 0;
    while (n.count) {
        h_dgram d = n.q[n.head];
        n.head = (n.head + 1) % H_QUEUE;
        n.count--;
        ipsecvpn_read_result res;
        int rc = ipsecvpn_engine_read(n.side[d.to].e, &d.dst, &d.src, d.data, d.len, n.now, &res);
        if (d.dst.port == 0) {
            cr_assert_eq(rc, IPSECVPN_OK, "packet to side %d lost after %d IKE datagrams", d.to,
                         ike_steps);
            cr_assert_eq(res.kind, IPSECVPN_READ_PLAINTEXT);
            esp_ok++;
            continue;
        }
        ike_steps++;
        for (int from = 0; from < 2 && n.count + 1 < H_QUEUE; from++) {
            h_dgram *q = &n.q[(n.head + n.count) % H_QUEUE];
            size_t len = h_icmp4(q->data, 128, from ? "10.2.0.1" : "10.1.0.1",
                                 from ? "10.1.0.1" : "10.2.0.1", ++seq);
            size_t oo, ol;
            cr_assert_eq(ipsecvpn_engine_protect(n.side[from].e, q->data, sizeof(q->data), 128,
                                                 len, n.now, &q->src, &q->dst, &oo, &ol),
                         IPSECVPN_OK);
            cr_assert_eq(q->dst.port, 0, "plain ESP");
            memmove(q->data, q->data + oo, ol);
            q->len = ol;
            q->to = 1 - from;
            n.count++;
        }
    }
    cr_assert_geq(ike_steps, 8, "two rekeys and two deletes, requests and responses");
    cr_assert_eq(esp_ok, 2 * ike_steps);
    for (int i = 0; i < 2; i++)
        cr_assert(ivpn_child_count(c[i]) == 1, "side %d: one pair", i);
    h_free(&n);
}

Test(ikev2_collisions, no_packet_lost_during_collision, .timeout = 60)
{
    for (uint64_t seed = 1; seed <= 6; seed++)
        data_during_collision(seed);
}

/* The comparison itself: octet by octet, a prefix is the lower, lowest of four decides. */
Test(ikev2_collisions, lowest_nonce_comparison)
{
    const uint8_t n01ff[] = { 0x01, 0xff }, n0200[] = { 0x02, 0x00 }, n0300[] = { 0x03, 0x00 };
    const uint8_t n12[] = { 0x05, 0x02 }, n123[] = { 0x05, 0x02, 0x03 }, n9[] = { 0x09, 0x00 };
    /* lowest is in the first exchange (as Ni or as Nr) */
    cr_assert(ivpn_rekey_collision_lost(n01ff, 2, n9, 2, n0200, 2, n0300, 2));
    cr_assert(ivpn_rekey_collision_lost(n9, 2, n01ff, 2, n0300, 2, n0200, 2));
    /* lowest is in the second exchange */
    cr_assert(!ivpn_rekey_collision_lost(n0200, 2, n9, 2, n0300, 2, n01ff, 2));
    cr_assert(!ivpn_rekey_collision_lost(n9, 2, n0300, 2, n01ff, 2, n9, 2));
    /* a nonce that is a prefix of another is the lower one */
    cr_assert(ivpn_rekey_collision_lost(n12, 2, n9, 2, n123, 3, n9, 2));
    cr_assert(!ivpn_rekey_collision_lost(n123, 3, n9, 2, n12, 2, n9, 2));
    /* octets, not integers: 0x01ff.. (short) beats 0x0200 */
    const uint8_t long0200[] = { 0x02, 0x00, 0x00, 0x00 };
    cr_assert(ivpn_rekey_collision_lost(n01ff, 2, n9, 2, long0200, 4, n9, 2));
}

/* Drops the first CREATE_CHILD_SA request to A: B's rekey reaches A only as a retransmission,
 * after A's own rekey completed and A deleted the pair B wants to rekey. */
static bool delay_b_rekey(h_net *n, const h_dgram *d, bool *dup)
{
    (void)dup;
    size_t o = d->dst.port == IPSECVPN_IKE_PORT ? 0 : 4;
    bool req = d->len >= o + 28 && d->data[o + 18] == 36 && !(d->data[o + 19] & 0x20);
    if (req && d->to == 0 && n->filter_state == 0) {
        n->filter_state = 1;
        return false;
    }
    return true;
}

/* B sees the collision (A's request arrives while its own is out) but its request reaches A
 * too late: A refuses it (the pair is gone), B keeps A's new pair and does not retry. */
Test(ikev2_collisions, crossing_rekey_refused_after_delete, .timeout = 60)
{
    h_net n;
    const char *f[] = { "ipsec.lifetime" };
    const char *v[] = { "1000" };
    h_init(&n, f, v, 1);
    h_start(&n);
    ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now);
    h_pump(&n);
    ivpn_conn *c[2] = { ivpn_engine_find_conn(n.side[0].e, n.side[0].id),
                        ivpn_engine_find_conn(n.side[1].e, n.side[1].id) };
    n.filter = delay_b_rekey;
    ivpn_child_current(c[0])->rekey_at = ivpn_child_current(c[1])->rekey_at = n.now + 100;
    h_run_until(&n, n.now + 60000);
    cr_assert_eq(n.filter_state, 1, "B's request was delayed");
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(count_events(&n.side[i], IPSECVPN_EVENT_CHILD_REKEYED), 1, "side %d", i);
        cr_assert(ivpn_child_count(c[i]) == 1, "side %d: one pair", i);
        cr_assert_eq(c[i]->ike->coll_spi_in, 0u);
        cr_assert_eq(h_status(&n.side[i], NULL), IPSECVPN_STATUS_ACTIVE);
    }
    cr_assert_eq(ivpn_child_current(c[0])->spi_out, ivpn_child_current(c[1])->spi_in);
    cr_assert_eq(ivpn_child_current(c[0])->spi_in, ivpn_child_current(c[1])->spi_out);
    traffic_passes(&n, c);
    h_free(&n);
}

/* Both sides start an IKE SA rekey at the same fake time (§2.8.2): both exchanges complete at
 * once (no TEMPORARY_FAILURE and random retry), the new SA with the lowest nonce is deleted by
 * its creator, the winner deletes the old one; the Child SA is untouched and keeps carrying
 * traffic, and later Child SA rekeys use the survivor's SK_d. Returns the winning side. */
static int ike_collision(uint64_t seed)
{
    h_net n;
    const char *f[] = { "ike.lifetime", "ipsec.lifetime" };
    const char *v[] = { "3000", "5000" };
    h_init(&n, f, v, 2);
    h_start(&n);
    ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now);
    h_pump(&n);
    ivpn_conn *c[2] = { ivpn_engine_find_conn(n.side[0].e, n.side[0].id),
                        ivpn_engine_find_conn(n.side[1].e, n.side[1].id) };
    uint8_t spi_i[8];
    memcpy(spi_i, c[0]->ike->spi_i, 8);
    n.side[0].rng ^= seed * 0x2545f4914f6cdd1dull;
    n.side[1].rng ^= seed * 0x9e3779b97f4a7c15ull;
    c[0]->ike->rekey_at = c[1]->ike->rekey_at = n.now + 100;
    /* well under the 1 s minimum of a refused-and-retried rekey */
    h_run_until(&n, n.now + 400);
    for (int i = 0; i < 2; i++) {
        cr_assert_not_null(c[i]->ike);
        cr_assert_null(c[i]->ike_old, "side %d: old IKE SA deleted", i);
        cr_assert_null(c[i]->ike_dup, "side %d: redundant IKE SA deleted", i);
        cr_assert_null(c[i]->ike->coll_ike);
        cr_assert_eq(h_status(&n.side[i], NULL), IPSECVPN_STATUS_ACTIVE);
        cr_assert(!h_has_event(&n.side[i], IPSECVPN_EVENT_IKE_DOWN), "side %d", i);
    }
    cr_assert_neq(memcmp(c[0]->ike->spi_i, spi_i, 8), 0, "a new IKE SA");
    cr_assert_eq(memcmp(c[0]->ike->spi_i, c[1]->ike->spi_i, 8), 0);
    cr_assert_eq(memcmp(c[0]->ike->spi_r, c[1]->ike->spi_r, 8), 0);
    cr_assert_eq(memcmp(c[0]->ike->sk_d, c[1]->ike->sk_d, c[0]->ike->prf_len), 0);
    cr_assert_neq(c[0]->ike->initiator, c[1]->ike->initiator);
    cr_assert_eq(n.side[0].child_ups, 1, "Child SA untouched");
    traffic_passes(&n, c);
    int winner = c[0]->ike->initiator ? 0 : 1;
    /* the survivor works: a Child SA rekey under it (keys from its SK_d) */
    cr_assert_eq(ivpn_ikev2_rekey_child_send(n.side[winner].e, c[winner], n.now), IPSECVPN_OK);
    h_run_until(&n, n.now + 2000);
    cr_assert_eq(ivpn_child_current(c[0])->spi_out, ivpn_child_current(c[1])->spi_in);
    traffic_passes(&n, c);
    h_free(&n);
    return winner;
}

Test(ikev2_collisions, ike_rekey_collision_nonce_rule, .timeout = 120)
{
    bool won[2] = { false, false };
    for (uint64_t seed = 1; seed <= 24 && !(won[0] && won[1]); seed++)
        won[ike_collision(seed)] = true;
    cr_assert(won[0] && won[1], "each side's IKE SA survives for some nonces");
}

/* Only B sees the IKE rekey collision: B's request is lost once, so A's rekey completes
 * first. B then learns it from A's Delete of the old SA (drops = 0), or from A's old SA
 * refusing B's retransmitted rekey with TEMPORARY_FAILURE (drops = 2: A's Delete is lost
 * twice); either way A's new SA is the one on both sides. */
static bool only_b_sees_ike_collision(h_net *n, const h_dgram *d, bool *dup)
{
    (void)dup;
    size_t o = d->dst.port == IPSECVPN_IKE_PORT ? 0 : 4;
    if (d->len < o + 28 || (d->data[o + 19] & 0x20))
        return true;
    uint8_t exch = d->data[o + 18];
    if (exch == 36 && d->to == 0 && !(n->filter_state & 1)) {
        n->filter_state |= 1;
        return false;
    }
    if (exch == 37 && d->to == 1 && ((n->filter_state >> 1) & 0x7f) < ((n->filter_state >> 8) & 0xff)) {
        n->filter_state += 2;
        return false;
    }
    return true;
}

static void one_sided_ike_collision(int drops)
{
    h_net n;
    const char *f[] = { "ike.lifetime", "ipsec.lifetime" };
    const char *v[] = { "3000", "5000" };
    h_init(&n, f, v, 2);
    h_start(&n);
    ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now);
    h_pump(&n);
    ivpn_conn *c[2] = { ivpn_engine_find_conn(n.side[0].e, n.side[0].id),
                        ivpn_engine_find_conn(n.side[1].e, n.side[1].id) };
    n.filter = only_b_sees_ike_collision;
    n.filter_state = drops << 8;
    c[0]->ike->rekey_at = c[1]->ike->rekey_at = n.now + 100;
    h_run_until(&n, n.now + 10000);
    cr_assert(n.filter_state & 1, "B's rekey was delayed");
    for (int i = 0; i < 2; i++) {
        cr_assert_not_null(c[i]->ike);
        cr_assert_null(c[i]->ike_old, "side %d", i);
        cr_assert_null(c[i]->ike_dup, "side %d", i);
        cr_assert_eq(h_status(&n.side[i], NULL), IPSECVPN_STATUS_ACTIVE);
    }
    cr_assert(c[0]->ike->initiator, "A's rekey created the survivor");
    cr_assert_eq(memcmp(c[0]->ike->spi_i, c[1]->ike->spi_i, 8), 0);
    cr_assert_eq(memcmp(c[0]->ike->spi_r, c[1]->ike->spi_r, 8), 0);
    cr_assert_eq(memcmp(c[0]->ike->sk_d, c[1]->ike->sk_d, c[0]->ike->prf_len), 0);
    traffic_passes(&n, c);
    h_free(&n);
}

Test(ikev2_collisions, ike_collision_seen_by_one_side_delete, .timeout = 60)
{
    one_sided_ike_collision(0);
}

Test(ikev2_collisions, ike_collision_seen_by_one_side_refused, .timeout = 60)
{
    one_sided_ike_collision(2);
}
