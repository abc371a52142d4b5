/*
 * two_engines_demo: two IKE engines in one process negotiate IKEv2 (or, with --ikev1, IKEv1
 * main mode and quick mode) over loopback UDP, then carry a few packets through their ESP SAs.
 * No root, no TUN, no peer software needed.
 *
 * Engine A (127.0.0.1) holds a seed-like connection: IKEv2, aes/sha1/group2, PSK, protected
 * flows 10.10.1.0/24 <-> 10.10.2.0/24. Engine B (127.0.0.2) holds the peer's side, made the
 * way a real peer would get it: A's connection exported as the cloud JSON (written from the
 * peer device's point of view) and imported. A initiates; both run one poll(2) loop with the
 * earliest of their deadlines as timeout. Once both report the Child SA, ICMP echo packets
 * 10.10.1.1 -> 10.10.2.1 go through A's protect() and B's read() and back, and each inner
 * packet must arrive byte for byte. The Child SA has a short lifetime (LIFETIME_S), so the
 * engines' own soft-lifetime timer (80..90 % of it, jittered) rekeys it once after a few
 * seconds; packets then cross again and must travel on the new SPIs. Exit status 0 means the
 * rekey happened and every packet arrived.
 *
 * NAT traversal is on at both ends: a host with only UDP sockets (no raw socket for IP
 * protocol 50) needs ESP in UDP (RFC 3948) even where there is no NAT.
 *
 * Ports: 500/4500 when run as root, otherwise 10500/14500 (--port N, --natt-port N).
 * --ikev1: the same with IKEv1 (the connection's ike.version picks the engine; nothing else
 * in this program changes).
 */
#define _GNU_SOURCE /* getopt_long */
#include "host_net.h"
#include "host_sa.h"

#include <ipsecvpn/ipsecvpn.h>
#include <ipsecvpn/engine.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE (4096 + IPSECVPN_ESP_HEADROOM + IPSECVPN_ESP_TAILROOM)
#define PACKETS 5
#define LIFETIME_S "8" /* ipsec.lifetime: soft rekey after 6.4..7.2 s */
#define REKEY_WAIT_MS 12000

typedef struct side {
    const char *label, *addr;
    ipsecvpn_ctx *ctx;
    ipsecvpn_connection *conn;
    ipsecvpn_engine *engine;
    ipsecvpn_endpoint local, remote;
    uint32_t conn_id;
    int fd[2]; /* IKE port, NAT-T port */
    int child_up;
    int rekeyed;      /* CHILD_REKEYED events seen */
    uint32_t spi_out; /* SPI of the last ESP packet this side sent */
} side;

static unsigned ike_port, natt_port;
static const char *ike_version = "ikev2";
static int closing; /* after A deleted its connection: B's late answer is expected to drop */
static uint8_t buf[BUF_SIZE];

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int demo_random(void *user_data, uint8_t *out, size_t len)
{
    (void)user_data;
    return getrandom(out, len, 0) == (ssize_t)len ? 0 : -1;
}

static void demo_log(void *user_data, ipsecvpn_log_level level, const char *msg, size_t len)
{
    (void)level;
    fflush(stdout);
    fprintf(stderr, "[%s lib] %.*s\n", ((side *)user_data)->label, (int)len, msg);
}

static int demo_send(void *user_data, const ipsecvpn_endpoint *local,
                     const ipsecvpn_endpoint *remote, const uint8_t *data, size_t len)
{
    side *s = user_data;
    struct sockaddr_storage ss;
    socklen_t sl = host_endpoint_to_sockaddr(remote, &ss);
    int fd = local->port == ike_port ? s->fd[0] : local->port == natt_port ? s->fd[1] : -1;
    if (fd < 0) {
        fprintf(stderr, "%s: engine wants to send from port %u, which is not open\n", s->label,
                local->port);
        return -1;
    }
    return sendto(fd, data, len, 0, (struct sockaddr *)&ss, sl) == (ssize_t)len ? 0 : -1;
}

static void demo_event(void *user_data, const ipsecvpn_event *ev)
{
    side *s = user_data;
    printf("%s: ", s->label);
    host_sa_event(NULL, ev);
    if (ev->type == IPSECVPN_EVENT_CHILD_UP || ev->type == IPSECVPN_EVENT_CHILD_REKEYED)
        s->child_up = 1;
    if (ev->type == IPSECVPN_EVENT_CHILD_REKEYED)
        s->rekeyed++;
    else if (ev->type == IPSECVPN_EVENT_CHILD_DOWN)
        s->child_up = 0;
}

/* One datagram waiting on @p fd for side @p s: feed it to the engine. Returns the result
 * kind, or -1 if nothing was read or the engine dropped it. */
static int receive(side *s, int fd, uint16_t port, ipsecvpn_read_result *res)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    ssize_t n = recvfrom(fd, buf, BUF_SIZE, MSG_DONTWAIT, (struct sockaddr *)&ss, &sl);
    ipsecvpn_endpoint local = {.addr = s->local.addr, .port = port}, remote;
    if (n < 0 || host_endpoint_from_sockaddr(&ss, &remote) != 0)
        return -1;
    uint32_t spi = n >= 8 ? host_be32(buf) : 0;
    int rc = ipsecvpn_engine_read(s->engine, &local, &remote, buf, (size_t)n, now_ms(), res);
    if (rc != IPSECVPN_OK) {
        if (!closing)
            printf("%s: dropped a %zd-byte datagram: %s\n", s->label, n, ipsecvpn_strerror(rc));
        return -1;
    }
    if (res->kind == IPSECVPN_READ_PLAINTEXT)
        host_sa_count_in(spi, res->len);
    return (int)res->kind;
}

/* Run both engines until @p done(sides) or @p ms pass. A PLAINTEXT result is copied to
 * @p got (if not NULL) and ends the wait. Returns 1 if done, 0 on timeout. */
static int pump(side *sides, uint64_t ms, int (*done)(side *), uint8_t *got, size_t *got_len)
{
    uint64_t until = now_ms() + ms;
    for (;;) {
        uint64_t now = now_ms(), next = until;
        for (int i = 0; i < 2; i++) {
            if (ipsecvpn_engine_get_expiry(sides[i].engine) <= now)
                ipsecvpn_engine_handle_expiry(sides[i].engine, now);
            uint64_t e = ipsecvpn_engine_get_expiry(sides[i].engine);
            next = e < next ? e : next;
        }
        if (done && done(sides))
            return 1;
        if (now >= until)
            return 0;
        struct pollfd fds[4];
        for (int i = 0; i < 4; i++)
            fds[i] = (struct pollfd){.fd = sides[i / 2].fd[i % 2], .events = POLLIN};
        poll(fds, 4, next > now ? (int)(next - now) : 1);
        for (int i = 0; i < 4; i++) {
            ipsecvpn_read_result res;
            if (!(fds[i].revents & POLLIN))
                continue;
            int kind = receive(&sides[i / 2], fds[i].fd,
                               (uint16_t)(i % 2 ? natt_port : ike_port), &res);
            if (kind == IPSECVPN_READ_PLAINTEXT && got) {
                memcpy(got, buf + res.offset, res.len);
                *got_len = res.len;
                return 1;
            }
        }
    }
}

static int both_up(side *s) { return s[0].child_up && s[1].child_up; }
static int both_rekeyed(side *s) { return s[0].rekeyed && s[1].rekeyed; }

/* An ICMP echo request from @p src to @p dst (IPv4, checksums left zero: not checked by
 * ESP; a real stack would fill them). */
static size_t make_ping(uint8_t *p, const char *src, const char *dst, uint16_t seq)
{
    ipsecvpn_ip_addr s, d;
    host_addr_parse(src, &s);
    host_addr_parse(dst, &d);
    size_t len = 20 + 8 + 32;
    memset(p, 0, len);
    p[0] = 0x45;
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    p[8] = 64;
    p[9] = 1; /* ICMP */
    memcpy(p + 12, s.bytes, 4);
    memcpy(p + 16, d.bytes, 4);
    p[20] = 8; /* echo request */
    p[26] = (uint8_t)(seq >> 8);
    p[27] = (uint8_t)seq;
    for (size_t i = 28; i < len; i++)
        p[i] = (uint8_t)(i + seq);
    return len;
}

/* Protect a packet with @p from, send it, and check it arrives unchanged at @p to. */
static int carry(side *sides, side *from, const char *src, const char *dst, uint16_t seq)
{
    uint8_t inner[128], got[BUF_SIZE];
    size_t len = make_ping(inner, src, dst, seq), out_off, out_len, got_len = 0;
    ipsecvpn_endpoint local, remote;
    memcpy(buf + IPSECVPN_ESP_HEADROOM, inner, len);
    int rc = ipsecvpn_engine_protect(from->engine, buf, BUF_SIZE, IPSECVPN_ESP_HEADROOM, len,
                                     now_ms(), &local, &remote, &out_off, &out_len);
    if (rc != IPSECVPN_OK) {
        printf("%s: protect failed: %s\n", from->label, ipsecvpn_strerror(rc));
        return 0;
    }
    from->spi_out = host_be32(buf + out_off);
    host_sa_count_out(from->spi_out, len);
    if (demo_send(from, &local, &remote, buf + out_off, out_len) != 0)
        return 0;
    int ok = pump(sides, 2000, NULL, got, &got_len) && got_len == len &&
             memcmp(got, inner, len) == 0;
    printf("%s -> %s: %zu-byte packet %s -> %s seq %u as %zu bytes of ESP: %s\n", from->label,
           from == &sides[0] ? sides[1].label : sides[0].label, len, src, dst, seq, out_len,
           ok ? "arrived intact" : "LOST or changed");
    return ok;
}

/* A's connection from field/value pairs; B's from A's export (the peer's view). */
static int make_connections(side *a, side *b)
{
    static const char *const fields[] = {
        "name", "local_address", "peer_address", "psk", "ike.version", "routing_mode",
        "local_cidrs", "remote_cidrs", "nat_traversal", "ipsec.lifetime",
    };
    const char *values[] = {"two-engines-demo", a->addr, b->addr, "Demo-PSK-123",
                            ike_version, "protected-flows", "10.10.1.0/24", "10.10.2.0/24", "on", LIFETIME_S};
    char json[8192];
    int rc = ipsecvpn_connection_new(a->ctx, IPSECVPN_PROFILE_CLOUD, &a->conn);
    if (rc == IPSECVPN_OK)
        rc = ipsecvpn_connection_update(a->conn, fields, values, 10, NULL);
    if (rc == IPSECVPN_OK)
        rc = ipsecvpn_connection_export(a->conn, IPSECVPN_EXPORT_JSON, json, sizeof(json), NULL);
    if (rc == IPSECVPN_OK)
        rc = ipsecvpn_connection_import_json(b->ctx, IPSECVPN_PROFILE_CLOUD, json, strlen(json),
                                             &b->conn, NULL);
    /* The JSON does not carry NAT traversal: B switches it on too. */
    if (rc == IPSECVPN_OK)
        rc = ipsecvpn_connection_set(b->conn, "nat_traversal", "on", NULL);
    if (rc == IPSECVPN_OK)
        rc = ipsecvpn_connection_set(b->conn, "ike.version", ike_version, NULL);
    if (rc != IPSECVPN_OK)
        fprintf(stderr, "configuration: %s\n", ipsecvpn_strerror(rc));
    else
        printf("B's configuration, as A's export for the peer:\n%s\n", json);
    return rc;
}

static int open_side(side *s, const char *peer_addr)
{
    ipsecvpn_host host = {.version = IPSECVPN_HOST_VERSION, .user_data = s, .log = demo_log,
                          .log_level = IPSECVPN_LOG_WARNING, .random = demo_random};
    host_addr_parse(s->addr, &s->local.addr);
    host_addr_parse(peer_addr, &s->remote.addr);
    s->local.port = s->remote.port = (uint16_t)ike_port;
    s->fd[0] = host_udp_open(&s->local.addr, (uint16_t)ike_port);
    s->fd[1] = host_udp_open(&s->local.addr, (uint16_t)natt_port);
    if (s->fd[0] < 0 || s->fd[1] < 0) {
        fprintf(stderr, "%s: cannot bind %s ports %u/%u: %s\n", s->label, s->addr, ike_port,
                natt_port, strerror(errno));
        return -1;
    }
    return ipsecvpn_ctx_new(&host, &s->ctx) == IPSECVPN_OK ? 0 : -1;
}

static int start_engine(side *s)
{
    ipsecvpn_engine_callbacks cb = {.version = IPSECVPN_ENGINE_CALLBACKS_VERSION,
                                    .send = demo_send, .event = demo_event};
    int rc = ipsecvpn_engine_new(s->ctx, &cb, NULL, s, &s->engine);
    if (rc == IPSECVPN_OK)
        rc = ipsecvpn_engine_add_connection(s->engine, s->conn, &s->local, &s->remote,
                                            now_ms(), &s->conn_id);
    if (rc != IPSECVPN_OK)
        fprintf(stderr, "%s: engine: %s\n", s->label, ipsecvpn_strerror(rc));
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"port", 1, 0, 'p'}, {"natt-port", 1, 0, 'n'}, {"ikev1", 0, 0, '1'}, {0, 0, 0, 0}};
    ike_port = geteuid() == 0 ? 500 : 10500;
    natt_port = geteuid() == 0 ? 4500 : 14500;
    for (int c; (c = getopt_long(argc, argv, "", longs, NULL)) != -1;) {
        if (c == 'p')
            ike_port = (unsigned)atoi(optarg);
        else if (c == 'n')
            natt_port = (unsigned)atoi(optarg);
        else if (c == '1')
            ike_version = "ikev1";
        else
            return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    side sides[2] = {{.label = "A", .addr = "127.0.0.1", .fd = {-1, -1}},
                     {.label = "B", .addr = "127.0.0.2", .fd = {-1, -1}}};
    int delivered = 0, status = 1;
    printf("two_engines_demo (libipsecvpn %s), %s, ports %u/%u\n",
           ipsecvpn_version(NULL, NULL, NULL), ike_version, ike_port, natt_port);
    if (open_side(&sides[0], sides[1].addr) != 0 || open_side(&sides[1], sides[0].addr) != 0 ||
        make_connections(&sides[0], &sides[1]) != IPSECVPN_OK ||
        start_engine(&sides[0]) != IPSECVPN_OK || start_engine(&sides[1]) != IPSECVPN_OK)
        goto out;
    int rc = ipsecvpn_engine_initiate(sides[0].engine, sides[0].conn_id, now_ms());
    if (rc != IPSECVPN_OK && rc != IPSECVPN_ERR_STATE) {
        printf("A: initiate: %s\n", ipsecvpn_strerror(rc));
        goto out;
    }
    if (!pump(sides, 10000, both_up, NULL, NULL)) {
        printf("the Child SA did not come up within 10 s\n");
        goto out;
    }
    for (uint16_t seq = 1; seq <= PACKETS; seq++) {
        delivered += carry(sides, &sides[0], "10.10.1.1", "10.10.2.1", seq);
        delivered += carry(sides, &sides[1], "10.10.2.1", "10.10.1.1", seq);
    }
    host_sa_print_counters();
    uint32_t old_spi[2] = {sides[0].spi_out, sides[1].spi_out};
    printf("waiting for the Child SA's soft lifetime (ipsec.lifetime %s s) to rekey it\n",
           LIFETIME_S);
    int rekeyed = pump(sides, REKEY_WAIT_MS, both_rekeyed, NULL, NULL);
    if (!rekeyed)
        printf("the Child SA was NOT rekeyed within %d s\n", REKEY_WAIT_MS / 1000);
    else if (strcmp(ike_version, "ikev1") == 0)
        /* IKEv1 has no response flag to say the peer installed the new pair: a rekey's
         * initiator keeps sending on the old one until the peer's first packet arrives on the
         * new one, or 2 s have passed. When both ends rekeyed at once, both wait the 2 s. */
        pump(sides, 2500, NULL, NULL, NULL);
    else /* let the initiator's delete of the old pair finish before checking the new one */
        pump(sides, 200, NULL, NULL, NULL);
    for (uint16_t seq = PACKETS + 1; rekeyed && seq <= 2 * PACKETS; seq++) {
        delivered += carry(sides, &sides[0], "10.10.1.1", "10.10.2.1", seq);
        delivered += carry(sides, &sides[1], "10.10.2.1", "10.10.1.1", seq);
    }
    int new_spis = rekeyed && sides[0].spi_out != old_spi[0] && sides[1].spi_out != old_spi[1];
    if (rekeyed)
        printf("after the rekey: A sends on SPI 0x%08" PRIx32 " (was 0x%08" PRIx32
               "), B on 0x%08" PRIx32 " (was 0x%08" PRIx32 "): %s\n",
               sides[0].spi_out, old_spi[0], sides[1].spi_out, old_spi[1],
               new_spis ? "new SPIs" : "SAME SPIs");
    host_sa_print_counters();
    printf("%d of %d packets delivered\n", delivered, 4 * PACKETS);
    status = rekeyed && new_spis && delivered == 4 * PACKETS ? 0 : 1;
    closing = 1;
    ipsecvpn_engine_remove_connection(sides[0].engine, sides[0].conn_id, now_ms());
    pump(sides, 300, NULL, NULL, NULL); /* B sees the delete */
out:
    for (int i = 0; i < 2; i++) {
        ipsecvpn_engine_free(sides[i].engine);
        ipsecvpn_connection_free(sides[i].conn);
        ipsecvpn_ctx_free(sides[i].ctx);
        for (int j = 0; j < 2; j++)
            if (sides[i].fd[j] >= 0)
                close(sides[i].fd[j]);
    }
    return status;
}
