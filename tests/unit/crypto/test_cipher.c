/* CBC ciphers: RFC 3602 known answers for AES, round trips for every key size, in place. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "vectors.h"

Test(cipher, known_answers)
{
    cJSON *root = vec_load("cbc_known_answers.json");
    const cJSON *c;
    int ran = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases")) {
        if (!vec_verified(c)) continue;
        size_t kl, ivl, pl, cl;
        uint8_t *key = vec_hex_field(c, "key", &kl);
        uint8_t *iv = vec_hex_field(c, "iv", &ivl);
        uint8_t *pt = vec_hex_field(c, "plaintext", &pl);
        uint8_t *ct = vec_hex_field(c, "ciphertext", &cl);
        uint16_t id = (uint16_t)cJSON_GetObjectItem(c, "encr_id")->valueint;
        const ivpn_cipher_info *info = ivpn_cipher_lookup(id, (unsigned)kl * 8);
        cr_assert_not_null(info);
        cr_assert_eq(ivl, info->iv_len);
        ivpn_cipher *ci = NULL;
        cr_assert_eq(ivpn_cipher_new(NULL, info, key, kl, &ci), IPSECVPN_OK);
        uint8_t *buf = malloc(pl + 1), *ivcopy = malloc(ivl);
        memcpy(ivcopy, iv, ivl);
        cr_assert_eq(ivpn_cipher_cbc_encrypt(ci, iv, pt, buf, pl), IPSECVPN_OK);
        cr_assert_arr_eq(buf, ct, cl, "%s", vec_str(c, "name"));
        cr_assert_arr_eq(iv, ivcopy, ivl, "iv modified");
        /* In place, both directions. */
        cr_assert_eq(ivpn_cipher_cbc_decrypt(ci, iv, buf, buf, cl), IPSECVPN_OK);
        cr_assert_arr_eq(buf, pt, pl);
        cr_assert_eq(ivpn_cipher_cbc_encrypt(ci, iv, buf, buf, pl), IPSECVPN_OK);
        cr_assert_arr_eq(buf, ct, cl);
        cr_assert_arr_eq(iv, ivcopy, ivl, "iv modified");
        ivpn_cipher_free(NULL, ci);
        free(buf); free(ivcopy); free(key); free(iv); free(pt); free(ct);
        ran++;
    }
    cr_assert_geq(ran, 1);
    cJSON_Delete(root);
}

static void round_trip(uint16_t id, unsigned bits)
{
    const ivpn_cipher_info *info = ivpn_cipher_lookup(id, bits);
    cr_assert_not_null(info, "id %u bits %u", id, bits);
    cr_assert_eq(info->aead, false);
    uint8_t key[32], iv[16], pt[256], ct[256], buf[256];
    for (size_t i = 0; i < sizeof(key); i++) key[i] = (uint8_t)(0x80 + i * 3);
    for (size_t i = 0; i < sizeof(pt); i++) pt[i] = (uint8_t)i;
    memset(iv, 0xa5, sizeof(iv));
    ivpn_cipher *c = NULL;
    cr_assert_eq(ivpn_cipher_new(NULL, info, key, info->key_len, &c), IPSECVPN_OK);
    cr_assert_eq(ivpn_cipher_cbc_encrypt(c, iv, pt, ct, sizeof(pt)), IPSECVPN_OK);
    cr_assert_arr_neq(ct, pt, sizeof(pt));
    /* CBC chains: a block's ciphertext depends on the previous one, so equal plaintext
     * blocks must not give equal ciphertext blocks. */
    uint8_t same[32] = {0}, same_ct[32];
    cr_assert_eq(ivpn_cipher_cbc_encrypt(c, iv, same, same_ct, 2u * info->block_size),
                 IPSECVPN_OK);
    cr_assert_arr_neq(same_ct, same_ct + info->block_size, info->block_size);
    memcpy(buf, ct, sizeof(ct));
    cr_assert_eq(ivpn_cipher_cbc_decrypt(c, iv, buf, buf, sizeof(buf)), IPSECVPN_OK);
    cr_assert_arr_eq(buf, pt, sizeof(pt));
    cr_assert_eq(ivpn_cipher_cbc_encrypt(c, iv, pt, buf, info->block_size + 1u),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ivpn_cipher_cbc_encrypt(c, iv, pt, buf, 0), IPSECVPN_OK);
    ivpn_cipher_free(NULL, c);
    cr_assert_eq(ivpn_cipher_new(NULL, info, key, info->key_len - 1u, &c),
                 IPSECVPN_ERR_CRYPTO_KEY_LEN);
    cr_assert_null(c);
}

Test(cipher, round_trips)
{
    round_trip(IPSECVPN_ENCR_AES_CBC, 128);
    round_trip(IPSECVPN_ENCR_AES_CBC, 192);
    round_trip(IPSECVPN_ENCR_AES_CBC, 256);
    round_trip(IPSECVPN_ENCR_3DES, 0);
    round_trip(IPSECVPN_ENCR_3DES, 192);
    round_trip(IPSECVPN_ENCR_DES, 0);
    round_trip(IPSECVPN_ENCR_DES, 64);
}

Test(cipher, bad_inputs)
{
    uint8_t key[32] = {0};
    ivpn_cipher *c = (ivpn_cipher *)&c;
    cr_assert_null(ivpn_cipher_lookup(IPSECVPN_ENCR_AES_CBC, 0));
    cr_assert_null(ivpn_cipher_lookup(IPSECVPN_ENCR_3DES, 128));
    cr_assert_eq(ivpn_cipher_new(NULL, ivpn_cipher_lookup(IPSECVPN_ENCR_AES_GCM_16, 128), key,
                                 16, &c), IPSECVPN_ERR_CRYPTO_ALG);
    cr_assert_null(c);
    cr_assert_eq(ivpn_cipher_new(NULL, NULL, key, 16, &c), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ivpn_cipher_cbc_encrypt(NULL, key, key, key, 16), IPSECVPN_ERR_INVALID_ARG);
    ivpn_cipher_free(NULL, NULL);
}
