/* The context, error table and version query. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/ctx.h"
#include "ipsecvpn/ipsecvpn.h"

static int fixed_random(void *ud, uint8_t *buf, size_t len)
{
    (void)ud;
    memset(buf, 0xab, len);
    return 0;
}

static int failing_random(void *ud, uint8_t *buf, size_t len)
{
    (void)ud; (void)buf; (void)len;
    return -1;
}

struct log_capture {
    int calls;
    ipsecvpn_log_level level;
    char line[600];
};

static void capture_log(void *ud, ipsecvpn_log_level level, const char *msg, size_t len)
{
    struct log_capture *lc = ud;
    lc->calls++;
    lc->level = level;
    memcpy(lc->line, msg, len);
    lc->line[len] = '\0';
}

static size_t counted_allocs;
static void *counting_malloc(size_t n, void *ud) { (void)ud; counted_allocs++; return malloc(n); }
static void *counting_realloc(void *p, size_t n, void *ud) { (void)ud; return realloc(p, n); }
static void counting_free(void *p, void *ud) { (void)ud; free(p); }

Test(core, version_matches_headers)
{
    int ma, mi, pa;
    const char *s = ipsecvpn_version(&ma, &mi, &pa);
    cr_assert_eq(ma, IPSECVPN_VERSION_MAJOR);
    cr_assert_eq(mi, IPSECVPN_VERSION_MINOR);
    cr_assert_eq(pa, IPSECVPN_VERSION_PATCH);
    cr_assert_str_eq(s, IPSECVPN_VERSION_STRING);
}

Test(core, ctx_requires_random_and_known_version)
{
    ipsecvpn_ctx *ctx = (ipsecvpn_ctx *)1;
    ipsecvpn_host host = {.version = IPSECVPN_HOST_VERSION};
    cr_assert_eq(ipsecvpn_ctx_new(&host, &ctx), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_null(ctx);
    host.random = fixed_random;
    host.version = 99;
    cr_assert_eq(ipsecvpn_ctx_new(&host, &ctx), IPSECVPN_ERR_VERSION);
    cr_assert_eq(ipsecvpn_ctx_new(NULL, &ctx), IPSECVPN_ERR_INVALID_ARG);
    host.version = IPSECVPN_HOST_VERSION;
    cr_assert_eq(ipsecvpn_ctx_new(&host, &ctx), IPSECVPN_OK);
    cr_assert_not_null(ctx);
    ipsecvpn_ctx_free(ctx);
}

Test(core, allocator_hooks_are_used)
{
    ipsecvpn_mem mem = {IPSECVPN_MEM_VERSION, NULL, counting_malloc, counting_realloc, counting_free};
    ipsecvpn_host host = {.version = IPSECVPN_HOST_VERSION, .mem = &mem, .random = fixed_random};
    ipsecvpn_ctx *ctx;
    counted_allocs = 0;
    cr_assert_eq(ipsecvpn_ctx_new(&host, &ctx), IPSECVPN_OK);
    void *p = ivpn_malloc(ctx, 10);
    cr_assert_eq(counted_allocs, 2);
    ivpn_free(ctx, p);
    ipsecvpn_ctx_free(ctx);
}

Test(core, log_filters_by_level_and_cuts_long_lines)
{
    struct log_capture lc = {0};
    ipsecvpn_host host = {.version = IPSECVPN_HOST_VERSION, .user_data = &lc,
                          .log = capture_log, .log_level = IPSECVPN_LOG_WARNING,
                          .random = fixed_random};
    ipsecvpn_ctx *ctx;
    cr_assert_eq(ipsecvpn_ctx_new(&host, &ctx), IPSECVPN_OK);
    IVPN_LOG_DEBUG(ctx, "not shown %d", 1);
    cr_assert_eq(lc.calls, 0);
    IVPN_LOG_WARN(ctx, "shown %d", 2);
    cr_assert_eq(lc.calls, 1);
    cr_assert_str_eq(lc.line, "shown 2");
    cr_assert_eq(lc.level, IPSECVPN_LOG_WARNING);
    char big[1000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    IVPN_LOG_ERROR(ctx, "%s", big);
    cr_assert_eq(strlen(lc.line), 511);
    ipsecvpn_ctx_free(ctx);
}

Test(core, random_failure_is_reported)
{
    ipsecvpn_host host = {.version = IPSECVPN_HOST_VERSION, .random = failing_random};
    ipsecvpn_ctx *ctx;
    uint8_t b[4];
    cr_assert_eq(ipsecvpn_ctx_new(&host, &ctx), IPSECVPN_OK);
    cr_assert_eq(ivpn_random(ctx, b, sizeof(b)), IPSECVPN_ERR_RANDOM);
    cr_assert(ipsecvpn_err_is_fatal(IPSECVPN_ERR_RANDOM));
    ipsecvpn_ctx_free(ctx);
}

Test(core, every_code_has_its_own_text)
{
    static const int codes[] = {
        IPSECVPN_ERR_INVALID_ARG, IPSECVPN_ERR_NOMEM, IPSECVPN_ERR_CONFIG_RANGE,
        IPSECVPN_ERR_CRYPTO_ALG, IPSECVPN_ERR_ESP_ICV, IPSECVPN_ERR_ESP_REPLAY,
        IPSECVPN_ERR_IKE_AUTH, IPSECVPN_ERR_IKE_PEER_DEAD};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        cr_assert_str_neq(ipsecvpn_strerror(codes[i]), "unknown error");
        for (size_t j = 0; j < i; j++)
            cr_assert_str_neq(ipsecvpn_strerror(codes[i]), ipsecvpn_strerror(codes[j]));
    }
    cr_assert_str_eq(ipsecvpn_strerror(-12345), "unknown error");
    cr_assert(!ipsecvpn_err_is_fatal(IPSECVPN_ERR_CONFIG_RANGE));
    cr_assert(!ipsecvpn_err_is_fatal(IPSECVPN_OK));
    cr_assert(ipsecvpn_err_is_fatal(IPSECVPN_ERR_NOMEM));
}
