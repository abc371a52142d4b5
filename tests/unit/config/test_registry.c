/* The registry: names, statuses, edit rules applied to connections, deletion rules. */
#include "registry_test_util.h"

TestSuite(registry, .init = rt_setup, .fini = rt_teardown);

Test(registry, null_and_bad_arguments)
{
    ipsecvpn_registry *reg = (ipsecvpn_registry *)1;
    cr_assert_eq(ipsecvpn_registry_new(NULL, IPSECVPN_PROFILE_CLOUD, &reg), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_null(reg);
    cr_assert_eq(ipsecvpn_registry_new(rt_ctx, (ipsecvpn_profile)3, &reg), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_new(rt_ctx, IPSECVPN_PROFILE_CLOUD, NULL),
                 IPSECVPN_ERR_INVALID_ARG);
    ipsecvpn_registry_free(NULL);

    reg = rt_registry();
    ipsecvpn_ike_policy *ike = rt_ike_policy("p1", NULL, NULL);
    ipsecvpn_connection *c = rt_connection("c1", NULL);
    const char *f[] = {"description"}, *v[] = {"x"}, *nullv[] = {NULL};
    ipsecvpn_status st;

    cr_assert_eq(ipsecvpn_registry_add_ike_policy(NULL, ike), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_add_ike_policy(reg, NULL), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_add_ipsec_policy(NULL, NULL), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_add_ipsec_policy(reg, NULL), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_add_connection(NULL, c, NULL, NULL, NULL),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_add_connection(reg, NULL, NULL, NULL, NULL),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_add_ike_policy(reg, ike), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_add_connection(reg, c, "p1", NULL, NULL), IPSECVPN_OK);

    cr_assert_eq(ipsecvpn_registry_update_ike_policy(NULL, "p1", f, v, 1, NULL),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_update_ike_policy(reg, NULL, f, v, 1, NULL),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_update_ike_policy(reg, "p1", NULL, v, 1, NULL),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_update_ike_policy(reg, "p1", f, NULL, 1, NULL),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_update_ike_policy(reg, "p1", f, nullv, 1, NULL),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_update_ipsec_policy(reg, NULL, f, v, 1, NULL),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_update_ipsec_policy(NULL, "p1", f, v, 1, NULL),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_update_connection(NULL, "c1", f, v, 1, NULL),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_update_connection(reg, NULL, f, v, 1, NULL),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_update_connection(reg, "c1", NULL, v, 1, NULL),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_update_connection(reg, "c1", f, nullv, 1, NULL),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_delete_ike_policy(NULL, "p1"), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_delete_ike_policy(reg, NULL), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_delete_ipsec_policy(NULL, "p1"), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_delete_ipsec_policy(reg, NULL), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_delete_connection(NULL, "c1"), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_delete_connection(reg, NULL), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_null(ipsecvpn_registry_ike_policy(NULL, "p1"));
    cr_assert_null(ipsecvpn_registry_ike_policy(reg, NULL));
    cr_assert_null(ipsecvpn_registry_ipsec_policy(NULL, "p1"));
    cr_assert_null(ipsecvpn_registry_ipsec_policy(reg, NULL));
    cr_assert_null(ipsecvpn_registry_connection(NULL, "c1"));
    cr_assert_null(ipsecvpn_registry_connection(reg, NULL));
    cr_assert_eq(ipsecvpn_registry_set_status(NULL, "c1", IPSECVPN_STATUS_ACTIVE),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_set_status(reg, NULL, IPSECVPN_STATUS_ACTIVE),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_set_status(reg, "c1", (ipsecvpn_status)9),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_set_status(reg, "c1", (ipsecvpn_status)-1),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_get_status(NULL, "c1", &st), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_get_status(reg, NULL, &st), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_registry_get_status(reg, "c1", NULL), IPSECVPN_ERR_INVALID_ARG);
    /* None of that changed anything. */
    cr_assert_eq(ipsecvpn_registry_get_status(reg, "c1", &st), IPSECVPN_OK);
    cr_assert_eq(st, IPSECVPN_STATUS_DOWN);
    cr_assert_str_eq(rt_conn_get(reg, "c1", "description"), "");
    ipsecvpn_registry_free(reg);
}

Test(registry, duplicate_missing_and_unknown_names)
{
    ipsecvpn_registry *reg = rt_registry();
    ipsecvpn_ike_policy *p1 = rt_ike_policy("p1", NULL, NULL);
    ipsecvpn_ike_policy *p1b = rt_ike_policy("p1", NULL, NULL);
    ipsecvpn_ike_policy *unnamed = rt_ike_policy(NULL, NULL, NULL);
    ipsecvpn_ipsec_policy *q1 = rt_ipsec_policy("p1"); /* other kind: same name is fine */
    ipsecvpn_ipsec_policy *q1b = rt_ipsec_policy("p1");
    ipsecvpn_ipsec_policy *q_unnamed = rt_ipsec_policy(NULL);

    cr_assert_eq(ipsecvpn_registry_add_ike_policy(reg, p1), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_add_ike_policy(reg, p1b), IPSECVPN_ERR_EXISTS);
    cr_assert_eq(ipsecvpn_registry_add_ike_policy(reg, p1), IPSECVPN_ERR_EXISTS);
    cr_assert_eq(ipsecvpn_registry_add_ike_policy(reg, unnamed), IPSECVPN_ERR_CONFIG_REQUIRED);
    cr_assert_eq(ipsecvpn_registry_add_ipsec_policy(reg, q1), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_add_ipsec_policy(reg, q1b), IPSECVPN_ERR_EXISTS);
    cr_assert_eq(ipsecvpn_registry_add_ipsec_policy(reg, q_unnamed),
                 IPSECVPN_ERR_CONFIG_REQUIRED);
    cr_assert_eq(ipsecvpn_registry_ike_policy(reg, "p1"), p1);
    cr_assert_eq(ipsecvpn_registry_ipsec_policy(reg, "p1"), q1);
    cr_assert_null(ipsecvpn_registry_ike_policy(reg, "p2"));
    cr_assert_null(ipsecvpn_registry_ipsec_policy(reg, "P1"));

    ipsecvpn_connection *c1 = rt_connection("c1", NULL);
    ipsecvpn_connection *c1b = rt_connection("c1", NULL);
    ipsecvpn_connection *c_unnamed = rt_connection(NULL, NULL);
    ipsecvpn_connection *c2 = rt_connection("c2", NULL);
    ipsecvpn_report *rep = rt_report();
    cr_assert_eq(ipsecvpn_registry_add_connection(reg, c1, NULL, NULL, NULL), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_add_connection(reg, c1b, NULL, NULL, rep), IPSECVPN_ERR_EXISTS);
    cr_assert_str_eq(ipsecvpn_report_field(rep, 0), "name");
    cr_assert_eq(ipsecvpn_report_code(rep, 0), IPSECVPN_ERR_EXISTS);
    cr_assert_eq(ipsecvpn_registry_add_connection(reg, c_unnamed, NULL, NULL, NULL),
                 IPSECVPN_ERR_CONFIG_REQUIRED);
    char *before = rt_snapshot_conn(c2);
    cr_assert_eq(ipsecvpn_registry_add_connection(reg, c2, "nope", NULL, NULL),
                 IPSECVPN_ERR_NOT_FOUND);
    cr_assert_eq(ipsecvpn_registry_add_connection(reg, c2, NULL, "nope", NULL),
                 IPSECVPN_ERR_NOT_FOUND);
    rt_assert_conn_unchanged(c2, before); /* refused: handed back untouched */
    cr_assert_null(ipsecvpn_registry_connection(reg, "c2"));
    cr_assert_eq(ipsecvpn_registry_connection(reg, "c1"), c1);

    const char *f[] = {"description"}, *v[] = {"x"};
    ipsecvpn_status st;
    cr_assert_eq(ipsecvpn_registry_update_connection(reg, "c9", f, v, 1, NULL),
                 IPSECVPN_ERR_NOT_FOUND);
    cr_assert_eq(ipsecvpn_registry_update_ike_policy(reg, "p9", f, v, 1, NULL),
                 IPSECVPN_ERR_NOT_FOUND);
    cr_assert_eq(ipsecvpn_registry_update_ipsec_policy(reg, "p9", f, v, 1, NULL),
                 IPSECVPN_ERR_NOT_FOUND);
    cr_assert_eq(ipsecvpn_registry_delete_connection(reg, "c9"), IPSECVPN_ERR_NOT_FOUND);
    cr_assert_eq(ipsecvpn_registry_delete_ike_policy(reg, "p9"), IPSECVPN_ERR_NOT_FOUND);
    cr_assert_eq(ipsecvpn_registry_delete_ipsec_policy(reg, "p9"), IPSECVPN_ERR_NOT_FOUND);
    cr_assert_eq(ipsecvpn_registry_set_status(reg, "c9", IPSECVPN_STATUS_ACTIVE),
                 IPSECVPN_ERR_NOT_FOUND);
    cr_assert_eq(ipsecvpn_registry_get_status(reg, "c9", &st), IPSECVPN_ERR_NOT_FOUND);

    free(before);
    ipsecvpn_report_free(rep);
    ipsecvpn_ike_policy_free(p1b);
    ipsecvpn_ike_policy_free(unnamed);
    ipsecvpn_ipsec_policy_free(q1b);
    ipsecvpn_ipsec_policy_free(q_unnamed);
    ipsecvpn_connection_free(c1b);
    ipsecvpn_connection_free(c_unnamed);
    ipsecvpn_connection_free(c2);
    ipsecvpn_registry_free(reg);
}

Test(registry, add_connection_binds_policies_and_validates)
{
    ipsecvpn_registry *reg = rt_registry();
    cr_assert_eq(ipsecvpn_registry_add_ike_policy(reg, rt_ike_policy("p1", "ikev2", "aes256")),
                 IPSECVPN_OK);
    ipsecvpn_ipsec_policy *q = rt_ipsec_policy("q1");
    const char *qf[] = {"pfs", "encryption"}, *qv[] = {"group14", "aes192"};
    cr_assert_eq(ipsecvpn_ipsec_policy_update(q, qf, qv, 2, NULL), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_add_ipsec_policy(reg, q), IPSECVPN_OK);

    ipsecvpn_connection *c = rt_connection("c1", NULL);
    cr_assert_eq(ipsecvpn_registry_add_connection(reg, c, "p1", "q1", NULL), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_connection(reg, "c1"), c); /* the same object, kept */
    cr_assert_str_eq(rt_conn_get(reg, "c1", "ike.version"), "ikev2");
    cr_assert_str_eq(rt_conn_get(reg, "c1", "ike.encryption"), "aes256");
    cr_assert_str_eq(rt_conn_get(reg, "c1", "ike.name"), "p1");
    cr_assert_str_eq(rt_conn_get(reg, "c1", "ipsec.pfs"), "group14");
    cr_assert_str_eq(rt_conn_get(reg, "c1", "ipsec.encryption"), "aes192");
    ipsecvpn_status st = IPSECVPN_STATUS_ERROR;
    cr_assert_eq(ipsecvpn_registry_get_status(reg, "c1", &st), IPSECVPN_OK);
    cr_assert_eq(st, IPSECVPN_STATUS_DOWN);

    /* A connection that does not validate (no peer address) is refused and left as it was. */
    ipsecvpn_connection *bad;
    cr_assert_eq(ipsecvpn_connection_new(rt_ctx, IPSECVPN_PROFILE_CLOUD, &bad), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_connection_set(bad, "name", "bad", NULL), IPSECVPN_OK);
    char *before = rt_snapshot_conn(bad);
    ipsecvpn_report *rep = rt_report();
    int rc = ipsecvpn_registry_add_connection(reg, bad, "p1", NULL, rep);
    cr_assert_lt(rc, 0);
    cr_assert_gt(ipsecvpn_report_errors(rep), 0);
    rt_assert_conn_unchanged(bad, before);
    cr_assert_null(ipsecvpn_registry_connection(reg, "bad"));

    /* Binding that would break the connection (IKEv1 policy, two CIDRs) is refused too. */
    cr_assert_eq(ipsecvpn_registry_add_ike_policy(reg, rt_ike_policy("v1", "ikev1", NULL)),
                 IPSECVPN_OK);
    ipsecvpn_connection *flows = rt_connection("flows", NULL);
    rt_make_two_flows(flows);
    char *before2 = rt_snapshot_conn(flows);
    cr_assert_lt(ipsecvpn_registry_add_connection(reg, flows, "v1", NULL, NULL), 0);
    rt_assert_conn_unchanged(flows, before2);
    cr_assert_eq(ipsecvpn_registry_add_connection(reg, flows, "p1", NULL, NULL), IPSECVPN_OK);

    free(before);
    free(before2);
    ipsecvpn_report_free(rep);
    ipsecvpn_connection_free(bad);
    ipsecvpn_registry_free(reg);
}

/* Every status × {edit, delete} through the registry, with nothing changed on refusal. */
Test(registry, every_status_for_edit)
{
    for (int s = 0; s < RT_N_STATUS; s++) {
        ipsecvpn_registry *reg = rt_registry();
        cr_assert_eq(ipsecvpn_registry_add_connection(reg, rt_connection("c1", NULL), NULL,
                                                      NULL, NULL), IPSECVPN_OK);
        rt_drive_to(reg, "c1", (ipsecvpn_status)s);
        char *before = rt_snapshot_conn(ipsecvpn_registry_connection(reg, "c1"));
        const char *f[] = {"description", "psk"}, *v[] = {"edited", "another-key-2"};
        rt_log_reset();
        int rc = ipsecvpn_registry_update_connection(reg, "c1", f, v, 2, NULL);
        if (rt_edit_ok[s]) {
            cr_assert_eq(rc, IPSECVPN_OK, "status %s", ipsecvpn_status_name((ipsecvpn_status)s));
            cr_assert_str_eq(rt_conn_get(reg, "c1", "description"), "edited");
            cr_assert_str_eq(rt_conn_get(reg, "c1", "psk"), "another-key-2");
            cr_assert_eq(rt_log.warnings, 0);
        } else {
            cr_assert_eq(rc, IPSECVPN_ERR_STATE, "status %s",
                         ipsecvpn_status_name((ipsecvpn_status)s));
            rt_assert_conn_unchanged(ipsecvpn_registry_connection(reg, "c1"), before);
            cr_assert_eq(rt_log.warnings, 1);
            cr_assert(strstr(rt_log.last, ipsecvpn_status_name((ipsecvpn_status)s)) != NULL,
                      "%s", rt_log.last);
        }
        ipsecvpn_status st;
        cr_assert_eq(ipsecvpn_registry_get_status(reg, "c1", &st), IPSECVPN_OK);
        cr_assert_eq((int)st, s);
        free(before);
        ipsecvpn_registry_free(reg);
    }
}

Test(registry, every_status_for_delete)
{
    for (int s = 0; s < RT_N_STATUS; s++) {
        ipsecvpn_registry *reg = rt_registry();
        cr_assert_eq(ipsecvpn_registry_add_connection(reg, rt_connection("c1", NULL), NULL,
                                                      NULL, NULL), IPSECVPN_OK);
        rt_drive_to(reg, "c1", (ipsecvpn_status)s);
        rt_log_reset();
        int rc = ipsecvpn_registry_delete_connection(reg, "c1");
        if (rt_delete_ok[s]) {
            cr_assert_eq(rc, IPSECVPN_OK, "status %s", ipsecvpn_status_name((ipsecvpn_status)s));
            cr_assert_null(ipsecvpn_registry_connection(reg, "c1"));
            cr_assert_eq(rt_log.warnings, 0);
        } else {
            cr_assert_eq(rc, IPSECVPN_ERR_STATE, "status %s",
                         ipsecvpn_status_name((ipsecvpn_status)s));
            cr_assert_not_null(ipsecvpn_registry_connection(reg, "c1"));
            cr_assert_eq(rt_log.warnings, 1);
        }
        ipsecvpn_registry_free(reg);
    }
}

Test(registry, set_status_follows_the_transition_table)
{
    for (int from = 0; from < RT_N_STATUS; from++) {
        for (int to = 0; to < RT_N_STATUS; to++) {
            ipsecvpn_registry *reg = rt_registry();
            cr_assert_eq(ipsecvpn_registry_add_connection(reg, rt_connection("c1", NULL), NULL,
                                                          NULL, NULL), IPSECVPN_OK);
            rt_drive_to(reg, "c1", (ipsecvpn_status)from);
            rt_log_reset();
            int rc = ipsecvpn_registry_set_status(reg, "c1", (ipsecvpn_status)to);
            ipsecvpn_status st;
            cr_assert_eq(ipsecvpn_registry_get_status(reg, "c1", &st), IPSECVPN_OK);
            if (rt_transition_ok[from][to]) {
                cr_assert_eq(rc, IPSECVPN_OK, "%d -> %d", from, to);
                cr_assert_eq((int)st, to);
            } else {
                cr_assert_eq(rc, IPSECVPN_ERR_STATE, "%d -> %d", from, to);
                cr_assert_eq((int)st, from);
                cr_assert_eq(rt_log.warnings, 1);
            }
            ipsecvpn_registry_free(reg);
        }
    }
}

/* Every (row, association) the table forbids is refused by update_connection, whatever the
 * value, and nothing changes; every row it allows gets past the rules (the value may still
 * be refused by the field parser, but never as IMMUTABLE). */
Test(registry, every_connection_row_through_update)
{
    static const char *const assoc[3] = {NULL, "vpn-gateway", "transit-router"};
    for (int a = 0; a < 3; a++) {
        ipsecvpn_registry *reg = rt_registry();
        cr_assert_eq(ipsecvpn_registry_add_connection(reg, rt_connection("c1", assoc[a]), NULL,
                                                      NULL, NULL), IPSECVPN_OK);
        const char *field;
        bool editable[3];
        for (size_t i = 0; ivpn_edit_rule_row(IPSECVPN_OBJECT_CONNECTION, i, &field, editable);
             i++) {
            char *before = rt_snapshot_conn(ipsecvpn_registry_connection(reg, "c1"));
            const char *f[] = {field}, *v[] = {rt_conn_get(reg, "c1", field)};
            char *same = strdup(v[0]);
            v[0] = same;
            ipsecvpn_report *rep = rt_report();
            rt_log_reset();
            int rc = ipsecvpn_registry_update_connection(reg, "c1", f, v, 1, rep);
            if (!editable[a]) {
                cr_assert_eq(rc, IPSECVPN_ERR_CONFIG_IMMUTABLE, "%s with %s", field,
                             assoc[a] ? assoc[a] : "none");
                cr_assert_str_eq(ipsecvpn_report_field(rep, 0), field);
                cr_assert_eq(ipsecvpn_report_code(rep, 0), IPSECVPN_ERR_CONFIG_IMMUTABLE);
                cr_assert_eq(rt_log.warnings, 1);
                cr_assert(strstr(rt_log.last, field) != NULL, "%s", rt_log.last);
            } else {
                /* Past the rules: writing back the current value either succeeds or is
                 * judged by the field parser (e.g. an empty ike.name), never refused as
                 * immutable, unknown or by status. */
                cr_assert(rc != IPSECVPN_ERR_CONFIG_IMMUTABLE && rc != IPSECVPN_ERR_STATE &&
                              rc != IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD,
                          "%s with %s: %d %s", field, assoc[a] ? assoc[a] : "none", rc,
                          ipsecvpn_report_message(rep, 0));
            }
            rt_assert_conn_unchanged(ipsecvpn_registry_connection(reg, "c1"), before);
            free(same);
            free(before);
            ipsecvpn_report_free(rep);
        }
        ipsecvpn_registry_free(reg);
    }
}

Test(registry, association_rules_with_real_edits)
{
    ipsecvpn_registry *reg = rt_registry();
    cr_assert_eq(ipsecvpn_registry_add_connection(reg, rt_connection("none", NULL), NULL, NULL,
                                                  NULL), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_add_connection(reg, rt_connection("vgw", "vpn-gateway"), NULL,
                                                  NULL, NULL), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_add_connection(reg, rt_connection("tr", "transit-router"),
                                                  NULL, NULL, NULL), IPSECVPN_OK);
    const char *peer[] = {"peer_address"}, *newpeer[] = {"198.51.100.77"};
    cr_assert_eq(ipsecvpn_registry_update_connection(reg, "none", peer, newpeer, 1, NULL),
                 IPSECVPN_ERR_CONFIG_IMMUTABLE);
    cr_assert_eq(ipsecvpn_registry_update_connection(reg, "vgw", peer, newpeer, 1, NULL),
                 IPSECVPN_ERR_CONFIG_IMMUTABLE);
    cr_assert_eq(ipsecvpn_registry_update_connection(reg, "tr", peer, newpeer, 1, NULL),
                 IPSECVPN_OK);
    cr_assert_str_eq(rt_conn_get(reg, "tr", "peer_address"), "198.51.100.77");
    cr_assert_str_eq(rt_conn_get(reg, "vgw", "peer_address"), RT_PEER);

    const char *cgw[] = {"association.customer_gateway"}, *newcgw[] = {"cgw-new"};
    cr_assert_eq(ipsecvpn_registry_update_connection(reg, "tr", cgw, newcgw, 1, NULL),
                 IPSECVPN_OK);
    cr_assert_str_eq(rt_conn_get(reg, "tr", "association.customer_gateway"), "cgw-new");
    cr_assert_eq(ipsecvpn_registry_update_connection(reg, "vgw", cgw, newcgw, 1, NULL),
                 IPSECVPN_ERR_CONFIG_IMMUTABLE);

    /* Routing mode, PSK, advanced settings: editable with a VPN gateway. */
    const char *adv[] = {"psk", "dpd.enabled", "nat_traversal", "ike.lifetime", "ipsec.pfs"};
    const char *advv[] = {"new-secret-3", "on", "on", "28800", "group5"};
    cr_assert_eq(ipsecvpn_registry_update_connection(reg, "vgw", adv, advv, 5, NULL),
                 IPSECVPN_OK);
    cr_assert_str_eq(rt_conn_get(reg, "vgw", "psk"), "new-secret-3");
    cr_assert_str_eq(rt_conn_get(reg, "vgw", "dpd.enabled"), "on");
    cr_assert_str_eq(rt_conn_get(reg, "vgw", "ike.lifetime"), "28800");
    cr_assert_str_eq(rt_conn_get(reg, "vgw", "ipsec.pfs"), "group5");

    /* One forbidden field spoils the whole update: the allowed ones are not applied. */
    char *before = rt_snapshot_conn(ipsecvpn_registry_connection(reg, "vgw"));
    const char *mixed[] = {"psk", "association.vpn_gateway"}, *mixedv[] = {"zzz-9", "vpn-x"};
    ipsecvpn_report *rep = rt_report();
    cr_assert_eq(ipsecvpn_registry_update_connection(reg, "vgw", mixed, mixedv, 2, rep),
                 IPSECVPN_ERR_CONFIG_IMMUTABLE);
    cr_assert_str_eq(ipsecvpn_report_field(rep, 0), "association.vpn_gateway");
    rt_assert_conn_unchanged(ipsecvpn_registry_connection(reg, "vgw"), before);

    /* Gateway type: immutable with none and transit router (spec), and with a VPN gateway. */
    const char *gt[] = {"gateway_type"}, *gtv[] = {"private"};
    cr_assert_eq(ipsecvpn_registry_update_connection(reg, "none", gt, gtv, 1, NULL),
                 IPSECVPN_ERR_CONFIG_IMMUTABLE);
    cr_assert_eq(ipsecvpn_registry_update_connection(reg, "tr", gt, gtv, 1, NULL),
                 IPSECVPN_ERR_CONFIG_IMMUTABLE);
    cr_assert_eq(ipsecvpn_registry_update_connection(reg, "vgw", gt, gtv, 1, NULL),
                 IPSECVPN_ERR_CONFIG_IMMUTABLE);
    free(before);
    ipsecvpn_report_free(rep);
    ipsecvpn_registry_free(reg);
}

Test(registry, refused_values_unknown_fields_and_renames_change_nothing)
{
    ipsecvpn_registry *reg = rt_registry();
    cr_assert_eq(ipsecvpn_registry_add_connection(reg, rt_connection("c1", NULL), NULL, NULL,
                                                  NULL), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_add_connection(reg, rt_connection("c2", NULL), NULL, NULL,
                                                  NULL), IPSECVPN_OK);
    const ipsecvpn_connection *c1 = ipsecvpn_registry_connection(reg, "c1");
    char *before = rt_snapshot_conn(c1);

    const char *bad[] = {"description", "ike.lifetime"}, *badv[] = {"changed", "90000"};
    cr_assert_eq(ipsecvpn_registry_update_connection(reg, "c1", bad, badv, 2, NULL),
                 IPSECVPN_ERR_CONFIG_RANGE);
    rt_assert_conn_unchanged(c1, before);
    const char *unk[] = {"description", "no_such_field"}, *unkv[] = {"changed", "1"};
    cr_assert_eq(ipsecvpn_registry_update_connection(reg, "c1", unk, unkv, 2, NULL),
                 IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD);
    rt_assert_conn_unchanged(c1, before);
    const char *ren[] = {"description", "name"}, *renv[] = {"changed", "c2"};
    cr_assert_eq(ipsecvpn_registry_update_connection(reg, "c1", ren, renv, 2, NULL),
                 IPSECVPN_ERR_EXISTS);
    rt_assert_conn_unchanged(c1, before);

    /* A good rename keeps the object (pointers stay valid) under its new name. */
    renv[1] = "c3";
    cr_assert_eq(ipsecvpn_registry_update_connection(reg, "c1", ren, renv, 2, NULL), IPSECVPN_OK);
    cr_assert_null(ipsecvpn_registry_connection(reg, "c1"));
    cr_assert_eq(ipsecvpn_registry_connection(reg, "c3"), c1);
    cr_assert_str_eq(rt_conn_get(reg, "c3", "description"), "changed");
    free(before);
    ipsecvpn_registry_free(reg);
}
