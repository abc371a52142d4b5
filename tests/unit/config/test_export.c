/* Configuration download: swanctl.conf and libreswan ipsec.conf for the peer, buffer rules. */
#include "test_export_common.h"

static ipsecvpn_ctx *ctx;
static void setup(void) { ctx = test_ctx(); }
static void teardown(void) { ipsecvpn_ctx_free(ctx); }

static void assert_contains(const char *text, const char *needle)
{
    cr_assert_not_null(strstr(text, needle), "missing <%s> in:\n%s", needle, text);
}

static void assert_lacks(const char *text, const char *needle)
{
    cr_assert_null(strstr(text, needle), "unexpected <%s> in:\n%s", needle, text);
}

TestSuite(export, .init = setup, .fini = teardown);

/* JSON is a format only in builds with cJSON (test_export_json.c covers the other case). */
#ifdef IPSECVPN_HAVE_CJSON
#define LAST_FORMAT IPSECVPN_EXPORT_JSON
#else
#define LAST_FORMAT IPSECVPN_EXPORT_LIBRESWAN
#endif

Test(export, swanctl_seed_v1_golden)
{
    ipsecvpn_connection *c = test_conn(ctx, seed_v1);
    char *out = test_export(c, IPSECVPN_EXPORT_SWANCTL);
    const char *want =
        "# strongSwan swanctl.conf for the peer of connection \"seed-v1\" (written by libipsecvpn)\n"
        "connections {\n"
        "    seed-v1 {\n"
        "        version = 1\n"
        "        local_addrs = 203.0.113.2\n"
        "        remote_addrs = 198.51.100.1\n"
        "        proposals = aes128-sha1-modp1024\n"
        "        rekey_time = 77760s\n"
        "        over_time = 8640s\n"
        "        encap = no\n"
        "        mobike = no\n"
        "        local {\n"
        "            auth = psk\n"
        "            id = 203.0.113.2\n"
        "        }\n"
        "        remote {\n"
        "            auth = psk\n"
        "            id = 198.51.100.1\n"
        "        }\n"
        "        children {\n"
        "            seed-v1 {\n"
        "                local_ts = 0.0.0.0/0\n"
        "                remote_ts = 0.0.0.0/0\n"
        "                esp_proposals = aes128-sha1-modp1024\n"
        "                mode = tunnel\n"
        "                rekey_time = 77760s\n"
        "                life_time = 86400s\n"
        "                start_action = start\n"
        "            }\n"
        "        }\n"
        "    }\n"
        "}\n"
        "secrets {\n"
        "    ike-seed-v1 {\n"
        "        id-1 = 203.0.113.2\n"
        "        id-2 = 198.51.100.1\n"
        "        secret = \"Abc123xyz\"\n"
        "    }\n"
        "}\n";
    cr_assert_str_eq(out, want);
    free(out);
    ipsecvpn_connection_free(c);
}

Test(export, swanctl_flows_v2_mirrored)
{
    ipsecvpn_connection *c = test_conn(ctx, flows_v2);
    char *out = test_export(c, IPSECVPN_EXPORT_SWANCTL);
    assert_contains(out, "        version = 2\n");
    assert_lacks(out, "aggressive");
    assert_contains(out, "local_addrs = 203.0.113.2\n");
    assert_contains(out, "remote_addrs = 198.51.100.1\n");
    assert_contains(out, "        proposals = aes256-sha256-modp2048\n");
    assert_contains(out, "        rekey_time = 25920s\n        over_time = 2880s\n");
    assert_contains(out, "dpd_delay = 10s\n        dpd_timeout = 130s\n");
    assert_contains(out, "encap = yes\n");
    /* the peer's local selectors are our remote CIDRs */
    assert_contains(out, "local_ts = 192.168.10.0/24,192.168.20.0/24\n");
    assert_contains(out, "remote_ts = 10.1.0.0/24,10.2.0.0/24\n");
    assert_contains(out, "esp_proposals = aes256-sha256-modp2048\n");
    assert_contains(out, "rekey_time = 3240s\n                life_time = 3600s\n");
    assert_contains(out, "start_action = trap\n");
    assert_contains(out, "dpd_action = restart\n");
    /* a backslash in the PSK: hex form, no escaping to get wrong */
    assert_contains(out, "secret = 0x4b65797e6021402324255e262a28295f2d2b3d7b7d5b5d5c7c3b3a272c2e3c3e2f3f\n");
    free(out);
    ipsecvpn_connection_free(c);
}

Test(export, swanctl_aggressive_fqdn_response_only_lifetime_zero)
{
    ipsecvpn_connection *c = test_conn(ctx, aggr_v1);
    char *out = test_export(c, IPSECVPN_EXPORT_SWANCTL);
    /* the name has a space: sections use a safe spelling */
    assert_contains(out, "connections {\n    aggr_v1 {\n");
    assert_contains(out, "aggressive = yes\n");
    assert_contains(out, "proposals = 3des-md5-modp1536\n");
    assert_contains(out, "        rekey_time = 0s\n");
    assert_lacks(out, "over_time");
    assert_lacks(out, "life_time");
    assert_contains(out, "esp_proposals = des-sha512\n"); /* PFS disabled: no group */
    assert_contains(out, "id = branch.example.org\n");   /* peer's own id: our remote id */
    assert_contains(out, "id-1 = branch.example.org\n        id-2 = gw.cloud.example\n");
    assert_contains(out, "start_action = start\n");      /* we never initiate */
    assert_lacks(out, "dpd_");
    free(out);
    ipsecvpn_connection_free(c);
}

Test(export, swanctl_psk_specials_quoted)
{
    static const char *const pairs[] = {
        "local_address", "198.51.100.1", "peer_address", "203.0.113.2",
        "psk", "a#b{c}d=e'f$g;h", NULL,
    };
    ipsecvpn_connection *c = test_conn(ctx, pairs);
    char *out = test_export(c, IPSECVPN_EXPORT_SWANCTL);
    assert_contains(out, "secret = \"a#b{c}d=e'f$g;h\"\n");
    free(out);
    ipsecvpn_connection_free(c);

    /* a PSK that starts like swanctl's hex prefix must not be read as hex */
    static const char *const hexlike[] = {
        "local_address", "198.51.100.1", "peer_address", "203.0.113.2", "psk", "0x1234", NULL,
    };
    c = test_conn(ctx, hexlike);
    out = test_export(c, IPSECVPN_EXPORT_SWANCTL);
    assert_contains(out, "secret = 0x307831323334\n");
    free(out);
    ipsecvpn_connection_free(c);
}

Test(export, libreswan_flows_v2_golden)
{
    ipsecvpn_connection *c = test_conn(ctx, flows_v2);
    char *out = test_export(c, IPSECVPN_EXPORT_LIBRESWAN);
    const char *want =
        "# libreswan ipsec.conf for the peer of connection \"flows-v2\" (written by libipsecvpn)\n"
        "conn flows-v2\n"
        "    ikev2=yes\n"
        "    authby=secret\n"
        "    type=tunnel\n"
        "    left=203.0.113.2\n"
        "    leftid=203.0.113.2\n"
        "    leftsubnets={192.168.10.0/24 192.168.20.0/24}\n"
        "    right=198.51.100.1\n"
        "    rightid=198.51.100.1\n"
        "    rightsubnets={10.1.0.0/24 10.2.0.0/24}\n"
        "    ike=aes256-sha2_256;modp2048\n"
        "    esp=aes256-sha2_256;modp2048\n"
        "    pfs=yes\n"
        "    ikelifetime=28800s\n"
        "    salifetime=3600s\n"
        "    dpddelay=10\n"
        "    dpdtimeout=130\n"
        "    dpdaction=restart\n"
        "    encapsulation=yes\n"
        "    auto=route\n"
        "\n"
        "# ipsec.secrets:\n"
        "# 203.0.113.2 198.51.100.1 : PSK "
        "0x4b65797e6021402324255e262a28295f2d2b3d7b7d5b5d5c7c3b3a272c2e3c3e2f3f\n";
    cr_assert_str_eq(out, want);
    free(out);
    ipsecvpn_connection_free(c);
}

Test(export, libreswan_seed_and_aggressive)
{
    ipsecvpn_connection *c = test_conn(ctx, seed_v1);
    char *out = test_export(c, IPSECVPN_EXPORT_LIBRESWAN);
    assert_contains(out, "    ikev2=no\n");
    assert_contains(out, "    leftsubnet=0.0.0.0/0\n");
    assert_contains(out, "    ike=aes128-sha1;modp1024\n");
    assert_contains(out, "    esp=aes128-sha1;modp1024\n    pfs=yes\n");
    assert_contains(out, "    encapsulation=no\n    auto=start\n");
    assert_contains(out, "# 203.0.113.2 198.51.100.1 : PSK \"Abc123xyz\"\n");
    assert_lacks(out, "dpd");
    free(out);
    ipsecvpn_connection_free(c);

    c = test_conn(ctx, aggr_v1);
    out = test_export(c, IPSECVPN_EXPORT_LIBRESWAN);
    assert_contains(out, "conn aggr_v1\n");
    assert_contains(out, "    aggressive=yes\n");
    assert_contains(out, "    leftid=@branch.example.org\n"); /* FQDN, not resolved by DNS */
    assert_contains(out, "    rightid=@gw.cloud.example\n");
    assert_contains(out, "    esp=des-sha2_512\n    pfs=no\n");
    assert_lacks(out, "lifetime");
    assert_contains(out, "    auto=start\n");
    free(out);
    ipsecvpn_connection_free(c);
}

Test(export, buffer_too_small_writes_nothing)
{
    ipsecvpn_connection *c = test_conn(ctx, flows_v2);
    for (int f = IPSECVPN_EXPORT_SWANCTL; f <= LAST_FORMAT; f++) {
        size_t needed = 0;
        cr_assert_eq(ipsecvpn_connection_export(c, f, NULL, 0, &needed),
                     IPSECVPN_ERR_BUFFER_TOO_SMALL);
        cr_assert_gt(needed, 100);
        char *buf = malloc(needed + 2);
        memset(buf, 'Z', needed + 2);
        size_t got = 0;
        /* exactly needed bytes: no room for the NUL */
        cr_assert_eq(ipsecvpn_connection_export(c, f, buf, needed, &got),
                     IPSECVPN_ERR_BUFFER_TOO_SMALL);
        cr_assert_eq(got, needed);
        for (size_t i = 0; i < needed + 2; i++)
            cr_assert_eq(buf[i], 'Z', "byte %zu written", i);
        cr_assert_eq(ipsecvpn_connection_export(c, f, buf, needed + 1, NULL), IPSECVPN_OK);
        cr_assert_eq(strlen(buf), needed);
        cr_assert_eq(buf[needed + 1], 'Z'); /* nothing past buflen */
        free(buf);
    }
    ipsecvpn_connection_free(c);
}

Test(export, invalid_connection_refused)
{
    ipsecvpn_connection *c = NULL;
    cr_assert_eq(ipsecvpn_connection_new(ctx, IPSECVPN_PROFILE_CLOUD, &c), IPSECVPN_OK);
    char buf[4096];
    size_t needed = 7;
    for (int f = IPSECVPN_EXPORT_SWANCTL; f <= LAST_FORMAT; f++) {
        int rc = ipsecvpn_connection_export(c, f, buf, sizeof(buf), &needed);
        /* no addresses yet: the validation error, not success nor a buffer problem */
        cr_assert_lt(rc, 0);
        cr_assert_neq(rc, IPSECVPN_ERR_BUFFER_TOO_SMALL);
        cr_assert_eq(rc, ipsecvpn_connection_validate(c, NULL));
    }
    ipsecvpn_connection_free(c);
}

Test(export, bad_arguments)
{
    ipsecvpn_connection *c = test_conn(ctx, seed_v1);
    char buf[16];
    cr_assert_eq(ipsecvpn_connection_export(NULL, IPSECVPN_EXPORT_SWANCTL, buf, sizeof(buf),
                                            NULL), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_connection_export(c, (ipsecvpn_export_format)42, buf, sizeof(buf),
                                            NULL), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_connection_export(c, IPSECVPN_EXPORT_SWANCTL, NULL, 10, NULL),
                 IPSECVPN_ERR_INVALID_ARG);
    ipsecvpn_connection_free(c);
}

Test(export, ipv6_destination_mode_selectors)
{
    static const char *const pairs[] = {
        "local_address", "2001:db8::1", "peer_address", "2001:db8:1::2", "psk", "k6",
        "ike.version", "ikev2", NULL,
    };
    ipsecvpn_connection *c = test_conn(ctx, pairs);
    char *out = test_export(c, IPSECVPN_EXPORT_SWANCTL);
    assert_contains(out, "local_addrs = 2001:db8:1::2\n");
    assert_contains(out, "local_ts = ::/0\n                remote_ts = ::/0\n");
    free(out);
    ipsecvpn_connection_free(c);
}

Test(export, peer_start_follows_our_initiator_and_admin_state)
{
    static const char *const down[] = {
        "local_address", "198.51.100.1", "peer_address", "203.0.113.2", "psk", "k",
        "admin_state", "down", "initiator", "response-only", NULL,
    };
    ipsecvpn_connection *c = test_conn(ctx, down);
    char *out = test_export(c, IPSECVPN_EXPORT_SWANCTL);
    assert_contains(out, "start_action = none\n"); /* we are down: the peer only loads it */
    free(out);
    out = test_export(c, IPSECVPN_EXPORT_LIBRESWAN);
    assert_contains(out, "    auto=add\n");
    free(out);
    cr_assert_eq(ipsecvpn_connection_set(c, "admin_state", "up", NULL), IPSECVPN_OK);
    out = test_export(c, IPSECVPN_EXPORT_SWANCTL);
    assert_contains(out, "start_action = start\n"); /* response-only: the peer initiates */
    free(out);
    ipsecvpn_connection_free(c);
}
