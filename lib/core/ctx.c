/* The library context: the host's allocator, log sink and random source. */
#include "core/ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *libc_malloc(size_t n, void *ud) { (void)ud; return malloc(n); }
static void *libc_realloc(void *p, size_t n, void *ud) { (void)ud; return realloc(p, n); }
static void libc_free(void *p, void *ud) { (void)ud; free(p); }

static const ipsecvpn_mem default_mem = {
    IPSECVPN_MEM_VERSION, NULL, libc_malloc, libc_realloc, libc_free,
};

IPSECVPN_EXPORT const ipsecvpn_mem *ipsecvpn_mem_default(void) { return &default_mem; }

static const ipsecvpn_mem *mem_of(const ipsecvpn_ctx *ctx)
{
    return ctx ? &ctx->mem : &default_mem;
}

void *ivpn_malloc(const ipsecvpn_ctx *ctx, size_t n)
{
    const ipsecvpn_mem *m = mem_of(ctx);
    return m->malloc(n ? n : 1, m->user_data);
}

void *ivpn_zalloc(const ipsecvpn_ctx *ctx, size_t n)
{
    void *p = ivpn_malloc(ctx, n);
    if (p)
        memset(p, 0, n ? n : 1);
    return p;
}

void *ivpn_realloc(const ipsecvpn_ctx *ctx, void *p, size_t n)
{
    const ipsecvpn_mem *m = mem_of(ctx);
    return m->realloc(p, n ? n : 1, m->user_data);
}

void ivpn_free(const ipsecvpn_ctx *ctx, void *p)
{
    const ipsecvpn_mem *m = mem_of(ctx);
    if (p)
        m->free(p, m->user_data);
}

char *ivpn_strdup(const ipsecvpn_ctx *ctx, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = ivpn_malloc(ctx, n);
    if (d)
        memcpy(d, s, n);
    return d;
}

int ivpn_random(const ipsecvpn_ctx *ctx, uint8_t *buf, size_t len)
{
    if (!ctx || !ctx->host.random)
        return IPSECVPN_ERR_RANDOM;
    if (len == 0)
        return IPSECVPN_OK;
    if (ctx->host.random(ctx->host.user_data, buf, len) != 0) {
        IVPN_LOG_ERROR(ctx, "random: host callback failed for %zu bytes", len);
        return IPSECVPN_ERR_RANDOM;
    }
    return IPSECVPN_OK;
}

void ivpn_vlog(const ipsecvpn_ctx *ctx, ipsecvpn_log_level level, const char *fmt, va_list ap)
{
    char line[512];
    int n;

    if (!ctx || !ctx->host.log || level > ctx->host.log_level)
        return;
    n = vsnprintf(line, sizeof(line), fmt, ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line))
        n = (int)sizeof(line) - 1;
    ctx->host.log(ctx->host.user_data, level, line, (size_t)n);
}

void ivpn_log(const ipsecvpn_ctx *ctx, ipsecvpn_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ivpn_vlog(ctx, level, fmt, ap);
    va_end(ap);
}

IPSECVPN_EXPORT int ipsecvpn_ctx_new(const ipsecvpn_host *host, ipsecvpn_ctx **out)
{
    const ipsecvpn_mem *mem;
    ipsecvpn_ctx *ctx;

    if (!out)
        return IPSECVPN_ERR_INVALID_ARG;
    *out = NULL;
    if (!host || !host->random)
        return IPSECVPN_ERR_INVALID_ARG;
    if (host->version != IPSECVPN_HOST_VERSION)
        return IPSECVPN_ERR_VERSION;
    mem = host->mem ? host->mem : &default_mem;
    if (mem->version != IPSECVPN_MEM_VERSION)
        return IPSECVPN_ERR_VERSION;
    if (!mem->malloc || !mem->realloc || !mem->free)
        return IPSECVPN_ERR_INVALID_ARG;
    ctx = mem->malloc(sizeof(*ctx), mem->user_data);
    if (!ctx)
        return IPSECVPN_ERR_NOMEM;
    memset(ctx, 0, sizeof(*ctx));
    ctx->mem = *mem;
    ctx->host = *host;
    ctx->host.mem = &ctx->mem;
    *out = ctx;
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT void ipsecvpn_ctx_free(ipsecvpn_ctx *ctx)
{
    if (ctx) {
        ipsecvpn_mem mem = ctx->mem;
        mem.free(ctx, mem.user_data);
    }
}
