/*
 * The engine object as lib/core and lib/ike see it: the connection table, the IKE SA and
 * Child SA state each connection owns, and the few services (send, events, status) the
 * protocol code calls back into. One IKE SA per connection: this library is a site-to-site
 * gateway, so a connection is one peer and one tunnel.
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
#define IVPN_KEY_MAX 64            /* largest SK_* key (SHA-512 PRF) */
#define IVPN_TS_MAX 16             /* selectors per side we keep */
#define IVPN_REPLAY_WINDOW 128

/* One traffic selector: an address range with protocol and ports (RFC 7296 §3.13.1). */
typedef struct ivpn_ts {
    uint8_t family;                /* 4 or 6 */
    uint8_t proto;                 /* 0 = any */
    uint16_t port_lo, port_hi;
    uint8_t lo[16], hi[16];        /* network order; IPv4 in the first 4 bytes */
} ivpn_ts;

typedef struct ivpn_ts_set {
    ivpn_ts ts[IVPN_TS_MAX];
    uint8_t n;
} ivpn_ts_set;

/* Negotiated algorithms of one proposal (IKE or ESP). */
typedef struct ivpn_algs {
    uint16_t encr, encr_bits;      /* ipsecvpn_encr, key size */
    uint16_t prf;                  /* IKE only */
    uint16_t integ;                /* NONE with AEAD */
    uint16_t dh;                   /* 0 when none */
    uint8_t esn;
} ivpn_algs;

/* A Child SA pair as installed. */
typedef struct ivpn_child {
    bool used;
    uint32_t spi_in, spi_out;
    ipsecvpn_esp_sa *sa_in, *sa_out;
    ivpn_algs algs;
    ivpn_ts_set local_ts, remote_ts;
    bool encap;
    ipsecvpn_endpoint local, remote; /* outer addresses (ports only when encap) */
    uint64_t created_ms, rekey_at, expire_at;
} ivpn_child;

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
    IVPN_REQ_REKEY_IKE
} ivpn_req_kind;

typedef struct ivpn_ike_sa {
    ivpn_ike_state state;
    bool initiator;                /* original initiator of this IKE SA */
    uint8_t spi_i[8], spi_r[8];
    ivpn_algs algs;
    ivpn_dh *dh;
    uint16_t ke_group;             /* the group of the KE we sent */
    uint8_t ni[256], nr[256];
    size_t ni_len, nr_len;
    uint8_t *msg1, *msg2;          /* IKE_SA_INIT request and response, as on the wire */
    size_t msg1_len, msg2_len;
    uint8_t sk_d[IVPN_KEY_MAX], sk_ai[IVPN_KEY_MAX], sk_ar[IVPN_KEY_MAX];
    uint8_t sk_ei[IVPN_KEY_MAX], sk_er[IVPN_KEY_MAX], sk_pi[IVPN_KEY_MAX], sk_pr[IVPN_KEY_MAX];
    size_t prf_len, integ_len, encr_len;
    uint8_t cookie[64];
    size_t cookie_len;
    unsigned init_retries;         /* initiator: IKE_SA_INIT resent for a COOKIE or INVALID_KE */

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
    uint32_t rekey_old_spi_in;     /* the Child SA a CREATE_CHILD_SA replaces */
    ivpn_dh *child_dh;
    uint8_t child_n[256];
    size_t child_n_len;
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
     * pair our own outstanding rekey replaces, and that exchange's nonces (0: no collision) */
    uint32_t coll_spi_in;
    uint8_t coll_ni[256], coll_nr[256];
    size_t coll_ni_len, coll_nr_len;
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
    ipsecvpn_connection *cfg;
    ipsecvpn_endpoint local, remote;
    ipsecvpn_status status;
    int reason;
    ivpn_ts_set cfg_local_ts, cfg_remote_ts; /* what the configuration protects */
    ivpn_ike_sa *ike;
    ivpn_ike_sa *ike_old;          /* the replaced IKE SA until its Delete is done */
    ivpn_ike_sa *ike_half;         /* a new half-open SA from the peer while one is established:
                                      it replaces the established one only once authenticated */
    ivpn_child child[2];           /* [0] current; [1] the old pair during a rekey */
    uint64_t restart_at;           /* dpd restart: initiate again at this time (0: no) */
    uint64_t last_acquire;         /* when traffic last started a negotiation */
    struct ivpn_conn *next;
    ivpn_child child_dup;          /* after a rekey collision: the redundant new pair until its
                                      Delete is done (§2.8.1) */
    ivpn_ike_sa *ike_dup;          /* after an IKE rekey collision: the redundant new IKE SA
                                      until its Delete is done (§2.8.2) */
} ivpn_conn;

/* Every Child SA slot of a connection: child[0], child[1], child_dup. */
#define IVPN_CHILD_SLOTS 3
static inline ivpn_child *ivpn_conn_slot(ivpn_conn *c, int i)
{
    return i < 2 ? &c->child[i] : &c->child_dup;
}

struct ipsecvpn_engine {
    ipsecvpn_ctx *ctx;
    ipsecvpn_engine_callbacks cb;
    ipsecvpn_engine_settings settings;
    void *user_data;
    ivpn_conn *conns;
    uint32_t next_id;
    uint8_t cookie_secret[32];      /* keys the stateless cookies of §2.6 */
    uint16_t test_extra_ke_group;  /* tests only: offer and send KE for this group first */
};

static inline const ivpn_connection_values *ivpn_conn_values(const ivpn_conn *c)
{
    return &c->cfg->v;
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

/* Tests only: make the next initiations offer `group` first with a KE for it. */
void ivpn_engine_test_extra_ke_group(ipsecvpn_engine *e, uint16_t group);

#endif
