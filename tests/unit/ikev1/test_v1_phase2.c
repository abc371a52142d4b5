/*
 * IKEv1 phase 2 between two engines in memory (owner: v1-phase2):
 *
 *   quick mode (RFC 2409 §5.5):  HDR*, HASH(1), SA, Ni [, KE] [, IDci, IDcr]  -->
 *                                <--  HDR*, HASH(2), SA, Nr [, KE] [, IDci, IDcr]
 *                                HDR*, HASH(3)  -->
 *   informational (§5.7):        HDR*, HASH(1), N/D  -->
 *   DPD (RFC 3706):              R-U-THERE -->  <-- R-U-THERE-ACK
 *
 * What QM1 carries (decrypted here with the initiator's keys), keys mirrored and ESP both
 * ways, PFS, a refused proposal and refused IDs, Child SA rekey by lifetime with traffic
 * flowing, Delete from each side, DPD with each action and the ACK, and bad input that must
 * change nothing. Plus the ESP proposal and ID codecs on their own.
 */
#include "v1t_common.h"

#include <arpa/inet.h>
#include <stdlib.h>

/* ---- p2_proposal.c on its own ----------------------------------------------------------- */

static ivpn_conn_ipsec policy(uint16_t encr, uint16_t bits, uint16_t integ, uint16_t pfs,
                              uint32_t life)
{
    ivpn_conn_ipsec v;
    memset(&v, 0, sizeof(v));
    v.mode = IVPN_IPSEC_TUNNEL;
    v.encryption.id = encr;
    v.encryption.key_bits = bits;
    v.integrity = integ;
    v.pfs = pfs;
    v.lifetime = life;
    return v;
}

/* encode -> decode: what goes on the wire is what the responder's selection reads */
static void roundtrip(const ivpn_isakmp_sa *in, ivpn_isakmp_sa *out)
{
    uint8_t buf[2048];
    ivpn_writer w;
    ivpn_writer_init(&w, buf, sizeof(buf));
    ivpn_isakmp_sa_encode(&w, in);
    cr_assert_eq(ivpn_wr_status(&w), IPSECVPN_OK);
    ivpn_span s = { buf, w.len };
    cr_assert_eq(ivpn_isakmp_sa_decode(NULL, s, out), IPSECVPN_OK);
}

Test(v1_phase2, proposal_attributes_and_selection)
{
    static ivpn_isakmp_sa prop, wire, reply, wire2;
    ivpn_conn_ipsec v = policy(IPSECVPN_ENCR_AES_CBC, 256, IPSECVPN_INTEG_HMAC_SHA2_256_128,
                               IPSECVPN_DH_MODP2048, 3600);
    cr_assert_eq(ivpn_v1_p2_proposal(&v, 0x11223344, true, &prop), IPSECVPN_OK);
    roundtrip(&prop, &wire);
    cr_assert_eq(wire.n_proposals, 1);
    const ivpn_isakmp_proposal *p = &wire.proposals[0];
    cr_assert_eq(p->protocol, IVPN_ISAKMP_PROTO_ESP);
    cr_assert_eq(p->spi_size, 4);
    cr_assert_eq(v1t_be32(p->spi), 0x11223344u);
    cr_assert_eq(p->n_transforms, 1);
    const ivpn_isakmp_transform *t = &p->transforms[0];
    cr_assert_eq(t->id, 12, "ESP_AES (RFC 2407 §4.4.4)");
    uint64_t x = 0;
    cr_assert(ivpn_isakmp_attr_get(t, IVPN_P2_ATTR_KEY_LENGTH, &x) && x == 256);
    cr_assert(ivpn_isakmp_attr_get(t, IVPN_P2_ATTR_AUTH_ALG, &x) &&
              x == IVPN_P2_AUTH_HMAC_SHA2_256);
    cr_assert(ivpn_isakmp_attr_get(t, IVPN_P2_ATTR_GROUP, &x) && x == 14);
    cr_assert(ivpn_isakmp_attr_get(t, IVPN_P2_ATTR_ENCAP_MODE, &x) &&
              x == IVPN_P2_ENCAP_UDP_TUNNEL);
    cr_assert(ivpn_isakmp_attr_get(t, IVPN_P2_ATTR_LIFE_TYPE, &x) && x == 1);
    cr_assert(ivpn_isakmp_attr_get(t, IVPN_P2_ATTR_LIFE_DURATION, &x) && x == 3600);

    /* a responder with a shorter lifetime takes it; the reply is one transform */
    ivpn_conn_ipsec r = v;
    r.lifetime = 1200;
    ivpn_v1_p2_choice ch;
    cr_assert_eq(ivpn_v1_p2_select(&wire, &r, &ch), IPSECVPN_OK);
    cr_assert_eq(ch.spi, 0x11223344u);
    cr_assert_eq(ch.lifetime_s, 1200);
    cr_assert_eq(ch.algs.encr, IPSECVPN_ENCR_AES_CBC);
    cr_assert_eq(ch.algs.encr_bits, 256);
    cr_assert_eq(ch.algs.integ, IPSECVPN_INTEG_HMAC_SHA2_256_128);
    cr_assert_eq(ch.algs.dh, 14);
    ivpn_v1_p2_reply(&ch, 0x55667788, &reply);
    roundtrip(&reply, &wire2);
    ivpn_v1_p2_choice back;
    cr_assert_eq(ivpn_v1_p2_check_reply(&wire2, &v, &back), IPSECVPN_OK);
    cr_assert_eq(back.spi, 0x55667788u);
    cr_assert_eq(back.lifetime_s, 1200, "the initiator takes the shorter answer");

    /* mismatches: integrity, PFS group, key size, mode */
    ivpn_conn_ipsec bad = v;
    bad.integrity = IPSECVPN_INTEG_HMAC_SHA1_96;
    cr_assert_eq(ivpn_v1_p2_select(&wire, &bad, &ch), IPSECVPN_ERR_IKE_NO_PROPOSAL);
    bad = v;
    bad.pfs = 0;
    cr_assert_eq(ivpn_v1_p2_select(&wire, &bad, &ch), IPSECVPN_ERR_IKE_NO_PROPOSAL);
    bad = v;
    bad.encryption.key_bits = 128;
    cr_assert_eq(ivpn_v1_p2_select(&wire, &bad, &ch), IPSECVPN_ERR_IKE_NO_PROPOSAL);
    bad = v;
    bad.mode = IVPN_IPSEC_TRANSPORT;
    cr_assert_eq(ivpn_v1_p2_select(&wire, &bad, &ch), IPSECVPN_ERR_IKE_NO_PROPOSAL);
    /* an answer with two transforms is not a choice */
    wire.proposals[0].n_transforms = 2;
    wire.proposals[0].transforms[1] = wire.proposals[0].transforms[0];
    cr_assert_eq(ivpn_v1_p2_check_reply(&wire, &v, &ch), IPSECVPN_ERR_IKE_NO_PROPOSAL);
}

Test(v1_phase2, proposal_draft_encap_default_lifetime_and_3des)
{
    static ivpn_isakmp_sa prop, wire;
    ivpn_conn_ipsec v = policy(IPSECVPN_ENCR_3DES, 192, IPSECVPN_INTEG_HMAC_MD5_96, 0, 0);
    cr_assert_eq(ivpn_v1_p2_proposal(&v, 0x1000, false, &prop), IPSECVPN_OK);
    ivpn_isakmp_transform *t = &prop.proposals[0].transforms[0];
    uint64_t x;
    cr_assert_not(ivpn_isakmp_attr_get(t, IVPN_P2_ATTR_KEY_LENGTH, &x), "3DES has no key length");
    cr_assert_not(ivpn_isakmp_attr_get(t, IVPN_P2_ATTR_GROUP, &x), "no PFS, no group");
    cr_assert_not(ivpn_isakmp_attr_get(t, IVPN_P2_ATTR_LIFE_DURATION, &x), "lifetime 0: none");
    cr_assert(ivpn_isakmp_attr_get(t, IVPN_P2_ATTR_ENCAP_MODE, &x) && x == IVPN_P2_ENCAP_TUNNEL);
    /* the pre-RFC UDP tunnel value from a peer, no lifetime: RFC 2407's 28800 s default */
    for (uint8_t i = 0; i < t->n_attrs; i++)
        if (t->attrs[i].type == IVPN_P2_ATTR_ENCAP_MODE)
            t->attrs[i].value = IVPN_P2_ENCAP_UDP_TUNNEL_DRAFT;
    roundtrip(&prop, &wire);
    ivpn_v1_p2_choice ch;
    cr_assert_eq(ivpn_v1_p2_select(&wire, &v, &ch), IPSECVPN_OK);
    cr_assert_eq(ch.encap, IVPN_P2_ENCAP_UDP_TUNNEL_DRAFT);
    cr_assert_not(ch.transport);
    cr_assert_eq(ch.lifetime_s, 28800);
    /* SPIs below 256 are reserved (RFC 4303 §2.1) */
    memset(wire.proposals[0].spi, 0, 4);
    wire.proposals[0].spi[3] = 255;
    cr_assert_eq(ivpn_v1_p2_select(&wire, &v, &ch), IPSECVPN_ERR_IKE_NO_PROPOSAL);
    /* ChaCha20 has no IKEv1 ESP transform */
    ivpn_conn_ipsec cc = policy(IPSECVPN_ENCR_CHACHA20_POLY1305, 256, 0, 0, 0);
    cr_assert_eq(ivpn_v1_p2_proposal(&cc, 0x1000, false, &prop), IPSECVPN_ERR_CRYPTO_ALG);
}

static void ts_of(const char *lo, const char *hi, ivpn_ts *t)
{
    memset(t, 0, sizeof(*t));
    t->family = strchr(lo, ':') ? 6 : 4;
    int af = t->family == 6 ? AF_INET6 : AF_INET;
    cr_assert_eq(inet_pton(af, lo, t->lo), 1);
    cr_assert_eq(inet_pton(af, hi, t->hi), 1);
    t->port_hi = 0xffff;
}

static void id_roundtrip(const char *lo, const char *hi, uint8_t want_type)
{
    ivpn_ts t;
    ts_of(lo, hi, &t);
    uint8_t buf[32];
    ivpn_isakmp_id id;
    ivpn_v1_id_from_ts(&t, &id, buf);
    cr_assert_eq(id.type, want_type, "%s-%s", lo, hi);
    IVPN_TS_SET_LOCAL(back);
    cr_assert_eq(ivpn_v1_id_to_ts(&id, &back), IPSECVPN_OK);
    cr_assert_eq(back.n, 1);
    cr_assert_eq(memcmp(back.ts[0].lo, t.lo, 16), 0, "%s-%s", lo, hi);
    cr_assert_eq(memcmp(back.ts[0].hi, t.hi, 16), 0, "%s-%s", lo, hi);
    cr_assert_eq(back.ts[0].port_lo, 0);
    cr_assert_eq(back.ts[0].port_hi, 0xffff);
}

Test(v1_phase2, client_ids_subnet_and_range)
{
    id_roundtrip("10.1.0.0", "10.1.255.255", IVPN_ISAKMP_ID_IPV4_ADDR_SUBNET);
    id_roundtrip("0.0.0.0", "255.255.255.255", IVPN_ISAKMP_ID_IPV4_ADDR_SUBNET);
    id_roundtrip("192.0.2.7", "192.0.2.7", IVPN_ISAKMP_ID_IPV4_ADDR_SUBNET);
    id_roundtrip("10.1.0.1", "10.1.0.9", IVPN_ISAKMP_ID_IPV4_ADDR_RANGE);
    id_roundtrip("2001:db8::", "2001:db8::ffff:ffff", IVPN_ISAKMP_ID_IPV6_ADDR_SUBNET);
    id_roundtrip("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", IVPN_ISAKMP_ID_IPV6_ADDR_SUBNET);
    /* the subnet mask of the wire form */
    ivpn_ts t;
    ts_of("10.1.0.0", "10.1.255.255", &t);
    uint8_t buf[32];
    ivpn_isakmp_id id;
    ivpn_v1_id_from_ts(&t, &id, buf);
    static const uint8_t want[8] = { 10, 1, 0, 0, 255, 255, 0, 0 };
    cr_assert_eq(id.data.len, 8);
    cr_assert_eq(memcmp(id.data.p, want, 8), 0);
    /* refused: names, bad lengths, inverted ranges */
    IVPN_TS_SET_LOCAL(s);
    ivpn_isakmp_id fq = { .type = IVPN_ISAKMP_ID_FQDN, .data = { (const uint8_t *)"a.b", 3 } };
    cr_assert_eq(ivpn_v1_id_to_ts(&fq, &s), IPSECVPN_ERR_IKE_TS);
    ivpn_isakmp_id shortid = { .type = IVPN_ISAKMP_ID_IPV4_ADDR_SUBNET, .data = { want, 7 } };
    cr_assert_eq(ivpn_v1_id_to_ts(&shortid, &s), IPSECVPN_ERR_IKE_MALFORMED);
    static const uint8_t inv[8] = { 10, 0, 0, 9, 10, 0, 0, 1 };
    ivpn_isakmp_id range = { .type = IVPN_ISAKMP_ID_IPV4_ADDR_RANGE, .data = { inv, 8 } };
    cr_assert_eq(ivpn_v1_id_to_ts(&range, &s), IPSECVPN_ERR_IKE_TS);
    /* a port narrows to that port */
    ivpn_isakmp_id port = { .type = IVPN_ISAKMP_ID_IPV4_ADDR, .protocol = 6, .port = 443,
                            .data = { want, 4 } };
    cr_assert_eq(ivpn_v1_id_to_ts(&port, &s), IPSECVPN_OK);
    cr_assert_eq(s.ts[0].proto, 6);
    cr_assert_eq(s.ts[0].port_lo, 443);
    cr_assert_eq(s.ts[0].port_hi, 443);
}

/* ---- quick mode between two engines ------------------------------------------------------- */

/* The datagrams of interest, kept by the filter. */
static h_dgram keep_qm1, keep_qm3;
static bool have_qm1, have_qm3;

static bool filter_keep(h_net *n, const h_dgram *d, bool *dup)
{
    (void)n;
    (void)dup;
    v1t_kind k = v1t_record(d);
    if (k == K_QM1 && !have_qm1) {
        keep_qm1 = *d;
        have_qm1 = true;
    }
    if (k == K_QM3 && !have_qm3) {
        keep_qm3 = *d;
        have_qm3 = true;
    }
    return true;
}

static void up_with(h_net *n, const char *const *f, const char *const *v, size_t count)
{
    have_qm1 = have_qm3 = false;
    v1t_init(n, "main", f, v, count);
    n->filter = filter_keep;
    v1t_up(n);
}

/* QM1 decrypted with the initiator's phase-1 keys: its payloads in order. */
static void open_qm1(h_net *n, ivpn_isakmp_payload_list *pl, uint8_t *plain, size_t *plain_len)
{
    cr_assert(have_qm1);
    ivpn_v1_sa *sa = v1t_sa(n, 0);
    int o = v1t_isakmp_off(&keep_qm1);
    const uint8_t *m = keep_qm1.data + o;
    ivpn_isakmp_header h;
    cr_assert_eq(ivpn_isakmp_header_decode(NULL, m, keep_qm1.len - (size_t)o, &h), IPSECVPN_OK);
    cr_assert_eq(h.exchange, IVPN_ISAKMP_EX_QUICK);
    cr_assert(h.flags & IVPN_ISAKMP_FLAG_ENC);
    cr_assert_neq(h.message_id, 0u, "quick mode has a non-zero message ID");
    uint8_t iv[IVPN_V1_BLOCK_MAX];
    cr_assert_eq(ivpn_v1_p2_iv(sa, h.message_id, iv), IPSECVPN_OK);
    *plain_len = h.length - IVPN_ISAKMP_HEADER_LEN;
    memcpy(plain, m + IVPN_ISAKMP_HEADER_LEN, *plain_len);
    cr_assert_eq(ivpn_v1_decrypt(NULL, sa->encr, sa->encr_bits, sa->enc_key, sa->enc_key_len, iv,
                                 plain, *plain_len),
                 IPSECVPN_OK);
    cr_assert_eq(ivpn_isakmp_chain_walk(NULL, h.next_payload, plain, *plain_len, true, pl),
                 IPSECVPN_OK);
}

static void quick_mode_case(const char *pfs, bool want_ke)
{
    h_net n;
    const char *f[] = { "ipsec.pfs", "ipsec.encryption", "ipsec.integrity" };
    const char *v[] = { pfs, "aes256", "sha256" };
    up_with(&n, f, v, 3);
    v1t_check_up(&n, "quick mode");
    v1t_ping_both(&n);

    static uint8_t plain[4096];
    size_t plain_len;
    ivpn_isakmp_payload_list pl;
    open_qm1(&n, &pl, plain, &plain_len);
    static const uint8_t with_ke[] = { IVPN_ISAKMP_PL_HASH, IVPN_ISAKMP_PL_SA, IVPN_ISAKMP_PL_NONCE,
                                       IVPN_ISAKMP_PL_KE, IVPN_ISAKMP_PL_ID, IVPN_ISAKMP_PL_ID };
    static const uint8_t no_ke[] = { IVPN_ISAKMP_PL_HASH, IVPN_ISAKMP_PL_SA, IVPN_ISAKMP_PL_NONCE,
                                     IVPN_ISAKMP_PL_ID, IVPN_ISAKMP_PL_ID };
    const uint8_t *want = want_ke ? with_ke : no_ke;
    size_t nwant = want_ke ? sizeof(with_ke) : sizeof(no_ke);
    cr_assert_eq(pl.count, nwant);
    for (size_t i = 0; i < nwant; i++)
        cr_assert_eq(pl.items[i].type, want[i], "payload %zu", i);
    /* SA: our inbound SPI, AES-256 / SHA-256, GROUP exactly with PFS */
    static ivpn_isakmp_sa sa;
    cr_assert_eq(ivpn_isakmp_sa_decode(NULL, pl.items[1].body, &sa), IPSECVPN_OK);
    cr_assert_eq(v1t_be32(sa.proposals[0].spi), v1t_cur(&n, 0)->spi_in);
    uint64_t g = 0;
    cr_assert_eq(ivpn_isakmp_attr_get(&sa.proposals[0].transforms[0], IVPN_P2_ATTR_GROUP, &g),
                 want_ke);
    if (want_ke) {
        cr_assert_eq(g, 14);
        cr_assert_eq(pl.items[3].body.len, 256, "MODP-2048 public value");
    }
    /* IDci / IDcr: the destination mode's 0.0.0.0/0 on both sides */
    ivpn_isakmp_id id;
    cr_assert_eq(ivpn_isakmp_id_decode(NULL, pl.items[nwant - 2].body, &id), IPSECVPN_OK);
    cr_assert_eq(id.type, IVPN_ISAKMP_ID_IPV4_ADDR_SUBNET);
    static const uint8_t any[8] = { 0 };
    cr_assert_eq(id.data.len, 8);
    cr_assert_eq(memcmp(id.data.p, any, 8), 0);
    /* the negotiated pair on both sides */
    ivpn_child *ca = v1t_cur(&n, 0);
    cr_assert_eq(ca->algs.encr, IPSECVPN_ENCR_AES_CBC);
    cr_assert_eq(ca->algs.encr_bits, 256);
    cr_assert_eq(ca->algs.integ, IPSECVPN_INTEG_HMAC_SHA2_256_128);
    cr_assert_eq(n.side[0].child.ek_len, 32);
    cr_assert_eq(n.side[0].child.ak_len, 32);
    cr_assert_not(ca->encap);
    h_free(&n);
}

Test(v1_phase2, quick_mode_without_pfs, .timeout = 30) { quick_mode_case("disabled", false); }
Test(v1_phase2, quick_mode_with_pfs_group14, .timeout = 30) { quick_mode_case("group14", true); }

/* With PFS the Child SA keys come from g(qm)^xy too: another run with the same random
 * sources but PFS gives other keys (and both sides still agree, checked by v1t_check_up). */
Test(v1_phase2, pfs_changes_the_keys, .timeout = 30)
{
    h_net a, b;
    const char *f[] = { "ipsec.pfs" };
    const char *v1[] = { "disabled" }, *v2[] = { "group2" };
    up_with(&a, f, v1, 1);
    v1t_check_up(&a, "no pfs");
    uint8_t k1[64];
    memcpy(k1, a.side[0].child.ek_out, a.side[0].child.ek_len);
    size_t l = a.side[0].child.ek_len;
    h_free(&a);
    up_with(&b, f, v2, 1);
    v1t_check_up(&b, "pfs");
    cr_assert_neq(memcmp(k1, b.side[0].child.ek_out, l), 0);
    v1t_ping_both(&b);
    h_free(&b);
}

/* The responder's IPsec policy differs: NO-PROPOSAL-CHOSEN, protected, ends the exchange. */
Test(v1_phase2, refused_proposal_reaches_initiator, .timeout = 30)
{
    h_net n;
    v1t_init(&n, "main", NULL, NULL, 0);
    h_set(&n, 1, "ipsec.encryption", "3des");
    h_start(&n);
    ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now);
    h_pump(&n);
    int ra = 0;
    cr_assert_eq(h_status(&n.side[0], &ra), IPSECVPN_STATUS_ERROR, "wire: %s", v1t_log_str());
    cr_assert_eq(ra, IPSECVPN_ERR_IKE_NO_PROPOSAL);
    cr_assert_null(ivpn_child_first(v1t_conn(&n, 0)));
    cr_assert_null(ivpn_child_first(v1t_conn(&n, 1)));
    cr_assert_geq(v1t.count[1][K_INFO], 1, "a notify from B; wire: %s", v1t_log_str());
    cr_assert_eq(v1t.count[1][K_QM2], 0);
    h_free(&n);
}

/* The initiator's IDs are not inside the responder's: IKEv1 cannot narrow, so
 * INVALID-ID-INFORMATION. */
Test(v1_phase2, ids_outside_ours_refused, .timeout = 30)
{
    h_net n;
    v1t_init(&n, "main", NULL, NULL, 0);
    h_flows(&n, 0, "10.1.0.0/16", "10.2.0.0/16");
    h_flows(&n, 1, "10.2.3.0/24", "10.1.0.0/16");
    h_start(&n);
    ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now);
    h_pump(&n);
    int ra = 0;
    cr_assert_eq(h_status(&n.side[0], &ra), IPSECVPN_STATUS_ERROR, "wire: %s", v1t_log_str());
    cr_assert_eq(ra, IPSECVPN_ERR_IKE_TS);
    cr_assert_null(ivpn_child_first(v1t_conn(&n, 1)));
    h_free(&n);
}

/* Protected flows that lie inside the responder's: accepted as offered. */
Test(v1_phase2, ids_inside_ours_accepted, .timeout = 30)
{
    h_net n;
    v1t_init(&n, "main", NULL, NULL, 0);
    h_flows(&n, 0, "10.1.2.0/24", "10.2.0.0/16");
    h_flows(&n, 1, "10.2.0.0/16", "10.1.0.0/16");
    v1t_up(&n);
    v1t_check_up(&n, "subset");
    ivpn_child *cb = v1t_cur(&n, 1);
    cr_assert_eq(cb->remote_ts.n, 1);
    static const uint8_t lo[4] = { 10, 1, 2, 0 }, hi[4] = { 10, 1, 2, 255 };
    cr_assert_eq(memcmp(cb->remote_ts.ts[0].lo, lo, 4), 0, "B keeps A's narrower IDci");
    cr_assert_eq(memcmp(cb->remote_ts.ts[0].hi, hi, 4), 0);
    h_free(&n);
}

/* ---- bad input ------------------------------------------------------------------------------ */

static int deliver(h_net *n, const h_dgram *d)
{
    static h_dgram copy; /* the engine may decrypt in place */
    copy = *d;
    ipsecvpn_read_result res;
    return ipsecvpn_engine_read(n->side[copy.to].e, &copy.dst, &copy.src, copy.data, copy.len,
                                n->now, &res);
}

Test(v1_phase2, tampered_and_repeated_messages_change_nothing, .timeout = 30)
{
    h_net n;
    up_with(&n, NULL, NULL, 0);
    v1t_check_up(&n, "setup");
    ivpn_child *cb = v1t_cur(&n, 1);
    uint32_t spi_b = cb->spi_in;
    size_t kids_b = ivpn_child_count(v1t_conn(&n, 1));
    int ups_b = n.side[1].child_ups;

    /* QM1 again (a retransmission): B answers with its QM2 again, installs nothing */
    unsigned qm2_before = v1t.count[1][K_QM2];
    cr_assert_eq(deliver(&n, &keep_qm1), IPSECVPN_OK);
    cr_assert_eq(n.count, 1, "QM2 resent");
    h_pump(&n);
    cr_assert_eq(v1t.count[1][K_QM2], qm2_before + 1);
    /* ... to which A, done, answers with its HASH(3) again; B ignores that */
    cr_assert_eq(n.side[1].child_ups, ups_b);

    /* a flipped bit in QM1's ciphertext: the HASH fails, nothing changes, nothing is sent */
    h_dgram bad = keep_qm1;
    bad.data[bad.len - 20] ^= 0x40;
    bad.data[23] ^= 0x01; /* another message ID: a new exchange for B */
    size_t sent = n.side[1].sent;
    int rc = deliver(&n, &bad);
    cr_assert_lt(rc, 0, "tampered QM1 refused");
    cr_assert_eq(n.side[1].sent, sent, "no answer to a forgery");
    /* a truncated one */
    bad = keep_qm1;
    bad.len = 40;
    cr_assert_lt(deliver(&n, &bad), 0);
    /* QM3 with a wrong hash on a finished exchange */
    bad = keep_qm3;
    bad.data[bad.len - 1] ^= 0x01;
    cr_assert_lt(deliver(&n, &bad), 0);
    cr_assert_eq(ivpn_child_count(v1t_conn(&n, 1)), kids_b);
    cr_assert_eq(v1t_cur(&n, 1)->spi_in, spi_b);
    cr_assert_eq(n.side[1].child_ups, ups_b);
    cr_assert_eq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE);
    v1t_ping_both(&n);
    h_free(&n);
}

/* QM3 lost: the initiator is done, the responder has not installed; A's retransmitted...
 * nothing (A is done). B drops the half exchange after a while; A's pair stays. When QM2 is
 * lost instead, A retransmits QM1 and B answers again. */
static bool drop_first_qm2(h_net *n, const h_dgram *d, bool *dup)
{
    (void)dup;
    v1t_kind k = v1t_record(d);
    if (k == K_QM2 && !n->filter_state) {
        n->filter_state = 1;
        return false;
    }
    return true;
}

Test(v1_phase2, lost_qm2_is_recovered_by_qm1_retransmission, .timeout = 30)
{
    h_net n;
    v1t_init(&n, "main", NULL, NULL, 0);
    n.filter = drop_first_qm2;
    v1t_up(&n);
    cr_assert_null(ivpn_child_first(v1t_conn(&n, 0)));
    h_run_until(&n, n.now + 5000);
    v1t_check_up(&n, "after the retransmission");
    cr_assert_eq(v1t.count[0][K_QM1], 2, "QM1 once resent; wire: %s", v1t_log_str());
    cr_assert_eq(n.side[0].child_ups, 1);
    cr_assert_eq(n.side[1].child_ups, 1);
    v1t_ping_both(&n);
    h_free(&n);
}

/* ---- rekey by lifetime, with traffic ----------------------------------------------------- */

typedef struct ping_state {
    uint64_t next;
    unsigned sent, ok;
} ping_state;

static bool ping_tick(h_net *n, void *arg)
{
    ping_state *p = arg;
    while (p->next <= n->now) {
        for (int s = 0; s < 2; s++) {
            int rc;
            v1t_ping(n, s, (uint16_t)p->sent, &rc);
            p->sent++;
            p->ok += rc == IPSECVPN_OK;
        }
        p->next += 1000;
    }
    return false;
}

Test(v1_phase2, child_rekey_by_lifetime_with_traffic, .timeout = 60)
{
    h_net n;
    const char *f[] = { "ipsec.lifetime", "ipsec.pfs" };
    const char *v[] = { "120", "group2" };
    up_with(&n, f, v, 2);
    v1t_check_up(&n, "first pair");
    uint32_t first_a = v1t_cur(&n, 0)->spi_in;
    uint64_t t0 = n.now;
    ping_state p = { .next = n.now };
    /* soft lifetime 80..90 % of 120 s: the new pair by 108 s; the old one deleted 5 s on */
    v1t_run(&n, t0 + 115000, 500, ping_tick, &p);
    cr_assert_eq(p.ok, p.sent, "no packet lost during the rekey (%u of %u)", p.ok, p.sent);
    cr_assert(h_has_event(&n.side[0], IPSECVPN_EVENT_CHILD_REKEYED) ||
              h_has_event(&n.side[1], IPSECVPN_EVENT_CHILD_REKEYED));
    v1t_check_up(&n, "after the rekey");
    cr_assert_neq(v1t_cur(&n, 0)->spi_in, first_a);
    cr_assert_null(ivpn_child_find(v1t_conn(&n, 0), first_a), "old pair deleted before 120 s");
    cr_assert_eq(ivpn_child_count(v1t_conn(&n, 0)), 1);
    cr_assert_eq(ivpn_child_count(v1t_conn(&n, 1)), 1);
    cr_assert(h_has_event(&n.side[0], IPSECVPN_EVENT_CHILD_DOWN));
    cr_assert(h_has_event(&n.side[1], IPSECVPN_EVENT_CHILD_DOWN));
    /* and on through more lifetimes */
    v1t_run(&n, n.now + 400000, 1000, ping_tick, &p);
    cr_assert_eq(p.ok, p.sent, "no packet lost (%u of %u)", p.ok, p.sent);
    v1t_check_up(&n, "several lifetimes on");
    h_free(&n);
}

/* ---- delete ------------------------------------------------------------------------------- */

static void delete_from(int side)
{
    h_net n;
    up_with(&n, NULL, NULL, 0);
    v1t_check_up(&n, "setup");
    ivpn_conn *c = v1t_conn(&n, side);
    ipsecvpn_engine *e = n.side[side].e;
    unsigned info_before = v1t.count[side][K_INFO];
    ivpn_v1_child_delete(e, c, ivpn_child_current(c));
    cr_assert_eq(v1t.count[side][K_INFO], info_before + 1, "one Delete sent");
    h_pump(&n);
    for (int s = 0; s < 2; s++) {
        cr_assert_null(ivpn_child_first(v1t_conn(&n, s)), "side %c still has a pair", 'A' + s);
        cr_assert(h_has_event(&n.side[s], IPSECVPN_EVENT_CHILD_DOWN));
        cr_assert_eq(h_status(&n.side[s], NULL), IPSECVPN_STATUS_DOWN, "side %c", 'A' + s);
    }
    /* the ISAKMP SA stays (RFC 2409 keeps the phases apart; strongSwan does the same) */
    for (int s = 0; s < 2; s++) {
        cr_assert_not(h_has_event(&n.side[s], IPSECVPN_EVENT_IKE_DOWN), "side %c", 'A' + s);
        cr_assert_eq(v1t_sa(&n, s)->state, IVPN_V1_P1_ESTABLISHED);
    }
    int rc = 0;
    v1t_ping(&n, 0, 9, &rc);
    cr_assert_neq(rc, IPSECVPN_OK, "no tunnel left");
    /* ... and carries the next quick mode */
    cr_assert_eq(ivpn_v1_quick_start(n.side[0].e, v1t_conn(&n, 0), 0, n.now), IPSECVPN_OK);
    h_pump(&n);
    v1t_check_up(&n, "new quick mode over the same ISAKMP SA");
    v1t_ping_both(&n);
    h_free(&n);
}

Test(v1_phase2, delete_from_initiator, .timeout = 30) { delete_from(0); }
Test(v1_phase2, delete_from_responder, .timeout = 30) { delete_from(1); }

/* ---- DPD ---------------------------------------------------------------------------------- */

/* DPD on both sides (interval 10 s, timeout 30 s); A with `action`, B with `b_action`. */
static void dpd_up2(h_net *n, const char *action, const char *b_enabled, const char *b_action)
{
    const char *f[] = { "dpd.enabled", "dpd.interval", "dpd.timeout", "dpd.action" };
    const char *v[] = { "on", "10", "30", action };
    have_qm1 = have_qm3 = false;
    v1t_init(n, "main", f, v, 4);
    h_set(n, 1, "dpd.enabled", b_enabled);
    h_set(n, 1, "dpd.action", b_action);
    n->filter = filter_keep;
    v1t_up(n);
    v1t_check_up(n, "dpd setup");
    cr_assert(v1t_sa(n, 0)->peer_dpd, "the peer announced RFC 3706");
}

static void dpd_up(h_net *n, const char *action) { dpd_up2(n, action, "on", action); }

/* A live peer answers every R-U-THERE with an ACK of the same number. */
Test(v1_phase2, r_u_there_is_acknowledged, .timeout = 30)
{
    h_net n;
    dpd_up(&n, "hold");
    uint64_t t0 = n.now;
    h_run_until(&n, t0 + 200000);
    ivpn_v1_sa *a = v1t_sa(&n, 0), *b = v1t_sa(&n, 1);
    cr_assert_gt(v1t.count[0][K_INFO] + v1t.count[1][K_INFO], 10, "R-U-THERE / ACK traffic");
    cr_assert(a->dpd_peer_seq_set || b->dpd_peer_seq_set, "someone asked");
    /* the last question each side asked is the last one the other heard */
    if (b->dpd_peer_seq_set)
        cr_assert_eq(b->dpd_peer_seq, a->dpd_seq);
    if (a->dpd_peer_seq_set)
        cr_assert_eq(a->dpd_peer_seq, b->dpd_seq);
    cr_assert_eq(a->dpd_deadline, 0, "answered");
    cr_assert_not(h_has_event(&n.side[0], IPSECVPN_EVENT_PEER_DEAD));
    cr_assert_not(h_has_event(&n.side[1], IPSECVPN_EVENT_PEER_DEAD));
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    h_free(&n);
}

/* ESP from the peer counts as life: no question asked while traffic flows. */
Test(v1_phase2, traffic_keeps_dpd_quiet, .timeout = 30)
{
    h_net n;
    dpd_up(&n, "hold");
    unsigned info0 = v1t.count[0][K_INFO];
    ping_state p = { .next = n.now };
    v1t_run(&n, n.now + 60000, 1000, ping_tick, &p);
    cr_assert_eq(p.ok, p.sent);
    cr_assert_eq(v1t.count[0][K_INFO], info0, "no R-U-THERE while ESP arrives");
    h_free(&n);
}

/* A silent peer is dead within interval + timeout; the action decides what follows. */
static uint64_t dead_at;
static bool watch_dead(h_net *n, void *arg)
{
    (void)arg;
    if (!dead_at && h_has_event(&n->side[0], IPSECVPN_EVENT_PEER_DEAD))
        dead_at = n->now;
    return dead_at != 0;
}

static void silent_peer(const char *action)
{
    h_net n;
    dpd_up2(&n, action, "on", "hold"); /* B only forgets A */
    n.cut = true; /* B hears nothing and says nothing */
    uint64_t t0 = n.now;
    dead_at = 0;
    v1t_run(&n, t0 + 120000, 500, watch_dead, NULL);
    cr_assert_neq(dead_at, 0, "peer declared dead");
    cr_assert_leq(dead_at - t0, 10000 + 30000 + 1000, "dead after %llu ms",
                  (unsigned long long)(dead_at - t0));
    cr_assert_geq(dead_at - t0, 30000, "not before the timeout");
    size_t i = v1t_event_index(&n.side[0], IPSECVPN_EVENT_PEER_DEAD);
    cr_assert_eq(n.side[0].reasons[i], IPSECVPN_ERR_IKE_PEER_DEAD);
    cr_assert_null(ivpn_child_first(v1t_conn(&n, 0)), "tunnel deleted");
    ivpn_conn *c = v1t_conn(&n, 0);
    if (strcmp(action, "restart") == 0) {
        /* negotiating again at once: a new phase 1 is under way */
        ipsecvpn_engine_handle_expiry(n.side[0].e, n.now);
        c = v1t_conn(&n, 0);
        cr_assert(c->v1 && c->v1->sa, "restart began a new phase 1");
        cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_BUILD);
        n.cut = false;
        h_run_until(&n, n.now + 60000);
        v1t_check_up(&n, "restarted");
    } else {
        cr_assert(!c->v1 || (!c->v1->sa && !c->v1->sa_next), "%s: stays down", action);
        int r = 0;
        cr_assert_eq(h_status(&n.side[0], &r), IPSECVPN_STATUS_DOWN);
        cr_assert_eq(r, IPSECVPN_ERR_IKE_PEER_DEAD);
    }
    h_free(&n);
}

Test(v1_phase2, dpd_silent_peer_hold, .timeout = 60) { silent_peer("hold"); }
Test(v1_phase2, dpd_silent_peer_clear, .timeout = 60) { silent_peer("clear"); }
Test(v1_phase2, dpd_silent_peer_restart, .timeout = 60) { silent_peer("restart"); }
Test(v1_phase2, dpd_silent_peer_restart_by_peer, .timeout = 60) { silent_peer("restart-by-peer"); }

/* Our R-U-THERE on the wire: notify 36136, protocol ISAKMP, SPI = the cookies, 4-byte
 * sequence number counting up by one. */
static uint32_t seqs[8];
static size_t n_seqs;
static bool grab_dpd(h_net *n, const h_dgram *d, bool *dup)
{
    (void)dup;
    if (v1t_record(d) != K_INFO || d->to != 1)
        return true;
    ivpn_v1_sa *sa = v1t_sa(n, 0);
    int o = v1t_isakmp_off(d);
    const uint8_t *m = d->data + o;
    ivpn_isakmp_header h;
    cr_assert_eq(ivpn_isakmp_header_decode(NULL, m, d->len - (size_t)o, &h), IPSECVPN_OK);
    uint8_t iv[IVPN_V1_BLOCK_MAX], plain[512];
    size_t len = h.length - IVPN_ISAKMP_HEADER_LEN;
    cr_assert_leq(len, sizeof(plain));
    cr_assert_eq(ivpn_v1_p2_iv(sa, h.message_id, iv), IPSECVPN_OK);
    memcpy(plain, m + IVPN_ISAKMP_HEADER_LEN, len);
    cr_assert_eq(ivpn_v1_decrypt(NULL, sa->encr, sa->encr_bits, sa->enc_key, sa->enc_key_len, iv,
                                 plain, len),
                 IPSECVPN_OK);
    ivpn_isakmp_payload_list pl;
    cr_assert_eq(ivpn_isakmp_chain_walk(NULL, h.next_payload, plain, len, true, &pl), IPSECVPN_OK);
    cr_assert_eq(pl.count, 2);
    cr_assert_eq(pl.items[0].type, IVPN_ISAKMP_PL_HASH);
    ivpn_isakmp_notify nt;
    cr_assert_eq(ivpn_isakmp_notify_decode(NULL, pl.items[1].body, &nt), IPSECVPN_OK);
    cr_assert_eq(nt.type, IVPN_ISAKMP_N_DPD_R_U_THERE);
    cr_assert_eq(nt.protocol, IVPN_ISAKMP_PROTO_ISAKMP);
    cr_assert_eq(nt.spi_size, 16);
    cr_assert_eq(memcmp(nt.spi, sa->cky_i, 8), 0);
    cr_assert_eq(memcmp(nt.spi + 8, sa->cky_r, 8), 0);
    cr_assert_eq(nt.data.len, 4);
    if (n_seqs < 8)
        seqs[n_seqs++] = v1t_be32(nt.data.p);
    return false; /* B never hears it */
}

Test(v1_phase2, r_u_there_format_and_sequence, .timeout = 60)
{
    h_net n;
    dpd_up2(&n, "hold", "off", "hold"); /* only A asks */
    n_seqs = 0;
    n.filter = grab_dpd;
    h_run_until(&n, n.now + 35000);
    cr_assert_geq(n_seqs, 2, "asked again every interval while silent");
    for (size_t i = 1; i < n_seqs; i++)
        cr_assert_eq(seqs[i], seqs[i - 1] + 1);
    h_free(&n);
}

/* Both ends reach the soft lifetime at the same moment: two quick modes cross. Both ends
 * keep the same one of the two new pairs (larger min(SPI in, SPI out)), drop the other, and
 * no packet is lost. */
Test(v1_phase2, simultaneous_rekey_converges, .timeout = 60)
{
    h_net n;
    const char *f[] = { "ipsec.lifetime" };
    const char *v[] = { "3600" };
    up_with(&n, f, v, 1);
    uint32_t a0 = v1t_cur(&n, 0)->spi_in;
    v1t_cur(&n, 0)->rekey_at = n.now + 1000;
    v1t_cur(&n, 1)->rekey_at = n.now + 1000;
    ping_state p = { .next = n.now };
    v1t_run(&n, n.now + 20000, 500, ping_tick, &p);
    cr_assert_eq(p.ok, p.sent, "no packet lost (%u of %u)", p.ok, p.sent);
    cr_assert_eq(v1t.count[0][K_QM1] >= 2 && v1t.count[1][K_QM1] >= 1, true,
                 "both started a quick mode; wire: %s", v1t_log_str());
    v1t_check_up(&n, "after the collision");
    cr_assert_neq(v1t_cur(&n, 0)->spi_in, a0);
    cr_assert_eq(ivpn_child_count(v1t_conn(&n, 0)), 1, "only the kept pair on A");
    cr_assert_eq(ivpn_child_count(v1t_conn(&n, 1)), 1, "only the kept pair on B");
    v1t_ping_both(&n);
    h_free(&n);
}

/* The peer rekeys again before the pair its first rekey replaced is deleted (charon with a
 * short rekey_time does): not a collision, each new pair replaces the one before. */
Test(v1_phase2, peer_rekeys_twice_in_a_row, .timeout = 30)
{
    h_net n;
    up_with(&n, NULL, NULL, 0);
    uint32_t b0 = v1t_cur(&n, 1)->spi_in;
    ping_state p = { .next = n.now };
    for (int round = 0; round < 6; round++) {
        ivpn_conn *cb = v1t_conn(&n, 1);
        uint32_t before_a = v1t_cur(&n, 0)->spi_in, before_b = v1t_cur(&n, 1)->spi_in;
        cr_assert_eq(ivpn_v1_quick_start(n.side[1].e, cb, before_b, n.now), IPSECVPN_OK);
        v1t_run(&n, n.now + 1500, 500, ping_tick, &p);
        v1t_check_up(&n, "rekey round");
        cr_assert_neq(v1t_cur(&n, 0)->spi_in, before_a, "round %d: A moved to the new pair", round);
        cr_assert_neq(v1t_cur(&n, 1)->spi_in, before_b, "round %d: B moved to the new pair", round);
    }
    cr_assert_eq(p.ok, p.sent, "no packet lost (%u of %u)", p.ok, p.sent);
    cr_assert_neq(v1t_cur(&n, 1)->spi_in, b0);
    v1t_run(&n, n.now + 10000, 500, ping_tick, &p);
    cr_assert_eq(ivpn_child_count(v1t_conn(&n, 0)), 1, "replaced pairs deleted");
    cr_assert_eq(ivpn_child_count(v1t_conn(&n, 1)), 1);
    cr_assert_eq(p.ok, p.sent);
    h_free(&n);
}
