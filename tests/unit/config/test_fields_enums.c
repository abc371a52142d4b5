/* Enumerated values (lib/config/enums.c): every product and OpenStack spelling. */
#include "test_fields_common.h"

typedef struct spelling {
    const char *kind, *text, *canonical;
    int value;
} spelling;

static const spelling spellings[] = {
    {"encryption", "aes", "aes", 12},
    {"encryption", "AES", "aes", 12},
    {"encryption", "aes128", "aes", 12},
    {"encryption", "aes-128", "aes", 12},
    {"encryption", "aes192", "aes192", 12},
    {"encryption", "aes-192", "aes192", 12},
    {"encryption", "aes256", "aes256", 12},
    {"encryption", "aes-256", "aes256", 12},
    {"encryption", "AES-256", "aes256", 12},
    {"encryption", "des", "des", 2},
    {"encryption", "3des", "3des", 3},
    {"encryption", "3DES", "3des", 3},
    {"integrity", "md5", "md5", 1},
    {"integrity", "sha1", "sha1", 2},
    {"integrity", "SHA1", "sha1", 2},
    {"integrity", "sha256", "sha256", 12},
    {"integrity", "sha384", "sha384", 13},
    {"integrity", "sha512", "sha512", 14},
    {"dh_group", "group1", "group1", 1},
    {"dh_group", "group2", "group2", 2},
    {"dh_group", "group5", "group5", 5},
    {"dh_group", "group14", "group14", 14},
    {"dh_group", "Group14", "group14", 14},
    {"dh_group", "modp2048", "group14", 14},
    {"pfs", "disabled", "disabled", 0},
    {"pfs", "group1", "group1", 1},
    {"pfs", "group2", "group2", 2},
    {"pfs", "group5", "group5", 5},
    {"pfs", "group14", "group14", 14},
    {"ike_version", "ikev1", "ikev1", 0},
    {"ike_version", "v1", "ikev1", 0},
    {"ike_version", "ikev2", "ikev2", 1},
    {"ike_version", "v2", "ikev2", 1},
    {"ike_version", "IKEv2", "ikev2", 1},
    {"ike_mode", "main", "main", 0},
    {"ike_mode", "aggressive", "aggressive", 1},
    {"initiator", "bi-directional", "bi-directional", 0},
    {"initiator", "response-only", "response-only", 1},
    {"dpd_action", "hold", "hold", 0},
    {"dpd_action", "restart", "restart", 1},
    {"dpd_action", "clear", "clear", 2},
    {"dpd_action", "disabled", "disabled", 3},
    {"dpd_action", "restart-by-peer", "restart-by-peer", 4},
    {"routing_mode", "destination", "destination", 0},
    {"routing_mode", "protected-flows", "protected-flows", 1},
    {"admin_state", "up", "up", 0},
    {"admin_state", "DOWN", "down", 1},
    {"gateway_type", "public", "public", 0},
    {"gateway_type", "private", "private", 1},
    {"association_type", "none", "none", 0},
    {"association_type", "vpn-gateway", "vpn-gateway", 1},
    {"association_type", "transit-router", "transit-router", 2},
    {"route_policy", "revoke_route", "revoke_route", 0},
    {"route_policy", "reserve_route", "reserve_route", 1},
    {"ipsec_mode", "tunnel", "tunnel", 0},
    {"ipsec_mode", "transport", "transport", 1},
    {"protocol", "esp", "esp", 0},
    {"protocol", "ESP", "esp", 0},
    {"switch", "on", "on", 1},
    {"switch", "yes", "on", 1},
    {"switch", "true", "on", 1},
    {"switch", "enable", "on", 1},
    {"switch", "off", "off", 0},
    {"switch", "no", "off", 0},
    {"switch", "false", "off", 0},
    {"switch", "disable", "off", 0},
};

Test(fields_enums, every_spelling_parses_to_its_canonical_name)
{
    for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
        const spelling *s = &spellings[i];
        const char *canonical = NULL;
        int value = -1;
        cr_assert_eq(ipsecvpn_enum_parse(s->kind, s->text, &canonical, &value), IPSECVPN_OK,
                     "%s %s", s->kind, s->text);
        cr_assert_str_eq(canonical, s->canonical, "%s %s", s->kind, s->text);
        cr_assert_eq(value, s->value, "%s %s -> %d", s->kind, s->text, value);
        /* the canonical name parses to itself */
        const char *again = NULL;
        cr_assert_eq(ipsecvpn_enum_parse(s->kind, canonical, &again, NULL), IPSECVPN_OK);
        cr_assert_str_eq(again, canonical);
    }
}

Test(fields_enums, unknown_values_and_kinds)
{
    const char *canonical = "unchanged";
    cr_assert_eq(ipsecvpn_enum_parse("encryption", "aes512", &canonical, NULL),
                 IPSECVPN_ERR_CONFIG_SYNTAX);
    cr_assert_str_eq(canonical, "unchanged");
    cr_assert_eq(ipsecvpn_enum_parse("encryption", "", NULL, NULL), IPSECVPN_ERR_CONFIG_SYNTAX);
    cr_assert_eq(ipsecvpn_enum_parse("encryption", " aes", NULL, NULL),
                 IPSECVPN_ERR_CONFIG_SYNTAX);
    cr_assert_eq(ipsecvpn_enum_parse("dh_group", "group3", NULL, NULL),
                 IPSECVPN_ERR_CONFIG_SYNTAX);
    cr_assert_eq(ipsecvpn_enum_parse("pfs", "group0", NULL, NULL), IPSECVPN_ERR_CONFIG_SYNTAX);
    cr_assert_eq(ipsecvpn_enum_parse("colour", "red", NULL, NULL),
                 IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD);
    cr_assert_eq(ipsecvpn_enum_parse(NULL, "red", NULL, NULL), IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD);
    cr_assert_eq(ipsecvpn_enum_parse("switch", NULL, NULL, NULL), IPSECVPN_ERR_CONFIG_SYNTAX);
}

Test(fields_enums, names_list_the_choices_in_order)
{
    const char *expect[] = {"aes", "aes192", "aes256", "des", "3des", "aes128gcm16",
                            "aes256gcm16", NULL};
    for (size_t i = 0; expect[i]; i++)
        cr_assert_str_eq(ipsecvpn_enum_name("encryption", i), expect[i]);
    cr_assert_null(ipsecvpn_enum_name("encryption", 7));
    const char *pfs[] = {"disabled", "group1", "group2", "group5", "group14", "group19",
                         "group20", "group21", "group31", NULL};
    for (size_t i = 0; pfs[i]; i++)
        cr_assert_str_eq(ipsecvpn_enum_name("pfs", i), pfs[i]);
    cr_assert_null(ipsecvpn_enum_name("nope", 0));
    cr_assert_str_eq(ipsecvpn_enum_name("dpd_action", 4), "restart-by-peer");
}

Test(fields_enums, status_names_come_from_the_registry)
{
    const char *canonical = NULL;
    int value = -1;
    cr_assert_eq(ipsecvpn_enum_parse("status", "active", &canonical, &value), IPSECVPN_OK);
    cr_assert_str_eq(canonical, ipsecvpn_status_name(IPSECVPN_STATUS_ACTIVE));
    cr_assert_eq(value, IPSECVPN_STATUS_ACTIVE);
    cr_assert_str_eq(ipsecvpn_enum_name("status", IPSECVPN_STATUS_DELETING),
                     ipsecvpn_status_name(IPSECVPN_STATUS_DELETING));
    cr_assert_null(ipsecvpn_enum_name("status", IPSECVPN_STATUS_DELETING + 1));
    cr_assert_eq(ipsecvpn_enum_parse("status", "UNKNOWN", NULL, NULL), IPSECVPN_ERR_CONFIG_SYNTAX);
}

/* Every spelling also works through the field setters and reads back canonically. */
Test(fields_enums, field_setters_accept_every_spelling)
{
    ipsecvpn_ctx *ctx = tf_ctx();
    ipsecvpn_connection *c = tf_conn(ctx, IPSECVPN_PROFILE_CLOUD);
    const struct {
        const char *field, *kind;
    } map[] = {
        {"ike.encryption", "encryption"}, {"ipsec.encryption", "encryption"},
        {"ike.integrity", "integrity"},   {"ipsec.authentication", "integrity"},
        {"ike.dh_group", "dh_group"},     {"ipsec.pfs", "pfs"},
        {"ike.version", "ike_version"},   {"ike.mode", "ike_mode"},
        {"initiator", "initiator"},       {"dpd.action", "dpd_action"},
        {"admin_state", "admin_state"},   {"gateway_type", "gateway_type"},
        {"association.type", "association_type"},
        {"health_check.route_policy", "route_policy"},
        {"ipsec.mode", "ipsec_mode"},     {"ipsec.protocol", "protocol"},
        {"nat_traversal", "switch"},
    };
    for (size_t m = 0; m < sizeof(map) / sizeof(map[0]); m++) {
        for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
            if (strcmp(spellings[i].kind, map[m].kind) != 0)
                continue;
            cr_assert_eq(tf_set(c, map[m].field, spellings[i].text), IPSECVPN_OK, "%s=%s",
                         map[m].field, spellings[i].text);
            cr_assert_str_eq(tf_get(c, map[m].field), spellings[i].canonical);
        }
    }
    ipsecvpn_connection_free(c);
    ipsecvpn_ctx_free(ctx);
}

Test(enums, key_bits_of_every_encryption_spelling)
{
    cr_assert_eq(ipsecvpn_enum_key_bits("aes"), 128);
    cr_assert_eq(ipsecvpn_enum_key_bits("aes-128"), 128);
    cr_assert_eq(ipsecvpn_enum_key_bits("aes192"), 192);
    cr_assert_eq(ipsecvpn_enum_key_bits("AES-256"), 256);
    cr_assert_eq(ipsecvpn_enum_key_bits("des"), 64);
    cr_assert_eq(ipsecvpn_enum_key_bits("3des"), 192);
    cr_assert_eq(ipsecvpn_enum_key_bits("sha1"), 0);
    cr_assert_eq(ipsecvpn_enum_key_bits(NULL), 0);
}
