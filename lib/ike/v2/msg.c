/*
 * Building, protecting and sending IKEv2 messages; opening received SK payloads.
 *
 * SK payload (§3.14) with a CBC cipher:
 *   generic header | IV | E(inner payloads | padding | Pad Length) | ICV
 * The ICV covers the message from the IKE header to the end of the ciphertext, with the
 * header's Length already final.
 *
 * With an AEAD (AES-GCM-16, RFC 5282) the layout is the same with an 8-byte IV and the
 * 16-byte tag as ICV; the additional data is the IKE header plus the SK generic payload
 * header (everything before the IV), the key is SK_e = key || 4-byte salt, no SK_a.
 */
#include <string.h>

#include "ike/v2/v2_internal.h"

void ivpn_msg_begin(ivpn_msg *m)
{
    ivpn_writer_init(&m->w, m->buf, sizeof(m->buf));
    ivpn_wr_u8(&m->w, 0); /* stands in for the Next Payload field that names the first one */
    ivpn_ikev2_chain_begin(&m->cw, &m->w, 0);
}

void ivpn_msg_notify(ivpn_msg *m, uint8_t proto, const uint8_t *spi, uint8_t spi_size,
                     uint16_t type, const uint8_t *data, size_t len)
{
    ivpn_ikev2_notify n;
    memset(&n, 0, sizeof(n));
    n.protocol = proto;
    n.spi_size = spi_size;
    n.type = type;
    if (spi_size)
        memcpy(n.spi, spi, spi_size);
    n.data.p = data;
    n.data.len = len;
    ivpn_ikev2_payload_open(&m->cw, IVPN_IKEV2_PL_NOTIFY, false);
    ivpn_ikev2_notify_encode(&m->w, &n);
    ivpn_ikev2_payload_close(&m->cw);
}

void ivpn_msg_payload_raw(ivpn_msg *m, uint8_t type, const uint8_t *body, size_t len)
{
    ivpn_ikev2_payload_open(&m->cw, type, false);
    ivpn_wr_bytes(&m->w, body, len);
    ivpn_ikev2_payload_close(&m->cw);
}

static void header(const ivpn_ike_sa *sa, uint8_t exchange, bool response, uint32_t msgid,
                   ivpn_ikev2_header *h)
{
    memset(h, 0, sizeof(*h));
    memcpy(h->spi_i, sa->spi_i, 8);
    memcpy(h->spi_r, sa->spi_r, 8);
    h->major = IVPN_IKEV2_MAJOR;
    h->exchange = exchange;
    h->flags = (uint8_t)((sa->initiator ? IVPN_IKEV2_FLAG_INITIATOR : 0) |
                         (response ? IVPN_IKEV2_FLAG_RESPONSE : 0));
    h->message_id = msgid;
}

int ivpn_msg_finish_plain(ipsecvpn_engine *e, const ivpn_ike_sa *sa, uint8_t exchange,
                          bool response, uint32_t msgid, ivpn_msg *m, uint8_t **out,
                          size_t *out_len)
{
    ivpn_ikev2_payload_close(&m->cw);
    if (ivpn_wr_status(&m->w) != IPSECVPN_OK)
        return ivpn_wr_status(&m->w);
    size_t chain = ivpn_wr_len(&m->w) - 1;
    uint8_t *buf = ivpn_malloc(e->ctx, IVPN_IKEV2_HDR_LEN + chain);
    if (!buf)
        return IPSECVPN_ERR_NOMEM;
    ivpn_ikev2_header h;
    header(sa, exchange, response, msgid, &h);
    h.next_payload = m->buf[0];
    h.length = (uint32_t)(IVPN_IKEV2_HDR_LEN + chain);
    ivpn_writer w;
    ivpn_writer_init(&w, buf, IVPN_IKEV2_HDR_LEN + chain);
    ivpn_ikev2_header_encode(&w, &h);
    ivpn_wr_bytes(&w, m->buf + 1, chain);
    ivpn_wr_patch_u32(&w, 24, (uint32_t)ivpn_wr_len(&w));
    if (ivpn_wr_status(&w) != IPSECVPN_OK) {
        ivpn_free(e->ctx, buf);
        return IPSECVPN_ERR_INTERNAL;
    }
    *out = buf;
    *out_len = ivpn_wr_len(&w);
    return IPSECVPN_OK;
}

/* Our direction's keys: the original initiator sends with SK_ei/SK_ai. */
static const uint8_t *enc_key(const ivpn_ike_sa *sa, bool sending)
{
    return sa->initiator == sending ? sa->sk_ei : sa->sk_er;
}
static const uint8_t *mac_key(const ivpn_ike_sa *sa, bool sending)
{
    return sa->initiator == sending ? sa->sk_ai : sa->sk_ar;
}

/* CBC: encrypt the padded content in place, then the ICV over everything before it. */
static int sk_seal_cbc(ipsecvpn_engine *e, const ivpn_ike_sa *sa, const ivpn_cipher_info *ci,
                       const ivpn_integ_info *ii, uint8_t *buf, size_t total, size_t padded)
{
    uint8_t *iv = buf + IVPN_IKEV2_HDR_LEN + 4;
    uint8_t *ct = iv + ci->iv_len;
    ivpn_cipher *c = NULL;
    ivpn_integ *mac = NULL;
    int rc = ivpn_cipher_new(e->ctx, ci, enc_key(sa, true), sa->encr_len, &c);
    if (rc == IPSECVPN_OK)
        rc = ivpn_cipher_cbc_encrypt(c, iv, ct, ct, padded);
    if (rc == IPSECVPN_OK)
        rc = ivpn_integ_new(e->ctx, ii, mac_key(sa, true), sa->integ_len, &mac);
    if (rc == IPSECVPN_OK)
        rc = ivpn_integ_compute(mac, buf, total - ii->icv_len, NULL, 0, buf + total - ii->icv_len);
    ivpn_cipher_free(e->ctx, c);
    ivpn_integ_free(e->ctx, mac);
    return rc;
}

/* AEAD: the IV sits at buf + aad_len; the tag follows the padded content. */
static int sk_seal_aead(ipsecvpn_engine *e, const ivpn_ike_sa *sa, const ivpn_cipher_info *ci,
                        uint8_t *buf, size_t aad_len, size_t padded)
{
    uint8_t *iv = buf + aad_len;
    uint8_t *ct = iv + ci->iv_len;
    ivpn_aead *a = NULL;
    int rc = ivpn_aead_new(e->ctx, ci, enc_key(sa, true), sa->encr_len, &a);
    if (rc == IPSECVPN_OK)
        rc = ivpn_aead_encrypt(a, iv, buf, aad_len, ct, padded, ct + padded);
    ivpn_aead_free(e->ctx, a);
    return rc;
}

int ivpn_msg_finish_sk(ipsecvpn_engine *e, const ivpn_ike_sa *sa, uint8_t exchange,
                       bool response, uint32_t msgid, ivpn_msg *m, uint8_t **out,
                       size_t *out_len)
{
    ivpn_ikev2_payload_close(&m->cw);
    if (ivpn_wr_status(&m->w) != IPSECVPN_OK)
        return ivpn_wr_status(&m->w);
    const ivpn_cipher_info *ci = ivpn_cipher_lookup(sa->algs.encr, sa->algs.encr_bits);
    const ivpn_integ_info *ii = ivpn_integ_lookup(sa->algs.integ);
    if (!ci || (!ci->aead && !ii))
        return IPSECVPN_ERR_CRYPTO_ALG;
    size_t icv_len = ci->aead ? ci->icv_len : ii->icv_len;
    size_t plain = ivpn_wr_len(&m->w) - 1;
    size_t bs = ci->block_size;
    size_t padded = (plain + 1 + bs - 1) / bs * bs;
    size_t sk_len = 4 + ci->iv_len + padded + icv_len;
    size_t total = IVPN_IKEV2_HDR_LEN + sk_len;
    uint8_t *buf = ivpn_zalloc(e->ctx, total);
    if (!buf)
        return IPSECVPN_ERR_NOMEM;

    ivpn_ikev2_header h;
    header(sa, exchange, response, msgid, &h);
    h.next_payload = IVPN_IKEV2_PL_SK;
    h.length = (uint32_t)total;
    ivpn_writer w;
    ivpn_writer_init(&w, buf, total);
    ivpn_ikev2_header_encode(&w, &h);
    ivpn_wr_patch_u32(&w, 24, (uint32_t)total);
    ivpn_wr_u8(&w, m->buf[0]); /* SK's Next Payload: the first inner payload */
    ivpn_wr_u8(&w, 0);
    ivpn_wr_u16(&w, (uint16_t)sk_len);
    int rc = ivpn_wr_status(&w);
    uint8_t *iv = buf + IVPN_IKEV2_HDR_LEN + 4;
    uint8_t *ct = iv + ci->iv_len;
    if (rc == IPSECVPN_OK)
        rc = ivpn_random(e->ctx, iv, ci->iv_len);
    memcpy(ct, m->buf + 1, plain);
    ct[padded - 1] = (uint8_t)(padded - plain - 1); /* Pad Length; padding bytes stay zero */
    if (rc == IPSECVPN_OK && ci->aead)
        rc = sk_seal_aead(e, sa, ci, buf, (size_t)(iv - buf), padded);
    else if (rc == IPSECVPN_OK)
        rc = sk_seal_cbc(e, sa, ci, ii, buf, total, padded);
    ivpn_wipe(m->buf, ivpn_wr_len(&m->w));
    if (rc != IPSECVPN_OK) {
        ivpn_free(e->ctx, buf);
        return rc;
    }
    *out = buf;
    *out_len = total;
    return IPSECVPN_OK;
}

/* CBC: verify the ICV over the header..ciphertext first, then decrypt into rx->plain. */
static int sk_open_cbc(ipsecvpn_engine *e, const ivpn_ike_sa *sa, const ivpn_cipher_info *ci,
                       const ivpn_integ_info *ii, ivpn_rx *rx, const uint8_t *iv, size_t ct_len)
{
    const uint8_t *ct = iv + ci->iv_len;
    const uint8_t *icv = ct + ct_len;
    ivpn_integ *mac = NULL;
    ivpn_cipher *c = NULL;
    int rc = ivpn_integ_new(e->ctx, ii, mac_key(sa, false), sa->integ_len, &mac);
    if (rc == IPSECVPN_OK &&
        ivpn_integ_verify(mac, rx->msg, (size_t)(icv - rx->msg), NULL, 0, icv) != IPSECVPN_OK) {
        IVPN_LOG_WARN(e->ctx, "IKEv2: SK integrity check failed, message dropped");
        rc = IPSECVPN_ERR_IKE_INTEGRITY;
    }
    ivpn_integ_free(e->ctx, mac);
    if (rc == IPSECVPN_OK)
        rc = ivpn_cipher_new(e->ctx, ci, enc_key(sa, false), sa->encr_len, &c);
    if (rc == IPSECVPN_OK)
        rc = ivpn_cipher_cbc_decrypt(c, iv, ct, rx->plain, ct_len);
    ivpn_cipher_free(e->ctx, c);
    return rc;
}

/* AEAD: additional data is everything before the IV; the tag is checked before release. */
static int sk_open_aead(ipsecvpn_engine *e, const ivpn_ike_sa *sa, const ivpn_cipher_info *ci,
                        ivpn_rx *rx, const uint8_t *iv, size_t ct_len)
{
    const uint8_t *ct = iv + ci->iv_len;
    ivpn_aead *a = NULL;
    memcpy(rx->plain, ct, ct_len);
    int rc = ivpn_aead_new(e->ctx, ci, enc_key(sa, false), sa->encr_len, &a);
    if (rc == IPSECVPN_OK &&
        ivpn_aead_decrypt(a, iv, rx->msg, (size_t)(iv - rx->msg), rx->plain, ct_len,
                          ct + ct_len) != IPSECVPN_OK) {
        IVPN_LOG_WARN(e->ctx, "IKEv2: SK integrity check failed, message dropped");
        rc = IPSECVPN_ERR_IKE_INTEGRITY;
    }
    ivpn_aead_free(e->ctx, a);
    return rc;
}

int ivpn_rx_open(ipsecvpn_engine *e, const ivpn_ike_sa *sa, ivpn_rx *rx)
{
    int rc = ivpn_ikev2_check_rules(e->ctx, rx->hdr.exchange, ivpn_ikev2_is_response(&rx->hdr),
                                    &rx->outer, NULL);
    if (rc != IPSECVPN_OK)
        return rc;
    const ivpn_ikev2_payload_ref *ref = ivpn_ikev2_list_find(&rx->outer, IVPN_IKEV2_PL_SK);
    if (!ref) {
        IVPN_LOG_WARN(e->ctx, "IKEv2: fragmented (SKF) messages are not supported");
        return IPSECVPN_ERR_UNSUPPORTED;
    }
    ivpn_ikev2_sk sk;
    rc = ivpn_ikev2_sk_decode(e->ctx, ref->body, rx->outer.sk_first_inner, &sk);
    if (rc != IPSECVPN_OK)
        return rc;
    const ivpn_cipher_info *ci = ivpn_cipher_lookup(sa->algs.encr, sa->algs.encr_bits);
    const ivpn_integ_info *ii = ivpn_integ_lookup(sa->algs.integ);
    if (!ci || (!ci->aead && !ii))
        return IPSECVPN_ERR_CRYPTO_ALG;
    size_t icv_len = ci->aead ? ci->icv_len : ii->icv_len;
    size_t unit = ci->aead ? 1 : ci->block_size; /* AEAD: any length, the tag checks it */
    size_t enc = sk.encrypted.len;
    if (enc < (size_t)ci->iv_len + unit + icv_len || (enc - ci->iv_len - icv_len) % unit != 0) {
        IVPN_LOG_WARN(e->ctx, "IKEv2: SK payload of %zu bytes does not fit the cipher", enc);
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    size_t ct_len = enc - ci->iv_len - icv_len;
    const uint8_t *iv = sk.encrypted.p;
    rx->plain = ivpn_malloc(e->ctx, ct_len);
    if (!rx->plain)
        return IPSECVPN_ERR_NOMEM;
    rx->plain_len = ct_len; /* the caller wipes this much should anything below fail */
    rc = ci->aead ? sk_open_aead(e, sa, ci, rx, iv, ct_len) : sk_open_cbc(e, sa, ci, ii, rx, iv, ct_len);
    if (rc != IPSECVPN_OK)
        return rc;
    uint8_t pad = rx->plain[ct_len - 1];
    if ((size_t)pad + 1 > ct_len) {
        IVPN_LOG_WARN(e->ctx, "IKEv2: SK pad length %u exceeds the content", pad);
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    rx->plain_len = ct_len - pad - 1;
    rc = ivpn_ikev2_chain_walk(e->ctx, sk.first_inner, rx->plain, rx->plain_len, false,
                               &rx->inner);
    if (rc == IPSECVPN_OK)
        rc = ivpn_ikev2_check_rules(e->ctx, rx->hdr.exchange, ivpn_ikev2_is_response(&rx->hdr),
                                    &rx->outer, &rx->inner);
    if (rc == IPSECVPN_OK)
        rc = ivpn_ikev2_decode_bodies(e->ctx, &rx->inner, ivpn_ikev2_is_response(&rx->hdr),
                                      &rx->b);
    return rc;
}

int ivpn_ikev2_send_request(ipsecvpn_engine *e, ivpn_ike_sa *sa, ivpn_req_kind kind,
                            uint8_t *msg, size_t len, uint64_t now)
{
    ivpn_free(e->ctx, sa->req);
    sa->req = msg;
    sa->req_len = len;
    sa->req_id = sa->msgid_out;
    sa->req_kind = kind;
    sa->tries = 0;
    sa->rtx_at = now + e->settings.retransmit_base_ms;
    (void)ivpn_engine_send_ike(e, sa, msg, len); /* a failed send is a lost datagram */
    return IPSECVPN_OK;
}

int ivpn_ikev2_send_response(ipsecvpn_engine *e, ivpn_ike_sa *sa, uint32_t msgid, uint8_t *msg,
                             size_t len)
{
    ivpn_free(e->ctx, sa->resp);
    sa->resp = msg;
    sa->resp_len = len;
    sa->resp_id = msgid;
    sa->have_resp = true;
    (void)ivpn_engine_send_ike(e, sa, msg, len);
    return IPSECVPN_OK;
}

void ivpn_ikev2_request_done(ipsecvpn_engine *e, ivpn_ike_sa *sa)
{
    ivpn_free(e->ctx, sa->req);
    sa->req = NULL;
    sa->req_len = 0;
    sa->req_kind = IVPN_REQ_NONE;
    sa->rtx_at = 0;
    sa->msgid_out++;
}

int ivpn_ikev2_respond_error(ipsecvpn_engine *e, ivpn_ike_sa *sa, uint8_t exchange,
                             uint32_t msgid, uint16_t type)
{
    ivpn_msg m;
    uint8_t *out;
    size_t len;
    ivpn_msg_begin(&m);
    ivpn_msg_notify(&m, 0, NULL, 0, type, NULL, 0);
    int rc = ivpn_msg_finish_sk(e, sa, exchange, true, msgid, &m, &out, &len);
    if (rc == IPSECVPN_OK)
        rc = ivpn_ikev2_send_response(e, sa, msgid, out, len);
    return rc;
}
