/* Helpers shared by the wire tests: a context that records log lines, and corpus files. */
#ifndef WIRE_TEST_UTIL_H
#define WIRE_TEST_UTIL_H

#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"

typedef struct log_record {
    int lines;
    char last[600];
} log_record;

static log_record wire_log;

static inline void wire_log_cb(void *ud, ipsecvpn_log_level level, const char *msg, size_t len)
{
    (void)ud; (void)level;
    wire_log.lines++;
    if (len >= sizeof(wire_log.last))
        len = sizeof(wire_log.last) - 1;
    memcpy(wire_log.last, msg, len);
    wire_log.last[len] = '\0';
}

static inline int wire_random(void *ud, uint8_t *buf, size_t len)
{
    (void)ud;
    memset(buf, 0x5a, len);
    return 0;
}

static inline ipsecvpn_ctx *wire_ctx_new(void)
{
    ipsecvpn_host host = {IPSECVPN_HOST_VERSION, NULL, NULL, wire_log_cb, IPSECVPN_LOG_DEBUG,
                          wire_random};
    ipsecvpn_ctx *ctx = NULL;
    cr_assert_eq(ipsecvpn_ctx_new(&host, &ctx), IPSECVPN_OK);
    memset(&wire_log, 0, sizeof(wire_log));
    return ctx;
}

/* A file under fuzz/corpus/ (real strongSwan captures, see tests/unit/wire/meson.build). */
static inline uint8_t *wire_load(const char *rel, size_t *len)
{
    char path[1024];
    FILE *f;
    long n;
    uint8_t *buf;
    snprintf(path, sizeof(path), "%s/%s", WIRE_CORPUS_DIR, rel);
    f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(n ? (size_t)n : 1);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

#endif
