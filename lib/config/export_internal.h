/*
 * Configuration download, shared by the formats: a text writer that counts what it would
 * write (so the caller's buffer is filled in a second pass only when everything fits), and
 * the connection seen from the PEER's side (local and remote swapped), read through the
 * public getters so export does not depend on how the model stores its fields.
 */
#ifndef IVPN_CONFIG_EXPORT_INTERNAL_H
#define IVPN_CONFIG_EXPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/model.h"

/* ---- text writer ------------------------------------------------------------------------ */

/* With buf == NULL it only counts; otherwise it writes while there is room (cap includes the
 * NUL) and keeps counting, so len is always the full length. */
typedef struct ivpn_writer {
    char *buf;
    size_t cap;
    size_t len;
} ivpn_writer;

void ivpn_w_init(ivpn_writer *w, char *buf, size_t cap);
void ivpn_w_char(ivpn_writer *w, char c);
void ivpn_w_str(ivpn_writer *w, const char *s);
void ivpn_w_mem(ivpn_writer *w, const char *s, size_t n);
void ivpn_w_fmt(ivpn_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Lower-case hex of n bytes. */
void ivpn_w_hex(ivpn_writer *w, const char *s, size_t n);
/* n spaces. */
void ivpn_w_indent(ivpn_writer *w, unsigned n);

/* ---- the peer's view -------------------------------------------------------------------- */

#define IVPN_EXPORT_LIST_MAX (IVPN_CIDRS_MAX * IVPN_CIDR_TEXT_MAX_EXPORT + 1)
#define IVPN_CIDR_TEXT_MAX_EXPORT 50
#define IVPN_EXPORT_WORD_MAX 32

/* Everything a format needs, already mirrored: "local" is the peer device. */
typedef struct ivpn_export_view {
    char name[IVPN_NAME_BUF];                /* our connection's name ("" if unset); up to
                                                IVPN_NAME_MAX UTF-8 characters */
    int ike_version;                         /* 1 or 2 */
    bool aggressive;                         /* IKEv1 aggressive mode */
    char ike_encryption[IVPN_EXPORT_WORD_MAX]; /* canonical: aes, aes192, ... */
    char ike_integrity[IVPN_EXPORT_WORD_MAX];  /* md5, sha1, ... */
    char ike_dh_group[IVPN_EXPORT_WORD_MAX];   /* group1.. */
    uint32_t ike_lifetime;
    char esp_encryption[IVPN_EXPORT_WORD_MAX];
    char esp_integrity[IVPN_EXPORT_WORD_MAX];
    char pfs[IVPN_EXPORT_WORD_MAX];          /* "disabled" or a group */
    uint32_t esp_lifetime;
    bool transport;                          /* ipsec.mode transport (else tunnel) */
    char local_addr[IVPN_CIDR_TEXT_MAX_EXPORT];   /* = our peer_address */
    char remote_addr[IVPN_CIDR_TEXT_MAX_EXPORT];  /* = our local_address */
    char local_id[IVPN_ID_MAX + 1];          /* = our remote_id, or our peer_address */
    char remote_id[IVPN_ID_MAX + 1];         /* = our local_id, or our local_address */
    bool local_id_explicit, remote_id_explicit; /* false when filled from an address */
    bool route_based;                        /* destination mode: all-traffic selectors */
    char local_ts[IVPN_EXPORT_LIST_MAX];     /* = our remote_cidrs, comma-separated */
    char remote_ts[IVPN_EXPORT_LIST_MAX];    /* = our local_cidrs */
    char psk[IVPN_PSK_MAX + 1];
    bool dpd;
    char dpd_action[IVPN_EXPORT_WORD_MAX];   /* our action: hold, restart, clear, ... */
    uint32_t dpd_interval, dpd_timeout;
    bool nat_traversal;
    bool we_respond_only;                    /* our initiator = response-only */
    bool we_start_immediately;               /* our effective_immediately = yes */
    bool we_admin_down;                      /* our admin_state = down */
    /* BGP over the tunnel: the peer's routing daemon needs the /30, its own address in it
     * (the /30's other usable host) and our address and ASN as its neighbour. */
    bool bgp;
    char bgp_tunnel_cidr[IVPN_CIDR_TEXT_MAX_EXPORT];
    char bgp_local_ip[IVPN_CIDR_TEXT_MAX_EXPORT];  /* the peer's = the other usable host */
    char bgp_remote_ip[IVPN_CIDR_TEXT_MAX_EXPORT]; /* = our bgp.local_ip */
    char bgp_remote_asn[16];                       /* = our bgp.local_asn */
    /* Health check: we send ICMP echo from hc_source to hc_destination through the tunnel;
     * the peer must route hc_source/32 into the tunnel and let hc_destination answer. */
    bool health_check;
    char hc_source[IVPN_CIDR_TEXT_MAX_EXPORT];
    char hc_destination[IVPN_CIDR_TEXT_MAX_EXPORT];
    uint32_t hc_interval, hc_retry;
} ivpn_export_view;

/* What the peer should do to bring the tunnel up (see export.c for why). */
typedef enum {
    IVPN_PEER_START_TRAP = 0,    /* negotiate on its first outbound packet */
    IVPN_PEER_START_NOW = 1,     /* negotiate as soon as the config is loaded */
    IVPN_PEER_START_NONE = 2     /* only load the config: we do not negotiate now */
} ivpn_peer_start;

/* Validate c and read it mirrored into v. Returns IPSECVPN_OK or an error; v holds the PSK
 * afterwards: the caller wipes it with ivpn_export_view_wipe(). */
int ivpn_export_view_load(const ipsecvpn_connection *c, ivpn_export_view *v);
void ivpn_export_view_wipe(ivpn_export_view *v);
ivpn_peer_start ivpn_export_peer_start(const ivpn_export_view *v);

/* Identity classes as the getters spell them (config/addr.h): "@#hex" key id, local@fqdn,
 * an IP address, otherwise an FQDN. */
typedef enum { IVPN_XID_IP, IVPN_XID_FQDN, IVPN_XID_EMAIL, IVPN_XID_KEYID } ivpn_xid_class;
ivpn_xid_class ivpn_export_id_class(const char *id);

/* Map canonical algorithm names to a format's spelling; NULL if the table has no entry. */
typedef struct ivpn_name_map {
    const char *canonical;
    const char *spelling;
} ivpn_name_map;
const char *ivpn_export_map(const ivpn_name_map *table, const char *canonical);

/* Comment lines ("# ...") for what a text format cannot express: the BGP session the peer's
 * routing daemon must run, the route the health check needs. Nothing when both are off. */
void ivpn_export_notes(const ivpn_export_view *v, ivpn_writer *w);

/* Renderers: each writes one whole document into w. Return IPSECVPN_OK or
 * IPSECVPN_ERR_UNSUPPORTED when a value has no spelling in the format. */
int ivpn_export_swanctl(const ipsecvpn_connection *c, const ivpn_export_view *v, ivpn_writer *w);
int ivpn_export_libreswan(const ipsecvpn_connection *c, const ivpn_export_view *v,
                          ivpn_writer *w);
int ivpn_export_json(const ipsecvpn_connection *c, const ivpn_export_view *v, ivpn_writer *w);

#endif
