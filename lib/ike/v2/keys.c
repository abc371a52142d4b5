/*
 * IKEv2 key material.
 *
 *   SKEYSEED = prf(Ni | Nr, g^ir)                                          (§2.14)
 *   rekeyed: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)              (§2.18)
 *   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *            = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
 *   KEYMAT   = prf+(SK_d, [g^ir (new) |] Ni | Nr)                          (§2.17)
 *   AUTH     = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>) (§2.15)
 */
#include <string.h>

#include "ike/v2/v2_internal.h"

int ivpn_ikev2_derive_ike_keys(ivpn_ike_sa *sa, const uint8_t *gir, size_t gir_len,
                               const ivpn_ike_sa *old)
{
    const ivpn_prf_info *prf = ivpn_prf_lookup(sa->algs.prf);
    const ivpn_cipher_info *ci = ivpn_cipher_lookup(sa->algs.encr, sa->algs.encr_bits);
    const ivpn_integ_info *ii = sa->algs.integ ? ivpn_integ_lookup(sa->algs.integ) : NULL;
    if (!prf || !ci || (!ci->aead && !ii))
        return IPSECVPN_ERR_CRYPTO_ALG;
    sa->prf_len = prf->out_len;
    sa->encr_len = (size_t)ci->key_len + ci->salt_len;
    sa->integ_len = ii ? ii->key_len : 0;
    if (sa->encr_len > IVPN_KEY_MAX || sa->integ_len > IVPN_KEY_MAX)
        return IPSECVPN_ERR_CRYPTO_ALG;

    uint8_t nonces[512], seed[512 + 16], skeyseed[IVPN_KEY_MAX];
    memcpy(nonces, sa->ni, sa->ni_len);
    memcpy(nonces + sa->ni_len, sa->nr, sa->nr_len);
    size_t nn = sa->ni_len + sa->nr_len;
    int rc;
    if (old) {
        /* rekey (§2.18): SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), the old SA's PRF */
        ivpn_buf_ref pieces[2] = { { gir, gir_len }, { nonces, nn } };
        rc = ivpn_prf_multi(old->algs.prf, old->sk_d, old->prf_len, pieces, 2, skeyseed);
    } else {
        rc = ivpn_prf(sa->algs.prf, nonces, nn, gir, gir_len, skeyseed);
    }
    if (rc != IPSECVPN_OK)
        return rc;
    memcpy(seed, nonces, nn);
    memcpy(seed + nn, sa->spi_i, 8);
    memcpy(seed + nn + 8, sa->spi_r, 8);

    size_t total = 3 * sa->prf_len + 2 * sa->integ_len + 2 * sa->encr_len;
    uint8_t km[7 * IVPN_KEY_MAX];
    rc = ivpn_prf_plus(sa->algs.prf, skeyseed, sa->prf_len, seed, nn + 16, km, total);
    if (rc == IPSECVPN_OK) {
        const uint8_t *p = km;
        memcpy(sa->sk_d, p, sa->prf_len);    p += sa->prf_len;
        memcpy(sa->sk_ai, p, sa->integ_len); p += sa->integ_len;
        memcpy(sa->sk_ar, p, sa->integ_len); p += sa->integ_len;
        memcpy(sa->sk_ei, p, sa->encr_len);  p += sa->encr_len;
        memcpy(sa->sk_er, p, sa->encr_len);  p += sa->encr_len;
        memcpy(sa->sk_pi, p, sa->prf_len);   p += sa->prf_len;
        memcpy(sa->sk_pr, p, sa->prf_len);
    }
    ivpn_wipe(skeyseed, sizeof(skeyseed));
    ivpn_wipe(km, sizeof(km));
    return rc;
}

int ivpn_ikev2_child_keymat(const ivpn_ike_sa *sa, const uint8_t *gir, size_t gir_len,
                            const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                            uint8_t *out, size_t len)
{
    uint8_t seed[1024 + 512];
    if (gir_len > 1024 || ni_len > 256 || nr_len > 256)
        return IPSECVPN_ERR_INVALID_ARG;
    size_t n = 0;
    if (gir_len) {
        memcpy(seed, gir, gir_len);
        n = gir_len;
    }
    memcpy(seed + n, ni, ni_len);
    n += ni_len;
    memcpy(seed + n, nr, nr_len);
    n += nr_len;
    int rc = ivpn_prf_plus(sa->algs.prf, sa->sk_d, sa->prf_len, seed, n, out, len);
    ivpn_wipe(seed, n);
    return rc;
}

int ivpn_ikev2_psk_auth(uint16_t prf, const uint8_t *psk, size_t psk_len, const uint8_t *msg,
                        size_t msg_len, const uint8_t *nonce, size_t nonce_len,
                        const uint8_t *sk_p, size_t sk_p_len, const uint8_t *id_body,
                        size_t id_len, uint8_t *out, size_t *out_len)
{
    static const char pad[] = "Key Pad for IKEv2"; /* 17 octets, no NUL (§2.15) */
    const ivpn_prf_info *info = ivpn_prf_lookup(prf);
    if (!info)
        return IPSECVPN_ERR_CRYPTO_ALG;
    uint8_t key[IVPN_KEY_MAX], maced_id[IVPN_KEY_MAX];
    int rc = ivpn_prf(prf, psk, psk_len, (const uint8_t *)pad, sizeof(pad) - 1, key);
    if (rc == IPSECVPN_OK)
        rc = ivpn_prf(prf, sk_p, sk_p_len, id_body, id_len, maced_id);
    if (rc == IPSECVPN_OK) {
        ivpn_buf_ref pieces[3] = { { msg, msg_len }, { nonce, nonce_len },
                                   { maced_id, info->out_len } };
        rc = ivpn_prf_multi(prf, key, info->out_len, pieces, 3, out);
        *out_len = info->out_len;
    }
    ivpn_wipe(key, sizeof(key));
    return rc;
}
