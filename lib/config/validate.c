/*
 * Rules of SPEC §1 that a single value's parser cannot see: the profile's ranges, the rules
 * across fields, and required fields. Each rule reports "field: rule, got value".
 */
#include "config/validate.h"

#include <stdio.h>
#include <string.h>

#include "config/addr.h"
#include "config/enums.h"
#include "config/psk.h"

/* ---- text --------------------------------------------------------------------------------- */

/* Decode one UTF-8 sequence at s; returns its length or 0 if malformed. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n;
    uint32_t min;
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2;
        min = 0x80;
        *cp = s[0] & 0x1Fu;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3;
        min = 0x800;
        *cp = s[0] & 0x0Fu;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4;
        min = 0x10000;
        *cp = s[0] & 0x07u;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0; /* also stops at the NUL */
        *cp = (*cp << 6) | (s[i] & 0x3Fu);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return n;
}

long ivpn_utf8_length(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    long count = 0;
    while (*s) {
        uint32_t cp;
        size_t n = utf8_next(s, &cp);
        if (n == 0)
            return -1;
        s += n;
        count++;
    }
    return count;
}

/* C0, DEL and C1 controls: they would break every exported file and log line. */
static bool has_control(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    while (*s) {
        uint32_t cp;
        size_t n = utf8_next(s, &cp);
        if (n == 0 || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
            return true;
        s += n;
    }
    return false;
}

static bool starts_with_ci(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++) {
        char c = *s;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != *prefix)
            return false;
    }
    return true;
}

int ivpn_check_text(ivpn_text_rule rule, const char *text, const char *field, ivpn_findings *f)
{
    long chars = ivpn_utf8_length(text);
    if (rule == IVPN_TEXT_REF) {
        for (const unsigned char *s = (const unsigned char *)text; *s; s++)
            if (*s <= 0x20 || *s >= 0x7F)
                return ivpn_find(f, IPSECVPN_ERR_CONFIG_CHARSET, false, field,
                                 "must use printable ASCII characters without spaces", text);
        if (chars > IVPN_REF_MAX)
            return ivpn_findf(f, IPSECVPN_ERR_CONFIG_LENGTH, false, field, text,
                              "must be 0..%d characters", IVPN_REF_MAX);
        return IPSECVPN_OK;
    }
    if (chars < 0)
        return ivpn_find(f, IPSECVPN_ERR_CONFIG_CHARSET, false, field, "must be valid UTF-8",
                         text);
    if (has_control(text))
        return ivpn_find(f, IPSECVPN_ERR_CONFIG_CHARSET, false, field,
                         "must not contain control characters", text);
    if (rule == IVPN_TEXT_NAME) {
        if (chars < 1 || chars > IVPN_NAME_MAX)
            return ivpn_findf(f, IPSECVPN_ERR_CONFIG_LENGTH, false, field, text,
                              "must be 1..%d characters", IVPN_NAME_MAX);
        if (starts_with_ci(text, "http://") || starts_with_ci(text, "https://"))
            return ivpn_find(f, IPSECVPN_ERR_CONFIG_SYNTAX, false, field,
                             "must not start with http:// or https://", text);
        return IPSECVPN_OK;
    }
    if (chars > IVPN_DESC_MAX)
        return ivpn_findf(f, IPSECVPN_ERR_CONFIG_LENGTH, false, field, text,
                          "must be 0..%d characters", IVPN_DESC_MAX);
    return IPSECVPN_OK;
}

/* ---- IKE and IPsec policies --------------------------------------------------------------- */

size_t ivpn_identity_max(ipsecvpn_profile profile)
{
    return profile == IPSECVPN_PROFILE_OPENSTACK ? IVPN_ID_MAX : 100;
}

static void check_identity(const ivpn_identity *id, const char *field, const ivpn_ike_values *v,
                           ipsecvpn_profile profile, ivpn_findings *f)
{
    size_t max = ivpn_identity_max(profile);
    if (strlen(id->text) > max)
        ivpn_findf(f, IPSECVPN_ERR_CONFIG_LENGTH, false, field, id->text,
                   "must be at most %zu characters", max);
    bool named = id->type == IVPN_ID_FQDN || id->type == IVPN_ID_RFC822 ||
                 id->type == IVPN_ID_KEY_ID;
    /* IKEv1 main mode authenticates the PSK before identities are exchanged, so the responder
     * must pick the key by IP address: a name only works in aggressive mode. */
    if (named && v->version == IVPN_IKEV1 && v->mode == IVPN_MODE_MAIN)
        ivpn_find(f, 0, true, field, "an FQDN identity with IKEv1 should use aggressive mode",
                  id->text);
}

static void ike_rules(const ivpn_ike_values *v, ipsecvpn_profile profile, ivpn_findings *f)
{
    if (!ivpn_find_stop(f))
        check_identity(&v->local_id, "ike.local_id", v, profile, f);
    if (!ivpn_find_stop(f))
        check_identity(&v->remote_id, "ike.remote_id", v, profile, f);
    /* RFC 5282 defines AEAD for the IKEv2 SK payload only; IKEv1 phase 1 has no AEAD form. */
    if (v->encryption.id == IPSECVPN_ENCR_AES_GCM_16 && v->version == IVPN_IKEV1 &&
        !ivpn_find_stop(f))
        ivpn_find(f, IPSECVPN_ERR_CONFIG_CONFLICT, false, "ike.encryption",
                  "an AEAD cipher needs ike.version ikev2",
                  ivpn_enum_canonical("encryption", v->encryption.id, v->encryption.key_bits));
}

int ivpn_validate_ike(const ivpn_ike_values *v, ipsecvpn_profile profile, ivpn_findings *f)
{
    ivpn_fields_check_ranges(IPSECVPN_OBJECT_IKE_POLICY, v, profile, f);
    ike_rules(v, profile, f);
    return f->first_error;
}

int ivpn_validate_ipsec(const ivpn_ipsec_values *v, ipsecvpn_profile profile, ivpn_findings *f)
{
    ivpn_fields_check_ranges(IPSECVPN_OBJECT_IPSEC_POLICY, v, profile, f);
    return f->first_error;
}

/* ---- connection --------------------------------------------------------------------------- */

static const char *family_name(int family) { return family == 6 ? "IPv6" : "IPv4"; }

static void require_ip(const ivpn_ip *ip, const char *field, const char *rule, ivpn_findings *f)
{
    if (ip->family == 0 && !ivpn_find_stop(f))
        ivpn_find(f, IPSECVPN_ERR_CONFIG_REQUIRED, false, field, rule, "\"\"");
}

/* local_address, peer_address and every CIDR must be of one IP version. */
static void check_families(const ivpn_connection_values *v, ivpn_findings *f)
{
    const char *ref_field = v->local_address.family ? "local_address" : "peer_address";
    int ref = v->local_address.family ? v->local_address.family : v->peer_address.family;
    char text[IVPN_CIDR_TEXT_MAX];
    if (ref == 0) {
        /* no address yet: the CIDRs must still agree among themselves */
        ref_field = v->n_local_cidrs ? "local_cidrs" : "remote_cidrs";
        ref = v->n_local_cidrs ? v->local_cidrs[0].ip.family
                               : (v->n_remote_cidrs ? v->remote_cidrs[0].ip.family : 0);
        if (ref == 0)
            return;
    }
    if (v->peer_address.family && v->peer_address.family != ref && !ivpn_find_stop(f)) {
        ivpn_ip_format(&v->peer_address, text, sizeof(text));
        ivpn_findf(f, IPSECVPN_ERR_CONFIG_FAMILY, false, "peer_address", text,
                   "must be the same IP version as %s (%s)", ref_field, family_name(ref));
    }
    const struct {
        const char *field;
        const ivpn_cidr *list;
        uint8_t n;
    } sides[] = {{"local_cidrs", v->local_cidrs, v->n_local_cidrs},
                 {"remote_cidrs", v->remote_cidrs, v->n_remote_cidrs}};
    for (size_t s = 0; s < 2; s++) {
        for (uint8_t i = 0; i < sides[s].n && i < IVPN_CIDRS_MAX && !ivpn_find_stop(f); i++) {
            if (sides[s].list[i].ip.family == ref)
                continue;
            ivpn_cidr_format(&sides[s].list[i], text, sizeof(text));
            ivpn_findf(f, IPSECVPN_ERR_CONFIG_FAMILY, false, sides[s].field, text,
                       "must be the same IP version as %s (%s)", ref_field, family_name(ref));
            break; /* one finding per list */
        }
    }
}

static void check_mtu(const ivpn_connection_values *v, ivpn_findings *f)
{
    int fam = v->local_address.family ? v->local_address.family : v->peer_address.family;
    uint32_t min = fam == 6 ? 1280 : 68;
    char value[16];
    if ((v->mtu < min || v->mtu > 65535) && !ivpn_find_stop(f)) {
        snprintf(value, sizeof(value), "%u", v->mtu);
        ivpn_findf(f, IPSECVPN_ERR_CONFIG_RANGE, false, "mtu", value, "must be %u..65535 for %s",
                   min, family_name(fam));
    }
}

static void list_text(const ivpn_cidr *list, uint8_t n, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (uint8_t i = 0; i < n && used + IVPN_CIDR_TEXT_MAX + 1 < len; i++) {
        if (i)
            buf[used++] = ',';
        used += ivpn_cidr_format(&list[i], buf + used, len - used);
    }
}

static void check_flows(const ivpn_connection_values *v, ivpn_findings *f)
{
    char text[IVPN_REPORT_VALUE_MAX + IVPN_CIDR_TEXT_MAX + 2];
    if (v->routing_mode != IVPN_ROUTING_PROTECTED_FLOWS)
        return;
    if (v->n_local_cidrs == 0 && !ivpn_find_stop(f))
        ivpn_find(f, IPSECVPN_ERR_CONFIG_REQUIRED, false, "local_cidrs",
                  "must list at least one CIDR with routing_mode protected-flows", "\"\"");
    if (v->n_remote_cidrs == 0 && !ivpn_find_stop(f))
        ivpn_find(f, IPSECVPN_ERR_CONFIG_REQUIRED, false, "remote_cidrs",
                  "must list at least one CIDR with routing_mode protected-flows", "\"\"");
    if (v->ike.version == IVPN_IKEV2)
        return;
    if (v->n_local_cidrs > 1 && !ivpn_find_stop(f)) {
        list_text(v->local_cidrs, v->n_local_cidrs, text, sizeof(text));
        ivpn_find(f, IPSECVPN_ERR_CONFIG_CONFLICT, false, "local_cidrs",
                  "must list one CIDR with ikev1 (more need ike.version ikev2)", text);
    }
    if (v->n_remote_cidrs > 1 && !ivpn_find_stop(f)) {
        list_text(v->remote_cidrs, v->n_remote_cidrs, text, sizeof(text));
        ivpn_find(f, IPSECVPN_ERR_CONFIG_CONFLICT, false, "remote_cidrs",
                  "must list one CIDR with ikev1 (more need ike.version ikev2)", text);
    }
}

/* OpenStack has no DPD switch and checks timeout > interval whatever the action; the cloud
 * product only when DPD is in use. Strict applies the stricter (OpenStack) rule. */
static void check_dpd(const ivpn_connection_values *v, ipsecvpn_profile profile,
                      ivpn_findings *f)
{
    char value[16];
    bool in_use = v->dpd.enabled && v->dpd.action != IVPN_DPD_DISABLED;
    if ((!in_use && profile == IPSECVPN_PROFILE_CLOUD) || ivpn_find_stop(f))
        return;
    if (v->dpd.timeout <= v->dpd.interval) {
        snprintf(value, sizeof(value), "%u", v->dpd.timeout);
        ivpn_findf(f, IPSECVPN_ERR_CONFIG_CONFLICT, false, "dpd.timeout", value,
                   "must be greater than dpd.interval (%u)", v->dpd.interval);
    }
}

/* 169.254.0.0/16: the link-local block BGP tunnel addresses come from. */
static const ivpn_cidr link_local = {{4, {169, 254}}, 16};

static void check_bgp(const ivpn_connection_values *v, ivpn_findings *f)
{
    const ivpn_bgp *b = &v->bgp;
    char text[IVPN_CIDR_TEXT_MAX], net[IVPN_CIDR_TEXT_MAX];
    bool cidr_ok = false;
    if (b->enabled) {
        require_ip(&b->tunnel_cidr.ip, "bgp.tunnel_cidr", "is required when bgp.enabled is on", f);
        require_ip(&b->local_ip, "bgp.local_ip", "is required when bgp.enabled is on", f);
    }
    if (b->tunnel_cidr.ip.family && !ivpn_find_stop(f)) {
        if (b->tunnel_cidr.prefix != 30 || !ivpn_cidr_contains(&link_local, &b->tunnel_cidr.ip)) {
            ivpn_cidr_format(&b->tunnel_cidr, text, sizeof(text));
            ivpn_find(f, IPSECVPN_ERR_CONFIG_RANGE, false, "bgp.tunnel_cidr",
                      "must be a /30 inside 169.254.0.0/16", text);
        } else {
            cidr_ok = true;
        }
    }
    if (b->local_ip.family && cidr_ok && !ivpn_find_stop(f)) {
        ivpn_ip first, last;
        ivpn_cidr_first(&b->tunnel_cidr, &first);
        ivpn_cidr_last(&b->tunnel_cidr, &last);
        if (!ivpn_cidr_contains(&b->tunnel_cidr, &b->local_ip) ||
            ivpn_ip_equal(&b->local_ip, &first) || ivpn_ip_equal(&b->local_ip, &last)) {
            ivpn_ip_format(&b->local_ip, text, sizeof(text));
            ivpn_cidr_format(&b->tunnel_cidr, net, sizeof(net));
            ivpn_findf(f, IPSECVPN_ERR_CONFIG_RANGE, false, "bgp.local_ip", text,
                       "must be a usable host address of bgp.tunnel_cidr %s", net);
        }
    } else if (b->local_ip.family && !b->tunnel_cidr.ip.family && !ivpn_find_stop(f)) {
        ivpn_ip_format(&b->local_ip, text, sizeof(text));
        ivpn_find(f, IPSECVPN_ERR_CONFIG_REQUIRED, false, "bgp.tunnel_cidr",
                  "is required when bgp.local_ip is set", "\"\"");
    }
    if (b->local_asn == 0 && !ivpn_find_stop(f))
        ivpn_find(f, IPSECVPN_ERR_CONFIG_RANGE, false, "bgp.local_asn",
                  "must be 1..4294967295 (asdot a.b: a, b 0..65535, not 0.0)", "0");
}

static void check_health(const ivpn_connection_values *v, ivpn_findings *f)
{
    const ivpn_health_check *h = &v->health_check;
    char text[IVPN_IP_TEXT_MAX];
    if (h->enabled) {
        require_ip(&h->destination_ip, "health_check.destination_ip",
                   "is required when health_check.enabled is on", f);
        require_ip(&h->source_ip, "health_check.source_ip",
                   "is required when health_check.enabled is on", f);
    }
    if (h->destination_ip.family && h->source_ip.family &&
        h->destination_ip.family != h->source_ip.family && !ivpn_find_stop(f)) {
        ivpn_ip_format(&h->source_ip, text, sizeof(text));
        ivpn_findf(f, IPSECVPN_ERR_CONFIG_FAMILY, false, "health_check.source_ip", text,
                   "must be the same IP version as health_check.destination_ip (%s)",
                   family_name(h->destination_ip.family));
    }
}

int ivpn_validate_connection(const ivpn_connection_values *v, ipsecvpn_profile profile,
                             bool require_addresses, ivpn_findings *f)
{
    if (require_addresses) {
        require_ip(&v->local_address, "local_address", "is required", f);
        require_ip(&v->peer_address, "peer_address", "is required", f);
    }
    ivpn_fields_check_ranges(IPSECVPN_OBJECT_CONNECTION, v, profile, f);
    if (!ivpn_find_stop(f) && v->psk[0] != '\0')
        ivpn_psk_check(v->psk, "psk", f);
    if (!ivpn_find_stop(f))
        check_families(v, f);
    check_mtu(v, f);
    check_flows(v, f);
    check_dpd(v, profile, f);
    check_bgp(v, f);
    check_health(v, f);
    if (!ivpn_find_stop(f))
        ike_rules(&v->ike, profile, f);
    return f->first_error;
}
