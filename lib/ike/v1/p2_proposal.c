/*
 * What quick mode negotiates (RFC 2409 §5.5 with the IPsec DOI, RFC 2407):
 *  - the ESP proposal: one proposal (protocol ESP, our 4-byte inbound SPI) with one transform
 *    whose ID is the ESP transform (§4.4.4: 2 DES, 3 3DES, 12 AES-CBC, 20 AES-GCM-16 — the
 *    same numbers as IKEv2's ENCR) and the attributes of §4.5: SA Life Type/Duration,
 *    Group Description (PFS), Encapsulation Mode, Authentication Algorithm, Key Length;
 *  - the client identities IDci/IDcr (§4.6.2) carrying the traffic selectors.
 * A responder takes the first transform it accepts and the shorter of both lifetimes.
 */
#include <string.h>

#include "ike/v1/v1_internal.h"
#include "ipsecvpn/udp_encap.h"

#define P2_DEFAULT_LIFETIME 28800u /* RFC 2407 §4.5: when the offer carries none */

/* ipsecvpn_integ <-> Authentication Algorithm attribute (RFC 2407 §4.5, RFC 4868 §2.4) */
static const struct { uint16_t integ, auth; } auth_map[] = {
    { IPSECVPN_INTEG_HMAC_MD5_96, IVPN_P2_AUTH_HMAC_MD5 },
    { IPSECVPN_INTEG_HMAC_SHA1_96, IVPN_P2_AUTH_HMAC_SHA },
    { IPSECVPN_INTEG_HMAC_SHA2_256_128, IVPN_P2_AUTH_HMAC_SHA2_256 },
    { IPSECVPN_INTEG_HMAC_SHA2_384_192, IVPN_P2_AUTH_HMAC_SHA2_384 },
    { IPSECVPN_INTEG_HMAC_SHA2_512_256, IVPN_P2_AUTH_HMAC_SHA2_512 },
};

static uint16_t auth_of_integ(uint16_t integ)
{
    for (size_t i = 0; i < sizeof(auth_map) / sizeof(auth_map[0]); i++)
        if (auth_map[i].integ == integ)
            return auth_map[i].auth;
    return 0;
}

/* ESP transform IDs this engine speaks in IKEv1; AES ones carry a Key Length (RFC 3602 §5.1) */
static const struct { uint16_t encr; bool key_len; bool aead; } esp_ids[] = {
    { IPSECVPN_ENCR_DES, false, false },
    { IPSECVPN_ENCR_3DES, false, false },
    { IPSECVPN_ENCR_AES_CBC, true, false },
    { IPSECVPN_ENCR_AES_GCM_16, true, true },
};

static int esp_id(uint16_t encr)
{
    for (size_t i = 0; i < sizeof(esp_ids) / sizeof(esp_ids[0]); i++)
        if (esp_ids[i].encr == encr)
            return (int)i;
    return -1;
}

bool ivpn_v1_p2_floated(const ivpn_v1_sa *sa)
{
    return sa->nat_local || sa->nat_remote || sa->local.port != IPSECVPN_IKE_PORT;
}

static uint16_t our_encap(const ivpn_conn_ipsec *v, bool floated)
{
    if (v->mode == IVPN_IPSEC_TRANSPORT)
        return floated ? IVPN_P2_ENCAP_UDP_TRANSPORT : IVPN_P2_ENCAP_TRANSPORT;
    return floated ? IVPN_P2_ENCAP_UDP_TUNNEL : IVPN_P2_ENCAP_TUNNEL;
}

static void put_spi(uint8_t *p, uint32_t spi)
{
    p[0] = (uint8_t)(spi >> 24);
    p[1] = (uint8_t)(spi >> 16);
    p[2] = (uint8_t)(spi >> 8);
    p[3] = (uint8_t)spi;
}

static void transform_attrs(ivpn_isakmp_transform *t, const ivpn_algs *a, uint32_t lifetime,
                            uint16_t encap)
{
    if (lifetime) {
        ivpn_isakmp_transform_add_attr(t, IVPN_P2_ATTR_LIFE_TYPE, IVPN_P1_LIFE_SECONDS);
        ivpn_isakmp_transform_add_attr(t, IVPN_P2_ATTR_LIFE_DURATION, lifetime);
    }
    if (a->dh)
        ivpn_isakmp_transform_add_attr(t, IVPN_P2_ATTR_GROUP, a->dh);
    ivpn_isakmp_transform_add_attr(t, IVPN_P2_ATTR_ENCAP_MODE, encap);
    if (a->integ)
        ivpn_isakmp_transform_add_attr(t, IVPN_P2_ATTR_AUTH_ALG, auth_of_integ(a->integ));
    if (a->encr_bits)
        ivpn_isakmp_transform_add_attr(t, IVPN_P2_ATTR_KEY_LENGTH, a->encr_bits);
}

static void one_proposal(ivpn_isakmp_sa *out, uint8_t pnum, uint8_t tnum, uint8_t tid,
                         uint32_t spi)
{
    memset(out, 0, sizeof(*out));
    out->doi = IVPN_ISAKMP_DOI_IPSEC;
    out->situation = IVPN_ISAKMP_SIT_IDENTITY_ONLY;
    out->n_proposals = 1;
    ivpn_isakmp_proposal *p = &out->proposals[0];
    p->num = pnum;
    p->protocol = IVPN_ISAKMP_PROTO_ESP;
    p->spi_size = 4;
    put_spi(p->spi, spi);
    p->n_transforms = 1;
    p->transforms[0].num = tnum;
    p->transforms[0].id = tid;
}

int ivpn_v1_p2_proposal(const ivpn_conn_ipsec *v, uint32_t spi_in, bool floated,
                        ivpn_isakmp_sa *out)
{
    int k = esp_id(v->encryption.id);
    ivpn_algs a;
    memset(&a, 0, sizeof(a));
    a.encr = v->encryption.id;
    a.encr_bits = k >= 0 && esp_ids[k].key_len ? v->encryption.key_bits : 0;
    a.integ = k >= 0 && esp_ids[k].aead ? 0 : v->integrity;
    a.dh = v->pfs;
    if (k < 0 || (a.integ && !auth_of_integ(a.integ)) || (!a.integ && !esp_ids[k].aead))
        return IPSECVPN_ERR_CRYPTO_ALG; /* no IKEv1 encoding for this policy */
    one_proposal(out, 1, 1, (uint8_t)a.encr, spi_in);
    transform_attrs(&out->proposals[0].transforms[0], &a, v->lifetime, our_encap(v, floated));
    return IPSECVPN_OK;
}

/* One transform against our policy; fills the choice when acceptable. */
static bool transform_ok(const ivpn_isakmp_transform *t, const ivpn_conn_ipsec *v,
                         ivpn_v1_p2_choice *ch)
{
    int k = esp_id(t->id);
    if (k < 0 || t->id != v->encryption.id)
        return false;
    uint16_t want_auth = esp_ids[k].aead ? 0 : auth_of_integ(v->integrity);
    uint64_t key_bits = 0, auth = 0, group = 0, encap = IVPN_P2_ENCAP_TUNNEL;
    uint64_t life_type = IVPN_P1_LIFE_SECONDS, life = 0;
    bool have_life = false;
    for (uint8_t i = 0; i < t->n_attrs; i++) {
        const ivpn_isakmp_attr *at = &t->attrs[i];
        switch (at->type) {
        case IVPN_P2_ATTR_LIFE_TYPE: life_type = at->value; break;
        case IVPN_P2_ATTR_LIFE_DURATION:
            if (life_type == IVPN_P1_LIFE_SECONDS) { /* kilobyte lifetimes are not kept */
                life = at->value;
                have_life = true;
            }
            break;
        case IVPN_P2_ATTR_GROUP: group = at->value; break;
        case IVPN_P2_ATTR_ENCAP_MODE: encap = at->value; break;
        case IVPN_P2_ATTR_AUTH_ALG: auth = at->value; break;
        case IVPN_P2_ATTR_KEY_LENGTH: key_bits = at->value; break;
        case IVPN_P2_ATTR_ESN:
            if (at->value != 0)
                return false; /* we do not offer ESN in IKEv1 */
            break;
        default:
            return false; /* an attribute we do not understand: not this transform */
        }
    }
    if (esp_ids[k].key_len ? key_bits != v->encryption.key_bits : key_bits != 0)
        return false;
    if (auth != want_auth || group != v->pfs)
        return false;
    bool transport;
    switch (encap) {
    case IVPN_P2_ENCAP_TUNNEL:
    case IVPN_P2_ENCAP_UDP_TUNNEL:
    case IVPN_P2_ENCAP_UDP_TUNNEL_DRAFT: transport = false; break;
    case IVPN_P2_ENCAP_TRANSPORT:
    case IVPN_P2_ENCAP_UDP_TRANSPORT:
    case IVPN_P2_ENCAP_UDP_TRANSPORT_DRAFT: transport = true; break;
    default: return false;
    }
    if (transport != (v->mode == IVPN_IPSEC_TRANSPORT))
        return false;
    uint64_t theirs = have_life ? life : P2_DEFAULT_LIFETIME;
    if (theirs == 0 || theirs > UINT32_MAX)
        theirs = UINT32_MAX;
    uint32_t lt = (uint32_t)theirs;
    if (v->lifetime && v->lifetime < lt)
        lt = v->lifetime;
    memset(ch, 0, sizeof(*ch));
    ch->algs.encr = t->id;
    ch->algs.encr_bits = (uint16_t)key_bits;
    ch->algs.integ = esp_ids[k].aead ? 0 : v->integrity;
    ch->algs.dh = (uint16_t)group;
    ch->lifetime_s = lt;
    ch->encap = (uint16_t)encap;
    ch->transport = transport;
    ch->transform_num = t->num;
    ch->transform_id = t->id;
    return true;
}

static uint32_t spi32(const ivpn_isakmp_proposal *p)
{
    return (uint32_t)p->spi[0] << 24 | (uint32_t)p->spi[1] << 16 | (uint32_t)p->spi[2] << 8 |
           p->spi[3];
}

/* A proposal number used twice is an AND of protocols (ESP+AH), which we do not do. */
static bool bundled(const ivpn_isakmp_sa *sa, uint8_t i)
{
    for (uint8_t j = 0; j < sa->n_proposals; j++)
        if (j != i && sa->proposals[j].num == sa->proposals[i].num)
            return true;
    return false;
}

int ivpn_v1_p2_select(const ivpn_isakmp_sa *offered, const ivpn_conn_ipsec *v,
                      ivpn_v1_p2_choice *out)
{
    for (uint8_t i = 0; i < offered->n_proposals; i++) {
        const ivpn_isakmp_proposal *p = &offered->proposals[i];
        if (p->protocol != IVPN_ISAKMP_PROTO_ESP || p->spi_size != 4 || spi32(p) < 256 ||
            bundled(offered, i))
            continue;
        for (uint8_t j = 0; j < p->n_transforms; j++) {
            if (transform_ok(&p->transforms[j], v, out)) {
                out->spi = spi32(p);
                out->proposal_num = p->num;
                return IPSECVPN_OK;
            }
        }
    }
    return IPSECVPN_ERR_IKE_NO_PROPOSAL;
}

int ivpn_v1_p2_check_reply(const ivpn_isakmp_sa *reply, const ivpn_conn_ipsec *v,
                           ivpn_v1_p2_choice *out)
{
    if (reply->n_proposals != 1 || reply->proposals[0].n_transforms != 1)
        return IPSECVPN_ERR_IKE_NO_PROPOSAL; /* an answer is one choice */
    return ivpn_v1_p2_select(reply, v, out);
}

void ivpn_v1_p2_reply(const ivpn_v1_p2_choice *ch, uint32_t spi_in, ivpn_isakmp_sa *out)
{
    one_proposal(out, ch->proposal_num, ch->transform_num, ch->transform_id, spi_in);
    transform_attrs(&out->proposals[0].transforms[0], &ch->algs, ch->lifetime_s, ch->encap);
}

/* ---- IDci / IDcr <-> selectors ------------------------------------------------------------ */

static size_t alen(uint8_t family) { return family == 6 ? 16 : 4; }

/* The prefix length when [lo, hi] is exactly one prefix, else -1. */
static int prefix_of(const ivpn_ts *t)
{
    size_t n = alen(t->family);
    int bits = 0;
    size_t i = 0;
    for (; i < n && t->lo[i] == t->hi[i]; i++)
        bits += 8;
    if (i < n) {
        uint8_t diff = (uint8_t)(t->lo[i] ^ t->hi[i]);
        int host = 0;
        while (host < 8 && (diff >> host) & 1)
            host++;
        if (diff != (uint8_t)((1u << host) - 1) || (t->lo[i] & diff) || (t->hi[i] & diff) != diff)
            return -1;
        bits += 8 - host;
        for (i++; i < n; i++)
            if (t->lo[i] != 0 || t->hi[i] != 0xff)
                return -1;
    }
    return bits;
}

void ivpn_v1_id_from_ts(const ivpn_ts *t, ivpn_isakmp_id *id, uint8_t buf[32])
{
    size_t n = alen(t->family);
    int bits = prefix_of(t);
    memset(id, 0, sizeof(*id));
    id->protocol = t->proto;
    id->port = t->port_lo == t->port_hi ? t->port_lo : 0;
    memcpy(buf, t->lo, n);
    if (bits < 0) {
        id->type = t->family == 6 ? IVPN_ISAKMP_ID_IPV6_ADDR_RANGE : IVPN_ISAKMP_ID_IPV4_ADDR_RANGE;
        memcpy(buf + n, t->hi, n);
    } else {
        id->type = t->family == 6 ? IVPN_ISAKMP_ID_IPV6_ADDR_SUBNET
                                  : IVPN_ISAKMP_ID_IPV4_ADDR_SUBNET;
        for (size_t i = 0; i < n; i++) {
            int b = bits - (int)i * 8;
            buf[n + i] = b >= 8 ? 0xff : b <= 0 ? 0 : (uint8_t)(0xff00 >> b);
        }
    }
    id->data.p = buf;
    id->data.len = 2 * n;
}

int ivpn_v1_id_to_ts(const ivpn_isakmp_id *id, ivpn_ts_set *out)
{
    out->n = 0;
    if (!out->ts || out->cap < 1)
        return IPSECVPN_ERR_INVALID_ARG;
    ivpn_ts *t = &out->ts[0];
    memset(t, 0, sizeof(*t));
    uint8_t family;
    int form; /* 0 address, 1 subnet, 2 range */
    switch (id->type) {
    case IVPN_ISAKMP_ID_IPV4_ADDR: family = 4; form = 0; break;
    case IVPN_ISAKMP_ID_IPV4_ADDR_SUBNET: family = 4; form = 1; break;
    case IVPN_ISAKMP_ID_IPV4_ADDR_RANGE: family = 4; form = 2; break;
    case IVPN_ISAKMP_ID_IPV6_ADDR: family = 6; form = 0; break;
    case IVPN_ISAKMP_ID_IPV6_ADDR_SUBNET: family = 6; form = 1; break;
    case IVPN_ISAKMP_ID_IPV6_ADDR_RANGE: family = 6; form = 2; break;
    default: return IPSECVPN_ERR_IKE_TS;
    }
    size_t n = alen(family);
    if (id->data.len != (form ? 2 * n : n))
        return IPSECVPN_ERR_IKE_MALFORMED;
    const uint8_t *d = id->data.p;
    t->family = family;
    t->proto = id->protocol;
    t->port_lo = id->port;
    t->port_hi = id->port ? id->port : 0xffff;
    for (size_t i = 0; i < n; i++) {
        switch (form) {
        case 0: t->lo[i] = t->hi[i] = d[i]; break;
        case 1:
            t->lo[i] = d[i] & d[n + i];
            t->hi[i] = (uint8_t)(d[i] | (uint8_t)~d[n + i]);
            break;
        default: t->lo[i] = d[i]; t->hi[i] = d[n + i]; break;
        }
    }
    if (memcmp(t->lo, t->hi, n) > 0)
        return IPSECVPN_ERR_IKE_TS; /* an empty range selects nothing */
    out->n = 1;
    return IPSECVPN_OK;
}
