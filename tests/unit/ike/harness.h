/*
 * Two IKEv2 engines wired back to back in memory: each engine's send callback queues the
 * datagram for the other, pump() delivers the queue in order, and a fake clock drives the
 * timers. A filter lets a test drop or duplicate chosen datagrams.
 */
#ifndef IKE_TEST_HARNESS_H
#define IKE_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipsecvpn/ipsecvpn.h"
#include "ipsecvpn/engine.h"

#define H_MAX_DGRAM 4200
#define H_QUEUE 64
#define H_EVENTS 64

typedef struct h_dgram {
    int to;                        /* 0 = A, 1 = B */
    ipsecvpn_endpoint src, dst;
    uint8_t data[H_MAX_DGRAM];
    size_t len;
} h_dgram;

typedef struct h_child {
    uint32_t spi_in, spi_out;
    uint8_t ek_in[64], ek_out[64], ak_in[64], ak_out[64];
    size_t ek_len, ak_len;
    uint8_t encap;
    ipsecvpn_endpoint local, remote;
} h_child;

struct h_net;
typedef struct h_side {
    struct h_net *net;
    int idx;
    ipsecvpn_ctx *ctx;
    ipsecvpn_engine *e;
    ipsecvpn_connection *conn;
    uint32_t id;
    ipsecvpn_endpoint ep;
    uint64_t rng;
    int events[H_EVENTS];
    int reasons[H_EVENTS];
    size_t n_events;
    h_child child;                 /* from the last CHILD_UP */
    int child_ups;
    uint64_t sent;                 /* datagrams sent */
} h_side;

struct h_net;
/* Return false to drop the datagram; may set *dup to deliver it twice. */
typedef bool (*h_filter)(struct h_net *n, const h_dgram *d, bool *dup);

typedef struct h_net {
    h_side side[2];
    h_dgram q[H_QUEUE];
    size_t head, count;
    uint64_t now;
    h_filter filter;
    int filter_state;
    bool cut;                      /* drop everything: a silent peer */
    h_dgram last[2];               /* last datagram each side sent (for replays) */
    ipsecvpn_engine_settings settings[2]; /* defaults; tests may change them before h_start */
} h_net;

/* Set up both sides with a connection each; fields apply to both (then per side). */
void h_init(h_net *n, const char *const *fields, const char *const *values, size_t count);
/* Apply one field to one side's connection before h_start. */
void h_set(h_net *n, int side, const char *field, const char *value);
/* Protected-flows routing with these CIDR lists on one side. */
void h_flows(h_net *n, int side, const char *local, const char *remote);
/* Create the engines and add the connections (A is the initiator when it starts). */
void h_start(h_net *n);
void h_free(h_net *n);
/* The peer on `side` restarts: a fresh engine (and optionally another PSK), same config. */
void h_restart(h_net *n, int side, const char *psk);
/* Deliver queued datagrams until the queue is empty (or max rounds). */
void h_pump(h_net *n);
/* Advance the clock to each engine's next deadline and run timers, up to `until`. */
void h_run_until(h_net *n, uint64_t until);
bool h_has_event(const h_side *s, int type);
ipsecvpn_status h_status(const h_side *s, int *reason);
/* Build an IPv4 ICMP echo request from src to dst at buf + off; returns its length. */
size_t h_icmp4(uint8_t *buf, size_t off, const char *src, const char *dst, uint16_t seq);

#endif
