/* The table of hash functions behind HMAC: thin adapters over mbedTLS 2.28's *_ret calls. */
#include "crypto/hash.h"

static int md5_start(ivpn_hash_state *s)
{
    mbedtls_md5_init(&s->md5);
    return mbedtls_md5_starts_ret(&s->md5);
}
static int md5_update(ivpn_hash_state *s, const uint8_t *p, size_t n)
{
    return mbedtls_md5_update_ret(&s->md5, p, n);
}
static int md5_finish(ivpn_hash_state *s, uint8_t *out)
{
    return mbedtls_md5_finish_ret(&s->md5, out);
}

static int sha1_start(ivpn_hash_state *s)
{
    mbedtls_sha1_init(&s->sha1);
    return mbedtls_sha1_starts_ret(&s->sha1);
}
static int sha1_update(ivpn_hash_state *s, const uint8_t *p, size_t n)
{
    return mbedtls_sha1_update_ret(&s->sha1, p, n);
}
static int sha1_finish(ivpn_hash_state *s, uint8_t *out)
{
    return mbedtls_sha1_finish_ret(&s->sha1, out);
}

static int sha256_start(ivpn_hash_state *s)
{
    mbedtls_sha256_init(&s->sha256);
    return mbedtls_sha256_starts_ret(&s->sha256, 0);
}
static int sha256_update(ivpn_hash_state *s, const uint8_t *p, size_t n)
{
    return mbedtls_sha256_update_ret(&s->sha256, p, n);
}
static int sha256_finish(ivpn_hash_state *s, uint8_t *out)
{
    return mbedtls_sha256_finish_ret(&s->sha256, out);
}

static int sha384_start(ivpn_hash_state *s)
{
    mbedtls_sha512_init(&s->sha512);
    return mbedtls_sha512_starts_ret(&s->sha512, 1);
}
static int sha512_start(ivpn_hash_state *s)
{
    mbedtls_sha512_init(&s->sha512);
    return mbedtls_sha512_starts_ret(&s->sha512, 0);
}
static int sha512_update(ivpn_hash_state *s, const uint8_t *p, size_t n)
{
    return mbedtls_sha512_update_ret(&s->sha512, p, n);
}
/* For SHA-384 mbedTLS writes only the first 48 bytes. */
static int sha512_finish(ivpn_hash_state *s, uint8_t *out)
{
    return mbedtls_sha512_finish_ret(&s->sha512, out);
}

static const ivpn_hash_ops hash_table[] = {
    [IVPN_HASH_MD5] = {16, 64, sizeof(mbedtls_md5_context), md5_start, md5_update, md5_finish},
    [IVPN_HASH_SHA1] = {20, 64, sizeof(mbedtls_sha1_context), sha1_start, sha1_update,
                        sha1_finish},
    [IVPN_HASH_SHA256] = {32, 64, sizeof(mbedtls_sha256_context), sha256_start, sha256_update,
                          sha256_finish},
    [IVPN_HASH_SHA384] = {48, 128, sizeof(mbedtls_sha512_context), sha384_start, sha512_update,
                          sha512_finish},
    [IVPN_HASH_SHA512] = {64, 128, sizeof(mbedtls_sha512_context), sha512_start, sha512_update,
                          sha512_finish},
};

const ivpn_hash_ops *ivpn_hash_ops_get(ivpn_hash_id id)
{
    if ((size_t)id >= sizeof(hash_table) / sizeof(hash_table[0])) {
        return NULL;
    }
    return &hash_table[id];
}
