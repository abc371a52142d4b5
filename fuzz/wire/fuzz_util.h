/* Shared by the wire harnesses: one context whose log lines go nowhere (so the log
 * formatting paths run too), and a round-trip helper. */
#ifndef FUZZ_WIRE_UTIL_H
#define FUZZ_WIRE_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "wire/reader.h"
#include "wire/writer.h"

static inline void fuzz_log_sink(void *ud, ipsecvpn_log_level l, const char *m, size_t n)
{
    (void)ud; (void)l; (void)m; (void)n;
}

static inline int fuzz_random(void *ud, uint8_t *buf, size_t len)
{
    (void)ud;
    memset(buf, 0, len);
    return 0;
}

static inline const ipsecvpn_ctx *fuzz_ctx(void)
{
    static ipsecvpn_ctx *ctx;
    if (!ctx) {
        ipsecvpn_host host = {IPSECVPN_HOST_VERSION, NULL, NULL, fuzz_log_sink,
                              IPSECVPN_LOG_DEBUG, fuzz_random};
        if (ipsecvpn_ctx_new(&host, &ctx) != IPSECVPN_OK)
            abort();
    }
    return ctx;
}

/* A harness found a codec that does not round-trip: crash so the fuzzer keeps the input. */
#define FUZZ_CHECK(cond) do { if (!(cond)) abort(); } while (0)

static inline int fuzz_span_eq(ivpn_span a, ivpn_span b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

#endif
