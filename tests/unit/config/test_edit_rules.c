/* The registry's rule tables: statuses, transitions and every row of the field table. */
#include <criterion/criterion.h>
#include <string.h>

#include "config/edit_rules.h"
#include "ipsecvpn/ipsecvpn.h"
#include "registry_expect.h"

#define N_STATUS 9
#define Y 1
#define N 0

/* What the spec (plus our documented choices) says, written out independently of the
 * library's table. Columns: none, vpn-gateway, transit-router. */
static const struct expect {
    ipsecvpn_object_kind kind;
    const char *field;
    int none, vpn, tr;
} expected[] = {
    {IPSECVPN_OBJECT_IKE_POLICY, "name", Y, Y, Y},
    {IPSECVPN_OBJECT_IKE_POLICY, "description", Y, Y, Y},
    {IPSECVPN_OBJECT_IKE_POLICY, "version", Y, Y, Y},
    {IPSECVPN_OBJECT_IKE_POLICY, "mode", Y, Y, Y},
    {IPSECVPN_OBJECT_IKE_POLICY, "encryption", Y, Y, Y},
    {IPSECVPN_OBJECT_IKE_POLICY, "integrity", Y, Y, Y},
    {IPSECVPN_OBJECT_IKE_POLICY, "dh_group", Y, Y, Y},
    {IPSECVPN_OBJECT_IKE_POLICY, "lifetime", Y, Y, Y},
    {IPSECVPN_OBJECT_IKE_POLICY, "local_id", Y, Y, Y},
    {IPSECVPN_OBJECT_IKE_POLICY, "remote_id", Y, Y, Y},
    {IPSECVPN_OBJECT_IPSEC_POLICY, "name", Y, Y, Y},
    {IPSECVPN_OBJECT_IPSEC_POLICY, "description", Y, Y, Y},
    {IPSECVPN_OBJECT_IPSEC_POLICY, "protocol", N, N, N},
    {IPSECVPN_OBJECT_IPSEC_POLICY, "mode", N, N, N},
    {IPSECVPN_OBJECT_IPSEC_POLICY, "encryption", Y, Y, Y},
    {IPSECVPN_OBJECT_IPSEC_POLICY, "integrity", Y, Y, Y},
    {IPSECVPN_OBJECT_IPSEC_POLICY, "pfs", Y, Y, Y},
    {IPSECVPN_OBJECT_IPSEC_POLICY, "lifetime", Y, Y, Y},
    {IPSECVPN_OBJECT_IPSEC_POLICY, "initiator", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "name", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "description", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "admin_state", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "local_address", Y, N, N},
    {IPSECVPN_OBJECT_CONNECTION, "peer_address", N, N, Y},
    {IPSECVPN_OBJECT_CONNECTION, "gateway_type", N, N, N},
    {IPSECVPN_OBJECT_CONNECTION, "psk", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "routing_mode", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "local_cidrs", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "remote_cidrs", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "effective_immediately", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "initiator", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "mtu", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "nat_traversal", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "dpd.enabled", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "dpd.action", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "dpd.interval", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "dpd.timeout", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "bgp.enabled", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "bgp.tunnel_cidr", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "bgp.local_ip", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "bgp.local_asn", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "health_check.enabled", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "health_check.destination_ip", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "health_check.source_ip", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "health_check.interval", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "health_check.retry", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "health_check.route_policy", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "association.type", N, N, N},
    {IPSECVPN_OBJECT_CONNECTION, "association.vpn_gateway", N, N, N},
    {IPSECVPN_OBJECT_CONNECTION, "association.transit_router", N, N, N},
    {IPSECVPN_OBJECT_CONNECTION, "association.zone", N, N, N},
    {IPSECVPN_OBJECT_CONNECTION, "association.customer_gateway", N, N, Y},
    {IPSECVPN_OBJECT_CONNECTION, "ike.name", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "ike.description", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "ike.version", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "ike.mode", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "ike.encryption", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "ike.integrity", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "ike.dh_group", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "ike.lifetime", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "ike.local_id", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "ike.remote_id", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "ipsec.name", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "ipsec.description", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "ipsec.protocol", N, N, N},
    {IPSECVPN_OBJECT_CONNECTION, "ipsec.mode", N, N, N},
    {IPSECVPN_OBJECT_CONNECTION, "ipsec.encryption", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "ipsec.integrity", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "ipsec.pfs", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "ipsec.lifetime", Y, Y, Y},
    {IPSECVPN_OBJECT_CONNECTION, "ipsec.initiator", Y, Y, Y},
};
#define N_EXPECTED (sizeof expected / sizeof expected[0])

static const char *const assoc_spelling[3] = {"none", "vpn-gateway", "transit-router"};

static int expected_answer(const struct expect *e, int assoc)
{
    return assoc == 0 ? e->none : assoc == 1 ? e->vpn : e->tr;
}


Test(edit_rules, status_names)
{
    static const char *const names[N_STATUS] = {
        "DOWN", "BUILD", "ACTIVE", "ERROR", "PENDING_CREATE", "CREATE_ERROR",
        "PENDING_UPDATE", "PENDING_DELETE", "DELETING"};
    for (int s = 0; s < N_STATUS; s++)
        cr_assert_str_eq(ipsecvpn_status_name((ipsecvpn_status)s), names[s]);
    cr_assert_str_eq(ipsecvpn_status_name((ipsecvpn_status)9), "UNKNOWN");
    cr_assert_str_eq(ipsecvpn_status_name((ipsecvpn_status)-1), "UNKNOWN");
}

Test(edit_rules, every_status_for_edit_and_delete)
{
    for (int s = 0; s < N_STATUS; s++) {
        cr_assert_eq(ivpn_status_allows_edit((ipsecvpn_status)s), rt_edit_ok[s] == Y, "edit %d", s);
        cr_assert_eq(ivpn_status_allows_delete((ipsecvpn_status)s), rt_delete_ok[s] == Y,
                     "delete %d", s);
        /* The public question answers "no" in every status that refuses edits, for every
         * kind, even for fields the table allows. */
        cr_assert_eq(ipsecvpn_field_editable(IPSECVPN_OBJECT_CONNECTION, "psk",
                                             (ipsecvpn_status)s, NULL), rt_edit_ok[s]);
        cr_assert_eq(ipsecvpn_field_editable(IPSECVPN_OBJECT_IKE_POLICY, "lifetime",
                                             (ipsecvpn_status)s, NULL), rt_edit_ok[s]);
        cr_assert_eq(ipsecvpn_field_editable(IPSECVPN_OBJECT_IPSEC_POLICY, "pfs",
                                             (ipsecvpn_status)s, NULL), rt_edit_ok[s]);
    }
    cr_assert_not(ivpn_status_allows_edit((ipsecvpn_status)9));
    cr_assert_not(ivpn_status_allows_delete((ipsecvpn_status)9));
    cr_assert_eq(ipsecvpn_field_editable(IPSECVPN_OBJECT_CONNECTION, "psk",
                                         (ipsecvpn_status)42, NULL), 0);
}

Test(edit_rules, status_transitions)
{
    for (int f = 0; f < N_STATUS; f++) {
        for (int t = 0; t < N_STATUS; t++) {
            cr_assert_eq(ivpn_status_transition_allowed((ipsecvpn_status)f, (ipsecvpn_status)t),
                         rt_transition_ok[f][t] == Y, "%d -> %d", f, t);
        }
        /* Into the removal states only from a deletable state. */
        if (!rt_delete_ok[f] && f != IPSECVPN_STATUS_PENDING_DELETE && f != IPSECVPN_STATUS_DELETING)
            cr_assert_not(ivpn_status_transition_allowed((ipsecvpn_status)f,
                                                         IPSECVPN_STATUS_DELETING));
        cr_assert_not(ivpn_status_transition_allowed((ipsecvpn_status)f, (ipsecvpn_status)9));
        cr_assert_not(ivpn_status_transition_allowed((ipsecvpn_status)9, (ipsecvpn_status)f));
    }
}

Test(edit_rules, every_row_in_every_association)
{
    for (size_t i = 0; i < N_EXPECTED; i++) {
        const struct expect *e = &expected[i];
        for (int a = 0; a < 3; a++) {
            int want = expected_answer(e, a);
            /* Policies have no association: the answer is the same for any spelling. */
            cr_assert_eq(ipsecvpn_field_editable(e->kind, e->field, IPSECVPN_STATUS_DOWN,
                                                 assoc_spelling[a]), want,
                         "kind %d field %s assoc %s", e->kind, e->field, assoc_spelling[a]);
            cr_assert_eq(ipsecvpn_field_editable(e->kind, e->field, IPSECVPN_STATUS_ACTIVE,
                                                 assoc_spelling[a]), want);
            int rc = ivpn_edit_rule_check(e->kind, e->field, (ivpn_assoc_type)a, NULL);
            cr_assert_eq(rc, want ? IPSECVPN_OK : IPSECVPN_ERR_CONFIG_IMMUTABLE, "%s", e->field);
            /* Never editable in a status that refuses edits. */
            cr_assert_eq(ipsecvpn_field_editable(e->kind, e->field, IPSECVPN_STATUS_BUILD,
                                                 assoc_spelling[a]), 0);
            cr_assert_eq(ipsecvpn_field_editable(e->kind, e->field,
                                                 IPSECVPN_STATUS_CREATE_ERROR,
                                                 assoc_spelling[a]), 0);
        }
        /* NULL association means none. */
        cr_assert_eq(ipsecvpn_field_editable(e->kind, e->field, IPSECVPN_STATUS_DOWN, NULL),
                     e->none);
    }
}

/* The library's table has exactly the rows above: none missing, none extra, same answers. */
Test(edit_rules, table_matches_expectations_row_for_row)
{
    static const ipsecvpn_object_kind kinds[] = {IPSECVPN_OBJECT_IKE_POLICY,
                                                 IPSECVPN_OBJECT_IPSEC_POLICY,
                                                 IPSECVPN_OBJECT_CONNECTION};
    size_t total = 0;
    for (size_t k = 0; k < 3; k++) {
        const char *field;
        bool editable[3];
        for (size_t i = 0; ivpn_edit_rule_row(kinds[k], i, &field, editable); i++) {
            const struct expect *match = NULL;
            for (size_t j = 0; j < N_EXPECTED; j++) {
                if (expected[j].kind == kinds[k] && strcmp(expected[j].field, field) == 0)
                    match = &expected[j];
            }
            cr_assert_not_null(match, "library row %s (kind %d) has no expectation", field,
                               kinds[k]);
            for (int a = 0; a < 3; a++)
                cr_assert_eq(editable[a], expected_answer(match, a) == Y, "%s", field);
            total++;
        }
    }
    cr_assert_eq(total, N_EXPECTED);
}

Test(edit_rules, aliases_answer_like_their_field)
{
    for (int s = 0; s < N_STATUS; s++) {
        ipsecvpn_status st = (ipsecvpn_status)s;
        for (int a = 0; a < 3; a++) {
            cr_assert_eq(ipsecvpn_field_editable(IPSECVPN_OBJECT_IKE_POLICY, "authentication",
                                                 st, assoc_spelling[a]),
                         ipsecvpn_field_editable(IPSECVPN_OBJECT_IKE_POLICY, "integrity", st,
                                                 assoc_spelling[a]));
            cr_assert_eq(ipsecvpn_field_editable(IPSECVPN_OBJECT_IPSEC_POLICY, "authentication",
                                                 st, assoc_spelling[a]),
                         ipsecvpn_field_editable(IPSECVPN_OBJECT_IPSEC_POLICY, "integrity", st,
                                                 assoc_spelling[a]));
            cr_assert_eq(ipsecvpn_field_editable(IPSECVPN_OBJECT_CONNECTION,
                                                 "ike.authentication", st, assoc_spelling[a]),
                         ipsecvpn_field_editable(IPSECVPN_OBJECT_CONNECTION, "ike.integrity",
                                                 st, assoc_spelling[a]));
            cr_assert_eq(ipsecvpn_field_editable(IPSECVPN_OBJECT_CONNECTION,
                                                 "ipsec.authentication", st, assoc_spelling[a]),
                         ipsecvpn_field_editable(IPSECVPN_OBJECT_CONNECTION, "ipsec.integrity",
                                                 st, assoc_spelling[a]));
        }
    }
    const char *canon = NULL;
    cr_assert_eq(ivpn_edit_rule_check(IPSECVPN_OBJECT_CONNECTION, "ike.authentication",
                                      IVPN_ASSOC_NONE, &canon), IPSECVPN_OK);
    cr_assert_str_eq(canon, "ike.integrity");
    cr_assert_eq(ivpn_edit_rule_check(IPSECVPN_OBJECT_IPSEC_POLICY, "authentication",
                                      IVPN_ASSOC_NONE, &canon), IPSECVPN_OK);
    cr_assert_str_eq(canon, "integrity");
    /* An alias of one kind is not a field of another. */
    cr_assert_eq(ipsecvpn_field_editable(IPSECVPN_OBJECT_CONNECTION, "authentication",
                                         IPSECVPN_STATUS_DOWN, NULL), 0);
}

Test(edit_rules, unknown_fields_kinds_associations_and_null)
{
    cr_assert_eq(ivpn_edit_rule_check(IPSECVPN_OBJECT_CONNECTION, "ike.bogus", IVPN_ASSOC_NONE,
                                      NULL), IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD);
    /* on an IKE policy "pfs" is the OpenStack name of dh_group, not the IPsec field */
    const char *canon = NULL;
    cr_assert_eq(ivpn_edit_rule_check(IPSECVPN_OBJECT_IKE_POLICY, "pfs", IVPN_ASSOC_NONE, &canon),
                 IPSECVPN_OK);
    cr_assert_str_eq(canon, "dh_group");
    cr_assert_eq(ivpn_edit_rule_check(IPSECVPN_OBJECT_IPSEC_POLICY, "pfs", IVPN_ASSOC_NONE,
                                      &canon), IPSECVPN_OK);
    cr_assert_str_eq(canon, "pfs");
    cr_assert_eq(ivpn_edit_rule_check(IPSECVPN_OBJECT_CONNECTION, "pfs", IVPN_ASSOC_NONE, NULL),
                 IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD);
    cr_assert_eq(ivpn_edit_rule_check(IPSECVPN_OBJECT_IPSEC_POLICY, "dh_group", IVPN_ASSOC_NONE,
                                      NULL), IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD);
    cr_assert_eq(ivpn_edit_rule_check(IPSECVPN_OBJECT_CONNECTION, NULL, IVPN_ASSOC_NONE, NULL),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ivpn_edit_rule_check((ipsecvpn_object_kind)7, "name", IVPN_ASSOC_NONE, NULL),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ivpn_edit_rule_check(IPSECVPN_OBJECT_CONNECTION, "name", (ivpn_assoc_type)7,
                                      NULL), IPSECVPN_ERR_CONFIG_IMMUTABLE);

    cr_assert_eq(ipsecvpn_field_editable(IPSECVPN_OBJECT_CONNECTION, "nonsense",
                                         IPSECVPN_STATUS_DOWN, NULL), 0);
    cr_assert_eq(ipsecvpn_field_editable(IPSECVPN_OBJECT_CONNECTION, "", IPSECVPN_STATUS_DOWN,
                                         NULL), 0);
    cr_assert_eq(ipsecvpn_field_editable(IPSECVPN_OBJECT_CONNECTION, "NAME",
                                         IPSECVPN_STATUS_DOWN, NULL), 0);
    cr_assert_eq(ipsecvpn_field_editable(IPSECVPN_OBJECT_CONNECTION, "dpd.",
                                         IPSECVPN_STATUS_DOWN, NULL), 0);
    cr_assert_eq(ipsecvpn_field_editable(IPSECVPN_OBJECT_CONNECTION, NULL,
                                         IPSECVPN_STATUS_DOWN, NULL), 0);
    cr_assert_eq(ipsecvpn_field_editable((ipsecvpn_object_kind)3, "name", IPSECVPN_STATUS_DOWN,
                                         NULL), 0);
    /* An unknown association spelling allows nothing on connections ... */
    cr_assert_eq(ipsecvpn_field_editable(IPSECVPN_OBJECT_CONNECTION, "name",
                                         IPSECVPN_STATUS_DOWN, "vpn_gateway"), 0);
    cr_assert_eq(ipsecvpn_field_editable(IPSECVPN_OBJECT_CONNECTION, "name",
                                         IPSECVPN_STATUS_DOWN, "vpn-gateway"), 1);
    /* ... and is ignored for policies, which have no association. */
    cr_assert_eq(ipsecvpn_field_editable(IPSECVPN_OBJECT_IKE_POLICY, "name",
                                         IPSECVPN_STATUS_DOWN, "whatever"), 1);
}

Test(edit_rules, association_names_round_trip)
{
    for (int a = 0; a < 3; a++) {
        ivpn_assoc_type t = (ivpn_assoc_type)99;
        cr_assert(ivpn_assoc_parse(assoc_spelling[a], &t));
        cr_assert_eq((int)t, a);
        cr_assert_str_eq(ivpn_assoc_name(t), assoc_spelling[a]);
    }
    ivpn_assoc_type t = IVPN_ASSOC_VPN_GATEWAY;
    cr_assert(ivpn_assoc_parse(NULL, &t));
    cr_assert_eq(t, IVPN_ASSOC_NONE);
    cr_assert_not(ivpn_assoc_parse("transit_router", &t));
    cr_assert_str_eq(ivpn_assoc_name((ivpn_assoc_type)5), "unknown");
}
