/*
 * The PSK AUTH value (RFC 7296 §2.15), recomputed from its formula with mbedTLS's own HMAC:
 *   AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <Message> | <Nonce> | prf(SK_p, IDx'))
 */
#include <criterion/criterion.h>
#include <mbedtls/md.h>
#include <string.h>

#include "ike/v2/v2_internal.h"

static void hmac(mbedtls_md_type_t t, const uint8_t *k, size_t kl, const uint8_t *d, size_t dl,
                 uint8_t *out)
{
    cr_assert_eq(mbedtls_md_hmac(mbedtls_md_info_from_type(t), k, kl, d, dl, out), 0);
}

static void check(uint16_t prf, mbedtls_md_type_t md, size_t out_len)
{
    uint8_t msg[300], nonce[32], skp[64], id[12];
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)(i * 7 + 3);
    for (size_t i = 0; i < sizeof(nonce); i++)
        nonce[i] = (uint8_t)(0xa0 + i);
    for (size_t i = 0; i < sizeof(skp); i++)
        skp[i] = (uint8_t)(i ^ 0x5c);
    const uint8_t idb[12] = { 1, 0, 0, 0, 192, 0, 2, 1 }; /* ID_IPV4_ADDR 192.0.2.1 */
    memcpy(id, idb, sizeof(id));
    const char *psk = "s3cret-PSK-value";

    uint8_t key[64], maced[64], octets[300 + 32 + 64], want[64];
    hmac(md, (const uint8_t *)psk, strlen(psk), (const uint8_t *)"Key Pad for IKEv2", 17, key);
    hmac(md, skp, out_len, id, 8, maced);
    memcpy(octets, msg, sizeof(msg));
    memcpy(octets + sizeof(msg), nonce, sizeof(nonce));
    memcpy(octets + sizeof(msg) + sizeof(nonce), maced, out_len);
    hmac(md, key, out_len, octets, sizeof(msg) + sizeof(nonce) + out_len, want);

    uint8_t got[64];
    size_t got_len = 0;
    cr_assert_eq(ivpn_ikev2_psk_auth(prf, (const uint8_t *)psk, strlen(psk), msg, sizeof(msg),
                                     nonce, sizeof(nonce), skp, out_len, id, 8, got, &got_len),
                 IPSECVPN_OK);
    cr_assert_eq(got_len, out_len);
    cr_assert_eq(memcmp(got, want, out_len), 0);
    /* and every input matters */
    id[7] ^= 1;
    cr_assert_eq(ivpn_ikev2_psk_auth(prf, (const uint8_t *)psk, strlen(psk), msg, sizeof(msg),
                                     nonce, sizeof(nonce), skp, out_len, id, 8, got, &got_len),
                 IPSECVPN_OK);
    cr_assert_neq(memcmp(got, want, out_len), 0);
}

Test(ikev2_auth_kat, psk_auth_sha256) { check(IPSECVPN_PRF_HMAC_SHA2_256, MBEDTLS_MD_SHA256, 32); }
Test(ikev2_auth_kat, psk_auth_sha1) { check(IPSECVPN_PRF_HMAC_SHA1, MBEDTLS_MD_SHA1, 20); }
Test(ikev2_auth_kat, psk_auth_sha512) { check(IPSECVPN_PRF_HMAC_SHA2_512, MBEDTLS_MD_SHA512, 64); }

/* SKEYSEED and SK_* from their formulas (§2.14), with mbedTLS HMAC and a hand-written prf+. */
Test(ikev2_auth_kat, ike_keys_follow_the_formula)
{
    ivpn_ike_sa sa;
    uint8_t nonces[2][IVPN_NONCE_MAX]; /* the SA holds Ni and Nr only during its setup */
    memset(&sa, 0, sizeof(sa));
    sa.ni = nonces[0];
    sa.nr = nonces[1];
    sa.algs.encr = IPSECVPN_ENCR_AES_CBC;
    sa.algs.encr_bits = 128;
    sa.algs.prf = IPSECVPN_PRF_HMAC_SHA2_256;
    sa.algs.integ = IPSECVPN_INTEG_HMAC_SHA2_256_128;
    sa.ni_len = sa.nr_len = 32;
    for (int i = 0; i < 32; i++) {
        sa.ni[i] = (uint8_t)i;
        sa.nr[i] = (uint8_t)(0x80 + i);
    }
    memcpy(sa.spi_i, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
    memcpy(sa.spi_r, "\x99\xaa\xbb\xcc\xdd\xee\xff\x01", 8);
    uint8_t gir[256];
    for (int i = 0; i < 256; i++)
        gir[i] = (uint8_t)(255 - i);
    cr_assert_eq(ivpn_ikev2_derive_ike_keys(&sa, gir, sizeof(gir), NULL), IPSECVPN_OK);

    uint8_t nn[64], skeyseed[32], seed[80], t[32 + 80 + 1], km[32 * 8];
    memcpy(nn, sa.ni, 32);
    memcpy(nn + 32, sa.nr, 32);
    hmac(MBEDTLS_MD_SHA256, nn, 64, gir, sizeof(gir), skeyseed);
    memcpy(seed, nn, 64);
    memcpy(seed + 64, sa.spi_i, 8);
    memcpy(seed + 72, sa.spi_r, 8);
    size_t tl = 0;
    for (int n = 1; n <= 8; n++) { /* T_n = prf(K, T_{n-1} | S | n) */
        size_t l = 0;
        if (n > 1) {
            memcpy(t, km + 32 * (n - 2), 32);
            l = 32;
        }
        memcpy(t + l, seed, 80);
        t[l + 80] = (uint8_t)n;
        hmac(MBEDTLS_MD_SHA256, skeyseed, 32, t, l + 81, km + 32 * (n - 1));
        tl += 32;
    }
    (void)tl;
    /* SK_d(32) SK_ai(32) SK_ar(32) SK_ei(16) SK_er(16) SK_pi(32) SK_pr(32) */
    cr_assert_eq(memcmp(sa.sk_d, km, 32), 0);
    cr_assert_eq(memcmp(sa.sk_ai, km + 32, 32), 0);
    cr_assert_eq(memcmp(sa.sk_ar, km + 64, 32), 0);
    cr_assert_eq(memcmp(sa.sk_ei, km + 96, 16), 0);
    cr_assert_eq(memcmp(sa.sk_er, km + 112, 16), 0);
    cr_assert_eq(memcmp(sa.sk_pi, km + 128, 32), 0);
    cr_assert_eq(memcmp(sa.sk_pr, km + 160, 32), 0);
}
