/*
 * IPv4/IPv6 flow extraction (see ip_parse.h). Two steps: the network layer finds the
 * upper-layer protocol, its offset and whether this is a non-first fragment; then one table
 * says how that protocol's first bytes map onto (sport, dport).
 */
#include "esp/ip_parse.h"

#include <string.h>

#include "ipsecvpn/common.h"

/* IPv6 next-header values (IANA "Assigned Internet Protocol Numbers"). */
enum {
    IP6_HOPOPTS = 0,
    IP6_ROUTING = 43,
    IP6_FRAGMENT = 44,
    IP6_ESP = 50,
    IP6_AH = 51,
    IP6_NONE = 59,
    IP6_DSTOPTS = 60,
    IP6_HIP = 139,
    IP6_SHIM6 = 140,
};

/* How the first bytes of an upper-layer header become the selector's "ports". */
typedef enum port_kind {
    PORTS_NONE = 0,   /* no ports: both 0 */
    PORTS_L4,         /* 16-bit source port, 16-bit destination port */
    PORTS_TYPE_CODE,  /* ICMP/ICMPv6: 8-bit type, 8-bit code */
    PORTS_MH_TYPE,    /* IPv6 Mobility Header: MH type at byte 2 */
} port_kind;

static port_kind port_kind_of(uint8_t proto)
{
    switch (proto) {
    case 6:   /* TCP */
    case 17:  /* UDP */
    case 33:  /* DCCP */
    case 132: /* SCTP */
    case 136: /* UDP-Lite */
        return PORTS_L4;
    case 1:   /* ICMP */
    case 58:  /* ICMPv6 */
        return PORTS_TYPE_CODE;
    case 135: /* Mobility Header */
        return PORTS_MH_TYPE;
    default:
        return PORTS_NONE;
    }
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

size_t ivpn_flow_addr_len(uint8_t family)
{
    return family == IVPN_FLOW_IPV4 ? 4 : family == IVPN_FLOW_IPV6 ? 16 : 0;
}

/* IPv4: fills addresses, proto, fragment flags, ip_len and l4_offset. */
static int parse_ipv4(const uint8_t *pkt, size_t len, ivpn_flow *out)
{
    if (len < 20)
        return IPSECVPN_ERR_ESP_SHORT;
    size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
    size_t total = rd16(pkt + 2);
    if (ihl < 20 || total < ihl)
        return IPSECVPN_ERR_ESP_MALFORMED;
    if (total > len)
        return IPSECVPN_ERR_ESP_SHORT;
    uint16_t frag = rd16(pkt + 6);
    uint16_t offset = frag & 0x1fff;
    int more_fragments = (frag & 0x2000) != 0;

    out->family = IVPN_FLOW_IPV4;
    out->proto = pkt[9];
    memcpy(out->src, pkt + 12, 4);
    memcpy(out->dst, pkt + 16, 4);
    out->ip_len = total;
    out->l4_offset = ihl;
    out->is_fragment = (uint8_t)(offset != 0 || more_fragments);
    out->ports_opaque = (uint8_t)(offset != 0);
    return IPSECVPN_OK;
}

/* Length of a generic IPv6 extension header starting at p (2 bytes available). */
static size_t ext_len(uint8_t nh, const uint8_t *p)
{
    if (nh == IP6_AH)
        return ((size_t)p[1] + 2) * 4; /* RFC 4302: in 4-octet units, minus 2 */
    if (nh == IP6_FRAGMENT)
        return 8;                      /* fixed size; its second byte is reserved */
    return ((size_t)p[1] + 1) * 8;     /* RFC 8200: in 8-octet units, minus 1 */
}

static int is_ext_header(uint8_t nh)
{
    return nh == IP6_HOPOPTS || nh == IP6_ROUTING || nh == IP6_FRAGMENT || nh == IP6_DSTOPTS ||
           nh == IP6_AH || nh == IP6_HIP || nh == IP6_SHIM6;
}

static int parse_ipv6(const uint8_t *pkt, size_t len, ivpn_flow *out)
{
    if (len < 40)
        return IPSECVPN_ERR_ESP_SHORT;
    size_t plen = rd16(pkt + 4);
    uint8_t nh = pkt[6];
    if (plen == 0 && nh != IP6_NONE)
        return IPSECVPN_ERR_ESP_MALFORMED; /* jumbogram (RFC 2675) or nonsense */
    size_t end = 40 + plen;
    if (end > len)
        return IPSECVPN_ERR_ESP_SHORT;

    out->family = IVPN_FLOW_IPV6;
    memcpy(out->src, pkt + 8, 16);
    memcpy(out->dst, pkt + 24, 16);
    out->ip_len = end;

    size_t off = 40;
    unsigned count = 0;
    while (is_ext_header(nh)) {
        if (++count > IVPN_IP_MAX_EXT_HEADERS)
            return IPSECVPN_ERR_ESP_MALFORMED;
        if (end - off < 2)
            return IPSECVPN_ERR_ESP_SHORT;
        size_t hlen = ext_len(nh, pkt + off);
        if (end - off < hlen)
            return IPSECVPN_ERR_ESP_SHORT;
        if (nh == IP6_FRAGMENT) {
            uint16_t frag = rd16(pkt + off + 2);
            out->is_fragment = 1;
            if ((frag & 0xfff8) != 0) { /* offset != 0: the rest is not a header */
                out->ports_opaque = 1;
                out->proto = pkt[off];
                out->l4_offset = off + hlen;
                return IPSECVPN_OK;
            }
        }
        nh = pkt[off];
        off += hlen;
    }
    out->proto = nh;
    out->l4_offset = off;
    return IPSECVPN_OK;
}

/* Reads the selector "ports" of the upper-layer header; leaves them 0 if it has none. */
static int parse_ports(const uint8_t *pkt, ivpn_flow *out)
{
    if (out->ports_opaque)
        return IPSECVPN_OK;
    const uint8_t *l4 = pkt + out->l4_offset;
    size_t avail = out->ip_len - out->l4_offset;
    switch (port_kind_of(out->proto)) {
    case PORTS_L4:
        if (avail < 4)
            return IPSECVPN_ERR_ESP_SHORT;
        out->sport = rd16(l4);
        out->dport = rd16(l4 + 2);
        break;
    case PORTS_TYPE_CODE:
        if (avail < 2)
            return IPSECVPN_ERR_ESP_SHORT;
        out->sport = l4[0];
        out->dport = l4[1];
        break;
    case PORTS_MH_TYPE:
        if (avail < 3)
            return IPSECVPN_ERR_ESP_SHORT;
        out->sport = l4[2];
        break;
    case PORTS_NONE:
        break;
    }
    return IPSECVPN_OK;
}

int ivpn_ip_flow(const uint8_t *pkt, size_t len, ivpn_flow *out)
{
    if (out == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    memset(out, 0, sizeof(*out));
    if (pkt == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    if (len < 1)
        return IPSECVPN_ERR_ESP_SHORT;

    int rc;
    switch (pkt[0] >> 4) {
    case 4:
        rc = parse_ipv4(pkt, len, out);
        break;
    case 6:
        rc = parse_ipv6(pkt, len, out);
        break;
    default:
        rc = IPSECVPN_ERR_ESP_MALFORMED;
        break;
    }
    if (rc == IPSECVPN_OK)
        rc = parse_ports(pkt, out);
    if (rc != IPSECVPN_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}
