/* UDP encapsulation (RFC 3948): classification on port 4500, UDP header build/strip in place,
 * the IPv6 checksum against an independent reference and a value checked by hand. */
#include <criterion/criterion.h>
#include <string.h>

#include "esp/udp_encap.h"
#include "ipsecvpn/ipsecvpn.h"

/* ---- classification ---------------------------------------------------------------------- */

Test(udp_classify, keepalive_is_one_0xff_byte)
{
    uint8_t ka = 0xff;
    size_t off = 99;
    cr_assert_eq(ipsecvpn_udp_classify(&ka, 1, &off), IPSECVPN_UDP_KEEPALIVE);
    cr_assert_eq(off, 1);
    uint8_t other = 0x00;
    cr_assert_eq(ipsecvpn_udp_classify(&other, 1, NULL), IPSECVPN_ERR_ESP_NOT_ESP);
    other = 0xfe;
    cr_assert_eq(ipsecvpn_udp_classify(&other, 1, NULL), IPSECVPN_ERR_ESP_NOT_ESP);
}

Test(udp_classify, edge_lengths)
{
    uint8_t zero[64] = {0};
    uint8_t spi[64];
    memset(spi, 0, sizeof(spi));
    spi[0] = 0xc0; spi[1] = 0x01; spi[2] = 0xd0; spi[3] = 0x0d;
    size_t off = 77;

    cr_assert_eq(ipsecvpn_udp_classify(zero, 0, &off), IPSECVPN_ERR_ESP_SHORT);
    cr_assert_eq(ipsecvpn_udp_classify(NULL, 0, &off), IPSECVPN_ERR_ESP_SHORT);
    cr_assert_eq(ipsecvpn_udp_classify(NULL, 5, &off), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_udp_classify(spi, 3, &off), IPSECVPN_ERR_ESP_SHORT);
    cr_assert_eq(ipsecvpn_udp_classify(zero, 3, &off), IPSECVPN_ERR_ESP_SHORT);
    cr_assert_eq(ipsecvpn_udp_classify(zero, 4, &off), IPSECVPN_ERR_ESP_SHORT, "marker only");
    cr_assert_eq(ipsecvpn_udp_classify(spi, 4, &off), IPSECVPN_ERR_ESP_SHORT, "SPI only");
    cr_assert_eq(ipsecvpn_udp_classify(spi, 7, &off), IPSECVPN_ERR_ESP_SHORT);
    cr_assert_eq(ipsecvpn_udp_classify(spi, 8, &off), IPSECVPN_ERR_ESP_SHORT,
                 "SPI + sequence, nothing else");
    cr_assert_eq(ipsecvpn_udp_classify(zero, 8, &off), IPSECVPN_ERR_ESP_SHORT);
    cr_assert_eq(off, 77, "offset untouched on error");

    cr_assert_eq(ipsecvpn_udp_classify(spi, 9, &off), IPSECVPN_UDP_ESP);
    cr_assert_eq(off, 0);
    cr_assert_eq(ipsecvpn_udp_classify(zero, 4 + 27, &off), IPSECVPN_ERR_ESP_SHORT);
    cr_assert_eq(ipsecvpn_udp_classify(zero, 4 + 28, &off), IPSECVPN_UDP_IKE);
    cr_assert_eq(off, 4);
}

Test(udp_classify, spi_with_any_nonzero_byte_is_esp)
{
    for (int i = 0; i < 4; i++) {
        uint8_t b[16] = {0};
        b[i] = 1;
        cr_assert_eq(ipsecvpn_udp_classify(b, sizeof(b), NULL), IPSECVPN_UDP_ESP, "byte %d", i);
    }
}

Test(udp_classify, marker_added_then_classified_as_ike)
{
    uint8_t buf[64];
    memset(buf, 0xab, sizeof(buf));
    size_t off = 8, len = 28; /* an IKE header's worth */
    cr_assert_eq(ipsecvpn_udp_add_marker(buf, &off, &len), IPSECVPN_OK);
    cr_assert_eq(off, 4);
    cr_assert_eq(len, 32);
    size_t at = 0;
    cr_assert_eq(ipsecvpn_udp_classify(buf + off, len, &at), IPSECVPN_UDP_IKE);
    cr_assert_eq(at, 4);
    cr_assert_eq(buf[off + at], 0xab);

    off = 3;
    len = 28;
    cr_assert_eq(ipsecvpn_udp_add_marker(buf, &off, &len), IPSECVPN_ERR_ESP_ROOM);
    cr_assert_eq(off, 3);
    cr_assert_eq(ipsecvpn_udp_add_marker(NULL, &off, &len), IPSECVPN_ERR_INVALID_ARG);
}

Test(udp_classify, keepalive_builder)
{
    uint8_t b[4] = {0};
    size_t len = 0;
    cr_assert_eq(ipsecvpn_udp_keepalive(b, sizeof(b), &len), IPSECVPN_OK);
    cr_assert_eq(len, 1);
    cr_assert_eq(b[0], 0xff);
    cr_assert_eq(ipsecvpn_udp_classify(b, len, NULL), IPSECVPN_UDP_KEEPALIVE);
    cr_assert_eq(ipsecvpn_udp_keepalive(b, 0, &len), IPSECVPN_ERR_BUFFER_TOO_SMALL);
    cr_assert_eq(ipsecvpn_udp_keepalive(NULL, 4, &len), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_udp_keepalive(b, 4, NULL), IPSECVPN_ERR_INVALID_ARG);
}

/* ---- reference checksum: a plain restatement of RFC 8200 §8.1 / RFC 1071 ---------------- */

/* Builds the pseudo-header + datagram in one buffer, sums 16-bit words in a 64-bit
 * accumulator, folds at the end. Deliberately shares no code with the library. */
static uint16_t ref_udp6_checksum(const uint8_t src[16], const uint8_t dst[16],
                                  const uint8_t *udp, size_t udp_len)
{
    static uint8_t all[40 + 70000];
    memcpy(all, src, 16);
    memcpy(all + 16, dst, 16);
    all[32] = (uint8_t)(udp_len >> 24);
    all[33] = (uint8_t)(udp_len >> 16);
    all[34] = (uint8_t)(udp_len >> 8);
    all[35] = (uint8_t)udp_len;
    all[36] = all[37] = all[38] = 0;
    all[39] = 17;
    memcpy(all + 40, udp, udp_len);
    size_t n = 40 + udp_len;
    if (n % 2)
        all[n++] = 0;
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i += 2)
        sum += (uint64_t)all[i] << 8 | all[i + 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    uint16_t c = (uint16_t)~sum;
    return c == 0 ? 0xffff : c;
}

static const uint8_t LO1[16] = {[15] = 1}; /* ::1 */
static const uint8_t LO2[16] = {[15] = 2}; /* ::2 */

Test(udp_encap, ipv6_checksum_hand_checked)
{
    /* ::1 -> ::2, ports 4500 -> 4500, payload 00 00 00 01 (12-byte datagram).
     * Sum of 16-bit words: src 0x0001 + dst 0x0002 + length 0x000c + next header 0x0011
     * + sport 0x1194 + dport 0x1194 + UDP length 0x000c + checksum 0 + 0x0000 + 0x0001
     * = 0x2355; one's complement: 0xffff - 0x2355 = 0xdcaa. */
    uint8_t buf[32] = {0};
    buf[8 + 3] = 1;
    size_t off = 8, len = 4;
    cr_assert_eq(ipsecvpn_udp_encap(buf, &off, &len, 4500, 4500, LO1, LO2, 16), IPSECVPN_OK);
    cr_assert_eq(off, 0);
    cr_assert_eq(len, 12);
    const uint8_t want[8] = {0x11, 0x94, 0x11, 0x94, 0x00, 0x0c, 0xdc, 0xaa};
    cr_assert_arr_eq(buf, want, 8);
}

Test(udp_encap, ipv6_checksum_zero_is_sent_as_ffff)
{
    /* Same datagram with payload word 0xdcab: the words now sum to 0xffff, whose complement
     * is 0, which UDP must send as 0xffff. */
    uint8_t buf[32] = {0};
    buf[8 + 2] = 0xdc;
    buf[8 + 3] = 0xab;
    size_t off = 8, len = 4;
    cr_assert_eq(ipsecvpn_udp_encap(buf, &off, &len, 4500, 4500, LO1, LO2, 16), IPSECVPN_OK);
    cr_assert_eq(buf[6], 0xff);
    cr_assert_eq(buf[7], 0xff);
    size_t o2 = off, l2 = len;
    cr_assert_eq(ipsecvpn_udp_decap(buf, &o2, &l2, NULL, NULL, LO1, LO2, 16), IPSECVPN_OK);
}

Test(udp_encap, ipv6_checksum_matches_reference_for_many_lengths)
{
    static uint8_t buf[8 + 1600];
    uint8_t src[16], dst[16];
    uint32_t x = 0x12345678; /* xorshift: deterministic content */
    for (size_t plen = 0; plen <= 1500; plen += (plen < 40 ? 1 : 37)) {
        for (size_t i = 0; i < 16; i++) {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            src[i] = (uint8_t)x;
            dst[i] = (uint8_t)(x >> 8);
        }
        for (size_t i = 0; i < plen; i++) {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            buf[8 + i] = (uint8_t)x;
        }
        size_t off = 8, len = plen;
        cr_assert_eq(ipsecvpn_udp_encap(buf, &off, &len, 4500, 61234, src, dst, 16), IPSECVPN_OK);
        uint16_t got = (uint16_t)(buf[6] << 8 | buf[7]);
        buf[6] = buf[7] = 0;
        uint16_t want = ref_udp6_checksum(src, dst, buf, len);
        cr_assert_eq(got, want, "payload %zu: got %04x want %04x", plen, got, want);
        buf[6] = (uint8_t)(got >> 8);
        buf[7] = (uint8_t)got;
        /* the internal verifier agrees: a correct datagram sums to 0 */
        cr_assert_eq(ivpn_udp_checksum(buf, len, src, dst, 16), 0);
    }
}

Test(udp_encap, ipv4_round_trip_zero_checksum)
{
    uint8_t buf[64];
    memset(buf, 0, sizeof(buf));
    const uint8_t esp[12] = {0xc0, 0x01, 0xd0, 0x0d, 0, 0, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd};
    memcpy(buf + 16, esp, sizeof(esp));
    size_t off = 16, len = sizeof(esp);
    cr_assert_eq(ipsecvpn_udp_encap(buf, &off, &len, 4500, 4501, NULL, NULL, 4), IPSECVPN_OK);
    cr_assert_eq(off, 8);
    cr_assert_eq(len, 20);
    const uint8_t want[8] = {0x11, 0x94, 0x11, 0x95, 0x00, 0x14, 0x00, 0x00};
    cr_assert_arr_eq(buf + 8, want, 8);

    uint16_t sp = 0, dp = 0;
    cr_assert_eq(ipsecvpn_udp_decap(buf, &off, &len, &sp, &dp, NULL, NULL, 4), IPSECVPN_OK);
    cr_assert_eq(off, 16);
    cr_assert_eq(len, sizeof(esp));
    cr_assert_eq(sp, 4500);
    cr_assert_eq(dp, 4501);
    cr_assert_arr_eq(buf + off, esp, sizeof(esp));
    cr_assert_eq(ipsecvpn_udp_classify(buf + off, len, NULL), IPSECVPN_UDP_ESP);
}

Test(udp_encap, ipv4_checksum_not_verified)
{
    /* A NAT may rewrite ports and fill in a checksum; IPv4 receivers do not depend on it. */
    uint8_t buf[16] = {0x11, 0x94, 0x11, 0x94, 0x00, 0x0c, 0x12, 0x34, 1, 2, 3, 4};
    size_t off = 0, len = 12;
    cr_assert_eq(ipsecvpn_udp_decap(buf, &off, &len, NULL, NULL, NULL, NULL, 4), IPSECVPN_OK);
    cr_assert_eq(len, 4);
}

Test(udp_encap, ipv6_round_trip_and_corruption)
{
    uint8_t buf[64];
    memset(buf, 0, sizeof(buf));
    for (int i = 0; i < 20; i++)
        buf[8 + i] = (uint8_t)(i * 7 + 1);
    size_t off = 8, len = 20;
    cr_assert_eq(ipsecvpn_udp_encap(buf, &off, &len, 4500, 4500, LO1, LO2, 16), IPSECVPN_OK);

    size_t o = off, l = len;
    cr_assert_eq(ipsecvpn_udp_decap(buf, &o, &l, NULL, NULL, LO1, LO2, 16), IPSECVPN_OK);
    cr_assert_eq(o, 8);
    cr_assert_eq(l, 20);

    /* wrong addresses: pseudo-header differs */
    o = off; l = len;
    cr_assert_eq(ipsecvpn_udp_decap(buf, &o, &l, NULL, NULL, LO2, LO1, 16), IPSECVPN_OK,
                 "swapping src and dst keeps the sum (addition commutes)");
    uint8_t other[16] = {[15] = 3};
    o = off; l = len;
    cr_assert_eq(ipsecvpn_udp_decap(buf, &o, &l, NULL, NULL, LO1, other, 16),
                 IPSECVPN_ERR_ESP_MALFORMED);
    cr_assert_eq(o, off, "unchanged on error");
    cr_assert_eq(l, len);

    /* one flipped payload bit */
    buf[20] ^= 0x10;
    o = off; l = len;
    cr_assert_eq(ipsecvpn_udp_decap(buf, &o, &l, NULL, NULL, LO1, LO2, 16),
                 IPSECVPN_ERR_ESP_MALFORMED);
    buf[20] ^= 0x10;

    /* zero checksum is not allowed over IPv6 */
    uint8_t c6 = buf[6], c7 = buf[7];
    buf[6] = buf[7] = 0;
    o = off; l = len;
    cr_assert_eq(ipsecvpn_udp_decap(buf, &o, &l, NULL, NULL, LO1, LO2, 16),
                 IPSECVPN_ERR_ESP_MALFORMED);
    buf[6] = c6;
    buf[7] = c7;
}

Test(udp_encap, decap_length_rules)
{
    uint8_t buf[32] = {0x11, 0x94, 0x11, 0x94, 0x00, 0x0c, 0x00, 0x00, 9, 9, 9, 9, 7, 7};
    size_t off = 0, len;

    len = 7;
    cr_assert_eq(ipsecvpn_udp_decap(buf, &off, &len, NULL, NULL, NULL, NULL, 4),
                 IPSECVPN_ERR_ESP_SHORT);
    len = 11; /* length field says 12 */
    cr_assert_eq(ipsecvpn_udp_decap(buf, &off, &len, NULL, NULL, NULL, NULL, 4),
                 IPSECVPN_ERR_ESP_SHORT);
    len = 14; /* two bytes of trailing padding are ignored */
    cr_assert_eq(ipsecvpn_udp_decap(buf, &off, &len, NULL, NULL, NULL, NULL, 4), IPSECVPN_OK);
    cr_assert_eq(len, 4);
    off = 0;
    buf[5] = 7; /* length field below the header size */
    len = 14;
    cr_assert_eq(ipsecvpn_udp_decap(buf, &off, &len, NULL, NULL, NULL, NULL, 4),
                 IPSECVPN_ERR_ESP_MALFORMED);
    buf[5] = 8; /* an empty datagram is a valid UDP datagram */
    cr_assert_eq(ipsecvpn_udp_decap(buf, &off, &len, NULL, NULL, NULL, NULL, 4), IPSECVPN_OK);
    cr_assert_eq(len, 0);
    cr_assert_eq(off, 8);
}

Test(udp_encap, argument_errors)
{
    static uint8_t buf[70000];
    size_t off = 8, len = 4;
    cr_assert_eq(ipsecvpn_udp_encap(NULL, &off, &len, 1, 2, NULL, NULL, 4),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_udp_encap(buf, NULL, &len, 1, 2, NULL, NULL, 4),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_udp_encap(buf, &off, &len, 1, 2, NULL, NULL, 5),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_udp_encap(buf, &off, &len, 1, 2, LO1, NULL, 16),
                 IPSECVPN_ERR_INVALID_ARG);
    off = 7;
    cr_assert_eq(ipsecvpn_udp_encap(buf, &off, &len, 1, 2, NULL, NULL, 4),
                 IPSECVPN_ERR_ESP_ROOM);
    off = 8;
    len = 65535 - 8 + 1;
    cr_assert_eq(ipsecvpn_udp_encap(buf, &off, &len, 1, 2, NULL, NULL, 4),
                 IPSECVPN_ERR_ESP_ROOM);
    cr_assert_eq(off, 8);
    len = 65535 - 8;
    cr_assert_eq(ipsecvpn_udp_encap(buf, &off, &len, 1, 2, LO1, LO2, 16), IPSECVPN_OK);
    cr_assert_eq(len, 65535);
    cr_assert_eq(buf[4], 0xff);
    cr_assert_eq(buf[5], 0xff);

    off = 0;
    len = 12;
    cr_assert_eq(ipsecvpn_udp_decap(buf, &off, &len, NULL, NULL, NULL, LO2, 16),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_udp_decap(buf, &off, &len, NULL, NULL, NULL, NULL, 0),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_udp_decap(NULL, &off, &len, NULL, NULL, NULL, NULL, 4),
                 IPSECVPN_ERR_INVALID_ARG);
}
