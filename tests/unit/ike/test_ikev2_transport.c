/*
 * IKEv2 transport mode (RFC 7296 §1.3.1, §3.10.1 USE_TRANSPORT_MODE) between two engines in
 * memory: both sides transport gives transport-mode pairs over the hosts' own addresses; a
 * mode mismatch fails the pair (a tunnel answer is refused by the transport initiator, a
 * tunnel request is refused by the transport responder with NO_PROPOSAL_CHOSEN); rekeys and
 * additional pairs keep the mode.
 *
 * The harness's callbacks do not keep the CHILD_UP mode or the log lines, so this file sets
 * the two sides up with its own callbacks (same queue, same datagram handling).
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "ike/common/ts.h"
#include "ike/v2/v2_internal.h"

static const char *addr_of[2] = { "192.0.2.1", "192.0.2.2" };

/* what the harness does not record: per side */
static int last_tunnel[2] = { -1, -1 };  /* `tunnel` of the last CHILD_UP / CHILD_REKEYED */
static int rekeyed[2];
static char logs[2][8192];

static int t_rng(void *user, uint8_t *buf, size_t len)
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

static void t_log(void *user, ipsecvpn_log_level level, const char *msg, size_t len)
{
    (void)level;
    char *l = logs[((h_side *)user)->idx];
    size_t have = strlen(l);
    if (have + len + 2 < sizeof(logs[0]))
        snprintf(l + have, sizeof(logs[0]) - have, "%.*s\n", (int)len, msg);
    if (getenv("IKE_TEST_LOG"))
        fprintf(stderr, "[%c] %.*s\n", ((h_side *)user)->idx ? 'B' : 'A', (int)len, msg);
}

static int t_send(void *user, const ipsecvpn_endpoint *local, const ipsecvpn_endpoint *remote,
                  const uint8_t *data, size_t len)
{
    h_side *s = user;
    h_net *n = s->net;
    s->sent++;
    cr_assert(len <= H_MAX_DGRAM);
    h_dgram d;
    memset(&d, 0, sizeof(d));
    d.to = 1 - s->idx;
    d.src = *local;
    d.dst = *remote;
    memcpy(d.data, data, len);
    d.len = len;
    n->last[s->idx] = d;
    if (n->cut)
        return 0;
    cr_assert(n->count < H_QUEUE, "datagram queue overflow");
    n->q[(n->head + n->count++) % H_QUEUE] = d;
    return 0;
}

static void t_event(void *user, const ipsecvpn_event *ev)
{
    h_side *s = user;
    if (s->n_events < H_EVENTS) {
        s->events[s->n_events] = ev->type;
        s->reasons[s->n_events++] = ev->reason;
    }
    if (ev->type != IPSECVPN_EVENT_CHILD_UP && ev->type != IPSECVPN_EVENT_CHILD_REKEYED)
        return;
    const ipsecvpn_child_sa_info *c = ev->child;
    cr_assert(c);
    s->child.spi_in = c->spi_in;
    s->child.spi_out = c->spi_out;
    s->child.local = c->local;
    s->child.remote = c->remote;
    last_tunnel[s->idx] = c->tunnel;
    if (ev->type == IPSECVPN_EVENT_CHILD_UP)
        s->child_ups++;
    else
        rekeyed[s->idx]++;
}

/* Both sides with IKEv2 and a PSK; side A's and B's IPsec mode. */
static void t_init(h_net *n, const char *mode_a, const char *mode_b)
{
    memset(n, 0, sizeof(*n));
    n->now = 1000;
    const char *modes[2] = { mode_a, mode_b };
    for (int i = 0; i < 2; i++) {
        h_side *s = &n->side[i];
        s->net = n;
        s->idx = i;
        s->rng = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
        ipsecvpn_host host = { .version = IPSECVPN_HOST_VERSION, .user_data = s,
                               .log_level = IPSECVPN_LOG_DEBUG, .random = t_rng };
        host.log = t_log;
        cr_assert_eq(ipsecvpn_ctx_new(&host, &s->ctx), IPSECVPN_OK);
        cr_assert_eq(ipsecvpn_connection_new(s->ctx, IPSECVPN_PROFILE_CLOUD, &s->conn),
                     IPSECVPN_OK);
        const char *f[] = { "local_address", "peer_address", "psk", "ike.version", "ipsec.mode" };
        const char *v[] = { addr_of[i], addr_of[1 - i], "s3cret-PSK-value", "ikev2", modes[i] };
        cr_assert_eq(ipsecvpn_connection_update(s->conn, f, v, 5, NULL), IPSECVPN_OK);
        memset(&s->ep, 0, sizeof(s->ep));
        s->ep.addr.family = IPSECVPN_IPV4;
        cr_assert_eq(inet_pton(AF_INET, addr_of[i], s->ep.addr.bytes), 1);
        s->ep.port = IPSECVPN_IKE_PORT;
        ipsecvpn_engine_settings_default(&n->settings[i]);
        last_tunnel[i] = -1;
        rekeyed[i] = 0;
        logs[i][0] = 0;
    }
}

static void t_start(h_net *n)
{
    ipsecvpn_engine_callbacks cb = { .version = IPSECVPN_ENGINE_CALLBACKS_VERSION,
                                     .send = t_send, .event = t_event };
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

static void t_up(h_net *n)
{
    t_start(n);
    cr_assert_eq(ipsecvpn_engine_initiate(n->side[0].e, n->side[0].id, n->now), IPSECVPN_OK);
    h_pump(n);
}

static ivpn_conn *conn_of(h_net *n, int side)
{
    return ivpn_engine_find_conn(n->side[side].e, n->side[side].id);
}

/* A selector set that is exactly the single address `a`, any protocol and port. */
static bool is_host(const ivpn_ts_set *s, const char *a)
{
    uint8_t b[4];
    cr_assert_eq(inet_pton(AF_INET, a, b), 1);
    return s->n == 1 && s->ts[0].family == 4 && s->ts[0].proto == 0 && s->ts[0].port_lo == 0 &&
           s->ts[0].port_hi == 0xffff && memcmp(s->ts[0].lo, b, 4) == 0 &&
           memcmp(s->ts[0].hi, b, 4) == 0;
}

/* Every pair of both sides is over the two hosts' addresses. */
static void check_host_selectors(h_net *n)
{
    for (int i = 0; i < 2; i++)
        for (ivpn_child *ch = ivpn_child_first(conn_of(n, i)); ch; ch = ivpn_child_next(ch)) {
            cr_assert(is_host(&ch->local_ts, addr_of[i]), "side %d: local selector", i);
            cr_assert(is_host(&ch->remote_ts, addr_of[1 - i]), "side %d: remote selector", i);
        }
}

/* `from` protects an ICMP echo between the outer addresses (src, dst); the peer reads it
 * back. Returns the ESP packet's length; *spi its SPI. With transport, the peer gets the
 * ICMP message alone (no IP header: there is no inner one); with tunnel, the IP packet. */
static size_t ping(h_net *n, int from, const char *src, const char *dst, bool transport,
                   uint32_t *spi)
{
    h_side *a = &n->side[from], *b = &n->side[1 - from];
    uint8_t buf[2048], orig[128];
    size_t off = 128;
    size_t len = h_icmp4(buf, off, src, dst, 7);
    memcpy(orig, buf + off, len);
    ipsecvpn_endpoint l, r;
    size_t oo, ol;
    cr_assert_eq(ipsecvpn_engine_protect(a->e, buf, sizeof(buf), off, len, n->now, &l, &r, &oo,
                                         &ol),
                 IPSECVPN_OK);
    cr_assert_eq(memcmp(&l.addr, &a->ep.addr, sizeof(l.addr)), 0, "sent from our address");
    cr_assert_eq(memcmp(&r.addr, &b->ep.addr, sizeof(r.addr)), 0, "sent to the peer's");
    if (spi)
        *spi = (uint32_t)buf[oo] << 24 | (uint32_t)buf[oo + 1] << 16 |
               (uint32_t)buf[oo + 2] << 8 | buf[oo + 3];
    ipsecvpn_read_result res;
    cr_assert_eq(ipsecvpn_engine_read(b->e, &r, &l, buf + oo, ol, n->now, &res), IPSECVPN_OK);
    cr_assert_eq(res.kind, IPSECVPN_READ_PLAINTEXT);
    cr_assert_eq(res.conn_id, b->id);
    size_t hdr = transport ? 20 : 0;
    cr_assert_eq(res.len, len - hdr, "decrypted length %zu", res.len);
    cr_assert_eq(memcmp(buf + oo + res.offset, orig + hdr, len - hdr), 0);
    if (transport)
        cr_assert_eq(buf[oo + res.offset], 8, "an ICMP echo request, not an IP header");
    return ol;
}

static bool logged(int side, const char *what)
{
    return strstr(logs[side], what) != NULL;
}

/* The tunnel-mode ESP length of the same ping, for comparison. */
static size_t tunnel_ping_len(void)
{
    h_net n;
    t_init(&n, "tunnel", "tunnel");
    t_up(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert_eq(last_tunnel[0], 1);
    cr_assert_eq(last_tunnel[1], 1);
    size_t l = ping(&n, 0, addr_of[0], addr_of[1], false, NULL);
    h_free(&n);
    return l;
}

Test(ikev2_transport, both_transport, .timeout = 30)
{
    size_t tunnel_len = tunnel_ping_len();
    h_net n;
    t_init(&n, "transport", "transport");
    t_up(&n);
    int ra, rb;
    cr_assert_eq(h_status(&n.side[0], &ra), IPSECVPN_STATUS_ACTIVE, "A reason %d", ra);
    cr_assert_eq(h_status(&n.side[1], &rb), IPSECVPN_STATUS_ACTIVE, "B reason %d", rb);
    cr_assert_eq(n.side[0].child_ups, 1);
    cr_assert_eq(n.side[1].child_ups, 1);
    cr_assert_eq(last_tunnel[0], 0, "A: CHILD_UP in transport mode");
    cr_assert_eq(last_tunnel[1], 0, "B: CHILD_UP in transport mode");
    cr_assert_eq(n.side[0].child.spi_out, n.side[1].child.spi_in);
    check_host_selectors(&n);
    uint32_t spi;
    size_t len = ping(&n, 0, addr_of[0], addr_of[1], true, &spi);
    cr_assert_eq(spi, n.side[0].child.spi_out);
    cr_assert_lt(len, tunnel_len, "transport %zu bytes, tunnel %zu: no inner IP header", len,
                 tunnel_len);
    ping(&n, 1, addr_of[1], addr_of[0], true, NULL);
    /* traffic between other addresses is not this pair's */
    uint8_t buf[2048];
    size_t plen = h_icmp4(buf, 128, "10.1.0.1", "10.2.0.1", 1);
    ipsecvpn_endpoint l, r;
    size_t oo, ol;
    cr_assert_neq(ipsecvpn_engine_protect(n.side[0].e, buf, sizeof(buf), 128, plen, n.now, &l,
                                          &r, &oo, &ol),
                  IPSECVPN_OK);
    h_free(&n);
}

Test(ikev2_transport, transport_initiator_refuses_tunnel_answer, .timeout = 30)
{
    h_net n;
    t_init(&n, "transport", "tunnel");
    t_up(&n);
    int ra;
    cr_assert_eq(h_status(&n.side[0], &ra), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(ra, IPSECVPN_ERR_IKE_NO_PROPOSAL, "A reason %d", ra);
    cr_assert_eq(n.side[0].child_ups, 0, "A installs no Child SA");
    cr_assert_null(ivpn_child_first(conn_of(&n, 0)));
    cr_assert(logged(0, "transport mode required"), "A logs why:\n%s", logs[0]);
    cr_assert(logged(1, "answering tunnel"), "B logs its choice:\n%s", logs[1]);
    /* B answered tunnel and installed it; A's delete took it away again */
    cr_assert_eq(n.side[1].child_ups, 1);
    cr_assert_eq(last_tunnel[1], 1);
    cr_assert(h_has_event(&n.side[1], IPSECVPN_EVENT_CHILD_DOWN));
    cr_assert_null(ivpn_child_first(conn_of(&n, 1)));
    cr_assert_neq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE);
    h_free(&n);
}

Test(ikev2_transport, transport_responder_refuses_tunnel_request, .timeout = 30)
{
    h_net n;
    t_init(&n, "tunnel", "transport");
    t_up(&n);
    int ra;
    cr_assert_eq(h_status(&n.side[0], &ra), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(ra, IPSECVPN_ERR_IKE_NO_PROPOSAL, "A reason %d", ra);
    cr_assert(logged(0, "NO_PROPOSAL_CHOSEN"), "A logs the notify:\n%s", logs[0]);
    cr_assert(logged(1, "requires transport"), "B logs why:\n%s", logs[1]);
    cr_assert_eq(n.side[0].child_ups, 0);
    cr_assert_eq(n.side[1].child_ups, 0);
    cr_assert_null(ivpn_child_first(conn_of(&n, 0)));
    cr_assert_null(ivpn_child_first(conn_of(&n, 1)));
    h_free(&n);
}

Test(ikev2_transport, transport_needs_the_hosts_in_the_selectors, .timeout = 30)
{
    h_net n;
    t_init(&n, "transport", "transport");
    h_flows(&n, 0, "10.1.0.0/24", "10.2.0.0/24");
    t_up(&n);
    int ra;
    cr_assert_eq(h_status(&n.side[0], &ra), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(ra, IPSECVPN_ERR_IKE_TS, "A reason %d", ra);
    cr_assert(logged(0, "outside the protected selectors"), "%s", logs[0]);
    cr_assert_eq(n.side[1].child_ups, 0);
    h_free(&n);
}

/* The responder narrows a wider offer to the hosts. */
Test(ikev2_transport, responder_narrows_to_hosts, .timeout = 30)
{
    h_net n;
    t_init(&n, "transport", "transport");
    h_flows(&n, 1, "192.0.2.0/24", "192.0.2.0/24");
    t_up(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert_eq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE);
    check_host_selectors(&n);
    ping(&n, 1, addr_of[1], addr_of[0], true, NULL);
    h_free(&n);
}

static void rekey_by(int side)
{
    h_net n;
    t_init(&n, "transport", "transport");
    t_up(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    uint32_t old_in = n.side[side].child.spi_in;
    last_tunnel[0] = last_tunnel[1] = -1;
    cr_assert_eq(ivpn_engine_test_rekey_child(n.side[side].e, n.side[side].id, old_in, n.now),
                 IPSECVPN_OK);
    h_pump(&n);
    cr_assert_eq(rekeyed[0], 1);
    cr_assert_eq(rekeyed[1], 1);
    cr_assert_eq(last_tunnel[0], 0, "A: the new pair is transport mode");
    cr_assert_eq(last_tunnel[1], 0, "B: the new pair is transport mode");
    cr_assert_neq(n.side[side].child.spi_in, old_in);
    cr_assert_eq(ivpn_child_count(conn_of(&n, 0)), 1, "the old pair is deleted");
    cr_assert_eq(ivpn_child_count(conn_of(&n, 1)), 1);
    check_host_selectors(&n);
    uint32_t spi;
    ping(&n, 0, addr_of[0], addr_of[1], true, &spi);
    cr_assert_eq(spi, n.side[0].child.spi_out, "on the new pair");
    ping(&n, 1, addr_of[1], addr_of[0], true, NULL);
    h_free(&n);
}

Test(ikev2_transport, rekey_by_initiator_keeps_transport, .timeout = 30) { rekey_by(0); }
Test(ikev2_transport, rekey_by_responder_keeps_transport, .timeout = 30) { rekey_by(1); }

/* The lifetime runs out: the rekey the engine starts itself keeps the mode too. */
Test(ikev2_transport, lifetime_rekey_keeps_transport, .timeout = 30)
{
    h_net n;
    t_init(&n, "transport", "transport");
    h_set(&n, 0, "ipsec.lifetime", "600");
    h_set(&n, 1, "ipsec.lifetime", "600");
    t_up(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    h_run_until(&n, n.now + 590 * 1000);
    cr_assert_geq(rekeyed[0] + rekeyed[1], 2, "rekeyed on both sides");
    cr_assert_eq(last_tunnel[0], 0);
    cr_assert_eq(last_tunnel[1], 0);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    check_host_selectors(&n);
    ping(&n, 0, addr_of[0], addr_of[1], true, NULL);
    h_free(&n);
}

/* B's policy is changed to tunnel under the running IKE SA (as a reconfigured peer would
 * be): A's transport request for another pair gets a tunnel answer, which A refuses by
 * deleting the pair B installed. The first pair is untouched. */
Test(ikev2_transport, additional_pair_tunnel_answer_deleted, .timeout = 30)
{
    h_net n;
    t_init(&n, "transport", "transport");
    t_up(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    conn_of(&n, 1)->cfg->ipsec.mode = IVPN_IPSEC_TUNNEL;
    ivpn_conn *ca = conn_of(&n, 0);
    cr_assert_eq(ivpn_engine_test_create_child(n.side[0].e, n.side[0].id, &ca->cfg_local_ts,
                                               &ca->cfg_remote_ts, n.now),
                 IPSECVPN_OK);
    h_pump(&n);
    cr_assert(logged(0, "transport mode required"), "%s", logs[0]);
    cr_assert_eq(n.side[0].child_ups, 1, "A installed nothing more");
    cr_assert_eq(n.side[1].child_ups, 2, "B installed the tunnel pair ...");
    cr_assert_eq(last_tunnel[1], 1);
    cr_assert(h_has_event(&n.side[1], IPSECVPN_EVENT_CHILD_DOWN), "... and deleted it");
    cr_assert_eq(ivpn_child_count(conn_of(&n, 0)), 1);
    cr_assert_eq(ivpn_child_count(conn_of(&n, 1)), 1);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert_eq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE);
    ping(&n, 0, addr_of[0], addr_of[1], true, NULL);
    ping(&n, 1, addr_of[1], addr_of[0], true, NULL);
    h_free(&n);
}

/* An additional pair between two transport policies is transport mode as well. */
Test(ikev2_transport, additional_pair_transport, .timeout = 30)
{
    h_net n;
    t_init(&n, "transport", "transport");
    t_up(&n);
    ivpn_conn *ca = conn_of(&n, 0);
    cr_assert_eq(ivpn_engine_test_create_child(n.side[0].e, n.side[0].id, &ca->cfg_local_ts,
                                               &ca->cfg_remote_ts, n.now),
                 IPSECVPN_OK);
    h_pump(&n);
    cr_assert_eq(n.side[0].child_ups, 2);
    cr_assert_eq(n.side[1].child_ups, 2);
    cr_assert_eq(last_tunnel[0], 0);
    cr_assert_eq(last_tunnel[1], 0);
    cr_assert_eq(ivpn_child_count(conn_of(&n, 0)), 2);
    check_host_selectors(&n);
    h_free(&n);
}

/* A's policy turns to tunnel: its rekey request lacks the notify, B (transport) refuses it
 * with NO_PROPOSAL_CHOSEN and both keep the old transport pair. */
Test(ikev2_transport, tunnel_rekey_refused_by_transport_responder, .timeout = 30)
{
    h_net n;
    t_init(&n, "transport", "transport");
    t_up(&n);
    uint32_t old_in = n.side[0].child.spi_in;
    conn_of(&n, 0)->cfg->ipsec.mode = IVPN_IPSEC_TUNNEL;
    cr_assert_eq(ivpn_engine_test_rekey_child(n.side[0].e, n.side[0].id, old_in, n.now),
                 IPSECVPN_OK);
    h_pump(&n);
    cr_assert(logged(0, "NO_PROPOSAL_CHOSEN"), "%s", logs[0]);
    cr_assert(logged(1, "requires transport"), "%s", logs[1]);
    cr_assert_eq(rekeyed[0] + rekeyed[1], 0);
    cr_assert_eq(ivpn_child_count(conn_of(&n, 0)), 1);
    cr_assert_eq(ivpn_child_count(conn_of(&n, 1)), 1);
    cr_assert_eq(n.side[0].child.spi_in, old_in);
    ping(&n, 0, addr_of[0], addr_of[1], true, NULL);
    h_free(&n);
}
