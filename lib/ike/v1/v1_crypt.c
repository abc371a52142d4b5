/*
 * IKEv1 message encryption (RFC 2409 §5.3, Appendix B): CBC under the phase-1 key with an IV
 * that chains from message to message. Phase 1 starts from hash(g^xi | g^xr); each quick mode
 * or informational exchange from hash(last phase-1 CBC block | M-ID); afterwards every
 * message's last ciphertext block is the next message's IV.
 */
#include <string.h>

#include "ike/v1/v1_keys.h"

/* hash(a | b), first block_len bytes into iv. */
static int iv_from_hash(uint16_t prf, const ivpn_buf_ref pieces[2], uint8_t *iv,
                        size_t block_len)
{
    const ivpn_prf_info *pi = ivpn_prf_lookup(prf);
    if (pi == NULL || pi->out_len > IVPN_V1_KEY_MAX)
        return IPSECVPN_ERR_CRYPTO_ALG;
    if (iv == NULL || block_len == 0 || block_len > IVPN_V1_BLOCK_MAX || block_len > pi->out_len)
        return IPSECVPN_ERR_INVALID_ARG;
    uint8_t h[IVPN_V1_KEY_MAX];
    int rc = ivpn_hash_multi(prf, pieces, 2, h);
    if (rc == IPSECVPN_OK)
        memcpy(iv, h, block_len);
    ivpn_wipe(h, sizeof(h));
    return rc;
}

int ivpn_v1_iv_phase1(uint16_t prf, const uint8_t *gxi, size_t gxi_len, const uint8_t *gxr,
                      size_t gxr_len, uint8_t *iv, size_t block_len)
{
    if (gxi == NULL || gxi_len == 0 || gxr == NULL || gxr_len == 0)
        return IPSECVPN_ERR_INVALID_ARG;
    const ivpn_buf_ref pieces[2] = {{gxi, gxi_len}, {gxr, gxr_len}};
    return iv_from_hash(prf, pieces, iv, block_len);
}

int ivpn_v1_iv_phase2(uint16_t prf, const uint8_t *last_block, size_t block_len,
                      uint32_t message_id, uint8_t *iv)
{
    if (last_block == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    const uint8_t mid[4] = {(uint8_t)(message_id >> 24), (uint8_t)(message_id >> 16),
                            (uint8_t)(message_id >> 8), (uint8_t)message_id};
    const ivpn_buf_ref pieces[2] = {{last_block, block_len}, {mid, 4}};
    return iv_from_hash(prf, pieces, iv, block_len);
}

/* One CBC pass in place; iv in: the chaining IV, out: the last ciphertext block. */
static int v1_cbc(const ipsecvpn_ctx *ctx, bool encrypt, uint16_t encr, uint16_t key_bits,
                  const uint8_t *key, size_t key_len, uint8_t *iv, uint8_t *buf, size_t len)
{
    /* AES needs its size; when the caller left it out, the key length says it */
    unsigned bits = key_bits ? key_bits : (unsigned)key_len * 8u;
    const ivpn_cipher_info *info = ivpn_cipher_lookup(encr, bits);
    if (info == NULL || info->aead) {
        IVPN_LOG_WARN(ctx, "ikev1: no CBC cipher for transform %u/%u bits", (unsigned)encr,
                      bits);
        return IPSECVPN_ERR_CRYPTO_ALG;
    }
    if (key == NULL || key_len != info->key_len) {
        IVPN_LOG_WARN(ctx, "ikev1: %s key of %zu bytes, need %u", info->name, key_len,
                      (unsigned)info->key_len);
        return IPSECVPN_ERR_CRYPTO_KEY_LEN;
    }
    size_t bs = info->block_size;
    if (iv == NULL || buf == NULL || len == 0 || len % bs != 0 || bs > IVPN_V1_BLOCK_MAX) {
        IVPN_LOG_WARN(ctx, "ikev1: %zu bytes to %s is not whole %zu-byte blocks", len,
                      encrypt ? "encrypt" : "decrypt", bs);
        return IPSECVPN_ERR_INVALID_ARG;
    }
    ivpn_cipher *c = NULL;
    int rc = ivpn_cipher_new(ctx, info, key, key_len, &c);
    if (rc != IPSECVPN_OK)
        return rc;
    uint8_t next[IVPN_V1_BLOCK_MAX];
    if (encrypt) {
        rc = ivpn_cipher_cbc_encrypt(c, iv, buf, buf, len);
        memcpy(next, buf + len - bs, bs);
    } else {
        memcpy(next, buf + len - bs, bs); /* taken before the in-place pass overwrites it */
        rc = ivpn_cipher_cbc_decrypt(c, iv, buf, buf, len);
    }
    ivpn_cipher_free(ctx, c);
    if (rc == IPSECVPN_OK)
        memcpy(iv, next, bs);
    return rc;
}

int ivpn_v1_encrypt(const ipsecvpn_ctx *ctx, uint16_t encr, uint16_t key_bits,
                    const uint8_t *key, size_t key_len, uint8_t *iv, uint8_t *buf, size_t len)
{
    return v1_cbc(ctx, true, encr, key_bits, key, key_len, iv, buf, len);
}

int ivpn_v1_decrypt(const ipsecvpn_ctx *ctx, uint16_t encr, uint16_t key_bits,
                    const uint8_t *key, size_t key_len, uint8_t *iv, uint8_t *buf, size_t len)
{
    return v1_cbc(ctx, false, encr, key_bits, key, key_len, iv, buf, len);
}
