/* Shared fixtures of the export tests: a context and the connections the tests export. */
#ifndef TEST_EXPORT_COMMON_H
#define TEST_EXPORT_COMMON_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "ipsecvpn/ipsecvpn.h"

/* The full PSK alphabet of the products (SPEC 1.3): every special character once. */
#define ALL_SPECIALS "~`!@#$%^&*()_-+={}[]\\|;:',.<>/?"

static inline int test_random(void *ud, uint8_t *buf, size_t len)
{
    (void)ud;
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(i * 37 + 11);
    return 0;
}

static inline ipsecvpn_ctx *test_ctx(void)
{
    ipsecvpn_host host = {.version = IPSECVPN_HOST_VERSION, .random = test_random};
    ipsecvpn_ctx *ctx = NULL;
    cr_assert_eq(ipsecvpn_ctx_new(&host, &ctx), IPSECVPN_OK);
    return ctx;
}

/* A connection from field/value pairs (NULL-terminated list), asserting the update works. */
static inline ipsecvpn_connection *test_conn(ipsecvpn_ctx *ctx, const char *const *pairs)
{
    ipsecvpn_connection *c = NULL;
    cr_assert_eq(ipsecvpn_connection_new(ctx, IPSECVPN_PROFILE_CLOUD, &c), IPSECVPN_OK);
    const char *fields[64], *values[64];
    size_t n = 0;
    for (; pairs[2 * n]; n++) {
        fields[n] = pairs[2 * n];
        values[n] = pairs[2 * n + 1];
    }
    ipsecvpn_report *rep = NULL;
    cr_assert_eq(ipsecvpn_report_new(ctx, IPSECVPN_REPORT_ALL, &rep), IPSECVPN_OK);
    int rc = ipsecvpn_connection_update(c, fields, values, n, rep);
    cr_assert_eq(rc, IPSECVPN_OK, "update failed (%d): %s", rc, ipsecvpn_report_message(rep, 0));
    ipsecvpn_report_free(rep);
    return c;
}

/* Seed-like IKEv1 connection with every default (main, aes, sha1, group2, destination). */
static const char *const seed_v1[] __attribute__((unused)) = {
    "name", "seed-v1",
    "local_address", "198.51.100.1",
    "peer_address", "203.0.113.2",
    "psk", "Abc123xyz",
    NULL,
};

/* IKEv2 aes256/sha256/group14, protected flows with 2 CIDRs each side, DPD and NAT-T on,
 * the PSK holding every special character. */
static const char *const flows_v2[] __attribute__((unused)) = {
    "name", "flows-v2",
    "local_address", "198.51.100.1",
    "peer_address", "203.0.113.2",
    "psk", "Key" ALL_SPECIALS,
    "ike.version", "ikev2",
    "ike.encryption", "aes256",
    "ike.integrity", "sha256",
    "ike.dh_group", "group14",
    "ike.lifetime", "28800",
    "ipsec.encryption", "aes256",
    "ipsec.integrity", "sha256",
    "ipsec.pfs", "group14",
    "ipsec.lifetime", "3600",
    "routing_mode", "protected-flows",
    "local_cidrs", "10.1.0.0/24,10.2.0.0/24",
    "remote_cidrs", "192.168.10.0/24,192.168.20.0/24",
    "dpd.enabled", "on",
    "dpd.action", "restart",
    "dpd.interval", "10",
    "dpd.timeout", "130",
    "nat_traversal", "on",
    NULL,
};

/* IKEv1 aggressive with FQDN identities, response-only, no PFS, lifetimes 0. */
static const char *const aggr_v1[] __attribute__((unused)) = {
    "name", "aggr v1",
    "local_address", "198.51.100.1",
    "peer_address", "203.0.113.2",
    "psk", "simple-key",
    "ike.mode", "aggressive",
    "ike.local_id", "gw.cloud.example",
    "ike.remote_id", "branch.example.org",
    "ike.encryption", "3des",
    "ike.integrity", "md5",
    "ike.dh_group", "group5",
    "ike.lifetime", "0",
    "ipsec.encryption", "des",
    "ipsec.integrity", "sha512",
    "ipsec.pfs", "disabled",
    "ipsec.lifetime", "0",
    "initiator", "response-only",
    "routing_mode", "protected-flows",
    "local_cidrs", "10.1.0.0/16",
    "remote_cidrs", "192.168.0.0/16",
    NULL,
};

/* Export into a heap string, asserting success. */
static inline char *test_export(const ipsecvpn_connection *c, ipsecvpn_export_format f)
{
    size_t needed = 0;
    cr_assert_eq(ipsecvpn_connection_export(c, f, NULL, 0, &needed),
                 IPSECVPN_ERR_BUFFER_TOO_SMALL);
    char *buf = malloc(needed + 1);
    cr_assert_not_null(buf);
    size_t again = 0;
    int rc = ipsecvpn_connection_export(c, f, buf, needed + 1, &again);
    cr_assert_eq(rc, IPSECVPN_OK, "export failed: %d", rc);
    cr_assert_eq(again, needed);
    cr_assert_eq(strlen(buf), needed);
    return buf;
}

#endif
