/*
 * Findings of the security / RFC review, each with the exchange that shows it:
 *
 *   §2.21.1  an unprotected error notify answering IKE_SA_INIT is only advice: the initiator
 *            waits for a valid answer until its retransmissions run out, then reports it
 *   §2.23    a validated request from a new path moves the SA (and its Child SAs) only when
 *            the peer is behind a NAT; it is always answered where it came from (§2.11)
 *   §2.3     the IKE Delete sent while a request is outstanding takes the next message ID
 *   §2.10    peer nonces shorter than half the PRF key are refused
 *   RFC 4303 §2.1  peer ESP SPIs 1..255 are reserved: refused with NO_PROPOSAL_CHOSEN
 *   §2.6     the cookie secret is replaced every hour, the previous one valid one more hour
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine_internal.h"
#include "harness.h"
#include "ike/v2/v2_internal.h"

#define EXCH_INIT 34
#define EXCH_AUTH 35
#define EXCH_CREATE 36
#define EXCH_INFO 37
#define PL_SA 33
#define PL_NONCE 40
#define PL_NOTIFY 41

static ivpn_conn *conn_of(h_side *s) { return ivpn_engine_find_conn(s->e, s->id); }

/* The IKE header of a datagram, past the non-ESP marker of port 4500. */
static const uint8_t *ike_of(const h_dgram *d)
{
    return d->dst.port == IPSECVPN_IKE_PORT ? d->data : d->data + 4;
}
static uint32_t msgid_of(const h_dgram *d)
{
    const uint8_t *h = ike_of(d);
    return (uint32_t)h[20] << 24 | (uint32_t)h[21] << 16 | (uint32_t)h[22] << 8 | h[23];
}

/* Take the next queued datagram off the wire. */
static bool take(h_net *n, h_dgram *out)
{
    if (!n->count)
        return false;
    *out = n->q[n->head];
    n->head = (n->head + 1) % H_QUEUE;
    n->count--;
    return true;
}

static int deliver_from(h_net *n, const h_dgram *d, const ipsecvpn_endpoint *src)
{
    h_dgram c = *d;
    ipsecvpn_read_result res;
    return ipsecvpn_engine_read(n->side[c.to].e, &c.dst, src, c.data, c.len, n->now, &res);
}
static int deliver(h_net *n, const h_dgram *d) { return deliver_from(n, d, &d->src); }

/* Whether an unencrypted message carries a notify of this type. */
static bool has_plain_notify(const h_dgram *d, uint16_t type)
{
    const uint8_t *m = ike_of(d);
    size_t len = d->len - (size_t)(m - d->data), off = 28;
    uint8_t next = m[16];
    while (next && off + 4 <= len) {
        size_t pl = (size_t)m[off + 2] << 8 | m[off + 3];
        if (pl < 4 || off + pl > len)
            return false;
        if (next == PL_NOTIFY && pl >= 8 && (m[off + 6] << 8 | m[off + 7]) == type)
            return true;
        next = m[off];
        off += pl;
    }
    return false;
}

/* Cut the Nonce payload of an unencrypted message (IKE_SA_INIT) to 16 bytes. */
static void shorten_plain_nonce(h_dgram *d)
{
    uint8_t *m = d->data;
    size_t off = 28;
    uint8_t next = m[16];
    while (next && off + 4 <= d->len) {
        size_t pl = (size_t)m[off + 2] << 8 | m[off + 3];
        if (next == PL_NONCE) {
            size_t cut = pl - 4 - 16;
            memmove(m + off + 4 + 16, m + off + pl, d->len - off - pl);
            d->len -= cut;
            m[off + 2] = 0;
            m[off + 3] = 20;
            m[24] = (uint8_t)(d->len >> 24);
            m[25] = (uint8_t)(d->len >> 16);
            m[26] = (uint8_t)(d->len >> 8);
            m[27] = (uint8_t)d->len;
            return;
        }
        next = m[off];
        off += pl;
    }
    cr_assert_fail("no Nonce payload");
}

/* Inner payload rewriters for reseal(). */
typedef void (*patch_fn)(uint8_t type, uint8_t *body, size_t *len);
static void patch_spi_255(uint8_t type, uint8_t *body, size_t *len)
{
    /* every proposal: last, reserved, length(2), num, proto, spi size, #transforms, SPI */
    for (size_t off = 0; type == PL_SA && off + 12 <= *len;) {
        size_t pl = (size_t)body[off + 2] << 8 | body[off + 3];
        cr_assert_eq(body[off + 6], 4);
        memcpy(body + off + 8, "\x00\x00\x00\xff", 4);
        if (pl < 8)
            break;
        off += pl;
    }
}
static void patch_nonce_16(uint8_t type, uint8_t *body, size_t *len)
{
    (void)body;
    if (type == PL_NONCE)
        *len = 16;
}

/* An authentic message with chosen content: opened with the receiver's SA, its inner payloads
 * rewritten by `patch`, sealed again with the sender's SA (same exchange and message ID). */
static void reseal(h_net *n, h_dgram *d, const ivpn_ike_sa *rx_sa, const ivpn_ike_sa *tx_sa,
                   patch_fn patch)
{
    h_side *rcv = &n->side[d->to], *snd = &n->side[1 - d->to];
    ivpn_rx *rx = calloc(1, sizeof(*rx));
    ivpn_msg *m = calloc(1, sizeof(*m));
    cr_assert(rx && m);
    rx->msg = d->data;
    rx->len = d->len;
    cr_assert_eq(ivpn_ikev2_message_parse(rcv->ctx, d->data, d->len, &rx->hdr, &rx->outer),
                 IPSECVPN_OK);
    cr_assert_eq(ivpn_rx_open(rcv->e, rx_sa, rx), IPSECVPN_OK);
    ivpn_msg_begin(m);
    for (unsigned i = 0; i < rx->inner.count; i++) {
        const ivpn_ikev2_payload_ref *ref = &rx->inner.items[i];
        uint8_t body[2048];
        size_t bl = ref->body.len;
        cr_assert_leq(bl, sizeof(body));
        memcpy(body, ref->body.p, bl);
        patch(ref->type, body, &bl);
        ivpn_msg_payload_raw(m, ref->type, body, bl);
    }
    uint8_t *out = NULL;
    size_t len = 0;
    cr_assert_eq(ivpn_msg_finish_sk(snd->e, tx_sa, rx->hdr.exchange,
                                    ivpn_ikev2_is_response(&rx->hdr), rx->hdr.message_id, m,
                                    &out, &len), IPSECVPN_OK);
    cr_assert_leq(len, sizeof(d->data));
    memcpy(d->data, out, len);
    d->len = len;
    ivpn_free(snd->ctx, out);
    ivpn_free(rcv->ctx, rx->plain);
    free(rx);
    free(m);
}

/* Whether an encrypted message, opened with the receiver's SA, carries a notify of this type. */
static bool sk_notify(h_net *n, const h_dgram *d, const ivpn_ike_sa *rx_sa, uint16_t type)
{
    h_side *rcv = &n->side[d->to];
    ivpn_rx *rx = calloc(1, sizeof(*rx));
    cr_assert(rx);
    const uint8_t *m = ike_of(d);
    rx->msg = m;
    rx->len = d->len - (size_t)(m - d->data);
    cr_assert_eq(ivpn_ikev2_message_parse(rcv->ctx, rx->msg, rx->len, &rx->hdr, &rx->outer),
                 IPSECVPN_OK);
    cr_assert_eq(ivpn_rx_open(rcv->e, rx_sa, rx), IPSECVPN_OK);
    bool found = ivpn_ikev2_bodies_notify(&rx->b, type) != NULL;
    ivpn_free(rcv->ctx, rx->plain);
    free(rx);
    return found;
}

static void establish(h_net *n)
{
    h_start(n);
    cr_assert_eq(ipsecvpn_engine_initiate(n->side[0].e, n->side[0].id, n->now), IPSECVPN_OK);
    h_pump(n);
    cr_assert_eq(h_status(&n->side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert_eq(h_status(&n->side[1], NULL), IPSECVPN_STATUS_ACTIVE);
}

/* Where A's ESP for 10.1.0.1 -> 10.2.0.1 goes. */
static ipsecvpn_endpoint esp_dest(h_net *n)
{
    uint8_t buf[2048];
    size_t off = 128, len = h_icmp4(buf, off, "10.1.0.1", "10.2.0.1", 1), oo, ol;
    ipsecvpn_endpoint l, r;
    cr_assert_eq(ipsecvpn_engine_protect(n->side[0].e, buf, sizeof(buf), off, len, n->now, &l, &r,
                                         &oo, &ol), IPSECVPN_OK);
    return r;
}

static bool same_ep(const ipsecvpn_endpoint *a, const ipsecvpn_endpoint *b)
{
    return a->addr.family == b->addr.family && a->port == b->port &&
           memcmp(a->addr.bytes, b->addr.bytes, 4) == 0;
}

/* ---- 1. §2.21.1 --------------------------------------------------------------------------- */

/* A: HDR, SAi1(aes256) ... -->  <-- HDR, N(NO_PROPOSAL_CHOSEN), to every retransmission.
 * A keeps waiting through its retransmissions, then fails with the reason it was given. */
Test(ikev2_review, init_error_notify_waits_then_reports_it, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    h_set(&n, 0, "ike.encryption", "aes256");
    h_set(&n, 1, "ike.encryption", "aes");
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_BUILD, "still waiting");
    cr_assert_not_null(conn_of(&n.side[0])->ike);
    cr_assert(!h_has_event(&n.side[0], IPSECVPN_EVENT_IKE_DOWN));
    h_run_until(&n, n.now + 600000);
    int r;
    cr_assert_eq(h_status(&n.side[0], &r), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(r, IPSECVPN_ERR_IKE_NO_PROPOSAL, "the reason seen, not a bare timeout");
    cr_assert_eq(n.side[0].sent, 6, "the request and 5 retransmissions");
    cr_assert_null(conn_of(&n.side[0])->ike);
    h_free(&n);
}

/* A forged <-- HDR(SPIi, 0), N(NO_PROPOSAL_CHOSEN) beats B's real answer: A still gets in. */
Test(ikev2_review, forged_init_error_notify_is_ignored, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_dgram forged;
    memset(&forged, 0, sizeof(forged));
    forged.to = 0;
    forged.src = n.side[1].ep;
    forged.dst = n.side[0].ep;
    uint8_t *m = forged.data;
    memcpy(m, conn_of(&n.side[0])->ike->spi_i, 8);
    m[16] = PL_NOTIFY;
    m[17] = 0x20;
    m[18] = EXCH_INIT;
    m[19] = 0x20; /* response */
    m[27] = 36;
    m[30] = 0;
    m[31] = 8;
    m[35] = 14; /* NO_PROPOSAL_CHOSEN */
    forged.len = 36;
    (void)deliver(&n, &forged);
    cr_assert_not_null(conn_of(&n.side[0])->ike, "the forgery ended nothing");
    h_pump(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    cr_assert_eq(h_status(&n.side[1], NULL), IPSECVPN_STATUS_ACTIVE);
    h_free(&n);
}

/* ---- 2. §2.23 ------------------------------------------------------------------------------ */

/* B's liveness check, delivered to A from another port of B's address. */
static h_dgram moved_request(h_net *n, ipsecvpn_endpoint *moved)
{
    cr_assert_eq(ivpn_ikev2_dpd_send(n->side[1].e, conn_of(&n->side[1]), n->now), IPSECVPN_OK);
    h_dgram req, resp;
    cr_assert(take(n, &req));
    *moved = req.src;
    moved->port = 34567;
    cr_assert_eq(deliver_from(n, &req, moved), IPSECVPN_OK);
    cr_assert(take(n, &resp), "A answered");
    cr_assert(same_ep(&resp.dst, moved), "answered where the request came from (§2.11)");
    return resp;
}

/* No NAT: the request is answered on its path, but IKE and ESP stay where they were. */
Test(ikev2_review, no_nat_peer_path_does_not_move, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    establish(&n);
    ivpn_ike_sa *sa = conn_of(&n.side[0])->ike;
    ipsecvpn_endpoint before = sa->remote, esp_before = esp_dest(&n), moved;
    cr_assert(!sa->nat_remote);
    (void)moved_request(&n, &moved);
    cr_assert(same_ep(&sa->remote, &before), "IKE SA moved to port %u", sa->remote.port);
    ipsecvpn_endpoint esp_after = esp_dest(&n);
    cr_assert(same_ep(&esp_after, &esp_before));
    h_free(&n);
}

/* B behind a (pretended) NAT: its new mapping is followed by the IKE SA and by the ESP. */
Test(ikev2_review, nat_peer_path_moves_ike_and_esp, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    h_set(&n, 1, "nat_traversal", "on"); /* B's NAT-D source hash cannot match: A sees a NAT */
    establish(&n);
    ivpn_ike_sa *sa = conn_of(&n.side[0])->ike;
    cr_assert(sa->nat_remote && !sa->nat_local);
    ipsecvpn_endpoint moved;
    (void)moved_request(&n, &moved);
    cr_assert(same_ep(&sa->remote, &moved), "IKE SA at port %u", sa->remote.port);
    ipsecvpn_endpoint esp = esp_dest(&n);
    cr_assert(same_ep(&esp, &moved), "ESP still sent to port %u", esp.port);
    h_free(&n);
}

/* ---- 3. §2.3 -------------------------------------------------------------------------------- */

static bool drop_to_a(h_net *n, const h_dgram *d, bool *dup)
{
    (void)n;
    (void)dup;
    return d->to != 0;
}

/* A's liveness check reached B, B's answer was lost; then A's IKE SA reaches its hard lifetime.
 * Its Delete must take the next ID, or B takes it for a retransmission and keeps its SA. */
Test(ikev2_review, ike_delete_takes_the_next_message_id, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    establish(&n);
    ivpn_conn *c = conn_of(&n.side[0]);
    n.filter = drop_to_a;
    cr_assert_eq(ivpn_ikev2_dpd_send(n.side[0].e, c, n.now), IPSECVPN_OK);
    uint32_t outstanding = c->ike->req_id;
    h_pump(&n);
    n.filter = NULL;
    cr_assert_eq(c->ike->req_kind, IVPN_REQ_DPD);
    c->ike->hard_at = n.now;
    ipsecvpn_engine_handle_expiry(n.side[0].e, n.now);
    h_dgram d, del;
    bool found = false;
    while (take(&n, &d))
        if (d.to == 1 && ike_of(&d)[18] == EXCH_INFO) {
            del = d;
            found = true;
        }
    cr_assert(found, "A sent its Delete");
    cr_assert_eq(msgid_of(&del), outstanding + 1);
    (void)deliver(&n, &del);
    cr_assert_null(conn_of(&n.side[1])->ike, "B deleted the IKE SA");
    h_free(&n);
}

/* ---- 4. §2.10 ------------------------------------------------------------------------------- */

/* With HMAC-SHA2-512 as PRF a nonce needs 32 bytes: a 16-byte Ni gets <-- N(INVALID_SYNTAX). */
Test(ikev2_review, short_nonce_refused_by_responder, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    h_set(&n, 0, "ike.integrity", "sha512");
    h_set(&n, 1, "ike.integrity", "sha512");
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_dgram req, resp;
    cr_assert(take(&n, &req));
    shorten_plain_nonce(&req);
    (void)deliver(&n, &req);
    cr_assert(take(&n, &resp), "B answers");
    cr_assert(has_plain_notify(&resp, 7), "N(INVALID_SYNTAX)");
    cr_assert_null(conn_of(&n.side[1])->ike_half, "no half-open SA");
    cr_assert_null(conn_of(&n.side[1])->ike);
    h_free(&n);
}

static bool shorten_init_responses(h_net *n, const h_dgram *d, bool *dup)
{
    (void)n;
    (void)dup;
    if (d->to == 0 && d->data[18] == EXCH_INIT)
        shorten_plain_nonce((h_dgram *)d); /* send_cb's own copy, queued after the filter */
    return true;
}

/* The same for Nr: A never sends IKE_AUTH and fails when its retransmissions run out. */
Test(ikev2_review, short_nonce_refused_by_initiator, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    h_set(&n, 0, "ike.integrity", "sha512");
    h_set(&n, 1, "ike.integrity", "sha512");
    n.filter = shorten_init_responses;
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_pump(&n);
    cr_assert_eq(conn_of(&n.side[0])->ike->state, IVPN_IKE_INIT_SENT, "no IKE_AUTH sent");
    h_run_until(&n, n.now + 600000);
    int r;
    cr_assert_eq(h_status(&n.side[0], &r), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(r, IPSECVPN_ERR_IKE_MALFORMED);
    cr_assert_eq(n.side[0].child_ups, 0);
    h_free(&n);
}

/* ---- 5. RFC 4303 §2.1 --------------------------------------------------------------------- */

/* A's IKE_AUTH offers ESP SPI 0x000000ff: B refuses the Child SA with NO_PROPOSAL_CHOSEN. */
Test(ikev2_review, reserved_spi_refused_by_responder, .timeout = 30)
{
    h_net n;
    h_init(&n, NULL, NULL, 0);
    h_start(&n);
    cr_assert_eq(ipsecvpn_engine_initiate(n.side[0].e, n.side[0].id, n.now), IPSECVPN_OK);
    h_dgram d;
    cr_assert(take(&n, &d));
    (void)deliver(&n, &d); /* IKE_SA_INIT request */
    cr_assert(take(&n, &d));
    (void)deliver(&n, &d); /* its response; A queues IKE_AUTH */
    cr_assert(take(&n, &d));
    cr_assert_eq(d.data[18], EXCH_AUTH);
    reseal(&n, &d, conn_of(&n.side[1])->ike_half, conn_of(&n.side[0])->ike, patch_spi_255);
    (void)deliver(&n, &d);
    h_pump(&n);
    cr_assert_eq(n.side[1].child_ups, 0, "B installed a Child SA toward SPI 0xff");
    int r;
    cr_assert_eq(h_status(&n.side[0], &r), IPSECVPN_STATUS_ERROR);
    cr_assert_eq(r, IPSECVPN_ERR_IKE_NO_PROPOSAL, "A was told NO_PROPOSAL_CHOSEN");
    h_free(&n);
}

/* ---- 6. §2.6 -------------------------------------------------------------------------------- */

#define HOUR_MS 3600000u

/* B demands a cookie for every IKE_SA_INIT; A's first request and B's cookie for it. */
static void cookie_start(h_net *n, h_dgram *first, h_dgram *cookie)
{
    h_init(n, NULL, NULL, 0);
    n->settings[1].cookie_threshold = 0;
    h_start(n);
    cr_assert_eq(ipsecvpn_engine_initiate(n->side[0].e, n->side[0].id, n->now), IPSECVPN_OK);
    cr_assert(take(n, first));
    (void)deliver(n, first);
    cr_assert(take(n, cookie));
    cr_assert(has_plain_notify(cookie, 16390), "N(COOKIE)");
}

/* The secret changes: the same request an hour later gets another cookie. */
Test(ikev2_review, cookie_secret_rotates, .timeout = 30)
{
    h_net n;
    h_dgram first, c0, c1;
    cookie_start(&n, &first, &c0);
    n.now += HOUR_MS + 1000;
    (void)deliver(&n, &first);
    cr_assert(take(&n, &c1));
    cr_assert(has_plain_notify(&c1, 16390));
    cr_assert_eq(c0.len, c1.len);
    cr_assert(memcmp(c0.data, c1.data, c0.len) != 0, "same cookie after an hour");
    h_free(&n);
}

/* A cookie from just before a change still works ... */
Test(ikev2_review, cookie_of_previous_secret_accepted, .timeout = 30)
{
    h_net n;
    h_dgram first, cookie, retry, answer;
    cookie_start(&n, &first, &cookie);
    (void)deliver(&n, &cookie); /* A resends with the cookie */
    cr_assert(take(&n, &retry));
    n.now += HOUR_MS + 1000;
    (void)deliver(&n, &retry);
    cr_assert(take(&n, &answer));
    cr_assert(!has_plain_notify(&answer, 16390), "the cookie of the previous secret works");
    (void)deliver(&n, &answer);
    h_pump(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    h_free(&n);
}

/* ... but not two changes later: B asks for a new one, and A still gets in with it. */
Test(ikev2_review, cookie_two_secrets_old_refused, .timeout = 30)
{
    h_net n;
    h_dgram first, cookie, retry, answer;
    cookie_start(&n, &first, &cookie);
    (void)deliver(&n, &cookie);
    cr_assert(take(&n, &retry));
    n.now += 2 * HOUR_MS + 1000;
    (void)deliver(&n, &retry);
    cr_assert(take(&n, &answer));
    cr_assert(has_plain_notify(&answer, 16390), "a cookie two secrets old was accepted");
    (void)deliver(&n, &answer);
    h_pump(&n);
    cr_assert_eq(h_status(&n.side[0], NULL), IPSECVPN_STATUS_ACTIVE);
    h_free(&n);
}

/* ---- the same checks in CREATE_CHILD_SA (§1.3) ------------------------------------------- */

static void sha512_established(h_net *n)
{
    h_init(n, NULL, NULL, 0);
    h_set(n, 0, "ike.integrity", "sha512");
    h_set(n, 1, "ike.integrity", "sha512");
    establish(n);
}

/* B rekeys its Child SA; the request is rewritten by `patch` before A sees it. A answers
 * with `notify` and keeps its Child SA. */
static void child_rekey_refused(patch_fn patch, uint16_t notify)
{
    h_net n;
    sha512_established(&n);
    ivpn_conn *ca = conn_of(&n.side[0]), *cb = conn_of(&n.side[1]);
    size_t kids = ivpn_child_count(ca);
    cr_assert_eq(ivpn_engine_test_rekey_child(n.side[1].e, n.side[1].id,
                                              ivpn_child_current(cb)->spi_in, n.now),
                 IPSECVPN_OK);
    h_dgram d;
    cr_assert(take(&n, &d));
    cr_assert_eq(d.data[18], EXCH_CREATE);
    reseal(&n, &d, ca->ike, cb->ike, patch);
    (void)deliver(&n, &d);
    cr_assert(take(&n, &d), "A answers");
    cr_assert(sk_notify(&n, &d, cb->ike, notify), "A's answer lacks notify %u", notify);
    cr_assert(!h_has_event(&n.side[0], IPSECVPN_EVENT_CHILD_REKEYED));
    cr_assert_eq(ivpn_child_count(ca), kids);
    h_free(&n);
}

Test(ikev2_review, reserved_spi_refused_in_child_rekey, .timeout = 30)
{
    child_rekey_refused(patch_spi_255, 14 /* NO_PROPOSAL_CHOSEN */);
}

Test(ikev2_review, short_nonce_refused_in_child_rekey, .timeout = 30)
{
    child_rekey_refused(patch_nonce_16, 7 /* INVALID_SYNTAX */);
}

/* A rekeys its Child SA and B's answer comes back with a 16-byte nonce: A does not install. */
Test(ikev2_review, short_nonce_refused_in_child_rekey_answer, .timeout = 30)
{
    h_net n;
    sha512_established(&n);
    ivpn_conn *ca = conn_of(&n.side[0]), *cb = conn_of(&n.side[1]);
    cr_assert_eq(ivpn_engine_test_rekey_child(n.side[0].e, n.side[0].id,
                                              ivpn_child_current(ca)->spi_in, n.now),
                 IPSECVPN_OK);
    h_dgram d;
    cr_assert(take(&n, &d));
    (void)deliver(&n, &d);
    cr_assert(take(&n, &d));
    cr_assert_eq(d.to, 0);
    reseal(&n, &d, ca->ike, cb->ike, patch_nonce_16);
    (void)deliver(&n, &d);
    cr_assert(!h_has_event(&n.side[0], IPSECVPN_EVENT_CHILD_REKEYED),
              "A installed keys from a short nonce");
    h_free(&n);
}

/* B rekeys the IKE SA with a 16-byte nonce: A answers INVALID_SYNTAX, keeps its IKE SA. */
Test(ikev2_review, short_nonce_refused_in_ike_rekey, .timeout = 30)
{
    h_net n;
    sha512_established(&n);
    ivpn_conn *ca = conn_of(&n.side[0]), *cb = conn_of(&n.side[1]);
    ivpn_ike_sa *before = ca->ike;
    cb->ike->rekey_at = n.now;
    ipsecvpn_engine_handle_expiry(n.side[1].e, n.now);
    h_dgram d;
    cr_assert(take(&n, &d));
    cr_assert_eq(d.data[18], EXCH_CREATE);
    reseal(&n, &d, ca->ike, cb->ike, patch_nonce_16);
    (void)deliver(&n, &d);
    cr_assert(take(&n, &d), "A answers");
    cr_assert(sk_notify(&n, &d, cb->ike, 7), "INVALID_SYNTAX");
    cr_assert_eq(ca->ike, before);
    cr_assert_null(ca->ike_old);
    h_free(&n);
}
