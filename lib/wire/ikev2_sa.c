/*
 * Security Association payload, RFC 7296 §3.3. Body = one or more proposals:
 *
 * Proposal substructure (§3.3.1):
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |         Proposal Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        SPI (variable)                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        <Transforms>                           ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   Last Substruc: 0 for the last proposal, 2 when more follow.
 *
 * Transform substructure (§3.3.2):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |        Transform Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Transform Type |   RESERVED    |          Transform ID         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Transform Attributes                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   Last Substruc: 0 for the last transform of a proposal, 3 when more follow.
 *
 * Transform attribute (§3.3.5):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |A|       Attribute Type        |    AF=0  Attribute Length     |
 * |F|                             |    AF=1  Attribute Value      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   AF=0  Attribute Value                       |
 * |                   AF=1  Not Transmitted                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   The only attribute, Key Length (14), is TV (AF=1).
 */
#include <string.h>

#include "wire/ikev2_payloads.h"

#define LAST_PROPOSAL 0
#define MORE_PROPOSALS 2
#define LAST_TRANSFORM 0
#define MORE_TRANSFORMS 3
#define PROPOSAL_HDR_LEN 8
#define TRANSFORM_HDR_LEN 8

#define BAD(...) do { IVPN_LOG_WARN(ctx, "IKEv2 SA: " __VA_ARGS__); return IPSECVPN_ERR_IKE_MALFORMED; } while (0)

static int decode_attributes(const ipsecvpn_ctx *ctx, ivpn_reader *r, ivpn_ikev2_transform *t)
{
    while (ivpn_rd_remaining(r) > 0) {
        uint16_t af_type = ivpn_rd_u16(r);
        uint16_t type = af_type & 0x7fff;
        if (af_type & IVPN_IKEV2_ATTR_FORMAT_TV) {
            uint16_t value = ivpn_rd_u16(r);
            if (ivpn_rd_failed(r))
                BAD("transform attribute cut short");
            if (type == IVPN_IKEV2_ATTR_KEY_LENGTH) {
                if (t->has_key_len)
                    BAD("two Key Length attributes in one transform");
                t->key_len = value;
                t->has_key_len = true;
            } else {
                t->unknown_attr = true;
            }
        } else {
            uint16_t alen = ivpn_rd_u16(r);
            ivpn_rd_skip(r, alen);
            if (ivpn_rd_failed(r))
                BAD("transform attribute length %u passes the transform", alen);
            if (type == IVPN_IKEV2_ATTR_KEY_LENGTH)
                BAD("Key Length attribute in TLV form");
            t->unknown_attr = true;
        }
    }
    return IPSECVPN_OK;
}

static int decode_transforms(const ipsecvpn_ctx *ctx, ivpn_reader *r, uint8_t declared,
                             ivpn_ikev2_sa *sa, ivpn_ikev2_proposal *prop)
{
    uint8_t last = MORE_TRANSFORMS;
    prop->first = sa->n_transforms;
    prop->count = 0;
    while (last == MORE_TRANSFORMS && ivpn_rd_remaining(r) > 0) {
        ivpn_ikev2_transform *t;
        ivpn_reader tr;
        uint16_t tlen;
        int rc;

        last = ivpn_rd_u8(r);
        ivpn_rd_skip(r, 1);
        tlen = ivpn_rd_u16(r);
        if (ivpn_rd_failed(r))
            BAD("transform header cut short");
        if (last != LAST_TRANSFORM && last != MORE_TRANSFORMS)
            BAD("transform Last Substruc %u is neither 0 nor 3", last);
        if (tlen < TRANSFORM_HDR_LEN)
            BAD("transform length %u < 8", tlen);
        tr = ivpn_rd_sub(r, tlen - 4);
        if (ivpn_rd_failed(r))
            BAD("transform length %u passes the proposal", tlen);
        if (sa->n_transforms == IVPN_IKEV2_MAX_TRANSFORMS)
            BAD("more than %d transforms", IVPN_IKEV2_MAX_TRANSFORMS);
        t = &sa->transforms[sa->n_transforms++];
        memset(t, 0, sizeof(*t));
        t->type = ivpn_rd_u8(&tr);
        ivpn_rd_skip(&tr, 1);
        t->id = ivpn_rd_u16(&tr);
        rc = decode_attributes(ctx, &tr, t);
        if (rc != IPSECVPN_OK)
            return rc;
        prop->count++;
    }
    if (last != LAST_TRANSFORM || ivpn_rd_remaining(r) != 0)
        BAD("proposal %u: transform chain does not end with its proposal", prop->num);
    if (prop->count != declared)
        BAD("proposal %u declares %u transforms but holds %u", prop->num, declared, prop->count);
    return IPSECVPN_OK;
}

static int check_spi_size(const ipsecvpn_ctx *ctx, const ivpn_ikev2_proposal *p)
{
    /* §3.3.1: IKE SA proposals carry no SPI in IKE_SA_INIT and the new 8-byte SPI when
     * rekeying; AH and ESP carry their 4-byte SPI. Unknown protocols are left to the engine
     * (it rejects the proposal), but their SPI size still has to be one that exists. */
    bool ok;
    switch (p->protocol) {
    case IVPN_IKEV2_PROTO_IKE: ok = p->spi_size == 0 || p->spi_size == 8; break;
    case IVPN_IKEV2_PROTO_AH:
    case IVPN_IKEV2_PROTO_ESP: ok = p->spi_size == 4; break;
    default: ok = p->spi_size == 0 || p->spi_size == 4 || p->spi_size == 8; break;
    }
    if (!ok)
        BAD("proposal %u: SPI size %u for protocol %u", p->num, p->spi_size, p->protocol);
    return IPSECVPN_OK;
}

int ivpn_ikev2_sa_decode(const ipsecvpn_ctx *ctx, ivpn_span body, bool is_response,
                         ivpn_ikev2_sa *out)
{
    ivpn_reader r;
    uint8_t last = MORE_PROPOSALS;

    memset(out, 0, sizeof(*out));
    ivpn_reader_init_span(&r, body);
    while (last == MORE_PROPOSALS && ivpn_rd_remaining(&r) > 0) {
        ivpn_ikev2_proposal *p;
        ivpn_reader pr;
        uint16_t plen;
        uint8_t declared;
        int rc;

        last = ivpn_rd_u8(&r);
        ivpn_rd_skip(&r, 1);
        plen = ivpn_rd_u16(&r);
        if (ivpn_rd_failed(&r))
            BAD("proposal header cut short");
        if (last != LAST_PROPOSAL && last != MORE_PROPOSALS)
            BAD("proposal Last Substruc %u is neither 0 nor 2", last);
        if (plen < PROPOSAL_HDR_LEN)
            BAD("proposal length %u < 8", plen);
        pr = ivpn_rd_sub(&r, plen - 4);
        if (ivpn_rd_failed(&r))
            BAD("proposal length %u passes the payload", plen);
        if (out->n_proposals == IVPN_IKEV2_MAX_PROPOSALS)
            BAD("more than %d proposals", IVPN_IKEV2_MAX_PROPOSALS);
        p = &out->proposals[out->n_proposals++];
        p->num = ivpn_rd_u8(&pr);
        p->protocol = ivpn_rd_u8(&pr);
        p->spi_size = ivpn_rd_u8(&pr);
        declared = ivpn_rd_u8(&pr);
        rc = check_spi_size(ctx, p);
        if (rc != IPSECVPN_OK)
            return rc;
        ivpn_rd_copy(&pr, p->spi, p->spi_size);
        if (ivpn_rd_failed(&pr))
            BAD("proposal %u: SPI passes the proposal", p->num);
        rc = decode_transforms(ctx, &pr, declared, out, p);
        if (rc != IPSECVPN_OK)
            return rc;
        /* §3.3.1: the first proposal is number 1, each next one is one more; a response
         * holds the one chosen proposal with its original number. */
        if (is_response ? p->num == 0
                        : p->num != out->n_proposals)
            BAD("proposal number %u out of sequence", p->num);
    }
    if (last != LAST_PROPOSAL || ivpn_rd_remaining(&r) != 0)
        BAD("proposal chain does not end with the payload");
    if (out->n_proposals == 0)
        BAD("no proposal");
    if (is_response && out->n_proposals != 1)
        BAD("response with %u proposals, not 1", out->n_proposals);
    return IPSECVPN_OK;
}

void ivpn_ikev2_sa_encode(ivpn_writer *w, const ivpn_ikev2_sa *sa)
{
    if (sa->n_proposals == 0 || sa->n_proposals > IVPN_IKEV2_MAX_PROPOSALS ||
        sa->n_transforms > IVPN_IKEV2_MAX_TRANSFORMS) {
        ivpn_wr_fail(w, IPSECVPN_ERR_INVALID_ARG);
        return;
    }
    for (unsigned i = 0; i < sa->n_proposals; i++) {
        const ivpn_ikev2_proposal *p = &sa->proposals[i];
        size_t start = ivpn_wr_len(w);
        if (p->spi_size > 8 || p->first + p->count > sa->n_transforms) {
            ivpn_wr_fail(w, IPSECVPN_ERR_INVALID_ARG);
            return;
        }
        ivpn_wr_u8(w, i + 1 == sa->n_proposals ? LAST_PROPOSAL : MORE_PROPOSALS);
        ivpn_wr_u8(w, 0);
        size_t len_at = ivpn_wr_reserve(w, 2);
        ivpn_wr_u8(w, p->num);
        ivpn_wr_u8(w, p->protocol);
        ivpn_wr_u8(w, p->spi_size);
        ivpn_wr_u8(w, p->count);
        ivpn_wr_bytes(w, p->spi, p->spi_size);
        for (unsigned k = 0; k < p->count; k++) {
            const ivpn_ikev2_transform *t = &sa->transforms[p->first + k];
            ivpn_wr_u8(w, k + 1 == p->count ? LAST_TRANSFORM : MORE_TRANSFORMS);
            ivpn_wr_u8(w, 0);
            ivpn_wr_u16(w, t->has_key_len ? TRANSFORM_HDR_LEN + 4 : TRANSFORM_HDR_LEN);
            ivpn_wr_u8(w, t->type);
            ivpn_wr_u8(w, 0);
            ivpn_wr_u16(w, t->id);
            if (t->has_key_len) {
                ivpn_wr_u16(w, IVPN_IKEV2_ATTR_FORMAT_TV | IVPN_IKEV2_ATTR_KEY_LENGTH);
                ivpn_wr_u16(w, t->key_len);
            }
        }
        ivpn_wr_patch_len16(w, len_at, start);
    }
}
