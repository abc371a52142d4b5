/*
 * HMAC (RFC 2104) with the key absorbed once: the states after hashing key^ipad and key^opad
 * are kept, and each MAC starts from byte copies of them (mbedTLS 2.28's *_clone is the same
 * struct copy), so a packet costs only its own compression blocks plus one outer block.
 */
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/hash.h"

int ivpn_hmac_key_init(ivpn_hmac_key *k, ivpn_hash_id id, const uint8_t *key, size_t key_len)
{
    uint8_t block[IVPN_HASH_MAX_BLOCK];
    const ivpn_hash_ops *ops = ivpn_hash_ops_get(id);
    int rc = IPSECVPN_OK;

    if (k == NULL || ops == NULL || (key == NULL && key_len != 0)) {
        return IPSECVPN_ERR_INVALID_ARG;
    }
    memset(k, 0, sizeof(*k));
    k->ops = ops;
    memset(block, 0, sizeof(block));
    /* RFC 2104 §2: keys longer than the block are hashed first. */
    if (key_len > ops->block_len) {
        if (ops->start(&k->inner) != 0 || ops->update(&k->inner, key, key_len) != 0 ||
            ops->finish(&k->inner, block) != 0) {
            rc = IPSECVPN_ERR_CRYPTO;
            goto out;
        }
    } else if (key_len > 0) {
        memcpy(block, key, key_len);
    }

    for (size_t i = 0; i < ops->block_len; i++) {
        block[i] ^= 0x36;
    }
    if (ops->start(&k->inner) != 0 || ops->update(&k->inner, block, ops->block_len) != 0) {
        rc = IPSECVPN_ERR_CRYPTO;
        goto out;
    }
    for (size_t i = 0; i < ops->block_len; i++) {
        block[i] ^= 0x36 ^ 0x5c;
    }
    if (ops->start(&k->outer) != 0 || ops->update(&k->outer, block, ops->block_len) != 0) {
        rc = IPSECVPN_ERR_CRYPTO;
    }
out:
    ivpn_wipe(block, sizeof(block));
    if (rc != IPSECVPN_OK) {
        ivpn_hmac_key_wipe(k);
    }
    return rc;
}

int ivpn_hmac_key_mac(const ivpn_hmac_key *k, const ivpn_hmac_piece *pieces, size_t n,
                      uint8_t *out)
{
    const ivpn_hash_ops *ops = k->ops;
    ivpn_hash_state s;
    uint8_t digest[IVPN_HASH_MAX_OUT];
    int rc = 0;

    memcpy(&s, &k->inner, ops->ctx_size);
    for (size_t i = 0; i < n; i++) {
        if (pieces[i].len != 0) {
            rc |= ops->update(&s, pieces[i].p, pieces[i].len);
        }
    }
    rc |= ops->finish(&s, digest);
    memcpy(&s, &k->outer, ops->ctx_size);
    rc |= ops->update(&s, digest, ops->out_len);
    rc |= ops->finish(&s, out);
    /* The copied states are as good as the key for forging: do not leave them on the stack. */
    ivpn_wipe(&s, ops->ctx_size);
    ivpn_wipe(digest, ops->out_len);
    return rc == 0 ? IPSECVPN_OK : IPSECVPN_ERR_CRYPTO;
}

void ivpn_hmac_key_wipe(ivpn_hmac_key *k)
{
    if (k != NULL) {
        ivpn_wipe(k, sizeof(*k));
    }
}
