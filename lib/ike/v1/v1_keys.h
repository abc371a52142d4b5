/*
 * IKEv1 key material and hashes (RFC 2409), pure functions over bytes so each one is checked
 * against known answers on its own. "prf" is the HMAC of the negotiated hash (ipsecvpn_prf
 * IDs: HMAC_MD5, HMAC_SHA1, HMAC_SHA2_256/384/512); "hash" is the bare hash of the same
 * function (used for the IVs and NAT-D). Lengths are the PRF output length unless said.
 */
#ifndef IVPN_IKE_V1_KEYS_H
#define IVPN_IKE_V1_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "ipsecvpn/net.h"

#define IVPN_V1_KEY_MAX 64     /* SHA-512 output */
#define IVPN_V1_BLOCK_MAX 16   /* AES block; 8 for DES/3DES */

/* The HMAC PRF (ipsecvpn_prf) of an IKEv1 phase-1 hash attribute value (IVPN_P1_HASH_*);
 * 0 when unknown. And back. */
uint16_t ivpn_v1_prf_of_hash(uint16_t p1_hash);
uint16_t ivpn_v1_hash_of_prf(uint16_t prf);

/* The SKEYID family (RFC 2409 §5, pre-shared keys):
 *   SKEYID   = prf(pre-shared-key, Ni_b | Nr_b)
 *   SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
 *   SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
 *   SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
 * Each output is *len (= the PRF output length) bytes. */
typedef struct ivpn_v1_skeyid {
    uint8_t skeyid[IVPN_V1_KEY_MAX];
    uint8_t d[IVPN_V1_KEY_MAX];
    uint8_t a[IVPN_V1_KEY_MAX];
    uint8_t e[IVPN_V1_KEY_MAX];
    size_t len;
} ivpn_v1_skeyid;
int ivpn_v1_skeyid_psk(uint16_t prf, const uint8_t *psk, size_t psk_len, const uint8_t *ni,
                       size_t ni_len, const uint8_t *nr, size_t nr_len, const uint8_t *gxy,
                       size_t gxy_len, const uint8_t cky_i[8], const uint8_t cky_r[8],
                       ivpn_v1_skeyid *out);

/* The phase-1 encryption key (RFC 2409 Appendix B): the first key_len bytes of SKEYID_e,
 * or, when SKEYID_e is shorter, of Ka = K1 | K2 | ... with K1 = prf(SKEYID_e, 0) (one zero
 * octet) and Kn = prf(SKEYID_e, Kn-1). */
int ivpn_v1_enc_key(uint16_t prf, const uint8_t *skeyid_e, size_t e_len, uint8_t *key,
                    size_t key_len);

/* HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)
 * HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
 * Callers pass the pieces in the order of the side: for HASH_R, gx_self = g^xr, gx_peer = g^xi,
 * cky_self = CKY-R, cky_peer = CKY-I. SAi_b is the initiator's whole SA payload body and ID_b
 * the ID payload body (generic header excluded). */
int ivpn_v1_hash_auth(uint16_t prf, const uint8_t *skeyid, size_t skeyid_len,
                      const uint8_t *gx_self, size_t gx_self_len, const uint8_t *gx_peer,
                      size_t gx_peer_len, const uint8_t cky_self[8], const uint8_t cky_peer[8],
                      const uint8_t *sai_b, size_t sai_len, const uint8_t *id_b, size_t id_len,
                      uint8_t *out);

/* IVs (RFC 2409 Appendix B): phase 1: hash(g^xi | g^xr); quick mode and informational
 * exchanges: hash(last phase-1 CBC block | M-ID) (M-ID in network order). The first
 * block_len bytes are the IV. */
int ivpn_v1_iv_phase1(uint16_t prf, const uint8_t *gxi, size_t gxi_len, const uint8_t *gxr,
                      size_t gxr_len, uint8_t *iv, size_t block_len);
int ivpn_v1_iv_phase2(uint16_t prf, const uint8_t *last_block, size_t block_len,
                      uint32_t message_id, uint8_t *iv);

/* Message bodies in CBC under the phase-1 key (RFC 2409 §5.3 / Appendix B). len is a
 * multiple of the block size (the engine pads). iv is the chaining IV on input and the last
 * ciphertext block (the next IV) on return. In place. */
int ivpn_v1_encrypt(const ipsecvpn_ctx *ctx, uint16_t encr, uint16_t key_bits,
                    const uint8_t *key, size_t key_len, uint8_t *iv, uint8_t *buf, size_t len);
int ivpn_v1_decrypt(const ipsecvpn_ctx *ctx, uint16_t encr, uint16_t key_bits,
                    const uint8_t *key, size_t key_len, uint8_t *iv, uint8_t *buf, size_t len);

/* prf(SKEYID_a, pieces...) for the quick-mode and informational hashes:
 *   HASH(1) = prf(SKEYID_a, M-ID | <payloads after HASH(1), whole>)
 *   HASH(2) = prf(SKEYID_a, M-ID | Ni_b | <payloads after HASH(2), whole>)
 *   HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
 * The engine passes the pieces (ivpn_buf_ref); this adds nothing but the M-ID encoding. */
/* (v1-keys) rest pieces that are adjacent in memory are joined; after joining, M-ID, Ni_b and
 * the rest must fit IVPN_PRF_MAX_PIECES, else IPSECVPN_ERR_INVALID_ARG. nonce_i NULL/0 for
 * HASH(1). */
int ivpn_v1_hash_msgid(uint16_t prf, const uint8_t *skeyid_a, size_t a_len, uint32_t msgid,
                       const uint8_t *nonce_i, size_t ni_len, const ivpn_buf_ref *rest,
                       size_t n_rest, uint8_t *out);
int ivpn_v1_hash3(uint16_t prf, const uint8_t *skeyid_a, size_t a_len, uint32_t msgid,
                  const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                  uint8_t *out);

/* KEYMAT (RFC 2409 §5.5) for one direction's SA, expanded to len bytes:
 *   K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)
 *   Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)
 * gxy NULL/0 without PFS; spi is the SPI of the SA the keys are for (its receiver chose it). */
int ivpn_v1_keymat(uint16_t prf, const uint8_t *skeyid_d, size_t d_len, const uint8_t *gxy,
                   size_t gxy_len, uint8_t protocol, uint32_t spi, const uint8_t *ni,
                   size_t ni_len, const uint8_t *nr, size_t nr_len, uint8_t *out, size_t len);

/* NAT-D (RFC 3947 §3.2): HASH = hash(CKY-I | CKY-R | IP | Port), the full hash output. */
/* (v1-keys) out needs room for IVPN_V1_KEY_MAX bytes; *out_len is output only (the hash
 * length). */
int ivpn_v1_natd(uint16_t prf, const uint8_t cky_i[8], const uint8_t cky_r[8],
                 const ipsecvpn_endpoint *ep, uint8_t *out, size_t *out_len);

#endif
