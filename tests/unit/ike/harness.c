#define _POSIX_C_SOURCE 200809L
#include "harness.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rng_cb(void *user, uint8_t *buf, size_t len)
{
    uint64_t *s = &((h_side *)user)->rng;
    for (size_t i = 0; i < len; i++) {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        buf[i] = (uint8_t)(*s >> 24);
    }
    return 0;
}

static void log_cb(void *user, ipsecvpn_log_level level, const char *msg, size_t len)
{
    (void)level;
    if (getenv("IKE_TEST_LOG"))
        fprintf(stderr, "[%c] %.*s\n", ((h_side *)user)->idx ? 'B' : 'A', (int)len, msg);
}

static int send_cb(void *user, const ipsecvpn_endpoint *local, const ipsecvpn_endpoint *remote,
                   const uint8_t *data, size_t len)
{
    h_side *s = user;
    h_net *n = s->net;
    int from = s->idx;
    s->sent++;
    cr_assert(len <= H_MAX_DGRAM);
    h_dgram d;
    memset(&d, 0, sizeof(d));
    d.to = 1 - from;
    d.src = *local;
    d.dst = *remote;
    memcpy(d.data, data, len);
    d.len = len;
    n->last[from] = d;
    bool dup = false;
    if (n->cut || (n->filter && !n->filter(n, &d, &dup)))
        return 0;
    for (int i = 0; i < (dup ? 2 : 1); i++) {
        cr_assert(n->count < H_QUEUE, "datagram queue overflow");
        n->q[(n->head + n->count++) % H_QUEUE] = d;
    }
    return 0;
}

static void event_cb(void *user, const ipsecvpn_event *ev)
{
    h_side *s = user;
    if (s->n_events < H_EVENTS) {
        s->events[s->n_events] = ev->type;
        s->reasons[s->n_events++] = ev->reason;
    }
    if (ev->type == IPSECVPN_EVENT_CHILD_UP || ev->type == IPSECVPN_EVENT_CHILD_REKEYED) {
        const ipsecvpn_child_sa_info *c = ev->child;
        cr_assert(c && c->encr_key_len <= 64 && c->integ_key_len <= 64);
        h_child *h = &s->child;
        memset(h, 0, sizeof(*h));
        h->spi_in = c->spi_in;
        h->spi_out = c->spi_out;
        h->ek_len = c->encr_key_len;
        h->ak_len = c->integ_key_len;
        memcpy(h->ek_in, c->encr_key_in, c->encr_key_len);
        memcpy(h->ek_out, c->encr_key_out, c->encr_key_len);
        if (c->integ_key_len) {
            memcpy(h->ak_in, c->integ_key_in, c->integ_key_len);
            memcpy(h->ak_out, c->integ_key_out, c->integ_key_len);
        }
        h->encap = c->encap;
        h->local = c->local;
        h->remote = c->remote;
        s->child_ups++;
    }
}

static const char *addr_of[2] = { "192.0.2.1", "192.0.2.2" };

void h_init(h_net *n, const char *const *fields, const char *const *values, size_t count)
{
    memset(n, 0, sizeof(*n));
    n->now = 1000;
    for (int i = 0; i < 2; i++) {
        h_side *s = &n->side[i];
        s->net = n;
        s->idx = i;
        s->rng = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
        ipsecvpn_host host = { .version = IPSECVPN_HOST_VERSION, .user_data = s,
                               .log_level = IPSECVPN_LOG_DEBUG, .random = rng_cb };
        host.log = log_cb;
        cr_assert_eq(ipsecvpn_ctx_new(&host, &s->ctx), IPSECVPN_OK);
        cr_assert_eq(ipsecvpn_connection_new(s->ctx, IPSECVPN_PROFILE_CLOUD, &s->conn), IPSECVPN_OK);
        const char *f[] = { "local_address", "peer_address", "psk", "ike.version" };
        const char *v[] = { addr_of[i], addr_of[1 - i], "s3cret-PSK-value", "ikev2" };
        cr_assert_eq(ipsecvpn_connection_update(s->conn, f, v, 4, NULL), IPSECVPN_OK);
        if (count)
            cr_assert_eq(ipsecvpn_connection_update(s->conn, fields, values, count, NULL),
                         IPSECVPN_OK);
        memset(&s->ep, 0, sizeof(s->ep));
        s->ep.addr.family = IPSECVPN_IPV4;
        inet_pton(AF_INET, addr_of[i], s->ep.addr.bytes);
        s->ep.port = IPSECVPN_IKE_PORT;
        ipsecvpn_engine_settings_default(&n->settings[i]);
    }
}

void h_set(h_net *n, int side, const char *field, const char *value)
{
    cr_assert_eq(ipsecvpn_connection_set(n->side[side].conn, field, value, NULL), IPSECVPN_OK,
                 "%s=%s", field, value);
}

void h_flows(h_net *n, int side, const char *local, const char *remote)
{
    const char *f[] = { "routing_mode", "local_cidrs", "remote_cidrs" };
    const char *v[] = { "protected-flows", local, remote };
    cr_assert_eq(ipsecvpn_connection_update(n->side[side].conn, f, v, 3, NULL), IPSECVPN_OK);
}

void h_start(h_net *n)
{
    ipsecvpn_engine_callbacks cb = { .version = IPSECVPN_ENGINE_CALLBACKS_VERSION,
                                     .send = send_cb, .event = event_cb };
    for (int i = 0; i < 2; i++) {
        h_side *s = &n->side[i];
        cr_assert_eq(ipsecvpn_engine_new(s->ctx, &cb, &n->settings[i], s, &s->e), IPSECVPN_OK);
    }
    for (int i = 1; i >= 0; i--) { /* responder first, so it is ready */
        h_side *s = &n->side[i];
        cr_assert_eq(ipsecvpn_engine_add_connection(s->e, s->conn, &s->ep, &n->side[1 - i].ep,
                                                    n->now, &s->id),
                     IPSECVPN_OK);
    }
}

void h_restart(h_net *n, int side, const char *psk)
{
    h_side *s = &n->side[side];
    ipsecvpn_engine_free(s->e);
    if (psk)
        h_set(n, side, "psk", psk);
    s->rng ^= 0xabcdef;
    ipsecvpn_engine_callbacks cb = { .version = IPSECVPN_ENGINE_CALLBACKS_VERSION,
                                     .send = send_cb, .event = event_cb };
    cr_assert_eq(ipsecvpn_engine_new(s->ctx, &cb, &n->settings[side], s, &s->e), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_engine_add_connection(s->e, s->conn, &s->ep, &n->side[1 - side].ep,
                                                n->now, &s->id), IPSECVPN_OK);
    s->n_events = 0;
    s->child_ups = 0;
}

void h_free(h_net *n)
{
    for (int i = 0; i < 2; i++) {
        ipsecvpn_engine_free(n->side[i].e);
        ipsecvpn_connection_free(n->side[i].conn);
        ipsecvpn_ctx_free(n->side[i].ctx);
    }
}

void h_pump(h_net *n)
{
    for (int rounds = 0; n->count && rounds < 1000; rounds++) {
        h_dgram d = n->q[n->head];
        n->head = (n->head + 1) % H_QUEUE;
        n->count--;
        ipsecvpn_read_result res;
        (void)ipsecvpn_engine_read(n->side[d.to].e, &d.dst, &d.src, d.data, d.len, n->now, &res);
    }
}

void h_run_until(h_net *n, uint64_t until)
{
    h_pump(n);
    for (int rounds = 0; rounds < 100000; rounds++) {
        uint64_t t = UINT64_MAX;
        for (int i = 0; i < 2; i++) {
            uint64_t x = ipsecvpn_engine_get_expiry(n->side[i].e);
            if (x < t)
                t = x;
        }
        if (t > until)
            break;
        if (t > n->now)
            n->now = t;
        for (int i = 0; i < 2; i++)
            ipsecvpn_engine_handle_expiry(n->side[i].e, n->now);
        h_pump(n);
    }
    if (n->now < until)
        n->now = until;
}

bool h_has_event(const h_side *s, int type)
{
    for (size_t i = 0; i < s->n_events; i++)
        if (s->events[i] == type)
            return true;
    return false;
}

ipsecvpn_status h_status(const h_side *s, int *reason)
{
    ipsecvpn_status st = IPSECVPN_STATUS_DOWN;
    int r = 0;
    cr_assert_eq(ipsecvpn_engine_get_status(s->e, s->id, &st, &r), IPSECVPN_OK);
    if (reason)
        *reason = r;
    return st;
}

static uint16_t csum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)(p[len - 1] << 8);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

size_t h_icmp4(uint8_t *buf, size_t off, const char *src, const char *dst, uint16_t seq)
{
    uint8_t *p = buf + off;
    size_t len = 20 + 8 + 32;
    memset(p, 0, len);
    p[0] = 0x45;
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    p[8] = 64;
    p[9] = 1; /* ICMP */
    inet_pton(AF_INET, src, p + 12);
    inet_pton(AF_INET, dst, p + 16);
    uint16_t c = csum(p, 20);
    p[10] = (uint8_t)(c >> 8);
    p[11] = (uint8_t)c;
    uint8_t *icmp = p + 20;
    icmp[0] = 8; /* echo request */
    icmp[6] = (uint8_t)(seq >> 8);
    icmp[7] = (uint8_t)seq;
    for (int i = 0; i < 32; i++)
        icmp[8 + i] = (uint8_t)('a' + i % 26);
    c = csum(icmp, 40);
    icmp[2] = (uint8_t)(c >> 8);
    icmp[3] = (uint8_t)c;
    return len;
}
