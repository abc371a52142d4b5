/*
 * ipsecvpn_host: the reference host program of libipsecvpn (Linux).
 *
 * It gives the sans-I/O IKE engine what it cannot have itself: UDP sockets on the IKE port
 * (500) and the NAT-T port (4500), a TUN device that carries the inner packets, the monotonic
 * clock, getrandom(2) and a poll(2) loop whose timeout is the engine's next deadline.
 *
 *   datagram on 500/4500  -> ipsecvpn_engine_read()    -> PLAINTEXT: write the inner packet to TUN
 *   packet read from TUN  -> ipsecvpn_engine_protect() -> ESP sent from the socket it names
 *   engine's send callback-> sendto() from the socket of the local port it names
 *
 * ESP-in-UDP is read as plain datagrams (no UDP_ENCAP socket option): the engine tells ESP
 * from IKE by the non-ESP marker. SIGINT/SIGTERM delete the connection (telling the peer),
 * print the per-SA counters and exit. Run with --help for the options.
 */
#define _GNU_SOURCE /* getopt_long */
#include "host_config.h"
#include "host_net.h"
#include "host_sa.h"

#include <ipsecvpn/ipsecvpn.h>
#include <ipsecvpn/engine.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define MAX_OPTS 64
/* Room for the largest datagram plus what ESP adds around a TUN packet. */
#define BUF_SIZE (65536 + IPSECVPN_ESP_HEADROOM + IPSECVPN_ESP_TAILROOM)
/* Packets handled per ready descriptor before poll() is asked again (fairness). */
#define BATCH 64

typedef struct host_opts {
    const char *config, *tun_addr;
    const char *sets[MAX_OPTS], *routes[MAX_OPTS];
    size_t n_sets, n_routes;
    char tun[IFNAMSIZ];
    int no_tun, initiate, verbose;
    unsigned port, natt_port, remote_port, mtu, duration_s;
} host_opts;

typedef struct host {
    host_opts o;
    ipsecvpn_engine *engine;
    ipsecvpn_endpoint local, remote;
    int fd_ike, fd_natt, fd_tun;
    uint64_t sent, send_errors, tun_drops;
} host;

static volatile sig_atomic_t stop_signal;
static uint8_t buf[BUF_SIZE];

static void on_signal(int sig) { stop_signal = sig; }

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- library callbacks ---------------------------------------------------------------- */

static int host_random(void *user_data, uint8_t *out, size_t len)
{
    (void)user_data;
    while (len > 0) {
        ssize_t got = getrandom(out, len, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        out += got;
        len -= (size_t)got;
    }
    return 0;
}

static void host_log(void *user_data, ipsecvpn_log_level level, const char *msg, size_t len)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    (void)user_data;
    fflush(stdout);
    fprintf(stderr, "[%s] %.*s\n", (unsigned)level < 4 ? names[level] : "?", (int)len, msg);
}

static int fd_for_port(const host *h, uint16_t port)
{
    if (port == h->o.port)
        return h->fd_ike;
    if (port == h->o.natt_port)
        return h->fd_natt;
    return -1;
}

static int send_from(host *h, const ipsecvpn_endpoint *local, const ipsecvpn_endpoint *remote,
                     const uint8_t *data, size_t len)
{
    struct sockaddr_storage ss;
    socklen_t sl = host_endpoint_to_sockaddr(remote, &ss);
    int fd = fd_for_port(h, local->port);
    if (fd < 0 || sendto(fd, data, len, 0, (struct sockaddr *)&ss, sl) != (ssize_t)len) {
        h->send_errors++;
        if (h->o.verbose)
            fprintf(stderr, "send from port %u failed: %s\n", local->port,
                    local->port == 0 ? "ESP without UDP encapsulation needs a raw socket; "
                                       "set nat_traversal=on"
                    : fd < 0         ? "no socket on that port"
                                     : strerror(errno));
        return -1;
    }
    h->sent++;
    return 0;
}

static int host_send(void *user_data, const ipsecvpn_endpoint *local,
                     const ipsecvpn_endpoint *remote, const uint8_t *data, size_t len)
{
    return send_from(user_data, local, remote, data, len);
}

/* ---- the data paths -------------------------------------------------------------------- */

static void on_datagram(host *h, int fd, uint16_t port)
{
    for (int i = 0; i < BATCH; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        ssize_t n = recvfrom(fd, buf, BUF_SIZE, 0, (struct sockaddr *)&ss, &sl);
        if (n < 0)
            return;
        ipsecvpn_endpoint local = {.addr = h->local.addr, .port = port}, remote;
        if (host_endpoint_from_sockaddr(&ss, &remote) != 0)
            continue;
        /* ESP starts with its (non-zero) SPI; IKE on 4500 with the zero non-ESP marker. */
        uint32_t spi = n >= 8 && port == h->o.natt_port ? host_be32(buf) : 0;
        ipsecvpn_read_result res;
        int rc = ipsecvpn_engine_read(h->engine, &local, &remote, buf, (size_t)n, now_ms(), &res);
        if (rc != IPSECVPN_OK) {
            if (h->o.verbose)
                fprintf(stderr, "dropped %zd-byte datagram on port %u: %s\n", n, port,
                        ipsecvpn_strerror(rc));
            continue;
        }
        if (res.kind != IPSECVPN_READ_PLAINTEXT)
            continue;
        host_sa_count_in(spi, res.len);
        if (h->fd_tun >= 0 && write(h->fd_tun, buf + res.offset, res.len) != (ssize_t)res.len)
            h->tun_drops++;
    }
}

static void on_tun(host *h)
{
    const size_t off = IPSECVPN_ESP_HEADROOM;
    for (int i = 0; i < BATCH; i++) {
        ssize_t n = read(h->fd_tun, buf + off, BUF_SIZE - off - IPSECVPN_ESP_TAILROOM);
        if (n <= 0)
            return;
        ipsecvpn_endpoint local, remote;
        size_t out_off, out_len;
        int rc = ipsecvpn_engine_protect(h->engine, buf, BUF_SIZE, off, (size_t)n, now_ms(),
                                         &local, &remote, &out_off, &out_len);
        if (rc != IPSECVPN_OK) {
            h->tun_drops++;
            if (h->o.verbose)
                fprintf(stderr, "TUN packet of %zd bytes not sent: %s\n", n,
                        ipsecvpn_strerror(rc));
            continue;
        }
        if (out_len >= 4)
            host_sa_count_out(host_be32(buf + out_off), (size_t)n);
        send_from(h, &local, &remote, buf + out_off, out_len);
    }
}

/* ---- setup ------------------------------------------------------------------------------ */

static void usage(const char *prog)
{
    printf("usage: %s [options]\n"
           "  -c, --config FILE      connection: cloud JSON, or field=value lines\n"
           "  -s, --set FIELD=VALUE  set a connection field (repeatable; wins over the file)\n"
           "      --local IP         our gateway address (sets local_address)\n"
           "      --remote IP        the peer's address (sets peer_address)\n"
           "      --port N           our IKE port (500); --natt-port N: NAT-T port (4500)\n"
           "      --remote-port N    the peer's IKE port (500)\n"
           "      --tun NAME         TUN device name (ipsecvpn%%d); --no-tun: IKE only\n"
           "      --tun-addr IP      address of the TUN (default: first host of local_cidrs)\n"
           "      --route CIDR       route CIDR into the TUN (repeatable; default: the\n"
           "                         remote_cidrs in protected-flows mode)\n"
           "      --mtu N            TUN MTU (1400)\n"
           "  -i, --initiate         initiate the connection at start\n"
           "  -d, --duration S       exit after S seconds\n"
           "  -v, --verbose          more output (twice: library debug log)\n",
           prog);
}

static int parse_opts(int argc, char **argv, host_opts *o)
{
    static const struct option longs[] = {
        {"config", 1, 0, 'c'}, {"set", 1, 0, 's'},      {"local", 1, 0, 'L'},
        {"remote", 1, 0, 'R'}, {"port", 1, 0, 'p'},     {"natt-port", 1, 0, 'n'},
        {"remote-port", 1, 0, 'P'}, {"tun", 1, 0, 't'}, {"no-tun", 0, 0, 'N'},
        {"tun-addr", 1, 0, 'a'}, {"route", 1, 0, 'r'},  {"mtu", 1, 0, 'm'},
        {"initiate", 0, 0, 'i'}, {"duration", 1, 0, 'd'}, {"verbose", 0, 0, 'v'},
        {"help", 0, 0, 'h'},     {0, 0, 0, 0},
    };
    static char local_set[80], remote_set[80];
    *o = (host_opts){.port = 500, .natt_port = 4500, .mtu = 1400, .tun = "ipsecvpn%d"};
    int c;
    while ((c = getopt_long(argc, argv, "c:s:id:vh", longs, NULL)) != -1) {
        if ((c == 's' || c == 'L' || c == 'R') && o->n_sets >= MAX_OPTS - 2)
            return -1;
        switch (c) {
        case 'c': o->config = optarg; break;
        case 's': o->sets[o->n_sets++] = optarg; break;
        case 'L':
            snprintf(local_set, sizeof(local_set), "local_address=%s", optarg);
            o->sets[o->n_sets++] = local_set;
            break;
        case 'R':
            snprintf(remote_set, sizeof(remote_set), "peer_address=%s", optarg);
            o->sets[o->n_sets++] = remote_set;
            break;
        case 'p': o->port = (unsigned)atoi(optarg); break;
        case 'n': o->natt_port = (unsigned)atoi(optarg); break;
        case 'P': o->remote_port = (unsigned)atoi(optarg); break;
        case 't': snprintf(o->tun, sizeof(o->tun), "%s", optarg); break;
        case 'N': o->no_tun = 1; break;
        case 'a': o->tun_addr = optarg; break;
        case 'r':
            if (o->n_routes < MAX_OPTS)
                o->routes[o->n_routes++] = optarg;
            break;
        case 'm': o->mtu = (unsigned)atoi(optarg); break;
        case 'i': o->initiate = 1; break;
        case 'd': o->duration_s = (unsigned)atoi(optarg); break;
        case 'v': o->verbose++; break;
        case 'h': usage(argv[0]); exit(0);
        default: return -1;
        }
    }
    if (!o->remote_port)
        o->remote_port = o->port;
    if (optind != argc || !o->port || o->port > 65535 || !o->natt_port ||
        o->natt_port > 65535 || o->remote_port > 65535 || o->port == o->natt_port)
        return -1;
    return 0;
}

/* Read a connection field that holds an address into @p out. */
static int conn_addr(const ipsecvpn_connection *c, const char *field, ipsecvpn_ip_addr *out)
{
    char text[128];
    if (ipsecvpn_connection_get(c, field, text, sizeof(text), NULL) != IPSECVPN_OK ||
        host_addr_parse(text, out) != 0) {
        fprintf(stderr, "connection has no usable %s\n", field);
        return -1;
    }
    return 0;
}

/* The TUN's address: --tun-addr, or the first host address of the first local CIDR. */
static int tun_address(const host *h, const ipsecvpn_connection *c, ipsecvpn_ip_addr *out)
{
    char list[1024];
    memset(out, 0, sizeof(*out));
    if (h->o.tun_addr)
        return host_addr_parse(h->o.tun_addr, out);
    if (ipsecvpn_connection_get(c, "local_cidrs", list, sizeof(list), NULL) != IPSECVPN_OK)
        return 0;
    list[strcspn(list, ",")] = '\0';
    ipsecvpn_ip_prefix p;
    if (host_prefix_parse(list, &p) != 0 || p.prefix_len == 0)
        return 0;
    out->family = p.family;
    memcpy(out->bytes, p.addr, sizeof(out->bytes));
    unsigned bits = p.family == IPSECVPN_IPV4 ? 32 : 128;
    if (p.prefix_len < bits - 1) /* network address + 1 */
        out->bytes[bits / 8 - 1] |= 1;
    return 0;
}

/* Add one route, reporting a failure without giving up (the route may exist already). */
static void add_route(const host *h, const char *cidr, const ipsecvpn_ip_addr *src)
{
    ipsecvpn_ip_prefix p;
    if (host_prefix_parse(cidr, &p) != 0 || host_tun_route(h->o.tun, &p, src) != 0)
        fprintf(stderr, "warning: could not route %s into %s\n", cidr, h->o.tun);
    else
        printf("route %s dev %s\n", cidr, h->o.tun);
}

static int setup_tun(host *h, const ipsecvpn_connection *c)
{
    ipsecvpn_ip_addr addr;
    char text[1024], a[64];
    h->fd_tun = host_tun_open(h->o.tun);
    if (h->fd_tun < 0) {
        perror("open TUN (/dev/net/tun)");
        return -1;
    }
    if (tun_address(h, c, &addr) != 0 || host_tun_configure(h->o.tun, h->o.mtu, &addr) != 0) {
        fprintf(stderr, "could not configure %s\n", h->o.tun);
        return -1;
    }
    printf("tun %s mtu %u address %s\n", h->o.tun, h->o.mtu, host_addr_str(&addr, a, sizeof(a)));
    for (size_t i = 0; i < h->o.n_routes; i++)
        add_route(h, h->o.routes[i], &addr);
    if (h->o.n_routes == 0 &&
        ipsecvpn_connection_get(c, "routing_mode", text, sizeof(text), NULL) == IPSECVPN_OK &&
        strcmp(text, "protected-flows") == 0 &&
        ipsecvpn_connection_get(c, "remote_cidrs", text, sizeof(text), NULL) == IPSECVPN_OK) {
        for (char *save = NULL, *cidr = strtok_r(text, ",", &save); cidr;
             cidr = strtok_r(NULL, ",", &save))
            add_route(h, cidr, &addr);
    }
    return 0;
}

static int setup(host *h, ipsecvpn_ctx *ctx, const ipsecvpn_connection *c, uint32_t *conn_id)
{
    char a[80];
    if (conn_addr(c, "local_address", &h->local.addr) != 0 ||
        conn_addr(c, "peer_address", &h->remote.addr) != 0)
        return -1;
    h->local.port = (uint16_t)h->o.port;
    h->remote.port = (uint16_t)h->o.remote_port;
    h->fd_ike = host_udp_open(&h->local.addr, (uint16_t)h->o.port);
    h->fd_natt = host_udp_open(&h->local.addr, (uint16_t)h->o.natt_port);
    if (h->fd_ike < 0 || h->fd_natt < 0) {
        fprintf(stderr, "cannot bind UDP %s ports %u/%u: %s\n",
                host_addr_str(&h->local.addr, a, sizeof(a)), h->o.port, h->o.natt_port,
                strerror(errno));
        return -1;
    }
    if (!h->o.no_tun && setup_tun(h, c) != 0)
        return -1;
    ipsecvpn_engine_callbacks cb = {.version = IPSECVPN_ENGINE_CALLBACKS_VERSION,
                                    .send = host_send, .event = host_sa_event};
    int rc = ipsecvpn_engine_new(ctx, &cb, NULL, h, &h->engine);
    if (rc == IPSECVPN_OK)
        rc = ipsecvpn_engine_add_connection(h->engine, c, &h->local, &h->remote, now_ms(),
                                            conn_id);
    if (rc != IPSECVPN_OK) {
        fprintf(stderr, "engine: %s\n", ipsecvpn_strerror(rc));
        return -1;
    }
    printf("listening on %s", host_endpoint_str(&h->local, a, sizeof(a)));
    printf(" and port %u, peer %s\n", h->o.natt_port,
           host_endpoint_str(&h->remote, a, sizeof(a)));
    if (h->o.initiate) {
        rc = ipsecvpn_engine_initiate(h->engine, *conn_id, now_ms());
        if (rc != IPSECVPN_OK && rc != IPSECVPN_ERR_STATE) {
            fprintf(stderr, "initiate: %s\n", ipsecvpn_strerror(rc));
            return -1;
        }
    }
    return 0;
}

/* ---- the loop --------------------------------------------------------------------------- */

/* Run until a signal, the duration, or (with @p until > 0) the absolute deadline @p until. */
static void run(host *h, uint64_t until)
{
    struct pollfd fds[3] = {{.fd = h->fd_ike, .events = POLLIN},
                            {.fd = h->fd_natt, .events = POLLIN},
                            {.fd = h->fd_tun, .events = POLLIN}};
    nfds_t nfds = h->fd_tun >= 0 ? 3 : 2;
    while (!stop_signal) {
        uint64_t now = now_ms();
        if (until && now >= until)
            return;
        uint64_t next = ipsecvpn_engine_get_expiry(h->engine);
        if (next <= now) {
            ipsecvpn_engine_handle_expiry(h->engine, now);
            next = ipsecvpn_engine_get_expiry(h->engine);
        }
        if (until && until < next)
            next = until;
        /* a deadline still in the past after handling it: do not spin, look again in 1 ms */
        int timeout = next == UINT64_MAX ? -1
                      : next <= now      ? 1
                      : next - now > INT_MAX ? INT_MAX
                                             : (int)(next - now);
        if (poll(fds, nfds, timeout) < 0 && errno != EINTR)
            return;
        if (fds[0].revents & POLLIN)
            on_datagram(h, h->fd_ike, (uint16_t)h->o.port);
        if (fds[1].revents & POLLIN)
            on_datagram(h, h->fd_natt, (uint16_t)h->o.natt_port);
        if (nfds == 3 && (fds[2].revents & POLLIN))
            on_tun(h);
    }
}

int main(int argc, char **argv)
{
    host h = {.fd_ike = -1, .fd_natt = -1, .fd_tun = -1};
    if (parse_opts(argc, argv, &h.o) != 0) {
        usage(argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    ipsecvpn_host hostcb = {.version = IPSECVPN_HOST_VERSION, .log = host_log,
                            .log_level = h.o.verbose >= 2   ? IPSECVPN_LOG_DEBUG
                                         : h.o.verbose == 1 ? IPSECVPN_LOG_INFO
                                                            : IPSECVPN_LOG_WARNING,
                            .random = host_random};
    ipsecvpn_ctx *ctx = NULL;
    ipsecvpn_connection *conn = NULL;
    uint32_t conn_id = 0;
    int status = 1;
    if (ipsecvpn_ctx_new(&hostcb, &ctx) != IPSECVPN_OK)
        return 1;
    printf("ipsecvpn_host (libipsecvpn %s)\n", ipsecvpn_version(NULL, NULL, NULL));
    if (host_config_load(ctx, h.o.config, h.o.sets, h.o.n_sets, &conn) == 0) {
        host_config_print(conn);
        if (setup(&h, ctx, conn, &conn_id) == 0) {
            printf("ready\n");
            run(&h, h.o.duration_s ? now_ms() + 1000u * h.o.duration_s : 0);
            printf("stopping (%s)\n", stop_signal ? "signal" : "duration over");
            ipsecvpn_engine_remove_connection(h.engine, conn_id, now_ms());
            stop_signal = 0;
            run(&h, now_ms() + 200); /* let the peer's answer to our delete arrive */
            host_sa_print_counters();
            printf("datagrams sent %" PRIu64 ", send errors %" PRIu64 ", TUN drops %" PRIu64
                   "\n", h.sent, h.send_errors, h.tun_drops);
            status = 0;
        }
    }
    ipsecvpn_engine_free(h.engine);
    ipsecvpn_connection_free(conn);
    ipsecvpn_ctx_free(ctx);
    int fds[] = {h.fd_ike, h.fd_natt, h.fd_tun};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return status;
}
