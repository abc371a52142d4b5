/*
 * ikev2_export_swanctl: the swanctl.conf our configuration model writes for the peer of a
 * connection, so an interop case can load exactly that file into charon.
 * Usage: ikev2_export_swanctl CONF  -- CONF holds field=value lines (the format
 * examples/ipsecvpn_host reads; '#' lines and blank lines are skipped). The connection is
 * built with one ipsecvpn_connection_update() and exported with IPSECVPN_EXPORT_SWANCTL to
 * stdout. Exit status 1 on any error (printed on stderr).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipsecvpn/ipsecvpn.h"

#define MAX_FIELDS 64

static int fill_random(void *user_data, uint8_t *out, size_t len)
{
    (void)user_data;
    memset(out, 7, len); /* the export needs no secrets of its own */
    return 0;
}

int main(int argc, char **argv)
{
    static char line[MAX_FIELDS][1024];
    const char *fields[MAX_FIELDS], *values[MAX_FIELDS];
    size_t n = 0;
    FILE *f = argc == 2 ? fopen(argv[1], "r") : NULL;
    if (!f) {
        fprintf(stderr, "usage: %s CONF (field=value lines)\n", argv[0]);
        return 1;
    }
    while (n < MAX_FIELDS && fgets(line[n], sizeof(line[n]), f)) {
        line[n][strcspn(line[n], "\r\n")] = 0;
        char *eq = strchr(line[n], '=');
        if (line[n][0] == '#' || !eq)
            continue;
        *eq = 0;
        fields[n] = line[n];
        values[n] = eq + 1;
        n++;
    }
    fclose(f);

    ipsecvpn_host host = {.version = IPSECVPN_HOST_VERSION, .random = fill_random};
    ipsecvpn_ctx *ctx = NULL;
    ipsecvpn_connection *c = NULL;
    ipsecvpn_report *rep = NULL;
    size_t needed = 0;
    char *buf = NULL;
    int rc = ipsecvpn_ctx_new(&host, &ctx);
    if (rc == IPSECVPN_OK)
        rc = ipsecvpn_report_new(ctx, IPSECVPN_REPORT_ALL, &rep);
    if (rc == IPSECVPN_OK)
        rc = ipsecvpn_connection_new(ctx, IPSECVPN_PROFILE_CLOUD, &c);
    if (rc == IPSECVPN_OK)
        rc = ipsecvpn_connection_update(c, fields, values, n, rep);
    if (rc == IPSECVPN_OK &&
        ipsecvpn_connection_export(c, IPSECVPN_EXPORT_SWANCTL, NULL, 0, &needed) !=
            IPSECVPN_ERR_BUFFER_TOO_SMALL)
        rc = IPSECVPN_ERR_INTERNAL;
    if (rc == IPSECVPN_OK && !(buf = malloc(needed + 1)))
        rc = IPSECVPN_ERR_NOMEM;
    if (rc == IPSECVPN_OK)
        rc = ipsecvpn_connection_export(c, IPSECVPN_EXPORT_SWANCTL, buf, needed + 1, NULL);
    if (rc == IPSECVPN_OK)
        fputs(buf, stdout);
    else
        fprintf(stderr, "%s: %s\n", argv[1], ipsecvpn_strerror(rc));
    free(buf);
    ipsecvpn_report_free(rep);
    ipsecvpn_connection_free(c);
    ipsecvpn_ctx_free(ctx);
    return rc == IPSECVPN_OK ? 0 : 1;
}
