/*
 * Whole messages: real strongSwan 5.9.8 captures (fuzz/corpus/ikev2_message/, outer
 * datagrams; fuzz/corpus/ikev2_inner/, decrypted inner chains taken from charon's debug log),
 * messages built with the chain writer, truncation at every byte, and hostile lengths.
 */
#include "wire_util.h"

#include "wire/ikev2_bodies.h"
#include "wire/ikev2_chain.h"
#include "wire/ikev2_rules.h"

static const char *const real_messages[] = {
    "ikev2_message/00_ike_sa_init_req.bin", "ikev2_message/01_ike_sa_init_resp.bin",
    "ikev2_message/02_ike_auth_req.bin",    "ikev2_message/03_ike_auth_resp.bin",
    "ikev2_message/04_rekey_child_req.bin", "ikev2_message/05_rekey_child_resp.bin",
    "ikev2_message/06_informational_req.bin", "ikev2_message/07_informational_resp.bin",
    "ikev2_message/08_rekey_ike_req.bin",   "ikev2_message/09_rekey_ike_resp.bin",
    "ikev2_message/10_informational_req.bin", "ikev2_message/11_informational_resp.bin",
};

/* Everything phase 1, rules and phase 2 do with one datagram. */
static int decode_all(const ipsecvpn_ctx *ctx, const uint8_t *m, size_t len,
                      ivpn_ikev2_header *h, ivpn_ikev2_payload_list *outer, ivpn_ikev2_bodies *b)
{
    int rc = ivpn_ikev2_message_parse(ctx, m, len, h, outer);
    if (rc == IPSECVPN_OK)
        rc = ivpn_ikev2_check_rules(ctx, h->exchange, ivpn_ikev2_is_response(h), outer, NULL);
    if (rc == IPSECVPN_OK)
        rc = ivpn_ikev2_decode_bodies(ctx, outer, ivpn_ikev2_is_response(h), b);
    return rc;
}

static ivpn_ikev2_bodies bodies; /* large: keep off the stack */

Test(message, real_ike_sa_init_request)
{
    size_t len;
    uint8_t *m = wire_load("ikev2_message/00_ike_sa_init_req.bin", &len);
    ivpn_ikev2_header h;
    ivpn_ikev2_payload_list outer;
    cr_assert_eq(decode_all(NULL, m, len, &h, &outer, &bodies), IPSECVPN_OK);
    cr_assert_eq(h.exchange, IVPN_IKEV2_EXCH_IKE_SA_INIT);
    cr_assert_eq(h.flags, IVPN_IKEV2_FLAG_INITIATOR);
    cr_assert_eq(h.message_id, 0);
    cr_assert_eq(h.length, len);
    static const uint8_t zero[8] = {0};
    cr_assert_arr_eq(h.spi_r, zero, 8);
    /* charon: [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ] */
    static const uint8_t order[] = {33, 34, 40, 41, 41, 41, 41, 41};
    cr_assert_eq(outer.count, sizeof(order));
    for (size_t i = 0; i < sizeof(order); i++)
        cr_assert_eq(outer.items[i].type, order[i], "payload %zu", i);
    /* proposals = aes128-sha256-modp2048, aes256gcm16-prfsha384-x25519 */
    cr_assert_eq(bodies.sa.n_proposals, 2);
    cr_assert_eq(bodies.sa.proposals[0].protocol, IVPN_IKEV2_PROTO_IKE);
    cr_assert_eq(bodies.sa.proposals[0].spi_size, 0);
    const ivpn_ikev2_transform *t = &bodies.sa.transforms[bodies.sa.proposals[0].first];
    cr_assert_eq(t[0].type, IVPN_IKEV2_TRANS_ENCR);
    cr_assert_eq(t[0].id, 12); /* ENCR_AES_CBC */
    cr_assert(t[0].has_key_len);
    cr_assert_eq(t[0].key_len, 128);
    cr_assert_eq(bodies.sa.proposals[1].num, 2);
    cr_assert_eq(bodies.ke.dh_group, 14);
    cr_assert_eq(bodies.ke.data.len, 256);
    cr_assert_eq(bodies.n_notify, 5);
    cr_assert_eq(bodies.notify[0].type, IVPN_IKEV2_N_NAT_DETECTION_SOURCE_IP);
    cr_assert_eq(bodies.notify[2].type, IVPN_IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED);
    cr_assert_eq(bodies.notify[3].type, IVPN_IKEV2_N_SIGNATURE_HASH_ALGORITHMS);
    cr_assert_eq(bodies.notify[4].type, IVPN_IKEV2_N_REDIRECT_SUPPORTED);
    cr_assert_geq(bodies.nonce.data.len, 16);
    free(m);
}

Test(message, real_ike_sa_init_response)
{
    size_t len;
    uint8_t *m = wire_load("ikev2_message/01_ike_sa_init_resp.bin", &len);
    ivpn_ikev2_header h;
    ivpn_ikev2_payload_list outer;
    cr_assert_eq(decode_all(NULL, m, len, &h, &outer, &bodies), IPSECVPN_OK);
    cr_assert(ivpn_ikev2_is_response(&h));
    cr_assert_eq(bodies.sa.n_proposals, 1);
    cr_assert_eq(bodies.sa.proposals[0].num, 1, "charon chose the first proposal");
    cr_assert_eq(bodies.ke.dh_group, 14);
    cr_assert_not_null(ivpn_ikev2_bodies_notify(&bodies, IVPN_IKEV2_N_CHILDLESS_IKEV2_SUPPORTED));
    cr_assert_not_null(ivpn_ikev2_bodies_notify(&bodies, IVPN_IKEV2_N_MULTIPLE_AUTH_SUPPORTED));
    free(m);
}

Test(message, real_encrypted_messages_have_one_sk)
{
    for (size_t i = 2; i < sizeof(real_messages) / sizeof(real_messages[0]); i++) {
        size_t len;
        uint8_t *m = wire_load(real_messages[i], &len);
        ivpn_ikev2_header h;
        ivpn_ikev2_payload_list outer;
        cr_assert_eq(decode_all(NULL, m, len, &h, &outer, &bodies), IPSECVPN_OK, "%s", real_messages[i]);
        cr_assert_eq(outer.count, 1);
        cr_assert_eq(outer.items[0].type, IVPN_IKEV2_PL_SK);
        cr_assert(bodies.present & IVPN_IKEV2_HAS_SK);
        cr_assert_eq(bodies.sk.first_inner, outer.sk_first_inner);
        cr_assert_eq(bodies.sk.encrypted.p + bodies.sk.encrypted.len, m + len, "SK runs to the end");
        free(m);
    }
}

/* The decrypted inner chains: exchange, is_response, first type, then the chain. */
static const char *const real_inner[] = {
    "ikev2_inner/00_ike_auth_req.bin",     "ikev2_inner/01_ike_auth_resp.bin",
    "ikev2_inner/02_rekey_child_req.bin",  "ikev2_inner/03_rekey_child_resp.bin",
    "ikev2_inner/04_delete_child_req.bin", "ikev2_inner/05_delete_child_resp.bin",
    "ikev2_inner/06_rekey_ike_req.bin",    "ikev2_inner/07_rekey_ike_resp.bin",
    "ikev2_inner/08_delete_ike_req.bin",   "ikev2_inner/09_delete_ike_resp.bin",
};

Test(message, real_inner_chains)
{
    /* an outer list with one SK, as the encrypted exchanges carry */
    ivpn_ikev2_payload_list outer;
    memset(&outer, 0, sizeof(outer));
    outer.count = 1;
    outer.items[0].type = IVPN_IKEV2_PL_SK;
    for (size_t i = 0; i < sizeof(real_inner) / sizeof(real_inner[0]); i++) {
        size_t len;
        uint8_t *f = wire_load(real_inner[i], &len);
        ivpn_ikev2_payload_list inner;
        cr_assert_eq(ivpn_ikev2_chain_walk(NULL, f[2], f + 3, len - 3, false, &inner), IPSECVPN_OK,
                     "%s", real_inner[i]);
        cr_assert_eq(ivpn_ikev2_check_rules(NULL, f[0], f[1], &outer, &inner), IPSECVPN_OK,
                     "%s", real_inner[i]);
        cr_assert_eq(ivpn_ikev2_decode_bodies(NULL, &inner, f[1], &bodies), IPSECVPN_OK, "%s",
                     real_inner[i]);
        free(f);
    }
}

Test(message, real_ike_auth_request_contents)
{
    size_t len;
    uint8_t *f = wire_load("ikev2_inner/00_ike_auth_req.bin", &len);
    ivpn_ikev2_payload_list inner;
    cr_assert_eq(ivpn_ikev2_chain_walk(NULL, f[2], f + 3, len - 3, false, &inner), IPSECVPN_OK);
    cr_assert_eq(ivpn_ikev2_decode_bodies(NULL, &inner, false, &bodies), IPSECVPN_OK);
    static const uint8_t ip_a[4] = {10, 199, 0, 1};
    cr_assert_eq(bodies.idi.type, IVPN_IKEV2_ID_IPV4_ADDR);
    cr_assert_arr_eq(bodies.idi.data.p, ip_a, 4);
    cr_assert_eq(bodies.auth.method, IVPN_IKEV2_AUTH_PSK);
    cr_assert_eq(bodies.auth.data.len, 32, "HMAC-SHA2-256 PRF output");
    cr_assert_eq(bodies.sa.n_proposals, 2);
    cr_assert_eq(bodies.sa.proposals[0].protocol, IVPN_IKEV2_PROTO_ESP);
    cr_assert_eq(bodies.tsi.count, 1);
    static const uint8_t net_a[4] = {10, 201, 1, 0}, bcast_a[4] = {10, 201, 1, 255};
    cr_assert_arr_eq(bodies.tsi.sel[0].start_addr, net_a, 4);
    cr_assert_arr_eq(bodies.tsi.sel[0].end_addr, bcast_a, 4);
    cr_assert_eq(bodies.tsi.sel[0].end_port, 65535);
    cr_assert_not_null(ivpn_ikev2_bodies_notify(&bodies, IVPN_IKEV2_N_INITIAL_CONTACT));
    /* charon: N(MULT_AUTH) N(EAP_ONLY) N(MSG_ID_SYN_SUP) at the end */
    cr_assert_not_null(ivpn_ikev2_bodies_notify(&bodies, IVPN_IKEV2_N_MULTIPLE_AUTH_SUPPORTED));
    cr_assert_not_null(ivpn_ikev2_bodies_notify(&bodies, IVPN_IKEV2_N_EAP_ONLY_AUTHENTICATION));
    free(f);
}

Test(message, real_rekey_variants_inferred)
{
    size_t len;
    ivpn_ikev2_payload_list inner;
    uint8_t *f = wire_load("ikev2_inner/02_rekey_child_req.bin", &len);
    cr_assert_eq(ivpn_ikev2_chain_walk(NULL, f[2], f + 3, len - 3, false, &inner), IPSECVPN_OK);
    cr_assert_eq(ivpn_ikev2_infer_variant(&inner), IVPN_IKEV2_VARIANT_REKEY_CHILD);
    free(f);
    f = wire_load("ikev2_inner/06_rekey_ike_req.bin", &len);
    cr_assert_eq(ivpn_ikev2_chain_walk(NULL, f[2], f + 3, len - 3, false, &inner), IPSECVPN_OK);
    cr_assert_eq(ivpn_ikev2_infer_variant(&inner), IVPN_IKEV2_VARIANT_REKEY_IKE);
    cr_assert_eq(ivpn_ikev2_decode_bodies(NULL, &inner, false, &bodies), IPSECVPN_OK);
    cr_assert_eq(bodies.sa.proposals[0].protocol, IVPN_IKEV2_PROTO_IKE);
    cr_assert_eq(bodies.sa.proposals[0].spi_size, 8, "the new IKE SPI");
    free(f);
}

Test(message, truncation_at_every_offset)
{
    for (size_t i = 0; i < sizeof(real_messages) / sizeof(real_messages[0]); i++) {
        size_t len;
        uint8_t *m = wire_load(real_messages[i], &len);
        for (size_t cut = 0; cut < len; cut++) {
            /* an exact-size copy, so a read past the cut is a sanitizer error */
            uint8_t *c = malloc(cut ? cut : 1);
            ivpn_ikev2_header h;
            ivpn_ikev2_payload_list outer;
            memcpy(c, m, cut);
            cr_assert_eq(decode_all(NULL, c, cut, &h, &outer, &bodies), IPSECVPN_ERR_IKE_MALFORMED,
                         "%s cut at %zu", real_messages[i], cut);
            /* with the Length field fixed up, the payload chain itself is cut short */
            if (cut >= IVPN_IKEV2_HDR_LEN) {
                c[24] = (uint8_t)(cut >> 24); c[25] = (uint8_t)(cut >> 16);
                c[26] = (uint8_t)(cut >> 8); c[27] = (uint8_t)cut;
                cr_assert_eq(decode_all(NULL, c, cut, &h, &outer, &bodies),
                             IPSECVPN_ERR_IKE_MALFORMED, "%s cut at %zu, length fixed",
                             real_messages[i], cut);
            }
            free(c);
        }
        free(m);
    }
}

Test(message, inner_truncation_at_every_offset)
{
    for (size_t i = 0; i < sizeof(real_inner) / sizeof(real_inner[0]); i++) {
        size_t len;
        uint8_t *f = wire_load(real_inner[i], &len);
        for (size_t cut = 3; cut < len; cut++) {
            uint8_t *c = malloc(cut - 3 ? cut - 3 : 1);
            ivpn_ikev2_payload_list inner;
            memcpy(c, f + 3, cut - 3);
            cr_assert_eq(ivpn_ikev2_chain_walk(NULL, f[2], c, cut - 3, false, &inner),
                         IPSECVPN_ERR_IKE_MALFORMED, "%s cut at %zu", real_inner[i], cut);
            free(c);
        }
        free(f);
    }
}

Test(message, header_checks)
{
    size_t len;
    uint8_t *m = wire_load("ikev2_message/00_ike_sa_init_req.bin", &len);
    ivpn_ikev2_header h;
    ivpn_ikev2_payload_list outer;
    ipsecvpn_ctx *ctx = wire_ctx_new();

    m[17] = 0x30; /* version 3.0 */
    cr_assert_eq(ivpn_ikev2_message_parse(ctx, m, len, &h, &outer), IPSECVPN_ERR_IKE_MALFORMED);
    cr_assert_eq(h.major, 3, "the engine learns the version to answer INVALID_MAJOR_VERSION");
    cr_assert(strstr(wire_log.last, "major version 3"), "log: %s", wire_log.last);
    m[17] = 0x21; /* minor version 1 is ignored */
    cr_assert_eq(ivpn_ikev2_message_parse(ctx, m, len, &h, &outer), IPSECVPN_OK);
    m[17] = 0x20;
    m[19] |= 0x07; /* reserved flag bits are ignored */
    cr_assert_eq(ivpn_ikev2_message_parse(ctx, m, len, &h, &outer), IPSECVPN_OK);
    m[27]++; /* Length one more than the datagram */
    cr_assert_eq(ivpn_ikev2_message_parse(ctx, m, len, &h, &outer), IPSECVPN_ERR_IKE_MALFORMED);
    m[27] -= 2;
    cr_assert_eq(ivpn_ikev2_message_parse(ctx, m, len, &h, &outer), IPSECVPN_ERR_IKE_MALFORMED);
    ipsecvpn_ctx_free(ctx);
    free(m);
}

/* A hand-built IKE_SA_INIT request with the chain writer. */
static size_t build_init(uint8_t *out, size_t cap, void (*extra)(ivpn_ikev2_chain_writer *))
{
    static const uint8_t pub[256] = {1}, nonce[32] = {2};
    ivpn_ikev2_header h = {{1, 2, 3, 4, 5, 6, 7, 8}, {0}, 0, 2, 0, IVPN_IKEV2_EXCH_IKE_SA_INIT,
                           IVPN_IKEV2_FLAG_INITIATOR, 0, 0};
    ivpn_ikev2_sa sa;
    ivpn_ikev2_ke ke = {14, {pub, sizeof(pub)}};
    ivpn_ikev2_nonce n = {{nonce, sizeof(nonce)}};
    ivpn_writer w;
    ivpn_ikev2_chain_writer cw;
    memset(&sa, 0, sizeof(sa));
    sa.n_proposals = 1;
    sa.proposals[0] = (ivpn_ikev2_proposal){1, IVPN_IKEV2_PROTO_IKE, 0, {0}, 0, 4};
    sa.n_transforms = 4;
    sa.transforms[0] = (ivpn_ikev2_transform){IVPN_IKEV2_TRANS_ENCR, 20, 256, true, false};
    sa.transforms[1] = (ivpn_ikev2_transform){IVPN_IKEV2_TRANS_PRF, 5, 0, false, false};
    sa.transforms[2] = (ivpn_ikev2_transform){IVPN_IKEV2_TRANS_INTEG, 12, 0, false, false};
    sa.transforms[3] = (ivpn_ikev2_transform){IVPN_IKEV2_TRANS_DH, 14, 0, false, false};

    ivpn_writer_init(&w, out, cap);
    size_t at = ivpn_ikev2_message_begin(&w, &h, &cw);
    /* HDR, SAi1, KEi, Ni --> */
    ivpn_ikev2_payload_open(&cw, IVPN_IKEV2_PL_SA, false);
    ivpn_ikev2_sa_encode(&w, &sa);
    ivpn_ikev2_payload_open(&cw, IVPN_IKEV2_PL_KE, false);
    ivpn_ikev2_ke_encode(&w, &ke);
    ivpn_ikev2_payload_open(&cw, IVPN_IKEV2_PL_NONCE, false);
    ivpn_ikev2_nonce_encode(&w, &n);
    if (extra)
        extra(&cw);
    cr_assert_eq(ivpn_ikev2_message_finish(&cw, at), IPSECVPN_OK);
    return ivpn_wr_len(&w);
}

Test(message, built_message_decodes)
{
    uint8_t m[1024];
    size_t len = build_init(m, sizeof(m), NULL);
    ivpn_ikev2_header h;
    ivpn_ikev2_payload_list outer;
    cr_assert_eq(decode_all(NULL, m, len, &h, &outer, &bodies), IPSECVPN_OK);
    cr_assert_eq(h.length, len);
    cr_assert_eq(outer.count, 3);
    cr_assert_eq(bodies.sa.transforms[0].key_len, 256);
    cr_assert_eq(bodies.ke.data.len, 256);
    cr_assert_eq(outer.items[2].whole.len, 4 + 32);
    uint8_t small[100];
    ivpn_writer w;
    ivpn_ikev2_chain_writer cw;
    ivpn_ikev2_header hh = h;
    ivpn_writer_init(&w, small, sizeof(small));
    size_t at = ivpn_ikev2_message_begin(&w, &hh, &cw);
    ivpn_ikev2_payload_open(&cw, IVPN_IKEV2_PL_KE, false);
    ivpn_ikev2_ke_encode(&w, &bodies.ke);
    cr_assert_eq(ivpn_ikev2_message_finish(&cw, at), IPSECVPN_ERR_BUFFER_TOO_SMALL);
}

static void add_unknown_critical(ivpn_ikev2_chain_writer *cw)
{
    ivpn_ikev2_payload_open(cw, 200, true);
    ivpn_wr_u32(cw->w, 0xdeadbeef);
}

static void add_unknown_plain(ivpn_ikev2_chain_writer *cw)
{
    ivpn_ikev2_payload_open(cw, 200, false);
    ivpn_wr_u32(cw->w, 0xdeadbeef);
    ivpn_ikev2_payload_open(cw, IVPN_IKEV2_PL_VENDOR, false);
    ivpn_wr_u32(cw->w, 0x01020304);
}

Test(message, critical_unknown_payload)
{
    uint8_t m[1024];
    size_t len = build_init(m, sizeof(m), add_unknown_critical);
    ivpn_ikev2_header h;
    ivpn_ikev2_payload_list outer;
    ipsecvpn_ctx *ctx = wire_ctx_new();
    cr_assert_eq(ivpn_ikev2_message_parse(ctx, m, len, &h, &outer), IPSECVPN_ERR_IKE_MALFORMED);
    cr_assert_eq(outer.unsupported_critical, 200, "for the UNSUPPORTED_CRITICAL_PAYLOAD notify");
    cr_assert(strstr(wire_log.last, "critical"), "log: %s", wire_log.last);
    len = build_init(m, sizeof(m), add_unknown_plain);
    cr_assert_eq(ivpn_ikev2_message_parse(ctx, m, len, &h, &outer), IPSECVPN_OK);
    cr_assert_eq(outer.skipped_unknown, 1);
    cr_assert_eq(outer.count, 4, "SA KE Ni V, the unknown one skipped");
    cr_assert_eq(outer.items[3].type, IVPN_IKEV2_PL_VENDOR);
    /* the critical bit on a known payload means nothing */
    m[28 + 1] = 0x80;
    cr_assert_eq(ivpn_ikev2_message_parse(ctx, m, len, &h, &outer), IPSECVPN_OK);
    ipsecvpn_ctx_free(ctx);
}

Test(message, hostile_payload_lengths)
{
    uint8_t m[1024];
    size_t len = build_init(m, sizeof(m), NULL);
    ivpn_ikev2_header h;
    ivpn_ikev2_payload_list outer;
    const size_t sa_len_at = 28 + 2;
    for (unsigned bad = 0; bad < 4; bad++) { /* zero and short lengths: no loop, no crash */
        m[sa_len_at] = 0;
        m[sa_len_at + 1] = (uint8_t)bad;
        cr_assert_eq(ivpn_ikev2_message_parse(NULL, m, len, &h, &outer), IPSECVPN_ERR_IKE_MALFORMED);
    }
    m[sa_len_at] = 0xff;
    m[sa_len_at + 1] = 0xff;
    cr_assert_eq(ivpn_ikev2_message_parse(NULL, m, len, &h, &outer), IPSECVPN_ERR_IKE_MALFORMED);
    len = build_init(m, sizeof(m), NULL);
    /* trailing bytes after the last payload */
    m[len] = 0;
    len++;
    m[27]++;
    cr_assert_eq(ivpn_ikev2_message_parse(NULL, m, len, &h, &outer), IPSECVPN_ERR_IKE_MALFORMED);
}

Test(message, too_many_payloads)
{
    /* 33 Vendor ID payloads of 4 bytes each after the header */
    uint8_t m[28 + 33 * 8];
    ivpn_ikev2_header h;
    ivpn_ikev2_payload_list outer;
    memset(m, 0, sizeof(m));
    m[16] = IVPN_IKEV2_PL_VENDOR;
    m[17] = 0x20;
    m[18] = IVPN_IKEV2_EXCH_IKE_SA_INIT;
    m[26] = (uint8_t)(sizeof(m) >> 8);
    m[27] = (uint8_t)sizeof(m);
    for (int i = 0; i < 33; i++) {
        uint8_t *p = m + 28 + i * 8;
        p[0] = i == 32 ? 0 : IVPN_IKEV2_PL_VENDOR;
        p[3] = 8;
    }
    cr_assert_eq(ivpn_ikev2_message_parse(NULL, m, sizeof(m), &h, &outer), IPSECVPN_ERR_IKE_MALFORMED);
    m[28 + 31 * 8] = 0; /* end the chain after 32 */
    m[26] = (uint8_t)((28 + 32 * 8) >> 8);
    m[27] = (uint8_t)(28 + 32 * 8);
    cr_assert_eq(ivpn_ikev2_message_parse(NULL, m, 28 + 32 * 8, &h, &outer), IPSECVPN_OK);
    cr_assert_eq(outer.count, 32);
}

Test(message, sk_must_be_last_and_not_nested)
{
    size_t len;
    uint8_t *m = wire_load("ikev2_message/02_ike_auth_req.bin", &len);
    ivpn_ikev2_payload_list l;
    /* the SK body, walked as if it were an inner chain holding another SK */
    uint8_t inner[8] = {0, 0, 0, 8, 1, 2, 3, 4};
    cr_assert_eq(ivpn_ikev2_chain_walk(NULL, IVPN_IKEV2_PL_SK, inner, 8, false, &l),
                 IPSECVPN_ERR_IKE_MALFORMED);
    cr_assert_eq(ivpn_ikev2_chain_walk(NULL, IVPN_IKEV2_PL_SK, inner, 8, true, &l), IPSECVPN_OK);
    cr_assert_eq(l.sk_first_inner, 0);
    uint8_t *longer = malloc(len + 8);
    memcpy(longer, m, len);
    memcpy(longer + len, inner, 8);
    longer[27] += 8;
    ivpn_ikev2_header h;
    cr_assert_eq(ivpn_ikev2_message_parse(NULL, longer, len + 8, &h, &l), IPSECVPN_ERR_IKE_MALFORMED,
                 "bytes after SK");
    free(longer);
    free(m);
}
