/*
 * Inbound selector check (RFC 4301 §5.2 step 4): a packet that came out of an SA must lie
 * within that SA's traffic selectors, or a peer could inject traffic for networks it was not
 * given. Tunnel mode reads the inner IP packet (ip_parse.c); transport mode has only the
 * payload, its protocol and the SA's own addresses.
 */
#include <string.h>

#include "esp/esp_internal.h"
#include "esp/ip_parse.h"
#include "esp/selector.h"

/* Protocols whose selectors carry ports (RFC 4301 §4.4.1.1 and the kernel's XFRM:
 * TCP, UDP, DCCP, SCTP, UDP-Lite ports; ICMP, ICMPv6 type/code; MH type). */
static bool proto_has_ports(uint8_t proto)
{
    static const uint8_t with_ports[] = {6, 17, 33, 132, 136, 1, 58, 135};
    for (size_t i = 0; i < sizeof(with_ports); i++)
        if (with_ports[i] == proto)
            return true;
    return false;
}

static bool any_port(uint16_t lo, uint16_t hi)
{
    return lo == 0 && hi == 0xFFFF;
}

int ivpn_prefix_check(const ipsecvpn_ctx *ctx, const ipsecvpn_ip_prefix *p, const char *where,
                      const char *side)
{
    unsigned max_len;
    if (p->family == IPSECVPN_IPV4) {
        max_len = 32;
    } else if (p->family == IPSECVPN_IPV6) {
        max_len = 128;
    } else {
        IVPN_LOG_WARN(ctx, "%s.%s.family: must be 4 or 6, got %u", where, side, p->family);
        return IPSECVPN_ERR_CONFIG_SYNTAX;
    }
    if (p->prefix_len > max_len) {
        IVPN_LOG_WARN(ctx, "%s.%s.prefix_len: must be 0..%u, got %u", where, side, max_len,
                      p->prefix_len);
        return IPSECVPN_ERR_CONFIG_RANGE;
    }
    return IPSECVPN_OK;
}

int ivpn_selector_check(const ipsecvpn_ctx *ctx, const ipsecvpn_selector *s, const char *where)
{
    int rc = ivpn_prefix_check(ctx, &s->local, where, "local");
    if (rc == IPSECVPN_OK)
        rc = ivpn_prefix_check(ctx, &s->remote, where, "remote");
    if (rc != IPSECVPN_OK)
        return rc;
    if (s->local.family != s->remote.family) {
        IVPN_LOG_WARN(ctx, "%s.remote.family: must equal local's (%u), got %u", where,
                      s->local.family, s->remote.family);
        return IPSECVPN_ERR_CONFIG_FAMILY;
    }
    bool local_bad = s->local_port_min > s->local_port_max;
    if (local_bad || s->remote_port_min > s->remote_port_max) {
        IVPN_LOG_WARN(ctx, "%s.%s_port: min must not exceed max, got %u..%u", where,
                      local_bad ? "local" : "remote",
                      local_bad ? s->local_port_min : s->remote_port_min,
                      local_bad ? s->local_port_max : s->remote_port_max);
        return IPSECVPN_ERR_CONFIG_RANGE;
    }
    if (!proto_has_ports(s->proto) && (!any_port(s->local_port_min, s->local_port_max) ||
                                       !any_port(s->remote_port_min, s->remote_port_max))) {
        IVPN_LOG_WARN(ctx, "%s.proto: port ranges need a protocol with ports, got %u", where,
                      s->proto);
        return IPSECVPN_ERR_CONFIG_CONFLICT;
    }
    return IPSECVPN_OK;
}

void ivpn_prefix_normalise(ipsecvpn_ip_prefix *p)
{
    unsigned bits = p->prefix_len;
    for (size_t i = 0; i < 16; i++) {
        unsigned b = bits >= 8 ? 8 : bits;
        p->addr[i] &= (uint8_t)(0xff00u >> b);
        bits -= b;
    }
}

static bool prefix_match(const uint8_t *addr, const ipsecvpn_ip_prefix *p)
{
    unsigned full = p->prefix_len / 8, rest = p->prefix_len % 8;

    if (memcmp(addr, p->addr, full) != 0)
        return false;
    if (rest == 0)
        return true;
    return ((addr[full] ^ p->addr[full]) & (uint8_t)(0xFF << (8 - rest))) == 0;
}

static bool port_match(uint16_t port, bool opaque, uint16_t lo, uint16_t hi)
{
    if (any_port(lo, hi))
        return true;
    return !opaque && port >= lo && port <= hi;
}

bool ivpn_selector_match(const ipsecvpn_selector *s, const ivpn_flow *f, bool outbound)
{
    const uint8_t *local_addr = outbound ? f->src : f->dst;
    const uint8_t *remote_addr = outbound ? f->dst : f->src;
    uint16_t local_port = outbound ? f->sport : f->dport;
    uint16_t remote_port = outbound ? f->dport : f->sport;

    return s->local.family == f->family &&
           (s->proto == IPSECVPN_PROTO_ANY || s->proto == f->proto) &&
           prefix_match(local_addr, &s->local) && prefix_match(remote_addr, &s->remote) &&
           port_match(local_port, f->ports_opaque, s->local_port_min, s->local_port_max) &&
           port_match(remote_port, f->ports_opaque, s->remote_port_min, s->remote_port_max);
}

/* Transport mode: the flow from the SA's addresses and the payload's first bytes. A payload
 * too short for its ports has OPAQUE ports: only "any port" selectors match it. */
static void transport_flow(const ipsecvpn_esp_sa *sa, const uint8_t *payload, size_t len,
                           uint8_t proto, ivpn_flow *f)
{
    memset(f, 0, sizeof(*f));
    f->family = sa->remote.family;
    f->proto = proto;
    memcpy(f->src, sa->remote.bytes, 16);
    memcpy(f->dst, sa->local.bytes, 16);
    f->ip_len = len;
    switch (proto) {
    case 6: case 17: case 33: case 132: case 136: /* TCP, UDP, DCCP, SCTP, UDP-Lite */
        f->ports_opaque = len < 4;
        if (len >= 4) {
            f->sport = ivpn_get16(payload);
            f->dport = ivpn_get16(payload + 2);
        }
        break;
    case 1: case 58: /* ICMP, ICMPv6: type and code */
        f->ports_opaque = len < 2;
        if (len >= 2) {
            f->sport = payload[0];
            f->dport = payload[1];
        }
        break;
    case 135: /* IPv6 Mobility Header: MH type, as ip_parse.c reads it in tunnel mode */
        f->ports_opaque = len < 3;
        if (len >= 3)
            f->sport = payload[2];
        break;
    default:
        break;
    }
}

int ivpn_esp_check_inner(const ipsecvpn_esp_sa *sa, const uint8_t *inner, size_t len,
                         uint8_t next_header, size_t *ip_len)
{
    ivpn_flow flow;

    *ip_len = len;
    if (sa->mode == IPSECVPN_ESP_MODE_TUNNEL) {
        uint8_t want = next_header == IVPN_NH_IPV4 ? IVPN_FLOW_IPV4
                     : next_header == IVPN_NH_IPV6 ? IVPN_FLOW_IPV6 : 0;
        if (want == 0 || ivpn_ip_flow(inner, len, &flow) != IPSECVPN_OK || flow.family != want)
            return IPSECVPN_ERR_ESP_MALFORMED;
        *ip_len = flow.ip_len;
    } else {
        transport_flow(sa, inner, len, next_header, &flow);
    }
    if (sa->selector_count == 0)
        return IPSECVPN_OK;
    for (size_t i = 0; i < sa->selector_count; i++)
        if (ivpn_selector_match(&sa->selectors[i], &flow, false))
            return IPSECVPN_OK;
    return IPSECVPN_ERR_ESP_SELECTOR;
}
