/*
 * host_net: the POSIX side of the example host -- addresses in the library's binary form,
 * UDP sockets, the Linux TUN device and its addresses and routes.
 */
#ifndef HOST_NET_H
#define HOST_NET_H

#include <ipsecvpn/net.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Parse "192.0.2.1" or "2001:db8::1". Returns 0 or -1. */
int host_addr_parse(const char *text, ipsecvpn_ip_addr *out);
/* Parse "10.0.0.0/24" (a bare address is a host prefix). Returns 0 or -1. */
int host_prefix_parse(const char *text, ipsecvpn_ip_prefix *out);
/* Format an address / an endpoint ("addr:port", "[v6]:port") / a prefix into buf. */
const char *host_addr_str(const ipsecvpn_ip_addr *a, char *buf, size_t len);
const char *host_endpoint_str(const ipsecvpn_endpoint *ep, char *buf, size_t len);
const char *host_prefix_str(const ipsecvpn_ip_prefix *p, char *buf, size_t len);

/* Convert between ipsecvpn_endpoint and struct sockaddr_storage. */
socklen_t host_endpoint_to_sockaddr(const ipsecvpn_endpoint *ep, struct sockaddr_storage *ss);
int host_endpoint_from_sockaddr(const struct sockaddr_storage *ss, ipsecvpn_endpoint *ep);

/*
 * A non-blocking UDP socket bound to local:port. No UDP_ENCAP option: ESP-in-UDP arrives as
 * ordinary datagrams and the library tells it from IKE. Returns the fd or -1 (errno set).
 */
int host_udp_open(const ipsecvpn_ip_addr *local, uint16_t port);

/*
 * Open a TUN device (IFF_TUN | IFF_NO_PI, non-blocking). @p name may be empty for a kernel
 * chosen name; the actual name is written back (IFNAMSIZ bytes). Returns the fd or -1.
 */
int host_tun_open(char *name);
/* Bring the device up with @p mtu and give it @p addr as a host address (/32 or /128). */
int host_tun_configure(const char *name, unsigned mtu, const ipsecvpn_ip_addr *addr);
/* Route @p prefix into the device, preferring @p src as the source address (may be NULL). */
int host_tun_route(const char *name, const ipsecvpn_ip_prefix *prefix,
                   const ipsecvpn_ip_addr *src);

#endif
