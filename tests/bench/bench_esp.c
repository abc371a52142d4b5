/*
 * ESP throughput next to raw mbedTLS doing the same cryptographic work on the same buffers,
 * in the same run, measured in interleaved batches (ESP batch, raw batch, ESP batch, ...):
 *
 *   CBC suites, encrypt: ESP = ipsecvpn_esp_encrypt (tunnel mode, ESP alone);
 *                        raw = CBC over the padded payload + HMAC over SPI..ciphertext with
 *                              inner/outer hash states prepared once per key.
 *   CBC suites, decrypt: ESP = ipsecvpn_esp_decrypt (replay window 64, reset every packet);
 *                        raw = HMAC over the same bytes + CBC decrypt.
 *   AEAD suites:         raw = one mbedtls_gcm / chachapoly call with the same AAD and length.
 *
 * Both sides restore the packet from a template before each operation (same copy on both).
 * ESP additionally generates its IV (one block cipher call for CBC), builds header and
 * trailer, and checks padding, selectors and the replay window: that is the overhead shown.
 * Throughput counts inner-packet bytes. Each line: suite, size, direction, ESP MB/s, raw
 * MB/s, ratio (best batch of each, over NINST instances). Targets: ratio >= 0.95 at 1400
 * bytes, >= 0.80 at 64.
 *
 * Usage: bench_esp [seconds-per-line, default 0.25] [suite-name-filter]
 */
#define _POSIX_C_SOURCE 200809L
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/aes.h>
#include <mbedtls/chachapoly.h>
#include <mbedtls/des.h>
#include <mbedtls/gcm.h>
#include <mbedtls/md5.h>
#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

#include "esp/esp_internal.h"
#include "ipsecvpn/ipsecvpn.h"

#define OFF 128
#define BUFSZ 2048

typedef struct suite {
    const char *name;
    uint16_t encr, bits, integ;
} suite;

static const suite suites[] = {
#define ROW(n, e, b)                                                 \
    {n "-md5", e, b, IPSECVPN_INTEG_HMAC_MD5_96},                    \
    {n "-sha1", e, b, IPSECVPN_INTEG_HMAC_SHA1_96},                  \
    {n "-sha256", e, b, IPSECVPN_INTEG_HMAC_SHA2_256_128},           \
    {n "-sha384", e, b, IPSECVPN_INTEG_HMAC_SHA2_384_192},           \
    {n "-sha512", e, b, IPSECVPN_INTEG_HMAC_SHA2_512_256}
    ROW("aes128", IPSECVPN_ENCR_AES_CBC, 128),
    ROW("aes192", IPSECVPN_ENCR_AES_CBC, 192),
    ROW("aes256", IPSECVPN_ENCR_AES_CBC, 256),
    ROW("des", IPSECVPN_ENCR_DES, 0),
    ROW("3des", IPSECVPN_ENCR_3DES, 0),
#undef ROW
    {"aes128gcm16", IPSECVPN_ENCR_AES_GCM_16, 128, 0},
    {"aes256gcm16", IPSECVPN_ENCR_AES_GCM_16, 256, 0},
    {"chacha20poly1305", IPSECVPN_ENCR_CHACHA20_POLY1305, 0, 0},
};

static uint8_t ekey[36], ikey[64];

/* ---- raw mbedTLS ----------------------------------------------------------------------- */

typedef union hctx {
    mbedtls_md5_context md5;
    mbedtls_sha1_context sha1;
    mbedtls_sha256_context sha256;
    mbedtls_sha512_context sha512;
} hctx;

typedef struct raw {
    const ivpn_cipher_info *ci;
    const ivpn_integ_info *ii;
    mbedtls_aes_context aes_enc, aes_dec;
    mbedtls_des_context des_enc, des_dec;
    mbedtls_des3_context des3_enc, des3_dec;
    mbedtls_gcm_context gcm;
    mbedtls_chachapoly_context cp;
    hctx inner, outer; /* HMAC states after the key block, prepared once */
    unsigned block_len;
} raw;

static void h_start(raw *r, hctx *h)
{
    switch (r->ii->id) {
    case IPSECVPN_INTEG_HMAC_MD5_96: mbedtls_md5_init(&h->md5); mbedtls_md5_starts_ret(&h->md5); break;
    case IPSECVPN_INTEG_HMAC_SHA1_96: mbedtls_sha1_init(&h->sha1); mbedtls_sha1_starts_ret(&h->sha1); break;
    case IPSECVPN_INTEG_HMAC_SHA2_256_128: mbedtls_sha256_init(&h->sha256); mbedtls_sha256_starts_ret(&h->sha256, 0); break;
    case IPSECVPN_INTEG_HMAC_SHA2_384_192: mbedtls_sha512_init(&h->sha512); mbedtls_sha512_starts_ret(&h->sha512, 1); break;
    default: mbedtls_sha512_init(&h->sha512); mbedtls_sha512_starts_ret(&h->sha512, 0); break;
    }
}

static void h_update(raw *r, hctx *h, const uint8_t *p, size_t n)
{
    switch (r->ii->id) {
    case IPSECVPN_INTEG_HMAC_MD5_96: mbedtls_md5_update_ret(&h->md5, p, n); break;
    case IPSECVPN_INTEG_HMAC_SHA1_96: mbedtls_sha1_update_ret(&h->sha1, p, n); break;
    case IPSECVPN_INTEG_HMAC_SHA2_256_128: mbedtls_sha256_update_ret(&h->sha256, p, n); break;
    default: mbedtls_sha512_update_ret(&h->sha512, p, n); break;
    }
}

static void h_finish(raw *r, hctx *h, uint8_t *out)
{
    switch (r->ii->id) {
    case IPSECVPN_INTEG_HMAC_MD5_96: mbedtls_md5_finish_ret(&h->md5, out); break;
    case IPSECVPN_INTEG_HMAC_SHA1_96: mbedtls_sha1_finish_ret(&h->sha1, out); break;
    case IPSECVPN_INTEG_HMAC_SHA2_256_128: mbedtls_sha256_finish_ret(&h->sha256, out); break;
    default: mbedtls_sha512_finish_ret(&h->sha512, out); break;
    }
}

static void raw_setup(raw *r, const suite *s)
{
    memset(r, 0, sizeof(*r));
    r->ci = ivpn_cipher_lookup(s->encr, s->bits);
    r->ii = s->integ ? ivpn_integ_lookup(s->integ) : NULL;
    switch (s->encr) {
    case IPSECVPN_ENCR_AES_CBC:
        mbedtls_aes_setkey_enc(&r->aes_enc, ekey, s->bits);
        mbedtls_aes_setkey_dec(&r->aes_dec, ekey, s->bits);
        break;
    case IPSECVPN_ENCR_DES:
        mbedtls_des_setkey_enc(&r->des_enc, ekey);
        mbedtls_des_setkey_dec(&r->des_dec, ekey);
        break;
    case IPSECVPN_ENCR_3DES:
        mbedtls_des3_set3key_enc(&r->des3_enc, ekey);
        mbedtls_des3_set3key_dec(&r->des3_dec, ekey);
        break;
    case IPSECVPN_ENCR_AES_GCM_16:
        mbedtls_gcm_setkey(&r->gcm, MBEDTLS_CIPHER_ID_AES, ekey, s->bits);
        break;
    default:
        mbedtls_chachapoly_setkey(&r->cp, ekey);
        break;
    }
    if (r->ii) {
        uint8_t ipad[128], opad[128];
        r->block_len = r->ii->key_len > 32 ? 128 : 64;
        memset(ipad, 0x36, r->block_len);
        memset(opad, 0x5c, r->block_len);
        for (unsigned i = 0; i < r->ii->key_len; i++) {
            ipad[i] ^= ikey[i];
            opad[i] ^= ikey[i];
        }
        h_start(r, &r->inner);
        h_update(r, &r->inner, ipad, r->block_len);
        h_start(r, &r->outer);
        h_update(r, &r->outer, opad, r->block_len);
    }
}

static void raw_hmac(raw *r, const uint8_t *p, size_t n, uint8_t *icv)
{
    uint8_t d[64];
    hctx h = r->inner;
    h_update(r, &h, p, n);
    h_finish(r, &h, d);
    h = r->outer;
    h_update(r, &h, d, r->ii->full_len);
    h_finish(r, &h, d);
    memcpy(icv, d, r->ii->icv_len);
}

static void raw_cbc(raw *r, int enc, uint8_t *p, size_t n, const uint8_t *iv_in)
{
    uint8_t iv[16];
    memcpy(iv, iv_in, r->ci->iv_len);
    switch (r->ci->id) {
    case IPSECVPN_ENCR_AES_CBC:
        mbedtls_aes_crypt_cbc(enc ? &r->aes_enc : &r->aes_dec, enc ? MBEDTLS_AES_ENCRYPT : MBEDTLS_AES_DECRYPT, n, iv, p, p);
        break;
    case IPSECVPN_ENCR_DES:
        mbedtls_des_crypt_cbc(enc ? &r->des_enc : &r->des_dec, enc ? MBEDTLS_DES_ENCRYPT : MBEDTLS_DES_DECRYPT, n, iv, p, p);
        break;
    default:
        mbedtls_des3_crypt_cbc(enc ? &r->des3_enc : &r->des3_dec, enc ? MBEDTLS_DES_ENCRYPT : MBEDTLS_DES_DECRYPT, n, iv, p, p);
        break;
    }
}

/* The cryptographic work of one ESP packet whose ESP header starts at esp, ct_len bytes of
 * ciphertext after the IV. */
static int raw_op(raw *r, int enc, uint8_t *esp, size_t ct_len)
{
    uint8_t *iv = esp + 8, *ct = iv + r->ci->iv_len, nonce[12], icv[32];

    if (r->ci->aead) {
        memcpy(nonce, ekey + r->ci->key_len, 4);
        memcpy(nonce + 4, iv, 8);
        if (r->ci->id == IPSECVPN_ENCR_AES_GCM_16)
            return enc ? mbedtls_gcm_crypt_and_tag(&r->gcm, MBEDTLS_GCM_ENCRYPT, ct_len, nonce, 12, esp, 8, ct, ct, 16, ct + ct_len)
                       : mbedtls_gcm_auth_decrypt(&r->gcm, ct_len, nonce, 12, esp, 8, ct + ct_len, 16, ct, ct);
        return enc ? mbedtls_chachapoly_encrypt_and_tag(&r->cp, ct_len, nonce, esp, 8, ct, ct, ct + ct_len)
                   : mbedtls_chachapoly_auth_decrypt(&r->cp, ct_len, nonce, esp, 8, ct + ct_len, ct, ct);
    }
    if (enc) {
        raw_cbc(r, 1, ct, ct_len, iv);
        raw_hmac(r, esp, 8 + r->ci->iv_len + ct_len, ct + ct_len);
        return 0;
    }
    raw_hmac(r, esp, 8 + r->ci->iv_len + ct_len, icv);
    if (!ivpn_ct_equal(icv, ct + ct_len, r->ii->icv_len))
        return -1;
    raw_cbc(r, 0, ct, ct_len, iv);
    return 0;
}

/* ---- measurement --------------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int rnd(void *ud, uint8_t *b, size_t n)
{
    (void)ud;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)rand();
    return 0;
}

static void params(ipsecvpn_esp_sa_params *p, const suite *s, ipsecvpn_esp_dir dir)
{
    const ivpn_cipher_info *ci = ivpn_cipher_lookup(s->encr, s->bits);
    const ivpn_integ_info *ii = s->integ ? ivpn_integ_lookup(s->integ) : NULL;

    memset(p, 0, sizeof(*p));
    p->version = IPSECVPN_ESP_SA_PARAMS_VERSION;
    p->spi = 0x12345678;
    p->direction = dir;
    p->mode = IPSECVPN_ESP_MODE_TUNNEL;
    p->encr = s->encr;
    p->encr_key_bits = s->bits;
    p->integ = s->integ;
    p->encr_key = ekey;
    p->encr_key_len = (size_t)ci->key_len + ci->salt_len;
    p->integ_key = ii ? ikey : NULL;
    p->integ_key_len = ii ? ii->key_len : 0;
    p->local_addr.family = p->remote_addr.family = 4;
    p->local_addr.bytes[0] = 198; p->local_addr.bytes[3] = 1;
    p->remote_addr.bytes[0] = 198; p->remote_addr.bytes[3] = 2;
    p->local_port = p->remote_port = 4500;
    p->replay_window = dir == IPSECVPN_ESP_DIR_IN ? 64 : 0;
}

static void inner_packet(uint8_t *p, size_t len)
{
    memset(p, 0xAB, len);
    p[0] = 0x45; p[1] = 0;
    p[2] = (uint8_t)(len >> 8); p[3] = (uint8_t)len;
    p[6] = 0; p[7] = 0; p[8] = 64; p[9] = 17;
    p[12] = 10; p[13] = 1; p[14] = 0; p[15] = 1;
    p[16] = 10; p[17] = 2; p[18] = 0; p[19] = 1;
    uint16_t c = ivpn_ipv4_checksum(p, 20);
    p[10] = (uint8_t)(c >> 8); p[11] = (uint8_t)c;
}

/* Each line runs on NINST instances of the SAs, the raw contexts and the packet buffer, at
 * different addresses; the best of each side counts, to take luck of placement out of the
 * ratio. Instance i also runs i stack steps deeper (batch_at_depth), because stack placement
 * alone moved AES-GCM decryption by ~8% per process. */
#define NINST 4

typedef struct job {
    ipsecvpn_esp_sa *outs[NINST], *ins[NINST], *out, *in;
    raw *raws[NINST];
    raw *r;
    size_t size;
    uint8_t *buf;          /* the packet buffer of the current instance, inside bufmem */
    uint8_t bufmem[NINST * (BUFSZ + 1344)];
    uint8_t plain[BUFSZ];  /* template: inner packet at OFF */
    uint8_t packet[BUFSZ]; /* template: ESP packet from the ESP encryptor */
    size_t pkt_len;
    int failed;
} job;

/* One batch of n operations; returns seconds. which: 0 ESP, 1 raw. */
static double batch(job *j, int decrypt, int which, unsigned n)
{
    size_t o, l, ct_len = j->pkt_len - 8 - j->r->ci->iv_len -
                          (j->r->ci->aead ? j->r->ci->icv_len : j->r->ii->icv_len);
    double t0 = now_s();

    for (unsigned i = 0; i < n; i++) {
        if (!decrypt) {
            memcpy(j->buf + OFF, j->plain + OFF, j->size);
            if (which == 0) {
                if (ipsecvpn_esp_encrypt(j->out, j->buf, BUFSZ, OFF, j->size, 0, 0, &o, &l) != 0)
                    j->failed = 1;
            } else {
                if (raw_op(j->r, 1, j->buf + OFF - 8 - j->r->ci->iv_len, ct_len) != 0)
                    j->failed = 1;
            }
        } else {
            memcpy(j->buf, j->packet, j->pkt_len);
            if (which == 0) {
                ivpn_esp_sa_test_set_seq(j->in, 0); /* accept the same packet again */
                if (ipsecvpn_esp_decrypt(j->in, j->buf, j->pkt_len, 0, 0, &o, &l, NULL) != 0)
                    j->failed = 1;
            } else {
                if (raw_op(j->r, 0, j->buf, ct_len) != 0)
                    j->failed = 1;
            }
        }
    }
    return now_s() - t0;
}

/* Run a batch from a stack 1 KiB + 208 bytes deeper per step. mbedTLS keeps per-block
 * scratch (GCM's counter block) on the stack; whether it 4K-aliases the packet buffer depends
 * on the process's random stack offset and made one side or the other 8% slower per run.
 * Trying several depths for both sides, best of each, measures the code and not the luck. */
static double batch_at_depth(job *j, int decrypt, int which, unsigned n, int depth)
{
    if (depth == 0)
        return batch(j, decrypt, which, n);
    volatile uint8_t pad[1232];
    pad[0] = (uint8_t)depth;
    double t = batch_at_depth(j, decrypt, which, n, depth - 1);
    pad[sizeof(pad) - 1] = pad[0];
    return t;
}

static void use_instance(job *j, int i)
{
    j->out = j->outs[i];
    j->in = j->ins[i];
    j->r = j->raws[i];
    j->buf = j->bufmem + (size_t)i * (BUFSZ + 1344); /* a different offset modulo 4096 */
}

static void measure(job *j, const char *name, int decrypt, double seconds)
{
    unsigned n = 16;
    double best[2] = {1e30, 1e30}, spent = 0;

    use_instance(j, 0);
    while (batch(j, decrypt, 0, n) < 0.0005 && n < (1u << 24))
        n *= 2; /* batches of about 0.5 ms: short enough to often run unpreempted */
    while (spent < seconds) {
        for (int i = 0; i < NINST; i++) {
            use_instance(j, i);
            for (int which = 0; which < 2; which++) {
                double t = batch_at_depth(j, decrypt, which, n, i);
                spent += t;
                if (t < best[which])
                    best[which] = t;
            }
        }
    }
    double esp = (double)j->size * n / best[0] / 1e6, rawv = (double)j->size * n / best[1] / 1e6;
    printf("%-22s %5zu %-7s esp %9.1f MB/s  raw %9.1f MB/s  ratio %.3f%s\n", name, j->size,
           decrypt ? "decrypt" : "encrypt", esp, rawv, esp / rawv, j->failed ? "  FAILED" : "");
}

static void memory_line(ipsecvpn_ctx *ctx, const suite *s)
{
    enum { N = 256 };
    static ipsecvpn_esp_sa *sas[N];
    ipsecvpn_esp_sa_params p;
    struct mallinfo2 before, after;

    params(&p, s, IPSECVPN_ESP_DIR_IN);
    before = mallinfo2();
    for (int i = 0; i < N; i++)
        ipsecvpn_esp_sa_new(ctx, &p, 0, &sas[i]);
    after = mallinfo2();
    printf("memory per SA %-18s %zu bytes (heap, inbound, window 64; ESP layer alone %zu)\n",
           s->name, (after.uordblks - before.uordblks) / N, ipsecvpn_esp_sa_memory(sas[0]));
    for (int i = 0; i < N; i++)
        ipsecvpn_esp_sa_free(sas[i]);
}

int main(int argc, char **argv)
{
    static const size_t sizes[] = {64, 512, 1400};
    double seconds = argc > 1 ? atof(argv[1]) : 0.25;
    const char *filter = argc > 2 ? argv[2] : NULL;
    ipsecvpn_host host = {IPSECVPN_HOST_VERSION, NULL, NULL, NULL, IPSECVPN_LOG_ERROR, rnd};
    ipsecvpn_ctx *ctx;
    static job j;
    int failed = 0;

    for (size_t i = 0; i < sizeof(ekey); i++)
        ekey[i] = (uint8_t)(i * 13 + 1);
    for (size_t i = 0; i < sizeof(ikey); i++)
        ikey[i] = (uint8_t)(i * 7 + 3);
    if (ipsecvpn_ctx_new(&host, &ctx) != 0)
        return 1;
    printf("# ESP (tunnel, IPv4, ESP alone) vs raw mbedTLS, best of interleaved ~0.5 ms batches\n");
    for (size_t si = 0; si < sizeof(suites) / sizeof(suites[0]); si++) {
        const suite *s = &suites[si];
        ipsecvpn_esp_sa_params p;
        if (filter && !strstr(s->name, filter))
            continue;
        for (size_t zi = 0; zi < 3; zi++) {
            size_t o, l;
            memset(&j, 0, sizeof(j));
            j.size = sizes[zi];
            for (int i = 0; i < NINST; i++) {
                params(&p, s, IPSECVPN_ESP_DIR_OUT);
                if (ipsecvpn_esp_sa_new(ctx, &p, 0, &j.outs[i]) != 0)
                    return 1;
                params(&p, s, IPSECVPN_ESP_DIR_IN);
                if (ipsecvpn_esp_sa_new(ctx, &p, 0, &j.ins[i]) != 0)
                    return 1;
                j.raws[i] = malloc(sizeof(raw) + 64 * (size_t)i); /* vary placement */
                if (!j.raws[i])
                    return 1;
                raw_setup(j.raws[i], s);
            }
            use_instance(&j, 0);
            inner_packet(j.plain + OFF, j.size);
            memcpy(j.buf, j.plain, BUFSZ);
            if (ipsecvpn_esp_encrypt(j.out, j.buf, BUFSZ, OFF, j.size, 0, 0, &o, &l) != 0)
                return 1;
            memcpy(j.packet, j.buf + o, l);
            j.pkt_len = l;
            measure(&j, s->name, 0, seconds);
            measure(&j, s->name, 1, seconds);
            failed |= j.failed;
            for (int i = 0; i < NINST; i++) {
                ipsecvpn_esp_sa_free(j.outs[i]);
                ipsecvpn_esp_sa_free(j.ins[i]);
                mbedtls_gcm_free(&j.raws[i]->gcm);
                mbedtls_chachapoly_free(&j.raws[i]->cp);
                free(j.raws[i]);
            }
        }
    }
    for (size_t si = 0; si < sizeof(suites) / sizeof(suites[0]); si++)
        if (!filter || strstr(suites[si].name, filter))
            memory_line(ctx, &suites[si]);
    ipsecvpn_ctx_free(ctx);
    return failed;
}
