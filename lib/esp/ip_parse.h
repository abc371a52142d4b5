/*
 * Bounds-checked extraction of the flow (5-tuple) of an IPv4 or IPv6 packet: what the SPD
 * matches outbound packets against and what the inbound selector check compares a decrypted
 * inner packet with. It reads only; it never writes into the packet and never allocates.
 *
 * Ports follow the Linux kernel's XFRM convention so selectors mean the same thing on both:
 *   TCP, UDP, UDP-Lite, SCTP, DCCP: source and destination port;
 *   ICMP (IPv4, proto 1) and ICMPv6 (proto 58): sport = type, dport = code;
 *   IPv6 Mobility Header (proto 135): sport = MH type, dport = 0;
 *   every other protocol: both 0.
 * A non-first fragment carries no upper-layer header: its ports are OPAQUE (RFC 4301 §4.4.1.1),
 * flagged with ports_opaque = 1 and both set to 0; only a selector with "any port" matches it.
 *
 * IPv6 extension headers (hop-by-hop, routing, fragment, destination options, AH, HIP, Shim6)
 * are skipped, each one bounds-checked, at most IVPN_IP_MAX_EXT_HEADERS of them. ESP (50) and
 * "no next header" (59) end the chain: proto is 50 or 59, ports 0.
 * The IPv6 destination used is the one in the fixed header (a routing header is not followed).
 * The IPv4 header checksum is not verified (the packet either came out of ESP, whose ICV
 * covers it, or from the host's own stack).
 */
#ifndef IVPN_ESP_IP_PARSE_H
#define IVPN_ESP_IP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Values of ivpn_flow.family: the IP version number itself. */
#define IVPN_FLOW_IPV4 4
#define IVPN_FLOW_IPV6 6

/* An IPv6 packet with more extension headers than this is refused (ESP_MALFORMED). */
#define IVPN_IP_MAX_EXT_HEADERS 16

typedef struct ivpn_flow {
    uint8_t family;       /* IVPN_FLOW_IPV4 or IVPN_FLOW_IPV6 */
    uint8_t proto;        /* upper-layer protocol after any IPv6 extension headers */
    uint8_t ports_opaque; /* 1 for a non-first fragment: sport/dport unknown (both 0) */
    uint8_t is_fragment;  /* 1 for any fragment (first or not) */
    uint16_t sport;       /* host byte order; ICMP/ICMPv6 type; MH type */
    uint16_t dport;       /* host byte order; ICMP/ICMPv6 code */
    uint8_t src[16];      /* IPv4: first 4 bytes, rest zero */
    uint8_t dst[16];      /* IPv4: first 4 bytes, rest zero */
    size_t ip_len;        /* length of the IP packet per its own header (<= len given) */
    size_t l4_offset;     /* offset of the upper-layer header (== ip_len if none) */
} ivpn_flow;

/*
 * Parse the IP header(s) at pkt[0..len) into *out (fully overwritten, also on error).
 * Bytes after the length the IP header declares (link padding) are ignored.
 * Returns:
 *   IPSECVPN_OK
 *   IPSECVPN_ERR_INVALID_ARG   pkt or out is NULL
 *   IPSECVPN_ERR_ESP_SHORT     shorter than its IP header, its declared length, an extension
 *                              header, or the 4 port bytes / 2 ICMP bytes of a first fragment
 *   IPSECVPN_ERR_ESP_MALFORMED version not 4 or 6, IPv4 IHL < 5 or total length < IHL,
 *                              IPv6 payload length 0 (jumbograms unsupported) with a next
 *                              header other than 59, too many IPv6 extension headers
 */
int ivpn_ip_flow(const uint8_t *pkt, size_t len, ivpn_flow *out);

/* Address length in bytes for a flow family: 4, 16, or 0 for an unknown family. */
size_t ivpn_flow_addr_len(uint8_t family);

#endif
