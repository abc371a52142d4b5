/*
 * Findings of the configuration review, each a test that failed before its fix: a long
 * UTF-8 name breaking export, transport mode exported as tunnel, OpenStack lifetime units,
 * BGP and health-check settings missing from the downloaded configuration.
 */
#include <cjson/cJSON.h>
#include <stdio.h>

#include "test_export_common.h"

static ipsecvpn_ctx *ctx;

static void setup(void) { ctx = test_ctx(); }
static void teardown(void) { ipsecvpn_ctx_free(ctx); }

TestSuite(review, .init = setup, .fini = teardown);

static void get(const ipsecvpn_connection *c, const char *field, char *buf, size_t len)
{
    cr_assert_eq(ipsecvpn_connection_get(c, field, buf, len, NULL), IPSECVPN_OK, "%s", field);
}

/* 100 characters of 3 bytes each: valid (names count characters), and exportable. */
Test(review, export_name_of_100_multibyte_characters)
{
    char name[100 * 3 + 1] = "";
    for (int i = 0; i < 100; i++)
        strcat(name, "\xe6\x8e\xa5"); /* U+63A5 */
    ipsecvpn_connection *c = test_conn(ctx, seed_v1);
    cr_assert_eq(ipsecvpn_connection_set(c, "name", name, NULL), IPSECVPN_OK);
    for (int f = IPSECVPN_EXPORT_SWANCTL; f <= IPSECVPN_EXPORT_JSON; f++) {
        size_t needed = 0;
        int rc = ipsecvpn_connection_export(c, (ipsecvpn_export_format)f, NULL, 0, &needed);
        cr_assert_eq(rc, IPSECVPN_ERR_BUFFER_TOO_SMALL, "format %d: %d", f, rc);
        free(test_export(c, (ipsecvpn_export_format)f));
    }
    ipsecvpn_connection_free(c);
}

Test(review, export_keeps_transport_mode)
{
    ipsecvpn_connection *c = test_conn(ctx, seed_v1);
    cr_assert_eq(ipsecvpn_connection_set(c, "ipsec.mode", "transport", NULL), IPSECVPN_OK);
    char *sw = test_export(c, IPSECVPN_EXPORT_SWANCTL);
    char *ls = test_export(c, IPSECVPN_EXPORT_LIBRESWAN);
    cr_assert(strstr(sw, "mode = transport\n"), "%s", sw);
    cr_assert_null(strstr(sw, "mode = tunnel"));
    cr_assert(strstr(ls, "type=transport\n"), "%s", ls);
    cr_assert_null(strstr(ls, "type=tunnel"));
    free(sw);
    free(ls);
    cr_assert_eq(ipsecvpn_connection_set(c, "ipsec.mode", "tunnel", NULL), IPSECVPN_OK);
    sw = test_export(c, IPSECVPN_EXPORT_SWANCTL);
    cr_assert(strstr(sw, "mode = tunnel\n"), "%s", sw);
    free(sw);
    ipsecvpn_connection_free(c);
}

/* OpenStack lifetimes come with units: seconds accepted, kilobytes refused, nothing changed. */
Test(review, lifetime_with_seconds_unit)
{
    ipsecvpn_connection *c = NULL;
    char buf[32];
    cr_assert_eq(ipsecvpn_connection_new(ctx, IPSECVPN_PROFILE_OPENSTACK, &c), IPSECVPN_OK);
    static const struct {
        const char *text;
        const char *want;
    } ok[] = {{"7200 seconds", "7200"}, {"3600s", "3600"}, {"28800 Sec", "28800"},
              {"86400  SECONDS", "86400"}, {"120 second", "120"}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        cr_assert_eq(ipsecvpn_connection_set(c, "ike.lifetime", ok[i].text, NULL), IPSECVPN_OK,
                     "%s", ok[i].text);
        get(c, "ike.lifetime", buf, sizeof(buf));
        cr_assert_str_eq(buf, ok[i].want);
    }
    ipsecvpn_report *rep = NULL;
    cr_assert_eq(ipsecvpn_report_new(ctx, IPSECVPN_REPORT_ALL, &rep), IPSECVPN_OK);
    static const struct {
        const char *text;
        int code;
    } bad[] = {{"100 kilobytes", IPSECVPN_ERR_CONFIG_SYNTAX},
               {"100kb", IPSECVPN_ERR_CONFIG_SYNTAX},
               {"30 seconds", IPSECVPN_ERR_CONFIG_RANGE}, /* OpenStack: at least 60 */
               {"60 minutes", IPSECVPN_ERR_CONFIG_SYNTAX},
               {"seconds", IPSECVPN_ERR_CONFIG_SYNTAX},
               {"0000000000000000000000060s", IPSECVPN_ERR_CONFIG_SYNTAX}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ipsecvpn_report_clear(rep);
        cr_assert_eq(ipsecvpn_connection_set(c, "ipsec.lifetime", bad[i].text, rep), bad[i].code,
                     "%s", bad[i].text);
        cr_assert_str_eq(ipsecvpn_report_field(rep, 0), "ipsec.lifetime");
        cr_assert_str_eq(ipsecvpn_report_value(rep, 0), bad[i].text);
        get(c, "ipsec.lifetime", buf, sizeof(buf));
        cr_assert_str_eq(buf, "3600", "changed by '%s'", bad[i].text);
    }
    ipsecvpn_report_clear(rep);
    cr_assert_eq(ipsecvpn_connection_set(c, "ipsec.lifetime", "100 kilobytes", rep),
                 IPSECVPN_ERR_CONFIG_SYNTAX);
    cr_assert_str_eq(ipsecvpn_report_message(rep, 0),
                     "ipsec.lifetime: must be in seconds (kilobyte lifetimes are not supported), "
                     "got 100 kilobytes");
    /* units only where the field is in seconds */
    cr_assert_eq(ipsecvpn_connection_set(c, "mtu", "1400s", NULL), IPSECVPN_ERR_CONFIG_SYNTAX);
    cr_assert_eq(ipsecvpn_connection_set(c, "dpd.interval", "10 s", NULL), IPSECVPN_OK);
    ipsecvpn_report_free(rep);
    ipsecvpn_connection_free(c);
}

static const char *const bgp_hc[] = {
    "bgp.enabled", "on",
    "bgp.tunnel_cidr", "169.254.10.0/30",
    "bgp.local_ip", "169.254.10.1",
    "bgp.local_asn", "1.10", /* asdot: 65546 */
    "health_check.enabled", "on",
    "health_check.source_ip", "10.0.0.5",
    "health_check.destination_ip", "192.168.1.5",
    "health_check.interval", "5",
    "health_check.retry", "4",
    NULL,
};

static ipsecvpn_connection *bgp_conn(void)
{
    ipsecvpn_connection *c = test_conn(ctx, seed_v1);
    const char *fields[16], *values[16];
    size_t n = 0;
    for (; bgp_hc[2 * n]; n++) {
        fields[n] = bgp_hc[2 * n];
        values[n] = bgp_hc[2 * n + 1];
    }
    cr_assert_eq(ipsecvpn_connection_update(c, fields, values, n, NULL), IPSECVPN_OK);
    return c;
}

static const char *json_str(const cJSON *root, const char *obj, const char *key)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, obj);
    cr_assert(cJSON_IsObject(o), "no %s", obj);
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    cr_assert(cJSON_IsString(it), "no %s.%s", obj, key);
    return it->valuestring;
}

Test(review, export_bgp_and_health_check_for_the_peer)
{
    ipsecvpn_connection *c = bgp_conn();
    char *sw = test_export(c, IPSECVPN_EXPORT_SWANCTL);
    char *ls = test_export(c, IPSECVPN_EXPORT_LIBRESWAN);
    const char *bgp = "tunnel 169.254.10.0/30, this device 169.254.10.2, neighbor 169.254.10.1 "
                      "remote-as 65546\n";
    const char *hc = "ICMP echo from 10.0.0.5 to 192.168.1.5 every 5s (4 retries): route "
                     "10.0.0.5/32 into this tunnel and let 192.168.1.5 answer ICMP echo\n";
    cr_assert(strstr(sw, bgp), "%s", sw);
    cr_assert(strstr(ls, bgp), "%s", ls);
    cr_assert(strstr(sw, hc), "%s", sw);
    cr_assert(strstr(ls, hc), "%s", ls);
    free(sw);
    free(ls);

    char *js = test_export(c, IPSECVPN_EXPORT_JSON);
    cJSON *root = cJSON_Parse(js);
    cr_assert_not_null(root, "%s", js);
    cr_assert_str_eq(json_str(root, "BgpConfig", "EnableBgp"), "true");
    cr_assert_str_eq(json_str(root, "BgpConfig", "TunnelCidr"), "169.254.10.0/30");
    cr_assert_str_eq(json_str(root, "BgpConfig", "LocalBgpIp"), "169.254.10.2");
    cr_assert_str_eq(json_str(root, "BgpConfig", "PeerBgpIp"), "169.254.10.1");
    cr_assert_str_eq(json_str(root, "BgpConfig", "PeerAsn"), "65546");
    cr_assert_str_eq(json_str(root, "HealthCheckConfig", "Sip"), "10.0.0.5");
    cr_assert_str_eq(json_str(root, "HealthCheckConfig", "Dip"), "192.168.1.5");
    cJSON_Delete(root);
    free(js);

    /* our end the upper host: the peer's is the lower one */
    cr_assert_eq(ipsecvpn_connection_set(c, "bgp.local_ip", "169.254.10.2", NULL), IPSECVPN_OK);
    js = test_export(c, IPSECVPN_EXPORT_JSON);
    root = cJSON_Parse(js);
    cr_assert_str_eq(json_str(root, "BgpConfig", "LocalBgpIp"), "169.254.10.1");
    cJSON_Delete(root);
    free(js);

    /* switched off: nothing about them, and the JSON still parses */
    cr_assert_eq(ipsecvpn_connection_set(c, "bgp.enabled", "off", NULL), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_connection_set(c, "health_check.enabled", "off", NULL), IPSECVPN_OK);
    js = test_export(c, IPSECVPN_EXPORT_JSON);
    root = cJSON_Parse(js);
    cr_assert_not_null(root, "%s", js);
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(root, "BgpConfig"));
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(root, "HealthCheckConfig"));
    cJSON_Delete(root);
    free(js);
    sw = test_export(c, IPSECVPN_EXPORT_SWANCTL);
    cr_assert_null(strstr(sw, "BGP"));
    cr_assert_null(strstr(sw, "Health check"));
    free(sw);
    ipsecvpn_connection_free(c);
}

/* A document with BGP and health check still imports (the extra objects are ignored). */
Test(review, exported_json_with_bgp_imports)
{
    ipsecvpn_connection *c = bgp_conn();
    char *js = test_export(c, IPSECVPN_EXPORT_JSON);
    ipsecvpn_connection *back = NULL;
    cr_assert_eq(ipsecvpn_connection_import_json(ctx, IPSECVPN_PROFILE_CLOUD, js, strlen(js),
                                                 &back, NULL),
                 IPSECVPN_OK);
    char buf[64];
    get(back, "local_address", buf, sizeof(buf));
    cr_assert_str_eq(buf, "203.0.113.2");
    ipsecvpn_connection_free(back);
    free(js);
    ipsecvpn_connection_free(c);
}

/* SPEC 1.2 and the OpenStack product: the IPsec policy has an initiator (editable in the
 * newer regions). On a connection it is the connection's own initiator. */
Test(review, ipsec_policy_initiator)
{
    ipsecvpn_ipsec_policy *p = NULL;
    char buf[32];
    cr_assert_eq(ipsecvpn_ipsec_policy_new(ctx, IPSECVPN_PROFILE_OPENSTACK, &p), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_ipsec_policy_get(p, "initiator", buf, sizeof(buf), NULL), IPSECVPN_OK);
    cr_assert_str_eq(buf, "bi-directional");
    const char *f[] = {"name", "initiator"};
    const char *v[] = {"p1", "response-only"};
    cr_assert_eq(ipsecvpn_ipsec_policy_update(p, f, v, 2, NULL), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_ipsec_policy_get(p, "initiator", buf, sizeof(buf), NULL), IPSECVPN_OK);
    cr_assert_str_eq(buf, "response-only");

    ipsecvpn_connection *c = test_conn(ctx, seed_v1);
    get(c, "ipsec.initiator", buf, sizeof(buf));
    cr_assert_str_eq(buf, "bi-directional");
    cr_assert_eq(ipsecvpn_connection_set_ipsec_policy(c, p, NULL), IPSECVPN_OK);
    get(c, "initiator", buf, sizeof(buf));
    cr_assert_str_eq(buf, "response-only");
    /* one value under two paths */
    cr_assert_eq(ipsecvpn_connection_set(c, "ipsec.initiator", "bi-directional", NULL),
                 IPSECVPN_OK);
    get(c, "initiator", buf, sizeof(buf));
    cr_assert_str_eq(buf, "bi-directional");
    cr_assert_eq(ipsecvpn_connection_set(c, "initiator", "response-only", NULL), IPSECVPN_OK);
    get(c, "ipsec.initiator", buf, sizeof(buf));
    cr_assert_str_eq(buf, "response-only");
    ipsecvpn_report *rep = NULL;
    cr_assert_eq(ipsecvpn_report_new(ctx, IPSECVPN_REPORT_FIRST, &rep), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_connection_set(c, "ipsec.initiator", "sometimes", rep),
                 IPSECVPN_ERR_CONFIG_SYNTAX);
    cr_assert_str_eq(ipsecvpn_report_message(rep, 0),
                     "initiator: must be one of bi-directional, response-only, got sometimes");
    ipsecvpn_report_free(rep);

    /* a registry edit of the policy reaches its users */
    ipsecvpn_registry *reg = NULL;
    cr_assert_eq(ipsecvpn_registry_new(ctx, IPSECVPN_PROFILE_CLOUD, &reg), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_add_ipsec_policy(reg, p), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_add_connection(reg, c, NULL, "p1", NULL), IPSECVPN_OK);
    const char *ef[] = {"initiator"};
    const char *ev[] = {"bi-directional"};
    cr_assert_eq(ipsecvpn_registry_update_ipsec_policy(reg, "p1", ef, ev, 1, NULL), IPSECVPN_OK);
    get(ipsecvpn_registry_connection(reg, "seed-v1"), "initiator", buf, sizeof(buf));
    cr_assert_str_eq(buf, "bi-directional");
    cr_assert_eq(ipsecvpn_field_editable(IPSECVPN_OBJECT_IPSEC_POLICY, "initiator",
                                         IPSECVPN_STATUS_ACTIVE, NULL), 1);
    ipsecvpn_registry_free(reg);
}

/* OpenStack's DPD action "disabled" means no DPD: the peer's file must not switch it on. */
Test(review, export_dpd_action_disabled_is_no_dpd)
{
    ipsecvpn_connection *c = test_conn(ctx, seed_v1);
    const char *f[] = {"dpd.enabled", "dpd.action", "dpd.interval", "dpd.timeout"};
    const char *v[] = {"on", "disabled", "15", "60"};
    cr_assert_eq(ipsecvpn_connection_update(c, f, v, 4, NULL), IPSECVPN_OK);
    char *sw = test_export(c, IPSECVPN_EXPORT_SWANCTL);
    char *ls = test_export(c, IPSECVPN_EXPORT_LIBRESWAN);
    cr_assert_null(strstr(sw, "dpd_"), "%s", sw);
    cr_assert_null(strstr(ls, "dpd"), "%s", ls);
    free(sw);
    free(ls);
    cr_assert_eq(ipsecvpn_connection_set(c, "dpd.action", "hold", NULL), IPSECVPN_OK);
    sw = test_export(c, IPSECVPN_EXPORT_SWANCTL);
    cr_assert(strstr(sw, "dpd_delay = 15s\n"), "%s", sw);
    cr_assert(strstr(sw, "dpd_action = trap\n"), "%s", sw);
    free(sw);
    ipsecvpn_connection_free(c);
}

/* The longest lists the model holds (32 IPv6 /128 of full length per side) read back and
 * export whole: no buffer on the way cuts them. */
Test(review, longest_cidr_lists_read_back_and_export)
{
    char list[32 * 44 + 1] = "";
    for (int i = 0; i < 32; i++) {
        char one[48];
        snprintf(one, sizeof(one), "%sffff:ffff:ffff:ffff:ffff:ffff:ffff:ff%02x/128",
                 i ? "," : "", 0x80 + i);
        strcat(list, one);
    }
    char remote[sizeof(list)];
    strcpy(remote, list);
    for (char *p = remote; (p = strstr(p, "ffff:ffff:ffff")) != NULL; p += 14)
        p[0] = 'e'; /* "efff:..." */
    static const char *const pairs[] = {
        "local_address", "2001:db8::1", "peer_address", "2001:db8::2", "psk", "k",
        "ike.version", "ikev2", NULL};
    ipsecvpn_connection *c = test_conn(ctx, pairs);
    const char *f[] = {"local_cidrs", "remote_cidrs", "routing_mode"};
    const char *v[] = {list, remote, "protected-flows"};
    cr_assert_eq(ipsecvpn_connection_update(c, f, v, 3, NULL), IPSECVPN_OK);
    static char buf[4096];
    size_t needed = 0;
    cr_assert_eq(ipsecvpn_connection_get(c, "local_cidrs", buf, sizeof(buf), &needed),
                 IPSECVPN_OK);
    cr_assert_str_eq(buf, list);
    cr_assert_eq(needed, strlen(list));
    cr_assert_eq(ipsecvpn_connection_get(c, "local_cidrs", buf, needed, NULL),
                 IPSECVPN_ERR_BUFFER_TOO_SMALL);
    char *sw = test_export(c, IPSECVPN_EXPORT_SWANCTL);
    cr_assert(strstr(sw, remote), "peer's local_ts cut");
    cr_assert(strstr(sw, list), "peer's remote_ts cut");
    free(sw);
    ipsecvpn_connection_free(c);
}

/* timeout > interval: always under OpenStack (no DPD switch there) and strict, only while
 * DPD is in use under cloud. */
Test(review, dpd_timeout_rule_per_profile)
{
    static const struct {
        ipsecvpn_profile profile;
        int want;
    } cases[] = {{IPSECVPN_PROFILE_CLOUD, IPSECVPN_OK},
                 {IPSECVPN_PROFILE_OPENSTACK, IPSECVPN_ERR_CONFIG_CONFLICT},
                 {IPSECVPN_PROFILE_STRICT, IPSECVPN_ERR_CONFIG_CONFLICT}};
    for (size_t i = 0; i < 3; i++) {
        ipsecvpn_connection *c = NULL;
        cr_assert_eq(ipsecvpn_connection_new(ctx, cases[i].profile, &c), IPSECVPN_OK);
        const char *f[] = {"dpd.enabled", "dpd.action", "dpd.interval", "dpd.timeout"};
        const char *v[] = {"off", "disabled", "200", "120"};
        ipsecvpn_report *rep = NULL;
        cr_assert_eq(ipsecvpn_report_new(ctx, IPSECVPN_REPORT_FIRST, &rep), IPSECVPN_OK);
        cr_assert_eq(ipsecvpn_connection_update(c, f, v, 4, rep), cases[i].want, "profile %d",
                     cases[i].profile);
        if (cases[i].want != IPSECVPN_OK)
            cr_assert_str_eq(ipsecvpn_report_message(rep, 0),
                             "dpd.timeout: must be greater than dpd.interval (200), got 120");
        /* in use: every profile refuses */
        const char *f2[] = {"dpd.enabled", "dpd.action", "dpd.interval", "dpd.timeout"};
        const char *v2[] = {"on", "hold", "200", "120"};
        cr_assert_eq(ipsecvpn_connection_update(c, f2, v2, 4, NULL),
                     IPSECVPN_ERR_CONFIG_CONFLICT);
        ipsecvpn_report_free(rep);
        ipsecvpn_connection_free(c);
    }
}

/* Every message reads "field: rule, got value", an absent value written "". */
Test(review, messages_name_the_value_even_when_absent)
{
    ipsecvpn_report *rep = NULL;
    ipsecvpn_connection *c = NULL;
    cr_assert_eq(ipsecvpn_report_new(ctx, IPSECVPN_REPORT_FIRST, &rep), IPSECVPN_OK);
    const char *no_psk = "{\"Local\":\"1.2.3.4\",\"Remote\":\"5.6.7.8\",\"IkeConfig\":{}}";
    cr_assert_eq(ipsecvpn_connection_import_json(ctx, IPSECVPN_PROFILE_CLOUD, no_psk,
                                                 strlen(no_psk), &c, rep),
                 IPSECVPN_ERR_CONFIG_IMPORT);
    cr_assert_str_eq(ipsecvpn_report_message(rep, 0),
                     "IkeConfig.Psk: required key is missing, got \"\"");
    ipsecvpn_report_clear(rep);
    const char *bad_num = "{\"Local\":\"1.2.3.4\",\"Remote\":\"5.6.7.8\","
                          "\"IkeConfig\":{\"Psk\":\"k\",\"IkeLifetime\":-1.5}}";
    cr_assert_eq(ipsecvpn_connection_import_json(ctx, IPSECVPN_PROFILE_CLOUD, bad_num,
                                                 strlen(bad_num), &c, rep),
                 IPSECVPN_ERR_CONFIG_IMPORT);
    cr_assert_str_eq(ipsecvpn_report_message(rep, 0),
                     "IkeConfig.IkeLifetime: must be a whole number 0..4294967295, got -1.5");
    ipsecvpn_report_clear(rep);
    cr_assert_eq(ipsecvpn_connection_import_json(ctx, IPSECVPN_PROFILE_CLOUD, "{", 1, &c, rep),
                 IPSECVPN_ERR_CONFIG_IMPORT);
    cr_assert_str_eq(ipsecvpn_report_message(rep, 0), "document: not valid JSON, got \"\"");
    cr_assert_null(c);

    ipsecvpn_registry *reg = NULL;
    cr_assert_eq(ipsecvpn_registry_new(ctx, IPSECVPN_PROFILE_CLOUD, &reg), IPSECVPN_OK);
    c = test_conn(ctx, seed_v1);
    cr_assert_eq(ipsecvpn_connection_set(c, "name", "x", NULL), IPSECVPN_OK);
    ipsecvpn_connection *unnamed = NULL;
    cr_assert_eq(ipsecvpn_connection_new(ctx, IPSECVPN_PROFILE_CLOUD, &unnamed), IPSECVPN_OK);
    ipsecvpn_report_clear(rep);
    cr_assert_eq(ipsecvpn_registry_add_connection(reg, unnamed, NULL, NULL, rep),
                 IPSECVPN_ERR_CONFIG_REQUIRED);
    cr_assert_str_eq(ipsecvpn_report_message(rep, 0),
                     "name: a registered connection needs a name, got \"\"");
    ipsecvpn_connection_free(unnamed);
    ipsecvpn_connection_free(c);
    ipsecvpn_registry_free(reg);
    ipsecvpn_report_free(rep);
}

/* The OpenStack IKE policy names its DH group "PFS" (API: pfs). */
Test(review, ike_policy_pfs_is_the_dh_group)
{
    ipsecvpn_ike_policy *p = NULL;
    char buf[32];
    cr_assert_eq(ipsecvpn_ike_policy_new(ctx, IPSECVPN_PROFILE_OPENSTACK, &p), IPSECVPN_OK);
    const char *f[] = {"pfs", "encryption", "version"};
    const char *v[] = {"group14", "aes-256", "v2"};
    cr_assert_eq(ipsecvpn_ike_policy_update(p, f, v, 3, NULL), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_ike_policy_get(p, "dh_group", buf, sizeof(buf), NULL), IPSECVPN_OK);
    cr_assert_str_eq(buf, "group14");
    cr_assert_eq(ipsecvpn_ike_policy_get(p, "pfs", buf, sizeof(buf), NULL), IPSECVPN_OK);
    cr_assert_str_eq(buf, "group14");
    cr_assert_eq(ipsecvpn_field_editable(IPSECVPN_OBJECT_IKE_POLICY, "pfs",
                                         IPSECVPN_STATUS_DOWN, NULL), 1);
    ipsecvpn_connection *c = test_conn(ctx, seed_v1);
    cr_assert_eq(ipsecvpn_connection_set(c, "ike.pfs", "group5", NULL), IPSECVPN_OK);
    get(c, "ike.dh_group", buf, sizeof(buf));
    cr_assert_str_eq(buf, "group5");
    get(c, "ipsec.pfs", buf, sizeof(buf));
    cr_assert_str_eq(buf, "group2"); /* untouched */
    cr_assert_eq(ipsecvpn_connection_set(c, "pfs", "group5", NULL),
                 IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD);
    /* a registry edit by the alias */
    ipsecvpn_registry *reg = NULL;
    cr_assert_eq(ipsecvpn_registry_new(ctx, IPSECVPN_PROFILE_OPENSTACK, &reg), IPSECVPN_OK);
    const char *nf[] = {"name"};
    const char *nv[] = {"ike1"};
    cr_assert_eq(ipsecvpn_ike_policy_update(p, nf, nv, 1, NULL), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_add_ike_policy(reg, p), IPSECVPN_OK);
    const char *ef[] = {"pfs"};
    const char *ev[] = {"group5"};
    cr_assert_eq(ipsecvpn_registry_update_ike_policy(reg, "ike1", ef, ev, 1, NULL), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_ike_policy_get(ipsecvpn_registry_ike_policy(reg, "ike1"), "dh_group",
                                         buf, sizeof(buf), NULL),
                 IPSECVPN_OK);
    cr_assert_str_eq(buf, "group5");
    ipsecvpn_registry_free(reg);
    ipsecvpn_connection_free(c);
}

/* SPEC 1.3a: the cloud API's names of the tunnel's and the health check's status. */
Test(review, tunnel_and_health_check_status_names)
{
    static const char *const tunnel[] = {"ike_sa_not_established", "ike_sa_established",
                                         "ipsec_sa_not_established", "ipsec_sa_established"};
    for (size_t i = 0; i < 4; i++) {
        const char *canon = NULL;
        int value = -1;
        cr_assert_str_eq(ipsecvpn_enum_name("tunnel_status", i), tunnel[i]);
        cr_assert_eq(ipsecvpn_enum_parse("tunnel_status", tunnel[i], &canon, &value),
                     IPSECVPN_OK);
        cr_assert_eq(value, (int)i);
        cr_assert_str_eq(canon, tunnel[i]);
    }
    cr_assert_null(ipsecvpn_enum_name("tunnel_status", 4));
    cr_assert_str_eq(ipsecvpn_enum_name("health_check_status", 0), "success");
    cr_assert_str_eq(ipsecvpn_enum_name("health_check_status", 1), "failed");
    cr_assert_null(ipsecvpn_enum_name("health_check_status", 2));
    cr_assert_eq(ipsecvpn_enum_parse("health_check_status", "broken", NULL, NULL),
                 IPSECVPN_ERR_CONFIG_SYNTAX);
}
