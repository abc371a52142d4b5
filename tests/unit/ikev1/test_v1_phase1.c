/*
 * IKEv1 phase 1 (RFC 2409 §5) between two engines in memory (tests/unit/ike/harness.c):
 *   main mode:   HDR, SA --> ; <-- HDR, SA ; HDR, KE, Ni, NAT-D --> ; <-- HDR, KE, Nr, NAT-D ;
 *                HDR*, IDii, HASH_I --> ; <-- HDR*, IDir, HASH_R
 *   aggressive:  HDR, SA, KE, Ni, IDii --> ; <-- HDR, SA, KE, Nr, IDir, HASH_R, NAT-D ;
 *                HDR*, HASH_I, NAT-D -->
 * then quick mode (v1-phase2) and ESP both ways. Failures: wrong PSK, no common proposal,
 * lost and duplicated phase-1 messages.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ike/harness.h"
#include "ike/v1/v1_internal.h"

/* Phase-1 messages by number, recognised from the header: exchange type, E flag and
 * whether the responder cookie is set; counted in the order they are offered to the wire. */
typedef struct p1_log {
    int n_main[2];          /* main mode datagrams sent by side 0 / 1 */
    int drop_index;         /* drop the main-mode datagram with this ordinal (1 = MM1), once */
    bool dropped;
    int dup_index;          /* deliver this main-mode datagram twice */
    int seen;               /* main-mode datagrams seen so far (both sides) */
    int info_sent[2];
    h_dgram b_main[8];      /* the responder's main-mode datagrams, in order */
} p1_log;

static p1_log lg;

static const uint8_t *isakmp_of(const h_dgram *d, size_t *len)
{
    size_t off = d->dst.port != IPSECVPN_IKE_PORT ? 4 : 0;
    if (d->len < off + IVPN_ISAKMP_HEADER_LEN)
        return NULL;
    if (off && (d->data[0] | d->data[1] | d->data[2] | d->data[3]))
        return NULL; /* ESP */
    *len = d->len - off;
    return d->data + off;
}

static bool count_filter(h_net *n, const h_dgram *d, bool *dup)
{
    (void)n;
    size_t len;
    const uint8_t *m = isakmp_of(d, &len);
    if (!m)
        return true;
    int from = 1 - d->to;
    if (m[18] == IVPN_ISAKMP_EX_INFO)
        lg.info_sent[from]++;
    if (m[18] != IVPN_ISAKMP_EX_MAIN)
        return true;
    if (from == 1 && lg.n_main[1] < 8)
        lg.b_main[lg.n_main[1]] = *d;
    lg.n_main[from]++;
    lg.seen++;
    if (lg.seen == lg.drop_index && !lg.dropped) {
        lg.dropped = true;
        return false;
    }
    if (lg.seen == lg.dup_index)
        *dup = true;
    return true;
}

static void setup(h_net *n, const char *mode, const char *encr, const char *integ,
                  const char *dh)
{
    const char *f[] = { "ike.version", "ike.mode", "ike.encryption", "ike.integrity",
                        "ike.dh_group" };
    const char *v[] = { "ikev1", mode, encr, integ, dh };
    h_init(n, f, v, 5);
    memset(&lg, 0, sizeof(lg));
    n->filter = count_filter;
}

static int count_events(const h_side *s, int type)
{
    int k = 0;
    for (size_t i = 0; i < s->n_events; i++)
        k += s->events[i] == type;
    return k;
}

/* A protects an ICMP echo, B reads it back. */
static void ping(h_net *n, int from, const char *src, const char *dst)
{
    h_side *a = &n->side[from], *b = &n->side[1 - from];
    uint8_t buf[2048], orig[128];
    size_t off = 128;
    size_t len = h_icmp4(buf, off, src, dst, 9);
    memcpy(orig, buf + off, len);
    ipsecvpn_endpoint l, r;
    size_t oo, ol;
    cr_assert_eq(ipsecvpn_engine_protect(a->e, buf, sizeof(buf), off, len, n->now, &l, &r, &oo,
                                         &ol),
                 IPSECVPN_OK);
    ipsecvpn_read_result res;
    cr_assert_eq(ipsecvpn_engine_read(b->e, &r, &l, buf + oo, ol, n->now, &res), IPSECVPN_OK);
    cr_assert_eq(res.kind, IPSECVPN_READ_PLAINTEXT);
    cr_assert_eq(res.len, len);
    cr_assert_eq(memcmp(buf + oo + res.offset, orig, len), 0);
}

/* Both ISAKMP SAs up with the same keys; tunnel up when quick mode is there. */
static void check_up(h_net *n)
{
    h_side *a = &n->side[0], *b = &n->side[1];
    cr_assert(h_has_event(a, IPSECVPN_EVENT_IKE_UP), "A: no IKE_UP");
    cr_assert(h_has_event(b, IPSECVPN_EVENT_IKE_UP), "B: no IKE_UP");
    cr_assert_eq(count_events(a, IPSECVPN_EVENT_IKE_UP), 1);
    cr_assert_eq(count_events(b, IPSECVPN_EVENT_IKE_UP), 1);
    ivpn_conn *ca = ivpn_engine_find_conn(a->e, a->id), *cb = ivpn_engine_find_conn(b->e, b->id);
    cr_assert(ca && cb && ca->v1 && cb->v1);
    ivpn_v1_sa *sa = ivpn_v1_current(ca), *sb = ivpn_v1_current(cb);
    cr_assert(sa && sb, "both ISAKMP SAs established");
    cr_assert(sa->initiator && !sb->initiator);
    cr_assert_eq(memcmp(sa->cky_i, sb->cky_i, 8), 0);
    cr_assert_eq(memcmp(sa->cky_r, sb->cky_r, 8), 0);
    cr_assert_eq(sa->k.len, sb->k.len);
    cr_assert_gt(sa->k.len, 0);
    cr_assert_eq(memcmp(sa->k.d, sb->k.d, sa->k.len), 0, "SKEYID_d agrees");
    cr_assert_eq(memcmp(sa->k.a, sb->k.a, sa->k.len), 0, "SKEYID_a agrees");
    cr_assert_eq(sa->enc_key_len, sb->enc_key_len);
    cr_assert_eq(memcmp(sa->enc_key, sb->enc_key, sa->enc_key_len), 0);
    cr_assert_eq(memcmp(sa->iv, sb->iv, sa->block_len), 0, "the phase-1 CBC chains agree");
    cr_assert_eq(sa->rtx.at, 0, "A retransmits nothing once up");
    cr_assert_eq(sb->rtx.at, 0, "B retransmits nothing once up");
}

static void check_tunnel(h_net *n)
{
    h_side *a = &n->side[0], *b = &n->side[1];
    int ra, rb;
    cr_assert_eq(h_status(a, &ra), IPSECVPN_STATUS_ACTIVE, "A status reason %d", ra);
    cr_assert_eq(h_status(b, &rb), IPSECVPN_STATUS_ACTIVE, "B status reason %d", rb);
    cr_assert(h_has_event(a, IPSECVPN_EVENT_CHILD_UP) && h_has_event(b, IPSECVPN_EVENT_CHILD_UP));
    cr_assert_eq(a->child.spi_out, b->child.spi_in);
    cr_assert_eq(a->child.spi_in, b->child.spi_out);
    ping(n, 0, "10.1.0.1", "10.2.0.1");
    ping(n, 1, "10.2.0.1", "10.1.0.1");
}

static void establish(const char *mode, const char *encr, const char *integ, const char *dh)
{
    h_net n;
    setup(&n, mode, encr, integ, dh);
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_BUILD);
    h_pump(&n);
    check_up(&n);
    check_tunnel(&n);
    if (strcmp(mode, "main") == 0) {
        cr_assert_eq(lg.n_main[0], 3, "main mode: the initiator sends MM1, MM3, MM5");
        cr_assert_eq(lg.n_main[1], 3, "main mode: the responder sends MM2, MM4, MM6");
    }
    h_free(&n);
}

Test(v1_phase1, main_mode_establishes, .timeout = 30)
{
    establish("main", "aes256", "sha256", "group14");
}

Test(v1_phase1, aggressive_mode_establishes, .timeout = 30)
{
    establish("aggressive", "aes128", "sha1", "group2");
}

Test(v1_phase1, aggressive_mode_aes256_sha512, .timeout = 30)
{
    establish("aggressive", "aes256", "sha512", "group14");
}

/* Every seed algorithm: des, 3des, aes128/192/256 x md5, sha1, sha256, sha384, sha512 x
 * modp 1, 2, 5, 14 (each value at least once; the cross product would take minutes). */
Test(v1_phase1, every_seed_algorithm_establishes, .timeout = 240)
{
    static const char *encr[] = { "des", "3des", "aes", "aes192", "aes256" };
    static const char *integ[] = { "md5", "sha1", "sha256", "sha384", "sha512" };
    static const char *dh[] = { "group1", "group2", "group5", "group14" };
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            int k = (i + j) % 4;
            h_net n;
            setup(&n, (i + j) % 2 ? "aggressive" : "main", encr[i], integ[j], dh[k]);
            h_start(&n);
            cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now),
                         IPSECVPN_OK);
            h_pump(&n);
            ivpn_conn *ca = ivpn_engine_find_conn(n.side[0].e, n.side[0].id);
            cr_assert(ivpn_v1_current(ca), "%s/%s/%s did not establish", encr[i], integ[j],
                      dh[k]);
            check_up(&n);
            h_free(&n);
        }
}

static void wrong_psk(const char *mode)
{
    h_net n;
    setup(&n, mode, "aes128", "sha256", "group14");
    h_set(&n, 1, "psk", "another-PSK-value");
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_run_until(&n, n.now + 120000);
    cr_assert(!h_has_event(&n.side[0], IPSECVPN_EVENT_IKE_UP));
    cr_assert(!h_has_event(&n.side[1], IPSECVPN_EVENT_IKE_UP));
    /* whoever checks the first hash says so: the responder in main mode (MM5), the
     * initiator in aggressive mode (HASH_R in AM2) */
    int checker = strcmp(mode, "main") == 0 ? 1 : 0, reason = 0;
    cr_assert_eq(h_status(&n.side[checker], &reason), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(reason, IPSECVPN_ERR_IKE_AUTH);
    int other = 0;
    cr_assert_neq(h_status(&n.side[1 - checker], &other), IPSECVPN_STATUS_ACTIVE);
    ivpn_conn *c = ivpn_engine_find_conn(n.side[checker].e, n.side[checker].id);
    cr_assert(!ivpn_v1_current(c));
    h_free(&n);
}

Test(v1_phase1, wrong_psk_main_mode_refused, .timeout = 60)
{
    wrong_psk("main");
}

Test(v1_phase1, wrong_psk_aggressive_mode_refused, .timeout = 60)
{
    wrong_psk("aggressive");
}

Test(v1_phase1, no_common_proposal_refused, .timeout = 60)
{
    h_net n;
    setup(&n, "main", "aes256", "sha256", "group14");
    h_set(&n, 1, "ike.encryption", "3des");
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    int rb = 0;
    cr_assert_eq(h_status(&n.side[1], &rb), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(rb, IPSECVPN_ERR_IKE_NO_PROPOSAL);
    cr_assert_eq(lg.info_sent[1], 1, "the responder answers with NO_PROPOSAL_CHOSEN");
    cr_assert_eq(lg.n_main[1], 0, "and no MM2");
    h_run_until(&n, n.now + 120000);
    int ra = 0;
    cr_assert_eq(h_status(&n.side[0], &ra), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(ra, IPSECVPN_ERR_IKE_NO_PROPOSAL, "the initiator heard the notify");
    cr_assert(!h_has_event(&n.side[0], IPSECVPN_EVENT_IKE_UP));
    h_free(&n);
}

Test(v1_phase1, aggressive_mode_refused_by_main_mode_responder, .timeout = 60)
{
    h_net n;
    setup(&n, "aggressive", "aes128", "sha256", "group14");
    h_set(&n, 1, "ike.mode", "main");
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_run_until(&n, n.now + 120000);
    cr_assert(!h_has_event(&n.side[0], IPSECVPN_EVENT_IKE_UP));
    cr_assert(!h_has_event(&n.side[1], IPSECVPN_EVENT_IKE_UP));
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ERROR);
    h_free(&n);
}

/* One main-mode datagram lost on the wire: the initiator's timer brings the exchange back.
 * Returns the datagrams A sent in main mode. */
static int lose_one(int which)
{
    h_net n;
    setup(&n, "main", "aes128", "sha1", "group2");
    lg.drop_index = which;
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    cr_assert(lg.dropped);
    cr_assert(!h_has_event(&n.side[0], IPSECVPN_EVENT_IKE_UP), "stalled without the message");
    h_run_until(&n, n.now + 5000);
    check_up(&n);
    check_tunnel(&n);
    int sent = lg.n_main[0];
    h_free(&n);
    return sent;
}

Test(v1_phase1, lost_mm2_recovered_by_retransmission, .timeout = 30)
{
    cr_assert_eq(lose_one(2), 4, "MM1 twice, MM3, MM5");
}

Test(v1_phase1, lost_mm4_recovered_by_retransmission, .timeout = 30)
{
    cr_assert_eq(lose_one(4), 4, "MM1, MM3 twice, MM5");
}

Test(v1_phase1, lost_mm6_recovered_by_retransmission, .timeout = 30)
{
    cr_assert_eq(lose_one(6), 4, "MM1, MM3, MM5 twice");
}

Test(v1_phase1, lost_mm5_recovered_by_retransmission, .timeout = 30)
{
    cr_assert_eq(lose_one(5), 4, "MM1, MM3, MM5 twice");
}

/* MM3 arrives twice: the responder answers the copy from its cache, byte for byte, without
 * running a second DH (its KE would differ and the keys would not match). */
Test(v1_phase1, duplicated_mm3_answered_from_cache, .timeout = 30)
{
    h_net n;
    setup(&n, "main", "aes256", "sha256", "group14");
    lg.dup_index = 3;
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    check_up(&n);
    check_tunnel(&n);
    cr_assert_eq(lg.n_main[1], 4, "B sent MM2, MM4 twice, MM6");
    /* the repeat is the cached MM4 itself: a second DH would have made a new KE */
    cr_assert_eq(lg.b_main[1].len, lg.b_main[2].len);
    cr_assert_eq(memcmp(lg.b_main[1].data, lg.b_main[2].data, lg.b_main[1].len), 0);
    h_free(&n);
}

/* Every datagram delivered twice: still one ISAKMP SA each, no error. */
static bool dup_all(h_net *n, const h_dgram *d, bool *dup)
{
    *dup = true;
    return count_filter(n, d, dup);
}

Test(v1_phase1, every_message_duplicated, .timeout = 30)
{
    h_net n;
    setup(&n, "main", "aes128", "sha256", "group14");
    n.filter = dup_all;
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_run_until(&n, n.now + 2000);
    check_up(&n);
    h_free(&n);
}

/* The peer never answers: retransmissions with backoff, then ERROR with the timeout code. */
Test(v1_phase1, silent_peer_times_out, .timeout = 30)
{
    h_net n;
    setup(&n, "main", "aes128", "sha256", "group14");
    h_start(&n);
    n.cut = true;
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_run_until(&n, n.now + 600000);
    int r = 0;
    cr_assert_eq(h_status(&n.side[0], &r), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(r, IPSECVPN_ERR_IKE_TIMEOUT);
    cr_assert_eq(n.side[0].sent, 1 + n.settings[0].retransmit_tries);
    h_free(&n);
}

/* A configured remote ID the peer does not present: authentication fails. */
Test(v1_phase1, remote_id_mismatch_refused, .timeout = 60)
{
    h_net n;
    setup(&n, "main", "aes128", "sha256", "group14");
    h_set(&n, 1, "ike.remote_id", "other.example.com");
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_run_until(&n, n.now + 120000);
    int r = 0;
    cr_assert_eq(h_status(&n.side[1], &r), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(r, IPSECVPN_ERR_IKE_AUTH);
    cr_assert(!h_has_event(&n.side[1], IPSECVPN_EVENT_IKE_UP));
    h_free(&n);
}

/* FQDN identities both ways, as configured on each side. */
Test(v1_phase1, fqdn_identities, .timeout = 30)
{
    h_net n;
    setup(&n, "aggressive", "aes128", "sha256", "group14");
    h_set(&n, 0, "ike.local_id", "a.example.com");
    h_set(&n, 0, "ike.remote_id", "b.example.com");
    h_set(&n, 1, "ike.local_id", "b.example.com");
    h_set(&n, 1, "ike.remote_id", "a.example.com");
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    check_up(&n);
    h_free(&n);
}

/* nat_traversal forces encapsulation: from MM5 on, IKE runs on 4500 behind the marker. */
static bool natt_filter(h_net *n, const h_dgram *d, bool *dup)
{
    size_t len;
    const uint8_t *m = isakmp_of(d, &len);
    if (m && m[18] == IVPN_ISAKMP_EX_MAIN) {
        bool enc = m[19] & IVPN_ISAKMP_FLAG_ENC;
        cr_assert_eq(d->dst.port, enc ? IPSECVPN_NATT_PORT : IPSECVPN_IKE_PORT,
                     "MM5/MM6 on 4500, the rest on 500");
    }
    return count_filter(n, d, dup);
}

Test(v1_phase1, forced_nat_t_floats_to_4500, .timeout = 30)
{
    h_net n;
    setup(&n, "main", "aes128", "sha256", "group14");
    h_set(&n, 0, "nat_traversal", "on");
    h_set(&n, 1, "nat_traversal", "on");
    n.filter = natt_filter;
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    check_up(&n);
    ivpn_conn *ca = ivpn_engine_find_conn(n.side[0].e, n.side[0].id);
    ivpn_v1_sa *sa = ivpn_v1_current(ca);
    cr_assert(sa->peer_natt && sa->nat_remote);
    cr_assert_eq(sa->remote.port, IPSECVPN_NATT_PORT);
    cr_assert_neq(sa->keepalive_at, 0, "keepalives while NAT-T is forced");
    check_tunnel(&n);
    h_free(&n);
}

/* Closing tells the peer; both sides end DOWN with IKE_DOWN. */
Test(v1_phase1, close_deletes_on_both_sides, .timeout = 30)
{
    h_net n;
    setup(&n, "main", "aes128", "sha256", "group14");
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    check_up(&n);
    cr_assert_eq(ipsecvpn_engine_remove_connection(n.side[0].e, n.side[0].id, n.now),
                 IPSECVPN_OK);
    h_pump(&n);
    cr_assert(h_has_event(&n.side[0], IPSECVPN_EVENT_IKE_DOWN));
    cr_assert(h_has_event(&n.side[1], IPSECVPN_EVENT_IKE_DOWN));
    cr_assert_neq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE);
    n.side[0].id = 0;
    h_free(&n);
}

/* Phase-1 rekey at the soft lifetime: a fresh main mode replaces the SA, the Child SA stays,
 * the old SA is deleted at its lifetime end. */
Test(v1_phase1, phase1_rekey_keeps_child, .timeout = 60)
{
    h_net n;
    setup(&n, "main", "aes128", "sha256", "group14");
    h_set(&n, 0, "ike.lifetime", "600");
    h_set(&n, 1, "ike.lifetime", "600");
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    check_up(&n);
    ivpn_conn *ca = ivpn_engine_find_conn(n.side[0].e, n.side[0].id);
    uint8_t old_cky[8];
    memcpy(old_cky, ivpn_v1_current(ca)->cky_i, 8);
    uint32_t spi = n.side[0].child.spi_in;
    h_run_until(&n, n.now + 560000);
    ivpn_v1_sa *cur = ivpn_v1_current(ca);
    cr_assert(cur);
    cr_assert_neq(memcmp(cur->cky_i, old_cky, 8), 0, "a new ISAKMP SA");
    cr_assert_eq(count_events(&n.side[0], IPSECVPN_EVENT_IKE_DOWN), 0);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert_eq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert(ivpn_child_find(ca, spi) || n.side[0].child_ups > 1, "a tunnel remains");
    ping(&n, 0, "10.1.0.1", "10.2.0.1");
    h_free(&n);
}

/* Aggressive mode: hold AM3 back (drop it once, or deliver it after what follows it). */
static h_dgram held;
static bool have_held;

static bool am3_filter(h_net *n, const h_dgram *d, bool *dup)
{
    size_t len;
    const uint8_t *m = isakmp_of(d, &len);
    if (m && m[18] == IVPN_ISAKMP_EX_AGGRESSIVE && (m[19] & IVPN_ISAKMP_FLAG_ENC) && !have_held) {
        held = *d;
        have_held = true;
        return false;
    }
    return count_filter(n, d, dup);
}

static void start_aggressive_holding_am3(h_net *n)
{
    setup(n, "aggressive", "aes128", "sha256", "group14");
    n->filter = am3_filter;
    have_held = false;
    h_start(n);
    cr_assert_eq(ipsecvpn_engine_initiate(n->side[0].e, n->side[0].id, n->now), IPSECVPN_OK);
    h_pump(n);
    cr_assert(have_held, "AM3 was sent");
    cr_assert(h_has_event(&n->side[0], IPSECVPN_EVENT_IKE_UP), "A is up after AM3");
    cr_assert(!h_has_event(&n->side[1], IPSECVPN_EVENT_IKE_UP), "B still waits for AM3");
}

/* The first quick-mode message overtakes AM3: B keeps it and runs it once AM3 is in. */
Test(v1_phase1, quick_mode_before_am3_is_replayed, .timeout = 30)
{
    h_net n;
    start_aggressive_holding_am3(&n);
    ivpn_conn *cb = ivpn_engine_find_conn(n.side[1].e, n.side[1].id);
    cr_assert(cb->v1 && cb->v1->sa && cb->v1->sa->early, "QM1 kept until AM3");
    ipsecvpn_read_result res;
    cr_assert_eq(ipsecvpn_engine_read(n.side[1].e, &held.dst, &held.src, held.data, held.len,
                                      n.now, &res),
                 IPSECVPN_OK);
    h_pump(&n);
    check_up(&n);
    check_tunnel(&n);
    h_free(&n);
}

/* AM3 lost: the responder's AM2 timer makes the initiator send its cached AM3 again. */
Test(v1_phase1, lost_am3_recovered_by_retransmission, .timeout = 30)
{
    h_net n;
    start_aggressive_holding_am3(&n);
    h_run_until(&n, n.now + 10000);
    check_up(&n);
    check_tunnel(&n);
    h_free(&n);
}

/* The responder's lifetime is the shorter one: it rekeys phase 1 first, as initiator of a new
 * main mode; the original initiator takes the new SA as responder (sa_next, then current). */
Test(v1_phase1, phase1_rekey_by_the_responder, .timeout = 60)
{
    h_net n;
    setup(&n, "main", "aes128", "sha256", "group14");
    h_set(&n, 0, "ike.lifetime", "3600");
    h_set(&n, 1, "ike.lifetime", "600");
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    check_up(&n);
    ivpn_conn *ca = ivpn_engine_find_conn(n.side[0].e, n.side[0].id);
    ivpn_conn *cb = ivpn_engine_find_conn(n.side[1].e, n.side[1].id);
    cr_assert_eq(ivpn_v1_current(cb)->lifetime_s, 600, "the responder keeps the smaller");
    h_run_until(&n, n.now + 560000);
    ivpn_v1_sa *a = ivpn_v1_current(ca), *b = ivpn_v1_current(cb);
    cr_assert(a && b);
    cr_assert(!a->initiator && b->initiator, "B started the new ISAKMP SA");
    cr_assert_eq(memcmp(a->cky_i, b->cky_i, 8), 0);
    cr_assert(ca->v1->old != NULL, "the replaced SA waits for its lifetime end");
    cr_assert_eq(count_events(&n.side[0], IPSECVPN_EVENT_IKE_DOWN), 0);
    ping(&n, 1, "10.2.0.1", "10.1.0.1");
    h_run_until(&n, n.now + 100000);
    cr_assert(ca->v1->old == NULL && cb->v1->old == NULL, "deleted at its lifetime end");
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    h_free(&n);
}

/* A damaged copy of one main-mode message (its last byte cut off, the header's Length to
 * match) arrives just before the real one: it is dropped without any change, so the real
 * one still completes the exchange. For MM5 / MM6 this is a ciphertext that is not whole
 * blocks: one such message must not end phase 1 (only repeated ones, a PSK mismatch, do). */
static int garble_index;

static bool garble_filter(h_net *n, const h_dgram *d, bool *dup)
{
    size_t len;
    const uint8_t *m = isakmp_of(d, &len);
    if (m && m[18] == IVPN_ISAKMP_EX_MAIN && lg.seen + 1 == garble_index) {
        h_dgram g = *d;
        size_t off = (size_t)(m - d->data);
        g.len--;
        uint32_t l = (uint32_t)(len - 1);
        g.data[off + 24] = (uint8_t)(l >> 24);
        g.data[off + 25] = (uint8_t)(l >> 16);
        g.data[off + 26] = (uint8_t)(l >> 8);
        g.data[off + 27] = (uint8_t)l;
        n->q[(n->head + n->count++) % H_QUEUE] = g;
    }
    return count_filter(n, d, dup);
}

Test(v1_phase1, damaged_copy_of_each_message_changes_nothing, .timeout = 60)
{
    for (garble_index = 1; garble_index <= 6; garble_index++) {
        h_net n;
        setup(&n, "main", "aes256", "sha1", "group14");
        n.filter = garble_filter;
        h_start(&n);
        cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
        h_pump(&n);
        check_up(&n);
        check_tunnel(&n);
        cr_assert_eq(lg.n_main[0], 3, "MM%d: no retransmission was needed", garble_index);
        h_free(&n);
    }
}
