/*
 * Round trips through an outbound SA and its inbound twin for every algorithm suite of the
 * seeds (5 ciphers x 5 integrity algorithms) and the AEADs, in tunnel mode (IPv4 and IPv6
 * inner and outer, all four pairings) and transport mode, with and without ESN and UDP
 * encapsulation, as ESP alone and as whole IP datagrams.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include "test_esp_util.h"

#define BUF 2048
#define OFF 128

static const size_t sizes[] = {48, 61, 64, 100, 512, 1400};

typedef struct combo {
    const esp_suite *s;
    int mode, outer, inner, esn, encap;
    uint32_t flags;
    size_t size;
} combo;

static char *describe(const combo *c, char *buf, size_t n)
{
    snprintf(buf, n, "%s %s outer=v%d inner=v%d esn=%d encap=%d full=%u size=%zu", c->s->name,
             c->mode ? "transport" : "tunnel", c->outer, c->inner, c->esn, c->encap,
             c->flags, c->size);
    return buf;
}

/* Checks the outer headers of a FULL-form packet. */
static void check_outer(const combo *c, const ipsecvpn_esp_sa_params *p, const uint8_t *pkt,
                        size_t len, const char *what)
{
    size_t hl = c->outer == 4 ? 20 : 40;
    uint8_t proto = c->encap ? 17 : 50;

    if (c->outer == 4) {
        cr_assert_eq(pkt[0], 0x45, "%s", what);
        cr_assert_eq((size_t)(pkt[2] << 8 | pkt[3]), len, "%s: IPv4 total length", what);
        cr_assert_eq(pkt[9], proto, "%s", what);
        cr_assert_eq(esp_test_csum(pkt, 20), 0, "%s: IPv4 header checksum", what);
        cr_assert(memcmp(pkt + 12, p->local_addr.bytes, 4) == 0, "%s: source", what);
        cr_assert(memcmp(pkt + 16, p->remote_addr.bytes, 4) == 0, "%s: destination", what);
    } else {
        cr_assert_eq(pkt[0] >> 4, 6, "%s", what);
        cr_assert_eq((size_t)(pkt[4] << 8 | pkt[5]), len - 40, "%s: payload length", what);
        cr_assert_eq(pkt[6], proto, "%s", what);
        cr_assert(memcmp(pkt + 8, p->local_addr.bytes, 16) == 0, "%s: source", what);
        cr_assert(memcmp(pkt + 24, p->remote_addr.bytes, 16) == 0, "%s: destination", what);
    }
    if (c->encap) {
        cr_assert_eq(pkt[hl] << 8 | pkt[hl + 1], p->local_port, "%s: UDP source port", what);
        cr_assert_eq(pkt[hl + 2] << 8 | pkt[hl + 3], p->remote_port, "%s: UDP dest port", what);
        cr_assert_eq((size_t)(pkt[hl + 4] << 8 | pkt[hl + 5]), len - hl, "%s: UDP length", what);
        if (c->outer == 6) /* RFC 8200 §8.1: a UDP checksum is mandatory over IPv6 */
            cr_assert_eq(ivpn_udp_checksum(pkt + hl, len - hl, pkt + 8, pkt + 24, 16), 0,
                         "%s: UDP checksum", what);
        else
            cr_assert_eq(pkt[hl + 6] << 8 | pkt[hl + 7], 0, "%s: IPv4 UDP checksum 0", what);
        hl += 8;
    }
    cr_assert_eq(ivpn_get32(pkt + hl), p->spi, "%s: SPI", what);
}

static void roundtrip(ipsecvpn_ctx *ctx, const combo *c)
{
    char what[160];
    ipsecvpn_esp_sa_params p;
    ipsecvpn_esp_sa *out, *in;
    ipsecvpn_ip_addr isrc, idst;
    uint8_t buf[BUF], orig[BUF];
    size_t o_off, o_len, i_off, i_len, head, tail;
    uint8_t nh = 0;
    int rc;

    describe(c, what, sizeof(what));
    esp_test_params(&p, c->s, c->mode, c->outer, c->esn, c->encap);
    cr_assert_eq(esp_test_pair(ctx, &p, &out, &in), IPSECVPN_OK, "%s: SA creation", what);

    if (c->mode == IPSECVPN_ESP_MODE_TUNNEL) {
        esp_test_addr(&isrc, c->inner, 10);
        esp_test_addr(&idst, c->inner, 20);
    } else {
        isrc = p.local_addr;
        idst = p.remote_addr;
    }
    esp_test_udp_packet(buf + OFF, c->size, &isrc, &idst, 1000 + (uint16_t)c->size, 53);
    memcpy(orig, buf + OFF, c->size);

    cr_assert_eq(ipsecvpn_esp_sa_overhead(out, c->flags, &head, &tail), IPSECVPN_OK);
    cr_assert_leq(head, (size_t)IPSECVPN_ESP_HEADROOM, "%s", what);
    cr_assert_leq(tail, (size_t)IPSECVPN_ESP_TAILROOM, "%s", what);
    rc = ipsecvpn_esp_encrypt(out, buf, OFF + c->size + tail, OFF, c->size, 1, c->flags, &o_off,
                              &o_len);
    cr_assert_eq(rc, IPSECVPN_OK, "%s: encrypt %s", what, ipsecvpn_strerror(rc));
    cr_assert_geq(o_off, OFF - head, "%s: headroom used beyond the stated one", what);
    cr_assert_leq(o_off + o_len, OFF + c->size + tail, "%s: tailroom", what);
    if (c->flags & IPSECVPN_ESP_FLAG_FULL)
        check_outer(c, &p, buf + o_off, o_len, what);
    else
        cr_assert_eq(ivpn_get32(buf + o_off), p.spi, "%s: SPI first", what);
    if (c->mode == IPSECVPN_ESP_MODE_TUNNEL)
        cr_assert(memmem(buf + o_off, o_len, orig + c->size - 16, 16) == NULL, "%s: plaintext visible", what);

    rc = ipsecvpn_esp_decrypt(in, buf + o_off, o_len, 2, c->flags, &i_off, &i_len, &nh);
    cr_assert_eq(rc, IPSECVPN_OK, "%s: decrypt %s", what, ipsecvpn_strerror(rc));
    if (c->mode == IPSECVPN_ESP_MODE_TUNNEL) {
        cr_assert_eq(nh, c->inner == 4 ? 4 : 41, "%s", what);
        cr_assert_eq(i_len, c->size, "%s: inner length", what);
        cr_assert(memcmp(buf + o_off + i_off, orig, c->size) == 0, "%s: inner bytes", what);
    } else if (c->flags & IPSECVPN_ESP_FLAG_FULL) {
        cr_assert_eq(nh, 17, "%s", what);
        cr_assert_eq(i_len, c->size, "%s: rebuilt length", what);
        cr_assert(memcmp(buf + o_off + i_off, orig, c->size) == 0, "%s: rebuilt packet", what);
    } else {
        size_t hl = c->outer == 4 ? 20 : 40;
        cr_assert_eq(nh, 17, "%s", what);
        cr_assert_eq(i_len, c->size - hl, "%s: payload length", what);
        cr_assert(memcmp(buf + o_off + i_off, orig + hl, c->size - hl) == 0, "%s: payload", what);
    }
    ipsecvpn_esp_stats so = esp_test_stats(out), si = esp_test_stats(in);
    cr_assert_eq(so.packets, 1, "%s", what);
    cr_assert_eq(si.packets, 1, "%s", what);
    cr_assert_eq(so.bytes, si.bytes, "%s: both sides count the same payload", what);
    cr_assert_eq(si.seq, 1, "%s", what);
    ipsecvpn_esp_sa_free(out);
    ipsecvpn_esp_sa_free(in);
}

static void suite_matrix(const esp_suite *s)
{
    ipsecvpn_ctx *ctx = esp_test_ctx();
    size_t k = 0;

    cr_assert_not_null(ctx);
    for (int mode = 0; mode <= 1; mode++)
        for (int outer = 4; outer <= 6; outer += 2)
            for (int inner = 4; inner <= 6; inner += 2)
                for (int esn = 0; esn <= 1; esn++)
                    for (int encap = 0; encap <= 1; encap++)
                        for (uint32_t full = 0; full <= 1; full++) {
                            if (mode == IPSECVPN_ESP_MODE_TRANSPORT && inner != outer)
                                continue;
                            combo c = {s, mode, outer, inner, esn, encap, full,
                                       sizes[k++ % (sizeof(sizes) / sizeof(sizes[0]))]};
                            roundtrip(ctx, &c);
                        }
    ipsecvpn_ctx_free(ctx);
}

#define SUITE_TEST(i) \
    Test(esp_roundtrip, suite_##i) { cr_assert_lt((size_t)i, ESP_SUITE_COUNT); suite_matrix(&esp_suites[i]); }
SUITE_TEST(0) SUITE_TEST(1) SUITE_TEST(2) SUITE_TEST(3) SUITE_TEST(4)
SUITE_TEST(5) SUITE_TEST(6) SUITE_TEST(7) SUITE_TEST(8) SUITE_TEST(9)
SUITE_TEST(10) SUITE_TEST(11) SUITE_TEST(12) SUITE_TEST(13) SUITE_TEST(14)
SUITE_TEST(15) SUITE_TEST(16) SUITE_TEST(17) SUITE_TEST(18) SUITE_TEST(19)
SUITE_TEST(20) SUITE_TEST(21) SUITE_TEST(22) SUITE_TEST(23) SUITE_TEST(24)
SUITE_TEST(25) SUITE_TEST(26) SUITE_TEST(27)

/* Many packets through one pair, every size from 40 to 300: padding for each alignment. */
Test(esp_roundtrip, every_length_and_sequence)
{
    ipsecvpn_ctx *ctx = esp_test_ctx();

    for (size_t si = 0; si < ESP_SUITE_COUNT; si += 3) {
        ipsecvpn_esp_sa_params p;
        ipsecvpn_esp_sa *out, *in;
        esp_test_params(&p, &esp_suites[si], IPSECVPN_ESP_MODE_TUNNEL, 4, 0, 1);
        cr_assert_eq(esp_test_pair(ctx, &p, &out, &in), IPSECVPN_OK);
        for (size_t len = 40; len <= 300; len++) {
            uint8_t buf[BUF], orig[BUF];
            size_t o, n, io, il;
            ipsecvpn_ip_addr a, b;
            esp_test_addr(&a, 4, 10);
            esp_test_addr(&b, 4, 20);
            esp_test_udp_packet(buf + OFF, len, &a, &b, 1, 2);
            memcpy(orig, buf + OFF, len);
            cr_assert_eq(ipsecvpn_esp_encrypt(out, buf, sizeof(buf), OFF, len, 0, 0, &o, &n), 0);
            cr_assert_eq((n - 8 - out->iv_len) % 4, 0);
            cr_assert_eq(ipsecvpn_esp_decrypt(in, buf + o, n, 0, 0, &io, &il, NULL), 0,
                         "%s len %zu", esp_suites[si].name, len);
            cr_assert_eq(il, len);
            cr_assert(memcmp(buf + o + io, orig, len) == 0);
        }
        cr_assert_eq(esp_test_stats(in).seq, 261);
        ipsecvpn_esp_sa_free(out);
        ipsecvpn_esp_sa_free(in);
    }
    ipsecvpn_ctx_free(ctx);
}
