/* AEAD: AES-GCM-16 against draft-mcgrew-gcm-test-01 (RFC 4106 ESP cases), ChaCha20-Poly1305
 * round trips, and the contract that a failed decryption leaves the ciphertext untouched. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "vectors.h"

Test(aead, gcm_draft_mcgrew_esp_cases)
{
    cJSON *root = vec_load("draft_mcgrew_gcm_test_01_esp_gcm_gmac.json");
    const cJSON *c;
    int ran = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases")) {
        if (!vec_verified(c) || strcmp(vec_str(c, "algorithm"), "AES-GCM-ESP") != 0) continue;
        size_t kl, ivl, al, pl, cl, tl;
        uint8_t *key = vec_hex_field(c, "keymat_key_plus_salt", &kl);
        uint8_t *iv = vec_hex_field(c, "iv", &ivl);
        uint8_t *aad = vec_hex_field(c, "aad", &al);
        uint8_t *pt = vec_hex_field(c, "plaintext", &pl);
        uint8_t *ct = vec_hex_field(c, "ciphertext", &cl);
        uint8_t *tag = vec_hex_field(c, "tag", &tl);
        int bits = cJSON_GetObjectItem(c, "key_bits")->valueint;
        int test = cJSON_GetObjectItem(c, "test")->valueint;
        cr_assert_eq(ivl, 8);
        cr_assert_eq(pl, cl);
        cr_assert_eq(tl, 16);

        const ivpn_cipher_info *info = ivpn_cipher_lookup(IPSECVPN_ENCR_AES_GCM_16, (unsigned)bits);
        cr_assert_not_null(info, "test %d: no GCM-%d", test, bits);
        ivpn_aead *a = NULL;
        cr_assert_eq(ivpn_aead_new(NULL, info, key, kl, &a), IPSECVPN_OK, "test %d", test);

        uint8_t *buf = malloc(pl + 1);
        uint8_t out_tag[16];
        memcpy(buf, pt, pl);
        cr_assert_eq(ivpn_aead_encrypt(a, iv, aad, al, buf, pl, out_tag), IPSECVPN_OK);
        cr_assert_arr_eq(buf, ct, cl, "test %d: ciphertext", test);
        cr_assert_arr_eq(out_tag, tag, 16, "test %d: tag", test);

        cr_assert_eq(ivpn_aead_decrypt(a, iv, aad, al, buf, cl, tag), IPSECVPN_OK);
        cr_assert_arr_eq(buf, pt, pl, "test %d: decrypted", test);

        /* A flipped tag bit, AAD bit or ciphertext bit: ICV error and the ciphertext intact. */
        uint8_t bad_tag[16];
        memcpy(bad_tag, tag, 16);
        bad_tag[15] ^= 0x80;
        memcpy(buf, ct, cl);
        cr_assert_eq(ivpn_aead_decrypt(a, iv, aad, al, buf, cl, bad_tag), IPSECVPN_ERR_ESP_ICV);
        cr_assert_arr_eq(buf, ct, cl, "test %d: buffer changed after a failed tag", test);
        aad[0] ^= 1;
        cr_assert_eq(ivpn_aead_decrypt(a, iv, aad, al, buf, cl, tag), IPSECVPN_ERR_ESP_ICV);
        cr_assert_arr_eq(buf, ct, cl);
        aad[0] ^= 1;
        buf[0] ^= 1;
        cr_assert_eq(ivpn_aead_decrypt(a, iv, aad, al, buf, cl, tag), IPSECVPN_ERR_ESP_ICV);
        buf[0] ^= 1;
        cr_assert_arr_eq(buf, ct, cl);

        ivpn_aead_free(NULL, a);
        free(buf); free(key); free(iv); free(aad); free(pt); free(ct); free(tag);
        ran++;
    }
    cr_assert_geq(ran, 16);
    cJSON_Delete(root);
}

static void round_trip(uint16_t id, unsigned bits)
{
    const ivpn_cipher_info *info = ivpn_cipher_lookup(id, bits);
    cr_assert_not_null(info);
    uint8_t key[36], iv[8], aad[12], pt[300], buf[300], tag[16], tag2[16];
    for (size_t i = 0; i < sizeof(key); i++) key[i] = (uint8_t)(i * 7 + 1);
    for (size_t i = 0; i < sizeof(pt); i++) pt[i] = (uint8_t)(i ^ 0x5a);
    memset(iv, 0x11, sizeof(iv));
    memset(aad, 0x22, sizeof(aad));
    ivpn_aead *a = NULL;
    size_t kl = (size_t)info->key_len + info->salt_len;
    cr_assert_eq(ivpn_aead_new(NULL, info, key, kl, &a), IPSECVPN_OK);
    for (size_t len = 0; len <= sizeof(pt); len += 37) {
        memcpy(buf, pt, len);
        cr_assert_eq(ivpn_aead_encrypt(a, iv, aad, sizeof(aad), buf, len, tag), IPSECVPN_OK);
        if (len > 0) cr_assert_arr_neq(buf, pt, len);
        uint8_t ct[300];
        memcpy(ct, buf, len);
        memcpy(tag2, tag, 16);
        tag2[0] ^= 4;
        cr_assert_eq(ivpn_aead_decrypt(a, iv, aad, sizeof(aad), buf, len, tag2),
                     IPSECVPN_ERR_ESP_ICV);
        if (len > 0) cr_assert_arr_eq(buf, ct, len);
        cr_assert_eq(ivpn_aead_decrypt(a, iv, aad, sizeof(aad), buf, len, tag), IPSECVPN_OK);
        if (len > 0) cr_assert_arr_eq(buf, pt, len);
    }
    /* The salt is part of the nonce: another salt gives another ciphertext. */
    ivpn_aead *b = NULL;
    key[info->key_len] ^= 1;
    cr_assert_eq(ivpn_aead_new(NULL, info, key, kl, &b), IPSECVPN_OK);
    uint8_t b1[32] = {0}, b2[32] = {0};
    cr_assert_eq(ivpn_aead_encrypt(a, iv, NULL, 0, b1, sizeof(b1), tag), IPSECVPN_OK);
    cr_assert_eq(ivpn_aead_encrypt(b, iv, NULL, 0, b2, sizeof(b2), tag2), IPSECVPN_OK);
    cr_assert_arr_neq(b1, b2, sizeof(b1));
    ivpn_aead_free(NULL, a);
    ivpn_aead_free(NULL, b);
}

Test(aead, round_trips)
{
    round_trip(IPSECVPN_ENCR_AES_GCM_16, 128);
    round_trip(IPSECVPN_ENCR_AES_GCM_16, 192);
    round_trip(IPSECVPN_ENCR_AES_GCM_16, 256);
    round_trip(IPSECVPN_ENCR_CHACHA20_POLY1305, 0);
    round_trip(IPSECVPN_ENCR_CHACHA20_POLY1305, 256);
}

Test(aead, bad_inputs)
{
    uint8_t key[36] = {0}, buf[16] = {0}, tag[16] = {0}, iv[8] = {0};
    ivpn_aead *a = (ivpn_aead *)&a;
    cr_assert_null(ivpn_cipher_lookup(IPSECVPN_ENCR_AES_GCM_16, 0));
    cr_assert_null(ivpn_cipher_lookup(IPSECVPN_ENCR_AES_GCM_16, 100));
    cr_assert_null(ivpn_cipher_lookup(IPSECVPN_ENCR_CHACHA20_POLY1305, 128));
    cr_assert_null(ivpn_cipher_lookup(99, 0));
    const ivpn_cipher_info *gcm = ivpn_cipher_lookup(IPSECVPN_ENCR_AES_GCM_16, 128);
    cr_assert_eq(ivpn_aead_new(NULL, gcm, key, 16, &a), IPSECVPN_ERR_CRYPTO_KEY_LEN);
    cr_assert_null(a);
    cr_assert_eq(ivpn_aead_new(NULL, ivpn_cipher_lookup(IPSECVPN_ENCR_AES_CBC, 128), key, 20, &a),
                 IPSECVPN_ERR_CRYPTO_ALG);
    cr_assert_eq(ivpn_aead_new(NULL, NULL, key, 20, &a), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ivpn_aead_new(NULL, gcm, key, 20, &a), IPSECVPN_OK);
    cr_assert_eq(ivpn_aead_encrypt(a, iv, NULL, 4, buf, 16, tag), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ivpn_aead_encrypt(a, iv, NULL, 0, NULL, 16, tag), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ivpn_aead_decrypt(a, NULL, NULL, 0, buf, 16, tag), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ivpn_aead_decrypt(NULL, iv, NULL, 0, buf, 16, tag), IPSECVPN_ERR_INVALID_ARG);
    ivpn_aead_free(NULL, a);
    ivpn_aead_free(NULL, NULL);
}

Test(aead, chacha20_poly1305_rfc7539)
{
    cJSON *root = vec_load("rfc7539_chacha20_poly1305_aead.json");
    const cJSON *c;
    int ran = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases")) {
        if (!vec_verified(c)) continue;
        size_t kl, ivl, al, pl, cl, tl;
        uint8_t *key = vec_hex_field(c, "keymat_key_plus_salt", &kl);
        uint8_t *iv = vec_hex_field(c, "iv", &ivl);
        uint8_t *aad = vec_hex_field(c, "aad", &al);
        uint8_t *pt = vec_hex_field(c, "plaintext", &pl);
        uint8_t *ct = vec_hex_field(c, "ciphertext", &cl);
        uint8_t *tag = vec_hex_field(c, "tag", &tl);
        const ivpn_cipher_info *info = ivpn_cipher_lookup(IPSECVPN_ENCR_CHACHA20_POLY1305, 256);
        cr_assert_not_null(info);
        ivpn_aead *a = NULL;
        cr_assert_eq(ivpn_aead_new(NULL, info, key, kl, &a), IPSECVPN_OK);
        uint8_t *buf = malloc(pl);
        uint8_t out_tag[16];
        memcpy(buf, pt, pl);
        cr_assert_eq(ivpn_aead_encrypt(a, iv, aad, al, buf, pl, out_tag), IPSECVPN_OK);
        cr_assert_arr_eq(buf, ct, cl);
        cr_assert_arr_eq(out_tag, tag, tl);
        tag[0] ^= 0x01;
        cr_assert_eq(ivpn_aead_decrypt(a, iv, aad, al, buf, cl, tag), IPSECVPN_ERR_ESP_ICV);
        cr_assert_arr_eq(buf, ct, cl, "buffer changed after a failed tag");
        tag[0] ^= 0x01;
        cr_assert_eq(ivpn_aead_decrypt(a, iv, aad, al, buf, cl, tag), IPSECVPN_OK);
        cr_assert_arr_eq(buf, pt, pl);
        ivpn_aead_free(NULL, a);
        free(buf); free(key); free(iv); free(aad); free(pt); free(ct); free(tag);
        ran++;
    }
    cr_assert_eq(ran, 1);
    cJSON_Delete(root);
}
