/*
 * UDP encapsulation as the rest of lib/ sees it (the public side is ipsecvpn/udp_encap.h:
 * ipsecvpn_udp_classify / _encap / _decap / _add_marker / _keepalive are callable from lib/
 * as they are). These are the raw pieces for code that lays out its own buffers, such as the
 * ESP encrypt path that wants to write the UDP header into its headroom in one go.
 */
#ifndef IVPN_ESP_UDP_ENCAP_H
#define IVPN_ESP_UDP_ENCAP_H

#include <stddef.h>
#include <stdint.h>

#include "ipsecvpn/udp_encap.h"

#define IVPN_UDP_HDR_LEN IPSECVPN_UDP_HEADER_LEN
#define IVPN_NATT_PORT IPSECVPN_NATT_PORT

/*
 * Write a UDP header at hdr[0..8) for a datagram of udp_len bytes (header included) whose
 * payload already follows at hdr + 8. Over IPv4 (addr_len 4) the checksum is 0; over IPv6
 * (addr_len 16) it is computed over the pseudo-header and the whole datagram (a result of 0 is
 * sent as 0xFFFF, RFC 768). The caller has checked udp_len (8..65535) and addr_len.
 */
void ivpn_udp_write_header(uint8_t *hdr, size_t udp_len, uint16_t sport, uint16_t dport,
                           const uint8_t *src, const uint8_t *dst, size_t addr_len);

/*
 * The UDP checksum of the datagram udp[0..udp_len) with the checksum field taken as it is,
 * over the pseudo-header of RFC 8200 §8.1 (addr_len 16) or RFC 768 (addr_len 4): the one's
 * complement of the one's complement sum, not yet mapped 0 -> 0xFFFF. Verifying a received
 * datagram: the result is 0 when its checksum field is right.
 */
uint16_t ivpn_udp_checksum(const uint8_t *udp, size_t udp_len, const uint8_t *src,
                           const uint8_t *dst, size_t addr_len);

#endif
