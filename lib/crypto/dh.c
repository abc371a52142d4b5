/* Diffie-Hellman entry points: pick the family by IANA group ID and check lengths once here. */
#include <string.h>

#include <mbedtls/ecp.h>

#include "crypto/dh_impl.h"

static const struct {
    uint16_t id;
    const ivpn_dh_ops *ops;
} dh_family[] = {
    {IPSECVPN_DH_MODP768, &ivpn_dh_modp_ops},  {IPSECVPN_DH_MODP1024, &ivpn_dh_modp_ops},
    {IPSECVPN_DH_MODP1536, &ivpn_dh_modp_ops}, {IPSECVPN_DH_MODP2048, &ivpn_dh_modp_ops},
    {IPSECVPN_DH_MODP3072, &ivpn_dh_modp_ops}, {IPSECVPN_DH_MODP4096, &ivpn_dh_modp_ops},
    {IPSECVPN_DH_ECP256, &ivpn_dh_ecp_ops},    {IPSECVPN_DH_ECP384, &ivpn_dh_ecp_ops},
    {IPSECVPN_DH_ECP521, &ivpn_dh_ecp_ops},    {IPSECVPN_DH_CURVE25519, &ivpn_dh_x25519_ops},
};

int ivpn_dh_mbedtls_rng(void *p_rng, unsigned char *buf, size_t len)
{
    return ivpn_random((const ipsecvpn_ctx *)p_rng, buf, len) == IPSECVPN_OK
               ? 0
               : MBEDTLS_ERR_ECP_RANDOM_FAILED;
}

static int dh_create(const ipsecvpn_ctx *ctx, uint16_t group_id, const uint8_t *priv,
                     size_t priv_len, ivpn_dh **out)
{
    if (out == NULL) {
        return IPSECVPN_ERR_INVALID_ARG;
    }
    *out = NULL;
    /* The context's random callback is needed for keys and for ECP blinding. */
    if (ctx == NULL) {
        return IPSECVPN_ERR_INVALID_ARG;
    }
    const ivpn_dh_info *info = ivpn_dh_lookup(group_id);
    const ivpn_dh_ops *ops = NULL;
    for (size_t i = 0; i < sizeof(dh_family) / sizeof(dh_family[0]); i++) {
        if (dh_family[i].id == group_id) {
            ops = dh_family[i].ops;
        }
    }
    if (info == NULL || ops == NULL) {
        IVPN_LOG_WARN(ctx, "crypto: unknown DH group %u", (unsigned)group_id);
        return IPSECVPN_ERR_CRYPTO_ALG;
    }
    ivpn_dh *dh = ivpn_zalloc(ctx, sizeof(*dh));
    if (dh == NULL) {
        return IPSECVPN_ERR_NOMEM;
    }
    dh->ctx = ctx;
    dh->info = info;
    dh->ops = ops;
    int rc = ops->init(dh, group_id, priv, priv_len);
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_WARN(ctx, "crypto: %s key setup failed (%d)", info->name, rc);
        ivpn_dh_free(ctx, dh);
        return rc;
    }
    *out = dh;
    return IPSECVPN_OK;
}

int ivpn_dh_new(const ipsecvpn_ctx *ctx, uint16_t group_id, ivpn_dh **out)
{
    return dh_create(ctx, group_id, NULL, 0, out);
}

int ivpn_dh_new_with_private(const ipsecvpn_ctx *ctx, uint16_t group_id, const uint8_t *priv,
                             size_t priv_len, ivpn_dh **out)
{
    if (priv == NULL || priv_len == 0) {
        if (out != NULL) {
            *out = NULL;
        }
        return IPSECVPN_ERR_INVALID_ARG;
    }
    return dh_create(ctx, group_id, priv, priv_len, out);
}

int ivpn_dh_public(const ivpn_dh *dh, uint8_t *out, size_t out_len)
{
    if (dh == NULL || out == NULL) {
        return IPSECVPN_ERR_INVALID_ARG;
    }
    if (out_len < dh->info->public_len) {
        return IPSECVPN_ERR_BUFFER_TOO_SMALL;
    }
    return dh->ops->public_value(dh, out);
}

int ivpn_dh_shared(ivpn_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *out,
                   size_t out_len)
{
    if (dh == NULL || peer == NULL || out == NULL) {
        return IPSECVPN_ERR_INVALID_ARG;
    }
    if (out_len < dh->info->shared_len) {
        return IPSECVPN_ERR_BUFFER_TOO_SMALL;
    }
    /* RFC 7296 §3.4: the KE data is exactly the group's public value length. */
    if (peer_len != dh->info->public_len) {
        IVPN_LOG_WARN(dh->ctx, "crypto: %s peer value is %zu bytes, expected %u",
                      dh->info->name, peer_len, (unsigned)dh->info->public_len);
        return IPSECVPN_ERR_DH_PUBLIC;
    }
    int rc = dh->ops->shared(dh, peer, out);
    if (rc != IPSECVPN_OK) {
        ivpn_wipe(out, dh->info->shared_len);
        if (rc == IPSECVPN_ERR_DH_PUBLIC) {
            IVPN_LOG_WARN(dh->ctx, "crypto: %s peer public value rejected", dh->info->name);
        }
    }
    return rc;
}

void ivpn_dh_free(const ipsecvpn_ctx *ctx, ivpn_dh *dh)
{
    if (dh == NULL) {
        return;
    }
    dh->ops->clear(dh);
    ivpn_wipe(dh, sizeof(*dh));
    ivpn_free(ctx, dh);
}
