/*
 * Internal to lib/ike/v1: the IKEv1 state of a connection, message framing, and the split
 * between phase 1 (ikev1.c, msg.c, main.c, aggressive.c, p1_common.c, proposal.c, natt.c)
 * and phase 2 / informational (quick.c, info.c, dpd.c, phase2_timers.c, p2_proposal.c).
 * Each exchange file annotates its steps in RFC 2409 notation, e.g.
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
    uint8_t *id_peer_b;       /* aggressive responder: IDii_b of AM1, for HASH_I in AM3 */
    size_t id_peer_b_len;
    uint8_t bad_decrypts;     /* phase-1 messages under the new keys that did not decrypt
                                 to payloads (another PSK?): the SA fails at a few */
    uint8_t peer_ahead;       /* encrypted phase-2/informational messages from a peer that
                                 finished phase 1 while its last message did not reach us
                                 (from the second on, each makes us resend ours; counted up
                                 to IVPN_V1_PEER_AHEAD_MAX) */
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
    uint8_t *gxy;             /* PFS: g(qm)^xy until the keys are derived (allocated) */
    size_t gxy_len;
    uint64_t started_at;      /* QM1 sent or received (tells crossing rekeys apart) */
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

/* ---- phase-1 exchanges (ikev1.c, main.c, aggressive.c, p1_common.c, proposal.c, natt.c) - */

/* A half-open responder SA waits this long for the rest of its exchange. */
#define IVPN_V1_HALF_OPEN_MS 30000
/* This many MM5 / MM6 / AM3 that do not decrypt end phase 1 with AUTHENTICATION_FAILED
 * (fewer are dropped without any change: one garbled datagram must not end it). */
#define IVPN_V1_BAD_DECRYPT_MAX 2
/* At most this many resends of our last phase-1 message caused by the peer's messages under
 * an SA it considers established (so that forged datagrams cannot keep a half-open SA) */
#define IVPN_V1_PEER_AHEAD_MAX 8

/* Put a new responder SA where it belongs: `sa` when nothing is established, else `sa_next`
 * (the peer rekeys phase 1); a not yet established SA in that slot is replaced. */
void ivpn_v1_sa_place(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa);
/* Phase 1 is done: timers, events, promotion of a rekey, quick mode as initiator. */
void ivpn_v1_established(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, uint64_t now);
/* Negotiation of this SA failed: a rekey is dropped (the current SA stays), otherwise the
 * connection fails with `reason` (IPSECVPN_STATUS_ERROR). */
void ivpn_v1_p1_abort(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, int reason);
/* An encrypted phase-1 message that does not decrypt to payloads: dropped, and the SA is
 * aborted (IPSECVPN_ERR_IKE_AUTH) once IVPN_V1_BAD_DECRYPT_MAX of them came. */
int ivpn_v1_p1_bad_decrypt(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, const char *what);

/* main.c: main mode (RFC 2409 §5, both roles). local/remote: the datagram's endpoints. */
int ivpn_v1_main_start(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, uint64_t now);
int ivpn_v1_main_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa,
                    const ipsecvpn_endpoint *local, const ipsecvpn_endpoint *remote,
                    const uint8_t *msg, size_t len, uint64_t now);
/* aggressive.c: aggressive mode (RFC 2409 §5, both roles). */
int ivpn_v1_aggr_start(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, uint64_t now);
int ivpn_v1_aggr_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa,
                    const ipsecvpn_endpoint *local, const ipsecvpn_endpoint *remote,
                    const uint8_t *msg, size_t len, uint64_t now);

/* p1_common.c: the steps both modes share. */
/* Replace *dst with a copy of p[0..len). */
int ivpn_v1_keep_copy(ipsecvpn_engine *e, uint8_t **dst, size_t *dst_len, const uint8_t *p,
                      size_t len);
/* Finish m (freed), keep it for retransmission (timed: we wait for an answer; answers: the
 * peer message it answers, for duplicates) and send it. */
int ivpn_v1_p1_send(ipsecvpn_engine *e, ivpn_v1_sa *sa, ivpn_v1_msg *m, bool timed,
                    const uint8_t *answers, size_t answers_len, uint64_t now);
/* The SA payload of a received message, decoded (*out allocated). */
int ivpn_v1_p1_decode_sa(ipsecvpn_engine *e, const ivpn_v1_rx *rx, ivpn_isakmp_sa **out);
/* The peer's nonce from a message (checked: 8..256 bytes). */
int ivpn_v1_p1_take_nonce(ipsecvpn_engine *e, const ivpn_v1_rx *rx, uint8_t *dst,
                          size_t *dst_len);
/* Initiator, first message (MM1 / AM1): begins m with our SA payload (our one proposal),
 * whose body is kept as SAi_b. */
int ivpn_v1_p1_offer(ipsecvpn_engine *e, const ivpn_conn *c, ivpn_v1_sa *sa, ivpn_v1_msg *m);
/* ... and ends it: vendor IDs, sent on the retransmission timer; the SA is then in state. */
int ivpn_v1_p1_offer_send(ipsecvpn_engine *e, ivpn_v1_sa *sa, ivpn_v1_msg *m,
                          ivpn_v1_p1_state state, uint64_t now);
/* Responder, first message (MM1 / AM1): cookies, endpoints and mode of the new SA, the
 * transform we accept (into reply) and SAi_b; NO_PROPOSAL_CHOSEN is sent on a refusal. */
int ivpn_v1_p1_choose(ipsecvpn_engine *e, ivpn_conn *c, const ivpn_v1_rx *rx,
                      const ipsecvpn_endpoint *local, const ipsecvpn_endpoint *remote,
                      ivpn_v1_sa *sa, ivpn_isakmp_sa *reply);
/* Responder to MM1 / AM1: what differs between the modes. `answer` builds our answer into
 * m (ivpn_v1_msg_begin included) for the new SA, whose transform ivpn_v1_p1_choose put in
 * reply. */
typedef struct ivpn_v1_first {
    ivpn_isakmp_msg_kind kind;     /* IVPN_V1_MSG_MM1 or IVPN_V1_MSG_AM1 */
    ivpn_v1_p1_state state;        /* of the SA once answered */
    bool timed;                    /* our answer is retransmitted on a timer */
    int (*answer)(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, const ivpn_v1_rx *rx,
                  const ivpn_isakmp_sa *reply, ivpn_v1_msg *m);
} ivpn_v1_first;
/* The last step of the exchange on our side returned rc (sending our last message, or the
 * check of the peer's): the SA is aborted with rc, or it is established. Returns rc. */
int ivpn_v1_p1_conclude(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, int rc, uint64_t now);
/* The first answer of each mode: MM2 (main.c), AM2 (aggressive.c). */
extern const ivpn_v1_first ivpn_v1_main_first;
extern const ivpn_v1_first ivpn_v1_aggr_first;
/* Answer a first message: a new half-open responder SA in its slot, or an error (nothing
 * kept; NO_PROPOSAL_CHOSEN sent where no transform is acceptable). */
int ivpn_v1_p1_respond(ipsecvpn_engine *e, ivpn_conn *c, const ipsecvpn_endpoint *local,
                       const ipsecvpn_endpoint *remote, const uint8_t *msg, size_t len,
                       uint64_t now, const ivpn_v1_first *how);
/* Fresh DH (the SA's group) and our nonce (ni or nr by role); our public value goes to gxi
 * or gxr (allocated). */
int ivpn_v1_p1_dh_nonce(ipsecvpn_engine *e, ivpn_v1_sa *sa);
/* g^xy from the peer's KE, then SKEYID.., the encryption key and the phase-1 IV. */
int ivpn_v1_p1_keys(ipsecvpn_engine *e, const ivpn_conn *c, ivpn_v1_sa *sa,
                    const uint8_t *peer_ke, size_t peer_ke_len);
/* HASH_I (initiator side) or HASH_R over an ID payload body. */
int ivpn_v1_p1_hash(const ivpn_v1_sa *sa, bool of_initiator, const uint8_t *id_b, size_t id_len,
                    uint8_t *out, size_t *out_len);
/* Our ID payload body (type, protocol, port, data) for HASH and for the message. */
size_t ivpn_v1_p1_id_body(const ivpn_conn *c, const ivpn_v1_sa *sa, uint8_t *out, size_t cap);
/* Check the peer's ID payload body and its HASH: IPSECVPN_OK or IPSECVPN_ERR_IKE_AUTH. */
int ivpn_v1_p1_verify(ipsecvpn_engine *e, const ivpn_conn *c, const ivpn_v1_sa *sa,
                      bool of_initiator, ivpn_span id_b, ivpn_span hash);
/* Whether the datagram is the peer message rtx answers (nothing is sent). */
bool ivpn_v1_rtx_is_repeat(const ivpn_v1_rtx *rtx, const uint8_t *msg, size_t len);
/* Append a payload whose body is given bytes. */
void ivpn_v1_msg_raw(ivpn_v1_msg *m, uint8_t type, const uint8_t *body, size_t len);
/* The payload body of `type` in a received message (the first one), or NULL. */
const ivpn_span *ivpn_v1_rx_body(const ivpn_v1_rx *rx, uint8_t type);
/* Unprotected informational notify answering a phase-1 message we refuse (no SA kept). */
void ivpn_v1_refuse(ipsecvpn_engine *e, const ipsecvpn_endpoint *local,
                    const ipsecvpn_endpoint *remote, const ivpn_isakmp_header *h, uint16_t type);

/* proposal.c: the phase-1 SA payload from the IKE policy (RFC 2409 Appendix A). */
/* Our one proposal with one transform. */
void ivpn_v1_p1_proposal(const ivpn_conn *c, ivpn_isakmp_sa *out);
/* Responder: the first offered transform we accept; sets the SA's algorithms and fills
 * `reply` (the chosen proposal with that one transform). IPSECVPN_ERR_IKE_NO_PROPOSAL. */
int ivpn_v1_p1_select(ipsecvpn_engine *e, const ivpn_conn *c, const ivpn_isakmp_sa *offered,
                      ivpn_v1_sa *sa, ivpn_isakmp_sa *reply);
/* Initiator: the responder's choice must be our transform. */
int ivpn_v1_p1_check_reply(ipsecvpn_engine *e, const ivpn_conn *c, const ivpn_isakmp_sa *reply,
                           ivpn_v1_sa *sa);
/* Encode an SA payload body into buf (for SAi_b and the message). 0 on overflow. */
size_t ivpn_v1_sa_body(const ivpn_isakmp_sa *sa, uint8_t *buf, size_t cap);

/* natt.c: RFC 3947 NAT traversal and the RFC 3706 vendor ID. */
void ivpn_v1_add_vids(ivpn_v1_msg *m);
void ivpn_v1_read_vids(ivpn_v1_sa *sa, const ivpn_v1_rx *rx);
/* NAT-D payloads: the peer's address as we send to it, then ours (randomised when the
 * connection forces NAT-T, so both sides encapsulate). Only when the peer speaks RFC 3947. */
int ivpn_v1_add_natd(ipsecvpn_engine *e, const ivpn_conn *c, const ivpn_v1_sa *sa,
                     ivpn_v1_msg *m);
/* Compare the peer's NAT-D payloads with the datagram's endpoints. */
void ivpn_v1_check_natd(ivpn_v1_sa *sa, const ivpn_v1_rx *rx, const ipsecvpn_endpoint *local,
                        const ipsecvpn_endpoint *remote);
/* Initiator: move to the NAT-T port when a NAT was seen (from MM5 / AM3 on). */
void ivpn_v1_float(const ipsecvpn_engine *e, const ivpn_conn *c, ivpn_v1_sa *sa);
/* Responder: follow the peer to the endpoints of its authenticated datagram. */
void ivpn_v1_follow(ivpn_v1_sa *sa, const ipsecvpn_endpoint *local,
                    const ipsecvpn_endpoint *remote);
/* Keepalives while we are behind a NAT: arm on establishment, send when due. */
void ivpn_v1_keepalive_arm(const ipsecvpn_engine *e, const ivpn_conn *c, ivpn_v1_sa *sa,
                           uint64_t now);
void ivpn_v1_keepalive_due(ipsecvpn_engine *e, ivpn_v1_sa *sa, uint64_t now);

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

/* p2_proposal.c: what quick mode negotiates (RFC 2407 §4.5, §4.6.2). The ESP proposal of the
 * IPsec policy, one transform; `floated`: the ISAKMP SA went to UDP encapsulation (RFC 3947). */
typedef struct ivpn_v1_p2_choice {
    ivpn_algs algs;           /* encr, encr_bits, integ; dh = the PFS group (0: none) */
    uint32_t spi;             /* the proposal's SPI: its sender's inbound SA */
    uint32_t lifetime_s;      /* min(ours, theirs) */
    uint16_t encap;           /* IVPN_P2_ENCAP_* as the peer sent it */
    bool transport;
    uint8_t proposal_num, transform_num, transform_id;
} ivpn_v1_p2_choice;
bool ivpn_v1_p2_floated(const ivpn_v1_sa *sa);
int ivpn_v1_p2_proposal(const ivpn_conn_ipsec *v, uint32_t spi_in, bool floated,
                        ivpn_isakmp_sa *out);
/* Responder: the first acceptable transform of the offer. IPSECVPN_ERR_IKE_NO_PROPOSAL. */
int ivpn_v1_p2_select(const ivpn_isakmp_sa *offered, const ivpn_conn_ipsec *v,
                      ivpn_v1_p2_choice *out);
/* Initiator: the answer must be one proposal with one transform we accept. */
int ivpn_v1_p2_check_reply(const ivpn_isakmp_sa *reply, const ivpn_conn_ipsec *v,
                           ivpn_v1_p2_choice *out);
/* The responder's SA payload: the chosen transform with our SPI and the lifetime agreed. */
void ivpn_v1_p2_reply(const ivpn_v1_p2_choice *ch, uint32_t spi_in, ivpn_isakmp_sa *out);
/* IDci/IDcr <-> one selector: ID_IPV4/IPV6_ADDR_SUBNET (ADDR_RANGE when the range is not a
 * prefix). buf holds the ID data (32 bytes). Decoding takes ADDR, ADDR_SUBNET, ADDR_RANGE
 * into out->ts[0] (out needs storage for one selector). */
void ivpn_v1_id_from_ts(const ivpn_ts *t, ivpn_isakmp_id *id, uint8_t buf[32]);
int ivpn_v1_id_to_ts(const ivpn_isakmp_id *id, ivpn_ts_set *out);

/* quick.c / info.c / dpd.c helpers shared by the phase-2 files */
/* A random non-zero message ID no quick mode of the SA uses. */
int ivpn_v1_new_msgid(ipsecvpn_engine *e, const ivpn_v1_sa *sa, uint32_t *out);
/* The first IV of a quick-mode or informational exchange (RFC 2409 Appendix B). */
int ivpn_v1_p2_iv(const ivpn_v1_sa *sa, uint32_t msgid, uint8_t iv[IVPN_V1_BLOCK_MAX]);
/* Check HASH(1)/HASH(2) of a received message: prf(SKEYID_a, M-ID [| Ni_b] | payloads after
 * the HASH payload). The first payload of rx must be the HASH. */
int ivpn_v1_p2_hash_check(const ivpn_v1_sa *sa, const ivpn_v1_rx *rx, const uint8_t *ni,
                          size_t ni_len);
/* Fill the HASH slot at hash_at of m over the payloads written after it. */
int ivpn_v1_p2_hash_fill(const ivpn_v1_sa *sa, ivpn_v1_msg *m, size_t hash_at, uint32_t msgid,
                         const uint8_t *ni, size_t ni_len);
/* Whether any quick mode we initiated is in progress under the SA. */
bool ivpn_v1_qm_pending(const ivpn_v1_sa *sa);
/* A protected error notify from the peer about our quick mode (spi: its SPI or 0). */
void ivpn_v1_qm_refused(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, uint32_t spi,
                        int reason, uint64_t now);
/* Run the quick-mode timers of an SA (retransmission, dropping finished exchanges); false
 * when the connection's SAs were freed (the peer gave up answering). */
bool ivpn_v1_qm_expiry(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, uint64_t now);
uint64_t ivpn_v1_qm_next_expiry(const ivpn_v1_sa *sa);
/* A Child SA pair is no longer needed: tell the peer (Delete of its inbound SPI), remove it
 * (ch is invalid afterwards). */
void ivpn_v1_child_delete(ipsecvpn_engine *e, ivpn_conn *c, ivpn_child *ch);
/* DPD (dpd.c): the peer's R-U-THERE / R-U-THERE-ACK; the timer (false: the peer was
 * declared dead and the connection's SAs are freed); the peer is gone. */
void ivpn_v1_dpd_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa,
                    const ivpn_isakmp_notify *n, uint64_t now);
bool ivpn_v1_dpd_expiry(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, uint64_t now);
void ivpn_v1_peer_dead(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now);

#endif
