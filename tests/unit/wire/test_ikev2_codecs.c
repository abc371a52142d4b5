/* Encode → decode round trips for every IKEv2 payload codec, plus each codec's limits. */
#include "wire_util.h"

#include "wire/ikev2_payloads.h"

static uint8_t buf[4096];

static ivpn_span encoded(ivpn_writer *w)
{
    cr_assert_eq(ivpn_wr_status(w), IPSECVPN_OK);
    return (ivpn_span){w->buf, w->len};
}

#define ENCODE(fn, obj) ({ ivpn_writer w_; ivpn_writer_init(&w_, buf, sizeof(buf)); fn(&w_, obj); encoded(&w_); })

static ivpn_span bytes(const void *p, size_t n) { return (ivpn_span){p, n}; }

static void assert_span_eq(ivpn_span a, ivpn_span b)
{
    cr_assert_eq(a.len, b.len);
    cr_assert(a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static ivpn_ikev2_sa two_proposals(void)
{
    ivpn_ikev2_sa sa;
    memset(&sa, 0, sizeof(sa));
    sa.n_proposals = 2;
    sa.proposals[0] = (ivpn_ikev2_proposal){1, IVPN_IKEV2_PROTO_ESP, 4, {0xde, 0xad, 0xbe, 0xef}, 0, 3};
    sa.proposals[1] = (ivpn_ikev2_proposal){2, IVPN_IKEV2_PROTO_ESP, 4, {1, 2, 3, 4}, 3, 2};
    sa.n_transforms = 5;
    sa.transforms[0] = (ivpn_ikev2_transform){IVPN_IKEV2_TRANS_ENCR, 12, 256, true, false};
    sa.transforms[1] = (ivpn_ikev2_transform){IVPN_IKEV2_TRANS_INTEG, 12, 0, false, false};
    sa.transforms[2] = (ivpn_ikev2_transform){IVPN_IKEV2_TRANS_ESN, 0, 0, false, false};
    sa.transforms[3] = (ivpn_ikev2_transform){IVPN_IKEV2_TRANS_ENCR, 20, 128, true, false};
    sa.transforms[4] = (ivpn_ikev2_transform){IVPN_IKEV2_TRANS_ESN, 0, 0, false, false};
    return sa;
}

Test(codecs, sa_round_trip)
{
    ivpn_ikev2_sa in = two_proposals(), out;
    ivpn_span s = ENCODE(ivpn_ikev2_sa_encode, &in);
    /* proposal 1: 8 + 4 SPI + (12 + 8 + 8) transforms */
    cr_assert_eq(s.len, 40 + 8 + 4 + 12 + 8);
    cr_assert_eq(s.p[0], 2, "more proposals follow");
    cr_assert_eq(ivpn_ikev2_sa_decode(NULL, s, false, &out), IPSECVPN_OK);
    cr_assert_eq(out.n_proposals, 2);
    cr_assert_eq(out.n_transforms, 5);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(out.proposals[i].num, in.proposals[i].num);
        cr_assert_eq(out.proposals[i].protocol, in.proposals[i].protocol);
        cr_assert_eq(out.proposals[i].spi_size, 4);
        cr_assert_arr_eq(out.proposals[i].spi, in.proposals[i].spi, 4);
        cr_assert_eq(out.proposals[i].first, in.proposals[i].first);
        cr_assert_eq(out.proposals[i].count, in.proposals[i].count);
    }
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(out.transforms[i].type, in.transforms[i].type);
        cr_assert_eq(out.transforms[i].id, in.transforms[i].id);
        cr_assert_eq(out.transforms[i].has_key_len, in.transforms[i].has_key_len);
        cr_assert_eq(out.transforms[i].key_len, in.transforms[i].key_len);
    }
}

Test(codecs, sa_ike_spi_sizes)
{
    ivpn_ikev2_sa in = two_proposals(), out;
    in.n_proposals = 1;
    in.proposals[0].protocol = IVPN_IKEV2_PROTO_IKE;
    in.proposals[0].spi_size = 8;
    ivpn_span s = ENCODE(ivpn_ikev2_sa_encode, &in);
    cr_assert_eq(ivpn_ikev2_sa_decode(NULL, s, true, &out), IPSECVPN_OK, "rekey IKE: 8-byte SPI");
    in.proposals[0].spi_size = 4;
    s = ENCODE(ivpn_ikev2_sa_encode, &in);
    cr_assert_eq(ivpn_ikev2_sa_decode(NULL, s, true, &out), IPSECVPN_ERR_IKE_MALFORMED,
                 "IKE with a 4-byte SPI");
    in.proposals[0].protocol = IVPN_IKEV2_PROTO_ESP;
    in.proposals[0].spi_size = 0;
    s = ENCODE(ivpn_ikev2_sa_encode, &in);
    cr_assert_eq(ivpn_ikev2_sa_decode(NULL, s, true, &out), IPSECVPN_ERR_IKE_MALFORMED,
                 "ESP without SPI");
}

Test(codecs, sa_numbering)
{
    ivpn_ikev2_sa in = two_proposals(), out;
    ipsecvpn_ctx *ctx = wire_ctx_new();
    in.proposals[1].num = 3;
    ivpn_span s = ENCODE(ivpn_ikev2_sa_encode, &in);
    cr_assert_eq(ivpn_ikev2_sa_decode(ctx, s, false, &out), IPSECVPN_ERR_IKE_MALFORMED);
    cr_assert(strstr(wire_log.last, "out of sequence"), "log: %s", wire_log.last);
    in.proposals[1].num = 2;
    s = ENCODE(ivpn_ikev2_sa_encode, &in);
    cr_assert_eq(ivpn_ikev2_sa_decode(ctx, s, true, &out), IPSECVPN_ERR_IKE_MALFORMED,
                 "a response chooses one proposal");
    in.n_proposals = 1;
    in.proposals[0].num = 2;
    s = ENCODE(ivpn_ikev2_sa_encode, &in);
    cr_assert_eq(ivpn_ikev2_sa_decode(ctx, s, true, &out), IPSECVPN_OK, "chosen proposal 2");
    cr_assert_eq(ivpn_ikev2_sa_decode(ctx, s, false, &out), IPSECVPN_ERR_IKE_MALFORMED,
                 "a request starts at 1");
    ipsecvpn_ctx_free(ctx);
}

Test(codecs, sa_too_many_proposals_and_transforms)
{
    ivpn_ikev2_sa in, out;
    ipsecvpn_ctx *ctx = wire_ctx_new();
    uint8_t big[8192];
    ivpn_writer w;
    memset(&in, 0, sizeof(in));
    /* 17 proposals of one transform each: written by hand, the struct holds only 16 */
    ivpn_writer_init(&w, big, sizeof(big));
    for (int i = 1; i <= 17; i++) {
        const uint8_t prop[] = {i == 17 ? 0 : 2, 0, 0, 20, (uint8_t)i, 3, 4, 1, 1, 2, 3, 4,
                                0, 0, 0, 8, 1, 0, 0, 12};
        ivpn_wr_bytes(&w, prop, sizeof(prop));
    }
    cr_assert_eq(ivpn_ikev2_sa_decode(ctx, (ivpn_span){big, w.len}, false, &out),
                 IPSECVPN_ERR_IKE_MALFORMED);
    cr_assert(strstr(wire_log.last, "more than 16 proposals"), "log: %s", wire_log.last);
    /* one proposal with 65 transforms */
    ivpn_writer_init(&w, big, sizeof(big));
    const uint8_t hdr[] = {0, 0, 0, 0, 1, 1, 0, 65};
    ivpn_wr_bytes(&w, hdr, sizeof(hdr));
    for (int i = 0; i < 65; i++) {
        const uint8_t tr[] = {i == 64 ? 0 : 3, 0, 0, 8, 1, 0, 0, 12};
        ivpn_wr_bytes(&w, tr, sizeof(tr));
    }
    ivpn_wr_patch_len16(&w, 2, 0);
    cr_assert_eq(ivpn_ikev2_sa_decode(ctx, (ivpn_span){big, w.len}, false, &out),
                 IPSECVPN_ERR_IKE_MALFORMED);
    cr_assert(strstr(wire_log.last, "more than 64 transforms"), "log: %s", wire_log.last);
    ipsecvpn_ctx_free(ctx);
}

Test(codecs, sa_attributes)
{
    ivpn_ikev2_sa out;
    /* one IKE proposal, one ENCR transform: Key Length TV, then an unknown TLV attribute */
    uint8_t p[] = {0, 0, 0, 24, 1, 1, 0, 1,
                   0, 0, 0, 16, 1, 0, 0, 12, 0x80, 14, 0, 128, 0, 99, 0, 0};
    cr_assert_eq(ivpn_ikev2_sa_decode(NULL, bytes(p, sizeof(p)), false, &out), IPSECVPN_OK);
    cr_assert(out.transforms[0].has_key_len);
    cr_assert_eq(out.transforms[0].key_len, 128);
    cr_assert(out.transforms[0].unknown_attr, "unknown attribute flags the proposal");
    p[21] = 14; /* Key Length in TLV form */
    cr_assert_eq(ivpn_ikev2_sa_decode(NULL, bytes(p, sizeof(p)), false, &out), IPSECVPN_ERR_IKE_MALFORMED);
    p[21] = 99;
    p[23] = 1; /* TLV length 1 passes the transform */
    cr_assert_eq(ivpn_ikev2_sa_decode(NULL, bytes(p, sizeof(p)), false, &out), IPSECVPN_ERR_IKE_MALFORMED);
    p[23] = 0;
    p[7] = 2; /* declares two transforms */
    cr_assert_eq(ivpn_ikev2_sa_decode(NULL, bytes(p, sizeof(p)), false, &out), IPSECVPN_ERR_IKE_MALFORMED);
    p[7] = 1;
    p[8] = 3; /* "more transforms" on the last one */
    cr_assert_eq(ivpn_ikev2_sa_decode(NULL, bytes(p, sizeof(p)), false, &out), IPSECVPN_ERR_IKE_MALFORMED);
    p[8] = 0;
    p[11] = 7; /* transform length < 8 */
    cr_assert_eq(ivpn_ikev2_sa_decode(NULL, bytes(p, sizeof(p)), false, &out), IPSECVPN_ERR_IKE_MALFORMED);
}

Test(codecs, ke_round_trip)
{
    static const uint8_t pub[32] = {9, 8, 7};
    ivpn_ikev2_ke in = {31, bytes(pub, sizeof(pub))}, out;
    ivpn_span s = ENCODE(ivpn_ikev2_ke_encode, &in);
    cr_assert_eq(s.len, 36);
    cr_assert_eq(ivpn_ikev2_ke_decode(NULL, s, &out), IPSECVPN_OK);
    cr_assert_eq(out.dh_group, 31);
    assert_span_eq(out.data, in.data);
    cr_assert_eq(ivpn_ikev2_ke_decode(NULL, bytes(s.p, 4), &out), IPSECVPN_ERR_IKE_MALFORMED);
}

Test(codecs, id_round_trip_all_types)
{
    static const struct { uint8_t type; const char *data; size_t len; } ids[] = {
        {IVPN_IKEV2_ID_IPV4_ADDR, "\xc0\x00\x02\x01", 4},
        {IVPN_IKEV2_ID_FQDN, "vpn.example.com", 15},
        {IVPN_IKEV2_ID_RFC822_ADDR, "ops@example.com", 15},
        {IVPN_IKEV2_ID_IPV6_ADDR, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\1", 16},
        {IVPN_IKEV2_ID_KEY_ID, "\x01\x02\x03", 3},
    };
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        ivpn_ikev2_id in = {ids[i].type, {0}, bytes(ids[i].data, ids[i].len)}, out;
        ivpn_span s = ENCODE(ivpn_ikev2_id_encode, &in);
        cr_assert_eq(ivpn_ikev2_id_decode(NULL, s, &out), IPSECVPN_OK);
        cr_assert_eq(out.type, ids[i].type);
        assert_span_eq(out.data, in.data);
    }
    ivpn_ikev2_id bad = {IVPN_IKEV2_ID_IPV4_ADDR, {0}, bytes("\1\2\3", 3)}, out;
    ivpn_span s = ENCODE(ivpn_ikev2_id_encode, &bad);
    cr_assert_eq(ivpn_ikev2_id_decode(NULL, s, &out), IPSECVPN_ERR_IKE_MALFORMED, "3-byte IPv4");
    bad.type = IVPN_IKEV2_ID_IPV6_ADDR;
    s = ENCODE(ivpn_ikev2_id_encode, &bad);
    cr_assert_eq(ivpn_ikev2_id_decode(NULL, s, &out), IPSECVPN_ERR_IKE_MALFORMED, "3-byte IPv6");
}

Test(codecs, auth_round_trip)
{
    static const uint8_t mac[32] = {0xaa, 0xbb};
    ivpn_ikev2_auth in = {IVPN_IKEV2_AUTH_PSK, bytes(mac, sizeof(mac))}, out;
    ivpn_span s = ENCODE(ivpn_ikev2_auth_encode, &in);
    cr_assert_eq(ivpn_ikev2_auth_decode(NULL, s, &out), IPSECVPN_OK);
    cr_assert_eq(out.method, IVPN_IKEV2_AUTH_PSK);
    assert_span_eq(out.data, in.data);
    cr_assert_eq(ivpn_ikev2_auth_decode(NULL, bytes(s.p, 4), &out), IPSECVPN_ERR_IKE_MALFORMED);
}

Test(codecs, nonce_bounds)
{
    static const uint8_t n[257] = {1};
    ivpn_ikev2_nonce in = {bytes(n, 32)}, out;
    ivpn_span s = ENCODE(ivpn_ikev2_nonce_encode, &in);
    cr_assert_eq(ivpn_ikev2_nonce_decode(NULL, s, &out), IPSECVPN_OK);
    assert_span_eq(out.data, in.data);
    cr_assert_eq(ivpn_ikev2_nonce_decode(NULL, bytes(n, 16), &out), IPSECVPN_OK);
    cr_assert_eq(ivpn_ikev2_nonce_decode(NULL, bytes(n, 256), &out), IPSECVPN_OK);
    cr_assert_eq(ivpn_ikev2_nonce_decode(NULL, bytes(n, 15), &out), IPSECVPN_ERR_IKE_MALFORMED);
    cr_assert_eq(ivpn_ikev2_nonce_decode(NULL, bytes(n, 257), &out), IPSECVPN_ERR_IKE_MALFORMED);
}

Test(codecs, notify_round_trip_and_table)
{
    static const uint8_t hash[20] = {7};
    ivpn_ikev2_notify in = {0, 0, IVPN_IKEV2_N_NAT_DETECTION_SOURCE_IP, {0}, bytes(hash, 20)}, out;
    ivpn_span s = ENCODE(ivpn_ikev2_notify_encode, &in);
    cr_assert_eq(ivpn_ikev2_notify_decode(NULL, s, &out), IPSECVPN_OK);
    cr_assert_eq(out.type, IVPN_IKEV2_N_NAT_DETECTION_SOURCE_IP);
    assert_span_eq(out.data, in.data);
    cr_assert_str_eq(ivpn_ikev2_notify_name(out.type), "NAT_DETECTION_SOURCE_IP");

    in.data.len = 19;
    s = ENCODE(ivpn_ikev2_notify_encode, &in);
    cr_assert_eq(ivpn_ikev2_notify_decode(NULL, s, &out), IPSECVPN_ERR_IKE_MALFORMED, "NAT-D is SHA-1");

    ivpn_ikev2_notify rekey = {IVPN_IKEV2_PROTO_ESP, 4, IVPN_IKEV2_N_REKEY_SA, {1, 2, 3, 4}, {0}};
    s = ENCODE(ivpn_ikev2_notify_encode, &rekey);
    cr_assert_eq(ivpn_ikev2_notify_decode(NULL, s, &out), IPSECVPN_OK);
    cr_assert_arr_eq(out.spi, rekey.spi, 4);
    rekey.spi_size = 0;
    s = ENCODE(ivpn_ikev2_notify_encode, &rekey);
    cr_assert_eq(ivpn_ikev2_notify_decode(NULL, s, &out), IPSECVPN_ERR_IKE_MALFORMED, "REKEY_SA needs its SPI");

    static const uint8_t grp[2] = {0, 14};
    ivpn_ikev2_notify ke = {0, 0, IVPN_IKEV2_N_INVALID_KE_PAYLOAD, {0}, bytes(grp, 2)};
    s = ENCODE(ivpn_ikev2_notify_encode, &ke);
    cr_assert_eq(ivpn_ikev2_notify_decode(NULL, s, &out), IPSECVPN_OK);
    cr_assert(ivpn_ikev2_notify_is_error(out.type));
    cr_assert_not(ivpn_ikev2_notify_is_error(IVPN_IKEV2_N_COOKIE));

    static const uint8_t cookie[65] = {0};
    ivpn_ikev2_notify c = {0, 0, IVPN_IKEV2_N_COOKIE, {0}, bytes(cookie, 65)};
    s = ENCODE(ivpn_ikev2_notify_encode, &c);
    cr_assert_eq(ivpn_ikev2_notify_decode(NULL, s, &out), IPSECVPN_ERR_IKE_MALFORMED, "cookie > 64");

    ivpn_ikev2_notify unknown = {0, 8, 40000, {1, 2, 3, 4, 5, 6, 7, 8}, bytes("xyz", 3)};
    s = ENCODE(ivpn_ikev2_notify_encode, &unknown);
    cr_assert_eq(ivpn_ikev2_notify_decode(NULL, s, &out), IPSECVPN_OK, "unknown types pass");
    cr_assert_eq(out.spi_size, 8);
    cr_assert_str_eq(ivpn_ikev2_notify_name(40000), "UNKNOWN");
    const uint8_t bad_spi[] = {0, 3, 0x40, 0, 1, 2, 3};
    cr_assert_eq(ivpn_ikev2_notify_decode(NULL, bytes(bad_spi, sizeof(bad_spi)), &out),
                 IPSECVPN_ERR_IKE_MALFORMED, "SPI size 3");
}

Test(codecs, notify_names_for_needed_types)
{
    static const uint16_t needed[] = {
        IVPN_IKEV2_N_INVALID_KE_PAYLOAD, IVPN_IKEV2_N_NO_PROPOSAL_CHOSEN,
        IVPN_IKEV2_N_AUTHENTICATION_FAILED, IVPN_IKEV2_N_TS_UNACCEPTABLE,
        IVPN_IKEV2_N_INVALID_SYNTAX, IVPN_IKEV2_N_COOKIE, IVPN_IKEV2_N_NAT_DETECTION_SOURCE_IP,
        IVPN_IKEV2_N_NAT_DETECTION_DESTINATION_IP, IVPN_IKEV2_N_REKEY_SA,
        IVPN_IKEV2_N_USE_TRANSPORT_MODE, IVPN_IKEV2_N_INITIAL_CONTACT,
        IVPN_IKEV2_N_SINGLE_PAIR_REQUIRED, IVPN_IKEV2_N_CHILD_SA_NOT_FOUND,
        IVPN_IKEV2_N_TEMPORARY_FAILURE, IVPN_IKEV2_N_INVALID_SPI,
        IVPN_IKEV2_N_ESP_TFC_PADDING_NOT_SUPPORTED, IVPN_IKEV2_N_NON_FIRST_FRAGMENTS_ALSO,
        IVPN_IKEV2_N_SIGNATURE_HASH_ALGORITHMS, IVPN_IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED,
        IVPN_IKEV2_N_MOBIKE_SUPPORTED,
    };
    for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
        cr_assert_str_neq(ivpn_ikev2_notify_name(needed[i]), "UNKNOWN", "type %u", needed[i]);
    cr_assert_eq(IVPN_IKEV2_N_INVALID_KE_PAYLOAD, 17);
    cr_assert_eq(IVPN_IKEV2_N_COOKIE, 16390);
    cr_assert_eq(IVPN_IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, 16430);
}

Test(codecs, delete_round_trip)
{
    static const uint8_t spis[8] = {0xc0, 0xff, 0xee, 0x01, 0, 0, 0, 2};
    ivpn_ikev2_delete in = {IVPN_IKEV2_PROTO_ESP, 4, 2, bytes(spis, 8)}, out;
    ivpn_span s = ENCODE(ivpn_ikev2_delete_encode, &in);
    cr_assert_eq(ivpn_ikev2_delete_decode(NULL, s, &out), IPSECVPN_OK);
    cr_assert_eq(out.n_spis, 2);
    cr_assert_eq(ivpn_ikev2_delete_spi(&out, 0), 0xc0ffee01u);
    cr_assert_eq(ivpn_ikev2_delete_spi(&out, 1), 2);
    cr_assert_eq(ivpn_ikev2_delete_spi(&out, 2), 0, "past the end");
    in.n_spis = 3;
    in.spis.len = 12;
    uint8_t raw[] = {3, 4, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2};
    cr_assert_eq(ivpn_ikev2_delete_decode(NULL, bytes(raw, sizeof(raw)), &out),
                 IPSECVPN_ERR_IKE_MALFORMED, "3 SPIs declared, 2 present");
    ivpn_ikev2_delete ike = {IVPN_IKEV2_PROTO_IKE, 0, 0, {0}};
    s = ENCODE(ivpn_ikev2_delete_encode, &ike);
    cr_assert_eq(s.len, 4);
    cr_assert_eq(ivpn_ikev2_delete_decode(NULL, s, &out), IPSECVPN_OK);
    cr_assert_eq(out.protocol, IVPN_IKEV2_PROTO_IKE);
    uint8_t ike_bad[] = {1, 8, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8};
    cr_assert_eq(ivpn_ikev2_delete_decode(NULL, bytes(ike_bad, sizeof(ike_bad)), &out),
                 IPSECVPN_ERR_IKE_MALFORMED, "IKE delete carries no SPI");
}

Test(codecs, vendor_round_trip)
{
    ivpn_ikev2_vendor in = {bytes("\x88\x2f\xe5\x6d\x6f\xd2\x0d\xbc", 8)}, out;
    ivpn_span s = ENCODE(ivpn_ikev2_vendor_encode, &in);
    cr_assert_eq(ivpn_ikev2_vendor_decode(NULL, s, &out), IPSECVPN_OK);
    assert_span_eq(out.data, in.data);
    cr_assert_eq(ivpn_ikev2_vendor_decode(NULL, bytes(s.p, 0), &out), IPSECVPN_ERR_IKE_MALFORMED);
}

Test(codecs, ts_round_trip)
{
    ivpn_ikev2_ts in, out;
    memset(&in, 0, sizeof(in));
    in.count = 2;
    in.sel[0] = (ivpn_ikev2_selector){IVPN_IKEV2_TS_IPV4_ADDR_RANGE, 0, 0, 65535,
                                      {10, 1, 0, 0}, {10, 1, 0, 255}};
    in.sel[1] = (ivpn_ikev2_selector){IVPN_IKEV2_TS_IPV6_ADDR_RANGE, 17, 500, 500,
                                      {0x20, 0x01, 0x0d, 0xb8}, {0x20, 0x01, 0x0d, 0xb8, 0xff}};
    ivpn_span s = ENCODE(ivpn_ikev2_ts_encode, &in);
    cr_assert_eq(s.len, 4 + 16 + 40);
    cr_assert_eq(ivpn_ikev2_ts_decode(NULL, s, &out), IPSECVPN_OK);
    cr_assert_eq(out.count, 2);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(out.sel[i].type, in.sel[i].type);
        cr_assert_eq(out.sel[i].ip_proto, in.sel[i].ip_proto);
        cr_assert_eq(out.sel[i].start_port, in.sel[i].start_port);
        cr_assert_eq(out.sel[i].end_port, in.sel[i].end_port);
        cr_assert_arr_eq(out.sel[i].start_addr, in.sel[i].start_addr, 16);
        cr_assert_arr_eq(out.sel[i].end_addr, in.sel[i].end_addr, 16);
    }
}

Test(codecs, ts_limits)
{
    ivpn_ikev2_ts out;
    ipsecvpn_ctx *ctx = wire_ctx_new();
    uint8_t raw[4 + 17 * 16];
    memset(raw, 0, sizeof(raw));
    raw[0] = 17;
    for (int i = 0; i < 17; i++) {
        raw[4 + i * 16] = IVPN_IKEV2_TS_IPV4_ADDR_RANGE;
        raw[4 + i * 16 + 3] = 16;
    }
    cr_assert_eq(ivpn_ikev2_ts_decode(ctx, bytes(raw, sizeof(raw)), &out), IPSECVPN_ERR_IKE_MALFORMED);
    cr_assert(strstr(wire_log.last, "at most 16"), "log: %s", wire_log.last);
    raw[0] = 16;
    cr_assert_eq(ivpn_ikev2_ts_decode(ctx, bytes(raw, sizeof(raw) - 16), &out), IPSECVPN_OK);
    cr_assert_eq(ivpn_ikev2_ts_decode(ctx, bytes(raw, sizeof(raw)), &out),
                 IPSECVPN_ERR_IKE_MALFORMED, "bytes after the declared selectors");
    raw[0] = 1;
    raw[7] = 40; /* IPv4 with the IPv6 length */
    cr_assert_eq(ivpn_ikev2_ts_decode(ctx, bytes(raw, 4 + 40), &out), IPSECVPN_ERR_IKE_MALFORMED);
    raw[7] = 16;
    raw[4] = 9; /* unsupported selector type */
    cr_assert_eq(ivpn_ikev2_ts_decode(ctx, bytes(raw, 4 + 16), &out), IPSECVPN_ERR_IKE_MALFORMED);
    raw[0] = 0;
    cr_assert_eq(ivpn_ikev2_ts_decode(ctx, bytes(raw, 4), &out), IPSECVPN_ERR_IKE_MALFORMED);
    ipsecvpn_ctx_free(ctx);
}

Test(codecs, sk_and_skf)
{
    static const uint8_t enc[48] = {1};
    ivpn_ikev2_sk out;
    cr_assert_eq(ivpn_ikev2_sk_decode(NULL, bytes(enc, 48), IVPN_IKEV2_PL_IDI, &out), IPSECVPN_OK);
    cr_assert_eq(out.first_inner, IVPN_IKEV2_PL_IDI);
    cr_assert_eq(out.encrypted.p, enc);
    cr_assert_eq(ivpn_ikev2_sk_decode(NULL, bytes(enc, 0), 0, &out), IPSECVPN_ERR_IKE_MALFORMED);

    ivpn_ikev2_sk in = {IVPN_IKEV2_PL_IDI, 1, 3, {0}};
    uint8_t frag[4 + 48];
    ivpn_writer w;
    ivpn_writer_init(&w, frag, sizeof(frag));
    ivpn_ikev2_skf_encode_numbers(&w, &in);
    ivpn_wr_bytes(&w, enc, sizeof(enc));
    cr_assert_eq(ivpn_ikev2_skf_decode(NULL, bytes(frag, w.len), IVPN_IKEV2_PL_IDI, &out), IPSECVPN_OK);
    cr_assert_eq(out.frag_num, 1);
    cr_assert_eq(out.frag_total, 3);
    cr_assert_eq(out.encrypted.len, 48);
    cr_assert_eq(ivpn_ikev2_skf_decode(NULL, bytes(frag, w.len), 0, &out), IPSECVPN_ERR_IKE_MALFORMED,
                 "fragment 1 names the first inner payload");
    uint8_t again[64];
    ivpn_writer_init(&w, again, sizeof(again));
    ivpn_ikev2_sk_encode(&w, &out);
    cr_assert_eq(w.len, 52);
    cr_assert_arr_eq(again, frag, 52, "SKF body re-encodes byte for byte");
    frag[1] = 4; /* fragment 4 of 3 */
    cr_assert_eq(ivpn_ikev2_skf_decode(NULL, bytes(frag, w.len), 0, &out), IPSECVPN_ERR_IKE_MALFORMED);
}

Test(codecs, cp_round_trip)
{
    ivpn_ikev2_cp in, out;
    memset(&in, 0, sizeof(in));
    in.cfg_type = IVPN_IKEV2_CFG_REPLY;
    in.count = 2;
    in.attrs[0] = (ivpn_ikev2_cp_attr){1, bytes("\x0a\x00\x00\x05", 4)}; /* INTERNAL_IP4_ADDRESS */
    in.attrs[1] = (ivpn_ikev2_cp_attr){3, bytes("", 0)};                 /* INTERNAL_IP4_DNS request */
    ivpn_span s = ENCODE(ivpn_ikev2_cp_encode, &in);
    cr_assert_eq(ivpn_ikev2_cp_decode(NULL, s, &out), IPSECVPN_OK);
    cr_assert_eq(out.cfg_type, IVPN_IKEV2_CFG_REPLY);
    cr_assert_eq(out.count, 2);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(out.attrs[i].type, in.attrs[i].type);
        assert_span_eq(out.attrs[i].value, in.attrs[i].value);
    }
    cr_assert_eq(ivpn_ikev2_cp_decode(NULL, bytes(s.p, s.len - 1), &out), IPSECVPN_ERR_IKE_MALFORMED);
}

Test(codecs, encoders_report_full_buffers)
{
    ivpn_ikev2_sa sa = two_proposals();
    uint8_t small[20];
    ivpn_writer w;
    ivpn_writer_init(&w, small, sizeof(small));
    ivpn_ikev2_sa_encode(&w, &sa);
    cr_assert_eq(ivpn_wr_status(&w), IPSECVPN_ERR_BUFFER_TOO_SMALL);
    ivpn_writer_init(&w, buf, sizeof(buf));
    sa.proposals[1].count = 9; /* points past the transforms */
    ivpn_ikev2_sa_encode(&w, &sa);
    cr_assert_eq(ivpn_wr_status(&w), IPSECVPN_ERR_INVALID_ARG);
}
