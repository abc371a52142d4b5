/* Diffie-Hellman: MODP primes against the published ones, RFC 5903 ECP and RFC 7748 X25519
 * known answers, two-party agreement for every group, and rejection of bad peer values. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto/crypto.h"
#include "vectors.h"

static const uint16_t all_groups[] = {
    IPSECVPN_DH_MODP768,  IPSECVPN_DH_MODP1024, IPSECVPN_DH_MODP1536, IPSECVPN_DH_MODP2048,
    IPSECVPN_DH_MODP3072, IPSECVPN_DH_MODP4096, IPSECVPN_DH_ECP256,   IPSECVPN_DH_ECP384,
    IPSECVPN_DH_ECP521,   IPSECVPN_DH_CURVE25519};

Test(dh, modp_primes_match_published)
{
    cJSON *root = vec_load("ike_modp_dh_groups.json");
    const cJSON *g;
    int matched = 0;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(root, "modp_groups")) {
        if (!vec_verified(g)) continue;
        uint16_t id = (uint16_t)cJSON_GetObjectItem(g, "group")->valueint;
        const char *ours = ivpn_dh_modp_prime_hex(id);
        if (ours == NULL) {
            /* 6144/8192-bit groups are not offered: the tables must agree. */
            cr_assert_null(ivpn_dh_lookup(id), "group %u", id);
            continue;
        }
        cr_assert_eq(cJSON_GetObjectItem(g, "generator")->valueint, 2);
        cr_assert_eq(strcasecmp(ours, vec_str(g, "prime_hex")), 0, "group %u prime differs", id);
        const ivpn_dh_info *info = ivpn_dh_lookup(id);
        cr_assert_not_null(info);
        int bits = cJSON_GetObjectItem(g, "bits")->valueint;
        cr_assert_eq(info->public_len * 8, bits);
        cr_assert_eq(info->shared_len * 8, bits);
        matched++;
    }
    cr_assert_eq(matched, 6);
    cJSON_Delete(root);
}

/* Alice and Bob agree, public values have the table's length, and differ from each other. */
static void agree(ipsecvpn_ctx *ctx, uint16_t group)
{
    const ivpn_dh_info *info = ivpn_dh_lookup(group);
    cr_assert_not_null(info);
    ivpn_dh *a = NULL, *b = NULL;
    cr_assert_eq(ivpn_dh_new(ctx, group, &a), IPSECVPN_OK, "group %u", group);
    cr_assert_eq(ivpn_dh_new(ctx, group, &b), IPSECVPN_OK);
    uint8_t pa[600], pb[600], sa[600], sb[600];
    cr_assert_eq(ivpn_dh_public(a, pa, info->public_len - 1u), IPSECVPN_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(ivpn_dh_public(a, pa, sizeof(pa)), IPSECVPN_OK);
    cr_assert_eq(ivpn_dh_public(b, pb, info->public_len), IPSECVPN_OK);
    cr_assert_arr_neq(pa, pb, info->public_len);
    cr_assert_eq(ivpn_dh_shared(a, pb, info->public_len, sa, sizeof(sa)), IPSECVPN_OK);
    cr_assert_eq(ivpn_dh_shared(b, pa, info->public_len, sb, info->shared_len), IPSECVPN_OK);
    cr_assert_arr_eq(sa, sb, info->shared_len, "group %u: no agreement", group);
    /* Wrong lengths of the peer value are a bad peer value, not a crash. */
    cr_assert_eq(ivpn_dh_shared(a, pb, info->public_len - 1u, sa, sizeof(sa)),
                 IPSECVPN_ERR_DH_PUBLIC);
    cr_assert_eq(ivpn_dh_shared(a, pb, info->public_len + 1u, sa, sizeof(sa)),
                 IPSECVPN_ERR_DH_PUBLIC);
    cr_assert_eq(ivpn_dh_shared(a, pb, info->public_len, sa, info->shared_len - 1u),
                 IPSECVPN_ERR_BUFFER_TOO_SMALL);
    ivpn_dh_free(ctx, a);
    ivpn_dh_free(ctx, b);
}

Test(dh, agreement_every_group, .timeout = 120)
{
    ipsecvpn_ctx *ctx = vec_ctx();
    for (size_t i = 0; i < sizeof(all_groups) / sizeof(all_groups[0]); i++) {
        agree(ctx, all_groups[i]);
    }
    ipsecvpn_ctx_free(ctx);
}

Test(dh, modp_known_powers_and_peer_validation)
{
    ipsecvpn_ctx *ctx = vec_ctx();
    const ivpn_dh_info *info = ivpn_dh_lookup(IPSECVPN_DH_MODP1024);
    size_t n = info->public_len;
    uint8_t pub[128], peer[128], out[128], p[128];
    ivpn_dh *dh = NULL;

    /* x = 3: g^x = 8, left-padded to the prime length. */
    const uint8_t three = 3;
    cr_assert_eq(ivpn_dh_new_with_private(ctx, IPSECVPN_DH_MODP1024, &three, 1, &dh),
                 IPSECVPN_OK);
    cr_assert_eq(ivpn_dh_public(dh, pub, sizeof(pub)), IPSECVPN_OK);
    for (size_t i = 0; i + 1 < n; i++) cr_assert_eq(pub[i], 0);
    cr_assert_eq(pub[n - 1], 8);
    /* peer y = 2: y^3 = 8 */
    memset(peer, 0, n);
    peer[n - 1] = 2;
    cr_assert_eq(ivpn_dh_shared(dh, peer, n, out, sizeof(out)), IPSECVPN_OK);
    cr_assert_arr_eq(out, pub, n);

    /* The prime itself, from the published hex. */
    size_t pl;
    uint8_t *prime = vec_hex(ivpn_dh_modp_prime_hex(IPSECVPN_DH_MODP1024), &pl);
    cr_assert_eq(pl, n);
    memcpy(p, prime, n);
    free(prime);

    /* Rejected: 0, 1, p-1, p, all-ones (> p). */
    memset(peer, 0, n);
    cr_assert_eq(ivpn_dh_shared(dh, peer, n, out, sizeof(out)), IPSECVPN_ERR_DH_PUBLIC);
    peer[n - 1] = 1;
    cr_assert_eq(ivpn_dh_shared(dh, peer, n, out, sizeof(out)), IPSECVPN_ERR_DH_PUBLIC);
    memcpy(peer, p, n);
    peer[n - 1] -= 1; /* p ends in 0xFF: p-1 without borrow */
    cr_assert_eq(ivpn_dh_shared(dh, peer, n, out, sizeof(out)), IPSECVPN_ERR_DH_PUBLIC);
    memcpy(peer, p, n);
    cr_assert_eq(ivpn_dh_shared(dh, peer, n, out, sizeof(out)), IPSECVPN_ERR_DH_PUBLIC);
    memset(peer, 0xff, n);
    cr_assert_eq(ivpn_dh_shared(dh, peer, n, out, sizeof(out)), IPSECVPN_ERR_DH_PUBLIC);
    /* Accepted: p-2 (the largest allowed) */
    memcpy(peer, p, n);
    peer[n - 1] -= 2;
    cr_assert_eq(ivpn_dh_shared(dh, peer, n, out, sizeof(out)), IPSECVPN_OK);
    ivpn_dh_free(ctx, dh);

    /* Private values out of range. */
    const uint8_t one = 1;
    cr_assert_eq(ivpn_dh_new_with_private(ctx, IPSECVPN_DH_MODP1024, &one, 1, &dh),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_null(dh);
    cr_assert_eq(ivpn_dh_new_with_private(ctx, IPSECVPN_DH_MODP1024, p, n, &dh),
                 IPSECVPN_ERR_INVALID_ARG);
    ipsecvpn_ctx_free(ctx);
}

Test(dh, ecp_rfc5903)
{
    ipsecvpn_ctx *ctx = vec_ctx();
    cJSON *root = vec_load("rfc5903_ecp_ikev2_dh.json");
    const cJSON *c;
    int ran = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases")) {
        if (!vec_verified(c)) continue;
        uint16_t group = (uint16_t)cJSON_GetObjectItem(c, "group")->valueint;
        const ivpn_dh_info *info = ivpn_dh_lookup(group);
        cr_assert_not_null(info);
        size_t il, rl, l1, l2, l3, l4, zl;
        uint8_t *i = vec_hex_field(c, "i", &il), *r = vec_hex_field(c, "r", &rl);
        uint8_t *gix = vec_hex_field(c, "gix", &l1), *giy = vec_hex_field(c, "giy", &l2);
        uint8_t *grx = vec_hex_field(c, "grx", &l3), *gry = vec_hex_field(c, "gry", &l4);
        uint8_t *z = vec_hex_field(c, "shared_secret", &zl);
        cr_assert_eq(l1 + l2, info->public_len);
        cr_assert_eq(zl, info->shared_len);

        ivpn_dh *di = NULL, *dr = NULL;
        cr_assert_eq(ivpn_dh_new_with_private(ctx, group, i, il, &di), IPSECVPN_OK);
        cr_assert_eq(ivpn_dh_new_with_private(ctx, group, r, rl, &dr), IPSECVPN_OK);
        uint8_t pi[132], pr[132], s[66];
        cr_assert_eq(ivpn_dh_public(di, pi, sizeof(pi)), IPSECVPN_OK);
        cr_assert_eq(ivpn_dh_public(dr, pr, sizeof(pr)), IPSECVPN_OK);
        cr_assert_arr_eq(pi, gix, l1, "group %u g^i x", group);
        cr_assert_arr_eq(pi + l1, giy, l2, "group %u g^i y", group);
        cr_assert_arr_eq(pr, grx, l3);
        cr_assert_arr_eq(pr + l3, gry, l4);
        cr_assert_eq(ivpn_dh_shared(di, pr, info->public_len, s, sizeof(s)), IPSECVPN_OK);
        cr_assert_arr_eq(s, z, zl, "group %u shared", group);
        memset(s, 0, sizeof(s));
        cr_assert_eq(ivpn_dh_shared(dr, pi, info->public_len, s, sizeof(s)), IPSECVPN_OK);
        cr_assert_arr_eq(s, z, zl);

        /* Off the curve (y changed), all zeros, coordinates >= p: rejected. */
        pr[info->public_len - 1] ^= 1;
        cr_assert_eq(ivpn_dh_shared(di, pr, info->public_len, s, sizeof(s)),
                     IPSECVPN_ERR_DH_PUBLIC);
        memset(pr, 0, sizeof(pr));
        cr_assert_eq(ivpn_dh_shared(di, pr, info->public_len, s, sizeof(s)),
                     IPSECVPN_ERR_DH_PUBLIC);
        memset(pr, 0xff, sizeof(pr));
        cr_assert_eq(ivpn_dh_shared(di, pr, info->public_len, s, sizeof(s)),
                     IPSECVPN_ERR_DH_PUBLIC);
        /* A zero private scalar is refused. */
        ivpn_dh *bad = NULL;
        memset(i, 0, il);
        cr_assert_eq(ivpn_dh_new_with_private(ctx, group, i, il, &bad), IPSECVPN_ERR_INVALID_ARG);
        cr_assert_null(bad);

        ivpn_dh_free(ctx, di);
        ivpn_dh_free(ctx, dr);
        free(i); free(r); free(gix); free(giy); free(grx); free(gry); free(z);
        ran++;
    }
    cr_assert_eq(ran, 3);
    cJSON_Delete(root);
    ipsecvpn_ctx_free(ctx);
}

Test(dh, x25519_rfc7748)
{
    ipsecvpn_ctx *ctx = vec_ctx();
    cJSON *root = vec_load("rfc7748_x25519.json");
    const cJSON *c;
    int ran = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases")) {
        if (!vec_verified(c)) continue;
        uint8_t out[32];
        size_t l;
        if (cJSON_GetObjectItem(c, "alice_private") != NULL) {
            uint8_t *a = vec_hex_field(c, "alice_private", &l);
            uint8_t *ap = vec_hex_field(c, "alice_public", &l);
            uint8_t *b = vec_hex_field(c, "bob_private", &l);
            uint8_t *bp = vec_hex_field(c, "bob_public", &l);
            uint8_t *k = vec_hex_field(c, "shared_secret", &l);
            ivpn_dh *da = NULL, *db = NULL;
            cr_assert_eq(ivpn_dh_new_with_private(ctx, IPSECVPN_DH_CURVE25519, a, 32, &da),
                         IPSECVPN_OK);
            cr_assert_eq(ivpn_dh_new_with_private(ctx, IPSECVPN_DH_CURVE25519, b, 32, &db),
                         IPSECVPN_OK);
            cr_assert_eq(ivpn_dh_public(da, out, 32), IPSECVPN_OK);
            cr_assert_arr_eq(out, ap, 32, "Alice's public key");
            cr_assert_eq(ivpn_dh_public(db, out, 32), IPSECVPN_OK);
            cr_assert_arr_eq(out, bp, 32, "Bob's public key");
            cr_assert_eq(ivpn_dh_shared(da, bp, 32, out, 32), IPSECVPN_OK);
            cr_assert_arr_eq(out, k, 32, "K (Alice)");
            cr_assert_eq(ivpn_dh_shared(db, ap, 32, out, 32), IPSECVPN_OK);
            cr_assert_arr_eq(out, k, 32, "K (Bob)");
            /* Small-order peer points give an all-zero secret: refused. */
            uint8_t zero[32] = {0}, one[32] = {1};
            cr_assert_eq(ivpn_dh_shared(da, zero, 32, out, 32), IPSECVPN_ERR_DH_PUBLIC);
            cr_assert_eq(ivpn_dh_shared(da, one, 32, out, 32), IPSECVPN_ERR_DH_PUBLIC);
            ivpn_dh_free(ctx, da);
            ivpn_dh_free(ctx, db);
            free(a); free(ap); free(b); free(bp); free(k);
        } else {
            uint8_t *k = vec_hex_field(c, "scalar", &l);
            uint8_t *u = vec_hex_field(c, "u", &l);
            uint8_t *o = vec_hex_field(c, "output", &l);
            ivpn_dh *d = NULL;
            cr_assert_eq(ivpn_dh_new_with_private(ctx, IPSECVPN_DH_CURVE25519, k, 32, &d),
                         IPSECVPN_OK);
            cr_assert_eq(ivpn_dh_shared(d, u, 32, out, 32), IPSECVPN_OK);
            cr_assert_arr_eq(out, o, 32, "%s", vec_str(c, "name"));
            ivpn_dh_free(ctx, d);
            free(k); free(u); free(o);
        }
        ran++;
    }
    cr_assert_eq(ran, 3);
    cJSON_Delete(root);
    ipsecvpn_ctx_free(ctx);
}

Test(dh, bad_inputs)
{
    ipsecvpn_ctx *ctx = vec_ctx();
    ivpn_dh *dh = (ivpn_dh *)&dh;
    uint8_t k[32] = {0};
    cr_assert_null(ivpn_dh_lookup(17));
    cr_assert_null(ivpn_dh_lookup(0));
    cr_assert_eq(ivpn_dh_new(ctx, 17, &dh), IPSECVPN_ERR_CRYPTO_ALG);
    cr_assert_null(dh);
    cr_assert_eq(ivpn_dh_new(NULL, IPSECVPN_DH_ECP256, &dh), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ivpn_dh_new_with_private(ctx, IPSECVPN_DH_CURVE25519, k, 31, &dh),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ivpn_dh_new_with_private(ctx, IPSECVPN_DH_CURVE25519, NULL, 32, &dh),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ivpn_dh_public(NULL, k, 32), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ivpn_dh_shared(NULL, k, 32, k, 32), IPSECVPN_ERR_INVALID_ARG);
    ivpn_dh_free(ctx, NULL);
    ipsecvpn_ctx_free(ctx);
}
