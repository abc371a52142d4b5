/*
 * AEAD for ESP: AES-GCM with a 16-byte ICV (RFC 4106) and ChaCha20-Poly1305 (RFC 7634).
 * KEYMAT gives key || 4-byte salt; the nonce is salt || the 8-byte explicit IV.
 *
 * Decryption and the contract "on failure buf is left as ciphertext": mbedTLS 2.28's
 * *_auth_decrypt decrypt into the output first and zero it when the tag is wrong, which would
 * destroy an in-place buffer. We instead run the streaming API in decrypt mode in place, compare
 * the tag in constant time, and on a mismatch run the same nonce's keystream over the buffer
 * again: CTR (GCM) and ChaCha20 encryption is XOR with a keystream, so this restores the exact
 * ciphertext without a per-packet copy or allocation. A forged packet therefore costs two
 * keystream passes; the replay window is checked by ESP before this is ever reached.
 */
#include <string.h>

#include <mbedtls/chachapoly.h>
#include <mbedtls/gcm.h>

#include "crypto/crypto.h"

#define AEAD_SALT_LEN 4
#define AEAD_NONCE_LEN 12
#define AEAD_TAG_LEN 16

struct ivpn_aead {
    const ivpn_cipher_info *info;
    uint8_t salt[AEAD_SALT_LEN];
    union {
        mbedtls_gcm_context gcm;
        mbedtls_chachapoly_context chachapoly;
    } u;
};

static bool is_gcm(const ivpn_aead *a)
{
    return a->info->id == IPSECVPN_ENCR_AES_GCM_16;
}

int ivpn_aead_new(const ipsecvpn_ctx *ctx, const ivpn_cipher_info *info,
                  const uint8_t *key, size_t key_len, ivpn_aead **out)
{
    if (out == NULL) {
        return IPSECVPN_ERR_INVALID_ARG;
    }
    *out = NULL;
    if (info == NULL || key == NULL) {
        return IPSECVPN_ERR_INVALID_ARG;
    }
    if (!info->aead || info->salt_len != AEAD_SALT_LEN || info->icv_len != AEAD_TAG_LEN ||
        (info->id != IPSECVPN_ENCR_AES_GCM_16 && info->id != IPSECVPN_ENCR_CHACHA20_POLY1305)) {
        IVPN_LOG_WARN(ctx, "crypto: %s is not a supported AEAD", info->name);
        return IPSECVPN_ERR_CRYPTO_ALG;
    }
    if (key_len != (size_t)info->key_len + info->salt_len) {
        IVPN_LOG_WARN(ctx, "crypto: %s key+salt is %zu bytes, needs %u", info->name, key_len,
                      (unsigned)(info->key_len + info->salt_len));
        return IPSECVPN_ERR_CRYPTO_KEY_LEN;
    }
    ivpn_aead *a = ivpn_zalloc(ctx, sizeof(*a));
    if (a == NULL) {
        return IPSECVPN_ERR_NOMEM;
    }
    a->info = info;
    memcpy(a->salt, key + info->key_len, AEAD_SALT_LEN);
    int rc;
    if (is_gcm(a)) {
        mbedtls_gcm_init(&a->u.gcm);
        rc = mbedtls_gcm_setkey(&a->u.gcm, MBEDTLS_CIPHER_ID_AES, key, info->key_len * 8u);
    } else {
        mbedtls_chachapoly_init(&a->u.chachapoly);
        rc = mbedtls_chachapoly_setkey(&a->u.chachapoly, key);
    }
    if (rc != 0) {
        IVPN_LOG_WARN(ctx, "crypto: %s key setup failed (%d)", info->name, rc);
        ivpn_aead_free(ctx, a);
        return IPSECVPN_ERR_CRYPTO;
    }
    *out = a;
    return IPSECVPN_OK;
}

static bool args_ok(const ivpn_aead *a, const uint8_t *iv8, const uint8_t *aad, size_t aad_len,
                    const uint8_t *buf, size_t len, const uint8_t *tag)
{
    return a != NULL && iv8 != NULL && tag != NULL && (aad != NULL || aad_len == 0) &&
           (buf != NULL || len == 0);
}

/* One pass of the AEAD over buf in place; the computed tag goes to tag_out. */
static int aead_pass(ivpn_aead *a, int encrypt, const uint8_t nonce[AEAD_NONCE_LEN],
                     const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len,
                     uint8_t tag_out[AEAD_TAG_LEN])
{
    if (is_gcm(a)) {
        mbedtls_gcm_context *g = &a->u.gcm;
        int mode = encrypt ? MBEDTLS_GCM_ENCRYPT : MBEDTLS_GCM_DECRYPT;
        if (mbedtls_gcm_starts(g, mode, nonce, AEAD_NONCE_LEN, aad, aad_len) != 0 ||
            (len != 0 && mbedtls_gcm_update(g, len, buf, buf) != 0) ||
            mbedtls_gcm_finish(g, tag_out, AEAD_TAG_LEN) != 0) {
            return IPSECVPN_ERR_CRYPTO;
        }
        return IPSECVPN_OK;
    }
    mbedtls_chachapoly_context *cp = &a->u.chachapoly;
    mbedtls_chachapoly_mode_t mode = encrypt ? MBEDTLS_CHACHAPOLY_ENCRYPT
                                             : MBEDTLS_CHACHAPOLY_DECRYPT;
    if (mbedtls_chachapoly_starts(cp, nonce, mode) != 0 ||
        (aad_len != 0 && mbedtls_chachapoly_update_aad(cp, aad, aad_len) != 0) ||
        (len != 0 && mbedtls_chachapoly_update(cp, len, buf, buf) != 0) ||
        mbedtls_chachapoly_finish(cp, tag_out) != 0) {
        return IPSECVPN_ERR_CRYPTO;
    }
    return IPSECVPN_OK;
}

int ivpn_aead_encrypt(ivpn_aead *a, const uint8_t iv8[8], const uint8_t *aad, size_t aad_len,
                      uint8_t *buf, size_t len, uint8_t *tag)
{
    uint8_t nonce[AEAD_NONCE_LEN];

    if (!args_ok(a, iv8, aad, aad_len, buf, len, tag)) {
        return IPSECVPN_ERR_INVALID_ARG;
    }
    memcpy(nonce, a->salt, AEAD_SALT_LEN);
    memcpy(nonce + AEAD_SALT_LEN, iv8, 8);
    if (is_gcm(a)) {
        /* One call keeps the fast path identical to raw mbedTLS. */
        int rc = mbedtls_gcm_crypt_and_tag(&a->u.gcm, MBEDTLS_GCM_ENCRYPT, len, nonce,
                                           AEAD_NONCE_LEN, aad, aad_len, buf, buf,
                                           AEAD_TAG_LEN, tag);
        return rc == 0 ? IPSECVPN_OK : IPSECVPN_ERR_CRYPTO;
    }
    return aead_pass(a, 1, nonce, aad, aad_len, buf, len, tag);
}

int ivpn_aead_decrypt(ivpn_aead *a, const uint8_t iv8[8], const uint8_t *aad, size_t aad_len,
                      uint8_t *buf, size_t len, const uint8_t *tag)
{
    uint8_t nonce[AEAD_NONCE_LEN];
    uint8_t computed[AEAD_TAG_LEN];
    uint8_t scratch[AEAD_TAG_LEN];

    if (!args_ok(a, iv8, aad, aad_len, buf, len, tag)) {
        return IPSECVPN_ERR_INVALID_ARG;
    }
    memcpy(nonce, a->salt, AEAD_SALT_LEN);
    memcpy(nonce + AEAD_SALT_LEN, iv8, 8);
    int rc = aead_pass(a, 0, nonce, aad, aad_len, buf, len, computed);
    if (rc != IPSECVPN_OK) {
        return rc;
    }
    if (ivpn_ct_equal(computed, tag, AEAD_TAG_LEN)) {
        return IPSECVPN_OK;
    }
    /* Wrong tag: re-apply the keystream so the caller gets its ciphertext back. */
    rc = aead_pass(a, 1, nonce, aad, aad_len, buf, len, scratch);
    return rc == IPSECVPN_OK ? IPSECVPN_ERR_ESP_ICV : rc;
}

void ivpn_aead_free(const ipsecvpn_ctx *ctx, ivpn_aead *a)
{
    if (a == NULL) {
        return;
    }
    if (is_gcm(a)) {
        mbedtls_gcm_free(&a->u.gcm);
    } else {
        mbedtls_chachapoly_free(&a->u.chachapoly);
    }
    ivpn_wipe(a, sizeof(*a));
    ivpn_free(ctx, a);
}
