/*
 * Several Child SAs under one IKE SA (RFC 7296 §1.3.1): the peer opens a second and a third
 * pair with CREATE_CHILD_SA (without REKEY_SA) for other selectors, each carries its own
 * traffic, each is rekeyed and deleted on its own while the others keep working.
 *
 * A protects 10.1.0.0/24 <-> 10.2.0.0/24 (its first pair, from IKE_AUTH); B protects the
 * wider 10.2.0.0/16 <-> 10.1.0.0/16. A opens the further pairs through a test hook:
 * flow k (k = 1, 2) is 10.1.k.0/24 <-> 10.2.k.0/24.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "ike/common/ts.h"
#include "ike/v2/v2_internal.h"

static ivpn_conn *conn_of(h_net *n, int side)
{
    return ivpn_engine_find_conn(n->side[side].e, n->side[side].id);
}

/* One IPv4 selector lo..hi, any protocol and port. */
static void ts4(ivpn_ts_set *s, const char *lo, const char *hi)
{
    ivpn_ts *t = &s->ts[s->n++];
    memset(t, 0, sizeof(*t));
    t->family = 4;
    t->port_hi = 0xffff;
    cr_assert_eq(inet_pton(AF_INET, lo, t->lo), 1);
    cr_assert_eq(inet_pton(AF_INET, hi, t->hi), 1);
}

static void up(h_net *n, const char *lifetime)
{
    const char *f[] = { "ipsec.lifetime" };
    const char *v[] = { lifetime };
    h_init(n, f, v, 1);
    h_flows(n, 0, "10.1.0.0/24", "10.2.0.0/24");
    h_flows(n, 1, "10.2.0.0/16", "10.1.0.0/16");
    h_start(n);
    cr_assert_eq(ipsecvpn_engine_initiate(n->side[0].e, n->side[0].id, n->now), IPSECVPN_OK);
    h_pump(n);
    cr_assert_eq(h_status(&n->side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert_eq(h_status(&n->side[1], NULL), IPSECVPN_STATUS_ACTIVE);
}

/* A opens the pair for flow k; returns A's inbound SPI of it. */
static uint32_t open_flow(h_net *n, int k)
{
    char lo_l[20], hi_l[20], lo_r[20], hi_r[20];
    snprintf(lo_l, sizeof(lo_l), "10.1.%d.0", k);
    snprintf(hi_l, sizeof(hi_l), "10.1.%d.255", k);
    snprintf(lo_r, sizeof(lo_r), "10.2.%d.0", k);
    snprintf(hi_r, sizeof(hi_r), "10.2.%d.255", k);
    IVPN_TS_SET_LOCAL(l);
    IVPN_TS_SET_LOCAL(r);
    ts4(&l, lo_l, hi_l);
    ts4(&r, lo_r, hi_r);
    size_t before = ivpn_child_count(conn_of(n, 0));
    cr_assert_eq(ivpn_engine_test_create_child(n->side[0].e, n->side[0].id, &l, &r, n->now),
                 IPSECVPN_OK);
    h_pump(n);
    cr_assert_eq(ivpn_child_count(conn_of(n, 0)), before + 1, "flow %d: A has a new pair", k);
    cr_assert_eq(ivpn_child_count(conn_of(n, 1)), before + 1, "flow %d: B has a new pair", k);
    /* the newest pair is last */
    ivpn_child *ch = ivpn_child_first(conn_of(n, 0));
    while (ivpn_child_next(ch))
        ch = ivpn_child_next(ch);
    cr_assert_eq(ch->local_ts.n, 1);
    cr_assert_eq(memcmp(ch->local_ts.ts[0].lo, l.ts[0].lo, 4), 0, "flow %d: our selector", k);
    cr_assert_eq(memcmp(ch->remote_ts.ts[0].hi, r.ts[0].hi, 4), 0, "flow %d: their selector", k);
    cr_assert_eq(n->side[0].child.spi_in, ch->spi_in, "CHILD_UP names the new pair");
    return ch->spi_in;
}

/* A packet of flow k (k = 0 is the first pair's) from `from` to the other side: protected
 * on the pair whose selectors hold it, decrypted by the peer. Returns the ESP SPI. */
static uint32_t flow_packet(h_net *n, int from, int k, uint16_t seq)
{
    char a[20], b[20];
    snprintf(a, sizeof(a), "10.%d.%d.7", from ? 2 : 1, k);
    snprintf(b, sizeof(b), "10.%d.%d.9", from ? 1 : 2, k);
    uint8_t buf[512], orig[128];
    size_t len = h_icmp4(buf, 128, a, b, seq);
    memcpy(orig, buf + 128, len);
    ipsecvpn_endpoint l, r;
    size_t oo, ol;
    int rc = ipsecvpn_engine_protect(n->side[from].e, buf, sizeof(buf), 128, len, n->now, &l, &r,
                                     &oo, &ol);
    cr_assert_eq(rc, IPSECVPN_OK, "flow %d from %d: protect: %s", k, from, ipsecvpn_strerror(rc));
    uint32_t spi = (uint32_t)buf[oo] << 24 | (uint32_t)buf[oo + 1] << 16 |
                   (uint32_t)buf[oo + 2] << 8 | buf[oo + 3];
    ipsecvpn_read_result res;
    rc = ipsecvpn_engine_read(n->side[1 - from].e, &r, &l, buf + oo, ol, n->now, &res);
    cr_assert_eq(rc, IPSECVPN_OK, "flow %d from %d: read: %s", k, from, ipsecvpn_strerror(rc));
    cr_assert_eq(res.kind, IPSECVPN_READ_PLAINTEXT);
    cr_assert_eq(res.len, len);
    cr_assert_eq(memcmp(buf + oo + res.offset, orig, len), 0);
    return spi;
}

/* Every flow goes out on its own pair, both ways: A's SPIs towards B are B's inbound ones. */
static void check_flows(h_net *n, const int *flows, size_t nflows, uint16_t seq)
{
    ivpn_conn *a = conn_of(n, 0), *b = conn_of(n, 1);
    uint32_t seen[8];
    for (size_t i = 0; i < nflows; i++) {
        int k = flows[i];
        uint32_t to_b = flow_packet(n, 0, k, seq), to_a = flow_packet(n, 1, k, seq);
        ivpn_child *in_b = ivpn_child_find(b, to_b), *in_a = ivpn_child_find(a, to_a);
        cr_assert_not_null(in_b, "flow %d: B receives on one of its pairs", k);
        cr_assert_not_null(in_a, "flow %d: A receives on one of its pairs", k);
        cr_assert(!in_b->retired && !in_a->retired, "flow %d: on current pairs", k);
        cr_assert_eq(in_a->spi_out, to_b, "flow %d: one pair, both directions", k);
        for (size_t j = 0; j < i; j++)
            cr_assert_neq(seen[j], to_b, "flows %d and %d share a pair", k, flows[j]);
        seen[i] = to_b;
    }
}

static size_t count_events(const h_side *s, int type)
{
    size_t c = 0;
    for (size_t i = 0; i < s->n_events; i++)
        c += s->events[i] == type;
    return c;
}

Test(ikev2_children, second_and_third_pair_carry_their_flows, .timeout = 60)
{
    h_net n;
    up(&n, "3600");
    uint32_t spi1 = open_flow(&n, 1);
    uint32_t spi2 = open_flow(&n, 2);
    cr_assert_neq(spi1, spi2);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(count_events(&n.side[i], IPSECVPN_EVENT_CHILD_UP), 3, "side %d: 3 up", i);
        cr_assert_eq(count_events(&n.side[i], IPSECVPN_EVENT_CHILD_DOWN), 0);
    }
    static const int all[] = { 0, 1, 2 };
    check_flows(&n, all, 3, 1);
    /* the first pair is unchanged and still the one IKE_AUTH made */
    cr_assert_eq(ivpn_child_first(conn_of(&n, 0))->local_ts.ts[0].lo[2], 0);
    /* traffic nobody protects is refused, not sent on some pair */
    uint8_t buf[256];
    size_t len = h_icmp4(buf, 64, "10.1.9.1", "10.2.9.1", 1);
    ipsecvpn_endpoint l, r;
    size_t oo, ol;
    cr_assert_eq(ipsecvpn_engine_protect(n.side[0].e, buf, sizeof(buf), 64, len, n.now, &l, &r,
                                         &oo, &ol), IPSECVPN_ERR_ESP_NO_POLICY);
    h_free(&n);
}

/* A rekey of one pair (from either side) replaces only that pair. */
Test(ikev2_children, rekey_of_one_pair_leaves_the_others, .timeout = 60)
{
    h_net n;
    up(&n, "3600");
    uint32_t spi1 = open_flow(&n, 1);
    (void)open_flow(&n, 2);
    ivpn_conn *a = conn_of(&n, 0), *b = conn_of(&n, 1);
    uint32_t first_a = ivpn_child_first(a)->spi_in;
    uint32_t third_b = ivpn_child_next(ivpn_child_next(ivpn_child_first(b)))->spi_in;

    /* A rekeys flow 1's pair */
    cr_assert_eq(ivpn_engine_test_rekey_child(n.side[0].e, n.side[0].id, spi1, n.now),
                 IPSECVPN_OK);
    h_pump(&n);
    cr_assert_null(ivpn_child_find(a, spi1), "the old pair is deleted");
    cr_assert_eq(ivpn_child_count(a), 3);
    cr_assert_eq(ivpn_child_count(b), 3);
    cr_assert_not_null(ivpn_child_find(a, first_a), "the first pair is untouched");
    cr_assert_not_null(ivpn_child_find(b, third_b), "the third pair is untouched");
    cr_assert_eq(count_events(&n.side[0], IPSECVPN_EVENT_CHILD_REKEYED), 1);
    cr_assert_eq(count_events(&n.side[1], IPSECVPN_EVENT_CHILD_REKEYED), 1);
    static const int all[] = { 0, 1, 2 };
    check_flows(&n, all, 3, 2);

    /* B rekeys the third pair: A, as responder, keeps that pair's own selectors (they lie
     * outside A's configured flow) */
    cr_assert_eq(ivpn_engine_test_rekey_child(n.side[1].e, n.side[1].id, third_b, n.now),
                 IPSECVPN_OK);
    h_pump(&n);
    cr_assert_null(ivpn_child_find(b, third_b));
    cr_assert_eq(ivpn_child_count(a), 3);
    cr_assert_eq(ivpn_child_count(b), 3);
    cr_assert_not_null(ivpn_child_find(a, first_a));
    cr_assert_eq(count_events(&n.side[1], IPSECVPN_EVENT_CHILD_REKEYED), 2);
    check_flows(&n, all, 3, 3);
    h_free(&n);
}

/* Deleting one pair ends that flow only; the IKE SA and the other pairs stay. */
Test(ikev2_children, delete_of_one_pair, .timeout = 60)
{
    h_net n;
    up(&n, "3600");
    uint32_t spi1 = open_flow(&n, 1);
    (void)open_flow(&n, 2);
    ivpn_conn *a = conn_of(&n, 0), *b = conn_of(&n, 1);
    /* B deletes flow 1's pair (named by its inbound SPI, A's outbound) */
    uint32_t b_in = ivpn_child_find(a, spi1)->spi_out;
    cr_assert_eq(ivpn_engine_test_delete_child(n.side[1].e, n.side[1].id, b_in, n.now),
                 IPSECVPN_OK);
    h_pump(&n);
    cr_assert_null(ivpn_child_find(a, spi1));
    cr_assert_null(ivpn_child_find(b, b_in));
    cr_assert_eq(ivpn_child_count(a), 2);
    cr_assert_eq(ivpn_child_count(b), 2);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(count_events(&n.side[i], IPSECVPN_EVENT_CHILD_DOWN), 1, "side %d", i);
        cr_assert_eq(h_status(&n.side[i], NULL), IPSECVPN_STATUS_ACTIVE);
    }
    static const int left[] = { 0, 2 };
    check_flows(&n, left, 2, 4);
    /* flow 1 is no longer protected on A (outside its configuration) */
    uint8_t buf[256];
    size_t len = h_icmp4(buf, 64, "10.1.1.7", "10.2.1.9", 5);
    ipsecvpn_endpoint l, r;
    size_t oo, ol;
    cr_assert_eq(ipsecvpn_engine_protect(n.side[0].e, buf, sizeof(buf), 64, len, n.now, &l, &r,
                                         &oo, &ol), IPSECVPN_ERR_ESP_NO_POLICY);
    h_free(&n);
}

/* Each pair runs its own lifetime: over several lifetimes all of them are rekeyed (one
 * exchange at a time) and every flow keeps working. */
Test(ikev2_children, every_pair_rekeyed_on_its_lifetime, .timeout = 60)
{
    h_net n;
    up(&n, "100");
    (void)open_flow(&n, 1);
    n.now += 3000; /* lifetimes apart */
    (void)open_flow(&n, 2);
    h_run_until(&n, n.now + 350000);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(h_status(&n.side[i], NULL), IPSECVPN_STATUS_ACTIVE);
        cr_assert_geq(count_events(&n.side[i], IPSECVPN_EVENT_CHILD_REKEYED), 9,
                      "side %d: each of 3 pairs rekeyed at least 3 times", i);
        cr_assert_eq(ivpn_child_count(conn_of(&n, i)), 3, "side %d: still three pairs", i);
    }
    static const int all[] = { 0, 1, 2 };
    check_flows(&n, all, 3, 6);
    h_free(&n);
}

/* The responder narrows an additional pair to its configuration like IKE_AUTH's first pair,
 * refuses one outside it, and refuses pairs beyond IVPN_CHILDREN_MAX. */
Test(ikev2_children, responder_narrows_refuses_and_limits, .timeout = 60)
{
    h_net n;
    up(&n, "3600");
    ivpn_conn *a = conn_of(&n, 0), *b = conn_of(&n, 1);
    IVPN_TS_SET_LOCAL(l);
    IVPN_TS_SET_LOCAL(r);
    /* 10.0.0.0/8 <-> 10.2.5.0/24: B narrows our side to its 10.1.0.0/16 */
    ts4(&l, "10.0.0.0", "10.255.255.255");
    ts4(&r, "10.2.5.0", "10.2.5.255");
    cr_assert_eq(ivpn_engine_test_create_child(n.side[0].e, n.side[0].id, &l, &r, n.now),
                 IPSECVPN_OK);
    h_pump(&n);
    cr_assert_eq(ivpn_child_count(a), 2);
    ivpn_child *ch = ivpn_child_next(ivpn_child_first(a));
    uint8_t want_lo[4] = { 10, 1, 0, 0 }, want_hi[4] = { 10, 1, 255, 255 };
    cr_assert_eq(memcmp(ch->local_ts.ts[0].lo, want_lo, 4), 0, "narrowed");
    cr_assert_eq(memcmp(ch->local_ts.ts[0].hi, want_hi, 4), 0, "narrowed");
    /* 10.1.3.0/24 <-> 10.3.0.0/24: nothing of it is B's, TS_UNACCEPTABLE */
    l.n = r.n = 0;
    ts4(&l, "10.1.3.0", "10.1.3.255");
    ts4(&r, "10.3.0.0", "10.3.0.255");
    cr_assert_eq(ivpn_engine_test_create_child(n.side[0].e, n.side[0].id, &l, &r, n.now),
                 IPSECVPN_OK);
    h_pump(&n);
    cr_assert_eq(ivpn_child_count(a), 2, "refused: nothing installed");
    cr_assert_eq(ivpn_child_count(b), 2);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    /* up to the limit, then NO_ADDITIONAL_SAS */
    l.n = r.n = 0;
    ts4(&l, "10.1.4.0", "10.1.4.255");
    ts4(&r, "10.2.4.0", "10.2.4.255");
    for (int i = 0; i < IVPN_CHILDREN_MAX + 2; i++) {
        cr_assert_eq(ivpn_engine_test_create_child(n.side[0].e, n.side[0].id, &l, &r, n.now),
                     IPSECVPN_OK);
        h_pump(&n);
    }
    cr_assert_eq(ivpn_child_count(b), IVPN_CHILDREN_MAX);
    cr_assert_eq(ivpn_child_count(a), IVPN_CHILDREN_MAX);
    cr_assert_eq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE);
    h_free(&n);
}

/* A request while another one is outstanding is refused locally (window size 1). */
Test(ikev2_children, one_request_at_a_time, .timeout = 60)
{
    h_net n;
    up(&n, "3600");
    IVPN_TS_SET_LOCAL(l);
    IVPN_TS_SET_LOCAL(r);
    ts4(&l, "10.1.1.0", "10.1.1.255");
    ts4(&r, "10.2.1.0", "10.2.1.255");
    cr_assert_eq(ivpn_engine_test_create_child(n.side[0].e, n.side[0].id, &l, &r, n.now),
                 IPSECVPN_OK);
    cr_assert_eq(ivpn_engine_test_create_child(n.side[0].e, n.side[0].id, &l, &r, n.now),
                 IPSECVPN_ERR_STATE);
    h_pump(&n);
    cr_assert_eq(ivpn_child_count(conn_of(&n, 0)), 2);
    h_free(&n);
}
