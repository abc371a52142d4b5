/* host_sa: event printing and per-SA counters of the example host. */
#define _POSIX_C_SOURCE 200809L
#include "host_sa.h"

#include "host_net.h"

#include <ipsecvpn/algorithms.h>
#include <ipsecvpn/config.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define MAX_SAS 64

typedef struct host_sa {
    uint32_t conn_id, spi_in, spi_out;
    uint16_t encr, encr_bits, integ;
    int up;
    uint64_t in_packets, in_bytes, out_packets, out_bytes;
} host_sa;

/* Every pair seen, kept after it goes down so the exit summary shows its counters. */
static host_sa sas[MAX_SAS];
static size_t n_sas;

typedef struct name_entry {
    unsigned id;
    const char *name;
} name_entry;

static const name_entry encr_names[] = {
    {IPSECVPN_ENCR_DES, "des"},          {IPSECVPN_ENCR_3DES, "3des"},
    {IPSECVPN_ENCR_AES_CBC, "aes-cbc"},  {IPSECVPN_ENCR_AES_GCM_16, "aes-gcm16"},
    {IPSECVPN_ENCR_CHACHA20_POLY1305, "chacha20poly1305"}, {0, NULL},
};
static const name_entry integ_names[] = {
    {IPSECVPN_INTEG_NONE, "none"},
    {IPSECVPN_INTEG_HMAC_MD5_96, "hmac-md5-96"},
    {IPSECVPN_INTEG_HMAC_SHA1_96, "hmac-sha1-96"},
    {IPSECVPN_INTEG_HMAC_SHA2_256_128, "hmac-sha256-128"},
    {IPSECVPN_INTEG_HMAC_SHA2_384_192, "hmac-sha384-192"},
    {IPSECVPN_INTEG_HMAC_SHA2_512_256, "hmac-sha512-256"},
    {0, NULL},
};
static const char *const event_names[] = {
    [IPSECVPN_EVENT_STATUS] = "STATUS",        [IPSECVPN_EVENT_IKE_UP] = "IKE_UP",
    [IPSECVPN_EVENT_IKE_DOWN] = "IKE_DOWN",    [IPSECVPN_EVENT_CHILD_UP] = "CHILD_UP",
    [IPSECVPN_EVENT_CHILD_REKEYED] = "CHILD_REKEYED",
    [IPSECVPN_EVENT_CHILD_DOWN] = "CHILD_DOWN", [IPSECVPN_EVENT_ACQUIRE] = "ACQUIRE",
    [IPSECVPN_EVENT_PEER_DEAD] = "PEER_DEAD",
};

static const char *lookup(const name_entry *t, unsigned id)
{
    for (; t->name; t++)
        if (t->id == id)
            return t->name;
    return "?";
}

const char *host_encr_name(unsigned id) { return lookup(encr_names, id); }
const char *host_integ_name(unsigned id) { return lookup(integ_names, id); }

uint32_t host_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static host_sa *find(uint32_t spi, int inbound)
{
    for (size_t i = n_sas; i-- > 0;)
        if ((inbound ? sas[i].spi_in : sas[i].spi_out) == spi)
            return &sas[i];
    return NULL;
}

static void print_selectors(const char *what, const ipsecvpn_ip_prefix *ts, size_t n)
{
    char buf[80];
    printf(" %s=", what);
    for (size_t i = 0; i < n; i++)
        printf("%s%s", i ? "," : "", host_prefix_str(&ts[i], buf, sizeof(buf)));
}

static void print_child(const ipsecvpn_child_sa_info *c)
{
    char l[80], r[80];
    printf(" spi_in=0x%08" PRIx32 " spi_out=0x%08" PRIx32 " encr=%s-%u integ=%s esn=%u %s%s",
           c->spi_in, c->spi_out, host_encr_name(c->encr), c->encr_key_bits,
           host_integ_name(c->integ), c->esn, c->tunnel ? "tunnel" : "transport",
           c->encap ? " udp-encap" : "");
    printf(" local=%s remote=%s", host_endpoint_str(&c->local, l, sizeof(l)),
           host_endpoint_str(&c->remote, r, sizeof(r)));
    print_selectors("local_ts", c->local_ts, c->n_local_ts);
    print_selectors("remote_ts", c->remote_ts, c->n_remote_ts);
    printf(" lifetime=%" PRIu64 "/%" PRIu64 "s", c->lifetime_soft_s, c->lifetime_hard_s);
}

static void track_child(const ipsecvpn_event *ev)
{
    const ipsecvpn_child_sa_info *c = ev->child;
    host_sa *sa = find(c->spi_in, 1);
    if (ev->type == IPSECVPN_EVENT_CHILD_DOWN) {
        if (sa)
            sa->up = 0;
        return;
    }
    if (!sa && n_sas < MAX_SAS)
        sa = &sas[n_sas++];
    if (!sa)
        return;
    memset(sa, 0, sizeof(*sa));
    *sa = (host_sa){.conn_id = ev->conn_id, .spi_in = c->spi_in, .spi_out = c->spi_out,
                    .encr = c->encr, .encr_bits = c->encr_key_bits, .integ = c->integ,
                    .up = 1};
    if (!c->encap)
        printf("warning: this SA is not UDP-encapsulated, but this host carries ESP only in "
               "UDP (set nat_traversal=on)\n");
}

void host_sa_event(void *user_data, const ipsecvpn_event *ev)
{
    (void)user_data;
    unsigned t = (unsigned)ev->type;
    const char *name = t < sizeof(event_names) / sizeof(event_names[0]) && event_names[t]
                           ? event_names[t]
                           : "EVENT?";
    printf("event %s conn=%" PRIu32, name, ev->conn_id);
    if (ev->type == IPSECVPN_EVENT_STATUS)
        printf(" status=%s", ipsecvpn_status_name(ev->status));
    if (ev->reason)
        printf(" reason=%d (%s)", ev->reason, ipsecvpn_strerror(ev->reason));
    if (ev->child && ev->type != IPSECVPN_EVENT_CHILD_DOWN)
        print_child(ev->child);
    else if (ev->child)
        printf(" spi_in=0x%08" PRIx32 " spi_out=0x%08" PRIx32, ev->child->spi_in,
               ev->child->spi_out);
    printf("\n");
    if (ev->child) {
        if (ev->type == IPSECVPN_EVENT_CHILD_DOWN) {
            host_sa *sa = find(ev->child->spi_in, 1);
            if (sa)
                printf("esp-sa-down conn=%" PRIu32 " spi_in=0x%08" PRIx32 " in_packets=%" PRIu64
                       " out_packets=%" PRIu64 "\n",
                       sa->conn_id, sa->spi_in, sa->in_packets, sa->out_packets);
        }
        track_child(ev);
    }
    fflush(stdout);
}

void host_sa_count_in(uint32_t spi, size_t inner_len)
{
    host_sa *sa = find(spi, 1);
    if (sa) {
        sa->in_packets++;
        sa->in_bytes += inner_len;
    }
}

void host_sa_count_out(uint32_t spi, size_t inner_len)
{
    host_sa *sa = find(spi, 0);
    if (sa) {
        sa->out_packets++;
        sa->out_bytes += inner_len;
    }
}

size_t host_sa_active(void)
{
    size_t n = 0;
    for (size_t i = 0; i < n_sas; i++)
        n += sas[i].up != 0;
    return n;
}

void host_sa_print_counters(void)
{
    for (size_t i = 0; i < n_sas; i++) {
        const host_sa *s = &sas[i];
        printf("esp-sa conn=%" PRIu32 " spi_in=0x%08" PRIx32 " spi_out=0x%08" PRIx32
               " encr=%s-%u integ=%s in_packets=%" PRIu64 " in_bytes=%" PRIu64
               " out_packets=%" PRIu64 " out_bytes=%" PRIu64 " %s\n",
               s->conn_id, s->spi_in, s->spi_out, host_encr_name(s->encr), s->encr_bits,
               host_integ_name(s->integ), s->in_packets, s->in_bytes, s->out_packets,
               s->out_bytes, s->up ? "up" : "down");
    }
    fflush(stdout);
}
