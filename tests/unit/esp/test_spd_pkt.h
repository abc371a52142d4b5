/*
 * Packet builders for the SPD and IP-parsing tests: small IPv4/IPv6 packets written byte by
 * byte from the RFC 791 / RFC 8200 layouts, so the tests do not depend on the code they test.
 */
#ifndef TEST_SPD_PKT_H
#define TEST_SPD_PKT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PKT_MAX 2048

/* IPv4 header (IHL 5, no options) + l4 bytes. frag = flags<<13 | offset (in 8-byte units). */
static inline size_t pkt4(uint8_t *p, uint8_t proto, const uint8_t src[4], const uint8_t dst[4],
                          uint16_t frag, const uint8_t *l4, size_t l4_len)
{
    size_t total = 20 + l4_len;
    memset(p, 0, 20);
    p[0] = 0x45;
    p[2] = (uint8_t)(total >> 8);
    p[3] = (uint8_t)total;
    p[6] = (uint8_t)(frag >> 8);
    p[7] = (uint8_t)frag;
    p[8] = 64;
    p[9] = proto;
    memcpy(p + 12, src, 4);
    memcpy(p + 16, dst, 4);
    if (l4_len)
        memcpy(p + 20, l4, l4_len);
    return total;
}

/* IPv4 packet whose upper-layer header starts with sport, dport (TCP/UDP-like), 8 bytes. */
static inline size_t pkt4_ports(uint8_t *p, uint8_t proto, const uint8_t src[4],
                                const uint8_t dst[4], uint16_t sport, uint16_t dport)
{
    uint8_t l4[8] = {(uint8_t)(sport >> 8), (uint8_t)sport, (uint8_t)(dport >> 8),
                     (uint8_t)dport, 0, 8, 0, 0};
    return pkt4(p, proto, src, dst, 0, l4, sizeof(l4));
}

/* IPv4 ICMP with type and code (8 bytes: type, code, checksum, rest). */
static inline size_t pkt4_icmp(uint8_t *p, const uint8_t src[4], const uint8_t dst[4],
                               uint8_t type, uint8_t code)
{
    uint8_t l4[8] = {type, code, 0, 0, 0, 1, 0, 1};
    return pkt4(p, 1, src, dst, 0, l4, sizeof(l4));
}

/* IPv6 fixed header; the payload (extension headers + upper layer) is body[0..body_len). */
static inline size_t pkt6(uint8_t *p, uint8_t next_header, const uint8_t src[16],
                          const uint8_t dst[16], const uint8_t *body, size_t body_len)
{
    memset(p, 0, 40);
    p[0] = 0x60;
    p[4] = (uint8_t)(body_len >> 8);
    p[5] = (uint8_t)body_len;
    p[6] = next_header;
    p[7] = 64;
    memcpy(p + 8, src, 16);
    memcpy(p + 24, dst, 16);
    if (body_len)
        memcpy(p + 40, body, body_len);
    return 40 + body_len;
}

static inline size_t pkt6_ports(uint8_t *p, uint8_t proto, const uint8_t src[16],
                                const uint8_t dst[16], uint16_t sport, uint16_t dport)
{
    uint8_t l4[8] = {(uint8_t)(sport >> 8), (uint8_t)sport, (uint8_t)(dport >> 8),
                     (uint8_t)dport, 0, 8, 0, 0};
    return pkt6(p, proto, src, dst, l4, sizeof(l4));
}

/* Appends a generic 8-byte extension header (hop-by-hop, destination options, routing) with
 * next header nh at b[off]; returns the new offset. */
static inline size_t ext8(uint8_t *b, size_t off, uint8_t nh)
{
    memset(b + off, 0, 8);
    b[off] = nh;
    b[off + 1] = 0; /* (0 + 1) * 8 bytes */
    b[off + 2] = 1; /* PadN option filling the rest */
    b[off + 3] = 4;
    return off + 8;
}

/* Appends an IPv6 fragment header (8 bytes): offset in 8-byte units, M flag. */
static inline size_t frag6(uint8_t *b, size_t off, uint8_t nh, uint16_t frag_offset, int more)
{
    uint16_t v = (uint16_t)((frag_offset << 3) | (more ? 1 : 0));
    memset(b + off, 0, 8);
    b[off] = nh;
    b[off + 2] = (uint8_t)(v >> 8);
    b[off + 3] = (uint8_t)v;
    b[off + 7] = 0x2a; /* identification */
    return off + 8;
}

#endif
