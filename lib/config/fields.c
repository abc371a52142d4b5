/*
 * The field table (SPEC §1, config.h "Field paths") and the generic parse/format of a field.
 * Adding a field is adding a row; validation across fields lives in validate.c.
 */
#include "config/fields.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config/addr.h"
#include "config/enums.h"
#include "config/psk.h"
#include "crypto/crypto.h"
#include "config/validate.h"

#define IVPN_FIELD_TEXT_MAX 2048 /* longest formatted value: 32 IPv6 CIDRs, a description */
#define ALL3(lo, hi) {{lo, hi}, {lo, hi}, {lo, hi}}
#define LIFETIME_RANGES {{0, 86400}, {60, UINT32_MAX}, {60, 86400}}

_Static_assert(sizeof(ivpn_ike_mode) == sizeof(int), "enum fields are int-sized");
_Static_assert(sizeof(ivpn_dpd_action) == sizeof(int), "enum fields are int-sized");
_Static_assert(sizeof(ivpn_ike_version) == sizeof(int), "enum fields are int-sized");
_Static_assert(sizeof(ivpn_initiator) == sizeof(int), "enum fields are int-sized");

#define IKE(m) offsetof(ivpn_ike_values, m), sizeof(((ivpn_ike_values *)0)->m)
#define IPS(m) offsetof(ivpn_ipsec_values, m), sizeof(((ivpn_ipsec_values *)0)->m)
#define CON(m) offsetof(ivpn_connection_values, m), sizeof(((ivpn_connection_values *)0)->m)

static const ivpn_field ike_fields[] = {
    {"name", NULL, IVPN_FT_TEXT, IKE(name), 0, NULL, IVPN_TEXT_NAME, ALL3(0, 0), ""},
    {"description", NULL, IVPN_FT_TEXT, IKE(description), 0, NULL, IVPN_TEXT_DESC, ALL3(0, 0), ""},
    {"version", NULL, IVPN_FT_VERSION, IKE(version), 0, "ike_version", 0, ALL3(0, 0), ""},
    {"mode", NULL, IVPN_FT_ENUM, IKE(mode), 0, "ike_mode", 0, ALL3(0, 0), ""},
    {"encryption", NULL, IVPN_FT_ENCR, IKE(encryption), 0, "encryption", 0, ALL3(0, 0), ""},
    {"integrity", "authentication", IVPN_FT_IANA, IKE(integrity), 0, "integrity", 0, ALL3(0, 0), ""},
    /* alias: the OpenStack product calls the IKE policy's group its "PFS" (API: pfs) */
    {"dh_group", "pfs", IVPN_FT_IANA, IKE(dh_group), 0, "dh_group", 0, ALL3(0, 0), ""},
    {"lifetime", NULL, IVPN_FT_U32, IKE(lifetime), 0, NULL, 0, LIFETIME_RANGES, " seconds"},
    {"local_id", NULL, IVPN_FT_IDENTITY, IKE(local_id), 0, NULL, 0, ALL3(0, 0), ""},
    {"remote_id", NULL, IVPN_FT_IDENTITY, IKE(remote_id), 0, NULL, 0, ALL3(0, 0), ""},
};

static const ivpn_field ipsec_fields[] = {
    {"name", NULL, IVPN_FT_TEXT, IPS(name), 0, NULL, IVPN_TEXT_NAME, ALL3(0, 0), ""},
    {"description", NULL, IVPN_FT_TEXT, IPS(description), 0, NULL, IVPN_TEXT_DESC, ALL3(0, 0), ""},
    {"protocol", NULL, IVPN_FT_PROTOCOL, 0, 0, 0, "protocol", 0, ALL3(0, 0), ""},
    {"mode", NULL, IVPN_FT_ENUM, IPS(mode), 0, "ipsec_mode", 0, ALL3(0, 0), ""},
    {"encryption", NULL, IVPN_FT_ENCR, IPS(encryption), 0, "encryption", 0, ALL3(0, 0), ""},
    {"integrity", "authentication", IVPN_FT_IANA, IPS(integrity), 0, "integrity", 0, ALL3(0, 0), ""},
    {"pfs", NULL, IVPN_FT_IANA, IPS(pfs), 0, "pfs", 0, ALL3(0, 0), ""},
    {"lifetime", NULL, IVPN_FT_U32, IPS(lifetime), 0, NULL, 0, LIFETIME_RANGES, " seconds"},
    {"initiator", NULL, IVPN_FT_ENUM, IPS(initiator), 0, "initiator", 0, ALL3(0, 0), ""},
};

static const ivpn_field connection_fields[] = {
    {"name", NULL, IVPN_FT_TEXT, CON(name), 0, NULL, IVPN_TEXT_NAME, ALL3(0, 0), ""},
    {"description", NULL, IVPN_FT_TEXT, CON(description), 0, NULL, IVPN_TEXT_DESC, ALL3(0, 0), ""},
    {"admin_state", NULL, IVPN_FT_ADMIN, CON(admin_up), 0, "admin_state", 0, ALL3(0, 0), ""},
    {"local_address", NULL, IVPN_FT_IP, CON(local_address), 0, NULL, 0, ALL3(0, 0), ""},
    {"peer_address", NULL, IVPN_FT_IP, CON(peer_address), 0, NULL, 0, ALL3(0, 0), ""},
    {"gateway_type", NULL, IVPN_FT_ENUM, CON(gateway_type), 0, "gateway_type", 0, ALL3(0, 0), ""},
    {"psk", NULL, IVPN_FT_PSK, CON(psk), 0, NULL, 0, ALL3(0, 0), ""},
    {"routing_mode", NULL, IVPN_FT_ENUM, CON(routing_mode), 0, "routing_mode", 0, ALL3(0, 0), ""},
    {"local_cidrs", NULL, IVPN_FT_CIDR_LIST, CON(local_cidrs),
     offsetof(ivpn_connection_values, n_local_cidrs), NULL, 0, ALL3(0, 0), ""},
    {"remote_cidrs", NULL, IVPN_FT_CIDR_LIST, CON(remote_cidrs),
     offsetof(ivpn_connection_values, n_remote_cidrs), NULL, 0, ALL3(0, 0), ""},
    {"effective_immediately", NULL, IVPN_FT_YESNO, CON(effective_immediately), 0, "switch", 0,
     ALL3(0, 0), ""},
    {"initiator", NULL, IVPN_FT_ENUM, CON(initiator), 0, "initiator", 0, ALL3(0, 0), ""},
    {"mtu", NULL, IVPN_FT_U32, CON(mtu), 0, NULL, 0, ALL3(68, 65535), ""},
    {"nat_traversal", NULL, IVPN_FT_ONOFF, CON(nat_traversal), 0, "switch", 0, ALL3(0, 0), ""},
    {"dpd.enabled", NULL, IVPN_FT_ONOFF, CON(dpd.enabled), 0, "switch", 0, ALL3(0, 0), ""},
    {"dpd.action", NULL, IVPN_FT_ENUM, CON(dpd.action), 0, "dpd_action", 0, ALL3(0, 0), ""},
    {"dpd.interval", NULL, IVPN_FT_U32, CON(dpd.interval), 0, NULL, 0, ALL3(1, 3600), " seconds"},
    {"dpd.timeout", NULL, IVPN_FT_U32, CON(dpd.timeout),
     offsetof(ivpn_connection_values, dpd.timeout_set), NULL, 0, ALL3(2, 86400), " seconds"},
    {"bgp.enabled", NULL, IVPN_FT_ONOFF, CON(bgp.enabled), 0, "switch", 0, ALL3(0, 0), ""},
    {"bgp.tunnel_cidr", NULL, IVPN_FT_CIDR, CON(bgp.tunnel_cidr), 0, NULL, 0, ALL3(0, 0), ""},
    {"bgp.local_ip", NULL, IVPN_FT_IP, CON(bgp.local_ip), 0, NULL, 0, ALL3(0, 0), ""},
    {"bgp.local_asn", NULL, IVPN_FT_ASN, CON(bgp.local_asn), 0, NULL, 0, ALL3(0, 0), ""},
    {"health_check.enabled", NULL, IVPN_FT_ONOFF, CON(health_check.enabled), 0, "switch", 0,
     ALL3(0, 0), ""},
    {"health_check.destination_ip", NULL, IVPN_FT_IP, CON(health_check.destination_ip), 0, NULL,
     0, ALL3(0, 0), ""},
    {"health_check.source_ip", NULL, IVPN_FT_IP, CON(health_check.source_ip), 0, NULL, 0,
     ALL3(0, 0), ""},
    {"health_check.interval", NULL, IVPN_FT_U32, CON(health_check.interval), 0, NULL, 0,
     ALL3(1, 60), " seconds"},
    {"health_check.retry", NULL, IVPN_FT_U32, CON(health_check.retry), 0, NULL, 0, ALL3(1, 10),
     ""},
    {"health_check.route_policy", NULL, IVPN_FT_ENUM, CON(health_check.route_policy), 0,
     "route_policy", 0, ALL3(0, 0), ""},
    {"association.type", NULL, IVPN_FT_ENUM, CON(association.type), 0, "association_type", 0,
     ALL3(0, 0), ""},
    {"association.vpn_gateway", NULL, IVPN_FT_TEXT, CON(association.vpn_gateway), 0, NULL,
     IVPN_TEXT_REF, ALL3(0, 0), ""},
    {"association.transit_router", NULL, IVPN_FT_TEXT, CON(association.transit_router), 0, NULL,
     IVPN_TEXT_REF, ALL3(0, 0), ""},
    {"association.zone", NULL, IVPN_FT_TEXT, CON(association.zone), 0, NULL, IVPN_TEXT_REF,
     ALL3(0, 0), ""},
    {"association.customer_gateway", NULL, IVPN_FT_TEXT, CON(association.customer_gateway), 0,
     NULL, IVPN_TEXT_REF, ALL3(0, 0), ""},
};

#define COUNT(t) (sizeof(t) / sizeof((t)[0]))

/* The tables an object kind is made of: its own, then sub-tables under a prefix. */
typedef struct table_part {
    const char *prefix;
    const ivpn_field *fields;
    size_t count;
    size_t base;
} table_part;

static const table_part ike_parts[] = {{"", ike_fields, COUNT(ike_fields), 0}};
static const table_part ipsec_parts[] = {{"", ipsec_fields, COUNT(ipsec_fields), 0}};
static const table_part connection_parts[] = {
    {"", connection_fields, COUNT(connection_fields), 0},
    {"ike.", ike_fields, COUNT(ike_fields), offsetof(ivpn_connection_values, ike)},
    {"ipsec.", ipsec_fields, COUNT(ipsec_fields), offsetof(ivpn_connection_values, ipsec)},
};

static const table_part *parts_of(ipsecvpn_object_kind kind, size_t *n)
{
    switch (kind) {
    case IPSECVPN_OBJECT_IKE_POLICY:
        *n = COUNT(ike_parts);
        return ike_parts;
    case IPSECVPN_OBJECT_IPSEC_POLICY:
        *n = COUNT(ipsec_parts);
        return ipsec_parts;
    case IPSECVPN_OBJECT_CONNECTION:
        *n = COUNT(connection_parts);
        return connection_parts;
    }
    *n = 0;
    return NULL;
}

/* Policies report their fields under the prefix a connection uses, so a message reads the
 * same wherever the value came from: "ike.lifetime: ...". */
static const char *report_prefix(ipsecvpn_object_kind kind, const table_part *part)
{
    if (kind == IPSECVPN_OBJECT_IKE_POLICY)
        return "ike.";
    if (kind == IPSECVPN_OBJECT_IPSEC_POLICY)
        return "ipsec.";
    return part->prefix;
}

static const ivpn_field *find_in(const table_part *part, const char *sub)
{
    for (size_t i = 0; i < part->count; i++) {
        const ivpn_field *fd = &part->fields[i];
        if (strcmp(fd->path, sub) == 0 || (fd->alias && strcmp(fd->alias, sub) == 0))
            return fd;
    }
    return NULL;
}

static const ivpn_field *find_part(ipsecvpn_object_kind kind, const char *path,
                                   const table_part **part_out)
{
    size_t n;
    const table_part *parts = parts_of(kind, &n);
    if (!path)
        return NULL;
    for (size_t p = 0; p < n; p++) {
        size_t plen = strlen(parts[p].prefix);
        if (strncmp(path, parts[p].prefix, plen) != 0)
            continue;
        if (plen == 0 && n > 1 && (strncmp(path, "ike.", 4) == 0 || strncmp(path, "ipsec.", 6) == 0))
            continue;
        const ivpn_field *fd = find_in(&parts[p], path + plen);
        if (fd && kind == IPSECVPN_OBJECT_CONNECTION && parts[p].fields == ipsec_fields &&
            fd->type == IVPN_FT_ENUM && strcmp(fd->path, "initiator") == 0) {
            /* one initiator per connection: ipsec.initiator is the connection's own field */
            *part_out = &parts[0];
            return find_in(&parts[0], "initiator");
        }
        if (fd) {
            *part_out = &parts[p];
            return fd;
        }
    }
    return NULL;
}

const ivpn_field *ivpn_field_find(ipsecvpn_object_kind kind, const char *path, size_t *base)
{
    const table_part *part;
    const ivpn_field *fd = find_part(kind, path, &part);
    if (fd && base)
        *base = part->base;
    return fd;
}

size_t ivpn_field_count(ipsecvpn_object_kind kind)
{
    size_t n, total = 0;
    const table_part *parts = parts_of(kind, &n);
    for (size_t p = 0; p < n; p++)
        total += parts[p].count;
    return total;
}

const char *ivpn_field_path(ipsecvpn_object_kind kind, size_t i, char *buf, size_t len)
{
    size_t n;
    const table_part *parts = parts_of(kind, &n);
    for (size_t p = 0; p < n; p++) {
        if (i < parts[p].count) {
            snprintf(buf, len, "%s%s", parts[p].prefix, parts[p].fields[i].path);
            return buf;
        }
        i -= parts[p].count;
    }
    return NULL;
}

/* ---- numbers ------------------------------------------------------------------------------ */

/* Decimal with an optional '-' (so "-1" is reported as out of range, not as garbage).
 * Magnitudes beyond 10^15 are clamped: they are out of every range anyway. */
static bool parse_number(const char *s, long long *out)
{
    bool neg = false;
    long long v = 0;
    if (*s == '-') {
        neg = true;
        s++;
    }
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        if (v < 1000000000000000LL)
            v = v * 10 + (*s - '0');
    }
    *out = neg ? -v : v;
    return true;
}

/* OpenStack states lifetimes with units ("units": "seconds"), so a value in seconds may
 * carry its unit: "3600 seconds", "3600 sec", "3600s" (any case, spaces before the unit).
 * *number points at the text to parse: text itself, or its digits copied to buf when a
 * seconds unit follows them. A kilobyte unit is refused: the model holds seconds only. */
static int strip_seconds_unit(const ivpn_field *fd, const char *text, const char **number,
                              char *buf, size_t len)
{
    static const char *const seconds[] = {"s", "sec", "secs", "second", "seconds"};
    static const char *const kilobytes[] = {"kb", "kilobyte", "kilobytes"};
    size_t digits = strspn(text, "-0123456789");
    const char *unit = text + digits;
    while (*unit == ' ')
        unit++;
    *number = text;
    if (strcmp(fd->unit, " seconds") != 0 || digits == 0 || digits >= len || *unit == '\0')
        return IPSECVPN_OK;
    for (size_t i = 0; i < sizeof(seconds) / sizeof(seconds[0]); i++)
        if (ivpn_ascii_casecmp(unit, seconds[i]) == 0) {
            memcpy(buf, text, digits);
            buf[digits] = '\0';
            *number = buf;
            return IPSECVPN_OK;
        }
    for (size_t i = 0; i < sizeof(kilobytes) / sizeof(kilobytes[0]); i++)
        if (ivpn_ascii_casecmp(unit, kilobytes[i]) == 0)
            return IPSECVPN_ERR_CONFIG_SYNTAX;
    return IPSECVPN_OK;
}

void ivpn_range_rule(const ivpn_field *fd, ipsecvpn_profile profile, char *buf, size_t len)
{
    ivpn_range r = fd->range[ivpn_profile_valid(profile) ? profile : 0];
    if (r.max == UINT32_MAX)
        snprintf(buf, len, "must be at least %u%s", r.min, fd->unit);
    else
        snprintf(buf, len, "must be %u..%u%s", r.min, r.max, fd->unit);
}

int ivpn_asn_parse(const char *text, uint32_t *out)
{
    const char *dot = strchr(text, '.');
    long long v;
    if (dot) {
        char hi[8];
        size_t hl = (size_t)(dot - text);
        long long a, b;
        if (hl == 0 || hl >= sizeof(hi))
            return IPSECVPN_ERR_CONFIG_SYNTAX;
        memcpy(hi, text, hl);
        hi[hl] = '\0';
        if (hi[0] == '-' || dot[1] == '-' || !parse_number(hi, &a) || !parse_number(dot + 1, &b))
            return IPSECVPN_ERR_CONFIG_SYNTAX;
        if (a > 65535 || b > 65535)
            return IPSECVPN_ERR_CONFIG_RANGE;
        v = a * 65536 + b;
    } else if (!parse_number(text, &v)) {
        return IPSECVPN_ERR_CONFIG_SYNTAX;
    }
    if (v < 1 || v > (long long)UINT32_MAX)
        return IPSECVPN_ERR_CONFIG_RANGE;
    *out = (uint32_t)v;
    return IPSECVPN_OK;
}

/* ---- parse one field ---------------------------------------------------------------------- */

static void enum_choices(const char *kind, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "must be one of ");
    for (size_t i = 0; n < len; i++) {
        const char *name = ipsecvpn_enum_name(kind, i);
        if (!name)
            break;
        n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", name);
    }
}

static int bad_enum(const ivpn_field *fd, const char *kind, const char *text, const char *path,
                    const ivpn_field_ctx *fc)
{
    char rule[IVPN_REPORT_RULE_MAX + 1];
    (void)fd;
    if (strcmp(kind, "switch") == 0)
        snprintf(rule, sizeof(rule), "must be on or off (yes/no, true/false, enable/disable)");
    else
        enum_choices(kind, rule, sizeof(rule));
    return ivpn_find(fc->findings, IPSECVPN_ERR_CONFIG_SYNTAX, false, path, rule, text);
}

static void store_int(void *p, int v) { memcpy(p, &v, sizeof(v)); }
static int load_int(const void *p)
{
    int v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static int set_cidr_list(const ivpn_field *fd, uint8_t *obj, const char *text, const char *path,
                         const ivpn_field_ctx *fc)
{
    ivpn_cidr list[IVPN_CIDRS_MAX];
    size_t n = 0;
    const char *p = text;
    while (*p == ' ')
        p++;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len > 0 && p[len - 1] == ' ')
            len--;
        char item[IVPN_CIDR_TEXT_MAX + 1];
        if (len == 0 || len > IVPN_CIDR_TEXT_MAX)
            return ivpn_find(fc->findings, IPSECVPN_ERR_CONFIG_SYNTAX, false, path,
                             "must be a comma-separated list of address/prefix", text);
        memcpy(item, p, len);
        item[len] = '\0';
        if (n == IVPN_CIDRS_MAX)
            return ivpn_findf(fc->findings, IPSECVPN_ERR_CONFIG_LENGTH, false, path, text,
                              "must list at most %d CIDRs", IVPN_CIDRS_MAX);
        int rc = ivpn_cidr_parse(item, &list[n]);
        if (rc == IPSECVPN_ERR_CONFIG_RANGE)
            return ivpn_find(fc->findings, rc, false, path, "host bits must be zero", item);
        if (rc != IPSECVPN_OK)
            return ivpn_find(fc->findings, rc, false, path, "must be address/prefix", item);
        for (size_t k = 0; k < n; k++)
            if (list[k].prefix == list[n].prefix && ivpn_ip_equal(&list[k].ip, &list[n].ip))
                return ivpn_find(fc->findings, IPSECVPN_ERR_CONFIG_CONFLICT, false, path,
                                 "must not list a CIDR twice", item);
        n++;
        if (!end)
            break;
        p = end + 1;
        while (*p == ' ')
            p++;
        if (*p == '\0')
            return ivpn_find(fc->findings, IPSECVPN_ERR_CONFIG_SYNTAX, false, path,
                             "must be a comma-separated list of address/prefix", text);
    }
    memcpy(obj + fd->offset, list, n * sizeof(list[0]));
    memset(obj + fd->offset + n * sizeof(list[0]), 0, (IVPN_CIDRS_MAX - n) * sizeof(list[0]));
    obj[fd->aux] = (uint8_t)n;
    return IPSECVPN_OK;
}

int ivpn_field_set(const ivpn_field *fd, size_t base, void *values, const char *text,
                   const char *path, const ivpn_field_ctx *fc)
{
    uint8_t *obj = (uint8_t *)values + base;
    void *at = obj + fd->offset;
    ivpn_findings *f = fc->findings;
    const ivpn_enum_entry *e = NULL;
    int rc;

    switch (fd->type) {
    case IVPN_FT_TEXT:
        rc = ivpn_check_text(fd->text_rule, text, path, f);
        if (rc != IPSECVPN_OK)
            return rc;
        if (strlen(text) >= fd->size) /* cannot happen after the check; keeps memcpy safe */
            return ivpn_find(f, IPSECVPN_ERR_CONFIG_LENGTH, false, path, "is too long", text);
        memset(at, 0, fd->size);
        memcpy(at, text, strlen(text));
        return IPSECVPN_OK;
    case IVPN_FT_ENUM:
    case IVPN_FT_IANA:
    case IVPN_FT_ENCR:
    case IVPN_FT_VERSION:
    case IVPN_FT_ONOFF:
    case IVPN_FT_YESNO:
    case IVPN_FT_ADMIN:
    case IVPN_FT_PROTOCOL:
        e = ivpn_enum_lookup(fd->kind, text);
        if (!e)
            return bad_enum(fd, fd->kind, text, path, fc);
        break;
    case IVPN_FT_U32: {
        long long v;
        char rule[IVPN_REPORT_RULE_MAX + 1], digits[24];
        const char *number;
        ivpn_range_rule(fd, fc->profile, rule, sizeof(rule));
        rc = strip_seconds_unit(fd, text, &number, digits, sizeof(digits));
        if (rc != IPSECVPN_OK)
            return ivpn_find(f, rc, false, path,
                             "must be in seconds (kilobyte lifetimes are not supported)", text);
        if (!parse_number(number, &v))
            return ivpn_findf(f, IPSECVPN_ERR_CONFIG_SYNTAX, false, path, text,
                              "must be a whole number (%s)", rule + strlen("must be "));
        ivpn_range r = fd->range[ivpn_profile_valid(fc->profile) ? fc->profile : 0];
        if (v < (long long)r.min || v > (long long)r.max)
            return ivpn_find(f, IPSECVPN_ERR_CONFIG_RANGE, false, path, rule, text);
        uint32_t u = (uint32_t)v;
        memcpy(at, &u, sizeof(u));
        if (fd->aux)
            obj[fd->aux] = 1; /* the explicitly-set flag (a bool) */
        return IPSECVPN_OK;
    }
    case IVPN_FT_IP: {
        ivpn_ip ip;
        memset(&ip, 0, sizeof(ip));
        if (text[0] != '\0' && ivpn_ip_parse(text, &ip) != IPSECVPN_OK)
            return ivpn_find(f, IPSECVPN_ERR_CONFIG_SYNTAX, false, path,
                             "must be an IPv4 or IPv6 address", text);
        memcpy(at, &ip, sizeof(ip));
        return IPSECVPN_OK;
    }
    case IVPN_FT_CIDR: {
        ivpn_cidr c;
        memset(&c, 0, sizeof(c));
        if (text[0] != '\0') {
            rc = ivpn_cidr_parse(text, &c);
            if (rc == IPSECVPN_ERR_CONFIG_RANGE)
                return ivpn_find(f, rc, false, path, "host bits must be zero", text);
            if (rc != IPSECVPN_OK)
                return ivpn_find(f, rc, false, path, "must be address/prefix", text);
        }
        memcpy(at, &c, sizeof(c));
        return IPSECVPN_OK;
    }
    case IVPN_FT_CIDR_LIST:
        return set_cidr_list(fd, obj, text, path, fc);
    case IVPN_FT_IDENTITY: {
        ivpn_identity id;
        rc = ivpn_identity_parse(text, &id);
        if (rc == IPSECVPN_ERR_CONFIG_LENGTH)
            return ivpn_findf(f, rc, false, path, text, "must be at most %d characters",
                              IVPN_ID_MAX);
        if (rc != IPSECVPN_OK)
            return ivpn_find(f, rc, false, path,
                             "must be an IP address, FQDN, user@FQDN or @#hex key id", text);
        memcpy(at, &id, sizeof(id));
        return IPSECVPN_OK;
    }
    case IVPN_FT_PSK: {
        char key[IVPN_PSK_MAX + 1];
        if (text[0] == '\0') {
            rc = ivpn_psk_generate(fc->ctx, key);
            if (rc != IPSECVPN_OK)
                return ivpn_find(f, rc, false, path, "could not be generated (random source failed)",
                                 "\"\"");
        } else {
            rc = ivpn_psk_check(text, path, f);
            if (rc != IPSECVPN_OK)
                return rc;
            memcpy(key, text, strlen(text) + 1);
        }
        ivpn_wipe(at, fd->size);
        memcpy(at, key, strlen(key) + 1);
        ivpn_wipe(key, sizeof(key));
        return IPSECVPN_OK;
    }
    case IVPN_FT_ASN: {
        uint32_t asn = 0;
        rc = ivpn_asn_parse(text, &asn);
        if (rc == IPSECVPN_ERR_CONFIG_RANGE)
            return ivpn_find(f, rc, false, path,
                             "must be 1..4294967295 (asdot a.b: a, b 0..65535, not 0.0)", text);
        if (rc != IPSECVPN_OK)
            return ivpn_find(f, rc, false, path, "must be a number or asdot a.b", text);
        memcpy(at, &asn, sizeof(asn));
        return IPSECVPN_OK;
    }
    }

    switch (fd->type) {
    case IVPN_FT_ENUM:
        store_int(at, e->value);
        break;
    case IVPN_FT_IANA: {
        uint16_t id = (uint16_t)e->value;
        memcpy(at, &id, sizeof(id));
        break;
    }
    case IVPN_FT_ENCR: {
        ivpn_encr_choice ch = {(uint16_t)e->value, e->key_bits};
        memcpy(at, &ch, sizeof(ch));
        break;
    }
    case IVPN_FT_VERSION:
        store_int(at, e->value + 1);
        break;
    case IVPN_FT_ONOFF:
    case IVPN_FT_YESNO:
    case IVPN_FT_ADMIN: {
        bool b = fd->type == IVPN_FT_ADMIN ? e->value == 0 : e->value != 0;
        memcpy(at, &b, sizeof(b));
        break;
    }
    default:
        break; /* protocol: nothing stored */
    }
    return IPSECVPN_OK;
}

/* ---- format one field --------------------------------------------------------------------- */

static size_t put(char *buf, size_t len, const char *s)
{
    size_t n = strlen(s);
    if (n < len)
        memcpy(buf, s, n + 1);
    else if (len > 0)
        buf[0] = '\0';
    return n;
}

size_t ivpn_field_get(const ivpn_field *fd, size_t base, const void *values, char *buf,
                      size_t len)
{
    const uint8_t *obj = (const uint8_t *)values + base;
    const void *at = obj + fd->offset;
    char tmp[IVPN_FIELD_TEXT_MAX];
    size_t n;
    bool b;

    switch (fd->type) {
    case IVPN_FT_TEXT:
        return put(buf, len, (const char *)at);
    case IVPN_FT_PSK:
        return put(buf, len, (const char *)at);
    case IVPN_FT_ENUM:
        return put(buf, len, ivpn_enum_canonical(fd->kind, load_int(at), 0));
    case IVPN_FT_VERSION:
        return put(buf, len, ivpn_enum_canonical(fd->kind, load_int(at) - 1, 0));
    case IVPN_FT_IANA: {
        uint16_t id;
        memcpy(&id, at, sizeof(id));
        return put(buf, len, ivpn_enum_canonical(fd->kind, id, 0));
    }
    case IVPN_FT_ENCR: {
        ivpn_encr_choice ch;
        memcpy(&ch, at, sizeof(ch));
        return put(buf, len, ivpn_enum_canonical(fd->kind, ch.id, ch.key_bits));
    }
    case IVPN_FT_ONOFF:
        memcpy(&b, at, sizeof(b));
        return put(buf, len, b ? "on" : "off");
    case IVPN_FT_YESNO:
        memcpy(&b, at, sizeof(b));
        return put(buf, len, b ? "yes" : "no");
    case IVPN_FT_ADMIN:
        memcpy(&b, at, sizeof(b));
        return put(buf, len, b ? "up" : "down");
    case IVPN_FT_PROTOCOL:
        return put(buf, len, "esp");
    case IVPN_FT_U32:
    case IVPN_FT_ASN: {
        uint32_t u;
        memcpy(&u, at, sizeof(u));
        snprintf(tmp, sizeof(tmp), "%u", u);
        return put(buf, len, tmp);
    }
    case IVPN_FT_IP: {
        ivpn_ip ip;
        memcpy(&ip, at, sizeof(ip));
        ivpn_ip_format(&ip, tmp, sizeof(tmp));
        return put(buf, len, tmp);
    }
    case IVPN_FT_CIDR: {
        ivpn_cidr c;
        memcpy(&c, at, sizeof(c));
        ivpn_cidr_format(&c, tmp, sizeof(tmp));
        return put(buf, len, tmp);
    }
    case IVPN_FT_CIDR_LIST: {
        uint8_t count = obj[fd->aux];
        n = 0;
        tmp[0] = '\0';
        for (uint8_t i = 0; i < count && i < IVPN_CIDRS_MAX; i++) {
            ivpn_cidr c;
            memcpy(&c, (const uint8_t *)at + i * sizeof(c), sizeof(c));
            if (i)
                tmp[n++] = ',';
            n += ivpn_cidr_format(&c, tmp + n, sizeof(tmp) - n);
        }
        return put(buf, len, tmp);
    }
    case IVPN_FT_IDENTITY: {
        const ivpn_identity *id = at;
        return put(buf, len, id->text);
    }
    }
    return put(buf, len, "");
}

int ivpn_fields_get_text(ipsecvpn_object_kind kind, const void *values, const char *field,
                         char *buf, size_t buflen, size_t *needed)
{
    size_t base;
    const ivpn_field *fd = ivpn_field_find(kind, field, &base);
    if (!fd)
        return IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD;
    char tmp[IVPN_FIELD_TEXT_MAX];
    size_t n = ivpn_field_get(fd, base, values, tmp, sizeof(tmp));
    if (needed)
        *needed = n;
    int rc = IPSECVPN_OK;
    if (!buf || n >= buflen) {
        if (buf && buflen > 0)
            buf[0] = '\0';
        rc = IPSECVPN_ERR_BUFFER_TOO_SMALL;
    } else {
        memcpy(buf, tmp, n + 1);
    }
    if (fd->type == IVPN_FT_PSK)
        ivpn_wipe(tmp, sizeof(tmp));
    return rc;
}

int ivpn_fields_apply(ipsecvpn_object_kind kind, void *values, const char *const *fields,
                      const char *const *texts, size_t n, const ivpn_field_ctx *fc)
{
    char path[IVPN_REPORT_FIELD_MAX + 1];
    for (size_t i = 0; i < n && !ivpn_find_stop(fc->findings); i++) {
        const table_part *part;
        const ivpn_field *fd = find_part(kind, fields[i], &part);
        if (!fd) {
            ivpn_find(fc->findings, IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD, false, fields[i],
                      "must be a known field", fields[i]);
            continue;
        }
        /* report under the canonical path, with the prefix policies share with connections */
        snprintf(path, sizeof(path), "%s%s", report_prefix(kind, part), fd->path);
        ivpn_field_set(fd, part->base, values, texts[i], path, fc);
    }
    return fc->findings->first_error;
}

int ivpn_fields_check_ranges(ipsecvpn_object_kind kind, const void *values,
                             ipsecvpn_profile profile, ivpn_findings *f)
{
    size_t n;
    const table_part *parts = parts_of(kind, &n);
    char path[IVPN_REPORT_FIELD_MAX + 1], rule[IVPN_REPORT_RULE_MAX + 1], value[16];
    for (size_t p = 0; p < n; p++) {
        for (size_t i = 0; i < parts[p].count && !ivpn_find_stop(f); i++) {
            const ivpn_field *fd = &parts[p].fields[i];
            bool enumerated = fd->type == IVPN_FT_ENUM || fd->type == IVPN_FT_IANA ||
                              fd->type == IVPN_FT_ENCR || fd->type == IVPN_FT_VERSION;
            if (enumerated) {
                /* values written by other code than the parser must still be in the table */
                char name[32];
                if (ivpn_field_get(fd, parts[p].base, values, name, sizeof(name)) == 0) {
                    snprintf(path, sizeof(path), "%s%s", report_prefix(kind, &parts[p]),
                             fd->path);
                    enum_choices(fd->kind, rule, sizeof(rule));
                    ivpn_find(f, IPSECVPN_ERR_CONFIG_SYNTAX, false, path, rule, "(invalid)");
                }
                continue;
            }
            if (fd->type != IVPN_FT_U32)
                continue;
            uint32_t u;
            memcpy(&u, (const uint8_t *)values + parts[p].base + fd->offset, sizeof(u));
            ivpn_range r = fd->range[ivpn_profile_valid(profile) ? profile : 0];
            if (u >= r.min && u <= r.max)
                continue;
            snprintf(path, sizeof(path), "%s%s", report_prefix(kind, &parts[p]), fd->path);
            ivpn_range_rule(fd, profile, rule, sizeof(rule));
            snprintf(value, sizeof(value), "%u", u);
            ivpn_find(f, IPSECVPN_ERR_CONFIG_RANGE, false, path, rule, value);
        }
    }
    return f->first_error;
}
