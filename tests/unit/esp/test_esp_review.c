/*
 * Regression tests from the review of the ESP data plane: each one failed before its fix.
 */
#include <criterion/criterion.h>

#include "test_esp_util.h"

#define OFF 128

typedef struct pair {
    ipsecvpn_ctx *ctx;
    ipsecvpn_esp_sa_params p;
    ipsecvpn_esp_sa *out, *in;
} pair;

static void open_pair(pair *f, size_t suite, int mode, const ipsecvpn_selector *sel)
{
    f->ctx = esp_test_ctx();
    cr_assert_not_null(f->ctx);
    esp_test_params(&f->p, &esp_suites[suite], mode, 4, 0, 0);
    f->p.selectors = sel;
    f->p.selector_count = sel ? 1 : 0;
    cr_assert_eq(esp_test_pair(f->ctx, &f->p, &f->out, &f->in), IPSECVPN_OK);
}

static void close_pair(pair *f)
{
    ipsecvpn_esp_sa_free(f->out);
    ipsecvpn_esp_sa_free(f->in);
    ipsecvpn_ctx_free(f->ctx);
}

static size_t suite_index(uint16_t encr, uint16_t bits, uint16_t integ)
{
    for (size_t i = 0; i < ESP_SUITE_COUNT; i++)
        if (esp_suites[i].encr == encr && esp_suites[i].bits == bits && esp_suites[i].integ == integ)
            return i;
    cr_assert_fail("suite not in the table");
    return 0;
}

/* sa.c: get_stats copied the SA's own counters, whose version is 0, over the caller's
 * version, so calling it twice with the same struct failed with IPSECVPN_ERR_VERSION. */
Test(esp_review, stats_keep_their_version)
{
    pair f;
    ipsecvpn_esp_stats st;

    open_pair(&f, suite_index(IPSECVPN_ENCR_AES_GCM_16, 128, IPSECVPN_INTEG_NONE),
              IPSECVPN_ESP_MODE_TUNNEL, NULL);
    memset(&st, 0, sizeof(st));
    st.version = IPSECVPN_ESP_STATS_VERSION;
    cr_assert_eq(ipsecvpn_esp_sa_get_stats(f.in, &st), IPSECVPN_OK);
    cr_assert_eq(st.version, IPSECVPN_ESP_STATS_VERSION);
    cr_assert_eq(ipsecvpn_esp_sa_get_stats(f.in, &st), IPSECVPN_OK, "second call, same struct");
    close_pair(&f);
}

/* esp_out.c plan(): payload + padding + ICV was summed before the 64 KiB check, so a caller
 * claiming a buffer of SIZE_MAX bytes made the sum wrap, pass the room check and write before
 * the buffer. Now the length is refused first and nothing is written. */
Test(esp_review, huge_claimed_length_refused_before_any_arithmetic)
{
    pair f;
    size_t suite = suite_index(IPSECVPN_ENCR_AES_CBC, 128, IPSECVPN_INTEG_HMAC_SHA2_512_256);
    uint8_t buf[256], copy[256];
    ipsecvpn_ip_addr a, b;
    size_t head, off = 0, n = 0;

    open_pair(&f, suite, IPSECVPN_ESP_MODE_TUNNEL, NULL);
    cr_assert_eq(ipsecvpn_esp_sa_overhead(f.out, 0, &head, NULL), IPSECVPN_OK);
    cr_assert_eq(head, 24);
    esp_test_addr(&a, 4, 10);
    esp_test_addr(&b, 4, 20);
    memset(buf, 0x5A, sizeof(buf));
    esp_test_udp_packet(buf + head, 100, &a, &b, 7, 9);
    memcpy(copy, buf, sizeof(buf));
    /* payload SIZE_MAX-24, +2 trailer +7 pad +32 ICV wraps to 16 */
    cr_assert_eq(ipsecvpn_esp_encrypt(f.out, buf, SIZE_MAX, head, SIZE_MAX - head, 0, 0, &off, &n),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(memcmp(buf, copy, sizeof(buf)), 0, "nothing written");
    cr_assert_eq(esp_test_stats(f.out).seq, 0, "no sequence number used");
    close_pair(&f);
}

/* esp_in.c: CBC packets with room for the trailer but less than one cipher block of
 * ciphertext were reported as MALFORMED; they are SHORT (RFC 4303 §2.4: the ciphertext is at
 * least one block), and counted as such, before any crypto. */
Test(esp_review, cbc_less_than_one_block_is_short)
{
    static const uint16_t ciphers[][2] = {
        {IPSECVPN_ENCR_AES_CBC, 128}, {IPSECVPN_ENCR_3DES, 0}, {IPSECVPN_ENCR_DES, 0}};

    for (size_t c = 0; c < 3; c++) {
        pair f;
        uint8_t pkt[256];
        size_t io, il;
        size_t suite = suite_index(ciphers[c][0], ciphers[c][1], IPSECVPN_INTEG_HMAC_SHA1_96);
        const esp_suite *s = &esp_suites[suite];

        open_pair(&f, suite, IPSECVPN_ESP_MODE_TUNNEL, NULL);
        size_t fixed = 8 + f.in->iv_len + f.in->icv_len, block = f.in->block;
        for (size_t ct = 0; ct < block; ct++) {
            memset(pkt, 0, sizeof(pkt));
            ivpn_put32(pkt, f.p.spi);
            pkt[7] = 1;
            cr_assert_eq(ipsecvpn_esp_decrypt(f.in, pkt, fixed + ct, 0, 0, &io, &il, NULL),
                         IPSECVPN_ERR_ESP_SHORT, "%s ciphertext %zu", s->name, ct);
        }
        /* One whole block reaches the ICV check. */
        cr_assert_eq(ipsecvpn_esp_decrypt(f.in, pkt, fixed + block, 0, 0, &io, &il, NULL),
                     IPSECVPN_ERR_ESP_ICV, "%s", s->name);
        ipsecvpn_esp_stats st = esp_test_stats(f.in);
        cr_assert_eq(st.drop_short, block);
        cr_assert_eq(st.drop_malformed, 0);
        close_pair(&f);
    }
}

/* selector.c: in transport mode the inbound flow ignored the Mobility Header type that
 * ip_parse.c (tunnel mode, SPD) reads, so an MH-type selector never matched. */
Test(esp_review, transport_mode_mobility_header_type_selector)
{
    pair f;
    ipsecvpn_selector sel;
    uint8_t buf[512];
    size_t off, n, io, il;
    uint8_t nh;

    memset(&sel, 0, sizeof(sel));
    esp_test_prefix(&sel.local, 6, 2, 128); /* the inbound SA's local address */
    esp_test_prefix(&sel.remote, 6, 1, 128);
    sel.proto = 135;
    sel.local_port_min = 0;
    sel.local_port_max = 0xFFFF;
    sel.remote_port_min = 5; /* MH type 5 (Binding Update), the sender's "port" */
    sel.remote_port_max = 5;

    f.ctx = esp_test_ctx();
    esp_test_params(&f.p, &esp_suites[suite_index(IPSECVPN_ENCR_AES_GCM_16, 128,
                                                  IPSECVPN_INTEG_NONE)],
                    IPSECVPN_ESP_MODE_TRANSPORT, 6, 0, 0);
    f.p.selectors = &sel;
    f.p.selector_count = 1;
    cr_assert_eq(esp_test_pair(f.ctx, &f.p, &f.out, &f.in), IPSECVPN_OK);

    for (uint8_t type = 4; type <= 6; type++) {
        uint8_t mh[16] = {59, 1, type, 0};
        memcpy(buf + OFF, mh, sizeof(mh));
        cr_assert_eq(ipsecvpn_esp_encrypt_payload(f.out, buf, sizeof(buf), OFF, sizeof(mh), 135,
                                                  0, 0, &off, &n),
                     IPSECVPN_OK);
        cr_assert_eq(ipsecvpn_esp_decrypt(f.in, buf + off, n, 0, 0, &io, &il, &nh),
                     type == 5 ? IPSECVPN_OK : IPSECVPN_ERR_ESP_SELECTOR, "MH type %u", type);
    }
    /* Too short to hold the type: opaque, only "any" matches. */
    memcpy(buf + OFF, "\x3b\x01", 2);
    cr_assert_eq(ipsecvpn_esp_encrypt_payload(f.out, buf, sizeof(buf), OFF, 2, 135, 0, 0, &off, &n),
                 IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_esp_decrypt(f.in, buf + off, n, 0, 0, &io, &il, &nh),
                 IPSECVPN_ERR_ESP_SELECTOR);
    close_pair(&f);
}

/* esp.h promises: nothing is written before the ICV verified (AEAD restores its ciphertext). */
Test(esp_review, refused_before_icv_leaves_buffer_as_received)
{
    const size_t suites[] = {
        suite_index(IPSECVPN_ENCR_AES_CBC, 256, IPSECVPN_INTEG_HMAC_SHA2_256_128),
        suite_index(IPSECVPN_ENCR_AES_GCM_16, 128, IPSECVPN_INTEG_NONE),
        suite_index(IPSECVPN_ENCR_CHACHA20_POLY1305, 0, IPSECVPN_INTEG_NONE)};

    for (size_t k = 0; k < 3; k++) {
        pair f;
        uint8_t buf[512], pkt[512], copy[512];
        ipsecvpn_ip_addr a, b;
        size_t off, n, io, il;

        open_pair(&f, suites[k], IPSECVPN_ESP_MODE_TUNNEL, NULL);
        esp_test_addr(&a, 4, 10);
        esp_test_addr(&b, 4, 20);
        esp_test_udp_packet(buf + OFF, 120, &a, &b, 7, 9);
        cr_assert_eq(ipsecvpn_esp_encrypt(f.out, buf, sizeof(buf), OFF, 120, 0, 0, &off, &n),
                     IPSECVPN_OK);
        memcpy(pkt, buf + off, n);
        pkt[n - 1] ^= 1; /* wrong ICV */
        memcpy(copy, pkt, n);
        cr_assert_eq(ipsecvpn_esp_decrypt(f.in, pkt, n, 0, 0, &io, &il, NULL), IPSECVPN_ERR_ESP_ICV);
        cr_assert_eq(memcmp(pkt, copy, n), 0, "%s: ICV failure wrote to the buffer",
                     esp_suites[suites[k]].name);
        pkt[n - 1] ^= 1;
        cr_assert_eq(ipsecvpn_esp_decrypt(f.in, pkt, n, 0, 0, &io, &il, NULL), IPSECVPN_OK);
        memcpy(pkt, buf + off, n);
        memcpy(copy, pkt, n);
        cr_assert_eq(ipsecvpn_esp_decrypt(f.in, pkt, n, 0, 0, &io, &il, NULL),
                     IPSECVPN_ERR_ESP_REPLAY);
        cr_assert_eq(memcmp(pkt, copy, n), 0, "replay refusal wrote to the buffer");
        close_pair(&f);
    }
}
