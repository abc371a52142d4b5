/*
 * Security Association payload, RFC 2408 §3.4-§3.6 with the IPsec DOI (RFC 2407 §4.6.1).
 *
 * SA payload body (after the generic header):
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !              Domain of Interpretation  (DOI)                  !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                           Situation                           !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Proposal payloads ...                      ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Proposal payload (§3.5):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Proposal #   !  Protocol-Id  !    SPI Size   !# of Transforms!
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                        SPI (variable)                         !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   Next Payload: 2 (P) when another proposal follows, 0 for the last. Its Payload Length
 *   covers its transforms too.
 *
 * Transform payload (§3.6):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Transform #  !  Transform-Id !           RESERVED2           !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        SA Attributes                          ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   Next Payload: 3 (T) when another transform of the proposal follows, 0 for the last.
 *
 * Data attribute (§3.3):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !A!       Attribute Type        !    AF=0  Attribute Length     !
 * !F!                             !    AF=1  Attribute Value      !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * .                   AF=0  Attribute Value                       .
 * .                   AF=1  Not Transmitted                       .
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#include <string.h>

#include "wire/isakmp.h"

#define MORE_PROPOSALS IVPN_ISAKMP_PL_P
#define MORE_TRANSFORMS IVPN_ISAKMP_PL_T
#define LAST_SUBSTRUCTURE IVPN_ISAKMP_PL_NONE
#define SUBSTRUCTURE_HDR_LEN 8 /* proposal and transform: generic header + 4 fixed bytes */
#define ATTR_BASIC 0x8000
#define ATTR_TYPE_MASK 0x7fff
#define MAX_VARIABLE_VALUE 8
#define MAX_SPI 16

#define BAD(...) do { IVPN_LOG_WARN(ctx, "ISAKMP SA: " __VA_ARGS__); return IPSECVPN_ERR_IKE_MALFORMED; } while (0)

/* Life Type/Life Duration may come as several pairs, one per unit (RFC 2409 Appendix A,
 * RFC 2407 §4.5: seconds and kilobytes, e.g. strongSwan with both limits set); any other
 * attribute twice would leave the choice to whoever reads first. The numbers differ per
 * phase: ISAKMP proposals use the phase-1 ones, ESP/AH the IPsec DOI ones. */
static bool may_repeat(uint8_t protocol, uint16_t type)
{
    if (protocol == IVPN_ISAKMP_PROTO_ISAKMP)
        return type == IVPN_P1_ATTR_LIFE_TYPE || type == IVPN_P1_ATTR_LIFE_DURATION;
    return type == IVPN_P2_ATTR_LIFE_TYPE || type == IVPN_P2_ATTR_LIFE_DURATION;
}

static int decode_attributes(const ipsecvpn_ctx *ctx, ivpn_reader *r, uint8_t protocol,
                             ivpn_isakmp_transform *t)
{
    while (ivpn_rd_remaining(r) > 0) {
        uint16_t af_type = ivpn_rd_u16(r);
        uint16_t field = ivpn_rd_u16(r);
        ivpn_isakmp_attr a = {af_type & ATTR_TYPE_MASK, (af_type & ATTR_BASIC) != 0, field};

        if (ivpn_rd_failed(r))
            BAD("transform %u: attribute cut short", t->num);
        if (!a.basic) {
            if (field > MAX_VARIABLE_VALUE)
                BAD("transform %u: attribute %u has a %u-byte value (at most 8)", t->num,
                    a.type, field);
            a.value = 0;
            for (unsigned i = 0; i < field; i++)
                a.value = (a.value << 8) | ivpn_rd_u8(r);
            if (ivpn_rd_failed(r))
                BAD("transform %u: attribute %u length %u passes the transform", t->num,
                    a.type, field);
        }
        if (!may_repeat(protocol, a.type) && ivpn_isakmp_attr_get(t, a.type, NULL))
            BAD("transform %u: attribute %u twice", t->num, a.type);
        if (t->n_attrs == IVPN_ISAKMP_MAX_ATTRS)
            BAD("transform %u: more than %d attributes", t->num, IVPN_ISAKMP_MAX_ATTRS);
        t->attrs[t->n_attrs++] = a;
    }
    return IPSECVPN_OK;
}

/* One proposal's transforms: exactly `declared` of them, the last one ending the proposal. */
static int decode_transforms(const ipsecvpn_ctx *ctx, ivpn_reader *r, uint8_t declared,
                             ivpn_isakmp_proposal *prop)
{
    uint8_t next = MORE_TRANSFORMS;
    while (next == MORE_TRANSFORMS) {
        ivpn_isakmp_transform *t;
        ivpn_reader tr;
        uint16_t tlen;
        int rc;

        next = ivpn_rd_u8(r);
        ivpn_rd_skip(r, 1);
        tlen = ivpn_rd_u16(r);
        if (ivpn_rd_failed(r))
            BAD("proposal %u: transform header cut short", prop->num);
        if (next != LAST_SUBSTRUCTURE && next != MORE_TRANSFORMS)
            BAD("proposal %u: transform Next Payload %u is neither 0 nor 3", prop->num, next);
        if (tlen < SUBSTRUCTURE_HDR_LEN)
            BAD("proposal %u: transform length %u < 8", prop->num, tlen);
        tr = ivpn_rd_sub(r, tlen - 4);
        if (ivpn_rd_failed(r))
            BAD("proposal %u: transform length %u passes the proposal", prop->num, tlen);
        if (prop->n_transforms == IVPN_ISAKMP_MAX_TRANSFORMS)
            BAD("proposal %u: more than %d transforms", prop->num, IVPN_ISAKMP_MAX_TRANSFORMS);
        t = &prop->transforms[prop->n_transforms++];
        t->num = ivpn_rd_u8(&tr);
        t->id = ivpn_rd_u8(&tr);
        ivpn_rd_skip(&tr, 2);
        rc = decode_attributes(ctx, &tr, prop->protocol, t);
        if (rc != IPSECVPN_OK)
            return rc;
    }
    if (ivpn_rd_remaining(r) != 0)
        BAD("proposal %u: %zu bytes after its last transform", prop->num, ivpn_rd_remaining(r));
    if (prop->n_transforms != declared)
        BAD("proposal %u declares %u transforms but holds %u", prop->num, declared,
            prop->n_transforms);
    return IPSECVPN_OK;
}

/* RFC 2407 §4.4.1/§4.5: ESP and AH SPIs are 4 bytes; phase 1 carries none or the cookies
 * (ignored). Anything else only has to fit the struct. */
static int check_spi_size(const ipsecvpn_ctx *ctx, const ivpn_isakmp_proposal *p)
{
    bool ipsec = p->protocol == IVPN_ISAKMP_PROTO_ESP || p->protocol == IVPN_ISAKMP_PROTO_AH;
    if (p->spi_size > MAX_SPI || (ipsec && p->spi_size != 4))
        BAD("proposal %u: SPI size %u for protocol %u", p->num, p->spi_size, p->protocol);
    return IPSECVPN_OK;
}

static int decode_proposal(const ipsecvpn_ctx *ctx, ivpn_reader *pr, ivpn_isakmp_proposal *p)
{
    uint8_t declared;
    int rc;

    p->num = ivpn_rd_u8(pr);
    p->protocol = ivpn_rd_u8(pr);
    p->spi_size = ivpn_rd_u8(pr);
    declared = ivpn_rd_u8(pr);
    rc = check_spi_size(ctx, p);
    if (rc != IPSECVPN_OK)
        return rc;
    ivpn_rd_copy(pr, p->spi, p->spi_size);
    if (ivpn_rd_failed(pr))
        BAD("proposal %u: SPI passes the proposal", p->num);
    if (declared == 0)
        BAD("proposal %u without transforms", p->num);
    return decode_transforms(ctx, pr, declared, p);
}

int ivpn_isakmp_sa_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_isakmp_sa *out)
{
    ivpn_reader r;
    uint8_t next = MORE_PROPOSALS;

    memset(out, 0, sizeof(*out));
    ivpn_reader_init_span(&r, body);
    out->doi = ivpn_rd_u32(&r);
    out->situation = ivpn_rd_u32(&r);
    if (ivpn_rd_failed(&r))
        BAD("payload of %zu bytes has no DOI and situation", body.len);
    if (out->doi != IVPN_ISAKMP_DOI_IPSEC)
        BAD("DOI %lu is not IPsec", (unsigned long)out->doi);
    /* Other situations (secrecy, integrity) append labels this library does not parse. */
    if (out->situation != IVPN_ISAKMP_SIT_IDENTITY_ONLY)
        BAD("situation 0x%lx is not SIT_IDENTITY_ONLY", (unsigned long)out->situation);
    while (next == MORE_PROPOSALS) {
        ivpn_isakmp_proposal *p;
        ivpn_reader pr;
        uint16_t plen;
        int rc;

        next = ivpn_rd_u8(&r);
        ivpn_rd_skip(&r, 1);
        plen = ivpn_rd_u16(&r);
        if (ivpn_rd_failed(&r))
            BAD("proposal header cut short");
        if (next != LAST_SUBSTRUCTURE && next != MORE_PROPOSALS)
            BAD("proposal Next Payload %u is neither 0 nor 2", next);
        if (plen < SUBSTRUCTURE_HDR_LEN)
            BAD("proposal length %u < 8", plen);
        pr = ivpn_rd_sub(&r, plen - 4);
        if (ivpn_rd_failed(&r))
            BAD("proposal length %u passes the payload", plen);
        if (out->n_proposals == IVPN_ISAKMP_MAX_PROPOSALS)
            BAD("more than %d proposals", IVPN_ISAKMP_MAX_PROPOSALS);
        p = &out->proposals[out->n_proposals++];
        rc = decode_proposal(ctx, &pr, p);
        if (rc != IPSECVPN_OK)
            return rc;
        /* §4.2: numbers increase; equal numbers form one AND-bundle. */
        if (out->n_proposals > 1 && p->num < out->proposals[out->n_proposals - 2].num)
            BAD("proposal number %u after %u", p->num, out->proposals[out->n_proposals - 2].num);
    }
    if (ivpn_rd_remaining(&r) != 0)
        BAD("%zu bytes after the last proposal", ivpn_rd_remaining(&r));
    return IPSECVPN_OK;
}

/* ---- encoding ---------------------------------------------------------------------------- */

static size_t variable_len(uint64_t value)
{
    return value > UINT32_MAX ? 8 : 4;
}

static bool attrs_valid(const ivpn_isakmp_transform *t)
{
    if (t->n_attrs > IVPN_ISAKMP_MAX_ATTRS)
        return false;
    for (unsigned i = 0; i < t->n_attrs; i++)
        if (t->attrs[i].type > ATTR_TYPE_MASK || (t->attrs[i].basic && t->attrs[i].value > UINT16_MAX))
            return false;
    return true;
}

static bool sa_valid(const ivpn_isakmp_sa *sa)
{
    if (sa->n_proposals == 0 || sa->n_proposals > IVPN_ISAKMP_MAX_PROPOSALS)
        return false;
    for (unsigned i = 0; i < sa->n_proposals; i++) {
        const ivpn_isakmp_proposal *p = &sa->proposals[i];
        if (p->spi_size > MAX_SPI || p->n_transforms == 0 ||
            p->n_transforms > IVPN_ISAKMP_MAX_TRANSFORMS)
            return false;
        for (unsigned k = 0; k < p->n_transforms; k++)
            if (!attrs_valid(&p->transforms[k]))
                return false;
    }
    return true;
}

static void encode_attr(ivpn_writer *w, const ivpn_isakmp_attr *a)
{
    if (a->basic) {
        ivpn_wr_u16(w, ATTR_BASIC | a->type);
        ivpn_wr_u16(w, (uint16_t)a->value);
    } else if (variable_len(a->value) == 8) {
        ivpn_wr_u16(w, a->type);
        ivpn_wr_u16(w, 8);
        ivpn_wr_u64(w, a->value);
    } else {
        ivpn_wr_u16(w, a->type);
        ivpn_wr_u16(w, 4);
        ivpn_wr_u32(w, (uint32_t)a->value);
    }
}

static void encode_transform(ivpn_writer *w, const ivpn_isakmp_transform *t, bool last)
{
    size_t start = ivpn_wr_len(w), len_at;
    ivpn_wr_u8(w, last ? LAST_SUBSTRUCTURE : MORE_TRANSFORMS);
    ivpn_wr_u8(w, 0);
    len_at = ivpn_wr_reserve(w, 2);
    ivpn_wr_u8(w, t->num);
    ivpn_wr_u8(w, t->id);
    ivpn_wr_u16(w, 0);
    for (unsigned i = 0; i < t->n_attrs; i++)
        encode_attr(w, &t->attrs[i]);
    ivpn_wr_patch_len16(w, len_at, start);
}

void ivpn_isakmp_sa_encode(ivpn_writer *w, const ivpn_isakmp_sa *sa)
{
    if (!sa_valid(sa)) {
        ivpn_wr_fail(w, IPSECVPN_ERR_INVALID_ARG);
        return;
    }
    ivpn_wr_u32(w, sa->doi);
    ivpn_wr_u32(w, sa->situation);
    for (unsigned i = 0; i < sa->n_proposals; i++) {
        const ivpn_isakmp_proposal *p = &sa->proposals[i];
        size_t start = ivpn_wr_len(w), len_at;
        ivpn_wr_u8(w, i + 1 == sa->n_proposals ? LAST_SUBSTRUCTURE : MORE_PROPOSALS);
        ivpn_wr_u8(w, 0);
        len_at = ivpn_wr_reserve(w, 2);
        ivpn_wr_u8(w, p->num);
        ivpn_wr_u8(w, p->protocol);
        ivpn_wr_u8(w, p->spi_size);
        ivpn_wr_u8(w, p->n_transforms);
        ivpn_wr_bytes(w, p->spi, p->spi_size);
        for (unsigned k = 0; k < p->n_transforms; k++)
            encode_transform(w, &p->transforms[k], k + 1 == p->n_transforms);
        ivpn_wr_patch_len16(w, len_at, start);
    }
}

bool ivpn_isakmp_attr_get(const ivpn_isakmp_transform *t, uint16_t type, uint64_t *value)
{
    for (unsigned i = 0; i < t->n_attrs && i < IVPN_ISAKMP_MAX_ATTRS; i++) {
        if (t->attrs[i].type == type) {
            if (value)
                *value = t->attrs[i].value;
            return true;
        }
    }
    return false;
}

void ivpn_isakmp_transform_add_attr(ivpn_isakmp_transform *t, uint16_t type, uint64_t value)
{
    if (t->n_attrs >= IVPN_ISAKMP_MAX_ATTRS)
        return;
    t->attrs[t->n_attrs++] = (ivpn_isakmp_attr){type, value <= UINT16_MAX, value};
}
