/* host_config: a connection from a JSON document or field=value lines, plus overrides. */
#define _POSIX_C_SOURCE 200809L
#include "host_config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAIRS 128

static void print_report(const ipsecvpn_report *rep)
{
    for (size_t i = 0; i < ipsecvpn_report_count(rep); i++)
        fprintf(stderr, "  %s %s\n", ipsecvpn_report_is_warning(rep, i) ? "warning:" : "error:",
                ipsecvpn_report_message(rep, i));
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *bigger = realloc(buf, cap *= 2);
        if (!bigger)
            free(buf);
        buf = bigger;
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    *len = n;
    return buf;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

/* Split "field=value" in place into the pair arrays. Returns 0, or -1 on a malformed line. */
static int add_pair(char *line, const char **fields, const char **values, size_t *n)
{
    char *eq = strchr(line, '=');
    if (!eq || *n >= MAX_PAIRS) {
        fprintf(stderr, "config: expected field=value, got \"%s\"\n", line);
        return -1;
    }
    *eq = '\0';
    fields[*n] = trim(line);
    values[*n] = trim(eq + 1);
    (*n)++;
    return 0;
}

/* Collect the field=value lines of @p text (modified in place). */
static int parse_lines(char *text, const char **fields, const char **values, size_t *n)
{
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        line = trim(line);
        if (*line == '\0' || *line == '#')
            continue;
        if (add_pair(line, fields, values, n) != 0)
            return -1;
    }
    return 0;
}

int host_config_load(ipsecvpn_ctx *ctx, const char *path, const char *const *overrides,
                     size_t n_overrides, ipsecvpn_connection **out)
{
    const char *fields[MAX_PAIRS], *values[MAX_PAIRS];
    char *over[MAX_PAIRS];
    size_t n = 0, len = 0;
    char *text = path ? read_file(path, &len) : NULL;
    ipsecvpn_report *rep = NULL;
    ipsecvpn_connection *c = NULL;
    int rc = -1;

    if ((path && !text) || ipsecvpn_report_new(ctx, IPSECVPN_REPORT_ALL, &rep) != IPSECVPN_OK)
        goto done;
    const char *first = text ? text + strspn(text, " \t\r\n") : "";
    if (*first == '{') {
        int r = ipsecvpn_connection_import_json(ctx, IPSECVPN_PROFILE_CLOUD, text, len, &c, rep);
        if (r != IPSECVPN_OK) {
            fprintf(stderr, "config %s: JSON import failed: %s\n", path, ipsecvpn_strerror(r));
            print_report(rep);
            goto done;
        }
    } else {
        if (ipsecvpn_connection_new(ctx, IPSECVPN_PROFILE_CLOUD, &c) != IPSECVPN_OK)
            goto done;
        if (text && parse_lines(text, fields, values, &n) != 0)
            goto done;
    }
    /* Overrides follow the file's own pairs, so they win; all go in one atomic update. */
    memset(over, 0, sizeof(over));
    for (size_t i = 0; i < n_overrides && i < MAX_PAIRS; i++) {
        over[i] = strdup(overrides[i]);
        if (!over[i] || add_pair(over[i], fields, values, &n) != 0)
            goto free_over;
    }
    int r = n ? ipsecvpn_connection_update(c, fields, values, n, rep) : IPSECVPN_OK;
    if (r == IPSECVPN_OK)
        r = ipsecvpn_connection_validate(c, rep);
    if (r != IPSECVPN_OK) {
        fprintf(stderr, "config: rejected: %s\n", ipsecvpn_strerror(r));
        print_report(rep);
    } else {
        *out = c;
        c = NULL;
        rc = 0;
    }
free_over:
    for (size_t i = 0; i < n_overrides && i < MAX_PAIRS; i++)
        free(over[i]);
done:
    ipsecvpn_connection_free(c);
    ipsecvpn_report_free(rep);
    free(text);
    return rc;
}

void host_config_print(const ipsecvpn_connection *c)
{
    static const char *const shown[] = {
        "name", "local_address", "peer_address", "routing_mode", "local_cidrs",
        "remote_cidrs", "initiator", "effective_immediately", "ike.version",
        "ike.encryption", "ike.integrity", "ike.dh_group", "ike.lifetime", "ike.local_id",
        "ike.remote_id", "ipsec.encryption", "ipsec.integrity", "ipsec.pfs", "ipsec.lifetime",
        "dpd.enabled", "nat_traversal", NULL,
    };
    char buf[1024];
    for (size_t i = 0; shown[i]; i++)
        if (ipsecvpn_connection_get(c, shown[i], buf, sizeof(buf), NULL) == IPSECVPN_OK)
            printf("config %-22s %s\n", shown[i], buf);
}
