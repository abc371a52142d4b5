/*
 * The whole IKEv1 engine under a fuzzer, through the public API, with a deterministic random
 * source so every run repeats:
 *  1. a responder engine reads the input as a datagram on port 500, then on port 4500
 *     (non-ESP marker / ESP / keepalive classification). Its configured mode follows the
 *     input's exchange type (aggressive for 4, else main), so both responder paths are
 *     reached: proposal matching, KE, ID, HASH_R, NAT-D, vendor IDs;
 *  2. an initiator that has sent MM1, and one that has sent AM1, read the input with their
 *     own CKY-I patched in (MM2 / AM2 handling: proposal choice, KE, HASH_R, notifies);
 *  3. a responder that has answered a real MM1 reads the input with both cookies patched in
 *     (MM3: KE, Ni, NAT-D, the DH computation and SKEYID), and an initiator that has received
 *     a real MM2 and sent MM3 reads it the same way (MM4); the same in aggressive mode (the
 *     responder reads AM3 or an early quick-mode message, the established initiator reads
 *     the input as QM2 or informational);
 *  then each engine runs its next timer and is freed (no leak, no crash allowed).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipsecvpn/ipsecvpn.h"

#define FZ_MSG_MAX 4096

typedef struct fz {
    uint64_t rng;
    uint8_t last[FZ_MSG_MAX];     /* the last datagram this engine sent */
    size_t last_len;
    unsigned sent;
} fz;

static int rng_cb(void *user, uint8_t *buf, size_t len)
{
    fz *f = user;
    for (size_t i = 0; i < len; i++) {
        f->rng ^= f->rng << 13;
        f->rng ^= f->rng >> 7;
        f->rng ^= f->rng << 17;
        buf[i] = (uint8_t)(f->rng >> 24);
    }
    return 0;
}

static int send_cb(void *user, const ipsecvpn_endpoint *l, const ipsecvpn_endpoint *r,
                   const uint8_t *data, size_t len)
{
    fz *f = user;
    (void)l;
    (void)r;
    f->sent++;
    if (len <= FZ_MSG_MAX) {
        memcpy(f->last, data, len);
        f->last_len = len;
    }
    return 0;
}

static ipsecvpn_endpoint ep(uint8_t last, uint16_t port)
{
    ipsecvpn_endpoint e;
    memset(&e, 0, sizeof(e));
    e.addr.family = IPSECVPN_IPV4;
    e.addr.bytes[0] = 192;
    e.addr.bytes[2] = 2;
    e.addr.bytes[3] = last;
    e.port = port;
    return e;
}

/* An engine for 192.0.2.<me> with one IKEv1 connection to 192.0.2.<peer> (modp1024 keeps
 * the DH work per input small; NAT-T on so NAT-D and the float are reached). */
static ipsecvpn_engine *engine(ipsecvpn_ctx **ctx, fz *f, uint8_t me, uint8_t peer,
                               const char *mode, uint32_t *id)
{
    ipsecvpn_host host = { .version = IPSECVPN_HOST_VERSION, .user_data = f,
                           .log_level = IPSECVPN_LOG_ERROR, .random = rng_cb };
    *ctx = NULL;
    if (ipsecvpn_ctx_new(&host, ctx) != IPSECVPN_OK)
        return NULL;
    ipsecvpn_connection *c = NULL;
    char la[16] = "192.0.2.x", pa[16] = "192.0.2.x";
    la[8] = (char)('0' + me);
    pa[8] = (char)('0' + peer);
    const char *fields[] = { "local_address", "peer_address", "psk", "ike.version", "ike.mode",
                             "ike.encryption", "ike.integrity", "ike.dh_group",
                             "nat_traversal", "dpd.enabled" };
    const char *values[] = { la, pa, "fuzz-psk", "ikev1", mode, "aes", "sha1", "group2",
                             "on", "on" };
    ipsecvpn_engine_callbacks cb = { .version = IPSECVPN_ENGINE_CALLBACKS_VERSION,
                                     .send = send_cb };
    ipsecvpn_engine *e = NULL;
    if (ipsecvpn_connection_new(*ctx, IPSECVPN_PROFILE_CLOUD, &c) != IPSECVPN_OK ||
        ipsecvpn_connection_update(c, fields, values, 10, NULL) != IPSECVPN_OK ||
        ipsecvpn_engine_new(*ctx, &cb, NULL, f, &e) != IPSECVPN_OK) {
        ipsecvpn_connection_free(c);
        return NULL;
    }
    ipsecvpn_endpoint l = ep(me, 500), r = ep(peer, 500);
    if (ipsecvpn_engine_add_connection(e, c, &l, &r, 1000, id) != IPSECVPN_OK) {
        ipsecvpn_engine_free(e);
        e = NULL;
    }
    ipsecvpn_connection_free(c);
    return e;
}

static void finish(ipsecvpn_engine *e, ipsecvpn_ctx *ctx)
{
    if (e)
        (void)ipsecvpn_engine_handle_expiry(e, ipsecvpn_engine_get_expiry(e));
    ipsecvpn_engine_free(e);
    ipsecvpn_ctx_free(ctx);
}

/* Read the input (a fresh copy: ESP is decrypted in place) with cookies patched in. */
static void feed(ipsecvpn_engine *e, uint8_t me, uint8_t peer, uint16_t port, uint8_t *buf,
                 const uint8_t *data, size_t size, const uint8_t *cky_i, const uint8_t *cky_r,
                 uint64_t now)
{
    ipsecvpn_endpoint l = ep(me, port), r = ep(peer, port);
    ipsecvpn_read_result res;
    memcpy(buf, data, size);
    if (cky_i && size >= 8)
        memcpy(buf, cky_i, 8);
    if (cky_r && size >= 16)
        memcpy(buf + 8, cky_r, 8);
    (void)ipsecvpn_engine_read(e, &l, &r, buf, size, now, &res);
}

/* 1. a fresh responder */
static void fresh_responder(uint8_t *buf, const uint8_t *data, size_t size)
{
    fz f = { .rng = 0x1234567887654321ull };
    ipsecvpn_ctx *ctx;
    uint32_t id;
    const char *mode = size > 18 && data[18] == 4 ? "aggressive" : "main";
    ipsecvpn_engine *e = engine(&ctx, &f, 1, 2, mode, &id);
    if (e) {
        feed(e, 1, 2, 500, buf, data, size, NULL, NULL, 2000);
        feed(e, 1, 2, 4500, buf, data, size, NULL, NULL, 2001);
    }
    finish(e, ctx);
}

/* 2. an initiator that has sent MM1 or AM1 */
static void waiting_initiator(uint8_t *buf, const uint8_t *data, size_t size, const char *mode)
{
    fz f = { .rng = 0x0fedcba987654321ull };
    ipsecvpn_ctx *ctx;
    uint32_t id;
    ipsecvpn_engine *e = engine(&ctx, &f, 2, 1, mode, &id);
    if (e && ipsecvpn_engine_initiate(e, id, 1000) == IPSECVPN_OK && f.last_len >= 8)
        feed(e, 2, 1, 500, buf, data, size, f.last, NULL, 2000);
    finish(e, ctx);
}

/* 3. one round further on both sides: MM1/AM1 -> responder -> MM2/AM2 -> initiator */
static void second_round(uint8_t *buf, const uint8_t *data, size_t size, const char *mode)
{
    fz fi = { .rng = 0x0fedcba987654321ull }, fr = { .rng = 0x1234567887654321ull };
    ipsecvpn_ctx *ci, *cr;
    uint32_t ii, ir;
    ipsecvpn_engine *ei = engine(&ci, &fi, 2, 1, mode, &ii);
    ipsecvpn_engine *er = engine(&cr, &fr, 1, 2, mode, &ir);
    if (ei && er && ipsecvpn_engine_initiate(ei, ii, 1000) == IPSECVPN_OK && fi.last_len >= 28) {
        uint8_t mm1[FZ_MSG_MAX], mm2[FZ_MSG_MAX];
        size_t mm1_len = fi.last_len;
        memcpy(mm1, fi.last, mm1_len);
        ipsecvpn_endpoint l = ep(1, 500), r = ep(2, 500);
        ipsecvpn_read_result res;
        (void)ipsecvpn_engine_read(er, &l, &r, mm1, mm1_len, 1001, &res);
        if (fr.sent && fr.last_len >= 28) {
            size_t mm2_len = fr.last_len;
            memcpy(mm2, fr.last, mm2_len);
            /* the responder reads the input as MM3 (aggressive: as AM3, or as a quick-mode
             * message arriving before AM3) */
            feed(er, 1, 2, 500, buf, data, size, mm2, mm2 + 8, 2000);
            /* the initiator takes the real MM2 and sends MM3, then reads the input as MM4
             * (aggressive: takes AM2, is established, sends AM3 and QM1, reads the input as
             * QM2 / informational under the new ISAKMP SA) */
            unsigned sent = fi.sent;
            ipsecvpn_endpoint il = ep(2, 500), ir2 = ep(1, 500);
            (void)ipsecvpn_engine_read(ei, &il, &ir2, mm2, mm2_len, 1002, &res);
            if (fi.sent > sent)
                feed(ei, 2, 1, 500, buf, data, size, mm2, mm2 + 8, 2000);
        }
    }
    finish(ei, ci);
    finish(er, cr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    uint8_t *buf = malloc(size + 1);
    if (!buf)
        return 0;
    fresh_responder(buf, data, size);
    waiting_initiator(buf, data, size, "main");
    waiting_initiator(buf, data, size, "aggressive");
    second_round(buf, data, size, "main");
    second_round(buf, data, size, "aggressive");
    free(buf);
    return 0;
}
