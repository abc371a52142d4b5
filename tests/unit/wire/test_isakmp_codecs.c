/* ISAKMP payload body codecs: encode → decode round trips, the exact wire form the encoders
 * write (what strongSwan accepts), and every decoder error path. */
#include "wire_util.h"

#include "wire/isakmp.h"

static uint8_t buf[8192];
static ivpn_isakmp_sa sa_in, sa_out;

static ivpn_span encoded(ivpn_writer *w)
{
    cr_assert_eq(ivpn_wr_status(w), IPSECVPN_OK);
    return (ivpn_span){w->buf, w->len};
}

#define ENCODE(fn, obj) ({ ivpn_writer w_; ivpn_writer_init(&w_, buf, sizeof(buf)); fn(&w_, obj); encoded(&w_); })
#define ENCODE_STATUS(fn, obj) ({ ivpn_writer w_; ivpn_writer_init(&w_, buf, sizeof(buf)); fn(&w_, obj); ivpn_wr_status(&w_); })

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* Phase-1 proposal with two transforms (one with a 64-bit life in kilobytes) and an ESP
 * proposal with a SPI. */
static void build_sa(ivpn_isakmp_sa *sa)
{
    ivpn_isakmp_transform *t;
    memset(sa, 0, sizeof(*sa));
    sa->doi = IVPN_ISAKMP_DOI_IPSEC;
    sa->situation = IVPN_ISAKMP_SIT_IDENTITY_ONLY;
    sa->n_proposals = 2;
    sa->proposals[0].num = 1;
    sa->proposals[0].protocol = IVPN_ISAKMP_PROTO_ISAKMP;
    sa->proposals[0].n_transforms = 2;
    t = &sa->proposals[0].transforms[0];
    t->num = 1;
    t->id = IVPN_ISAKMP_TRANSFORM_KEY_IKE;
    ivpn_isakmp_transform_add_attr(t, IVPN_P1_ATTR_ENCR, IVPN_P1_ENCR_AES);
    ivpn_isakmp_transform_add_attr(t, IVPN_P1_ATTR_KEY_LENGTH, 256);
    ivpn_isakmp_transform_add_attr(t, IVPN_P1_ATTR_HASH, IVPN_P1_HASH_SHA256);
    ivpn_isakmp_transform_add_attr(t, IVPN_P1_ATTR_LIFE_TYPE, IVPN_P1_LIFE_SECONDS);
    ivpn_isakmp_transform_add_attr(t, IVPN_P1_ATTR_LIFE_DURATION, 86400); /* > 16 bits */
    t = &sa->proposals[0].transforms[1];
    t->num = 2;
    t->id = IVPN_ISAKMP_TRANSFORM_KEY_IKE;
    ivpn_isakmp_transform_add_attr(t, IVPN_P1_ATTR_LIFE_TYPE, IVPN_P1_LIFE_KILOBYTES);
    ivpn_isakmp_transform_add_attr(t, IVPN_P1_ATTR_LIFE_DURATION, 0x123456789aULL);
    sa->proposals[1].num = 2;
    sa->proposals[1].protocol = IVPN_ISAKMP_PROTO_ESP;
    sa->proposals[1].spi_size = 4;
    memcpy(sa->proposals[1].spi, "\xc0\xff\xee\x01", 4);
    sa->proposals[1].n_transforms = 1;
    t = &sa->proposals[1].transforms[0];
    t->num = 1;
    t->id = 12;
    ivpn_isakmp_transform_add_attr(t, IVPN_P2_ATTR_ENCAP_MODE, IVPN_P2_ENCAP_TUNNEL);
}

static void assert_sa_eq(const ivpn_isakmp_sa *a, const ivpn_isakmp_sa *b)
{
    cr_assert_eq(a->doi, b->doi);
    cr_assert_eq(a->situation, b->situation);
    cr_assert_eq(a->n_proposals, b->n_proposals);
    for (unsigned i = 0; i < a->n_proposals; i++) {
        const ivpn_isakmp_proposal *p = &a->proposals[i], *q = &b->proposals[i];
        cr_assert_eq(p->num, q->num);
        cr_assert_eq(p->protocol, q->protocol);
        cr_assert_eq(p->spi_size, q->spi_size);
        cr_assert_arr_eq(p->spi, q->spi, p->spi_size);
        cr_assert_eq(p->n_transforms, q->n_transforms);
        for (unsigned k = 0; k < p->n_transforms; k++) {
            const ivpn_isakmp_transform *s = &p->transforms[k], *t = &q->transforms[k];
            cr_assert_eq(s->num, t->num);
            cr_assert_eq(s->id, t->id);
            cr_assert_eq(s->n_attrs, t->n_attrs);
            for (unsigned m = 0; m < s->n_attrs; m++) {
                cr_assert_eq(s->attrs[m].type, t->attrs[m].type);
                cr_assert_eq(s->attrs[m].basic, t->attrs[m].basic);
                cr_assert_eq(s->attrs[m].value, t->attrs[m].value);
            }
        }
    }
}

Test(isakmp_sa, add_attr_chooses_basic_or_variable, .description = "TV up to 16 bits, TLV 4 or 8")
{
    ivpn_isakmp_transform t;
    uint64_t v = 0;
    memset(&t, 0, sizeof(t));
    ivpn_isakmp_transform_add_attr(&t, 12, 65535);
    ivpn_isakmp_transform_add_attr(&t, 13, 65536);
    ivpn_isakmp_transform_add_attr(&t, 14, 0x100000000ULL);
    cr_assert_eq(t.n_attrs, 3);
    cr_assert(t.attrs[0].basic);
    cr_assert_not(t.attrs[1].basic);
    cr_assert_not(t.attrs[2].basic);
    cr_assert(ivpn_isakmp_attr_get(&t, 13, &v));
    cr_assert_eq(v, 65536);
    cr_assert(ivpn_isakmp_attr_get(&t, 14, NULL));
    cr_assert_not(ivpn_isakmp_attr_get(&t, 1, &v));
    for (int i = 0; i < 20; i++)
        ivpn_isakmp_transform_add_attr(&t, (uint16_t)(100 + i), 1);
    cr_assert_eq(t.n_attrs, IVPN_ISAKMP_MAX_ATTRS, "full transform drops further attributes");
}

Test(isakmp_sa, round_trip)
{
    ivpn_span s;
    build_sa(&sa_in);
    s = ENCODE(ivpn_isakmp_sa_encode, &sa_in);
    cr_assert_eq(ivpn_isakmp_sa_decode(NULL, s, &sa_out), IPSECVPN_OK);
    assert_sa_eq(&sa_in, &sa_out);
}

Test(isakmp_sa, wire_form)
{
    ivpn_span s;
    const uint8_t *p, *t1, *t2, *p2;
    build_sa(&sa_in);
    s = ENCODE(ivpn_isakmp_sa_encode, &sa_in);
    /* DOI, situation */
    cr_assert_arr_eq(s.p, "\0\0\0\1\0\0\0\1", 8);
    p = s.p + 8;
    cr_assert_eq(p[0], IVPN_ISAKMP_PL_P, "another proposal follows");
    cr_assert_eq(p[4], 1);
    cr_assert_eq(p[5], IVPN_ISAKMP_PROTO_ISAKMP);
    cr_assert_eq(p[6], 0, "no SPI in phase 1");
    cr_assert_eq(p[7], 2, "two transforms");
    t1 = p + 8;
    cr_assert_eq(t1[0], IVPN_ISAKMP_PL_T, "another transform follows");
    /* 8 + 4 basic attrs of 4 bytes + life duration TLV of 4+4 */
    cr_assert_eq(be16(t1 + 2), 8 + 16 + 8);
    cr_assert_eq(t1[4], 1);
    cr_assert_eq(t1[5], IVPN_ISAKMP_TRANSFORM_KEY_IKE);
    cr_assert_arr_eq(t1 + 8, "\x80\x01\x00\x07\x80\x0e\x01\x00\x80\x02\x00\x04\x80\x0b\x00\x01"
                             "\x00\x0c\x00\x04\x00\x01\x51\x80", 24);
    t2 = t1 + be16(t1 + 2);
    cr_assert_eq(t2[0], 0, "last transform");
    cr_assert_eq(be16(t2 + 2), 8 + 4 + 12);
    cr_assert_arr_eq(t2 + 12, "\x00\x0c\x00\x08\x00\x00\x00\x12\x34\x56\x78\x9a", 12);
    cr_assert_eq(be16(p + 2), 8 + be16(t1 + 2) + be16(t2 + 2), "proposal length covers transforms");
    p2 = p + be16(p + 2);
    cr_assert_eq(p2[0], 0, "last proposal");
    cr_assert_eq(p2[5], IVPN_ISAKMP_PROTO_ESP);
    cr_assert_eq(p2[6], 4);
    cr_assert_arr_eq(p2 + 8, "\xc0\xff\xee\x01", 4);
    cr_assert_eq(p2 + be16(p2 + 2), s.p + s.len);
}

Test(isakmp_sa, truncated_at_every_offset)
{
    ivpn_span s;
    build_sa(&sa_in);
    s = ENCODE(ivpn_isakmp_sa_encode, &sa_in);
    for (size_t n = 0; n < s.len; n++)
        cr_assert_eq(ivpn_isakmp_sa_decode(NULL, (ivpn_span){s.p, n}, &sa_out),
                     IPSECVPN_ERR_IKE_MALFORMED, "cut at %zu", n);
}

Test(isakmp_sa, every_length_field_off_by_one)
{
    /* Growing or shrinking any proposal/transform length by one must fail, never read out of
     * bounds (ASan run). Offsets of the length fields of the encoding of build_sa(). */
    ivpn_span s;
    uint8_t copy[512];
    size_t fields[8], n = 0, off = 8;
    build_sa(&sa_in);
    s = ENCODE(ivpn_isakmp_sa_encode, &sa_in);
    cr_assert(s.len <= sizeof(copy));
    while (off < s.len) {
        size_t plen = be16(s.p + off + 2), spi = s.p[off + 6], t = off + 8 + spi;
        fields[n++] = off + 2;
        while (t < off + plen) {
            fields[n++] = t + 2;
            t += be16(s.p + t + 2);
        }
        off += plen;
    }
    cr_assert_eq(n, 5);
    for (size_t i = 0; i < n; i++) {
        for (int d = -1; d <= 1; d += 2) {
            memcpy(copy, s.p, s.len);
            copy[fields[i] + 1] = (uint8_t)(copy[fields[i] + 1] + d);
            cr_assert_eq(ivpn_isakmp_sa_decode(NULL, (ivpn_span){copy, s.len}, &sa_out),
                         IPSECVPN_ERR_IKE_MALFORMED, "field at %zu %+d", fields[i], d);
        }
    }
}

/* A minimal SA body: one phase-1 proposal, one transform holding `attrs`. */
static size_t one_transform(uint8_t *out, const uint8_t *attrs, size_t alen)
{
    static const uint8_t head[] = {0, 0, 0, 1, 0, 0, 0, 1};
    size_t n = 0;
    memcpy(out, head, 8);
    n = 8;
    out[n++] = 0; out[n++] = 0; out[n++] = 0; out[n++] = (uint8_t)(8 + 8 + alen);
    out[n++] = 1; out[n++] = 1; out[n++] = 0; out[n++] = 1;
    out[n++] = 0; out[n++] = 0; out[n++] = 0; out[n++] = (uint8_t)(8 + alen);
    out[n++] = 1; out[n++] = 1; out[n++] = 0; out[n++] = 0;
    if (alen)
        memcpy(out + n, attrs, alen);
    return n + alen;
}

static int decode_raw(const uint8_t *p, size_t n)
{
    return ivpn_isakmp_sa_decode(NULL, (ivpn_span){p, n}, &sa_out);
}

Test(isakmp_sa, attributes)
{
    uint8_t b[128];
    size_t n;
    /* TLV of 0, 1, 8 bytes: read as big-endian numbers */
    static const uint8_t ok[] = {0x00, 0x0c, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x01, 0x7f,
                                 0x00, 0x0d, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8};
    n = one_transform(b, ok, sizeof(ok));
    cr_assert_eq(decode_raw(b, n), IPSECVPN_OK);
    cr_assert_eq(sa_out.proposals[0].transforms[0].n_attrs, 3);
    cr_assert_eq(sa_out.proposals[0].transforms[0].attrs[0].value, 0);
    cr_assert_eq(sa_out.proposals[0].transforms[0].attrs[1].value, 0x7f);
    cr_assert_eq(sa_out.proposals[0].transforms[0].attrs[2].value, 0x0102030405060708ULL);
    cr_assert_not(sa_out.proposals[0].transforms[0].attrs[2].basic);
}

Test(isakmp_sa, attribute_errors)
{
    uint8_t b[256];
    static const uint8_t tlv9[] = {0x00, 0x0c, 0x00, 0x09, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    static const uint8_t tlv_past[] = {0x00, 0x0c, 0x00, 0x04, 1, 2};
    static const uint8_t half_basic[] = {0x80, 0x01};
    static const uint8_t twice[] = {0x80, 0x01, 0x00, 0x07, 0x80, 0x01, 0x00, 0x05};
    uint8_t many[4 * (IVPN_ISAKMP_MAX_ATTRS + 1)];
    ipsecvpn_ctx *ctx = wire_ctx_new();
    size_t n = one_transform(b, tlv9, sizeof(tlv9));
    cr_assert_eq(ivpn_isakmp_sa_decode(ctx, (ivpn_span){b, n}, &sa_out), IPSECVPN_ERR_IKE_MALFORMED);
    cr_assert_eq(wire_log.lines, 1, "one log line per refusal");
    cr_assert_not_null(strstr(wire_log.last, "9-byte value"), "log: %s", wire_log.last);
    ipsecvpn_ctx_free(ctx);
    cr_assert_eq(decode_raw(b, one_transform(b, tlv_past, sizeof(tlv_past))), IPSECVPN_ERR_IKE_MALFORMED);
    cr_assert_eq(decode_raw(b, one_transform(b, half_basic, sizeof(half_basic))), IPSECVPN_ERR_IKE_MALFORMED);
    cr_assert_eq(decode_raw(b, one_transform(b, twice, sizeof(twice))), IPSECVPN_ERR_IKE_MALFORMED);
    {
        /* Life Type/Duration pairs repeat per unit (seconds, kilobytes): phase-1 numbers in an
         * ISAKMP proposal, IPsec DOI numbers in an ESP one. */
        static const uint8_t p1_lives[] = {0x80, 0x0b, 0, 1, 0x80, 0x0c, 0x0e, 0x10,
                                           0x80, 0x0b, 0, 2, 0x00, 0x0c, 0, 4, 0, 1, 0, 0};
        static const uint8_t p2_lives[] = {0x80, 0x01, 0, 1, 0x80, 0x02, 0x0e, 0x10,
                                           0x80, 0x01, 0, 2, 0x80, 0x02, 0x10, 0x00};
        uint64_t v = 0;
        size_t n2 = one_transform(b, p1_lives, sizeof(p1_lives));
        cr_assert_eq(decode_raw(b, n2), IPSECVPN_OK);
        cr_assert_eq(sa_out.proposals[0].transforms[0].n_attrs, 4);
        cr_assert(ivpn_isakmp_attr_get(&sa_out.proposals[0].transforms[0], 12, &v));
        cr_assert_eq(v, 3600, "attr_get returns the first");
        cr_assert_eq(sa_out.proposals[0].transforms[0].attrs[3].value, 65536);
        n2 = one_transform(b, p2_lives, sizeof(p2_lives));
        cr_assert_eq(decode_raw(b, n2), IPSECVPN_ERR_IKE_MALFORMED, "phase-2 numbers in phase 1");
        b[13] = IVPN_ISAKMP_PROTO_ESP; /* the proposal becomes ESP with a 4-byte SPI: rebuild */
        {
            uint8_t e[128];
            memcpy(e, b, 16);
            e[11] = (uint8_t)(e[11] + 4);
            e[14] = 4;
            memcpy(e + 16, "\1\2\3\4", 4);
            memcpy(e + 20, b + 16, n2 - 16);
            cr_assert_eq(decode_raw(e, n2 + 4), IPSECVPN_OK);
            cr_assert_eq(sa_out.proposals[0].transforms[0].n_attrs, 4);
            memcpy(e + 20 + 8, p1_lives, 4); /* phase-1 Life Type twice in ESP: refused */
            memcpy(e + 20 + 8 + 8, p1_lives, 4);
            cr_assert_eq(decode_raw(e, n2 + 4), IPSECVPN_ERR_IKE_MALFORMED);
        }
    }
    for (unsigned i = 0; i <= IVPN_ISAKMP_MAX_ATTRS; i++) {
        many[4 * i] = 0x80; many[4 * i + 1] = (uint8_t)(i + 1);
        many[4 * i + 2] = 0; many[4 * i + 3] = 1;
    }
    cr_assert_eq(decode_raw(b, one_transform(b, many, sizeof(many))), IPSECVPN_ERR_IKE_MALFORMED);
    cr_assert_eq(decode_raw(b, one_transform(b, many, sizeof(many) - 4)), IPSECVPN_OK,
                 "exactly MAX attributes is fine");
}

Test(isakmp_sa, header_field_errors)
{
    uint8_t b[128], c[128];
    size_t n = one_transform(b, NULL, 0);
    cr_assert_eq(decode_raw(b, n), IPSECVPN_OK);
#define MUTATE(at, v) do { memcpy(c, b, n); c[at] = (v); \
        cr_assert_eq(decode_raw(c, n), IPSECVPN_ERR_IKE_MALFORMED, "byte %d = %d", at, v); } while (0)
    MUTATE(3, 2);        /* DOI 2 */
    MUTATE(7, 2);        /* situation SECRECY */
    MUTATE(8, 5);        /* proposal Next Payload neither 0 nor 2 */
    MUTATE(8, 2);        /* says another proposal follows, none does */
    MUTATE(11, 7);       /* proposal length < 8 */
    MUTATE(15, 0);       /* no transforms declared */
    MUTATE(15, 2);       /* 2 declared, 1 present */
    MUTATE(14, 17);      /* SPI size above 16 */
    MUTATE(16, 1);       /* transform Next Payload 1 */
    MUTATE(16, 3);       /* another transform announced, none follows */
    MUTATE(19, 7);       /* transform length < 8 */
    MUTATE(19, 9);       /* transform length passes the proposal */
    memcpy(c, b, n);
    c[n] = 0;
    cr_assert_eq(decode_raw(c, n + 1), IPSECVPN_ERR_IKE_MALFORMED, "trailing byte");
    cr_assert_eq(decode_raw(b, 8), IPSECVPN_ERR_IKE_MALFORMED, "no proposal");
    memcpy(c, b, n);
    c[13] = IVPN_ISAKMP_PROTO_ESP; /* ESP with SPI size 0 */
    cr_assert_eq(decode_raw(c, n), IPSECVPN_ERR_IKE_MALFORMED);
#undef MUTATE
}

Test(isakmp_sa, limits)
{
    /* MAX proposals / transforms are accepted, one more is MALFORMED. */
    ivpn_span s;
    uint8_t copy[8192];
    build_sa(&sa_in);
    sa_in.n_proposals = IVPN_ISAKMP_MAX_PROPOSALS;
    for (unsigned i = 0; i < IVPN_ISAKMP_MAX_PROPOSALS; i++) {
        sa_in.proposals[i] = sa_in.proposals[1];
        sa_in.proposals[i].num = (uint8_t)(i + 1);
    }
    sa_in.proposals[0].n_transforms = IVPN_ISAKMP_MAX_TRANSFORMS;
    for (unsigned k = 0; k < IVPN_ISAKMP_MAX_TRANSFORMS; k++) {
        sa_in.proposals[0].transforms[k] = sa_in.proposals[1].transforms[0];
        sa_in.proposals[0].transforms[k].num = (uint8_t)(k + 1);
    }
    s = ENCODE(ivpn_isakmp_sa_encode, &sa_in);
    cr_assert_eq(ivpn_isakmp_sa_decode(NULL, s, &sa_out), IPSECVPN_OK);
    assert_sa_eq(&sa_in, &sa_out);

    /* 9th proposal: append a copy of the last one (12 + 12 bytes) after fixing Next Payload */
    memcpy(copy, s.p, s.len);
    {
        size_t off = 8, last = 0;
        while (off < s.len) { last = off; off += be16(copy + off + 2); }
        copy[last] = IVPN_ISAKMP_PL_P;
        memcpy(copy + s.len, s.p + last, s.len - last);
        cr_assert_eq(decode_raw(copy, s.len + (s.len - last)), IPSECVPN_ERR_IKE_MALFORMED);
    }
    /* 17th transform in the first proposal: the encoder refuses, the decoder too */
    sa_in.proposals[0].n_transforms = IVPN_ISAKMP_MAX_TRANSFORMS + 1;
    cr_assert_eq(ENCODE_STATUS(ivpn_isakmp_sa_encode, &sa_in), IPSECVPN_ERR_INVALID_ARG);
    {
        /* declared 17, and 17 transforms present: hand-built */
        uint8_t b[8 + 8 + 17 * 8];
        size_t n = 0;
        memcpy(b, "\0\0\0\1\0\0\0\1", 8);
        n = 8;
        b[n++] = 0; b[n++] = 0; b[n++] = 0; b[n++] = (uint8_t)(8 + 17 * 8);
        b[n++] = 1; b[n++] = 1; b[n++] = 0; b[n++] = 17;
        for (int k = 0; k < 17; k++) {
            b[n++] = k == 16 ? 0 : 3; b[n++] = 0; b[n++] = 0; b[n++] = 8;
            b[n++] = (uint8_t)(k + 1); b[n++] = 1; b[n++] = 0; b[n++] = 0;
        }
        cr_assert_eq(decode_raw(b, n), IPSECVPN_ERR_IKE_MALFORMED);
        b[8 + 7] = 16;
        b[8 + 3] = (uint8_t)(8 + 16 * 8);
        b[8 + 8 + 15 * 8] = 0;
        cr_assert_eq(decode_raw(b, 8 + 8 + 16 * 8), IPSECVPN_OK);
        cr_assert_eq(sa_out.proposals[0].n_transforms, 16);
    }
}

Test(isakmp_sa, proposal_numbers)
{
    ivpn_span s;
    build_sa(&sa_in);
    sa_in.proposals[1].num = 1; /* AND-bundle with the first: kept */
    s = ENCODE(ivpn_isakmp_sa_encode, &sa_in);
    cr_assert_eq(ivpn_isakmp_sa_decode(NULL, s, &sa_out), IPSECVPN_OK);
    cr_assert_eq(sa_out.n_proposals, 2);
    sa_in.proposals[0].num = 3; /* decreasing */
    s = ENCODE(ivpn_isakmp_sa_encode, &sa_in);
    cr_assert_eq(ivpn_isakmp_sa_decode(NULL, s, &sa_out), IPSECVPN_ERR_IKE_MALFORMED);
}

Test(isakmp_sa, encoder_refuses_inconsistent_structs)
{
    build_sa(&sa_in);
    sa_in.n_proposals = 0;
    cr_assert_eq(ENCODE_STATUS(ivpn_isakmp_sa_encode, &sa_in), IPSECVPN_ERR_INVALID_ARG);
    build_sa(&sa_in);
    sa_in.n_proposals = IVPN_ISAKMP_MAX_PROPOSALS + 1;
    cr_assert_eq(ENCODE_STATUS(ivpn_isakmp_sa_encode, &sa_in), IPSECVPN_ERR_INVALID_ARG);
    build_sa(&sa_in);
    sa_in.proposals[1].spi_size = 17;
    cr_assert_eq(ENCODE_STATUS(ivpn_isakmp_sa_encode, &sa_in), IPSECVPN_ERR_INVALID_ARG);
    build_sa(&sa_in);
    sa_in.proposals[1].n_transforms = 0;
    cr_assert_eq(ENCODE_STATUS(ivpn_isakmp_sa_encode, &sa_in), IPSECVPN_ERR_INVALID_ARG);
    build_sa(&sa_in);
    sa_in.proposals[0].transforms[0].attrs[0].value = 70000; /* basic but too big */
    cr_assert_eq(ENCODE_STATUS(ivpn_isakmp_sa_encode, &sa_in), IPSECVPN_ERR_INVALID_ARG);
    build_sa(&sa_in);
    sa_in.proposals[0].transforms[0].attrs[0].type = 0x8001;
    cr_assert_eq(ENCODE_STATUS(ivpn_isakmp_sa_encode, &sa_in), IPSECVPN_ERR_INVALID_ARG);
    build_sa(&sa_in);
    sa_in.proposals[0].transforms[0].n_attrs = IVPN_ISAKMP_MAX_ATTRS + 1;
    cr_assert_eq(ENCODE_STATUS(ivpn_isakmp_sa_encode, &sa_in), IPSECVPN_ERR_INVALID_ARG);
    {
        ivpn_writer w;
        build_sa(&sa_in);
        ivpn_writer_init(&w, buf, 20);
        ivpn_isakmp_sa_encode(&w, &sa_in);
        cr_assert_eq(ivpn_wr_status(&w), IPSECVPN_ERR_BUFFER_TOO_SMALL);
    }
}

/* ---- ID ------------------------------------------------------------------------------- */

Test(isakmp_id, round_trip_and_wire_form)
{
    ivpn_isakmp_id in = {IVPN_ISAKMP_ID_IPV4_ADDR_SUBNET, 17, 500,
                         {(const uint8_t *)"\x0a\xca\x01\x00\xff\xff\xff\x00", 8}}, out;
    ivpn_span s = ENCODE(ivpn_isakmp_id_encode, &in);
    cr_assert_eq(s.len, 12);
    cr_assert_arr_eq(s.p, "\x04\x11\x01\xf4", 4);
    cr_assert_eq(ivpn_isakmp_id_decode(NULL, s, &out), IPSECVPN_OK);
    cr_assert_eq(out.type, in.type);
    cr_assert_eq(out.protocol, 17);
    cr_assert_eq(out.port, 500);
    cr_assert_eq(out.data.len, 8);
    cr_assert_arr_eq(out.data.p, in.data.p, 8);
}

Test(isakmp_id, lengths_per_type)
{
    static const struct { uint8_t type; size_t len; int rc; } cases[] = {
        {IVPN_ISAKMP_ID_IPV4_ADDR, 4, IPSECVPN_OK},
        {IVPN_ISAKMP_ID_IPV4_ADDR, 3, IPSECVPN_ERR_IKE_MALFORMED},
        {IVPN_ISAKMP_ID_IPV4_ADDR, 5, IPSECVPN_ERR_IKE_MALFORMED},
        {IVPN_ISAKMP_ID_IPV4_ADDR_SUBNET, 8, IPSECVPN_OK},
        {IVPN_ISAKMP_ID_IPV4_ADDR_SUBNET, 4, IPSECVPN_ERR_IKE_MALFORMED},
        {IVPN_ISAKMP_ID_IPV4_ADDR_RANGE, 8, IPSECVPN_OK},
        {IVPN_ISAKMP_ID_IPV6_ADDR, 16, IPSECVPN_OK},
        {IVPN_ISAKMP_ID_IPV6_ADDR, 4, IPSECVPN_ERR_IKE_MALFORMED},
        {IVPN_ISAKMP_ID_IPV6_ADDR_SUBNET, 32, IPSECVPN_OK},
        {IVPN_ISAKMP_ID_IPV6_ADDR_RANGE, 31, IPSECVPN_ERR_IKE_MALFORMED},
        {IVPN_ISAKMP_ID_FQDN, 1, IPSECVPN_OK},
        {IVPN_ISAKMP_ID_FQDN, 0, IPSECVPN_ERR_IKE_MALFORMED},
        {IVPN_ISAKMP_ID_USER_FQDN, 0, IPSECVPN_ERR_IKE_MALFORMED},
        {IVPN_ISAKMP_ID_KEY_ID, 0, IPSECVPN_ERR_IKE_MALFORMED},
        {IVPN_ISAKMP_ID_KEY_ID, 40, IPSECVPN_OK},
        {9, 0, IPSECVPN_OK}, /* DER_ASN1_DN: not ours to judge */
    };
    uint8_t b[64] = {0};
    ivpn_isakmp_id out;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        b[0] = cases[i].type;
        cr_assert_eq(ivpn_isakmp_id_decode(NULL, (ivpn_span){b, 4 + cases[i].len}, &out),
                     cases[i].rc, "type %u len %zu", cases[i].type, cases[i].len);
    }
    for (size_t n = 0; n < 4; n++)
        cr_assert_eq(ivpn_isakmp_id_decode(NULL, (ivpn_span){b, n}, &out),
                     IPSECVPN_ERR_IKE_MALFORMED);
}

/* ---- notify --------------------------------------------------------------------------- */

Test(isakmp_notify, dpd_round_trip_and_truncations)
{
    ivpn_isakmp_notify in, out;
    ivpn_span s;
    memset(&in, 0, sizeof(in));
    in.doi = IVPN_ISAKMP_DOI_IPSEC;
    in.protocol = IVPN_ISAKMP_PROTO_ISAKMP;
    in.spi_size = 16;
    in.type = IVPN_ISAKMP_N_DPD_R_U_THERE;
    for (int i = 0; i < 16; i++)
        in.spi[i] = (uint8_t)(0xa0 + i);
    in.data = (ivpn_span){(const uint8_t *)"\x00\x00\x00\x2a", 4}; /* sequence number */
    s = ENCODE(ivpn_isakmp_notify_encode, &in);
    cr_assert_eq(s.len, 8 + 16 + 4);
    cr_assert_arr_eq(s.p, "\0\0\0\1\x01\x10\x8d\x28", 8);
    cr_assert_eq(ivpn_isakmp_notify_decode(NULL, s, &out), IPSECVPN_OK);
    cr_assert_eq(out.doi, 1);
    cr_assert_eq(out.protocol, 1);
    cr_assert_eq(out.spi_size, 16);
    cr_assert_eq(out.type, IVPN_ISAKMP_N_DPD_R_U_THERE);
    cr_assert_arr_eq(out.spi, in.spi, 16);
    cr_assert_eq(out.data.len, 4);
    cr_assert_arr_eq(out.data.p, in.data.p, 4);
    for (size_t n = 0; n < 8 + 16; n++)
        cr_assert_eq(ivpn_isakmp_notify_decode(NULL, (ivpn_span){s.p, n}, &out),
                     IPSECVPN_ERR_IKE_MALFORMED, "cut at %zu", n);
    cr_assert_eq(ivpn_isakmp_notify_decode(NULL, (ivpn_span){s.p, 24}, &out), IPSECVPN_OK);
    cr_assert_eq(out.data.len, 0);
}

Test(isakmp_notify, spi_size_limit)
{
    uint8_t b[64] = {0, 0, 0, 1, 3, 17, 0x60, 0x02};
    ivpn_isakmp_notify n;
    cr_assert_eq(ivpn_isakmp_notify_decode(NULL, (ivpn_span){b, sizeof(b)}, &n),
                 IPSECVPN_ERR_IKE_MALFORMED);
    memset(&n, 0, sizeof(n));
    n.spi_size = 17;
    cr_assert_eq(ENCODE_STATUS(ivpn_isakmp_notify_encode, &n), IPSECVPN_ERR_INVALID_ARG);
    b[5] = 4; /* ESP SPI, no data */
    cr_assert_eq(ivpn_isakmp_notify_decode(NULL, (ivpn_span){b, 12}, &n), IPSECVPN_OK);
    cr_assert_eq(n.type, IVPN_ISAKMP_N_INITIAL_CONTACT);
}

/* ---- delete --------------------------------------------------------------------------- */

Test(isakmp_delete, round_trip_and_errors)
{
    ivpn_isakmp_delete in, out;
    ivpn_span s;
    uint8_t copy[128];
    memset(&in, 0, sizeof(in));
    in.doi = 1;
    in.protocol = IVPN_ISAKMP_PROTO_ESP;
    in.spi_size = 4;
    in.n_spis = 2;
    memcpy(in.spis[0], "\x11\x22\x33\x44", 4);
    memcpy(in.spis[1], "\x55\x66\x77\x88", 4);
    s = ENCODE(ivpn_isakmp_delete_encode, &in);
    cr_assert_eq(s.len, 16);
    cr_assert_arr_eq(s.p, "\0\0\0\1\x03\x04\x00\x02\x11\x22\x33\x44\x55\x66\x77\x88", 16);
    cr_assert_eq(ivpn_isakmp_delete_decode(NULL, s, &out), IPSECVPN_OK);
    cr_assert_eq(memcmp(&in, &out, sizeof(in)), 0);
    for (size_t n = 0; n < s.len; n++)
        cr_assert_eq(ivpn_isakmp_delete_decode(NULL, (ivpn_span){s.p, n}, &out),
                     IPSECVPN_ERR_IKE_MALFORMED, "cut at %zu", n);
    memcpy(copy, s.p, s.len);
    copy[s.len] = 0;
    cr_assert_eq(ivpn_isakmp_delete_decode(NULL, (ivpn_span){copy, s.len + 1}, &out),
                 IPSECVPN_ERR_IKE_MALFORMED, "trailing byte");
    copy[7] = 0;
    cr_assert_eq(ivpn_isakmp_delete_decode(NULL, (ivpn_span){copy, 8}, &out),
                 IPSECVPN_ERR_IKE_MALFORMED, "no SPI");
    memcpy(copy, s.p, s.len);
    copy[5] = 0;
    cr_assert_eq(ivpn_isakmp_delete_decode(NULL, (ivpn_span){copy, 8}, &out),
                 IPSECVPN_ERR_IKE_MALFORMED, "SPI size 0");
    copy[5] = 17;
    cr_assert_eq(ivpn_isakmp_delete_decode(NULL, (ivpn_span){copy, s.len}, &out),
                 IPSECVPN_ERR_IKE_MALFORMED, "SPI size 17");
    in.n_spis = IVPN_ISAKMP_MAX_DELETE_SPIS + 1;
    cr_assert_eq(ENCODE_STATUS(ivpn_isakmp_delete_encode, &in), IPSECVPN_ERR_INVALID_ARG);
}

Test(isakmp_delete, more_spis_than_kept)
{
    uint8_t b[8 + 20 * 4] = {0, 0, 0, 1, 3, 4, 0, 20};
    ivpn_isakmp_delete d;
    for (int i = 0; i < 20 * 4; i++)
        b[8 + i] = (uint8_t)i;
    cr_assert_eq(ivpn_isakmp_delete_decode(NULL, (ivpn_span){b, sizeof(b)}, &d), IPSECVPN_OK);
    cr_assert_eq(d.n_spis, 20);
    cr_assert_arr_eq(d.spis[15], b + 8 + 15 * 4, 4);
}

/* ---- raw-data payloads ---------------------------------------------------------------- */

Test(isakmp_raw, length_checks)
{
    static uint8_t b[1100];
    static const struct { int (*fn)(const ipsecvpn_ctx *, ivpn_span); size_t lo, hi; } c[] = {
        {ivpn_isakmp_nonce_check, 8, 256},
        {ivpn_isakmp_hash_check, 1, 64},
        {ivpn_isakmp_ke_check, 1, 1024},
    };
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(c[i].fn(NULL, (ivpn_span){b, c[i].lo - 1}), IPSECVPN_ERR_IKE_MALFORMED);
        cr_assert_eq(c[i].fn(NULL, (ivpn_span){b, c[i].lo}), IPSECVPN_OK);
        cr_assert_eq(c[i].fn(NULL, (ivpn_span){b, c[i].hi}), IPSECVPN_OK);
        cr_assert_eq(c[i].fn(NULL, (ivpn_span){b, c[i].hi + 1}), IPSECVPN_ERR_IKE_MALFORMED);
    }
}
