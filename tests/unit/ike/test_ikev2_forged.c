/*
 * Forged IKE_SA_INIT requests (source spoofed as the configured peer) and unauthenticated
 * half-open SAs must never block, abort or disturb what we have with the real peer:
 *
 *   attacker (as B):  HDR(SPIi', 0), SAi1, KEi, Ni, N(NATD_S), N(NATD_D)  -->  A
 *
 * The half-open SA waits aside with a deadline, a second one costs a cookie, and a failed
 * IKE_AUTH on it leaves the established SA, its events and its status alone.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine_internal.h"
#include "harness.h"
#include "ike/v2/v2_internal.h"

/* One IKE_SA_INIT request as the peer (B's addresses) would send it, from a throwaway engine
 * pair with another random seed; spi_last != 0 overwrites the SPIi with 00..00 spi_last. */
static size_t forged_init(uint64_t seed, const char *psk, uint8_t *out, uint8_t spi_fill,
                          uint8_t spi_last)
{
    h_net m;
    h_init(&m, NULL, NULL, 0);
    if (psk)
        h_set(&m, 1, "psk", psk);
    m.side[1].rng ^= seed;
    h_start(&m);
    cr_assert_eq(ipsecvpn_engine_initiate(m.side[1].e, m.side[1].id, m.now), IPSECVPN_OK);
    cr_assert_eq(m.count, 1);
    const h_dgram *d = &m.q[m.head];
    cr_assert_eq(d->to, 0);
    size_t len = d->len;
    memcpy(out, d->data, len);
    h_free(&m);
    if (spi_last || spi_fill) {
        memset(out, spi_fill, 7);
        out[7] = spi_last;
    }
    return len;
}

/* Hand one datagram to A as if B sent it. */
static int to_a(h_net *n, const uint8_t *msg, size_t len)
{
    uint8_t buf[H_MAX_DGRAM];
    memcpy(buf, msg, len);
    ipsecvpn_read_result res;
    return ipsecvpn_engine_read(n->side[0].e, &n->side[0].ep, &n->side[1].ep, buf, len, n->now,
                                &res);
}

/* Take every queued datagram off the wire (the attacker sees A's answers, B does not). */
static size_t take_queue(h_net *n, h_dgram *out, size_t max)
{
    size_t k = 0;
    while (n->count) {
        if (k < max)
            out[k++] = n->q[n->head];
        n->head = (n->head + 1) % H_QUEUE;
        n->count--;
    }
    return k;
}

static ivpn_conn *conn_of(h_side *s) { return ivpn_engine_find_conn(s->e, s->id); }

static void ping(h_net *n)
{
    h_side *a = &n->side[0], *b = &n->side[1];
    uint8_t buf[2048];
    size_t off = 128, len = h_icmp4(buf, off, "10.1.0.1", "10.2.0.1", 9), oo, ol;
    ipsecvpn_endpoint l, r;
    cr_assert_eq(ipsecvpn_engine_protect(a->e, buf, sizeof(buf), off, len, n->now, &l, &r, &oo,
                                         &ol), IPSECVPN_OK);
    ipsecvpn_read_result res;
    cr_assert_eq(ipsecvpn_engine_read(b->e, &r, &l, buf + oo, ol, n->now, &res), IPSECVPN_OK);
    cr_assert_eq(res.kind, IPSECVPN_READ_PLAINTEXT);
    cr_assert_eq(res.len, len);
}

/* A idle: one forged IKE_SA_INIT, never continued. A's own initiation still works at once,
 * and the half-open SA has a deadline and is gone after it. */
Test(ikev2_forged, forged_init_does_not_block_initiation, .timeout = 30)
{
    h_net n;
    uint8_t msg[H_MAX_DGRAM];
    h_init(&n, NULL, NULL, 0);
    h_start(&n);
    size_t len = forged_init(0x5151, "wrong-psk", msg, 0, 0);
    cr_assert_eq(to_a(&n, msg, len), IPSECVPN_OK);
    take_queue(&n, NULL, 0); /* the attacker never answers */
    cr_assert_leq(ipsecvpn_engine_get_expiry(n.side[0].e), n.now + 30000,
                  "the half-open SA must have a deadline");
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert_eq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert(!h_has_event(&n.side[0], IPSECVPN_EVENT_IKE_DOWN));
    h_run_until(&n, n.now + 31000);
    cr_assert_null(conn_of(&n.side[0])->ike_half, "expired half-open SA freed");
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    ping(&n);
    h_free(&n);
}

/* A idle and left alone: after the deadline nothing is left and the status is DOWN again. */
Test(ikev2_forged, forged_init_expires_when_idle, .timeout = 30)
{
    h_net n;
    uint8_t msg[H_MAX_DGRAM];
    h_init(&n, NULL, NULL, 0);
    h_start(&n);
    size_t len = forged_init(0x6161, NULL, msg, 0, 0);
    cr_assert_eq(to_a(&n, msg, len), IPSECVPN_OK);
    take_queue(&n, NULL, 0);
    n.cut = true;
    h_run_until(&n, n.now + 60000);
    cr_assert_eq(ipsecvpn_engine_get_expiry(n.side[0].e), UINT64_MAX);
    cr_assert_null(conn_of(&n.side[0])->ike);
    cr_assert_null(conn_of(&n.side[0])->ike_half);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_DOWN);
    n.cut = false;
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    h_free(&n);
}

/* A is initiating; a forged IKE_SA_INIT whose SPIi would win a simultaneous initiation
 * arrives before B's answer. A's own attempt goes on and completes. */
Test(ikev2_forged, forged_init_does_not_abort_our_initiation, .timeout = 30)
{
    h_net n;
    uint8_t msg[H_MAX_DGRAM];
    h_init(&n, NULL, NULL, 0);
    h_start(&n);
    size_t len = forged_init(0x7171, NULL, msg, 0xff, 0xff);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    cr_assert_eq(to_a(&n, msg, len), IPSECVPN_OK);
    h_pump(&n); /* B answers A's request; A's answer to the forgery finds no SA at B */
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert_eq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert(!h_has_event(&n.side[0], IPSECVPN_EVENT_IKE_DOWN));
    ping(&n);
    h_free(&n);
}

/* SPIi 0 names no SA (§3.1): dropped without an answer or state. */
Test(ikev2_forged, zero_spi_i_is_rejected, .timeout = 30)
{
    h_net n;
    uint8_t msg[H_MAX_DGRAM];
    h_init(&n, NULL, NULL, 0);
    h_start(&n);
    size_t len = forged_init(0x8181, NULL, msg, 0, 0);
    memset(msg, 0, 8);
    cr_assert_neq(to_a(&n, msg, len), IPSECVPN_OK);
    cr_assert_eq(n.side[0].sent, 0);
    cr_assert_null(conn_of(&n.side[0])->ike);
    cr_assert_null(conn_of(&n.side[0])->ike_half);
    h_free(&n);
}

/* A burst of forged requests with distinct SPIi: the first is answered in full (DH), every
 * further one only with a stateless N(COOKIE); the real peer still gets in with a cookie. */
Test(ikev2_forged, forged_burst_gets_cookies, .timeout = 60)
{
    h_net n;
    uint8_t msg[H_MAX_DGRAM];
    h_init(&n, NULL, NULL, 0);
    h_start(&n);
    size_t len = forged_init(0x9191, NULL, msg, 0, 0);
    int full = 0, cookies = 0;
    for (int i = 0; i < 40; i++) {
        msg[0] = 0xa5;
        msg[7] = (uint8_t)(i + 1);
        cr_assert_eq(to_a(&n, msg, len), IPSECVPN_OK);
        h_dgram out[4];
        size_t k = take_queue(&n, out, 4);
        cr_assert_eq(k, 1, "one answer per request");
        if (out[0].len > 100)
            full++;
        else
            cookies++;
    }
    cr_assert_eq(full, 1, "DH computed for %d forged requests", full);
    cr_assert_eq(cookies, 39);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[1].e, n.side[1].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert_eq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE);
    h_free(&n);
}

/* A and B established. An attacker who can see A's answers completes IKE_SA_INIT as B and
 * sends IKE_AUTH with the wrong key: A answers AUTHENTICATION_FAILED and nothing else
 * happens: no events, same status, same IKE SA, same redundant SA, the tunnel still works. */
Test(ikev2_forged, wrong_psk_half_open_leaves_established_sa, .timeout = 30)
{
    h_net n, m;
    h_init(&n, NULL, NULL, 0);
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    ivpn_conn *c = conn_of(&n.side[0]);
    ivpn_ike_sa *est = c->ike;
    /* a redundant SA as left by an IKE rekey collision, waiting for its Delete */
    ivpn_ike_sa *dup = ivpn_zalloc(n.side[0].ctx, sizeof(*dup));
    cr_assert_not_null(dup);
    dup->state = IVPN_IKE_ESTABLISHED;
    dup->expire_at = n.now + 3600000;
    c->ike_dup = dup;
    size_t events = n.side[0].n_events;

    h_init(&m, NULL, NULL, 0);
    h_set(&m, 1, "psk", "not-the-psk");
    m.side[1].rng ^= 0x4242;
    h_start(&m);
    cr_assert_eq(ipsecvpn_engine_initiate(m.side[1].e, m.side[1].id, m.now), IPSECVPN_OK);
    for (int round = 0; round < 3 && m.count; round++) {
        h_dgram req[4], resp[4];
        size_t k = take_queue(&m, req, 4);
        for (size_t i = 0; i < k; i++)
            if (req[i].to == 0)
                (void)to_a(&n, req[i].data, req[i].len);
        size_t r = take_queue(&n, resp, 4);
        for (size_t i = 0; i < r; i++) {
            ipsecvpn_read_result res;
            (void)ipsecvpn_engine_read(m.side[1].e, &resp[i].dst, &resp[i].src, resp[i].data,
                                       resp[i].len, m.now, &res);
        }
    }
    int r;
    cr_assert_eq(h_status(&m.side[1], &r), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(r, IPSECVPN_ERR_IKE_AUTH, "the attacker got AUTHENTICATION_FAILED");
    h_free(&m);

    cr_assert_eq(n.side[0].n_events, events, "no event at A");
    cr_assert_eq(h_status(&n.side[0], &r), IPSECVPN_STATUS_ACTIVE);
    cr_assert_eq(r, 0);
    cr_assert_eq(c->ike, est);
    cr_assert_eq(c->ike->state, IVPN_IKE_ESTABLISHED);
    cr_assert_eq(c->ike_dup, dup, "the redundant SA is not A's to free here");
    cr_assert_null(c->ike_half);
    ping(&n);
    h_free(&n);
}

/* Take the one datagram queued for side `to`, asserting it is the only one. */
static h_dgram take_one(h_net *n, int to)
{
    h_dgram d[4];
    size_t k = take_queue(n, d, 4);
    cr_assert_eq(k, 1, "%zu datagrams queued", k);
    cr_assert_eq(d[0].to, to);
    return d[0];
}

static int deliver(h_net *n, h_dgram *d)
{
    ipsecvpn_read_result res;
    return ipsecvpn_engine_read(n->side[d->to].e, &d->dst, &d->src, d->data, d->len, n->now,
                                &res);
}

static size_t queued_for(h_net *n, int to)
{
    h_dgram d[8];
    size_t k = take_queue(n, d, 8), c = 0;
    for (size_t i = 0; i < k; i++)
        c += d[i].to == to;
    return c;
}

/* <-- HDR, N(COOKIE) again and again (forged, each with another cookie): A follows at most
 * three, so the retransmission count is not reset forever and the attempt times out. */
Test(ikev2_forged, cookie_demands_are_capped, .timeout = 60)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    n.settings[1].cookie_threshold = 0; /* B always demands a cookie */
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_dgram req = take_one(&n, 1);
    deliver(&n, &req);
    h_dgram cookie = take_one(&n, 0);
    cr_assert_lt(cookie.len, 100, "a COOKIE answer");
    size_t resent = 0;
    for (int i = 0; i < 10; i++) {
        h_dgram forged = cookie;
        forged.data[forged.len - 1] ^= (uint8_t)(i + 1);
        deliver(&n, &forged);
        resent += queued_for(&n, 1);
    }
    cr_assert_eq(resent, 3, "IKE_SA_INIT resent %zu times", resent);
    n.cut = true;
    h_run_until(&n, n.now + 600000);
    int r;
    cr_assert_eq(h_status(&n.side[0], &r), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(r, IPSECVPN_ERR_IKE_TIMEOUT);
    h_free(&n);
}

/* <-- HDR, N(INVALID_KE_PAYLOAD, group we never offered), unprotected: advice only, A keeps
 * waiting and the real answer still sets the SA up (§2.21.1). */
Test(ikev2_forged, invalid_ke_for_unoffered_group_is_advisory, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    n.settings[1].cookie_threshold = 0;
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_dgram req = take_one(&n, 1);
    h_dgram copy = req;
    deliver(&n, &copy);
    h_dgram forged = take_one(&n, 0); /* HDR(SPIi, 0), N(COOKIE): made into INVALID_KE */
    forged.len = 28 + 8 + 2;
    forged.data[24] = forged.data[25] = forged.data[26] = 0;
    forged.data[27] = (uint8_t)forged.len;
    forged.data[30] = 0;
    forged.data[31] = 10;
    forged.data[34] = 0;
    forged.data[35] = 17; /* INVALID_KE_PAYLOAD */
    forged.data[36] = 0;
    forged.data[37] = 5; /* MODP-1536: never offered */
    cr_assert_neq(deliver(&n, &forged), IPSECVPN_OK);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_BUILD);
    h_free(&n);

    /* and the real exchange still completes after such advice */
    h_init(&n, NULL, NULL, 0);
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    req = take_one(&n, 1);
    memcpy(forged.data, req.data, 8); /* SPIi of this attempt */
    cr_assert_neq(deliver(&n, &forged), IPSECVPN_OK);
    deliver(&n, &req);
    h_pump(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert_eq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE);
    h_free(&n);
}

/* An IKE_SA_INIT response with SPIr 0 names no SA (§3.1): ignored; the real one works. */
Test(ikev2_forged, zero_spi_r_response_is_ignored, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_dgram req = take_one(&n, 1);
    deliver(&n, &req);
    h_dgram resp = take_one(&n, 0);
    h_dgram forged = resp;
    memset(forged.data + 8, 0, 8);
    uint64_t sent = n.side[0].sent;
    cr_assert_neq(deliver(&n, &forged), IPSECVPN_OK);
    cr_assert_eq(n.side[0].sent, sent, "no IKE_AUTH toward SPIr 0");
    deliver(&n, &resp);
    h_pump(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert_eq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE);
    h_free(&n);
}

/* A request A refuses in its state: B, holding the keys of the half-open SA, sends
 * HDR, SK {} (INFORMATIONAL) while A still waits for its IKE_AUTH answer. A answers with an
 * error notify and caches it, so B's retransmission gets the same answer, not silence. */
Test(ikev2_forged, refused_request_is_answered, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_dgram req = take_one(&n, 1);
    deliver(&n, &req);
    h_dgram resp = take_one(&n, 0);
    deliver(&n, &resp);
    h_dgram auth = take_one(&n, 1); /* held: A stays in IKE_AUTH */
    (void)auth;
    ivpn_conn *bc = conn_of(&n.side[1]);
    ivpn_ike_sa *bsa = bc->ike_half ? bc->ike_half : bc->ike;
    cr_assert_not_null(bsa);
    ivpn_msg *m = malloc(sizeof(*m));
    cr_assert_not_null(m);
    ivpn_msg_begin(m);
    uint8_t *out = NULL;
    size_t len = 0;
    cr_assert_eq(ivpn_msg_finish_sk(n.side[1].e, bsa, IVPN_IKEV2_EXCH_INFORMATIONAL, false, 0,
                                    m, &out, &len), IPSECVPN_OK);
    free(m);
    for (int i = 0; i < 2; i++) {
        uint64_t sent = n.side[0].sent;
        (void)to_a(&n, out, len);
        cr_assert_eq(n.side[0].sent, sent + 1, "send %d: A answers", i);
        h_dgram d = take_one(&n, 1);
        cr_assert_eq(d.data[18], IVPN_IKEV2_EXCH_INFORMATIONAL);
        cr_assert(d.data[19] & IVPN_IKEV2_FLAG_RESPONSE);
    }
    ivpn_free(n.side[1].ctx, out);
    h_free(&n);
}
