/* Connections: profile defaults, a generated PSK, atomic updates, policies copied in, clone. */
#include <string.h>

#include "config/fields.h"
#include "config/model.h"
#include "config/psk.h"
#include "crypto/crypto.h"
#include "config/validate.h"

#define DEFAULT_ASN 45104u

uint32_t ivpn_dpd_default_timeout(ipsecvpn_profile profile, ivpn_ike_version version)
{
    if (profile == IPSECVPN_PROFILE_OPENSTACK)
        return 120;
    return version == IVPN_IKEV2 ? 130 : 30; /* cloud gateways since 2023 */
}

void ivpn_connection_defaults(ivpn_connection_values *v, ipsecvpn_profile profile)
{
    memset(v, 0, sizeof(*v));
    v->admin_up = true;
    v->gateway_type = IVPN_GW_PUBLIC;
    v->routing_mode = IVPN_ROUTING_DESTINATION;
    v->effective_immediately = false;
    v->initiator = IVPN_INITIATOR_BIDIRECTIONAL;
    v->mtu = 1500;
    v->nat_traversal = false;
    ivpn_ike_defaults(&v->ike, profile);
    ivpn_ipsec_defaults(&v->ipsec, profile);
    /* OpenStack's dpd default is "hold, 30 s, 120 s", i.e. on; the cloud console has DPD off
     * and states only the timeout, so its interval is our choice (10 s, below every timeout). */
    v->dpd.enabled = profile == IPSECVPN_PROFILE_OPENSTACK;
    v->dpd.action = IVPN_DPD_HOLD;
    v->dpd.interval = profile == IPSECVPN_PROFILE_OPENSTACK ? 30 : 10;
    v->dpd.timeout = ivpn_dpd_default_timeout(profile, v->ike.version);
    v->dpd.timeout_set = false;
    v->bgp.enabled = false;
    v->bgp.local_asn = DEFAULT_ASN;
    v->health_check.enabled = false;
    v->health_check.interval = 3;
    v->health_check.retry = 3;
    v->health_check.route_policy = IVPN_ROUTE_REVOKE;
    v->association.type = IVPN_ASSOC_NONE;
}

void ivpn_connection_derive(ivpn_connection_values *v, ipsecvpn_profile profile)
{
    v->ipsec.initiator = v->initiator; /* the connection's field is the one that counts */
    if (!v->dpd.timeout_set)
        v->dpd.timeout = ivpn_dpd_default_timeout(profile, v->ike.version);
}

IPSECVPN_EXPORT int ipsecvpn_connection_new(ipsecvpn_ctx *ctx, ipsecvpn_profile profile,
                                            ipsecvpn_connection **out)
{
    if (!out)
        return IPSECVPN_ERR_INVALID_ARG;
    *out = NULL;
    if (!ctx || !ivpn_profile_valid(profile))
        return IPSECVPN_ERR_INVALID_ARG;
    ipsecvpn_connection *c = ivpn_zalloc(ctx, sizeof(*c));
    if (!c)
        return IPSECVPN_ERR_NOMEM;
    c->ctx = ctx;
    c->profile = profile;
    ivpn_connection_defaults(&c->v, profile);
    int rc = ivpn_psk_generate(ctx, c->v.psk); /* no key given yet: SPEC "empty: generate" */
    if (rc != IPSECVPN_OK) {
        ivpn_free(ctx, c);
        return rc;
    }
    *out = c;
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT void ipsecvpn_connection_free(ipsecvpn_connection *c)
{
    if (!c)
        return;
    ipsecvpn_ctx *ctx = c->ctx;
    ivpn_wipe(c, sizeof(*c));
    ivpn_free(ctx, c);
}

IPSECVPN_EXPORT int ipsecvpn_connection_update(ipsecvpn_connection *c, const char *const *fields,
                                               const char *const *values, size_t n,
                                               ipsecvpn_report *rep)
{
    if (!c)
        return IPSECVPN_ERR_INVALID_ARG;
    return ivpn_stage_update(IPSECVPN_OBJECT_CONNECTION, c->ctx, c->profile, &c->v,
                             sizeof(c->v), fields, values, n, rep);
}

IPSECVPN_EXPORT int ipsecvpn_connection_set(ipsecvpn_connection *c, const char *field,
                                            const char *value, ipsecvpn_report *rep)
{
    return ipsecvpn_connection_update(c, &field, &value, 1, rep);
}

IPSECVPN_EXPORT int ipsecvpn_connection_get(const ipsecvpn_connection *c, const char *field,
                                            char *buf, size_t buflen, size_t *needed)
{
    if (!c || !field)
        return IPSECVPN_ERR_INVALID_ARG;
    return ivpn_fields_get_text(IPSECVPN_OBJECT_CONNECTION, &c->v, field, buf, buflen, needed);
}

IPSECVPN_EXPORT int ipsecvpn_connection_validate(const ipsecvpn_connection *c,
                                                 ipsecvpn_report *rep)
{
    if (!c)
        return IPSECVPN_ERR_INVALID_ARG;
    ivpn_findings f;
    ivpn_findings_init(&f, rep);
    if (c->v.psk[0] == '\0')
        ivpn_find(&f, IPSECVPN_ERR_CONFIG_REQUIRED, false, "psk", "is required", "\"\"");
    return ivpn_validate_connection(&c->v, c->profile, true, &f);
}

/* Copy one policy's values over the matching part of a staged connection, then validate. */
static int adopt_policy(ipsecvpn_connection *c, const void *policy_values, size_t offset,
                        size_t size, ipsecvpn_report *rep)
{
    ivpn_connection_values *staged = ivpn_malloc(c->ctx, sizeof(*staged));
    if (!staged)
        return IPSECVPN_ERR_NOMEM;
    *staged = c->v;
    memcpy((uint8_t *)staged + offset, policy_values, size);
    if (offset == offsetof(ivpn_connection_values, ipsec))
        staged->initiator = staged->ipsec.initiator; /* the policy's initiator applies */
    ivpn_connection_derive(staged, c->profile);
    ivpn_findings f;
    ivpn_findings_init(&f, rep);
    int rc = ivpn_validate_connection(staged, c->profile, false, &f);
    if (rc == IPSECVPN_OK)
        c->v = *staged;
    else
        IVPN_LOG_WARN(c->ctx, "config: policy not applied to connection (%s)",
                      ipsecvpn_strerror(rc));
    ivpn_wipe(staged, sizeof(*staged));
    ivpn_free(c->ctx, staged);
    return rc;
}

IPSECVPN_EXPORT int ipsecvpn_connection_set_ike_policy(ipsecvpn_connection *c,
                                                       const ipsecvpn_ike_policy *p,
                                                       ipsecvpn_report *rep)
{
    if (!c || !p)
        return IPSECVPN_ERR_INVALID_ARG;
    return adopt_policy(c, &p->v, offsetof(ivpn_connection_values, ike), sizeof(p->v), rep);
}

IPSECVPN_EXPORT int ipsecvpn_connection_set_ipsec_policy(ipsecvpn_connection *c,
                                                         const ipsecvpn_ipsec_policy *p,
                                                         ipsecvpn_report *rep)
{
    if (!c || !p)
        return IPSECVPN_ERR_INVALID_ARG;
    return adopt_policy(c, &p->v, offsetof(ivpn_connection_values, ipsec), sizeof(p->v), rep);
}

IPSECVPN_EXPORT int ipsecvpn_connection_clone(const ipsecvpn_connection *c,
                                              ipsecvpn_connection **out)
{
    if (!out)
        return IPSECVPN_ERR_INVALID_ARG;
    *out = NULL;
    if (!c)
        return IPSECVPN_ERR_INVALID_ARG;
    ipsecvpn_connection *copy = ivpn_malloc(c->ctx, sizeof(*copy));
    if (!copy)
        return IPSECVPN_ERR_NOMEM;
    *copy = *c;
    *out = copy;
    return IPSECVPN_OK;
}
