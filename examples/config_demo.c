/*
 * config_demo: the configuration model end to end, through the public API only.
 *
 * Builds a cloud VPN gateway's IPsec connection (IKEv2, aes256/sha256/group14, protected
 * flows 10.1.0.0/16 <-> 192.168.0.0/24, DPD and NAT traversal on, an empty PSK so the
 * library generates one), then tries a few bad edits and shows that each is rejected with
 * a message naming the field and the rule while the connection stays exactly as it was,
 * and finally exports the configuration the on-premises peer needs in the three formats.
 *
 * The host supplies randomness (getrandom(2), i.e. the kernel's /dev/urandom pool) and a
 * log sink (stderr). Exit status 0 means every step behaved as described.
 */
#define _POSIX_C_SOURCE 200809L
#include <ipsecvpn/ipsecvpn.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* ---- host callbacks ------------------------------------------------------------------- */

static int host_random(void *user_data, uint8_t *buf, size_t len)
{
    (void)user_data;
    while (len > 0) {
        ssize_t got = getrandom(buf, len, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += got;
        len -= (size_t)got;
    }
    return 0;
}

static void host_log(void *user_data, ipsecvpn_log_level level, const char *msg, size_t len)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    (void)user_data;
    const char *name = (unsigned)level < 4 ? names[level] : "?";
    fflush(stdout); /* keep log lines in order with the demo's own output */
    fprintf(stderr, "[libipsecvpn %s] %.*s\n", name, (int)len, msg);
}

/* ---- small helpers -------------------------------------------------------------------- */

static int problems; /* steps that did not behave as the demo expects */

static void print_report(const ipsecvpn_report *rep)
{
    for (size_t i = 0; i < ipsecvpn_report_count(rep); i++)
        printf("    %s %s\n", ipsecvpn_report_is_warning(rep, i) ? "warning:" : "error:  ",
               ipsecvpn_report_message(rep, i));
}

/* Export in @p format into a heap buffer sized by asking first; NULL on error. */
static char *export_text(const ipsecvpn_connection *c, ipsecvpn_export_format format, int *rc)
{
    size_t needed = 0;
    char probe[1];
    *rc = ipsecvpn_connection_export(c, format, probe, sizeof(probe), &needed);
    if (*rc != IPSECVPN_OK && *rc != IPSECVPN_ERR_BUFFER_TOO_SMALL)
        return NULL;
    char *buf = malloc(needed + 1);
    if (!buf) {
        *rc = IPSECVPN_ERR_NOMEM;
        return NULL;
    }
    *rc = ipsecvpn_connection_export(c, format, buf, needed + 1, NULL);
    if (*rc != IPSECVPN_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void show_field(const ipsecvpn_connection *c, const char *field)
{
    char buf[512];
    int rc = ipsecvpn_connection_get(c, field, buf, sizeof(buf), NULL);
    if (rc == IPSECVPN_OK) {
        printf("  %-22s %s\n", field, buf);
    } else {
        printf("  %-22s (%s)\n", field, ipsecvpn_strerror(rc));
        problems++;
    }
}

/*
 * Apply an update that must be rejected. The connection's swanctl and JSON exports (proposals,
 * flows, DPD, PSK...) are taken before and after: identical text shows nothing changed; the
 * fields the update named are printed with the values they still hold.
 */
static void try_bad_update(ipsecvpn_connection *c, ipsecvpn_report *rep, const char *title,
                           const char *const *fields, const char *const *values, size_t n)
{
    printf("\n* %s:", title);
    for (size_t i = 0; i < n; i++)
        printf(" %s=\"%s\"", fields[i], values[i]);
    printf("\n");

    int rc_export;
    char *before = export_text(c, IPSECVPN_EXPORT_SWANCTL, &rc_export);
    char *before_json = export_text(c, IPSECVPN_EXPORT_JSON, &rc_export);

    ipsecvpn_report_clear(rep);
    int rc = ipsecvpn_connection_update(c, fields, values, n, rep);
    if (rc == IPSECVPN_OK) {
        printf("  accepted -- expected a rejection!\n");
        problems++;
    } else {
        printf("  rejected with %d (%s)\n", rc, ipsecvpn_strerror(rc));
        print_report(rep);
    }

    char *after = export_text(c, IPSECVPN_EXPORT_SWANCTL, &rc_export);
    char *after_json = export_text(c, IPSECVPN_EXPORT_JSON, &rc_export);
    int same = before && after && strcmp(before, after) == 0 &&
               (!before_json || (after_json && strcmp(before_json, after_json) == 0));
    for (size_t i = 0; i < n; i++)
        show_field(c, fields[i]);
    printf("  connection unchanged: %s\n", same ? "yes" : "NO");
    if (!same)
        problems++;
    free(before);
    free(after);
    free(before_json);
    free(after_json);
}

static void print_export(const ipsecvpn_connection *c, ipsecvpn_export_format format,
                         const char *title)
{
    int rc;
    char *text = export_text(c, format, &rc);
    printf("\n===== %s =====\n", title);
    if (text) {
        fputs(text, stdout);
        if (text[0] && text[strlen(text) - 1] != '\n')
            putchar('\n');
        free(text);
    } else if (rc == IPSECVPN_ERR_UNSUPPORTED) {
        printf("(not in this build: %s)\n", ipsecvpn_strerror(rc));
    } else {
        printf("export failed: %s\n", ipsecvpn_strerror(rc));
        problems++;
    }
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the demo ------------------------------------------------------------------------- */

int main(void)
{
    printf("libipsecvpn %s: configuration demo\n\n", ipsecvpn_version(NULL, NULL, NULL));

    ipsecvpn_host host = {
        .version = IPSECVPN_HOST_VERSION,
        .log = host_log,
        .log_level = IPSECVPN_LOG_WARNING,
        .random = host_random,
    };
    ipsecvpn_ctx *ctx = NULL;
    int rc = ipsecvpn_ctx_new(&host, &ctx);
    if (rc != IPSECVPN_OK) {
        fprintf(stderr, "ipsecvpn_ctx_new: %s\n", ipsecvpn_strerror(rc));
        return 1;
    }
    ipsecvpn_connection *conn = NULL;
    ipsecvpn_report *rep = NULL;
    if ((rc = ipsecvpn_connection_new(ctx, IPSECVPN_PROFILE_CLOUD, &conn)) != IPSECVPN_OK ||
        (rc = ipsecvpn_report_new(ctx, IPSECVPN_REPORT_ALL, &rep)) != IPSECVPN_OK) {
        fprintf(stderr, "setup: %s\n", ipsecvpn_strerror(rc));
        problems++;
        goto out;
    }

    /* 1. A cloud gateway's connection to the head office, set in one atomic update. */
    static const char *const fields[] = {
        "name", "description", "local_address", "peer_address",
        "ike.version", "ike.encryption", "ike.integrity", "ike.dh_group",
        "ipsec.encryption", "ipsec.integrity", "ipsec.pfs",
        "routing_mode", "local_cidrs", "remote_cidrs",
        "dpd.enabled", "nat_traversal", "psk",
    };
    static const char *const values[] = {
        "cloud-to-hq", "VPC 10.1.0.0/16 to the head office LAN", "203.0.113.10", "198.51.100.20",
        "ikev2", "aes256", "sha256", "group14",
        "aes256", "sha256", "group14",
        "protected-flows", "10.1.0.0/16", "192.168.0.0/24",
        "on", "on", "" /* empty: the library generates a key */,
    };
    printf("Creating connection 'cloud-to-hq' (IKEv2, aes256/sha256/group14, protected flows)\n");
    rc = ipsecvpn_connection_update(conn, fields, values, COUNT(fields), rep);
    print_report(rep);
    if (rc != IPSECVPN_OK) {
        printf("update failed: %s\n", ipsecvpn_strerror(rc));
        problems++;
        goto out;
    }
    ipsecvpn_report_clear(rep);
    rc = ipsecvpn_connection_validate(conn, rep);
    printf("validation: %s\n", rc == IPSECVPN_OK ? "ok" : ipsecvpn_strerror(rc));
    print_report(rep);
    if (rc != IPSECVPN_OK)
        problems++;

    static const char *const shown[] = {
        "name", "local_address", "peer_address", "ike.version", "ike.encryption",
        "ike.integrity", "ike.dh_group", "ike.lifetime", "ipsec.encryption",
        "ipsec.integrity", "ipsec.pfs", "ipsec.lifetime", "routing_mode", "local_cidrs",
        "remote_cidrs", "dpd.enabled", "dpd.action", "dpd.interval", "dpd.timeout",
        "nat_traversal", "psk",
    };
    for (size_t i = 0; i < COUNT(shown); i++)
        show_field(conn, shown[i]);
    printf("(the PSK above was generated with the host's random callback; the peer needs it)\n");

    /* 2. Bad edits: each is refused with the field and the rule, and nothing changes. */
    printf("\nBad edits, each rejected as a whole:\n");
    {
        static const char *const f[] = {"ike.lifetime"}, *const v[] = {"90000"};
        try_bad_update(conn, rep, "IKE SA lifetime above 86400 s", f, v, COUNT(f));
    }
    {
        static const char *const f[] = {"psk"}, *const v[] = {"my secret\"key"};
        try_bad_update(conn, rep, "PSK with forbidden characters (space, double quote)", f, v,
                       COUNT(f));
    }
    {
        static const char *const f[] = {"bgp.enabled", "bgp.tunnel_cidr", "bgp.local_ip"};
        static const char *const v[] = {"on", "169.254.10.0/29", "169.254.10.1"};
        try_bad_update(conn, rep, "BGP tunnel CIDR that is not a /30", f, v, COUNT(f));
    }
    {
        static const char *const f[] = {"dpd.interval", "dpd.timeout"};
        static const char *const v[] = {"30", "10"};
        try_bad_update(conn, rep, "DPD timeout shorter than the interval", f, v, COUNT(f));
    }
    {
        static const char *const f[] = {"ike.version", "local_cidrs"};
        static const char *const v[] = {"ikev1", "10.1.0.0/16,10.2.0.0/16"};
        try_bad_update(conn, rep, "two local CIDRs with IKEv1", f, v, COUNT(f));
    }

    /* 3. What the on-premises device needs, mirrored: its local side is our peer. */
    print_export(conn, IPSECVPN_EXPORT_SWANCTL, "peer configuration: strongSwan swanctl.conf");
    print_export(conn, IPSECVPN_EXPORT_LIBRESWAN, "peer configuration: libreswan ipsec.conf");
    print_export(conn, IPSECVPN_EXPORT_JSON, "peer configuration: JSON");

out:
    ipsecvpn_report_free(rep);
    ipsecvpn_connection_free(conn);
    ipsecvpn_ctx_free(ctx);
    if (problems) {
        printf("\n%d step(s) did not behave as expected\n", problems);
        return 1;
    }
    printf("\ndemo finished: every bad edit was rejected and left the connection unchanged\n");
    return 0;
}
