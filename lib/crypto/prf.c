/*
 * IKE pseudo-random functions: full-output HMACs (RFC 2104, RFC 4868 §2.1) and prf+
 * (RFC 7296 §2.13). The key is absorbed once per call (once for a whole prf+ stream).
 */
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/hash.h"

static const struct {
    uint16_t id;
    ivpn_hash_id hash;
} prf_hash[] = {
    {IPSECVPN_PRF_HMAC_MD5, IVPN_HASH_MD5},
    {IPSECVPN_PRF_HMAC_SHA1, IVPN_HASH_SHA1},
    {IPSECVPN_PRF_HMAC_SHA2_256, IVPN_HASH_SHA256},
    {IPSECVPN_PRF_HMAC_SHA2_384, IVPN_HASH_SHA384},
    {IPSECVPN_PRF_HMAC_SHA2_512, IVPN_HASH_SHA512},
};

/* The hash under a PRF: IKE hashes with it where it needs a plain digest (NAT-D). */
int ivpn_hash_multi(uint16_t prf_id, const ivpn_buf_ref *pieces, size_t n, uint8_t *out)
{
    const ivpn_hash_ops *ops = NULL;
    ivpn_hash_state st;
    int rc;

    for (size_t i = 0; i < sizeof(prf_hash) / sizeof(prf_hash[0]); i++)
        if (prf_hash[i].id == prf_id)
            ops = ivpn_hash_ops_get(prf_hash[i].hash);
    if (ops == NULL)
        return IPSECVPN_ERR_CRYPTO_ALG;
    if (out == NULL || (pieces == NULL && n != 0))
        return IPSECVPN_ERR_INVALID_ARG;
    rc = ops->start(&st);
    for (size_t i = 0; i < n && rc == 0; i++)
        if (pieces[i].len)
            rc = ops->update(&st, pieces[i].p, pieces[i].len);
    if (rc == 0)
        rc = ops->finish(&st, out);
    ivpn_wipe(&st, sizeof(st));
    return rc ? IPSECVPN_ERR_CRYPTO : IPSECVPN_OK;
}

static int prf_key(uint16_t prf_id, const uint8_t *key, size_t key_len, ivpn_hmac_key *k)
{
    for (size_t i = 0; i < sizeof(prf_hash) / sizeof(prf_hash[0]); i++) {
        if (prf_hash[i].id == prf_id) {
            return ivpn_hmac_key_init(k, prf_hash[i].hash, key, key_len);
        }
    }
    return IPSECVPN_ERR_CRYPTO_ALG;
}

int ivpn_prf_multi(uint16_t prf_id, const uint8_t *key, size_t key_len,
                   const ivpn_buf_ref *pieces, size_t n, uint8_t *out)
{
    ivpn_hmac_key k;
    ivpn_hmac_piece p[IVPN_PRF_MAX_PIECES];

    if (out == NULL || (key == NULL && key_len != 0) || (pieces == NULL && n != 0) ||
        n > IVPN_PRF_MAX_PIECES) {
        return IPSECVPN_ERR_INVALID_ARG;
    }
    for (size_t i = 0; i < n; i++) {
        if (pieces[i].p == NULL && pieces[i].len != 0) {
            return IPSECVPN_ERR_INVALID_ARG;
        }
        p[i].p = pieces[i].p;
        p[i].len = pieces[i].len;
    }
    int rc = prf_key(prf_id, key, key_len, &k);
    if (rc == IPSECVPN_OK) {
        rc = ivpn_hmac_key_mac(&k, p, n, out);
    }
    ivpn_hmac_key_wipe(&k);
    return rc;
}

int ivpn_prf(uint16_t prf_id, const uint8_t *key, size_t key_len,
             const uint8_t *data, size_t data_len, uint8_t *out)
{
    const ivpn_buf_ref piece = {data, data_len};

    if (data == NULL && data_len != 0) {
        return IPSECVPN_ERR_INVALID_ARG;
    }
    return ivpn_prf_multi(prf_id, key, key_len, &piece, 1, out);
}

int ivpn_prf_plus(uint16_t prf_id, const uint8_t *key, size_t key_len,
                  const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len)
{
    ivpn_hmac_key k;
    uint8_t t[IVPN_HASH_MAX_OUT];
    uint8_t counter;

    if ((out == NULL && out_len != 0) || (key == NULL && key_len != 0) ||
        (seed == NULL && seed_len != 0)) {
        return IPSECVPN_ERR_INVALID_ARG;
    }
    const ivpn_prf_info *info = ivpn_prf_lookup(prf_id);
    if (info == NULL) {
        return IPSECVPN_ERR_CRYPTO_ALG;
    }
    /* The counter is one octet: at most 255 blocks of output (RFC 7296 §2.13). */
    if (out_len > 255u * info->out_len) {
        return IPSECVPN_ERR_INVALID_ARG;
    }
    int rc = prf_key(prf_id, key, key_len, &k);
    size_t done = 0;
    size_t t_len = 0;
    for (counter = 1; rc == IPSECVPN_OK && done < out_len; counter++) {
        /* T(n) = prf(K, T(n-1) | S | n), with T(0) empty. */
        const ivpn_hmac_piece pieces[3] = {{t, t_len}, {seed, seed_len}, {&counter, 1}};
        rc = ivpn_hmac_key_mac(&k, pieces, 3, t);
        t_len = info->out_len;
        size_t take = out_len - done < t_len ? out_len - done : t_len;
        if (rc == IPSECVPN_OK) {
            memcpy(out + done, t, take);
            done += take;
        }
    }
    ivpn_wipe(t, sizeof(t));
    ivpn_hmac_key_wipe(&k);
    if (rc != IPSECVPN_OK && out != NULL) {
        ivpn_wipe(out, out_len);
    }
    return rc;
}
