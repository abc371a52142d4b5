/* The registry's named policies: in-use deletion, edits copied into every user (all or
 * nothing), policy edit rules, renames; and the edit table against the field parser. */
#include "registry_test_util.h"

TestSuite(registry_policy, .init = rt_setup, .fini = rt_teardown);

/* p1 (IKEv2) used by a and b, p2 used by c; q1 (IPsec) used by a. */
static ipsecvpn_registry *three_users(void)
{
    ipsecvpn_registry *reg = rt_registry();
    cr_assert_eq(ipsecvpn_registry_add_ike_policy(reg, rt_ike_policy("p1", "ikev2", NULL)),
                 IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_add_ike_policy(reg, rt_ike_policy("p2", "ikev2", NULL)),
                 IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_add_ipsec_policy(reg, rt_ipsec_policy("q1")), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_add_connection(reg, rt_connection("a", NULL), "p1", "q1",
                                                  NULL), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_add_connection(reg, rt_connection("b", "vpn-gateway"), "p1",
                                                  NULL, NULL), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_add_connection(reg, rt_connection("c", NULL), "p2", NULL,
                                                  NULL), IPSECVPN_OK);
    return reg;
}

/* Snapshot of everything in three_users(): all fields of all objects, and statuses. */
static char *snapshot_all(const ipsecvpn_registry *reg)
{
    static const char *const conns[] = {"a", "b", "c"};
    size_t cap = 1 << 18, len = 0;
    char *out = calloc(1, cap);
    for (size_t i = 0; i < 3; i++) {
        const ipsecvpn_connection *c = ipsecvpn_registry_connection(reg, conns[i]);
        ipsecvpn_status st = IPSECVPN_STATUS_DOWN;
        cr_assert_eq(ipsecvpn_registry_get_status(reg, conns[i], &st), IPSECVPN_OK);
        char *s = rt_snapshot_conn(c);
        len += (size_t)snprintf(out + len, cap - len, "[%s %d]\n%s", conns[i], st, s);
        free(s);
    }
    const char *pols[] = {"p1", "p2"};
    for (size_t i = 0; i < 2; i++) {
        char *s = rt_snapshot(IPSECVPN_OBJECT_IKE_POLICY, ipsecvpn_registry_ike_policy(reg, pols[i]));
        len += (size_t)snprintf(out + len, cap - len, "[%s]\n%s", pols[i], s);
        free(s);
    }
    char *s = rt_snapshot(IPSECVPN_OBJECT_IPSEC_POLICY, ipsecvpn_registry_ipsec_policy(reg, "q1"));
    len += (size_t)snprintf(out + len, cap - len, "[q1]\n%s", s);
    free(s);
    cr_assert_lt(len, cap);
    return out;
}

static void assert_nothing_changed(const ipsecvpn_registry *reg, const char *before)
{
    char *now = snapshot_all(reg);
    cr_assert_str_eq(now, before);
    free(now);
}

static const char *pol_get(const ipsecvpn_registry *reg, const char *name, const char *field)
{
    static char buf[2048];
    cr_assert_eq(ipsecvpn_ike_policy_get(ipsecvpn_registry_ike_policy(reg, name), field, buf,
                                         sizeof(buf), NULL), IPSECVPN_OK);
    return buf;
}

Test(registry_policy, policy_in_use_cannot_be_deleted)
{
    ipsecvpn_registry *reg = three_users();
    rt_log_reset();
    cr_assert_eq(ipsecvpn_registry_delete_ike_policy(reg, "p1"), IPSECVPN_ERR_CONFIG_IN_USE);
    cr_assert_eq(rt_log.warnings, 1);
    cr_assert(strstr(rt_log.last, "p1") != NULL && strstr(rt_log.last, "uses") != NULL, "%s",
              rt_log.last);
    cr_assert_eq(ipsecvpn_registry_delete_ipsec_policy(reg, "q1"), IPSECVPN_ERR_CONFIG_IN_USE);
    cr_assert_not_null(ipsecvpn_registry_ike_policy(reg, "p1"));
    cr_assert_not_null(ipsecvpn_registry_ipsec_policy(reg, "q1"));

    /* p1 stays in use until its last user goes. */
    cr_assert_eq(ipsecvpn_registry_delete_connection(reg, "a"), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_delete_ike_policy(reg, "p1"), IPSECVPN_ERR_CONFIG_IN_USE);
    cr_assert_eq(ipsecvpn_registry_delete_ipsec_policy(reg, "q1"), IPSECVPN_OK);
    cr_assert_null(ipsecvpn_registry_ipsec_policy(reg, "q1"));
    cr_assert_eq(ipsecvpn_registry_delete_connection(reg, "b"), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_delete_ike_policy(reg, "p1"), IPSECVPN_OK);
    cr_assert_null(ipsecvpn_registry_ike_policy(reg, "p1"));
    cr_assert_eq(ipsecvpn_registry_delete_ike_policy(reg, "p1"), IPSECVPN_ERR_NOT_FOUND);
    /* p2 is untouched by all this. */
    cr_assert_eq(ipsecvpn_registry_delete_ike_policy(reg, "p2"), IPSECVPN_ERR_CONFIG_IN_USE);
    ipsecvpn_registry_free(reg);
}

Test(registry_policy, unused_policy_is_deleted_and_name_reusable)
{
    ipsecvpn_registry *reg = rt_registry();
    cr_assert_eq(ipsecvpn_registry_add_ike_policy(reg, rt_ike_policy("p", NULL, NULL)),
                 IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_delete_ike_policy(reg, "p"), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_add_ike_policy(reg, rt_ike_policy("p", NULL, "3des")),
                 IPSECVPN_OK);
    cr_assert_str_eq(pol_get(reg, "p", "encryption"), "3des");
    ipsecvpn_registry_free(reg);
}

Test(registry_policy, edit_is_copied_into_every_user)
{
    ipsecvpn_registry *reg = three_users();
    /* b tuned its own remote id; a later policy edit of other fields keeps it. */
    const char *rid[] = {"ike.remote_id"}, *ridv[] = {"peer.example.com"};
    cr_assert_eq(ipsecvpn_registry_update_connection(reg, "b", rid, ridv, 1, NULL), IPSECVPN_OK);
    char *c_before = rt_snapshot_conn(ipsecvpn_registry_connection(reg, "c"));
    const ipsecvpn_connection *a_ptr = ipsecvpn_registry_connection(reg, "a");

    const char *f[] = {"encryption", "lifetime", "authentication"};
    const char *v[] = {"aes256", "3600", "sha256"};
    cr_assert_eq(ipsecvpn_registry_update_ike_policy(reg, "p1", f, v, 3, NULL), IPSECVPN_OK);
    cr_assert_str_eq(pol_get(reg, "p1", "encryption"), "aes256");
    cr_assert_str_eq(pol_get(reg, "p1", "integrity"), "sha256");
    const char *users[] = {"a", "b"};
    for (int i = 0; i < 2; i++) {
        cr_assert_str_eq(rt_conn_get(reg, users[i], "ike.encryption"), "aes256");
        cr_assert_str_eq(rt_conn_get(reg, users[i], "ike.lifetime"), "3600");
        cr_assert_str_eq(rt_conn_get(reg, users[i], "ike.integrity"), "sha256");
        cr_assert_str_eq(rt_conn_get(reg, users[i], "ike.version"), "ikev2");
    }
    cr_assert_str_eq(rt_conn_get(reg, "b", "ike.remote_id"), "peer.example.com");
    rt_assert_conn_unchanged(ipsecvpn_registry_connection(reg, "c"), c_before);
    cr_assert_eq(ipsecvpn_registry_connection(reg, "a"), a_ptr); /* same object, new values */

    /* IPsec policies likewise. */
    const char *qf[] = {"pfs", "encryption"}, *qv[] = {"group14", "aes192"};
    cr_assert_eq(ipsecvpn_registry_update_ipsec_policy(reg, "q1", qf, qv, 2, NULL), IPSECVPN_OK);
    cr_assert_str_eq(rt_conn_get(reg, "a", "ipsec.pfs"), "group14");
    cr_assert_str_eq(rt_conn_get(reg, "a", "ipsec.encryption"), "aes192");
    cr_assert_str_neq(rt_conn_get(reg, "b", "ipsec.pfs"), "group14");
    free(c_before);
    ipsecvpn_registry_free(reg);
}

/* Going to IKEv1 would break b (two CIDRs): refused everywhere, a (staged first, fine on its
 * own) and the policy included. */
Test(registry_policy, edit_that_breaks_one_user_changes_nothing)
{
    ipsecvpn_registry *reg = three_users();
    const char *fl[] = {"routing_mode", "local_cidrs", "remote_cidrs"};
    const char *flv[] = {"protected-flows", "10.1.0.0/24,10.2.0.0/24", "192.168.1.0/24"};
    cr_assert_eq(ipsecvpn_registry_update_connection(reg, "b", fl, flv, 3, NULL), IPSECVPN_OK);
    char *before = snapshot_all(reg);

    const char *f[] = {"description", "version"}, *v[] = {"now v1", "ikev1"};
    ipsecvpn_report *rep = rt_report();
    rt_log_reset();
    int rc = ipsecvpn_registry_update_ike_policy(reg, "p1", f, v, 2, rep);
    cr_assert_lt(rc, 0);
    cr_assert_neq(rc, IPSECVPN_ERR_CONFIG_IMMUTABLE);
    cr_assert_gt(ipsecvpn_report_errors(rep), 0);
    cr_assert_eq(rt_log.warnings, 1, "%d: %s", rt_log.warnings, rt_log.all);
    cr_assert(strstr(rt_log.last, "'b'") != NULL, "%s", rt_log.last);
    bool named = false; /* the report says which connection refused */
    for (size_t i = 0; i < ipsecvpn_report_count(rep); i++)
        named |= strcmp(ipsecvpn_report_field(rep, i), "connection") == 0 &&
                 strcmp(ipsecvpn_report_value(rep, i), "b") == 0;
    cr_assert(named);
    assert_nothing_changed(reg, before);

    /* Once b has a single CIDR the same edit goes through, into a and b. */
    const char *one[] = {"local_cidrs"}, *onev[] = {"10.1.0.0/24"};
    cr_assert_eq(ipsecvpn_registry_update_connection(reg, "b", one, onev, 1, NULL), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_update_ike_policy(reg, "p1", f, v, 2, NULL), IPSECVPN_OK);
    cr_assert_str_eq(rt_conn_get(reg, "a", "ike.version"), "ikev1");
    cr_assert_str_eq(rt_conn_get(reg, "b", "ike.version"), "ikev1");
    cr_assert_str_eq(rt_conn_get(reg, "b", "ike.description"), "now v1");
    cr_assert_str_eq(rt_conn_get(reg, "c", "ike.version"), "ikev2");
    free(before);
    ipsecvpn_report_free(rep);
    ipsecvpn_registry_free(reg);
}

/* A user in a status that refuses edits blocks the policy edit; other statuses do not. */
Test(registry_policy, user_status_gates_policy_edit)
{
    for (int s = 0; s < RT_N_STATUS; s++) {
        ipsecvpn_registry *reg = three_users();
        rt_drive_to(reg, "b", (ipsecvpn_status)s);
        char *before = snapshot_all(reg);
        const char *f[] = {"lifetime"}, *v[] = {"7200"};
        rt_log_reset();
        int rc = ipsecvpn_registry_update_ike_policy(reg, "p1", f, v, 1, NULL);
        if (rt_edit_ok[s]) {
            cr_assert_eq(rc, IPSECVPN_OK, "%s", ipsecvpn_status_name((ipsecvpn_status)s));
            cr_assert_str_eq(rt_conn_get(reg, "b", "ike.lifetime"), "7200");
            cr_assert_str_eq(rt_conn_get(reg, "a", "ike.lifetime"), "7200");
        } else {
            cr_assert_eq(rc, IPSECVPN_ERR_STATE, "%s", ipsecvpn_status_name((ipsecvpn_status)s));
            cr_assert_eq(rt_log.warnings, 1);
            assert_nothing_changed(reg, before);
        }
        /* c (another policy's user) in BUILD never matters to p1. */
        free(before);
        ipsecvpn_registry_free(reg);
    }
    ipsecvpn_registry *reg = three_users();
    rt_drive_to(reg, "c", IPSECVPN_STATUS_BUILD);
    const char *f[] = {"lifetime"}, *v[] = {"7200"};
    cr_assert_eq(ipsecvpn_registry_update_ike_policy(reg, "p1", f, v, 1, NULL), IPSECVPN_OK);
    ipsecvpn_registry_free(reg);
}

Test(registry_policy, immutable_and_unknown_policy_fields)
{
    ipsecvpn_registry *reg = three_users();
    char *before = snapshot_all(reg);
    ipsecvpn_report *rep = rt_report();
    const char *f[] = {"lifetime", "mode"}, *v[] = {"7200", "transport"};
    rt_log_reset();
    cr_assert_eq(ipsecvpn_registry_update_ipsec_policy(reg, "q1", f, v, 2, rep),
                 IPSECVPN_ERR_CONFIG_IMMUTABLE);
    cr_assert_eq(rt_log.warnings, 1);
    cr_assert_str_eq(ipsecvpn_report_field(rep, 0), "mode");
    const char *pf[] = {"protocol"}, *pv[] = {"esp"};
    cr_assert_eq(ipsecvpn_registry_update_ipsec_policy(reg, "q1", pf, pv, 1, NULL),
                 IPSECVPN_ERR_CONFIG_IMMUTABLE);
    const char *uf[] = {"dh_group"}, *uv[] = {"group14"}; /* an IKE field, not an IPsec one */
    cr_assert_eq(ipsecvpn_registry_update_ipsec_policy(reg, "q1", uf, uv, 1, NULL),
                 IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD);
    /* A bad value is the parser's refusal, and changes nothing either. */
    cr_assert_eq(ipsecvpn_registry_update_ike_policy(reg, "p2", (const char *[]){"lifetime"},
                                                     (const char *[]){"90000"}, 1, NULL),
                 IPSECVPN_ERR_CONFIG_RANGE);
    assert_nothing_changed(reg, before);
    cr_assert_eq(ipsecvpn_registry_update_ike_policy(reg, "p1", uf, uv, 1, NULL), IPSECVPN_OK);
    cr_assert_str_eq(rt_conn_get(reg, "a", "ike.dh_group"), "group14");
    free(before);
    ipsecvpn_report_free(rep);
    ipsecvpn_registry_free(reg);
}

Test(registry_policy, rename_follows_users_and_refuses_clashes)
{
    ipsecvpn_registry *reg = three_users();
    char *before = snapshot_all(reg);
    const char *f[] = {"name"}, *clash[] = {"p2"};
    cr_assert_eq(ipsecvpn_registry_update_ike_policy(reg, "p1", f, clash, 1, NULL),
                 IPSECVPN_ERR_EXISTS);
    assert_nothing_changed(reg, before);

    const char *fresh[] = {"p1-renamed"};
    cr_assert_eq(ipsecvpn_registry_update_ike_policy(reg, "p1", f, fresh, 1, NULL), IPSECVPN_OK);
    cr_assert_null(ipsecvpn_registry_ike_policy(reg, "p1"));
    cr_assert_not_null(ipsecvpn_registry_ike_policy(reg, "p1-renamed"));
    cr_assert_str_eq(rt_conn_get(reg, "a", "ike.name"), "p1-renamed");
    cr_assert_eq(ipsecvpn_registry_delete_ike_policy(reg, "p1-renamed"),
                 IPSECVPN_ERR_CONFIG_IN_USE);
    /* Users still follow it under the new name. */
    cr_assert_eq(ipsecvpn_registry_update_ike_policy(reg, "p1-renamed",
                                                     (const char *[]){"lifetime"},
                                                     (const char *[]){"1234"}, 1, NULL),
                 IPSECVPN_OK);
    cr_assert_str_eq(rt_conn_get(reg, "b", "ike.lifetime"), "1234");
    /* The old name is free again. */
    cr_assert_eq(ipsecvpn_registry_add_ike_policy(reg, rt_ike_policy("p1", NULL, NULL)),
                 IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_delete_ike_policy(reg, "p1"), IPSECVPN_OK);
    free(before);
    ipsecvpn_registry_free(reg);
}

/* Every field the parser knows has an explicit row (no field slips through unruled), and
 * every alias the parser accepts gets its field's answer. */
Test(registry_policy, every_parser_field_has_an_edit_rule)
{
    static const ipsecvpn_object_kind kinds[] = {IPSECVPN_OBJECT_IKE_POLICY,
                                                 IPSECVPN_OBJECT_IPSEC_POLICY,
                                                 IPSECVPN_OBJECT_CONNECTION};
    for (size_t k = 0; k < 3; k++) {
        size_t n = ivpn_field_count(kinds[k]);
        cr_assert_gt(n, 0);
        for (size_t i = 0; i < n; i++) {
            char path[128], alias[160];
            cr_assert_not_null(ivpn_field_path(kinds[k], i, path, sizeof(path)));
            int rc = ivpn_edit_rule_check(kinds[k], path, IVPN_ASSOC_NONE, NULL);
            cr_assert(rc == IPSECVPN_OK || rc == IPSECVPN_ERR_CONFIG_IMMUTABLE,
                      "kind %d field %s has no edit rule", kinds[k], path);
            size_t base = 0;
            const ivpn_field *fd = ivpn_field_find(kinds[k], path, &base);
            cr_assert_not_null(fd);
            if (fd->alias == NULL)
                continue;
            const char *dot = strrchr(path, '.');
            snprintf(alias, sizeof(alias), "%.*s%s", dot ? (int)(dot - path + 1) : 0, path,
                     fd->alias);
            for (int a = 0; a < 3; a++)
                cr_assert_eq(ivpn_edit_rule_check(kinds[k], alias, (ivpn_assoc_type)a, NULL),
                             ivpn_edit_rule_check(kinds[k], path, (ivpn_assoc_type)a, NULL),
                             "alias %s of %s", alias, path);
        }
    }
}
