/*
 * IKEv1 key material and keyed hashes (RFC 2409 §5, §5.5, Appendix B; RFC 3947 §3.2).
 * Pure functions over bytes: every formula is one ivpn_prf_multi / ivpn_hash_multi call over
 * the pieces the RFC names, in the RFC's order, so each can be checked against known answers.
 * The CBC side (IVs, message encryption) is in v1_crypt.c.
 */
#include <string.h>

#include "ike/v1/v1_keys.h"
#include "wire/isakmp.h"

/* Phase-1 hash attribute (RFC 2409 Appendix A, RFC 4868 for SHA-2) <-> HMAC PRF. */
static const struct {
    uint16_t p1_hash;
    uint16_t prf;
} hash_prf_map[] = {
    {IVPN_P1_HASH_MD5, IPSECVPN_PRF_HMAC_MD5},
    {IVPN_P1_HASH_SHA1, IPSECVPN_PRF_HMAC_SHA1},
    {IVPN_P1_HASH_SHA256, IPSECVPN_PRF_HMAC_SHA2_256},
    {IVPN_P1_HASH_SHA384, IPSECVPN_PRF_HMAC_SHA2_384},
    {IVPN_P1_HASH_SHA512, IPSECVPN_PRF_HMAC_SHA2_512},
};
#define MAP_LEN (sizeof(hash_prf_map) / sizeof(hash_prf_map[0]))

uint16_t ivpn_v1_prf_of_hash(uint16_t p1_hash)
{
    for (size_t i = 0; i < MAP_LEN; i++)
        if (hash_prf_map[i].p1_hash == p1_hash)
            return hash_prf_map[i].prf;
    return 0;
}

uint16_t ivpn_v1_hash_of_prf(uint16_t prf)
{
    for (size_t i = 0; i < MAP_LEN; i++)
        if (hash_prf_map[i].prf == prf)
            return hash_prf_map[i].p1_hash;
    return 0;
}

/* Output length of a PRF this file accepts, 0 for an unknown one. */
static size_t prf_len(uint16_t prf)
{
    const ivpn_prf_info *pi = ivpn_prf_lookup(prf);
    if (pi == NULL || pi->out_len > IVPN_V1_KEY_MAX)
        return 0;
    return pi->out_len;
}

static void put_be32(uint8_t out[4], uint32_t v)
{
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
}

int ivpn_v1_skeyid_psk(uint16_t prf, const uint8_t *psk, size_t psk_len, const uint8_t *ni,
                       size_t ni_len, const uint8_t *nr, size_t nr_len, const uint8_t *gxy,
                       size_t gxy_len, const uint8_t cky_i[8], const uint8_t cky_r[8],
                       ivpn_v1_skeyid *out)
{
    static const uint8_t zero = 0, one = 1, two = 2;
    size_t n = prf_len(prf);
    if (n == 0)
        return IPSECVPN_ERR_CRYPTO_ALG;
    if (out == NULL || psk == NULL || psk_len == 0 || ni == NULL || nr == NULL ||
        gxy == NULL || gxy_len == 0 || cky_i == NULL || cky_r == NULL)
        return IPSECVPN_ERR_INVALID_ARG;

    /* SKEYID = prf(pre-shared-key, Ni_b | Nr_b) */
    const ivpn_buf_ref nonces[] = {{ni, ni_len}, {nr, nr_len}};
    int rc = ivpn_prf_multi(prf, psk, psk_len, nonces, 2, out->skeyid);
    /* SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0) */
    const ivpn_buf_ref d[] = {{gxy, gxy_len}, {cky_i, 8}, {cky_r, 8}, {&zero, 1}};
    if (rc == IPSECVPN_OK)
        rc = ivpn_prf_multi(prf, out->skeyid, n, d, 4, out->d);
    /* SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1) */
    const ivpn_buf_ref a[] = {{out->d, n}, {gxy, gxy_len}, {cky_i, 8}, {cky_r, 8}, {&one, 1}};
    if (rc == IPSECVPN_OK)
        rc = ivpn_prf_multi(prf, out->skeyid, n, a, 5, out->a);
    /* SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2) */
    const ivpn_buf_ref e[] = {{out->a, n}, {gxy, gxy_len}, {cky_i, 8}, {cky_r, 8}, {&two, 1}};
    if (rc == IPSECVPN_OK)
        rc = ivpn_prf_multi(prf, out->skeyid, n, e, 5, out->e);

    if (rc != IPSECVPN_OK) {
        ivpn_wipe(out, sizeof(*out));
        return rc;
    }
    out->len = n;
    return IPSECVPN_OK;
}

int ivpn_v1_enc_key(uint16_t prf, const uint8_t *skeyid_e, size_t e_len, uint8_t *key,
                    size_t key_len)
{
    size_t n = prf_len(prf);
    if (n == 0)
        return IPSECVPN_ERR_CRYPTO_ALG;
    if (skeyid_e == NULL || e_len == 0 || key == NULL || key_len == 0)
        return IPSECVPN_ERR_INVALID_ARG;
    if (key_len <= e_len) {
        memcpy(key, skeyid_e, key_len);
        return IPSECVPN_OK;
    }
    /* Appendix B: Ka = K1 | K2 | ..., K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1) */
    static const uint8_t zero = 0;
    uint8_t k[IVPN_V1_KEY_MAX];
    ivpn_buf_ref seed = {&zero, 1};
    size_t done = 0;
    int rc = IPSECVPN_OK;
    while (done < key_len) {
        rc = ivpn_prf_multi(prf, skeyid_e, e_len, &seed, 1, k);
        if (rc != IPSECVPN_OK)
            break;
        size_t take = key_len - done < n ? key_len - done : n;
        memcpy(key + done, k, take);
        done += take;
        seed.p = k;
        seed.len = n;
    }
    ivpn_wipe(k, sizeof(k));
    if (rc != IPSECVPN_OK)
        ivpn_wipe(key, key_len);
    return rc;
}

int ivpn_v1_hash_auth(uint16_t prf, const uint8_t *skeyid, size_t skeyid_len,
                      const uint8_t *gx_self, size_t gx_self_len, const uint8_t *gx_peer,
                      size_t gx_peer_len, const uint8_t cky_self[8], const uint8_t cky_peer[8],
                      const uint8_t *sai_b, size_t sai_len, const uint8_t *id_b, size_t id_len,
                      uint8_t *out)
{
    if (prf_len(prf) == 0)
        return IPSECVPN_ERR_CRYPTO_ALG;
    if (skeyid == NULL || skeyid_len == 0 || gx_self == NULL || gx_peer == NULL ||
        cky_self == NULL || cky_peer == NULL || sai_b == NULL || sai_len == 0 ||
        id_b == NULL || id_len == 0 || out == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    /* HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b), HASH_R mirrored */
    const ivpn_buf_ref pieces[] = {
        {gx_self, gx_self_len}, {gx_peer, gx_peer_len}, {cky_self, 8},
        {cky_peer, 8},          {sai_b, sai_len},       {id_b, id_len},
    };
    return ivpn_prf_multi(prf, skeyid, skeyid_len, pieces, 6, out);
}

int ivpn_v1_hash_msgid(uint16_t prf, const uint8_t *skeyid_a, size_t a_len, uint32_t msgid,
                       const uint8_t *nonce_i, size_t ni_len, const ivpn_buf_ref *rest,
                       size_t n_rest, uint8_t *out)
{
    if (prf_len(prf) == 0)
        return IPSECVPN_ERR_CRYPTO_ALG;
    if (skeyid_a == NULL || a_len == 0 || out == NULL || (nonce_i == NULL && ni_len != 0) ||
        (rest == NULL && n_rest != 0))
        return IPSECVPN_ERR_INVALID_ARG;

    uint8_t mid[4];
    put_be32(mid, msgid);
    ivpn_buf_ref pieces[IVPN_PRF_MAX_PIECES];
    size_t n = 0;
    pieces[n++] = (ivpn_buf_ref){mid, 4};
    if (ni_len != 0)
        pieces[n++] = (ivpn_buf_ref){nonce_i, ni_len};
    /* Payloads that follow each other in the message arrive as neighbouring pieces: join
     * them, so a message with many payloads still fits the PRF's piece limit. */
    for (size_t i = 0; i < n_rest; i++) {
        if (rest[i].len == 0)
            continue;
        if (rest[i].p == NULL)
            return IPSECVPN_ERR_INVALID_ARG;
        ivpn_buf_ref *last = &pieces[n - 1];
        if (n > (ni_len != 0 ? 2u : 1u) && last->p + last->len == rest[i].p) {
            last->len += rest[i].len;
            continue;
        }
        if (n == IVPN_PRF_MAX_PIECES)
            return IPSECVPN_ERR_INVALID_ARG;
        pieces[n++] = rest[i];
    }
    return ivpn_prf_multi(prf, skeyid_a, a_len, pieces, n, out);
}

int ivpn_v1_hash3(uint16_t prf, const uint8_t *skeyid_a, size_t a_len, uint32_t msgid,
                  const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                  uint8_t *out)
{
    if (prf_len(prf) == 0)
        return IPSECVPN_ERR_CRYPTO_ALG;
    if (skeyid_a == NULL || a_len == 0 || ni == NULL || ni_len == 0 || nr == NULL ||
        nr_len == 0 || out == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    /* HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b) */
    uint8_t head[5] = {0};
    put_be32(head + 1, msgid);
    const ivpn_buf_ref pieces[] = {{head, 5}, {ni, ni_len}, {nr, nr_len}};
    return ivpn_prf_multi(prf, skeyid_a, a_len, pieces, 3, out);
}

int ivpn_v1_keymat(uint16_t prf, const uint8_t *skeyid_d, size_t d_len, const uint8_t *gxy,
                   size_t gxy_len, uint8_t protocol, uint32_t spi, const uint8_t *ni,
                   size_t ni_len, const uint8_t *nr, size_t nr_len, uint8_t *out, size_t len)
{
    size_t n = prf_len(prf);
    if (n == 0)
        return IPSECVPN_ERR_CRYPTO_ALG;
    if (skeyid_d == NULL || d_len == 0 || (gxy == NULL && gxy_len != 0) || ni == NULL ||
        ni_len == 0 || nr == NULL || nr_len == 0 || out == NULL || len == 0)
        return IPSECVPN_ERR_INVALID_ARG;

    /* K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b),
     * Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b) */
    uint8_t proto_spi[5];
    proto_spi[0] = protocol;
    put_be32(proto_spi + 1, spi);
    uint8_t k[IVPN_V1_KEY_MAX];
    ivpn_buf_ref pieces[] = {
        {k, 0}, {gxy, gxy_len}, {proto_spi, 5}, {ni, ni_len}, {nr, nr_len},
    };
    size_t done = 0;
    int rc = IPSECVPN_OK;
    while (done < len) {
        rc = ivpn_prf_multi(prf, skeyid_d, d_len, pieces, 5, k);
        if (rc != IPSECVPN_OK)
            break;
        size_t take = len - done < n ? len - done : n;
        memcpy(out + done, k, take);
        done += take;
        pieces[0].len = n; /* from K2 on, the previous block leads */
    }
    ivpn_wipe(k, sizeof(k));
    if (rc != IPSECVPN_OK)
        ivpn_wipe(out, len);
    return rc;
}

int ivpn_v1_natd(uint16_t prf, const uint8_t cky_i[8], const uint8_t cky_r[8],
                 const ipsecvpn_endpoint *ep, uint8_t *out, size_t *out_len)
{
    size_t n = prf_len(prf);
    if (n == 0)
        return IPSECVPN_ERR_CRYPTO_ALG;
    if (cky_i == NULL || cky_r == NULL || ep == NULL || out == NULL || out_len == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    size_t alen;
    if (ep->addr.family == IPSECVPN_IPV4)
        alen = 4;
    else if (ep->addr.family == IPSECVPN_IPV6)
        alen = 16;
    else
        return IPSECVPN_ERR_INVALID_ARG;
    /* HASH = hash(CKY-I | CKY-R | IP | Port), port in network order */
    uint8_t port[2] = {(uint8_t)(ep->port >> 8), (uint8_t)ep->port};
    const ivpn_buf_ref pieces[] = {{cky_i, 8}, {cky_r, 8}, {ep->addr.bytes, alen}, {port, 2}};
    int rc = ivpn_hash_multi(prf, pieces, 4, out);
    if (rc == IPSECVPN_OK)
        *out_len = n;
    return rc;
}
