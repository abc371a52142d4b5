/* Helpers shared by the "fields" tests: a context with a deterministic random source. */
#ifndef TEST_FIELDS_COMMON_H
#define TEST_FIELDS_COMMON_H

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ipsecvpn/ipsecvpn.h"

/* Deterministic "random": a counter, so generated keys are reproducible in tests. */
static inline int tf_counter_random(void *ud, uint8_t *buf, size_t len)
{
    uint8_t *next = ud;
    for (size_t i = 0; i < len; i++)
        buf[i] = (*next)++;
    return 0;
}

static uint8_t tf_counter;

static inline ipsecvpn_ctx *tf_ctx(void)
{
    ipsecvpn_host host = {.version = IPSECVPN_HOST_VERSION, .user_data = &tf_counter,
                          .random = tf_counter_random, .log_level = IPSECVPN_LOG_DEBUG};
    ipsecvpn_ctx *ctx = NULL;
    tf_counter = 0;
    cr_assert_eq(ipsecvpn_ctx_new(&host, &ctx), IPSECVPN_OK);
    return ctx;
}

static inline ipsecvpn_connection *tf_conn(ipsecvpn_ctx *ctx, ipsecvpn_profile profile)
{
    ipsecvpn_connection *c = NULL;
    cr_assert_eq(ipsecvpn_connection_new(ctx, profile, &c), IPSECVPN_OK);
    return c;
}

/* get() into a static buffer, asserting success. */
static inline const char *tf_get(const ipsecvpn_connection *c, const char *field)
{
    static char buf[4096];
    size_t needed = 0;
    int rc = ipsecvpn_connection_get(c, field, buf, sizeof(buf), &needed);
    cr_assert_eq(rc, IPSECVPN_OK, "get %s: %d", field, rc);
    cr_assert_eq(needed, strlen(buf));
    return buf;
}

/* set one field and return the code; with a report of the first error. */
static inline int tf_set(ipsecvpn_connection *c, const char *field, const char *value)
{
    return ipsecvpn_connection_set(c, field, value, NULL);
}

#endif
