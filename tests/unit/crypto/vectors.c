/* Helpers of the crypto tests (see vectors.h). */
#define _POSIX_C_SOURCE 200809L
#include "vectors.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cJSON *vec_load(const char *name)
{
    const char *dir = getenv("IPSECVPN_VECTORS");
    cr_assert_not_null(dir, "IPSECVPN_VECTORS is not set");
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    cr_assert_not_null(text);
    cr_assert_eq(fread(text, 1, (size_t)n, f), (size_t)n);
    text[n] = '\0';
    fclose(f);
    cJSON *root = cJSON_Parse(text);
    free(text);
    cr_assert_not_null(root, "%s does not parse", path);
    return root;
}

const char *vec_str(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    cr_assert(cJSON_IsString(item), "missing string field %s", key);
    return item->valuestring;
}

int vec_verified(const cJSON *obj)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "verified"));
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

uint8_t *vec_hex(const char *hex, size_t *len)
{
    size_t n = strlen(hex);
    cr_assert_eq(n % 2, 0, "odd hex length");
    uint8_t *out = malloc(n / 2 + 1);
    cr_assert_not_null(out);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        cr_assert(hi >= 0 && lo >= 0, "bad hex digit");
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return out;
}

uint8_t *vec_hex_field(const cJSON *obj, const char *key, size_t *len)
{
    return vec_hex(vec_str(obj, key), len);
}

static int urandom(void *ud, uint8_t *buf, size_t len)
{
    (void)ud;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f == NULL) return -1;
    size_t got = fread(buf, 1, len, f);
    fclose(f);
    return got == len ? 0 : -1;
}

ipsecvpn_ctx *vec_ctx(void)
{
    ipsecvpn_host host = {0};
    host.version = IPSECVPN_HOST_VERSION;
    host.random = urandom;
    host.log_level = IPSECVPN_LOG_WARNING;
    ipsecvpn_ctx *ctx = NULL;
    cr_assert_eq(ipsecvpn_ctx_new(&host, &ctx), IPSECVPN_OK);
    return ctx;
}
