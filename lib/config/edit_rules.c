/*
 * The registry's rule tables: statuses (name, edit, delete, transitions) and, per object
 * kind, which fields may be edited. The spec states these as tables, so they are tables;
 * every row is exercised by tests/unit/config/test_edit_rules.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "config/edit_rules.h"

/* ---------------------------------------------------------------------------------------
 * Statuses.
 * Edit is refused while the engine or the control plane owns the object (BUILD: negotiating,
 * PENDING_DELETE / DELETING: on its way out) and on CREATE_ERROR (a failed creation is
 * deleted and recreated, never patched). Delete is refused in BUILD, PENDING_DELETE and
 * DELETING (a deletion is already under way in the last two); CREATE_ERROR may be deleted.
 */
#define ST_COUNT 9

static const struct status_rule {
    const char *name;
    bool edit;
    bool delete;
} status_rules[ST_COUNT] = {
    [IPSECVPN_STATUS_DOWN] = {"DOWN", true, true},
    [IPSECVPN_STATUS_BUILD] = {"BUILD", false, false},
    [IPSECVPN_STATUS_ACTIVE] = {"ACTIVE", true, true},
    [IPSECVPN_STATUS_ERROR] = {"ERROR", true, true},
    [IPSECVPN_STATUS_PENDING_CREATE] = {"PENDING_CREATE", true, true},
    [IPSECVPN_STATUS_CREATE_ERROR] = {"CREATE_ERROR", false, true},
    [IPSECVPN_STATUS_PENDING_UPDATE] = {"PENDING_UPDATE", true, true},
    [IPSECVPN_STATUS_PENDING_DELETE] = {"PENDING_DELETE", false, false},
    [IPSECVPN_STATUS_DELETING] = {"DELETING", false, false},
};

/*
 * Status transitions accepted by ipsecvpn_registry_set_status(): row = from, bit = to.
 * - The running states DOWN, BUILD, ACTIVE, ERROR, PENDING_UPDATE move freely among
 *   themselves (the engine reports what negotiation does).
 * - PENDING_DELETE and DELETING are entered only from a state that allows delete (so never
 *   from BUILD: negotiation must finish or fail first). From PENDING_DELETE the deletion
 *   proceeds (DELETING) or is cancelled/fails (DOWN, ERROR); from DELETING the teardown
 *   finishes or fails (DOWN, ERROR), after which the connection can be deleted.
 * - PENDING_CREATE and CREATE_ERROR belong to creation. ipsecvpn_registry_add_connection()
 *   starts a connection at DOWN, so a host that provisions in steps goes DOWN ->
 *   PENDING_CREATE -> a running state or CREATE_ERROR; CREATE_ERROR can only be retried
 *   (PENDING_CREATE) or deleted. Only DOWN (no SA) may enter PENDING_CREATE.
 * - Staying in the same status is always accepted (idempotent).
 */
#define TO(s) (1u << (s))
#define RUNNING                                                                          \
    (TO(IPSECVPN_STATUS_DOWN) | TO(IPSECVPN_STATUS_BUILD) | TO(IPSECVPN_STATUS_ACTIVE) | \
     TO(IPSECVPN_STATUS_ERROR) | TO(IPSECVPN_STATUS_PENDING_UPDATE))
#define REMOVAL (TO(IPSECVPN_STATUS_PENDING_DELETE) | TO(IPSECVPN_STATUS_DELETING))

static const unsigned status_transitions[ST_COUNT] = {
    [IPSECVPN_STATUS_DOWN] = RUNNING | REMOVAL | TO(IPSECVPN_STATUS_PENDING_CREATE),
    [IPSECVPN_STATUS_BUILD] = RUNNING,
    [IPSECVPN_STATUS_ACTIVE] = RUNNING | REMOVAL,
    [IPSECVPN_STATUS_ERROR] = RUNNING | REMOVAL,
    [IPSECVPN_STATUS_PENDING_CREATE] = RUNNING | REMOVAL | TO(IPSECVPN_STATUS_PENDING_CREATE) |
                                       TO(IPSECVPN_STATUS_CREATE_ERROR),
    [IPSECVPN_STATUS_CREATE_ERROR] =
        TO(IPSECVPN_STATUS_CREATE_ERROR) | TO(IPSECVPN_STATUS_PENDING_CREATE) | REMOVAL,
    [IPSECVPN_STATUS_PENDING_UPDATE] = RUNNING | REMOVAL,
    [IPSECVPN_STATUS_PENDING_DELETE] =
        TO(IPSECVPN_STATUS_DOWN) | TO(IPSECVPN_STATUS_ERROR) | REMOVAL,
    [IPSECVPN_STATUS_DELETING] =
        TO(IPSECVPN_STATUS_DOWN) | TO(IPSECVPN_STATUS_ERROR) | TO(IPSECVPN_STATUS_DELETING),
};

static bool status_valid(ipsecvpn_status s)
{
    return (unsigned)s < ST_COUNT;
}

IPSECVPN_EXPORT const char *ipsecvpn_status_name(ipsecvpn_status s)
{
    return status_valid(s) ? status_rules[s].name : "UNKNOWN";
}

bool ivpn_status_allows_edit(ipsecvpn_status s)
{
    return status_valid(s) && status_rules[s].edit;
}

bool ivpn_status_allows_delete(ipsecvpn_status s)
{
    return status_valid(s) && status_rules[s].delete;
}

bool ivpn_status_transition_allowed(ipsecvpn_status from, ipsecvpn_status to)
{
    return status_valid(from) && status_valid(to) && (status_transitions[from] & TO(to)) != 0;
}

/* ---------------------------------------------------------------------------------------
 * Associations.
 */
static const char *const assoc_names[] = {
    [IVPN_ASSOC_NONE] = "none",
    [IVPN_ASSOC_VPN_GATEWAY] = "vpn-gateway",
    [IVPN_ASSOC_TRANSIT_ROUTER] = "transit-router",
};
#define ASSOC_COUNT (sizeof assoc_names / sizeof assoc_names[0])

const char *ivpn_assoc_name(ivpn_assoc_type t)
{
    return (unsigned)t < ASSOC_COUNT ? assoc_names[t] : "unknown";
}

bool ivpn_assoc_parse(const char *text, ivpn_assoc_type *out)
{
    if (text == NULL) {
        *out = IVPN_ASSOC_NONE;
        return true;
    }
    for (size_t i = 0; i < ASSOC_COUNT; i++) {
        if (strcmp(text, assoc_names[i]) == 0) {
            *out = (ivpn_assoc_type)i;
            return true;
        }
    }
    return false;
}

/* ---------------------------------------------------------------------------------------
 * Field tables.
 *
 * IKE and IPsec policies (the choice the spec leaves open, made explicit here):
 * - editable: name, description, encryption, integrity (alias authentication), lifetime,
 *   and the DH groups (IKE dh_group, which OpenStack calls the IKE policy's "pfs"; IPsec pfs)
 *   — the spec's list; also the IKE version, negotiation mode and identities, which both
 *   products let a console change. An edit is copied into every connection using the
 *   policy and refused as a whole if any of them would become invalid (e.g. IKEv1 with
 *   several CIDRs), so allowing them cannot break a user.
 * - immutable: the IPsec transform protocol and encapsulation mode. Both are fixed in the
 *   products (esp, tunnel); changing them would change the kind of SA under every user.
 *
 * Connections, per association type (columns: none, vpn-gateway, transit-router):
 * - spec: none → customer gateway (association.customer_gateway and peer_address, the
 *   customer gateway's address) and gateway type immutable; vpn-gateway → VPN gateway and
 *   customer gateway (with peer_address) immutable; transit-router → transit router, zone
 *   and gateway type immutable, customer gateway editable. Routing mode, PSK and advanced
 *   settings (dpd.*, nat_traversal, bgp.*, health_check.*, ike.*, ipsec.*) editable in all.
 * - our choices: association.type is immutable everywhere (re-associating would sidestep
 *   every other rule: delete and recreate instead); association references that do not
 *   belong to the current type are immutable too (they mean nothing there). gateway_type
 *   is immutable with a VPN gateway as well (it is the VPN gateway's network type).
 *   local_address is the associated gateway's own address, so it is editable only without
 *   an association. ipsec.protocol / ipsec.mode follow the IPsec policy table (immutable).
 *   name, description, admin state, flows, initiator, MTU: editable everywhere.
 */
enum { NO = 0, YES = 1 };

static const struct policy_rule {
    ipsecvpn_object_kind kind;
    const char *field;
    bool editable;
} policy_rules[] = {
    {IPSECVPN_OBJECT_IKE_POLICY, "name", YES},
    {IPSECVPN_OBJECT_IKE_POLICY, "description", YES},
    {IPSECVPN_OBJECT_IKE_POLICY, "version", YES},
    {IPSECVPN_OBJECT_IKE_POLICY, "mode", YES},
    {IPSECVPN_OBJECT_IKE_POLICY, "encryption", YES},
    {IPSECVPN_OBJECT_IKE_POLICY, "integrity", YES},
    {IPSECVPN_OBJECT_IKE_POLICY, "dh_group", YES},
    {IPSECVPN_OBJECT_IKE_POLICY, "lifetime", YES},
    {IPSECVPN_OBJECT_IKE_POLICY, "local_id", YES},
    {IPSECVPN_OBJECT_IKE_POLICY, "remote_id", YES},

    {IPSECVPN_OBJECT_IPSEC_POLICY, "name", YES},
    {IPSECVPN_OBJECT_IPSEC_POLICY, "description", YES},
    {IPSECVPN_OBJECT_IPSEC_POLICY, "protocol", NO},
    {IPSECVPN_OBJECT_IPSEC_POLICY, "mode", NO},
    {IPSECVPN_OBJECT_IPSEC_POLICY, "encryption", YES},
    {IPSECVPN_OBJECT_IPSEC_POLICY, "integrity", YES},
    {IPSECVPN_OBJECT_IPSEC_POLICY, "pfs", YES},
    {IPSECVPN_OBJECT_IPSEC_POLICY, "lifetime", YES},
    {IPSECVPN_OBJECT_IPSEC_POLICY, "initiator", YES},
};

static const struct connection_rule {
    const char *field;
    bool none, vpn_gateway, transit_router; /* editable with this association type */
} connection_rules[] = {
    /* field                        none vpn-gw transit-router */
    {"name",                          YES, YES, YES},
    {"description",                   YES, YES, YES},
    {"admin_state",                   YES, YES, YES},
    {"local_address",                 YES, NO,  NO},
    {"peer_address",                  NO,  NO,  YES},
    {"gateway_type",                  NO,  NO,  NO},
    {"psk",                           YES, YES, YES},
    {"routing_mode",                  YES, YES, YES},
    {"local_cidrs",                   YES, YES, YES},
    {"remote_cidrs",                  YES, YES, YES},
    {"effective_immediately",         YES, YES, YES},
    {"initiator",                     YES, YES, YES},
    {"mtu",                           YES, YES, YES},
    {"nat_traversal",                 YES, YES, YES},
    {"dpd.enabled",                   YES, YES, YES},
    {"dpd.action",                    YES, YES, YES},
    {"dpd.interval",                  YES, YES, YES},
    {"dpd.timeout",                   YES, YES, YES},
    {"bgp.enabled",                   YES, YES, YES},
    {"bgp.tunnel_cidr",               YES, YES, YES},
    {"bgp.local_ip",                  YES, YES, YES},
    {"bgp.local_asn",                 YES, YES, YES},
    {"health_check.enabled",          YES, YES, YES},
    {"health_check.destination_ip",   YES, YES, YES},
    {"health_check.source_ip",        YES, YES, YES},
    {"health_check.interval",         YES, YES, YES},
    {"health_check.retry",            YES, YES, YES},
    {"health_check.route_policy",     YES, YES, YES},
    {"association.type",              NO,  NO,  NO},
    {"association.vpn_gateway",       NO,  NO,  NO},
    {"association.transit_router",    NO,  NO,  NO},
    {"association.zone",              NO,  NO,  NO},
    {"association.customer_gateway",  NO,  NO,  YES},
    {"ike.name",                      YES, YES, YES},
    {"ike.description",               YES, YES, YES},
    {"ike.version",                   YES, YES, YES},
    {"ike.mode",                      YES, YES, YES},
    {"ike.encryption",                YES, YES, YES},
    {"ike.integrity",                 YES, YES, YES},
    {"ike.dh_group",                  YES, YES, YES},
    {"ike.lifetime",                  YES, YES, YES},
    {"ike.local_id",                  YES, YES, YES},
    {"ike.remote_id",                 YES, YES, YES},
    {"ipsec.name",                    YES, YES, YES},
    {"ipsec.description",             YES, YES, YES},
    {"ipsec.protocol",                NO,  NO,  NO},
    {"ipsec.mode",                    NO,  NO,  NO},
    {"ipsec.encryption",              YES, YES, YES},
    {"ipsec.integrity",               YES, YES, YES},
    {"ipsec.pfs",                     YES, YES, YES},
    {"ipsec.lifetime",                YES, YES, YES},
    {"ipsec.initiator",               YES, YES, YES},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Field-name aliases accepted by the field parser; the table uses the canonical name.
 * "pfs" is an alias on IKE policies only: on IPsec policies it is the field itself. */
#define ANY_KIND (-1)
static const struct {
    int kind;
    const char *alias;
    const char *canonical;
} aliases[] = {
    {ANY_KIND, "authentication", "integrity"},
    {ANY_KIND, "ike.authentication", "ike.integrity"},
    {ANY_KIND, "ipsec.authentication", "ipsec.integrity"},
    {IPSECVPN_OBJECT_IKE_POLICY, "pfs", "dh_group"},
    {IPSECVPN_OBJECT_CONNECTION, "ike.pfs", "ike.dh_group"},
};

static const char *resolve_alias(ipsecvpn_object_kind kind, const char *field)
{
    for (size_t i = 0; i < COUNT(aliases); i++) {
        if ((aliases[i].kind == ANY_KIND || aliases[i].kind == (int)kind) &&
            strcmp(field, aliases[i].alias) == 0)
            return aliases[i].canonical;
    }
    return field;
}

static bool connection_rule_allows(const struct connection_rule *r, ivpn_assoc_type assoc)
{
    switch (assoc) {
    case IVPN_ASSOC_NONE: return r->none;
    case IVPN_ASSOC_VPN_GATEWAY: return r->vpn_gateway;
    case IVPN_ASSOC_TRANSIT_ROUTER: return r->transit_router;
    }
    return false; /* unknown association: allow nothing */
}

int ivpn_edit_rule_check(ipsecvpn_object_kind kind, const char *field, ivpn_assoc_type assoc,
                         const char **canonical)
{
    if (field == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    field = resolve_alias(kind, field);
    if (kind == IPSECVPN_OBJECT_CONNECTION) {
        for (size_t i = 0; i < COUNT(connection_rules); i++) {
            const struct connection_rule *r = &connection_rules[i];
            if (strcmp(field, r->field) == 0) {
                if (canonical != NULL)
                    *canonical = r->field;
                return connection_rule_allows(r, assoc) ? IPSECVPN_OK
                                                        : IPSECVPN_ERR_CONFIG_IMMUTABLE;
            }
        }
        return IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD;
    }
    if (kind != IPSECVPN_OBJECT_IKE_POLICY && kind != IPSECVPN_OBJECT_IPSEC_POLICY)
        return IPSECVPN_ERR_INVALID_ARG;
    for (size_t i = 0; i < COUNT(policy_rules); i++) {
        const struct policy_rule *r = &policy_rules[i];
        if (r->kind == kind && strcmp(field, r->field) == 0) {
            if (canonical != NULL)
                *canonical = r->field;
            return r->editable ? IPSECVPN_OK : IPSECVPN_ERR_CONFIG_IMMUTABLE;
        }
    }
    return IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD;
}

IPSECVPN_EXPORT int ipsecvpn_field_editable(ipsecvpn_object_kind kind, const char *field,
                                            ipsecvpn_status status, const char *association)
{
    ivpn_assoc_type assoc = IVPN_ASSOC_NONE;
    /* Policies have no status of their own: the caller passes their users' status. */
    if (!ivpn_status_allows_edit(status))
        return 0;
    if (kind == IPSECVPN_OBJECT_CONNECTION && !ivpn_assoc_parse(association, &assoc))
        return 0;
    return ivpn_edit_rule_check(kind, field, assoc, NULL) == IPSECVPN_OK ? 1 : 0;
}

bool ivpn_edit_rule_row(ipsecvpn_object_kind kind, size_t i, const char **field,
                        bool editable[3])
{
    if (kind == IPSECVPN_OBJECT_CONNECTION) {
        if (i >= COUNT(connection_rules))
            return false;
        *field = connection_rules[i].field;
        editable[IVPN_ASSOC_NONE] = connection_rules[i].none;
        editable[IVPN_ASSOC_VPN_GATEWAY] = connection_rules[i].vpn_gateway;
        editable[IVPN_ASSOC_TRANSIT_ROUTER] = connection_rules[i].transit_router;
        return true;
    }
    for (size_t k = 0, seen = 0; k < COUNT(policy_rules); k++) {
        if (policy_rules[k].kind != kind)
            continue;
        if (seen++ == i) {
            *field = policy_rules[k].field;
            editable[0] = editable[1] = editable[2] = policy_rules[k].editable;
            return true;
        }
    }
    return false;
}
