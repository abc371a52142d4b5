/* Connection and policy fields (lib/config/fields.c, policy.c, connection.c, psk.c):
 * defaults per profile, every field's boundaries, PSK rules, atomic updates. */
#include "test_fields_common.h"

#include "config/fields.h"
#include "config/psk.h"

static ipsecvpn_ctx *ctx;
static ipsecvpn_connection *c;

static void setup(void)
{
    ctx = tf_ctx();
    c = tf_conn(ctx, IPSECVPN_PROFILE_CLOUD);
}

static void teardown(void)
{
    ipsecvpn_connection_free(c);
    ipsecvpn_ctx_free(ctx);
}

TestSuite(fields_conn, .init = setup, .fini = teardown);

static void expect(const char *field, const char *value, int code)
{
    char before[4096];
    strcpy(before, tf_get(c, field));
    int rc = tf_set(c, field, value);
    cr_assert_eq(rc, code, "%s=%s gave %d, expected %d", field, value, rc, code);
    if (code != IPSECVPN_OK)
        cr_assert_str_eq(tf_get(c, field), before, "%s changed by a failed set", field);
}

/* set must fail with code and the report's single message must be exactly msg */
static void expect_msg(const char *field, const char *value, int code, const char *msg)
{
    ipsecvpn_report *rep;
    cr_assert_eq(ipsecvpn_report_new(ctx, IPSECVPN_REPORT_ALL, &rep), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_connection_set(c, field, value, rep), code, "%s=%s", field, value);
    cr_assert_eq(ipsecvpn_report_errors(rep), 1, "%s=%s: %zu errors", field, value,
                 ipsecvpn_report_errors(rep));
    cr_assert_str_eq(ipsecvpn_report_message(rep, 0), msg);
    cr_assert_eq(ipsecvpn_report_code(rep, 0), code);
    ipsecvpn_report_free(rep);
}

Test(fields_conn, cloud_defaults)
{
    const char *defaults[][2] = {
        {"admin_state", "up"}, {"gateway_type", "public"}, {"routing_mode", "destination"},
        {"effective_immediately", "no"}, {"initiator", "bi-directional"}, {"mtu", "1500"},
        {"nat_traversal", "off"}, {"dpd.enabled", "off"}, {"dpd.action", "hold"},
        {"dpd.timeout", "30"}, {"bgp.enabled", "off"}, {"bgp.local_asn", "45104"},
        {"health_check.enabled", "off"}, {"health_check.interval", "3"},
        {"health_check.retry", "3"}, {"health_check.route_policy", "revoke_route"},
        {"association.type", "none"}, {"local_address", ""}, {"peer_address", ""},
        {"local_cidrs", ""}, {"remote_cidrs", ""}, {"name", ""},
        {"ike.version", "ikev1"}, {"ike.mode", "main"}, {"ike.encryption", "aes"},
        {"ike.integrity", "sha1"}, {"ike.authentication", "sha1"}, {"ike.dh_group", "group2"},
        {"ike.lifetime", "86400"}, {"ike.local_id", ""}, {"ike.remote_id", ""},
        {"ipsec.protocol", "esp"}, {"ipsec.mode", "tunnel"}, {"ipsec.encryption", "aes"},
        {"ipsec.integrity", "sha1"}, {"ipsec.pfs", "group2"}, {"ipsec.lifetime", "86400"},
    };
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
        cr_assert_str_eq(tf_get(c, defaults[i][0]), defaults[i][1], "%s", defaults[i][0]);
}

Test(fields_conn, openstack_and_strict_defaults)
{
    ipsecvpn_connection *os = tf_conn(ctx, IPSECVPN_PROFILE_OPENSTACK);
    cr_assert_str_eq(tf_get(os, "ike.lifetime"), "3600");
    cr_assert_str_eq(tf_get(os, "ipsec.lifetime"), "3600");
    cr_assert_str_eq(tf_get(os, "dpd.enabled"), "on");
    cr_assert_str_eq(tf_get(os, "dpd.action"), "hold");
    cr_assert_str_eq(tf_get(os, "dpd.interval"), "30");
    cr_assert_str_eq(tf_get(os, "dpd.timeout"), "120");
    cr_assert_eq(tf_set(os, "ike.version", "v2"), IPSECVPN_OK);
    cr_assert_str_eq(tf_get(os, "dpd.timeout"), "120");
    ipsecvpn_connection_free(os);
    ipsecvpn_connection *st = tf_conn(ctx, IPSECVPN_PROFILE_STRICT);
    cr_assert_str_eq(tf_get(st, "ike.lifetime"), "86400");
    cr_assert_str_eq(tf_get(st, "dpd.timeout"), "30");
    ipsecvpn_connection_free(st);
    ipsecvpn_connection *bad = (ipsecvpn_connection *)1;
    cr_assert_eq(ipsecvpn_connection_new(ctx, 7, &bad), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_null(bad);
}

Test(fields_conn, dpd_timeout_follows_the_ike_version_until_set)
{
    cr_assert_str_eq(tf_get(c, "dpd.timeout"), "30");
    cr_assert_eq(tf_set(c, "ike.version", "ikev2"), IPSECVPN_OK);
    cr_assert_str_eq(tf_get(c, "dpd.timeout"), "130");
    cr_assert_eq(tf_set(c, "ike.version", "ikev1"), IPSECVPN_OK);
    cr_assert_str_eq(tf_get(c, "dpd.timeout"), "30");
    cr_assert_eq(tf_set(c, "dpd.timeout", "45"), IPSECVPN_OK);
    cr_assert_eq(tf_set(c, "ike.version", "ikev2"), IPSECVPN_OK);
    cr_assert_str_eq(tf_get(c, "dpd.timeout"), "45");
}

Test(fields_conn, lifetimes_per_profile)
{
    expect_msg("ike.lifetime", "90000", IPSECVPN_ERR_CONFIG_RANGE,
               "ike.lifetime: must be 0..86400 seconds, got 90000");
    expect("ike.lifetime", "-1", IPSECVPN_ERR_CONFIG_RANGE);
    expect("ike.lifetime", "0", IPSECVPN_OK);
    expect("ike.lifetime", "86400", IPSECVPN_OK);
    expect("ike.lifetime", "86401", IPSECVPN_ERR_CONFIG_RANGE);
    expect("ipsec.lifetime", "-1", IPSECVPN_ERR_CONFIG_RANGE);
    expect("ipsec.lifetime", "0", IPSECVPN_OK);
    expect("ipsec.lifetime", "86400", IPSECVPN_OK);
    expect("ipsec.lifetime", "86401", IPSECVPN_ERR_CONFIG_RANGE);
    expect("ike.lifetime", "abc", IPSECVPN_ERR_CONFIG_SYNTAX);
    expect("ike.lifetime", "", IPSECVPN_ERR_CONFIG_SYNTAX);
    expect("ike.lifetime", "1e3", IPSECVPN_ERR_CONFIG_SYNTAX);
    expect("ike.lifetime", "99999999999999999999999", IPSECVPN_ERR_CONFIG_RANGE);

    ipsecvpn_connection *os = tf_conn(ctx, IPSECVPN_PROFILE_OPENSTACK);
    cr_assert_eq(tf_set(os, "ike.lifetime", "-1"), IPSECVPN_ERR_CONFIG_RANGE);
    cr_assert_eq(tf_set(os, "ike.lifetime", "0"), IPSECVPN_ERR_CONFIG_RANGE);
    cr_assert_eq(tf_set(os, "ike.lifetime", "59"), IPSECVPN_ERR_CONFIG_RANGE);
    cr_assert_eq(tf_set(os, "ike.lifetime", "60"), IPSECVPN_OK);
    cr_assert_eq(tf_set(os, "ike.lifetime", "86400"), IPSECVPN_OK);
    cr_assert_eq(tf_set(os, "ike.lifetime", "86401"), IPSECVPN_OK);
    cr_assert_eq(tf_set(os, "ipsec.lifetime", "59"), IPSECVPN_ERR_CONFIG_RANGE);
    cr_assert_eq(tf_set(os, "ipsec.lifetime", "4294967295"), IPSECVPN_OK);
    cr_assert_eq(tf_set(os, "ipsec.lifetime", "4294967296"), IPSECVPN_ERR_CONFIG_RANGE);
    ipsecvpn_report *rep;
    ipsecvpn_report_new(ctx, IPSECVPN_REPORT_ALL, &rep);
    ipsecvpn_connection_set(os, "ike.lifetime", "59", rep);
    cr_assert_str_eq(ipsecvpn_report_message(rep, 0),
                     "ike.lifetime: must be at least 60 seconds, got 59");
    ipsecvpn_report_free(rep);
    ipsecvpn_connection_free(os);

    ipsecvpn_connection *st = tf_conn(ctx, IPSECVPN_PROFILE_STRICT);
    cr_assert_eq(tf_set(st, "ike.lifetime", "-1"), IPSECVPN_ERR_CONFIG_RANGE);
    cr_assert_eq(tf_set(st, "ike.lifetime", "0"), IPSECVPN_ERR_CONFIG_RANGE);
    cr_assert_eq(tf_set(st, "ike.lifetime", "59"), IPSECVPN_ERR_CONFIG_RANGE);
    cr_assert_eq(tf_set(st, "ike.lifetime", "60"), IPSECVPN_OK);
    cr_assert_eq(tf_set(st, "ike.lifetime", "86400"), IPSECVPN_OK);
    cr_assert_eq(tf_set(st, "ike.lifetime", "86401"), IPSECVPN_ERR_CONFIG_RANGE);
    cr_assert_eq(tf_set(st, "ipsec.lifetime", "86401"), IPSECVPN_ERR_CONFIG_RANGE);
    ipsecvpn_connection_free(st);
}

Test(fields_conn, numeric_field_boundaries)
{
    expect("mtu", "67", IPSECVPN_ERR_CONFIG_RANGE);
    expect("mtu", "68", IPSECVPN_OK);
    expect("mtu", "65535", IPSECVPN_OK);
    expect("mtu", "65536", IPSECVPN_ERR_CONFIG_RANGE);
    expect("dpd.interval", "0", IPSECVPN_ERR_CONFIG_RANGE);
    expect("dpd.interval", "1", IPSECVPN_OK);
    expect("dpd.interval", "3600", IPSECVPN_OK);
    expect("dpd.interval", "3601", IPSECVPN_ERR_CONFIG_RANGE);
    expect("dpd.timeout", "1", IPSECVPN_ERR_CONFIG_RANGE);
    expect("dpd.timeout", "2", IPSECVPN_OK);
    expect("dpd.timeout", "86400", IPSECVPN_OK);
    expect("dpd.timeout", "86401", IPSECVPN_ERR_CONFIG_RANGE);
    expect("health_check.interval", "0", IPSECVPN_ERR_CONFIG_RANGE);
    expect("health_check.interval", "1", IPSECVPN_OK);
    expect("health_check.interval", "60", IPSECVPN_OK);
    expect("health_check.interval", "61", IPSECVPN_ERR_CONFIG_RANGE);
    expect("health_check.retry", "0", IPSECVPN_ERR_CONFIG_RANGE);
    expect("health_check.retry", "1", IPSECVPN_OK);
    expect("health_check.retry", "10", IPSECVPN_OK);
    expect("health_check.retry", "11", IPSECVPN_ERR_CONFIG_RANGE);
    expect_msg("health_check.retry", "x", IPSECVPN_ERR_CONFIG_SYNTAX,
               "health_check.retry: must be a whole number (1..10), got x");
}

Test(fields_conn, asn_plain_and_asdot)
{
    expect_msg("bgp.local_asn", "0", IPSECVPN_ERR_CONFIG_RANGE,
               "bgp.local_asn: must be 1..4294967295 (asdot a.b: a, b 0..65535, not 0.0), got 0");
    expect("bgp.local_asn", "1", IPSECVPN_OK);
    cr_assert_str_eq(tf_get(c, "bgp.local_asn"), "1");
    expect("bgp.local_asn", "4294967295", IPSECVPN_OK);
    cr_assert_str_eq(tf_get(c, "bgp.local_asn"), "4294967295");
    expect("bgp.local_asn", "4294967296", IPSECVPN_ERR_CONFIG_RANGE);
    expect("bgp.local_asn", "-1", IPSECVPN_ERR_CONFIG_RANGE);
    expect("bgp.local_asn", "123.456", IPSECVPN_OK);
    cr_assert_str_eq(tf_get(c, "bgp.local_asn"), "8061384");
    expect("bgp.local_asn", "0.1", IPSECVPN_OK);
    cr_assert_str_eq(tf_get(c, "bgp.local_asn"), "1");
    expect("bgp.local_asn", "65535.65535", IPSECVPN_OK);
    cr_assert_str_eq(tf_get(c, "bgp.local_asn"), "4294967295");
    expect("bgp.local_asn", "0.0", IPSECVPN_ERR_CONFIG_RANGE);
    expect("bgp.local_asn", "65536.0", IPSECVPN_ERR_CONFIG_RANGE);
    expect("bgp.local_asn", "1.65536", IPSECVPN_ERR_CONFIG_RANGE);
    expect("bgp.local_asn", "1.", IPSECVPN_ERR_CONFIG_SYNTAX);
    expect("bgp.local_asn", ".1", IPSECVPN_ERR_CONFIG_SYNTAX);
    expect("bgp.local_asn", "1.2.3", IPSECVPN_ERR_CONFIG_SYNTAX);
    expect("bgp.local_asn", "AS100", IPSECVPN_ERR_CONFIG_SYNTAX);
    expect("bgp.local_asn", "", IPSECVPN_ERR_CONFIG_SYNTAX);
}

static const char *psk_specials = "~`!@#$%^&*()_-+={}[]\\|;:',.<>/?";

Test(fields_conn, psk_accepts_each_special_character)
{
    for (const char *p = psk_specials; *p; p++) {
        char key[8] = {'k', *p, 'y', '\0'};
        cr_assert_eq(tf_set(c, "psk", key), IPSECVPN_OK, "special '%c'", *p);
        cr_assert_str_eq(tf_get(c, "psk"), key);
    }
    cr_assert_eq(tf_set(c, "psk", psk_specials), IPSECVPN_OK);
    cr_assert_eq(tf_set(c, "psk", "Abc0123xyzXYZ"), IPSECVPN_OK);
}

Test(fields_conn, psk_refuses_other_characters)
{
    cr_assert_eq(tf_set(c, "psk", "goodkey"), IPSECVPN_OK);
    const char *bad[] = {"with space", "quote\"d", "tab\tkey", "nl\n", "caf\xc3\xa9",
                         "\xe3\x81\x82\xe3\x81\x84", "del\x7f"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(tf_set(c, "psk", bad[i]), IPSECVPN_ERR_CONFIG_CHARSET, "bad[%zu]", i);
        cr_assert_str_eq(tf_get(c, "psk"), "goodkey");
    }
    expect_msg("psk", "ab cd", IPSECVPN_ERR_CONFIG_CHARSET,
               "psk: must use only letters, digits and ~`!@#$%^&*()_-+={}[]\\|;:',.<>/?, "
               "got byte 0x20 at position 3");
    expect_msg("psk", "a\"b", IPSECVPN_ERR_CONFIG_CHARSET,
               "psk: must use only letters, digits and ~`!@#$%^&*()_-+={}[]\\|;:',.<>/?, "
               "got '\"' at position 2");
}

Test(fields_conn, psk_length_100_and_101)
{
    char key[102];
    memset(key, 'a', 101);
    key[100] = '\0';
    cr_assert_eq(tf_set(c, "psk", key), IPSECVPN_OK);
    cr_assert_eq(strlen(tf_get(c, "psk")), 100);
    key[100] = 'a';
    key[101] = '\0';
    expect_msg("psk", key, IPSECVPN_ERR_CONFIG_LENGTH,
               "psk: must be 1..100 characters, got 101 characters");
    cr_assert_eq(strlen(tf_get(c, "psk")), 100);
    cr_assert_eq(tf_set(c, "psk", "a"), IPSECVPN_OK);
}

static bool in_alphabet(const char *s)
{
    for (; *s; s++)
        if (!ivpn_psk_char_allowed((unsigned char)*s))
            return false;
    return true;
}

Test(fields_conn, empty_psk_generates_16_characters)
{
    /* new() generated one already */
    char first[32];
    strcpy(first, tf_get(c, "psk"));
    cr_assert_eq(strlen(first), 16);
    cr_assert(in_alphabet(first));
    cr_assert_eq(tf_set(c, "psk", ""), IPSECVPN_OK);
    const char *second = tf_get(c, "psk");
    cr_assert_eq(strlen(second), 16);
    cr_assert(in_alphabet(second));
    cr_assert_str_neq(second, first);

    /* deterministic with a fixed random source: counter bytes 0,1,2,... map to the
     * alphabet's first characters (all below the rejection limit) */
    ipsecvpn_ctx *ctx2 = tf_ctx();
    ipsecvpn_connection *d = tf_conn(ctx2, IPSECVPN_PROFILE_CLOUD);
    cr_assert_str_eq(tf_get(d, "psk"), "ABCDEFGHIJKLMNOP");
    ipsecvpn_connection_free(d);
    ipsecvpn_ctx_free(ctx2);
}

static uint8_t high_then_counter;
static int rejecting_random(void *ud, uint8_t *buf, size_t len)
{
    (void)ud;
    for (size_t i = 0; i < len; i++)
        buf[i] = (i % 2 == 0) ? 0xFF : high_then_counter++; /* every other byte is rejected */
    return 0;
}
static int always_rejected(void *ud, uint8_t *buf, size_t len)
{
    (void)ud;
    memset(buf, 0xF0, len);
    return 0;
}
static int failing(void *ud, uint8_t *buf, size_t len)
{
    (void)ud; (void)buf; (void)len;
    return -1;
}

Test(fields_conn, generation_rejects_biased_bytes)
{
    ipsecvpn_host host = {.version = IPSECVPN_HOST_VERSION, .random = rejecting_random};
    ipsecvpn_ctx *x;
    ipsecvpn_connection *d;
    high_then_counter = 90; /* 90, 91, 92 -> 'Z'... wrap: 93 % 93 = 0 */
    cr_assert_eq(ipsecvpn_ctx_new(&host, &x), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_connection_new(x, IPSECVPN_PROFILE_CLOUD, &d), IPSECVPN_OK);
    char expect_key[17];
    for (int i = 0; i < 16; i++)
        expect_key[i] = ivpn_psk_alphabet[(90 + i) % 93];
    expect_key[16] = '\0';
    cr_assert_str_eq(tf_get(d, "psk"), expect_key);
    ipsecvpn_connection_free(d);
    ipsecvpn_ctx_free(x);

    host.random = always_rejected;
    cr_assert_eq(ipsecvpn_ctx_new(&host, &x), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_connection_new(x, IPSECVPN_PROFILE_CLOUD, &d), IPSECVPN_ERR_RANDOM);
    ipsecvpn_ctx_free(x);
    host.random = failing;
    cr_assert_eq(ipsecvpn_ctx_new(&host, &x), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_connection_new(x, IPSECVPN_PROFILE_CLOUD, &d), IPSECVPN_ERR_RANDOM);
    ipsecvpn_ctx_free(x);
}

Test(fields_conn, names_and_descriptions)
{
    char name[402];
    memset(name, 'n', 100);
    name[100] = '\0';
    expect("name", name, IPSECVPN_OK);
    name[100] = 'n';
    name[101] = '\0';
    expect("name", name, IPSECVPN_ERR_CONFIG_LENGTH);
    expect_msg("name", "", IPSECVPN_ERR_CONFIG_LENGTH, "name: must be 1..100 characters, got ");
    expect("name", "x", IPSECVPN_OK);
    expect_msg("name", "http://evil", IPSECVPN_ERR_CONFIG_SYNTAX,
               "name: must not start with http:// or https://, got http://evil");
    expect("name", "HTTPS://evil", IPSECVPN_ERR_CONFIG_SYNTAX);
    expect("name", "http:/ok", IPSECVPN_OK);
    expect("name", "tab\there", IPSECVPN_ERR_CONFIG_CHARSET);
    expect("name", "bad\xff", IPSECVPN_ERR_CONFIG_CHARSET);
    expect("name", "over\xc0\xaflong", IPSECVPN_ERR_CONFIG_CHARSET);
    /* 100 Japanese characters (3 bytes each) fit; 101 do not */
    name[0] = '\0';
    for (int i = 0; i < 100; i++)
        strcat(name, "\xe6\x8e\xa5");
    expect("name", name, IPSECVPN_OK);
    cr_assert_str_eq(tf_get(c, "name"), name);
    strcat(name, "\xe6\x8e\xa5");
    expect("name", name, IPSECVPN_ERR_CONFIG_LENGTH);
    expect("description", "", IPSECVPN_OK);
    char desc[300];
    memset(desc, 'd', 255);
    desc[255] = '\0';
    expect("description", desc, IPSECVPN_OK);
    desc[255] = 'd';
    desc[256] = '\0';
    expect("description", desc, IPSECVPN_ERR_CONFIG_LENGTH);
    expect("ike.name", "IKE-1", IPSECVPN_OK);
    expect("ipsec.name", "https://x", IPSECVPN_ERR_CONFIG_SYNTAX);
    expect("association.vpn_gateway", "vpn-bp1q8bgx4xnkm2ogj****", IPSECVPN_OK);
    expect("association.vpn_gateway", "has space", IPSECVPN_ERR_CONFIG_CHARSET);
    memset(desc, 'r', 101);
    desc[101] = '\0';
    expect("association.zone", desc, IPSECVPN_ERR_CONFIG_LENGTH);
    desc[100] = '\0';
    expect("association.zone", desc, IPSECVPN_OK);
}

Test(fields_conn, identities_per_profile_length)
{
    char id[300];
    char a50[51], b45[47];
    memset(a50, 'a', 50);
    a50[50] = '\0';
    memset(b45, 'b', 46);
    b45[45] = '\0';
    snprintf(id, sizeof(id), "%s.%s.com", a50, b45); /* 100 characters */
    cr_assert_eq(strlen(id), 100);
    expect("ike.remote_id", id, IPSECVPN_OK);
    b45[45] = 'b';
    b45[46] = '\0';
    snprintf(id, sizeof(id), "%s.%s.com", a50, b45); /* 101 characters */
    expect_msg("ike.remote_id", id, IPSECVPN_ERR_CONFIG_LENGTH,
               "ike.remote_id: must be at most 100 characters, got "
               "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
               "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.com");
    ipsecvpn_connection *os = tf_conn(ctx, IPSECVPN_PROFILE_OPENSTACK);
    cr_assert_eq(tf_set(os, "ike.remote_id", id), IPSECVPN_OK);
    /* 255 characters: four labels of 63 and "a" */
    char l63[64];
    memset(l63, 'b', 63);
    l63[63] = '\0';
    snprintf(id, sizeof(id), "%s.%s.%s.%s", l63, l63, l63, "ccc");
    cr_assert_eq(strlen(id), 195);
    cr_assert_eq(tf_set(os, "ike.remote_id", id), IPSECVPN_OK);
    char l61[62];
    memset(l61, 'c', 61);
    l61[61] = '\0';
    snprintf(id, sizeof(id), "x@%s.%s.%s.%s", l63, l63, l63, l61);
    cr_assert_eq(strlen(id), 255);
    cr_assert_eq(tf_set(os, "ike.remote_id", id), IPSECVPN_OK);
    strcat(id, "c");
    cr_assert_eq(tf_set(os, "ike.remote_id", id), IPSECVPN_ERR_CONFIG_LENGTH);
    ipsecvpn_connection_free(os);
    expect("ike.local_id", "not an id!", IPSECVPN_ERR_CONFIG_SYNTAX);
    expect("ike.local_id", "2001:DB8::5", IPSECVPN_OK);
    cr_assert_str_eq(tf_get(c, "ike.local_id"), "2001:db8::5");
    expect("ike.local_id", "", IPSECVPN_OK);
}

Test(fields_conn, addresses_and_cidr_lists)
{
    expect("local_address", "47.100.1.2", IPSECVPN_OK);
    expect("peer_address", "1.2.3.4", IPSECVPN_OK);
    expect("peer_address", "1.2.3.400", IPSECVPN_ERR_CONFIG_SYNTAX);
    expect("local_cidrs", "192.168.0.0/16, 172.16.0.0/12", IPSECVPN_OK);
    cr_assert_str_eq(tf_get(c, "local_cidrs"), "192.168.0.0/16,172.16.0.0/12");
    expect("local_cidrs", "192.168.0.1/16", IPSECVPN_ERR_CONFIG_RANGE);
    expect("local_cidrs", "192.168.0.0/16,,10.0.0.0/8", IPSECVPN_ERR_CONFIG_SYNTAX);
    expect("local_cidrs", "192.168.0.0/16,", IPSECVPN_ERR_CONFIG_SYNTAX);
    expect("local_cidrs", "10.0.0.0/8,10.0.0.0/8", IPSECVPN_ERR_CONFIG_CONFLICT);
    expect("local_cidrs", "", IPSECVPN_OK);
    cr_assert_str_eq(tf_get(c, "local_cidrs"), "");
    char list[2048] = "";
    for (int i = 0; i < 32; i++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s10.%d.0.0/16", i ? "," : "", i);
    expect("remote_cidrs", list, IPSECVPN_OK);
    strcat(list, ",11.0.0.0/8");
    expect("remote_cidrs", list, IPSECVPN_ERR_CONFIG_LENGTH);
}
