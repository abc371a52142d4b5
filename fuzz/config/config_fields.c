/*
 * libFuzzer harness for connection updates. Input: one profile byte, then NUL-separated
 * field, value, field, value, ... All pairs are applied as one update, then each pair alone.
 * Invariants: a failed update changes no field (all-or-nothing); the connection stays valid
 * apart from required addresses; every field reads back, and setting a field to the text it
 * reads back succeeds and changes nothing (canonical text is accepted input).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/fields.h"
#include "ipsecvpn/ipsecvpn.h"

#define MAX_PAIRS 16
#define MAX_FIELDS 80
#define TEXT_MAX 2048

static int fuzz_random(void *ud, uint8_t *buf, size_t len)
{
    uint8_t *next = ud;
    for (size_t i = 0; i < len; i++)
        buf[i] = (*next)++;
    return 0;
}

typedef char snapshot_t[MAX_FIELDS][TEXT_MAX];

static void snapshot(const ipsecvpn_connection *c, snapshot_t out)
{
    char path[128];
    size_t n = ivpn_field_count(IPSECVPN_OBJECT_CONNECTION);
    for (size_t i = 0; i < n && i < MAX_FIELDS; i++) {
        ivpn_field_path(IPSECVPN_OBJECT_CONNECTION, i, path, sizeof(path));
        if (ipsecvpn_connection_get(c, path, out[i], TEXT_MAX, NULL) != IPSECVPN_OK)
            __builtin_trap();
    }
}

static void same_or_trap(snapshot_t a, snapshot_t b)
{
    size_t n = ivpn_field_count(IPSECVPN_OBJECT_CONNECTION);
    for (size_t i = 0; i < n && i < MAX_FIELDS; i++)
        if (strcmp(a[i], b[i]) != 0)
            __builtin_trap();
}

static snapshot_t before, after;

static void update_checked(ipsecvpn_connection *c, ipsecvpn_report *rep, const char **f,
                           const char **v, size_t n)
{
    snapshot(c, before);
    ipsecvpn_report_clear(rep);
    int rc = ipsecvpn_connection_update(c, f, v, n, rep);
    if (rc != IPSECVPN_OK) {
        snapshot(c, after);
        same_or_trap(before, after);
        if (ipsecvpn_report_errors(rep) == 0)
            __builtin_trap(); /* every failure names its field */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    uint8_t counter = 0;
    ipsecvpn_host host = {.version = IPSECVPN_HOST_VERSION, .user_data = &counter,
                          .random = fuzz_random};
    ipsecvpn_ctx *ctx;
    ipsecvpn_connection *c;
    ipsecvpn_report *rep;
    if (ipsecvpn_ctx_new(&host, &ctx) != IPSECVPN_OK)
        return 0;
    if (ipsecvpn_connection_new(ctx, (ipsecvpn_profile)(data[0] % 3), &c) != IPSECVPN_OK ||
        ipsecvpn_report_new(ctx, IPSECVPN_REPORT_ALL, &rep) != IPSECVPN_OK)
        __builtin_trap();

    char *text = malloc(size);
    if (!text)
        __builtin_trap();
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    const char *f[MAX_PAIRS], *v[MAX_PAIRS];
    size_t n = 0;
    for (char *p = text; p < text + size - 1 && n < MAX_PAIRS;) {
        char *field = p;
        p += strlen(p) + 1;
        if (p >= text + size)
            break;
        f[n] = field;
        v[n] = p;
        n++;
        p += strlen(p) + 1;
    }
    update_checked(c, rep, f, v, n);
    for (size_t i = 0; i < n; i++)
        update_checked(c, rep, &f[i], &v[i], 1);

    /* validation runs on any state; a missing address is the only thing updates allow */
    ipsecvpn_report_clear(rep);
    ipsecvpn_connection_validate(c, rep);
    for (size_t i = 0; i < ipsecvpn_report_count(rep); i++)
        if (!ipsecvpn_report_is_warning(rep, i) &&
            ipsecvpn_report_code(rep, i) != IPSECVPN_ERR_CONFIG_REQUIRED)
            __builtin_trap();

    /* canonical text reads back and is accepted unchanged */
    snapshot(c, before);
    char path[128];
    size_t nf = ivpn_field_count(IPSECVPN_OBJECT_CONNECTION);
    for (size_t i = 0; i < nf && i < MAX_FIELDS; i++) {
        ivpn_field_path(IPSECVPN_OBJECT_CONNECTION, i, path, sizeof(path));
        if (before[i][0] == '\0' && (strcmp(path, "name") == 0 || strcmp(path, "ike.name") == 0 ||
                                     strcmp(path, "ipsec.name") == 0))
            continue; /* an unset name cannot be set to "" */
        if (ipsecvpn_connection_set(c, path, before[i], NULL) != IPSECVPN_OK)
            __builtin_trap();
    }
    snapshot(c, after);
    same_or_trap(before, after);

    free(text);
    ipsecvpn_report_free(rep);
    ipsecvpn_connection_free(c);
    ipsecvpn_ctx_free(ctx);
    return 0;
}
