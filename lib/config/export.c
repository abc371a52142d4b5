/*
 * Configuration download: the dispatch of ipsecvpn_connection_export(), the counting text
 * writer the formats share, and the mirrored view of a connection (the peer's side).
 *
 * Output is rendered twice: once only counting, then into the caller's buffer when the
 * whole text fits. So a too-small buffer is never touched and no copy of the PSK is left in
 * a heap block: the only other copy lives in the view on the stack and is wiped.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/addr.h"
#include "config/export_internal.h"
#include "crypto/crypto.h"

/* ---- text writer ------------------------------------------------------------------------ */

void ivpn_w_init(ivpn_writer *w, char *buf, size_t cap)
{
    w->buf = buf;
    w->cap = buf ? cap : 0;
    w->len = 0;
    if (w->buf && w->cap > 0)
        w->buf[0] = '\0';
}

void ivpn_w_mem(ivpn_writer *w, const char *s, size_t n)
{
    if (w->buf && w->len < w->cap) {
        size_t room = w->cap - w->len - 1; /* keep one byte for the NUL */
        size_t k = n < room ? n : room;
        memcpy(w->buf + w->len, s, k);
        w->buf[w->len + k] = '\0';
    }
    w->len += n;
}

void ivpn_w_char(ivpn_writer *w, char c)
{
    ivpn_w_mem(w, &c, 1);
}

void ivpn_w_str(ivpn_writer *w, const char *s)
{
    ivpn_w_mem(w, s, strlen(s));
}

void ivpn_w_fmt(ivpn_writer *w, const char *fmt, ...)
{
    char tmp[128]; /* the formats only print numbers and short words through here */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(tmp))
        n = (int)sizeof(tmp) - 1;
    ivpn_w_mem(w, tmp, (size_t)n);
}

void ivpn_w_hex(ivpn_writer *w, const char *s, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        ivpn_w_char(w, digits[b >> 4]);
        ivpn_w_char(w, digits[b & 15]);
    }
}

void ivpn_w_indent(ivpn_writer *w, unsigned n)
{
    while (n--)
        ivpn_w_char(w, ' ');
}

/* ---- helpers shared by the formats ------------------------------------------------------ */

const char *ivpn_export_map(const ivpn_name_map *table, const char *canonical)
{
    for (; table->canonical; table++)
        if (strcmp(table->canonical, canonical) == 0)
            return table->spelling;
    return NULL;
}

static bool all_of(const char *s, const char *set)
{
    return *s && s[strspn(s, set)] == '\0';
}

ivpn_xid_class ivpn_export_id_class(const char *id)
{
    if (strncmp(id, "@#", 2) == 0)
        return IVPN_XID_KEYID;
    if (strchr(id, '@'))
        return IVPN_XID_EMAIL;
    if (all_of(id, "0123456789.") || (strchr(id, ':') && all_of(id, "0123456789abcdefABCDEF:.")))
        return IVPN_XID_IP;
    return IVPN_XID_FQDN;
}

/*
 * What the peer does to bring the tunnel up. While our admin state is down we neither
 * negotiate nor answer, so the peer only loads the config. If we never initiate (response-only) the peer
 * must, at once. In destination (route-based) mode the selectors are 0.0.0.0/0: a trap policy
 * for that would capture every packet of the device, so it starts the tunnel instead. Otherwise
 * the peer traps: either side's traffic brings the tunnel up, and when we start it ourselves
 * (effective immediately) the peer does not race us with a second IKE SA.
 */
ivpn_peer_start ivpn_export_peer_start(const ivpn_export_view *v)
{
    if (v->we_admin_down)
        return IVPN_PEER_START_NONE;
    if (v->we_respond_only || v->route_based)
        return IVPN_PEER_START_NOW;
    return IVPN_PEER_START_TRAP;
}

/* ---- the mirrored view ------------------------------------------------------------------ */

static int get_text(const ipsecvpn_connection *c, const char *field, char *buf, size_t len)
{
    int rc = ipsecvpn_connection_get(c, field, buf, len, NULL);
    if (rc == IPSECVPN_ERR_BUFFER_TOO_SMALL) {
        IVPN_LOG_WARN(c->ctx, "export: value of %s longer than expected", field);
        return IPSECVPN_ERR_INTERNAL;
    }
    if (rc != IPSECVPN_OK)
        IVPN_LOG_WARN(c->ctx, "export: cannot read %s (%d)", field, rc);
    return rc;
}

static int get_uint(const ipsecvpn_connection *c, const char *field, uint32_t *out)
{
    char buf[24];
    int rc = get_text(c, field, buf, sizeof(buf));
    if (rc != IPSECVPN_OK)
        return rc;
    char *end = NULL;
    unsigned long long n = strtoull(buf, &end, 10);
    if (buf[0] < '0' || buf[0] > '9' || *end != '\0' || n > UINT32_MAX) {
        IVPN_LOG_WARN(c->ctx, "export: %s is not a number: %s", field, buf);
        return IPSECVPN_ERR_INTERNAL;
    }
    *out = (uint32_t)n;
    return IPSECVPN_OK;
}

static bool switch_on(const char *text)
{
    static const char *const on[] = {"on", "yes", "true", "enable", "enabled", "1", NULL};
    for (size_t i = 0; on[i]; i++)
        if (strcmp(text, on[i]) == 0)
            return true;
    return false;
}

static int get_switch(const ipsecvpn_connection *c, const char *field, bool *out)
{
    char buf[IVPN_EXPORT_WORD_MAX];
    int rc = get_text(c, field, buf, sizeof(buf));
    if (rc == IPSECVPN_OK)
        *out = switch_on(buf);
    return rc;
}

/* The all-traffic selector of the family of the tunnel's outer addresses. */
static void any_selector(const char *addr, char *out, size_t len)
{
    snprintf(out, len, "%s", strchr(addr, ':') ? "::/0" : "0.0.0.0/0");
}

/* The /30's usable host that is not ours: the peer's end of the BGP tunnel. */
static int other_tunnel_host(const char *cidr_text, const char *ours_text, char *out, size_t len)
{
    ivpn_cidr net;
    ivpn_ip ours, host;
    if (ivpn_cidr_parse(cidr_text, &net) != IPSECVPN_OK ||
        ivpn_ip_parse(ours_text, &ours) != IPSECVPN_OK || net.ip.family != 4)
        return IPSECVPN_ERR_INTERNAL;
    ivpn_cidr_first(&net, &host);
    host.addr[3] = (uint8_t)(host.addr[3] + 1);
    if (ivpn_ip_equal(&host, &ours))
        host.addr[3] = (uint8_t)(host.addr[3] + 1);
    ivpn_ip_format(&host, out, len);
    return IPSECVPN_OK;
}

/* BGP and health check, only when switched on (validation guarantees their addresses). */
static int load_bgp_and_health_check(const ipsecvpn_connection *c, ivpn_export_view *v)
{
    int rc;
    if ((rc = get_switch(c, "bgp.enabled", &v->bgp)) != IPSECVPN_OK ||
        (rc = get_switch(c, "health_check.enabled", &v->health_check)) != IPSECVPN_OK)
        return rc;
    if (v->bgp &&
        ((rc = get_text(c, "bgp.tunnel_cidr", v->bgp_tunnel_cidr, sizeof(v->bgp_tunnel_cidr))) !=
             IPSECVPN_OK ||
         (rc = get_text(c, "bgp.local_ip", v->bgp_remote_ip, sizeof(v->bgp_remote_ip))) !=
             IPSECVPN_OK ||
         (rc = get_text(c, "bgp.local_asn", v->bgp_remote_asn, sizeof(v->bgp_remote_asn))) !=
             IPSECVPN_OK ||
         (rc = other_tunnel_host(v->bgp_tunnel_cidr, v->bgp_remote_ip, v->bgp_local_ip,
                                 sizeof(v->bgp_local_ip))) != IPSECVPN_OK))
        return rc;
    if (v->health_check &&
        ((rc = get_text(c, "health_check.source_ip", v->hc_source, sizeof(v->hc_source))) !=
             IPSECVPN_OK ||
         (rc = get_text(c, "health_check.destination_ip", v->hc_destination,
                        sizeof(v->hc_destination))) != IPSECVPN_OK ||
         (rc = get_uint(c, "health_check.interval", &v->hc_interval)) != IPSECVPN_OK ||
         (rc = get_uint(c, "health_check.retry", &v->hc_retry)) != IPSECVPN_OK))
        return rc;
    return IPSECVPN_OK;
}

/* The notes a text format writes as comments for what its file cannot say: the BGP session
 * and the health check's route, as "# " lines. */
void ivpn_export_notes(const ivpn_export_view *v, ivpn_writer *w)
{
    if (v->bgp) {
        ivpn_w_str(w, "# BGP over this tunnel (configure it in the routing daemon): tunnel ");
        ivpn_w_str(w, v->bgp_tunnel_cidr);
        ivpn_w_str(w, ", this device ");
        ivpn_w_str(w, v->bgp_local_ip);
        ivpn_w_str(w, ", neighbor ");
        ivpn_w_str(w, v->bgp_remote_ip);
        ivpn_w_str(w, " remote-as ");
        ivpn_w_str(w, v->bgp_remote_asn);
        ivpn_w_char(w, '\n');
    }
    if (v->health_check) {
        ivpn_w_str(w, "# Health check: the gateway sends ICMP echo from ");
        ivpn_w_str(w, v->hc_source);
        ivpn_w_str(w, " to ");
        ivpn_w_str(w, v->hc_destination);
        ivpn_w_fmt(w, " every %lus (%lu retries): route ", (unsigned long)v->hc_interval,
                   (unsigned long)v->hc_retry);
        ivpn_w_str(w, v->hc_source);
        ivpn_w_str(w, strchr(v->hc_source, ':') ? "/128" : "/32");
        ivpn_w_str(w, " into this tunnel and let ");
        ivpn_w_str(w, v->hc_destination);
        ivpn_w_str(w, " answer ICMP echo\n");
    }
}

int ivpn_export_view_load(const ipsecvpn_connection *c, ivpn_export_view *v)
{
    memset(v, 0, sizeof(*v));
    int rc = ipsecvpn_connection_validate(c, NULL);
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_WARN(c->ctx, "export: connection is not valid (%d)", rc);
        return rc;
    }
    char word[IVPN_EXPORT_WORD_MAX];
    struct {
        const char *field;
        char *dst;
        size_t len;
    } texts[] = {
        {"name", v->name, sizeof(v->name)},
        {"ike.encryption", v->ike_encryption, sizeof(v->ike_encryption)},
        {"ike.integrity", v->ike_integrity, sizeof(v->ike_integrity)},
        {"ike.dh_group", v->ike_dh_group, sizeof(v->ike_dh_group)},
        {"ipsec.encryption", v->esp_encryption, sizeof(v->esp_encryption)},
        {"ipsec.integrity", v->esp_integrity, sizeof(v->esp_integrity)},
        {"ipsec.pfs", v->pfs, sizeof(v->pfs)},
        /* mirrored: the peer's local side is our remote side */
        {"peer_address", v->local_addr, sizeof(v->local_addr)},
        {"local_address", v->remote_addr, sizeof(v->remote_addr)},
        {"ike.remote_id", v->local_id, sizeof(v->local_id)},
        {"ike.local_id", v->remote_id, sizeof(v->remote_id)},
        {"remote_cidrs", v->local_ts, sizeof(v->local_ts)},
        {"local_cidrs", v->remote_ts, sizeof(v->remote_ts)},
        {"psk", v->psk, sizeof(v->psk)},
        {"dpd.action", v->dpd_action, sizeof(v->dpd_action)},
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        if ((rc = get_text(c, texts[i].field, texts[i].dst, texts[i].len)) != IPSECVPN_OK)
            goto fail;

    if ((rc = get_text(c, "ike.version", word, sizeof(word))) != IPSECVPN_OK)
        goto fail;
    v->ike_version = strcmp(word, "ikev2") == 0 ? 2 : 1;
    if ((rc = get_text(c, "ike.mode", word, sizeof(word))) != IPSECVPN_OK)
        goto fail;
    v->aggressive = v->ike_version == 1 && strcmp(word, "aggressive") == 0;
    if ((rc = get_text(c, "routing_mode", word, sizeof(word))) != IPSECVPN_OK)
        goto fail;
    v->route_based = strcmp(word, "protected-flows") != 0;
    if ((rc = get_text(c, "initiator", word, sizeof(word))) != IPSECVPN_OK)
        goto fail;
    v->we_respond_only = strcmp(word, "response-only") == 0;
    if ((rc = get_text(c, "admin_state", word, sizeof(word))) != IPSECVPN_OK)
        goto fail;
    v->we_admin_down = strcmp(word, "down") == 0;
    if ((rc = get_text(c, "ipsec.mode", word, sizeof(word))) != IPSECVPN_OK)
        goto fail;
    v->transport = strcmp(word, "transport") == 0;

    if ((rc = get_uint(c, "ike.lifetime", &v->ike_lifetime)) != IPSECVPN_OK ||
        (rc = get_uint(c, "ipsec.lifetime", &v->esp_lifetime)) != IPSECVPN_OK ||
        (rc = get_uint(c, "dpd.interval", &v->dpd_interval)) != IPSECVPN_OK ||
        (rc = get_uint(c, "dpd.timeout", &v->dpd_timeout)) != IPSECVPN_OK ||
        (rc = get_switch(c, "dpd.enabled", &v->dpd)) != IPSECVPN_OK ||
        (rc = get_switch(c, "nat_traversal", &v->nat_traversal)) != IPSECVPN_OK ||
        (rc = get_switch(c, "effective_immediately", &v->we_start_immediately)) != IPSECVPN_OK)
        goto fail;

    if ((rc = load_bgp_and_health_check(c, v)) != IPSECVPN_OK)
        goto fail;
    /* DPD switched on with the OpenStack action "disabled" is DPD off: the peer probes us
     * only when we probe it */
    if (strcmp(v->dpd_action, "disabled") == 0)
        v->dpd = false;

    /* An empty identity means the gateway's address (config.h). */
    v->local_id_explicit = v->local_id[0] != '\0';
    if (!v->local_id_explicit)
        memcpy(v->local_id, v->local_addr, sizeof(v->local_addr));
    v->remote_id_explicit = v->remote_id[0] != '\0';
    if (!v->remote_id_explicit)
        memcpy(v->remote_id, v->remote_addr, sizeof(v->remote_addr));
    if (v->route_based) {
        any_selector(v->local_addr, v->local_ts, sizeof(v->local_ts));
        any_selector(v->remote_addr, v->remote_ts, sizeof(v->remote_ts));
    }
    return IPSECVPN_OK;
fail:
    ivpn_export_view_wipe(v);
    return rc;
}

void ivpn_export_view_wipe(ivpn_export_view *v)
{
    ivpn_wipe(v, sizeof(*v));
}

/* ---- dispatch --------------------------------------------------------------------------- */

typedef int (*renderer)(const ipsecvpn_connection *, const ivpn_export_view *, ivpn_writer *);

static renderer renderer_for(ipsecvpn_export_format format)
{
    switch (format) {
    case IPSECVPN_EXPORT_SWANCTL:
        return ivpn_export_swanctl;
    case IPSECVPN_EXPORT_LIBRESWAN:
        return ivpn_export_libreswan;
    case IPSECVPN_EXPORT_JSON:
        return ivpn_export_json;
    }
    return NULL;
}

IPSECVPN_EXPORT int ipsecvpn_connection_export(const ipsecvpn_connection *c,
                                               ipsecvpn_export_format format, char *buf,
                                               size_t buflen, size_t *needed)
{
    if (!c || (!buf && buflen > 0))
        return IPSECVPN_ERR_INVALID_ARG;
    renderer render = renderer_for(format);
    if (!render) {
        IVPN_LOG_WARN(c->ctx, "export: unknown format %d", (int)format);
        return IPSECVPN_ERR_INVALID_ARG;
    }
#ifndef IPSECVPN_HAVE_CJSON
    if (format == IPSECVPN_EXPORT_JSON) {
        IVPN_LOG_WARN(c->ctx, "export: JSON needs a build with cJSON");
        return IPSECVPN_ERR_UNSUPPORTED;
    }
#endif
    ivpn_export_view v;
    int rc = ivpn_export_view_load(c, &v);
    if (rc != IPSECVPN_OK)
        return rc;

    ivpn_writer w;
    ivpn_w_init(&w, NULL, 0); /* first pass: count */
    rc = render(c, &v, &w);
    if (rc == IPSECVPN_OK) {
        if (needed)
            *needed = w.len;
        if (w.len >= buflen) {
            rc = IPSECVPN_ERR_BUFFER_TOO_SMALL;
        } else {
            ivpn_w_init(&w, buf, buflen); /* second pass: write, it fits */
            rc = render(c, &v, &w);
        }
    }
    ivpn_export_view_wipe(&v);
    return rc;
}
