/*
 * IKEv2 with AEAD (RFC 5282: AES-GCM-16 in the SK payload, no SK_a) and the ECP / X25519
 * groups (RFC 5903, RFC 8031), between two engines in memory:
 *   IKE aes128gcm16-prfsha256-x25519, ESP aes256gcm16 with PFS ecp256 on rekey,
 * then ESP both ways, a tampered SK tag dropped, and each ECP group once.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"
#include "ike/v2/v2_internal.h"

static void setup(h_net *n, const char *ike_encr, const char *prf_integ, const char *group,
                  const char *esp_encr, const char *pfs, const char *lifetime)
{
    const char *f[] = { "ike.encryption", "ike.integrity", "ike.dh_group", "ipsec.encryption",
                        "ipsec.integrity", "ipsec.pfs", "ipsec.lifetime" };
    const char *v[] = { ike_encr, prf_integ, group, esp_encr, "sha256", pfs, lifetime };
    h_init(n, f, v, 7);
}

static void ping(h_net *n, int from)
{
    h_side *a = &n->side[from], *b = &n->side[1 - from];
    uint8_t buf[2048], orig[128];
    size_t off = 128;
    size_t len = h_icmp4(buf, off, from ? "10.2.0.1" : "10.1.0.1", from ? "10.1.0.1" : "10.2.0.1",
                         9);
    memcpy(orig, buf + off, len);
    ipsecvpn_endpoint l, r;
    size_t oo, ol;
    cr_assert_eq(ipsecvpn_engine_protect(a->e, buf, sizeof(buf), off, len, n->now, &l, &r, &oo,
                                         &ol),
                 IPSECVPN_OK);
    /* ESP header 8 + IV 8 + payload + pad to 4 with pad length / next header + ICV 16 */
    cr_assert_eq(ol, 8 + 8 + (len + 2 + 3) / 4 * 4 + 16, "GCM layout, got %zu", ol);
    cr_assert_neq(memcmp(buf + oo + 16, orig, 16), 0, "payload is encrypted");
    ipsecvpn_read_result res;
    cr_assert_eq(ipsecvpn_engine_read(b->e, &r, &l, buf + oo, ol, n->now, &res), IPSECVPN_OK);
    cr_assert_eq(res.kind, IPSECVPN_READ_PLAINTEXT);
    cr_assert_eq(res.len, len);
    cr_assert_eq(memcmp(buf + oo + res.offset, orig, len), 0);
}

/* The IKE SA uses the AEAD: no integrity transform, no SK_a, SK_e = key || salt. */
static void check_ike_algs(h_net *n, unsigned bits, uint16_t prf, uint16_t group)
{
    ivpn_conn *ca = ivpn_engine_find_conn(n->side[0].e, n->side[0].id);
    ivpn_conn *cb = ivpn_engine_find_conn(n->side[1].e, n->side[1].id);
    cr_assert(ca && ca->ike && cb && cb->ike);
    for (int i = 0; i < 2; i++) {
        const ivpn_ike_sa *sa = i ? cb->ike : ca->ike;
        cr_assert_eq(sa->algs.encr, IPSECVPN_ENCR_AES_GCM_16);
        cr_assert_eq(sa->algs.encr_bits, bits);
        cr_assert_eq(sa->algs.integ, 0, "no INTEG transform with an AEAD");
        cr_assert_eq(sa->algs.prf, prf);
        cr_assert_eq(sa->algs.dh, group);
        cr_assert_eq(sa->integ_len, 0);
        cr_assert_eq(sa->encr_len, bits / 8 + 4);
    }
    cr_assert_eq(memcmp(ca->ike->sk_ei, cb->ike->sk_ei, ca->ike->encr_len), 0);
    cr_assert_eq(memcmp(ca->ike->sk_er, cb->ike->sk_er, ca->ike->encr_len), 0);
    cr_assert_neq(memcmp(ca->ike->sk_ei, ca->ike->sk_er, ca->ike->encr_len), 0);
}

static void check_child(h_net *n, size_t ek_len)
{
    h_side *a = &n->side[0], *b = &n->side[1];
    cr_assert_eq(a->child.ek_len, ek_len, "ESP key || salt, got %zu", a->child.ek_len);
    cr_assert_eq(a->child.ak_len, 0, "no ESP integrity key with an AEAD");
    cr_assert_eq(b->child.ak_len, 0);
    cr_assert_eq(a->child.spi_out, b->child.spi_in);
    cr_assert_eq(memcmp(a->child.ek_out, b->child.ek_in, ek_len), 0);
    cr_assert_eq(memcmp(a->child.ek_in, b->child.ek_out, ek_len), 0);
    cr_assert_neq(memcmp(a->child.ek_in, a->child.ek_out, ek_len), 0);
}

/* Walk IKE_SA_INIT's payload chain and return the KE payload's group and data length. */
static bool find_ke(const h_dgram *d, uint16_t *group, size_t *data_len)
{
    size_t o = d->dst.port == IPSECVPN_IKE_PORT ? 0 : 4;
    if (d->len < o + 28 || d->data[o + 18] != 34)
        return false;
    uint8_t next = d->data[o + 16];
    size_t p = o + 28;
    while (next && p + 4 <= d->len) {
        size_t plen = (size_t)d->data[p + 2] << 8 | d->data[p + 3];
        if (plen < 4 || p + plen > d->len)
            return false;
        if (next == 34 && plen >= 8) {
            *group = (uint16_t)(d->data[p + 4] << 8 | d->data[p + 5]);
            *data_len = plen - 8;
            return true;
        }
        next = d->data[p];
        p += plen;
    }
    return false;
}

/* KE carries the X25519 value (32 bytes), and the first IKE_AUTH request gets its tag broken. */
static bool inspect_and_tamper(h_net *n, const h_dgram *d, bool *dup)
{
    (void)dup;
    uint16_t group;
    size_t klen;
    if (find_ke(d, &group, &klen)) {
        cr_assert_eq(group, IPSECVPN_DH_CURVE25519);
        cr_assert_eq(klen, 32);
        n->filter_state |= 1;
    }
    size_t o = d->dst.port == IPSECVPN_IKE_PORT ? 0 : 4;
    bool auth_req = d->len > o + 28 && d->data[o + 18] == 35 && !(d->data[o + 19] & 0x20);
    if (auth_req && !(n->filter_state & 2)) {
        n->filter_state |= 2;
        h_dgram *bad = (h_dgram *)d; /* the queue slot is ours to change before delivery */
        bad->data[d->len - 1] ^= 0x01;
    }
    return true;
}

Test(ikev2_aead, gcm_x25519_establish_rekey_with_ecp256_pfs, .timeout = 60)
{
    h_net n;
    setup(&n, "aes128gcm16", "sha256", "x25519", "aes-256-gcm-16", "ecp256", "100");
    n.filter = inspect_and_tamper;
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    cr_assert_eq(n.filter_state & 3, 3, "KE seen and IKE_AUTH tampered");
    /* the tampered request was dropped; A's retransmission establishes */
    cr_assert_neq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE);
    h_run_until(&n, n.now + 600);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert_eq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE);
    check_ike_algs(&n, 128, IPSECVPN_PRF_HMAC_SHA2_256, IPSECVPN_DH_CURVE25519);
    check_child(&n, 36);
    ping(&n, 0);
    ping(&n, 1);

    /* CREATE_CHILD_SA under the AEAD SK payload, with KE ecp256 (64 bytes x || y) */
    uint32_t old_in = n.side[0].child.spi_in;
    h_run_until(&n, n.now + 91000);
    for (int i = 0; i < 2; i++) {
        cr_assert(h_has_event(&n.side[i], IPSECVPN_EVENT_CHILD_REKEYED), "side %d rekeyed", i);
        cr_assert_eq(h_status(&n.side[i], NULL), IPSECVPN_STATUS_ACTIVE);
    }
    ivpn_conn *ca = ivpn_engine_find_conn(n.side[0].e, n.side[0].id);
    cr_assert_neq(ivpn_child_current(ca)->spi_in, old_in);
    ping(&n, 0);
    ping(&n, 1);
    h_free(&n);
}

static void group_case(const char *group, uint16_t id, const char *integ, uint16_t prf)
{
    h_net n;
    setup(&n, "aes256gcm16", integ, group, "aes128gcm16", "disabled", "3600");
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert_eq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE);
    check_ike_algs(&n, 256, prf, id);
    check_child(&n, 20);
    ping(&n, 0);
    ping(&n, 1);
    h_free(&n);
}

Test(ikev2_aead, gcm256_ecp256, .timeout = 30)
{
    group_case("group19", IPSECVPN_DH_ECP256, "sha256", IPSECVPN_PRF_HMAC_SHA2_256);
}
Test(ikev2_aead, gcm256_ecp384, .timeout = 30)
{
    group_case("ecp384", IPSECVPN_DH_ECP384, "sha384", IPSECVPN_PRF_HMAC_SHA2_384);
}
Test(ikev2_aead, gcm256_ecp521, .timeout = 30)
{
    group_case("group21", IPSECVPN_DH_ECP521, "sha512", IPSECVPN_PRF_HMAC_SHA2_512);
}

/* A's proposal with the 128-bit key does not satisfy B's 256-bit one: nothing comes up. */
Test(ikev2_aead, key_size_mismatch_is_no_proposal, .timeout = 30)
{
    h_net n;
    setup(&n, "aes128gcm16", "sha256", "x25519", "aes128gcm16", "disabled", "3600");
    h_set(&n, 1, "ike.encryption", "aes256gcm16");
    h_start(&n);
    ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now);
    h_pump(&n);
    cr_assert_neq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert_neq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert_eq(n.side[0].child_ups, 0);
    h_free(&n);
}
