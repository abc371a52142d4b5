/* IKE and IPsec policies: profile defaults, atomic updates, canonical reads. */
#include <string.h>

#include "config/fields.h"
#include "config/model.h"
#include "config/psk.h"
#include "crypto/crypto.h"
#include "config/validate.h"

bool ivpn_profile_valid(ipsecvpn_profile profile)
{
    return profile == IPSECVPN_PROFILE_CLOUD || profile == IPSECVPN_PROFILE_OPENSTACK ||
           profile == IPSECVPN_PROFILE_STRICT;
}

/* Cloud console: 86400 s; OpenStack VPNaaS: 3600 s; strict takes the cloud defaults. */
static uint32_t default_lifetime(ipsecvpn_profile profile)
{
    return profile == IPSECVPN_PROFILE_OPENSTACK ? 3600 : 86400;
}

void ivpn_ike_defaults(ivpn_ike_values *v, ipsecvpn_profile profile)
{
    memset(v, 0, sizeof(*v));
    v->version = IVPN_IKEV1;
    v->mode = IVPN_MODE_MAIN;
    v->encryption.id = IPSECVPN_ENCR_AES_CBC;
    v->encryption.key_bits = 128;
    v->integrity = IPSECVPN_INTEG_HMAC_SHA1_96;
    v->dh_group = IPSECVPN_DH_MODP1024;
    v->lifetime = default_lifetime(profile);
    v->local_id.type = IVPN_ID_NONE;
    v->remote_id.type = IVPN_ID_NONE;
}

void ivpn_ipsec_defaults(ivpn_ipsec_values *v, ipsecvpn_profile profile)
{
    memset(v, 0, sizeof(*v));
    v->mode = IVPN_IPSEC_TUNNEL;
    v->encryption.id = IPSECVPN_ENCR_AES_CBC;
    v->encryption.key_bits = 128;
    v->integrity = IPSECVPN_INTEG_HMAC_SHA1_96;
    v->pfs = IPSECVPN_DH_MODP1024;
    v->lifetime = default_lifetime(profile);
    v->initiator = IVPN_INITIATOR_BIDIRECTIONAL;
}

int ivpn_validate_values(ipsecvpn_object_kind kind, const void *values, ipsecvpn_profile profile,
                         bool require_addresses, ivpn_findings *f)
{
    switch (kind) {
    case IPSECVPN_OBJECT_IKE_POLICY:
        return ivpn_validate_ike(values, profile, f);
    case IPSECVPN_OBJECT_IPSEC_POLICY:
        return ivpn_validate_ipsec(values, profile, f);
    case IPSECVPN_OBJECT_CONNECTION:
        return ivpn_validate_connection(values, profile, require_addresses, f);
    }
    return IPSECVPN_ERR_INVALID_ARG;
}

int ivpn_stage_update(ipsecvpn_object_kind kind, const ipsecvpn_ctx *ctx,
                      ipsecvpn_profile profile, void *live, size_t size,
                      const char *const *fields, const char *const *values, size_t n,
                      ipsecvpn_report *rep)
{
    if (!live || (n > 0 && (!fields || !values)))
        return IPSECVPN_ERR_INVALID_ARG;
    for (size_t i = 0; i < n; i++)
        if (!fields[i] || !values[i])
            return IPSECVPN_ERR_INVALID_ARG;
    void *staged = ivpn_malloc(ctx, size);
    if (!staged)
        return IPSECVPN_ERR_NOMEM;
    memcpy(staged, live, size);

    ivpn_findings f;
    ivpn_findings_init(&f, rep);
    ivpn_field_ctx fc = {ctx, profile, &f};
    int rc = ivpn_fields_apply(kind, staged, fields, values, n, &fc);
    if (rc == IPSECVPN_OK) {
        if (kind == IPSECVPN_OBJECT_CONNECTION)
            ivpn_connection_derive(staged, profile);
        rc = ivpn_validate_values(kind, staged, profile, false, &f);
    }
    if (rc == IPSECVPN_OK)
        memcpy(live, staged, size); /* the commit: one copy of the whole value set */
    else
        IVPN_LOG_WARN(ctx, "config: update of %zu field(s) rejected (%s)", n,
                      ipsecvpn_strerror(rc));
    ivpn_wipe(staged, size);
    ivpn_free(ctx, staged);
    return rc;
}

/* ---- IKE policy --------------------------------------------------------------------------- */

IPSECVPN_EXPORT int ipsecvpn_ike_policy_new(ipsecvpn_ctx *ctx, ipsecvpn_profile profile,
                                            ipsecvpn_ike_policy **out)
{
    if (!out)
        return IPSECVPN_ERR_INVALID_ARG;
    *out = NULL;
    if (!ctx || !ivpn_profile_valid(profile))
        return IPSECVPN_ERR_INVALID_ARG;
    ipsecvpn_ike_policy *p = ivpn_zalloc(ctx, sizeof(*p));
    if (!p)
        return IPSECVPN_ERR_NOMEM;
    p->ctx = ctx;
    p->profile = profile;
    ivpn_ike_defaults(&p->v, profile);
    *out = p;
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT void ipsecvpn_ike_policy_free(ipsecvpn_ike_policy *p)
{
    if (p)
        ivpn_free(p->ctx, p);
}

IPSECVPN_EXPORT int ipsecvpn_ike_policy_update(ipsecvpn_ike_policy *p, const char *const *fields,
                                               const char *const *values, size_t n,
                                               ipsecvpn_report *rep)
{
    if (!p)
        return IPSECVPN_ERR_INVALID_ARG;
    return ivpn_stage_update(IPSECVPN_OBJECT_IKE_POLICY, p->ctx, p->profile, &p->v,
                             sizeof(p->v), fields, values, n, rep);
}

IPSECVPN_EXPORT int ipsecvpn_ike_policy_get(const ipsecvpn_ike_policy *p, const char *field,
                                            char *buf, size_t buflen, size_t *needed)
{
    if (!p || !field)
        return IPSECVPN_ERR_INVALID_ARG;
    return ivpn_fields_get_text(IPSECVPN_OBJECT_IKE_POLICY, &p->v, field, buf, buflen, needed);
}

/* ---- IPsec policy ------------------------------------------------------------------------- */

IPSECVPN_EXPORT int ipsecvpn_ipsec_policy_new(ipsecvpn_ctx *ctx, ipsecvpn_profile profile,
                                              ipsecvpn_ipsec_policy **out)
{
    if (!out)
        return IPSECVPN_ERR_INVALID_ARG;
    *out = NULL;
    if (!ctx || !ivpn_profile_valid(profile))
        return IPSECVPN_ERR_INVALID_ARG;
    ipsecvpn_ipsec_policy *p = ivpn_zalloc(ctx, sizeof(*p));
    if (!p)
        return IPSECVPN_ERR_NOMEM;
    p->ctx = ctx;
    p->profile = profile;
    ivpn_ipsec_defaults(&p->v, profile);
    *out = p;
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT void ipsecvpn_ipsec_policy_free(ipsecvpn_ipsec_policy *p)
{
    if (p)
        ivpn_free(p->ctx, p);
}

IPSECVPN_EXPORT int ipsecvpn_ipsec_policy_update(ipsecvpn_ipsec_policy *p,
                                                 const char *const *fields,
                                                 const char *const *values, size_t n,
                                                 ipsecvpn_report *rep)
{
    if (!p)
        return IPSECVPN_ERR_INVALID_ARG;
    return ivpn_stage_update(IPSECVPN_OBJECT_IPSEC_POLICY, p->ctx, p->profile, &p->v,
                             sizeof(p->v), fields, values, n, rep);
}

IPSECVPN_EXPORT int ipsecvpn_ipsec_policy_get(const ipsecvpn_ipsec_policy *p, const char *field,
                                              char *buf, size_t buflen, size_t *needed)
{
    if (!p || !field)
        return IPSECVPN_ERR_INVALID_ARG;
    return ivpn_fields_get_text(IPSECVPN_OBJECT_IPSEC_POLICY, &p->v, field, buf, buflen, needed);
}
