/*
 * UDP encapsulation of ESP and IKE on port 4500 (RFC 3948), see ipsecvpn/udp_encap.h.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |      Source Port (4500)       |    Destination Port (4500)    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |            Length             |    Checksum (0 over IPv4)     |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  ESP header (SPI != 0) | non-ESP marker (0x00000000) + IKE |  |
 *  |  or one byte 0xFF (NAT keepalive)                              |
 */
#include "esp/udp_encap.h"

#include <string.h>

#define UDP_PROTO 17
#define UDP_MAX_LEN 65535u

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

/* One's complement sum of big-endian 16-bit words; an odd last byte is padded with zero. */
static uint32_t sum16(uint32_t acc, const uint8_t *p, size_t n)
{
    while (n >= 2) {
        acc += rd16(p);
        acc = (acc & 0xffff) + (acc >> 16); /* fold as we go: no overflow for any length */
        p += 2;
        n -= 2;
    }
    if (n)
        acc += (uint32_t)p[0] << 8;
    return (acc & 0xffff) + (acc >> 16);
}

uint16_t ivpn_udp_checksum(const uint8_t *udp, size_t udp_len, const uint8_t *src,
                           const uint8_t *dst, size_t addr_len)
{
    /* Pseudo-header: source, destination, upper-layer length, zero, next header 17.
     * RFC 768 uses a 16-bit length, RFC 8200 a 32-bit one: the same sum for udp_len < 2^16. */
    uint32_t acc = 0;
    acc = sum16(acc, src, addr_len);
    acc = sum16(acc, dst, addr_len);
    acc += (uint32_t)(udp_len & 0xffff) + UDP_PROTO;
    acc = sum16(acc, udp, udp_len);
    acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)~acc;
}

void ivpn_udp_write_header(uint8_t *hdr, size_t udp_len, uint16_t sport, uint16_t dport,
                           const uint8_t *src, const uint8_t *dst, size_t addr_len)
{
    wr16(hdr, sport);
    wr16(hdr + 2, dport);
    wr16(hdr + 4, (uint16_t)udp_len);
    wr16(hdr + 6, 0);
    if (addr_len == 16) {
        uint16_t c = ivpn_udp_checksum(hdr, udp_len, src, dst, addr_len);
        wr16(hdr + 6, c == 0 ? 0xffff : c); /* 0 means "no checksum", forbidden over IPv6 */
    }
}

IPSECVPN_EXPORT int ipsecvpn_udp_classify(const uint8_t *payload, size_t len, size_t *offset)
{
    static const uint8_t zero_marker[IPSECVPN_NON_ESP_MARKER_LEN] = {0};

    if (payload == NULL && len != 0)
        return IPSECVPN_ERR_INVALID_ARG;
    if (len == 0)
        return IPSECVPN_ERR_ESP_SHORT;
    if (len == IPSECVPN_NAT_KEEPALIVE_LEN) {
        if (payload[0] != 0xff)
            return IPSECVPN_ERR_ESP_NOT_ESP;
        if (offset)
            *offset = 1;
        return IPSECVPN_UDP_KEEPALIVE;
    }
    if (len < IPSECVPN_NON_ESP_MARKER_LEN)
        return IPSECVPN_ERR_ESP_SHORT; /* neither a marker nor an SPI fits */
    if (memcmp(payload, zero_marker, sizeof(zero_marker)) == 0) {
        /* SPI 0 is reserved (RFC 4303 §2.1), so four zero bytes can only be the marker. */
        if (len < IPSECVPN_NON_ESP_MARKER_LEN + IPSECVPN_IKE_HEADER_LEN)
            return IPSECVPN_ERR_ESP_SHORT;
        if (offset)
            *offset = IPSECVPN_NON_ESP_MARKER_LEN;
        return IPSECVPN_UDP_IKE;
    }
    if (len < IPSECVPN_UDP_ESP_MIN_LEN)
        return IPSECVPN_ERR_ESP_SHORT;
    if (offset)
        *offset = 0;
    return IPSECVPN_UDP_ESP;
}

static int addrs_ok(const uint8_t *src, const uint8_t *dst, size_t addr_len)
{
    if (addr_len == 4)
        return 1; /* IPv4 checksum is 0 / not verified: addresses not needed */
    return addr_len == 16 && src != NULL && dst != NULL;
}

IPSECVPN_EXPORT int ipsecvpn_udp_encap(uint8_t *buf, size_t *off, size_t *len,
                                       uint16_t sport, uint16_t dport,
                                       const uint8_t *src, const uint8_t *dst, size_t addr_len)
{
    if (buf == NULL || off == NULL || len == NULL || !addrs_ok(src, dst, addr_len))
        return IPSECVPN_ERR_INVALID_ARG;
    if (*off < IPSECVPN_UDP_HEADER_LEN || *len > UDP_MAX_LEN - IPSECVPN_UDP_HEADER_LEN)
        return IPSECVPN_ERR_ESP_ROOM;
    size_t start = *off - IPSECVPN_UDP_HEADER_LEN;
    size_t udp_len = *len + IPSECVPN_UDP_HEADER_LEN;
    ivpn_udp_write_header(buf + start, udp_len, sport, dport, src, dst, addr_len);
    *off = start;
    *len = udp_len;
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT int ipsecvpn_udp_decap(const uint8_t *buf, size_t *off, size_t *len,
                                       uint16_t *sport, uint16_t *dport,
                                       const uint8_t *src, const uint8_t *dst, size_t addr_len)
{
    if (buf == NULL || off == NULL || len == NULL || !addrs_ok(src, dst, addr_len))
        return IPSECVPN_ERR_INVALID_ARG;
    if (*len < IPSECVPN_UDP_HEADER_LEN)
        return IPSECVPN_ERR_ESP_SHORT;
    const uint8_t *udp = buf + *off;
    size_t udp_len = rd16(udp + 4);
    if (udp_len < IPSECVPN_UDP_HEADER_LEN)
        return IPSECVPN_ERR_ESP_MALFORMED;
    if (udp_len > *len)
        return IPSECVPN_ERR_ESP_SHORT;
    if (addr_len == 16) {
        if (rd16(udp + 6) == 0 || ivpn_udp_checksum(udp, udp_len, src, dst, addr_len) != 0)
            return IPSECVPN_ERR_ESP_MALFORMED;
    }
    if (sport)
        *sport = rd16(udp);
    if (dport)
        *dport = rd16(udp + 2);
    *off += IPSECVPN_UDP_HEADER_LEN;
    *len = udp_len - IPSECVPN_UDP_HEADER_LEN;
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT int ipsecvpn_udp_add_marker(uint8_t *buf, size_t *off, size_t *len)
{
    if (buf == NULL || off == NULL || len == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    if (*off < IPSECVPN_NON_ESP_MARKER_LEN)
        return IPSECVPN_ERR_ESP_ROOM;
    *off -= IPSECVPN_NON_ESP_MARKER_LEN;
    memset(buf + *off, 0, IPSECVPN_NON_ESP_MARKER_LEN);
    *len += IPSECVPN_NON_ESP_MARKER_LEN;
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT int ipsecvpn_udp_keepalive(uint8_t *buf, size_t cap, size_t *len)
{
    if (buf == NULL || len == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    if (cap < IPSECVPN_NAT_KEEPALIVE_LEN)
        return IPSECVPN_ERR_BUFFER_TOO_SMALL;
    buf[0] = 0xff;
    *len = IPSECVPN_NAT_KEEPALIVE_LEN;
    return IPSECVPN_OK;
}
