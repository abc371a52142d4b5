/*
 * The configuration model's data, shared by the files of lib/config/ (fields and validation,
 * registry and edit rules, export and import) and read by the engines. Plain values only:
 * text fields are fixed-size arrays so copies are struct assignments and an update can be
 * staged on a copy and committed with one assignment (all-or-nothing by construction).
 */
#ifndef IVPN_CONFIG_MODEL_H
#define IVPN_CONFIG_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ctx.h"
#include "ipsecvpn/algorithms.h"
#include "ipsecvpn/config.h"

#define IVPN_NAME_MAX 100        /* names: 1..100 characters (cloud API) */
#define IVPN_DESC_MAX 255        /* descriptions */
#define IVPN_ID_MAX 255          /* LocalId/RemoteId: 100 (cloud) / 255 (OpenStack) */
#define IVPN_PSK_MAX 100         /* PSK: 1..100 characters */
#define IVPN_PSK_GENERATED_LEN 16
#define IVPN_REF_MAX 100         /* association resource ids */
#define IVPN_CIDRS_MAX 32        /* CIDRs per side in protected-flows mode */
/* Names and descriptions are counted in characters (UTF-8 code points); their buffers hold
 * up to 4 bytes per character. IVPN_*_MAX stay the character limits. */
#define IVPN_NAME_BUF (IVPN_NAME_MAX * 4 + 1)
#define IVPN_DESC_BUF (IVPN_DESC_MAX * 4 + 1)

typedef struct ivpn_ip {
    uint8_t family;              /* 0 unset, 4 or 6 */
    uint8_t addr[16];            /* network byte order; IPv4 in the first 4 bytes */
} ivpn_ip;

typedef struct ivpn_cidr {
    ivpn_ip ip;                  /* the network address (host bits must be zero) */
    uint8_t prefix;              /* 0..32 or 0..128 */
} ivpn_cidr;

typedef enum ivpn_id_type {
    IVPN_ID_NONE = 0,            /* empty: use the gateway's address */
    IVPN_ID_IPV4 = 1,            /* RFC 7296 ID_IPV4_ADDR */
    IVPN_ID_FQDN = 2,            /* ID_FQDN */
    IVPN_ID_RFC822 = 3,          /* ID_RFC822_ADDR, user@fqdn */
    IVPN_ID_IPV6 = 5,            /* ID_IPV6_ADDR */
    IVPN_ID_KEY_ID = 11          /* ID_KEY_ID */
} ivpn_id_type;

typedef struct ivpn_identity {
    ivpn_id_type type;
    char text[IVPN_ID_MAX + 1];  /* as given (canonical for addresses) */
} ivpn_identity;

typedef enum { IVPN_IKEV1 = 1, IVPN_IKEV2 = 2 } ivpn_ike_version;
typedef enum { IVPN_MODE_MAIN = 0, IVPN_MODE_AGGRESSIVE = 1 } ivpn_ike_mode;
typedef enum { IVPN_IPSEC_TUNNEL = 0, IVPN_IPSEC_TRANSPORT = 1 } ivpn_ipsec_mode;
typedef enum { IVPN_INITIATOR_BIDIRECTIONAL = 0, IVPN_INITIATOR_RESPONSE_ONLY = 1 } ivpn_initiator;
typedef enum {
    IVPN_DPD_HOLD = 0, IVPN_DPD_RESTART = 1, IVPN_DPD_CLEAR = 2, IVPN_DPD_DISABLED = 3,
    IVPN_DPD_RESTART_BY_PEER = 4
} ivpn_dpd_action;
typedef enum { IVPN_ROUTING_DESTINATION = 0, IVPN_ROUTING_PROTECTED_FLOWS = 1 } ivpn_routing_mode;
typedef enum { IVPN_GW_PUBLIC = 0, IVPN_GW_PRIVATE = 1 } ivpn_gateway_type;
typedef enum { IVPN_ASSOC_NONE = 0, IVPN_ASSOC_VPN_GATEWAY = 1, IVPN_ASSOC_TRANSIT_ROUTER = 2 } ivpn_assoc_type;
typedef enum { IVPN_ROUTE_REVOKE = 0, IVPN_ROUTE_RESERVE = 1 } ivpn_route_policy;

/* An encryption choice: IANA ENCR id plus key size (aes=128, aes192, aes256, des=64, 3des=192). */
typedef struct ivpn_encr_choice {
    uint16_t id;                 /* ipsecvpn_encr */
    uint16_t key_bits;
} ivpn_encr_choice;

typedef struct ivpn_ike_values {
    char name[IVPN_NAME_BUF];
    char description[IVPN_DESC_BUF];
    ivpn_ike_version version;
    ivpn_ike_mode mode;
    ivpn_encr_choice encryption;
    uint16_t integrity;          /* ipsecvpn_integ (the PRF follows: same hash) */
    uint16_t dh_group;           /* ipsecvpn_dh_group */
    uint32_t lifetime;           /* seconds */
    ivpn_identity local_id;
    ivpn_identity remote_id;
} ivpn_ike_values;

typedef struct ivpn_ipsec_values {
    char name[IVPN_NAME_BUF];
    char description[IVPN_DESC_BUF];
    ivpn_ipsec_mode mode;        /* protocol is always ESP */
    ivpn_encr_choice encryption;
    uint16_t integrity;          /* ipsecvpn_integ */
    uint16_t pfs;                /* ipsecvpn_dh_group, 0 = disabled */
    uint32_t lifetime;           /* seconds */
    ivpn_initiator initiator;    /* the OpenStack product's IPsec policy field. A connection
                                    keeps its own `initiator` authoritative: `ipsec.initiator`
                                    reads and writes that, adopting a policy copies this into
                                    it, and this copy mirrors it (ivpn_connection_derive). */
} ivpn_ipsec_values;

typedef struct ivpn_dpd {
    bool enabled;
    ivpn_dpd_action action;
    uint32_t interval;           /* seconds */
    uint32_t timeout;            /* seconds, > interval */
    bool timeout_set;            /* false: timeout follows the profile's default for the IKE
                                    version (cloud: 30 s IKEv1, 130 s IKEv2) as it changes */
} ivpn_dpd;

typedef struct ivpn_bgp {
    bool enabled;
    ivpn_cidr tunnel_cidr;       /* /30 inside 169.254.0.0/16 */
    ivpn_ip local_ip;            /* usable host of tunnel_cidr */
    uint32_t local_asn;          /* 1..4294967295, default 45104 */
} ivpn_bgp;

typedef struct ivpn_health_check {
    bool enabled;
    ivpn_ip destination_ip;
    ivpn_ip source_ip;
    uint32_t interval;           /* seconds, default 3 */
    uint32_t retry;              /* default 3 */
    ivpn_route_policy route_policy; /* revoke_route (= route switching yes) default */
} ivpn_health_check;

typedef struct ivpn_association {
    ivpn_assoc_type type;
    char vpn_gateway[IVPN_REF_MAX + 1];
    char transit_router[IVPN_REF_MAX + 1];
    char zone[IVPN_REF_MAX + 1];
    char customer_gateway[IVPN_REF_MAX + 1];
} ivpn_association;

typedef struct ivpn_connection_values {
    char name[IVPN_NAME_BUF];
    char description[IVPN_DESC_BUF];
    bool admin_up;
    ivpn_ip local_address;
    ivpn_ip peer_address;
    ivpn_gateway_type gateway_type;
    char psk[IVPN_PSK_MAX + 1];
    ivpn_routing_mode routing_mode;
    uint8_t n_local_cidrs, n_remote_cidrs;
    ivpn_cidr local_cidrs[IVPN_CIDRS_MAX];
    ivpn_cidr remote_cidrs[IVPN_CIDRS_MAX];
    bool effective_immediately;
    ivpn_initiator initiator;
    uint32_t mtu;
    bool nat_traversal;
    ivpn_dpd dpd;
    ivpn_bgp bgp;
    ivpn_health_check health_check;
    ivpn_association association;
    ivpn_ike_values ike;
    ivpn_ipsec_values ipsec;
} ivpn_connection_values;

struct ipsecvpn_ike_policy {
    ipsecvpn_ctx *ctx;
    ipsecvpn_profile profile;
    ivpn_ike_values v;
};

struct ipsecvpn_ipsec_policy {
    ipsecvpn_ctx *ctx;
    ipsecvpn_profile profile;
    ivpn_ipsec_values v;
};

struct ipsecvpn_connection {
    ipsecvpn_ctx *ctx;
    ipsecvpn_profile profile;
    ivpn_connection_values v;
};

/* ---- defaults and lifecycle (lib/config/policy.c, connection.c) ------------------------ */

/* The profile's defaults (SPEC §1). */
void ivpn_ike_defaults(ivpn_ike_values *v, ipsecvpn_profile profile);
void ivpn_ipsec_defaults(ivpn_ipsec_values *v, ipsecvpn_profile profile);
/* Connection defaults without a PSK (psk[0] == '\0'); ipsecvpn_connection_new() generates one. */
void ivpn_connection_defaults(ivpn_connection_values *v, ipsecvpn_profile profile);
/* DPD timeout default: cloud/strict 30 s with IKEv1, 130 s with IKEv2; OpenStack 120 s. */
uint32_t ivpn_dpd_default_timeout(ipsecvpn_profile profile, ivpn_ike_version version);
/* Whether profile is one of the three known profiles. */
bool ivpn_profile_valid(ipsecvpn_profile profile);

#endif
