/*
 * Enumerated values as tables: canonical spelling first (the products' consoles), then the
 * aliases accepted on input (OpenStack API: aes-128, v2, ...). Values: IANA transform IDs for
 * algorithms and groups (ipsecvpn/algorithms.h), otherwise the position in the list, which
 * equals the matching ivpn_* enum in model.h (ike_version: position + 1 = ivpn_ike_version).
 */
#include "config/enums.h"

#include <string.h>

#include "config/model.h"
#include "ipsecvpn/config.h"


static const ivpn_enum_entry encryption[] = {
    {"aes", IPSECVPN_ENCR_AES_CBC, 128, {"aes128", "aes-128", "aes-cbc", "aes128-cbc", NULL}},
    {"aes192", IPSECVPN_ENCR_AES_CBC, 192, {"aes-192", "aes192-cbc", NULL}},
    {"aes256", IPSECVPN_ENCR_AES_CBC, 256, {"aes-256", "aes256-cbc", NULL}},
    {"des", IPSECVPN_ENCR_DES, 64, {"des-cbc", NULL}},
    {"3des", IPSECVPN_ENCR_3DES, 192, {"3des-cbc", "des3", "tripledes", NULL}},
    /* AEAD (RFC 4106/5282): no ESP integrity transform; IKE still takes its PRF from the
     * integrity field (sha256 -> PRF_HMAC_SHA2_256), so that field keeps its meaning there. */
    {"aes128gcm16", IPSECVPN_ENCR_AES_GCM_16, 128, {"aes-128-gcm-16", "aes128-gcm16", NULL}},
    {"aes256gcm16", IPSECVPN_ENCR_AES_GCM_16, 256, {"aes-256-gcm-16", "aes256-gcm16", NULL}},
};

static const ivpn_enum_entry integrity[] = {
    {"md5", IPSECVPN_INTEG_HMAC_MD5_96, 0, {"hmac-md5", "md5-96", NULL}},
    {"sha1", IPSECVPN_INTEG_HMAC_SHA1_96, 0, {"hmac-sha1", "sha1-96", "sha", NULL}},
    {"sha256", IPSECVPN_INTEG_HMAC_SHA2_256_128, 0, {"sha2-256", "sha-256", "hmac-sha256", NULL}},
    {"sha384", IPSECVPN_INTEG_HMAC_SHA2_384_192, 0, {"sha2-384", "sha-384", "hmac-sha384", NULL}},
    {"sha512", IPSECVPN_INTEG_HMAC_SHA2_512_256, 0, {"sha2-512", "sha-512", "hmac-sha512", NULL}},
};

#define GROUPS                                                          \
    {"group1", IPSECVPN_DH_MODP768, 0, {"modp768", "dh1", NULL}},       \
    {"group2", IPSECVPN_DH_MODP1024, 0, {"modp1024", "dh2", NULL}},     \
    {"group5", IPSECVPN_DH_MODP1536, 0, {"modp1536", "dh5", NULL}},     \
    {"group14", IPSECVPN_DH_MODP2048, 0, {"modp2048", "dh14", NULL}},    \
    {"group19", IPSECVPN_DH_ECP256, 0, {"ecp256", "dh19", NULL}},       \
    {"group20", IPSECVPN_DH_ECP384, 0, {"ecp384", "dh20", NULL}},       \
    {"group21", IPSECVPN_DH_ECP521, 0, {"ecp521", "dh21", NULL}},       \
    {"group31", IPSECVPN_DH_CURVE25519, 0, {"x25519", "curve25519", "dh31", NULL}}

static const ivpn_enum_entry dh_group[] = {GROUPS};
static const ivpn_enum_entry pfs[] = {
    {"disabled", IPSECVPN_DH_NONE, 0, {"none", "off", "no", NULL}},
    GROUPS,
};

static const ivpn_enum_entry ike_version[] = {
    {"ikev1", 0, 0, {"v1", "1", "ike1", NULL}},
    {"ikev2", 1, 0, {"v2", "2", "ike2", NULL}},
};
static const ivpn_enum_entry ike_mode[] = {
    {"main", IVPN_MODE_MAIN, 0, {"main-mode", NULL}},
    {"aggressive", IVPN_MODE_AGGRESSIVE, 0, {"aggressive-mode", "aggr", NULL}},
};
static const ivpn_enum_entry initiator[] = {
    {"bi-directional", IVPN_INITIATOR_BIDIRECTIONAL, 0, {"bidirectional", "bi_directional", NULL}},
    {"response-only", IVPN_INITIATOR_RESPONSE_ONLY, 0, {"response_only", "responder", NULL}},
};
static const ivpn_enum_entry dpd_action[] = {
    {"hold", IVPN_DPD_HOLD, 0, {NULL}},
    {"restart", IVPN_DPD_RESTART, 0, {NULL}},
    {"clear", IVPN_DPD_CLEAR, 0, {NULL}},
    {"disabled", IVPN_DPD_DISABLED, 0, {"none", NULL}},
    {"restart-by-peer", IVPN_DPD_RESTART_BY_PEER, 0, {"restart_by_peer", NULL}},
};
static const ivpn_enum_entry routing_mode[] = {
    {"destination", IVPN_ROUTING_DESTINATION, 0, {"route-based", "destination-routing", NULL}},
    {"protected-flows", IVPN_ROUTING_PROTECTED_FLOWS, 0,
     {"protected_flows", "policy-based", "protected-data-flows", NULL}},
};
static const ivpn_enum_entry admin_state[] = {
    {"up", 0, 0, {"true", "enabled", NULL}},
    {"down", 1, 0, {"false", "disabled", NULL}},
};
static const ivpn_enum_entry gateway_type[] = {
    {"public", IVPN_GW_PUBLIC, 0, {"internet", NULL}},
    {"private", IVPN_GW_PRIVATE, 0, {NULL}},
};
static const ivpn_enum_entry association_type[] = {
    {"none", IVPN_ASSOC_NONE, 0, {"no-association", NULL}},
    {"vpn-gateway", IVPN_ASSOC_VPN_GATEWAY, 0, {"vpn_gateway", "vpngateway", NULL}},
    {"transit-router", IVPN_ASSOC_TRANSIT_ROUTER, 0, {"transit_router", "cen", NULL}},
};
static const ivpn_enum_entry route_policy[] = {
    {"revoke_route", IVPN_ROUTE_REVOKE, 0, {"revoke-route", "revoke", "yes", NULL}},
    {"reserve_route", IVPN_ROUTE_RESERVE, 0, {"reserve-route", "reserve", "no", NULL}},
};
static const ivpn_enum_entry ipsec_mode[] = {
    {"tunnel", IVPN_IPSEC_TUNNEL, 0, {NULL}},
    {"transport", IVPN_IPSEC_TRANSPORT, 0, {NULL}},
};
static const ivpn_enum_entry protocol[] = {
    {"esp", 0, 0, {NULL}},
};
static const ivpn_enum_entry on_off[] = {
    {"off", 0, 0, {"no", "false", "disable", "disabled", "0", NULL}},
    {"on", 1, 0, {"yes", "true", "enable", "enabled", "1", NULL}},
};

/* The cloud API's status of the tunnel itself and of its health check (SPEC 1.3a), in the
 * order negotiation reaches them; the engine reports them, a console shows these names. */
static const ivpn_enum_entry tunnel_status[] = {
    {"ike_sa_not_established", 0, 0, {NULL}},
    {"ike_sa_established", 1, 0, {NULL}},
    {"ipsec_sa_not_established", 2, 0, {NULL}},
    {"ipsec_sa_established", 3, 0, {NULL}},
};
static const ivpn_enum_entry health_check_status[] = {
    {"success", 0, 0, {NULL}},
    {"failed", 1, 0, {NULL}},
};

#define KIND(name, table) {name, table, sizeof(table) / sizeof(table[0])}
static const ivpn_enum_kind kinds[] = {
    KIND("encryption", encryption),
    KIND("integrity", integrity),
    KIND("dh_group", dh_group),
    KIND("pfs", pfs),
    KIND("ike_version", ike_version),
    KIND("ike_mode", ike_mode),
    KIND("initiator", initiator),
    KIND("dpd_action", dpd_action),
    KIND("routing_mode", routing_mode),
    KIND("admin_state", admin_state),
    KIND("gateway_type", gateway_type),
    KIND("association_type", association_type),
    KIND("route_policy", route_policy),
    KIND("ipsec_mode", ipsec_mode),
    KIND("protocol", protocol),
    KIND("switch", on_off),
    KIND("tunnel_status", tunnel_status),
    KIND("health_check_status", health_check_status),
    {"status", NULL, IPSECVPN_STATUS_DELETING + 1},
};

int ivpn_ascii_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char ca = (unsigned char)*a, cb = (unsigned char)*b;
        if (ca >= 'A' && ca <= 'Z')
            ca = (unsigned char)(ca - 'A' + 'a');
        if (cb >= 'A' && cb <= 'Z')
            cb = (unsigned char)(cb - 'A' + 'a');
        if (ca != cb || ca == '\0')
            return (int)ca - (int)cb;
    }
}

const ivpn_enum_kind *ivpn_enum_kind_find(const char *kind)
{
    if (!kind)
        return NULL;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            return &kinds[i];
    return NULL;
}

const ivpn_enum_entry *ivpn_enum_lookup(const char *kind, const char *text)
{
    const ivpn_enum_kind *k = ivpn_enum_kind_find(kind);
    if (!k || !k->entries || !text)
        return NULL;
    for (size_t i = 0; i < k->count; i++) {
        const ivpn_enum_entry *e = &k->entries[i];
        if (ivpn_ascii_casecmp(e->name, text) == 0)
            return e;
        for (size_t a = 0; a < IVPN_ENUM_ALIASES && e->aliases[a]; a++)
            if (ivpn_ascii_casecmp(e->aliases[a], text) == 0)
                return e;
    }
    return NULL;
}

const ivpn_enum_entry *ivpn_enum_by_value(const char *kind, int value, unsigned key_bits)
{
    const ivpn_enum_kind *k = ivpn_enum_kind_find(kind);
    if (!k || !k->entries)
        return NULL;
    for (size_t i = 0; i < k->count; i++) {
        const ivpn_enum_entry *e = &k->entries[i];
        if (e->value == value && (key_bits == 0 || e->key_bits == 0 || e->key_bits == key_bits))
            return e;
    }
    return NULL;
}

const char *ivpn_enum_canonical(const char *kind, int value, unsigned key_bits)
{
    const ivpn_enum_entry *e = ivpn_enum_by_value(kind, value, key_bits);
    return e ? e->name : "";
}

unsigned ivpn_enum_key_bits(const char *text)
{
    const ivpn_enum_entry *e = ivpn_enum_lookup("encryption", text);
    return e ? e->key_bits : 0;
}

IPSECVPN_EXPORT int ipsecvpn_enum_parse(const char *kind, const char *text,
                                        const char **canonical, int *value)
{
    const ivpn_enum_kind *k = ivpn_enum_kind_find(kind);
    if (!k)
        return IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD;
    if (!text)
        return IPSECVPN_ERR_CONFIG_SYNTAX;
    if (!k->entries) { /* status: the names come from ipsecvpn_status_name() */
        for (size_t i = 0; i < k->count; i++) {
            const char *name = ipsecvpn_status_name((ipsecvpn_status)i);
            if (ivpn_ascii_casecmp(name, text) == 0) {
                if (canonical)
                    *canonical = name;
                if (value)
                    *value = (int)i;
                return IPSECVPN_OK;
            }
        }
        return IPSECVPN_ERR_CONFIG_SYNTAX;
    }
    const ivpn_enum_entry *e = ivpn_enum_lookup(kind, text);
    if (!e)
        return IPSECVPN_ERR_CONFIG_SYNTAX;
    if (canonical)
        *canonical = e->name;
    if (value)
        *value = e->value;
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT const char *ipsecvpn_enum_name(const char *kind, size_t i)
{
    const ivpn_enum_kind *k = ivpn_enum_kind_find(kind);
    if (!k || i >= k->count)
        return NULL;
    return k->entries ? k->entries[i].name : ipsecvpn_status_name((ipsecvpn_status)i);
}

IPSECVPN_EXPORT unsigned ipsecvpn_enum_key_bits(const char *text)
{
    return text ? ivpn_enum_key_bits(text) : 0;
}
