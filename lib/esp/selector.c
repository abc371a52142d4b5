/*
 * Inbound selector check (RFC 4301 §5.2 step 4): a packet that came out of an SA must lie
 * within that SA's traffic selectors, or a peer could inject traffic for networks it was not
 * given. Tunnel mode reads the inner IP packet (ip_parse.c); transport mode has only the
 * payload, its protocol and the SA's own addresses.
 */
#include <string.h>

#include "esp/esp_internal.h"
#include "esp/ip_parse.h"

static bool prefix_match(const uint8_t *addr, const uint8_t *net, unsigned prefix)
{
    unsigned full = prefix / 8, rest = prefix % 8;

    if (memcmp(addr, net, full) != 0)
        return false;
    if (rest == 0)
        return true;
    return ((addr[full] ^ net[full]) & (uint8_t)(0xFF << (8 - rest))) == 0;
}

static bool any_port(uint16_t lo, uint16_t hi)
{
    return lo == 0 && (hi == 0 || hi == 0xFFFF);
}

static bool port_match(uint16_t port, bool opaque, uint16_t lo, uint16_t hi)
{
    if (any_port(lo, hi))
        return true;
    return !opaque && port >= lo && port <= hi; /* OPAQUE ports match only "any" */
}

static bool selector_match(const ipsecvpn_esp_selector *s, const ivpn_flow *f)
{
    return s->remote.family == f->family &&
           prefix_match(f->src, s->remote.bytes, s->remote_prefix) &&
           prefix_match(f->dst, s->local.bytes, s->local_prefix) &&
           (s->proto == 0 || s->proto == f->proto) &&
           port_match(f->sport, f->ports_opaque, s->remote_port_min, s->remote_port_max) &&
           port_match(f->dport, f->ports_opaque, s->local_port_min, s->local_port_max);
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
        if (selector_match(&sa->selectors[i], &flow))
            return IPSECVPN_OK;
    return IPSECVPN_ERR_ESP_SELECTOR;
}
