/*
 * Internal to lib/crypto: the hash functions behind HMAC (integrity and PRF), reached through
 * a small table of function pointers over mbedTLS's low-level contexts, so the per-packet path
 * avoids mbedtls_md's dispatch and the HMAC key block is absorbed once per key.
 */
#ifndef IVPN_CRYPTO_HASH_H
#define IVPN_CRYPTO_HASH_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/md5.h>
#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

#define IVPN_HASH_MAX_OUT 64
#define IVPN_HASH_MAX_BLOCK 128

typedef enum ivpn_hash_id {
    IVPN_HASH_MD5,
    IVPN_HASH_SHA1,
    IVPN_HASH_SHA256,
    IVPN_HASH_SHA384,
    IVPN_HASH_SHA512
} ivpn_hash_id;

/* Any of the low-level states; hmac code copies only ops->ctx_size bytes of it. */
typedef union ivpn_hash_state {
    mbedtls_md5_context md5;
    mbedtls_sha1_context sha1;
    mbedtls_sha256_context sha256;
    mbedtls_sha512_context sha512;
} ivpn_hash_state;

typedef struct ivpn_hash_ops {
    uint8_t out_len;
    uint8_t block_len;
    uint16_t ctx_size;
    int (*start)(ivpn_hash_state *s);
    int (*update)(ivpn_hash_state *s, const uint8_t *p, size_t n);
    int (*finish)(ivpn_hash_state *s, uint8_t *out); /* writes out_len bytes */
} ivpn_hash_ops;

const ivpn_hash_ops *ivpn_hash_ops_get(ivpn_hash_id id);

/* HMAC (RFC 2104) with the inner and outer states prepared once per key. */
typedef struct ivpn_hmac_key {
    const ivpn_hash_ops *ops;
    ivpn_hash_state inner; /* after absorbing key ^ ipad */
    ivpn_hash_state outer; /* after absorbing key ^ opad */
} ivpn_hmac_key;

/* A piece of the message; pieces with len 0 are skipped. */
typedef struct ivpn_hmac_piece {
    const uint8_t *p;
    size_t len;
} ivpn_hmac_piece;

int ivpn_hmac_key_init(ivpn_hmac_key *k, ivpn_hash_id id, const uint8_t *key, size_t key_len);
/* Writes ops->out_len bytes of HMAC(key, piece0 | piece1 | ...) to out. No allocation. */
int ivpn_hmac_key_mac(const ivpn_hmac_key *k, const ivpn_hmac_piece *pieces, size_t n,
                      uint8_t *out);
void ivpn_hmac_key_wipe(ivpn_hmac_key *k);

#endif
