/*
 * X25519 (RFC 7748) for IKE group 31 (RFC 8031) through mbedTLS's Montgomery curve.
 * Byte order: RFC 7748 strings are little-endian, mbedTLS MPIs are read and written with the
 * *_le calls. Scalars are clamped per RFC 7748 §5 (mbedTLS's check_privkey requires it);
 * the peer's u-coordinate has its top bit masked and is reduced mod p, as §5 says to accept
 * non-canonical values. An all-zero shared secret (small-order peer point) is refused
 * (RFC 8031 §2.3).
 */
#include <string.h>

#include <mbedtls/ecdh.h>

#include "crypto/dh_impl.h"

#define X25519_LEN 32

static int x25519_init(ivpn_dh *dh, uint16_t group_id, const uint8_t *priv, size_t priv_len)
{
    uint8_t k[X25519_LEN];
    int rc = IPSECVPN_OK;

    (void)group_id;
    mbedtls_ecp_group_init(&dh->u.ecp.grp);
    mbedtls_mpi_init(&dh->u.ecp.d);
    mbedtls_ecp_point_init(&dh->u.ecp.q);
    if (mbedtls_ecp_group_load(&dh->u.ecp.grp, MBEDTLS_ECP_DP_CURVE25519) != 0) {
        return IPSECVPN_ERR_CRYPTO;
    }
    if (priv == NULL) {
        rc = ivpn_random(dh->ctx, k, sizeof(k));
        if (rc != IPSECVPN_OK) {
            goto out;
        }
    } else if (priv_len != X25519_LEN) {
        return IPSECVPN_ERR_INVALID_ARG;
    } else {
        memcpy(k, priv, X25519_LEN);
    }
    /* decodeScalar25519 */
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
    if (mbedtls_mpi_read_binary_le(&dh->u.ecp.d, k, sizeof(k)) != 0 ||
        mbedtls_ecp_check_privkey(&dh->u.ecp.grp, &dh->u.ecp.d) != 0 ||
        mbedtls_ecp_mul(&dh->u.ecp.grp, &dh->u.ecp.q, &dh->u.ecp.d, &dh->u.ecp.grp.G,
                        ivpn_dh_mbedtls_rng, (void *)dh->ctx) != 0) {
        rc = IPSECVPN_ERR_CRYPTO;
    }
out:
    ivpn_wipe(k, sizeof(k));
    return rc;
}

static int x25519_public(const ivpn_dh *dh, uint8_t *out)
{
    return mbedtls_mpi_write_binary_le(&dh->u.ecp.q.X, out, X25519_LEN) == 0
               ? IPSECVPN_OK
               : IPSECVPN_ERR_CRYPTO;
}

static int x25519_shared(ivpn_dh *dh, const uint8_t *peer, uint8_t *out)
{
    uint8_t u[X25519_LEN];
    mbedtls_ecp_point p;
    mbedtls_mpi z;
    int rc = IPSECVPN_OK;

    mbedtls_ecp_point_init(&p);
    mbedtls_mpi_init(&z);
    memcpy(u, peer, X25519_LEN);
    u[31] &= 127; /* decodeUCoordinate: ignore the top bit */
    if (mbedtls_mpi_read_binary_le(&p.X, u, sizeof(u)) != 0 ||
        mbedtls_mpi_mod_mpi(&p.X, &p.X, &dh->u.ecp.grp.P) != 0 || mbedtls_mpi_lset(&p.Z, 1) != 0) {
        rc = IPSECVPN_ERR_CRYPTO;
        goto out;
    }
    if (mbedtls_ecp_check_pubkey(&dh->u.ecp.grp, &p) != 0) {
        rc = IPSECVPN_ERR_DH_PUBLIC;
        goto out;
    }
    if (mbedtls_ecdh_compute_shared(&dh->u.ecp.grp, &z, &p, &dh->u.ecp.d, ivpn_dh_mbedtls_rng,
                                    (void *)dh->ctx) != 0 ||
        mbedtls_mpi_write_binary_le(&z, out, X25519_LEN) != 0) {
        rc = IPSECVPN_ERR_CRYPTO;
        goto out;
    }
    /* Constant-time all-zero check: a small-order peer point yields zero. */
    uint8_t acc = 0;
    for (size_t i = 0; i < X25519_LEN; i++) {
        acc |= out[i];
    }
    if (acc == 0) {
        rc = IPSECVPN_ERR_DH_PUBLIC;
    }
out:
    mbedtls_mpi_free(&z);
    mbedtls_ecp_point_free(&p);
    return rc;
}

static void x25519_clear(ivpn_dh *dh)
{
    mbedtls_mpi_free(&dh->u.ecp.d);
    mbedtls_ecp_point_free(&dh->u.ecp.q);
    mbedtls_ecp_group_free(&dh->u.ecp.grp);
}

const ivpn_dh_ops ivpn_dh_x25519_ops = {x25519_init, x25519_public, x25519_shared, x25519_clear};
