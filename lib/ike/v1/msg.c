/*
 * ISAKMP message framing for the IKEv1 engine: building (header, payload chain, the HASH
 * slot, padding and CBC encryption of the body under flag E, RFC 2408 §3.1 / RFC 2409
 * Appendix B), opening received messages, sending, and the retransmission cache.
 *
 * Phase 1 has no message IDs, so a retransmitted peer message is recognised by a hash of the
 * whole datagram: the side that answered keeps its answer next to that hash and sends it
 * again when the same bytes arrive (the receiver of a retransmission must not run the step
 * twice: a second DH computation, or a CBC chain moved on by a message it already handled,
 * would break the exchange).
 */
#include <string.h>

#include "ike/v1/v1_internal.h"
#include "ipsecvpn/udp_encap.h"

void ivpn_v1_msg_begin(ivpn_v1_msg *m, const ivpn_v1_sa *sa, uint8_t exchange, uint32_t msgid,
                       bool encrypted)
{
    ivpn_isakmp_header h;
    memset(&h, 0, sizeof(h));
    memcpy(h.cookie_i, sa->cky_i, 8);
    memcpy(h.cookie_r, sa->cky_r, 8);
    h.major = 1;
    h.minor = 0;
    h.exchange = exchange;
    h.flags = encrypted ? IVPN_ISAKMP_FLAG_ENC : 0;
    h.message_id = msgid;
    ivpn_writer_init(&m->w, m->buf, sizeof(m->buf));
    m->hdr_at = ivpn_isakmp_message_begin(&m->w, &h, &m->cw);
    m->encrypted = encrypted;
}

static size_t prf_len(const ivpn_v1_sa *sa)
{
    const ivpn_prf_info *pi = ivpn_prf_lookup(sa->prf);
    return pi ? pi->out_len : 0;
}

size_t ivpn_v1_msg_hash_slot(ivpn_v1_msg *m, const ivpn_v1_sa *sa)
{
    ivpn_isakmp_payload_open(&m->cw, IVPN_ISAKMP_PL_HASH);
    size_t at = ivpn_wr_reserve(&m->w, prf_len(sa));
    ivpn_isakmp_payload_close(&m->cw);
    return at;
}

void ivpn_v1_msg_raw(ivpn_v1_msg *m, uint8_t type, const uint8_t *body, size_t len)
{
    ivpn_isakmp_payload_open(&m->cw, type);
    ivpn_wr_bytes(&m->w, body, len);
    ivpn_isakmp_payload_close(&m->cw);
}

int ivpn_v1_msg_finish(ipsecvpn_engine *e, const ivpn_v1_sa *sa, ivpn_v1_msg *m, uint8_t *iv,
                       uint8_t **out, size_t *out_len)
{
    if (m->cw.open)
        ivpn_isakmp_payload_close(&m->cw);
    size_t body_at = m->hdr_at + IVPN_ISAKMP_HEADER_LEN;
    if (m->encrypted) {
        /* RFC 2409 Appendix B: the body is padded to the cipher's block size (zeros; the
         * padding is covered by the header's Length and ignored by the receiver) */
        size_t bs = sa->block_len;
        if (!bs || !sa->enc_key_len)
            return IPSECVPN_ERR_STATE;
        size_t body = ivpn_wr_len(&m->w) - body_at;
        size_t pad = (bs - body % bs) % bs;
        if (body == 0)
            pad = bs;
        ivpn_wr_zeros(&m->w, pad);
    }
    int rc = ivpn_isakmp_message_finish(&m->cw, m->hdr_at);
    if (rc != IPSECVPN_OK)
        return rc;
    size_t total = ivpn_wr_len(&m->w) - m->hdr_at;
    if (m->encrypted) {
        rc = ivpn_v1_encrypt(e->ctx, sa->encr, sa->encr_bits, sa->enc_key, sa->enc_key_len, iv,
                             m->buf + body_at, ivpn_wr_len(&m->w) - body_at);
        if (rc != IPSECVPN_OK)
            return rc;
    }
    uint8_t *buf = ivpn_malloc(e->ctx, total);
    if (!buf)
        return IPSECVPN_ERR_NOMEM;
    memcpy(buf, m->buf + m->hdr_at, total);
    ivpn_wipe(m->buf, ivpn_wr_len(&m->w));
    *out = buf;
    *out_len = total;
    return IPSECVPN_OK;
}

int ivpn_v1_send(ipsecvpn_engine *e, const ivpn_v1_sa *sa, const uint8_t *msg, size_t len)
{
    /* off port 500 (the NAT-T port after the float) ISAKMP travels behind the non-ESP marker
     * (RFC 3947 §4, RFC 3948 §2.2) */
    return ivpn_engine_send_raw(e, &sa->local, &sa->remote, msg, len,
                                sa->remote.port != IPSECVPN_IKE_PORT);
}

/* ---- retransmission ---------------------------------------------------------------------- */

static int datagram_hash(const uint8_t *msg, size_t len, uint8_t out[32])
{
    ivpn_buf_ref piece = { msg, len };
    return ivpn_hash_multi(IPSECVPN_PRF_HMAC_SHA2_256, &piece, 1, out);
}

void ivpn_v1_rtx_clear(ipsecvpn_engine *e, ivpn_v1_rtx *rtx)
{
    ivpn_free(e->ctx, rtx->msg);
    memset(rtx, 0, sizeof(*rtx));
}

void ivpn_v1_rtx_set(ipsecvpn_engine *e, ivpn_v1_rtx *rtx, uint8_t *msg, size_t len,
                     bool timed, const uint8_t *answers, size_t answers_len, uint64_t now)
{
    ivpn_v1_rtx_clear(e, rtx);
    rtx->msg = msg;
    rtx->len = len;
    if (answers && datagram_hash(answers, answers_len, rtx->peer_hash) == IPSECVPN_OK)
        rtx->have_peer_hash = true;
    rtx->at = timed ? now + e->settings.retransmit_base_ms : 0;
}

/* A plain compare: both hashes are of datagrams seen on the wire, nothing secret. */
bool ivpn_v1_rtx_is_repeat(const ivpn_v1_rtx *rtx, const uint8_t *msg, size_t len)
{
    uint8_t h[32];
    return rtx->msg && rtx->have_peer_hash && datagram_hash(msg, len, h) == IPSECVPN_OK &&
           memcmp(h, rtx->peer_hash, sizeof(h)) == 0;
}

bool ivpn_v1_rtx_duplicate(ipsecvpn_engine *e, const ivpn_v1_sa *sa, ivpn_v1_rtx *rtx,
                           const uint8_t *msg, size_t len)
{
    if (!ivpn_v1_rtx_is_repeat(rtx, msg, len))
        return false;
    IVPN_LOG_DEBUG(e->ctx, "IKEv1: retransmitted peer message, sending our answer again");
    (void)ivpn_v1_send(e, sa, rtx->msg, rtx->len);
    return true;
}

bool ivpn_v1_rtx_fire(ipsecvpn_engine *e, const ivpn_v1_sa *sa, ivpn_v1_rtx *rtx, uint64_t now)
{
    if (!rtx->msg || rtx->tries >= e->settings.retransmit_tries) {
        rtx->at = 0;
        return false;
    }
    rtx->tries++;
    unsigned shift = rtx->tries < 16 ? rtx->tries : 16;
    rtx->at = now + ((uint64_t)e->settings.retransmit_base_ms << shift);
    IVPN_LOG_DEBUG(e->ctx, "IKEv1: retransmitting (try %u)", rtx->tries);
    (void)ivpn_v1_send(e, sa, rtx->msg, rtx->len);
    return true;
}

/* ---- receiving --------------------------------------------------------------------------- */

int ivpn_v1_rx_open(ipsecvpn_engine *e, const ivpn_v1_sa *sa, uint8_t *iv,
                    ivpn_isakmp_msg_kind kind, const uint8_t *msg, size_t len, ivpn_v1_rx *rx)
{
    memset(rx, 0, sizeof(*rx));
    rx->msg = msg;
    rx->len = len;
    int rc = ivpn_isakmp_header_decode(e->ctx, msg, len, &rx->hdr);
    if (rc != IPSECVPN_OK)
        return rc;
    const uint8_t *body = msg + IVPN_ISAKMP_HEADER_LEN;
    size_t body_len = rx->hdr.length - IVPN_ISAKMP_HEADER_LEN;
    if (rx->hdr.flags & IVPN_ISAKMP_FLAG_ENC) {
        if (!sa || !sa->enc_key_len || !sa->block_len || !iv) {
            IVPN_LOG_WARN(e->ctx, "IKEv1: encrypted message before keys exist, dropped");
            return IPSECVPN_ERR_IKE_UNEXPECTED;
        }
        if (body_len == 0 || body_len % sa->block_len != 0) {
            IVPN_LOG_WARN(e->ctx, "IKEv1: encrypted body of %zu bytes is not whole blocks",
                          body_len);
            return IPSECVPN_ERR_IKE_MALFORMED;
        }
        rx->plain = ivpn_malloc(e->ctx, body_len);
        if (!rx->plain)
            return IPSECVPN_ERR_NOMEM;
        memcpy(rx->plain, body, body_len);
        rx->plain_len = body_len;
        /* the chain moves on only once the message proves well-formed */
        uint8_t next_iv[IVPN_V1_BLOCK_MAX];
        memcpy(next_iv, iv, sa->block_len);
        rc = ivpn_v1_decrypt(e->ctx, sa->encr, sa->encr_bits, sa->enc_key, sa->enc_key_len,
                             next_iv, rx->plain, body_len);
        if (rc == IPSECVPN_OK)
            rc = ivpn_isakmp_chain_walk(e->ctx, rx->hdr.next_payload, rx->plain, body_len, true,
                                        &rx->pl);
        if (rc == IPSECVPN_OK)
            rc = ivpn_isakmp_rules_check(e->ctx, kind, &rx->pl);
        if (rc == IPSECVPN_OK)
            memcpy(iv, next_iv, sa->block_len);
        return rc;
    }
    rc = ivpn_isakmp_chain_walk(e->ctx, rx->hdr.next_payload, body, body_len, false, &rx->pl);
    if (rc == IPSECVPN_OK)
        rc = ivpn_isakmp_rules_check(e->ctx, kind, &rx->pl);
    return rc;
}

void ivpn_v1_rx_free(ipsecvpn_engine *e, ivpn_v1_rx *rx)
{
    if (rx->plain) {
        ivpn_wipe(rx->plain, rx->plain_len);
        ivpn_free(e->ctx, rx->plain);
    }
    rx->plain = NULL;
    rx->plain_len = 0;
}

const ivpn_span *ivpn_v1_rx_body(const ivpn_v1_rx *rx, uint8_t type)
{
    const ivpn_isakmp_payload_ref *r = ivpn_isakmp_list_find(&rx->pl, type);
    return r ? &r->body : NULL;
}

/* <-- HDR, N(type): the answer to a phase-1 message we refuse, sent without keeping state
 * (RFC 2408 §5.6 informational exchange, unprotected because no keys exist). */
void ivpn_v1_refuse(ipsecvpn_engine *e, const ipsecvpn_endpoint *local,
                    const ipsecvpn_endpoint *remote, const ivpn_isakmp_header *h, uint16_t type)
{
    ivpn_v1_sa tmp;
    memset(&tmp, 0, sizeof(tmp));
    memcpy(tmp.cky_i, h->cookie_i, 8);
    memcpy(tmp.cky_r, h->cookie_r, 8);
    ivpn_v1_msg *m = ivpn_malloc(e->ctx, sizeof(*m));
    if (!m)
        return;
    ivpn_v1_msg_begin(m, &tmp, IVPN_ISAKMP_EX_INFO, 0, false);
    ivpn_isakmp_notify n;
    memset(&n, 0, sizeof(n));
    n.doi = IVPN_ISAKMP_DOI_IPSEC;
    n.protocol = IVPN_ISAKMP_PROTO_ISAKMP;
    n.spi_size = 16;
    memcpy(n.spi, h->cookie_i, 8);
    memcpy(n.spi + 8, h->cookie_r, 8);
    n.type = type;
    ivpn_isakmp_payload_open(&m->cw, IVPN_ISAKMP_PL_N);
    ivpn_isakmp_notify_encode(&m->w, &n);
    ivpn_isakmp_payload_close(&m->cw);
    uint8_t *out = NULL;
    size_t len = 0;
    if (ivpn_v1_msg_finish(e, &tmp, m, NULL, &out, &len) == IPSECVPN_OK) {
        (void)ivpn_engine_send_raw(e, local, remote, out, len, remote->port != IPSECVPN_IKE_PORT);
        ivpn_free(e->ctx, out);
    }
    ivpn_free(e->ctx, m);
}
