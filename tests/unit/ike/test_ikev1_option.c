/*
 * The ikev1 build option (meson -Dikev1=true|false): with it, an IKEv1 connection is taken and
 * negotiates through the same API; without it (firmware that needs only IKEv2), adding one
 * fails with IPSECVPN_ERR_UNSUPPORTED and an ISAKMP datagram is refused with the same code,
 * while IKEv2 connections keep working. The suite checks whichever build it is part of
 * (EXPECT_IKEV1 comes from the option).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

static int count_send(void *user, const ipsecvpn_endpoint *l, const ipsecvpn_endpoint *r,
                      const uint8_t *data, size_t len)
{
    (void)l;
    (void)r;
    (void)data;
    (void)len;
    ((h_side *)user)->sent++;
    return 0;
}

static const char *const f_v1[] = { "ike.version", "ike.mode", "effective_immediately" };
static const char *const v_v1[] = { "ikev1", "main", "yes" };

Test(ikev1_option, ikev1_connection_follows_the_build_option, .timeout = 30)
{
    h_net n;
    h_init(&n, f_v1, v_v1, 3);
    h_side *a = &n.side[0];
    ipsecvpn_engine_callbacks cb;
    memset(&cb, 0, sizeof(cb));
    cb.version = IPSECVPN_ENGINE_CALLBACKS_VERSION;
    cb.send = count_send;
    cr_assert_eq(ipsecvpn_engine_new(a->ctx, &cb, NULL, a, &a->e), IPSECVPN_OK);
    uint32_t id = 0;
    int rc = ipsecvpn_engine_add_connection(a->e, a->conn, &a->ep, &n.side[1].ep, n.now, &id);
#if EXPECT_IKEV1
    cr_assert_eq(rc, IPSECVPN_OK, "IKEv1 is built in: %s", ipsecvpn_strerror(rc));
    cr_assert_gt(a->sent, 0, "effective immediately: main mode's first message went out");
#else
    cr_assert_eq(rc, IPSECVPN_ERR_UNSUPPORTED, "IKEv1 left out: got %s", ipsecvpn_strerror(rc));
    cr_assert_eq(a->sent, 0);
#endif
    ipsecvpn_engine_free(a->e);
    a->e = NULL;
    h_free(&n);
}

Test(ikev1_option, isakmp_datagram_follows_the_build_option, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    h_start(&n); /* IKEv2 connections on both sides */
    /* an ISAKMP header (major version 1) with an SA payload, from an unknown peer */
    uint8_t mm1[28 + 8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    mm1[16] = 1;    /* next payload: SA */
    mm1[17] = 0x10; /* version 1.0 */
    mm1[18] = 2;    /* main mode */
    mm1[27] = sizeof(mm1);
    mm1[28 + 3] = 8; /* SA payload length 8: too short for DOI + situation */
    ipsecvpn_endpoint stranger = n.side[1].ep;
    stranger.addr.bytes[3] ^= 0x55;
    ipsecvpn_read_result res;
    int rc = ipsecvpn_engine_read(n.side[0].e, &n.side[0].ep, &stranger, mm1, sizeof(mm1), n.now,
                                  &res);
#if EXPECT_IKEV1
    cr_assert_neq(rc, IPSECVPN_ERR_UNSUPPORTED, "the IKEv1 engine looked at it");
    cr_assert_lt(rc, 0, "malformed, or no connection for this peer");
#else
    cr_assert_eq(rc, IPSECVPN_ERR_UNSUPPORTED, "got %s", ipsecvpn_strerror(rc));
#endif
    /* IKEv2 is unaffected either way */
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    h_free(&n);
}
