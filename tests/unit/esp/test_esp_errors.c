/*
 * Every bad packet gets its own error and leaves the SA as it was: short, unknown SPI,
 * flipped ICV / ciphertext bit, bad padding, replay, left of the window, selector mismatch,
 * malformed inner packet. Also: window sizes, refused parameters, room checks, direction.
 */
#include <criterion/criterion.h>

#include "test_esp_util.h"

#define OFF 128

typedef struct fixture {
    ipsecvpn_ctx *ctx;
    ipsecvpn_esp_sa_params p;
    ipsecvpn_esp_sa *out, *in;
} fixture;

static void setup(fixture *f, size_t suite, uint32_t window, int esn)
{
    f->ctx = esp_test_ctx();
    cr_assert_not_null(f->ctx);
    esp_test_params(&f->p, &esp_suites[suite], IPSECVPN_ESP_MODE_TUNNEL, 4, esn, 0);
    f->p.replay_window = window;
    cr_assert_eq(esp_test_pair(f->ctx, &f->p, &f->out, &f->in), IPSECVPN_OK);
}

static void teardown(fixture *f)
{
    ipsecvpn_esp_sa_free(f->out);
    ipsecvpn_esp_sa_free(f->in);
    ipsecvpn_ctx_free(f->ctx);
}

/* One tunnel packet from 10.0.0.src to 10.0.0.20 through f->out into buf; returns its length. */
static size_t make_packet(fixture *f, uint8_t *buf, size_t size, uint8_t src, size_t *off)
{
    ipsecvpn_ip_addr a, b;
    size_t n;

    esp_test_addr(&a, 4, src);
    esp_test_addr(&b, 4, 20);
    esp_test_udp_packet(buf + OFF, 100, &a, &b, 1234, 53);
    cr_assert_eq(ipsecvpn_esp_encrypt(f->out, buf, size, OFF, 100, 0, 0, off, &n), IPSECVPN_OK);
    return n;
}

static int decrypt_copy(fixture *f, const uint8_t *pkt, size_t len)
{
    uint8_t tmp[2048];
    size_t io, il;
    memcpy(tmp, pkt, len);
    return ipsecvpn_esp_decrypt(f->in, tmp, len, 0, 0, &io, &il, NULL);
}

/* The parts of the inbound SA's state a bad packet must not touch. */
typedef struct snapshot {
    uint64_t packets, bytes, seq, top;
    uint64_t bitmap[4];
} snapshot;

static snapshot snap(const ipsecvpn_esp_sa *sa)
{
    snapshot s = {0};
    ipsecvpn_esp_stats st = esp_test_stats(sa);
    s.packets = st.packets;
    s.bytes = st.bytes;
    s.seq = st.seq;
    s.top = sa->replay.top;
    memcpy(s.bitmap, sa->replay.bitmap, sizeof(uint64_t) * (sa->replay.words < 4 ? sa->replay.words : 4));
    return s;
}

static void assert_unchanged(const ipsecvpn_esp_sa *sa, const snapshot *before, const char *what)
{
    snapshot now = snap(sa);
    cr_assert(memcmp(&now, before, sizeof(now)) == 0, "%s changed the SA state", what);
}

static const size_t cases_suites[] = {1, 12, 22, 25, 27}; /* sha1, sha384, 3des, gcm, chacha */

Test(esp_errors, each_bad_packet_own_code_state_untouched)
{
    for (size_t k = 0; k < sizeof(cases_suites) / sizeof(cases_suites[0]); k++) {
        fixture f;
        uint8_t buf[2048], good[2048];
        size_t off, n, io, il;
        const char *name = esp_suites[cases_suites[k]].name;

        setup(&f, cases_suites[k], 64, 0);
        /* Accept two packets first so the window holds something. */
        for (int i = 0; i < 2; i++) {
            n = make_packet(&f, buf, sizeof(buf), 10, &off);
            cr_assert_eq(decrypt_copy(&f, buf + off, n), IPSECVPN_OK, "%s", name);
        }
        n = make_packet(&f, buf, sizeof(buf), 10, &off); /* seq 3, not yet received */
        memcpy(good, buf + off, n);
        snapshot before = snap(f.in);

        cr_assert_eq(decrypt_copy(&f, good, 7), IPSECVPN_ERR_ESP_SHORT, "%s", name);
        cr_assert_eq(decrypt_copy(&f, good, 8 + f.in->iv_len + f.in->icv_len), IPSECVPN_ERR_ESP_SHORT);
        assert_unchanged(f.in, &before, "short");

        memcpy(buf, good, n);
        buf[3] ^= 0x01;
        cr_assert_eq(decrypt_copy(&f, buf, n), IPSECVPN_ERR_ESP_SPI, "%s", name);
        assert_unchanged(f.in, &before, "bad SPI");

        memcpy(buf, good, n);
        buf[n - 1] ^= 0x80;
        cr_assert_eq(decrypt_copy(&f, buf, n), IPSECVPN_ERR_ESP_ICV, "%s", name);
        memcpy(buf, good, n);
        buf[8 + f.in->iv_len + 3] ^= 0x04;
        cr_assert_eq(decrypt_copy(&f, buf, n), IPSECVPN_ERR_ESP_ICV, "%s ciphertext bit", name);
        memcpy(buf, good, n);
        buf[6] ^= 0x40; /* sequence number: authenticated too */
        cr_assert_eq(decrypt_copy(&f, buf, n), IPSECVPN_ERR_ESP_ICV, "%s sequence bit", name);
        assert_unchanged(f.in, &before, "bad ICV");

        /* Replay of an accepted packet (seq 2). */
        memcpy(buf, good, n);
        buf[7] = 2;
        cr_assert_eq(decrypt_copy(&f, buf, n), IPSECVPN_ERR_ESP_REPLAY, "%s", name);
        assert_unchanged(f.in, &before, "replay");

        ipsecvpn_esp_stats st = esp_test_stats(f.in);
        cr_assert_eq(st.drop_short, 2);
        cr_assert_eq(st.drop_spi, 1);
        cr_assert_eq(st.drop_icv, 3);
        cr_assert_eq(st.drop_replay, 1);

        /* The untouched packet still goes through, exactly once. */
        cr_assert_eq(decrypt_copy(&f, good, n), IPSECVPN_OK, "%s", name);
        cr_assert_eq(decrypt_copy(&f, good, n), IPSECVPN_ERR_ESP_REPLAY, "%s", name);
        cr_assert_eq(esp_test_stats(f.in).packets, 3);
        (void)io; (void)il;
        teardown(&f);
    }
}

/* Builds a CBC+HMAC packet by hand with the given trailer, to reach the padding check. */
static size_t forge_cbc(fixture *f, uint8_t *pkt, const uint8_t *payload, size_t plen,
                        const uint8_t *trailer, size_t tlen, uint32_t seq)
{
    const ivpn_cipher_info *ci = ivpn_cipher_lookup(f->p.encr, f->p.encr_key_bits);
    const ivpn_integ_info *ii = ivpn_integ_lookup(f->p.integ);
    ivpn_cipher *c;
    ivpn_integ *m;
    size_t iv = ci->iv_len, ct = plen + tlen;

    cr_assert_eq(ct % ci->block_size, 0, "forged length must be whole blocks");
    cr_assert_eq(ivpn_cipher_new(NULL, ci, f->p.encr_key, f->p.encr_key_len, &c), 0);
    cr_assert_eq(ivpn_integ_new(NULL, ii, f->p.integ_key, f->p.integ_key_len, &m), 0);
    ivpn_put32(pkt, f->p.spi);
    ivpn_put32(pkt + 4, seq);
    memset(pkt + 8, 0xA5, iv);
    memcpy(pkt + 8 + iv, payload, plen);
    memcpy(pkt + 8 + iv + plen, trailer, tlen);
    cr_assert_eq(ivpn_cipher_cbc_encrypt(c, pkt + 8, pkt + 8 + iv, pkt + 8 + iv, ct), 0);
    cr_assert_eq(ivpn_integ_compute(m, pkt, 8 + iv + ct, NULL, 0, pkt + 8 + iv + ct), 0);
    ivpn_cipher_free(NULL, c);
    ivpn_integ_free(NULL, m);
    return 8 + iv + ct + ii->icv_len;
}

Test(esp_errors, bad_padding_after_valid_icv)
{
    fixture f;
    uint8_t inner[64], pkt[256];
    ipsecvpn_ip_addr a, b;
    size_t n;

    setup(&f, 2 /* aes128-sha256 */, 64, 0);
    esp_test_addr(&a, 4, 10);
    esp_test_addr(&b, 4, 20);
    esp_test_udp_packet(inner, 60, &a, &b, 1, 2);
    snapshot before = snap(f.in);
    /* 60 + 4 = 64: pad bytes 1,2 replaced by 1,3. */
    static const uint8_t bad_bytes[] = {1, 3, 2, 4};
    n = forge_cbc(&f, pkt, inner, 60, bad_bytes, 4, 1);
    cr_assert_eq(decrypt_copy(&f, pkt, n), IPSECVPN_ERR_ESP_PADDING);
    /* Pad length larger than the payload. */
    static const uint8_t too_long[] = {1, 2, 200, 4};
    n = forge_cbc(&f, pkt, inner, 60, too_long, 4, 1);
    cr_assert_eq(decrypt_copy(&f, pkt, n), IPSECVPN_ERR_ESP_PADDING);
    assert_unchanged(f.in, &before, "bad padding");
    cr_assert_eq(esp_test_stats(f.in).drop_padding, 2);
    /* The same sequence number with correct padding is then accepted. */
    static const uint8_t ok[] = {1, 2, 2, 4};
    n = forge_cbc(&f, pkt, inner, 60, ok, 4, 1);
    cr_assert_eq(decrypt_copy(&f, pkt, n), IPSECVPN_OK);
    /* Not an IP packet inside a tunnel-mode SA: malformed, state untouched. */
    before = snap(f.in);
    static const uint8_t nh_tcp[] = {1, 2, 2, 6};
    n = forge_cbc(&f, pkt, inner, 60, nh_tcp, 4, 2);
    cr_assert_eq(decrypt_copy(&f, pkt, n), IPSECVPN_ERR_ESP_MALFORMED);
    inner[0] = 0x75; /* version 7 */
    n = forge_cbc(&f, pkt, inner, 60, ok, 4, 2);
    cr_assert_eq(decrypt_copy(&f, pkt, n), IPSECVPN_ERR_ESP_MALFORMED);
    assert_unchanged(f.in, &before, "malformed inner");
    teardown(&f);
}

Test(esp_errors, selector_mismatch)
{
    fixture f;
    uint8_t buf[2048];
    size_t off, n;
    ipsecvpn_selector sel = {0};

    f.ctx = esp_test_ctx();
    esp_test_params(&f.p, &esp_suites[25], IPSECVPN_ESP_MODE_TUNNEL, 4, 0, 0);
    /* Inbound: remote 192.0.2.8/29 (covers .10), local 192.0.2.20/32, UDP to port 53 only. */
    esp_test_prefix(&sel.remote, 4, 8, 29);
    esp_test_prefix(&sel.local, 4, 20, 32);
    sel.proto = 17;
    sel.local_port_min = sel.local_port_max = 53;
    sel.remote_port_max = 0xFFFF; /* any remote port */
    cr_assert_eq(ipsecvpn_esp_sa_new(f.ctx, &f.p, 0, &f.out), 0);
    ipsecvpn_esp_sa_params q = f.p;
    q.direction = IPSECVPN_ESP_DIR_IN;
    q.selectors = &sel;
    q.selector_count = 1;
    cr_assert_eq(ipsecvpn_esp_sa_new(f.ctx, &q, 0, &f.in), 0);

    n = make_packet(&f, buf, sizeof(buf), 10, &off); /* seq 1, source .10: inside */
    cr_assert_eq(decrypt_copy(&f, buf + off, n), IPSECVPN_OK);
    snapshot before = snap(f.in);
    n = make_packet(&f, buf, sizeof(buf), 16, &off); /* seq 2, source .16: outside /29 */
    cr_assert_eq(decrypt_copy(&f, buf + off, n), IPSECVPN_ERR_ESP_SELECTOR);
    assert_unchanged(f.in, &before, "selector mismatch");
    cr_assert_eq(esp_test_stats(f.in).drop_selector, 1);
    /* Same sequence number 2 again, now from an allowed source: accepted (window untouched). */
    ivpn_esp_sa_test_set_seq(f.out, 1);
    n = make_packet(&f, buf, sizeof(buf), 15, &off);
    cr_assert_eq(decrypt_copy(&f, buf + off, n), IPSECVPN_OK);
    /* Route-based 0.0.0.0/0 selector accepts anything. */
    ipsecvpn_esp_sa_free(f.in);
    memset(&sel, 0, sizeof(sel));
    sel.local.family = sel.remote.family = 4;
    sel.local_port_max = sel.remote_port_max = 65535;
    cr_assert_eq(ipsecvpn_esp_sa_new(f.ctx, &q, 0, &f.in), 0);
    n = make_packet(&f, buf, sizeof(buf), 99, &off);
    cr_assert_eq(decrypt_copy(&f, buf + off, n), IPSECVPN_OK);
    teardown(&f);
}

static void window_case(uint32_t window)
{
    fixture f;
    uint8_t buf[2048], pkts[4][256];
    size_t off, n[4];
    uint64_t seqs[4] = {window + 100, 101, 100, 100 + window / 2};

    setup(&f, 26, window, 0);
    for (int i = 0; i < 4; i++) {
        ivpn_esp_sa_test_set_seq(f.out, seqs[i] - 1);
        n[i] = make_packet(&f, buf, sizeof(buf), 10, &off);
        memcpy(pkts[i], buf + off, n[i]);
    }
    cr_assert_eq(decrypt_copy(&f, pkts[0], n[0]), IPSECVPN_OK);           /* top = W + 100 */
    cr_assert_eq(decrypt_copy(&f, pkts[1], n[1]), IPSECVPN_OK, "W=%u: top-W+1 is inside", window);
    cr_assert_eq(decrypt_copy(&f, pkts[2], n[2]), IPSECVPN_ERR_ESP_REPLAY, "W=%u: top-W is outside", window);
    cr_assert_eq(decrypt_copy(&f, pkts[3], n[3]), IPSECVPN_OK, "W=%u", window);
    cr_assert_eq(decrypt_copy(&f, pkts[3], n[3]), IPSECVPN_ERR_ESP_REPLAY, "W=%u", window);
    cr_assert_eq(decrypt_copy(&f, pkts[1], n[1]), IPSECVPN_ERR_ESP_REPLAY);
    cr_assert_eq(esp_test_stats(f.in).drop_replay, 3);
    teardown(&f);
}

Test(esp_errors, window_sizes) { window_case(32); window_case(64); window_case(1000); window_case(4096); window_case(65536); }

Test(esp_errors, window_refused_sizes_and_off)
{
    ipsecvpn_ctx *ctx = esp_test_ctx();
    ipsecvpn_esp_sa_params p;
    ipsecvpn_esp_sa *sa = NULL;
    const uint32_t bad[] = {1, 16, 31, 65537, 1u << 30};

    esp_test_params(&p, &esp_suites[25], 0, 4, 0, 0);
    p.direction = IPSECVPN_ESP_DIR_IN;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        p.replay_window = bad[i];
        cr_assert_eq(ipsecvpn_esp_sa_new(ctx, &p, 0, &sa), IPSECVPN_ERR_INVALID_ARG, "%u", bad[i]);
        cr_assert_null(sa);
    }
    ipsecvpn_ctx_free(ctx);

    /* Window 0: no replay protection, a replayed packet is accepted. */
    fixture f;
    uint8_t buf[2048];
    size_t off, n;
    setup(&f, 25, 0, 0);
    n = make_packet(&f, buf, sizeof(buf), 10, &off);
    cr_assert_eq(decrypt_copy(&f, buf + off, n), IPSECVPN_OK);
    cr_assert_eq(decrypt_copy(&f, buf + off, n), IPSECVPN_OK);
    cr_assert_eq(esp_test_stats(f.in).packets, 2);
    teardown(&f);
}

Test(esp_errors, refused_parameters)
{
    ipsecvpn_ctx *ctx = esp_test_ctx();
    ipsecvpn_esp_sa_params p, q;
    ipsecvpn_esp_sa *sa = NULL;

    esp_test_params(&p, &esp_suites[2], 0, 4, 0, 0);
    cr_assert_eq(ipsecvpn_esp_sa_new(ctx, &p, 0, &sa), IPSECVPN_OK);
    ipsecvpn_esp_sa_free(sa);
#define REFUSE(edit, code) do { q = p; edit; sa = (void *)1; \
        cr_assert_eq(ipsecvpn_esp_sa_new(ctx, &q, 0, &sa), code, #edit); cr_assert_null(sa); } while (0)
    REFUSE(q.version = 2, IPSECVPN_ERR_VERSION);
    REFUSE(q.spi = 0, IPSECVPN_ERR_INVALID_ARG);
    REFUSE(q.spi = 255, IPSECVPN_ERR_INVALID_ARG);
    REFUSE(q.direction = 7, IPSECVPN_ERR_INVALID_ARG);
    REFUSE(q.mode = 3, IPSECVPN_ERR_INVALID_ARG);
    REFUSE(q.encr = 99, IPSECVPN_ERR_CRYPTO_ALG);
    REFUSE(q.encr_key_bits = 100, IPSECVPN_ERR_CRYPTO_ALG);
    REFUSE(q.encr_key_len = 15, IPSECVPN_ERR_CRYPTO_KEY_LEN);
    REFUSE(q.integ_key_len = 16, IPSECVPN_ERR_CRYPTO_KEY_LEN);
    REFUSE(q.integ = IPSECVPN_INTEG_NONE, IPSECVPN_ERR_CRYPTO_ALG);
    REFUSE(q.remote_addr.family = 6, IPSECVPN_ERR_INVALID_ARG);
    REFUSE(q.local_addr.family = 5, IPSECVPN_ERR_INVALID_ARG);
    REFUSE(q.local_port = 4500, IPSECVPN_ERR_INVALID_ARG);
    REFUSE((q.mode = IPSECVPN_ESP_MODE_TRANSPORT, q.tfc_pad = 100), IPSECVPN_ERR_INVALID_ARG);
    REFUSE((q.soft.packets = 10, q.hard.packets = 5), IPSECVPN_ERR_INVALID_ARG);
    REFUSE(q.selector_count = 1, IPSECVPN_ERR_INVALID_ARG);
    ipsecvpn_selector bad = {0};
    bad.local.family = 4; bad.remote.family = 4; bad.local.prefix_len = 33;
    REFUSE((q.selectors = &bad, q.selector_count = 1), IPSECVPN_ERR_INVALID_ARG);
    REFUSE(q.selector_count = IPSECVPN_ESP_MAX_SELECTORS + 1, IPSECVPN_ERR_INVALID_ARG);
    /* AEAD with an integrity algorithm. */
    esp_test_params(&p, &esp_suites[25], 0, 4, 0, 0);
    REFUSE((q.integ = IPSECVPN_INTEG_HMAC_SHA1_96, q.integ_key = esp_test_ikey, q.integ_key_len = 20),
           IPSECVPN_ERR_INVALID_ARG);
    REFUSE(q.encr_key_len = 16, IPSECVPN_ERR_CRYPTO_KEY_LEN); /* salt missing */
#undef REFUSE
    cr_assert_eq(ipsecvpn_esp_sa_new(ctx, NULL, 0, &sa), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_esp_sa_new(ctx, &p, 0, NULL), IPSECVPN_ERR_INVALID_ARG);
    ipsecvpn_ctx_free(ctx);
}

Test(esp_errors, room_direction_and_arguments)
{
    fixture f;
    uint8_t buf[512];
    size_t off, n, head, tail;
    ipsecvpn_ip_addr a, b;

    setup(&f, 4 /* aes128-sha512: largest ICV */, 64, 0);
    esp_test_addr(&a, 4, 10);
    esp_test_addr(&b, 4, 20);
    cr_assert_eq(ipsecvpn_esp_sa_overhead(f.out, IPSECVPN_ESP_FLAG_FULL, &head, &tail), 0);
    cr_assert_eq(head, 20 + 8 + 16);
    cr_assert_eq(tail, 15 + 2 + 32);
    /* Not enough headroom for FULL, not enough tailroom: refused, sequence unchanged. */
    esp_test_udp_packet(buf + 20, 100, &a, &b, 1, 2);
    cr_assert_eq(ipsecvpn_esp_encrypt(f.out, buf, sizeof(buf), 20, 100, 0, IPSECVPN_ESP_FLAG_FULL, &off, &n),
                 IPSECVPN_ERR_ESP_ROOM);
    esp_test_udp_packet(buf + 100, 100, &a, &b, 1, 2);
    cr_assert_eq(ipsecvpn_esp_encrypt(f.out, buf, 100 + 100 + 20, 100, 100, 0, 0, &off, &n),
                 IPSECVPN_ERR_ESP_ROOM);
    cr_assert_eq(esp_test_stats(f.out).seq, 0);
    cr_assert_eq(ipsecvpn_esp_encrypt(f.out, buf, sizeof(buf), 500, 100, 0, 0, &off, &n),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_esp_encrypt(f.in, buf, sizeof(buf), 100, 100, 0, 0, &off, &n),
                 IPSECVPN_ERR_STATE);
    cr_assert_eq(ipsecvpn_esp_decrypt(f.out, buf, 100, 0, 0, &off, &n, NULL), IPSECVPN_ERR_STATE);
    buf[100] = 0x30; /* not IPv4/IPv6 */
    cr_assert_eq(ipsecvpn_esp_encrypt(f.out, buf, sizeof(buf), 100, 100, 0, 0, &off, &n),
                 IPSECVPN_ERR_ESP_MALFORMED);
    cr_assert_eq(esp_test_stats(f.out).seq, 0);
    cr_assert_eq(esp_test_stats(f.out).packets, 0);
    teardown(&f);
}

Test(esp_errors, full_form_outer_header_checks)
{
    fixture f;
    uint8_t buf[2048];
    size_t off, n, io, il;
    ipsecvpn_ip_addr a, b;

    setup(&f, 26, 64, 0);
    esp_test_addr(&a, 4, 10);
    esp_test_addr(&b, 4, 20);
    esp_test_udp_packet(buf + OFF, 80, &a, &b, 1, 2);
    cr_assert_eq(ipsecvpn_esp_encrypt(f.out, buf, sizeof(buf), OFF, 80, 0, IPSECVPN_ESP_FLAG_FULL, &off, &n), 0);
    uint8_t *pkt = buf + off;
    pkt[9] = 6; /* protocol TCP instead of ESP */
    cr_assert_eq(ipsecvpn_esp_decrypt(f.in, pkt, n, 0, IPSECVPN_ESP_FLAG_FULL, &io, &il, NULL),
                 IPSECVPN_ERR_ESP_MALFORMED);
    pkt[9] = 50;
    cr_assert_eq(ipsecvpn_esp_decrypt(f.in, pkt, n - 1, 0, IPSECVPN_ESP_FLAG_FULL, &io, &il, NULL),
                 IPSECVPN_ERR_ESP_SHORT); /* shorter than the IPv4 total length */
    cr_assert_eq(ipsecvpn_esp_decrypt(f.in, pkt, 10, 0, IPSECVPN_ESP_FLAG_FULL, &io, &il, NULL),
                 IPSECVPN_ERR_ESP_SHORT);
    cr_assert_eq(esp_test_stats(f.in).packets, 0);
    cr_assert_eq(ipsecvpn_esp_decrypt(f.in, pkt, n, 0, IPSECVPN_ESP_FLAG_FULL, &io, &il, NULL), 0);
    cr_assert_eq(il, 80);
    teardown(&f);
}
