/*
 * Negotiations that must fail, and how each side reports it.
 */
#include <criterion/criterion.h>

#include "core/engine_internal.h"
#include "harness.h"

static void go(h_net *n)
{
    h_start(n);
    cr_assert_eq(ipsecvpn_engine_initiate(n->side[0].e, n->side[0].id, n->now), IPSECVPN_OK);
    h_pump(n);
}

/* A: HDR, SK {IDi, AUTH(wrong key), ...} -->  <-- HDR, SK {N(AUTHENTICATION_FAILED)} */
Test(ikev2_failures, wrong_psk_fails_on_both_sides, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    h_set(&n, 1, "psk", "another-secret");
    go(&n);
    int ra, rb;
    cr_assert_eq(h_status(&n.side[0], &ra), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(h_status(&n.side[1], &rb), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(ra, IPSECVPN_ERR_IKE_AUTH);
    cr_assert_eq(rb, IPSECVPN_ERR_IKE_AUTH);
    cr_assert_eq(n.side[0].child_ups + n.side[1].child_ups, 0);
    h_free(&n);
}

/* A: HDR, SAi1(aes256) ... -->  <-- HDR, N(NO_PROPOSAL_CHOSEN) (to every retransmission) */
Test(ikev2_failures, no_common_ike_proposal, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    h_set(&n, 0, "ike.encryption", "aes256");
    h_set(&n, 1, "ike.encryption", "aes");
    go(&n);
    /* the refusal is unprotected: A waits out its retransmissions first (§2.21.1) */
    h_run_until(&n, n.now + 600000);
    int ra, rb;
    cr_assert_eq(h_status(&n.side[0], &ra), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(ra, IPSECVPN_ERR_IKE_NO_PROPOSAL);
    cr_assert_eq(h_status(&n.side[1], &rb), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(rb, IPSECVPN_ERR_IKE_NO_PROPOSAL);
    h_free(&n);
}

/* IKE SA fine, ESP proposal not: <-- HDR, SK {IDr, AUTH, N(NO_PROPOSAL_CHOSEN)} */
Test(ikev2_failures, no_common_esp_proposal, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    h_set(&n, 0, "ipsec.integrity", "sha256");
    h_set(&n, 1, "ipsec.integrity", "sha512");
    go(&n);
    int ra, rb;
    cr_assert_eq(h_status(&n.side[0], &ra), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(ra, IPSECVPN_ERR_IKE_NO_PROPOSAL);
    cr_assert_eq(h_status(&n.side[1], &rb), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(rb, IPSECVPN_ERR_IKE_NO_PROPOSAL);
    h_free(&n);
}

/* Disjoint protected flows: <-- HDR, SK {IDr, AUTH, N(TS_UNACCEPTABLE)} */
Test(ikev2_failures, ts_unacceptable, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    h_flows(&n, 0, "10.1.0.0/16", "10.2.0.0/16");
    h_flows(&n, 1, "10.3.0.0/16", "10.1.0.0/16");
    go(&n);
    int ra, rb;
    cr_assert_eq(h_status(&n.side[0], &ra), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(ra, IPSECVPN_ERR_IKE_TS);
    cr_assert_eq(h_status(&n.side[1], &rb), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(rb, IPSECVPN_ERR_IKE_TS);
    h_free(&n);
}

/* A guesses group 2 first: <-- HDR, N(INVALID_KE_PAYLOAD, 14); A retries with group 14. */
static bool count_init(h_net *n, const h_dgram *d, bool *dup)
{
    (void)dup;
    if (d->data[18] == 34 && d->to == 1)
        n->filter_state++;
    return true;
}

Test(ikev2_failures, invalid_ke_retry_succeeds, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    h_set(&n, 0, "ike.dh_group", "group14");
    h_set(&n, 1, "ike.dh_group", "group14");
    n.filter = count_init;
    h_start(&n);
    ivpn_engine_test_extra_ke_group(n.side[0].e, IPSECVPN_DH_MODP1024);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    cr_assert_eq(n.filter_state, 2, "two IKE_SA_INIT requests: guess, then the asked group");
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert_eq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE);
    h_free(&n);
}

/* Nobody answers: retransmits with backoff, then ERROR / IKE_TIMEOUT. */
Test(ikev2_failures, silent_peer_times_out, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    h_start(&n);
    n.cut = true;
    uint64_t t0 = n.now;
    ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now);
    uint64_t first = ipsecvpn_engine_get_expiry(n.side[0].e);
    cr_assert_eq(first, t0 + 500);
    h_run_until(&n, t0 + 600000);
    int r;
    cr_assert_eq(h_status(&n.side[0], &r), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(r, IPSECVPN_ERR_IKE_TIMEOUT);
    cr_assert_eq(n.side[0].sent, 6, "the request and 5 retransmissions");
    cr_assert_eq(ipsecvpn_engine_get_expiry(n.side[0].e), UINT64_MAX);
    h_free(&n);
}

/* Garbage and truncated datagrams change nothing. */
Test(ikev2_failures, garbage_is_dropped, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    h_start(&n);
    ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now);
    h_dgram d = n.q[n.head];
    ipsecvpn_read_result res;
    for (size_t cut = 0; cut < d.len; cut += 7) {
        int rc = ipsecvpn_engine_read(n.side[1].e, &d.dst, &d.src, d.data, cut, n.now, &res);
        cr_assert_lt(rc, 0, "truncated to %zu", cut);
    }
    cr_assert_eq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_DOWN);
    h_pump(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    h_free(&n);
}

/* Under load the responder answers statelessly:  <-- HDR, N(COOKIE)
 * and the initiator repeats:  HDR, N(COOKIE), SAi1, KEi, Ni, ... --> */
Test(ikev2_failures, cookie_round_trip, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    n.settings[1].cookie_threshold = 0; /* always under load */
    n.filter = count_init;
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    cr_assert_eq(n.filter_state, 2, "request, then request with the cookie");
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert_eq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE);
    h_free(&n);
}

#include <string.h>

/* Someone at the peer's address starts a new IKE SA but cannot authenticate: the established
 * SA and its Child SAs stay exactly as they were. */
Test(ikev2_failures, unauthenticated_restart_changes_nothing, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    go(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    uint32_t spi_out = n.side[0].child.spi_out;
    h_restart(&n, 1, "not-the-psk");
    ipsecvpn_engine_initiate(n.side[1].e, n.side[1].id, n.now);
    h_pump(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert_eq(n.side[0].child_ups, 1);
    cr_assert(!h_has_event(&n.side[0], IPSECVPN_EVENT_CHILD_DOWN));
    uint8_t buf[512];
    size_t len = h_icmp4(buf, 128, "10.1.0.1", "10.2.0.1", 1);
    ipsecvpn_endpoint l, r;
    size_t oo, ol;
    cr_assert_eq(ipsecvpn_engine_protect(n.side[0].e, buf, sizeof(buf), 128, len, n.now, &l, &r,
                                         &oo, &ol), IPSECVPN_OK);
    uint32_t spi = (uint32_t)buf[oo] << 24 | (uint32_t)buf[oo + 1] << 16 |
                   (uint32_t)buf[oo + 2] << 8 | buf[oo + 3];
    cr_assert_eq(spi, spi_out, "still the old Child SA");
    h_free(&n);
}

/* The peer really restarted (same PSK): its new IKE SA replaces the old one and its pairs. */
Test(ikev2_failures, authenticated_restart_replaces_the_sa, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    go(&n);
    h_restart(&n, 1, NULL);
    ipsecvpn_engine_initiate(n.side[1].e, n.side[1].id, n.now);
    h_pump(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert_eq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert(h_has_event(&n.side[0], IPSECVPN_EVENT_CHILD_DOWN), "old pair removed");
    cr_assert_eq(n.side[0].child_ups, 2);
    cr_assert_eq(n.side[0].child.spi_out, n.side[1].child.spi_in);
    cr_assert_eq(memcmp(n.side[0].child.ek_in, n.side[1].child.ek_out, n.side[0].child.ek_len), 0);
    h_free(&n);
}

/* An IKE_SA_INIT with major version 3 gets N(INVALID_MAJOR_VERSION); one with an unknown
 * critical payload gets N(UNSUPPORTED_CRITICAL_PAYLOAD, its type) (§2.5). */
static bool keep(h_net *n, const h_dgram *d, bool *dup)
{
    (void)dup;
    (void)d;
    n->filter_state++; /* send_cb already kept it in n->last[sender] */
    return false;
}

static uint16_t answer_notify_type(const h_dgram *d, uint8_t *data0)
{
    /* HDR(28) | N generic header(4) | proto, spi size, type(2) | data */
    cr_assert_geq(d->len, 36);
    cr_assert_eq(d->data[16], 41, "one Notify payload");
    cr_assert_eq(d->data[17], 0x20, "answered as IKEv2 2.0");
    if (data0 && d->len > 36)
        *data0 = d->data[36];
    return (uint16_t)(d->data[34] << 8 | d->data[35]);
}

Test(ikev2_failures, version_and_critical_payload_answers, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    h_start(&n);
    n.cut = true;
    ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now);
    h_dgram req = n.last[0];
    n.cut = false;
    n.filter = keep;
    ipsecvpn_read_result res;

    h_dgram m = req;
    m.data[17] = 0x30; /* major 3 */
    cr_assert_lt(ipsecvpn_engine_read(n.side[1].e, &m.dst, &m.src, m.data, m.len, n.now, &res), 0);
    cr_assert_eq(n.filter_state, 1);
    cr_assert_eq(answer_notify_type(&n.last[1], NULL), 5 /* INVALID_MAJOR_VERSION */);

    /* append an unknown payload type 200 with the critical bit after the last payload */
    m = req;
    size_t at = 28;
    while (1) { /* find the last payload */
        uint16_t pl = (uint16_t)(m.data[at + 2] << 8 | m.data[at + 3]);
        if (m.data[at] == 0)
            break;
        at += pl;
    }
    m.data[at] = 200;
    size_t end = m.len;
    m.data[end] = 0;
    m.data[end + 1] = 0x80;
    m.data[end + 2] = 0;
    m.data[end + 3] = 4;
    m.len += 4;
    m.data[24] = (uint8_t)(m.len >> 24);
    m.data[25] = (uint8_t)(m.len >> 16);
    m.data[26] = (uint8_t)(m.len >> 8);
    m.data[27] = (uint8_t)m.len;
    cr_assert_lt(ipsecvpn_engine_read(n.side[1].e, &m.dst, &m.src, m.data, m.len, n.now, &res), 0);
    cr_assert_eq(n.filter_state, 2);
    uint8_t t = 0;
    cr_assert_eq(answer_notify_type(&n.last[1], &t), 1 /* UNSUPPORTED_CRITICAL_PAYLOAD */);
    cr_assert_eq(t, 200);
    cr_assert_eq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_DOWN);
    h_free(&n);
}

/* Traffic toward a peer that refuses us starts one negotiation, not one per packet. */
Test(ikev2_failures, acquire_is_rate_limited, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    h_set(&n, 1, "psk", "another-secret");
    h_start(&n);
    uint8_t buf[512];
    ipsecvpn_endpoint l, r;
    size_t oo, ol;
    uint64_t sent = n.side[0].sent;
    for (int i = 0; i < 10; i++) {
        size_t len = h_icmp4(buf, 128, "10.1.0.1", "10.2.0.1", (uint16_t)i);
        cr_assert_eq(ipsecvpn_engine_protect(n.side[0].e, buf, sizeof(buf), 128, len, n.now, &l,
                                             &r, &oo, &ol), IPSECVPN_ERR_STATE);
        h_pump(&n);
        n.now += 100;
    }
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(n.side[0].sent - sent, 2, "one IKE_SA_INIT and one IKE_AUTH in a second");
    n.now += 2000;
    size_t len = h_icmp4(buf, 128, "10.1.0.1", "10.2.0.1", 99);
    ipsecvpn_engine_protect(n.side[0].e, buf, sizeof(buf), 128, len, n.now, &l, &r, &oo, &ol);
    cr_assert_eq(n.side[0].sent - sent, 3, "later traffic tries again");
    h_free(&n);
}
