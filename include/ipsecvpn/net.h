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
