/*
 * Traffic selector sets: ranges of addresses with a protocol and a port range.
 */
#include <string.h>

#include "ike/common/ts.h"

static size_t alen(uint8_t family) { return family == 6 ? 16 : 4; }

int ivpn_ts_set_copy(const ipsecvpn_ctx *ctx, const ivpn_ts_set *src, ivpn_ts_set *dst)
{
    ivpn_ts *ts = NULL;
    if (src->n) {
        ts = ivpn_malloc(ctx, (size_t)src->n * sizeof(*ts));
        if (!ts)
            return IPSECVPN_ERR_NOMEM;
        memcpy(ts, src->ts, (size_t)src->n * sizeof(*ts));
    }
    dst->ts = ts;
    dst->n = dst->cap = src->n;
    return IPSECVPN_OK;
}

void ivpn_ts_set_free(const ipsecvpn_ctx *ctx, ivpn_ts_set *s)
{
    ivpn_free(ctx, s->ts);
    s->ts = NULL;
    s->n = s->cap = 0;
}

bool ivpn_ts_set_equal(const ivpn_ts_set *a, const ivpn_ts_set *b)
{
    return a->n == b->n && (a->n == 0 || memcmp(a->ts, b->ts, (size_t)a->n * sizeof(ivpn_ts)) == 0);
}

/* Room for one more selector in a set being built. */
static bool room(const ivpn_ts_set *s) { return s->ts && s->n < s->cap; }

static int cmp(const uint8_t *a, const uint8_t *b, size_t n) { return memcmp(a, b, n); }

static void cidr_range(const ivpn_cidr *c, ivpn_ts *t)
{
    memset(t, 0, sizeof(*t));
    t->family = c->ip.family;
    t->port_hi = 0xffff;
    size_t n = alen(t->family);
    for (size_t i = 0; i < n; i++) {
        unsigned bits = c->prefix > i * 8 ? (c->prefix - i * 8 >= 8 ? 8 : c->prefix - i * 8) : 0;
        uint8_t mask = (uint8_t)(0xff00 >> bits);
        t->lo[i] = c->ip.addr[i] & mask;
        t->hi[i] = (uint8_t)(c->ip.addr[i] | (uint8_t)~mask);
    }
}

void ivpn_ts_from_config(const ivpn_connection_values *v, bool local, ivpn_ts_set *out)
{
    out->n = 0;
    if (v->routing_mode == IVPN_ROUTING_PROTECTED_FLOWS) {
        uint8_t n = local ? v->n_local_cidrs : v->n_remote_cidrs;
        const ivpn_cidr *c = local ? v->local_cidrs : v->remote_cidrs;
        for (uint8_t i = 0; i < n && room(out); i++)
            cidr_range(&c[i], &out->ts[out->n++]);
        if (out->n)
            return;
    }
    if (!room(out))
        return;
    ivpn_cidr all;
    memset(&all, 0, sizeof(all));
    all.ip.family = v->local_address.family == 6 ? 6 : 4;
    cidr_range(&all, &out->ts[0]);
    out->n = 1;
}

void ivpn_ts_to_wire(const ivpn_ts_set *s, ivpn_ikev2_ts *out)
{
    memset(out, 0, sizeof(*out));
    for (uint8_t i = 0; i < s->n && i < IVPN_IKEV2_MAX_SELECTORS; i++) {
        const ivpn_ts *t = &s->ts[i];
        ivpn_ikev2_selector *w = &out->sel[out->count++];
        w->type = t->family == 6 ? IVPN_IKEV2_TS_IPV6_ADDR_RANGE : IVPN_IKEV2_TS_IPV4_ADDR_RANGE;
        w->ip_proto = t->proto;
        w->start_port = t->port_lo;
        w->end_port = t->port_hi;
        memcpy(w->start_addr, t->lo, 16);
        memcpy(w->end_addr, t->hi, 16);
    }
}

void ivpn_ts_from_wire(const ivpn_ikev2_ts *w, ivpn_ts_set *out)
{
    out->n = 0;
    for (uint8_t i = 0; i < w->count && room(out); i++) {
        const ivpn_ikev2_selector *s = &w->sel[i];
        if (s->type != IVPN_IKEV2_TS_IPV4_ADDR_RANGE && s->type != IVPN_IKEV2_TS_IPV6_ADDR_RANGE)
            continue; /* unknown selector types are ignored (narrowed away) */
        ivpn_ts *t = &out->ts[out->n];
        memset(t, 0, sizeof(*t));
        t->family = s->type == IVPN_IKEV2_TS_IPV6_ADDR_RANGE ? 6 : 4;
        t->proto = s->ip_proto;
        t->port_lo = s->start_port;
        t->port_hi = s->end_port;
        size_t n = alen(t->family);
        memcpy(t->lo, s->start_addr, n);
        memcpy(t->hi, s->end_addr, n);
        if (cmp(t->lo, t->hi, n) > 0 || t->port_lo > t->port_hi)
            continue; /* an empty range selects nothing */
        out->n++;
    }
}

/* a ∩ b into out; false when empty. */
static bool intersect(const ivpn_ts *a, const ivpn_ts *b, ivpn_ts *out)
{
    if (a->family != b->family)
        return false;
    if (a->proto && b->proto && a->proto != b->proto)
        return false;
    size_t n = alen(a->family);
    memset(out, 0, sizeof(*out));
    out->family = a->family;
    out->proto = a->proto ? a->proto : b->proto;
    out->port_lo = a->port_lo > b->port_lo ? a->port_lo : b->port_lo;
    out->port_hi = a->port_hi < b->port_hi ? a->port_hi : b->port_hi;
    memcpy(out->lo, cmp(a->lo, b->lo, n) > 0 ? a->lo : b->lo, n);
    memcpy(out->hi, cmp(a->hi, b->hi, n) < 0 ? a->hi : b->hi, n);
    return out->port_lo <= out->port_hi && cmp(out->lo, out->hi, n) <= 0;
}

void ivpn_ts_narrow(const ivpn_ts_set *offered, const ivpn_ts_set *ours, ivpn_ts_set *out)
{
    out->n = 0;
    for (uint8_t i = 0; i < offered->n; i++)
        for (uint8_t j = 0; j < ours->n && room(out); j++) {
            ivpn_ts t;
            if (!intersect(&offered->ts[i], &ours->ts[j], &t))
                continue;
            bool dup = false;
            for (uint8_t k = 0; k < out->n && !dup; k++)
                dup = memcmp(&out->ts[k], &t, sizeof(t)) == 0;
            if (!dup)
                out->ts[out->n++] = t;
        }
}

static bool inside(const ivpn_ts *a, const ivpn_ts *b)
{
    size_t n = alen(a->family);
    return a->family == b->family && (b->proto == 0 || a->proto == b->proto) &&
           a->port_lo >= b->port_lo && a->port_hi <= b->port_hi &&
           cmp(a->lo, b->lo, n) >= 0 && cmp(a->hi, b->hi, n) <= 0;
}

bool ivpn_ts_subset(const ivpn_ts_set *got, const ivpn_ts_set *ours)
{
    if (got->n == 0)
        return false;
    for (uint8_t i = 0; i < got->n; i++) {
        bool ok = false;
        for (uint8_t j = 0; j < ours->n && !ok; j++)
            ok = inside(&got->ts[i], &ours->ts[j]);
        if (!ok)
            return false;
    }
    return true;
}

bool ivpn_ts_contains(const ivpn_ts_set *s, uint8_t family, const uint8_t *addr)
{
    size_t n = alen(family);
    for (uint8_t i = 0; i < s->n; i++)
        if (s->ts[i].family == family && cmp(addr, s->ts[i].lo, n) >= 0 &&
            cmp(addr, s->ts[i].hi, n) <= 0)
            return true;
    return false;
}

/* 128-bit arithmetic on big-endian byte arrays, for the range-to-prefix split. */
typedef unsigned __int128 u128;

static u128 load(const uint8_t *p, size_t n)
{
    u128 v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static void store(u128 v, uint8_t *p, size_t n)
{
    for (size_t i = n; i-- > 0;) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

size_t ivpn_ts_to_prefixes(const ivpn_ts_set *s, ipsecvpn_ip_prefix *out, size_t max)
{
    size_t k = 0;
    for (uint8_t i = 0; i < s->n; i++) {
        const ivpn_ts *t = &s->ts[i];
        size_t n = alen(t->family);
        unsigned bits = (unsigned)n * 8;
        u128 lo = load(t->lo, n), hi = load(t->hi, n);
        for (;;) {
            if (k >= max)
                return k;
            /* the largest aligned block starting at lo that ends at or before hi */
            unsigned host = 0;
            while (host < bits) {
                u128 size = (u128)1 << (host + 1 < 128 ? host + 1 : 127);
                if (host + 1 == 128) {
                    if (lo == 0 && hi == ~(u128)0)
                        host = 128;
                    break;
                }
                if ((lo & (size - 1)) != 0 || lo + size - 1 > hi || lo + size - 1 < lo)
                    break;
                host++;
            }
            memset(&out[k], 0, sizeof(out[k]));
            out[k].family = t->family;
            out[k].prefix_len = (uint8_t)(bits - host);
            store(lo, out[k].addr, n);
            k++;
            u128 last = host >= 128 ? ~(u128)0 : lo + (((u128)1 << host) - 1);
            if (last >= hi)
                break;
            lo = last + 1;
        }
    }
    return k;
}

void ivpn_ts_host(const ivpn_ts_set *s, const ipsecvpn_endpoint *host, ivpn_ts_set *out)
{
    ivpn_ts t;
    memset(&t, 0, sizeof(t));
    t.family = host->addr.family == IPSECVPN_IPV6 ? 6 : 4;
    t.port_hi = 0xffff;
    size_t n = t.family == 6 ? 16 : 4;
    memcpy(t.lo, host->addr.bytes, n);
    memcpy(t.hi, host->addr.bytes, n);
    ivpn_ts_set one = { &t, 1, 1 };
    ivpn_ts_narrow(s, &one, out);
}
