/*
 * IKEv1 Child SAs in the two configurations the lifecycle tests do not cover (owner: v1-host):
 *
 *  - a host data plane (engine setting install_sas = 0): the engine only reports the pairs it
 *    negotiates. The CHILD_UP / CHILD_REKEYED events must carry everything a host needs to
 *    program its own ESP (SPIs, algorithms, keys, selectors, encapsulation, lifetimes), and
 *    those keys must work: the test builds the ESP SAs itself with the public ESP API and
 *    passes packets both ways, before and after a phase-2 rekey;
 *  - transport mode (ipsec.mode = transport, RFC 2407 §4.5 Encapsulation Mode 2, or 4 =
 *    UDP-Encapsulated-Transport after a NAT-T float, RFC 3947 §5.1): quick mode negotiates
 *    it (read here from the decrypted QM1 and QM2), the pair is reported with tunnel = 0 and
 *    the engines carry a packet between the two hosts without an inner IP header; a mode
 *    mismatch between the two policies must not come up.
 *
 * The harness's callbacks keep only part of an event, so this file starts the engines with
 * its own callbacks (same queue, same datagram handling as tests/unit/ike/harness.c).
 */
#define _POSIX_C_SOURCE 200809L
#include "v1t_common.h"

#include <arpa/inet.h>

#include "ipsecvpn/esp.h"

static const char *const host_addr[2] = { "192.0.2.1", "192.0.2.2" };

/* ---- what the events carried --------------------------------------------------------------- */

#define M_EVENTS 16
#define M_TS 4

typedef struct m_child {
    int type;                       /* CHILD_UP / CHILD_REKEYED / CHILD_DOWN */
    uint32_t spi_in, spi_out;
    uint16_t encr, encr_key_bits, integ;
    uint8_t esn, tunnel, encap;
    uint8_t ek_in[64], ek_out[64], ak_in[64], ak_out[64];
    size_t ek_len, ak_len;
    bool ak_in_null, ak_out_null;
    ipsecvpn_endpoint local, remote;
    size_t n_lts, n_rts;
    ipsecvpn_ip_prefix lts[M_TS], rts[M_TS];
    uint64_t soft_s, hard_s;
} m_child;

static m_child rec[2][M_EVENTS];
static size_t n_rec[2];

/* The first QM1 and QM2 on the wire (copies: the engine decrypts in place). */
static h_dgram keep_qm1, keep_qm2;
static bool have_qm1, have_qm2;

static int m_send(void *user, const ipsecvpn_endpoint *local, const ipsecvpn_endpoint *remote,
                  const uint8_t *data, size_t len)
{
    h_side *s = user;
    h_net *n = s->net;
    s->sent++;
    cr_assert(len <= H_MAX_DGRAM);
    static h_dgram d;
    memset(&d, 0, sizeof(d));
    d.to = 1 - s->idx;
    d.src = *local;
    d.dst = *remote;
    memcpy(d.data, data, len);
    d.len = len;
    n->last[s->idx] = d;
    v1t_kind k = v1t_record(&d);
    if (k == K_QM1 && !have_qm1) {
        keep_qm1 = d;
        have_qm1 = true;
    } else if (k == K_QM2 && !have_qm2) {
        keep_qm2 = d;
        have_qm2 = true;
    }
    if (n->cut)
        return 0;
    cr_assert(n->count < H_QUEUE, "datagram queue overflow");
    n->q[(n->head + n->count++) % H_QUEUE] = d;
    return 0;
}

static void m_event(void *user, const ipsecvpn_event *ev)
{
    h_side *s = user;
    if (s->n_events < H_EVENTS) {
        s->events[s->n_events] = ev->type;
        s->reasons[s->n_events++] = ev->reason;
    }
    if (ev->type != IPSECVPN_EVENT_CHILD_UP && ev->type != IPSECVPN_EVENT_CHILD_REKEYED &&
        ev->type != IPSECVPN_EVENT_CHILD_DOWN)
        return;
    const ipsecvpn_child_sa_info *c = ev->child;
    cr_assert_not_null(c, "CHILD event %d without its pair", ev->type);
    cr_assert_eq(c->version, IPSECVPN_CHILD_SA_INFO_VERSION);
    cr_assert_lt(n_rec[s->idx], M_EVENTS);
    m_child *r = &rec[s->idx][n_rec[s->idx]++];
    memset(r, 0, sizeof(*r));
    r->type = ev->type;
    r->spi_in = c->spi_in;
    r->spi_out = c->spi_out;
    if (ev->type == IPSECVPN_EVENT_CHILD_DOWN)
        return; /* SPIs only */
    r->encr = c->encr;
    r->encr_key_bits = c->encr_key_bits;
    r->integ = c->integ;
    r->esn = c->esn;
    r->tunnel = c->tunnel;
    r->encap = c->encap;
    cr_assert(c->encr_key_len <= 64 && c->integ_key_len <= 64);
    cr_assert(c->encr_key_in && c->encr_key_out);
    r->ek_len = c->encr_key_len;
    r->ak_len = c->integ_key_len;
    memcpy(r->ek_in, c->encr_key_in, c->encr_key_len);
    memcpy(r->ek_out, c->encr_key_out, c->encr_key_len);
    r->ak_in_null = c->integ_key_in == NULL;
    r->ak_out_null = c->integ_key_out == NULL;
    if (c->integ_key_len && c->integ_key_in && c->integ_key_out) {
        memcpy(r->ak_in, c->integ_key_in, c->integ_key_len);
        memcpy(r->ak_out, c->integ_key_out, c->integ_key_len);
    }
    r->local = c->local;
    r->remote = c->remote;
    r->n_lts = c->n_local_ts;
    r->n_rts = c->n_remote_ts;
    for (size_t i = 0; i < c->n_local_ts && i < M_TS; i++)
        r->lts[i] = c->local_ts[i];
    for (size_t i = 0; i < c->n_remote_ts && i < M_TS; i++)
        r->rts[i] = c->remote_ts[i];
    r->soft_s = c->lifetime_soft_s;
    r->hard_s = c->lifetime_hard_s;
    /* the harness's summary too, for v1t_check_up */
    h_child *h = &s->child;
    memset(h, 0, sizeof(*h));
    h->spi_in = r->spi_in;
    h->spi_out = r->spi_out;
    h->ek_len = r->ek_len;
    h->ak_len = r->ak_len;
    memcpy(h->ek_in, r->ek_in, r->ek_len);
    memcpy(h->ek_out, r->ek_out, r->ek_len);
    memcpy(h->ak_in, r->ak_in, r->ak_len);
    memcpy(h->ak_out, r->ak_out, r->ak_len);
    h->encap = r->encap;
    h->local = r->local;
    h->remote = r->remote;
    s->child_ups++;
}

/* The last event of `type` on a side (asserts there is one). */
static const m_child *last_of(int side, int type)
{
    for (size_t i = n_rec[side]; i-- > 0;)
        if (rec[side][i].type == type)
            return &rec[side][i];
    cr_assert_fail("side %c: no event %d", 'A' + side, type);
    return NULL;
}

static unsigned count_of(int side, int type)
{
    unsigned k = 0;
    for (size_t i = 0; i < n_rec[side]; i++)
        k += rec[side][i].type == type;
    return k;
}

/* ---- setting up ---------------------------------------------------------------------------- */

static void m_init(h_net *n, const char *mode, const char *const *f, const char *const *v,
                   size_t count)
{
    memset(rec, 0, sizeof(rec));
    memset(n_rec, 0, sizeof(n_rec));
    have_qm1 = have_qm2 = false;
    v1t_init(n, mode, f, v, count);
}

/* h_start with this file's callbacks. */
static void m_start(h_net *n)
{
    ipsecvpn_engine_callbacks cb = { .version = IPSECVPN_ENGINE_CALLBACKS_VERSION,
                                     .send = m_send, .event = m_event };
    for (int i = 0; i < 2; i++) {
        h_side *s = &n->side[i];
        cr_assert_eq(ipsecvpn_engine_new(s->ctx, &cb, &n->settings[i], s, &s->e), IPSECVPN_OK);
    }
    for (int i = 1; i >= 0; i--) {
        h_side *s = &n->side[i];
        cr_assert_eq(ipsecvpn_engine_add_connection(s->e, s->conn, &s->ep, &n->side[1 - i].ep,
                                                    n->now, &s->id),
                     IPSECVPN_OK);
    }
}

static void m_up(h_net *n)
{
    m_start(n);
    cr_assert_eq(ipsecvpn_engine_initiate(n->side[0].e, n->side[0].id, n->now), IPSECVPN_OK);
    h_pump(n);
}

static void prefix4(ipsecvpn_ip_prefix *p, const char *a, uint8_t len)
{
    memset(p, 0, sizeof(*p));
    p->family = IPSECVPN_IPV4;
    p->prefix_len = len;
    cr_assert_eq(inet_pton(AF_INET, a, p->addr), 1);
}

static bool same_prefix(const ipsecvpn_ip_prefix *a, const ipsecvpn_ip_prefix *b)
{
    return a->family == b->family && a->prefix_len == b->prefix_len &&
           memcmp(a->addr, b->addr, 4) == 0;
}

static bool is_addr(const ipsecvpn_ip_addr *a, const char *text)
{
    uint8_t b[4];
    cr_assert_eq(inet_pton(AF_INET, text, b), 1);
    return a->family == IPSECVPN_IPV4 && memcmp(a->bytes, b, 4) == 0;
}

/* The two sides' reports of one pair mirror each other: SPIs crossed, the same algorithms,
 * each side's outbound keys the other's inbound ones, and the two directions differ. */
static void check_mirror(const m_child *a, const m_child *b, const char *what)
{
    cr_assert_geq(a->spi_in, 256u, "%s", what);
    cr_assert_geq(a->spi_out, 256u, "%s", what);
    cr_assert_neq(a->spi_in, a->spi_out, "%s", what);
    cr_assert_eq(a->spi_out, b->spi_in, "%s: A sends on B's inbound SPI", what);
    cr_assert_eq(a->spi_in, b->spi_out, "%s: B sends on A's inbound SPI", what);
    cr_assert_eq(a->encr, b->encr, "%s", what);
    cr_assert_eq(a->encr_key_bits, b->encr_key_bits, "%s", what);
    cr_assert_eq(a->integ, b->integ, "%s", what);
    cr_assert_eq(a->tunnel, b->tunnel, "%s", what);
    cr_assert_eq(a->encap, b->encap, "%s", what);
    cr_assert_eq(a->ek_len, b->ek_len, "%s", what);
    cr_assert_eq(a->ak_len, b->ak_len, "%s", what);
    cr_assert_eq(memcmp(a->ek_out, b->ek_in, a->ek_len), 0, "%s: A's out = B's in (encr)", what);
    cr_assert_eq(memcmp(a->ek_in, b->ek_out, a->ek_len), 0, "%s: A's in = B's out (encr)", what);
    cr_assert_eq(memcmp(a->ak_out, b->ak_in, a->ak_len), 0, "%s: A's out = B's in (integ)", what);
    cr_assert_eq(memcmp(a->ak_in, b->ak_out, a->ak_len), 0, "%s: A's in = B's out (integ)", what);
    cr_assert_neq(memcmp(a->ek_in, a->ek_out, a->ek_len), 0, "%s: one key per direction", what);
    cr_assert_neq(memcmp(a->ak_in, a->ak_out, a->ak_len), 0, "%s: one key per direction", what);
}

/* ---- the host's own ESP from the reported pair ----------------------------------------- */

typedef struct host_esp {
    ipsecvpn_esp_sa *in, *out;
} host_esp;

/* What a host would program: both SAs of the pair `r` reported to side `side`. `swap_in`
 * builds the inbound SA with the outbound keys instead (a host that mixed them up). */
static void host_esp_new(h_net *n, int side, const m_child *r, bool swap_in, host_esp *h)
{
    h_side *s = &n->side[side];
    ipsecvpn_esp_sa_params p;
    memset(&p, 0, sizeof(p));
    p.version = IPSECVPN_ESP_SA_PARAMS_VERSION;
    p.mode = r->tunnel ? IPSECVPN_ESP_MODE_TUNNEL : IPSECVPN_ESP_MODE_TRANSPORT;
    p.encr = r->encr;
    p.encr_key_bits = r->encr_key_bits;
    p.integ = r->integ;
    p.esn = r->esn;
    p.encr_key_len = r->ek_len;
    p.integ_key_len = r->ak_len;
    p.local_addr = r->local.addr;
    p.remote_addr = r->remote.addr;
    if (r->encap) {
        p.local_port = r->local.port;
        p.remote_port = r->remote.port;
    }
    ipsecvpn_selector sel[M_TS * M_TS];
    size_t k = 0;
    for (size_t i = 0; i < r->n_lts; i++)
        for (size_t j = 0; j < r->n_rts; j++) {
            memset(&sel[k], 0, sizeof(sel[k]));
            sel[k].local = r->lts[i];
            sel[k].remote = r->rts[j];
            sel[k].local_port_max = sel[k].remote_port_max = 65535;
            k++;
        }
    p.spi = r->spi_in;
    p.direction = IPSECVPN_ESP_DIR_IN;
    p.encr_key = swap_in ? r->ek_out : r->ek_in;
    p.integ_key = r->ak_len ? (swap_in ? r->ak_out : r->ak_in) : NULL;
    p.replay_window = 64;
    p.selectors = sel;
    p.selector_count = k;
    cr_assert_eq(ipsecvpn_esp_sa_new(s->ctx, &p, n->now, &h->in), IPSECVPN_OK,
                 "side %c: inbound SA from the event", 'A' + side);
    p.spi = r->spi_out;
    p.direction = IPSECVPN_ESP_DIR_OUT;
    p.encr_key = r->ek_out;
    p.integ_key = r->ak_len ? r->ak_out : NULL;
    p.replay_window = 0;
    p.selectors = NULL;
    p.selector_count = 0;
    cr_assert_eq(ipsecvpn_esp_sa_new(s->ctx, &p, n->now, &h->out), IPSECVPN_OK,
                 "side %c: outbound SA from the event", 'A' + side);
}

static void host_esp_free(host_esp *h)
{
    ipsecvpn_esp_sa_free(h->in);
    ipsecvpn_esp_sa_free(h->out);
    h->in = h->out = NULL;
}

/* An ICMP echo from `from`'s network to the other's through the hosts' own SAs; returns the
 * decrypt result at the receiver (the packet is compared when it is IPSECVPN_OK). */
static int host_ping(h_net *n, host_esp *sides, int from, uint16_t seq)
{
    const char *src = from ? "10.2.0.1" : "10.1.0.1", *dst = from ? "10.1.0.1" : "10.2.0.1";
    uint8_t buf[2048], orig[128];
    size_t off = 128;
    size_t len = h_icmp4(buf, off, src, dst, seq);
    memcpy(orig, buf + off, len);
    size_t oo = 0, ol = 0;
    cr_assert_eq(ipsecvpn_esp_encrypt(sides[from].out, buf, sizeof(buf), off, len, n->now, 0, &oo,
                                      &ol),
                 IPSECVPN_OK);
    cr_assert_eq(v1t_be32(buf + oo), ipsecvpn_esp_sa_spi(sides[from].out));
    size_t io = 0, il = 0;
    uint8_t nh = 0;
    int rc = ipsecvpn_esp_decrypt(sides[1 - from].in, buf + oo, ol, n->now, 0, &io, &il, &nh);
    if (rc != IPSECVPN_OK)
        return rc;
    cr_assert_eq(nh, 4, "an IPv4 packet inside");
    cr_assert_eq(il, len);
    cr_assert_eq(memcmp(buf + oo + io, orig, len), 0, "the same packet came out");
    return rc;
}

/* Both directions work with the pair last reported by CHILD_UP/REKEYED (`type`), and a host
 * that takes its outbound keys for inbound cannot read the peer's packets. */
static void host_traffic(h_net *n, int type)
{
    host_esp sides[2];
    for (int i = 0; i < 2; i++)
        host_esp_new(n, i, last_of(i, type), false, &sides[i]);
    cr_assert_eq(host_ping(n, sides, 0, 1), IPSECVPN_OK, "A -> B with the reported keys");
    cr_assert_eq(host_ping(n, sides, 1, 2), IPSECVPN_OK, "B -> A with the reported keys");
    cr_assert_eq(host_ping(n, sides, 0, 3), IPSECVPN_OK);
    host_esp wrong;
    host_esp_new(n, 1, last_of(1, type), true, &wrong);
    host_esp mixed[2] = { sides[0], wrong };
    cr_assert_eq(host_ping(n, mixed, 0, 4), IPSECVPN_ERR_ESP_ICV,
                 "the outbound keys do not open the inbound direction");
    host_esp_free(&wrong);
    for (int i = 0; i < 2; i++)
        host_esp_free(&sides[i]);
}

/* ---- 1. host data plane --------------------------------------------------------------------- */

static void check_report(const m_child *r, int side, uint64_t hard)
{
    cr_assert_eq(r->encr, IPSECVPN_ENCR_AES_CBC, "side %c", 'A' + side);
    cr_assert_eq(r->encr_key_bits, 256);
    cr_assert_eq(r->integ, IPSECVPN_INTEG_HMAC_SHA2_256_128);
    cr_assert_eq(r->esn, 0, "no ESN in IKEv1");
    cr_assert_eq(r->ek_len, 32, "AES-256 key, no salt");
    cr_assert_eq(r->ak_len, 32, "HMAC-SHA-256 key");
    cr_assert(!r->ak_in_null && !r->ak_out_null);
    cr_assert_eq(r->tunnel, 1);
    cr_assert_eq(r->encap, 0, "no NAT: plain ESP");
    cr_assert(is_addr(&r->local.addr, host_addr[side]), "our outer address");
    cr_assert(is_addr(&r->remote.addr, host_addr[1 - side]), "the peer's outer address");
    cr_assert_eq(r->local.port, 0, "not encapsulated: no port");
    cr_assert_eq(r->remote.port, 0);
    ipsecvpn_ip_prefix l, rr;
    prefix4(&l, side ? "10.2.0.0" : "10.1.0.0", 24);
    prefix4(&rr, side ? "10.1.0.0" : "10.2.0.0", 24);
    cr_assert_eq(r->n_lts, 1, "side %c: one local selector", 'A' + side);
    cr_assert_eq(r->n_rts, 1);
    cr_assert(same_prefix(&r->lts[0], &l), "side %c: local selector %u/%u", 'A' + side,
              r->lts[0].addr[2], r->lts[0].prefix_len);
    cr_assert(same_prefix(&r->rts[0], &rr), "side %c: remote selector", 'A' + side);
    cr_assert_eq(r->hard_s, hard, "side %c: hard lifetime %llu", 'A' + side,
                 (unsigned long long)r->hard_s);
    /* soft = hard x (90 - random(0..10))% (engine.h), rounded down to seconds */
    cr_assert(r->soft_s + 1 >= hard * 80 / 100 && r->soft_s <= hard * 90 / 100,
              "side %c: soft lifetime %llu of %llu", 'A' + side, (unsigned long long)r->soft_s,
              (unsigned long long)hard);
}

static void host_data_plane(const char *mode)
{
    h_net n;
    const char *f[] = { "ipsec.encryption", "ipsec.integrity", "ipsec.lifetime" };
    const char *v[] = { "aes256", "sha256", "100" };
    m_init(&n, mode, f, v, 3);
    h_flows(&n, 0, "10.1.0.0/24", "10.2.0.0/24");
    h_flows(&n, 1, "10.2.0.0/24", "10.1.0.0/24");
    h_set(&n, 1, "ipsec.lifetime", "200"); /* the shorter one wins on both sides */
    n.settings[0].install_sas = 0;
    n.settings[1].install_sas = 0;
    m_up(&n);
    uint64_t t0 = n.now;

    /* 1. CHILD_UP on each side, with everything */
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(h_status(&n.side[i], NULL), IPSECVPN_STATUS_ACTIVE, "side %c; wire: %s",
                     'A' + i, v1t_log_str());
        cr_assert_eq(count_of(i, IPSECVPN_EVENT_CHILD_UP), 1, "side %c", 'A' + i);
        check_report(last_of(i, IPSECVPN_EVENT_CHILD_UP), i, 100);
        cr_assert_null(v1t_cur(&n, i)->sa_in, "install_sas 0: no ESP SA in the engine");
        cr_assert_null(v1t_cur(&n, i)->sa_out);
    }
    const m_child *ua = last_of(0, IPSECVPN_EVENT_CHILD_UP), *ub = last_of(1, IPSECVPN_EVENT_CHILD_UP);
    check_mirror(ua, ub, "CHILD_UP");
    cr_assert_eq(ua->spi_in, v1t_cur(&n, 0)->spi_in, "the event names the engine's pair");
    cr_assert_eq(ub->spi_in, v1t_cur(&n, 1)->spi_in);
    v1t_check_up(&n, "host data plane");

    /* 2. the host's own ESP with those keys, both ways */
    host_traffic(&n, IPSECVPN_EVENT_CHILD_UP);

    /* 3. the engine does not protect: the host does */
    for (int from = 0; from < 2; from++) {
        uint8_t buf[2048];
        size_t len = h_icmp4(buf, 128, from ? "10.2.0.1" : "10.1.0.1",
                             from ? "10.1.0.1" : "10.2.0.1", 5);
        ipsecvpn_endpoint l, r;
        size_t oo, ol;
        cr_assert_eq(ipsecvpn_engine_protect(n.side[from].e, buf, sizeof(buf), 128, len, n.now,
                                             &l, &r, &oo, &ol),
                     IPSECVPN_ERR_UNSUPPORTED, "side %c", 'A' + from);
        cr_assert(!h_has_event(&n.side[from], IPSECVPN_EVENT_ACQUIRE),
                  "an active tunnel is not acquired again");
    }

    /* 4. a phase-2 rekey by lifetime (soft at 80..90 s): CHILD_REKEYED with new keys */
    uint32_t old_a_in = ua->spi_in, old_b_in = ub->spi_in;
    uint8_t old_ek[64];
    memcpy(old_ek, ua->ek_out, ua->ek_len);
    h_run_until(&n, t0 + 95000);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(count_of(i, IPSECVPN_EVENT_CHILD_REKEYED), 1, "side %c: one rekey; wire: %s",
                     'A' + i, v1t_log_str());
        cr_assert_eq(h_status(&n.side[i], NULL), IPSECVPN_STATUS_ACTIVE);
        check_report(last_of(i, IPSECVPN_EVENT_CHILD_REKEYED), i, 100);
    }
    const m_child *ra = last_of(0, IPSECVPN_EVENT_CHILD_REKEYED),
                  *rb = last_of(1, IPSECVPN_EVENT_CHILD_REKEYED);
    check_mirror(ra, rb, "CHILD_REKEYED");
    cr_assert_neq(ra->spi_in, old_a_in, "a new inbound SPI at A");
    cr_assert_neq(rb->spi_in, old_b_in, "a new inbound SPI at B");
    cr_assert_neq(memcmp(ra->ek_out, old_ek, ra->ek_len), 0, "fresh keys");
    host_traffic(&n, IPSECVPN_EVENT_CHILD_REKEYED);

    /* the replaced pair goes: CHILD_DOWN naming it, on each side, by its hard lifetime */
    h_run_until(&n, t0 + 101000);
    for (int i = 0; i < 2; i++) {
        const m_child *d = last_of(i, IPSECVPN_EVENT_CHILD_DOWN);
        cr_assert_eq(d->spi_in, i ? old_b_in : old_a_in, "side %c: the old pair went down",
                     'A' + i);
        cr_assert_eq(ivpn_child_count(v1t_conn(&n, i)), 1, "side %c: only the new pair", 'A' + i);
        cr_assert_eq(v1t_cur(&n, i)->spi_in, i ? rb->spi_in : ra->spi_in);
    }

    /* 5. delete: A removes the connection; B reports CHILD_DOWN for the current pair */
    unsigned downs_b = count_of(1, IPSECVPN_EVENT_CHILD_DOWN);
    cr_assert_eq(ipsecvpn_engine_remove_connection(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    cr_assert_eq(count_of(1, IPSECVPN_EVENT_CHILD_DOWN), downs_b + 1, "B: one more CHILD_DOWN");
    const m_child *d = last_of(1, IPSECVPN_EVENT_CHILD_DOWN);
    cr_assert_eq(d->spi_in, rb->spi_in, "B's CHILD_DOWN names its inbound SPI");
    cr_assert_eq(d->spi_out, rb->spi_out);
    cr_assert_eq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_DOWN);
    cr_assert_eq(ivpn_child_count(v1t_conn(&n, 1)), 0);
    h_free(&n);
}

Test(ikev1_modes, host_data_plane_main_mode, .timeout = 60) { host_data_plane("main"); }
Test(ikev1_modes, host_data_plane_aggressive_mode, .timeout = 60)
{
    host_data_plane("aggressive");
}

/* A Delete from the peer of only the Child SA (informational, RFC 2408 §4.8): CHILD_DOWN. */
Test(ikev1_modes, host_data_plane_child_delete_by_peer, .timeout = 30)
{
    h_net n;
    m_init(&n, "main", NULL, NULL, 0);
    n.settings[0].install_sas = 0;
    n.settings[1].install_sas = 0;
    m_up(&n);
    cr_assert_eq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE, "wire: %s", v1t_log_str());
    const m_child *ub = last_of(1, IPSECVPN_EVENT_CHILD_UP);
    const m_child *ua = last_of(0, IPSECVPN_EVENT_CHILD_UP);
    check_mirror(ua, ub, "CHILD_UP");
    host_traffic(&n, IPSECVPN_EVENT_CHILD_UP);
    ivpn_v1_child_delete(n.side[0].e, v1t_conn(&n, 0), v1t_cur(&n, 0));
    h_pump(&n);
    const m_child *da = last_of(0, IPSECVPN_EVENT_CHILD_DOWN);
    const m_child *db = last_of(1, IPSECVPN_EVENT_CHILD_DOWN);
    cr_assert_eq(da->spi_in, ua->spi_in);
    cr_assert_eq(db->spi_in, ub->spi_in, "B's CHILD_DOWN names its inbound SPI");
    cr_assert_eq(db->spi_out, ub->spi_out);
    cr_assert_eq(ivpn_child_count(v1t_conn(&n, 1)), 0);
    h_free(&n);
}

/* ---- 2. transport mode ---------------------------------------------------------------------- */

/* The Encapsulation Mode of the one transform in the SA payload of the captured QM1 or QM2,
 * decrypted with A's phase-1 keys (QM1 under the exchange's first IV, QM2 under QM1's last
 * ciphertext block). */
static uint64_t qm_encap_mode(h_net *n, bool qm2)
{
    cr_assert(have_qm1, "no QM1 seen; wire: %s", v1t_log_str());
    cr_assert(!qm2 || have_qm2, "no QM2 seen; wire: %s", v1t_log_str());
    ivpn_v1_sa *sa = v1t_sa(n, 0);
    uint8_t iv[IVPN_V1_BLOCK_MAX];
    const h_dgram *d1 = &keep_qm1;
    int o = v1t_isakmp_off(d1);
    cr_assert_geq(o, 0);
    ivpn_isakmp_header h;
    cr_assert_eq(ivpn_isakmp_header_decode(NULL, d1->data + o, d1->len - (size_t)o, &h),
                 IPSECVPN_OK);
    cr_assert_eq(h.exchange, IVPN_ISAKMP_EX_QUICK);
    cr_assert_eq(ivpn_v1_p2_iv(sa, h.message_id, iv), IPSECVPN_OK);
    const h_dgram *d = d1;
    if (qm2) {
        /* QM2 continues the CBC chain of QM1 (RFC 2409 Appendix B) */
        size_t end = (size_t)o + h.length;
        cr_assert_geq(h.length, IVPN_ISAKMP_HEADER_LEN + sa->block_len);
        memcpy(iv, d1->data + end - sa->block_len, sa->block_len);
        d = &keep_qm2;
        o = v1t_isakmp_off(d);
        cr_assert_geq(o, 0);
        ivpn_isakmp_header h2;
        cr_assert_eq(ivpn_isakmp_header_decode(NULL, d->data + o, d->len - (size_t)o, &h2),
                     IPSECVPN_OK);
        cr_assert_eq(h2.message_id, h.message_id, "QM2 answers QM1");
        h = h2;
    }
    static uint8_t plain[H_MAX_DGRAM];
    size_t plain_len = h.length - IVPN_ISAKMP_HEADER_LEN;
    memcpy(plain, d->data + o + IVPN_ISAKMP_HEADER_LEN, plain_len);
    cr_assert_eq(ivpn_v1_decrypt(NULL, sa->encr, sa->encr_bits, sa->enc_key, sa->enc_key_len, iv,
                                 plain, plain_len),
                 IPSECVPN_OK);
    ivpn_isakmp_payload_list pl;
    cr_assert_eq(ivpn_isakmp_chain_walk(NULL, h.next_payload, plain, plain_len, true, &pl),
                 IPSECVPN_OK, "QM%d decrypts to payloads", qm2 ? 2 : 1);
    const ivpn_isakmp_payload_ref *p_sa = ivpn_isakmp_list_find(&pl, IVPN_ISAKMP_PL_SA);
    cr_assert_not_null(p_sa);
    static ivpn_isakmp_sa s;
    cr_assert_eq(ivpn_isakmp_sa_decode(NULL, p_sa->body, &s), IPSECVPN_OK);
    cr_assert_eq(s.n_proposals, 1);
    cr_assert_eq(s.proposals[0].n_transforms, 1);
    uint64_t mode = 0;
    cr_assert(ivpn_isakmp_attr_get(&s.proposals[0].transforms[0], IVPN_P2_ATTR_ENCAP_MODE, &mode),
              "QM%d: an Encapsulation Mode attribute", qm2 ? 2 : 1);
    return mode;
}

/* `from` protects an ICMP echo between the two hosts' outer addresses; the other side's
 * engine reads it back. Transport: the ICMP message alone comes out (no IP header). */
static void engine_host_ping(h_net *n, int from, bool encap)
{
    h_side *a = &n->side[from], *b = &n->side[1 - from];
    uint8_t buf[2048], orig[128];
    size_t off = 128;
    size_t len = h_icmp4(buf, off, host_addr[from], host_addr[1 - from], 11);
    memcpy(orig, buf + off, len);
    ipsecvpn_endpoint l, r;
    size_t oo, ol;
    cr_assert_eq(ipsecvpn_engine_protect(a->e, buf, sizeof(buf), off, len, n->now, &l, &r, &oo,
                                         &ol),
                 IPSECVPN_OK, "protect %c -> %c", 'A' + from, 'B' - from);
    cr_assert(is_addr(&l.addr, host_addr[from]));
    cr_assert(is_addr(&r.addr, host_addr[1 - from]));
    cr_assert_eq(l.port, encap ? IPSECVPN_NATT_PORT : 0);
    cr_assert_eq(r.port, encap ? IPSECVPN_NATT_PORT : 0);
    cr_assert_eq(v1t_be32(buf + oo), last_of(1 - from, IPSECVPN_EVENT_CHILD_UP)->spi_in,
                 "on the peer's inbound SPI");
    /* ESP of an ICMP message with no inner IP header: SPI, seq, IV 16, 40 bytes of ICMP
     * padded with trailer to 48, ICV 12 (SHA-1-96) */
    cr_assert_eq(ol, 8 + 16 + 48 + 12, "transport ESP length %zu", ol);
    /* handed back on the endpoints protect named (ports 0: plain ESP, protocol 50) */
    ipsecvpn_read_result res;
    cr_assert_eq(ipsecvpn_engine_read(b->e, &r, &l, buf + oo, ol, n->now, &res), IPSECVPN_OK,
                 "read %c -> %c", 'A' + from, 'B' - from);
    cr_assert_eq(res.kind, IPSECVPN_READ_PLAINTEXT);
    cr_assert_eq(res.conn_id, b->id);
    cr_assert_eq(res.len, len - 20, "the payload alone: %zu bytes", res.len);
    cr_assert_eq(buf[oo + res.offset], 8, "an ICMP echo request, not an IP header");
    cr_assert_eq(memcmp(buf + oo + res.offset, orig + 20, len - 20), 0);
}

static void transport_case(bool natt)
{
    h_net n;
    const char *f[] = { "ipsec.mode", "nat_traversal" };
    const char *v[] = { "transport", natt ? "on" : "off" };
    m_init(&n, "main", f, v, 2);
    m_up(&n);
    for (int i = 0; i < 2; i++) {
        int reason = 0;
        cr_assert_eq(h_status(&n.side[i], &reason), IPSECVPN_STATUS_ACTIVE,
                     "side %c (reason %d); wire: %s", 'A' + i, reason, v1t_log_str());
    }
    uint64_t want = natt ? IVPN_P2_ENCAP_UDP_TRANSPORT : IVPN_P2_ENCAP_TRANSPORT;
    uint64_t m1 = qm_encap_mode(&n, false), m2 = qm_encap_mode(&n, true);
    cr_assert_eq(m1, want, "QM1 offers Encapsulation Mode %llu", (unsigned long long)m1);
    cr_assert_eq(m2, want, "QM2 chooses Encapsulation Mode %llu", (unsigned long long)m2);
    for (int i = 0; i < 2; i++) {
        const m_child *r = last_of(i, IPSECVPN_EVENT_CHILD_UP);
        cr_assert_eq(r->tunnel, 0, "side %c: CHILD_UP in transport mode", 'A' + i);
        cr_assert_eq(r->encap, natt ? 1 : 0, "side %c", 'A' + i);
        if (natt) {
            cr_assert_eq(r->local.port, IPSECVPN_NATT_PORT);
            cr_assert_eq(r->remote.port, IPSECVPN_NATT_PORT);
        }
    }
    check_mirror(last_of(0, IPSECVPN_EVENT_CHILD_UP), last_of(1, IPSECVPN_EVENT_CHILD_UP),
                 "transport");
    engine_host_ping(&n, 0, natt);
    engine_host_ping(&n, 1, natt);
    h_free(&n);
}

Test(ikev1_modes, transport_mode, .timeout = 30) { transport_case(false); }
Test(ikev1_modes, transport_mode_udp_encapsulated_after_nat_t, .timeout = 30)
{
    transport_case(true);
}

/* The phase-2 rekey by lifetime keeps transport mode (the new quick mode offers it again). */
Test(ikev1_modes, transport_mode_survives_rekey, .timeout = 30)
{
    h_net n;
    const char *f[] = { "ipsec.mode", "ipsec.lifetime" };
    const char *v[] = { "transport", "100" };
    m_init(&n, "main", f, v, 2);
    m_up(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE, "wire: %s", v1t_log_str());
    uint32_t old_in = last_of(0, IPSECVPN_EVENT_CHILD_UP)->spi_in;
    h_run_until(&n, n.now + 95000);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(h_status(&n.side[i], NULL), IPSECVPN_STATUS_ACTIVE, "side %c", 'A' + i);
        const m_child *r = last_of(i, IPSECVPN_EVENT_CHILD_REKEYED);
        cr_assert_eq(r->tunnel, 0, "side %c: the new pair is transport mode", 'A' + i);
    }
    const m_child *ra = last_of(0, IPSECVPN_EVENT_CHILD_REKEYED);
    cr_assert_neq(ra->spi_in, old_in);
    check_mirror(ra, last_of(1, IPSECVPN_EVENT_CHILD_REKEYED), "transport rekey");
    for (int from = 0; from < 2; from++) {
        uint8_t buf[2048];
        size_t len = h_icmp4(buf, 128, host_addr[from], host_addr[1 - from], 12);
        ipsecvpn_endpoint l, r;
        size_t oo, ol;
        cr_assert_eq(ipsecvpn_engine_protect(n.side[from].e, buf, sizeof(buf), 128, len, n.now,
                                             &l, &r, &oo, &ol),
                     IPSECVPN_OK);
        cr_assert_eq(v1t_be32(buf + oo), last_of(1 - from, IPSECVPN_EVENT_CHILD_REKEYED)->spi_in,
                     "on the new pair");
        ipsecvpn_read_result res;
        cr_assert_eq(ipsecvpn_engine_read(n.side[1 - from].e, &r, &l, buf + oo, ol, n.now, &res),
                     IPSECVPN_OK);
        cr_assert_eq(res.len, len - 20, "transport: no inner IP header");
    }
    h_free(&n);
}

/* A transport-mode SA protects the traffic of the two hosts only (RFC 4301 §4.1): its
 * selectors (IDci/IDcr, RFC 2409 §5.5) are the two outer addresses, as IKEv2 narrows them
 * (tests/unit/ike/test_ikev2_transport.c) and strongSwan sends them. Packets of other
 * addresses must not go into it: with their IP header stripped they would arrive at the peer
 * as if the hosts themselves had sent them. */
Test(ikev1_modes, transport_selectors_are_the_hosts, .timeout = 30)
{
    h_net n;
    const char *f[] = { "ipsec.mode" };
    const char *v[] = { "transport" };
    m_init(&n, "main", f, v, 1);
    m_up(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE, "wire: %s", v1t_log_str());
    uint8_t buf[2048];
    size_t plen = h_icmp4(buf, 128, "10.1.0.1", "10.2.0.1", 1);
    ipsecvpn_endpoint l, r;
    size_t oo = 0, ol = 0;
    int rc = ipsecvpn_engine_protect(n.side[0].e, buf, sizeof(buf), 128, plen, n.now, &l, &r,
                                     &oo, &ol);
    int rc_b = 1;
    ipsecvpn_read_result res;
    memset(&res, 0, sizeof(res));
    if (rc == IPSECVPN_OK)
        rc_b = ipsecvpn_engine_read(n.side[1].e, &r, &l, buf + oo, ol, n.now, &res);
    /* the verdicts are taken first and asserted after h_free, so that a failure here
     * reports the bug without a leak report on top under ASan */
    static char why[512];
    why[0] = 0;
    if (rc == IPSECVPN_OK)
        snprintf(why, sizeof(why), "10.1.0.1 -> 10.2.0.1 went into the transport pair (B's "
                 "read: %d, %zu bytes of plaintext without the inner addresses); ", rc_b, res.len);
    for (int i = 0; i < 2; i++) {
        const m_child *rep = last_of(i, IPSECVPN_EVENT_CHILD_UP);
        ipsecvpn_ip_prefix lp, rp;
        prefix4(&lp, host_addr[i], 32);
        prefix4(&rp, host_addr[1 - i], 32);
        if (rep->n_lts == 1 && rep->n_rts == 1 && same_prefix(&rep->lts[0], &lp) &&
            same_prefix(&rep->rts[0], &rp))
            continue;
        size_t o = strlen(why);
        snprintf(why + o, sizeof(why) - o,
                 "side %c: %zu/%zu transport selectors, the first %u.%u.%u.%u/%u <-> "
                 "%u.%u.%u.%u/%u, not the two hosts; ", 'A' + i, rep->n_lts, rep->n_rts,
                 rep->lts[0].addr[0], rep->lts[0].addr[1], rep->lts[0].addr[2],
                 rep->lts[0].addr[3], rep->lts[0].prefix_len, rep->rts[0].addr[0],
                 rep->rts[0].addr[1], rep->rts[0].addr[2], rep->rts[0].addr[3],
                 rep->rts[0].prefix_len);
    }
    h_free(&n);
    cr_assert_eq(why[0], 0, "%s", why);
}

/* A mode mismatch ends the quick mode with NO_PROPOSAL_CHOSEN: nothing is installed on
 * either side (RFC 2407 §4.5: Encapsulation Mode is an attribute of the transform, which the
 * responder accepts or not; strongSwan refuses a mode its policy does not have). */
static void mismatch(const char *mode_a, const char *mode_b)
{
    h_net n;
    m_init(&n, "main", NULL, NULL, 0);
    h_set(&n, 0, "ipsec.mode", mode_a);
    h_set(&n, 1, "ipsec.mode", mode_b);
    m_up(&n);
    h_run_until(&n, n.now + 5000);
    cr_assert(v1t_seen(K_QM1) >= 1, "quick mode was tried; wire: %s", v1t_log_str());
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(count_of(i, IPSECVPN_EVENT_CHILD_UP), 0,
                     "side %c installed a pair with mismatched modes; wire: %s", 'A' + i,
                     v1t_log_str());
        cr_assert_eq(ivpn_child_count(v1t_conn(&n, i)), 0, "side %c", 'A' + i);
        cr_assert_neq(h_status(&n.side[i], NULL), IPSECVPN_STATUS_ACTIVE, "side %c", 'A' + i);
    }
    cr_assert_eq(v1t.count[1][K_QM2], 0, "B does not answer the offer");
    cr_assert_geq(v1t.count[1][K_INFO], 1, "B sends its refusal (notify)");
    int ra = 0, rb = 0;
    cr_assert_eq(h_status(&n.side[0], &ra), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(ra, IPSECVPN_ERR_IKE_NO_PROPOSAL, "A's reason %d", ra);
    cr_assert_eq(h_status(&n.side[1], &rb), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(rb, IPSECVPN_ERR_IKE_NO_PROPOSAL, "B's reason %d", rb);
    h_free(&n);
}

Test(ikev1_modes, transport_initiator_tunnel_responder_refused, .timeout = 30)
{
    mismatch("transport", "tunnel");
}

Test(ikev1_modes, tunnel_initiator_transport_responder_refused, .timeout = 30)
{
    mismatch("tunnel", "transport");
}
