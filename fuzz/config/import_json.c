/*
 * libFuzzer harness for ipsecvpn_connection_import_json(): any bytes as a document. When a
 * document imports, the connection is valid, so every export format must succeed on it and
 * the exported JSON must import again (the peer's view of the same tunnel).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipsecvpn/ipsecvpn.h"

static int fuzz_random(void *ud, uint8_t *buf, size_t len)
{
    (void)ud;
    memset(buf, 0x5a, len); /* deterministic: a generated PSK is the same every run */
    return 0;
}

static void check_exports(ipsecvpn_ctx *ctx, const ipsecvpn_connection *c)
{
    for (int f = IPSECVPN_EXPORT_SWANCTL; f <= IPSECVPN_EXPORT_JSON; f++) {
        size_t needed = 0;
        int rc = ipsecvpn_connection_export(c, (ipsecvpn_export_format)f, NULL, 0, &needed);
        if (rc == IPSECVPN_ERR_UNSUPPORTED)
            continue;
        if (rc != IPSECVPN_ERR_BUFFER_TOO_SMALL)
            __builtin_trap(); /* an imported connection is valid: export must work */
        char *buf = malloc(needed + 1);
        if (!buf)
            return;
        if (ipsecvpn_connection_export(c, (ipsecvpn_export_format)f, buf, needed + 1, NULL) !=
                IPSECVPN_OK ||
            strlen(buf) != needed)
            __builtin_trap();
        if (f == IPSECVPN_EXPORT_JSON) {
            ipsecvpn_connection *peer = NULL;
            if (ipsecvpn_connection_import_json(ctx, IPSECVPN_PROFILE_CLOUD, buf, needed, &peer,
                                                NULL) != IPSECVPN_OK)
                __builtin_trap();
            ipsecvpn_connection_free(peer);
        }
        free(buf);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ipsecvpn_host host = {.version = IPSECVPN_HOST_VERSION, .random = fuzz_random};
    ipsecvpn_ctx *ctx = NULL;
    if (ipsecvpn_ctx_new(&host, &ctx) != IPSECVPN_OK)
        return 0;
    ipsecvpn_report *rep = NULL;
    ipsecvpn_report_new(ctx, IPSECVPN_REPORT_ALL, &rep);
    ipsecvpn_connection *c = NULL;
    if (ipsecvpn_connection_import_json(ctx, IPSECVPN_PROFILE_CLOUD, (const char *)data, size,
                                        &c, rep) == IPSECVPN_OK) {
        check_exports(ctx, c);
        ipsecvpn_connection_free(c);
    }
    for (size_t i = 0; i < ipsecvpn_report_count(rep); i++)
        (void)strlen(ipsecvpn_report_message(rep, i));
    ipsecvpn_report_free(rep);
    ipsecvpn_ctx_free(ctx);
    return 0;
}
