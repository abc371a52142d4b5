/*
 * Internal to lib/crypto: the Diffie-Hellman object and the per-family operations behind
 * ivpn_dh_* (dh.c dispatches by group ID to dh_modp.c, dh_ecp.c or dh_x25519.c).
 */
#ifndef IVPN_CRYPTO_DH_IMPL_H
#define IVPN_CRYPTO_DH_IMPL_H

#include <mbedtls/ecp.h>
#include <tommath.h>

#include "crypto/crypto.h"

typedef struct ivpn_dh_ops ivpn_dh_ops;

struct ivpn_dh {
    const ipsecvpn_ctx *ctx;  /* random source for blinding, allocator for free */
    const ivpn_dh_info *info;
    const ivpn_dh_ops *ops;
    union {
        struct {
            const char *prime_hex;
            mp_int p, x, gx; /* prime, private exponent, public value */
        } modp;
        struct {
            mbedtls_ecp_group grp;
            mbedtls_mpi d;     /* private scalar */
            mbedtls_ecp_point q; /* public point */
        } ecp;
    } u;
};

struct ivpn_dh_ops {
    /* Sets up the group and the private value (random when priv is NULL) and computes the
     * public value. On failure the object is left for ops->clear. */
    int (*init)(ivpn_dh *dh, uint16_t group_id, const uint8_t *priv, size_t priv_len);
    int (*public_value)(const ivpn_dh *dh, uint8_t *out);  /* info->public_len bytes */
    /* peer has info->public_len bytes; out receives info->shared_len bytes. */
    int (*shared)(ivpn_dh *dh, const uint8_t *peer, uint8_t *out);
    void (*clear)(ivpn_dh *dh); /* wipes the private value */
};

extern const ivpn_dh_ops ivpn_dh_modp_ops;
extern const ivpn_dh_ops ivpn_dh_ecp_ops;
extern const ivpn_dh_ops ivpn_dh_x25519_ops;

/* mbedTLS's RNG signature over the context's random callback (p_rng is the ipsecvpn_ctx). */
int ivpn_dh_mbedtls_rng(void *p_rng, unsigned char *buf, size_t len);

#endif
