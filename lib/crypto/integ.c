/*
 * Integrity for ESP and IKE: truncated HMACs (RFC 2403, 2404, 4868), with the HMAC key
 * block absorbed once per key (see hmac.c) so a packet pays only for its own bytes.
 */
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/hash.h"

struct ivpn_integ {
    const ivpn_integ_info *info;
    ivpn_hmac_key key;
};

/* Which hash each integrity transform truncates. */
static const struct {
    uint16_t id;
    ivpn_hash_id hash;
} integ_hash[] = {
    {IPSECVPN_INTEG_HMAC_MD5_96, IVPN_HASH_MD5},
    {IPSECVPN_INTEG_HMAC_SHA1_96, IVPN_HASH_SHA1},
    {IPSECVPN_INTEG_HMAC_SHA2_256_128, IVPN_HASH_SHA256},
    {IPSECVPN_INTEG_HMAC_SHA2_384_192, IVPN_HASH_SHA384},
    {IPSECVPN_INTEG_HMAC_SHA2_512_256, IVPN_HASH_SHA512},
};

int ivpn_integ_new(const ipsecvpn_ctx *ctx, const ivpn_integ_info *info,
                   const uint8_t *key, size_t key_len, ivpn_integ **out)
{
    if (out == NULL) {
        return IPSECVPN_ERR_INVALID_ARG;
    }
    *out = NULL;
    if (info == NULL || key == NULL) {
        return IPSECVPN_ERR_INVALID_ARG;
    }
    size_t i = 0;
    while (i < sizeof(integ_hash) / sizeof(integ_hash[0]) && integ_hash[i].id != info->id) {
        i++;
    }
    if (i == sizeof(integ_hash) / sizeof(integ_hash[0])) {
        IVPN_LOG_WARN(ctx, "crypto: unknown integrity algorithm %u", (unsigned)info->id);
        return IPSECVPN_ERR_CRYPTO_ALG;
    }
    if (key_len != info->key_len) {
        IVPN_LOG_WARN(ctx, "crypto: %s key is %zu bytes, needs %u", info->name, key_len,
                      (unsigned)info->key_len);
        return IPSECVPN_ERR_CRYPTO_KEY_LEN;
    }
    ivpn_integ *m = ivpn_zalloc(ctx, sizeof(*m));
    if (m == NULL) {
        return IPSECVPN_ERR_NOMEM;
    }
    m->info = info;
    int rc = ivpn_hmac_key_init(&m->key, integ_hash[i].hash, key, key_len);
    if (rc != IPSECVPN_OK) {
        ivpn_integ_free(ctx, m);
        return rc;
    }
    *out = m;
    return IPSECVPN_OK;
}

int ivpn_integ_compute(ivpn_integ *m, const uint8_t *a, size_t a_len,
                       const uint8_t *b, size_t b_len, uint8_t *icv)
{
    uint8_t full[IVPN_HASH_MAX_OUT];

    if (m == NULL || icv == NULL || (a == NULL && a_len != 0) || (b == NULL && b_len != 0)) {
        return IPSECVPN_ERR_INVALID_ARG;
    }
    const ivpn_hmac_piece pieces[2] = {{a, a_len}, {b, b_len}};
    int rc = ivpn_hmac_key_mac(&m->key, pieces, 2, full);
    if (rc == IPSECVPN_OK) {
        memcpy(icv, full, m->info->icv_len);
    }
    ivpn_wipe(full, m->info->full_len);
    return rc;
}

int ivpn_integ_verify(ivpn_integ *m, const uint8_t *a, size_t a_len,
                      const uint8_t *b, size_t b_len, const uint8_t *icv)
{
    uint8_t computed[IVPN_HASH_MAX_OUT];

    if (icv == NULL) {
        return IPSECVPN_ERR_INVALID_ARG;
    }
    int rc = ivpn_integ_compute(m, a, a_len, b, b_len, computed);
    if (rc != IPSECVPN_OK) {
        return rc;
    }
    return ivpn_ct_equal(computed, icv, m->info->icv_len) ? IPSECVPN_OK : IPSECVPN_ERR_ESP_ICV;
}

void ivpn_integ_free(const ipsecvpn_ctx *ctx, ivpn_integ *m)
{
    if (m == NULL) {
        return;
    }
    ivpn_wipe(m, sizeof(*m));
    ivpn_free(ctx, m);
}
