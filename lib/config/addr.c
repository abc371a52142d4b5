/* IPv4/IPv6 addresses, CIDR prefixes and IKE identities: strict parsers, canonical text. */
#include "config/addr.h"

#include <stdio.h>
#include <string.h>

#include "ipsecvpn/common.h"

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Dotted quad in s[0..len): four parts 0..255, 1..3 digits, no leading zero. */
static bool parse_v4(const char *s, size_t len, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= len || s[i] != '.')
                return false;
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < len && is_digit(s[i]) && i - start < 3)
            v = v * 10 + (unsigned)(s[i++] - '0');
        size_t digits = i - start;
        if (digits == 0 || v > 255 || (digits > 1 && s[start] == '0'))
            return false;
        out[part] = (uint8_t)v;
    }
    return i == len;
}

/* RFC 4291 text in s[0..len). */
static bool parse_v6(const char *s, size_t len, uint8_t out[16])
{
    uint16_t groups[8] = {0};
    int n = 0, gap = -1; /* gap: index in groups where "::" stands */
    size_t i = 0;
    bool v4_tail = false;
    uint8_t v4[4];

    if (len >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
        if (i == len)
            goto done;
    } else if (len >= 1 && s[0] == ':') {
        return false;
    }
    for (;;) {
        /* one group, or an IPv4 tail */
        size_t start = i;
        unsigned v = 0;
        while (i < len && hex_value(s[i]) >= 0 && i - start < 5)
            v = v * 16 + (unsigned)hex_value(s[i++]);
        if (i < len && s[i] == '.') {
            /* the rest is a dotted IPv4 address: it takes two groups */
            if (n > 6 || !parse_v4(s + start, len - start, v4))
                return false;
            v4_tail = true;
            groups[n++] = (uint16_t)(v4[0] << 8 | v4[1]);
            groups[n++] = (uint16_t)(v4[2] << 8 | v4[3]);
            break;
        }
        if (i - start == 0 || i - start > 4 || n >= 8)
            return false;
        groups[n++] = (uint16_t)v;
        if (i == len)
            break;
        if (s[i] != ':')
            return false;
        i++;
        if (i < len && s[i] == ':') {
            if (gap >= 0)
                return false; /* a second "::" */
            gap = n;
            i++;
            if (i == len)
                break;
        } else if (i == len) {
            return false; /* trailing single ':' */
        }
    }
done:
    (void)v4_tail;
    if (gap < 0 && n != 8)
        return false;
    if (gap >= 0 && n > 7)
        return false; /* "::" must stand for at least one zero group */
    uint16_t full[8] = {0};
    if (gap < 0) {
        memcpy(full, groups, sizeof(full));
    } else {
        int tail = n - gap;
        for (int k = 0; k < gap; k++)
            full[k] = groups[k];
        for (int k = 0; k < tail; k++)
            full[8 - tail + k] = groups[gap + k];
    }
    for (int k = 0; k < 8; k++) {
        out[2 * k] = (uint8_t)(full[k] >> 8);
        out[2 * k + 1] = (uint8_t)full[k];
    }
    return true;
}

int ivpn_ip_parse(const char *text, ivpn_ip *out)
{
    if (!text || !out)
        return IPSECVPN_ERR_CONFIG_SYNTAX;
    size_t len = strlen(text);
    ivpn_ip ip;
    memset(&ip, 0, sizeof(ip));
    if (len > 0 && len < IVPN_IP_TEXT_MAX && memchr(text, ':', len)) {
        if (!parse_v6(text, len, ip.addr))
            return IPSECVPN_ERR_CONFIG_SYNTAX;
        ip.family = 6;
    } else if (len > 0 && len <= 15 && parse_v4(text, len, ip.addr)) {
        ip.family = 4;
    } else {
        return IPSECVPN_ERR_CONFIG_SYNTAX;
    }
    *out = ip;
    return IPSECVPN_OK;
}

/* snprintf-like result handling shared by the formatters. */
static size_t finish(char *buf, size_t len, const char *tmp, size_t n)
{
    if (n < len) {
        memcpy(buf, tmp, n + 1);
    } else if (len > 0) {
        buf[0] = '\0';
    }
    return n;
}

size_t ivpn_ip_format(const ivpn_ip *ip, char *buf, size_t len)
{
    char tmp[IVPN_IP_TEXT_MAX];
    size_t n = 0;
    if (!ip || ip->family == 0) {
        tmp[0] = '\0';
    } else if (ip->family == 4) {
        n = (size_t)snprintf(tmp, sizeof(tmp), "%u.%u.%u.%u", ip->addr[0], ip->addr[1],
                             ip->addr[2], ip->addr[3]);
    } else {
        uint16_t g[8];
        for (int k = 0; k < 8; k++)
            g[k] = (uint16_t)(ip->addr[2 * k] << 8 | ip->addr[2 * k + 1]);
        static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(ip->addr, mapped_prefix, 12) == 0) {
            n = (size_t)snprintf(tmp, sizeof(tmp), "::ffff:%u.%u.%u.%u", ip->addr[12],
                                 ip->addr[13], ip->addr[14], ip->addr[15]);
            return finish(buf, len, tmp, n);
        }
        /* RFC 5952 §4.2: the longest run (>= 2) of zero groups, the first on a tie */
        int best = -1, best_len = 1;
        for (int k = 0; k < 8;) {
            if (g[k] != 0) {
                k++;
                continue;
            }
            int e = k;
            while (e < 8 && g[e] == 0)
                e++;
            if (e - k > best_len) {
                best = k;
                best_len = e - k;
            }
            k = e;
        }
        for (int k = 0; k < 8; k++) {
            if (k == best) {
                n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "::");
                k += best_len - 1;
                continue;
            }
            bool after_gap = best >= 0 && k == best + best_len;
            n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "%s%x",
                                  (k == 0 || after_gap) ? "" : ":", g[k]);
        }
    }
    return finish(buf, len, tmp, n);
}

bool ivpn_ip_equal(const ivpn_ip *a, const ivpn_ip *b)
{
    size_t n = a->family == 4 ? 4 : 16;
    return a->family == b->family && memcmp(a->addr, b->addr, n) == 0;
}

static unsigned max_prefix(const ivpn_ip *ip) { return ip->family == 4 ? 32u : 128u; }

/* Whether bit positions prefix..max are all zero. */
static bool host_bits_zero(const ivpn_ip *ip, unsigned prefix)
{
    unsigned bits = max_prefix(ip);
    for (unsigned b = prefix; b < bits; b++)
        if (ip->addr[b / 8] & (0x80u >> (b % 8)))
            return false;
    return true;
}

int ivpn_cidr_parse(const char *text, ivpn_cidr *out)
{
    if (!text || !out)
        return IPSECVPN_ERR_CONFIG_SYNTAX;
    const char *slash = strchr(text, '/');
    if (!slash || (size_t)(slash - text) >= IVPN_IP_TEXT_MAX)
        return IPSECVPN_ERR_CONFIG_SYNTAX;
    char addr[IVPN_IP_TEXT_MAX];
    memcpy(addr, text, (size_t)(slash - text));
    addr[slash - text] = '\0';
    ivpn_cidr c;
    memset(&c, 0, sizeof(c));
    if (ivpn_ip_parse(addr, &c.ip) != IPSECVPN_OK)
        return IPSECVPN_ERR_CONFIG_SYNTAX;
    const char *p = slash + 1;
    size_t digits = strlen(p);
    if (digits == 0 || digits > 3 || (digits > 1 && p[0] == '0'))
        return IPSECVPN_ERR_CONFIG_SYNTAX;
    unsigned prefix = 0;
    for (size_t i = 0; i < digits; i++) {
        if (!is_digit(p[i]))
            return IPSECVPN_ERR_CONFIG_SYNTAX;
        prefix = prefix * 10 + (unsigned)(p[i] - '0');
    }
    if (prefix > max_prefix(&c.ip))
        return IPSECVPN_ERR_CONFIG_SYNTAX;
    if (!host_bits_zero(&c.ip, prefix))
        return IPSECVPN_ERR_CONFIG_RANGE;
    c.prefix = (uint8_t)prefix;
    *out = c;
    return IPSECVPN_OK;
}

size_t ivpn_cidr_format(const ivpn_cidr *cidr, char *buf, size_t len)
{
    char tmp[IVPN_CIDR_TEXT_MAX];
    size_t n = 0;
    if (cidr && cidr->ip.family != 0) {
        n = ivpn_ip_format(&cidr->ip, tmp, sizeof(tmp));
        n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "/%u", cidr->prefix);
    } else {
        tmp[0] = '\0';
    }
    return finish(buf, len, tmp, n);
}

bool ivpn_cidr_contains(const ivpn_cidr *net, const ivpn_ip *ip)
{
    if (!net || !ip || net->ip.family == 0 || net->ip.family != ip->family)
        return false;
    unsigned full = net->prefix / 8, rest = net->prefix % 8;
    if (memcmp(net->ip.addr, ip->addr, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xFFu << (8 - rest));
    return (net->ip.addr[full] & mask) == (ip->addr[full] & mask);
}

static void fill_host_bits(const ivpn_cidr *net, ivpn_ip *out, bool ones)
{
    *out = net->ip;
    unsigned bits = max_prefix(&net->ip);
    for (unsigned b = net->prefix; b < bits; b++) {
        uint8_t bit = (uint8_t)(0x80u >> (b % 8));
        if (ones)
            out->addr[b / 8] |= bit;
        else
            out->addr[b / 8] &= (uint8_t)~bit;
    }
}

void ivpn_cidr_first(const ivpn_cidr *net, ivpn_ip *out) { fill_host_bits(net, out, false); }
void ivpn_cidr_last(const ivpn_cidr *net, ivpn_ip *out) { fill_host_bits(net, out, true); }

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool ivpn_fqdn_valid(const char *s, size_t len)
{
    if (len == 0 || len > 253)
        return false;
    size_t label_start = 0;
    bool all_digits = true;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            size_t l = i - label_start;
            if (l == 0 || l > 63 || s[label_start] == '-' || s[i - 1] == '-')
                return false;
            if (i == len && all_digits)
                return false; /* last label numeric: looks like an address, not a name */
            label_start = i + 1;
            all_digits = true;
            continue;
        }
        if (!is_alnum(s[i]) && s[i] != '-')
            return false;
        if (!is_digit(s[i]))
            all_digits = false;
    }
    return true;
}

static bool local_part_valid(const char *s, size_t len)
{
    if (len == 0 || len > 64)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == '@' || c == '"' || c == '\\' || c == ',')
            return false;
    }
    return true;
}

int ivpn_identity_parse(const char *text, ivpn_identity *out)
{
    if (!text || !out)
        return IPSECVPN_ERR_CONFIG_SYNTAX;
    size_t len = strlen(text);
    if (len > IVPN_ID_MAX)
        return IPSECVPN_ERR_CONFIG_LENGTH;
    ivpn_identity id;
    memset(&id, 0, sizeof(id));
    ivpn_ip ip;
    const char *at = strchr(text, '@');
    if (len == 0) {
        id.type = IVPN_ID_NONE;
    } else if (ivpn_ip_parse(text, &ip) == IPSECVPN_OK) {
        id.type = ip.family == 4 ? IVPN_ID_IPV4 : IVPN_ID_IPV6;
        ivpn_ip_format(&ip, id.text, sizeof(id.text));
    } else if (len >= 2 && text[0] == '@' && text[1] == '#') {
        size_t hex = len - 2;
        if (hex == 0 || hex % 2 != 0)
            return IPSECVPN_ERR_CONFIG_SYNTAX;
        id.text[0] = '@';
        id.text[1] = '#';
        for (size_t i = 2; i < len; i++) {
            int v = hex_value(text[i]);
            if (v < 0)
                return IPSECVPN_ERR_CONFIG_SYNTAX;
            id.text[i] = "0123456789abcdef"[v];
        }
        id.type = IVPN_ID_KEY_ID;
    } else if (text[0] == '@') {
        if (!ivpn_fqdn_valid(text + 1, len - 1))
            return IPSECVPN_ERR_CONFIG_SYNTAX;
        id.type = IVPN_ID_FQDN;
        memcpy(id.text, text + 1, len); /* with the NUL */
    } else if (at) {
        size_t local = (size_t)(at - text);
        if (!local_part_valid(text, local) || !ivpn_fqdn_valid(at + 1, len - local - 1))
            return IPSECVPN_ERR_CONFIG_SYNTAX;
        id.type = IVPN_ID_RFC822;
        memcpy(id.text, text, len + 1);
    } else if (ivpn_fqdn_valid(text, len)) {
        id.type = IVPN_ID_FQDN;
        memcpy(id.text, text, len + 1);
    } else {
        return IPSECVPN_ERR_CONFIG_SYNTAX;
    }
    *out = id;
    return IPSECVPN_OK;
}
