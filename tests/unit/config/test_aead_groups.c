/*
 * AES-GCM-16 encryption (RFC 4106 / 5282) and the ECP / X25519 groups (RFC 5903 / 8031) in the
 * configuration model: spellings (OpenStack's aes-128-gcm-16 among them), values, key sizes,
 * validation (AEAD IKE needs IKEv2) and the strongSwan / libreswan / JSON exports.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ipsecvpn/algorithms.h"
#include "test_export_common.h"

static void parses(const char *kind, const char *text, const char *canonical, int value)
{
    const char *c = NULL;
    int v = -1;
    cr_assert_eq(ipsecvpn_enum_parse(kind, text, &c, &v), IPSECVPN_OK, "%s %s", kind, text);
    cr_assert_str_eq(c, canonical, "%s %s", kind, text);
    cr_assert_eq(v, value, "%s %s", kind, text);
}

Test(aead_groups, gcm_spellings, .timeout = 10)
{
    static const char *const gcm128[] = { "aes128gcm16", "aes-128-gcm-16", "AES128GCM16", NULL };
    static const char *const gcm256[] = { "aes256gcm16", "aes-256-gcm-16", "Aes-256-Gcm-16", NULL };
    for (size_t i = 0; gcm128[i]; i++) {
        parses("encryption", gcm128[i], "aes128gcm16", IPSECVPN_ENCR_AES_GCM_16);
        cr_assert_eq(ipsecvpn_enum_key_bits(gcm128[i]), 128);
    }
    for (size_t i = 0; gcm256[i]; i++) {
        parses("encryption", gcm256[i], "aes256gcm16", IPSECVPN_ENCR_AES_GCM_16);
        cr_assert_eq(ipsecvpn_enum_key_bits(gcm256[i]), 256);
    }
    /* other GCM forms OpenStack lists are not offered (yet) */
    cr_assert_eq(ipsecvpn_enum_parse("encryption", "aes-128-gcm-8", NULL, NULL),
                 IPSECVPN_ERR_CONFIG_SYNTAX);
    cr_assert_eq(ipsecvpn_enum_parse("encryption", "aes-192-gcm-16", NULL, NULL),
                 IPSECVPN_ERR_CONFIG_SYNTAX);
    /* existing values keep their meaning */
    parses("encryption", "aes-128", "aes", IPSECVPN_ENCR_AES_CBC);
    cr_assert_eq(ipsecvpn_enum_key_bits("aes256"), 256);
}

Test(aead_groups, group_spellings, .timeout = 10)
{
    static const struct { const char *text, *canonical; int value; } cases[] = {
        { "group19", "group19", IPSECVPN_DH_ECP256 },   { "ecp256", "group19", IPSECVPN_DH_ECP256 },
        { "group20", "group20", IPSECVPN_DH_ECP384 },   { "ECP384", "group20", IPSECVPN_DH_ECP384 },
        { "group21", "group21", IPSECVPN_DH_ECP521 },   { "ecp521", "group21", IPSECVPN_DH_ECP521 },
        { "group31", "group31", IPSECVPN_DH_CURVE25519 },
        { "x25519", "group31", IPSECVPN_DH_CURVE25519 },
        { "curve25519", "group31", IPSECVPN_DH_CURVE25519 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        parses("dh_group", cases[i].text, cases[i].canonical, cases[i].value);
        parses("pfs", cases[i].text, cases[i].canonical, cases[i].value);
    }
    parses("pfs", "disabled", "disabled", IPSECVPN_DH_NONE);
    parses("dh_group", "modp2048", "group14", IPSECVPN_DH_MODP2048);
    cr_assert_eq(ipsecvpn_enum_parse("dh_group", "group22", NULL, NULL), IPSECVPN_ERR_CONFIG_SYNTAX);
    cr_assert_eq(ipsecvpn_enum_parse("dh_group", "disabled", NULL, NULL),
                 IPSECVPN_ERR_CONFIG_SYNTAX);
}

static const char *const aead_v2[] = {
    "name", "aead-v2",
    "local_address", "198.51.100.1",
    "peer_address", "203.0.113.2",
    "psk", "Abc123xyz",
    "ike.version", "ikev2",
    "ike.encryption", "aes-128-gcm-16",
    "ike.integrity", "sha256",
    "ike.dh_group", "x25519",
    "ipsec.encryption", "aes256gcm16",
    "ipsec.integrity", "sha256",
    "ipsec.pfs", "ecp256",
    NULL,
};

static char *export(const ipsecvpn_connection *c, ipsecvpn_export_format f)
{
    static char buf[8192];
    size_t needed = 0;
    int rc = ipsecvpn_connection_export(c, f, buf, sizeof(buf), &needed);
    cr_assert_eq(rc, IPSECVPN_OK, "export %d: %d", (int)f, rc);
    return buf;
}

Test(aead_groups, stored_canonical_and_exported, .timeout = 10)
{
    ipsecvpn_ctx *ctx = test_ctx();
    ipsecvpn_connection *c = test_conn(ctx, aead_v2);
    char v[64];
    cr_assert_eq(ipsecvpn_connection_get(c, "ike.encryption", v, sizeof(v), NULL), IPSECVPN_OK);
    cr_assert_str_eq(v, "aes128gcm16");
    cr_assert_eq(ipsecvpn_connection_get(c, "ipsec.encryption", v, sizeof(v), NULL), IPSECVPN_OK);
    cr_assert_str_eq(v, "aes256gcm16");
    cr_assert_eq(ipsecvpn_connection_get(c, "ike.dh_group", v, sizeof(v), NULL), IPSECVPN_OK);
    cr_assert_str_eq(v, "group31");
    cr_assert_eq(ipsecvpn_connection_get(c, "ipsec.pfs", v, sizeof(v), NULL), IPSECVPN_OK);
    cr_assert_str_eq(v, "group19");

    const char *s = export(c, IPSECVPN_EXPORT_SWANCTL);
    cr_assert_not_null(strstr(s, "proposals = aes128gcm16-prfsha256-curve25519\n"), "%s", s);
    cr_assert_not_null(strstr(s, "esp_proposals = aes256gcm16-ecp256\n"), "%s", s);
    s = export(c, IPSECVPN_EXPORT_LIBRESWAN);
    cr_assert_not_null(strstr(s, "ike=aes_gcm128-sha2_256;dh31\n"), "%s", s);
    cr_assert_not_null(strstr(s, "esp=aes_gcm256;dh19\n    pfs=yes\n"), "%s", s);
    s = export(c, IPSECVPN_EXPORT_JSON);
    cr_assert_not_null(strstr(s, "\"IkeEncAlg\": \"aes128gcm16\""), "%s", s);
    cr_assert_not_null(strstr(s, "\"IpsecPfs\": \"group19\""), "%s", s);
    ipsecvpn_connection_free(c);
    ipsecvpn_ctx_free(ctx);
}

Test(aead_groups, esp_gcm_without_pfs_and_cbc_ike, .timeout = 10)
{
    ipsecvpn_ctx *ctx = test_ctx();
    const char *const pairs[] = {
        "local_address", "198.51.100.1", "peer_address", "203.0.113.2", "psk", "Abc123xyz",
        "ike.version", "ikev2", "ike.encryption", "aes256", "ike.integrity", "sha384",
        "ike.dh_group", "group20", "ipsec.encryption", "aes-128-gcm-16", "ipsec.pfs", "disabled",
        NULL,
    };
    ipsecvpn_connection *c = test_conn(ctx, pairs);
    const char *s = export(c, IPSECVPN_EXPORT_SWANCTL);
    cr_assert_not_null(strstr(s, "proposals = aes256-sha384-ecp384\n"), "%s", s);
    cr_assert_not_null(strstr(s, "esp_proposals = aes128gcm16\n"), "%s", s);
    s = export(c, IPSECVPN_EXPORT_LIBRESWAN);
    cr_assert_not_null(strstr(s, "ike=aes256-sha2_384;dh20\n"), "%s", s);
    cr_assert_not_null(strstr(s, "esp=aes_gcm128\n    pfs=no\n"), "%s", s);
    ipsecvpn_connection_free(c);
    ipsecvpn_ctx_free(ctx);
}

/* RFC 5282 is IKEv2 only: an AEAD IKE policy under IKEv1 is a conflict, ESP GCM is not. */
Test(aead_groups, aead_ike_needs_ikev2, .timeout = 10)
{
    ipsecvpn_ctx *ctx = test_ctx();
    ipsecvpn_connection *c = NULL;
    cr_assert_eq(ipsecvpn_connection_new(ctx, IPSECVPN_PROFILE_CLOUD, &c), IPSECVPN_OK);
    ipsecvpn_report *rep = NULL;
    cr_assert_eq(ipsecvpn_report_new(ctx, IPSECVPN_REPORT_ALL, &rep), IPSECVPN_OK);
    const char *f[] = { "local_address", "peer_address", "psk", "ike.version", "ike.encryption" };
    const char *v[] = { "198.51.100.1", "203.0.113.2", "Abc123xyz", "ikev1", "aes128gcm16" };
    cr_assert_eq(ipsecvpn_connection_update(c, f, v, 5, rep), IPSECVPN_ERR_CONFIG_CONFLICT);
    cr_assert_str_eq(ipsecvpn_report_message(rep, 0),
                     "ike.encryption: an AEAD cipher needs ike.version ikev2, got aes128gcm16");
    v[3] = "ikev2";
    cr_assert_eq(ipsecvpn_connection_update(c, f, v, 5, NULL), IPSECVPN_OK);
    const char *f2[] = { "ike.version", "ike.encryption", "ipsec.encryption" };
    const char *v2[] = { "ikev1", "aes", "aes256gcm16" };
    cr_assert_eq(ipsecvpn_connection_update(c, f2, v2, 3, NULL), IPSECVPN_OK);
    ipsecvpn_report_free(rep);
    ipsecvpn_connection_free(c);
    ipsecvpn_ctx_free(ctx);
}
