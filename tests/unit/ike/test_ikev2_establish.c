/*
 * IKEv2 establishment between two engines in memory:
 *   A: HDR, SAi1, KEi, Ni, N(NATD_S), N(NATD_D)  -->  B
 *   A  <--  HDR, SAr1, KEr, Nr, N(NATD_S), N(NATD_D)  B
 *   A: HDR, SK {IDi, N(INITIAL_CONTACT), AUTH, SAi2, TSi, TSr}  -->  B
 *   A  <--  HDR, SK {IDr, AUTH, SAr2, TSi, TSr}  B
 * then ESP both ways through the engines' own SAs.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "wire/ikev2_bodies.h"
#include "wire/ikev2_rules.h"

static void suite(h_net *n, const char *encr, const char *integ, const char *dh, const char *natt)
{
    const char *f[] = { "ike.encryption", "ike.integrity", "ike.dh_group", "ipsec.encryption",
                        "ipsec.integrity", "nat_traversal" };
    const char *v[] = { encr, integ, dh, encr, integ, natt };
    h_init(n, f, v, 6);
}

/* A protects an ICMP echo, B reads it back: the same bytes come out. */
static void ping(h_net *n, int from, const char *src, const char *dst)
{
    h_side *a = &n->side[from], *b = &n->side[1 - from];
    uint8_t buf[2048], orig[128];
    size_t off = 128;
    size_t len = h_icmp4(buf, off, src, dst, 7);
    memcpy(orig, buf + off, len);
    ipsecvpn_endpoint l, r;
    size_t oo, ol;
    cr_assert_eq(ipsecvpn_engine_protect(a->e, buf, sizeof(buf), off, len, n->now, &l, &r, &oo,
                                         &ol),
                 IPSECVPN_OK);
    cr_assert_gt(ol, len, "ESP adds header, IV, padding and ICV");
    cr_assert_neq(memcmp(buf + oo + 8, orig, 16), 0, "payload is encrypted");
    ipsecvpn_read_result res;
    cr_assert_eq(ipsecvpn_engine_read(b->e, &r, &l, buf + oo, ol, n->now, &res), IPSECVPN_OK);
    cr_assert_eq(res.kind, IPSECVPN_READ_PLAINTEXT);
    cr_assert_eq(res.conn_id, b->id);
    cr_assert_eq(res.len, len);
    cr_assert_eq(memcmp(buf + oo + res.offset, orig, len), 0);
}

static void check_established(h_net *n, bool encap)
{
    h_side *a = &n->side[0], *b = &n->side[1];
    int ra, rb;
    cr_assert_eq(h_status(a, &ra), IPSECVPN_STATUS_ACTIVE, "A status reason %d", ra);
    cr_assert_eq(h_status(b, &rb), IPSECVPN_STATUS_ACTIVE, "B status reason %d", rb);
    cr_assert(h_has_event(a, IPSECVPN_EVENT_IKE_UP) && h_has_event(b, IPSECVPN_EVENT_IKE_UP));
    cr_assert_eq(a->child_ups, 1);
    cr_assert_eq(b->child_ups, 1);
    /* the initiator's outbound SA is the responder's inbound one, keys included */
    cr_assert_eq(a->child.spi_out, b->child.spi_in);
    cr_assert_eq(a->child.spi_in, b->child.spi_out);
    cr_assert_eq(a->child.ek_len, b->child.ek_len);
    cr_assert_eq(memcmp(a->child.ek_out, b->child.ek_in, a->child.ek_len), 0);
    cr_assert_eq(memcmp(a->child.ek_in, b->child.ek_out, a->child.ek_len), 0);
    cr_assert_eq(memcmp(a->child.ak_out, b->child.ak_in, a->child.ak_len), 0);
    cr_assert_eq(memcmp(a->child.ak_in, b->child.ak_out, a->child.ak_len), 0);
    cr_assert_neq(memcmp(a->child.ek_in, a->child.ek_out, a->child.ek_len), 0,
                  "each direction has its own key");
    cr_assert_eq(a->child.encap, encap);
    cr_assert_eq(b->child.encap, encap);
    if (encap) {
        cr_assert_eq(a->child.local.port, IPSECVPN_NATT_PORT);
        cr_assert_eq(a->child.remote.port, IPSECVPN_NATT_PORT);
    }
}

static void establish(const char *encr, const char *integ, const char *dh, const char *natt)
{
    h_net n;
    suite(&n, encr, integ, dh, natt);
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_BUILD);
    h_pump(&n);
    check_established(&n, strcmp(natt, "on") == 0);
    ping(&n, 0, "10.1.0.1", "10.2.0.1");
    ping(&n, 1, "10.2.0.1", "10.1.0.1");
    h_free(&n);
}

Test(ikev2_establish, aes256_sha256_modp2048_with_nat_t, .timeout = 30)
{
    establish("aes256", "sha256", "group14", "on");
}

Test(ikev2_establish, aes128_sha1_modp1024_plain_esp, .timeout = 30)
{
    establish("aes", "sha1", "group2", "off");
}

Test(ikev2_establish, aes192_sha512_modp1536, .timeout = 30)
{
    establish("aes192", "sha512", "group5", "on");
}

Test(ikev2_establish, 3des_md5_modp1024, .timeout = 30)
{
    establish("3des", "md5", "group2", "off");
}

/* With NAT-T forced, everything after IKE_SA_INIT travels on 4500 behind the non-ESP marker. */
static bool expect_marker(h_net *n, const h_dgram *d, bool *dup)
{
    (void)dup;
    n->filter_state++;
    if (n->filter_state <= 2) {
        cr_assert_eq(d->dst.port, IPSECVPN_IKE_PORT);
        uint32_t ike_len = (uint32_t)d->data[24] << 24 | (uint32_t)d->data[25] << 16 |
                           (uint32_t)d->data[26] << 8 | d->data[27];
        cr_assert_eq(ike_len, d->len, "IKE_SA_INIT on port 500 has no marker");
    } else {
        static const uint8_t zero[4] = { 0 };
        cr_assert_eq(d->src.port, IPSECVPN_NATT_PORT);
        cr_assert_eq(d->dst.port, IPSECVPN_NATT_PORT);
        cr_assert_eq(memcmp(d->data, zero, 4), 0, "non-ESP marker");
    }
    return true;
}

Test(ikev2_establish, floats_to_4500_with_marker, .timeout = 30)
{
    h_net n;
    suite(&n, "aes256", "sha256", "group14", "on");
    n.filter = expect_marker;
    h_start(&n);
    ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now);
    h_pump(&n);
    cr_assert_eq(n.filter_state, 4);
    check_established(&n, true);
    h_free(&n);
}

/* Our IKE_SA_INIT request, fed to the wire decoder, says what the policy says. */
Test(ikev2_establish, init_request_decodes_as_the_policy_says, .timeout = 30)
{
    h_net n;
    suite(&n, "aes256", "sha256", "group14", "off");
    h_start(&n);
    n.cut = true;
    ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now);
    const h_dgram *d = &n.last[0];
    ivpn_ikev2_header h;
    ivpn_ikev2_payload_list outer;
    static ivpn_ikev2_bodies b;
    cr_assert_eq(ivpn_ikev2_message_parse(NULL, d->data, d->len, &h, &outer), IPSECVPN_OK);
    cr_assert_eq(h.exchange, IVPN_IKEV2_EXCH_IKE_SA_INIT);
    cr_assert_eq(h.flags, IVPN_IKEV2_FLAG_INITIATOR);
    cr_assert_eq(h.message_id, 0);
    cr_assert_eq(ivpn_ikev2_check_rules(NULL, h.exchange, false, &outer, NULL), IPSECVPN_OK);
    cr_assert_eq(ivpn_ikev2_decode_bodies(NULL, &outer, false, &b), IPSECVPN_OK);
    cr_assert_eq(b.sa.n_proposals, 1);
    cr_assert_eq(b.sa.proposals[0].protocol, IVPN_IKEV2_PROTO_IKE);
    cr_assert_eq(b.sa.n_transforms, 4);
    cr_assert_eq(b.sa.transforms[0].id, IPSECVPN_ENCR_AES_CBC);
    cr_assert_eq(b.sa.transforms[0].key_len, 256);
    cr_assert_eq(b.sa.transforms[1].id, IPSECVPN_PRF_HMAC_SHA2_256);
    cr_assert_eq(b.sa.transforms[2].id, IPSECVPN_INTEG_HMAC_SHA2_256_128);
    cr_assert_eq(b.sa.transforms[3].id, IPSECVPN_DH_MODP2048);
    cr_assert_eq(b.ke.dh_group, IPSECVPN_DH_MODP2048);
    cr_assert_eq(b.ke.data.len, 256);
    cr_assert_eq(b.nonce.data.len, 32);
    cr_assert_not_null(ivpn_ikev2_bodies_notify(&b, IVPN_IKEV2_N_NAT_DETECTION_SOURCE_IP));
    cr_assert_not_null(ivpn_ikev2_bodies_notify(&b, IVPN_IKEV2_N_NAT_DETECTION_DESTINATION_IP));
    const char *out = getenv("IKE_DUMP_INIT");
    if (out) {
        FILE *fp = fopen(out, "wb");
        fwrite(d->data, 1, d->len, fp);
        fclose(fp);
    }
    h_free(&n);
}

/* Protected flows: the responder narrows to the intersection of both configurations. */
Test(ikev2_establish, protected_flows_narrowed, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    h_flows(&n, 0, "10.1.0.0/16", "10.2.0.0/16");
    h_flows(&n, 1, "10.2.3.0/24", "10.1.0.0/16");
    h_start(&n);
    ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now);
    h_pump(&n);
    check_established(&n, false);
    ping(&n, 0, "10.1.9.9", "10.2.3.4");
    /* outside the narrowed selectors: no tunnel covers it */
    uint8_t buf[512];
    size_t len = h_icmp4(buf, 128, "10.1.9.9", "10.2.4.4", 1);
    ipsecvpn_endpoint l, r;
    size_t oo, ol;
    cr_assert_eq(ipsecvpn_engine_protect(n.side[0].e, buf, sizeof(buf), 128, len, n.now, &l, &r,
                                         &oo, &ol),
                 IPSECVPN_ERR_STATE, "configured but not negotiated: not up");
    len = h_icmp4(buf, 128, "10.9.9.9", "10.2.3.4", 1);
    cr_assert_eq(ipsecvpn_engine_protect(n.side[0].e, buf, sizeof(buf), 128, len, n.now, &l, &r,
                                         &oo, &ol),
                 IPSECVPN_ERR_ESP_NO_POLICY);
    h_free(&n);
}

/* Traffic for a configured tunnel that is down starts it (ACQUIRE); effective_immediately
 * starts it at once. */
Test(ikev2_establish, acquire_on_traffic, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    h_set(&n, 1, "initiator", "response-only");
    h_start(&n);
    uint8_t buf[512];
    size_t len = h_icmp4(buf, 128, "10.2.0.1", "10.1.0.1", 1);
    ipsecvpn_endpoint l, r;
    size_t oo, ol;
    cr_assert_eq(ipsecvpn_engine_protect(n.side[1].e, buf, sizeof(buf), 128, len, n.now, &l, &r,
                                         &oo, &ol),
                 IPSECVPN_ERR_STATE);
    cr_assert(!h_has_event(&n.side[1], IPSECVPN_EVENT_ACQUIRE), "response-only never initiates");
    cr_assert_eq(n.count, 0);
    len = h_icmp4(buf, 128, "10.1.0.1", "10.2.0.1", 1);
    cr_assert_eq(ipsecvpn_engine_protect(n.side[0].e, buf, sizeof(buf), 128, len, n.now, &l, &r,
                                         &oo, &ol),
                 IPSECVPN_ERR_STATE);
    cr_assert(h_has_event(&n.side[0], IPSECVPN_EVENT_ACQUIRE));
    h_pump(&n);
    check_established(&n, false);
    ping(&n, 0, "10.1.0.1", "10.2.0.1");
    h_free(&n);
}

Test(ikev2_establish, effective_immediately, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    h_set(&n, 0, "effective_immediately", "yes");
    h_start(&n);
    h_pump(&n);
    check_established(&n, false);
    h_free(&n);
}

/* A real strongSwan 5.9.8 IKE_SA_INIT request (aes128-sha256-modp2048 first, then
 * aes256gcm16-prfsha384-curve25519) gets SAr1 with proposal 1, KEr and Nr back. */
static bool keep_response(h_net *n, const h_dgram *d, bool *dup)
{
    (void)dup;
    n->last[1] = *d;
    return false;
}

Test(ikev2_establish, answers_strongswan_ike_sa_init, .timeout = 30)
{
    h_net n;
    const char *f[] = { "ike.encryption", "ike.integrity", "ike.dh_group" };
    const char *v[] = { "aes", "sha256", "group14" };
    h_init(&n, f, v, 3);
    n.filter = keep_response;
    h_start(&n);
    FILE *fp = fopen(IKE_CORPUS_DIR "/ikev2_message/00_ike_sa_init_req.bin", "rb");
    cr_assert_not_null(fp);
    uint8_t req[2048];
    size_t len = fread(req, 1, sizeof(req), fp);
    fclose(fp);
    ipsecvpn_read_result res;
    cr_assert_eq(ipsecvpn_engine_read(n.side[1].e, &n.side[1].ep, &n.side[0].ep, req, len, n.now,
                                      &res), IPSECVPN_OK);
    cr_assert_eq(res.conn_id, n.side[1].id);
    cr_assert_eq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_BUILD);
    const h_dgram *d = &n.last[1];
    ivpn_ikev2_header h;
    ivpn_ikev2_payload_list outer;
    static ivpn_ikev2_bodies b;
    cr_assert_eq(ivpn_ikev2_message_parse(NULL, d->data, d->len, &h, &outer), IPSECVPN_OK);
    cr_assert_eq(h.flags, IVPN_IKEV2_FLAG_RESPONSE);
    cr_assert_eq(memcmp(h.spi_i, req, 8), 0);
    cr_assert_eq(ivpn_ikev2_check_rules(NULL, h.exchange, true, &outer, NULL), IPSECVPN_OK);
    cr_assert_eq(ivpn_ikev2_decode_bodies(NULL, &outer, true, &b), IPSECVPN_OK);
    cr_assert_eq(b.sa.n_proposals, 1);
    cr_assert_eq(b.sa.proposals[0].num, 1);
    cr_assert_eq(b.sa.transforms[0].key_len, 128);
    cr_assert_eq(b.ke.dh_group, IPSECVPN_DH_MODP2048);
    h_free(&n);
}

/* Both sides start at once (effective immediately): the IKE_SA_INIT requests cross, the
 * side with the smaller SPIi yields, and exactly one IKE SA and one Child SA pair result. */
Test(ikev2_establish, simultaneous_initiation_yields_one_sa, .timeout = 30)
{
    h_net n;
    const char *f[] = { "effective_immediately" };
    const char *v[] = { "yes" };
    h_init(&n, f, v, 1);
    h_start(&n);
    h_run_until(&n, n.now + 10000);
    check_established(&n, false);
    cr_assert_eq(n.side[0].child_ups, 1);
    cr_assert_eq(n.side[1].child_ups, 1);
    ping(&n, 0, "10.1.0.1", "10.2.0.1");
    h_free(&n);
}

/* IPv6 outer addresses and inner traffic selectors ::/0. */
Test(ikev2_establish, ipv6_gateways, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    for (int i = 0; i < 2; i++) {
        const char *f[] = { "local_address", "peer_address" };
        const char *v[] = { i ? "2001:db8::2" : "2001:db8::1", i ? "2001:db8::1" : "2001:db8::2" };
        cr_assert_eq(ipsecvpn_connection_update(n.side[i].conn, f, v, 2, NULL), IPSECVPN_OK);
        n.side[i].ep.addr.family = IPSECVPN_IPV6;
        memset(n.side[i].ep.addr.bytes, 0, 16);
        n.side[i].ep.addr.bytes[0] = 0x20;
        n.side[i].ep.addr.bytes[1] = 0x01;
        n.side[i].ep.addr.bytes[2] = 0x0d;
        n.side[i].ep.addr.bytes[3] = 0xb8;
        n.side[i].ep.addr.bytes[15] = (uint8_t)(i + 1);
    }
    h_start(&n);
    ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now);
    h_pump(&n);
    check_established(&n, false);
    h_free(&n);
}

/* strongSwan's IKE_SA_INIT response (to its own peer, SPIi patched to ours) is accepted:
 * keys are derived, its NAT-D hashes (for other addresses) mean a NAT, so the initiator
 * floats and sends IKE_AUTH to port 4500 behind the non-ESP marker. */
Test(ikev2_establish, accepts_strongswan_ike_sa_init_response, .timeout = 30)
{
    h_net n;
    const char *f[] = { "ike.encryption", "ike.integrity", "ike.dh_group" };
    const char *v[] = { "aes", "sha256", "group14" };
    h_init(&n, f, v, 3);
    h_start(&n);
    n.cut = true;
    ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now);
    uint8_t spi[8];
    memcpy(spi, n.last[0].data, 8);
    FILE *fp = fopen(IKE_CORPUS_DIR "/ikev2_message/01_ike_sa_init_resp.bin", "rb");
    cr_assert_not_null(fp);
    uint8_t resp[2048];
    size_t len = fread(resp, 1, sizeof(resp), fp);
    fclose(fp);
    memcpy(resp, spi, 8);
    ipsecvpn_read_result res;
    uint64_t sent = n.side[0].sent;
    cr_assert_eq(ipsecvpn_engine_read(n.side[0].e, &n.side[0].ep, &n.side[1].ep, resp, len, n.now,
                                      &res), IPSECVPN_OK);
    cr_assert_eq(n.side[0].sent, sent + 1, "IKE_AUTH request sent");
    const h_dgram *d = &n.last[0];
    static const uint8_t zero[4] = { 0 };
    cr_assert_eq(d->dst.port, IPSECVPN_NATT_PORT);
    cr_assert_eq(memcmp(d->data, zero, 4), 0);
    cr_assert_eq(d->data[4 + 18], IVPN_IKEV2_EXCH_IKE_AUTH);
    cr_assert_eq(memcmp(d->data + 4, spi, 8), 0);
    cr_assert_eq(memcmp(d->data + 12, resp + 8, 8), 0, "the responder's SPI");
    h_free(&n);
}

/* A peer on another port than 500 (charon's `port` setting): every IKE message to it
 * carries the non-ESP marker, IKE_SA_INIT included; messages to port 500 do not. */
static bool marker_by_port(h_net *n, const h_dgram *d, bool *dup)
{
    (void)dup;
    static const uint8_t zero[4] = { 0 };
    bool marked = d->len >= 4 && memcmp(d->data, zero, 4) == 0;
    cr_assert_eq(marked, d->dst.port != IPSECVPN_IKE_PORT, "to port %u", d->dst.port);
    n->filter_state++;
    return true;
}

Test(ikev2_establish, peer_on_custom_port, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    n.side[1].ep.port = 5500;
    n.filter = marker_by_port;
    h_start(&n);
    ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now);
    h_pump(&n);
    cr_assert_eq(n.filter_state, 4);
    check_established(&n, false);
    h_free(&n);
}
