/*
 * Proposals: building ours from the policies and choosing among the peer's (RFC 7296 §2.7).
 */
#include <string.h>

#include "ike/common/proposal.h"

/* The integrity algorithm names the hash; the PRF is HMAC with the same hash. */
static const struct { uint16_t integ, prf; } integ_prf[] = {
    { IPSECVPN_INTEG_HMAC_MD5_96, IPSECVPN_PRF_HMAC_MD5 },
    { IPSECVPN_INTEG_HMAC_SHA1_96, IPSECVPN_PRF_HMAC_SHA1 },
    { IPSECVPN_INTEG_HMAC_SHA2_256_128, IPSECVPN_PRF_HMAC_SHA2_256 },
    { IPSECVPN_INTEG_HMAC_SHA2_384_192, IPSECVPN_PRF_HMAC_SHA2_384 },
    { IPSECVPN_INTEG_HMAC_SHA2_512_256, IPSECVPN_PRF_HMAC_SHA2_512 },
};

uint16_t ivpn_prf_for_integ(uint16_t integ)
{
    for (size_t i = 0; i < sizeof(integ_prf) / sizeof(integ_prf[0]); i++)
        if (integ_prf[i].integ == integ)
            return integ_prf[i].prf;
    return 0;
}

/* Ciphers whose key size is variable carry the Key Length attribute (§3.3.5). */
static bool needs_key_len(uint16_t encr)
{
    return encr == IPSECVPN_ENCR_AES_CBC || encr == IPSECVPN_ENCR_AES_GCM_16;
}

static bool is_aead(uint16_t encr)
{
    return encr == IPSECVPN_ENCR_AES_GCM_16 || encr == IPSECVPN_ENCR_CHACHA20_POLY1305;
}

static void add(ivpn_ikev2_sa *sa, uint8_t type, uint16_t id, uint16_t key_bits)
{
    if (sa->n_transforms >= IVPN_IKEV2_MAX_TRANSFORMS)
        return;
    ivpn_ikev2_transform *t = &sa->transforms[sa->n_transforms++];
    memset(t, 0, sizeof(*t));
    t->type = type;
    t->id = id;
    if (type == IVPN_IKEV2_TRANS_ENCR && needs_key_len(id)) {
        t->has_key_len = true;
        t->key_len = key_bits;
    }
    sa->proposals[sa->n_proposals - 1].count++;
}

static void begin(ivpn_ikev2_sa *sa, uint8_t protocol, uint8_t num, const uint8_t *spi,
                  uint8_t spi_size)
{
    memset(sa, 0, sizeof(*sa));
    sa->n_proposals = 1;
    ivpn_ikev2_proposal *p = &sa->proposals[0];
    p->num = num;
    p->protocol = protocol;
    p->spi_size = spi_size;
    if (spi_size)
        memcpy(p->spi, spi, spi_size);
}

void ivpn_proposal_ike(const ivpn_conn_ike *v, uint16_t extra_dh, ivpn_ikev2_sa *out)
{
    begin(out, IVPN_IKEV2_PROTO_IKE, 1, NULL, 0);
    add(out, IVPN_IKEV2_TRANS_ENCR, v->encryption.id, v->encryption.key_bits);
    add(out, IVPN_IKEV2_TRANS_PRF, ivpn_prf_for_integ(v->integrity), 0);
    if (!is_aead(v->encryption.id))
        add(out, IVPN_IKEV2_TRANS_INTEG, v->integrity, 0);
    if (extra_dh && extra_dh != v->dh_group)
        add(out, IVPN_IKEV2_TRANS_DH, extra_dh, 0);
    add(out, IVPN_IKEV2_TRANS_DH, v->dh_group, 0);
}

void ivpn_proposal_esp(const ivpn_conn_ipsec *v, uint32_t spi, uint16_t dh, ivpn_ikev2_sa *out)
{
    uint8_t s[4] = { (uint8_t)(spi >> 24), (uint8_t)(spi >> 16), (uint8_t)(spi >> 8), (uint8_t)spi };
    begin(out, IVPN_IKEV2_PROTO_ESP, 1, s, 4);
    add(out, IVPN_IKEV2_TRANS_ENCR, v->encryption.id, v->encryption.key_bits);
    if (!is_aead(v->encryption.id))
        add(out, IVPN_IKEV2_TRANS_INTEG, v->integrity, 0);
    if (dh)
        add(out, IVPN_IKEV2_TRANS_DH, dh, 0);
    add(out, IVPN_IKEV2_TRANS_ESN, 0, 0);
}

static bool same(const ivpn_ikev2_transform *a, const ivpn_ikev2_transform *b)
{
    if (a->type != b->type || a->id != b->id || a->has_key_len != b->has_key_len)
        return false;
    return !a->has_key_len || a->key_len == b->key_len;
}

static void set_alg(ivpn_algs *a, const ivpn_ikev2_transform *t)
{
    switch (t->type) {
    case IVPN_IKEV2_TRANS_ENCR: a->encr = t->id; a->encr_bits = t->has_key_len ? t->key_len : 0; break;
    case IVPN_IKEV2_TRANS_PRF: a->prf = t->id; break;
    case IVPN_IKEV2_TRANS_INTEG: a->integ = t->id; break;
    case IVPN_IKEV2_TRANS_DH: a->dh = t->id; break;
    case IVPN_IKEV2_TRANS_ESN: a->esn = (uint8_t)t->id; break;
    default: break;
    }
}

/* For one transform type: choose from the offered transforms of proposal p. */
static bool choose_type(const ivpn_ikev2_sa *off, const ivpn_ikev2_proposal *p,
                        const ivpn_ikev2_sa *ours, uint8_t type, ivpn_algs *a)
{
    const ivpn_ikev2_proposal *q = &ours->proposals[0];
    bool offered_any = false, ours_any = false, offered_none = false;
    for (unsigned j = q->first; j < (unsigned)q->first + q->count; j++)
        ours_any |= ours->transforms[j].type == type;
    for (unsigned i = p->first; i < (unsigned)p->first + p->count; i++) {
        const ivpn_ikev2_transform *t = &off->transforms[i];
        if (t->type != type || t->unknown_attr)
            continue;
        offered_any = true;
        offered_none |= t->id == 0 && type != IVPN_IKEV2_TRANS_ENCR;
        for (unsigned j = q->first; j < (unsigned)q->first + q->count; j++) {
            if (same(t, &ours->transforms[j])) {
                set_alg(a, t);
                return true;
            }
        }
    }
    if (!offered_any)
        return !ours_any || type == IVPN_IKEV2_TRANS_ESN; /* no ESN transform = no ESN */
    return !ours_any && offered_none; /* e.g. DH NONE offered where we want no PFS */
}

int ivpn_proposal_select(const ivpn_ikev2_sa *offered, const ivpn_ikev2_sa *ours,
                         ivpn_algs *algs, uint8_t *chosen)
{
    static const uint8_t types[] = { IVPN_IKEV2_TRANS_ENCR, IVPN_IKEV2_TRANS_PRF,
                                     IVPN_IKEV2_TRANS_INTEG, IVPN_IKEV2_TRANS_DH,
                                     IVPN_IKEV2_TRANS_ESN };
    if (ours->n_proposals == 0)
        return IPSECVPN_ERR_IKE_NO_PROPOSAL;
    for (uint8_t i = 0; i < offered->n_proposals; i++) {
        const ivpn_ikev2_proposal *p = &offered->proposals[i];
        if (p->protocol != ours->proposals[0].protocol)
            continue;
        if (p->protocol == IVPN_IKEV2_PROTO_ESP && p->spi_size != 4)
            continue;
        ivpn_algs a;
        memset(&a, 0, sizeof(a));
        bool ok = true;
        for (size_t t = 0; t < sizeof(types) && ok; t++)
            ok = choose_type(offered, p, ours, types[t], &a);
        if (ok && a.encr != 0) {
            *algs = a;
            *chosen = i;
            return IPSECVPN_OK;
        }
    }
    return IPSECVPN_ERR_IKE_NO_PROPOSAL;
}

int ivpn_proposal_check_reply(const ivpn_ikev2_sa *reply, const ivpn_ikev2_sa *ours,
                              ivpn_algs *algs)
{
    if (reply->n_proposals != 1)
        return IPSECVPN_ERR_IKE_NO_PROPOSAL;
    const ivpn_ikev2_proposal *p = &reply->proposals[0];
    unsigned seen[6] = { 0 };
    for (unsigned i = p->first; i < (unsigned)p->first + p->count; i++) {
        uint8_t t = reply->transforms[i].type;
        if (t < 1 || t > 5 || ++seen[t] > 1)
            return IPSECVPN_ERR_IKE_NO_PROPOSAL; /* a choice must be one transform per type */
    }
    uint8_t idx;
    return ivpn_proposal_select(reply, ours, algs, &idx);
}

void ivpn_proposal_from_algs(uint8_t protocol, uint8_t num, const uint8_t *spi, uint8_t spi_size,
                             const ivpn_algs *a, ivpn_ikev2_sa *out)
{
    begin(out, protocol, num, spi, spi_size);
    add(out, IVPN_IKEV2_TRANS_ENCR, a->encr, a->encr_bits);
    if (protocol == IVPN_IKEV2_PROTO_IKE)
        add(out, IVPN_IKEV2_TRANS_PRF, a->prf, 0);
    if (a->integ)
        add(out, IVPN_IKEV2_TRANS_INTEG, a->integ, 0);
    if (a->dh)
        add(out, IVPN_IKEV2_TRANS_DH, a->dh, 0);
    if (protocol != IVPN_IKEV2_PROTO_IKE)
        add(out, IVPN_IKEV2_TRANS_ESN, a->esn, 0);
}

uint32_t ivpn_proposal_spi32(const ivpn_ikev2_proposal *p)
{
    if (p->spi_size != 4)
        return 0;
    return (uint32_t)p->spi[0] << 24 | (uint32_t)p->spi[1] << 16 | (uint32_t)p->spi[2] << 8 | p->spi[3];
}
