/* Shared fixtures of the registry tests: a context with a captured log, objects that
 * validate, snapshots of every field to prove that a refused change changed nothing. */
#ifndef REGISTRY_TEST_UTIL_H
#define REGISTRY_TEST_UTIL_H

#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/edit_rules.h"
#include "config/fields.h"
#include "ipsecvpn/ipsecvpn.h"
#include "registry_expect.h"

#define RT_LOCAL "203.0.113.1"
#define RT_PEER "198.51.100.1"

static ipsecvpn_ctx *rt_ctx;

static struct {
    int warnings;  /* warning lines of the registry ("registry: ..."); the field layer's own
                      lines are not counted */
    char last[600];
    char all[4096]; /* every warning of the operation, for failure messages */
} rt_log;

static inline void rt_log_reset(void)
{
    rt_log.warnings = 0;
    rt_log.last[0] = '\0';
    rt_log.all[0] = '\0';
}

static void rt_capture(void *ud, ipsecvpn_log_level level, const char *msg, size_t len)
{
    (void)ud;
    if (level != IPSECVPN_LOG_WARNING)
        return;
    if (len >= 9 && memcmp(msg, "registry:", 9) == 0)
        rt_log.warnings++;
    if (len >= sizeof(rt_log.last))
        len = sizeof(rt_log.last) - 1;
    memcpy(rt_log.last, msg, len);
    rt_log.last[len] = '\0';
    size_t used = strlen(rt_log.all);
    snprintf(rt_log.all + used, sizeof(rt_log.all) - used, "%s\n", rt_log.last);
}

/* Deterministic "random" bytes: the registry never depends on their value. */
static int rt_random(void *ud, uint8_t *buf, size_t len)
{
    (void)ud;
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(i * 37 + 11);
    return 0;
}

static inline void rt_setup(void)
{
    ipsecvpn_host host = {.version = IPSECVPN_HOST_VERSION,
                          .log = rt_capture,
                          .log_level = IPSECVPN_LOG_WARNING,
                          .random = rt_random};
    cr_assert_eq(ipsecvpn_ctx_new(&host, &rt_ctx), IPSECVPN_OK);
    rt_log_reset();
}

static inline void rt_teardown(void)
{
    ipsecvpn_ctx_free(rt_ctx);
    rt_ctx = NULL;
}

static inline ipsecvpn_registry *rt_registry(void)
{
    ipsecvpn_registry *reg = NULL;
    cr_assert_eq(ipsecvpn_registry_new(rt_ctx, IPSECVPN_PROFILE_CLOUD, &reg), IPSECVPN_OK);
    return reg;
}

static inline ipsecvpn_report *rt_report(void)
{
    ipsecvpn_report *rep = NULL;
    cr_assert_eq(ipsecvpn_report_new(rt_ctx, IPSECVPN_REPORT_ALL, &rep), IPSECVPN_OK);
    return rep;
}

/* An IKE policy named name (NULL: unnamed) with optional version and encryption. */
static inline ipsecvpn_ike_policy *rt_ike_policy(const char *name, const char *version,
                                                 const char *encryption)
{
    ipsecvpn_ike_policy *p = NULL;
    cr_assert_eq(ipsecvpn_ike_policy_new(rt_ctx, IPSECVPN_PROFILE_CLOUD, &p), IPSECVPN_OK);
    const char *f[3], *v[3];
    size_t n = 0;
    if (name) { f[n] = "name"; v[n++] = name; }
    if (version) { f[n] = "version"; v[n++] = version; }
    if (encryption) { f[n] = "encryption"; v[n++] = encryption; }
    cr_assert_eq(ipsecvpn_ike_policy_update(p, f, v, n, NULL), IPSECVPN_OK);
    return p;
}

static inline ipsecvpn_ipsec_policy *rt_ipsec_policy(const char *name)
{
    ipsecvpn_ipsec_policy *p = NULL;
    cr_assert_eq(ipsecvpn_ipsec_policy_new(rt_ctx, IPSECVPN_PROFILE_CLOUD, &p), IPSECVPN_OK);
    if (name)
        cr_assert_eq(ipsecvpn_ipsec_policy_update(p, (const char *[]){"name"},
                                                  (const char *[]){name}, 1, NULL),
                     IPSECVPN_OK);
    return p;
}

/* A valid connection; assoc is NULL (none), "vpn-gateway" or "transit-router". */
static inline ipsecvpn_connection *rt_connection(const char *name, const char *assoc)
{
    ipsecvpn_connection *c = NULL;
    cr_assert_eq(ipsecvpn_connection_new(rt_ctx, IPSECVPN_PROFILE_CLOUD, &c), IPSECVPN_OK);
    const char *f[8] = {"local_address", "peer_address", "psk"};
    const char *v[8] = {RT_LOCAL, RT_PEER, "secret-key-1"};
    size_t n = 3;
    if (name) { f[n] = "name"; v[n++] = name; }
    if (assoc) {
        f[n] = "association.type"; v[n++] = assoc;
        f[n] = "association.customer_gateway"; v[n++] = "cgw-1";
        if (strcmp(assoc, "vpn-gateway") == 0) {
            f[n] = "association.vpn_gateway"; v[n++] = "vpn-1";
        } else {
            f[n] = "association.transit_router"; v[n++] = "tr-1";
            f[n] = "association.zone"; v[n++] = "zone-a";
        }
    }
    ipsecvpn_report *rep = rt_report();
    int rc = ipsecvpn_connection_update(c, f, v, n, rep);
    cr_assert_eq(rc, IPSECVPN_OK, "fixture connection: %s", ipsecvpn_report_message(rep, 0));
    ipsecvpn_report_free(rep);
    return c;
}

/* Policy-based with two local CIDRs: needs IKEv2. */
static inline void rt_make_two_flows(ipsecvpn_connection *c)
{
    const char *f[] = {"ike.version", "routing_mode", "local_cidrs", "remote_cidrs"};
    const char *v[] = {"ikev2", "protected-flows", "10.1.0.0/24,10.2.0.0/24", "192.168.1.0/24"};
    ipsecvpn_report *rep = rt_report();
    int rc = ipsecvpn_connection_update(c, f, v, 4, rep);
    cr_assert_eq(rc, IPSECVPN_OK, "two flows: %s", ipsecvpn_report_message(rep, 0));
    ipsecvpn_report_free(rep);
}

/* A field of a registered connection, read into a rotating static buffer. */
static inline const char *rt_conn_get(const ipsecvpn_registry *reg, const char *name,
                                      const char *field)
{
    static char bufs[4][2048];
    static int next;
    char *buf = bufs[next++ % 4];
    const ipsecvpn_connection *c = ipsecvpn_registry_connection(reg, name);
    cr_assert_not_null(c, "no connection %s", name);
    cr_assert_eq(ipsecvpn_connection_get(c, field, buf, sizeof(bufs[0]), NULL), IPSECVPN_OK,
                 "get %s", field);
    return buf;
}

/* Every field the parser knows, "path=value" per line (malloc'd). */
static inline char *rt_snapshot(ipsecvpn_object_kind kind, const void *obj)
{
    size_t cap = 1 << 16, len = 0;
    char *out = calloc(1, cap);
    char path[128], val[2048];
    cr_assert_not_null(out);
    for (size_t i = 0; i < ivpn_field_count(kind); i++) {
        cr_assert_not_null(ivpn_field_path(kind, i, path, sizeof(path)));
        int rc;
        if (kind == IPSECVPN_OBJECT_CONNECTION)
            rc = ipsecvpn_connection_get(obj, path, val, sizeof(val), NULL);
        else if (kind == IPSECVPN_OBJECT_IKE_POLICY)
            rc = ipsecvpn_ike_policy_get(obj, path, val, sizeof(val), NULL);
        else
            rc = ipsecvpn_ipsec_policy_get(obj, path, val, sizeof(val), NULL);
        len += (size_t)snprintf(out + len, cap - len, "%s=%s (%d)\n", path,
                                rc == IPSECVPN_OK ? val : "", rc);
        cr_assert_lt(len, cap);
    }
    return out;
}

static inline char *rt_snapshot_conn(const ipsecvpn_connection *c)
{
    return rt_snapshot(IPSECVPN_OBJECT_CONNECTION, c);
}

static inline void rt_assert_conn_unchanged(const ipsecvpn_connection *c, const char *before)
{
    char *now = rt_snapshot_conn(c);
    cr_assert_str_eq(now, before);
    free(now);
}

/* Walk a fresh connection (DOWN) to status s by accepted transitions. */
static inline void rt_drive_to(ipsecvpn_registry *reg, const char *name, ipsecvpn_status s)
{
    if (s == IPSECVPN_STATUS_DOWN)
        return;
    if (s == IPSECVPN_STATUS_CREATE_ERROR)
        cr_assert_eq(ipsecvpn_registry_set_status(reg, name, IPSECVPN_STATUS_PENDING_CREATE),
                     IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_registry_set_status(reg, name, s), IPSECVPN_OK, "to %s",
                 ipsecvpn_status_name(s));
}

#endif
