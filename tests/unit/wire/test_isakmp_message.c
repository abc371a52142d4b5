/* ISAKMP header, payload chain walk and chain writer; decoding of real strongSwan 5.9.8
 * IKEv1 messages (captured between two charons: main mode, aggressive mode, quick mode,
 * informational delete; see fuzz/corpus/isakmp_message/). */
#include "wire_util.h"

#include "wire/isakmp.h"

static ivpn_isakmp_payload_list list;
static ivpn_isakmp_sa sa;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- header ----------------------------------------------------------------------------- */

static const ivpn_isakmp_header sample_hdr = {
    {1, 2, 3, 4, 5, 6, 7, 8}, {9, 10, 11, 12, 13, 14, 15, 16}, IVPN_ISAKMP_PL_SA, 1, 0,
    IVPN_ISAKMP_EX_MAIN, IVPN_ISAKMP_FLAG_ENC, 0x01020304, 28};

Test(isakmp_header, round_trip)
{
    uint8_t b[64];
    ivpn_writer w;
    ivpn_isakmp_header h;
    ivpn_writer_init(&w, b, sizeof(b));
    ivpn_isakmp_header_encode(&w, &sample_hdr);
    cr_assert_eq(ivpn_wr_status(&w), IPSECVPN_OK);
    cr_assert_eq(w.len, IVPN_ISAKMP_HEADER_LEN);
    cr_assert_eq(b[17], 0x10, "version 1.0");
    cr_assert_eq(be32(b + 20), 0x01020304);
    cr_assert_eq(ivpn_isakmp_header_decode(NULL, b, w.len, &h), IPSECVPN_OK);
    cr_assert_arr_eq(h.cookie_i, sample_hdr.cookie_i, 8);
    cr_assert_arr_eq(h.cookie_r, sample_hdr.cookie_r, 8);
    cr_assert_eq(h.next_payload, IVPN_ISAKMP_PL_SA);
    cr_assert_eq(h.major, 1);
    cr_assert_eq(h.minor, 0);
    cr_assert_eq(h.exchange, IVPN_ISAKMP_EX_MAIN);
    cr_assert_eq(h.flags, IVPN_ISAKMP_FLAG_ENC);
    cr_assert_eq(h.message_id, 0x01020304);
    cr_assert_eq(h.length, 28);
}

Test(isakmp_header, errors)
{
    uint8_t b[64];
    ivpn_writer w;
    ivpn_isakmp_header h;
    ivpn_writer_init(&w, b, sizeof(b));
    ivpn_isakmp_header_encode(&w, &sample_hdr);
    for (size_t n = 0; n < IVPN_ISAKMP_HEADER_LEN; n++)
        cr_assert_eq(ivpn_isakmp_header_decode(NULL, b, n, &h), IPSECVPN_ERR_IKE_MALFORMED,
                     "cut at %zu", n);
    /* bytes after Length are ignored */
    memset(b + 28, 0xee, 8);
    cr_assert_eq(ivpn_isakmp_header_decode(NULL, b, 36, &h), IPSECVPN_OK);
    cr_assert_eq(h.length, 28);
    b[27] = 29; /* Length > datagram */
    {
        ipsecvpn_ctx *ctx = wire_ctx_new();
        cr_assert_eq(ivpn_isakmp_header_decode(ctx, b, 28, &h), IPSECVPN_ERR_IKE_MALFORMED);
        cr_assert_not_null(strstr(wire_log.last, "header length 29"), "log: %s", wire_log.last);
        ipsecvpn_ctx_free(ctx);
    }
    b[27] = 27; /* Length < 28 */
    cr_assert_eq(ivpn_isakmp_header_decode(NULL, b, 36, &h), IPSECVPN_ERR_IKE_MALFORMED);
    b[24] = 1;  /* 16 MB */
    b[27] = 28;
    cr_assert_eq(ivpn_isakmp_header_decode(NULL, b, 36, &h), IPSECVPN_ERR_IKE_MALFORMED);
    b[24] = 0;
    b[17] = 0x20; /* IKEv2 */
    cr_assert_eq(ivpn_isakmp_header_decode(NULL, b, 28, &h), IPSECVPN_ERR_IKE_MALFORMED);
    b[17] = 0x11; /* 1.1: minor ignored */
    cr_assert_eq(ivpn_isakmp_header_decode(NULL, b, 28, &h), IPSECVPN_OK);
    cr_assert_eq(h.minor, 1);
}

/* ---- chain walk ------------------------------------------------------------------------- */

/* KE(4 bytes) → NONCE(8 bytes) → VID(0 bytes) */
static const uint8_t chain3[] = {
    IVPN_ISAKMP_PL_NONCE, 0, 0, 8, 0xa1, 0xa2, 0xa3, 0xa4,
    IVPN_ISAKMP_PL_VID, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8,
    0, 0, 0, 4,
};

Test(isakmp_chain, walk)
{
    cr_assert_eq(ivpn_isakmp_chain_walk(NULL, IVPN_ISAKMP_PL_KE, chain3, sizeof(chain3), false,
                                        &list), IPSECVPN_OK);
    cr_assert_eq(list.count, 3);
    cr_assert_eq(list.items[0].type, IVPN_ISAKMP_PL_KE);
    cr_assert_eq(list.items[0].body.len, 4);
    cr_assert_eq(list.items[0].body.p, chain3 + 4);
    cr_assert_eq(list.items[0].whole.p, chain3);
    cr_assert_eq(list.items[0].whole.len, 8);
    cr_assert_eq(list.items[1].type, IVPN_ISAKMP_PL_NONCE);
    cr_assert_eq(list.items[1].body.len, 8);
    cr_assert_eq(list.items[2].type, IVPN_ISAKMP_PL_VID);
    cr_assert_eq(list.items[2].body.len, 0);
    cr_assert_eq(ivpn_isakmp_list_find(&list, IVPN_ISAKMP_PL_NONCE), &list.items[1]);
    cr_assert_null(ivpn_isakmp_list_find(&list, IVPN_ISAKMP_PL_SA));
    cr_assert_eq(ivpn_isakmp_list_count(&list, IVPN_ISAKMP_PL_VID), 1);
    cr_assert_eq(ivpn_isakmp_list_count(&list, IVPN_ISAKMP_PL_HASH), 0);
    cr_assert_eq(ivpn_isakmp_chain_walk(NULL, IVPN_ISAKMP_PL_NONE, chain3, 0, false, &list),
                 IPSECVPN_OK);
    cr_assert_eq(list.count, 0);
}

Test(isakmp_chain, truncated_at_every_offset)
{
    for (size_t n = 0; n < sizeof(chain3); n++) {
        cr_assert_eq(ivpn_isakmp_chain_walk(NULL, IVPN_ISAKMP_PL_KE, chain3, n, false, &list),
                     IPSECVPN_ERR_IKE_MALFORMED, "cut at %zu", n);
        cr_assert_eq(ivpn_isakmp_chain_walk(NULL, IVPN_ISAKMP_PL_KE, chain3, n, true, &list),
                     IPSECVPN_ERR_IKE_MALFORMED, "cut at %zu (trailing allowed)", n);
    }
}

Test(isakmp_chain, trailing_bytes)
{
    uint8_t b[sizeof(chain3) + 7];
    memcpy(b, chain3, sizeof(chain3));
    memset(b + sizeof(chain3), 6, 7); /* CBC padding */
    cr_assert_eq(ivpn_isakmp_chain_walk(NULL, IVPN_ISAKMP_PL_KE, b, sizeof(b), false, &list),
                 IPSECVPN_ERR_IKE_MALFORMED);
    cr_assert_eq(ivpn_isakmp_chain_walk(NULL, IVPN_ISAKMP_PL_KE, b, sizeof(b), true, &list),
                 IPSECVPN_OK);
    cr_assert_eq(list.count, 3);
}

Test(isakmp_chain, bad_lengths_and_types)
{
    uint8_t b[sizeof(chain3)];
    for (uint8_t l = 0; l < 4; l++) {
        memcpy(b, chain3, sizeof(b));
        b[11] = l; /* NONCE length < 4 */
        cr_assert_eq(ivpn_isakmp_chain_walk(NULL, IVPN_ISAKMP_PL_KE, b, sizeof(b), true, &list),
                     IPSECVPN_ERR_IKE_MALFORMED, "length %u", l);
    }
    memcpy(b, chain3, sizeof(b));
    b[23] = 5; /* last payload passes the end */
    cr_assert_eq(ivpn_isakmp_chain_walk(NULL, IVPN_ISAKMP_PL_KE, b, sizeof(b), true, &list),
                 IPSECVPN_ERR_IKE_MALFORMED);
    memcpy(b, chain3, sizeof(b));
    b[10] = 1; /* 260 bytes */
    cr_assert_eq(ivpn_isakmp_chain_walk(NULL, IVPN_ISAKMP_PL_KE, b, sizeof(b), true, &list),
                 IPSECVPN_ERR_IKE_MALFORMED);
    for (uint8_t t = IVPN_ISAKMP_PL_P; t <= IVPN_ISAKMP_PL_T; t++) {
        memcpy(b, chain3, sizeof(b));
        b[0] = t; /* proposal/transform outside SA */
        cr_assert_eq(ivpn_isakmp_chain_walk(NULL, IVPN_ISAKMP_PL_KE, b, sizeof(b), false, &list),
                     IPSECVPN_ERR_IKE_MALFORMED, "type %u", t);
        cr_assert_eq(ivpn_isakmp_chain_walk(NULL, t, b, sizeof(b), false, &list),
                     IPSECVPN_ERR_IKE_MALFORMED, "first type %u", t);
    }
}

Test(isakmp_chain, unknown_types_skipped_and_draft_types_kept)
{
    uint8_t b[sizeof(chain3)];
    memcpy(b, chain3, sizeof(b));
    b[0] = 200;                     /* NONCE slot becomes unknown type 200 */
    b[8] = IVPN_ISAKMP_PL_NATD_DRAFT; /* VID slot becomes NAT-D (draft) */
    cr_assert_eq(ivpn_isakmp_chain_walk(NULL, IVPN_ISAKMP_PL_KE, b, sizeof(b), false, &list),
                 IPSECVPN_OK);
    cr_assert_eq(list.count, 2);
    cr_assert_eq(list.skipped_unknown, 1);
    cr_assert_eq(list.items[0].type, IVPN_ISAKMP_PL_KE);
    cr_assert_eq(list.items[1].type, IVPN_ISAKMP_PL_NATD_DRAFT);
    cr_assert_eq(list.items[1].body.len, 0);
}

Test(isakmp_chain, max_payloads)
{
    uint8_t b[4 * (IVPN_ISAKMP_MAX_PAYLOADS + 1)];
    for (int i = 0; i <= IVPN_ISAKMP_MAX_PAYLOADS; i++) {
        b[4 * i] = i == IVPN_ISAKMP_MAX_PAYLOADS ? 0 : IVPN_ISAKMP_PL_VID;
        b[4 * i + 1] = 0; b[4 * i + 2] = 0; b[4 * i + 3] = 4;
    }
    b[4 * (IVPN_ISAKMP_MAX_PAYLOADS - 1)] = 0; /* 24 payloads */
    cr_assert_eq(ivpn_isakmp_chain_walk(NULL, IVPN_ISAKMP_PL_VID, b, sizeof(b) - 4, false, &list),
                 IPSECVPN_OK);
    cr_assert_eq(list.count, IVPN_ISAKMP_MAX_PAYLOADS);
    b[4 * (IVPN_ISAKMP_MAX_PAYLOADS - 1)] = IVPN_ISAKMP_PL_VID;
    cr_assert_eq(ivpn_isakmp_chain_walk(NULL, IVPN_ISAKMP_PL_VID, b, sizeof(b), false, &list),
                 IPSECVPN_ERR_IKE_MALFORMED);
}

/* ---- chain writer ------------------------------------------------------------------------ */

Test(isakmp_writer, message_round_trip)
{
    uint8_t b[256];
    ivpn_writer w;
    ivpn_isakmp_chain_writer cw;
    ivpn_isakmp_header h;
    ivpn_isakmp_notify n = {1, 1, 0, IVPN_ISAKMP_N_INITIAL_CONTACT, {0}, {NULL, 0}}, nd;
    size_t at;

    ivpn_writer_init(&w, b, sizeof(b));
    ivpn_wr_zeros(&w, 4); /* e.g. a non-ESP marker before the header */
    at = ivpn_isakmp_message_begin(&w, &sample_hdr, &cw);
    cr_assert_eq(at, 4);
    ivpn_isakmp_payload_open(&cw, IVPN_ISAKMP_PL_HASH);
    ivpn_wr_bytes(&w, "0123456789abcdef0123", 20);
    ivpn_isakmp_payload_open(&cw, IVPN_ISAKMP_PL_N); /* closes HASH */
    ivpn_isakmp_notify_encode(&w, &n);
    cr_assert_eq(ivpn_isakmp_message_finish(&cw, at), IPSECVPN_OK);
    cr_assert_eq(w.len, 4 + 28 + 24 + 12);

    cr_assert_eq(ivpn_isakmp_header_decode(NULL, b + 4, w.len - 4, &h), IPSECVPN_OK);
    cr_assert_eq(h.length, 28 + 24 + 12);
    cr_assert_eq(h.next_payload, IVPN_ISAKMP_PL_HASH);
    cr_assert_eq(ivpn_isakmp_chain_walk(NULL, h.next_payload, b + 4 + 28, h.length - 28, false,
                                        &list), IPSECVPN_OK);
    cr_assert_eq(list.count, 2);
    cr_assert_eq(list.items[0].body.len, 20);
    cr_assert_eq(list.items[1].type, IVPN_ISAKMP_PL_N);
    cr_assert_eq(list.items[1].whole.p[0], 0, "last payload ends the chain");
    cr_assert_eq(ivpn_isakmp_notify_decode(NULL, list.items[1].body, &nd), IPSECVPN_OK);
    cr_assert_eq(nd.type, IVPN_ISAKMP_N_INITIAL_CONTACT);
}

Test(isakmp_writer, inner_chain_and_errors)
{
    uint8_t b[64], first = 0xff;
    ivpn_writer w;
    ivpn_isakmp_chain_writer cw;
    ivpn_writer_init(&w, b, sizeof(b));
    ivpn_wr_u8(&w, 0xff); /* stands for the header's Next Payload */
    ivpn_isakmp_chain_begin(&cw, &w, 0);
    cr_assert_eq(b[0], 0, "an empty chain");
    ivpn_isakmp_payload_open(&cw, IVPN_ISAKMP_PL_HASH);
    ivpn_wr_zeros(&w, 4);
    ivpn_isakmp_payload_open(&cw, IVPN_ISAKMP_PL_D);
    ivpn_wr_zeros(&w, 2);
    ivpn_isakmp_payload_close(&cw);
    ivpn_isakmp_payload_close(&cw); /* idempotent */
    cr_assert_eq(ivpn_wr_status(&w), IPSECVPN_OK);
    first = b[0];
    cr_assert_eq(first, IVPN_ISAKMP_PL_HASH);
    cr_assert_eq(ivpn_isakmp_chain_walk(NULL, first, b + 1, w.len - 1, false, &list), IPSECVPN_OK);
    cr_assert_eq(list.count, 2);
    cr_assert_eq(list.items[1].body.len, 2);

    /* a full buffer latches BUFFER_TOO_SMALL and finish reports it */
    ivpn_writer_init(&w, b, 40);
    ivpn_isakmp_message_begin(&w, &sample_hdr, &cw);
    ivpn_isakmp_payload_open(&cw, IVPN_ISAKMP_PL_VID);
    ivpn_wr_zeros(&w, 20);
    cr_assert_eq(ivpn_isakmp_message_finish(&cw, 0), IPSECVPN_ERR_BUFFER_TOO_SMALL);
}

/* ---- real strongSwan messages -------------------------------------------------------------- */

static uint8_t *msg;
static size_t msg_len;
static ivpn_isakmp_header hdr;

static void load_datagram(const char *name, uint8_t exchange, bool encrypted)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "isakmp_message/%s", name);
    free(msg);
    msg = wire_load(rel, &msg_len);
    cr_assert_eq(ivpn_isakmp_header_decode(NULL, msg, msg_len, &hdr), IPSECVPN_OK, "%s", name);
    cr_assert_eq(hdr.length, msg_len);
    cr_assert_eq(hdr.exchange, exchange);
    cr_assert_eq((hdr.flags & IVPN_ISAKMP_FLAG_ENC) != 0, encrypted);
    if (!encrypted)
        cr_assert_eq(ivpn_isakmp_chain_walk(NULL, hdr.next_payload, msg + 28, hdr.length - 28,
                                            false, &list), IPSECVPN_OK, "%s", name);
}

/* An inner chain: byte 0 the first payload type (from the header), then the plaintext. */
static void load_inner(const char *name, bool padded)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "isakmp_message/%s", name);
    free(msg);
    msg = wire_load(rel, &msg_len);
    cr_assert_eq(ivpn_isakmp_chain_walk(NULL, msg[0], msg + 1, msg_len - 1, padded, &list),
                 IPSECVPN_OK, "%s", name);
    if (padded)
        cr_assert_eq(ivpn_isakmp_chain_walk(NULL, msg[0], msg + 1, msg_len - 1, false, &list),
                     IPSECVPN_ERR_IKE_MALFORMED, "%s: padding after the chain", name);
    cr_assert_eq(ivpn_isakmp_chain_walk(NULL, msg[0], msg + 1, msg_len - 1, true, &list),
                 IPSECVPN_OK);
}

static void expect_types(const uint8_t *types, size_t n)
{
    cr_assert_eq(list.count, n);
    cr_assert_eq(list.skipped_unknown, 0);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(list.items[i].type, types[i], "payload %zu", i);
}

static uint64_t attr(const ivpn_isakmp_transform *t, uint16_t type)
{
    uint64_t v = 0;
    cr_assert(ivpn_isakmp_attr_get(t, type, &v), "attribute %u missing", type);
    return v;
}

static void expect_p1_transform(const ivpn_isakmp_transform *t, uint8_t num, uint64_t encr,
                                uint64_t keylen, uint64_t hash, uint64_t group, uint64_t life)
{
    cr_assert_eq(t->num, num);
    cr_assert_eq(t->id, IVPN_ISAKMP_TRANSFORM_KEY_IKE);
    cr_assert_eq(attr(t, IVPN_P1_ATTR_ENCR), encr);
    if (keylen)
        cr_assert_eq(attr(t, IVPN_P1_ATTR_KEY_LENGTH), keylen);
    else
        cr_assert_not(ivpn_isakmp_attr_get(t, IVPN_P1_ATTR_KEY_LENGTH, NULL));
    cr_assert_eq(attr(t, IVPN_P1_ATTR_HASH), hash);
    cr_assert_eq(attr(t, IVPN_P1_ATTR_GROUP), group);
    cr_assert_eq(attr(t, IVPN_P1_ATTR_AUTH), IVPN_P1_AUTH_PSK);
    cr_assert_eq(attr(t, IVPN_P1_ATTR_LIFE_TYPE), IVPN_P1_LIFE_SECONDS);
    cr_assert_eq(attr(t, IVPN_P1_ATTR_LIFE_DURATION), life);
}

static void decode_sa(void)
{
    const ivpn_isakmp_payload_ref *p = ivpn_isakmp_list_find(&list, IVPN_ISAKMP_PL_SA);
    cr_assert_not_null(p);
    cr_assert_eq(ivpn_isakmp_sa_decode(NULL, p->body, &sa), IPSECVPN_OK);
    cr_assert_eq(sa.doi, IVPN_ISAKMP_DOI_IPSEC);
    cr_assert_eq(sa.situation, IVPN_ISAKMP_SIT_IDENTITY_ONLY);
}

/* The SA payload re-encoded from the decoded struct is byte for byte strongSwan's. */
static void expect_reencodes_identically(void)
{
    const ivpn_isakmp_payload_ref *p = ivpn_isakmp_list_find(&list, IVPN_ISAKMP_PL_SA);
    static uint8_t b[2048];
    ivpn_writer w;
    ivpn_writer_init(&w, b, sizeof(b));
    ivpn_isakmp_sa_encode(&w, &sa);
    cr_assert_eq(ivpn_wr_status(&w), IPSECVPN_OK);
    cr_assert_eq(w.len, p->body.len);
    cr_assert_arr_eq(b, p->body.p, w.len);
}

Test(strongswan_v1, main_mode_1)
{
    static const uint8_t types[] = {1, 13, 13, 13, 13, 13};
    load_datagram("mm1.bin", IVPN_ISAKMP_EX_MAIN, false);
    cr_assert_eq(hdr.next_payload, IVPN_ISAKMP_PL_SA);
    cr_assert_arr_eq(hdr.cookie_r, "\0\0\0\0\0\0\0\0", 8);
    cr_assert_eq(hdr.message_id, 0);
    expect_types(types, sizeof(types));
    decode_sa();
    /* proposals = aes128-sha256-modp2048,aes256-sha1-modp1024,3des-md5-modp1024 */
    cr_assert_eq(sa.n_proposals, 1);
    cr_assert_eq(sa.proposals[0].protocol, IVPN_ISAKMP_PROTO_ISAKMP);
    cr_assert_eq(sa.proposals[0].spi_size, 0);
    cr_assert_eq(sa.proposals[0].n_transforms, 3);
    expect_p1_transform(&sa.proposals[0].transforms[0], 1, IVPN_P1_ENCR_AES, 128,
                        IVPN_P1_HASH_SHA256, 14, 11880);
    expect_p1_transform(&sa.proposals[0].transforms[1], 2, IVPN_P1_ENCR_AES, 256,
                        IVPN_P1_HASH_SHA1, 2, 11880);
    expect_p1_transform(&sa.proposals[0].transforms[2], 3, IVPN_P1_ENCR_3DES, 0,
                        IVPN_P1_HASH_MD5, 2, 11880);
    expect_reencodes_identically();
    cr_assert_eq(ivpn_isakmp_rules_check(NULL, IVPN_V1_MSG_MM1, &list), IPSECVPN_OK);
}

Test(strongswan_v1, main_mode_2)
{
    static const uint8_t types[] = {1, 13, 13, 13, 13};
    load_datagram("mm2.bin", IVPN_ISAKMP_EX_MAIN, false);
    cr_assert_neq(memcmp(hdr.cookie_r, "\0\0\0\0\0\0\0\0", 8), 0, "responder cookie set");
    expect_types(types, sizeof(types));
    decode_sa();
    cr_assert_eq(sa.n_proposals, 1);
    cr_assert_eq(sa.proposals[0].n_transforms, 1, "the chosen transform");
    expect_p1_transform(&sa.proposals[0].transforms[0], 1, IVPN_P1_ENCR_AES, 128,
                        IVPN_P1_HASH_SHA256, 14, 11880);
    expect_reencodes_identically();
    cr_assert_eq(ivpn_isakmp_rules_check(NULL, IVPN_V1_MSG_MM2, &list), IPSECVPN_OK);
}

Test(strongswan_v1, main_mode_3_and_4)
{
    static const uint8_t types[] = {4, 10, 20, 20};
    const char *names[] = {"mm3.bin", "mm4.bin"};
    for (int i = 0; i < 2; i++) {
        load_datagram(names[i], IVPN_ISAKMP_EX_MAIN, false);
        expect_types(types, sizeof(types));
        cr_assert_eq(list.items[0].body.len, 256, "modp2048 public value");
        cr_assert_eq(ivpn_isakmp_ke_check(NULL, list.items[0].body), IPSECVPN_OK);
        cr_assert_eq(ivpn_isakmp_nonce_check(NULL, list.items[1].body), IPSECVPN_OK);
        cr_assert_eq(list.items[2].body.len, 32, "NAT-D hashes with the PRF (SHA2-256)");
        cr_assert_eq(ivpn_isakmp_rules_check(NULL, i ? IVPN_V1_MSG_MM4 : IVPN_V1_MSG_MM3, &list),
                     IPSECVPN_OK);
    }
}

Test(strongswan_v1, main_mode_5_encrypted)
{
    static const uint8_t types[] = {5, 8, 11};
    ivpn_isakmp_id id;
    ivpn_isakmp_notify n;
    load_datagram("mm5_encrypted.bin", IVPN_ISAKMP_EX_MAIN, true);
    cr_assert_eq(hdr.next_payload, IVPN_ISAKMP_PL_ID, "first payload inside the ciphertext");
    cr_assert_eq((hdr.length - 28) % 16, 0, "AES-CBC blocks");
    load_inner("inner_mm5.bin", false);
    expect_types(types, sizeof(types));
    cr_assert_eq(ivpn_isakmp_id_decode(NULL, list.items[0].body, &id), IPSECVPN_OK);
    cr_assert_eq(id.type, IVPN_ISAKMP_ID_IPV4_ADDR);
    cr_assert_eq(id.data.len, 4);
    cr_assert_arr_eq(id.data.p, "\x0a\xc6\x00\x01", 4, "10.198.0.1");
    cr_assert_eq(ivpn_isakmp_hash_check(NULL, list.items[1].body), IPSECVPN_OK);
    cr_assert_eq(list.items[1].body.len, 32);
    cr_assert_eq(ivpn_isakmp_notify_decode(NULL, list.items[2].body, &n), IPSECVPN_OK);
    cr_assert_eq(n.type, IVPN_ISAKMP_N_INITIAL_CONTACT);
    cr_assert_eq(n.protocol, IVPN_ISAKMP_PROTO_ISAKMP);
    cr_assert_eq(n.spi_size, 16, "the cookie pair");
    cr_assert_eq(ivpn_isakmp_rules_check(NULL, IVPN_V1_MSG_MM5, &list), IPSECVPN_OK);

    load_inner("inner_mm6_padded.bin", true);
    cr_assert_eq(list.count, 2);
    cr_assert_eq(ivpn_isakmp_rules_check(NULL, IVPN_V1_MSG_MM6, &list), IPSECVPN_OK);
}

Test(strongswan_v1, aggressive_mode_1_and_2)
{
    static const uint8_t types1[] = {1, 4, 10, 5, 13, 13, 13, 13, 13};
    static const uint8_t types2[] = {1, 4, 10, 5, 13, 13, 13, 13, 20, 20, 8};
    ivpn_isakmp_id id;
    load_datagram("am1.bin", IVPN_ISAKMP_EX_AGGRESSIVE, false);
    expect_types(types1, sizeof(types1));
    decode_sa();
    cr_assert_eq(sa.proposals[0].n_transforms, 1);
    expect_p1_transform(&sa.proposals[0].transforms[0], 1, IVPN_P1_ENCR_AES, 256,
                        IVPN_P1_HASH_SHA256, 14, 15840);
    expect_reencodes_identically();
    cr_assert_eq(ivpn_isakmp_id_decode(NULL, list.items[3].body, &id), IPSECVPN_OK);
    cr_assert_eq(id.type, IVPN_ISAKMP_ID_FQDN);
    cr_assert_eq(id.data.len, 9);
    cr_assert_arr_eq(id.data.p, "am-a.test", 9);
    cr_assert_eq(ivpn_isakmp_rules_check(NULL, IVPN_V1_MSG_AM1, &list), IPSECVPN_OK);
    cr_assert_eq(ivpn_isakmp_rules_check(NULL, IVPN_V1_MSG_AM2, &list),
                 IPSECVPN_ERR_IKE_MALFORMED, "AM1 lacks HASH_R");

    load_datagram("am2.bin", IVPN_ISAKMP_EX_AGGRESSIVE, false);
    expect_types(types2, sizeof(types2));
    decode_sa();
    expect_p1_transform(&sa.proposals[0].transforms[0], 1, IVPN_P1_ENCR_AES, 256,
                        IVPN_P1_HASH_SHA256, 14, 15840);
    cr_assert_eq(ivpn_isakmp_id_decode(NULL, list.items[3].body, &id), IPSECVPN_OK);
    cr_assert_arr_eq(id.data.p, "am-b.test", 9);
    cr_assert_eq(list.items[10].body.len, 32, "HASH_R");
    cr_assert_eq(ivpn_isakmp_rules_check(NULL, IVPN_V1_MSG_AM2, &list), IPSECVPN_OK);
}

Test(strongswan_v1, aggressive_mode_3_encrypted)
{
    static const uint8_t types[] = {8, 20, 20};
    load_datagram("am3_encrypted.bin", IVPN_ISAKMP_EX_AGGRESSIVE, true);
    load_inner("inner_am3.bin", false);
    expect_types(types, sizeof(types));
    cr_assert_eq(ivpn_isakmp_rules_check(NULL, IVPN_V1_MSG_AM3, &list), IPSECVPN_OK);
}

static void expect_subnet(const ivpn_isakmp_payload_ref *p, const char *net)
{
    ivpn_isakmp_id id;
    cr_assert_eq(ivpn_isakmp_id_decode(NULL, p->body, &id), IPSECVPN_OK);
    cr_assert_eq(id.type, IVPN_ISAKMP_ID_IPV4_ADDR_SUBNET);
    cr_assert_eq(id.protocol, 0);
    cr_assert_eq(id.port, 0);
    cr_assert_arr_eq(id.data.p, net, 8);
}

Test(strongswan_v1, quick_mode)
{
    static const uint8_t types[] = {8, 1, 10, 4, 5, 5};
    const ivpn_isakmp_transform *t;
    load_datagram("qm1_encrypted.bin", IVPN_ISAKMP_EX_QUICK, true);
    cr_assert_neq(hdr.message_id, 0);
    cr_assert_eq(hdr.next_payload, IVPN_ISAKMP_PL_HASH);

    load_inner("inner_qm1.bin", false);
    expect_types(types, sizeof(types));
    decode_sa();
    /* esp_proposals = aes128-sha256-modp2048 (the PFS-less second one is not offered) */
    cr_assert_eq(sa.n_proposals, 1);
    cr_assert_eq(sa.proposals[0].protocol, IVPN_ISAKMP_PROTO_ESP);
    cr_assert_eq(sa.proposals[0].spi_size, 4);
    cr_assert_eq(sa.proposals[0].n_transforms, 1);
    t = &sa.proposals[0].transforms[0];
    cr_assert_eq(t->id, 12, "ESP_AES (CBC)");
    cr_assert_eq(attr(t, IVPN_P2_ATTR_KEY_LENGTH), 128);
    cr_assert_eq(attr(t, IVPN_P2_ATTR_AUTH_ALG), IVPN_P2_AUTH_HMAC_SHA2_256);
    cr_assert_eq(attr(t, IVPN_P2_ATTR_GROUP), 14);
    /* kernel-libipsec pretends to be behind a NAT: UDP-encapsulated tunnel */
    cr_assert_eq(attr(t, IVPN_P2_ATTR_ENCAP_MODE), IVPN_P2_ENCAP_UDP_TUNNEL);
    cr_assert_eq(attr(t, IVPN_P2_ATTR_LIFE_TYPE), 1);
    cr_assert_eq(attr(t, IVPN_P2_ATTR_LIFE_DURATION), 3960);
    expect_reencodes_identically();
    expect_subnet(&list.items[4], "\x0a\xca\x01\x00\xff\xff\xff\x00");
    expect_subnet(&list.items[5], "\x0a\xca\x02\x00\xff\xff\xff\x00");
    cr_assert_eq(ivpn_isakmp_rules_check(NULL, IVPN_V1_MSG_QM1, &list), IPSECVPN_OK);

    load_inner("inner_qm2_padded.bin", true);
    expect_types(types, sizeof(types));
    decode_sa();
    cr_assert_eq(sa.proposals[0].n_transforms, 1);
    cr_assert_eq(attr(&sa.proposals[0].transforms[0], IVPN_P2_ATTR_AUTH_ALG),
                 IVPN_P2_AUTH_HMAC_SHA2_256);
    cr_assert_eq(ivpn_isakmp_rules_check(NULL, IVPN_V1_MSG_QM2, &list), IPSECVPN_OK);

    load_inner("inner_qm3.bin", false);
    cr_assert_eq(list.count, 1);
    cr_assert_eq(ivpn_isakmp_rules_check(NULL, IVPN_V1_MSG_QM3, &list), IPSECVPN_OK);

    load_inner("inner_qm1_nopfs.bin", false);
    decode_sa();
    t = &sa.proposals[0].transforms[0];
    cr_assert_eq(attr(t, IVPN_P2_ATTR_KEY_LENGTH), 256);
    cr_assert_eq(attr(t, IVPN_P2_ATTR_AUTH_ALG), IVPN_P2_AUTH_HMAC_SHA);
    cr_assert_not(ivpn_isakmp_attr_get(t, IVPN_P2_ATTR_GROUP, NULL));
    cr_assert_eq(ivpn_isakmp_rules_check(NULL, IVPN_V1_MSG_QM1, &list), IPSECVPN_OK);
}

Test(strongswan_v1, informational_delete)
{
    static const uint8_t types[] = {8, 12};
    ivpn_isakmp_delete d;
    load_inner("inner_info_delete_esp.bin", false);
    expect_types(types, sizeof(types));
    cr_assert_eq(ivpn_isakmp_delete_decode(NULL, list.items[1].body, &d), IPSECVPN_OK);
    cr_assert_eq(d.protocol, IVPN_ISAKMP_PROTO_ESP);
    cr_assert_eq(d.spi_size, 4);
    cr_assert_eq(d.n_spis, 1);
    cr_assert_eq(ivpn_isakmp_rules_check(NULL, IVPN_V1_MSG_INFO, &list), IPSECVPN_OK);

    load_inner("inner_info_delete_isakmp.bin", false);
    expect_types(types, sizeof(types));
    cr_assert_eq(ivpn_isakmp_delete_decode(NULL, list.items[1].body, &d), IPSECVPN_OK);
    cr_assert_eq(d.protocol, IVPN_ISAKMP_PROTO_ISAKMP);
    cr_assert_eq(d.spi_size, 16);
    cr_assert_eq(d.n_spis, 1);
    cr_assert_eq(ivpn_isakmp_rules_check(NULL, IVPN_V1_MSG_INFO, &list), IPSECVPN_OK);
}

Test(strongswan_v1, every_datagram_truncated)
{
    /* Cutting a real datagram (and its Length) anywhere inside the chain must fail cleanly. */
    static const char *const names[] = {"mm1.bin", "mm3.bin", "am1.bin", "am2.bin"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char rel[128];
        snprintf(rel, sizeof(rel), "isakmp_message/%s", names[i]);
        free(msg);
        msg = wire_load(rel, &msg_len);
        for (size_t n = 28; n < msg_len; n++) {
            int rc = ivpn_isakmp_chain_walk(NULL, msg[16], msg + 28, n - 28, false, &list);
            cr_assert_eq(rc, IPSECVPN_ERR_IKE_MALFORMED, "%s cut at %zu", names[i], n);
        }
    }
}
