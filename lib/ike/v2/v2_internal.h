/*
 * Internal to lib/ike/v2: key material, the SK payload, message building and sending, and
 * the exchange handlers. Each exchange file annotates its steps in RFC 7296 notation.
 */
#ifndef IVPN_IKE_V2_INTERNAL_H
#define IVPN_IKE_V2_INTERNAL_H

#include "core/engine_internal.h"
#include "ike/common/child_sa.h"
#include "ike/v2/ikev2.h"
#include "wire/ikev2_bodies.h"
#include "wire/ikev2_chain.h"
#include "wire/ikev2_rules.h"

/* ---- keys.c: SKEYSEED and SK_* (§2.14), Child KEYMAT (§2.17), PSK AUTH (§2.15) -------- */
/* old: the IKE SA being rekeyed (SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)) or NULL. */
int ivpn_ikev2_derive_ike_keys(ivpn_ike_sa *sa, const uint8_t *gir, size_t gir_len,
                               const ivpn_ike_sa *old);
/* KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) */
int ivpn_ikev2_child_keymat(const ivpn_ike_sa *sa, const uint8_t *gir, size_t gir_len,
                            const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                            uint8_t *out, size_t len);
/* AUTH = prf(prf(PSK, "Key Pad for IKEv2"), <Message> | <Nonce> | prf(SK_p, <ID body>)) */
int ivpn_ikev2_psk_auth(uint16_t prf, const uint8_t *psk, size_t psk_len, const uint8_t *msg,
                        size_t msg_len, const uint8_t *nonce, size_t nonce_len,
                        const uint8_t *sk_p, size_t sk_p_len, const uint8_t *id_body,
                        size_t id_len, uint8_t *out, size_t *out_len);

/* ---- natd.c: NAT_DETECTION_*_IP hashes (§2.23) ---------------------------------------- */
#define IVPN_NATD_LEN 20
int ivpn_ikev2_natd_hash(const uint8_t spi_i[8], const uint8_t spi_r[8],
                         const ipsecvpn_endpoint *ep, uint8_t out[IVPN_NATD_LEN]);

/* ---- init.c: the peer's path (§2.11, §2.23) and nonce sizes (§2.10) -------------------- */
typedef struct ivpn_peer_path {
    ipsecvpn_endpoint local, remote; /* the SA's path before the request */
    bool natt;
    bool established;                /* the SA was established before the request */
} ivpn_peer_path;
/* Answer a request where it came from; *saved keeps the SA's path until path_settle. */
void ivpn_ikev2_path_answer(ivpn_ike_sa *sa, const ipsecvpn_endpoint *local,
                            const ipsecvpn_endpoint *remote, ivpn_peer_path *saved);
/* After the request: keep the new path only as §2.23 allows; the Child SAs follow the SA. */
void ivpn_ikev2_path_settle(ipsecvpn_engine *e, ivpn_conn *c, ivpn_ike_sa *sa,
                            const ivpn_peer_path *saved);
/* A peer nonce of len bytes is long enough for this PRF. */
bool ivpn_ikev2_nonce_ok(uint16_t prf, size_t len);

/* ---- msg.c: building, protecting, sending ----------------------------------------------- */
/* A message under construction: its inner chain (or the whole chain of IKE_SA_INIT). */
typedef struct ivpn_msg {
    uint8_t buf[IVPN_IKE_MSG_MAX];
    ivpn_writer w;
    ivpn_ikev2_chain_writer cw;
} ivpn_msg;

void ivpn_msg_begin(ivpn_msg *m);
/* Add helpers: each opens a payload, encodes it and closes it. */
void ivpn_msg_notify(ivpn_msg *m, uint8_t proto, const uint8_t *spi, uint8_t spi_size,
                     uint16_t type, const uint8_t *data, size_t len);
void ivpn_msg_payload_raw(ivpn_msg *m, uint8_t type, const uint8_t *body, size_t len);
/* Finish: an unencrypted message (IKE_SA_INIT) or one whose chain goes into SK. The result
 * is allocated (*out, free with ivpn_free). */
int ivpn_msg_finish_plain(ipsecvpn_engine *e, const ivpn_ike_sa *sa, uint8_t exchange,
                          bool response, uint32_t msgid, ivpn_msg *m, uint8_t **out,
                          size_t *out_len);
int ivpn_msg_finish_sk(ipsecvpn_engine *e, const ivpn_ike_sa *sa, uint8_t exchange,
                       bool response, uint32_t msgid, ivpn_msg *m, uint8_t **out,
                       size_t *out_len);

/* A received message, decoded. */
typedef struct ivpn_rx {
    ivpn_ikev2_header hdr;
    ivpn_ikev2_payload_list outer, inner;
    ivpn_ikev2_bodies b;
    uint8_t *plain;     /* decrypted SK content (allocated) */
    size_t plain_len;
    const uint8_t *msg; /* the datagram */
    size_t len;
} ivpn_rx;
/* Verify and decrypt the SK payload, check the rules, decode the inner bodies. */
int ivpn_rx_open(ipsecvpn_engine *e, const ivpn_ike_sa *sa, ivpn_rx *rx);

/* Send a request (kept for retransmission; takes ownership of msg). */
int ivpn_ikev2_send_request(ipsecvpn_engine *e, ivpn_ike_sa *sa, ivpn_req_kind kind,
                            uint8_t *msg, size_t len, uint64_t now);
/* Send a response (cached for a retransmitted request; takes ownership of msg). */
int ivpn_ikev2_send_response(ipsecvpn_engine *e, ivpn_ike_sa *sa, uint32_t msgid, uint8_t *msg,
                             size_t len);
/* The request is answered: forget it and move the window on. */
void ivpn_ikev2_request_done(ipsecvpn_engine *e, ivpn_ike_sa *sa);
/* Build, protect and send an SK response that carries one error notify. */
int ivpn_ikev2_respond_error(ipsecvpn_engine *e, ivpn_ike_sa *sa, uint8_t exchange,
                             uint32_t msgid, uint16_t type);

/* ---- init.c / auth.c / child.c / info.c: the exchanges ---------------------------------- */
int ivpn_ikev2_init_request_rx(ipsecvpn_engine *e, const ipsecvpn_endpoint *local,
                               const ipsecvpn_endpoint *remote, ivpn_rx *rx, uint64_t now,
                               uint32_t *conn_id);
void ivpn_ikev2_reject_init(ipsecvpn_engine *e, const ipsecvpn_endpoint *local,
                            const ipsecvpn_endpoint *remote, const ivpn_rx *rx);
int ivpn_ikev2_init_response_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx, uint64_t now);
int ivpn_ikev2_auth_send(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now);
int ivpn_ikev2_auth_request_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx, uint64_t now);
int ivpn_ikev2_auth_response_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx, uint64_t now);
int ivpn_ikev2_info_request_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx, uint64_t now);
int ivpn_ikev2_info_response_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx, uint64_t now);
int ivpn_ikev2_dpd_send(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now);
int ivpn_ikev2_delete_child_send(ipsecvpn_engine *e, ivpn_conn *c, uint32_t spi_in,
                                 uint64_t now);
int ivpn_ikev2_create_child_request_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx,
                                       uint64_t now);
int ivpn_ikev2_create_child_response_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx,
                                        uint64_t now);
/* rekey.c: CREATE_CHILD_SA requests. Rekey the first current pair / the pair `old`; open an
 * additional pair for these selectors (ours, the peer's). */
int ivpn_ikev2_rekey_child_send(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now);
int ivpn_ikev2_rekey_pair_send(ipsecvpn_engine *e, ivpn_conn *c, ivpn_child *old, uint64_t now);
int ivpn_ikev2_create_child_send(ipsecvpn_engine *e, ivpn_conn *c, const ivpn_ts_set *local,
                                 const ivpn_ts_set *remote, uint64_t now);
/* Free the state of our CREATE_CHILD_SA in progress (sa->cx). */
void ivpn_ikev2_cx_free(ipsecvpn_engine *e, ivpn_ike_sa *sa);
/* ike_rekey.c: IKE SA rekey (§1.3.2, §2.18) */
int ivpn_ikev2_rekey_ike_send(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now);
int ivpn_ikev2_rekey_ike_request_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx, uint64_t now);
int ivpn_ikev2_rekey_ike_response_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx,
                                     uint64_t now);
/* A message for the replaced IKE SA: only its deletion is still of interest. */
int ivpn_ikev2_old_sa_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx, uint64_t now);
/* Free the replaced IKE SA. */
void ivpn_ikev2_drop_old(ipsecvpn_engine *e, ivpn_conn *c);
/* Shared builders (init.c) */
void ivpn_ikev2_add_sa(ivpn_msg *m, const ivpn_ikev2_sa *sa);
void ivpn_ikev2_add_nonce(ivpn_msg *m, const uint8_t *n, size_t len);
int ivpn_ikev2_add_ke(ivpn_msg *m, const ivpn_dh *dh, uint16_t group);

/* child.c: the Child SA's mode (§1.3.1, N(USE_TRANSPORT_MODE)). Our policy asks for
 * transport mode; the message carries the notify. */
bool ivpn_ikev2_policy_transport(const ivpn_conn *c);
bool ivpn_ikev2_rx_transport(const ivpn_rx *rx);
/* Responder: the mode a request gets under our policy (*transport), or the error notify to
 * refuse it with (NO_PROPOSAL_CHOSEN: a tunnel request under a transport policy). */
uint16_t ivpn_ikev2_mode_answer(ipsecvpn_engine *e, const ivpn_conn *c, const ivpn_rx *rx,
                                bool *transport);
/* Initiator: the answer has the mode we asked for (else one log line: we refuse it). */
bool ivpn_ikev2_mode_accepted(ipsecvpn_engine *e, const ivpn_rx *rx, bool asked_transport);
/* Both sides narrowed to the IKE SA's own addresses; IPSECVPN_ERR_IKE_TS (logged) when the
 * selectors do not hold them. */
int ivpn_ikev2_mode_ts(ipsecvpn_engine *e, const ivpn_conn *c, const ivpn_ts_set *local,
                       const ivpn_ts_set *remote, ivpn_ts_set *out_local, ivpn_ts_set *out_remote);
/* child.c: derive KEYMAT and add a Child SA pair to the connection; rekey_of: spi_in of the
 * pair it replaces, which is retired (0: a new pair). we_initiated: we sent the request of
 * this exchange. transport: transport mode (else tunnel). */
int ivpn_child_install(ipsecvpn_engine *e, ivpn_conn *c, const ivpn_algs *a, uint32_t spi_in,
                       uint32_t spi_out, const ivpn_ts_set *local_ts,
                       const ivpn_ts_set *remote_ts, const uint8_t *gir, size_t gir_len,
                       const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                       bool we_initiated, bool transport, uint32_t rekey_of, uint64_t now);
/* ivpn_child_remove, ivpn_soft_lifetime_ms, ivpn_child_new_spi: ike/common/child_sa.h */

/* ikev2.c: SA lifecycle helpers */
ivpn_ike_sa *ivpn_ike_sa_new(ipsecvpn_engine *e, ivpn_conn *c, bool initiator);
void ivpn_ike_sa_free(ipsecvpn_engine *e, ivpn_ike_sa *sa);
/* The SA is established: free what only its creation needed (DH, nonces, IKE_SA_INIT). */
void ivpn_ike_sa_forget_setup(ipsecvpn_engine *e, ivpn_ike_sa *sa);
/* Negotiation failed or the SA died: free it and its children, set the status. */
void ivpn_ikev2_fail(ipsecvpn_engine *e, ivpn_conn *c, ipsecvpn_status status, int reason);
/* The SA is up: timers for DPD and keepalives. */
void ivpn_ikev2_established(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now);
/* Build the ID payload body of one side from the configuration. */
size_t ivpn_ikev2_id_body(const ivpn_conn *c, bool local, uint8_t *out, size_t cap);

#endif
