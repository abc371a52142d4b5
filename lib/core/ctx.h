/*
 * The library context as the rest of lib/ sees it: allocation, logging and randomness
 * through the host's callbacks. Internal names carry the `ivpn_` prefix and are hidden.
 */
#ifndef IVPN_CORE_CTX_H
#define IVPN_CORE_CTX_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipsecvpn/common.h"

struct ipsecvpn_ctx {
    ipsecvpn_mem mem;   /* copied, so the host's struct may go away */
    ipsecvpn_host host; /* copied; host.mem points at this->mem */
};

/* Allocation through the host's hooks. ivpn_zalloc zeroes. All accept ctx == NULL for
 * the default allocator, so leaf modules (crypto, ESP) can be used without a context. */
void *ivpn_malloc(const ipsecvpn_ctx *ctx, size_t n);
void *ivpn_zalloc(const ipsecvpn_ctx *ctx, size_t n);
void *ivpn_realloc(const ipsecvpn_ctx *ctx, void *p, size_t n);
void ivpn_free(const ipsecvpn_ctx *ctx, void *p);
char *ivpn_strdup(const ipsecvpn_ctx *ctx, const char *s);

/* Fill buf from the host's CSPRNG. Returns IPSECVPN_OK or IPSECVPN_ERR_RANDOM. */
int ivpn_random(const ipsecvpn_ctx *ctx, uint8_t *buf, size_t len);

/* Format one log line and hand it to the host. Lines longer than 512 bytes are cut.
 * Cheap when the level is filtered out: nothing is formatted. */
void ivpn_log(const ipsecvpn_ctx *ctx, ipsecvpn_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ivpn_vlog(const ipsecvpn_ctx *ctx, ipsecvpn_log_level level, const char *fmt, va_list ap);

#define IVPN_LOG_ERROR(ctx, ...) ivpn_log((ctx), IPSECVPN_LOG_ERROR, __VA_ARGS__)
#define IVPN_LOG_WARN(ctx, ...) ivpn_log((ctx), IPSECVPN_LOG_WARNING, __VA_ARGS__)
#define IVPN_LOG_INFO(ctx, ...) ivpn_log((ctx), IPSECVPN_LOG_INFO, __VA_ARGS__)
#define IVPN_LOG_DEBUG(ctx, ...) ivpn_log((ctx), IPSECVPN_LOG_DEBUG, __VA_ARGS__)

#endif
