/*
 * CBC ciphers for ESP and IKE: AES (RFC 3602), 3DES (RFC 2451), DES (RFC 2405). Each context
 * holds an encryption and a decryption key schedule, set once per key; per packet only the
 * IV is copied (mbedTLS advances the IV it is given, the contract keeps the caller's intact).
 */
#include <string.h>

#include <mbedtls/aes.h>
#include <mbedtls/des.h>

#include "crypto/crypto.h"

struct ivpn_cipher {
    const ivpn_cipher_info *info;
    union {
        struct {
            mbedtls_aes_context enc, dec;
        } aes;
        struct {
            mbedtls_des_context enc, dec;
        } des;
        struct {
            mbedtls_des3_context enc, dec;
        } des3;
    } u;
};

static int setup_keys(ivpn_cipher *c, const uint8_t *key)
{
    switch (c->info->id) {
    case IPSECVPN_ENCR_AES_CBC:
        mbedtls_aes_init(&c->u.aes.enc);
        mbedtls_aes_init(&c->u.aes.dec);
        if (mbedtls_aes_setkey_enc(&c->u.aes.enc, key, c->info->key_len * 8u) != 0 ||
            mbedtls_aes_setkey_dec(&c->u.aes.dec, key, c->info->key_len * 8u) != 0) {
            return IPSECVPN_ERR_CRYPTO;
        }
        return IPSECVPN_OK;
    case IPSECVPN_ENCR_3DES:
        mbedtls_des3_init(&c->u.des3.enc);
        mbedtls_des3_init(&c->u.des3.dec);
        if (mbedtls_des3_set3key_enc(&c->u.des3.enc, key) != 0 ||
            mbedtls_des3_set3key_dec(&c->u.des3.dec, key) != 0) {
            return IPSECVPN_ERR_CRYPTO;
        }
        return IPSECVPN_OK;
    case IPSECVPN_ENCR_DES:
        mbedtls_des_init(&c->u.des.enc);
        mbedtls_des_init(&c->u.des.dec);
        if (mbedtls_des_setkey_enc(&c->u.des.enc, key) != 0 ||
            mbedtls_des_setkey_dec(&c->u.des.dec, key) != 0) {
            return IPSECVPN_ERR_CRYPTO;
        }
        return IPSECVPN_OK;
    default:
        return IPSECVPN_ERR_CRYPTO_ALG;
    }
}

int ivpn_cipher_new(const ipsecvpn_ctx *ctx, const ivpn_cipher_info *info,
                    const uint8_t *key, size_t key_len, ivpn_cipher **out)
{
    if (out == NULL) {
        return IPSECVPN_ERR_INVALID_ARG;
    }
    *out = NULL;
    if (info == NULL || key == NULL) {
        return IPSECVPN_ERR_INVALID_ARG;
    }
    if (info->aead) {
        IVPN_LOG_WARN(ctx, "crypto: %s is an AEAD, not a CBC cipher", info->name);
        return IPSECVPN_ERR_CRYPTO_ALG;
    }
    if (key_len != info->key_len) {
        IVPN_LOG_WARN(ctx, "crypto: %s key is %zu bytes, needs %u", info->name, key_len,
                      (unsigned)info->key_len);
        return IPSECVPN_ERR_CRYPTO_KEY_LEN;
    }
    ivpn_cipher *c = ivpn_zalloc(ctx, sizeof(*c));
    if (c == NULL) {
        return IPSECVPN_ERR_NOMEM;
    }
    c->info = info;
    int rc = setup_keys(c, key);
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_WARN(ctx, "crypto: %s key setup failed", info->name);
        ivpn_cipher_free(ctx, c);
        return rc;
    }
    *out = c;
    return IPSECVPN_OK;
}

static int cbc(ivpn_cipher *c, int encrypt, const uint8_t *iv, const uint8_t *in, uint8_t *out,
               size_t len)
{
    uint8_t ivbuf[16];
    int rc;

    if (c == NULL || iv == NULL || (len != 0 && (in == NULL || out == NULL)) ||
        len % c->info->block_size != 0) {
        return IPSECVPN_ERR_INVALID_ARG;
    }
    if (len == 0) {
        return IPSECVPN_OK;
    }
    memcpy(ivbuf, iv, c->info->iv_len);
    switch (c->info->id) {
    case IPSECVPN_ENCR_AES_CBC:
        rc = mbedtls_aes_crypt_cbc(encrypt ? &c->u.aes.enc : &c->u.aes.dec,
                                   encrypt ? MBEDTLS_AES_ENCRYPT : MBEDTLS_AES_DECRYPT, len,
                                   ivbuf, in, out);
        break;
    case IPSECVPN_ENCR_3DES:
        rc = mbedtls_des3_crypt_cbc(encrypt ? &c->u.des3.enc : &c->u.des3.dec,
                                    encrypt ? MBEDTLS_DES_ENCRYPT : MBEDTLS_DES_DECRYPT, len,
                                    ivbuf, in, out);
        break;
    case IPSECVPN_ENCR_DES:
        rc = mbedtls_des_crypt_cbc(encrypt ? &c->u.des.enc : &c->u.des.dec,
                                   encrypt ? MBEDTLS_DES_ENCRYPT : MBEDTLS_DES_DECRYPT, len,
                                   ivbuf, in, out);
        break;
    default:
        rc = -1;
        break;
    }
    return rc == 0 ? IPSECVPN_OK : IPSECVPN_ERR_CRYPTO;
}

int ivpn_cipher_cbc_encrypt(ivpn_cipher *c, const uint8_t *iv, const uint8_t *in,
                            uint8_t *out, size_t len)
{
    return cbc(c, 1, iv, in, out, len);
}

int ivpn_cipher_cbc_decrypt(ivpn_cipher *c, const uint8_t *iv, const uint8_t *in,
                            uint8_t *out, size_t len)
{
    return cbc(c, 0, iv, in, out, len);
}

void ivpn_cipher_free(const ipsecvpn_ctx *ctx, ivpn_cipher *c)
{
    if (c == NULL) {
        return;
    }
    /* The *_free calls of mbedTLS zeroize; the wipe covers the whole union either way. */
    ivpn_wipe(c, sizeof(*c));
    ivpn_free(ctx, c);
}
