/*
 * libreswan ipsec.conf for the peer device (libreswan 4 syntax), followed by the
 * ipsec.secrets line as a comment block (config.h). "left" is the peer device.
 *
 * libreswan resolves a bare name in leftid via DNS, so an FQDN identity is written "@fqdn";
 * key ids keep their "@#hex" spelling, which libreswan reads the same way. ipsec.secrets has
 * no escapes inside quotes: a PSK holding '"' or '\', or starting with 0x/0s (libreswan's
 * hex/base64 prefixes), is written in the 0x hex form.
 */
#define _POSIX_C_SOURCE 200809L
#include <string.h>
#include <strings.h>

#include "config/export_internal.h"

static const ivpn_name_map encryption_names[] = {
    {"aes", "aes128"}, {"aes192", "aes192"}, {"aes256", "aes256"},
    {"des", "des"},    {"3des", "3des"},
    {"aes128gcm16", "aes_gcm128"}, {"aes256gcm16", "aes_gcm256"}, {NULL, NULL},
};
static const ivpn_name_map integrity_names[] = {
    {"md5", "md5"},         {"sha1", "sha1"},       {"sha256", "sha2_256"},
    {"sha384", "sha2_384"}, {"sha512", "sha2_512"}, {NULL, NULL},
};
static const ivpn_name_map group_names[] = {
    {"group1", "modp768"}, {"group2", "modp1024"}, {"group5", "modp1536"},
    {"group14", "modp2048"}, {"group19", "dh19"}, {"group20", "dh20"},
    {"group21", "dh21"},     {"group31", "dh31"}, {NULL, NULL},
};

/* With an AEAD the IKE "integrity" libreswan reads is the PRF (ike=aes_gcm128-sha2_256;dh31),
 * and ESP has none: esp=aes_gcm256 alone. */
static bool is_aead(const char *canonical) { return strstr(canonical, "gcm") != NULL; }
static const ivpn_name_map dpd_action_names[] = {
    {"hold", "hold"},       {"restart", "restart"},         {"clear", "clear"},
    {"disabled", "clear"},  {"restart-by-peer", "restart"}, {NULL, NULL},
};

static void write_id(ivpn_writer *w, const char *id)
{
    if (ivpn_export_id_class(id) == IVPN_XID_FQDN)
        ivpn_w_char(w, '@');
    bool quote = strpbrk(id, " \t\"#=") != NULL;
    if (quote)
        ivpn_w_char(w, '"');
    ivpn_w_str(w, id);
    if (quote)
        ivpn_w_char(w, '"');
}

static void write_kv(ivpn_writer *w, const char *key, const char *value)
{
    ivpn_w_str(w, "    ");
    ivpn_w_str(w, key);
    ivpn_w_char(w, '=');
    ivpn_w_str(w, value);
    ivpn_w_char(w, '\n');
}

/* One subnet: leftsubnet=a; several: leftsubnets={a b} (libreswan's list form). */
static void write_subnets(ivpn_writer *w, const char *side, const char *list)
{
    bool many = strchr(list, ',') != NULL;
    ivpn_w_str(w, "    ");
    ivpn_w_str(w, side);
    ivpn_w_str(w, many ? "subnets={" : "subnet=");
    for (const char *p = list; *p; p++) {
        if (*p == ',')
            ivpn_w_char(w, ' ');
        else if (*p != ' ')
            ivpn_w_char(w, *p);
    }
    ivpn_w_str(w, many ? "}\n" : "\n");
}

static void write_conn_name(ivpn_writer *w, const ivpn_export_view *v)
{
    if (!v->name[0]) {
        ivpn_w_str(w, "ipsecvpn");
        return;
    }
    for (const char *p = v->name; *p; p++) {
        char ch = *p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
        ivpn_w_char(w, ok ? ch : '_');
    }
}

static void write_psk(ivpn_writer *w, const char *psk)
{
    if (strpbrk(psk, "\"\\") || strncasecmp(psk, "0x", 2) == 0 || strncasecmp(psk, "0s", 2) == 0) {
        ivpn_w_str(w, "0x");
        ivpn_w_hex(w, psk, strlen(psk));
    } else {
        ivpn_w_char(w, '"');
        ivpn_w_str(w, psk);
        ivpn_w_char(w, '"');
    }
}

int ivpn_export_libreswan(const ipsecvpn_connection *c, const ivpn_export_view *v,
                          ivpn_writer *w)
{
    const char *ike_encr = ivpn_export_map(encryption_names, v->ike_encryption);
    const char *ike_integ = ivpn_export_map(integrity_names, v->ike_integrity);
    const char *ike_group = ivpn_export_map(group_names, v->ike_dh_group);
    const char *esp_encr = ivpn_export_map(encryption_names, v->esp_encryption);
    const char *esp_integ = ivpn_export_map(integrity_names, v->esp_integrity);
    const char *pfs = ivpn_export_map(group_names, v->pfs);
    const char *dpd_action = ivpn_export_map(dpd_action_names, v->dpd_action);
    if (!ike_encr || !ike_integ || !ike_group || !esp_encr || !esp_integ ||
        (!pfs && strcmp(v->pfs, "disabled") != 0) || (v->dpd && !dpd_action)) {
        IVPN_LOG_WARN(c->ctx, "export: an algorithm or action has no libreswan spelling");
        return IPSECVPN_ERR_UNSUPPORTED;
    }

    ivpn_w_str(w, "# libreswan ipsec.conf for the peer of connection \"");
    write_conn_name(w, v);
    ivpn_w_str(w, "\" (written by libipsecvpn)\n");
    ivpn_export_notes(v, w);
    ivpn_w_str(w, "conn ");
    write_conn_name(w, v);
    ivpn_w_char(w, '\n');
    write_kv(w, "ikev2", v->ike_version == 2 ? "yes" : "no");
    if (v->aggressive)
        write_kv(w, "aggressive", "yes");
    write_kv(w, "authby", "secret");
    write_kv(w, "type", v->transport ? "transport" : "tunnel");
    write_kv(w, "left", v->local_addr);
    ivpn_w_str(w, "    leftid=");
    write_id(w, v->local_id);
    ivpn_w_char(w, '\n');
    write_subnets(w, "left", v->local_ts);
    write_kv(w, "right", v->remote_addr);
    ivpn_w_str(w, "    rightid=");
    write_id(w, v->remote_id);
    ivpn_w_char(w, '\n');
    write_subnets(w, "right", v->remote_ts);
    ivpn_w_fmt(w, "    ike=%s-%s;%s\n", ike_encr, ike_integ, ike_group);
    ivpn_w_fmt(w, "    esp=%s", esp_encr);
    if (!is_aead(v->esp_encryption))
        ivpn_w_fmt(w, "-%s", esp_integ);
    if (pfs)
        ivpn_w_fmt(w, ";%s\n    pfs=yes\n", pfs);
    else
        ivpn_w_str(w, "\n    pfs=no\n");
    /* libreswan has no "never expire": lifetime 0 keeps its defaults */
    if (v->ike_lifetime)
        ivpn_w_fmt(w, "    ikelifetime=%lus\n", (unsigned long)v->ike_lifetime);
    if (v->esp_lifetime)
        ivpn_w_fmt(w, "    salifetime=%lus\n", (unsigned long)v->esp_lifetime);
    if (v->dpd) {
        ivpn_w_fmt(w, "    dpddelay=%lu\n    dpdtimeout=%lu\n", (unsigned long)v->dpd_interval,
                   (unsigned long)v->dpd_timeout);
        write_kv(w, "dpdaction", dpd_action);
    }
    write_kv(w, "encapsulation", v->nat_traversal ? "yes" : "no");
    /* route: on the first packet; start: on load; add: load only (ivpn_export_peer_start) */
    static const char *const autos[] = {"route", "start", "add"};
    write_kv(w, "auto", autos[ivpn_export_peer_start(v)]);

    ivpn_w_str(w, "\n# ipsec.secrets:\n# ");
    write_id(w, v->local_id);
    ivpn_w_char(w, ' ');
    write_id(w, v->remote_id);
    ivpn_w_str(w, " : PSK ");
    write_psk(w, v->psk);
    ivpn_w_char(w, '\n');
    return IPSECVPN_OK;
}
