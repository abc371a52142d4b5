/*
 * libFuzzer harness for ESP decryption with fixed SAs (fixed keys, SPI 0x1000).
 *
 * Input: byte 0 picks the SA: bits 0-1 suite (AES-GCM-128, ChaCha20-Poly1305,
 * AES-128-CBC/HMAC-SHA1-96, 3DES/HMAC-MD5-96), bit 2 transport mode, bit 3 ESN, bit 4 FULL
 * form, bit 5 round trip, bit 6 UDP encapsulation, bit 7 a narrow selector.
 * Without "round trip" the rest of the input is decrypted as it is: this reaches every
 * check before the ICV. With it, byte 1 is the next header, byte 2 bit 0 chooses
 * ipsecvpn_esp_encrypt() (which parses the packet) over ipsecvpn_esp_encrypt_payload(), and
 * the rest is first encrypted by the outbound twin, then decrypted: this reaches padding,
 * inner-packet parsing and selectors with attacker-chosen plaintext.
 * Buffers are allocated to the exact size so sanitizers see any overrun.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipsecvpn/ipsecvpn.h"

static int fixed_random(void *ud, uint8_t *buf, size_t len)
{
    (void)ud;
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(i * 29 + 7);
    return 0;
}

static const uint8_t keys[64] = {
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
    25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46,
    47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64};

static void params_for(uint8_t cfg, ipsecvpn_esp_sa_params *p, ipsecvpn_selector *sel)
{
    static const struct { uint16_t encr, bits, key, integ, ikey; } suites[4] = {
        {IPSECVPN_ENCR_AES_GCM_16, 128, 20, IPSECVPN_INTEG_NONE, 0},
        {IPSECVPN_ENCR_CHACHA20_POLY1305, 0, 36, IPSECVPN_INTEG_NONE, 0},
        {IPSECVPN_ENCR_AES_CBC, 128, 16, IPSECVPN_INTEG_HMAC_SHA1_96, 20},
        {IPSECVPN_ENCR_3DES, 0, 24, IPSECVPN_INTEG_HMAC_MD5_96, 16},
    };
    const int s = cfg & 3;

    memset(p, 0, sizeof(*p));
    p->version = IPSECVPN_ESP_SA_PARAMS_VERSION;
    p->spi = 0x1000;
    p->direction = IPSECVPN_ESP_DIR_OUT;
    p->mode = (cfg & 4) ? IPSECVPN_ESP_MODE_TRANSPORT : IPSECVPN_ESP_MODE_TUNNEL;
    p->encr = suites[s].encr;
    p->encr_key_bits = suites[s].bits;
    p->encr_key = keys;
    p->encr_key_len = suites[s].key;
    p->integ = suites[s].integ;
    p->integ_key = suites[s].ikey ? keys + 32 : NULL;
    p->integ_key_len = suites[s].ikey;
    p->local_addr.family = p->remote_addr.family = IPSECVPN_IPV4;
    p->local_addr.bytes[0] = 10; p->local_addr.bytes[3] = 1;
    p->remote_addr.bytes[0] = 10; p->remote_addr.bytes[3] = 2;
    p->esn = (cfg & 8) ? 1 : 0;
    p->replay_window = 64;
    if (cfg & 0x40) {
        p->local_port = 4500;
        p->remote_port = 4500;
    }
    if (cfg & 0x80) {
        memset(sel, 0, sizeof(*sel));
        sel->local.family = sel->remote.family = IPSECVPN_IPV4;
        sel->local.addr[0] = 192; sel->local.addr[1] = 168;
        sel->local.prefix_len = 16;
        sel->remote.prefix_len = 0;
        sel->proto = 17;
        sel->local_port_min = 1;
        sel->local_port_max = 1024;
        sel->remote_port_max = 0xFFFF; /* any remote port */
        p->selectors = sel;
        p->selector_count = 1;
    }
}

static void check_result(int rc, size_t len, size_t off, size_t n)
{
    if (rc == IPSECVPN_OK && (off > len || n > len - off))
        __builtin_trap(); /* the result must lie inside the packet */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ipsecvpn_host host = {0};
    ipsecvpn_ctx *ctx = NULL;
    ipsecvpn_esp_sa_params p;
    ipsecvpn_selector sel;
    ipsecvpn_esp_sa *out = NULL, *in = NULL;
    uint8_t cfg, *buf;
    uint32_t flags;
    size_t off = 0, n = 0;
    int rc;

    if (size < 1)
        return 0;
    cfg = data[0];
    flags = (cfg & 0x10) ? IPSECVPN_ESP_FLAG_FULL : 0;
    host.version = IPSECVPN_HOST_VERSION;
    host.random = fixed_random;
    host.log_level = IPSECVPN_LOG_ERROR;
    if (ipsecvpn_ctx_new(&host, &ctx) != IPSECVPN_OK)
        return 0;
    params_for(cfg, &p, &sel);
    if (ipsecvpn_esp_sa_new(ctx, &p, 0, &out) != IPSECVPN_OK)
        goto done;
    p.direction = IPSECVPN_ESP_DIR_IN;
    if (ipsecvpn_esp_sa_new(ctx, &p, 0, &in) != IPSECVPN_OK)
        goto done;

    if (!(cfg & 0x20)) {
        buf = malloc(size - 1 ? size - 1 : 1);
        if (!buf)
            goto done;
        memcpy(buf, data + 1, size - 1);
        rc = ipsecvpn_esp_decrypt(in, buf, size - 1, 0, flags, &off, &n, NULL);
        check_result(rc, size - 1, off, n);
        free(buf);
    } else if (size >= 3) {
        size_t head, tail, len = size - 3, total, eo, el;
        uint8_t nh = data[1];
        if (ipsecvpn_esp_sa_overhead(out, flags, &head, &tail) != IPSECVPN_OK)
            goto done;
        total = head + len + tail;
        buf = malloc(total);
        if (!buf)
            goto done;
        memcpy(buf + head, data + 3, len);
        if (data[2] & 1)
            rc = ipsecvpn_esp_encrypt(out, buf, total, head, len, 0, flags, &eo, &el);
        else
            rc = ipsecvpn_esp_encrypt_payload(out, buf, total, head, len, nh, 0,
                                              (p.mode == IPSECVPN_ESP_MODE_TUNNEL) ? flags : 0,
                                              &eo, &el);
        check_result(rc, total, eo, el);
        if (rc == IPSECVPN_OK) {
            uint32_t dflags = (data[2] & 1) || p.mode == IPSECVPN_ESP_MODE_TUNNEL ? flags : 0;
            rc = ipsecvpn_esp_decrypt(in, buf + eo, el, 0, dflags, &off, &n, NULL);
            check_result(rc, el, off, n);
            /* A packet we sealed ourselves must never fail its ICV or padding check. */
            if (rc == IPSECVPN_ERR_ESP_ICV || rc == IPSECVPN_ERR_ESP_PADDING)
                __builtin_trap();
        }
        free(buf);
    }
done:
    ipsecvpn_esp_sa_free(out);
    ipsecvpn_esp_sa_free(in);
    ipsecvpn_ctx_free(ctx);
    return 0;
}
