/*
 * The engine object as lib/core and lib/ike see it: the connection table, the IKE SA and
 * Child SA state each connection owns, and the few services (send, events, status) the
 * protocol code calls back into. One IKE SA per connection: this library is a site-to-site
 * gateway, so a connection is one peer; under its IKE SA it holds any number of Child SA
 * pairs (the configured flows, plus whatever further pairs the peer opens).
 */
#ifndef IVPN_CORE_ENGINE_INTERNAL_H
#define IVPN_CORE_ENGINE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "config/model.h"
#include "core/ctx.h"
#include "crypto/crypto.h"
#include "ipsecvpn/engine.h"
#include "ipsecvpn/esp.h"

#define IVPN_IKE_MSG_MAX 4096      /* largest message we build (MODP-8192 KE fits) */
#define IVPN_NONCE_LEN 32          /* our nonces: at least half the PRF key size (§2.10) */
#define IVPN_NONCE_MAX 256         /* the peer's: 16..256 octets (§3.9) */
#define IVPN_KEY_MAX 64            /* largest SK_* key (SHA-512 PRF) */
#define IVPN_TS_MAX 16             /* selectors per side a working set holds */
#define IVPN_REPLAY_WINDOW 128
#define IVPN_CHILDREN_MAX 32       /* Child SA pairs per connection (more: NO_ADDITIONAL_SAS) */

/* One traffic selector: an address range with protocol and ports (RFC 7296 §3.13.1). */
typedef struct ivpn_ts {
    uint8_t family;                /* 4 or 6 */
    uint8_t proto;                 /* 0 = any */
    uint16_t port_lo, port_hi;
    uint8_t lo[16], hi[16];        /* network order; IPv4 in the first 4 bytes */
} ivpn_ts;

/*
 * A set of selectors: ts[0..n-1] in storage for cap of them. Sets kept in an SA or a
 * connection own an allocation of exactly n (ivpn_ts_set_copy / ivpn_ts_set_free in
 * lib/ike/common/ts.h); working sets of an exchange live on the stack with room for
 * IVPN_TS_MAX (IVPN_TS_SET_LOCAL). Assigning a set copies the pointer, not the selectors.
 */
typedef struct ivpn_ts_set {
    ivpn_ts *ts;
    uint8_t n, cap;
} ivpn_ts_set;

/* A working set named `name` with stack storage for IVPN_TS_MAX selectors. */
#define IVPN_TS_SET_LOCAL(name)                                                                \
    ivpn_ts name##_storage_[IVPN_TS_MAX];                                                       \
    ivpn_ts_set name = { name##_storage_, 0, IVPN_TS_MAX }

/* Negotiated algorithms of one proposal (IKE or ESP). */
typedef struct ivpn_algs {
    uint16_t encr, encr_bits;      /* ipsecvpn_encr, key size */
    uint16_t prf;                  /* IKE only */
    uint16_t integ;                /* NONE with AEAD */
    uint16_t dh;                   /* 0 when none */
    uint8_t esn;
} ivpn_algs;

/* A Child SA pair as installed: one node of its connection's list (lib/ike/common/child_sa.h
 * is the only code that links, unlinks and frees nodes). */
typedef struct ivpn_child {
    struct ivpn_child *next;
    bool used;                     /* true for every listed pair */
    bool retired;                  /* replaced by a rekey, redundant after a collision, or
                                      being deleted: receives until its Delete is done, but
                                      sends nothing and is not rekeyed */
    bool encap;
    uint32_t spi_in, spi_out;
    uint32_t replaced_by;          /* spi_in of the pair that retired this one (0: none) */
    ipsecvpn_esp_sa *sa_in, *sa_out;
    ivpn_algs algs;
    ivpn_ts_set local_ts, remote_ts; /* as negotiated, exact allocations */
    ipsecvpn_endpoint local, remote; /* outer addresses (ports only when encap) */
    uint64_t created_ms, rekey_at, expire_at;
    uint64_t delete_until;         /* IKEv1 rekey-collision loser: our Delete goes again until
                                      the peer's answers it or this time comes (0: none) */
} ivpn_child;

/*
 * The engine-side copy of a connection's configuration: only what the IKE engines read,
 * under the member names of ivpn_connection_values (v->psk, v->ike.encryption,
 * v->ipsec.pfs, v->dpd.interval, ...), in one allocation with its strings. The selectors of
 * the protected flows are ivpn_conn.cfg_local_ts / cfg_remote_ts.
 */
typedef struct ivpn_conn_id {
    ivpn_id_type type;
    const char *text;              /* as given (canonical for addresses); "" when none */
} ivpn_conn_id;

typedef struct ivpn_conn_ike {
    ivpn_ike_version version;
    ivpn_ike_mode mode;
    ivpn_encr_choice encryption;
    uint16_t integrity;            /* ipsecvpn_integ (the PRF follows: same hash) */
    uint16_t dh_group;             /* ipsecvpn_dh_group */
    uint32_t lifetime;             /* seconds */
    ivpn_conn_id local_id, remote_id;
} ivpn_conn_ike;

typedef struct ivpn_conn_ipsec {
    ivpn_ipsec_mode mode;
    ivpn_encr_choice encryption;
    uint16_t integrity;            /* ipsecvpn_integ */
    uint16_t pfs;                  /* ipsecvpn_dh_group, 0 = disabled */
    uint32_t lifetime;             /* seconds */
} ivpn_conn_ipsec;

typedef struct ivpn_conn_cfg {
    size_t size;                   /* bytes of this allocation, strings included */
    bool admin_up;
    bool effective_immediately;
    bool nat_traversal;
    ivpn_ip local_address, peer_address;
    ivpn_gateway_type gateway_type;
    ivpn_routing_mode routing_mode;
    ivpn_initiator initiator;
    uint32_t mtu;
    const char *psk;
    ivpn_dpd dpd;
    ivpn_conn_ike ike;
    ivpn_conn_ipsec ipsec;
} ivpn_conn_cfg;

typedef enum ivpn_ike_state {
    IVPN_IKE_INIT_SENT = 1,   /* initiator: IKE_SA_INIT request out */
    IVPN_IKE_AUTH_SENT,       /* initiator: IKE_AUTH request out */
    IVPN_IKE_INIT_DONE,       /* responder: answered IKE_SA_INIT, waiting for IKE_AUTH */
    IVPN_IKE_ESTABLISHED,
    IVPN_IKE_DELETED          /* gone: only waiting to be freed */
} ivpn_ike_state;

/* What our one outstanding request is (window size 1, §2.3). */
typedef enum ivpn_req_kind {
    IVPN_REQ_NONE = 0,
    IVPN_REQ_INIT,
    IVPN_REQ_AUTH,
    IVPN_REQ_DPD,
    IVPN_REQ_DELETE_IKE,
    IVPN_REQ_DELETE_CHILD,
    IVPN_REQ_REKEY_CHILD,
    IVPN_REQ_REKEY_IKE,
    IVPN_REQ_CREATE_CHILD          /* an additional Child SA */
} ivpn_req_kind;

typedef struct ivpn_ike_sa {
    ivpn_ike_state state;
    bool initiator;                /* original initiator of this IKE SA */
    uint8_t spi_i[8], spi_r[8];
    ivpn_algs algs;
    ivpn_dh *dh;
    uint16_t ke_group;             /* the group of the KE we sent */
    /* What only the exchanges that create the SA need (IKE_SA_INIT + IKE_AUTH, or the IKE
     * rekey): freed once it is established (ivpn_ike_sa_forget_setup) */
    uint8_t *ni, *nr;              /* IVPN_NONCE_MAX bytes each, in one allocation */
    size_t ni_len, nr_len;
    uint8_t *msg1, *msg2;          /* IKE_SA_INIT request and response, as on the wire */
    size_t msg1_len, msg2_len;
    uint8_t sk_d[IVPN_KEY_MAX], sk_ai[IVPN_KEY_MAX], sk_ar[IVPN_KEY_MAX];
    uint8_t sk_ei[IVPN_KEY_MAX], sk_er[IVPN_KEY_MAX], sk_pi[IVPN_KEY_MAX], sk_pr[IVPN_KEY_MAX];
    size_t prf_len, integ_len, encr_len;
    uint8_t cookie[64];
    size_t cookie_len;
    unsigned init_retries;         /* initiator: IKE_SA_INIT resent for a COOKIE or INVALID_KE */
    int init_error;                /* initiator: why the last unprotected IKE_SA_INIT answer was
                                      refused (§2.21.1): the reason if no valid one comes */

    /* message IDs (§2.3) */
    uint32_t msgid_out;            /* the ID of our next request */
    uint32_t msgid_in;             /* the ID the peer's next request must carry */
    /* our outstanding request, kept for retransmission */
    uint8_t *req;
    size_t req_len;
    uint32_t req_id;
    ivpn_req_kind req_kind;
    unsigned tries;
    uint64_t rtx_at;
    /* our last response, for a retransmitted request */
    uint8_t *resp;
    size_t resp_len;
    uint32_t resp_id;
    bool have_resp;

    /* NAT traversal (§2.23) */
    ipsecvpn_endpoint local, remote;
    bool natt;                     /* IKE on the NAT-T port with the non-ESP marker */
    bool nat_local, nat_remote;    /* which side NAT-D says is behind a NAT */
    uint64_t keepalive_at;

    /* Child SA under negotiation */
    uint32_t pending_spi_in;
    uint32_t rekey_old_spi_in;     /* the Child SA our CREATE_CHILD_SA replaces (0: a new one) */
    struct ivpn_child_xchg *cx;    /* our CREATE_CHILD_SA in progress (NULL: none) */
    uint32_t delete_spi_in;        /* the Child SA our DELETE request names */

    /* liveness */
    uint64_t last_rx;
    uint64_t dpd_at;
    uint64_t dpd_deadline;         /* peer declared dead if our liveness check is unanswered */
    uint64_t expire_at;            /* old SA after a rekey: freed at this time at the latest */
    uint64_t rekey_at;             /* IKE SA soft lifetime: rekey (0: none) */
    uint64_t hard_at;              /* IKE SA hard lifetime: delete if not rekeyed by then */
    struct ivpn_ike_sa *rekey_new; /* the SA our IKE rekey request creates */

    /* Child SA rekey collision (§2.8.1): the pair we created answering the peer's rekey of the
     * pair our own outstanding rekey replaces (0: no collision); that exchange's nonces are
     * kept in cx */
    uint32_t coll_spi_in;
    /* IKE SA rekey collision (§2.8.2): the new SA we created answering the peer's rekey of
     * this SA while our own rekey of it is outstanding */
    struct ivpn_ike_sa *coll_ike;
} ivpn_ike_sa;

struct ivpn_conn;

/*
 * What lib/core needs of an IKE engine, one table per IKE version (lib/ike/v2/ikev2.c,
 * lib/ike/v1/ikev1.c). The connection's configured version picks the table when it is added;
 * received datagrams are dispatched on the ISAKMP/IKE header's major version instead.
 */
typedef struct ivpn_ike_ops {
    const char *name;                                  /* "IKEv1", "IKEv2" for log lines */
    /* Start phase 1 / IKE_SA_INIT as the original initiator. */
    int (*initiate)(ipsecvpn_engine *e, struct ivpn_conn *c, uint64_t now);
    /* Earliest timer (UINT64_MAX: none) and running the due ones. */
    uint64_t (*next_expiry)(const struct ivpn_conn *c);
    void (*handle_expiry)(ipsecvpn_engine *e, struct ivpn_conn *c, uint64_t now);
    /* Delete every SA of the connection; tell the peer (best effort) if asked. */
    void (*close)(ipsecvpn_engine *e, struct ivpn_conn *c, uint64_t now, bool tell_peer);
    /* An inbound ESP packet authenticated: the peer is alive (DPD). */
    void (*peer_alive)(struct ivpn_conn *c, uint64_t now);
    /* Whether an IKE SA exists or is being negotiated (no new initiation then). */
    bool (*busy)(const struct ivpn_conn *c);
} ivpn_ike_ops;

typedef struct ivpn_conn {
    uint32_t id;
    const ivpn_ike_ops *ops;       /* the engine of the configured IKE version */
    struct ivpn_v1_conn *v1;       /* IKEv1 state (lib/ike/v1), NULL for IKEv2 connections */
    ivpn_conn_cfg *cfg;            /* read it through ivpn_conn_values() */
    ipsecvpn_endpoint local, remote;
    ipsecvpn_status status;
    int reason;
    ivpn_ts_set cfg_local_ts, cfg_remote_ts; /* what the configuration protects (allocated) */
    ivpn_ike_sa *ike;
    ivpn_ike_sa *ike_old;          /* the replaced IKE SA until its Delete is done */
    ivpn_ike_sa *ike_half;         /* a new half-open SA from the peer while one is established:
                                      it replaces the established one only once authenticated */
    ivpn_child *children;          /* every Child SA pair, oldest first (child_sa.h) */
    uint64_t restart_at;           /* dpd restart: initiate again at this time (0: no) */
    uint64_t last_acquire;         /* when traffic last started a negotiation */
    struct ivpn_conn *next;
    ivpn_ike_sa *ike_dup;          /* after an IKE rekey collision: the redundant new IKE SA
                                      until its Delete is done (§2.8.2) */
} ivpn_conn;

struct ipsecvpn_engine {
    ipsecvpn_ctx *ctx;
    ipsecvpn_engine_callbacks cb;
    ipsecvpn_engine_settings settings;
    void *user_data;
    ivpn_conn *conns;
    uint32_t next_id;
    uint8_t cookie_secret[64];      /* keys the stateless cookies of §2.6: the current secret,
                                       then the previous one (rotated by lib/ike/v2/init.c) */
    uint64_t cookie_rotated_at;     /* `now` when the current one took over (0: not yet) */
    uint16_t test_extra_ke_group;  /* tests only: offer and send KE for this group first */
};

/* What the engines read of the connection's configuration (the compact copy above):
 *   const ivpn_conn_cfg *v = ivpn_conn_values(c);      v->psk, v->dpd.interval, ...
 *   const ivpn_conn_ike *ike = &v->ike;                  ike->encryption, ike->local_id.text
 *   const ivpn_conn_id *id = &v->ike.remote_id;          id->type, id->text
 * (proposals from it: ivpn_conn_proposal_ike / _esp in lib/ike/common/child_sa.h) */
static inline const ivpn_conn_cfg *ivpn_conn_values(const ivpn_conn *c)
{
    return c->cfg;
}

/* ---- services of lib/core/engine.c for the protocol code ------------------------------- */
void ivpn_engine_emit(ipsecvpn_engine *e, ipsecvpn_event_type type, const ivpn_conn *c,
                      int reason, const ipsecvpn_child_sa_info *child);
void ivpn_engine_set_status(ipsecvpn_engine *e, ivpn_conn *c, ipsecvpn_status s, int reason);
/* Send an IKE message (adds the non-ESP marker when the SA uses the NAT-T port). */
int ivpn_engine_send_ike(ipsecvpn_engine *e, const ivpn_ike_sa *sa, const uint8_t *msg,
                         size_t len);
/* Send raw bytes from local to remote (keepalives, answers without an SA). */
int ivpn_engine_send_raw(ipsecvpn_engine *e, const ipsecvpn_endpoint *local,
                         const ipsecvpn_endpoint *remote, const uint8_t *msg, size_t len,
                         bool marker);
ivpn_conn *ivpn_engine_find_conn(ipsecvpn_engine *e, uint32_t id);
/* The connection of IKE version `ops` whose peer is `remote` (and local address `local`, when
 * the connection names one): where a new IKE SA from that peer belongs. */
ivpn_conn *ivpn_engine_conn_for_peer(ipsecvpn_engine *e, const ivpn_ike_ops *ops,
                                     const ipsecvpn_endpoint *local,
                                     const ipsecvpn_endpoint *remote);

/* Tests only: make the next initiations offer `group` first with a KE for it. */
void ivpn_engine_test_extra_ke_group(ipsecvpn_engine *e, uint16_t group);
/* Tests only (IKEv2, lib/ike/v2/rekey.c): open an additional Child SA for these selectors
 * (ours, the peer's) with CREATE_CHILD_SA; rekey or delete the pair with inbound SPI
 * spi_in. IPSECVPN_ERR_STATE while another request of the IKE SA is outstanding. */
int ivpn_engine_test_create_child(ipsecvpn_engine *e, uint32_t conn_id, const ivpn_ts_set *local,
                                  const ivpn_ts_set *remote, uint64_t now);
int ivpn_engine_test_rekey_child(ipsecvpn_engine *e, uint32_t conn_id, uint32_t spi_in,
                                 uint64_t now);
int ivpn_engine_test_delete_child(ipsecvpn_engine *e, uint32_t conn_id, uint32_t spi_in,
                                  uint64_t now);

#endif
