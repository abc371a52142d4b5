/*
 * Dead peer detection for IKEv1 (RFC 3706), run only when the peer announced it (its vendor
 * ID) and the connection enables it:
 *
 *     HDR*, HASH(1), N(R-U-THERE, SPI = CKY-I | CKY-R, seq)      -->
 *                <--  HDR*, HASH(1), N(R-U-THERE-ACK, SPI = CKY-I | CKY-R, seq)
 *
 * After `interval` seconds without an authenticated message or ESP packet from the peer we
 * ask, again every interval while it stays silent; once `timeout` seconds have passed since
 * the first unanswered question the peer is dead, and the action applies as with IKEv2:
 * everything goes down; `restart` negotiates again at once (bidirectional connections).
 * Sequence numbers start at a random value and increase by one per R-U-THERE (§5.5).
 */
#include <string.h>

#include "ike/common/child_sa.h"
#include "ike/v1/v1_internal.h"

static bool dpd_on(const ivpn_conn *c, const ivpn_v1_sa *sa)
{
    const ivpn_dpd *d = &ivpn_conn_values(c)->dpd;
    return sa->peer_dpd && d->enabled && d->action != IVPN_DPD_DISABLED && d->interval;
}

/* A pair we replaced as rekey initiator still carries our traffic until the peer sends on
 * its successor (quick.c, install): then the peer has it, and we switch. */
static void switch_to_new_pairs(ivpn_conn *c)
{
    for (ivpn_child *old = ivpn_child_first(c); old; old = ivpn_child_next(old)) {
        if (old->retired || !old->replaced_by)
            continue;
        ivpn_child *nw = ivpn_child_find(c, old->replaced_by);
        ipsecvpn_esp_stats st = { .version = IPSECVPN_ESP_STATS_VERSION };
        if (!nw || (nw->sa_in && ipsecvpn_esp_sa_get_stats(nw->sa_in, &st) == IPSECVPN_OK &&
                    st.packets > 0))
            ivpn_child_retire(old, old->replaced_by);
    }
}

void ivpn_v1_dpd_alive(ivpn_conn *c, uint64_t now)
{
    switch_to_new_pairs(c);
    ivpn_v1_sa *sa = c->v1 ? ivpn_v1_current(c) : NULL;
    if (!sa)
        return;
    sa->last_rx = now;
    sa->dpd_deadline = 0; /* whatever we asked, the peer has shown it is there */
    if (dpd_on(c, sa) && !sa->dpd_at)
        sa->dpd_at = now + (uint64_t)ivpn_conn_values(c)->dpd.interval * 1000;
}

void ivpn_v1_peer_dead(ipsecvpn_engine *e, ivpn_conn *c, uint64_t now)
{
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    IVPN_LOG_WARN(e->ctx, "IKEv1: peer did not answer liveness checks, declared dead");
    ivpn_engine_emit(e, IPSECVPN_EVENT_PEER_DEAD, c, IPSECVPN_ERR_IKE_PEER_DEAD, NULL);
    ivpn_v1_fail(e, c, IPSECVPN_STATUS_DOWN, IPSECVPN_ERR_IKE_PEER_DEAD);
    if (v->dpd.action == IVPN_DPD_RESTART && v->initiator == IVPN_INITIATOR_BIDIRECTIONAL &&
        v->admin_up)
        c->restart_at = now ? now : 1;
}

static void cookies(const ivpn_v1_sa *sa, uint8_t spi[16])
{
    memcpy(spi, sa->cky_i, 8);
    memcpy(spi + 8, sa->cky_r, 8);
}

static int send_dpd(ipsecvpn_engine *e, ivpn_v1_sa *sa, uint16_t type, uint32_t seq)
{
    uint8_t spi[16], data[4] = { (uint8_t)(seq >> 24), (uint8_t)(seq >> 16), (uint8_t)(seq >> 8),
                                 (uint8_t)seq };
    cookies(sa, spi);
    return ivpn_v1_notify_send(e, sa, IVPN_ISAKMP_PROTO_ISAKMP, spi, 16, type, data, 4);
}

void ivpn_v1_dpd_rx(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa,
                    const ivpn_isakmp_notify *n, uint64_t now)
{
    uint8_t spi[16];
    cookies(sa, spi);
    if (n->spi_size != 16 || memcmp(n->spi, spi, 16) != 0 || n->data.len != 4) {
        IVPN_LOG_WARN(e->ctx, "IKEv1: DPD notify with wrong cookies or sequence, ignored");
        return;
    }
    uint32_t seq = (uint32_t)n->data.p[0] << 24 | (uint32_t)n->data.p[1] << 16 |
                   (uint32_t)n->data.p[2] << 8 | n->data.p[3];
    if (n->type == IVPN_ISAKMP_N_DPD_R_U_THERE) {
        /* answer every question, a repeated one too (§5.5: its ACK may have been lost) */
        sa->dpd_peer_seq = seq;
        sa->dpd_peer_seq_set = true;
        IVPN_LOG_DEBUG(e->ctx, "IKEv1: R-U-THERE %u from the peer, answering", seq);
        (void)send_dpd(e, sa, IVPN_ISAKMP_N_DPD_R_U_THERE_ACK, seq);
        return;
    }
    if (seq != sa->dpd_seq) {
        IVPN_LOG_DEBUG(e->ctx, "IKEv1: R-U-THERE-ACK %u does not answer %u", seq, sa->dpd_seq);
        return;
    }
    sa->dpd_deadline = 0;
    if (dpd_on(c, sa))
        sa->dpd_at = now + (uint64_t)ivpn_conn_values(c)->dpd.interval * 1000;
}

bool ivpn_v1_dpd_expiry(ipsecvpn_engine *e, ivpn_conn *c, ivpn_v1_sa *sa, uint64_t now)
{
    const ivpn_dpd *d = &ivpn_conn_values(c)->dpd;
    if (!dpd_on(c, sa)) {
        sa->dpd_at = sa->dpd_deadline = 0;
        return true;
    }
    if (sa->dpd_deadline && now >= sa->dpd_deadline) {
        ivpn_v1_peer_dead(e, c, now);
        return false;
    }
    uint64_t interval = (uint64_t)d->interval * 1000;
    if (!sa->dpd_at)
        sa->dpd_at = sa->last_rx + interval > now ? sa->last_rx + interval : now + interval;
    if (now < sa->dpd_at)
        return true;
    if (now - sa->last_rx < interval) {
        sa->dpd_at = sa->last_rx + interval; /* heard from it meanwhile */
        return true;
    }
    /* silent for a whole interval: are you there? */
    if (sa->dpd_seq == 0) {
        uint8_t r[4];
        if (ivpn_random(e->ctx, r, 4) == IPSECVPN_OK)
            sa->dpd_seq = ((uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 |
                           r[3]) & 0x7fffffffu; /* room to count up */
    }
    sa->dpd_seq++;
    IVPN_LOG_DEBUG(e->ctx, "IKEv1: peer silent, R-U-THERE %u", sa->dpd_seq);
    (void)send_dpd(e, sa, IVPN_ISAKMP_N_DPD_R_U_THERE, sa->dpd_seq);
    if (!sa->dpd_deadline)
        sa->dpd_deadline = now + (uint64_t)(d->timeout > d->interval ? d->timeout
                                                                     : d->interval) * 1000;
    sa->dpd_at = now + interval;
    return true;
}
