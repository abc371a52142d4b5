/* Flow (5-tuple) extraction from IPv4/IPv6 packets: ports, ICMP type/code, extension headers,
 * fragments, and every kind of truncated or malformed packet. */
#include <criterion/criterion.h>
#include <string.h>

#include "esp/ip_parse.h"
#include "ipsecvpn/ipsecvpn.h"
#include "test_spd_pkt.h"

static const uint8_t A4[4] = {10, 0, 1, 5};
static const uint8_t B4[4] = {192, 168, 7, 9};
static const uint8_t A6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
static const uint8_t B6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};

Test(ip_parse, ipv4_tcp_ports_and_addresses)
{
    uint8_t p[PKT_MAX];
    size_t n = pkt4_ports(p, 6, A4, B4, 40000, 443);
    ivpn_flow f;
    cr_assert_eq(ivpn_ip_flow(p, n, &f), IPSECVPN_OK);
    cr_assert_eq(f.family, IVPN_FLOW_IPV4);
    cr_assert_eq(f.proto, 6);
    cr_assert_eq(f.sport, 40000);
    cr_assert_eq(f.dport, 443);
    cr_assert_arr_eq(f.src, A4, 4);
    cr_assert_arr_eq(f.dst, B4, 4);
    cr_assert_eq(f.src[4], 0);
    cr_assert_eq(f.ip_len, n);
    cr_assert_eq(f.l4_offset, 20);
    cr_assert_eq(f.ports_opaque, 0);
    cr_assert_eq(f.is_fragment, 0);
}

Test(ip_parse, ipv4_udp_sctp_dccp_udplite_have_ports)
{
    const uint8_t protos[] = {17, 33, 132, 136};
    for (size_t i = 0; i < sizeof(protos); i++) {
        uint8_t p[PKT_MAX];
        size_t n = pkt4_ports(p, protos[i], A4, B4, 1000 + (uint16_t)i, 53);
        ivpn_flow f;
        cr_assert_eq(ivpn_ip_flow(p, n, &f), IPSECVPN_OK);
        cr_assert_eq(f.proto, protos[i]);
        cr_assert_eq(f.sport, 1000 + i);
        cr_assert_eq(f.dport, 53);
    }
}

Test(ip_parse, icmp_type_and_code_as_ports)
{
    uint8_t p[PKT_MAX];
    size_t n = pkt4_icmp(p, A4, B4, 3, 4); /* destination unreachable, frag needed */
    ivpn_flow f;
    cr_assert_eq(ivpn_ip_flow(p, n, &f), IPSECVPN_OK);
    cr_assert_eq(f.proto, 1);
    cr_assert_eq(f.sport, 3);
    cr_assert_eq(f.dport, 4);
}

Test(ip_parse, protocol_without_ports_gives_zero)
{
    uint8_t p[PKT_MAX];
    uint8_t gre[8] = {0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4};
    size_t n = pkt4(p, 47, A4, B4, 0, gre, sizeof(gre));
    ivpn_flow f;
    cr_assert_eq(ivpn_ip_flow(p, n, &f), IPSECVPN_OK);
    cr_assert_eq(f.proto, 47);
    cr_assert_eq(f.sport, 0);
    cr_assert_eq(f.dport, 0);
}

Test(ip_parse, ipv4_options_are_skipped)
{
    uint8_t p[PKT_MAX];
    uint8_t l4[4] = {0x12, 0x34, 0x00, 0x50};
    /* IHL 6: one word of options (NOP NOP NOP EOL) between header and TCP */
    pkt4(p, 6, A4, B4, 0, NULL, 0);
    p[0] = 0x46;
    p[20] = 1; p[21] = 1; p[22] = 1; p[23] = 0;
    memcpy(p + 24, l4, 4);
    p[3] = 28;
    ivpn_flow f;
    cr_assert_eq(ivpn_ip_flow(p, 28, &f), IPSECVPN_OK);
    cr_assert_eq(f.l4_offset, 24);
    cr_assert_eq(f.sport, 0x1234);
    cr_assert_eq(f.dport, 80);
}

Test(ip_parse, ipv4_trailing_link_padding_ignored)
{
    uint8_t p[PKT_MAX];
    size_t n = pkt4_ports(p, 17, A4, B4, 1, 2);
    memset(p + n, 0xee, 10);
    ivpn_flow f;
    cr_assert_eq(ivpn_ip_flow(p, n + 10, &f), IPSECVPN_OK);
    cr_assert_eq(f.ip_len, n);
}

Test(ip_parse, ipv4_fragments)
{
    uint8_t p[PKT_MAX];
    uint8_t l4[8] = {0x01, 0xbb, 0x00, 0x35, 0, 0, 0, 0};
    /* first fragment (MF, offset 0): ports are there */
    size_t n = pkt4(p, 17, A4, B4, 0x2000, l4, sizeof(l4));
    ivpn_flow f;
    cr_assert_eq(ivpn_ip_flow(p, n, &f), IPSECVPN_OK);
    cr_assert_eq(f.is_fragment, 1);
    cr_assert_eq(f.ports_opaque, 0);
    cr_assert_eq(f.sport, 443);
    cr_assert_eq(f.dport, 53);
    /* later fragment: its bytes are data, not ports */
    n = pkt4(p, 17, A4, B4, 0x0003, l4, sizeof(l4));
    cr_assert_eq(ivpn_ip_flow(p, n, &f), IPSECVPN_OK);
    cr_assert_eq(f.is_fragment, 1);
    cr_assert_eq(f.ports_opaque, 1);
    cr_assert_eq(f.sport, 0);
    cr_assert_eq(f.dport, 0);
    cr_assert_eq(f.proto, 17);
    /* a later fragment may be shorter than a port header */
    n = pkt4(p, 6, A4, B4, 0x0001, l4, 1);
    cr_assert_eq(ivpn_ip_flow(p, n, &f), IPSECVPN_OK);
    cr_assert_eq(f.ports_opaque, 1);
}

Test(ip_parse, ipv4_bad_inputs_each_have_a_code)
{
    uint8_t p[PKT_MAX];
    size_t n = pkt4_ports(p, 6, A4, B4, 1, 2);
    ivpn_flow f;
    memset(&f, 0x5a, sizeof(f));
    cr_assert_eq(ivpn_ip_flow(NULL, n, &f), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(f.family, 0, "out is cleared on error");
    cr_assert_eq(ivpn_ip_flow(p, n, NULL), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ivpn_ip_flow(p, 0, &f), IPSECVPN_ERR_ESP_SHORT);
    cr_assert_eq(ivpn_ip_flow(p, 1, &f), IPSECVPN_ERR_ESP_SHORT);
    cr_assert_eq(ivpn_ip_flow(p, 19, &f), IPSECVPN_ERR_ESP_SHORT);
    cr_assert_eq(ivpn_ip_flow(p, n - 1, &f), IPSECVPN_ERR_ESP_SHORT, "total length > bytes");

    uint8_t q[PKT_MAX];
    memcpy(q, p, n);
    q[0] = 0x44; /* IHL 4 */
    cr_assert_eq(ivpn_ip_flow(q, n, &f), IPSECVPN_ERR_ESP_MALFORMED);
    memcpy(q, p, n);
    q[2] = 0; q[3] = 19; /* total length below the header */
    cr_assert_eq(ivpn_ip_flow(q, n, &f), IPSECVPN_ERR_ESP_MALFORMED);
    memcpy(q, p, n);
    q[0] = 0x55; /* version 5 */
    cr_assert_eq(ivpn_ip_flow(q, n, &f), IPSECVPN_ERR_ESP_MALFORMED);
    memcpy(q, p, n);
    q[0] = 0x4f; /* IHL 15 = 60 bytes > total length 28 */
    cr_assert_eq(ivpn_ip_flow(q, n, &f), IPSECVPN_ERR_ESP_MALFORMED);
    cr_assert_eq(f.family, 0);

    /* TCP cut after 3 bytes (total length says so too) */
    uint8_t l4[3] = {1, 2, 3};
    n = pkt4(q, 6, A4, B4, 0, l4, 3);
    cr_assert_eq(ivpn_ip_flow(q, n, &f), IPSECVPN_ERR_ESP_SHORT);
    /* ICMP cut after 1 byte */
    n = pkt4(q, 1, A4, B4, 0, l4, 1);
    cr_assert_eq(ivpn_ip_flow(q, n, &f), IPSECVPN_ERR_ESP_SHORT);
    /* a first fragment too short for its ports */
    n = pkt4(q, 17, A4, B4, 0x2000, l4, 2);
    cr_assert_eq(ivpn_ip_flow(q, n, &f), IPSECVPN_ERR_ESP_SHORT);
}

Test(ip_parse, ipv6_udp)
{
    uint8_t p[PKT_MAX];
    size_t n = pkt6_ports(p, 17, A6, B6, 500, 4500);
    ivpn_flow f;
    cr_assert_eq(ivpn_ip_flow(p, n, &f), IPSECVPN_OK);
    cr_assert_eq(f.family, IVPN_FLOW_IPV6);
    cr_assert_eq(f.proto, 17);
    cr_assert_eq(f.sport, 500);
    cr_assert_eq(f.dport, 4500);
    cr_assert_arr_eq(f.src, A6, 16);
    cr_assert_arr_eq(f.dst, B6, 16);
    cr_assert_eq(f.l4_offset, 40);
}

Test(ip_parse, ipv6_extension_headers_are_skipped)
{
    uint8_t body[256], p[PKT_MAX];
    size_t off = 0;
    off = ext8(body, off, 43);  /* hop-by-hop -> routing */
    off = ext8(body, off, 60);  /* routing -> destination options */
    off = ext8(body, off, 51);  /* destination options -> AH */
    /* AH: next header TCP, payload length 4 -> (4 + 2) * 4 = 24 bytes */
    memset(body + off, 0, 24);
    body[off] = 6;
    body[off + 1] = 4;
    off += 24;
    body[off] = 0x04; body[off + 1] = 0xd2; body[off + 2] = 0x16; body[off + 3] = 0x2e;
    memset(body + off + 4, 0, 16);
    off += 20;
    size_t n = pkt6(p, 0, A6, B6, body, off);
    ivpn_flow f;
    cr_assert_eq(ivpn_ip_flow(p, n, &f), IPSECVPN_OK);
    cr_assert_eq(f.proto, 6);
    cr_assert_eq(f.sport, 1234);
    cr_assert_eq(f.dport, 5678);
    cr_assert_eq(f.l4_offset, 40 + 8 * 3 + 24);
}

Test(ip_parse, ipv6_fragments)
{
    uint8_t body[64], p[PKT_MAX];
    size_t off = frag6(body, 0, 17, 0, 1);
    body[off] = 0; body[off + 1] = 53; body[off + 2] = 0x13; body[off + 3] = 0x88;
    memset(body + off + 4, 0, 4);
    size_t n = pkt6(p, 44, A6, B6, body, off + 8);
    ivpn_flow f;
    cr_assert_eq(ivpn_ip_flow(p, n, &f), IPSECVPN_OK);
    cr_assert_eq(f.is_fragment, 1);
    cr_assert_eq(f.ports_opaque, 0);
    cr_assert_eq(f.sport, 53);
    cr_assert_eq(f.dport, 5000);

    off = frag6(body, 0, 17, 185, 0);
    n = pkt6(p, 44, A6, B6, body, off + 3);
    cr_assert_eq(ivpn_ip_flow(p, n, &f), IPSECVPN_OK);
    cr_assert_eq(f.ports_opaque, 1);
    cr_assert_eq(f.proto, 17);
    cr_assert_eq(f.sport, 0);
}

Test(ip_parse, icmpv6_and_mobility_header)
{
    uint8_t p[PKT_MAX];
    uint8_t icmp6[8] = {128, 0, 0, 0, 0, 1, 0, 1}; /* echo request */
    size_t n = pkt6(p, 58, A6, B6, icmp6, sizeof(icmp6));
    ivpn_flow f;
    cr_assert_eq(ivpn_ip_flow(p, n, &f), IPSECVPN_OK);
    cr_assert_eq(f.sport, 128);
    cr_assert_eq(f.dport, 0);

    uint8_t mh[8] = {59, 0, 5, 0, 0, 0, 0, 0}; /* MH type 5 */
    n = pkt6(p, 135, A6, B6, mh, sizeof(mh));
    cr_assert_eq(ivpn_ip_flow(p, n, &f), IPSECVPN_OK);
    cr_assert_eq(f.proto, 135);
    cr_assert_eq(f.sport, 5);
    cr_assert_eq(f.dport, 0);
}

Test(ip_parse, ipv6_chain_ends_at_esp_and_no_next_header)
{
    uint8_t p[PKT_MAX];
    uint8_t esp[16] = {0, 0, 0x10, 0x01};
    size_t n = pkt6(p, 50, A6, B6, esp, sizeof(esp));
    ivpn_flow f;
    cr_assert_eq(ivpn_ip_flow(p, n, &f), IPSECVPN_OK);
    cr_assert_eq(f.proto, 50);
    cr_assert_eq(f.sport, 0);

    n = pkt6(p, 59, A6, B6, NULL, 0); /* payload length 0 is fine with no next header */
    cr_assert_eq(ivpn_ip_flow(p, n, &f), IPSECVPN_OK);
    cr_assert_eq(f.proto, 59);
    cr_assert_eq(f.ip_len, 40);
}

Test(ip_parse, ipv6_bad_inputs_each_have_a_code)
{
    uint8_t body[512], p[PKT_MAX];
    ivpn_flow f;
    size_t n = pkt6_ports(p, 17, A6, B6, 1, 2);
    cr_assert_eq(ivpn_ip_flow(p, 39, &f), IPSECVPN_ERR_ESP_SHORT);
    cr_assert_eq(ivpn_ip_flow(p, n - 1, &f), IPSECVPN_ERR_ESP_SHORT, "payload length > bytes");

    n = pkt6(p, 17, A6, B6, NULL, 0); /* jumbogram-style payload length 0 */
    cr_assert_eq(ivpn_ip_flow(p, n + 8, &f), IPSECVPN_ERR_ESP_MALFORMED);

    /* extension header whose length runs past the payload */
    size_t off = ext8(body, 0, 6);
    body[1] = 3; /* claims 32 bytes */
    n = pkt6(p, 0, A6, B6, body, off);
    cr_assert_eq(ivpn_ip_flow(p, n, &f), IPSECVPN_ERR_ESP_SHORT);

    /* one byte of an extension header */
    n = pkt6(p, 60, A6, B6, body, 1);
    cr_assert_eq(ivpn_ip_flow(p, n, &f), IPSECVPN_ERR_ESP_SHORT);

    /* too many extension headers (17 destination options) */
    off = 0;
    for (int i = 0; i < IVPN_IP_MAX_EXT_HEADERS + 1; i++)
        off = ext8(body, off, 60);
    body[off - 8] = 17;
    memset(body + off, 0, 8);
    n = pkt6(p, 60, A6, B6, body, off + 8);
    cr_assert_eq(ivpn_ip_flow(p, n, &f), IPSECVPN_ERR_ESP_MALFORMED);
    /* but 16 are fine */
    n = pkt6(p, 60, A6, B6, body + 8, off);
    cr_assert_eq(ivpn_ip_flow(p, n, &f), IPSECVPN_OK);
    cr_assert_eq(f.proto, 17);

    /* UDP header cut after 3 bytes */
    uint8_t l4[3] = {0, 1, 0};
    n = pkt6(p, 17, A6, B6, l4, 3);
    cr_assert_eq(ivpn_ip_flow(p, n, &f), IPSECVPN_ERR_ESP_SHORT);
    /* MH cut before its type byte */
    n = pkt6(p, 135, A6, B6, l4, 2);
    cr_assert_eq(ivpn_ip_flow(p, n, &f), IPSECVPN_ERR_ESP_SHORT);
}

Test(ip_parse, every_truncation_of_valid_packets_is_rejected_cleanly)
{
    uint8_t body[128], p[PKT_MAX];
    size_t off = ext8(body, 0, 44);
    off = frag6(body, off, 6, 0, 1);
    memset(body + off, 0x11, 20);
    size_t n6 = pkt6(p, 0, A6, B6, body, off + 20);
    for (size_t len = 0; len < n6; len++) {
        ivpn_flow f;
        int rc = ivpn_ip_flow(p, len, &f);
        cr_assert(rc == IPSECVPN_ERR_ESP_SHORT, "len %zu gave %d", len, rc);
    }
    uint8_t q[PKT_MAX];
    size_t n4 = pkt4_ports(q, 6, A4, B4, 7, 8);
    for (size_t len = 0; len < n4; len++) {
        ivpn_flow f;
        cr_assert_eq(ivpn_ip_flow(q, len, &f), IPSECVPN_ERR_ESP_SHORT, "len %zu", len);
    }
}

Test(ip_parse, addr_len)
{
    cr_assert_eq(ivpn_flow_addr_len(IVPN_FLOW_IPV4), 4);
    cr_assert_eq(ivpn_flow_addr_len(IVPN_FLOW_IPV6), 16);
    cr_assert_eq(ivpn_flow_addr_len(5), 0);
}
