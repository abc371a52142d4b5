/*
 * strongSwan swanctl.conf for the peer device (strongSwan 5.9 syntax).
 *
 * Values are written bare when they hold only characters the settings lexer reads as one
 * word, otherwise double-quoted with '"' and '\' escaped by a backslash (the lexer's string
 * state turns "\x" into "x"). The PSK is written in swanctl's 0x hex form when it contains a
 * quote or a backslash (no escaping to get wrong) or when it starts with "0x"/"0s" (swanctl
 * would read those as hex/base64 prefixes).
 */
#define _POSIX_C_SOURCE 200809L
#include <string.h>
#include <strings.h>

#include "config/export_internal.h"

static const ivpn_name_map encryption_names[] = {
    {"aes", "aes128"}, {"aes192", "aes192"}, {"aes256", "aes256"},
    {"des", "des"},    {"3des", "3des"},
    {"aes128gcm16", "aes128gcm16"}, {"aes256gcm16", "aes256gcm16"}, {NULL, NULL},
};
static const ivpn_name_map integrity_names[] = {
    {"md5", "md5"},       {"sha1", "sha1"},     {"sha256", "sha256"},
    {"sha384", "sha384"}, {"sha512", "sha512"}, {NULL, NULL},
};
static const ivpn_name_map group_names[] = {
    {"group1", "modp768"}, {"group2", "modp1024"}, {"group5", "modp1536"},
    {"group14", "modp2048"}, {"group19", "ecp256"}, {"group20", "ecp384"},
    {"group21", "ecp521"},  {"group31", "curve25519"}, {NULL, NULL},
};
/* With an AEAD (RFC 5282) IKE names the PRF explicitly ("prfsha256": strongSwan cannot derive
 * it from an integrity algorithm there is none of) and ESP has no integrity algorithm. */
static const ivpn_name_map prf_names[] = {
    {"md5", "prfmd5"},       {"sha1", "prfsha1"},     {"sha256", "prfsha256"},
    {"sha384", "prfsha384"}, {"sha512", "prfsha512"}, {NULL, NULL},
};

static bool is_aead(const char *canonical) { return strstr(canonical, "gcm") != NULL; }
/* Our DPD action, and what the peer's CHILD_SA does when it declares us dead. */
static const ivpn_name_map dpd_action_names[] = {
    {"hold", "trap"},       {"restart", "restart"},         {"clear", "clear"},
    {"disabled", "clear"},  {"restart-by-peer", "restart"}, {NULL, NULL},
};

#define BARE_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:/@,+*"

static void write_value(ivpn_writer *w, const char *s)
{
    if (*s && s[strspn(s, BARE_CHARS)] == '\0') {
        ivpn_w_str(w, s);
        return;
    }
    ivpn_w_char(w, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            ivpn_w_char(w, '\\');
        ivpn_w_char(w, *s);
    }
    ivpn_w_char(w, '"');
}

static void write_key(ivpn_writer *w, unsigned indent, const char *key)
{
    ivpn_w_indent(w, indent);
    ivpn_w_str(w, key);
    ivpn_w_str(w, " = ");
}

static void write_line(ivpn_writer *w, unsigned indent, const char *key, const char *value)
{
    write_key(w, indent, key);
    write_value(w, value);
    ivpn_w_char(w, '\n');
}

static void write_seconds(ivpn_writer *w, unsigned indent, const char *key, uint32_t s)
{
    write_key(w, indent, key);
    ivpn_w_fmt(w, "%lus\n", (unsigned long)s);
}

/* strongSwan reads "@#hex" as a key id and guesses addresses, FQDNs and e-mail addresses;
 * an e-mail local part may hold '=', which would make it try a DN first: say what it is. */
static void write_id(ivpn_writer *w, unsigned indent, const char *key, const char *id)
{
    write_key(w, indent, key);
    if (ivpn_export_id_class(id) == IVPN_XID_EMAIL && strchr(id, '=')) {
        char tagged[IVPN_ID_MAX + 8] = "email:";
        strncat(tagged, id, sizeof(tagged) - strlen(tagged) - 1);
        write_value(w, tagged);
    } else {
        write_value(w, id);
    }
    ivpn_w_char(w, '\n');
}

static void write_psk(ivpn_writer *w, unsigned indent, const char *psk)
{
    write_key(w, indent, "secret");
    if (strpbrk(psk, "\"\\") || strncasecmp(psk, "0x", 2) == 0 || strncasecmp(psk, "0s", 2) == 0) {
        ivpn_w_str(w, "0x");
        ivpn_w_hex(w, psk, strlen(psk));
    } else {
        ivpn_w_char(w, '"');
        ivpn_w_str(w, psk);
        ivpn_w_char(w, '"');
    }
    ivpn_w_char(w, '\n');
}

/* "aes256-sha256-modp2048"; integ (AEAD ESP) and group (no DH) may be NULL. */
static void write_proposal(ivpn_writer *w, unsigned indent, const char *key, const char *encr,
                           const char *integ, const char *group)
{
    write_key(w, indent, key);
    ivpn_w_str(w, encr);
    if (integ) {
        ivpn_w_char(w, '-');
        ivpn_w_str(w, integ);
    }
    if (group) {
        ivpn_w_char(w, '-');
        ivpn_w_str(w, group);
    }
    ivpn_w_char(w, '\n');
}

/* A comma-separated list without spaces, as swanctl takes it. */
static void write_list(ivpn_writer *w, unsigned indent, const char *key, const char *list)
{
    write_key(w, indent, key);
    for (const char *p = list; *p; p++)
        if (*p != ' ')
            ivpn_w_char(w, *p);
    ivpn_w_char(w, '\n');
}

/* The section name: the connection's name reduced to characters safe everywhere. */
static void write_conn_name(ivpn_writer *w, const ivpn_export_view *v)
{
    if (!v->name[0]) {
        ivpn_w_str(w, "ipsecvpn");
        return;
    }
    for (const char *p = v->name; *p; p++) {
        char ch = *p;
        ivpn_w_char(w, strchr(BARE_CHARS, ch) && ch != ':' && ch != '/' && ch != '@' &&
                               ch != ',' && ch != '+' && ch != '*' ? ch : '_');
    }
}

/*
 * Lifetimes: the SA lives `lifetime` seconds as here; the peer rekeys 10% earlier so it
 * rekeys before the hard limit. 0 means no limit: rekeying is switched off.
 */
static void write_ike_lifetime(ivpn_writer *w, uint32_t lifetime)
{
    uint32_t margin = lifetime / 10;
    write_seconds(w, 8, "rekey_time", lifetime - margin);
    if (lifetime)
        write_seconds(w, 8, "over_time", margin);
}

static void write_child_lifetime(ivpn_writer *w, uint32_t lifetime)
{
    write_seconds(w, 16, "rekey_time", lifetime - lifetime / 10);
    if (lifetime)
        write_seconds(w, 16, "life_time", lifetime);
}

int ivpn_export_swanctl(const ipsecvpn_connection *c, const ivpn_export_view *v, ivpn_writer *w)
{
    const char *ike_encr = ivpn_export_map(encryption_names, v->ike_encryption);
    const char *ike_integ = ivpn_export_map(is_aead(v->ike_encryption) ? prf_names
                                                                       : integrity_names,
                                            v->ike_integrity);
    const char *ike_group = ivpn_export_map(group_names, v->ike_dh_group);
    const char *esp_encr = ivpn_export_map(encryption_names, v->esp_encryption);
    const char *esp_integ = ivpn_export_map(integrity_names, v->esp_integrity);
    const char *pfs = ivpn_export_map(group_names, v->pfs);
    const char *dpd_action = ivpn_export_map(dpd_action_names, v->dpd_action);
    if (!ike_encr || !ike_integ || !ike_group || !esp_encr || !esp_integ ||
        (!pfs && strcmp(v->pfs, "disabled") != 0) || (v->dpd && !dpd_action)) {
        IVPN_LOG_WARN(c->ctx, "export: an algorithm or action has no swanctl spelling");
        return IPSECVPN_ERR_UNSUPPORTED;
    }

    ivpn_w_str(w, "# strongSwan swanctl.conf for the peer of connection \"");
    write_conn_name(w, v);
    ivpn_w_str(w, "\" (written by libipsecvpn)\n");
    ivpn_export_notes(v, w);
    ivpn_w_str(w, "connections {\n    ");
    write_conn_name(w, v);
    ivpn_w_str(w, " {\n");
    write_key(w, 8, "version");
    ivpn_w_fmt(w, "%d\n", v->ike_version);
    if (v->aggressive)
        write_line(w, 8, "aggressive", "yes");
    write_line(w, 8, "local_addrs", v->local_addr);
    write_line(w, 8, "remote_addrs", v->remote_addr);
    write_proposal(w, 8, "proposals", ike_encr, ike_integ, ike_group);
    write_ike_lifetime(w, v->ike_lifetime);
    if (v->dpd) {
        write_seconds(w, 8, "dpd_delay", v->dpd_interval);
        write_seconds(w, 8, "dpd_timeout", v->dpd_timeout);
    }
    write_line(w, 8, "encap", v->nat_traversal ? "yes" : "no");
    write_line(w, 8, "mobike", "no");

    ivpn_w_str(w, "        local {\n");
    write_line(w, 12, "auth", "psk");
    write_id(w, 12, "id", v->local_id);
    ivpn_w_str(w, "        }\n        remote {\n");
    write_line(w, 12, "auth", "psk");
    write_id(w, 12, "id", v->remote_id);
    ivpn_w_str(w, "        }\n        children {\n            ");
    write_conn_name(w, v);
    ivpn_w_str(w, " {\n");
    write_list(w, 16, "local_ts", v->local_ts);
    write_list(w, 16, "remote_ts", v->remote_ts);
    write_proposal(w, 16, "esp_proposals", esp_encr, is_aead(v->esp_encryption) ? NULL : esp_integ,
                   pfs);
    write_line(w, 16, "mode", v->transport ? "transport" : "tunnel");
    write_child_lifetime(w, v->esp_lifetime);
    static const char *const start_actions[] = {"trap", "start", "none"};
    write_line(w, 16, "start_action", start_actions[ivpn_export_peer_start(v)]);
    if (v->dpd)
        write_line(w, 16, "dpd_action", dpd_action);
    ivpn_w_str(w, "            }\n        }\n    }\n}\n");

    ivpn_w_str(w, "secrets {\n    ike-");
    write_conn_name(w, v);
    ivpn_w_str(w, " {\n");
    write_id(w, 8, "id-1", v->local_id);
    write_id(w, 8, "id-2", v->remote_id);
    write_psk(w, 8, v->psk);
    ivpn_w_str(w, "    }\n}\n");
    return IPSECVPN_OK;
}
