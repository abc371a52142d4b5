/*
 * host_net: addresses, UDP sockets and the TUN device of the example host (Linux).
 * Addresses and routes are set with iproute2's `ip` (spawned without a shell): it is what an
 * administrator would type, and keeps netlink plumbing out of an example.
 */
#define _GNU_SOURCE /* struct ifreq, IFF_* with glibc */
#include "host_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int host_addr_parse(const char *text, ipsecvpn_ip_addr *out)
{
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, text, out->bytes) == 1) {
        out->family = IPSECVPN_IPV4;
        return 0;
    }
    if (inet_pton(AF_INET6, text, out->bytes) == 1) {
        out->family = IPSECVPN_IPV6;
        return 0;
    }
    return -1;
}

int host_prefix_parse(const char *text, ipsecvpn_ip_prefix *out)
{
    char addr[64];
    const char *slash = strchr(text, '/');
    size_t n = slash ? (size_t)(slash - text) : strlen(text);
    if (n >= sizeof(addr))
        return -1;
    memcpy(addr, text, n);
    addr[n] = '\0';
    ipsecvpn_ip_addr a;
    if (host_addr_parse(addr, &a) != 0)
        return -1;
    unsigned max = a.family == IPSECVPN_IPV4 ? 32 : 128, len = max;
    if (slash) {
        char *end;
        unsigned long v = strtoul(slash + 1, &end, 10);
        if (*end || end == slash + 1 || v > max)
            return -1;
        len = (unsigned)v;
    }
    memset(out, 0, sizeof(*out));
    out->family = a.family;
    out->prefix_len = (uint8_t)len;
    memcpy(out->addr, a.bytes, sizeof(out->addr));
    return 0;
}

const char *host_addr_str(const ipsecvpn_ip_addr *a, char *buf, size_t len)
{
    int af = a->family == IPSECVPN_IPV6 ? AF_INET6 : AF_INET;
    if (!a->family || !inet_ntop(af, a->bytes, buf, (socklen_t)len))
        snprintf(buf, len, "-");
    return buf;
}

const char *host_endpoint_str(const ipsecvpn_endpoint *ep, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN];
    host_addr_str(&ep->addr, a, sizeof(a));
    snprintf(buf, len, ep->addr.family == IPSECVPN_IPV6 ? "[%s]:%u" : "%s:%u", a, ep->port);
    return buf;
}

const char *host_prefix_str(const ipsecvpn_ip_prefix *p, char *buf, size_t len)
{
    ipsecvpn_ip_addr a = {.family = p->family};
    char s[INET6_ADDRSTRLEN];
    memcpy(a.bytes, p->addr, sizeof(a.bytes));
    snprintf(buf, len, "%s/%u", host_addr_str(&a, s, sizeof(s)), p->prefix_len);
    return buf;
}

socklen_t host_endpoint_to_sockaddr(const ipsecvpn_endpoint *ep, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (ep->addr.family == IPSECVPN_IPV6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(ep->port);
        memcpy(&s6->sin6_addr, ep->addr.bytes, 16);
        return sizeof(*s6);
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(ep->port);
    memcpy(&s4->sin_addr, ep->addr.bytes, 4);
    return sizeof(*s4);
}

int host_endpoint_from_sockaddr(const struct sockaddr_storage *ss, ipsecvpn_endpoint *ep)
{
    memset(ep, 0, sizeof(*ep));
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        ep->addr.family = IPSECVPN_IPV4;
        memcpy(ep->addr.bytes, &s4->sin_addr, 4);
        ep->port = ntohs(s4->sin_port);
        return 0;
    }
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        ep->addr.family = IPSECVPN_IPV6;
        memcpy(ep->addr.bytes, &s6->sin6_addr, 16);
        ep->port = ntohs(s6->sin6_port);
        return 0;
    }
    return -1;
}

int host_udp_open(const ipsecvpn_ip_addr *local, uint16_t port)
{
    ipsecvpn_endpoint ep = {.addr = *local, .port = port};
    struct sockaddr_storage ss;
    socklen_t sl = host_endpoint_to_sockaddr(&ep, &ss);
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int host_tun_open(char *name)
{
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    snprintf(name, IFNAMSIZ, "%s", ifr.ifr_name);
    return fd;
}

/* Run `ip ARGS...` and wait for it; 0 if it exited with 0. */
static int run_ip(char *const argv[])
{
    pid_t pid;
    if (posix_spawnp(&pid, "ip", NULL, NULL, argv, environ) != 0)
        return -1;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int host_tun_configure(const char *name, unsigned mtu, const ipsecvpn_ip_addr *addr)
{
    char mtu_s[16], addr_s[64], a[INET6_ADDRSTRLEN];
    snprintf(mtu_s, sizeof(mtu_s), "%u", mtu);
    char *up[] = {"ip", "link", "set", "dev", (char *)name, "up", "mtu", mtu_s, NULL};
    if (run_ip(up) != 0)
        return -1;
    if (!addr || !addr->family)
        return 0;
    snprintf(addr_s, sizeof(addr_s), "%s/%u", host_addr_str(addr, a, sizeof(a)),
             addr->family == IPSECVPN_IPV4 ? 32 : 128);
    char *add[] = {"ip", "addr", "add", addr_s, "dev", (char *)name, NULL};
    char *add6[] = {"ip", "addr", "add", addr_s, "dev", (char *)name, "nodad", NULL};
    return run_ip(addr->family == IPSECVPN_IPV6 ? add6 : add);
}

int host_tun_route(const char *name, const ipsecvpn_ip_prefix *prefix,
                   const ipsecvpn_ip_addr *src)
{
    char p[80], s[INET6_ADDRSTRLEN];
    host_prefix_str(prefix, p, sizeof(p));
    char *argv[] = {"ip", prefix->family == IPSECVPN_IPV6 ? "-6" : "-4", "route", "add", p,
                    "dev", (char *)name, NULL, NULL, NULL};
    if (src && src->family == prefix->family) {
        argv[7] = "src";
        argv[8] = (char *)host_addr_str(src, s, sizeof(s));
    }
    return run_ip(argv);
}
