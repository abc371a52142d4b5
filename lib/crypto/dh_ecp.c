/*
 * ECP Diffie-Hellman for IKE groups 19, 20, 21 (NIST P-256/384/521) through mbedTLS.
 * RFC 5903 §7: the KE data is x || y, each coordinate left-padded to the field size, without
 * SEC1's 0x04 prefix; the shared secret is the x coordinate of the product only.
 * The peer point is checked to be on the curve (mbedtls_ecp_check_pubkey) before use.
 */
#include <mbedtls/ecdh.h>

#include "crypto/dh_impl.h"

static const struct {
    uint16_t id;
    mbedtls_ecp_group_id curve;
} ecp_groups[] = {
    {IPSECVPN_DH_ECP256, MBEDTLS_ECP_DP_SECP256R1},
    {IPSECVPN_DH_ECP384, MBEDTLS_ECP_DP_SECP384R1},
    {IPSECVPN_DH_ECP521, MBEDTLS_ECP_DP_SECP521R1},
};

static size_t coord_len(const ivpn_dh *dh)
{
    return dh->info->shared_len; /* 32, 48, 66: one coordinate */
}

static int ecp_init(ivpn_dh *dh, uint16_t group_id, const uint8_t *priv, size_t priv_len)
{
    size_t i = 0;
    while (ecp_groups[i].id != group_id) {
        i++; /* dh.c only sends ECP IDs */
    }
    mbedtls_ecp_group_init(&dh->u.ecp.grp);
    mbedtls_mpi_init(&dh->u.ecp.d);
    mbedtls_ecp_point_init(&dh->u.ecp.q);
    if (mbedtls_ecp_group_load(&dh->u.ecp.grp, ecp_groups[i].curve) != 0) {
        return IPSECVPN_ERR_CRYPTO;
    }
    if (priv == NULL) {
        if (mbedtls_ecp_gen_privkey(&dh->u.ecp.grp, &dh->u.ecp.d, ivpn_dh_mbedtls_rng,
                                    (void *)dh->ctx) != 0) {
            return IPSECVPN_ERR_RANDOM;
        }
    } else if (priv_len > coord_len(dh) ||
               mbedtls_mpi_read_binary(&dh->u.ecp.d, priv, priv_len) != 0 ||
               mbedtls_ecp_check_privkey(&dh->u.ecp.grp, &dh->u.ecp.d) != 0) {
        return IPSECVPN_ERR_INVALID_ARG;
    }
    if (mbedtls_ecp_mul(&dh->u.ecp.grp, &dh->u.ecp.q, &dh->u.ecp.d, &dh->u.ecp.grp.G,
                        ivpn_dh_mbedtls_rng, (void *)dh->ctx) != 0) {
        return IPSECVPN_ERR_CRYPTO;
    }
    return IPSECVPN_OK;
}

static int ecp_public(const ivpn_dh *dh, uint8_t *out)
{
    size_t n = coord_len(dh);
    if (mbedtls_mpi_write_binary(&dh->u.ecp.q.X, out, n) != 0 ||
        mbedtls_mpi_write_binary(&dh->u.ecp.q.Y, out + n, n) != 0) {
        return IPSECVPN_ERR_CRYPTO;
    }
    return IPSECVPN_OK;
}

static int ecp_shared(ivpn_dh *dh, const uint8_t *peer, uint8_t *out)
{
    size_t n = coord_len(dh);
    mbedtls_ecp_point p;
    mbedtls_mpi z;
    int rc = IPSECVPN_OK;

    mbedtls_ecp_point_init(&p);
    mbedtls_mpi_init(&z);
    if (mbedtls_mpi_read_binary(&p.X, peer, n) != 0 ||
        mbedtls_mpi_read_binary(&p.Y, peer + n, n) != 0 || mbedtls_mpi_lset(&p.Z, 1) != 0) {
        rc = IPSECVPN_ERR_CRYPTO;
        goto out;
    }
    /* Coordinates in range and y^2 = x^3 + ax + b; also rejects the point at infinity. */
    if (mbedtls_ecp_check_pubkey(&dh->u.ecp.grp, &p) != 0) {
        rc = IPSECVPN_ERR_DH_PUBLIC;
        goto out;
    }
    if (mbedtls_ecdh_compute_shared(&dh->u.ecp.grp, &z, &p, &dh->u.ecp.d, ivpn_dh_mbedtls_rng,
                                    (void *)dh->ctx) != 0 ||
        mbedtls_mpi_write_binary(&z, out, n) != 0) {
        rc = IPSECVPN_ERR_CRYPTO;
    }
out:
    mbedtls_mpi_free(&z); /* mbedTLS zeroizes limbs on free */
    mbedtls_ecp_point_free(&p);
    return rc;
}

static void ecp_clear(ivpn_dh *dh)
{
    mbedtls_mpi_free(&dh->u.ecp.d);
    mbedtls_ecp_point_free(&dh->u.ecp.q);
    mbedtls_ecp_group_free(&dh->u.ecp.grp);
}

const ivpn_dh_ops ivpn_dh_ecp_ops = {ecp_init, ecp_public, ecp_shared, ecp_clear};
