/*
 * An outside program, built against the *installed* library with nothing but
 * `cc $(pkg-config --cflags --libs ipsecvpn)`: proves the installed headers, pkg-config file
 * and shared library are enough to use the public API. check_install.sh runs it and checks
 * its output; it exits 0 only when every value it reads back is the one expected.
 */
#define _POSIX_C_SOURCE 200809L
#include <ipsecvpn/ipsecvpn.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

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
    (void)user_data;
    fprintf(stderr, "consumer: log %d: %.*s\n", (int)level, (int)len, msg);
}

static int failures;

static void expect(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "consumer: FAILED: %s\n", what);
        failures++;
    }
}

/* Read a field back and compare it with its canonical spelling. */
static void expect_field(const ipsecvpn_connection *c, const char *field, const char *want)
{
    char buf[256];
    int rc = ipsecvpn_connection_get(c, field, buf, sizeof(buf), NULL);
    if (rc != IPSECVPN_OK) {
        fprintf(stderr, "consumer: FAILED: get %s: %s\n", field, ipsecvpn_strerror(rc));
        failures++;
        return;
    }
    printf("%s = %s\n", field, buf);
    if (strcmp(buf, want) != 0) {
        fprintf(stderr, "consumer: FAILED: %s is '%s', expected '%s'\n", field, buf, want);
        failures++;
    }
}

int main(void)
{
    int major = -1, minor = -1, patch = -1;
    const char *version = ipsecvpn_version(&major, &minor, &patch);
    printf("ipsecvpn %s (headers %s)\n", version, IPSECVPN_VERSION_STRING);
    expect(strcmp(version, IPSECVPN_VERSION_STRING) == 0, "library and header versions agree");
    expect(major == IPSECVPN_VERSION_MAJOR && minor == IPSECVPN_VERSION_MINOR &&
               patch == IPSECVPN_VERSION_PATCH,
           "version numbers agree");

    ipsecvpn_host host = {
        .version = IPSECVPN_HOST_VERSION,
        .log = host_log,
        .log_level = IPSECVPN_LOG_WARNING,
        .random = host_random,
    };
    ipsecvpn_ctx *ctx = NULL;
    int rc = ipsecvpn_ctx_new(&host, &ctx);
    if (rc != IPSECVPN_OK) {
        fprintf(stderr, "consumer: ipsecvpn_ctx_new: %s\n", ipsecvpn_strerror(rc));
        return 1;
    }

    ipsecvpn_connection *conn = NULL;
    ipsecvpn_report *rep = NULL;
    rc = ipsecvpn_connection_new(ctx, IPSECVPN_PROFILE_CLOUD, &conn);
    expect(rc == IPSECVPN_OK, "ipsecvpn_connection_new");
    rc = ipsecvpn_report_new(ctx, IPSECVPN_REPORT_ALL, &rep);
    expect(rc == IPSECVPN_OK, "ipsecvpn_report_new");
    if (!conn || !rep)
        goto out;

    /* OpenStack spellings in, canonical spellings out. */
    static const char *const fields[] = {
        "name", "local_address", "peer_address", "ike.version", "ike.encryption",
        "ike.integrity", "ike.dh_group", "psk",
    };
    static const char *const values[] = {
        "install-check", "192.0.2.1", "198.51.100.7", "v2", "aes-256",
        "sha256", "group14", "Install-Check-Key1",
    };
    rc = ipsecvpn_connection_update(conn, fields, values, sizeof(fields) / sizeof(fields[0]),
                                    rep);
    for (size_t i = 0; i < ipsecvpn_report_count(rep); i++)
        fprintf(stderr, "consumer: report: %s\n", ipsecvpn_report_message(rep, i));
    expect(rc == IPSECVPN_OK, "ipsecvpn_connection_update");

    expect_field(conn, "name", "install-check");
    expect_field(conn, "peer_address", "198.51.100.7");
    expect_field(conn, "ike.version", "ikev2");
    expect_field(conn, "ike.encryption", "aes256");
    expect_field(conn, "ike.dh_group", "group14");

    /* A rejected update must change nothing. */
    ipsecvpn_report_clear(rep);
    rc = ipsecvpn_connection_set(conn, "ike.lifetime", "90000", rep);
    expect(rc == IPSECVPN_ERR_CONFIG_RANGE, "ike.lifetime 90000 is rejected as out of range");
    expect(ipsecvpn_report_errors(rep) >= 1, "the rejection is reported");
    if (ipsecvpn_report_count(rep) > 0) {
        printf("rejected: %s\n", ipsecvpn_report_message(rep, 0));
        expect(strcmp(ipsecvpn_report_field(rep, 0), "ike.lifetime") == 0,
               "the report names ike.lifetime");
    }
    expect_field(conn, "ike.lifetime", "86400");

    ipsecvpn_report_clear(rep);
    rc = ipsecvpn_connection_validate(conn, rep);
    expect(rc == IPSECVPN_OK, "ipsecvpn_connection_validate");

    size_t needed = 0;
    char text[8192];
    rc = ipsecvpn_connection_export(conn, IPSECVPN_EXPORT_SWANCTL, text, sizeof(text), &needed);
    expect(rc == IPSECVPN_OK, "ipsecvpn_connection_export swanctl");
    if (rc == IPSECVPN_OK) {
        printf("--- swanctl.conf (%zu bytes) ---\n%s\n--- end ---\n", needed, text);
        expect(strlen(text) == needed, "export length matches *needed");
        /* Mirrored for the peer: our peer address is its local address. */
        expect(strstr(text, "198.51.100.7") != NULL, "export names the peer address");
        expect(strstr(text, "192.0.2.1") != NULL, "export names the local address");
        expect(strstr(text, "Install-Check-Key1") != NULL, "export carries the PSK");
    }

out:
    ipsecvpn_report_free(rep);
    ipsecvpn_connection_free(conn);
    ipsecvpn_ctx_free(ctx);
    if (failures) {
        fprintf(stderr, "consumer: %d check(s) failed\n", failures);
        return 1;
    }
    printf("consumer: all checks passed\n");
    return 0;
}
