/**
 * @file net.h
 * @brief Addresses, prefixes and endpoints in binary form, shared by every part of the API.
 *
 * No struct sockaddr anywhere: firmware without BSD sockets and FFI hosts can fill these
 * plain structs directly. Addresses are in network byte order; ports in host byte order.
 */
#ifndef IPSECVPN_NET_H
#define IPSECVPN_NET_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup net Addresses
 * @{
 */

/** IP version of an address or prefix. */
typedef enum ipsecvpn_ip_family {
    IPSECVPN_IPV4 = 4, /**< IPv4: 4 address bytes, prefix length 0..32 */
    IPSECVPN_IPV6 = 6  /**< IPv6: 16 address bytes, prefix length 0..128 */
} ipsecvpn_ip_family;

/** An IP address. */
typedef struct ipsecvpn_ip_addr {
    uint8_t family;     /**< an ::ipsecvpn_ip_family, or 0 for no address */
    uint8_t bytes[16];  /**< network byte order; IPv4 uses the first 4 bytes */
} ipsecvpn_ip_addr;

/** An address prefix (CIDR). */
typedef struct ipsecvpn_ip_prefix {
    uint8_t family;     /**< an ::ipsecvpn_ip_family */
    uint8_t prefix_len; /**< number of leading bits that must match */
    uint8_t addr[16];   /**< network byte order; IPv4 uses the first 4 bytes. Bits after
                             @c prefix_len are ignored (the SPD stores them cleared). */
} ipsecvpn_ip_prefix;

/** Protocol value meaning "any protocol" in a selector. */
#define IPSECVPN_PROTO_ANY 0

/**
 * @brief Which packets a policy or an SA covers, seen from this host. Every field must match.
 *
 * @c local is this side's network, @c remote the peer's. Port ranges are inclusive; any port
 * is 0..65535 (there is no other spelling of "any", so a selector for ICMP echo reply,
 * type 0 code 0, is 0..0). Ports follow the Linux XFRM convention for ICMP: the type is the
 * sender's "port" and the code the receiver's, so an outbound ICMP type sits in the local
 * range and an inbound one in the remote range.
 */
typedef struct ipsecvpn_selector {
    ipsecvpn_ip_prefix local;  /**< local address prefix (our side of the tunnel) */
    ipsecvpn_ip_prefix remote; /**< remote address prefix; same family as @c local */
    uint8_t proto;             /**< IP protocol number, ::IPSECVPN_PROTO_ANY for all */
    uint16_t local_port_min;   /**< first local port (host byte order) */
    uint16_t local_port_max;   /**< last local port; 0..65535 for any */
    uint16_t remote_port_min;  /**< first remote port */
    uint16_t remote_port_max;  /**< last remote port; 0..65535 for any */
} ipsecvpn_selector;

/** A UDP endpoint: address and port. */
typedef struct ipsecvpn_endpoint {
    ipsecvpn_ip_addr addr; /**< the address */
    uint16_t port;         /**< UDP port, host byte order */
} ipsecvpn_endpoint;
/** @} */

#ifdef __cplusplus
}
#endif
#endif
