/*
 * Writes the exported swanctl.conf of a set of varied connections into a directory, for the
 * interop scripts to load into a real strongSwan:
 *   DIR/<name>.conf       the peer's configuration (ipsecvpn_connection_export, SWANCTL)
 *   DIR/<name>.self.conf  the same tunnel seen from our side: the export of the connection
 *                         that importing the peer's JSON gives (mirrored twice), so two
 *                         charons can play both ends
 *   DIR/manifest          one line per connection:
 *                         name|IKE proposal|ESP proposal|PSK as hex|our address|peer address
 *                         with the proposals spelled as charon logs them, written by hand
 *                         here so the test checks the exporter's mapping independently.
 * Usage: export_configs DIR
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipsecvpn/ipsecvpn.h"

typedef struct export_case {
    const char *const *pairs;   /* field, value, ..., NULL */
    const char *ike_log;        /* charon's "proposals = IKE:..." */
    const char *esp_log;        /* charon's "proposals = ESP:..." */
} export_case;

#define ADDRS(us, them) "local_address", us, "peer_address", them

static const char *const seed_v1[] = {
    "name", "seed-v1", ADDRS("10.99.0.1", "10.99.0.2"), "psk", "Abc123xyz", NULL,
};
static const char *const flows_v2[] = {
    "name", "flows-v2", ADDRS("10.99.0.1", "10.99.0.2"),
    "psk", "Key~`!@#$%^&*()_-+={}[]\\|;:',.<>/?",
    "ike.version", "ikev2", "ike.encryption", "aes256", "ike.integrity", "sha256",
    "ike.dh_group", "group14", "ike.lifetime", "28800",
    "ipsec.encryption", "aes256", "ipsec.integrity", "sha256", "ipsec.pfs", "group14",
    "ipsec.lifetime", "3600", "routing_mode", "protected-flows",
    "local_cidrs", "10.1.0.0/24,10.2.0.0/24", "remote_cidrs", "192.168.10.0/24,192.168.20.0/24",
    "dpd.enabled", "on", "dpd.action", "restart", "dpd.interval", "10", "dpd.timeout", "130",
    "nat_traversal", "on", NULL,
};
static const char *const aggr_v1[] = {
    "name", "aggr-v1", ADDRS("10.99.0.1", "10.99.0.2"), "psk", "~`!@#$%^&*()_-+={}[]|;:',.<>/?Q", /* quoted */
    "ike.mode", "aggressive", "ike.local_id", "gw.cloud.example",
    "ike.remote_id", "branch.example.org", "ike.encryption", "3des", "ike.integrity", "md5",
    "ike.dh_group", "group5", "ike.lifetime", "0", "ipsec.encryption", "des",
    "ipsec.integrity", "sha512", "ipsec.pfs", "disabled", "ipsec.lifetime", "0",
    "initiator", "response-only", "routing_mode", "protected-flows",
    "local_cidrs", "10.1.0.0/16", "remote_cidrs", "192.168.0.0/16",
    "dpd.enabled", "on", "dpd.action", "hold", "dpd.interval", "10", "dpd.timeout", "30", NULL,
};
static const char *const v6_v2[] = {
    "name", "v6-v2", ADDRS("fd99::1", "fd99::2"), "psk", "0xfeedface",
    "ike.version", "ikev2", "ike.encryption", "aes192", "ike.integrity", "sha384",
    "ike.dh_group", "group1", "ipsec.encryption", "aes", "ipsec.integrity", "sha1",
    "ipsec.pfs", "group5", "routing_mode", "protected-flows",
    "local_cidrs", "fd00:1::/64", "remote_cidrs", "fd00:2::/64,fd00:3::/64",
    "ike.local_id", "vpn@cloud.example", "ike.remote_id", "@#0a0b0c0d", NULL,
};
static const char *const des_v2[] = {
    "name", "des-v2", ADDRS("10.99.0.1", "10.99.0.2"), "psk", "0sAbc", /* base64-like prefix: hex */
    "ike.version", "ikev2", "ike.encryption", "des", "ike.integrity", "sha512",
    "ike.dh_group", "group2", "ipsec.encryption", "3des", "ipsec.integrity", "md5",
    "ipsec.pfs", "disabled", "initiator", "response-only", "nat_traversal", "on", NULL,
};

static const export_case cases[] = {
    {seed_v1, "IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024",
     "ESP:AES_CBC_128/HMAC_SHA1_96/MODP_1024/NO_EXT_SEQ"},
    {flows_v2, "IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
     "ESP:AES_CBC_256/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ"},
    {aggr_v1, "IKE:3DES_CBC/HMAC_MD5_96/PRF_HMAC_MD5/MODP_1536",
     "ESP:DES_CBC/HMAC_SHA2_512_256/NO_EXT_SEQ"},
    {v6_v2, "IKE:AES_CBC_192/HMAC_SHA2_384_192/PRF_HMAC_SHA2_384/MODP_768",
     "ESP:AES_CBC_128/HMAC_SHA1_96/MODP_1536/NO_EXT_SEQ"},
    {des_v2, "IKE:DES_CBC/HMAC_SHA2_512_256/PRF_HMAC_SHA2_512/MODP_1024",
     "ESP:3DES_CBC/HMAC_MD5_96/NO_EXT_SEQ"},
};

static int fixed_random(void *ud, uint8_t *buf, size_t len)
{
    (void)ud;
    memset(buf, 7, len);
    return 0;
}

static char *export_text(const ipsecvpn_connection *c, ipsecvpn_export_format f)
{
    size_t needed = 0;
    if (ipsecvpn_connection_export(c, f, NULL, 0, &needed) != IPSECVPN_ERR_BUFFER_TOO_SMALL)
        return NULL;
    char *buf = malloc(needed + 1);
    if (buf && ipsecvpn_connection_export(c, f, buf, needed + 1, NULL) != IPSECVPN_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int write_file(const char *dir, const char *name, const char *suffix, const char *text)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffix);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        return -1;
    }
    return 0;
}

static const char *value_of(const char *const *pairs, const char *field)
{
    for (size_t i = 0; pairs[i]; i += 2)
        if (strcmp(pairs[i], field) == 0)
            return pairs[i + 1];
    return "";
}

static int one_case(ipsecvpn_ctx *ctx, const export_case *tc, const char *dir, FILE *manifest)
{
    const char *name = value_of(tc->pairs, "name");
    ipsecvpn_connection *c = NULL, *peer = NULL;
    ipsecvpn_report *rep = NULL;
    const char *fields[64], *values[64];
    size_t n = 0;
    for (; tc->pairs[2 * n]; n++) {
        fields[n] = tc->pairs[2 * n];
        values[n] = tc->pairs[2 * n + 1];
    }
    int rc = ipsecvpn_report_new(ctx, IPSECVPN_REPORT_ALL, &rep);
    if (rc == IPSECVPN_OK)
        rc = ipsecvpn_connection_new(ctx, IPSECVPN_PROFILE_CLOUD, &c);
    if (rc == IPSECVPN_OK)
        rc = ipsecvpn_connection_update(c, fields, values, n, rep);
    if (rc != IPSECVPN_OK) {
        fprintf(stderr, "%s: cannot configure (%d): %s\n", name, rc,
                ipsecvpn_report_message(rep, 0));
        goto out;
    }
    char *conf = export_text(c, IPSECVPN_EXPORT_SWANCTL);
    char *json = export_text(c, IPSECVPN_EXPORT_JSON);
    char *self = NULL;
    rc = conf && json ? IPSECVPN_OK : IPSECVPN_ERR_INTERNAL;
    if (rc == IPSECVPN_OK)
        rc = ipsecvpn_connection_import_json(ctx, IPSECVPN_PROFILE_CLOUD, json, strlen(json),
                                             &peer, rep);
    if (rc == IPSECVPN_OK) /* the JSON carries no name: same section names on both ends */
        rc = ipsecvpn_connection_set(peer, "name", name, rep);
    if (rc == IPSECVPN_OK) {
        self = export_text(peer, IPSECVPN_EXPORT_SWANCTL);
        rc = self ? IPSECVPN_OK : IPSECVPN_ERR_INTERNAL;
    }
    if (rc == IPSECVPN_OK && (write_file(dir, name, ".conf", conf) != 0 ||
                              write_file(dir, name, ".self.conf", self) != 0))
        rc = IPSECVPN_ERR_INTERNAL;
    if (rc == IPSECVPN_OK) {
        fprintf(manifest, "%s|%s|%s|", name, tc->ike_log, tc->esp_log);
        for (const char *p = value_of(tc->pairs, "psk"); *p; p++)
            fprintf(manifest, "%02x", (unsigned char)*p);
        fprintf(manifest, "|%s|%s\n", value_of(tc->pairs, "local_address"),
                value_of(tc->pairs, "peer_address"));
    } else {
        fprintf(stderr, "%s: export failed (%d)\n", name, rc);
    }
    free(conf);
    free(json);
    free(self);
out:
    ipsecvpn_connection_free(peer);
    ipsecvpn_connection_free(c);
    ipsecvpn_report_free(rep);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    ipsecvpn_host host = {.version = IPSECVPN_HOST_VERSION, .random = fixed_random};
    ipsecvpn_ctx *ctx = NULL;
    if (ipsecvpn_ctx_new(&host, &ctx) != IPSECVPN_OK)
        return 1;
    char path[4096];
    snprintf(path, sizeof(path), "%s/manifest", argv[1]);
    FILE *manifest = fopen(path, "w");
    int failed = manifest ? 0 : 1;
    for (size_t i = 0; manifest && i < sizeof(cases) / sizeof(cases[0]); i++)
        failed |= one_case(ctx, &cases[i], argv[1], manifest) != IPSECVPN_OK;
    if (manifest && fclose(manifest) != 0)
        failed = 1;
    ipsecvpn_ctx_free(ctx);
    return failed;
}
