/* The cloud API's connection config JSON: export (peer's view), import, round trip. */
#include "test_export_common.h"

static ipsecvpn_ctx *ctx;
static void setup(void) { ctx = test_ctx(); }
static void teardown(void) { ipsecvpn_ctx_free(ctx); }
TestSuite(export_json, .init = setup, .fini = teardown);

#ifdef IPSECVPN_HAVE_CJSON
#include <cjson/cJSON.h>

static const char *str_at(const cJSON *root, const char *obj, const char *key)
{
    const cJSON *o = obj ? cJSON_GetObjectItemCaseSensitive(root, obj) : root;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(o, key);
    cr_assert(cJSON_IsString(item), "%s.%s is not a string", obj ? obj : "", key);
    return item->valuestring;
}

static double num_at(const cJSON *root, const char *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, obj), key);
    cr_assert(cJSON_IsNumber(item), "%s.%s is not a number", obj, key);
    return item->valuedouble;
}

Test(export_json, flows_v2_from_the_device_view)
{
    ipsecvpn_connection *c = test_conn(ctx, flows_v2);
    char *out = test_export(c, IPSECVPN_EXPORT_JSON);
    cJSON *root = cJSON_Parse(out);
    cr_assert_not_null(root, "not JSON:\n%s", out);
    cr_assert_str_eq(str_at(root, NULL, "Local"), "203.0.113.2");
    cr_assert_str_eq(str_at(root, NULL, "Remote"), "198.51.100.1");
    cr_assert_str_eq(str_at(root, NULL, "LocalSubnet"), "192.168.10.0/24,192.168.20.0/24");
    cr_assert_str_eq(str_at(root, NULL, "RemoteSubnet"), "10.1.0.0/24,10.2.0.0/24");
    cr_assert_str_eq(str_at(root, "IkeConfig", "IkeVersion"), "ikev2");
    cr_assert_str_eq(str_at(root, "IkeConfig", "IkeEncAlg"), "aes256");
    cr_assert_str_eq(str_at(root, "IkeConfig", "IkeAuthAlg"), "sha256");
    cr_assert_str_eq(str_at(root, "IkeConfig", "IkePfs"), "group14");
    cr_assert_eq(num_at(root, "IkeConfig", "IkeLifetime"), 28800);
    cr_assert_str_eq(str_at(root, "IkeConfig", "LocalId"), "203.0.113.2");
    cr_assert_str_eq(str_at(root, "IkeConfig", "RemoteId"), "198.51.100.1");
    cr_assert_str_eq(str_at(root, "IkeConfig", "Psk"), "Key" ALL_SPECIALS);
    cr_assert_str_eq(str_at(root, "IpsecConfig", "IpsecEncAlg"), "aes256");
    cr_assert_str_eq(str_at(root, "IpsecConfig", "IpsecAuthAlg"), "sha256");
    cr_assert_str_eq(str_at(root, "IpsecConfig", "IpsecPfs"), "group14");
    cr_assert_eq(num_at(root, "IpsecConfig", "IpsecLifetime"), 3600);
    cJSON_Delete(root);
    free(out);
    ipsecvpn_connection_free(c);
}

Test(export_json, seed_destination_mode_and_ids)
{
    ipsecvpn_connection *c = test_conn(ctx, aggr_v1);
    char *out = test_export(c, IPSECVPN_EXPORT_JSON);
    cJSON *root = cJSON_Parse(out);
    cr_assert_not_null(root);
    cr_assert_str_eq(str_at(root, "IkeConfig", "IkeMode"), "aggressive");
    cr_assert_str_eq(str_at(root, "IkeConfig", "LocalId"), "branch.example.org");
    cr_assert_str_eq(str_at(root, "IkeConfig", "RemoteId"), "gw.cloud.example");
    cr_assert_str_eq(str_at(root, "IpsecConfig", "IpsecPfs"), "disabled");
    cr_assert_eq(num_at(root, "IkeConfig", "IkeLifetime"), 0);
    cJSON_Delete(root);
    free(out);
    ipsecvpn_connection_free(c);

    c = test_conn(ctx, seed_v1);
    out = test_export(c, IPSECVPN_EXPORT_JSON);
    root = cJSON_Parse(out);
    cr_assert_str_eq(str_at(root, NULL, "LocalSubnet"), "0.0.0.0/0");
    cr_assert_str_eq(str_at(root, NULL, "RemoteSubnet"), "0.0.0.0/0");
    cr_assert_str_eq(str_at(root, "IkeConfig", "IkeMode"), "main");
    cJSON_Delete(root);
    free(out);
    ipsecvpn_connection_free(c);
}

/* Fields the JSON carries: they must survive export -> import -> export -> import. */
static const char *const carried[] = {
    "local_address", "peer_address", "psk", "routing_mode", "local_cidrs", "remote_cidrs",
    "ike.version", "ike.mode", "ike.encryption", "ike.integrity", "ike.dh_group",
    "ike.lifetime", "ike.local_id", "ike.remote_id", "ipsec.encryption", "ipsec.integrity",
    "ipsec.pfs", "ipsec.lifetime", NULL,
};

static ipsecvpn_connection *mirror(const ipsecvpn_connection *c)
{
    char *doc = test_export(c, IPSECVPN_EXPORT_JSON);
    ipsecvpn_connection *m = NULL;
    ipsecvpn_report *rep = NULL;
    cr_assert_eq(ipsecvpn_report_new(ctx, IPSECVPN_REPORT_ALL, &rep), IPSECVPN_OK);
    int rc = ipsecvpn_connection_import_json(ctx, IPSECVPN_PROFILE_CLOUD, doc, strlen(doc), &m,
                                             rep);
    cr_assert_eq(rc, IPSECVPN_OK, "import failed %d: %s\n%s", rc,
                 ipsecvpn_report_message(rep, 0), doc);
    ipsecvpn_report_free(rep);
    free(doc);
    return m;
}

static void get(const ipsecvpn_connection *c, const char *field, char *buf, size_t len)
{
    cr_assert_eq(ipsecvpn_connection_get(c, field, buf, len, NULL), IPSECVPN_OK, "%s", field);
}

static void roundtrip(const char *const *pairs)
{
    ipsecvpn_connection *c = test_conn(ctx, pairs);
    ipsecvpn_connection *peer = mirror(c);
    ipsecvpn_connection *back = mirror(peer);
    char a[2048], b[2048];
    /* the peer is the mirror image */
    get(c, "peer_address", a, sizeof(a));
    get(peer, "local_address", b, sizeof(b));
    cr_assert_str_eq(a, b);
    get(c, "local_cidrs", a, sizeof(a));
    get(peer, "remote_cidrs", b, sizeof(b));
    cr_assert_str_eq(a, b);
    get(c, "ike.local_id", a, sizeof(a));
    get(peer, "ike.remote_id", b, sizeof(b));
    cr_assert_str_eq(a, b);
    /* mirrored twice is the original */
    for (size_t i = 0; carried[i]; i++) {
        get(c, carried[i], a, sizeof(a));
        get(back, carried[i], b, sizeof(b));
        cr_assert_str_eq(a, b, "%s differs after the round trip", carried[i]);
    }
    ipsecvpn_connection_free(back);
    ipsecvpn_connection_free(peer);
    ipsecvpn_connection_free(c);
}

Test(export_json, roundtrip_seed_v1) { roundtrip(seed_v1); }
Test(export_json, roundtrip_flows_v2) { roundtrip(flows_v2); }
Test(export_json, roundtrip_aggressive_fqdn) { roundtrip(aggr_v1); }

static const char good_doc[] =
    "{\"Local\":\"203.0.113.2\",\"Remote\":\"198.51.100.1\","
    "\"LocalSubnet\":\"192.168.1.0/24\",\"RemoteSubnet\":\"10.0.0.0/16\","
    "\"IkeConfig\":{\"IkeVersion\":\"ikev2\",\"IkeEncAlg\":\"aes192\",\"IkeLifetime\":3600,"
    "\"Psk\":\"s3cret\"},"
    "\"IpsecConfig\":{\"IpsecPfs\":\"disabled\",\"IpsecLifetime\":1800}}";

Test(export_json, import_as_the_holder)
{
    ipsecvpn_connection *c = NULL;
    cr_assert_eq(ipsecvpn_connection_import_json(ctx, IPSECVPN_PROFILE_CLOUD, good_doc,
                                                 strlen(good_doc), &c, NULL), IPSECVPN_OK);
    char buf[256];
    get(c, "local_address", buf, sizeof(buf));
    cr_assert_str_eq(buf, "203.0.113.2");
    get(c, "peer_address", buf, sizeof(buf));
    cr_assert_str_eq(buf, "198.51.100.1");
    get(c, "routing_mode", buf, sizeof(buf));
    cr_assert_str_eq(buf, "protected-flows");
    get(c, "local_cidrs", buf, sizeof(buf));
    cr_assert_str_eq(buf, "192.168.1.0/24");
    get(c, "ike.encryption", buf, sizeof(buf));
    cr_assert_str_eq(buf, "aes192");
    get(c, "ike.lifetime", buf, sizeof(buf));
    cr_assert_str_eq(buf, "3600");
    get(c, "ipsec.lifetime", buf, sizeof(buf));
    cr_assert_str_eq(buf, "1800");
    get(c, "psk", buf, sizeof(buf));
    cr_assert_str_eq(buf, "s3cret");
    get(c, "ike.integrity", buf, sizeof(buf)); /* absent: the profile's default */
    cr_assert_str_eq(buf, "sha1");
    ipsecvpn_connection_free(c);
}

static void expect_import_error(const char *doc, size_t len, const char *field)
{
    ipsecvpn_report *rep = NULL;
    cr_assert_eq(ipsecvpn_report_new(ctx, IPSECVPN_REPORT_ALL, &rep), IPSECVPN_OK);
    ipsecvpn_connection *c = (ipsecvpn_connection *)&rep; /* must be reset to NULL */
    cr_assert_eq(ipsecvpn_connection_import_json(ctx, IPSECVPN_PROFILE_CLOUD, doc, len, &c, rep),
                 IPSECVPN_ERR_CONFIG_IMPORT, "accepted: %s", doc);
    cr_assert_null(c);
    cr_assert_eq(ipsecvpn_report_errors(rep), 1);
    cr_assert_eq(ipsecvpn_report_code(rep, 0), IPSECVPN_ERR_CONFIG_IMPORT);
    cr_assert_str_eq(ipsecvpn_report_field(rep, 0), field, "for %s", doc);
    ipsecvpn_report_free(rep);
}

#define IMPORT_ERROR(doc, field) expect_import_error((doc), strlen(doc), (field))

Test(export_json, import_errors_name_the_key)
{
    IMPORT_ERROR("", "document");
    IMPORT_ERROR("{\"Local\":", "document");
    IMPORT_ERROR("not json", "document");
    IMPORT_ERROR("[1,2]", "document");
    IMPORT_ERROR("{\"Remote\":\"198.51.100.1\",\"IkeConfig\":{\"Psk\":\"k\"}}", "Local");
    IMPORT_ERROR("{\"Local\":7,\"Remote\":\"198.51.100.1\",\"IkeConfig\":{\"Psk\":\"k\"}}",
                 "Local");
    IMPORT_ERROR("{\"Local\":\"203.0.113.2\",\"IkeConfig\":{\"Psk\":\"k\"}}", "Remote");
    IMPORT_ERROR("{\"Local\":\"203.0.113.2\",\"Remote\":\"198.51.100.1\"}", "IkeConfig");
    IMPORT_ERROR("{\"Local\":\"203.0.113.2\",\"Remote\":\"198.51.100.1\",\"IkeConfig\":[]}",
                 "IkeConfig");
    IMPORT_ERROR("{\"Local\":\"203.0.113.2\",\"Remote\":\"198.51.100.1\",\"IkeConfig\":{}}",
                 "IkeConfig.Psk");
    IMPORT_ERROR("{\"Local\":\"203.0.113.2\",\"Remote\":\"198.51.100.1\","
                 "\"IkeConfig\":{\"Psk\":\"k\",\"IkeLifetime\":\"3600\"}}",
                 "IkeConfig.IkeLifetime");
    IMPORT_ERROR("{\"Local\":\"203.0.113.2\",\"Remote\":\"198.51.100.1\","
                 "\"IkeConfig\":{\"Psk\":\"k\",\"IkeLifetime\":1.5}}",
                 "IkeConfig.IkeLifetime");
    IMPORT_ERROR("{\"Local\":\"203.0.113.2\",\"Remote\":\"198.51.100.1\","
                 "\"IkeConfig\":{\"Psk\":\"k\"},\"IpsecConfig\":{\"IpsecLifetime\":-1}}",
                 "IpsecConfig.IpsecLifetime");
    IMPORT_ERROR("{\"Local\":\"203.0.113.2\",\"Remote\":\"198.51.100.1\","
                 "\"IkeConfig\":{\"Psk\":\"k\"},\"IpsecConfig\":{\"IpsecPfs\":true}}",
                 "IpsecConfig.IpsecPfs");
    IMPORT_ERROR("{\"Local\":\"203.0.113.2\",\"Remote\":\"198.51.100.1\",\"LocalSubnet\":null,"
                 "\"IkeConfig\":{\"Psk\":\"k\"}}",
                 "LocalSubnet");
    /* a NUL would cut the value short (a PSK "k\0x" imported as "k"): refused */
    IMPORT_ERROR("{\"Local\":\"203.0.113.2\",\"Remote\":\"198.51.100.1\","
                 "\"IkeConfig\":{\"Psk\":\"k\\u0000x\"}}", "document");
    static const char raw_nul[] = "{\"Local\":\"203.0.113.2\",\"Remote\":\"198.51.100.1\","
                                  "\"IkeConfig\":{\"Psk\":\"k\0x\"}}";
    expect_import_error(raw_nul, sizeof(raw_nul) - 1, "document");
    /* the length is honoured: a valid document cut short is not JSON */
    expect_import_error(good_doc, 40, "document");
}

Test(export_json, import_invalid_values_use_validation_codes)
{
    const char *doc = "{\"Local\":\"203.0.113.2\",\"Remote\":\"198.51.100.1\","
                      "\"IkeConfig\":{\"Psk\":\"k\",\"IkeEncAlg\":\"rot13\"}}";
    ipsecvpn_connection *c = NULL;
    int rc = ipsecvpn_connection_import_json(ctx, IPSECVPN_PROFILE_CLOUD, doc, strlen(doc), &c,
                                             NULL);
    cr_assert_eq(rc, IPSECVPN_ERR_CONFIG_SYNTAX);
    cr_assert_null(c);
    doc = "{\"Local\":\"203.0.113.2\",\"Remote\":\"198.51.100.1\","
          "\"IkeConfig\":{\"Psk\":\"k\",\"IkeLifetime\":90000}}";
    rc = ipsecvpn_connection_import_json(ctx, IPSECVPN_PROFILE_CLOUD, doc, strlen(doc), &c, NULL);
    cr_assert_eq(rc, IPSECVPN_ERR_CONFIG_RANGE);
    cr_assert_null(c);
    /* an empty address leaves the field unset: the connection is incomplete */
    doc = "{\"Local\":\"\",\"Remote\":\"198.51.100.1\",\"IkeConfig\":{\"Psk\":\"k\"}}";
    rc = ipsecvpn_connection_import_json(ctx, IPSECVPN_PROFILE_CLOUD, doc, strlen(doc), &c, NULL);
    cr_assert_lt(rc, 0);
    cr_assert_null(c);
    /* a backslash escape that is not \u0000 is fine: the PSK alphabet has '\' */
    doc = "{\"Local\":\"203.0.113.2\",\"Remote\":\"198.51.100.1\","
          "\"IkeConfig\":{\"Psk\":\"a\\\\u0000\"}}";
    cr_assert_eq(ipsecvpn_connection_import_json(ctx, IPSECVPN_PROFILE_CLOUD, doc, strlen(doc),
                                                 &c, NULL), IPSECVPN_OK);
    char psk[64];
    cr_assert_eq(ipsecvpn_connection_get(c, "psk", psk, sizeof(psk), NULL), IPSECVPN_OK);
    cr_assert_str_eq(psk, "a\\u0000");
    ipsecvpn_connection_free(c);
    c = NULL;
    cr_assert_eq(ipsecvpn_connection_import_json(NULL, IPSECVPN_PROFILE_CLOUD, doc, strlen(doc),
                                                 &c, NULL), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_connection_import_json(ctx, IPSECVPN_PROFILE_CLOUD, doc, strlen(doc),
                                                 NULL, NULL), IPSECVPN_ERR_INVALID_ARG);
}

#else /* built without cJSON */

Test(export_json, unsupported_without_cjson)
{
    ipsecvpn_connection *c = test_conn(ctx, seed_v1);
    char buf[4096];
    cr_assert_eq(ipsecvpn_connection_export(c, IPSECVPN_EXPORT_JSON, buf, sizeof(buf), NULL),
                 IPSECVPN_ERR_UNSUPPORTED);
    ipsecvpn_connection *m = NULL;
    cr_assert_eq(ipsecvpn_connection_import_json(ctx, IPSECVPN_PROFILE_CLOUD, "{}", 2, &m, NULL),
                 IPSECVPN_ERR_UNSUPPORTED);
    ipsecvpn_connection_free(c);
}

#endif
