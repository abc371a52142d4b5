/*
 * Shared helpers of the ESP tests: a context with a seeded random source, SA parameter
 * templates for every algorithm suite, inner packet builders and hex decoding.
 */
#ifndef TEST_ESP_UTIL_H
#define TEST_ESP_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp/esp_internal.h"
#include "ipsecvpn/ipsecvpn.h"

typedef struct esp_suite {
    const char *name;
    uint16_t encr;
    uint16_t bits;
    uint16_t integ;
} esp_suite;

/* The seeds' 5 ciphers x 5 integrity algorithms, then the AEADs. */
static const esp_suite esp_suites[] = {
#define CBC_ROW(n, e, b)                                                   \
    {n "-md5", e, b, IPSECVPN_INTEG_HMAC_MD5_96},                          \
    {n "-sha1", e, b, IPSECVPN_INTEG_HMAC_SHA1_96},                        \
    {n "-sha256", e, b, IPSECVPN_INTEG_HMAC_SHA2_256_128},                 \
    {n "-sha384", e, b, IPSECVPN_INTEG_HMAC_SHA2_384_192},                 \
    {n "-sha512", e, b, IPSECVPN_INTEG_HMAC_SHA2_512_256}
    CBC_ROW("aes128", IPSECVPN_ENCR_AES_CBC, 128),
    CBC_ROW("aes192", IPSECVPN_ENCR_AES_CBC, 192),
    CBC_ROW("aes256", IPSECVPN_ENCR_AES_CBC, 256),
    CBC_ROW("des", IPSECVPN_ENCR_DES, 0),
    CBC_ROW("3des", IPSECVPN_ENCR_3DES, 0),
#undef CBC_ROW
    {"aes128gcm16", IPSECVPN_ENCR_AES_GCM_16, 128, IPSECVPN_INTEG_NONE},
    {"aes256gcm16", IPSECVPN_ENCR_AES_GCM_16, 256, IPSECVPN_INTEG_NONE},
    {"chacha20poly1305", IPSECVPN_ENCR_CHACHA20_POLY1305, 0, IPSECVPN_INTEG_NONE},
};
#define ESP_SUITE_COUNT (sizeof(esp_suites) / sizeof(esp_suites[0]))

static inline int esp_test_random(void *ud, uint8_t *buf, size_t len)
{
    uint64_t *s = ud;
    for (size_t i = 0; i < len; i++) {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        buf[i] = (uint8_t)*s;
    }
    return 0;
}

static uint64_t esp_test_seed = 0x9E3779B97F4A7C15ull;

static inline ipsecvpn_ctx *esp_test_ctx(void)
{
    ipsecvpn_host host = {0};
    ipsecvpn_ctx *ctx = NULL;

    host.version = IPSECVPN_HOST_VERSION;
    host.user_data = &esp_test_seed;
    host.random = esp_test_random;
    host.log_level = IPSECVPN_LOG_ERROR;
    if (ipsecvpn_ctx_new(&host, &ctx) != IPSECVPN_OK)
        return NULL;
    return ctx;
}

static uint8_t esp_test_ekey[36];
static uint8_t esp_test_ikey[64];

static inline void esp_test_addr(ipsecvpn_ip_addr *a, int family, uint8_t last)
{
    memset(a, 0, sizeof(*a));
    a->family = (uint8_t)family;
    if (family == 4) {
        a->bytes[0] = 192; a->bytes[1] = 0; a->bytes[2] = 2; a->bytes[3] = last;
    } else {
        a->bytes[0] = 0x20; a->bytes[1] = 0x01; a->bytes[2] = 0x0d; a->bytes[3] = 0xb8;
        a->bytes[15] = last;
    }
}

/* A prefix whose address is esp_test_addr(family, last). */
static inline void esp_test_prefix(ipsecvpn_ip_prefix *p, int family, uint8_t last, uint8_t len)
{
    ipsecvpn_ip_addr a;
    esp_test_addr(&a, family, last);
    memset(p, 0, sizeof(*p));
    p->family = a.family;
    p->prefix_len = len;
    memcpy(p->addr, a.bytes, sizeof(p->addr));
}

/* Outbound parameters for a suite; the inbound twin swaps addresses and ports. */
static inline void esp_test_params(ipsecvpn_esp_sa_params *p, const esp_suite *s, int mode,
                                   int family, int esn, int encap)
{
    const ivpn_cipher_info *ci = ivpn_cipher_lookup(s->encr, s->bits);
    const ivpn_integ_info *ii = ivpn_integ_lookup(s->integ);

    for (size_t i = 0; i < sizeof(esp_test_ekey); i++)
        esp_test_ekey[i] = (uint8_t)(0x11 * i + 3);
    for (size_t i = 0; i < sizeof(esp_test_ikey); i++)
        esp_test_ikey[i] = (uint8_t)(0x07 * i + 0x5a);
    memset(p, 0, sizeof(*p));
    p->version = IPSECVPN_ESP_SA_PARAMS_VERSION;
    p->spi = 0xc0de0001;
    p->direction = IPSECVPN_ESP_DIR_OUT;
    p->mode = (ipsecvpn_esp_mode)mode;
    p->encr = s->encr;
    p->encr_key_bits = s->bits;
    p->integ = s->integ;
    p->encr_key = esp_test_ekey;
    p->encr_key_len = ci ? (size_t)ci->key_len + ci->salt_len : 0;
    p->integ_key = ii && s->integ ? esp_test_ikey : NULL;
    p->integ_key_len = ii && s->integ ? ii->key_len : 0;
    esp_test_addr(&p->local_addr, family, 1);
    esp_test_addr(&p->remote_addr, family, 2);
    if (encap) {
        p->local_port = 4500;
        p->remote_port = 4501;
    }
    p->esn = (uint8_t)esn;
    p->replay_window = 64;
}

/* Creates the outbound SA from p and an inbound twin (addresses and ports swapped). */
static inline int esp_test_pair(ipsecvpn_ctx *ctx, const ipsecvpn_esp_sa_params *p,
                                ipsecvpn_esp_sa **out, ipsecvpn_esp_sa **in)
{
    ipsecvpn_esp_sa_params q = *p;
    int rc = ipsecvpn_esp_sa_new(ctx, p, 0, out);

    if (rc != IPSECVPN_OK)
        return rc;
    q.direction = IPSECVPN_ESP_DIR_IN;
    q.local_addr = p->remote_addr;
    q.remote_addr = p->local_addr;
    q.local_port = p->remote_port;
    q.remote_port = p->local_port;
    rc = ipsecvpn_esp_sa_new(ctx, &q, 0, in);
    if (rc != IPSECVPN_OK) {
        ipsecvpn_esp_sa_free(*out);
        *out = NULL;
    }
    return rc;
}

static inline uint16_t esp_test_csum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return (uint16_t)~sum;
}

/* An IPv4 or IPv6 UDP packet of total length len (>= 28 / 48) from src to dst at p. */
static inline void esp_test_udp_packet(uint8_t *p, size_t len, const ipsecvpn_ip_addr *src,
                                       const ipsecvpn_ip_addr *dst, uint16_t sport,
                                       uint16_t dport)
{
    size_t hl = src->family == 4 ? 20 : 40;
    uint8_t *u = p + hl;

    memset(p, 0, len);
    if (src->family == 4) {
        p[0] = 0x45; p[1] = 0x10;
        p[2] = (uint8_t)(len >> 8); p[3] = (uint8_t)len;
        p[4] = 0x12; p[5] = 0x34; p[8] = 64; p[9] = 17;
        memcpy(p + 12, src->bytes, 4);
        memcpy(p + 16, dst->bytes, 4);
        uint16_t c = esp_test_csum(p, 20);
        p[10] = (uint8_t)(c >> 8); p[11] = (uint8_t)c;
    } else {
        p[0] = 0x60;
        p[4] = (uint8_t)((len - 40) >> 8); p[5] = (uint8_t)(len - 40);
        p[6] = 17; p[7] = 64;
        memcpy(p + 8, src->bytes, 16);
        memcpy(p + 24, dst->bytes, 16);
    }
    u[0] = (uint8_t)(sport >> 8); u[1] = (uint8_t)sport;
    u[2] = (uint8_t)(dport >> 8); u[3] = (uint8_t)dport;
    u[4] = (uint8_t)((len - hl) >> 8); u[5] = (uint8_t)(len - hl);
    for (size_t i = hl + 8; i < len; i++)
        p[i] = (uint8_t)(i * 7 + 1);
}

static inline size_t esp_test_unhex(const char *hex, uint8_t *out, size_t max)
{
    size_t n = strlen(hex) / 2;
    if (n > max)
        return (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return (size_t)-1;
        out[i] = (uint8_t)v;
    }
    return n;
}

static inline ipsecvpn_esp_stats esp_test_stats(const ipsecvpn_esp_sa *sa)
{
    ipsecvpn_esp_stats st;
    memset(&st, 0, sizeof(st));
    st.version = IPSECVPN_ESP_STATS_VERSION;
    ipsecvpn_esp_sa_get_stats(sa, &st);
    return st;
}

#endif
