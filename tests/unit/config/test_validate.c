/* Whole-object rules (lib/config/validate.c): cross-field rules, required fields, report
 * modes, all-or-nothing updates, policies copied into connections, and a seed example. */
#include "test_fields_common.h"

#include "config/fields.h"

static ipsecvpn_ctx *ctx;
static ipsecvpn_connection *c;
static ipsecvpn_report *rep;

static void setup(void)
{
    ctx = tf_ctx();
    c = tf_conn(ctx, IPSECVPN_PROFILE_CLOUD);
    cr_assert_eq(ipsecvpn_report_new(ctx, IPSECVPN_REPORT_ALL, &rep), IPSECVPN_OK);
    const char *f[] = {"local_address", "peer_address"};
    const char *v[] = {"47.100.1.2", "1.2.3.4"};
    cr_assert_eq(ipsecvpn_connection_update(c, f, v, 2, NULL), IPSECVPN_OK);
}

static void teardown(void)
{
    ipsecvpn_report_free(rep);
    ipsecvpn_connection_free(c);
    ipsecvpn_ctx_free(ctx);
}

TestSuite(validate, .init = setup, .fini = teardown);

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* update must fail with code and the first error message must be msg */
static void update_fails(const char *const *f, const char *const *v, size_t n, int code,
                         const char *msg)
{
    ipsecvpn_report_clear(rep);
    cr_assert_eq(ipsecvpn_connection_update(c, f, v, n, rep), code, "first field %s", f[0]);
    cr_assert_geq(ipsecvpn_report_errors(rep), 1);
    for (size_t i = 0; i < ipsecvpn_report_count(rep); i++) {
        if (ipsecvpn_report_is_warning(rep, i))
            continue;
        cr_assert_str_eq(ipsecvpn_report_message(rep, i), msg);
        return;
    }
}

Test(validate, new_connection_needs_addresses)
{
    ipsecvpn_connection *d = tf_conn(ctx, IPSECVPN_PROFILE_CLOUD);
    cr_assert_eq(ipsecvpn_connection_validate(d, rep), IPSECVPN_ERR_CONFIG_REQUIRED);
    cr_assert_eq(ipsecvpn_report_errors(rep), 2);
    cr_assert_str_eq(ipsecvpn_report_message(rep, 0), "local_address: is required, got \"\"");
    cr_assert_str_eq(ipsecvpn_report_message(rep, 1), "peer_address: is required, got \"\"");
    /* updates do not require them, so a connection can be built in steps */
    cr_assert_eq(tf_set(d, "name", "step-1"), IPSECVPN_OK);
    ipsecvpn_connection_free(d);
    ipsecvpn_report_clear(rep);
    cr_assert_eq(ipsecvpn_connection_validate(c, rep), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_report_count(rep), 0);
}

Test(validate, first_mode_reports_one_error)
{
    ipsecvpn_connection *d = tf_conn(ctx, IPSECVPN_PROFILE_CLOUD);
    ipsecvpn_report *first;
    cr_assert_eq(ipsecvpn_report_new(ctx, IPSECVPN_REPORT_FIRST, &first), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_connection_validate(d, first), IPSECVPN_ERR_CONFIG_REQUIRED);
    cr_assert_eq(ipsecvpn_report_errors(first), 1);
    const char *f[] = {"mtu", "ike.lifetime", "bogus"};
    const char *v[] = {"1", "90000", "x"};
    ipsecvpn_report_clear(first);
    cr_assert_eq(ipsecvpn_connection_update(d, f, v, 3, first), IPSECVPN_ERR_CONFIG_RANGE);
    cr_assert_eq(ipsecvpn_report_count(first), 1);
    ipsecvpn_report_clear(rep);
    cr_assert_eq(ipsecvpn_connection_update(d, f, v, 3, rep), IPSECVPN_ERR_CONFIG_RANGE);
    cr_assert_eq(ipsecvpn_report_errors(rep), 3);
    cr_assert_str_eq(ipsecvpn_report_message(rep, 0), "mtu: must be 68..65535, got 1");
    cr_assert_str_eq(ipsecvpn_report_message(rep, 1),
                     "ike.lifetime: must be 0..86400 seconds, got 90000");
    cr_assert_str_eq(ipsecvpn_report_message(rep, 2), "bogus: must be a known field, got bogus");
    cr_assert_eq(ipsecvpn_report_code(rep, 2), IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD);
    ipsecvpn_report_free(first);
    ipsecvpn_connection_free(d);
}

Test(validate, protected_flows_need_cidrs_and_ikev2_for_several)
{
    const char *f1[] = {"routing_mode"};
    const char *v1[] = {"protected-flows"};
    update_fails(f1, v1, 1, IPSECVPN_ERR_CONFIG_REQUIRED,
                 "local_cidrs: must list at least one CIDR with routing_mode protected-flows, "
                 "got \"\"");
    const char *f2[] = {"routing_mode", "local_cidrs", "remote_cidrs"};
    const char *v2[] = {"protected-flows", "192.168.0.0/16", "10.0.0.0/8"};
    cr_assert_eq(ipsecvpn_connection_update(c, f2, v2, 3, NULL), IPSECVPN_OK);
    const char *f3[] = {"remote_cidrs"};
    const char *v3[] = {"10.0.0.0/8,172.16.0.0/12"};
    update_fails(f3, v3, 1, IPSECVPN_ERR_CONFIG_CONFLICT,
                 "remote_cidrs: must list one CIDR with ikev1 (more need ike.version ikev2), "
                 "got 10.0.0.0/8,172.16.0.0/12");
    const char *f4[] = {"remote_cidrs", "ike.version"};
    const char *v4[] = {"10.0.0.0/8,172.16.0.0/12", "ikev2"};
    cr_assert_eq(ipsecvpn_connection_update(c, f4, v4, 2, NULL), IPSECVPN_OK);
    /* going back to IKEv1 now breaks the rule */
    cr_assert_eq(tf_set(c, "ike.version", "ikev1"), IPSECVPN_ERR_CONFIG_CONFLICT);
    cr_assert_str_eq(tf_get(c, "ike.version"), "ikev2");
    /* destination mode does not care about the lists */
    const char *f5[] = {"routing_mode", "ike.version"};
    const char *v5[] = {"destination", "ikev1"};
    cr_assert_eq(ipsecvpn_connection_update(c, f5, v5, 2, NULL), IPSECVPN_OK);
}

Test(validate, families_must_agree)
{
    update_fails((const char *[]){"peer_address"}, (const char *[]){"2001:db8::1"}, 1,
                 IPSECVPN_ERR_CONFIG_FAMILY,
                 "peer_address: must be the same IP version as local_address (IPv4), got "
                 "2001:db8::1");
    update_fails((const char *[]){"local_cidrs"}, (const char *[]){"10.0.0.0/8,2001:db8::/32"}, 1,
                 IPSECVPN_ERR_CONFIG_FAMILY,
                 "local_cidrs: must be the same IP version as local_address (IPv4), got "
                 "2001:db8::/32");
    update_fails((const char *[]){"remote_cidrs"}, (const char *[]){"fd00::/8"}, 1,
                 IPSECVPN_ERR_CONFIG_FAMILY,
                 "remote_cidrs: must be the same IP version as local_address (IPv4), got fd00::/8");
    const char *f[] = {"local_address", "peer_address", "local_cidrs", "remote_cidrs", "mtu"};
    const char *v[] = {"2001:db8::1", "2001:db8:1::1", "fd00:1::/64", "fd00:2::/64", "1280"};
    cr_assert_eq(ipsecvpn_connection_update(c, f, v, N(f), NULL), IPSECVPN_OK);
}

Test(validate, mtu_minimum_depends_on_family)
{
    cr_assert_eq(tf_set(c, "mtu", "68"), IPSECVPN_OK);
    const char *f[] = {"local_address", "peer_address"};
    const char *v[] = {"2001:db8::1", "2001:db8:1::1"};
    update_fails(f, v, 2, IPSECVPN_ERR_CONFIG_RANGE, "mtu: must be 1280..65535 for IPv6, got 68");
    const char *f2[] = {"local_address", "peer_address", "mtu"};
    const char *v2[] = {"2001:db8::1", "2001:db8:1::1", "1279"};
    update_fails(f2, v2, 3, IPSECVPN_ERR_CONFIG_RANGE,
                 "mtu: must be 1280..65535 for IPv6, got 1279");
    const char *v3[] = {"2001:db8::1", "2001:db8:1::1", "1280"};
    cr_assert_eq(ipsecvpn_connection_update(c, f2, v3, 3, NULL), IPSECVPN_OK);
}

Test(validate, dpd_timeout_greater_than_interval)
{
    const char *f[] = {"dpd.enabled", "dpd.interval", "dpd.timeout"};
    const char *bad[] = {"on", "30", "30"};
    update_fails(f, bad, 3, IPSECVPN_ERR_CONFIG_CONFLICT,
                 "dpd.timeout: must be greater than dpd.interval (30), got 30");
    const char *good[] = {"on", "30", "31"};
    cr_assert_eq(ipsecvpn_connection_update(c, f, good, 3, NULL), IPSECVPN_OK);
    /* off: not checked */
    const char *off[] = {"off", "60", "31"};
    cr_assert_eq(ipsecvpn_connection_update(c, f, off, 3, NULL), IPSECVPN_OK);
    /* a default timeout that follows the version is checked too */
    const char *f2[] = {"dpd.enabled", "dpd.interval"};
    const char *v2[] = {"on", "10"};
    ipsecvpn_connection *d = tf_conn(ctx, IPSECVPN_PROFILE_CLOUD);
    cr_assert_eq(ipsecvpn_connection_update(d, f2, v2, 2, NULL), IPSECVPN_OK);
    cr_assert_eq(tf_set(d, "dpd.interval", "30"), IPSECVPN_ERR_CONFIG_CONFLICT);
    cr_assert_eq(tf_set(d, "ike.version", "ikev2"), IPSECVPN_OK);
    cr_assert_eq(tf_set(d, "dpd.interval", "129"), IPSECVPN_OK);
    cr_assert_eq(tf_set(d, "ike.version", "ikev1"), IPSECVPN_ERR_CONFIG_CONFLICT);
    ipsecvpn_connection_free(d);
}

static void bgp_case(const char *cidr, const char *ip, int code, const char *msg)
{
    const char *f[] = {"bgp.enabled", "bgp.tunnel_cidr", "bgp.local_ip"};
    const char *v[] = {"on", cidr, ip};
    if (code == IPSECVPN_OK) {
        cr_assert_eq(ipsecvpn_connection_update(c, f, v, 3, NULL), IPSECVPN_OK, "%s %s", cidr, ip);
        cr_assert_str_eq(tf_get(c, "bgp.tunnel_cidr"), cidr);
        return;
    }
    update_fails(f, v, 3, code, msg);
}

Test(validate, bgp_tunnel_cidr_and_local_ip)
{
    bgp_case("169.254.10.0/30", "169.254.10.1", IPSECVPN_OK, NULL);
    bgp_case("169.254.10.0/30", "169.254.10.2", IPSECVPN_OK, NULL);
    bgp_case("169.254.255.252/30", "169.254.255.253", IPSECVPN_OK, NULL);
    bgp_case("169.254.10.0/29", "169.254.10.1", IPSECVPN_ERR_CONFIG_RANGE,
             "bgp.tunnel_cidr: must be a /30 inside 169.254.0.0/16, got 169.254.10.0/29");
    bgp_case("169.254.10.0/31", "169.254.10.1", IPSECVPN_ERR_CONFIG_RANGE,
             "bgp.tunnel_cidr: must be a /30 inside 169.254.0.0/16, got 169.254.10.0/31");
    bgp_case("169.254.10.2/30", "169.254.10.1", IPSECVPN_ERR_CONFIG_RANGE,
             "bgp.tunnel_cidr: host bits must be zero, got 169.254.10.2/30");
    bgp_case("169.255.0.0/30", "169.255.0.1", IPSECVPN_ERR_CONFIG_RANGE,
             "bgp.tunnel_cidr: must be a /30 inside 169.254.0.0/16, got 169.255.0.0/30");
    bgp_case("10.0.0.0/30", "10.0.0.1", IPSECVPN_ERR_CONFIG_RANGE,
             "bgp.tunnel_cidr: must be a /30 inside 169.254.0.0/16, got 10.0.0.0/30");
    bgp_case("169.254.10.0/30", "169.254.10.0", IPSECVPN_ERR_CONFIG_RANGE,
             "bgp.local_ip: must be a usable host address of bgp.tunnel_cidr 169.254.10.0/30, "
             "got 169.254.10.0");
    bgp_case("169.254.10.0/30", "169.254.10.3", IPSECVPN_ERR_CONFIG_RANGE,
             "bgp.local_ip: must be a usable host address of bgp.tunnel_cidr 169.254.10.0/30, "
             "got 169.254.10.3");
    bgp_case("169.254.10.0/30", "169.254.11.1", IPSECVPN_ERR_CONFIG_RANGE,
             "bgp.local_ip: must be a usable host address of bgp.tunnel_cidr 169.254.10.0/30, "
             "got 169.254.11.1");
    bgp_case("169.254.10.0/30", "", IPSECVPN_ERR_CONFIG_REQUIRED,
             "bgp.local_ip: is required when bgp.enabled is on, got \"\"");
    bgp_case("", "", IPSECVPN_ERR_CONFIG_REQUIRED,
             "bgp.tunnel_cidr: is required when bgp.enabled is on, got \"\"");
}

Test(validate, health_check_needs_both_addresses)
{
    update_fails((const char *[]){"health_check.enabled"}, (const char *[]){"on"}, 1,
                 IPSECVPN_ERR_CONFIG_REQUIRED,
                 "health_check.destination_ip: is required when health_check.enabled is on, "
                 "got \"\"");
    const char *f[] = {"health_check.enabled", "health_check.destination_ip",
                       "health_check.source_ip"};
    const char *v[] = {"on", "10.0.0.1", "192.168.0.1"};
    cr_assert_eq(ipsecvpn_connection_update(c, f, v, 3, NULL), IPSECVPN_OK);
    update_fails((const char *[]){"health_check.source_ip"}, (const char *[]){"fd00::1"}, 1,
                 IPSECVPN_ERR_CONFIG_FAMILY,
                 "health_check.source_ip: must be the same IP version as "
                 "health_check.destination_ip (IPv4), got fd00::1");
}

Test(validate, fqdn_with_ikev1_main_mode_warns)
{
    ipsecvpn_report_clear(rep);
    cr_assert_eq(ipsecvpn_connection_set(c, "ike.local_id", "vpn.example.com", rep), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_report_count(rep), 1);
    cr_assert_eq(ipsecvpn_report_errors(rep), 0);
    cr_assert_eq(ipsecvpn_report_is_warning(rep, 0), 1);
    cr_assert_str_eq(ipsecvpn_report_message(rep, 0),
                     "ike.local_id: an FQDN identity with IKEv1 should use aggressive mode, got "
                     "vpn.example.com");
    cr_assert_str_eq(tf_get(c, "ike.local_id"), "vpn.example.com");
    ipsecvpn_report_clear(rep);
    cr_assert_eq(ipsecvpn_connection_set(c, "ike.mode", "aggressive", rep), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_report_count(rep), 0);
    cr_assert_eq(ipsecvpn_connection_set(c, "ike.mode", "main", rep), IPSECVPN_OK);
    cr_assert_eq(tf_set(c, "ike.version", "ikev2"), IPSECVPN_OK);
    ipsecvpn_report_clear(rep);
    cr_assert_eq(ipsecvpn_connection_validate(c, rep), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_report_count(rep), 0);
    /* IP identities never warn */
    ipsecvpn_report_clear(rep);
    cr_assert_eq(tf_set(c, "ike.version", "ikev1"), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_connection_set(c, "ike.local_id", "47.100.1.2", rep), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_report_count(rep), 0);
}

/* Every field's text, for comparing a connection before and after. */
static void snapshot(const ipsecvpn_connection *conn, char out[][512], size_t max)
{
    char path[128];
    size_t n = ivpn_field_count(IPSECVPN_OBJECT_CONNECTION);
    cr_assert_leq(n, max);
    for (size_t i = 0; i < n; i++) {
        cr_assert_not_null(ivpn_field_path(IPSECVPN_OBJECT_CONNECTION, i, path, sizeof(path)));
        strcpy(out[i], tf_get(conn, path));
    }
}

Test(validate, a_failing_update_changes_nothing)
{
    static char before[80][512], after[80][512];
    const char *f[] = {"name", "psk", "ike.version", "ike.encryption", "local_cidrs",
                       "remote_cidrs", "routing_mode", "dpd.enabled", "bgp.local_asn", "mtu",
                       "ipsec.pfs", "ike.lifetime" /* invalid */};
    const char *v[] = {"changed", "", "ikev2", "aes256", "192.168.0.0/16", "10.0.0.0/8",
                       "protected-flows", "on", "65000", "1400", "group14", "90000"};
    size_t n = ivpn_field_count(IPSECVPN_OBJECT_CONNECTION);
    snapshot(c, before, 80);
    cr_assert_eq(ipsecvpn_connection_update(c, f, v, N(f), rep), IPSECVPN_ERR_CONFIG_RANGE);
    snapshot(c, after, 80);
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(after[i], before[i], "field %zu changed", i);
    /* a cross-field failure (values all parse) also changes nothing */
    const char *f2[] = {"name", "ike.encryption", "local_cidrs", "remote_cidrs", "routing_mode"};
    const char *v2[] = {"changed", "aes256", "192.168.0.0/16,172.16.0.0/12", "10.0.0.0/8",
                        "protected-flows"};
    cr_assert_eq(ipsecvpn_connection_update(c, f2, v2, N(f2), NULL), IPSECVPN_ERR_CONFIG_CONFLICT);
    snapshot(c, after, 80);
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(after[i], before[i], "field %zu changed", i);
    /* and the same update without the bad value applies everything */
    cr_assert_eq(ipsecvpn_connection_update(c, f, v, N(f) - 1, NULL), IPSECVPN_OK);
    cr_assert_str_eq(tf_get(c, "name"), "changed");
    cr_assert_str_eq(tf_get(c, "ike.encryption"), "aes256");
    cr_assert_str_neq(tf_get(c, "psk"), before[6]);
}

Test(validate, unknown_fields_and_bad_arguments)
{
    char buf[8];
    size_t needed;
    cr_assert_eq(ipsecvpn_connection_get(c, "nope", buf, sizeof(buf), &needed),
                 IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD);
    cr_assert_eq(ipsecvpn_connection_get(c, "ike.nope", buf, sizeof(buf), &needed),
                 IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD);
    cr_assert_eq(ipsecvpn_connection_get(c, "lifetime", buf, sizeof(buf), &needed),
                 IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD);
    cr_assert_eq(ipsecvpn_connection_get(c, "local_address", buf, 4, &needed),
                 IPSECVPN_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(needed, strlen("47.100.1.2"));
    cr_assert_str_eq(buf, "");
    cr_assert_eq(ipsecvpn_connection_get(c, "local_address", NULL, 0, &needed),
                 IPSECVPN_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(needed, 10);
    cr_assert_eq(tf_set(c, "nope", "1"), IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD);
    cr_assert_eq(ipsecvpn_connection_set(c, "name", NULL, NULL), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_connection_update(c, NULL, NULL, 1, NULL), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_connection_update(c, NULL, NULL, 0, NULL), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_connection_update(NULL, NULL, NULL, 0, NULL), IPSECVPN_ERR_INVALID_ARG);
    ipsecvpn_connection_free(NULL);
    ipsecvpn_ike_policy_free(NULL);
    ipsecvpn_ipsec_policy_free(NULL);
}

Test(validate, policies_update_get_and_copy_into_connections)
{
    ipsecvpn_ike_policy *ike;
    ipsecvpn_ipsec_policy *ips;
    cr_assert_eq(ipsecvpn_ike_policy_new(ctx, IPSECVPN_PROFILE_OPENSTACK, &ike), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_ipsec_policy_new(ctx, IPSECVPN_PROFILE_CLOUD, &ips), IPSECVPN_OK);
    char buf[64];
    cr_assert_eq(ipsecvpn_ike_policy_get(ike, "lifetime", buf, sizeof(buf), NULL), IPSECVPN_OK);
    cr_assert_str_eq(buf, "3600");
    cr_assert_eq(ipsecvpn_ike_policy_get(ike, "authentication", buf, sizeof(buf), NULL),
                 IPSECVPN_OK);
    cr_assert_str_eq(buf, "sha1");
    const char *f[] = {"name", "version", "encryption", "integrity", "dh_group", "lifetime"};
    const char *v[] = {"ike-1", "v2", "aes-256", "sha256", "group14", "100000"};
    cr_assert_eq(ipsecvpn_ike_policy_update(ike, f, v, N(f), rep), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_ike_policy_get(ike, "encryption", buf, sizeof(buf), NULL), IPSECVPN_OK);
    cr_assert_str_eq(buf, "aes256");
    ipsecvpn_report_clear(rep);
    const char *bad[] = {"ike-2", "v2", "aes-256", "sha256", "group14", "59"};
    cr_assert_eq(ipsecvpn_ike_policy_update(ike, f, bad, N(f), rep), IPSECVPN_ERR_CONFIG_RANGE);
    cr_assert_str_eq(ipsecvpn_report_message(rep, 0),
                     "ike.lifetime: must be at least 60 seconds, got 59");
    cr_assert_eq(ipsecvpn_ike_policy_get(ike, "name", buf, sizeof(buf), NULL), IPSECVPN_OK);
    cr_assert_str_eq(buf, "ike-1");
    cr_assert_eq(ipsecvpn_ike_policy_get(ike, "ike.name", buf, sizeof(buf), NULL),
                 IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD);

    /* a cloud connection refuses the OpenStack policy's 100000 s lifetime: nothing changes */
    ipsecvpn_report_clear(rep);
    cr_assert_eq(ipsecvpn_connection_set_ike_policy(c, ike, rep), IPSECVPN_ERR_CONFIG_RANGE);
    cr_assert_str_eq(ipsecvpn_report_message(rep, 0),
                     "ike.lifetime: must be 0..86400 seconds, got 100000");
    cr_assert_str_eq(tf_get(c, "ike.encryption"), "aes");
    const char *lf[] = {"lifetime"};
    const char *lv[] = {"28800"};
    cr_assert_eq(ipsecvpn_ike_policy_update(ike, lf, lv, 1, NULL), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_connection_set_ike_policy(c, ike, NULL), IPSECVPN_OK);
    cr_assert_str_eq(tf_get(c, "ike.encryption"), "aes256");
    cr_assert_str_eq(tf_get(c, "ike.version"), "ikev2");
    cr_assert_str_eq(tf_get(c, "ike.lifetime"), "28800");
    cr_assert_str_eq(tf_get(c, "dpd.timeout"), "130");

    const char *pf[] = {"pfs", "protocol", "mode", "authentication"};
    const char *pv[] = {"disabled", "esp", "transport", "sha512"};
    cr_assert_eq(ipsecvpn_ipsec_policy_update(ips, pf, pv, N(pf), NULL), IPSECVPN_OK);
    const char *pbad[] = {"group14", "ah", "tunnel", "sha1"};
    cr_assert_eq(ipsecvpn_ipsec_policy_update(ips, pf, pbad, N(pf), NULL),
                 IPSECVPN_ERR_CONFIG_SYNTAX);
    cr_assert_eq(ipsecvpn_ipsec_policy_get(ips, "pfs", buf, sizeof(buf), NULL), IPSECVPN_OK);
    cr_assert_str_eq(buf, "disabled");
    cr_assert_eq(ipsecvpn_connection_set_ipsec_policy(c, ips, NULL), IPSECVPN_OK);
    cr_assert_str_eq(tf_get(c, "ipsec.pfs"), "disabled");
    cr_assert_str_eq(tf_get(c, "ipsec.mode"), "transport");
    cr_assert_str_eq(tf_get(c, "ipsec.integrity"), "sha512");
    ipsecvpn_ike_policy_free(ike);
    ipsecvpn_ipsec_policy_free(ips);
}

Test(validate, clone_is_independent)
{
    ipsecvpn_connection *copy;
    cr_assert_eq(tf_set(c, "psk", "secret-key"), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_connection_clone(c, &copy), IPSECVPN_OK);
    cr_assert_str_eq(tf_get(copy, "psk"), "secret-key");
    cr_assert_eq(tf_set(copy, "psk", "other"), IPSECVPN_OK);
    cr_assert_str_eq(tf_get(c, "psk"), "secret-key");
    cr_assert_str_eq(tf_get(copy, "local_address"), "47.100.1.2");
    ipsecvpn_connection_free(copy);
}

/* The seed's example: a cloud IPsec-VPN connection with protected flows, IKEv2,
 * aes256 / sha256 / group14, BGP and a health check. */
Test(validate, seed_example_cloud_connection)
{
    ipsecvpn_connection *e = tf_conn(ctx, IPSECVPN_PROFILE_CLOUD);
    const char *f[] = {
        "name", "local_address", "peer_address", "psk", "routing_mode", "local_cidrs",
        "remote_cidrs", "effective_immediately", "ike.version", "ike.encryption",
        "ike.integrity", "ike.dh_group", "ike.lifetime", "ipsec.encryption",
        "ipsec.integrity", "ipsec.pfs", "ipsec.lifetime", "dpd.enabled", "nat_traversal",
        "bgp.enabled", "bgp.tunnel_cidr", "bgp.local_ip", "bgp.local_asn",
        "health_check.enabled", "health_check.destination_ip", "health_check.source_ip",
    };
    const char *v[] = {
        "IPsec-VPN-to-DC", "47.100.1.2", "1.2.3.4", "", "protected-flows", "192.168.0.0/16",
        "10.0.0.0/8", "yes", "ikev2", "aes256", "sha256", "group14", "86400", "aes256",
        "sha256", "group14", "86400", "on", "on", "on", "169.254.10.0/30", "169.254.10.1",
        "65530", "on", "10.0.0.1", "192.168.0.1",
    };
    cr_assert_eq(ipsecvpn_connection_update(e, f, v, N(f), rep), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_report_count(rep), 0);
    cr_assert_eq(ipsecvpn_connection_validate(e, rep), IPSECVPN_OK);
    cr_assert_str_eq(tf_get(e, "dpd.timeout"), "130");
    cr_assert_eq(strlen(tf_get(e, "psk")), 16);
    cr_assert_str_eq(tf_get(e, "ike.encryption"), "aes256");
    cr_assert_str_eq(tf_get(e, "remote_cidrs"), "10.0.0.0/8");
    ipsecvpn_connection_free(e);
}

/* Every field of every object reads back, and its canonical text is accepted as input. */
Test(validate, every_field_round_trips_its_canonical_text)
{
    static const ipsecvpn_object_kind kinds[] = {IPSECVPN_OBJECT_IKE_POLICY,
                                                 IPSECVPN_OBJECT_IPSEC_POLICY,
                                                 IPSECVPN_OBJECT_CONNECTION};
    ipsecvpn_ike_policy *ike;
    ipsecvpn_ipsec_policy *ips;
    cr_assert_eq(ipsecvpn_ike_policy_new(ctx, IPSECVPN_PROFILE_STRICT, &ike), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_ipsec_policy_new(ctx, IPSECVPN_PROFILE_STRICT, &ips), IPSECVPN_OK);
    const char *nf[] = {"name"};
    const char *nv[] = {"n"};
    cr_assert_eq(ipsecvpn_ike_policy_update(ike, nf, nv, 1, NULL), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_ipsec_policy_update(ips, nf, nv, 1, NULL), IPSECVPN_OK);
    const char *cf[] = {"name", "ike.name", "ipsec.name"};
    const char *cv[] = {"c", "i", "p"};
    cr_assert_eq(ipsecvpn_connection_update(c, cf, cv, 3, NULL), IPSECVPN_OK);
    size_t seen = 0;
    for (size_t k = 0; k < 3; k++) {
        char path[128], buf[4096];
        size_t n = ivpn_field_count(kinds[k]);
        cr_assert_gt(n, 5);
        for (size_t i = 0; i < n; i++, seen++) {
            cr_assert_not_null(ivpn_field_path(kinds[k], i, path, sizeof(path)));
            const char *f[] = {path};
            const char *v[] = {buf};
            int rc;
            if (kinds[k] == IPSECVPN_OBJECT_IKE_POLICY) {
                cr_assert_eq(ipsecvpn_ike_policy_get(ike, path, buf, sizeof(buf), NULL), 0, "%s", path);
                rc = ipsecvpn_ike_policy_update(ike, f, v, 1, NULL);
            } else if (kinds[k] == IPSECVPN_OBJECT_IPSEC_POLICY) {
                cr_assert_eq(ipsecvpn_ipsec_policy_get(ips, path, buf, sizeof(buf), NULL), 0, "%s", path);
                rc = ipsecvpn_ipsec_policy_update(ips, f, v, 1, NULL);
            } else {
                strcpy(buf, tf_get(c, path));
                rc = ipsecvpn_connection_update(c, f, v, 1, NULL);
                cr_assert_str_eq(tf_get(c, path), buf);
            }
            cr_assert_eq(rc, IPSECVPN_OK, "%s = '%s'", path, buf);
        }
        cr_assert_null(ivpn_field_path(kinds[k], n, path, sizeof(path)));
    }
    cr_assert_eq(seen, 10 + 9 + 33 + 10 + 9); /* ipsec policies: 8 + initiator */
    ipsecvpn_ike_policy_free(ike);
    ipsecvpn_ipsec_policy_free(ips);
}
