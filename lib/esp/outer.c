/*
 * Outer headers of tunnel-mode packets in the FULL form: IPv4 (RFC 791) or IPv6 (RFC 8200)
 * from the SA's addresses, then the UDP header of RFC 3948 when the SA is encapsulated.
 * The DSCP/ECN byte is copied from the inner packet (RFC 4301 §5.1.2.1, RFC 6040 normal mode).
 */
#include <string.h>

#include "esp/esp_internal.h"

uint16_t ivpn_ipv4_checksum(const uint8_t *hdr, size_t len)
{
    uint32_t sum = 0;

    for (size_t i = 0; i + 1 < len; i += 2)
        if (i != 10)
            sum += (uint32_t)hdr[i] << 8 | hdr[i + 1];
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return (uint16_t)~sum;
}

size_t ivpn_esp_outer_len(const ipsecvpn_esp_sa *sa)
{
    size_t ip = sa->local.family == IPSECVPN_IPV6 ? IVPN_IPV6_HDR_LEN : IVPN_IPV4_HDR_LEN;
    return ip + (sa->encap ? IVPN_UDP_HDR_LEN : 0);
}

void ivpn_esp_outer_build(const ipsecvpn_esp_sa *sa, uint8_t *p, size_t esp_len, uint8_t tos,
                          uint16_t ip_id)
{
    size_t payload = esp_len + (sa->encap ? IVPN_UDP_HDR_LEN : 0);
    uint8_t proto = sa->encap ? IVPN_PROTO_UDP : IVPN_PROTO_ESP;
    size_t addr_len;

    if (sa->local.family == IPSECVPN_IPV6) {
        addr_len = 16;
        ivpn_put32(p, 0x60000000u | (uint32_t)tos << 20);
        ivpn_put16(p + 4, (uint16_t)payload);
        p[6] = proto;
        p[7] = 64;
        memcpy(p + 8, sa->local.bytes, 16);
        memcpy(p + 24, sa->remote.bytes, 16);
        p += IVPN_IPV6_HDR_LEN;
    } else {
        addr_len = 4;
        p[0] = 0x45;
        p[1] = tos;
        ivpn_put16(p + 2, (uint16_t)(payload + IVPN_IPV4_HDR_LEN));
        ivpn_put16(p + 4, ip_id);
        ivpn_put16(p + 6, 0);
        p[8] = 64;
        p[9] = proto;
        memcpy(p + 12, sa->local.bytes, 4);
        memcpy(p + 16, sa->remote.bytes, 4);
        ivpn_put16(p + 10, ivpn_ipv4_checksum(p, IVPN_IPV4_HDR_LEN));
        p += IVPN_IPV4_HDR_LEN;
    }
    if (sa->encap)
        ivpn_udp_write_header(p, payload, sa->local_port, sa->remote_port, sa->local.bytes,
                              sa->remote.bytes, addr_len);
}
