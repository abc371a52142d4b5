/*
 * The whole IKEv2 engine under a fuzzer, with a deterministic random source so runs repeat:
 *  1. a responder engine reads the input as a datagram on port 500 (IKE_SA_INIT request
 *     path: proposal matching, KE, NAT-D, key derivation, the response), then on port 4500
 *     (marker / ESP / keepalive classification);
 *  2. an initiator engine that has sent its IKE_SA_INIT reads the input with its own SPIi
 *     patched in, reaching the response path (INVALID_KE, COOKIE, NO_PROPOSAL, keys, IKE_AUTH).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipsecvpn/ipsecvpn.h"

typedef struct fz {
    uint64_t rng;
    uint8_t spi_i[8];
    int have_spi;
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
    if (!f->have_spi && len >= 8) {
        memcpy(f->spi_i, data, 8);
        f->have_spi = 1;
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

static ipsecvpn_engine *engine(ipsecvpn_ctx **ctx, fz *f, uint8_t me, uint8_t peer,
                               uint32_t *id)
{
    ipsecvpn_host host = { .version = IPSECVPN_HOST_VERSION, .user_data = f,
                           .log_level = IPSECVPN_LOG_ERROR, .random = rng_cb };
    if (ipsecvpn_ctx_new(&host, ctx) != IPSECVPN_OK)
        return NULL;
    ipsecvpn_connection *c = NULL;
    char la[16] = "192.0.2.x", pa[16] = "192.0.2.x";
    la[8] = (char)('0' + me);
    pa[8] = (char)('0' + peer);
    const char *fields[] = { "local_address", "peer_address", "psk", "ike.version",
                             "ike.encryption", "ike.integrity", "ike.dh_group" };
    const char *values[] = { la, pa, "fuzz-psk", "ikev2", "aes", "sha256", "group14" };
    ipsecvpn_engine_callbacks cb = { .version = IPSECVPN_ENGINE_CALLBACKS_VERSION,
                                     .send = send_cb };
    ipsecvpn_engine *e = NULL;
    if (ipsecvpn_connection_new(*ctx, IPSECVPN_PROFILE_CLOUD, &c) != IPSECVPN_OK ||
        ipsecvpn_connection_update(c, fields, values, 7, NULL) != IPSECVPN_OK ||
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    uint8_t *buf = malloc(size + 1);
    if (!buf)
        return 0;
    ipsecvpn_read_result res;

    fz f = { .rng = 0x1234567887654321ull };
    ipsecvpn_ctx *ctx = NULL;
    uint32_t id;
    ipsecvpn_engine *resp = engine(&ctx, &f, 1, 2, &id);
    if (resp) {
        ipsecvpn_endpoint l = ep(1, 500), r = ep(2, 500);
        memcpy(buf, data, size);
        (void)ipsecvpn_engine_read(resp, &l, &r, buf, size, 2000, &res);
        l.port = r.port = 4500;
        memcpy(buf, data, size);
        (void)ipsecvpn_engine_read(resp, &l, &r, buf, size, 2001, &res);
        (void)ipsecvpn_engine_handle_expiry(resp, ipsecvpn_engine_get_expiry(resp));
        ipsecvpn_engine_free(resp);
    }
    ipsecvpn_ctx_free(ctx);

    fz g = { .rng = 0x0fedcba987654321ull };
    ctx = NULL;
    ipsecvpn_engine *init = engine(&ctx, &g, 2, 1, &id);
    if (init && ipsecvpn_engine_initiate(init, id, 1000) == IPSECVPN_OK && g.have_spi) {
        ipsecvpn_endpoint l = ep(2, 500), r = ep(1, 500);
        memcpy(buf, data, size);
        if (size >= 8)
            memcpy(buf, g.spi_i, 8);
        (void)ipsecvpn_engine_read(init, &l, &r, buf, size, 2000, &res);
        (void)ipsecvpn_engine_handle_expiry(init, ipsecvpn_engine_get_expiry(init));
    }
    ipsecvpn_engine_free(init);
    ipsecvpn_ctx_free(ctx);
    free(buf);
    return 0;
}
