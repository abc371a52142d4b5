/*
 * IKEv1 main-mode PSK tunnel bring-up benchmark: two engines in one process, wired back to
 * back in memory, next to IKEv2 and the DH-only bound in the same run.
 *
 *   ./build/tests/bench/bench_ikev1          (about 16 s: 8 CPU-s for MODP-2048, 8 for MODP-1024)
 *   ./build/tests/bench/bench_ikev1 2        (CPU seconds per group instead of 8)
 *
 * One IKEv1 handshake is the normal tunnel bring-up: main mode (MM1..MM6) and one quick mode
 * (QM1..QM3) until both sides report ACTIVE, then both connections are removed. Per DH group
 * (MODP-2048, MODP-1024) four kinds of batches are interleaved in one loop, so that frequency
 * scaling and other load hit them alike:
 *   ikev1-main      main mode + quick mode without PFS: one DH exchange, like IKEv2's first
 *                   Child SA;
 *   ikev1-main-pfs  the same with PFS in the same group (the products' default: a second DH
 *                   exchange in quick mode);
 *   ikev2           IKE_SA_INIT + IKE_AUTH with the first Child SA;
 *   dh-only         two key pairs, two public values and two shared secrets (the DH work one
 *                   handshake cannot avoid).
 * Printed per kind: handshakes per CPU-second, the DH-only bound for the DH exchanges that kind
 * needs, the ratio to it, and for IKEv1 the ratio to IKEv2.
 *
 * Randomness: xorshift64* with fixed seeds (fast, repeatable, NOT a CSPRNG). CPU time:
 * clock_gettime(CLOCK_PROCESS_CPUTIME_ID). IKE and ESP: AES-256-CBC / HMAC-SHA-256, no NAT-T.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/engine_internal.h"
#include "crypto/crypto.h"
#include "ike/v1/v1_internal.h"
#include "ipsecvpn/engine.h"
#include "ipsecvpn/ipsecvpn.h"

#define MAX_DGRAM (IVPN_IKE_MSG_MAX + 8)
#define QUEUE_LEN 32

typedef struct datagram {
    int to;
    ipsecvpn_endpoint src, dst;
    size_t len;
    uint8_t data[MAX_DGRAM];
} datagram;

struct pair;
typedef struct side {
    struct pair *pair;
    int idx;
    uint64_t rng;
    ipsecvpn_ctx *ctx;
    ipsecvpn_engine *e;
    ipsecvpn_connection *conn;
} side;

/* One engine pair per kind of handshake (its own configuration). */
typedef struct pair {
    side s[2];
    datagram q[QUEUE_LEN];
    size_t head, count;
    uint64_t now;
    bool v1;
    uint16_t group;
    uint32_t k;               /* next connection number (addresses) */
} pair;

static int rng_cb(void *user, uint8_t *buf, size_t len)
{
    uint64_t *s = &((side *)user)->rng;
    while (len) {
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        uint64_t r = *s * 0x2545f4914f6cdd1dull;
        size_t n = len < 8 ? len : 8;
        memcpy(buf, &r, n);
        buf += n;
        len -= n;
    }
    return 0;
}

static int send_cb(void *user, const ipsecvpn_endpoint *local, const ipsecvpn_endpoint *remote,
                   const uint8_t *data, size_t len)
{
    side *s = user;
    pair *p = s->pair;
    if (len > MAX_DGRAM || p->count == QUEUE_LEN)
        return 1;
    datagram *d = &p->q[(p->head + p->count++) % QUEUE_LEN];
    d->to = 1 - s->idx;
    d->src = *local;
    d->dst = *remote;
    d->len = len;
    memcpy(d->data, data, len);
    return 0;
}

static void pump(pair *p)
{
    for (int rounds = 0; p->count && rounds < 1000; rounds++) {
        datagram *d = &p->q[p->head];
        p->head = (p->head + 1) % QUEUE_LEN;
        p->count--;
        ipsecvpn_read_result res;
        (void)ipsecvpn_engine_read(p->s[d->to].e, &d->dst, &d->src, d->data, d->len, p->now,
                                   &res);
    }
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_ikev1: %s failed: %d (%s)\n", what, rc, ipsecvpn_strerror(rc));
    exit(1);
}

static void endpoint(uint32_t addr, ipsecvpn_endpoint *ep)
{
    memset(ep, 0, sizeof(*ep));
    ep->addr.family = IPSECVPN_IPV4;
    uint32_t be = htonl(addr);
    memcpy(ep->addr.bytes, &be, 4);
    ep->port = IPSECVPN_IKE_PORT;
}

static void addr_str(uint32_t addr, char *out, size_t n)
{
    snprintf(out, n, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255,
             addr & 255);
}

static void pair_new(pair *p, bool v1, const char *group_name, uint16_t group, bool pfs)
{
    memset(p, 0, sizeof(*p));
    p->now = 1000;
    p->v1 = v1;
    p->group = group;
    ipsecvpn_engine_callbacks cb = { .version = IPSECVPN_ENGINE_CALLBACKS_VERSION,
                                     .send = send_cb, .event = NULL };
    for (int i = 0; i < 2; i++) {
        side *s = &p->s[i];
        s->pair = p;
        s->idx = i;
        s->rng = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1) + (v1 ? 7 : 0);
        ipsecvpn_host host = { .version = IPSECVPN_HOST_VERSION, .user_data = s, .log = NULL,
                               .log_level = IPSECVPN_LOG_ERROR, .random = rng_cb };
        int rc = ipsecvpn_ctx_new(&host, &s->ctx);
        if (rc)
            die("ipsecvpn_ctx_new", rc);
        rc = ipsecvpn_connection_new(s->ctx, IPSECVPN_PROFILE_CLOUD, &s->conn);
        if (rc)
            die("ipsecvpn_connection_new", rc);
        const char *f[] = { "psk", "ike.version", "ike.encryption", "ike.integrity",
                            "ike.dh_group", "ipsec.encryption", "ipsec.integrity", "ipsec.pfs",
                            "nat_traversal", "effective_immediately", "ike.mode" };
        const char *v[] = { "bench-PSK-value-0123456789", v1 ? "ikev1" : "ikev2", "aes256",
                            "sha256", group_name, "aes256", "sha256",
                            pfs ? group_name : "disabled", "off", "no", "main" };
        rc = ipsecvpn_connection_update(s->conn, f, v, v1 ? 11 : 10, NULL);
        if (rc)
            die("ipsecvpn_connection_update", rc);
        rc = ipsecvpn_engine_new(s->ctx, &cb, NULL, s, &s->e);
        if (rc)
            die("ipsecvpn_engine_new", rc);
    }
}

static void pair_free(pair *p)
{
    for (int i = 0; i < 2; i++) {
        ipsecvpn_engine_free(p->s[i].e);
        ipsecvpn_connection_free(p->s[i].conn);
        ipsecvpn_ctx_free(p->s[i].ctx);
    }
}

/* One bring-up on fresh addresses (A = 10.1.x.y, B = 10.2.x.y), then both connections are
 * removed (the Delete is not delivered). Returns 0 when both sides were ACTIVE. */
static int handshake(pair *p)
{
    uint32_t k = p->k++ % 60000;
    uint32_t addr[2] = { 0x0a010000u + 1 + k, 0x0a020000u + 1 + k };
    uint32_t id[2];
    p->now += 10;
    for (int i = 1; i >= 0; i--) { /* responder first */
        side *s = &p->s[i];
        char la[20], ra[20];
        addr_str(addr[i], la, sizeof(la));
        addr_str(addr[1 - i], ra, sizeof(ra));
        const char *f[] = { "local_address", "peer_address" };
        const char *v[] = { la, ra };
        int rc = ipsecvpn_connection_update(s->conn, f, v, 2, NULL);
        if (rc)
            return rc;
        ipsecvpn_endpoint lep, rep;
        endpoint(addr[i], &lep);
        endpoint(addr[1 - i], &rep);
        rc = ipsecvpn_engine_add_connection(s->e, s->conn, &lep, &rep, p->now, &id[i]);
        if (rc)
            return rc;
    }
    int rc = ipsecvpn_engine_initiate(p->s[0].e, id[0], p->now);
    if (rc == IPSECVPN_OK) {
        pump(p);
        for (int i = 0; i < 2 && rc == IPSECVPN_OK; i++) {
            ipsecvpn_status st;
            int reason = 0;
            rc = ipsecvpn_engine_get_status(p->s[i].e, id[i], &st, &reason);
            if (rc == IPSECVPN_OK && st != IPSECVPN_STATUS_ACTIVE)
                rc = reason ? reason : IPSECVPN_ERR_STATE;
        }
        if (rc == IPSECVPN_OK && p->v1) {
            /* the ISAKMP SA really used the group under test */
            ivpn_conn *c = ivpn_engine_find_conn(p->s[0].e, id[0]);
            if (!c || !c->v1 || !c->v1->sa || c->v1->sa->dh_group != p->group)
                rc = IPSECVPN_ERR_STATE;
        }
    }
    for (int i = 0; i < 2; i++) {
        (void)ipsecvpn_engine_remove_connection(p->s[i].e, id[i], p->now);
        p->head = p->count = 0;
    }
    return rc;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The DH work of one DH exchange: each side one key pair + public value + shared secret. */
static void dh_only(const ipsecvpn_ctx *ctx, uint16_t group)
{
    const ivpn_dh_info *info = ivpn_dh_lookup(group);
    uint8_t pub[2][1024], shared[2][1024];
    ivpn_dh *dh[2] = { NULL, NULL };
    for (int i = 0; i < 2; i++) {
        int rc = ivpn_dh_new(ctx, group, &dh[i]);
        if (rc)
            die("ivpn_dh_new", rc);
        rc = ivpn_dh_public(dh[i], pub[i], info->public_len);
        if (rc)
            die("ivpn_dh_public", rc);
    }
    for (int i = 0; i < 2; i++) {
        int rc = ivpn_dh_shared(dh[i], pub[1 - i], info->public_len, shared[i], info->shared_len);
        if (rc)
            die("ivpn_dh_shared", rc);
        ivpn_dh_free(ctx, dh[i]);
    }
    if (memcmp(shared[0], shared[1], info->shared_len) != 0) {
        fprintf(stderr, "bench_ikev1: DH shared secrets differ\n");
        exit(1);
    }
}

enum { K_V1, K_V1_PFS, K_V2, K_KINDS };
static const char *const kind_name[K_KINDS] = { "ikev1-main", "ikev1-main-pfs", "ikev2" };
static const int kind_dh[K_KINDS] = { 1, 2, 1 }; /* DH exchanges per handshake */

static void bench_group(const char *name, const char *cfg_name, uint16_t group, double budget)
{
    pair p[K_KINDS];
    bool ok[K_KINDS];
    for (int k = 0; k < K_KINDS; k++) {
        pair_new(&p[k], k != K_V2, cfg_name, group, k == K_V1_PFS);
        int rc = handshake(&p[k]);
        ok[k] = rc == IPSECVPN_OK;
        if (!ok[k])
            printf("%-15s %-9s not measured: the bring-up fails (%d: %s)\n", kind_name[k], name,
                   rc, ipsecvpn_strerror(rc));
    }
    fflush(stdout);
    const int batch = 5;
    double t[K_KINDS] = { 0 }, dh_time = 0;
    unsigned long n[K_KINDS] = { 0 }, dh = 0;
    double spent = 0;
    while (spent < budget) {
        for (int k = 0; k < K_KINDS; k++) {
            if (!ok[k])
                continue;
            double t0 = cpu_now();
            for (int i = 0; i < batch; i++) {
                int rc = handshake(&p[k]);
                if (rc)
                    die(kind_name[k], rc);
            }
            double d = cpu_now() - t0;
            t[k] += d;
            spent += d;
            n[k] += (unsigned long)batch;
        }
        double t0 = cpu_now();
        for (int i = 0; i < batch; i++)
            dh_only(p[0].s[0].ctx, group);
        double d = cpu_now() - t0;
        dh_time += d;
        spent += d;
        dh += (unsigned long)batch;
    }
    double bound = (double)dh / dh_time; /* DH exchanges per CPU-second */
    printf("dh-only         %-9s %8.1f DH exchanges/cpu-s (%lu: 2x keygen+public+shared each)\n",
           name, bound, dh);
    double v2 = ok[K_V2] ? (double)n[K_V2] / t[K_V2] : 0;
    for (int k = 0; k < K_KINDS; k++) {
        if (!ok[k])
            continue;
        double rate = (double)n[k] / t[k];
        double kb = bound / kind_dh[k];
        printf("%-15s %-9s handshakes/cpu-s %8.1f  dh-only bound %8.1f (%d DH)  "
               "ratio %.3f", kind_name[k], name, rate, kb, kind_dh[k], rate / kb);
        if (k != K_V2 && v2 > 0)
            printf("  vs ikev2 %.3f", rate / v2);
        printf("  (%lu handshakes)\n", n[k]);
    }
    fflush(stdout);
    for (int k = 0; k < K_KINDS; k++)
        pair_free(&p[k]);
}

int main(int argc, char **argv)
{
    double budget = argc > 1 ? atof(argv[1]) : 8.0;
    if (budget <= 0)
        budget = 8.0;
    printf("bench_ikev1: PSK, AES-256-CBC/HMAC-SHA-256 IKE and ESP, no NAT-T; IKEv1 = main "
           "mode + one quick mode; %.1f CPU-s per group; deterministic xorshift64* random\n",
           budget);
    fflush(stdout);
    bench_group("modp2048", "group14", IPSECVPN_DH_MODP2048, budget);
    bench_group("modp1024", "group2", IPSECVPN_DH_MODP1024, budget);
    return 0;
}
