/*
 * Sequence numbers (ESN wrap and inference, exhaustion without ESN), lifetimes (soft and
 * hard by bytes, packets and time), TFC padding, dummy packets, memory and room queries.
 */
#include <criterion/criterion.h>

#include "test_esp_util.h"

#define OFF 128

typedef struct pair {
    ipsecvpn_ctx *ctx;
    ipsecvpn_esp_sa_params p;
    ipsecvpn_esp_sa *out, *in;
} pair;

static void open_pair(pair *f, size_t suite, int esn, void (*edit)(ipsecvpn_esp_sa_params *))
{
    f->ctx = esp_test_ctx();
    esp_test_params(&f->p, &esp_suites[suite], IPSECVPN_ESP_MODE_TUNNEL, 4, esn, 1);
    if (edit)
        edit(&f->p);
    cr_assert_eq(esp_test_pair(f->ctx, &f->p, &f->out, &f->in), IPSECVPN_OK);
}

static void close_pair(pair *f)
{
    ipsecvpn_esp_sa_free(f->out);
    ipsecvpn_esp_sa_free(f->in);
    ipsecvpn_ctx_free(f->ctx);
}

/* Encrypts one 100-byte packet at time now; returns the encrypt result. */
static int send_one(pair *f, uint8_t *buf, size_t *off, size_t *n, uint64_t now, size_t len)
{
    ipsecvpn_ip_addr a, b;
    esp_test_addr(&a, 4, 10);
    esp_test_addr(&b, 4, 20);
    esp_test_udp_packet(buf + OFF, len, &a, &b, 7, 9);
    return ipsecvpn_esp_encrypt(f->out, buf, 2048, OFF, len, now, 0, off, n);
}

static int recv_one(pair *f, uint8_t *pkt, size_t n, uint64_t now)
{
    size_t io, il;
    return ipsecvpn_esp_decrypt(f->in, pkt, n, now, 0, &io, &il, NULL);
}

Test(esp_seq, esn_wraps_low_half_and_authenticates_high_half)
{
    pair f;
    uint8_t buf[2048], pkts[4][256];
    size_t off, n[4];

    for (size_t suite = 1; suite <= 25; suite += 24) { /* aes128-sha1 and aes128-gcm */
        open_pair(&f, suite, 1, NULL);
        ivpn_esp_sa_test_set_seq(f.out, 0xFFFFFFFEull);
        for (int i = 0; i < 3; i++) { /* 0xFFFFFFFF, 0x1_00000000, 0x1_00000001 */
            cr_assert_eq(send_one(&f, buf, &off, &n[i], 0, 100), IPSECVPN_OK);
            memcpy(pkts[i], buf + off, n[i]);
        }
        cr_assert_eq(ivpn_get32(pkts[0] + 4), 0xFFFFFFFFu);
        cr_assert_eq(ivpn_get32(pkts[1] + 4), 0u, "only the low half is sent");
        cr_assert_eq(esp_test_stats(f.out).seq, 0x100000001ull);
        ivpn_esp_sa_test_set_seq(f.in, 0xFFFFFFF0ull);
        /* Out of order across the wrap: the newer one first. */
        cr_assert_eq(recv_one(&f, pkts[1], n[1], 0), IPSECVPN_OK);
        cr_assert_eq(esp_test_stats(f.in).seq, 0x100000000ull);
        cr_assert_eq(recv_one(&f, pkts[0], n[0], 0), IPSECVPN_OK, "inferred in the previous subspace");
        cr_assert_eq(recv_one(&f, pkts[2], n[2], 0), IPSECVPN_OK);
        cr_assert_eq(recv_one(&f, pkts[0], n[0], 0), IPSECVPN_ERR_ESP_REPLAY);
        cr_assert_eq(esp_test_stats(f.in).seq, 0x100000001ull);
        close_pair(&f);

        /* A receiver that guesses the wrong high half fails the ICV (the high half is in it). */
        open_pair(&f, suite, 1, NULL);
        ivpn_esp_sa_test_set_seq(f.out, 0x500000000ull);
        cr_assert_eq(send_one(&f, buf, &off, &n[0], 0, 100), IPSECVPN_OK);
        cr_assert_eq(recv_one(&f, buf + off, n[0], 0), IPSECVPN_ERR_ESP_ICV);
        ivpn_esp_sa_test_set_seq(f.in, 0x500000000ull);
        cr_assert_eq(recv_one(&f, buf + off, n[0], 0), IPSECVPN_OK);
        close_pair(&f);
    }
}

Test(esp_seq, esn_inference_rfc4303_appendix_a)
{
    uint64_t bitmap[4] = {0};
    ivpn_replay r = {0, 64, 2, bitmap};

    cr_assert_eq(ivpn_replay_infer(&r, false, 77), 77);
    r.top = 0x300000100ull; /* case A: window inside one subspace */
    cr_assert_eq(ivpn_replay_infer(&r, true, 0x100), 0x300000100ull);
    cr_assert_eq(ivpn_replay_infer(&r, true, 0xC1), 0x3000000C1ull);   /* top - W + 1 */
    cr_assert_eq(ivpn_replay_infer(&r, true, 0xC0), 0x4000000C0ull);   /* left of window: next */
    cr_assert_eq(ivpn_replay_infer(&r, true, 0x5000), 0x300005000ull);
    r.top = 0x300000010ull; /* case B: window spans the wrap */
    cr_assert_eq(ivpn_replay_infer(&r, true, 0xFFFFFFF0u), 0x2FFFFFFF0ull);
    cr_assert_eq(ivpn_replay_infer(&r, true, 0x20), 0x300000020ull);
    r.top = 5; /* before the first wrap there is no previous subspace */
    cr_assert_eq(ivpn_replay_infer(&r, true, 0xFFFFFFF0u), 0xFFFFFFF0ull);
}

Test(esp_seq, exhaustion_without_esn_is_an_error_not_a_wrap)
{
    pair f;
    uint8_t buf[2048];
    size_t off, n;

    open_pair(&f, 27, 0, NULL);
    ivpn_esp_sa_test_set_seq(f.out, 0xFFFFFFFDull);
    cr_assert_eq(send_one(&f, buf, &off, &n, 0, 100), IPSECVPN_OK);
    cr_assert_eq(send_one(&f, buf, &off, &n, 0, 100), IPSECVPN_OK);
    cr_assert_eq(ivpn_get32(buf + off + 4), 0xFFFFFFFFu);
    cr_assert_eq(ipsecvpn_esp_sa_events(f.out), 0);
    cr_assert_eq(send_one(&f, buf, &off, &n, 0, 100), IPSECVPN_ERR_ESP_SEQ_EXHAUSTED);
    cr_assert_eq(send_one(&f, buf, &off, &n, 0, 100), IPSECVPN_ERR_ESP_SEQ_EXHAUSTED);
    ipsecvpn_esp_stats st = esp_test_stats(f.out);
    cr_assert_eq(st.seq, 0xFFFFFFFFull);
    cr_assert_eq(st.packets, 2);
    cr_assert_eq(st.drop_seq_exhausted, 2);
    cr_assert_eq(ipsecvpn_esp_sa_events(f.out), IPSECVPN_ESP_EVENT_SEQ_EXHAUSTED);
    cr_assert_eq(ipsecvpn_esp_sa_events(f.out), 0, "events are taken once");
    close_pair(&f);

    open_pair(&f, 27, 1, NULL); /* with ESN the same number is just the next one */
    ivpn_esp_sa_test_set_seq(f.out, 0xFFFFFFFFull);
    cr_assert_eq(send_one(&f, buf, &off, &n, 0, 100), IPSECVPN_OK);
    ivpn_esp_sa_test_set_seq(f.out, UINT64_MAX);
    cr_assert_eq(send_one(&f, buf, &off, &n, 0, 100), IPSECVPN_ERR_ESP_SEQ_EXHAUSTED);
    close_pair(&f);
}

static void limits_packets(ipsecvpn_esp_sa_params *p) { p->soft.packets = 3; p->hard.packets = 5; }
static void limits_bytes(ipsecvpn_esp_sa_params *p) { p->soft.bytes = 250; p->hard.bytes = 450; }
static void limits_time(ipsecvpn_esp_sa_params *p) { p->soft.seconds = 10; p->hard.seconds = 20; }

static void lifetime_case(void (*edit)(ipsecvpn_esp_sa_params *), const char *what)
{
    pair f;
    uint8_t buf[2048];
    size_t off, n;
    int soft_at = 0, hard_at = 0;

    open_pair(&f, 2, 0, edit);
    for (int i = 1; i <= 6; i++) {
        int rc_out = send_one(&f, buf, &off, &n, 0, 100);
        if (rc_out == IPSECVPN_ERR_ESP_EXPIRED) {
            hard_at = i;
            break;
        }
        cr_assert_eq(rc_out, IPSECVPN_OK, "%s packet %d", what, i);
        cr_assert_eq(recv_one(&f, buf + off, n, 0), IPSECVPN_OK, "%s packet %d", what, i);
        uint32_t ev = ipsecvpn_esp_sa_events(f.out);
        cr_assert_eq(ev, ipsecvpn_esp_sa_events(f.in), "%s: both directions alike", what);
        if (ev & IPSECVPN_ESP_EVENT_SOFT_EXPIRED)
            soft_at = i;
    }
    /* 100-byte packets: soft after 3 (3 packets / 300 >= 250 bytes), hard after 5 (500 >= 450). */
    cr_assert_eq(soft_at, 3, "%s: soft event at packet 3", what);
    cr_assert_eq(hard_at, 6, "%s: sixth packet refused", what);
    cr_assert_eq(ipsecvpn_esp_sa_state_at(f.out, 0), IPSECVPN_ESP_SA_HARD_EXPIRED);
    send_one(&f, buf, &off, &n, 0, 100);
    cr_assert_eq(esp_test_stats(f.out).drop_expired, 2);
    close_pair(&f);
}

Test(esp_lifetime, soft_and_hard_by_packets_and_bytes)
{
    lifetime_case(limits_packets, "packets");
    lifetime_case(limits_bytes, "bytes");
}

Test(esp_lifetime, soft_and_hard_by_time)
{
    pair f;
    uint8_t buf[2048], pkt[256];
    size_t off, n;

    open_pair(&f, 25, 0, limits_time);
    cr_assert_eq(ipsecvpn_esp_sa_next_expiry(f.out), 10000);
    cr_assert_eq(send_one(&f, buf, &off, &n, 9999, 100), IPSECVPN_OK);
    memcpy(pkt, buf + off, n);
    cr_assert_eq(ipsecvpn_esp_sa_events(f.out), 0);
    cr_assert_eq(send_one(&f, buf, &off, &n, 10000, 100), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_esp_sa_events(f.out), IPSECVPN_ESP_EVENT_SOFT_EXPIRED);
    cr_assert_eq(ipsecvpn_esp_sa_next_expiry(f.out), 20000);
    cr_assert_eq(ipsecvpn_esp_sa_state_at(f.in, 15000), IPSECVPN_ESP_SA_SOFT_EXPIRED);
    cr_assert_eq(recv_one(&f, pkt, n, 15000), IPSECVPN_OK, "soft-expired SA still works");
    cr_assert_eq(send_one(&f, buf, &off, &n, 20000, 100), IPSECVPN_ERR_ESP_EXPIRED);
    cr_assert_eq(ipsecvpn_esp_sa_events(f.out), IPSECVPN_ESP_EVENT_HARD_EXPIRED);
    cr_assert_eq(recv_one(&f, buf + off, n, 20001), IPSECVPN_ERR_ESP_EXPIRED);
    cr_assert_eq(ipsecvpn_esp_sa_next_expiry(f.out), UINT64_MAX);
    cr_assert_eq(esp_test_stats(f.out).packets, 2);
    close_pair(&f);
}

static void tfc_300(ipsecvpn_esp_sa_params *p) { p->tfc_pad = 300; }

Test(esp_features, tfc_padding_hides_length_and_is_stripped)
{
    pair f;
    uint8_t buf[2048], orig[128];
    size_t off, n, io, il, head, tail;

    open_pair(&f, 26, 0, tfc_300);
    cr_assert_eq(ipsecvpn_esp_sa_overhead(f.out, 0, &head, &tail), 0);
    cr_assert_eq(tail, 300 + 3 + 2 + 16);
    cr_assert_eq(send_one(&f, buf, &off, &n, 0, 60), IPSECVPN_OK);
    memcpy(orig, buf + OFF, 60);
    cr_assert_eq(n, 8 + 8 + 300 + 2 + 2 + 16, "60-byte packet padded to 300 + trailer");
    cr_assert_eq(ipsecvpn_esp_decrypt(f.in, buf + off, n, 0, 0, &io, &il, NULL), 0);
    cr_assert_eq(il, 60);
    (void)orig;
    cr_assert_eq(send_one(&f, buf, &off, &n, 0, 400), IPSECVPN_OK);
    cr_assert_eq(n, 8 + 8 + 400 + 2 + 2 + 16, "longer packets get no TFC padding");
    close_pair(&f);
}

Test(esp_features, dummy_packets_dropped_but_counted)
{
    pair f;
    uint8_t buf[2048];
    size_t off, n, io, il;
    uint8_t nh = 0;

    open_pair(&f, 1, 0, NULL);
    memset(buf + OFF, 0x5A, 40);
    cr_assert_eq(ipsecvpn_esp_encrypt_payload(f.out, buf, sizeof(buf), OFF, 40, 59, 0, 0, &off, &n), 0);
    cr_assert_eq(ipsecvpn_esp_decrypt(f.in, buf + off, n, 0, 0, &io, &il, &nh), IPSECVPN_ERR_ESP_DUMMY);
    ipsecvpn_esp_stats st = esp_test_stats(f.in);
    cr_assert_eq(st.dummy, 1);
    cr_assert_eq(st.seq, 1, "a dummy consumes its sequence number");
    cr_assert_eq(ipsecvpn_esp_decrypt(f.in, buf + off, n, 0, 0, &io, &il, &nh), IPSECVPN_ERR_ESP_REPLAY);
    /* An inbound SA does not encrypt. */
    cr_assert_eq(ipsecvpn_esp_encrypt_payload(f.in, buf, sizeof(buf), OFF, 40, 59, 0, 0, &off, &n),
                 IPSECVPN_ERR_STATE);
    close_pair(&f);
}

Test(esp_features, memory_and_headroom_bounds)
{
    ipsecvpn_ctx *ctx = esp_test_ctx();
    ipsecvpn_esp_sa_params p;
    ipsecvpn_esp_sa *out, *in;

    for (size_t s = 0; s < ESP_SUITE_COUNT; s++) {
        for (int fam = 4; fam <= 6; fam += 2) {
            size_t head, tail;
            esp_test_params(&p, &esp_suites[s], IPSECVPN_ESP_MODE_TUNNEL, fam, 1, 1);
            p.replay_window = 4096;
            cr_assert_eq(esp_test_pair(ctx, &p, &out, &in), 0);
            cr_assert_eq(ipsecvpn_esp_sa_overhead(out, IPSECVPN_ESP_FLAG_FULL, &head, &tail), 0);
            cr_assert_leq(head, (size_t)IPSECVPN_ESP_HEADROOM);
            cr_assert_leq(tail, (size_t)IPSECVPN_ESP_TAILROOM);
            cr_assert_geq(ipsecvpn_esp_sa_memory(in), ipsecvpn_esp_sa_memory(out) + 4096 / 8);
            cr_assert_eq(ipsecvpn_esp_sa_spi(in), p.spi);
            ipsecvpn_esp_sa_free(out);
            ipsecvpn_esp_sa_free(in);
        }
    }
    ipsecvpn_esp_stats st = {0};
    st.version = 99;
    esp_test_params(&p, &esp_suites[0], 0, 4, 0, 0);
    cr_assert_eq(esp_test_pair(ctx, &p, &out, &in), 0);
    cr_assert_eq(ipsecvpn_esp_sa_get_stats(out, &st), IPSECVPN_ERR_VERSION);
    cr_assert_eq(ipsecvpn_esp_sa_get_stats(NULL, &st), IPSECVPN_ERR_INVALID_ARG);
    ipsecvpn_esp_sa_free(out);
    ipsecvpn_esp_sa_free(in);
    ipsecvpn_esp_sa_free(NULL);
    ipsecvpn_ctx_free(ctx);
}
