/*
 * The cloud API's connection config JSON, written from the peer (on-premises) device's view:
 * Local/LocalId/LocalSubnet are the device's own. Subnet lists are comma-separated strings,
 * lifetimes numbers, everything else strings in the canonical spellings. BgpConfig and
 * HealthCheckConfig appear only when those features are on (import ignores them).
 *
 * Written with the shared counting writer rather than cJSON's printer: that keeps the PSK out
 * of allocator blocks nobody wipes, and the two-pass size rule identical for every format.
 * Import (import_json.c) parses with cJSON, so builds without cJSON offer neither direction
 * (the dispatch refuses the format).
 */
#include <string.h>

#include "config/export_internal.h"

static void write_string(ivpn_writer *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    ivpn_w_char(w, '"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            ivpn_w_char(w, '\\');
            ivpn_w_char(w, (char)ch);
        } else if (ch < 0x20 || ch == 0x7f) {
            ivpn_w_str(w, "\\u00");
            ivpn_w_char(w, hex[ch >> 4]);
            ivpn_w_char(w, hex[ch & 15]);
        } else {
            ivpn_w_char(w, (char)ch);
        }
    }
    ivpn_w_char(w, '"');
}

static void write_member(ivpn_writer *w, unsigned indent, const char *key, const char *value,
                         bool last)
{
    ivpn_w_indent(w, indent);
    write_string(w, key);
    ivpn_w_str(w, ": ");
    write_string(w, value);
    ivpn_w_str(w, last ? "\n" : ",\n");
}

static void write_number(ivpn_writer *w, unsigned indent, const char *key, uint32_t value,
                         bool last)
{
    ivpn_w_indent(w, indent);
    write_string(w, key);
    ivpn_w_fmt(w, ": %lu%s\n", (unsigned long)value, last ? "" : ",");
}

/* Subnets as the cloud API writes them: "a,b" without spaces. */
static void write_list(ivpn_writer *w, const char *key, const char *list)
{
    char compact[IVPN_EXPORT_LIST_MAX];
    size_t n = 0;
    for (const char *p = list; *p && n + 1 < sizeof(compact); p++)
        if (*p != ' ')
            compact[n++] = *p;
    compact[n] = '\0';
    write_member(w, 2, key, compact, false);
}

int ivpn_export_json(const ipsecvpn_connection *c, const ivpn_export_view *v, ivpn_writer *w)
{
    (void)c;
    const char *mode = v->aggressive ? "aggressive" : "main";
    ivpn_w_str(w, "{\n");
    write_member(w, 2, "Local", v->local_addr, false);
    write_member(w, 2, "Remote", v->remote_addr, false);
    write_list(w, "LocalSubnet", v->local_ts);
    write_list(w, "RemoteSubnet", v->remote_ts);
    ivpn_w_str(w, "  \"IkeConfig\": {\n");
    write_member(w, 4, "IkeVersion", v->ike_version == 2 ? "ikev2" : "ikev1", false);
    write_member(w, 4, "IkeMode", mode, false);
    write_member(w, 4, "IkeEncAlg", v->ike_encryption, false);
    write_member(w, 4, "IkeAuthAlg", v->ike_integrity, false);
    write_member(w, 4, "IkePfs", v->ike_dh_group, false);
    write_number(w, 4, "IkeLifetime", v->ike_lifetime, false);
    write_member(w, 4, "LocalId", v->local_id, false);
    write_member(w, 4, "RemoteId", v->remote_id, false);
    write_member(w, 4, "Psk", v->psk, true);
    ivpn_w_str(w, "  },\n  \"IpsecConfig\": {\n");
    write_member(w, 4, "IpsecEncAlg", v->esp_encryption, false);
    write_member(w, 4, "IpsecAuthAlg", v->esp_integrity, false);
    write_member(w, 4, "IpsecPfs", v->pfs, false);
    write_number(w, 4, "IpsecLifetime", v->esp_lifetime, true);
    ivpn_w_str(w, v->bgp || v->health_check ? "  },\n" : "  }\n");
    if (v->bgp) {
        /* the cloud API's BgpConfig, mirrored: Local is the device's end of the tunnel */
        ivpn_w_str(w, "  \"BgpConfig\": {\n");
        write_member(w, 4, "EnableBgp", "true", false);
        write_member(w, 4, "TunnelCidr", v->bgp_tunnel_cidr, false);
        write_member(w, 4, "LocalBgpIp", v->bgp_local_ip, false);
        write_member(w, 4, "PeerBgpIp", v->bgp_remote_ip, false);
        write_member(w, 4, "PeerAsn", v->bgp_remote_asn, true);
        ivpn_w_str(w, v->health_check ? "  },\n" : "  }\n");
    }
    if (v->health_check) {
        /* the probe as the gateway sends it (Sip -> Dip): the device routes Sip into the
         * tunnel and lets Dip answer */
        ivpn_w_str(w, "  \"HealthCheckConfig\": {\n");
        write_member(w, 4, "Enable", "true", false);
        write_member(w, 4, "Sip", v->hc_source, false);
        write_member(w, 4, "Dip", v->hc_destination, false);
        write_number(w, 4, "Interval", v->hc_interval, false);
        write_number(w, 4, "Retry", v->hc_retry, true);
        ivpn_w_str(w, "  }\n");
    }
    ivpn_w_str(w, "}\n");
    return IPSECVPN_OK;
}
