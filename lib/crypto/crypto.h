/*
 * The crypto layer as the rest of lib/ sees it. This folder is the only one that includes
 * mbedTLS or libtommath; everything here is keyed by IANA transform IDs (ipsecvpn/algorithms.h)
 * so engines pick algorithms by number.
 *
 * Contexts are allocated once per key (per SA) and then used without allocating: the ESP fast
 * path calls only ivpn_cipher_* / ivpn_aead_* / ivpn_integ_* on prepared contexts.
 * Every *_free wipes the key material it held.
 */
#ifndef IVPN_CRYPTO_H
#define IVPN_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "ipsecvpn/algorithms.h"

/* ---- secrets ---------------------------------------------------------------------------- */

/* Constant-time equality of two buffers of the same length: 1 if equal, 0 if not. */
int ivpn_ct_equal(const void *a, const void *b, size_t len);
/* Overwrite a secret so the compiler cannot drop the store. */
void ivpn_wipe(void *p, size_t len);

/* ---- algorithm tables ------------------------------------------------------------------- */

typedef struct ivpn_cipher_info {
    uint16_t id;          /* ipsecvpn_encr */
    const char *name;     /* "aes-cbc", "3des-cbc", "aes-gcm-16", ... */
    uint16_t key_len;     /* bytes of cipher key (without salt) */
    uint8_t block_size;   /* padding alignment for ESP: 16 AES-CBC, 8 DES, 4 AEAD */
    uint8_t iv_len;       /* bytes of explicit IV on the wire (16 CBC-AES, 8 DES, 8 AEAD) */
    uint8_t salt_len;     /* bytes of salt taken after the key from KEYMAT (4 for AEAD, else 0) */
    uint8_t icv_len;      /* AEAD tag length (16), 0 for CBC ciphers */
    bool aead;
} ivpn_cipher_info;

typedef struct ivpn_integ_info {
    uint16_t id;          /* ipsecvpn_integ */
    const char *name;     /* "hmac-sha256-128", ... */
    uint16_t key_len;     /* bytes of key (= hash output length, RFC 2403/2404/4868) */
    uint8_t icv_len;      /* truncated output length: 12, 12, 16, 24, 32 */
    uint8_t full_len;     /* untruncated HMAC output length */
} ivpn_integ_info;

typedef struct ivpn_prf_info {
    uint16_t id;          /* ipsecvpn_prf */
    const char *name;
    uint8_t out_len;      /* HMAC output length */
    uint16_t preferred_key_len; /* RFC 7296 §2.13: the output length */
} ivpn_prf_info;

typedef struct ivpn_dh_info {
    uint16_t id;          /* ipsecvpn_dh_group */
    const char *name;     /* "modp2048", "ecp256", "curve25519" */
    uint16_t public_len;  /* bytes of the KE payload data */
    uint16_t shared_len;  /* bytes of the shared secret g^ir */
} ivpn_dh_info;

/* Lookups return NULL for an unknown ID. For AES-CBC/GCM, key_bits picks 128/192/256;
 * for fixed-key ciphers pass 0 or the right size. */
const ivpn_cipher_info *ivpn_cipher_lookup(uint16_t encr_id, unsigned key_bits);
const ivpn_integ_info *ivpn_integ_lookup(uint16_t integ_id);
const ivpn_prf_info *ivpn_prf_lookup(uint16_t prf_id);
const ivpn_dh_info *ivpn_dh_lookup(uint16_t group_id);

/* ---- block ciphers in CBC mode ---------------------------------------------------------- */

typedef struct ivpn_cipher ivpn_cipher; /* one key schedule (both directions) */

int ivpn_cipher_new(const ipsecvpn_ctx *ctx, const ivpn_cipher_info *info,
                    const uint8_t *key, size_t key_len, ivpn_cipher **out);
/* In place is allowed (in == out). len must be a multiple of the block size. iv is not
 * modified. Returns IPSECVPN_OK or IPSECVPN_ERR_CRYPTO / IPSECVPN_ERR_INVALID_ARG. */
int ivpn_cipher_cbc_encrypt(ivpn_cipher *c, const uint8_t *iv, const uint8_t *in,
                            uint8_t *out, size_t len);
int ivpn_cipher_cbc_decrypt(ivpn_cipher *c, const uint8_t *iv, const uint8_t *in,
                            uint8_t *out, size_t len);
void ivpn_cipher_free(const ipsecvpn_ctx *ctx, ivpn_cipher *c);

/* ---- AEAD: AES-GCM-16 (RFC 4106) and ChaCha20-Poly1305 (RFC 7634) ----------------------- */

typedef struct ivpn_aead ivpn_aead;

/* key is cipher key || salt (KEYMAT layout); key_len = info->key_len + info->salt_len. */
int ivpn_aead_new(const ipsecvpn_ctx *ctx, const ivpn_cipher_info *info,
                  const uint8_t *key, size_t key_len, ivpn_aead **out);
/* nonce = salt || iv8 is built inside from the stored salt and the 8-byte explicit IV.
 * Encrypts buf in place and writes the tag (info->icv_len bytes). */
int ivpn_aead_encrypt(ivpn_aead *a, const uint8_t iv8[8], const uint8_t *aad, size_t aad_len,
                      uint8_t *buf, size_t len, uint8_t *tag);
/* Verifies the tag in constant time before releasing plaintext; on failure returns
 * IPSECVPN_ERR_ESP_ICV and leaves buf as it was (ciphertext). */
int ivpn_aead_decrypt(ivpn_aead *a, const uint8_t iv8[8], const uint8_t *aad, size_t aad_len,
                      uint8_t *buf, size_t len, const uint8_t *tag);
void ivpn_aead_free(const ipsecvpn_ctx *ctx, ivpn_aead *a);

/* ---- integrity: HMAC with inner/outer states prepared once per key ---------------------- */

typedef struct ivpn_integ ivpn_integ;

int ivpn_integ_new(const ipsecvpn_ctx *ctx, const ivpn_integ_info *info,
                   const uint8_t *key, size_t key_len, ivpn_integ **out);
/* MAC over up to two pieces (ESP: header..ciphertext, then the ESN high bits), writing
 * info->icv_len bytes (the truncation). Pieces with len 0 are skipped. No allocation. */
int ivpn_integ_compute(ivpn_integ *m, const uint8_t *a, size_t a_len,
                       const uint8_t *b, size_t b_len, uint8_t *icv);
/* Same, then a constant-time compare with icv: IPSECVPN_OK or IPSECVPN_ERR_ESP_ICV. */
int ivpn_integ_verify(ivpn_integ *m, const uint8_t *a, size_t a_len,
                      const uint8_t *b, size_t b_len, const uint8_t *icv);
void ivpn_integ_free(const ipsecvpn_ctx *ctx, ivpn_integ *m);

/* ---- PRF for IKE (full HMAC output) ----------------------------------------------------- */

/* out receives info->out_len bytes. */
int ivpn_prf(uint16_t prf_id, const uint8_t *key, size_t key_len,
             const uint8_t *data, size_t data_len, uint8_t *out);
/* A read-only piece of a message, for MACs over data that is not contiguous. */
typedef struct ivpn_buf_ref {
    const uint8_t *p;
    size_t len;
} ivpn_buf_ref;
#define IVPN_PRF_MAX_PIECES 8
/* prf(key, pieces[0] | pieces[1] | ...) without concatenating them first (IKE AUTH octets,
 * SKEYSEED for rekey, IKEv1 SKEYID_*). n <= IVPN_PRF_MAX_PIECES; empty pieces are fine. */
int ivpn_prf_multi(uint16_t prf_id, const uint8_t *key, size_t key_len,
                   const ivpn_buf_ref *pieces, size_t n, uint8_t *out);
/* The plain hash underlying prf_id (HMAC-SHA1 -> SHA-1, ...) over the pieces; out receives
 * the PRF's out_len bytes. For digests IKE needs outside an HMAC, e.g. NAT-D. */
int ivpn_hash_multi(uint16_t prf_id, const ivpn_buf_ref *pieces, size_t n, uint8_t *out);
/* prf+ (RFC 7296 §2.13): T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n); out_len <= 255 * out. */
int ivpn_prf_plus(uint16_t prf_id, const uint8_t *key, size_t key_len,
                  const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len);

/* ---- Diffie-Hellman --------------------------------------------------------------------- */

typedef struct ivpn_dh ivpn_dh;

/* Generates the private value with the context's random callback. ctx must not be NULL (its
 * random callback also feeds mbedTLS's ECP blinding); the object keeps the pointer. */
int ivpn_dh_new(const ipsecvpn_ctx *ctx, uint16_t group_id, ivpn_dh **out);
/* Known-answer tests only: use the given private value (big-endian for MODP and ECP, the
 * raw 32-byte scalar for X25519) instead of a random one. */
int ivpn_dh_new_with_private(const ipsecvpn_ctx *ctx, uint16_t group_id, const uint8_t *priv,
                             size_t priv_len, ivpn_dh **out);
/* Writes the public value, left-padded to info->public_len bytes (for ECP: x || y). */
int ivpn_dh_public(const ivpn_dh *dh, uint8_t *out, size_t out_len);
/* Validates the peer value (MODP: 1 < y < p-1; ECP: on the curve; X25519: not all-zero
 * result) and writes info->shared_len bytes. IPSECVPN_ERR_DH_PUBLIC on a bad peer value. */
int ivpn_dh_shared(ivpn_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *out, size_t out_len);
/* Wipes the private value. */
void ivpn_dh_free(const ipsecvpn_ctx *ctx, ivpn_dh *dh);
/* The MODP prime this build uses for a group (upper-case hex), NULL for other groups;
 * lets the known-answer test compare the embedded constants with the published ones. */
const char *ivpn_dh_modp_prime_hex(uint16_t group_id);

#endif
