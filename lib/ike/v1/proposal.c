/*
 * The phase-1 SA payload (RFC 2409 §5, Appendix A; RFC 2408 §3.4-3.6): one proposal for
 * protocol ISAKMP with one KEY_IKE transform whose attributes carry the IKE policy:
 *
 *   Encryption Algorithm (1)   DES-CBC 1, 3DES-CBC 5, AES-CBC 7 (RFC 3602)
 *   Key Length (14)            AES only: 128 / 192 / 256
 *   Hash Algorithm (2)         MD5 1, SHA 2, SHA2-256 4, SHA2-384 5, SHA2-512 6
 *   Authentication Method (3)  pre-shared key 1
 *   Group Description (4)      the MODP/ECP group number (same as IKEv2)
 *   Life Type (11) seconds, Life Duration (12)
 *
 * As responder we take the first offered transform that matches the policy and echo it
 * (RFC 2409 §5: the responder returns the one transform it chose). A proposed lifetime is
 * accepted and the smaller of the two is used by both sides' timers on our end.
 */
#include <string.h>

#include "ike/common/proposal.h"
#include "ike/v1/v1_internal.h"

/* ipsecvpn_encr <-> phase-1 Encryption Algorithm */
static const struct {
    uint16_t ours, p1;
} encr_map[] = {
    { IPSECVPN_ENCR_DES, IVPN_P1_ENCR_DES },
    { IPSECVPN_ENCR_3DES, IVPN_P1_ENCR_3DES },
    { IPSECVPN_ENCR_AES_CBC, IVPN_P1_ENCR_AES },
};

static uint16_t p1_encr_of(uint16_t ours)
{
    for (size_t i = 0; i < sizeof(encr_map) / sizeof(encr_map[0]); i++)
        if (encr_map[i].ours == ours)
            return encr_map[i].p1;
    return 0;
}

/* What the policy asks for, as phase-1 attribute values. */
typedef struct p1_want {
    uint16_t encr, key_bits, hash, group;
    uint32_t life;
} p1_want;

static bool policy_values(const ivpn_conn *c, p1_want *w)
{
    const ivpn_conn_ike *v = &ivpn_conn_values(c)->ike;
    memset(w, 0, sizeof(*w));
    w->encr = p1_encr_of(v->encryption.id);
    w->key_bits = v->encryption.id == IPSECVPN_ENCR_AES_CBC ? v->encryption.key_bits : 0;
    w->hash = ivpn_v1_hash_of_prf(ivpn_prf_for_integ(v->integrity));
    w->group = v->dh_group;
    w->life = v->lifetime;
    return w->encr && w->hash && w->group;
}

void ivpn_v1_p1_proposal(const ivpn_conn *c, ivpn_isakmp_sa *out)
{
    p1_want w;
    memset(out, 0, sizeof(*out));
    (void)policy_values(c, &w);
    out->doi = IVPN_ISAKMP_DOI_IPSEC;
    out->situation = IVPN_ISAKMP_SIT_IDENTITY_ONLY;
    out->n_proposals = 1;
    ivpn_isakmp_proposal *p = &out->proposals[0];
    p->num = 1;
    p->protocol = IVPN_ISAKMP_PROTO_ISAKMP;
    p->n_transforms = 1;
    ivpn_isakmp_transform *t = &p->transforms[0];
    t->num = 1;
    t->id = IVPN_ISAKMP_TRANSFORM_KEY_IKE;
    ivpn_isakmp_transform_add_attr(t, IVPN_P1_ATTR_ENCR, w.encr);
    if (w.key_bits)
        ivpn_isakmp_transform_add_attr(t, IVPN_P1_ATTR_KEY_LENGTH, w.key_bits);
    ivpn_isakmp_transform_add_attr(t, IVPN_P1_ATTR_HASH, w.hash);
    ivpn_isakmp_transform_add_attr(t, IVPN_P1_ATTR_AUTH, IVPN_P1_AUTH_PSK);
    ivpn_isakmp_transform_add_attr(t, IVPN_P1_ATTR_GROUP, w.group);
    if (w.life) {
        ivpn_isakmp_transform_add_attr(t, IVPN_P1_ATTR_LIFE_TYPE, IVPN_P1_LIFE_SECONDS);
        ivpn_isakmp_transform_add_attr(t, IVPN_P1_ATTR_LIFE_DURATION, w.life);
    }
}

size_t ivpn_v1_sa_body(const ivpn_isakmp_sa *sa, uint8_t *buf, size_t cap)
{
    ivpn_writer w;
    ivpn_writer_init(&w, buf, cap);
    ivpn_isakmp_sa_encode(&w, sa);
    return ivpn_wr_status(&w) == IPSECVPN_OK ? ivpn_wr_len(&w) : 0;
}

/* The lifetime in seconds a transform proposes (0: none, or only in kilobytes). Life Type
 * and Life Duration come in pairs (RFC 2409 Appendix A); the duration follows its type. */
static uint32_t proposed_life(const ivpn_isakmp_transform *t)
{
    uint32_t life = 0;
    uint64_t type = 0;
    for (unsigned i = 0; i < t->n_attrs; i++) {
        const ivpn_isakmp_attr *a = &t->attrs[i];
        if (a->type == IVPN_P1_ATTR_LIFE_TYPE)
            type = a->value;
        else if (a->type == IVPN_P1_ATTR_LIFE_DURATION && type == IVPN_P1_LIFE_SECONDS)
            life = a->value > UINT32_MAX ? UINT32_MAX : (uint32_t)a->value;
    }
    return life;
}

static uint32_t smaller_life(uint32_t ours, uint32_t theirs)
{
    if (!theirs)
        return ours;
    if (!ours)
        return theirs;
    return theirs < ours ? theirs : ours;
}

/* Whether a transform is exactly the policy (lifetime aside). Unknown attributes refuse the
 * transform: RFC 2409 gives no way to ignore one safely. */
static bool transform_ok(const ivpn_isakmp_transform *t, const p1_want *w)
{
    if (t->id != IVPN_ISAKMP_TRANSFORM_KEY_IKE)
        return false;
    uint64_t encr = 0, bits = 0, hash = 0, auth = 0, group = 0;
    for (unsigned i = 0; i < t->n_attrs; i++) {
        const ivpn_isakmp_attr *a = &t->attrs[i];
        switch (a->type) {
        case IVPN_P1_ATTR_ENCR: encr = a->value; break;
        case IVPN_P1_ATTR_KEY_LENGTH: bits = a->value; break;
        case IVPN_P1_ATTR_HASH: hash = a->value; break;
        case IVPN_P1_ATTR_AUTH: auth = a->value; break;
        case IVPN_P1_ATTR_GROUP: group = a->value; break;
        case IVPN_P1_ATTR_LIFE_TYPE:
        case IVPN_P1_ATTR_LIFE_DURATION:
            break;
        default:
            return false;
        }
    }
    return encr == w->encr && bits == w->key_bits && hash == w->hash &&
           auth == IVPN_P1_AUTH_PSK && group == w->group;
}

static void adopt(ivpn_v1_sa *sa, const ivpn_conn *c, const p1_want *w, uint32_t life)
{
    const ivpn_conn_ike *v = &ivpn_conn_values(c)->ike;
    sa->encr = v->encryption.id;
    sa->encr_bits = w->key_bits;
    sa->prf = ivpn_v1_prf_of_hash(w->hash);
    sa->dh_group = w->group;
    sa->lifetime_s = life;
    const ivpn_cipher_info *ci = ivpn_cipher_lookup(sa->encr, sa->encr_bits);
    sa->block_len = ci ? ci->block_size : 0;
    sa->enc_key_len = ci ? ci->key_len : 0;
}

int ivpn_v1_p1_select(ipsecvpn_engine *e, const ivpn_conn *c, const ivpn_isakmp_sa *offered,
                      ivpn_v1_sa *sa, ivpn_isakmp_sa *reply)
{
    p1_want w;
    if (!policy_values(c, &w)) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: the IKE policy has no IKEv1 equivalent");
        return IPSECVPN_ERR_IKE_NO_PROPOSAL;
    }
    for (unsigned i = 0; i < offered->n_proposals; i++) {
        const ivpn_isakmp_proposal *p = &offered->proposals[i];
        if (p->protocol != IVPN_ISAKMP_PROTO_ISAKMP)
            continue;
        for (unsigned j = 0; j < p->n_transforms; j++) {
            const ivpn_isakmp_transform *t = &p->transforms[j];
            if (!transform_ok(t, &w))
                continue;
            adopt(sa, c, &w, smaller_life(w.life, proposed_life(t)));
            memset(reply, 0, sizeof(*reply));
            reply->doi = offered->doi;
            reply->situation = offered->situation;
            reply->n_proposals = 1;
            reply->proposals[0] = *p;
            reply->proposals[0].n_transforms = 1;
            reply->proposals[0].transforms[0] = *t;
            return IPSECVPN_OK;
        }
    }
    IVPN_LOG_WARN(e->ctx, "IKEv1: no acceptable phase-1 proposal from the peer");
    return IPSECVPN_ERR_IKE_NO_PROPOSAL;
}

int ivpn_v1_p1_check_reply(ipsecvpn_engine *e, const ivpn_conn *c, const ivpn_isakmp_sa *reply,
                           ivpn_v1_sa *sa)
{
    p1_want w;
    if (!policy_values(c, &w) || reply->n_proposals != 1 ||
        reply->proposals[0].protocol != IVPN_ISAKMP_PROTO_ISAKMP ||
        reply->proposals[0].n_transforms != 1 ||
        !transform_ok(&reply->proposals[0].transforms[0], &w)) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: the responder chose a transform we did not offer");
        return IPSECVPN_ERR_IKE_NO_PROPOSAL;
    }
    adopt(sa, c, &w, smaller_life(w.life, proposed_life(&reply->proposals[0].transforms[0])));
    return IPSECVPN_OK;
}
