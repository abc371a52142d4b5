/*
 * INFORMATIONAL exchanges (RFC 7296 §1.4, §2.4):
 *
 *   liveness check:   HDR, SK {}                         -->  <--  HDR, SK {}
 *   delete IKE SA:    HDR, SK {D(IKE)}                   -->  <--  HDR, SK {}
 *   delete Child SA:  HDR, SK {D(ESP, SPIs we receive on)} -->
 *                                           <--  HDR, SK {D(ESP, the peer's inbound SPIs)}
 */
#include <string.h>

#include "ike/v2/rekey_collision.h"
#include "ike/v2/v2_internal.h"
#include "ipsecvpn/udp_encap.h"

static int send_info_request(ipsecvpn_engine *e, ivpn_ike_sa *sa, ivpn_req_kind kind,
                             ivpn_msg *m, uint64_t now)
{
    uint8_t *out;
    size_t len;
    int rc = ivpn_msg_finish_sk(e, sa, IVPN_IKEV2_EXCH_INFORMATIONAL, false, sa->msgid_out, m,
                                &out, &len);
    if (rc != IPSECVPN_OK)
        return rc;
    return ivpn_ikev2_send_request(e, sa, kind, out, len, now);
}

static void add_delete(ivpn_msg *m, uint8_t proto, const uint32_t *spis, uint16_t n)
{
    uint8_t buf[4 * 16];
    for (uint16_t i = 0; i < n; i++) {
        buf[4 * i] = (uint8_t)(spis[i] >> 24);
        buf[4 * i + 1] = (uint8_t)(spis[i] >> 16);
        buf[4 * i + 2] = (uint8_t)(spis[i] >> 8);
        buf[4 * i + 3] = (uint8_t)spis[i];
    }
    ivpn_ikev2_delete d = { .protocol = proto, .spi_size = proto == IVPN_IKEV2_PROTO_IKE ? 0 : 4,
                            .n_spis = n, .spis = { buf, 4u * n } };
    ivpn_ikev2_payload_open(&m->cw, IVPN_IKEV2_PL_DELETE, false);
    ivpn_ikev2_delete_encode(&m->w, &d);
    ivpn_ikev2_payload_close(&m->cw);
}

/* HDR, SK {} --> */
int ivpn_ikev2_dpd_send(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    ivpn_msg *m = ivpn_malloc(e->ctx, sizeof(*m));
    if (!m)
        return IPSECVPN_ERR_NOMEM;
    ivpn_msg_begin(m);
    int rc = send_info_request(e, c->ike, IVPN_REQ_DPD, m, now);
    ivpn_free(e->ctx, m);
    return rc;
}

/* HDR, SK {D(ESP, spi_in)} --> */
int ivpn_ikev2_delete_child_send(ipsecvpn_engine *e, ivpn_conn *c, uint32_t spi_in, uint64_t now)
{
    ivpn_msg *m = ivpn_malloc(e->ctx, sizeof(*m));
    if (!m)
        return IPSECVPN_ERR_NOMEM;
    ivpn_msg_begin(m);
    add_delete(m, IVPN_IKEV2_PROTO_ESP, &spi_in, 1);
    c->ike->delete_spi_in = spi_in;
    int rc = send_info_request(e, c->ike, IVPN_REQ_DELETE_CHILD, m, now);
    ivpn_free(e->ctx, m);
    return rc;
}

/* Fire and forget: HDR, SK {D(IKE)} --> (the SA is gone before any answer). With a request
 * of ours outstanding (a rekey or DPD at the hard lifetime, say) the Delete takes the ID after
 * it: reusing that ID would make a peer that has answered it take the Delete for a
 * retransmission and resend its old answer (§2.3), keeping the SA we are deleting. */
void ivpn_ikev2_close(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now, bool tell_peer)
{
    ivpn_ike_sa *sa = c->ike;
    (void)now;
    if (sa && tell_peer && sa->prf_len &&
        (sa->state == IVPN_IKE_ESTABLISHED || sa->state == IVPN_IKE_AUTH_SENT)) {
        ivpn_msg *m = ivpn_malloc(e->ctx, sizeof(*m));
        uint8_t *out;
        size_t len;
        if (m) {
            ivpn_msg_begin(m);
            add_delete(m, IVPN_IKEV2_PROTO_IKE, NULL, 0);
            uint32_t id = sa->req_kind != IVPN_REQ_NONE ? sa->req_id + 1 : sa->msgid_out;
            if (ivpn_msg_finish_sk(e, sa, IVPN_IKEV2_EXCH_INFORMATIONAL, false, id, m, &out,
                                   &len) == IPSECVPN_OK) {
                (void)ivpn_engine_send_ike(e, sa, out, len);
                ivpn_free(e->ctx, out);
            }
            ivpn_free(e->ctx, m);
        }
    }
    ivpn_ikev2_fail(e, c, IPSECVPN_STATUS_DOWN, 0);
}

static ivpn_child *child_by_out(ivpn_conn *c, uint32_t spi_out)
{
    return ivpn_child_find_out(c, spi_out);
}

/* Nothing to do since Child SAs are a list (ivpn_child_remove brings a retired pair back
 * when its replacement goes first). */
static void compact(ivpn_conn *c) { (void)c; }

/* Responder side of every INFORMATIONAL request. */
int ivpn_ikev2_info_request_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx, uint64_t now)
{
    ivpn_ike_sa *sa = c->ike;
    uint32_t msgid = rx->hdr.message_id;
    ivpn_msg *m = ivpn_malloc(e->ctx, sizeof(*m));
    if (!m)
        return IPSECVPN_ERR_NOMEM;
    ivpn_msg_begin(m);
    bool delete_ike = false;
    uint32_t ours[16];
    uint16_t n_ours = 0;
    for (unsigned i = 0; i < rx->b.n_delete; i++) {
        const ivpn_ikev2_delete *d = &rx->b.del[i];
        if (d->protocol == IVPN_IKEV2_PROTO_IKE) {
            delete_ike = true;
        } else if (d->protocol == IVPN_IKEV2_PROTO_ESP && d->spi_size == 4) {
            for (uint16_t k = 0; k < d->n_spis; k++) {
                ivpn_child *ch = child_by_out(c, ivpn_ikev2_delete_spi(d, k));
                if (!ch)
                    continue;
                if (n_ours < 16)
                    ours[n_ours++] = ch->spi_in;
                ivpn_child_remove(e, c, ch, true);
            }
        }
    }
    if (!delete_ike && n_ours)
        add_delete(m, IVPN_IKEV2_PROTO_ESP, ours, n_ours);
    uint8_t *out;
    size_t len;
    int rc = ivpn_msg_finish_sk(e, sa, IVPN_IKEV2_EXCH_INFORMATIONAL, true, msgid, m, &out, &len);
    ivpn_free(e->ctx, m);
    if (rc != IPSECVPN_OK)
        return rc;
    ivpn_ikev2_send_response(e, sa, msgid, out, len);
    if (delete_ike && sa->coll_ike) {
        /* the peer finished its rekey of this SA without seeing ours collide (§2.8.2) */
        IVPN_LOG_INFO(e->ctx, "IKEv2: peer deleted the IKE SA it rekeyed, its new SA takes over");
        ivpn_ikev2_rekey_ike_adopt(e, c, now);
        ivpn_ikev2_drop_old(e, c);
        return IPSECVPN_OK;
    }
    if (delete_ike) {
        IVPN_LOG_INFO(e->ctx, "IKEv2: peer deleted the IKE SA");
        ivpn_ikev2_fail(e, c, IPSECVPN_STATUS_DOWN, 0);
        return IPSECVPN_OK;
    }
    compact(c);
    if (n_ours && !ivpn_child_first(c)) {
        /* no tunnel left under this IKE SA: take it down too */
        ivpn_ikev2_close(e, c, now, true);
    }
    return IPSECVPN_OK;
}

/* Initiator side: the answer to our DPD or Delete. */
int ivpn_ikev2_info_response_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_rx *rx, uint64_t now)
{
    ivpn_ike_sa *sa = c->ike;
    ivpn_req_kind kind = sa->req_kind;
    ivpn_ikev2_request_done(e, sa);
    (void)rx;
    if (kind == IVPN_REQ_DELETE_CHILD) {
        ivpn_child_remove(e, c, ivpn_child_find(c, sa->delete_spi_in), true);
        compact(c);
    } else if (kind == IVPN_REQ_DELETE_IKE) {
        ivpn_ikev2_fail(e, c, IPSECVPN_STATUS_DOWN, 0);
        return IPSECVPN_OK;
    }
    if (c->ike)
        c->ike->dpd_deadline = 0; /* the peer answered */
    if (ivpn_conn_values(c)->dpd.enabled && c->ike)
        c->ike->dpd_at = now + (uint64_t)ivpn_conn_values(c)->dpd.interval * 1000;
    return IPSECVPN_OK;
}
