/*
 * Internal to lib/ike/v1: the IKEv1 state of a connection, message framing, and the split
 * between phase 1 (ikev1.c, msg.c, main.c, aggressive.c, proposal.c, natt.c) and phase 2 /
 * informational (quick.c, info.c, dpd.c, phase2_timers.c). Each exchange file annotates its
 * steps in RFC 2409 notation, e.g.
 *     Initiator                          Responder
 *    -----------                        -----------
 *     HDR*, HASH(1), SA, Ni [, KE ] [, IDci, IDcr ] -->
 *
 * One connection is one peer: at most one ISAKMP SA in use (`sa`), plus the one being
 * negotiated to replace it (`sa_next`, phase-1 rekey) and replaced ones waiting for their
 * lifetime or delete (`old`, a list). Child SAs live in the connection's shared slots
 * (lib/ike/common/child_sa.h) exactly as with IKEv2.
 */
#ifndef IVPN_IKE_V1_INTERNAL_H
#define IVPN_IKE_V1_INTERNAL_H

#include "core/engine_internal.h"
#include "ike/common/child_sa.h"
#include "ike/common/ts.h"
#include "ike/v1/ikev1.h"
#include "ike/v1/v1_keys.h"
#include "wire/isakmp.h"

#define IVPN_V1_NONCE_LEN 32          /* our nonces */
#define IVPN_V1_NONCE_MAX 256         /* RFC 2409 §5: 8..256 bytes */

/* The RFC 3947 NAT-T and RFC 3706 DPD vendor IDs (MD5 of "RFC 3947"; DPD's fixed value) */
extern const uint8_t ivpn_v1_vid_natt[16];
extern const uint8_t ivpn_v1_vid_dpd[16];

typedef enum ivpn_v1_p1_state {
    IVPN_V1_MM_I1 = 1,        /* initiator: MM1 (SA) sent */
    IVPN_V1_MM_I2,            /* initiator: MM3 (KE, Ni) sent */
    IVPN_V1_MM_I3,            /* initiator: MM5 (IDii, HASH_I) sent */
    IVPN_V1_MM_R1,            /* responder: MM2 sent */
    IVPN_V1_MM_R2,            /* responder: MM4 sent */
    IVPN_V1_AM_I1,            /* aggressive initiator: AM1 sent */
    IVPN_V1_AM_R1,            /* aggressive responder: AM2 sent */
    IVPN_V1_P1_ESTABLISHED,
    IVPN_V1_P1_DELETED        /* only waiting to be freed */
} ivpn_v1_p1_state;

/* The last message we sent in an exchange, for retransmission: as the side that waits for
 * an answer, on a timer with exponential backoff; as the side that answered, again when the
 * peer's previous message arrives again (phase 1 has no message IDs, so a duplicate is
 * recognised by a hash of the datagram). */
typedef struct ivpn_v1_rtx {
    uint8_t *msg;             /* as on the wire, without the non-ESP marker (allocated) */
    size_t len;
    uint8_t peer_hash[32];    /* SHA-256 of the peer datagram this message answers */
    bool have_peer_hash;
    unsigned tries;
    uint64_t at;              /* next timed retransmission; 0: none (we answered) */
} ivpn_v1_rtx;

struct ivpn_v1_qm;

typedef struct ivpn_v1_sa {
    ivpn_v1_p1_state state;
    bool initiator;           /* of this ISAKMP SA */
    bool aggressive;
    uint8_t cky_i[8], cky_r[8];

    /* negotiated (phase-1 attributes mapped to our IDs) */
    uint16_t encr, encr_bits; /* ipsecvpn_encr, key bits (AES 128/192/256; 0 for DES/3DES) */
    uint16_t prf;             /* ipsecvpn_prf of the hash attribute */
    uint16_t dh_group;
    uint32_t lifetime_s;

    /* exchange material, freed once established */
    ivpn_dh *dh;
    uint8_t *gxi, *gxr;       /* KE data of initiator and responder (allocated) */
    size_t gxi_len, gxr_len;
    uint8_t ni[IVPN_V1_NONCE_MAX], nr[IVPN_V1_NONCE_MAX];
    size_t ni_len, nr_len;
    uint8_t *sai_b;           /* the initiator's SA payload body, for HASH_I / HASH_R */
    size_t sai_b_len;

    /* keys */
    ivpn_v1_skeyid k;         /* SKEYID, SKEYID_d, _a, _e */
    uint8_t enc_key[32];
    size_t enc_key_len;
    uint8_t iv[IVPN_V1_BLOCK_MAX];  /* phase-1 CBC chain: after phase 1, its last block, the
                                       base of every quick-mode and informational IV */
    size_t block_len;

    /* transport and NAT traversal (RFC 3947) */
    ipsecvpn_endpoint local, remote;
    bool peer_natt;           /* the peer sent the RFC 3947 vendor ID */
    bool peer_dpd;            /* the peer sent the RFC 3706 vendor ID */
    bool nat_local, nat_remote;
    uint64_t keepalive_at;

    ivpn_v1_rtx rtx;          /* phase-1 retransmission */
    uint64_t last_rx;         /* last authenticated message or ESP packet from the peer */
    uint64_t established_at, rekey_at, expire_at;

    /* DPD (RFC 3706), run by dpd.c */
    uint32_t dpd_seq;         /* sequence number of our last R-U-THERE */
    uint32_t dpd_peer_seq;    /* last R-U-THERE sequence number the peer sent */
    bool dpd_peer_seq_set;
    uint64_t dpd_at;          /* send an R-U-THERE at this time if the peer stayed silent */
    uint64_t dpd_deadline;    /* our R-U-THERE unanswered by then: the peer is dead */

    struct ivpn_v1_qm *qm;    /* quick-mode exchanges in progress under this SA */
    uint8_t *early;           /* aggressive responder: a quick-mode message that arrived
                                 before AM3 (strongSwan sends them back to back), replayed
                                 once AM3 has authenticated the peer */
    size_t early_len;
    struct ivpn_v1_sa *next;  /* in ivpn_v1_conn.old */
} ivpn_v1_sa;

typedef enum ivpn_v1_qm_state {
    IVPN_V1_QM_I1 = 1,        /* initiator: QM1 sent, waiting for QM2 */
    IVPN_V1_QM_R1,            /* responder: QM2 sent, waiting for QM3 */
    IVPN_V1_QM_DONE           /* kept a while to answer a retransmitted QM1/QM2 */
} ivpn_v1_qm_state;

/* One quick-mode exchange (RFC 2409 §5.5), identified by its message ID. */
typedef struct ivpn_v1_qm {
    ivpn_v1_qm_state state;
    bool initiator;
    uint32_t msgid;
    uint8_t iv[IVPN_V1_BLOCK_MAX];  /* this exchange's CBC chain */
    uint8_t ni[IVPN_V1_NONCE_MAX], nr[IVPN_V1_NONCE_MAX];
    size_t ni_len, nr_len;
    ivpn_dh *dh;              /* PFS */
    uint32_t spi_in, spi_out;
    ivpn_algs algs;
    uint32_t lifetime_s;
    bool transport;
    ivpn_ts_set local_ts, remote_ts;  /* one selector each (IDci/IDcr) */
    uint32_t rekey_of;        /* spi_in of the Child SA this one replaces (0: a new one) */
    ivpn_v1_rtx rtx;
    uint64_t drop_at;         /* free the exchange at this time (done or given up) */
    struct ivpn_v1_qm *next;
} ivpn_v1_qm;

/* The IKEv1 state of a connection (ivpn_conn.v1). */
typedef struct ivpn_v1_conn {
    ivpn_v1_sa *sa;           /* in use, or being negotiated when none is established */
    ivpn_v1_sa *sa_next;      /* phase-1 rekey: the replacement under negotiation */
    ivpn_v1_sa *old;          /* replaced ISAKMP SAs until they expire or are deleted */
} ivpn_v1_conn;

/* ---- ikev1.c / msg.c (phase-1 side): SAs, framing, sending -------------------------------- */

/* The connection's IKEv1 state, created on first use. */
ivpn_v1_conn *ivpn_v1_conn_get(ipsecvpn_engine *e, ivpn_conn *c);
ivpn_v1_sa *ivpn_v1_sa_new(ipsecvpn_engine *e, ivpn_conn *c, bool initiator);
void ivpn_v1_sa_free(ipsecvpn_engine *e, ivpn_v1_sa *sa);
/* The established ISAKMP SA to run phase 2 and informational exchanges under, or NULL. */
ivpn_v1_sa *ivpn_v1_current(ivpn_conn *c);
/* Negotiation failed or the peer is gone: free every SA and Child SA, set the status. */
void ivpn_v1_fail(ipsecvpn_engine *e, ivpn_conn *c, ipsecvpn_status status, int reason);
/* Start phase 1 as initiator (main or aggressive mode from the configuration); rekey: the
 * new SA goes to sa_next and replaces sa once established. */
int ivpn_v1_phase1_start(ipsecvpn_engine *e, ivpn_conn *c, bool rekey, uint64_t now);

/* A message under construction. begin writes the header; the payloads follow through
 * m->cw; finish pads and encrypts the body when the header has the E flag (under `iv`,
 * which is updated to the last ciphertext block) and patches the length. */
typedef struct ivpn_v1_msg {
    uint8_t buf[IVPN_IKE_MSG_MAX];
    ivpn_writer w;
    ivpn_isakmp_chain_writer cw;
    size_t hdr_at;
    bool encrypted;
} ivpn_v1_msg;
void ivpn_v1_msg_begin(ivpn_v1_msg *m, const ivpn_v1_sa *sa, uint8_t exchange, uint32_t msgid,
                       bool encrypted);
/* Reserve a HASH payload of the SA's PRF length as the next payload and return the offset
 * of its data in m->buf, to be filled by the caller once the payloads it covers are
 * written (the bytes after the HASH payload up to m->w.len are those payloads, whole). */
size_t ivpn_v1_msg_hash_slot(ivpn_v1_msg *m, const ivpn_v1_sa *sa);
int ivpn_v1_msg_finish(ipsecvpn_engine *e, const ivpn_v1_sa *sa, ivpn_v1_msg *m, uint8_t *iv,
                       uint8_t **out, size_t *out_len);
/* Send a datagram on the SA's endpoints (the non-ESP marker is added off port 500). */
int ivpn_v1_send(ipsecvpn_engine *e, const ivpn_v1_sa *sa, const uint8_t *msg, size_t len);
/* Keep msg (ownership taken) for retransmission: on a timer when timed, else when the peer
 * datagram `answers` (hashed) arrives again. Frees what rtx held before. */
void ivpn_v1_rtx_set(ipsecvpn_engine *e, ivpn_v1_rtx *rtx, uint8_t *msg, size_t len,
                     bool timed, const uint8_t *answers, size_t answers_len, uint64_t now);
void ivpn_v1_rtx_clear(ipsecvpn_engine *e, ivpn_v1_rtx *rtx);
/* Whether the datagram is the one rtx answered; if so it has been sent again. */
bool ivpn_v1_rtx_duplicate(ipsecvpn_engine *e, const ivpn_v1_sa *sa, ivpn_v1_rtx *rtx,
                           const uint8_t *msg, size_t len);
/* Timed retransmission due: resend (true) or tries exhausted (false). */
bool ivpn_v1_rtx_fire(ipsecvpn_engine *e, const ivpn_v1_sa *sa, ivpn_v1_rtx *rtx, uint64_t now);

/* A received message after the header: decrypted when flag E (under iv, updated to the last
 * ciphertext block), payload chain walked and the rules of `kind` checked. */
typedef struct ivpn_v1_rx {
    ivpn_isakmp_header hdr;
    const uint8_t *msg;       /* the datagram */
    size_t len;
    uint8_t *plain;           /* decrypted body (allocated; NULL if not encrypted) */
    size_t plain_len;
    ivpn_isakmp_payload_list pl;
} ivpn_v1_rx;
int ivpn_v1_rx_open(ipsecvpn_engine *e, const ivpn_v1_sa *sa, uint8_t *iv,
                    ivpn_isakmp_msg_kind kind, const uint8_t *msg, size_t len, ivpn_v1_rx *rx);
void ivpn_v1_rx_free(ipsecvpn_engine *e, ivpn_v1_rx *rx);

/* The phase-1 ID payload of one side from LocalId/RemoteId (or the address). */
void ivpn_v1_id_self(const ivpn_conn *c, const ivpn_v1_sa *sa, ivpn_isakmp_id *id,
                     uint8_t *buf, size_t cap);

/* ---- quick.c / info.c / dpd.c / phase2_timers.c (phase-2 side) --------------------------- */

/* Start a quick mode under the current ISAKMP SA; rekey_of: spi_in of the Child SA it
 * replaces, 0 for a new one. Called by phase 1 once established as initiator. */
int ivpn_v1_quick_start(ipsecvpn_engine *e, ivpn_conn *c, uint32_t rekey_of, uint64_t now);
/* A quick-mode message (any of QM1..QM3) for this established SA. */
int ivpn_v1_quick_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, const uint8_t *msg,
                     size_t len, uint64_t now);
/* An informational message: protected (HASH(1), notify or delete, incl. DPD) for an
 * established SA, or an unprotected notify (e.g. NO_PROPOSAL_CHOSEN) during phase 1. */
int ivpn_v1_info_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, const uint8_t *msg,
                    size_t len, uint64_t now);
/* Send a protected notify (spi: 0..16 bytes) or, when the SA has no keys yet, an
 * unprotected one. */
int ivpn_v1_notify_send(ipsecvpn_engine *e, ivpn_v1_sa *sa, uint8_t protocol,
                        const uint8_t *spi, uint8_t spi_size, uint16_t type,
                        const uint8_t *data, size_t data_len);
/* Protected Delete of an ISAKMP SA (its cookies) or of Child SAs (our inbound SPIs). */
int ivpn_v1_delete_isakmp_send(ipsecvpn_engine *e, ivpn_v1_sa *sa);
int ivpn_v1_delete_esp_send(ipsecvpn_engine *e, ivpn_v1_sa *sa, const uint32_t *spis_in,
                            size_t n);
/* Free the quick-mode exchanges of an SA. */
void ivpn_v1_qm_free_all(ipsecvpn_engine *e, ivpn_v1_sa *sa);
/* DPD and Child SA timers (rekey before expiry, expiry, quick-mode retransmission). */
uint64_t ivpn_v1_phase2_next_expiry(const ivpn_conn *c);
void ivpn_v1_phase2_expiry(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now);
/* Phase 1 established (or an ESP packet arrived): arm/refresh DPD. */
void ivpn_v1_dpd_alive(ivpn_conn *c, uint64_t now);

#endif
