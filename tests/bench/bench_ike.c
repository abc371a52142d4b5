/*
 * IKEv2 PSK handshake benchmark: two engines in one process, wired back to back in memory.
 *
 *   ./build/tests/bench/bench_ike            (about 13 s: 8 CPU-s MODP-2048, 4 CPU-s X25519, memory)
 *   ./build/tests/bench/bench_ike 2          (CPU seconds per group instead of the default)
 *
 * For each DH group (MODP-2048, X25519) it runs full handshakes (IKE_SA_INIT + IKE_AUTH with
 * the first Child SA, until both sides report ACTIVE, then both connections are removed) and,
 * interleaved with those batches in the same run, the DH work a handshake cannot avoid: two
 * key pairs, two public values and two shared secrets (one keygen + one shared secret per
 * side). It prints handshakes per CPU-second, the bound if only the DH cost anything, and the
 * ratio (target >= 0.9).
 *
 * Then it establishes K IKE SAs with one Child SA each on one engine pair and counts, through
 * a counting allocator, the bytes each side (initiator, responder) holds per IKE SA + Child SA (everything the
 * engine allocated for them: live bytes after minus before), split into crypto contexts (what
 * freeing the keyed ESP SAs returns beyond their own objects, plus any DH context still held)
 * and the engine's own part (target <= 4096 bytes, printed as PASS/FAIL), itemised by kind;
 * "other" is what the itemised kinds do not explain (should be 0).
 *
 * Randomness: a per-side xorshift64* generator with a fixed seed (fast and repeatable; NOT a
 * CSPRNG, fine for a benchmark). CPU time: clock_gettime(CLOCK_PROCESS_CPUTIME_ID).
 * The bench includes internal headers: it overrides the DH group to 31 (the configuration
 * model has no X25519 spelling) and looks into the engine's SAs for the memory split.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/model.h"
#include "core/engine_internal.h"
#include "ike/common/child_sa.h"
#include "crypto/crypto.h"
#include "ipsecvpn/engine.h"
#include "ipsecvpn/esp.h"
#include "ipsecvpn/ipsecvpn.h"

#define MAX_DGRAM (IVPN_IKE_MSG_MAX + 8)
#define QUEUE_LEN 32
#define MEM_SAS 100
#define HDR 16 /* size header of the counting allocator; keeps 16-byte alignment */

/* ---- counting allocator ----------------------------------------------------------------- */

typedef struct mem_count {
    size_t live;
    size_t peak;
} mem_count;

static void *count_malloc(size_t size, void *user)
{
    mem_count *m = user;
    unsigned char *p = malloc(HDR + size);
    if (!p)
        return NULL;
    memcpy(p, &size, sizeof(size));
    m->live += size;
    if (m->live > m->peak)
        m->peak = m->live;
    return p + HDR;
}

static void count_free(void *ptr, void *user)
{
    if (!ptr)
        return;
    mem_count *m = user;
    unsigned char *p = (unsigned char *)ptr - HDR;
    size_t size;
    memcpy(&size, p, sizeof(size));
    m->live -= size;
    free(p);
}

static void *count_realloc(void *ptr, size_t size, void *user)
{
    if (!ptr)
        return count_malloc(size, user);
    mem_count *m = user;
    unsigned char *p = (unsigned char *)ptr - HDR;
    size_t old;
    memcpy(&old, p, sizeof(old));
    unsigned char *q = realloc(p, HDR + size);
    if (!q)
        return NULL;
    memcpy(q, &size, sizeof(size));
    m->live = m->live - old + size;
    if (m->live > m->peak)
        m->peak = m->live;
    return q + HDR;
}

/* ---- one side: context, engine, connection template -------------------------------------- */

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
    mem_count mem;
    ipsecvpn_mem mem_hooks;
    ipsecvpn_ctx *ctx;
    ipsecvpn_engine *e;
    ipsecvpn_connection *conn;
} side;

typedef struct pair {
    side s[2];
    datagram q[QUEUE_LEN];
    size_t head, count;
    uint64_t now;
    uint16_t group;
} pair;

/* xorshift64*: deterministic, fast. */
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

static void drop_queue(pair *p)
{
    p->head = 0;
    p->count = 0;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_ike: %s failed: %d (%s)\n", what, rc, ipsecvpn_strerror(rc));
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

/* Group 14 goes through the configuration; 31 is set on the model afterwards. */
static void pair_new(pair *p, uint16_t group)
{
    memset(p, 0, sizeof(*p));
    p->now = 1000;
    p->group = group;
    ipsecvpn_engine_callbacks cb = { .version = IPSECVPN_ENGINE_CALLBACKS_VERSION,
                                     .send = send_cb, .event = NULL };
    for (int i = 0; i < 2; i++) {
        side *s = &p->s[i];
        s->pair = p;
        s->idx = i;
        s->rng = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
        s->mem_hooks = (ipsecvpn_mem){ .version = IPSECVPN_MEM_VERSION, .user_data = &s->mem,
                                       .malloc = count_malloc, .realloc = count_realloc,
                                       .free = count_free };
        ipsecvpn_host host = { .version = IPSECVPN_HOST_VERSION, .user_data = s,
                               .mem = &s->mem_hooks, .log = NULL,
                               .log_level = IPSECVPN_LOG_ERROR, .random = rng_cb };
        int rc = ipsecvpn_ctx_new(&host, &s->ctx);
        if (rc)
            die("ipsecvpn_ctx_new", rc);
        rc = ipsecvpn_connection_new(s->ctx, IPSECVPN_PROFILE_CLOUD, &s->conn);
        if (rc)
            die("ipsecvpn_connection_new", rc);
        const char *f[] = { "psk", "ike.version", "ike.encryption", "ike.integrity",
                            "ike.dh_group", "ipsec.encryption", "ipsec.integrity",
                            "nat_traversal", "effective_immediately" };
        const char *v[] = { "bench-PSK-value-0123456789", "ikev2", "aes256", "sha256",
                            "group14", "aes256", "sha256", "off", "no" };
        rc = ipsecvpn_connection_update(s->conn, f, v, sizeof(f) / sizeof(f[0]), NULL);
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

/* Add connection k on both sides (A = 10.1.x.y, B = 10.2.x.y) and set the DH group. */
static int add_conns(pair *p, uint32_t k, uint32_t id[2])
{
    uint32_t addr[2] = { 0x0a010000u + 1 + k, 0x0a020000u + 1 + k };
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
        ivpn_conn *c = ivpn_engine_find_conn(s->e, id[i]);
        if (!c)
            return IPSECVPN_ERR_NOT_FOUND;
        c->cfg->ike.dh_group = p->group;
    }
    return IPSECVPN_OK;
}

/* One handshake for connection k; leaves the SAs up. Returns 0 when both sides are ACTIVE
 * and the initiator's IKE SA used the wanted group. */
static int establish(pair *p, uint32_t k, uint32_t id[2])
{
    int rc = add_conns(p, k, id);
    if (rc)
        return rc;
    rc = ipsecvpn_engine_initiate(p->s[0].e, id[0], p->now);
    if (rc)
        return rc;
    pump(p);
    for (int i = 0; i < 2; i++) {
        ipsecvpn_status st;
        int reason = 0;
        rc = ipsecvpn_engine_get_status(p->s[i].e, id[i], &st, &reason);
        if (rc)
            return rc;
        if (st != IPSECVPN_STATUS_ACTIVE)
            return reason ? reason : IPSECVPN_ERR_STATE;
    }
    const ivpn_conn *c = ivpn_engine_find_conn(p->s[0].e, id[0]);
    if (!c || !c->ike || c->ike->algs.dh != p->group)
        return IPSECVPN_ERR_STATE;
    return IPSECVPN_OK;
}

static void remove_conns(pair *p, const uint32_t id[2])
{
    (void)ipsecvpn_engine_remove_connection(p->s[0].e, id[0], p->now);
    drop_queue(p); /* the Delete is not delivered: the peer forgets its side right away */
    (void)ipsecvpn_engine_remove_connection(p->s[1].e, id[1], p->now);
    drop_queue(p);
}

/* ---- timing ------------------------------------------------------------------------------ */

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The DH work of one handshake: each side one key pair + public value + shared secret. */
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
        fprintf(stderr, "bench_ike: DH shared secrets differ\n");
        exit(1);
    }
}

static void bench_group(const char *name, uint16_t group, double budget)
{
    pair p;
    pair_new(&p, group);
    uint32_t id[2];
    uint32_t k = 0;
    int rc = establish(&p, k++, id);
    bool reachable = rc == IPSECVPN_OK;
    remove_conns(&p, id);
    if (!reachable)
        printf("ikev2-psk %-9s not reachable through the engine yet (handshake: %s); "
               "DH-only cost alone below\n", name, ipsecvpn_strerror(rc));

    const int batch = 10;
    double hs_time = 0, dh_time = 0;
    unsigned long hs = 0, dh = 0;
    while (hs_time + dh_time < budget) {
        if (reachable) {
            double t0 = cpu_now();
            for (int i = 0; i < batch; i++) {
                p.now += 10;
                rc = establish(&p, k++ % 60000, id);
                if (rc)
                    die("handshake", rc);
                remove_conns(&p, id);
            }
            hs_time += cpu_now() - t0;
            hs += (unsigned long)batch;
        }
        double t0 = cpu_now();
        for (int i = 0; i < batch; i++)
            dh_only(p.s[0].ctx, group);
        dh_time += cpu_now() - t0;
        dh += (unsigned long)batch;
    }
    double bound = (double)dh / dh_time;
    if (reachable) {
        double rate = (double)hs / hs_time;
        printf("ikev2-psk %-9s handshakes/cpu-s %8.1f  dh-only bound %8.1f  ratio %.3f  "
               "(%lu handshakes, %lu DH pairs, target >= 0.9)\n",
               name, rate, bound, rate / bound, hs, dh);
    } else {
        printf("ikev2-psk %-9s dh-only bound %8.1f handshakes/cpu-s  (%lu DH pairs: "
               "2x keygen+public+shared each)\n", name, bound, dh);
    }
    pair_free(&p);
}

/* ---- memory ------------------------------------------------------------------------------ */

/* Heap bytes of the engine's own per-connection objects, by kind (requested sizes, as the
 * counting allocator counts them; the allocator's own header is not included). */
typedef struct mem_split {
    size_t conn, cfg, cfg_ts, ike_sa, setup, rtx, child, child_ts, esp, crypto;
} mem_split;

static void split_add(mem_split *m, ivpn_conn *c, const ipsecvpn_ctx *ctx, mem_count *count)
{
    m->conn += sizeof(*c);
    m->cfg += c->cfg->size;
    m->cfg_ts += (c->cfg_local_ts.cap + c->cfg_remote_ts.cap) * sizeof(ivpn_ts);
    const ivpn_ike_sa *sa = c->ike;
    m->ike_sa += sizeof(*sa);
    m->setup += (sa->ni ? 2 * IVPN_NONCE_MAX : 0) + sa->msg1_len + sa->msg2_len;
    m->rtx += (sa->req ? sa->req_len : 0) + (sa->have_resp ? sa->resp_len : 0);
    for (ivpn_child *ch = ivpn_child_first(c); ch; ch = ivpn_child_next(ch)) {
        m->child += sizeof(*ch);
        m->child_ts += (ch->local_ts.cap + ch->remote_ts.cap) * sizeof(ivpn_ts);
        /* an ESP SA: its object is the engine's, what freeing it returns beyond that is the
         * crypto library's contexts */
        size_t obj = ipsecvpn_esp_sa_memory(ch->sa_in) + ipsecvpn_esp_sa_memory(ch->sa_out);
        size_t live = count->live;
        ipsecvpn_esp_sa_free(ch->sa_in);
        ipsecvpn_esp_sa_free(ch->sa_out);
        ch->sa_in = ch->sa_out = NULL;
        m->esp += obj;
        m->crypto += live - count->live - obj;
    }
    if (sa->dh) { /* none is left once established; counted as crypto if one were */
        size_t live = count->live;
        ivpn_dh_free(ctx, c->ike->dh);
        c->ike->dh = NULL;
        m->crypto += live - count->live;
    }
}

static void bench_memory(const char *name, uint16_t group)
{
    pair p;
    pair_new(&p, group);
    static uint32_t ids[MEM_SAS][2];
    size_t before[2] = { p.s[0].mem.live, p.s[1].mem.live };
    for (uint32_t k = 0; k < MEM_SAS; k++) {
        p.now += 10;
        int rc = establish(&p, k, ids[k]);
        if (rc) {
            printf("memory %-9s: handshake %u failed (%s), not measured\n", name, k,
                   ipsecvpn_strerror(rc));
            pair_free(&p);
            return;
        }
    }
    size_t after[2] = { p.s[0].mem.live, p.s[1].mem.live };

    static const char *const role[2] = { "initiator", "responder" };
    for (int i = 0; i < 2; i++) {
        mem_split m;
        memset(&m, 0, sizeof(m));
        for (uint32_t k = 0; k < MEM_SAS; k++)
            split_add(&m, ivpn_engine_find_conn(p.s[i].e, ids[k][i]), p.s[i].ctx, &p.s[i].mem);
        double total = (double)(after[i] - before[i]) / MEM_SAS;
        double crypto = (double)m.crypto / MEM_SAS;
        double engine = total - crypto;
        size_t known = m.conn + m.cfg + m.cfg_ts + m.ike_sa + m.setup + m.rtx + m.child +
                       m.child_ts + m.esp;
        bool pass = engine <= 4096;
        printf("memory per IKE SA + Child SA (%s, %s, %d SAs): total %.0f bytes = "
               "crypto contexts %.0f + engine %.0f  [%s: engine <= 4096]\n",
               name, role[i], MEM_SAS, total, crypto, engine, pass ? "PASS" : "FAIL");
        printf("  engine: ivpn_conn %.0f + config copy %.0f + config selectors %.0f + "
               "ivpn_ike_sa %.0f + setup state kept (nonces, IKE_SA_INIT) %.0f + rtx buffers "
               "%.0f + Child SA node %.0f + its selectors %.0f + ESP SA objects %.0f + other "
               "%.0f\n",
               (double)m.conn / MEM_SAS, (double)m.cfg / MEM_SAS, (double)m.cfg_ts / MEM_SAS,
               (double)m.ike_sa / MEM_SAS, (double)m.setup / MEM_SAS, (double)m.rtx / MEM_SAS,
               (double)m.child / MEM_SAS, (double)m.child_ts / MEM_SAS,
               (double)m.esp / MEM_SAS, engine - (double)known / MEM_SAS);
    }
    for (uint32_t k = 0; k < MEM_SAS; k++)
        remove_conns(&p, ids[k]);
    pair_free(&p);
}

int main(int argc, char **argv)
{
    double budget = argc > 1 ? atof(argv[1]) : 8.0;
    if (budget <= 0)
        budget = 8.0;
    printf("bench_ike: IKEv2 PSK, AES-256-CBC/HMAC-SHA-256 IKE and ESP, no NAT-T; "
           "%.1f CPU-s per group; deterministic xorshift64* random\n", budget);
    fflush(stdout);
    bench_group("modp2048", IPSECVPN_DH_MODP2048, budget);
    fflush(stdout);
    bench_group("x25519", IPSECVPN_DH_CURVE25519, budget / 2);
    fflush(stdout);
    bench_memory("modp2048", IPSECVPN_DH_MODP2048);
    bench_memory("x25519", IPSECVPN_DH_CURVE25519);
    return 0;
}
